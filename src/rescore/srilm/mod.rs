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
//!   `num_words` must equal the number of tokens that follow, or the number
//!   of words kept: the tokens less SRILM's pause word [`PAUSE`] (`-pau-`),
//!   which the readers drop from every form as SRILM's scoring skips it, and
//!   then less the `<s>` at the start and `</s>` at the end (SRILM's count,
//!   which `ngram -rescore` writes, where each appears once). Read with
//!   [`NoiseWords`] ([`read_path_with_noise`]), the noise words are dropped
//!   too, and the count may also leave them out, as `ngram -rescore
//!   -noise-vocab` writes it (see [`noise`](super::noise)). A score of `-inf`
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
//!   A `(score) w1 w2 ...` line without the header is read as this form, as
//!   SRILM reads it (but not among plain lines: a list is written in one form).
//!   ```text
//!   NBestList2.0
//!   (-5213) it's ( st: 0.00 et: 0.31 g: -1402 a: -1088 ) amazing ( st: 0.32 et: 0.80 g: -2101 a: -622 )
//!   ```
//!
//! The utterance id is the file name without `.nbest` or `.score` (and
//! `.gz`/`.xz`). A directory holds one `<id>.nbest` file per utterance (read
//! in name order); a list file names one n-best file per line. Optional
//! extras follow SRILM's score-directory convention: a subdirectory `<name>/`
//! holding `<id>.nbest` files (or `<id>`, `<id>.gz`, as SRILM's scripts name
//! them) with one score per line (log10, or an SRILM `(bytelog)`, as SRILM's
//! `combine-acoustic-scores` reads them) is read as the extra score `name`,
//! kept in natural log as every score is; an optional `refs` file (`id w1 w2
//! ...` lines) gives references.
//! Written lists use the plain form, but for lists whose hypotheses have no
//! first-pass LM score (as read from `NBestList1.0`), written in the
//! `NBestList1.0` form, so the missing score reads back missing, not as 0;
//! a list where only some hypotheses have one is refused ([`write_file`]).
//!
//! ```
//! use dashlm::rescore::{srilm, LN_10};
//! let text = "-242.6258 -17.9582 3 it's amazing uses\n-246.9393 -17.7293 3 it's amazing use\n";
//! let list = srilm::read_file(text.as_bytes(), "utt1.nbest", "utt1").unwrap();
//! assert_eq!(list.hyps[1].text(), "it's amazing use");
//! // log10 scores, read as natural logs.
//! assert_eq!(list.hyps[0].acoustic, -242.6258 * LN_10);
//! let err = srilm::read_file(&b"-1 -2 3 too few\n"[..], "u.nbest", "u").unwrap_err();
//! assert_eq!(err.line(), 1);
//! ```

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{clip, NbestError, NbestErrorKind};
use super::joined::Words;
use super::nbest::{attach_dir_references, refuse_standard_input, Hypothesis, NbestList};
use super::noise::NoiseWords;
use super::text_input::{parse_score, read_text_file, Zero};

pub mod decipher;
mod write;

use decipher::Form;
pub use decipher::{bytelog_to_ln, ln_to_bytelog};
pub(crate) use write::{check, fmt_converted, fmt_score};
pub use write::{
    dir_compression, input_compression, write_dir, write_dir_compressed, write_dir_pending,
    write_file,
};

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
    read_file_with_noise(input, source, id, &NoiseWords::default())
}

/// [`read_file`], dropping the `noise` words from the hypotheses as it drops
/// [`PAUSE`]; a plain line's `num_words` may count them or not (as SRILM
/// writes it with or without `-noise-vocab`).
///
/// # Errors
/// As [`read_file`].
///
/// ```
/// use dashlm::rescore::{srilm, NoiseWords};
/// let noise = NoiseWords::new(["[NOISE]"]).unwrap();
/// for count in [4, 3, 2] {
///     let text = format!("-100 -10 {count} a [NOISE] -pau- b\n");
///     let list = srilm::read_file_with_noise(text.as_bytes(), "u.nbest", "u", &noise).unwrap();
///     assert_eq!(list.hyps[0].words, ["a", "b"]);
/// }
/// ```
pub fn read_file_with_noise<R: BufRead>(
    input: R,
    source: &str,
    id: &str,
    noise: &NoiseWords,
) -> Result<NbestList, NbestError> {
    let mut list = NbestList::new(id);
    let mut decipher = None;
    super::text_input::read_lines(input, source, |text, _| {
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
        let form = match decipher {
            Some(form) => Some(form),
            // A Decipher line without the header, which SRILM reads too; but
            // not among plain lines, as the list is written in one form.
            None if text.starts_with('(') => match list.hyps.first() {
                Some(h) if h.lm.is_some() => return Err(mixed_forms(text)),
                _ => Some(Form::V1),
            },
            None => match list.hyps.first() {
                Some(h) if h.lm.is_none() => return Err(mixed_forms(text)),
                _ => None,
            },
        };
        let hyp = match form {
            Some(form) => {
                let mut hyp = form.parse(text)?;
                keep_words(&mut hyp.words, noise);
                hyp
            }
            None => parse_plain(text, noise)?,
        };
        list.hyps.push(hyp);
        Ok(())
    })?;
    Ok(list)
}

