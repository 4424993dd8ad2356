//! The measurements of `examples/bench.rs` on the loaded systems: agreement
//! (one pass), then the timed runs, interleaved round by round: one thread,
//! lookahead, batched, threads, and n-best rescoring.

use dashlm::rescore::NbestList;

use crate::bench_args::Args;
use crate::bench_load::Systems;
use crate::bench_report::{Row, NATIVE};
use crate::bench_systems::{Agreement, System};
use crate::bench_timing::{round_robin, Peers, Speed, Timing};
use crate::Res;

/// Each system's n-best timings: one thread, `--threads` threads, and the
/// log10 sum of one pass.
struct NbestTimings {
    one: Vec<Option<Timing>>,
    threads: Vec<Option<Timing>>,
    log10_sums: Vec<Option<f64>>,
}

/// Measures `systems` (ended here, with any child) and fills in the rows'
/// speed and agreement: each system's scores against KenLM's, kenlm-rs's
/// unless `lossy_kenlm_rs` (query words that are not UTF-8, which kenlm-rs
/// cannot look up), then the native loop's, if it runs. Returns the name of
/// the system the scores were compared with (`None`: not compared).
pub fn measure(
    args: &Args,
    nbest: Option<&[NbestList]>,
    systems: Systems,
    rows: &mut [Row],
    lossy_kenlm_rs: bool,
) -> Res<Option<&'static str>> {
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
    // Runs of a few milliseconds measure the timer and the scheduler: their
    // ratios (and the verdicts on them) are noise.
    if let Some(shortest) = seq.iter().flatten().map(|t| t.best_s).reduce(f64::min) {
        if shortest < 0.02 {
            eprintln!(
                "bench: warning: the shortest timed run took {:.1} ms: ratios from runs \
                 this short are noise (raise --min-queries)",
                shortest * 1e3
            );
        }
    }
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
    let nb = match nbest {
        Some(lists) => measure_nbest(&mut boxes, peers, args, lists)?,
        None => NbestTimings {
            one: vec![None; boxes.len()],
            threads: vec![None; boxes.len()],
            log10_sums: vec![None; boxes.len()],
        },
    };
    drop(boxes);
    let (reference, reference_name) = if lossy_kenlm_rs {
        (peers.native, NATIVE)
    } else {
        (peers.kenlm_rs, "kenlm-rs")
    };
    let kenlm_scores = reference.map(|i| agreements[i].scores.clone());
    for (i, name) in names.iter().enumerate() {
        let a = &agreements[i];
        let row = rows.iter_mut().find(|r| r.system == *name).expect("row");
        // Over every query, or none: a system that gave another number of
        // scores (a native loop's output cut short) is not compared.
        if kenlm_scores
            .as_ref()
            .is_some_and(|k| k.len() != a.scores.len())
        {
            eprintln!(
                "bench: warning: {name} gave {} per-query scores where {reference_name} gave \
                 {}: its scores are not compared",
                a.scores.len(),
                kenlm_scores.as_ref().map_or(0, Vec::len)
            );
        }
        row.max_abs_diff = kenlm_scores
            .as_ref()
            .filter(|k| k.len() == a.scores.len())
            .map(|k| {
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
            nbest: nb.one[i],
            nbest_threads: nb.threads[i],
            nbest_log10_sum: nb.log10_sums[i],
            log10_sum: a.log10_sum(),
            mean_length: a.mean_length,
        });
    }
    // Every system scores the same stream: a native loop (or a kenlm-rs)
    // whose sum differs scored something else, and the ratios mislead.
    if let (Some(k), Some(n)) = (peers.kenlm_rs, peers.native) {
        let (k, n) = (agreements[k].log10_sum(), agreements[n].log10_sum());
        if (k - n).abs() > 1e-4 * k.abs().max(1.0) {
            eprintln!(
                "bench: warning: KenLM's native loop's log10 sum {n:.4} differs from \
                 kenlm-rs's {k:.4}: they did not score the same words (non-UTF-8 query \
                 words, which kenlm-rs cannot take?), so their rows do not compare"
            );
        }
    }
    Ok(reference.map(|_| reference_name))
}

/// N-best rescoring: one pass for the log10 sums, then one thread and
/// `--threads` threads (a rayon pool), interleaved.
fn measure_nbest(
    boxes: &mut [Box<dyn System>],
    peers: Peers,
    args: &Args,
    lists: &[NbestList],
) -> Res<NbestTimings> {
    let repeat = args.repeat;
    let log10_sums: Vec<Option<f64>> = boxes
        .iter()
        .map(|s| s.nbest(lists).map(|(_, sum)| sum))
        .collect();
    let one = round_robin(boxes, peers, repeat, "n-best, one thread", |s| {
        s.nbest(lists)
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()?;
    let threads = round_robin(boxes, peers, repeat, "n-best, threads", |s| {
        s.nbest_threads(lists, &pool)
    });
    Ok(NbestTimings {
        one,
        threads,
        log10_sums,
    })
}
