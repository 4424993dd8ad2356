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
//!    huge pages; KenLM's lazy mmap and populate loads);
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
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::Parser;
use dashlm::format::Weights;
use dashlm::rescore::{self, Format, NbestList};
use dashlm::{FullScore, LanguageModel, WordId};
use serde_json::{json, Value};

#[path = "support/exit.rs"]
mod exit;
#[path = "support/native.rs"]
mod native;
#[path = "support/stream.rs"]
mod stream;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

const CHILD_KENLM: &str = "--child-kenlm-build-binary";
/// The row of KenLM's own query loop, timed in a child (`--kenlm-native-bin`).
const NATIVE: &str = "KenLM probing, native C++ (kenlm-query-loop)";
const CHILD_BUILD: &str = "--child-build-lm";

const CAVEAT: &str = "KenLM is measured in-process through kenlm-rs 0.1.0 (probing built from \
the same ARPA): every base_score call crosses an FFI boundary (an extern \"C\" wrapper that \
catches C++ exceptions, plus kenlm-rs's per-call state checks on heap-allocated Vec<u8> \
states), so kenlm-rs is slower than KenLM's native C++ query loop. Ratios marked \"x kenlm-rs\" \
are against this in-process peer. \"x native KenLM\" is against KenLM's own C++ loop \
(kenlm-query-loop, built by benches/kenlm_native/build.sh against the same KenLM code) timed \
in a child in the same rounds when --kenlm-native-bin is given, else against the figure of \
--kenlm-native-qps. KenLM build times are build_binary's C++ code run by kenlm-rs in a child \
process (the same code as KenLM's build_binary, compiled by the cc crate).";

/// Compare dashlm's variants with KenLM on one ARPA model and one query stream.
#[derive(Parser)]
#[command(name = "bench")]
struct Args {
    /// The ARPA model (plain, .gz or .xz).
    #[arg(long)]
    arpa: PathBuf,
    /// Query text: one sentence per line.
    #[arg(long)]
    queries: PathBuf,
    /// N-best lists to rescore (optional).
    #[arg(long)]
    nbest: Option<PathBuf>,
    /// Format of --nbest: jsonl, srilm or kaldi.
    #[arg(long, default_value = "jsonl")]
    nbest_format: Format,
    /// Write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Timed runs per measurement (best and median are reported).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Repeat the query file until a run has at least this many queries.
    #[arg(long, default_value_t = 1_000_000)]
    min_queries: u64,
    /// dashlm weight variants to build.
    #[arg(long, default_value = "f32,q16,q8", value_delimiter = ',')]
    variants: Vec<String>,
    /// Threads for the multi-thread measurement.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Where to write the built models (default: a temporary directory, removed
    /// at the end). Files in a given directory are kept.
    #[arg(long)]
    workdir: Option<PathBuf>,
    /// Skip KenLM (dashlm only).
    #[arg(long)]
    no_kenlm: bool,
    /// Skip KenLM's trie -q 8 -b 8 (its build is the slowest step).
    #[arg(long)]
    no_kenlm_trie: bool,
    /// KenLM's native probing queries/s on this machine (e.g. from kenlm_benchmark),
    /// for a second ratio column; it is not measured by this program.
    #[arg(long)]
    kenlm_native_qps: Option<f64>,
    /// Where the native figure comes from (printed with it).
    #[arg(long, default_value = "published")]
    kenlm_native_source: String,
    /// KenLM's own query loop (`kenlm-query-loop`, built by
    /// `benches/kenlm_native/build.sh`): times native KenLM probing in a child
    /// process in the same rounds, the peer the native ratios then use.
    #[arg(long)]
    kenlm_native_bin: Option<PathBuf>,
}

// ---------------------------------------------------------------- machine

fn read_or_empty(path: &str) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

fn loadavg() -> String {
    read_or_empty("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn machine() -> Value {
    let cpuinfo = read_or_empty("/proc/cpuinfo");
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown".to_string(), |s| s.trim().to_string());
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split(':').nth(1))
            .map(|s| s.trim().to_string())
    };
    let mem_kib: Option<u64> = read_or_empty("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok());
    json!({
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "cpu_model": cpu_model,
        "cpu_mhz": field("cpu MHz"),
        "cache_size": field("cache size"),
        "mem_total_gib": mem_kib.map(|k| (k as f64 / 1048576.0 * 10.0).round() / 10.0),
        "kernel": read_or_empty("/proc/sys/kernel/osrelease").trim(),
        "loadavg_start": loadavg(),
    })
}

/// Resident set size of this process (bytes), from /proc/self/status.
fn rss_bytes() -> u64 {
    read_or_empty("/proc/self/status")
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(0, |k| k * 1024)
}

// ---------------------------------------------------------------- child processes

/// What the OS reports about one finished child process.
#[derive(Clone, Copy, Debug)]
struct ChildRun {
    wall_s: f64,
    cpu_s: f64,
    max_rss: u64,
}

/// Runs `cmd` (output to `log`) and returns its wall time and, from `wait4`, its
/// own CPU time and peak RSS (not those of earlier children).
fn run_child(mut cmd: Command, log: &Path) -> Res<ChildRun> {
    let out = File::create(log)?;
    cmd.stdout(out.try_clone()?).stderr(out);
    let start = Instant::now();
    let child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain integers, so all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child, not yet reaped (`Child::wait` is never
        // called); `status` and `usage` are valid, writable locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err.into());
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    drop(child);
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let text = fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "{:?} failed (status {status}); end of {}:\n{}",
            cmd,
            log.display(),
            tail.join("\n")
        )
        .into());
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Ok(ChildRun {
        wall_s,
        cpu_s: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss: usage.ru_maxrss as u64 * 1024,
    })
}

/// The `build-lm` next to this example (target/PROFILE/build-lm), rebuilt first
/// through cargo when run by cargo; `None` if it cannot be found.
fn build_lm_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?.to_path_buf();
    if let Some(cargo) = std::env::var_os("CARGO") {
        let profile = match profile_dir.file_name()?.to_str()? {
            "debug" => "dev".to_string(),
            p => p.to_string(),
        };
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "--profile",
                &profile,
                "--bin",
                "build-lm",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("bench: could not build build-lm with cargo; using an in-process child");
        }
    }
    let path = profile_dir.join(format!("build-lm{}", std::env::consts::EXE_SUFFIX));
    path.exists().then_some(path)
}

extern "C" {
    // KenLM's build_binary `main`, compiled into kenlm-rs by its "tools" feature.
    // kenlm-rs 0.1.0 declares it `extern "C"` but compiles it with C++ linkage
    // (its `kenlm::commands::build_binary` fails to link), so this names the
    // C++ symbol of `int kenlmrs_build_binary_main(int, char**)`.
    #[link_name = "_Z25kenlmrs_build_binary_mainiPPc"]
    fn kenlmrs_build_binary_main(argc: libc::c_int, argv: *mut *mut libc::c_char) -> libc::c_int;
}

