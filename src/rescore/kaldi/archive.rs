//! One Kaldi text archive at a time: `key rest` lines read into entries (a
//! transcription's words, a score or cost), written back, and a hypothesis
//! key split into its utterance and rank. [`read_dir`](super::read_dir)
//! assembles a directory's archives into lists.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, Write};
use std::path::Path;

use super::super::error::{NbestError, NbestErrorKind};
use super::super::joined::Words;
use super::super::nbest::{hyp_words_joined, NbestList};
use super::super::text_input::{parse_score, read_lines, Zero};
use super::super::writable;

/// One entry of a text archive with the line it came from.
pub(super) type Entry<T> = (String, T, u64);

/// The entries as the public readers give them: key and value (made by
/// `value`), without the line.
pub(super) fn keyed<T, U>(entries: Vec<Entry<T>>, value: impl Fn(T) -> U) -> Vec<(String, U)> {
    entries.into_iter().map(|(k, v, _)| (k, value(v))).collect()
}

pub(super) fn read_text_entries<R: BufRead>(
    input: R,
    source: &str,
) -> Result<Vec<Entry<Words>>, NbestError> {
    read_keyed(input, source, |words| Ok(hyp_words_joined(words)))
}

/// The entries of an archive of `key rest` lines, each `rest` turned into
/// its value by `value` (a transcription's words, an alignment's ids); a key
/// given twice is an error.
pub(super) fn read_keyed<R: BufRead, T>(
    input: R,
    source: &str,
    mut value: impl FnMut(&str) -> Result<T, NbestErrorKind>,
) -> Result<Vec<Entry<T>>, NbestError> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    read_lines(input, source, |text, line_no| {
        let (key, rest) = crate::text::first_word(text);
        if !seen.insert(key.to_string()) {
            return Err(NbestErrorKind::Duplicate(key.to_string()));
        }
        out.push((key.to_string(), value(rest)?, line_no));
        Ok(())
    })?;
    Ok(out)
}

/// Reads a Kaldi `text`-style archive: `key w1 w2 ...` per line (a key alone is
/// an empty transcription), in file order.
///
/// # Errors
/// A duplicate key or a read error, with the line.
///
/// ```
/// let t = dashlm::rescore::kaldi::read_text(&b"u1 a b\nu2\n"[..], "text").unwrap();
/// assert_eq!(t[0], ("u1".to_string(), vec!["a".to_string(), "b".to_string()]));
/// assert!(t[1].1.is_empty());
/// ```
pub fn read_text<R: BufRead>(
    input: R,
    source: &str,
) -> Result<Vec<(String, Vec<String>)>, NbestError> {
    Ok(keyed(read_text_entries(input, source)?, |w| w.to_strings()))
}

/// [`read_text`] with each transcription as [`Words`] (one string and its
/// word ends: a few bytes a word, against about 55 as a `Vec<String>`).
pub(crate) fn read_text_words<R: BufRead>(
    input: R,
    source: &str,
) -> Result<Vec<(String, Words)>, NbestError> {
    Ok(keyed(read_text_entries(input, source)?, |w| w))
}

/// [`read_text`] on a file (plain, .gz or .xz; `-` is standard input).
///
/// # Errors
/// As [`read_text`], plus failing to open the file.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("refs"), "u1 hello world\n").unwrap();
/// let t = dashlm::rescore::kaldi::read_text_path(&dir.path().join("refs")).unwrap();
/// assert_eq!(t[0].1.len(), 2);
/// ```
pub fn read_text_path(path: &Path) -> Result<Vec<(String, Vec<String>)>, NbestError> {
    let name = crate::arpa::input_name(path);
    let input = crate::arpa::open_input(path).map_err(|e| NbestError::io(&name, e))?;
    read_text(input.reader, &name)
}

/// Writes `key w1 w2 ...` lines.
///
/// # Errors
/// Any I/O error; an [`io::ErrorKind::InvalidInput`] error (before that entry is
/// written) for an entry that would not read back as written: a key that is
/// empty or holds whitespace, a word that is empty or holds whitespace, a
/// leading `<s>` or trailing `</s>`.
///
/// ```
/// let words = vec!["a".to_string()];
/// let mut out = Vec::new();
/// dashlm::rescore::kaldi::write_text(&mut out, [("u1", &words[..])]).unwrap();
/// assert_eq!(out, b"u1 a\n");
/// let two = vec!["a b".to_string()]; // would read back as two words
/// assert!(dashlm::rescore::kaldi::write_text(&mut Vec::new(), [("u1", &two[..])]).is_err());
/// let hyp = dashlm::rescore::Words::split("b c");
/// dashlm::rescore::kaldi::write_text(&mut out, [("u2", &hyp)]).unwrap();
/// assert_eq!(out, b"u1 a\nu2 b c\n");
/// ```
pub fn write_text<'a, W: Write, I>(
    out: &mut W,
    entries: impl IntoIterator<Item = (&'a str, I)>,
) -> io::Result<()>
where
    I: IntoIterator + Copy,
    I::Item: AsRef<str>,
{
    for (key, words) in entries {
        writable::check_id(key, writable::IdUse::Key)?;
        writable::check_words(key, "the transcription", words)?;
        write_entries(out, [(key, words)])?;
    }
    Ok(())
}

