//! Minimum-Bayes-risk selection over an n-best list.
//!
//! The combined scores give posteriors `p_i = exp(scale * total_i) / sum_j
//! exp(scale * total_j)`; the chosen hypothesis minimizes the expected word
//! errors `sum_j p_j * d(h_i, h_j)` against the others, `d` being the Levenshtein
//! distance. This is a plain n-best MBR (SRILM's `nbest-lattice` does the same
//! over word meshes). As `scale` grows, MBR tends to the top-scoring hypothesis.
//!
//! ```
//! use dashlm::rescore::mbr::{select, DistanceMatrix};
//! let hyps = [&["the", "cat", "sat"][..], &["a", "cat", "sat"][..], &["a", "cat", "sad"][..]];
//! let totals = [-10.0, -10.2, -10.3]; // combined scores: the first is the top score
//! let r = select(&DistanceMatrix::new(&hyps), &totals, 1.0);
//! assert_eq!(r.choice, 1); // "a cat sat" is one word from each of the others
//! assert!(r.expected_errors[1] < r.expected_errors[0]);
//! assert!(r.posteriors[0] > r.posteriors[1] && (r.posteriors.iter().sum::<f64>() - 1.0).abs() < 1e-12);
//! assert_eq!(select(&DistanceMatrix::new(&hyps), &totals, 100.0).choice, 0); // large scale: top score
//! ```

use std::hash::Hash;

use super::distance::{Interner, Pattern, Sequences};
use super::NbestList;

/// The most hypotheses a list may have for MBR, which compares every pair (a
/// table of `n^2` distances: 100 MB and 25 million alignments at the limit).
///
/// ```
/// assert_eq!(dashlm::rescore::mbr::MAX_HYPS, 5_000);
/// ```
pub const MAX_HYPS: usize = 5_000;

/// The most word-alignment cells MBR fills for one list: an edit distance for
/// every pair of its hypotheses, `(words + 1) x (words + 1)` cells each; 5,000
/// hypotheses of 20 words are 5.5 x 10^9. Set when a cell took about 7 ns (80
/// hypotheses of 2,000 words, 1.3 x 10^10 cells, took 87 s); the distances are
/// now computed 64 cells at a time on numbered words (70 hypotheses of 2,000
/// words, 9.7 x 10^9 cells: the whole `rescore --mbr` took 0.8 s, 18.5 s with
/// one compare per cell).
///
/// ```
/// assert_eq!(dashlm::rescore::mbr::MAX_CELLS, 10_000_000_000);
/// ```
pub const MAX_CELLS: u128 = 10_000_000_000;

/// Why hypotheses of these word counts are too many or too long for MBR
/// ([`MAX_HYPS`], [`MAX_CELLS`]), for a message that goes on with the list's
/// name: ` has 5001 hypotheses: --mbr compares every pair, ...`.
fn over_limits(lens: impl ExactSizeIterator<Item = usize>) -> Option<String> {
    const KEEP: &str = "keep the best ones, e.g. rescore with --top first";
    let n = lens.len();
    if n > MAX_HYPS {
        return Some(format!(
            " has {n} hypotheses: --mbr compares every pair, at most {MAX_HYPS} per list ({KEEP})"
        ));
    }
    let (sum, squares) = lens
        .map(|w| w as u128 + 1)
        .fold((0, 0), |(s, q), k| (s + k, q + k * k));
    let cells = (sum * sum - squares) / 2;
    (cells > MAX_CELLS).then(|| {
        format!(
            ": --mbr aligns the words of every pair of its {n} hypotheses, {cells} cells; at \
             most {MAX_CELLS} per list ({KEEP}, or shorter)"
        )
    })
}

/// An error naming the first list too large for MBR: more than [`MAX_HYPS`]
/// hypotheses, or more than [`MAX_CELLS`] alignment cells over its pairs.
/// [`crate::rescore::Rescorer::with_mbr`]'s rescoring and
/// [`crate::rescore::TuneSet::new`] with `mbr` panic on such a list rather
/// than run out of memory or time: check first.
///
/// ```
/// use dashlm::rescore::{mbr, Hypothesis, NbestList};
/// let mut list = NbestList::new("u");
/// assert!(mbr::check_lists(std::slice::from_ref(&list)).is_ok());
/// list.hyps = vec![Hypothesis::new("a", 0.0); mbr::MAX_HYPS + 1];
/// let err = mbr::check_lists(&[list]).unwrap_err();
/// assert!(err.starts_with("utterance `u` has 5001 hypotheses: --mbr compares every pair"), "{err}");
/// ```
pub fn check_lists(lists: &[NbestList]) -> Result<(), String> {
    for l in lists {
        if let Some(why) = over_limits(l.hyps.iter().map(|h| h.words.len())) {
            return Err(format!("utterance `{}`{why}", super::error::clip(&l.id)));
        }
    }
    Ok(())
}

