//! Rescoring n-best lists with a [`LanguageModel`].
//!
//! # Score combination
//!
//! Every score is a **natural log**. Per hypothesis,
//!
//! ```text
//! total = acoustic_scale * acoustic
//!       + lm_weight * new_lm
//!       + word_insertion_penalty * num_words
//!       + first_pass_lm_weight * first_pass_lm        (default weight 0)
//! ```
//!
//! where `new_lm = ln 10 * log10 P(w1 ... wn </s> | <s>)` is the new model's
//! score (the models give log10 probabilities; they are converted with
//! `x * ln 10`), `num_words = n` (without `<s>` and `</s>`), and `first_pass_lm`
//! is the list's own LM score (0 when absent). Hypotheses are sorted by `total`,
//! best first; the sort is stable, so ties keep their input order (a NaN total
//! sorts last).
//!
//! # Scoring
//!
//! Hypotheses of one list share prefixes, and more: once two of them reach the
//! same model state they continue alike. [`LmScorer`] advances a list's
//! hypotheses together, position by position: a shared prefix is copied from the
//! previous hypothesis, and each distinct `(state, word)` transition (state by
//! identity, so each distinct prefix and more) is scored once, with one
//! [`LanguageModel::full_score_batch`] call per position (models override that
//! call to overlap their memory accesses). Sums are accumulated in `f32` in
//! sentence order, so each hypothesis gets exactly the value
//! [`LanguageModel::score_sentence`] gives. Lists are scored in groups of
//! [`GROUP_LISTS`], in parallel with rayon; results are in input order and
//! identical to the sequential path.

use std::cmp::Ordering;

use rayon::prelude::*;

use super::mbr;
use super::memo::{Memo, WordCache};
use super::nbest::NbestList;
use crate::lm::{FullScore, LanguageModel};
use crate::vocab::WordId;

/// `ln 10`: multiply a log10 value by it to get a natural log.
pub const LN_10: f64 = std::f64::consts::LN_10;

/// The weights of the score combination (see the [module](self) docs).
///
/// ```
/// use dashlm::rescore::{HypFeatures, Weights};
/// let w = Weights { lm_weight: 10.0, word_insertion_penalty: -0.5, ..Weights::default() };
/// let f = HypFeatures { acoustic: -100.0, first_pass_lm: -30.0, new_lm: -20.0, num_words: 4 };
/// assert_eq!(w.combine(&f), -100.0 + 10.0 * -20.0 - 0.5 * 4.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weights {
    /// Weight of the acoustic score (default 1).
    pub acoustic_scale: f64,
    /// Weight of the new LM's natural-log probability (default 1).
    pub lm_weight: f64,
    /// Added per word (default 0; negative values penalize words).
    pub word_insertion_penalty: f64,
    /// Weight of the list's own first-pass LM score (default 0).
    pub first_pass_lm_weight: f64,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights {
            acoustic_scale: 1.0,
            lm_weight: 1.0,
            word_insertion_penalty: 0.0,
            first_pass_lm_weight: 0.0,
        }
    }
}

impl Weights {
    /// The combined score of one hypothesis.
    ///
    /// ```
    /// use dashlm::rescore::{HypFeatures, Weights};
    /// let f = HypFeatures { acoustic: -1.0, first_pass_lm: -2.0, new_lm: -3.0, num_words: 1 };
    /// assert_eq!(Weights::default().combine(&f), -4.0);
    /// ```
    pub fn combine(&self, f: &HypFeatures) -> f64 {
        let mut total = self.acoustic_scale * f.acoustic
            + self.lm_weight * f.new_lm
            + self.word_insertion_penalty * f.num_words as f64;
        if self.first_pass_lm_weight != 0.0 {
            total += self.first_pass_lm_weight * f.first_pass_lm;
        }
        total
    }
}

