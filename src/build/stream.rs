//! Compiling ARPA text in one pass, order by order, without an [`NGramSet`](crate::arpa::NGramSet).
//!
//! [`compile`](super::compile) needs the whole completed [`NGramSet`](crate::arpa::NGramSet) in memory
//! (about 65 bytes per n-gram). Most real models (everything `lmplz` writes) need
//! no completion: every context and suffix of an n-gram is in the file. For those
//! the tables can be built while reading, because an arc's key names its context
//! by the context's slot in the order below:
//!
//! - the n-grams of order n are kept as compact records (`records`: the
//!   hashed key in the bytes it needs and the weights, the backoff as a
//!   2-byte index into the distinct backoffs: 8 to 16 bytes, 11 for the
//!   shared 4-gram's trigrams) while the order is read, then sorted by hashed
//!   key and placed: the keys and the node and left flags go to a *column*
//!   bit-packed like the table itself without weights (3-4 bytes a slot,
//!   searched as the table is), the weights to arrays by rank: the backoffs
//!   as 2-byte indices into their distinct values (4 bytes each if there are
//!   more than 2^16), the probabilities as read (4 bytes) until their coder
//!   is built, then as its codes (1 byte for q8, 2 for q16 or an exact f32
//!   codebook) unless the completing builder may still take them over (the
//!   bigrams, while the trigrams are read);
//! - while order n+1 is read, each n-gram's context and suffix are found
//!   through the columns (kept only while a later order still looks paths up
//!   through them), which sets order n's node and left flags and gives the new
//!   key;
//! - once order n+1 has been read, order n's flags are final: its table is
//!   written and its column and weights dropped, while order n+1 is placed
//!   on a thread of its own (the two share nothing, and the reading thread
//!   waits for the placed order meanwhile).
//!
//! The text is tokenized, its numbers parsed and its words mapped to ids on a
//! second thread (see `reading`), which hands batches of n-grams to the
//! thread that builds the tables. The coder of an order's probabilities is
//! built on a thread of its own from when the order is placed (while the
//! next order is read, or for the highest order while the order below it is
//! written), which then replaces the probabilities by their codes; the
//! coder of its node arcs' backoffs is built, once its flags are final,
//! from how often each distinct backoff occurs, without copying them.
//!
//! Each section goes to the output as soon as it is built (a table slot by slot,
//! in slot order, through [`TableStream`](crate::format::table::TableStream)); the header and section table are
//! written last ([`SectionWriter`]). So at most one order is held as records
//! and one as weights, and no table is held but the columns; the unigrams
//! are dropped once the trigrams have been read. On the shared 4-gram the
//! peak comes once the trigrams are placed, beside both orders' columns, the
//! trigrams' weights by rank and the vocabulary: q8's and q16's while their
//! probabilities' coder is built and applied (on its thread, a sorted copy of
//! the probabilities and the counts of their distinct values), f32's at the
//! end of the 4-grams' read (their records: 9 bytes each). The trigrams'
//! records while the bigrams are written come next.
//!
//! An n-gram whose context or suffix is missing needs KenLM's blanks. While
//! the trigrams are read (the bigrams placed, nothing but the vocabulary and
//! unigrams written), the builder hands the model to
//! [`compile_completing`](super::compile_completing)'s builder: the unigrams,
//! the bigrams by rank and the trigrams read so far, in file order; it starts
//! the output over and goes on with the same read. Later (a missing suffix
//! among the 4-grams, say, when the bigrams' table is written) and on every
//! kind of error [`compile_streaming`] returns `None`: the caller reads the
//! input again with [`compile_completing`](super::compile_completing), or
//! with [`NGramSet`](crate::arpa::NGramSet) and [`compile`](super::compile),
//! which report the error exactly. (Given the input's name, as
//! [`build_file`](super::build_file) gives it, the builder reports an
//! error in the input itself when it is the one
//! [`NGramSet`](crate::arpa::NGramSet) reports: see `reading`.) When it
//! returns a file, the file is byte for byte the one
//! [`compile`](super::compile) makes from the same input.

