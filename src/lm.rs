//! The scoring interface shared by every model: [`LanguageModel`].

use crate::vocab::WordId;

/// The result of scoring one word: its log10 probability and the length of the
/// n-gram that matched (KenLM's `FullScoreReturn::ngram_length`).
///
/// ```
/// let s = dashlm::FullScore { log10_prob: -1.5, ngram_length: 2 };
/// assert_eq!(s.ngram_length, 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
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
    type State: Copy + Eq + std::hash::Hash + std::fmt::Debug + Send + Sync;

    /// The model order (longest n-gram).
    fn order(&self) -> usize;

    /// The id of `word`, or 0 (`<unk>`) when it is not in the vocabulary.
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
    fn vocab_size(&self) -> usize;

    /// The id of `<s>`.
    fn bos_id(&self) -> WordId;

    /// The id of `</s>`.
    fn eos_id(&self) -> WordId;

    /// The state after `<s>`: the start of a sentence.
    fn begin_sentence_state(&self) -> Self::State;

    /// The empty context.
    fn null_context_state(&self) -> Self::State;

    /// Scores `word` after `state`, writing the following state to `out`.
    /// Ids at or above `vocab_size()` are scored as `<unk>`.
    fn full_score(&self, state: &Self::State, word: WordId, out: &mut Self::State) -> FullScore;

    /// As [`LanguageModel::full_score`], returning only the log10 probability.
    fn score(&self, state: &Self::State, word: WordId, out: &mut Self::State) -> f32 {
        self.full_score(state, word, out).log10_prob
    }

    /// Scores many independent `(state, word)` pairs; `out_states` and `out_scores`
    /// must be as long as `states` (extra elements are left untouched; missing
    /// ones are not written). Models override this to overlap memory accesses.
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
    /// with `</s>` at the end, word by word with the stateful API; returns the
    /// number of queries (words plus one `</s>` per sentence) and the log10 sum,
    /// accumulated in f64 as KenLM's `query` does for perplexity.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// let the = lm.word_id(b"the");
    /// let (queries, log10) = lm.score_corpus(&[vec![the], vec![]]);
    /// assert_eq!(queries, 3);
    /// assert!(log10 < 0.0);
    /// ```
    fn score_corpus(&self, corpus: &[Vec<WordId>]) -> (u64, f64) {
        let eos = self.eos_id();
        let mut sum = 0f64;
        let mut queries = 0u64;
        for sentence in corpus {
            let mut state = self.begin_sentence_state();
            let mut next = state;
            for &w in sentence.iter().chain(std::iter::once(&eos)) {
                sum += f64::from(self.score(&state, w, &mut next));
                state = next;
            }
            queries += sentence.len() as u64 + 1;
        }
        (queries, sum)
    }

    /// Total log10 probability of `words`, from `<s>` if `bos` (else the empty
    /// context), with `</s>` scored at the end if `eos`.
    fn score_sentence(&self, words: &[WordId], bos: bool, eos: bool) -> f32 {
        let mut state = if bos {
            self.begin_sentence_state()
        } else {
            self.null_context_state()
        };
        let mut next = state;
        let mut total = 0.0;
        for &w in words.iter().chain(eos.then_some(&self.eos_id())) {
            total += self.score(&state, w, &mut next);
            state = next;
        }
        total
    }
}
