//! The in-memory vocabulary: word bytes <-> dense word ids.
//!
//! ```
//! use dashlm::vocab::{Vocab, UNK};
//! let mut vocab = Vocab::new(); // holds `<unk>` = 0
//! assert_eq!(vocab.insert(b"the"), Ok(1)); // ids in insertion order
//! assert_eq!(vocab.insert(b"cat"), Ok(2));
//! assert_eq!(vocab.insert(b"the"), Err(1)); // already present
//! assert_eq!((vocab.id(b"cat"), vocab.word(2)), (2, &b"cat"[..]));
//! assert_eq!(vocab.id(b"dog"), UNK); // out of vocabulary
//! assert_eq!(vocab.words().collect::<Vec<_>>(), [&b"<unk>"[..], b"the", b"cat"]);
//! ```

use ahash::RandomState;
use bytemuck::{Pod, Zeroable};

use crate::format::HugeBuf;

/// A dense word id. `0` is always `<unk>`, which every out-of-vocabulary word maps to.
///
/// ```
/// use dashlm::{LanguageModel, ReferenceModel, WordId};
/// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
/// let cat: WordId = lm.word_id(b"cat");
/// assert_eq!((cat, lm.word_id(b"dog")), (4, 0)); // "dog" is out of vocabulary
/// ```
pub type WordId = u32;

/// The id of `<unk>`.
///
/// ```
/// use dashlm::vocab::{Vocab, UNK};
/// let v = Vocab::new();
/// assert_eq!(UNK, 0);
/// assert_eq!(v.id(b"anything"), UNK);
/// assert_eq!(v.word(UNK), b"<unk>");
/// ```
pub const UNK: WordId = 0;

/// Word <-> id map. Ids are given in insertion order after `<unk>` = 0, as KenLM does.
///
/// ```
/// use dashlm::vocab::Vocab;
/// let mut v = Vocab::new();
/// let id = v.insert(b"hello").unwrap();
/// assert_eq!(v.id(b"hello"), id);
/// assert_eq!(v.id(b"unseen"), 0);
/// assert_eq!(v.word(id), b"hello");
/// ```
#[derive(Clone, Debug)]
pub struct Vocab {
    /// The spelling of `<unk>` (id 0).
    unk: Box<[u8]>,
    /// Words 1.. concatenated; word `i >= 1` is `bytes[ends[i - 1]..ends[i]]`.
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// Open addressing by the hash of the word (multiply-shift), linear
    /// probing, at most 3/4 full: doubled as words are added, resized to
    /// about 3/4 by [`Vocab::shrink_to_fit`]. From 2 MiB up in huge pages,
    /// where the OS offers them, so that lookups in a large vocabulary
    /// rarely miss the TLB.
    slots: HugeBuf<Slot>,
    hasher: RandomState,
    unk_seen: bool,
}

/// A slot of [`Vocab`]'s index: a word's id with its length and first 8 bytes,
/// so that most lookups read one slot and no word bytes.
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
struct Slot {
    head: u64,
    len: u32,
    id: WordId,
}

/// The id of an empty [`Slot`].
const EMPTY: WordId = WordId::MAX;

const EMPTY_SLOT: Slot = Slot {
    head: 0,
    len: 0,
    id: EMPTY,
};

/// The first 8 bytes of `word`, zero-padded, as an integer.
#[inline]
fn head(word: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = word.len().min(8);
    b[..n].copy_from_slice(&word[..n]);
    u64::from_le_bytes(b)
}

impl Default for Vocab {
    fn default() -> Self {
        Vocab::new()
    }
}

/// Whether `word` spells the unknown word (`<unk>` or SRILM's `<UNK>`).
///
/// ```
/// use dashlm::vocab::is_unk_spelling;
/// assert!(is_unk_spelling(b"<unk>") && is_unk_spelling(b"<UNK>"));
/// assert!(!is_unk_spelling(b"<Unk>"));
/// ```
pub fn is_unk_spelling(word: &[u8]) -> bool {
    word == b"<unk>" || word == b"<UNK>"
}

