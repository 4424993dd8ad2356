//! Scoring n-best lists with a [`LanguageModel`], sharing work between
//! hypotheses: [`LmScorer`] (see the [`rescorer`](super::rescorer) docs;
//! `groups` scores many lists with it).

use hashbrown::hash_map::Entry;

use super::combine::LN_10;
use super::joined::Words;
use super::memo::{Memo, NO_KEY};
use super::nbest::NbestList;
use super::words::{Lookup, WordCache};
use crate::lm::LanguageModel;
use crate::vocab::WordId;

/// Scores n-best lists with a model, sharing work between hypotheses, reusing
/// its buffers from list to list. One scorer per thread.
///
/// - **Words**: each word spelling becomes a model id once per scorer (a small
///   table of the spellings seen so far, up to [`LmScorer::WORD_CACHE_BYTES`]
///   bytes, then started afresh), not once per word. A spelling of up to 16
///   bytes is its own key there, so finding it costs a few loads, two
///   multiplications and one cache line. The spellings a group of lists brings
///   that the table does not know yet go to the model together, in one
///   [`LanguageModel::word_ids`] call (models overlap their memory accesses).
/// - **Sharing**: a list's hypotheses are scored one after another, word by
///   word. Every step is a transition `(state, word)` looked up in a memo
///   shared by the group of lists (see [`LmScorer::score_lists_into`]) and
///   keyed by the model state's identity ([`LanguageModel::State`]'s
///   `Eq`/`Hash`, or its [`LanguageModel::state_key`], one integer, when the
///   model gives one; states are numbered per group, and a step is keyed by its
///   state's tag, the number times an odd constant, and its word: one `u64`, in
///   a memo slot of 16 bytes): once a hypothesis reaches a state an earlier one
///   reached (for an N-gram model, at the latest after N-1 equal words; at once
///   for a shared prefix), their equal continuations are scored once. The
///   prefix trie of the list becomes a graph, and only its distinct
///   `(state, word)` arcs reach the model.
/// - **Prefixes**: a hypothesis starts after the words it shares with the one
///   before it in its list (their spellings are compared, not looked up), from
///   the state number and log10 sum the previous walk recorded after them (one
///   path of `(state number, sum)` per list). Consecutive hypotheses of real
///   n-best lists share about a quarter of their words this way; the sums are
///   the same, as the shared words were added in the same order.
/// - **Turns**: the lists of a group take turns. A list's turn takes steps
///   found in the memo until one is new; that query is prefetched
///   ([`LanguageModel::prefetch_query`]) and made at the start of the list's
///   next turn, after the other lists' turns, whose work hides its memory
///   accesses (a step another list's query is waiting for waits too).
///
/// Sums are accumulated in `f32` in sentence order, so each hypothesis gets
/// exactly the value [`LanguageModel::score_sentence`] gives. Nothing is
/// allocated per hypothesis; buffers are reused from list to list.
///
/// ```
/// use dashlm::{LanguageModel, ReferenceModel};
/// use dashlm::rescore::{Hypothesis, LmScorer, NbestList, LN_10};
/// let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
/// let list = NbestList::new("u")
///     .with_hyp(Hypothesis::new("the cat sat", 0.0))
///     .with_hyp(Hypothesis::new("the cat", 0.0));
/// let mut scorer = LmScorer::new(&lm);
/// let scores = scorer.score_list(&list);
/// let ids: Vec<u32> = ["the", "cat"].iter().map(|w| lm.word_id(w.as_bytes())).collect();
/// assert_eq!(scores[1], lm.score_sentence(&ids, true, true) as f64 * LN_10);
/// assert_eq!(scorer.stats().queries, 5); // the, cat, sat, and two </s>
/// ```
pub struct LmScorer<'m, M: LanguageModel> {
    model: &'m M,
    eos: WordId,
    /// Word spellings seen, and their ids.
    words: WordCache,
    /// Per group: model states seen, and their numbers.
    pool: Vec<M::State>,
    pool_index: hashbrown::HashMap<M::State, u32, ahash::RandomState>,
    /// Per group, when the model gives states keys
    /// ([`LanguageModel::state_key`]): state key -> state number.
    numbers: Memo,
    /// Per group: `(state tag << 32 | word)` -> `(next state's tag << 32 |
    /// score bits)`, or `PENDING << 32` while the query is in flight.
    memo: Memo,
    /// Per group: the word ids of all hypotheses.
    ids: Vec<WordId>,
    /// Per group: `(index in ids, k)` for each word that is the `k`-th
    /// spelling new to the word cache, and those spellings' ids.
    patches: Vec<(u32, u32)>,
    new_ids: Vec<WordId>,
    /// Per group: each hypothesis' `(start in ids, number of words, number of
    /// leading words equal to the previous hypothesis' of its list)`.
    hyps: Vec<(u32, u32, u32)>,
    /// Per list of the group: `(state tag, log10 sum)` after each number of
    /// words of the hypothesis walked last (index 0: `<s>`), which the next
    /// hypothesis starts from after the words it shares.
    paths: Vec<Vec<(u32, f32)>>,
    /// Per group: one cursor per list not finished yet.
    cursors: Vec<Cursor>,
    /// Per hypothesis of the group (group order): its log10 sum, once finished.
    cum: Vec<f32>,
    stats: ScorerStats,
}

