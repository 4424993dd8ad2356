//! Outputs that are files: a file written whole ([`PendingFile`],
//! [`write_file`]).

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{cannot_create, hidden, made_temporary, parent_of, sync_parent, Kind, Listed};

/// A file being written under a hidden temporary name beside its
/// destination ([`PendingFile::create`]), renamed over it by
/// [`PendingFile::commit`]; dropped uncommitted (an error, a panic), or on
/// Ctrl-C, SIGTERM or SIGHUP ([`remove_unfinished`](super::remove_unfinished)), the temporary file is
/// removed and the destination left as it was.
///
/// It is created with the permissions of the regular file it replaces, else
/// ordinary ones (`0666` less the umask). A symbolic link at the destination
/// is replaced, not followed; a name standing for an open file descriptor
/// (`/dev/stdout`, `/proc/self/fd/1`) is refused.
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("best.txt");
/// std::fs::write(&path, "old\n").unwrap();
/// let pending = dashlm::atomic::PendingFile::create(&path).unwrap();
/// pending.file().write_all(b"new\n").unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n"); // not yet
/// pending.commit().unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
/// // Dropped before its commit: nothing changes, nothing is left beside it.
/// let pending = dashlm::atomic::PendingFile::create(&path).unwrap();
/// pending.file().write_all(b"half").unwrap();
/// drop(pending);
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
/// assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
/// ```
pub struct PendingFile {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
    /// [`PendingFile::sync`] was called: nothing is written after it.
    synced: bool,
    _listed: Listed,
}

impl PendingFile {
    /// A temporary file in `path`'s directory, to become `path`.
    ///
    /// # Errors
    /// The temporary file cannot be created (the message names the
    /// directory); `path` ends with `/`, is a directory or a link to one (a
    /// rename could not replace it, or would replace the link), or stands
    /// for an open file descriptor
    /// ([`io::ErrorKind::InvalidInput`]).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let missing = dir.path().join("no/such/dir/out.txt");
    /// let err = dashlm::atomic::PendingFile::create(&missing).err().unwrap();
    /// assert!(err.to_string().starts_with("cannot create a file in "), "{err}");
    /// let err = dashlm::atomic::PendingFile::create(dir.path()).err().unwrap();
    /// assert_eq!(err.to_string(), "is a directory, not a file to write");
    /// ```
    pub fn create(path: &Path) -> io::Result<PendingFile> {
        if path.to_string_lossy().ends_with(std::path::is_separator) {
            let what = "a file name, not a directory, is expected (the name ends with `/`)";
            return Err(io::Error::new(io::ErrorKind::InvalidInput, what));
        }
        if let Some(fd) = descriptor_link(path) {
            let what = format!(
                "a link to an open file descriptor ({}), which the file written whole would \
                 replace rather than write through: name the file itself (or `-` for standard \
                 output, where a command takes it)",
                fd.display()
            );
            return Err(io::Error::new(io::ErrorKind::InvalidInput, what));
        }
        // A link to a directory too: replacing the link by a file is not what
        // a name that reads as a directory asks for (`build-lm` refuses it
        // alike).
        if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            let what = "is a directory, not a file to write";
            return Err(io::Error::new(io::ErrorKind::InvalidInput, what));
        }
        let dir = parent_of(path);
        let (tmp, listed) = made_temporary(
            || hidden(0o666).tempfile_in(dir),
            tempfile::NamedTempFile::path,
        )
        .map_err(|e| cannot_create("file", dir, e))?;
        // The replaced file's permissions (a file given 0600 stays private).
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_file() => tmp.as_file().set_permissions(m.permissions())?,
            _ => {}
        }
        Ok(PendingFile {
            tmp,
            path: path.to_path_buf(),
            synced: false,
            _listed: listed,
        })
    }

    /// The temporary file, to write to.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let pending = dashlm::atomic::PendingFile::create(&dir.path().join("x")).unwrap();
    /// assert_eq!(pending.file().metadata().unwrap().len(), 0);
    /// ```
    pub fn file(&self) -> &File {
        self.tmp.as_file()
    }

    /// The directory the file is written in (for spill files of the
    /// writer's own).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let pending = dashlm::atomic::PendingFile::create(&dir.path().join("x")).unwrap();
    /// assert_eq!(pending.dir(), dir.path());
    /// ```
    pub fn dir(&self) -> &Path {
        parent_of(&self.path)
    }

    /// Syncs the file to disk (its writer flushed first by the caller; the
    /// file is complete: nothing more may be written), so that a
    /// [`PendingFile::commit`] after it is only a rename: for outputs put in
    /// place together.
    ///
    /// # Errors
    /// The operating system's.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let mut pending = dashlm::atomic::PendingFile::create(&dir.path().join("x")).unwrap();
    /// pending.sync().unwrap();
    /// pending.commit().unwrap();
    /// ```
    pub fn sync(&mut self) -> io::Result<()> {
        self.tmp.as_file().sync_all()?;
        self.synced = true;
        Ok(())
    }

    /// Syncs the file (its writer flushed first by the caller), unless
    /// [`PendingFile::sync`] did, renames it over the destination and syncs
    /// the directory holding it (so the rename outlives a power cut).
    ///
    /// # Errors
    /// Any I/O error syncing or renaming.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("x");
    /// dashlm::atomic::PendingFile::create(&path).unwrap().commit().unwrap();
    /// assert!(path.is_file());
    /// ```
    pub fn commit(self) -> io::Result<()> {
        if !self.synced {
            self.tmp.as_file().sync_all()?;
        }
        self.tmp.persist(&self.path).map_err(|e| e.error)?;
        sync_parent(&self.path);
        Ok(())
    }

    /// The destination.
    pub(super) fn destination(&self) -> &Path {
        &self.path
    }

    /// The temporary file's path (for tests of the list).
    #[cfg(test)]
    pub(super) fn temporary(&self) -> &Path {
        self.tmp.path()
    }

    /// Syncs the file unless [`PendingFile::sync`] did.
    pub(super) fn sync_once(&mut self) -> io::Result<()> {
        if self.synced {
            return Ok(());
        }
        self.sync()
    }

    /// Renamed over the destination if `rename`, else removed; taken off
    /// `list` (the locked list) either way.
    pub(super) fn finish_listed(
        self,
        rename: bool,
        list: &mut Vec<(PathBuf, Kind)>,
    ) -> io::Result<()> {
        let PendingFile {
            tmp, path, _listed, ..
        } = self;
        // Unless persisted, the temporary file is removed when dropped.
        let result = if rename {
            (tmp.persist(&path).map(drop).map_err(|e| e.error)).map(|()| sync_parent(&path))
        } else {
            Ok(())
        };
        _listed.unlist(list);
        result
    }
}

