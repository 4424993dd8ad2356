//! The scoring interface shared by every model: [`LanguageModel`].
//!
//! ```
//! use dashlm::{FullScore, LanguageModel, Model, ReferenceModel};
//! # let arpa = &include_bytes!("../data/tiny.arpa")[..];
//! # let set = dashlm::arpa::NGramSet::read(arpa, "t").unwrap();
//! # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
//! # let mut bytes = Vec::new();
//! # f.write_to(&mut bytes).unwrap();
//! /// The score of every word of `<s> words </s>`, whatever the model.
//! fn scores<M: LanguageModel>(lm: &M, words: &[&str]) -> Vec<FullScore> {
//!     let ids: Vec<_> = words.iter().map(|w| lm.word_id(w.as_bytes())).collect();
//!     let mut out = Vec::new();
//!     lm.score_each(lm.begin_sentence_state(), &ids, true, |r| out.push(r));
//!     out
//! }
//! let compiled = Model::from_bytes(bytes).unwrap(); // data/tiny.arpa, compiled
//! let reference = ReferenceModel::read(arpa, "tiny.arpa").unwrap();
//! let words = ["the", "cat", "sat", "on", "the", "mat"];
//! assert_eq!(scores(&compiled, &words), scores(&reference, &words));
//! assert_eq!(scores(&compiled, &words).len(), 7); // six words and `</s>`
//! ```

use crate::vocab::WordId;

/// The result of scoring one word: its log10 probability and the length of the
/// n-gram that matched (KenLM's `FullScoreReturn::ngram_length`).
///
/// ```
/// let s = dashlm::FullScore { log10_prob: -1.5, ngram_length: 2 };
/// assert_eq!(s.ngram_length, 2);
/// // A buffer for batched queries.
/// let out = vec![dashlm::FullScore::default(); 64];
/// assert_eq!(out[0], dashlm::FullScore { log10_prob: 0.0, ngram_length: 0 });
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FullScore {
    /// log10 P(word | context).
    pub log10_prob: f32,
    /// Words in the longest matching n-gram (1 = unigram, also for `<unk>`).
    pub ngram_length: u8,
}

/// A backoff n-gram language model queried word by word with explicit states.
///
/// The semantics are KenLM's `FullScore`: the probability of the longest n-gram
/// ending in the word whose context is a suffix of the state, plus the backoff
/// weights of the longer contexts the state holds; out-of-vocabulary words are
/// scored as `<unk>` (id 0). States are small `Copy` values: a decoder keeps one
/// per hypothesis. No method allocates.
///
/// ```
/// use dashlm::{LanguageModel, ReferenceModel};
/// let arpa = "\\data\\\nngram 1=4\nngram 2=2\n\n\\1-grams:\n-1\t<unk>\n-99\t<s>\t-0.3\n-0.5\t</s>\n-0.7\thi\t-0.1\n\n\\2-grams:\n-0.2\t<s> hi\n-0.1\thi </s>\n\n\\end\\\n";
/// let lm = ReferenceModel::read(arpa.as_bytes(), "hi.arpa").unwrap();
/// let hi = lm.word_id(b"hi");
/// let mut state = lm.begin_sentence_state();
/// let mut next = state;
/// assert_eq!(lm.score(&state, hi, &mut next), -0.2);
/// state = next;
/// assert_eq!(lm.full_score(&state, lm.eos_id(), &mut next).ngram_length, 2);
/// assert!((lm.score_sentence(&[hi], true, true) - (-0.3)).abs() < 1e-6);
/// ```
pub trait LanguageModel: Send + Sync {
    /// The context carried from one word to the next.
    ///
    /// A state belongs to the model that produced it. Using it with another
    /// model, even another build of the same ARPA file (a compiled model's state
    /// holds slot ids of its own tables, not word ids as KenLM's does), gives
    /// meaningless scores, though never a panic or undefined behaviour.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// // Small and `Copy`: a decoder keeps one per hypothesis.
    /// let start: <ReferenceModel as LanguageModel>::State = lm.begin_sentence_state();
    /// let (mut a, mut b) = (start, start);
    /// let the = lm.word_id(b"the");
    /// lm.full_score(&start, the, &mut a);
    /// lm.full_score(&start, the, &mut b);
    /// assert_eq!(a, b); // equal contexts, equal states
    /// assert_ne!(a, start);
    /// ```
    type State: Copy + Eq + std::hash::Hash + std::fmt::Debug + Send + Sync;

