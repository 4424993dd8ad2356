//! `dashlm rescore`: re-rank n-best lists with a language model.

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dashlm::rescore::coverage::Coverage;
use dashlm::rescore::kaldi::SymbolTable;
use dashlm::rescore::wer::{nbest_wer, ErrorCounts, NbestWer};
use dashlm::rescore::{
    attach_references, check_new_dir, check_overflow, check_writable, jsonl, kaldi,
    read_lists_with_symbols, score_lists, srilm, write_lists, ExtraWeights, Format, HypFeatures,
    NbestList, Rescored, Rescorer, ScoreWeight, ScorerStats, Weights, Words,
};
use dashlm::LanguageModel;
use indicatif::ProgressBar;
use rayon::prelude::*;

use super::output::{NewDir, OutputFile};

type BoxError = Box<dyn Error + Send + Sync>;

/// Re-rank n-best lists with a language model.
///
/// Per hypothesis, in natural-log units:
/// total = acoustic_scale * acoustic + lm_weight * new_lm + wip * num_words
///       + first_pass_lm_weight * first_pass_lm + (each --score-weight NAME=W) W * NAME,
/// new_lm being the model's log10 P(words </s> | <s>) times ln 10. Writes the lists
/// best first, each hypothesis with its `new_lm` and `total` scores; prints a
/// summary (with 1-best, rescored and oracle WER when references are present) on
/// stderr.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub lists: Lists,
    /// Weight of the new LM score.
    #[arg(long, allow_hyphen_values = true, value_parser = parse_finite)]
    pub lm_weight: f64,
    /// Word insertion penalty, added per word.
    #[arg(long, allow_hyphen_values = true, value_parser = parse_finite)]
    pub wip: f64,
    /// Weight of the acoustic score (>= 0: a negative one ranks the acoustically worst first).
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true, value_parser = parse_scale)]
    pub acoustic_scale: f64,
    /// Weight of the lists' own first-pass LM score.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true, value_parser = parse_finite)]
    pub first_pass_lm_weight: f64,
    #[command(flatten)]
    pub extra: ScoreWeights,
    /// Where to write the re-ranked lists (a file for jsonl, `-` for stdout; a
    /// directory for srilm and kaldi). Default: stdout for jsonl without --best-text.
    /// A file named `.gz` or `.xz` is written compressed; so are srilm's n-best
    /// files when the input's all are.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Keep only the N best hypotheses of each list in the output.
    #[arg(long, allow_hyphen_values = true, value_parser = parse_top)]
    pub top: Option<usize>,
    /// Also write the chosen hypothesis per utterance as `id w1 w2 ...` lines.
    #[arg(long)]
    pub best_text: Option<PathBuf>,
    /// Choose by minimum Bayes risk instead of the top score.
    #[arg(long)]
    pub mbr: bool,
    /// Posterior scale for --mbr: posteriors are softmax(scale * total).
    #[arg(long, default_value_t = 0.1, allow_hyphen_values = true, value_parser = parse_scale, requires = "mbr")]
    pub mbr_scale: f64,
    /// Worker threads, 1 to 1024 (default: all cores).
    #[arg(long, allow_hyphen_values = true, value_parser = parse_threads)]
    pub threads: Option<usize>,
}

/// The options `rescore` and `tune` share: the model and the lists, and what
/// reads them.
#[derive(clap::Args)]
pub struct Lists {
    /// The model: ARPA (plain, .gz or .xz) or compiled.
    #[arg(long)]
    pub model: PathBuf,
    /// The n-best lists: a JSONL file, an SRILM directory or list file, or a Kaldi directory.
    #[arg(long)]
    pub input: PathBuf,
    /// Input format (rescore writes it too): jsonl, srilm or kaldi.
    #[arg(long, default_value = "jsonl", value_parser = parse_format)]
    pub format: Format,
    /// References (`id w1 w2 ...` lines) to attach, in place of the input's own.
    #[arg(long)]
    pub refs: Option<PathBuf>,
    /// With --format kaldi: the symbol table of the input's `words` (word ids),
    /// e.g. the lang directory's words.txt, in place of a words.txt in the input.
    #[arg(long)]
    pub words_txt: Option<PathBuf>,
}

