//! Word edit distances on dense integer symbols, 64 cells at a time.
//!
//! The oracle search ([`wer::nbest_wer`](super::wer::nbest_wer)), tuning's
//! per-hypothesis errors ([`TuneSet`](super::TuneSet)) and MBR's pairwise
//! distances ([`DistanceMatrix`](super::mbr::DistanceMatrix)) compare one
//! list's words many times over. Here each distinct word of a list gets a
//! dense `u32` id once ([`WordIds`]; [`Interner`] for other items), and the
//! distances are computed on the id sequences, integer compares instead of
//! string compares, with the bit-parallel algorithm of Myers (1999, "A fast
//! bit-vector algorithm for approximate string matching based on dynamic
//! programming"), in the formulation of Hyyrö (2003, "A bit-vector algorithm
//! for computing Levenshtein and Damerau edit distances"), which gives the
//! same numbers as the textbook table (unit costs).
//!
//! # The algorithm
//!
//! Let `D[i][j]` be the distance of the pattern's first `i` symbols to the
//! text's first `j`. Neighbouring cells differ by -1, 0 or +1, so a column
//! `j` of the table is `D[0][j] = j` plus its vertical deltas
//! `D[i][j] - D[i-1][j]`, kept as two bit vectors: `vp` (bit `i - 1` set when
//! the delta is +1) and `vn` (-1). Column 0 has every delta +1.
//!
//! For each text symbol `c`, `peq[c]` has bit `i - 1` set when pattern symbol
//! `i` is `c` (built once per pattern: [`Pattern::set`]). The next column
//! follows from a few word operations:
//!
//! ```text
//! xv = peq[c] | vn                              xh | xv: the cells equal to
//! xh = (((peq[c] & vp) + vp) ^ vp) | peq[c]     their diagonal neighbour
//! hp = vn | !(xh | vp)                          horizontal delta +1
//! hn = vp & xh                                  horizontal delta -1
//! D[m][j] = D[m][j-1] + hp[m-1] - hn[m-1]       the last row's cell
//! hp = hp << 1 | 1                              row 0's delta is always +1
//! hn = hn << 1
//! vp = hn | !(xv | hp)
//! vn = hp & xv
//! ```
//!
//! The addition is where the work of a whole column happens: its carries run
//! up the runs of matching cells, which is how a match propagates its zero
//! diagonal step down the column. Carries and shifts only move towards higher
//! bits, so the bits above a pattern shorter than 64 never disturb those below.
//!
//! A pattern of `m <= 64` symbols takes one `u64` per vector: a column costs
//! about 25 instructions instead of `m` cells of the table (each about 27,
//! with a string compare). A longer pattern is cut into blocks of 64 rows
//! (Myers' blocked version): each block takes the horizontal delta entering
//! at its top row from the block above (+1 for the first, the table's row 0)
//! and hands the one leaving its bottom row to the block below; a -1 entering
//! is the same, for the block's carries, as a match in its first row. The
//! distance is read at the pattern's last row, `(m - 1) % 64` of the last
//! block.
//!
//! The distance is symmetric: whichever sequence is compared with many others
//! (the reference; in MBR, each hypothesis against the ones after it) is the
//! pattern, built once. Numbering the words costs more than the distances
//! themselves: a lookup per word of the list ([`WordIds`]).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::OnceLock;

use super::joined::Words;

/// The id [`WordIds::get`] gives a word it has not seen: it matches no
/// pattern symbol.
pub(crate) const UNSEEN: u32 = u32::MAX;

/// Dense ids, from 0 in order of first appearance, for distinct items (a
/// list's words).
pub(crate) struct Interner<'a, T: ?Sized> {
    ids: HashMap<&'a T, u32, ahash::RandomState>,
}

impl<'a, T: ?Sized + Eq + Hash> Interner<'a, T> {
    /// No items.
    pub(crate) fn new() -> Self {
        // Randomly seeded: the words come from the input.
        Interner {
            ids: HashMap::with_hasher(ahash::RandomState::new()),
        }
    }

    /// The id of `x`, a new one (the number of ids so far) if `x` is new.
    #[inline]
    pub(crate) fn id(&mut self, x: &'a T) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(x).or_insert(next)
    }
}

