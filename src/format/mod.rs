//! The on-disk layout of a compiled dashlm model (format version 9, the only
//! one read: older files must be rebuilt).
//!
//! This module owns every byte offset, field width and checksum; [`crate::build`]
//! writes through it and [`crate::model`] reads through it.
//!
//! ```
//! use dashlm::format::{self, SectionKind, WeightFormat};
//! # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "t").unwrap();
//! # let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
//! # let mut bytes = Vec::new();
//! # f.write_to(&mut bytes).unwrap();
//! // `bytes`: data/tiny.arpa compiled with f32 weights.
//! let (header, sections) = format::parse(&bytes).unwrap();
//! assert_eq!(bytes[..8], format::MAGIC);
//! assert_eq!((header.order, header.weights, header.vocab_size), (3, WeightFormat::F32, 8));
//! assert_eq!(header.counts[..3], [8, 7, 4]);
//! // `V` unigram records (f32 files: raw f32 probability and backoff, 64
//! // bits), then one table per order 2..=N.
//! assert_eq!(sections.require(SectionKind::Unigrams, 1).unwrap().len, 8 * 8);
//! assert_eq!(sections.require(SectionKind::BackoffCodebook, 1).unwrap().len, 0);
//! // The order-2 table's backoffs: 3-bit codes into their 5 distinct values.
//! assert_eq!(sections.require(SectionKind::BackoffCodebook, 2).unwrap().len, 5 * 4);
//! assert!(sections.get(SectionKind::Table, 3).is_some());
//! assert!(sections.get(SectionKind::Table, 4).is_none());
//! sections.check_gaps(&bytes).unwrap(); // aligned, zero gaps, nothing trailing
//! ```
//!
//! # File layout
//!
//! All integers are little-endian. The sections follow the section table one
//! after another (in the order of their offsets), each starting where the one
//! before ends rounded up to a multiple of 8, the gaps zero; the file ends where
//! the last section ends. So every byte is covered by the header checksum, a
//! section checksum, or the check at open that gaps are zero and nothing trails.
//!
//! | bytes | field |
//! |---|---|
//! | 0..8 | magic `DASHLM\0\x1a` |
//! | 8..10 | byte-order mark `0xFEFF` (reads as `FF FE`) |
//! | 10..12 | format version ([`VERSION`], `9`; any other is refused) |
//! | 12 | order `N` (1..=[`crate::MAX_ORDER`]) |
//! | 13 | weights: 0 = f32, 1 = q16, 2 = q8 |
//! | 14..16 | reserved, zero |
//! | 16..20 | vocabulary size `V` (ids `0..V`, `<unk>` = 0) |
//! | 20..24 | id of `<s>` |
//! | 24..28 | id of `</s>` |
//! | 28..32 | number of sections `S` |
//! | 32..96 | n-gram counts per order 1..=8 (u64 each, blanks included: n-grams the ARPA file lacks that the builder adds, as KenLM does, for a missing context or suffix of a longer n-gram; order 1 = the vocabulary, orders 2..=N may be 0, 0 past `N`) |
//! | 96..124 | reserved, zero |
//! | 124..128 | CRC-32 (IEEE 802.3, zlib's `crc32`, as every checksum here) of bytes 0..124 followed by the section table |
//! | 128..128+32S | section table: per section `kind u16, order u16, reserved u32, offset u64, length u64, crc32 u32, reserved u32` |
//!
//! Sections ([`SectionKind`]), each with its `kind` code and the `order` the
//! section table gives it: `VocabOffsets` (1, order 0), `VocabBytes` (2, 0),
//! `VocabIndex` (3, 0), `Unigrams` (4, 1), `Layouts` (5, 0), `Table` (6, one
//! per order 2..=N), `ProbCodebook` (7) and `BackoffCodebook` (8), one of each
//! per order 1..=N:
//! - `VocabOffsets`: the `V+1` offsets into `VocabBytes` (`off[0] = 0`, `off[V]` its
//!   length `L`), word `i` being bytes `off[i]..off[i+1]`, as an Elias-Fano
//!   sequence: with `l` = [`vocab::low_bits`]`(V, L)` = `floor(log2(L / V))`, a
//!   [groups block](groups) of `L >> l` elements in `V` groups, group `i` holding
//!   `(off[i+1] >> l) - (off[i] >> l)` elements (so its range is
//!   `off[i] >> l..off[i+1] >> l`), then, from the next byte, the `V+1` offsets' low
//!   `l` bits, bit-packed (as `Unigrams`): exactly
//!   [`vocab::offsets_bytes`]`(V, L)` bytes (the shared 4-gram: 166,090, 5.3 bits a
//!   word instead of version 6's 21).
//! - `VocabBytes`: the words' bytes, concatenated (at most `u32::MAX` bytes).
//! - `VocabIndex`: the word ids in `V` buckets, word `w` in bucket
//!   `(h mod 2^32) * V >> 32`, `h` = [`word_hash`]`(w)` ([`vocab::bucket`]): a
//!   [groups block](groups) of `V` elements in `V` groups
//!   ([`groups::block_bytes`]`(V, V)` bytes), then, from the next byte, the `V` ids
//!   ordered by (bucket, id), each `b = max(1, bits_for(V - 1))` bits
//!   ([`table::id_bits`]), bit-packed (as `Unigrams`): exactly
//!   [`vocab::index_bytes`]`(V)` = `block_bytes(V, V) + ceil(V * b / 8)` bytes (the
//!   shared 4-gram: 637,711, 20.3 bits a word). A lookup compares the words of its
//!   bucket's ids (an id `>= V`, from a corrupted file, matches nothing).
//! - `Unigrams`: `V` records of `p + b` bits, bit-packed (bit `i` of the section is bit
//!   `i % 8` of byte `i / 8`): the stored probability (`p` bits) then the stored
//!   backoff (`b` bits). Each is raw f32 bits (32) when the order-1 codebook of its
//!   kind is empty, else a `max(1, bits_for(k - 1))`-bit code into its `k` values;
//!   the section is `ceil(V * (p + b) / 8)` bytes. The stored probability is `-|p|`
//!   with its sign bit clear when a bigram ends with the word (a query must look one
//!   order up); a stored backoff of exactly `-0.0` marks a unigram that is not a
//!   state (KenLM's convention: no bigram has it as context and its backoff is
//!   zero; any other zero backoff is stored `+0.0`). The builder writes the
//!   unigrams of f32 and q16 files raw (a query reads one 64-bit record), and
//!   codes only q8's, each field apart: exactly, into the distinct bit patterns
//!   of its values, when they are at most 2^16 and the codes and codebook are
//!   smaller than raw f32s (the shared 4-gram: 10 + 15 bits a word instead of
//!   64); otherwise (more values, or exact codes no smaller), lossily, into
//!   12-bit codes of 4,096 values that keep each value's sign and zero
//!   ([`crate::build::ClassBook`]) when those are smaller than raw f32s, else
//!   raw. A reader takes codes in any file.
//! - `Layouts`: one [`RawLayout`] (32 bytes) per order 2..=N.
//! - `Table` (order n): the arcs of order n, bit-packed, `num_slots * entry_bits` bits, then
//!   16 bytes of zero padding; hashed (see [`crate::format::table`]; a run-offset
//!   table with `RawLayout::base_bits` > 0 then has its block bases: from the next
//!   byte, `num_slots / 32 + 1` bases of `base_bits` bit-packed, then 8 zero bytes),
//!   or, at the highest order only, grouped (`RawLayout::runs` = 2: the arcs sorted
//!   by context, then a [`groups`] block of one group per context; see [`grouped`]).
//! - `ProbCodebook` / `BackoffCodebook` (order 1, every file): 0 to 2^16 f32 values,
//!   sorted by [`f32::total_cmp`]: the distinct bit patterns of the unigrams' stored
//!   probabilities (backoffs), or a q8 field's 4,096 lossy values; empty = the field
//!   is raw f32 bits (see `Unigrams`).
//! - `ProbCodebook` / `BackoffCodebook` (order n >= 2, every file): the codebook of
//!   the order's `prob_bits` / `backoff_bits` field. Quantized files: 1 to `2^bits` f32
//!   values, sorted, `bits` the fewest (at least 1) that index the codebook, so at
//!   most 8 for q8 and 16 for q16 (an order with 5 distinct probabilities stores 3-bit
//!   codes); or, when the order's layout flags the field as segmented
//!   (`RawLayout::prob_segmented` / `backoff_segmented`; quantized files, codes
//!   of 9 to 16 bits, though the builder segments only q16's fields of more than
//!   [`crate::build::SEGMENTED_ABOVE`] distinct values, into 256 segments with
//!   16-bit codes), 1 to
//!   `2^(bits - 8)` segments of 8 bytes (`base f32, step f32`), code `c` standing
//!   for `base + (c & 255) * step` of segment `c >> 8` (see [`segmented`]; the
//!   generated 10M-n-gram model's q16 codebooks take 2 KiB each instead of 256).
//!   f32 files: empty when the field is raw f32 bits (`bits` = 32), else an
//!   exact codebook as for order 1 (the distinct bit patterns, at most 2^16, sorted by
//!   [`f32::total_cmp`]), chosen by the builder when codes and codebook are smaller
//!   (unless built with `raw_f32`): the shared 4-gram's bigram and trigram backoffs
//!   take 36,655 and 19,187 values, 16 and 15 bits instead of 32. A code past the
//!   end (corruption) decodes as 0. The highest order stores no backoffs
//!   (`backoff_bits` = 0): its backoff codebook is empty in f32 files and the one
//!   value `+0.0` in quantized ones.
//!
//! `Model::open` validates all of this in time independent of the model size
//! (the header, the section table, the gaps between sections, and each
//! section's length against the header's counts); the per-section CRC-32s are
//! checked only by `verify`.