/// `--score-weight NAME=W`, which `rescore` and `tune` share.
#[derive(clap::Args)]
pub struct ScoreWeights {
    /// Add W times the hypotheses' extra score NAME to their totals
    /// (repeatable; kept fixed by tune), or with NAME=F*lm (NAME=lm: F = 1)
    /// F times the LM weight times it (tune tunes it with the LM weight).
    /// E.g. nolm=lm: Kaldi's graph costs without the LM (`lmwt.nolm`, read as
    /// the score `nolm`) weighted as Kaldi's LMWT weighs the whole graph cost.
    #[arg(long = "score-weight", value_name = "NAME=W|NAME=F*lm", allow_hyphen_values = true,
          value_parser = ExtraWeights::parse_arg)]
    pub pairs: Vec<(String, ScoreWeight)>,
}

impl ScoreWeights {
    /// The weights, checked against `lists`: a name given twice, or a
    /// hypothesis without a score weighted other than 0, is an error.
    pub fn for_lists(&self, lists: &[NbestList]) -> Result<ExtraWeights, String> {
        let extra =
            ExtraWeights::from_pairs(&self.pairs).map_err(|e| format!("--score-weight: {e}"))?;
        extra.check_lists(lists)?;
        Ok(extra)
    }
}

pub fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// A weight: a finite number (a NaN or infinite weight would rank every
/// hypothesis alike, silently).
pub fn parse_finite(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(format!("`{s}`: expected a finite number")),
        Err(_) => Err(format!("`{s}` is not a number")),
    }
}

/// A scale (the acoustic scale, an MBR posterior scale): a finite number >= 0.
pub fn parse_scale(s: &str) -> Result<f64, String> {
    match parse_finite(s)? {
        x if x >= 0.0 => Ok(x),
        _ => Err(format!("`{s}`: expected a scale >= 0")),
    }
}

/// `--threads N`: 1 to 1024 (a pool of a hundred thousand threads hangs the
/// machine rather than scoring faster).
pub fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{s}`: expected a number of threads from 1 to 1024"
        )),
    }
}

/// `--top N`: at least 1 (0 would write every list empty).
fn parse_top(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}`: expected a number of hypotheses >= 1")),
    }
}

/// Sets the size of rayon's global pool.
pub fn set_threads(threads: Option<usize>) -> Result<(), BoxError> {
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()?;
    }
    Ok(())
}

/// An error if two of `inputs` (`(option, path)`) are `-`: standard input
/// can be read once.
pub fn check_stdin_once(inputs: &[(&str, &Path)]) -> Result<(), String> {
    let stdin: Vec<&str> = inputs
        .iter()
        .filter(|(_, p)| super::load::is_dash(p))
        .map(|(option, _)| *option)
        .collect();
    if stdin.len() > 1 {
        return Err(format!(
            "{} are both `-`: standard input can be given once",
            stdin.join(" and ")
        ));
    }
    Ok(())
}

