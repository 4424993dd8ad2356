//! The arc tables: one per order n >= 2, bit-packed and hashed.
//!
//! An arc of order n is the n-gram `context + word`, keyed by `(ctx, word)` where
//! `ctx` is the state id of the context: the word id for order 2, else the slot
//! of the context's own arc in the table of order n-1. The key `word | ctx << word_bits`
//! (`key_bits = word_bits + ctx_bits` wide) is stored *hashed*: [`KeyCodec`] maps it
//! through a bijection of `key_bits`-bit integers, so the stored value is exactly as
//! wide as the key, identifies it exactly (no false positives), and is decoded back
//! for `dump`. The hashed key's top bits give the arc's home ([`KeyCodec::home`]);
//! arcs are stored in increasing hashed-key order, each at the first free slot at or
//! after its home (a static Robin Hood layout). An empty slot holds the largest
//! value, which no arc hashes to. A lookup therefore scans forward from the home and
//! stops at the first stored value that is not below its own: one comparison per
//! slot, no hashing of stored keys.
//!
//! Slot fields, in this bit order (widths in [`RawLayout`]):
//!
//! | field | meaning |
//! |---|---|
//! | hashed key | [`KeyCodec::hash`] of `(ctx, word)`; all ones = empty slot |
//! | prob | log10 probability: raw f32 bits, or a codebook index |
//! | node | (orders < N) 1 if `context + word` is itself a state (it can be extended) |
//! | left | (orders < N) 1 if a longer arc ends with this one, so a query that matched it must look one order up |
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

/// The widest hashed key a slot can hold (one unaligned 64-bit read).
pub const MAX_KEY_BITS: u32 = 57;

const C1: u64 = 0x9e37_79b9_7f4a_7c15;
const C2: u64 = 0xbf58_476d_1ce4_e5b9;

/// The multiplicative inverse of an odd `c` modulo 2^64.
const fn inverse(c: u64) -> u64 {
    let mut x = c;
    let mut i = 0;
    while i < 6 {
        x = x.wrapping_mul(2u64.wrapping_sub(c.wrapping_mul(x)));
        i += 1;
    }
    x
}

/// The bijective hash of `(ctx, word)` keys of one table.
///
/// ```
/// use dashlm::format::table::KeyCodec;
/// let codec = KeyCodec::new(10, 12);
/// let h = codec.hash(5, 700);
/// assert_eq!(codec.unhash(h), (5, 700));
/// assert!(h < codec.empty());
/// assert!(codec.home(h, 1000) < 1000);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct KeyCodec {
    bits: u32,
    word_bits: u32,
    shift: u32,
    mask: u64,
    salt: u64,
}

impl KeyCodec {
    /// The codec for `ctx_bits`-bit contexts and `word_bits`-bit words
    /// (`ctx_bits + word_bits <= MAX_KEY_BITS`, `word_bits >= 1`).
    pub fn new(ctx_bits: u32, word_bits: u32) -> KeyCodec {
        let bits = (ctx_bits + word_bits).clamp(1, MAX_KEY_BITS);
        let mut codec = KeyCodec {
            bits,
            word_bits,
            shift: bits.div_ceil(2),
            mask: mask(bits),
            salt: 0,
        };
        // The key with every word bit set is never an arc (word ids are below the
        // vocabulary size, which fits the word field); salting makes it hash to
        // all ones, the empty marker, which is then the largest value in use.
        codec.salt = codec.permute(mask(word_bits) & codec.mask) ^ codec.mask;
        codec
    }

    #[inline(always)]
    fn permute(&self, key: u64) -> u64 {
        let (m, s) = (self.mask, self.shift);
        let mut x = key & m;
        x ^= x >> s;
        x = x.wrapping_mul(C1) & m;
        x ^= x >> s;
        x = x.wrapping_mul(C2) & m;
        x ^ (x >> s)
    }

    /// The stored value of `(ctx, word)`.
    #[inline(always)]
    pub fn hash(&self, ctx: u32, word: u32) -> u64 {
        let key = u64::from(word) | (u64::from(ctx) << self.word_bits);
        self.permute(key) ^ self.salt
    }

    /// Decodes a stored value back to `(ctx, word)`.
    pub fn unhash(&self, h: u64) -> (u32, u32) {
        let (m, s) = (self.mask, self.shift);
        // Each xorshift by s >= bits/2 is its own inverse.
        let mut x = (h ^ self.salt) & m;
        x ^= x >> s;
        x = x.wrapping_mul(inverse(C2)) & m;
        x ^= x >> s;
        x = x.wrapping_mul(inverse(C1)) & m;
        x ^= x >> s;
        (
            (x >> self.word_bits) as u32,
            (x & mask(self.word_bits)) as u32,
        )
    }