/// Pairwise word edit distances of a list's hypotheses (a symmetric matrix).
///
/// ```
/// use dashlm::rescore::mbr::DistanceMatrix;
/// let d = DistanceMatrix::new(&[&["a", "b"][..], &["a"][..], &["c"][..]]);
/// assert_eq!((d.get(0, 1), d.get(1, 2), d.get(2, 2)), (1, 1, 0));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistanceMatrix {
    n: usize,
    d: Vec<u32>,
    /// The largest distance (0 when empty).
    max: u32,
}

impl DistanceMatrix {
    /// Computes all pairwise distances: each
    /// [`edit_distance`](super::wer::edit_distance) of two hypotheses.
    ///
    /// The words are numbered (equal words, by `Eq`, get one number, found by
    /// hashing) and the distances computed on the numbers, 64 alignment cells
    /// at a time (Myers' bit-parallel algorithm), each hypothesis prepared
    /// once for its distances to those after it.
    ///
    /// # Panics
    /// Past [`MAX_HYPS`] hypotheses or [`MAX_CELLS`] alignment cells (see
    /// [`check_lists`]), before anything is allocated.
    ///
    /// ```
    /// use dashlm::rescore::mbr::DistanceMatrix;
    /// use dashlm::rescore::wer::edit_distance;
    /// assert_eq!(DistanceMatrix::new::<&str>(&[]).len(), 0);
    /// let hyps = [&["a", "b", "c"][..], &["b", "c", "d"][..], &[][..]];
    /// let d = DistanceMatrix::new(&hyps);
    /// assert_eq!(d.row(0), [0, 2, 3]);
    /// assert_eq!(d.get(1, 0) as usize, edit_distance(hyps[1], hyps[0]));
    /// ```
    pub fn new<T: Eq + Hash>(hyps: &[&[T]]) -> DistanceMatrix {
        let mut ids = Interner::new();
        let mut seqs = Sequences::default();
        for h in hyps {
            seqs.push(h.iter().map(|x| ids.id(x)));
        }
        DistanceMatrix::from_sequences(&seqs)
    }

    /// All pairwise distances of symbol sequences (see the
    /// [`distance`](super::distance) module): row `i`'s pattern is built once
    /// for the hypotheses after it.
    pub(crate) fn from_sequences(seqs: &Sequences) -> DistanceMatrix {
        let n = seqs.len();
        if let Some(why) = over_limits((0..n).map(|i| seqs.get(i).len())) {
            panic!("DistanceMatrix: a list{why}; check with mbr::check_lists first");
        }
        let mut d = vec![0u32; n * n];
        let mut max = 0;
        let mut pattern = Pattern::default();
        for i in 0..n {
            pattern.set(seqs.get(i));
            for j in i + 1..n {
                let v = pattern.distance(seqs.get(j)) as u32;
                d[i * n + j] = v;
                d[j * n + i] = v;
                max = max.max(v);
            }
        }
        DistanceMatrix { n, d, max }
    }

    /// The number of hypotheses.
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::mbr::DistanceMatrix::new(&[&["a"][..]]).len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the list is empty.
    ///
    /// ```
    /// assert!(dashlm::rescore::mbr::DistanceMatrix::new::<&str>(&[]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The distance between hypotheses `i` and `j`.
    ///
    /// # Panics
    /// When `i` or `j` is not below [`DistanceMatrix::len`] (before, `j` past
    /// the end silently read the next row).
    ///
    /// ```
    /// let d = dashlm::rescore::mbr::DistanceMatrix::new(&[&["a"][..], &["b", "c"][..]]);
    /// assert_eq!(d.get(1, 0), 2);
    /// assert!(std::panic::catch_unwind(|| d.get(0, 2)).is_err());
    /// ```
    pub fn get(&self, i: usize, j: usize) -> u32 {
        self.row(i)[j]
    }