/// Child mode: KenLM's build_binary with the remaining arguments.
fn child_kenlm(args: &[OsString]) -> ! {
    use std::os::unix::ffi::OsStrExt;
    let strings: Vec<std::ffi::CString> = std::iter::once(OsString::from("build_binary"))
        .chain(args.iter().cloned())
        .map(|a| std::ffi::CString::new(a.as_bytes()).expect("no NUL in arguments"))
        .collect();
    let mut argv: Vec<*mut libc::c_char> = strings.iter().map(|s| s.as_ptr().cast_mut()).collect();
    argv.push(std::ptr::null_mut());
    // SAFETY: `argv` holds `strings.len()` pointers to live NUL-terminated
    // strings followed by a null pointer, as C's `main` expects; KenLM's
    // build_binary only reads them. This process exits right after.
    let status =
        unsafe { kenlmrs_build_binary_main(strings.len() as libc::c_int, argv.as_mut_ptr()) };
    std::process::exit(status)
}

/// Child mode: what `build-lm --weights W IN OUT` does, when the binary is missing.
fn child_build(args: &[OsString]) -> ! {
    let run = || -> Res<()> {
        let [w, input, output] = args else {
            return Err("usage: --child-build-lm WEIGHTS IN OUT".into());
        };
        let weights = Weights::from_name(&w.to_string_lossy()).ok_or("bad weights")?;
        let path = PathBuf::from(input);
        let set = dashlm::arpa::NGramSet::read(
            dashlm::arpa::open_input(&path)?.reader,
            &path.display().to_string(),
        )?;
        let summary = dashlm::build::write_model(
            &set,
            dashlm::build::BuildOptions::new(weights),
            Path::new(output),
        )?;
        eprintln!("{summary}");
        Ok(())
    };
    match run() {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("build: {e}");
            std::process::exit(2)
        }
    }
}

// ---------------------------------------------------------------- timing

/// Best and median of several timed runs of the same work, and the median
/// over rounds of the speed ratio to KenLM probing's run in the same round.
#[derive(Clone, Copy, Debug, Default)]
struct Timing {
    queries: u64,
    best_s: f64,
    median_s: f64,
    ratio_median: Option<f64>,
    /// The same against native KenLM's run (`--kenlm-native-bin`).
    native_ratio_median: Option<f64>,
}

/// The median over rounds of the speed ratio of runs `times` to runs `base`
/// (the same work, so time ratios are speed ratios).
fn ratio_median(base: &[f64], times: &[f64]) -> Option<f64> {
    if base.len() != times.len() {
        return None;
    }
    median(
        &mut base
            .iter()
            .zip(times)
            .map(|(b, t)| b / t)
            .collect::<Vec<_>>(),
    )
}

/// The middle value of `values` (sorted in place); `None` when empty.
fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

impl Timing {
    /// From the run times in round order; `base` are kenlm-rs probing's and
    /// `native` KenLM's own loop's, round by round.
    fn from_runs(
        queries: u64,
        times: &[f64],
        base: Option<&[f64]>,
        native: Option<&[f64]>,
    ) -> Option<Timing> {
        let mut sorted = times.to_vec();
        let median_s = median(&mut sorted)?;
        Some(Timing {
            queries,
            best_s: sorted[0],
            median_s,
            ratio_median: base.and_then(|b| ratio_median(b, times)),
            native_ratio_median: native.and_then(|b| ratio_median(b, times)),
        })
    }
    fn qps(&self) -> f64 {
        self.queries as f64 / self.best_s
    }
    fn median_qps(&self) -> f64 {
        self.queries as f64 / self.median_s
    }
}

// ---------------------------------------------------------------- queries

/// The query text: sentences of words, and how often to run through them.
struct Queries {
    sentences: Vec<Vec<Vec<u8>>>,
    /// Queries in one pass over the sentences (words + one `</s>` each).
    per_pass: u64,
    /// Passes per timed run.
    passes: usize,
}

impl Queries {
    fn read(path: &Path, min_queries: u64) -> Res<Queries> {
        let text = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        if lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let sentences: Vec<Vec<Vec<u8>>> = lines
            .iter()
            .map(|l| {
                l.split(|b| b.is_ascii_whitespace())
                    .filter(|w| !w.is_empty())
                    .map(<[u8]>::to_vec)
                    .collect()
            })
            .collect();
        let per_pass: u64 = sentences.iter().map(|s| s.len() as u64 + 1).sum();
        if per_pass == 0 {
            return Err(format!("{}: no sentences", path.display()).into());
        }
        let passes = min_queries.div_ceil(per_pass).max(1) as usize;
        Ok(Queries {
            sentences,
            per_pass,
            passes,
        })
    }

    fn total(&self) -> u64 {
        self.per_pass * self.passes as u64
    }
}

/// Splits sentences into `parts` contiguous runs of about equal query counts.
fn split_by_queries<T>(sentences: &[Vec<T>], parts: usize) -> Vec<&[Vec<T>]> {
    let total: usize = sentences.iter().map(|s| s.len() + 1).sum();
    let mut out = Vec::new();
    let mut start = 0;
    let mut acc = 0;
    for (i, s) in sentences.iter().enumerate() {
        acc += s.len() + 1;
        if acc * parts >= total * (out.len() + 1) && out.len() + 1 < parts {
            out.push(&sentences[start..=i]);
            start = i + 1;
        }
    }
    out.push(&sentences[start..]);
    out
}

/// Runs `pass` on `threads` threads, each over its share of the sentences.
fn on_threads<T: Sync>(
    sentences: &[Vec<T>],
    threads: usize,
    pass: impl Fn(&[Vec<T>]) -> (u64, f64) + Sync,
) -> (u64, f64) {
    let parts = split_by_queries(sentences, threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .iter()
            .map(|part| scope.spawn(|| pass(part)))
            .collect();
        handles.into_iter().fold((0, 0.0), |(a, b), h| {
            let (x, y) = h.join().expect("query thread");
            (a + x, b + y)
        })
    })
}

/// One pass's agreement data: per-query scores and the mean matched length.
struct Agreement {
    scores: Vec<f32>,
    mean_length: f64,
}

impl Agreement {
    fn log10_sum(&self) -> f64 {
        self.scores.iter().map(|&s| f64::from(s)).sum()
    }
}

/// A loaded model ready to be timed: every measurement returns
/// `(queries or words, checksum)`, or `None` when the system lacks the API.
trait System {
    fn agreement(&self) -> Agreement;
    fn sequential(&self) -> (u64, f64);
    fn lookahead(&self) -> Option<(u64, f64)>;
    fn batched(&mut self) -> Option<(u64, f64)>;
    fn threads(&self, threads: usize) -> Option<(u64, f64)>;
    fn nbest(&self, lists: &[NbestList]) -> Option<(u64, f64)>;
    fn nbest_threads(&self, lists: &[NbestList], pool: &rayon::ThreadPool) -> Option<(u64, f64)>;
}

fn hyp_words(lists: &[NbestList]) -> u64 {
    lists
        .iter()
        .flat_map(|l| &l.hyps)
        .map(|h| h.words.len() as u64)
        .sum()
}

