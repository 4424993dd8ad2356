//! Outputs that are directories: the directories made for an output
//! ([`NewDirs`]) and a directory written whole ([`PendingDir`],
//! [`write_dir`]).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{
    cannot_create, hidden, made_temporary, parent_of, sync_parent, unfinished, Kind, Listed,
};
/// The directories [`NewDirs::create`] made for an output that is not in
/// place yet (the output's own directory and the parents it lacked): removed
/// again, if still empty, when dropped (the run failed before the output
/// was put there) or by Ctrl-C, SIGTERM or SIGHUP ([`remove_unfinished`](super::remove_unfinished),
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

/// A directory being written under a hidden temporary name beside its
/// destination ([`PendingDir::create`]), renamed into place by
/// [`PendingDir::commit`] or with other outputs by
/// [`commit_together`](super::commit_together); dropped uncommitted (an
/// error, a panic), or on Ctrl-C, SIGTERM or SIGHUP
/// ([`remove_unfinished`](super::remove_unfinished)), it is removed with the
/// parent directories made for it, and the destination left as it was.
///
/// The destination must not exist or be an empty directory (checked first,
/// then replaced, its permissions kept; a symbolic link is followed to the
/// directory it names; the current directory and mount points are refused,
/// as renaming cannot replace them).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let out = dir.path().join("lists");
/// let pending = dashlm::atomic::PendingDir::create(&out).unwrap();
/// std::fs::write(pending.path().join("u1.nbest"), "x").unwrap();
/// assert!(!out.exists()); // not yet
/// pending.commit().unwrap();
/// assert_eq!(std::fs::read_to_string(out.join("u1.nbest")).unwrap(), "x");
/// // Dropped before its commit: nothing is left beside the destination.
/// let other = dashlm::atomic::PendingDir::create(&dir.path().join("other")).unwrap();
/// drop(other);
/// assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
/// ```
pub struct PendingDir {
    fresh: tempfile::TempDir,
    dir: PathBuf,
    /// The permissions of the empty directory it replaces, if any.
    replaced: Option<fs::Permissions>,
    /// The destination's parent directories made for it.
    made: NewDirs,
    /// Whether what was written in it is synced ([`PendingDir::sync_once`]).
    synced: bool,
    _listed: Listed,
}

impl PendingDir {
    /// A temporary directory beside `dir`, to become `dir`, and the parents
    /// `dir` lacks.
    ///
    /// # Errors
    /// `dir` exists and is not an empty directory
    /// ([`io::ErrorKind::DirectoryNotEmpty`] or
    /// [`io::ErrorKind::AlreadyExists`]); it is a symbolic link to nothing
    /// ([`io::ErrorKind::NotFound`]), the current directory or a mount
    /// point ([`io::ErrorKind::InvalidInput`]); and any I/O error creating
    /// the parent directories or the temporary directory (naming where).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("f"), "").unwrap();
    /// let err = dashlm::atomic::PendingDir::create(dir.path()).err().unwrap();
    /// assert_eq!(err.kind(), std::io::ErrorKind::DirectoryNotEmpty);
    /// ```
    pub fn create(dir: &Path) -> io::Result<PendingDir> {
        // An existing destination by its own name: a symbolic link (or
        // `out/`, `out/.`) is followed to the directory it names, which is
        // replaced.
        let dir = match fs::metadata(dir) {
            Ok(_) => fs::canonicalize(dir)?,
            Err(_) if fs::symlink_metadata(dir).is_ok() => {
                let what = "a symbolic link to nothing: give the directory itself";
                return Err(io::Error::new(io::ErrorKind::NotFound, what));
            }
            Err(_) => dir.to_path_buf(),
        };
        let replaced = match fs::metadata(&dir) {
            Ok(m) if m.is_dir() => {
                if fs::read_dir(&dir)?.next().is_some() {
                    let what = "the output directory exists and is not empty";
                    return Err(io::Error::new(io::ErrorKind::DirectoryNotEmpty, what));
                }
                refuse_unreplaceable(&dir, &m)?;
                Some(m.permissions())
            }
            Ok(_) => {
                let what = "exists and is not a directory";
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, what));
            }
            Err(_) => None,
        };
        let parent = parent_of(&dir).to_path_buf();
        let made = NewDirs::create(&parent).map_err(|e| cannot_create("directory", &parent, e))?;
        let (fresh, listed) = made_temporary(
            || hidden(0o777).tempdir_in(&parent),
            tempfile::TempDir::path,
        )
        .map_err(|e| cannot_create("directory", &parent, e))?;
        Ok(PendingDir {
            fresh,
            dir,
            replaced,
            made,
            synced: false,
            _listed: listed,
        })
    }

    /// The temporary directory, to write in.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let pending = dashlm::atomic::PendingDir::create(&dir.path().join("out")).unwrap();
    /// assert!(pending.path().is_dir());
    /// assert_eq!(pending.path().parent(), Some(dir.path()));
    /// ```
    pub fn path(&self) -> &Path {
        self.fresh.path()
    }

    /// The destination.
    pub(super) fn destination(&self) -> &Path {
        &self.dir
    }

    /// The permissions of the empty directory the destination is, if it is
    /// one (renaming replaces it).
    pub(super) fn replaced(&self) -> Option<fs::Permissions> {
        self.replaced.clone()
    }

    /// Syncs what was written in the directory (its writers flushed and
    /// closed first by the caller), once.
    pub(super) fn sync_once(&mut self) -> io::Result<()> {
        if !self.synced {
            sync_tree(self.fresh.path())?;
            self.synced = true;
        }
        Ok(())
    }

    /// Syncs what was written in the directory (its writers closed first by
    /// the caller), renames it into place (replacing an empty one) and syncs
    /// the directory holding it, so that neither an error, a crash nor a
    /// power cut leaves a partial output in place.
    ///
    /// # Errors
    /// Any I/O error syncing or renaming, or the directory it replaces is no
    /// longer empty.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let out = dir.path().join("out");
    /// dashlm::atomic::PendingDir::create(&out).unwrap().commit().unwrap();
    /// assert!(out.is_dir());
    /// ```
    pub fn commit(self) -> io::Result<()> {
        let mut list = unfinished();
        let (result, made) = self.finish_listed(true, &mut list);
        drop(list);
        drop(made);
        result
    }

    /// Renamed into place if `rename`, else removed; taken off `list` (the
    /// locked list) either way. Returns the parent directories made for it,
    /// to drop once the list is released (they take it).
    pub(super) fn finish_listed(
        self,
        rename: bool,
        list: &mut Vec<(PathBuf, Kind)>,
    ) -> (io::Result<()>, NewDirs) {
        let PendingDir {
            fresh,
            dir,
            replaced,
            made,
            synced,
            _listed,
        } = self;
        let result = if rename {
            let synced = if synced {
                Ok(())
            } else {
                sync_tree(fresh.path())
            };
            synced
                .and_then(|()| put_in_place(fresh.path(), &dir, replaced))
                .map(|()| sync_parent(&dir))
        } else {
            Ok(())
        };
        if result.is_ok() && rename {
            let _kept = fresh.keep();
        } else {
            // Removes the temporary directory (needs no list).
            drop(fresh);
        }
        _listed.unlist(list);
        (result, made)
    }
}

