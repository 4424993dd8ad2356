//! Writing arc tables ([`crate::format::table`]) in memory, in any slot order
//! ([`TableWriter`]); [`crate::format::table::TableStream`] streams them in
//! increasing slot order.
//!
//! In a run-offset table a slot's offset field depends on the arcs after it
//! (how many of them belong to earlier homes). [`TableWriter`] stores each
//! arc's displacement there first and turns them into offsets in one pass
//! ([`TableWriter::seal`]).

use super::bits::{mask, read_word, BitWriter};
use super::error::FormatError;
use super::grouped;
use super::header::RawLayout;
use super::table::{Layout, Slot, TableView, TABLE_PADDING};

/// The layout of a table being written: [`Layout::new`]'s errors, with
/// offset 0.
pub(super) fn checked(raw: RawLayout, vocab_size: u32) -> Result<Layout, FormatError> {
    Layout::new(raw, vocab_size, 0)
}

/// Whether every field of arc `s` fits its width in `raw` (the flags and
/// backoff of a table without them are not stored, so any values do).
pub(super) fn fields_fit(raw: &RawLayout, slot: u64, s: &Slot) -> Result<(), FormatError> {
    let fits = |value: u32, bits: u8| u64::from(value) <= mask(u32::from(bits));
    let backoff_bits = if raw.has_nodes == 1 {
        raw.backoff_bits
    } else {
        32
    };
    if fits(s.ctx, raw.ctx_bits)
        && fits(s.word, raw.word_bits)
        && fits(s.prob, raw.prob_bits)
        && fits(s.backoff, backoff_bits)
    {
        return Ok(());
    }
    let problem = format!("{s:?} has a field wider than the layout's {raw:?}");
    Err(refused("slot", slot, problem))
}

/// The error of a write the table cannot take.
fn refused(field: &'static str, slot: u64, problem: String) -> FormatError {
    FormatError::field(field, slot, problem)
}

/// Bits of a table of `raw`'s slots, padding included.
fn total_bits(raw: &RawLayout) -> u64 {
    raw.num_slots * u64::from(raw.entry_bits) + TABLE_PADDING * 8
}

/// Writes a table in memory, slot by slot in any order; unwritten slots stay empty.
///
/// ```
/// use dashlm::format::table::{Layout, Slot, TableView, TableWriter, Widths};
/// let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
/// let raw = widths.layout(4, 4, 0);
/// let codec = widths.codec(4);
/// let home = codec.home(codec.hash(1, 2));
/// let mut w = TableWriter::new(raw, 200).unwrap();
/// w.put(home, &Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() }).unwrap();
/// let bytes = w.finish(); // sealed
/// let layout = Layout::new(raw, 200, 0).unwrap();
/// assert_eq!(TableView::new(&bytes, &layout).find(1, 2), Some(home));
/// ```
#[derive(Debug)]
pub struct TableWriter {
    layout: Layout,
    bits: BitWriter,
    /// Whether the offset fields hold offsets (else displacements plus one).
    sealed: bool,
}

impl TableWriter {
    /// A table of empty slots (all zero bits).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let w = TableWriter::new(raw, 200).unwrap();
    /// assert_eq!(w.bytes().len() as u64, w.layout().table_bytes());
    /// assert!(w.bytes().iter().all(|&b| b == 0));
    /// // A layout `Layout::new` refuses is refused here too.
    /// assert!(TableWriter::new(raw, 1 << 20).is_err()); // 8-bit word ids
    /// // Grouped tables are streamed.
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// assert!(TableWriter::new(widths.grouped_layout(4, 4), 200).is_err());
    /// // So are tables with block bases.
    /// assert!(TableWriter::new(raw.with_runs(true).with_bases(3, 1), 200).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Layout::new`]'s, for a layout that is not valid for `vocab_size`;
    /// [`FormatError::Field`] if the table's bytes cannot be allocated, or
    /// for a grouped layout or one with block bases (see
    /// [`crate::format::table::TableStream`]).
    pub fn new(raw: RawLayout, vocab_size: u32) -> Result<TableWriter, FormatError> {
        let layout = checked(raw, vocab_size)?;
        if layout.grouped() {
            let problem = "a grouped table is written in slot order, by a TableStream";
            return Err(grouped::refused(problem.into()));
        }
        if raw.base_bits > 0 {
            let problem = "a table with block bases is written in slot order, by a TableStream";
            return Err(FormatError::field("table layout", 0, problem.into()));
        }
        // At most 2^40 slots of at most 123 bits (checked by `Layout::new`):
        // the bytes are allocated fallibly rather than aborting.
        let bits = BitWriter::try_zeroed(total_bits(&raw)).ok_or_else(|| {
            let problem = format!("{} bytes cannot be allocated", layout.table_bytes());
            FormatError::field("table layout", 0, problem)
        })?;
        Ok(TableWriter {
            layout,
            bits,
            sealed: false,
        })
    }

