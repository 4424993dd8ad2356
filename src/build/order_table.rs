//! The completing builder's n-grams of one order below the highest: the
//! records themselves in an open-addressing table keyed by `(context id,
//! word)`, so a lookup reads one slot and the slot is the record (17 bytes:
//! context id, word, prob, backoff, flags; load at most 0.9, in huge pages:
//! the two lower orders' tables are held at once through most of a read, and
//! at 0.75 they set the completing builder's peak memory; 0.9 costs a few
//! more probes per lookup, on neighbouring slots).
//! An n-gram's suffix is not kept: the builder finds it by its words.
//!
//! An n-gram's id is where it sits: its slot, or past the slots, its place in
//! an overflow list. Slots move only when the table grows, and the table grows
//! only until it is [frozen](OrderTable::freeze), which the builder does once
//! anything may hold an id of the order (from the first n-gram of a higher
//! order on). Records added after that (blanks) take free slots while the
//! load allows, then go to the overflow list, whose ids never change.

use std::collections::HashMap;

use super::complete::Rec;
use crate::format::{prefetch_items, HugeBuf};
use crate::vocab::WordId;

/// Slots per record at most: 10/9 (load factor 0.9; see the module docs).
const LOAD_NUM: usize = 9;
const LOAD_DEN: usize = 10;

/// A record in a slot: `word + 1`, zero when the slot is free. Packed (17
/// bytes): the flags share the slot's cache line.
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, packed)]
struct Slot {
    ctx: u32,
    word1: u32,
    prob: f32,
    backoff: f32,
    flags: u8,
}

