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
//!       + w1 * extra[name1] + w2 * extra[name2] + ... (none by default)
//! ```
//!
//! where `new_lm = ln 10 * log10 P(w1 ... wn </s> | <s>)` is the new model's
//! score (the models give log10 probabilities; they are converted with
//! `x * ln 10`), `num_words = n` (without `<s>` and `</s>`), and `first_pass_lm`
//! is the list's own LM score (0 when absent); the last terms weigh the
//! hypothesis' extra named scores given weights ([`ExtraWeights`], e.g. the
//! graph costs without the first-pass LM that Kaldi's scripts keep as
//! `lmwt.nolm`). A term whose weight is 0 is
//! left out, whatever its score. Hypotheses are sorted by `total`,
//! best first; the sort is stable, so ties keep their input order (a NaN total
//! sorts last). A model may give a word probability zero (an ARPA `-inf`):
//! a hypothesis holding it has a new LM score of `-inf` and, with an LM
//! weight other than 0, a total of `-inf`, and ranks last ([`check_overflow`]).
//! An infinite score is a probability of zero whatever the sign of its
//! weight: weighted by anything but 0 it makes the total `-inf` (so a
//! negative weight does not rank such a hypothesis first).
//!
//! # Scoring
//!
//! Hypotheses of one list share prefixes, and more: once two of them reach the
//! same model state they continue alike. [`LmScorer`] scores each distinct
//! `(state, word)` transition of a group of lists (state by identity, so each
//! distinct prefix and more) once, through a memo; the lists take turns, so
//! that a new transition's query is prefetched on one turn and made on the
//! next, its memory accesses hidden behind the other lists' work. Sums are accumulated in `f32` in
//! sentence order, so each hypothesis gets exactly the value
//! [`LanguageModel::score_sentence`] gives. Lists are scored in groups of
//! [`GROUP_LISTS`], in parallel with rayon; results are in input order and
//! identical to the sequential path. (The scoring itself lives in a private
//! `scorer` module; its items are re-exported here.)

use std::cmp::Ordering;
use std::sync::{Arc, LazyLock};

use rayon::prelude::*;

use super::distance::{Sequences, WordIds};
use super::extra_weights::ExtraWeights;
use super::joined::Words;
use super::mbr;
use super::nbest::{Hypothesis, NbestList};
pub use super::scorer::{score_lists, score_lists_sequential, LmScorer, ScorerStats, GROUP_LISTS};
use crate::lm::LanguageModel;

/// `ln 10`: multiply a log10 value by it to get a natural log.
///
/// ```
/// use dashlm::rescore::LN_10;
/// let log10 = -2.0; // P = 0.01
/// assert!((log10 * LN_10 - 0.01f64.ln()).abs() < 1e-12);
/// ```
pub const LN_10: f64 = std::f64::consts::LN_10;

/// The weights of the score combination (see the [module](self) docs).
///
/// ```
/// use dashlm::rescore::{HypFeatures, Weights};
/// let w = Weights { lm_weight: 10.0, word_insertion_penalty: -0.5, ..Weights::default() };
/// let f = HypFeatures { acoustic: -100.0, first_pass_lm: -30.0, new_lm: -20.0, num_words: 4, extra: 0.0 };
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
    /// Weight of the list's own first-pass LM score (default 0). A
    /// hypothesis without one counts 0 in the combination; with a weight
    /// other than 0, [`Weights::check_lists`] refuses such lists.
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

/// `weight * score`, or 0 when `weight` is 0: a score weighted 0 counts for
/// nothing, even one that is not finite (`0 * -inf` would be NaN). An
/// infinite score weighted otherwise gives `-inf`, whatever the weight's
/// sign: a hypothesis of probability zero ranks last, also under a negative
/// weight (where `-1 * -inf` would rank it first).
#[inline]
pub(super) fn weighted(weight: f64, score: f64) -> f64 {
    if weight == 0.0 {
        0.0
    } else if score.is_infinite() {
        f64::NEG_INFINITY
    } else {
        weight * score
    }
}

