//! The completing builder's index of an order: `(context id, word)` to the
//! n-gram's id and its suffix's id, by open addressing with the keys in the slots, so a lookup
//! usually reads one cache line (a `hashbrown` table reads a group of control
//! bytes, then the slot, then the key it points to).

use crate::format::{prefetch_items, HugeBuf};

/// Slots per key at most: 4/3 (load factor 0.75).
const LOAD_NUM: usize = 3;
const LOAD_DEN: usize = 4;

/// `(context id, word) -> (id, suffix id)`, ids below `u32::MAX`.
///
/// The slots are in memory advised to use huge pages: lookups are random over
/// tens of megabytes, and a TLB miss each would cost as much as the cache miss.
#[derive(Default)]
pub(super) struct KeyIndex {
    /// `[ctx, word, id + 1, suffix]`, zero when free.
    slots: Option<HugeBuf<[u32; 4]>>,
    len: usize,
}

fn hash(ctx: u32, word: u32) -> u64 {
    let m = u128::from(u64::from(ctx) << 32 | u64::from(word)) * 0x9e37_79b9_7f4a_7c15;
    (m as u64) ^ (m >> 64) as u64
}

/// The first of `len` slots to look at for the key (multiply-shift).
fn home(len: usize, ctx: u32, word: u32) -> usize {
    ((u128::from(hash(ctx, word)) * len as u128) >> 64) as usize
}

/// The slot holding the key, or the free slot where it would go (there is one).
fn probe(slots: &[[u32; 4]], ctx: u32, word: u32) -> usize {
    let mut i = home(slots.len(), ctx, word);
    loop {
        let s = &slots[i];
        if s[2] == 0 || (s[0] == ctx && s[1] == word) {
            return i;
        }
        i += 1;
        if i == slots.len() {
            i = 0;
        }
    }
}

impl KeyIndex {
    fn slots(&self) -> &[[u32; 4]] {
        self.slots.as_deref().unwrap_or(&[])
    }

    /// Starts fetching the slot where the key is or would go.
    pub(super) fn prefetch(&self, ctx: u32, word: u32) {
        let slots = self.slots();
        if !slots.is_empty() {
            prefetch_items(&slots[home(slots.len(), ctx, word)..]);
        }
    }

    /// The id of the key and of its suffix, if present.
    pub(super) fn get(&self, ctx: u32, word: u32) -> Option<(u32, u32)> {
        let slots = self.slots();
        if slots.is_empty() {
            return None;
        }
        let s = slots[probe(slots, ctx, word)];
        (s[2] != 0).then(|| (s[2] - 1, s[3]))
    }

    /// Adds the key `[ctx, word]` with `id` (below `u32::MAX`) and the id of
    /// its suffix; `false` if it is present. `expected` is how many keys the index will probably hold (an
    /// untrusted hint: growth follows it at most eight times what is held).
    pub(super) fn insert(&mut self, [ctx, word, id, suffix]: [u32; 4], expected: usize) -> bool {
        if (self.len + 1) * LOAD_DEN > self.slots().len() * LOAD_NUM {
            let want = (self.len * 2).max(expected.min(self.len * 8)).max(1024);
            self.resize(want * LOAD_DEN / LOAD_NUM + 1);
        }
        let Some(slots) = self.slots.as_deref_mut() else {
            return false;
        };
        let i = probe(slots, ctx, word);
        if slots[i][2] != 0 {
            return false;
        }
        slots[i] = [ctx, word, id + 1, suffix];
        self.len += 1;
        true
    }

    /// Moves the keys to `size` slots.
    fn resize(&mut self, size: usize) {
        let mut slots = HugeBuf::filled(size, [0; 4]);
        for &s in self.slots().iter().filter(|s| s[2] != 0) {
            let i = probe(&slots, s[0], s[1]);
            slots[i] = s;
        }
        self.slots = Some(slots);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_inserted_and_refuses_duplicates() {
        let mut index = KeyIndex::default();
        assert_eq!(index.get(1, 2), None);
        for i in 0..5000u32 {
            assert!(index.insert([i / 7, i % 7, i, i + 1], 100));
        }
        assert!(!index.insert([3, 1, 99, 0], 100));
        for i in 0..5000u32 {
            assert_eq!(index.get(i / 7, i % 7), Some((i, i + 1)));
        }
        assert_eq!(index.get(5000, 0), None);
    }
}
