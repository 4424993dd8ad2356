//! Scoring many n-best lists: consecutive groups of [`GROUP_LISTS`], each
//! scored together by one [`LmScorer`] (see [`LmScorer::score_lists_into`]),
//! in parallel ([`score_lists`]) or on the calling thread
//! ([`score_lists_sequential`]).

use rayon::prelude::*;

use super::nbest::NbestList;
use super::scorer::{LmScorer, ScorerStats};
use crate::lm::LanguageModel;

/// Lists scored together by [`score_lists`] and [`score_lists_sequential`]
/// (consecutive groups of this many, through [`LmScorer::score_lists_into`]).
///
/// Six: enough lists take turns to hide a query's wait for memory, and a
/// group's memo, ids and cursors stay small. On the Zen 4 VM of session 70
/// (`rescore_bench` with `--only dashlm-1`, the group sizes alternating), 6
/// ran 1.024-1.029x as fast as 8 on `big.jsonl` (synth-dev 30 times, whose
/// model lines stay cached) and 1.018-1.055x on 5,000 lists not repeated
/// (`examples/gen_nbest.rs`), whose model lines come from memory; 3, 4 and 5
/// were as fast as 6 on the first, but 3 and 4 slower than 8 on the second
/// (0.95x and 0.99x).
///
/// ```
/// use dashlm::rescore::{score_lists, Hypothesis, NbestList, GROUP_LISTS};
/// # let lm = dashlm::ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
/// assert_eq!(GROUP_LISTS, 6);
/// let lists: Vec<_> = (0..GROUP_LISTS + 1).map(|i| NbestList::new(&i.to_string()).with_hyp(Hypothesis::new("the cat", 0.0))).collect();
/// # use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
/// let (groups, done) = (AtomicUsize::new(0), AtomicUsize::new(0));
/// score_lists(&lm, &lists, |n| { groups.fetch_add(1, Relaxed); done.fetch_add(n, Relaxed); });
/// assert_eq!((groups.into_inner(), done.into_inner()), (2, GROUP_LISTS + 1)); // 6 + 1
/// ```
pub const GROUP_LISTS: usize = 6;

/// New LM scores for every list, in parallel (rayon), in input order; each
/// list's scores are as [`LmScorer::score_list`] gives. Lists are scored in
/// consecutive groups of [`GROUP_LISTS`] (the same groups as
/// [`score_lists_sequential`], so the statistics are the same too). `progress` is called with
/// the number of lists finished by each step (e.g. to advance a progress bar).
///
/// ```
/// use dashlm::ReferenceModel;
/// use dashlm::rescore::{score_lists, score_lists_sequential, Hypothesis, NbestList};
/// let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
/// let lists: Vec<_> = (0..10).map(|i| NbestList::new(&i.to_string()).with_hyp(Hypothesis::new("the cat", 0.0))).collect();
/// let (par, stats) = score_lists(&lm, &lists, |_| {});
/// assert_eq!(par, score_lists_sequential(&lm, &lists).0);
/// assert_eq!(stats.lists, 10);
/// ```
pub fn score_lists<M: LanguageModel>(
    model: &M,
    lists: &[NbestList],
    progress: impl Fn(usize) + Sync,
) -> (Vec<Vec<f64>>, ScorerStats) {
    // Each piece of work rayon splits off starts a scorer (`map_init`) whose
    // word cache starts empty, and rayon splits down to single groups: pieces
    // of at least a quarter of a thread's share (at most about four per
    // thread, which still lets an idle thread take work from a busy one).
    // synth-dev, two threads: 1.15x the words/s by the medians (5 pairs).
    let groups = lists.len().div_ceil(GROUP_LISTS);
    let per_thread = groups.div_ceil(rayon::current_num_threads().max(1));
    let results: Vec<(Vec<Vec<f64>>, ScorerStats)> = lists
        .par_chunks(GROUP_LISTS)
        .with_min_len((per_thread / 4).max(1))
        .map_init(
            || LmScorer::new(model),
            |scorer, group| {
                let before = scorer.stats();
                let mut scores = Vec::with_capacity(group.len());
                scorer.score_lists_into(group, &mut scores);
                let after = scorer.stats();
                progress(group.len());
                let delta = ScorerStats {
                    lists: after.lists - before.lists,
                    hyps: after.hyps - before.hyps,
                    words: after.words - before.words,
                    queries: after.queries - before.queries,
                };
                (scores, delta)
            },
        )
        .collect();
    let mut stats = ScorerStats::default();
    let mut scores = Vec::with_capacity(lists.len());
    for (s, d) in results {
        stats.add(&d);
        scores.extend(s);
    }
    (scores, stats)
}

/// New LM scores for every list on the calling thread, with one scorer.
///
/// ```
/// use dashlm::ReferenceModel;
/// use dashlm::rescore::{score_lists_sequential, Hypothesis, NbestList};
/// let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
/// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("the cat", 0.0))];
/// let (scores, stats) = score_lists_sequential(&lm, &lists);
/// assert_eq!(scores[0].len(), 1);
/// assert_eq!(stats.words, 2);
/// ```
pub fn score_lists_sequential<M: LanguageModel>(
    model: &M,
    lists: &[NbestList],
) -> (Vec<Vec<f64>>, ScorerStats) {
    let mut scorer = LmScorer::new(model);
    let mut scores = Vec::with_capacity(lists.len());
    for group in lists.chunks(GROUP_LISTS) {
        scorer.score_lists_into(group, &mut scores);
    }
    (scores, scorer.stats())
}
