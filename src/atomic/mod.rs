//! Outputs that appear whole or not at all: a file or a directory is written
//! beside its destination under a hidden temporary name and renamed into place
//! once complete, so an error (or a crash) never leaves half an output where
//! the output belongs. On Linux a file has no name until then (`O_TMPFILE`,
//! see [`PendingFile`]), so a process killed without unwinding (SIGKILL, an
//! allocation failure's abort) leaves nothing beside it either. What was written is synced before the rename and the
//! directory holding the output after it, so a power cut leaves the old
//! output or the new one, whole. `build-lm`, `dashlm dump -o` and the SRILM and Kaldi
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
//! `.dashlm-*` file behind. An unnamed file is on no list: it has no name to
//! remove, and is linked and renamed into place while the list is held.
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

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

mod dir;
mod file;

pub use dir::{write_dir, NewDirs, PendingDir};
pub use file::{makes_unnamed_files, write_file, PendingFile};

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
/// [`PendingFile`], [`write_dir`] and [`PendingDir`] are writing and those of
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

/// Syncs the directory holding `path`, so that a rename into it survives a
/// power cut (Unix; elsewhere a directory cannot be opened to be synced).
/// Best effort, after the output is in place: a directory that can be
/// written but not read (mode 733) cannot be opened to be synced, and some
/// file systems refuse to sync directories; the output is in place all the
/// same, so neither is an error (it would fail a run whose output is there,
/// and stop [`commit_together`] halfway).
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(parent_of(path)) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
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

/// An output written in full under its temporary name, to be put in place
/// with others by [`commit_together`]: a file or a directory.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let file = dashlm::atomic::PendingFile::create(&dir.path().join("best.txt")).unwrap();
/// let output: dashlm::atomic::Pending = file.into();
/// assert!(matches!(output, dashlm::atomic::Pending::File(_)));
/// ```
pub enum Pending {
    /// A file ([`PendingFile`]).
    File(PendingFile),
    /// A directory ([`PendingDir`]).
    Dir(PendingDir),
}

impl From<PendingFile> for Pending {
    fn from(file: PendingFile) -> Pending {
        Pending::File(file)
    }
}

impl From<PendingDir> for Pending {
    fn from(dir: PendingDir) -> Pending {
        Pending::Dir(dir)
    }
}

/// Puts `outputs` in place together: each synced, then all renamed
/// over their destinations while no signal can remove them
/// ([`remove_unfinished`] waits), so Ctrl-C, SIGTERM or SIGHUP leaves
/// either all of them in place or none. After a failed rename the rest are
/// not renamed (and removed), and the ones renamed before it are put back:
/// a file's old destination, kept as a hard link while the renames run
/// (where the file system makes none, the new file stays), or none; a
/// directory taken away, and the empty one it replaced made again.
///
/// # Errors
/// Any I/O error syncing or renaming, prefixed with the destination (`path:
/// error`: which of them failed).
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let (lists, best) = (dir.path().join("lists"), dir.path().join("best.txt"));
/// let pending_lists = dashlm::atomic::PendingDir::create(&lists).unwrap();
/// std::fs::write(pending_lists.path().join("u1.nbest"), "a b\n").unwrap();
/// let pending_best = dashlm::atomic::PendingFile::create(&best).unwrap();
/// pending_best.file().write_all(b"u1 a b\n").unwrap();
/// let outputs: [dashlm::atomic::Pending; 2] = [pending_lists.into(), pending_best.into()];
/// dashlm::atomic::commit_together(outputs).unwrap();
/// assert!(lists.join("u1.nbest").is_file() && best.is_file());
/// ```
pub fn commit_together<P: Into<Pending>>(outputs: impl IntoIterator<Item = P>) -> io::Result<()> {
    let named =
        |path: &Path, e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    let mut outputs: Vec<Pending> = outputs.into_iter().map(Into::into).collect();
    for output in &mut outputs {
        match output {
            Pending::File(f) => f.sync_once().map_err(|e| named(f.destination(), e))?,
            Pending::Dir(d) => d.sync_once().map_err(|e| named(d.destination(), e))?,
        }
    }
    let mut made = Vec::new();
    let mut list = unfinished();
    let mut result = Ok(());
    // What each rename replaced, to put back if a later one fails.
    let mut renamed: Vec<Replaced> = Vec::new();
    for output in outputs {
        let rename = result.is_ok();
        let (path, replaced, done) = match output {
            Pending::File(f) => {
                let path = f.destination().to_path_buf();
                let backup = if rename { backup_of(&path) } else { None };
                let replaced = Replaced::File(path.clone(), backup);
                (path, replaced, f.finish_listed(rename, &mut list))
            }
            Pending::Dir(d) => {
                let path = d.destination().to_path_buf();
                let replaced = Replaced::Dir(path.clone(), d.replaced());
                let (done, dirs) = d.finish_listed(rename, &mut list);
                made.push(dirs);
                (path, replaced, done)
            }
        };
        if rename {
            match done {
                Ok(()) => renamed.push(replaced),
                Err(e) => {
                    replaced.discard();
                    result = Err(named(&path, e));
                }
            }
        }
    }
    for replaced in renamed.into_iter().rev() {
        match result {
            Ok(()) => replaced.discard(),
            Err(_) => replaced.put_back(),
        }
    }
    // The directories made for outputs take the list when dropped.
    drop(list);
    drop(made);
    result
}

