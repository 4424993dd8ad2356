//! What `dashlm rescore` and `dashlm tune` print on stderr (progress, the
//! scoring counts, the vocabulary coverage, WER summaries, notes), and the
//! limits on the work they accept.

use std::time::{Duration, Instant};

use dashlm::rescore::coverage::Coverage;
use dashlm::rescore::wer::{ErrorCounts, NbestWer};
use dashlm::rescore::{score_lists, HypFeatures, NbestList, ScorerStats};
use dashlm::LanguageModel;
use indicatif::ProgressBar;

/// A progress bar over lists, drawn on stderr only when it is a terminal.
fn list_progress(len: usize, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    super::load::styled(bar, "{msg} [{bar:40}] {pos}/{len} ({eta})", message)
}

/// A progress bar over `tune`'s grid cells (the coarse grid, then at most
/// `(2 x fine_divisions + 1)^2` of the finer pass), drawn on stderr only when
/// it is a terminal: the search can take longer than the scoring.
pub fn grid_progress(options: &dashlm::rescore::TuneOptions) -> ProgressBar {
    let fine = match options.fine_divisions {
        0 | 1 => 0,
        d => (2 * d as u64 + 1).pow(2),
    };
    let cells = (options.grid_cells() as u64).saturating_add(fine);
    let bar = ProgressBar::new(cells);
    super::load::styled(bar, "{msg} [{bar:40}] {pos}/{len} cells ({eta})", "tuning")
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
    super::load::note!(
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
    super::load::note!("{}", coverage.summary());
    if let Some(warning) = coverage.warning() {
        super::load::note!("dashlm: warning: {warning}");
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
        true => super::load::note!(
            "WER over {} of {total} utterances with references:",
            w.lists
        ),
        false => super::load::note!("WER over {} utterances with references:", w.lists),
    }
    super::load::note!("{}", wer_line("  1-best (input)", &w.first));
    super::load::note!("{}", wer_line(&format!("  {chosen_name}"), &w.chosen));
    super::load::note!("{}", wer_line("  oracle", &w.oracle));
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
        super::load::note!(
            "dashlm: note: {hyps} {} (in {utterances} {}) {} a score of probability zero \
             (-inf): each ranks last unless that score is weighted 0",
            plural(hyps, "hypothesis", "hypotheses"),
            plural(utterances, "utterance", "utterances"),
            plural(hyps, "has", "have"),
        );
    }
}
