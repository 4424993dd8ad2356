//! The results of `examples/bench.rs`: one [`Row`] a system, and the
//! [`Report`] over them: the size and speed tables and the JSON rows (the
//! targets are in `bench_targets.rs`), with the number formats they use.

use serde_json::{json, Value};

use crate::bench_args::Args;
use crate::bench_child::ChildRun;
use crate::bench_timing::Speed;

/// The row of KenLM's own query loop, timed in a child (`--kenlm-native-bin`).
pub const NATIVE: &str = "KenLM probing, native C++ (kenlm-query-loop)";

/// One system's results.
#[derive(Default)]
pub struct Row {
    pub system: String,
    pub bytes: Option<u64>,
    pub build: Option<ChildRun>,
    /// Built by this program's own child (`--child-build-lm`), no `build-lm`
    /// binary being found: its build time is not `build-lm`'s.
    pub in_process_build: bool,
    pub open_ms: Option<f64>,
    pub load_s: Option<f64>,
    pub rss_delta: Option<u64>,
    pub arpa_load_s: Option<f64>,
    pub speed: Option<Speed>,
    /// Largest |score - KenLM probing score| over one pass.
    pub max_abs_diff: Option<f64>,
    /// A published figure, not measured here.
    pub published_qps: Option<f64>,
}

fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, Into::into)
}

fn fmt_opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("-".into(), f)
}

pub fn mib(b: u64) -> String {
    format!("{:.0}", b as f64 / 1048576.0)
}

pub fn thousands(v: u64) -> String {
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

/// Every system's row, with what the ratios are taken against.
pub struct Report {
    pub rows: Vec<Row>,
    ngrams: u64,
    per_pass: u64,
    /// kenlm-rs probing's queries/s (one thread).
    pub kenlm_qps: Option<f64>,
    /// Native KenLM's: measured in this run, else `--kenlm-native-qps`.
    pub native_qps: Option<f64>,
}

impl Report {
    /// The report over `rows`, with a row for `--kenlm-native-qps` when given,
    /// in the order of the tables.
    pub fn new(mut rows: Vec<Row>, ngrams: u64, per_pass: u64, args: &Args) -> Report {
        if let Some(q) = args.kenlm_native_qps {
            rows.push(Row {
                system: format!("KenLM probing, native C++ ({})", args.kenlm_native_source),
                published_qps: Some(q),
                ..Row::default()
            });
        }
        let rank = |r: &Row| {
            let s = r.system.as_str();
            let order = [
                "KenLM probing",
                NATIVE,
                "KenLM trie -q8 -b8",
                "dashlm f32",
                "dashlm f32 (mmap)",
                "dashlm f32-raw",
                "dashlm f32-bigram",
                "dashlm f32-raw-bigram",
                "dashlm q16",
                "dashlm q16-bigram",
                "dashlm q8",
                "dashlm q8-grouped",
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
        Report {
            rows,
            ngrams,
            per_pass,
            kenlm_qps,
            native_qps,
        }
    }

    pub fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.system == name)
    }

    pub fn perplexity(&self, r: &Row) -> Option<f64> {
        r.speed
            .as_ref()
            .map(|s| 10f64.powf(-s.log10_sum / self.per_pass as f64))
    }

    pub fn qps(r: &Row) -> Option<f64> {
        r.speed.as_ref().map(|s| s.seq.qps()).or(r.published_qps)
    }

    pub fn size_table(&self) -> String {
        let mut t = String::from(
            "| system | bytes | B/n-gram | build s (CPU s) | build peak RSS MiB | open ms | load s | RSS growth at load MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
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
    pub fn lookahead_qps(&self, system: &str) -> Option<f64> {
        let s = self.row(system)?.speed.as_ref()?;
        s.lookahead.map(|t| t.qps())
    }

    /// `1.23x` (best over best), with `, 1.20x median of rounds` when known.
    pub fn ratio_text(best: Option<f64>, median: Option<f64>) -> String {
        match (best, median) {
            (Some(b), Some(m)) => format!("{b:.2}x, {m:.2}x median of rounds"),
            (Some(b), None) => format!("{b:.2}x"),
            _ => "-".into(),
        }
    }

    pub fn speed_table(&self, threads: usize) -> String {
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
                self.perplexity(r).map_or("-".into(), perplexity_text),
                r.max_abs_diff.map_or("-".into(), |d| format!("{d:.2e}")),
                s.map_or("-".into(), |s| format!("{:.2}", s.mean_length)),
            );
        }
        t
    }

    pub fn json_rows(&self) -> Vec<Value> {
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
}

/// A perplexity for the text table: four decimals, or scientific notation past
/// a million (a model whose unknown words score -100 reaches 10^80).
fn perplexity_text(p: f64) -> String {
    if p.abs() < 1e6 {
        format!("{p:.4}")
    } else {
        format!("{p:.4e}")
    }
}
