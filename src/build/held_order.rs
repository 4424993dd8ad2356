//! One order of the streaming builder (`stream`) while it is read and held:
//! compact records (`records`: 8 to 16 bytes each, 11 for the shared
//! 4-gram's trigrams) appended in file order, then sorted by hashed key and
//! placed; the placed order's [`Column`] (keys and flags by slot, searched
//! as the table is) and weights by rank ([`Probs`], [`Backoffs`]); its table
//! written once the order above has set its flags.
//!
//! A placed order below the highest holds, besides its column, its
//! backoffs as 2-byte indices into their distinct values (when at most
//! 2^16, as in models `lmplz` writes), in what were its records' bytes, and
//! its probabilities, which the thread that builds their coder replaces by
//! their codes (1 byte an n-gram for q8, 2 for q16 or an exact f32
//! codebook) unless the order may still be handed to the completing builder
//! (the bigrams).

use std::io::{self, Seek, Write};
use std::panic;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};

use super::reading::{Need, Stop};
use super::records::{Backoffs, Records};
use super::{BuildError, BuildOptions, Coder, Geometry, Placed, TableBuild};
use crate::format::table::{Probe, Slot, TableWriter, Widths};
use crate::format::{RawLayout, SectionWriter};
use crate::vocab::WordId;

pub(super) const NODE: u8 = 1;
pub(super) const LEFT: u8 = 2;

/// A placed order's arcs by slot without their weights: the key field of
/// each table slot and the node and left flags, bit-packed as in the table
/// itself (a table whose weights are 0 bits wide, 3-4 bytes a slot), and
/// searched as the table is.
pub(super) struct Column {
    table: TableWriter,
    /// The table's probe, kept for [`Column::find`].
    probe: Probe,
}

impl Column {
    /// An empty column for `geometry` placed as `placed` (an error if its
    /// bytes cannot be allocated).
    pub(super) fn new(geometry: &Geometry, placed: Placed) -> Result<Column, BuildError> {
        let widths = Widths {
            ctx: geometry.ctx_bits,
            word: geometry.word_bits,
            prob: 0,
            nodes: true,
            backoff: 0,
        };
        // Scanned whatever the table's kind: the build looks arcs up one at a
        // time, and a scan's reads do not wait on each other's values as a
        // run's read waits on its home's offset.
        let raw = geometry.scanned_layout(widths, placed);
        let table =
            TableWriter::new(raw, geometry.vocab_size).map_err(|source| BuildError::Table {
                order: geometry.n,
                source,
            })?;
        let probe = Probe::new(table.layout(), 0..table.bytes().len());
        Ok(Column { table, probe })
    }

    /// Puts arc `(ctx, word)` in `slot`, a node if `node` (`None` if the
    /// table refuses it: a slot the placement did not give).
    fn put(&mut self, slot: u64, ctx: u32, word: WordId, node: bool) -> Option<()> {
        let arc = Slot {
            ctx,
            word,
            node,
            ..Slot::default()
        };
        self.table.put(slot, &arc).ok()
    }

    /// Marks the arc in `slot` as a node (`NODE`) or as the suffix of a longer
    /// arc (`LEFT`).
    pub(super) fn mark(&mut self, slot: u32, flag: u8) {
        let slot = u64::from(slot);
        // Slots come from `find`, which finds only slots inside the table.
        let _ = self
            .table
            .set_flags(slot, flag & NODE != 0, flag & LEFT != 0);
    }

    /// `(slot, arc)` of every arc, in slot (= key) order; the arcs' weights are 0.
    pub(super) fn occupied(&self) -> impl Iterator<Item = (u64, Slot)> + '_ {
        // A scanned table (see `new`): always viewable.
        self.table.view().into_iter().flat_map(|view| view.arcs())
    }

    /// The slot of arc `(ctx, word)`.
    pub(super) fn find(&self, ctx: u32, word: WordId) -> Option<u32> {
        let h = self.probe.hash(ctx, word);
        let slot = self.probe.find(self.table.bytes(), h, self.probe.home(h))?;
        Some(slot as u32)
    }

    /// Starts fetching the line [`Column::find`] of `(ctx, word)` reads first.
    pub(super) fn prefetch(&self, ctx: u32, word: WordId) {
        let home = self.probe.home(self.probe.hash(ctx, word));
        self.probe.prefetch(self.table.bytes(), home);
    }
}

/// A placed order's probabilities by rank.
pub(super) enum Probs {
    /// As read.
    Raw(Vec<f32>),
    /// Codes of the order's probability coder, when they take at most 8 bits.
    U8(Vec<u8>),
    /// Codes of at most 16 bits.
    U16(Vec<u16>),
}

impl Probs {
    /// `probs`, replaced by their codes of `coder` when `compact` and the codes
    /// take at most 16 bits.
    fn of(probs: Vec<f32>, coder: &Coder, compact: bool) -> Probs {
        let bits = coder.bits();
        if !compact || bits > 16 {
            return Probs::Raw(probs);
        }
        let codes = probs.iter().map(|&p| coder.encode(p));
        if bits <= 8 {
            Probs::U8(codes.map(|c| c as u8).collect())
        } else {
            Probs::U16(codes.map(|c| c as u16).collect())
        }
    }

