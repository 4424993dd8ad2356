//! dashlm: compact, cache-efficient hashed n-gram language models for speech
//! recognition rescoring.
#![deny(missing_docs)]

pub mod arpa;
pub mod build;
pub mod format;
pub mod lm;
pub mod model;
pub mod query;
pub mod reference;
pub mod vocab;

pub use lm::{FullScore, LanguageModel};
pub use model::{Model, ModelError, State};
pub use reference::ReferenceModel;
pub use vocab::WordId;

/// The highest n-gram order dashlm reads, builds and scores.
pub const MAX_ORDER: usize = 8;
