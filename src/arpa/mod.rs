//! Reading ARPA backoff language models: streaming, strict, with precise errors.
//!
//! [`open_input`] opens plain, gzip or xz text (by magic bytes; [`Compressed`]
//! writes it, by the output's name); [`ArpaReader`]
//! tokenizes it one n-gram at a time; [`NGramSet`] collects the n-grams into
//! word ids, checking duplicates and unknown words, and completes the model the
//! way KenLM does (see [`NGramSet`]).
//!
//! ```
//! use dashlm::arpa::{ArpaReader, NGramSet};
//! let text = &include_bytes!("../../data/tiny.arpa")[..];
//! // Streaming: the `\data\` counts, then one n-gram at a time, in file order.
//! let mut reader = ArpaReader::new(text, "tiny.arpa").unwrap();
//! assert_eq!(reader.counts(), [8, 7, 4]);
//! let first = reader.next_ngram().unwrap().unwrap();
//! assert_eq!((first.word(0), first.prob, first.backoff), (&b"<unk>"[..], -1.8, Some(0.0)));
//! // Whole: word ids and lookups by them.
//! let set = NGramSet::read(text, "tiny.arpa").unwrap();
//! let id = |w: &str| set.vocab().id(w.as_bytes());
//! let the_cat = set.get(&[id("the"), id("cat")]).unwrap();
//! assert_eq!((the_cat.prob, the_cat.backoff), (-0.7, -0.15));
//! assert!(set.get(&[id("cat"), id("the")]).is_none());
//! ```
//!
//! Accepted quirks of real toolkits: free text before `\data\`, tabs or runs of
//! spaces between fields, CRLF line ends, blank lines anywhere (after `\end\`
//! too, where any other text is an error, as in KenLM), a missing backoff
//! field (= 0), `-inf` and `-99` probabilities, scientific notation, words made of
//! any bytes but space, tab and CR (a CR inside a line is an error, as in KenLM,
//! which reads it as a separator), orders 1 to [`crate::MAX_ORDER`].

mod error;
mod input;
mod lines;
mod ngrams;
mod number;
mod output;
mod reader;

pub use error::{ArpaError, ArpaErrorKind};
pub use input::{
    input_name, open_input, open_model_input, Compression, Input, Progress, HEAD_BYTES,
};
pub(crate) use ngrams::missing_special;
pub use ngrams::{Entry, NGramSet, MISSING_UNK_LOG10};
pub use output::Compressed;
pub use reader::{ArpaReader, NGram, MAX_LINE_BYTES};
