//! Small open-addressing tables for the rescorer's inner loop: a `u64 -> u64`
//! memo cleared in O(1), and a cache of word spellings' ids.
//!
//! Both use linear probing at a load factor of at most 1/2 and a multiplicative
//! hash; they are private to [`rescorer`](super::rescorer).

use crate::vocab::WordId;

const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

/// A map from `u64` keys to `u64` values. [`Memo::clear`] is O(1): every slot
/// carries the stamp of the generation that wrote it.
pub(crate) struct Memo {
    keys: Vec<u64>,
    values: Vec<u64>,
    stamps: Vec<u32>,
    stamp: u32,
    len: usize,
    shift: u32,
}

impl Memo {
    pub(crate) fn new() -> Memo {
        let mut m = Memo {
            keys: Vec::new(),
            values: Vec::new(),
            stamps: Vec::new(),
            stamp: 1,
            len: 0,
            shift: 64,
        };
        m.allocate(1 << 10);
        m
    }

    fn allocate(&mut self, capacity: usize) {
        self.keys = vec![0; capacity];
        self.values = vec![0; capacity];
        self.stamps = vec![0; capacity];
        self.shift = 64 - capacity.trailing_zeros();
        self.len = 0;
    }

    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        ((key ^ (key >> 29)).wrapping_mul(MULTIPLIER) >> self.shift) as usize
    }

    /// Removes every entry.
    pub(crate) fn clear(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.stamps.fill(0);
            self.stamp = 1;
        }
        self.len = 0;
    }

    /// Makes room for `more` insertions without growing in between, so slot
    /// indices returned until then stay valid.
    pub(crate) fn reserve(&mut self, more: usize) {
        let need = (self.len + more) * 2;
        if need <= self.keys.len() {
            return;
        }
        let capacity = need.next_power_of_two();
        let old_keys = std::mem::take(&mut self.keys);
        let old_values = std::mem::take(&mut self.values);
        let old_stamps = std::mem::take(&mut self.stamps);
        let stamp = self.stamp;
        self.allocate(capacity);
        for ((k, v), s) in old_keys.into_iter().zip(old_values).zip(old_stamps) {
            if s == stamp {
                let (slot, _) = self.find_or_insert(k, v);
                debug_assert!(slot < self.keys.len());
            }
        }
    }

    /// The slot of `key` and its value, inserting `value` first when the key is
    /// absent (then the returned value is `value`). Needs room (see
    /// [`Memo::reserve`]).
    #[inline(always)]
    pub(crate) fn find_or_insert(&mut self, key: u64, value: u64) -> (usize, u64) {
        let mask = self.keys.len() - 1;
        let mut i = self.home(key);
        loop {
            if self.stamps[i] != self.stamp {
                self.stamps[i] = self.stamp;
                self.keys[i] = key;
                self.values[i] = value;
                self.len += 1;
                return (i, value);
            }
            if self.keys[i] == key {
                return (i, self.values[i]);
            }
            i = (i + 1) & mask;
        }
    }

    /// Overwrites the value in `slot` (from [`Memo::find_or_insert`]).
    #[inline(always)]
    pub(crate) fn set(&mut self, slot: usize, value: u64) {
        self.values[slot] = value;
    }
}

/// A hash of a word's bytes, never 0 (0 marks an empty slot).
#[inline(always)]
fn word_hash(word: &[u8]) -> u64 {
    let mut h = word.len() as u64;
    let mut chunks = word.chunks_exact(8);
    for c in &mut chunks {
        let x = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h.rotate_left(5) ^ x).wrapping_mul(MULTIPLIER);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut x = [0u8; 8];
        for (d, s) in x.iter_mut().zip(rest) {
            *d = *s;
        }
        h = (h.rotate_left(5) ^ u64::from_le_bytes(x)).wrapping_mul(MULTIPLIER);
    }
    (h ^ (h >> 32)) | 1
}

/// Word spelling -> model id, with the spellings' bytes in one buffer.
pub(crate) struct WordCache {
    hashes: Vec<u64>,
    /// Per slot: offset and length of the spelling in `text`, and the id.
    entries: Vec<(u32, u32, WordId)>,
    text: Vec<u8>,
    len: usize,
    shift: u32,
    max_text: usize,
}

