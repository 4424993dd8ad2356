//! Segmented codebooks: a quantized order's codebook of more than 256 values,
//! stored as evenly spaced values within up to 256 segments, so that a code
//! decodes by arithmetic on one of at most 256 pairs (2 KiB) instead of a
//! read from a table of up to 2^16 values (256 KiB, which a query on a large
//! model finds in the L3 cache, or not at all, after its arc).
//!
//! A segmented codebook section holds `S` (1 to [`MAX_SEGMENTS`]) segments of
//! 8 bytes: `base f32, step f32`, little-endian. Code `c` is segment
//! `c >> SEGMENT_BITS` and level `c & 255` in it; it decodes as
//! [`value`]`(base, step, level)` = `base + level as f32 * step`, in f32
//! arithmetic, which the builder and the reader compute alike. So a segmented
//! codebook stands for the `S * 256` values of its codes, which the builder
//! keeps sorted (each step at least 0, each segment's last value at most the
//! next segment's base). A code of a segment past `S` (corruption) decodes
//! as 0. Which books are segmented is in each order's [`RawLayout`]
//! (`prob_segmented`, `backoff_segmented`).
//!
//! ```
//! use dashlm::format::segmented::{segments, value, SEGMENT_BITS};
//! let section: Vec<u8> = [[-3.0f32, 0.25], [-1.0, 0.0]]
//!     .iter()
//!     .flatten()
//!     .flat_map(|v| v.to_le_bytes())
//!     .collect();
//! let table = segments(&section);
//! let decode = |code: u32| {
//!     let [base, step] = table[(code >> SEGMENT_BITS) as usize];
//!     value(base, step, code)
//! };
//! assert_eq!(decode(4), -2.0); // segment 0, level 4
//! assert_eq!(decode(256 + 9), -1.0); // segment 1: one value
//! assert_eq!(decode(512), 0.0); // no segment 2: zeros
//! ```
//!
//! [`RawLayout`]: super::RawLayout

/// Bits of a code that pick the level inside its segment.
///
/// ```
/// assert_eq!(dashlm::format::segmented::LEVELS, 1 << dashlm::format::segmented::SEGMENT_BITS);
/// ```
pub const SEGMENT_BITS: u32 = 8;

/// Levels per segment.
///
/// ```
/// assert_eq!(dashlm::format::segmented::LEVELS, 256);
/// ```
pub const LEVELS: usize = 1 << SEGMENT_BITS;

/// The most segments a codebook has: codes of at most 16 bits.
///
/// ```
/// assert_eq!(dashlm::format::segmented::MAX_SEGMENTS, 256);
/// ```
pub const MAX_SEGMENTS: usize = 1 << (16 - SEGMENT_BITS);

/// Bytes a segment takes in its section.
///
/// ```
/// assert_eq!(dashlm::format::segmented::SEGMENT_BYTES, 8);
/// ```
pub const SEGMENT_BYTES: usize = 8;

/// The value of level `level` of the segment `(base, step)`.
///
/// ```
/// use dashlm::format::segmented::value;
/// assert_eq!(value(-2.0, 0.5, 3), -0.5);
/// // A step of -0.0 keeps every level equal to the base, -0.0 included.
/// assert!(value(-0.0, -0.0, 7).is_sign_negative());
/// assert_eq!(value(f32::NEG_INFINITY, -0.0, 255), f32::NEG_INFINITY);
/// ```
#[inline(always)]
pub fn value(base: f32, step: f32, level: u32) -> f32 {
    base + (level & (LEVELS as u32 - 1)) as f32 * step
}

/// The segments of a segmented codebook section (`(base, step)` pairs; a
/// trailing partial segment is left out), copied into a table of
/// [`MAX_SEGMENTS`] padded with zeros, so that any code below 2^16 decodes
/// with one read and no check.
///
/// ```
/// use dashlm::format::segmented::segments;
/// let bytes: Vec<u8> = [-3.0f32, 0.25].iter().flat_map(|v| v.to_le_bytes()).collect();
/// let table = segments(&bytes);
/// assert_eq!((table[0], table[1]), ([-3.0, 0.25], [0.0, 0.0]));
/// ```
pub fn segments(section: &[u8]) -> Box<[[f32; 2]; MAX_SEGMENTS]> {
    let mut table = Box::new([[0.0f32; 2]; MAX_SEGMENTS]);
    for (segment, bytes) in table.iter_mut().zip(section.chunks_exact(SEGMENT_BYTES)) {
        for (field, b) in segment.iter_mut().zip(bytes.chunks_exact(4)) {
            *field = f32::from_le_bytes(b.try_into().expect("4 bytes"));
        }
    }
    table
}
