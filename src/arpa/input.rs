//! Opening ARPA input: plain, gzip or xz, detected by magic bytes.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The compression of an input, as recognised from its first bytes.
///
/// ```
/// use dashlm::arpa::Compression;
/// assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
/// assert_eq!(Compression::sniff(b"\\data\\"), Compression::None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    None,
    /// gzip (`1f 8b`), possibly several concatenated members.
    Gzip,
    /// xz (`fd 37 7a 58 5a 00`).
    Xz,
}

impl Compression {
    /// Recognises the compression from the first bytes of a file.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else {
            Compression::None
        }
    }
}

/// A shared counter of compressed bytes read so far, for progress bars.
///
/// ```
/// let p = dashlm::arpa::Progress::default();
/// assert_eq!(p.bytes(), 0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Bytes of the underlying (possibly compressed) file consumed so far.
    pub fn bytes(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct CountingReader<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An opened input: a buffered decompressing reader plus facts for progress reporting.
pub struct Input {
    /// The decompressed text.
    pub reader: Box<dyn BufRead + Send>,
    /// Size of the file on disk (compressed size), when known.
    pub file_len: Option<u64>,
    /// Compressed bytes read so far.
    pub progress: Progress,
    /// The detected compression.
    pub compression: Compression,
}

/// Opens `path` (or standard input for `-`), detecting gzip and xz by magic bytes.
///
/// # Errors
/// Any I/O error opening or reading the first bytes of the file.
///
/// ```no_run
/// let input = dashlm::arpa::open_input("model.arpa.gz".as_ref()).unwrap();
/// ```
pub fn open_input(path: &Path) -> io::Result<Input> {
    let (raw, file_len): (Box<dyn Read + Send>, Option<u64>) = if path.as_os_str() == "-" {
        (Box::new(io::stdin()), None)
    } else {
        let file = File::open(path)?;
        let len = file.metadata().ok().map(|m| m.len());
        (Box::new(file), len)
    };
    let progress = Progress::default();
    let counting = CountingReader {
        inner: raw,
        progress: progress.clone(),
    };
    let mut buffered = BufReader::with_capacity(1 << 16, counting);
    let compression = Compression::sniff(buffered.fill_buf()?);
    let reader: Box<dyn BufRead + Send> = match compression {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(buffered),
        )),
        Compression::Xz => Box::new(BufReader::with_capacity(
            1 << 16,
            xz2::bufread::XzDecoder::new_multi_decoder(buffered),
        )),
    };
    Ok(Input {
        reader,
        file_len,
        progress,
        compression,
    })
}
