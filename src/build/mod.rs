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

mod codebook;

use std::fmt;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub use codebook::Codebook;

use crate::arpa::{Entry, NGramSet};
use crate::format::table::{id_bits, KeyCodec, Slot, TableWriter, Widths, MAX_KEY_BITS};
use crate::format::{vocab, FileWriter, Header, SectionKind, Weights};
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
    /// The defaults for `weights`: load factor 0.8 for f32, 0.9 for the quantized
    /// variants (whose narrower slots make longer probe runs cheap).
    ///
    /// ```
    /// use dashlm::{build::BuildOptions, format::Weights};
    /// assert_eq!(BuildOptions::new(Weights::Q16).load_factor, 0.9);
    /// ```
    pub fn new(weights: Weights) -> BuildOptions {
        let load_factor = if weights == Weights::F32 { 0.8 } else { 0.9 };
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
    fn new(weights: Weights, values: Vec<f32>) -> Coder {
        match weights {
            Weights::F32 => Coder::Raw,
            q => Coder::Book(Codebook::build(values, q.bits())),
        }
    }

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
fn unigram_prob(e: &Entry) -> f32 {
    if e.extends_left {
        e.prob.abs()
    } else {
        -e.prob.abs()
    }
}

/// The backoff of a unigram as stored: `-0.0` marks one that is not a state.
fn unigram_backoff(e: &Entry) -> f32 {
    match (e.extends, e.backoff == 0.0) {
        (false, _) => -0.0,
        (true, true) => 0.0,
        (true, false) => e.backoff,
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
    if !(opts.load_factor > 0.0 && opts.load_factor <= 1.0) {
        return Err(BuildError::LoadFactor(opts.load_factor));
    }
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
    let mut file = FileWriter::new(header);
    let v = vocab::encode(set.vocab().words());
    file.add(SectionKind::VocabOffsets, 0, v.offsets);
    file.add(SectionKind::VocabBytes, 0, v.bytes);
    file.add(SectionKind::VocabIndex, 0, v.index);
    let mut unigrams = Vec::with_capacity(vocab_size * 8);
    set.for_each(1, |_, e| {
        unigrams.extend_from_slice(&unigram_prob(e).to_le_bytes());
        unigrams.extend_from_slice(&unigram_backoff(e).to_le_bytes());
    });
    file.add(SectionKind::Unigrams, 1, unigrams);

    // Placement: slot of every entry of every order (index = order - 1); unigrams'
    // "slot" is their word id.
    let mut slots: Vec<Vec<u32>> = vec![(0..vocab_size as u32).collect()];
    let mut layouts = Vec::new();
    // The context id of every n-gram of order >= 2 (index = order - 2).
    let mut contexts: Vec<Vec<u32>> = Vec::with_capacity(order);
    let word_bits = crate::format::bits::bits_for(vocab_size as u64);
    for n in 2..=order {
        let count = set.count(n);
        let num_homes = ((count as f64 / opts.load_factor).ceil() as u64).max(1);
        let ctx_bits = id_bits(if n == 2 {
            vocab_size as u64
        } else {
            layouts_slots(&layouts, n - 1)
        });
        if ctx_bits + word_bits > MAX_KEY_BITS {
            return Err(BuildError::TooLarge { order: n, count });
        }
        // Arcs go in increasing hashed-key order, each at the first free slot at
        // or after its home (see crate::format::table).
        let codec = KeyCodec::new(ctx_bits, word_bits);
        let mut hashed: Vec<(u64, u32)> = Vec::with_capacity(count);
        let mut ctx_ids: Vec<u32> = Vec::with_capacity(count);
        set.for_each(n, |words, _| {
            let ctx = context_id(set, &slots, words);
            ctx_ids.push(ctx);
            hashed.push((codec.hash(ctx, words[n - 1]), hashed.len() as u32));
        });
        hashed.sort_unstable();
        let mut slot_of = vec![0u32; count];
        let mut next = 0u64;
        for &(h, idx) in &hashed {
            let s = codec.home(h, num_homes).max(next);
            slot_of[idx as usize] = s as u32;
            next = s + 1;
        }
        let num_slots = next.max(num_homes);
        if num_slots >= u64::from(u32::MAX) {
            return Err(BuildError::TooLarge { order: n, count });
        }
        layouts.push((num_homes, num_slots, ctx_bits));
        slots.push(slot_of);
        contexts.push(ctx_ids);
    }

    let mut raw_layouts = Vec::new();
    for n in 2..=order {
        let (num_homes, num_slots, ctx_bits) = layouts[n - 2];
        let mut probs = Vec::new();
        let mut backoffs = Vec::new();
        set.for_each(n, |_, e| {
            probs.push(e.prob);
            if e.extends && n < order {
                backoffs.push(e.backoff);
            }
        });
        let prob_coder = Coder::new(opts.weights, probs);
        let backoff_coder = Coder::new(opts.weights, backoffs);
        let widths = Widths {
            ctx: ctx_bits,
            word: word_bits,
            prob: opts.weights.bits(),
            nodes: n < order,
            backoff: opts.weights.bits(),
        };
        let raw = widths.layout(num_homes, num_slots);
        let mut table = TableWriter::new(raw, vocab_size as u32);
        let mut i = 0usize;
        set.for_each(n, |words, e| {
            let node = n < order && e.extends;
            table.put(
                u64::from(slots[n - 1][i]),
                &Slot {
                    ctx: contexts[n - 2][i],
                    word: words[n - 1],
                    prob: prob_coder.encode(e.prob),
                    node,
                    left: n < order && e.extends_left,
                    backoff: if node {
                        backoff_coder.encode(e.backoff)
                    } else {
                        0
                    },
                },
            );
            i += 1;
        });
        file.add(SectionKind::Table, n as u16, table.finish());
        for (kind, coder) in [
            (SectionKind::ProbCodebook, &prob_coder),
            (SectionKind::BackoffCodebook, &backoff_coder),
        ] {
            if let Coder::Book(b) = coder {
                file.add(kind, n as u16, b.to_bytes());
            }
        }
        raw_layouts.extend_from_slice(bytemuck::bytes_of(&raw));
    }
    file.add(SectionKind::Layouts, 0, raw_layouts);
    let mut file_bytes = 0u64;
    let mut sections = Vec::new();
    for (kind, order, len) in file.sizes() {
        sections.push((kind.name(), order, len));
        file_bytes = file_bytes.next_multiple_of(8) + len as u64;
    }
    let table_len =
        (crate::format::HEADER_LEN + sections.len() * crate::format::SECTION_ENTRY_LEN) as u64;
    let summary = BuildSummary {
        counts: counts[..order].to_vec(),
        sections,
        file_bytes: file_bytes + table_len,
    };
    Ok((file, summary))
}

fn layouts_slots(layouts: &[(u64, u64, u32)], n: usize) -> u64 {
    layouts[n - 2].1
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
    file.write_to(&mut out).map_err(io_err)?;
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
    if let Ok(meta) = fs::metadata(path) {
        debug_assert_eq!(meta.len(), summary.file_bytes);
    }
    Ok(summary)
}
