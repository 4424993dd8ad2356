//! Per-order codebooks for quantized weights (like KenLM's `-q`/`-b` binning).

use super::runs::{midpoint, Runs};
use super::segments;
use crate::format::segmented::{self, LEVELS, MAX_SEGMENTS};

/// A sorted list of representative values; a weight is stored as the index of
/// the nearest one.
///
/// A 16-bit codebook (q16's) of more than [`SEGMENTED_ABOVE`] distinct values
/// is *segmented* (see [`crate::format::segmented`] and `segments`): up to 256
/// segments of 256 evenly spaced values, cut at about equal counts, so that a
/// reader decodes a code by arithmetic on a 2 KiB table rather than reading
/// one of up to 2^16 values (256 KiB). Otherwise, when the
/// distinct values fit in the codebook, it holds them exactly (lossless);
/// else it holds the least and the greatest value exactly and starts the
/// other centers as bins of about equal count of the values between, each a
/// range of whole runs of equal values (a value tied more often than its
/// share gets a bin alone, so ties do not waste codes) represented by its
/// mean; Lloyd's algorithm then refines those (each moves to the mean of the
/// values nearest to it), which lowers the mean squared error of the
/// weights. A weight is stored as its nearest center, so its error is at
/// most half the gap between the two centers around it. `-inf` gets an exact
/// code of its own. (A codebook of 2 codes or fewer keeps no value exactly:
/// its centers are the means of equal-count bins.)
///
/// ```
/// use dashlm::build::Codebook;
/// let cb = Codebook::build(vec![-1.0, -2.0, -2.0, f32::NEG_INFINITY], 8);
/// assert_eq!(cb.decode(cb.encode(-2.0)), -2.0);
/// assert_eq!(cb.decode(cb.encode(f32::NEG_INFINITY)), f32::NEG_INFINITY);
/// assert!(!cb.segmented());
/// // 5000 distinct values in 16 bits: segmented, each value within half a
/// // step of its segment (its 256 levels span about 20 values here).
/// let values: Vec<f32> = (0..5000).map(|i| -(i as f32) / 1000.0).collect();
/// let cb = Codebook::build(values.clone(), 16);
/// assert!(cb.segmented());
/// assert!(values.iter().all(|&v| (cb.decode(cb.encode(v)) - v).abs() < 1e-4));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Codebook {
    /// The `(base, step)` segments of a segmented codebook (empty otherwise),
    /// as stored in the file.
    segments: Vec<[f32; 2]>,
    /// The values of the codes, in code order: every level of every segment
    /// when segmented.
    centers: Vec<f32>,
    /// `thresholds[j]`: the least value nearer to center `j + 1` than to
    /// center `j`, so that a value's code is the number of thresholds not
    /// above it.
    thresholds: Vec<f32>,
    /// Where [`Codebook::encode`] looks first.
    grid: Grid,
}

/// An index of the thresholds by value: the range from the lowest finite
/// center to the highest is cut into equal cells, each holding the number of
/// thresholds in the cells before it and the first threshold in it. Most
/// cells hold at most one threshold, so most values are encoded from their
/// cell alone (one random access instead of a binary search). A threshold in
/// an earlier cell is below the value and one in a later cell is above it,
/// because a higher value never has a lower cell; values out of the range,
/// `-inf` included, fall in the first or last cell.
#[derive(Clone, Debug, PartialEq)]
struct Grid {
    low: f32,
    /// Cells per unit of value (0 when the range is empty or not finite: one
    /// cell holds everything).
    scale: f32,
    /// One per cell, and one at the end for all the thresholds.
    cells: Vec<Cell>,
}

/// A cell of a [`Grid`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Cell {
    /// The number of thresholds in the cells before this one.
    first: u32,
    /// `thresholds[first]` (`inf` at the end).
    threshold: f32,
}

/// The width of the codebooks that are segmented when they would hold more
/// than [`SEGMENTED_ABOVE`] values (q16's).
const SEGMENTED_BITS: u32 = 16;