    /// The model order (longest n-gram).
    ///
    /// ```
    /// use dashlm::{LanguageModel, Model};
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
    /// let model = Model::from_bytes(bytes).unwrap(); // data/tiny.arpa, compiled
    /// assert_eq!(model.order(), 3); // tiny.arpa has 1-, 2- and 3-grams
    /// ```
    fn order(&self) -> usize;

    /// The id of `word`, or 0 (`<unk>`) when it is not in the vocabulary.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(lm.word_id(b"zzz"), 0);
    /// assert_eq!(lm.word_id(b"<unk>"), 0);
    /// assert_ne!(lm.word_id(b"the"), 0);
    /// assert_eq!(lm.word_id(b"<s>"), lm.bos_id());
    /// ```
    fn word_id(&self, word: &[u8]) -> WordId;

    /// The ids of `words` into `ids` (as [`LanguageModel::word_id`]; pairs past
    /// the shorter of the two are left alone). Models override this to overlap
    /// the lookups' memory accesses.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// let mut ids = [7; 2];
    /// lm.word_ids(&[&b"the"[..], b"zzz"], &mut ids);
    /// assert_eq!(ids, [lm.word_id(b"the"), 0]);
    /// ```
    fn word_ids(&self, words: &[&[u8]], ids: &mut [WordId]) {
        for (w, id) in words.iter().zip(ids) {
            *id = self.word_id(w);
        }
    }

    /// Number of word ids (ids are `0..vocab_size()`).
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(lm.vocab_size(), 8); // `<unk>`, `<s>`, `</s>` and 5 words
    /// assert!((lm.word_id(b"mat") as usize) < lm.vocab_size());
    /// ```
    fn vocab_size(&self) -> usize;

    /// The id of `<s>`.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(lm.bos_id(), lm.word_id(b"<s>"));
    /// assert_ne!(lm.bos_id(), 0); // `<s>` is in the vocabulary, not `<unk>`
    /// ```
    fn bos_id(&self) -> WordId;

    /// The id of `</s>`.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(lm.eos_id(), lm.word_id(b"</s>"));
    /// assert_ne!(lm.eos_id(), lm.bos_id());
    /// ```
    fn eos_id(&self) -> WordId;

    /// The state after `<s>`: the start of a sentence.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// let (begin, mut next) = (lm.begin_sentence_state(), lm.null_context_state());
    /// let r = lm.full_score(&begin, lm.word_id(b"the"), &mut next);
    /// assert_eq!((r.log10_prob, r.ngram_length), (-0.4, 2)); // the bigram `<s> the`
    /// ```
    fn begin_sentence_state(&self) -> Self::State;

    /// The empty context.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// let (null, mut next) = (lm.null_context_state(), lm.begin_sentence_state());
    /// let r = lm.full_score(&null, lm.word_id(b"the"), &mut next);
    /// assert_eq!((r.log10_prob, r.ngram_length), (-1.2, 1)); // the unigram `the`
    /// assert_ne!(null, lm.begin_sentence_state());
    /// ```
    fn null_context_state(&self) -> Self::State;

