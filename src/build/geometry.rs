//! Where each order's arcs go ([`Geometry`], [`Placed`]) and how its table is
//! written ([`TableBuild`]), for all three builders.

use std::io::{self, Seek, Write};

use super::{write_sections, BuildError, BuildOptions, ClassBook, Codebook, ExactBook};
use crate::format::table::{
    id_bits, BlockBases, KeyCodec, RunFields, Settled, Slot, TableStream, Widths, MAX_KEY_BITS,
};
use crate::format::{RawLayout, SectionKind, SectionWriter, WeightFormat};

/// Encodes one field of an order's weights: raw f32 bits, codes into an
/// exact codebook of their distinct values (f32 weights, when smaller), or
/// indices into a quantized codebook (q16, q8; for their unigrams one that
/// keeps the values' classes).
pub(super) enum Coder {
    Raw,
    Exact(ExactBook),
    Book(Codebook),
    Class(Box<ClassBook>),
}

impl Coder {
    /// The coder of a field taking `values` (every n-gram's probability, or
    /// every node's backoff) with `opts`' weights.
    pub(super) fn of(values: Vec<f32>, opts: BuildOptions) -> Coder {
        match opts.weights {
            WeightFormat::F32 if opts.raw_f32 => Coder::Raw,
            WeightFormat::F32 => ExactBook::new(values).map_or(Coder::Raw, Coder::Exact),
            w => Coder::Book(Codebook::build(values, w.bits())),
        }
    }

    /// [`Coder::of`] the values `values[i]`, each `counts[i]` times (a
    /// histogram of a field, without the repeated values).
    pub(super) fn of_counted(values: &[f32], counts: &[u64], opts: BuildOptions) -> Coder {
        match opts.weights {
            WeightFormat::F32 if opts.raw_f32 => Coder::Raw,
            WeightFormat::F32 => {
                ExactBook::from_counts(values, counts).map_or(Coder::Raw, Coder::Exact)
            }
            w => Coder::Book(Codebook::build_counted(values, counts, w.bits())),
        }
    }

    /// The width of the field: 32 for raw f32 bits, else the fewest bits
    /// that index the codebook.
    pub(super) fn bits(&self) -> u32 {
        match self {
            Coder::Raw => 32,
            Coder::Exact(b) => b.bits(),
            Coder::Book(b) => b.code_bits(),
            Coder::Class(b) => b.bits(),
        }
    }

    pub(super) fn encode(&self, v: f32) -> u32 {
        match self {
            Coder::Raw => v.to_bits(),
            Coder::Exact(b) => b.encode(v),
            Coder::Book(b) => b.encode(v),
            Coder::Class(b) => b.encode(v),
        }
    }

    /// Whether the codebook section holds segments (see
    /// [`crate::format::segmented`]), flagged in the table's layout.
    fn segmented(&self) -> u8 {
        u8::from(matches!(self, Coder::Book(b) if b.segmented()))
    }

    /// The codebook section's bytes (empty for raw f32 bits).
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        match self {
            Coder::Raw => Vec::new(),
            Coder::Exact(b) => b.to_bytes(),
            Coder::Book(b) => b.to_bytes(),
            Coder::Class(b) => b.to_bytes(),
        }
    }
}

/// Where the arcs of one order go: homes, key codec, and (once placed) slots;
/// or, in a grouped table, their order by `(ctx, word)`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Geometry {
    pub(super) n: usize,
    count: usize,
    num_homes: u64,
    pub(super) ctx_bits: u32,
    pub(super) word_bits: u32,
    pub(super) vocab_size: u32,
    pub(super) codec: KeyCodec,
    /// Whether the table stores run offsets (see [`RUNS_ABOVE_LOAD`]).
    runs: bool,
    /// The load factor asked for, and whether it is the bigrams' own (for
    /// [`BuildError::TooManySlots`]).
    load: f64,
    bigram: bool,
    /// Whether the table is grouped: keys are `ctx << word_bits | word`, the
    /// `num_homes` groups the context ids, slots the ranks.
    grouped: bool,
}