/// The most distinct values a 16-bit codebook keeps exactly; above, it is
/// segmented. An exact codebook of at most this many values (16 KiB) stays
/// in the cache and its codes may be narrower than 16 bits; a larger one is
/// read from memory. Measured on the generated 10M-n-gram model (q16,
/// `bench-query`, two runs of 7 alternating rounds against 2^16-value Lloyd
/// codebooks): Lloyd codebooks of 2^12 values were 1.105x as fast, segmented
/// ones 1.151x.
///
/// ```
/// assert_eq!(dashlm::build::SEGMENTED_ABOVE, 4096);
/// ```
pub const SEGMENTED_ABOVE: usize = 1 << 12;

/// Cells per center in a [`Grid`].
const CELLS_PER_CENTER: usize = 2;

/// The most rounds of Lloyd's algorithm [`Codebook::build`] runs.
const LLOYD_ROUNDS: usize = 25;

impl Codebook {
    /// Builds a codebook of at most `2^bits` entries for `values` (only as many as
    /// there are distinct representatives: small models get small codebooks).
    /// `values` is sorted in place, as integer keys, into its runs of equal
    /// values; Lloyd's algorithm then works on the runs. Codes are `u32`, so
    /// `bits` above 32 count as 32. NaN and `+inf` values are left out. A
    /// center of 0 is -0 unless some value is +0 (a log10 probability of 0
    /// stays -0, as KenLM gives it).
    ///
    /// ```
    /// use dashlm::build::Codebook;
    /// // Three distinct values in a 1-bit codebook: two bins.
    /// let cb = Codebook::build(vec![-3.0, -3.0, -1.0, -0.5], 1);
    /// assert_eq!(cb.to_bytes().len(), 2 * 4);
    /// assert_eq!(cb.decode(cb.encode(-3.0)), -3.0);
    /// assert_eq!(cb.decode(cb.encode(-1.0)), -0.75);
    /// // Any width: 64 bits is 32 (lossless here).
    /// let wide = Codebook::build(vec![-3.0, -1.0], 64);
    /// assert_eq!(wide.decode(wide.encode(-1.0)), -1.0);
    /// let zero = Codebook::build(vec![-0.0, -2.0], 8);
    /// assert!(zero.decode(zero.encode(-0.0)).is_sign_negative());
    /// ```
    pub fn build(mut values: Vec<f32>, bits: u32) -> Codebook {
        let has_neg_inf = values.contains(&f32::NEG_INFINITY);
        let has_pos_zero = values.iter().any(|v| v.to_bits() == 0);
        values.retain(|v| v.is_finite());
        Codebook::of_runs(Runs::new(values), has_neg_inf, has_pos_zero, bits)
    }

    /// [`Codebook::build`] of `values[i]` repeated `counts[i]` times, without
    /// the repeated values: the same codebook from a histogram.
    pub(super) fn build_counted(values: &[f32], counts: &[u64], bits: u32) -> Codebook {
        let present = || values.iter().zip(counts).filter(|(_, &n)| n > 0);
        let has_neg_inf = present().any(|(&v, _)| v == f32::NEG_INFINITY);
        let has_pos_zero = present().any(|(&v, _)| v.to_bits() == 0);
        let finite = present().filter(|(v, _)| v.is_finite());
        let runs = Runs::counted(finite.map(|(&v, &n)| (v, n)));
        Codebook::of_runs(runs, has_neg_inf, has_pos_zero, bits)
    }

    /// The codebook of at most `2^bits` entries for the finite values of
    /// `runs`, `-inf` and `+0` among the values or not.
    fn of_runs(runs: Runs, has_neg_inf: bool, has_pos_zero: bool, bits: u32) -> Codebook {
        if bits == SEGMENTED_BITS && runs.values.len() > SEGMENTED_ABOVE {
            let segments = segments::segments(
                &runs.values,
                &runs.counts,
                has_neg_inf,
                has_pos_zero,
                MAX_SEGMENTS,
            );
            let levels = segments.iter().flat_map(|&[base, step]| {
                (0..LEVELS as u32).map(move |level| segmented::value(base, step, level))
            });
            let centers = levels.collect();
            return Codebook {
                segments,
                ..Codebook::from_centers(centers)
            };
        }
        // At most 2^32 (codes are u32), saturating on 32-bit targets.
        let size = 1usize.checked_shl(bits.min(32)).unwrap_or(usize::MAX);
        let room = size - usize::from(has_neg_inf);
        let mut centers = if runs.values.len() <= room {
            runs.values
        } else if room >= 3 {
            let mut centers = runs.pinned_centers(room);
            runs.lloyd(&mut centers, LLOYD_ROUNDS, true);
            centers
        } else {
            let mut centers = runs.equal_count_centers(0..runs.values.len(), room);
            runs.lloyd(&mut centers, LLOYD_ROUNDS, false);
            centers
        };
        if !has_pos_zero {
            // A mean of zeros is +0 in floating point; without a +0 among the
            // values it stands for -0 (a log10 probability of 0, which KenLM
            // gives as -0), so it is stored as -0.
            for c in centers.iter_mut().filter(|c| **c == 0.0) {
                *c = -0.0;
            }
        }
        centers.dedup();
        if has_neg_inf {
            centers.insert(0, f32::NEG_INFINITY);
        }
        if centers.is_empty() {
            centers.push(0.0);
        }
        Codebook::from_centers(centers)
    }

