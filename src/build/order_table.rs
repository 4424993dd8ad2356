//! The completing builder's n-grams of one order below the highest: the
//! records themselves in an open-addressing table keyed by `(context id,
//! word)`, so a lookup reads one slot and the slot is the record (load at
//! most 0.9, in huge pages: the two lower orders' tables are held at once
//! through most of a read, and at 0.75 they set the completing builder's
//! peak memory; 0.9 costs a few more probes per lookup, on neighbouring
//! slots). A slot is, little-endian: a key field of the flags (4 bits),
//! `word + 1` (zero in a free slot) and the context id, each in the bits the
//! order needs, then the probability's and the backoff's f32 bits: 14 bytes
//! for the bigrams and the trigrams of the generated 10M-n-gram model of
//! `examples/gen_arpa.rs` (19 + 19 and 22 + 19 key bits), against 17 for a
//! `u32` context and word. The builder [fits](OrderTable::fit) the widths to
//! the ids the order will see before it fills the table; a record that does
//! not fit (a context past them: blanks of the order below added later)
//! widens every slot in place of its id.
//! An n-gram's suffix is not kept: the builder finds it by its words.
//!
//! While the order above is read, an order [gives its backoffs](OrderTable::spill_backoffs)
//! to a temporary file (`spill`), by slot, and its slots narrow in place by 4
//! bytes: nothing reads them then (an n-gram's blanks add the backoffs of
//! orders two or more below it; see `complete`), and the blanks added to it
//! meanwhile have none. They [come back](OrderTable::restore_backoffs) into
//! the slots when a higher order starts, or, for the order below the highest,
//! as its records are listed once the file is read. On the generated model
//! that is 10-byte slots for the bigrams while the trigrams are read and for
//! the trigrams from then on (-10 and -17 MB). A record with a backoff added
//! meanwhile goes to the overflow list.
//!
//! An n-gram's id is where it sits: its slot, or past the slots, its place in
//! an overflow list. Slots move only when the table grows, and the table grows
//! only until it is [frozen](OrderTable::freeze), which the builder does once
//! anything may hold an id of the order (from the first n-gram of a higher
//! order on). Records added after that (blanks) take free slots while the
//! load allows, then go to the overflow list, whose ids never change.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use super::complete::Rec;
use super::reading::Stop;
use super::records::{f32_at, u64_at};
use super::spill::{Reader, Spill};
use crate::format::bits::{bits_for, mask};
use crate::format::{prefetch_items, HugeBuf};
use crate::vocab::WordId;

/// Slots per record at most: 10/9 (load factor 0.9; see the module docs).
const LOAD_NUM: usize = 9;
const LOAD_DEN: usize = 10;

/// Bits of a record's flags, the lowest of its key field.
const FLAG_BITS: u32 = 4;

/// Slots listed, spilled or restored at a time.
const CHUNK: usize = 1 << 16;

/// A record past the slots, or one listed from them: `word + 1` as in a slot.
#[derive(Clone, Copy)]
struct Overflow {
    ctx: u32,
    word1: u32,
    prob: f32,
    backoff: f32,
    flags: u8,
}

impl Overflow {
    /// `rec` with `flags`, as stored.
    fn of(rec: Rec, flags: u8) -> Overflow {
        Overflow {
            ctx: rec.ctx,
            word1: rec.word.wrapping_add(1),
            prob: rec.prob,
            backoff: rec.backoff,
            flags,
        }
    }

    fn rec(&self) -> Rec {
        Rec {
            ctx: self.ctx,
            word: self.word1.wrapping_sub(1),
            prob: self.prob,
            backoff: self.backoff,
        }
    }
}

/// The bits of a slot's context id and `word + 1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Widths {
    ctx: u32,
    word: u32,
}

impl Widths {
    /// The widths that also hold `ctx` and `word1`.
    fn holding(self, ctx: u32, word1: u32) -> Widths {
        Widths {
            ctx: self.ctx.max(bits_for(ctx.into())),
            word: self.word.max(bits_for(word1.into())),
        }
    }

