//! Header, section table, and the checked parse of a whole file's structure.

use std::ops::Range;

use bytemuck::{Pod, Zeroable};

use super::error::FormatError;
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
/// The format version this build reads and writes.
///
/// ```
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
/// # let mut bytes = Vec::new();
/// # f.write_to(&mut bytes).unwrap();
/// // Bytes 10..12 of a file, little-endian.
/// assert_eq!(u16::from_le_bytes([bytes[10], bytes[11]]), dashlm::format::VERSION);
/// assert_eq!(dashlm::format::VERSION, 4);
/// ```
pub const VERSION: u16 = 4;
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
/// use dashlm::format::{FileWriter, Header, SectionKind, Weights, HEADER_LEN, SECTION_ENTRY_LEN};
/// # let header = Header { order: 1, weights: Weights::F32, vocab_size: 1, bos: 0, eos: 0,
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
const MAX_SECTIONS: u32 = 64;

/// How weights of orders >= 2 are stored.
///
/// ```
/// use dashlm::format::Weights;
/// assert_eq!(Weights::from_name("q8"), Some(Weights::Q8));
/// assert_eq!(Weights::Q16.bits(), 16);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weights {
    /// Lossless 32-bit floats.
    F32,
    /// 16-bit codebook indices (per-order codebooks).
    Q16,
    /// 8-bit codebook indices (per-order codebooks).
    Q8,
}

impl Weights {
    /// Parses `f32`, `q16` or `q8`.
    ///
    /// ```
    /// use dashlm::format::Weights;
    /// assert_eq!(Weights::from_name("q16"), Some(Weights::Q16));
    /// assert_eq!(Weights::from_name("F32"), None); // names are lowercase
    /// ```
    pub fn from_name(name: &str) -> Option<Weights> {
        match name {
            "f32" => Some(Weights::F32),
            "q16" => Some(Weights::Q16),
            "q8" => Some(Weights::Q8),
            _ => None,
        }
    }

    /// The name accepted by [`Weights::from_name`].
    ///
    /// ```
    /// use dashlm::format::Weights;
    /// assert_eq!(Weights::Q8.name(), "q8");
    /// for w in [Weights::F32, Weights::Q16, Weights::Q8] {
    ///     assert_eq!(Weights::from_name(w.name()), Some(w));
    /// }
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Weights::F32 => "f32",
            Weights::Q16 => "q16",
            Weights::Q8 => "q8",
        }
    }

    /// Bits per stored weight.
    ///
    /// ```
    /// use dashlm::format::Weights;
    /// assert_eq!(Weights::F32.bits(), 32);
    /// assert_eq!(Weights::Q8.bits(), 8);
    /// ```
    pub fn bits(self) -> u32 {
        match self {
            Weights::F32 => 32,
            Weights::Q16 => 16,
            Weights::Q8 => 8,
        }
    }

    pub(super) fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: u8) -> Option<Weights> {
        [Weights::F32, Weights::Q16, Weights::Q8]
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
    /// `V+1` u64 offsets into the word bytes.
    VocabOffsets = 1,
    /// Concatenated word bytes.
    VocabBytes = 2,
    /// Hash index of word ids.
    VocabIndex = 3,
    /// `[prob, backoff]` f32 pairs per word.
    Unigrams = 4,
    /// One [`RawLayout`] per order >= 2.
    Layouts = 5,
    /// The bit-packed arcs of one order.
    Table = 6,
    /// Probability codebook of one order (quantized files).
    ProbCodebook = 7,
    /// Backoff codebook of one order (quantized files).
    BackoffCodebook = 8,
}