    /// The home of a stored value in a table of `num_homes` homes (monotone in `h`).
    #[inline(always)]
    pub fn home(&self, h: u64, num_homes: u64) -> u64 {
        // h < 2^bits: scale it to the top of 64 bits, then take the high word of
        // the product (a constant shift, cheaper than shifting by `bits`).
        let top = h << (64 - self.bits);
        ((u128::from(top) * u128::from(num_homes)) >> 64) as u64
    }

    /// The empty-slot marker (all ones).
    pub fn empty(&self) -> u64 {
        self.mask
    }

    /// Bits of a stored value.
    pub fn bits(&self) -> u32 {
        self.bits
    }
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
    /// Whether a longer arc ends with this one.
    pub left: bool,
    /// Backoff code (node arcs).
    pub backoff: u32,
}

/// The fields of a slot after its key, as [`TableView::payload`] reads them.
///
/// ```
/// let p = dashlm::format::table::Payload { prob: 0, node: false, left: false, backoff: 0 };
/// assert!(!p.node);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payload {
    /// Probability code.
    pub prob: u32,
    /// Whether the arc is a state.
    pub node: bool,
    /// Whether a longer arc ends with this one.
    pub left: bool,
    /// Backoff code.
    pub backoff: u32,
}

/// A validated table layout with its field bit offsets.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    raw: RawLayout,
    codec: KeyCodec,
    prob_at: u32,
    node_at: u32,
    left_at: u32,
    backoff_at: u32,
}

/// Field widths for a new table.
///
/// ```
/// use dashlm::format::table::Widths;
/// let w = Widths { ctx: 10, word: 10, prob: 32, nodes: true, backoff: 32 };
/// let layout = w.layout(100, 120);
/// assert_eq!(layout.entry_bits, 10 + 10 + 32 + 2 + 32);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Widths {
    /// Context id bits.
    pub ctx: u32,
    /// Word id bits (must hold the vocabulary size).
    pub word: u32,
    /// Probability bits.
    pub prob: u32,
    /// Whether slots carry node and left flags and a backoff.
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
            entry_bits: self.ctx + self.word + self.prob + 2 * u32::from(self.nodes) + backoff,
            ctx_bits: self.ctx as u8,
            word_bits: self.word as u8,
            prob_bits: self.prob as u8,
            has_nodes: u8::from(self.nodes),
            backoff_bits: backoff as u8,
            reserved: [0; 7],
        }
    }

    /// The key codec of these widths.
    pub fn codec(&self) -> KeyCodec {
        KeyCodec::new(self.ctx, self.word)
    }
}

