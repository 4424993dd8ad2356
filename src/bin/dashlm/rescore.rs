//! `dashlm rescore`: re-rank n-best lists with a language model.

use std::error::Error;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use dashlm::rescore::wer::{nbest_wer, NbestWer};
use dashlm::rescore::{
    check_new_dir, check_overflow, check_writable, jsonl, kaldi, srilm, ExtraWeights, Format,
    NbestList, Rescored, Rescorer, Weights, Words,
};
use dashlm::LanguageModel;
use rayon::prelude::*;

use super::lists::{
    load_model, parse_finite, parse_scale, parse_threads, set_threads, Lists, ScoreWeights,
};
use super::output::{OutputFile, Written};
use super::report::{
    note_probability_zero, print_coverage, print_stats, print_wer, score_with_progress, zero_count,
};

type BoxError = Box<dyn Error + Send + Sync>;

/// Re-rank n-best lists with a language model.
///
/// Per hypothesis, in natural-log units:
/// total = acoustic_scale * acoustic + lm_weight * new_lm + wip * num_words
///       + first_pass_lm_weight * first_pass_lm + (each --score-weight NAME=W) W * NAME
///       + (each --score-weight NAME=F*lm) F * lm_weight * NAME,
/// new_lm being the model's log10 P(words `</s>` | `<s>`) times ln 10. Writes the lists
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
    /// Keep only the N best hypotheses of each list in the output. Default:
    /// every hypothesis.
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

/// `--top N`: at least 1 (0 would write every list empty); a number past
/// `usize` keeps every hypothesis, as any number above a list's length does.
fn parse_top(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Ok(usize::MAX),
        _ => Err(format!("`{s}`: expected a number of hypotheses >= 1")),
    }
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
        // A device or pipe (`/dev/null` twice) takes both.
        let special = std::fs::metadata(out).is_ok_and(|m| !m.is_file());
        if !special && (out == best || super::load::same_file(out, best) || spelled_alike) {
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
    // The n-best files an SRILM list file names are read too.
    let listed = match args.lists.format {
        Format::Srilm if args.lists.input.is_file() => srilm::listed_in(&args.lists.input)?,
        _ => Vec::new(),
    };
    let read: Vec<(&Path, &str)> = read
        .into_iter()
        .chain(
            listed
                .iter()
                .map(|p| (p.as_path(), "an n-best file the input lists")),
        )
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
        super::load::note!(
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
        Some(dir) => {
            let made = dashlm::atomic::NewDirs::create(dir).map_err(|e| named(dir, e))?;
            // What putting the lists there needs (a temporary directory
            // beside it, a directory renaming can replace), tried now.
            drop(dashlm::atomic::PendingDir::create(dir).map_err(|e| named(dir, e))?);
            (None, Some(made))
        }
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
    let wer = match dashlm::rescore::wer::check_cells(&lists, "the WER summary") {
        Ok(()) => nbest_wer(&lists, &chosen),
        Err(e) => {
            super::load::note!("dashlm: warning: no WER summary: {e}");
            NbestWer::default()
        }
    };
    // The best text is rendered before the lists move into the output (their
    // hypotheses are moved, not copied).
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
    if let Some(out) = &jsonl_output {
        // The scores rescoring added (`new_lm`, `total`) may be ones JSONL
        // cannot hold (a probability of zero): refused before any output is
        // written, as the input's were before the scoring.
        check_writable(Format::Jsonl, &reranked).map_err(|e| super::load::named(out.name(), e))?;
    }
    // Both outputs written before either is put in place, so that an error
    // or a signal on the way leaves both as they were: the best text first,
    // then the lists (a file or a directory), then both renamed together.
    // The best text is put in place also when the lists go to standard
    // output and its reader stops early (`| head`), and the lists when the
    // best text goes to a pipe whose reader stops early: each output is
    // written whole, and the run then ends quietly, as `| head` asks.
    let (best_text, best_text_closed) = match best_text
        .map(|(out, text)| out.write(|w| w.write_all(&text)))
        .transpose()
    {
        Ok(written) => (written, None),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => (None, Some(e)),
        Err(e) => return Err(e.into()),
    };
    let lists_written: Result<Option<Written>, BoxError> = match (jsonl_output, &output) {
        (Some(out), _) => out
            .write(|mut w| jsonl::write(&mut w, &reranked))
            .map(Some)
            .map_err(Into::into),
        (None, Some(dir)) => match args.lists.format {
            Format::Srilm => srilm::write_dir_pending(dir, &reranked, compression),
            _ => kaldi::write_dir_pending(dir, &reranked, word_ids.as_ref()),
        }
        .map(|d| Some(Written::dir(d)))
        .map_err(Into::into),
        (None, None) => Ok(None),
    };
    match lists_written {
        Ok(lists) => Written::commit_together(lists.into_iter().chain(best_text))?,
        Err(e) if super::load::is_closed_pipe(&*e) => {
            Written::commit_together(best_text)?;
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    if let Some(closed) = best_text_closed {
        return Err(closed.into());
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