impl Vocab {
    /// A vocabulary holding only `<unk>`.
    ///
    /// ```
    /// use dashlm::vocab::Vocab;
    /// let v = Vocab::new();
    /// assert_eq!(v.len(), 1);
    /// assert_eq!(v.word(0), b"<unk>");
    /// assert!(!v.has_explicit_unk());
    /// ```
    pub fn new() -> Vocab {
        Vocab {
            unk: b"<unk>".to_vec().into_boxed_slice(),
            bytes: Vec::new(),
            ends: vec![0],
            slots: HugeBuf::filled(16, EMPTY_SLOT),
            hasher: RandomState::with_seeds(1, 2, 3, 4),
            unk_seen: false,
        }
    }

    /// Adds `word` and returns its id, or `Err(existing id)` if it is already present.
    /// `<unk>`/`<UNK>` map to id 0 the first time and are then present.
    ///
    /// ```
    /// use dashlm::vocab::Vocab;
    /// let mut v = Vocab::new();
    /// assert_eq!(v.insert(b"a"), Ok(1));
    /// assert_eq!(v.insert(b"a"), Err(1));
    /// assert_eq!(v.insert(b"<UNK>"), Ok(0));
    /// assert_eq!(v.insert(b"<unk>"), Err(0));
    /// ```
    pub fn insert(&mut self, word: &[u8]) -> Result<WordId, WordId> {
        let at = self.find(word)?;
        let id = if is_unk_spelling(word) {
            if self.unk_seen {
                return Err(UNK);
            }
            self.unk_seen = true;
            self.unk = word.into();
            UNK
        } else {
            self.bytes.extend_from_slice(word);
            self.ends.push(self.bytes.len());
            (self.ends.len() - 1) as WordId
        };
        self.put(at, word, id);
        Ok(id)
    }

