//! The rescorer's cache of word spellings' model ids.
//!
//! A spelling of at most 16 bytes is its own key: its bytes, zero-padded, in
//! two `u64`s, with its length. Packing reads the bytes with a few overlapping
//! loads (no copy through memory; one, from the hypothesis' text, for most
//! spellings: [`key_in`]), hashing is two multiplications, and equality
//! is three integer compares against one 32-byte slot, one cache line. Longer
//! spellings and the empty one (rare) are keyed by a hash of their bytes and
//! compared with a copy kept in the cache.

use crate::vocab::WordId;

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xD6E8_FEB8_6659_FD93;

/// Spellings longer than this (or empty) are keyed by a hash and compared
/// byte by byte.
pub(super) const INLINE: usize = 16;

/// `len` of an empty slot.
const EMPTY: u32 = u32::MAX;

/// The farthest a spelling is kept from its home slot: one that would land
/// farther is not cached (looked up in the model each time), so a lookup
/// reads at most this many slots. The hash is fixed, so a hostile input can
/// give many spellings one home: unbounded, their run of slots made each
/// lookup a scan (200,000 such 8-byte words, a 1.8 MB list, took 74 s to
/// rescore, 0.11 s for random words). At a load of at most 1/2 an honest
/// spelling is this far from home with negligible probability.
const MAX_PROBES: usize = 64;

#[inline(always)]
fn u64_at(s: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"))
}

#[inline(always)]
fn u32_at(s: &[u8], i: usize) -> u64 {
    u64::from(u32::from_le_bytes(s[i..i + 4].try_into().expect("4 bytes")))
}

/// The key of `word`: `(a, b)` = its bytes zero-padded when it has at most
/// [`INLINE`] bytes, else `(hash of its bytes, 0)`.
/// Short spellings are read with at most three overlapping loads (bytes that
/// two loads share agree, so OR-ing them is exact).
#[inline(always)]
pub(super) fn key(word: &[u8]) -> (u64, u64) {
    let n = word.len();
    if n == 0 || n > INLINE {
        return long_key(word);
    }
    let a = match n {
        1..=3 => {
            u64::from(word[0])
                | u64::from(word[n / 2]) << (8 * (n / 2))
                | u64::from(word[n - 1]) << (8 * (n - 1))
        }
        4..=8 => u32_at(word, 0) | u32_at(word, n - 4) << (8 * (n - 4)),
        _ => u64_at(word, 0),
    };
    let b = if n > 8 {
        u64_at(word, n - 8) >> (8 * (INLINE - n))
    } else {
        0
    };
    (a, b)
}

/// [`key`] of `text[from..end]` (`from <= end <= text.len()`), read from
/// the whole text: a spelling of 1 to 8 bytes (most are) in a text of at
/// least 8 is one 8-byte load (from its start, or the text's last 8 bytes), a
/// shift and a mask, with no branch on its length. `key`'s match on the
/// length took a sixth of the rescorer's mispredicted branches on real n-best
/// lists, whose words are of 1 to 3 bytes and of 4 to 8 in no order.
#[inline(always)]
pub(super) fn key_in(text: &[u8], from: usize, end: usize) -> (u64, u64) {
    /// The mask of a spelling's bytes in its word, by its length mod 8.
    const MASKS: [u64; 8] = {
        let mut m = [u64::MAX; 8];
        let mut n = 1;
        while n < 8 {
            m[n] = (1 << (8 * n)) - 1;
            n += 1;
        }
        m
    };
    let n = end.wrapping_sub(from);
    let len = text.len();
    if n.wrapping_sub(1) < 8 && len >= 8 {
        let start = from.min(len - 8);
        let a = u64_at(text, start) >> (8 * (from - start)) & MASKS[n & 7];
        return (a, 0);
    }
    key(&text[from..end])
}

/// The key of an empty or long spelling: a hash of its bytes (length
/// included) and 0.
#[cold]
fn long_key(word: &[u8]) -> (u64, u64) {
    let n = word.len();
    let mut h = n as u64;
    let mut chunks = word.chunks_exact(8);
    for c in &mut chunks {
        h = (h.rotate_left(23) ^ u64_at(c, 0)).wrapping_mul(K1);
    }
    if n >= 8 {
        // The last 8 bytes again (overlapping): no partial load.
        h = (h.rotate_left(23) ^ u64_at(word, n - 8)).wrapping_mul(K2);
    } else {
        for &c in chunks.remainder() {
            h = (h.rotate_left(23) ^ u64::from(c)).wrapping_mul(K2);
        }
    }
    (h ^ (h >> 29), 0)
}

