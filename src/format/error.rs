//! Errors in a compiled model's bytes.

/// A compiled model file that cannot be used, with the field and byte offset at fault.
///
/// ```
/// let e = dashlm::format::FormatError::BadMagic;
/// assert!(e.to_string().contains("not a dashlm model"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Fewer bytes than the header or section table needs (a truncated file).
    #[error(
        "file is too short: {len} bytes, the header and section table need {need} (truncated?)"
    )]
    TooShort {
        /// Bytes present.
        len: u64,
        /// Bytes needed.
        need: u64,
    },
    /// The first 8 bytes are not the dashlm magic.
    #[error("bytes 0..8 are not the dashlm magic: not a dashlm model (for ARPA text use it directly or compile it with build-lm)")]
    BadMagic,
    /// The byte-order mark is wrong.
    #[error("byte-order mark at byte 8 is {found:#06x}, expected 0xfeff (written on a big-endian machine?)")]
    ByteOrder {
        /// The mark read.
        found: u16,
    },
    /// A format version this build does not read.
    #[error("format version {found} at byte 10: this dashlm reads version {expected} files; rebuild the model with build-lm")]
    Version {
        /// The version this build reads ([`VERSION`](super::VERSION)).
        expected: u16,
        /// The version in the file.
        found: u16,
    },
    /// The header checksum does not match.
    #[error("header checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the header or section table is corrupted")]
    HeaderChecksum {
        /// The stored CRC.
        stored: u32,
        /// The computed CRC.
        computed: u32,
    },
    /// A header or layout field out of range.
    #[error("{field} at byte {offset}: {problem}")]
    Field {
        /// The field's name.
        field: &'static str,
        /// Its byte offset in the file.
        offset: u64,
        /// What is wrong with it.
        problem: String,
    },
    /// A section lying (partly) outside the file.
    #[error("section {index} ({kind}) spans bytes {offset}+{len}, outside the file's {file_len} bytes (truncated?)")]
    SectionBounds {
        /// Its index in the section table.
        index: usize,
        /// Its kind.
        kind: &'static str,
        /// Its offset.
        offset: u64,
        /// Its length.
        len: u64,
        /// The file length.
        file_len: u64,
    },
    /// Bytes after the last section (the writer ends a file with it).
    #[error("the last section ends at byte {end} but the file has {file_len} bytes: data appended to a model file?")]
    TrailingBytes {
        /// Where the last section ends.
        end: u64,
        /// The file length.
        file_len: u64,
    },
    /// A required section is absent.
    #[error("missing {kind} section for order {order}")]
    MissingSection {
        /// The kind missing.
        kind: &'static str,
        /// The order.
        order: u16,
    },
    /// A section's length disagrees with the header.
    #[error(
        "{kind} section for order {order} at byte {offset} has {len} bytes, expected {expected}"
    )]
    SectionLength {
        /// Its kind.
        kind: &'static str,
        /// Its order.
        order: u16,
        /// Its offset.
        offset: u64,
        /// Its length.
        len: u64,
        /// The expected length.
        expected: u64,
    },
    /// A section's bytes do not match their checksum (found by `verify`).
    #[error("{kind} section for order {order} at byte {offset}: checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the file is corrupted")]
    SectionChecksum {
        /// Its kind.
        kind: &'static str,
        /// Its order.
        order: u16,
        /// Its offset.
        offset: u64,
        /// The stored CRC.
        stored: u32,
        /// The computed CRC.
        computed: u32,
    },
}

impl FormatError {
    pub(crate) fn field(field: &'static str, offset: u64, problem: String) -> FormatError {
        FormatError::Field {
            field,
            offset,
            problem,
        }
    }
}
