//! The vocabulary sections: word bytes, their offsets and a hash index.
//!
//! The offsets of the `V` words (and of the end) are stored as Elias and
//! Fano's monotone sequences are: each offset split into its low
//! [`low_bits`] bits, stored as they are, and its high part, which only
//! grows; the high parts go to a [groups block](super::groups) of one group
//! per word, word `i`'s group holding as many elements as its high part
//! grows by to word `i + 1`'s. So a word's group range is the high parts
//! of its start and end, found in constant time, and the offsets take
//! about `2.3 + low_bits` bits a word (5.3 on the shared 4-gram, where
//! format version 6's fixed-width offsets took 21).
//!
//! The index puts each of the `V` word ids in one of `V` buckets by its word's
//! [`word_hash`] ([`bucket`]) and stores the ids bucket by bucket: a
//! groups block of the `V` ids in the `V` buckets, then the
//! ids ordered by (bucket, id), [`id_bits`](super::table::id_bits)`(V)` bits each: about `id_bits + 2`
//! bits a word (20.3 on the shared 4-gram, where format version 5's
//! open-addressing table took 40). A lookup finds its bucket's ids (2 on
//! average for a word that is present, 1 for one that is not) and compares
//! their words with its own.
//!
//! ```
//! use dashlm::format::vocab::{encode, index_bytes, offsets_bytes, VocabView};
//! let s = encode([&b"<unk>"[..], b"<s>", b"</s>", b"cat"]).unwrap(); // words by id
//! assert_eq!(s.bytes, b"<unk><s></s>cat");
//! // Offsets 0, 5, 8, 12, 15: low_bits(4, 15) = 1 low bit each, high parts
//! // 0, 2, 4, 6, 7 (7 elements in 4 groups).
//! assert_eq!((s.offsets.len(), offsets_bytes(4, 15)), (3, 3));
//! // A groups block of 4 ids in 4 buckets (2 bytes), then 4 ids of 2 bits.
//! assert_eq!((s.index.len(), index_bytes(4)), (3, 3));
//! let view = VocabView::new(&s.offsets, &s.bytes, &s.index, 4);
//! assert_eq!((view.id(b"cat"), view.word(3)), (3, &b"cat"[..]));
//! assert_eq!(view.id(b"dog"), 0); // `<unk>`
//! ```

use std::ops::Range;

use super::bits::{mask, read_bits, BitWriter};
use super::groups::{block_bytes, GroupsView, GroupsWriter};
use super::sys::prefetch;
use crate::vocab::Vocab;

/// The low bits of each word's offset in a vocabulary of `size` words
/// whose bytes are `bytes_len` long: `floor(log2(bytes_len / size))` (0 if
/// the words are shorter than a byte on average), Elias and Fano's choice,
/// which leaves about two high-part bits a word.
///
/// ```
/// use dashlm::format::vocab::low_bits;
/// assert_eq!(low_bits(4, 15), 1);
/// assert_eq!(low_bits(251_546, 2_014_112), 3); // the shared 4-gram's words
/// assert_eq!((low_bits(5, 3), low_bits(0, 9)), (0, 3));
/// ```
pub fn low_bits(size: u32, bytes_len: u64) -> u32 {
    let mean = bytes_len / u64::from(size.max(1));
    mean.checked_ilog2().unwrap_or(0)
}

/// The bytes of the `VocabOffsets` section of a vocabulary of `size` words
/// whose bytes are `bytes_len` long: the groups block of the offsets' high
/// parts (`size` groups, `bytes_len >> low_bits` elements), then, from the
/// next byte, the `size + 1` offsets' [`low_bits`], bit-packed.
///
/// ```
/// use dashlm::format::{groups::block_bytes, vocab::offsets_bytes};
/// assert_eq!(offsets_bytes(4, 15), block_bytes(4, 7) + 1);
/// // The shared 4-gram: 166,090 bytes, 5.3 bits a word.
/// assert_eq!(offsets_bytes(251_546, 2_014_112), 166_090);
/// ```
pub fn offsets_bytes(size: u32, bytes_len: u64) -> u64 {
    let (v, low) = (u64::from(size), low_bits(size, bytes_len));
    block_bytes(v, bytes_len >> low) + ((v + 1) * u64::from(low)).div_ceil(8)
}

