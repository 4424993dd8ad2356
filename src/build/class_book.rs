//! Quantized codebooks that keep every value's class: the unigram fields of
//! q8 models whose values take too many bit patterns for an exact codebook
//! ([`ExactBook`](super::ExactBook)). (q16 models used them too, 2^16 centers,
//! until their unigrams became raw f32 bits at `a6f247b`.)
//!
//! A unigram's stored weights carry flags in their sign and zero class (see
//! `unigrams`): a probability's sign bit says whether a bigram ends with the
//! word; a backoff of `-0.0` marks a word that is not a state, `+0.0` a state
//! whose backoff is 0. One codebook over all the values could give a value a
//! center of another class (a `-0.0` and a `+0.0` are as near to each other's
//! center; a probability near 0 may be nearest a center of the other sign),
//! and a flag would change. So each value falls in one of six classes, in
//! [`f32::total_cmp`] order: `-inf`, negative finite nonzero, `-0.0`, `+0.0`,
//! positive finite nonzero, `+inf`. Each class's centers form a contiguous
//! run of the sorted centers, and a value is coded by the nearest center of
//! its own class, never of another: it decodes to a value of its class, flags
//! unchanged. The four classes of one bit pattern are exact (one code each).
//!
//! The finite nonzero values are quantized to the smallest *error bound* `w`
//! for which the codes suffice: the sorted distinct values of each class are
//! covered greedily by intervals `[a, a + 2w]` (`a` the lowest value not yet
//! covered, which is the fewest intervals for `w`), each interval's center is
//! the midpoint of its lowest and highest value, and `w` is the least for
//! which the intervals of both classes number at most the codes left (found
//! by bisection over the f64 bit patterns). Every value then decodes within
//! `w` of itself (plus the f32 rounding of its center); when the codes
//! suffice for every distinct value, `w` is 0 and the book is exact. The
//! classes share `w`, so each gets codes in proportion to the span its
//! values cover.
//!
//! Why not the equal-count bins refined by Lloyd's algorithm of
//! [`Codebook`], as the tables' probabilities use: those minimize the error
//! summed over the *values*, but a unigram's weight is used as often as its
//! word occurs, and the frequent words are the few whose probabilities lie
//! far apart (ranks 1-10 of a Zipf vocabulary span a whole unit of log10
//! probability, ranks 10^5-10^6 another). On the generated 10M model
//! (506,586 distinct unigram probabilities) equal-count bins coded the ten
//! most frequent words' probabilities, -1.14 to -2.04, all as -1.99:
//! perplexity +4.9% at 12 bits and still -0.22% at 16 (q16's bound is
//! 0.01%). Bounding every value's error keeps them all near.

use std::ops::Range;

use super::runs::partition_point_near;
use super::Codebook;
use crate::format::bits::bits_for;

/// The number of classes (see the module documentation).
const CLASSES: usize = 6;

/// The classes of finite nonzero values (negative, positive), quantized; the
/// others are one bit pattern each.
const QUANTIZED: [usize; 2] = [1, 4];

/// A value's class: its index among `-inf`, negative finite nonzero, `-0.0`,
/// `+0.0`, positive finite nonzero and `+inf` (NaN, which no model holds,
/// goes with the finite nonzero values of its sign).
fn class_of(v: f32) -> usize {
    let class = if v.is_infinite() {
        0
    } else if v == 0.0 {
        2
    } else {
        1
    };
    if v.is_sign_negative() {
        class
    } else {
        CLASSES - 1 - class
    }
}

/// A codebook whose centers keep their values' classes, each value within a
/// common error bound of its center (see the module documentation).
///
/// ```
/// use dashlm::build::ClassBook;
/// // -0.0 and 0.0 are different flags; so are the signs of -1e-3 and 1e-3.
/// let values = [-2.0f32, -1.5, -1.0, -1e-3, -0.0, 0.0, 1e-3, 1.0, 1.5, 2.0];
/// let book = ClassBook::new(&values, 8);
/// assert_eq!(book.bits(), 3);
/// for v in values {
///     let back = book.decode(book.encode(v));
///     assert_eq!(back.is_sign_negative(), v.is_sign_negative());
///     assert_eq!(back == 0.0, v == 0.0);
///     assert!((back - v).abs() as f64 <= book.error_bound() + 1e-6);
/// }
/// assert_eq!(book.decode(book.encode(0.0)).to_bits(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct ClassBook {
    /// The centers of every class, classes in order.
    centers: Vec<f32>,
    /// Per class: the code of its first center and its centers' codebook
    /// (`None` when no value is of the class).
    classes: [Option<(u32, Codebook)>; CLASSES],
    /// The error bound `w`.
    bound: f64,
}

