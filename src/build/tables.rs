//! Placing and writing the orders of a completed model (see
//! [`compile_completing`](super::compile_completing)), from order 2 up: an
//! order's keys need the slots of the order below.
//!
//! An order's weights are coded first (its coders built from their values),
//! then its records become keyed copies holding the codes (`keyed_order`: 11
//! bytes for a q8 trigram of the generated 10M-n-gram model of
//! `examples/gen_arpa.rs`, 8 for its 4-grams), its table giving its memory
//! back as it goes (`OrderTable::drain`), so the two take about the larger of
//! their sizes, not both; the copies are sorted, placed and written, giving
//! their memory back as they are written (`Keyed::release`).
//!
//! The reading thread is done, so two threads share the work: while order
//! n is written here, order n + 1 is keyed, sorted and placed on another
//! thread (it needs nothing of order n but its slots), and once order n is
//! written the coders of order n + 2 are built here (they need nothing but
//! its weights); the first order's coders are built beside the unigrams'
//! sections, the second's beside the first order's keying. Keying an order
//! while the one below was written held both orders' copies whole (up to
//! 266 MB against 234 MB on the generated model, before the tables and the
//! copies gave their memory back as they went); now the copies written
//! make room for those keyed, and on the generated model the build's peak
//! stays where the file is read. The keying reads the contexts' slots and
//! the placing writes the n-grams' slots by id, both at random: each is
//! fetched a few n-grams ahead (`prefetch_delay`).

use std::io::{self, Seek, Write};

use super::complete::{Rec, TopRec, EXTENDS, LEFT};
use super::keyed_order::{Fields, Keyed};
use super::order_table::OrderTable;
use super::prefetch_delay::{Late, LATE};
use super::reading::{Need, Stop};
use super::second_thread::beside;
use super::spill::Spill;
use super::{write_sections, BuildOptions, Coder, Geometry, Placed, Sections, TableBuild};
use crate::format::{prefetch_items, RawLayout, SectionWriter};

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

/// An order's n-grams and the coders of their weights (see [`coders`]).
struct Coded {
    n: usize,
    ngrams: Ngrams,
    coders: [Coder; 2],
}

/// Order `n`'s n-grams with their coders, if there is an order `n`.
fn code(order: Option<(usize, Ngrams)>, opts: BuildOptions) -> Result<Option<Coded>, Stop> {
    let Some((n, mut ngrams)) = order else {
        return Ok(None);
    };
    let coders = coders(&mut ngrams, opts)?;
    Ok(Some(Coded { n, ngrams, coders }))
}

/// Writes the unigrams' sections that `unigrams` builds, then places and
/// writes the tables of orders 2..=N (`orders[n - 2]`) to `out`, dropping
/// each order once written; returns their layouts. [`Stop::Fallback`] on a
/// duplicate n-gram of the highest order, [`Stop::Refuse`] on a model too
/// large.
pub(super) fn write_tables<O: Write + Seek>(
    orders: Vec<Ngrams>,
    unigrams: impl FnOnce() -> Sections + Send,
    vocab_size: usize,
    opts: BuildOptions,
    out: &mut SectionWriter<O>,
) -> Result<Vec<RawLayout>, Stop> {
    let model = Model {
        order: orders.len() + 1,
        vocab_size,
        opts,
    };
    let mut orders = (2..).zip(orders);
    // The first order's coders are built beside the unigrams' sections,
    // then the second order's beside the first order's keying and placing.
    let (first, sections) = beside(|| code(orders.next(), opts), unigrams);
    write_sections(out, sections)?;
    let Some(first) = first.need()?? else {
        return Ok(Vec::new());
    };
    let ctx_ids = vocab_size as u64;
    let (next, ready) = beside(
        || code(orders.next(), opts),
        || prepare(model, first, None, ctx_ids),
    );
    let (mut ready, mut next) = (ready?, next.need()??);
    let mut layouts = Vec::with_capacity(model.order - 1);
    loop {
        // Order n + 1 is keyed and placed beside the writing of order n,
        // then the coders of order n + 2 are built here.
        let slots = std::mem::take(&mut ready.slots);
        let ctx_ids = ready.placed.num_slots;
        let job = next.map(|coded| move || prepare(model, coded, Some(slots), ctx_ids));
        let write_and_code = || {
            let layout = write(model, ready, out);
            (layout, code(orders.next(), opts))
        };
        let (prepared, (layout, after)) = match job {
            Some(job) => {
                let (prepared, done) = beside(job, write_and_code);
                (Some(prepared.need()?), done)
            }
            None => (None, write_and_code()),
        };
        layouts.push(layout?);
        match prepared {
            Some(prepared) => (ready, next) = (prepared?, after?),
            None => return Ok(layouts),
        }
    }
}

