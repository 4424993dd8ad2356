//! The reading side of [`compile_streaming`](super::compile_streaming) and
//! [`compile_completing`](super::compile_completing): a thread that tokenizes
//! ARPA text, parses its numbers and maps its words to ids, handing batches of
//! n-grams to the thread that builds the tables (a [`Sink`]), so the two
//! overlap. Most of a word's id lookup is waiting for its vocabulary slot when
//! the vocabulary is larger than the cache, so the reading thread then
//! prefetches the slots of a line a few lines ahead ([`PREFETCH_INDEX`]).

use std::io::{self, BufRead};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread;

use super::geometry::check_counts;
use super::{BuildError, BuildOptions};
use crate::arpa::ArpaReader;
use crate::vocab::{Vocab, WordId};
use crate::MAX_ORDER;

/// Why a pass over the input stopped early.
pub(super) enum Stop {
    /// The input needs another path (completion, or an error it reports).
    Fallback,
    /// An n-gram's context or suffix is missing: the model needs KenLM's blanks.
    Blanks,
    /// Writing the output failed.
    Io(io::Error),
    /// No path can build the model (one too large for the format, or a
    /// table whose bytes cannot be allocated): the error, reported at once
    /// rather than after reading the input into memory to find it again.
    Refuse(BuildError),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        Stop::Io(e)
    }
}

impl From<BuildError> for Stop {
    fn from(e: BuildError) -> Stop {
        Stop::Refuse(e)
    }
}

/// `None` means [`Stop::Fallback`].
pub(super) trait Need<T> {
    fn need(self) -> Result<T, Stop>;
}

impl<T> Need<T> for Option<T> {
    fn need(self) -> Result<T, Stop> {
        self.ok_or(Stop::Fallback)
    }
}

/// What a builder does with the n-grams the reading thread sends: unigrams
/// (with the ids they were given), then the vocabulary, then higher orders in
/// file order, then `finish` if the whole input was read without error.
pub(super) trait Sink {
    /// What `finish` makes.
    type Done;
    fn unigram(&mut self, id: WordId, prob: f32, backoff: Option<f32>);
    fn set_vocab(&mut self, vocab: Arc<Vocab>);
    /// An n-gram of order >= 2 (`ids` its words).
    fn ngram(&mut self, ids: &[WordId], prob: f32, backoff: f32) -> Result<(), Stop>;
    /// Told before the n-gram before it is given: an n-gram of order >= 2
    /// that comes next, whose memory the sink may start fetching.
    fn prefetch(&self, _ids: &[WordId]) {}
    fn finish(self) -> Result<Self::Done, Stop>;
}

/// [`run`] for a builder's public entry: `opts` checked first, and the
/// header's counts before any n-gram is read; `None` when the input needs
/// another path (blanks, or an error for
/// [`NGramSet`](crate::arpa::NGramSet) to report); I/O errors as
/// [`BuildError::Write`]; a model no path can build as its error.
pub(super) fn build<R: BufRead + Send, S: Sink>(
    input: R,
    opts: BuildOptions,
    start: impl FnOnce(&[u64]) -> Result<S, Stop>,
    progress: impl FnMut(u64),
) -> Result<Option<S::Done>, BuildError> {
    super::check_options(opts)?;
    let start = |counts: &[u64]| {
        check_counts(counts, opts, true)?;
        start(counts)
    };
    match run(input, start, progress) {
        Ok(done) => Ok(Some(done)),
        Err(Stop::Fallback | Stop::Blanks) => Ok(None),
        Err(Stop::Io(e)) => Err(BuildError::Write(e)),
        Err(Stop::Refuse(e)) => Err(e),
    }
}

/// Reads `input` on a second thread and hands its n-grams to the sink that
/// `start` makes from the header's counts, calling `progress(ngrams_read)`
/// every 65,536 n-grams. [`Stop::Fallback`] on any error in the input.
fn run<R: BufRead + Send, S: Sink>(
    input: R,
    start: impl FnOnce(&[u64]) -> Result<S, Stop>,
    progress: impl FnMut(u64),
) -> Result<S::Done, Stop> {
    let (tx, rx) = sync_channel(16);
    let (spent_tx, spent_rx) = channel();
    thread::scope(|scope| {
        scope.spawn(move || read(input, &tx, &spent_rx));
        // `consume` drops the receiver when it returns, which ends the reading
        // thread if it is still sending.
        consume(rx, &spent_tx, start, progress)
    })
}

