//! SRILM n-best lists (see SRILM's `nbest-format(5)`): one file per utterance.
//!
//! Two forms are read:
//!
//! - The plain form, written by `ngram -rescore`: one hypothesis per line,
//!   `acoustic_score lm_score num_words w1 w2 ...`, scores in **log10**:
//!   ```text
//!   -242.6258 -17.9582 7 it's amazing uses a device in a
//!   -246.9393 -17.7293 7 it's amazing use a device in a
//!   ```
//!   `num_words` must equal the number of words that follow. A score of `-inf`
//!   (any case, also `-infinity`) is a probability of zero, as SRILM writes and
//!   reads it (for a word a closed-vocabulary LM does not know): such a
//!   hypothesis ranks last unless its score is weighted 0. `+inf` and `nan`
//!   are errors.
//! - The SRI Decipher forms, after a header line `NBestList1.0` (one
//!   composite score a hypothesis) or `NBestList2.0` (also times and scores
//!   per word), scores in **bytelog** units (see [`decipher`] for how each is
//!   read):
//!   ```text
//!   NBestList1.0
//!   (-5213) it's amazing uses a device in a
//!   ```
//!   ```text
//!   NBestList2.0
//!   (-5213) it's ( st: 0.00 et: 0.31 g: -1402 a: -1088 ) amazing ( st: 0.32 et: 0.80 g: -2101 a: -622 )
//!   ```
//!
//! The utterance id is the file name without `.nbest` (and `.gz`/`.xz`). A
//! directory holds one `<id>.nbest` file per utterance (read in name order); a
//! list file names one n-best file per line. Optional extras follow SRILM's
//! score-directory convention: a subdirectory `<name>/` holding `<id>.nbest`
//! files with one score per line (natural log) is read as the extra score
//! `name`; an optional `refs` file (`id w1 w2 ...` lines) gives references.
//! Written lists use the plain form, but for lists whose hypotheses have no
//! first-pass LM score (as read from `NBestList1.0`), written in the
//! `NBestList1.0` form, so the missing score reads back missing, not as 0;
//! a list where only some hypotheses have one is refused ([`write_file`]).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{clip, short, NbestError, NbestErrorKind};
use super::joined::Words;
use super::kaldi;
use super::nbest::{
    attach_dir_references, parse_score, read_text_file, refuse_standard_input, Hypothesis,
    NbestList, Zero,
};
use super::outdir::{create_file, NamedBy};
use super::writable::{IdUse, LogZero};
use crate::arpa::{Compressed, Compression};

pub mod decipher;

use decipher::Form;
pub use decipher::{bytelog_to_ln, ln_to_bytelog};

/// Reads one SRILM n-best file (plain, `NBestList1.0` or `NBestList2.0` form)
/// for utterance `id`;
/// `source` names it in errors.
///
/// # Errors
/// A malformed line (bad number, wrong word count, a header other than
/// `NBestList1.0` and `NBestList2.0`), with its line.
///
/// ```
/// let text = "-100 -10 2 a b\n-101 -9 1 a\n";
/// let list = dashlm::rescore::srilm::read_file(text.as_bytes(), "u1.nbest", "u1").unwrap();
/// assert_eq!(list.hyps[1].words, ["a"]);
/// assert!((list.hyps[0].acoustic - (-100.0 * std::f64::consts::LN_10)).abs() < 1e-9);
/// ```
pub fn read_file<R: BufRead>(input: R, source: &str, id: &str) -> Result<NbestList, NbestError> {
    let mut list = NbestList::new(id);
    let mut decipher = None;
    super::nbest::read_lines(input, source, |text, _| {
        if text.starts_with("NBestList") {
            if !list.hyps.is_empty() || decipher.is_some() {
                return Err(NbestErrorKind::Syntax {
                    expected: "the NBestList header only on the first line",
                    found: text.to_string(),
                });
            }
            decipher = Some(Form::of_header(text)?);
            return Ok(());
        }
        let hyp = match decipher {
            Some(form) => form.parse(text)?,
            None => parse_plain(text)?,
        };
        list.hyps.push(hyp);
        Ok(())
    })?;
    Ok(list)
}

/// A log10 score `token` in natural log: `-inf` (a probability of zero, as
/// SRILM writes it) or finite before and after (`1e308` is finite, times ln 10
/// it is not: out of range).
fn log10_score(token: &str, what: &'static str) -> Result<f64, NbestErrorKind> {
    let log10 = parse_score(token, what, Zero::MinusInf)?;
    Some(log10 * std::f64::consts::LN_10)
        .filter(|v| v.is_finite() || log10.is_infinite())
        .ok_or_else(|| NbestErrorKind::OutOfRange {
            what,
            found: token.to_string(),
            why: "a finite log10 value whose natural log (times ln 10) is past the range of \
                  a 64-bit float",
        })
}

