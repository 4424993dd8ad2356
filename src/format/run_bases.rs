//! Offset fields of run-offset tables, as the arcs are placed, and the block
//! bases that narrow them (see [`crate::format::table`]).
//!
//! A run-offset table's offset fields follow a random walk from slot to slot
//! (each home adds its arcs and takes one slot), so within a block of
//! [`BASE_BLOCK`] slots they stay close together: stored less the least of
//! them (the block's *base*), they take fewer bits. On the shared 4-gram's q8
//! tables (load 0.96) offsets of 7 bits become 5, plus a 7-bit base per 32
//! slots.

use std::ops::Range;

use super::bits::bits_for;
use super::header::RawLayout;
use super::table::{self, BASE_BLOCK, MAX_BASE_BITS};

/// Follows the arcs of a run-offset table as they are placed (in increasing
/// hash order, so increasing home and slot) and tells which slots' offset
/// fields became known, in increasing slot order.
///
/// ```
/// use dashlm::format::table::RunFields;
/// let mut fields = RunFields::default();
/// // Home 0's two arcs take slots 0 and 1; then an arc of home 1 goes to slot 2.
/// assert!(fields.put(0, 0).own);
/// let second = fields.put(0, 1);
/// assert!(!second.own && second.held.is_empty()); // slot 1 waits
/// let third = fields.put(1, 2);
/// // Home 1's run starts at slot 2: slot 1's field is 1 + 1.
/// assert_eq!(third.held, 1..2);
/// assert_eq!(third.field(1), 2);
/// assert!(!third.own);
/// let last = fields.finish();
/// assert_eq!((last.field(2), last.held), (2, 2..3)); // no later home: past slot 2
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RunFields {
    /// The occupied slots whose field is not known yet: `lo..end`.
    lo: u64,
    /// One past the last slot placed.
    end: u64,
}

/// What one placement settled: the fields of `held` and, if `own`, of the
/// arc's own slot (1: its home's run starts there).
///
/// ```
/// use dashlm::format::table::RunFields;
/// let mut fields = RunFields::default();
/// let first = fields.put(2, 2); // at its home: its slot's field is 1
/// assert!(first.own && first.held.is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settled {
    /// Earlier slots whose fields are now known.
    pub held: Range<u64>,
    /// Where the runs of the homes of `held` start (one past the arcs placed
    /// before this one).
    run_start: u64,
    /// Whether the arc sits at its home (its slot's field is 1).
    pub own: bool,
}

impl Settled {
    /// The offset field of slot `j` of [`Settled::held`]: 1 + how far past
    /// `j` the run of home `j` starts.
    ///
    /// ```
    /// # use dashlm::format::table::RunFields;
    /// let mut fields = RunFields::default();
    /// fields.put(3, 3);
    /// fields.put(3, 4);
    /// fields.put(3, 5);
    /// let s = fields.put(9, 9); // slots 4 and 5 hold arcs of home 3
    /// assert_eq!(s.held, 4..6);
    /// assert_eq!((s.field(4), s.field(5)), (3, 2)); // runs of homes 4, 5 start at 6
    /// ```
    pub fn field(&self, j: u64) -> u64 {
        self.run_start - j + 1
    }
}

impl RunFields {
    /// The next arc, of `home`, placed at `slot` (the first free slot at or
    /// after `home`).
    ///
    /// ```
    /// # use dashlm::format::table::RunFields;
    /// let mut fields = RunFields::default();
    /// fields.put(0, 0);
    /// assert!(fields.put(0, 1).held.is_empty()); // slot 1 waits for a later home
    /// assert_eq!(fields.put(5, 5).held, 1..2); // home 5 settles it
    /// ```
    pub fn put(&mut self, home: u64, slot: u64) -> Settled {
        // Held slots up to `home` hold arcs of earlier homes: the runs of
        // their homes start after them, where the arcs placed so far end.
        let upto = home.saturating_add(1).min(self.end).max(self.lo);
        let settled = Settled {
            held: self.lo..upto,
            run_start: self.end,
            own: slot == home,
        };
        self.lo = if settled.own { slot + 1 } else { upto };
        self.end = slot + 1;
        settled
    }

