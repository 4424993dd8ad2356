//! Outputs that appear whole or not at all: a file or a directory is written
//! beside its destination under a hidden temporary name and renamed into place
//! once complete, so an error (or a crash) never leaves half an output where
//! the output belongs. `build-lm`, `dashlm dump -o` and the SRILM and Kaldi
//! n-best writers go through here.
//!
//! Errors are the operating system's, not prefixed with the destination (the
//! callers name it), except that a temporary file or directory that cannot be
//! created names the directory it was to be created in.
//!
//! The temporary names in use are kept in a list, so that a program stopped by
//! Ctrl-C (SIGINT), SIGTERM or SIGHUP can remove them ([`remove_unfinished`];
//! the command-line programs install [`remove_unfinished_on_interrupt`], which
//! then exits with status 128 plus the signal's number, as a shell reports a
//! process the signal killed) rather than leave a hidden, model-sized
//! `.dashlm-*` file behind.
//!
//! ```
//! use std::io::Write;
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("out.txt");
//! dashlm::atomic::write_file(&path, |out, _| out.write_all(b"old\n").map(Some)).unwrap();
//! // A write that fails leaves the old file as it was, and nothing beside it.
//! let failed = dashlm::atomic::write_file(&path, |out, _| -> std::io::Result<Option<()>> {
//!     out.write_all(b"half")?;
//!     Err(std::io::Error::other("disk full"))
//! });
//! assert_eq!(failed.unwrap_err().to_string(), "disk full");
//! assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
//! assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
//! ```

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// What a signal does with a listed path.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// A temporary file or directory: removed whole.
    Temporary,
    /// A directory made for an output: removed if still empty.
    EmptyDir,
}

/// The temporary files and directories being written, and the directories
/// made for outputs not yet in place.
static UNFINISHED: Mutex<Vec<(PathBuf, Kind)>> = Mutex::new(Vec::new());

fn unfinished() -> MutexGuard<'static, Vec<(PathBuf, Kind)>> {
    // A panic elsewhere while the list was held leaves it usable.
    UNFINISHED.lock().unwrap_or_else(|e| e.into_inner())
}

/// A path on the [`UNFINISHED`] list while this lives.
struct Listed(Option<PathBuf>);

impl Listed {
    /// Lists `path` in `list`, the locked [`UNFINISHED`] list. Creators make
    /// their path while they hold the list: a signal's handler holds it from
    /// its removals until the process ends, so a path is either made and
    /// listed before the handler looks, or never made.
    fn new(list: &mut Vec<(PathBuf, Kind)>, path: &Path, kind: Kind) -> Listed {
        list.push((path.to_path_buf(), kind));
        Listed(Some(path.to_path_buf()))
    }

    /// Takes the path off `list`, the locked list (dropping the guard would
    /// lock it again).
    fn unlist(mut self, list: &mut Vec<(PathBuf, Kind)>) {
        if let Some(path) = self.0.take() {
            if let Some(i) = list.iter().rposition(|(p, _)| *p == path) {
                list.remove(i);
            }
        }
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        if self.0.is_some() {
            let this = Listed(self.0.take());
            this.unlist(&mut unfinished());
        }
    }
}

/// The directories [`NewDirs::create`] made for an output that is not in
/// place yet (the output's own directory and the parents it lacked): removed
/// again, if still empty, when dropped (the run failed before the output
/// was put there) or by Ctrl-C, SIGTERM or SIGHUP ([`remove_unfinished`],
/// after the temporary outputs, the output's directory before its parents),
/// so neither leaves them behind. As `dashlm rescore` makes the directory of
/// its SRILM or Kaldi lists before scoring, so that a path that cannot be
/// made fails first.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let out = dir.path().join("a/b/lists");
/// let made = dashlm::atomic::NewDirs::create(&out).unwrap();
/// assert!(out.is_dir());
/// // What the handler of `remove_unfinished_on_interrupt` does on a signal:
/// assert_eq!(dashlm::atomic::remove_unfinished(), 3);
/// assert!(!dir.path().join("a").exists());
/// drop(made);
/// // Once the output is there, its directories stay.
/// let made = dashlm::atomic::NewDirs::create(&out).unwrap();
/// std::fs::write(out.join("u1.nbest"), "").unwrap();
/// drop(made);
/// assert!(out.join("u1.nbest").exists());
/// ```
pub struct NewDirs {
    /// The output's directory first, then its new parents.
    dirs: Vec<(PathBuf, Listed)>,
}

