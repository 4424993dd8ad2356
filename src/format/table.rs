//! The arc tables: one per order n >= 2, bit-packed, hashed and quotiented.
//!
//! An arc of order n is the n-gram `context + word`, keyed by `(ctx, word)` where
//! `ctx` is the state id of the context: the word id for order 2, else the slot
//! of the context's own arc in the table of order n-1. The key `word | ctx << word_bits`
//! (`key_bits = word_bits + ctx_bits` wide) is *hashed* by [`KeyCodec`] through a
//! bijection of `key_bits`-bit integers, so the hash identifies the arc exactly
//! (no false positives) and decodes back to it for `dump`:
//!
//! ```text
//! hash = (word | ctx << word_bits) * 0x9e3779b97f4a7c15  mod 2^key_bits
//! key  = hash * 0xf1de83e19937733d                       mod 2^key_bits
//! ```
//!
//! (the second constant is the first's inverse modulo 2^64, so modulo every
//! power of two).
//!
//! **Homes.** A table has `num_homes` homes and `num_slots >= num_homes` slots.
//! With `k = min(floor(log2(num_homes)), key_bits)`, a hash's top `k` bits are its *bucket* `b`
//! and its low `rem_bits = key_bits - k` bits its *remainder*; its home is
//! `floor(b * num_homes / 2^k)` ([`KeyCodec::home`]). Since `num_homes >= 2^k`,
//! distinct buckets have distinct homes, so a home and a remainder give back the
//! whole hash ([`KeyCodec::join`]): a slot stores only the remainder, saving `k`
//! bits per arc (*quotienting*).
//!
//! **Placement.** Arcs are stored in increasing hash order, each at the first
//! free slot at or after its home (a static Robin Hood layout), so the arcs of
//! one home form a *run* of consecutive slots, and runs follow each other in
//! home order. A hashed table finds its arcs in one of two ways ([`Layout::runs`],
//! chosen by the builder from the load factor); the highest order's table may
//! instead be *grouped* (`runs = 2`, [`Layout::grouped`]): its arcs sorted by
//! context with no hashing, found through their context's group (see
//! [`crate::format::grouped`], [`GroupedProbe`]):
//!
//! - **Scanned** (`runs = 0`): each slot stores its arc's *displacement*
//!   `slot - home`. `delta` slots past a lookup's home, arcs of earlier homes
//!   have displacements above `delta`, arcs of later homes below it, and arcs
//!   of the lookup's own home equal to it, in increasing remainder order. The
//!   key field `(displacement + 1) << rem_bits | !remainder` therefore stays
//!   above the lookup's `(delta + 1) << rem_bits | !remainder` exactly until
//!   the arc or the place it would be: a lookup scans forward from its home
//!   with one integer comparison per slot and no hashing of stored keys. An
//!   empty slot's key field is 0, which stops every scan. The scan passes the
//!   arcs of earlier homes pushed past the home: about 1.2 slots at load 0.7,
//!   5 at load 0.9.
//! - **Run offsets** (`runs = 1`): slot `i` stores where the run of *home* `i`
//!   starts: its offset field is 0 if slot `i` is empty, else `1 + o` where `o`
//!   is the number of arcs of homes before `i` stored at or after `i` (home
//!   `i`'s run starts at `i + o`). A lookup of home `h` reads the offset fields
//!   of slots `h` and `h + 1`: 0 at `h` means no arc has home `h` (it would be
//!   in slot `h` or push an earlier arc there); otherwise the run is
//!   `h + field(h) - 1 .. h + max(field(h + 1), 1)`, and the lookup compares
//!   the remainders in it (about 1.5 arcs at load 0.9). This reads fewer slots
//!   at high loads, but where the run starts depends on a value read, so the
//!   processor cannot start those reads early: measured on the shared 4-gram
//!   (`bench-query`, median of alternating runs), run offsets are 1.16x as
//!   fast as a scan at load 0.9 and 0.96x at load 0.7.
//! - **Block bases** (run-offset tables with `base_bits > 0`): from slot to
//!   slot the offset fields take a random walk (each home adds its arcs and
//!   takes one slot), so the fields of a block of [`BASE_BLOCK`] slots lie
//!   close together. Slot `i` stores its field less the *base* of block `i /
//!   BASE_BLOCK` (the least field of the block's occupied slots less one, 0
//!   in a block of empty slots), so an occupied slot still stores at least 1
//!   and an empty one 0. A lookup adds the bases of `h`'s block and of `h +
//!   1`'s (one read: adjacent bases lie in one 64-bit word, as their width
//!   is at most [`MAX_BASE_BITS`]). On the shared 4-gram at load 0.96 (q8's
//!   default) the fields take 5 bits instead of 7, plus 7 bits a block:
//!   1,092,968 bytes less over three tables, for queries about 0.95x as fast. The
//!   builder uses bases when they make a table smaller ([`BlockBases::layout`]).
//!
//! Slot fields, in this bit order (widths in [`RawLayout`]), for a scanned
//! table:
//!
//! | field | bits | meaning |
//! |---|---|---|
//! | remainder | `rem_bits` | the low bits of [`KeyCodec::hash`] of `(ctx, word)`, complemented |
//! | displacement | `disp_bits` | `slot - home + 1` of the arc; 0 (with a zero remainder field) = empty slot |
//! | prob | `prob_bits` | log10 probability: raw f32 bits (32), or a code in the order's codebook (the fewest bits that index it: 1 to 16 / 8 for q16 / q8, 1 to 16 for an f32 file's exact codebook; see [`crate::format::segmented`] for q16's segmented codebooks) |
//! | node | 1, orders < N | 1 if `context + word` is itself a state: it is the context of a longer arc, or its backoff is not zero |
//! | left | 1, orders < N | 1 if a longer arc ends with this one, so a query that matched it must look one order up |
//! | backoff | `backoff_bits`, orders < N | the backoff of a node arc: raw f32 bits (32) or an index in the order's backoff codebook (as wide as it needs, as for prob); in an arc that is not a node it is meaningless (written 0) and must be read as a backoff of 0 |
//!
//! A run-offset table swaps the first two fields and stores the remainder
//! itself:
//!
//! | field | bits | meaning |
//! |---|---|---|
//! | offset | `disp_bits` | 0 if the slot is empty, else 1 + how far past this slot the run of home `slot` starts |
//! | remainder | `rem_bits` | the low bits of [`KeyCodec::hash`] of `(ctx, word)` |
//! | prob, node, left, backoff | as above | |
//!
//! An offset is at most the largest displacement `slot - home` of an arc, so
//! `disp_bits` holds every displacement plus one (with block bases: every
//! field less its block's base). The table is followed by
//! [`TABLE_PADDING`] zero bytes, so the slot after the last reads as empty,
//! then, with block bases, from that byte on, `num_slots / BASE_BLOCK + 1`
//! bases of `base_bits` bit-packed (as the slots) and 8 zero bytes
//! ([`Layout::bases_at`], [`Layout::bases_bytes`]).
//!
//! No arc stores where it leads: a query probes every order of its context
//! (all addresses are known up front, so the probes overlap in memory) and the
//! slots it finds are the next state's ids.
//!
//! This module holds the layout ([`Layout`], [`Widths`], [`Slot`]); the key
//! codec is in `key`, the query's lookup in `probe` ([`Probe`]), the writers in
//! `table_write` (in memory) and `table_stream` (streamed), and the read-only
//! view for `dump` in `table_view`.
//!
//! ```
//! use dashlm::format::table::{Layout, Probe, Slot, TableWriter, Widths};
//! let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
//! let raw = widths.layout(4, 4, 0); // 4 homes, 4 slots, no arc displaced
//! let codec = widths.codec(4);
//! let home = codec.home(codec.hash(3, 7));
//! let mut writer = TableWriter::new(raw, 200).unwrap(); // word ids 0..200
//! writer.put(home, &Slot { ctx: 3, word: 7, prob: (-0.5f32).to_bits(), ..Slot::default() }).unwrap();
//! let table = writer.finish();
//! let probe = Probe::new(&Layout::new(raw, 200, 0).unwrap(), 0..table.len());
//! let (h, at) = probe.locate(3, 7);
//! assert_eq!(probe.find(&table, h, at), Some(home)); // the one arc, at its home
//! assert_eq!(f32::from_bits(probe.payload(&table, home).prob), -0.5);
//! let (h, at) = probe.locate(3, 8);
//! assert_eq!(probe.find(&table, h, at), None);
//! ```