/// Tables built at a load factor above this store run offsets rather than
/// displacements (see [`crate::format::table`]): on the shared 4-gram, run
/// offsets are 1.16x as fast at load 0.9 (near q8's default 0.96) and 0.96x
/// at 0.7 (f32's and q16's).
///
/// ```
/// use dashlm::build::{compile, BuildOptions, RUNS_ABOVE_LOAD};
/// use dashlm::format::WeightFormat;
/// assert_eq!(RUNS_ABOVE_LOAD, 0.8);
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// for (weights, runs) in [(WeightFormat::F32, false), (WeightFormat::Q8, true)] {
///     let (f, _) = compile(&set, BuildOptions::new(weights)).unwrap(); // load 0.7 / 0.96
///     let mut bytes = Vec::new(); f.write_to(&mut bytes).unwrap();
///     let model = dashlm::Model::from_bytes(bytes).unwrap();
///     assert!(model.table_layouts().filter(|l| !l.grouped()).all(|l| l.runs() == runs));
/// }
/// ```
pub const RUNS_ABOVE_LOAD: f64 = 0.8;

/// The most n-grams an order can have, and the most slots its table can
/// have: ids of n-grams are `u32`, and `u32::MAX` is no id. A model past it
/// is refused with [`BuildError::TooLarge`] or [`BuildError::TooManySlots`].
///
/// ```
/// assert_eq!(dashlm::build::MAX_SLOTS, 4_294_967_294);
/// ```
pub const MAX_SLOTS: u64 = u32::MAX as u64 - 1;

/// Slots kept free past the last home when a load factor that fits is
/// suggested ([`BuildError::TooManySlots`]): the arcs of the last homes are
/// displaced past it, by about the square root of the arcs at a load of 1
/// (57,356 slots in a placement of 4,294,967,294 random keys).
const SPILL_ROOM: u64 = 1 << 20;

/// The least load factor, rounded up to 3 decimals, above `asked` if given
/// (one that did not fit), at which `count` n-grams leave [`SPILL_ROOM`]
/// slots free; `None` if that is over 1.
fn fitting_load(count: u64, asked: Option<f64>) -> Option<f64> {
    let least = (count as f64 / (MAX_SLOTS - SPILL_ROOM) as f64 * 1000.0).ceil() / 1000.0;
    let above = asked.map_or(0.0, |a| ((a * 1000.0).floor() + 1.0) / 1000.0);
    Some(least.max(above)).filter(|&x| x <= 1.0)
}

/// The homes of order `n`'s `count` n-grams at `opts`' load factor (for a
/// `grouped` table, or any without hashed slots, 0), or the error when the
/// format cannot index them: too many n-grams, or too many slots at that
/// load.
/// `declared`: `count` is an ARPA header's.
pub(super) fn check_size(
    n: usize,
    count: u64,
    grouped: bool,
    opts: BuildOptions,
    declared: bool,
) -> Result<u64, BuildError> {
    if count > MAX_SLOTS {
        return Err(BuildError::TooLarge {
            order: n,
            count,
            declared,
        });
    }
    if grouped {
        return Ok(0);
    }
    let load = opts.load_factor_of(n);
    let homes = ((count as f64 / load).ceil() as u64).max(1);
    if homes > MAX_SLOTS {
        return Err(BuildError::TooManySlots {
            order: n,
            count,
            declared,
            load,
            bigram: load_is_bigrams(n, opts),
            slots: homes,
            fits: fitting_load(count, None),
        });
    }
    Ok(homes)
}

/// Whether order `n`'s load factor is [`BuildOptions::bigram_load_factor`].
fn load_is_bigrams(n: usize, opts: BuildOptions) -> bool {
    n == 2 && opts.bigram_load_factor.is_some()
}

/// [`check_size`] of every order of `counts` (`declared`: an ARPA header's,
/// checked before any n-gram is read): a vocabulary or an order the format
/// cannot index.
pub(super) fn check_counts(
    counts: &[u64],
    opts: BuildOptions,
    declared: bool,
) -> Result<(), BuildError> {
    for (i, &count) in counts.iter().enumerate() {
        let n = i + 1;
        // Unigrams and a grouped highest order have no hashed slots.
        let unhashed = n == 1 || n == counts.len() && opts.grouped_top;
        check_size(n, count, unhashed, opts, declared)?;
    }
    Ok(())
}

