//! `dashlm inspect MODEL` and `dashlm verify MODEL`.

use std::error::Error;
use std::path::PathBuf;

use dashlm::format;
use dashlm::Model;

/// Print a compiled model's header, sections and sizes.
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
    let model = Model::open(&args.model)?;
    let h = model.header();
    let (_, sections) = format::parse(model.bytes())?;
    println!("file: {}", args.model.display());
    println!("format version: {}", format::VERSION);
    println!("order: {}", h.order);
    println!("weights: {}", h.weights.name());
    println!(
        "vocabulary: {} words (<s> = {}, </s> = {})",
        h.vocab_size, h.bos, h.eos
    );
    for (i, c) in h.counts[..h.order as usize].iter().enumerate() {
        println!("{}-grams: {c}", i + 1);
    }
    println!("sections:");
    for e in sections.iter() {
        println!(
            "  {:<16} order {} offset {:>12} bytes {:>12} crc32 {:#010x}",
            e.kind.name(),
            e.order,
            e.offset,
            e.len,
            e.crc
        );
    }
    let bytes = model.bytes().len() as f64;
    println!(
        "total: {} bytes, {:.2} bytes/n-gram",
        bytes,
        bytes / h.total_ngrams() as f64
    );
    Ok(())
}

pub fn verify(args: VerifyArgs) -> Result<(), Box<dyn Error + Send + Sync>> {
    let model = Model::open(&args.model)?;
    model
        .verify()
        .map_err(|e| format!("{}: {e}", args.model.display()))?;
    println!("{}: OK", args.model.display());
    Ok(())
}
