//! The key codec of the arc tables: the bijective hash of `(ctx, word)` keys
//! and its split into home and remainder (see [`crate::format::table`]).

use super::bits::mask;
use super::table::MAX_KEY_BITS;

const C1: u64 = 0x9e37_79b9_7f4a_7c15;

/// The multiplicative inverse of an odd `c` modulo 2^64 (cut to 32 bits, the
/// inverse of `c`'s low 32 bits modulo 2^32).
pub(crate) const fn inverse(c: u64) -> u64 {
    let mut x = c;
    let mut i = 0;
    while i < 6 {
        x = x.wrapping_mul(2u64.wrapping_sub(c.wrapping_mul(x)));
        i += 1;
    }
    x
}

/// The bijective hash of `(ctx, word)` keys of one table, and its split into
/// home and remainder.
///
/// ```
/// use dashlm::format::table::KeyCodec;
/// let codec = KeyCodec::new(10, 12, 1000);
/// let h = codec.hash(5, 700);
/// assert_eq!(codec.unhash(h), (5, 700));
/// assert!(codec.home(h) < 1000);
/// // 1000 homes take the top 9 bits of the 22-bit hash.
/// assert_eq!(codec.rem_bits(), 22 - 9);
/// assert_eq!(codec.join(codec.home(h), h & ((1 << codec.rem_bits()) - 1)), h);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyCodec {
    bits: u32,
    word_bits: u32,
    mask: u64,
    /// Low bits of a hash not used to choose its home.
    pub(super) rem_bits: u32,
    /// `64 - (bits - rem_bits)`: moves the bucket bits to the top of a word.
    top_shift: u32,
    num_homes: u64,
    /// [`KeyCodec::locate`]'s constants: the multipliers of the word and the
    /// context that give the hash shifted to the top of 64 bits, the shift
    /// back (`64 - bits`) and the mask of the bucket bits at the top.
    word_mul: u64,
    ctx_mul: u64,
    hash_shift: u32,
    bucket_mask: u64,
}

impl KeyCodec {
    /// The codec for `ctx_bits`-bit contexts and `word_bits`-bit words
    /// (`ctx_bits + word_bits <= MAX_KEY_BITS`, `word_bits >= 1`) in a table of
    /// `num_homes` homes. Other widths are clamped (keys to 1..=`MAX_KEY_BITS`
    /// bits, words to the key's width, at least one home): such a codec is
    /// still a bijection of the clamped keys, never a panic.
    ///
    /// ```
    /// use dashlm::format::table::{KeyCodec, MAX_KEY_BITS};
    /// let codec = KeyCodec::new(10, 12, 1000);
    /// assert_eq!((codec.bits(), codec.num_homes()), (22, 1000));
    /// // Out of range: clamped.
    /// let wide = KeyCodec::new(u32::MAX, 100, 0);
    /// assert_eq!((wide.bits(), wide.num_homes()), (MAX_KEY_BITS, 1));
    /// assert_eq!(wide.unhash(wide.hash(0, 5)), (0, 5));
    /// ```
    pub fn new(ctx_bits: u32, word_bits: u32, num_homes: u64) -> KeyCodec {
        let bits = ctx_bits.saturating_add(word_bits).clamp(1, MAX_KEY_BITS);
        // At most `bits` (< 64), so `hash` and `unhash` shift by less than 64.
        let word_bits = word_bits.min(bits);
        let num_homes = num_homes.max(1);
        let k = (63 - num_homes.leading_zeros()).min(bits);
        // (key << (64 - bits)) * C1 is the hash shifted to the top (the
        // product's low `bits` bits moved up; bits above them fall off), and
        // key << s is word << s + ctx << (s + word_bits) for keys in range.
        let shift = 64 - bits;
        KeyCodec {
            bits,
            word_bits,
            mask: mask(bits),
            rem_bits: bits - k,
            top_shift: 64 - k,
            num_homes,
            word_mul: C1 << shift,
            ctx_mul: C1.checked_shl(shift + word_bits).unwrap_or(0),
            hash_shift: shift,
            bucket_mask: !mask(64 - k),
        }
    }

    /// `(hash(ctx, word), home(hash))` with fewer instructions (the query's
    /// hot path): two multiplications give the hash at the top of a word, whose
    /// top bits are the bucket.
    ///
    /// ```
    /// use dashlm::format::table::KeyCodec;
    /// let codec = KeyCodec::new(10, 12, 1000);
    /// let h = codec.hash(5, 700);
    /// assert_eq!(codec.locate(5, 700), (h, codec.home(h)));
    /// ```
    #[inline(always)]
    pub fn locate(&self, ctx: u32, word: u32) -> (u64, u64) {
        let top = u64::from(word)
            .wrapping_mul(self.word_mul)
            .wrapping_add(u64::from(ctx).wrapping_mul(self.ctx_mul));
        let home = (u128::from(top & self.bucket_mask) * u128::from(self.num_homes)) >> 64;
        (top >> self.hash_shift, home as u64)
    }

    #[inline(always)]
    fn permute(&self, key: u64) -> u64 {
        // Multiplication by an odd constant is a bijection modulo 2^bits whose
        // top bits (the home) depend on every key bit: Fibonacci hashing.
        key.wrapping_mul(C1) & self.mask
    }

