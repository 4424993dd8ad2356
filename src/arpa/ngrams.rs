//! All n-grams of a model by word ids, completed the way KenLM completes them.

use std::io::BufRead;

use ahash::RandomState;
use hashbrown::HashTable;

use super::error::{ArpaError, ArpaErrorKind};
use super::reader::ArpaReader;
use crate::vocab::{Vocab, WordId, UNK};

/// log10 probability given to `<unk>` when the model does not list it (KenLM's default).
///
/// ```
/// use dashlm::{arpa::{NGramSet, MISSING_UNK_LOG10}, vocab::UNK};
/// assert_eq!(MISSING_UNK_LOG10, -100.0);
/// let text = "\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\n\\end\\\n";
/// let set = NGramSet::read(text.as_bytes(), "no-unk.arpa").unwrap();
/// assert_eq!(set.get(&[UNK]).unwrap().prob, MISSING_UNK_LOG10);
/// ```
pub const MISSING_UNK_LOG10: f32 = -100.0;

/// The error [`NGramSet::read`] gives for a model without `word` (`<s>` or
/// `</s>`) among its unigrams, once every line has been read without error
/// (`<s>` is looked for first).
pub(crate) fn missing_special(source: &str, word: &'static str) -> ArpaError {
    let hint = if word == "<s>" {
        "add `<s>` with probability -99 and a backoff to the \\1-grams: section"
    } else {
        "add `</s>` to the \\1-grams: section (every sentence ends with it)"
    };
    let kind = ArpaErrorKind::MissingSpecial {
        word,
        hint: hint.to_string(),
    };
    ArpaError::new(source, 0, kind)
}

/// One n-gram's weights and flags.
///
/// ```
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
/// let (the, cat) = (set.vocab().id(b"the"), set.vocab().id(b"cat"));
/// let e = set.get(&[the, cat]).unwrap();
/// assert_eq!((e.prob, e.backoff), (-0.7, -0.15));
/// assert!(e.extends && e.extends_left && !e.blank); // `<s> the cat` ends with it
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    /// log10 probability (for a blank: the backed-off estimate, as KenLM computes it).
    pub prob: f32,
    /// log10 backoff weight (0 when absent).
    pub backoff: f32,
    /// Whether a query state must keep this n-gram as context: it is the context of
    /// a longer n-gram or has a non-zero backoff (KenLM's "extension").
    pub extends: bool,
    /// Whether this n-gram was not in the file but added because a longer n-gram
    /// needs it (a pruned suffix or context).
    pub blank: bool,
    /// Whether a longer n-gram ends with this one (it is the suffix of another):
    /// a query that matches it must look for a longer match, otherwise it can stop
    /// (KenLM's `independent_left`, inverted).
    pub extends_left: bool,
    line: u32,
}

/// The n-grams of one order > 1: flat word ids plus a hash index.
#[derive(Clone, Debug)]
struct Table {
    n: usize,
    words: Vec<WordId>,
    entries: Vec<Entry>,
    index: HashTable<u32>,
}

fn hash_words(state: &RandomState, words: &[WordId]) -> u64 {
    state.hash_one(words)
}

impl Table {
    fn new(n: usize, capacity: usize) -> Table {
        Table {
            n,
            words: Vec::with_capacity(capacity * n),
            entries: Vec::with_capacity(capacity),
            index: HashTable::with_capacity(capacity),
        }
    }

    fn key(&self, i: usize) -> &[WordId] {
        &self.words[i * self.n..(i + 1) * self.n]
    }

    fn find(&self, hs: &RandomState, key: &[WordId]) -> Option<usize> {
        let h = hash_words(hs, key);
        self.index
            .find(h, |&i| self.key(i as usize) == key)
            .map(|&i| i as usize)
    }

    /// Inserts `key`; `Err(existing index)` if present.
    fn insert(&mut self, hs: &RandomState, key: &[WordId], entry: Entry) -> Result<usize, usize> {
        let h = hash_words(hs, key);
        let (words, n) = (&self.words, self.n);
        let eq = |&i: &u32| &words[i as usize * n..(i as usize + 1) * n] == key;
        if let Some(&i) = self.index.find(h, eq) {
            return Err(i as usize);
        }
        let i = self.entries.len();
        self.words.extend_from_slice(key);
        self.entries.push(entry);
        let (words, n) = (&self.words, self.n);
        self.index.insert_unique(h, i as u32, |&j| {
            hash_words(hs, &words[j as usize * n..(j as usize + 1) * n])
        });
        Ok(i)
    }
}

