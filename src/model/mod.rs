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
//! accesses of consecutive queries overlap.

mod decoder;
mod dump;
mod open;

use std::fmt;
use std::hash::{Hash, Hasher};

use decoder::Decoder;
pub use open::ModelError;

use crate::format::table::{GroupedProbe, Layout, Probe, TableView};
use crate::format::{vocab::VocabView, Header, Span};
use crate::lm::{FullScore, LanguageModel};
use crate::vocab::WordId;
use crate::MAX_ORDER;

/// A query state of a compiled model: `Copy`, fixed size (60 bytes).
///
/// Two states are equal when they denote the same context.
///
/// ```
/// use dashlm::{LanguageModel, Model};
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
/// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
/// let model = Model::from_bytes(bytes).unwrap();
/// let s = model.begin_sentence_state();
/// assert_eq!(s.order(), 1);
/// assert_ne!(s, model.null_context_state());
/// ```
#[derive(Clone, Copy)]
pub struct State {
    /// `ids[i]`: the state id of the context's newest `i + 1` words.
    ids: [u32; MAX_ORDER - 1],
    /// `backoffs[i]`: the backoff of that context.
    backoffs: [f32; MAX_ORDER - 1],
    len: u8,
}

impl State {
    const ROOT: State = State {
        ids: [0; MAX_ORDER - 1],
        backoffs: [0.0; MAX_ORDER - 1],
        len: 0,
    };

    /// Number of context words this state keeps (0 = empty context).
    ///
    /// ```
    /// use dashlm::{LanguageModel, Model};
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    /// # let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
    /// let model = Model::from_bytes(bytes).unwrap();
    /// let (begin, mut next) = (model.begin_sentence_state(), model.null_context_state());
    /// assert_eq!(model.score(&begin, model.word_id(b"the"), &mut next), -0.4);
    /// assert_eq!(next.order(), 2); // `<s> the`
    /// assert_eq!(model.null_context_state().order(), 0);
    /// ```
    pub fn order(&self) -> usize {
        self.len as usize
    }

    #[inline]
    fn top(&self) -> u32 {
        match self.len {
            0 => 0,
            n => self.ids[(n as usize - 1).min(MAX_ORDER - 2)],
        }
    }

    /// The order and the id of the context: all that tells states apart.
    #[inline]
    fn key(&self) -> u64 {
        u64::from(self.len) << 32 | u64::from(self.top())
    }
}

impl PartialEq for State {
    #[inline]
    fn eq(&self, other: &State) -> bool {
        self.key() == other.key()
    }
}

impl Eq for State {}

