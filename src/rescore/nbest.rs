//! N-best list types and format-independent reading and writing.
//!
//! ```
//! use dashlm::rescore::{read_lists, write_lists, Format, Hypothesis, NbestList};
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("dev.jsonl");
//! let lists = vec![NbestList::new("utt1").with_reference("the cat sat")
//!     .with_hyp(Hypothesis::new("the cat sat", -120.5).with_lm(-14.25))
//!     .with_hyp(Hypothesis::new("a cat sat", -119.75).with_lm(-16.0))];
//! let format: Format = "jsonl".parse().unwrap();
//! write_lists(&path, format, &lists).unwrap();
//! assert!(std::fs::read_to_string(&path).unwrap().starts_with(r#"{"id": "utt1", "ref": "the cat sat""#));
//! let back = read_lists(&path, format).unwrap();
//! assert_eq!(back, lists);
//! assert_eq!((back[0].hyps[1].text(), back[0].hyps[1].lm), ("a cat sat".to_string(), Some(-16.0)));
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::str::FromStr;

use super::error::{NbestError, NbestErrorKind};
use super::joined::Words;
use super::noise::NoiseWords;
use super::scores::Scores;
use super::{jsonl, kaldi, srilm};

/// One hypothesis of an n-best list. Scores are natural-log values (the format
/// readers convert log10 and bytelog scores, and negate Kaldi costs).
///
/// ```
/// use dashlm::rescore::Hypothesis;
/// let h = Hypothesis::new("the cat sat", -120.5).with_lm(-12.25);
/// assert_eq!(h.words, ["the", "cat", "sat"]);
/// assert_eq!(h.words.as_str(), "the cat sat");
/// assert_eq!(h.lm, Some(-12.25));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hypothesis {
    /// The words, without `<s>` and `</s>` (kept joined in one string: see
    /// [`Words`]).
    pub words: Words,
    /// The acoustic log-likelihood (natural log).
    pub acoustic: f64,
    /// The first-pass LM log probability (natural log), when known.
    pub lm: Option<f64>,
    /// Further named scores (natural log by convention), e.g. the recognizer's own
    /// total, or `new_lm` and `total` after rescoring (a small map: see
    /// [`Scores`]).
    pub extra: Scores,
    /// The recognizer's alignment of this hypothesis, kept as text to be
    /// written back: the entry of a Kaldi directory's `ali` archive (transition
    /// ids, `"2 4 4 7"`), which Kaldi's `linear-to-nbest` needs beside the
    /// words and costs to make lattices again. Only the Kaldi format reads and
    /// writes it; the others have no place for it.
    pub alignment: Option<Box<str>>,
}

impl Hypothesis {
    /// A hypothesis with words split on whitespace (leading `<s>` and
    /// trailing `</s>` markers removed, as the readers remove them: the scorer adds
    /// both) and an acoustic score.
    ///
    /// ```
    /// use dashlm::rescore::Hypothesis;
    /// assert_eq!(Hypothesis::new("  a  b ", -1.0).words.len(), 2);
    /// assert_eq!(Hypothesis::new("<s> a b </s>", -1.0).words, ["a", "b"]);
    /// ```
    pub fn new(words: &str, acoustic: f64) -> Hypothesis {
        Hypothesis {
            words: hyp_words_joined(words),
            acoustic,
            ..Hypothesis::default()
        }
    }

    /// Sets the first-pass LM score.
    ///
    /// ```
    /// let h = dashlm::rescore::Hypothesis::new("a", -1.0).with_lm(-2.0);
    /// assert_eq!(h.lm, Some(-2.0));
    /// ```
    pub fn with_lm(mut self, lm: f64) -> Hypothesis {
        self.lm = Some(lm);
        self
    }

