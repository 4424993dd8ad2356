//! The arc tables: one per order n >= 2, bit-packed and hashed.
//!
//! An arc of order n is the n-gram `context + word`, keyed by `(ctx, word)` where
//! `ctx` is the state id of the context: the word id for order 2, else the slot
//! of the context's own arc in the table of order n-1. Its home position is
//! [`home`]; arcs are stored sorted by home, each at the first free slot at or
//! after its home (a static Robin Hood layout), so a lookup scans forward from
//! the home and stops at an empty slot or at an arc whose home is past its own.
//!
//! Slot fields, in this bit order (widths in [`RawLayout`]):
//!
//! | field | meaning |
//! |---|---|
//! | word | the arc's word id; all ones = empty slot |
//! | ctx | the context state id |
//! | prob | log10 probability: raw f32 bits, or a codebook index |
//! | node | (orders < N) 1 if `context + word` is itself a state (it can be extended) |
//! | backoff | (orders < N) the backoff of a node arc: raw f32 bits or a codebook index |
//!
//! No arc stores where it leads: a query probes every order of its context
//! (all addresses are known up front, so the probes overlap in memory) and the
//! slots it finds are the next state's ids.

use super::bits::{bits_for, mask, read_bits, BitWriter};
use super::error::FormatError;
use super::header::RawLayout;

/// Bytes of zero padding after each table, so fixed-width reads never need a bounds
/// branch in the common case.
pub const TABLE_PADDING: u64 = 16;

#[inline(always)]
fn mix(key: u64) -> u64 {
    let mut h = key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 32)
}

/// The home position of arc `(ctx, word)` in a table of `num_homes` homes.
///
/// ```
/// let h = dashlm::format::table::home(3, 7, 100);
/// assert!(h < 100);
/// ```
#[inline(always)]
pub fn home(ctx: u32, word: u32, num_homes: u64) -> u64 {
    let h = mix((u64::from(ctx) << 32) | u64::from(word));
    ((u128::from(h) * u128::from(num_homes)) >> 64) as u64
}

/// One decoded slot.
///
/// ```
/// let s = dashlm::format::table::Slot::default();
/// assert!(!s.node);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slot {
    /// Context state id.
    pub ctx: u32,
    /// Word id.
    pub word: u32,
    /// Probability code (f32 bits or codebook index).
    pub prob: u32,
    /// Whether the arc is a state.
    pub node: bool,
    /// Backoff code (node arcs).
    pub backoff: u32,
}

/// A validated table layout with its field bit offsets.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    raw: RawLayout,
    ctx_at: u32,
    prob_at: u32,
    node_at: u32,
    backoff_at: u32,
    empty: u64,
}

/// Field widths for a new table.
///
/// ```
/// use dashlm::format::table::Widths;
/// let w = Widths { ctx: 10, word: 10, prob: 32, nodes: true, backoff: 32 };
/// let layout = w.layout(100, 120);
/// assert_eq!(layout.entry_bits, 10 + 10 + 32 + 1 + 32);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Widths {
    /// Context id bits.
    pub ctx: u32,
    /// Word id bits (must hold the vocabulary size, the empty marker).
    pub word: u32,
    /// Probability bits.
    pub prob: u32,
    /// Whether slots carry a node flag and a backoff.
    pub nodes: bool,
    /// Backoff bits (ignored without nodes).
    pub backoff: u32,
}

impl Widths {
    /// The on-disk layout for `num_homes` homes and `num_slots` slots.
    pub fn layout(&self, num_homes: u64, num_slots: u64) -> RawLayout {
        let backoff = if self.nodes { self.backoff } else { 0 };
        RawLayout {
            num_homes,
            num_slots,
            entry_bits: self.ctx + self.word + self.prob + u32::from(self.nodes) + backoff,
            ctx_bits: self.ctx as u8,
            word_bits: self.word as u8,
            prob_bits: self.prob as u8,
            has_nodes: u8::from(self.nodes),
            backoff_bits: backoff as u8,
            reserved: [0; 7],
        }
    }
}

