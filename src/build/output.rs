//! Writing a model file atomically: through a temporary file in the output's
//! directory, renamed over the output only when complete.

use std::fs;
use std::io::{self, BufRead, BufWriter};
use std::path::Path;

use super::reading::Outcome;
use super::{
    compile, complete, stream, BuildError, BuildOptions, BuildStep, BuildSummary, Streamed,
};
use crate::arpa::NGramSet;
use crate::format::FileWriter;

/// Compiles `set` and writes it to `path` atomically: the bytes go to a
/// temporary file in the same directory, which is renamed over `path` only when
/// complete, so an error or interruption never leaves a partial `path`.
///
/// # Errors
/// See [`compile`], plus I/O errors naming the file.
///
/// ```
/// use dashlm::{arpa::open_input, arpa::NGramSet, build};
/// let dir = tempfile::tempdir().unwrap();
/// let input = open_input("data/tiny.arpa".as_ref()).unwrap();
/// let set = NGramSet::read(input.reader, "data/tiny.arpa").unwrap();
/// let out = dir.path().join("tiny.dlm");
/// let summary = build::write_model(&set, build::BuildOptions::default(), &out).unwrap();
/// assert_eq!(summary.counts[..3], [8, 7, 4]);
/// assert!(dashlm::Model::open(&out).is_ok());
/// ```
pub fn write_model(
    set: &NGramSet,
    opts: BuildOptions,
    path: &Path,
) -> Result<BuildSummary, BuildError> {
    let (file, summary) = compile(set, opts)?;
    write_file(&file, path)?;
    Ok(summary)
}

/// Writes an assembled model file to `path` atomically: the bytes go to a
/// temporary file in the same directory, which is renamed over `path` only when
/// complete.
///
/// # Errors
/// I/O errors naming the file.
///
/// ```
/// use dashlm::{arpa::NGramSet, build};
/// let dir = tempfile::tempdir().unwrap();
/// let set = NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
/// let (file, _) = build::compile(&set, build::BuildOptions::default()).unwrap();
/// build::write_file(&file, &dir.path().join("tiny.dlm")).unwrap();
/// // A directory that cannot be written in: an error naming the file.
/// let err = build::write_file(&file, "/nonexistent-dir/tiny.dlm".as_ref()).unwrap_err();
/// assert!(err.to_string().contains("tiny.dlm"), "{err}");
/// ```
pub fn write_file(file: &FileWriter, path: &Path) -> Result<(), BuildError> {
    write_atomically(path, |out, _| file.write_to(out).map(Some)).map(|_| ())
}

/// Compiles ARPA text from `input` in one streaming pass (see
/// [`compile_streaming`](super::compile_streaming)) straight into `path`, atomically: the sections go to
/// a temporary file in the same directory as they are built, which is renamed
/// over `path` only when complete. `None` (and `path` untouched) when the model
/// must be built another way: it needs KenLM's blanks
/// ([`complete_model`]), or the input has an error (the input being
/// unnamed, [`NGramSet`] reports it; [`build_file`](super::build_file)
/// names it and reports most errors from this pass).
///
/// # Errors
/// I/O errors naming the file; at once, a model too large for the format
/// or options no build can follow (as [`compile_streaming`](super::compile_streaming)).
///
/// ```
/// use dashlm::{build, Model, LanguageModel};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("tiny.dlm");
/// let text = &include_bytes!("../../data/tiny.arpa")[..];
/// let streamed = build::stream_model(text, build::BuildOptions::default(), &path, |_| {});
/// assert!(streamed.unwrap().is_some());
/// assert_eq!(Model::open(&path).unwrap().order(), 3);
/// ```
pub fn stream_model<R: BufRead + Send>(
    input: R,
    opts: BuildOptions,
    path: &Path,
    progress: impl FnMut(u64),
) -> Result<Option<Streamed>, BuildError> {
    Ok(pass_file(BuildStep::Stream, input, opts, path, None, progress)?.built())
}

/// Compiles ARPA text from `input`, completing it with KenLM's blanks (see
/// [`compile_completing`](super::compile_completing)), straight into `path`, atomically as
/// [`stream_model`] does. `None` (and `path` untouched) when the input has an
/// error, which [`NGramSet`] reports (see [`stream_model`]).
///
/// # Errors
/// As [`stream_model`].
///
/// ```
/// use dashlm::{build, Model, LanguageModel};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("tiny.dlm");
/// let text = &include_bytes!("../../data/tiny.arpa")[..];
/// let built = build::complete_model(text, build::BuildOptions::default(), &path, |_| {});
/// assert!(built.unwrap().is_some());
/// assert_eq!(Model::open(&path).unwrap().order(), 3);
/// ```
pub fn complete_model<R: BufRead + Send>(
    input: R,
    opts: BuildOptions,
    path: &Path,
    progress: impl FnMut(u64),
) -> Result<Option<Streamed>, BuildError> {
    Ok(pass_file(BuildStep::Complete, input, opts, path, None, progress)?.built())
}

/// The pass `step` of [`build_file`](super::build_file) over `input`:
/// [`stream_model`] for [`BuildStep::Stream`], else [`complete_model`],
/// reporting an error in the input named `source` when it is the one
/// [`NGramSet`] reports (see `reading::build`).
pub(super) fn pass_file<R: BufRead + Send>(
    step: BuildStep,
    input: R,
    opts: BuildOptions,
    path: &Path,
    source: Option<&str>,
    progress: impl FnMut(u64),
) -> Result<Outcome<Streamed>, BuildError> {
    build_atomically(path, |out, dir| {
        let built = match step {
            BuildStep::Stream => stream::stream(input, opts, out, Some(dir), source, progress)?,
            _ => complete::complete(input, opts, out, Some(dir), source, progress)?,
        };
        Ok(built.map(|(s, _)| s))
    })
}

/// [`write_atomically`] with a builder that writes `path`'s temporary file,
/// given its directory for its own: how its pass ended when the model must
/// be built another way; an error naming `path` when writing fails; any
/// other error (a model no path can build, an error in the input) as it is.
fn build_atomically(
    path: &Path,
    build: impl FnOnce(&mut BufWriter<&fs::File>, &Path) -> Result<Outcome<Streamed>, BuildError>,
) -> Result<Outcome<Streamed>, BuildError> {
    let mut refused = None;
    let mut ended = Outcome::InMemory;
    let built = write_atomically(path, |out, dir| match build(out, dir) {
        Ok(Outcome::Built(built)) => Ok(Some(built)),
        Ok(Outcome::Blanks) => {
            ended = Outcome::Blanks;
            Ok(None)
        }
        Ok(Outcome::InMemory) => Ok(None),
        Err(BuildError::Write(e)) => Err(e),
        Err(e) => {
            refused = Some(e);
            Ok(None)
        }
    })?;
    match (refused, built) {
        (Some(e), _) => Err(e),
        (None, Some(built)) => Ok(Outcome::Built(built)),
        (None, None) => Ok(ended),
    }
}

/// Runs `write` on a temporary file in `path`'s directory (given to `write`
/// too) and, when it returns `Some`, renames it over `path`; otherwise (or on
/// any error) `path` is left as it was ([`crate::atomic::write_file`]).
fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&fs::File>, &Path) -> io::Result<Option<T>>,
) -> Result<Option<T>, BuildError> {
    crate::atomic::write_file(path, write).map_err(|source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    })
}
