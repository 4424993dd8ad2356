//! Writing a directory of n-best files as a whole (the SRILM and Kaldi
//! formats): into a fresh directory beside the destination, renamed into place
//! at the end, so an error never leaves half a directory behind.
//!
//! The destination must be new or empty: the readers take every n-best file,
//! score archive and `refs` file they find in a directory, so lists written
//! among older files would be read back mixed with them (a stale `refs`, a
//! `lm.score` of another run, the `.nbest` file of an utterance this run does
//! not have).
//!
//! ```
//! use dashlm::rescore::{kaldi, Hypothesis, NbestList};
//! let dir = tempfile::tempdir().unwrap();
//! let out = dir.path().join("out");
//! let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("a b", -3.5))];
//! kaldi::write_dir(&out, &lists).unwrap();
//! // Writing again into the same directory is refused, and the files stay.
//! let err = kaldi::write_dir(&out, &lists).unwrap_err();
//! assert!(err.to_string().contains("is not empty"), "{err}");
//! assert_eq!(kaldi::read_dir(&out).unwrap(), lists);
//! ```

use std::fs;
use std::io;
use std::path::Path;

/// An error unless `dir` does not exist or is an empty directory.
///
/// # Errors
/// `dir` exists and is not a directory, is a directory holding anything, or
/// cannot be read; the message names `dir` (and one entry it holds).
///
/// ```
/// use dashlm::rescore::check_new_dir;
/// let dir = tempfile::tempdir().unwrap();
/// assert!(check_new_dir(&dir.path().join("new")).is_ok());
/// assert!(check_new_dir(dir.path()).is_ok()); // empty
/// std::fs::write(dir.path().join("refs"), "u a b\n").unwrap();
/// let err = check_new_dir(dir.path()).unwrap_err();
/// assert!(err.to_string().contains("holds `refs`"), "{err}");
/// ```
pub fn check_new_dir(dir: &Path) -> io::Result<()> {
    let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", dir.display()));
    let meta = match fs::metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(named(e)),
    };
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{}: exists and is not a directory (the output is a directory of n-best files)",
                dir.display()
            ),
        ));
    }
    match fs::read_dir(dir).map_err(named)?.next() {
        None => Ok(()),
        Some(entry) => {
            let entry = entry.map_err(named)?;
            Err(io::Error::new(
                io::ErrorKind::DirectoryNotEmpty,
                format!(
                    "{}: the output directory is not empty (it holds `{}`): lists written \
                     there would be read back mixed with what it holds; remove it or give \
                     a new directory",
                    dir.display(),
                    entry.file_name().to_string_lossy()
                ),
            ))
        }
    }
}

/// Creates directory `dir` (new or empty, see [`check_new_dir`]) with the
/// files `write` puts in the directory it is given: a fresh directory beside
/// `dir`, renamed to `dir` once `write` succeeds and removed if it fails.
pub(crate) fn write_new_dir(
    dir: &Path,
    write: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    check_new_dir(dir)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let in_parent = |e: io::Error| {
        io::Error::new(
            e.kind(),
            format!("cannot create a directory in {}: {e}", parent.display()),
        )
    };
    fs::create_dir_all(parent).map_err(in_parent)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".dashlm-");
    #[cfg(unix)]
    {
        // The permissions a plain `create_dir` gives (the umask applies), not
        // the temporary directory's owner-only ones.
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o777));
    }
    let fresh = builder.tempdir_in(parent).map_err(in_parent)?;
    write(fresh.path())?;
    let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", dir.display()));
    if dir.exists() {
        // Empty (checked above); `remove_dir` fails if something came since.
        fs::remove_dir(dir).map_err(named)?;
    }
    fs::rename(fresh.path(), dir).map_err(named)?;
    let _kept = fresh.keep();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_nothing_and_a_good_one_replaces_an_empty_dir() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let err = write_new_dir(&out, |d| {
            fs::write(d.join("a"), "x")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        // Neither the output nor the fresh directory is left.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        fs::create_dir(&out).unwrap();
        write_new_dir(&out, |d| fs::write(d.join("a"), "x")).unwrap();
        assert_eq!(fs::read_to_string(out.join("a")).unwrap(), "x");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_file_in_the_way_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::write(&out, "").unwrap();
        let err = write_new_dir(&out, |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("is not a directory"), "{err}");
        assert!(err.to_string().starts_with(&out.display().to_string()));
    }

    #[cfg(unix)]
    #[test]
    fn the_directory_gets_ordinary_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (made, plain) = (dir.path().join("made"), dir.path().join("plain"));
        write_new_dir(&made, |_| Ok(())).unwrap();
        fs::create_dir(&plain).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode(&made), mode(&plain));
    }
}
