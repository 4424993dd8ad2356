//! The segments of a segmented codebook (see [`crate::format::segmented`]):
//! where a q16 order's values are cut into segments, and how each segment
//! spaces its 256 levels.
//!
//! `-inf` and zero (when among the values) get a segment of their own, whose
//! levels all equal them, so they stay exact (zero as `-0` unless some value
//! is `+0`, as [`super::Codebook`] keeps it). The negative and the positive
//! values share the other segments in proportion to their counts, and each
//! side is cut into segments of about equal counts, never inside a run of
//! equal values: a value that fills a segment alone is exact, and where the
//! values are dense the segments are narrow. A segment of values `lo..=hi`
//! spaces its levels `step` apart from `lo`, `step` the f32 nearest
//! `(hi - lo) / 255`, lowered an ulp at a time while the last level is past
//! `hi` (not always the largest f32 that keeps it at most `hi`: the nearest
//! may round down), so a value's nearest level is at most half a step away
//! (about `(hi - lo) / 510`).

use crate::format::segmented::{value, LEVELS};

/// The `(base, step)` segments, at most `max_segments` (at least 4), of the
/// distinct increasing finite `values` occurring `counts` times, with a
/// segment for `-inf` if `has_neg_inf`; zero is `+0` if `has_pos_zero`, else
/// `-0`. The segments' values are sorted.
pub(super) fn segments(
    values: &[f32],
    counts: &[u32],
    has_neg_inf: bool,
    has_pos_zero: bool,
    max_segments: usize,
) -> Vec<[f32; 2]> {
    let negatives = values.partition_point(|&v| v < 0.0);
    let positives = values.partition_point(|&v| v <= 0.0);
    let has_zero = positives > negatives;
    let total = |range: std::ops::Range<usize>| -> u64 {
        counts[range].iter().map(|&n| u64::from(n)).sum()
    };
    let (below, above) = (total(0..negatives), total(positives..values.len()));
    let room = max_segments - usize::from(has_neg_inf) - usize::from(has_zero);
    // Each side gets at least one segment when it has values.
    let share = |count: u64, other: u64| -> usize {
        if count == 0 {
            return 0;
        }
        let fair = (room as u128 * u128::from(count) / u128::from(count + other)) as usize;
        fair.clamp(1, room - usize::from(other > 0))
    };
    let below_segments = share(below, above);
    let mut out = Vec::with_capacity(max_segments);
    if has_neg_inf {
        out.push([f32::NEG_INFINITY, -0.0]);
    }
    cut(
        &values[..negatives],
        &counts[..negatives],
        below_segments,
        &mut out,
    );
    if has_zero {
        out.push([if has_pos_zero { 0.0 } else { -0.0 }, -0.0]);
    }
    let above_segments = room - below_segments;
    cut(
        &values[positives..],
        &counts[positives..],
        above_segments,
        &mut out,
    );
    out
}

/// Cuts the runs `values` (counted `counts`) into at most `k` segments of
/// about equal counts, each a whole number of runs, pushed onto `out`.
fn cut(values: &[f32], counts: &[u32], k: usize, out: &mut Vec<[f32; 2]>) {
    let mut left: u64 = counts.iter().map(|&n| u64::from(n)).sum();
    let mut first = 0;
    for segments_left in (1..=k).rev() {
        if first == values.len() {
            break;
        }
        let target = left.div_ceil(segments_left as u64);
        let mut taken = 0;
        let mut end = first;
        // At least one run; then runs while the count is short of the target,
        // leaving a run for each segment after this one while there are
        // fewer runs than segments.
        while end < values.len()
            && (end == first || (taken < target && values.len() - end >= segments_left))
        {
            taken += u64::from(counts[end]);
            end += 1;
        }
        out.push(segment(values[first], values[end - 1]));
        left -= taken;
        first = end;
    }
}

