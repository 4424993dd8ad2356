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
//!
//! The pieces: [`TuneSet`] (the set's cached features and errors, `set.rs`),
//! the grids and the rules that choose a cell ([`GridTable`],
//! [`plateau_centre`], `grid.rs`), and [`tune`] here.
//!
//! ```
//! use dashlm::rescore::{score_lists, tune, Hypothesis, NbestList, TuneOptions, TuneSet};
//! # let lm = dashlm::ReferenceModel::read(&include_bytes!("../../../data/tiny.arpa")[..], "tiny").unwrap();
//! let lists = vec![NbestList::new("u1").with_reference("the cat sat")
//!     .with_hyp(Hypothesis::new("the cat sat on", -50.0))
//!     .with_hyp(Hypothesis::new("the cat sat", -50.5))];
//! let (new_lm, _) = score_lists(&lm, &lists, |_| {}); // the new LM scores, computed once
//! let set = TuneSet::new(&lists, &new_lm, false);
//! assert_eq!((set.first_errors(), set.oracle_errors()), (1, 0));
//! let opts = TuneOptions { lm_weights: vec![0.0, 0.5, 1.0, 1.5], wips: vec![0.0], ..TuneOptions::default() };
//! let r = tune(&set, &opts);
//! assert_eq!(r.coarse[0].get(0, 0), 1); // LM weight 0: the acoustic 1-best
//! assert_eq!((r.errors, r.weights.lm_weight), (0, 1.0)); // the centre of 0.5..1.5
//! ```

mod grid;
mod set;

pub use grid::{parse_values, plateau_centre, GridTable, MAX_AXIS_VALUES, MAX_GRID_CELLS};
pub use set::TuneSet;

use super::combine::Weights;
use super::nbest::NbestList;
use grid::{range, round10};

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
    /// LM weights of the coarse grid, strictly ascending (the finer pass
    /// steps by the gaps beside the chosen weight, so they need not be even).
    pub lm_weights: Vec<f64>,
    /// Word insertion penalties of the coarse grid, strictly ascending.
    pub wips: Vec<f64>,
    /// MBR posterior scales, strictly ascending; empty for plain top-score
    /// selection.
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

impl TuneOptions {
    /// The cells of the coarse grid: LM weights x penalties x scales (1 scale
    /// without MBR), saturating.
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::TuneOptions::default().grid_cells(), 61 * 81);
    /// ```
    pub fn grid_cells(&self) -> usize {
        [
            self.lm_weights.len(),
            self.wips.len(),
            self.scales.len().max(1),
        ]
        .iter()
        .fold(1usize, |n, &k| n.saturating_mul(k))
    }

    /// The most cells the search evaluates: the coarse grid's
    /// ([`TuneOptions::grid_cells`]) and the finer pass's, at most `(2 x
    /// fine_divisions + 1)^2` (none for 0 or 1 divisions), saturating.
    ///
    /// ```
    /// use dashlm::rescore::TuneOptions;
    /// let o = TuneOptions { fine_divisions: 10, ..TuneOptions::default() };
    /// assert_eq!(o.searched_cells(), 61 * 81 + 21 * 21);
    /// let o = TuneOptions { fine_divisions: 1, ..TuneOptions::default() };
    /// assert_eq!(o.searched_cells(), 61 * 81);
    /// ```
    pub fn searched_cells(&self) -> usize {
        let fine = match self.fine_divisions {
            0 | 1 => 0,
            d => d.saturating_mul(2).saturating_add(1).saturating_pow(2),
        };
        self.grid_cells().saturating_add(fine)
    }

    /// An error when an axis has more than [`MAX_AXIS_VALUES`] values or the
    /// coarse grid more than [`MAX_GRID_CELLS`] cells (part of
    /// [`check_options`], and needing no set: a program can check before it
    /// reads its lists).
    ///
    /// ```
    /// use dashlm::rescore::TuneOptions;
    /// assert!(TuneOptions::default().check_size().is_ok());
    /// let o = TuneOptions { lm_weights: vec![0.0; 2000], wips: vec![0.0; 2000], ..TuneOptions::default() };
    /// assert!(o.check_size().unwrap_err().starts_with("the grid has 4000000 cells"));
    /// ```
    pub fn check_size(&self) -> Result<(), String> {
        for (axis, values) in [
            ("LM weight", &self.lm_weights),
            ("word insertion penalty", &self.wips),
            ("MBR scale", &self.scales),
        ] {
            if values.len() > MAX_AXIS_VALUES {
                return Err(format!(
                    "the {axis} axis has {} values; at most {MAX_AXIS_VALUES}",
                    values.len()
                ));
            }
        }
        let cells = self.grid_cells();
        if cells > MAX_GRID_CELLS {
            return Err(format!(
                "the grid has {cells} cells (LM weights x penalties x scales); at most \
                 {MAX_GRID_CELLS}: use coarser steps, then a finer pass"
            ));
        }
        Ok(())
    }
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