/// The hash of a word's bytes used by the vocabulary index (part of the
/// file format, so it never changes within a version): FNV-1a 64, then the
/// first half of MurmurHash3's 64-bit finalizer, all modulo 2^64:
///
/// ```text
/// h = 0xcbf29ce484222325;  for each byte b: h = (h ^ b) * 0x100000001b3
/// h ^= h >> 33;  h *= 0xff51afd7ed558ccd;  h ^= h >> 33
/// ```
///
/// ```
/// use dashlm::format::word_hash;
/// let mut h: u64 = 0xcbf2_9ce4_8422_2325;
/// for &b in b"cat" {
///     h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
/// }
/// h ^= h >> 33;
/// h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
/// assert_eq!(word_hash(b"cat"), h ^ (h >> 33));
/// assert_ne!(dashlm::format::word_hash(b"a"), dashlm::format::word_hash(b"b"));
/// ```
pub fn word_hash(word: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in word {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// The width of a word id in the index of a vocabulary of `size` words: the
/// fewest bits (at least 1) that hold `size - 1`.
fn word_id_bits(size: u32) -> u32 {
    super::table::id_bits(u64::from(size))
}

/// The bucket in `0..buckets` of a word with `hash`: the low 32 bits of
/// `hash` times `buckets`, shifted down 32 bits (0 when there are none).
fn home(hash: u64, buckets: u32) -> u64 {
    ((hash & 0xffff_ffff) * u64::from(buckets)) >> 32
}

/// The bucket of `word` in the index of a vocabulary of `size` words (as
/// many buckets as words).
///
/// ```
/// use dashlm::format::vocab::bucket;
/// assert!(bucket(b"cat", 4) < 4);
/// assert_eq!(bucket(b"cat", 1), 0);
/// ```
pub fn bucket(word: &[u8], size: u32) -> u64 {
    home(word_hash(word), size)
}

/// The bytes of the `VocabIndex` section of a vocabulary of `size` words:
/// the groups block of `size` ids in `size` buckets, then `size` ids of
/// [`id_bits`](super::table::id_bits)`(size)` bits.
///
/// ```
/// use dashlm::format::{groups::block_bytes, vocab::index_bytes};
/// assert_eq!(index_bytes(4), block_bytes(4, 4) + 1);
/// // The shared 4-gram: 71,732 + 565,979 bytes, 20.3 bits a word.
/// assert_eq!(index_bytes(251_546), 637_711);
/// ```
pub fn index_bytes(size: u32) -> u64 {
    let v = u64::from(size);
    block_bytes(v, v) + (v * u64::from(word_id_bits(size))).div_ceil(8)
}

/// The three vocabulary sections, encoded.
///
/// ```
/// use dashlm::format::vocab::{encode, index_bytes, offsets_bytes};
/// let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
/// assert_eq!(s.bytes, b"<unk>cat");
/// // Offsets 0, 5 and 8: 2 low bits each (0, 1, 0), high parts 0, 1, 2.
/// assert_eq!(s.offsets.len() as u64, offsets_bytes(2, 8));
/// assert_eq!(s.index.len() as u64, index_bytes(2));
/// ```
#[derive(Debug)]
pub struct VocabSections {
    /// `VocabOffsets` bytes.
    pub offsets: Vec<u8>,
    /// `VocabBytes` bytes.
    pub bytes: Vec<u8>,
    /// `VocabIndex` bytes.
    pub index: Vec<u8>,
}

/// Encodes `words` (by id) into the vocabulary sections; `None` if they hold
/// `u32::MAX` words or more, or more than `u32::MAX` bytes (offsets are at
/// most 32 bits).
///
/// ```
/// let s = dashlm::format::vocab::encode([&b"<unk>"[..], b"a"]).unwrap();
/// // Offsets 0, 5, 6: 1 low bit each (0, 1, 0), high parts 0, 2, 3: a
/// // groups block of 3 elements in 2 groups (a 2-bit directory entry, then
/// // 0 0 1 for word 0's two steps and 0 1 for word 1's one: 1 byte), then
/// // the low bits (1 byte).
/// assert_eq!(s.offsets, [0b0101_0000, 0b010]);
/// // The index: a groups block (a 2-bit directory entry, then 2 + 2 group
/// // bits: 1 byte), then 2 ids of 1 bit (1 byte).
/// assert_eq!(s.index.len(), 2);
/// ```
pub fn encode<'a>(words: impl IntoIterator<Item = &'a [u8]>) -> Option<VocabSections> {
    let mut ends = vec![0u32];
    let mut bytes = Vec::new();
    let mut hashes = Vec::new();
    for w in words {
        bytes.extend_from_slice(w);
        ends.push(u32::try_from(bytes.len()).ok()?);
        hashes.push(word_hash(w));
    }
    let size = u32::try_from(hashes.len()).ok().filter(|&n| n < u32::MAX)?;
    let offsets = encode_offsets(&ends, size);
    // (bucket, id), sorted: the order of the ids in the index.
    let mut order: Vec<(u64, u32)> = (0..size)
        .map(|id| (home(hashes[id as usize], size), id))
        .collect();
    order.sort_unstable();
    let v = u64::from(size);
    let mut groups = GroupsWriter::new(v, v);
    let mut ids = BitWriter::new();
    let bits = word_id_bits(size);
    for &(b, id) in &order {
        groups.push(b).expect("buckets in order, below the size");
        ids.push(u64::from(id), bits);
    }
    let mut index = groups.finish().expect("one element per word");
    index.extend_from_slice(ids.bytes());
    Some(VocabSections {
        offsets,
        bytes,
        index,
    })
}

/// The `VocabOffsets` section of the `size + 1` nondecreasing offsets
/// `ends` (the last one the length of the words' bytes).
fn encode_offsets(ends: &[u32], size: u32) -> Vec<u8> {
    let total = ends.last().map_or(0, |&e| u64::from(e));
    let low = low_bits(size, total);
    let mut high = GroupsWriter::new(u64::from(size), total >> low);
    let mut lows = BitWriter::new();
    for (word, pair) in ends.windows(2).enumerate() {
        // Word `word`'s group: one element per step of the high part to the
        // next offset.
        for _ in u64::from(pair[0]) >> low..u64::from(pair[1]) >> low {
            high.push(word as u64)
                .expect("offsets in order, below the total");
        }
    }
    for &end in ends {
        lows.push(u64::from(end) & mask(low), low);
    }
    let mut bytes = high
        .finish()
        .expect("one element per step of the high parts");
    bytes.extend_from_slice(lows.bytes());
    bytes
}

/// A read-only view of the vocabulary sections of a mapped file.
///
/// Any bytes are memory-safe: bad offsets read as empty words, ids past the
/// vocabulary are skipped, and a lookup compares at most the whole
/// vocabulary.
///
/// ```
/// use dashlm::format::vocab::{encode, VocabView};
/// let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
/// let v = VocabView::new(&s.offsets, &s.bytes, &s.index, 2);
/// assert_eq!(v.get(b"cat"), Some(1));
/// assert_eq!(v.get(b"dog"), None);
/// assert_eq!(v.word(1), b"cat");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct VocabView<'a> {
    offsets: &'a [u8],
    bytes: &'a [u8],
    index: &'a [u8],
    shape: Shape,
}

