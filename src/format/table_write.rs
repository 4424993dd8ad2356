//! Writing arc tables ([`crate::format::table`]): in memory in any slot order
//! ([`TableWriter`]), or streamed in increasing slot order ([`TableStream`]).
//!
//! In a run-offset table a slot's offset field depends on the arcs after it
//! (how many of them belong to earlier homes). [`TableWriter`] stores each
//! arc's displacement there first and turns them into offsets in one pass
//! ([`TableWriter::seal`]); [`TableStream`] holds back the slots whose offset
//! is not known yet (at most the largest displacement of them).

use std::collections::VecDeque;
use std::io::{self, Write};

use super::bits::{mask, read_word, BitWriter};
use super::error::FormatError;
use super::grouped;
use super::groups::GroupsWriter;
use super::header::RawLayout;
use super::table::{Layout, Slot, TableView, TABLE_PADDING};

/// The layout of a table being written: [`Layout::new`]'s errors, with
/// offset 0.
fn checked(raw: RawLayout, vocab_size: u32) -> Result<Layout, FormatError> {
    Layout::new(raw, vocab_size, 0)
}

/// Whether every field of arc `s` fits its width in `raw` (the flags and
/// backoff of a table without them are not stored, so any values do).
fn fields_fit(raw: &RawLayout, slot: u64, s: &Slot) -> Result<(), FormatError> {
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
    /// ```
    ///
    /// # Errors
    /// [`Layout::new`]'s, for a layout that is not valid for `vocab_size`;
    /// [`FormatError::Field`] if the table's bytes cannot be allocated, or
    /// for a grouped layout (see [`TableStream`]).
    pub fn new(raw: RawLayout, vocab_size: u32) -> Result<TableWriter, FormatError> {
        let layout = checked(raw, vocab_size)?;
        if layout.grouped() {
            let problem = "a grouped table is written in slot order, by a TableStream";
            return Err(grouped::refused(problem.into()));
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

/// Bytes buffered by a [`TableStream`] between writes.
const STREAM_BUFFER: usize = 1 << 16;

/// Writes a table to `out` slot by slot in increasing slot order, holding only
/// a small buffer: skipped slots are empty. The bytes equal [`TableWriter`]'s
/// for the same arcs.
///
/// ```
/// use dashlm::format::table::{Slot, TableStream, TableWriter, Widths};
/// let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: true, backoff: 32 };
/// let codec = widths.codec(8);
/// let mut arcs: Vec<Slot> = [(1, 2), (3, 4), (5, 6)]
///     .map(|(ctx, word)| Slot { ctx, word, prob: 7, node: ctx == 1, ..Slot::default() })
///     .to_vec();
/// arcs.sort_by_key(|a| codec.hash(a.ctx, a.word));
/// // Each at the first free slot at or after its home.
/// let mut next = 0;
/// let slots: Vec<u64> = arcs.iter().map(|a| {
///     let s = codec.home(codec.hash(a.ctx, a.word)).max(next);
///     next = s + 1;
///     s
/// }).collect();
/// let raw = widths.layout(8, next.max(8), 2).with_runs(true);
/// let mut memory = TableWriter::new(raw, 200).unwrap();
/// let mut stream = TableStream::new(raw, 200, Vec::new()).unwrap();
/// for (slot, arc) in slots.iter().zip(&arcs) {
///     memory.put(*slot, arc).unwrap();
///     stream.put(*slot, arc).unwrap();
/// }
/// assert_eq!(stream.finish().unwrap(), memory.finish());
/// ```
#[derive(Debug)]
pub struct TableStream<W: Write> {
    layout: Layout,
    out: W,
    /// Slots written to the output so far.
    next: u64,
    /// One past the last slot given to [`TableStream::put`].
    end: u64,
    /// Arcs put but not written, each of a home before its slot: their slot
    /// and bits, offset field still 0. A slot's offset is known once an arc
    /// of its home or a later one comes (or the table ends).
    held: VecDeque<(u64, u128)>,
    /// Bits not yet in `buf` (`pending` of them, fewer than 64).
    acc: u128,
    pending: u32,
    buf: Vec<u8>,
    /// Grouped tables: the arcs' contexts so far, and the last arc's key.
    groups: Option<(GroupsWriter, Option<(u32, u32)>)>,
}

impl<W: Write> TableStream<W> {
    /// A table of `raw` written to `out`.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let stream = TableStream::new(raw, 200, Vec::new()).unwrap();
    /// // No arcs: the bytes of an empty table, as TableWriter writes them.
    /// let bytes = stream.finish().unwrap();
    /// assert_eq!(bytes, TableWriter::new(raw, 200).unwrap().finish());
    /// assert!(TableStream::new(raw, 1 << 20, Vec::new()).is_err()); // 8-bit word ids
    /// ```
    ///
    /// # Errors
    /// [`Layout::new`]'s, for a layout that is not valid for `vocab_size`.
    pub fn new(raw: RawLayout, vocab_size: u32, out: W) -> Result<TableStream<W>, FormatError> {
        let layout = checked(raw, vocab_size)?;
        let groups = layout
            .grouped()
            .then(|| (GroupsWriter::new(raw.num_homes, raw.num_slots), None));
        Ok(TableStream {
            groups,
            layout,
            out,
            next: 0,
            end: 0,
            held: VecDeque::new(),
            acc: 0,
            pending: 0,
            buf: Vec::with_capacity(STREAM_BUFFER + 8),
        })
    }

    /// Appends the low `width` (<= 64) bits of `value`.
    #[inline(always)]
    fn push(&mut self, value: u64, width: u32) -> io::Result<()> {
        self.acc |= u128::from(value) << self.pending;
        self.pending += width;
        if self.pending >= 64 {
            self.buf.extend_from_slice(&(self.acc as u64).to_le_bytes());
            self.acc >>= 64;
            self.pending -= 64;
            if self.buf.len() >= STREAM_BUFFER {
                self.out.write_all(&self.buf)?;
                self.buf.clear();
            }
        }
        Ok(())
    }

    fn zeros(&mut self, mut bits: u64) -> io::Result<()> {
        while bits > 0 {
            let w = bits.min(64) as u32;
            self.push(0, w)?;
            bits -= u64::from(w);
        }
        Ok(())
    }

    /// Writes arc `s` into `slot`, which must follow every slot written so far
    /// and lie at or after the arc's home (arcs come in hash order); in a
    /// grouped table, the next slot, arcs in increasing `(ctx, word)` order.
    ///
    /// # Errors
    /// I/O errors from the output; `InvalidInput` for a slot out of order,
    /// before its home, past the table or too far after its home for the
    /// displacement field, or an arc with a field wider than the layout's
    /// (or out of order, or of a context past the last, in a grouped table).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let mut stream = TableStream::new(raw, 200, Vec::new()).unwrap();
    /// stream.put(home, &arc).unwrap();
    /// // Slots come in increasing order: the same slot again is refused.
    /// let err = stream.put(home, &arc).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// let bytes = stream.finish().unwrap();
    /// let layout = Layout::new(raw, 200, 0).unwrap();
    /// assert_eq!(TableView::new(&bytes, &layout).find(1, 2), Some(home));
    /// ```
    pub fn put(&mut self, slot: u64, s: &Slot) -> io::Result<()> {
        if self.groups.is_some() {
            return self.put_grouped(slot, s);
        }
        let (h, home) = self.layout.hash_home(s);
        if slot < self.end || slot < home || slot >= self.layout.raw().num_slots {
            return Err(invalid(format!(
                "slot {slot} (home {home}) written out of order or outside the table"
            )));
        }
        let raw = *self.layout.raw();
        fields_fit(&raw, slot, s).map_err(|e| invalid(e.to_string()))?;
        if !self.layout.runs() && slot - home + 1 > mask(u32::from(raw.disp_bits)) {
            return Err(invalid(format!(
                "slot {slot}: displacement {} exceeds the {}-bit field",
                slot - home + 1,
                raw.disp_bits
            )));
        }
        // Every arc before this one has a home before the held slots': their
        // homes' runs start after the last of them.
        while let Some(&(j, bits)) = self.held.front() {
            if j > home {
                break;
            }
            self.held.pop_front();
            self.emit(j, bits, self.end - j + 1)?;
        }
        self.end = slot + 1;
        if !self.layout.runs() {
            let bits = self.layout.encode(slot - home + 1, h, s);
            return self.emit(slot, bits, 0);
        }
        let bits = self.layout.encode(0, h, s);
        if home == slot {
            self.emit(slot, bits, 1)
        } else {
            self.held.push_back((slot, bits));
            Ok(())
        }
    }

    /// [`TableStream::put`] into a grouped table: every slot holds an arc,
    /// in increasing `(ctx, word)` order.
    fn put_grouped(&mut self, slot: u64, s: &Slot) -> io::Result<()> {
        let raw = *self.layout.raw();
        if slot != self.next || slot >= raw.num_slots {
            return Err(invalid(format!(
                "slot {slot}: a grouped table's {} arcs are written in slot order, from 0",
                raw.num_slots
            )));
        }
        fields_fit(&raw, slot, s).map_err(|e| invalid(e.to_string()))?;
        let (groups, last) = self.groups.as_mut().expect("a grouped table");
        if let Some(before) = last.filter(|&before| before >= (s.ctx, s.word)) {
            return Err(invalid(format!(
                "slot {slot}: arc {:?} after arc {before:?}: a grouped table's arcs go in increasing (ctx, word) order",
                (s.ctx, s.word)
            )));
        }
        groups
            .push(u64::from(s.ctx))
            .map_err(|e| invalid(format!("slot {slot}: {e}")))?;
        *last = Some((s.ctx, s.word));
        // A grouped arc stores its word, not a hash: no key to pass.
        self.emit(slot, self.layout.encode(0, 0, s), 0)
    }

    /// Writes the groups block of a grouped table after its arcs.
    fn finish_groups(&mut self) -> io::Result<()> {
        let Some((groups, _)) = self.groups.take() else {
            return Ok(());
        };
        let block = groups.finish().map_err(|e| invalid(e.to_string()))?;
        self.zeros(u64::from((8 - self.pending % 8) % 8))?;
        for chunk in block.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.push(u64::from_le_bytes(word), 8 * chunk.len() as u32)?;
        }
        Ok(())
    }

    /// Writes `bits` (offset field 0) into `slot` with offset field `offset`
    /// (0 in a scanned table).
    fn emit(&mut self, slot: u64, bits: u128, offset: u64) -> io::Result<()> {
        let raw = *self.layout.raw();
        if offset > mask(u32::from(raw.disp_bits)) {
            return Err(invalid(format!(
                "slot {slot}: offset {offset} exceeds the {}-bit field",
                raw.disp_bits
            )));
        }
        let width = raw.entry_bits;
        self.zeros((slot - self.next) * u64::from(width))?;
        let bits = bits | u128::from(offset);
        self.push(bits as u64 & mask(width.min(64)), width.min(64))?;
        if width > 64 {
            self.push((bits >> 64) as u64, width - 64)?;
        }
        self.next = slot + 1;
        Ok(())
    }

    /// Writes the remaining empty slots (of a grouped table: its groups
    /// block) and the padding; returns the output.
    ///
    /// # Errors
    /// I/O errors from the output; a grouped table missing arcs.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let mut stream = TableStream::new(raw, 200, Vec::new()).unwrap();
    /// stream.put(home, &arc).unwrap();
    /// let bytes: Vec<u8> = stream.finish().unwrap(); // the output, a Vec here
    /// let mut memory = TableWriter::new(raw, 200).unwrap();
    /// memory.put(home, &arc).unwrap();
    /// assert_eq!(bytes, memory.finish());
    /// ```
    pub fn finish(mut self) -> io::Result<W> {
        // No arc of a later home came: the held runs start past the last arc.
        while let Some((j, bits)) = self.held.pop_front() {
            self.emit(j, bits, self.end - j + 1)?;
        }
        let raw = *self.layout.raw();
        self.zeros((raw.num_slots - self.next) * u64::from(raw.entry_bits))?;
        self.finish_groups()?;
        self.zeros(TABLE_PADDING * 8)?;
        let tail = self.acc.to_le_bytes();
        self.buf
            .extend_from_slice(&tail[..self.pending.div_ceil(8) as usize]);
        self.out.write_all(&self.buf)?;
        Ok(self.out)
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}
