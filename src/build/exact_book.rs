//! Lossless codebooks: a field whose values take few distinct bit patterns is
//! stored as codes into the sorted list of those patterns, when that is
//! smaller than the raw f32 bits. Decoding gives back every value bit for bit
//! (`-0.0` and `0.0` are distinct patterns), so scores stay exact.
//!
//! The shared 4-gram's 251,546 unigrams take 952 distinct stored
//! probabilities (925 values, some with the sign-bit flag of `unigrams`) and
//! 20,869 distinct backoffs: 10 + 15 bits a unigram instead of 64; its f32
//! bigram and trigram backoffs take 36,655 and 19,187 values: 16 and 15 bits.

use std::collections::HashMap;

use crate::format::bits::bits_for;
use crate::format::MAX_EXACT_VALUES;

/// The distinct bit patterns of a field's values, sorted by
/// [`f32::total_cmp`], each coded by its rank.
///
/// ```
/// use dashlm::build::ExactBook;
/// let book = ExactBook::new([-1.5f32, -0.0, 0.0, -1.5, -0.0, -1.5, 0.0, -0.0]).unwrap();
/// assert_eq!(book.bits(), 2); // 3 patterns: -1.5, -0, 0
/// assert_eq!(book.encode(-0.0), 1);
/// assert_eq!(book.encode(0.0), 2);
/// assert_eq!(book.to_bytes().len(), 3 * 4);
/// // All distinct: raw f32 bits are smaller.
/// assert!(ExactBook::new([1.0f32, 2.0, 3.0]).is_none());
/// ```
#[derive(Clone, Debug)]
pub struct ExactBook {
    values: Vec<f32>,
    codes: HashMap<u32, u32>,
}

impl ExactBook {
    /// The exact codebook of `values`, or `None` when they take more than
    /// [`MAX_EXACT_VALUES`] bit patterns or their codes and the codebook would
    /// not take fewer bits than 32 bits a value.
    ///
    /// ```
    /// let codes = (0..1000).map(|i| -((i % 10) as f32));
    /// let book = dashlm::build::ExactBook::new(codes).unwrap();
    /// assert_eq!(book.bits(), 4);
    /// ```
    pub fn new(values: impl IntoIterator<Item = f32>) -> Option<ExactBook> {
        let mut codes = HashMap::new();
        let mut count = 0u64;
        for v in values {
            count += 1;
            codes.insert(v.to_bits(), 0);
            if codes.len() > MAX_EXACT_VALUES {
                return None;
            }
        }
        ExactBook::of_patterns(codes, count)
    }

    /// [`ExactBook::new`] of `values[i]` repeated `counts[i]` times, from the
    /// histogram alone.
    ///
    /// ```
    /// use dashlm::build::ExactBook;
    /// let book = ExactBook::from_counts(&[-1.0, -2.0, -3.0], &[500, 0, 500]).unwrap();
    /// assert_eq!((book.bits(), book.encode(-1.0), book.encode(-3.0)), (1, 1, 0));
    /// assert!(ExactBook::from_counts(&[-1.0, -2.0], &[1, 1]).is_none()); // not smaller
    /// ```
    pub fn from_counts(values: &[f32], counts: &[u64]) -> Option<ExactBook> {
        let mut codes = HashMap::new();
        let mut count = 0u64;
        for (v, &n) in values.iter().zip(counts).filter(|(_, &n)| n > 0) {
            count += n;
            codes.insert(v.to_bits(), 0);
            if codes.len() > MAX_EXACT_VALUES {
                return None;
            }
        }
        ExactBook::of_patterns(codes, count)
    }

    /// The book of the distinct bit patterns that are `codes`' keys, taken by
    /// `count` values, if smaller than raw f32s; `codes` then maps each to
    /// its rank.
    fn of_patterns(mut codes: HashMap<u32, u32>, count: u64) -> Option<ExactBook> {
        let mut values: Vec<f32> = codes.keys().map(|&b| f32::from_bits(b)).collect();
        values.sort_unstable_by(f32::total_cmp);
        let book_bits = 32 * values.len() as u64;
        let code_bits = u64::from(code_bits(values.len())) * count;
        if values.is_empty() || code_bits + book_bits >= 32 * count {
            return None;
        }
        for (code, v) in values.iter().enumerate() {
            codes.insert(v.to_bits(), code as u32);
        }
        Some(ExactBook { values, codes })
    }

