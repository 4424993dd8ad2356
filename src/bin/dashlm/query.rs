//! `dashlm query MODEL`: KenLM-compatible scoring of sentences from stdin.

use std::error::Error;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use dashlm::query::{self, Verbosity};

/// Score sentences from stdin exactly as KenLM's `query` does.
///
/// Prints, per word, `word=id order log10prob` (ids are dashlm's own and may
/// differ from KenLM's; the numbers do not), per line `Total: X OOV: N`, and a
/// perplexity summary. Without -v, all three are printed, as KenLM does.
#[derive(clap::Args)]
pub struct Args {
    /// The model: compiled by build-lm, or ARPA text (plain, .gz or .xz).
    model: PathBuf,
    /// What to print: word, sentence, summary (repeatable), or 0, 1, 2 as in KenLM.
    #[arg(short = 'v', value_name = "LEVEL")]
    verbosity: Vec<String>,
    /// Do not wrap lines in <s> and </s>.
    #[arg(short = 'n')]
    no_sentence_context: bool,
}

fn parse_verbosity(levels: &[String]) -> Result<Verbosity, String> {
    let mut v = Verbosity {
        word: false,
        sentence: false,
        summary: false,
    };
    for level in levels {
        match level.as_str() {
            "word" => v.word = true,
            "sentence" => v.sentence = true,
            "summary" => v.summary = true,
            "0" => {
                v = Verbosity {
                    word: false,
                    sentence: false,
                    summary: true,
                }
            }
            "1" => {
                v = Verbosity {
                    word: false,
                    sentence: true,
                    summary: true,
                }
            }
            "2" => {
                v = Verbosity {
                    word: true,
                    sentence: true,
                    summary: true,
                }
            }
            other => {
                return Err(format!(
                    "-v {other}: expected word, sentence, summary, 0, 1 or 2"
                ))
            }
        }
    }
    if !(v.word || v.sentence || v.summary) {
        v = Verbosity {
            word: true,
            sentence: true,
            summary: true,
        };
    }
    Ok(v)
}

/// For `query` and `bench-query`, which read their sentences from standard
/// input: MODEL `-` is refused by name, and so is a name of the pipe, FIFO or
/// socket on standard input (`/dev/stdin` on a pipe), which the model would
/// read to its end, leaving no sentences.
pub fn refuse_sentences_stream_model(path: &Path) -> Result<(), String> {
    const WHY: &str = "standard input carries the sentences to score";
    super::load::refuse_stdin_model(path, WHY)?;
    let stream = super::lists::stream_identity(path);
    if stream.is_some() && stream == super::lists::stream_identity(Path::new("-")) {
        return Err(format!(
            "MODEL {}: standard input, which carries the sentences to score; give the model's path",
            path.display()
        ));
    }
    Ok(())
}

pub fn run(args: Args) -> Result<(), Box<dyn Error + Send + Sync>> {
    let verbosity = parse_verbosity(&args.verbosity)?;
    refuse_sentences_stream_model(&args.model)?;
    let loaded = super::load::open_model(&args.model)?;
    let input = io::BufReader::new(NamedInput(io::stdin().lock()));
    let output = super::load::stdout();
    let context = !args.no_sentence_context;
    crate::with_model!(&loaded, |m| query::run(
        m, input, output, verbosity, context
    ))?;
    Ok(())
}

/// Standard input, its errors naming it (`query::run` reads and writes, and
/// its errors say neither which).
struct NamedInput<R>(R);

impl<R: Read> Read for NamedInput<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|e| super::load::named("standard input", e))
    }
}