use super::bits::{bits_for, mask};
use super::error::FormatError;
use super::grouped;
pub use super::grouped::{GroupedProbe, GROUPED};
use super::header::RawLayout;
pub use super::key::KeyCodec;
pub use super::probe::{Hit, Probe};
pub use super::run_bases::{BlockBases, RunFields, Settled};
pub use super::table_stream::TableStream;
pub use super::table_view::TableView;
pub use super::table_write::TableWriter;

/// Bytes of zero padding after each table (more than one slot, whose widest is
/// 123 bits): fixed-width reads of any slot stay inside the table, and a scan that
/// runs past the last slot reads an empty key field there and stops.
///
/// ```
/// use dashlm::format::table::{TableWriter, Widths, TABLE_PADDING};
/// assert_eq!(TABLE_PADDING, 16);
/// let raw = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 }.layout(4, 4, 0);
/// // 4 slots of 47 bits (188 bits: 24 bytes), then the padding.
/// let bytes = TableWriter::new(raw, 200).unwrap().finish();
/// assert_eq!(bytes.len() as u64, 24 + TABLE_PADDING);
/// assert!(bytes[24..].iter().all(|&b| b == 0));
/// ```
pub const TABLE_PADDING: u64 = 16;

/// Slots a block base covers in a run-offset table with bases: slot `i`
/// stores its offset field less the base of block `i / BASE_BLOCK`.
///
/// ```
/// assert_eq!(dashlm::format::table::BASE_BLOCK, 32);
/// ```
pub const BASE_BLOCK: u64 = 32;