    /// Writes arc `s` into the empty slot `slot`, at or after the arc's home
    /// (the builder places arcs; see [`crate::format::table`]), before
    /// [`TableWriter::seal`].
    ///
    /// # Errors
    /// [`FormatError::Field`] (nothing written) for a slot outside the table,
    /// before the arc's home or too far after it for the displacement field,
    /// a field of `s` wider than the layout's, or a put into a sealed
    /// run-offset table.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let mut w = TableWriter::new(raw, 200).unwrap();
    /// w.put(home, &arc).unwrap(); // the arc's home is free: it goes there
    /// assert!(w.put(4, &arc).is_err()); // past the 4 slots
    /// assert!(w.put(home, &Slot { word: 300, ..arc }).is_err()); // 8-bit words
    /// w.seal();
    /// assert_eq!(w.view().unwrap().find(1, 2), Some(home));
    /// assert_eq!(w.view().unwrap().slot(home), arc);
    /// ```
    pub fn put(&mut self, slot: u64, s: &Slot) -> Result<(), FormatError> {
        let raw = *self.layout.raw();
        if self.sealed && self.layout.runs() {
            return Err(refused("slot", slot, "put after seal".into()));
        }
        let (h, home) = self.layout.hash_home(s);
        if slot >= raw.num_slots || slot < home {
            let problem = format!(
                "slot {slot} (home {home}) outside the table's {} slots or before its home",
                raw.num_slots
            );
            return Err(refused("slot", slot, problem));
        }
        let displacement = slot - home + 1;
        if displacement > mask(u32::from(raw.disp_bits)) {
            let problem = format!(
                "displacement {displacement} exceeds the {}-bit field",
                raw.disp_bits
            );
            return Err(refused("slot", slot, problem));
        }
        fields_fit(&raw, slot, s)?;
        let width = raw.entry_bits;
        let mut bits = self.layout.encode(displacement, h, s);
        let mut pos = slot * u64::from(width);
        let mut left = width;
        while left > 0 {
            let w = left.min(56);
            self.bits.put(pos, bits as u64 & mask(w), w);
            bits >>= w;
            pos += u64::from(w);
            left -= w;
        }
        Ok(())
    }

    /// In a run-offset table, turns the displacements the slots hold into run
    /// offsets (see [`crate::format::table`]): once every arc is in, before
    /// lookups ([`TableWriter::view`]). [`TableWriter::finish`] seals too;
    /// sealing twice, or a scanned table, does nothing.
    ///
    /// ```
    /// # use dashlm::format::table::{Slot, TableWriter, Widths};
    /// let widths = Widths { ctx: 8, word: 8, prob: 0, nodes: false, backoff: 0 };
    /// let codec = widths.codec(4);
    /// let mut w = TableWriter::new(widths.layout(4, 4, 0), 200).unwrap();
    /// w.put(codec.home(codec.hash(1, 2)), &Slot { ctx: 1, word: 2, ..Slot::default() }).unwrap();
    /// w.seal();
    /// assert!(w.view().unwrap().find(1, 2).is_some());
    /// ```
    pub fn seal(&mut self) {
        if std::mem::replace(&mut self.sealed, true) || !self.layout.runs() {
            return;
        }
        let layout = &self.layout;
        let width = u64::from(layout.raw().entry_bits);
        let n = layout.raw().num_slots;
        let field = |bytes: &[u8], slot: u64| layout.offset_field(read_word(bytes, slot * width));
        for i in 0..n {
            if field(self.bits.bytes(), i) == 0 {
                continue;
            }
            // Arcs of homes before `i` at or after it come first there (no arc
            // passes an empty slot).
            let mut j = i;
            while j < n {
                let d = field(self.bits.bytes(), j);
                if d == 0 || (j + 1).saturating_sub(d) >= i {
                    break;
                }
                j += 1;
            }
            let pos = i * width;
            let word = read_word(self.bits.bytes(), pos) & mask(layout.tag_bits);
            self.bits.set(
                pos,
                layout.with_offset_field(word, j - i + 1),
                layout.tag_bits,
            );
        }
    }