    /// The width of a code.
    ///
    /// ```
    /// let book = dashlm::build::ExactBook::new([-1.0f32; 8]).unwrap();
    /// assert_eq!(book.bits(), 1); // one value: still one bit a code
    /// ```
    pub fn bits(&self) -> u32 {
        code_bits(self.values.len())
    }

    /// The code of `value`.
    ///
    /// # Panics
    /// If `value` was not among the values the book was made from.
    ///
    /// ```
    /// let book = dashlm::build::ExactBook::new([-2.0f32, -1.0, -2.0, -2.0]).unwrap();
    /// assert_eq!((book.encode(-2.0), book.encode(-1.0)), (0, 1));
    /// ```
    pub fn encode(&self, value: f32) -> u32 {
        *self
            .codes
            .get(&value.to_bits())
            .expect("a value of the book's field")
    }

    /// The codebook section: the values as little-endian f32, by code.
    ///
    /// ```
    /// let book = dashlm::build::ExactBook::new([-2.0f32, -2.0, -2.0]).unwrap();
    /// assert_eq!(book.to_bytes(), (-2.0f32).to_le_bytes());
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        self.values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }
}

/// Bits of a code into `len` values (at least 1).
fn code_bits(len: usize) -> u32 {
    bits_for(len.saturating_sub(1) as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn codes_decode_to_the_same_bits(
            picks in prop::collection::vec(0usize..40, 1..400),
            pool in prop::collection::vec(any::<u32>(), 40),
        ) {
            let values: Vec<f32> = picks.iter().map(|&i| f32::from_bits(pool[i])).collect();
            if let Some(book) = ExactBook::new(values.iter().copied()) {
                let bytes = book.to_bytes();
                prop_assert!(bytes.len() / 4 <= 1 << book.bits());
                for v in &values {
                    let code = book.encode(*v) as usize;
                    let back = u32::from_le_bytes(bytes[4 * code..4 * code + 4].try_into().unwrap());
                    prop_assert_eq!(back, v.to_bits());
                }
            }
        }
    }

    proptest! {
        #[test]
        fn counted_equals_expanded(
            entries in prop::collection::vec((0u32..30, 0u64..50), 0..60),
        ) {
            let values: Vec<f32> = entries.iter().map(|&(v, _)| -(v as f32) / 4.0).collect();
            let counts: Vec<u64> = entries.iter().map(|&(_, n)| n).collect();
            let expanded = values.iter().zip(&counts)
                .flat_map(|(&v, &n)| std::iter::repeat_n(v, n as usize));
            let want = ExactBook::new(expanded).map(|b| b.to_bytes());
            prop_assert_eq!(ExactBook::from_counts(&values, &counts).map(|b| b.to_bytes()), want);
        }
    }

    #[test]
    fn too_many_patterns_are_not_coded() {
        let many = (0..=MAX_EXACT_VALUES as u32)
            .map(|i| -(i as f32))
            .cycle()
            .take(1 << 20);
        assert!(ExactBook::new(many).is_none());
        let fewer = (0..MAX_EXACT_VALUES as u32)
            .map(|i| -(i as f32))
            .cycle()
            .take(1 << 20);
        assert_eq!(ExactBook::new(fewer).unwrap().bits(), 16);
    }

    /// From a histogram as from the values: [`MAX_EXACT_VALUES`] patterns
    /// are coded, one more are not (though 17-bit codes would be smaller
    /// than raw f32s).
    #[test]
    fn too_many_counted_patterns_are_not_coded() {
        let values: Vec<f32> = (0..=MAX_EXACT_VALUES as u32).map(|i| -(i as f32)).collect();
        let counts = vec![16u64; values.len()];
        assert!(ExactBook::from_counts(&values, &counts).is_none());
        let fewer = MAX_EXACT_VALUES;
        let book = ExactBook::from_counts(&values[..fewer], &counts[..fewer]).unwrap();
        assert_eq!(book.bits(), 16);
    }
}
