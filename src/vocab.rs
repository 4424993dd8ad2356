//! The in-memory vocabulary: word bytes <-> dense word ids.

use ahash::RandomState;
use hashbrown::HashTable;

/// A dense word id. `0` is always `<unk>`, which every out-of-vocabulary word maps to.
pub type WordId = u32;

/// The id of `<unk>`.
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
    /// Ids by the hash of their word.
    index: HashTable<WordId>,
    hasher: RandomState,
    unk_seen: bool,
}

impl Default for Vocab {
    fn default() -> Self {
        Vocab::new()
    }
}

/// Whether `word` spells the unknown word (`<unk>` or SRILM's `<UNK>`).
pub fn is_unk_spelling(word: &[u8]) -> bool {
    word == b"<unk>" || word == b"<UNK>"
}

impl Vocab {
    /// A vocabulary holding only `<unk>`.
    pub fn new() -> Vocab {
        Vocab {
            unk: b"<unk>".to_vec().into_boxed_slice(),
            bytes: Vec::new(),
            ends: vec![0],
            index: HashTable::new(),
            hasher: RandomState::with_seeds(1, 2, 3, 4),
            unk_seen: false,
        }
    }

    /// Adds `word` and returns its id, or `Err(existing id)` if it is already present.
    /// `<unk>`/`<UNK>` map to id 0 the first time and are then present.
    pub fn insert(&mut self, word: &[u8]) -> Result<WordId, WordId> {
        if let Some(id) = self.get(word) {
            return Err(id);
        }
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
        let h = self.hasher.hash_one(word);
        let (unk, bytes, ends, hasher) = (&self.unk, &self.bytes, &self.ends, &self.hasher);
        let rehash = |&i: &WordId| hasher.hash_one(word_of(unk, bytes, ends, i));
        self.index.insert_unique(h, id, rehash);
        Ok(id)
    }

    /// The id of `word`; [`UNK`] when absent.
    pub fn id(&self, word: &[u8]) -> WordId {
        self.get(word).unwrap_or(UNK)
    }

    /// The id of `word` if it is in the vocabulary (`<unk>` itself included once inserted).
    pub fn get(&self, word: &[u8]) -> Option<WordId> {
        let h = self.hasher.hash_one(word);
        self.index.find(h, |&i| self.word(i) == word).copied()
    }

    /// The word with id `id`. Panics if `id >= len()`.
    pub fn word(&self, id: WordId) -> &[u8] {
        word_of(&self.unk, &self.bytes, &self.ends, id)
    }

    /// Number of ids (including `<unk>`).
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Never true: `<unk>` is always present.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether `<unk>` was inserted explicitly (as opposed to only reserved).
    pub fn has_explicit_unk(&self) -> bool {
        self.unk_seen
    }

    /// All words, by id.
    pub fn words(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len() as WordId).map(|i| self.word(i))
    }
}

/// Word `id` of a vocabulary's parts (see [`Vocab`]'s fields).
fn word_of<'a>(unk: &'a [u8], bytes: &'a [u8], ends: &[usize], id: WordId) -> &'a [u8] {
    match id as usize {
        0 => unk,
        i => &bytes[ends[i - 1]..ends[i]],
    }
}