/// What a [`VocabView`] derives from the vocabulary's size and the length of
/// its words' bytes (a model computes it once, at open).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Shape {
    size: u32,
    /// The offsets' high parts and the bit where their low bits start.
    high: GroupsView,
    lows_at: u64,
    low_bits: u32,
    groups: GroupsView,
    /// The bit of the index where the ids start, and their width.
    ids_at: u64,
    id_bits: u32,
}

impl Shape {
    fn new(size: u32, bytes_len: u64) -> Shape {
        let (v, low_bits) = (u64::from(size), low_bits(size, bytes_len));
        let elements = bytes_len >> low_bits;
        Shape {
            size,
            high: GroupsView::new(v, elements, 0),
            lows_at: block_bytes(v, elements) * 8,
            low_bits,
            groups: GroupsView::new(v, v, 0),
            ids_at: block_bytes(v, v) * 8,
            id_bits: word_id_bits(size),
        }
    }
}

impl<'a> VocabView<'a> {
    /// Wraps sections already checked for length (`offsets` =
    /// [`offsets_bytes`]`(size, bytes.len())` bytes, `index` =
    /// [`index_bytes`]`(size)` bytes, as `Model::open` checks them). Other
    /// lengths, or a `size` they do not describe, are memory-safe too, but the
    /// answers are then wrong and a lookup may take time proportional to
    /// `size` (and [`VocabView::to_vocab`] memory too).
    ///
    /// ```
    /// use dashlm::format::vocab::{encode, VocabView};
    /// let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
    /// let v = VocabView::new(&s.offsets, &s.bytes, &s.index, 2);
    /// assert_eq!((v.word(0), v.get(b"cat")), (&b"<unk>"[..], Some(1)));
    /// ```
    pub fn new(offsets: &'a [u8], bytes: &'a [u8], index: &'a [u8], size: u32) -> VocabView<'a> {
        let shape = Shape::new(size, bytes.len() as u64);
        VocabView::with_shape(offsets, bytes, index, shape)
    }

    /// The view of sections of the lengths `shape` was made for.
    #[inline]
    pub(crate) fn with_shape(
        offsets: &'a [u8],
        bytes: &'a [u8],
        index: &'a [u8],
        shape: Shape,
    ) -> VocabView<'a> {
        VocabView {
            offsets,
            bytes,
            index,
            shape,
        }
    }

