//! Placing and writing the orders of a completed model (see
//! [`compile_completing`](super::compile_completing)), from order 2 up: an
//! order's keys need the slots of the order below.
//!
//! An order's records become keyed copies (21 bytes, 12 for the highest
//! order), its table giving its memory back as it goes (`OrderTable::drain`),
//! so the two take about the larger of their sizes, not both; the copies are
//! sorted, placed and written, then dropped. The orders below the highest are
//! keyed one at a time, once the order below is written: keying one while the
//! one below is written (on another thread) held both orders' copies at once
//! (up to 266 MB against 234 MB for the generated 10M-n-gram model of
//! `examples/gen_arpa.rs`, before the tables gave their memory back). The
//! highest order, whose records come from a file and whose copies are half the
//! size, is keyed while the order below is written.

use std::io::{self, Seek, Write};
use std::panic::resume_unwind;
use std::sync::Mutex;
use std::thread;

use rayon::slice::ParallelSliceMut;

use super::complete::{EXTENDS, LEFT};
use super::order_table::OrderTable;
use super::reading::{Need, Stop};
use super::spill::TopSpill;
use super::{BuildOptions, Coder, Geometry, Placed, TableBuild};
use crate::format::{RawLayout, SectionWriter};

/// One order's n-grams by id: with their flags below the highest order; the
/// highest order's kept aside until it is placed.
pub(super) enum Ngrams {
    Lower(OrderTable),
    Top(TopSpill),
}

/// An n-gram below the highest order by hashed key, with what its slot
/// needs, so that a table is written in one sequential pass (21 bytes,
/// packed: an order's copies and the next order's table are held at once).
#[derive(Clone, Copy)]
#[repr(C, packed)]
struct Keyed {
    key: u64,
    prob: f32,
    backoff: f32,
    id: u32,
    flags: u8,
}

/// An n-gram of the highest order by hashed key (12 bytes: no backoff, no
/// flags, and no id, as no order above needs its slot).
#[derive(Clone, Copy)]
#[repr(C, packed)]
struct TopKeyed {
    key: u64,
    prob: f32,
}

/// An order's n-grams by hashed key.
enum KeyedOrder {
    Lower(Vec<Keyed>),
    Top(Vec<TopKeyed>),
}

impl KeyedOrder {
    fn len(&self) -> usize {
        match self {
            KeyedOrder::Lower(k) => k.len(),
            KeyedOrder::Top(k) => k.len(),
        }
    }

    fn key(&self, rank: usize) -> u64 {
        match self {
            KeyedOrder::Lower(k) => k[rank].key,
            KeyedOrder::Top(k) => k[rank].key,
        }
    }

    fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.len()).map(|rank| self.key(rank))
    }

    /// `(prob, backoff, flags)` of the n-gram at `rank`.
    fn weights(&self, rank: usize) -> (f32, f32, u8) {
        match self {
            KeyedOrder::Lower(k) => (k[rank].prob, k[rank].backoff, k[rank].flags),
            KeyedOrder::Top(k) => (k[rank].prob, 0.0, 0),
        }
    }

    /// The probabilities, and the backoffs of the nodes (n-grams that extend).
    fn weight_values(&self) -> (Vec<f32>, Vec<f32>) {
        match self {
            KeyedOrder::Lower(k) => (
                k.iter().map(|k| k.prob).collect(),
                k.iter()
                    .filter(|k| k.flags & EXTENDS != 0)
                    .map(|k| k.backoff)
                    .collect(),
            ),
            KeyedOrder::Top(k) => (k.iter().map(|k| k.prob).collect(), Vec::new()),
        }
    }

    fn sort(&mut self) {
        match self {
            KeyedOrder::Lower(k) => k.par_sort_unstable_by_key(|k| k.key),
            KeyedOrder::Top(k) => k.par_sort_unstable_by_key(|k| k.key),
        }
    }
}

/// An order keyed, sorted and placed, ready to be written.
struct Ready {
    n: usize,
    geometry: Geometry,
    placed: Placed,
    /// The n-grams in key order.
    keyed: KeyedOrder,
    /// The coders of the probabilities and the nodes' backoffs.
    coders: [Coder; 2],
    /// The slot of each n-gram by id (orders below the highest).
    slots: Vec<u32>,
}

/// What every order shares.
#[derive(Clone, Copy)]
struct Model {
    order: usize,
    vocab_size: usize,
    opts: BuildOptions,
}