fn sum_log10(scores: &[Vec<f64>]) -> f64 {
    scores.iter().flatten().sum::<f64>() / std::f64::consts::LN_10
}

const BATCH: usize = 512;

/// A dashlm model with its query stream mapped to ids.
struct DashSystem<M: LanguageModel> {
    m: M,
    sentences: Vec<Vec<WordId>>,
    passes: usize,
    /// Every position's state and word, for the batched API.
    states: Vec<M::State>,
    words: Vec<WordId>,
    out_states: Vec<M::State>,
    out_scores: Vec<FullScore>,
}

impl<M: LanguageModel> DashSystem<M> {
    fn new(m: M, q: &Queries) -> DashSystem<M> {
        let sentences: Vec<Vec<WordId>> = q
            .sentences
            .iter()
            .map(|s| s.iter().map(|w| m.word_id(w)).collect())
            .collect();
        let (states, words) = stream::positions(&m, &sentences);
        let null = m.null_context_state();
        DashSystem {
            m,
            sentences,
            passes: q.passes,
            states,
            words,
            out_states: vec![null; BATCH],
            out_scores: vec![
                FullScore {
                    log10_prob: 0.0,
                    ngram_length: 0
                };
                BATCH
            ],
        }
    }

    /// One `full_score` per word, or with `lookahead` `score_corpus`'s lookahead.
    fn pass(&self, sentences: &[Vec<WordId>], lookahead: bool) -> (u64, f64) {
        let (mut queries, mut sum) = (0u64, 0f64);
        for _ in 0..self.passes {
            let (q, s) = if lookahead {
                self.m.score_corpus(sentences)
            } else {
                dashlm::lm::score_corpus_word_by_word(&self.m, sentences)
            };
            queries += q;
            sum += s;
        }
        (queries, sum)
    }
}

impl<M: LanguageModel> System for DashSystem<M> {
    fn agreement(&self) -> Agreement {
        let mut scores = Vec::with_capacity(self.words.len());
        let mut lengths = 0u64;
        let mut next = self.m.null_context_state();
        for (s, &w) in self.states.iter().zip(&self.words) {
            let r = self.m.full_score(s, w, &mut next);
            scores.push(r.log10_prob);
            lengths += u64::from(r.ngram_length);
        }
        Agreement {
            mean_length: lengths as f64 / scores.len().max(1) as f64,
            scores,
        }
    }

    fn sequential(&self) -> (u64, f64) {
        self.pass(&self.sentences, false)
    }

    fn lookahead(&self) -> Option<(u64, f64)> {
        Some(self.pass(&self.sentences, true))
    }

    fn batched(&mut self) -> Option<(u64, f64)> {
        let mut sum = 0f64;
        let mut queries = 0u64;
        for _ in 0..self.passes {
            for (st, ws) in self.states.chunks(BATCH).zip(self.words.chunks(BATCH)) {
                self.m
                    .full_score_batch(st, ws, &mut self.out_states, &mut self.out_scores);
                sum += self.out_scores[..st.len()]
                    .iter()
                    .map(|r| f64::from(r.log10_prob))
                    .sum::<f64>();
                queries += st.len() as u64;
            }
        }
        Some((queries, sum))
    }

    fn threads(&self, threads: usize) -> Option<(u64, f64)> {
        Some(on_threads(&self.sentences, threads, |part| {
            self.pass(part, false)
        }))
    }

    fn nbest(&self, lists: &[NbestList]) -> Option<(u64, f64)> {
        let scores = rescore::score_lists_sequential(&self.m, lists).0;
        Some((hyp_words(lists), sum_log10(&scores)))
    }

    fn nbest_threads(&self, lists: &[NbestList], pool: &rayon::ThreadPool) -> Option<(u64, f64)> {
        let scores = pool.install(|| rescore::score_lists(&self.m, lists, |_| {}).0);
        Some((hyp_words(lists), sum_log10(&scores)))
    }
}

/// A KenLM model (kenlm-rs) with its query stream mapped to KenLM's ids.
struct KenSystem {
    m: kenlm::Model,
    sentences: Vec<Vec<u32>>,
    passes: usize,
}

impl KenSystem {
    fn new(m: kenlm::Model, q: &Queries) -> KenSystem {
        let sentences = q
            .sentences
            .iter()
            .map(|s| {
                s.iter()
                    .map(|w| m.index(&String::from_utf8_lossy(w)).unwrap_or(0))
                    .collect()
            })
            .collect();
        KenSystem {
            m,
            sentences,
            passes: q.passes,
        }
    }

    fn pass(&self, sentences: &[Vec<u32>], passes: usize) -> (u64, f64) {
        let m = &self.m;
        let begin = m.begin_sentence_state();
        let eos = m.end_sentence_index();
        let mut state = m.begin_sentence_state();
        let mut next = m.null_context_state();
        let mut sum = 0f64;
        let mut queries = 0u64;
        for _ in 0..passes {
            for s in sentences {
                state.clone_from(&begin);
                for &w in s.iter().chain(std::iter::once(&eos)) {
                    sum += f64::from(m.base_score(&state, w, &mut next).expect("kenlm state"));
                    std::mem::swap(&mut state, &mut next);
                }
                queries += s.len() as u64 + 1;
            }
        }
        (queries, sum)
    }
}

impl System for KenSystem {
    fn agreement(&self) -> Agreement {
        let m = &self.m;
        let eos = m.end_sentence_index();
        let begin = m.begin_sentence_state();
        let mut state = m.begin_sentence_state();
        let mut next = m.null_context_state();
        let mut scores = Vec::new();
        let mut lengths = 0u64;
        for s in &self.sentences {
            state.clone_from(&begin);
            for &w in s.iter().chain(std::iter::once(&eos)) {
                let r = m
                    .base_full_score(&state, w, &mut next)
                    .expect("kenlm state");
                scores.push(r.log_prob);
                lengths += u64::from(r.ngram_length);
                std::mem::swap(&mut state, &mut next);
            }
        }
        Agreement {
            mean_length: lengths as f64 / scores.len().max(1) as f64,
            scores,
        }
    }

    fn sequential(&self) -> (u64, f64) {
        self.pass(&self.sentences, self.passes)
    }

    /// KenLM has no lookahead: its word-by-word loop again, timed in the same
    /// rounds as dashlm's lookahead so that the two compare.
    fn lookahead(&self) -> Option<(u64, f64)> {
        Some(self.sequential())
    }

    fn batched(&mut self) -> Option<(u64, f64)> {
        None
    }

    fn threads(&self, threads: usize) -> Option<(u64, f64)> {
        Some(on_threads(&self.sentences, threads, |part| {
            self.pass(part, self.passes)
        }))
    }

    /// Word by word from `<s>`, looking each word up (the rescorer maps strings too).
    fn nbest(&self, lists: &[NbestList]) -> Option<(u64, f64)> {
        let m = &self.m;
        let eos = m.end_sentence_index();
        let begin = m.begin_sentence_state();
        let mut state = m.begin_sentence_state();
        let mut next = m.null_context_state();
        let mut sum = 0f64;
        for h in lists.iter().flat_map(|l| &l.hyps) {
            state.clone_from(&begin);
            for w in h
                .words
                .iter()
                .map(|w| m.index(w).unwrap_or(0))
                .chain(std::iter::once(eos))
            {
                sum += f64::from(m.base_score(&state, w, &mut next).expect("kenlm state"));
                std::mem::swap(&mut state, &mut next);
            }
        }
        Some((hyp_words(lists), sum))
    }