/// The `/proc/<pid>/fd/<n>` entry `path` is or leads to through symbolic
/// links (`/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`), if any: renaming a
/// file over such a name would replace the link (as root, `/dev/stdout`
/// itself), not write the open file it stands for.
fn descriptor_link(path: &Path) -> Option<PathBuf> {
    let mut p = path.to_path_buf();
    // As many links as the system follows.
    for _ in 0..40 {
        let dir = fs::canonicalize(parent_of(&p)).ok()?;
        if dir.starts_with("/proc") && dir.file_name() == Some("fd".as_ref()) {
            return Some(p);
        }
        // An absolute target replaces the directory joined.
        p = parent_of(&p).join(fs::read_link(&p).ok()?);
    }
    None
}

/// Writes file `path` whole through a [`PendingFile`]: `write` gets a
/// buffered writer on the temporary file (and its directory, for any spill
/// files of its own). When it returns `Some`, the file is flushed and
/// committed; when it returns `None` or an error, the temporary file is
/// removed and `path` is left as it was.
///
/// # Errors
/// `write`'s errors, and any I/O error creating, syncing or renaming the file.
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("lm.txt");
/// let len = dashlm::atomic::write_file(&path, |out, _| {
///     out.write_all(b"text\n")?;
///     Ok(Some(5))
/// });
/// assert_eq!(len.unwrap(), Some(5));
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "text\n");
/// // `None`: nothing is written.
/// let none = dashlm::atomic::write_file(&dir.path().join("x"), |_, _| Ok(None::<()>));
/// assert_eq!(none.unwrap(), None);
/// assert!(!dir.path().join("x").exists());
/// ```
pub fn write_file<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>, &Path) -> io::Result<Option<T>>,
) -> io::Result<Option<T>> {
    let pending = PendingFile::create(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, pending.file());
    let Some(value) = write(&mut out, pending.dir())? else {
        return Ok(None);
    };
    out.flush()?;
    drop(out);
    pending.commit()?;
    Ok(Some(value))
}
