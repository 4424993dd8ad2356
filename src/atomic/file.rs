//! Outputs that are files: a file written whole ([`PendingFile`],
//! [`write_file`]).

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{
    cannot_create, hidden, made_temporary, parent_of, sync_parent, unfinished, Kind, Listed,
};

/// A file being written beside its destination ([`PendingFile::create`])
/// and renamed over it by [`PendingFile::commit`]; dropped uncommitted (an
/// error, a panic), or on Ctrl-C, SIGTERM or SIGHUP
/// ([`remove_unfinished`](super::remove_unfinished)), the temporary file is
/// removed and the destination left as it was.
///
/// On Linux the file has no name while it is written (`O_TMPFILE` in the
/// destination's directory): a process killed without unwinding (SIGKILL,
/// the OOM killer, an allocation failure's abort) leaves nothing behind,
/// the kernel freeing the file with its last descriptor. At the commit it
/// is linked under a hidden temporary name (`.dashlm-*`, through
/// `/proc/self/fd`) and renamed over the destination at once, while no
/// signal's cleanup can run. Where the file system refuses `O_TMPFILE`, or
/// `/proc` is not mounted, and on other targets, it is written under the
/// hidden temporary name from the start, which a SIGKILL then leaves behind.
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
    tmp: Temporary,
    path: PathBuf,
    /// [`PendingFile::sync`] was called: nothing is written after it.
    synced: bool,
}

/// Where a [`PendingFile`] is written.
enum Temporary {
    /// A file without a name (Linux's `O_TMPFILE`), linked at the commit.
    #[cfg(target_os = "linux")]
    Unnamed(File),
    /// A file under a hidden name, listed for a signal to remove.
    Named(tempfile::NamedTempFile, Listed),
}

impl Temporary {
    fn file(&self) -> &File {
        match self {
            #[cfg(target_os = "linux")]
            Temporary::Unnamed(file) => file,
            Temporary::Named(tmp, _) => tmp.as_file(),
        }
    }

    /// A temporary file in `dir`: unnamed where the system makes one, else
    /// named and listed.
    fn create(dir: &Path) -> io::Result<Temporary> {
        #[cfg(target_os = "linux")]
        if !named_only() {
            if let Some(file) = unnamed::create(dir) {
                return Ok(Temporary::Unnamed(file));
            }
        }
        let (tmp, listed) = made_temporary(
            || hidden(0o666).tempfile_in(dir),
            tempfile::NamedTempFile::path,
        )
        .map_err(|e| cannot_create("file", dir, e))?;
        Ok(Temporary::Named(tmp, listed))
    }

    /// Removes the file (an unnamed one is gone when closed), taking it off
    /// `list`, the locked list.
    fn discard(self, list: &mut Vec<(PathBuf, Kind)>) {
        match self {
            #[cfg(target_os = "linux")]
            Temporary::Unnamed(_) => {}
            Temporary::Named(tmp, listed) => {
                drop(tmp);
                listed.unlist(list);
            }
        }
    }

