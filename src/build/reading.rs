//! The reading side of [`compile_streaming`](super::compile_streaming) and
//! [`compile_completing`](super::compile_completing): a thread that tokenizes
//! ARPA text, parses its numbers and maps its words to ids, handing batches of
//! n-grams to the thread that builds the tables (a [`Sink`]), so the two
//! overlap. Most of a word's id lookup is waiting for its vocabulary slot when
//! the vocabulary is larger than the cache, so the reading thread then
//! prefetches the slots of a line a few lines ahead ([`PREFETCH_INDEX`]).
//!
//! The reading thread checks what [`NGramSet`](crate::arpa::NGramSet) checks line by line except
//! for duplicate n-grams above the unigrams: the syntax (an [`ArpaReader`]),
//! repeated unigrams and words missing from the unigrams, with the same
//! errors. It stops at the first and hands it over. The builder finds
//! duplicates when it places an order, so for the error to be
//! [`NGramSet`](crate::arpa::NGramSet)'s first it checks the order it is reading too
//! ([`Sink::distinct`]); if it cannot, the input goes to [`NGramSet`](crate::arpa::NGramSet).
//! A model without `<s>` or `</s>` is built to its end (placing every
//! order, which finds any duplicate) before that is reported, as
//! [`NGramSet`](crate::arpa::NGramSet) reports it after every line.

use std::io::{self, BufRead};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread;

use super::geometry::check_counts;
use super::{BuildError, BuildOptions};
use crate::arpa::{missing_special, ArpaError, ArpaErrorKind, ArpaReader};
use crate::vocab::{Vocab, WordId};
use crate::MAX_ORDER;

/// Why a pass over the input stopped early.
pub(super) enum Stop {
    /// The input needs another path: [`NGramSet`](crate::arpa::NGramSet), which reports its error
    /// (one a builder cannot report as [`NGramSet`](crate::arpa::NGramSet) would).
    Fallback,
    /// An error in the input, the first [`NGramSet`](crate::arpa::NGramSet) would report.
    Input(ArpaError),
    /// The input was read without error and has no n-gram twice, but lacks
    /// this word (`<s>` or `</s>`) among its unigrams.
    Missing(&'static str),
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
    /// Whether the n-grams given so far hold no n-gram twice, checking any
    /// the sink has not checked yet (it is dropped after); `false` when it
    /// cannot tell. Asked when the input has an error: it is reported as
    /// it is only if no duplicate came before it.
    fn distinct(&mut self) -> bool;
    fn finish(self) -> Result<Self::Done, Stop>;
}

/// How a builder's pass ended, when no error is reported.
pub(super) enum Outcome<T> {
    /// The model, built.
    Built(T),
    /// The model needs KenLM's blanks: the completing builder can build it.
    Blanks,
    /// The input needs [`NGramSet`](crate::arpa::NGramSet): an error the pass cannot report as
    /// [`NGramSet`](crate::arpa::NGramSet) does (or, with no name for the input, any error).
    InMemory,
}

impl<T> Outcome<T> {
    /// The model, if built.
    pub(super) fn built(self) -> Option<T> {
        match self {
            Outcome::Built(done) => Some(done),
            Outcome::Blanks | Outcome::InMemory => None,
        }
    }

    /// The model, if built, made `f(model)`.
    pub(super) fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Built(done) => Outcome::Built(f(done)),
            Outcome::Blanks => Outcome::Blanks,
            Outcome::InMemory => Outcome::InMemory,
        }
    }
}

/// [`run`] for a builder's entry: `opts` checked first, and the header's
/// counts before any n-gram is read; I/O errors as [`BuildError::Write`]; a
/// model no path can build as its error. With `source` (the input's name),
/// an error in the input that is the one [`NGramSet`](crate::arpa::NGramSet) reports first is
/// [`BuildError::Arpa`], naming `source`; without, it is
/// [`Outcome::InMemory`], as is any other error.
pub(super) fn build<R: BufRead + Send, S: Sink>(
    input: R,
    opts: BuildOptions,
    source: Option<&str>,
    start: impl FnOnce(&[u64]) -> Result<S, Stop>,
    progress: impl FnMut(u64),
) -> Result<Outcome<S::Done>, BuildError> {
    super::check_options(opts)?;
    let start = |counts: &[u64]| {
        check_counts(counts, opts, true)?;
        start(counts)
    };
    let error = match run(input, source.unwrap_or(""), start, progress) {
        Ok(done) => return Ok(Outcome::Built(done)),
        Err(Stop::Blanks) => return Ok(Outcome::Blanks),
        Err(Stop::Fallback) => return Ok(Outcome::InMemory),
        Err(Stop::Io(e)) => return Err(BuildError::Write(e)),
        Err(Stop::Refuse(e)) => return Err(e),
        Err(Stop::Input(e)) => e,
        Err(Stop::Missing(word)) => missing_special(source.unwrap_or(""), word),
    };
    match source {
        Some(_) => Err(BuildError::Arpa(error)),
        None => Ok(Outcome::InMemory),
    }
}