    /// The wider of each width.
    fn max_with(self, other: Widths) -> Widths {
        Widths {
            ctx: self.ctx.max(other.ctx),
            word: self.word.max(other.word),
        }
    }

    /// These widths, if a key field of them fits in 64 bits.
    fn fitting(self) -> Option<Widths> {
        (FLAG_BITS + self.ctx + self.word <= 64).then_some(self)
    }

    /// Bytes of a key field.
    fn key_bytes(self) -> usize {
        (FLAG_BITS + self.word + self.ctx).div_ceil(8) as usize
    }

    /// Bytes of a slot: the key field, the probability and, unless spilled,
    /// the backoff.
    fn stride(self, backoffs: bool) -> usize {
        self.key_bytes() + if backoffs { 8 } else { 4 }
    }

    /// The key field of `(ctx, word1)` without flags.
    fn key(self, ctx: u32, word1: u32) -> u64 {
        (u64::from(word1) | u64::from(ctx) << self.word) << FLAG_BITS
    }
}

/// How many slots hold `n` records at most at the load allowed.
fn slots_for(n: usize) -> usize {
    n.saturating_mul(LOAD_DEN) / LOAD_NUM + 1
}

fn hash(ctx: u32, word: u32) -> u64 {
    let m = u128::from(u64::from(ctx) << 32 | u64::from(word)) * 0x9e37_79b9_7f4a_7c15;
    (m as u64) ^ (m >> 64) as u64
}

/// The first of `len` slots to look at for `(ctx, word + 1)` (multiply-shift).
fn home(len: usize, ctx: u32, word1: u32) -> usize {
    ((u128::from(hash(ctx, word1)) * len as u128) >> 64) as usize
}

/// `len` slots of `widths`, free until set.
struct Slots {
    /// The slots, then at least 8 bytes (a key field is read as a `u64`).
    bytes: HugeBuf<u8>,
    len: usize,
    widths: Widths,
    /// Whether the slots hold the backoffs (see the module docs).
    backoffs: bool,
    stride: usize,
    /// The bits of a key field, and those of its key without the flags.
    field_mask: u64,
    key_mask: u64,
}

impl Slots {
    fn new(len: usize, widths: Widths, backoffs: bool) -> Slots {
        let stride = widths.stride(backoffs);
        let field_mask = mask(8 * widths.key_bytes() as u32);
        let bytes = len.saturating_mul(stride).saturating_add(8);
        Slots {
            bytes: HugeBuf::filled(bytes, 0),
            len,
            widths,
            backoffs,
            stride,
            field_mask,
            key_mask: field_mask & !mask(FLAG_BITS),
        }
    }

    /// The key field of slot `i`.
    #[inline(always)]
    fn field(&self, i: usize) -> u64 {
        u64_at(&self.bytes, i * self.stride) & self.field_mask
    }

    fn is_free(&self, i: usize) -> bool {
        self.field(i) & self.key_mask == 0
    }

    /// The record in slot `i` (occupied) and its flags; its backoff is NaN
    /// if spilled.
    fn get(&self, i: usize) -> (Rec, u8) {
        let (field, at) = (self.field(i), i * self.stride + self.widths.key_bytes());
        let word1 = (field >> FLAG_BITS) & mask(self.widths.word);
        let rec = Rec {
            ctx: (field >> (FLAG_BITS + self.widths.word)) as u32,
            word: (word1 as u32).wrapping_sub(1),
            prob: f32_at(&self.bytes, at),
            backoff: match self.backoffs {
                true => f32_at(&self.bytes, at + 4),
                false => f32::NAN,
            },
        };
        (rec, (field & mask(FLAG_BITS)) as u8)
    }

