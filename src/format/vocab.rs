//! The vocabulary sections: word bytes, offsets and a hash index.
//!
//! ```
//! use dashlm::format::vocab::{encode, VocabView};
//! let s = encode([&b"<unk>"[..], b"<s>", b"</s>", b"cat"]).unwrap(); // words by id
//! assert_eq!(s.bytes, b"<unk><s></s>cat");
//! // Offsets 0, 5, 8, 12, 15, each in bits_for(15) = 4 bits.
//! assert_eq!(s.offsets, [0x50, 0xc8, 0x0f]);
//! let view = VocabView::new(&s.offsets, &s.bytes, &s.index, 4);
//! assert_eq!((view.id(b"cat"), view.word(3)), (3, &b"cat"[..]));
//! assert_eq!(view.id(b"dog"), 0); // `<unk>`
//! ```

use super::bits::{bits_for, read_bits, BitWriter};
use super::mmap::prefetch;

/// The width of each word's offset: the fewest bits (at least 1) that hold
/// the length of the words' bytes.
///
/// ```
/// use dashlm::format::vocab::offset_bits;
/// assert_eq!(offset_bits(15), 4);
/// assert_eq!(offset_bits(2_014_112), 21); // the shared 4-gram's words
/// ```
pub fn offset_bits(bytes_len: u64) -> u32 {
    bits_for(bytes_len).max(1)
}

/// The hash of a word's bytes used by the vocabulary index (FNV-1a 64 with a
/// final mix; part of the file format, so it never changes within a version).
///
/// ```
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

/// An empty slot of the vocabulary index.
///
/// ```
/// use dashlm::format::vocab::{encode, EMPTY_SLOT};
/// let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
/// let slot = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap());
/// // 3 slots for 2 words: one stays empty.
/// assert_eq!(s.index.chunks(4).filter(|b| slot(b) == EMPTY_SLOT).count(), 1);
/// assert_eq!(EMPTY_SLOT, 0);
/// ```
pub const EMPTY_SLOT: u32 = 0;

/// How a vocabulary index slot packs a word: `fingerprint << id_bits | (id + 1)`,
/// `id_bits = bits_for(V)` and the fingerprint the top `32 - id_bits` bits of the
/// word's [`word_hash`], so most probes of other words are rejected without
/// reading their bytes.
#[derive(Clone, Copy, Debug)]
struct SlotCodec {
    id_bits: u32,
}

impl SlotCodec {
    fn new(size: u32) -> SlotCodec {
        SlotCodec {
            id_bits: bits_for(u64::from(size)).max(1),
        }
    }

    fn fingerprint(&self, hash: u64) -> u32 {
        // 1 <= id_bits <= 32 (`size` is a u32), so neither shift overflows,
        // even for a size of `u32::MAX` (which no file has, but a
        // `VocabView` may be given).
        ((hash >> 32) >> self.id_bits) as u32
    }

    fn slot(&self, id: u32, hash: u64) -> u32 {
        let fp = u64::from(self.fingerprint(hash)) << self.id_bits;
        (fp | (u64::from(id) + 1)) as u32
    }

    /// The id in a slot whose fingerprint matches `hash`'s (`Some(None)` for an
    /// empty slot, `None` for another word's).
    #[inline]
    fn id(&self, slot: u32, hash: u64) -> Option<Option<u32>> {
        if slot == EMPTY_SLOT {
            return Some(None);
        }
        let id_mask = ((1u64 << self.id_bits) - 1) as u32;
        let fp = (u64::from(slot) >> self.id_bits) as u32;
        (fp == self.fingerprint(hash)).then(|| (slot & id_mask).checked_sub(1))
    }
}

/// The index slot a word with `hash` starts probing at, in an index of `slots`
/// slots (the high half of `hash`'s low 32 bits times `slots`).
fn home(hash: u64, slots: usize) -> usize {
    (((hash & 0xffff_ffff) * slots as u64) >> 32) as usize
}