impl Weights {
    /// The combined score of one hypothesis.
    ///
    /// ```
    /// use dashlm::rescore::{HypFeatures, Weights};
    /// let f = HypFeatures { acoustic: -1.0, first_pass_lm: -2.0, new_lm: -3.0, num_words: 1, extra: 0.0 };
    /// assert_eq!(Weights::default().combine(&f), -4.0);
    /// // Probability zero under the new LM: left out when weighted 0.
    /// let zero = HypFeatures { new_lm: f64::NEG_INFINITY, ..f };
    /// assert_eq!(Weights::default().combine(&zero), f64::NEG_INFINITY);
    /// assert_eq!(Weights { lm_weight: 0.0, ..Weights::default() }.combine(&zero), -1.0);
    /// // Still last under a negative weight (not `-1 * -inf = +inf`, which would rank first).
    /// assert_eq!(Weights { lm_weight: -1.0, ..Weights::default() }.combine(&zero), f64::NEG_INFINITY);
    /// ```
    pub fn combine(&self, f: &HypFeatures) -> f64 {
        self.combine_rest(self.combine_head(f), f)
    }

    /// The first part of [`Weights::combine`]: the acoustic and new LM terms,
    /// which do not depend on the word insertion penalty (tuning computes it
    /// once for a row of penalties).
    #[inline]
    pub(crate) fn combine_head(&self, f: &HypFeatures) -> f64 {
        weighted(self.acoustic_scale, f.acoustic) + weighted(self.lm_weight, f.new_lm)
    }

    /// The rest of [`Weights::combine`] for `f`, added to `head` in its
    /// order: the penalty for its words, the first-pass LM term ([`weighted`]),
    /// then its weighted extra scores.
    #[inline]
    pub(crate) fn combine_rest(&self, head: f64, f: &HypFeatures) -> f64 {
        head + self.word_insertion_penalty * f.num_words as f64
            + weighted(self.first_pass_lm_weight, f.first_pass_lm)
            + f.extra
    }

    /// An error naming the first weight that is NaN or infinite (such a weight
    /// makes totals NaN, which rank last, so a list would keep its input order).
    ///
    /// # Errors
    /// The weight's name and value.
    ///
    /// ```
    /// use dashlm::rescore::Weights;
    /// assert!(Weights::default().check().is_ok());
    /// let w = Weights { word_insertion_penalty: f64::NAN, ..Weights::default() };
    /// assert_eq!(w.check().unwrap_err(), "word_insertion_penalty is NaN, not a finite number");
    /// ```
    pub fn check(&self) -> Result<(), String> {
        for (name, v) in [
            ("acoustic_scale", self.acoustic_scale),
            ("lm_weight", self.lm_weight),
            ("word_insertion_penalty", self.word_insertion_penalty),
            ("first_pass_lm_weight", self.first_pass_lm_weight),
        ] {
            if !v.is_finite() {
                return Err(format!("{name} is {v}, not a finite number"));
            }
        }
        Ok(())
    }

    /// An error naming the first hypothesis of `lists` that lacks a score
    /// these weights weigh: with a first-pass LM weight other than 0, every
    /// hypothesis needs a first-pass LM score ([`Hypothesis::lm`]). The
    /// combination counts a missing one as 0, which would rank it above
    /// hypotheses with real (negative) scores.
    ///
    /// # Errors
    /// The utterance, the hypothesis (from 1) and the weight.
    ///
    /// ```
    /// use dashlm::rescore::{Hypothesis, NbestList, Weights};
    /// let lists = vec![NbestList::new("u")
    ///     .with_hyp(Hypothesis::new("a", -1.0).with_lm(-2.0))
    ///     .with_hyp(Hypothesis::new("b", -1.0))];
    /// assert!(Weights::default().check_lists(&lists).is_ok());
    /// let w = Weights { first_pass_lm_weight: 0.5, ..Weights::default() };
    /// assert_eq!(w.check_lists(&lists).unwrap_err(), "utterance `u`, hypothesis 2: no first-pass \
    ///     LM score, but the first-pass LM weight is 0.5: give every hypothesis one (JSONL `lm`, \
    ///     a Kaldi `lm_cost` archive, SRILM's plain form) or weight it 0");
    /// ```
    pub fn check_lists(&self, lists: &[NbestList]) -> Result<(), String> {
        if self.first_pass_lm_weight == 0.0 {
            return Ok(());
        }
        for list in lists {
            if let Some(k) = list.hyps.iter().position(|h| h.lm.is_none()) {
                return Err(format!(
                    "utterance `{}`, hypothesis {}: no first-pass LM score, but the first-pass \
                     LM weight is {}: give every hypothesis one (JSONL `lm`, a Kaldi `lm_cost` \
                     archive, SRILM's plain form) or weight it 0",
                    super::error::clip(&list.id),
                    k + 1,
                    self.first_pass_lm_weight
                ));
            }
        }
        Ok(())
    }
}

