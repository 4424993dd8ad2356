//! `build-lm INPUT OUTPUT`: compile an ARPA model into a dashlm model file.

#[path = "dashlm/load.rs"]
#[allow(dead_code)]
mod load;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use dashlm::build::{self, BuildOptions};
use dashlm::format::Weights;

/// Compile an ARPA language model (plain, .gz or .xz) into a dashlm model.
///
/// The output is written to a temporary file next to OUTPUT and renamed at the
/// end, so an error or interruption never leaves a partial OUTPUT.
#[derive(Parser)]
#[command(name = "build-lm", version)]
struct Args {
    /// The ARPA model to read.
    input: PathBuf,
    /// The model file to write.
    output: PathBuf,
    /// Weight storage: f32 (lossless), q16 or q8 (per-order codebooks).
    #[arg(long, default_value = "f32", value_parser = parse_weights)]
    weights: Weights,
    /// Arcs per hash home (0 < x <= 1): lower is faster and larger
    /// [default: 0.8 for f32, 0.9 for q16 and q8].
    #[arg(long)]
    load_factor: Option<f64>,
}

fn parse_weights(s: &str) -> Result<Weights, String> {
    Weights::from_name(s).ok_or_else(|| format!("expected f32, q16 or q8, found `{s}`"))
}

fn run(args: Args) -> Result<(), Box<dyn Error + Send + Sync>> {
    let start = Instant::now();
    let set = load::read_arpa(&args.input)?;
    let read_secs = start.elapsed().as_secs_f64();
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message("building tables");
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let mut opts = BuildOptions::new(args.weights);
    if let Some(load_factor) = args.load_factor {
        opts.load_factor = load_factor;
    }
    let summary = build::write_model(&set, opts, &args.output);
    bar.finish_and_clear();
    let summary = summary?;
    eprintln!("{summary}");
    eprintln!(
        "wrote {} ({} weights) in {:.2} s (reading {:.2} s)",
        args.output.display(),
        args.weights.name(),
        start.elapsed().as_secs_f64(),
        read_secs
    );
    Ok(())
}

fn main() -> ExitCode {
    load::exit("build-lm", run(Args::parse()))
}
