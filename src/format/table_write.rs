//! Writing arc tables ([`crate::format::table`]): in memory in any slot order
//! ([`TableWriter`]), or streamed in increasing slot order ([`TableStream`]).

use std::io::{self, Write};

use super::bits::{mask, BitWriter};
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
/// let bytes = w.finish();
/// let layout = Layout::new(raw, 200, 0).unwrap();
/// assert_eq!(TableView::new(&bytes, &layout).find(1, 2), Some(home));
/// ```
#[derive(Debug)]
pub struct TableWriter {
    layout: Layout,
    bits: BitWriter,
}

impl TableWriter {
    /// A table of empty slots (all zero bits).
    ///
    /// # Panics
    /// If `raw` is not a valid layout (a builder bug).
    pub fn new(raw: RawLayout, vocab_size: u32) -> TableWriter {
        TableWriter {
            layout: checked(raw, vocab_size),
            bits: BitWriter::zeroed(total_bits(&raw)),
        }
    }

    /// Writes arc `s` into the empty slot `slot`, at or after the arc's home
    /// (the builder places arcs; see [`crate::format::table`]).
    pub fn put(&mut self, slot: u64, s: &Slot) {
        let width = self.layout.raw().entry_bits;
        let mut bits = self.layout.encode(slot, s);
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
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The table bytes written so far, padding included.
    pub fn bytes(&self) -> &[u8] {
        self.bits.bytes()
    }

    /// A view of the table as written so far, for lookups while it is built.
    pub fn view(&self) -> TableView<'_> {
        TableView::new(self.bits.bytes(), &self.layout)
    }

    /// The table bytes, padding included.
    pub fn finish(self) -> Vec<u8> {
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
/// let raw = widths.layout(8, 8, 3);
/// let arcs = [(1, Slot { ctx: 1, word: 2, prob: 7, node: true, ..Slot::default() }),
///             (5, Slot { ctx: 3, word: 4, prob: 9, left: true, ..Slot::default() })];
/// let mut memory = TableWriter::new(raw, 200);
/// let mut stream = TableStream::new(raw, 200, Vec::new());
/// for (slot, arc) in &arcs {
///     memory.put(*slot, arc);
///     stream.put(*slot, arc).unwrap();
/// }
/// assert_eq!(stream.finish().unwrap(), memory.finish());
/// ```
#[derive(Debug)]
pub struct TableStream<W: Write> {
    layout: Layout,
    out: W,
    /// Slots written so far.
    next: u64,
    /// Bits not yet in `buf` (`pending` of them, fewer than 64).
    acc: u128,
    pending: u32,
    buf: Vec<u8>,
}

impl<W: Write> TableStream<W> {
    /// A table of `raw` written to `out`.
    ///
    /// # Panics
    /// If `raw` is not a valid layout (a builder bug).
    pub fn new(raw: RawLayout, vocab_size: u32, out: W) -> TableStream<W> {
        TableStream {
            layout: checked(raw, vocab_size),
            out,
            next: 0,
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
    /// and lie at or after the arc's home.
    ///
    /// # Errors
    /// I/O errors from the output; `InvalidInput` for a slot out of order or
    /// past the table.
    pub fn put(&mut self, slot: u64, s: &Slot) -> io::Result<()> {
        let width = self.layout.raw().entry_bits;
        if slot < self.next || slot >= self.layout.raw().num_slots {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("slot {slot} written out of order or past the table"),
            ));
        }
        self.zeros((slot - self.next) * u64::from(width))?;
        let bits = self.layout.encode(slot, s);
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
    pub fn finish(mut self) -> io::Result<W> {
        let raw = *self.layout.raw();
        self.zeros((raw.num_slots - self.next) * u64::from(raw.entry_bits) + TABLE_PADDING * 8)?;
        let tail = self.acc.to_le_bytes();
        self.buf
            .extend_from_slice(&tail[..self.pending.div_ceil(8) as usize]);
        self.out.write_all(&self.buf)?;
        Ok(self.out)
    }
}
