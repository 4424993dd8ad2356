//! `dashlm rescore`: re-rank n-best lists with a language model.

use std::collections::HashMap;
use std::error::Error;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dashlm::rescore::wer::{nbest_wer, ErrorCounts, NbestWer};
use dashlm::rescore::{
    attach_references, check_new_dir, kaldi, read_lists, score_lists, write_lists, Format,
    NbestList, Rescorer, ScorerStats, Weights, Words,
};
use dashlm::LanguageModel;
use indicatif::ProgressBar;

type BoxError = Box<dyn Error + Send + Sync>;

/// Re-rank n-best lists with a language model.
///
/// Per hypothesis, in natural-log units:
/// total = acoustic_scale * acoustic + lm_weight * new_lm + wip * num_words
///       + first_pass_lm_weight * first_pass_lm,
/// new_lm being the model's log10 P(words </s> | <s>) times ln 10. Writes the lists
/// best first, each hypothesis with its `new_lm` and `total` scores; prints a
/// summary (with 1-best, rescored and oracle WER when references are present) on
/// stderr.
#[derive(clap::Args)]
pub struct Args {
    /// The model: ARPA (plain, .gz or .xz) or compiled.
    #[arg(long)]
    pub model: PathBuf,
    /// The n-best lists: a JSONL file, an SRILM directory or list file, or a Kaldi directory.
    #[arg(long)]
    pub input: PathBuf,
    /// Input (and output) format: jsonl, srilm or kaldi.
    #[arg(long, default_value = "jsonl", value_parser = parse_format)]
    pub format: Format,
    /// Weight of the new LM score.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_finite)]
    pub lm_weight: f64,
    /// Word insertion penalty, added per word.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_finite)]
    pub wip: f64,
    /// Weight of the acoustic score.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true, value_parser = parse_finite)]
    pub acoustic_scale: f64,
    /// Weight of the lists' own first-pass LM score.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true, value_parser = parse_finite)]
    pub first_pass_lm_weight: f64,
    /// Where to write the re-ranked lists (a file for jsonl, `-` for stdout; a
    /// directory for srilm and kaldi). Default: stdout for jsonl without --best-text.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Keep only the N best hypotheses of each list in the output.
    #[arg(long, value_parser = parse_top)]
    pub top: Option<usize>,
    /// Also write the chosen hypothesis per utterance as `id w1 w2 ...` lines.
    #[arg(long)]
    pub best_text: Option<PathBuf>,
    /// Choose by minimum Bayes risk instead of the top score.
    #[arg(long)]
    pub mbr: bool,
    /// Posterior scale for --mbr: posteriors are softmax(scale * total).
    #[arg(long, default_value_t = 0.1, value_parser = parse_scale)]
    pub mbr_scale: f64,
    /// References (`id w1 w2 ...` lines) to attach, for the WER summary.
    #[arg(long)]
    pub refs: Option<PathBuf>,
    /// Worker threads, 1 to 1024 (default: all cores).
    #[arg(long, value_parser = parse_threads)]
    pub threads: Option<usize>,
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

/// An MBR posterior scale: a finite number >= 0.
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

/// Reads lists in `format` and attaches references from `refs`, if given.
pub fn read_input(
    input: &Path,
    format: Format,
    refs: Option<&Path>,
) -> Result<Vec<NbestList>, BoxError> {
    let mut lists = read_lists(input, format)?;
    if let Some(refs) = refs {
        let map: HashMap<String, Vec<String>> = kaldi::read_text_path(refs)?.into_iter().collect();
        let n = attach_references(&mut lists, &map);
        if n < lists.len() {
            eprintln!(
                "dashlm: {} of {} utterances have no reference in {}",
                lists.len() - n,
                lists.len(),
                refs.display()
            );
        }
    }
    Ok(lists)
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

fn wer_line(name: &str, c: &ErrorCounts) -> String {
    format!("{name:<16} {c}")
}

/// Prints 1-best, chosen and oracle WER when some list has a reference.
pub fn print_wer(w: &NbestWer, chosen_name: &str) {
    if w.lists == 0 {
        return;
    }
    eprintln!("WER over {} utterances with references:", w.lists);
    eprintln!("{}", wer_line("  1-best (input)", &w.first));
    eprintln!("{}", wer_line(&format!("  {chosen_name}"), &w.chosen));
    eprintln!("{}", wer_line("  oracle", &w.oracle));
}

/// Writes `id w1 w2 ...` lines of the chosen hypotheses.
pub fn write_best_text(
    path: &Path,
    lists: &[NbestList],
    chosen: &[Option<usize>],
) -> io::Result<()> {
    let mut out: Box<dyn Write> = if path.as_os_str() == "-" {
        Box::new(BufWriter::new(io::stdout().lock()))
    } else {
        Box::new(BufWriter::new(File::create(path)?))
    };
    for (list, c) in lists.iter().zip(chosen) {
        let empty = Words::new();
        let words = c
            .and_then(|i| list.hyps.get(i))
            .map_or(&empty, |h| &h.words);
        kaldi::write_text(&mut out, [(list.id.as_str(), words)])?;
    }
    out.flush()
}

/// An error if the two outputs are one file, or if a directory format's
/// output directory holds the best-text file or anything the command reads
/// (`read`): writing the lists there would replace them (an input list's
/// n-best files, a references file named `refs`, ...).
fn check_outputs_apart(
    output: Option<&Path>,
    best_text: Option<&Path>,
    format: Format,
    read: &[(&Path, &str)],
) -> Result<(), String> {
    if let (Some(out), Some(best)) = (output, best_text) {
        if out == best || super::load::same_file(out, best) {
            return Err(format!(
                "{}: --output and --best-text name the same file",
                out.display()
            ));
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

/// Whether `path` (existing or to be created) lies in directory `dir` or
/// below it.
fn inside(dir: &Path, path: &Path) -> bool {
    let Ok(dir) = std::fs::canonicalize(dir) else {
        // Not created yet: only a path spelled under it can be in it.
        return path.starts_with(dir);
    };
    let full = std::fs::canonicalize(path).or_else(|_| {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        std::fs::canonicalize(parent.unwrap_or(Path::new(".")))
    });
    full.is_ok_and(|p| p.starts_with(&dir))
}

/// The most hypotheses a list may have for `--mbr`, which compares every pair
/// (a table of `n^2` distances: 100 MB and 25 million alignments at the limit).
const MAX_MBR_HYPS: usize = 5_000;

/// An error naming the first list too long for MBR.
pub fn check_mbr_lists(lists: &[NbestList]) -> Result<(), String> {
    match lists.iter().find(|l| l.hyps.len() > MAX_MBR_HYPS) {
        Some(l) => Err(format!(
            "utterance `{}` has {} hypotheses: --mbr compares every pair, at most {} per \
             list (keep the best ones, e.g. rescore with --top first)",
            l.id,
            l.hyps.len(),
            MAX_MBR_HYPS
        )),
        None => Ok(()),
    }
}

/// Loads the model named on the command line: ARPA or compiled, whichever the
/// file is (the one place the rescoring commands open models).
pub fn load_model(path: &Path) -> Result<super::load::Loaded, BoxError> {
    super::load::open_model(path)
}

pub fn run(args: Args) -> Result<(), BoxError> {
    set_threads(args.threads)?;
    let output = match (&args.output, args.format, &args.best_text) {
        (Some(p), Format::Srilm | Format::Kaldi, _) if p.as_os_str() == "-" => {
            return Err(format!(
                "--format {} writes a directory, not standard output: give --output DIR",
                args.format
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
        (Some(args.model.as_path()), "the model file"),
        (Some(args.input.as_path()), "the input"),
        (args.refs.as_deref(), "the references file"),
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
        args.format,
        &read,
    )?;
    if let Some(dir) = output.as_deref().filter(|_| args.format != Format::Jsonl) {
        // Before the scoring, not after it.
        check_new_dir(dir)?;
    }
    let lists = read_input(&args.input, args.format, args.refs.as_deref())?;
    if args.mbr {
        check_mbr_lists(&lists)?;
    }
    let loaded = load_model(&args.model)?;
    let rescored = crate::with_model!(&loaded, |m| rescore(m, &lists, &args))?;
    if let Some(out) = &output {
        write_lists(out, args.format, &rescored.output)?;
    }
    if let Some(path) = &args.best_text {
        write_best_text(path, &lists, &rescored.chosen)?;
    }
    print_wer(
        &nbest_wer(&lists, &rescored.chosen),
        if args.mbr {
            "rescored (MBR)"
        } else {
            "rescored"
        },
    );
    Ok(())
}

struct Output {
    output: Vec<NbestList>,
    chosen: Vec<Option<usize>>,
}

fn rescore<M: LanguageModel>(
    model: &M,
    lists: &[NbestList],
    args: &Args,
) -> Result<Output, BoxError> {
    let (scores, stats, elapsed) = score_with_progress(model, lists);
    print_stats(&stats, elapsed);
    let weights = Weights {
        acoustic_scale: args.acoustic_scale,
        lm_weight: args.lm_weight,
        word_insertion_penalty: args.wip,
        first_pass_lm_weight: args.first_pass_lm_weight,
    };
    let mut rescorer = Rescorer::new(model, weights);
    if args.mbr {
        rescorer = rescorer.with_mbr(args.mbr_scale);
    }
    use rayon::prelude::*;
    let rescored: Vec<_> = lists
        .par_iter()
        .zip(&scores)
        .map(|(l, s)| rescorer.rescore_scored(l, s))
        .collect();
    // Finite weights and scores can still combine past f64's range: such a
    // total ranks nothing and cannot be written back.
    for (l, r) in lists.iter().zip(&rescored) {
        if let Some(k) = r.totals.iter().position(|t| !t.is_finite()) {
            return Err(format!(
                "utterance `{}`, hypothesis {}: the combined score is {} (weights or \
                 scores too large)",
                l.id,
                k + 1,
                r.totals[k]
            )
            .into());
        }
    }
    let output = lists
        .iter()
        .zip(&rescored)
        .map(|(l, r)| r.apply(l, args.top))
        .collect();
    let chosen = rescored.iter().map(|r| r.best()).collect();
    Ok(Output { output, chosen })
}
