//! Writing Kaldi n-best directories: the transcriptions (as words, and as
//! word ids for lists read from them), the costs, the alignments, one
//! `<name>.score` archive per extra score and `refs` (see the [module](super)
//! docs for the format).

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::{ali, write_entries, SymbolTable};
use crate::atomic::PendingDir;
use crate::rescore::error;
use crate::rescore::nbest::NbestList;
use crate::rescore::outdir::{self, create_file, NamedBy};
use crate::rescore::srilm::fmt_score;
use crate::rescore::writable::{self, IdUse, LogZero};

/// The checks [`write_dir`] makes before writing anything (its `# Errors`).
pub(crate) fn check_dir(lists: &[NbestList]) -> io::Result<()> {
    writable::check_lists(lists, IdUse::Key, LogZero::Written)?;
    for list in lists {
        if list.hyps.is_empty() {
            return Err(writable::unwritable(format!(
                "utterance `{}` has no hypotheses: a Kaldi n-best directory has no place \
                 for it (it would be read back without this list)",
                error::clip(&list.id)
            )));
        }
        for name in list.hyps.iter().flat_map(|h| h.extra.keys()) {
            writable::check_score_name(&list.id, name)?;
        }
    }
    ali::all_or_none(lists)?;
    Ok(())
}

/// The checks [`write_dir_with_ids`] makes before writing anything: those of
/// [`write_dir`], and that `table` has every hypothesis word.
///
/// # Errors
/// As [`write_dir`]'s, and an [`io::ErrorKind::InvalidInput`] error naming the
/// utterance, hypothesis and word for a word `table` does not have.
///
/// ```
/// use dashlm::rescore::{kaldi, Hypothesis, NbestList};
/// let table = kaldi::SymbolTable::read(&b"<eps> 0\nyes 1\n"[..], "words.txt").unwrap();
/// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("yes no", -1.0))];
/// let err = kaldi::check_dir_with_ids(&lists, &table).unwrap_err().to_string();
/// assert_eq!(err, "utterance `u`, hypothesis 1: word `no` is not in the symbol table words.txt, \
///     so the transcriptions cannot be written as its word ids");
/// ```
pub fn check_dir_with_ids(lists: &[NbestList], table: &SymbolTable) -> io::Result<()> {
    check_dir(lists)?;
    for list in lists {
        for (k, h) in list.hyps.iter().enumerate() {
            if let Some(word) = h.words.iter().find(|w| table.id(w).is_none()) {
                return Err(writable::unwritable(format!(
                    "utterance `{}`, hypothesis {}: word `{}` is not in the symbol table {}, \
                     so the transcriptions cannot be written as its word ids",
                    error::clip(&list.id),
                    k + 1,
                    error::clip(word),
                    table.source()
                )));
            }
        }
    }
    Ok(())
}

/// Writes lists as a new Kaldi n-best directory: `text` (words; for word ids
/// too see [`write_dir_with_ids`]), `ac_cost`, `lm_cost` (when every
/// hypothesis has a first-pass LM score), `ali` (when every hypothesis has an
/// alignment), one `<name>.score` per extra score, and `refs` when some list
/// has a reference.
/// Hypotheses are keyed `<id>-1`, `<id>-2`, ... in list order; scores are
/// written as the shortest decimals that read back as the same numbers
/// (`1e-15` in exponent notation). `dir` must
/// be new or empty; it appears whole or not at all (see
/// [`check_new_dir`](crate::rescore::check_new_dir)).
///
/// # Errors
/// `dir` exists and is not an empty directory, or any I/O error; two extra score names
/// that differ only in case, which a case-insensitive file system takes for
/// one file, are an [`io::ErrorKind::AlreadyExists`] error naming it. Before
/// anything is written, an [`io::ErrorKind::InvalidInput`] error naming the
/// utterance for what would not read back as written: an id that is empty or
/// holds whitespace, two lists with one id, a list without hypotheses (it
/// would have no line in `text`), a word that is empty or holds whitespace, a
/// leading `<s>` or trailing `</s>`, a NaN or `+inf` score (`-inf`, a
/// probability of zero, is written as a cost of `inf`), an extra score
/// name that is not a file name of its own, a hypothesis without an
/// alignment when others have one.
///
/// ```
/// use dashlm::rescore::{kaldi, Hypothesis, NbestList};
/// let dir = tempfile::tempdir().unwrap();
/// let empty = vec![NbestList::new("u")];
/// assert!(kaldi::write_dir(&dir.path().join("out"), &empty).is_err());
/// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("a", -1.5).with_lm(-2.0))];
/// kaldi::write_dir(dir.path(), &lists).unwrap();
/// assert_eq!(std::fs::read_to_string(dir.path().join("ac_cost")).unwrap(), "u-1 1.5\n");
/// assert_eq!(kaldi::read_dir(dir.path()).unwrap(), lists);
/// ```
pub fn write_dir(dir: &Path, lists: &[NbestList]) -> io::Result<()> {
    check_dir(lists)?;
    outdir::write_new_dir(dir, |dir| write_files(dir, lists, None))
}