    /// Renames the file over `path` (an unnamed one linked first), and takes
    /// it off `list`, the locked list: a signal's cleanup, which waits for the
    /// list, finds the file in place or under its listed name, never under a
    /// name it does not know. Dropped, an unnamed file is gone; a named one
    /// not renamed is removed.
    fn persist(self, path: &Path, list: &mut Vec<(PathBuf, Kind)>) -> io::Result<()> {
        match self {
            #[cfg(target_os = "linux")]
            Temporary::Unnamed(file) => unnamed::persist(&file, path),
            Temporary::Named(tmp, listed) => {
                let result = tmp.persist(path).map(drop).map_err(|e| e.error);
                listed.unlist(list);
                result
            }
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Set by a test of this thread: temporary files are named, as where the
    /// system makes no unnamed ones.
    pub(super) static NAMED_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(all(test, target_os = "linux"))]
fn named_only() -> bool {
    NAMED_ONLY.with(std::cell::Cell::get)
}

#[cfg(all(not(test), target_os = "linux"))]
fn named_only() -> bool {
    false
}

/// The unnamed temporary files of Linux (`O_TMPFILE`).
#[cfg(target_os = "linux")]
mod unnamed {
    use std::fs::{self, File};
    use std::io;
    use std::path::Path;
    use std::sync::atomic::{AtomicU64, Ordering};

    use rustix::fs::{AtFlags, Mode, OFlags, CWD};

    /// The name of `file`'s descriptor in `/proc`, linked to give it a name.
    fn proc_name(file: &File) -> String {
        use std::os::fd::AsRawFd;
        format!("/proc/self/fd/{}", file.as_raw_fd())
    }

    /// A file without a name in `dir`, with the permissions `File::create`
    /// gives (`0666` less the umask), or `None` where the system makes none
    /// (`EOPNOTSUPP`, `EISDIR`, `EINVAL` from a file system or kernel without
    /// `O_TMPFILE`) or it could not be linked at the commit (no `/proc`): any
    /// error, the named temporary file then tried reporting its own.
    pub(super) fn create(dir: &Path) -> Option<File> {
        let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(CWD, dir, flags, Mode::from_raw_mode(0o666)).ok()?;
        let file = File::from(fd);
        // The link made at the commit goes through it.
        fs::symlink_metadata(proc_name(&file)).ok()?;
        Some(file)
    }

    /// Links `file` under a new hidden name beside `path` and renames it
    /// over `path`; the name is removed if the rename fails.
    pub(super) fn persist(file: &File, path: &Path) -> io::Result<()> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = super::parent_of(path);
        let source = proc_name(file);
        let mut attempt = 0;
        let hidden = loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = dir.join(format!(".dashlm-{}-{n}", std::process::id()));
            match rustix::fs::linkat(CWD, &*source, CWD, &name, AtFlags::SYMLINK_FOLLOW) {
                Ok(()) => break name,
                Err(rustix::io::Errno::EXIST) if attempt < 100 => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        };
        fs::rename(&hidden, path).inspect_err(|_| {
            let _ = fs::remove_file(&hidden);
        })
    }
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
        let tmp = Temporary::create(parent_of(path))?;
        // The replaced file's permissions (a file given 0600 stays private).
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_file() => tmp.file().set_permissions(m.permissions())?,
            _ => {}
        }
        Ok(PendingFile {
            tmp,
            path: path.to_path_buf(),
            synced: false,
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
        self.tmp.file()
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
        self.tmp.file().sync_all()?;
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
    pub fn commit(mut self) -> io::Result<()> {
        self.sync_once()?;
        let PendingFile { tmp, path, .. } = self;
        tmp.persist(&path, &mut unfinished())?;
        sync_parent(&path);
        Ok(())
    }

    /// The destination.
    pub(super) fn destination(&self) -> &Path {
        &self.path
    }

    /// The temporary file's path, if it has one (for tests of the list).
    #[cfg(test)]
    pub(super) fn temporary(&self) -> Option<&Path> {
        match &self.tmp {
            #[cfg(target_os = "linux")]
            Temporary::Unnamed(_) => None,
            Temporary::Named(tmp, _) => Some(tmp.path()),
        }
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
        let PendingFile { tmp, path, .. } = self;
        if rename {
            tmp.persist(&path, list)?;
            sync_parent(&path);
        } else {
            tmp.discard(list);
        }
        Ok(())
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

/// Whether a [`PendingFile`] in `dir` has no name until its commit: Linux's
/// `O_TMPFILE` in `dir`'s file system, and `/proc` to link the file at the
/// commit (else the file is named, hidden, beside its destination). For the
/// tests that need it, in the library and outside.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let unnamed = dashlm::atomic::makes_unnamed_files(dir.path());
/// assert!(!unnamed || cfg!(target_os = "linux"));
/// ```
#[doc(hidden)]
pub fn makes_unnamed_files(dir: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        unnamed::create(dir).is_some()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        false
    }
}
