//! The grids of error counts: the value axes ([`parse_values`]), one table per
//! MBR scale ([`GridTable`]) and the rules that choose a cell
//! ([`GridTable::choose`], [`plateau_centre`]).

use rayon::prelude::*;

use super::TuneSet;
use crate::rescore::combine::Weights;
use crate::rescore::error::short;

/// The most values [`parse_values`] gives: a grid axis longer than this is
/// almost certainly a typo (`0:30:0.0005`), and its grid would take hours.
///
/// ```
/// use dashlm::rescore::{parse_values, MAX_AXIS_VALUES};
/// assert!(parse_values(&format!("1:{MAX_AXIS_VALUES}:1")).is_ok());
/// assert!(parse_values(&format!("0:{MAX_AXIS_VALUES}:1")).is_err());
/// ```
pub const MAX_AXIS_VALUES: usize = 10_000;

/// The most cells a coarse tuning grid may have (LM weights x penalties x
/// scales): each cell rescores the whole set, so a larger grid runs for hours
/// (and its tables alone take gigabytes).
///
/// ```
/// assert_eq!(dashlm::rescore::MAX_GRID_CELLS, 1_000_000);
/// ```
pub const MAX_GRID_CELLS: usize = 1_000_000;

/// Parses a list of values: `start:end:step` (inclusive) or `a,b,c`, given
/// back ascending and without repeats (a grid axis: the tuning rules take
/// neighbouring values as neighbouring cells, see [`check_options`](super::check_options)).
///
/// # Errors
/// A malformed or infinite number (or NaN), a non-positive step or one below
/// 1e-10, an end before the start, or more than [`MAX_AXIS_VALUES`] values.
///
/// ```
/// use dashlm::rescore::parse_values;
/// assert_eq!(parse_values("0:1:0.5").unwrap(), [0.0, 0.5, 1.0]);
/// assert_eq!(parse_values("0.1,0.2").unwrap(), [0.1, 0.2]);
/// assert_eq!(parse_values("2,0.5,1,0.5").unwrap(), [0.5, 1.0, 2.0]);
/// assert!(parse_values("0:1:0").is_err());
/// assert!(parse_values("0:1e-9:1e-11").is_err()); // below the 10-decimal rounding
/// assert_eq!(parse_values("0:inf:1").unwrap_err(), "`inf` is not a finite number");
/// assert!(parse_values("nan,1").is_err());
/// assert!(parse_values("0:1e9:1").unwrap_err().contains("1000000001 values"));
/// ```
pub fn parse_values(spec: &str) -> Result<Vec<f64>, String> {
    let num = |s: &str| match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(format!("`{}` is not a finite number", s.trim())),
        Err(_) => Err(format!("`{s}` is not a number")),
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let mut values = match parts[..] {
        [start, end, step] => {
            let (start, end, step) = (num(start)?, num(end)?, num(step)?);
            if step <= 0.0 || end < start {
                return Err(format!("`{spec}`: need start <= end and a positive step"));
            }
            // Counted before anything is allocated (finite, so no overflow
            // beyond the saturating cast).
            let count = ((end - start) / step + 1e-9).floor() + 1.0;
            if count > MAX_AXIS_VALUES as f64 {
                // `{:.0}` of 2e300 would print 301 digits.
                let count = if count < 1e15 {
                    format!("{count:.0}")
                } else {
                    format!("{count:.3e}")
                };
                return Err(format!(
                    "`{spec}` gives {count} values; at most {MAX_AXIS_VALUES} per axis"
                ));
            }
            if step < 1e-10 {
                return Err(format!(
                    "`{spec}`: a step below 1e-10 (grid values are rounded to 10 decimals)"
                ));
            }
            range(start, end, step)
        }
        [_] => spec
            .split(',')
            .map(num)
            .collect::<Result<Vec<f64>, String>>()?,
        _ => return Err(format!("`{spec}`: expected start:end:step or a,b,c")),
    };
    if values.len() > MAX_AXIS_VALUES {
        return Err(format!(
            "`{spec}` gives {} values; at most {MAX_AXIS_VALUES} per axis",
            values.len()
        ));
    }
    values.sort_by(f64::total_cmp);
    values.dedup();
    Ok(values)
}

pub(super) fn round10(x: f64) -> f64 {
    // Past 2^53 / 1e10 there is nothing to round (and `x * 1e10` may overflow).
    if x.abs() >= 1e6 {
        return x;
    }
    (x * 1e10).round() / 1e10
}