impl Slot {
    fn rec(&self) -> Rec {
        Rec {
            ctx: self.ctx,
            word: self.word1.wrapping_sub(1),
            prob: self.prob,
            backoff: self.backoff,
        }
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

/// The slot holding `(ctx, word + 1)`, or the free slot where it would go
/// (there is one: the load stays below 1).
fn probe(slots: &[Slot], ctx: u32, word1: u32) -> usize {
    let mut i = home(slots.len(), ctx, word1);
    loop {
        let s = slots[i];
        if s.word1 == 0 || (s.word1 == word1 && s.ctx == ctx) {
            return i;
        }
        i += 1;
        if i == slots.len() {
            i = 0;
        }
    }
}

/// One order's n-grams with their flags, by id and by `(context id, word)`.
#[derive(Default)]
pub(super) struct OrderTable {
    slots: Option<HugeBuf<Slot>>,
    /// Records in the slots.
    in_slots: usize,
    /// Records that found no slot after the table was frozen, and their ids
    /// by key.
    overflow: Vec<Slot>,
    overflow_ids: HashMap<(u32, u32), u32, ahash::RandomState>,
    frozen: bool,
}

impl OrderTable {
    fn slots(&self) -> &[Slot] {
        self.slots.as_deref().unwrap_or(&[])
    }

    /// How many n-grams the table holds.
    pub(super) fn len(&self) -> usize {
        self.in_slots + self.overflow.len()
    }

    /// One more than the largest id.
    pub(super) fn id_space(&self) -> usize {
        self.slots().len() + self.overflow.len()
    }

    /// From now on ids stay as they are.
    pub(super) fn freeze(&mut self) {
        self.frozen = true;
    }

    /// Starts fetching the slot where the key is or would go.
    pub(super) fn prefetch(&self, ctx: u32, word: WordId) {
        let slots = self.slots();
        if !slots.is_empty() {
            prefetch_items(&slots[home(slots.len(), ctx, word.wrapping_add(1))..]);
        }
    }

    /// The id of the n-gram `(ctx, word)`, if present.
    pub(super) fn get(&self, ctx: u32, word: WordId) -> Option<u32> {
        let slots = self.slots();
        let word1 = word.checked_add(1)?;
        if !slots.is_empty() {
            let i = probe(slots, ctx, word1);
            if slots[i].word1 != 0 {
                return Some(i as u32);
            }
        }
        if self.overflow.is_empty() {
            return None;
        }
        self.overflow_ids.get(&(ctx, word1)).copied()
    }

    /// Adds `rec` with its flags; its id, or `None` when the key is present
    /// or ids would pass `u32::MAX - 1`. `expected` is how many records the
    /// order will probably hold (an untrusted hint: growth follows it at most
    /// eight times what is held).
    pub(super) fn insert(&mut self, rec: Rec, flags: u8, expected: usize) -> Option<u32> {
        let word1 = rec.word.checked_add(1)?;
        let room = |t: &Self| (t.in_slots + 1) * LOAD_DEN <= t.slots().len() * LOAD_NUM;
        if !self.frozen && !room(self) {
            let want = (self.in_slots * 2)
                .max(expected.min(self.in_slots * 8))
                .max(1024);
            self.grow(slots_for(want))?;
        }
        let slot = Slot {
            ctx: rec.ctx,
            word1,
            prob: rec.prob,
            backoff: rec.backoff,
            flags,
        };
        let slots = self.slots();
        let at = (!slots.is_empty()).then(|| probe(slots, rec.ctx, word1));
        let overflows = !self.overflow.is_empty();
        if at.is_some_and(|i| slots[i].word1 != 0)
            || (overflows && self.overflow_ids.contains_key(&(rec.ctx, word1)))
        {
            return None;
        }
        let (id, room) = (self.id_space(), room(self));
        match (at, self.slots.as_deref_mut()) {
            (Some(i), Some(slots)) if room => {
                slots[i] = slot;
                self.in_slots += 1;
                Some(i as u32)
            }
            _ => {
                let id = u32::try_from(id).ok().filter(|&i| i < u32::MAX)?;
                self.overflow.push(slot);
                self.overflow_ids.insert((rec.ctx, word1), id);
                Some(id)
            }
        }
    }

    /// Makes room for `n` records in all, unless frozen: the table does not
    /// grow again before it holds them. `None` if ids would pass
    /// `u32::MAX - 1`.
    pub(super) fn reserve(&mut self, n: usize) -> Option<()> {
        let size = slots_for(n);
        if !self.frozen && size > self.slots().len() {
            self.grow(size)?;
        }
        Some(())
    }

    /// Moves the records to `size` slots (no overflow yet: the table is not
    /// frozen). `None` if ids would pass `u32::MAX - 1`.
    fn grow(&mut self, size: usize) -> Option<()> {
        u32::try_from(size).ok().filter(|&s| s < u32::MAX)?;
        let mut slots = HugeBuf::filled(size, Slot::default());
        for s in self.slots().iter().filter(|s| s.word1 != 0) {
            let i = probe(&slots, s.ctx, s.word1);
            slots[i] = *s;
        }
        self.slots = Some(slots);
        Some(())
    }

    fn slot(&self, id: u32) -> &Slot {
        let slots = self.slots();
        match slots.get(id as usize) {
            Some(s) => s,
            None => &self.overflow[id as usize - slots.len()],
        }
    }

    fn slot_mut(&mut self, id: u32) -> &mut Slot {
        let n = self.slots().len();
        match self.slots.as_deref_mut() {
            Some(slots) if (id as usize) < n => &mut slots[id as usize],
            _ => &mut self.overflow[id as usize - n],
        }
    }

    /// The record with id `id`.
    pub(super) fn rec(&self, id: u32) -> Rec {
        self.slot(id).rec()
    }

    /// Sets the probability of the record with id `id`.
    pub(super) fn set_prob(&mut self, id: u32, prob: f32) {
        self.slot_mut(id).prob = prob;
    }

    /// The flags of the record with id `id`.
    pub(super) fn flags(&self, id: u32) -> u8 {
        self.slot(id).flags
    }

    /// Adds `flags` to those of the record with id `id`.
    pub(super) fn add_flags(&mut self, id: u32, flags: u8) {
        self.slot_mut(id).flags |= flags;
    }

    /// Calls `f` with every record, its id and flags, by id, giving the
    /// table's memory back as it goes (so that what `f` keeps of the records
    /// and the table take about the larger of the two, not both).
    pub(super) fn drain(mut self, mut f: impl FnMut(u32, Rec, u8)) {
        const CHUNK: usize = 1 << 16;
        let mut id = 0;
        if let Some(slots) = self.slots.as_mut() {
            for start in (0..slots.len()).step_by(CHUNK) {
                let end = (start + CHUNK).min(slots.len());
                for s in &slots[start..end] {
                    if s.word1 != 0 {
                        f(id, s.rec(), s.flags);
                    }
                    id += 1;
                }
                slots.release(start..end);
            }
        }
        for s in &self.overflow {
            f(id, s.rec(), s.flags);
            id += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_in_huge_pages_drains_every_record() {
        let mut t = OrderTable::default();
        for i in 0..200_000u32 {
            assert!(t.insert(rec(i), 1, 200_000).is_some());
        }
        assert!(matches!(t.slots, Some(HugeBuf::Huge(_))));
        let mut seen = vec![false; 200_000];
        t.drain(|id, r, flags| {
            let i = r.ctx * 7 + r.word;
            assert_eq!((r.prob, flags), (-(i as f32), 1), "id {id}");
            seen[i as usize] = true;
        });
        assert!(seen.iter().all(|&s| s));
    }

    fn rec(i: u32) -> Rec {
        Rec {
            ctx: i / 7,
            word: i % 7,
            prob: -(i as f32),
            backoff: i as f32,
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
        t.drain(|id, r, _| listed.push((id, r.ctx, r.word)));
        let mut sorted: Vec<_> = (0..10_000u32)
            .map(|i| (ids[i as usize], i / 7, i % 7))
            .collect();
        sorted.sort_unstable();
        assert_eq!(listed, sorted);
    }
}
