//! Opening ARPA input: plain, gzip or xz, detected by magic bytes.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
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
    ///
    /// ```
    /// use dashlm::arpa::Compression;
    /// assert_eq!(Compression::sniff(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]), Compression::Xz);
    /// assert_eq!(Compression::sniff(&[0x1f, 0x8b]), Compression::Gzip);
    /// assert_eq!(Compression::sniff(b""), Compression::None);
    /// ```
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

/// The name of a compression that `head` starts with and that is not read
/// (zstd, bzip2, lz4), so that such a file is named as what it is rather than
/// read as text with NUL bytes. bzip2 is recognised by its stream header and
/// the start of its first block's magic (`BZh9` then `1AY&`), which text is
/// most unlikely to begin with.
fn unsupported_compression(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("zstd")
    } else if head.len() >= 8
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && &head[4..8] == b"1AY&"
    {
        Some("bzip2")
    } else if head.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
        Some("lz4")
    } else {
        None
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
    ///
    /// ```
    /// use std::io::Read;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("lm.arpa");
    /// std::fs::write(&path, "\\data\\\n").unwrap();
    /// let mut input = dashlm::arpa::open_input(&path).unwrap();
    /// let progress = input.progress.clone();
    /// input.reader.read_to_end(&mut Vec::new()).unwrap();
    /// assert_eq!(progress.bytes(), 7);
    /// ```
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
///
/// ```
/// use std::io::BufRead;
/// use dashlm::arpa::{open_input, Compression};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("lm.arpa");
/// std::fs::write(&path, "\\data\\\nngram 1=3\n").unwrap();
/// let input = open_input(&path).unwrap();
/// assert_eq!((input.compression, input.file_len), (Compression::None, Some(17)));
/// assert_eq!(input.head, b"\\data\\\nn");
/// assert_eq!(input.reader.lines().count(), 2);
/// ```
pub struct Input {
    /// The decompressed text.
    pub reader: Box<dyn BufRead + Send>,
    /// Size of the file on disk (compressed size) when it is a regular file
    /// (`None` for standard input, a pipe or a FIFO).
    pub file_len: Option<u64>,
    /// Compressed bytes read so far.
    pub progress: Progress,
    /// The detected compression.
    pub compression: Compression,
    /// The first [`HEAD_BYTES`] bytes of the input as stored (before any
    /// decompression), fewer only when the input is shorter: for telling
    /// other formats by their magic bytes. `reader` still reads them.
    pub head: Vec<u8>,
}

/// How many bytes [`Input::head`] holds: enough for every magic number the
/// crate recognises (gzip's 2, xz's 6, a compiled model's 8).
///
/// ```
/// assert_eq!(dashlm::arpa::HEAD_BYTES, dashlm::format::MAGIC.len());
/// ```
pub const HEAD_BYTES: usize = 8;

/// Opens `path` (or standard input for `-`), detecting gzip and xz by magic bytes.
///
/// # Errors
/// Any I/O error opening or reading the first bytes of the file.
///
/// ```
/// use dashlm::arpa::{open_input, Compression};
/// // gzip data, told by its magic bytes (not its name).
/// let input = open_input("data/arpa/quirk-gzip.arpa".as_ref()).unwrap();
/// assert_eq!(input.compression, Compression::Gzip);
/// let set = dashlm::arpa::NGramSet::read(input.reader, "quirk-gzip.arpa").unwrap();
/// assert_eq!(set.order(), 3);
/// assert!(open_input("data/arpa/no-such-file.arpa".as_ref()).is_err());
/// ```
pub fn open_input(path: &Path) -> io::Result<Input> {
    if path.as_os_str() == "-" {
        return Input::new(Box::new(io::stdin()), None);
    }
    Input::from_file(File::open(path)?)
}

/// [`open_input`] for a model (ARPA or compiled): a regular file, a FIFO or
/// pipe (`<(zcat lm.arpa.gz)`), or standard input for `-`; a directory,
/// socket or device is refused by name ([`crate::format::open_model_file`]).
///
/// # Errors
/// As [`open_input`], and what [`crate::format::open_model_file`] refuses.
///
/// ```
/// use dashlm::arpa::open_model_input;
/// assert!(open_model_input("data/tiny.arpa".as_ref()).is_ok());
/// let err = open_model_input("data".as_ref()).err().unwrap();
/// assert_eq!(err.to_string(), "is a directory, not a model file");
/// ```
pub fn open_model_input(path: &Path) -> io::Result<Input> {
    if path.as_os_str() == "-" {
        return Input::new(Box::new(io::stdin()), None);
    }
    Input::from_file(crate::format::open_model_file(path, true)?)
}

/// How messages name the input `path`: `standard input` for `-` (which
/// [`open_input`] reads as standard input), else the path.
///
/// ```
/// use std::path::Path;
/// assert_eq!(dashlm::arpa::input_name(Path::new("-")), "standard input");
/// assert_eq!(dashlm::arpa::input_name(Path::new("./-")), "./-");
/// assert_eq!(dashlm::arpa::input_name(Path::new("lm.arpa")), "lm.arpa");
/// ```
pub fn input_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        path.display().to_string()
    }
}

