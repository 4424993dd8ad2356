//! Tuning the LM weight and word insertion penalty (and the MBR posterior
//! scale) on a development set with references.
//!
//! The new LM scores are computed once; every weight setting then only recombines
//! cached features, so a full grid costs milliseconds. The search is a grid over
//! LM weight x word insertion penalty (x scale with MBR), optionally followed by
//! a finer grid around the chosen cell. The objective is the corpus word error
//! count.
//!
//! How a cell is chosen from a grid of error counts:
//!
//! - **plateau** (the default, `plateau = Some(d)`): the *centre of the
//!   near-optimal region*. The cells with at most `(1 + d)` times the fewest
//!   errors form the plateau; the chosen cell is the plateau cell nearest (in grid
//!   steps) to the plateau's centroid, ties to the first in grid order. The error
//!   surface of a few hundred utterances is jagged: its single lowest cell is
//!   often a narrow dip that does not carry over to other utterances, while the
//!   centre of the broad valley does. (On 30 random halvings of the synthetic dev
//!   set with the shared 4-gram, `d` = 0.05 recovered 52.8% of the gap between
//!   1-best and oracle WER on the unseen half, against 48.2% for the plain
//!   search; see the README.)
//! - **plain** (`plateau = None, smooth_radius = 0`): the first cell
//!   (row-major) with the fewest errors.
//! - **smoothed** (`plateau = None, smooth_radius = r > 0`): the cell whose
//!   `(2r+1) x (2r+1)` neighbourhood (clipped at the edges) has the lowest mean
//!   error count, ties broken by the cell's own count, then grid order.
//!
//! The finer pass (`fine_divisions > 1`) applies the same rule to a grid of
//! `fine_divisions` steps per coarse step around the chosen cell.

use rayon::prelude::*;

use super::mbr::{self, DistanceMatrix};
use super::nbest::NbestList;
use super::rescorer::{features, HypFeatures, Weights};
use super::wer::edit_distance;

/// One utterance, reduced to what tuning needs.
#[derive(Clone, Debug)]
struct TuneUtt {
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
}

impl TuneSet {
    /// Prepares `lists` with their new LM scores `new_lm` (natural log, per list
    /// per hypothesis); lists without a reference are left out. With `mbr`, the
    /// pairwise hypothesis distances are computed too.
    ///
    /// ```
    /// use dashlm::rescore::{NbestList, TuneSet};
    /// let set = TuneSet::new(&[NbestList::new("u")], &[vec![]], false);
    /// assert!(set.is_empty());
    /// ```
    pub fn new(lists: &[NbestList], new_lm: &[Vec<f64>], mbr: bool) -> TuneSet {
        let utts = lists
            .par_iter()
            .zip(new_lm)
            .filter_map(|(list, lm)| {
                let reference = list.reference.as_ref()?;
                let errors = list
                    .hyps
                    .iter()
                    .map(|h| edit_distance(reference, &h.words) as u32)
                    .collect();
                let dist = mbr.then(|| {
                    let words: Vec<&[String]> = list.hyps.iter().map(|h| &h.words[..]).collect();
                    DistanceMatrix::new(&words)
                });
                Some(TuneUtt {
                    features: features(list, lm),
                    errors,
                    ref_words: reference.len() as u32,
                    dist,
                })
            })
            .collect();
        TuneSet { utts }
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
        let mut totals = Vec::new();
        let mut buf = Vec::new();
        let mut sum = 0u64;
        for u in &self.utts {
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
                    let dist = u.dist.as_ref().expect("TuneSet prepared with mbr");
                    mbr::select_index(dist, &totals, scale, &mut buf)
                }
            };
            sum += u64::from(u.errors[choice]);
        }
        sum
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

/// Parses a list of values: `start:end:step` (inclusive) or `a,b,c`.
///
/// # Errors
/// A malformed number or a non-positive step.
///
/// ```
/// use dashlm::rescore::parse_values;
/// assert_eq!(parse_values("0:1:0.5").unwrap(), [0.0, 0.5, 1.0]);
/// assert_eq!(parse_values("0.1,0.2").unwrap(), [0.1, 0.2]);
/// assert!(parse_values("0:1:0").is_err());
/// ```
pub fn parse_values(spec: &str) -> Result<Vec<f64>, String> {
    let num = |s: &str| {
        s.trim()
            .parse::<f64>()
            .map_err(|_| format!("`{s}` is not a number"))
    };
    let parts: Vec<&str> = spec.split(':').collect();
    match parts[..] {
        [start, end, step] => {
            let (start, end, step) = (num(start)?, num(end)?, num(step)?);
            if step.is_nan() || step <= 0.0 || end < start {
                return Err(format!("`{spec}`: need start <= end and a positive step"));
            }
            Ok(range(start, end, step))
        }
        [_] => spec.split(',').map(num).collect(),
        _ => Err(format!("`{spec}`: expected start:end:step or a,b,c")),
    }
}

