//! Compiling an [`NGramSet`] into the hashed on-disk layout of [`crate::format`].
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
//! - [`compile_streaming`] (`stream`) reads ARPA text once and writes each
//!   order as soon as the next has been read, holding at most two orders: for
//!   complete models (every context and suffix present, as `lmplz` writes
//!   them). When the trigrams turn out to need KenLM's blanks it hands what it
//!   holds to the completing builder and the same read goes on; a model whose
//!   blanks first show later is handed back (`None`).
//! - [`compile_completing`] (`complete`, `order_table`, `spill`, `tables`)
//!   reads ARPA text once, holding every order as compact records, adds
//!   blanks for missing contexts and suffixes as it meets them, then places
//!   and writes the tables.
//! - [`compile`] compiles an [`NGramSet`], the reader that reports errors in
//!   the input precisely; the other two hand any error back to it.
//!
//! `build-lm` tries them in that order.

mod codebook;
mod complete;
mod order_table;
mod paths;
mod reading;
mod spill;
mod stream;
mod tables;

use std::fmt;
use std::fs;
use std::io::{self, BufRead, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

pub use codebook::Codebook;
pub use complete::compile_completing;
pub use stream::{compile_streaming, Streamed};

use crate::arpa::{Entry, NGramSet};
use crate::format::table::{
    id_bits, KeyCodec, Slot, TableStream, TableWriter, Widths, MAX_KEY_BITS,
};
use crate::format::{vocab, FileWriter, Header, RawLayout, SectionKind, SectionWriter, Weights};
use crate::vocab::{WordId, UNK};
use crate::MAX_ORDER;

/// Options for [`compile`].
///
/// ```
/// let opts = dashlm::build::BuildOptions::default();
/// assert_eq!(opts.weights, dashlm::format::Weights::F32);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BuildOptions {
    /// How weights of orders >= 2 are stored.
    pub weights: Weights,
    /// Arcs per home position (0 < load <= 1): lower is faster and larger.
    pub load_factor: f64,
}

impl BuildOptions {
    /// The defaults for `weights`: load factor 0.7 for f32 and q16 (the bytes
    /// quotienting saves buy shorter probe runs), 0.9 for q8 (the smallest).
    ///
    /// ```
    /// use dashlm::{build::BuildOptions, format::Weights};
    /// assert_eq!(BuildOptions::new(Weights::Q16).load_factor, 0.7);
    /// assert_eq!(BuildOptions::new(Weights::Q8).load_factor, 0.9);
    /// ```
    pub fn new(weights: Weights) -> BuildOptions {
        let load_factor = if weights == Weights::Q8 { 0.9 } else { 0.7 };
        BuildOptions {
            weights,
            load_factor,
        }
    }
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions::new(Weights::F32)
    }
}

/// Errors from [`write_model`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Writing or renaming the output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The model exceeds what the format can index.
    #[error("order {order} has {count} n-grams, more than the format's 2^32 slots per order")]
    TooLarge {
        /// The order.
        order: usize,
        /// Its n-gram count.
        count: usize,
    },
    /// An invalid option.
    #[error("load factor {0} is not in (0, 1]")]
    LoadFactor(f64),
    /// The vocabulary exceeds what the format can index.
    #[error(
        "the vocabulary has 2^32 or more words or bytes, more than the format's 32-bit offsets"
    )]
    VocabTooLarge,
}

/// What [`compile`] produced: counts and section sizes, for `build-lm`'s summary.
#[derive(Clone, Debug)]
pub struct BuildSummary {
    /// n-grams per order, blanks included.
    pub counts: Vec<u64>,
    /// `(section name, order, bytes)`.
    pub sections: Vec<(&'static str, u16, usize)>,
    /// Total file bytes.
    pub file_bytes: u64,
}

impl fmt::Display for BuildSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: u64 = self.counts.iter().sum();
        for (i, c) in self.counts.iter().enumerate() {
            writeln!(f, "{}-grams: {c}", i + 1)?;
        }
        for (name, order, bytes) in &self.sections {
            writeln!(f, "section {name:<16} order {order}: {bytes} bytes")?;
        }
        write!(
            f,
            "total: {} bytes, {:.2} bytes/n-gram over {total} n-grams",
            self.file_bytes,
            self.file_bytes as f64 / total.max(1) as f64
        )
    }
}