    /// Adds a named extra score.
    ///
    /// ```
    /// let h = dashlm::rescore::Hypothesis::new("a", -1.0).with_extra("conf", -0.5);
    /// assert_eq!(h.extra["conf"], -0.5);
    /// ```
    pub fn with_extra(mut self, name: &str, value: f64) -> Hypothesis {
        self.extra.insert(name.into(), value);
        self
    }

    /// Sets the alignment (see [`Hypothesis::alignment`]).
    ///
    /// ```
    /// let h = dashlm::rescore::Hypothesis::new("a", -1.0).with_alignment("2 4 4");
    /// assert_eq!(h.alignment.as_deref(), Some("2 4 4"));
    /// ```
    pub fn with_alignment(mut self, alignment: &str) -> Hypothesis {
        self.alignment = Some(alignment.into());
        self
    }

    /// The words joined by single spaces.
    ///
    /// ```
    /// let h = dashlm::rescore::Hypothesis::new("a  b", 0.0);
    /// assert_eq!(h.text(), "a b");
    /// ```
    pub fn text(&self) -> String {
        self.words.as_str().to_string()
    }
}

/// The n-best list of one utterance: its id, optional reference, and hypotheses
/// (in the order the recognizer ranked them, or best first after rescoring).
///
/// ```
/// use dashlm::rescore::{Hypothesis, NbestList};
/// let list = NbestList::new("utt1")
///     .with_reference("the cat")
///     .with_hyp(Hypothesis::new("the cat", -10.0))
///     .with_hyp(Hypothesis::new("a cat", -11.0));
/// assert_eq!(list.hyps.len(), 2);
/// assert_eq!(list.reference.as_deref(), Some(&["the".to_string(), "cat".to_string()][..]));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NbestList {
    /// The utterance id.
    pub id: String,
    /// The reference transcription, when known.
    pub reference: Option<Vec<String>>,
    /// The hypotheses.
    pub hyps: Vec<Hypothesis>,
}

impl NbestList {
    /// An empty list for utterance `id`.
    ///
    /// ```
    /// assert!(dashlm::rescore::NbestList::new("u").hyps.is_empty());
    /// ```
    pub fn new(id: &str) -> NbestList {
        NbestList {
            id: id.to_string(),
            ..NbestList::default()
        }
    }

    /// Sets the reference (split on whitespace; leading `<s>` and trailing
    /// `</s>` markers removed, as the readers remove them).
    ///
    /// ```
    /// use dashlm::rescore::NbestList;
    /// assert_eq!(NbestList::new("u").with_reference("a b").reference.unwrap().len(), 2);
    /// assert_eq!(NbestList::new("u").with_reference("<s> a </s>").reference.unwrap(), ["a"]);
    /// ```
    pub fn with_reference(mut self, reference: &str) -> NbestList {
        self.reference = Some(hyp_words(reference));
        self
    }

    /// Appends a hypothesis.
    ///
    /// ```
    /// use dashlm::rescore::{Hypothesis, NbestList};
    /// let l = NbestList::new("u").with_hyp(Hypothesis::new("a", 0.0));
    /// assert_eq!(l.hyps.len(), 1);
    /// ```
    pub fn with_hyp(mut self, hyp: Hypothesis) -> NbestList {
        self.hyps.push(hyp);
        self
    }
}

/// Splits text into words on ASCII whitespace ([`text::words`](crate::text::words),
/// as everywhere in the crate: a no-break space is part of a word).
///
/// ```
/// assert_eq!(dashlm::rescore::split_words(" a\tb  c\n"), ["a", "b", "c"]);
/// assert_eq!(dashlm::rescore::split_words("the\u{a0}device"), ["the\u{a0}device"]);
/// ```
pub fn split_words(text: &str) -> Vec<String> {
    crate::text::words(text).map(str::to_string).collect()
}