fn parse_plain(text: &str) -> Result<Hypothesis, NbestErrorKind> {
    let mut tokens = crate::text::words(text);
    let (Some(ac), Some(lm), Some(count)) = (tokens.next(), tokens.next(), tokens.next()) else {
        return Err(NbestErrorKind::Syntax {
            expected: "`acoustic_score lm_score num_words w1 w2 ...`",
            found: text.to_string(),
        });
    };
    let acoustic = log10_score(ac, "acoustic score")?;
    let lm = log10_score(lm, "LM score")?;
    let declared = count.parse::<usize>().map_err(|_| NbestErrorKind::Number {
        what: "word count",
        found: count.to_string(),
    })?;
    let words: Words = tokens.collect();
    if words.len() != declared {
        return Err(NbestErrorKind::WordCount {
            declared,
            found: words.len(),
        });
    }
    let mut stripped = words;
    stripped.strip_sentence_markers();
    Ok(Hypothesis {
        words: stripped,
        acoustic,
        lm: Some(lm),
        ..Hypothesis::default()
    })
}

/// The utterance id of an n-best file: its name without `.gz`/`.xz`, then `.nbest`.
///
/// ```
/// use std::path::Path;
/// assert_eq!(dashlm::rescore::srilm::id_of(Path::new("d/u_01.nbest.gz")), "u_01");
/// assert_eq!(dashlm::rescore::srilm::id_of(Path::new("u2")), "u2");
/// ```
pub fn id_of(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".xz"))
        .unwrap_or(&name);
    name.strip_suffix(".nbest").unwrap_or(name).to_string()
}

pub(super) fn is_nbest_name(name: &str) -> bool {
    name.ends_with(".nbest") || name.ends_with(".nbest.gz") || name.ends_with(".nbest.xz")
}

/// Reads one n-best file (plain, .gz or .xz) from disk.
///
/// # Errors
/// As [`read_file`], plus failing to open it.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("u7.nbest");
/// std::fs::write(&p, "-1 -2 1 hi\n").unwrap();
/// assert_eq!(dashlm::rescore::srilm::read_file_path(&p).unwrap().id, "u7");
/// ```
pub fn read_file_path(path: &Path) -> Result<NbestList, NbestError> {
    let name = path.display().to_string();
    let input = crate::arpa::open_input(path).map_err(|e| NbestError::io(&name, e))?;
    read_file(input.reader, &name, &id_of(path))
}

/// The files of score directory `dir` by utterance id: `<id>.nbest` (or
/// `.nbest.gz`, `.nbest.xz`, as the n-best files may be). A file for an
/// utterance that has no n-best file (`ids`), or two files of one id, is an
/// error: a score silently left out would change what the lists carry. Other
/// names are not score files and are passed over, as in the directory above.
fn score_files(dir: &Path, ids: &HashSet<String>) -> Result<HashMap<String, PathBuf>, NbestError> {
    let dir_name = dir.display().to_string();
    let mut files = HashMap::new();
    for entry in fs::read_dir(dir).map_err(|e| NbestError::io(&dir_name, e))? {
        let path = entry.map_err(|e| NbestError::io(&dir_name, e))?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() || !is_nbest_name(&name) {
            continue;
        }
        let id = id_of(&path);
        let shown = path.display().to_string();
        if !ids.contains(&id) {
            return Err(NbestError::new(
                &shown,
                0,
                NbestErrorKind::UnknownUtterance(id),
            ));
        }
        if files.insert(id.clone(), path).is_some() {
            return Err(NbestError::new(&shown, 0, NbestErrorKind::Duplicate(id)));
        }
    }
    Ok(files)
}

/// The values of extra score `score` in `path`, a file of its score
/// directory: one number per line.
fn read_scores(path: &Path, score: &str) -> Result<Vec<f64>, NbestError> {
    let name = path.display().to_string();
    let text = read_text_file(path, &name)?;
    let mut scores = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = crate::text::trim(line);
        if t.is_empty() {
            continue;
        }
        let v = parse_score(t, "score", Zero::MinusInf).map_err(|k| {
            // Likely an n-best file: say how the subdirectory is read.
            let k = match k {
                NbestErrorKind::Number { found, .. } => NbestErrorKind::ScoreDirectoryLine {
                    score: score.to_string(),
                    found,
                },
                k => k,
            };
            NbestError::new(&name, i as u64 + 1, k)
        })?;
        scores.push(v);
    }
    Ok(scores)
}