impl Lists {
    /// Reads lists in `format` and attaches references from `refs`, if given
    /// (Kaldi `text` or JSONL; they take the place of the input's own; a warning
    /// says how many of those differ; none for any utterance is an error); with
    /// the lists, the symbol table of a Kaldi directory read from word ids (from
    /// `words_txt` when given). First checks that at most one of `model` (loaded
    /// later), the input, the references and the symbol table is `-`: standard
    /// input can be read once.
    pub fn read(&self) -> Result<(Vec<NbestList>, Option<SymbolTable>), BoxError> {
        let (model, input, format) = (self.model.as_path(), self.input.as_path(), self.format);
        let (refs, words_txt) = (self.refs.as_deref(), self.words_txt.as_deref());
        let mut stdin = vec![("--model", model), ("--input", input)];
        stdin.extend(refs.map(|r| ("--refs", r)));
        stdin.extend(words_txt.map(|w| ("--words-txt", w)));
        check_stdin_once(&stdin)?;
        if let Some(table) = words_txt {
            if format != Format::Kaldi {
                return Err(format!(
                    "{}: --words-txt is the symbol table of a Kaldi directory's word ids \
                     (`words`); this input is read as {format}",
                    table.display()
                )
                .into());
            }
            if !input.join("words").is_file() {
                eprintln!(
                    "dashlm: warning: --words-txt {}: not used: {} has no `words` archive of word ids",
                    table.display(),
                    input.display()
                );
            }
        }
        let (mut lists, table) = read_lists_with_symbols(input, format, words_txt)?;
        let own_refs = input.join("refs");
        if refs.is_none() && format != Format::Jsonl && input.is_dir() && own_refs.is_file() {
            // The reader took the references it could use (and refused a file
            // of none); the rest are said.
            let ids: Vec<String> = kaldi::read_text_path(&own_refs)?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            warn_unused_references(&own_refs, &lists, ids.iter().map(String::as_str));
        }
        if let Some(refs) = refs {
            // Kaldi `text` lines or JSONL (`ref`), as `dashlm wer --ref` reads.
            let map: HashMap<String, Vec<String>> =
                dashlm::rescore::wer::read_transcripts(refs, true)?
                    .into_iter()
                    .collect();
            let replaced: Vec<&str> = lists
                .iter()
                .filter(|l| {
                    let new = map.get(&l.id);
                    l.reference.is_some() && new.is_some() && l.reference.as_ref() != new
                })
                .map(|l| l.id.as_str())
                .collect();
            if let Some(first) = replaced.first() {
                eprintln!(
                    "dashlm: warning: {}: replaces the input's own, different reference of {} \
                     utterance(s) (the first: `{first}`)",
                    refs.display(),
                    replaced.len()
                );
            }
            let attached = attach_references(&mut lists, &map);
            if attached == 0 {
                // An explicit --refs that gives nothing is the wrong file, not a
                // run whose WER silently comes from the input's own references.
                let first = lists.first().map_or("", |l| l.id.as_str());
                return Err(format!(
                    "{}: none of its {} references is for an utterance of the input \
                     (the input's first id: `{first}`)",
                    refs.display(),
                    map.len()
                )
                .into());
            }
            if attached < map.len() {
                warn_unused_references(refs, &lists, map.keys().map(String::as_str));
            }
        }
        Ok((lists, table))
    }
}

/// A warning when some of the references of file `refs` (their ids) are for
/// no utterance of `lists`: a mixed-up file, or one for a larger set.
fn warn_unused_references<'a>(
    refs: &Path,
    lists: &[NbestList],
    ref_ids: impl Iterator<Item = &'a str>,
) {
    let ids: HashSet<&str> = lists.iter().map(|l| l.id.as_str()).collect();
    let (mut unused, mut all) = (Vec::new(), 0usize);
    for id in ref_ids {
        all += 1;
        if !ids.contains(id) {
            unused.push(id);
        }
    }
    unused.sort_unstable();
    if let Some(first) = unused.first() {
        eprintln!(
            "dashlm: warning: {}: {} of its {all} references are for no utterance of the \
             input (the first by id: `{}`)",
            refs.display(),
            unused.len(),
            dashlm::text::quote(first, dashlm::text::QUOTED_CHARS)
        );
    }
}

/// A progress bar over lists, drawn on stderr only when it is a terminal.
pub fn list_progress(len: usize, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    super::load::styled(bar, "{msg} [{bar:40}] {pos}/{len} ({eta})", message)
}

/// Scores every list with the model, with a progress bar; returns the scores,
/// the scorer's counts and the time taken.
pub fn score_with_progress<M: LanguageModel>(
    model: &M,
    lists: &[NbestList],
) -> (Vec<Vec<f64>>, ScorerStats, Duration) {
    let bar = list_progress(lists.len(), "scoring");
    let start = Instant::now();
    let (scores, stats) = score_lists(model, lists, |n| bar.inc(n as u64));
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    (scores, stats, elapsed)
}

/// Prints the scoring counts and speed.
pub fn print_stats(stats: &ScorerStats, elapsed: Duration) {
    let secs = elapsed.as_secs_f64().max(1e-9);
    eprintln!(
        "scored {} utterances, {} hypotheses, {} words ({} words+</s>) with {} LM queries ({:.1}% of words+</s>) in {:.3} s: {:.0} hypothesis words/s",
        stats.lists,
        stats.hyps,
        stats.words,
        stats.words + stats.hyps,
        stats.queries,
        100.0 * stats.queries as f64 / (stats.words + stats.hyps).max(1) as f64,
        secs,
        stats.words as f64 / secs,
    );
}