/// The widest block base: the bases of two adjacent blocks fit the 57 bits
/// of one unaligned 64-bit read.
///
/// ```
/// use dashlm::format::table::{Layout, Widths, MAX_BASE_BITS};
/// assert_eq!(MAX_BASE_BITS, 28);
/// let raw = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 }
///     .layout(100, 120, 5)
///     .with_runs(true);
/// assert!(Layout::new(raw.with_bases(28, 2), 1000, 0).is_ok());
/// assert!(Layout::new(raw.with_bases(29, 2), 1000, 0).is_err());
/// ```
pub const MAX_BASE_BITS: u32 = 28;

/// The widest key (and the widest key field of a slot: one unaligned 64-bit read).
///
/// ```
/// use dashlm::format::table::{Layout, Widths, MAX_KEY_BITS};
/// assert_eq!(MAX_KEY_BITS, 57);
/// let raw = |ctx| Widths { ctx, word: 26, prob: 8, nodes: false, backoff: 0 }.layout(4, 4, 0);
/// assert!(Layout::new(raw(31), 200, 0).is_ok()); // 57-bit keys
/// assert!(Layout::new(raw(32), 200, 0).is_err()); // 58-bit keys
/// ```
pub const MAX_KEY_BITS: u32 = 57;

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
///
/// ```
/// use dashlm::format::table::{Layout, Widths};
/// let widths = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 };
/// // 100 homes, 120 slots of 25 bits (see `Widths::layout`), vocabulary of 1000.
/// let layout = Layout::new(widths.layout(100, 120, 5), 1000, 0).unwrap();
/// assert_eq!(layout.rem_bits(), 14);
/// assert_eq!(layout.table_bytes(), 120 * 25 / 8 + 16);
/// assert!(!layout.runs());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub(super) raw: RawLayout,
    pub(super) codec: KeyCodec,
    /// Bits of a slot's key field: the hashed key, or remainder + displacement.
    pub(super) tag_bits: u32,
    pub(super) prob_at: u32,
    pub(super) node_at: u32,
    left_at: u32,
    backoff_at: u32,
}

/// Field widths for a new table.
///
/// ```
/// use dashlm::format::table::Widths;
/// let w = Widths { ctx: 10, word: 10, prob: 32, nodes: true, backoff: 32 };
/// let layout = w.layout(100, 120, 3);
/// // 100 homes imply 6 key bits; displacements up to 3 take 3 bits.
/// assert_eq!(layout.entry_bits, 3 + (20 - 6) + 32 + 2 + 32);
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
    /// The on-disk layout for `num_homes` homes and `num_slots` slots whose
    /// arcs sit at most `max_displacement` slots after their homes.
    ///
    /// ```
    /// use dashlm::format::table::Widths;
    /// let w = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 };
    /// let raw = w.layout(100, 120, 5);
    /// // 100 homes take 6 of the 20 key bits; displacements 0..=5, stored plus
    /// // one (0 marks an empty slot), need 3 bits.
    /// assert_eq!((raw.disp_bits, raw.entry_bits), (3, 3 + 14 + 8));
    /// ```
    ///
    /// Widths too wide for the format are saturated (a width above 255 is
    /// stored as 255), never wrapped, so [`Layout::new`] refuses the layout:
    ///
    /// ```
    /// use dashlm::format::table::{Layout, Widths};
    /// let w = Widths { ctx: 264, word: 10, prob: u32::MAX, nodes: true, backoff: 8 };
    /// let raw = w.layout(100, 120, 5);
    /// assert_eq!((raw.ctx_bits, raw.prob_bits, raw.entry_bits), (255, 255, u32::MAX));
    /// assert!(Layout::new(raw, 1000, 0).is_err());
    /// ```
    pub fn layout(&self, num_homes: u64, num_slots: u64, max_displacement: u64) -> RawLayout {
        let backoff = if self.nodes { self.backoff } else { 0 };
        let disp_bits = bits_for(max_displacement.saturating_add(1)).max(1);
        let tag_bits = disp_bits + self.codec(num_homes).rem_bits();
        let byte = |w: u32| u8::try_from(w).unwrap_or(u8::MAX);
        RawLayout {
            num_homes,
            num_slots,
            entry_bits: tag_bits
                .saturating_add(self.prob)
                .saturating_add(2 * u32::from(self.nodes))
                .saturating_add(backoff),
            ctx_bits: byte(self.ctx),
            word_bits: byte(self.word),
            prob_bits: byte(self.prob),
            has_nodes: u8::from(self.nodes),
            backoff_bits: byte(backoff),
            disp_bits: disp_bits as u8,
            runs: 0,
            prob_segmented: 0,
            backoff_segmented: 0,
            base_bits: 0,
            reserved: [0; 2],
        }
    }

    /// The key codec of these widths in a table of `num_homes` homes.
    ///
    /// ```
    /// use dashlm::format::table::Widths;
    /// let w = Widths { ctx: 10, word: 12, prob: 32, nodes: false, backoff: 0 };
    /// let codec = w.codec(1000);
    /// assert_eq!((codec.bits(), codec.num_homes()), (22, 1000));
    /// assert_eq!(codec.unhash(codec.hash(5, 700)), (5, 700));
    /// ```
    pub fn codec(&self, num_homes: u64) -> KeyCodec {
        KeyCodec::new(self.ctx, self.word, num_homes)
    }
}