/// One slot: the key, the spelling's length ([`EMPTY`] when unused), its id
/// (or, while `pending`, its number among the spellings not looked up yet),
/// and for long spellings where its bytes are in the cache's text.
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    a: u64,
    b: u64,
    len: u32,
    id: WordId,
    text: u32,
    pending: bool,
}

const EMPTY_SLOT: Slot = Slot {
    a: 0,
    b: 0,
    len: EMPTY,
    id: 0,
    text: 0,
    pending: false,
};

/// What [`WordCache::lookup`] knows of a spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Its model id.
    Found(WordId),
    /// Seen since the last [`WordCache::resolve`], as the `k`-th new spelling.
    Pending(u32),
    /// New: it is now the `k`-th new spelling; look it up and
    /// [`WordCache::resolve`] it.
    New(u32),
}

/// Word spelling -> model id: an open-addressing table (linear probing, load
/// at most 1/2) of [`Slot`]s, plus the bytes of long spellings.
pub(crate) struct WordCache {
    slots: Vec<Slot>,
    /// Bytes of the spellings longer than [`INLINE`] (or empty).
    text: Vec<u8>,
    len: usize,
    /// Bytes the entries take ([`WordCache::cost`] each).
    used: usize,
    /// Pending spellings entered since the last [`WordCache::end_new`].
    new_words: u32,
    shift: u32,
    max_bytes: usize,
}

impl WordCache {
    /// A cache using at most about `max_bytes` bytes (slots and text); when a
    /// new spelling would not fit, it starts afresh.
    pub(crate) fn new(max_bytes: usize) -> WordCache {
        let mut c = WordCache {
            slots: Vec::new(),
            text: Vec::new(),
            len: 0,
            used: 0,
            new_words: 0,
            shift: 64,
            max_bytes,
        };
        c.allocate(1 << 10);
        c
    }

    fn allocate(&mut self, capacity: usize) {
        self.slots = vec![EMPTY_SLOT; capacity];
        self.shift = 64 - capacity.trailing_zeros();
        self.len = 0;
    }

    #[inline(always)]
    fn home(&self, a: u64, b: u64, len: usize) -> usize {
        let h = (a.wrapping_mul(K1) ^ b ^ len as u64).wrapping_mul(K2);
        (h >> self.shift) as usize
    }

    /// What the cache knows of `word`; a new spelling is entered as pending
    /// (spellings too long to keep are new each time).
    #[cfg(test)]
    pub(crate) fn lookup(&mut self, word: &[u8]) -> Lookup {
        self.lookup_keyed(word, key(word))
    }

    /// What the cache knows of `text[from..end]` (see [`key_in`]); a new
    /// spelling is entered as pending (spellings too long to keep are new
    /// each time).
    #[inline(always)]
    pub(crate) fn lookup_in(&mut self, text: &[u8], from: usize, end: usize) -> Lookup {
        self.lookup_keyed(&text[from..end], key_in(text, from, end))
    }

    /// The lookup of `word`, whose key is `(a, b)`.
    #[inline(always)]
    fn lookup_keyed(&mut self, word: &[u8], (a, b): (u64, u64)) -> Lookup {
        if let Some((_, s)) = self.find(word, a, b) {
            return if s.pending {
                Lookup::Pending(s.id)
            } else {
                Lookup::Found(s.id)
            };
        }
        let k = self.new_words;
        self.new_words += 1;
        self.insert(word, a, b, k, true);
        Lookup::New(k)
    }

    /// Sets the id of `word` (entering it if absent); call it for every new
    /// spelling, then [`WordCache::end_new`].
    pub(crate) fn resolve(&mut self, word: &[u8], id: WordId) {
        let (a, b) = key(word);
        match self.find(word, a, b) {
            Some((i, _)) => {
                self.slots[i].id = id;
                self.slots[i].pending = false;
            }
            None => self.insert(word, a, b, id, false),
        }
    }

    /// Numbers new spellings from 0 again (all resolved).
    pub(crate) fn end_new(&mut self) {
        self.new_words = 0;
    }