/// Prints how many hypothesis words `model` does not know, and a warning
/// when they are many (see [`Coverage::warning`]).
pub fn print_coverage<M: LanguageModel>(model: &M, lists: &[NbestList]) {
    let coverage = Coverage::of(model, lists);
    eprintln!("{}", coverage.summary());
    if let Some(warning) = coverage.warning() {
        eprintln!("dashlm: warning: {warning}");
    }
}

fn wer_line(name: &str, c: &ErrorCounts) -> String {
    format!("{name:<16} {c}")
}

/// Prints 1-best, chosen and oracle WER when some of the `total` lists have a
/// reference (the summary line says how many when not all do).
pub fn print_wer(w: &NbestWer, total: usize, chosen_name: &str) {
    if w.lists == 0 {
        return;
    }
    match w.lists < total {
        true => eprintln!(
            "WER over {} of {total} utterances with references:",
            w.lists
        ),
        false => eprintln!("WER over {} utterances with references:", w.lists),
    }
    eprintln!("{}", wer_line("  1-best (input)", &w.first));
    eprintln!("{}", wer_line(&format!("  {chosen_name}"), &w.chosen));
    eprintln!("{}", wer_line("  oracle", &w.oracle));
}

/// Writes `id w1 w2 ...` lines of the chosen hypotheses.
pub fn write_best_text(
    out: &mut impl Write,
    lists: &[NbestList],
    chosen: &[Option<usize>],
) -> io::Result<()> {
    for (list, c) in lists.iter().zip(chosen) {
        let empty = Words::new();
        let words = c
            .and_then(|i| list.hyps.get(i))
            .map_or(&empty, |h| &h.words);
        kaldi::write_text(out, [(list.id.as_str(), words)])?;
    }
    Ok(())
}

/// An error if the two outputs are one file, or if a directory format's
/// output directory holds the best-text file or anything the command reads
/// (`read`): writing the lists there would replace them (an input list's
/// n-best files, a references file named `refs`, ...).
fn check_outputs_apart(
    output: Option<&Path>,
    best_text: Option<&Path>,
    format: Format,
    input: &Path,
    read: &[(&Path, &str)],
) -> Result<(), String> {
    if let (Some(out), Some(best)) = (output, best_text) {
        // Also two spellings of one file not created yet (`o.txt`, `./o.txt`):
        // the second opened would take the first's place.
        let spelled_alike = resolved(out).is_some_and(|o| Some(o) == resolved(best));
        if out == best || super::load::same_file(out, best) || spelled_alike {
            return Err(format!(
                "{}: --output and --best-text name the same file",
                out.display()
            ));
        }
    }
    // The readers of directories take every file they know there: an output
    // inside would overwrite one (`text`, `refs`) or be read as one later.
    if format != Format::Jsonl && input.is_dir() {
        let written = [(output, "--output"), (best_text, "--best-text")];
        for (path, flag) in written.iter().filter_map(|(p, f)| Some(((*p)?, f))) {
            if inside(input, path) {
                return Err(format!(
                    "{}: {flag} is inside the input directory {}, whose files the reader \
                     takes (it could overwrite one, or be read as one next time); give a path \
                     outside it",
                    path.display(),
                    input.display()
                ));
            }
        }
    }
    let Some(dir) = output.filter(|_| format != Format::Jsonl) else {
        return Ok(());
    };
    let best = best_text.map(|b| (b, "the --best-text file"));
    match read
        .iter()
        .copied()
        .chain(best)
        .find(|(p, _)| inside(dir, p))
    {
        Some((p, what)) => Err(format!(
            "{}: the output directory holds {what} ({}), which writing the lists there \
             could overwrite; give another directory",
            dir.display(),
            p.display()
        )),
        None => Ok(()),
    }
}

/// Whether `path` (existing or to be created) lies in directory `dir` (the
/// same) or below it.
fn inside(dir: &Path, path: &Path) -> bool {
    match (resolved(dir), resolved(path)) {
        (Some(dir), Some(path)) => path.starts_with(dir),
        _ => path.starts_with(dir),
    }
}