impl NewDirs {
    /// Creates `dir` and the parents it lacks (none if `dir` exists).
    ///
    /// # Errors
    /// Any I/O error creating them (those made before it are removed).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let file = dir.path().join("f");
    /// std::fs::write(&file, "").unwrap();
    /// assert!(dashlm::atomic::NewDirs::create(&file.join("lists")).is_err());
    /// ```
    pub fn create(dir: &Path) -> io::Result<NewDirs> {
        let mut list = unfinished();
        let dirs: Vec<(PathBuf, Listed)> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && fs::symlink_metadata(d).is_err())
            .map(|d| (d.to_path_buf(), Listed::new(&mut list, d, Kind::EmptyDir)))
            .collect();
        let made = if dirs.is_empty() {
            Ok(())
        } else {
            fs::create_dir_all(dir)
        };
        // Released before an error drops the guards (which take it).
        drop(list);
        let new = NewDirs { dirs };
        made.map(|()| new)
    }
}

impl Drop for NewDirs {
    fn drop(&mut self) {
        for (dir, _listed) in self.dirs.drain(..) {
            // Fails, as it should, once the output is there (and then for
            // every parent, which holds it).
            let _ = fs::remove_dir(dir);
        }
    }
}

/// A temporary file or directory a program made (a work directory of
/// intermediate files), removed whole by Ctrl-C, SIGTERM or SIGHUP
/// ([`remove_unfinished`]) while this guard lives; dropping the guard leaves
/// it to its owner (e.g. a [`tempfile::TempDir`] removing it on drop).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let work = dir.path().join("work");
/// std::fs::create_dir(&work).unwrap();
/// std::fs::write(work.join("model.arpa"), "...").unwrap();
/// let guard = dashlm::atomic::RemovedOnInterrupt::new(&work);
/// // What the handler of `remove_unfinished_on_interrupt` does on a signal:
/// assert_eq!(dashlm::atomic::remove_unfinished(), 1);
/// assert!(!work.exists());
/// drop(guard);
/// ```
pub struct RemovedOnInterrupt {
    _listed: Listed,
}

impl RemovedOnInterrupt {
    /// Puts `path` on the list of temporaries a signal removes, until
    /// dropped.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let guard = dashlm::atomic::RemovedOnInterrupt::new(dir.path());
    /// drop(guard); // the directory stays, for its owner to remove
    /// assert!(dir.path().exists());
    /// ```
    pub fn new(path: &Path) -> RemovedOnInterrupt {
        RemovedOnInterrupt {
            _listed: Listed::new(&mut unfinished(), path, Kind::Temporary),
        }
    }
}

/// Removes temporary directory `dir` while other threads may still be
/// writing into it: renamed first (their next file cannot be created there
/// then), then removed.
fn remove_temporary_dir(dir: &Path) -> bool {
    let mut gone = dir.as_os_str().to_owned();
    gone.push(".removed");
    let gone = PathBuf::from(gone);
    let target = if fs::rename(dir, &gone).is_ok() {
        gone.as_path()
    } else {
        dir
    };
    // A file created between the listing and the removal of the directory
    // (before the rename, or if it failed) makes it fail: list again.
    (0..100).any(|_| fs::remove_dir_all(target).is_ok())
}