impl Hash for State {
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        // One word: hashers fold each write separately.
        h.write_u64(self.key())
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "State(order {}, id {})", self.len, self.top())
    }
}

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
    /// [`Span`] records are read in).
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

    /// The unigram record of `word` (below the vocabulary size: callers clamp
    /// it): probability, backoff bits (`-0.0` = not a state) and whether a
    /// bigram ends with the word (the stored probability's sign bit is clear).
    #[inline(always)]
    fn unigram(&self, word: WordId) -> (f32, u32, bool) {
        self.unigram_in::<false>(word)
    }

    /// [`Model::unigram`] in a model whose unigram records are raw f32 bits
    /// (`R`, 64-bit records: the probability's bits, then the backoff's) or
    /// not.
    #[inline(always)]
    fn unigram_in<const R: bool>(&self, word: WordId) -> (f32, u32, bool) {
        let u = &self.unigrams;
        // Both reads lie in the file for a word below the vocabulary size
        // (checked at open), so the span never clamps them.
        let Some(span) = Span::new(self.data.as_ref(), u.last_word_bit) else {
            return (0.0, (-0.0f32).to_bits(), false);
        };
        let start = u.bytes.start as u64 * 8;
        if R {
            // Whole bytes: the word read is the record.
            let record = span.word(start + u64::from(word) * 64);
            let prob = f32::from_bits(record as u32);
            return (-prob.abs(), (record >> 32) as u32, prob.is_sign_positive());
        }
        let pos = start + u64::from(word) * u.entry_bits;
        let prob = (span.word(pos) & u.prob_mask) as u32;
        let backoff = (span.word(pos + u64::from(u.prob_bits)) & u.backoff_mask) as u32;
        let prob = self.weight::<false>(&u.prob, prob);
        let backoff = self.weight::<false>(&u.backoff, backoff);
        (-prob.abs(), backoff.to_bits(), prob.is_sign_positive())
    }

    /// The byte of the unigram record of `word` (for prefetching).
    #[inline(always)]
    fn unigram_byte(&self, word: WordId) -> usize {
        (u64::from(word) * self.unigrams.entry_bits / 8) as usize
    }

    /// The table of arcs of order `arc_order` (for `dump`).
    fn table(&self, arc_order: usize) -> (TableView<'_>, &TableInfo) {
        let (bytes, layout) = &self.layouts[arc_order - 2];
        (
            TableView::new(&self.data.as_ref()[bytes.clone()], layout),
            &self.tables[arc_order - 2],
        )
    }

    /// The weight with code `code` in `decoder`, which is raw if `R`.
    #[inline(always)]
    fn weight<const R: bool>(&self, decoder: &Decoder, code: u32) -> f32 {
        if R {
            return f32::from_bits(code);
        }
        decoder.decode(self.data.as_ref(), code)
    }

    /// The query of [`LanguageModel::full_score`], compiled for each kind of
    /// model (highest order grouped or hashed, other tables all scanned or
    /// not), so that lookups check nothing more: checking the grouped table
    /// inside each lookup made the f32 model's queries 0.95-0.97x as fast, and
    /// the scanned tables' lookups without the run-offset code beside them
    /// take fewer instructions (see [`Probe::find_payload_scanned`]).
    #[inline(always)]
    fn query(
        &self,
        state: &State,
        word: WordId,
        ahead: Option<WordId>,
        out: &mut State,
    ) -> FullScore {
        // The kind of f32 and q16 models tested first: a match over the four
        // kinds took 8 more instructions a query on the f32 model. Raw weights
        // (f32 models with many distinct values) saved 19 more on gen10M; raw
        // unigrams (every f32 and q16 file since `raw_unigrams` was added)
        // about 50 on the shared 4-gram, whose tables' backoffs are codes.
        if !self.grouped_top && self.scanned {
            if self.raw {
                return self.query_in::<false, true, true, true>(state, word, ahead, out);
            }
            if self.raw_unigrams {
                return self.query_in::<false, true, false, true>(state, word, ahead, out);
            }
            return self.query_in::<false, true, false, false>(state, word, ahead, out);
        }
        match (self.grouped_top, self.scanned) {
            (true, true) => self.query_in::<true, true, false, false>(state, word, ahead, out),
            (true, false) => self.query_in::<true, false, false, false>(state, word, ahead, out),
            (false, _) => self.query_in::<false, false, false, false>(state, word, ahead, out),
        }
    }

    /// [`Model::query`] with the highest order grouped (`G`) or hashed, every
    /// other table scanned (`S`) or not, every weight raw f32 bits (`R`) or
    /// not, the unigram records raw 64-bit words (`U`, true if `R`) or not;
    /// with `ahead`, each slot found that is a context of the next state
    /// in a hashed table also starts the fetch of that context's probe for the
    /// word `ahead` (the probe the next query makes); a context in the grouped
    /// table starts the fetch of what its lookup reads first, with or without
    /// `ahead`.
    #[inline(always)]
    fn query_in<const G: bool, const S: bool, const R: bool, const U: bool>(
        &self,
        state: &State,
        word: WordId,
        ahead: Option<WordId>,
        out: &mut State,
    ) -> FullScore {
        let word = if word < self.header.vocab_size {
            word
        } else {
            0
        };
        // At most `MAX_ORDER - 1` tables (checked at open); the clamp lets the
        // compiler drop the index checks below.
        let num_tables = self.num_tables.min(MAX_ORDER - 1);
        let mut probes = [(0, 0); MAX_ORDER - 1];
        let len = self.probes::<G>(state, word, &mut probes);
        let bytes = self.data.as_ref();
        let (mut prob, bo_bits, mut left) = self.unigram_in::<U>(word);
        out.ids[0] = word;
        out.backoffs[0] = f32::from_bits(bo_bits) + 0.0;
        out.len = u8::from(bo_bits != (-0.0f32).to_bits() && num_tables > 0);
        let mut matched = 1;
        for (j, (t, &(h, home))) in self.tables[..len].iter().zip(&probes).enumerate() {
            if !left {
                // No longer arc ends with the one matched: the match is final.
                break;
            }
            let found = if G && j + 1 == num_tables {
                let hit = self.top.find_word(bytes, h, home);
                hit.map(|hit| (hit.slot, self.top.payload_of(bytes, &hit)))
            } else if S {
                t.probe.find_payload_scanned(bytes, h, home)
            } else {
                t.probe.find_payload(bytes, h, home)
            };
            let Some((slot, p)) = found else {
                break;
            };
            prob = self.weight::<R>(&t.prob, p.prob);
            matched = j + 2;
            left = p.left;
            if j + 1 < num_tables {
                if G && j + 2 == num_tables {
                    // A grouped table's group is read by the next query: reading
                    // it here, to prefetch the arcs of `ahead`, waits for two
                    // reads at the end of this one (measured: 0.84x as fast).
                    self.top.prefetch_context(bytes, slot as u32);
                } else if let Some(next) = ahead {
                    self.locate::<G>(j + 1, slot as u32, next);
                }
                // A context of the next state (a longer one may be a state even
                // when this one is not: its backoff then counts as 0).
                out.ids[j + 1] = slot as u32;
                out.backoffs[j + 1] = if p.node {
                    self.weight::<R>(&t.backoff, p.backoff)
                } else {
                    0.0
                };
                if p.node {
                    out.len = j as u8 + 2;
                }
            }
        }
        // The backoffs of the contexts longer than the match (`len` is at most
        // `MAX_ORDER - 1`, so the indexing needs no check).
        for i in matched - 1..len {
            prob += state.backoffs[i];
        }
        FullScore {
            log10_prob: prob,
            ngram_length: matched as u8,
        }
    }

    /// Issues prefetches for every memory location `(state, word)` will probe.
    #[inline(always)]
    fn prefetch_all(&self, state: &State, word: WordId) {
        let b = &self.data.as_ref()[self.unigrams.bytes.clone()];
        crate::format::prefetch(b, self.unigram_byte(word));
        let mut probes = [(0, 0); MAX_ORDER - 1];
        if self.grouped_top {
            self.probes::<true>(state, word, &mut probes);
        } else {
            self.probes::<false>(state, word, &mut probes);
        }
    }

    /// The lookup of `(ctx, word)` in table `j` (order `j + 2`; grouped if it
    /// is the highest and `G`), its first line prefetched: the arguments of
    /// that table's `find_word`.
    #[inline(always)]
    fn locate<const G: bool>(&self, j: usize, ctx: u32, word: WordId) -> (u64, u64) {
        let bytes = self.data.as_ref();
        if G && j + 1 == self.num_tables {
            let (h, home) = self.top.locate(bytes, ctx, word);
            self.top.prefetch(bytes, home);
            return (h, home);
        }
        let probe = &self.tables[j].probe;
        let (h, home) = probe.locate(ctx, word);
        probe.prefetch(bytes, home);
        (h, home)
    }

    /// Fills `probes` with the hashed key and home slot of `(context, word)` for
    /// every order of the state's context, each home prefetched; returns how
    /// many orders there are.
    #[inline(always)]
    fn probes<const G: bool>(
        &self,
        state: &State,
        word: WordId,
        probes: &mut [(u64, u64); MAX_ORDER - 1],
    ) -> usize {
        // Contexts longer than the model allows cannot come from this model;
        // clamp rather than index out of range.
        let len = (state.len as usize).min(self.num_tables.min(MAX_ORDER - 1));
        for (j, (&ctx, p)) in state.ids[..len].iter().zip(probes.iter_mut()).enumerate() {
            *p = self.locate::<G>(j, ctx, word);
        }
        len
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
        s.backoffs[0] = f32::from_bits(self.unigram(bos).1) + 0.0;
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
        self.query(state, word, None, out)
    }

    #[inline]
    fn full_score_ahead(
        &self,
        state: &State,
        word: WordId,
        next: WordId,
        out: &mut State,
    ) -> FullScore {
        self.query(state, word, Some(next), out)
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