/// Dense word ids, from 0 in order of first appearance: [`Interner`] for
/// words, without a general hash map's costs (the oracle search looks up every
/// hypothesis word).
///
/// An open-addressing table (linear probing, load at most 1/2) keyed as the
/// rescorer's word cache keys spellings (`words::key`): a word of 1 to 16
/// bytes is its own key, its bytes zero-padded in two `u64`s, so equality is
/// three integer compares; a longer (or empty) word is keyed by a hash of its
/// bytes and compared with its copy. The slot is chosen by a folded multiply
/// of the key with per-process random seeds (as `foldhash` hashes short
/// strings), so an input cannot pick words that share a slot; were all of a
/// list's words in one run of slots, a lookup would compare its word with
/// each distinct word once, as the table of an alignment compares it with
/// each word of the other sequence.
pub(crate) struct WordIds<'a> {
    slots: Vec<Slot>,
    /// The words by id.
    words: Vec<&'a [u8]>,
    /// 64 minus log2 of the number of slots.
    shift: u32,
    seeds: (u64, u64),
}

/// A [`WordIds`] slot: the key, the length ([`EMPTY`] when unused) and the
/// id.
#[derive(Clone, Copy)]
struct Slot {
    a: u64,
    b: u64,
    len: u32,
    id: u32,
}

/// [`Slot::len`] of an unused slot.
const EMPTY: u32 = u32::MAX;

const EMPTY_SLOT: Slot = Slot {
    a: 0,
    b: 0,
    len: EMPTY,
    id: 0,
};

/// Per-process random seeds for [`WordIds`].
fn seeds() -> (u64, u64) {
    static SEEDS: OnceLock<(u64, u64)> = OnceLock::new();
    *SEEDS.get_or_init(|| {
        let s = std::collections::hash_map::RandomState::new();
        (s.hash_one(1u64), s.hash_one(2u64))
    })
}

/// The high and low halves of `x * y`, xor-ed.
#[inline(always)]
fn folded_multiply(x: u64, y: u64) -> u64 {
    let p = u128::from(x) * u128::from(y);
    (p as u64) ^ ((p >> 64) as u64)
}