/// What directory `dir` holds, for the error when it has no n-best files:
/// up to 3 entries by name (subdirectories with a `/`).
pub(crate) fn describe_dir(dir: &Path) -> String {
    let Ok(entries) = fs::read_dir(dir) else {
        return "it cannot be listed".to_string();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| {
            let slash = if e.path().is_dir() { "/" } else { "" };
            format!("{}{slash}", e.file_name().to_string_lossy())
        })
        .collect();
    names.sort();
    let shown: Vec<String> = names
        .iter()
        .take(3)
        .map(|n| format!("`{}`", clip(n)))
        .collect();
    let more = match names.len() {
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    let mut text = match names.len() {
        0 => "it is empty".to_string(),
        _ => format!("it holds {}{more}", shown.join(", ")),
    };
    if names.iter().any(|n| n.ends_with('/')) {
        text.push_str(" (subdirectories are read as score directories)");
    }
    if super::sniff::looks_like(dir) == Some(super::Format::Kaldi) {
        text.push_str(" (it looks like a Kaldi n-best directory: give --format kaldi)");
    }
    text
}

/// Reads a directory of `<id>.nbest` files, in file-name order, with the extra
/// score subdirectories and the `refs` file described in the [module](self) docs.
///
/// # Errors
/// The first malformed file, a score file whose length disagrees with its
/// list, or a `refs` file none of whose references is for an utterance here
/// ([`NbestErrorKind::UnmatchedReferences`]).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("b.nbest"), "-1 -2 1 x\n").unwrap();
/// std::fs::write(dir.path().join("a.nbest"), "-1 -2 1 y\n").unwrap();
/// let lists = dashlm::rescore::srilm::read_dir(dir.path()).unwrap();
/// assert_eq!(lists[0].id, "a");
/// ```
pub fn read_dir(dir: &Path) -> Result<Vec<NbestList>, NbestError> {
    let dir_name = dir.display().to_string();
    let mut files = Vec::new();
    let mut subdirs = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| NbestError::io(&dir_name, e))? {
        let entry = entry.map_err(|e| NbestError::io(&dir_name, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            // The score's name, shared by every hypothesis given it.
            subdirs.push((Arc::<str>::from(name), path));
        } else if is_nbest_name(&name) {
            files.push(path);
        }
    }
    files.sort();
    subdirs.sort();
    let mut lists = files
        .iter()
        .map(|p| read_file_path(p))
        .collect::<Result<Vec<_>, _>>()?;
    // `u.nbest` and `u.nbest.gz` are both utterance `u`.
    let mut ids = HashSet::new();
    for (list, path) in lists.iter().zip(&files) {
        if !ids.insert(list.id.clone()) {
            let name = path.display().to_string();
            return Err(NbestError::new(
                &name,
                0,
                NbestErrorKind::Duplicate(list.id.clone()),
            ));
        }
    }
    if lists.is_empty() {
        // No n-best file: the caller says what was looked for (a score
        // directory's files are no utterances of their own).
        return Ok(lists);
    }
    for (name, sub) in &subdirs {
        let files = score_files(sub, &ids)?;
        for list in &mut lists {
            let Some(path) = files.get(list.id.as_str()) else {
                continue;
            };
            let scores = read_scores(path, name)?;
            if scores.len() != list.hyps.len() {
                return Err(NbestError::new(
                    &path.display().to_string(),
                    0,
                    NbestErrorKind::ScoreCount {
                        expected: list.hyps.len(),
                        found: scores.len(),
                    },
                ));
            }
            for (h, s) in list.hyps.iter_mut().zip(scores) {
                h.extra.insert(name.clone(), s);
            }
        }
    }
    attach_dir_references(&mut lists, dir)?;
    Ok(lists)
}

/// Reads the n-best files named in a list file, one path per line (relative
/// paths are taken from the list file's directory), in the listed order.
///
/// # Errors
/// A malformed n-best file, or a file that cannot be opened (with the list's line).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("u.nbest"), "-1 -2 1 x\n").unwrap();
/// std::fs::write(dir.path().join("list"), "u.nbest\n").unwrap();
/// let lists = dashlm::rescore::srilm::read_list(&dir.path().join("list")).unwrap();
/// assert_eq!(lists[0].id, "u");
/// ```
pub fn read_list(list: &Path) -> Result<Vec<NbestList>, NbestError> {
    let name = list.display().to_string();
    let mut lists = Vec::new();
    let mut seen = HashSet::new();
    for (line, p) in listed_files(list)? {
        let list = read_file_path(&p)?;
        // Two files of one name in two directories are one utterance id.
        if !seen.insert(list.id.clone()) {
            return Err(NbestError::new(
                &name,
                line,
                NbestErrorKind::Duplicate(list.id),
            ));
        }
        lists.push(list);
    }
    Ok(lists)
}

/// The n-best files a list file names, each with its line: relative paths
/// taken from the list file's directory, blank lines skipped.
///
/// # Errors
/// The list cannot be read, or a line names no file (with the list's line).
fn listed_files(list: &Path) -> Result<Vec<(u64, PathBuf)>, NbestError> {
    let name = list.display().to_string();
    let text = read_text_file(list, &name)?;
    let base = list.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut files = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = crate::text::trim(line);
        if t.is_empty() {
            continue;
        }
        let p = PathBuf::from(t);
        let p = if p.is_absolute() { p } else { base.join(p) };
        if !p.is_file() {
            let path = p.display().to_string();
            let mut what = match p.is_dir() {
                true => format!("{}: a directory, not an n-best file", clip(&path)),
                false => format!("{}: no such n-best file", clip(&path)),
            };
            if t.starts_with('{') {
                what.push_str(
                    " (the line looks like JSON: the input is read as an SRILM list file)",
                );
            }
            return Err(NbestError::new(
                &name,
                i as u64 + 1,
                NbestErrorKind::Io(io::Error::new(io::ErrorKind::NotFound, what)),
            ));
        }
        files.push((i as u64 + 1, p));
    }
    Ok(files)
}