/// [`write_dir`], and the transcriptions also as word ids of `table` in
/// `words` (as `nbest-to-linear` writes them, for `linear-to-nbest`), beside
/// `text`, with the table as `words.txt` (so the directory reads back with
/// its ids, [`read_dir_with_table`](super::read_dir_with_table)). `dashlm rescore` writes lists read from
/// word ids so.
///
/// # Errors
/// As [`write_dir`], and a word `table` does not have (see
/// [`check_dir_with_ids`]).
///
/// ```
/// use dashlm::rescore::{kaldi, Hypothesis, NbestList};
/// let table = kaldi::SymbolTable::read(&b"<eps> 0\nyes 1\nno 2\n"[..], "words.txt").unwrap();
/// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("no yes", -1.0).with_alignment("2 4"))];
/// let dir = tempfile::tempdir().unwrap();
/// kaldi::write_dir_with_ids(dir.path(), &lists, &table).unwrap();
/// let read = |name| std::fs::read_to_string(dir.path().join(name)).unwrap();
/// assert_eq!((read("words"), read("text"), read("ali")), ("u-1 2 1\n".into(), "u-1 no yes\n".into(), "u-1 2 4\n".into()));
/// let (back, back_table) = kaldi::read_dir_with_table(dir.path()).unwrap();
/// assert_eq!((back, back_table.unwrap().id("no")), (lists, Some(2)));
/// // `words` must hold the transcriptions of `text`.
/// std::fs::write(dir.path().join("words"), "u-1 1 2\n").unwrap();
/// let err = kaldi::read_dir(dir.path()).unwrap_err().to_string();
/// assert!(err.contains("words:1: expected the transcription of the same key in the transcription archive"), "{err}");
/// ```
pub fn write_dir_with_ids(dir: &Path, lists: &[NbestList], table: &SymbolTable) -> io::Result<()> {
    check_dir_with_ids(lists, table)?;
    outdir::write_new_dir(dir, |dir| write_files(dir, lists, Some(table)))
}

/// [`write_dir`] (with the word ids of `table`, as [`write_dir_with_ids`],
/// when given) up to its last step: the directory written in full under a
/// temporary name beside `dir`, for the caller to put in place, alone
/// ([`PendingDir::commit`]) or with its other outputs
/// ([`crate::atomic::commit_together`], so that a signal leaves all of them
/// or none). `dashlm rescore` writes its lists and its best text so.
///
/// # Errors
/// As [`write_dir`] or [`write_dir_with_ids`].
///
/// ```
/// use dashlm::rescore::{kaldi, Hypothesis, NbestList};
/// let dir = tempfile::tempdir().unwrap();
/// let out = dir.path().join("out");
/// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("a b", -1.0))];
/// let pending = kaldi::write_dir_pending(&out, &lists, None).unwrap();
/// assert!(!out.exists()); // not yet
/// pending.commit().unwrap();
/// assert_eq!(kaldi::read_dir(&out).unwrap(), lists);
/// ```
pub fn write_dir_pending(
    dir: &Path,
    lists: &[NbestList],
    table: Option<&SymbolTable>,
) -> io::Result<PendingDir> {
    match table {
        Some(table) => check_dir_with_ids(lists, table)?,
        None => check_dir(lists)?,
    }
    outdir::pending_new_dir(dir, |dir| write_files(dir, lists, table))
}