/// Places and writes the tables of orders 2..=N (`orders[n - 2]`) to `out`,
/// dropping each order once written; returns their layouts. `None` on a
/// duplicate n-gram of the highest order or a model too large.
pub(super) fn write_tables<O: Write + Seek>(
    orders: Vec<Ngrams>,
    vocab_size: usize,
    opts: BuildOptions,
    out: &mut SectionWriter<O>,
) -> Result<Vec<RawLayout>, Stop> {
    let model = Model {
        order: orders.len() + 1,
        vocab_size,
        opts,
    };
    let mut layouts = Vec::with_capacity(orders.len());
    let mut orders = orders.into_iter().zip(2..);
    let Some((first, n)) = orders.next() else {
        return Ok(layouts);
    };
    let mut ready = prepare(model, n, first, None, vocab_size as u64)?;
    loop {
        let slots = std::mem::take(&mut ready.slots);
        let ctx_ids = ready.placed.num_slots;
        let next = orders.next();
        // The highest order is keyed while the order below is written (see
        // the module docs); a lower order once that one is written.
        let overlap = matches!(next, Some((Ngrams::Top(_), _)));
        let job = Mutex::new(next.map(|(ngrams, n)| (ngrams, n, slots)));
        let prepare_job = || {
            let (ngrams, n, slots) = job.lock().ok()?.take()?;
            Some(prepare(model, n, ngrams, Some(slots), ctx_ids))
        };
        let (layout, prepared) = if overlap {
            thread::scope(|scope| {
                let started = thread::Builder::new().spawn_scoped(scope, prepare_job).ok();
                let layout = write(model, ready, out);
                let prepared = started.and_then(|h| h.join().unwrap_or_else(|e| resume_unwind(e)));
                // If no thread could be started, the job is still to do.
                (layout, prepared.or_else(prepare_job))
            })
        } else {
            (write(model, ready, out), prepare_job())
        };
        layouts.push(layout?);
        match prepared {
            Some(next) => ready = next?,
            None => return Ok(layouts),
        }
    }
}

/// Keys order `n`'s n-grams (their contexts' slots in `ctx_slots`, or word
/// ids for bigrams; `ctx_ids` of them), sorts and places them, and builds the
/// codebooks of quantized weights. [`Stop::Fallback`] on a duplicate n-gram
/// (only the highest order's are left to find) or a model too large.
fn prepare(
    model: Model,
    n: usize,
    ngrams: Ngrams,
    ctx_slots: Option<Vec<u32>>,
    ctx_ids: u64,
) -> Result<Ready, Stop> {
    let len = match &ngrams {
        Ngrams::Lower(table) => table.len(),
        Ngrams::Top(spill) => spill.len(),
    };
    let geometry = Geometry::new(
        n,
        len,
        ctx_ids,
        model.vocab_size,
        n == model.order,
        model.opts,
    )
    .ok()
    .need()?;
    let ctx_slot = |c: u32| ctx_slots.as_ref().map_or(c, |s| s[c as usize]);
    let key = |ctx: u32, word: u32| geometry.key(ctx_slot(ctx), word);
    let (mut keyed, id_space) = match ngrams {
        Ngrams::Lower(table) => {
            let id_space = table.id_space();
            // Exactly sized: collecting would grow by doubling.
            let mut keyed = Vec::with_capacity(len);
            table.drain(|id, r, flags| {
                let (key, prob, backoff) = (key(r.ctx, r.word), r.prob, r.backoff);
                keyed.push(Keyed {
                    key,
                    prob,
                    backoff,
                    id,
                    flags,
                });
            });
            (KeyedOrder::Lower(keyed), id_space)
        }
        Ngrams::Top(spill) => {
            let mut keyed = Vec::with_capacity(len);
            spill.for_each(|r| {
                let (key, prob) = (key(r.ctx, r.word), r.prob);
                keyed.push(TopKeyed { key, prob });
            })?;
            (KeyedOrder::Top(keyed), 0)
        }
    };
    drop(ctx_slots);
    let weights = model.opts.weights;
    let (probs, backoffs) = keyed.weight_values();
    let coders = || [probs, backoffs].map(|v| Coder::of(v, weights));
    let (coders, ()) = rayon::join(coders, || keyed.sort());
    if (1..keyed.len()).any(|r| keyed.key(r - 1) == keyed.key(r)) {
        return Err(Stop::Fallback);
    }
    let mut slots = vec![0u32; id_space];
    let placed = geometry.place(keyed.keys(), |rank, s| {
        if let KeyedOrder::Lower(k) = &keyed {
            if let Some(slot) = slots.get_mut(k[rank].id as usize) {
                *slot = s as u32;
            }
        }
    });
    Ok(Ready {
        n,
        geometry,
        placed: placed.ok().need()?,
        keyed,
        coders,
        slots,
    })
}

/// Writes a placed order's table and codebooks; returns its layout.
fn write<O: Write + Seek>(
    model: Model,
    ready: Ready,
    out: &mut SectionWriter<O>,
) -> io::Result<RawLayout> {
    let Ready {
        n,
        geometry,
        placed,
        keyed,
        coders,
        ..
    } = ready;
    let table = TableBuild::new(&geometry, placed, model.order, coders);
    debug_assert_eq!(usize::from(table.n), n);
    table.stream(out, model.vocab_size, |table, writer| {
        let mut written = Ok(());
        let _ = geometry.place(keyed.keys(), |rank, slot| {
            let (ctx, word) = geometry.unkey(keyed.key(rank));
            let (prob, backoff, flags) = keyed.weights(rank);
            let (ext, left) = (flags & EXTENDS != 0, flags & LEFT != 0);
            let arc = table.slot(ctx, word, prob, ext, left, backoff);
            if written.is_ok() {
                written = writer.put(slot, &arc);
            }
        });
        written
    })
}