/// The weight-independent inputs of the combination for one hypothesis.
///
/// ```
/// let f = dashlm::rescore::HypFeatures { acoustic: -1.0, first_pass_lm: 0.0, new_lm: -2.0, num_words: 3, extra: 0.0 };
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
    /// The hypothesis' extra scores, weighted and summed
    /// ([`ExtraWeights::weigh`]; 0 without weights): a fixed term of the total.
    pub extra: f64,
}

impl HypFeatures {
    /// Whether the hypothesis' own scores (acoustic, first-pass LM and new LM)
    /// are all finite. One that is not (a model may give a word probability
    /// zero, a log10 probability of `-inf`) has a total that is not finite
    /// either unless that score is weighted 0, and ranks last: not an error,
    /// as [`check_overflow`] says.
    ///
    /// ```
    /// let mut f = dashlm::rescore::HypFeatures { acoustic: -1.0, first_pass_lm: 0.0, new_lm: -2.0, num_words: 1, extra: 0.0 };
    /// assert!(f.is_finite());
    /// f.new_lm = f64::NEG_INFINITY;
    /// assert!(!f.is_finite());
    /// ```
    pub fn is_finite(&self) -> bool {
        // `extra` is `-inf` only for a weighted score of probability zero
        // (NaN when finite ones overflow: an overflow, not a zero).
        self.acoustic.is_finite()
            && self.new_lm.is_finite()
            && self.first_pass_lm.is_finite()
            && self.extra != f64::NEG_INFINITY
    }
}

/// The features of every hypothesis of `list`, given the new LM scores
/// (`new_lm[i]` for hypothesis `i`). There is one per hypothesis whatever
/// `new_lm`'s length: a hypothesis without a new LM score gets NaN (its total is
/// NaN and ranks last, unless the LM weight is 0), and scores beyond the list's
/// hypotheses are ignored.
///
/// ```
/// use dashlm::rescore::{features, Hypothesis, NbestList};
/// let list = NbestList::new("u").with_hyp(Hypothesis::new("a b", -5.0).with_lm(-1.0));
/// let f = features(&list, &[-2.0]);
/// assert_eq!((f[0].acoustic, f[0].first_pass_lm, f[0].new_lm, f[0].num_words), (-5.0, -1.0, -2.0, 2));
/// assert!(features(&list, &[])[0].new_lm.is_nan());
/// ```
pub fn features(list: &NbestList, new_lm: &[f64]) -> Vec<HypFeatures> {
    features_with(list, new_lm, &ExtraWeights::new())
}

/// [`features`] with the hypotheses' extra scores weighted by `extra`
/// ([`HypFeatures::extra`]).
///
/// ```
/// use dashlm::rescore::{features_with, ExtraWeights, Hypothesis, NbestList};
/// let mut h = Hypothesis::new("a b", -5.0);
/// h.extra.insert("nolm".into(), -3.0);
/// let list = NbestList::new("u").with_hyp(h);
/// let f = features_with(&list, &[-2.0], &ExtraWeights::new().with("nolm", 2.0));
/// assert_eq!(f[0].extra, -6.0);
/// ```
pub fn features_with(list: &NbestList, new_lm: &[f64], extra: &ExtraWeights) -> Vec<HypFeatures> {
    list.hyps
        .iter()
        .enumerate()
        .map(|(i, h)| HypFeatures {
            acoustic: h.acoustic,
            first_pass_lm: h.lm.unwrap_or(0.0),
            new_lm: new_lm.get(i).copied().unwrap_or(f64::NAN),
            num_words: h.words.len(),
            extra: extra.weigh(&h.extra),
        })
        .collect()
}