    /// The code of the probability of rank `i` by `coder`, the coder these
    /// codes came from.
    fn code(&self, i: usize, coder: &Coder) -> u32 {
        match self {
            Probs::Raw(probs) => coder.encode(probs[i]),
            Probs::U8(codes) => u32::from(codes[i]),
            Probs::U16(codes) => u32::from(codes[i]),
        }
    }
}

/// The coder of a placed order's probabilities and the probabilities,
/// coded if asked (see [`Probs::of`]).
type ProbBook = (Coder, Probs);

/// The thread building an order's probability coder, joined when dropped
/// (an order dropped on an error or a hand-over before its table was
/// written), so that no builder thread outlives the build that started it.
struct CoderThread(Option<JoinHandle<ProbBook>>);

impl Drop for CoderThread {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            let _ = thread.join();
        }
    }
}

/// The n-grams of one order (n >= 2): records appended in file order while it
/// is read, then sorted by key and placed.
pub(super) struct Held {
    pub(super) geometry: Geometry,
    pub(super) recs: Records,
    /// Once placed (orders below the highest): keys and flags by slot,
    /// weights by rank.
    pub(super) column: Option<Column>,
    /// The probabilities by rank (orders below the highest, once placed and
    /// their coder built: empty while it is built).
    probs: Probs,
    pub(super) backoffs: Backoffs,
    pub(super) placed: Placed,
    /// The coder of the probabilities, built on another thread from when
    /// the order is placed until its table is written (with the
    /// probabilities, which it codes).
    prob_book: CoderThread,
    /// The coder of the probabilities once built.
    prob_coder: Option<Coder>,
    /// The coder of the node arcs' backoffs, when built before
    /// [`Held::write`] (see [`Held::build_backoff_book`]).
    backoff_book: Option<Coder>,
}

impl Held {
    /// No n-grams yet of an order with `geometry` and `header_count` n-grams
    /// in the header, the highest if `top` (no backoffs).
    pub(super) fn new(geometry: Geometry, header_count: u64, top: bool) -> Held {
        Held {
            geometry,
            recs: Records::new(geometry.key_bits(), !top, header_count),
            column: None,
            probs: Probs::Raw(Vec::new()),
            backoffs: Backoffs::Raw(Vec::new()),
            placed: Placed::default(),
            prob_book: CoderThread(None),
            prob_coder: None,
            backoff_book: None,
        }
    }

    /// Sorts and places the records; an order below the highest becomes a
    /// column (searchable, with the flags) and its weights. Starts the
    /// coder of the probabilities: it is built while the next order is
    /// read, or while the order below is written, and then codes the
    /// probabilities it was built from if `compact` (an order no longer to
    /// be handed over as read). [`Stop::Fallback`] on a duplicate n-gram,
    /// [`Stop::Refuse`] on a model too large.
    pub(super) fn place(
        &mut self,
        searchable: bool,
        compact: bool,
        opts: BuildOptions,
    ) -> Result<(), Stop> {
        self.recs.sort();
        if self.recs.has_duplicates() {
            return Err(Stop::Fallback);
        }
        self.placed = self.geometry.place(self.recs.keys(), |_, _| {})?;
        let probs = if searchable {
            let mut column = Column::new(&self.geometry, self.placed)?;
            let geometry = self.geometry;
            let recs = &self.recs;
            let mut put = Some(());
            geometry.place(recs.keys(), |i, s| {
                let (ctx, word) = geometry.unkey(recs.key(i));
                put = put.and(column.put(s, ctx, word, recs.backoff(i) != 0.0));
            })?;
            put.need()?;
            column.table.seal();
            self.column = Some(column);
            // The probabilities are handed to the coder's thread; the
            // backoffs stay in the records' bytes.
            let (probs, backoffs) = self.recs.take_weights();
            self.backoffs = backoffs;
            probs
        } else {
            // The records keep the probabilities, which the table is written from.
            self.recs.probs().collect()
        };
        let book = move |probs: Vec<f32>| -> ProbBook {
            if searchable {
                let coder = Coder::of(probs.clone(), opts);
                let probs = Probs::of(probs, &coder, compact);
                (coder, probs)
            } else {
                (Coder::of(probs, opts), Probs::Raw(Vec::new()))
            }
        };
        // The probabilities go to the thread once it has started; if none
        // can be, they are coded here.
        let (send, receive) = mpsc::sync_channel::<Vec<f32>>(1);
        let spawned =
            thread::Builder::new().spawn(move || book(receive.recv().unwrap_or_default()));
        match spawned {
            Ok(handle) => {
                // The thread holds the receiver until it has received.
                let _ = send.send(probs);
                self.prob_book = CoderThread(Some(handle));
            }
            Err(_) => {
                let (coder, probs) = book(probs);
                self.prob_coder = Some(coder);
                self.probs = probs;
            }
        }
        Ok(())
    }