/// Where the walk through one list is: the hypothesis and word position, the
/// state (its tag) and log10 sum reached, and the query in flight, if any.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    /// The hypothesis being scored (group order), and one past the list's last.
    hyp: u32,
    end: u32,
    /// The list's place in the group (its path).
    list: u32,
    /// Its words' start in `ids` and number; `pos == len` is its `</s>`.
    start: u32,
    len: u32,
    pos: u32,
    at: u32,
    cum: f32,
    /// Whether the query `(at, word)` was sent (prefetched) and waits to be
    /// made, and its memo slot (valid while the memo's `moves` are `moves`).
    asked: bool,
    word: WordId,
    slot: u32,
    moves: u32,
}

/// Counts kept by an [`LmScorer`].
///
/// ```
/// let s = dashlm::rescore::ScorerStats::default();
/// assert_eq!(s.queries, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScorerStats {
    /// Lists scored.
    pub lists: u64,
    /// Hypotheses scored.
    pub hyps: u64,
    /// Hypothesis words scored, without `</s>`.
    pub words: u64,
    /// Model queries made: distinct `(state, word)` transitions, `</s>` included.
    pub queries: u64,
}

impl ScorerStats {
    /// Adds another scorer's counts.
    ///
    /// ```
    /// let mut a = dashlm::rescore::ScorerStats { lists: 1, hyps: 2, words: 3, queries: 4 };
    /// a.add(&a.clone());
    /// assert_eq!(a.queries, 8);
    /// ```
    pub fn add(&mut self, other: &ScorerStats) {
        self.lists += other.lists;
        self.hyps += other.hyps;
        self.words += other.words;
        self.queries += other.queries;
    }
}

/// Memo value `PENDING << 32`: the query is in flight. No state's tag is
/// `PENDING` (see [`LmScorer::number`]), and so keys (`tag << 32 | word`)
/// never equal [`NO_KEY`].
const PENDING: u64 = u32::MAX as u64;

/// The state number whose tag would be `PENDING`: it is skipped (never
/// given to a state). Small, so that tests reach it.
const SKIPPED: u32 = 3001;

/// A state's tag, which the walk keys the memo with: its number times this
/// odd constant (mod 2^32; `0xD517_7577`), so that tags are well mixed and the
/// memo's hash need not multiply them (see the [`memo`](super::memo) docs).
/// Chosen so that [`SKIPPED`]'s tag is `PENDING`.
const TAG_MULTIPLIER: u32 = crate::format::inverse(TAG_INVERSE as u64) as u32;

/// The inverse of [`TAG_MULTIPLIER`] mod 2^32: a tag times it is the number.
const TAG_INVERSE: u32 = SKIPPED.wrapping_neg();

