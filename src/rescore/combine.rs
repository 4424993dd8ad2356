//! Combining a hypothesis' scores into its total.
//!
//! Every score is a **natural log**. Per hypothesis,
//!
//! ```text
//! total = acoustic_scale * acoustic
//!       + lm_weight * new_lm
//!       + word_insertion_penalty * num_words
//!       + first_pass_lm_weight * first_pass_lm        (default weight 0)
//!       + w1 * extra[name1] + w2 * extra[name2] + ... (none by default)
//!       + lm_weight * (f1 * extra[name3] + ...)        (none by default)
//! ```
//!
//! where `new_lm = ln 10 * log10 P(w1 ... wn </s> | <s>)` is the new model's
//! score (the models give log10 probabilities; they are converted with
//! `x * ln 10`), `num_words = n` (without `<s>` and `</s>`), and `first_pass_lm`
//! is the list's own LM score (0 when absent); the last terms weigh the
//! hypothesis' extra named scores given weights ([`ExtraWeights`], e.g. the
//! graph costs without the first-pass LM that Kaldi's scripts keep as
//! `lmwt.nolm`), with fixed weights `w` or weights `f * lm_weight` that
//! follow the LM weight when tuning changes it. A term whose weight is 0 is
//! left out, whatever its score. Hypotheses are sorted by `total`,
//! best first; the sort is stable, so ties keep their input order (a NaN total
//! sorts last). A model may give a word probability zero (an ARPA `-inf`):
//! a hypothesis holding it has a new LM score of `-inf` and, with an LM
//! weight other than 0, a total of `-inf`, and ranks last ([`check_overflow`]).
//! An infinite score is a probability of zero whatever the sign of its
//! weight: weighted by anything but 0 it makes the total `-inf` (so a
//! negative weight does not rank such a hypothesis first).
//!
//! ```
//! use dashlm::rescore::{rank, HypFeatures, Weights, LN_10};
//! let w = Weights { lm_weight: 10.0, word_insertion_penalty: -0.5, ..Weights::default() };
//! // Two hypotheses: log10 LM scores -3 and -2, converted to natural log.
//! let hyp = |acoustic, log10_lm: f64, num_words| HypFeatures {
//!     acoustic,
//!     new_lm: log10_lm * LN_10,
//!     num_words,
//!     first_pass_lm: 0.0,
//!     extra: 0.0,
//!     extra_times_lm: 0.0,
//! };
//! let totals: Vec<f64> = [hyp(-100.0, -3.0, 3), hyp(-110.0, -2.0, 2)]
//!     .iter()
//!     .map(|f| w.combine(f))
//!     .collect();
//! // -100 + 10 * -6.91 - 1.5 = -170.6 against -110 + 10 * -4.61 - 1 = -157.1
//! assert_eq!(rank(&totals), [1, 0]);
//! // A probability of zero ranks last, whatever the acoustic score.
//! assert!(w.combine(&hyp(0.0, f64::NEG_INFINITY, 1)) == f64::NEG_INFINITY);
//! ```

use std::cmp::Ordering;