/// Removes the temporary files and directories that [`write_file`],
/// [`PendingFile`] and [`write_dir`] are writing and those of
/// [`RemovedOnInterrupt`] guards, in any thread, then the
/// directories of [`NewDirs`] that are still empty, and
/// returns how many it removed: for a handler that then ends the process
/// (the writes go on failing or succeeding harmlessly until it does).
///
/// ```
/// // Nothing is being written here.
/// assert_eq!(dashlm::atomic::remove_unfinished(), 0);
/// ```
pub fn remove_unfinished() -> usize {
    remove_listed(&unfinished())
}

/// [`remove_unfinished`] of `list`, the locked list.
fn remove_listed(list: &[(PathBuf, Kind)]) -> usize {
    let temporary = list
        .iter()
        .filter(|(p, kind)| {
            *kind == Kind::Temporary && (fs::remove_file(p).is_ok() || remove_temporary_dir(p))
        })
        .count();
    let dirs = list
        .iter()
        .filter(|(p, kind)| *kind == Kind::EmptyDir && fs::remove_dir(p).is_ok())
        .count();
    temporary + dirs
}

/// Makes Ctrl-C (SIGINT), SIGTERM and SIGHUP remove the unfinished outputs
/// ([`remove_unfinished`]) and end the process with exit status 128 plus the
/// signal's number, the status a shell reports for a process the signal
/// killed: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. SIGXFSZ (a
/// write past `ulimit -f`) is caught too, so that the write fails with an
/// error (`File too large`) and the writer's own cleanup runs. A thread waits
/// for the signals (their handlers only wake it). A signal the process
/// started out ignoring (SIGHUP under `nohup`, SIGINT in a non-interactive
/// shell's background job) stays ignored. For programs; a library leaves
/// signals to its caller.
///
/// On other targets Ctrl-C (and, on Windows, closing the console) removes them
/// and exits with status 130.
///
/// # Errors
/// The operating system refused a handler, or the thread could not be started.
///
/// ```no_run
/// // First thing in `main`: a signal during a write removes the temporary
/// // output, and `kill -TERM` then gives exit status 143.
/// dashlm::atomic::remove_unfinished_on_interrupt().unwrap();
/// ```
pub fn remove_unfinished_on_interrupt() -> io::Result<()> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGXFSZ};
        // Past the file size limit (`ulimit -f`), SIGXFSZ would end the
        // process where it stands, leaving the temporary output; caught, the
        // write fails instead (EFBIG), and the failed write cleans up.
        static FILE_TOO_LARGE: std::sync::atomic::AtomicBool =
            std::sync::atomic::AtomicBool::new(false);
        signal_hook::flag::register(SIGXFSZ, &FILE_TOO_LARGE)?;
        let caught: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
            .into_iter()
            .filter(|&signal| !crate::format::signal_ignored(signal))
            .collect();
        if caught.is_empty() {
            return Ok(());
        }
        // The thread first: handlers installed without it would catch the
        // signals and do nothing, as if they were ignored.
        let (send, receive) = std::sync::mpsc::channel::<signal_hook::iterator::Signals>();
        std::thread::Builder::new()
            .name("dashlm-signals".into())
            .spawn(move || {
                let Ok(mut signals) = receive.recv() else {
                    return; // No handler was installed.
                };
                if let Some(signal) = signals.forever().next() {
                    // Held until the process ends: no output is made or
                    // listed after the removals, and a write that finishes
                    // meanwhile waits before taking its name off the list.
                    let list = unfinished();
                    remove_listed(&list);
                    std::process::exit(128 + signal);
                }
            })?;
        let signals = signal_hook::iterator::Signals::new(&caught)?;
        // The thread is waiting for it: this cannot fail.
        let _ = send.send(signals);
    }
    #[cfg(not(unix))]
    ctrlc::set_handler(|| {
        let list = unfinished();
        remove_listed(&list);
        std::process::exit(130);
    })
    .map_err(io::Error::other)?;
    Ok(())
}

