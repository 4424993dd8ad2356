//! Reading ARPA backoff language models: streaming, strict, with precise errors.
//!
//! [`open_input`] opens plain, gzip or xz text (by magic bytes); [`ArpaReader`]
//! tokenizes it one n-gram at a time; [`NGramSet`] collects the n-grams into
//! word ids, checking duplicates and unknown words, and completes the model the
//! way KenLM does (see [`NGramSet`]).
//!
//! Accepted quirks of real toolkits: free text before `\data\`, tabs or runs of
//! spaces between fields, CRLF line ends, blank lines anywhere, a missing backoff
//! field (= 0), `-inf` and `-99` probabilities, scientific notation, words made of
//! any non-whitespace bytes, orders 1 to [`crate::MAX_ORDER`].

mod error;
mod input;
mod ngrams;
mod reader;

pub use error::{ArpaError, ArpaErrorKind};
pub use input::{open_input, Compression, Input, Progress};
pub use ngrams::{Entry, NGramSet, MISSING_UNK_LOG10};
pub use reader::{ArpaReader, NGram};