/// Encodes weights as raw f32 bits or codebook indices.
enum Coder {
    Raw,
    Book(Codebook),
}

impl Coder {
    fn encode(&self, v: f32) -> u32 {
        match self {
            Coder::Raw => v.to_bits(),
            Coder::Book(b) => b.encode(v),
        }
    }
}

/// The probability of a unigram as stored: its sign bit is clear when a bigram
/// ends with the word (a query must look further), set otherwise; the value
/// is read back as `-|p|`, as KenLM does.
fn unigram_prob(prob: f32, extends_left: bool) -> f32 {
    if extends_left {
        prob.abs()
    } else {
        -prob.abs()
    }
}

/// The backoff of a unigram as stored: `-0.0` marks one that is not a state.
fn unigram_backoff(backoff: f32, extends: bool) -> f32 {
    match (extends, backoff == 0.0) {
        (false, _) => -0.0,
        (true, true) => 0.0,
        (true, false) => backoff,
    }
}

/// One unigram's weights and flags, as the unigram section needs them.
#[derive(Clone, Copy, Debug)]
struct Unigram {
    prob: f32,
    backoff: f32,
    extends: bool,
    extends_left: bool,
}

impl Unigram {
    /// The unigrams before the file's are read: `<unk>` alone, with log10
    /// probability [`MISSING_UNK_LOG10`](crate::arpa::MISSING_UNK_LOG10), room for `capacity` more.
    fn initial(capacity: usize) -> Vec<Unigram> {
        let mut unigrams = Vec::with_capacity(capacity + 1);
        unigrams.push(Unigram {
            prob: crate::arpa::MISSING_UNK_LOG10,
            backoff: 0.0,
            extends: false,
            extends_left: false,
        });
        unigrams
    }

    /// Records the file's unigram given word id `id` (ids are given in order,
    /// `<unk>` (0) at any point) in `unigrams`.
    fn add(unigrams: &mut Vec<Unigram>, id: WordId, prob: f32, backoff: Option<f32>) {
        let u = Unigram {
            prob,
            backoff: backoff.unwrap_or(0.0),
            extends: backoff.is_some_and(|b| b != 0.0),
            extends_left: false,
        };
        match id {
            UNK => unigrams[0] = u,
            _ => unigrams.push(u),
        }
    }
}

/// The sections of a file being assembled, in file order.
type Sections = Vec<(SectionKind, u16, Vec<u8>)>;

/// The vocabulary and unigram sections (the first four of every file).
fn vocab_sections<'a>(
    words: impl IntoIterator<Item = &'a [u8]>,
    unigrams: impl ExactSizeIterator<Item = Unigram>,
) -> Result<Sections, BuildError> {
    let v = vocab::encode(words).ok_or(BuildError::VocabTooLarge)?;
    let mut bytes = Vec::with_capacity(unigrams.len() * 8);
    for u in unigrams {
        bytes.extend_from_slice(&unigram_prob(u.prob, u.extends_left).to_le_bytes());
        bytes.extend_from_slice(&unigram_backoff(u.backoff, u.extends).to_le_bytes());
    }
    Ok(vec![
        (SectionKind::VocabOffsets, 0, v.offsets),
        (SectionKind::VocabBytes, 0, v.bytes),
        (SectionKind::VocabIndex, 0, v.index),
        (SectionKind::Unigrams, 1, bytes),
    ])
}

/// Where the arcs of one order go: homes, key codec, and (once placed) slots.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    n: usize,
    count: usize,
    num_homes: u64,
    ctx_bits: u32,
    word_bits: u32,
    vocab_size: u32,
    codec: KeyCodec,
    /// Whether the table stores run offsets (see [`RUNS_ABOVE_LOAD`]).
    runs: bool,
}