/// The finer axis around `values[k]`: `div` steps per coarse gap on each
/// side, each side stepping by its own gap (the one beyond the end of the
/// axis is the gap on the other side; 1 on an axis of one value). Halved
/// before subtracting, a gap is finite for any finite axis (`1.7e308 -
/// -1.7e308` is not), and points past the range of `f64` are left out, so
/// every value is finite, as the coarse ones are.
fn fine_axis(values: &[f64], k: usize, div: usize) -> Vec<f64> {
    let half_gap = |a: f64, b: f64| (b / 2.0 - a / 2.0).abs();
    let below = k.checked_sub(1).map(|p| half_gap(values[p], values[k]));
    let above = values.get(k + 1).map(|&n| half_gap(values[k], n));
    let (below, above) = match (below, above) {
        (Some(b), Some(a)) => (b, a),
        (Some(g), None) | (None, Some(g)) => (g, g),
        (None, None) => (0.5, 0.5),
    };
    let c = values[k];
    let (down, up) = (below / div as f64 * 2.0, above / div as f64 * 2.0);
    let lower = (1..=div).rev().map(|m| c - m as f64 * down);
    let upper = (1..=div).map(|m| c + m as f64 * up);
    let mut axis: Vec<f64> = lower
        .chain(std::iter::once(c))
        .chain(upper)
        .map(round10)
        .filter(|v| v.is_finite())
        .collect();
    // Steps below the rounding (10 decimals) give one value many times.
    axis.dedup();
    axis
}

/// The first place where `values` does not strictly ascend, as a message.
fn not_ascending(axis: &str, values: &[f64]) -> Option<String> {
    values.windows(2).find(|w| w[0] >= w[1]).map(|w| {
        format!(
            "the {axis} axis must ascend without repeats (neighbouring values are \
             neighbouring grid cells), but {} comes before {}",
            w[0], w[1]
        )
    })
}

