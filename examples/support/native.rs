//! KenLM's own query loop in a child process (`kenlm-query-loop --serve`,
//! built by `benches/kenlm_native/build.sh`), for `examples/bench.rs`: the
//! native peer without kenlm-rs's per-call FFI, timed in the same rounds as
//! every other system. The child loads the model and the query text once;
//! each `run` is one timed run (the parent times the exchange, a few
//! microseconds beside a run of tens of milliseconds).

use std::cell::RefCell;
use std::error::Error;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::str::FromStr;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The running child and its pipes.
struct Pipes {
    bin: PathBuf,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Pipes {
    /// Sends `command` (a line).
    fn send(&mut self, command: &str) -> Res<()> {
        writeln!(self.stdin, "{command}")?;
        Ok(self.stdin.flush()?)
    }

    /// The child's next line.
    fn line(&mut self) -> Res<String> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            let status = self.child.wait()?;
            return Err(
                format!("{}: exited ({status}) before answering", self.bin.display()).into(),
            );
        }
        Ok(line)
    }

    /// The two fields of `line`, `expected` naming them for the error.
    fn pair<A: FromStr, B: FromStr>(&self, line: &str, expected: &str) -> Res<(A, B)> {
        let mut fields = line.split_whitespace();
        match (
            fields.next().and_then(|a| a.parse().ok()),
            fields.next().and_then(|b| b.parse().ok()),
        ) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err(format!(
                "{}: expected `{expected}`, got `{}`",
                self.bin.display(),
                line.trim()
            )
            .into()),
        }
    }
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
            bin: bin.to_path_buf(),
            child,
            stdin,
            stdout,
        };
        let line = pipes.line()?;
        let (ready, queries): (String, u64) = pipes.pair(&line, "ready QUERIES")?;
        if ready != "ready" {
            return Err(format!(
                "{}: expected `ready QUERIES`, got `{}`",
                bin.display(),
                line.trim()
            )
            .into());
        }
        Ok(NativeKenlm {
            pipes: RefCell::new(pipes),
            queries,
        })
    }

    /// One run: `(queries, log10 sum)`.
    pub fn run(&self) -> Res<(u64, f64)> {
        let mut p = self.pipes.borrow_mut();
        p.send("run")?;
        let line = p.line()?;
        p.pair(&line, "QUERIES LOG10_SUM")
    }

    /// One pass's `(log10 probability, n-gram length)` of every query.
    pub fn scores(&self) -> Res<Vec<(f32, u8)>> {
        let mut p = self.pipes.borrow_mut();
        p.send("scores")?;
        let mut out = Vec::new();
        loop {
            let line = p.line()?;
            if line.trim() == "end" {
                return Ok(out);
            }
            out.push(p.pair(&line, "PROB LENGTH")?);
        }
    }
}

impl Drop for NativeKenlm {
    /// Ends the child and waits for it, so that it is not left behind.
    fn drop(&mut self) {
        let p = self.pipes.get_mut();
        let _ = p.child.kill();
        let _ = p.child.wait();
    }
}
