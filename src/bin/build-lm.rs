//! `build-lm INPUT OUTPUT`: compile an ARPA model into a dashlm model file.

#[path = "dashlm/load.rs"]
#[allow(dead_code)]
mod load;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use dashlm::build::{self, BuildOptions, BuildStep};
use dashlm::format::WeightFormat;

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
    weights: WeightFormat,
    /// Arcs per hash home (0.1 <= x <= 1): lower is faster and larger
    /// [default: 0.7 for f32 and q16, 0.96 for q8].
    #[arg(long, allow_hyphen_values = true)]
    load_factor: Option<f64>,
    /// The order-2 table's load factor alone (0.1 <= x <= 1): nearly every
    /// query probes it, so it is where emptier slots speed queries most (the
    /// shared 4-gram: 0.5 makes queries about 1.1x as fast for 9% more
    /// bytes) [default: the load factor of the other orders].
    #[arg(long, allow_hyphen_values = true)]
    bigram_load_factor: Option<f64>,
    /// The highest order's table: hashed, or grouped (arcs sorted by
    /// context: smaller, a search per lookup). The shared 4-gram's q8 file
    /// with `--top-order grouped` is 4.3% smaller and its queries about
    /// 0.84x as fast [default: hashed].
    #[arg(long, value_parser = ["hashed", "grouped"])]
    top_order: Option<String>,
    /// With f32 weights: store the tables' weights as raw bits too, never as
    /// codes into an exact codebook of a field's distinct values. A larger file
    /// (the shared 4-gram: 68.8 MB instead of 60.3 MB) whose queries take
    /// fewer instructions (280 instead of 304); the same scores.
    #[arg(long)]
    raw_f32: bool,
}

fn parse_weights(s: &str) -> Result<WeightFormat, String> {
    WeightFormat::from_name(s).ok_or_else(|| format!("expected f32, q16 or q8, found `{s}`"))
}

fn run(args: Args) -> Result<(), Box<dyn Error + Send + Sync>> {
    let start = Instant::now();
    load::refuse_overwrite(&args.output, &[(&args.input, "the input file")])?;
    refuse_special_output(&args.output)?;
    let mut opts = BuildOptions::new(args.weights);
    if let Some(load_factor) = args.load_factor {
        opts.load_factor = load_factor;
    }
    opts.bigram_load_factor = args.bigram_load_factor;
    if let Some(top) = &args.top_order {
        opts.grouped_top = top == "grouped";
    }
    if args.raw_f32 && args.weights != WeightFormat::F32 {
        let found = args.weights.name();
        return Err(format!("--raw-f32 needs --weights f32 (found --weights {found})").into());
    }
    opts.raw_f32 = args.raw_f32;
    // One streaming pass, or two, or one into memory (see `build_file`), a
    // progress bar for each step.
    let mut bar: Option<(BuildStep, indicatif::ProgressBar)> = None;
    let built = build::build_file(&args.input, opts, &args.output, |step, bytes, len| {
        if bar.as_ref().map(|(s, _)| *s) != Some(step) {
            if let Some((_, old)) = bar.take() {
                old.finish_and_clear();
            }
            bar = Some((step, step_bar(step, len)));
        }
        if let Some((_, b)) = &bar {
            b.set_position(bytes);
        }
    });
    if let Some((_, b)) = bar {
        b.finish_and_clear();
    }
    let built = built?;
    if built.unk_added {
        load::note_unk_added(&args.input);
    }
    let summary = built.summary;
    load::note!("{summary}");
    load::note!(
        "wrote {} ({} weights) in {:.2} s",
        args.output.display(),
        args.weights.name(),
        start.elapsed().as_secs_f64(),
    );
    Ok(())
}

/// An error if `output` exists and is not a regular file: a directory, FIFO or
/// device would be replaced by the rename that puts a finished file in place.
/// `-` is refused too (it would name a file `-`, where it means standard
/// input for INPUT), and so is a name ending in `.gz` or `.xz` (the model
/// would be written plain under it).
fn refuse_special_output(output: &std::path::Path) -> Result<(), String> {
    if load::is_dash(output) {
        return Err(
            "OUTPUT `-`: a model is written to a file (renamed into place when \
                    complete), not to standard output; give a path"
                .into(),
        );
    }
    let compression = dashlm::arpa::Compression::of_name(output);
    if compression != dashlm::arpa::Compression::None {
        return Err(format!(
            "{}: a compiled model is memory-mapped as it is, never compressed (other \
             outputs named `.gz` or `.xz` are): give OUTPUT a name without that ending",
            output.display()
        ));
    }
    match std::fs::metadata(output) {
        Ok(m) if m.is_dir() => Err(format!(
            "{}: is a directory, not a file to write",
            output.display()
        )),
        Ok(m) if !m.is_file() => Err(format!(
            "{}: is a FIFO, socket or device, not a file to write",
            output.display()
        )),
        _ => Ok(()),
    }
}

/// The progress bar of a step of the build: the input's bytes while it is
/// read, else a spinner.
fn step_bar(step: BuildStep, len: Option<u64>) -> indicatif::ProgressBar {
    let spinner = |message| {
        load::styled(
            indicatif::ProgressBar::new_spinner(),
            "{msg} {spinner}",
            message,
        )
    };
    match step {
        BuildStep::Stream => load::byte_progress(len, "reading and building tables"),
        BuildStep::Complete => load::byte_progress(len, "reading and completing (blanks needed)"),
        BuildStep::Compile => spinner("building tables"),
        BuildStep::Write => spinner("writing"),
        _ => load::byte_progress(len, "reading ARPA"),
    }
}

fn main() -> ExitCode {
    // A build frees blocks of megabytes between phases: give them back at once.
    dashlm::format::release_freed_memory_at_once();
    // Ctrl-C removes the hidden temporary output too, not only the rename.
    let _ = dashlm::atomic::remove_unfinished_on_interrupt();
    load::exit("build-lm", run(Args::parse()))
}