    /// The vocabulary whose word `i` is the `i`-th of `words` (`<unk>`'s
    /// spelling first, as a model's vocabulary lists them): the in-memory
    /// copy of a model's vocabulary ([`VocabView::to_vocab`]). A spelling
    /// listed twice (only in a corrupted model) keeps its first id for
    /// lookups, as the model's own lookup answers, and every id keeps its
    /// word.
    ///
    /// [`VocabView::to_vocab`]: crate::format::vocab::VocabView::to_vocab
    ///
    /// ```
    /// use dashlm::vocab::Vocab;
    /// let v = Vocab::from_words([&b"<unk>"[..], b"the", b"cat", b"the"]);
    /// assert_eq!((v.id(b"cat"), v.id(b"the"), v.id(b"dog")), (2, 1, 0));
    /// assert_eq!((v.len(), v.word(3)), (4, &b"the"[..]));
    /// assert_eq!(v.get(b"<unk>"), Some(0));
    /// ```
    pub fn from_words<'a>(words: impl IntoIterator<Item = &'a [u8]>) -> Vocab {
        let mut v = Vocab::new();
        let mut words = words.into_iter();
        if let Some(first) = words.next() {
            v.unk = first.into();
            v.unk_seen = true;
            if let Ok(at) = v.find(first) {
                v.put(at, first, UNK);
            }
        }
        for word in words {
            v.bytes.extend_from_slice(word);
            v.ends.push(v.bytes.len());
            if let Ok(at) = v.find(word) {
                v.put(at, word, (v.ends.len() - 1) as WordId);
            }
        }
        v.shrink_to_fit();
        v
    }

    /// Enters `word` with id `id` in the empty slot `at` (from
    /// [`Vocab::find`]); grows the index when it is 3/4 full.
    fn put(&mut self, at: usize, word: &[u8], id: WordId) {
        self.slots[at] = Slot {
            head: head(word),
            len: word.len() as u32,
            id,
        };
        if self.filled() * 4 > self.slots.len() * 3 {
            self.grow();
        }
    }

    /// The words in the index, or more (a spelling listed twice by
    /// [`Vocab::from_words`] is counted twice): ids past `<unk>`, plus
    /// `<unk>` when present.
    fn filled(&self) -> usize {
        self.ends.len() - 1 + usize::from(self.unk_seen)
    }

    /// The id of `word` if present, else the empty slot where it would go.
    #[inline]
    fn find(&self, word: &[u8]) -> Result<usize, WordId> {
        let (head, len) = (head(word), word.len() as u32);
        let mut i = self.home(word);
        loop {
            let s = self.slots[i];
            if s.id == EMPTY {
                return Ok(i);
            }
            // `word.len()`, not `len`: a word of 4 GiB or more has a
            // truncated `len`, and its bytes are compared.
            if s.head == head && s.len == len && (word.len() <= 8 || self.word(s.id) == word) {
                return Err(s.id);
            }
            i = self.next(i);
        }
    }

    /// The bytes of the index (its slots; the words' bytes not included).
    ///
    /// ```
    /// let v = dashlm::vocab::Vocab::new();
    /// assert_eq!(v.index_bytes(), 16 * 16); // 16 empty slots of 16 bytes
    /// ```
    pub fn index_bytes(&self) -> usize {
        std::mem::size_of_val(&self.slots[..])
    }

    /// Starts fetching the slot where a lookup of `word` starts, for a lookup
    /// to come (a hint to the processor only: nothing changes).
    ///
    /// ```
    /// let mut v = dashlm::vocab::Vocab::new();
    /// v.insert(b"cat").unwrap();
    /// v.prefetch(b"cat");
    /// assert_eq!(v.get(b"cat"), Some(1));
    /// ```
    #[inline]
    pub fn prefetch(&self, word: &[u8]) {
        crate::format::prefetch_items(std::slice::from_ref(&self.slots[self.home(word)]));
    }

    /// The first slot to look at for `word`.
    #[inline]
    fn home(&self, word: &[u8]) -> usize {
        let hash = self.hasher.hash_one(word);
        ((u128::from(hash) * self.slots.len() as u128) >> 64) as usize
    }

    /// The slot after slot `i`, wrapping.
    #[inline]
    fn next(&self, i: usize) -> usize {
        if i + 1 == self.slots.len() {
            0
        } else {
            i + 1
        }
    }

    /// Doubles the index.
    fn grow(&mut self) {
        self.rebuild(self.slots.len() * 2);
    }

    /// Moves the index to `size` slots.
    fn rebuild(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, HugeBuf::filled(size, EMPTY_SLOT));
        for &s in old.iter().filter(|s| s.id != EMPTY) {
            let mut i = self.home(self.word(s.id));
            while self.slots[i].id != EMPTY {
                i = self.next(i);
            }
            self.slots[i] = s;
        }
    }

    /// Gives back the memory that growing left unused: the index at about
    /// 3/4 full, the words' bytes and ends at their length (for a
    /// vocabulary no more words will be added to, as a model's). Ids and
    /// lookups are unchanged.
    ///
    /// ```
    /// use dashlm::vocab::Vocab;
    /// let mut v = Vocab::new();
    /// for i in 0..1000 {
    ///     v.insert(format!("w{i}").as_bytes()).unwrap();
    /// }
    /// v.shrink_to_fit();
    /// assert_eq!((v.get(b"w7"), v.get(b"w1000"), v.len()), (Some(8), None, 1001));
    /// assert_eq!(v.insert(b"more"), Ok(1001)); // it can still grow
    /// ```
    pub fn shrink_to_fit(&mut self) {
        let filled = self.filled();
        let size = (filled * 4).div_ceil(3).max(filled + 1).max(16);
        if size < self.slots.len() {
            self.rebuild(size);
        }
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    /// The id of `word`; [`UNK`] when absent.
    ///
    /// ```
    /// # use dashlm::vocab::Vocab;
    /// let mut v = Vocab::new();
    /// v.insert(b"a").unwrap();
    /// assert_eq!((v.id(b"a"), v.id(b"b")), (1, dashlm::vocab::UNK));
    /// ```
    pub fn id(&self, word: &[u8]) -> WordId {
        self.get(word).unwrap_or(UNK)
    }

    /// The id of `word` if it is in the vocabulary (`<unk>` itself included once inserted).
    /// Only the spelling of `<unk>` that was inserted is found: after
    /// `insert(b"<UNK>")`, `get(b"<unk>")` is `None` (while `insert(b"<unk>")`
    /// answers `Err(0)`, refusing a second unknown word); [`Vocab::id`] gives
    /// both spellings id 0 all the same, as it does every absent word.
    ///
    /// ```
    /// # use dashlm::vocab::Vocab;
    /// let mut v = Vocab::new();
    /// v.insert(b"a").unwrap();
    /// assert_eq!((v.get(b"a"), v.get(b"b")), (Some(1), None));
    /// assert_eq!(v.get(b"<unk>"), None); // reserved, not yet inserted
    /// v.insert(b"<UNK>").unwrap();
    /// assert_eq!((v.get(b"<UNK>"), v.get(b"<unk>")), (Some(0), None));
    /// assert_eq!((v.id(b"<UNK>"), v.id(b"<unk>")), (0, 0));
    /// ```
    #[inline]
    pub fn get(&self, word: &[u8]) -> Option<WordId> {
        self.find(word).err()
    }

    /// The word with id `id`; empty if `id >= len()` (as
    /// [`Model::word`](crate::Model::word) answers an id out of range).
    ///
    /// ```
    /// # use dashlm::vocab::Vocab;
    /// let mut v = Vocab::new();
    /// let id = v.insert(b"word").unwrap();
    /// assert_eq!(v.word(id), b"word");
    /// assert_eq!(v.word(id + 1), b""); // out of range
    /// assert_eq!(v.word(u32::MAX), b"");
    /// ```
    pub fn word(&self, id: WordId) -> &[u8] {
        word_of(&self.unk, &self.bytes, &self.ends, id)
    }

    /// Number of ids (including `<unk>`).
    ///
    /// ```
    /// # use dashlm::vocab::Vocab;
    /// let mut v = Vocab::new();
    /// v.insert(b"a").unwrap();
    /// v.insert(b"b").unwrap();
    /// assert_eq!(v.len(), 3); // <unk>, a, b
    /// ```
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Never true: `<unk>` is always present.
    ///
    /// ```
    /// # use dashlm::vocab::Vocab;
    /// assert!(!Vocab::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether `<unk>` was inserted explicitly (as opposed to only reserved).
    ///
    /// ```
    /// # use dashlm::vocab::Vocab;
    /// let mut v = Vocab::new();
    /// assert!(!v.has_explicit_unk());
    /// v.insert(b"<unk>").unwrap();
    /// assert!(v.has_explicit_unk());
    /// ```
    pub fn has_explicit_unk(&self) -> bool {
        self.unk_seen
    }

    /// All words, by id.
    ///
    /// ```
    /// # use dashlm::vocab::Vocab;
    /// let mut v = Vocab::new();
    /// v.insert(b"a").unwrap();
    /// v.insert(b"b").unwrap();
    /// assert_eq!(v.words().collect::<Vec<_>>(), [&b"<unk>"[..], b"a", b"b"]);
    /// ```
    pub fn words(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len() as WordId).map(|i| self.word(i))
    }
}