impl Input {
    /// [`Input::new`] on an open file: its length is known when it is a
    /// regular file (not a FIFO or pipe).
    ///
    /// # Errors
    /// Any I/O error reading the first bytes; [`io::ErrorKind::InvalidData`]
    /// for a zstd, bzip2 or lz4 file, named as such (only gzip and xz are read).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("lm.arpa");
    /// std::fs::write(&path, "\\data\\\n").unwrap();
    /// let input = dashlm::arpa::Input::from_file(std::fs::File::open(&path).unwrap()).unwrap();
    /// assert_eq!(input.file_len, Some(7));
    /// ```
    pub fn from_file(file: File) -> io::Result<Input> {
        let len = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        Input::new(Box::new(file), len)
    }

    /// Reads from `raw` (a file of `file_len` bytes, when known), detecting
    /// gzip and xz by magic bytes. The first bytes are read once, whole even
    /// from a pipe that delivers them a few at a time, and handed to the
    /// reader again: standard input, a FIFO or a pipe is read only once.
    ///
    /// # Errors
    /// Any I/O error reading the first bytes.
    ///
    /// ```
    /// use std::io::Read;
    /// use dashlm::arpa::{Compression, Input};
    /// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    /// std::io::Write::write_all(&mut gz, b"\\data\\\n").unwrap();
    /// let bytes = gz.finish().unwrap();
    /// // One byte a read, as a slow pipe may give them.
    /// let trickle = std::io::BufReader::with_capacity(1, std::io::Cursor::new(bytes));
    /// let mut input = Input::new(Box::new(trickle), None).unwrap();
    /// assert_eq!((input.compression, &input.head[..2]), (Compression::Gzip, &[0x1f, 0x8b][..]));
    /// let mut text = String::new();
    /// input.reader.read_to_string(&mut text).unwrap();
    /// assert_eq!(text, "\\data\\\n");
    /// ```
    pub fn new(raw: Box<dyn Read + Send>, file_len: Option<u64>) -> io::Result<Input> {
        let progress = Progress::default();
        let mut counting = CountingReader {
            inner: raw,
            progress: progress.clone(),
        };
        let mut head = Vec::with_capacity(HEAD_BYTES);
        (&mut counting)
            .take(HEAD_BYTES as u64)
            .read_to_end(&mut head)?;
        if let Some(format) = unsupported_compression(&head) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{format}-compressed, which is not read (gzip and xz are): decompress it \
                     first, or recompress it with gzip or xz"
                ),
            ));
        }
        let compression = Compression::sniff(&head);
        let whole = io::Cursor::new(head.clone()).chain(counting);
        let buffered = BufReader::with_capacity(1 << 16, whole);
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
            head,
        })
    }

    /// The text, decompressed on a second thread when the input is compressed
    /// (plain text is returned as is): parsing and decompression then overlap.
    ///
    /// ```
    /// use std::io::Read;
    /// let path = std::env::temp_dir().join("dashlm-doc-threaded.gz");
    /// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    /// std::io::Write::write_all(&mut gz, b"\\data\\\n").unwrap();
    /// std::fs::write(&path, gz.finish().unwrap()).unwrap();
    /// let mut text = String::new();
    /// dashlm::arpa::open_input(&path).unwrap().into_threaded().read_to_string(&mut text).unwrap();
    /// assert_eq!(text, "\\data\\\n");
    /// ```
    pub fn into_threaded(self) -> Box<dyn BufRead + Send> {
        if self.compression == Compression::None {
            return self.reader;
        }
        let (tx, rx) = sync_channel(4);
        let (back, recycled) = sync_channel(4);
        let mut reader = self.reader;
        std::thread::spawn(move || produce(&mut reader, &tx, &recycled));
        Box::new(Threaded {
            rx,
            back,
            buf: Vec::new(),
            pos: 0,
            done: false,
        })
    }
}

/// Bytes per chunk handed from the decompressing thread to the reader.
const CHUNK: usize = 1 << 20;

/// The decompressing thread: fills chunks (recycled ones when available) until
/// end of input, an error (sent after the bytes read before it), or the
/// reader is dropped.
fn produce(
    reader: &mut dyn Read,
    tx: &SyncSender<io::Result<Vec<u8>>>,
    recycled: &Receiver<Vec<u8>>,
) {
    loop {
        let mut chunk = recycled.try_recv().unwrap_or_default();
        chunk.resize(CHUNK, 0);
        let mut filled = 0;
        while filled < CHUNK {
            match reader.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // The bytes read before the error first, as a reader
                    // of the stream itself would get them.
                    chunk.truncate(filled);
                    if filled == 0 || tx.send(Ok(chunk)).is_ok() {
                        let _ = tx.send(Err(e));
                    }
                    return;
                }
            }
        }
        chunk.truncate(filled);
        if filled == 0 || tx.send(Ok(chunk)).is_err() {
            return;
        }
    }
}

/// The reading end of [`Input::into_threaded`].
struct Threaded {
    rx: Receiver<io::Result<Vec<u8>>>,
    back: SyncSender<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for Threaded {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Threaded {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.buf.len() && !self.done {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let old = std::mem::replace(&mut self.buf, chunk);
                    let _ = self.back.try_send(old);
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                // The thread ended: end of input.
                Err(_) => self.done = true,
            }
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}
