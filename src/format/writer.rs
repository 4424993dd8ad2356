//! Writing model files: from sections held in memory ([`FileWriter`]), or
//! section by section as they are built ([`SectionWriter`]). Both give the same
//! bytes for the same sections.

use std::io::{self, Seek, SeekFrom, Write};

use super::header::{
    Header, SectionEntry, SectionKind, CRC_AT, HEADER_LEN, MAGIC, MAX_SECTIONS, VERSION,
};
use super::SECTION_ENTRY_LEN;

/// The header and section table of a file with these `entries`, header
/// checksum included.
fn encode_head(h: &Header, entries: &[SectionEntry]) -> Vec<u8> {
    let mut head = vec![0u8; HEADER_LEN];
    head[..8].copy_from_slice(&MAGIC);
    head[8..10].copy_from_slice(&0xFEFFu16.to_le_bytes());
    head[10..12].copy_from_slice(&VERSION.to_le_bytes());
    head[12] = h.order;
    head[13] = h.weights.code();
    head[16..20].copy_from_slice(&h.vocab_size.to_le_bytes());
    head[20..24].copy_from_slice(&h.bos.to_le_bytes());
    head[24..28].copy_from_slice(&h.eos.to_le_bytes());
    head[28..32].copy_from_slice(&(entries.len() as u32).to_le_bytes());
    for (i, c) in h.counts.iter().enumerate() {
        head[32 + 8 * i..40 + 8 * i].copy_from_slice(&c.to_le_bytes());
    }
    for e in entries {
        head.extend_from_slice(&(e.kind as u16).to_le_bytes());
        head.extend_from_slice(&e.order.to_le_bytes());
        head.extend_from_slice(&[0; 4]);
        head.extend_from_slice(&e.offset.to_le_bytes());
        head.extend_from_slice(&e.len.to_le_bytes());
        head.extend_from_slice(&e.crc.to_le_bytes());
        head.extend_from_slice(&[0; 4]);
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(&head[..CRC_AT]);
    crc.update(&head[HEADER_LEN..]);
    head[CRC_AT..HEADER_LEN].copy_from_slice(&crc.finalize().to_le_bytes());
    head
}

/// Refuses more sections than a file may have ([`parse`](super::parse)
/// would refuse the file), so the section table's size never overflows.
fn check_section_count(num_sections: usize) -> io::Result<()> {
    if num_sections > MAX_SECTIONS as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{num_sections} sections, the format allows {MAX_SECTIONS}"),
        ));
    }
    Ok(())
}

/// Bytes before the first section of a file with `num_sections` sections
/// (at most [`MAX_SECTIONS`], checked by the callers): the header and the
/// section table.
fn head_len(num_sections: usize) -> u64 {
    (HEADER_LEN + num_sections * SECTION_ENTRY_LEN) as u64
}

/// Writes a complete file from sections held in memory: header, section table,
/// then each section 8-byte aligned, computing every checksum.
///
/// ```
/// use dashlm::format::{FileWriter, Header, SectionKind, WeightFormat, parse};
/// let header = Header { order: 1, weights: WeightFormat::F32, vocab_size: 1, bos: 0, eos: 0,
///     counts: [1, 0, 0, 0, 0, 0, 0, 0] };
/// let mut w = FileWriter::new(header);
/// w.add(SectionKind::Unigrams, 1, vec![0u8; 8]);
/// let mut bytes = Vec::new();
/// w.write_to(&mut bytes).unwrap();
/// let (h, sections) = parse(&bytes).unwrap();
/// assert_eq!(h, header);
/// assert_eq!(sections.require(SectionKind::Unigrams, 1).unwrap().len, 8);
/// ```
#[derive(Debug)]
pub struct FileWriter {
    header: Header,
    sections: Vec<(SectionKind, u16, Vec<u8>)>,
}