/// `path` as it is, or will be once created: its longest existing ancestor
/// with links resolved, then the rest of its components, `..` taken
/// lexically (the directories past that ancestor do not exist yet, so none
/// is a link: `in/new/../out` is `in/out`). `None` when no ancestor can be
/// resolved.
fn resolved(path: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let mut rest = Vec::new();
    let mut existing = path;
    let mut base = loop {
        let spelled = if existing.as_os_str().is_empty() {
            Path::new(".")
        } else {
            existing
        };
        if let Ok(base) = std::fs::canonicalize(spelled) {
            break base;
        }
        rest.push(existing.components().next_back()?);
        existing = existing.parent()?;
    };
    for c in rest.iter().rev() {
        match c {
            Component::ParentDir => {
                base.pop();
            }
            Component::Normal(name) => base.push(name),
            _ => {}
        }
    }
    Some(base)
}

/// The most word-alignment cells the WER of a set of lists may take: every
/// hypothesis of a list with a reference aligned with it (the oracle's),
/// `(reference words + 1) x (hypothesis words + 1)` cells each, about 1.3 ns
/// a cell (a list of 10 hypotheses of 30,000 words, 9 x 10^9 cells, took
/// 12 s), up to about 8 ns for lines of hundreds of thousands of words, whose
/// rows leave the cache (two hypotheses of 200,000 words, 8 x 10^10 cells,
/// took 10 minutes); so 2 to 15 minutes at the limit. Past it, `rescore` leaves out
/// its WER summary and `tune` refuses the lists (before: a 2.1-million-word
/// hypothesis with its reference ran for hours).
const MAX_WER_CELLS: u128 = 100_000_000_000;

/// The alignment cells of the WER of `lists` (see [`MAX_WER_CELLS`]).
fn wer_cells(lists: &[NbestList]) -> u128 {
    (lists.iter())
        .filter_map(|l| Some((l.reference.as_ref()?.len() as u128 + 1, l)))
        .map(|(r, l)| {
            (l.hyps.iter())
                .map(|h| r * (h.words.len() as u128 + 1))
                .sum::<u128>()
        })
        .sum()
}

/// An error when the WER of `lists` would take more than [`MAX_WER_CELLS`]
/// cells; `what` says what needs it.
pub fn check_wer_cells(lists: &[NbestList], what: &str) -> Result<(), String> {
    let cells = wer_cells(lists);
    if cells > MAX_WER_CELLS {
        return Err(format!(
            "{what} aligns every hypothesis with its reference: {cells} cells \
             ((reference words + 1) x (hypothesis words + 1) each); at most {MAX_WER_CELLS} \
             (2 to 15 minutes of work)"
        ));
    }
    Ok(())
}

/// The most pair sums `tune --mbr` makes for one list: the expected errors of
/// every hypothesis against every other, in every cell of the grid, 1-3 ns
/// each (one list of 5,000 hypotheses took 73 ms a cell: 36 minutes for the
/// default grid of 29,646 cells; 1,000 hypotheses, 3 x 10^10 pair sums, 18 s).
const MAX_MBR_GRID_PAIRS: u128 = 100_000_000_000;

/// An error naming the first list whose MBR choices over a grid of `cells`
/// cells would take too long.
pub fn check_mbr_grid(lists: &[NbestList], cells: usize) -> Result<(), String> {
    for l in lists {
        let pairs = (l.hyps.len() as u128).pow(2) * cells as u128;
        if pairs > MAX_MBR_GRID_PAIRS {
            return Err(format!(
                "utterance `{}` has {} hypotheses: tune --mbr weighs every pair in each of \
                 the grid's {cells} cells, {pairs} pair sums; at most {MAX_MBR_GRID_PAIRS} \
                 per list (a coarser grid, or keep the best hypotheses, e.g. rescore with \
                 --top first)",
                dashlm::text::quote(&l.id, dashlm::text::QUOTED_CHARS),
                l.hyps.len(),
            ));
        }
    }
    Ok(())
}

/// Loads the model named on the command line: ARPA or compiled, whichever the
/// file is (the one place the rescoring commands open models).
pub fn load_model(path: &Path) -> Result<super::load::Loaded, BoxError> {
    super::load::open_model(path)
}

/// The hypotheses of one list with a score of probability zero (`-inf`: the
/// model's, or the input's own), from the list's features.
pub fn zero_count(features: &[HypFeatures]) -> usize {
    features.iter().filter(|f| !f.is_finite()).count()
}