/// Every n-gram of a backoff model, by word ids, ready to be scored or compiled.
///
/// Loading completes the model as KenLM's probing loader does: every suffix and
/// every context of an n-gram is present, missing ones being added as *blank*
/// n-grams whose probability is the backed-off estimate and whose backoff is 0.
/// (KenLM adds missing suffixes the same way; for a missing context it refuses the
/// file, where dashlm adds a blank so that standard backoff semantics hold.) An
/// n-gram `extends` when it is the context of another or has a non-zero backoff.
///
/// ```
/// use dashlm::arpa::NGramSet;
/// let text = "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1\t<s>\t-0.5\n-1\t</s>\n-1\ta\n\n\\2-grams:\n-0.2\t<s> a\n\n\\end\\\n";
/// let set = NGramSet::read(text.as_bytes(), "tiny.arpa").unwrap();
/// assert!(set.unk_added()); // no <unk> in the file: added with log10 prob -100
/// let (s, a) = (set.vocab().id(b"<s>"), set.vocab().id(b"a"));
/// assert_eq!(set.get(&[s, a]).unwrap().prob, -0.2);
/// ```
#[derive(Clone, Debug)]
pub struct NGramSet {
    vocab: Vocab,
    unigrams: Vec<Entry>,
    tables: Vec<Table>,
    hasher: RandomState,
    unk_added: bool,
    bos: WordId,
    eos: WordId,
}

impl NGramSet {
    /// Reads and completes a whole ARPA model from `input`; `source` names it in errors.
    /// `input` is text: a gzip or xz file is read through
    /// [`open_input`](crate::arpa::open_input), which decompresses it (given
    /// here, compressed data is an error that says so).
    ///
    /// # Errors
    /// Everything [`ArpaReader`] rejects, plus duplicate n-grams, words missing from
    /// the unigrams, and a missing `<s>` or `</s>`.
    ///
    /// ```
    /// use dashlm::arpa::NGramSet;
    /// let set = NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
    /// assert_eq!((set.order(), set.count(3)), (3, 4));
    /// assert!(NGramSet::read(&b"not arpa\n"[..], "bad.arpa").is_err());
    /// ```
    pub fn read<R: BufRead>(input: R, source: &str) -> Result<NGramSet, ArpaError> {
        NGramSet::read_with_progress(input, source, |_| {})
    }

    /// As [`NGramSet::read`], calling `progress(ngrams_read)` every 65,536 n-grams.
    ///
    /// # Errors
    /// As [`NGramSet::read`].
    ///
    /// ```
    /// use dashlm::arpa::NGramSet;
    /// let mut calls = 0;
    /// let text = &include_bytes!("../../data/tiny.arpa")[..];
    /// let set = NGramSet::read_with_progress(text, "tiny.arpa", |_| calls += 1).unwrap();
    /// assert_eq!(set.count(2), 7);
    /// assert_eq!(calls, 0); // 19 n-grams: fewer than 65,536
    /// ```
    pub fn read_with_progress<R: BufRead>(
        input: R,
        source: &str,
        progress: impl FnMut(u64),
    ) -> Result<NGramSet, ArpaError> {
        NGramSet::read_from(ArpaReader::new(input, source)?, progress)
    }