/// The weight-independent inputs of the combination for one hypothesis.
///
/// ```
/// let f = dashlm::rescore::HypFeatures { acoustic: -1.0, first_pass_lm: 0.0, new_lm: -2.0, num_words: 3 };
/// assert_eq!(f.num_words, 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HypFeatures {
    /// The acoustic score (natural log).
    pub acoustic: f64,
    /// The first-pass LM score (natural log; 0 when the list has none).
    pub first_pass_lm: f64,
    /// The new LM's score of the words and `</s>` after `<s>` (natural log).
    pub new_lm: f64,
    /// The number of words.
    pub num_words: usize,
}

/// The features of every hypothesis of `list`, given the new LM scores.
///
/// ```
/// use dashlm::rescore::{features, Hypothesis, NbestList};
/// let list = NbestList::new("u").with_hyp(Hypothesis::new("a b", -5.0).with_lm(-1.0));
/// let f = features(&list, &[-2.0]);
/// assert_eq!((f[0].acoustic, f[0].first_pass_lm, f[0].new_lm, f[0].num_words), (-5.0, -1.0, -2.0, 2));
/// ```
pub fn features(list: &NbestList, new_lm: &[f64]) -> Vec<HypFeatures> {
    list.hyps
        .iter()
        .zip(new_lm)
        .map(|(h, &lm)| HypFeatures {
            acoustic: h.acoustic,
            first_pass_lm: h.lm.unwrap_or(0.0),
            new_lm: lm,
            num_words: h.words.len(),
        })
        .collect()
}

/// Indices of `totals` from best to worst: a stable sort (ties keep index
/// order), NaN last.
///
/// ```
/// assert_eq!(dashlm::rescore::rank(&[1.0, 3.0, f64::NAN, 3.0]), [1, 3, 0, 2]);
/// ```
pub fn rank(totals: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..totals.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (totals[a], totals[b]);
        match (x.is_nan(), y.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => y.partial_cmp(&x).expect("not NaN"),
        }
    });
    order
}

/// Scores n-best lists with a model, sharing work between hypotheses, reusing
/// its buffers from list to list. One scorer per thread.
///
/// - **Words**: each word spelling becomes a model id once per scorer (a small
///   table of the spellings seen so far, up to [`LmScorer::WORD_CACHE_BYTES`]
///   bytes of text, then started afresh), not once per word.
/// - **Sharing**: the hypotheses of a list (or of a group of lists, see
///   [`LmScorer::score_lists_into`]) advance together, one word position at a
///   time. A hypothesis that agrees with the previous one on its first `k` words
///   copies that hypothesis' state and sum for those positions. Every other step is
///   a transition `(state, word)` looked up in a memo keyed by the model state's
///   identity ([`LanguageModel::State`]'s `Eq`/`Hash`): once two hypotheses have
///   reached the same state (for an N-gram model, at the latest after N-1 equal
///   words), their equal continuations are scored once. The prefix trie of the
///   list becomes a graph, and only its distinct `(state, word)` arcs reach the
///   model.
/// - **Batches**: the arcs not seen yet at a position go to the model in one
///   [`LanguageModel::full_score_batch`] call (models overlap their memory accesses
///   there); a hypothesis' `</s>` is scored at the position after its last word.
///
/// Sums are accumulated in `f32` in sentence order, so each hypothesis gets
/// exactly the value [`LanguageModel::score_sentence`] gives. Nothing is
/// allocated per hypothesis; buffers are reused from list to list.
///
/// ```
/// use dashlm::{LanguageModel, ReferenceModel};
/// use dashlm::rescore::{Hypothesis, LmScorer, NbestList, LN_10};
/// let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
/// let list = NbestList::new("u")
///     .with_hyp(Hypothesis::new("the cat sat", 0.0))
///     .with_hyp(Hypothesis::new("the cat", 0.0));
/// let mut scorer = LmScorer::new(&lm);
/// let scores = scorer.score_list(&list);
/// let ids: Vec<u32> = ["the", "cat"].iter().map(|w| lm.word_id(w.as_bytes())).collect();
/// assert_eq!(scores[1], lm.score_sentence(&ids, true, true) as f64 * LN_10);
/// assert_eq!(scorer.stats().queries, 5); // the, cat, sat, and two </s>
/// ```
pub struct LmScorer<'m, M: LanguageModel> {
    model: &'m M,
    eos: WordId,
    /// Word spellings seen, and their ids.
    words: WordCache,
    /// Per list: model states seen, and their indices.
    pool: Vec<M::State>,
    pool_index: hashbrown::HashMap<M::State, u32, ahash::RandomState>,
    /// Per list: `(state index << 32 | word)` -> `(next state index << 32 | score
    /// bits)`, or `(PENDING << 32 | batch slot)` while the query is in flight.
    memo: Memo,
    /// Per list: the word ids of all hypotheses, and where each starts.
    ids: Vec<WordId>,
    starts: Vec<u32>,
    /// Per hypothesis: words shared with the previous hypothesis.
    lcp: Vec<u32>,
    /// Per hypothesis: current state index and log10 sum.
    at: Vec<u32>,
    cum: Vec<f32>,
    /// Hypotheses still running, in list order.
    active: Vec<u32>,
    /// Per active hypothesis at the current position: what to do after the batch.
    step: Vec<u64>,
    /// Per query of the batch: its memo key and memo slot.
    pending_keys: Vec<u64>,
    pending_slots: Vec<usize>,
    in_states: Vec<M::State>,
    batch_words: Vec<WordId>,
    out_states: Vec<M::State>,
    out_scores: Vec<FullScore>,
    resolved: Vec<u64>,
    stats: ScorerStats,
}