impl ClassBook {
    /// The codebook of at most `size` centers for `values` (but at least one
    /// for each class present), with the least error bound for that size. NaN
    /// values are left out.
    ///
    /// ```
    /// use dashlm::build::ClassBook;
    /// let values: Vec<f32> = (0..=1000).map(|i| -1.0 - i as f32 / 100.0).collect();
    /// let book = ClassBook::new(&values, 16);
    /// assert_eq!(book.bits(), 4);
    /// assert!(book.error_bound() <= 10.0 / 16.0 / 2.0 + 1e-6, "{}", book.error_bound());
    /// // Enough codes: exact.
    /// let exact = ClassBook::new(&values, 1024);
    /// assert_eq!((exact.error_bound(), exact.decode(exact.encode(-7.25))), (0.0, -7.25));
    /// ```
    pub fn new(values: &[f32], size: usize) -> ClassBook {
        let mut split: [Vec<f32>; CLASSES] = Default::default();
        for &v in values.iter().filter(|v| !v.is_nan()) {
            split[class_of(v)].push(v);
        }
        for class in &mut split {
            class.sort_unstable_by(f32::total_cmp);
            class.dedup_by_key(|v| v.to_bits());
        }
        let quantized = QUANTIZED.map(|c| &split[c][..]);
        let exact_classes = (0..CLASSES)
            .filter(|c| !QUANTIZED.contains(c) && !split[*c].is_empty())
            .count();
        let bound = least_bound(&quantized, size.saturating_sub(exact_classes));
        let mut centers = Vec::new();
        let mut classes: [Option<(u32, Codebook)>; CLASSES] = Default::default();
        for (c, class) in split.iter().enumerate() {
            if class.is_empty() {
                continue;
            }
            let own: Vec<f32> = if QUANTIZED.contains(&c) {
                cover(class, bound).map(|r| midpoint(class, r)).collect()
            } else {
                class.clone()
            };
            classes[c] = Some((centers.len() as u32, Codebook::from_centers(own.clone())));
            centers.extend(own);
        }
        ClassBook {
            centers,
            classes,
            bound,
        }
    }

    /// The code of the center of `value`'s class nearest to it.
    ///
    /// # Panics
    /// If no value of `value`'s class was among the values the book was made
    /// from.
    ///
    /// ```
    /// use dashlm::build::ClassBook;
    /// let book = ClassBook::new(&[-0.0, 0.0, -3.0, -2.0, -1.0], 4);
    /// assert_eq!(book.decode(book.encode(-0.0)).to_bits(), (-0.0f32).to_bits());
    /// assert_eq!(book.decode(book.encode(-2.9)), -2.5); // -3 and -2 share a center
    /// ```
    pub fn encode(&self, value: f32) -> u32 {
        let (first, book) = self.classes[class_of(value)]
            .as_ref()
            .expect("a value of a class of the book's values");
        first + book.encode(value)
    }

    /// The center of `code` (0 for an out-of-range code).
    ///
    /// ```
    /// let book = dashlm::build::ClassBook::new(&[-1.0, 1.0], 4);
    /// assert_eq!((book.decode(0), book.decode(1), book.decode(2)), (-1.0, 1.0, 0.0));
    /// ```
    pub fn decode(&self, code: u32) -> f32 {
        self.centers.get(code as usize).copied().unwrap_or(0.0)
    }

    /// The error bound: every value the book was made from decodes within
    /// this of itself, plus the f32 rounding of its center (0: exact).
    ///
    /// ```
    /// let book = dashlm::build::ClassBook::new(&[-4.0, -3.0, -1.0, 2.0], 3);
    /// assert_eq!(book.error_bound(), 0.5); // -4 and -3 share the center -3.5
    /// ```
    pub fn error_bound(&self) -> f64 {
        self.bound
    }

    /// The fewest bits that hold every code (at least 1).
    ///
    /// ```
    /// let book = dashlm::build::ClassBook::new(&[-0.0, -1.0, -2.0], 256);
    /// assert_eq!(book.bits(), 2); // 3 exact centers
    /// ```
    pub fn bits(&self) -> u32 {
        bits_for(self.centers.len().saturating_sub(1) as u64).max(1)
    }

    /// The centers as little-endian f32 bytes, by code, as stored in the file.
    ///
    /// ```
    /// let book = dashlm::build::ClassBook::new(&[0.0, 0.0], 2);
    /// assert_eq!(book.to_bytes(), 0f32.to_le_bytes());
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        self.centers.iter().flat_map(|c| c.to_le_bytes()).collect()
    }
}

/// The fewest intervals `[a, a + 2w]` covering sorted distinct `values`, as
/// ranges of them: each starts at the lowest value not yet covered.
fn cover(values: &[f32], w: f64) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        // Differences and sums of two f32s are exact in f64 (but for far
        // apart magnitudes), so an interval spans at most 2w exactly.
        let start = f64::from(*values.get(i)?);
        let within = |v: f32| f64::from(v) - start <= 2.0 * w;
        let end = i + 1 + partition_point_near(&values[i + 1..], within);
        Some(std::mem::replace(&mut i, end)..end)
    })
}