impl<'a> WordIds<'a> {
    /// No words; room for about `n` before the table grows.
    pub(crate) fn with_capacity(n: usize) -> WordIds<'a> {
        let slots = (2 * n).next_power_of_two().max(16);
        WordIds {
            slots: vec![EMPTY_SLOT; slots],
            words: Vec::with_capacity(n),
            shift: 64 - slots.trailing_zeros(),
            seeds: seeds(),
        }
    }

    /// The id of `word`, a new one (the number of ids so far) if `word` is
    /// new.
    #[inline(always)]
    pub(crate) fn id(&mut self, word: &'a [u8]) -> u32 {
        let (a, b, len) = Self::key(word);
        match self.find(word, a, b, len) {
            Ok(id) => id,
            Err(slot) => self.insert(slot, word, a, b, len),
        }
    }

    /// The id of `word`, or [`UNSEEN`].
    #[inline(always)]
    pub(crate) fn get(&self, word: &[u8]) -> u32 {
        let (a, b, len) = Self::key(word);
        self.find(word, a, b, len).unwrap_or(UNSEEN)
    }

    /// The ids of `words` ([`WordIds::get`]'s) in `out` (cleared first).
    pub(crate) fn get_all(&self, words: &Words, out: &mut Vec<u32>) {
        out.clear();
        out.reserve(words.len());
        out.extend(words.byte_words().map(|w| self.get(w)));
    }

    /// The ids of `words` ([`WordIds::id`]'s), as a new sequence of `seqs`.
    pub(crate) fn push_all(&mut self, words: &'a Words, seqs: &mut Sequences) {
        seqs.push(words.byte_words().map(|w| self.id(w)));
    }

    /// `word`'s key and length (long lengths cut short: such words are
    /// compared with their copies anyway).
    #[inline(always)]
    fn key(word: &[u8]) -> (u64, u64, u32) {
        let (a, b) = super::words::key(word);
        (a, b, word.len().min(EMPTY as usize - 1) as u32)
    }

    #[inline(always)]
    fn home(&self, a: u64, b: u64, len: u32) -> usize {
        let h = folded_multiply(a ^ self.seeds.0, b ^ u64::from(len) ^ self.seeds.1);
        (h >> self.shift) as usize
    }

    /// `Ok(word's id)`, or `Err(the unused slot where it would go)`.
    #[inline(always)]
    fn find(&self, word: &[u8], a: u64, b: u64, len: u32) -> Result<u32, usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(a, b, len);
        // At most half the slots are used: the scan ends.
        loop {
            let s = &self.slots[i];
            if s.len == EMPTY {
                return Err(i);
            }
            if ((s.a ^ a) | (s.b ^ b) | u64::from(s.len ^ len)) == 0
                && ((1..=super::words::INLINE).contains(&word.len())
                    || self.words[s.id as usize] == word)
            {
                return Ok(s.id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Enters `word` in the unused slot `slot` (found for the current table).
    #[cold]
    fn insert(&mut self, mut slot: usize, word: &'a [u8], a: u64, b: u64, len: u32) -> u32 {
        let id = u32::try_from(self.words.len()).expect("fewer than 2^32 distinct words");
        if 2 * (self.words.len() + 1) > self.slots.len() {
            self.grow();
            slot = self.find(word, a, b, len).expect_err("a new word");
        }
        self.slots[slot] = Slot { a, b, len, id };
        self.words.push(word);
        id
    }

    /// Doubles the table.
    fn grow(&mut self) {
        let doubled = vec![EMPTY_SLOT; 2 * self.slots.len()];
        let old = std::mem::replace(&mut self.slots, doubled);
        self.shift -= 1;
        let mask = self.slots.len() - 1;
        for s in old.into_iter().filter(|s| s.len != EMPTY) {
            let mut i = self.home(s.a, s.b, s.len);
            while self.slots[i].len != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
        }
    }
}

/// Many symbol sequences in one allocation.
#[derive(Default)]
pub(crate) struct Sequences {
    symbols: Vec<u32>,
    /// Each sequence's end in `symbols`.
    ends: Vec<usize>,
}

impl Sequences {
    /// Appends a sequence.
    pub(crate) fn push(&mut self, seq: impl IntoIterator<Item = u32>) {
        self.symbols.extend(seq);
        self.ends.push(self.symbols.len());
    }

    /// The number of sequences.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Sequence `i`.
    pub(crate) fn get(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.symbols[start..self.ends[i]]
    }
}

/// The words of `reference` numbered (hypotheses' words are then looked up in
/// the ids, or entered) and its pattern: what the oracle search and tuning
/// compare every hypothesis of a list with.
pub(crate) fn reference_pattern(reference: &[String]) -> (WordIds<'_>, Pattern) {
    let mut ids = WordIds::with_capacity(reference.len());
    let symbols: Vec<u32> = reference.iter().map(|w| ids.id(w.as_bytes())).collect();
    (ids, Pattern::new(&symbols))
}

/// A sequence prepared for bit-parallel distances to many others (see the
/// [module](self) docs).
#[derive(Default)]
pub(crate) struct Pattern {
    /// `peq[c * blocks + b]`: bit `k` set when symbol `64 b + k` is `c`;
    /// `sigma` rows, then at least one row of zeros for every symbol not in
    /// the pattern.
    peq: Vec<u64>,
    /// Blocks of 64 symbols (0 for the empty pattern).
    blocks: usize,
    /// The pattern's length.
    len: usize,
    /// One more than the largest symbol in the pattern.
    sigma: usize,
    /// The bit of the last symbol in the last block.
    last: u64,
    /// The pattern (whose rows of `peq` are the only ones not zero).
    symbols: Vec<u32>,
    /// Whether the pattern has no `peq` (it would take more than
    /// [`MAX_TABLE_WORDS`]): its distances are then the plain table's.
    plain: bool,
}

/// The most `u64`s a pattern's `peq` may take (8 MiB): `peq` grows with the
/// pattern's length times its distinct words, so a long-form reference of
/// 100,000 words with 10,000 distinct ones would need 125 MB; such patterns
/// are aligned by the plain table instead, in memory proportional to the
/// other sequence.
const MAX_TABLE_WORDS: usize = 1 << 20;

impl Pattern {
    /// The pattern `seq`.
    pub(crate) fn new(seq: &[u32]) -> Pattern {
        let mut p = Pattern::default();
        p.set(seq);
        p
    }

    /// Makes this the pattern `seq`, reusing the allocation. `peq` has a row
    /// per symbol up to the largest in `seq`: symbols are meant to be dense
    /// ids ([`WordIds`], [`Interner`]).
    pub(crate) fn set(&mut self, seq: &[u32]) {
        let blocks = seq.len().div_ceil(64);
        let sigma = seq.iter().max().map_or(0, |&c| c as usize + 1);
        let rows = (sigma + 1).saturating_mul(blocks);
        if rows > MAX_TABLE_WORDS {
            self.peq = Vec::new();
            self.plain = true;
        } else {
            if !self.plain && blocks == self.blocks {
                // Only the previous pattern's rows to clear, not every row (in
                // MBR, a row per distinct word of the list, for each hypothesis).
                for &c in &self.symbols {
                    let row = c as usize * blocks;
                    self.peq[row..row + blocks].fill(0);
                }
                if self.peq.len() < rows {
                    self.peq.resize(rows, 0);
                }
            } else {
                self.peq.clear();
                self.peq.resize(rows, 0);
            }
            self.plain = false;
            for (i, &c) in seq.iter().enumerate() {
                self.peq[c as usize * blocks + i / 64] |= 1 << (i % 64);
            }
        }
        self.symbols.clear();
        self.symbols.extend_from_slice(seq);
        self.blocks = blocks;
        self.len = seq.len();
        self.sigma = sigma;
        self.last = match seq.len() {
            0 => 0,
            m => 1 << ((m - 1) % 64),
        };
    }

    /// The Levenshtein distance (unit costs) of the pattern and `text`.
    #[inline]
    pub(crate) fn distance(&self, text: &[u32]) -> usize {
        if self.plain {
            return super::wer::edit_distance(&self.symbols, text);
        }
        match self.blocks {
            0 => text.len(),
            1 => self.distance_one_block(text),
            _ => self.distance_blocks(text),
        }
    }

    /// The row of `peq` for symbol `c` (the zero row when not in the pattern).
    #[inline(always)]
    fn row(&self, c: u32) -> usize {
        (c as usize).min(self.sigma) * self.blocks
    }

    /// [`Pattern::distance`] for a pattern of 1 to 64 symbols.
    #[inline]
    fn distance_one_block(&self, text: &[u32]) -> usize {
        let (mut vp, mut vn) = (!0u64, 0u64);
        let mut d = self.len as isize;
        for &c in text {
            let eq = self.peq[self.row(c)];
            d += step(&mut vp, &mut vn, eq, 1, self.last) as isize;
        }
        d as usize
    }

    /// The distance of the pattern and `words` numbered by `ids`
    /// ([`WordIds::get`]), `buf` a scratch buffer: for a pattern of at most
    /// 64 symbols each word is looked up as the column it makes is computed.
    pub(crate) fn distance_to_words(
        &self,
        ids: &WordIds,
        words: &Words,
        buf: &mut Vec<u32>,
    ) -> usize {
        if self.blocks != 1 || self.plain {
            ids.get_all(words, buf);
            return self.distance(buf);
        }
        let (mut vp, mut vn) = (!0u64, 0u64);
        let mut d = self.len as isize;
        for w in words.byte_words() {
            let eq = self.peq[self.row(ids.get(w))];
            d += step(&mut vp, &mut vn, eq, 1, self.last) as isize;
        }
        d as usize
    }

    /// [`Pattern::distance`] for a pattern of more than 64 symbols.
    fn distance_blocks(&self, text: &[u32]) -> usize {
        let blocks = self.blocks;
        // Per block: (vp, vn).
        let mut v = vec![(!0u64, 0u64); blocks];
        let mut d = self.len as isize;
        for &c in text {
            let row = self.row(c);
            let eqs = &self.peq[row..row + blocks];
            // Row 0's horizontal delta: always +1.
            let mut h = 1;
            let (last, inner) = v.split_last_mut().expect("blocks > 1");
            for ((vp, vn), &eq) in inner.iter_mut().zip(eqs) {
                h = step(vp, vn, eq, h, 1 << 63);
            }
            d += step(&mut last.0, &mut last.1, eqs[blocks - 1], h, self.last) as isize;
        }
        d as usize
    }
}

/// One column of one block (see the [module](self) docs): updates the
/// vertical deltas `vp` and `vn` for a text symbol matching the block's rows
/// `eq`, `h_in` being the horizontal delta (-1, 0 or +1) entering at the top
/// row; returns the horizontal delta at the row of bit `out`.
#[inline(always)]
fn step(vp: &mut u64, vn: &mut u64, eq: u64, h_in: i32, out: u64) -> i32 {
    let (pv, mv) = (*vp, *vn);
    let h_neg = u64::from(h_in < 0);
    let h_pos = u64::from(h_in > 0);
    let xv = eq | mv;
    let eq = eq | h_neg;
    let xh = ((eq & pv).wrapping_add(pv) ^ pv) | eq;
    let ph = mv | !(xh | pv);
    let mh = pv & xh;
    let h_out = i32::from(ph & out != 0) - i32::from(mh & out != 0);
    let ph = (ph << 1) | h_pos;
    let mh = (mh << 1) | h_neg;
    *vp = mh | !(xv | ph);
    *vn = ph & xv;
    h_out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rescore::wer::edit_distance;
    use proptest::prelude::*;

    /// `seq` as symbols: bytes as they are.
    fn ids(seq: &[u8]) -> Vec<u32> {
        seq.iter().map(|&b| u32::from(b)).collect()
    }

    #[test]
    fn known_pairs() {
        let cases: &[(&[u8], &[u8], usize)] = &[
            (b"", b"", 0),
            (b"", b"abc", 3),
            (b"abc", b"", 3),
            (b"kitten", b"sitting", 3),
            (b"sitting", b"kitten", 3),
            (b"flaw", b"lawn", 2),
            (b"abc", b"abc", 0),
            (b"ab", b"ba", 2),
            (b"xabc", b"abcy", 2),
            (b"a", b"b", 1),
        ];
        for &(a, b, d) in cases {
            assert_eq!(Pattern::new(&ids(a)).distance(&ids(b)), d, "{a:?} {b:?}");
        }
        // Around the block boundaries: 64, 65, 128 and 129 symbols.
        for m in [63, 64, 65, 127, 128, 129, 200] {
            let a: Vec<u32> = (0..m).map(|i| i % 7).collect();
            let p = Pattern::new(&a);
            assert_eq!(p.distance(&a), 0, "m {m}");
            assert_eq!(p.distance(&[]), m as usize, "m {m}");
            assert_eq!(p.distance(&vec![9; m as usize]), m as usize, "m {m}");
            assert_eq!(p.distance(&[UNSEEN; 3]), m as usize, "m {m}");
            // One symbol changed, one removed, one added.
            let mut b = a.clone();
            b[m as usize / 2] = 8;
            assert_eq!(p.distance(&b), 1, "m {m}");
            b.remove(0);
            assert_eq!(p.distance(&b), 2, "m {m}");
            b.push(3);
            assert_eq!(p.distance(&b), 3, "m {m}");
        }
    }

    #[test]
    fn patterns_too_large_for_a_table_use_the_plain_one() {
        // 3,000 distinct symbols in 3,000 places: 47 blocks x 3,001 rows
        // would be 141,047 words; one id past MAX_TABLE_WORDS forces the
        // plain table for a short pattern too.
        let long: Vec<u32> = (0..3000).collect();
        let huge_id = [1, MAX_TABLE_WORDS as u32, 2];
        let mut p = Pattern::default();
        for (seq, plain) in [
            (&long[..], false),
            (&huge_id[..], true),
            (&[1, 2, 3][..], false),
            (&huge_id[..], true),
            (&long[..], false),
        ] {
            p.set(seq);
            assert_eq!(p.plain, plain, "{}", seq.len());
            assert!(p.peq.len() <= MAX_TABLE_WORDS);
            for text in [
                &long[..],
                &long[5..2000],
                &huge_id[..],
                &[2, 1][..],
                &[][..],
            ] {
                assert_eq!(
                    p.distance(text),
                    edit_distance(seq, text),
                    "{} {}",
                    seq.len(),
                    text.len()
                );
            }
        }
        // A reference of 200,000 words, 20,000 of them distinct: plain, and
        // no table of 3,125 blocks x 20,001 rows.
        let reference: Vec<u32> = (0..200_000).map(|i| i % 20_000).collect();
        let p = Pattern::new(&reference);
        assert!(p.plain && p.peq.is_empty());
        assert_eq!(p.distance(&reference[..10]), 199_990);
    }

    #[test]
    fn interned_ids_are_dense_in_order_of_first_appearance() {
        let mut i = Interner::new();
        let words = ["the", "cat", "the", "mat", "cat"];
        let ids: Vec<u32> = words.iter().map(|w| i.id(*w)).collect();
        assert_eq!(ids, [0, 1, 0, 2, 1]);
        let mut s = Sequences::default();
        s.push([0, 1]);
        s.push([]);
        s.push([2]);
        assert_eq!(
            (s.len(), s.get(0), s.get(1), s.get(2)),
            (3, &[0, 1][..], &[][..], &[2][..])
        );
    }

    #[test]
    fn word_ids_are_dense_exact_and_survive_growth() {
        let long = "a word longer than sixteen bytes";
        let mut words: Vec<String> = (0..300).map(|i| format!("w{i}")).collect();
        // Short words differing only in trailing NUL bytes, 16 and 17 bytes,
        // long words sharing a prefix, the empty word.
        words.extend(
            [
                "abc",
                "abc\0",
                "abc\0\0",
                "",
                "0123456789abcdef",
                "0123456789abcdefg",
            ]
            .map(String::from),
        );
        words.extend([format!("{long} 1"), format!("{long} 2"), long.to_string()]);
        let mut ids = WordIds::with_capacity(4);
        let mut plain = Interner::new();
        for round in 0..2 {
            for w in &words {
                let expected = plain.id(&w[..]);
                assert_eq!(ids.id(w.as_bytes()), expected, "{w:?} round {round}");
                assert_eq!(ids.get(w.as_bytes()), expected, "{w:?} round {round}");
            }
        }
        for w in [
            "w300",
            "ab",
            "abc\0\0\0",
            "0123456789abcde",
            "a word longer than sixteen bytes 3",
        ] {
            assert_eq!(ids.get(w.as_bytes()), UNSEEN, "{w:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// The distance to numbered words, looked up column by column (one
        /// block) or first (several), is the table's; words the pattern lacks
        /// included.
        #[test]
        fn distance_to_words_equals_the_plain_dp(
            a in prop::collection::vec(0usize..4, 0..=150),
            b in prop::collection::vec(0usize..6, 0..=150),
        ) {
            let vocab = ["a", "b", "", "0123456789abcdefg", "c", "d"];
            let a: Vec<&str> = a.iter().map(|&i| vocab[i]).collect();
            let b: Vec<&str> = b.iter().map(|&i| vocab[i]).collect();
            let mut ids = WordIds::with_capacity(a.len());
            let seq: Vec<u32> = a.iter().map(|w| ids.id(w.as_bytes())).collect();
            let words: Words = b.iter().collect();
            let d = Pattern::new(&seq).distance_to_words(&ids, &words, &mut Vec::new());
            prop_assert_eq!(d, edit_distance(&a, &b));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The bit-parallel distance is the table's, for patterns and texts of
        /// 0 to 150 symbols (one block, several, or none) over small
        /// alphabets (many matches), text symbols the pattern lacks included,
        /// and with the pattern's allocation reused.
        #[test]
        fn bit_parallel_equals_the_plain_dp(
            alphabet in 1u32..6,
            a in prop::collection::vec(0u32..1000, 0..=150),
            b in prop::collection::vec(0u32..1000, 0..=150),
            c in prop::collection::vec(0u32..1000, 0..=150),
        ) {
            let small = |s: &[u32]| s.iter().map(|x| x % alphabet).collect::<Vec<u32>>();
            let (a, b, c) = (small(&a), small(&b), small(&c));
            let mut p = Pattern::new(&a);
            prop_assert_eq!(p.distance(&b), edit_distance(&a, &b));
            prop_assert_eq!(p.distance(&c), edit_distance(&a, &c));
            // An unseen symbol matches nothing: as one not in the pattern.
            let unseen: Vec<u32> = b.iter().map(|&x| if x == 0 { UNSEEN } else { x }).collect();
            let other: Vec<u32> = b.iter().map(|&x| if x == 0 { alphabet } else { x }).collect();
            prop_assert_eq!(p.distance(&unseen), edit_distance(&a, &other));
            p.set(&c);
            prop_assert_eq!(p.distance(&a), edit_distance(&c, &a));
            p.set(&b);
            prop_assert_eq!(p.distance(&c), edit_distance(&b, &c));
        }
    }
}
