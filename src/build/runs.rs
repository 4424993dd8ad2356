//! The runs of equal values of an order's weights, which a [`Codebook`](super::Codebook)
//! is built from: each distinct value once with how often it occurs, block
//! sums for the mean of any range of runs, equal-count bins, and Lloyd's
//! algorithm for 1-D k-means over the runs.

use std::ops::Range;

/// The point halfway between `lower` and `upper`, in f64 (exact for any two
/// floats less than 2^29 apart in scale).
pub(super) fn midpoint(lower: f32, upper: f32) -> f64 {
    (f64::from(lower) + f64::from(upper)) / 2.0
}

/// Whether `value` is strictly nearer to `upper` than to `lower` (ties go to
/// `lower`).
pub(super) fn nearer_upper(value: f32, lower: f32, upper: f32) -> bool {
    f64::from(value) > midpoint(lower, upper)
}

/// An unsigned key ordered as the finite values, `-0.0` equal to `0.0`.
fn sort_key(value: f32) -> u32 {
    let bits = (value + 0.0).to_bits();
    if bits >> 31 == 1 {
        !bits
    } else {
        bits | 1 << 31
    }
}

/// The value of a [`sort_key`] (`0.0` for the key of `-0.0`).
fn from_sort_key(key: u32) -> f32 {
    f32::from_bits(if key >> 31 == 1 {
        key & !(1 << 31)
    } else {
        !key
    })
}

/// The runs of equal values of some finite values: each distinct value, in
/// increasing order, and how often it occurs.
pub(super) struct Runs {
    pub(super) values: Vec<f32>,
    pub(super) counts: Vec<u32>,
    /// The sum and count of the values of each [`BLOCK`] runs, so that a
    /// long range of runs is summed from the blocks inside it and two short
    /// ends. Block by block, not prefix sums: a difference of two prefix
    /// sums loses every small value after a huge one (a weight of -1e20 left
    /// a q8 codebook of the small ones 63 values).
    blocks: Vec<(f64, u64)>,
}

/// Runs per entry of [`Runs`]' block sums.
const BLOCK: usize = 64;

impl Runs {
    /// The runs of `values` (finite), sorted and deduplicated in place: as
    /// integer keys, which sort faster than floats.
    pub(super) fn new(mut values: Vec<f32>) -> Runs {
        let keys: &mut [u32] = bytemuck::cast_slice_mut(&mut values);
        for k in keys.iter_mut() {
            *k = sort_key(f32::from_bits(*k));
        }
        keys.sort_unstable();
        let counts = dedup_counting(keys);
        for k in &mut keys[..counts.len()] {
            *k = from_sort_key(*k).to_bits();
        }
        values.truncate(counts.len());
        values.shrink_to_fit();
        Runs::from_parts(values, counts)
    }

    /// The runs of `values[i]` repeated `counts[i]` times (finite values;
    /// `counts` of 0 are left out), as [`Runs::new`] counts them from the
    /// repeated values: equal keys merged, a run longer than `u32::MAX`
    /// split into several.
    pub(super) fn counted(values: impl Iterator<Item = (f32, u64)>) -> Runs {
        let mut keyed: Vec<(u32, u64)> = values
            .filter(|&(_, n)| n > 0)
            .map(|(v, n)| (sort_key(v), n))
            .collect();
        keyed.sort_unstable_by_key(|&(k, _)| k);
        let (mut run_values, mut run_counts) = (Vec::new(), Vec::<u32>::new());
        let mut last = None;
        for (key, mut n) in keyed {
            if last == Some(key) {
                let top = run_counts.last_mut().expect("a run of this key");
                let add = n.min(u64::from(u32::MAX - *top));
                *top += add as u32;
                n -= add;
            }
            while n > 0 {
                let take = n.min(u64::from(u32::MAX));
                run_values.push(from_sort_key(key));
                run_counts.push(take as u32);
                n -= take;
            }
            last = Some(key);
        }
        Runs::from_parts(run_values, run_counts)
    }

    /// The runs of distinct increasing `values` occurring `counts` times.
    fn from_parts(values: Vec<f32>, counts: Vec<u32>) -> Runs {
        let blocks = values.chunks(BLOCK).zip(counts.chunks(BLOCK));
        let blocks = blocks.map(|(v, n)| weighted_sum(v, n)).collect();
        Runs {
            values,
            counts,
            blocks,
        }
    }

    /// The sum and count of the values of runs `lo..hi`, added up one by one.
    fn sum(&self, lo: usize, hi: usize) -> (f64, u64) {
        weighted_sum(&self.values[lo..hi], &self.counts[lo..hi])
    }

