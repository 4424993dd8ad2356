//! Errors from reading n-best lists, each naming the file and line.

use std::borrow::Cow;
use std::fmt;
use std::io;

use crate::text::QUOTED_CHARS;

/// `text` as an error message quotes it ([`crate::text::quote`]): whole up to
/// [`QUOTED_CHARS`] characters, else its start and `…` (a JSON line read as a
/// file name, or a long hypothesis, would fill the screen), control
/// characters escaped.
pub(crate) fn clip(text: &str) -> Cow<'_, str> {
    crate::text::quote(text, QUOTED_CHARS)
}

/// `x` for a message: `1e308`, not 309 digits.
pub(crate) fn short(x: f64) -> String {
    match x.abs() {
        a if a >= 1e15 || (a > 0.0 && a < 1e-4) => format!("{x:e}"),
        _ => format!("{x}"),
    }
}

/// The end of a [`NbestErrorKind::WordCount`] message: how many of the
/// `found` words SRILM counts, when that is another number.
fn counted_note(found: usize, counted: usize) -> String {
    if counted == found {
        return String::new();
    }
    format!(
        " ({counted} without `<s>`, `</s>` and SRILM's pause word `-pau-`, as SRILM counts them)"
    )
}

/// The message of a [`NbestErrorKind::NoiseWord`]: the word quoted, unless
/// the line is empty.
fn noise_word_message(found: &str, why: &str) -> String {
    match found {
        "" => why.to_string(),
        word => format!("noise word `{}`: {why}", clip(word)),
    }
}