/// What renaming an output into place replaced, for [`commit_together`] to
/// put back: a file's destination and a hard link to its old file, if it
/// had one (and the link could be made); a directory's destination and the
/// permissions of the empty directory it replaced, if any.
enum Replaced {
    File(PathBuf, Option<PathBuf>),
    Dir(PathBuf, Option<std::fs::Permissions>),
}

impl Replaced {
    /// Removes the backup, the new output staying.
    fn discard(self) {
        if let Replaced::File(_, Some(backup)) = self {
            let _ = std::fs::remove_file(backup);
        }
    }

    /// Puts back what the output replaced (best effort: the error reported
    /// is the rename's that failed).
    fn put_back(self) {
        match self {
            Replaced::File(path, Some(backup)) => {
                let _ = std::fs::rename(backup, path);
            }
            Replaced::File(path, None) => {
                let _ = std::fs::remove_file(path);
            }
            Replaced::Dir(path, replaced) => {
                let _ = std::fs::remove_dir_all(&path);
                if let Some(permissions) = replaced {
                    let _ = std::fs::create_dir(&path)
                        .and_then(|()| std::fs::set_permissions(&path, permissions));
                }
            }
        }
    }
}

/// A hard link to the file `path` under a hidden name beside it, if `path`
/// is a file (or a symbolic link, linked itself) and the link can be made.
fn backup_of(path: &Path) -> Option<PathBuf> {
    if std::fs::symlink_metadata(path).ok()?.is_dir() {
        return None;
    }
    let dir = parent_of(path);
    (0..100).find_map(|k| {
        let backup = dir.join(format!(".dashlm-kept-{}-{k}", std::process::id()));
        std::fs::hard_link(path, &backup).ok().map(|()| backup)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Write;

    #[test]
    fn a_directory_and_a_file_are_put_in_place_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let (lists, best) = (dir.path().join("lists"), dir.path().join("best.txt"));
        fs::write(&best, "old\n").unwrap();
        let pending_lists = PendingDir::create(&lists).unwrap();
        fs::write(pending_lists.path().join("u1.nbest"), "new\n").unwrap();
        let pending_best = PendingFile::create(&best).unwrap();
        pending_best.file().write_all(b"new\n").unwrap();
        // Both temporaries are listed for a signal until the commit (the
        // list is the process's: other tests list theirs meanwhile).
        let temporaries: Vec<PathBuf> = [Some(pending_lists.path()), pending_best.temporary()]
            .into_iter()
            .flatten()
            .map(Path::to_path_buf)
            .collect();
        let listed = || {
            let list = unfinished();
            temporaries
                .iter()
                .filter(|t| list.iter().any(|(p, _)| p == *t))
                .count()
        };
        // On Linux the file has no name to list (`O_TMPFILE`).
        let expected = if cfg!(target_os = "linux") { 1 } else { 2 };
        assert_eq!(temporaries.len(), expected);
        assert_eq!(listed(), expected);
        commit_together([Pending::from(pending_lists), pending_best.into()]).unwrap();
        assert_eq!(listed(), 0);
        assert_eq!(fs::read_to_string(lists.join("u1.nbest")).unwrap(), "new\n");
        assert_eq!(fs::read_to_string(&best).unwrap(), "new\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
        // A failed rename: the destination became a non-empty directory.
        let (other, blocked) = (dir.path().join("other"), dir.path().join("blocked"));
        let pending_other = PendingDir::create(&other).unwrap();
        let pending_blocked = PendingFile::create(&blocked).unwrap();
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("x"), "").unwrap();
        let err = commit_together([Pending::from(pending_blocked), pending_other.into()])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(&blocked.display().to_string()), "{err}");
        // The directory after it was not put in place, and nothing is left.
        assert!(!other.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    /// A rename that fails after others: those are put back, the old file's
    /// content, the empty directory replaced, and no backup is left.
    #[test]
    fn outputs_renamed_before_a_failed_rename_are_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let (best, lists) = (dir.path().join("best.txt"), dir.path().join("lists"));
        fs::write(&best, "old\n").unwrap();
        fs::create_dir(&lists).unwrap();
        // A directory no longer empty at the commit: its rename fails.
        let blocked = dir.path().join("blocked");
        fs::create_dir(&blocked).unwrap();
        let pending_best = PendingFile::create(&best).unwrap();
        pending_best.file().write_all(b"new\n").unwrap();
        let pending_lists = PendingDir::create(&lists).unwrap();
        fs::write(pending_lists.path().join("u1.nbest"), "new\n").unwrap();
        let pending_blocked = PendingDir::create(&blocked).unwrap();
        fs::write(blocked.join("late"), "").unwrap();
        let outputs = [
            Pending::from(pending_best),
            pending_lists.into(),
            pending_blocked.into(),
        ];
        let err = commit_together(outputs).unwrap_err().to_string();
        assert!(err.starts_with(&blocked.display().to_string()), "{err}");
        assert_eq!(fs::read_to_string(&best).unwrap(), "old\n");
        assert!(lists.is_dir() && fs::read_dir(&lists).unwrap().next().is_none());
        let mut left: Vec<_> = (fs::read_dir(dir.path()).unwrap())
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["best.txt", "blocked", "lists"]);
        // A new file, a new directory: both taken away again.
        let (fresh, fresh_dir) = (dir.path().join("fresh.txt"), dir.path().join("fresh"));
        let pending_fresh = PendingFile::create(&fresh).unwrap();
        let pending_dir = PendingDir::create(&fresh_dir).unwrap();
        // A file whose name became a non-empty directory after it was created.
        let late_dir = dir.path().join("late");
        let pending_blocked = PendingFile::create(&late_dir).unwrap();
        fs::create_dir(&late_dir).unwrap();
        fs::write(late_dir.join("x"), "").unwrap();
        let outputs = [
            Pending::from(pending_fresh),
            pending_dir.into(),
            pending_blocked.into(),
        ];
        assert!(commit_together(outputs).is_err());
        assert!(!fresh.exists() && !fresh_dir.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 4);
    }

    #[test]
    fn an_empty_directory_replaced_may_go_or_fill_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        // Another process's placeholder, removed by its signal handler
        // before this commit: the commit still puts the directory there.
        fs::create_dir(&out).unwrap();
        let pending = PendingDir::create(&out).unwrap();
        fs::write(pending.path().join("a"), "x").unwrap();
        fs::remove_dir(&out).unwrap();
        pending.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join("a")).unwrap(), "x");
        // Filled meanwhile by another writer: refused, and what it holds stays.
        let other = dir.path().join("other");
        fs::create_dir(&other).unwrap();
        let pending = PendingDir::create(&other).unwrap();
        fs::write(other.join("theirs"), "y").unwrap();
        assert!(pending.commit().is_err());
        assert_eq!(fs::read_to_string(other.join("theirs")).unwrap(), "y");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_name_for_an_open_descriptor_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        // What `/dev/stdout` is; as root, renaming over it replaced it.
        let link = dir.path().join("stdout");
        std::os::unix::fs::symlink("/proc/self/fd/1", &link).unwrap();
        for path in [link.as_path(), Path::new("/proc/self/fd/1")] {
            let err = PendingFile::create(path).err().unwrap();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            let text = err.to_string();
            assert!(
                text.contains("a link to an open file descriptor (/proc/self/fd/1)"),
                "{text}"
            );
        }
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// The names in `dir`, sorted.
    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = (fs::read_dir(dir).unwrap())
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    /// On Linux a file being written has no name until its commit
    /// (`O_TMPFILE`): a process killed without unwinding (SIGKILL, an
    /// allocation failure's abort) leaves nothing beside the destination.
    /// The commit still replaces the destination at once, keeping its
    /// permissions; a new file gets ordinary ones.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_pending_file_has_no_name_before_its_commit() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        if !makes_unnamed_files(dir.path()) {
            eprintln!("skipped: no O_TMPFILE in {}", dir.path().display());
            return;
        }
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let (path, fresh) = (dir.path().join("lm.dlm"), dir.path().join("fresh.txt"));
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let before = names_in(dir.path());
        let pending = PendingFile::create(&path).unwrap();
        pending.file().write_all(b"new").unwrap();
        let pending_fresh = PendingFile::create(&fresh).unwrap();
        pending_fresh.file().write_all(b"fresh").unwrap();
        assert!(pending.temporary().is_none() && pending_fresh.temporary().is_none());
        assert_eq!(names_in(dir.path()), before);
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        pending.commit().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(mode(&path), 0o640);
        assert_eq!(names_in(dir.path()), before);
        pending_fresh.commit().unwrap();
        let plain = dir.path().join("plain.txt");
        File::create(&plain).unwrap();
        assert_eq!(mode(&fresh), mode(&plain));
        assert_eq!(fs::read_to_string(&fresh).unwrap(), "fresh");
        assert_eq!(names_in(dir.path()), ["fresh.txt", "lm.dlm", "plain.txt"]);
    }

    /// Where the system makes no unnamed file, a named one is written,
    /// listed for a signal, renamed at the commit, removed when dropped.
    #[test]
    fn a_named_temporary_file_is_the_fallback() {
        file::NAMED_ONLY.with(|n| n.set(true));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let pending = PendingFile::create(&path).unwrap();
        pending.file().write_all(b"new").unwrap();
        let tmp = pending.temporary().unwrap().to_path_buf();
        assert!(names_in(dir.path())[0].starts_with(".dashlm-"));
        assert!(unfinished().iter().any(|(p, _)| *p == tmp));
        pending.commit().unwrap();
        assert!(!unfinished().iter().any(|(p, _)| *p == tmp));
        assert_eq!(names_in(dir.path()), ["out.txt"]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        drop(PendingFile::create(&dir.path().join("dropped")).unwrap());
        assert_eq!(names_in(dir.path()), ["out.txt"]);
        file::NAMED_ONLY.with(|n| n.set(false));
    }

    #[test]
    fn a_dropped_directory_leaves_nothing_and_its_new_parents_go_too() {
        let dir = tempfile::tempdir().unwrap();
        let pending = PendingDir::create(&dir.path().join("a/b/lists")).unwrap();
        fs::write(pending.path().join("u1.nbest"), "x").unwrap();
        drop(pending);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

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