    /// Puts `rec` (its `word + 1` fitting the widths; its backoff unless
    /// spilled) in slot `i`.
    fn set(&mut self, i: usize, rec: &Overflow) {
        let field = self.widths.key(rec.ctx, rec.word1) | u64::from(rec.flags);
        let (at, key_bytes) = (i * self.stride, self.widths.key_bytes());
        let slot = &mut self.bytes[at..at + self.stride];
        slot[..key_bytes].copy_from_slice(&field.to_le_bytes()[..key_bytes]);
        slot[key_bytes..key_bytes + 4].copy_from_slice(&rec.prob.to_le_bytes());
        if self.backoffs {
            slot[key_bytes + 4..].copy_from_slice(&rec.backoff.to_le_bytes());
        }
    }

    /// Moves every slot's backoff to `spill`, by slot, and narrows the slots
    /// in place, giving back the memory freed.
    fn spill_backoffs(&mut self, spill: &mut Spill<f32>) -> Result<(), Stop> {
        let (old, key_bytes) = (self.stride, self.widths.key_bytes());
        let new = self.widths.stride(false);
        let mut backoffs = Vec::with_capacity(CHUNK);
        for start in (0..self.len).step_by(CHUNK) {
            backoffs.clear();
            for i in start..(start + CHUNK).min(self.len) {
                backoffs.push(f32_at(&self.bytes, i * old + key_bytes + 4));
                // Into the bytes of this slot and those before it, already moved.
                self.bytes.copy_within(i * old..i * old + new, i * new);
            }
            spill.extend(&backoffs)?;
        }
        let size = self.bytes.len();
        self.bytes.release(self.len * new + 8..size);
        (self.backoffs, self.stride) = (false, new);
        Ok(())
    }

    /// The slot holding `(ctx, word1)`, or the free slot where it would go
    /// (there is one: the load stays below 1).
    fn probe(&self, ctx: u32, word1: u32) -> usize {
        let key = self.widths.key(ctx, word1);
        let mut i = home(self.len, ctx, word1);
        loop {
            let k = self.field(i) & self.key_mask;
            if k == 0 || k == key {
                return i;
            }
            i += 1;
            if i == self.len {
                i = 0;
            }
        }
    }

    /// Calls `f` with every record (`word + 1` as stored; its backoff from
    /// `spilled`, by slot, if given) and its slot, in slot order, giving the
    /// slots' memory back as it goes if `release`.
    fn visit(
        &mut self,
        mut spilled: Option<&mut Reader<'_, f32>>,
        release: bool,
        mut f: impl FnMut(usize, Overflow),
    ) -> io::Result<()> {
        for start in (0..self.len).step_by(CHUNK) {
            let end = (start + CHUNK).min(self.len);
            let backoffs = match spilled.as_mut() {
                Some(reader) => Some(reader.next(end - start)?),
                None => None,
            };
            for i in (start..end).filter(|&i| !self.is_free(i)) {
                let (mut r, flags) = self.get(i);
                if let Some(b) = backoffs {
                    r.backoff = *b.get(i - start).ok_or(io::ErrorKind::UnexpectedEof)?;
                }
                f(i, Overflow::of(r, flags));
            }
            if release {
                self.bytes.release(start * self.stride..end * self.stride);
            }
        }
        Ok(())
    }

