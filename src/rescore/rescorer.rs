//! Rescoring n-best lists with a [`LanguageModel`].
//!
//! The score combination (the formula, [`Weights`], [`HypFeatures`]) is in
//! [`combine`](super::combine); its items are re-exported here.
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
//! identical to the sequential path. (The scoring itself lives in private
//! modules, `scorer` for one group and `groups` for many; their items are
//! re-exported here.)
//!
//! ```
//! use dashlm::rescore::{Hypothesis, NbestList, Rescorer, Weights};
//! use dashlm::{LanguageModel, ReferenceModel};
//! let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
//! let list = NbestList::new("u1")
//!     .with_hyp(Hypothesis::new("the cat sat on", -50.0))
//!     .with_hyp(Hypothesis::new("the cat sat", -50.5));
//! let rescored = Rescorer::new(&lm, Weights::default()).rescore(&list);
//! // Each new LM score is what the model gives the sentence, in natural log.
//! let ids: Vec<_> = ["the", "cat", "sat"].iter().map(|w| lm.word_id(w.as_bytes())).collect();
//! let log10 = lm.score_sentence(&ids, true, true) as f64;
//! assert_eq!(rescored.features[1].new_lm, log10 * dashlm::rescore::LN_10);
//! assert_eq!(rescored.order[0], 1); // the shorter one wins on the LM score
//! ```

use std::sync::{Arc, LazyLock};

use rayon::prelude::*;

pub use super::combine::{
    check_overflow, check_totals, features, features_with, rank, HypFeatures, Weights, LN_10,
};
use super::distance::{Sequences, WordIds};
use super::extra_weights::ExtraWeights;
pub use super::groups::{score_lists, score_lists_sequential, GROUP_LISTS};
use super::joined::Words;
use super::mbr;
use super::nbest::{Hypothesis, NbestList};
pub use super::scorer::{LmScorer, ScorerStats};
use crate::lm::LanguageModel;

/// One rescored list: the features, totals and ranking of its hypotheses
/// (indices refer to the list's original order).
///
/// ```
/// use dashlm::rescore::{HypFeatures, Rescored, Weights};
/// let f = |a| HypFeatures { acoustic: a, first_pass_lm: 0.0, new_lm: 0.0, num_words: 1, extra: 0.0, extra_times_lm: 0.0 };
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
    /// let f = |lm| HypFeatures { acoustic: 0.0, first_pass_lm: 0.0, new_lm: lm, num_words: 1, extra: 0.0, extra_times_lm: 0.0 };
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
    /// let f = |a| HypFeatures { acoustic: a, first_pass_lm: 0.0, new_lm: -0.5, num_words: 1, extra: 0.0, extra_times_lm: 0.0 };
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
    /// let f = HypFeatures { acoustic: -2.0, first_pass_lm: 0.0, new_lm: -0.5, num_words: 1, extra: 0.0, extra_times_lm: 0.0 };
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
    /// let f = |a| HypFeatures { acoustic: a, first_pass_lm: 0.0, new_lm: -0.5, num_words: 1, extra: 0.0, extra_times_lm: 0.0 };
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

    /// An error when a weight ([`Weights::check`]) is NaN or infinite, or the
    /// MBR scale is NaN or negative (it may be `+inf`: the top score's limit;
    /// a negative scale would favour the worst hypotheses). Such a rescorer
    /// still runs, but its totals can be NaN or infinite (`0 * inf` is NaN:
    /// an infinite word insertion penalty makes an empty hypothesis' total
    /// NaN, the others' infinite), and NaN totals rank last, so its rankings
    /// mean little.
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
    /// assert!(Rescorer::new(&lm, Weights::default()).with_mbr(-1.0).check().is_err());
    /// ```
    pub fn check(&self) -> Result<(), String> {
        self.weights.check()?;
        self.extra.check()?;
        match self.mbr_scale {
            Some(s) if s.is_nan() || s < 0.0 => Err(format!(
                "the MBR scale is {s}: expected a number >= 0 (or +inf)"
            )),
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
