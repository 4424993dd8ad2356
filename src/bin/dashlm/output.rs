//! Where `dashlm rescore` writes a file ([`OutputFile`], compressed when its
//! name ends in `.gz` or `.xz`): prepared before the scoring and left as it
//! was when the run fails; a directory of lists ([`Written::dir`]) is
//! written by the library's writers and put in place with the files.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use dashlm::arpa::{Compressed, Compression};
use dashlm::atomic::{Pending, PendingDir};

/// A file output (the JSONL lists, the best text), opened before the
/// scoring so that a path that cannot be written fails first; every error
/// writing it names it. `-` is standard output. A name ending in `.gz` or
/// `.xz` is written compressed, as gzip or xz (level 6 each;
/// [`Compression::of_name`]): the readers (`--input`, `--refs`, `dashlm wer`)
/// recognise either by its first bytes, so it reads back as written.
///
/// A file is written whole or not at all: as a temporary file beside it
/// (without a name on Linux), renamed into place once complete
/// ([`dashlm::atomic::PendingFile`]), so an error, Ctrl-C, SIGTERM or SIGHUP
/// leaves an existing file as it was and creates none. A FIFO or device is
/// written directly.
pub struct OutputFile {
    name: String,
    sink: Sink,
    compression: Compression,
}

/// Where an [`OutputFile`] writes.
enum Sink {
    Stdout,
    /// A device.
    Direct(File),
    /// A FIFO, opened when written: opening one waits for its reader, so
    /// outputs opened up front would keep a reader of one from getting the
    /// other first.
    Fifo(PathBuf),
    /// A regular file, new or replaced.
    Pending(dashlm::atomic::PendingFile),
}

impl OutputFile {
    /// Prepares `path` for writing: standard output for `-`; a device
    /// opened; a FIFO left to [`OutputFile::write`] (whose open waits for a
    /// reader); else a temporary file beside `path` (an existing file must
    /// be writable: it is opened to check, not changed).
    pub fn open(path: &Path) -> io::Result<OutputFile> {
        let compression = Compression::of_name(path);
        if super::load::is_dash(path) {
            return Ok(OutputFile {
                name: "standard output".into(),
                sink: Sink::Stdout,
                compression: Compression::None,
            });
        }
        let name = path.display().to_string();
        let named = |e| super::load::named(&name, e);
        let existing = std::fs::metadata(path).ok();
        let special = existing.as_ref().map(Special::of);
        let sink = if special == Some(Special::Fifo) {
            Sink::Fifo(path.to_path_buf())
        } else if special == Some(Special::Socket) {
            // Opening one by name (`/proc/self/fd/1` when standard output is
            // a socket) fails with `No such device or address`.
            let what = "a socket, which cannot be opened by name: for standard output give `-`";
            return Err(named(io::Error::new(io::ErrorKind::InvalidInput, what)));
        } else if existing.as_ref().is_some_and(|m| !m.is_file()) {
            // A directory fails here, as it should (`Is a directory`).
            Sink::Direct(File::options().write(true).open(path).map_err(named)?)
        } else {
            if existing.is_some() {
                drop(File::options().write(true).open(path).map_err(named)?);
            }
            Sink::Pending(dashlm::atomic::PendingFile::create(path).map_err(named)?)
        };
        Ok(OutputFile {
            name,
            sink,
            compression,
        })
    }

    /// What errors name it: its path, or `standard output`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Writes with `write` (through a buffer, and the compressor the name
    /// asks for) and flushes, ending the compressed stream; a file is put in
    /// place by [`Written::commit_together`]. Any error, the writers' refusals
    /// included, is named by the output.
    pub fn write(
        self,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<Written> {
        let c = self.compression;
        let (written, pending) = match self.sink {
            Sink::Stdout => (write_through(io::stdout().lock(), c, write), None),
            Sink::Direct(file) => (write_through(file, c, write), None),
            Sink::Fifo(path) => {
                let opened = File::options().write(true).open(path);
                (opened.and_then(|file| write_through(file, c, write)), None)
            }
            Sink::Pending(p) => (write_through(p.file(), c, write), Some(p)),
        };
        match written {
            Ok(()) => Ok(Written(pending.map(Pending::File))),
            Err(e) => Err(super::load::named(&self.name, e)),
        }
    }
}

/// An output written in full: a file ([`OutputFile::write`]) or a
/// directory of lists ([`Written::dir`]) still under its temporary name
/// until [`Written::commit_together`] (dropped, it is removed), so that the
/// outputs are put in place together, once all are written.
pub struct Written(Option<Pending>);

impl Written {
    /// A directory written in full under its temporary name.
    pub fn dir(dir: PendingDir) -> Written {
        Written(Some(Pending::Dir(dir)))
    }

    /// Puts the outputs of `written` in place together
    /// ([`dashlm::atomic::commit_together`]: a signal leaves all or none;
    /// errors name the output). Standard output, a FIFO or a device has
    /// nothing to put in place.
    pub fn commit_together(written: impl IntoIterator<Item = Written>) -> io::Result<()> {
        dashlm::atomic::commit_together(written.into_iter().filter_map(|w| w.0))
    }
}

/// What kind of file that is neither regular nor a directory `meta`
/// describes, where it matters to opening it by name.
#[derive(PartialEq)]
enum Special {
    Fifo,
    Socket,
    Other,
}

impl Special {
    fn of(meta: &std::fs::Metadata) -> Special {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            let kind = meta.file_type();
            if kind.is_fifo() {
                return Special::Fifo;
            }
            if kind.is_socket() {
                return Special::Socket;
            }
        }
        let _ = meta;
        Special::Other
    }
}

/// Writes with `write` to `sink` through a buffer and the compressor
/// `compression` names, then flushes, ending the compressed stream.
fn write_through<W: Write>(
    sink: W,
    compression: Compression,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut out = BufWriter::new(Compressed::new(sink, compression, 6));
    write(&mut out)?;
    let compressed = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    compressed.finish().map(drop)
}