/// Reads `input` on a second thread and hands its n-grams to the sink that
/// `start` makes from the header's counts, calling `progress(ngrams_read)`
/// every 65,536 n-grams. An error in the input (named `source`) is
/// [`Stop::Input`] when no duplicate n-gram came before it, else
/// [`Stop::Fallback`].
fn run<R: BufRead + Send, S: Sink>(
    input: R,
    source: &str,
    start: impl FnOnce(&[u64]) -> Result<S, Stop>,
    progress: impl FnMut(u64),
) -> Result<S::Done, Stop> {
    let (tx, rx) = sync_channel(16);
    let (spent_tx, spent_rx) = channel();
    thread::scope(|scope| {
        scope.spawn(move || read(input, source, &tx, &spent_rx));
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
    let counts = match rx.recv() {
        Ok(Msg::Counts(counts)) => counts,
        // An error in the header: no n-gram was read.
        Ok(Msg::End(Some(e))) => return Err(Stop::Input(e)),
        _ => return Err(Stop::Fallback),
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
            Ok(Msg::End(None)) => return sink.finish(),
            // NGramSet's first error only if no duplicate came before it.
            Ok(Msg::End(Some(e))) if sink.distinct() => return Err(Stop::Input(e)),
            // A duplicate first, or a reading thread that died.
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
    /// The input's first error (as [`NGramSet`](crate::arpa::NGramSet) gives it, ignoring
    /// duplicate n-grams above the unigrams), or `None` when the whole
    /// input was read without one.
    End(Option<ArpaError>),
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

/// Why the reading thread stopped early.
enum Halt {
    /// The receiver is gone.
    Gone,
    /// An error in the input (see [`Msg::End`]).
    Input(ArpaError),
}

impl From<ArpaError> for Halt {
    fn from(e: ArpaError) -> Halt {
        Halt::Input(e)
    }
}

/// Sends `msg`; [`Halt::Gone`] when the receiver is gone.
fn send(tx: &SyncSender<Msg>, msg: Msg) -> Result<(), Halt> {
    tx.send(msg).map_err(|_| Halt::Gone)
}

/// Reads `input` (named `source` in errors) and sends its n-grams to `tx`,
/// then `End`; stops early on an error in the input (a syntax error, a
/// repeated unigram, a word missing from the unigrams: see [`Msg::End`]),
/// sent as `End`, or when the receiver is gone.
fn read(input: impl BufRead, source: &str, tx: &SyncSender<Msg>, spent: &Receiver<Vec<Item>>) {
    let mut batch = Vec::with_capacity(BATCH);
    let error = match send_all(input, source, tx, spent, &mut batch) {
        Ok(()) => None,
        // The n-grams before the error go first (one may be a duplicate);
        // none before the counts.
        Err(Halt::Input(e)) if batch.is_empty() => Some(e),
        Err(Halt::Input(e)) if tx.send(Msg::Batch(std::mem::take(&mut batch))).is_ok() => Some(e),
        Err(_) => return,
    };
    let _ = tx.send(Msg::End(error));
}

fn send_all(
    input: impl BufRead,
    source: &str,
    tx: &SyncSender<Msg>,
    spent: &Receiver<Vec<Item>>,
    batch: &mut Vec<Item>,
) -> Result<(), Halt> {
    let mut reader = ArpaReader::new(input, source)?;
    send(tx, Msg::Counts(reader.counts().to_vec()))?;
    let mut vocab = Vocab::new();
    // The line of each unigram, by id (0 for `<unk>` until read), for the
    // error on a repeated one.
    let mut lines: Vec<u32> = vec![0];
    let mut shared: Option<Arc<Vocab>> = None;
    let mut recent = RecentWords::default();
    // Whether to prefetch the words' vocabulary slots (see `PREFETCH_INDEX`).
    let mut prefetch = false;
    while let Some(g) = reader.next_ngram()? {
        let order = g.order();
        let mut item = Item {
            order: order as u8,
            ids: [0; MAX_ORDER],
            prob: g.prob,
            backoff: g.backoff,
        };
        // As NGramSet keeps it.
        let line = u32::try_from(g.line).unwrap_or(u32::MAX);
        let err = |kind| Halt::Input(ArpaError::new(source, g.line, kind));
        if g.order() == 1 {
            let word = g.word(0);
            item.ids[0] = vocab.insert(word).map_err(|id| {
                err(ArpaErrorKind::DuplicateNGram {
                    ngram: String::from_utf8_lossy(word).into_owned(),
                    first_line: u64::from(lines[id as usize]),
                })
            })?;
            match item.ids[0] {
                0 => lines[0] = line,
                _ => lines.push(line),
            }
        } else {
            let vocab = match &shared {
                Some(v) => v,
                None => {
                    // The unigrams are complete: the builder gets the vocabulary.
                    send(tx, Msg::Batch(std::mem::take(batch)))?;
                    vocab.shrink_to_fit();
                    let v = Arc::new(std::mem::take(&mut vocab));
                    send(tx, Msg::Vocab(Arc::clone(&v)))?;
                    prefetch = v.index_bytes() >= PREFETCH_INDEX;
                    shared.insert(v)
                }
            };
            for (k, w) in g.words().enumerate() {
                item.ids[k] = recent.id(vocab, k, w).ok_or_else(|| {
                    err(ArpaErrorKind::UnknownWord {
                        word: String::from_utf8_lossy(w).into_owned(),
                    })
                })?;
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
            let full = std::mem::replace(batch, empty);
            send(tx, Msg::Batch(full))?;
        }
    }
    send(tx, Msg::Batch(std::mem::take(batch)))?;
    if shared.is_none() {
        vocab.shrink_to_fit();
        send(tx, Msg::Vocab(Arc::new(vocab)))?;
    }
    Ok(())
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