    /// The slot holding `word` (with key `(a, b)`), and its index, if any.
    #[inline(always)]
    fn find(&self, word: &[u8], a: u64, b: u64) -> Option<(usize, &Slot)> {
        let n = word.len();
        let mask = self.slots.len() - 1;
        let mut i = self.home(a, b, n);
        // Every spelling lies within MAX_PROBES slots of its home (`place`).
        for _ in 0..MAX_PROBES {
            let s = &self.slots[i];
            if s.len == EMPTY {
                return None;
            }
            if ((s.a ^ a) | (s.b ^ b) | u64::from(s.len ^ n as u32)) == 0
                && ((1..=INLINE).contains(&n) || self.long_word(s) == word)
            {
                return Some((i, s));
            }
            i = (i + 1) & mask;
        }
        None
    }

    fn long_word(&self, s: &Slot) -> &[u8] {
        let start = s.text as usize;
        &self.text[start..start + s.len as usize]
    }

    /// Bytes an entry for `word` takes.
    fn cost(word: &[u8]) -> usize {
        let long = if (1..=INLINE).contains(&word.len()) {
            0
        } else {
            word.len()
        };
        2 * std::mem::size_of::<Slot>() + long
    }

    #[cold]
    fn insert(&mut self, word: &[u8], a: u64, b: u64, id: WordId, pending: bool) {
        let cost = Self::cost(word);
        if cost > self.max_bytes || u32::try_from(word.len()).map_or(true, |n| n == EMPTY) {
            return;
        }
        if self.used + cost > self.max_bytes {
            self.text.clear();
            self.slots.fill(EMPTY_SLOT);
            self.len = 0;
            self.used = 0;
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let long = !(1..=INLINE).contains(&word.len());
        let placed = self.place(Slot {
            a,
            b,
            len: word.len() as u32,
            id,
            text: if long { self.text.len() as u32 } else { 0 },
            pending,
        });
        if !placed {
            // Too far from home (see MAX_PROBES): not cached.
            return;
        }
        if long {
            self.text.extend_from_slice(word);
        }
        self.len += 1;
        self.used += cost;
    }

    /// Puts `slot` in the first empty slot from its home on; `false` (and
    /// nothing placed) when that is MAX_PROBES or more slots away.
    fn place(&mut self, slot: Slot) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = self.home(slot.a, slot.b, slot.len as usize);
        for _ in 0..MAX_PROBES {
            if self.slots[i].len == EMPTY {
                self.slots[i] = slot;
                return true;
            }
            i = (i + 1) & mask;
        }
        false
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        self.allocate(old.len() * 2);
        // A spelling that no longer fits near its home is dropped (a cache:
        // it is looked up in the model again).
        for s in old.into_iter().filter(|s| s.len != EMPTY) {
            if self.place(s) {
                self.len += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id of `word`, from the cache or (resolved at once) from `lookup`.
    fn get(c: &mut WordCache, word: &[u8], lookup: impl FnOnce() -> WordId) -> WordId {
        match c.lookup(word) {
            Lookup::Found(id) => id,
            Lookup::Pending(_) => panic!("resolved at once"),
            Lookup::New(k) => {
                assert_eq!(k, 0);
                let id = lookup();
                c.resolve(word, id);
                c.end_new();
                id
            }
        }
    }

    /// Every range of texts of 0 to 24 bytes (none 0, so that a byte past
    /// the spelling kept in its key would show).
    #[test]
    fn key_in_is_the_key_of_the_spelling() {
        for len in 0..=24u8 {
            let text: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37) ^ len | 1).collect();
            for from in 0..=text.len() {
                for end in from..=text.len() {
                    let want = key(&text[from..end]);
                    assert_eq!(key_in(&text, from, end), want, "{len} {from}..{end}");
                }
            }
        }
    }

    #[test]
    fn keys_are_exact_for_short_words() {
        let words: Vec<Vec<u8>> = (1..=16)
            .flat_map(|n| {
                [
                    vec![b'x'; n],
                    (0..n as u8).collect(),
                    (0..n as u8).map(|i| 255 - i).collect(),
                ]
            })
            .collect();
        for w in &words {
            let (a, b) = key(w);
            let mut bytes = [0u8; 16];
            bytes[..w.len()].copy_from_slice(w);
            assert_eq!(
                a,
                u64::from_le_bytes(bytes[..8].try_into().unwrap()),
                "{w:?}"
            );
            assert_eq!(
                b,
                u64::from_le_bytes(bytes[8..].try_into().unwrap()),
                "{w:?}"
            );
        }
    }

    /// Looks `words` up twice in `c` (word `i`'s id is `i`), checking each
    /// id and then `check` after each lookup; returns how many lookups
    /// reached the model.
    fn look_up_twice(c: &mut WordCache, words: &[String], check: impl Fn(&WordCache)) -> usize {
        let mut calls = 0;
        for _ in 0..2 {
            for (i, w) in words.iter().enumerate() {
                let id = get(c, w.as_bytes(), || {
                    calls += 1;
                    i as WordId
                });
                assert_eq!(id, i as WordId, "{w}");
                check(c);
            }
        }
        calls
    }

    /// [`look_up_twice`] of `w0` to `w59`.
    fn sixty_spellings_twice(c: &mut WordCache, check: impl Fn(&WordCache)) -> usize {
        let words: Vec<String> = (0..60).map(|i| format!("w{i}")).collect();
        look_up_twice(c, &words, check)
    }

    #[test]
    fn looks_each_spelling_up_once_and_restarts_when_full() {
        let mut c = WordCache::new(40 * 64);
        let calls = sixty_spellings_twice(&mut c, |_| {});
        // 40 entries fit: the cache restarted, so some spellings were looked
        // up again, but never more than twice.
        assert!(calls > 60 && calls <= 120, "{calls}");
        let mut tiny = WordCache::new(4);
        assert_eq!(get(&mut tiny, b"longer than four", || 9), 9);
        assert_eq!(get(&mut tiny, b"longer than four", || 8), 8);
    }

    /// Far more spellings (short and long) than the first table holds at a
    /// load of 1/2: the table grows, keeping every spelling entered (each is
    /// looked up once), and stays at most half full.
    #[test]
    fn the_table_grows_and_keeps_every_spelling() {
        let mut c = WordCache::new(1 << 22);
        let words: Vec<String> = (0..6000)
            .map(|i| match i % 3 {
                0 => format!("w{i}"),
                1 => format!("{i}-a-spelling-longer-than-sixteen-bytes"),
                _ => format!("{i:>16}"),
            })
            .collect();
        assert_eq!(look_up_twice(&mut c, &words, |_| {}), words.len());
        assert_eq!(c.len, words.len());
        assert!(c.slots.len() >= 2 * words.len(), "{}", c.slots.len());
    }

    #[test]
    fn new_spellings_are_numbered_until_resolved() {
        let mut c = WordCache::new(1 << 16);
        assert_eq!(c.lookup(b"a"), Lookup::New(0));
        assert_eq!(c.lookup(b"b"), Lookup::New(1));
        assert_eq!(c.lookup(b"a"), Lookup::Pending(0));
        c.resolve(b"a", 7);
        c.resolve(b"b", 8);
        c.end_new();
        assert_eq!(c.lookup(b"b"), Lookup::Found(8));
        assert_eq!(c.lookup(b"c"), Lookup::New(0));
    }

    /// The inverse of an odd `x` modulo 2^64 (Newton's iteration).
    fn inverse(x: u64) -> u64 {
        let mut inv = x;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(x.wrapping_mul(inv)));
        }
        assert_eq!(x.wrapping_mul(inv), 1);
        inv
    }

    #[test]
    fn spellings_of_one_home_are_kept_near_it() {
        // 8-byte spellings whose hashes share their top 24 bits, so one home
        // slot at every table size the cache reaches here (a hostile input's
        // words): at most MAX_PROBES of them are cached, the rest looked up
        // in the model each time, and every id is right.
        let (k1, k2) = (inverse(K1), inverse(K2));
        let words: Vec<[u8; 8]> = (0..1000u64)
            .map(|r| {
                let h = (0xAB_CDEF << 40) | r;
                (((h.wrapping_mul(k2)) ^ 8).wrapping_mul(k1)).to_le_bytes()
            })
            .collect();
        let mut c = WordCache::new(1 << 20);
        let home = |c: &WordCache, w: &[u8]| {
            let (a, b) = key(w);
            c.home(a, b, w.len())
        };
        let mut calls = 0;
        for _ in 0..2 {
            for (i, w) in words.iter().enumerate() {
                let id = get(&mut c, w, || {
                    calls += 1;
                    i as WordId
                });
                assert_eq!(id, i as WordId);
            }
        }
        assert!(words.iter().all(|w| home(&c, w) == home(&c, &words[0])));
        assert_eq!(c.len, MAX_PROBES);
        assert_eq!(calls, 2 * words.len() - MAX_PROBES);
        // Every cached spelling lies less than MAX_PROBES slots from its home.
        let mask = c.slots.len() - 1;
        for (i, s) in c.slots.iter().enumerate().filter(|(_, s)| s.len != EMPTY) {
            let home = c.home(s.a, s.b, s.len as usize);
            assert!(
                (i.wrapping_sub(home) & mask) < MAX_PROBES,
                "slot {i}, home {home}"
            );
        }
        // Other spellings are cached as before.
        assert_eq!(get(&mut c, b"other", || 5), 5);
        assert_eq!(get(&mut c, b"other", || panic!("cached")), 5);
    }

    #[test]
    fn long_spellings_and_zero_bytes_are_told_apart() {
        let mut c = WordCache::new(1 << 16);
        let words: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\0".to_vec(),
            b"\0\0".to_vec(),
            b"a".to_vec(),
            b"a\0".to_vec(),
            b"abcdefghijklmnopq".to_vec(),
            b"abcdefghijklmnopr".to_vec(),
            b"abcdefghijklmnopqrstuvwxyz0123456789".to_vec(),
            b"abcdefghijklmnopqrstuvwxyz0123456780".to_vec(),
        ];
        for (i, w) in words.iter().enumerate() {
            assert_eq!(get(&mut c, w, || i as WordId), i as WordId);
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(get(&mut c, w, || panic!("cached")), i as WordId);
        }
    }

    /// Long spellings that differ only in their last bytes, past their last
    /// whole 8-byte chunk (numbered words of 17 to 24 bytes): the hash reads
    /// those bytes too, so the spellings do not pile up at one home past
    /// `MAX_PROBES`, and each is looked up in the model once.
    #[test]
    fn long_spellings_that_differ_only_at_the_end_are_looked_up_once() {
        let words: Vec<String> = (14..=21)
            .flat_map(|k| (0..1000).map(move |i| format!("{}{i:03}", "x".repeat(k))))
            .collect();
        let mut c = WordCache::new(1 << 22);
        assert_eq!(look_up_twice(&mut c, &words, |_| {}), words.len());
    }

    /// Spellings whose keys differ in two of their three parts (first half,
    /// second half, length) by the same bits: 16-byte ones whose halves differ
    /// alike, and ones whose first or ninth byte differs as their lengths do
    /// (the bytes after it zero). A key compare that lets two differences
    /// cancel gives thousands of them, many sharing runs of slots, a wrong id.
    #[test]
    fn keys_that_differ_alike_in_two_places_are_told_apart() {
        let halves =
            (b'0'..b'p').flat_map(|x| (b'0'..b'p').map(move |y| [[x; 8], [y; 8]].concat()));
        // `k ^ n` at `at`, after `at` bytes 'x', zeros up to length `n`.
        let byte_as_length = |at: usize, lengths: std::ops::RangeInclusive<u8>| {
            (0..=255u8).flat_map(move |k| {
                lengths.clone().map(move |n| {
                    let mut w = vec![b'x'; at];
                    w.resize(n as usize, 0);
                    w[at] = k ^ n;
                    w
                })
            })
        };
        let words: Vec<Vec<u8>> = halves
            .chain(byte_as_length(0, 1..=16))
            .chain(byte_as_length(8, 9..=16))
            .collect();
        let mut c = WordCache::new(1 << 22);
        for (i, w) in words.iter().enumerate() {
            assert_eq!(get(&mut c, w, || i as WordId), i as WordId, "{w:?}");
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(get(&mut c, w, || panic!("cached")), i as WordId, "{w:?}");
        }
    }

    /// The cache keeps to its budget when its entries' costs do not add up
    /// to it exactly: it restarts before an entry would pass it, so some
    /// spellings are looked up twice, and never more.
    #[test]
    fn restarts_before_passing_a_budget_that_is_no_multiple_of_the_entries() {
        let budget = 40 * WordCache::cost(b"w0") + 32;
        let mut c = WordCache::new(budget);
        let calls = sixty_spellings_twice(&mut c, |c| {
            assert!(c.used <= budget, "{} > {budget}", c.used);
        });
        assert!(calls > 60 && calls <= 120, "{calls}");
    }
}