/// Removes the leading `<s>` and the trailing `</s>` markers, however many:
/// the readers apply this to hypotheses and references, since the rescorer
/// adds one of each itself (and the writers refuse words that start with
/// `<s>` or end with `</s>`, which would not read back as themselves).
///
/// ```
/// let mut w = dashlm::rescore::split_words("<s> a b </s>");
/// dashlm::rescore::strip_sentence_markers(&mut w);
/// assert_eq!(w, ["a", "b"]);
/// let mut w = dashlm::rescore::split_words("<s> <s> a </s> </s>");
/// dashlm::rescore::strip_sentence_markers(&mut w);
/// assert_eq!(w, ["a"]);
/// ```
pub fn strip_sentence_markers(words: &mut Vec<String>) {
    while words.last().is_some_and(|w| w == "</s>") {
        words.pop();
    }
    let leading = words.iter().take_while(|w| *w == "<s>").count();
    words.drain(..leading);
}

/// [`split_words`] then [`strip_sentence_markers`].
///
/// ```
/// assert_eq!(dashlm::rescore::hyp_words("<s> a </s>"), ["a"]);
/// ```
pub fn hyp_words(text: &str) -> Vec<String> {
    let mut words = split_words(text);
    strip_sentence_markers(&mut words);
    words
}

/// [`hyp_words`] as [`Words`]: a hypothesis' words as the readers take them.
///
/// ```
/// assert_eq!(dashlm::rescore::hyp_words_joined("<s> a  b </s>").as_str(), "a b");
/// ```
pub fn hyp_words_joined(text: &str) -> Words {
    let mut words = Words::split(text);
    words.strip_sentence_markers();
    words
}

/// An n-best file format.
///
/// ```
/// use dashlm::rescore::Format;
/// assert_eq!("srilm".parse::<Format>().unwrap(), Format::Srilm);
/// assert_eq!(Format::Kaldi.to_string(), "kaldi");
/// assert!("xml".parse::<Format>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// One JSON object per utterance per line (see [`jsonl`]).
    Jsonl,
    /// A directory (or list file) of SRILM n-best files (see [`srilm`]).
    Srilm,
    /// A directory of Kaldi text archives (see [`kaldi`]).
    Kaldi,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "jsonl" | "json" => Ok(Format::Jsonl),
            "srilm" => Ok(Format::Srilm),
            "kaldi" => Ok(Format::Kaldi),
            other => Err(format!(
                "unknown n-best format `{other}`: expected jsonl, srilm or kaldi"
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Jsonl => "jsonl",
            Format::Srilm => "srilm",
            Format::Kaldi => "kaldi",
        })
    }
}

/// Reads n-best lists in `format` from `path`: a JSONL file (plain, .gz or .xz;
/// `-` is standard input), an SRILM directory or list file, or a Kaldi directory.
///
/// An input without a single list is an error ([`NbestErrorKind::NoLists`]):
/// an empty JSONL file, a directory without `*.nbest` files (one holding
/// `*.txt` files, a Kaldi directory read as SRILM) or a Kaldi `text` without
/// lines is far more likely the wrong path or format than a set to rescore.
/// (The format modules' own readers, e.g. [`jsonl::read`], return no lists
/// instead.)
///
/// # Errors
/// Any malformed line, as an [`NbestError`] with file and line; no lists at
/// all, naming what was looked for.
///
/// ```
/// use dashlm::rescore::{read_lists, Format, NbestErrorKind};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("a.jsonl");
/// std::fs::write(&path, "{\"id\": \"u\", \"hyps\": [{\"words\": \"a\", \"acoustic\": -1}]}\n").unwrap();
/// let lists = read_lists(&path, Format::Jsonl).unwrap();
/// assert_eq!(lists[0].hyps[0].acoustic, -1.0);
/// std::fs::write(dir.path().join("u1.txt"), "-1 -2 1 a\n").unwrap();
/// let err = read_lists(dir.path(), Format::Srilm).unwrap_err();
/// assert!(matches!(err.kind(), NbestErrorKind::NoLists { .. }));
/// assert!(err.to_string().contains("no n-best lists found: expected `<id>.nbest` files"), "{err}");
/// ```
pub fn read_lists(path: &Path, format: Format) -> Result<Vec<NbestList>, NbestError> {
    read_lists_with_table(path, format).map(|(lists, _)| lists)
}

