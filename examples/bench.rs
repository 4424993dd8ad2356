//! The benchmark harness: every dashlm variant beside KenLM, on one machine, in
//! one run, on your own ARPA file.
//!
//! ```text
//! cargo run --release --example bench -- --arpa LM.arpa[.gz] --queries TEXT \
//!     [--nbest LISTS.jsonl] [--json OUT.json] [--repeat 5] \
//!     [--kenlm-native-bin target/release/kenlm-query-loop]
//! ```
//!
//! What it does, in order:
//! 1. decompresses the ARPA once into the work directory (KenLM reads plain text;
//!    every builder then reads the same plain file);
//! 2. builds each dashlm variant (`build-lm --weights f32|q16|q8`) and KenLM's
//!    probing and trie `-q 8 -b 8` binaries (KenLM's `build_binary`, through
//!    kenlm-rs) as child processes, timing them and taking each child's peak RSS
//!    and CPU time from the OS (`wait4`'s `rusage`);
//! 3. loads KenLM probing from the ARPA in this process (load time, RSS delta)
//!    and opens every binary (`Model::open` = mmap, `Model::load` = read into
//!    huge pages, section checksums checked since session 38; KenLM's lazy mmap and populate loads);
//! 4. runs the same query stream on every system: every word and `</s>` of each
//!    line from `<s>`, the file repeated to at least `--min-queries`, words mapped
//!    to ids before timing; one thread with the stateful API (`--repeat` runs,
//!    best and median: one `full_score` per word, as a decoder queries), one
//!    thread with `score_corpus`'s lookahead (dashlm is told the next word;
//!    KenLM, which has no such API, runs its word-by-word loop again in the same
//!    rounds), dashlm's batched API (`full_score_batch` over every
//!    position's precomputed state), `--threads` threads (the sentences split
//!    between them), and n-best rescoring when `--nbest` is given; with
//!    `--kenlm-native-bin`, KenLM's own C++ loop on the probing binary too, in a
//!    child process (`benches/kenlm_native/`, no FFI), word by word in the same
//!    rounds: the native peer of the "x native KenLM" ratios;
//! 5. checks agreement: log10 sums, perplexity, and the largest per-query
//!    difference from KenLM probing;
//! 6. prints markdown tables, the targets of the store issue, and writes JSON.

use std::error::Error;
use std::ffi::OsString;
use std::time::Instant;

use clap::Parser;
use serde_json::json;

#[path = "support/bench_args.rs"]
mod bench_args;
#[path = "support/bench_build.rs"]
mod bench_build;
// The one module with `unsafe`: KenLM's `build_binary` through FFI, and
// `wait4` for the children's resource usage.
#[allow(unsafe_code)]
#[path = "support/bench_child.rs"]
mod bench_child;
#[path = "support/bench_inputs.rs"]
mod bench_inputs;
#[path = "support/bench_load.rs"]
mod bench_load;
#[path = "support/bench_machine.rs"]
mod bench_machine;
#[path = "support/bench_measure.rs"]
mod bench_measure;
#[path = "support/bench_output.rs"]
mod bench_output;
#[path = "support/bench_report.rs"]
mod bench_report;
#[path = "support/bench_systems.rs"]
mod bench_systems;
#[path = "support/bench_targets.rs"]
mod bench_targets;
#[path = "support/bench_timing.rs"]
mod bench_timing;
#[path = "support/exit.rs"]
mod exit;
#[path = "support/native.rs"]
mod native;
#[path = "support/stream.rs"]
mod stream;

use bench_args::Args;
use bench_inputs::Inputs;
use bench_output::Results;
use bench_report::Report;

/// What the harness's steps return.
type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The steps, in order: inputs, builds, loads, measurements, output.
fn try_main() -> Res<()> {
    let argv: Vec<OsString> = std::env::args_os().collect();
    bench_child::run_child_mode(&argv);
    let args = Args::parse();
    args.check()?;
    // Ctrl-C, SIGTERM or SIGHUP removes the temporary work directory (the
    // decompressed model and every built file) instead of leaving it.
    dashlm::atomic::remove_unfinished_on_interrupt()?;
    // The JSON output is made now, so that a path that cannot be written
    // fails before the work, not after it; it is put in place at the end.
    let json = match &args.json {
        Some(path) => Some(
            dashlm::atomic::PendingFile::create(path)
                .map_err(|e| format!("--json {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let started = Instant::now();
    let mut machine = bench_machine::machine();
    eprintln!("bench: machine {machine}");

    let inputs = Inputs::prepare(&args)?;
    let built = bench_build::build_all(&args, &inputs.workdir, &inputs.plain)?;
    // After the builds: the chase's memory would count in their peak RSS.
    let chase = bench_machine::memory_latency_ns();
    machine["memory_latency_ns"] = json!((chase * 10.0).round() / 10.0);
    let (mut rows, systems) = bench_load::load_all(&args, &inputs, built)?;
    let lossy_kenlm_rs = inputs.queries.not_utf8_words() > 0;
    let diff_reference = bench_measure::measure(
        &args,
        inputs.nbest.as_deref(),
        systems,
        &mut rows,
        lossy_kenlm_rs,
    )?;
    machine["loadavg_end"] = json!(bench_machine::loadavg());
    let report = Report::new(rows, inputs.ngrams, inputs.queries.per_pass, &args);

    let targets = report.targets();
    let results = Results {
        args: &args,
        inputs: &inputs,
        machine: &machine,
        report: &report,
        targets: &targets,
        diff_reference,
    };
    println!("{}", results.text());
    if let (Some(path), Some(out)) = (&args.json, json) {
        results
            .write_json(out, &argv, started)
            .map_err(|e| format!("--json {}: {e}", path.display()))?;
        eprintln!("bench: wrote {}", path.display());
    }
    if args.workdir.is_some() {
        eprintln!("bench: models kept in {}", inputs.workdir.display());
    }
    Ok(())
}

/// Runs the example (errors: see [`exit::report`]).
fn main() -> std::process::ExitCode {
    exit::report("bench", try_main())
}