    /// Settles the slots still held once every arc is placed: no later home
    /// came, so their homes' runs start past the last arc.
    ///
    /// ```
    /// # use dashlm::format::table::RunFields;
    /// let mut fields = RunFields::default();
    /// fields.put(0, 0);
    /// fields.put(0, 1);
    /// let last = fields.finish();
    /// assert_eq!((last.field(1), last.held), (2, 1..2)); // home 1's run: past slot 1
    /// ```
    pub fn finish(self) -> Settled {
        Settled {
            held: self.lo..self.end,
            run_start: self.end,
            own: false,
        }
    }
}

/// Gathers the offset fields of a run-offset table's slots, in increasing
/// slot order, block by block: each block's base (its least field less one,
/// or 0 for a block of empty slots) and the widths the bases and the fields
/// less them need.
///
/// ```
/// use dashlm::format::table::BlockBases;
/// let mut bases = BlockBases::default();
/// assert_eq!(bases.field(0, 9), None);
/// assert_eq!(bases.field(1, 12), None);
/// assert_eq!(bases.field(40, 3), Some((0, 8))); // block 0 done: base 9 - 1
/// assert_eq!(bases.finish(), Some((1, 2)));
/// // Block 0 stores 1 and 4, block 1 stores 1.
/// assert_eq!((bases.max_base(), bases.max_stored()), (8, 4));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockBases {
    /// The block being gathered, and its least and greatest fields (least
    /// 0: no field yet).
    block: u64,
    least: u64,
    most: u64,
    max_base: u64,
    max_stored: u64,
}

impl BlockBases {
    /// The offset field `field` (at least 1) of occupied slot `slot`; returns
    /// `(block, base)` when the slot closes the block before it.
    ///
    /// ```
    /// # use dashlm::format::table::BlockBases;
    /// let mut bases = BlockBases::default();
    /// assert_eq!(bases.field(31, 4), None);
    /// assert_eq!(bases.field(32, 9), Some((0, 3))); // block 0's base: 4 - 1
    /// ```
    pub fn field(&mut self, slot: u64, field: u64) -> Option<(u64, u64)> {
        let block = slot / BASE_BLOCK;
        let done = (block != self.block).then(|| self.finish()).flatten();
        self.block = block;
        self.least = if self.least == 0 {
            field
        } else {
            self.least.min(field)
        };
        self.most = self.most.max(field);
        done
    }

    /// Closes the block being gathered: its `(block, base)`, if it has a
    /// field.
    ///
    /// ```
    /// # use dashlm::format::table::BlockBases;
    /// let mut bases = BlockBases::default();
    /// assert_eq!(bases.finish(), None); // no field yet
    /// bases.field(70, 5);
    /// assert_eq!(bases.finish(), Some((2, 4)));
    /// ```
    pub fn finish(&mut self) -> Option<(u64, u64)> {
        if self.least == 0 {
            return None;
        }
        let base = self.least - 1;
        self.max_base = self.max_base.max(base);
        self.max_stored = self.max_stored.max(self.most - base);
        (self.least, self.most) = (0, 0);
        Some((self.block, base))
    }

    /// The largest base of the blocks closed.
    ///
    /// ```
    /// # use dashlm::format::table::BlockBases;
    /// let mut bases = BlockBases::default();
    /// bases.field(0, 6);
    /// assert_eq!(bases.max_base(), 0); // its block is not closed yet
    /// bases.finish();
    /// assert_eq!(bases.max_base(), 5);
    /// ```
    pub fn max_base(&self) -> u64 {
        self.max_base
    }

    /// The largest field less its base of the blocks closed.
    ///
    /// ```
    /// # use dashlm::format::table::BlockBases;
    /// let mut bases = BlockBases::default();
    /// bases.field(0, 6);
    /// bases.field(1, 9);
    /// bases.finish();
    /// assert_eq!(bases.max_stored(), 4); // 9 less the base 5
    /// ```
    pub fn max_stored(&self) -> u64 {
        self.max_stored
    }

