//! One order of the streaming builder (`stream`) while it is read and held:
//! compact records ([`Mid`], [`Top`]) appended in file order, then sorted by
//! hashed key and placed; the placed order's [`Column`] (keys and flags by
//! slot, searched as the table is) and weights by rank; its table written
//! once the order above has set its flags.

use std::io::{self, Seek, Write};
use std::panic;
use std::thread::{self, JoinHandle};

use super::stream::cap;
use super::{BuildOptions, Coder, Geometry, Placed, TableBuild};
use crate::format::table::{Probe, Slot, TableWriter, Widths};
use crate::format::{RawLayout, SectionWriter, Weights};
use crate::vocab::WordId;

pub(super) const NODE: u8 = 1;
pub(super) const LEFT: u8 = 2;

/// A compact n-gram of an order being read or held: hashed key and weights.
pub(super) trait Record: Copy {
    fn new(key: u64, prob: f32, backoff: f32) -> Self;
    fn key(&self) -> u64;
    fn prob(&self) -> f32;
    fn backoff(&self) -> f32;
}

/// A record of an order below the highest (16 bytes).
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
pub(super) struct Mid {
    key: u64,
    prob: f32,
    backoff: f32,
}

/// A record of the highest order, which has no backoff (12 bytes).
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
pub(super) struct Top {
    key: u64,
    prob: f32,
}

impl Record for Mid {
    fn new(key: u64, prob: f32, backoff: f32) -> Self {
        Mid { key, prob, backoff }
    }
    fn key(&self) -> u64 {
        self.key
    }
    fn prob(&self) -> f32 {
        self.prob
    }
    fn backoff(&self) -> f32 {
        self.backoff
    }
}