    fn nbest_threads(&self, _: &[NbestList], _: &rayon::ThreadPool) -> Option<(u64, f64)> {
        None
    }
}

/// KenLM's own query loop in a child ([`native::NativeKenlm`]): word by word
/// only.
struct NativeSystem(native::NativeKenlm);

impl System for NativeSystem {
    fn agreement(&self) -> Agreement {
        let scores = self.0.scores().expect("kenlm-query-loop scores");
        Agreement {
            mean_length: scores.iter().map(|&(_, n)| f64::from(n)).sum::<f64>()
                / scores.len().max(1) as f64,
            scores: scores.into_iter().map(|(p, _)| p).collect(),
        }
    }

    fn sequential(&self) -> (u64, f64) {
        self.0.run().expect("kenlm-query-loop run")
    }

    /// No lookahead either: word by word again, as for kenlm-rs.
    fn lookahead(&self) -> Option<(u64, f64)> {
        Some(self.sequential())
    }

    fn batched(&mut self) -> Option<(u64, f64)> {
        None
    }

    fn threads(&self, _: usize) -> Option<(u64, f64)> {
        None
    }

    fn nbest(&self, _: &[NbestList]) -> Option<(u64, f64)> {
        None
    }

    fn nbest_threads(&self, _: &[NbestList], _: &rayon::ThreadPool) -> Option<(u64, f64)> {
        None
    }
}

/// Speed and agreement of one system on the query stream.
#[derive(Default)]
struct Speed {
    seq: Timing,
    /// `score_corpus`: the same queries told the next word.
    lookahead: Option<Timing>,
    batched: Option<Timing>,
    threads: Option<Timing>,
    nbest: Option<Timing>,
    nbest_threads: Option<Timing>,
    nbest_log10_sum: Option<f64>,
    log10_sum: f64,
    mean_length: f64,
}

/// The systems whose run in each round the others' are compared with.
#[derive(Clone, Copy)]
struct Peers {
    kenlm_rs: Option<usize>,
    native: Option<usize>,
}

/// Times `f` on every system, `repeat` rounds, the systems interleaved within a
/// round so that a burst of load from other processes hits all of them alike.
fn round_robin(
    systems: &mut [Box<dyn System + '_>],
    peers: Peers,
    repeat: usize,
    what: &str,
    mut f: impl FnMut(&mut dyn System) -> Option<(u64, f64)>,
) -> Vec<Option<Timing>> {
    let mut times = vec![Vec::new(); systems.len()];
    let mut counts = vec![0u64; systems.len()];
    for round in 0..repeat.max(1) {
        eprintln!(
            "bench: {what}, round {} of {repeat} (load {})",
            round + 1,
            loadavg()
        );
        for (i, s) in systems.iter_mut().enumerate() {
            let start = Instant::now();
            if let Some((n, check)) = f(s.as_mut()) {
                times[i].push(start.elapsed().as_secs_f64());
                counts[i] = n;
                std::hint::black_box(check);
            }
        }
    }
    let base_times = peers.kenlm_rs.map(|b| times[b].clone());
    let native_times = peers.native.map(|b| times[b].clone());
    times
        .iter()
        .zip(counts)
        .map(|(t, n)| Timing::from_runs(n, t, base_times.as_deref(), native_times.as_deref()))
        .collect()
}

// ---------------------------------------------------------------- rows

/// One system's results.
#[derive(Default)]
struct Row {
    system: String,
    bytes: Option<u64>,
    build: Option<ChildRun>,
    open_ms: Option<f64>,
    load_s: Option<f64>,
    rss_delta: Option<u64>,
    arpa_load_s: Option<f64>,
    speed: Option<Speed>,
    /// Largest |score - KenLM probing score| over one pass.
    max_abs_diff: Option<f64>,
    /// A published figure, not measured here.
    published_qps: Option<f64>,
}

fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, Into::into)
}

fn fmt_opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("-".into(), f)
}

fn mib(b: u64) -> String {
    format!("{:.0}", b as f64 / 1048576.0)
}

fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mqps(qps: f64) -> String {
    format!("{:.2}M", qps / 1e6)
}

struct Report {
    rows: Vec<Row>,
    ngrams: u64,
    per_pass: u64,
    kenlm_qps: Option<f64>,
    native_qps: Option<f64>,
}

