//! Placing and writing the orders of a completed model (see
//! [`compile_completing`](super::compile_completing)), from order 2 up: an
//! order's keys need the slots of the order below. While one order's table
//! is written, the next order is keyed, sorted and placed on another thread.

use std::io::{self, Seek, Write};
use std::panic::resume_unwind;
use std::sync::Mutex;
use std::thread;

use rayon::slice::ParallelSliceMut;

use super::complete::{Rec, TopRec, EXTENDS, LEFT};
use super::reading::{Need, Stop};
use super::{BuildOptions, Codebook, Geometry, Placed, TableBuild};
use crate::format::{RawLayout, SectionWriter, Weights};

/// One order's n-grams by id: with their flags below the highest order.
pub(super) enum Ngrams {
    Lower(Vec<Rec>, Vec<u8>),
    Top(Vec<TopRec>),
}

impl Ngrams {
    fn len(&self) -> usize {
        match self {
            Ngrams::Lower(recs, _) => recs.len(),
            Ngrams::Top(recs) => recs.len(),
        }
    }

    /// Every n-gram as `(context id, word, prob, backoff, flags)`, by id.
    fn each(&self) -> Box<dyn Iterator<Item = (u32, u32, f32, f32, u8)> + '_> {
        match self {
            Ngrams::Lower(recs, flags) => Box::new(
                recs.iter()
                    .zip(flags)
                    .map(|(r, &f)| (r.ctx, r.word, r.prob, r.backoff, f)),
            ),
            Ngrams::Top(recs) => Box::new(recs.iter().map(|r| (r.ctx, r.word, r.prob, 0.0, 0))),
        }
    }
}

/// An n-gram by hashed key, with what its slot needs, so that a table is
/// written in one sequential pass (24 bytes).
#[derive(Clone, Copy)]
struct Keyed {
    key: u64,
    prob: f32,
    backoff: f32,
    id: u32,
    flags: u8,
}

/// An order keyed, sorted and placed, ready to be written.
struct Ready {
    n: usize,
    geometry: Geometry,
    placed: Placed,
    /// The n-grams in key order.
    keyed: Vec<Keyed>,
    /// Quantized weights' codebooks.
    books: Option<[Codebook; 2]>,
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
        let job = Mutex::new(orders.next().map(|(ngrams, n)| (ngrams, n, slots)));
        let prepare_job = || {
            let (ngrams, n, slots) = job.lock().ok()?.take()?;
            Some(prepare(model, n, ngrams, Some(slots), ctx_ids))
        };
        let (layout, prepared) = thread::scope(|scope| {
            let started = thread::Builder::new().spawn_scoped(scope, prepare_job).ok();
            let layout = write(model, ready, out);
            let prepared = started.and_then(|h| h.join().unwrap_or_else(|e| resume_unwind(e)));
            // If no thread could be started, the job is still to do.
            (layout, prepared.or_else(prepare_job))
        });
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
    let geometry = Geometry::new(n, ngrams.len(), ctx_ids, model.vocab_size, model.opts)
        .ok()
        .need()?;
    let ctx_slot = |c: u32| ctx_slots.as_ref().map_or(c, |s| s[c as usize]);
    let keyed = |(id, (ctx, word, prob, backoff, flags))| Keyed {
        key: geometry.codec.hash(ctx_slot(ctx), word),
        prob,
        backoff,
        id,
        flags,
    };
    let mut keyed: Vec<Keyed> = (0..).zip(ngrams.each()).map(keyed).collect();
    drop(ctx_slots);
    let nodes = n < model.order;
    let weights = model.opts.weights;
    let (books, ()) = rayon::join(
        || (weights != Weights::F32).then(|| codebooks(&ngrams, nodes, weights)),
        || keyed.par_sort_unstable_by_key(|k| k.key),
    );
    drop(ngrams);
    if keyed.windows(2).any(|w| w[0].key == w[1].key) {
        return Err(Stop::Fallback);
    }
    let mut slots = vec![0u32; if nodes { keyed.len() } else { 0 }];
    let placed = geometry.place(keyed.iter().map(|k| k.key), |rank, s| {
        if let Some(slot) = slots.get_mut(keyed[rank].id as usize) {
            *slot = s as u32;
        }
    });
    Ok(Ready {
        n,
        geometry,
        placed: placed.ok().need()?,
        keyed,
        books,
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
        books,
        ..
    } = ready;
    let books = || books.expect("quantized weights have codebooks");
    let table = TableBuild::new(&geometry, placed, model.order, model.opts.weights, books);
    debug_assert_eq!(usize::from(table.n), n);
    table.stream(out, model.vocab_size, |table, writer| {
        let mut written = Ok(());
        let _ = geometry.place(keyed.iter().map(|k| k.key), |rank, slot| {
            let k = &keyed[rank];
            let (ctx, word) = geometry.codec.unhash(k.key);
            let (ext, left) = (k.flags & EXTENDS != 0, k.flags & LEFT != 0);
            let arc = table.slot(ctx, word, k.prob, ext, left, k.backoff);
            if written.is_ok() {
                written = writer.put(slot, &arc);
            }
        });
        written
    })
}

/// The codebooks of an order's probabilities and of its node arcs' backoffs
/// (`nodes`: the order is below the highest).
fn codebooks(ngrams: &Ngrams, nodes: bool, weights: Weights) -> [Codebook; 2] {
    let probs = ngrams.each().map(|g| g.2).collect();
    let node_arcs = ngrams.each().filter(|g| nodes && g.4 & EXTENDS != 0);
    let backoffs = node_arcs.map(|g| g.3).collect();
    [probs, backoffs].map(|v| Codebook::build(v, weights.bits()))
}