impl Layout {
    /// Checks a layout read from a file: field widths that add up, fit the reader
    /// and can hold the vocabulary; `at` is the layout's byte offset (for errors).
    ///
    /// # Errors
    /// [`FormatError::Field`] naming the bad field.
    ///
    /// ```
    /// use dashlm::format::{table::{Layout, Widths}, FormatError};
    /// let widths = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 };
    /// let raw = widths.layout(100, 120, 5);
    /// assert!(Layout::new(raw, 1000, 0).is_ok());
    /// // 10-bit word ids cannot hold 2000 words; the error names byte 64.
    /// let err = Layout::new(raw, 2000, 64).unwrap_err();
    /// assert!(matches!(err, FormatError::Field { offset: 64, .. }));
    /// ```
    pub fn new(raw: RawLayout, vocab_size: u32, at: u64) -> Result<Layout, FormatError> {
        let bad = |problem: String| Err(FormatError::field("table layout", at, problem));
        if raw.reserved != [0; 2] {
            return bad(format!("reserved bytes {:?}, expected zeros", raw.reserved));
        }
        // (A lookup kind past 2 is refused below, naming the kind.)
        let kind_known = raw.runs <= GROUPED;
        if raw.base_bits != 0
            && kind_known
            && (raw.runs != 1 || u32::from(raw.base_bits) > MAX_BASE_BITS)
        {
            return bad(format!(
                "{}-bit block bases in a table of lookup kind {} (only run offsets have bases, of 1 to {MAX_BASE_BITS} bits)",
                raw.base_bits, raw.runs
            ));
        }
        if raw.runs == GROUPED {
            if let Err(problem) = grouped::check(&raw) {
                return bad(problem);
            }
            if u64::from(vocab_size) > mask(u32::from(raw.word_bits)) {
                return bad(format!(
                    "{}-bit word ids cannot hold vocabulary size {vocab_size}",
                    raw.word_bits
                ));
            }
            let word_bits = u32::from(raw.word_bits);
            let prob_at = word_bits;
            let node_at = prob_at + u32::from(raw.prob_bits);
            return Ok(Layout {
                raw,
                codec: KeyCodec::new(u32::from(raw.ctx_bits), word_bits, 1),
                tag_bits: word_bits,
                prob_at,
                node_at,
                left_at: node_at,
                backoff_at: node_at,
            });
        }
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
        if raw.disp_bits == 0 || raw.disp_bits > 32 {
            return bad(format!("{}-bit displacements", raw.disp_bits));
        }
        if raw.num_homes == 0 || raw.num_slots < raw.num_homes || raw.num_slots > (1 << 40) {
            return bad(format!("{} homes / {} slots", raw.num_homes, raw.num_slots));
        }
        let codec = KeyCodec::new(
            u32::from(raw.ctx_bits),
            u32::from(raw.word_bits),
            raw.num_homes,
        );
        let tag_bits = codec.rem_bits() + u32::from(raw.disp_bits);
        if tag_bits > MAX_KEY_BITS {
            return bad(format!(
                "{tag_bits}-bit key fields, the format allows {MAX_KEY_BITS}"
            ));
        }
        let sum: u32 = tag_bits
            + [raw.prob_bits, raw.backoff_bits]
                .iter()
                .map(|&w| u32::from(w))
                .sum::<u32>()
            + 2 * u32::from(raw.has_nodes);
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
        let prob_at = tag_bits;
        let node_at = prob_at + u32::from(raw.prob_bits);
        let left_at = node_at + u32::from(raw.has_nodes);
        let backoff_at = left_at + u32::from(raw.has_nodes);
        if raw.runs > 1 {
            return bad(format!(
                "lookup kind {} (0 = scan, 1 = runs, 2 = grouped)",
                raw.runs
            ));
        }
        Ok(Layout {
            raw,
            codec,
            tag_bits,
            prob_at,
            node_at,
            left_at,
            backoff_at,
        })
    }