fn consume<S: Sink>(
    rx: Receiver<Msg>,
    spent: &Sender<Vec<Item>>,
    start: impl FnOnce(&[u64]) -> Result<S, Stop>,
    mut progress: impl FnMut(u64),
) -> Result<S::Done, Stop> {
    let Ok(Msg::Counts(counts)) = rx.recv() else {
        return Err(Stop::Fallback);
    };
    let mut sink = start(&counts)?;
    let mut read = 0u64;
    loop {
        match rx.recv() {
            Ok(Msg::Batch(mut items)) => {
                for (i, g) in items.iter().enumerate() {
                    if let Some(next) = items.get(i + 1).filter(|g| g.order > 1) {
                        sink.prefetch(&next.ids[..usize::from(next.order)]);
                    }
                    read += 1;
                    if read.is_multiple_of(65536) {
                        progress(read);
                    }
                    let n = usize::from(g.order);
                    if n == 1 {
                        sink.unigram(g.ids[0], g.prob, g.backoff);
                    } else {
                        sink.ngram(&g.ids[..n], g.prob, g.backoff.unwrap_or(0.0))?;
                    }
                }
                // Back to the reading thread to be filled again (see `BATCH`).
                items.clear();
                let _ = spent.send(items);
            }
            Ok(Msg::Vocab(vocab)) => sink.set_vocab(vocab),
            Ok(Msg::End(true)) => return sink.finish(),
            // An error, or a reading thread that died.
            _ => return Err(Stop::Fallback),
        }
    }
}

/// One n-gram with its words as ids (for a unigram, the id it was given).
#[derive(Clone, Copy, Debug)]
struct Item {
    order: u8,
    ids: [WordId; MAX_ORDER],
    prob: f32,
    backoff: Option<f32>,
}

/// What the reading thread sends, in this order: the header's counts, batches
/// of unigrams, the finished vocabulary, batches of higher orders, and `End`.
enum Msg {
    Counts(Vec<u64>),
    Batch(Vec<Item>),
    Vocab(Arc<Vocab>),
    /// Whether the whole input was read without error.
    End(bool),
}

/// n-grams per batch.
///
/// The builder sends each batch it has consumed back to the reading thread,
/// which fills it again instead of allocating another. Freeing each batch on
/// the builder's thread (it was allocated in the reading thread's malloc
/// arena) had glibc trim that arena again and again (113 of an en4 build's
/// 133 `madvise` calls), and each trim (`MADV_DONTNEED`) flushes the TLB of
/// every core the process runs on, a cross-core interrupt in a VM: `perf`
/// put 8.7% of one en4 build's CPU samples there on a 2-vCPU Ice Lake VM
/// (over 6 alternating builds later the CPU times of the two were within
/// that VM's noise).
const BATCH: usize = 1024;

/// Reads `input` and sends its n-grams to `tx`; stops early on an error (any
/// input that the in-memory path must read instead: a syntax error, a word
/// missing from the unigrams, a repeated unigram) or when the receiver is gone.
fn read(input: impl BufRead, tx: &SyncSender<Msg>, spent: &Receiver<Vec<Item>>) {
    let ok = send_all(input, tx, spent).is_some();
    let _ = tx.send(Msg::End(ok));
}

