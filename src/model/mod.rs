//! The compiled model: open (mmap or bytes), validate, and query.
//!
//! ```
//! use dashlm::{LanguageModel, Model};
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("tiny.dlm");
//! # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
//! # dashlm::build::write_model(&set, Default::default(), &path).unwrap();
//! let lm = Model::open(&path).unwrap(); // data/tiny.arpa, compiled
//! let (mut state, mut next) = (lm.begin_sentence_state(), lm.null_context_state());
//! let mut scores = Vec::new();
//! for word in ["the", "cat", "sat", "</s>"] {
//!     let r = lm.full_score(&state, lm.word_id(word.as_bytes()), &mut next);
//!     scores.push((r.log10_prob, r.ngram_length));
//!     state = next;
//! }
//! // <s> the, <s> the cat, the cat sat; </s> backs off from `cat sat` to the unigram.
//! assert_eq!(scores, [(-0.4, 2), (-0.2, 3), (-0.25, 3), (-1.45, 1)]);
//! ```
//!
//! A [`State`] holds the ids of every order of its context: the word id of the
//! newest word, then the slot of the bigram arc, of the trigram arc, and so on
//! (KenLM's state holds the words; dashlm holds where they already are). A query
//! `(state, word)` therefore knows the address of every probe before it starts:
//! it prefetches them all, so the memory accesses overlap, then reads the
//! unigram and probes the tables from order 2 upwards until a probe misses. The
//! slots found are the next state's ids, and the backoffs stored in them its
//! backoffs; the probability is that of the longest match plus the backoffs of
//! the longer contexts, KenLM's `FullScore`, added in the same order.
//!
//! That prefetch cannot start before the previous query has found its slots, so
//! a sentence scored word by word waits for about one memory access per word.
//! When the next word is known ([`LanguageModel::full_score_ahead`], which
//! [`LanguageModel::score_each`], `score_sentence` and `score_corpus` use), the
//! query prefetches the next query's probes as soon as it finds each context
//! slot, and `prefetch_pair` fetches the unigram and bigram of a word a few
//! positions ahead (their addresses depend on the words alone), so the
//! accesses of consecutive queries overlap. On the AMD EPYC the sessions ran on
//! in 2026-12 that made queries 1.3-1.5x as fast as word by word; on the Intel
//! Xeon after it, 0.9x as fast at first, and since each probe's prefetch also
//! takes the line where its scan ends, 1.06x on the shared 4-gram and 0.97x on
//! a generated 10M-n-gram model (`benches/RESULTS.md`).

mod decoder;
mod dump;
mod open;
mod query;
mod state;

use decoder::Decoder;
pub use open::ModelError;
pub use state::State;

use crate::format::table::{GroupedProbe, Layout, Probe};
use crate::format::{vocab::VocabView, Header};
use crate::lm::{FullScore, LanguageModel};
use crate::vocab::WordId;
use crate::MAX_ORDER;

/// Each order's table (its flattened [`Probe`]) and its fields' weights.
#[derive(Clone, Debug, Default)]
struct TableInfo {
    probe: Probe,
    prob: Decoder,
    backoff: Decoder,
}

/// Where the unigrams lie and how a record is packed: `entry_bits` a word,
/// the probability field (`prob_bits` wide) then the backoff field, each a
/// code into its book or raw f32 bits.
#[derive(Clone, Debug, Default)]
struct UnigramInfo {
    bytes: std::ops::Range<usize>,
    /// The last file bit where a word inside the file starts (the end of the
    /// [`Span`](crate::format::Span) records are read in).
    last_word_bit: u64,
    entry_bits: u64,
    prob_bits: u32,
    backoff_bits: u32,
    /// The fields' masks, made once: `mask` branches on a 64-bit width.
    prob_mask: u64,
    backoff_mask: u64,
    prob: Decoder,
    backoff: Decoder,
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
    /// What the vocabulary's view derives from its sizes.
    vocab_shape: crate::format::vocab::Shape,
    unigrams: UnigramInfo,
    /// Orders 2..=N in `tables[..num_tables]`.
    tables: Box<[TableInfo; MAX_ORDER - 1]>,
    num_tables: usize,
    /// Whether every hashed table is scanned (none stores run offsets).
    scanned: bool,
    /// Whether every weight is raw f32 bits (an f32 model whose fields have
    /// too many distinct values for an exact codebook to pay: the generated
    /// models, large real ones); then a query reads each unigram record as one
    /// word and decodes nothing (`R` of [`Model::query_in`]).
    raw: bool,
    /// Whether the unigram records are raw f32 bits, one 64-bit word each
    /// (every f32 and q16 file since the builder stopped coding them; `U` of
    /// [`Model::query_in`]).
    raw_unigrams: bool,
    /// Whether the highest order's table is grouped; then `top` finds its
    /// arcs (and its entry in `tables` only has its codebook).
    grouped_top: bool,
    top: GroupedProbe,
    /// Full layouts (for `dump`).
    layouts: Vec<(std::ops::Range<usize>, Layout)>,
}

