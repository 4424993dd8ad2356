//! The command line of `examples/bench.rs`.

use std::path::PathBuf;

use clap::Parser;
use dashlm::rescore::Format;

/// Compare dashlm's variants with KenLM on one ARPA model and one query stream.
#[derive(Parser)]
#[command(name = "bench")]
pub struct Args {
    /// The ARPA model (plain, .gz or .xz).
    #[arg(long)]
    pub arpa: PathBuf,
    /// Query text: one sentence per line.
    #[arg(long)]
    pub queries: PathBuf,
    /// N-best lists to rescore (optional).
    #[arg(long)]
    pub nbest: Option<PathBuf>,
    /// Format of --nbest: jsonl, srilm or kaldi.
    #[arg(long, default_value = "jsonl")]
    pub nbest_format: Format,
    /// Write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Timed runs per measurement (best and median are reported).
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Repeat the query file until a run has at least this many queries.
    #[arg(long, default_value_t = 1_000_000)]
    pub min_queries: u64,
    /// dashlm variants to build: f32, f32-raw (f32 with `--raw-f32`),
    /// f32-bigram (f32 with `--bigram-load-factor 0.5`), f32-raw-bigram (both),
    /// q16, q16-bigram, q8, q8-hashed (q8 with `--top-order hashed
    /// --load-factor 0.96`).
    #[arg(long, default_value = "f32,q16,q8", value_delimiter = ',')]
    pub variants: Vec<String>,
    /// Threads for the multi-thread measurement.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Where to write the built models (default: a temporary directory, removed
    /// at the end). Files in a given directory are kept.
    #[arg(long)]
    pub workdir: Option<PathBuf>,
    /// Skip KenLM (dashlm only).
    #[arg(long)]
    pub no_kenlm: bool,
    /// Skip KenLM's trie -q 8 -b 8 (its build is the slowest step).
    #[arg(long)]
    pub no_kenlm_trie: bool,
    /// KenLM's native probing queries/s on this machine (e.g. from kenlm_benchmark),
    /// for a second ratio column; it is not measured by this program.
    #[arg(long)]
    pub kenlm_native_qps: Option<f64>,
    /// Where the native figure comes from (printed with it).
    #[arg(long, default_value = "published")]
    pub kenlm_native_source: String,
    /// KenLM's own query loop (`kenlm-query-loop`, built by
    /// `benches/kenlm_native/build.sh`): times native KenLM probing in a child
    /// process in the same rounds, the peer the native ratios then use.
    #[arg(long)]
    pub kenlm_native_bin: Option<PathBuf>,
}