    /// Row `i`: the distances from hypothesis `i` to all.
    ///
    /// # Panics
    /// When `i` is not below [`DistanceMatrix::len`].
    ///
    /// ```
    /// let d = dashlm::rescore::mbr::DistanceMatrix::new(&[&["a"][..], &["b"][..]]);
    /// assert_eq!(d.row(0), [0, 1]);
    /// ```
    pub fn row(&self, i: usize) -> &[u32] {
        &self.d[i * self.n..(i + 1) * self.n]
    }
}

/// Posteriors `softmax(scale * totals)` (NaN totals get 0, unless every
/// total is NaN).
///
/// An infinite scale is the limit: with `+inf` the top total's hypotheses
/// share all the mass (with `-inf`, the lowest total's); a NaN scale gives NaN
/// posteriors (and [`select`] then chooses the top total). A total of `+inf`
/// (an overflowed score) is a limit too: with a positive scale the `+inf`
/// totals share all the mass, with a negative one they get none. Otherwise,
/// when no total is finite and a number (or the scale is 0 with a `+inf`
/// total), the posteriors are uniform over the totals that are not NaN (over
/// all of them when every total is NaN).
///
/// ```
/// use dashlm::rescore::mbr::posteriors;
/// assert_eq!(posteriors(&[0.0, 0.0], 1.0), [0.5, 0.5]);
/// assert_eq!(posteriors(&[-1.0, 0.0], f64::INFINITY), [0.0, 1.0]);
/// assert_eq!(posteriors(&[f64::INFINITY, 0.0], 1.0), [1.0, 0.0]);
/// assert_eq!(posteriors(&[f64::INFINITY, 0.0], -1.0), [0.0, 1.0]);
/// assert_eq!(posteriors(&[f64::NAN, f64::NEG_INFINITY], 1.0), [0.0, 1.0]);
/// assert_eq!(posteriors(&[f64::NAN, f64::NAN], 1.0), [0.5, 0.5]);
/// ```
pub fn posteriors(totals: &[f64], scale: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(totals.len());
    posteriors_into(totals, scale, &mut out);
    out
}

/// As [`posteriors`], into a reused buffer.
///
/// ```
/// let mut p = Vec::new();
/// dashlm::rescore::mbr::posteriors_into(&[1.0], 0.5, &mut p);
/// assert_eq!(p, [1.0]);
/// ```
pub fn posteriors_into(totals: &[f64], scale: f64, out: &mut Vec<f64>) {
    out.clear();
    let max = totals
        .iter()
        .copied()
        .filter(|x| !x.is_nan())
        .fold(f64::NEG_INFINITY, f64::max);
    if max == f64::INFINITY && !scale.is_nan() && scale != 0.0 {
        if scale > 0.0 {
            let k = totals.iter().filter(|&&t| t == max).count() as f64;
            out.extend(totals.iter().map(|&t| if t == max { 1.0 / k } else { 0.0 }));
            return;
        }
        // A negative scale: the `+inf` totals get nothing (as NaN totals).
        let rest: Vec<f64> = (totals.iter())
            .map(|&t| if t == max { f64::NAN } else { t })
            .collect();
        return posteriors_into(&rest, scale, out);
    }
    if !max.is_finite() {
        // Uniform over the totals that are not NaN (over all when every one is).
        let numbers = totals.iter().filter(|t| !t.is_nan()).count();
        let all = numbers == 0;
        let share = 1.0 / if all { totals.len() } else { numbers } as f64;
        out.extend((totals.iter()).map(|t| if all || !t.is_nan() { share } else { 0.0 }));
        return;
    }
    if scale.is_nan() {
        out.extend(totals.iter().map(|_| f64::NAN));
        return;
    }
    if scale.is_infinite() {
        // `inf * 0` is NaN: the limit instead, the extreme totals sharing all.
        let target = if scale > 0.0 {
            max
        } else {
            totals
                .iter()
                .copied()
                .filter(|x| !x.is_nan())
                .fold(f64::INFINITY, f64::min)
        };
        let k = totals.iter().filter(|&&t| t == target).count() as f64;
        out.extend(
            totals
                .iter()
                .map(|&t| if t == target { 1.0 / k } else { 0.0 }),
        );
        return;
    }
    // `scale * (t - max)` is at most 0 for `scale >= 0` (0 at the top total);
    // a negative scale needs the largest exponent taken out too.
    out.extend(totals.iter().map(|&t| scale * (t - max)));
    let shift = if scale >= 0.0 {
        0.0
    } else {
        out.iter()
            .copied()
            .filter(|x| !x.is_nan())
            .fold(f64::NEG_INFINITY, f64::max)
    };
    if shift == f64::INFINITY {
        let k = out.iter().filter(|&&x| x == shift).count() as f64;
        for x in out.iter_mut() {
            *x = if *x == shift { 1.0 / k } else { 0.0 };
        }
        return;
    }
    let mut sum = 0.0;
    for x in out.iter_mut() {
        // NaN: a NaN total, or `0 * -inf` (scale 0, a total of -inf).
        *x = if x.is_nan() { 0.0 } else { (*x - shift).exp() };
        sum += *x;
    }
    for p in out.iter_mut() {
        *p /= sum;
    }
}

