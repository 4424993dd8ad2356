//! `dashlm bench-query MODEL < TEXT`: single-thread query throughput.

use std::error::Error;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;

use dashlm::LanguageModel;

/// Time the stateful query API on one thread.
///
/// Converts every line's words to ids first, then scores every word and `</s>`
/// of each line from `<s>`, REPEAT times, and prints the best run as one line:
/// `queries=N log10_sum=X seconds=S qps=Q`. By default each query is a plain
/// `full_score(state, word)`, as a decoder that does not know the next word
/// makes it; `--lookahead` scores the lines with `score_corpus`, which tells the
/// model the next word (as perplexity and rescoring can). A last line without a
/// newline is a line too (unlike `query`, which follows KenLM there), and
/// `log10_sum` adds every query's score in f64 (`query`'s `Total:` lines are
/// f32 sums, line by line).
#[derive(clap::Args)]
pub struct Args {
    /// The model (compiled or ARPA).
    model: PathBuf,
    /// Number of timed repetitions (at least 3).
    #[arg(long, default_value_t = 5, allow_hyphen_values = true, value_parser = parse_repeat)]
    repeat: u32,
    /// Score the lines with the lookahead of `score_corpus` instead of one
    /// `full_score` call per word.
    #[arg(long)]
    lookahead: bool,
}

fn bench<M: LanguageModel>(model: &M, repeat: u32, lookahead: bool) -> io::Result<String> {
    let mut sentences = Vec::new();
    for line in io::stdin().lock().split(b'\n') {
        let line = line.map_err(|e| super::load::named("standard input", e))?;
        sentences.push(
            dashlm::text::split(&line)
                .map(|w| model.word_id(w))
                .collect::<Vec<_>>(),
        );
    }
    if sentences.is_empty() {
        // Nothing to time: `queries=0 ... qps=0` (or NaN) is no measurement.
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "standard input: no lines to score",
        ));
    }
    let mut best = f64::INFINITY;
    let mut result = (0, 0.0);
    for _ in 0..repeat {
        let start = Instant::now();
        result = std::hint::black_box(if lookahead {
            model.score_corpus(&sentences)
        } else {
            dashlm::lm::score_corpus_word_by_word(model, &sentences)
        });
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok(format!(
        "queries={} log10_sum={:.4} seconds={best:.9} qps={:.0}",
        result.0,
        result.1,
        result.0 as f64 / best
    ))
}

/// `--repeat N`: at least 3 runs, the best of which is printed.
fn parse_repeat(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if n >= 3 => Ok(n),
        _ => Err(format!(
            "`{s}`: expected a number of runs >= 3 (and < 2^32)"
        )),
    }
}

pub fn run(args: Args) -> Result<(), Box<dyn Error + Send + Sync>> {
    super::query::refuse_sentences_stream_model(&args.model)?;
    let loaded = super::load::open_model(&args.model)?;
    let line = crate::with_model!(&loaded, |m| bench(m, args.repeat, args.lookahead))?;
    let mut out = super::load::stdout();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}