/// Word `id` of a vocabulary's parts (see [`Vocab`]'s fields); empty past
/// the last id.
fn word_of<'a>(unk: &'a [u8], bytes: &'a [u8], ends: &[usize], id: WordId) -> &'a [u8] {
    match id as usize {
        0 => unk,
        i => match (ends.get(i - 1), ends.get(i)) {
            (Some(&start), Some(&end)) => &bytes[start..end],
            _ => &[],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Short and long words, across many growths of the index, `<unk>` spellings.
    #[test]
    fn words_round_trip_through_the_index() {
        let mut v = Vocab::new();
        assert_eq!(v.get(b"<unk>"), None);
        let word = |i: usize| format!("w{i}{}", "x".repeat(i % 13)).into_bytes();
        for i in 0..5000 {
            assert_eq!(v.insert(&word(i)), Ok(i as WordId + 1));
        }
        assert_eq!(v.insert(b"<UNK>"), Ok(UNK));
        assert_eq!(v.insert(b"<unk>"), Err(UNK));
        assert_eq!(v.insert(&word(7)), Err(8));
        for i in 0..5000 {
            assert_eq!(v.get(&word(i)), Some(i as WordId + 1));
            assert_eq!(v.word(i as WordId + 1), word(i));
            // Same head and length, different tail.
            let mut other = word(i);
            if other.len() > 8 {
                *other.last_mut().unwrap() = b'y';
                assert_eq!(v.get(&other), None);
            }
        }
        assert_eq!((v.get(b"<UNK>"), v.word(UNK)), (Some(UNK), &b"<UNK>"[..]));
        assert_eq!(v.get(b""), None);
        assert_eq!(v.len(), 5001);
    }

    /// Ids by position whatever the spellings: a spelling listed again keeps
    /// its first id for lookups, as a model's lookup answers, and its own id
    /// keeps the word; past id 0 an `<unk>` spelling is a word like another.
    #[test]
    fn from_words_numbers_by_position_and_finds_first_ids() {
        let word = |i: usize| format!("w{i}{}", "x".repeat(i % 13)).into_bytes();
        let mut words: Vec<Vec<u8>> = vec![b"<UNK>".to_vec()];
        words.extend((0..3000).map(word));
        words.push(word(5)); // id 3001, a repeat of id 6
        words.push(b"<unk>".to_vec()); // id 3002
        words.push(b"<UNK>".to_vec()); // id 3003, a repeat of id 0
        words.push(Vec::new()); // id 3004, the empty word
        let v = Vocab::from_words(words.iter().map(|w| &w[..]));
        assert_eq!(v.len(), words.len());
        for (id, w) in words.iter().enumerate() {
            assert_eq!(v.word(id as WordId), &w[..]);
        }
        for i in 0..3000 {
            assert_eq!(v.get(&word(i)), Some(i as WordId + 1));
        }
        assert_eq!(v.get(b"<UNK>"), Some(UNK));
        assert_eq!(v.get(b"<unk>"), Some(3002));
        assert_eq!(v.get(b""), Some(3004));
        assert_eq!(v.get(b"w3000"), None);
        assert!(v.has_explicit_unk());
        assert!(v.index_bytes() <= 16 * 4096, "{}", v.index_bytes());
        assert_eq!(Vocab::from_words([]).len(), 1);
    }

    /// As words are added the index doubles only when a word would leave it
    /// more than 3/4 full (so past 16 slots it is more than 3/8 full);
    /// `shrink_to_fit` leaves it at the fewest slots (16 at least) at most
    /// 3/4 full; words added after that still get their ids, are found, and
    /// grow the index the same way.
    #[test]
    fn the_index_is_kept_between_three_eighths_and_three_quarters_full() {
        let slots = |v: &Vocab| v.index_bytes() / std::mem::size_of::<Slot>();
        let check = |v: &Vocab, words: usize| {
            let s = slots(v);
            assert!(words * 4 <= s * 3, "{words} words in {s} slots");
            assert!(s == 16 || words * 8 > s * 3, "{words} words in {s} slots");
        };
        let word = |i: usize| format!("w{i}{}", "x".repeat(i % 13)).into_bytes();
        for n in [0, 11, 12, 13, 100, 3000, 3100] {
            let mut v = Vocab::new();
            for i in 0..n {
                v.insert(&word(i)).unwrap();
                check(&v, i + 1);
            }
            v.shrink_to_fit();
            let s = slots(&v);
            check(&v, n);
            assert!(s == 16 || (s - 1) * 3 < n * 4, "{n} words in {s} slots");
            for i in n..n + 2000 {
                assert_eq!(v.insert(&word(i)), Ok(i as WordId + 1));
                check(&v, i + 1);
            }
            for i in 0..n + 2000 {
                assert_eq!(v.get(&word(i)), Some(i as WordId + 1));
            }
        }
    }
}
