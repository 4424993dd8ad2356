//! Errors from reading ARPA text, each naming the source and line.

use std::fmt;
use std::io;

use crate::MAX_ORDER;

/// What went wrong in an ARPA file.
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
    /// A section holds a different number of n-grams than the header says.
    #[error(
        "the header says ngram {order}={header}, but the \\{order}-grams: section has {found}"
    )]
    CountMismatch {
        /// The section's order.
        order: usize,
        /// The count in the `\data\` header.
        header: u64,
        /// How many were found (so far, when it is too many).
        found: u64,
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
        hint: &'static str,
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
    pub fn new(source_name: &str, line: u64, kind: ArpaErrorKind) -> ArpaError {
        ArpaError {
            source_name: source_name.to_string(),
            line,
            kind,
        }
    }

    /// The file (or other source) name.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The 1-based line number, 0 when the error is not tied to a line.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// What went wrong.
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
