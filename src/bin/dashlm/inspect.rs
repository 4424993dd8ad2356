//! `dashlm inspect MODEL` and `dashlm verify MODEL`.

use std::error::Error;
use std::io::Write;
use std::path::PathBuf;

use dashlm::format;
use dashlm::Model;

/// Print a compiled model's header, sections and sizes, then check its
/// sections' checksums (as `verify` does).
#[derive(clap::Args)]
pub struct Args {
    /// The compiled model.
    model: PathBuf,
}

/// Check every section checksum of a compiled model.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The compiled model.
    model: PathBuf,
}

pub fn run(args: Args) -> Result<(), Box<dyn Error + Send + Sync>> {
    let model = super::load::open_compiled(&args.model)?;
    // What the header and section table say is printed either way (it helps
    // to tell what a damaged file is); a corrupted section is then an error,
    // as for every other command, also when the output's reader stopped
    // early (`| head`: printing ends quietly then, the check does not).
    let printed = describe(&model, &args.model);
    super::load::verified(&model, &args.model)?;
    printed
}

/// Prints what `inspect` says of `model`, read from `path`.
fn describe(
    model: &Model<format::Mmap>,
    path: &std::path::Path,
) -> Result<(), Box<dyn Error + Send + Sync>> {
    let h = model.header();
    let (_, sections) = format::parse(model.bytes())?;
    // Written, not `println!`ed: a full disk is an error and a closed pipe
    // (`| head`) ends quietly, where `println!` panics.
    let mut out = super::load::stdout();
    writeln!(out, "file: {}", path.display())?;
    // Checked by `open`: a version this build reads.
    let version = format::file_version(model.bytes()).unwrap_or(format::VERSION);
    writeln!(out, "format version: {version}")?;
    writeln!(out, "order: {}", h.order)?;
    writeln!(out, "weights: {}", h.weights.name())?;
    writeln!(
        out,
        "vocabulary: {} words (<s> = {}, </s> = {})",
        h.vocab_size, h.bos, h.eos
    )?;
    for (i, c) in h.counts[..h.order as usize].iter().enumerate() {
        writeln!(out, "{}-grams: {c}", i + 1)?;
    }
    writeln!(out, "sections:")?;
    for e in sections.iter() {
        writeln!(
            out,
            "  {:<16} order {} offset {:>12} bytes {:>12} crc32 {:#010x}",
            e.kind.name(),
            e.order,
            e.offset,
            e.len,
            e.crc
        )?;
    }
    let (prob_bits, backoff_bits) = model.unigram_widths();
    writeln!(
        out,
        "unigrams: {} records of {} bits = prob {prob_bits} + backoff {backoff_bits} (32: raw f32, else a code into the order-1 codebook)",
        h.vocab_size,
        prob_bits + backoff_bits,
    )?;
    let stored = if model.all_raw() {
        "every weight raw f32 bits (queries take the all-raw path)"
    } else {
        "some fields as codes into codebooks (see the widths)"
    };
    writeln!(out, "weights stored: {stored}")?;
    let words_len = sections
        .get(format::SectionKind::VocabBytes, 0)
        .map_or(0, |e| e.len);
    let per_word = |bytes: u64| bytes as f64 * 8.0 / f64::from(h.vocab_size.max(1));
    let offsets = format::vocab::offsets_bytes(h.vocab_size, words_len);
    writeln!(
        out,
        "vocabulary offsets: Elias-Fano, {} low bits, {offsets} bytes ({:.1} bits a word)",
        format::vocab::low_bits(h.vocab_size, words_len),
        per_word(offsets),
    )?;
    let index = format::vocab::index_bytes(h.vocab_size);
    writeln!(
        out,
        "vocabulary index: {} ids of {} bits in {} hash buckets after their groups block, {index} bytes ({:.1} bits a word)",
        h.vocab_size,
        format::table::id_bits(u64::from(h.vocab_size)),
        h.vocab_size,
        per_word(index),
    )?;
    writeln!(
        out,
        "tables (bits per slot: key remainder + displacement or run offset + prob + 2 flags + backoff):"
    )?;
    for (i, (layout, count)) in model.table_layouts().zip(&h.counts[1..]).enumerate() {
        let r = layout.raw();
        if layout.grouped() {
            let groups = format::groups::block_bytes(r.num_homes, r.num_slots);
            writeln!(
                out,
                "  order {}: {count} arcs grouped by {} contexts, {} bits = word {} + prob {}, groups {groups} bytes ({:.2} bits a context){}",
                i + 2,
                r.num_homes,
                r.entry_bits,
                r.word_bits,
                r.prob_bits,
                groups as f64 * 8.0 / r.num_homes.max(1) as f64,
                segmented_books(r),
            )?;
            continue;
        }
        let flags = 2 * u32::from(r.has_nodes);
        writeln!(
            out,
            "  order {}: {count} arcs in {} slots (load {:.3}), {} homes, {}, {} bits = {} + {} + {} + {flags} + {}{}",
            i + 2,
            r.num_slots,
            *count as f64 / r.num_slots.max(1) as f64,
            r.num_homes,
            lookup_kind(layout),
            r.entry_bits,
            layout.rem_bits(),
            r.disp_bits,
            r.prob_bits,
            r.backoff_bits,
            segmented_books(r),
        )?;
    }
    let bytes = model.bytes().len() as f64;
    writeln!(
        out,
        "total: {} bytes, {:.2} bytes/n-gram",
        bytes,
        bytes / h.total_ngrams() as f64
    )?;
    out.flush()?;
    Ok(())
}

/// How a hashed table finds its arcs, as `inspect` says it.
fn lookup_kind(layout: &format::table::Layout) -> String {
    match (layout.raw().runs, layout.raw().base_bits) {
        (0, _) => "scanned".into(),
        (_, 0) => "run offsets".into(),
        (_, bits) => format!(
            "run offsets less {bits}-bit bases per {} slots ({} bytes)",
            format::table::BASE_BLOCK,
            layout.bases_bytes()
        ),
    }
}

pub fn verify(args: VerifyArgs) -> Result<(), Box<dyn Error + Send + Sync>> {
    let model = super::load::open_compiled(&args.model)?;
    super::load::verified(&model, &args.model)?;
    let mut out = super::load::stdout();
    writeln!(out, "{}: OK", args.model.display())?;
    out.flush()?;
    Ok(())
}

/// Which of an order's codebooks are segmented (see
/// `dashlm::format::segmented`), as a suffix of its line: empty if none.
fn segmented_books(r: &format::RawLayout) -> &'static str {
    match (r.prob_segmented, r.backoff_segmented) {
        (0, 0) => "",
        (_, 0) => ", prob codebook segmented",
        (0, _) => ", backoff codebook segmented",
        _ => ", prob and backoff codebooks segmented",
    }
}
