//! [`build_file`]: an ARPA file into a model file, the fastest way that works
//! (what `build-lm` runs).

use std::path::Path;

use super::reading::Outcome;
use super::{
    check_counts, check_options, compile, pass_file, write_file, BuildError, BuildOptions, Streamed,
};
use crate::arpa::{input_name, open_model_input, ArpaReader, Input, NGramSet};

/// A step of [`build_file`], for a progress display.
///
/// ```
/// use dashlm::build::BuildStep;
/// assert_ne!(BuildStep::Stream, BuildStep::Complete);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildStep {
    /// Reading the input and writing the file in one pass.
    Stream,
    /// Reading the input again and writing the file, completing the model
    /// with KenLM's blanks (n-grams the model needs and the file lacks).
    Complete,
    /// Reading the input into memory (standard input or a pipe, which cannot
    /// be read twice, or a file whose error the passes before could not
    /// report as this reading does).
    Read,
    /// Building the tables in memory.
    Compile,
    /// Writing the file built in memory.
    Write,
}

/// Compiles the ARPA file `input` (plain, gzip or xz; `-` is standard input)
/// into the model file `output`, written under a temporary name and renamed
/// into place when complete, the fastest way that works:
/// - a regular file is read in one streaming pass that writes the file as it
///   reads ([`stream_model`](super::stream_model)); a model that needs
///   KenLM's blanks is read a second time and completed
///   ([`complete_model`](super::complete_model));
/// - standard input or a pipe (which cannot be read twice) is read into an
///   [`NGramSet`], which reports any error with its line, and compiled in
///   memory ([`compile`]).
///
/// A pass that meets an error in the input (a syntax error, a count that
/// does not match, a repeated unigram, a word missing from the unigrams, a
/// missing `<s>` or `</s>`) reports it at once, as [`NGramSet`] does, when
/// it is the first [`NGramSet`] would report (no duplicate n-gram came
/// before it). Otherwise (a duplicate n-gram, or an error among the highest
/// order's n-grams once the completing pass holds them) the file is read
/// into an [`NGramSet`] too, which reports it: never after a completing pass
/// that the streaming one did not need.
///
/// `progress(step, bytes, len)` is called as each step starts and, while
/// the input is read, every 65,536 n-grams: the step, the input's bytes read
/// so far (0 in the steps that read nothing) and its length when known.
///
/// # Errors
/// [`BuildError::Input`] when the input cannot be opened or is a directory,
/// socket or device; [`BuildError::CompiledInput`] for a compiled model;
/// [`BuildError::Arpa`] for an ARPA error (naming the input as
/// [`input_name`] does); and [`compile`]'s and [`write_file`]'s errors. A
/// model too large for the format is refused as soon as its header (or, for
/// an order's slots or keys, the order below) shows it, not after reading
/// it into memory; options no build can follow before anything is read.
///
/// ```
/// use dashlm::build::{build_file, BuildOptions, BuildStep};
/// use dashlm::{LanguageModel, Model};
/// let dir = tempfile::tempdir().unwrap();
/// let out = dir.path().join("tiny.dlm");
/// let mut steps = Vec::new();
/// let built = build_file("data/tiny.arpa".as_ref(), BuildOptions::default(), &out, |step, _, _| {
///     steps.push(step)
/// })
/// .unwrap();
/// assert_eq!(built.summary.counts, [8, 7, 4]);
/// assert_eq!(steps, [BuildStep::Stream]); // one pass
/// assert_eq!(Model::open(&out).unwrap().order(), 3);
/// // An error names the input's line.
/// let err = build_file("data/arpa/bad-no-end.arpa".as_ref(), BuildOptions::default(), &out, |_, _, _| {})
///     .unwrap_err();
/// assert!(err.to_string().starts_with("data/arpa/bad-no-end.arpa:20: "), "{err}");
/// ```
pub fn build_file(
    input: &Path,
    opts: BuildOptions,
    output: &Path,
    mut progress: impl FnMut(BuildStep, u64, Option<u64>),
) -> Result<Streamed, BuildError> {
    check_options(opts)?;
    let rereadable =
        input.as_os_str() != "-" && std::fs::metadata(input).is_ok_and(|m| m.is_file());
    let name = input_name(input);
    if rereadable {
        let mut step = BuildStep::Stream;
        loop {
            let opened = open(input)?;
            let (bytes, len) = (opened.progress.clone(), opened.file_len);
            progress(step, 0, len);
            let show = |_| progress(step, bytes.bytes(), len);
            let reader = opened.into_threaded();
            let source = Some(name.as_str());
            let ended = pass_file(step, reader, opts, output, source, show)?;
            match ended {
                Outcome::Built(built) => return Ok(built),
                Outcome::Blanks if step == BuildStep::Stream => step = BuildStep::Complete,
                // An error for NGramSet to report.
                Outcome::Blanks | Outcome::InMemory => break,
            }
        }
    }
    let opened = open(input)?;
    let (bytes, len) = (opened.progress.clone(), opened.file_len);
    progress(BuildStep::Read, 0, len);
    let show = |_| progress(BuildStep::Read, bytes.bytes(), len);
    let reader = ArpaReader::new(opened.reader, &name)?;
    // A model too large for the format is refused before it is read.
    check_counts(reader.counts(), opts, true)?;
    let set = NGramSet::read_from(reader, show)?;
    progress(BuildStep::Compile, 0, None);
    let (file, summary) = compile(&set, opts)?;
    let unk_added = set.unk_added();
    drop(set);
    progress(BuildStep::Write, 0, None);
    write_file(&file, output)?;
    Ok(Streamed { summary, unk_added })
}

/// Opens `input` once, reading its first bytes: a regular file, a FIFO or
/// pipe, or standard input for `-`; a directory, socket, device or compiled
/// model is refused.
fn open(input: &Path) -> Result<Input, BuildError> {
    let name = input_name(input);
    let io = |source| BuildError::Input {
        name: name.clone(),
        source,
    };
    let opened = open_model_input(input).map_err(io)?;
    // The whole magic: a file of one `D` is no model (its ARPA error says
    // what it lacks).
    if opened.head.starts_with(&crate::format::MAGIC) {
        return Err(BuildError::CompiledInput { name });
    }
    Ok(opened)
}
