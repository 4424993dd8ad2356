//! The systems `examples/bench.rs` times: the [`System`] trait, one measurement
//! a method, and its implementations for a dashlm model ([`DashSystem`]), a
//! kenlm-rs model ([`KenSystem`]) and KenLM's own loop in a child
//! ([`NativeSystem`]), each with the query stream mapped to its ids.

use dashlm::rescore::{self, NbestList};
use dashlm::{FullScore, LanguageModel, WordId};

use crate::bench_inputs::{on_threads, Queries};
use crate::{native, stream};

/// One pass's agreement data: per-query scores and the mean matched length.
pub struct Agreement {
    pub scores: Vec<f32>,
    pub mean_length: f64,
}

impl Agreement {
    pub fn log10_sum(&self) -> f64 {
        self.scores.iter().map(|&s| f64::from(s)).sum()
    }
}

/// A loaded model ready to be timed: every measurement returns
/// `(queries or words, checksum)`, or `None` when the system lacks the API.
pub trait System {
    fn agreement(&self) -> Agreement;
    fn sequential(&self) -> (u64, f64);
    fn lookahead(&self) -> Option<(u64, f64)>;
    fn batched(&mut self) -> Option<(u64, f64)>;
    fn threads(&self, threads: usize) -> Option<(u64, f64)>;
    fn nbest(&self, lists: &[NbestList]) -> Option<(u64, f64)>;
    fn nbest_threads(&self, lists: &[NbestList], pool: &rayon::ThreadPool) -> Option<(u64, f64)>;
}

fn hyp_words(lists: &[NbestList]) -> u64 {
    lists
        .iter()
        .flat_map(|l| &l.hyps)
        .map(|h| h.words.len() as u64)
        .sum()
}

fn sum_log10(scores: &[Vec<f64>]) -> f64 {
    scores.iter().flatten().sum::<f64>() / std::f64::consts::LN_10
}

const BATCH: usize = 512;

/// A dashlm model with its query stream mapped to ids.
pub struct DashSystem<M: LanguageModel> {
    m: M,
    sentences: Vec<Vec<WordId>>,
    passes: usize,
    /// Every position's state and word, for the batched API.
    states: Vec<M::State>,
    words: Vec<WordId>,
    out_states: Vec<M::State>,
    out_scores: Vec<FullScore>,
}

impl<M: LanguageModel> DashSystem<M> {
    pub fn new(m: M, q: &Queries) -> DashSystem<M> {
        let sentences: Vec<Vec<WordId>> = q
            .sentences
            .iter()
            .map(|s| s.iter().map(|w| m.word_id(w)).collect())
            .collect();
        let (states, words) = stream::positions(&m, &sentences);
        let null = m.null_context_state();
        DashSystem {
            m,
            sentences,
            passes: q.passes,
            states,
            words,
            out_states: vec![null; BATCH],
            out_scores: vec![FullScore::default(); BATCH],
        }
    }

    /// One `full_score` per word, or with `lookahead` `score_corpus`'s lookahead.
    fn pass(&self, sentences: &[Vec<WordId>], lookahead: bool) -> (u64, f64) {
        let (mut queries, mut sum) = (0u64, 0f64);
        for _ in 0..self.passes {
            let (q, s) = if lookahead {
                self.m.score_corpus(sentences)
            } else {
                dashlm::lm::score_corpus_word_by_word(&self.m, sentences)
            };
            queries += q;
            sum += s;
        }
        (queries, sum)
    }
}

impl<M: LanguageModel> System for DashSystem<M> {
    fn agreement(&self) -> Agreement {
        let mut scores = Vec::with_capacity(self.words.len());
        let mut lengths = 0u64;
        let mut next = self.m.null_context_state();
        for (s, &w) in self.states.iter().zip(&self.words) {
            let r = self.m.full_score(s, w, &mut next);
            scores.push(r.log10_prob);
            lengths += u64::from(r.ngram_length);
        }
        Agreement {
            mean_length: lengths as f64 / scores.len().max(1) as f64,
            scores,
        }
    }

    fn sequential(&self) -> (u64, f64) {
        self.pass(&self.sentences, false)
    }

    fn lookahead(&self) -> Option<(u64, f64)> {
        Some(self.pass(&self.sentences, true))
    }

    fn batched(&mut self) -> Option<(u64, f64)> {
        let mut sum = 0f64;
        let mut queries = 0u64;
        for _ in 0..self.passes {
            for (st, ws) in self.states.chunks(BATCH).zip(self.words.chunks(BATCH)) {
                self.m
                    .full_score_batch(st, ws, &mut self.out_states, &mut self.out_scores);
                sum += self.out_scores[..st.len()]
                    .iter()
                    .map(|r| f64::from(r.log10_prob))
                    .sum::<f64>();
                queries += st.len() as u64;
            }
        }
        Some((queries, sum))
    }

    fn threads(&self, threads: usize) -> Option<(u64, f64)> {
        Some(on_threads(&self.sentences, threads, |part| {
            self.pass(part, false)
        }))
    }

    fn nbest(&self, lists: &[NbestList]) -> Option<(u64, f64)> {
        let scores = rescore::score_lists_sequential(&self.m, lists).0;
        Some((hyp_words(lists), sum_log10(&scores)))
    }

    fn nbest_threads(&self, lists: &[NbestList], pool: &rayon::ThreadPool) -> Option<(u64, f64)> {
        let scores = pool.install(|| rescore::score_lists(&self.m, lists, |_| {}).0);
        Some((hyp_words(lists), sum_log10(&scores)))
    }
}