    /// The mean of the values of runs `lo..hi` (`None` when empty).
    pub(super) fn mean(&self, lo: usize, hi: usize) -> Option<f32> {
        if hi <= lo {
            return None;
        }
        let (sum, n) = if hi - lo <= 2 * BLOCK {
            self.sum(lo, hi)
        } else {
            // The whole blocks `first..last`, and the ends around them.
            let (first, last) = (lo.div_ceil(BLOCK), hi / BLOCK);
            let ((head, head_n), (tail, tail_n)) =
                (self.sum(lo, first * BLOCK), self.sum(last * BLOCK, hi));
            let inside = self.blocks[first..last].iter();
            inside.fold((head + tail, head_n + tail_n), |(s, n), &(b, bn)| {
                (s + b, n + bn)
            })
        };
        (n > 0).then(|| (sum / n as f64) as f32)
    }

    /// The means of at most `k` bins of about equal count of `runs` (a
    /// range of run indices), each a range of whole runs: a bin takes the
    /// next run while that brings its count nearer its share of the values
    /// left (their count over the bins left), and leaves a run for each bin
    /// after it; the last bin takes what is left. So a run of tied values
    /// larger than its share gets a bin alone, and the codes that splitting
    /// it between bins would have wasted (their means equal) go to the other
    /// values: with at least `k` runs all `k` bins are used. (Bins that split
    /// runs left en4's q8 bigram backoffs, 59% of them one of two values, 92
    /// of their 256 codes.) The shares count the ties still to come, so a
    /// large tie at the top of the range leaves the bins below it uneven;
    /// setting such ties apart first was measured and not kept (it moved
    /// en-3gram-small's q8 perplexity to +0.12% of f32's; RESULTS, session
    /// 62).
    pub(super) fn equal_count_centers(&self, runs: Range<usize>, k: usize) -> Vec<f32> {
        let (mut lo, runs) = (runs.start, runs.end.min(self.values.len()));
        let counts = self.counts.get(lo..runs).unwrap_or_default();
        let mut left: u64 = counts.iter().map(|&n| u64::from(n)).sum();
        let mut centers = Vec::with_capacity(k.min(counts.len()));
        while lo < runs && centers.len() < k {
            let bins_left = k - centers.len();
            let mut hi = lo + 1;
            let mut count = u64::from(self.counts[lo]);
            if bins_left == 1 {
                (hi, count) = (runs, left);
            } else {
                let share = left as f64 / bins_left as f64;
                let last = runs.saturating_sub(bins_left - 1);
                while hi < last {
                    let next = u64::from(self.counts[hi]);
                    if (count + next) as f64 - share > share - count as f64 {
                        break;
                    }
                    (count, hi) = (count + next, hi + 1);
                }
            }
            centers.extend(self.mean(lo, hi));
            (left, lo) = (left - count, hi);
        }
        centers.dedup();
        centers
    }

    /// The starting centers of a codebook of `k` codes (at least 3) for more
    /// than `k` runs: the least and the greatest value exactly, then
    /// [`Runs::equal_count_centers`] of the runs between them with the other
    /// `k - 2` codes. Pinned there (see [`Runs::lloyd`]), the outermost values
    /// are never far from a center, where a center that is a mean of the tail
    /// leaves a rare extreme value far off: en4's bigram backoff of `<s> 1913`,
    /// -3.66, was stored as -1.58 (q8), and "the" after it scored 2.09 log10
    /// above f32's score.
    pub(super) fn pinned_centers(&self, k: usize) -> Vec<f32> {
        let n = self.values.len();
        debug_assert!(k >= 3 && n > k);
        let mut centers = vec![self.values[0]];
        centers.extend(self.equal_count_centers(1..n - 1, k - 2));
        centers.push(self.values[n - 1]);
        centers
    }

    /// Up to `rounds` rounds of Lloyd's algorithm for 1-D k-means on sorted
    /// `centers` (with `pinned_ends`, the first and the last stay where they
    /// are): each center moves to the mean of the runs nearest to it (the
    /// runs between its boundaries with its neighbors). A boundary is searched
    /// again only when a center beside it moved, and a mean recomputed only
    /// when a boundary of its center moved, so each round costs what changed
    /// (the same centers as recomputing everything). Stops early when no
    /// center moves. The centers stay sorted: each mean lies between the
    /// boundaries of its center, which lie between the centers.
    pub(super) fn lloyd(&self, centers: &mut [f32], rounds: usize, pinned_ends: bool) {
        let k = centers.len();
        // bounds[j]..bounds[j + 1]: the runs nearest to center j.
        let mut bounds = vec![0; k + 1];
        bounds[k] = self.values.len();
        let (mut moved, mut stale) = (vec![true; k], vec![true; k]);
        for _ in 0..rounds {
            self.move_bounds(centers, &moved, &mut bounds, &mut stale);
            let mut any = false;
            for j in 0..k {
                moved[j] = false;
                let pinned = pinned_ends && (j == 0 || j + 1 == k);
                if std::mem::take(&mut stale[j]) && !pinned {
                    if let Some(mean) = self.mean(bounds[j], bounds[j + 1]) {
                        moved[j] = mean != centers[j];
                        centers[j] = mean;
                    }
                }
                any |= moved[j];
            }
            if !any {
                break;
            }
        }
        debug_assert!(centers.is_sorted());
    }

