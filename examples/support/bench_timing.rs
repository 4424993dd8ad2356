//! Timing for `examples/bench.rs`: best and median of timed runs, the median
//! over rounds of speed ratios to a peer, and the round robin that interleaves
//! the systems' runs within each round.

use std::time::Instant;

use crate::bench_machine::loadavg;
use crate::bench_systems::System;

/// Best and median of several timed runs of the same work, and the median
/// over rounds of the speed ratio to KenLM probing's run in the same round.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timing {
    pub queries: u64,
    pub best_s: f64,
    pub median_s: f64,
    pub ratio_median: Option<f64>,
    /// The same against native KenLM's run (`--kenlm-native-bin`).
    pub native_ratio_median: Option<f64>,
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
    pub fn qps(&self) -> f64 {
        self.queries as f64 / self.best_s
    }
    pub fn median_qps(&self) -> f64 {
        self.queries as f64 / self.median_s
    }
}

/// The median of `repeat` runs of `f`, in milliseconds.
pub fn median_ms(repeat: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..repeat)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    median(&mut v).expect("at least one run")
}

/// Speed and agreement of one system on the query stream.
#[derive(Default)]
pub struct Speed {
    pub seq: Timing,
    /// `score_corpus`: the same queries told the next word.
    pub lookahead: Option<Timing>,
    pub batched: Option<Timing>,
    pub threads: Option<Timing>,
    pub nbest: Option<Timing>,
    pub nbest_threads: Option<Timing>,
    pub nbest_log10_sum: Option<f64>,
    pub log10_sum: f64,
    pub mean_length: f64,
}

/// The systems whose run in each round the others' are compared with.
#[derive(Clone, Copy)]
pub struct Peers {
    pub kenlm_rs: Option<usize>,
    pub native: Option<usize>,
}

/// Times `f` on every system, `repeat` rounds, the systems interleaved within a
/// round so that a burst of load from other processes hits all of them alike.
pub fn round_robin(
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