/// Counts kept by an [`LmScorer`].
///
/// ```
/// let s = dashlm::rescore::ScorerStats::default();
/// assert_eq!(s.queries, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScorerStats {
    /// Lists scored.
    pub lists: u64,
    /// Hypotheses scored.
    pub hyps: u64,
    /// Hypothesis words scored, without `</s>`.
    pub words: u64,
    /// Model queries made: distinct `(state, word)` transitions, `</s>` included.
    pub queries: u64,
}

impl ScorerStats {
    /// Adds another scorer's counts.
    ///
    /// ```
    /// let mut a = dashlm::rescore::ScorerStats { lists: 1, hyps: 2, words: 3, queries: 4 };
    /// a.add(&a.clone());
    /// assert_eq!(a.queries, 8);
    /// ```
    pub fn add(&mut self, other: &ScorerStats) {
        self.lists += other.lists;
        self.hyps += other.hyps;
        self.words += other.words;
        self.queries += other.queries;
    }
}

const PENDING: u64 = u32::MAX as u64;
/// `step` value: copy the previous hypothesis' state and sum.
const FOLLOW: u64 = u64::MAX;

/// Whether two words are equal: lengths, then bytes, compared in registers
/// (words are short; `memcmp` calls would dominate).
#[inline(always)]
pub(crate) fn same_word(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let u64_at = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let u32_at = |s: &[u8], i: usize| u32::from_le_bytes(s[i..i + 4].try_into().expect("4 bytes"));
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => u32_at(a, 0) == u32_at(b, 0) && u32_at(a, n - 4) == u32_at(b, n - 4),
        8..=16 => u64_at(a, 0) == u64_at(b, 0) && u64_at(a, n - 8) == u64_at(b, n - 8),
        _ => a == b,
    }
}

impl<'m, M: LanguageModel> LmScorer<'m, M> {
    /// The word-id cache is started afresh when its text exceeds this many bytes.
    pub const WORD_CACHE_BYTES: usize = 1 << 22;