/// Checks `options` against `set`: what [`tune`] needs to search.
///
/// # Errors
/// An empty LM weight or penalty axis; an axis that does not strictly
/// ascend ([`parse_values`] sorts its values); an axis of more than
/// [`MAX_AXIS_VALUES`] values, or more than [`MAX_GRID_CELLS`] cells in the
/// coarse grid (each cell rescores the whole set); a grid value, MBR scale, fixed weight
/// ([`TuneOptions::base`]) or plateau margin that is NaN or infinite (the MBR
/// scale may be `+inf`); MBR scales with a set prepared without `mbr`; more
/// than [`MAX_AXIS_VALUES`]` / 2` fine divisions; a smoothing radius with a
/// plateau margin (the radius applies only to the plain rule, `plateau:
/// None`).
///
/// ```
/// use dashlm::rescore::{check_options, TuneOptions, TuneSet};
/// let set = TuneSet::new(&[], &[], false);
/// assert!(check_options(&set, &TuneOptions::default()).is_ok());
/// let o = TuneOptions { wips: vec![], ..TuneOptions::default() };
/// assert_eq!(check_options(&set, &o).unwrap_err(), "the word insertion penalty axis is empty");
/// let o = TuneOptions { lm_weights: vec![1.0, 0.5, 2.0], ..TuneOptions::default() };
/// assert!(check_options(&set, &o).unwrap_err().ends_with("but 1 comes before 0.5"));
/// ```
pub fn check_options(set: &TuneSet, options: &TuneOptions) -> Result<(), String> {
    for (axis, values) in [
        ("LM weight", &options.lm_weights),
        ("word insertion penalty", &options.wips),
    ] {
        if values.is_empty() {
            return Err(format!("the {axis} axis is empty"));
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(format!("the {axis} axis holds {v}, not a finite number"));
        }
    }
    if let Some(s) = options.scales.iter().find(|s| s.is_nan() || **s < 0.0) {
        return Err(format!(
            "the MBR scale {s}: expected a number >= 0 (or +inf)"
        ));
    }
    for (axis, values) in [
        ("LM weight", &options.lm_weights),
        ("word insertion penalty", &options.wips),
        ("MBR scale", &options.scales),
    ] {
        if let Some(e) = not_ascending(axis, values) {
            return Err(e);
        }
    }
    if !options.scales.is_empty() && !set.has_mbr() {
        return Err("MBR scales need a set prepared with `mbr` (TuneSet::new)".to_string());
    }
    options.base.check()?;
    options.check_size()?;
    if !options.scales.is_empty() {
        if let Some(e) = set.mbr_grid_error(options.searched_cells()) {
            return Err(e);
        }
    }
    if options.fine_divisions > MAX_AXIS_VALUES / 2 {
        return Err(format!(
            "{} fine divisions: at most {} (the finer grid has 2 x divisions + 1 values \
             per axis)",
            options.fine_divisions,
            MAX_AXIS_VALUES / 2
        ));
    }
    if let Some(m) = options.plateau.filter(|m| !m.is_finite()) {
        return Err(format!("the plateau margin is {m}, not a finite number"));
    }
    if options.plateau.is_some() && options.smooth_radius > 0 {
        return Err(format!(
            "a smoothing radius ({}) applies only without a plateau margin (plateau: None)",
            options.smooth_radius
        ));
    }
    Ok(())
}

/// [`tune`], or an error for options it cannot search ([`check_options`]).
///
/// # Errors
/// As [`check_options`]; a grid cell whose weights combine some hypothesis'
/// finite scores into a total that is not finite (such totals rank nothing),
/// naming the weights and the hypothesis ([`check_overflow`](super::check_overflow)).
///
/// ```
/// use dashlm::rescore::{try_tune, NbestList, TuneOptions, TuneSet};
/// let set = TuneSet::new(&[NbestList::new("u").with_reference("a")], &[vec![]], false);
/// assert!(try_tune(&set, &TuneOptions::default()).is_ok());
/// let o = TuneOptions { lm_weights: vec![f64::NAN], ..TuneOptions::default() };
/// assert!(try_tune(&set, &o).is_err());
/// // Two words: 2 x 1e308 is past a 64-bit float's range.
/// let l = NbestList::new("u").with_reference("a b").with_hyp(dashlm::rescore::Hypothesis::new("a b", -1.0));
/// let set = TuneSet::new(&[l], &[vec![-2.0]], false);
/// let huge = TuneOptions { wips: vec![-1e308, 0.0], lm_weights: vec![1.0], ..TuneOptions::default() };
/// assert_eq!(try_tune(&set, &huge).unwrap_err(), "LM weight 1, word insertion penalty -1e308: \
///     utterance `u`, hypothesis 1: the combined score is -inf (weights or scores too large)");
/// ```
pub fn try_tune(set: &TuneSet, options: &TuneOptions) -> Result<TuneResult, String> {
    try_tune_with_progress(set, options, &|_| {})
}

