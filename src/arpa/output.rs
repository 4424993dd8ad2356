//! Writing text compressed as its name asks: the counterpart of
//! [`open_input`](super::open_input), which reads plain, gzip or xz text.

use std::io::{self, Write};
use std::path::Path;

use super::Compression;

impl Compression {
    /// The compression an output named `path` asks for by its extension, in
    /// any case: `.gz` gzip, `.xz` xz, anything else none.
    ///
    /// ```
    /// use dashlm::arpa::Compression;
    /// assert_eq!(Compression::of_name("lm.arpa.gz".as_ref()), Compression::Gzip);
    /// assert_eq!(Compression::of_name("best.txt.XZ".as_ref()), Compression::Xz);
    /// assert_eq!(Compression::of_name("gz".as_ref()), Compression::None);
    /// ```
    pub fn of_name(path: &Path) -> Compression {
        let is = |ext: &str| {
            path.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case(ext))
        };
        if is("gz") {
            Compression::Gzip
        } else if is("xz") {
            Compression::Xz
        } else {
            Compression::None
        }
    }

    /// The file name extension of this compression, with its dot: `.gz`,
    /// `.xz`, or empty for none ([`Compression::of_name`] in reverse).
    ///
    /// ```
    /// use dashlm::arpa::Compression;
    /// assert_eq!(format!("u.nbest{}", Compression::Gzip.extension()), "u.nbest.gz");
    /// assert_eq!(Compression::None.extension(), "");
    /// ```
    pub fn extension(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => ".gz",
            Compression::Xz => ".xz",
        }
    }
}

/// A writer that compresses what it is given as a [`Compression`] says
/// (none: passed through). Dropping it without [`Compressed::finish`] may
/// leave the compressed stream without its end: call it, and check its
/// error.
///
/// ```
/// use std::io::{Read, Write};
/// use dashlm::arpa::{Compressed, Compression};
/// let mut out = Compressed::new(Vec::new(), Compression::Gzip, 6);
/// out.write_all(b"\\data\\\n").unwrap();
/// let bytes = out.finish().unwrap();
/// assert_eq!(Compression::sniff(&bytes), Compression::Gzip);
/// let mut text = String::new();
/// flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
/// assert_eq!(text, "\\data\\\n");
/// ```
pub enum Compressed<W: Write> {
    /// Plain text.
    Plain(W),
    /// gzip.
    Gzip(flate2::write::GzEncoder<W>),
    /// xz.
    Xz(xz2::write::XzEncoder<W>),
}

impl<W: Write> Compressed<W> {
    /// Writes to `inner` compressed as `compression` says, at `level` (0 to 9,
    /// larger values count as 9; unused without compression).
    ///
    /// ```
    /// use dashlm::arpa::{Compressed, Compression};
    /// let out = Compressed::new(Vec::new(), Compression::None, 6);
    /// assert!(out.finish().unwrap().is_empty());
    /// ```
    pub fn new(inner: W, compression: Compression, level: u32) -> Compressed<W> {
        let level = level.min(9);
        match compression {
            Compression::None => Compressed::Plain(inner),
            Compression::Gzip => {
                let level = flate2::Compression::new(level);
                Compressed::Gzip(flate2::write::GzEncoder::new(inner, level))
            }
            Compression::Xz => Compressed::Xz(xz2::write::XzEncoder::new(inner, level)),
        }
    }

    /// Ends the compressed stream, flushes, and gives the inner writer back.
    ///
    /// ```
    /// use std::io::Write;
    /// use dashlm::arpa::{Compressed, Compression};
    /// let mut out = Compressed::new(Vec::new(), Compression::Xz, 6);
    /// out.write_all(b"text").unwrap();
    /// assert_eq!(Compression::sniff(&out.finish().unwrap()), Compression::Xz);
    /// ```
    pub fn finish(self) -> io::Result<W> {
        let mut inner = match self {
            Compressed::Plain(w) => w,
            Compressed::Gzip(e) => e.finish()?,
            Compressed::Xz(e) => e.finish()?,
        };
        inner.flush()?;
        Ok(inner)
    }
}

impl<W: Write> Write for Compressed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Compressed::Plain(w) => w.write(buf),
            Compressed::Gzip(e) => e.write(buf),
            Compressed::Xz(e) => e.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Compressed::Plain(w) => w.flush(),
            Compressed::Gzip(e) => e.flush(),
            Compressed::Xz(e) => e.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arpa::open_input;

    #[test]
    fn every_compression_reads_back_through_open_input() {
        let text: Vec<u8> = (0..50_000u32)
            .flat_map(|i| format!("{i} ").into_bytes())
            .collect();
        let dir = tempfile::tempdir().unwrap();
        for name in ["t.txt", "t.txt.gz", "t.txt.xz"] {
            let path = dir.path().join(name);
            let compression = Compression::of_name(&path);
            let mut out = Compressed::new(std::fs::File::create(&path).unwrap(), compression, 1);
            out.write_all(&text).unwrap();
            out.finish().unwrap();
            let head = std::fs::read(&path).unwrap();
            assert_eq!(Compression::sniff(&head), compression, "{name}");
            let mut back = Vec::new();
            std::io::Read::read_to_end(&mut open_input(&path).unwrap().reader, &mut back).unwrap();
            assert_eq!(back, text, "{name}");
        }
    }
}
