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
//! Hypotheses of one list share prefixes. [`LmScorer`] advances a list's
//! hypotheses together, position by position, through a per-list table of model
//! states: a shared prefix is copied from the previous hypothesis, and each
//! distinct `(state, word)` transition, so each distinct prefix and more, is
//! scored once, with one [`LanguageModel::full_score_batch`] call per position
//! (models override that call to overlap their memory accesses), then the `</s>`
//! of every distinct end state in one more batch. Sums are accumulated in `f32` in
//! sentence order, so each hypothesis gets exactly the value
//! [`LanguageModel::score_sentence`] gives. Lists are scored in parallel with
//! rayon; results are in input order and identical to the sequential path.

use std::cmp::Ordering;

use rayon::prelude::*;

use super::mbr;
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
/// Per list, each distinct word spelling is looked up in the model once; then the
/// hypotheses advance together one word position at a time. A hypothesis that
/// agrees with the previous one on its first `k` words copies that hypothesis'
/// state and sum for those positions. Every other step is a transition `(state, word)` looked up
/// in a per-list table of model states: a distinct prefix is scored at most once,
/// and so is any distinct context (different prefixes often end in the same model
/// state). The transitions not seen yet at a position are sent to the model in one
/// [`LanguageModel::full_score_batch`] call, then the `</s>` of every distinct
/// end state in one more.
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
    hasher: ahash::RandomState,
    /// Per list: word spelling -> model id, as (hash, hypothesis, position, id).
    words: hashbrown::HashTable<(u64, u32, u32, WordId)>,
    /// Per list: model states seen, and their indices.
    pool: Vec<M::State>,
    pool_index: hashbrown::HashMap<M::State, u32, ahash::RandomState>,
    /// Per list: `(state index << 32 | word)` -> `(next state index << 32 | score
    /// bits)`, or `(PENDING << 32 | batch slot)` while the query is in flight.
    memo: hashbrown::HashMap<u64, u64, ahash::RandomState>,
    /// Per list: the word ids of all hypotheses, and where each starts.
    ids: Vec<WordId>,
    starts: Vec<usize>,
    /// Per hypothesis: words shared with the previous hypothesis.
    lcp: Vec<usize>,
    /// Per hypothesis: current state index and log10 sum.
    at: Vec<u32>,
    cum: Vec<f32>,
    /// Per hypothesis at the current position: what to do after the batch.
    step: Vec<u64>,
    pending_keys: Vec<u64>,
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
/// `step` value: the hypothesis has ended.
const IDLE: u64 = u64::MAX - 1;

impl<'m, M: LanguageModel> LmScorer<'m, M> {
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
            hasher: seeded(),
            words: hashbrown::HashTable::new(),
            pool: Vec::new(),
            pool_index: hashbrown::HashMap::with_hasher(seeded()),
            memo: hashbrown::HashMap::with_hasher(seeded()),
            ids: Vec::new(),
            starts: Vec::new(),
            lcp: Vec::new(),
            at: Vec::new(),
            cum: Vec::new(),
            step: Vec::new(),
            pending_keys: Vec::new(),
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
        let model = self.model;
        let hyps = &list.hyps;
        let n = hyps.len();
        out.clear();
        self.words.clear();
        self.pool.clear();
        self.pool_index.clear();
        self.memo.clear();
        let root = model.begin_sentence_state();
        self.pool.push(root);
        self.pool_index.insert(root, 0);
        // Word ids, each distinct spelling looked up in the model once.
        self.ids.clear();
        self.starts.clear();
        self.starts.push(0);
        for (i, h) in hyps.iter().enumerate() {
            // Most words repeat the previous hypothesis' word at the same position.
            let prev = i
                .checked_sub(1)
                .map(|p| (&hyps[p].words[..], self.starts[p]));
            for (pos, word) in h.words.iter().enumerate() {
                let id = match prev {
                    Some((pw, start)) if pw.get(pos) == Some(word) => self.ids[start + pos],
                    _ => self.word_id(list, i, pos),
                };
                self.ids.push(id);
            }
            self.starts.push(self.ids.len());
        }
        self.lcp.clear();
        let mut max_len = 0;
        let n_words = self.ids.len() as u64;
        for i in 0..n {
            let words = &self.ids[self.starts[i]..self.starts[i + 1]];
            let shared = match i.checked_sub(1) {
                Some(p) => {
                    let prev = &self.ids[self.starts[p]..self.starts[p + 1]];
                    prev.iter().zip(words).take_while(|(a, b)| a == b).count()
                }
                None => 0,
            };
            self.lcp.push(shared);
            max_len = max_len.max(words.len());
        }
        self.stats.lists += 1;
        self.stats.hyps += n as u64;
        self.stats.words += n_words;
        self.at.clear();
        self.at.resize(n, 0);
        self.cum.clear();
        self.cum.resize(n, 0.0);
        for depth in 0..=max_len {
            // depth == max_len is the `</s>` step of every hypothesis.
            self.pending_keys.clear();
            self.step.clear();
            for i in 0..n {
                let len = self.starts[i + 1] - self.starts[i];
                let step = if depth < len && depth < self.lcp[i] {
                    FOLLOW
                } else if depth < len || depth == max_len {
                    let word = if depth < len {
                        self.ids[self.starts[i] + depth]
                    } else {
                        model.eos_id()
                    };
                    self.transition(self.at[i], word)
                } else {
                    IDLE
                };
                self.step.push(step);
            }
            self.run_batch();
            for i in 0..n {
                match self.step[i] {
                    IDLE => {}
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
            }
        }
        out.extend(self.cum.iter().map(|&c| f64::from(c) * LN_10));
    }