/// SRILM's pause word (`Vocab_Pause` in its `Vocab.h`), which Decipher lists
/// and the plain lists made from them hold between words. SRILM's LM scoring
/// skips it and its word counts leave it out (`LM::prepareSentence`), so the
/// readers drop it from every hypothesis: it is neither scored, nor counted
/// for the word insertion penalty, nor aligned with the reference, and the
/// written lists do not have it.
///
/// ```
/// use dashlm::rescore::srilm;
/// let list = srilm::read_file(&b"-10 -2 2 a -pau- b\n"[..], "u.nbest", "u").unwrap();
/// assert_eq!(list.hyps[0].words, ["a", "b"]);
/// assert_eq!(srilm::PAUSE, "-pau-");
/// ```
pub const PAUSE: &str = "-pau-";

/// The error for line `text` of one form after lines of the other (plain
/// lines and headerless `(bytelog)` lines in one file).
fn mixed_forms(text: &str) -> NbestErrorKind {
    NbestErrorKind::Syntax {
        expected: "the form of the lines before it: plain `acoustic lm num_words w1 ...` lines \
                   and `(bytelog) w1 ...` lines are not mixed in one file (its list is written \
                   back in one form, with first-pass LM scores on every line or on none)",
        found: text.to_string(),
    }
}

/// The words of a hypothesis as SRILM scores them: every [`PAUSE`] and
/// `noise` word dropped, then `<s>` at the start and `</s>` at the end (so
/// `-pau- <s> a </s>` is the words `a`).
fn keep_words(words: &mut Words, noise: &NoiseWords) {
    let dropped = |w: &str| w == PAUSE || noise.contains(w);
    if words.iter().any(dropped) {
        *words = words.iter().filter(|&w| !dropped(w)).collect();
    }
    words.strip_sentence_markers();
}

/// The natural log of a log10 score, as the reader takes it (the writer's
/// [`fmt_converted`] checks that a written score converts back so).
pub(crate) fn log10_to_ln(log10: f64) -> f64 {
    log10 * std::f64::consts::LN_10
}

/// A log10 score `token` in natural log: `-inf` (a probability of zero, as
/// SRILM writes it) or finite before and after (`1e308` is finite, times ln 10
/// it is not: out of range).
fn log10_score(token: &str, what: &'static str) -> Result<f64, NbestErrorKind> {
    let log10 = parse_score(token, what, Zero::MinusInf)?;
    Some(log10_to_ln(log10))
        .filter(|v| v.is_finite() || log10.is_infinite())
        .ok_or_else(|| NbestErrorKind::OutOfRange {
            what,
            found: token.to_string(),
            why: "a finite log10 value whose natural log (times ln 10) is past the range of \
                  a 64-bit float",
        })
}

fn parse_plain(text: &str, noise: &NoiseWords) -> Result<Hypothesis, NbestErrorKind> {
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
    let mut scored: Words = tokens.clone().collect();
    let found = scored.len();
    // The words SRILM scores and counts: without `<s>`, `</s>`, pauses and
    // noise words. SRILM writes that count (`NBestHyp::rescore`); a count of
    // every token is taken too, and with noise words, the count SRILM writes
    // without them configured (the noise words counted).
    keep_words(&mut scored, noise);
    if declared != found && declared != scored.len() {
        let mut with_noise: Words = tokens.collect();
        keep_words(&mut with_noise, &NoiseWords::default());
        let (with_noise, counted) = (with_noise.len(), scored.len());
        if with_noise == counted {
            return Err(NbestErrorKind::WordCount {
                declared,
                found,
                counted,
            });
        } else if declared != with_noise {
            return Err(NbestErrorKind::NoiseWordCount {
                declared,
                found,
                with_noise,
                counted,
            });
        }
    }
    Ok(Hypothesis {
        words: scored,
        acoustic,
        lm: Some(lm),
        ..Hypothesis::default()
    })
}

