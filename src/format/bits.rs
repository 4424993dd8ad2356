//! Fixed-width bit fields packed little-endian into byte slices.
//!
//! ```
//! use dashlm::format::bits::{read_bits, BitWriter};
//! let mut w = BitWriter::new();
//! w.push(5, 3); // bits 0..3
//! w.push(1000, 11); // bits 3..14
//! let bytes = w.finish();
//! assert_eq!(bytes, [0x45, 0x1f]); // 5 | 1000 << 3, low byte first
//! assert_eq!((read_bits(&bytes, 0, 3), read_bits(&bytes, 3, 11)), (5, 1000));
//! assert_eq!(read_bits(&bytes, 64, 8), 0); // past the end: zeros
//! ```

/// Reads the `width`-bit field starting at bit `pos` of `bytes` (one load for
/// widths up to 57, two up to 64; wider counts as 64). Bits past the end of
/// `bytes` read as zero, so any position is memory-safe.
///
/// ```
/// use dashlm::format::bits::{read_bits, BitWriter};
/// let mut w = BitWriter::new();
/// w.push(5, 3);
/// w.push(1000, 11);
/// let bytes = w.finish();
/// assert_eq!(read_bits(&bytes, 0, 3), 5);
/// assert_eq!(read_bits(&bytes, 3, 11), 1000);
/// assert_eq!(read_bits(&bytes, 1 << 40, 11), 0);
/// assert_eq!(read_bits(&[0xff; 9], 4, 64), u64::MAX);
/// assert_eq!(read_bits(&[0xff; 9], 4, 100), u64::MAX);
/// ```
#[inline(always)]
pub fn read_bits(bytes: &[u8], pos: u64, width: u32) -> u64 {
    if width <= 57 {
        // The shift cannot overflow.
        return read_word(bytes, pos) & ((1u64 << width) - 1);
    }
    let low = read_word(bytes, pos) & mask(32);
    let high = read_word(bytes, pos.wrapping_add(32)) & mask(width.min(64) - 32);
    low | high << 32
}

/// The bits of `bytes` from bit `pos` on, at least 57 of them, in the low bits
/// of a `u64` (the bits above those 57 may belong to later fields): one
/// unaligned load and a shift, for callers that mask fields out themselves.
/// Bits past the end of `bytes` read as zero.
///
/// ```
/// use dashlm::format::bits::{read_word, BitWriter};
/// let mut w = BitWriter::new();
/// w.push(5, 3);
/// w.push(1000, 11);
/// let bytes = w.finish();
/// assert_eq!(read_word(&bytes, 3) & 0x7ff, 1000);
/// assert_eq!(read_word(&bytes, 0) >> 3, 1000);
/// ```
#[inline(always)]
pub fn read_word(bytes: &[u8], pos: u64) -> u64 {
    let byte = (pos >> 3) as usize;
    let word = match bytes.get(byte..byte.wrapping_add(8)) {
        Some(b) => u64::from_le_bytes(b.try_into().expect("8 bytes")),
        None => tail_word(bytes, byte),
    };
    word >> (pos & 7)
}

/// The little-endian word at `byte` when fewer than 8 bytes are left there
/// (the missing ones read as zero).
#[cold]
fn tail_word(bytes: &[u8], byte: usize) -> u64 {
    let mut buf = [0u8; 8];
    if let Some(tail) = bytes.get(byte..) {
        buf[..tail.len()].copy_from_slice(tail);
    }
    u64::from_le_bytes(buf)
}

/// A mask of the low `width` bits (width <= 64).
///
/// ```
/// assert_eq!(dashlm::format::bits::mask(4), 0xf);
/// ```
#[inline(always)]
pub fn mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

/// Bits needed to represent every value in `0..=max`.
///
/// ```
/// assert_eq!(dashlm::format::bits::bits_for(0), 0);
/// assert_eq!(dashlm::format::bits::bits_for(255), 8);
/// assert_eq!(dashlm::format::bits::bits_for(256), 9);
/// ```
pub fn bits_for(max: u64) -> u32 {
    64 - max.leading_zeros()
}

/// Appends fixed-width fields to a growing bit string.
///
/// ```
/// let mut w = dashlm::format::bits::BitWriter::new();
/// w.push(1, 1);
/// assert_eq!(w.len_bits(), 1);
/// ```
#[derive(Debug, Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    bits: u64,
}

impl BitWriter {
    /// An empty writer.
    ///
    /// ```
    /// let w = dashlm::format::bits::BitWriter::new();
    /// assert_eq!(w.len_bits(), 0);
    /// assert!(w.bytes().is_empty());
    /// ```
    pub fn new() -> BitWriter {
        BitWriter::default()
    }

    /// A writer of `bits` zero bits, to be filled with [`BitWriter::put`].
    ///
    /// ```
    /// let w = dashlm::format::bits::BitWriter::zeroed(12);
    /// assert_eq!(w.len_bits(), 12);
    /// assert_eq!(w.bytes(), &[0, 0]);
    /// ```
    pub fn zeroed(bits: u64) -> BitWriter {
        BitWriter {
            bytes: vec![0; bits.div_ceil(8) as usize],
            bits,
        }
    }

