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
    /// Timed runs per measurement (best and median are reported), at least 1.
    #[arg(long, default_value_t = 5, allow_hyphen_values = true, value_parser = at_least_one)]
    pub repeat: usize,
    /// Repeat the query file until a run has at least this many queries.
    #[arg(long, default_value_t = 1_000_000)]
    pub min_queries: u64,
    /// dashlm variants to build: f32, f32-raw (f32 with `--raw-f32`),
    /// f32-bigram (f32 with `--bigram-load-factor 0.5`), f32-raw-bigram (both),
    /// q16, q16-bigram, q8, q8-grouped (q8 with `--top-order grouped`).
    #[arg(long, default_value = "f32,q16,q8", value_delimiter = ',')]
    pub variants: Vec<String>,
    /// Threads for the multi-thread measurement, at least 1.
    #[arg(long, default_value_t = 2, allow_hyphen_values = true, value_parser = at_least_one)]
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
    /// The `build-lm` binary whose builds are timed (default: next to this
    /// program as cargo lays them out, beside it, or on PATH; without one,
    /// the models are built by this program's own child and the build target
    /// is not judged).
    #[arg(long)]
    pub build_lm: Option<PathBuf>,
    /// KenLM's own query loop (`kenlm-query-loop`, built by
    /// `benches/kenlm_native/build.sh`): times native KenLM probing in a child
    /// process in the same rounds, the peer the native ratios then use.
    #[arg(long)]
    pub kenlm_native_bin: Option<PathBuf>,
}

impl Args {
    /// Refuses, before any work, what would fail or mislead later: an
    /// unknown or repeated variant, a native KenLM figure that is not a
    /// positive number, a native loop that is not an executable file, or one
    /// with `--no-kenlm` (its ratios need KenLM's rows).
    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for v in &self.variants {
            if crate::bench_build::Variant::parse(v).is_none() {
                let names = crate::bench_build::VARIANT_NAMES;
                return Err(format!(
                    "--variants: unknown variant `{v}` (expected {names})"
                ));
            }
            if !seen.insert(v) {
                return Err(format!("--variants: `{v}` is given twice"));
            }
        }
        if let Some(q) = self
            .kenlm_native_qps
            .filter(|q| !(q.is_finite() && *q > 0.0))
        {
            return Err(format!(
                "--kenlm-native-qps: expected a positive number, found {q}"
            ));
        }
        if let Some(bin) = &self.build_lm {
            executable(bin, "--build-lm", "cargo build --release --bin build-lm")?;
        }
        if let Some(bin) = &self.kenlm_native_bin {
            if self.no_kenlm {
                return Err("--kenlm-native-bin needs KenLM's rows: drop --no-kenlm".into());
            }
            executable(bin, "--kenlm-native-bin", "benches/kenlm_native/build.sh")?;
        }
        Ok(())
    }
}

/// An error unless `bin`, given as `flag`, is an executable file (built by
/// `how`).
fn executable(bin: &std::path::Path, flag: &str, how: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let m = std::fs::metadata(bin).map_err(|e| format!("{flag} {}: {e}", bin.display()))?;
    if m.is_file() && m.permissions().mode() & 0o111 != 0 {
        return Ok(());
    }
    Err(format!(
        "{flag} {}: not an executable file (build it with {how})",
        bin.display()
    ))
}

/// `--repeat` and `--threads`: a whole number >= 1.
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}`: expected a whole number >= 1")),
    }
}