    /// Wraps stored centers (sorted, as [`Codebook::build`] makes them).
    ///
    /// ```
    /// let cb = dashlm::build::Codebook::from_centers(vec![-2.0, -1.0, 0.0]);
    /// assert_eq!(cb.encode(-0.9), 1);
    /// ```
    pub fn from_centers(centers: Vec<f32>) -> Codebook {
        let thresholds: Vec<f32> = centers
            .windows(2)
            .map(|pair| least_above(midpoint(pair[0], pair[1])))
            .collect();
        let grid = Grid::new(&centers, &thresholds);
        Codebook {
            segments: Vec::new(),
            centers,
            thresholds,
            grid,
        }
    }

    /// The index of the center nearest to `value` (the lower one on a tie).
    ///
    /// ```
    /// let cb = dashlm::build::Codebook::from_centers(vec![f32::NEG_INFINITY, -2.0, -1.0]);
    /// assert_eq!(cb.encode(-1.4), 2);
    /// assert_eq!(cb.encode(-1.5), 1);
    /// assert_eq!(cb.encode(-9.0), 1);
    /// assert_eq!(cb.encode(f32::NEG_INFINITY), 0);
    /// ```
    pub fn encode(&self, value: f32) -> u32 {
        let cell = self.grid.cell(value);
        let Cell { first, threshold } = self.grid.cells[cell];
        let end = self.grid.cells[cell + 1].first;
        // Without a branch on the value in the usual case of at most one
        // threshold in the cell, so that the searches of consecutive values
        // overlap.
        let above_first = u32::from(first < end && value >= threshold);
        if end - first <= 1 || above_first == 0 {
            return first + above_first;
        }
        let rest = &self.thresholds[first as usize + 1..end as usize];
        first + 1 + rest.partition_point(|&t| t <= value) as u32
    }

    /// The center of `code` (0 for an out-of-range code).
    ///
    /// ```
    /// let cb = dashlm::build::Codebook::from_centers(vec![-2.0, -1.0]);
    /// assert_eq!((cb.decode(1), cb.decode(2)), (-1.0, 0.0));
    /// ```
    pub fn decode(&self, code: u32) -> f32 {
        self.centers.get(code as usize).copied().unwrap_or(0.0)
    }

    /// The fewest bits that hold every code of this codebook (at least 1): the
    /// width of its field in a table's slots.
    ///
    /// ```
    /// use dashlm::build::Codebook;
    /// let cb = Codebook::build(vec![-3.0, -2.0, -1.0, -0.5, -0.25], 8);
    /// assert_eq!(cb.code_bits(), 3); // 5 values: codes 0..=4
    /// assert_eq!(Codebook::from_centers(vec![-1.0]).code_bits(), 1);
    /// assert_eq!(Codebook::from_centers(vec![-2.0, -1.0]).code_bits(), 1);
    /// // An 8-bit codebook of many distinct values fills its 256 codes.
    /// let full = Codebook::build((0..1000).map(|i| -(i as f32) / 100.0).collect(), 8);
    /// assert_eq!(full.code_bits(), 8);
    /// ```
    pub fn code_bits(&self) -> u32 {
        let top_code = self.centers.len().saturating_sub(1) as u64;
        crate::format::bits::bits_for(top_code).max(1)
    }