/// The model's header and size (its bytes are not shown), so that structs
/// holding a model can derive `Debug`.
///
/// ```
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
/// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
/// let model = dashlm::Model::from_bytes(bytes).unwrap();
/// let shown = format!("{model:?}");
/// assert!(shown.starts_with("Model { header: Header { order: 3"), "{shown}");
/// ```
impl<D: AsRef<[u8]>> std::fmt::Debug for Model<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("header", &self.header)
            .field("bytes", &self.data.as_ref().len())
            .finish_non_exhaustive()
    }
}

impl<D: AsRef<[u8]>> Model<D> {
    /// The file header.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
    /// let model = dashlm::Model::from_bytes(bytes).unwrap();
    /// let header = model.header();
    /// assert_eq!((header.order, header.vocab_size), (3, 8));
    /// assert_eq!(header.counts[..3], [8, 7, 4]);
    /// ```
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The underlying bytes.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
    /// let copy = bytes.clone();
    /// let model = dashlm::Model::from_bytes(bytes).unwrap();
    /// assert_eq!(model.bytes(), &copy[..]);
    /// ```
    pub fn bytes(&self) -> &[u8] {
        self.data.as_ref()
    }

    /// The vocabulary of the file.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
    /// let model = dashlm::Model::from_bytes(bytes).unwrap();
    /// let cat = model.vocab().id(b"cat");
    /// assert_eq!(cat, 4);
    /// assert_eq!(model.vocab().word(cat), b"cat");
    /// ```
    pub fn vocab(&self) -> VocabView<'_> {
        let b = self.data.as_ref();
        VocabView::with_shape(
            &b[self.vocab[0].clone()],
            &b[self.vocab[1].clone()],
            &b[self.vocab[2].clone()],
            self.vocab_shape,
        )
    }

    /// The word with id `id` (empty if out of range).
    ///
    /// ```
    /// use dashlm::{LanguageModel, Model};
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
    /// let model = Model::from_bytes(bytes).unwrap();
    /// assert_eq!(model.word(model.word_id(b"mat")), b"mat");
    /// assert_eq!(model.word(1000), b""); // out of range
    /// ```
    pub fn word(&self, id: WordId) -> &[u8] {
        self.vocab().word(id)
    }

    /// The layout of the table of each order 2..=N, in order.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
    /// let model = dashlm::Model::from_bytes(bytes).unwrap();
    /// let layouts: Vec<_> = model.table_layouts().collect();
    /// assert_eq!(layouts.len(), model.header().order as usize - 1);
    /// assert!(layouts[0].raw().num_slots >= layouts[0].raw().num_homes);
    /// ```
    pub fn table_layouts(&self) -> impl Iterator<Item = &Layout> {
        self.layouts.iter().map(|(_, layout)| layout)
    }

    /// The widths of a unigram record's fields: probability and backoff, each
    /// 32 for raw f32 bits or the width of a code into its exact codebook.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
    /// let model = dashlm::Model::from_bytes(bytes).unwrap();
    /// // An f32 file: raw records (a q8 file of data/tiny.arpa codes its 7
    /// // distinct backoffs in 3 bits).
    /// assert_eq!(model.unigram_widths(), (32, 32));
    /// ```
    pub fn unigram_widths(&self) -> (u32, u32) {
        (self.unigrams.prob_bits, self.unigrams.backoff_bits)
    }

    /// Whether every weight is stored as raw f32 bits, no field as codes, so
    /// that queries take the all-raw path (a unigram record read as one word,
    /// nothing decoded): f32 files whose fields take too many distinct values
    /// for an exact codebook to pay, and those built with
    /// [`BuildOptions::raw_f32`](crate::build::BuildOptions::raw_f32).
    ///
    /// ```
    /// use dashlm::build::{compile, BuildOptions};
    /// let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// let model = |opts| {
    ///     let (f, _) = compile(&set, opts).unwrap();
    ///     let mut bytes = Vec::new();
    ///     f.write_to(&mut bytes).unwrap();
    ///     dashlm::Model::from_bytes(bytes).unwrap()
    /// };
    /// assert!(!model(BuildOptions::default()).all_raw()); // the bigrams' 3-bit backoff codes
    /// assert!(model(BuildOptions { raw_f32: true, ..BuildOptions::default() }).all_raw());
    /// ```
    pub fn all_raw(&self) -> bool {
        self.raw
    }
}