    /// `raw` (a run-offset layout) with block bases sized by the closed
    /// blocks when that makes the table smaller and the bases fit
    /// [`MAX_BASE_BITS`]; else `raw` as it is.
    ///
    /// ```
    /// use dashlm::format::table::{BlockBases, Widths};
    /// let raw = Widths { ctx: 10, word: 10, prob: 8, nodes: false, backoff: 0 }
    ///     .layout(1000, 1000, 100)
    ///     .with_runs(true);
    /// let mut bases = BlockBases::default();
    /// for slot in 0..1000 {
    ///     bases.field(slot, 90 + slot % 4); // fields 90..=93
    /// }
    /// bases.finish();
    /// let based = bases.layout(raw);
    /// // 7-bit bases (89) and 3-bit fields (1..=4) instead of 7-bit fields.
    /// assert_eq!((based.base_bits, based.disp_bits), (7, 3));
    /// ```
    pub fn layout(&self, raw: RawLayout) -> RawLayout {
        let base_bits = bits_for(self.max_base).max(1);
        if raw.runs != 1 || base_bits > MAX_BASE_BITS {
            return raw;
        }
        let based = raw.with_bases(base_bits, self.max_stored);
        let bytes = |r: &RawLayout| table::bases_at(r) + table::bases_bytes(r);
        if bytes(&based) < bytes(&raw) {
            based
        } else {
            raw
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::table::Widths;

    /// The run-offset layout of `slots` slots with offset fields up to
    /// `max_field`, and its block bases when every slot's field is
    /// `field(slot)`.
    fn layouts(slots: u64, max_field: u64, field: impl Fn(u64) -> u64) -> (RawLayout, RawLayout) {
        let widths = Widths {
            ctx: 10,
            word: 10,
            prob: 8,
            nodes: false,
            backoff: 0,
        };
        let raw = widths.layout(slots, slots, max_field).with_runs(true);
        let mut bases = BlockBases::default();
        for slot in 0..slots {
            bases.field(slot, field(slot));
        }
        bases.finish();
        (raw, bases.layout(raw))
    }

    /// Bases of [`MAX_BASE_BITS`] bits are used; one bit more, the table
    /// keeps its raw fields.
    #[test]
    fn bases_are_at_most_max_base_bits_wide() {
        let (raw, based) = layouts(1000, 1 << 29, |slot| (1 << 27) + 1 + slot % 4);
        assert_eq!((raw.base_bits, raw.disp_bits), (0, 30));
        assert_eq!((based.base_bits, based.disp_bits), (MAX_BASE_BITS as u8, 3));
        let (raw, based) = layouts(1000, 1 << 29, |slot| (1 << 28) + 1 + slot % 4);
        assert_eq!(based, raw);
    }

    /// Bases are used only when they make the table smaller: not when they
    /// narrow no field, nor when the bits they save only pay for themselves.
    #[test]
    fn bases_that_do_not_shrink_the_table_are_left_out() {
        // Fields 1..=8 with 4-bit raw fields: bases of 0 save nothing.
        let (raw, based) = layouts(1000, 14, |slot| 1 + slot % 8);
        assert_eq!((raw.base_bits, raw.disp_bits), (0, 4));
        assert_eq!(based, raw);
        // 72 slots, fields 2..=8 less bases of 1: 3-bit fields save 9 bytes,
        // which the 3 one-bit bases and their 8 bytes of padding take.
        let (raw, based) = layouts(72, 14, |slot| 2 + slot % 7);
        let narrower = raw.with_bases(1, 7);
        assert_eq!(narrower.disp_bits, 3);
        let bytes = |r: &RawLayout| table::bases_at(r) + table::bases_bytes(r);
        assert_eq!(bytes(&narrower), bytes(&raw));
        assert_eq!(based, raw);
    }
}
