//! Errors from reading ARPA text, each naming the source and line.

use std::fmt;
use std::io;

use crate::MAX_ORDER;

/// What went wrong in an ARPA file.
///
/// ```
/// use dashlm::arpa::{ArpaErrorKind, ArpaReader};
/// let text = "\\data\\\nngram 1=1\n\n\\1-grams:\n0.5\tword\n";
/// let mut reader = ArpaReader::new(text.as_bytes(), "lm.arpa").unwrap();
/// let err = reader.next_ngram().unwrap_err();
/// assert!(matches!(err.kind(), ArpaErrorKind::PositiveProbability { value } if *value == 0.5));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArpaErrorKind {
    /// Reading the input failed (including a corrupt gzip/xz stream).
    #[error("read error: {0}")]
    Io(#[source] io::Error),
    /// A line does not have the expected form; the message says what was expected.
    #[error("{0}")]
    Syntax(String),
    /// The input ended early; the message says what was still expected.
    #[error("unexpected end of file: expected {0}")]
    UnexpectedEof(String),
    /// The header announces an order this build does not support.
    #[error("order {order} is above the supported maximum of {MAX_ORDER}")]
    OrderTooHigh {
        /// The announced order.
        order: usize,
    },
    /// A section holds fewer n-grams than the header says.
    #[error(
        "the header says ngram {order}={header}, but the \\{order}-grams: section has {found}"
    )]
    CountMismatch {
        /// The section's order.
        order: usize,
        /// The count in the `\data\` header.
        header: u64,
        /// How many were found (fewer than the header says).
        found: u64,
    },
    /// A section holds more n-grams than the header says: reading stops at the
    /// first one past the count (the line of the error), so how many more is
    /// not known.
    #[error(
        "the header says ngram {order}={header}, but the \\{order}-grams: section has more \
         (this is n-gram {} of the section)",
        header.saturating_add(1)
    )]
    TooManyNgrams {
        /// The section's order.
        order: usize,
        /// The count in the `\data\` header.
        header: u64,
    },
    /// A log10 probability above zero (or NaN).
    #[error("log10 probability {value} is positive: probabilities must be <= 0")]
    PositiveProbability {
        /// The value read.
        value: f32,
    },
    /// The same n-gram twice.
    #[error("duplicate n-gram `{ngram}` (first at line {first_line})")]
    DuplicateNGram {
        /// The n-gram's words.
        ngram: String,
        /// Line of its first occurrence, or 0 if unknown.
        first_line: u64,
    },
    /// A word in a higher-order n-gram that is not among the unigrams.
    #[error("word `{word}` is not in the \\1-grams: section")]
    UnknownWord {
        /// The word.
        word: String,
    },
    /// `<s>` or `</s>` is missing from the unigrams.
    #[error("the unigrams have no `{word}`: {hint}")]
    MissingSpecial {
        /// The missing word.
        word: &'static str,
        /// How to fix it.
        hint: String,
    },
}

/// An error reading an ARPA file: where (source, line) and what.
///
/// ```
/// # use dashlm::arpa::ArpaReader;
/// let err = ArpaReader::new(&b"no header here\n"[..], "bad.arpa").err().unwrap();
/// assert!(err.to_string().starts_with("bad.arpa:1: unexpected end of file"));
/// ```
#[derive(Debug)]
pub struct ArpaError {
    source_name: String,
    line: u64,
    kind: ArpaErrorKind,
}

impl ArpaError {
    /// Makes an error at `line` (1-based; 0 = no line) of `source_name`.
    ///
    /// ```
    /// use dashlm::arpa::{ArpaError, ArpaErrorKind};
    /// let e = ArpaError::new("lm.arpa", 7, ArpaErrorKind::Syntax("bad line".into()));
    /// assert_eq!(e.to_string(), "lm.arpa:7: bad line");
    /// let e = ArpaError::new("lm.arpa", 0, ArpaErrorKind::OrderTooHigh { order: 9 });
    /// assert_eq!(e.to_string(), "lm.arpa: order 9 is above the supported maximum of 8");
    /// ```
    pub fn new(source_name: &str, line: u64, kind: ArpaErrorKind) -> ArpaError {
        ArpaError {
            source_name: source_name.to_string(),
            line,
            kind,
        }
    }

    /// The file (or other source) name.
    ///
    /// ```
    /// # use dashlm::arpa::ArpaReader;
    /// let err = ArpaReader::new(&b"no header here\n"[..], "bad.arpa").err().unwrap();
    /// assert_eq!(err.source_name(), "bad.arpa");
    /// ```
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The 1-based line number, 0 when the error is not tied to a line.
    ///
    /// ```
    /// # use dashlm::arpa::ArpaReader;
    /// let text = "\\data\\\nngram 1=1\n\n\\1-grams:\n0.5\tword\n";
    /// let mut reader = ArpaReader::new(text.as_bytes(), "lm.arpa").unwrap();
    /// assert_eq!(reader.next_ngram().unwrap_err().line(), 5);
    /// ```
    pub fn line(&self) -> u64 {
        self.line
    }

    /// What went wrong.
    ///
    /// ```
    /// # use dashlm::arpa::{ArpaErrorKind, ArpaReader};
    /// let text = "\\data\\\nngram 1=1\nngram 2=0\nngram 3=0\nngram 4=0\nngram 5=0\nngram 6=0\nngram 7=0\nngram 8=0\nngram 9=0\n";
    /// let err = ArpaReader::new(text.as_bytes(), "lm.arpa").err().unwrap();
    /// assert!(matches!(err.kind(), ArpaErrorKind::OrderTooHigh { order: 9 }));
    /// ```
    pub fn kind(&self) -> &ArpaErrorKind {
        &self.kind
    }
}

impl fmt::Display for ArpaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.source_name, self.line, self.kind)
        } else {
            write!(f, "{}: {}", self.source_name, self.kind)
        }
    }
}

impl std::error::Error for ArpaError {
    /// None: the message already includes the I/O error's text (`read error: ...`),
    /// and printing the source as well would say it twice. [`ArpaError::kind`]
    /// gives the I/O error itself.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        None
    }
}
