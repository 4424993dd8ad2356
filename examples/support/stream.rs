//! Query streams shared by `examples/bench.rs` and `benches/dashlm.rs`
//! (included with `#[path]`): sentences as ids, and every position of them as
//! the `(state, word)` pair the batched API takes.

use dashlm::{LanguageModel, WordId};

/// Every word and `</s>` of `sentences`, each with the state a stateful scorer
/// holds before it (from `<s>`): the input of `full_score_batch`.
pub fn positions<M: LanguageModel>(
    m: &M,
    sentences: &[Vec<WordId>],
) -> (Vec<M::State>, Vec<WordId>) {
    let eos = m.eos_id();
    let mut states = Vec::new();
    let mut words = Vec::new();
    for s in sentences {
        let mut state = m.begin_sentence_state();
        let mut next = state;
        for &w in s.iter().chain(std::iter::once(&eos)) {
            states.push(state);
            words.push(w);
            m.score(&state, w, &mut next);
            state = next;
        }
    }
    (states, words)
}