/// An error if the existing empty directory `dir` (canonical, `meta` its
/// metadata) cannot be replaced by renaming another over it: the current
/// directory or one holding it (the run's, and likely its shell's, would be
/// left in a removed directory), or a mount point (renaming over one fails).
fn refuse_unreplaceable(dir: &Path, meta: &fs::Metadata) -> io::Result<()> {
    let holds_cwd = std::env::current_dir()
        .and_then(fs::canonicalize)
        .is_ok_and(|cwd| cwd.starts_with(dir));
    let what = if holds_cwd {
        "is the current directory (or holds it), which the output would replace: give a new \
         directory inside it"
    } else if is_mount_point(dir, meta) {
        "is a mount point, which the output cannot replace: give a new directory inside it"
    } else {
        return Ok(());
    };
    Err(io::Error::new(io::ErrorKind::InvalidInput, what))
}

/// Whether `dir` (canonical) is a mount point: the root, or on another
/// device than its parent.
fn is_mount_point(dir: &Path, meta: &fs::Metadata) -> bool {
    let Some(parent) = dir.parent() else {
        return true;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(parent).is_ok_and(|p| p.dev() != meta.dev())
    }
    #[cfg(not(unix))]
    {
        let _ = (parent, meta);
        false
    }
}

/// Makes what was written under directory `dir` durable: on Linux one
/// `syncfs` of its file system (syncing file by file took 0.2 ms a file on
/// session 61's VM, 20 s for 100,000 n-best files), elsewhere every file and
/// directory under it synced in turn.
fn sync_tree(dir: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        rustix::fs::syncfs(fs::File::open(dir)?)?;
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                sync_tree(&entry.path())?;
            } else {
                fs::File::open(entry.path())?.sync_all()?;
            }
        }
        #[cfg(unix)]
        fs::File::open(dir)?.sync_all()?;
        Ok(())
    }
}

/// Renames directory `fresh` to `dir`, which is gone or (`replaced`) an
/// empty directory whose permissions it takes. On Unix one `rename` replaces
/// an empty directory (and fails if it is no longer empty), so another
/// process removing `dir` meanwhile (its own placeholder, on a signal) does
/// not make this fail.
fn put_in_place(fresh: &Path, dir: &Path, replaced: Option<fs::Permissions>) -> io::Result<()> {
    if let Some(permissions) = replaced {
        fs::set_permissions(fresh, permissions)?;
        #[cfg(not(unix))]
        match fs::remove_dir(dir) {
            // Fails unless it is (still) an empty directory.
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    fs::rename(fresh, dir)
}

/// Creates directory `dir` whole: `write` fills a temporary directory beside
/// it ([`PendingDir`]), which is renamed to `dir` when `write` succeeds and
/// removed when it fails, with the parent directories made for it. `dir`
/// must not exist or be an empty directory (checked first, then replaced,
/// its permissions kept).
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
    let pending = PendingDir::create(dir)?;
    write(pending.path())?;
    pending.commit()
}