    /// Searches again each boundary beside a center that `moved`, marking
    /// the centers on both sides of a boundary that changed `stale`.
    fn move_bounds(
        &self,
        centers: &[f32],
        moved: &[bool],
        bounds: &mut [usize],
        stale: &mut [bool],
    ) {
        for j in 1..centers.len() {
            if moved[j - 1] || moved[j] {
                let b = self.boundary(centers[j - 1], centers[j], bounds[j - 1], bounds[j]);
                if b != bounds[j] {
                    bounds[j] = b;
                    stale[j - 1] = true;
                    stale[j] = true;
                }
            }
        }
    }

    /// The first run nearer to `upper` than to `lower`, searched forward from
    /// `hint` when no earlier run is, else from `from` (no run before `from` is).
    fn boundary(&self, lower: f32, upper: f32, from: usize, hint: usize) -> usize {
        let below = |v: f32| !nearer_upper(v, lower, upper);
        let start = if hint > from && below(self.values[hint - 1]) {
            hint
        } else {
            from
        };
        start + partition_point_near(&self.values[start..], below)
    }
}

/// Moves the distinct keys of sorted `keys` to its front and returns how
/// often each occurs (a run longer than `u32::MAX` counts as several), in a
/// vector of exactly that many counts (most keys may be distinct: a vector
/// grown by doubling could hold twice the memory).
fn dedup_counting(keys: &mut [u32]) -> Vec<u32> {
    let runs = 1 + keys.windows(2).filter(|w| w[0] != w[1]).count();
    let mut counts: Vec<u32> = Vec::with_capacity(runs.min(keys.len()));
    for i in 0..keys.len() {
        let distinct = counts.len();
        match counts.last_mut() {
            Some(n) if keys[distinct - 1] == keys[i] && *n < u32::MAX => *n += 1,
            _ => {
                keys[distinct] = keys[i];
                counts.push(1);
            }
        }
    }
    counts
}

/// The sum of `values`, each `counts` times, and the sum of `counts`.
fn weighted_sum(values: &[f32], counts: &[u32]) -> (f64, u64) {
    // Four partial sums, so that consecutive additions overlap.
    let (mut sums, mut n) = ([0f64; 4], 0u64);
    for (values, counts) in values.chunks(4).zip(counts.chunks(4)) {
        for ((sum, &v), &count) in sums.iter_mut().zip(values).zip(counts) {
            *sum += f64::from(v) * f64::from(count);
            n += u64::from(count);
        }
    }
    (sums.iter().sum(), n)
}

