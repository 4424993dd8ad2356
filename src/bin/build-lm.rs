//! `build-lm INPUT OUTPUT`: compile an ARPA model into a dashlm model file.

#[path = "dashlm/load.rs"]
#[allow(dead_code)]
mod load;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use dashlm::arpa::open_input;
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
    /// [default: 0.7 for f32 and q16, 0.9 for q8].
    #[arg(long)]
    load_factor: Option<f64>,
}

fn parse_weights(s: &str) -> Result<Weights, String> {
    Weights::from_name(s).ok_or_else(|| format!("expected f32, q16 or q8, found `{s}`"))
}

fn run(args: Args) -> Result<(), Box<dyn Error + Send + Sync>> {
    let start = Instant::now();
    let mut opts = BuildOptions::new(args.weights);
    if let Some(load_factor) = args.load_factor {
        opts.load_factor = load_factor;
    }
    // One streaming pass builds complete models; a model that needs completion
    // (or has an error) is read again into memory, which completes it or reports
    // the error. Standard input cannot be read twice, so it goes there directly.
    let streamed = if args.input.as_os_str() == "-" {
        None
    } else {
        stream(&args.input, opts, &args.output)?
    };
    let summary = match streamed {
        Some(s) => {
            if s.unk_added {
                load::note_unk_added(&args.input);
            }
            s.summary
        }
        None => {
            let set = load::read_arpa(&args.input)?;
            let bar = load::styled(
                indicatif::ProgressBar::new_spinner(),
                "{msg} {spinner}",
                "building tables",
            );
            let compiled = build::compile(&set, opts);
            bar.finish_and_clear();
            let (file, summary) = compiled?;
            drop(set);
            let bar = load::styled(
                indicatif::ProgressBar::new_spinner(),
                "{msg} {spinner}",
                "writing",
            );
            let written = build::write_file(&file, &args.output);
            bar.finish_and_clear();
            written?;
            summary
        }
    };
    eprintln!("{summary}");
    eprintln!(
        "wrote {} ({} weights) in {:.2} s",
        args.output.display(),
        args.weights.name(),
        start.elapsed().as_secs_f64(),
    );
    Ok(())
}

/// The streaming pass from `path` into `output`, with a progress bar over the
/// input's bytes; `None` (and `output` untouched) when the model must be built
/// in memory instead.
fn stream(
    path: &std::path::Path,
    opts: BuildOptions,
    output: &std::path::Path,
) -> Result<Option<build::Streamed>, Box<dyn Error + Send + Sync>> {
    let input = open_input(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bar = load::byte_progress(input.file_len, "reading and building tables");
    let progress = input.progress.clone();
    let streamed = build::stream_model(input.into_threaded(), opts, output, |_| {
        bar.set_position(progress.bytes())
    });
    bar.finish_and_clear();
    Ok(streamed?)
}

fn main() -> ExitCode {
    load::exit("build-lm", run(Args::parse()))
}
