//! Kaldi n-best lists: the text forms of `nbest-to-linear` output.
//!
//! A Kaldi n-best directory holds text archives keyed by hypothesis, `<utt>-<n>`
//! with `n = 1, 2, ...` (the keys `lattice-to-nbest` gives; the utterance id is
//! everything before the last `-`):
//!
//! - `text` (or `words_text`): the transcriptions, `utt1-1 the cat sat`
//!   (required, unless the directory has `words` and `words.txt` instead);
//! - `words` and `words.txt`: the transcriptions as word ids, as
//!   `nbest-to-linear` writes them (`utt1-1 4 17 9`), and the symbol table of
//!   those ids (Kaldi's `words.txt`, see [`SymbolTable`]); with `text` too
//!   (as `dashlm rescore` writes a directory read from ids), both are read
//!   and must hold the same transcriptions; `words` without `words.txt` is
//!   not read;
//! - `ac_cost` (or `acwt`): acoustic costs, `utt1-1 120.5` (required);
//! - `lm_cost` (or `lmwt.withlm`): first-pass LM (graph) costs, `utt1-1 14.2`
//!   (optional; when present, every hypothesis needs one);
//! - `lmwt.nolm` and `lmwt.lmonly`: the graph costs split as Kaldi's rescoring
//!   scripts split them, without the first-pass LM's costs and those alone
//!   (optional; when present, every hypothesis needs one): read as the extra
//!   scores `nolm` and `lmonly` (negated, as costs are), which
//!   `--score-weight` can weigh (see [`ExtraWeights`](super::ExtraWeights));
//! - `ali`: the alignments, `utt1-1 2 4 4 7` (transition ids; optional, and when
//!   present every hypothesis needs one): not used in scoring, but kept with
//!   each hypothesis ([`Hypothesis::alignment`]) and written back under its new
//!   key (see [`read_alignments`]);
//! - `refs`: references in Kaldi `text` style, `utt1 the cat sat` (optional);
//! - `<name>.score` (or `.score.gz`, `.score.xz`): an extra named score per
//!   hypothesis, `utt1-1 -255.1`, *not* negated (optional, entries may be
//!   missing).
//!
//! The names in brackets are those of Kaldi's own n-best rescoring scripts
//! (`steps/rnnlmrescore.sh`, `scripts/rnnlm/lmrescore_nbest.sh`), which leave
//! each job's lists in a directory `archives.N` holding `words_text`, `acwt`
//! and `lmwt.withlm` (the graph costs with the first-pass LM's in them), beside
//! `lmwt.nolm` and `lmwt.lmonly`, so such a directory is read as it is. Each
//! name in brackets is read only when the first is absent: where both are, the
//! first is read and the other is not. A directory with both `lmwt.nolm` and a
//! `nolm.score` archive (or `lmwt.lmonly` and `lmonly.score`) is an error: two
//! archives for one score.
//!
//! Costs are negated natural-log scores: the acoustic score is `-ac_cost` and the
//! first-pass LM score `-lm_cost`. A cost of `inf` (as Kaldi's C++ streams write
//! an infinite float; any case, also `infinity`) is a probability of zero, and
//! so is an extra score of `-inf`; `-inf` costs and `nan` are errors.
//! Hypotheses are ordered by `n`; utterances by first appearance in `text` (or
//! `words`).
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! # let d = dir.path();
//! std::fs::write(d.join("text"), "u1-2 a cat sat\nu1-1 the cat sat\nu2-1 hello\n").unwrap();
//! std::fs::write(d.join("ac_cost"), "u1-1 120.5\nu1-2 119.75\nu2-1 30\n").unwrap();
//! std::fs::write(d.join("lm_cost"), "u1-1 14.25\nu1-2 16\nu2-1 5\n").unwrap();
//! std::fs::write(d.join("refs"), "u1 the cat sat\n").unwrap();
//! let lists = dashlm::rescore::kaldi::read_dir(d).unwrap();
//! assert_eq!((lists.len(), lists[0].id.as_str(), lists[0].hyps.len()), (2, "u1", 2));
//! let second = &lists[0].hyps[1]; // ordered by n: `u1-2`
//! assert_eq!((second.text(), second.acoustic, second.lm), ("a cat sat".to_string(), -119.75, Some(-16.0)));
//! assert_eq!(lists[0].reference.as_ref().map(Vec::len), Some(3));
//! assert!(lists[1].reference.is_none());
//! ```

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{NbestError, NbestErrorKind};
use super::joined::Words;
use super::nbest::{
    attach_dir_references, hyp_words_joined, is_present, refuse_standard_input, Hypothesis,
    NbestList,
};
use super::text_input::{parse_score, read_lines, Zero};