/// Slots of the index of a vocabulary of `size` words (load at most 0.8).
///
/// ```
/// assert_eq!(dashlm::format::vocab::index_slots(4), 6);
/// ```
pub fn index_slots(size: u32) -> u64 {
    u64::from(size) + u64::from(size) / 4 + 1
}

/// The three vocabulary sections, encoded.
///
/// ```
/// use dashlm::format::vocab::{encode, index_slots};
/// let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
/// assert_eq!(s.bytes, b"<unk>cat");
/// // Offsets 0, 5 and 8 in bits_for(8) = 4 bits each: 0x50, 0x08.
/// assert_eq!(s.offsets, [0x50, 0x08]);
/// assert_eq!(s.index.len() as u64, index_slots(2) * 4);
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
/// more than `u32::MAX` words or bytes (offsets are at most 32 bits).
///
/// ```
/// let s = dashlm::format::vocab::encode([&b"<unk>"[..], b"a"]).unwrap();
/// assert_eq!(s.offsets.len(), 2); // 3 offsets (0, 5, 6) of 3 bits
/// assert_eq!(s.offsets, [0b1010_1000, 0b1]);
/// assert_eq!(s.index.len(), 3 * 4);
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
    let width = offset_bits(bytes.len() as u64);
    let mut offsets = BitWriter::new();
    for end in ends {
        offsets.push(u64::from(end), width);
    }
    let offsets = offsets.finish();
    let size = u32::try_from(hashes.len()).ok().filter(|&n| n < u32::MAX)?;
    let codec = SlotCodec::new(size);
    let num_slots = index_slots(size) as usize;
    let mut slots = vec![EMPTY_SLOT; num_slots];
    for (id, &h) in hashes.iter().enumerate() {
        let mut i = home(h, num_slots);
        while slots[i] != EMPTY_SLOT {
            i = if i + 1 == num_slots { 0 } else { i + 1 };
        }
        slots[i] = codec.slot(id as u32, h);
    }
    let index = slots.iter().flat_map(|s| s.to_le_bytes()).collect();
    Some(VocabSections {
        offsets,
        bytes,
        index,
    })
}

/// A read-only view of the vocabulary sections of a mapped file.
///
/// Any bytes are memory-safe: bad offsets read as empty words, and lookups
/// probe at most the whole index.
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
    size: u32,
    offset_bits: u32,
}

impl<'a> VocabView<'a> {
    /// Wraps sections already checked for length (`offsets` = `size + 1`
    /// offsets of [`offset_bits`]`(bytes.len())` bits, `index` more than
    /// `size` u32 slots).
    ///
    /// ```
    /// use dashlm::format::vocab::{encode, VocabView};
    /// let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
    /// let v = VocabView::new(&s.offsets, &s.bytes, &s.index, 2);
    /// assert_eq!((v.word(0), v.get(b"cat")), (&b"<unk>"[..], Some(1)));
    /// ```
    pub fn new(offsets: &'a [u8], bytes: &'a [u8], index: &'a [u8], size: u32) -> VocabView<'a> {
        VocabView {
            offsets,
            bytes,
            index,
            size,
            offset_bits: offset_bits(bytes.len() as u64),
        }
    }

    /// The same view with offsets `bits` wide (format version 4 files have
    /// 32-bit offsets; [`VocabView::new`] takes the width [`encode`] writes).
    ///
    /// ```
    /// use dashlm::format::vocab::{encode, VocabView};
    /// let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
    /// let v4: Vec<u8> = [0u32, 5, 8].iter().flat_map(|o| o.to_le_bytes()).collect();
    /// let v = VocabView::new(&v4, &s.bytes, &s.index, 2).with_offset_bits(32);
    /// assert_eq!(v.word(1), b"cat");
    /// ```
    pub fn with_offset_bits(self, bits: u32) -> VocabView<'a> {
        VocabView {
            offset_bits: bits.clamp(1, 32),
            ..self
        }
    }

