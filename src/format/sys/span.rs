//! Unaligned 64-bit reads of bit positions in a byte slice, bounds-checked
//! once for many ([`Span`]).

/// The 64-bit words of a byte slice up to bit `end`, checked once to lie
/// inside it, so that each read needs no bounds check: a position is clamped
/// to `end` (two instructions) where a checked read compares and branches
/// (four). A query reads about ten words, most of them scanning table slots.
///
/// ```
/// use dashlm::format::Span;
/// let bytes = [0x12u8, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22];
/// let span = Span::new(&bytes, 16).unwrap(); // the last word inside starts at bit 16
/// assert_eq!(span.word(0), 0xf0de_bc9a_7856_3412);
/// assert_eq!(span.word(4), 0x0f0d_ebc9_a785_6341);
/// assert_eq!(span.word(16), 0x2211_f0de_bc9a_7856);
/// assert_eq!(span.word(1000), span.word(16)); // clamped
/// assert!(Span::new(&bytes, 24).is_none()); // a word at bit 24 would pass the end
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Span<'a> {
    bytes: &'a [u8],
    end: u64,
}

impl<'a> Span<'a> {
    /// The words of `bytes` up to bit `end`, if the word at `end` lies inside.
    ///
    /// ```
    /// use dashlm::format::Span;
    /// let bytes = [0u8; 12];
    /// assert!(Span::new(&bytes, 39).is_some()); // the word at bit 39 starts in byte 4
    /// assert!(Span::new(&bytes, 40).is_none()); // bytes 5..13: past the end
    /// assert!(Span::new(&bytes, u64::MAX).is_none());
    /// ```
    #[inline(always)]
    pub fn new(bytes: &'a [u8], end: u64) -> Option<Span<'a>> {
        ((end >> 3).saturating_add(8) <= bytes.len() as u64).then_some(Span { bytes, end })
    }

    /// The bits from bit `pos` on (from `end` if `pos` is past it),
    /// little-endian: the 8 bytes from byte `pos / 8` shifted right by `pos %
    /// 8`, so the low `64 - pos % 8` bits (at least 57) are the span's and the
    /// top `pos % 8` are zero. Fields of at most 57 bits
    /// ([`MAX_KEY_BITS`](crate::format::table::MAX_KEY_BITS)) read whole.
    ///
    /// ```
    /// use dashlm::format::Span;
    /// let bytes = 0x0123_4567_89ab_cdefu64.to_le_bytes();
    /// let span = Span::new(&bytes, 4).unwrap();
    /// assert_eq!(span.word(0), 0x0123_4567_89ab_cdef);
    /// assert_eq!(span.word(4), 0x0012_3456_789a_bcde); // 60 bits, the top 4 zero
    /// assert_eq!(span.word(9), span.word(4)); // past `end`: clamped
    /// ```
    #[inline(always)]
    pub fn word(&self, pos: u64) -> u64 {
        let pos = pos.min(self.end);
        let byte = (pos >> 3) as usize;
        debug_assert!(byte + 8 <= self.bytes.len());
        // SAFETY: `pos <= end` and `new` checked `end / 8 + 8 <= bytes.len()`,
        // so bytes `byte..byte + 8` lie inside `bytes`. The read is unaligned.
        let word = unsafe { self.bytes.as_ptr().add(byte).cast::<u64>().read_unaligned() };
        u64::from_le(word) >> (pos & 7)
    }
}
