//! The reference model: a plainly written backoff model over hash maps, the
//! oracle that every faster structure is tested against.
//!
//! ```
//! use dashlm::{LanguageModel, ReferenceModel};
//! let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny.arpa").unwrap();
//! let (the, mat) = (lm.word_id(b"the"), lm.word_id(b"mat"));
//! let (mut state, mut next) = (lm.begin_sentence_state(), lm.null_context_state());
//! assert_eq!(lm.score(&state, the, &mut next), -0.4); // the bigram `<s> the`
//! state = next;
//! assert_eq!(state.words(), [the, lm.bos_id()]); // KenLM's state: the words, newest first
//! // No trigram `<s> the mat`: the bigram `the mat` plus the backoff of `<s> the`.
//! assert_eq!(lm.score(&state, mat, &mut next), -0.8 + -0.2);
//! ```

use std::io::BufRead;

use crate::arpa::{ArpaError, NGramSet};
use crate::lm::{FullScore, LanguageModel};
use crate::vocab::{Vocab, WordId, UNK};
use crate::MAX_ORDER;

/// A KenLM-style state: the context words that can still be extended, newest
/// first, with their backoff weights.
///
/// ```
/// use dashlm::reference::RefState;
/// let s = RefState::default();
/// assert_eq!(s.len(), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RefState {
    words: [WordId; MAX_ORDER - 1],
    backoffs: [u32; MAX_ORDER - 1],
    len: u8,
}

impl RefState {
    /// Number of context words held.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// let (begin, mut next) = (lm.begin_sentence_state(), lm.null_context_state());
    /// assert_eq!(lm.score(&begin, lm.word_id(b"the"), &mut next), -0.4);
    /// assert_eq!(next.len(), 2); // `<s> the` is the context of a trigram
    /// ```
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the state holds no context.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert!(lm.null_context_state().is_empty());
    /// assert!(!lm.begin_sentence_state().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The context words, newest first.
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// let (begin, mut next) = (lm.begin_sentence_state(), lm.null_context_state());
    /// assert_eq!(lm.score(&begin, lm.word_id(b"the"), &mut next), -0.4);
    /// assert_eq!(next.words(), [lm.word_id(b"the"), lm.bos_id()]);
    /// ```
    pub fn words(&self) -> &[WordId] {
        &self.words[..self.len as usize]
    }

    fn backoff(&self, i: usize) -> f32 {
        f32::from_bits(self.backoffs[i])
    }
}

/// The reference backoff model: an [`NGramSet`] queried exactly as KenLM's
/// `FullScore` does, word by word.
///
/// ```
/// use dashlm::{LanguageModel, ReferenceModel};
/// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny.arpa").unwrap();
/// let the = lm.word_id(b"the");
/// assert!(lm.score_sentence(&[the], true, true) < 0.0);
/// ```
#[derive(Clone, Debug)]
pub struct ReferenceModel {
    set: NGramSet,
}

impl ReferenceModel {
    /// Reads an ARPA model from `input` (text: see [`NGramSet::read`] for
    /// compressed files); `source` names it in errors.
    ///
    /// # Errors
    /// See [`NGramSet::read`].
    ///
    /// ```
    /// use dashlm::{LanguageModel, ReferenceModel};
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny.arpa").unwrap();
    /// assert_eq!(lm.order(), 3);
    /// let err = ReferenceModel::read(&b"junk\n"[..], "junk.arpa").unwrap_err();
    /// assert_eq!(err.source_name(), "junk.arpa");
    /// ```
    pub fn read<R: BufRead>(input: R, source: &str) -> Result<ReferenceModel, ArpaError> {
        NGramSet::read(input, source).map(ReferenceModel::new)
    }

    /// Wraps an already read n-gram set.
    ///
    /// ```
    /// use dashlm::{arpa::NGramSet, LanguageModel, ReferenceModel};
    /// let set = NGramSet::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// let lm = ReferenceModel::new(set);
    /// assert_eq!(lm.vocab_size(), 8);
    /// ```
    pub fn new(set: NGramSet) -> ReferenceModel {
        ReferenceModel { set }
    }

    /// The n-grams.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(lm.ngrams().count(2), 7);
    /// ```
    pub fn ngrams(&self) -> &NGramSet {
        &self.set
    }

    /// The vocabulary.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(lm.vocab().word(lm.vocab().id(b"mat")), b"mat");
    /// assert_eq!(lm.vocab().id(b"dog"), dashlm::vocab::UNK);
    /// ```
    pub fn vocab(&self) -> &Vocab {
        self.set.vocab()
    }
}

impl LanguageModel for ReferenceModel {
    type State = RefState;

    fn order(&self) -> usize {
        self.set.order()
    }

    fn word_id(&self, word: &[u8]) -> WordId {
        self.set.vocab().id(word)
    }

    fn vocab_size(&self) -> usize {
        self.set.vocab().len()
    }

    fn bos_id(&self) -> WordId {
        self.set.bos()
    }

    fn eos_id(&self) -> WordId {
        self.set.eos()
    }

    fn begin_sentence_state(&self) -> RefState {
        let mut s = RefState::default();
        if self.order() > 1 {
            let bos = self.set.bos();
            s.words[0] = bos;
            // KenLM's state keeps `<s>` whatever it is, with its backoff as
            // stored: `-0.0` when it is no state (a zero backoff otherwise
            // reads as +0).
            let backoff =
                (self.set.get(&[bos])).map_or(-0.0, |e| if e.extends { e.backoff } else { -0.0 });
            s.backoffs[0] = backoff.to_bits();
            s.len = 1;
        }
        s
    }

    fn null_context_state(&self) -> RefState {
        RefState::default()
    }

    fn full_score(&self, state: &RefState, word: WordId, out: &mut RefState) -> FullScore {
        let word = if (word as usize) < self.vocab_size() {
            word
        } else {
            UNK
        };
        let order = self.order();
        let uni = self.set.get(&[word]).expect("every id has a unigram");
        let mut prob = uni.prob;
        let mut matched = 1usize;
        let mut next = RefState::default();
        next.words[0] = word;
        next.backoffs[0] = uni.backoff.to_bits();
        next.len = u8::from(uni.extends && order > 1);
        // The n-gram being looked up, oldest word first: context words then `word`.
        let mut key = [0 as WordId; MAX_ORDER];
        for len in 2..=order.min(state.len() + 1) {
            for (i, &w) in state.words()[..len - 1].iter().rev().enumerate() {
                key[i] = w;
            }
            key[len - 1] = word;
            let Some(e) = self.set.get(&key[..len]) else {
                break;
            };
            prob = e.prob;
            matched = len;
            if len < order {
                next.backoffs[len - 1] = e.backoff.to_bits();
                next.words[len - 1] = state.words[len - 2];
                if e.extends {
                    next.len = len as u8;
                }
            }
        }
        for i in matched - 1..state.len() {
            prob += state.backoff(i);
        }
        // Forget the context that did not make it into the state, so that equal
        // contexts compare (and hash) equal, as KenLM's `State::operator==` does.
        for i in next.len()..MAX_ORDER - 1 {
            next.words[i] = 0;
            next.backoffs[i] = 0;
        }
        *out = next;
        FullScore {
            log10_prob: prob,
            ngram_length: matched as u8,
        }
    }
}
