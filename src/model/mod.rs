//! The compiled model: open (mmap or bytes), validate, and query.
//!
//! A query `(state, word)` looks up the arc `(state, word)` in the table of the
//! state's order + 1: a hit costs one probe of one table, usually one cache
//! line, and yields the probability and the next state. On a miss the state's
//! backoff is added and the query moves to the state's backoff state (carried
//! in the [`State`] when known, so no extra memory access is needed), down to
//! the unigram array, which always answers.

mod open;

use std::fmt;
use std::hash::{Hash, Hasher};

pub use open::ModelError;

use crate::format::table::{Layout, TableView, Target};
use crate::format::{vocab::VocabView, Header};
use crate::lm::{FullScore, LanguageModel};
use crate::vocab::WordId;

/// A query state of a compiled model: 16 bytes, `Copy`.
///
/// Two states are equal when they denote the same context, whatever backoff
/// information they cache.
///
/// ```
/// use dashlm::{LanguageModel, Model};
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
/// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
/// let model = Model::from_bytes(bytes).unwrap();
/// let s = model.begin_sentence_state();
/// assert_eq!(std::mem::size_of_val(&s), 16);
/// assert_ne!(s, model.null_context_state());
/// ```
#[derive(Clone, Copy)]
pub struct State {
    id: u32,
    suffix_id: u32,
    backoff: f32,
    order: u8,
    suffix_order: u8,
    /// Whether `backoff` and the suffix are known.
    loaded: bool,
}

impl State {
    const ROOT: State = State {
        id: 0,
        suffix_id: 0,
        backoff: 0.0,
        order: 0,
        suffix_order: 0,
        loaded: true,
    };

    fn lazy(t: Target) -> State {
        if t.order == 0 {
            return State::ROOT;
        }
        State {
            id: t.id,
            suffix_id: 0,
            backoff: 0.0,
            order: t.order,
            suffix_order: 0,
            loaded: false,
        }
    }

    /// Number of context words this state stands for (0 = empty context).
    pub fn order(&self) -> usize {
        self.order as usize
    }
}

impl PartialEq for State {
    fn eq(&self, other: &State) -> bool {
        self.order == other.order && self.id == other.id
    }
}

impl Eq for State {}

impl Hash for State {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (self.order, self.id).hash(h)
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "State(order {}, id {})", self.order, self.id)
    }
}

/// Where each order's table and codebooks are in the file.
#[derive(Clone, Debug)]
struct TableInfo {
    bytes: std::ops::Range<usize>,
    layout: Layout,
    prob_book: Option<std::ops::Range<usize>>,
    backoff_book: Option<std::ops::Range<usize>>,
}

/// A compiled dashlm model over any bytes: `Vec<u8>`, a memory map, a static slice.
///
/// `Model` is `Send + Sync`; queries take `&self` and never allocate, so one model
/// serves any number of threads.
///
/// ```
/// use dashlm::{LanguageModel, Model, ReferenceModel};
/// let arpa = &include_bytes!("../../data/tiny.arpa")[..];
/// let set = dashlm::arpa::NGramSet::read(arpa, "tiny.arpa").unwrap();
/// let (file, _) = dashlm::build::compile(&set, Default::default()).unwrap();
/// let mut bytes = Vec::new();
/// file.write_to(&mut bytes).unwrap();
/// let model = Model::from_bytes(bytes).unwrap();
/// let reference = ReferenceModel::new(set);
/// let words: Vec<_> = ["the", "cat", "sat"].iter().map(|w| model.word_id(w.as_bytes())).collect();
/// assert_eq!(model.score_sentence(&words, true, true), reference.score_sentence(&words, true, true));
/// ```
pub struct Model<D> {
    data: D,
    header: Header,
    vocab: [std::ops::Range<usize>; 3],
    unigrams: std::ops::Range<usize>,
    tables: Vec<TableInfo>,
}