    /// These slots (without their backoffs) with their backoffs from
    /// `spilled` (by slot), giving the memory of these back as they are
    /// copied.
    fn with_backoffs(&mut self, spilled: &mut Spill<f32>) -> io::Result<Slots> {
        let mut wide = Slots::new(self.len, self.widths, true);
        let (narrow, stride) = (self.stride, wide.stride);
        let mut reader = spilled.reader()?;
        for start in (0..self.len).step_by(CHUNK) {
            let end = (start + CHUNK).min(self.len);
            let backoffs = reader.next(end - start)?;
            if backoffs.len() < end - start {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            // A free slot stays free: its backoff is the zero spilled for it.
            for (i, backoff) in (start..end).zip(backoffs) {
                let (from, to) = (i * narrow, i * stride);
                let slot = &mut wide.bytes[to..to + stride];
                slot[..narrow].copy_from_slice(&self.bytes[from..from + narrow]);
                slot[narrow..].copy_from_slice(&backoff.to_le_bytes());
            }
            self.bytes.release(start * narrow..end * narrow);
        }
        Ok(wide)
    }
}

/// One order's n-grams with their flags, by id and by `(context id, word)`.
#[derive(Default)]
pub(super) struct OrderTable {
    slots: Option<Slots>,
    /// The widths records are fitted to before any is added.
    widths: Widths,
    /// Records in the slots.
    in_slots: usize,
    /// Records that found no slot after the table was frozen, and their ids
    /// by key.
    overflow: Vec<Overflow>,
    overflow_ids: HashMap<(u32, u32), u32, ahash::RandomState>,
    frozen: bool,
    /// The slots' backoffs by slot, once spilled (see the module docs).
    spilled: Option<Spill<f32>>,
}

impl OrderTable {
    fn num_slots(&self) -> usize {
        self.slots.as_ref().map_or(0, |s| s.len)
    }

    /// How many n-grams the table holds.
    pub(super) fn len(&self) -> usize {
        self.in_slots + self.overflow.len()
    }

    /// One more than the largest id.
    pub(super) fn id_space(&self) -> usize {
        self.num_slots() + self.overflow.len()
    }

    /// From now on ids stay as they are.
    pub(super) fn freeze(&mut self) {
        self.frozen = true;
    }

    /// Freezes the table and moves the slots' backoffs to a temporary file
    /// in `dir` (else in the system's temporary directory; in memory where
    /// none can be made), narrowing the slots: from now on [`rec`](Self::rec)
    /// gives a NaN backoff for a record in a slot, and only listing the
    /// records ([`weight_values`](Self::weight_values),
    /// [`drain`](Self::drain)) gives its backoff. [`Stop::Io`] when the file
    /// cannot be written.
    pub(super) fn spill_backoffs(&mut self, dir: Option<&Path>) -> Result<(), Stop> {
        self.freeze();
        if let (Some(slots), None) = (&mut self.slots, &self.spilled) {
            let mut spill = Spill::new(slots.len as u64, dir);
            slots.spill_backoffs(&mut spill)?;
            self.spilled = Some(spill);
        }
        Ok(())
    }

    /// Brings the backoffs [spilled](Self::spill_backoffs) back into the
    /// slots, if any: they are read as before. [`Stop::Io`] when the file
    /// cannot be read.
    pub(super) fn restore_backoffs(&mut self) -> Result<(), Stop> {
        if let (Some(slots), Some(spilled)) = (&mut self.slots, &mut self.spilled) {
            *slots = slots.with_backoffs(spilled)?;
        }
        self.spilled = None;
        Ok(())
    }

    /// Makes the slots hold context ids below `ctx_ids` and words below
    /// `words` without widening (see the module docs).
    pub(super) fn fit(&mut self, ctx_ids: u64, words: u64) {
        let bits = |n: u64| bits_for(n.saturating_sub(1)).min(32);
        let want = Widths {
            ctx: self.widths.ctx.max(bits(ctx_ids)),
            word: self.widths.word.max(bits_for(words).min(32)),
        };
        // Too wide for a key field: the first record that needs it fails.
        let _ = self.widen(want);
    }

    /// Starts fetching the slot where the key is or would go.
    pub(super) fn prefetch(&self, ctx: u32, word: WordId) {
        if let Some(s) = &self.slots {
            let at = home(s.len, ctx, word.wrapping_add(1)) * s.stride;
            prefetch_items(&s.bytes[at..]);
        }
    }

    /// The id of the n-gram `(ctx, word)`, if present.
    pub(super) fn get(&self, ctx: u32, word: WordId) -> Option<u32> {
        let word1 = word.checked_add(1)?;
        if let Some(s) = &self.slots {
            if s.widths.holding(ctx, word1) == s.widths {
                let i = s.probe(ctx, word1);
                if !s.is_free(i) {
                    return Some(i as u32);
                }
            }
        }
        if self.overflow.is_empty() {
            return None;
        }
        self.overflow_ids.get(&(ctx, word1)).copied()
    }