    /// As [`BitWriter::zeroed`], or `None` when the bytes cannot be allocated
    /// (instead of aborting). The allocator's zeroed memory, as `zeroed`'s:
    /// pages are committed as they are written, not all at once.
    ///
    /// ```
    /// use dashlm::format::bits::BitWriter;
    /// assert_eq!(BitWriter::try_zeroed(12).unwrap().bytes(), &[0, 0]);
    /// assert!(BitWriter::try_zeroed(u64::MAX).is_none());
    /// ```
    pub fn try_zeroed(bits: u64) -> Option<BitWriter> {
        let len = usize::try_from(bits.div_ceil(8)).ok()?;
        let bytes = bytemuck::allocation::try_zeroed_vec(len).ok()?;
        Some(BitWriter { bytes, bits })
    }

    /// Number of bits written.
    ///
    /// ```
    /// let mut w = dashlm::format::bits::BitWriter::new();
    /// w.push(3, 2);
    /// w.push(9, 5);
    /// assert_eq!(w.len_bits(), 7);
    /// ```
    pub fn len_bits(&self) -> u64 {
        self.bits
    }

    /// Appends the low `width` bits of `value` (width <= 64; wider counts as
    /// 64, and bits of `value` above `width` are ignored).
    ///
    /// ```
    /// let mut w = dashlm::format::bits::BitWriter::new();
    /// w.push(0b1, 1);
    /// w.push(0b10, 2);
    /// assert_eq!(w.bytes(), &[0b101]);
    /// w.push(0xff, 8); // crosses into a second byte
    /// assert_eq!(w.bytes(), &[0xfd, 0x07]);
    /// w.push(u64::MAX, 64);
    /// assert_eq!(w.len_bits(), 75);
    /// assert_eq!(dashlm::format::bits::read_bits(w.bytes(), 11, 64), u64::MAX);
    /// ```
    pub fn push(&mut self, value: u64, width: u32) {
        let width = width.min(64);
        let pos = self.bits;
        self.bits += u64::from(width);
        self.bytes.resize(self.bits.div_ceil(8) as usize, 0);
        self.put(pos, value, width);
    }

    /// ORs the low `width` bits of `value` in at bit `pos` (which must be zero).
    /// Bits past the written length are not written (as they read as zero),
    /// and `width` is at most 64.
    ///
    /// ```
    /// use dashlm::format::bits::{read_bits, BitWriter};
    /// let mut w = BitWriter::zeroed(16);
    /// w.put(4, 0xab, 8);
    /// assert_eq!(w.bytes(), &[0xb0, 0x0a]);
    /// assert_eq!(read_bits(w.bytes(), 4, 8), 0xab);
    /// w.put(12, 0xff, 8); // only 4 of these bits are inside the 16
    /// w.put(u64::MAX, 1, 1); // none
    /// assert_eq!(w.bytes(), &[0xb0, 0xfa]);
    /// ```
    pub fn put(&mut self, pos: u64, value: u64, width: u32) {
        self.write_bits(pos, value, width, false);
    }

    /// Overwrites the `width` bits at bit `pos` with the low `width` bits of
    /// `value` (width <= 64); as with [`BitWriter::put`], bits past the written
    /// length are not written.
    ///
    /// ```
    /// let mut w = dashlm::format::bits::BitWriter::zeroed(16);
    /// w.put(3, 0b101, 3);
    /// w.set(3, 0b010, 3);
    /// assert_eq!(dashlm::format::bits::read_bits(w.bytes(), 3, 3), 0b010);
    /// ```
    pub fn set(&mut self, pos: u64, value: u64, width: u32) {
        self.write_bits(pos, value, width, true);
    }

    /// Writes `value` at bit `pos`, clearing the bits first when `overwrite`
    /// (else ORing them in: they are zero). Bits past the end are dropped.
    #[inline(always)]
    fn write_bits(&mut self, pos: u64, value: u64, width: u32, overwrite: bool) {
        if width > 57 {
            // Two writes, so that a field shifted into place fits in 64 bits.
            self.write_bits(pos, value & mask(32), 32, overwrite);
            let high = (value >> 32) & mask(width.min(64) - 32);
            self.write_bits(pos.saturating_add(32), high, width.min(64) - 32, overwrite);
            return;
        }
        let value = value & mask(width);
        // The bits of each byte to keep: all of them when ORing in.
        let mut keep = if overwrite {
            !(mask(width) << (pos & 7))
        } else {
            u64::MAX
        };
        let mut v = value << (pos & 7);
        let mut byte = usize::try_from(pos >> 3).unwrap_or(usize::MAX);
        let end = usize::try_from(pos.saturating_add(u64::from(width)).div_ceil(8))
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while byte < end {
            self.bytes[byte] = (self.bytes[byte] & keep as u8) | v as u8;
            v >>= 8;
            keep = (keep >> 8) | (0xff << 56);
            byte += 1;
        }
    }

    /// The bytes written so far, the last one zero-padded.
    ///
    /// ```
    /// let mut w = dashlm::format::bits::BitWriter::new();
    /// w.push(0x1ff, 9);
    /// assert_eq!(w.bytes(), &[0xff, 0x01]);
    /// ```
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes, the last one zero-padded.
    ///
    /// ```
    /// let mut w = dashlm::format::bits::BitWriter::new();
    /// w.push(0b101, 3);
    /// assert_eq!(w.finish(), vec![0b101]);
    /// ```
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}
