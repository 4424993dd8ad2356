//! Opening and validating a compiled model.

use std::io;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use super::{Decoder, Model, TableInfo, UnigramInfo};
use crate::format::table::{GroupedProbe, Layout, Probe};
use crate::format::{
    self, bits, segmented, vocab, FormatError, RawLayout, SectionEntry, SectionKind, WeightFormat,
    MAX_EXACT_VALUES,
};

/// Errors opening or verifying a compiled model.
///
/// ```
/// use dashlm::{Model, ModelError};
/// let err = Model::from_bytes(b"not a model".to_vec()).err().unwrap();
/// assert!(matches!(err, ModelError::Format { path: None, .. }));
/// let err = Model::open("/nonexistent/model.dlm").err().unwrap();
/// assert!(matches!(err, ModelError::Io { .. }));
/// assert!(err.to_string().starts_with("/nonexistent/model.dlm: "));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The file could not be read or mapped.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The bytes are not a valid model.
    #[error("{}{source}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Format {
        /// The file, when opened from a path.
        path: Option<PathBuf>,
        /// What is wrong.
        #[source]
        source: FormatError,
    },
}

impl From<FormatError> for ModelError {
    fn from(source: FormatError) -> ModelError {
        ModelError::Format { path: None, source }
    }
}

fn expect_len(e: &SectionEntry, expected: u64) -> Result<(), FormatError> {
    if e.len != expected {
        return Err(FormatError::SectionLength {
            kind: e.kind.name(),
            order: e.order,
            offset: e.offset,
            len: e.len,
            expected,
        });
    }
    Ok(())
}

/// The codebook `kind` (probabilities or backoffs) of the table of order `n`
/// whose layout `raw` is at byte `at`, in a model with `weights`, checked
/// against the field's width and its layout's flag: raw f32 bits (no
/// codebook), or codes of 1 bit to the variant's width (the builder makes
/// them as wide as the codebook needs; f32 weights are raw or codes into an
/// exact codebook of at most 2^16 values) into 1 to `2^bits` f32 values, or,
/// segmented (quantized weights, 9 to 16 bits), into 1 to `2^(bits - 8)`
/// segments.
fn table_book(
    bytes: &[u8],
    sections: &format::Sections,
    weights: WeightFormat,
    n: usize,
    at: u64,
    raw: &RawLayout,
    kind: SectionKind,
) -> Result<Decoder, FormatError> {
    let (bits, segmented) = match kind {
        SectionKind::ProbCodebook => (raw.prob_bits, raw.prob_segmented),
        _ => (raw.backoff_bits, raw.backoff_segmented),
    };
    let bad_layout = |problem: String| Err(FormatError::field("table layout", at, problem));
    if segmented > 1 {
        return bad_layout(format!(
            "order {n} {} segmented flag is {segmented}, expected 0 or 1",
            kind.name()
        ));
    }
    // No backoffs (at the highest order), or raw f32 bits: no codebook.
    let f32_weights = weights == WeightFormat::F32;
    if (kind == SectionKind::BackoffCodebook && bits == 0) || (f32_weights && bits == 32) {
        if segmented == 1 {
            return bad_layout(format!("order {n} {} is segmented but unused", kind.name()));
        }
        return Ok(Decoder::raw());
    }
    let max_bits = if f32_weights {
        MAX_EXACT_VALUES.trailing_zeros()
    } else {
        weights.bits()
    };
    if bits == 0 || u32::from(bits) > max_bits {
        return bad_layout(format!(
            "{}-bit weights in a {} model",
            bits,
            weights.name()
        ));
    }
    let e = sections.require(kind, n as u16)?;
    if segmented == 1 {
        if f32_weights || u32::from(bits) <= segmented::SEGMENT_BITS {
            return bad_layout(format!(
                "order {n} {} is segmented with {bits}-bit codes in a {} model \
                 (segmented codebooks take 9- to 16-bit codes of quantized weights)",
                kind.name(),
                weights.name()
            ));
        }
        let most = 1u64 << (u32::from(bits) - segmented::SEGMENT_BITS);
        let size = segmented::SEGMENT_BYTES as u64;
        if e.len == 0 || !e.len.is_multiple_of(size) || e.len > most * size {
            let problem = format!(
                "{} bytes: expected 1 to {most} segments of {size} bytes",
                e.len
            );
            return Err(FormatError::field(e.kind.name(), e.offset, problem));
        }
        return Ok(Decoder::segmented(segmented::segments(&bytes[e.range()])));
    }
    if e.len == 0 || !e.len.is_multiple_of(4) || e.len > (1u64 << bits) * 4 {
        let problem = format!("{} bytes: expected 1 to {} f32 values", e.len, 1u64 << bits);
        return Err(FormatError::field(e.kind.name(), e.offset, problem));
    }
    Ok(Decoder::exact(bytes, e.range()))
}