/// The tag of state number `n`.
#[inline(always)]
fn tag(n: u32) -> u32 {
    n.wrapping_mul(TAG_MULTIPLIER)
}

/// The number of the state tagged `t`.
#[inline(always)]
fn untag(t: u32) -> usize {
    t.wrapping_mul(TAG_INVERSE) as usize
}

/// How far ahead [`LmScorer::prepare`] asks for a hypothesis' struct: big
/// inputs' structs are not in the cache, and the hardware prefetcher missed
/// about half of them (`rescore_bench` on big.jsonl: 1.036x as fast with
/// these prefetches inside a list, 1.046x with the next list's first ones too).
const PREFETCH_HYPS: usize = 4;

impl<'m, M: LanguageModel> LmScorer<'m, M> {
    /// The word-id cache is started afresh when its entries would take more
    /// than this many bytes (64 bytes per spelling of up to 16 bytes, so about
    /// 131 000 spellings).
    ///
    /// ```
    /// use dashlm::{rescore::LmScorer, ReferenceModel};
    /// assert_eq!(LmScorer::<ReferenceModel>::WORD_CACHE_BYTES, 8 << 20); // 8 MiB
    /// ```
    pub const WORD_CACHE_BYTES: usize = 1 << 23;

    /// A scorer for `model`.
    ///
    /// ```
    /// use dashlm::ReferenceModel;
    /// let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let scorer = dashlm::rescore::LmScorer::new(&lm);
    /// assert_eq!(scorer.stats().lists, 0);
    /// ```
    pub fn new(model: &'m M) -> LmScorer<'m, M> {
        let seeded = || ahash::RandomState::with_seeds(7, 8, 9, 10);
        LmScorer {
            model,
            eos: model.eos_id(),
            words: WordCache::new(Self::WORD_CACHE_BYTES),
            pool: Vec::new(),
            pool_index: hashbrown::HashMap::with_hasher(seeded()),
            numbers: Memo::new(),
            memo: Memo::new(),
            ids: Vec::new(),
            patches: Vec::new(),
            new_ids: Vec::new(),
            hyps: Vec::new(),
            paths: Vec::new(),
            cursors: Vec::new(),
            cum: Vec::new(),
            stats: ScorerStats::default(),
        }
    }

    /// The counts so far.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// assert_eq!(dashlm::rescore::LmScorer::new(&lm).stats().hyps, 0);
    /// ```
    pub fn stats(&self) -> ScorerStats {
        self.stats
    }

    /// The new LM score (natural log, `</s>` included, `<s>` as context) of each
    /// hypothesis of `list`, in list order.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # use dashlm::rescore::{Hypothesis, LmScorer, NbestList};
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let list = NbestList::new("u").with_hyp(Hypothesis::new("", 0.0));
    /// let s = LmScorer::new(&lm).score_list(&list);
    /// assert!(s[0] < 0.0); // P(</s> | <s>)
    /// ```
    pub fn score_list(&mut self, list: &NbestList) -> Vec<f64> {
        let mut out = Vec::with_capacity(list.hyps.len());
        self.score_list_into(list, &mut out);
        out
    }

    /// As [`LmScorer::score_list`], writing into `out` (cleared first).
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # use dashlm::rescore::{Hypothesis, LmScorer, NbestList};
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let list = NbestList::new("u").with_hyp(Hypothesis::new("the", 0.0));
    /// let mut out = vec![1.0, 2.0];
    /// LmScorer::new(&lm).score_list_into(&list, &mut out);
    /// assert_eq!(out.len(), 1);
    /// ```
    pub fn score_list_into(&mut self, list: &NbestList, out: &mut Vec<f64>) {
        out.clear();
        self.score_group(std::slice::from_ref(list));
        out.extend(self.cum.iter().map(|&c| f64::from(c) * LN_10));
    }

    /// The new LM scores of every list of `lists` (one `Vec` per list, in
    /// order, appended to `out`), scoring the lists together as one group: they
    /// take turns (one list's query in flight while the others walk) and share
    /// one memo (a `(state, word)` pair is queried once per group). The scores equal
    /// [`LmScorer::score_list`]'s; only [`ScorerStats::queries`] can be lower.
    ///
    /// ```
    /// # use dashlm::ReferenceModel;
    /// # use dashlm::rescore::{Hypothesis, LmScorer, NbestList};
    /// # let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let lists = vec![
    ///     NbestList::new("a").with_hyp(Hypothesis::new("the cat", 0.0)),
    ///     NbestList::new("b").with_hyp(Hypothesis::new("the", 0.0)).with_hyp(Hypothesis::new("the cat", 0.0)),
    /// ];
    /// let mut scorer = LmScorer::new(&lm);
    /// let mut out = Vec::new();
    /// scorer.score_lists_into(&lists, &mut out);
    /// assert_eq!(out[0], LmScorer::new(&lm).score_list(&lists[0]));
    /// assert_eq!(out[1], LmScorer::new(&lm).score_list(&lists[1]));
    /// assert_eq!(scorer.stats().queries, 4); // the, cat, </s> twice
    /// ```
    pub fn score_lists_into(&mut self, lists: &[NbestList], out: &mut Vec<Vec<f64>>) {
        self.score_group(lists);
        let mut cum = &self.cum[..];
        for list in lists {
            let (head, rest) = cum.split_at(list.hyps.len());
            out.push(head.iter().map(|&c| f64::from(c) * LN_10).collect());
            cum = rest;
        }
    }

    /// Scores the hypotheses of `lists` together; leaves their log10 sums in
    /// `self.cum`, in order.
    fn score_group(&mut self, lists: &[NbestList]) {
        self.ids.clear();
        self.hyps.clear();
        self.cursors.clear();
        // Spellings new to the word cache, looked up together once every list
        // is read (their memory accesses overlap).
        let mut new_words: Vec<&[u8]> = Vec::new();
        self.patches.clear();
        for (k, list) in lists.iter().enumerate() {
            // The next list's first hypotheses, which `prepare` does not reach
            // (their structs lie in another allocation).
            if let Some(next) = lists.get(k + 1) {
                for h in next.hyps.iter().take(PREFETCH_HYPS) {
                    crate::format::prefetch_items(std::slice::from_ref(h));
                }
            }
            self.prepare(list, &mut new_words);
        }
        if !new_words.is_empty() {
            self.new_ids.clear();
            self.new_ids.resize(new_words.len(), 0);
            self.model.word_ids(&new_words, &mut self.new_ids);
            for (w, &id) in new_words.iter().zip(&self.new_ids) {
                self.words.resolve(w, id);
            }
            for &(at, k) in &self.patches {
                self.ids[at as usize] = self.new_ids[k as usize];
            }
        }
        self.words.end_new();
        self.cum.clear();
        self.cum.resize(self.hyps.len(), 0.0);
        self.pool.clear();
        self.pool_index.clear();
        self.numbers.clear();
        self.memo.clear();
        self.number(self.model.begin_sentence_state());
        self.walk();
    }

    /// Walks every list's hypotheses in order, the lists taking turns: a list's
    /// turn takes steps found in the memo until one needs a query, which it
    /// prefetches and makes on its next turn, after the other lists' turns
    /// (their work hides the query's memory accesses).
    fn walk(&mut self) {
        // Out of `self` while they walk, so each turn updates its cursor in
        // place: a cursor copied back whole after a turn (one wide load of
        // fields just stored one by one) stalled on store forwarding.
        let mut cursors = std::mem::take(&mut self.cursors);
        while !cursors.is_empty() {
            // A turn inserts at most one key: no growth (and no moved slot)
            // during the round.
            self.memo.reserve(cursors.len());
            let mut k = 0;
            while k < cursors.len() {
                if self.turn(&mut cursors[k]) {
                    k += 1;
                } else {
                    cursors.swap_remove(k);
                }
            }
        }
        self.cursors = cursors;
    }

    /// One turn of a list: makes its query in flight, then takes steps until
    /// one is new (its query is prefetched) or in flight for another list.
    /// False when the list is finished.
    #[inline]
    fn turn(&mut self, c: &mut Cursor) -> bool {
        if c.asked {
            c.asked = false;
            let v = self.query(c);
            if !self.take(c, v) {
                return false;
            }
        }
        loop {
            let word = if c.pos < c.len {
                self.ids[(c.start + c.pos) as usize]
            } else {
                self.eos
            };
            let key = (u64::from(c.at) << 32) | u64::from(word);
            match self.memo.find_or_insert(key, PENDING << 32) {
                (slot, None) => {
                    self.model.prefetch_query(&self.pool[untag(c.at)], word);
                    c.asked = true;
                    c.word = word;
                    (c.slot, c.moves) = (slot as u32, self.memo.moves());
                    return true;
                }
                (_, Some(v)) if v >> 32 == PENDING => return true,
                (_, Some(v)) => {
                    if !self.take(c, v) {
                        return false;
                    }
                }
            }
        }
    }

    /// Takes the step with memo value `v`; moves on to the list's next
    /// hypothesis after a `</s>`. False when the list is finished.
    #[inline(always)]
    fn take(&mut self, c: &mut Cursor, v: u64) -> bool {
        c.at = (v >> 32) as u32;
        c.cum += f32::from_bits(v as u32);
        let path = &mut self.paths[c.list as usize];
        if c.pos < c.len {
            c.pos += 1;
            path[c.pos as usize] = (c.at, c.cum);
            return true;
        }
        self.cum[c.hyp as usize] = c.cum;
        c.hyp += 1;
        if c.hyp == c.end {
            return false;
        }
        let shared;
        (c.start, c.len, shared) = self.hyps[c.hyp as usize];
        // The words shared with the previous hypothesis are not walked again.
        (c.at, c.cum) = path[shared as usize];
        c.pos = shared;
        true
    }

    /// Makes the query `c` asked for, numbers the state reached, and records
    /// the answer in the memo; returns the memo value.
    #[cold]
    fn query(&mut self, c: &Cursor) -> u64 {
        let (at, word) = (c.at, c.word);
        let from = &self.pool[untag(at)];
        let mut to = *from;
        let score = self.model.full_score_prefetched(from, word, &mut to);
        self.stats.queries += 1;
        let next = tag(self.number(to));
        let v = (u64::from(next) << 32) | u64::from(score.log10_prob.to_bits());
        let slot = if c.moves == self.memo.moves() {
            c.slot as usize
        } else {
            let key = (u64::from(at) << 32) | u64::from(word);
            self.memo.find_or_insert(key, v).0
        };
        self.memo.set(slot, v);
        v
    }

    /// The number of `state` in this group, numbering it if new: one probe
    /// whether the state is new or not, of a table of integers when the
    /// model gives states keys. Never [`SKIPPED`].
    #[inline(always)]
    fn number(&mut self, state: M::State) -> u32 {
        if self.pool.len() == SKIPPED as usize {
            // A place no number points to.
            self.pool.push(state);
        }
        let fresh = self.pool.len() as u32;
        match self.model.state_key(&state) {
            Some(key) if key != NO_KEY => {
                self.numbers.reserve(1);
                if let (_, Some(n)) = self.numbers.find_or_insert(key, u64::from(fresh)) {
                    return n as u32;
                }
            }
            _ => match self.pool_index.entry(state) {
                Entry::Occupied(e) => return *e.get(),
                Entry::Vacant(e) => {
                    e.insert(fresh);
                }
            },
        }
        self.pool.push(state);
        fresh
    }

    /// Appends the list's word ids and hypotheses, and a cursor at its first
    /// hypothesis. Spellings the word cache does not know yet are appended to
    /// `new_words` (once each), and their places to `patches`.
    fn prepare<'l>(&mut self, list: &'l NbestList, new_words: &mut Vec<&'l [u8]>) {
        let first_word = self.ids.len();
        let first_hyp = self.hyps.len() as u32;
        let hyps = &list.hyps;
        let mut longest = 0;
        for (i, h) in hyps.iter().enumerate() {
            // Each hypothesis' words are in two allocations (text and ends):
            // ask for those of the hypothesis two ahead while this one is
            // looked up, and for the struct (which says where they are) of
            // the one `PREFETCH_HYPS` ahead.
            if let Some(next) = hyps.get(i + 2) {
                next.words.prefetch();
            }
            if let Some(later) = hyps.get(i + PREFETCH_HYPS..i + PREFETCH_HYPS + 1) {
                crate::format::prefetch_items(later);
            }
            let start = self.ids.len() as u32;
            // Words equal to the previous hypothesis' (the walk starts after
            // them): their ids are not needed.
            let shared = match i.checked_sub(1) {
                Some(p) => shared_words(&hyps[p].words, &h.words),
                None => 0,
            };
            self.ids.resize(self.ids.len() + shared, 0);
            let text = h.words.as_str().as_bytes();
            let ends = h.words.ends();
            let mut from = shared.checked_sub(1).map_or(0, |k| ends[k] as usize + 1);
            for &end in &ends[shared..] {
                let word = &text[from..end as usize];
                let lookup = self.words.lookup_in(text, from, end as usize);
                from = end as usize + 1;
                let id = match lookup {
                    Lookup::Found(id) => id,
                    Lookup::New(k) => {
                        new_words.push(word);
                        self.patches.push((self.ids.len() as u32, k));
                        0
                    }
                    Lookup::Pending(k) => {
                        self.patches.push((self.ids.len() as u32, k));
                        0
                    }
                };
                self.ids.push(id);
            }
            let len = self.ids.len() as u32 - start;
            self.hyps.push((start, len, shared as u32));
            longest = longest.max(len as usize);
        }
        let end = self.hyps.len() as u32;
        let list_no = self.cursors.len();
        if self.paths.len() <= list_no {
            self.paths.push(Vec::new());
        }
        let path = &mut self.paths[list_no];
        path.clear();
        path.resize(longest + 1, (0, 0.0));
        if let Some(&(start, len, _)) = self.hyps.get(first_hyp as usize) {
            self.cursors.push(Cursor {
                hyp: first_hyp,
                end,
                list: list_no as u32,
                start,
                len,
                pos: 0,
                at: 0,
                cum: 0.0,
                asked: false,
                word: 0,
                slot: 0,
                moves: 0,
            });
        }
        self.stats.lists += 1;
        self.stats.hyps += hyps.len() as u64;
        self.stats.words += (self.ids.len() - first_word) as u64;
    }
}