mod ali;
mod symbols;
mod write;

pub use ali::read_alignments;
pub use symbols::SymbolTable;
pub(crate) use write::check_dir;
pub use write::{check_dir_with_ids, write_dir, write_dir_with_ids};

/// One entry of a text archive with the line it came from.
type Entry<T> = (String, T, u64);

/// The entries as the public readers give them: key and value (made by
/// `value`), without the line.
fn keyed<T, U>(entries: Vec<Entry<T>>, value: impl Fn(T) -> U) -> Vec<(String, U)> {
    entries.into_iter().map(|(k, v, _)| (k, value(v))).collect()
}

fn read_text_entries<R: BufRead>(input: R, source: &str) -> Result<Vec<Entry<Words>>, NbestError> {
    read_keyed(input, source, |words| Ok(hyp_words_joined(words)))
}

/// The entries of an archive of `key rest` lines, each `rest` turned into
/// its value by `value` (a transcription's words, an alignment's ids); a key
/// given twice is an error.
fn read_keyed<R: BufRead, T>(
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
    let name = path.display().to_string();
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
        super::writable::check_id(key, super::writable::IdUse::Key)?;
        super::writable::check_words(key, "the transcription", words)?;
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
        super::writable::check_id(&list.id, super::writable::IdUse::Key)?;
        for (k, h) in list.hyps.iter().enumerate() {
            super::writable::check_joined(
                &list.id,
                format_args!("hypothesis {}", k + 1),
                &h.words,
            )?;
        }
    }
    Ok(())
}

/// The lines of [`write_text`], for entries already checked (the writers of
/// whole directories check every list first).
pub(super) fn write_entries<'a, W: Write, I>(
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
fn read_score_entries<R: BufRead>(
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

fn open(path: &Path) -> Result<Box<dyn BufRead + Send>, NbestError> {
    crate::arpa::open_input(path)
        .map(|i| i.reader)
        .map_err(|e| NbestError::io(&path.display().to_string(), e))
}

/// The transcription archives of a directory, by the name read first:
/// `text`, else `words_text` (the name Kaldi's rescoring scripts give it).
const TEXT: [&str; 2] = ["text", "words_text"];
/// The acoustic cost archives: `ac_cost`, else `acwt` (the scripts' name).
const AC_COST: [&str; 2] = ["ac_cost", "acwt"];
/// The first-pass LM (graph) cost archives: `lm_cost`, else `lmwt.withlm`
/// (the scripts' name for the graph costs with the first-pass LM's in them).
const LM_COST: [&str; 2] = ["lm_cost", "lmwt.withlm"];

/// The archives of Kaldi's rescoring scripts that split the graph costs
/// (`lmwt.withlm`), and the extra scores they are read as (negated): the
/// costs without the first-pass LM's (`lmwt.nolm`) and the LM's alone
/// (`lmwt.lmonly`, their difference).
const GRAPH_PARTS: [(&str, &str); 2] = [("lmwt.nolm", "nolm"), ("lmwt.lmonly", "lmonly")];

/// The path of the first of `names` present in `dir`, or `None`.
fn first_present(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|p| is_present(p))
}

/// `err`, a missing transcription archive of `dir`, with a hint when `dir`
/// holds the transcriptions as word ids (`words`) without the symbol table
/// they need.
fn with_word_ids_hint(err: NbestError, dir: &Path) -> NbestError {
    if !dir.join("words").is_file() {
        return err;
    }
    let hint = "; this directory has `words`, transcriptions as word ids: link the symbol \
                table they use (the lang directory's `words.txt`) into it as `words.txt`, or \
                write them as words with `utils/int2sym.pl -f 2- words.txt < words > text`";
    err.with_io_hint(hint, |kind| kind == io::ErrorKind::NotFound)
}

/// The archive of word ids of `dir` and its symbol table, when there are
/// both: `words`, and `symbols` if given (e.g. the lang directory's
/// `words.txt`), else `words.txt` beside `words`.
fn word_id_archives(dir: &Path, symbols: Option<&Path>) -> Option<(PathBuf, PathBuf)> {
    let ids_path = dir.join("words");
    let table_path = symbols.map_or_else(|| dir.join("words.txt"), Path::to_path_buf);
    (ids_path.is_file() && table_path.is_file()).then_some((ids_path, table_path))
}