    /// The model id of word `pos` of hypothesis `hyp`, looked up once per list.
    fn word_id(&mut self, list: &NbestList, hyp: usize, pos: usize) -> WordId {
        let word = &list.hyps[hyp].words[pos];
        let hash = self.hasher.hash_one(word.as_str());
        let found = self.words.find(hash, |&(h, i, p, _)| {
            h == hash && list.hyps[i as usize].words[p as usize] == *word
        });
        if let Some(&(_, _, _, id)) = found {
            return id;
        }
        let id = self.model.word_id(word.as_bytes());
        self.words
            .insert_unique(hash, (hash, hyp as u32, pos as u32, id), |e| e.0);
        id
    }

    /// The memo entry for `(state, word)`, queueing a query when it is new.
    fn transition(&mut self, state: u32, word: WordId) -> u64 {
        let key = (u64::from(state) << 32) | u64::from(word);
        let slot = self.pending_keys.len() as u64;
        let v = *self.memo.entry(key).or_insert((PENDING << 32) | slot);
        if v == (PENDING << 32) | slot {
            self.pending_keys.push(key);
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
        self.out_states.clear();
        self.out_states.resize(n, self.in_states[0]);
        self.out_scores.clear();
        self.out_scores.resize(
            n,
            FullScore {
                log10_prob: 0.0,
                ngram_length: 0,
            },
        );
        model.full_score_batch(
            &self.in_states,
            &self.batch_words,
            &mut self.out_states,
            &mut self.out_scores,
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
            self.memo.insert(self.pending_keys[k], v);
            self.resolved.push(v);
        }
    }
}

/// New LM scores for every list, in parallel (rayon), in input order; each
/// list's scores are as [`LmScorer::score_list`] gives. `progress` is called with
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
    let results: Vec<(Vec<f64>, ScorerStats)> = lists
        .par_iter()
        .map_init(
            || LmScorer::new(model),
            |scorer, list| {
                let before = scorer.stats();
                let scores = scorer.score_list(list);
                let after = scorer.stats();
                progress(1);
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
    let scores = results
        .into_iter()
        .map(|(s, d)| {
            stats.add(&d);
            s
        })
        .collect();
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
    let scores = lists.iter().map(|l| scorer.score_list(l)).collect();
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
    /// by minimum Bayes risk (see [`mbr`](super::mbr)) using `hyps`' words, which
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
        lists
            .par_iter()
            .map_init(
                || LmScorer::new(self.model),
                |s, l| self.rescore_scored(l, &s.score_list(l)),
            )
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
        let mut scorer = LmScorer::new(self.model);
        lists
            .iter()
            .map(|l| self.rescore_scored(l, &scorer.score_list(l)))
            .collect()
    }
}
