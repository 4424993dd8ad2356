//! Streaming an arc table ([`crate::format::table`]) to a writer in increasing
//! slot order ([`TableStream`]), with the bytes [`TableWriter`] writes in memory.
//!
//! In a run-offset table a slot's offset field depends on the arcs after it
//! (how many of them belong to earlier homes): [`TableStream`] holds back the
//! slots whose offset is not known yet (at most the largest displacement of
//! them).

use std::collections::VecDeque;
use std::io::{self, Write};

use super::bits::mask;
use super::error::FormatError;
use super::groups::GroupsWriter;
use super::header::RawLayout;
use super::run_bases::{BlockBases, RunFields, Settled};
#[cfg(doc)]
use super::table::TableWriter;
use super::table::{num_bases, Layout, Slot, TABLE_PADDING};
use super::table_write::{checked, fields_fit};

/// Bytes buffered by a [`TableStream`] between writes.
const STREAM_BUFFER: usize = 1 << 16;

/// Writes a table to `out` slot by slot in increasing slot order, holding only
/// a small buffer: skipped slots are empty. The bytes equal [`TableWriter`]'s
/// for the same arcs (a table with block bases, which `TableWriter` does not
/// write, is only streamed).
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
    /// Run-offset tables: which held slots' offsets each arc settles.
    fields: RunFields,
    /// Tables with block bases: the slots of the block being gathered, with
    /// their offset fields, its bases so far, and the bases of the blocks
    /// before it.
    block: Vec<(u64, u128, u64)>,
    gather: BlockBases,
    /// (Each fits 28 bits, [`MAX_BASE_BITS`](super::table::MAX_BASE_BITS).)
    bases: Vec<u32>,
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
            fields: RunFields::default(),
            block: Vec::new(),
            gather: BlockBases::default(),
            bases: Vec::new(),
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
        self.end = slot + 1;
        if !self.layout.runs() {
            let bits = self.layout.encode(slot - home + 1, h, s);
            return self.emit(slot, bits, 0);
        }
        let settled = self.fields.put(home, slot);
        self.settle(&settled)?;
        let bits = self.layout.encode(0, h, s);
        if settled.own {
            self.field(slot, bits, 1)
        } else {
            self.held.push_back((slot, bits));
            Ok(())
        }
    }

    /// Writes the held slots whose offset fields `settled` made known.
    fn settle(&mut self, settled: &Settled) -> io::Result<()> {
        while let Some(&(j, bits)) = self.held.front() {
            if j >= settled.held.end {
                break;
            }
            self.held.pop_front();
            self.field(j, bits, settled.field(j))?;
        }
        Ok(())
    }

    /// Writes `slot` of a run-offset table with offset field `field`, or in a
    /// table with block bases, gathers it with the other slots of its block
    /// until their base is known.
    fn field(&mut self, slot: u64, bits: u128, field: u64) -> io::Result<()> {
        if self.layout.raw().base_bits == 0 {
            return self.emit(slot, bits, field);
        }
        if let Some((block, base)) = self.gather.field(slot, field) {
            self.flush(block, base)?;
        }
        self.block.push((slot, bits, field));
        Ok(())
    }

    /// Writes the gathered slots of `block`, each field less `base`.
    fn flush(&mut self, block: u64, base: u64) -> io::Result<()> {
        let bits = u32::from(self.layout.raw().base_bits);
        let (Ok(stored), Ok(index)) = (u32::try_from(base), usize::try_from(block)) else {
            return Err(invalid(format!("block {block}: base {base} out of range")));
        };
        if base > mask(bits) {
            return Err(invalid(format!(
                "block {block}: base {base} exceeds the {bits}-bit bases"
            )));
        }
        if self.bases.len() <= index {
            self.bases.resize(index + 1, 0);
        }
        self.bases[index] = stored;
        for (slot, bits, field) in std::mem::take(&mut self.block) {
            self.emit(slot, bits, field - base)?;
        }
        Ok(())
    }

    /// Writes the block bases of a table with them, from the byte after the
    /// padding: one per block, bit-packed, then 8 zero bytes.
    fn finish_bases(&mut self) -> io::Result<()> {
        let raw = *self.layout.raw();
        if raw.base_bits == 0 {
            return Ok(());
        }
        self.zeros(u64::from((8 - self.pending % 8) % 8))?;
        let bases = std::mem::take(&mut self.bases);
        for i in 0..num_bases(&raw) {
            let base = u64::from(bases.get(i as usize).copied().unwrap_or(0));
            self.push(base, u32::from(raw.base_bits))?;
        }
        self.zeros(u64::from((8 - self.pending % 8) % 8) + 64)
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
        let settled = self.fields.finish();
        self.settle(&settled)?;
        if let Some((block, base)) = self.gather.finish() {
            self.flush(block, base)?;
        }
        let raw = *self.layout.raw();
        self.zeros((raw.num_slots - self.next) * u64::from(raw.entry_bits))?;
        self.finish_groups()?;
        self.zeros(TABLE_PADDING * 8)?;
        self.finish_bases()?;
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
