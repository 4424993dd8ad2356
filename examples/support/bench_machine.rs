//! What `examples/bench.rs` records about the machine: CPU, memory, kernel,
//! load averages, this process's resident set size (all from /proc), and the
//! time of one dependent memory access.

use std::fs;
use std::hint::black_box;
use std::time::Instant;

use dashlm::format::HugeBuf;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

fn read_or_empty(path: &str) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// The 1, 5 and 15 minute load averages, as /proc/loadavg gives them.
pub fn loadavg() -> String {
    read_or_empty("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The machine's description for the report (`memory_latency_ns` is added after
/// the builds, `loadavg_end` at the end).
pub fn machine() -> Value {
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

/// Bytes the pointer chase of [`memory_latency_ns`] runs through: far more
/// than any cache, like the models whose word-by-word speed it explains.
const CHASE_BYTES: usize = 256 << 20;

/// Nanoseconds of one memory access that waits for the one before: a
/// pointer chase through [`CHASE_BYTES`] in huge pages (as `Model::load`
/// reads a model), one cache line a step, the lines in one random cycle.
/// A word-by-word query of a model much larger than the cache waits for
/// its probes about like this; the best of three chases of 2^20 steps.
///
/// Its 256 MiB stay in this process's peak RSS, which Linux passes on to
/// every child spawned afterwards (a child's peak RSS counts its parent's at
/// the child's `exec`), so the harness chases after timing the builds.
pub fn memory_latency_ns() -> f64 {
    const WORDS_PER_LINE: usize = 64 / 4;
    const LINES: usize = CHASE_BYTES / 64;
    const STEPS: u32 = 1 << 20;
    // Sattolo's shuffle: `cycle[i]` follows line `i`, all lines in one cycle.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut cycle: Vec<u32> = (0..LINES as u32).collect();
    for i in (1..LINES).rev() {
        cycle.swap(i, rng.gen_range(0..i));
    }
    let mut next = HugeBuf::filled(LINES * WORDS_PER_LINE, 0u32);
    for (line, &to) in cycle.iter().enumerate() {
        next[line * WORDS_PER_LINE] = to;
    }
    drop(cycle);
    let chase = || {
        let started = Instant::now();
        let mut line = 0usize;
        for _ in 0..STEPS {
            line = next[line * WORDS_PER_LINE] as usize;
        }
        black_box(line);
        started.elapsed().as_secs_f64() * 1e9 / f64::from(STEPS)
    };
    (0..3).map(|_| chase()).fold(f64::INFINITY, f64::min)
}

/// Resident set size of this process (bytes), from /proc/self/status.
pub fn rss_bytes() -> u64 {
    read_or_empty("/proc/self/status")
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(0, |k| k * 1024)
}