impl Report {
    fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.system == name)
    }

    fn perplexity(&self, r: &Row) -> Option<f64> {
        r.speed
            .as_ref()
            .map(|s| 10f64.powf(-s.log10_sum / self.per_pass as f64))
    }

    fn qps(r: &Row) -> Option<f64> {
        r.speed.as_ref().map(|s| s.seq.qps()).or(r.published_qps)
    }

    fn size_table(&self) -> String {
        let mut t = String::from(
            "| system | bytes | B/n-gram | build s (CPU s) | build peak RSS MiB | open ms | load s | RSS after load MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        // The native loop runs KenLM probing's binary: no row of its own here.
        for r in self
            .rows
            .iter()
            .filter(|r| r.published_qps.is_none() && r.system != NATIVE)
        {
            t += &format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                r.system,
                r.bytes.map_or("-".into(), thousands),
                r.bytes.map_or("-".into(), |b| format!(
                    "{:.2}",
                    b as f64 / self.ngrams as f64
                )),
                r.build
                    .map_or("-".into(), |b| format!("{:.1} ({:.1})", b.wall_s, b.cpu_s)),
                r.build.map_or("-".into(), |b| mib(b.max_rss)),
                fmt_opt(r.open_ms, |v| format!("{v:.3}")),
                fmt_opt(r.load_s.or(r.arpa_load_s), |v| {
                    format!(
                        "{v:.2}{}",
                        if r.arpa_load_s.is_some() {
                            " (ARPA)"
                        } else {
                            ""
                        }
                    )
                }),
                r.rss_delta.map_or("-".into(), mib),
            );
        }
        t
    }

    /// The speed of `system` in the lookahead rounds (KenLM's: its
    /// word-by-word loop timed in those rounds).
    fn lookahead_qps(&self, system: &str) -> Option<f64> {
        let s = self.row(system)?.speed.as_ref()?;
        s.lookahead.map(|t| t.qps())
    }

    /// `1.23x` (best over best), with `, 1.20x median of rounds` when known.
    fn ratio_text(best: Option<f64>, median: Option<f64>) -> String {
        match (best, median) {
            (Some(b), Some(m)) => format!("{b:.2}x, {m:.2}x median of rounds"),
            (Some(b), None) => format!("{b:.2}x"),
            _ => "-".into(),
        }
    }

    fn speed_table(&self, threads: usize) -> String {
        let native = self.native_qps.is_some();
        let mut t = format!(
            "| system | q/s best | q/s median | ns/query | x kenlm-rs (median of rounds) |{} lookahead q/s (x kenlm-rs, median of rounds) | batched q/s | {threads}-thread q/s | n-best words/s (1 / {threads} thr) | log10 sum | perplexity | max abs diff vs KenLM | mean n-gram length |\n|---|---:|---:|---:|---:|{}---:|---:|---:|---:|---:|---:|---:|---:|\n",
            if native { " x native KenLM |" } else { "" },
            if native { "---:|" } else { "" },
        );
        for r in &self.rows {
            let qps = Self::qps(r);
            let s = r.speed.as_ref();
            let ratio = |base: Option<f64>| match (qps, base) {
                (Some(a), Some(b)) => format!("{:.2}", a / b),
                _ => "-".into(),
            };
            t += &format!(
                "| {} | {} | {} | {} | {} |{} {} | {} | {} | {} | {} | {} | {} | {} |\n",
                r.system,
                qps.map_or("-".into(), mqps),
                s.map_or("-".into(), |s| mqps(s.seq.median_qps())),
                qps.map_or("-".into(), |q| format!("{:.0}", 1e9 / q)),
                match (ratio(self.kenlm_qps), s.and_then(|s| s.seq.ratio_median)) {
                    (r, Some(m)) if r != "-" => format!("{r} ({m:.2})"),
                    (r, _) => r,
                },
                if native {
                    match (
                        ratio(self.native_qps),
                        s.and_then(|s| s.seq.native_ratio_median),
                    ) {
                        (r, Some(m)) if r != "-" => format!(" {r} ({m:.2}) |"),
                        (r, _) => format!(" {r} |"),
                    }
                } else {
                    String::new()
                },
                s.and_then(|s| s.lookahead).map_or("-".into(), |l| {
                    match (self.lookahead_qps("KenLM probing"), l.ratio_median) {
                        (Some(k), Some(m)) => {
                            format!("{} ({:.2}, {m:.2})", mqps(l.qps()), l.qps() / k)
                        }
                        (Some(k), None) => format!("{} ({:.2})", mqps(l.qps()), l.qps() / k),
                        _ => mqps(l.qps()),
                    }
                }),
                s.and_then(|s| s.batched)
                    .map_or("-".into(), |b| mqps(b.qps())),
                s.and_then(|s| s.threads)
                    .map_or("-".into(), |b| mqps(b.qps())),
                s.and_then(|s| s.nbest).map_or("-".into(), |n| format!(
                    "{} / {}",
                    mqps(n.qps()),
                    s.and_then(|s| s.nbest_threads)
                        .map_or("-".into(), |t| mqps(t.qps()))
                )),
                s.map_or("-".into(), |s| format!("{:.4}", s.log10_sum)),
                self.perplexity(r).map_or("-".into(), |p| format!("{p:.4}")),
                r.max_abs_diff.map_or("-".into(), |d| format!("{d:.2e}")),
                s.map_or("-".into(), |s| format!("{:.2}", s.mean_length)),
            );
        }
        t
    }

    fn json_rows(&self) -> Vec<Value> {
        self.rows
            .iter()
            .map(|r| {
                let s = r.speed.as_ref();
                let qps = Self::qps(r);
                json!({
                    "system": r.system,
                    "bytes": opt(r.bytes),
                    "bytes_per_ngram": opt(r.bytes.map(|b| b as f64 / self.ngrams as f64)),
                    "build_seconds": opt(r.build.map(|b| b.wall_s)),
                    "build_cpu_seconds": opt(r.build.map(|b| b.cpu_s)),
                    "build_peak_rss_bytes": opt(r.build.map(|b| b.max_rss)),
                    "open_ms": opt(r.open_ms),
                    "load_seconds": opt(r.load_s),
                    "arpa_load_seconds": opt(r.arpa_load_s),
                    "rss_delta_bytes": opt(r.rss_delta),
                    "queries_per_s": opt(qps),
                    "queries_per_s_median": opt(s.map(|s| s.seq.median_qps())),
                    "ns_per_query": opt(qps.map(|q| 1e9 / q)),
                    "ratio_to_kenlm": opt(qps.zip(self.kenlm_qps).map(|(a, b)| a / b)),
                    "ratio_to_kenlm_median_of_rounds": opt(s.and_then(|s| s.seq.ratio_median)),
                    "lookahead_ratio_to_kenlm_median_of_rounds": opt(s.and_then(|s| s.lookahead).and_then(|l| l.ratio_median)),
                    "ratio_to_native_kenlm": opt(qps.zip(self.native_qps).map(|(a, b)| a / b)),
                    "ratio_to_native_kenlm_median_of_rounds": opt(s.and_then(|s| s.seq.native_ratio_median)),
                    "lookahead_queries_per_s": opt(s.and_then(|s| s.lookahead).map(|l| l.qps())),
                    "lookahead_queries_per_s_median": opt(s.and_then(|s| s.lookahead).map(|l| l.median_qps())),
                    "batched_queries_per_s": opt(s.and_then(|s| s.batched).map(|b| b.qps())),
                    "threads_queries_per_s": opt(s.and_then(|s| s.threads).map(|b| b.qps())),
                    "nbest_words_per_s": opt(s.and_then(|s| s.nbest).map(|n| n.qps())),
                    "nbest_words_per_s_threads": opt(s.and_then(|s| s.nbest_threads).map(|t| t.qps())),
                    "nbest_log10_sum": opt(s.and_then(|s| s.nbest_log10_sum)),
                    "log10_sum": opt(s.map(|s| s.log10_sum)),
                    "perplexity": opt(self.perplexity(r)),
                    "max_abs_diff_vs_kenlm": opt(r.max_abs_diff),
                    "mean_ngram_length": opt(s.map(|s| s.mean_length)),
                    "published": r.published_qps.is_some(),
                })
            })
            .collect()
    }

    /// The store issue's targets: (target, required, measured, met).
    fn targets(&self) -> Vec<(String, String, String, Option<bool>)> {
        let mut t = Vec::new();
        let probing = self.row("KenLM probing");
        let trie = self.row("KenLM trie -q8 -b8");
        let f32_row = self.row("dashlm f32");
        let f32_ppl = f32_row.and_then(|r| self.perplexity(r));
        let base_q = self.kenlm_qps;
        // `qps` against `base`, best over best, and the median of the
        // per-round ratios where the peer ran in the same rounds. A target is
        // met only when both are: a burst of load in some rounds moves one or
        // the other (the median of rounds rose to 1.4x with best over best at
        // 1.1x when the peer's rounds were uneven).
        let speed =
            |what: String, want: f64, qps: Option<f64>, base: Option<f64>, median: Option<f64>| {
                let got = qps.zip(base).map(|(a, b)| a / b);
                (
                    what,
                    format!(">= {want:.1}x"),
                    Self::ratio_text(got, median),
                    got.map(|g| g >= want && median.is_none_or(|m| m >= want)),
                )
            };
        let size = |r: &Row, want: f64, base: Option<&Row>, label: &str| {
            let got = r
                .bytes
                .zip(base.and_then(|b| b.bytes))
                .map(|(a, b)| a as f64 / b as f64);
            (
                format!("{} bytes vs {label}", r.system),
                format!("<= {want:.1}x"),
                got.map_or("-".into(), |g| format!("{g:.3}x")),
                got.map(|g| g <= want),
            )
        };
        let ppl = |r: &Row, want: f64| {
            let got = self
                .perplexity(r)
                .zip(f32_ppl)
                .map(|(a, b)| (a / b - 1.0).abs() * 100.0);
            (
                format!("{} perplexity vs f32", r.system),
                format!("within {want}%"),
                got.map_or("-".into(), |g| format!("{g:.4}%")),
                got.map(|g| g <= want),
            )
        };
        for (name, bytes_x, base, qps_x) in [
            ("dashlm f32", 0.7, probing, 1.5),
            ("dashlm q16", 0.5, probing, 1.5),
            ("dashlm q8", 0.8, trie, 1.0),
        ] {
            let Some(r) = self.row(name) else { continue };
            let label = if name == "dashlm q8" {
                "KenLM trie -q8"
            } else {
                "KenLM probing"
            };
            t.push(size(r, bytes_x, base, label));
            let s = r.speed.as_ref();
            let (seq, la) = (s.map(|s| s.seq), s.and_then(|s| s.lookahead));
            let system = &r.system;
            t.push(speed(
                format!("{system} queries/s vs kenlm-rs probing"),
                qps_x,
                Self::qps(r),
                base_q,
                seq.and_then(|t| t.ratio_median),
            ));
            if la.is_some() {
                t.push(speed(
                    format!("{system} queries/s with lookahead (score_corpus) vs kenlm-rs probing"),
                    qps_x,
                    la.map(|l| l.qps()),
                    self.lookahead_qps("KenLM probing"),
                    la.and_then(|l| l.ratio_median),
                ));
            }
            if self.native_qps.is_some() {
                t.push(speed(
                    format!("{system} queries/s vs native KenLM probing"),
                    qps_x,
                    Self::qps(r),
                    self.native_qps,
                    seq.and_then(|t| t.native_ratio_median),
                ));
                if la.is_some() {
                    t.push(speed(
                        format!("{system} queries/s with lookahead (score_corpus) vs native KenLM probing"),
                        qps_x,
                        la.map(|l| l.qps()),
                        self.lookahead_qps(NATIVE).or(self.native_qps),
                        la.and_then(|l| l.native_ratio_median),
                    ));
                }
            }
            match name {
                "dashlm f32" => {
                    let d = r.max_abs_diff;
                    t.push((
                        "dashlm f32 scores vs KenLM".into(),
                        "max abs diff <= 1e-6".into(),
                        d.map_or("-".into(), |d| format!("{d:.2e}")),
                        d.map(|d| d <= 1e-6),
                    ));
                }
                "dashlm q16" => t.push(ppl(r, 0.01)),
                _ => t.push(ppl(r, 0.1)),
            }
        }
        let opens: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| r.system.starts_with("dashlm") && r.open_ms.is_some())
            .collect();
        if let Some(worst) = opens
            .iter()
            .map(|r| r.open_ms.unwrap_or(0.0))
            .reduce(f64::max)
        {
            t.push((
                "Model::open (mmap + validation), slowest variant".into(),
                "< 1 ms".into(),
                format!("{worst:.3} ms"),
                Some(worst < 1.0),
            ));
        }
        if let (Some(f), Some(k)) = (f32_row.and_then(|r| r.build), probing.and_then(|r| r.build)) {
            t.push((
                "build-lm f32 vs KenLM build_binary probing (wall)".into(),
                "<= 1.0x".into(),
                format!(
                    "{:.2}x ({:.1} s vs {:.1} s)",
                    f.wall_s / k.wall_s,
                    f.wall_s,
                    k.wall_s
                ),
                Some(f.wall_s <= k.wall_s),
            ));
        }
        t
    }
}

