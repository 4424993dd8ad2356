//! Where `dashlm rescore` writes: a file ([`OutputFile`], compressed when its
//! name ends in `.gz` or `.xz`) or a directory it creates ([`NewDir`]), each
//! prepared before the scoring and left as it was when the run fails.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use dashlm::arpa::{Compressed, Compression};

/// A file output (the JSONL lists, the best text), opened before the
/// scoring so that a path that cannot be written fails first; every error
/// writing it names it. `-` is standard output. A name ending in `.gz` or
/// `.xz` is written compressed, as gzip or xz (level 6 each;
/// [`Compression::of_name`]): the readers (`--input`, `--refs`, `dashlm wer`)
/// recognise either by its first bytes, so it reads back as written.
///
/// A file is written whole or not at all: under a hidden temporary name
/// beside it, renamed into place once complete
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
    /// A FIFO or device.
    Direct(File),
    /// A regular file, new or replaced.
    Pending(dashlm::atomic::PendingFile),
}

impl OutputFile {
    /// Prepares `path` for writing: standard output for `-`; a FIFO or
    /// device opened; else a temporary file beside `path` (an existing file
    /// must be writable: it is opened to check, not changed).
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
        if path.as_os_str().as_encoded_bytes().ends_with(b"/") {
            let e = io::Error::new(
                io::ErrorKind::InvalidInput,
                "a file name, not a directory, is expected (the name ends with `/`)",
            );
            return Err(named(e));
        }
        let existing = std::fs::metadata(path).ok();
        let sink = match existing {
            Some(m) if !m.is_file() => {
                // A directory fails here, as it should (`Is a directory`).
                Sink::Direct(File::options().write(true).open(path).map_err(named)?)
            }
            Some(_) => {
                drop(File::options().write(true).open(path).map_err(named)?);
                Sink::Pending(dashlm::atomic::PendingFile::create(path).map_err(named)?)
            }
            None => Sink::Pending(dashlm::atomic::PendingFile::create(path).map_err(named)?),
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
    /// asks for), flushes, ending the compressed stream, and puts a file in
    /// place; any error, the writers' refusals included, named by the output.
    pub fn write(self, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
        let c = self.compression;
        match self.sink {
            Sink::Stdout => write_through(io::stdout().lock(), c, write),
            Sink::Direct(file) => write_through(file, c, write),
            Sink::Pending(p) => write_through(p.file(), c, write).and_then(|()| p.commit()),
        }
        .map_err(|e| super::load::named(&self.name, e))
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

/// A directory output (`srilm`, `kaldi`) created before the scoring when it
/// did not exist, so that a path that cannot be created fails first; removed
/// again (if still empty), with the parent directories created for it, when
/// the run fails before the lists are written into its place, or on Ctrl-C,
/// SIGTERM or SIGHUP ([`dashlm::atomic::RemovedOnInterrupt`]).
pub struct NewDir(Vec<(PathBuf, dashlm::atomic::RemovedOnInterrupt)>);

impl NewDir {
    /// Creates `dir` and the parents it lacks.
    pub fn create(dir: &Path) -> io::Result<NewDir> {
        // The directories to create, the output first, then its parents up to
        // the first that exists; those made before an error are removed too.
        let new = NewDir(
            dir.ancestors()
                .take_while(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err())
                .map(|d| (d.to_path_buf(), dashlm::atomic::RemovedOnInterrupt::new(d)))
                .collect(),
        );
        if !new.0.is_empty() {
            std::fs::create_dir_all(dir)
                .map_err(|e| super::load::named(&dir.display().to_string(), e))?;
        }
        Ok(new)
    }
}

impl Drop for NewDir {
    fn drop(&mut self) {
        for (dir, _signal) in self.0.drain(..) {
            // Fails, as it should, once the lists are there (and then for
            // every parent, which holds it).
            let _ = std::fs::remove_dir(dir);
        }
    }
}
