//! The rescorer's memo of transitions (and, for models whose states have
//! keys, of state numbers): a `u64 -> u64` open-addressing table
//! (linear probing, load at most 1/[`SLOTS_PER_KEY`]) whose key and value
//! share one 16-byte slot, so a probe reads one cache line. Clearing costs one
//! store per entry written since the last clear, not one per slot.
//!
//! A key's home is the top bits of `high ^ low * WORD_MULTIPLIER` (its two
//! 32-bit halves): the high half is taken as it is, so it must be well mixed
//! already. The walk's keys are `state tag << 32 | word`, and a state's tag is
//! its number times an odd constant (see the scorer), so the walk's chain from
//! one step to the next (the tag loaded, the slot found) has no multiplication
//! on it: the word's product does not wait for the step before.
//!
//! Private to [`rescorer`](super::rescorer).

/// Multiplies a key's low half (a word, or the id in a state's key).
const WORD_MULTIPLIER: u32 = 0x9E37_79B9;

/// Slots per key, at least: the memo grows before its load passes 1/4.
/// Against 1/2, the walk's steps find their key at its home more often (fewer
/// mispredicted branches): `rescore_bench` ran 1.005-1.08x as fast on
/// synth-dev's lists in 8 of 9 alternating pairs and as fast on lists that do
/// not repeat (session 71), though the memo is twice as large (3% more L1 read
/// misses by callgrind's cache simulation). 1/8 was slower than 1/4.
const SLOTS_PER_KEY: usize = 4;

/// The key of an empty slot; never a valid key.
pub(crate) const NO_KEY: u64 = u64::MAX;

/// A map from `u64` keys (anything but [`NO_KEY`]) to `u64` values.
pub(crate) struct Memo {
    /// `[key, value]` per slot.
    slots: Vec<[u64; 2]>,
    /// The slots written since the last clear.
    used: Vec<u32>,
    /// `32 - log2(slots)`: a 32-bit hash shifted right by it is a slot.
    shift: u32,
    /// How many times the slots were reallocated (slot indices changed).
    moves: u32,
}

impl Memo {
    pub(crate) fn new() -> Memo {
        let mut m = Memo {
            slots: Vec::new(),
            used: Vec::new(),
            shift: 32,
            moves: 0,
        };
        m.allocate(1 << 10);
        m
    }

    fn allocate(&mut self, capacity: usize) {
        // Slot numbers are `u32` (see `used`), and hashes 32 bits.
        assert!(capacity <= 1 << 31, "memo of {capacity} slots");
        self.slots = vec![[NO_KEY, 0]; capacity];
        self.shift = 32 - capacity.trailing_zeros();
        self.used.clear();
        self.moves = self.moves.wrapping_add(1);
    }

    /// Changes whenever slot indices do (see [`Memo::reserve`]): a slot
    /// index taken when this was `m` is still valid while it is `m`.
    #[inline(always)]
    pub(crate) fn moves(&self) -> u32 {
        self.moves
    }

    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        let (high, low) = ((key >> 32) as u32, key as u32);
        ((high ^ low.wrapping_mul(WORD_MULTIPLIER)) >> self.shift) as usize
    }

    /// Removes every entry.
    pub(crate) fn clear(&mut self) {
        for &i in &self.used {
            self.slots[i as usize][0] = NO_KEY;
        }
        self.used.clear();
    }

    /// Makes room for `more` insertions without growing in between, so slot
    /// indices returned until then stay valid.
    #[inline(always)]
    pub(crate) fn reserve(&mut self, more: usize) {
        let need = (self.used.len() + more) * SLOTS_PER_KEY;
        if need > self.slots.len() {
            self.grow(need);
        }
    }

    /// [`Memo::reserve`]'s reallocation, to `need` slots or more.
    #[cold]
    fn grow(&mut self, need: usize) {
        let old = std::mem::take(&mut self.slots);
        let old_used = std::mem::take(&mut self.used);
        self.allocate(need.next_power_of_two());
        for i in old_used {
            let [k, v] = old[i as usize];
            self.find_or_insert(k, v);
        }
    }

    /// The slot of `key` and its value, or `None` when the key was absent and
    /// has just been inserted with `value`. Needs room (see [`Memo::reserve`]).
    #[inline(always)]
    pub(crate) fn find_or_insert(&mut self, key: u64, value: u64) -> (usize, Option<u64>) {
        debug_assert_ne!(key, NO_KEY);
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let [k, v] = self.slots[i];
            if k == key {
                return (i, Some(v));
            }
            if k == NO_KEY {
                self.slots[i] = [key, value];
                self.used.push(i as u32);
                return (i, None);
            }
            i = (i + 1) & mask;
        }
    }

    /// Overwrites the value in `slot` (from [`Memo::find_or_insert`]).
    #[inline(always)]
    pub(crate) fn set(&mut self, slot: usize, value: u64) {
        self.slots[slot][1] = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_move_only_when_the_memo_grows() {
        let mut m = Memo::new();
        let (slot, _) = m.find_or_insert(42, 1);
        let moves = m.moves();
        m.reserve(10); // room already: nothing moves
        assert_eq!(m.moves(), moves);
        m.set(slot, 2);
        assert_eq!(m.find_or_insert(42, 0), (slot, Some(2)));
        m.reserve(5000);
        assert_ne!(m.moves(), moves);
        assert_eq!(m.find_or_insert(42, 0).1, Some(2));
        let moves = m.moves();
        m.clear();
        assert_eq!(m.moves(), moves);
    }

    #[test]
    fn memo_keeps_values_across_growth_and_forgets_on_clear() {
        let mut m = Memo::new();
        for round in 0..3u64 {
            m.clear();
            m.reserve(5000);
            for k in 0..5000u64 {
                let key = k * 0x1_0000_0001 + round;
                assert_eq!(m.find_or_insert(key, k + 1).1, None);
            }
            m.reserve(5000);
            for k in 0..5000u64 {
                let key = k * 0x1_0000_0001 + round;
                let (slot, v) = m.find_or_insert(key, 0);
                assert_eq!(v, Some(k + 1));
                m.set(slot, (k + 1) * 2);
                assert_eq!(m.find_or_insert(key, 0).1, Some((k + 1) * 2));
            }
        }
        m.clear();
        m.reserve(1);
        assert_eq!(m.find_or_insert(0, 7).1, None);
        assert_eq!(m.find_or_insert(0, 8).1, Some(7));
    }
}