/// The checks [`write_text`] makes on a line `id w1 w2 ...` for every list's
/// id and any of its hypotheses, without writing: the best hypothesis of each
/// list, not known before the lists are scored, can then be written.
///
/// # Errors
/// An [`io::ErrorKind::InvalidInput`] error naming the utterance: an id that
/// is empty or holds whitespace, or a hypothesis word that would not read back.
///
/// ```
/// use dashlm::rescore::{kaldi, Hypothesis, NbestList};
/// let ok = vec![NbestList::new("u1").with_hyp(Hypothesis::new("a b", -1.0))];
/// assert!(kaldi::check_text(&ok).is_ok());
/// let spaced = vec![NbestList::new("u 1").with_hyp(Hypothesis::new("a", -1.0))];
/// assert!(kaldi::check_text(&spaced).is_err());
/// ```
pub fn check_text(lists: &[NbestList]) -> io::Result<()> {
    for list in lists {
        writable::check_id(&list.id, writable::IdUse::Key)?;
        for (k, h) in list.hyps.iter().enumerate() {
            writable::check_joined(&list.id, format_args!("hypothesis {}", k + 1), &h.words)?;
        }
    }
    Ok(())
}

/// The lines of [`write_text`], for entries already checked (the writers of
/// whole directories check every list first).
pub(in crate::rescore) fn write_entries<'a, W: Write, I>(
    out: &mut W,
    entries: impl IntoIterator<Item = (&'a str, I)>,
) -> io::Result<()>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    for (key, words) in entries {
        out.write_all(key.as_bytes())?;
        for w in words {
            write!(out, " {}", w.as_ref())?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Reads a cost archive (`ac_cost`, `lm_cost`), `key value` per line, in
/// file order. A cost is finite, or `inf` for a probability of zero (as
/// Kaldi's C++ streams write an infinite float).
///
/// # Errors
/// A line without exactly a key and a number (or `inf`), or a duplicate key,
/// with the line.
///
/// ```
/// let c = dashlm::rescore::kaldi::read_scores(&b"u1-1 12.5\nu1-2 inf\n"[..], "ac_cost").unwrap();
/// assert_eq!(c, vec![("u1-1".to_string(), 12.5), ("u1-2".to_string(), f64::INFINITY)]);
/// assert_eq!(dashlm::rescore::kaldi::read_scores(&b"u1-1\n"[..], "ac_cost").unwrap_err().line(), 1);
/// // A cost of -inf (a probability above 1) is no cost.
/// assert_eq!(dashlm::rescore::kaldi::read_scores(&b"u1-1 -inf\n"[..], "ac_cost").unwrap_err().line(), 1);
/// ```
pub fn read_scores<R: BufRead>(input: R, source: &str) -> Result<Vec<(String, f64)>, NbestError> {
    Ok(keyed(
        read_score_entries(input, source, Zero::PlusInf)?,
        |v| v,
    ))
}

/// The entries of a score archive, whose values write a probability of zero
/// as `zero` says (costs as `inf`, extra scores as `-inf`).
pub(super) fn read_score_entries<R: BufRead>(
    input: R,
    source: &str,
    zero: Zero,
) -> Result<Vec<Entry<f64>>, NbestError> {
    let mut out = Vec::new();
    let mut seen = HashMap::new();
    read_lines(input, source, |text, line_no| {
        let mut tokens = crate::text::words(text);
        let (Some(key), Some(value), None) = (tokens.next(), tokens.next(), tokens.next()) else {
            return Err(NbestErrorKind::Syntax {
                expected: "`key value`",
                found: text.to_string(),
            });
        };
        let v = parse_score(value, "score", zero)?;
        if seen.insert(key.to_string(), ()).is_some() {
            return Err(NbestErrorKind::Duplicate(key.to_string()));
        }
        out.push((key.to_string(), v, line_no));
        Ok(())
    })?;
    Ok(out)
}

/// Splits a hypothesis key `<utt>-<n>` into the utterance id and `n >= 1`,
/// written as `lattice-to-nbest` writes it: decimal digits without a leading
/// zero. A key whose last part has one (`spk1-0001`, a key of a transcription
/// keyed by utterance, as in LibriSpeech) is not a hypothesis key: taken for
/// one, it would gather every utterance of `spk1` into one list.
///
/// ```
/// use dashlm::rescore::kaldi::split_key;
/// assert_eq!(split_key("spk-01-utt-12"), Some(("spk-01-utt", 12)));
/// assert_eq!(split_key("utt"), None);
/// assert_eq!(split_key("utt-0"), None);
/// assert_eq!(split_key("1272-128104-0001"), None);
/// assert_eq!(split_key("utt-+1"), None);
/// ```
pub fn split_key(key: &str) -> Option<(&str, usize)> {
    let (utt, n) = key.rsplit_once('-')?;
    let canonical = n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0');
    let n: usize = n.parse().ok().filter(|_| canonical)?;
    (!utt.is_empty()).then_some((utt, n))
}

pub(super) fn open(path: &Path) -> Result<Box<dyn BufRead + Send>, NbestError> {
    crate::arpa::open_input(path)
        .map(|i| i.reader)
        .map_err(|e| NbestError::io(&crate::arpa::input_name(path), e))
}