/// [`read_lists`], and the symbol table of a Kaldi directory whose
/// transcriptions it read as word ids ([`kaldi::read_dir_with_table`]), to
/// write them back as ids; `None` for other inputs.
///
/// # Errors
/// As [`read_lists`].
///
/// ```
/// use dashlm::rescore::{read_lists_with_table, Format};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("words"), "u-1 1\n").unwrap();
/// std::fs::write(dir.path().join("words.txt"), "<eps> 0\nyes 1\n").unwrap();
/// std::fs::write(dir.path().join("ac_cost"), "u-1 3\n").unwrap();
/// let (lists, table) = read_lists_with_table(dir.path(), Format::Kaldi).unwrap();
/// assert_eq!((lists.len(), table.unwrap().id("yes")), (1, Some(1)));
/// ```
pub fn read_lists_with_table(
    path: &Path,
    format: Format,
) -> Result<(Vec<NbestList>, Option<kaldi::SymbolTable>), NbestError> {
    read_lists_with_symbols(path, format, None)
}

/// [`read_lists_with_table`], a Kaldi directory's word ids read with the
/// symbol table at `symbols` when given ([`kaldi::read_dir_with_symbols`]);
/// other formats have no word ids and do not read it.
///
/// # Errors
/// As [`read_lists`], and reading `symbols`.
///
/// ```
/// use dashlm::rescore::{read_lists_with_symbols, Format};
/// let (dir, lang) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
/// std::fs::write(dir.path().join("words"), "u-1 1\n").unwrap();
/// std::fs::write(dir.path().join("ac_cost"), "u-1 3\n").unwrap();
/// let table = lang.path().join("words.txt");
/// std::fs::write(&table, "<eps> 0\nyes 1\n").unwrap();
/// let (lists, t) = read_lists_with_symbols(dir.path(), Format::Kaldi, Some(&table)).unwrap();
/// assert_eq!((lists.len(), t.unwrap().id("yes")), (1, Some(1)));
/// ```
pub fn read_lists_with_symbols(
    path: &Path,
    format: Format,
    symbols: Option<&Path>,
) -> Result<(Vec<NbestList>, Option<kaldi::SymbolTable>), NbestError> {
    read_lists_with_noise(path, format, symbols, &NoiseWords::default())
}