    /// A scorer for `model`.
    ///
    /// ```
    /// use dashlm::ReferenceModel;
    /// let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let scorer = dashlm::rescore::LmScorer::new(&lm);
    /// assert_eq!(scorer.stats().lists, 0);
    /// ```
    pub fn new(model: &'m M) -> LmScorer<'m, M> {
        let seeded = || ahash::RandomState::with_seeds(7, 8, 9, 10);
        LmScorer {
            model,
            eos: model.eos_id(),
            words: WordCache::new(Self::WORD_CACHE_BYTES),
            pool: Vec::new(),
            pool_index: hashbrown::HashMap::with_hasher(seeded()),
            memo: Memo::new(),
            ids: Vec::new(),
            starts: Vec::new(),
            lcp: Vec::new(),
            at: Vec::new(),
            cum: Vec::new(),
            active: Vec::new(),
            step: Vec::new(),
            pending_keys: Vec::new(),
            pending_slots: Vec::new(),
            in_states: Vec::new(),
            batch_words: Vec::new(),
            out_states: Vec::new(),
            out_scores: Vec::new(),
            resolved: Vec::new(),
            stats: ScorerStats::default(),
        }
    }

    /// The counts so far.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(dashlm::rescore::LmScorer::new(&lm).stats().hyps, 0);
    /// ```
    pub fn stats(&self) -> ScorerStats {
        self.stats
    }

    /// The new LM score (natural log, `</s>` included, `<s>` as context) of each
    /// hypothesis of `list`, in list order.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # use dashlm::rescore::{Hypothesis, LmScorer, NbestList};
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let list = NbestList::new("u").with_hyp(Hypothesis::new("", 0.0));
    /// let s = LmScorer::new(&lm).score_list(&list);
    /// assert!(s[0] < 0.0); // P(</s> | <s>)
    /// ```
    pub fn score_list(&mut self, list: &NbestList) -> Vec<f64> {
        let mut out = Vec::with_capacity(list.hyps.len());
        self.score_list_into(list, &mut out);
        out
    }

    /// As [`LmScorer::score_list`], writing into `out` (cleared first).
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # use dashlm::rescore::{Hypothesis, LmScorer, NbestList};
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let list = NbestList::new("u").with_hyp(Hypothesis::new("the", 0.0));
    /// let mut out = vec![1.0, 2.0];
    /// LmScorer::new(&lm).score_list_into(&list, &mut out);
    /// assert_eq!(out.len(), 1);
    /// ```
    pub fn score_list_into(&mut self, list: &NbestList, out: &mut Vec<f64>) {
        out.clear();
        self.score_group(std::slice::from_ref(list));
        out.extend(self.cum.iter().map(|&c| f64::from(c) * LN_10));
    }

    /// The new LM scores of every list of `lists` (one `Vec` per list, in
    /// order, appended to `out`), scoring the lists together as one group: their
    /// queries share batches (more memory accesses in flight) and one memo (a
    /// `(state, word)` pair is queried once per group). The scores equal
    /// [`LmScorer::score_list`]'s; only [`ScorerStats::queries`] can be lower.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # use dashlm::rescore::{Hypothesis, LmScorer, NbestList};
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let lists = vec![
    ///     NbestList::new("a").with_hyp(Hypothesis::new("the cat", 0.0)),
    ///     NbestList::new("b").with_hyp(Hypothesis::new("the", 0.0)).with_hyp(Hypothesis::new("the cat", 0.0)),
    /// ];
    /// let mut scorer = LmScorer::new(&lm);
    /// let mut out = Vec::new();
    /// scorer.score_lists_into(&lists, &mut out);
    /// assert_eq!(out[0], LmScorer::new(&lm).score_list(&lists[0]));
    /// assert_eq!(out[1], LmScorer::new(&lm).score_list(&lists[1]));
    /// assert_eq!(scorer.stats().queries, 4); // the, cat, </s> twice
    /// ```
    pub fn score_lists_into(&mut self, lists: &[NbestList], out: &mut Vec<Vec<f64>>) {
        self.score_group(lists);
        let mut cum = &self.cum[..];
        for list in lists {
            let (head, rest) = cum.split_at(list.hyps.len());
            out.push(head.iter().map(|&c| f64::from(c) * LN_10).collect());
            cum = rest;
        }
    }

    /// Scores the hypotheses of `lists` together; leaves their log10 sums in
    /// `self.cum`, in order.
    fn score_group(&mut self, lists: &[NbestList]) {
        self.ids.clear();
        self.starts.clear();
        self.starts.push(0);
        self.lcp.clear();
        let mut max_len = 0;
        for list in lists {
            max_len = max_len.max(self.prepare(list));
        }
        let n = self.lcp.len();
        self.pool.clear();
        self.pool_index.clear();
        self.memo.clear();
        let root = self.model.begin_sentence_state();
        self.pool.push(root);
        self.pool_index.insert(root, 0);
        self.at.clear();
        self.at.resize(n, 0);
        self.cum.clear();
        self.cum.resize(n, 0.0);
        self.active.clear();
        self.active.extend(0..n as u32);
        for depth in 0..=max_len {
            if self.active.is_empty() {
                break;
            }
            self.pending_keys.clear();
            self.pending_slots.clear();
            self.step.clear();
            // No growth while this position's slots are pending.
            self.memo.reserve(self.active.len());
            for k in 0..self.active.len() {
                let i = self.active[k] as usize;
                let step = if depth < self.lcp[i] {
                    FOLLOW
                } else {
                    let start = self.starts[i] as usize;
                    let len = self.starts[i + 1] as usize - start;
                    let word = if (depth as usize) < len {
                        self.ids[start + depth as usize]
                    } else {
                        self.eos
                    };
                    self.transition(self.at[i], word)
                };
                self.step.push(step);
            }
            self.run_batch();
            let mut kept = 0;
            for k in 0..self.active.len() {
                let i = self.active[k] as usize;
                match self.step[k] {
                    FOLLOW => {
                        self.at[i] = self.at[i - 1];
                        self.cum[i] = self.cum[i - 1];
                    }
                    mut v => {
                        if v >> 32 == PENDING {
                            v = self.resolved[(v & 0xffff_ffff) as usize];
                        }
                        self.at[i] = (v >> 32) as u32;
                        self.cum[i] += f32::from_bits(v as u32);
                    }
                }
                // Still running unless this step was its `</s>`.
                if depth < self.starts[i + 1] - self.starts[i] {
                    self.active[kept] = i as u32;
                    kept += 1;
                }
            }
            self.active.truncate(kept);
        }
    }

    /// Appends the list's word ids and each hypothesis' shared prefix with the
    /// previous one of the list; returns the longest hypothesis' length.
    fn prepare(&mut self, list: &NbestList) -> u32 {
        let hyps = &list.hyps;
        let mut max_len = 0;
        let mut prev_start = self.ids.len();
        let first_word = self.ids.len();
        for (i, h) in hyps.iter().enumerate() {
            // Each hypothesis' words, and each word's bytes, are separate
            // allocations: ask for the word list of the hypothesis four ahead and
            // the bytes of the one two ahead while this one is hashed (about 10%
            // faster on the synthetic dev set).
            if let Some(ahead) = hyps.get(i + 4) {
                crate::format::prefetch_items(&ahead.words);
            }
            if let Some(next) = hyps.get(i + 2) {
                for w in &next.words {
                    crate::format::prefetch_items(w.as_bytes());
                }
            }
            let start = self.ids.len();
            for word in &h.words {
                let id = self.word_id(word.as_bytes());
                self.ids.push(id);
            }
            let prev_ids = &self.ids[prev_start..start];
            let shared = prev_ids
                .iter()
                .zip(&self.ids[start..])
                .take_while(|(a, b)| a == b)
                .count() as u32;
            self.lcp.push(shared);
            self.starts.push(self.ids.len() as u32);
            max_len = max_len.max(h.words.len() as u32);
            prev_start = start;
        }
        self.stats.lists += 1;
        self.stats.hyps += hyps.len() as u64;
        self.stats.words += (self.ids.len() - first_word) as u64;
        max_len
    }

    /// The model id of `word`, from the cache of spellings or the model.
    #[inline]
    fn word_id(&mut self, word: &[u8]) -> WordId {
        let model = self.model;
        self.words.get(word, |w| model.word_id(w))
    }

    /// The memo entry for `(state, word)`, queueing a query when it is new.
    #[inline]
    fn transition(&mut self, state: u32, word: WordId) -> u64 {
        let key = (u64::from(state) << 32) | u64::from(word);
        let pending = (PENDING << 32) | self.pending_keys.len() as u64;
        let (slot, v) = self.memo.find_or_insert(key, pending);
        if v == pending {
            self.pending_keys.push(key);
            self.pending_slots.push(slot);
        }
        v
    }

    fn run_batch(&mut self) {
        let n = self.pending_keys.len();
        self.resolved.clear();
        if n == 0 {
            return;
        }
        let model = self.model;
        self.in_states.clear();
        self.batch_words.clear();
        for &key in &self.pending_keys {
            self.in_states.push(self.pool[(key >> 32) as usize]);
            self.batch_words.push(key as u32);
        }
        if self.out_states.len() < n {
            self.out_states.resize(n, self.in_states[0]);
            let zero = FullScore {
                log10_prob: 0.0,
                ngram_length: 0,
            };
            self.out_scores.resize(n, zero);
        }
        model.full_score_batch(
            &self.in_states,
            &self.batch_words,
            &mut self.out_states[..n],
            &mut self.out_scores[..n],
        );
        self.stats.queries += n as u64;
        for k in 0..n {
            let state = self.out_states[k];
            let next = match self.pool_index.get(&state) {
                Some(&i) => i,
                None => {
                    let i = self.pool.len() as u32;
                    self.pool.push(state);
                    self.pool_index.insert(state, i);
                    i
                }
            };
            let v = (u64::from(next) << 32) | u64::from(self.out_scores[k].log10_prob.to_bits());
            self.memo.set(self.pending_slots[k], v);
            self.resolved.push(v);
        }
    }
}

/// Lists scored together by [`score_lists`] and [`score_lists_sequential`]
/// (consecutive groups of this many, through [`LmScorer::score_lists_into`]).
pub const GROUP_LISTS: usize = 8;

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
    let results: Vec<(Vec<Vec<f64>>, ScorerStats)> = lists
        .par_chunks(GROUP_LISTS)
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

/// One rescored list: the features, totals and ranking of its hypotheses
/// (indices refer to the list's original order).
///
/// ```
/// use dashlm::rescore::{HypFeatures, Rescored, Weights};
/// let f = |a| HypFeatures { acoustic: a, first_pass_lm: 0.0, new_lm: 0.0, num_words: 1 };
/// let r = Rescored::from_features(vec![f(-2.0), f(-1.0)], &Weights::default(), None);
/// assert_eq!(r.order, [1, 0]);
/// assert_eq!(r.best(), Some(1));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Rescored {
    /// Per hypothesis (original order): the combination's inputs.
    pub features: Vec<HypFeatures>,
    /// Per hypothesis (original order): the combined score.
    pub totals: Vec<f64>,
    /// Hypothesis indices, best first (with MBR, the MBR choice first, then the
    /// rest by total).
    pub order: Vec<usize>,
    /// With MBR: per hypothesis, the posterior and the expected word errors.
    pub mbr: Option<mbr::MbrResult>,
}

impl Rescored {
    /// Ranks hypotheses with `weights`; with `mbr_scale`, chooses the first
    /// by minimum Bayes risk (see [`super::mbr`]) using `hyps`' words, which
    /// must then be given.
    ///
    /// ```
    /// use dashlm::rescore::{HypFeatures, Rescored, Weights};
    /// let f = |lm| HypFeatures { acoustic: 0.0, first_pass_lm: 0.0, new_lm: lm, num_words: 1 };
    /// let r = Rescored::from_features(vec![f(-1.0), f(-1.0)], &Weights::default(), None);
    /// assert_eq!(r.order, [0, 1]); // ties keep input order
    /// ```
    pub fn from_features(
        features: Vec<HypFeatures>,
        weights: &Weights,
        mbr_words: Option<(&[Vec<String>], f64)>,
    ) -> Rescored {
        let totals: Vec<f64> = features.iter().map(|f| weights.combine(f)).collect();
        let mut order = rank(&totals);
        let mbr = mbr_words.map(|(words, scale)| {
            let refs: Vec<&[String]> = words.iter().map(|w| &w[..]).collect();
            let dist = mbr::DistanceMatrix::new(&refs);
            let result = mbr::select(&dist, &totals, scale);
            if let Some(pos) = order.iter().position(|&i| i == result.choice) {
                let c = order.remove(pos);
                order.insert(0, c);
            }
            result
        });
        Rescored {
            features,
            totals,
            order,
            mbr,
        }
    }