    /// Sets the node and left flags of `slot` where `node` and `left` say so
    /// (flags already set stay set); a no-op for a table without flags.
    ///
    /// # Errors
    /// [`FormatError::Field`] (nothing written) for a slot outside the table.
    ///
    /// ```
    /// use dashlm::format::table::{Slot, TableWriter, Widths};
    /// let widths = Widths { ctx: 8, word: 8, prob: 0, nodes: true, backoff: 0 };
    /// let raw = widths.layout(8, 8, 0);
    /// let codec = widths.codec(8);
    /// let home = codec.home(codec.hash(1, 2));
    /// let mut w = TableWriter::new(raw, 200).unwrap();
    /// w.put(home, &Slot { ctx: 1, word: 2, ..Slot::default() }).unwrap();
    /// w.set_flags(home, false, true).unwrap();
    /// assert!(w.set_flags(8, true, true).is_err()); // past the 8 slots
    /// w.seal();
    /// let view = w.view().unwrap();
    /// assert_eq!(view.find(1, 2), Some(home));
    /// assert!(view.slot(home).left && !view.slot(home).node);
    /// ```
    pub fn set_flags(&mut self, slot: u64, node: bool, left: bool) -> Result<(), FormatError> {
        let raw = self.layout.raw();
        if slot >= raw.num_slots {
            let problem = format!("slot {slot} outside the table's {} slots", raw.num_slots);
            return Err(refused("slot", slot, problem));
        }
        if raw.has_nodes == 1 {
            let at = slot * u64::from(raw.entry_bits) + u64::from(self.layout.node_at);
            self.bits.put(at, u64::from(node) | u64::from(left) << 1, 2);
        }
        Ok(())
    }

    /// The table's layout.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let w = TableWriter::new(raw, 200).unwrap();
    /// assert_eq!(*w.layout().raw(), raw);
    /// assert_eq!(w.layout().rem_bits(), 14); // 16-bit keys, 4 homes: 2 bits implied
    /// ```
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The table bytes written so far, padding included.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let mut w = TableWriter::new(raw, 200).unwrap();
    /// let empty = w.bytes().to_vec();
    /// w.put(home, &arc).unwrap();
    /// assert_eq!(w.bytes().len(), empty.len());
    /// assert_ne!(w.bytes(), &empty[..]);
    /// ```
    pub fn bytes(&self) -> &[u8] {
        self.bits.bytes()
    }

    /// A view of the table, for lookups while it is built: `None` for a
    /// run-offset table not yet sealed (its offset fields still hold
    /// displacements, so lookups would be wrong); a scanned table needs no
    /// sealing.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let mut w = TableWriter::new(raw, 200).unwrap();
    /// w.put(home, &arc).unwrap();
    /// w.seal();
    /// let view = w.view().unwrap();
    /// assert_eq!(view.find(1, 2), Some(home));
    /// assert_eq!(view.payload(home).prob, 7);
    /// let mut runs = TableWriter::new(raw.with_runs(true), 200).unwrap();
    /// assert!(runs.view().is_none()); // not sealed
    /// runs.seal();
    /// assert!(runs.view().is_some());
    /// ```
    pub fn view(&self) -> Option<TableView<'_>> {
        (self.sealed || !self.layout.runs())
            .then(|| TableView::new(self.bits.bytes(), &self.layout))
    }

    /// The table bytes, padding included.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let mut w = TableWriter::new(raw, 200).unwrap();
    /// w.put(home, &arc).unwrap();
    /// let bytes = w.finish(); // sealed first
    /// let layout = Layout::new(raw, 200, 0).unwrap();
    /// assert_eq!(bytes.len() as u64, layout.table_bytes());
    /// assert_eq!(TableView::new(&bytes, &layout).find(1, 2), Some(home));
    /// ```
    pub fn finish(mut self) -> Vec<u8> {
        self.seal();
        self.bits.finish()
    }
}