    /// Waits for the coder of the probabilities (and the probabilities,
    /// coded or not) if it is being built.
    pub(super) fn settle(&mut self) {
        if let Some(book) = self.prob_book.0.take() {
            let (coder, probs) = book.join().unwrap_or_else(|e| panic::resume_unwind(e));
            self.prob_coder = Some(coder);
            self.probs = probs;
        }
    }

    /// The probabilities by rank as read (orders below the highest not
    /// placed with `compact`, once [`Held::settle`]d).
    pub(super) fn raw_probs(&self) -> Option<&[f32]> {
        match &self.probs {
            Probs::Raw(probs) => Some(probs),
            _ => None,
        }
    }

    /// The coder of the node arcs' backoffs (none unless `nodes`: the order
    /// is below the highest), built from how often each of their distinct
    /// values occurs when the backoffs are indexed.
    fn backoff_coder(&self, nodes: bool, opts: BuildOptions) -> Coder {
        let Some(column) = self.column.as_ref().filter(|_| nodes) else {
            return Coder::of(Vec::new(), opts);
        };
        let node_ranks = column
            .occupied()
            .enumerate()
            .filter(|(_, (_, arc))| arc.node)
            .map(|(rank, _)| rank);
        match &self.backoffs {
            Backoffs::Indexed { values, indices } => {
                let mut counts = vec![0u64; values.len()];
                for rank in node_ranks {
                    counts[Backoffs::index(indices, rank)] += 1;
                }
                Coder::of_counted(values, &counts, opts)
            }
            Backoffs::Raw(_) => {
                let backoffs = &self.backoffs;
                Coder::of(node_ranks.map(|rank| backoffs.get(rank)).collect(), opts)
            }
        }
    }

    /// Builds the coder of the node arcs' backoffs now (an order below the
    /// highest whose flags are final), before the highest order is placed.
    pub(super) fn build_backoff_book(&mut self, opts: BuildOptions) {
        if self.column.is_some() {
            self.backoff_book = Some(self.backoff_coder(true, opts));
        }
    }

    /// Writes the table (flags final) and its codebooks to `out` and drops the
    /// n-grams, returning the key column when `keep_column` (later orders still
    /// look paths up through it).
    pub(super) fn write<W: Write + Seek>(
        mut self,
        keep_column: bool,
        order: usize,
        vocab_size: usize,
        opts: BuildOptions,
        out: &mut SectionWriter<W>,
    ) -> io::Result<(RawLayout, Option<Column>)> {
        let nodes = self.geometry.n < order;
        self.settle();
        let prob = match self.prob_coder.take() {
            Some(coder) => coder,
            // Not placed: the records hold every probability.
            None => Coder::of(self.recs.probs().collect(), opts),
        };
        let backoff = match self.backoff_book.take() {
            Some(book) => book,
            None => self.backoff_coder(nodes, opts),
        };
        let table = TableBuild::new(&self.geometry, self.placed, order, [prob, backoff]);
        let Held {
            geometry,
            recs,
            column,
            probs,
            backoffs,
            placed,
            ..
        } = self;
        let raw = table.stream(out, vocab_size, |table, writer| {
            let [prob, backoff] = table.coders();
            match &column {
                Some(c) => {
                    // The code of each distinct backoff, when indexed, once
                    // a node has it (`NONE` before: only nodes' backoffs
                    // have codes).
                    const NONE: u32 = u32::MAX;
                    let mut codes = match &backoffs {
                        Backoffs::Indexed { values, .. } => vec![NONE; values.len()],
                        Backoffs::Raw(_) => Vec::new(),
                    };
                    for (rank, (slot, a)) in c.occupied().enumerate() {
                        let backoff = || match &backoffs {
                            Backoffs::Indexed { values, indices } => {
                                let i = Backoffs::index(indices, rank);
                                if codes[i] == NONE {
                                    codes[i] = backoff.encode(values[i]);
                                }
                                codes[i]
                            }
                            Backoffs::Raw(_) => backoff.encode(backoffs.get(rank)),
                        };
                        let p = probs.code(rank, prob);
                        let arc = table.coded_slot(a.ctx, a.word, p, a.node, a.left, backoff);
                        writer.put(slot, &arc)?;
                    }
                }
                None => {
                    // The highest order: no flags, no backoffs.
                    let mut written = Ok(());
                    let again = geometry.place(recs.keys(), |i, slot| {
                        if written.is_ok() {
                            let (ctx, word) = geometry.unkey(recs.key(i));
                            let arc = table.slot(ctx, word, recs.prob(i), false, false, 0.0);
                            written = writer.put(slot, &arc);
                        }
                    });
                    written?;
                    debug_assert_eq!(again.ok(), Some(placed));
                }
            }
            Ok(())
        })?;
        Ok((raw, column.filter(|_| keep_column)))
    }
}