    /// As [`NGramSet::read_with_progress`], from a reader whose header has
    /// been read (so its counts can be checked first).
    pub(crate) fn read_from<R: BufRead>(
        mut reader: ArpaReader<R>,
        mut progress: impl FnMut(u64),
    ) -> Result<NGramSet, ArpaError> {
        let counts = reader.counts().to_vec();
        let source = &reader.source().to_string();
        // Header counts are untrusted: preallocate at most 2^20 entries per order
        // (growth past that is amortized), so a hostile header cannot make
        // dashlm reserve gigabytes before reading a single n-gram.
        let cap = |c: u64| usize::try_from(c.min(1 << 20)).unwrap_or(1 << 20);
        let mut set = NGramSet {
            vocab: Vocab::new(),
            unigrams: Vec::with_capacity(cap(counts[0]) + 1),
            tables: (2..=counts.len())
                .map(|n| Table::new(n, cap(counts[n - 1])))
                .collect(),
            hasher: RandomState::with_seeds(7, 11, 13, 17),
            unk_added: false,
            bos: UNK,
            eos: UNK,
        };
        set.unigrams.push(Entry {
            prob: MISSING_UNK_LOG10,
            backoff: 0.0,
            extends: false,
            blank: true,
            extends_left: false,
            line: 0,
        });
        let mut ids: Vec<WordId> = Vec::with_capacity(counts.len());
        let mut read: u64 = 0;
        while let Some(g) = reader.next_ngram()? {
            read += 1;
            if read.is_multiple_of(65536) {
                progress(read);
            }
            let entry = Entry {
                prob: g.prob,
                backoff: g.backoff.unwrap_or(0.0),
                extends: g.backoff.is_some_and(|b| b != 0.0),
                blank: false,
                extends_left: false,
                line: u32::try_from(g.line).unwrap_or(u32::MAX),
            };
            let err = |kind| ArpaError::new(source, g.line, kind);
            if g.order() == 1 {
                let word = g.word(0);
                match set.vocab.insert(word) {
                    Ok(UNK) => set.unigrams[0] = entry,
                    Ok(_) => set.unigrams.push(entry),
                    Err(id) => {
                        return Err(err(ArpaErrorKind::DuplicateNGram {
                            ngram: String::from_utf8_lossy(word).into_owned(),
                            first_line: set.unigrams[id as usize].line as u64,
                        }))
                    }
                }
                continue;
            }
            ids.clear();
            for w in g.words() {
                match set.vocab.get(w) {
                    Some(id) => ids.push(id),
                    None => {
                        return Err(err(ArpaErrorKind::UnknownWord {
                            word: String::from_utf8_lossy(w).into_owned(),
                        }))
                    }
                }
            }
            let table = &mut set.tables[g.order() - 2];
            if let Err(i) = table.insert(&set.hasher, &ids, entry) {
                let first_line = table.entries[i].line as u64;
                let ngram = set.words_text(&ids);
                return Err(err(ArpaErrorKind::DuplicateNGram { ngram, first_line }));
            }
        }
        set.unk_added = !set.vocab.has_explicit_unk();
        set.bos = set.special("<s>", source)?;
        set.eos = set.special("</s>", source)?;
        set.complete();
        Ok(set)
    }

    fn special(&self, word: &'static str, source: &str) -> Result<WordId, ArpaError> {
        let id = self.vocab.get(word.as_bytes());
        id.ok_or_else(|| missing_special(source, word))
    }

    fn words_text(&self, ids: &[WordId]) -> String {
        let words: Vec<_> = ids
            .iter()
            .map(|&i| String::from_utf8_lossy(self.vocab.word(i)).into_owned())
            .collect();
        words.join(" ")
    }

    /// Adds blank suffixes and contexts, marks contexts as extending, and gives
    /// blanks their backed-off probabilities.
    fn complete(&mut self) {
        let blank = Entry {
            prob: 0.0,
            backoff: 0.0,
            extends: false,
            blank: true,
            extends_left: false,
            line: 0,
        };
        let mut key = Vec::new();
        for n in (2..=self.order()).rev() {
            let mut i = 0;
            while i < self.tables[n - 2].entries.len() {
                key.clear();
                key.extend_from_slice(self.tables[n - 2].key(i));
                // The suffix (drop the oldest word) and the context (drop the newest).
                for (range, is_context) in [(1..n, false), (0..n - 1, true)] {
                    let sub = &key[range];
                    let entry = if n == 2 {
                        &mut self.unigrams[sub[0] as usize]
                    } else {
                        let t = &mut self.tables[n - 3];
                        let j = t.insert(&self.hasher, sub, blank).unwrap_or_else(|j| j);
                        &mut t.entries[j]
                    };
                    entry.extends |= is_context;
                    entry.extends_left |= !is_context;
                }
                i += 1;
            }
        }
        self.blank_probabilities();
    }