impl<D: AsRef<[u8]> + Send + Sync> LanguageModel for Model<D> {
    type State = State;

    fn order(&self) -> usize {
        self.header.order as usize
    }

    fn word_id(&self, word: &[u8]) -> WordId {
        self.vocab().id(word)
    }

    fn word_ids(&self, words: &[&[u8]], ids: &mut [WordId]) {
        self.vocab().get_batch(words, 0, ids);
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
        let mut s = State::ROOT;
        s.ids[0] = bos;
        // As stored: `-0.0` when `<s>` is no state, which KenLM adds too (a
        // word of probability zero after it scores `-0`).
        s.backoffs[0] = f32::from_bits(self.unigram(bos).1);
        s.len = 1;
        s
    }

    fn null_context_state(&self) -> State {
        State::ROOT
    }

    // Always inlined: a decoder calls it once per word, and the call itself
    // (registers saved and restored around a large body) was about 17 of
    // the ~320 instructions a query took (callgrind).
    #[inline(always)]
    fn full_score(&self, state: &State, word: WordId, out: &mut State) -> FullScore {
        self.query(state, word, None, true, out)
    }

    #[inline]
    fn full_score_ahead(
        &self,
        state: &State,
        word: WordId,
        next: WordId,
        out: &mut State,
    ) -> FullScore {
        self.query(state, word, Some(next), true, out)
    }

    /// Prefetches the unigram of `word` and the home of the bigram `prev word`.
    #[inline]
    fn prefetch_pair(&self, prev: WordId, word: WordId) {
        let bytes = self.data.as_ref();
        crate::format::prefetch(&bytes[self.unigrams.bytes.clone()], self.unigram_byte(word));
        if self.num_tables > 0 {
            if self.grouped_top {
                self.locate::<true>(0, prev, word);
            } else {
                self.locate::<false>(0, prev, word);
            }
        }
    }

    /// Without the prefetch of each table's home that `full_score` starts
    /// (`prefetch_query` started them): 1.1% fewer instructions in the
    /// rescorer (callgrind).
    #[inline(always)]
    fn full_score_prefetched(&self, state: &State, word: WordId, out: &mut State) -> FullScore {
        self.query(state, word, None, false, out)
    }

    /// Prefetches the unigram of `word` and every table home the query probes.
    #[inline]
    fn prefetch_query(&self, state: &State, word: WordId) {
        self.prefetch_all(state, word);
    }

    /// The state's order and id: what its `Eq` and `Hash` compare.
    #[inline]
    fn state_key(&self, state: &State) -> Option<u64> {
        Some(state.key())
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
        const AHEAD: usize = 4;
        for i in 0..n.min(AHEAD) {
            self.prefetch_all(&states[i], words[i]);
        }
        for i in 0..n {
            if i + AHEAD < n {
                self.prefetch_all(&states[i + AHEAD], words[i + AHEAD]);
            }
            out_scores[i] = self.full_score(&states[i], words[i], &mut out_states[i]);
        }
    }
}
