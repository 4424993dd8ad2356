//! Bytes eight at a time in a `u64` ("SIMD within a register"): masks with
//! `0x80` in each byte that has a property and `0` in the others, computed
//! without a branch, for scans of text that is mostly ordinary (word
//! separators, bytes a JSON string must escape).
//!
//! Private to the crate: [`text`](crate::text) and the JSONL writer use it.

/// `0x01` in every byte.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every byte.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// `0x80` in each byte of `x` equal to `b`, `0` in the others (exact: the
/// addition never carries from one byte into the next).
#[inline(always)]
pub(crate) const fn equal(x: u64, b: u8) -> u64 {
    let y = x ^ (ONES * b as u64);
    !((((y & !HIGH).wrapping_add(!HIGH)) | y) | !HIGH)
}

/// `0x80` in each byte of `x` below `n` (at most `0x80`), `0` in the others.
#[inline(always)]
pub(crate) const fn below(x: u64, n: u8) -> u64 {
    // No carries: each byte of `x & !HIGH` is at most 0x7F, and `n <= 0x80`.
    let at_least = ((x & !HIGH).wrapping_add(ONES * (0x80 - n as u64))) & HIGH;
    !at_least & !x & HIGH
}

/// `bytes` eight at a time: each chunk's offset and its bytes as a
/// little-endian `u64` (byte `k` of the chunk in bits `8k..8k + 8`), the last
/// chunk padded with zero bytes.
#[inline(always)]
pub(crate) fn chunks8(bytes: &[u8]) -> impl Iterator<Item = (usize, u64)> + '_ {
    let whole = bytes.chunks_exact(8);
    let rest = whole.remainder();
    let last = (!rest.is_empty()).then(|| {
        let mut padded = [0u8; 8];
        padded[..rest.len()].copy_from_slice(rest);
        (bytes.len() - rest.len(), u64::from_le_bytes(padded))
    });
    (whole.enumerate())
        .map(|(i, c)| (8 * i, u64::from_le_bytes(c.try_into().expect("8 bytes"))))
        .chain(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mask's byte `k`: whether it is `0x80` (and every other bit clear).
    fn marked(mask: u64, k: usize) -> bool {
        let byte = (mask >> (8 * k)) & 0xFF;
        assert!(byte == 0 || byte == 0x80, "{mask:#x}");
        byte == 0x80
    }

    #[test]
    fn masks_are_exact_for_every_byte_in_every_place() {
        for b in 0..=255u8 {
            for k in 0..8 {
                // The other bytes are 0x00 and 0xFF, the extremes for carries.
                for fill in [0u64, u64::MAX] {
                    let x = (fill & !(0xFF << (8 * k))) | (u64::from(b) << (8 * k));
                    for n in [0x09, 0x0E, 0x20, 0x80] {
                        assert_eq!(marked(below(x, n), k), b < n, "{b:#x} < {n:#x} at {k}");
                    }
                    for c in [b' ', b'"', b'\\', 0, 0xFF] {
                        assert_eq!(marked(equal(x, c), k), b == c, "{b:#x} == {c:#x} at {k}");
                    }
                }
            }
        }
    }

    #[test]
    fn chunks_cover_the_bytes_padded_with_zeros() {
        let bytes: Vec<u8> = (1..=19).collect();
        let chunks: Vec<(usize, u64)> = chunks8(&bytes).collect();
        assert_eq!(chunks.iter().map(|c| c.0).collect::<Vec<_>>(), [0, 8, 16]);
        assert_eq!(chunks[2].1, 0x13_12_11);
        assert_eq!(chunks[0].1.to_le_bytes(), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(chunks8(&[]).count(), 0);
    }
}