/// An error naming the first of utterance `id`'s hypothesis `totals` that is
/// not finite: finite weights and scores can still combine past a 64-bit
/// float's range, and such a total ranks nothing (and cannot be written back).
/// Where a hypothesis' own scores may not be finite (a model's `-inf`), see
/// [`check_overflow`], which `dashlm rescore` and `tune` use.
///
/// # Errors
/// The utterance, the hypothesis (1-based) and the total.
///
/// ```
/// use dashlm::rescore::check_totals;
/// assert!(check_totals("u1", &[-3.0, -4.5]).is_ok());
/// assert_eq!(
///     check_totals("u1", &[-3.0, f64::NEG_INFINITY]).unwrap_err(),
///     "utterance `u1`, hypothesis 2: the combined score is -inf (weights or scores too large)"
/// );
/// ```
pub fn check_totals(id: &str, totals: &[f64]) -> Result<(), String> {
    match totals.iter().position(|t| !t.is_finite()) {
        Some(k) => Err(overflow_error(id, k, totals[k])),
        None => Ok(()),
    }
}

/// [`check_totals`] for the hypotheses whose own scores are finite
/// ([`HypFeatures::is_finite`]): an error names the first whose weights
/// combined finite scores into a total that is not finite. A hypothesis with
/// a score that is not finite (a model's `-inf`) ranks last instead, as
/// [`rank`] and tuning rank it. `dashlm rescore` checks every list so.
///
/// # Errors
/// The utterance, the hypothesis (1-based) and the total.
///
/// ```
/// use dashlm::rescore::{check_overflow, HypFeatures};
/// let f = |lm| HypFeatures { acoustic: -1.0, first_pass_lm: 0.0, new_lm: lm, num_words: 1, extra: 0.0 };
/// let features = [f(-2.0), f(f64::NEG_INFINITY)];
/// assert!(check_overflow("u1", &features, &[-3.0, f64::NEG_INFINITY]).is_ok());
/// assert!(check_overflow("u1", &features, &[f64::NEG_INFINITY, f64::NEG_INFINITY]).is_err());
/// ```
pub fn check_overflow(id: &str, features: &[HypFeatures], totals: &[f64]) -> Result<(), String> {
    let mut pairs = totals.iter().zip(features);
    match pairs.position(|(t, f)| !t.is_finite() && f.is_finite()) {
        Some(k) => Err(overflow_error(id, k, totals[k])),
        None => Ok(()),
    }
}

/// The error of [`check_totals`] for hypothesis `k` (0-based) and its total.
fn overflow_error(id: &str, k: usize, total: f64) -> String {
    format!(
        "utterance `{}`, hypothesis {}: the combined score is {} (weights or scores too \
         large)",
        super::error::clip(id),
        k + 1,
        total
    )
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

/// One rescored list: the features, totals and ranking of its hypotheses
/// (indices refer to the list's original order).
///
/// ```
/// use dashlm::rescore::{HypFeatures, Rescored, Weights};
/// let f = |a| HypFeatures { acoustic: a, first_pass_lm: 0.0, new_lm: 0.0, num_words: 1, extra: 0.0 };
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
    /// For a list without hypotheses its `choice` is 0, which indexes nothing:
    /// use [`Rescored::best`] (`None` then) to pick the hypothesis.
    pub mbr: Option<mbr::MbrResult>,
}