impl FileWriter {
    /// A writer for a file with this header.
    ///
    /// ```
    /// # use dashlm::format::{Header, WeightFormat};
    /// # let header = Header { order: 1, weights: WeightFormat::F32, vocab_size: 1, bos: 0, eos: 0,
    /// #     counts: [1, 0, 0, 0, 0, 0, 0, 0] };
    /// use dashlm::format::{parse, FileWriter, HEADER_LEN};
    /// let f = FileWriter::new(header);
    /// let mut bytes = Vec::new();
    /// assert_eq!(f.write_to(&mut bytes).unwrap(), HEADER_LEN as u64);
    /// assert_eq!(parse(&bytes).unwrap().0, header);
    /// ```
    pub fn new(header: Header) -> FileWriter {
        FileWriter {
            header,
            sections: Vec::new(),
        }
    }

    /// Adds a section.
    ///
    /// ```
    /// # use dashlm::format::{Header, WeightFormat};
    /// # let header = Header { order: 1, weights: WeightFormat::F32, vocab_size: 1, bos: 0, eos: 0,
    /// #     counts: [1, 0, 0, 0, 0, 0, 0, 0] };
    /// use dashlm::format::{FileWriter, SectionKind};
    /// let mut f = FileWriter::new(header);
    /// f.add(SectionKind::VocabBytes, 0, b"abc".to_vec());
    /// assert_eq!(f.sizes().collect::<Vec<_>>(), [(SectionKind::VocabBytes, 0, 3)]);
    /// ```
    pub fn add(&mut self, kind: SectionKind, order: u16, bytes: Vec<u8>) {
        self.sections.push((kind, order, bytes));
    }

    /// The sections added so far with their sizes, for summaries.
    ///
    /// ```
    /// # use dashlm::format::{Header, WeightFormat};
    /// # let header = Header { order: 1, weights: WeightFormat::F32, vocab_size: 1, bos: 0, eos: 0,
    /// #     counts: [1, 0, 0, 0, 0, 0, 0, 0] };
    /// use dashlm::format::{FileWriter, SectionKind};
    /// let mut f = FileWriter::new(header);
    /// f.add(SectionKind::VocabBytes, 0, b"abc".to_vec());
    /// f.add(SectionKind::Unigrams, 1, vec![0u8; 8]);
    /// let sizes: Vec<_> = f.sizes().collect();
    /// assert_eq!(sizes, [(SectionKind::VocabBytes, 0, 3), (SectionKind::Unigrams, 1, 8)]);
    /// ```
    pub fn sizes(&self) -> impl Iterator<Item = (SectionKind, u16, usize)> + '_ {
        self.sections.iter().map(|(k, o, b)| (*k, *o, b.len()))
    }

    /// Writes the whole file; returns its length.
    ///
    /// # Errors
    /// I/O errors from `out`; [`io::ErrorKind::InvalidInput`] for more
    /// sections than the format allows (64), before anything is written.
    ///
    /// ```
    /// # use dashlm::format::{Header, WeightFormat};
    /// # let header = Header { order: 1, weights: WeightFormat::F32, vocab_size: 1, bos: 0, eos: 0,
    /// #     counts: [1, 0, 0, 0, 0, 0, 0, 0] };
    /// use dashlm::format::{FileWriter, SectionKind};
    /// let mut f = FileWriter::new(header);
    /// f.add(SectionKind::VocabBytes, 0, b"abc".to_vec());
    /// let mut bytes = Vec::new();
    /// // 128 header bytes, one 32-byte table entry, then the section.
    /// assert_eq!(f.write_to(&mut bytes).unwrap(), 128 + 32 + 3);
    /// assert_eq!(&bytes[160..], b"abc");
    /// ```
    pub fn write_to(&self, mut out: impl Write) -> io::Result<u64> {
        check_section_count(self.sections.len())?;
        let mut offset = head_len(self.sections.len());
        let mut entries = Vec::with_capacity(self.sections.len());
        for (kind, order, bytes) in &self.sections {
            offset = offset.next_multiple_of(8);
            entries.push(SectionEntry {
                kind: *kind,
                order: *order,
                offset,
                len: bytes.len() as u64,
                crc: crc32fast::hash(bytes),
            });
            offset += bytes.len() as u64;
        }
        let head = encode_head(&self.header, &entries);
        out.write_all(&head)?;
        let mut written = head.len() as u64;
        for ((_, _, bytes), entry) in self.sections.iter().zip(&entries) {
            out.write_all(&[0u8; 8][..(entry.offset - written) as usize])?;
            out.write_all(bytes)?;
            written = entry.offset + entry.len;
        }
        Ok(written)
    }
}

