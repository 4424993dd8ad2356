//! The header and section-table entries: the format's constants and the
//! types they decode to (the checked parse of a whole file is in `sections`).

use std::ops::Range;

use bytemuck::{Pod, Zeroable};

use crate::MAX_ORDER;

/// The first 8 bytes of every compiled model.
///
/// ```
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
/// # let mut bytes = Vec::new();
/// # f.write_to(&mut bytes).unwrap();
/// assert_eq!(bytes[..8], dashlm::format::MAGIC);
/// assert_eq!(&dashlm::format::MAGIC[..6], b"DASHLM");
/// ```
pub const MAGIC: [u8; 8] = *b"DASHLM\x00\x1a";
/// The format version this build writes, and the only one it reads (older
/// files must be rebuilt with `build-lm`).
///
/// Version 9 may store a run-offset table's offsets less a base per block of
/// 32 slots (see [`crate::format::table`]; the shared 4-gram's q8 tables take
/// 5 bits an offset instead of 7). Version 8 may store a q16 order's codebooks as segments of evenly spaced
/// values (see [`crate::format::segmented`]), flagged in the order's
/// [`RawLayout`]. Version 7 stored the vocabulary's offsets as an Elias-Fano sequence (see
/// [`crate::format::vocab`]), about 5.3 bits a word on the shared 4-gram
/// instead of version 6's 21-bit fields; version 6 stored the vocabulary
/// index as the word ids bucket by bucket
/// (see [`crate::format::vocab`]), about 20 bits a word on the shared 4-gram
/// instead of version 5's 40-bit open-addressing slots; version 5 stored each
/// quantized weight in the fewest bits that index its order's codebook, and
/// unigrams and f32 weights as codes into exact codebooks where that is
/// smaller.
///
/// ```
/// use dashlm::format::{parse, VERSION};
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
/// # let mut bytes = Vec::new();
/// # f.write_to(&mut bytes).unwrap();
/// // Bytes 10..12 of a file, little-endian.
/// assert_eq!(u16::from_le_bytes([bytes[10], bytes[11]]), VERSION);
/// assert_eq!(VERSION, 9);
/// // Version 8 in its header is refused (before the header checksum is
/// // checked).
/// bytes[10..12].copy_from_slice(&8u16.to_le_bytes());
/// let err = parse(&bytes).unwrap_err().to_string();
/// assert!(err.contains("format version 8") && err.contains("reads version 9 files"), "{err}");
/// ```
pub const VERSION: u16 = 9;
/// Bytes in the fixed header.
///
/// ```
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
/// # let mut bytes = Vec::new();
/// # f.write_to(&mut bytes).unwrap();
/// use dashlm::format::{parse, HEADER_LEN, SECTION_ENTRY_LEN};
/// let (_, sections) = parse(&bytes).unwrap();
/// // The section table follows the header; the first section follows the table.
/// let first = sections.iter().map(|e| e.offset).min().unwrap();
/// assert_eq!(HEADER_LEN, 128);
/// assert_eq!(first as usize, HEADER_LEN + sections.iter().count() * SECTION_ENTRY_LEN);
/// ```
pub const HEADER_LEN: usize = 128;
/// Bytes per section table entry.
///
/// ```
/// use dashlm::format::{FileWriter, Header, SectionKind, WeightFormat, HEADER_LEN, SECTION_ENTRY_LEN};
/// # let header = Header { order: 1, weights: WeightFormat::F32, vocab_size: 1, bos: 0, eos: 0,
/// #     counts: [1, 0, 0, 0, 0, 0, 0, 0] };
/// let mut f = FileWriter::new(header);
/// f.add(SectionKind::VocabBytes, 0, b"<unk>".to_vec());
/// let mut bytes = Vec::new();
/// f.write_to(&mut bytes).unwrap();
/// // The header, one section table entry, then the section's bytes.
/// assert_eq!(SECTION_ENTRY_LEN, 32);
/// assert_eq!(&bytes[HEADER_LEN + SECTION_ENTRY_LEN..], b"<unk>");
/// ```
pub const SECTION_ENTRY_LEN: usize = 32;
pub(super) const CRC_AT: usize = 124;
/// Sections a file may have at most (bounds the work done on hostile headers).
pub(super) const MAX_SECTIONS: u32 = 64;

