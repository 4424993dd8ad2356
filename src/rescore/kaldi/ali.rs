//! Kaldi alignment archives (`ali`): each hypothesis' transition ids.
//!
//! `nbest-to-linear` writes, beside the words and costs, the alignment of every
//! hypothesis (`utt1-1 2 4 4 4 7 ...`, one transition id a frame). dashlm does
//! not use it, but keeps it with its hypothesis and writes it back under the
//! hypothesis' new key, so that `linear-to-nbest` can make lattices of the
//! rescored lists (it joins the alignment, word, LM cost and acoustic cost
//! archives by key).
//!
//! ```
//! use dashlm::rescore::kaldi::read_alignments;
//! let ali = read_alignments(&b"u1-1 2 4 4 7 \nu1-2 2 5\n"[..], "ali").unwrap();
//! assert_eq!(ali[0], ("u1-1".to_string(), "2 4 4 7".into()));
//! assert!(read_alignments(&b"u1-1 2 x\n"[..], "ali").is_err());
//! ```

use std::io::{self, BufRead};

use super::super::error::{clip, NbestError, NbestErrorKind};
use super::super::nbest::NbestList;
use super::Entry;

/// `token` as a transition id: ASCII digits only, within Kaldi's `int32`.
fn is_transition_id(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) && token.parse::<i32>().is_ok()
}

/// The entries of an alignment archive, each with its line.
pub(super) fn read_entries<R: BufRead>(
    input: R,
    source: &str,
) -> Result<Vec<Entry<Box<str>>>, NbestError> {
    super::read_keyed(input, source, |rest| {
        let mut ids = String::with_capacity(rest.len());
        for token in crate::text::words(rest) {
            if !is_transition_id(token) {
                return Err(NbestErrorKind::Syntax {
                    expected: "transition ids (non-negative integers) after the key, as \
                               `nbest-to-linear` writes an alignment archive",
                    found: format!("`{}`", clip(token)),
                });
            }
            if !ids.is_empty() {
                ids.push(' ');
            }
            ids.push_str(token);
        }
        Ok(ids.into())
    })
}

/// Reads an alignment archive, `key id id ...` per line, in file order; the
/// ids are joined by single spaces (a key alone is an empty alignment).
///
/// # Errors
/// A token that is not a non-negative 32-bit integer, a duplicate key or a
/// read error, with the line.
///
/// ```
/// let ali = dashlm::rescore::kaldi::read_alignments(&b"u-1\n"[..], "ali").unwrap();
/// assert_eq!(&*ali[0].1, "");
/// let err = dashlm::rescore::kaldi::read_alignments(&b"u-1 1\nu-1 2\n"[..], "ali").unwrap_err();
/// assert_eq!(err.line(), 2);
/// ```
pub fn read_alignments<R: BufRead>(
    input: R,
    source: &str,
) -> Result<Vec<(String, Box<str>)>, NbestError> {
    Ok(super::keyed(read_entries(input, source)?, |a| a))
}

/// Whether the lists' hypotheses have alignments to write: all of them
/// (`true`) or none (`false`).
///
/// # Errors
/// An [`io::ErrorKind::InvalidInput`] error naming the first hypothesis
/// without one when others have one: an `ali` archive with entries missing
/// would not give `linear-to-nbest` what it joins.
pub(super) fn all_or_none(lists: &[NbestList]) -> io::Result<bool> {
    let mut hyps = lists.iter().flat_map(|l| &l.hyps);
    if hyps.all(|h| h.alignment.is_none()) {
        return Ok(false);
    }
    for list in lists {
        if let Some(k) = list.hyps.iter().position(|h| h.alignment.is_none()) {
            return Err(super::super::writable::unwritable(format!(
                "utterance `{}`, hypothesis {}: no alignment, while other hypotheses have one \
                 (the `ali` archive needs one for every hypothesis)",
                clip(&list.id),
                k + 1
            )));
        }
    }
    Ok(true)
}