    /// Adds `rec` with its flags; its id, or `None` when the key is present,
    /// ids would pass `u32::MAX - 1`, or the key's fields would not fit 64
    /// bits (the caller builds the order another way then). `expected` is how many records the
    /// order will probably hold (an untrusted hint: growth follows it at most
    /// eight times what is held).
    pub(super) fn insert(&mut self, rec: Rec, flags: u8, expected: usize) -> Option<u32> {
        let word1 = rec.word.checked_add(1)?;
        let widths = self.widths.holding(rec.ctx, word1);
        // A slot without its backoff reads back the zero spilled for it.
        let room = |t: &Self| {
            (t.in_slots + 1) * LOAD_DEN <= t.num_slots() * LOAD_NUM
                && (t.spilled.is_none() || rec.backoff.to_bits() == 0)
        };
        if !self.frozen && !room(self) {
            let want = (self.in_slots * 2)
                .max(expected.min(self.in_slots * 8))
                .max(1024);
            self.grow(slots_for(want), widths.fitting()?)?;
        }
        let room = room(self);
        if room {
            // Slots keep their places: the probe below stays right.
            self.widen(widths)?;
        }
        let at = match &self.slots {
            Some(s) if s.widths == s.widths.holding(rec.ctx, word1) => {
                let i = s.probe(rec.ctx, word1);
                if !s.is_free(i) {
                    return None;
                }
                Some(i)
            }
            _ => None,
        };
        if !self.overflow.is_empty() && self.overflow_ids.contains_key(&(rec.ctx, word1)) {
            return None;
        }
        let new = Overflow::of(rec, flags);
        if let (Some(i), Some(slots), true) = (at, &mut self.slots, room) {
            slots.set(i, &new);
            self.in_slots += 1;
            return Some(i as u32);
        }
        let id = u32::try_from(self.id_space())
            .ok()
            .filter(|&i| i < u32::MAX)?;
        self.overflow.push(new);
        self.overflow_ids.insert((rec.ctx, word1), id);
        Some(id)
    }

    /// Makes room for `n` records in all, unless frozen: the table does not
    /// grow again before it holds them. `None` if ids would pass
    /// `u32::MAX - 1`.
    pub(super) fn reserve(&mut self, n: usize) -> Option<()> {
        let size = slots_for(n);
        if !self.frozen && size > self.num_slots() {
            self.grow(size, self.widths)?;
        }
        Some(())
    }

    /// Moves the records to `size` slots of `widths` (no overflow yet: the
    /// table is not frozen). `None` if ids would pass `u32::MAX - 1`.
    fn grow(&mut self, size: usize, widths: Widths) -> Option<()> {
        u32::try_from(size).ok().filter(|&s| s < u32::MAX)?;
        self.widths = widths;
        // Not frozen, so not spilled.
        let mut slots = Slots::new(size, widths, true);
        if let Some(mut old) = self.slots.take() {
            // Without spilled backoffs to read, nothing fails.
            old.visit(None, true, |_, r| {
                let i = slots.probe(r.ctx, r.word1);
                slots.set(i, &r);
            })
            .ok()?;
        }
        self.slots = Some(slots);
        Some(())
    }

    /// Makes the slots `widths` wide if they are narrower, each record in
    /// the slot of its id. `None` if a key field would pass 64 bits.
    fn widen(&mut self, widths: Widths) -> Option<()> {
        let widths = widths.max_with(self.widths).fitting()?;
        if widths == self.widths {
            return Some(());
        }
        self.widths = widths;
        if let Some(mut old) = self.slots.take() {
            let mut slots = Slots::new(old.len, widths, old.backoffs);
            old.visit(None, true, |i, r| slots.set(i, &r)).ok()?;
            self.slots = Some(slots);
        }
        Some(())
    }