/// Reads `path` as a directory ([`read_dir`]), a single n-best file (its first
/// non-blank line is `NBestList1.0` or starts with a number), or a list file.
/// An empty or blank file is an utterance without hypotheses when it is named
/// `<id>.nbest` (or `.nbest.gz`, `.nbest.xz`), else it holds no lists.
///
/// # Errors
/// As the function chosen.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("u.nbest");
/// std::fs::write(&p, "NBestList1.0\n(-100) a b\n").unwrap();
/// let lists = dashlm::rescore::srilm::read_path(&p).unwrap();
/// assert_eq!(lists[0].hyps[0].lm, None);
/// ```
pub fn read_path(path: &Path) -> Result<Vec<NbestList>, NbestError> {
    match kind_of(path)? {
        Kind::Dir => read_dir(path),
        Kind::Nbest => Ok(vec![read_file_path(path)?]),
        Kind::Nothing => Ok(Vec::new()),
        Kind::List => read_list(path),
    }
}

/// What [`read_path`] reads a path as.
enum Kind {
    /// A directory of n-best files.
    Dir,
    /// One n-best file (perhaps empty, when named `<id>.nbest`).
    Nbest,
    /// An empty or blank file of another name: no lists.
    Nothing,
    /// A list file naming n-best files.
    List,
}

/// Tells what `path` holds (see [`read_path`]) by its first non-blank line.
fn kind_of(path: &Path) -> Result<Kind, NbestError> {
    if path.is_dir() {
        return Ok(Kind::Dir);
    }
    let name = path.display().to_string();
    // A file is read twice (to tell its kind, then to read it), and an
    // utterance's id is its file's name: standard input has neither.
    refuse_standard_input(
        path,
        "SRILM n-best lists are read from files, a list file or a directory (an \
         utterance's id is its file's name)",
    )?;
    let mut input = crate::arpa::open_input(path).map_err(|e| NbestError::io(&name, e))?;
    let mut first = String::new();
    loop {
        first.clear();
        let n = input
            .reader
            .read_line(&mut first)
            .map_err(|e| NbestError::io(&name, e))?;
        if n == 0 || !crate::text::trim(&first).is_empty() {
            break;
        }
    }
    let (token, _) = crate::text::first_word(&first);
    if token.is_empty() {
        // Empty or blank: `<id>.nbest` is an utterance without hypotheses (as
        // in a directory); any other name holds no lists, rather than being an
        // utterance named after a list file (or a wrong path) with none.
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        return Ok(if is_nbest_name(&name) {
            Kind::Nbest
        } else {
            Kind::Nothing
        });
    }
    let is_nbest =
        token.starts_with("NBestList") || token.starts_with('(') || token.parse::<f64>().is_ok();
    Ok(if is_nbest { Kind::Nbest } else { Kind::List })
}

/// Formats a score so that it reads back as the same `f64`: the shortest
/// decimal that does, positional from 1e-5 to 1e16 and in exponent notation
/// beyond (`1e-15` and `-1e300`, not 0 and 301 digits); `-0` as `0`.
pub(crate) fn fmt_score(x: f64) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    match x.abs() {
        a if !a.is_finite() || (1e-5..1e16).contains(&a) => format!("{x}"),
        _ => format!("{x:e}"),
    }
}

