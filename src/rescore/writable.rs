//! What the n-best writers refuse, checked before anything is written: what
//! would read back as something else (a word holding whitespace, a NaN score,
//! a `-inf` one in JSON, an id that is no file name, two lists with one id, ...).
//!
//! Private to [`rescore`](super); the errors are [`io::ErrorKind::InvalidInput`].

use std::fmt;
use std::io;

use super::error::clip;
use super::joined::Words;
use super::nbest::NbestList;

/// An [`io::ErrorKind::InvalidInput`] error: something a writer refuses to
/// write because it would read back as something else.
pub(crate) fn unwritable(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

/// How a format uses an utterance id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdUse {
    /// A JSON string: any id.
    Json,
    /// The first field of a Kaldi `text`-style line: not empty, no whitespace.
    Key,
    /// A key and a file name (`<id>.nbest`): also not `.` or `..`, no `/` or NUL.
    FileName,
}

/// An error unless `id` can be written as `how` uses it and reads back equal.
pub(crate) fn check_id(id: &str, how: IdUse) -> io::Result<()> {
    let problem = match how {
        IdUse::Json => None,
        _ if id.is_empty() => Some("it is empty"),
        _ if id.contains(crate::text::is_separator_char) => Some("it contains whitespace"),
        IdUse::FileName if id == "." || id == ".." => Some("it is not a file name"),
        IdUse::FileName if id.contains(['/', '\\', '\0']) => {
            Some("it contains `/`, `\\` or NUL, which a file name cannot")
        }
        _ => None,
    };
    match problem {
        Some(p) => Err(unwritable(format!(
            "utterance id {id:?}: cannot be written: {p}"
        ))),
        None => Ok(()),
    }
}

/// An error unless `name` can be a file name of its own (an extra score's
/// directory or file).
pub(crate) fn check_score_name(id: &str, name: &str) -> io::Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(unwritable(format!(
            "utterance `{}`: extra score name {name:?} cannot be written: it names a \
             file of its own (not empty, `.` or `..`, without `/`, `\\` or NUL)",
            clip(id)
        )));
    }
    Ok(())
}

/// An error unless `words` read back as themselves: every word non-empty and
/// without whitespace (the readers split on whitespace), no leading `<s>` or
/// trailing `</s>` (the readers remove them). `what` is e.g. `hypothesis 2`
/// (formatted only for an error).
pub(crate) fn check_words<S: AsRef<str>>(
    id: &str,
    what: impl fmt::Display,
    words: impl IntoIterator<Item = S>,
) -> io::Result<()> {
    // Whether the first and the last word are the markers.
    let (mut first, mut last) = (false, false);
    for (k, w) in words.into_iter().enumerate() {
        let w = w.as_ref();
        if w.is_empty() || w.contains(crate::text::is_separator_char) {
            return Err(unwritable(format!(
                "utterance `{}`, {what}: word {} is {w:?}: an empty word or one holding \
                 whitespace cannot be written (it would read back as other words)",
                clip(id),
                k + 1
            )));
        }
        first |= k == 0 && w == "<s>";
        last = w == "</s>";
    }
    if first || last {
        return Err(unwritable(format!(
            "utterance `{}`, {what}: a leading `<s>` or trailing `</s>` cannot be written \
             (the readers remove them)",
            clip(id)
        )));
    }
    Ok(())
}

/// [`check_words`] on a hypothesis' [`Words`], with one pass over its text
/// in the common case: the separators in the text are exactly the spaces that
/// join the words, and no word is empty. Otherwise [`check_words`] finds the
/// word at fault.
pub(crate) fn check_joined(id: &str, what: impl fmt::Display, words: &Words) -> io::Result<()> {
    let text = words.as_str().as_bytes();
    let separators = crate::text::count_separators(text);
    let mut start = 0;
    let mut nonempty = true;
    for &end in words.ends() {
        nonempty &= end as usize > start;
        start = end as usize + 1;
    }
    let markers = words.first() == Some("<s>") || words.last() == Some("</s>");
    if nonempty && !markers && separators + 1 == words.len().max(1) {
        return Ok(());
    }
    check_words(id, what, words)
}

/// Whether a format can write a probability of zero: a score of `-inf`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogZero {
    /// JSON has no infinity: JSONL lists hold finite scores only.
    Refused,
    /// SRILM writes `-inf` (as SRILM does) and Kaldi a cost of `inf`.
    Written,
}

