//! A small synthetic beam search: how a decoder keeps one `State` per hypothesis
//! and extends hypotheses word by word with the stateful API.
//!
//! Run: `cargo run --release --example beam_search [MODEL]` (default: the tiny
//! model in `data/`, compiled in memory; MODEL may be ARPA text, plain, gzip or
//! xz, or a compiled file).

use std::collections::HashMap;

use dashlm::{arpa::NGramSet, build, LanguageModel, Model, WordId};

#[path = "support/exit.rs"]
mod exit;

/// One hypothesis: its words, its LM state and its log10 score.
#[derive(Clone)]
pub struct Hypothesis<S> {
    pub words: Vec<WordId>,
    pub state: S,
    pub log10: f32,
}

/// Extends every hypothesis by every candidate word, keeps the `beam` best,
/// recombining hypotheses whose LM states are equal (same future scores).
pub fn beam_search<M: LanguageModel>(
    lm: &M,
    candidates: &[WordId],
    steps: usize,
    beam: usize,
) -> Vec<Hypothesis<M::State>> {
    let mut hyps = vec![Hypothesis {
        words: Vec::new(),
        state: lm.begin_sentence_state(),
        log10: 0.0,
    }];
    for _ in 0..steps {
        // All (hypothesis, word) pairs of this step, scored in one batch.
        let states: Vec<M::State> = hyps
            .iter()
            .flat_map(|h| candidates.iter().map(|_| h.state))
            .collect();
        let words: Vec<WordId> = hyps
            .iter()
            .flat_map(|_| candidates.iter().copied())
            .collect();
        let mut next_states = states.clone();
        let mut scores = vec![dashlm::FullScore::default(); states.len()];
        lm.full_score_batch(&states, &words, &mut next_states, &mut scores);
        let mut best: HashMap<M::State, Hypothesis<M::State>> = HashMap::new();
        for (i, (state, score)) in next_states.iter().zip(&scores).enumerate() {
            let parent = &hyps[i / candidates.len()];
            let log10 = parent.log10 + score.log10_prob;
            if best.get(state).is_none_or(|h| h.log10 < log10) {
                let mut words = parent.words.clone();
                words.push(candidates[i % candidates.len()]);
                best.insert(
                    *state,
                    Hypothesis {
                        words,
                        state: *state,
                        log10,
                    },
                );
            }
        }
        hyps = best.into_values().collect();
        // Best first, ties by their words: the map's order is random, and a
        // search must not keep different hypotheses from run to run.
        hyps.sort_by(best_first);
        hyps.truncate(beam);
    }
    // Close every hypothesis with </s>.
    for h in &mut hyps {
        let mut end = h.state;
        h.log10 += lm.score(&h.state, lm.eos_id(), &mut end);
        h.state = end;
    }
    hyps.sort_by(best_first);
    hyps
}

/// Higher scores first, then the words in order: a total order, so that
/// hypotheses of equal score come out the same on every run.
fn best_first<S>(a: &Hypothesis<S>, b: &Hypothesis<S>) -> std::cmp::Ordering {
    b.log10
        .total_cmp(&a.log10)
        .then_with(|| a.words.cmp(&b.words))
}

/// The model file `build-lm` would write for `set`, in memory.
fn compile(set: NGramSet) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let (file, _) = build::compile(&set, build::BuildOptions::default())?;
    let mut bytes = Vec::new();
    file.write_to(&mut bytes)?;
    Ok(bytes)
}

fn try_main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1);
    let name = path.as_deref().unwrap_or("data/tiny.arpa");
    // ARPA text (plain, gzip or xz, told by magic bytes) is compiled in
    // memory; a compiled model is read as it is.
    let bytes = match &path {
        Some(p) => {
            let input = dashlm::arpa::open_input(p.as_ref()).map_err(|e| format!("{p}: {e}"))?;
            if input.head.starts_with(&dashlm::format::MAGIC) {
                std::fs::read(p).map_err(|e| format!("{p}: {e}"))?
            } else {
                compile(NGramSet::read(input.reader, p)?)?
            }
        }
        None => compile(NGramSet::read(
            &include_bytes!("../data/tiny.arpa")[..],
            name,
        )?)?,
    };
    let lm = Model::from_bytes(bytes).map_err(|e| format!("{name}: {e}"))?;
    let candidates: Vec<WordId> = (0..lm.vocab_size() as WordId)
        .filter(|&w| w != lm.bos_id() && w != lm.eos_id() && w != 0)
        .take(50)
        .collect();
    for h in beam_search(&lm, &candidates, 6, 5) {
        let text: Vec<String> = h
            .words
            .iter()
            .map(|&w| String::from_utf8_lossy(lm.word(w)).into_owned())
            .collect();
        println!("{:>9.4}  {}", h.log10, text.join(" "));
    }
    Ok(())
}

/// Runs the example (errors: see [`exit::report`]).
fn main() -> std::process::ExitCode {
    exit::report("beam_search", try_main())
}
