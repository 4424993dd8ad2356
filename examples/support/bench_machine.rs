//! What `examples/bench.rs` records about the machine: CPU, memory, kernel,
//! load averages, and this process's resident set size (all from /proc).

use std::fs;

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

/// The machine's description for the report (`loadavg_end` is added at the end).
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

/// Resident set size of this process (bytes), from /proc/self/status.
pub fn rss_bytes() -> u64 {
    read_or_empty("/proc/self/status")
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(0, |k| k * 1024)
}