    /// Scores `word` after `state`, writing the following state to `out`.
    /// Ids at or above `vocab_size()` are scored as `<unk>`.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// # let (the, cat) = (lm.word_id(b"the"), lm.word_id(b"cat"));
    /// let (mut state, mut next) = (lm.begin_sentence_state(), lm.null_context_state());
    /// assert_eq!(lm.full_score(&state, the, &mut next).ngram_length, 2); // `<s> the`
    /// state = next;
    /// let r = lm.full_score(&state, cat, &mut next); // the trigram `<s> the cat`
    /// assert_eq!(r, dashlm::FullScore { log10_prob: -0.2, ngram_length: 3 });
    /// ```
    fn full_score(&self, state: &Self::State, word: WordId, out: &mut Self::State) -> FullScore;

    /// As [`LanguageModel::full_score`], returning only the log10 probability.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// let (begin, mut next) = (lm.begin_sentence_state(), lm.null_context_state());
    /// // No bigram `<s> cat`: backoff(`<s>`) + P(`cat`).
    /// assert_eq!(lm.score(&begin, lm.word_id(b"cat"), &mut next), -0.5 + -1.5);
    /// ```
    #[inline(always)]
    fn score(&self, state: &Self::State, word: WordId, out: &mut Self::State) -> f32 {
        self.full_score(state, word, out).log10_prob
    }

    /// As [`LanguageModel::full_score`], told that `next` is the word that will
    /// be scored from `out` next: a model can start fetching the memory that
    /// query reads while this one is still waiting for its own. Scores are those
    /// of `full_score`; a wrong `next` costs time, never correctness. This is the
    /// stateful API for text known in advance (perplexity, rescoring); a decoder
    /// that does not know the next word uses `full_score` or the batched form.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// let (the, cat) = (lm.word_id(b"the"), lm.word_id(b"cat"));
    /// let s = lm.begin_sentence_state();
    /// let (mut a, mut b) = (s, s);
    /// assert_eq!(lm.full_score_ahead(&s, the, cat, &mut a), lm.full_score(&s, the, &mut b));
    /// assert_eq!(a, b);
    /// ```
    fn full_score_ahead(
        &self,
        state: &Self::State,
        word: WordId,
        next: WordId,
        out: &mut Self::State,
    ) -> FullScore {
        let _ = next;
        self.full_score(state, word, out)
    }

    /// Hints that `word` will be scored after `prev` a few queries from now: a
    /// model can fetch what such a query reads that depends on the words alone
    /// (not on the state). Does nothing by default.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// lm.prefetch_pair(lm.bos_id(), lm.word_id(b"the"));
    /// ```
    fn prefetch_pair(&self, prev: WordId, word: WordId) {
        let _ = (prev, word);
    }

    /// Hints that `(state, word)` will be queried soon: a model can start
    /// fetching everything that query reads, so that the query, made after
    /// some other work, finds it in cache. Does nothing by default.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// lm.prefetch_query(&lm.begin_sentence_state(), lm.word_id(b"the"));
    /// ```
    fn prefetch_query(&self, state: &Self::State, word: WordId) {
        let _ = (state, word);
    }

    /// [`LanguageModel::full_score`] of a pair whose
    /// [`LanguageModel::prefetch_query`] was made a while before (as the
    /// rescorer makes its queries): the same result and state, but a model
    /// may skip the prefetches its `full_score` starts. By default
    /// `full_score` itself.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// let (s, the) = (lm.begin_sentence_state(), lm.word_id(b"the"));
    /// lm.prefetch_query(&s, the);
    /// let (mut a, mut b) = (s.clone(), s.clone());
    /// assert_eq!(lm.full_score_prefetched(&s, the, &mut a), lm.full_score(&s, the, &mut b));
    /// assert_eq!(a, b);
    /// ```
    fn full_score_prefetched(
        &self,
        state: &Self::State,
        word: WordId,
        out: &mut Self::State,
    ) -> FullScore {
        self.full_score(state, word, out)
    }

