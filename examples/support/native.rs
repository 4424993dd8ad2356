//! KenLM's own query loop in a child process (`kenlm-query-loop --serve`,
//! built by `benches/kenlm_native/build.sh`), for `examples/bench.rs`: the
//! native peer without kenlm-rs's per-call FFI, timed in the same rounds as
//! every other system. The child loads the model and the query text once;
//! each `run` is one timed run (the parent times the exchange, a few
//! microseconds beside a run of tens of milliseconds).

use std::cell::RefCell;
use std::error::Error;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The running child and its pipes.
struct Pipes {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// A `kenlm-query-loop --serve` child with a model and a query text loaded.
pub struct NativeKenlm {
    pipes: RefCell<Pipes>,
    /// Queries per run.
    pub queries: u64,
}

impl NativeKenlm {
    /// Starts `bin --serve model text passes` and waits until it has loaded.
    pub fn start(bin: &Path, model: &Path, text: &Path, passes: usize) -> Res<NativeKenlm> {
        let mut child = Command::new(bin)
            .arg("--serve")
            .arg(model)
            .arg(text)
            .arg(passes.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!(
                    "{}: {e} (build it with benches/kenlm_native/build.sh)",
                    bin.display()
                )
            })?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut pipes = Pipes {
            child,
            stdin,
            stdout,
        };
        let line = read_line(&mut pipes, bin)?;
        let queries = line
            .strip_prefix("ready ")
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| {
                format!(
                    "{}: expected `ready QUERIES`, got `{}`",
                    bin.display(),
                    line.trim()
                )
            })?;
        Ok(NativeKenlm {
            pipes: RefCell::new(pipes),
            queries,
        })
    }

    /// One run: `(queries, log10 sum)`.
    pub fn run(&self) -> Res<(u64, f64)> {
        let mut p = self.pipes.borrow_mut();
        p.stdin.write_all(b"run\n")?;
        p.stdin.flush()?;
        let line = read_line(&mut p, Path::new("kenlm-query-loop"))?;
        let mut fields = line.split_whitespace();
        match (
            fields.next().and_then(|n| n.parse().ok()),
            fields.next().and_then(|s| s.parse().ok()),
        ) {
            (Some(n), Some(sum)) => Ok((n, sum)),
            _ => Err(format!(
                "kenlm-query-loop: expected `QUERIES LOG10_SUM`, got `{}`",
                line.trim()
            )
            .into()),
        }
    }

    /// One pass's `(log10 probability, n-gram length)` of every query.
    pub fn scores(&self) -> Res<Vec<(f32, u8)>> {
        let mut p = self.pipes.borrow_mut();
        p.stdin.write_all(b"scores\n")?;
        p.stdin.flush()?;
        let mut out = Vec::new();
        loop {
            let line = read_line(&mut p, Path::new("kenlm-query-loop"))?;
            if line.trim() == "end" {
                return Ok(out);
            }
            let mut fields = line.split_whitespace();
            match (
                fields.next().and_then(|s| s.parse().ok()),
                fields.next().and_then(|n| n.parse().ok()),
            ) {
                (Some(prob), Some(len)) => out.push((prob, len)),
                _ => {
                    return Err(format!(
                        "kenlm-query-loop: expected `PROB LENGTH`, got `{}`",
                        line.trim()
                    )
                    .into())
                }
            }
        }
    }
}

impl Drop for NativeKenlm {
    fn drop(&mut self) {
        let p = self.pipes.get_mut();
        // Closing its input ends the child; wait so that it is not left behind.
        let _ = p.stdin.flush();
        let _ = p.child.kill();
        let _ = p.child.wait();
    }
}

fn read_line(p: &mut Pipes, bin: &Path) -> Res<String> {
    let mut line = String::new();
    if p.stdout.read_line(&mut line)? == 0 {
        let status = p.child.wait()?;
        return Err(format!("{}: exited ({status}) before answering", bin.display()).into());
    }
    Ok(line)
}