fn send_all(input: impl BufRead, tx: &SyncSender<Msg>, spent: &Receiver<Vec<Item>>) -> Option<()> {
    let mut reader = ArpaReader::new(input, "").ok()?;
    tx.send(Msg::Counts(reader.counts().to_vec())).ok()?;
    let mut vocab = Vocab::new();
    let mut shared: Option<Arc<Vocab>> = None;
    let mut recent = RecentWords::default();
    // Whether to prefetch the words' vocabulary slots (see `PREFETCH_INDEX`).
    let mut prefetch = false;
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(g) = reader.next_ngram().ok()? {
        let order = g.order();
        let mut item = Item {
            order: order as u8,
            ids: [0; MAX_ORDER],
            prob: g.prob,
            backoff: g.backoff,
        };
        if g.order() == 1 {
            item.ids[0] = vocab.insert(g.word(0)).ok()?;
        } else {
            let vocab = match &shared {
                Some(v) => v,
                None => {
                    // The unigrams are complete: the builder gets the vocabulary.
                    tx.send(Msg::Batch(std::mem::take(&mut batch))).ok()?;
                    vocab.shrink_to_fit();
                    let v = Arc::new(std::mem::take(&mut vocab));
                    tx.send(Msg::Vocab(Arc::clone(&v))).ok()?;
                    prefetch = v.index_bytes() >= PREFETCH_INDEX;
                    shared.insert(v)
                }
            };
            for (k, w) in g.words().enumerate() {
                item.ids[k] = recent.id(vocab, k, w)?;
            }
        }
        // The lookups of a line a few lines on: their vocabulary slots are
        // fetched while the lines before it are read.
        if let (true, Some(v), Some(line)) = (prefetch, &shared, reader.line_ahead(AHEAD)) {
            recent.prefetch(v, line, order);
        }
        batch.push(item);
        if batch.len() == BATCH {
            let empty = spent
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(BATCH));
            let full = std::mem::replace(&mut batch, empty);
            tx.send(Msg::Batch(full)).ok()?;
        }
    }
    tx.send(Msg::Batch(batch)).ok()?;
    if shared.is_none() {
        vocab.shrink_to_fit();
        tx.send(Msg::Vocab(Arc::new(vocab))).ok()?;
    }
    Some(())
}

/// How many lines ahead of the one read the reading thread prefetches the
/// vocabulary slots of the words of the higher orders.
const AHEAD: usize = 3;

/// The reading thread prefetches vocabulary slots when the vocabulary's index
/// takes this many bytes or more (about a processor's last-level cache), so
/// that its lookups would mostly wait for memory. Measured on the generated
/// 50M-n-gram model (a 54 MB index), 2 cores: builds about 0.96x as long;
/// on the shared 4-gram (5.4 MB), prefetching made them 1.03-1.07x as long.
const PREFETCH_INDEX: usize = 16 << 20;

/// The words of the last n-gram and their ids, by position. `lmplz` sorts each
/// order by suffix, so most words repeat the last n-gram's word at the same
/// position and need no vocabulary lookup.
#[derive(Default)]
struct RecentWords {
    words: [Vec<u8>; MAX_ORDER],
    ids: [WordId; MAX_ORDER],
}

impl RecentWords {
    /// The id of `word` at position `k`; `None` if it is not in `vocab`.
    #[inline]
    fn id(&mut self, vocab: &Vocab, k: usize, word: &[u8]) -> Option<WordId> {
        if self.words[k] != word {
            self.ids[k] = vocab.get(word)?;
            self.words[k].clear();
            self.words[k].extend_from_slice(word);
        }
        Some(self.ids[k])
    }

    /// Prefetches the vocabulary slots of the words of `line` (an n-gram line
    /// of order `n`, the order read last; any other line is harmless, as a
    /// prefetch is only a hint) that differ from the last n-gram's at their
    /// position: the lookups [`RecentWords::id`] will make.
    #[inline]
    fn prefetch(&self, vocab: &Vocab, line: &[u8], n: usize) {
        let fields = line
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|f| !f.is_empty());
        for (k, word) in fields.skip(1).take(n.min(MAX_ORDER)).enumerate() {
            if self.words[k] != word {
                vocab.prefetch(word);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetching_any_line_changes_nothing() {
        let mut vocab = Vocab::new();
        for w in ["a", "b", "long-word-of-many-bytes"] {
            vocab.insert(w.as_bytes()).unwrap();
        }
        let mut recent = RecentWords::default();
        assert_eq!(recent.id(&vocab, 1, b"b"), Some(2));
        let lines: [&[u8]; 7] = [
            b"",
            b"-1.5\ta b\t-0.5",
            b"-1\ta\tb\tlong-word-of-many-bytes\tx\ty\tz\tw\tv\tu",
            b"\\end\\",
            b"   ",
            b"\xff\xfe \x00",
            b"-2 \t zz \t",
        ];
        for line in lines {
            for n in [1, 2, 3, MAX_ORDER, MAX_ORDER + 3] {
                recent.prefetch(&vocab, line, n);
            }
        }
        assert_eq!(recent.id(&vocab, 1, b"b"), Some(2));
        assert_eq!(recent.id(&vocab, 0, b"long-word-of-many-bytes"), Some(3));
        assert_eq!(recent.id(&vocab, 0, b"c"), None);
    }
}