use std::io::{self, BufRead, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::complete::{Completer, Resumed};
use super::held_order::{Column, Held, LEFT, NODE};
use super::paths::PathCache;
use super::reading::{self, Need, Outcome, Sink, Stop};
use super::second_thread::beside;
use super::{
    layouts_bytes, section_count, vocab_sections, write_sections, BuildError, BuildOptions,
    BuildSummary, Geometry, Unigram,
};
use crate::format::{Header, RawLayout, SectionKind, SectionWriter, WeightFormat};
use crate::vocab::{Vocab, WordId};
use crate::MAX_ORDER;

/// What [`compile_streaming`] wrote.
///
/// ```
/// use std::io::Cursor;
/// use dashlm::build::{compile_streaming, BuildOptions};
/// let text = &include_bytes!("../../data/tiny.arpa")[..];
/// let out = Cursor::new(Vec::new());
/// let (streamed, out) = compile_streaming(text, BuildOptions::default(), out, |_| {}).unwrap().unwrap();
/// assert_eq!(streamed.summary.counts, [8, 7, 4]);
/// assert_eq!(streamed.summary.file_bytes, out.into_inner().len() as u64);
/// assert!(!streamed.unk_added); // tiny.arpa lists <unk>
/// ```
#[derive(Debug)]
pub struct Streamed {
    /// Counts and section sizes.
    pub summary: BuildSummary,
    /// Whether the file had no `<unk>` and one was added (see [`NGramSet::unk_added`](crate::arpa::NGramSet::unk_added)).
    pub unk_added: bool,
}

/// Compiles ARPA text from `input` in one streaming pass into `out` (positioned
/// at its start), writing each section as soon as it is built, and calling
/// `progress(ngrams_read)` every 65,536 n-grams. Returns what was written and
/// the output.
///
/// A model whose trigrams need KenLM's blanks is completed in the same read
/// (see the module documentation). Returns `Ok(None)` when a higher order first
/// needs them, or the input has any error (the input has no name to give
/// it; [`build_file`](super::build_file) reports most errors from this
/// pass), leaving partial bytes in `out`: read
/// it with [`compile_completing`](super::compile_completing), or
/// [`NGramSet`](crate::arpa::NGramSet) and [`compile`](super::compile), which
/// give the completed model or the precise error. Otherwise the file is
/// byte-identical to theirs.
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
/// let text = &include_bytes!("../../data/tiny.arpa")[..];
/// let opts = build::BuildOptions::default();
/// let out = Cursor::new(Vec::new());
/// let (_, out) = build::compile_streaming(text, opts, out, |_| {}).unwrap().expect("complete model");
/// let set = NGramSet::read(text, "tiny.arpa").unwrap();
/// let (file, _) = build::compile(&set, opts).unwrap();
/// let mut bytes = Vec::new();
/// file.write_to(&mut bytes).unwrap();
/// assert_eq!(out.into_inner(), bytes);
/// ```
pub fn compile_streaming<R: BufRead + Send, W: Write + Seek>(
    input: R,
    opts: BuildOptions,
    out: W,
    progress: impl FnMut(u64),
) -> Result<Option<(Streamed, W)>, BuildError> {
    let streamed = stream(input, opts, out, None, None, progress)?;
    Ok(streamed.built())
}

/// [`compile_streaming`], the completing builder (if handed the model) keeping
/// the highest order in a temporary file in `spill_dir` (else in the system's
/// temporary directory). With `source`, the input's name, an error in the
/// input is reported ([`BuildError::Arpa`]) when it is the one
/// [`NGramSet`](crate::arpa::NGramSet) reports (see `reading::build`).
pub(super) fn stream<R: BufRead + Send, W: Write + Seek>(
    input: R,
    opts: BuildOptions,
    out: W,
    spill_dir: Option<&Path>,
    source: Option<&str>,
    progress: impl FnMut(u64),
) -> Result<Outcome<(Streamed, W)>, BuildError> {
    let start = |counts: &[u64]| {
        let builder = Builder::new(counts, opts, out, spill_dir)?;
        Ok(Pass::Stream(Box::new(builder)))
    };
    reading::build(input, opts, source, start, progress)
}

/// The streaming builder, or the completing builder it handed the model over
/// to when its trigrams turned out to need blanks.
enum Pass<W> {
    Stream(Box<Builder<W>>),
    Complete(Box<Completer<W>>),
    /// Between the two.
    Gone,
}

impl<W: Write + Seek> Sink for Pass<W> {
    type Done = (Streamed, W);

    fn unigram(&mut self, id: WordId, prob: f32, backoff: Option<f32>) {
        if let Pass::Stream(b) = self {
            b.unigram(id, prob, backoff);
        }
    }

    fn set_vocab(&mut self, vocab: Arc<Vocab>) {
        if let Pass::Stream(b) = self {
            b.set_vocab(vocab);
        }
    }

    fn ngram(&mut self, ids: &[WordId], prob: f32, backoff: f32) -> Result<(), Stop> {
        match self {
            Pass::Stream(b) => match b.ngram(ids, prob, backoff) {
                Err(Stop::Blanks) => {
                    let Pass::Stream(b) = std::mem::replace(self, Pass::Gone) else {
                        return Err(Stop::Fallback);
                    };
                    let mut c = b.into_completer()?;
                    c.ngram(ids, prob, backoff)?;
                    *self = Pass::Complete(c);
                    Ok(())
                }
                done => done,
            },
            Pass::Complete(c) => c.ngram(ids, prob, backoff),
            Pass::Gone => Err(Stop::Fallback),
        }
    }

    fn prefetch(&self, ids: &[WordId]) {
        match self {
            Pass::Stream(b) => b.prefetch(ids),
            Pass::Complete(c) => c.prefetch(ids),
            Pass::Gone => {}
        }
    }

    fn distinct(&mut self) -> bool {
        match self {
            Pass::Stream(b) => b.distinct(),
            Pass::Complete(c) => c.distinct(),
            Pass::Gone => false,
        }
    }

    fn finish(self) -> Result<(Streamed, W), Stop> {
        match self {
            Pass::Stream(b) => b.finish(),
            Pass::Complete(c) => c.finish(),
            Pass::Gone => Err(Stop::Fallback),
        }
    }
}

/// Initial capacity for `count` untrusted items: at most 2^20.
pub(super) fn cap(count: u64) -> usize {
    usize::try_from(count.min(1 << 20)).unwrap_or(1 << 20)
}

struct Builder<W> {
    opts: BuildOptions,
    counts: Vec<u64>,
    /// The vocabulary, once the unigrams have been read, while its sections
    /// are to be written or the completing builder may still need it (until
    /// the trigrams have been read).
    vocab: Option<Arc<Vocab>>,
    /// What the rest of the build needs of the vocabulary.
    facts: Option<VocabFacts>,
    /// The unigrams, until the vocabulary is dropped.
    unigrams: Vec<Unigram>,
    /// The order being read (1 = unigrams).
    current: usize,
    out: SectionWriter<W>,
    layouts: Vec<RawLayout>,
    /// Key columns of finished orders, from 2 up, while later orders look
    /// paths up through them.
    finished: Vec<Column>,
    /// The order below the one being read, placed and searchable (orders 2..N-1).
    held: Option<Held>,
    /// The order being read, when below the highest.
    reading: Option<Held>,
    /// The order being read, when it is the highest.
    top: Option<Held>,
    context: PathCache,
    suffix: PathCache,
    /// Where the completing builder keeps the highest order, if handed over.
    spill_dir: Option<PathBuf>,
}

impl<W: Write + Seek> Builder<W> {
    fn new(
        counts: &[u64],
        opts: BuildOptions,
        out: W,
        spill_dir: Option<&Path>,
    ) -> io::Result<Builder<W>> {
        let unigrams = Unigram::initial(cap(counts[0]));
        let out = SectionWriter::new(out, section_count(counts.len()))?;
        Ok(Builder {
            opts,
            counts: counts.to_vec(),
            vocab: None,
            facts: None,
            unigrams,
            current: 1,
            out,
            layouts: Vec::new(),
            finished: Vec::new(),
            held: None,
            reading: None,
            top: None,
            context: PathCache::default(),
            suffix: PathCache::default(),
            spill_dir: spill_dir.map(Path::to_path_buf),
        })
    }

    fn order(&self) -> usize {
        self.counts.len()
    }

    fn facts(&self) -> Result<VocabFacts, Stop> {
        self.facts.need()
    }

    /// Drops the vocabulary and the unigrams, once their sections are
    /// written and no hand-over to the completing builder can come (3 MB of
    /// unigrams on the shared 4-gram).
    fn drop_lower(&mut self) {
        self.vocab = None;
        self.unigrams = Vec::new();
    }

    /// Closes every order below `n` and opens order `n` for reading.
    fn advance_to(&mut self, n: usize) -> Result<(), Stop> {
        while self.current < n {
            self.close()?;
        }
        Ok(())
    }

    /// Writes the vocabulary's and the unigrams' sections.
    fn write_vocab(&mut self) -> Result<(), Stop> {
        let vocab = self.vocab.as_deref().need()?;
        let unigrams = self.unigrams.iter().copied();
        let sections = vocab_sections(vocab.words(), unigrams, self.opts)?;
        write_sections(&mut self.out, sections)?;
        Ok(())
    }

    /// Writes the order below the one being read, if any.
    fn write_held(&mut self, vocab_size: usize) -> Result<(), Stop> {
        if let Some(held) = self.held.take() {
            // Paths through this order are looked up while reading order
            // current + 1, if there is one.
            let keep = self.current < self.order();
            if !keep {
                self.finished = Vec::new();
            }
            let (raw, finished) =
                held.write(keep, self.order(), vocab_size, self.opts, &mut self.out)?;
            self.finished.extend(finished);
            self.layouts.push(raw);
        }
        Ok(())
    }

    /// Ends the order being read: the one below it gets its table, and this one
    /// is placed (and held, unless it is the highest).
    fn close(&mut self) -> Result<(), Stop> {
        let facts = self.facts()?;
        let vocab_size = facts.len;
        if self.current >= 3 {
            // The trigrams have been read.
            self.drop_lower();
        }
        // The unigrams' flags are final once the bigrams have been read.
        let unigrams_final = self.current == self.order().min(2);
        // The order read is placed while the one below it (or the
        // vocabulary and the unigrams) is written.
        let opts = self.opts;
        let placing = self.reading.take().map(|mut reading| {
            move || {
                // The bigrams' probabilities stay as read while the completing
                // builder may take them over (see `into_completer`).
                let compact = reading.geometry.n > 2;
                reading.place(true, compact, opts).map(|()| reading)
            }
        });
        let (placed, written) = beside(
            || placing.map(|place| place()),
            || {
                if unigrams_final {
                    self.write_vocab()?;
                }
                self.write_held(vocab_size)
            },
        );
        written?;
        // No result from the side (its thread died) is a fallback, as
        // elsewhere, not an order with nothing to place.
        if let Some(reading) = placed.need()? {
            self.held = Some(reading?);
        }
        self.current += 1;
        let n = self.current;
        if n > self.order() {
            return Ok(());
        }
        let ctx_ids = match (&self.held, self.layouts.last()) {
            (Some(h), _) => h.placed.num_slots,
            (None, Some(l)) => l.num_slots,
            (None, None) => vocab_size as u64,
        };
        let count = usize::try_from(self.counts[n - 1]).ok().need()?;
        let geometry = Geometry::new(n, count, ctx_ids, vocab_size, n == self.order(), self.opts)?;
        let top = n == self.order();
        let held = Some(Held::new(geometry, self.counts[n - 1], top));
        if top {
            self.top = held;
        } else {
            self.reading = held;
        }
        self.context = PathCache::default();
        self.suffix = PathCache::default();
        Ok(())
    }

    /// Starts fetching what the first lookups of `ngram`'s context and suffix
    /// paths that their caches lack read first (the lookups after those wait
    /// on them).
    fn prefetch(&self, ngram: &[WordId]) {
        let n = ngram.len();
        if n < 3 {
            return;
        }
        for (cache, words) in [
            (&self.context, &ngram[..n - 1]),
            (&self.suffix, &ngram[1..]),
        ] {
            let (k, id) = cache.shared(words);
            let column = Self::column(&self.finished, self.held.as_ref(), k);
            if let (Some(column), Some(&word)) = (column, words.get(k)) {
                column.prefetch(id, word);
            }
        }
    }

    /// The column a path's `k`-th lookup searches (order `k + 1`): a
    /// finished order's, or else the held order's (the last of any path).
    fn column<'a>(finished: &'a [Column], held: Option<&'a Held>, k: usize) -> Option<&'a Column> {
        match finished.get(k - 1) {
            Some(column) => Some(column),
            None => held?.column.as_ref(),
        }
    }

    /// The id of `words` (length <= the held order): its word id for one word,
    /// else its slot in its order's column. `None` when it is not in the model.
    fn find(
        finished: &[Column],
        held: Option<&Held>,
        cache: &mut PathCache,
        words: &[WordId],
    ) -> Option<u32> {
        let step = |k: usize, ctx: u32, word: WordId| {
            let column = Self::column(finished, held, k);
            column.and_then(|c| c.find(ctx, word)).ok_or(())
        };
        cache.id(words, step).ok()
    }
}

impl<W: Write + Seek> Builder<W> {
    /// The completing builder holding what has been read, while the trigrams
    /// are read (the bigrams placed but not written): the output starts over.
    /// [`Stop::Blanks`] later, when lower orders have been written: the
    /// completing builder reads the input again.
    fn into_completer(self) -> Result<Box<Completer<W>>, Stop> {
        let (Some(mut held), Some(vocab), 3) = (self.held, self.vocab, self.current) else {
            return Err(Stop::Blanks);
        };
        held.settle();
        let probs = held.raw_probs().need()?;
        let column = held.column.as_ref().need()?;
        // The bigrams in slot (= rank) order, with their slots.
        let backoffs = &held.backoffs;
        let arcs = column.occupied().zip(probs).enumerate();
        let bigrams = arcs.map(|(rank, ((slot, arc), &prob))| {
            let bigram = Resumed {
                ctx: arc.ctx,
                word: arc.word,
                prob,
                backoff: backoffs.get(rank),
                node: arc.node,
                left: arc.left,
            };
            (slot as u32, bigram)
        });
        // The trigrams read so far, in file order, their contexts as bigram slots.
        let trigram = |geometry: &Geometry, key: u64, prob: f32, backoff: f32| {
            let (ctx, word) = geometry.unkey(key);
            let (node, left) = (backoff != 0.0, false);
            Resumed {
                ctx,
                word,
                prob,
                backoff,
                node,
                left,
            }
        };
        let read = self.reading.as_ref().or(self.top.as_ref()).need()?;
        let recs = &read.recs;
        let trigrams: Vec<Resumed> = (0..recs.len())
            .map(|i| trigram(&read.geometry, recs.key(i), recs.prob(i), recs.backoff(i)))
            .collect();
        let mut out = self.out.into_inner();
        out.seek(io::SeekFrom::Start(0))?;
        let lower = (self.unigrams, (probs.len(), bigrams), trigrams);
        let spill_dir = self.spill_dir.as_deref();
        Completer::resume(&self.counts, self.opts, out, vocab, lower, spill_dir)
    }
}

impl<W: Write + Seek> Sink for Builder<W> {
    type Done = (Streamed, W);

    fn unigram(&mut self, id: WordId, prob: f32, backoff: Option<f32>) {
        Unigram::add(&mut self.unigrams, id, prob, backoff);
    }

    fn set_vocab(&mut self, vocab: Arc<Vocab>) {
        self.facts = Some(VocabFacts::of(&vocab));
        self.vocab = Some(vocab);
    }

    fn ngram(&mut self, ids: &[WordId], prob: f32, backoff: f32) -> Result<(), Stop> {
        let n = ids.len();
        self.advance_to(n)?;
        // The context and the suffix: unigrams, or records of the held order.
        let ctx_id = if n == 2 {
            // Dropped once the trigrams have been read.
            self.unigrams.get_mut(ids[0] as usize).need()?.extends = true;
            self.unigrams.get_mut(ids[1] as usize).need()?.extends_left = true;
            ids[0]
        } else {
            let held = self.held.as_ref();
            let c = Self::find(&self.finished, held, &mut self.context, &ids[..n - 1]);
            let s = Self::find(&self.finished, held, &mut self.suffix, &ids[1..]);
            let (c, s) = c.zip(s).ok_or(Stop::Blanks)?;
            let column = self.held.as_mut().and_then(|h| h.column.as_mut()).need()?;
            column.mark(c, NODE);
            column.mark(s, LEFT);
            c
        };
        let word = ids[n - 1];
        let read = self.reading.as_mut().or(self.top.as_mut()).need()?;
        read.recs
            .push(read.geometry.key(ctx_id, word), prob, backoff);
        Ok(())
    }

    /// The orders below the one being read were placed, which found any
    /// duplicate; the one being read is sorted to find its own.
    fn distinct(&mut self) -> bool {
        let read = self.reading.as_mut().or(self.top.as_mut());
        read.is_none_or(|read| {
            read.recs.sort();
            !read.recs.has_duplicates()
        })
    }

    fn finish(mut self) -> Result<(Streamed, W), Stop> {
        while self.current < self.order() {
            self.close()?;
        }
        if self.current > 2 {
            // The input is read.
            self.drop_lower();
        }
        // No path is looked up any more.
        self.finished = Vec::new();
        // The highest order is placed (its codebook started) before the
        // order below it is written; that order's backoff codebook first.
        if let Some(held) = self.held.as_mut() {
            held.build_backoff_book(self.opts);
        }
        let opts = self.opts;
        let placing = self
            .top
            .take()
            .map(|mut top| move || top.place(false, false, opts).map(|()| top));
        let (placed, closed) = beside(|| placing.map(|place| place()), || self.close());
        closed?;
        if let Some(top) = placed.need()? {
            self.top = Some(top?);
        }
        let facts = self.facts()?;
        if let Some(top) = self.top.take() {
            let (raw, _) = top.write(false, self.order(), facts.len, self.opts, &mut self.out)?;
            self.layouts.push(raw);
        }
        close_file(
            self.out,
            &self.layouts,
            facts,
            &self.counts,
            &[],
            self.opts.weights,
        )
    }
}

/// What the end of a file needs of the vocabulary, so that the vocabulary
/// itself (its words and index: 12 MB for 250,000 words) can be dropped once
/// its sections are written.
#[derive(Clone, Copy, Debug)]
pub(super) struct VocabFacts {
    /// The number of words (ids `0..len`).
    pub len: usize,
    /// The id of `<s>`, when present.
    pub bos: Option<WordId>,
    /// The id of `</s>`, when present.
    pub eos: Option<WordId>,
    /// Whether the file had no `<unk>` and one was added.
    pub unk_added: bool,
}

impl VocabFacts {
    pub(super) fn of(vocab: &Vocab) -> VocabFacts {
        VocabFacts {
            len: vocab.len(),
            bos: vocab.get(b"<s>"),
            eos: vocab.get(b"</s>"),
            unk_added: !vocab.has_explicit_unk(),
        }
    }
}

/// Ends a file written section by section: the layouts section, then the
/// header, for a model of `vocab` with `counts` n-grams per order (the first,
/// the unigrams, is the vocabulary's size), `blanks[n - 2]` of them blanks of
/// order n (none past the slice's end). [`Stop::Missing`] for a vocabulary
/// without `<s>` or `</s>`: the whole input was read and placed by then, so
/// NGramSet would give that error too.
pub(super) fn close_file<W: Write + Seek>(
    mut out: SectionWriter<W>,
    layouts: &[RawLayout],
    vocab: VocabFacts,
    counts: &[u64],
    blanks: &[u64],
    weights: WeightFormat,
) -> Result<(Streamed, W), Stop> {
    out.begin(SectionKind::Layouts, 0)?;
    out.write_all(&layouts_bytes(layouts))?;
    let order = counts.len();
    let mut all = [0u64; MAX_ORDER];
    all[0] = vocab.len as u64;
    all[1..order].copy_from_slice(&counts[1..]);
    let header = Header {
        order: order as u8,
        weights,
        vocab_size: vocab.len as u32,
        bos: vocab.bos.ok_or(Stop::Missing("<s>"))?,
        eos: vocab.eos.ok_or(Stop::Missing("</s>"))?,
        counts: all,
    };
    let mut added = vec![u64::from(vocab.unk_added)];
    added.extend((1..order).map(|n| blanks.get(n - 1).copied().unwrap_or(0)));
    let summary = BuildSummary::new(all[..order].to_vec(), added, out.sizes());
    let unk_added = vocab.unk_added;
    let (out, _) = out.finish(&header)?;
    Ok((Streamed { summary, unk_added }, out))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::arpa::NGramSet;
    use crate::format::{FileWriter, WeightFormat};

    fn bytes(file: &FileWriter) -> Vec<u8> {
        let mut out = Vec::new();
        file.write_to(&mut out).unwrap();
        out
    }

    fn streamed(text: &[u8], opts: BuildOptions) -> Option<(Streamed, Vec<u8>)> {
        let out = Cursor::new(Vec::new());
        let done = compile_streaming(text, opts, out, |_| {}).unwrap();
        done.map(|(s, out)| (s, out.into_inner()))
    }

    /// Every fixture that streams gives compile's bytes, one whose trigrams need
    /// blanks too; one whose 4-grams first need them does not stream.
    #[test]
    fn streams_exactly_what_compile_builds() {
        let tiny = &include_bytes!("../../data/tiny.arpa")[..];
        let pruned = "\\data\\\nngram 1=4\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1\t<s>\t-0.5\n-1\t</s>\n-1\ta\t-0.1\n-1\tb\n\n\\2-grams:\n-0.2\t<s> a\t-0.1\n\n\\3-grams:\n-0.3\t<s> a b\n\n\\end\\\n";
        let pruned4 = "\\data\\\nngram 1=4\nngram 2=2\nngram 3=1\nngram 4=1\n\n\\1-grams:\n-1\t<s>\t-0.5\n-1\t</s>\n-1\ta\t-0.1\n-1\tb\t-0.1\n\n\\2-grams:\n-0.2\t<s> a\t-0.1\n-0.2\ta b\t-0.1\n\n\\3-grams:\n-0.3\t<s> a b\t-0.2\n\n\\4-grams:\n-0.3\t<s> a b b\n\n\\end\\\n";
        let unigrams = "\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n-1\ta\n\n\\end\\\n";
        for w in [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8] {
            let opts = BuildOptions::new(w);
            for (text, name) in [(tiny, "tiny.arpa"), (unigrams.as_bytes(), "unigrams")] {
                let (s, out) = streamed(text, opts).expect("complete model");
                let set = NGramSet::read(text, name).unwrap();
                let (file, summary) = super::super::compile(&set, opts).unwrap();
                assert_eq!(out, bytes(&file), "{name} {w:?}");
                assert_eq!(s.summary.to_string(), summary.to_string());
                assert_eq!(s.summary.file_bytes, out.len() as u64);
            }
            // `a b` (the suffix of `<s> a b`) is missing: the completing
            // builder takes over while the trigrams are read.
            let (_, out) = streamed(pruned.as_bytes(), opts).expect("handed over");
            let set = NGramSet::read(pruned.as_bytes(), "p").unwrap();
            assert_eq!(out, bytes(&super::super::compile(&set, opts).unwrap().0));
            // A missing suffix among the 4-grams: the bigrams are written by
            // then, so the model is handed back.
            assert!(streamed(pruned4.as_bytes(), opts).is_none());
            assert!(NGramSet::read(pruned4.as_bytes(), "p4").is_ok());
        }
        // Errors are left to NGramSet to report (no name to give them).
        assert!(streamed(&b"\\data\\\n"[..], BuildOptions::default()).is_none());
    }

    /// Bigrams with more distinct backoffs than 2-byte indices reach (held
    /// as read) stream what compile builds too.
    #[test]
    fn many_distinct_backoffs_stream_exactly() {
        let words = 300;
        let mut text = format!(
            "\\data\\\nngram 1={}\nngram 2={}\nngram 3=1\n\n\\1-grams:\n",
            words + 2,
            words * words
        );
        text.push_str("-1\t<s>\t-0.5\n-1\t</s>\n");
        for i in 0..words {
            text.push_str(&format!("-2\tw{i}\t-0.25\n"));
        }
        text.push_str("\n\\2-grams:\n");
        for i in 0..words {
            for j in 0..words {
                let k = i * words + j;
                text.push_str(&format!("-{}.{k:06}\tw{i} w{j}\t-0.{k:06}\n", k % 3));
            }
        }
        text.push_str("\n\\3-grams:\n-0.5\tw0 w1 w2\n\n\\end\\\n");
        let set = NGramSet::read(text.as_bytes(), "many").unwrap();
        for w in [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8] {
            let opts = BuildOptions::new(w);
            let (_, out) = streamed(text.as_bytes(), opts).expect("complete model");
            let (file, _) = super::super::compile(&set, opts).unwrap();
            assert!(out == bytes(&file), "{w:?}");
        }
    }

    /// An output that fails is an error, not a fallback.
    #[test]
    fn output_errors_are_reported() {
        #[derive(Debug)]
        struct Full(Cursor<Vec<u8>>);
        impl Write for Full {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                if self.0.get_ref().len() + buf.len() > 400 {
                    return Err(io::Error::new(io::ErrorKind::StorageFull, "full"));
                }
                self.0.write(buf)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        impl Seek for Full {
            fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
                self.0.seek(to)
            }
        }
        let tiny = &include_bytes!("../../data/tiny.arpa")[..];
        let out = Full(Cursor::new(Vec::new()));
        let err = compile_streaming(tiny, BuildOptions::default(), out, |_| {}).unwrap_err();
        assert!(
            matches!(&err, BuildError::Write(e) if e.kind() == io::ErrorKind::StorageFull),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "writing the model: full");
    }
}