    /// Whether the codebook is segmented (its file section holds segments,
    /// not values; see [`crate::format::segmented`]).
    ///
    /// ```
    /// use dashlm::build::Codebook;
    /// assert!(!Codebook::from_centers(vec![-1.0]).segmented());
    /// let many: Vec<f32> = (0..5000).map(|i| -(i as f32)).collect();
    /// assert!(Codebook::build(many.clone(), 16).segmented());
    /// assert!(!Codebook::build(many, 12).segmented()); // a Lloyd codebook
    /// // 3000 distinct values: exact (12-bit codes, a 12 KiB codebook).
    /// let some: Vec<f32> = (0..3000).map(|i| -(i as f32)).collect();
    /// assert!(!Codebook::build(some, 16).segmented());
    /// ```
    pub fn segmented(&self) -> bool {
        !self.segments.is_empty()
    }

    /// The file section's bytes: the centers as little-endian f32 values, or
    /// a segmented codebook's `(base, step)` segments.
    ///
    /// ```
    /// use dashlm::build::Codebook;
    /// use dashlm::format::segmented;
    /// let cb = Codebook::from_centers(vec![-1.0]);
    /// assert_eq!(cb.to_bytes(), (-1.0f32).to_le_bytes());
    /// let many: Vec<f32> = (0..6000).map(|i| -(i as f32) / 7.0).collect();
    /// let cb = Codebook::build(many, 16);
    /// let bytes = cb.to_bytes();
    /// assert_eq!(bytes.len() % segmented::SEGMENT_BYTES, 0);
    /// // The reader's decoding gives the builder's values.
    /// let table = segmented::segments(&bytes);
    /// assert!((0..1u32 << cb.code_bits()).all(|c| {
    ///     let [base, step] = table[(c >> segmented::SEGMENT_BITS) as usize];
    ///     segmented::value(base, step, c) == cb.decode(c)
    /// }));
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.segmented() {
            return self
                .segments
                .iter()
                .flatten()
                .flat_map(|v| v.to_le_bytes())
                .collect();
        }
        self.centers.iter().flat_map(|c| c.to_le_bytes()).collect()
    }
}

impl Grid {
    /// The grid of sorted `thresholds` between sorted `centers`, with
    /// [`CELLS_PER_CENTER`] cells per center.
    fn new(centers: &[f32], thresholds: &[f32]) -> Grid {
        let mut finite = centers.iter().copied().filter(|c| c.is_finite());
        let low = finite.next().unwrap_or(0.0);
        let high = finite.next_back().unwrap_or(low);
        let cells = centers.len() * CELLS_PER_CENTER;
        let scale = cells as f32 / (high - low);
        let mut grid = Grid {
            low,
            scale: if scale.is_finite() { scale } else { 0.0 },
            cells: vec![Cell::default(); cells.max(1) + 1],
        };
        for &t in thresholds {
            let cell = grid.cell(t);
            grid.cells[cell + 1].first += 1;
        }
        let mut first = 0;
        for cell in &mut grid.cells {
            first += cell.first;
            cell.first = first;
            cell.threshold = thresholds
                .get(first as usize)
                .copied()
                .unwrap_or(f32::INFINITY);
        }
        grid
    }

    /// The cell of `value`: never lower for a higher value (values out of
    /// range go to the first or last cell).
    fn cell(&self, value: f32) -> usize {
        (((value - self.low) * self.scale) as usize).min(self.cells.len() - 2)
    }
}

/// The least float above `x`.
fn least_above(x: f64) -> f32 {
    let nearest = x as f32;
    if f64::from(nearest) > x {
        nearest
    } else {
        nearest.next_up()
    }
}

