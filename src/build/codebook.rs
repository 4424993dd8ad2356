//! Per-order codebooks for quantized weights (like KenLM's `-q`/`-b` binning).

/// A sorted list of representative values; a weight is stored as the index of
/// the nearest one.
///
/// When the distinct values fit in the codebook, it holds them exactly
/// (lossless); otherwise values are split into equal-count bins, each
/// represented by its mean, so the error of a weight is at most the width of
/// its bin, then refined by Lloyd's algorithm (each center moves to the mean of
/// the values nearest to it), which lowers the mean squared error of the
/// weights. `-inf` gets an exact code of its own.
///
/// ```
/// use dashlm::build::Codebook;
/// let cb = Codebook::build(vec![-1.0, -2.0, -2.0, f32::NEG_INFINITY], 8);
/// assert_eq!(cb.decode(cb.encode(-2.0)), -2.0);
/// assert_eq!(cb.decode(cb.encode(f32::NEG_INFINITY)), f32::NEG_INFINITY);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Codebook {
    centers: Vec<f32>,
    /// Every [`STRIDE`]th center, so that [`Codebook::encode`] searches a
    /// small, cached array first and then one short run of `centers`.
    coarse: Vec<f32>,
}

/// Centers per entry of [`Codebook`]'s coarse index.
const STRIDE: usize = 16;

impl Codebook {
    /// Builds a codebook of at most `2^bits` entries for `values` (only as many as
    /// there are distinct representatives: small models get small codebooks).
    pub fn build(mut values: Vec<f32>, bits: u32) -> Codebook {
        let size = 1usize << bits;
        let has_neg_inf = values.contains(&f32::NEG_INFINITY);
        values.retain(|v| v.is_finite());
        values.sort_by(f32::total_cmp);
        let runs = runs(&values);
        let room = size - usize::from(has_neg_inf);
        let mut centers: Vec<f32> = if runs.len() <= room {
            runs.iter().map(|&(v, _)| v).collect()
        } else {
            let n = values.len();
            let mut centers = Vec::with_capacity(room);
            for b in 0..room {
                let (lo, hi) = (b * n / room, (b + 1) * n / room);
                if hi > lo {
                    let sum: f64 = values[lo..hi].iter().map(|&v| f64::from(v)).sum();
                    centers.push((sum / (hi - lo) as f64) as f32);
                }
            }
            centers.dedup();
            lloyd(&runs, &mut centers, 25);
            centers
        };
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
        let coarse = centers.iter().step_by(STRIDE).copied().collect();
        Codebook { centers, coarse }
    }

    /// The first index whose center is not below `value` (`centers.len()` if
    /// none): `partition_point` over the centers, through the coarse index.
    fn first_not_below(&self, value: f32) -> usize {
        // coarse[j] = centers[j * STRIDE]; the first coarse entry not below
        // `value` bounds the answer to one stride of centers before it.
        let j = self.coarse.partition_point(|&c| c < value);
        let lo = (j.saturating_sub(1) * STRIDE + 1).min(j * STRIDE);
        let hi = (j * STRIDE).min(self.centers.len());
        lo + self.centers[lo..hi].partition_point(|&c| c < value)
    }

    /// The index of the center nearest to `value`.
    pub fn encode(&self, value: f32) -> u32 {
        if value == f32::NEG_INFINITY && self.centers[0] == f32::NEG_INFINITY {
            return 0;
        }
        let i = self.first_not_below(value);
        let best = match i {
            0 => 0,
            i if i == self.centers.len() => i - 1,
            i => {
                if (self.centers[i] - value).abs() < (value - self.centers[i - 1]).abs() {
                    i
                } else {
                    i - 1
                }
            }
        };
        let skip_inf = usize::from(
            best == 0 && self.centers[0] == f32::NEG_INFINITY && self.centers.len() > 1,
        );
        (best + skip_inf) as u32
    }

    /// The center of `code` (0 for an out-of-range code).
    pub fn decode(&self, code: u32) -> f32 {
        self.centers.get(code as usize).copied().unwrap_or(0.0)
    }

    /// The centers as little-endian f32 bytes, as stored in the file.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.centers.iter().flat_map(|c| c.to_le_bytes()).collect()
    }
}

/// The runs of equal values of sorted `values`: each distinct value and how
/// often it occurs.
fn runs(values: &[f32]) -> Vec<(f32, usize)> {
    let mut runs: Vec<(f32, usize)> = Vec::new();
    for &v in values {
        match runs.last_mut() {
            Some((last, n)) if *last == v => *n += 1,
            _ => runs.push((v, 1)),
        }
    }
    runs
}

/// Lloyd iterations for 1-D k-means over the sorted values given as `runs`,
/// keeping `centers` sorted. The nearest center is found once per run; the
/// sums still add every value one by one, so they round as a pass over the
/// values would.
fn lloyd(runs: &[(f32, usize)], centers: &mut Vec<f32>, rounds: usize) {
    for _ in 0..rounds {
        let mut sums = vec![0f64; centers.len()];
        let mut counts = vec![0usize; centers.len()];
        let mut c = 0;
        for &(v, n) in runs {
            while c + 1 < centers.len() && (centers[c + 1] - v).abs() <= (v - centers[c]).abs() {
                c += 1;
            }
            for _ in 0..n {
                sums[c] += f64::from(v);
            }
            counts[c] += n;
        }
        let mut moved = false;
        for ((center, sum), count) in centers.iter_mut().zip(&sums).zip(&counts) {
            if *count > 0 {
                let mean = (sum / *count as f64) as f32;
                moved |= mean != *center;
                *center = mean;
            }
        }
        centers.sort_by(f32::total_cmp);
        centers.dedup();
        if !moved {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The coarse search finds exactly what a full binary search finds.
    #[test]
    fn coarse_search_equals_binary_search() {
        for n in [1usize, 2, 15, 16, 17, 31, 32, 33, 100, 1000] {
            let centers: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 10.0).collect();
            let cb = Codebook::from_centers(centers.clone());
            for k in -30..(n as i32 + 30) {
                let v = k as f32 * 0.25 - 10.0;
                assert_eq!(
                    cb.first_not_below(v),
                    centers.partition_point(|&c| c < v),
                    "n={n} v={v}"
                );
            }
        }
    }
}