    /// The offset field's mask (the slot's first field).
    fn offset_mask(&self) -> u64 {
        mask(u32::from(self.raw.disp_bits))
    }

    /// The remainder `rem` in place, above the offset field.
    fn rem_field(&self, rem: u64) -> u64 {
        (rem & mask(self.codec.rem_bits)) << self.raw.disp_bits
    }

    /// The remainder of a slot whose first bits are `word`.
    pub(super) fn rem_of(&self, word: u64) -> u64 {
        if self.runs() {
            (word >> self.raw.disp_bits) & mask(self.codec.rem_bits)
        } else {
            !word & mask(self.codec.rem_bits)
        }
    }

    /// The raw layout.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Widths};
    /// # let widths = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(100, 120, 5);
    /// # let layout = Layout::new(raw, 1000, 0).unwrap();
    /// assert_eq!(*layout.raw(), raw);
    /// assert_eq!(layout.raw().num_slots, 120);
    /// ```
    pub fn raw(&self) -> &RawLayout {
        &self.raw
    }

    /// Bits of a key a slot stores (its remainder; the rest is its home).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Widths};
    /// # let widths = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(100, 120, 5);
    /// # let layout = Layout::new(raw, 1000, 0).unwrap();
    /// // 20-bit keys; 100 homes (2^6 <= 100 < 2^7) give their top 6 bits.
    /// assert_eq!(layout.rem_bits(), 20 - 6);
    /// ```
    pub fn rem_bits(&self) -> u32 {
        self.codec.rem_bits
    }

    /// Bytes the table section must have.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Widths};
    /// # let widths = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(100, 120, 5);
    /// # let layout = Layout::new(raw, 1000, 0).unwrap();
    /// # use dashlm::format::table::{TableWriter, TABLE_PADDING};
    /// // 120 slots of 25 bits, then the padding.
    /// assert_eq!(layout.table_bytes(), 120 * 25 / 8 + TABLE_PADDING);
    /// assert_eq!(TableWriter::new(raw, 1000).unwrap().finish().len() as u64, layout.table_bytes());
    /// ```
    pub fn table_bytes(&self) -> u64 {
        if self.grouped() {
            return grouped::table_bytes(&self.raw);
        }
        self.bases_at() + self.bases_bytes()
    }

    /// The byte (from the table's start) where a run-offset table's block
    /// bases start: after its slots and padding.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Widths, TABLE_PADDING};
    /// # let widths = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 };
    /// let raw = widths.layout(100, 120, 5).with_runs(true).with_bases(4, 2);
    /// let layout = Layout::new(raw, 1000, 0).unwrap();
    /// // 120 slots of 2 + 14 + 8 bits (2-bit offset fields less their base),
    /// // then the padding.
    /// assert_eq!(layout.bases_at(), 120 * 24 / 8 + TABLE_PADDING);
    /// ```
    pub fn bases_at(&self) -> u64 {
        bases_at(&self.raw)
    }

    /// Bytes of a run-offset table's block bases: `num_slots / BASE_BLOCK +
    /// 1` bases of `base_bits`, bit-packed, then 8 zero bytes; 0 without
    /// bases.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Widths};
    /// # let widths = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 };
    /// let raw = widths.layout(100, 120, 5).with_runs(true);
    /// assert_eq!(Layout::new(raw, 1000, 0).unwrap().bases_bytes(), 0);
    /// // 120 / 32 + 1 = 4 bases of 4 bits: 2 bytes, then 8 of padding.
    /// let based = Layout::new(raw.with_bases(4, 2), 1000, 0).unwrap();
    /// assert_eq!(based.bases_bytes(), 2 + 8);
    /// ```
    pub fn bases_bytes(&self) -> u64 {
        bases_bytes(&self.raw)
    }