    /// The record with id `id` and its flags.
    fn record(&self, id: u32) -> (Rec, u8) {
        let n = self.num_slots();
        match &self.slots {
            Some(s) if (id as usize) < n => s.get(id as usize),
            _ => {
                let o = &self.overflow[id as usize - n];
                (o.rec(), o.flags)
            }
        }
    }

    /// The record with id `id` (its backoff NaN in a slot while the
    /// backoffs are [spilled](Self::spill_backoffs)).
    pub(super) fn rec(&self, id: u32) -> Rec {
        self.record(id).0
    }

    /// The flags of the record with id `id`.
    pub(super) fn flags(&self, id: u32) -> u8 {
        self.record(id).1
    }

    /// Sets the probability of the record with id `id`.
    pub(super) fn set_prob(&mut self, id: u32, prob: f32) {
        let n = self.num_slots();
        match &mut self.slots {
            Some(s) if (id as usize) < n => {
                let at = id as usize * s.stride + s.widths.key_bytes();
                s.bytes[at..at + 4].copy_from_slice(&prob.to_le_bytes());
            }
            _ => self.overflow[id as usize - n].prob = prob,
        }
    }

    /// Adds `flags` to those of the record with id `id`.
    pub(super) fn add_flags(&mut self, id: u32, flags: u8) {
        let n = self.num_slots();
        match &mut self.slots {
            // The flags are the low bits of the slot's first byte.
            Some(s) if (id as usize) < n => s.bytes[id as usize * s.stride] |= flags,
            _ => self.overflow[id as usize - n].flags |= flags,
        }
    }

    /// The probabilities of the records and the backoffs of those with any
    /// of `flags`, by id.
    ///
    /// # Errors
    /// Reading the spilled backoffs failed.
    pub(super) fn weight_values(&mut self, flags: u8) -> io::Result<(Vec<f32>, Vec<f32>)> {
        let (mut probs, mut backoffs) = (Vec::with_capacity(self.len()), Vec::new());
        self.visit(false, |_, r, f| {
            probs.push(r.prob);
            if f & flags != 0 {
                backoffs.push(r.backoff);
            }
        })?;
        Ok((probs, backoffs))
    }

    /// Calls `f` with every record, its id and flags, by id, giving the
    /// table's memory back as it goes (so that what `f` keeps of the records
    /// and the table take about the larger of the two, not both).
    ///
    /// # Errors
    /// Reading the spilled backoffs failed.
    pub(super) fn drain(mut self, f: impl FnMut(u32, Rec, u8)) -> io::Result<()> {
        self.visit(true, f)
    }