/// [`try_tune`], calling `progress` with the number of grid cells just
/// evaluated, from any thread, as the search goes (the coarse grid's
/// [`TuneOptions::grid_cells`], then the finer pass's, at most `(2 x
/// fine_divisions + 1)^2`): for a progress bar.
///
/// # Errors
/// As [`try_tune`].
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use dashlm::rescore::{try_tune_with_progress, NbestList, TuneOptions, TuneSet};
/// let set = TuneSet::new(&[NbestList::new("u").with_reference("a")], &[vec![]], false);
/// let options = TuneOptions { fine_divisions: 0, ..TuneOptions::default() };
/// let done = AtomicU64::new(0);
/// try_tune_with_progress(&set, &options, &|n| {
///     done.fetch_add(n, Ordering::Relaxed);
/// })
/// .unwrap();
/// assert_eq!(done.into_inner(), options.grid_cells() as u64);
/// ```
pub fn try_tune_with_progress(
    set: &TuneSet,
    options: &TuneOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<TuneResult, String> {
    check_options(set, options)?;
    search(set, options, progress)
}

/// Searches the grid (and a finer grid around the chosen cell) for the weights
/// with the fewest errors on `set` (see the [module](self) docs).
///
/// # Panics
/// With options [`check_options`] refuses (an empty grid, NaN or infinite
/// values, MBR scales on a set prepared without `mbr`), or weights whose
/// totals are not finite; [`try_tune`] returns the error instead.
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
    try_tune(set, options).unwrap_or_else(|e| panic!("tune: {e}"))
}

fn search(
    set: &TuneSet,
    options: &TuneOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<TuneResult, String> {
    let scales: Vec<Option<f64>> = if options.scales.is_empty() {
        vec![None]
    } else {
        options.scales.iter().map(|&s| Some(s)).collect()
    };
    let r = options.smooth_radius;
    let coarse: Vec<GridTable> = scales
        .iter()
        .map(|&s| {
            let (lms, wips) = (&options.lm_weights, &options.wips);
            GridTable::evaluate(set, &options.base, s, lms, wips, progress)
        })
        .collect::<Result<_, _>>()?;
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
        // Not below 0 (a negative weight turns the LM around) unless the
        // coarse grid goes below 0, then not below its least weight: the
        // chosen weight itself always stays.
        let floor = options.lm_weights.iter().copied().fold(0.0f64, f64::min);
        let lms: Vec<f64> = fine_axis(&options.lm_weights, i, div)
            .into_iter()
            .filter(|&x| x >= floor)
            .collect();
        let wips = fine_axis(&options.wips, j, div);
        let table = GridTable::evaluate(set, &options.base, scale, &lms, &wips, progress)?;
        let (fi, fj) = match options.plateau {
            Some(margin) => {
                let (_, fi, fj) = plateau_centre(std::slice::from_ref(&table), margin);
                (fi, fj)
            }
            None => {
                // The same neighbourhood extent in fine steps as in coarse ones, halved.
                let (fi, fj, _) = table.choose(r.saturating_mul(div) / 2);
                (fi, fj)
            }
        };
        weights.lm_weight = lms[fi];
        weights.word_insertion_penalty = wips[fj];
        errors = table.get(fi, fj);
        fine = Some(table);
    }
    Ok(TuneResult {
        coarse,
        fine,
        weights,
        scale,
        errors,
        ref_words: set.ref_words(),
    })
}

/// The most pair sums `tune --mbr` makes for one list: the expected errors of
/// every hypothesis against every other, in every cell of the grid, 1-3 ns
/// each (one list of 5,000 hypotheses took 73 ms a cell: 36 minutes for the
/// default grid of 29,646 cells; 1,000 hypotheses, 3 x 10^10 pair sums, 18 s).
///
/// ```
/// assert_eq!(dashlm::rescore::MAX_MBR_GRID_PAIRS, 100_000_000_000);
/// ```
pub const MAX_MBR_GRID_PAIRS: u128 = 100_000_000_000;

/// An error naming the list `id` of `hyps` hypotheses if its MBR choices
/// over a grid of `cells` cells would make more than [`MAX_MBR_GRID_PAIRS`]
/// pair sums.
fn mbr_grid_error(id: &str, hyps: usize, cells: usize) -> Option<String> {
    let pairs = (hyps as u128).pow(2) * cells as u128;
    (pairs > MAX_MBR_GRID_PAIRS).then(|| {
        format!(
            "utterance `{}` has {hyps} hypotheses: tune --mbr weighs every pair in each of \
             the {cells} cells searched (the grid's and the finer pass's), {pairs} pair sums; \
             at most {MAX_MBR_GRID_PAIRS} per list (a coarser grid, fewer --fine divisions, \
             or keep the best hypotheses, e.g. rescore with --top first)",
            super::error::clip(id),
        )
    })
}

