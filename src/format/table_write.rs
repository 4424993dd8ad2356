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
use super::header::RawLayout;
use super::table::{Layout, Slot, TableView, TABLE_PADDING};

/// The layout of a table being written.
///
/// # Panics
/// If `raw` is not a valid layout (a builder bug).
fn checked(raw: RawLayout, vocab_size: u32) -> Layout {
    Layout::new(raw, vocab_size, 0).expect("builder computed a valid layout")
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
/// let mut w = TableWriter::new(raw, 200);
/// w.put(home, &Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() });
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
    /// let w = TableWriter::new(raw, 200);
    /// assert_eq!(w.bytes().len() as u64, w.layout().table_bytes());
    /// assert!(w.bytes().iter().all(|&b| b == 0));
    /// ```
    ///
    /// # Panics
    /// If `raw` is not a valid layout (a builder bug).
    pub fn new(raw: RawLayout, vocab_size: u32) -> TableWriter {
        TableWriter {
            layout: checked(raw, vocab_size),
            bits: BitWriter::zeroed(total_bits(&raw)),
            sealed: false,
        }
    }

    /// Writes arc `s` into the empty slot `slot`, at or after the arc's home
    /// (the builder places arcs; see [`crate::format::table`]), before
    /// [`TableWriter::seal`].
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let mut w = TableWriter::new(raw, 200);
    /// w.put(home, &arc); // the arc's home is free: it goes there
    /// w.seal();
    /// assert_eq!(w.view().find(1, 2), Some(home));
    /// assert_eq!(w.view().slot(home), arc);
    /// ```
    pub fn put(&mut self, slot: u64, s: &Slot) {
        debug_assert!(!self.sealed, "put after seal");
        let (h, home) = self.layout.hash_home(s);
        debug_assert!(slot >= home, "slot {slot} before its home {home}");
        let width = self.layout.raw().entry_bits;
        let mut bits = self.layout.encode(slot.wrapping_sub(home) + 1, h, s);
        let mut pos = slot * u64::from(width);
        let mut left = width;
        while left > 0 {
            let w = left.min(56);
            self.bits.put(pos, bits as u64 & mask(w), w);
            bits >>= w;
            pos += u64::from(w);
            left -= w;
        }
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
    /// let mut w = TableWriter::new(widths.layout(4, 4, 0), 200);
    /// w.put(codec.home(codec.hash(1, 2)), &Slot { ctx: 1, word: 2, ..Slot::default() });
    /// w.seal();
    /// assert!(w.view().find(1, 2).is_some());
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
    /// ```
    /// use dashlm::format::table::{Slot, TableWriter, Widths};
    /// let widths = Widths { ctx: 8, word: 8, prob: 0, nodes: true, backoff: 0 };
    /// let raw = widths.layout(8, 8, 0);
    /// let codec = widths.codec(8);
    /// let home = codec.home(codec.hash(1, 2));
    /// let mut w = TableWriter::new(raw, 200);
    /// w.put(home, &Slot { ctx: 1, word: 2, ..Slot::default() });
    /// w.set_flags(home, false, true);
    /// w.seal();
    /// let view = w.view();
    /// assert_eq!(view.find(1, 2), Some(home));
    /// assert!(view.slot(home).left && !view.slot(home).node);
    /// ```
    pub fn set_flags(&mut self, slot: u64, node: bool, left: bool) {
        if self.layout.raw().has_nodes == 1 {
            let at =
                slot * u64::from(self.layout.raw().entry_bits) + u64::from(self.layout.node_at);
            self.bits.put(at, u64::from(node) | u64::from(left) << 1, 2);
        }
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
    /// let w = TableWriter::new(raw, 200);
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
    /// let mut w = TableWriter::new(raw, 200);
    /// let empty = w.bytes().to_vec();
    /// w.put(home, &arc);
    /// assert_eq!(w.bytes().len(), empty.len());
    /// assert_ne!(w.bytes(), &empty[..]);
    /// ```
    pub fn bytes(&self) -> &[u8] {
        self.bits.bytes()
    }

    /// A view of the table, for lookups while it is built (once sealed).
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let mut w = TableWriter::new(raw, 200);
    /// w.put(home, &arc);
    /// w.seal();
    /// let view = w.view();
    /// assert_eq!(view.find(1, 2), Some(home));
    /// assert_eq!(view.payload(home).prob, 7);
    /// ```
    pub fn view(&self) -> TableView<'_> {
        debug_assert!(self.sealed, "lookups before seal");
        TableView::new(self.bits.bytes(), &self.layout)
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
    /// let mut w = TableWriter::new(raw, 200);
    /// w.put(home, &arc);
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
/// let mut memory = TableWriter::new(raw, 200);
/// let mut stream = TableStream::new(raw, 200, Vec::new());
/// for (slot, arc) in slots.iter().zip(&arcs) {
///     memory.put(*slot, arc);
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
    /// let stream = TableStream::new(raw, 200, Vec::new());
    /// // No arcs: the bytes of an empty table, as TableWriter writes them.
    /// let bytes = stream.finish().unwrap();
    /// assert_eq!(bytes, TableWriter::new(raw, 200).finish());
    /// ```
    ///
    /// # Panics
    /// If `raw` is not a valid layout (a builder bug).
    pub fn new(raw: RawLayout, vocab_size: u32, out: W) -> TableStream<W> {
        TableStream {
            layout: checked(raw, vocab_size),
            out,
            next: 0,
            end: 0,
            held: VecDeque::new(),
            acc: 0,
            pending: 0,
            buf: Vec::with_capacity(STREAM_BUFFER + 8),
        }
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
    /// and lie at or after the arc's home (arcs come in hash order).
    ///
    /// # Errors
    /// I/O errors from the output; `InvalidInput` for a slot out of order,
    /// before its home or past the table.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let mut stream = TableStream::new(raw, 200, Vec::new());
    /// stream.put(home, &arc).unwrap();
    /// // Slots come in increasing order: the same slot again is refused.
    /// let err = stream.put(home, &arc).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// let bytes = stream.finish().unwrap();
    /// let layout = Layout::new(raw, 200, 0).unwrap();
    /// assert_eq!(TableView::new(&bytes, &layout).find(1, 2), Some(home));
    /// ```
    pub fn put(&mut self, slot: u64, s: &Slot) -> io::Result<()> {
        let (h, home) = self.layout.hash_home(s);
        if slot < self.end || slot < home || slot >= self.layout.raw().num_slots {
            return Err(invalid(format!(
                "slot {slot} (home {home}) written out of order or outside the table"
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

    /// Writes the remaining empty slots and the padding; returns the output.
    ///
    /// # Errors
    /// I/O errors from the output.
    ///
    /// ```
    /// # use dashlm::format::table::{Layout, Slot, TableStream, TableView, TableWriter, Widths};
    /// # let widths = Widths { ctx: 8, word: 8, prob: 32, nodes: false, backoff: 0 };
    /// # let raw = widths.layout(4, 4, 0);
    /// # let codec = widths.codec(4);
    /// # let home = codec.home(codec.hash(1, 2));
    /// # let arc = Slot { ctx: 1, word: 2, prob: 7, ..Slot::default() };
    /// let mut stream = TableStream::new(raw, 200, Vec::new());
    /// stream.put(home, &arc).unwrap();
    /// let bytes: Vec<u8> = stream.finish().unwrap(); // the output, a Vec here
    /// let mut memory = TableWriter::new(raw, 200);
    /// memory.put(home, &arc);
    /// assert_eq!(bytes, memory.finish());
    /// ```
    pub fn finish(mut self) -> io::Result<W> {
        // No arc of a later home came: the held runs start past the last arc.
        while let Some((j, bits)) = self.held.pop_front() {
            self.emit(j, bits, self.end - j + 1)?;
        }
        let raw = *self.layout.raw();
        self.zeros((raw.num_slots - self.next) * u64::from(raw.entry_bits) + TABLE_PADDING * 8)?;
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