impl<D: AsRef<[u8]>> Model<D> {
    /// The file header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The underlying bytes.
    pub fn bytes(&self) -> &[u8] {
        self.data.as_ref()
    }

    /// The vocabulary of the file.
    pub fn vocab(&self) -> VocabView<'_> {
        let b = self.data.as_ref();
        VocabView::new(
            &b[self.vocab[0].clone()],
            &b[self.vocab[1].clone()],
            &b[self.vocab[2].clone()],
            self.header.vocab_size,
        )
    }

    /// The word with id `id` (empty if out of range).
    pub fn word(&self, id: WordId) -> &[u8] {
        self.vocab().word(id)
    }

    #[inline(always)]
    fn unigram(&self, word: WordId) -> (f32, u32) {
        let b = &self.data.as_ref()[self.unigrams.clone()];
        let at = word as usize * 8;
        match b.get(at..at + 8) {
            Some(p) => (
                f32::from_le_bytes(p[..4].try_into().expect("4 bytes")),
                u32::from_le_bytes(p[4..].try_into().expect("4 bytes")),
            ),
            None => (0.0, (-0.0f32).to_bits()),
        }
    }

    #[inline(always)]
    fn table(&self, arc_order: usize) -> (TableView<'_>, &TableInfo) {
        let info = &self.tables[arc_order - 2];
        (
            TableView::new(&self.data.as_ref()[info.bytes.clone()], info.layout),
            info,
        )
    }

    #[inline(always)]
    fn decode(&self, book: &Option<std::ops::Range<usize>>, code: u32) -> f32 {
        match book {
            None => f32::from_bits(code),
            Some(r) => {
                let b = &self.data.as_ref()[r.clone()];
                let at = code as usize * 4;
                b.get(at..at + 4)
                    .map_or(0.0, |p| f32::from_le_bytes(p.try_into().expect("4 bytes")))
            }
        }
    }

    /// A stored target, made safe: it must name a state of an order below `limit`.
    #[inline(always)]
    fn checked(&self, t: Target, limit: usize) -> State {
        let ok = (t.order as usize) < limit
            && match t.order {
                0 => true,
                1 => t.id < self.header.vocab_size,
                k => u64::from(t.id) < self.tables[k as usize - 2].layout.raw().num_slots,
            };
        if ok {
            State::lazy(t)
        } else {
            State::ROOT
        }
    }

    /// Backoff and backoff state of `s` (read from the file if not cached).
    #[inline(always)]
    fn record(&self, s: &State) -> (f32, State) {
        if s.loaded {
            let t = Target {
                order: s.suffix_order,
                id: s.suffix_id,
            };
            return (s.backoff, self.checked(t, s.order as usize));
        }
        match s.order {
            0 => (0.0, State::ROOT),
            1 => (f32::from_bits(self.unigram(s.id).1) + 0.0, State::ROOT),
            k => {
                let (view, info) = self.table(k as usize);
                let slot = u64::from(s.id);
                if !view.node(slot) {
                    return (0.0, State::ROOT);
                }
                let bo = self.decode(&info.backoff_book, view.backoff(slot));
                (bo, self.checked(view.target(slot), k as usize))
            }
        }
    }

    /// Issues prefetches for the memory `(state, word)` will touch first.
    #[inline(always)]
    pub fn prefetch(&self, state: &State, word: WordId) {
        let o = state.order as usize;
        if o == 0 || o >= self.header.order as usize {
            let b = &self.data.as_ref()[self.unigrams.clone()];
            crate::format::prefetch(b, word as usize * 8);
        } else {
            let (view, _) = self.table(o + 1);
            view.prefetch(view.home(state.id, word));
        }
    }
}

impl<D: AsRef<[u8]> + Send + Sync> LanguageModel for Model<D> {
    type State = State;

    fn order(&self) -> usize {
        self.header.order as usize
    }