impl Geometry {
    /// The geometry of order `n` with `count` arcs, whose contexts have ids below
    /// `ctx_ids` (the vocabulary size for bigrams, else the slots of order n-1);
    /// `top` for the highest order (grouped if `opts` ask for it).
    pub(super) fn new(
        n: usize,
        count: usize,
        ctx_ids: u64,
        vocab_size: usize,
        top: bool,
        opts: BuildOptions,
    ) -> Result<Geometry, BuildError> {
        let word_bits = crate::format::bits::bits_for(vocab_size as u64);
        let ctx_bits = id_bits(ctx_ids);
        let vocab_size = u32::try_from(vocab_size).map_err(|_| BuildError::VocabTooLarge)?;
        let grouped = top && opts.grouped_top;
        let homes = check_size(n, count as u64, grouped, opts, false)?;
        if ctx_bits + word_bits > MAX_KEY_BITS {
            return Err(BuildError::KeyTooWide {
                order: n,
                ctx_bits,
                word_bits,
            });
        }
        let load = opts.load_factor_of(n);
        let num_homes = if grouped { ctx_ids } else { homes };
        Ok(Geometry {
            n,
            count,
            num_homes,
            ctx_bits,
            word_bits,
            vocab_size,
            codec: KeyCodec::new(ctx_bits, word_bits, num_homes),
            runs: load > RUNS_ABOVE_LOAD,
            load,
            bigram: load_is_bigrams(n, opts),
            grouped,
        })
    }

    /// The width of a [`Geometry::key`]: every key is below `2^key_bits()`.
    pub(super) fn key_bits(&self) -> u32 {
        self.ctx_bits + self.word_bits
    }

    /// The sort key of arc `(ctx, word)`: its hash, or in a grouped table
    /// `(ctx, word)` packed in order.
    #[inline]
    pub(super) fn key(&self, ctx: u32, word: u32) -> u64 {
        if self.grouped {
            u64::from(ctx) << self.word_bits | u64::from(word)
        } else {
            self.codec.hash(ctx, word)
        }
    }

    /// The arc `(ctx, word)` of a [`Geometry::key`].
    #[inline]
    pub(super) fn unkey(&self, key: u64) -> (u32, u32) {
        if self.grouped {
            (
                (key >> self.word_bits) as u32,
                (key & ((1 << self.word_bits) - 1)) as u32,
            )
        } else {
            self.codec.unhash(key)
        }
    }

    /// The on-disk layout of this order's table with `widths`, placed as `placed`.
    pub(super) fn layout(&self, widths: Widths, placed: Placed) -> RawLayout {
        if self.grouped {
            return widths.grouped_layout(self.num_homes, placed.num_slots);
        }
        let raw = widths
            .layout(self.num_homes, placed.num_slots, placed.max_displacement)
            .with_runs(self.runs);
        placed.bases.layout(raw)
    }

    /// The layout of this order's arcs with `widths` in a scanned table,
    /// whatever kind the order's own table is.
    pub(super) fn scanned_layout(&self, widths: Widths, placed: Placed) -> RawLayout {
        widths.layout(self.num_homes, placed.num_slots, placed.max_displacement)
    }

    /// The slot of each arc, given their keys ([`Geometry::key`]) in
    /// increasing order: each goes to the first free slot at or after its
    /// home (see [`crate::format::table`]), in a grouped table to its rank.
    /// Calls `place(rank, slot)` and returns the number of slots and the
    /// largest displacement.
    pub(super) fn place(
        &self,
        sorted_keys: impl Iterator<Item = u64>,
        mut place: impl FnMut(usize, u64),
    ) -> Result<Placed, BuildError> {
        let mut placer = self.placer();
        for (rank, h) in sorted_keys.enumerate() {
            place(rank, placer.slot(h));
        }
        placer.placed()
    }

    /// A [`Placer`] of this order's arcs, for [`Geometry::place`] one arc
    /// at a time.
    pub(super) fn placer(&self) -> Placer {
        Placer {
            geometry: *self,
            rank: 0,
            next: 0,
            max_displacement: 0,
            fields: RunFields::default(),
            bases: BlockBases::default(),
        }
    }
}

/// Places the arcs of one order one at a time, their keys in increasing
/// order (see [`Geometry::place`]).
pub(super) struct Placer {
    geometry: Geometry,
    /// Arcs placed so far.
    rank: u64,
    /// The first slot no arc placed so far holds.
    next: u64,
    max_displacement: u64,
    /// Run-offset tables: the slots' offset fields as they become known, and
    /// their blocks' bases.
    fields: RunFields,
    bases: BlockBases,
}

impl Placer {
    /// The slot of the arc of `key`, the next key in increasing order.
    #[inline]
    pub(super) fn slot(&mut self, key: u64) -> u64 {
        let g = &self.geometry;
        let runs = g.runs && !g.grouped;
        let home = if g.grouped {
            self.rank
        } else {
            g.codec.home(key)
        };
        let s = home.max(self.next);
        self.max_displacement = self.max_displacement.max(s - home);
        (self.rank, self.next) = (self.rank + 1, s + 1);
        if runs {
            let settled = self.fields.put(home, s);
            self.gather(&settled, s);
        }
        s
    }

