//! The section table of a parsed file ([`Sections`]) and the checked parse of
//! a whole file's structure ([`parse`]): header, section table, bounds,
//! alignment, overlaps and gaps, in time independent of the model's size.

use super::error::FormatError;
use super::header::{
    Header, SectionEntry, SectionKind, WeightFormat, CRC_AT, HEADER_LEN, MAGIC, MAX_SECTIONS,
    SECTION_ENTRY_LEN, VERSION,
};
use crate::MAX_ORDER;

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
    /// // A trigram model has no order 4; tiny's 7 bigram probabilities are raw
    /// // f32 bits (codes and codebook would not be smaller): an empty codebook.
    /// assert!(sections.get(SectionKind::Table, 4).is_none());
    /// assert_eq!(sections.get(SectionKind::ProbCodebook, 2).unwrap().len, 0);
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
    /// let err = sections.require(SectionKind::ProbCodebook, 4).unwrap_err();
    /// assert_eq!(err.to_string(), "missing prob-codebook section for order 4");
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
    /// A section past the end of `bytes` ([`FormatError::SectionBounds`]), a
    /// misplaced section, a non-zero padding byte, or
    /// [`FormatError::TrailingBytes`].
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
    /// // Bytes shorter than the file `parse` read: an error, not a panic.
    /// assert!(sections.check_gaps(&bytes[..300]).unwrap_err().to_string().contains("truncated?"));
    /// ```
    pub fn check_gaps(&self, bytes: &[u8]) -> Result<(), FormatError> {
        // Bytes other than the file `parse` read may be shorter than its
        // table says (before: a slice index out of range, a panic).
        for (index, e) in self.entries.iter().enumerate() {
            if e.offset
                .checked_add(e.len)
                .is_none_or(|end| end > bytes.len() as u64)
            {
                return Err(FormatError::SectionBounds {
                    index,
                    kind: e.kind.name(),
                    offset: e.offset,
                    len: e.len,
                    file_len: bytes.len() as u64,
                });
            }
        }
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

/// The format version in the header of `bytes` (bytes 10..12), if it has one
/// ([`parse`] checks that it is [`VERSION`]).
///
/// ```
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
/// # let mut bytes = Vec::new();
/// # f.write_to(&mut bytes).unwrap();
/// assert_eq!(dashlm::format::file_version(&bytes), Some(dashlm::format::VERSION));
/// assert_eq!(dashlm::format::file_version(b"short"), None);
/// ```
pub fn file_version(bytes: &[u8]) -> Option<u16> {
    (bytes.len() >= 12).then(|| u16_at(bytes, 10))
}

/// Whether `head`, the first bytes of a file (its first 8, or the whole of a
/// shorter file), start a compiled model: the [`MAGIC`], or a non-empty part
/// of it when the file is shorter (a truncated model, which [`parse`] reports
/// as too short), where ARPA text never starts like that.
///
/// ```
/// use dashlm::format::{starts_like_model, MAGIC};
/// assert!(starts_like_model(&MAGIC));
/// assert!(starts_like_model(&MAGIC[..3])); // a model cut to 3 bytes
/// assert!(!starts_like_model(b"\\data\\\n"));
/// assert!(!starts_like_model(b"DASHLM text")); // free text before `\data\`
/// assert!(!starts_like_model(b""));
/// ```
pub fn starts_like_model(head: &[u8]) -> bool {
    let n = head.len().min(MAGIC.len());
    n > 0 && head[..n] == MAGIC[..n]
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
    let weights = WeightFormat::from_code(bytes[13])
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
        // Orders past the model's have no n-grams; the unigrams are the
        // vocabulary (checked below); an order from 2 up may be empty (an
        // ARPA file with `ngram 2=0`, whose unigram backoffs still apply).
        if i >= order as usize && *c > 0 {
            return Err(FormatError::field(
                "n-gram count",
                at as u64,
                format!(
                    "order {} has count {c}, past the model's order {order}",
                    i + 1
                ),
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