/// Formats a score converted from natural log (to log10 or to bytelogs):
/// rounded to 15 significant digits, then as [`fmt_score`]. The
/// conversion's last-bit noise goes (`-242.6258`, not `-242.62580000000003`,
/// for a log10 score read as `-242.6258`), and the value read back is within
/// 5e-15 (relative) of the converted one.
pub(crate) fn fmt_converted(x: f64) -> String {
    if !x.is_finite() {
        return fmt_score(x);
    }
    let rounded: f64 = format!("{x:.14e}")
        .parse()
        .expect("a float's own exponent form");
    fmt_score(rounded)
}

/// Writes one list: in the plain form when its hypotheses have first-pass LM
/// scores (converted to log10, to 15 significant digits), in the
/// `NBestList1.0` form when none has (its one score per line is the acoustic
/// score, in bytelog units, as the reader takes it: a plain line would need an
/// LM score, and any number there would read back as one).
///
/// # Errors
/// Any I/O error; before anything is written, an [`io::ErrorKind::InvalidInput`]
/// error naming the hypothesis for what would not read back as written: a word
/// that is empty or holds whitespace, a leading `<s>` or trailing `</s>`, a
/// score that is NaN or `+inf` (`-inf` is written as `-inf`, but for the
/// acoustic scores of an `NBestList1.0` list: bytelogs are finite), a
/// hypothesis without a first-pass LM score in a list where another has one.
///
/// ```
/// use dashlm::rescore::{srilm, Hypothesis, NbestList};
/// let ln10 = std::f64::consts::LN_10;
/// let mut bad = NbestList::new("u").with_hyp(Hypothesis::new("a", -1.0));
/// bad.hyps[0].words.push("b c".to_string());
/// assert!(srilm::write_file(&mut Vec::new(), &bad).is_err());
/// let list = NbestList::new("u").with_hyp(Hypothesis::new("a b", -2.5 * ln10).with_lm(-1.0 * ln10));
/// let mut out = Vec::new();
/// srilm::write_file(&mut out, &list).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "-2.5 -1 2 a b\n");
/// // A probability of zero, as SRILM writes it.
/// let zero = NbestList::new("u").with_hyp(Hypothesis::new("a", -1.0).with_lm(f64::NEG_INFINITY));
/// let mut out = Vec::new();
/// srilm::write_file(&mut out, &zero).unwrap();
/// assert!(String::from_utf8(out).unwrap().ends_with(" -inf 1 a\n"));
/// // No first-pass LM scores: the acoustic score in bytelogs.
/// let bytelog = srilm::bytelog_to_ln(-1234.0);
/// let no_lm = NbestList::new("u").with_hyp(Hypothesis::new("a b", bytelog));
/// let mut out = Vec::new();
/// srilm::write_file(&mut out, &no_lm).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "NBestList1.0\n(-1234) a b\n");
/// // Some with, some without: refused.
/// let mixed = list.clone().with_hyp(Hypothesis::new("c", -1.0));
/// assert!(srilm::write_file(&mut Vec::new(), &mixed).is_err());
/// ```
pub fn write_file<W: Write>(out: &mut W, list: &NbestList) -> io::Result<()> {
    super::writable::check_list(list, LogZero::Written)?;
    check_form(list)?;
    write_hyps(out, list)
}

/// Whether `list` is written in the `NBestList1.0` form: it has hypotheses
/// and none has a first-pass LM score.
fn without_lm(list: &NbestList) -> bool {
    !list.hyps.is_empty() && list.hyps.iter().all(|h| h.lm.is_none())
}

/// What the form of `list` needs beyond [`check_list`](super::writable::check_list):
/// first-pass LM scores on all its hypotheses or none, and without them,
/// finite acoustic scores.
fn check_form(list: &NbestList) -> io::Result<()> {
    let hyp = |k: usize| format!("utterance `{}`, hypothesis {}", clip(&list.id), k + 1);
    let with = list.hyps.iter().position(|h| h.lm.is_some());
    let without = list.hyps.iter().position(|h| h.lm.is_none());
    if let (Some(w), Some(k)) = (with, without) {
        return Err(super::writable::unwritable(format!(
            "{}: no first-pass LM score, but hypothesis {} has one: an SRILM n-best file \
             gives an LM score on every line (the plain form) or on none (NBestList1.0)",
            hyp(k),
            w + 1
        )));
    }
    let no_bytelog = |h: &Hypothesis| !decipher::ln_as_bytelog(h.acoustic).is_finite();
    match list.hyps.iter().position(no_bytelog) {
        Some(k) if with.is_none() => Err(super::writable::unwritable(format!(
            "{}: the acoustic score is {}, which as a bytelog is not finite: an NBestList1.0 \
             file (the form of lists without first-pass LM scores) holds finite bytelog \
             scores only",
            hyp(k),
            short(list.hyps[k].acoustic)
        ))),
        _ => Ok(()),
    }
}