    /// Passes the offset fields `settled` made known to the block bases.
    fn gather(&mut self, settled: &Settled, slot: u64) {
        for j in settled.held.clone() {
            self.bases.field(j, settled.field(j));
        }
        if settled.own {
            self.bases.field(slot, 1);
        }
    }

    /// The number of slots and the largest displacement of the arcs placed.
    pub(super) fn placed(mut self) -> Result<Placed, BuildError> {
        let settled = self.fields.finish();
        self.gather(&settled, u64::MAX);
        self.bases.finish();
        let g = &self.geometry;
        let num_slots = if g.grouped {
            self.next
        } else {
            self.next.max(g.num_homes)
        };
        if num_slots > MAX_SLOTS {
            return Err(BuildError::TooManySlots {
                order: g.n,
                count: g.count as u64,
                declared: false,
                load: g.load,
                bigram: g.bigram,
                slots: num_slots,
                fits: fitting_load(g.count as u64, Some(g.load)),
            });
        }
        Ok(Placed {
            num_slots,
            max_displacement: self.max_displacement,
            bases: self.bases,
        })
    }
}

/// Where an order's arcs went: the table's size and the farthest an arc sits
/// from its home.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Placed {
    pub(super) num_slots: u64,
    max_displacement: u64,
    /// Run-offset tables: their offset fields' block bases.
    bases: BlockBases,
}

/// One order's table being written: its layout and weight coders.
pub(super) struct TableBuild {
    pub(super) n: u16,
    nodes: bool,
    pub(super) raw: RawLayout,
    prob: Coder,
    backoff: Coder,
}

impl TableBuild {
    /// The table for `geometry` placed as `placed`, its probabilities and its
    /// node arcs' backoffs coded by `coders` (see [`Coder::of`]), each field
    /// as wide as its coder needs.
    pub(super) fn new(
        geometry: &Geometry,
        placed: Placed,
        order: usize,
        [prob, backoff]: [Coder; 2],
    ) -> TableBuild {
        let nodes = geometry.n < order;
        let widths = Widths {
            ctx: geometry.ctx_bits,
            word: geometry.word_bits,
            prob: prob.bits(),
            nodes,
            // Left out of the layout at the highest order, which has no nodes.
            backoff: backoff.bits(),
        };
        let raw = RawLayout {
            prob_segmented: prob.segmented(),
            // Left out with the backoffs at the highest order.
            backoff_segmented: if nodes { backoff.segmented() } else { 0 },
            ..geometry.layout(widths, placed)
        };
        TableBuild {
            n: geometry.n as u16,
            nodes,
            raw,
            prob,
            backoff,
        }
    }

    /// The slot of arc `(ctx, word)`, weights encoded.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn slot(
        &self,
        ctx: u32,
        word: u32,
        prob: f32,
        extends: bool,
        extends_left: bool,
        backoff: f32,
    ) -> Slot {
        let backoff = || self.backoff.encode(backoff);
        self.coded_slot(
            ctx,
            word,
            self.prob.encode(prob),
            extends,
            extends_left,
            backoff,
        )
    }

    /// [`TableBuild::slot`] with the probability's code `prob` and the
    /// backoff's code given by `backoff` (asked only of a node).
    pub(super) fn coded_slot(
        &self,
        ctx: u32,
        word: u32,
        prob: u32,
        extends: bool,
        extends_left: bool,
        backoff: impl FnOnce() -> u32,
    ) -> Slot {
        let node = self.nodes && extends;
        Slot {
            ctx,
            word,
            prob,
            node,
            left: self.nodes && extends_left,
            backoff: if node { backoff() } else { 0 },
        }
    }

    /// The coders of the probabilities and the backoffs.
    pub(super) fn coders(&self) -> [&Coder; 2] {
        [&self.prob, &self.backoff]
    }

    /// Writes the table to `out` as a section, its arcs put by `fill` in slot
    /// order, then its codebooks; returns its layout.
    pub(super) fn stream<W: Write + Seek>(
        self,
        out: &mut SectionWriter<W>,
        vocab_size: usize,
        fill: impl FnOnce(&Self, &mut TableStream<&mut SectionWriter<W>>) -> io::Result<()>,
    ) -> io::Result<RawLayout> {
        out.begin(SectionKind::Table, self.n)?;
        let mut writer = TableStream::new(self.raw, vocab_size as u32, &mut *out)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        fill(&self, &mut writer)?;
        writer.finish()?;
        let raw = self.raw;
        write_sections(out, self.codebooks())?;
        Ok(raw)
    }

    /// The two codebook sections that follow the table (empty for a field of
    /// raw f32 bits).
    pub(super) fn codebooks(self) -> [(SectionKind, u16, Vec<u8>); 2] {
        [
            (SectionKind::ProbCodebook, self.n, self.prob.to_bytes()),
            (
                SectionKind::BackoffCodebook,
                self.n,
                self.backoff.to_bytes(),
            ),
        ]
    }
}

