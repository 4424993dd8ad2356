//! Work done on a second thread beside the builder's own, for the stretches
//! where the reading thread has nothing to give it: the streaming builder
//! places an order while it writes the order below, the completing builder
//! lists its hand-over and makes its tables once the file is read. Each
//! helper does the work on the calling thread instead when no thread can be
//! started.

use std::panic::resume_unwind;
use std::sync::mpsc::sync_channel;
use std::sync::{Mutex, PoisonError};
use std::thread;

/// Items listed at a time by [`for_each_listed_beside`].
const CHUNK: usize = 8192;

/// Runs `side` on a thread of its own while `main` runs here (both here,
/// `side` after `main`, when no thread can be started); returns their
/// results (`side`'s is there unless its thread died).
pub(super) fn beside<S: Send, M>(
    side: impl FnOnce() -> S + Send,
    main: impl FnOnce() -> M,
) -> (Option<S>, M) {
    let job = Mutex::new(Some(side));
    let run = || {
        let side = job.lock().unwrap_or_else(PoisonError::into_inner).take();
        side.map(|side| side())
    };
    thread::scope(|scope| {
        let started = thread::Builder::new().spawn_scoped(scope, run).ok();
        let main = main();
        let side = started.and_then(|h| h.join().unwrap_or_else(|e| resume_unwind(e)));
        // If no thread could be started, the job is still to do.
        (side.or_else(run), main)
    })
}

/// Calls `f` with every item of `items` in order, the items listed (made)
/// on a thread of their own a chunk at a time meanwhile; stops at `f`'s
/// first error.
pub(super) fn for_each_listed_beside<T: Send, E>(
    items: impl Iterator<Item = T> + Send,
    mut f: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    let items = Mutex::new(Some(items));
    let take = || items.lock().unwrap_or_else(PoisonError::into_inner).take();
    thread::scope(|scope| {
        // Two chunks ahead at most.
        let (tx, rx) = sync_channel(2);
        let list = move || {
            let mut items = take().into_iter().flatten();
            loop {
                let chunk: Vec<T> = items.by_ref().take(CHUNK).collect();
                // An empty chunk ends the list; a send fails once `f` failed.
                if chunk.is_empty() || tx.send(chunk).is_err() {
                    return;
                }
            }
        };
        let listing = thread::Builder::new().spawn_scoped(scope, list);
        if listing.is_ok() {
            rx.into_iter().flatten().try_for_each(&mut f)
        } else {
            take().into_iter().flatten().try_for_each(f)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_run_and_give_their_results() {
        let (side, main) = beside(|| (0..1000u64).sum::<u64>(), || 7);
        assert_eq!((side, main), (Some(499_500), 7));
    }

    /// Every item comes in order, across chunks; an error stops the list.
    #[test]
    fn listed_items_come_in_order_until_an_error() {
        for n in [0, 1, CHUNK, 3 * CHUNK + 5] {
            let mut seen = Vec::new();
            let done: Result<(), ()> = for_each_listed_beside(0..n, |i| {
                seen.push(i);
                Ok(())
            });
            assert!(done.is_ok());
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
        }
        let mut seen = 0;
        let done = for_each_listed_beside(0..10 * CHUNK, |i| {
            seen += 1;
            if i == CHUNK + 3 {
                return Err(i);
            }
            Ok(())
        });
        assert_eq!((done, seen), (Err(CHUNK + 3), CHUNK + 4));
    }
}