/// `values.partition_point(pred)` for a point expected near the start:
/// gallops forward in doubling steps, then searches the last step.
pub(super) fn partition_point_near(values: &[f32], pred: impl Fn(f32) -> bool) -> usize {
    let (mut lo, mut step) = (0, 1);
    // `pred` holds for every value before `lo`.
    while lo + step <= values.len() && pred(values[lo + step - 1]) {
        lo += step;
        step *= 2;
    }
    let hi = (lo + step).min(values.len());
    lo + values[lo..hi].partition_point(|&v| pred(v))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::build::codebook::tests::weight;

    /// Lloyd's algorithm recomputing every boundary and mean in every round.
    fn lloyd_reference(runs: &Runs, centers: &mut [f32], rounds: usize, pinned_ends: bool) {
        for _ in 0..rounds {
            let mut bounds = vec![0];
            for pair in centers.windows(2) {
                let below = |&v: &f32| !nearer_upper(v, pair[0], pair[1]);
                bounds.push(runs.values.partition_point(below));
            }
            bounds.push(runs.values.len());
            let mut moved = false;
            let k = centers.len();
            for (j, c) in centers.iter_mut().enumerate() {
                if pinned_ends && (j == 0 || j + 1 == k) {
                    continue;
                }
                if let Some(mean) = runs.mean(bounds[j], bounds[j + 1]) {
                    moved |= mean != *c;
                    *c = mean;
                }
            }
            if !moved {
                break;
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(256)
        })]


        /// Lloyd's algorithm, updating only what moved, finds the same centers
        /// as recomputing everything in every round.
        #[test]
        fn lloyd_equals_the_full_recomputation(
            values in prop::collection::vec(weight().prop_filter("finite", |v| v.is_finite()), 2..400),
            k in 3usize..40,
            rounds in 1usize..30,
            pinned_ends: bool,
        ) {
            let runs = Runs::new(values);
            let n = runs.values.len();
            let mut centers = if pinned_ends && n > k {
                runs.pinned_centers(k)
            } else {
                runs.equal_count_centers(0..n, k)
            };
            let mut want = centers.clone();
            runs.lloyd(&mut centers, rounds, pinned_ends);
            lloyd_reference(&runs, &mut want, rounds, pinned_ends);
            prop_assert!(centers.is_sorted());
            if pinned_ends && n > k {
                prop_assert_eq!((centers[0], centers[centers.len() - 1]), (runs.values[0], runs.values[n - 1]));
            }
            prop_assert_eq!(centers, want);
        }
    }

    /// Runs count equal values, `-0.0` and `0.0` together.
    #[test]
    fn runs_count_equal_values() {
        let runs = Runs::new(vec![2.0, -0.0, 1.0, 2.0, 0.0, -3.0, 2.0]);
        assert_eq!(runs.values, [-3.0, 0.0, 1.0, 2.0]);
        assert_eq!(runs.counts, [1, 2, 1, 3]);
    }

    /// The runs hold no more memory than they need: most of an order's
    /// probabilities can be distinct, and a codebook is built while the next
    /// order is read.
    #[test]
    fn runs_hold_exactly_their_values() {
        let values: Vec<f32> = (0..3000).map(|i| (i / 3) as f32 * -0.01).collect();
        let runs = Runs::new(values);
        assert_eq!(runs.counts.len(), 1000);
        assert_eq!(runs.counts.capacity(), 1000);
        assert_eq!(runs.values.capacity(), 1000);
        assert!(Runs::new(Vec::new()).counts.is_empty());
    }

    /// Equal-count bins keep runs of equal values whole.
    #[test]
    fn equal_count_bins_keep_runs_whole() {
        let runs = Runs::new(vec![1.0, 1.0, 1.0, 4.0]);
        assert_eq!(runs.equal_count_centers(0..2, 1), [1.75]);
        assert_eq!(runs.equal_count_centers(0..2, 2), [1.0, 4.0]);
        assert_eq!(runs.equal_count_centers(0..2, 4), [1.0, 4.0]);
        // Distinct values: bins of equal count.
        let runs = Runs::new((1..=8).map(|i| i as f32).collect());
        assert_eq!(runs.equal_count_centers(0..8, 4), [1.5, 3.5, 5.5, 7.5]);
        assert_eq!(runs.equal_count_centers(0..8, 3), [2.0, 5.0, 7.5]); // 3, 3, 2
                                                                        // A range of the runs: 3..=6.
        assert_eq!(runs.equal_count_centers(2..6, 2), [3.5, 5.5]);
        // The extremes pinned, the 6 runs between them in 2 bins.
        assert_eq!(runs.pinned_centers(4), [1.0, 3.0, 6.0, 8.0]);
    }

    /// The mean of a long range of runs after a huge value keeps the small
    /// values (prefix sums lost them all).
    #[test]
    fn means_after_a_huge_value_keep_the_small_ones() {
        let mut values = vec![-1e20f32];
        values.extend((0..10_000).map(|i| -0.5 - i as f32 * 1e-5));
        let runs = Runs::new(values);
        let mean = runs.mean(1, runs.values.len()).unwrap();
        assert!((mean + 0.55).abs() < 1e-4, "{mean}");
    }

    /// A run of tied values larger than its share takes one bin, not many:
    /// every code is used, one of them for the tied value exactly (as in
    /// en4's bigram backoffs, 30% of them -0.0726 and 29% 0).
    #[test]
    fn tied_values_take_one_code_each() {
        let mut values = vec![-0.0726f32; 3000];
        values.extend(vec![0.0; 2900]);
        values.extend((0..4000).map(|i| -(i as f32) / 1000.0 - 0.1));
        let runs = Runs::new(values);
        let centers = runs.equal_count_centers(0..runs.values.len(), 256);
        assert_eq!(centers.len(), 256);
        assert!(centers.contains(&-0.0726) && centers.contains(&0.0));
        assert!(centers.is_sorted());
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(256)
        })]

        /// Bins of whole runs: sorted, as many as there are runs up to `k`,
        /// each within the range of the values.
        #[test]
        fn equal_count_bins_use_every_code_they_can(
            values in prop::collection::vec(-5i32..=0, 1..300),
            scale in 1u32..50,
            k in 1usize..40,
        ) {
            let values: Vec<f32> = values.iter().map(|&v| v as f32 / scale as f32).collect();
            let runs = Runs::new(values);
            let centers = runs.equal_count_centers(0..runs.values.len(), k);
            prop_assert_eq!(centers.len(), runs.values.len().min(k));
            prop_assert!(centers.windows(2).all(|w| w[0] < w[1]));
            let (lo, hi) = (runs.values[0], runs.values[runs.values.len() - 1]);
            prop_assert!(centers.iter().all(|&c| lo <= c && c <= hi));
        }
    }
}