/// What went wrong in an n-best input.
///
/// ```
/// use dashlm::rescore::{jsonl, NbestErrorKind};
/// let text = "{\"id\": \"u1\", \"hyps\": []}\n{\"id\": \"u1\", \"hyps\": []}\n";
/// let err = jsonl::read(text.as_bytes(), "dev.jsonl").unwrap_err();
/// assert!(matches!(err.kind(), NbestErrorKind::Duplicate(id) if id == "u1"));
/// assert_eq!(err.kind().to_string(), "duplicate key `u1`");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NbestErrorKind {
    /// Opening or reading the input failed.
    #[error("read error: {0}")]
    Io(#[source] io::Error),
    /// A JSONL line is not valid JSON (or not an object).
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A required field is missing or has the wrong type.
    #[error("field `{field}`: {problem}")]
    Field {
        /// The field, e.g. `hyps[3].acoustic`.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A token that should be a number is not.
    #[error("expected a number for the {what}, found `{}`", clip(.found))]
    Number {
        /// Which column or value.
        what: &'static str,
        /// The text found.
        found: String,
    },
    /// A number too large for a 64-bit float, as written or once converted
    /// to natural log (`-1e308` in log10 is `-2.3e308` in natural log).
    #[error("the {what} `{}` is out of range: {why}", clip(.found))]
    OutOfRange {
        /// Which column or value.
        what: &'static str,
        /// The text found.
        found: String,
        /// Why: past the range as written, or once converted.
        why: &'static str,
    },
    /// A line has too few fields.
    #[error("expected {expected}, found {}", clip(.found))]
    Syntax {
        /// What the line should hold.
        expected: &'static str,
        /// What it holds instead.
        found: String,
    },
    /// A hypothesis declares a word count that disagrees with its words.
    #[error("the hypothesis declares {declared} words but has {found}{}", counted_note(*found, *counted))]
    WordCount {
        /// The count in the line.
        declared: usize,
        /// The number of words after it.
        found: usize,
        /// The number of those SRILM counts (without `<s>`, `</s>` and its
        /// pause word `-pau-`), the other count taken.
        counted: usize,
    },
    /// A hypothesis that holds noise words ([`NoiseWords`](super::NoiseWords))
    /// declares a word count that is none of those SRILM may write: every
    /// token, the words SRILM counts with the noise words (a list rescored
    /// without them), or without (`ngram -rescore -noise-vocab`).
    #[error(
        "the hypothesis declares {declared} words but has {found} ({with_noise} without `<s>`, \
         `</s>` and SRILM's pause word `-pau-`, {counted} without the noise words too, as \
         SRILM counts them)"
    )]
    NoiseWordCount {
        /// The count in the line.
        declared: usize,
        /// The number of words after it.
        found: usize,
        /// Those without `<s>`, `</s>` and `-pau-`.
        with_noise: usize,
        /// Those without the noise words too.
        counted: usize,
    },
    /// A word of a noise-word file that cannot be one: an empty line, two
    /// words on a line, a control character, `<s>`, `</s>` or `<unk>` (see
    /// [`NoiseWords::parse`](super::NoiseWords::parse)).
    #[error("{}", noise_word_message(.found, .why))]
    NoiseWord {
        /// The word (empty for an empty line or file).
        found: String,
        /// Why it is refused.
        why: &'static str,
    },
    /// The same utterance or hypothesis key appears twice.
    #[error("duplicate key `{}`", clip(.0))]
    Duplicate(String),
    /// Two files hold one utterance's list, or one score of one utterance
    /// (`u.nbest` and `u.nbest.gz`; `x/u` and `x/u.gz`).
    #[error(
        "a second file{} for utterance `{}` (the other is `{}`): one file per utterance",
        if .file.is_empty() { String::new() } else { format!(" `{}`", clip(.file)) },
        clip(.id),
        clip(.other)
    )]
    DuplicateFile {
        /// The utterance.
        id: String,
        /// The second file's name, when the error names another (a list file
        /// naming both); else empty.
        file: Box<str>,
        /// The other file's name.
        other: Box<str>,
    },
    /// A JSON object gives one key twice (JSON parsers differ on which value
    /// counts, so neither is taken).
    #[error("key `{}` appears twice in one JSON object", clip(.0))]
    DuplicateJsonKey(String),
    /// A Kaldi key is not of the form `<utterance>-<n>` with `n >= 1`
    /// written without a leading zero.
    #[error(
        "key `{}` is not of the form <utterance>-<n> (n = 1, 2, ... without leading zeros, \
         as lattice-to-nbest writes it; a transcription keyed by utterance is not an n-best list)",
        clip(.0)
    )]
    BadKey(String),
    /// A hypothesis of the transcription archive has no value in a score archive.
    #[error("no entry for hypothesis `{}` in {archive}", clip(.key))]
    MissingScore {
        /// The hypothesis key.
        key: String,
        /// The archive lacking it.
        archive: String,
    },
    /// A file of an SRILM score directory is named after an utterance that has
    /// no n-best file in the directory above it.
    #[error(
        "a score file for utterance `{}`, which has no n-best file in the directory above",
        clip(.0)
    )]
    UnknownUtterance(String),
    /// A score archive names a hypothesis the transcription archive does not have.
    #[error("hypothesis `{}` is not in the transcription archive", clip(.0))]
    UnknownKey(String),
    /// A token of a Kaldi `words` archive (transcriptions as word ids) that
    /// the symbol table gives no word.
    #[error("`{}` is not a word id of {table}: {why}", clip(.token))]
    WordId {
        /// The token found.
        token: String,
        /// The symbol table's file.
        table: String,
        /// Why not.
        why: &'static str,
    },
    /// A line of a file in an SRILM score directory (a subdirectory of an
    /// SRILM n-best directory) is not one number.
    #[error(
        "expected one log10 score or `(bytelog)` per line (subdirectory `{score}` of an SRILM \
         n-best directory is read as a score directory: its files `<id>.nbest` (or `<id>`, \
         `<id>.gz`) hold the extra score `{score}`, one value per hypothesis of utterance \
         `<id>`), found `{}`",
        clip(.found)
    )]
    ScoreDirectoryLine {
        /// The score (the subdirectory's name).
        score: String,
        /// The line found.
        found: String,
    },
    /// The input starts with a UTF-8 byte-order mark, which would otherwise be
    /// read as part of the first word, id or number.
    #[error("starts with a UTF-8 byte-order mark (U+FEFF); remove it")]
    ByteOrderMark,
    /// A line longer than [`MAX_LINE_BYTES`](super::MAX_LINE_BYTES): binary
    /// data, or a file without line ends.
    #[error(
        "the line is longer than {max} bytes (no n-best list, hypothesis or transcription \
         is that long: binary data, or a file without line ends?)"
    )]
    LineTooLong {
        /// The limit, [`MAX_LINE_BYTES`](super::MAX_LINE_BYTES).
        max: usize,
    },
    /// A transcription of word ids that would be longer than
    /// [`MAX_LINE_BYTES`](super::MAX_LINE_BYTES) once its ids are replaced by
    /// their words (long words of the symbol table, repeated).
    #[error("the transcription would be longer than {max} bytes once its ids are replaced by the words of {table}")]
    TranscriptionTooLong {
        /// The limit.
        max: usize,
        /// The symbol table's file.
        table: String,
    },
    /// The input holds no n-best list at all (an empty file, a directory
    /// without n-best files): almost certainly the wrong path or format.
    #[error("no n-best lists found: {looked_for}")]
    NoLists {
        /// What was looked for, and what was there instead.
        looked_for: String,
    },
    /// A directory's `refs` file holds references, but none for an utterance
    /// of the directory: the wrong file, whose WER would silently be taken
    /// over no reference at all.
    #[error(
        "none of its {references} references is for an utterance of the n-best lists (the \
         lists' first id: `{}`)",
        clip(.first_id)
    )]
    UnmatchedReferences {
        /// References in the file.
        references: usize,
        /// The first list's id.
        first_id: String,
    },
    /// A score file has a different number of lines than its n-best list has hypotheses.
    #[error("{found} scores for {expected} hypotheses")]
    ScoreCount {
        /// Hypotheses in the list.
        expected: usize,
        /// Scores in the file.
        found: usize,
    },
}