fn round10(x: f64) -> f64 {
    (x * 1e10).round() / 1e10
}

fn range(start: f64, end: f64, step: f64) -> Vec<f64> {
    let n = ((end - start) / step + 1e-9).floor() as usize;
    (0..=n).map(|k| round10(start + k as f64 * step)).collect()
}

/// The search space and method.
///
/// ```
/// let o = dashlm::rescore::TuneOptions::default();
/// assert_eq!(o.lm_weights.len(), 61); // 0, 0.5, ..., 30
/// assert_eq!(o.wips.len(), 81);       // -30, -29.5, ..., 10
/// assert_eq!(o.plateau, Some(0.05));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TuneOptions {
    /// LM weights of the coarse grid (ascending, evenly spaced for the finer pass).
    pub lm_weights: Vec<f64>,
    /// Word insertion penalties of the coarse grid (ascending, evenly spaced).
    pub wips: Vec<f64>,
    /// MBR posterior scales; empty for plain top-score selection.
    pub scales: Vec<f64>,
    /// The fixed weights: acoustic scale and first-pass LM weight are kept.
    pub base: Weights,
    /// Choose the centre of the cells within this relative margin of the fewest
    /// errors (see the [module](self) docs); `None` for the plain or smoothed rule.
    pub plateau: Option<f64>,
    /// Neighbourhood radius for choosing a cell when `plateau` is `None` (0 =
    /// plain grid search).
    pub smooth_radius: usize,
    /// Subdivisions of a coarse step in the finer pass (0 or 1 = no finer pass).
    pub fine_divisions: usize,
}

impl Default for TuneOptions {
    fn default() -> TuneOptions {
        TuneOptions {
            lm_weights: range(0.0, 30.0, 0.5),
            wips: range(-30.0, 10.0, 0.5),
            scales: Vec::new(),
            base: Weights::default(),
            plateau: Some(0.05),
            smooth_radius: 0,
            fine_divisions: 0,
        }
    }
}

/// Error counts over an LM weight x word insertion penalty grid (one scale).
///
/// ```
/// use dashlm::rescore::GridTable;
/// let t = GridTable { scale: None, lm_weights: vec![0.0, 1.0], wips: vec![0.0], errors: vec![5, 3] };
/// assert_eq!(t.get(1, 0), 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GridTable {
    /// The MBR scale, or `None` for top-score selection.
    pub scale: Option<f64>,
    /// Row values.
    pub lm_weights: Vec<f64>,
    /// Column values.
    pub wips: Vec<f64>,
    /// Errors, row-major (`lm_weights.len() x wips.len()`).
    pub errors: Vec<u64>,
}

impl GridTable {
    /// Errors at row `i` (LM weight) and column `j` (penalty).
    ///
    /// ```
    /// use dashlm::rescore::GridTable;
    /// let t = GridTable { scale: None, lm_weights: vec![0.0], wips: vec![0.0, 1.0], errors: vec![5, 3] };
    /// assert_eq!(t.get(0, 1), 3);
    /// ```
    pub fn get(&self, i: usize, j: usize) -> u64 {
        self.errors[i * self.wips.len() + j]
    }

    /// Mean errors over the `(2r+1)^2` window around `(i, j)`, clipped at the edges.
    ///
    /// ```
    /// use dashlm::rescore::GridTable;
    /// let t = GridTable { scale: None, lm_weights: vec![0.0, 1.0], wips: vec![0.0], errors: vec![4, 2] };
    /// assert_eq!(t.smoothed(0, 0, 1), 3.0);
    /// assert_eq!(t.smoothed(0, 0, 0), 4.0);
    /// ```
    pub fn smoothed(&self, i: usize, j: usize, r: usize) -> f64 {
        let (rows, cols) = (self.lm_weights.len(), self.wips.len());
        let (mut sum, mut n) = (0u64, 0u64);
        for a in i.saturating_sub(r)..=(i + r).min(rows - 1) {
            for b in j.saturating_sub(r)..=(j + r).min(cols - 1) {
                sum += self.get(a, b);
                n += 1;
            }
        }
        sum as f64 / n as f64
    }

    fn evaluate(
        set: &TuneSet,
        base: &Weights,
        scale: Option<f64>,
        lm_weights: &[f64],
        wips: &[f64],
    ) -> GridTable {
        let cells: Vec<(usize, usize)> = (0..lm_weights.len())
            .flat_map(|i| (0..wips.len()).map(move |j| (i, j)))
            .collect();
        let errors = cells
            .par_iter()
            .map(|&(i, j)| {
                let w = Weights {
                    lm_weight: lm_weights[i],
                    word_insertion_penalty: wips[j],
                    ..*base
                };
                set.errors(&w, scale)
            })
            .collect();
        GridTable {
            scale,
            lm_weights: lm_weights.to_vec(),
            wips: wips.to_vec(),
            errors,
        }
    }