impl SectionKind {
    fn from_code(code: u16) -> Option<SectionKind> {
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
/// # let h = dashlm::format::Header { order: 3, weights: dashlm::format::Weights::F32,
/// #   vocab_size: 10, bos: 1, eos: 2, counts: [10, 5, 2, 0, 0, 0, 0, 0] };
/// assert_eq!(h.total_ngrams(), 17);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Model order.
    pub order: u8,
    /// Weight storage.
    pub weights: Weights,
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
    pub fn total_ngrams(&self) -> u64 {
        self.counts.iter().sum()
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
    fn describe(&self) -> String {
        format!("{} section (order {})", self.kind.name(), self.order)
    }

    /// The byte range (already checked to lie in the file by [`parse`]).
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new();
    /// # f.write_to(&mut bytes).unwrap();
    /// use dashlm::format::{parse, SectionKind};
    /// let (_, sections) = parse(&bytes).unwrap();
    /// let unigrams = sections.require(SectionKind::Unigrams, 1).unwrap();
    /// // 8 words, each a `[prob f32, backoff f32]` pair.
    /// assert_eq!(bytes[unigrams.range()].len(), 8 * 8);
    /// ```
    pub fn range(&self) -> Range<usize> {
        self.offset as usize..(self.offset + self.len) as usize
    }
}

/// The layout of one order's arc table (32 bytes on disk, order >= 2).
///
/// Each slot is `entry_bits` wide: `hashed key | prob | node flag | left flag |
/// backoff` with the widths below (flags and backoff are absent at the highest order).
/// See [`crate::format::table`].
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
    /// Bits of the probability (32 = raw f32, else codebook index).
    pub prob_bits: u8,
    /// 1 if slots carry node and left flags and a backoff (orders below N), else 0.
    pub has_nodes: u8,
    /// Bits of the backoff (32 = raw f32, else codebook index; 0 at order N).
    pub backoff_bits: u8,
    /// Bits of a slot's displacement from its home, or of its run offset
    /// (1..=32; see [`crate::format::table`]).
    pub disp_bits: u8,
    /// 1 if the slots store run offsets, 0 if displacements (scanned).
    pub runs: u8,
    /// Reserved, zero.
    pub reserved: [u8; 5],
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
}

/// All section entries of a parsed file.
///
/// ```
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
/// # let mut bytes = Vec::new();
/// # f.write_to(&mut bytes).unwrap();
/// use dashlm::format::SectionKind;
/// let (_, sections) = dashlm::format::parse(&bytes).unwrap();
/// assert!(sections.get(SectionKind::Table, 3).is_some());
/// assert!(sections.iter().all(|e| e.offset % 8 == 0));
/// ```
#[derive(Clone, Debug)]
pub struct Sections {
    entries: Vec<SectionEntry>,
}

impl Sections {
    /// The section of `kind` and `order`, if present.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new();
    /// # f.write_to(&mut bytes).unwrap();
    /// use dashlm::format::SectionKind;
    /// let (_, sections) = dashlm::format::parse(&bytes).unwrap();
    /// assert_eq!(sections.get(SectionKind::Table, 2).unwrap().order, 2);
    /// // A trigram model has no order 4; f32 weights have no codebooks.
    /// assert!(sections.get(SectionKind::Table, 4).is_none());
    /// assert!(sections.get(SectionKind::ProbCodebook, 2).is_none());
    /// ```
    pub fn get(&self, kind: SectionKind, order: u16) -> Option<&SectionEntry> {
        self.entries
            .iter()
            .find(|e| e.kind == kind && e.order == order)
    }

    /// The required section of `kind` and `order`.
    ///
    /// # Errors
    /// [`FormatError::MissingSection`] when absent.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new();
    /// # f.write_to(&mut bytes).unwrap();
    /// use dashlm::format::SectionKind;
    /// let (_, sections) = dashlm::format::parse(&bytes).unwrap();
    /// assert_eq!(sections.require(SectionKind::Unigrams, 1).unwrap().kind, SectionKind::Unigrams);
    /// let err = sections.require(SectionKind::ProbCodebook, 2).unwrap_err();
    /// assert_eq!(err.to_string(), "missing prob-codebook section for order 2");
    /// ```
    pub fn require(&self, kind: SectionKind, order: u16) -> Result<&SectionEntry, FormatError> {
        self.get(kind, order).ok_or(FormatError::MissingSection {
            kind: kind.name(),
            order,
        })
    }

    /// All entries, in table order.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new();
    /// # f.write_to(&mut bytes).unwrap();
    /// use dashlm::format::SectionKind;
    /// let (_, sections) = dashlm::format::parse(&bytes).unwrap();
    /// let tables: Vec<u16> = sections
    ///     .iter()
    ///     .filter(|e| e.kind == SectionKind::Table)
    ///     .map(|e| e.order)
    ///     .collect();
    /// assert_eq!(tables, [2, 3]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &SectionEntry> {
        self.entries.iter()
    }