    /// The index of the chosen hypothesis (the first of [`Rescored::order`]).
    ///
    /// ```
    /// use dashlm::rescore::{Rescored, Weights};
    /// assert_eq!(Rescored::from_features(vec![], &Weights::default(), None).best(), None);
    /// ```
    pub fn best(&self) -> Option<usize> {
        self.order.first().copied()
    }

    /// The list re-ranked: hypotheses in [`Rescored::order`] (at most `top`), each
    /// with the extra scores `new_lm` and `total` (and, with MBR, `posterior` and
    /// `expected_errors`).
    ///
    /// ```
    /// use dashlm::rescore::{HypFeatures, Hypothesis, NbestList, Rescored, Weights};
    /// let list = NbestList::new("u").with_hyp(Hypothesis::new("a", -2.0)).with_hyp(Hypothesis::new("b", -1.0));
    /// let f = |a| HypFeatures { acoustic: a, first_pass_lm: 0.0, new_lm: -0.5, num_words: 1 };
    /// let r = Rescored::from_features(vec![f(-2.0), f(-1.0)], &Weights::default(), None);
    /// let out = r.apply(&list, Some(1));
    /// assert_eq!(out.hyps.len(), 1);
    /// assert_eq!(out.hyps[0].words, ["b"]);
    /// assert_eq!(out.hyps[0].extra["total"], -1.5);
    /// ```
    pub fn apply(&self, list: &NbestList, top: Option<usize>) -> NbestList {
        let n = top.unwrap_or(usize::MAX).min(self.order.len());
        let hyps = self.order[..n]
            .iter()
            .map(|&i| {
                let mut h = list.hyps[i].clone();
                h.extra
                    .insert("new_lm".to_string(), self.features[i].new_lm);
                h.extra.insert("total".to_string(), self.totals[i]);
                if let Some(m) = &self.mbr {
                    h.extra.insert("posterior".to_string(), m.posteriors[i]);
                    h.extra
                        .insert("expected_errors".to_string(), m.expected_errors[i]);
                }
                h
            })
            .collect();
        NbestList {
            id: list.id.clone(),
            reference: list.reference.clone(),
            hyps,
        }
    }
}

/// Rescores n-best lists with a model and fixed weights (optionally choosing by
/// minimum Bayes risk).
///
/// ```
/// use dashlm::ReferenceModel;
/// use dashlm::rescore::{Hypothesis, NbestList, Rescorer, Weights};
/// let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
/// let list = NbestList::new("u")
///     .with_hyp(Hypothesis::new("cat the sat", -10.0))
///     .with_hyp(Hypothesis::new("the cat sat", -10.5));
/// let rescorer = Rescorer::new(&lm, Weights { lm_weight: 1.0, ..Weights::default() });
/// let r = rescorer.rescore(&list);
/// assert_eq!(r.best(), Some(1)); // the LM prefers the grammatical order
/// assert_eq!(rescorer.rescore_all(&[list.clone()]), rescorer.rescore_all_sequential(&[list]));
/// ```
pub struct Rescorer<'m, M: LanguageModel> {
    model: &'m M,
    weights: Weights,
    mbr_scale: Option<f64>,
}