/// Writes a file section by section as the sections are made, so none has to
/// be held: the header and section table, whose offsets and checksums are known
/// only at the end, are written last by seeking back. The bytes equal
/// [`FileWriter`]'s for the same sections.
///
/// Open a section with [`SectionWriter::begin`], write its bytes through
/// [`Write`]; the next `begin` or [`SectionWriter::finish`] closes it.
///
/// ```
/// use std::io::{Cursor, Write};
/// use dashlm::format::{FileWriter, Header, SectionKind, SectionWriter, WeightFormat};
/// let header = Header { order: 1, weights: WeightFormat::F32, vocab_size: 1, bos: 0, eos: 0,
///     counts: [1, 0, 0, 0, 0, 0, 0, 0] };
/// let mut w = SectionWriter::new(Cursor::new(Vec::new()), 2).unwrap();
/// w.begin(SectionKind::VocabBytes, 0).unwrap();
/// w.write_all(b"abc").unwrap();
/// w.begin(SectionKind::Unigrams, 1).unwrap();
/// w.write_all(&[0u8; 4]).unwrap();
/// w.write_all(&[0u8; 4]).unwrap();
/// let (out, len) = w.finish(&header).unwrap();
///
/// let mut f = FileWriter::new(header);
/// f.add(SectionKind::VocabBytes, 0, b"abc".to_vec());
/// f.add(SectionKind::Unigrams, 1, vec![0u8; 8]);
/// let mut bytes = Vec::new();
/// assert_eq!(f.write_to(&mut bytes).unwrap(), len);
/// assert_eq!(out.into_inner(), bytes);
/// ```
#[derive(Debug)]
pub struct SectionWriter<W> {
    out: W,
    num_sections: usize,
    entries: Vec<SectionEntry>,
    /// The section being written and the checksum of its bytes so far.
    open: Option<crc32fast::Hasher>,
    /// Bytes written so far (the output's position).
    pos: u64,
}