    /// What the view derived from its sizes (for [`VocabView::with_shape`]).
    pub(crate) fn shape(&self) -> Shape {
        self.shape
    }

    /// Where word `id` starts and ends in the words' bytes: the high parts
    /// from its group, the low bits of its offset and the next one read as
    /// one field.
    #[inline]
    fn bounds(&self, id: u32) -> (u64, u64) {
        let high = self.shape.high.range(self.offsets, u64::from(id));
        let low = self.shape.low_bits;
        let at = self.shape.lows_at + u64::from(id) * u64::from(low);
        let both = read_bits(self.offsets, at, 2 * low);
        let start = high.start << low | both & mask(low);
        (start, high.end << low | both >> low)
    }

    /// The word with id `id` (empty if `id` is not below the size the view
    /// was made with, or the offsets are corrupt).
    ///
    /// ```
    /// use dashlm::format::vocab::{encode, VocabView};
    /// let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
    /// let v = VocabView::new(&s.offsets, &s.bytes, &s.index, 2);
    /// assert_eq!(v.word(1), b"cat");
    /// assert_eq!(v.word(7), b"");
    /// ```
    pub fn word(&self, id: u32) -> &'a [u8] {
        if id >= self.shape.size {
            return &[];
        }
        let (start, end) = self.bounds(id);
        self.bytes.get(start as usize..end as usize).unwrap_or(&[])
    }

    /// An in-memory copy of this vocabulary with a hash index
    /// ([`Vocab::from_words`]): the same ids and words, each lookup reading
    /// one slot (and the word's bytes past its first 8) instead of this
    /// view's selects. On the shared 4-gram (251,546 words, Zen 5 VM) it
    /// takes about 37 bytes a word (9.4 MB) and 40-120 ms to make, and looks
    /// words up 2-2.8x as fast (criterion's `vocab` group: 26 against 72 ns a
    /// word of `dev.txt`). For a decoder that turns words into ids as it
    /// goes; the rescorer keeps its own cache of the spellings it meets.
    ///
    /// ```
    /// use dashlm::format::vocab::{encode, VocabView};
    /// let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
    /// let view = VocabView::new(&s.offsets, &s.bytes, &s.index, 2);
    /// let vocab = view.to_vocab();
    /// assert_eq!((vocab.id(b"cat"), vocab.id(b"dog")), (view.id(b"cat"), view.id(b"dog")));
    /// assert_eq!(vocab.word(1), view.word(1));
    /// ```
    pub fn to_vocab(&self) -> Vocab {
        Vocab::from_words((0..self.shape.size).map(|id| self.word(id)))
    }

    /// The id of `word`, or 0 (`<unk>`) if the vocabulary lacks it.
    ///
    /// ```
    /// use dashlm::format::vocab::{encode, VocabView};
    /// let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
    /// let v = VocabView::new(&s.offsets, &s.bytes, &s.index, 2);
    /// assert_eq!((v.id(b"cat"), v.id(b"dog")), (1, 0));
    /// ```
    pub fn id(&self, word: &[u8]) -> u32 {
        self.get(word).unwrap_or(0)
    }

    /// The id of `word`, if present.
    ///
    /// ```
    /// use dashlm::format::vocab::{encode, VocabView};
    /// let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
    /// let v = VocabView::new(&s.offsets, &s.bytes, &s.index, 2);
    /// assert_eq!(v.get(b"cat"), Some(1));
    /// assert_eq!(v.get(b"dog"), None);
    /// ```
    pub fn get(&self, word: &[u8]) -> Option<u32> {
        let ids = self.bucket_ids(home(word_hash(word), self.shape.size));
        self.find_in(word, ids)
    }

    /// The positions in the index of the ids of bucket `b`.
    #[inline]
    fn bucket_ids(&self, b: u64) -> Range<u64> {
        self.shape.groups.range(self.index, b)
    }

    /// The file bit of the id at position `i` of the index.
    #[inline]
    fn id_bit(&self, i: u64) -> u64 {
        let width = u64::from(self.shape.id_bits);
        self.shape.ids_at.wrapping_add(i.wrapping_mul(width))
    }

    /// The id at position `i` of the index (at most 32 bits: past the
    /// vocabulary if the file is corrupted).
    #[inline]
    fn id_at(&self, i: u64) -> u32 {
        read_bits(self.index, self.id_bit(i), self.shape.id_bits) as u32
    }

    /// The id among the positions `ids` whose word is `word`, if any.
    #[inline]
    fn find_in(&self, word: &[u8], ids: Range<u64>) -> Option<u32> {
        ids.map(|i| self.id_at(i))
            .find(|&id| id < self.shape.size && self.word(id) == word)
    }

    /// The ids of `words` (as [`VocabView::get`], `None` as `absent`) into `out`
    /// (pairs past the shorter of the two are left alone), overlapping the
    /// lookups' memory accesses: for each chunk of words, the buckets'
    /// directory entries and group bits are fetched, then their ids, then the
    /// offsets' high parts of each bucket's first id, before the lookups run. Allocates
    /// nothing.
    ///
    /// ```
    /// let s = dashlm::format::vocab::encode([&b"<unk>"[..], b"a", b"b"]).unwrap();
    /// let v = dashlm::format::vocab::VocabView::new(&s.offsets, &s.bytes, &s.index, 3);
    /// let mut out = [9; 3];
    /// v.get_batch(&[&b"b"[..], b"zz", b"a"], 0, &mut out);
    /// assert_eq!(out, [2, 0, 1]);
    /// ```
    pub fn get_batch(&self, words: &[&[u8]], absent: u32, out: &mut [u32]) {
        const CHUNK: usize = 16;
        for (ws, os) in words.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
            // Per word: its bucket, then the positions of the bucket's ids.
            let mut ranges: [Range<u64>; CHUNK] = std::array::from_fn(|_| 0..0);
            for (w, r) in ws.iter().zip(&mut ranges) {
                r.start = home(word_hash(w), self.shape.size);
                self.shape.groups.prefetch(self.index, r.start);
            }
            for r in ranges.iter_mut().take(ws.len()) {
                *r = self.bucket_ids(r.start);
                prefetch(self.index, (self.id_bit(r.start) / 8) as usize);
            }
            for r in ranges.iter().take(ws.len()).filter(|r| !r.is_empty()) {
                let id = u64::from(self.id_at(r.start));
                self.shape.high.prefetch(self.offsets, id);
            }
            for ((w, r), o) in ws.iter().zip(ranges).zip(os) {
                *o = self.find_in(w, r).unwrap_or(absent);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize, tag: &str) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("{tag}{i}").into_bytes()).collect()
    }

    #[test]
    fn every_word_is_found_and_no_other() {
        for n in [1, 2, 3, 64, 65, 100, 5000] {
            let ws = words(n, "w");
            let s = encode(ws.iter().map(|w| &w[..])).unwrap();
            assert_eq!(s.index.len() as u64, index_bytes(n as u32));
            let v = VocabView::new(&s.offsets, &s.bytes, &s.index, n as u32);
            let refs: Vec<&[u8]> = ws.iter().map(|w| &w[..]).collect();
            let mut batch = vec![u32::MAX; n];
            v.get_batch(&refs, u32::MAX, &mut batch);
            for (id, w) in ws.iter().enumerate() {
                assert_eq!(v.get(w), Some(id as u32));
                assert_eq!(batch[id], id as u32);
                assert_eq!(v.word(id as u32), &w[..]);
            }
            for w in words(n, "x") {
                assert_eq!(v.get(&w), None);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn offsets_give_back_every_word(
            words in proptest::collection::vec(
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
                1..150,
            ),
        ) {
            let s = encode(words.iter().map(|w| &w[..])).unwrap();
            let len = s.bytes.len() as u64;
            proptest::prop_assert_eq!(s.offsets.len() as u64, offsets_bytes(words.len() as u32, len));
            let v = VocabView::new(&s.offsets, &s.bytes, &s.index, words.len() as u32);
            for (id, w) in words.iter().enumerate() {
                proptest::prop_assert_eq!(v.word(id as u32), &w[..]);
            }
        }

        #[test]
        fn any_offsets_bytes_are_safe(
            flips in proptest::collection::vec((0usize..1 << 16, proptest::prelude::any::<u8>()), 1..40),
            cut in 0usize..4,
        ) {
            let ws = words(300, "w");
            let s = encode(ws.iter().map(|w| &w[..])).unwrap();
            let mut offsets = s.offsets.clone();
            for (at, x) in flips {
                let n = offsets.len();
                offsets[at % n] ^= x;
            }
            offsets.truncate(offsets.len() - cut);
            let v = VocabView::new(&offsets, &s.bytes, &s.index, 300);
            for id in 0..310 {
                let w = v.word(id);
                // Wrong words are allowed on corrupt bytes; they are slices
                // of the words' bytes.
                proptest::prop_assert!(w.len() <= s.bytes.len());
            }
            for w in &ws {
                if let Some(id) = v.get(w) {
                    proptest::prop_assert_eq!(v.word(id), &w[..]);
                }
            }
        }
    }

    #[test]
    fn any_index_bytes_are_safe() {
        let ws = words(300, "w");
        let s = encode(ws.iter().map(|w| &w[..])).unwrap();
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for round in 0..50 {
            let mut index = s.index.clone();
            for b in index.iter_mut() {
                // Every byte in even rounds, one in 16 in odd ones.
                if round % 2 == 0 || rng.gen_range(0..16) == 0 {
                    *b = rng.gen();
                }
            }
            // Shorter and longer than it should be, too.
            index.truncate(index.len() - round % 3);
            let v = VocabView::new(&s.offsets, &s.bytes, &index, 300);
            for w in ws.iter().take(50) {
                // Wrong answers are allowed on corrupt bytes; a found id must
                // still name the word.
                if let Some(id) = v.get(w) {
                    assert_eq!(v.word(id), &w[..]);
                }
            }
        }
    }
}