    /// The chosen cell with radius `r`: the least smoothed mean, then the fewest
    /// own errors, then the first in row-major order. Returns `(i, j, smoothed)`.
    ///
    /// ```
    /// use dashlm::rescore::GridTable;
    /// // An isolated dip at 0 vs a broad valley at 3..5:
    /// let t = GridTable { scale: None, lm_weights: (0..7).map(f64::from).collect(), wips: vec![0.0],
    ///                     errors: vec![1, 9, 9, 3, 2, 3, 9] };
    /// assert_eq!(t.choose(0).0, 0);
    /// assert_eq!(t.choose(1).0, 4);
    /// ```
    pub fn choose(&self, r: usize) -> (usize, usize, f64) {
        let mut best: Option<(usize, usize, f64, u64)> = None;
        for i in 0..self.lm_weights.len() {
            for j in 0..self.wips.len() {
                let s = self.smoothed(i, j, r);
                let e = self.get(i, j);
                let better = match best {
                    None => true,
                    Some((_, _, bs, be)) => s < bs || (s == bs && e < be),
                };
                if better {
                    best = Some((i, j, s, e));
                }
            }
        }
        let (i, j, s, _) = best.expect("non-empty grid");
        (i, j, s)
    }
}

/// The plateau rule over one or more tables of the same shape (the table index is
/// a third grid axis): the cell of the near-optimal region (at most `(1 +
/// margin)` times the fewest errors) nearest to the region's centroid, in grid
/// steps; ties go to the first cell in (table, row, column) order. Returns
/// `(table, i, j)`.
///
/// ```
/// use dashlm::rescore::{plateau_centre, GridTable};
/// // A narrow dip at 1 (10 errors) and a broad valley at 4..=8 (10-11 errors):
/// let t = GridTable { scale: None, lm_weights: (0..10).map(f64::from).collect(), wips: vec![0.0],
///                     errors: vec![30, 10, 30, 30, 11, 11, 10, 11, 11, 30] };
/// // Margin 0: the cells with 10 errors, 1 and 6; centroid 3.5, a tie: the first.
/// assert_eq!(plateau_centre(&[t.clone()], 0.0), (0, 1, 0));
/// // Margin 0.1 (up to 11 errors): cells 1 and 4..=8, centroid 5.17: cell 5.
/// assert_eq!(plateau_centre(&[t], 0.1), (0, 5, 0));
/// ```
pub fn plateau_centre(tables: &[GridTable], margin: f64) -> (usize, usize, usize) {
    let min = tables
        .iter()
        .flat_map(|t| t.errors.iter().copied())
        .min()
        .expect("non-empty grid");
    let limit = min as f64 * (1.0 + margin.max(0.0));
    let cells = || {
        tables.iter().enumerate().flat_map(move |(k, t)| {
            let cols = t.wips.len();
            t.errors
                .iter()
                .enumerate()
                .filter(move |&(_, &e)| e as f64 <= limit)
                .map(move |(c, _)| (k, c / cols, c % cols))
        })
    };
    let (mut sum, mut n) = ([0.0f64; 3], 0.0f64);
    for (k, i, j) in cells() {
        sum[0] += k as f64;
        sum[1] += i as f64;
        sum[2] += j as f64;
        n += 1.0;
    }
    let centre = sum.map(|x| x / n);
    let mut best = None;
    let mut best_d = f64::INFINITY;
    for (k, i, j) in cells() {
        let d = (k as f64 - centre[0]).powi(2)
            + (i as f64 - centre[1]).powi(2)
            + (j as f64 - centre[2]).powi(2);
        if d < best_d {
            best_d = d;
            best = Some((k, i, j));
        }
    }
    best.expect("the fewest-errors cell is on the plateau")
}

/// The outcome of [`tune`].
///
/// ```
/// use dashlm::rescore::{tune, Hypothesis, NbestList, TuneOptions, TuneSet};
/// let l = NbestList::new("u").with_reference("a").with_hyp(Hypothesis::new("b", 0.0)).with_hyp(Hypothesis::new("a", -1.0));
/// let set = TuneSet::new(&[l], &[vec![-5.0, -1.0]], false);
/// let r = tune(&set, &TuneOptions::default());
/// assert_eq!(r.errors, 0);
/// assert_eq!(r.wer(), 0.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TuneResult {
    /// The coarse grids, one per scale (one table without MBR).
    pub coarse: Vec<GridTable>,
    /// The finer grid around the chosen coarse cell (`None` without a finer pass).
    pub fine: Option<GridTable>,
    /// The chosen weights.
    pub weights: Weights,
    /// The chosen MBR scale, with MBR.
    pub scale: Option<f64>,
    /// Errors on the tuning set at the chosen point.
    pub errors: u64,
    /// Reference words of the tuning set.
    pub ref_words: u64,
}