/// The lines of [`write_file`], for a list already checked.
fn write_hyps<W: Write>(out: &mut W, list: &NbestList) -> io::Result<()> {
    if without_lm(list) {
        return decipher::write_v1(out, list);
    }
    let ln10 = std::f64::consts::LN_10;
    for h in &list.hyps {
        let lm =
            h.lm.expect("checked: every hypothesis has a first-pass LM score");
        write!(
            out,
            "{} {} {}",
            fmt_converted(h.acoustic / ln10),
            fmt_converted(lm / ln10),
            h.words.len()
        )?;
        if !h.words.is_empty() {
            write!(out, " {}", h.words.as_str())?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The checks [`write_dir`] makes before writing anything (its `# Errors`).
pub(crate) fn check(lists: &[NbestList]) -> io::Result<()> {
    super::writable::check_lists(lists, IdUse::FileName, LogZero::Written)?;
    for list in lists {
        check_form(list)?;
        for name in list.hyps.iter().flat_map(|h| h.extra.keys()) {
            super::writable::check_score_name(&list.id, name)?;
            if name == "refs" || is_nbest_name(name) {
                return Err(super::writable::unwritable(format!(
                    "utterance `{}`: extra score name `{name}` cannot be written: its \
                     directory would take the place of the `refs` file or an n-best file",
                    super::error::clip(&list.id)
                )));
            }
        }
    }
    Ok(())
}

/// Writes lists as a directory: `<id>.nbest` per list, each extra score that
/// every hypothesis of a list has as `<name>/<id>.nbest` (one natural-log value per
/// line, as the shortest decimal that reads back as the same number), and
/// `refs` when some list has a reference.
/// `dir` must be new or empty; it appears whole or not at all (see
/// [`check_new_dir`](super::check_new_dir)).
///
/// # Errors
/// `dir` exists and is not an empty directory, or any I/O error; two utterance ids or extra score names
/// that differ only in case, which a case-insensitive file system takes for
/// one file, are an [`io::ErrorKind::AlreadyExists`] error naming it. Before
/// anything is written, an [`io::ErrorKind::InvalidInput`] error naming the
/// utterance for what would not read back as written: an id that is not a file
/// name of its own (empty, `.`, `..`, holding `/`, `\`, NUL or whitespace), two
/// lists with one id, an extra score name that is not a directory name of its
/// own or is `refs` or an n-best file's name, or what [`write_file`] refuses.
///
/// ```
/// use dashlm::rescore::{srilm, Hypothesis, NbestList};
/// let dir = tempfile::tempdir().unwrap();
/// let escape = vec![NbestList::new("../u").with_hyp(Hypothesis::new("a", -1.0))];
/// assert!(srilm::write_dir(&dir.path().join("out"), &escape).is_err());
/// let lists = vec![NbestList::new("u").with_reference("a").with_hyp(Hypothesis::new("a", -1.0).with_extra("total", -3.0))];
/// srilm::write_dir(dir.path(), &lists).unwrap();
/// let back = srilm::read_dir(dir.path()).unwrap();
/// assert_eq!(back[0].hyps[0].extra["total"], -3.0);
/// assert_eq!(back[0].reference, lists[0].reference);
/// ```
pub fn write_dir(dir: &Path, lists: &[NbestList]) -> io::Result<()> {
    write_dir_compressed(dir, lists, Compression::None)
}

/// [`write_dir`] with the n-best files and the score directories' files
/// compressed as `compression` says (level 6), named `<id>.nbest.gz` (or
/// `.xz`) as n-best files may be read; `refs` stays plain. `dashlm rescore`
/// writes its output so when the input's n-best files all are
/// ([`input_compression`]).
///
/// # Errors
/// As [`write_dir`].
///
/// ```
/// use dashlm::arpa::Compression;
/// use dashlm::rescore::{srilm, Hypothesis, NbestList};
/// let (gz, plain) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
/// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("a b", -1.0).with_lm(-2.0))];
/// srilm::write_dir_compressed(gz.path(), &lists, Compression::Gzip).unwrap();
/// assert!(gz.path().join("u.nbest.gz").is_file());
/// assert_eq!(srilm::dir_compression(gz.path()).unwrap(), Compression::Gzip);
/// srilm::write_dir(plain.path(), &lists).unwrap();
/// assert_eq!(srilm::read_dir(gz.path()).unwrap(), srilm::read_dir(plain.path()).unwrap());
/// ```
pub fn write_dir_compressed(
    dir: &Path,
    lists: &[NbestList],
    compression: Compression,
) -> io::Result<()> {
    check(lists)?;
    super::outdir::write_new_dir(dir, |dir| write_files(dir, lists, compression))
}

/// How the n-best files of `path` are compressed, by their names: gzip when
/// it is a directory whose `<id>.nbest*` files all end in `.gz`, xz when they
/// all end in `.xz`, else (mixed, none, or `path` not a directory) none.
///
/// # Errors
/// Listing the directory fails.
///
/// ```
/// use dashlm::arpa::Compression;
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("u1.nbest.xz"), "").unwrap();
/// assert_eq!(dashlm::rescore::srilm::dir_compression(dir.path()).unwrap(), Compression::Xz);
/// std::fs::write(dir.path().join("u2.nbest"), "").unwrap();
/// assert_eq!(dashlm::rescore::srilm::dir_compression(dir.path()).unwrap(), Compression::None);
/// ```
pub fn dir_compression(path: &Path) -> io::Result<Compression> {
    if !path.is_dir() {
        return Ok(Compression::None);
    }
    let mut each = Vec::new();
    for entry in fs::read_dir(path)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if !path.is_dir() && is_nbest_name(&name) {
            each.push(Compression::of_name(&path));
        }
    }
    Ok(same_compression(each.into_iter()))
}

/// How the n-best files `path` holds or names are compressed, by their names
/// (see [`dir_compression`]): a directory's, a single n-best file's, or those
/// a list file names (gzip when all end in `.gz`, xz when all end in `.xz`,
/// else none). `dashlm rescore` writes its SRILM output so.
///
/// # Errors
/// As [`read_path`] telling what `path` is, or reading a list file.
///
/// ```
/// use dashlm::arpa::Compression;
/// use dashlm::rescore::srilm::input_compression;
/// let dir = tempfile::tempdir().unwrap();
/// let d = dir.path();
/// for name in ["a.nbest.gz", "b.nbest.gz", "c.nbest"] {
///     std::fs::write(d.join(name), "").unwrap();
/// }
/// std::fs::write(d.join("gz.list"), "a.nbest.gz\nb.nbest.gz\n").unwrap();
/// assert_eq!(input_compression(&d.join("gz.list")).unwrap(), Compression::Gzip);
/// std::fs::write(d.join("mixed.list"), "a.nbest.gz\nc.nbest\n").unwrap();
/// assert_eq!(input_compression(&d.join("mixed.list")).unwrap(), Compression::None);
/// assert_eq!(input_compression(&d.join("b.nbest.gz")).unwrap(), Compression::Gzip);
/// assert_eq!(input_compression(d).unwrap(), Compression::None); // the directory's are mixed
/// ```
pub fn input_compression(path: &Path) -> Result<Compression, NbestError> {
    let names: Vec<PathBuf> = match kind_of(path)? {
        Kind::Dir => {
            let name = path.display().to_string();
            return dir_compression(path).map_err(|e| NbestError::io(&name, e));
        }
        Kind::Nbest => vec![path.to_path_buf()],
        Kind::Nothing => Vec::new(),
        Kind::List => listed_files(path)?.into_iter().map(|(_, p)| p).collect(),
    };
    Ok(same_compression(
        names.iter().map(|p| Compression::of_name(p)),
    ))
}

/// The compression all of `each` share, or none (also when `each` is empty).
fn same_compression(mut each: impl Iterator<Item = Compression>) -> Compression {
    let Some(first) = each.next() else {
        return Compression::None;
    };
    if each.all(|c| c == first) {
        first
    } else {
        Compression::None
    }
}

/// A file of [`write_files`], `name` in `dir` (with `compression`'s
/// extension), written by `write` through a buffer and the compressor.
fn write_one(
    dir: &Path,
    name: &str,
    named_by: NamedBy,
    compression: Compression,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let file = create_file(dir, &format!("{name}{}", compression.extension()), named_by)?;
    let mut out = BufWriter::new(Compressed::new(file, compression, 6));
    write(&mut out)?;
    let compressed = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    compressed.finish().map(drop)
}

/// The files of [`write_dir_compressed`], written into existing directory `dir`.
fn write_files(dir: &Path, lists: &[NbestList], compression: Compression) -> io::Result<()> {
    let mut refs = Vec::new();
    for list in lists {
        let file = format!("{}.nbest", list.id);
        write_one(dir, &file, NamedBy::Utterance, compression, |mut out| {
            write_hyps(&mut out, list)
        })?;
        let names: BTreeSet<&str> = list.hyps.iter().flat_map(|h| h.extra.keys()).collect();
        for name in names {
            if !list.hyps.iter().all(|h| h.extra.contains_key(name)) {
                continue;
            }
            fs::create_dir_all(dir.join(name))?;
            let file = format!("{name}/{}.nbest", list.id);
            write_one(dir, &file, NamedBy::UtteranceAndScore, compression, |out| {
                for h in &list.hyps {
                    writeln!(out, "{}", fmt_score(h.extra[name]))?;
                }
                Ok(())
            })?;
        }
        if let Some(r) = &list.reference {
            refs.push((list.id.clone(), r.clone()));
        }
    }
    if !refs.is_empty() {
        // Plain, whatever the lists' compression: `refs` is read by name.
        write_one(
            dir,
            "refs",
            NamedBy::Format,
            Compression::None,
            |mut out| {
                kaldi::write_entries(&mut out, refs.iter().map(|(id, w)| (id.as_str(), &w[..])))
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::outdir::assert_existing_file_refused;
    use super::*;

    /// What a case-insensitive file system does: the file of utterance `A`
    /// (or score `Total`, or `REFS`) is there when `a` (or `total`, or
    /// `refs`) is written. The second write is an error naming the file,
    /// and the first is kept.
    #[test]
    fn a_file_already_written_is_an_error_not_emptied() {
        let lists = [NbestList::new("a")
            .with_reference("a")
            .with_hyp(Hypothesis::new("a", -1.0).with_extra("total", -3.0))];
        let write = |dir: &Path| write_files(dir, &lists, Compression::None);
        let utterance = "a.nbest: this file was already written for another utterance";
        assert_existing_file_refused(write, "a.nbest", utterance);
        let score = "total/a.nbest: this file was already written for another utterance or score";
        assert_existing_file_refused(write, "total/a.nbest", score);
        assert_existing_file_refused(write, "refs", "refs: an extra score's file or directory");
    }

    /// A score file is found compressed as n-best files may be; one for an
    /// utterance without an n-best file, or two for one utterance, is an
    /// error (before, the first was skipped and the second never looked at).
    #[test]
    fn score_files_are_all_read_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("u1.nbest"), "-1 -2 1 a\n-3 -4 1 b\n").unwrap();
        fs::create_dir(d.join("x")).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), Default::default());
        gz.write_all(b"7.5\n8\n").unwrap();
        fs::write(d.join("x/u1.nbest.gz"), gz.finish().unwrap()).unwrap();
        fs::write(d.join("x/notes.txt"), "not a score file").unwrap();
        let lists = read_dir(d).unwrap();
        let x: Vec<_> = lists[0]
            .hyps
            .iter()
            .map(|h| h.extra.get("x").copied())
            .collect();
        assert_eq!(x, [Some(7.5), Some(8.0)]);

        fs::write(d.join("x/u2.nbest"), "1\n").unwrap();
        let err = read_dir(d).unwrap_err();
        assert!(matches!(err.kind(), NbestErrorKind::UnknownUtterance(id) if id == "u2"));
        assert!(
            err.to_string().ends_with(
                "x/u2.nbest: a score file for utterance `u2`, which has no n-best file in the directory above"
            ),
            "{err}"
        );
        fs::remove_file(d.join("x/u2.nbest")).unwrap();
        fs::write(d.join("x/u1.nbest"), "1\n2\n").unwrap();
        let err = read_dir(d).unwrap_err();
        assert!(
            matches!(err.kind(), NbestErrorKind::Duplicate(id) if id == "u1"),
            "{err}"
        );
    }

    /// An empty or blank file not named `<id>.nbest` is no utterance (before:
    /// one named after the file, with no hypotheses), so `read_lists` refuses
    /// it; `<id>.nbest` is utterance `id` without hypotheses.
    #[test]
    fn a_blank_file_holds_no_lists_unless_named_as_an_nbest_file() {
        let dir = tempfile::tempdir().unwrap();
        for text in ["", "\n  \n"] {
            let p = dir.path().join("u9.nbest");
            fs::write(&p, text).unwrap();
            let lists = read_path(&p).unwrap();
            assert_eq!(
                (lists.len(), lists[0].id.as_str(), lists[0].hyps.len()),
                (1, "u9", 0)
            );
            let p = dir.path().join("list");
            fs::write(&p, text).unwrap();
            assert!(read_path(&p).unwrap().is_empty());
            let err = crate::rescore::read_lists(&p, crate::rescore::Format::Srilm).unwrap_err();
            assert!(matches!(err.kind(), NbestErrorKind::NoLists { .. }));
            assert!(
                err.to_string()
                    .contains("the file names none (it is empty or blank)"),
                "{err}"
            );
        }
    }
}
