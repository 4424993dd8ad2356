//! Compiling ARPA text that needs KenLM's blanks in one reading, without an
//! [`NGramSet`](crate::arpa::NGramSet).
//!
//! [`compile_streaming`](super::compile_streaming) writes each order as soon as
//! the next has been read, which a model missing contexts or suffixes (pruned
//! by SRILM, say) does not allow: a missing suffix of an n-gram becomes a blank
//! of the order below, so no order's size is known until every higher order
//! has been read. [`compile_completing`] holds the whole model instead, but
//! compactly, and completes it while reading:
//!
//! - an n-gram of an order below the highest is a record `(id of its context,
//!   last word, prob, backoff, flags)` kept in its order's open-addressing
//!   table by `(context id, word)` (slots of the bytes its ids need, 14 for
//!   the generated 10M-n-gram model, load at most 0.9, in huge pages: about
//!   16 bytes per n-gram), its id being its place there (see
//!   `order_table`; word ids stand for unigrams); while the order above it
//!   is read, which needs none of them, its backoffs wait in a temporary
//!   file (4 bytes fewer a slot: see [`Completer::begin`]);
//! - the highest order, which has no backoffs, flags or blanks and which no
//!   order looks up, is `(id of its context, last word, prob)` (12 bytes),
//!   kept in a temporary file until it is placed (see `spill`);
//! - an n-gram's context is found by walking these ids from its first word,
//!   from the previous n-gram's path where they share a prefix (ARPA files
//!   group each order by context), and its suffix is the context's suffix
//!   (found the same way from its second word when the context changes)
//!   extended by the last word: about one table lookup per n-gram, whose slot
//!   is fetched while the n-gram before it is added. A missing context or
//!   suffix is added as a blank (with its own suffix, recursively), so every
//!   context and suffix is present as soon as its n-gram is;
//! - the blanks' probabilities follow KenLM's probing loader, as
//!   [`NGramSet`](crate::arpa::NGramSet) documents: when an n-gram is read, the
//!   blanks among its suffixes that no earlier n-gram filled get the backed-off
//!   sum going up from its longest filled suffix; once the file is read, blanks
//!   no n-gram filled (missing contexts) get `-|p(lower)| + backoff(context)`
//!   (the paths and the blanks: `blanks`).
//!
//! The vocabulary's sections are written when the bigrams start (they need
//! nothing else; when the streaming builder hands its model over, they are
//! made on another thread while its bigrams are added, see
//! [`Completer::resume`]). Once the file is read, the unigrams' follow; then
//! the orders are placed from 2 up (each one's keys need its context's
//! slot): each is keyed, sorted, placed and written to the output slot by
//! slot, then dropped, an order keyed beside the writing of the one below
//! (see `tables`). The file is byte for byte the one [`compile`](super::compile) makes from the
//! same input. Any error in the input makes [`compile_completing`] return
//! `None`, for [`NGramSet`](crate::arpa::NGramSet) to report it exactly
//! (named, as [`build_file`](super::build_file) names it, the
//! builder reports it itself when it can tell it is the same: see
//! `reading`).

mod blanks;