/// `totals` with exactly `n` entries: missing ones NaN, extra ones dropped.
fn fitted(totals: &[f64], n: usize) -> std::borrow::Cow<'_, [f64]> {
    if totals.len() == n {
        return std::borrow::Cow::Borrowed(totals);
    }
    let mut v = totals[..n.min(totals.len())].to_vec();
    v.resize(n, f64::NAN);
    std::borrow::Cow::Owned(v)
}

/// The outcome of MBR selection over one list.
///
/// ```
/// use dashlm::rescore::mbr::{select, DistanceMatrix};
/// let d = DistanceMatrix::new(&[&["a", "b"][..], &["a", "c"][..], &["a", "c"][..]]);
/// let r = select(&d, &[0.0, -0.1, -0.1], 1.0);
/// assert_eq!(r.choice, 1); // two hypotheses agree on "a c"
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MbrResult {
    /// The chosen hypothesis (least expected errors; ties go to the higher total,
    /// then the earlier index); 0 for a list without hypotheses, where it
    /// indexes nothing.
    pub choice: usize,
    /// Per hypothesis: its posterior.
    pub posteriors: Vec<f64>,
    /// Per hypothesis: its expected word errors against the others.
    pub expected_errors: Vec<f64>,
}

/// `out[i]` = the sum over `j` of `dist(i, j) * posteriors[j]`, in order of
/// `j` as one loop per row would add them (so the same numbers), [`BLOCK`]
/// rows at a time: independent sums keep the adder busy where one waits for
/// each addition. The matrix is symmetric, so a block's distances to `j` are
/// contiguous: row `j`'s, at the block's columns. (Every term is `+0.0`,
/// positive or NaN, so the sums' start, `0.0` or `-0.0`, changes nothing.)
fn risks_into(dist: &DistanceMatrix, posteriors: &[f64], out: &mut [f64]) {
    let n = dist.len();
    let posteriors = &posteriors[..n];
    let mut blocks = out[..n].chunks_exact_mut(BLOCK);
    let mut i = 0;
    for block in &mut blocks {
        let mut sums = [0.0f64; BLOCK];
        for (j, &p) in posteriors.iter().enumerate() {
            let column = &dist.row(j)[i..i + BLOCK];
            for (sum, &d) in sums.iter_mut().zip(column) {
                *sum += f64::from(d) * p;
            }
        }
        block.copy_from_slice(&sums);
        i += BLOCK;
    }
    for (k, r) in blocks.into_remainder().iter_mut().enumerate() {
        let row = dist.row(i + k);
        *r = row
            .iter()
            .zip(posteriors)
            .map(|(&d, &p)| f64::from(d) * p)
            .sum();
    }
}

/// Rows [`risks_into`] sums together.
const BLOCK: usize = 8;

/// Chooses by minimum Bayes risk (see the [module](self) docs); `totals[i]` is
/// hypothesis `i`'s total (a hypothesis of `dist` without one counts as NaN;
/// totals beyond `dist` are ignored). An empty list gives choice 0 and no
/// posteriors.
///
/// ```
/// use dashlm::rescore::mbr::{select, DistanceMatrix};
/// let d = DistanceMatrix::new(&[&["x"][..], &["y"][..]]);
/// assert_eq!(select(&d, &[-1.0, -2.0], 1.0).choice, 0);
/// ```
pub fn select(dist: &DistanceMatrix, totals: &[f64], scale: f64) -> MbrResult {
    let totals = &fitted(totals, dist.len())[..];
    let posteriors = posteriors(totals, scale);
    let mut expected_errors = vec![0.0; dist.len()];
    risks_into(dist, &posteriors, &mut expected_errors);
    let order = super::combine::rank(totals);
    let mut choice = order.first().copied().unwrap_or(0);
    // NaN risks (a NaN scale) never win: the top total is chosen.
    for &i in &order {
        if expected_errors[i] < expected_errors[choice] {
            choice = i;
        }
    }
    MbrResult {
        choice,
        posteriors,
        expected_errors,
    }
}