/// The transcription archive of `dir` (its name) and its entries: `text`, or,
/// when `dir` has no `text`, `words` (word ids) read with the symbol table
/// (`symbols`, else `words.txt`), which is returned too. With `text`, `words`
/// and the table all there (as `dashlm rescore` writes them), `text` is read,
/// and the entries of `words` come back too (its name and entries), for the
/// caller to check against `text`'s, key by key.
fn read_dir_transcriptions(
    dir: &Path,
    symbols: Option<&Path>,
) -> Result<Transcriptions, NbestError> {
    let text_path = first_present(dir, &TEXT).unwrap_or_else(|| dir.join(TEXT[0]));
    let has_text = is_present(&text_path);
    let mut ids = None;
    let mut table = None;
    if let Some((ids_path, table_path)) = word_id_archives(dir, symbols) {
        let t = SymbolTable::read_path(&table_path)?;
        let name = ids_path.display().to_string();
        let entries = read_keyed(open(&ids_path)?, &name, |ids| {
            Ok(hyp_words_joined(&t.transcription(ids)?))
        })?;
        if !has_text {
            return Ok((name, entries, Some(t), None));
        }
        ids = Some((name, entries));
        table = Some(t);
    }
    let name = text_path.display().to_string();
    let text = open(&text_path).map_err(|e| with_word_ids_hint(e, dir))?;
    let entries = read_text_entries(text, &name)?;
    Ok((name, entries, table, ids))
}

/// A transcription archive's name and its entries, the symbol table of word
/// ids, and (when `text` was read with `words` beside it) the name and
/// entries of `words`, which must agree with `text`.
type Transcriptions = (
    String,
    Vec<Entry<Words>>,
    Option<SymbolTable>,
    Option<(String, Vec<Entry<Words>>)>,
);

/// Where [`read_dir`] put each hypothesis of the transcription archive, to
/// give it the values other archives hold for its key.
struct Placed {
    /// The transcription archive's name.
    text_name: String,
    /// Per hypothesis: key, list index, index in the list, line in the
    /// transcription archive.
    keys: Vec<(String, usize, usize, u64)>,
    /// Each key's index in `keys`.
    at: HashMap<String, usize>,
}

impl Placed {
    /// Gives each entry of `archive` to its hypothesis with `set` (whose
    /// error is put at the entry's line); with `required`, every hypothesis
    /// needs an entry.
    fn attach<T>(
        &self,
        lists: &mut [NbestList],
        archive: &str,
        entries: Vec<Entry<T>>,
        required: bool,
        mut set: impl FnMut(&mut Hypothesis, T) -> Result<(), NbestErrorKind>,
    ) -> Result<(), NbestError> {
        let mut got = vec![false; self.keys.len()];
        for (key, v, line) in entries {
            let Some(&k) = self.at.get(&key) else {
                return Err(NbestError::new(
                    archive,
                    line,
                    NbestErrorKind::UnknownKey(key),
                ));
            };
            got[k] = true;
            let (_, li, hi, _) = self.keys[k];
            set(&mut lists[li].hyps[hi], v).map_err(|kind| NbestError::new(archive, line, kind))?;
        }
        match got.iter().position(|g| !g) {
            Some(k) if required => Err(NbestError::new(
                &self.text_name,
                self.keys[k].3,
                NbestErrorKind::MissingScore {
                    key: self.keys[k].0.clone(),
                    archive: archive.to_string(),
                },
            )),
            _ => Ok(()),
        }
    }
}

/// Reads a Kaldi n-best directory (see the [module](self) docs).
///
/// # Errors
/// A malformed line in any archive or in `words.txt`, a word id the table
/// does not have (or id 0), a bad key, a hypothesis without an acoustic
/// (or, when `lm_cost` or `lmwt.withlm` exists, LM) cost, or a cost for an
/// unknown hypothesis;
/// a `refs` file none of whose references is for an utterance here
/// ([`NbestErrorKind::UnmatchedReferences`]); `dir` `-` (standard input
/// holds no directory).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("text"), "u1-1 a b\nu1-2 a\n").unwrap();
/// std::fs::write(dir.path().join("ac_cost"), "u1-1 10\nu1-2 12\n").unwrap();
/// let lists = dashlm::rescore::kaldi::read_dir(dir.path()).unwrap();
/// assert_eq!(lists[0].hyps[1].acoustic, -12.0);
/// assert_eq!(lists[0].hyps[1].lm, None);
/// // Word ids and their symbol table, in place of `text`:
/// let ids = tempfile::tempdir().unwrap();
/// std::fs::write(ids.path().join("words"), "u1-1 1 2\nu1-2 1\n").unwrap();
/// std::fs::write(ids.path().join("words.txt"), "<eps> 0\na 1\nb 2\n").unwrap();
/// std::fs::copy(dir.path().join("ac_cost"), ids.path().join("ac_cost")).unwrap();
/// assert_eq!(dashlm::rescore::kaldi::read_dir(ids.path()).unwrap(), lists);
/// ```
pub fn read_dir(dir: &Path) -> Result<Vec<NbestList>, NbestError> {
    read_dir_with_table(dir).map(|(lists, _)| lists)
}