impl Layout {
    /// Checks a layout read from a file: field widths that add up, fit the reader
    /// and can hold the vocabulary; `at` is the layout's byte offset (for errors).
    ///
    /// # Errors
    /// [`FormatError::Field`] naming the bad field.
    pub fn new(raw: RawLayout, vocab_size: u32, at: u64) -> Result<Layout, FormatError> {
        let bad = |field, problem: String| Err(FormatError::field(field, at, problem));
        let widths = [raw.ctx_bits, raw.word_bits, raw.prob_bits, raw.backoff_bits];
        if widths.iter().any(|&w| w > 32) || raw.has_nodes > 1 {
            return bad(
                "table layout",
                format!(
                    "field widths {widths:?} / node flag {} out of range",
                    raw.has_nodes
                ),
            );
        }
        let sum: u32 = widths.iter().map(|&w| u32::from(w)).sum::<u32>() + u32::from(raw.has_nodes);
        if sum != raw.entry_bits || sum == 0 {
            return bad(
                "table layout",
                format!(
                    "entry bits {} differ from the fields' sum {sum}",
                    raw.entry_bits
                ),
            );
        }
        if u64::from(vocab_size) > mask(u32::from(raw.word_bits)) {
            return bad(
                "table layout",
                format!(
                    "{}-bit word ids cannot hold vocabulary size {vocab_size}",
                    raw.word_bits
                ),
            );
        }
        if raw.num_homes == 0 || raw.num_slots < raw.num_homes || raw.num_slots > (1 << 40) {
            return bad(
                "table layout",
                format!("{} homes / {} slots", raw.num_homes, raw.num_slots),
            );
        }
        let word_bits = u32::from(raw.word_bits);
        let ctx_at = word_bits;
        let prob_at = ctx_at + u32::from(raw.ctx_bits);
        let node_at = prob_at + u32::from(raw.prob_bits);
        let backoff_at = node_at + u32::from(raw.has_nodes);
        Ok(Layout {
            raw,
            ctx_at,
            prob_at,
            node_at,
            backoff_at,
            empty: mask(word_bits),
        })
    }

    /// The raw layout.
    pub fn raw(&self) -> &RawLayout {
        &self.raw
    }

    /// Bytes the table section must have.
    pub fn table_bytes(&self) -> u64 {
        (self.raw.num_slots * u64::from(self.raw.entry_bits)).div_ceil(8) + TABLE_PADDING
    }
}

/// Bits needed for ids `0..count` (at least 1).
pub fn id_bits(count: u64) -> u32 {
    bits_for(count.saturating_sub(1)).max(1)
}

/// A read-only view of one table's bytes. Any bytes are memory-safe: reads past
/// the end yield zeros, and lookups stop at the last slot.
#[derive(Clone, Copy, Debug)]
pub struct TableView<'a> {
    bytes: &'a [u8],
    layout: Layout,
}

