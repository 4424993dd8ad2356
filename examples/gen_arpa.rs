//! Generates a large, realistic, valid ARPA model (and query sentences sampled
//! from it) for benchmarks; see `examples/support/synth.rs` for the model.
//!
//! ```text
//! cargo run --release --example gen_arpa -- --ngrams 10M --out gen10m.arpa \
//!     --queries gen10m.txt --validate
//! ```
//!
//! The output is plain ARPA, or gzip/xz by the extension (`.gz`, `.xz`). Memory:
//! about 40 bytes per n-gram while generating (2 GB for 50M n-grams).

use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use dashlm::arpa::{Compressed, Compression};

#[path = "support/exit.rs"]
mod exit;
#[path = "support/synth.rs"]
mod synth;

/// Generate a seeded, realistic ARPA backoff model.
#[derive(Parser)]
#[command(name = "gen_arpa")]
struct Args {
    /// Total n-grams to generate (suffixes k, M, G allowed: 10M).
    #[arg(long, value_parser = parse_count)]
    ngrams: u64,
    /// Output ARPA file (.gz or .xz to compress).
    #[arg(long)]
    out: PathBuf,
    /// Model order.
    #[arg(long, default_value_t = 4)]
    order: usize,
    /// Unigrams (vocabulary size incl. <unk>, <s>, </s>) [default: ~5% of n-grams].
    #[arg(long, value_parser = parse_count)]
    vocab: Option<u64>,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Zipf exponent of unigram frequencies.
    #[arg(long, default_value_t = 1.0)]
    zipf: f64,
    /// Zipf exponent of continuation probabilities within a context.
    #[arg(long, default_value_t = 1.0)]
    child_zipf: f64,
    /// Fan-out exponent beta for contexts of order >= 2 (fan-out ~ frequency^beta).
    #[arg(long, default_value_t = 0.7)]
    fanout_exponent: f64,
    /// Fraction of n-grams of order >= 3 whose suffix is absent (pruned).
    #[arg(long, default_value_t = 0.01)]
    missing_suffix: f64,
    /// Also write sentences sampled from the model here (one per line).
    #[arg(long)]
    queries: Option<PathBuf>,
    /// Number of sampled sentences.
    #[arg(long, default_value_t = 5000)]
    sentences: usize,
    /// Fraction of query words replaced by out-of-vocabulary words.
    #[arg(long, default_value_t = 0.013)]
    oov_rate: f64,
    /// gzip level for .gz output.
    #[arg(long, default_value_t = 1)]
    gzip_level: u32,
    /// Read the written file back with dashlm's ARPA reader and check the counts.
    #[arg(long)]
    validate: bool,
}

fn parse_count(s: &str) -> Result<u64, String> {
    let (num, mult) = match s.as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 1e3),
        Some(b'm' | b'M') => (&s[..s.len() - 1], 1e6),
        Some(b'g' | b'G') => (&s[..s.len() - 1], 1e9),
        _ => (s, 1.0),
    };
    num.parse::<f64>()
        .map(|v| (v * mult).round() as u64)
        .map_err(|e| format!("`{s}`: {e}"))
}

/// `path` created for writing, compressed as its name asks (`.gz` at
/// `gzip_level`, `.xz` at 6); finish it to end the compressed stream.
fn create(path: &Path, gzip_level: u32) -> std::io::Result<Compressed<BufWriter<File>>> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let compression = Compression::of_name(path);
    let level = if compression == Compression::Xz {
        6
    } else {
        gzip_level
    };
    Ok(Compressed::new(file, compression, level))
}

