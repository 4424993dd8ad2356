//! dashlm: compact, cache-efficient hashed n-gram language models for speech
//! recognition rescoring.
//!
//! The data flow, module by module: [`arpa`] reads ARPA text into an
//! [`arpa::NGramSet`]; [`build`] compiles it into the hashed layout that
//! [`format`](mod@format) defines byte by byte; [`model`] opens such a file (memory-mapped
//! or from bytes), validates it, and answers queries through the
//! [`LanguageModel`] trait, which [`ReferenceModel`] (the oracle) implements too;
//! [`rescore`] re-ranks n-best lists with any of them. Files are written whole
//! or not at all through [`atomic`]. Text is split into words one way
//! everywhere ([`text`]: ASCII whitespace, as KenLM's `query`).
//!
//! ```
//! use dashlm::{arpa::NGramSet, build, LanguageModel, Model, ReferenceModel};
//!
//! // ARPA -> n-grams -> compiled bytes (build::write_model writes a file instead).
//! let set = NGramSet::read(&include_bytes!("../data/tiny.arpa")[..], "tiny.arpa").unwrap();
//! let (file, summary) = build::compile(&set, build::BuildOptions::default()).unwrap();
//! let mut bytes = Vec::new();
//! file.write_to(&mut bytes).unwrap();
//! assert_eq!(summary.counts, vec![8, 7, 4]);
//!
//! // Open (Model::open(path) memory-maps a file) and score word by word.
//! let lm = Model::from_bytes(bytes).unwrap();
//! let mut state = lm.begin_sentence_state();
//! let mut next = state;
//! let mut total = 0.0;
//! for word in ["the", "cat", "sat"] {
//!     total += lm.score(&state, lm.word_id(word.as_bytes()), &mut next);
//!     state = next;
//! }
//! total += lm.score(&state, lm.eos_id(), &mut next);
//!
//! // The same as the reference model, to the bit.
//! let reference = ReferenceModel::new(set);
//! let ids: Vec<_> = ["the", "cat", "sat"].iter().map(|w| reference.word_id(w.as_bytes())).collect();
//! assert_eq!(total, reference.score_sentence(&ids, true, true));
//! ```
//!
//! Text known in advance (perplexity, rescoring) goes faster through
//! [`LanguageModel::score_sentence`] / [`LanguageModel::score_each`], which tell
//! the model the next word so that consecutive queries' memory accesses overlap;
//! a decoder that does not know the next word uses `score`/`full_score`, or
//! [`LanguageModel::full_score_batch`] for many hypotheses at once.
//!
//! # Memory usage
//! A compiled f32 model takes about 12 bytes per n-gram on a pruned 4-gram
//! (0.54x KenLM's probing structure, scores unchanged), q16 about 9.5 (0.42x)
//! and q8 about 5.2 (0.76x KenLM's trie with 8-bit weights); on larger
//! generated models f32 takes 0.63-0.66x, q16 0.43-0.46x and q8 0.77x. [`Model::open`] maps the file without
//! reading it (pages load as queries touch them); [`Model::load`] reads it into
//! memory backed by huge pages.
//!
//! # Quirks
//! KenLM's ARPA loaders (probing and trie) refuse an n-gram whose context is
//! missing; dashlm adds the context as a blank with the backed-off probability,
//! as KenLM adds a missing suffix.
#![deny(missing_docs)]

pub mod arpa;
pub mod atomic;
pub mod build;
pub mod format;
pub mod lm;
pub mod model;
pub mod query;
pub mod reference;
pub mod rescore;
mod swar;
pub mod text;
pub mod vocab;

pub use lm::{FullScore, LanguageModel};
pub use model::{Model, ModelError, State};
pub use reference::ReferenceModel;
pub use vocab::WordId;

/// The highest n-gram order dashlm reads, builds and scores.
///
/// ```
/// assert_eq!(dashlm::MAX_ORDER, 8);
/// let header: String = (1..=dashlm::MAX_ORDER + 1).map(|n| format!("ngram {n}=1\n")).collect();
/// let text = format!("\\data\\\n{header}");
/// assert!(dashlm::arpa::ArpaReader::new(text.as_bytes(), "9gram.arpa").is_err());
/// ```
pub const MAX_ORDER: usize = 8;