    /// Gives every blank its probability as KenLM's probing loader does. For each
    /// n-gram of the file, in file order, KenLM finds its longest suffix already
    /// present, reads that one's probability as -|p| (it keeps a flag in the sign
    /// bit), adds the backoff of each missing suffix's context going up, and
    /// stores each sum in the blank it creates, read back as -|sum| in turn. With
    /// backoffs <= 0 a blank's probability is the backed-off estimate; with
    /// positive ones it can depend on whether a shorter blank was made by an
    /// earlier n-gram, which is why this follows the file order. Blanks KenLM
    /// never makes (missing contexts: it refuses those files) get -|p(lower) +
    /// backoff(context)|.
    fn blank_probabilities(&mut self) {
        let order = self.order();
        // done[n - 2][i]: entry i of order n has its probability (for KenLM: exists).
        let mut done: Vec<Vec<bool>> = self
            .tables
            .iter()
            .map(|t| t.entries.iter().map(|e| !e.blank).collect())
            .collect();
        let mut key = Vec::new();
        for n in 3..=order {
            for i in 0..self.tables[n - 2].entries.len() {
                if self.tables[n - 2].entries[i].blank {
                    continue;
                }
                key.clear();
                key.extend_from_slice(self.tables[n - 2].key(i));
                // The longest suffix present so far, of `len` words (1: the unigram).
                let mut len = n - 1;
                while len >= 2 {
                    let t = &self.tables[len - 2];
                    let j = t
                        .find(&self.hasher, &key[n - len..])
                        .expect("suffixes are completed");
                    if done[len - 2][j] {
                        break;
                    }
                    len -= 1;
                }
                let basis = self.get(&key[n - len..]).expect("suffixes are completed");
                let mut prob = -basis.prob.abs();
                for l in len + 1..n {
                    prob += self.get(&key[n - l..n - 1]).map_or(0.0, |e| e.backoff);
                    let t = &mut self.tables[l - 2];
                    let j = t
                        .find(&self.hasher, &key[n - l..])
                        .expect("suffixes are completed");
                    t.entries[j].prob = prob;
                    done[l - 2][j] = true;
                }
            }
        }
        for n in 2..=order {
            #[allow(clippy::needless_range_loop)]
            for i in 0..self.tables[n - 2].entries.len() {
                if done[n - 2][i] {
                    continue;
                }
                key.clear();
                key.extend_from_slice(self.tables[n - 2].key(i));
                let lower = self.get(&key[1..]).map_or(0.0, |e| -e.prob.abs());
                let context = self.get(&key[..n - 1]).map_or(0.0, |e| e.backoff);
                self.tables[n - 2].entries[i].prob = lower + context;
            }
        }
        for table in &mut self.tables {
            for e in table.entries.iter_mut().filter(|e| e.blank) {
                e.prob = -e.prob.abs();
            }
        }
    }

    /// The vocabulary (`<unk>` = 0, then unigrams in file order).
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(set.vocab().len(), 8);
    /// assert_eq!(set.vocab().word(0), b"<unk>");
    /// assert_eq!(set.vocab().id(b"the"), 3); // <unk>, <s>, </s>, the, ...
    /// ```
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Whether the file had no `<unk>` and one was added with log10 prob -100.
    ///
    /// ```
    /// # use dashlm::arpa::NGramSet;
    /// let tiny = NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert!(!tiny.unk_added()); // tiny.arpa lists <unk>
    /// let text = "\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\n\\end\\\n";
    /// assert!(NGramSet::read(text.as_bytes(), "no-unk.arpa").unwrap().unk_added());
    /// ```
    pub fn unk_added(&self) -> bool {
        self.unk_added
    }

    /// The model order.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(set.order(), 3); // tiny.arpa is a trigram model
    /// ```
    pub fn order(&self) -> usize {
        self.tables.len() + 1
    }

    /// The id of `<s>`.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(set.vocab().word(set.bos()), b"<s>");
    /// ```
    pub fn bos(&self) -> WordId {
        self.bos
    }

    /// The id of `</s>`.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(set.vocab().word(set.eos()), b"</s>");
    /// ```
    pub fn eos(&self) -> WordId {
        self.eos
    }

    /// Number of n-grams of order `n` (1-based), blanks included; 0 for an
    /// order the model does not have (0, or above [`NGramSet::order`]).
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let counts: Vec<usize> = (0..=set.order() + 1).map(|n| set.count(n)).collect();
    /// assert_eq!(counts, [0, 8, 7, 4, 0]);
    /// ```
    pub fn count(&self, n: usize) -> usize {
        match n {
            0 => 0,
            1 => self.unigrams.len(),
            _ => self.tables.get(n - 2).map_or(0, |t| t.entries.len()),
        }
    }

    /// Number of n-grams of order `n` (1-based) that are not in the file:
    /// blanks, and among the unigrams `<unk>` when [`NGramSet::unk_added`].
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(set.count_added(2), 0); // tiny.arpa lists every context and suffix
    /// ```
    pub fn count_added(&self, n: usize) -> usize {
        match n {
            0 => 0,
            1 => self.unigrams.iter().filter(|e| e.blank).count(),
            _ => self
                .tables
                .get(n - 2)
                .map_or(0, |t| t.entries.iter().filter(|e| e.blank).count()),
        }
    }