/// The utterance id of an n-best file: its name without `.gz`/`.xz`, then
/// without `.nbest` or `.score` (the name SRILM's `rescore-decipher` gives the
/// lists it writes, and takes off as this does).
///
/// ```
/// use std::path::Path;
/// assert_eq!(dashlm::rescore::srilm::id_of(Path::new("d/u_01.nbest.gz")), "u_01");
/// assert_eq!(dashlm::rescore::srilm::id_of(Path::new("d/u_02.score.gz")), "u_02");
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
    name.strip_suffix(".nbest")
        .or_else(|| name.strip_suffix(".score"))
        .unwrap_or(name)
        .to_string()
}

pub(super) fn is_nbest_name(name: &str) -> bool {
    name.ends_with(".nbest") || name.ends_with(".nbest.gz") || name.ends_with(".nbest.xz")
}

/// Whether `name` is as SRILM's `rescore-decipher` names the lists it writes,
/// `<id>.score` (or `.gz`, `.xz`): an n-best file when named alone or in a
/// list file, not in a directory (Kaldi's `*.score` archives are not lists).
fn is_score_name(name: &str) -> bool {
    name.ends_with(".score") || name.ends_with(".score.gz") || name.ends_with(".score.xz")
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
    read_file_path_with(path, &NoiseWords::default())
}

/// [`read_file_path`] with [`read_file_with_noise`].
fn read_file_path_with(path: &Path, noise: &NoiseWords) -> Result<NbestList, NbestError> {
    let name = crate::arpa::input_name(path);
    let input = crate::arpa::open_input(path).map_err(|e| NbestError::io(&name, e))?;
    read_file_with_noise(input.reader, &name, &id_of(path), noise)
}

/// The files of score directory `dir` by utterance id: `<id>.nbest` (or
/// `.nbest.gz`, `.nbest.xz`, as the n-best files may be), or as SRILM's
/// scripts name them, `<id>`, `<id>.gz` or `<id>.score.gz` (any name whose
/// [`id_of`] is an utterance of `ids`). An `*.nbest` file for an utterance
/// that has no n-best file, or two files of one id, is an error: a score
/// silently left out would change what the lists carry. Other names are not
/// score files and are passed over, as in the directory above.
fn score_files(dir: &Path, ids: &HashSet<String>) -> Result<HashMap<String, PathBuf>, NbestError> {
    let dir_name = dir.display().to_string();
    let mut files: HashMap<String, PathBuf> = HashMap::new();
    for entry in fs::read_dir(dir).map_err(|e| NbestError::io(&dir_name, e))? {
        let path = entry.map_err(|e| NbestError::io(&dir_name, e))?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() {
            continue;
        }
        let id = id_of(&path);
        // SRILM's scripts name score files `<id>`, `<id>.gz` or `<id>.score.gz`.
        if !is_nbest_name(&name) && !ids.contains(&id) {
            continue;
        }
        let shown = path.display().to_string();
        if !ids.contains(&id) {
            return Err(NbestError::new(
                &shown,
                0,
                NbestErrorKind::UnknownUtterance(id),
            ));
        }
        if let Some(other) = files.get(&id) {
            return Err(second_file(&path, &id, other));
        }
        files.insert(id, path);
    }
    Ok(files)
}