impl TuneResult {
    /// The word error rate at the chosen point.
    ///
    /// ```
    /// # use dashlm::rescore::{tune, NbestList, TuneOptions, TuneSet};
    /// # let set = TuneSet::new(&[NbestList::new("u").with_reference("a")], &[vec![]], false);
    /// assert_eq!(tune(&set, &TuneOptions::default()).wer(), 1.0);
    /// ```
    pub fn wer(&self) -> f64 {
        if self.ref_words == 0 {
            0.0
        } else {
            self.errors as f64 / self.ref_words as f64
        }
    }
}

fn fine_axis(values: &[f64], k: usize, div: usize) -> Vec<f64> {
    let step = if values.len() > 1 {
        (values[1] - values[0]).abs()
    } else {
        1.0
    };
    let fine = step / div as f64;
    let c = values[k];
    (0..=2 * div)
        .map(|m| round10(c + (m as f64 - div as f64) * fine))
        .collect()
}

/// Searches the grid (and a finer grid around the chosen cell) for the weights
/// with the fewest errors on `set` (see the [module](self) docs).
///
/// # Panics
/// With an empty grid, or MBR scales on a set prepared without `mbr`.
///
/// ```
/// use dashlm::rescore::{tune, Hypothesis, NbestList, TuneOptions, TuneSet};
/// // The LM prefers the right hypothesis; a weight of at least 0.5 picks it.
/// let l = NbestList::new("u").with_reference("a")
///     .with_hyp(Hypothesis::new("b", -1.0)).with_hyp(Hypothesis::new("a", -2.0));
/// let set = TuneSet::new(&[l], &[vec![-9.0, -1.0]], false);
/// // The plain rule (the default plateau rule would take the centre of the
/// // weights with 0 errors instead).
/// let opts = TuneOptions { plateau: None, smooth_radius: 0, fine_divisions: 0, ..TuneOptions::default() };
/// let r = tune(&set, &opts);
/// assert_eq!((r.errors, r.weights.lm_weight), (0, 0.5));
/// ```
pub fn tune(set: &TuneSet, options: &TuneOptions) -> TuneResult {
    assert!(
        !options.lm_weights.is_empty() && !options.wips.is_empty(),
        "empty grid"
    );
    let scales: Vec<Option<f64>> = if options.scales.is_empty() {
        vec![None]
    } else {
        options.scales.iter().map(|&s| Some(s)).collect()
    };
    let r = options.smooth_radius;
    let coarse: Vec<GridTable> = scales
        .iter()
        .map(|&s| GridTable::evaluate(set, &options.base, s, &options.lm_weights, &options.wips))
        .collect();
    let (t, i, j) = match options.plateau {
        Some(margin) => plateau_centre(&coarse, margin),
        None => {
            let mut best: Option<(usize, usize, usize, f64, u64)> = None;
            for (t, table) in coarse.iter().enumerate() {
                let (i, j, s) = table.choose(r);
                let e = table.get(i, j);
                let better = match best {
                    None => true,
                    Some((_, _, _, bs, be)) => s < bs || (s == bs && e < be),
                };
                if better {
                    best = Some((t, i, j, s, e));
                }
            }
            let (t, i, j, _, _) = best.expect("at least one table");
            (t, i, j)
        }
    };
    let coarse_errors = coarse[t].get(i, j);
    let scale = coarse[t].scale;
    let mut weights = Weights {
        lm_weight: options.lm_weights[i],
        word_insertion_penalty: options.wips[j],
        ..options.base
    };
    let mut errors = coarse_errors;
    let mut fine = None;
    if options.fine_divisions > 1 {
        let div = options.fine_divisions;
        let lms: Vec<f64> = fine_axis(&options.lm_weights, i, div)
            .into_iter()
            .filter(|&x| x >= 0.0)
            .collect();
        let wips = fine_axis(&options.wips, j, div);
        let table = GridTable::evaluate(set, &options.base, scale, &lms, &wips);
        let (fi, fj) = match options.plateau {
            Some(margin) => {
                let (_, fi, fj) = plateau_centre(std::slice::from_ref(&table), margin);
                (fi, fj)
            }
            None => {
                // The same neighbourhood extent in fine steps as in coarse ones, halved.
                let (fi, fj, _) = table.choose(r * div / 2);
                (fi, fj)
            }
        };
        weights.lm_weight = lms[fi];
        weights.word_insertion_penalty = wips[fj];
        errors = table.get(fi, fj);
        fine = Some(table);
    }
    TuneResult {
        coarse,
        fine,
        weights,
        scale,
        errors,
        ref_words: set.ref_words(),
    }
}