    /// The stored value of `(ctx, word)`.
    ///
    /// ```
    /// let codec = dashlm::format::table::KeyCodec::new(10, 12, 1000);
    /// let h = codec.hash(5, 700);
    /// assert!(h < 1 << codec.bits());
    /// // A bijection: distinct keys never share a hash.
    /// assert_ne!(h, codec.hash(700, 5));
    /// ```
    #[inline(always)]
    pub fn hash(&self, ctx: u32, word: u32) -> u64 {
        let key = u64::from(word) | (u64::from(ctx) << self.word_bits);
        self.permute(key)
    }

    /// Decodes a stored value back to `(ctx, word)`.
    ///
    /// ```
    /// let codec = dashlm::format::table::KeyCodec::new(10, 12, 1000);
    /// assert_eq!(codec.unhash(codec.hash(1023, 4095)), (1023, 4095));
    /// assert_eq!(codec.unhash(codec.hash(0, 1)), (0, 1));
    /// ```
    pub fn unhash(&self, h: u64) -> (u32, u32) {
        let x = h.wrapping_mul(inverse(C1)) & self.mask;
        (
            (x >> self.word_bits) as u32,
            (x & mask(self.word_bits)) as u32,
        )
    }

    /// Bits of a hash a slot stores (the rest is implied by its home).
    ///
    /// ```
    /// use dashlm::format::table::KeyCodec;
    /// // 1000 homes imply the top 9 of 22 bits; 2^22 homes imply all of them.
    /// assert_eq!(KeyCodec::new(10, 12, 1000).rem_bits(), 13);
    /// assert_eq!(KeyCodec::new(10, 12, 1 << 22).rem_bits(), 0);
    /// ```
    pub fn rem_bits(&self) -> u32 {
        self.rem_bits
    }

    /// The number of homes.
    ///
    /// ```
    /// assert_eq!(dashlm::format::table::KeyCodec::new(10, 12, 1000).num_homes(), 1000);
    /// ```
    pub fn num_homes(&self) -> u64 {
        self.num_homes
    }

    /// The home of hash `h`: monotone in `h`, and distinct for hashes that
    /// differ above the remainder bits.
    ///
    /// ```
    /// let codec = dashlm::format::table::KeyCodec::new(10, 12, 1000);
    /// // 13 remainder bits: hashes equal above them share a home...
    /// assert_eq!(codec.home(1 << 13), codec.home((1 << 13) | 5));
    /// // ...and larger ones get later homes, all below 1000.
    /// assert!(codec.home(1 << 13) < codec.home(2 << 13));
    /// assert!(codec.home((1 << 22) - 1) < 1000);
    /// ```
    #[inline(always)]
    pub fn home(&self, h: u64) -> u64 {
        // Keep the bucket bits, scale them to the top of 64 bits, then take the
        // high word of the product with the number of homes.
        let top = (h >> self.rem_bits).wrapping_shl(self.top_shift);
        ((u128::from(top) * u128::from(self.num_homes)) >> 64) as u64
    }

    /// The hash with home `home` and remainder `rem` (the inverse of
    /// [`KeyCodec::home`] and the remainder).
    ///
    /// ```
    /// let codec = dashlm::format::table::KeyCodec::new(10, 12, 1000);
    /// let h = codec.hash(5, 700);
    /// let rem = h & ((1 << codec.rem_bits()) - 1);
    /// assert_eq!(codec.join(codec.home(h), rem), h);
    /// // A default codec (no homes, 0-bit keys) joins everything to 0.
    /// assert_eq!(dashlm::format::table::KeyCodec::default().join(3, 7), 0);
    /// ```
    pub fn join(&self, home: u64, rem: u64) -> u64 {
        let k = self.bits - self.rem_bits;
        // The bucket is the least b with floor(b * num_homes / 2^k) == home.
        // (`max(1)`: a `KeyCodec::default()` has no homes.)
        let homes = u128::from(self.num_homes.max(1));
        let bucket = (u128::from(home) << k).div_ceil(homes) as u64;
        (bucket.wrapping_shl(self.rem_bits) | (rem & mask(self.rem_bits))) & self.mask
    }

    /// Bits of a stored value.
    ///
    /// ```
    /// use dashlm::format::table::KeyCodec;
    /// assert_eq!(KeyCodec::new(10, 12, 1000).bits(), 22);
    /// assert_eq!(KeyCodec::new(0, 0, 1).bits(), 1); // at least one bit
    /// ```
    pub fn bits(&self) -> u32 {
        self.bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The hot path's `locate` agrees with `hash` and `home` for every
        /// width, table size and key in range.
        #[test]
        fn locate_is_hash_and_home(
            ctx_bits in 0u32..40,
            word_bits in 1u32..30,
            num_homes in 1u64..(1 << 40),
            ctx in proptest::num::u32::ANY,
            word in proptest::num::u32::ANY,
        ) {
            let codec = KeyCodec::new(ctx_bits, word_bits, num_homes);
            let bits = codec.bits();
            let word_bits = word_bits.min(bits);
            let word = word & mask(word_bits) as u32;
            let ctx = ctx & mask(bits - word_bits) as u32;
            let h = codec.hash(ctx, word);
            proptest::prop_assert_eq!(codec.locate(ctx, word), (h, codec.home(h)));
        }
    }
}