/// The values of extra score `score` in `path`, a file of its score
/// directory: one per line, a log10 value or an SRILM `(bytelog)` (as
/// SRILM's `combine-acoustic-scores` reads them), in natural log.
fn read_scores(path: &Path, score: &str) -> Result<Vec<f64>, NbestError> {
    let name = path.display().to_string();
    let text = read_text_file(path, &name)?;
    let mut scores = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = crate::text::trim(line);
        if t.is_empty() {
            continue;
        }
        let value = match t.strip_prefix('(').and_then(|b| b.strip_suffix(')')) {
            Some(bytelog) => {
                parse_score(bytelog, "bytelog score", Zero::Refused).map(bytelog_to_ln)
            }
            None => log10_score(t, "score"),
        };
        let v = value.map_err(|k| {
            // Likely an n-best file: say how the subdirectory is read.
            let k = match k {
                NbestErrorKind::Number { .. } => NbestErrorKind::ScoreDirectoryLine {
                    score: score.to_string(),
                    found: t.to_string(),
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
    read_dir_with(dir, &NoiseWords::default())
}

/// [`read_dir`] with [`read_file_with_noise`] (the references keep their
/// noise words: see [`read_path_with_noise`]).
fn read_dir_with(dir: &Path, noise: &NoiseWords) -> Result<Vec<NbestList>, NbestError> {
    let dir_name = dir.display().to_string();
    let mut files = Vec::new();
    let mut subdirs = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| NbestError::io(&dir_name, e))? {
        let entry = entry.map_err(|e| NbestError::io(&dir_name, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() && name == "refs" {
            let why = "a directory: in an SRILM n-best directory `refs` is the references \
                       file (`id w1 w2 ...` lines), not a score directory";
            let shown = path.display().to_string();
            return Err(NbestError::io(&shown, io::Error::other(why)));
        }
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
        .map(|p| read_file_path_with(p, noise))
        .collect::<Result<Vec<_>, _>>()?;
    // `u.nbest` and `u.nbest.gz` are both utterance `u`.
    let mut ids = HashMap::new();
    for (list, path) in lists.iter().zip(&files) {
        if let Some(other) = ids.insert(list.id.clone(), path) {
            return Err(second_file(path, &list.id, other));
        }
    }
    let ids: HashSet<String> = ids.into_keys().collect();
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
    drop_reference_pauses(&mut lists);
    Ok(lists)
}

/// Drops [`PAUSE`] from the lists' references, as the readers drop it from
/// the hypotheses they are aligned with (an SRILM directory's `refs`, or
/// references given for SRILM lists by other means), and then the sentence
/// markers it kept in place ([`strip_reference`]).
///
/// ```
/// use dashlm::rescore::{srilm, NbestList};
/// let mut lists = vec![NbestList::new("u").with_reference("a -pau- b")];
/// srilm::drop_reference_pauses(&mut lists);
/// assert_eq!(lists[0].reference.as_deref(), Some(&["a".to_string(), "b".to_string()][..]));
/// ```
pub fn drop_reference_pauses(lists: &mut [NbestList]) {
    for r in lists.iter_mut().filter_map(|l| l.reference.as_mut()) {
        strip_reference(r);
    }
}

/// A reference's words as the readers make a hypothesis' words: [`PAUSE`]
/// dropped, then `<s>` at the start and `</s>` at the end removed.
///
/// ```
/// let mut r: Vec<String> = "-pau- <s> a b </s> -pau-".split(' ').map(String::from).collect();
/// dashlm::rescore::srilm::strip_reference(&mut r);
/// assert_eq!(r, ["a", "b"]);
/// ```
pub fn strip_reference(words: &mut Vec<String>) {
    words.retain(|w| w != PAUSE);
    super::nbest::strip_sentence_markers(words);
}

/// The error for `path`, a second file for utterance `id` after `other`.
fn second_file(path: &Path, id: &str, other: &Path) -> NbestError {
    NbestError::new(
        &path.display().to_string(),
        0,
        NbestErrorKind::DuplicateFile {
            id: id.to_string(),
            file: "".into(),
            other: other.display().to_string().into(),
        },
    )
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
    read_list_with(list, &NoiseWords::default())
}

/// [`read_list`] with [`read_file_with_noise`].
fn read_list_with(list: &Path, noise: &NoiseWords) -> Result<Vec<NbestList>, NbestError> {
    let name = list.display().to_string();
    let mut lists = Vec::new();
    let mut seen: HashMap<String, (u64, PathBuf)> = HashMap::new();
    for (line, p) in listed_files(list)? {
        let list = read_file_path_with(&p, noise)?;
        // Two files of one name in two directories are one utterance id.
        if let Some((first, other)) = seen.get(&list.id) {
            let other = match *other == p {
                true => format!("the same file, at line {first}"),
                false => other.display().to_string(),
            };
            let (id, file) = (list.id, p.display().to_string().into());
            let other = other.into();
            let kind = NbestErrorKind::DuplicateFile { id, file, other };
            return Err(NbestError::new(&name, line, kind));
        }
        seen.insert(list.id.clone(), (line, p));
        lists.push(list);
    }
    Ok(lists)
}

/// The n-best files that [`read_path`] reads at `path` when it is a list
/// file (none when it is a directory or an n-best file): for a caller that
/// must not write over an input (`dashlm rescore --best-text`).
///
/// # Errors
/// As [`read_path`]'s, for telling what `path` is and reading a list file.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let d = dir.path();
/// std::fs::write(d.join("a.nbest"), "-1 -2 1 x\n").unwrap();
/// std::fs::write(d.join("all.list"), "a.nbest\n").unwrap();
/// let listed = dashlm::rescore::srilm::listed_in(&d.join("all.list")).unwrap();
/// assert_eq!(listed, [d.join("a.nbest")]);
/// assert!(dashlm::rescore::srilm::listed_in(&d.join("a.nbest")).unwrap().is_empty());
/// ```
pub fn listed_in(path: &Path) -> Result<Vec<PathBuf>, NbestError> {
    match kind_of(path)? {
        Kind::List => Ok(listed_files(path)?.into_iter().map(|(_, p)| p).collect()),
        Kind::Dir | Kind::Nbest | Kind::Nothing => Ok(Vec::new()),
    }
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
/// non-blank line is an `NBestList` header, a `(bytelog)` line, or a number
/// followed by more), or a list file (one path a line; a line that is one
/// number is a file's name). An empty or blank file is an utterance without
/// hypotheses when it is named `<id>.nbest` or `<id>.score` (or `.gz`, `.xz`),
/// else it holds no lists.
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
    read_path_with_noise(path, &NoiseWords::default())
}

/// [`read_path`], dropping the `noise` words from every hypothesis (as
/// [`read_file_with_noise`]) and from the references of a directory's
/// `refs` ([`NoiseWords::drop_from_lists`]).
///
/// # Errors
/// As [`read_path`].
///
/// ```
/// use dashlm::rescore::{srilm, NoiseWords};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("u.nbest"), "-1 -2 2 a [NOISE] b\n").unwrap();
/// std::fs::write(dir.path().join("refs"), "u a [NOISE] b\n").unwrap();
/// let noise = NoiseWords::new(["[NOISE]"]).unwrap();
/// let lists = srilm::read_path_with_noise(dir.path(), &noise).unwrap();
/// assert_eq!(lists[0].hyps[0].words, ["a", "b"]);
/// assert_eq!(lists[0].reference.as_deref().unwrap(), ["a", "b"]);
/// ```
pub fn read_path_with_noise(path: &Path, noise: &NoiseWords) -> Result<Vec<NbestList>, NbestError> {
    let mut lists = match kind_of(path)? {
        Kind::Dir => read_dir_with(path, noise)?,
        Kind::Nbest => vec![read_file_path_with(path, noise)?],
        Kind::Nothing => Vec::new(),
        Kind::List => read_list_with(path, noise)?,
    };
    noise.drop_from_lists(&mut lists);
    Ok(lists)
}

/// What [`read_path`] reads a path as.
enum Kind {
    /// A directory of n-best files.
    Dir,
    /// One n-best file (perhaps empty, when named `<id>.nbest` or `<id>.score`).
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
    let name = crate::arpa::input_name(path);
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
        return Ok(if is_nbest_name(&name) || is_score_name(&name) {
            Kind::Nbest
        } else {
            Kind::Nothing
        });
    }
    // A number first is a score, but for a line that is only one token: a
    // plain hypothesis line has three at least, so it names a file (SRILM's
    // scripts name lists by their ids, which may be numbers).
    let one_token = crate::text::trim(&first) == token;
    let is_nbest = token.starts_with("NBestList")
        || token.starts_with('(')
        || (token.parse::<f64>().is_ok() && !one_token);
    Ok(if is_nbest { Kind::Nbest } else { Kind::List })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

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
        // Log10 values, kept in natural log.
        let ln10 = std::f64::consts::LN_10;
        assert_eq!(x, [Some(7.5 * ln10), Some(8.0 * ln10)]);

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
            matches!(err.kind(), NbestErrorKind::DuplicateFile { id, .. } if id == "u1"),
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