/// The files of [`write_dir`], written into existing directory `dir`; with
/// `ids`, `words` too.
fn write_files(dir: &Path, lists: &[NbestList], ids: Option<&SymbolTable>) -> io::Result<()> {
    let create = |name: &str, named_by| -> io::Result<BufWriter<fs::File>> {
        Ok(BufWriter::new(create_file(dir, name, named_by)?))
    };
    let all_hyps = || {
        lists
            .iter()
            .flat_map(|l| l.hyps.iter().enumerate().map(move |(i, h)| (l, i, h)))
    };
    let key = |l: &NbestList, i: usize| format!("{}-{}", l.id, i + 1);
    let mut text = create("text", NamedBy::Format)?;
    let mut ac = create("ac_cost", NamedBy::Format)?;
    for (l, i, h) in all_hyps() {
        let k = key(l, i);
        write_entries(&mut text, [(k.as_str(), &h.words)])?;
        writeln!(ac, "{k} {}", fmt_score(-h.acoustic))?;
    }
    text.flush()?;
    ac.flush()?;
    if let Some(table) = ids {
        let mut out = create("words", NamedBy::Format)?;
        for (l, i, h) in all_hyps() {
            write!(out, "{}", key(l, i))?;
            for word in &h.words {
                let id = table.id(word).ok_or_else(|| {
                    writable::unwritable(format!("`{word}` is not in {}", table.source()))
                })?;
                write!(out, " {id}")?;
            }
            writeln!(out)?;
        }
        out.flush()?;
        // The table beside the ids, so that the directory reads back with them.
        let mut out = create("words.txt", NamedBy::Format)?;
        table.write(&mut out)?;
        out.flush()?;
    }
    if ali::all_or_none(lists)? {
        let mut out = create("ali", NamedBy::Format)?;
        for (l, i, h) in all_hyps() {
            let alignment = h.alignment.as_deref().unwrap_or_default();
            let sep = if alignment.is_empty() { "" } else { " " };
            writeln!(out, "{}{sep}{alignment}", key(l, i))?;
        }
        out.flush()?;
    }
    if all_hyps().all(|(_, _, h)| h.lm.is_some()) && all_hyps().next().is_some() {
        let mut lm = create("lm_cost", NamedBy::Format)?;
        for (l, i, h) in all_hyps() {
            writeln!(lm, "{} {}", key(l, i), fmt_score(-h.lm.expect("checked")))?;
        }
        lm.flush()?;
    }
    let names: BTreeSet<&str> = all_hyps().flat_map(|(_, _, h)| h.extra.keys()).collect();
    for name in names {
        let mut out = create(&format!("{name}.score"), NamedBy::Score)?;
        for (l, i, h) in all_hyps() {
            if let Some(v) = h.extra.get(name) {
                writeln!(out, "{} {}", key(l, i), fmt_score(*v))?;
            }
        }
        out.flush()?;
    }
    let with_ref: Vec<(&str, &[String])> = lists
        .iter()
        .filter_map(|l| l.reference.as_ref().map(|r| (l.id.as_str(), &r[..])))
        .collect();
    if !with_ref.is_empty() {
        let mut out = create("refs", NamedBy::Format)?;
        write_entries(&mut out, with_ref)?;
        out.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rescore::outdir::assert_existing_file_refused;
    use crate::rescore::Hypothesis;

    /// What a case-insensitive file system does: the file of score `LM` is
    /// there when `lm` is written. The second write is an error naming the
    /// file and score names, and the first file is kept.
    #[test]
    fn a_score_file_already_written_is_an_error_not_emptied() {
        let lists =
            [NbestList::new("u").with_hyp(Hypothesis::new("a", -1.0).with_extra("lm", -3.0))];
        let message = "lm.score: this file was already written for another score (score names \
                       that differ only in case";
        assert_existing_file_refused(|dir| write_files(dir, &lists, None), "lm.score", message);
    }
}