/// The unigram section's layout, from its codebooks' lengths: a field with
/// a codebook of `k` values (at most [`MAX_EXACT_VALUES`]) is a code of
/// `bits_for(k - 1).max(1)` bits, a field whose codebook section is empty raw
/// f32 bits.
fn unigram_info(
    bytes: &[u8],
    sections: &format::Sections,
    vocab_size: u32,
) -> Result<UnigramInfo, FormatError> {
    let field = |kind: SectionKind| -> Result<(Decoder, u32), FormatError> {
        let e = sections.require(kind, 1)?;
        if e.len == 0 {
            return Ok((Decoder::raw(), 32));
        }
        if !e.len.is_multiple_of(4) || e.len > MAX_EXACT_VALUES as u64 * 4 {
            let problem = format!(
                "{} bytes: expected 0 to {MAX_EXACT_VALUES} f32 values",
                e.len
            );
            return Err(FormatError::field(e.kind.name(), e.offset, problem));
        }
        let bits = bits::bits_for(e.len / 4 - 1).max(1);
        Ok((Decoder::exact(bytes, e.range()), bits))
    };
    let (prob, prob_bits) = field(SectionKind::ProbCodebook)?;
    let (backoff, backoff_bits) = field(SectionKind::BackoffCodebook)?;
    let entry_bits = u64::from(prob_bits + backoff_bits);
    let section = sections.require(SectionKind::Unigrams, 1)?;
    expect_len(section, (u64::from(vocab_size) * entry_bits).div_ceil(8))?;
    Ok(UnigramInfo {
        bytes: section.range(),
        last_word_bit: (bytes.len() as u64 * 8).saturating_sub(64),
        entry_bits,
        prob_bits,
        backoff_bits,
        prob_mask: bits::mask(prob_bits),
        backoff_mask: bits::mask(backoff_bits),
        prob,
        backoff,
    })
}