impl<W: Write + Seek> SectionWriter<W> {
    /// A writer of a file of exactly `num_sections` sections to `out`, which
    /// must be positioned at its start; room for the header and section table
    /// is written as zeros.
    ///
    /// # Errors
    /// I/O errors from `out`; [`io::ErrorKind::InvalidInput`] for more
    /// sections than the format allows (64), before anything is written.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use dashlm::format::{SectionWriter, HEADER_LEN, SECTION_ENTRY_LEN};
    /// let w = SectionWriter::new(Cursor::new(Vec::new()), 2).unwrap();
    /// let out = w.into_inner().into_inner();
    /// assert_eq!(out, vec![0u8; HEADER_LEN + 2 * SECTION_ENTRY_LEN]);
    /// let err = SectionWriter::new(Cursor::new(Vec::new()), usize::MAX).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn new(mut out: W, num_sections: usize) -> io::Result<SectionWriter<W>> {
        check_section_count(num_sections)?;
        let pos = head_len(num_sections);
        out.write_all(&vec![0u8; pos as usize])?;
        Ok(SectionWriter {
            out,
            num_sections,
            entries: Vec::with_capacity(num_sections),
            open: None,
            pos,
        })
    }

    /// Closes the open section (if any) and opens the next one.
    ///
    /// # Errors
    /// I/O errors from the output, or one section more than announced.
    ///
    /// ```
    /// use std::io::{Cursor, Write};
    /// use dashlm::format::{SectionKind, SectionWriter};
    /// let mut w = SectionWriter::new(Cursor::new(Vec::new()), 1).unwrap();
    /// w.begin(SectionKind::VocabBytes, 0).unwrap();
    /// w.write_all(b"abc").unwrap();
    /// assert_eq!(w.sizes().count(), 1);
    /// assert!(w.begin(SectionKind::Unigrams, 1).is_err()); // only 1 announced
    /// ```
    pub fn begin(&mut self, kind: SectionKind, order: u16) -> io::Result<()> {
        self.close();
        if self.entries.len() == self.num_sections {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("more than the {} sections announced", self.num_sections),
            ));
        }
        let offset = self.pos.next_multiple_of(8);
        self.out
            .write_all(&[0u8; 8][..(offset - self.pos) as usize])?;
        self.pos = offset;
        self.entries.push(SectionEntry {
            kind,
            order,
            offset,
            len: 0,
            crc: 0,
        });
        self.open = Some(crc32fast::Hasher::new());
        Ok(())
    }

    fn close(&mut self) {
        if let (Some(crc), Some(e)) = (self.open.take(), self.entries.last_mut()) {
            e.crc = crc.finalize();
        }
    }

    /// Sections begun so far with their sizes, for summaries.
    ///
    /// ```
    /// use std::io::{Cursor, Write};
    /// use dashlm::format::{SectionKind, SectionWriter};
    /// let mut w = SectionWriter::new(Cursor::new(Vec::new()), 2).unwrap();
    /// w.begin(SectionKind::VocabBytes, 0).unwrap();
    /// w.write_all(b"abc").unwrap();
    /// assert_eq!(w.sizes().collect::<Vec<_>>(), [(SectionKind::VocabBytes, 0, 3)]);
    /// ```
    pub fn sizes(&self) -> impl Iterator<Item = (SectionKind, u16, usize)> + '_ {
        self.entries
            .iter()
            .map(|e| (e.kind, e.order, e.len as usize))
    }

    /// The output as it is, positioned after the last byte written: for a
    /// caller that starts the file over.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use dashlm::format::SectionWriter;
    /// let out = SectionWriter::new(Cursor::new(Vec::new()), 1).unwrap();
    /// assert_eq!(out.into_inner().position() % 8, 0);
    /// ```
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Closes the last section and writes the header and section table at the
    /// start; returns the output (positioned at the end, flushed) and the file length.
    ///
    /// # Errors
    /// I/O errors from the output, or fewer sections than announced.
    ///
    /// ```
    /// use std::io::{Cursor, Write};
    /// use dashlm::format::{parse, SectionKind, SectionWriter};
    /// # use dashlm::format::{Header, WeightFormat};
    /// # let header = Header { order: 1, weights: WeightFormat::F32, vocab_size: 1, bos: 0, eos: 0,
    /// #     counts: [1, 0, 0, 0, 0, 0, 0, 0] };
    /// let mut w = SectionWriter::new(Cursor::new(Vec::new()), 1).unwrap();
    /// w.begin(SectionKind::Unigrams, 1).unwrap();
    /// w.write_all(&[0u8; 8]).unwrap();
    /// let (out, len) = w.finish(&header).unwrap();
    /// let bytes = out.into_inner();
    /// assert_eq!(bytes.len() as u64, len);
    /// let (h, sections) = parse(&bytes).unwrap();
    /// assert_eq!((h, sections.require(SectionKind::Unigrams, 1).unwrap().len), (header, 8));
    /// ```
    pub fn finish(mut self, header: &Header) -> io::Result<(W, u64)> {
        self.close();
        if self.entries.len() != self.num_sections {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} sections written, {} announced",
                    self.entries.len(),
                    self.num_sections
                ),
            ));
        }
        let head = encode_head(header, &self.entries);
        self.out.seek(SeekFrom::Start(0))?;
        self.out.write_all(&head)?;
        self.out.seek(SeekFrom::Start(self.pos))?;
        self.out.flush()?;
        Ok((self.out, self.pos))
    }
}

impl<W: Write> Write for SectionWriter<W> {
    /// Appends to the open section (an error when none is open).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (Some(crc), Some(e)) = (self.open.as_mut(), self.entries.last_mut()) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "bytes written outside a section",
            ));
        };
        self.out.write_all(buf)?;
        crc.update(buf);
        e.len += buf.len() as u64;
        self.pos += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
