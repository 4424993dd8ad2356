//! Generates n-best lists that do not repeat, for timing the rescorer on input
//! whose model lines are not all cached (`big.jsonl`, synth-dev 30 times,
//! repeats 141 lists): one list per line of a text file, the line itself
//! first, then distinct copies with 1-3 random edits each (a word replaced by
//! a word of the file's vocabulary (60%), deleted (20%) or inserted (20%)).
//! Scores are random; `rescore_bench` and the model ignore them.
//!
//! ```text
//! cargo run --release --example gen_nbest -- ../shared/data/queries/dev.txt gen-nbest.jsonl
//! cargo run --release --example rescore_bench -- DIR/model.f32.dlm en4.arpa gen-nbest.jsonl 5
//! ```
//!
//! The output is JSONL (gzip or xz by the extension, as `dashlm rescore` writes).

use std::collections::HashSet;
use std::error::Error;
use std::path::PathBuf;

use clap::Parser;
use dashlm::rescore::{write_lists, Format, Hypothesis, NbestList};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[path = "support/exit.rs"]
mod exit;

/// Generate seeded n-best lists from the lines of a text file.
#[derive(Parser)]
#[command(name = "gen_nbest")]
struct Args {
    /// Sentences, one a line (blank lines are skipped).
    input: PathBuf,
    /// Output JSONL file (.gz or .xz to compress).
    output: PathBuf,
    /// Hypotheses a list (fewer when a sentence has fewer distinct edits).
    #[arg(long, default_value_t = 50)]
    hyps: usize,
    /// Seed of the random edits and scores.
    #[arg(long, default_value_t = 70)]
    seed: u64,
}

/// `words` with 1-3 random edits, each word drawn from `vocab`.
fn edited(words: &[&str], vocab: &[&str], rng: &mut StdRng) -> String {
    let mut h: Vec<&str> = words.to_vec();
    for _ in 0..rng.gen_range(1..=3) {
        let at = rng.gen_range(0..h.len().max(1));
        let op: f64 = rng.gen();
        if op < 0.6 && !h.is_empty() {
            h[at] = vocab[rng.gen_range(0..vocab.len())];
        } else if op < 0.8 && h.len() > 1 {
            h.remove(at);
        } else {
            h.insert(at, vocab[rng.gen_range(0..vocab.len())]);
        }
    }
    h.join(" ")
}

fn try_main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.input)
        .map_err(|e| format!("{}: {e}", args.input.display()))?;
    let sentences: Vec<Vec<&str>> = (text.lines())
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect();
    let mut vocab: Vec<&str> = sentences.iter().flatten().copied().collect();
    vocab.sort_unstable();
    vocab.dedup();
    if vocab.is_empty() {
        return Err(format!("{}: no words", args.input.display()).into());
    }
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut lists = Vec::with_capacity(sentences.len());
    for (i, words) in sentences.iter().enumerate() {
        let first = words.join(" ");
        let mut seen = HashSet::from([first.clone()]);
        let mut texts = vec![first];
        // Short sentences may have few distinct edits: give up after a while.
        for _ in 0..20 * args.hyps {
            if texts.len() >= args.hyps {
                break;
            }
            let h = edited(words, &vocab, &mut rng);
            if seen.insert(h.clone()) {
                texts.push(h);
            }
        }
        let mut list = NbestList::new(&format!("gen-{i}")).with_reference(&texts[0]);
        for t in &texts {
            let (acoustic, lm) = (-rng.gen_range(1000.0..3000.0), -rng.gen_range(20.0..80.0));
            list = list.with_hyp(Hypothesis::new(t, acoustic).with_lm(lm));
        }
        lists.push(list);
    }
    write_lists(&args.output, Format::Jsonl, &lists)
        .map_err(|e| format!("{}: {e}", args.output.display()))?;
    let words: usize = lists
        .iter()
        .flat_map(|l| &l.hyps)
        .map(|h| h.words.len())
        .sum();
    eprintln!(
        "{} lists, {} hypotheses, {words} hypothesis words",
        lists.len(),
        lists.iter().map(|l| l.hyps.len()).sum::<usize>()
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    exit::report("gen_nbest", try_main())
}