/// Lists shorter than this have every risk summed ([`bounded_risks`] does not
/// try).
const BOUND_MIN: usize = 16;

/// The posterior below which a hypothesis counts as light, times the number
/// of hypotheses: the light ones together weigh less than this.
const LIGHT_MASS: f64 = 1e-3;

/// The relative margin of [`bounded_risks`]' bound, far above the rounding
/// of sums of up to millions of terms (about `n * 2^-53` relative).
const MARGIN: f64 = 1e-6;

/// The risks that can decide [`select_index`]'s choice, to the bit as
/// [`risks_into`] gives them, and `+inf` for the others; false (and `out`
/// left to the caller) when that would save little.
///
/// Hypotheses of posterior at least [`LIGHT_MASS`]` / n` are heavy. Each
/// risk's part over the heavy ones, `P_i`, is at most the risk, and the
/// hypothesis with the least `P` has a risk of at most `min P + R * D` (`R`
/// the light ones' mass, `D` the largest distance). A hypothesis whose `P_i`
/// passes that (by a relative [`MARGIN`], for rounding) has a larger risk
/// than that one, so it cannot be chosen, not even on a tie. The others'
/// risks are summed in full, in `risks_into`'s order. With peaked posteriors
/// (large scales), that reads a few rows of the matrix instead of all of them.
fn bounded_risks(dist: &DistanceMatrix, posteriors: &[f64], out: &mut [f64]) -> bool {
    let n = dist.len();
    let (posteriors, out) = (&posteriors[..n], &mut out[..n]);
    if n < BOUND_MIN || posteriors.iter().any(|p| p.is_nan()) {
        return false;
    }
    let light = LIGHT_MASS / n as f64;
    if posteriors.iter().filter(|&&p| p >= light).count() > n / 4 {
        return false;
    }
    // The heavy rows' part of every risk (the matrix is symmetric: row `j`
    // holds every hypothesis' distance to `j`), and the light mass.
    out.fill(0.0);
    let mut light_mass = 0.0;
    for (j, &p) in posteriors.iter().enumerate() {
        if p < light {
            light_mass += p;
            continue;
        }
        for (o, &d) in out.iter_mut().zip(dist.row(j)) {
            *o += f64::from(d) * p;
        }
    }
    let least = out.iter().copied().fold(f64::INFINITY, f64::min);
    let bound = (least + light_mass * f64::from(dist.max)) * (1.0 + MARGIN);
    let mut candidates = 0;
    for o in out.iter_mut() {
        if *o <= bound {
            *o = f64::NAN; // to be summed
            candidates += 1;
        } else {
            *o = f64::INFINITY;
        }
    }
    if candidates > n / 4 {
        return false;
    }
    full_risks_of_marked(dist, posteriors, out);
    true
}

/// Replaces each NaN of `out` by its hypothesis' full risk, summed over `j`
/// in order as [`risks_into`] sums it, up to [`BLOCK`] rows at a time.
fn full_risks_of_marked(dist: &DistanceMatrix, posteriors: &[f64], out: &mut [f64]) {
    let mut rows = [0usize; BLOCK];
    let mut k = 0;
    for i in 0..out.len() {
        if out[i].is_nan() {
            rows[k] = i;
            k += 1;
            if k == BLOCK {
                sum_rows(dist, posteriors, &rows, out);
                k = 0;
            }
        }
    }
    sum_rows(dist, posteriors, &rows[..k], out);
}

/// `out[r]` = the full risk of each row `r` of `rows` (at most [`BLOCK`]),
/// the rows summed together over `j` in order, as [`risks_into`] sums its
/// blocks. Not its loop: rows picked anywhere are read one index at a time,
/// and `risks_into` written on this one made `tune --mbr` on synth-dev 1.18x
/// as slow (2.16-2.37 s against 1.81-2.01 s), its blocks no longer slices.
fn sum_rows(dist: &DistanceMatrix, posteriors: &[f64], rows: &[usize], out: &mut [f64]) {
    let mut sums = [0.0f64; BLOCK];
    for (j, &p) in posteriors.iter().enumerate() {
        for (sum, &r) in sums.iter_mut().zip(rows) {
            *sum += f64::from(dist.get(r, j)) * p;
        }
    }
    for (&r, &sum) in rows.iter().zip(&sums) {
        out[r] = sum;
    }
}

