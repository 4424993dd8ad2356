//! What a build takes and gives: [`BuildOptions`], [`BuildError`],
//! [`BuildSummary`].

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::format::{SectionKind, WeightFormat};

/// Options for [`compile`](super::compile).
///
/// ```
/// let opts = dashlm::build::BuildOptions::default();
/// assert_eq!(opts.weights, dashlm::format::WeightFormat::F32);
/// assert!(!opts.raw_f32); // exact codebooks where they are smaller
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BuildOptions {
    /// How weights of orders >= 2 are stored.
    pub weights: WeightFormat,
    /// Arcs per home position, from [`MIN_LOAD_FACTOR`] to 1 (others are an
    /// error): lower is faster and larger.
    pub load_factor: f64,
    /// The load factor of the order-2 table alone, when set (else
    /// `load_factor`). Nearly every query probes that table, so its scans
    /// are the ones emptier slots shorten most: on the shared 4-gram (f32,
    /// dev.txt x 20, 2026-12-02) the order-2 table at load 0.5 made queries
    /// about 1.10-1.13x as fast for 9% more bytes, as fast as every table at
    /// 0.55 (23% more bytes). `None`, the default: `load_factor` as for the
    /// other orders.
    ///
    /// ```
    /// use dashlm::build::{compile, BuildOptions};
    /// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
    /// let emptier = BuildOptions { bigram_load_factor: Some(0.5), ..BuildOptions::default() };
    /// assert_eq!((emptier.load_factor_of(2), emptier.load_factor_of(3)), (0.5, 0.7));
    /// let (a, b) = (compile(&set, BuildOptions::default()), compile(&set, emptier));
    /// assert!(a.unwrap().1.file_bytes < b.unwrap().1.file_bytes);
    /// ```
    pub bigram_load_factor: Option<f64>,
    /// Whether the highest order's table is grouped (its arcs sorted by
    /// context, see [`crate::format::grouped`]) rather than hashed: smaller
    /// (the shared 4-gram's q8 4-grams: 6.4 MB instead of 8.5 MB), each
    /// lookup there a search in its context's arcs.
    pub grouped_top: bool,
    /// f32 weights only: store every weight of the tables as its raw bits too,
    /// never as a code into an exact codebook of a field's distinct values
    /// (which the default does wherever that is smaller; f32 unigrams are
    /// always raw). The file is larger (the shared 4-gram: 68.8 MB instead of
    /// 60.3 MB) and every query takes the all-raw path: fewer instructions
    /// (280 instead of 304 on the shared 4-gram), for when a query's
    /// instructions count more than its cache misses. Scores are the same bit
    /// for bit; quantized weights refuse it ([`BuildError::RawNeedsF32`]).
    pub raw_f32: bool,
}

impl BuildOptions {
    /// The defaults for `weights`: load factor 0.7 for f32 and q16 (the bytes
    /// quotienting saves buy shorter probe runs), 0.96 for q8 (small: run
    /// offsets with block bases, 5-bit offset fields on the shared 4-gram; 0.98
    /// ran 0.84x as fast as 0.95 when q8's highest order was grouped, before
    /// block bases). Every order is hashed: a grouped highest order
    /// (`grouped_top`) is 4.3% smaller on the shared 4-gram and 0.84x as fast.
    ///
    /// ```
    /// use dashlm::{build::BuildOptions, format::WeightFormat};
    /// assert_eq!(BuildOptions::new(WeightFormat::Q16).load_factor, 0.7);
    /// assert_eq!(BuildOptions::new(WeightFormat::Q8).load_factor, 0.96);
    /// assert!(!BuildOptions::new(WeightFormat::Q8).grouped_top);
    /// ```
    pub fn new(weights: WeightFormat) -> BuildOptions {
        let q8 = weights == WeightFormat::Q8;
        BuildOptions {
            weights,
            load_factor: if q8 { 0.96 } else { 0.7 },
            bigram_load_factor: None,
            grouped_top: false,
            raw_f32: false,
        }
    }

