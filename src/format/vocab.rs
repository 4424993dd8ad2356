//! The vocabulary sections: word bytes, offsets and a hash index.

use super::bits::bits_for;
use super::mmap::prefetch;

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

/// The empty marker in the vocabulary index.
pub const EMPTY_ID: u32 = u32::MAX;

/// The three vocabulary sections, encoded.
#[derive(Debug)]
pub struct VocabSections {
    /// `VocabOffsets` bytes.
    pub offsets: Vec<u8>,
    /// `VocabBytes` bytes.
    pub bytes: Vec<u8>,
    /// `VocabIndex` bytes.
    pub index: Vec<u8>,
}

/// Encodes `words` (by id) into the vocabulary sections.
///
/// ```
/// let s = dashlm::format::vocab::encode([&b"<unk>"[..], b"a"]);
/// assert_eq!(s.offsets.len(), 3 * 8);
/// ```
pub fn encode<'a>(words: impl IntoIterator<Item = &'a [u8]>) -> VocabSections {
    let mut offsets = vec![0u8; 8];
    let mut bytes = Vec::new();
    let mut hashes = Vec::new();
    for w in words {
        bytes.extend_from_slice(w);
        offsets.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        hashes.push(word_hash(w));
    }
    let size = (hashes.len() * 2).next_power_of_two().max(2);
    let mut slots = vec![EMPTY_ID; size];
    for (id, h) in hashes.iter().enumerate() {
        let mut i = *h as usize & (size - 1);
        while slots[i] != EMPTY_ID {
            i = (i + 1) & (size - 1);
        }
        slots[i] = id as u32;
    }
    let index = slots.iter().flat_map(|s| s.to_le_bytes()).collect();
    VocabSections {
        offsets,
        bytes,
        index,
    }
}

/// A read-only view of the vocabulary sections of a mapped file.
///
/// Any bytes are memory-safe: bad offsets read as empty words, and lookups
/// probe at most the whole index.
#[derive(Clone, Copy, Debug)]
pub struct VocabView<'a> {
    offsets: &'a [u8],
    bytes: &'a [u8],
    index: &'a [u8],
    size: u32,
}

impl<'a> VocabView<'a> {
    /// Wraps sections already checked for length (`offsets` = `(size+1)*8` bytes,
    /// `index` a power of two of u32s).
    pub fn new(offsets: &'a [u8], bytes: &'a [u8], index: &'a [u8], size: u32) -> VocabView<'a> {
        VocabView {
            offsets,
            bytes,
            index,
            size,
        }
    }

    fn offset(&self, i: usize) -> usize {
        self.offsets.get(i * 8..i * 8 + 8).map_or(0, |b| {
            u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize
        })
    }

    /// The id in index slot `i` (which must be in range).
    fn slot(&self, i: usize) -> u32 {
        u32::from_le_bytes(self.index[i * 4..i * 4 + 4].try_into().expect("4 bytes"))
    }

    /// The word with id `id` (empty if `id` is out of range or the offsets are corrupt).
    pub fn word(&self, id: u32) -> &'a [u8] {
        let (start, end) = (self.offset(id as usize), self.offset(id as usize + 1));
        self.bytes.get(start..end).unwrap_or(&[])
    }

    /// The id of `word`, if present.
    pub fn get(&self, word: &[u8]) -> Option<u32> {
        let slots = self.index.len() / 4;
        if slots == 0 {
            return None;
        }
        let mask = slots - 1;
        let mut i = word_hash(word) as usize & mask;
        for _ in 0..slots {
            let id = self.slot(i);
            if id == EMPTY_ID {
                return None;
            }
            if id < self.size && self.word(id) == word {
                return Some(id);
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// The ids of `words` (as [`VocabView::get`], `None` as `absent`) into `out`
    /// (pairs past the shorter of the two are left alone), overlapping the
    /// lookups' memory accesses: for each chunk of words, the home slots are
    /// fetched, then the first candidates' offsets, then their bytes, before
    /// the lookups run. Allocates nothing.
    ///
    /// ```
    /// let s = dashlm::format::vocab::encode([&b"<unk>"[..], b"a", b"b"]);
    /// let v = dashlm::format::vocab::VocabView::new(&s.offsets, &s.bytes, &s.index, 3);
    /// let mut out = [9; 3];
    /// v.get_batch(&[&b"b"[..], b"zz", b"a"], 0, &mut out);
    /// assert_eq!(out, [2, 0, 1]);
    /// ```
    pub fn get_batch(&self, words: &[&[u8]], absent: u32, out: &mut [u32]) {
        const CHUNK: usize = 16;
        let slots = self.index.len() / 4;
        if slots == 0 {
            out.iter_mut().take(words.len()).for_each(|o| *o = absent);
            return;
        }
        let mask = slots - 1;
        for (ws, os) in words.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
            let mut homes = [0usize; CHUNK];
            for (w, h) in ws.iter().zip(&mut homes) {
                *h = word_hash(w) as usize & mask;
                prefetch(self.index, *h * 4);
            }
            let mut ids = [EMPTY_ID; CHUNK];
            for (h, id) in homes.iter().zip(&mut ids).take(ws.len()) {
                *id = self.slot(*h);
                if *id < self.size {
                    prefetch(self.offsets, *id as usize * 8);
                }
            }
            for &id in ids.iter().take(ws.len()) {
                if id < self.size {
                    prefetch(self.bytes, self.offset(id as usize));
                }
            }
            for (w, o) in ws.iter().zip(os) {
                *o = self.get(w).unwrap_or(absent);
            }
        }
    }

    /// Bits needed for a word id or the empty marker.
    pub fn id_bits(size: u32) -> u32 {
        bits_for(u64::from(size))
    }
}