pub(super) fn range(start: f64, end: f64, step: f64) -> Vec<f64> {
    let n = ((end - start) / step + 1e-9).floor() as usize;
    (0..=n).map(|k| round10(start + k as f64 * step)).collect()
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
    /// Panics with a clear message unless `errors` has one count per cell.
    fn assert_shape(&self) {
        let cells = self.lm_weights.len().checked_mul(self.wips.len());
        assert!(
            cells == Some(self.errors.len()),
            "GridTable: {} errors for {} LM weights x {} penalties",
            self.errors.len(),
            self.lm_weights.len(),
            self.wips.len()
        );
    }

    /// Errors at row `i` (LM weight) and column `j` (penalty).
    ///
    /// # Panics
    /// When `(i, j)` is not a cell, or `errors` is not `lm_weights.len() x
    /// wips.len()` (before, a column past the end silently read the next row).
    ///
    /// ```
    /// use dashlm::rescore::GridTable;
    /// let t = GridTable { scale: None, lm_weights: vec![0.0], wips: vec![0.0, 1.0], errors: vec![5, 3] };
    /// assert_eq!(t.get(0, 1), 3);
    /// assert!(std::panic::catch_unwind(|| t.get(0, 2)).is_err());
    /// ```
    pub fn get(&self, i: usize, j: usize) -> u64 {
        self.assert_shape();
        assert!(
            i < self.lm_weights.len() && j < self.wips.len(),
            "GridTable: no cell ({i}, {j}) in {} LM weights x {} penalties",
            self.lm_weights.len(),
            self.wips.len()
        );
        self.at(i, j)
    }

    /// Errors at `(i, j)`, for loops over cells of a table whose shape was
    /// checked (a column past the end would read the next row).
    #[inline]
    fn at(&self, i: usize, j: usize) -> u64 {
        self.errors[i * self.wips.len() + j]
    }

    /// Mean errors over the `(2r+1)^2` window around `(i, j)`, clipped at the edges.
    ///
    /// # Panics
    /// When `(i, j)` is not a cell, or `errors` is not `lm_weights.len() x
    /// wips.len()`.
    ///
    /// ```
    /// use dashlm::rescore::GridTable;
    /// let t = GridTable { scale: None, lm_weights: vec![0.0, 1.0], wips: vec![0.0], errors: vec![4, 2] };
    /// assert_eq!(t.smoothed(0, 0, 1), 3.0);
    /// assert_eq!(t.smoothed(0, 0, 0), 4.0);
    /// ```
    pub fn smoothed(&self, i: usize, j: usize, r: usize) -> f64 {
        self.assert_shape();
        let (rows, cols) = (self.lm_weights.len(), self.wips.len());
        assert!(
            i < rows && j < cols,
            "GridTable::smoothed: cell ({i}, {j}) of a {rows} x {cols} grid"
        );
        let (mut sum, mut n) = (0u64, 0u64);
        for a in i.saturating_sub(r)..=i.saturating_add(r).min(rows - 1) {
            for b in j.saturating_sub(r)..=j.saturating_add(r).min(cols - 1) {
                sum += self.at(a, b);
                n += 1;
            }
        }
        sum as f64 / n as f64
    }

    /// The table of `set`'s errors at every cell.
    ///
    /// # Errors
    /// The first cell (in row-major order) whose weights make some
    /// hypothesis' total not finite, naming the weights and the hypothesis.
    pub(super) fn evaluate(
        set: &TuneSet,
        base: &Weights,
        scale: Option<f64>,
        lm_weights: &[f64],
        wips: &[f64],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<GridTable, String> {
        let name = |i: usize, j: usize, e: String| {
            let scale = scale.map_or(String::new(), |s| format!(", MBR scale {}", short(s)));
            format!(
                "LM weight {}, word insertion penalty {}{scale}: {e}",
                short(lm_weights[i]),
                short(wips[j])
            )
        };
        let with_lm_weight = |i: usize| Weights {
            lm_weight: lm_weights[i],
            ..*base
        };
        let counts: Vec<Result<u64, String>> = match scale {
            // A row of penalties at a time (each hypothesis' acoustic and LM
            // part computed once per row).
            None => (0..lm_weights.len())
                .into_par_iter()
                .flat_map_iter(|i| {
                    let row = set.try_errors_row(&with_lm_weight(i), wips);
                    progress(wips.len() as u64);
                    (row.into_iter().enumerate()).map(move |(j, c)| c.map_err(|e| name(i, j, e)))
                })
                .collect(),
            Some(_) => (0..lm_weights.len())
                .flat_map(|i| (0..wips.len()).map(move |j| (i, j)))
                .collect::<Vec<_>>()
                .par_iter()
                .map(|&(i, j)| {
                    let w = Weights {
                        word_insertion_penalty: wips[j],
                        ..with_lm_weight(i)
                    };
                    let errors = set.try_errors(&w, scale).map_err(|e| name(i, j, e));
                    progress(1);
                    errors
                })
                .collect(),
        };
        Ok(GridTable {
            scale,
            lm_weights: lm_weights.to_vec(),
            wips: wips.to_vec(),
            errors: counts.into_iter().collect::<Result<_, _>>()?,
        })
    }

    /// The chosen cell with radius `r`: the least smoothed mean, then the fewest
    /// own errors, then the first in row-major order. Returns `(i, j, smoothed)`.
    ///
    /// # Panics
    /// With an empty grid, or `errors` not `lm_weights.len() x wips.len()`.
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
        self.assert_shape();
        let (rows, cols) = (self.lm_weights.len(), self.wips.len());
        assert!(rows > 0 && cols > 0, "GridTable::choose: an empty grid");
        // Summed-area table: each window's sum in four reads (the same integer
        // sums as [`GridTable::smoothed`], in time independent of `r`).
        let mut area = vec![0u64; (rows + 1) * (cols + 1)];
        for i in 0..rows {
            for j in 0..cols {
                area[(i + 1) * (cols + 1) + j + 1] =
                    self.at(i, j) + area[i * (cols + 1) + j + 1] + area[(i + 1) * (cols + 1) + j]
                        - area[i * (cols + 1) + j];
            }
        }
        let window = |i: usize, j: usize| {
            let (a0, a1) = (i.saturating_sub(r), i.saturating_add(r).min(rows - 1) + 1);
            let (b0, b1) = (j.saturating_sub(r), j.saturating_add(r).min(cols - 1) + 1);
            let at = |a: usize, b: usize| area[a * (cols + 1) + b];
            let sum = at(a1, b1) + at(a0, b0) - at(a0, b1) - at(a1, b0);
            sum as f64 / ((a1 - a0) * (b1 - b0)) as f64
        };
        let mut best: Option<(usize, usize, f64, u64)> = None;
        for i in 0..rows {
            for j in 0..cols {
                let s = window(i, j);
                let e = self.at(i, j);
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
/// `(table, i, j)`. A NaN or negative margin counts as 0.
///
/// # Panics
/// When no table has a cell, or a table's `errors` is not `lm_weights.len() x
/// wips.len()`.
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
    for t in tables {
        t.assert_shape();
    }
    let min = tables
        .iter()
        .flat_map(|t| t.errors.iter().copied())
        .min()
        .expect("plateau_centre: an empty grid (no table has a cell)");
    // A NaN or negative margin is 0; with no errors at all, the plateau is the
    // cells without errors whatever the margin (`0 * inf` would be NaN).
    let limit = if min == 0 {
        0.0
    } else {
        min as f64 * (1.0 + margin.max(0.0))
    };
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

#[cfg(test)]
mod tests {
    use super::GridTable;
    use proptest::prelude::*;

    proptest! {
        /// `choose`'s summed-area windows pick what the window means of
        /// `smoothed` pick (same sums, same ties).
        #[test]
        fn choose_equals_the_window_means(
            rows in 1usize..7,
            cols in 1usize..7,
            r in 0usize..9,
            errors in proptest::collection::vec(0u64..6, 49),
        ) {
            let t = GridTable {
                scale: None,
                lm_weights: (0..rows).map(|i| i as f64).collect(),
                wips: (0..cols).map(|j| j as f64).collect(),
                errors: errors[..rows * cols].to_vec(),
            };
            let mut best: Option<(usize, usize, f64, u64)> = None;
            for i in 0..rows {
                for j in 0..cols {
                    let (s, e) = (t.smoothed(i, j, r), t.get(i, j));
                    if best.is_none_or(|(_, _, bs, be)| s < bs || (s == bs && e < be)) {
                        best = Some((i, j, s, e));
                    }
                }
            }
            let (i, j, s, _) = best.unwrap();
            prop_assert_eq!(t.choose(r), (i, j, s));
        }
    }
}