/// [`read_dir`], and the symbol table of the transcriptions when it read them
/// as word ids (`dir` has `words` and `words.txt` and no `text`), else
/// `None`: `dashlm rescore` writes such lists back as ids too (see
/// [`write_dir_with_ids`]).
///
/// # Errors
/// As [`read_dir`].
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("words"), "u-1 1\n").unwrap();
/// std::fs::write(dir.path().join("words.txt"), "<eps> 0\nyes 1\n").unwrap();
/// std::fs::write(dir.path().join("ac_cost"), "u-1 3\n").unwrap();
/// let (lists, table) = dashlm::rescore::kaldi::read_dir_with_table(dir.path()).unwrap();
/// assert_eq!((lists[0].hyps[0].text(), table.unwrap().id("yes")), ("yes".into(), Some(1)));
/// // With `text` too, both are read (and must agree); without `words.txt`,
/// // `words` is not read.
/// std::fs::write(dir.path().join("text"), "u-1 yes\n").unwrap();
/// assert!(dashlm::rescore::kaldi::read_dir_with_table(dir.path()).unwrap().1.is_some());
/// std::fs::remove_file(dir.path().join("words.txt")).unwrap();
/// assert!(dashlm::rescore::kaldi::read_dir_with_table(dir.path()).unwrap().1.is_none());
/// ```
pub fn read_dir_with_table(
    dir: &Path,
) -> Result<(Vec<NbestList>, Option<SymbolTable>), NbestError> {
    read_dir_with_symbols(dir, None)
}