impl Rescored {
    /// Ranks hypotheses with `weights`; with `mbr_words = Some((words, scale))`,
    /// chooses the first by minimum Bayes risk (see [`super::mbr`]) over
    /// `words[i]`, the words of hypothesis `i` (a hypothesis beyond `words`
    /// counts as empty; words beyond the features are ignored).
    ///
    /// ```
    /// use dashlm::rescore::{HypFeatures, Rescored, Weights};
    /// let f = |lm| HypFeatures { acoustic: 0.0, first_pass_lm: 0.0, new_lm: lm, num_words: 1, extra: 0.0 };
    /// let r = Rescored::from_features(vec![f(-1.0), f(-1.0)], &Weights::default(), None);
    /// assert_eq!(r.order, [0, 1]); // ties keep input order
    /// ```
    pub fn from_features(
        features: Vec<HypFeatures>,
        weights: &Weights,
        mbr_words: Option<(&[Words], f64)>,
    ) -> Rescored {
        let totals: Vec<f64> = features.iter().map(|f| weights.combine(f)).collect();
        let mut order = rank(&totals);
        let mbr = mbr_words.map(|(words, scale)| {
            // The words as ids (`DistanceMatrix::new`'s way, without
            // collecting each hypothesis' words first).
            let mut ids = WordIds::with_capacity(64);
            let mut seqs = Sequences::default();
            let none = Words::new();
            for i in 0..features.len() {
                ids.push_all(words.get(i).unwrap_or(&none), &mut seqs);
            }
            let dist = mbr::DistanceMatrix::from_sequences(&seqs);
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
    /// `expected_errors`). Scores of those names the input already had (it was
    /// rescored before) are replaced; without MBR, an input's `posterior` and
    /// `expected_errors` are dropped, as they belong to the earlier ranking.
    ///
    /// `list` must be the list rescored: see [`Rescored::try_apply`], which
    /// returns an error where this panics.
    ///
    /// # Panics
    /// When `list` is not the list rescored (as [`Rescored::try_apply`] checks).
    ///
    /// ```
    /// use dashlm::rescore::{HypFeatures, Hypothesis, NbestList, Rescored, Weights};
    /// let list = NbestList::new("u").with_hyp(Hypothesis::new("a", -2.0)).with_hyp(Hypothesis::new("b", -1.0));
    /// let f = |a| HypFeatures { acoustic: a, first_pass_lm: 0.0, new_lm: -0.5, num_words: 1, extra: 0.0 };
    /// let r = Rescored::from_features(vec![f(-2.0), f(-1.0)], &Weights::default(), None);
    /// let out = r.apply(&list, Some(1));
    /// assert_eq!(out.hyps.len(), 1);
    /// assert_eq!(out.hyps[0].words, ["b"]);
    /// assert_eq!(out.hyps[0].extra["total"], -1.5);
    /// ```
    pub fn apply(&self, list: &NbestList, top: Option<usize>) -> NbestList {
        self.try_apply(list, top)
            .unwrap_or_else(|e| panic!("Rescored::apply: {e}"))
    }

    /// [`Rescored::apply`], or an error when `list` is not the list rescored:
    /// its number of hypotheses, or a hypothesis' acoustic score, first-pass LM
    /// score or number of words, differs from the features (so a result applied
    /// to another list is never silently taken for its own).
    ///
    /// # Errors
    /// The list and the first difference.
    ///
    /// ```
    /// use dashlm::rescore::{HypFeatures, Hypothesis, NbestList, Rescored, Weights};
    /// let list = NbestList::new("u").with_hyp(Hypothesis::new("a", -2.0));
    /// let f = HypFeatures { acoustic: -2.0, first_pass_lm: 0.0, new_lm: -0.5, num_words: 1, extra: 0.0 };
    /// let r = Rescored::from_features(vec![f], &Weights::default(), None);
    /// assert_eq!(r.try_apply(&list, None).unwrap().hyps.len(), 1);
    /// let other = NbestList::new("v").with_hyp(Hypothesis::new("a b", -2.0));
    /// assert!(r.try_apply(&other, None).is_err());
    /// ```
    pub fn try_apply(&self, list: &NbestList, top: Option<usize>) -> Result<NbestList, String> {
        self.check(list)?;
        Ok(self.ranked(
            list.id.clone(),
            list.reference.clone(),
            |i, _| list.hyps[i].clone(),
            top,
        ))
    }

    /// [`Rescored::try_apply`], taking the list: its hypotheses are moved into
    /// the result, not copied (those beyond `top` are dropped).
    ///
    /// # Errors
    /// As [`Rescored::try_apply`].
    ///
    /// ```
    /// use dashlm::rescore::{HypFeatures, Hypothesis, NbestList, Rescored, Weights};
    /// let list = NbestList::new("u").with_hyp(Hypothesis::new("a", -2.0)).with_hyp(Hypothesis::new("b", -1.0));
    /// let f = |a| HypFeatures { acoustic: a, first_pass_lm: 0.0, new_lm: -0.5, num_words: 1, extra: 0.0 };
    /// let r = Rescored::from_features(vec![f(-2.0), f(-1.0)], &Weights::default(), None);
    /// let copied = r.try_apply(&list, None).unwrap();
    /// assert_eq!(r.try_apply_into(list, None).unwrap(), copied);
    /// ```
    pub fn try_apply_into(&self, list: NbestList, top: Option<usize>) -> Result<NbestList, String> {
        self.check(&list)?;
        let NbestList {
            id,
            reference,
            hyps,
        } = list;
        let n = top.unwrap_or(usize::MAX).min(self.order.len());
        // A hypothesis is moved where `order` names it last (a hand-made
        // `order` may name one twice), copied before that.
        let mut last = vec![usize::MAX; hyps.len()];
        for (at, &i) in self.order[..n].iter().enumerate() {
            last[i] = at;
        }
        let mut hyps: Vec<Option<Hypothesis>> = hyps.into_iter().map(Some).collect();
        Ok(self.ranked(
            id,
            reference,
            |i, at| {
                if last[i] == at {
                    hyps[i].take()
                } else {
                    hyps[i].clone()
                }
                .expect("moved at its last use only")
            },
            top,
        ))
    }

    /// An error unless `list` is the list rescored (see [`Rescored::try_apply`]).
    fn check(&self, list: &NbestList) -> Result<(), String> {
        if list.hyps.len() != self.features.len()
            || self.totals.len() != self.features.len()
            || self.order.iter().any(|&i| i >= self.features.len())
        {
            return Err(format!(
                "list `{}` has {} hypotheses; the result is of a list of {} hypotheses",
                list.id,
                list.hyps.len(),
                self.features.len()
            ));
        }
        if let Some(m) = &self.mbr {
            if m.posteriors.len() != self.features.len()
                || m.expected_errors.len() != self.features.len()
            {
                return Err(format!(
                    "list `{}`: the MBR result is of a list of {} hypotheses, not {}",
                    list.id,
                    m.posteriors.len(),
                    self.features.len()
                ));
            }
        }
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for (k, (h, f)) in list.hyps.iter().zip(&self.features).enumerate() {
            if !same(h.acoustic, f.acoustic)
                || !same(h.lm.unwrap_or(0.0), f.first_pass_lm)
                || h.words.len() != f.num_words
            {
                return Err(format!(
                    "list `{}`, hypothesis {}: its scores or number of words differ from \
                     the result's: the result is of another list",
                    list.id,
                    k + 1
                ));
            }
        }
        Ok(())
    }

    /// The list `id` re-ranked, hypothesis `i` (at place `at`) from `hyp(i, at)`,
    /// with the extra scores.
    fn ranked(
        &self,
        id: String,
        reference: Option<Vec<String>>,
        mut hyp: impl FnMut(usize, usize) -> Hypothesis,
        top: Option<usize>,
    ) -> NbestList {
        let n = top.unwrap_or(usize::MAX).min(self.order.len());
        let hyps = self.order[..n]
            .iter()
            .enumerate()
            .map(|(at, &i)| {
                let mut h = hyp(i, at);
                let names = if self.mbr.is_some() { 4 } else { 2 };
                let new = ADDED_NAMES[..names]
                    .iter()
                    .filter(|n| !h.extra.contains_key(n))
                    .count();
                h.extra.reserve(new);
                let [new_lm, total, posterior, expected_errors] = &*ADDED_NAMES;
                h.extra.insert(new_lm.clone(), self.features[i].new_lm);
                h.extra.insert(total.clone(), self.totals[i]);
                if let Some(m) = &self.mbr {
                    h.extra.insert(posterior.clone(), m.posteriors[i]);
                    h.extra
                        .insert(expected_errors.clone(), m.expected_errors[i]);
                } else {
                    // Left by an earlier MBR rescoring of the input, they
                    // would describe another ranking.
                    h.extra.remove(posterior);
                    h.extra.remove(expected_errors);
                }
                h
            })
            .collect();
        NbestList {
            id,
            reference,
            hyps,
        }
    }
}

/// The names of the scores [`Rescored::apply`] adds (`new_lm`, `total`,
/// `posterior`, `expected_errors`), allocated once and shared by every
/// hypothesis ranked.
static ADDED_NAMES: LazyLock<[Arc<str>; 4]> =
    LazyLock::new(|| ["new_lm", "total", "posterior", "expected_errors"].map(Arc::from));

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
    extra: ExtraWeights,
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
            extra: ExtraWeights::new(),
            mbr_scale: None,
        }
    }