impl Layout {
    /// Checks a layout read from a file: field widths that add up, fit the reader
    /// and can hold the vocabulary; `at` is the layout's byte offset (for errors).
    ///
    /// # Errors
    /// [`FormatError::Field`] naming the bad field.
    pub fn new(raw: RawLayout, vocab_size: u32, at: u64) -> Result<Layout, FormatError> {
        let bad = |problem: String| Err(FormatError::field("table layout", at, problem));
        let widths = [raw.ctx_bits, raw.word_bits, raw.prob_bits, raw.backoff_bits];
        if widths.iter().any(|&w| w > 32) || raw.has_nodes > 1 || raw.word_bits == 0 {
            return bad(format!(
                "field widths {widths:?} / node flag {} out of range",
                raw.has_nodes
            ));
        }
        let key_bits = u32::from(raw.ctx_bits) + u32::from(raw.word_bits);
        if key_bits > MAX_KEY_BITS {
            return bad(format!(
                "{key_bits}-bit keys, the format allows {MAX_KEY_BITS}"
            ));
        }
        let sum: u32 =
            widths.iter().map(|&w| u32::from(w)).sum::<u32>() + 2 * u32::from(raw.has_nodes);
        if sum != raw.entry_bits {
            return bad(format!(
                "entry bits {} differ from the fields' sum {sum}",
                raw.entry_bits
            ));
        }
        if u64::from(vocab_size) > mask(u32::from(raw.word_bits)) {
            return bad(format!(
                "{}-bit word ids cannot hold vocabulary size {vocab_size}",
                raw.word_bits
            ));
        }
        if raw.num_homes == 0 || raw.num_slots < raw.num_homes || raw.num_slots > (1 << 40) {
            return bad(format!("{} homes / {} slots", raw.num_homes, raw.num_slots));
        }
        let prob_at = key_bits;
        let node_at = prob_at + u32::from(raw.prob_bits);
        let left_at = node_at + u32::from(raw.has_nodes);
        let backoff_at = left_at + u32::from(raw.has_nodes);
        let codec = KeyCodec::new(u32::from(raw.ctx_bits), u32::from(raw.word_bits));
        Ok(Layout {
            raw,
            codec,
            prob_at,
            node_at,
            left_at,
            backoff_at,
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
    layout: &'a Layout,
}

impl<'a> TableView<'a> {
    /// Wraps a table's bytes.
    pub fn new(bytes: &'a [u8], layout: &'a Layout) -> TableView<'a> {
        TableView { bytes, layout }
    }

    #[inline(always)]
    fn field(&self, slot: u64, at: u32, width: u8) -> u64 {
        let pos = slot
            .wrapping_mul(u64::from(self.layout.raw.entry_bits))
            .wrapping_add(u64::from(at));
        read_bits(self.bytes, pos, u32::from(width))
    }

    #[inline(always)]
    fn stored_key(&self, slot: u64) -> u64 {
        let pos = slot.wrapping_mul(u64::from(self.layout.raw.entry_bits));
        read_bits(self.bytes, pos, self.layout.codec.bits)
    }

    /// Prefetches the cache line of `slot`.
    #[inline(always)]
    pub fn prefetch(&self, slot: u64) {
        let byte = slot.wrapping_mul(u64::from(self.layout.raw.entry_bits)) >> 3;
        super::prefetch(self.bytes, usize::try_from(byte).unwrap_or(usize::MAX));
    }

    /// The stored value of `(ctx, word)` in this table.
    #[inline(always)]
    pub fn hash(&self, ctx: u32, word: u32) -> u64 {
        self.layout.codec.hash(ctx, word)
    }

    /// The home slot of stored value `h`.
    #[inline(always)]
    pub fn home(&self, h: u64) -> u64 {
        self.layout.codec.home(h, self.layout.raw.num_homes)
    }

    /// Finds the slot of arc `(ctx, word)`.
    #[inline]
    pub fn find(&self, ctx: u32, word: u32) -> Option<u64> {
        self.find_hashed(self.hash(ctx, word))
    }

    /// Finds the slot holding stored value `h` (from [`TableView::hash`]).
    #[inline]
    pub fn find_hashed(&self, h: u64) -> Option<u64> {
        self.find_from(h, self.home(h))
    }

    /// Finds the slot holding stored value `h`, whose home `home` the caller
    /// already computed (to prefetch it).
    #[inline]
    pub fn find_from(&self, h: u64, home: u64) -> Option<u64> {
        let mut slot = home;
        while slot < self.layout.raw.num_slots {
            let stored = self.stored_key(slot);
            if stored >= h {
                return (stored == h).then_some(slot);
            }
            slot += 1;
        }
        None
    }

    /// Everything but the key of `slot`, in two reads.
    #[inline(always)]
    pub fn payload(&self, slot: u64) -> Payload {
        let l = self.layout;
        let prob = self.field(slot, l.prob_at, l.raw.prob_bits) as u32;
        if l.raw.has_nodes == 0 {
            return Payload {
                prob,
                node: false,
                left: false,
                backoff: 0,
            };
        }
        // node, left and backoff are adjacent: one read of 2 + backoff bits.
        let rest = self.field(slot, l.node_at, l.raw.backoff_bits + 2);
        Payload {
            prob,
            node: rest & 1 == 1,
            left: rest & 2 == 2,
            backoff: (rest >> 2) as u32,
        }
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

    /// Whether a longer arc ends with the arc in `slot` (always false at order N).
    #[inline(always)]
    pub fn left(&self, slot: u64) -> bool {
        self.layout.raw.has_nodes == 1 && self.field(slot, self.layout.left_at, 1) == 1
    }

    /// The backoff code of `slot`.
    #[inline(always)]
    pub fn backoff(&self, slot: u64) -> u32 {
        self.field(slot, self.layout.backoff_at, self.layout.raw.backoff_bits) as u32
    }

    /// Decodes every field of `slot`.
    pub fn slot(&self, slot: u64) -> Slot {
        let (ctx, word) = self.layout.codec.unhash(self.stored_key(slot));
        Slot {
            ctx,
            word,
            prob: self.prob(slot),
            node: self.node(slot),
            left: self.left(slot),
            backoff: self.backoff(slot),
        }
    }

    /// Whether `slot` is empty.
    pub fn is_empty(&self, slot: u64) -> bool {
        self.stored_key(slot) == self.layout.codec.empty()
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
                layout.codec.empty(),
                layout.codec.bits,
            );
        }
        TableWriter { layout, bits }
    }

    /// Writes `s` into the (empty) slot `slot`.
    pub fn put(&mut self, slot: u64, s: &Slot) {
        let l = self.layout;
        let base = slot * u64::from(l.raw.entry_bits);
        // Clear the empty marker, then write every field.
        self.bits.clear(base, l.codec.bits);
        self.bits
            .put(base, l.codec.hash(s.ctx, s.word), l.codec.bits);
        self.bits.put(
            base + u64::from(l.prob_at),
            u64::from(s.prob),
            u32::from(l.raw.prob_bits),
        );
        if l.raw.has_nodes == 1 {
            self.bits
                .put(base + u64::from(l.node_at), u64::from(s.node), 1);
            self.bits
                .put(base + u64::from(l.left_at), u64::from(s.left), 1);
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