/// An error naming the first list with a reference (the lists a [`TuneSet`]
/// keeps) whose MBR choices over `cells` cells would take more than
/// [`MAX_MBR_GRID_PAIRS`] pair sums: check before preparing a [`TuneSet`]
/// with `mbr`, with `cells` the [`TuneOptions::searched_cells`] of the search
/// ([`check_options`] checks the set's lists again).
///
/// ```
/// use dashlm::rescore::{check_mbr_grid, Hypothesis, NbestList};
/// let list = NbestList::new("u").with_hyp(Hypothesis::new("a", 0.0));
/// let mut big = NbestList::new("big").with_reference("a");
/// big.hyps = vec![Hypothesis::new("a", 0.0); 2_000];
/// let lists = [list, big];
/// assert!(check_mbr_grid(&lists, 25_000).is_ok());
/// let err = check_mbr_grid(&lists, 30_000).unwrap_err();
/// assert!(err.starts_with("utterance `big` has 2000 hypotheses"), "{err}");
/// ```
pub fn check_mbr_grid(lists: &[NbestList], cells: usize) -> Result<(), String> {
    let mut tuned = lists.iter().filter(|l| l.reference.is_some());
    match tuned.find_map(|l| mbr_grid_error(&l.id, l.hyps.len(), cells)) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MBR grids whose pair sums pass the limit on some list are refused by
    /// `check_options` as by `check_mbr_grid` (before, only the command line
    /// checked them).
    #[test]
    fn mbr_grids_past_the_limit_are_refused() {
        use crate::rescore::Hypothesis;
        let mut big = NbestList::new("big").with_reference("a");
        big.hyps = vec![Hypothesis::new("a", 0.0); 1_000];
        let lists = [big];
        let set = TuneSet::new(&lists, &[vec![-1.0; 1_000]], true);
        let axis = |n: usize| (0..n).map(|k| k as f64).collect::<Vec<f64>>();
        // 1,000^2 pairs x 100 x 1,000 x 1 cells = 10^11: at the limit.
        let mut o = TuneOptions {
            lm_weights: axis(100),
            wips: axis(1_000),
            scales: vec![1.0],
            ..TuneOptions::default()
        };
        assert_eq!(check_mbr_grid(&lists, o.grid_cells()), Ok(()));
        assert_eq!(check_options(&set, &o), Ok(()));
        o.scales.push(2.0);
        let want = check_mbr_grid(&lists, o.grid_cells()).unwrap_err();
        assert!(
            want.starts_with("utterance `big` has 1000 hypotheses"),
            "{want}"
        );
        assert_eq!(check_options(&set, &o), Err(want));
    }

    /// Axes and grids past the limits are refused by `check_options` (before,
    /// only the command line's parser counted them, and `try_tune` on a
    /// 10^10-cell grid aborted allocating its tables).
    #[test]
    fn grids_past_the_limits_are_refused() {
        let set = TuneSet::new(&[], &[], false);
        let axis = |n: usize| (0..n).map(|k| k as f64).collect::<Vec<f64>>();
        let o = |lm: usize, wip: usize| TuneOptions {
            lm_weights: axis(lm),
            wips: axis(wip),
            ..TuneOptions::default()
        };
        assert!(check_options(&set, &o(MAX_AXIS_VALUES, 100)).is_ok());
        assert_eq!(
            check_options(&set, &o(MAX_AXIS_VALUES + 1, 1)).unwrap_err(),
            "the LM weight axis has 10001 values; at most 10000"
        );
        assert_eq!(
            try_tune(&set, &o(10_000, 10_000)).unwrap_err(),
            "the grid has 100000000 cells (LM weights x penalties x scales); at most 1000000: \
             use coarser steps, then a finer pass"
        );
    }

    /// The progress reported is every cell evaluated: the coarse grid's (each
    /// MBR scale's table) and the finer pass's.
    #[test]
    fn progress_counts_every_cell_of_both_passes() {
        use crate::rescore::Hypothesis;
        let l = NbestList::new("u")
            .with_reference("a")
            .with_hyp(Hypothesis::new("b", -1.0))
            .with_hyp(Hypothesis::new("a", -2.0));
        for mbr in [false, true] {
            let set = TuneSet::new(std::slice::from_ref(&l), &[vec![-9.0, -1.0]], mbr);
            let o = TuneOptions {
                scales: if mbr { vec![0.5, 1.0] } else { vec![] },
                fine_divisions: 3,
                ..TuneOptions::default()
            };
            let done = std::sync::atomic::AtomicU64::new(0);
            let r = try_tune_with_progress(&set, &o, &|n| {
                done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            })
            .unwrap();
            let fine = r.fine.as_ref().unwrap();
            let fine_cells = fine.lm_weights.len() * fine.wips.len();
            assert!(fine_cells as u64 <= 7 * 7);
            assert_eq!(done.into_inner(), (o.grid_cells() + fine_cells) as u64);
        }
    }

    /// Each side of the finer axis steps by the coarse gap on that side (before,
    /// every axis stepped by its first gap, so `0,1,5` refined around 5 by
    /// steps of a fifth of 1).
    #[test]
    fn the_finer_axis_steps_by_the_gaps_beside_the_chosen_value() {
        let axis = [0.0, 1.0, 5.0];
        assert_eq!(fine_axis(&axis, 1, 2), [0.0, 0.5, 1.0, 3.0, 5.0]);
        assert_eq!(fine_axis(&axis, 2, 2), [1.0, 3.0, 5.0, 7.0, 9.0]);
        assert_eq!(fine_axis(&axis, 0, 2), [-1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!(fine_axis(&[2.0], 0, 2), [1.0, 1.5, 2.0, 2.5, 3.0]);
        // Steps below the 10-decimal rounding: each value once (before: 0.5e-9
        // ten times, which weighed on the plateau's centre).
        let tiny = fine_axis(&[0.0, 1e-10], 1, 10);
        assert_eq!(tiny, [0.0, 1e-10, 2e-10]);
    }

    /// Axes out of order are refused: the plateau and smoothing rules take
    /// neighbouring values as neighbouring cells.
    #[test]
    fn axes_out_of_order_or_repeated_are_refused() {
        let set = TuneSet::new(&[], &[], false);
        let wips = TuneOptions {
            wips: vec![0.0, -1.0],
            ..TuneOptions::default()
        };
        assert_eq!(
            check_options(&set, &wips).unwrap_err(),
            "the word insertion penalty axis must ascend without repeats (neighbouring \
             values are neighbouring grid cells), but 0 comes before -1"
        );
        let repeated = TuneOptions {
            lm_weights: vec![1.0, 1.0],
            ..TuneOptions::default()
        };
        assert!(check_options(&set, &repeated)
            .unwrap_err()
            .contains("1 comes before 1"));
    }

    /// The finer pass around an axis that spans more than `f64::MAX` gives
    /// finite weights (before: `inf` and NaN, from an overflowed step).
    #[test]
    fn the_finer_pass_stays_finite_on_extreme_axes() {
        let axis = vec![-1.7e308, 1.7e308];
        let fine = fine_axis(&axis, 1, 2);
        assert!(fine.iter().all(|v| v.is_finite()), "{fine:?}");
        // 1.7e308 and 0 (the points past it and the product for the one
        // two steps below overflow).
        assert_eq!(fine, [0.0, 1.7e308]);
        // No hypotheses, so no total overflows on the coarse grid.
        let set = TuneSet::new(&[NbestList::new("u").with_reference("a")], &[vec![]], false);
        let o = TuneOptions {
            lm_weights: axis.clone(),
            wips: axis,
            fine_divisions: 2,
            ..TuneOptions::default()
        };
        let r = try_tune(&set, &o).unwrap();
        assert!(r.weights.lm_weight.is_finite() && r.weights.word_insertion_penalty.is_finite());
    }
}