impl Model<Mmap> {
    /// Memory-maps and validates the model at `path`.
    ///
    /// The file must not be modified or truncated while the model is open (see
    /// [`format::map_file`]): as with any memory map, a file cut short under
    /// the model kills the process with SIGBUS at its next query that reads
    /// past the new end. `build-lm` replaces files by rename, which is safe;
    /// [`Model::load`] reads the file into memory instead.
    ///
    /// # Errors
    /// I/O errors, or a [`FormatError`] for a truncated or foreign file, or one
    /// whose header, section table or layout is corrupted (checked in time
    /// independent of the model's size). Corrupted bytes inside a section's
    /// data are not looked at here: queries stay memory-safe but may give
    /// wrong numbers; [`Model::verify`] (or [`Model::load`]) checks every
    /// section's checksum.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("model.dlm");
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
    /// # dashlm::build::write_model(&set, Default::default(), &path).unwrap();
    /// // `path`: data/tiny.arpa compiled (`build-lm data/tiny.arpa model.dlm`).
    /// let model = dashlm::Model::open(&path).unwrap();
    /// assert_eq!(model.header().order, 3);
    /// // A file that is not a model is refused, named.
    /// std::fs::write(dir.path().join("text.dlm"), "not a model").unwrap();
    /// let err = dashlm::Model::open(dir.path().join("text.dlm")).unwrap_err();
    /// assert!(err.to_string().contains("text.dlm"), "{err}");
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Model<Mmap>, ModelError> {
        let path = path.as_ref();
        let map = format::map_file(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Model::from_bytes(map).map_err(|e| e.with_path(path))
    }

    /// Reads the whole model at `path` into memory backed by transparent huge
    /// pages where available ([`format::read_file_huge`]), validates it, and
    /// checks every section's CRC-32 ([`Model::verify`]), so that a file
    /// corrupted anywhere is refused here rather than giving wrong scores.
    /// Opening costs a read of the file (the checksums add about 2.5 ms for
    /// the shared 4-gram's 60 MB f32 file on a Zen 5, against 8-10 ms for the
    /// read from the page cache); queries are faster than on a plain memory map
    /// because random probes miss the TLB less. The file may change afterwards
    /// without affecting the model.
    ///
    /// # Errors
    /// As [`Model::open`], and [`FormatError::SectionChecksum`] (in
    /// [`ModelError::Format`]) for a corrupted section.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("model.dlm");
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
    /// # dashlm::build::write_model(&set, Default::default(), &path).unwrap();
    /// let model = dashlm::Model::load(&path).unwrap();
    /// // A flipped byte anywhere is refused (here, a unigram's probability).
    /// let mut bytes = std::fs::read(&path).unwrap();
    /// let (_, sections) = dashlm::format::parse(&bytes).unwrap();
    /// let unigrams = sections.require(dashlm::format::SectionKind::Unigrams, 1).unwrap();
    /// bytes[unigrams.offset as usize + 1] ^= 1;
    /// std::fs::write(&path, &bytes).unwrap();
    /// assert!(dashlm::Model::open(&path).is_ok());
    /// assert!(dashlm::Model::load(&path).is_err());
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Model<Mmap>, ModelError> {
        let path = path.as_ref();
        let mem = format::read_file_huge(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let model = Model::from_bytes(mem).map_err(|e| e.with_path(path))?;
        model
            .verify()
            .map_err(|e| ModelError::from(e).with_path(path))?;
        Ok(model)
    }
}

impl ModelError {
    fn with_path(self, path: &Path) -> ModelError {
        match self {
            ModelError::Format { source, .. } => ModelError::Format {
                path: Some(path.to_path_buf()),
                source,
            },
            other => other,
        }
    }
}

impl<D: AsRef<[u8]>> Model<D> {
    /// Validates `data` as a model, in time independent of the model size
    /// (magic, version, header checksum, section bounds, lengths and layouts).
    /// Section checksums are checked by [`Model::verify`]. Queries on a model
    /// whose data sections are corrupted may return wrong numbers but never
    /// panic or read out of bounds.
    ///
    /// # Errors
    /// A [`ModelError::Format`] naming the field or section at fault.
    ///
    /// ```
    /// assert!(dashlm::Model::from_bytes(vec![0u8; 10]).is_err());
    /// ```
    pub fn from_bytes(data: D) -> Result<Model<D>, ModelError> {
        let bytes = data.as_ref();
        let (header, sections) = format::parse(bytes)?;
        let offsets = sections.require(SectionKind::VocabOffsets, 0)?;
        let words = sections.require(SectionKind::VocabBytes, 0)?;
        if words.len > u64::from(u32::MAX) {
            let problem = format!("{} bytes: expected at most 2^32 - 1", words.len);
            return Err(FormatError::field(words.kind.name(), words.offset, problem).into());
        }
        expect_len(offsets, vocab::offsets_bytes(header.vocab_size, words.len))?;
        let index = sections.require(SectionKind::VocabIndex, 0)?;
        expect_len(index, vocab::index_bytes(header.vocab_size))?;
        let unigrams = unigram_info(bytes, &sections, header.vocab_size)?;
        let layouts = sections.require(SectionKind::Layouts, 0)?;
        let order = header.order as usize;
        let raw_len = std::mem::size_of::<RawLayout>() as u64;
        expect_len(layouts, (order as u64 - 1) * raw_len)?;
        let mut tables: Box<[TableInfo; crate::MAX_ORDER - 1]> = Box::default();
        let mut table_layouts = Vec::with_capacity(order.saturating_sub(1));
        let mut top = None;
        for n in 2..=order {
            let at = layouts.offset + (n as u64 - 2) * raw_len;
            let raw: RawLayout =
                bytemuck::pod_read_unaligned(&bytes[at as usize..(at + raw_len) as usize]);
            let layout = Layout::new(raw, header.vocab_size, at)?;
            let want_nodes = u8::from(n < order);
            if raw.has_nodes != want_nodes {
                return Err(FormatError::field(
                    "table layout",
                    at,
                    format!(
                        "order {n} node flag is {}, expected {want_nodes}",
                        raw.has_nodes
                    ),
                )
                .into());
            }
            let count = header.counts[n - 1];
            if count > raw.num_slots {
                let problem = format!(
                    "order {n} claims {count} n-grams in a table of {} slots",
                    raw.num_slots
                );
                return Err(
                    FormatError::field("n-gram count", 32 + 8 * (n as u64 - 1), problem).into(),
                );
            }
            let table = sections.require(SectionKind::Table, n as u16)?;
            expect_len(table, layout.table_bytes())?;
            if layout.grouped() {
                // Only the highest order (the only one without nodes, checked above).
                top = Some(GroupedProbe::new(&layout, table.range()));
            }
            let book = |kind| table_book(bytes, &sections, header.weights, n, at, &raw, kind);
            tables[n - 2] = TableInfo {
                probe: Probe::new(&layout, table.range()),
                prob: book(SectionKind::ProbCodebook)?,
                backoff: book(SectionKind::BackoffCodebook)?,
            };
            table_layouts.push((table.range(), layout));
        }
        sections.check_gaps(bytes)?;
        let vocab = [offsets.range(), words.range(), index.range()];
        let [o, w, i] = vocab.clone().map(|r| &bytes[r]);
        let vocab_shape = vocab::VocabView::new(o, w, i, header.vocab_size).shape();
        let raw_unigrams =
            unigrams.entry_bits == 64 && unigrams.prob.is_raw() && unigrams.backoff.is_raw();
        let raw = raw_unigrams
            && tables[..order - 1]
                .iter()
                .all(|t| t.prob.is_raw() && t.backoff.is_raw());
        Ok(Model {
            data,
            header,
            vocab,
            vocab_shape,
            unigrams,
            tables,
            num_tables: order - 1,
            scanned: table_layouts.iter().all(|(_, l)| l.grouped() || !l.runs()),
            raw,
            raw_unigrams,
            grouped_top: top.is_some(),
            top: top.unwrap_or_default(),
            layouts: table_layouts,
        })
    }

    /// Checks every section's CRC-32 (reads the whole file).
    ///
    /// # Errors
    /// [`FormatError::SectionChecksum`] for the first corrupted section.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
    /// let model = dashlm::Model::from_bytes(bytes).unwrap();
    /// model.verify().unwrap();
    /// ```
    pub fn verify(&self) -> Result<(), FormatError> {
        let bytes = self.data.as_ref();
        let (_, sections) = format::parse(bytes)?;
        for e in sections.iter() {
            let computed = crc32fast::hash(&bytes[e.range()]);
            if computed != e.crc {
                return Err(FormatError::SectionChecksum {
                    kind: e.kind.name(),
                    order: e.order,
                    offset: e.offset,
                    stored: e.crc,
                    computed,
                });
            }
        }
        Ok(())
    }
}