/// Tables built at a load factor above this store run offsets rather than
/// displacements (see [`crate::format::table`]): on the shared 4-gram, run
/// offsets are 1.16x as fast at load 0.9 (q8's default) and 0.96x at 0.7
/// (f32's and q16's).
pub const RUNS_ABOVE_LOAD: f64 = 0.8;

impl Geometry {
    /// The geometry of order `n` with `count` arcs, whose contexts have ids below
    /// `ctx_ids` (the vocabulary size for bigrams, else the slots of order n-1).
    fn new(
        n: usize,
        count: usize,
        ctx_ids: u64,
        vocab_size: usize,
        opts: BuildOptions,
    ) -> Result<Geometry, BuildError> {
        let word_bits = crate::format::bits::bits_for(vocab_size as u64);
        let ctx_bits = id_bits(ctx_ids);
        let too_large = || BuildError::TooLarge { order: n, count };
        let vocab_size = u32::try_from(vocab_size).map_err(|_| too_large())?;
        if ctx_bits + word_bits > MAX_KEY_BITS || count >= u32::MAX as usize {
            return Err(too_large());
        }
        let num_homes = ((count as f64 / opts.load_factor).ceil() as u64).max(1);
        Ok(Geometry {
            n,
            count,
            num_homes,
            ctx_bits,
            word_bits,
            vocab_size,
            codec: KeyCodec::new(ctx_bits, word_bits, num_homes),
            runs: opts.load_factor > RUNS_ABOVE_LOAD,
        })
    }

    /// The on-disk layout of this order's table with `widths`, placed as `placed`.
    fn layout(&self, widths: Widths, placed: Placed) -> RawLayout {
        widths
            .layout(self.num_homes, placed.num_slots, placed.max_displacement)
            .with_runs(self.runs)
    }

    /// The slot of each arc, given their hashed keys in increasing order: each
    /// goes to the first free slot at or after its home (see
    /// [`crate::format::table`]). Calls `place(rank, slot)` and returns the number
    /// of slots and the largest displacement.
    fn place(
        &self,
        sorted_keys: impl Iterator<Item = u64>,
        mut place: impl FnMut(usize, u64),
    ) -> Result<Placed, BuildError> {
        let (mut next, mut max_displacement) = (0u64, 0u64);
        for (rank, h) in sorted_keys.enumerate() {
            let home = self.codec.home(h);
            let s = home.max(next);
            place(rank, s);
            max_displacement = max_displacement.max(s - home);
            next = s + 1;
        }
        let num_slots = next.max(self.num_homes);
        if num_slots >= u64::from(u32::MAX) {
            return Err(BuildError::TooLarge {
                order: self.n,
                count: self.count,
            });
        }
        Ok(Placed {
            num_slots,
            max_displacement,
        })
    }
}

/// Where an order's arcs went: the table's size and the farthest an arc sits
/// from its home.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Placed {
    num_slots: u64,
    max_displacement: u64,
}

/// One order's table being written: its layout and weight coders.
struct TableBuild {
    n: u16,
    nodes: bool,
    raw: RawLayout,
    prob: Coder,
    backoff: Coder,
}

impl TableBuild {
    /// The table for `geometry` placed as `placed`; `books` gives the
    /// codebooks of quantized weights, for all the order's probabilities and
    /// the backoffs of its node arcs (it is not called for f32).
    fn new(
        geometry: &Geometry,
        placed: Placed,
        order: usize,
        weights: Weights,
        books: impl FnOnce() -> [Codebook; 2],
    ) -> TableBuild {
        let nodes = geometry.n < order;
        let widths = Widths {
            ctx: geometry.ctx_bits,
            word: geometry.word_bits,
            prob: weights.bits(),
            nodes,
            backoff: weights.bits(),
        };
        let raw = geometry.layout(widths, placed);
        let (prob, backoff) = if weights == Weights::F32 {
            (Coder::Raw, Coder::Raw)
        } else {
            let [prob, backoff] = books();
            (Coder::Book(prob), Coder::Book(backoff))
        };
        TableBuild {
            n: geometry.n as u16,
            nodes,
            raw,
            prob,
            backoff,
        }
    }