/// An error unless `value` is finite, or `-inf` in a format whose lists can
/// hold it (`zero`). No format has NaN or `+inf` scores.
pub(crate) fn check_score(
    id: &str,
    hyp: usize,
    field: impl fmt::Display,
    value: f64,
    zero: LogZero,
) -> io::Result<()> {
    let minus_inf = value == f64::NEG_INFINITY;
    if value.is_finite() || (minus_inf && zero == LogZero::Written) {
        return Ok(());
    }
    // A model's log10 -inf (probability zero) reaches `new_lm` and `total`.
    let hint = match minus_inf {
        true => {
            " (a probability of zero: JSON has no infinity, so JSONL lists hold finite \
             scores only; SRILM and Kaldi lists can hold it)"
        }
        false => "",
    };
    Err(unwritable(format!(
        "utterance `{}`, hypothesis {}: the {field} score is {value}, not a finite number{hint}",
        clip(id),
        hyp + 1
    )))
}

/// [`check_words`] and [`check_score`] on a list's reference and hypotheses.
pub(crate) fn check_list(list: &NbestList, zero: LogZero) -> io::Result<()> {
    let id = &list.id;
    if let Some(r) = &list.reference {
        check_words(id, "the reference", r)?;
    }
    for (k, h) in list.hyps.iter().enumerate() {
        check_joined(id, format_args!("hypothesis {}", k + 1), &h.words)?;
        check_score(id, k, "acoustic", h.acoustic, zero)?;
        if let Some(lm) = h.lm {
            check_score(id, k, "LM", lm, zero)?;
        }
        for (name, &v) in &h.extra {
            check_score(id, k, format_args!("`{name}`"), v, zero)?;
        }
    }
    Ok(())
}

/// The checks every writer makes before writing anything: each id usable as
/// `how` uses it and given once, each list passing [`check_list`] (its scores
/// `-inf` only where `zero` says the format writes it). The error
/// is the first in list order (a list's id before its contents), as one pass
/// would find it; the contents are checked in parallel.
pub(crate) fn check_lists(lists: &[NbestList], how: IdUse, zero: LogZero) -> io::Result<()> {
    let mut seen = std::collections::HashSet::new();
    let mut id_error = None;
    for (k, list) in lists.iter().enumerate() {
        let checked = check_id(&list.id, how).and_then(|()| {
            if seen.insert(list.id.as_str()) {
                Ok(())
            } else {
                Err(unwritable(format!(
                    "utterance id `{}`: two lists have it (duplicate); they would be \
                     written as one, or over each other",
                    list.id
                )))
            }
        });
        if let Err(e) = checked {
            id_error = Some((k, e));
            break;
        }
    }
    let before = id_error.as_ref().map_or(lists.len(), |(k, _)| *k);
    first_error(&lists[..before], |list| check_list(list, zero))?;
    id_error.map_or(Ok(()), |(_, e)| Err(e))
}

/// The error of the first list (in order) that `check` refuses; the lists are
/// checked in parallel (each reads its own memory, spread over the heap).
pub(crate) fn first_error(
    lists: &[NbestList],
    check: impl Fn(&NbestList) -> io::Result<()> + Sync,
) -> io::Result<()> {
    use rayon::prelude::*;
    match lists.par_iter().position_first(|l| check(l).is_err()) {
        Some(k) => check(&lists[k]),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_joined_agrees_with_check_words() {
        let cases: &[&[&str]] = &[
            &[],
            &["a"],
            &["a", "b", "c"],
            &[""],
            &["a", ""],
            &["", "a"],
            &["a", "", "b"],
            &["a b"],
            &["a\tb", "c"],
            &["a", "b\n"],
            &["a", "\u{b}"],
            &["<s>", "a"],
            &["a", "</s>"],
            &["</s>", "a"],
            &["a", "<s>"],
            &["é", "ü ö"],
            &["\u{a0}"],
        ];
        for words in cases {
            let joined: Words = words.iter().collect();
            let fast = check_joined("u", "hypothesis 1", &joined).map_err(|e| e.to_string());
            let slow = check_words("u", "hypothesis 1", *words).map_err(|e| e.to_string());
            assert_eq!(fast, slow, "{words:?}");
        }
    }
}