/// [`read_lists_with_symbols`], the `noise` words dropped from every
/// hypothesis and reference the input holds, in every format (see
/// [`noise`](super::noise) for why, and for what SRILM does): SRILM lists
/// are read with [`srilm::read_path_with_noise`], whose `num_words` may
/// leave the noise words out; the others are read, then
/// [`NoiseWords::drop_from_lists`].
///
/// # Errors
/// As [`read_lists_with_symbols`].
///
/// ```
/// use dashlm::rescore::{read_lists_with_noise, Format, NoiseWords};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("a.jsonl");
/// std::fs::write(&path, r#"{"id": "u", "ref": "a [NOISE] b", "hyps": [{"words": "a [NOISE]", "acoustic": -1}]}"#).unwrap();
/// let noise = NoiseWords::new(["[NOISE]"]).unwrap();
/// let (lists, _) = read_lists_with_noise(&path, Format::Jsonl, None, &noise).unwrap();
/// assert_eq!(lists[0].hyps[0].words, ["a"]);
/// assert_eq!(lists[0].reference.as_deref().unwrap(), ["a", "b"]);
/// ```
pub fn read_lists_with_noise(
    path: &Path,
    format: Format,
    symbols: Option<&Path>,
    noise: &NoiseWords,
) -> Result<(Vec<NbestList>, Option<kaldi::SymbolTable>), NbestError> {
    let read = match format {
        Format::Jsonl => jsonl::read_path(path).map(|lists| (lists, None)),
        Format::Srilm => srilm::read_path_with_noise(path, noise).map(|lists| (lists, None)),
        Format::Kaldi => kaldi::read_dir_with_symbols(path, symbols),
    };
    let (mut lists, table) = read.map_err(|e| super::sniff::with_format_hint(e, path, format))?;
    noise.drop_from_lists(&mut lists);
    if lists.is_empty() {
        let looked_for = match format {
            Format::Jsonl => "expected JSON objects, one utterance per line (the input has \
                              no line that is not blank)"
                .to_string(),
            Format::Srilm if path.is_dir() => format!(
                "expected `<id>.nbest` files (or `.nbest.gz`, `.nbest.xz`) in the directory; {}",
                srilm::describe_dir(path)
            ),
            Format::Srilm => "expected one n-best file (`acoustic lm n w1 ...` lines, or \
                              Decipher's after an `NBestList1.0` or `NBestList2.0` header) \
                              or a list of n-best files' paths, but the file names none (it \
                              is empty or blank)"
                .to_string(),
            Format::Kaldi => format!(
                "{} has no hypotheses (`<utterance>-<n> w1 w2 ...` lines)",
                path.join("text").display()
            ),
        };
        let kind = NbestErrorKind::NoLists { looked_for };
        return Err(NbestError::new(&crate::arpa::input_name(path), 0, kind));
    }
    Ok((lists, table))
}

/// Whether a directory entry named `path` exists, of any type: an optional
/// file of an n-best directory (`refs`, a Kaldi `lm_cost` or `ali`) is read
/// when its name is there, so that a link to nowhere or a directory in its
/// place is an error naming it, not a file silently left out.
pub(crate) fn is_present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// An error unless `path` names a file or directory: standard input (`-`)
/// cannot be read as a directory of n-best files. `what` says how the format
/// is read, e.g. "Kaldi n-best lists are read from a directory".
pub(crate) fn refuse_standard_input(path: &Path, what: &str) -> Result<(), NbestError> {
    if path.as_os_str() != "-" {
        return Ok(());
    }
    let why = format!("{what}, not from standard input");
    Err(NbestError::io(
        &crate::arpa::input_name(path),
        io::Error::new(io::ErrorKind::InvalidInput, why),
    ))
}

/// Writes n-best lists in `format` to `path`: a JSONL file (`-` = standard
/// output), or a directory for SRILM and Kaldi, which must be new or empty
/// ([`check_new_dir`](super::check_new_dir)). Files and directories are
/// written whole or not at all ([`crate::atomic`]): lists a writer refuses,
/// or an I/O error, leave an existing output as it was.
///
/// # Errors
/// Lists the format cannot hold ([`check_writable`]), a directory output
/// that exists and is not empty, or any I/O error, naming `path`.
///
/// ```
/// use dashlm::rescore::{read_lists, write_lists, Format, Hypothesis, NbestList};
/// let dir = tempfile::tempdir().unwrap();
/// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("a b", -3.5).with_lm(-1.25))];
/// write_lists(&dir.path().join("k"), Format::Kaldi, &lists).unwrap();
/// assert_eq!(read_lists(&dir.path().join("k"), Format::Kaldi).unwrap(), lists);
/// // Lists JSON cannot hold (a NaN score): refused, the old file kept.
/// let old = dir.path().join("o.jsonl");
/// std::fs::write(&old, "kept\n").unwrap();
/// let nan = vec![NbestList::new("u").with_hyp(Hypothesis::new("a", f64::NAN))];
/// assert!(write_lists(&old, Format::Jsonl, &nan).is_err());
/// assert_eq!(std::fs::read_to_string(&old).unwrap(), "kept\n");
/// ```
pub fn write_lists(path: &Path, format: Format, lists: &[NbestList]) -> io::Result<()> {
    match format {
        Format::Jsonl => {
            let named = |e: io::Error| {
                let name = if path.as_os_str() == "-" {
                    "standard output".to_string()
                } else {
                    path.display().to_string()
                };
                io::Error::new(e.kind(), format!("{name}: {e}"))
            };
            check_writable(Format::Jsonl, lists).map_err(named)?;
            if path.as_os_str() == "-" {
                let mut out = BufWriter::new(io::stdout().lock());
                jsonl::write(&mut out, lists)
                    .and_then(|()| out.flush())
                    .map_err(named)
            } else {
                crate::atomic::write_file(path, |out, _| jsonl::write(out, lists).map(Some))
                    .map(drop)
                    .map_err(named)
            }
        }
        Format::Srilm => srilm::write_dir(path, lists),
        Format::Kaldi => kaldi::write_dir(path, lists),
    }
}