impl<'m, M: LanguageModel> Rescorer<'m, M> {
    /// A rescorer choosing the best total.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let r = dashlm::rescore::Rescorer::new(&lm, Default::default());
    /// assert_eq!(r.weights().lm_weight, 1.0);
    /// ```
    pub fn new(model: &'m M, weights: Weights) -> Rescorer<'m, M> {
        Rescorer {
            model,
            weights,
            mbr_scale: None,
        }
    }

    /// Chooses by minimum Bayes risk with posteriors `softmax(scale * total)`.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let r = dashlm::rescore::Rescorer::new(&lm, Default::default()).with_mbr(0.1);
    /// assert_eq!(r.mbr_scale(), Some(0.1));
    /// ```
    pub fn with_mbr(mut self, scale: f64) -> Rescorer<'m, M> {
        self.mbr_scale = Some(scale);
        self
    }

    /// The weights.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(dashlm::rescore::Rescorer::new(&lm, Default::default()).weights().acoustic_scale, 1.0);
    /// ```
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// The MBR posterior scale, if MBR is on.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(dashlm::rescore::Rescorer::new(&lm, Default::default()).mbr_scale(), None);
    /// ```
    pub fn mbr_scale(&self) -> Option<f64> {
        self.mbr_scale
    }

    /// Combines already computed new LM scores of `list` (natural log).
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # use dashlm::rescore::{Hypothesis, NbestList, Rescorer};
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let list = NbestList::new("u").with_hyp(Hypothesis::new("x", -1.0)).with_hyp(Hypothesis::new("y", -1.0));
    /// let r = Rescorer::new(&lm, Default::default()).rescore_scored(&list, &[-3.0, -2.0]);
    /// assert_eq!(r.order, [1, 0]);
    /// ```
    pub fn rescore_scored(&self, list: &NbestList, new_lm: &[f64]) -> Rescored {
        let feats = features(list, new_lm);
        match self.mbr_scale {
            None => Rescored::from_features(feats, &self.weights, None),
            Some(scale) => {
                let words: Vec<Vec<String>> = list.hyps.iter().map(|h| h.words.clone()).collect();
                Rescored::from_features(feats, &self.weights, Some((&words, scale)))
            }
        }
    }