/// The segment of the values `lo..=hi`: levels from `lo`, `step` apart, the
/// last at most `hi` (every level `lo` when `lo == hi`).
fn segment(lo: f32, hi: f32) -> [f32; 2] {
    if lo == hi {
        return [lo, -0.0];
    }
    let top = (LEVELS - 1) as u32;
    let mut step = ((f64::from(hi) - f64::from(lo)) / f64::from(top)) as f32;
    // Rounding may put the last level past `hi`: a few ulps lower fixes it.
    while step > 0.0 && value(lo, step, top) > hi {
        step = f32::from_bits(step.to_bits() - 1);
    }
    [lo, step]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every level of `segments`, in code order.
    fn levels(segments: &[[f32; 2]]) -> Vec<f32> {
        segments
            .iter()
            .flat_map(|&[base, step]| (0..LEVELS as u32).map(move |i| value(base, step, i)))
            .collect()
    }

    #[test]
    fn infinity_and_zeros_are_exact_and_keep_their_sign() {
        let values = [-2.0, -1.0, -0.5, 0.0, 0.5];
        let counts = [5, 5, 5, 5, 5];
        for has_pos_zero in [false, true] {
            let s = segments(&values, &counts, true, has_pos_zero, 8);
            assert_eq!(s[0][0], f32::NEG_INFINITY);
            let zero = s.iter().find(|&&[b, _]| b == 0.0).expect("a zero segment");
            let all = levels(std::slice::from_ref(zero));
            assert!(all
                .iter()
                .all(|&v| v == 0.0 && v.is_sign_positive() == has_pos_zero));
        }
        let levels = levels(&segments(&values, &counts, true, false, 8));
        assert!(levels[..LEVELS].iter().all(|&v| v == f32::NEG_INFINITY));
    }

    #[test]
    fn a_run_that_fills_a_segment_is_exact() {
        // -1 holds most of the count: it gets a segment of its own.
        let (values, counts) = ([-3.0, -2.5, -1.0, -0.25], [1, 1, 100, 1]);
        let s = segments(&values, &counts, false, false, 3);
        assert_eq!(s.len(), 3);
        assert!(s.contains(&[-1.0, -0.0]), "{s:?}");
    }

    /// The bases of the segments of finite nonzero values, negative and
    /// positive.
    fn sides(s: &[[f32; 2]]) -> (Vec<f32>, Vec<f32>) {
        let finite = s.iter().map(|&[b, _]| b).filter(|b| b.is_finite());
        (
            finite.clone().filter(|&b| b < 0.0).collect(),
            finite.filter(|&b| b > 0.0).collect(),
        )
    }

    /// `-inf` and zero take a segment each out of the most, and the negative
    /// and the positive values share the rest in proportion to their counts
    /// (not their runs).
    #[test]
    fn the_sides_share_the_segments_left_by_count() {
        let values: Vec<f32> = (-100..=100).map(|i| i as f32 / 8.0).collect();
        for (negative, positive, want) in [(1, 1, (3, 3)), (3, 1, (4, 2)), (1, 3, (1, 5))] {
            let counts: Vec<u32> = values
                .iter()
                .map(|&v| if v < 0.0 { negative } else { positive })
                .collect();
            let s = segments(&values, &counts, true, false, 8);
            assert_eq!(s.len(), 8, "{s:?}");
            assert_eq!(s[0][0], f32::NEG_INFINITY);
            assert_eq!(s.iter().filter(|&&[b, _]| b == 0.0).count(), 1, "{s:?}");
            let (below, above) = sides(&s);
            assert_eq!((below.len(), above.len()), want, "{s:?}");
        }
        // Without `-inf` or zero, all 8 are the sides'.
        let nonzero: Vec<f32> = values.iter().copied().filter(|&v| v != 0.0).collect();
        let s = segments(&nonzero, &vec![1; nonzero.len()], false, false, 8);
        assert_eq!((sides(&s).0.len(), sides(&s).1.len()), (4, 4), "{s:?}");
    }

    /// A side's runs are cut into segments of equal counts when they divide
    /// evenly, and into a segment each when they are no more than the
    /// segments.
    #[test]
    fn a_side_is_cut_at_equal_counts() {
        let values: Vec<f32> = (-8..0).map(|i| i as f32).collect();
        let s = segments(&values, &[1; 8], false, false, 4);
        assert_eq!(sides(&s).0, [-8.0, -6.0, -4.0, -2.0], "{s:?}");
        let s = segments(&values, &[2, 1, 1, 2, 1, 2, 2, 1], false, false, 4);
        assert_eq!(sides(&s).0, [-8.0, -6.0, -4.0, -2.0], "{s:?}");
        // No more runs than segments: a segment each, every value exact,
        // however unequal their counts.
        let s = segments(&values[..4], &[1, 1, 1, 5], false, false, 4);
        assert_eq!(s, [[-8.0, -0.0], [-7.0, -0.0], [-6.0, -0.0], [-5.0, -0.0]]);
    }

    /// A segment's last level is at most its highest value, though the
    /// f32 step of `(hi - lo) / 255` often rounds it past (as for -30 and
    /// -13.7), and a step that spans the values exactly is kept.
    #[test]
    fn the_last_level_is_at_most_the_highest_value() {
        let top = (LEVELS - 1) as u32;
        for a in -300..0 {
            for b in a + 1..50 {
                let (lo, hi) = (a as f32 / 10.0, b as f32 / 10.0);
                let [base, step] = segment(lo, hi);
                assert_eq!(base, lo);
                assert!(step > 0.0, "{lo} {hi}: {step}");
                assert!(value(base, step, top) <= hi, "{lo} {hi}: {step}");
            }
        }
        assert_eq!(segment(-256.0, -1.0), [-256.0, 1.0]);
        assert_eq!(segment(1.0, 52.0), [1.0, 0.2]);
    }

    proptest! {
        #[test]
        fn levels_are_sorted_and_every_value_is_near_one(
            mut values in prop::collection::vec(-20.0f32..5.0, 1..2000),
            seed in 0u32..1000,
            max_segments in 4usize..=256,
        ) {
            values.sort_by(f32::total_cmp);
            values.dedup();
            let counts: Vec<u32> = (0..values.len() as u32).map(|i| 1 + (i * 7 + seed) % 13).collect();
            let s = segments(&values, &counts, false, false, max_segments);
            prop_assert!(!s.is_empty() && s.len() <= max_segments);
            let levels = levels(&s);
            prop_assert!(levels.windows(2).all(|w| w[0] <= w[1]), "unsorted: {:?}", s);
            for &[base, step] in &s {
                prop_assert!(step >= 0.0, "{} {}", base, step);
            }
            // Every value lies in a segment, at most half a step (plus
            // rounding) from a level.
            for &v in &values {
                let near = levels.iter().map(|&l| (l - v).abs()).fold(f32::INFINITY, f32::min);
                let seg = s.iter().rev().find(|&&[base, _]| base <= v).expect("a segment at or below");
                prop_assert!(near <= seg[1] * 0.5 + v.abs() * 1e-6, "{} {:?} {}", v, seg, near);
            }
        }
    }
}