fn try_main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let args = Args::parse();
    if !(1..=8).contains(&args.order) {
        return Err("--order must be 1 to 8".into());
    }
    // Generating takes about 40 bytes per n-gram: past this the allocation
    // aborts the process instead of returning an error.
    if args.ngrams > 10_000_000_000 {
        return Err(format!("--ngrams {}: at most 10G", args.ngrams).into());
    }
    for (name, value) in [
        ("--zipf", args.zipf),
        ("--child-zipf", args.child_zipf),
        ("--fanout-exponent", args.fanout_exponent),
    ] {
        if !value.is_finite() || value < 0.0 {
            return Err(format!("{name} {value}: expected a finite number >= 0").into());
        }
    }
    for (name, value) in [
        ("--missing-suffix", args.missing_suffix),
        ("--oov-rate", args.oov_rate),
    ] {
        if !(0.0..=1.0).contains(&value) {
            return Err(format!("{name} {value}: expected a fraction from 0 to 1").into());
        }
    }
    if args.gzip_level > 9 {
        return Err(format!("--gzip-level {}: expected 0 to 9", args.gzip_level).into());
    }
    let params = synth::Params {
        order: args.order,
        ngrams: args.ngrams,
        vocab: args.vocab,
        seed: args.seed,
        zipf: args.zipf,
        child_zipf: args.child_zipf,
        fanout_exponent: args.fanout_exponent,
        missing_suffix: args.missing_suffix,
    };
    let start = Instant::now();
    let model = synth::Synth::generate(&params);
    eprintln!(
        "generated {} n-grams in {:.1} s",
        model.total(),
        start.elapsed().as_secs_f64()
    );
    for (n, s) in model.stats.iter().enumerate() {
        eprintln!(
            "  {}-grams: {:>11}  contexts {:>11} ({:.2})  fan-out max {:>7} p99 {:>5} median {:>3} =1 {:.2}  missing suffix {}",
            n + 1,
            s.count,
            s.contexts,
            s.contexts as f64 / s.count.max(1) as f64,
            s.max_fanout,
            s.fanout_p99,
            s.fanout_median,
            s.fanout_ones,
            s.missing_suffix
        );
    }
    let start = Instant::now();
    {
        let name = args.out.display();
        let mut out = create(&args.out, args.gzip_level).map_err(|e| format!("{name}: {e}"))?;
        model
            .write_arpa(&mut out)
            .and_then(|()| out.finish())
            .map_err(|e| format!("{name}: {e}"))?;
    }
    eprintln!(
        "wrote {} in {:.1} s",
        args.out.display(),
        start.elapsed().as_secs_f64()
    );
    if let Some(q) = &args.queries {
        let name = q.display();
        let mut out = BufWriter::new(File::create(q).map_err(|e| format!("{name}: {e}"))?);
        let words = model
            .write_sentences(&mut out, args.sentences, args.oov_rate, args.seed)
            .and_then(|w| out.flush().map(|()| w))
            .map_err(|e| format!("{name}: {e}"))?;
        eprintln!(
            "wrote {} sentences ({words} words, {:.1} per sentence) to {}",
            args.sentences,
            words as f64 / args.sentences.max(1) as f64,
            q.display()
        );
    }
    let counts = model.counts();
    drop(model);
    if args.validate {
        let start = Instant::now();
        let input = dashlm::arpa::open_input(&args.out)
            .map_err(|e| format!("{}: {e}", args.out.display()))?;
        let set = dashlm::arpa::NGramSet::read(input.reader, &args.out.display().to_string())?;
        let mut blanks = 0;
        for (n, &c) in counts.iter().enumerate() {
            let got = set.count(n + 1) as u64;
            if got < c {
                return Err(format!("order {}: read {got} n-grams, wrote {c}", n + 1).into());
            }
            blanks += got - c;
        }
        // Every n-gram's context must be in the file (not a blank dashlm added).
        for n in 2..=counts.len() {
            let mut missing = 0u64;
            set.for_each(n, |words, e| {
                if !e.blank && set.get(&words[..n - 1]).is_none_or(|c| c.blank) {
                    missing += 1;
                }
            });
            if missing > 0 {
                return Err(format!("order {n}: {missing} n-grams without their context").into());
            }
        }
        eprintln!(
            "validated with dashlm's ARPA reader in {:.1} s: counts match, every context present, {blanks} blank n-grams added for missing suffixes",
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Runs the example (errors: see [`exit::report`]).
fn main() -> std::process::ExitCode {
    exit::report("gen_arpa", try_main())
}