/// Keys order `n`'s n-grams (their contexts' slots in `ctx_slots`, or word
/// ids for bigrams; `ctx_ids` of them), sorts and places them, and builds the
/// codebooks of quantized weights. [`Stop::Fallback`] on a duplicate n-gram
/// (only the highest order's are left to find), [`Stop::Refuse`] on an
/// order too large for the format.
fn prepare(
    model: Model,
    Coded { n, ngrams, coders }: Coded,
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
    )?;
    let ctx_slot = |c: u32| ctx_slots.as_ref().map_or(c, |s| s[c as usize]);
    let key = |ctx: u32, word: u32| geometry.key(ctx_slot(ctx), word);
    // The contexts' slots are read in random order: fetched a few records ahead.
    let fetch = |ctx: u32| {
        if let Some(slot) = ctx_slots.as_ref().and_then(|s| s.get(ctx as usize)) {
            prefetch_items(std::slice::from_ref(slot));
        }
    };
    let code_bits = coders.each_ref().map(Coder::bits);
    let key_bits = geometry.key_bits();
    let (mut keyed, id_space) = match ngrams {
        Ngrams::Lower(table) => {
            let id_space = table.id_space();
            let mut keyed = Keyed::new(len, key_bits, code_bits, id_space as u64);
            let [prob, backoff] = &coders;
            let mut push = |(id, r, flags): (u32, Rec, u8)| {
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
            };
            let mut late = Late::default();
            table.drain(|id, r, flags| {
                fetch(r.ctx);
                late.pass((id, r, flags), &mut push);
            })?;
            late.rest().for_each(push);
            (keyed, id_space)
        }
        Ngrams::Top(mut spill) => {
            let mut keyed = Keyed::new(len, key_bits, code_bits, 0);
            let prob = &coders[0];
            let mut push = |r: TopRec| {
                let (key, prob) = (key(r.ctx, r.word), prob.encode(r.prob));
                keyed.push(Fields {
                    key,
                    flags: 0,
                    prob,
                    backoff: 0,
                    id: 0,
                });
            };
            let mut late = Late::default();
            spill.for_each(|r| {
                fetch(r.ctx);
                late.pass(r, &mut push);
            })?;
            late.rest().for_each(push);
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
        if id_space == 0 {
            return;
        }
        // The slots are written in random order: fetched a few ranks ahead.
        if let Some(ahead) = keyed.id(rank + LATE).and_then(|id| slots.get(id as usize)) {
            prefetch_items(std::slice::from_ref(ahead));
        }
        if let Some(slot) = keyed.id(rank).and_then(|id| slots.get_mut(id as usize)) {
            *slot = s as u32;
        }
    });
    Ok(Ready {
        n,
        geometry,
        placed: placed?,
        keyed,
        coders,
        slots,
    })
}

/// The coders of an order's probabilities and its nodes' backoffs (none at
/// the highest order), built from their values before the n-grams are keyed
/// so that the keyed records hold codes.
fn coders(ngrams: &mut Ngrams, opts: BuildOptions) -> Result<[Coder; 2], Stop> {
    let (probs, backoffs) = match ngrams {
        Ngrams::Lower(table) => table.weight_values(EXTENDS)?,
        Ngrams::Top(spill) => {
            let mut probs = Vec::with_capacity(spill.len());
            spill.for_each(|r| probs.push(r.prob))?;
            (probs, Vec::new())
        }
    };
    // One after the other, the fewer values first: the values of both and
    // the runs of one are held at a time, not the runs of both (this runs
    // beside other work, which takes the other thread).
    Ok(if backoffs.len() < probs.len() {
        let backoff = Coder::of(backoffs, opts);
        [Coder::of(probs, opts), backoff]
    } else {
        let prob = Coder::of(probs, opts);
        [prob, Coder::of(backoffs, opts)]
    })
}

/// Records written between releases of their memory.
const RELEASED: usize = 1 << 16;

/// Writes a placed order's table and codebooks, giving the memory of the
/// keyed records back as they are written; returns its layout.
fn write<O: Write + Seek>(
    model: Model,
    ready: Ready,
    out: &mut SectionWriter<O>,
) -> io::Result<RawLayout> {
    let Ready {
        n,
        geometry,
        placed,
        mut keyed,
        coders,
        ..
    } = ready;
    let table = TableBuild::new(&geometry, placed, model.order, coders);
    debug_assert_eq!(usize::from(table.n), n);
    table.stream(out, model.vocab_size, |table, writer| {
        let mut placer = geometry.placer();
        for rank in 0..keyed.len() {
            let f = keyed.get(rank);
            let slot = placer.slot(f.key);
            let (ctx, word) = geometry.unkey(f.key);
            let (ext, left) = (f.flags & EXTENDS != 0, f.flags & LEFT != 0);
            let arc = table.coded_slot(ctx, word, f.prob, ext, left, || f.backoff);
            writer.put(slot, &arc)?;
            // What is written is not read again: its memory goes back (the
            // next order is being keyed meanwhile).
            if (rank + 1) % RELEASED == 0 {
                keyed.release(rank + 1 - RELEASED..rank + 1);
            }
        }
        Ok(())
    })
}
