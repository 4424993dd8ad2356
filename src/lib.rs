//! dashlm: compact, cache-efficient hashed n-gram language models for speech
//! recognition rescoring.
#![deny(missing_docs)]

pub mod arpa;
pub mod lm;
pub mod query;
pub mod reference;
pub mod vocab;

pub use lm::{FullScore, LanguageModel};
pub use reference::ReferenceModel;
pub use vocab::WordId;

/// The highest n-gram order dashlm reads, builds and scores.
pub const MAX_ORDER: usize = 8;