    fn offset(&self, i: usize) -> usize {
        let width = self.offset_bits;
        read_bits(self.offsets, i as u64 * u64::from(width), width) as usize
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
    /// // A view of the first word only: `cat` is out of its range.
    /// let first = VocabView::new(&s.offsets, &s.bytes, &s.index, 1);
    /// assert_eq!((first.word(0), first.word(1)), (&b"<unk>"[..], &b""[..]));
    /// ```
    pub fn word(&self, id: u32) -> &'a [u8] {
        if id >= self.size {
            return &[];
        }
        let (start, end) = (self.offset(id as usize), self.offset(id as usize + 1));
        self.bytes.get(start..end).unwrap_or(&[])
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
        self.find(word, word_hash(word))
    }

    /// The u32 in index slot `i` (0, empty, past the index's end).
    fn slot(&self, i: usize) -> u32 {
        self.index.get(i * 4..i * 4 + 4).map_or(EMPTY_SLOT, |b| {
            u32::from_le_bytes(b.try_into().expect("4 bytes"))
        })
    }

    /// The id of `word`, whose [`word_hash`] is `hash`, if present.
    fn find(&self, word: &[u8], hash: u64) -> Option<u32> {
        let slots = self.index.len() / 4;
        if slots == 0 {
            return None;
        }
        let codec = SlotCodec::new(self.size);
        let mut i = home(hash, slots);
        for _ in 0..slots {
            match codec.id(self.slot(i), hash) {
                Some(None) => return None,
                Some(Some(id)) if id < self.size && self.word(id) == word => return Some(id),
                _ => {}
            }
            i = if i + 1 == slots { 0 } else { i + 1 };
        }
        None
    }

    /// The ids of `words` (as [`VocabView::get`], `None` as `absent`) into `out`
    /// (pairs past the shorter of the two are left alone), overlapping the
    /// lookups' memory accesses: for each chunk of words, the home slots are
    /// fetched, then the offsets of the first candidates whose fingerprints
    /// match, then their bytes, before the lookups run. Allocates nothing.
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
        let slots = self.index.len() / 4;
        let codec = SlotCodec::new(self.size);
        for (ws, os) in words.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
            let mut probes = [(0u64, 0usize); CHUNK];
            for (w, p) in ws.iter().zip(&mut probes) {
                let hash = word_hash(w);
                *p = (hash, home(hash, slots.max(1)));
                prefetch(self.index, p.1 * 4);
            }
            let mut ids = [u32::MAX; CHUNK];
            for (&(hash, at), id) in probes.iter().zip(&mut ids).take(ws.len()) {
                if let Some(Some(found)) = codec.id(self.slot(at), hash) {
                    *id = found;
                    let bit = u64::from(found) * u64::from(self.offset_bits);
                    prefetch(self.offsets, (bit / 8) as usize);
                }
            }
            for &id in ids.iter().take(ws.len()) {
                if id < self.size {
                    prefetch(self.bytes, self.offset(id as usize));
                }
            }
            for ((w, &(hash, _)), o) in ws.iter().zip(&probes).zip(os) {
                *o = self.find(w, hash).unwrap_or(absent);
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
        for n in [1, 2, 3, 100, 5000] {
            let ws = words(n, "w");
            let s = encode(ws.iter().map(|w| &w[..])).unwrap();
            assert_eq!(s.index.len() as u64, index_slots(n as u32) * 4);
            let v = VocabView::new(&s.offsets, &s.bytes, &s.index, n as u32);
            for (id, w) in ws.iter().enumerate() {
                assert_eq!(v.get(w), Some(id as u32));
                assert_eq!(v.word(id as u32), &w[..]);
            }
            for w in words(n, "x") {
                assert_eq!(v.get(&w), None);
            }
        }
    }

    #[test]
    fn any_index_bytes_are_safe() {
        let ws = words(300, "w");
        let s = encode(ws.iter().map(|w| &w[..])).unwrap();
        let mut x: u64 = 1;
        for round in 0..50 {
            let mut index = s.index.clone();
            for b in index.iter_mut() {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if round % 2 == 0 || x >> 60 == 0 {
                    *b = (x >> 56) as u8;
                }
            }
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
