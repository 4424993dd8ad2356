//! Compiling an [`NGramSet`] into the hashed on-disk layout of [`crate::format`].
//!
//! ```
//! use dashlm::{arpa::NGramSet, build, LanguageModel, Model};
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("tiny.dlm");
//! let set = NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
//! let summary = build::write_model(&set, build::BuildOptions::default(), &path).unwrap();
//! assert_eq!(summary.counts, [8, 7, 4]);
//! let lm = Model::open(&path).unwrap();
//! assert_eq!(lm.bytes().len() as u64, summary.file_bytes);
//! let words = [lm.word_id(b"the"), lm.word_id(b"cat")];
//! assert_eq!(lm.score_sentence(&words, true, false), -0.4 + -0.2); // <s> the, <s> the cat
//! ```
//!
//! The model is compiled as an automaton: a *state* is a context that can be
//! extended (an n-gram of order < N that `extends`), an *arc* is an n-gram of
//! order >= 2 keyed by `(state id of its context, word)`. Unigrams are a dense
//! array indexed by word id. Tables are built order by order, because an arc's
//! key names its context by the context's slot in the table below.
//!
//! Arcs store no target: a query finds the next state's ids by probing every
//! order of its context (see [`crate::model`]).
//!
//! Three builders give the same bytes for the same model:
//!
//! - [`compile_streaming`] (`stream`, `held_order`, `records`) reads ARPA
//!   text once and writes each order as soon as the next has been read,
//!   holding at most two orders: for
//!   complete models (every context and suffix present, as `lmplz` writes
//!   them). When the trigrams turn out to need KenLM's blanks it hands what it
//!   holds to the completing builder and the same read goes on; a model whose
//!   blanks first show later is handed back (`None`).
//! - [`compile_completing`] (`complete`, `order_table`, `spill`, `tables`)
//!   reads ARPA text once, holding every order as compact records, adds
//!   blanks for missing contexts and suffixes as it meets them, then places
//!   and writes the tables.
//! - [`compile`] compiles an [`NGramSet`], the reader that reports errors in
//!   the input precisely. The other two report an error in the input
//!   themselves, the same one, when they can tell it is the first
//!   [`NGramSet`] would report and the input is named ([`build_file`]; see
//!   `reading`); otherwise they hand it back.
//!
//! `build-lm` tries them in that order. They share `options` (what a build
//! takes and gives), `unigrams` (the vocabulary and unigram sections),
//! `geometry` (where each order's arcs go and how its table is written),
//! `codebook` (quantized weights, built from the `runs` of equal values;
//! `segments` for q16's segmented codebooks; `class_book` for the unigrams
//! of q16 and q8, whose flags lie in the values) and `output` (writing a
//! file atomically).
mod class_book;
mod codebook;
mod complete;
mod exact_book;
mod file;
mod geometry;
mod held_order;
mod keyed_order;
mod options;
mod order_table;
mod output;
mod paths;
mod prefetch_delay;
mod radix;
mod reading;
mod records;
mod runs;
mod second_thread;
mod segments;
mod spill;
mod stream;
mod tables;
mod unigrams;

pub use class_book::ClassBook;
pub use codebook::{Codebook, SEGMENTED_ABOVE};
pub use complete::compile_completing;
pub use exact_book::ExactBook;
pub use file::{build_file, BuildStep};
pub use geometry::{MAX_SLOTS, RUNS_ABOVE_LOAD};
pub use options::{BuildError, BuildOptions, BuildSummary, MIN_LOAD_FACTOR};
use output::pass_file;
pub use output::{complete_model, stream_model, write_file, write_model};
pub use stream::{compile_streaming, Streamed};

use geometry::{check_counts, layouts_bytes, section_count, Coder, Geometry, Placed, TableBuild};
use options::check_options;
use unigrams::{
    unigram_sections, vocab_sections, word_sections, write_sections, Sections, Unigram,
};

use crate::arpa::{Entry, NGramSet};
use crate::format::table::TableStream;
use crate::format::{FileWriter, FormatError, Header, RawLayout, SectionKind};
use crate::MAX_ORDER;

/// Assembles the file and its summary from the header and the sections in order,
/// followed by the layouts of orders 2..=N.
fn assemble(
    header: Header,
    sections: Sections,
    layouts: &[RawLayout],
    added: Vec<u64>,
) -> (FileWriter, BuildSummary) {
    let counts = header.counts[..usize::from(header.order)].to_vec();
    let mut file = FileWriter::new(header);
    for (kind, n, bytes) in sections {
        file.add(kind, n, bytes);
    }
    file.add(SectionKind::Layouts, 0, layouts_bytes(layouts));
    let summary = BuildSummary::new(counts, added, file.sizes());
    (file, summary)
}