/// [`read_dir_with_table`] with the symbol table of `words` read from
/// `symbols` when given (e.g. the lang directory's `words.txt`, which Kaldi's
/// rescoring scripts do not put beside `words`), in place of `words.txt` in
/// `dir`.
///
/// # Errors
/// As [`read_dir`], and reading `symbols`.
///
/// ```
/// let (dir, lang) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
/// std::fs::write(dir.path().join("words"), "u-1 1\n").unwrap();
/// std::fs::write(dir.path().join("acwt"), "u-1 3\n").unwrap();
/// let table = lang.path().join("words.txt");
/// std::fs::write(&table, "<eps> 0\nyes 1\n").unwrap();
/// let (lists, t) = dashlm::rescore::kaldi::read_dir_with_symbols(dir.path(), Some(&table)).unwrap();
/// assert_eq!((lists[0].hyps[0].text(), t.unwrap().id("yes")), ("yes".into(), Some(1)));
/// ```
pub fn read_dir_with_symbols(
    dir: &Path,
    symbols: Option<&Path>,
) -> Result<(Vec<NbestList>, Option<SymbolTable>), NbestError> {
    refuse_standard_input(
        dir,
        "Kaldi n-best lists are read from a directory (`text`, `ac_cost`, ...)",
    )?;
    let (text_name, entries, table, ids) = read_dir_transcriptions(dir, symbols)?;
    // Group by utterance in order of first appearance.
    let mut lists: Vec<NbestList> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut ranks: Vec<Vec<usize>> = Vec::new();
    let mut placed = Placed {
        text_name,
        keys: Vec::new(),
        at: HashMap::new(),
    };
    // Keys are unique (a duplicate is an error) and ranks have one spelling
    // (`u-01` is refused), so no rank of an utterance is given twice.
    for (key, words, line) in entries {
        let (utt, n) = split_key(&key).ok_or_else(|| {
            NbestError::new(&placed.text_name, line, NbestErrorKind::BadKey(key.clone()))
        })?;
        let li = *index.entry(utt.to_string()).or_insert_with(|| {
            lists.push(NbestList::new(utt));
            ranks.push(Vec::new());
            lists.len() - 1
        });
        placed.at.insert(key.clone(), placed.keys.len());
        placed.keys.push((key, li, lists[li].hyps.len(), line));
        lists[li].hyps.push(Hypothesis {
            words,
            ..Hypothesis::default()
        });
        ranks[li].push(n);
    }
    if let (Some((ids_name, ids)), Some(table)) = (ids, &table) {
        // `text` read, with `words` beside it: one set of transcriptions.
        placed.attach(&mut lists, &ids_name, ids, true, |h, words| {
            if h.words == words {
                return Ok(());
            }
            Err(NbestErrorKind::Syntax {
                expected: "the transcription of the same key in `text` (a directory with both \
                           `text` and `words` must hold one set of transcriptions)",
                found: format!(
                    "`{}` through {}, where `text` has `{}`",
                    words.as_str(),
                    table.source(),
                    h.words.as_str()
                ),
            })
        })?;
    }
    // Reads the first archive of `files` present (false when none is).
    let apply = |lists: &mut [NbestList],
                 files: &[&str],
                 required,
                 zero,
                 set: &mut dyn FnMut(&mut Hypothesis, f64)| {
        let Some(path) = first_present(dir, files) else {
            return Ok(false);
        };
        let name = path.display().to_string();
        let scores = read_score_entries(open(&path)?, &name, zero)?;
        placed.attach(lists, &name, scores, required, |h, v| {
            set(h, v);
            Ok(())
        })?;
        Ok::<_, NbestError>(true)
    };
    let found = apply(&mut lists, &AC_COST, true, Zero::PlusInf, &mut |h, v| {
        h.acoustic = -v
    })?;
    if !found {
        return Err(NbestError::io(
            &dir.join(AC_COST[0]).display().to_string(),
            io::Error::new(
                io::ErrorKind::NotFound,
                "no acoustic cost archive (`ac_cost`, or `acwt` as Kaldi's rescoring scripts \
                 name it)",
            ),
        ));
    }
    apply(&mut lists, &LM_COST, true, Zero::PlusInf, &mut |h, v| {
        h.lm = Some(-v)
    })?;
    let ali = dir.join("ali");
    if is_present(&ali) {
        let name = ali.display().to_string();
        let entries = ali::read_entries(open(&ali)?, &name)?;
        placed.attach(&mut lists, &name, entries, true, |h, a| {
            h.alignment = Some(a);
            Ok(())
        })?;
    }
    let mut extra_files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| NbestError::io(&dir.display().to_string(), e))? {
        let entry = entry.map_err(|e| NbestError::io(&dir.display().to_string(), e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let archive = [".score", ".score.gz", ".score.xz"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix));
        if let Some(stem) = archive {
            // The score's name, shared by every hypothesis given it.
            extra_files.push((Arc::<str>::from(stem), name, false));
        }
    }
    // Kaldi's split graph costs: costs (negated, as `lm_cost`), one for every
    // hypothesis.
    for (file, score) in GRAPH_PARTS {
        if is_present(&dir.join(file)) {
            extra_files.push((Arc::<str>::from(score), file.to_string(), true));
        }
    }
    extra_files.sort();
    if let Some(w) = extra_files.windows(2).find(|w| w[0].0 == w[1].0) {
        let kind = NbestErrorKind::Syntax {
            expected: "one archive per extra score (plain, .gz or .xz)",
            found: format!("`{}` and `{}` for score `{}`", w[0].1, w[1].1, w[0].0),
        };
        return Err(NbestError::new(&dir.display().to_string(), 0, kind));
    }
    for (stem, file, cost) in extra_files {
        let (zero, sign) = if cost {
            (Zero::PlusInf, -1.0)
        } else {
            (Zero::MinusInf, 1.0)
        };
        apply(&mut lists, &[&file], cost, zero, &mut |h, v| {
            h.extra.insert(stem.clone(), sign * v);
        })?;
    }
    // Order each list's hypotheses by n (stable).
    for (list, r) in lists.iter_mut().zip(&ranks) {
        let mut order: Vec<usize> = (0..r.len()).collect();
        order.sort_by_key(|&i| r[i]);
        let hyps = std::mem::take(&mut list.hyps);
        let mut slots: Vec<Option<Hypothesis>> = hyps.into_iter().map(Some).collect();
        list.hyps = order
            .iter()
            .map(|&i| slots[i].take().expect("each once"))
            .collect();
    }
    attach_dir_references(&mut lists, dir)?;
    Ok((lists, table))
}
