//! What `examples/bench.rs` prints and writes: the text (model, machine, the
//! tables, the targets and the caveat) and the JSON document.

use std::ffi::OsString;
use std::io::Write;
use std::time::Instant;

use serde_json::{json, Value};

use crate::bench_args::Args;
use crate::bench_inputs::Inputs;
use crate::bench_report::{thousands, Report};
use crate::Res;

const CAVEAT: &str = "KenLM is measured in-process through kenlm-rs 0.1.0 (probing built from \
the same ARPA): every base_score call crosses an FFI boundary (an extern \"C\" wrapper that \
catches C++ exceptions, plus kenlm-rs's per-call state checks on heap-allocated Vec<u8> \
states), so kenlm-rs is slower than KenLM's native C++ query loop. Ratios marked \"x kenlm-rs\" \
are against this in-process peer. \"x native KenLM\" is against KenLM's own C++ loop \
(kenlm-query-loop, built by benches/kenlm_native/build.sh against the same KenLM code) timed \
in a child in the same rounds when --kenlm-native-bin is given, else against the figure of \
--kenlm-native-qps. KenLM build times are build_binary's C++ code run by kenlm-rs in a child \
process (the same code as KenLM's build_binary, compiled by the cc crate).";

/// The store issue's targets: (target, required, measured, met).
type Targets = [(String, String, String, Option<bool>)];

/// Everything the output tells.
pub struct Results<'a> {
    pub args: &'a Args,
    pub inputs: &'a Inputs,
    pub machine: &'a Value,
    pub report: &'a Report,
    pub targets: &'a Targets,
    /// The system the rows' `max_abs_diff_vs_kenlm` was taken against.
    pub diff_reference: Option<&'static str>,
}

impl Results<'_> {
    /// The report as printed: model and machine, the tables, the targets, the
    /// caveat.
    pub fn text(&self) -> String {
        let Results {
            args,
            inputs,
            machine,
            report,
            targets,
            ..
        } = self;
        let (counts, queries) = (&inputs.counts, &inputs.queries);
        let mut text = String::new();
        text += &format!(
        "Model: {} ({} n-grams: {}); queries: {} ({} sentences, {} queries per pass x {} passes = {} per run, best/median of {} runs)\n\n",
        args.arpa.display(),
        thousands(inputs.ngrams),
        counts.iter().map(|&c| thousands(c)).collect::<Vec<_>>().join(" / "),
        args.queries.display(),
        queries.sentences.len(),
        thousands(queries.per_pass),
        queries.passes,
        thousands(queries.total()),
        args.repeat,
    );
        text += &format!(
        "Machine: {} cores, {} ({} MHz, cache {}), {} GiB; load average {} at start, {} at end; one dependent memory access {} ns (a pointer chase through 256 MiB in huge pages: a word-by-word query of a model far larger than the cache waits about this long for its probes)\n\n",
        machine["cores"],
        machine["cpu_model"].as_str().unwrap_or("?"),
        machine["cpu_mhz"].as_str().unwrap_or("?"),
        machine["cache_size"].as_str().unwrap_or("?"),
        machine["mem_total_gib"],
        machine["loadavg_start"].as_str().unwrap_or("?"),
        machine["loadavg_end"].as_str().unwrap_or("?"),
        machine["memory_latency_ns"],
    );
        text += &report.size_table();
        text += "\n";
        text += &report.speed_table(args.threads);
        if let Some(lists) = &inputs.nbest {
            let hyps: usize = lists.iter().map(|l| l.hyps.len()).sum();
            text += &format!(
            "\nN-best: {} lists, {hyps} hypotheses from {}; words/s counts hypothesis words (without </s>); dashlm uses its prefix-sharing rescorer, KenLM scores word by word with a vocabulary lookup per word.\n",
            lists.len(),
            args.nbest.as_ref().map_or(String::new(), |p| p.display().to_string())
        );
        }
        if !targets.is_empty() {
            text += "\nTargets (store issue):\n\n| target | required | measured | met |\n|---|---|---|---|\n";
            for (what, want, got, met) in targets.iter() {
                let met = match met {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "-",
                };
                text += &format!("| {what} | {want} | {got} | {met} |\n");
            }
        }
        text += &format!("\nCaveat: {CAVEAT}\n");
        text
    }

    /// Writes the JSON document to `out` and puts it in place: the machine, the command `argv`, the
    /// model, the queries, every row, the targets and the seconds since `started`.
    pub fn write_json(
        &self,
        out: dashlm::atomic::PendingFile,
        argv: &[OsString],
        started: Instant,
    ) -> Res<()> {
        let (args, inputs) = (self.args, self.inputs);
        let queries = &inputs.queries;
        let value = json!({
            "machine": self.machine,
            "caveat": CAVEAT,
            "command": argv.iter().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>(),
            "model": {
                "arpa": args.arpa.display().to_string(),
                "counts": inputs.counts,
                "ngrams": inputs.ngrams,
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
            "max_abs_diff_against": self.diff_reference,
            "rows": self.report.json_rows(),
            "targets": self.targets.iter().map(|(what, want, got, met)| json!({
                "target": what, "required": want, "measured": got, "met": met,
            })).collect::<Vec<_>>(),
            "seconds_total": started.elapsed().as_secs_f64(),
        });
        let mut w = std::io::BufWriter::new(out.file());
        w.write_all((serde_json::to_string_pretty(&value)? + "\n").as_bytes())?;
        w.flush()?;
        drop(w);
        out.commit()?;
        Ok(())
    }
}