    /// Calls `f` with every record, its id and flags, by id, giving the
    /// slots' memory back as it goes if `release`.
    fn visit(&mut self, release: bool, mut f: impl FnMut(u32, Rec, u8)) -> io::Result<()> {
        let n = self.num_slots();
        let mut spilled = self.spilled.as_mut().map(Spill::reader).transpose()?;
        if let Some(slots) = self.slots.as_mut() {
            slots.visit(spilled.as_mut(), release, |i, o| {
                f(i as u32, o.rec(), o.flags)
            })?;
        }
        for (k, o) in self.overflow.iter().enumerate() {
            f((n + k) as u32, o.rec(), o.flags);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_in_huge_pages_drains_every_record() {
        for spill in [false, true] {
            let mut t = OrderTable::default();
            for i in 0..200_000u32 {
                assert!(t.insert(rec(i), 1, 200_000).is_some());
            }
            let slots = t.slots.as_ref().unwrap();
            assert!(matches!(slots.bytes, HugeBuf::Huge(_)));
            let (len, stride) = (slots.len, slots.stride);
            if spill {
                assert!(t.spill_backoffs(None).is_ok());
                // The memory past the narrowed slots is given back: it reads
                // as zero.
                #[cfg(target_os = "linux")]
                {
                    let bytes = &t.slots.as_ref().unwrap().bytes;
                    let tail = len * (stride - 4) + 8 + 4096..bytes.len() / 4096 * 4096;
                    assert!(tail.len() > 200_000 * 3 && bytes[tail].iter().all(|&b| b == 0));
                }
            }
            let mut seen = vec![false; 200_000];
            t.drain(|id, r, flags| {
                let i = r.ctx * 7 + r.word;
                assert_eq!(
                    (r.prob, r.backoff, flags),
                    (-(i as f32), i as f32, 1),
                    "id {id}"
                );
                seen[i as usize] = true;
            })
            .unwrap();
            assert!(seen.iter().all(|&s| s));
        }
    }

    fn rec(i: u32) -> Rec {
        Rec {
            ctx: i / 7,
            word: i % 7,
            prob: -(i as f32),
            backoff: i as f32,
        }
    }

    /// A record whose context or word does not fit the slots widens them,
    /// frozen or not: every record keeps its id and fields.
    #[test]
    fn records_past_the_fitted_widths_widen_the_slots() {
        let mut t = OrderTable::default();
        t.fit(1 << 10, 7);
        t.reserve(3000).unwrap();
        // 4 + 10 + 3 bits of key field.
        assert_eq!(t.slots.as_ref().unwrap().stride, 3 + 8);
        t.freeze();
        let mut ids = Vec::new();
        for i in 0..3000u32 {
            // Contexts of 10, then 20, then 32 bits; words of 3 bits, then 20.
            let ctx = match i {
                0..=999 => i,
                1000..=1999 => i << 10,
                _ => u32::MAX - i,
            };
            let word = if i < 2500 { i % 7 } else { 1 << 19 | i };
            let r = Rec {
                ctx,
                word,
                prob: -(i as f32),
                backoff: i as f32,
            };
            ids.push((t.insert(r, (i % 16) as u8, 0).unwrap(), r, (i % 16) as u8));
        }
        assert_eq!(t.slots.as_ref().unwrap().stride, 7 + 8);
        assert!(t.overflow.is_empty());
        for &(id, r, flags) in &ids {
            assert_eq!(t.get(r.ctx, r.word), Some(id));
            let got = t.rec(id);
            assert_eq!(
                (got.ctx, got.word, got.prob, got.backoff),
                (r.ctx, r.word, r.prob, r.backoff)
            );
            assert_eq!(t.flags(id), flags);
        }
        assert_eq!(t.get(5, 1 << 30), None);
    }

    /// Spilled backoffs narrow the slots by 4 bytes; records added after
    /// them (without a backoff into free slots, with one past the slots,
    /// some widening the slots) keep theirs; listing the records gives every
    /// backoff, and so does restoring them.
    #[test]
    fn spilled_backoffs_come_back_by_slot() {
        for restore in [false, true] {
            let mut t = OrderTable::default();
            t.fit(1 << 10, 7);
            t.reserve(6000).unwrap();
            let mut want = Vec::new();
            for i in 0..5000u32 {
                want.push((t.insert(rec(i), 1, 0).unwrap(), rec(i)));
            }
            // 4 + 10 + 3 bits of key field.
            assert_eq!(t.slots.as_ref().unwrap().stride, 3 + 8);
            assert!(t.spill_backoffs(None).is_ok());
            assert!(t.spill_backoffs(None).is_ok());
            assert_eq!(t.slots.as_ref().unwrap().stride, 3 + 4);
            assert!(t.spilled.is_some());
            assert!(t.rec(want[7].0).backoff.is_nan());
            for i in 5000..5400u32 {
                let r = Rec {
                    ctx: if i < 5300 { i / 7 } else { i << 10 },
                    word: i % 7,
                    prob: -(i as f32),
                    backoff: if i % 2 == 0 { 0.0 } else { i as f32 },
                };
                let id = t.insert(r, 1, 0).unwrap();
                assert_eq!((id as usize) < t.num_slots(), i % 2 == 0, "{i}");
                want.push((id, r));
            }
            // Widened for contexts of 23 bits (30 bits of key field), still
            // without backoffs.
            assert_eq!(t.slots.as_ref().unwrap().stride, 4 + 4);
            if restore {
                assert!(t.restore_backoffs().is_ok());
                assert_eq!(t.slots.as_ref().unwrap().stride, 4 + 8);
                assert!(t.spilled.is_none());
                for &(id, r) in &want {
                    assert_eq!(t.rec(id).backoff, r.backoff, "{id}");
                }
            }
            want.sort_unstable_by_key(|&(id, _)| id);
            let (probs, backoffs) = t.weight_values(1).unwrap();
            assert_eq!(probs, want.iter().map(|(_, r)| r.prob).collect::<Vec<_>>());
            let backoff_bits = |b: &[f32]| b.iter().map(|b| b.to_bits()).collect::<Vec<_>>();
            let wanted: Vec<f32> = want.iter().map(|(_, r)| r.backoff).collect();
            assert_eq!(backoff_bits(&backoffs), backoff_bits(&wanted));
            let mut drained = Vec::new();
            t.drain(|id, r, _| drained.push((id, r.ctx, r.word, r.backoff.to_bits())))
                .unwrap();
            let wanted = want
                .iter()
                .map(|&(id, r)| (id, r.ctx, r.word, r.backoff.to_bits()));
            assert_eq!(drained, wanted.collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_table_grown_to_its_expected_count_is_at_most_a_tenth_empty() {
        let mut t = OrderTable::default();
        for i in 0..300_000u32 {
            assert!(t.insert(rec(i), 1, 300_000).is_some());
        }
        assert_eq!(t.len(), 300_000);
        assert!(t.id_space() <= 333_334, "{} slots", t.id_space());
    }

    #[test]
    fn a_reserved_table_frozen_takes_its_records_into_slots() {
        let mut t = OrderTable::default();
        t.reserve(10_000).unwrap();
        t.freeze();
        for i in 0..10_000u32 {
            let id = t.insert(rec(i), 1, 0).unwrap();
            assert!((id as usize) < slots_for(10_000), "{i} overflowed");
        }
        assert_eq!(t.id_space(), slots_for(10_000));
        assert!(t.overflow.is_empty());
    }

    #[test]
    fn finds_what_was_inserted_before_and_after_freezing() {
        let mut t = OrderTable::default();
        assert_eq!(t.get(1, 2), None);
        let mut ids = Vec::new();
        for i in 0..5000u32 {
            assert!(t.insert(rec(i), 1, 100).is_some());
        }
        assert_eq!(t.insert(rec(3), 1, 100), None);
        t.freeze();
        let space = t.id_space();
        // Past the load the table allows: the rest overflow, ids stay.
        for i in 0..5000u32 {
            ids.push(t.get(i / 7, i % 7).unwrap());
        }
        for i in 5000..10_000u32 {
            let id = t.insert(rec(i), 2, 100).unwrap();
            ids.push(id);
            assert_eq!(t.insert(rec(i), 2, 100), None);
        }
        assert!(t.id_space() > space);
        assert_eq!(t.len(), 10_000);
        for i in 0..10_000u32 {
            let id = ids[i as usize];
            assert_eq!(t.get(i / 7, i % 7), Some(id));
            let r = t.rec(id);
            assert_eq!(
                (r.ctx, r.word, r.prob, r.backoff),
                (i / 7, i % 7, -(i as f32), i as f32)
            );
            assert_eq!(t.flags(id), if i < 5000 { 1 } else { 2 });
        }
        t.set_prob(ids[9999], 0.5);
        t.add_flags(ids[9999], 4);
        assert_eq!((t.rec(ids[9999]).prob, t.flags(ids[9999])), (0.5, 6));
        assert_eq!(t.get(5000, 0), None);
        let mut listed = Vec::new();
        t.drain(|id, r, _| listed.push((id, r.ctx, r.word)))
            .unwrap();
        let mut sorted: Vec<_> = (0..10_000u32)
            .map(|i| (ids[i as usize], i / 7, i % 7))
            .collect();
        sorted.sort_unstable();
        assert_eq!(listed, sorted);
    }
}