pub mod bits;
mod error;
pub mod grouped;
pub mod groups;
mod header;
mod key;
mod probe;
mod run_bases;
mod sections;
pub mod segmented;
mod sys;
pub mod table;
mod table_stream;
mod table_view;
mod table_write;
pub mod vocab;
mod writer;

pub use error::FormatError;

/// The most values an exact (lossless) codebook holds, so that its codes take
/// at most 16 bits (as q16's do) and a field in an exact codebook is never
/// wider than half its raw f32 bits.
///
/// ```
/// assert_eq!(dashlm::format::MAX_EXACT_VALUES, 65536);
/// ```
pub const MAX_EXACT_VALUES: usize = 1 << 16;
pub use header::{
    Header, RawLayout, SectionEntry, SectionKind, WeightFormat, HEADER_LEN, MAGIC,
    SECTION_ENTRY_LEN, VERSION,
};
pub(crate) use key::inverse;
/// The memory behind [`Model::open`](crate::Model::open) and
/// [`Model::load`](crate::Model::load) (`memmap2`'s map), re-exported so that
/// the type they return can be named without depending on `memmap2`.
///
/// ```
/// use dashlm::LanguageModel;
/// struct Decoder {
///     lm: dashlm::Model<dashlm::format::Mmap>,
/// }
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("tiny.dlm");
/// let text = &include_bytes!("../../data/tiny.arpa")[..];
/// dashlm::build::stream_model(text, dashlm::build::BuildOptions::default(), &path, |_| {}).unwrap();
/// let decoder = Decoder { lm: dashlm::Model::open(&path).unwrap() };
/// assert_eq!(decoder.lm.order(), 3);
/// ```
pub use memmap2::Mmap;
pub use sections::{file_version, parse, starts_like_model, Sections};
#[cfg(unix)]
pub use sys::signal_ignored;
pub use sys::{
    keep_freed_memory, map_file, open_model_file, prefetch, prefetch_items, read_file_huge,
    release_freed_memory_at_once, HugeBuf, Span,
};
pub use vocab::word_hash;
pub use writer::{FileWriter, SectionWriter};