/// The number of sections of a file of `order`: three of vocabulary, the
/// unigrams and their two codebooks, a table and two codebooks per order >= 2
/// (a codebook is empty where its field is raw f32 bits), and the layouts.
pub(super) fn section_count(order: usize) -> usize {
    6 + 3 * (order - 1) + 1
}

/// The layouts section of orders 2..=N.
pub(super) fn layouts_bytes(layouts: &[RawLayout]) -> Vec<u8> {
    layouts
        .iter()
        .flat_map(|l| bytemuck::bytes_of(l).iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_wider_than_the_format_are_refused() {
        let opts = BuildOptions::default();
        // Contexts among 2^40 slots (40 bits) and 2^20 words (21 bits, as
        // the vocabulary's ids run to its size).
        let err = Geometry::new(3, 10, 1 << 40, 1 << 20, false, opts).unwrap_err();
        assert!(
            matches!(
                err,
                BuildError::KeyTooWide {
                    order: 3,
                    ctx_bits: 40,
                    word_bits: 21
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "order 3's keys need 61 bits (40 for a context's slot in order 2, 21 for a word's \
             id), more than the format's 57"
        );
        assert!(Geometry::new(3, 10, 1 << 30, 1 << 20, false, opts).is_ok());
    }

    #[test]
    fn a_suggested_load_factor_leaves_room_past_the_last_home() {
        for count in [1, 500_000_000, 2_147_483_647, 4_000_000_000, 4_293_000_000] {
            let x = fitting_load(count, None).unwrap();
            let homes = (count as f64 / x).ceil() as u64;
            assert!(homes + SPILL_ROOM <= MAX_SLOTS, "{count} {x}");
            // The least such factor, to 3 decimals.
            let lower = (count as f64 / (x - 0.001)).ceil() as u64;
            assert!(x == 0.001 || lower + SPILL_ROOM > MAX_SLOTS, "{count} {x}");
        }
        assert_eq!(fitting_load(4_294_000_000, None), None);
        assert_eq!(fitting_load(100, Some(0.7)), Some(0.701));
        assert_eq!(fitting_load(100, Some(1.0)), None);
    }

    #[test]
    fn slots_past_the_format_are_refused_when_placed() {
        // As many homes as the format has slots: an arc displaced past the
        // last home needs one more.
        let opts = BuildOptions {
            load_factor: 0.5,
            ..BuildOptions::default()
        };
        let count = (MAX_SLOTS / 2) as usize;
        let g = Geometry::new(2, count, 1 << 20, 1 << 20, false, opts).unwrap();
        assert_eq!(g.num_homes, MAX_SLOTS);
        // Arcs of the largest key, one home among the last few.
        let last = (1u64 << g.key_bits()) - 1;
        let mut placer = g.placer();
        while placer.slot(last) < MAX_SLOTS - 1 {}
        assert!(placer.placed().is_ok());
        let mut placer = g.placer();
        while placer.slot(last) < MAX_SLOTS {}
        let err = placer.placed().unwrap_err();
        assert!(matches!(
            err,
            BuildError::TooManySlots { order: 2, slots, load: 0.5, declared: false, .. }
                if slots == MAX_SLOTS + 1
        ));
        // The load factor that failed is not suggested again.
        assert_eq!(
            err.to_string(),
            "order 2 has 2147483647 n-grams, which at load factor 0.5 need 4294967295 slots, \
             more than the format's 4294967294 per order: a load factor of at least 0.501 \
             should fit them"
        );
        // One n-gram more than the homes allow at that load.
        let err = Geometry::new(2, count + 1, 1 << 20, 1 << 20, false, opts).unwrap_err();
        assert!(
            matches!(err, BuildError::TooManySlots { order: 2, .. }),
            "{err}"
        );
    }
}