    /// Whether the table stores run offsets (else displacements, scanned
    /// from the home).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Widths};
    /// # let widths = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(100, 120, 5);
    /// # let layout = Layout::new(raw, 1000, 0).unwrap();
    /// assert!(!layout.runs());
    /// assert!(Layout::new(raw.with_runs(true), 1000, 0).unwrap().runs());
    /// ```
    pub fn runs(&self) -> bool {
        self.raw.runs == 1
    }

    /// Whether the table is grouped (see [`crate::format::grouped`]).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Widths};
    /// let widths = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 };
    /// assert!(!Layout::new(widths.layout(100, 120, 5), 1000, 0).unwrap().grouped());
    /// assert!(Layout::new(widths.grouped_layout(100, 120), 1000, 0).unwrap().grouped());
    /// ```
    pub fn grouped(&self) -> bool {
        self.raw.runs == GROUPED
    }

    /// The `entry_bits` bits of a slot holding arc `s`, whose hashed key is
    /// `h` (its first field in the low bits), as [`TableWriter`] and
    /// [`TableStream`] store them, with `field` in its displacement or offset
    /// field: `slot - home + 1` in a scanned table, the run offset plus one in
    /// a run-offset table (a grouped table stores the word and the
    /// probability, and ignores `field` and `h`). Each value is cut to its field's width (a wider
    /// one never spills into the next field); the writers refuse such values
    /// with an error instead.
    ///
    /// ```
    /// use dashlm::format::table::{Layout, Slot, Widths};
    /// let widths = Widths { ctx: 8, word: 8, prob: 8, nodes: false, backoff: 0 };
    /// let layout = Layout::new(widths.layout(4, 4, 0), 200, 0).unwrap();
    /// let arc = Slot { ctx: 1, word: 2, prob: 5, ..Slot::default() };
    /// let h = widths.codec(4).hash(1, 2);
    /// // Scanned: the complemented remainder, displacement + 1 (1 bit here), prob.
    /// let bits = layout.encode(1, h, &arc);
    /// let r = layout.rem_bits();
    /// assert_eq!(bits & ((1 << r) - 1), u128::from(!h) & ((1 << r) - 1));
    /// assert_eq!((bits >> r & 1, bits >> (r + 1)), (1, 5));
    /// // 8-bit probabilities: 0x105 is cut to 5; the 1-bit field 3 to 1.
    /// assert_eq!(layout.encode(3, h, &Slot { prob: 0x105, ..arc }), bits);
    /// ```
    #[inline]
    pub fn encode(&self, field: u64, h: u64, s: &Slot) -> u128 {
        let field = field & self.offset_mask();
        let tag = if self.grouped() {
            u64::from(s.word) & mask(u32::from(self.raw.word_bits))
        } else if self.runs() {
            field | self.rem_field(h)
        } else {
            field << self.codec.rem_bits | (!h & mask(self.codec.rem_bits))
        };
        let prob = u64::from(s.prob) & mask(u32::from(self.raw.prob_bits));
        let mut bits = u128::from(tag) | u128::from(prob) << self.prob_at;
        if self.raw.has_nodes == 1 {
            let backoff = u64::from(s.backoff) & mask(u32::from(self.raw.backoff_bits));
            bits |= u128::from(s.node) << self.node_at
                | u128::from(s.left) << self.left_at
                | u128::from(backoff) << self.backoff_at;
        }
        bits
    }

    /// The hashed key of arc `s` and its home.
    #[inline]
    pub(super) fn hash_home(&self, s: &Slot) -> (u64, u64) {
        let h = self.codec.hash(s.ctx, s.word);
        (h, self.codec.home(h))
    }

    /// The offset field in the bits of a slot's first 57 bits (run-offset
    /// tables).
    #[inline(always)]
    pub(super) fn offset_field(&self, word: u64) -> u64 {
        word & self.offset_mask()
    }

    /// `word` (a slot's first bits) with its offset field set to `offset`.
    #[inline(always)]
    pub(super) fn with_offset_field(&self, word: u64, offset: u64) -> u64 {
        (word & !self.offset_mask()) | offset
    }
}

/// [`Layout::bases_at`] of a hashed table's `raw` layout.
pub(super) fn bases_at(raw: &RawLayout) -> u64 {
    (raw.num_slots * u64::from(raw.entry_bits)).div_ceil(8) + TABLE_PADDING
}

/// The blocks, so the bases, of a run-offset table of `raw` with bases.
pub(super) fn num_bases(raw: &RawLayout) -> u64 {
    raw.num_slots / BASE_BLOCK + 1
}

/// [`Layout::bases_bytes`] of a hashed table's `raw` layout.
pub(super) fn bases_bytes(raw: &RawLayout) -> u64 {
    let bits = u64::from(raw.base_bits);
    if bits == 0 {
        return 0;
    }
    num_bases(raw)
        .saturating_mul(bits)
        .div_ceil(8)
        .saturating_add(8)
}