/// Notes on stderr how many hypotheses have a score of probability zero, from
/// each list's [`zero_count`]: each ranks last unless that score is weighted
/// 0, which a user should not have to discover.
pub fn note_probability_zero(per_list: impl Iterator<Item = usize>) {
    let (hyps, utterances) = per_list.fold((0, 0), |(h, u), n| (h + n, u + usize::from(n > 0)));
    let plural = |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
    if hyps > 0 {
        eprintln!(
            "dashlm: note: {hyps} {} (in {utterances} {}) {} a score of probability zero \
             (-inf): each ranks last unless that score is weighted 0",
            plural(hyps, "hypothesis", "hypotheses"),
            plural(utterances, "utterance", "utterances"),
            plural(hyps, "has", "have"),
        );
    }
}

pub fn run(args: Args) -> Result<(), BoxError> {
    set_threads(args.threads)?;
    let output = match (&args.output, args.lists.format, &args.best_text) {
        (Some(p), Format::Srilm | Format::Kaldi, _) if super::load::is_dash(p) => {
            return Err(format!(
                "--format {} writes a directory, not standard output: give --output DIR",
                args.lists.format
            )
            .into())
        }
        (Some(p), _, _) => Some(p.clone()),
        (None, Format::Jsonl, None) => Some(PathBuf::from("-")),
        (None, Format::Jsonl, Some(_)) => None,
        (None, _, Some(_)) => None,
        (None, f, None) => {
            return Err(format!(
                "--format {f} writes a directory: give --output DIR (or --best-text)"
            )
            .into())
        }
    };
    let read: Vec<(&Path, &str)> = [
        (Some(args.lists.model.as_path()), "the model file"),
        (Some(args.lists.input.as_path()), "the input"),
        (args.lists.refs.as_deref(), "the references file"),
        (args.lists.words_txt.as_deref(), "the symbol table"),
    ]
    .into_iter()
    .filter_map(|(p, what)| Some((p?, what)))
    .collect();
    for written in [output.as_deref(), args.best_text.as_deref()]
        .into_iter()
        .flatten()
    {
        super::load::refuse_overwrite(written, &read)?;
    }
    check_outputs_apart(
        output.as_deref(),
        args.best_text.as_deref(),
        args.lists.format,
        &args.lists.input,
        &read,
    )?;
    if let Some(dir) = output
        .as_deref()
        .filter(|_| args.lists.format != Format::Jsonl)
    {
        // Before the scoring, not after it.
        check_new_dir(dir)?;
    }
    let (lists, table) = args.lists.read()?;
    weights(&args).check_lists(&lists)?;
    let extra = args.extra.for_lists(&lists)?;
    if args.mbr {
        dashlm::rescore::mbr::check_lists(&lists)?;
    }
    // What the writers would refuse in these lists (ids, words, score names),
    // refused before the scoring and before any output is written.
    let named = |path: &Path, e| super::load::named(&path.display().to_string(), e);
    // Lists read from word ids are written back as ids too (and as words).
    let word_ids = table.filter(|_| output.is_some());
    // SRILM n-best files are written compressed when the input's all are.
    let compression = match args.lists.format {
        Format::Srilm => srilm::input_compression(&args.lists.input)?,
        _ => dashlm::arpa::Compression::None,
    };
    let ids_unread = args.lists.input.join("words");
    if args.lists.format == Format::Kaldi
        && output.is_some()
        && word_ids.is_none()
        && ids_unread.is_file()
    {
        eprintln!(
            "dashlm: warning: {}: these word ids are not read (there is no words.txt beside \
             them), so the output has `text` but no `words`; give the language's words.txt \
             with --words-txt (or link it into the input directory) to keep them",
            ids_unread.display()
        );
    }
    if let Some(path) = output.as_deref() {
        match &word_ids {
            Some(table) => kaldi::check_dir_with_ids(&lists, table),
            None => check_writable(args.lists.format, &lists),
        }
        .map_err(|e| named(path, e))?;
    }
    if let Some(path) = args.best_text.as_deref() {
        kaldi::check_text(&lists).map_err(|e| named(path, e))?;
    }
    // Every output created before the model is loaded and the lists scored:
    // a path that cannot be written fails first, not after the work, and not
    // after another output was written.
    let (jsonl_output, _new_dir) = match output.as_deref() {
        Some(path) if args.lists.format == Format::Jsonl => (Some(OutputFile::open(path)?), None),
        Some(dir) => (None, Some(NewDir::create(dir)?)),
        None => (None, None),
    };
    let best_text = args
        .best_text
        .as_deref()
        .map(OutputFile::open)
        .transpose()?;
    let loaded = load_model(&args.lists.model)?;
    let rescored = crate::with_model!(&loaded, |m| rescore(m, &lists, &args, &extra))?;
    let chosen: Vec<Option<usize>> = rescored.iter().map(Rescored::best).collect();
    // The summary is a by-product: too long to count, it is left out, not
    // waited for (`dashlm wer` can still score `--best-text`).
    let wer = match check_wer_cells(&lists, "the WER summary") {
        Ok(()) => nbest_wer(&lists, &chosen),
        Err(e) => {
            eprintln!("dashlm: warning: no WER summary: {e}");
            NbestWer::default()
        }
    };
    // The best text is rendered before the lists move into the output (their
    // hypotheses are moved, not copied), and written after it.
    // (Its lines were checked before the scoring; an error rendering them is
    // still named by the file, as the writing would name it.)
    let best_text = match (best_text, args.best_text.as_deref()) {
        (Some(out), Some(path)) => {
            let mut text = Vec::new();
            write_best_text(&mut text, &lists, &chosen)
                .map_err(|e| super::load::named(&path.display().to_string(), e))?;
            Some((out, text))
        }
        _ => None,
    };
    let reranked: Vec<NbestList> = {
        let applied: Vec<Result<NbestList, String>> = (lists.into_par_iter().zip(&rescored))
            .map(|(list, r)| r.try_apply_into(list, args.top))
            .collect();
        applied.into_iter().collect::<Result<_, _>>()?
    };
    match (jsonl_output, &output) {
        (Some(out), _) => out.write(|mut w| jsonl::write(&mut w, &reranked))?,
        (None, Some(dir)) => match (&word_ids, args.lists.format) {
            (Some(table), _) => kaldi::write_dir_with_ids(dir, &reranked, table)?,
            (None, Format::Srilm) => srilm::write_dir_compressed(dir, &reranked, compression)?,
            (None, _) => write_lists(dir, args.lists.format, &reranked)?,
        },
        (None, None) => {}
    }
    if let Some((out, text)) = best_text {
        out.write(|w| w.write_all(&text))?;
    }
    print_wer(
        &wer,
        reranked.len(),
        if args.mbr {
            "rescored (MBR)"
        } else {
            "rescored"
        },
    );
    // The process ends here: freeing millions of small allocations one by
    // one would only delay the exit (a tenth of the run on large inputs).
    std::mem::forget(reranked);
    Ok(())
}