use super::extra_weights::ExtraWeights;
use super::nbest::NbestList;

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
/// let f = HypFeatures { acoustic: -100.0, first_pass_lm: -30.0, new_lm: -20.0, num_words: 4, extra: 0.0, extra_times_lm: 0.0 };
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
    /// let f = HypFeatures { acoustic: -1.0, first_pass_lm: -2.0, new_lm: -3.0, num_words: 1, extra: 0.0, extra_times_lm: 0.0 };
    /// assert_eq!(Weights::default().combine(&f), -4.0);
    /// // Probability zero under the new LM: left out when weighted 0.
    /// let zero = HypFeatures { new_lm: f64::NEG_INFINITY, ..f };
    /// assert_eq!(Weights::default().combine(&zero), f64::NEG_INFINITY);
    /// assert_eq!(Weights { lm_weight: 0.0, ..Weights::default() }.combine(&zero), -1.0);
    /// // Still last under a negative weight (not `-1 * -inf = +inf`, which would rank first).
    /// assert_eq!(Weights { lm_weight: -1.0, ..Weights::default() }.combine(&zero), f64::NEG_INFINITY);
    /// // Extra scores weighted by multiples of the LM weight: times it.
    /// let tied = HypFeatures { extra_times_lm: -1.0, ..f };
    /// assert_eq!(Weights { lm_weight: 2.0, ..Weights::default() }.combine(&tied), -1.0 - 6.0 - 2.0);
    /// ```
    pub fn combine(&self, f: &HypFeatures) -> f64 {
        self.combine_rest(self.combine_head(f), f)
    }

    /// The first part of [`Weights::combine`]: the acoustic term and the
    /// terms the LM weight multiplies (the new LM's, then the extra scores'
    /// weighted by multiples of it), which do not depend on the word
    /// insertion penalty (tuning computes it once for a row of penalties).
    #[inline]
    pub(crate) fn combine_head(&self, f: &HypFeatures) -> f64 {
        weighted(self.acoustic_scale, f.acoustic)
            + weighted(self.lm_weight, f.new_lm)
            + weighted(self.lm_weight, f.extra_times_lm)
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
    /// makes totals NaN or infinite: NaN totals rank last, and infinite ones
    /// tie, so rankings mean little).
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
    /// hypothesis needs a first-pass LM score ([`Hypothesis::lm`](super::Hypothesis::lm)). The
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
/// let f = dashlm::rescore::HypFeatures { acoustic: -1.0, first_pass_lm: 0.0, new_lm: -2.0, num_words: 3, extra: 0.0, extra_times_lm: 0.0 };
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
    /// The hypothesis' extra scores with fixed weights, weighted and summed
    /// ([`ExtraWeights::weigh`]; 0 without such weights): a fixed term of the
    /// total.
    pub extra: f64,
    /// The hypothesis' extra scores weighted by multiples of the LM weight,
    /// each times its factor, summed ([`ExtraWeights::weigh_times_lm`]; 0
    /// without such weights): the LM weight multiplies it in the total.
    pub extra_times_lm: f64,
}

impl HypFeatures {
    /// Whether the hypothesis' own scores (acoustic, first-pass LM and new LM)
    /// are all finite. One that is not (a model may give a word probability
    /// zero, a log10 probability of `-inf`) has a total that is not finite
    /// either unless that score is weighted 0, and ranks last: not an error,
    /// as [`check_overflow`] says.
    ///
    /// ```
    /// let mut f = dashlm::rescore::HypFeatures { acoustic: -1.0, first_pass_lm: 0.0, new_lm: -2.0, num_words: 1, extra: 0.0, extra_times_lm: 0.0 };
    /// assert!(f.is_finite());
    /// f.new_lm = f64::NEG_INFINITY;
    /// assert!(!f.is_finite());
    /// ```
    pub fn is_finite(&self) -> bool {
        // The extra sums are `-inf` only for a weighted score of probability
        // zero (NaN when finite ones overflow: an overflow, not a zero).
        self.acoustic.is_finite()
            && self.new_lm.is_finite()
            && self.first_pass_lm.is_finite()
            && self.extra != f64::NEG_INFINITY
            && self.extra_times_lm != f64::NEG_INFINITY
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
/// ([`HypFeatures::extra`], [`HypFeatures::extra_times_lm`]).
///
/// ```
/// use dashlm::rescore::{features_with, ExtraWeights, Hypothesis, NbestList};
/// let mut h = Hypothesis::new("a b", -5.0);
/// h.extra.insert("nolm".into(), -3.0);
/// h.extra.insert("lmonly".into(), -4.0);
/// let list = NbestList::new("u").with_hyp(h);
/// let w = ExtraWeights::new().with("nolm", 2.0).with_times_lm("lmonly", 0.5);
/// let f = features_with(&list, &[-2.0], &w);
/// assert_eq!((f[0].extra, f[0].extra_times_lm), (-6.0, -2.0));
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
            extra_times_lm: extra.weigh_times_lm(&h.extra),
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
/// assert_eq!(
///     check_totals("u1", &[f64::NAN]).unwrap_err(),
///     "utterance `u1`, hypothesis 1: the combined score overflows (weights or scores too large)"
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
/// let f = |lm| HypFeatures { acoustic: -1.0, first_pass_lm: 0.0, new_lm: lm, num_words: 1, extra: 0.0, extra_times_lm: 0.0 };
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

/// The error of [`check_totals`] for hypothesis `k` (0-based) and its total:
/// `-inf` or `inf`, or for NaN (terms overflowing both ways, or weighted
/// extra scores whose sum overflowed, whose sign is not kept) that it
/// overflows.
fn overflow_error(id: &str, k: usize, total: f64) -> String {
    let what = if total.is_nan() {
        "overflows".to_string()
    } else {
        format!("is {total}")
    };
    format!(
        "utterance `{}`, hypothesis {}: the combined score {what} (weights or scores too \
         large)",
        super::error::clip(id),
        k + 1,
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