/// The checks [`write_lists`] makes in `format` before it writes anything (see
/// each writer's `# Errors`), without writing: a caller can refuse lists whose
/// ids, words or score names could not be written before the work that comes
/// first (`dashlm rescore` checks its input lists before it scores them).
///
/// # Errors
/// An [`io::ErrorKind::InvalidInput`] error naming the utterance.
///
/// ```
/// use dashlm::rescore::{check_writable, Format, Hypothesis, NbestList};
/// let lists = vec![NbestList::new("u 1").with_hyp(Hypothesis::new("a", -1.0))];
/// assert!(check_writable(Format::Jsonl, &lists).is_ok());
/// let err = check_writable(Format::Kaldi, &lists).unwrap_err();
/// assert!(err.to_string().contains("it contains whitespace"));
/// ```
pub fn check_writable(format: Format, lists: &[NbestList]) -> io::Result<()> {
    match format {
        Format::Jsonl => jsonl::check(lists),
        Format::Srilm => srilm::check(lists),
        Format::Kaldi => kaldi::check_dir(lists),
    }
}

/// Sets each list's reference from `refs` (utterance id -> words); lists whose id
/// is not in `refs` keep theirs. Returns how many lists got a reference.
///
/// ```
/// use std::collections::HashMap;
/// use dashlm::rescore::{attach_references, NbestList};
/// let mut lists = vec![NbestList::new("u1"), NbestList::new("u2")];
/// let refs = HashMap::from([("u1".to_string(), vec!["hi".to_string()])]);
/// assert_eq!(attach_references(&mut lists, &refs), 1);
/// assert!(lists[1].reference.is_none());
/// ```
pub fn attach_references(lists: &mut [NbestList], refs: &HashMap<String, Vec<String>>) -> usize {
    let mut n = 0;
    for list in lists {
        if let Some(r) = refs.get(&list.id) {
            list.reference = Some(r.clone());
            n += 1;
        }
    }
    n
}

/// Reads the `refs` file of n-best directory `dir`, when there, and attaches
/// its references ([`attach_references`]).
///
/// # Errors
/// A read error, a malformed line, or a file of references none of which is
/// for one of `lists` ([`NbestErrorKind::UnmatchedReferences`]).
pub(crate) fn attach_dir_references(lists: &mut [NbestList], dir: &Path) -> Result<(), NbestError> {
    let path = dir.join("refs");
    if !is_present(&path) {
        return Ok(());
    }
    let refs: HashMap<String, Vec<String>> =
        super::kaldi::read_text_path(&path)?.into_iter().collect();
    if attach_references(lists, &refs) == 0 && !refs.is_empty() && !lists.is_empty() {
        let kind = NbestErrorKind::UnmatchedReferences {
            references: refs.len(),
            first_id: lists[0].id.clone(),
        };
        return Err(NbestError::new(&crate::arpa::input_name(&path), 0, kind));
    }
    Ok(())
}