/// The midpoint of the lowest and highest of `values[range]`, rounded to f32.
fn midpoint(values: &[f32], range: Range<usize>) -> f32 {
    ((f64::from(values[range.start]) + f64::from(values[range.end - 1])) / 2.0) as f32
}

/// What the covers of some classes with one half-width `w` show: whether
/// they take at most the codes left, and the spans (`2w`) between which the
/// intervals counted stay the same.
struct Probe {
    fits: bool,
    /// The widest span of an interval counted: with `2w` down to it, each
    /// still covers what it did.
    widest: f64,
    /// The least span from an interval's start to the first value it left
    /// out: with `2w` below it, none covers more.
    nearest_out: f64,
}

/// Covers `classes` with half-width `w`, counting intervals until more than
/// `codes` are taken.
fn probe(classes: &[&[f32]], w: f64, codes: usize) -> Probe {
    let mut left = codes;
    let mut probe = Probe {
        fits: false,
        widest: 0.0,
        nearest_out: f64::INFINITY,
    };
    for class in classes {
        let mut n = 0;
        for range in cover(class, w).take(left + 1) {
            let start = f64::from(class[range.start]);
            probe.widest = probe.widest.max(f64::from(class[range.end - 1]) - start);
            if let Some(&out) = class.get(range.end) {
                probe.nearest_out = probe.nearest_out.min(f64::from(out) - start);
            }
            n += 1;
        }
        match left.checked_sub(n) {
            Some(rest) => left = rest,
            None => return probe,
        }
    }
    Probe {
        fits: true,
        ..probe
    }
}

/// Whether the covers of `classes` with half-width `w` take at most `codes`
/// intervals.
fn fits(classes: &[&[f32]], w: f64, codes: usize) -> bool {
    probe(classes, w, codes).fits
}

/// The least `w` (an f64) whose covers of the sorted distinct `classes` take
/// at most `codes` intervals; when even one interval a class is too many,
/// the `w` of one interval a class.
///
/// A bisection of the f64s, each probe moving its end as far as the
/// intervals it counted stay the same: [`cover`] compares a value's span
/// from an interval's start with `2w`, so the covers, and whether they fit,
/// change only where `2w` reaches such a span, and the least `w` that fits
/// is half of one. The unigrams of the generated 10M model take 12 to 18
/// probes (16- and 12-bit codes) where a plain bisection takes 62.
fn least_bound(classes: &[&[f32]], codes: usize) -> f64 {
    bisect(classes, codes, true)
}

