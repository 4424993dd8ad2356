//! How a field's stored codes become weights: raw f32 bits, a small or
//! segmented codebook copied at open, or a larger exact codebook read where it
//! lies in the file.

use crate::format::segmented;

/// The decoder of one field (a table's or the unigrams' probabilities or
/// backoffs).
///
/// A query decodes up to about four weights, so the decoder is laid out for
/// few instructions: two flags checked in a fixed order (a `match` on an enum
/// of kinds compiled to a jump table, about 7 instructions a weight, and
/// measured with the rest of the query's changes in `benches/RESULTS.md`),
/// then one formula for both kinds of copied codebook. A codebook of at most
/// 256 values is stored as the pairs `[value, -0.0]` (so `value + -0.0 * 0`
/// is `value`, `-0.0` included), a segmented one as its segments `[base,
/// step]` ([`crate::format::segmented`]); code `c` decodes as `base + step *
/// (c & low)` of pair `(c >> shift) & 255`. Opening copies at most 2 KiB a
/// field whatever the model; a codebook of more than 256 values that is not
/// segmented is read in place.
#[derive(Clone, Debug)]
pub(super) struct Decoder {
    /// Codes are raw f32 bits.
    raw: bool,
    /// Codes index `len` little-endian f32 values from byte `start` of the
    /// file (`len > 0`).
    in_place: bool,
    start: usize,
    len: usize,
    /// Otherwise: the pairs, zero-padded, and the code's shift and low mask.
    pairs: Box<[[f32; 2]; segmented::MAX_SEGMENTS]>,
    shift: u32,
    low: u32,
}

impl Default for Decoder {
    /// The decoder of raw f32 bits.
    fn default() -> Decoder {
        Decoder::raw()
    }
}

impl Decoder {
    /// Raw f32 bits.
    pub(super) fn raw() -> Decoder {
        Decoder {
            raw: true,
            in_place: false,
            start: 0,
            len: 0,
            pairs: Box::new([[0.0; 2]; segmented::MAX_SEGMENTS]),
            shift: 0,
            low: 0,
        }
    }

    /// A segmented codebook's segments (zero-padded), codes of up to 16 bits.
    pub(super) fn segmented(segments: Box<[[f32; 2]; segmented::MAX_SEGMENTS]>) -> Decoder {
        Decoder {
            raw: false,
            pairs: segments,
            shift: segmented::SEGMENT_BITS,
            low: segmented::LEVELS as u32 - 1,
            ..Decoder::raw()
        }
    }

    /// The exact codebook in `section` of `file` (checked at open to be a
    /// whole number of f32 values inside the file).
    pub(super) fn exact(file: &[u8], section: std::ops::Range<usize>) -> Decoder {
        let len = section.len() / 4;
        if len > segmented::MAX_SEGMENTS {
            return Decoder {
                raw: false,
                in_place: true,
                start: section.start,
                len,
                ..Decoder::raw()
            };
        }
        let mut pairs = Box::new([[0.0, -0.0]; segmented::MAX_SEGMENTS]);
        for (pair, b) in pairs.iter_mut().zip(file[section].chunks_exact(4)) {
            pair[0] = f32::from_le_bytes(b.try_into().expect("4 bytes"));
        }
        Decoder {
            raw: false,
            pairs,
            ..Decoder::raw()
        }
    }

    /// Whether codes are raw f32 bits.
    pub(super) fn is_raw(&self) -> bool {
        self.raw
    }

    /// The weight with code `code`; `file` holds a codebook read in place. A
    /// code past a codebook's end (corruption) decodes as a wrong number.
    #[inline(always)]
    pub(super) fn decode(&self, file: &[u8], code: u32) -> f32 {
        if self.raw {
            return f32::from_bits(code);
        }
        if self.in_place {
            return self.in_file(file, code);
        }
        // The mask lets the compiler drop the index check. The formula is
        // `segmented::value`'s without its second mask (calling it cost 3 to 6
        // instructions a query on q16 and q8); a test checks they agree.
        let [base, step] = self.pairs[((code >> self.shift) & 255) as usize];
        base + step * (code & self.low) as f32
    }

    /// Code `code` of a codebook read in place (0.0 past its end).
    #[inline(always)]
    fn in_file(&self, file: &[u8], code: u32) -> f32 {
        let i = code as usize;
        let at = self.start.wrapping_add(4 * i);
        match file.get(at..at.wrapping_add(4)) {
            Some(b) if i < self.len => f32::from_le_bytes(b.try_into().expect("4 bytes")),
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn raw_bits_pass_through() {
        let d = Decoder::raw();
        assert_eq!(d.decode(&[], (-1.25f32).to_bits()), -1.25);
        assert_eq!(
            d.decode(&[], (-0.0f32).to_bits()).to_bits(),
            (-0.0f32).to_bits()
        );
    }

    #[test]
    fn small_codebooks_keep_every_value_and_sign() {
        let values = [-0.0, 0.0, f32::NEG_INFINITY, -3.5, 7.25];
        let file = le(&values);
        let d = Decoder::exact(&file, 0..file.len());
        for (code, v) in values.iter().enumerate() {
            assert_eq!(
                d.decode(&file, code as u32).to_bits(),
                v.to_bits(),
                "code {code}"
            );
        }
        // Past the end: the zero padding.
        assert_eq!(d.decode(&file, 200), 0.0);
    }

    #[test]
    fn large_codebooks_are_read_in_place() {
        let values: Vec<f32> = (0..300).map(|i| i as f32 * -0.5).collect();
        let mut file = vec![0xAA; 12];
        file.extend(le(&values));
        let d = Decoder::exact(&file, 12..file.len());
        assert_eq!(d.decode(&file, 0), 0.0);
        assert_eq!(d.decode(&file, 299), -149.5);
        assert_eq!(d.decode(&file, 300), 0.0); // past the end
        assert_eq!(d.decode(&file[..20], 299), 0.0); // the file cut short
    }

    #[test]
    fn segmented_codebooks_decode_as_the_format_says() {
        let mut segments = Box::new([[0.0f32; 2]; segmented::MAX_SEGMENTS]);
        segments[0] = [-5.0, 0.0625];
        segments[3] = [f32::NEG_INFINITY, -0.0];
        let d = Decoder::segmented(segments.clone());
        for code in [0u32, 1, 17, 255, 3 << 8, (3 << 8) | 9, 65535] {
            let [base, step] = segments[(code >> 8) as usize];
            let want = segmented::value(base, step, code);
            assert_eq!(d.decode(&[], code).to_bits(), want.to_bits(), "code {code}");
        }
    }
}
