//! N-best rescoring: re-rank a recognizer's n-best lists with a bigger LM, tune
//! the LM weight on a development set, and measure word error rates.
//!
//! - [`nbest`]: the list types ([`NbestList`], [`Hypothesis`] and its
//!   [`Words`]) and
//!   format-independent [`read_lists`]/[`write_lists`] (directory outputs new
//!   or empty: [`check_new_dir`]); [`scores`]: a hypothesis' named extra
//!   [`Scores`], which [`extra_weights`] weighs in the combination;
//! - formats: [`jsonl`], [`srilm`], [`kaldi`] (all scores natural log in memory);
//!   [`noise`]: user-configured noise words ([`NoiseWords`]), dropped at reading;
//! - [`combine`]: the score combination ([`Weights`], [`HypFeatures`]);
//!   [`rescorer`]: state-sharing LM scoring with prefetched queries, and
//!   parallel rescoring ([`Rescorer`]);
//! - [`coverage`]: how many hypothesis words the model knows;
//! - [`mbr`]: minimum-Bayes-risk selection; [`tune`](mod@tune): grid search of the
//!   weights; [`wer`]: Levenshtein alignment and WER.
//!
//! ```
//! use dashlm::ReferenceModel;
//! use dashlm::rescore::{jsonl, Rescorer, Weights};
//! let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
//! let input = r#"{"id": "u1", "ref": "the cat sat", "hyps": [{"words": "the cat sat on", "acoustic": -50.0}, {"words": "the cat sat", "acoustic": -50.5}]}"#;
//! let lists = jsonl::read(input.as_bytes(), "in.jsonl").unwrap();
//! let weights = Weights { lm_weight: 1.0, word_insertion_penalty: 0.0, ..Weights::default() };
//! let rescored = Rescorer::new(&lm, weights).rescore_all(&lists);
//! let best = &lists[0].hyps[rescored[0].best().unwrap()];
//! assert_eq!(best.text(), "the cat sat");
//! ```

pub mod combine;
pub mod coverage;
mod distance;
mod error;
pub mod extra_weights;
mod groups;
mod joined;
pub mod jsonl;
mod jsonl_fast;
pub mod kaldi;
pub mod mbr;
mod memo;
pub mod nbest;
pub mod noise;
mod outdir;
pub mod rescorer;
mod scorer;
pub mod scores;
mod sniff;
pub mod srilm;
mod text_input;
mod transcripts;
mod transcripts_fast;
pub mod tune;
pub mod wer;
mod words;
mod writable;

pub use combine::{
    check_overflow, check_totals, features, features_with, rank, HypFeatures, Weights, LN_10,
};
pub use error::{NbestError, NbestErrorKind};
pub use extra_weights::{ExtraWeights, ScoreWeight};
pub use joined::{Iter as WordsIter, Words};
pub use nbest::{
    attach_references, check_writable, hyp_words, hyp_words_joined, read_lists,
    read_lists_with_noise, read_lists_with_symbols, read_lists_with_table, split_words,
    strip_sentence_markers, write_lists, Format, Hypothesis, NbestList,
};
pub use noise::NoiseWords;
pub use outdir::check_new_dir;
pub use rescorer::{
    score_lists, score_lists_sequential, LmScorer, Rescored, Rescorer, ScorerStats, GROUP_LISTS,
};
pub use scores::Scores;
pub use text_input::MAX_LINE_BYTES;
pub use tune::{
    check_mbr_grid, check_options, parse_values, plateau_centre, try_tune, try_tune_with_progress,
    tune, GridTable, TuneOptions, TuneResult, TuneSet, MAX_AXIS_VALUES, MAX_GRID_CELLS,
    MAX_MBR_GRID_PAIRS,
};
