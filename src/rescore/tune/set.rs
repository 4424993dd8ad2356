//! The development set as tuning sees it: per hypothesis its features and its
//! word errors against the reference (and, for MBR, the pairwise distances),
//! and the corpus error count of any weight setting.

use rayon::prelude::*;

use crate::rescore::mbr::{self, DistanceMatrix};
use crate::rescore::nbest::NbestList;
use crate::rescore::rescorer::{check_totals, features, HypFeatures, Weights};
use crate::rescore::wer::edit_distance;

/// Whether a hypothesis' own scores are all finite (its total can then only
/// be infinite through the weights).
fn scores_finite(f: &HypFeatures) -> bool {
    f.acoustic.is_finite() && f.new_lm.is_finite() && f.first_pass_lm.is_finite()
}

/// One utterance, reduced to what tuning needs.
#[derive(Clone, Debug)]
struct TuneUtt {
    id: String,
    features: Vec<HypFeatures>,
    errors: Vec<u32>,
    ref_words: u32,
    dist: Option<DistanceMatrix>,
}

/// A development set prepared for tuning: per hypothesis, its features and its
/// word errors against the reference.
///
/// ```
/// use dashlm::rescore::{Hypothesis, NbestList, TuneSet, Weights};
/// let lists = vec![NbestList::new("u").with_reference("a b")
///     .with_hyp(Hypothesis::new("a c", -1.0))
///     .with_hyp(Hypothesis::new("a b", -1.5))];
/// let set = TuneSet::new(&lists, &[vec![-3.0, -2.0]], false);
/// assert_eq!((set.first_errors(), set.oracle_errors(), set.ref_words()), (1, 0, 2));
/// assert_eq!(set.errors(&Weights::default(), None), 0); // -1.0-3.0 < -1.5-2.0
/// ```
#[derive(Clone, Debug)]
pub struct TuneSet {
    utts: Vec<TuneUtt>,
    mbr: bool,
}

impl TuneSet {
    /// Prepares `lists` with their new LM scores `new_lm` (natural log, per list
    /// per hypothesis); lists without a reference are left out. With `mbr`, the
    /// pairwise hypothesis distances are computed too. A list or hypothesis
    /// without a new LM score (`new_lm` too short) gets NaN, as in
    /// [`features`], and ranks last; no list is left out for it.
    ///
    /// ```
    /// use dashlm::rescore::{NbestList, TuneSet};
    /// let set = TuneSet::new(&[NbestList::new("u")], &[vec![]], false);
    /// assert!(set.is_empty());
    /// ```
    pub fn new(lists: &[NbestList], new_lm: &[Vec<f64>], mbr: bool) -> TuneSet {
        let utts = lists
            .par_iter()
            .enumerate()
            .filter_map(|(k, list)| {
                let lm = new_lm.get(k).map_or(&[][..], |s| &s[..]);
                let reference = list.reference.as_ref()?;
                let hyps: Vec<Vec<&str>> = list.hyps.iter().map(|h| h.words.to_strs()).collect();
                let errors = hyps
                    .iter()
                    .map(|h| edit_distance(reference, h) as u32)
                    .collect();
                let dist = mbr.then(|| {
                    let words: Vec<&[&str]> = hyps.iter().map(|h| &h[..]).collect();
                    DistanceMatrix::new(&words)
                });
                Some(TuneUtt {
                    id: list.id.clone(),
                    features: features(list, lm),
                    errors,
                    ref_words: reference.len() as u32,
                    dist,
                })
            })
            .collect();
        TuneSet { utts, mbr }
    }

    /// Whether the set was prepared with `mbr` (for MBR scales in
    /// [`TuneSet::errors`] and [`tune`](super::tune)).
    ///
    /// ```
    /// # use dashlm::rescore::TuneSet;
    /// assert!(TuneSet::new(&[], &[], true).has_mbr());
    /// ```
    pub fn has_mbr(&self) -> bool {
        self.mbr
    }