    /// Checks that the sections follow one another as the writer lays them
    /// out: the first right after the section table, each next one where the
    /// one before ends rounded up to 8, the gaps zero, nothing after the last.
    /// So every byte of the file is covered by the header checksum, a section
    /// checksum, or this check. [`Model::from_bytes`](crate::Model::from_bytes)
    /// makes it after checking each section's length (a wrong length is better
    /// reported as such than as a gap). `bytes` is the file [`parse`] read.
    ///
    /// # Errors
    /// A misplaced section, a non-zero padding byte, or [`FormatError::TrailingBytes`].
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// let mut bytes = Vec::new();
    /// f.write_to(&mut bytes).unwrap();
    /// let (_, sections) = dashlm::format::parse(&bytes).unwrap();
    /// sections.check_gaps(&bytes).unwrap();
    /// bytes.push(0);
    /// assert!(sections.check_gaps(&bytes).unwrap_err().to_string().contains("appended"));
    /// ```
    pub fn check_gaps(&self, bytes: &[u8]) -> Result<(), FormatError> {
        let mut sorted: Vec<&SectionEntry> = self.entries.iter().collect();
        sorted.sort_by_key(|e| e.offset);
        let mut end = (HEADER_LEN + self.entries.len() * SECTION_ENTRY_LEN) as u64;
        // What precedes the section at hand, named only for an error.
        let mut before: Option<&SectionEntry> = None;
        let name = |b: Option<&SectionEntry>| b.map_or("section table".into(), |b| b.describe());
        for e in sorted {
            let start = end.next_multiple_of(8);
            if e.offset != start {
                let problem = format!(
                    "the {} starts at byte {}, expected {start}: where the {} \
                     ends (byte {end}) rounded up to 8",
                    e.describe(),
                    e.offset,
                    name(before),
                );
                return Err(FormatError::field("section offset", e.offset, problem));
            }
            // In the file: `parse` checked `e.offset + e.len` against its length.
            let padding = &bytes[end as usize..start as usize];
            if let Some(i) = padding.iter().position(|&b| b != 0) {
                let problem = format!(
                    "byte {:#04x} between the {} and the {}, expected 0",
                    padding[i],
                    name(before),
                    e.describe()
                );
                return Err(FormatError::field("padding", end + i as u64, problem));
            }
            end = e.offset + e.len;
            before = Some(e);
        }
        if bytes.len() as u64 != end {
            return Err(FormatError::TrailingBytes {
                end,
                file_len: bytes.len() as u64,
            });
        }
        Ok(())
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Checks and decodes the header and section table of `bytes`: magic, byte order,
/// version, header checksum, order, counts, and that every section lies inside the
/// file, is 8-byte aligned and overlaps no other. Work is O(number of sections).
///
/// # Errors
/// A [`FormatError`] naming the field and byte offset that is wrong.
///
/// ```
/// let err = dashlm::format::parse(b"not a model").unwrap_err();
/// assert!(err.to_string().contains("too short"));
/// ```
pub fn parse(bytes: &[u8]) -> Result<(Header, Sections), FormatError> {
    if bytes.len() < HEADER_LEN {
        return Err(FormatError::TooShort {
            len: bytes.len() as u64,
            need: HEADER_LEN as u64,
        });
    }
    if bytes[..8] != MAGIC {
        return Err(FormatError::BadMagic);
    }
    let bom = u16_at(bytes, 8);
    if bom != 0xFEFF {
        return Err(FormatError::ByteOrder { found: bom });
    }
    let version = u16_at(bytes, 10);
    if version != VERSION {
        return Err(FormatError::Version {
            expected: VERSION,
            found: version,
        });
    }
    let num_sections = u32_at(bytes, 28);
    if num_sections > MAX_SECTIONS {
        return Err(FormatError::field(
            "section count",
            28,
            format!("{num_sections} is above {MAX_SECTIONS}"),
        ));
    }
    let table_end = HEADER_LEN + num_sections as usize * SECTION_ENTRY_LEN;
    if bytes.len() < table_end {
        return Err(FormatError::TooShort {
            len: bytes.len() as u64,
            need: table_end as u64,
        });
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(&bytes[..CRC_AT]);
    crc.update(&bytes[HEADER_LEN..table_end]);
    let (stored, computed) = (u32_at(bytes, CRC_AT), crc.finalize());
    if stored != computed {
        return Err(FormatError::HeaderChecksum { stored, computed });
    }
    let order = bytes[12];
    if order == 0 || order as usize > MAX_ORDER {
        return Err(FormatError::field(
            "order",
            12,
            format!("{order} is not in 1..={MAX_ORDER}"),
        ));
    }
    let weights = Weights::from_code(bytes[13])
        .ok_or_else(|| FormatError::field("weights", 13, format!("unknown code {}", bytes[13])))?;
    let vocab_size = u32_at(bytes, 16);
    let (bos, eos) = (u32_at(bytes, 20), u32_at(bytes, 24));
    if vocab_size == 0 || vocab_size == u32::MAX {
        return Err(FormatError::field(
            "vocabulary size",
            16,
            format!("{vocab_size} is invalid"),
        ));
    }
    if bos >= vocab_size || eos >= vocab_size {
        return Err(FormatError::field(
            "<s>/</s> ids",
            20,
            format!("{bos}/{eos} not below vocabulary size {vocab_size}"),
        ));
    }
    let mut counts = [0u64; MAX_ORDER];
    for (i, c) in counts.iter_mut().enumerate() {
        *c = u64_at(bytes, 32 + 8 * i);
        let at = 32 + 8 * i;
        if (i < order as usize) != (*c > 0) {
            return Err(FormatError::field(
                "n-gram count",
                at as u64,
                format!("order {} has count {c}", i + 1),
            ));
        }
    }
    if counts[0] != u64::from(vocab_size) {
        return Err(FormatError::field(
            "unigram count",
            32,
            format!("{} differs from vocabulary size {vocab_size}", counts[0]),
        ));
    }
    let header = Header {
        order,
        weights,
        vocab_size,
        bos,
        eos,
        counts,
    };
    let mut entries = Vec::with_capacity(num_sections as usize);
    for i in 0..num_sections as usize {
        let at = HEADER_LEN + i * SECTION_ENTRY_LEN;
        let code = u16_at(bytes, at);
        let kind = SectionKind::from_code(code).ok_or_else(|| {
            FormatError::field("section kind", at as u64, format!("unknown code {code}"))
        })?;
        let entry = SectionEntry {
            kind,
            order: u16_at(bytes, at + 2),
            offset: u64_at(bytes, at + 8),
            len: u64_at(bytes, at + 16),
            crc: u32_at(bytes, at + 24),
        };
        let end = entry
            .offset
            .checked_add(entry.len)
            .filter(|&e| e <= bytes.len() as u64);
        if end.is_none() || entry.offset < table_end as u64 {
            return Err(FormatError::SectionBounds {
                index: i,
                kind: kind.name(),
                offset: entry.offset,
                len: entry.len,
                file_len: bytes.len() as u64,
            });
        }
        if !entry.offset.is_multiple_of(8) {
            return Err(FormatError::field(
                "section offset",
                at as u64 + 8,
                format!("{} is not 8-byte aligned", entry.offset),
            ));
        }
        if entries
            .iter()
            .any(|e: &SectionEntry| e.kind == kind && e.order == entry.order)
        {
            return Err(FormatError::field(
                "section kind",
                at as u64,
                format!(
                    "duplicate {} section for order {}",
                    kind.name(),
                    entry.order
                ),
            ));
        }
        entries.push(entry);
    }
    let mut sorted: Vec<&SectionEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.offset);
    for w in sorted.windows(2) {
        if w[0].offset + w[0].len > w[1].offset {
            return Err(FormatError::field(
                "section offset",
                w[1].offset,
                format!(
                    "{} section overlaps the {} section",
                    w[1].kind.name(),
                    w[0].kind.name()
                ),
            ));
        }
    }
    Ok((header, Sections { entries }))
}
