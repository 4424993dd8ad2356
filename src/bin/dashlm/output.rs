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
/// Until it is written, an error elsewhere leaves the file as it was: an
/// existing file is emptied only when the writing starts, and a file this
/// run created is removed again (also when writing it fails, and on Ctrl-C,
/// SIGTERM or SIGHUP before it is complete).
pub struct OutputFile {
    name: String,
    /// The open file (`None`: standard output).
    file: Option<File>,
    compression: Compression,
    /// The file's path if this run created it, removed by a signal too until
    /// the file is written.
    created: Option<(PathBuf, dashlm::atomic::RemovedOnInterrupt)>,
}

impl OutputFile {
    /// Opens `path` for writing, creating it if needed (not truncating it);
    /// standard output for `-`.
    pub fn open(path: &Path) -> io::Result<OutputFile> {
        if super::load::is_dash(path) {
            let name = "standard output".into();
            return Ok(OutputFile {
                name,
                file: None,
                compression: Compression::None,
                created: None,
            });
        }
        let name = path.display().to_string();
        let existed = path.exists();
        let file = File::options()
            .write(true)
            .create(true)
            // Emptied when written: an error before that keeps what it holds.
            .truncate(false)
            .open(path)
            .map_err(|e| super::load::named(&name, e))?;
        let created = (!existed).then(|| {
            (
                path.to_path_buf(),
                dashlm::atomic::RemovedOnInterrupt::new(path),
            )
        });
        Ok(OutputFile {
            name,
            file: Some(file),
            compression: Compression::of_name(path),
            created,
        })
    }

    /// What errors name it: its path, or `standard output`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Empties the file (a regular file: not a FIFO or device), writes with
    /// `write` (through a buffer, and the compressor the name asks for),
    /// then flushes, ending the compressed stream; any error, the writers'
    /// refusals included, named by the output.
    pub fn write(mut self, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
        let result = (|| {
            let sink: Box<dyn Write> = match self.file.take() {
                None => Box::new(io::stdout().lock()),
                Some(file) => {
                    if file.metadata()?.is_file() {
                        file.set_len(0)?;
                    }
                    Box::new(file)
                }
            };
            // Standard output's compression is `None`: passed through.
            let mut out = BufWriter::new(Compressed::new(sink, self.compression, 6));
            write(&mut out)?;
            let compressed = out.into_inner().map_err(io::IntoInnerError::into_error)?;
            compressed.finish().map(drop)
        })()
        .map_err(|e| super::load::named(&self.name, e));
        if result.is_ok() {
            self.created = None;
        }
        result
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if let Some((path, _signal)) = self.created.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A directory output (`srilm`, `kaldi`) created before the scoring when it
/// did not exist, so that a path that cannot be created fails first; removed
/// again (if still empty), with the parent directories created for it, when
/// the run fails before the lists are written into its place.
pub struct NewDir(Vec<PathBuf>);

impl NewDir {
    /// Creates `dir` and the parents it lacks.
    pub fn create(dir: &Path) -> io::Result<NewDir> {
        // The directories to create, the output first, then its parents up to
        // the first that exists.
        let created: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err())
            .map(Path::to_path_buf)
            .collect();
        let mut new = NewDir(Vec::new());
        if created.is_empty() {
            return Ok(new);
        }
        let result = std::fs::create_dir_all(dir);
        // Those made before an error are removed too.
        new.0 = created;
        result.map_err(|e| super::load::named(&dir.display().to_string(), e))?;
        Ok(new)
    }
}

impl Drop for NewDir {
    fn drop(&mut self) {
        for dir in self.0.drain(..) {
            // Fails, as it should, once the lists are there (and then for
            // every parent, which holds it).
            let _ = std::fs::remove_dir(dir);
        }
    }
}