/// How weights of orders >= 2 are stored.
///
/// ```
/// use dashlm::format::WeightFormat;
/// assert_eq!(WeightFormat::from_name("q8"), Some(WeightFormat::Q8));
/// assert_eq!(WeightFormat::Q16.bits(), 16);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightFormat {
    /// Lossless 32-bit floats (raw, or codes into exact codebooks where
    /// that is smaller).
    F32,
    /// Codebook indices of at most 16 bits (per-order codebooks of up to
    /// 2^16 values; each order's codes are as wide as its codebook needs).
    Q16,
    /// Codebook indices of at most 8 bits (per-order codebooks of up to 256
    /// values; each order's codes are as wide as its codebook needs), but
    /// 12-bit codes for a unigram field that takes too many distinct values
    /// for an exact codebook (see `build::ClassBook`).
    Q8,
}

impl WeightFormat {
    /// Parses `f32`, `q16` or `q8`.
    ///
    /// ```
    /// use dashlm::format::WeightFormat;
    /// assert_eq!(WeightFormat::from_name("q16"), Some(WeightFormat::Q16));
    /// assert_eq!(WeightFormat::from_name("F32"), None); // names are lowercase
    /// ```
    pub fn from_name(name: &str) -> Option<WeightFormat> {
        match name {
            "f32" => Some(WeightFormat::F32),
            "q16" => Some(WeightFormat::Q16),
            "q8" => Some(WeightFormat::Q8),
            _ => None,
        }
    }

    /// The name accepted by [`WeightFormat::from_name`].
    ///
    /// ```
    /// use dashlm::format::WeightFormat;
    /// assert_eq!(WeightFormat::Q8.name(), "q8");
    /// for w in [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8] {
    ///     assert_eq!(WeightFormat::from_name(w.name()), Some(w));
    /// }
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            WeightFormat::F32 => "f32",
            WeightFormat::Q16 => "q16",
            WeightFormat::Q8 => "q8",
        }
    }

    /// Bits per stored weight: 32 for f32; for q16 and q8 the widest a code
    /// may be (a codebook holds at most `2^bits` values, and each order's codes
    /// take the fewest bits that index its codebook, often fewer).
    ///
    /// ```
    /// use dashlm::format::WeightFormat;
    /// assert_eq!(WeightFormat::F32.bits(), 32);
    /// assert_eq!(WeightFormat::Q8.bits(), 8);
    /// ```
    pub fn bits(self) -> u32 {
        match self {
            WeightFormat::F32 => 32,
            WeightFormat::Q16 => 16,
            WeightFormat::Q8 => 8,
        }
    }

    pub(super) fn code(self) -> u8 {
        self as u8
    }

    pub(super) fn from_code(code: u8) -> Option<WeightFormat> {
        [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8]
            .get(code as usize)
            .copied()
    }
}

/// What a section holds.
///
/// ```
/// assert_eq!(dashlm::format::SectionKind::Table.name(), "table");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SectionKind {
    /// The `V+1` offsets into the word bytes, as an Elias-Fano sequence (see
    /// the [module](crate::format) docs).
    VocabOffsets = 1,
    /// Concatenated word bytes.
    VocabBytes = 2,
    /// Hash index of word ids.
    VocabIndex = 3,
    /// Per word, its stored probability then its stored backoff, bit-packed:
    /// raw f32 bits or codes into the order-1 codebooks (see the
    /// [module](crate::format) docs).
    Unigrams = 4,
    /// One [`RawLayout`] per order >= 2.
    Layouts = 5,
    /// The bit-packed arcs of one order.
    Table = 6,
    /// Probability codebook of one order (empty where raw f32).
    ProbCodebook = 7,
    /// Backoff codebook of one order (empty where raw f32).
    BackoffCodebook = 8,
}

impl SectionKind {
    pub(super) fn from_code(code: u16) -> Option<SectionKind> {
        use SectionKind::*;
        [
            VocabOffsets,
            VocabBytes,
            VocabIndex,
            Unigrams,
            Layouts,
            Table,
            ProbCodebook,
            BackoffCodebook,
        ]
        .into_iter()
        .find(|k| *k as u16 == code)
    }

    /// A short lowercase name, as `dashlm inspect` prints it.
    ///
    /// ```
    /// use dashlm::format::SectionKind;
    /// assert_eq!(SectionKind::VocabIndex.name(), "vocab-index");
    /// assert_eq!(SectionKind::ProbCodebook.name(), "prob-codebook");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::VocabOffsets => "vocab-offsets",
            SectionKind::VocabBytes => "vocab-bytes",
            SectionKind::VocabIndex => "vocab-index",
            SectionKind::Unigrams => "unigrams",
            SectionKind::Layouts => "layouts",
            SectionKind::Table => "table",
            SectionKind::ProbCodebook => "prob-codebook",
            SectionKind::BackoffCodebook => "backoff-codebook",
        }
    }
}