#[cfg(test)]
pub(in crate::build) mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The grid finds exactly what a full binary search of the thresholds
    /// finds.
    #[test]
    fn grid_search_equals_binary_search() {
        for n in [1usize, 2, 15, 16, 17, 31, 32, 33, 100, 1000] {
            let centers: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 10.0).collect();
            let cb = Codebook::from_centers(centers.clone());
            for k in -30..(n as i32 + 30) {
                let v = k as f32 * 0.25 - 10.0;
                let want = cb.thresholds.partition_point(|&t| t <= v);
                assert_eq!(cb.encode(v) as usize, want, "n={n} v={v}");
                assert_eq!(cb.encode(v), nearest(&centers, v), "n={n} v={v}");
            }
        }
    }

    /// The index of the center nearest to `value` by exact distance, the
    /// lowest on a tie; `-inf` is nearest to a `-inf` center.
    fn nearest(centers: &[f32], value: f32) -> u32 {
        if value == f32::NEG_INFINITY && centers[0] == f32::NEG_INFINITY {
            return 0;
        }
        let distance = |c: f32| (f64::from(c) - f64::from(value)).abs();
        let mut best = 0;
        for (i, &c) in centers.iter().enumerate() {
            if distance(c) < distance(centers[best]) {
                best = i;
            }
        }
        best as u32
    }

    /// Weights as a model has them: a few values repeated (clustered in a
    /// narrow range, as equal-count bins make centers), `-inf`, zeros and
    /// values over a wide range.
    pub(in crate::build) fn weight() -> impl Strategy<Value = f32> {
        prop_oneof![
            4 => (0u32..50).prop_map(|i| -1.0 - i as f32 / 64.0),
            4 => -8.0f32..0.5,
            1 => Just(f32::NEG_INFINITY),
            1 => prop_oneof![Just(0.0f32), Just(-0.0)],
            1 => -1e4f32..1e4,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(256)
        })]

        /// Every value, in the codebook's range or not, is encoded as its
        /// nearest center, whether the codebook is exact or binned.
        #[test]
        fn encode_finds_the_nearest_center(
            values in prop::collection::vec(weight(), 0..400),
            probes in prop::collection::vec(weight(), 0..100),
            bits in 1u32..=9,
        ) {
            let cb = Codebook::build(values.clone(), bits);
            prop_assert!(cb.centers.len() <= 1 << bits);
            prop_assert!(cb.centers.windows(2).all(|w| w[0] < w[1]), "{:?}", cb.centers);
            for v in values.iter().chain(&probes).copied().chain([-1e9, 1e9]) {
                prop_assert_eq!(cb.encode(v), nearest(&cb.centers, v), "{} in {:?}", v, cb.centers);
            }
        }

        /// A bin of -0s (log10 probability 0) decodes as -0, as KenLM gives it,
        /// not as the +0 their floating-point mean is.
        #[test]
        fn negative_zeros_stay_negative(
            mut values in prop::collection::vec(weight(), 0..200),
            zeros in 1usize..100,
            bits in 1u32..=4,
        ) {
            values.retain(|v| v.to_bits() != 0);
            values.extend(std::iter::repeat_n(-0.0f32, zeros));
            let cb = Codebook::build(values, bits);
            let zero = cb.decode(cb.encode(-0.0));
            prop_assert!(zero != 0.0 || zero.is_sign_negative(), "{:?}", cb.centers);
        }

        /// When the distinct values fit, the codebook holds exactly them.
        #[test]
        fn few_distinct_values_are_exact(values in prop::collection::vec(weight(), 1..300)) {
            let cb = Codebook::build(values.clone(), 9);
            for v in values {
                prop_assert!(cb.decode(cb.encode(v)) == v, "{} in {:?}", v, cb.centers);
            }
        }

        /// The grid finds the nearest center for any sorted centers,
        /// clustered or spread, with `-inf` or not; `inf` gets the highest.
        #[test]
        fn grid_search_finds_the_nearest_of_any_centers(
            mut centers in prop::collection::vec(weight(), 1..200),
            probes in prop::collection::vec(weight(), 1..100),
        ) {
            centers.sort_by(f32::total_cmp);
            centers.dedup();
            let cb = Codebook::from_centers(centers.clone());
            // The values on either side of each threshold too.
            let edges = cb.thresholds.iter().flat_map(|&t| [t, t.next_down()]);
            for v in probes.into_iter().chain([-1e9, 1e9]).chain(edges) {
                prop_assert_eq!(cb.encode(v), nearest(&centers, v), "{} in {:?}", v, centers);
            }
            prop_assert_eq!(cb.encode(f32::INFINITY) as usize, centers.len() - 1);
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(256)
        })]

        /// A codebook built from a histogram is the codebook of the values it
        /// counts, `-0.0`, `0.0`, `-inf`, NaN and unused entries among them.
        #[test]
        fn counted_equals_built(
            entries in prop::collection::vec(
                (prop_oneof![8 => weight(), 1 => Just(f32::NAN), 1 => Just(f32::INFINITY)], 0u64..20),
                0..200,
            ),
            bits in 1u32..=9,
        ) {
            let (values, counts): (Vec<f32>, Vec<u64>) = entries.into_iter().unzip();
            let expanded = values.iter().zip(&counts)
                .flat_map(|(&v, &n)| std::iter::repeat_n(v, n as usize))
                .collect();
            let want = Codebook::build(expanded, bits);
            prop_assert_eq!(Codebook::build_counted(&values, &counts, bits).to_bytes(), want.to_bytes());
        }
    }

    /// A lossy codebook keeps its outermost values exactly, however rare,
    /// and gives a tied value a center of its own (en4's q8 bigram backoffs: a
    /// lone -3.66 was stored as -1.58, and the ties left 92 of 256 codes).
    #[test]
    fn lossy_codebooks_keep_the_extremes_and_every_code() {
        let mut values = vec![-0.0726f32; 30_000];
        values.extend(vec![0.0; 29_000]);
        values.extend((0..40_000).map(|i| -1.5 * i as f32 / 40_000.0));
        values.extend([-3.66, 0.25]);
        let cb = Codebook::build(values.clone(), 8);
        assert_eq!(cb.code_bits(), 8);
        assert_eq!(cb.centers.len(), 256);
        for v in [-3.66, 0.25] {
            assert_eq!(cb.decode(cb.encode(v)), v);
        }
        // The tie's center is the mean of the values nearest to it.
        assert!((cb.decode(cb.encode(-0.0726)) + 0.0726).abs() < 1e-4);
        // Every other weight is within half a gap of the centers around it.
        let gap = cb
            .centers
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(0.0, f32::max);
        assert!(values
            .iter()
            .all(|&v| (cb.decode(cb.encode(v)) - v).abs() <= gap / 2.0));
    }

    /// A q16 codebook of [`SEGMENTED_ABOVE`] distinct values holds them all
    /// exactly; one value more makes it segmented, its file section the
    /// segments, and every value stays within half a step of its code.
    #[test]
    fn q16_codebooks_are_segmented_only_above_4096_values() {
        let values = |n: usize| -> Vec<f32> { (0..n).map(|i| -(i as f32) / 64.0).collect() };
        let exact = Codebook::build(values(SEGMENTED_ABOVE), 16);
        assert!(!exact.segmented());
        assert_eq!(exact.centers.len(), SEGMENTED_ABOVE);
        assert!(values(SEGMENTED_ABOVE)
            .iter()
            .all(|&v| exact.decode(exact.encode(v)) == v));
        let many = values(SEGMENTED_ABOVE + 1);
        let cb = Codebook::build(many.clone(), 16);
        assert!(cb.segmented());
        assert_eq!(cb.centers.len(), cb.segments.len() * LEVELS);
        assert_eq!(
            cb.to_bytes().len(),
            cb.segments.len() * segmented::SEGMENT_BYTES
        );
        let step = cb.segments.iter().map(|s| s[1]).fold(0.0, f32::max);
        assert!(step > 0.0);
        // Half a step, plus the rounding of a level's arithmetic.
        assert!(many
            .iter()
            .all(|&v| (cb.decode(cb.encode(v)) - v).abs() <= step / 2.0 + 1e-5));
    }

    /// Most values are encoded from their grid cell alone: evenly spaced
    /// centers put at most one threshold in a cell, wherever they lie.
    #[test]
    fn the_grid_gives_evenly_spaced_thresholds_a_cell_each() {
        for low in [-100.0f32, -3.0, 0.0, 5.0] {
            let centers: Vec<f32> = (0..64).map(|i| low + i as f32 * 0.5).collect();
            let cb = Codebook::from_centers(centers);
            let most = cb
                .grid
                .cells
                .windows(2)
                .map(|w| w[1].first - w[0].first)
                .max();
            assert_eq!(most, Some(1), "low {low}: {:?}", cb.grid);
        }
    }

    /// A value halfway between two centers goes to the lower one, in Lloyd's
    /// algorithm as in `encode`.
    #[test]
    fn ties_go_to_the_lower_center() {
        let runs = Runs::new(vec![0.0, 1.0, 2.0]);
        let mut centers = [0.0, 2.0];
        runs.lloyd(&mut centers, 1, false);
        assert_eq!(centers, [0.5, 2.0]);
        assert_eq!(Codebook::from_centers(vec![0.0, 2.0]).encode(1.0), 0);
    }
}