/// The weights `args` give.
fn weights(args: &Args) -> Weights {
    Weights {
        acoustic_scale: args.acoustic_scale,
        lm_weight: args.lm_weight,
        word_insertion_penalty: args.wip,
        first_pass_lm_weight: args.first_pass_lm_weight,
    }
}

fn rescore<M: LanguageModel>(
    model: &M,
    lists: &[NbestList],
    args: &Args,
    extra: &ExtraWeights,
) -> Result<Vec<Rescored>, BoxError> {
    let (scores, stats, elapsed) = score_with_progress(model, lists);
    print_stats(&stats, elapsed);
    print_coverage(model, lists);
    let mut rescorer = Rescorer::new(model, weights(args)).with_extra_weights(extra.clone());
    if args.mbr {
        rescorer = rescorer.with_mbr(args.mbr_scale);
    }
    let rescored: Vec<Rescored> = lists
        .par_iter()
        .zip(&scores)
        .map(|(l, s)| rescorer.rescore_scored(l, s))
        .collect();
    // Finite weights and scores can still combine past f64's range: such a
    // total ranks nothing and cannot be written back. A hypothesis with a
    // score of probability zero (the model's log10 -inf, or the input's own)
    // ranks last, as `tune` ranks it (a JSONL output refuses to write its
    // score, naming it).
    for (l, r) in lists.iter().zip(&rescored) {
        check_overflow(&l.id, &r.features, &r.totals)?;
    }
    note_probability_zero(rescored.iter().map(|r| zero_count(&r.features)));
    Ok(rescored)
}