    /// The entry for `words` (oldest first), if present.
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let id = |w: &str| set.vocab().id(w.as_bytes());
    /// assert_eq!(set.get(&[id("on"), id("the"), id("mat")]).unwrap().prob, -0.1);
    /// assert!(set.get(&[id("mat"), id("on")]).is_none());
    /// ```
    pub fn get(&self, words: &[WordId]) -> Option<&Entry> {
        match words.len() {
            0 => None,
            1 => self.unigrams.get(words[0] as usize),
            n if n <= self.order() => {
                let t = &self.tables[n - 2];
                t.find(&self.hasher, words).map(|i| &t.entries[i])
            }
            _ => None,
        }
    }

    /// The position of `words` within its order: the word id for unigrams, else
    /// the index in the order's insertion order (as [`NGramSet::for_each`] visits).
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let id = |w: &str| set.vocab().id(w.as_bytes());
    /// assert_eq!(set.index_of(&[id("cat")]), Some(id("cat") as usize));
    /// assert_eq!(set.index_of(&[id("the"), id("cat")]), Some(1)); // the second bigram read
    /// assert_eq!(set.index_of(&[id("cat"), id("the")]), None);
    /// ```
    pub fn index_of(&self, words: &[WordId]) -> Option<usize> {
        match words.len() {
            0 => None,
            1 => ((words[0] as usize) < self.unigrams.len()).then_some(words[0] as usize),
            n if n <= self.order() => self.tables[n - 2].find(&self.hasher, words),
            _ => None,
        }
    }

    /// Calls `f(words, entry)` for every n-gram of order `n` without allocating
    /// (never, for an order the model does not have).
    ///
    /// ```
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let mut trigrams = Vec::new();
    /// set.for_each(3, |words, entry| trigrams.push((words.to_vec(), entry.prob)));
    /// assert_eq!(trigrams.len(), 4);
    /// set.for_each(0, |_, _| unreachable!());
    /// set.for_each(4, |_, _| unreachable!());
    /// let first: Vec<_> = trigrams[0].0.iter().map(|&w| set.vocab().word(w)).collect();
    /// assert_eq!((first, trigrams[0].1), (vec![&b"<s>"[..], b"the", b"cat"], -0.2));
    /// ```
    pub fn for_each(&self, n: usize, mut f: impl FnMut(&[WordId], &Entry)) {
        if n == 1 {
            for (i, e) in self.unigrams.iter().enumerate() {
                f(&[i as WordId], e);
            }
        } else if let Some(t) = n.checked_sub(2).and_then(|k| self.tables.get(k)) {
            for i in 0..t.entries.len() {
                f(t.key(i), &t.entries[i]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count_added` counts each order's blanks (an added `<unk>`, a missing
    /// suffix), 0 for orders the model lacks; keys of no order (empty, longer
    /// than the model, a unigram id past the vocabulary) are found nowhere,
    /// never a panic.
    #[test]
    fn added_counts_and_keys_of_no_order() {
        let text = "\\data\\\nngram 1=4\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1\t<s>\t-0.5\n\
                    -1\t</s>\n-1\ta\t-0.1\n-1\tb\n\n\\2-grams:\n-0.2\t<s> a\t-0.1\n\n\
                    \\3-grams:\n-0.3\t<s> a b\n\n\\end\\\n";
        let set = NGramSet::read(text.as_bytes(), "t.arpa").unwrap();
        let [s, a, b] = [b"<s>".as_slice(), b"a", b"b"].map(|w| set.vocab().id(w));
        // `<unk>` and the suffix `a b` of `<s> a b` were added.
        let added: Vec<usize> = (0..=4).map(|n| set.count_added(n)).collect();
        assert_eq!(added, [0, 1, 1, 0, 0]);
        assert!(set.get(&[a, b]).unwrap().blank);
        assert_eq!(set.get(&[]), None);
        assert_eq!(set.index_of(&[]), None);
        assert_eq!(set.get(&[s, a, b, b]), None);
        assert_eq!(set.index_of(&[s, a, b, b]), None);
        let words = set.count(1) as WordId;
        assert_eq!(set.index_of(&[words - 1]), Some(words as usize - 1));
        assert_eq!(set.index_of(&[words]), None);
    }
}