use std::io::{BufRead, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::order_table::OrderTable;
use super::paths::PathCache;
use super::prefetch_delay::Late;
use super::reading::{self, Need, Outcome, Sink, Stop};
use super::second_thread::{beside, for_each_listed_beside};
use super::spill::Spill;
use super::stream::{cap, close_file, VocabFacts};
use super::tables::{write_tables, Ngrams};
use super::{section_count, unigram_sections, word_sections, write_sections};
use super::{BuildError, BuildOptions, Sections, Streamed, Unigram};
use crate::format::SectionWriter;
use crate::vocab::{Vocab, WordId};

/// Compiles ARPA text from `input`, completing it as
/// [`NGramSet`](crate::arpa::NGramSet) does, into `out` (positioned at its
/// start), calling `progress(ngrams_read)` every 65,536 n-grams. Returns what
/// was written and the output: byte for byte what [`compile`](super::compile)
/// makes from the same input.
///
/// Returns `Ok(None)` when the input has any error (the input has no name
/// to give it), leaving partial bytes in `out`:
/// [`NGramSet`](crate::arpa::NGramSet) reports it precisely.
///
/// # Errors
/// [`BuildError::Write`] for an I/O error from `out` (or a temporary
/// file); at once, before the input is read further, a model too large for
/// the format (see [`compile`](super::compile)) or options no build can
/// follow.
///
/// ```
/// use std::io::Cursor;
/// use dashlm::{arpa::NGramSet, build};
/// // `a b` (the suffix of `<s> a b`) is missing: it becomes a blank.
/// let text = "\\data\\\nngram 1=4\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1\t<s>\t-0.5\n-1\t</s>\n-1\ta\t-0.1\n-1\tb\n\n\\2-grams:\n-0.2\t<s> a\t-0.1\n\n\\3-grams:\n-0.3\t<s> a b\n\n\\end\\\n";
/// let opts = build::BuildOptions::default();
/// let out = Cursor::new(Vec::new());
/// let (done, out) = build::compile_completing(text.as_bytes(), opts, out, |_| {}).unwrap().unwrap();
/// assert_eq!(done.summary.counts, [5, 2, 1]);
/// let set = NGramSet::read(text.as_bytes(), "pruned.arpa").unwrap();
/// let (file, _) = build::compile(&set, opts).unwrap();
/// let mut bytes = Vec::new();
/// file.write_to(&mut bytes).unwrap();
/// assert_eq!(out.into_inner(), bytes);
/// ```
pub fn compile_completing<R: BufRead + Send, W: Write + Seek>(
    input: R,
    opts: BuildOptions,
    out: W,
    progress: impl FnMut(u64),
) -> Result<Option<(Streamed, W)>, BuildError> {
    let built = complete(input, opts, out, None, None, progress)?;
    Ok(built.built())
}

/// [`compile_completing`], keeping the highest order in a temporary file in
/// `spill_dir` (else in the system's temporary directory). With `source`,
/// the input's name, an error in the input is reported
/// ([`BuildError::Arpa`]) when it is the one
/// [`NGramSet`](crate::arpa::NGramSet) reports (see `reading::build`).
pub(super) fn complete<R: BufRead + Send, W: Write + Seek>(
    input: R,
    opts: BuildOptions,
    out: W,
    spill_dir: Option<&Path>,
    source: Option<&str>,
    progress: impl FnMut(u64),
) -> Result<Outcome<(Streamed, W)>, BuildError> {
    let start = |counts: &[u64]| Completer::new(counts, opts, out, spill_dir);
    reading::build(input, opts, source, start, progress)
}

/// Flags of a record.
pub(super) const EXTENDS: u8 = 1;
pub(super) const LEFT: u8 = 2;
/// Not in the file.
const BLANK: u8 = 4;
/// Has its probability: in the file, or a blank filled by a file n-gram.
const DONE: u8 = 8;

/// An n-gram of order n >= 2: the id of its context (its word id for a
/// bigram, else its index in order n - 1), its last word and its weights.
#[derive(Clone, Copy)]
pub(super) struct Rec {
    pub ctx: u32,
    pub word: WordId,
    pub prob: f32,
    pub backoff: f32,
}

/// An n-gram of the highest order: no backoff, no flags, never a blank nor
/// looked up (12 bytes; its context id as in [`Rec`]).
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub(super) struct TopRec {
    pub ctx: u32,
    pub word: WordId,
    pub prob: f32,
}

/// A bigram or trigram handed over by the streaming builder: its context (a
/// word id, or a bigram's index), last word, weights, and flags so far.
pub(super) struct Resumed {
    pub ctx: u32,
    pub word: WordId,
    pub prob: f32,
    pub backoff: f32,
    pub node: bool,
    pub left: bool,
}

impl Resumed {
    /// The record, with context id `ctx`.
    fn rec(&self, ctx: u32) -> Rec {
        Rec {
            ctx,
            word: self.word,
            prob: self.prob,
            backoff: self.backoff,
        }
    }

    fn flags(&self) -> u8 {
        DONE | if self.node { EXTENDS } else { 0 } | if self.left { LEFT } else { 0 }
    }
}

/// What the streaming builder hands over (see [`Completer::resume`]): the
/// unigrams, the number of bigrams and the bigrams, the trigrams read.
pub(super) type Handed<B> = (Vec<Unigram>, (usize, B), Vec<Resumed>);

/// The n-grams of one order from 2 to N - 1 (see `order_table` for their
/// ids), and the blanks among them.
#[derive(Default)]
struct Order {
    header_count: u64,
    /// The records by id and by `(ctx, word)`, which later orders look up.
    table: OrderTable,
    /// Every blank with the id of its suffix (in the order below).
    blanks: Vec<(u32, u32)>,
}

impl Order {
    /// Adds `rec`: its id, `None` if it is already present or the order is
    /// full.
    fn add(&mut self, rec: Rec, flags: u8) -> Option<u32> {
        self.table.insert(rec, flags, self.expected())
    }

    /// How many records the order will probably hold: the header's count and
    /// room for blanks past it.
    fn expected(&self) -> usize {
        let expected = self.header_count.saturating_add(self.header_count / 16);
        usize::try_from(expected).unwrap_or(usize::MAX)
    }
}

/// The whole model being read and completed.
pub(super) struct Completer<W> {
    opts: BuildOptions,
    /// The output until the vocabulary's sections are written, then the file
    /// being written (see [`Completer::write_words`]) and the vocabulary's
    /// facts.
    out: Option<W>,
    sections: Option<(SectionWriter<W>, VocabFacts)>,
    /// The vocabulary, until its sections are written.
    vocab: Option<Arc<Vocab>>,
    unigrams: Vec<Unigram>,
    /// The order N of the model.
    order: usize,
    /// Orders 2..N-1.
    orders: Vec<Order>,
    /// Order N (N >= 2), in file order.
    top: Spill<TopRec>,
    /// The path of the last context looked up, the path of its suffix, and
    /// the id of its suffix.
    context: PathCache,
    suffix_path: PathCache,
    context_suffix: u32,
    /// The order of the n-grams being read: lower orders are frozen.
    reading_order: usize,
    /// The order whose table is to be sized at the next n-gram.
    to_size: Option<usize>,
    /// Where temporary files go (else the system's temporary directory).
    spill_dir: Option<PathBuf>,
}

impl<W: Write + Seek> Completer<W> {
    fn new(
        counts: &[u64],
        opts: BuildOptions,
        out: W,
        spill_dir: Option<&Path>,
    ) -> Result<Completer<W>, Stop> {
        let (order, top_count) = (counts.len(), counts[1..].last().copied().unwrap_or(0));
        // Orders 2..N-1: the counts between the unigrams' and the highest's.
        let lower = &counts[1..counts.len().max(2) - 1];
        let orders = lower.iter().map(|&c| Order {
            header_count: c,
            ..Order::default()
        });
        Ok(Completer {
            opts,
            out: Some(out),
            sections: None,
            vocab: None,
            unigrams: Unigram::initial(cap(counts[0])),
            order,
            orders: orders.collect(),
            top: Spill::new(top_count, spill_dir),
            context: PathCache::default(),
            suffix_path: PathCache::default(),
            context_suffix: 0,
            reading_order: 1,
            to_size: None,
            spill_dir: spill_dir.map(Path::to_path_buf),
        })
    }

    /// The builder continuing from the streaming builder's unigrams (flags
    /// set by the bigrams and trigrams read so far), its `n` bigrams (in any
    /// order, each with a distinct number, its place in the streaming
    /// builder: no copy of them is held beside the table they go to) and the
    /// trigrams read so far (in file order, their contexts as those numbers),
    /// with `out` at its start. The reading thread waits meanwhile, so two
    /// threads share the work: the bigrams are listed on one and added on
    /// this one (see `add_bigrams`), the vocabulary's sections made on a
    /// third (on the generated 10M-n-gram model 0.2 s in all against 0.45 s
    /// on this thread alone, and 0.1 s more making `bigrams` twice and a
    /// map from the streaming builder's slots to the bigrams' places).
    pub(super) fn resume(
        counts: &[u64],
        opts: BuildOptions,
        out: W,
        vocab: Arc<Vocab>,
        (unigrams, (n, bigrams), trigrams): Handed<impl Iterator<Item = (u32, Resumed)> + Send>,
        spill_dir: Option<&Path>,
    ) -> Result<Box<Completer<W>>, Stop> {
        let mut c = Completer::new(counts, opts, out, spill_dir)?;
        c.unigrams = unigrams;
        // Handed over for its trigrams: a model of order 3 or more.
        if c.order() < 3 {
            return Err(Stop::Fallback);
        }
        // The trigrams name their contexts by the bigrams' numbers: the
        // table is sized (as growing to the header's count would, within
        // eight times `n`) and frozen first, so that the ids it gives are
        // final (see `order_table`).
        let words = vocab.len() as u64;
        let bigram_order = &mut c.orders[0];
        bigram_order.table.fit(words, words);
        let size = n.max(bigram_order.expected().min(n.saturating_mul(8)));
        bigram_order.table.reserve(size).need()?;
        bigram_order.table.freeze();
        // The ids of the bigrams the trigrams name, by number.
        let mut named: Vec<u32> = trigrams.iter().map(|g| g.ctx).collect();
        named.sort_unstable();
        named.dedup();
        // The vocabulary's sections are made beside.
        let (sections, named_ids) = beside(
            || word_sections(vocab.words()),
            || add_bigrams(bigram_order, bigrams, &named),
        );
        let named_ids = named_ids?;
        c.start_file(sections.need()?, &vocab)?;
        c.begin(3)?;
        for g in &trigrams {
            let k = named.binary_search(&g.ctx).ok().need()?;
            let ctx = named_ids[k];
            if c.order() == 3 {
                // The streaming builder found its suffix; none is kept.
                let (word, prob) = (g.word, g.prob);
                c.top.push(TopRec { ctx, word, prob })?;
                continue;
            }
            c.orders[1].add(g.rec(ctx), g.flags()).need()?;
        }
        Ok(Box::new(c))
    }

    fn order(&self) -> usize {
        self.order
    }

    /// Starts reading order `n`: from here on ids of the orders below are
    /// held, so their tables are frozen. An n-gram of order n and its blanks
    /// read the backoffs of orders up to n - 2 (see
    /// [`Completer::fill_suffixes`]), so order n - 1 gives its backoffs to a
    /// temporary file (see `order_table`) until a higher order starts; order
    /// N - 1's come back only as its table is drained, after
    /// [`Completer::finish_blanks`], which reads those of orders up to N - 2.
    fn begin(&mut self, n: usize) -> Result<(), Stop> {
        self.reading_order = n;
        for o in &mut self.orders[..n - 2] {
            o.table.freeze();
        }
        if n >= 3 {
            let dir = self.spill_dir.as_deref();
            self.orders[n - 3].table.spill_backoffs(dir)?;
        }
        self.restore_backoffs(n)?;
        self.fit(n);
        Ok(())
    }

    /// Brings back the spilled backoffs of orders 2..=n-2, which the n-grams
    /// of order n and their blanks read (an order's section may be empty).
    fn restore_backoffs(&mut self, n: usize) -> Result<(), Stop> {
        for o in &mut self.orders[..n.saturating_sub(3)] {
            o.table.restore_backoffs()?;
        }
        Ok(())
    }

    /// Fits the table of order `n` (below the highest, empty) to its
    /// contexts' ids (those of order n - 1, frozen) and the words; it is
    /// sized at the next n-gram read (see [`Completer::size`]).
    fn fit(&mut self, n: usize) {
        if n >= self.order() {
            return;
        }
        let words = vocab_len(self);
        let ctx_ids = match n {
            2 => words,
            _ => self.orders[n - 3].table.id_space() as u64,
        };
        self.orders[n - 2].table.fit(ctx_ids, words);
        self.to_size = Some(n);
    }

    /// Sizes the table of order `n` for its expected count, within eight
    /// times the count of order n - 1: it is not grown from an eighth of
    /// that size, which held both tables at once. Not while the streaming
    /// builder hands over (`resume`), whose bigrams are still held then.
    fn size(&mut self, n: usize) -> Result<(), Stop> {
        let below = match n {
            2 => vocab_len(self),
            _ => self.orders[n - 3].table.len() as u64,
        };
        let bound = usize::try_from(below.saturating_mul(8)).unwrap_or(usize::MAX);
        let order = &mut self.orders[n - 2];
        order.table.reserve(order.expected().min(bound)).need()
    }

    /// Starts the file with the vocabulary's sections, unless done: they need
    /// nothing but the words, so they are written before the tables are
    /// built, and the vocabulary's encoding (about 12 MB for 500,000 words)
    /// is not held beside them when the file is finished.
    fn write_words(&mut self) -> Result<(), Stop> {
        if self.sections.is_some() {
            return Ok(());
        }
        let vocab = self.vocab.take().need()?;
        self.start_file(word_sections(vocab.words()), &vocab)
    }

    /// Starts the file with `words`, the sections of `vocab`.
    fn start_file(
        &mut self,
        words: Result<Sections, BuildError>,
        vocab: &Vocab,
    ) -> Result<(), Stop> {
        let words = words?;
        let out = self.out.take().need()?;
        let mut out = SectionWriter::new(out, section_count(self.order))?;
        write_sections(&mut out, words)?;
        self.sections = Some((out, VocabFacts::of(vocab)));
        Ok(())
    }
}

/// Adds the streaming builder's `bigrams` to `order` (sized and frozen):
/// the ids of those numbered `named` (sorted), in that order.
fn add_bigrams(
    order: &mut Order,
    bigrams: impl Iterator<Item = (u32, Resumed)> + Send,
    named: &[u32],
) -> Result<Vec<u32>, Stop> {
    let mut named_ids = vec![0u32; named.len()];
    let mut add = |order: &mut Order, (number, g): (u32, Resumed)| -> Result<(), Stop> {
        let id = order.add(g.rec(g.ctx), g.flags()).need()?;
        if let Ok(k) = named.binary_search(&number) {
            named_ids[k] = id;
        }
        Ok(())
    };
    // The bigrams are listed on another thread while they are added here,
    // where their slots (random) are fetched a few ahead.
    let mut late = Late::default();
    for_each_listed_beside(bigrams, |(number, g)| {
        order.table.prefetch(g.ctx, g.word);
        match late.push((number, g)) {
            Some(due) => add(order, due),
            None => Ok(()),
        }
    })?;
    for due in late.rest() {
        add(order, due)?;
    }
    Ok(named_ids)
}

/// The number of words, once the vocabulary is known (else 0).
fn vocab_len<W>(c: &Completer<W>) -> u64 {
    let written = c.sections.as_ref().map(|(_, facts)| facts.len);
    written.or(c.vocab.as_ref().map(|v| v.len())).unwrap_or(0) as u64
}

impl<W: Write + Seek> Sink for Completer<W> {
    type Done = (Streamed, W);

    fn unigram(&mut self, id: WordId, prob: f32, backoff: Option<f32>) {
        Unigram::add(&mut self.unigrams, id, prob, backoff);
    }

    fn set_vocab(&mut self, vocab: Arc<Vocab>) {
        self.vocab = Some(vocab);
    }

    fn ngram(&mut self, ids: &[WordId], prob: f32, backoff: f32) -> Result<(), Stop> {
        let n = ids.len();
        if n > self.reading_order {
            self.write_words()?;
            self.begin(n)?;
        }
        if let Some(n) = self.to_size.take() {
            self.size(n)?;
        }
        let (ctx, suffix) = match n {
            2 => (ids[0], ids[1]),
            _ => {
                // The context, then the suffix: the suffix of the context
                // extended by the last word.
                let mut cache = self.context;
                let mut changed = false;
                let walked: Result<u32, Stop> = cache.id(&ids[..n - 1], |k, ctx, _| {
                    changed = true;
                    self.find_or_blank(&ids[..=k], ctx)
                });
                self.context = cache;
                let ctx = walked?;
                // Unless the walk made a lookup, the context is the last one.
                if changed {
                    let mut cache = self.suffix_path;
                    let walked = self.walk(&mut cache, &ids[1..n - 1]);
                    self.suffix_path = cache;
                    self.context_suffix = walked?;
                }
                let suffix = self.find_or_blank(&ids[1..], self.context_suffix)?;
                (ctx, suffix)
            }
        };
        self.link(n, ctx, suffix);
        let word = ids[n - 1];
        if n == self.order() {
            // A duplicate is found when the order is placed.
            self.top.push(TopRec { ctx, word, prob })?;
        } else {
            let flags = DONE | if backoff != 0.0 { EXTENDS } else { 0 };
            let rec = Rec {
                ctx,
                word,
                prob,
                backoff,
            };
            // A duplicate: NGramSet reports it.
            self.orders[n - 2].add(rec, flags).need()?;
        }
        if n >= 3 && !self.done(n - 1, suffix) {
            self.fill_suffixes(ids)?;
        }
        Ok(())
    }

    fn prefetch(&self, ids: &[WordId]) {
        let n = ids.len();
        let word = ids[n - 1];
        let (k, id) = self.context.shared(&ids[..n - 1]);
        if k < n - 1 {
            // The context's first lookup.
            self.orders[k - 1].table.prefetch(id, ids[k]);
            return;
        }
        // The context is the last one: the suffix's lookup and the n-gram's own slot.
        if n > 2 {
            self.orders[n - 3].table.prefetch(self.context_suffix, word);
        }
        if n < self.order() {
            self.orders[n - 2].table.prefetch(id, word);
        }
    }

    /// The orders below the highest find a duplicate as it is added; the
    /// highest, kept as read, only when it is placed: unknown once one of
    /// its n-grams has been read.
    fn distinct(&mut self) -> bool {
        self.top.len() == 0
    }

    fn finish(mut self) -> Result<(Streamed, W), Stop> {
        self.write_words()?;
        // A missing `<s>` or `</s>` is found by `close_file`, once every
        // order was placed (a duplicate would be NGramSet's first error).
        let (mut out, facts) = self.sections.take().need()?;
        self.restore_backoffs(self.order())?;
        let blanks: Vec<u64> = self.orders.iter().map(|o| o.blanks.len() as u64).collect();
        self.finish_blanks();
        let mut counts = vec![facts.len as u64];
        counts.extend(self.orders.iter().map(|o| o.table.len() as u64));
        if self.order >= 2 {
            counts.push(self.top.len() as u64);
        }
        let opts = self.opts;
        let unigrams = std::mem::take(&mut self.unigrams);
        let unigrams = move || unigram_sections(unigrams.into_iter(), opts);
        let lower = self.orders.drain(..).map(|o| Ngrams::Lower(o.table));
        let top = (self.order >= 2).then_some(Ngrams::Top(self.top));
        let orders = lower.chain(top).collect();
        let layouts = write_tables(orders, unigrams, facts.len, self.opts, &mut out)?;
        close_file(out, &layouts, facts, &counts, &blanks, opts.weights)
    }
}
