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

use std::fs::{self, File};
use std::io;
use std::path::Path;

use crate::atomic::PendingDir;

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
/// files `write` puts in the directory it is given, whole or not at all
/// ([`crate::atomic::write_dir`]); errors name `dir`.
pub(crate) fn write_new_dir(
    dir: &Path,
    write: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    pending_new_dir(dir, write)?
        .commit()
        .map_err(|e| named(dir, e))
}

/// [`write_new_dir`] up to the rename: the directory written, under its
/// temporary name ([`PendingDir`]), for the caller to put in place with its
/// other outputs ([`crate::atomic::commit_together`]).
pub(crate) fn pending_new_dir(
    dir: &Path,
    write: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<PendingDir> {
    check_new_dir(dir)?;
    let pending = PendingDir::create(dir).map_err(|e| named(dir, e))?;
    write(pending.path()).map_err(|e| named(dir, e))?;
    Ok(pending)
}

/// `e`, prefixed with `dir`.
fn named(dir: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", dir.display()))
}

/// What gives a file of an output directory its name, for the error when two
/// names are one file ([`create_file`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NamedBy {
    /// An utterance id: `<id>.nbest`.
    Utterance,
    /// An extra score name: Kaldi's `<name>.score`.
    Score,
    /// Both: SRILM's `<name>/<id>.nbest`.
    UtteranceAndScore,
    /// The format (`refs`, `text`): only an extra score's file or directory
    /// can take its name.
    Format,
}

impl NamedBy {
    /// Why a file of a fresh directory can be there already.
    fn clash(self) -> &'static str {
        match self {
            NamedBy::Utterance => {
                "this file was already written for another utterance (utterance ids that \
                 differ only in case, such as `A` and `a`, name the same file on a \
                 case-insensitive file system)"
            }
            NamedBy::Score => {
                "this file was already written for another score (score names that differ \
                 only in case, such as `LM` and `lm`, name the same file on a \
                 case-insensitive file system)"
            }
            NamedBy::UtteranceAndScore => {
                "this file was already written for another utterance or score (utterance \
                 ids or score names that differ only in case, such as `A` and `a`, name the \
                 same file on a case-insensitive file system)"
            }
            NamedBy::Format => {
                "an extra score's file or directory already has this name (a score name \
                 that differs from it only in case names the same file on a \
                 case-insensitive file system)"
            }
        }
    }
}

/// Creates file `name` (a path relative to `dir`) in `dir`, a directory that
/// was empty when the write began, as a new file: two names that the file
/// system takes for one (`A.nbest` and `a.nbest`, where case is ignored) are
/// an [`io::ErrorKind::AlreadyExists`] error naming the file and saying why,
/// not a second file silently emptying the first.
///
/// # Errors
/// `name` exists in `dir` (`named_by` says what it was named after), and any
/// other error creating it, as the operating system gives it.
pub(crate) fn create_file(dir: &Path, name: &str, named_by: NamedBy) -> io::Result<File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join(name))
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => {
                io::Error::new(e.kind(), format!("{name}: {}", named_by.clash()))
            }
            _ => e,
        })
}

/// For the writers' tests: what a case-insensitive file system does when a
/// second name is the first's file. `name` (a path in a fresh directory,
/// parents made) already holds `kept` when `write` writes the directory:
/// asserts that `write` fails with [`io::ErrorKind::AlreadyExists`], its
/// message starting with `message`, and that the file still holds `kept`.
#[cfg(test)]
pub(crate) fn assert_existing_file_refused(
    write: impl Fn(&Path) -> io::Result<()>,
    name: &str,
    message: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, "kept\n").unwrap();
    let err = write(dir.path()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    assert!(err.to_string().starts_with(message), "{err}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "kept\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_in_the_way_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::write(&out, "").unwrap();
        let err = write_new_dir(&out, |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("is not a directory"), "{err}");
        assert!(err.to_string().starts_with(&out.display().to_string()));
    }

    #[test]
    fn a_failed_write_is_named_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let err = write_new_dir(&out, |_| Err(io::Error::other("disk full"))).unwrap_err();
        assert_eq!(err.to_string(), format!("{}: disk full", out.display()));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_file_created_twice_is_an_error_naming_it() {
        // What a case-insensitive file system does with `A.nbest` after `a.nbest`.
        let create = |named_by| move |dir: &Path| create_file(dir, "a.nbest", named_by).map(drop);
        let utterance = "a.nbest: this file was already written for another utterance (utterance \
                         ids that differ only in case";
        assert_existing_file_refused(create(NamedBy::Utterance), "a.nbest", utterance);
        let score = "a.nbest: this file was already written for another score (score names";
        assert_existing_file_refused(create(NamedBy::Score), "a.nbest", score);
    }

    #[test]
    fn other_errors_are_the_systems() {
        let dir = tempfile::tempdir().unwrap();
        let err = create_file(dir.path(), "no/such.nbest", NamedBy::Utterance).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(!err.to_string().contains("already written"), "{err}");
    }
}