/// The MBR choice only, with reused buffers (for tuning loops): always
/// [`select`]'s choice. In long lists with peaked posteriors, only the
/// hypotheses that can win have their risks summed in full.
///
/// ```
/// use dashlm::rescore::mbr::{select, select_index, DistanceMatrix};
/// let d = DistanceMatrix::new(&[&["a"][..], &["b"][..], &["b"][..]]);
/// let mut buf = Vec::new();
/// assert_eq!(select_index(&d, &[0.0, -0.5, -0.6], 1.0, &mut buf), select(&d, &[0.0, -0.5, -0.6], 1.0).choice);
/// ```
pub fn select_index(
    dist: &DistanceMatrix,
    totals: &[f64],
    scale: f64,
    buf: &mut Vec<f64>,
) -> usize {
    let n = dist.len();
    let totals = &fitted(totals, n)[..];
    // `buf`: the posteriors, then the risks.
    posteriors_into(totals, scale, buf);
    buf.resize(2 * n, 0.0);
    let (posteriors, risks) = buf.split_at_mut(n);
    if !bounded_risks(dist, posteriors, risks) {
        risks_into(dist, posteriors, risks);
    }
    let mut best = usize::MAX;
    let mut best_risk = f64::INFINITY;
    let mut best_total = f64::NAN;
    for (i, &risk) in risks.iter().enumerate() {
        // As in `select`, a NaN risk (a NaN scale) loses to any other.
        let risk = if risk.is_nan() { f64::INFINITY } else { risk };
        let t = totals[i];
        // Equal risks: the higher total wins, a NaN total below every other
        // (`-inf` included), the earlier hypothesis on a tie: `rank`'s order.
        let higher = !t.is_nan() && (best_total.is_nan() || t > best_total);
        if best == usize::MAX || risk < best_risk || (risk == best_risk && higher) {
            best = i;
            best_risk = risk;
            best_total = t;
        }
    }
    if best == usize::MAX {
        0
    } else {
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The matrix of every pair's plain (table) distance.
    fn plain(hyps: &[&[&str]]) -> DistanceMatrix {
        let n = hyps.len();
        let mut d = vec![0u32; n * n];
        for i in 0..n {
            for j in 0..n {
                d[i * n + j] = crate::rescore::wer::edit_distance(hyps[i], hyps[j]) as u32;
            }
        }
        let max = d.iter().copied().max().unwrap_or(0);
        DistanceMatrix { n, d, max }
    }

    #[test]
    fn peaked_posteriors_sum_few_risks_in_full() {
        // 40 hypotheses, one far ahead: one heavy row, few candidates.
        let hyps: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i % 7, i % 3, i]).collect();
        let words: Vec<&[u8]> = hyps.iter().map(|h| &h[..]).collect();
        let dist = DistanceMatrix::new(&words);
        let totals: Vec<f64> = (0..40)
            .map(|i| if i == 3 { 0.0 } else { -20.0 - i as f64 })
            .collect();
        let p = posteriors(&totals, 1.0);
        let mut out = vec![0.0; 40];
        assert!(bounded_risks(&dist, &p, &mut out));
        assert_eq!(out.iter().filter(|r| r.is_finite()).count(), 1);
        assert_eq!(select_index(&dist, &totals, 1.0, &mut Vec::new()), 3);
        // Flat posteriors: every risk may win, so the bound is not used.
        assert!(!bounded_risks(&dist, &posteriors(&totals, 0.0), &mut out));
    }

    proptest! {
        /// The matrix of `new` (numbered words, bit-parallel distances) and
        /// the rescorer's MBR (numbered straight from its `Words`) are those
        /// of the plain distance, for hypotheses of 0 to 150 words.
        #[test]
        fn distances_and_the_rescorers_choice_are_the_plain_ones(
            hyps in (1usize..5).prop_flat_map(|k| prop::collection::vec(
                prop::collection::vec(0..k, 0..=150),
                0..8,
            )),
            scale in prop::sample::select(vec![0.5, 1.0, 3.0]),
        ) {
            use crate::rescore::{HypFeatures, Rescored, Weights, Words};
            let vocab = ["a", "b", "cc", "0123456789abcdefg"];
            let strs: Vec<Vec<&str>> = hyps.iter().map(|h| h.iter().map(|&i| vocab[i]).collect()).collect();
            let refs: Vec<&[&str]> = strs.iter().map(|h| &h[..]).collect();
            let expected = plain(&refs);
            prop_assert_eq!(&DistanceMatrix::new(&refs), &expected);
            let words: Vec<Words> = strs.iter().map(|h| h.iter().collect()).collect();
            // Totals in input order, a little apart: the posteriors matter.
            let features: Vec<HypFeatures> = (0..hyps.len())
                .map(|i| HypFeatures { acoustic: -0.3 * i as f64, first_pass_lm: 0.0, new_lm: 0.0, num_words: 0, extra: 0.0, extra_times_lm: 0.0 })
                .collect();
            let weights = Weights::default();
            let r = Rescored::from_features(features, &weights, Some((&words, scale)));
            prop_assert_eq!(r.mbr.as_ref(), Some(&select(&expected, &r.totals, scale)));
        }

        /// Long lists: `select_index` (bounded risks where they apply) chooses
        /// as `select` (every risk in full), with ties (repeated hypotheses,
        /// equal totals) and every kind of scale; where the bound applies, the
        /// risks it sums are `risks_into`'s to the bit and the others are
        /// larger than the least.
        #[test]
        fn bounded_risks_choose_as_the_full_ones(
            hyps in prop::collection::vec(prop::collection::vec(0u8..3, 0..7), 16..70),
            totals in prop::collection::vec(
                prop::sample::select(vec![0.0, -0.5, -1.0, -2.5, -4.0, -9.0, -30.0, f64::NAN]),
                70,
            ),
            spread in prop::sample::select(vec![0.0, 1.0, 3.0]),
            scale in prop::sample::select(vec![0.05, 0.5, 2.0, 8.0, 40.0, f64::INFINITY, f64::NAN]),
        ) {
            let words: Vec<&[u8]> = hyps.iter().map(|h| &h[..]).collect();
            let dist = DistanceMatrix::new(&words);
            let n = dist.len();
            let totals: Vec<f64> = totals[..n].iter().enumerate()
                .map(|(i, &t)| t - spread * (i % 5) as f64)
                .collect();
            let mut buf = Vec::new();
            prop_assert_eq!(
                select_index(&dist, &totals, scale, &mut buf),
                select(&dist, &totals, scale).choice
            );
            let p = posteriors(&totals, scale);
            let mut full = vec![0.0; n];
            risks_into(&dist, &p, &mut full);
            let mut bounded = vec![0.0; n];
            if bounded_risks(&dist, &p, &mut bounded) {
                let least = full.iter().copied().fold(f64::INFINITY, f64::min);
                for (i, (&b, &f)) in bounded.iter().zip(&full).enumerate() {
                    if b == f64::INFINITY {
                        prop_assert!(f > least, "hypothesis {} left out at the least risk", i);
                    } else {
                        prop_assert_eq!(b.to_bits(), f.to_bits(), "hypothesis {}", i);
                    }
                }
            }
        }

        /// The blocked sums are each row's plain sum, to the bit.
        #[test]
        fn risks_are_each_rows_plain_sum(
            hyps in prop::collection::vec(prop::collection::vec(0u8..4, 0..6), 0..21),
            totals in prop::collection::vec(
                prop::sample::select(vec![0.0, -1.5, -3.25, -40.0, -0.1, f64::NAN, f64::NEG_INFINITY]),
                21,
            ),
            scale in prop::sample::select(vec![1.0, 0.3, 7.0, f64::INFINITY, f64::NAN]),
        ) {
            let words: Vec<&[u8]> = hyps.iter().map(|h| &h[..]).collect();
            let dist = DistanceMatrix::new(&words);
            let p = posteriors(&totals[..dist.len()], scale);
            let mut out = vec![0.0; dist.len()];
            risks_into(&dist, &p, &mut out);
            for (i, r) in out.iter().enumerate() {
                let plain: f64 = dist.row(i).iter().zip(&p).map(|(&d, &p)| f64::from(d) * p).sum();
                prop_assert_eq!(r.to_bits(), plain.to_bits(), "row {}", i);
            }
        }
    }
}