/// Bits needed for ids `0..count` (at least 1).
///
/// ```
/// use dashlm::format::table::id_bits;
/// assert_eq!(id_bits(1), 1);
/// assert_eq!(id_bits(256), 8); // ids 0..=255
/// assert_eq!(id_bits(257), 9);
/// assert_eq!(id_bits(251_546), 18); // the shared 4-gram's word ids
/// ```
pub fn id_bits(count: u64) -> u32 {
    bits_for(count.saturating_sub(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Places `keys` (hashed) the way the builder does and checks every lookup,
    /// hit and miss, and the decoded slots.
    fn round_trip(widths: Widths, count: u64, load: f64) {
        for (runs, bases) in [(false, false), (true, false), (true, true)] {
            round_trip_kind(widths, count, load, runs, bases);
        }
    }

    /// The block bases of a run-offset table whose arcs of `homes` (in
    /// order) sit in `slots`, with the offset fields each slot must store
    /// checked against their definition.
    fn bases_of(homes: &[u64], slots: &[u64]) -> BlockBases {
        let (mut fields, mut bases) = (RunFields::default(), BlockBases::default());
        let mut seen = Vec::new();
        let mut gather = |settled: Settled, slot: u64, bases: &mut BlockBases| {
            for j in settled.held.clone() {
                seen.push((j, settled.field(j)));
                bases.field(j, settled.field(j));
            }
            if settled.own {
                seen.push((slot, 1));
                bases.field(slot, 1);
            }
        };
        for (&home, &slot) in homes.iter().zip(slots) {
            gather(fields.put(home, slot), slot, &mut bases);
        }
        gather(fields.finish(), u64::MAX, &mut bases);
        bases.finish();
        // 1 + the arcs of earlier homes at or after the slot.
        let expected: Vec<(u64, u64)> = slots
            .iter()
            .map(|&i| {
                let earlier = homes.iter().zip(slots).filter(|&(&h, &s)| h < i && s >= i);
                (i, 1 + earlier.count() as u64)
            })
            .collect();
        assert_eq!(seen, expected);
        bases
    }

    /// [`round_trip`] for one way of finding arcs; the table streamed and the
    /// table written in memory are the same bytes, and `arcs` lists every arc.
    fn round_trip_kind(widths: Widths, count: u64, load: f64, runs: bool, based: bool) {
        let num_homes = ((count as f64 / load).ceil() as u64).max(1);
        let codec = widths.codec(num_homes);
        // `count` distinct random keys, so the table is loaded as asked and
        // arcs pile up past their homes as in a built model (audit 36: keys
        // repeating every 500 put at most 500 arcs in a table, at most load
        // 0.17, and consecutive keys hash to evenly spaced homes).
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(count);
        let mut seen = std::collections::HashSet::new();
        let mut keys: Vec<(u64, u32, u32)> = Vec::new();
        while (keys.len() as u64) < count {
            let (ctx, word) = (rng.gen_range(0..511), rng.gen_range(0..250));
            if seen.insert((ctx, word)) {
                keys.push((codec.hash(ctx, word), ctx, word));
            }
        }
        keys.sort_unstable();
        let mut slots = Vec::new();
        let mut next = 0;
        for &(h, _, _) in &keys {
            let s = codec.home(h).max(next);
            slots.push(s);
            next = s + 1;
        }
        let num_slots = next.max(num_homes);
        let max_d = keys
            .iter()
            .zip(&slots)
            .map(|(&(h, _, _), &s)| s - codec.home(h))
            .max()
            .unwrap_or(0);
        let mut raw = widths.layout(num_homes, num_slots, max_d).with_runs(runs);
        if based {
            let homes: Vec<u64> = keys.iter().map(|&(h, _, _)| codec.home(h)).collect();
            let bases = bases_of(&homes, &slots);
            // At load 0.9 and more some block holds no arc at its own home.
            assert!(load < 0.9 || count < 5000 || bases.max_base() > 0);
            let base_bits = crate::format::bits::bits_for(bases.max_base()).max(1);
            raw = raw.with_bases(base_bits, bases.max_stored());
            assert!(raw.disp_bits <= widths.layout(num_homes, num_slots, max_d).disp_bits);
        }
        // Tables with block bases are only streamed.
        let mut w = (!based).then(|| TableWriter::new(raw, 250).unwrap());
        let mut stream = TableStream::new(raw, 250, Vec::new()).unwrap();
        let arc = |ctx: u32, word: u32| Slot {
            ctx,
            word,
            prob: ((ctx * 1000 + word) as u64 & mask(widths.prob)) as u32,
            node: widths.nodes && word.is_multiple_of(2),
            left: widths.nodes && word.is_multiple_of(3),
            backoff: if widths.nodes {
                (word as u64 & mask(widths.backoff)) as u32
            } else {
                0
            },
        };
        for (&(_, ctx, word), &s) in keys.iter().zip(&slots) {
            if let Some(w) = w.as_mut() {
                w.put(s, &arc(ctx, word)).unwrap();
            }
            stream.put(s, &arc(ctx, word)).unwrap();
        }
        let bytes = stream.finish().unwrap();
        if let Some(w) = w {
            assert_eq!(w.finish(), bytes, "runs {runs}");
        }
        let layout = Layout::new(raw, 250, 0).unwrap();
        let view = TableView::new(&bytes, &layout);
        let probe = Probe::new(&layout, 0..bytes.len());
        for (&(h, ctx, word), &s) in keys.iter().zip(&slots) {
            assert_eq!(view.find(ctx, word), Some(s));
            assert_eq!(view.slot(s), arc(ctx, word));
            // The payload from the bits the scan read equals a fresh read.
            let hit = probe.find_word(&bytes, h, probe.home(h)).unwrap();
            let (slot, payload) = (hit.slot, probe.payload_of(&bytes, &hit));
            assert_eq!(slot, s);
            assert_eq!(payload, view.payload(s));
            // The query's unchecked reads (the table ends the file here).
            let found = probe.find_payload(&bytes, h, probe.home(h));
            assert_eq!(found, Some((s, payload)));
            if !runs {
                assert_eq!(probe.find_payload_scanned(&bytes, h, probe.home(h)), found);
            }
        }
        let present: std::collections::HashSet<_> = keys.iter().map(|&(_, c, w)| (c, w)).collect();
        for ctx in 0..511 {
            for word in (0..250).step_by(7) {
                if !present.contains(&(ctx, word)) {
                    assert_eq!(view.find(ctx, word), None, "{ctx} {word}");
                    let (h, home) = probe.locate(ctx, word);
                    assert_eq!(probe.find_payload(&bytes, h, home), None, "{ctx} {word}");
                }
            }
        }
        let filled = (0..num_slots).filter(|&s| !view.is_empty(s)).count();
        assert_eq!(filled, keys.len());
        let listed: Vec<(u64, Slot)> = view.arcs().collect();
        let expected: Vec<(u64, Slot)> = keys
            .iter()
            .zip(&slots)
            .map(|(&(_, ctx, word), &s)| (s, arc(ctx, word)))
            .collect();
        assert_eq!(listed, expected, "runs {runs} bases {based}");
    }

    /// A grouped layout's `encode` cuts the word to its field, as the doc
    /// says every value is (audit 36: a word wider than `word_bits` spilled
    /// into the probability; the writers refuse such words first).
    #[test]
    fn grouped_encode_cuts_the_word_to_its_field() {
        let widths = Widths {
            ctx: 8,
            word: 8,
            prob: 8,
            nodes: false,
            backoff: 0,
        };
        let layout = Layout::new(widths.grouped_layout(100, 120), 200, 0).unwrap();
        let arc = Slot {
            ctx: 1,
            word: 0x105,
            prob: 2,
            ..Slot::default()
        };
        assert_eq!(layout.encode(0, 0, &arc), 2 << 8 | 5);
    }

    #[test]
    fn tables_round_trip_at_any_load() {
        let f32_middle = Widths {
            ctx: 9,
            word: 8,
            prob: 32,
            nodes: true,
            backoff: 32,
        };
        for (count, load) in [
            (1, 0.8),
            (2, 1.0),
            (10, 0.5),
            (3000, 0.8),
            (5000, 0.95),
            (20000, 0.9),
        ] {
            round_trip(f32_middle, count, load);
        }
    }

    /// Every way a slot's fields fall relative to the bits a scan reads: the
    /// probability inside or after them, the flags and backoff inside the
    /// probability's word or after it.
    #[test]
    fn tables_round_trip_at_any_width() {
        let w = |ctx, word, prob, nodes, backoff| Widths {
            ctx,
            word,
            prob,
            nodes,
            backoff,
        };
        for widths in [
            w(9, 8, 32, true, 32),
            w(30, 20, 32, true, 32),
            w(30, 20, 16, true, 16),
            w(9, 8, 16, true, 16),
            w(9, 8, 8, true, 8),
            w(30, 20, 8, true, 8),
            w(9, 8, 32, false, 0),
            w(30, 20, 32, false, 0),
            w(12, 10, 16, false, 0),
        ] {
            round_trip(widths, 3000, 0.8);
        }
    }
}