    /// Rescores one list on the calling thread.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # use dashlm::rescore::{Hypothesis, NbestList, Rescorer};
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let list = NbestList::new("u").with_hyp(Hypothesis::new("the mat", -1.0));
    /// assert_eq!(Rescorer::new(&lm, Default::default()).rescore(&list).order, [0]);
    /// ```
    pub fn rescore(&self, list: &NbestList) -> Rescored {
        let lm = LmScorer::new(self.model).score_list(list);
        self.rescore_scored(list, &lm)
    }

    /// Rescores lists in parallel (rayon), results in input order, identical to
    /// [`Rescorer::rescore_all_sequential`].
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # use dashlm::rescore::{Hypothesis, NbestList, Rescorer};
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("the mat", -1.0))];
    /// assert_eq!(Rescorer::new(&lm, Default::default()).rescore_all(&lists).len(), 1);
    /// ```
    pub fn rescore_all(&self, lists: &[NbestList]) -> Vec<Rescored> {
        let (scores, _) = score_lists(self.model, lists, |_| {});
        lists
            .par_iter()
            .zip(&scores)
            .map(|(l, s)| self.rescore_scored(l, s))
            .collect()
    }

    /// Rescores lists one after the other on the calling thread.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # use dashlm::rescore::{Hypothesis, NbestList, Rescorer};
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("the mat", -1.0))];
    /// assert_eq!(Rescorer::new(&lm, Default::default()).rescore_all_sequential(&lists).len(), 1);
    /// ```
    pub fn rescore_all_sequential(&self, lists: &[NbestList]) -> Vec<Rescored> {
        let (scores, _) = score_lists_sequential(self.model, lists);
        lists
            .iter()
            .zip(&scores)
            .map(|(l, s)| self.rescore_scored(l, s))
            .collect()
    }
}