/// The number of leading words `a` and `b` share: their texts are compared
/// as bytes, then their word ends up to the first byte that differs.
#[inline]
fn shared_words(a: &Words, b: &Words) -> usize {
    let m = common_prefix(a.as_str().as_bytes(), b.as_str().as_bytes());
    (a.ends().iter())
        .zip(b.ends())
        .take_while(|&(&x, &y)| x == y && x as usize <= m)
        .count()
}

/// The length of the longest common prefix of `a` and `b`, 8 bytes at a time.
#[inline]
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let load = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let mut i = 0;
    while i + 8 <= n {
        let x = load(a, i) ^ load(b, i);
        if x != 0 {
            return i + (x.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lm::FullScore;
    use crate::rescore::nbest::Hypothesis;
    use rand::{Rng, SeedableRng};

    /// A bigram-like model with a state per word (the last one), keyed or not:
    /// enough states in one group to pass [`SKIPPED`].
    struct LastWord {
        keyed: bool,
    }

    impl LanguageModel for LastWord {
        type State = u32;
        fn order(&self) -> usize {
            2
        }
        fn word_id(&self, word: &[u8]) -> WordId {
            std::str::from_utf8(word).unwrap()[1..].parse().unwrap()
        }
        fn vocab_size(&self) -> usize {
            1 << 20
        }
        fn bos_id(&self) -> WordId {
            1 << 19
        }
        fn eos_id(&self) -> WordId {
            1 << 19 | 1
        }
        fn begin_sentence_state(&self) -> u32 {
            self.bos_id()
        }
        fn null_context_state(&self) -> u32 {
            0
        }
        fn full_score(&self, state: &u32, word: WordId, out: &mut u32) -> FullScore {
            *out = word;
            let mixed = (state.wrapping_mul(0x9E37_79B9) ^ word).wrapping_mul(0x85EB_CA6B);
            FullScore {
                log10_prob: -((mixed >> 8) as f32) / (1 << 22) as f32,
                ngram_length: 2,
            }
        }
        fn state_key(&self, state: &u32) -> Option<u64> {
            self.keyed.then_some(u64::from(*state))
        }
    }

    #[test]
    fn tags_invert_and_the_skipped_number_is_the_pending_one() {
        assert_eq!(TAG_MULTIPLIER.wrapping_mul(TAG_INVERSE), 1);
        assert_eq!(TAG_MULTIPLIER, 0xD517_7577); // as its doc says
        assert_eq!(u64::from(tag(SKIPPED)), PENDING);
        for n in [0, 1, 2, SKIPPED - 1, SKIPPED + 1, 1 << 20, u32::MAX] {
            assert_eq!(untag(tag(n)), n as usize);
            assert_ne!(u64::from(tag(n)), PENDING);
        }
    }

    #[test]
    fn groups_with_more_states_than_the_skipped_number_score_as_word_by_word() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(71);
        let lists: Vec<NbestList> = (0..6)
            .map(|i| {
                let mut list = NbestList::new(&i.to_string());
                for _ in 0..120 {
                    let words: Vec<String> = (0..rng.gen_range(1..12))
                        .map(|_| format!("w{}", rng.gen_range(0..20_000)))
                        .collect();
                    list.hyps.push(Hypothesis::new(&words.join(" "), 0.0));
                }
                list
            })
            .collect();
        for keyed in [true, false] {
            let lm = LastWord { keyed };
            let mut scorer = LmScorer::new(&lm);
            let mut out = Vec::new();
            scorer.score_lists_into(&lists, &mut out);
            assert!(
                scorer.pool.len() > SKIPPED as usize + 500,
                "{}",
                scorer.pool.len()
            );
            for (list, scores) in lists.iter().zip(&out) {
                for (h, &score) in list.hyps.iter().zip(scores) {
                    let ids: Vec<WordId> =
                        h.words.iter().map(|w| lm.word_id(w.as_bytes())).collect();
                    let direct = f64::from(lm.score_sentence(&ids, true, true)) * LN_10;
                    assert_eq!(score, direct, "{:?} {keyed}", h.words);
                }
            }
        }
    }

    #[test]
    fn shared_words_are_the_equal_leading_words() {
        let w = |s: &[&str]| s.iter().collect::<Words>();
        let cases: [(&[&str], &[&str]); 12] = [
            (&["a", "b", "c"], &["a", "b", "d"]),
            (&["ab", "c"], &["abc"]),
            (&["a", "bc"], &["a", "b"]),
            (&["a", "b"], &["a", "b"]),
            (&[], &["a"]),
            (&["abcdefghij", "klm"], &["abcdefghij", "klmn"]),
            (&["a", "b"], &["a", "b", "c"]),
            (&["a b"], &["a", "b"]),
            (&["", "a"], &["a"]),
            (&["", "a"], &["", "a", ""]),
            (&["0123456789abcdef", "x"], &["0123456789abcdef", "y"]),
            (&["0123456789abcdefg"], &["0123456789abcdefh"]),
        ];
        for (a, b) in cases {
            let expected = a.iter().zip(b).take_while(|(x, y)| x == y).count();
            assert_eq!(shared_words(&w(a), &w(b)), expected, "{a:?} {b:?}");
            assert_eq!(shared_words(&w(b), &w(a)), expected, "{b:?} {a:?}");
        }
    }

    #[test]
    fn common_prefix_is_byte_exact() {
        let a: Vec<u8> = (0..40).collect();
        for n in 0..=40 {
            for cut in 0..n {
                let mut b = a[..n].to_vec();
                b[cut] ^= 0x80;
                assert_eq!(common_prefix(&a[..n], &b), cut);
            }
            assert_eq!(common_prefix(&a, &a[..n]), n);
        }
    }
}