    /// A number that identifies `state` among this model's states (two
    /// states get the same key exactly when they are equal), if the model's
    /// states have one; `None` by default. The rescorer numbers the states
    /// it meets through it, with one integer hash, instead of hashing and
    /// comparing whole states.
    ///
    /// ```
    /// use dashlm::{LanguageModel, Model, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(lm.state_key(&lm.begin_sentence_state()), None);
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
    /// let model = Model::from_bytes(bytes).unwrap();
    /// let (begin, null) = (model.begin_sentence_state(), model.null_context_state());
    /// assert_ne!(model.state_key(&begin), model.state_key(&null));
    /// assert_eq!(model.state_key(&begin), model.state_key(&begin.clone()));
    /// ```
    fn state_key(&self, state: &Self::State) -> Option<u64> {
        let _ = state;
        None
    }

    /// Scores `words` one after another from `state`, then `</s>` if `eos`,
    /// calling `each` with every result in order. Since the words are known in
    /// advance, it looks ahead: [`LanguageModel::prefetch_pair`] a few words
    /// ahead and [`LanguageModel::full_score_ahead`] with the following word.
    /// The results are those of calling `full_score` word by word.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// let words = [lm.word_id(b"the"), lm.word_id(b"cat")];
    /// let mut lengths = Vec::new();
    /// lm.score_each(lm.begin_sentence_state(), &words, true, |r| lengths.push(r.ngram_length));
    /// assert_eq!(lengths.len(), 3);
    /// ```
    fn score_each(
        &self,
        state: Self::State,
        words: &[WordId],
        eos: bool,
        mut each: impl FnMut(FullScore),
    ) where
        Self: Sized,
    {
        /// How many words ahead `prefetch_pair` is called (about one memory
        /// latency's worth of queries).
        const AHEAD: usize = 4;
        let n = words.len() + usize::from(eos);
        let eos = self.eos_id();
        let at = |k: usize| words.get(k).copied().unwrap_or(eos);
        for k in 1..n.min(AHEAD) {
            self.prefetch_pair(at(k - 1), at(k));
        }
        let mut state = state;
        let mut next = state;
        for k in 0..n {
            if k + AHEAD < n {
                self.prefetch_pair(at(k + AHEAD - 1), at(k + AHEAD));
            }
            each(if k + 1 < n {
                self.full_score_ahead(&state, at(k), at(k + 1), &mut next)
            } else {
                self.full_score(&state, at(k), &mut next)
            });
            state = next;
        }
    }

    /// Scores many independent `(state, word)` pairs; `out_states` and `out_scores`
    /// must be as long as `states` (extra elements are left untouched; missing
    /// ones are not written). Models override this to overlap memory accesses.
    ///
    /// ```
    /// # use dashlm::{FullScore, LanguageModel, Model};
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
    /// let model = Model::from_bytes(bytes).unwrap(); // data/tiny.arpa, compiled
    /// let states = [model.begin_sentence_state(), model.null_context_state()];
    /// let words = [model.word_id(b"the"), model.word_id(b"cat")];
    /// let (mut outs, mut scores) = (states, [FullScore::default(); 2]);
    /// model.full_score_batch(&states, &words, &mut outs, &mut scores);
    /// for i in 0..2 { // the same as one `full_score` per pair
    ///     let mut next = states[i];
    ///     assert_eq!((scores[i], outs[i]), (model.full_score(&states[i], words[i], &mut next), next));
    /// }
    /// ```
    fn full_score_batch(
        &self,
        states: &[Self::State],
        words: &[WordId],
        out_states: &mut [Self::State],
        out_scores: &mut [FullScore],
    ) {
        let pairs = states.iter().zip(words);
        for ((s, &w), (o, r)) in pairs.zip(out_states.iter_mut().zip(out_scores.iter_mut())) {
            *r = self.full_score(s, w, o);
        }
    }