/// A temporary file or directory made by `make` and listed ([`Kind::Temporary`],
/// its path given by `path`) while the list is held (see [`Listed::new`]).
fn made_temporary<T>(
    make: impl FnOnce() -> io::Result<T>,
    path: impl Fn(&T) -> &Path,
) -> io::Result<(T, Listed)> {
    let mut list = unfinished();
    let made = make()?;
    let listed = Listed::new(&mut list, path(&made), Kind::Temporary);
    Ok((made, listed))
}

/// The directory `path` is (to be) in.
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A temporary name beside the destination, created with `mode` (`0o666`
/// for a file, `0o777` for a directory: the permissions `File::create` and
/// `create_dir` give, less the umask), not a temporary file's owner-only ones.
fn hidden(mode: u32) -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".dashlm-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder
}

/// `err` from creating a temporary name in `dir`, saying so (tempfile's own
/// message ends with the random name, which tells the user nothing).
fn cannot_create(what: &str, dir: &Path, err: io::Error) -> io::Error {
    let message = err.to_string();
    let reason = message.split(" at path ").next().unwrap_or(&message);
    let text = format!("cannot create a {what} in {}: {reason}", dir.display());
    io::Error::new(err.kind(), text)
}

/// A file being written under a hidden temporary name beside its
/// destination ([`PendingFile::create`]), renamed over it by
/// [`PendingFile::commit`]; dropped uncommitted (an error, a panic), or on
/// Ctrl-C, SIGTERM or SIGHUP ([`remove_unfinished`]), the temporary file is
/// removed and the destination left as it was.
///
/// It is created with the permissions of the regular file it replaces, else
/// ordinary ones (`0666` less the umask). A symbolic link at the destination
/// is replaced, not followed.
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
    /// directory).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let missing = dir.path().join("no/such/dir/out.txt");
    /// let err = dashlm::atomic::PendingFile::create(&missing).err().unwrap();
    /// assert!(err.to_string().starts_with("cannot create a file in "), "{err}");
    /// ```
    pub fn create(path: &Path) -> io::Result<PendingFile> {
        if path.to_string_lossy().ends_with(std::path::is_separator) {
            let what = "a file name, not a directory, is expected (the name ends with `/`)";
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
    /// [`PendingFile::sync`] did, and renames it over the destination.
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
        Ok(())
    }
}

