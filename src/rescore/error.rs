//! Errors from reading n-best lists, each naming the file and line.

use std::fmt;
use std::io;

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
    #[error("expected a number for the {what}, found `{found}`")]
    Number {
        /// Which column or value.
        what: &'static str,
        /// The text found.
        found: String,
    },
    /// A line has too few fields.
    #[error("expected {expected}, found {found}")]
    Syntax {
        /// What the line should hold.
        expected: &'static str,
        /// What it holds instead.
        found: String,
    },
    /// A hypothesis declares a word count that disagrees with its words.
    #[error("the hypothesis declares {declared} words but has {found}")]
    WordCount {
        /// The count in the line.
        declared: usize,
        /// The number of words after it.
        found: usize,
    },
    /// The same utterance or hypothesis key appears twice.
    #[error("duplicate key `{0}`")]
    Duplicate(String),
    /// A Kaldi key is not of the form `<utterance>-<n>` with `n >= 1`.
    #[error("key `{0}` is not of the form <utterance>-<n> (n = 1, 2, ...)")]
    BadKey(String),
    /// A hypothesis of the transcription archive has no value in a score archive.
    #[error("no entry for hypothesis `{key}` in {archive}")]
    MissingScore {
        /// The hypothesis key.
        key: String,
        /// The archive lacking it.
        archive: String,
    },
    /// A score archive names a hypothesis the transcription archive does not have.
    #[error("hypothesis `{0}` is not in the transcription archive")]
    UnknownKey(String),
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
    /// assert!(matches!(err.kind(), NbestErrorKind::WordCount { declared: 3, found: 2 }));
    /// ```
    pub fn kind(&self) -> &NbestErrorKind {
        &self.kind
    }
}

impl fmt::Display for NbestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.source_name, self.line, self.kind)
        } else {
            write!(f, "{}: {}", self.source_name, self.kind)
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