/// The decoded fixed header.
///
/// ```
/// # let h = dashlm::format::Header { order: 3, weights: dashlm::format::WeightFormat::F32,
/// #   vocab_size: 10, bos: 1, eos: 2, counts: [10, 5, 2, 0, 0, 0, 0, 0] };
/// assert_eq!(h.total_ngrams(), 17);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Model order.
    pub order: u8,
    /// Weight storage.
    pub weights: WeightFormat,
    /// Number of word ids.
    pub vocab_size: u32,
    /// Id of `<s>`.
    pub bos: u32,
    /// Id of `</s>`.
    pub eos: u32,
    /// n-gram counts per order (index 0 = unigrams), blanks included.
    pub counts: [u64; MAX_ORDER],
}

impl Header {
    /// Sum of the counts.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new();
    /// # f.write_to(&mut bytes).unwrap();
    /// let (header, _) = dashlm::format::parse(&bytes).unwrap();
    /// // data/tiny.arpa has 8 unigrams, 7 bigrams and 4 trigrams.
    /// assert_eq!(header.counts[..3], [8, 7, 4]);
    /// assert_eq!(header.total_ngrams(), 19);
    /// ```
    ///
    /// Saturates at `u64::MAX` (a header built by hand may hold any counts;
    /// a parsed one cannot get there).
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new();
    /// # f.write_to(&mut bytes).unwrap();
    /// let (mut header, _) = dashlm::format::parse(&bytes).unwrap();
    /// header.counts = [u64::MAX; dashlm::MAX_ORDER];
    /// assert_eq!(header.total_ngrams(), u64::MAX);
    /// ```
    pub fn total_ngrams(&self) -> u64 {
        self.counts
            .iter()
            .fold(0u64, |sum, &c| sum.saturating_add(c))
    }
}

/// One section table entry.
///
/// ```
/// # use dashlm::format::{SectionEntry, SectionKind};
/// let e = SectionEntry { kind: SectionKind::Unigrams, order: 1, offset: 160, len: 80, crc: 0 };
/// assert_eq!(e.range(), 160..240);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionEntry {
    /// What it holds.
    pub kind: SectionKind,
    /// The order it belongs to (0 for vocabulary sections).
    pub order: u16,
    /// Byte offset in the file.
    pub offset: u64,
    /// Byte length.
    pub len: u64,
    /// CRC-32 of its bytes.
    pub crc: u32,
}

impl SectionEntry {
    /// `"<kind> section (order <n>)"`, for messages.
    pub(super) fn describe(&self) -> String {
        format!("{} section (order {})", self.kind.name(), self.order)
    }

    /// The byte range (already checked to lie in the file by [`parse`](super::parse)).
    /// For an entry built by hand whose end would pass `usize::MAX`, the end
    /// saturates there (so `bytes.get(entry.range())` is `None`, not a panic).
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new();
    /// # f.write_to(&mut bytes).unwrap();
    /// use dashlm::format::{parse, SectionKind};
    /// let (_, sections) = parse(&bytes).unwrap();
    /// let unigrams = sections.require(SectionKind::Unigrams, 1).unwrap();
    /// // 8 words of 64 bits each (f32 files: raw probability and backoff).
    /// assert_eq!(bytes[unigrams.range()].len(), 64);
    /// let bogus = dashlm::format::SectionEntry { offset: u64::MAX, len: 8, ..*unigrams };
    /// assert_eq!(bogus.range().end, usize::MAX);
    /// assert!(bytes.get(bogus.range()).is_none());
    /// ```
    pub fn range(&self) -> Range<usize> {
        let at = |x: u64| usize::try_from(x).unwrap_or(usize::MAX);
        at(self.offset)..at(self.offset.saturating_add(self.len))
    }
}