    /// The load factor of the table of order `n` (2 or more):
    /// [`BuildOptions::bigram_load_factor`] for order 2 when set, else
    /// [`BuildOptions::load_factor`].
    ///
    /// ```
    /// let opts = dashlm::build::BuildOptions::default();
    /// assert_eq!((opts.load_factor_of(2), opts.load_factor_of(4)), (0.7, 0.7));
    /// ```
    pub fn load_factor_of(&self, n: usize) -> f64 {
        match self.bigram_load_factor {
            Some(load) if n == 2 => load,
            _ => self.load_factor,
        }
    }
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions::new(WeightFormat::F32)
    }
}

/// The least load factor a build accepts: below it the tables are mostly
/// empty (ten times the slots at 0.1) and a tiny factor asks for terabytes.
///
/// ```
/// assert_eq!(dashlm::build::MIN_LOAD_FACTOR, 0.1);
/// ```
pub const MIN_LOAD_FACTOR: f64 = 0.1;

/// Errors from [`write_model`](super::write_model), [`build_file`](super::build_file) and the other builds.
///
/// ```
/// use dashlm::build::{compile, BuildError, BuildOptions};
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// let opts = BuildOptions { load_factor: 1.5, ..BuildOptions::default() };
/// let err = compile(&set, opts).err().unwrap();
/// assert!(matches!(err, BuildError::LoadFactor(x) if x == 1.5));
/// assert_eq!(err.to_string(), "load factor 1.5 is not in [0.1, 1]");
/// let opts = BuildOptions { load_factor: 1e-7, ..BuildOptions::default() };
/// assert!(matches!(compile(&set, opts), Err(BuildError::LoadFactor(_))));
/// let opts = BuildOptions { bigram_load_factor: Some(0.0), ..BuildOptions::default() };
/// let err = compile(&set, opts).err().unwrap();
/// assert_eq!(err.to_string(), "bigram load factor 0 is not in [0.1, 1]");
/// ```
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
    /// Writing the output of [`compile_streaming`](super::compile_streaming)
    /// or [`compile_completing`](super::compile_completing), or a temporary
    /// file of theirs, failed.
    #[error("writing the model: {0}")]
    Write(#[source] io::Error),
    /// An order has more n-grams than the format can index
    /// ([`MAX_SLOTS`](super::MAX_SLOTS)).
    #[error(
        "{}: more than the format's {} per order",
        counted(*.order, *.count, *.declared),
        super::MAX_SLOTS
    )]
    TooLarge {
        /// The order.
        order: usize,
        /// Its n-gram count.
        count: u64,
        /// Whether `count` is the ARPA header's (checked before the
        /// n-grams are read), not the n-grams read.
        declared: bool,
    },
    /// An order's table would need more slots than the format can index
    /// ([`MAX_SLOTS`](super::MAX_SLOTS)): its n-grams at the load factor
    /// asked for, plus the arcs displaced past the last home. A higher load
    /// factor may fit them.
    #[error("{}", too_many_slots(self))]
    TooManySlots {
        /// The order.
        order: usize,
        /// Its n-gram count.
        count: u64,
        /// Whether `count` is the ARPA header's.
        declared: bool,
        /// The load factor asked for (n-grams per home).
        load: f64,
        /// Whether `load` is [`BuildOptions::bigram_load_factor`].
        bigram: bool,
        /// The slots it needs (at least).
        slots: u64,
        /// A higher load factor that leaves room for the arcs displaced
        /// past the last home, if any at most 1 does.
        fits: Option<f64>,
    },
    /// An order's keys would be wider than the format's
    /// [`MAX_KEY_BITS`](crate::format::table::MAX_KEY_BITS): an n-gram's
    /// key holds its context's slot in the order below and its word's id.
    #[error(
        "order {order}'s keys need {} bits ({ctx_bits} for a context's slot in order {}, \
         {word_bits} for a word's id), more than the format's {}",
        ctx_bits + word_bits,
        order - 1,
        crate::format::table::MAX_KEY_BITS
    )]
    KeyTooWide {
        /// The order.
        order: usize,
        /// The bits of a context's slot.
        ctx_bits: u32,
        /// The bits of a word's id.
        word_bits: u32,
    },
    /// An invalid option: a load factor outside [`MIN_LOAD_FACTOR`], 1.
    #[error("load factor {0} is not in [0.1, 1]")]
    LoadFactor(f64),
    /// An invalid option: a [`BuildOptions::bigram_load_factor`] outside
    /// [`MIN_LOAD_FACTOR`], 1.
    #[error("bigram load factor {0} is not in [0.1, 1]")]
    BigramLoadFactor(f64),
    /// An invalid option: [`BuildOptions::raw_f32`] with quantized weights.
    #[error("raw f32 weights need f32 weights, not {}", .0.name())]
    RawNeedsF32(WeightFormat),
    /// An order's table could not be made: its bytes could not be
    /// allocated (or, a bug, the builder computed a layout or a slot the
    /// format refuses).
    #[error("the table of order {order}: {source}")]
    Table {
        /// The order.
        order: usize,
        /// What the table refused.
        #[source]
        source: crate::format::FormatError,
    },
    /// The vocabulary exceeds what the format can index: ids below
    /// `u32::MAX`, offsets of at most 32 bits.
    #[error(
        "the vocabulary has 4294967295 or more words, or more than 4294967295 bytes of them: \
         more than the format's 32-bit ids and offsets"
    )]
    VocabTooLarge,
    /// The input of [`build_file`](super::build_file) could not be opened, or is a
    /// directory, socket or device.
    #[error("{name}: {source}")]
    Input {
        /// The input, as [`input_name`](crate::arpa::input_name) names it.
        name: String,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The input of [`build_file`](super::build_file) is a compiled model.
    #[error(
        "{name}: is a compiled dashlm model, not ARPA text: it needs no building (`dashlm \
         dump` writes it back out as ARPA)"
    )]
    CompiledInput {
        /// The input, as [`input_name`](crate::arpa::input_name) names it.
        name: String,
    },
    /// The ARPA text is invalid (the error names the input and line).
    #[error(transparent)]
    Arpa(#[from] crate::arpa::ArpaError),
}