// ---------------------------------------------------------------- main

fn decompress(src: &Path, dst: &Path) -> Res<()> {
    let mut input = dashlm::arpa::open_input(src)?;
    let mut out = BufWriter::with_capacity(1 << 20, File::create(dst)?);
    io::copy(&mut input.reader, &mut out)?;
    out.flush()?;
    Ok(())
}

fn median_ms(repeat: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..repeat)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn kenlm_config(method: kenlm::LoadMethod) -> kenlm::Config {
    kenlm::Config {
        load_method: method,
        show_progress: false,
        arpa_complain: kenlm::ArpaLoadComplain::None,
        ..Default::default()
    }
}

fn try_main() -> Res<()> {
    let argv: Vec<OsString> = std::env::args_os().collect();
    match argv.get(1).and_then(|a| a.to_str()) {
        Some(CHILD_KENLM) => child_kenlm(&argv[2..]),
        Some(CHILD_BUILD) => child_build(&argv[2..]),
        _ => {}
    }
    let args = Args::parse();
    let started = Instant::now();
    let mut machine = machine();
    eprintln!("bench: machine {machine}");

    // Work directory.
    let tmp;
    let workdir = match &args.workdir {
        Some(d) => {
            fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            tmp = tempfile::Builder::new().prefix("dashlm-bench-").tempdir()?;
            tmp.path().to_path_buf()
        }
    };

    // The ARPA: header counts, and a plain copy for KenLM and every builder.
    let input = dashlm::arpa::open_input(&args.arpa)
        .map_err(|e| format!("{}: {e}", args.arpa.display()))?;
    let compressed = input.compression != dashlm::arpa::Compression::None;
    let counts = dashlm::arpa::ArpaReader::new(input.reader, &args.arpa.display().to_string())?
        .counts()
        .to_vec();
    let ngrams: u64 = counts.iter().sum();
    let plain = if compressed {
        let p = workdir.join("model.arpa");
        let start = Instant::now();
        decompress(&args.arpa, &p)?;
        eprintln!(
            "bench: decompressed to {} in {:.1} s",
            p.display(),
            start.elapsed().as_secs_f64()
        );
        p
    } else {
        args.arpa.clone()
    };
    eprintln!("bench: {} n-grams per order {counts:?}", thousands(ngrams));

    let queries = Queries::read(&args.queries, args.min_queries)?;
    eprintln!(
        "bench: {} sentences, {} queries per pass, {} passes per run ({} queries)",
        queries.sentences.len(),
        queries.per_pass,
        queries.passes,
        queries.total()
    );
    let nbest = match &args.nbest {
        Some(p) => Some(rescore::read_lists(p, args.nbest_format)?),
        None => None,
    };

    // Builds, as child processes.
    let build_lm = build_lm_binary();
    let self_exe = std::env::current_exe()?;
    let mut rows: Vec<Row> = Vec::new();
    let mut dashlm_files = Vec::new();
    for v in &args.variants {
        let weights = Weights::from_name(v).ok_or_else(|| format!("unknown variant `{v}`"))?;
        let out = workdir.join(format!("model.{}.dlm", weights.name()));
        let mut cmd = match &build_lm {
            Some(b) => Command::new(b),
            None => {
                let mut c = Command::new(&self_exe);
                c.arg(CHILD_BUILD);
                c
            }
        };
        if build_lm.is_some() {
            cmd.args(["--weights", weights.name()])
                .arg(&plain)
                .arg(&out);
        } else {
            cmd.arg(weights.name()).arg(&plain).arg(&out);
        }
        eprintln!(
            "bench: building dashlm {} (load {})",
            weights.name(),
            loadavg()
        );
        let run = run_child(cmd, &workdir.join(format!("build.{}.log", weights.name())))?;
        eprintln!(
            "bench:   {:.1} s, peak RSS {} MiB",
            run.wall_s,
            mib(run.max_rss)
        );
        rows.push(Row {
            system: format!("dashlm {}", weights.name()),
            bytes: Some(fs::metadata(&out)?.len()),
            build: Some(run),
            ..Row::default()
        });
        dashlm_files.push((weights, out));
    }
    let mut kenlm_bins = Vec::new();
    if !args.no_kenlm {
        let mut kinds = vec![("KenLM probing", "probing", vec![])];
        if !args.no_kenlm_trie {
            kinds.push(("KenLM trie -q8 -b8", "trie", vec!["-q", "8", "-b", "8"]));
        }
        for (system, kind, flags) in kinds {
            let out = workdir.join(format!("model.kenlm.{kind}"));
            let mut cmd = Command::new(&self_exe);
            cmd.arg(CHILD_KENLM)
                .args(&flags)
                .arg(kind)
                .arg(&plain)
                .arg(&out);
            eprintln!("bench: building {system} (load {})", loadavg());
            let run = run_child(cmd, &workdir.join(format!("build.kenlm.{kind}.log")))?;
            eprintln!(
                "bench:   {:.1} s, peak RSS {} MiB",
                run.wall_s,
                mib(run.max_rss)
            );
            rows.push(Row {
                system: system.to_string(),
                bytes: Some(fs::metadata(&out)?.len()),
                build: Some(run),
                ..Row::default()
            });
            kenlm_bins.push((system, out));
        }
    }

    // Load every system (kept loaded, so that the timed runs can be interleaved).
    let mut systems: Vec<(String, Box<dyn System>)> = Vec::new();
    if !args.no_kenlm {
        eprintln!(
            "bench: loading KenLM probing from the ARPA (load {})",
            loadavg()
        );
        let before = rss_bytes();
        let start = Instant::now();
        let m = kenlm::Model::with_config(&plain, kenlm_config(kenlm::LoadMethod::Lazy))
            .map_err(|e| format!("KenLM: {}: {e}", plain.display()))?;
        let arpa_load_s = start.elapsed().as_secs_f64();
        let rss_delta = rss_bytes().saturating_sub(before);
        eprintln!("bench:   {arpa_load_s:.1} s, RSS +{} MiB", mib(rss_delta));
        let row = match rows.iter_mut().position(|r| r.system == "KenLM probing") {
            Some(i) => &mut rows[i],
            None => {
                rows.push(Row {
                    system: "KenLM probing".into(),
                    ..Row::default()
                });
                rows.last_mut().expect("pushed")
            }
        };
        row.arpa_load_s = Some(arpa_load_s);
        row.rss_delta = Some(rss_delta);
        systems.push((
            "KenLM probing".into(),
            Box::new(KenSystem::new(m, &queries)),
        ));
        for (system, path) in &kenlm_bins {
            let open_ms = median_ms(5, || {
                let m = kenlm::Model::with_config(path, kenlm_config(kenlm::LoadMethod::Lazy))
                    .expect("KenLM binary");
                drop(std::hint::black_box(m));
            });
            let row = rows
                .iter_mut()
                .find(|r| r.system == *system)
                .expect("built row");
            row.open_ms = Some(open_ms);
            if *system != "KenLM probing" {
                let before = rss_bytes();
                let start = Instant::now();
                let m = kenlm::Model::with_config(
                    path,
                    kenlm_config(kenlm::LoadMethod::PopulateOrRead),
                )
                .map_err(|e| format!("KenLM: {}: {e}", path.display()))?;
                row.load_s = Some(start.elapsed().as_secs_f64());
                row.rss_delta = Some(rss_bytes().saturating_sub(before));
                systems.push((system.to_string(), Box::new(KenSystem::new(m, &queries))));
            }
        }
    }
    if let Some(bin) = &args.kenlm_native_bin {
        let probing = kenlm_bins
            .iter()
            .find(|(system, _)| *system == "KenLM probing")
            .map(|(_, path)| path)
            .ok_or("--kenlm-native-bin needs KenLM's probing binary (drop --no-kenlm)")?;
        // The query text as the other systems split it, one sentence a line.
        let text = workdir.join("queries.txt");
        let mut out = BufWriter::new(File::create(&text)?);
        for s in &queries.sentences {
            out.write_all(&s.join(&b' '))?;
            out.write_all(b"\n")?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        eprintln!("bench: starting {} (load {})", bin.display(), loadavg());
        let child = native::NativeKenlm::start(bin, probing, &text, queries.passes)?;
        if child.queries != queries.total() {
            return Err(format!(
                "{}: {} queries a run, expected {}",
                bin.display(),
                child.queries,
                queries.total()
            )
            .into());
        }
        rows.push(Row {
            system: NATIVE.into(),
            ..Row::default()
        });
        systems.push((NATIVE.into(), Box::new(NativeSystem(child))));
    }
    for (weights, path) in &dashlm_files {
        let name = format!("dashlm {}", weights.name());
        let open_ms = median_ms(21, || {
            let m = dashlm::Model::open(path).expect("dashlm model");
            drop(std::hint::black_box(m));
        });
        let before = rss_bytes();
        let start = Instant::now();
        let m = dashlm::Model::load(path)?;
        let load_s = start.elapsed().as_secs_f64();
        let rss_delta = rss_bytes().saturating_sub(before);
        let row = rows
            .iter_mut()
            .find(|r| r.system == name)
            .expect("built row");
        row.open_ms = Some(open_ms);
        row.load_s = Some(load_s);
        row.rss_delta = Some(rss_delta);
        systems.push((name.clone(), Box::new(DashSystem::new(m, &queries))));
        if *weights == Weights::F32 {
            // The same file memory-mapped: pages fault in as queries touch them
            // (the agreement pass below warms them up).
            let m = dashlm::Model::open(path)?;
            rows.push(Row {
                system: format!("{name} (mmap)"),
                bytes: Some(fs::metadata(path)?.len()),
                open_ms: Some(open_ms),
                ..Row::default()
            });
            systems.push((
                format!("{name} (mmap)"),
                Box::new(DashSystem::new(m, &queries)),
            ));
        }
    }

    // Agreement, then the timed runs, interleaved.
    let agreements: Vec<Agreement> = systems.iter().map(|(_, s)| s.agreement()).collect();
    let (names, mut boxes): (Vec<String>, Vec<Box<dyn System>>) = systems.into_iter().unzip();
    let repeat = args.repeat;
    let peers = Peers {
        kenlm_rs: names.iter().position(|n| n == "KenLM probing"),
        native: names.iter().position(|n| n == NATIVE),
    };
    let seq = round_robin(&mut boxes, peers, repeat, "one thread", |s| {
        Some(s.sequential())
    });
    let lookahead = round_robin(&mut boxes, peers, repeat, "one thread, lookahead", |s| {
        s.lookahead()
    });
    let batched = round_robin(&mut boxes, peers, repeat, "batched", |s| s.batched());
    let threads = if args.threads > 1 {
        let t = args.threads;
        round_robin(&mut boxes, peers, repeat, &format!("{t} threads"), |s| {
            s.threads(t)
        })
    } else {
        vec![None; boxes.len()]
    };
    let (nb_one, nb_threads, nb_sums) = match &nbest {
        Some(lists) => {
            let sums: Vec<Option<f64>> = boxes
                .iter()
                .map(|s| s.nbest(lists).map(|(_, sum)| sum))
                .collect();
            let one = round_robin(&mut boxes, peers, repeat, "n-best, one thread", |s| {
                s.nbest(lists)
            });
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(args.threads)
                .build()?;
            let thr = round_robin(&mut boxes, peers, repeat, "n-best, threads", |s| {
                s.nbest_threads(lists, &pool)
            });
            (one, thr, sums)
        }
        None => (
            vec![None; boxes.len()],
            vec![None; boxes.len()],
            vec![None; boxes.len()],
        ),
    };
    drop(boxes);
    let kenlm_scores = names
        .iter()
        .position(|n| n == "KenLM probing")
        .map(|i| agreements[i].scores.clone());
    for (i, name) in names.iter().enumerate() {
        let a = &agreements[i];
        let row = rows.iter_mut().find(|r| r.system == *name).expect("row");
        row.max_abs_diff = kenlm_scores.as_ref().map(|k| {
            a.scores
                .iter()
                .zip(k)
                .map(|(&x, &y)| (f64::from(x) - f64::from(y)).abs())
                .fold(0.0, f64::max)
        });
        row.speed = Some(Speed {
            seq: seq[i].unwrap_or_default(),
            lookahead: lookahead[i],
            batched: batched[i],
            threads: threads[i],
            nbest: nb_one[i],
            nbest_threads: nb_threads[i],
            nbest_log10_sum: nb_sums[i],
            log10_sum: a.log10_sum(),
            mean_length: a.mean_length,
        });
    }
    if let Some(q) = args.kenlm_native_qps {
        rows.push(Row {
            system: format!("KenLM probing, native C++ ({})", args.kenlm_native_source),
            published_qps: Some(q),
            ..Row::default()
        });
    }
    machine["loadavg_end"] = json!(loadavg());
    let rank = |r: &Row| {
        let s = r.system.as_str();
        let order = [
            "KenLM probing",
            NATIVE,
            "KenLM trie -q8 -b8",
            "dashlm f32",
            "dashlm f32 (mmap)",
            "dashlm q16",
            "dashlm q8",
        ];
        order.iter().position(|&o| o == s).unwrap_or(order.len())
    };
    rows.sort_by_key(rank);

    let kenlm_qps = rows
        .iter()
        .find(|r| r.system == "KenLM probing")
        .and_then(|r| r.speed.as_ref())
        .map(|s| s.seq.qps());
    // The native peer: measured in this run when there is one, else the
    // figure given.
    let native_qps = rows
        .iter()
        .find(|r| r.system == NATIVE)
        .and_then(|r| r.speed.as_ref())
        .map(|s| s.seq.qps())
        .or(args.kenlm_native_qps);
    let report = Report {
        rows,
        ngrams,
        per_pass: queries.per_pass,
        kenlm_qps,
        native_qps,
    };

    // Output.
    let mut text = String::new();
    text += &format!(
        "Model: {} ({} n-grams: {}); queries: {} ({} sentences, {} queries per pass x {} passes = {} per run, best/median of {} runs)\n\n",
        args.arpa.display(),
        thousands(ngrams),
        counts.iter().map(|&c| thousands(c)).collect::<Vec<_>>().join(" / "),
        args.queries.display(),
        queries.sentences.len(),
        thousands(queries.per_pass),
        queries.passes,
        thousands(queries.total()),
        args.repeat,
    );
    text += &format!(
        "Machine: {} cores, {} ({} MHz, cache {}), {} GiB; load average {} at start, {} at end\n\n",
        machine["cores"],
        machine["cpu_model"].as_str().unwrap_or("?"),
        machine["cpu_mhz"].as_str().unwrap_or("?"),
        machine["cache_size"].as_str().unwrap_or("?"),
        machine["mem_total_gib"],
        machine["loadavg_start"].as_str().unwrap_or("?"),
        machine["loadavg_end"].as_str().unwrap_or("?"),
    );
    text += &report.size_table();
    text += "\n";
    text += &report.speed_table(args.threads);
    if let Some(lists) = &nbest {
        let hyps: usize = lists.iter().map(|l| l.hyps.len()).sum();
        text += &format!(
            "\nN-best: {} lists, {hyps} hypotheses from {}; words/s counts hypothesis words (without </s>); dashlm uses its prefix-sharing rescorer, KenLM scores word by word with a vocabulary lookup per word.\n",
            lists.len(),
            args.nbest.as_ref().map_or(String::new(), |p| p.display().to_string())
        );
    }
    let targets = report.targets();
    if !targets.is_empty() {
        text += "\nTargets (store issue):\n\n| target | required | measured | met |\n|---|---|---|---|\n";
        for (what, want, got, met) in &targets {
            let met = match met {
                Some(true) => "yes",
                Some(false) => "no",
                None => "-",
            };
            text += &format!("| {what} | {want} | {got} | {met} |\n");
        }
    }
    text += &format!("\nCaveat: {CAVEAT}\n");
    println!("{text}");

    if let Some(path) = &args.json {
        let value = json!({
            "machine": machine,
            "caveat": CAVEAT,
            "command": argv.iter().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>(),
            "model": {
                "arpa": args.arpa.display().to_string(),
                "counts": counts,
                "ngrams": ngrams,
            },
            "queries": {
                "file": args.queries.display().to_string(),
                "sentences": queries.sentences.len(),
                "per_pass": queries.per_pass,
                "passes": queries.passes,
                "per_run": queries.total(),
                "repeat": args.repeat,
                "threads": args.threads,
            },
            "nbest": args.nbest.as_ref().map(|p| p.display().to_string()),
            "rows": report.json_rows(),
            "targets": targets.iter().map(|(what, want, got, met)| json!({
                "target": what, "required": want, "measured": got, "met": met,
            })).collect::<Vec<_>>(),
            "seconds_total": started.elapsed().as_secs_f64(),
        });
        fs::write(path, serde_json::to_string_pretty(&value)? + "\n")?;
        eprintln!("bench: wrote {}", path.display());
    }
    if args.workdir.is_some() {
        eprintln!("bench: models kept in {}", workdir.display());
    }
    Ok(())
}

/// Runs the example (errors: see [`exit::report`]).
fn main() -> std::process::ExitCode {
    exit::report("bench", try_main())
}