/// An error reading n-best lists: where (file, line) and what.
///
/// ```
/// use dashlm::rescore::jsonl;
/// let err = jsonl::read(&b"{\"id\": \"u1\"}\n"[..], "dev.jsonl").unwrap_err();
/// assert_eq!(err.line(), 1);
/// assert!(err.to_string().starts_with("dev.jsonl:1: field `hyps`"));
/// ```
#[derive(Debug)]
pub struct NbestError {
    source_name: String,
    line: u64,
    kind: NbestErrorKind,
    /// Said after the kind's message (`; <hint>`): what the input looks like
    /// instead, for an error that is not a read error.
    hint: Option<String>,
}

impl NbestError {
    /// Makes an error at `line` (1-based; 0 = not tied to a line) of `source_name`.
    ///
    /// ```
    /// use dashlm::rescore::{NbestError, NbestErrorKind};
    /// let e = NbestError::new("a.nbest", 3, NbestErrorKind::Duplicate("u1".into()));
    /// assert_eq!(e.to_string(), "a.nbest:3: duplicate key `u1`");
    /// ```
    pub fn new(source_name: &str, line: u64, kind: NbestErrorKind) -> NbestError {
        NbestError {
            source_name: source_name.to_string(),
            line,
            kind,
            hint: None,
        }
    }

    /// An I/O error on `source_name`, not tied to a line.
    ///
    /// ```
    /// use dashlm::rescore::NbestError;
    /// let e = NbestError::io("x", std::io::Error::other("boom"));
    /// assert_eq!(e.line(), 0);
    /// ```
    pub fn io(source_name: &str, err: io::Error) -> NbestError {
        NbestError::new(source_name, 0, NbestErrorKind::Io(err))
    }

    /// This error with `hint` appended to its message, when it is a read error
    /// that `applies` to (by its [`io::ErrorKind`]); otherwise unchanged.
    pub(crate) fn with_io_hint(
        self,
        hint: &str,
        applies: impl FnOnce(io::ErrorKind) -> bool,
    ) -> NbestError {
        let NbestErrorKind::Io(err) = &self.kind else {
            return self;
        };
        if !applies(err.kind()) {
            return self;
        }
        let err = io::Error::new(err.kind(), format!("{err}{hint}"));
        NbestError {
            kind: NbestErrorKind::Io(err),
            ..self
        }
    }

    /// This error with `hint` appended to its message (`; hint`): to a read
    /// error's own message, else after the kind's.
    pub(crate) fn with_hint(self, hint: String) -> NbestError {
        match self.kind {
            NbestErrorKind::Io(_) => self.with_io_hint(&format!("; {hint}"), |_| true),
            _ => NbestError {
                hint: Some(hint),
                ..self
            },
        }
    }

    /// The file (or other source) name.
    ///
    /// ```
    /// use dashlm::rescore::NbestError;
    /// assert_eq!(NbestError::io("x", std::io::Error::other("e")).source_name(), "x");
    /// ```
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The 1-based line number, 0 when the error is not tied to a line.
    ///
    /// ```
    /// use dashlm::rescore::srilm;
    /// let err = srilm::read_file(&b"-1 -2 1 a\n-1 x 1 b\n"[..], "u.nbest", "u").unwrap_err();
    /// assert_eq!(err.line(), 2);
    /// ```
    pub fn line(&self) -> u64 {
        self.line
    }

    /// What went wrong.
    ///
    /// ```
    /// use dashlm::rescore::{srilm, NbestErrorKind};
    /// let err = srilm::read_file(&b"-1 -2 3 a b\n"[..], "u.nbest", "u").unwrap_err();
    /// assert!(matches!(err.kind(), NbestErrorKind::WordCount { declared: 3, found: 2, .. }));
    /// ```
    pub fn kind(&self) -> &NbestErrorKind {
        &self.kind
    }
}

impl fmt::Display for NbestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.source_name, self.line, self.kind)?;
        } else {
            write!(f, "{}: {}", self.source_name, self.kind)?;
        }
        match &self.hint {
            Some(hint) => write!(f, "; {hint}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for NbestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            NbestErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_input_is_clipped_on_a_character_boundary() {
        assert_eq!(clip("abc"), "abc");
        let exact = "é".repeat(QUOTED_CHARS);
        assert_eq!(clip(&exact), exact);
        let long = format!("{exact}é");
        assert_eq!(clip(&long), format!("{exact}…"));
        let line = format!("{{\"id\": \"u1\", \"hyps\": [{}]}}", "1, ".repeat(2000));
        let e = NbestErrorKind::Number {
            what: "score",
            found: line,
        };
        assert!(e.to_string().len() < 140, "{e}");
        assert!(e.to_string().ends_with("…`"), "{e}");
    }
}