impl WordCache {
    /// A cache holding at most `max_text` bytes of spellings; when a new one
    /// would not fit, it starts afresh.
    pub(crate) fn new(max_text: usize) -> WordCache {
        let mut c = WordCache {
            hashes: Vec::new(),
            entries: Vec::new(),
            text: Vec::new(),
            len: 0,
            shift: 64,
            max_text,
        };
        c.allocate(1 << 10);
        c
    }

    fn allocate(&mut self, capacity: usize) {
        self.hashes = vec![0; capacity];
        self.entries = vec![(0, 0, 0); capacity];
        self.shift = 64 - capacity.trailing_zeros();
        self.len = 0;
    }

    #[inline(always)]
    fn home(&self, hash: u64) -> usize {
        (hash.wrapping_mul(MULTIPLIER) >> self.shift) as usize
    }

    /// The id of `word`, computing it with `lookup` the first time.
    #[inline]
    pub(crate) fn get(&mut self, word: &[u8], lookup: impl FnOnce(&[u8]) -> WordId) -> WordId {
        let hash = word_hash(word);
        let mask = self.hashes.len() - 1;
        let mut i = self.home(hash);
        loop {
            let h = self.hashes[i];
            if h == 0 {
                break;
            }
            if h == hash {
                let (off, len, id) = self.entries[i];
                let stored = &self.text[off as usize..off as usize + len as usize];
                if super::rescorer::same_word(stored, word) {
                    return id;
                }
            }
            i = (i + 1) & mask;
        }
        let id = lookup(word);
        if word.len() > self.max_text {
            return id;
        }
        if self.text.len() + word.len() > self.max_text {
            self.text.clear();
            self.hashes.fill(0);
            self.len = 0;
        }
        if (self.len + 1) * 2 > self.hashes.len() {
            self.grow();
        }
        let off = self.text.len() as u32;
        self.text.extend_from_slice(word);
        let mask = self.hashes.len() - 1;
        let mut i = self.home(hash);
        while self.hashes[i] != 0 {
            i = (i + 1) & mask;
        }
        self.hashes[i] = hash;
        self.entries[i] = (off, word.len() as u32, id);
        self.len += 1;
        id
    }

    fn grow(&mut self) {
        let old_hashes = std::mem::take(&mut self.hashes);
        let old_entries = std::mem::take(&mut self.entries);
        let len = self.len;
        self.allocate(old_hashes.len() * 2);
        let mask = self.hashes.len() - 1;
        for (h, e) in old_hashes.into_iter().zip(old_entries) {
            if h != 0 {
                let mut i = self.home(h);
                while self.hashes[i] != 0 {
                    i = (i + 1) & mask;
                }
                self.hashes[i] = h;
                self.entries[i] = e;
            }
        }
        self.len = len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_keeps_values_across_growth_and_forgets_on_clear() {
        let mut m = Memo::new();
        for round in 0..3u64 {
            m.clear();
            m.reserve(5000);
            for k in 0..5000u64 {
                let key = k * 0x1_0000_0001 + round;
                assert_eq!(m.find_or_insert(key, k + 1).1, k + 1);
            }
            m.reserve(5000);
            for k in 0..5000u64 {
                let key = k * 0x1_0000_0001 + round;
                let (slot, v) = m.find_or_insert(key, 0);
                assert_eq!(v, k + 1);
                m.set(slot, v * 2);
                assert_eq!(m.find_or_insert(key, 0).1, (k + 1) * 2);
            }
        }
        m.clear();
        m.reserve(1);
        assert_eq!(m.find_or_insert(0, 7).1, 7);
    }

    #[test]
    fn word_cache_looks_each_spelling_up_once_and_restarts_when_full() {
        let mut c = WordCache::new(64);
        let mut calls = 0;
        let words: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        for _ in 0..2 {
            for (i, w) in words.iter().enumerate() {
                let id = c.get(w.as_bytes(), |_| {
                    calls += 1;
                    i as WordId
                });
                assert_eq!(id, i as WordId);
            }
        }
        // 64 bytes hold about 25 two- and three-byte spellings: the cache
        // restarted, so some were looked up again, but never more than twice.
        assert!(calls > 40 && calls <= 80, "{calls}");
        let mut big = WordCache::new(4);
        assert_eq!(big.get(b"longer than four", |_| 9), 9);
        assert_eq!(big.get(b"", |_| 3), 3);
        assert_eq!(big.get(b"", |_| 4), 3);
    }
}