impl Record for Top {
    fn new(key: u64, prob: f32, _backoff: f32) -> Self {
        Top { key, prob }
    }
    fn key(&self) -> u64 {
        self.key
    }
    fn prob(&self) -> f32 {
        self.prob
    }
    fn backoff(&self) -> f32 {
        0.0
    }
}

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
    /// An empty column for `geometry` placed as `placed` (`None` if its
    /// bytes cannot be allocated).
    pub(super) fn new(geometry: &Geometry, placed: Placed) -> Option<Column> {
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
        let raw = geometry.layout(widths, placed).with_runs(false);
        let table = TableWriter::new(raw, geometry.vocab_size).ok()?;
        let probe = Probe::new(table.layout(), 0..table.bytes().len());
        Some(Column { table, probe })
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

    pub(super) fn num_slots(&self) -> u64 {
        self.table.layout().raw().num_slots
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
}

/// The n-grams of one order (n >= 2): records appended in file order while it
/// is read, then sorted by key and placed.
pub(super) struct Held<R> {
    pub(super) geometry: Geometry,
    header_count: u64,
    pub(super) recs: Vec<R>,
    /// Once placed (orders below the highest): keys and flags by slot,
    /// weights by rank.
    pub(super) column: Option<Column>,
    pub(super) weights: Vec<[f32; 2]>,
    pub(super) placed: Placed,
    /// The coder of the probabilities, built on another thread from when
    /// the order is placed until its table is written.
    prob_book: Option<JoinHandle<Coder>>,
    /// The coder of the node arcs' backoffs, when built before
    /// [`Held::write`] (see [`Held::build_backoff_book`]).
    backoff_book: Option<Coder>,
}

impl<R: Record> Held<R> {
    pub(super) fn new(geometry: Geometry, header_count: u64) -> Held<R> {
        Held {
            geometry,
            header_count,
            recs: Vec::with_capacity(cap(header_count)),
            column: None,
            weights: Vec::new(),
            placed: Placed::default(),
            prob_book: None,
            backoff_book: None,
        }
    }

    pub(super) fn push(&mut self, key: u64, prob: f32, backoff: f32) {
        if self.recs.len() == self.recs.capacity() {
            // Grow toward the header's count (checked by the reader), at most
            // doubling: untrusted counts never reserve more than twice what is read.
            let want = (self.header_count as usize).saturating_sub(self.recs.len());
            self.recs
                .reserve_exact(want.clamp(1, self.recs.len().max(1024)));
        }
        self.recs.push(R::new(key, prob, backoff));
    }

    /// Sorts and places the records; an order below the highest becomes a
    /// column (searchable, with the flags) and its weights. Starts the codebook of
    /// the probabilities for quantized `weights`: it is built while the next
    /// order is read, or while the order below is written. `None` on a
    /// duplicate n-gram or a model too large.
    pub(super) fn place(&mut self, searchable: bool, weights: Weights) -> Option<()> {
        self.recs.sort_unstable_by_key(Record::key);
        if self.recs.windows(2).any(|w| w[0].key() == w[1].key()) {
            return None;
        }
        self.placed = self
            .geometry
            .place(self.recs.iter().map(Record::key), |_, _| {})
            .ok()?;
        if searchable {
            let mut column = Column::new(&self.geometry, self.placed)?;
            let codec = self.geometry.codec;
            let recs = &self.recs;
            let mut put = Some(());
            self.geometry
                .place(recs.iter().map(Record::key), |i, s| {
                    let (ctx, word) = codec.unhash(recs[i].key());
                    put = put.and(column.put(s, ctx, word, recs[i].backoff() != 0.0));
                })
                .ok()?;
            put?;
            column.table.seal();
            // The records' allocation is reused for the weights, then halved.
            let recs = std::mem::take(&mut self.recs);
            self.weights = recs.into_iter().map(|r| [r.prob(), r.backoff()]).collect();
            self.weights.shrink_to_fit();
            self.column = Some(column);
        }
        let probs = self.probs();
        // If no thread can be started, the table's writer builds it.
        self.prob_book = thread::Builder::new()
            .spawn(move || Coder::of(probs, weights))
            .ok();
        Some(())
    }

    /// The probabilities of the n-grams, in rank order.
    fn probs(&self) -> Vec<f32> {
        let recs = self.recs.iter().map(Record::prob);
        recs.chain(self.weights.iter().map(|w| w[0])).collect()
    }

    /// The backoffs of the node arcs (none unless `nodes`: the order is below
    /// the highest), in rank order.
    fn backoffs(&self, nodes: bool) -> Vec<f32> {
        let Some(column) = self.column.as_ref().filter(|_| nodes) else {
            return Vec::new();
        };
        let arcs = column.occupied().zip(&self.weights);
        arcs.filter(|((_, arc), _)| arc.node)
            .map(|(_, w)| w[1])
            .collect()
    }

    /// The slot of arc `(ctx, word)`.
    pub(super) fn find(&self, ctx: u32, word: WordId) -> Option<u32> {
        self.column.as_ref()?.find(ctx, word)
    }

    /// Builds the coder of the node arcs' backoffs now (an order below the
    /// highest whose flags are final), so that the array of backoffs it is
    /// built from is gone before the highest order's probabilities are
    /// copied for theirs.
    pub(super) fn build_backoff_book(&mut self, weights: Weights) {
        if self.column.is_some() {
            self.backoff_book = Some(Coder::of(self.backoffs(true), weights));
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
        let pending = self.prob_book.take();
        let backoff_book = self.backoff_book.take();
        let weights = opts.weights;
        let prob = match pending {
            Some(book) => book.join().unwrap_or_else(|e| panic::resume_unwind(e)),
            None => Coder::of(self.probs(), weights),
        };
        let backoff = backoff_book.unwrap_or_else(|| Coder::of(self.backoffs(nodes), weights));
        let table = TableBuild::new(&self.geometry, self.placed, order, [prob, backoff]);
        let Held {
            geometry,
            recs,
            column,
            weights,
            placed,
            ..
        } = self;
        let raw = table.stream(out, vocab_size, |table, writer| {
            match &column {
                Some(c) => {
                    for ((slot, a), w) in c.occupied().zip(&weights) {
                        let arc = table.slot(a.ctx, a.word, w[0], a.node, a.left, w[1]);
                        writer.put(slot, &arc)?;
                    }
                }
                None => {
                    // The highest order: no flags, no backoffs.
                    let mut written = Ok(());
                    let again = geometry.place(recs.iter().map(Record::key), |i, slot| {
                        if written.is_ok() {
                            let (ctx, word) = geometry.codec.unhash(recs[i].key());
                            let arc = table.slot(ctx, word, recs[i].prob(), false, false, 0.0);
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
