//! The reading side of [`compile_streaming`](super::compile_streaming): a
//! thread that tokenizes ARPA text, parses its numbers and maps its words to
//! ids, handing batches of n-grams to the thread that builds the tables, so the
//! two overlap.

use std::io::BufRead;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;

use crate::arpa::ArpaReader;
use crate::vocab::{Vocab, WordId};
use crate::MAX_ORDER;

/// One n-gram with its words as ids (for a unigram, the id it was given).
#[derive(Clone, Copy, Debug)]
pub(super) struct Item {
    pub order: u8,
    pub ids: [WordId; MAX_ORDER],
    pub prob: f32,
    pub backoff: Option<f32>,
}

/// What the reading thread sends, in this order: the header's counts, batches
/// of unigrams, the finished vocabulary, batches of higher orders, and `End`.
pub(super) enum Msg {
    Counts(Vec<u64>),
    Batch(Vec<Item>),
    Vocab(Arc<Vocab>),
    /// Whether the whole input was read without error.
    End(bool),
}

/// n-grams per batch.
const BATCH: usize = 1024;

/// Reads `input` and sends its n-grams to `tx`; stops early on an error (any
/// input that the in-memory path must read instead: a syntax error, a word
/// missing from the unigrams, a repeated unigram) or when the receiver is gone.
pub(super) fn read(input: impl BufRead, tx: &SyncSender<Msg>) {
    let ok = send_all(input, tx).is_some();
    let _ = tx.send(Msg::End(ok));
}

fn send_all(input: impl BufRead, tx: &SyncSender<Msg>) -> Option<()> {
    let mut reader = ArpaReader::new(input, "").ok()?;
    tx.send(Msg::Counts(reader.counts().to_vec())).ok()?;
    let mut vocab = Vocab::new();
    let mut shared: Option<Arc<Vocab>> = None;
    let mut recent = RecentWords::default();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(g) = reader.next_ngram().ok()? {
        let mut item = Item {
            order: g.order() as u8,
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
                    let v = Arc::new(std::mem::take(&mut vocab));
                    tx.send(Msg::Vocab(Arc::clone(&v))).ok()?;
                    shared.insert(v)
                }
            };
            for (k, w) in g.words().enumerate() {
                item.ids[k] = recent.id(vocab, k, w)?;
            }
        }
        batch.push(item);
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            tx.send(Msg::Batch(full)).ok()?;
        }
    }
    tx.send(Msg::Batch(batch)).ok()?;
    if shared.is_none() {
        tx.send(Msg::Vocab(Arc::new(vocab))).ok()?;
    }
    Some(())
}

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
}