    /// Scores every sentence of `corpus` (ids, without `<s>`/`</s>`) from `<s>`
    /// with `</s>` at the end, word by word ([`LanguageModel::score_each`]); returns the
    /// number of queries (words plus one `</s>` per sentence) and the log10 sum,
    /// every word's score added in f64 (as the benchmarks sum KenLM's). KenLM's
    /// `query`, and [`crate::query::run`] with it, sums each line in f32 and the
    /// lines in f64, so its corpus total can differ in the last digits (by
    /// about 1.5e-4 over 5,000 sentences of a generated 5-gram).
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// let the = lm.word_id(b"the");
    /// let (queries, log10) = lm.score_corpus(&[vec![the], vec![]]);
    /// assert_eq!(queries, 3);
    /// assert!(log10 < 0.0);
    /// ```
    fn score_corpus(&self, corpus: &[Vec<WordId>]) -> (u64, f64)
    where
        Self: Sized,
    {
        let mut sum = 0f64;
        let mut queries = 0u64;
        for sentence in corpus {
            self.score_each(self.begin_sentence_state(), sentence, true, |r| {
                sum += f64::from(r.log10_prob);
            });
            queries += sentence.len() as u64 + 1;
        }
        (queries, sum)
    }

    /// Total log10 probability of `words`, from `<s>` if `bos` (else the empty
    /// context), with `</s>` scored at the end if `eos`.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// # let (the, cat) = (lm.word_id(b"the"), lm.word_id(b"cat"));
    /// // `<s> the` -0.4, `<s> the cat` -0.2, then `</s>` backs off to its unigram:
    /// // backoff(`the cat`) -0.15 + backoff(`cat`) -0.3 + P(`</s>`) -1.0.
    /// let total = lm.score_sentence(&[the, cat], true, true);
    /// assert!((total - (-0.4 - 0.2 - 0.15 - 0.3 - 1.0)).abs() < 1e-5);
    /// // Without `<s>`: unigram `the` -1.2, bigram `the cat` -0.7.
    /// assert!((lm.score_sentence(&[the, cat], false, false) - (-1.9)).abs() < 1e-5);
    /// ```
    fn score_sentence(&self, words: &[WordId], bos: bool, eos: bool) -> f32
    where
        Self: Sized,
    {
        let state = if bos {
            self.begin_sentence_state()
        } else {
            self.null_context_state()
        };
        let mut total = 0.0;
        self.score_each(state, words, eos, |r| total += r.log10_prob);
        total
    }
}

/// [`LanguageModel::score_corpus`] without the lookahead: one
/// [`LanguageModel::full_score`] per word, the way a decoder that does not know
/// the next word queries. Same results; benchmarks time both.
///
/// ```
/// use dashlm::{lm::score_corpus_word_by_word, LanguageModel, ReferenceModel};
/// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
/// let corpus = [vec![lm.word_id(b"the"), lm.word_id(b"cat")]];
/// assert_eq!(score_corpus_word_by_word(&lm, &corpus), lm.score_corpus(&corpus));
/// ```
pub fn score_corpus_word_by_word<M: LanguageModel>(
    model: &M,
    corpus: &[Vec<WordId>],
) -> (u64, f64) {
    let (begin, eos) = (model.begin_sentence_state(), model.eos_id());
    let mut sum = 0f64;
    let mut queries = 0;
    for sentence in corpus {
        // Two states taking turns: the query writes the next state into the
        // other one, so no state is copied (a 60-byte copy was ~20 of the
        // ~330 instructions a query took). The words, then `</s>`: a chained
        // iterator cost about 8 instructions a query.
        let (mut a, mut b) = (begin, begin);
        let (mut state, mut next) = (&mut a, &mut b);
        for &w in sentence {
            sum += f64::from(model.score(state, w, next));
            std::mem::swap(&mut state, &mut next);
        }
        sum += f64::from(model.score(state, eos, next));
        queries += sentence.len() as u64 + 1;
    }
    (queries, sum)
}