    /// The slot of arc `(ctx, word)`, weights encoded.
    #[allow(clippy::too_many_arguments)]
    fn slot(
        &self,
        ctx: u32,
        word: u32,
        prob: f32,
        extends: bool,
        extends_left: bool,
        backoff: f32,
    ) -> Slot {
        let node = self.nodes && extends;
        Slot {
            ctx,
            word,
            prob: self.prob.encode(prob),
            node,
            left: self.nodes && extends_left,
            backoff: if node {
                self.backoff.encode(backoff)
            } else {
                0
            },
        }
    }

    /// Writes the table to `out` as a section, its arcs put by `fill` in slot
    /// order, then its codebooks; returns its layout.
    fn stream<W: Write + Seek>(
        self,
        out: &mut SectionWriter<W>,
        vocab_size: usize,
        fill: impl FnOnce(&Self, &mut TableStream<&mut SectionWriter<W>>) -> io::Result<()>,
    ) -> io::Result<RawLayout> {
        out.begin(SectionKind::Table, self.n)?;
        let mut writer = TableStream::new(self.raw, vocab_size as u32, &mut *out);
        fill(&self, &mut writer)?;
        writer.finish()?;
        let raw = self.raw;
        for (kind, n, bytes) in self.codebooks() {
            out.begin(kind, n)?;
            out.write_all(&bytes)?;
        }
        Ok(raw)
    }

    /// The codebook sections that follow the table (quantized weights).
    fn codebooks(self) -> impl Iterator<Item = (SectionKind, u16, Vec<u8>)> {
        let n = self.n;
        [
            (SectionKind::ProbCodebook, self.prob),
            (SectionKind::BackoffCodebook, self.backoff),
        ]
        .into_iter()
        .filter_map(move |(kind, coder)| match coder {
            Coder::Book(b) => Some((kind, n, b.to_bytes())),
            Coder::Raw => None,
        })
    }
}

/// The number of sections of a file of `order` with `weights`: four of
/// vocabulary and unigrams, a table per order >= 2 (with two codebooks when
/// quantized), and the layouts.
fn section_count(order: usize, weights: Weights) -> usize {
    let per_order = if weights == Weights::F32 { 1 } else { 3 };
    4 + per_order * (order - 1) + 1
}

/// The layouts section of orders 2..=N.
fn layouts_bytes(layouts: &[RawLayout]) -> Vec<u8> {
    layouts
        .iter()
        .flat_map(|l| bytemuck::bytes_of(l).iter().copied())
        .collect()
}

impl BuildSummary {
    /// The summary of a file with `counts` and sections of these sizes, in order.
    fn new(counts: Vec<u64>, sizes: impl Iterator<Item = (SectionKind, u16, usize)>) -> Self {
        let mut file_bytes = 0u64;
        let mut sections = Vec::new();
        for (kind, order, len) in sizes {
            sections.push((kind.name(), order, len));
            file_bytes = file_bytes.next_multiple_of(8) + len as u64;
        }
        let table_len =
            (crate::format::HEADER_LEN + sections.len() * crate::format::SECTION_ENTRY_LEN) as u64;
        BuildSummary {
            counts,
            sections,
            file_bytes: file_bytes + table_len,
        }
    }
}

/// Assembles the file and its summary from the header and the sections in order,
/// followed by the layouts of orders 2..=N.
fn assemble(
    header: Header,
    sections: Sections,
    layouts: &[RawLayout],
) -> (FileWriter, BuildSummary) {
    let counts = header.counts[..usize::from(header.order)].to_vec();
    let mut file = FileWriter::new(header);
    for (kind, n, bytes) in sections {
        file.add(kind, n, bytes);
    }
    file.add(SectionKind::Layouts, 0, layouts_bytes(layouts));
    let summary = BuildSummary::new(counts, file.sizes());
    (file, summary)
}