/// "order N has C n-grams", or the header's claim of them.
fn counted(order: usize, count: u64, declared: bool) -> String {
    if declared {
        format!("the header declares ngram {order}={count}")
    } else {
        format!("order {order} has {count} n-grams")
    }
}

/// The message of [`BuildError::TooManySlots`].
fn too_many_slots(e: &BuildError) -> String {
    let BuildError::TooManySlots {
        order,
        count,
        declared,
        load,
        bigram,
        slots,
        fits,
    } = e
    else {
        return String::new();
    };
    let knob = if *bigram {
        "bigram load factor"
    } else {
        "load factor"
    };
    let advice = match fits {
        Some(x) => format!("a {knob} of at least {x} should fit them"),
        None => "no load factor fits them in a hashed table".to_string(),
    };
    format!(
        "{}, which at {knob} {load} need {slots} slots, more than the format's {} per order: \
         {advice}",
        counted(*order, *count, *declared),
        super::MAX_SLOTS
    )
}

/// What [`compile`](super::compile) produced: counts and section sizes, for `build-lm`'s summary.
///
/// ```
/// use dashlm::build::{compile, BuildOptions};
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
/// let (file, summary) = compile(&set, BuildOptions::default()).unwrap();
/// let mut bytes = Vec::new();
/// file.write_to(&mut bytes).unwrap();
/// assert_eq!(summary.counts, [8, 7, 4]);
/// assert_eq!(summary.added, [0, 0, 0]); // tiny.arpa needs no blanks
/// assert_eq!(summary.file_bytes, bytes.len() as u64);
/// assert!(summary.to_string().starts_with("1-grams: 8\n"));
/// ```
#[derive(Clone, Debug)]
pub struct BuildSummary {
    /// n-grams per order, blanks included.
    pub counts: Vec<u64>,
    /// Of those, the n-grams per order that were not in the file: KenLM's
    /// blanks (missing contexts and suffixes, see
    /// [`NGramSet`](crate::arpa::NGramSet)) and, among the unigrams, `<unk>`
    /// when the file has none.
    ///
    /// ```
    /// use dashlm::{arpa::NGramSet, build};
    /// // `a b </s>` needs the bigrams `a b` (its context) and `b </s>` (its suffix).
    /// let text = "\\data\\\nngram 1=4\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1 <s> -0.5\n-1 </s>\n\
    ///             -1 a -0.3\n-1 b -0.2\n\n\\2-grams:\n-0.5 <s> a\n\n\\3-grams:\n-0.2 a b </s>\n\n\\end\\\n";
    /// let set = NGramSet::read(text.as_bytes(), "blanks.arpa").unwrap();
    /// let (_, summary) = build::compile(&set, build::BuildOptions::default()).unwrap();
    /// assert_eq!((summary.counts, summary.added), (vec![5, 3, 1], vec![1, 2, 0]));
    /// ```
    pub added: Vec<u64>,
    /// `(section name, order, bytes)`.
    pub sections: Vec<(&'static str, u16, usize)>,
    /// Total file bytes.
    pub file_bytes: u64,
}

impl fmt::Display for BuildSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: u64 = self.counts.iter().sum();
        for (i, &c) in self.counts.iter().enumerate() {
            write!(f, "{}-grams: {c}", i + 1)?;
            match self.added.get(i).copied().unwrap_or(0) {
                0 => writeln!(f)?,
                added if i == 0 => writeln!(f, " ({} from the file + <unk>)", c - added)?,
                added => {
                    let s = if added == 1 { "" } else { "s" };
                    writeln!(
                        f,
                        " ({} from the file + {added} blank{s}, as KenLM adds)",
                        c - added
                    )?
                }
            }
        }
        for (name, order, bytes) in &self.sections {
            writeln!(f, "section {name:<16} order {order}: {bytes} bytes")?;
        }
        write!(
            f,
            "total: {} bytes, {:.2} bytes/n-gram over {total} n-grams{}",
            self.file_bytes,
            self.file_bytes as f64 / total.max(1) as f64,
            if self.added.iter().skip(1).any(|&b| b > 0) {
                " (blanks included)"
            } else {
                ""
            }
        )
    }
}

impl BuildSummary {
    /// The summary of a file with `counts` n-grams per order (`added` of them
    /// not from the file) and sections of these sizes, in order.
    pub(super) fn new(
        counts: Vec<u64>,
        added: Vec<u64>,
        sizes: impl Iterator<Item = (SectionKind, u16, usize)>,
    ) -> Self {
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
            added,
            sections,
            file_bytes: file_bytes + table_len,
        }
    }
}

/// Refuses options no build can follow: a load factor (or bigram load
/// factor) outside [`MIN_LOAD_FACTOR`], 1, and raw f32 weights with
/// quantized weights.
pub(super) fn check_options(opts: BuildOptions) -> Result<(), BuildError> {
    let valid = |load: f64| (MIN_LOAD_FACTOR..=1.0).contains(&load);
    if !valid(opts.load_factor) {
        return Err(BuildError::LoadFactor(opts.load_factor));
    }
    if let Some(load) = opts.bigram_load_factor.filter(|&l| !valid(l)) {
        return Err(BuildError::BigramLoadFactor(load));
    }
    if opts.raw_f32 && opts.weights != WeightFormat::F32 {
        return Err(BuildError::RawNeedsF32(opts.weights));
    }
    Ok(())
}