impl<'a> TableView<'a> {
    /// Wraps a table's bytes.
    pub fn new(bytes: &'a [u8], layout: Layout) -> TableView<'a> {
        TableView { bytes, layout }
    }

    #[inline(always)]
    fn field(&self, slot: u64, at: u32, width: u8) -> u64 {
        let pos = slot
            .wrapping_mul(u64::from(self.layout.raw.entry_bits))
            .wrapping_add(u64::from(at));
        read_bits(self.bytes, pos, u32::from(width))
    }

    /// Prefetches the cache line of `slot`.
    #[inline(always)]
    pub fn prefetch(&self, slot: u64) {
        let byte = slot.wrapping_mul(u64::from(self.layout.raw.entry_bits)) >> 3;
        super::prefetch(self.bytes, usize::try_from(byte).unwrap_or(usize::MAX));
    }

    /// The home of `(ctx, word)` in this table.
    #[inline(always)]
    pub fn home(&self, ctx: u32, word: u32) -> u64 {
        home(ctx, word, self.layout.raw.num_homes)
    }

    /// Finds the slot of arc `(ctx, word)`.
    #[inline]
    pub fn find(&self, ctx: u32, word: u32) -> Option<u64> {
        self.find_from(self.home(ctx, word), ctx, word)
    }

    /// Finds the slot of arc `(ctx, word)` whose home `h` the caller computed
    /// (with [`TableView::home`]), for example to prefetch it first.
    #[inline]
    pub fn find_from(&self, h: u64, ctx: u32, word: u32) -> Option<u64> {
        let l = &self.layout;
        let (wb, cb) = (u32::from(l.raw.word_bits), u32::from(l.raw.ctx_bits));
        let entry_bits = u64::from(l.raw.entry_bits);
        // The key fields are adjacent (word, then ctx); read them together when
        // they fit one read.
        let joint = wb + cb <= 57;
        let want = u64::from(word) | (u64::from(ctx) << wb);
        let mut slot = h;
        while slot < l.raw.num_slots {
            let pos = slot * entry_bits;
            let (w, c) = if joint {
                let key = read_bits(self.bytes, pos, wb + cb);
                if key == want {
                    return Some(slot);
                }
                (key & l.empty, key >> wb)
            } else {
                let w = read_bits(self.bytes, pos, wb);
                let c = read_bits(self.bytes, pos + u64::from(wb), cb);
                if w == u64::from(word) && c == u64::from(ctx) {
                    return Some(slot);
                }
                (w, c)
            };
            if w == l.empty || home(c as u32, w as u32, l.raw.num_homes) > h {
                return None;
            }
            slot += 1;
        }
        None
    }

    /// The probability code of `slot`.
    #[inline(always)]
    pub fn prob(&self, slot: u64) -> u32 {
        self.field(slot, self.layout.prob_at, self.layout.raw.prob_bits) as u32
    }

    /// Whether `slot` is a state.
    #[inline(always)]
    pub fn node(&self, slot: u64) -> bool {
        self.layout.raw.has_nodes == 1 && self.field(slot, self.layout.node_at, 1) == 1
    }

    /// The backoff code of `slot`.
    #[inline(always)]
    pub fn backoff(&self, slot: u64) -> u32 {
        self.field(slot, self.layout.backoff_at, self.layout.raw.backoff_bits) as u32
    }

    /// Decodes every field of `slot`.
    pub fn slot(&self, slot: u64) -> Slot {
        Slot {
            ctx: self.field(slot, self.layout.ctx_at, self.layout.raw.ctx_bits) as u32,
            word: self.field(slot, 0, self.layout.raw.word_bits) as u32,
            prob: self.prob(slot),
            node: self.node(slot),
            backoff: self.backoff(slot),
        }
    }

    /// Whether `slot` is empty.
    pub fn is_empty(&self, slot: u64) -> bool {
        self.field(slot, 0, self.layout.raw.word_bits) == self.layout.empty
    }

    /// Number of slots.
    pub fn num_slots(&self) -> u64 {
        self.layout.raw.num_slots
    }
}

/// Writes a table slot by slot; unwritten slots stay empty.
#[derive(Debug)]
pub struct TableWriter {
    layout: Layout,
    bits: BitWriter,
}

impl TableWriter {
    /// A table of empty slots.
    ///
    /// # Panics
    /// If `raw` is not a valid layout (a builder bug).
    pub fn new(raw: RawLayout, vocab_size: u32) -> TableWriter {
        let layout = Layout::new(raw, vocab_size, 0).expect("builder computed a valid layout");
        let mut bits =
            BitWriter::zeroed(raw.num_slots * u64::from(raw.entry_bits) + TABLE_PADDING * 8);
        for slot in 0..raw.num_slots {
            bits.put(
                slot * u64::from(raw.entry_bits),
                layout.empty,
                u32::from(raw.word_bits),
            );
        }
        TableWriter { layout, bits }
    }

    /// Writes `s` into the (empty) slot `slot`.
    pub fn put(&mut self, slot: u64, s: &Slot) {
        let l = self.layout;
        let base = slot * u64::from(l.raw.entry_bits);
        let w = u32::from(l.raw.word_bits);
        // Clear the empty marker, then write every field.
        self.bits.clear(base, w);
        self.bits.put(base, u64::from(s.word), w);
        self.bits.put(
            base + u64::from(l.ctx_at),
            u64::from(s.ctx),
            u32::from(l.raw.ctx_bits),
        );
        self.bits.put(
            base + u64::from(l.prob_at),
            u64::from(s.prob),
            u32::from(l.raw.prob_bits),
        );
        if l.raw.has_nodes == 1 {
            self.bits
                .put(base + u64::from(l.node_at), u64::from(s.node), 1);
            self.bits.put(
                base + u64::from(l.backoff_at),
                u64::from(s.backoff),
                u32::from(l.raw.backoff_bits),
            );
        }
    }

    /// The table bytes, padding included.
    pub fn finish(self) -> Vec<u8> {
        self.bits.finish()
    }
}