    /// Utterances with references.
    ///
    /// ```
    /// # use dashlm::rescore::{NbestList, TuneSet};
    /// assert_eq!(TuneSet::new(&[NbestList::new("u").with_reference("a")], &[vec![]], false).len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.utts.len()
    }

    /// Whether no utterance has a reference.
    ///
    /// ```
    /// # use dashlm::rescore::TuneSet;
    /// assert!(TuneSet::new(&[], &[], false).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.utts.is_empty()
    }

    /// Reference words in total.
    ///
    /// ```
    /// # use dashlm::rescore::{NbestList, TuneSet};
    /// assert_eq!(TuneSet::new(&[NbestList::new("u").with_reference("a b")], &[vec![]], false).ref_words(), 2);
    /// ```
    pub fn ref_words(&self) -> u64 {
        self.utts.iter().map(|u| u64::from(u.ref_words)).sum()
    }

    /// Errors of the lists' first hypotheses (the recognizer's 1-best); an empty
    /// list counts as deleting every reference word.
    ///
    /// ```
    /// # use dashlm::rescore::{NbestList, TuneSet};
    /// assert_eq!(TuneSet::new(&[NbestList::new("u").with_reference("a b")], &[vec![]], false).first_errors(), 2);
    /// ```
    pub fn first_errors(&self) -> u64 {
        self.utts
            .iter()
            .map(|u| u64::from(u.errors.first().copied().unwrap_or(u.ref_words)))
            .sum()
    }

    /// Errors when each list's best hypothesis (fewest errors) is chosen.
    ///
    /// ```
    /// use dashlm::rescore::{Hypothesis, NbestList, TuneSet};
    /// let l = NbestList::new("u").with_reference("a").with_hyp(Hypothesis::new("b", 0.0)).with_hyp(Hypothesis::new("a", -9.0));
    /// assert_eq!(TuneSet::new(&[l], &[vec![0.0, 0.0]], false).oracle_errors(), 0);
    /// ```
    pub fn oracle_errors(&self) -> u64 {
        self.utts
            .iter()
            .map(|u| u64::from(u.errors.iter().copied().min().unwrap_or(u.ref_words)))
            .sum()
    }

    /// Errors of the hypotheses chosen with `weights` (by MBR with `mbr_scale`,
    /// which needs a set prepared with `mbr`).
    ///
    /// # Panics
    /// With `mbr_scale` on a set prepared without `mbr`.
    ///
    /// ```
    /// use dashlm::rescore::{Hypothesis, NbestList, TuneSet, Weights};
    /// let l = NbestList::new("u").with_reference("a").with_hyp(Hypothesis::new("b", 0.0)).with_hyp(Hypothesis::new("a", -1.0));
    /// let set = TuneSet::new(&[l], &[vec![-5.0, -1.0]], true);
    /// assert_eq!(set.errors(&Weights { lm_weight: 0.0, ..Weights::default() }, None), 1);
    /// assert_eq!(set.errors(&Weights::default(), Some(1.0)), 0);
    /// ```
    pub fn errors(&self, weights: &Weights, mbr_scale: Option<f64>) -> u64 {
        self.count_errors(weights, mbr_scale).0
    }

    /// [`TuneSet::errors`], or an error ([`check_totals`]'s) when `weights`
    /// combine some hypothesis' finite scores into a total that is not finite:
    /// such totals rank nothing, so the cell's count means nothing.
    pub(super) fn try_errors(
        &self,
        weights: &Weights,
        mbr_scale: Option<f64>,
    ) -> Result<u64, String> {
        match self.count_errors(weights, mbr_scale) {
            (errors, None) => Ok(errors),
            (_, Some(k)) => {
                let u = &self.utts[k];
                // Hypotheses whose own scores are not all finite rank last
                // by design: not what is reported.
                let totals: Vec<f64> = u
                    .features
                    .iter()
                    .map(|f| match scores_finite(f) {
                        true => weights.combine(f),
                        false => 0.0,
                    })
                    .collect();
                check_totals(&u.id, &totals)?;
                Err(format!(
                    "utterance `{}`: a combined score is not finite",
                    u.id
                ))
            }
        }
    }

    /// The errors of [`TuneSet::errors`], and the first utterance (index)
    /// where the weights made a total of finite scores not finite. (A
    /// hypothesis without a new LM score has a NaN total that ranks last, as
    /// [`TuneSet::new`] says: not counted as such.)
    fn count_errors(&self, weights: &Weights, mbr_scale: Option<f64>) -> (u64, Option<usize>) {
        let finite = scores_finite;
        let mut overflow = None;
        let mut totals = Vec::new();
        let mut buf = Vec::new();
        let mut sum = 0u64;
        for (k, u) in self.utts.iter().enumerate() {
            if u.features.is_empty() {
                sum += u64::from(u.ref_words);
                continue;
            }
            let choice = match mbr_scale {
                None => {
                    let mut best = 0;
                    let mut best_total = f64::NEG_INFINITY;
                    for (i, f) in u.features.iter().enumerate() {
                        let t = weights.combine(f);
                        if !t.is_finite() && overflow.is_none() && finite(f) {
                            overflow = Some(k);
                        }
                        if t > best_total {
                            best_total = t;
                            best = i;
                        }
                    }
                    best
                }
                Some(scale) => {
                    totals.clear();
                    totals.extend(u.features.iter().map(|f| weights.combine(f)));
                    if overflow.is_none()
                        && totals
                            .iter()
                            .zip(&u.features)
                            .any(|(t, f)| !t.is_finite() && finite(f))
                    {
                        overflow = Some(k);
                    }
                    let dist = u.dist.as_ref().expect("TuneSet prepared with mbr");
                    mbr::select_index(dist, &totals, scale, &mut buf)
                }
            };
            sum += u64::from(u.errors[choice]);
        }
        (sum, overflow)
    }
}

impl TuneSet {
    /// The expected word errors under posteriors `softmax(scale * total)` per
    /// list: a smooth surrogate of [`TuneSet::errors`] (top-score selection),
    /// equal to it as `scale` grows.
    ///
    /// ```
    /// use dashlm::rescore::{Hypothesis, NbestList, TuneSet, Weights};
    /// let l = NbestList::new("u").with_reference("a").with_hyp(Hypothesis::new("b", 0.0)).with_hyp(Hypothesis::new("a", 0.0));
    /// let set = TuneSet::new(&[l], &[vec![0.0, 0.0]], false);
    /// assert_eq!(set.expected_errors(&Weights::default(), 1.0), 0.5);
    /// ```
    pub fn expected_errors(&self, weights: &Weights, scale: f64) -> f64 {
        let mut totals = Vec::new();
        let mut post = Vec::new();
        let mut sum = 0.0;
        for u in &self.utts {
            if u.features.is_empty() {
                sum += f64::from(u.ref_words);
                continue;
            }
            totals.clear();
            totals.extend(u.features.iter().map(|f| weights.combine(f)));
            mbr::posteriors_into(&totals, scale, &mut post);
            sum += post
                .iter()
                .zip(&u.errors)
                .map(|(p, &e)| p * f64::from(e))
                .sum::<f64>();
        }
        sum
    }
}