    fn word_id(&self, word: &[u8]) -> WordId {
        self.vocab().get(word).unwrap_or(0)
    }

    fn vocab_size(&self) -> usize {
        self.header.vocab_size as usize
    }

    fn bos_id(&self) -> WordId {
        self.header.bos
    }

    fn eos_id(&self) -> WordId {
        self.header.eos
    }

    fn begin_sentence_state(&self) -> State {
        if self.order() == 1 {
            return State::ROOT;
        }
        let bos = self.header.bos;
        let bo = f32::from_bits(self.unigram(bos).1) + 0.0;
        State {
            id: bos,
            suffix_id: 0,
            backoff: bo,
            order: 1,
            suffix_order: 0,
            loaded: true,
        }
    }

    fn null_context_state(&self) -> State {
        State::ROOT
    }

    #[inline]
    fn full_score(&self, state: &State, word: WordId, out: &mut State) -> FullScore {
        let word = if word < self.header.vocab_size {
            word
        } else {
            0
        };
        let order = self.order();
        // Backoffs met, longest context first; added to the probability shortest
        // first, the order KenLM adds them in, so sums are bit-identical.
        let mut backoffs = [0f32; crate::MAX_ORDER];
        let mut num_backoffs = 0;
        let total = |prob: f32, backoffs: &[f32]| backoffs.iter().rev().fold(prob, |p, b| p + b);
        let mut cur = if (state.order as usize) < order {
            *state
        } else {
            State::ROOT
        };
        loop {
            let o = cur.order as usize;
            if o == 0 {
                let (prob, bo_bits) = self.unigram(word);
                *out = if bo_bits != (-0.0f32).to_bits() && order > 1 {
                    State {
                        id: word,
                        suffix_id: 0,
                        backoff: f32::from_bits(bo_bits),
                        order: 1,
                        suffix_order: 0,
                        loaded: true,
                    }
                } else {
                    State::ROOT
                };
                return FullScore {
                    log10_prob: total(prob, &backoffs[..num_backoffs]),
                    ngram_length: 1,
                };
            }
            let (view, info) = self.table(o + 1);
            if let Some(slot) = view.find(cur.id, word) {
                let prob = self.decode(&info.prob_book, view.prob(slot));
                let target = view.target(slot);
                *out = if view.node(slot) {
                    let suffix = self.checked(target, o + 1);
                    State {
                        id: slot as u32,
                        suffix_id: suffix.id,
                        backoff: self.decode(&info.backoff_book, view.backoff(slot)),
                        order: o as u8 + 1,
                        suffix_order: suffix.order,
                        loaded: true,
                    }
                } else {
                    let next = self.checked(target, o + 1);
                    // The next query needs this state's record only on a miss; fetching
                    // it now overlaps that access with the caller's work.
                    if next.order >= 2 {
                        let (v, _) = self.table(next.order as usize);
                        v.prefetch(u64::from(next.id));
                    }
                    next
                };
                return FullScore {
                    log10_prob: total(prob, &backoffs[..num_backoffs]),
                    ngram_length: o as u8 + 1,
                };
            }
            let (bo, next) = self.record(&cur);
            backoffs[num_backoffs] = bo;
            num_backoffs += 1;
            cur = next;
        }
    }

    fn full_score_batch(
        &self,
        states: &[State],
        words: &[WordId],
        out_states: &mut [State],
        out_scores: &mut [FullScore],
    ) {
        let n = states
            .len()
            .min(words.len())
            .min(out_states.len())
            .min(out_scores.len());
        const AHEAD: usize = 8;
        for i in 0..n.min(AHEAD) {
            self.prefetch(&states[i], words[i]);
        }
        for i in 0..n {
            if i + AHEAD < n {
                self.prefetch(&states[i + AHEAD], words[i + AHEAD]);
            }
            out_scores[i] = self.full_score(&states[i], words[i], &mut out_states[i]);
        }
    }
}