    /// Adds the hypotheses' extra scores weighted by `extra` to their totals
    /// (see [`ExtraWeights`]).
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// use dashlm::rescore::{ExtraWeights, Hypothesis, NbestList, Rescorer};
    /// let (mut a, mut b) = (Hypothesis::new("x", -1.0), Hypothesis::new("y", -1.0));
    /// a.extra.insert("nolm".into(), -5.0);
    /// b.extra.insert("nolm".into(), -1.0);
    /// let list = NbestList::new("u").with_hyp(a).with_hyp(b);
    /// let plain = Rescorer::new(&lm, Default::default());
    /// assert_eq!(plain.rescore_scored(&list, &[-2.0, -3.0]).order, [0, 1]);
    /// let r = plain.with_extra_weights(ExtraWeights::new().with("nolm", 1.0));
    /// assert_eq!(r.rescore_scored(&list, &[-2.0, -3.0]).order, [1, 0]);
    /// ```
    pub fn with_extra_weights(mut self, extra: ExtraWeights) -> Rescorer<'m, M> {
        self.extra = extra;
        self
    }

    /// Chooses by minimum Bayes risk with posteriors `softmax(scale * total)`.
    ///
    /// # Panics
    /// Rescoring (not this call) panics on a list too large for MBR, past
    /// [`mbr::MAX_HYPS`] hypotheses or [`mbr::MAX_CELLS`] alignment cells,
    /// before allocating its `n^2` distances: check the lists with
    /// [`mbr::check_lists`] first.
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

    /// An error when a weight ([`Weights::check`]) or the MBR scale is NaN or
    /// infinite (the MBR scale may be `+inf`: the top score's limit). Such a
    /// rescorer still runs, but NaN totals rank last, so every list would keep
    /// its input order.
    ///
    /// # Errors
    /// The weight or scale and its value.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// use dashlm::rescore::{Rescorer, Weights};
    /// assert!(Rescorer::new(&lm, Weights::default()).with_mbr(0.5).check().is_ok());
    /// assert!(Rescorer::new(&lm, Weights::default()).with_mbr(f64::NAN).check().is_err());
    /// ```
    pub fn check(&self) -> Result<(), String> {
        self.weights.check()?;
        self.extra.check()?;
        match self.mbr_scale {
            Some(s) if s.is_nan() || s == f64::NEG_INFINITY => {
                Err(format!("the MBR scale is {s}, not a number or +inf"))
            }
            _ => Ok(()),
        }
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
        let feats = features_with(list, new_lm, &self.extra);
        match self.mbr_scale {
            None => Rescored::from_features(feats, &self.weights, None),
            Some(scale) => {
                let words: Vec<Words> = list.hyps.iter().map(|h| h.words.clone()).collect();
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
