//! The public types a program shares between threads (models, states, n-best
//! lists, the rescorer) or sends across them (errors, in `Box<dyn Error + Send
//! + Sync>`) are `Send + Sync`: checked at compile time, so a field that
//! breaks it (an `Rc`, a `Cell`) fails this test's build.

use dashlm::arpa::{ArpaError, NGramSet};
use dashlm::build::{BuildError, BuildOptions, BuildSummary, Codebook};
use dashlm::format::FormatError;
use dashlm::reference::RefState;
use dashlm::rescore::{
    ExtraWeights, GridTable, Hypothesis, LmScorer, NbestError, NbestList, Rescored, Rescorer,
    ScoreWeight, ScorerStats, Scores, TuneOptions, TuneResult, TuneSet, Weights,
};
use dashlm::{FullScore, Model, ModelError, ReferenceModel, State};

fn send_sync<T: Send + Sync>() {}

#[test]
fn models_and_states_are_send_and_sync() {
    send_sync::<Model<Vec<u8>>>();
    send_sync::<Model<memmap2::Mmap>>();
    send_sync::<Model<&'static [u8]>>();
    send_sync::<State>();
    send_sync::<ReferenceModel>();
    send_sync::<RefState>();
    send_sync::<FullScore>();
    send_sync::<NGramSet>();
    send_sync::<BuildOptions>();
    send_sync::<BuildSummary>();
    send_sync::<Codebook>();
}

#[test]
fn rescoring_types_are_send_and_sync() {
    send_sync::<NbestList>();
    send_sync::<Hypothesis>();
    send_sync::<Scores>();
    send_sync::<Rescorer<'static, Model<Vec<u8>>>>();
    send_sync::<Rescored>();
    send_sync::<Weights>();
    send_sync::<ExtraWeights>();
    send_sync::<ScoreWeight>();
    send_sync::<ScorerStats>();
    send_sync::<LmScorer<'static, Model<Vec<u8>>>>();
    send_sync::<TuneOptions>();
    send_sync::<TuneResult>();
    send_sync::<TuneSet>();
    send_sync::<GridTable>();
}

#[test]
fn errors_are_send_and_sync() {
    send_sync::<ArpaError>();
    send_sync::<BuildError>();
    send_sync::<FormatError>();
    send_sync::<ModelError>();
    send_sync::<NbestError>();
}
