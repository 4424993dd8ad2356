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

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{NbestError, NbestErrorKind};
use super::joined::Words;
use super::nbest::{
    attach_dir_references, hyp_words_joined, is_present, refuse_standard_input, Hypothesis,
    NbestList,
};
use super::text_input::Zero;

mod ali;
mod archive;
mod symbols;
mod write;

pub use ali::read_alignments;
pub(crate) use archive::read_text_words;
pub(super) use archive::write_entries;
pub use archive::{check_text, read_scores, read_text, read_text_path, split_key, write_text};
use archive::{keyed, open, read_keyed, read_score_entries, read_text_entries, Entry};
pub use symbols::SymbolTable;
pub(crate) use write::check_dir;
pub use write::{check_dir_with_ids, write_dir, write_dir_pending, write_dir_with_ids};

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
                table they use (the lang directory's `words.txt`) into it as `words.txt` or \
                name it with `--words-txt`, or write them as words with \
                `utils/int2sym.pl -f 2- words.txt < words > text`";
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
        // `text` (or `words_text`) read, with `words` beside it: one set of
        // transcriptions.
        let text_file = Path::new(&placed.text_name).file_name().map_or_else(
            || placed.text_name.clone(),
            |f| f.to_string_lossy().into_owned(),
        );
        placed.attach(&mut lists, &ids_name, ids, true, |h, words| {
            if h.words == words {
                return Ok(());
            }
            Err(NbestErrorKind::Syntax {
                expected: "the transcription of the same key in the transcription archive \
                           (`text` or `words_text`; with `words` beside it, both must hold one \
                           set of transcriptions)",
                found: format!(
                    "`{text_file}` has `{}`, this line `{}` through {}",
                    h.words.as_str(),
                    words.as_str(),
                    table.source(),
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