/// Puts `files` in place together: each synced, then all renamed over
/// their destinations while no signal can remove them ([`remove_unfinished`]
/// waits), so Ctrl-C, SIGTERM or SIGHUP leaves either all of them in place or
/// none. After a failed rename the rest are not renamed (and removed).
///
/// # Errors
/// Any I/O error syncing or renaming, prefixed with the destination (`path:
/// error`: which of them failed).
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let (a, b) = (dir.path().join("lists.jsonl"), dir.path().join("best.txt"));
/// let files = [&a, &b].map(|p| dashlm::atomic::PendingFile::create(p).unwrap());
/// for f in &files {
///     f.file().write_all(b"done\n").unwrap();
/// }
/// dashlm::atomic::commit_together(files).unwrap();
/// assert!(a.is_file() && b.is_file());
/// ```
pub fn commit_together(files: impl IntoIterator<Item = PendingFile>) -> io::Result<()> {
    let named =
        |path: &Path, e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    let mut files: Vec<PendingFile> = files.into_iter().collect();
    for f in files.iter_mut().filter(|f| !f.synced) {
        f.sync().map_err(|e| named(&f.path, e))?;
    }
    let mut list = unfinished();
    let mut result = Ok(());
    for f in files {
        let PendingFile {
            tmp, path, _listed, ..
        } = f;
        if result.is_ok() {
            result = tmp
                .persist(&path)
                .map(drop)
                .map_err(|e| named(&path, e.error));
        }
        _listed.unlist(&mut list);
    }
    result
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

/// Creates directory `dir` whole: `write` fills a temporary directory beside
/// it, which is renamed to `dir` when `write` succeeds and removed when it
/// fails, with the parent directories made for it. `dir` must not exist or
/// be an empty directory (checked first, then replaced, its permissions
/// kept).
///
/// # Errors
/// `dir` existing and not being an empty directory (before `write` runs),
/// `write`'s errors, and any I/O error creating the parent directories or
/// renaming.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let out = dir.path().join("lists");
/// dashlm::atomic::write_dir(&out, |d| std::fs::write(d.join("a"), "x")).unwrap();
/// assert_eq!(std::fs::read_to_string(out.join("a")).unwrap(), "x");
/// // Not empty now: refused before writing, and left as it is.
/// let err = dashlm::atomic::write_dir(&out, |_| unreachable!()).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::DirectoryNotEmpty);
/// assert!(!out.join("b").exists());
/// // A failed write leaves no directory made for it.
/// let deep = dir.path().join("deep/er/lists");
/// assert!(dashlm::atomic::write_dir(&deep, |_| Err(std::io::Error::other("full"))).is_err());
/// assert!(!dir.path().join("deep").exists());
/// ```
pub fn write_dir(dir: &Path, write: impl FnOnce(&Path) -> io::Result<()>) -> io::Result<()> {
    let replaced = match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {
            if fs::read_dir(dir)?.next().is_some() {
                let what = "the output directory exists and is not empty";
                return Err(io::Error::new(io::ErrorKind::DirectoryNotEmpty, what));
            }
            Some(m.permissions())
        }
        Ok(_) => {
            let what = "exists and is not a directory";
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, what));
        }
        Err(_) => None,
    };
    let parent = parent_of(dir);
    let _made = NewDirs::create(parent).map_err(|e| cannot_create("directory", parent, e))?;
    let (fresh, _listed) =
        made_temporary(|| hidden(0o777).tempdir_in(parent), tempfile::TempDir::path)
            .map_err(|e| cannot_create("directory", parent, e))?;
    write(fresh.path())?;
    if let Some(permissions) = replaced {
        fs::set_permissions(fresh.path(), permissions)?;
        // `remove_dir` fails unless it is (still) an empty directory.
        fs::remove_dir(dir)?;
    }
    fs::rename(fresh.path(), dir)?;
    let _kept = fresh.keep();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn outputs_get_ordinary_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let (made, plain) = (dir.path().join("made"), dir.path().join("plain"));
        write_dir(&made, |_| Ok(())).unwrap();
        fs::create_dir(&plain).unwrap();
        assert_eq!(mode(&made), mode(&plain));
        let (made, plain) = (dir.path().join("made.txt"), dir.path().join("plain.txt"));
        write_file(&made, |_, _| Ok(Some(()))).unwrap();
        File::create(&plain).unwrap();
        assert_eq!(mode(&made), mode(&plain));
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("private.txt");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        write_file(&path, |out, _| out.write_all(b"new").map(Some)).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_temporary_directory_is_removed_even_if_written_to_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join(".dashlm-x");
        fs::create_dir(&tmp).unwrap();
        fs::write(tmp.join("a"), "x").unwrap();
        assert!(remove_temporary_dir(&tmp));
        // A writer's next file cannot be created there, nor the directory
        // come back through a relative path.
        assert!(fs::write(tmp.join("b"), "y").is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_failed_directory_leaves_nothing_and_an_empty_one_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let err = write_dir(&out, |d| {
            fs::write(d.join("a"), "x")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        fs::create_dir(&out).unwrap();
        write_dir(&out, |d| fs::write(d.join("a"), "x")).unwrap();
        assert_eq!(fs::read_to_string(out.join("a")).unwrap(), "x");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_directory_that_cannot_be_created_names_where() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "").unwrap();
        let err = write_file(&file.join("x"), |_, _| Ok(Some(()))).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("cannot create a file in "), "{text}");
        assert!(!text.contains(".dashlm-"), "{text}");
    }
}