/// Compiles `set` into the sections of a model file.
///
/// # Errors
/// A model too large for the format: [`BuildError::TooLarge`],
/// [`BuildError::TooManySlots`], [`BuildError::KeyTooWide`],
/// [`BuildError::VocabTooLarge`]; [`BuildError::Table`] (a table whose bytes cannot be allocated), or options
/// no build can follow: [`BuildError::LoadFactor`],
/// [`BuildError::BigramLoadFactor`], [`BuildError::RawNeedsF32`].
///
/// ```
/// use dashlm::{arpa::NGramSet, build, Model, LanguageModel};
/// let set = NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
/// let (file, _summary) = build::compile(&set, build::BuildOptions::default()).unwrap();
/// let mut bytes = Vec::new();
/// file.write_to(&mut bytes).unwrap();
/// let model = Model::from_bytes(bytes).unwrap();
/// assert_eq!(model.order(), 3);
/// ```
pub fn compile(
    set: &NGramSet,
    opts: BuildOptions,
) -> Result<(FileWriter, BuildSummary), BuildError> {
    check_options(opts)?;
    let order = set.order();
    let vocab_size = set.vocab().len();
    let mut counts = [0u64; MAX_ORDER];
    for (n, c) in counts.iter_mut().enumerate().take(order) {
        *c = set.count(n + 1) as u64;
    }
    check_counts(&counts[..order], opts, false)?;
    let header = Header {
        order: order as u8,
        weights: opts.weights,
        vocab_size: vocab_size as u32,
        bos: set.bos(),
        eos: set.eos(),
        counts,
    };
    let mut unigrams = Vec::with_capacity(vocab_size);
    set.for_each(1, |_, e| unigrams.push(unigram(e)));
    let mut sections = vocab_sections(set.vocab().words(), unigrams.into_iter(), opts)?;

    // Placement: slot of every entry of every order (index = order - 1); unigrams'
    // "slot" is their word id.
    let mut slots: Vec<Vec<u32>> = vec![(0..vocab_size as u32).collect()];
    let mut placed: Vec<(Geometry, Placed)> = Vec::new();
    // The context id of every n-gram of order >= 2 (index = order - 2).
    let mut contexts: Vec<Vec<u32>> = Vec::with_capacity(order);
    for n in 2..=order {
        let count = set.count(n);
        let ctx_ids = placed.last().map_or(vocab_size as u64, |p| p.1.num_slots);
        let geometry = Geometry::new(n, count, ctx_ids, vocab_size, n == order, opts)?;
        // Arcs go in increasing key order (hashed, or grouped by context).
        let mut hashed: Vec<(u64, u32)> = Vec::with_capacity(count);
        let mut ctx_ids: Vec<u32> = Vec::with_capacity(count);
        set.for_each(n, |words, _| {
            let ctx = context_id(set, &slots, words);
            ctx_ids.push(ctx);
            hashed.push((geometry.key(ctx, words[n - 1]), hashed.len() as u32));
        });
        hashed.sort_unstable();
        let mut slot_of = vec![0u32; count];
        let where_ = geometry.place(hashed.iter().map(|&(h, _)| h), |rank, s| {
            slot_of[hashed[rank].1 as usize] = s as u32;
        })?;
        placed.push((geometry, where_));
        slots.push(slot_of);
        contexts.push(ctx_ids);
    }

    let mut layouts = Vec::new();
    for (n, &(geometry, where_)) in (2..=order).zip(&placed) {
        let mut probs = Vec::new();
        let mut backoffs = Vec::new();
        set.for_each(n, |_, e| {
            probs.push(e.prob);
            if e.extends && n < order {
                backoffs.push(e.backoff);
            }
        });
        let coders = [probs, backoffs].map(|v| Coder::of(v, opts));
        let table = TableBuild::new(&geometry, where_, order, coders);
        let table_error = |source| BuildError::Table { order: n, source };
        // The arcs in slot order, streamed (as grouped tables must be).
        let mut arcs = Vec::with_capacity(set.count(n));
        set.for_each(n, |words, e| {
            let i = arcs.len();
            let (slot, ctx) = (slots[n - 1][i], contexts[n - 2][i]);
            let word = words[n - 1];
            let arc = table.slot(ctx, word, e.prob, e.extends, e.extends_left, e.backoff);
            arcs.push((slot, arc));
        });
        arcs.sort_unstable_by_key(|&(slot, _)| slot);
        let stream_error =
            |e: std::io::Error| table_error(FormatError::field("table", 0, e.to_string()));
        let mut writer =
            TableStream::new(table.raw, vocab_size as u32, Vec::new()).map_err(table_error)?;
        for (slot, arc) in arcs {
            writer.put(u64::from(slot), &arc).map_err(stream_error)?;
        }
        sections.push((
            SectionKind::Table,
            table.n,
            writer.finish().map_err(stream_error)?,
        ));
        layouts.push(table.raw);
        sections.extend(table.codebooks());
    }
    debug_assert_eq!(sections.len() + 1, section_count(order));
    let added = (1..=order).map(|n| set.count_added(n) as u64).collect();
    Ok(assemble(header, sections, &layouts, added))
}

fn unigram(e: &Entry) -> Unigram {
    Unigram {
        prob: e.prob,
        backoff: e.backoff,
        extends: e.extends,
        extends_left: e.extends_left,
    }
}

/// The key context id of an n-gram (n >= 2): the word id of its first word for
/// bigrams, else the slot of its context.
fn context_id(set: &NGramSet, slots: &[Vec<u32>], words: &[u32]) -> u32 {
    let ctx = &words[..words.len() - 1];
    let idx = set
        .index_of(ctx)
        .expect("contexts are present after completion");
    slots[ctx.len() - 1][idx]
}