/// A KenLM model (kenlm-rs) with its query stream mapped to KenLM's ids (a
/// word that is not UTF-8 by its lossy spelling: see
/// [`Queries::not_utf8_words`]).
pub struct KenSystem {
    m: kenlm::Model,
    sentences: Vec<Vec<u32>>,
    passes: usize,
}

impl KenSystem {
    pub fn new(m: kenlm::Model, q: &Queries) -> KenSystem {
        let sentences = q
            .sentences
            .iter()
            .map(|s| {
                s.iter()
                    .map(|w| m.index(&String::from_utf8_lossy(w)).unwrap_or(0))
                    .collect()
            })
            .collect();
        KenSystem {
            m,
            sentences,
            passes: q.passes,
        }
    }

    /// Where a word-by-word loop starts: `<s>`'s state (each sentence starts
    /// from a copy), `</s>`'s id, and the current and next states.
    fn loop_start(&self) -> (kenlm::State, kenlm::WordIndex, kenlm::State, kenlm::State) {
        let m = &self.m;
        (
            m.begin_sentence_state(),
            m.end_sentence_index(),
            m.begin_sentence_state(),
            m.null_context_state(),
        )
    }

    fn pass(&self, sentences: &[Vec<u32>], passes: usize) -> (u64, f64) {
        let m = &self.m;
        let (begin, eos, mut state, mut next) = self.loop_start();
        let mut sum = 0f64;
        let mut queries = 0u64;
        for _ in 0..passes {
            for s in sentences {
                state.clone_from(&begin);
                for &w in s.iter().chain(std::iter::once(&eos)) {
                    sum += f64::from(m.base_score(&state, w, &mut next).expect("kenlm state"));
                    std::mem::swap(&mut state, &mut next);
                }
                queries += s.len() as u64 + 1;
            }
        }
        (queries, sum)
    }
}

impl System for KenSystem {
    fn agreement(&self) -> Agreement {
        let m = &self.m;
        let (begin, eos, mut state, mut next) = self.loop_start();
        let mut scores = Vec::new();
        let mut lengths = 0u64;
        for s in &self.sentences {
            state.clone_from(&begin);
            for &w in s.iter().chain(std::iter::once(&eos)) {
                let r = m
                    .base_full_score(&state, w, &mut next)
                    .expect("kenlm state");
                scores.push(r.log_prob);
                lengths += u64::from(r.ngram_length);
                std::mem::swap(&mut state, &mut next);
            }
        }
        Agreement {
            mean_length: lengths as f64 / scores.len().max(1) as f64,
            scores,
        }
    }

    fn sequential(&self) -> (u64, f64) {
        self.pass(&self.sentences, self.passes)
    }

    /// KenLM has no lookahead: its word-by-word loop again, timed in the same
    /// rounds as dashlm's lookahead so that the two compare.
    fn lookahead(&self) -> Option<(u64, f64)> {
        Some(self.sequential())
    }

    fn batched(&mut self) -> Option<(u64, f64)> {
        None
    }

    fn threads(&self, threads: usize) -> Option<(u64, f64)> {
        Some(on_threads(&self.sentences, threads, |part| {
            self.pass(part, self.passes)
        }))
    }

    /// Word by word from `<s>`, looking each word up (the rescorer maps strings too).
    fn nbest(&self, lists: &[NbestList]) -> Option<(u64, f64)> {
        let m = &self.m;
        let (begin, eos, mut state, mut next) = self.loop_start();
        let mut sum = 0f64;
        for h in lists.iter().flat_map(|l| &l.hyps) {
            state.clone_from(&begin);
            for w in h
                .words
                .iter()
                .map(|w| m.index(w).unwrap_or(0))
                .chain(std::iter::once(eos))
            {
                sum += f64::from(m.base_score(&state, w, &mut next).expect("kenlm state"));
                std::mem::swap(&mut state, &mut next);
            }
        }
        Some((hyp_words(lists), sum))
    }

    fn nbest_threads(&self, _: &[NbestList], _: &rayon::ThreadPool) -> Option<(u64, f64)> {
        None
    }
}

/// KenLM's own query loop in a child ([`native::NativeKenlm`]): word by word
/// only.
pub struct NativeSystem(pub native::NativeKenlm);

impl System for NativeSystem {
    fn agreement(&self) -> Agreement {
        let scores = self.0.scores().expect("kenlm-query-loop scores");
        Agreement {
            mean_length: scores.iter().map(|&(_, n)| f64::from(n)).sum::<f64>()
                / scores.len().max(1) as f64,
            scores: scores.into_iter().map(|(p, _)| p).collect(),
        }
    }

    fn sequential(&self) -> (u64, f64) {
        self.0.run().expect("kenlm-query-loop run")
    }

    /// No lookahead either: word by word again, as for kenlm-rs.
    fn lookahead(&self) -> Option<(u64, f64)> {
        Some(self.sequential())
    }

    fn batched(&mut self) -> Option<(u64, f64)> {
        None
    }

    fn threads(&self, _: usize) -> Option<(u64, f64)> {
        None
    }

    fn nbest(&self, _: &[NbestList]) -> Option<(u64, f64)> {
        None
    }

    fn nbest_threads(&self, _: &[NbestList], _: &rayon::ThreadPool) -> Option<(u64, f64)> {
        None
    }
}