/// The layout of one order's arc table (32 bytes on disk, order >= 2).
///
/// Each slot is `entry_bits` wide: `hashed key | prob | node flag | left flag |
/// backoff` with the widths below (flags and backoff are absent at the highest order).
/// See [`crate::format::table`].
///
/// | bytes | field |
/// |---|---|
/// | 0..8 | `num_homes` |
/// | 8..16 | `num_slots` |
/// | 16..20 | `entry_bits` |
/// | 20, 21, 22 | `ctx_bits`, `word_bits`, `prob_bits` |
/// | 23 | `has_nodes` |
/// | 24, 25 | `backoff_bits`, `disp_bits` |
/// | 26 | `runs` (0 scanned, 1 run offsets, 2 grouped) |
/// | 27, 28 | `prob_segmented`, `backoff_segmented` (0 or 1) |
/// | 29 | `base_bits`: 0, or in a run-offset table with block bases the width of each base (1..=28; see [`crate::format::table`]) |
/// | 30..32 | reserved, zero (checked at open) |
///
/// ```
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
/// # let mut bytes = Vec::new();
/// # f.write_to(&mut bytes).unwrap();
/// use dashlm::format::{parse, RawLayout, SectionKind};
/// let (header, sections) = parse(&bytes).unwrap();
/// let layouts = sections.require(SectionKind::Layouts, 0).unwrap();
/// // One 32-byte layout per order 2..=N.
/// assert_eq!(std::mem::size_of::<RawLayout>(), 32);
/// assert_eq!(layouts.len, 32 * (u64::from(header.order) - 1));
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct RawLayout {
    /// Number of home positions (hash range).
    pub num_homes: u64,
    /// Number of slots (>= homes: entries spill past the last home).
    pub num_slots: u64,
    /// Total bits per slot.
    pub entry_bits: u32,
    /// Bits of the context state id.
    pub ctx_bits: u8,
    /// Bits of the word id.
    pub word_bits: u8,
    /// Bits of the probability (32 = raw f32, else a codebook index: the
    /// fewest bits that index the order's codebook, 1 to 16).
    pub prob_bits: u8,
    /// 1 if slots carry node and left flags and a backoff (orders below N), else 0.
    pub has_nodes: u8,
    /// Bits of the backoff (32 = raw f32, else a codebook index: the fewest
    /// bits that index the order's backoff codebook, 1 to 16; 0 at order N).
    pub backoff_bits: u8,
    /// Bits of a slot's displacement from its home, or of its run offset
    /// (1..=32; see [`crate::format::table`]); 0 in a grouped table.
    pub disp_bits: u8,
    /// 1 if the slots store run offsets, 0 if displacements (scanned), 2 if
    /// the table is grouped (the highest order only; see
    /// [`crate::format::grouped`]).
    pub runs: u8,
    /// 1 if the probability codebook is segmented (see
    /// [`crate::format::segmented`]), else 0.
    pub prob_segmented: u8,
    /// 1 if the backoff codebook is segmented, else 0.
    pub backoff_segmented: u8,
    /// 0, or in a run-offset table whose offset fields are stored less their
    /// block's base (see [`crate::format::table`]), the bits of each base
    /// (1..=[`crate::format::table::MAX_BASE_BITS`]).
    pub base_bits: u8,
    /// Reserved, zero.
    pub reserved: [u8; 2],
}

impl RawLayout {
    /// This layout with run offsets (`runs`) or displacements.
    ///
    /// ```
    /// let raw = dashlm::format::RawLayout::default().with_runs(true);
    /// assert_eq!(raw.runs, 1);
    /// ```
    pub fn with_runs(self, runs: bool) -> RawLayout {
        RawLayout {
            runs: u8::from(runs),
            ..self
        }
    }

    /// This run-offset layout with block bases of `base_bits` and offset
    /// fields as wide as `max_stored`, the largest offset field stored less
    /// its base, needs (see [`crate::format::table`]); `base_bits` 0 keeps
    /// the layout as it is.
    ///
    /// ```
    /// use dashlm::format::table::Widths;
    /// let raw = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 }
    ///     .layout(100, 120, 40)
    ///     .with_runs(true);
    /// assert_eq!((raw.disp_bits, raw.entry_bits), (6, 6 + 14 + 8));
    /// // Fields stored less a 5-bit base, at most 3 each: 2 bits instead of 6.
    /// let based = raw.with_bases(5, 3);
    /// assert_eq!((based.base_bits, based.disp_bits, based.entry_bits), (5, 2, 2 + 14 + 8));
    /// assert_eq!(raw.with_bases(0, 3), raw);
    /// ```
    pub fn with_bases(self, base_bits: u32, max_stored: u64) -> RawLayout {
        if base_bits == 0 {
            return self;
        }
        let disp_bits = super::bits::bits_for(max_stored).max(1);
        RawLayout {
            base_bits: u8::try_from(base_bits).unwrap_or(u8::MAX),
            disp_bits: u8::try_from(disp_bits).unwrap_or(u8::MAX),
            entry_bits: (self.entry_bits + disp_bits).saturating_sub(u32::from(self.disp_bits)),
            ..self
        }
    }
}