/// [`least_bound`] by a bisection of the f64s that moves each end to the
/// probe's midpoint, or (`jump`) as far as the intervals the probe counted
/// stay the same. Both find the same bound; the plain one is the tests'
/// reference.
fn bisect(classes: &[&[f32]], codes: usize, jump: bool) -> f64 {
    let span = |c: &&[f32]| match (c.first(), c.last()) {
        (Some(&a), Some(&b)) => (f64::from(b) - f64::from(a)) / 2.0,
        _ => 0.0,
    };
    if fits(classes, 0.0, codes) {
        return 0.0;
    }
    // One interval a class.
    let mut hi = classes.iter().map(span).fold(0.0, f64::max);
    if !fits(classes, hi, codes) {
        return hi;
    }
    // Non-negative f64s are ordered as their bit patterns: bisect those,
    // `lo` never fitting, `hi` always.
    let mut lo = 0.0f64;
    loop {
        let mid = f64::from_bits(lo.to_bits() + (hi.to_bits() - lo.to_bits()) / 2);
        if mid == lo {
            return hi;
        }
        let p = probe(classes, mid, codes);
        match (p.fits, jump) {
            // The same intervals from `widest` up (and `lo` < it, as they fit).
            (true, true) => hi = p.widest / 2.0,
            (true, false) => hi = mid,
            // The same intervals, too many, below `nearest_out`.
            (false, true) => lo = (p.nearest_out / 2.0).next_down().min(hi.next_down()),
            (false, false) => lo = mid,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Values of every class: a few repeated, many spread, zeros of both
    /// signs, infinities and tiny magnitudes.
    fn value() -> impl Strategy<Value = f32> {
        prop_oneof![
            4 => (0u32..40).prop_map(|i| -1.0 - i as f32 / 32.0),
            4 => -8.0f32..8.0,
            2 => prop_oneof![Just(0.0f32), Just(-0.0)],
            1 => prop_oneof![Just(f32::NEG_INFINITY), Just(f32::INFINITY)],
            1 => prop_oneof![Just(f32::MIN_POSITIVE), Just(-1e-30), Just(1e-30)],
            1 => -1e4f32..1e4,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(512)
        })]

        /// Every value decodes to a value of its own class (zeros and
        /// infinities to themselves), to the nearest center of that class,
        /// within the error bound; the codes fit the size (or one per class
        /// present); and no smaller bound would fit.
        #[test]
        fn classes_are_kept_and_errors_bounded(
            values in prop::collection::vec(value(), 1..500),
            size in 1usize..64,
        ) {
            let book = ClassBook::new(&values, size);
            let present = (0..CLASSES).filter(|&c| values.iter().any(|&v| class_of(v) == c)).count();
            prop_assert!(book.centers.len() <= size.max(present), "{:?}", book.centers);
            prop_assert!(book.centers.windows(2).all(|w| w[0].total_cmp(&w[1]).is_lt()));
            for &v in &values {
                let got = book.decode(book.encode(v));
                prop_assert_eq!(class_of(got), class_of(v), "{} -> {} in {:?}", v, got, book.centers);
                if !QUANTIZED.contains(&class_of(v)) {
                    prop_assert_eq!(got.to_bits(), v.to_bits());
                    continue;
                }
                let distance = |c: f32| (f64::from(c) - f64::from(v)).abs();
                let own = book.centers.iter().filter(|&&c| class_of(c) == class_of(v));
                let nearest = own.map(|&c| distance(c)).fold(f64::INFINITY, f64::min);
                prop_assert_eq!(distance(got), nearest, "{} -> {} in {:?}", v, got, book.centers);
                let rounding = f64::from(got.abs()) * f64::from(f32::EPSILON);
                prop_assert!(distance(got) <= book.bound + rounding, "{} -> {}: bound {}", v, got, book.bound);
            }
            if book.bound > 0.0 {
                let mut split: [Vec<f32>; 2] = Default::default();
                for (class, c) in split.iter_mut().zip(QUANTIZED) {
                    class.extend(values.iter().filter(|&&v| class_of(v) == c));
                    class.sort_unstable_by(f32::total_cmp);
                    class.dedup_by_key(|v| v.to_bits());
                }
                let exact = present - split.iter().filter(|c| !c.is_empty()).count();
                let less = f64::from_bits(book.bound.to_bits() - 1);
                prop_assert!(!fits(&[&split[0], &split[1]], less, size.saturating_sub(exact)));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(512)
        })]

        /// The bisection that moves its ends by what each probe showed finds
        /// the bound a plain bisection finds, bit for bit.
        #[test]
        fn least_bound_equals_a_plain_bisection(
            negative in prop::collection::vec(-2000i32..0, 0..300),
            positive in prop::collection::vec(1i32..100, 0..100),
            scale in prop::sample::select(vec![1.0f32, 0.1, 1.0 / 64.0, 1e-3, 37.5]),
            codes in 0usize..40,
        ) {
            let class = |ints: Vec<i32>| {
                let mut values: Vec<f32> = ints.into_iter().map(|i| i as f32 * scale).collect();
                values.sort_unstable_by(f32::total_cmp);
                values.dedup();
                values
            };
            let (negative, positive) = (class(negative), class(positive));
            let classes = [&negative[..], &positive[..]];
            let want = bisect(&classes, codes, false);
            prop_assert_eq!(least_bound(&classes, codes).to_bits(), want.to_bits());
        }
    }

    /// Codes fewer than the classes of values: a center a class, the
    /// midpoint of its values, and the bound the widest half-span (not the
    /// whole span nor a ratio of the values).
    #[test]
    fn too_few_codes_give_a_class_one_center() {
        let book = ClassBook::new(&[-5.0, -2.0], 1);
        assert_eq!(
            (book.centers.as_slice(), book.error_bound()),
            (&[-3.5][..], 1.5)
        );
        let book = ClassBook::new(&[-5.0, -2.0, 1.0, 2.0], 1);
        assert_eq!(book.centers, [-3.5, 1.5]);
        assert_eq!(book.error_bound(), 1.5);
        assert_eq!(book.decode(book.encode(2.0)), 1.5);
    }

    /// Codes go to the classes by the spans they cover: a class spread ten
    /// times wider gets about ten times the codes.
    #[test]
    fn classes_share_one_bound() {
        let negative = (0..1000).map(|i| -1.0 - i as f32 / 100.0);
        let positive = (0..1000).map(|i| 1.0 + i as f32 / 1000.0);
        let values: Vec<f32> = negative.chain(positive).collect();
        let book = ClassBook::new(&values, 110);
        let negatives = book.centers.iter().filter(|&&c| c < 0.0).count();
        assert_eq!((negatives, book.centers.len() - negatives), (100, 10));
    }
}