fn check_load_factor(opts: BuildOptions) -> Result<(), BuildError> {
    if opts.load_factor > 0.0 && opts.load_factor <= 1.0 {
        Ok(())
    } else {
        Err(BuildError::LoadFactor(opts.load_factor))
    }
}

/// Compiles `set` into the sections of a model file.
///
/// # Errors
/// [`BuildError::TooLarge`] or [`BuildError::LoadFactor`].
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
    check_load_factor(opts)?;
    let order = set.order();
    let vocab_size = set.vocab().len();
    let mut counts = [0u64; MAX_ORDER];
    for (n, c) in counts.iter_mut().enumerate().take(order) {
        *c = set.count(n + 1) as u64;
        if *c >= u64::from(u32::MAX) {
            return Err(BuildError::TooLarge {
                order: n + 1,
                count: *c as usize,
            });
        }
    }
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
    let mut sections = vocab_sections(set.vocab().words(), unigrams.into_iter())?;

    // Placement: slot of every entry of every order (index = order - 1); unigrams'
    // "slot" is their word id.
    let mut slots: Vec<Vec<u32>> = vec![(0..vocab_size as u32).collect()];
    let mut placed: Vec<(Geometry, Placed)> = Vec::new();
    // The context id of every n-gram of order >= 2 (index = order - 2).
    let mut contexts: Vec<Vec<u32>> = Vec::with_capacity(order);
    for n in 2..=order {
        let count = set.count(n);
        let ctx_ids = placed.last().map_or(vocab_size as u64, |p| p.1.num_slots);
        let geometry = Geometry::new(n, count, ctx_ids, vocab_size, opts)?;
        // Arcs go in increasing hashed-key order.
        let mut hashed: Vec<(u64, u32)> = Vec::with_capacity(count);
        let mut ctx_ids: Vec<u32> = Vec::with_capacity(count);
        set.for_each(n, |words, _| {
            let ctx = context_id(set, &slots, words);
            ctx_ids.push(ctx);
            hashed.push((geometry.codec.hash(ctx, words[n - 1]), hashed.len() as u32));
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
        let books = || {
            let mut probs = Vec::new();
            let mut backoffs = Vec::new();
            set.for_each(n, |_, e| {
                probs.push(e.prob);
                if e.extends && n < order {
                    backoffs.push(e.backoff);
                }
            });
            [probs, backoffs].map(|v| Codebook::build(v, opts.weights.bits()))
        };
        let table = TableBuild::new(&geometry, where_, order, opts.weights, books);
        let mut writer = TableWriter::new(table.raw, vocab_size as u32);
        let mut i = 0usize;
        set.for_each(n, |words, e| {
            let (slot, ctx) = (slots[n - 1][i], contexts[n - 2][i]);
            let word = words[n - 1];
            let arc = table.slot(ctx, word, e.prob, e.extends, e.extends_left, e.backoff);
            writer.put(u64::from(slot), &arc);
            i += 1;
        });
        sections.push((SectionKind::Table, table.n, writer.finish()));
        layouts.push(table.raw);
        sections.extend(table.codebooks());
    }
    debug_assert_eq!(sections.len() + 1, section_count(order, opts.weights));
    Ok(assemble(header, sections, &layouts))
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

/// Compiles `set` and writes it to `path` atomically: the bytes go to a
/// temporary file in the same directory, which is renamed over `path` only when
/// complete, so an error or interruption never leaves a partial `path`.
///
/// # Errors
/// See [`compile`], plus I/O errors naming the file.
///
/// ```no_run
/// use dashlm::{arpa::NGramSet, build};
/// let set = NGramSet::read(std::io::BufReader::new(std::fs::File::open("lm.arpa").unwrap()), "lm.arpa").unwrap();
/// let summary = build::write_model(&set, build::BuildOptions::default(), "lm.dlm".as_ref()).unwrap();
/// println!("{summary}");
/// ```
pub fn write_model(
    set: &NGramSet,
    opts: BuildOptions,
    path: &Path,
) -> Result<BuildSummary, BuildError> {
    let (file, summary) = compile(set, opts)?;
    write_file(&file, path)?;
    Ok(summary)
}

/// Writes an assembled model file to `path` atomically: the bytes go to a
/// temporary file in the same directory, which is renamed over `path` only when
/// complete.
///
/// # Errors
/// I/O errors naming the file.
///
/// ```no_run
/// use dashlm::{arpa::NGramSet, build};
/// let set = NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
/// let (file, _) = build::compile(&set, build::BuildOptions::default()).unwrap();
/// build::write_file(&file, "tiny.dlm".as_ref()).unwrap();
/// ```
pub fn write_file(file: &FileWriter, path: &Path) -> Result<(), BuildError> {
    write_atomically(path, |out, _| file.write_to(out).map(Some)).map(|_| ())
}

/// Compiles ARPA text from `input` in one streaming pass (see
/// [`compile_streaming`]) straight into `path`, atomically: the sections go to
/// a temporary file in the same directory as they are built, which is renamed
/// over `path` only when complete. `None` (and `path` untouched) when the model
/// must be built in memory instead.
///
/// # Errors
/// I/O errors naming the file.
///
/// ```
/// use dashlm::{build, Model, LanguageModel};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("tiny.dlm");
/// let text = &include_bytes!("../../data/tiny.arpa")[..];
/// let streamed = build::stream_model(text, build::BuildOptions::default(), &path, |_| {});
/// assert!(streamed.unwrap().is_some());
/// assert_eq!(Model::open(&path).unwrap().order(), 3);
/// ```
pub fn stream_model<R: BufRead + Send>(
    input: R,
    opts: BuildOptions,
    path: &Path,
    progress: impl FnMut(u64),
) -> Result<Option<Streamed>, BuildError> {
    write_atomically(path, |out, dir| {
        Ok(stream::stream(input, opts, out, Some(dir), progress)?.map(|(s, _)| s))
    })
}

/// Compiles ARPA text from `input`, completing it with KenLM's blanks (see
/// [`compile_completing`]), straight into `path`, atomically as
/// [`stream_model`] does. `None` (and `path` untouched) when the input has an
/// error, which [`NGramSet`] reports.
///
/// # Errors
/// I/O errors naming the file.
///
/// ```
/// use dashlm::{build, Model, LanguageModel};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("tiny.dlm");
/// let text = &include_bytes!("../../data/tiny.arpa")[..];
/// let built = build::complete_model(text, build::BuildOptions::default(), &path, |_| {});
/// assert!(built.unwrap().is_some());
/// assert_eq!(Model::open(&path).unwrap().order(), 3);
/// ```
pub fn complete_model<R: BufRead + Send>(
    input: R,
    opts: BuildOptions,
    path: &Path,
    progress: impl FnMut(u64),
) -> Result<Option<Streamed>, BuildError> {
    write_atomically(path, |out, dir| {
        Ok(complete::complete(input, opts, out, Some(dir), progress)?.map(|(s, _)| s))
    })
}

/// Runs `write` on a temporary file in `path`'s directory (given to `write`
/// too) and, when it returns `Some`, syncs the file and renames it over
/// `path`; otherwise (or on any error) the temporary file is removed and
/// `path` is left as it was.
fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&fs::File>, &Path) -> io::Result<Option<T>>,
) -> Result<Option<T>, BuildError> {
    let io_err = |source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".dashlm-build-")
        .tempfile_in(&dir)
        .map_err(io_err)?;
    let mut out = BufWriter::with_capacity(1 << 20, tmp.as_file());
    let Some(value) = write(&mut out, &dir).map_err(io_err)? else {
        return Ok(None);
    };
    out.flush().map_err(io_err)?;
    drop(out);
    tmp.as_file().sync_all().map_err(io_err)?;
    // Temporary files are created private (0600); a model is ordinary data.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(io_err)?;
    }
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(Some(value))
}
