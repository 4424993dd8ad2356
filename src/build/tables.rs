//! Placing and writing the orders of a completed model (see
//! [`compile_completing`](super::compile_completing)), from order 2 up: an
//! order's keys need the slots of the order below.
//!
//! An order's weights are coded first (its coders built from their values),
//! then its records become keyed copies holding the codes (`keyed`: 11
//! bytes for a q8 trigram of the generated 10M-n-gram model, 8 for its
//! 4-grams), its table giving its memory back as it goes
//! (`OrderTable::drain`), so the two take about the larger of their sizes,
//! not both; the copies are sorted, placed and written, then dropped. The orders below the highest are
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

use super::complete::{TopRec, EXTENDS, LEFT};
use super::keyed::{Fields, Keyed};
use super::order_table::OrderTable;
use super::reading::{Need, Stop};
use super::spill::Spill;
use super::{BuildOptions, Coder, Geometry, Placed, TableBuild};
use crate::format::{RawLayout, SectionWriter, Weights};

/// One order's n-grams by id: with their flags below the highest order; the
/// highest order's kept aside until it is placed.
pub(super) enum Ngrams {
    Lower(OrderTable),
    Top(Spill<TopRec>),
}

/// An order keyed, sorted and placed, ready to be written.
struct Ready {
    n: usize,
    geometry: Geometry,
    placed: Placed,
    /// The n-grams in key order.
    keyed: Keyed,
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
    mut ngrams: Ngrams,
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
    let coders = coders(&mut ngrams, model.opts.weights)?;
    let code_bits = coders.each_ref().map(Coder::bits);
    let key_bits = geometry.key_bits();
    let (mut keyed, id_space) = match ngrams {
        Ngrams::Lower(table) => {
            let id_space = table.id_space();
            let mut keyed = Keyed::new(len, key_bits, code_bits, id_space as u64);
            let [prob, backoff] = &coders;
            table.drain(|id, r, flags| {
                let flags = flags & (EXTENDS | LEFT);
                keyed.push(Fields {
                    key: key(r.ctx, r.word),
                    flags,
                    prob: prob.encode(r.prob),
                    backoff: if flags & EXTENDS != 0 {
                        backoff.encode(r.backoff)
                    } else {
                        0
                    },
                    id,
                });
            })?;
            (keyed, id_space)
        }
        Ngrams::Top(mut spill) => {
            let mut keyed = Keyed::new(len, key_bits, code_bits, 0);
            let prob = &coders[0];
            spill.for_each(|r| {
                let (key, prob) = (key(r.ctx, r.word), prob.encode(r.prob));
                keyed.push(Fields {
                    key,
                    flags: 0,
                    prob,
                    backoff: 0,
                    id: 0,
                });
            })?;
            (keyed, 0)
        }
    };
    drop(ctx_slots);
    keyed.sort();
    if keyed.has_duplicates() {
        return Err(Stop::Fallback);
    }
    let mut slots = vec![0u32; id_space];
    let placed = geometry.place(keyed.keys(), |rank, s| {
        if let Some(slot) = slots.get_mut(keyed.get(rank).id as usize) {
            *slot = s as u32;
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

/// The coders of an order's probabilities and its nodes' backoffs (none at
/// the highest order), built from their values before the n-grams are keyed
/// so that the keyed records hold codes.
fn coders(ngrams: &mut Ngrams, weights: Weights) -> Result<[Coder; 2], Stop> {
    let (probs, backoffs) = match ngrams {
        Ngrams::Lower(table) => table.weight_values(EXTENDS)?,
        Ngrams::Top(spill) => {
            let mut probs = Vec::with_capacity(spill.len());
            spill.for_each(|r| probs.push(r.prob))?;
            (probs, Vec::new())
        }
    };
    let coder = |values| move || Coder::of(values, weights);
    let (prob, backoff) = rayon::join(coder(probs), coder(backoffs));
    Ok([prob, backoff])
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
            let f = keyed.get(rank);
            let (ctx, word) = geometry.unkey(f.key);
            let (ext, left) = (f.flags & EXTENDS != 0, f.flags & LEFT != 0);
            let arc = table.coded_slot(ctx, word, f.prob, ext, left, || f.backoff);
            if written.is_ok() {
                written = writer.put(slot, &arc);
            }
        });
        written
    })
}
