//! The development set as tuning sees it: per hypothesis its features and its
//! word errors against the reference (and, for MBR, the pairwise distances),
//! and the corpus error count of any weight setting.

use rayon::prelude::*;

use crate::rescore::combine::{check_overflow, features_with, HypFeatures, Weights};
use crate::rescore::distance::{reference_pattern, Sequences};
use crate::rescore::extra_weights::ExtraWeights;
use crate::rescore::mbr::{self, DistanceMatrix};
use crate::rescore::nbest::NbestList;

/// The first hypothesis with the highest of `(total, scores finite)`'s
/// totals, as [`rank`](crate::rescore::rank) puts first (a NaN total never
/// wins: with every total NaN or minus infinity, the first that is not NaN;
/// with every total NaN, the first), and whether some hypothesis' finite
/// scores made a total that is not finite.
#[inline]
fn choose(totals: impl Iterator<Item = (f64, bool)>) -> (usize, bool) {
    // `best_total` starts as NaN, which no comparison passes: the first total
    // that is not NaN (even minus infinity) replaces it by the second test.
    let (mut best, mut best_total, mut overflow) = (0, f64::NAN, false);
    for (i, (t, finite)) in totals.enumerate() {
        overflow |= !t.is_finite() && finite;
        if t > best_total || (best_total.is_nan() && !t.is_nan()) {
            best_total = t;
            best = i;
        }
    }
    (best, overflow)
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
    /// [`features`](crate::rescore::features), and ranks last (where the LM weight is not 0); no list is
    /// left out for it.
    ///
    /// # Panics
    /// With `mbr`, on a list too large for MBR ([`crate::rescore::mbr::check_lists`]),
    /// before allocating its distances.
    ///
    /// ```
    /// use dashlm::rescore::{NbestList, TuneSet};
    /// let set = TuneSet::new(&[NbestList::new("u")], &[vec![]], false);
    /// assert!(set.is_empty());
    /// ```
    pub fn new(lists: &[NbestList], new_lm: &[Vec<f64>], mbr: bool) -> TuneSet {
        TuneSet::new_with_extra(lists, new_lm, mbr, &ExtraWeights::new())
    }

    /// [`TuneSet::new`] with the hypotheses' extra scores weighted by `extra`
    /// in every total: tuning holds fixed weights fixed, and multiplies the
    /// scores weighted by multiples of the LM weight by each LM weight it
    /// tries, as [`Weights::combine`] does.
    ///
    /// # Panics
    /// As [`TuneSet::new`].
    ///
    /// ```
    /// use dashlm::rescore::{ExtraWeights, Hypothesis, NbestList, TuneSet};
    /// let mut h = Hypothesis::new("a", -1.0);
    /// h.extra.insert("nolm".into(), -2.0);
    /// let list = NbestList::new("u").with_reference("a").with_hyp(h);
    /// let set = TuneSet::new_with_extra(&[list], &[vec![-1.0]], false, &ExtraWeights::new().with("nolm", 3.0));
    /// assert_eq!(set.len(), 1);
    /// ```
    pub fn new_with_extra(
        lists: &[NbestList],
        new_lm: &[Vec<f64>],
        mbr: bool,
        extra: &ExtraWeights,
    ) -> TuneSet {
        let utts = lists
            .par_iter()
            .enumerate()
            .filter_map(|(k, list)| {
                let lm = new_lm.get(k).map_or(&[][..], |s| &s[..]);
                let reference = list.reference.as_ref()?;
                // The words as ids (see `wer::NbestWer::add_list`), the
                // reference's pattern built once.
                let (mut ids, pattern) = reference_pattern(reference);
                let (errors, dist) = if mbr {
                    // Every hypothesis word numbered too, for the pairs.
                    let mut hyps = Sequences::default();
                    for h in &list.hyps {
                        ids.push_all(&h.words, &mut hyps);
                    }
                    let errors = (0..hyps.len())
                        .map(|i| pattern.distance(hyps.get(i)) as u32)
                        .collect();
                    (errors, Some(DistanceMatrix::from_sequences(&hyps)))
                } else {
                    let mut hyp_ids = Vec::new();
                    let errors = (list.hyps.iter())
                        .map(|h| pattern.distance_to_words(&ids, &h.words, &mut hyp_ids) as u32)
                        .collect();
                    (errors, None)
                };
                Some(TuneUtt {
                    id: list.id.clone(),
                    features: features_with(list, lm, extra),
                    errors,
                    ref_words: reference.len() as u32,
                    dist,
                })
            })
            .collect();
        TuneSet { utts, mbr }
    }

    /// An error naming the first list whose MBR choices over a grid of
    /// `cells` cells would take too long ([`super::MAX_MBR_GRID_PAIRS`]).
    pub(super) fn mbr_grid_error(&self, cells: usize) -> Option<String> {
        (self.utts.iter()).find_map(|u| super::mbr_grid_error(&u.id, u.features.len(), cells))
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

    /// [`TuneSet::errors`], or an error ([`check_overflow`]'s) when `weights`
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
                let totals: Vec<f64> = u.features.iter().map(|f| weights.combine(f)).collect();
                check_overflow(&u.id, &u.features, &totals)?;
                Err(format!(
                    "utterance `{}`: a combined score is not finite",
                    crate::rescore::error::clip(&u.id)
                ))
            }
        }
    }

    /// The errors of [`TuneSet::errors`], and the first utterance (index)
    /// where the weights made a total of finite scores not finite. (A
    /// hypothesis without a new LM score has a NaN total that ranks last, as
    /// [`TuneSet::new`] says: not counted as such.)
    fn count_errors(&self, weights: &Weights, mbr_scale: Option<f64>) -> (u64, Option<usize>) {
        let finite = HypFeatures::is_finite;
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
                    let (best, overflowed) =
                        choose(u.features.iter().map(|f| (weights.combine(f), finite(f))));
                    if overflowed && overflow.is_none() {
                        overflow = Some(k);
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

    /// [`TuneSet::try_errors`] without MBR for every word insertion penalty of
    /// `wips`, in order, the other weights from `weights` (its own penalty is
    /// not used). A hypothesis' acoustic
    /// and LM part of its total ([`Weights::combine_head`]) is computed once
    /// per utterance, not once per penalty; `combine` is that part and
    /// [`Weights::combine_rest`], so the totals, and the counts, are the same.
    pub(super) fn try_errors_row(
        &self,
        weights: &Weights,
        wips: &[f64],
    ) -> Vec<Result<u64, String>> {
        let mut sums = vec![0u64; wips.len()];
        let mut overflowed = vec![false; wips.len()];
        let cell = |wip: f64| Weights {
            word_insertion_penalty: wip,
            ..*weights
        };
        let (mut head, mut finite) = (Vec::new(), Vec::new());
        for u in &self.utts {
            if u.features.is_empty() {
                for s in &mut sums {
                    *s += u64::from(u.ref_words);
                }
                continue;
            }
            head.clear();
            head.extend(u.features.iter().map(|f| weights.combine_head(f)));
            finite.clear();
            finite.extend(u.features.iter().map(HypFeatures::is_finite));
            for (j, &wip) in wips.iter().enumerate() {
                let cell = cell(wip);
                let totals = (head.iter().zip(&finite).zip(&u.features))
                    .map(|((&h, &finite), f)| (cell.combine_rest(h, f), finite));
                let (best, over) = choose(totals);
                overflowed[j] |= over;
                sums[j] += u64::from(u.errors[best]);
            }
        }
        (wips.iter().zip(sums).zip(overflowed))
            .map(|((&wip, sum), over)| match over {
                false => Ok(sum),
                // The cell again, one by one, for its error.
                true => self.try_errors(&cell(wip), None),
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rescore::nbest::Hypothesis;
    use crate::rescore::wer::edit_distance;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = f64> {
        prop::sample::select(vec![
            0.0,
            -0.0,
            1.0,
            -2.5,
            0.1,
            -17.25,
            1e300,
            -1e308,
            f64::NAN,
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Per hypothesis, the errors are the plain distance to the
        /// reference, and with `mbr` the matrix holds every pair's, for
        /// references and hypotheses of 0 to 150 words (one 64-word block
        /// and several).
        #[test]
        fn errors_and_distances_are_the_plain_ones(
            lists in prop::collection::vec(
                (1usize..5).prop_flat_map(|k| prop::collection::vec(
                    prop::collection::vec(0..k, 0..=150),
                    1..7,
                )),
                0..4,
            ),
            mbr in any::<bool>(),
        ) {
            let words = ["a", "b", "cc", "0123456789abcdefg"];
            let text = |w: &[usize]| w.iter().map(|&i| words[i]).collect::<Vec<_>>().join(" ");
            let nbest: Vec<NbestList> = (lists.iter().enumerate())
                .map(|(k, seqs)| {
                    let mut l = NbestList::new(&format!("u{k}")).with_reference(&text(&seqs[0]));
                    for h in &seqs[1..] {
                        l = l.with_hyp(Hypothesis::new(&text(h), 0.0));
                    }
                    l
                })
                .collect();
            let set = TuneSet::new(&nbest, &[], mbr);
            prop_assert_eq!(set.utts.len(), nbest.len());
            for (u, l) in set.utts.iter().zip(&nbest) {
                let reference = l.reference.as_ref().unwrap();
                let hyps: Vec<Vec<&str>> = l.hyps.iter().map(|h| h.words.to_strs()).collect();
                let plain: Vec<u32> = hyps.iter().map(|h| edit_distance(reference, h) as u32).collect();
                prop_assert_eq!(&u.errors, &plain);
                prop_assert_eq!(u.dist.is_some(), mbr);
                if let Some(d) = &u.dist {
                    prop_assert_eq!(d.len(), hyps.len());
                    for (i, a) in hyps.iter().enumerate() {
                        for (j, b) in hyps.iter().enumerate() {
                            prop_assert_eq!(d.get(i, j) as usize, edit_distance(a, b));
                        }
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// A row of penalties at once counts what each cell counts alone,
        /// errors (totals past f64's range) included.
        #[test]
        fn a_row_counts_what_its_cells_count(
            utts in prop::collection::vec(
                prop::collection::vec((0usize..4, value(), prop::option::of(value()), value()), 0..5),
                0..5,
            ),
            (acoustic_scale, lm_weight, first_pass_lm_weight) in (value(), value(), value()),
            wips in prop::collection::vec(value(), 1..6),
        ) {
            let words = ["a", "b", "a b", "b a c"];
            let mut lists = Vec::new();
            let mut new_lm = Vec::new();
            for (k, hyps) in utts.iter().enumerate() {
                let mut list = NbestList::new(&format!("u{k}")).with_reference("a b");
                let mut lm = Vec::new();
                for &(w, acoustic, first_pass, new) in hyps {
                    let mut h = Hypothesis::new(words[w], acoustic);
                    h.lm = first_pass;
                    list = list.with_hyp(h);
                    lm.push(new);
                }
                lists.push(list);
                new_lm.push(lm);
            }
            let set = TuneSet::new(&lists, &new_lm, false);
            let weights = Weights {
                acoustic_scale,
                lm_weight,
                word_insertion_penalty: 0.0,
                first_pass_lm_weight,
            };
            let row = set.try_errors_row(&weights, &wips);
            for (j, &wip) in wips.iter().enumerate() {
                let cell = Weights { word_insertion_penalty: wip, ..weights };
                prop_assert_eq!(&row[j], &set.try_errors(&cell, None));
            }
        }
    }

    proptest! {
        /// `choose` picks the hypothesis that `rank` puts first (NaN last,
        /// ties to the first), whatever mix of NaN and infinite totals.
        #[test]
        fn choose_picks_what_rank_puts_first(
            totals in prop::collection::vec(
                prop::sample::select(vec![f64::NAN, f64::NEG_INFINITY, f64::INFINITY, -1.0, 0.0, -3.5]),
                1..8,
            ),
        ) {
            let (best, _) = choose(totals.iter().map(|&t| (t, false)));
            prop_assert_eq!(best, crate::rescore::rank(&totals)[0], "{:?}", totals);
        }
    }
}
