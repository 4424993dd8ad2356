//! The inputs of `examples/bench.rs`: the work directory, the ARPA model (its
//! counts, and a plain copy every builder reads), the query text with its
//! split between threads, and the n-best lists.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use dashlm::rescore::{self, NbestList};
use tempfile::TempDir;

use crate::bench_args::Args;
use crate::bench_report::thousands;
use crate::Res;

/// Everything read or prepared before the builds.
pub struct Inputs {
    /// Where the built models go.
    pub workdir: PathBuf,
    /// The temporary work directory (without `--workdir`), removed on drop,
    /// or by Ctrl-C, SIGTERM or SIGHUP (its guard).
    _tmp: Option<(dashlm::atomic::RemovedOnInterrupt, TempDir)>,
    /// The ARPA as plain text (decompressed into the work directory if needed).
    pub plain: PathBuf,
    /// N-grams per order, from the ARPA header.
    pub counts: Vec<u64>,
    /// All n-grams.
    pub ngrams: u64,
    pub queries: Queries,
    pub nbest: Option<Vec<NbestList>>,
}

impl Inputs {
    /// Creates the work directory and reads the ARPA header, the queries and
    /// the n-best lists.
    pub fn prepare(args: &Args) -> Res<Inputs> {
        // The queries (and lists) first: a bad path fails before the ARPA is
        // read and decompressed.
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
        let (workdir, tmp) = match &args.workdir {
            Some(d) => {
                let named = |e| format!("--workdir {}: {e}", d.display());
                fs::create_dir_all(d).map_err(named)?;
                // Writable now, not at the first build.
                tempfile::tempfile_in(d).map_err(named)?;
                (d.clone(), None)
            }
            None => {
                let tmp = tempfile::Builder::new().prefix("dashlm-bench-").tempdir()?;
                let guard = dashlm::atomic::RemovedOnInterrupt::new(tmp.path());
                eprintln!(
                    "bench: work directory {} (removed at the end, or on Ctrl-C)",
                    tmp.path().display()
                );
                (tmp.path().to_path_buf(), Some((guard, tmp)))
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

        Ok(Inputs {
            workdir,
            _tmp: tmp,
            plain,
            counts,
            ngrams,
            queries,
            nbest,
        })
    }
}

pub fn decompress(src: &Path, dst: &Path) -> Res<()> {
    let mut input = dashlm::arpa::open_input(src)?;
    let mut out = BufWriter::with_capacity(1 << 20, File::create(dst)?);
    io::copy(&mut input.reader, &mut out)?;
    out.flush()?;
    Ok(())
}

/// The query text: sentences of words, and how often to run through them.
pub struct Queries {
    pub sentences: Vec<Vec<Vec<u8>>>,
    /// Queries in one pass over the sentences (words + one `</s>` each).
    pub per_pass: u64,
    /// Passes per timed run.
    pub passes: usize,
}

impl Queries {
    /// How many query words are not UTF-8: kenlm-rs takes words as UTF-8
    /// strings, so it looks up their lossy spelling (U+FFFD) instead, and its
    /// scores there are not KenLM's for those bytes.
    pub fn not_utf8_words(&self) -> usize {
        let words = self.sentences.iter().flatten();
        words.filter(|w| std::str::from_utf8(w).is_err()).count()
    }

    pub fn read(path: &Path, min_queries: u64) -> Res<Queries> {
        let text = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        if lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        let sentences: Vec<Vec<Vec<u8>>> = lines
            .iter()
            .map(|l| dashlm::text::split(l).map(<[u8]>::to_vec).collect())
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

    pub fn total(&self) -> u64 {
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
pub fn on_threads<T: Sync>(
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
