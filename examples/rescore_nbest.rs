//! Rescore the shipped n-best sample with the small sample model, tune the
//! weights on it, and compare 1-best, rescored and oracle WER; or, with
//! `--halvings`, measure how tuned weights carry over to unseen lists.
//!
//! ```text
//! cargo run --release --example rescore_nbest [MODEL] [LISTS.jsonl]
//! cargo run --release --example rescore_nbest -- MODEL LISTS.jsonl --halvings N
//!     [--seed S] [--plateau D|off] [--mbr]
//! ```
//!
//! MODEL is ARPA (plain, `.gz`, `.xz`) or a compiled model. With `--halvings
//! N`, the lists (with references) are split in two halves: the first half and
//! the rest, then N random halvings (seeded, default seed 1). For each split the
//! weights are tuned on one half only, with [`TuneOptions::default`] (the
//! plateau rule with `--plateau`'s margin, or the plain grid search with
//! `--plateau off`; MBR over the default posterior scales with `--mbr`), and the
//! other half is rescored with them. Prints, per split, the unseen half's 1-best,
//! rescored and oracle WER and the share of the gap between 1-best and oracle
//! that rescoring recovered; then the mean share over the random halvings.

use std::error::Error;
use std::path::{Path, PathBuf};

use clap::Parser;
use dashlm::rescore::wer::nbest_wer;
use dashlm::rescore::{
    read_lists, score_lists, tune, Format, NbestList, Rescorer, TuneOptions, TuneSet, Weights,
};
use dashlm::{LanguageModel, ReferenceModel};

#[path = "support/exit.rs"]
mod exit;

type BoxError = Box<dyn Error + Send + Sync>;

/// Rescores n-best lists with a model, tunes the weights and compares 1-best,
/// rescored and oracle WER; with `--halvings`, tunes on one half of the lists
/// and rescores the other.
#[derive(Parser)]
#[command(name = "rescore_nbest")]
struct Options {
    /// The model: ARPA (plain, `.gz`, `.xz`) or compiled.
    #[arg(default_value_os_t = sample("sample-3gram.arpa"))]
    model: PathBuf,
    /// The n-best lists, JSON lines.
    #[arg(default_value_os_t = sample("sample.jsonl"))]
    lists: PathBuf,
    /// Tune on one half, rescore the other: the first half and the rest, then
    /// N random halvings.
    #[arg(long, value_name = "N")]
    halvings: Option<usize>,
    /// The random halvings' seed.
    #[arg(long, default_value_t = 1, requires = "halvings")]
    seed: u64,
    /// The plateau rule's margin, or `off` for the plain grid search
    /// (default: `TuneOptions::default()`'s).
    #[arg(long, value_name = "D|off", value_parser = parse_plateau, requires = "halvings")]
    plateau: Option<Plateau>,
    /// MBR over the default posterior scales.
    #[arg(long, requires = "halvings")]
    mbr: bool,
}

/// `--plateau`: a margin, or `off` (`None`).
#[derive(Clone, Copy)]
struct Plateau(Option<f64>);

fn parse_plateau(s: &str) -> Result<Plateau, String> {
    match s {
        "off" => Ok(Plateau(None)),
        d => d
            .parse()
            .map(|d| Plateau(Some(d)))
            .map_err(|e| format!("`{d}`: {e} (expected a margin or `off`)")),
    }
}

impl Options {
    /// The plateau margin the tuning uses.
    fn plateau(&self) -> Option<f64> {
        self.plateau.map_or(TuneOptions::default().plateau, |p| p.0)
    }
}

/// A file of data/nbest.
fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/nbest")
        .join(name)
}

fn try_main() -> Result<(), BoxError> {
    let opts = Options::parse();
    let (model, lists_path) = (&opts.model, &opts.lists);
    let lists = read_lists(lists_path, Format::Jsonl)?;
    let mut head = [0u8; 8];
    let compiled = std::fs::File::open(model)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head == dashlm::format::MAGIC;
    if compiled {
        let lm = dashlm::Model::load(model)?;
        run(&lm, &lists, &opts)
    } else {
        let input =
            dashlm::arpa::open_input(model).map_err(|e| format!("{}: {e}", model.display()))?;
        let lm = ReferenceModel::read(input.reader, &model.display().to_string())?;
        run(&lm, &lists, &opts)
    }
}

fn run<M: LanguageModel>(lm: &M, lists: &[NbestList], opts: &Options) -> Result<(), BoxError> {
    println!(
        "{} lists, {} hypotheses",
        lists.len(),
        lists.iter().map(|l| l.hyps.len()).sum::<usize>()
    );

    // Score every hypothesis once (shared states, batched queries, parallel lists) ...
    let (lm_scores, stats) = score_lists(lm, lists, |_| {});
    println!(
        "{} hypothesis words (+ </s>) scored with {} LM queries",
        stats.words + stats.hyps,
        stats.queries
    );
    if let Some(n) = opts.halvings {
        return halvings(lists, &lm_scores, n, opts);
    }

    // ... then tune the LM weight and word insertion penalty on the cached scores.
    let set = TuneSet::new(lists, &lm_scores, false);
    if set.is_empty() {
        return Err(format!("{}: no list has a reference", opts.lists.display()).into());
    }
    let tuned = tune(&set, &TuneOptions::default());
    let w = tuned.weights;
    println!(
        "tuned: lm_weight {} wip {} (WER {:.1}%)",
        w.lm_weight,
        w.word_insertion_penalty,
        100.0 * tuned.wer()
    );

    // Rescore with the tuned weights and show the re-ranked best hypotheses.
    let rescorer = Rescorer::new(lm, Weights { ..w });
    let rescored = rescorer.rescore_all(lists);
    for (list, r) in lists.iter().zip(&rescored) {
        let best = &list.hyps[r.best().unwrap_or(0)];
        println!(
            "{}\n  ref:    {}\n  1-best: {}\n  new:    {}",
            list.id,
            list.reference
                .as_ref()
                .map(|r| r.join(" "))
                .unwrap_or_default(),
            list.hyps.first().map(|h| h.text()).unwrap_or_default(),
            best.text()
        );
    }
    let chosen: Vec<Option<usize>> = rescored.iter().map(|r| r.best()).collect();
    let summary = nbest_wer(lists, &chosen);
    println!("1-best   {}", summary.first);
    println!("rescored {}", summary.chosen);
    println!("oracle   {}", summary.oracle);
    Ok(())
}

/// Tunes on the lists `tune_idx`, rescores `test_idx`; returns the share of the
/// gap recovered on `test_idx` (percent) and prints one line.
fn split(
    name: &str,
    lists: &[NbestList],
    scores: &[Vec<f64>],
    (tune_idx, test_idx): (&[usize], &[usize]),
    opts: &Options,
    print: bool,
) -> f64 {
    let pick = |idx: &[usize]| -> (Vec<NbestList>, Vec<Vec<f64>>) {
        idx.iter()
            .map(|&i| (lists[i].clone(), scores[i].clone()))
            .unzip()
    };
    let (tune_lists, tune_scores) = pick(tune_idx);
    let (test_lists, test_scores) = pick(test_idx);
    let options = TuneOptions {
        plateau: opts.plateau(),
        scales: if opts.mbr {
            vec![0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
        } else {
            Vec::new()
        },
        ..TuneOptions::default()
    };
    let tuned = tune(&TuneSet::new(&tune_lists, &tune_scores, opts.mbr), &options);
    let test = TuneSet::new(&test_lists, &test_scores, opts.mbr);
    let (first, oracle) = (test.first_errors(), test.oracle_errors());
    let chosen = test.errors(&tuned.weights, tuned.scale);
    let gap = 100.0 * (first as f64 - chosen as f64) / (first as f64 - oracle as f64).max(1.0);
    if print {
        let words = test.ref_words().max(1) as f64;
        let wer = |e: u64| 100.0 * e as f64 / words;
        println!(
            "{name}: tuned lm_weight {} wip {}{}; unseen half ({} lists): 1-best {:.2}%, \
             rescored {:.2}%, oracle {:.2}% WER: {gap:.1}% of the gap recovered",
            tuned.weights.lm_weight,
            tuned.weights.word_insertion_penalty,
            tuned
                .scale
                .map_or(String::new(), |s| format!(" mbr_scale {s}")),
            test.len(),
            wer(first),
            wer(chosen),
            wer(oracle)
        );
    }
    gap
}

fn halvings(
    lists: &[NbestList],
    scores: &[Vec<f64>],
    n: usize,
    opts: &Options,
) -> Result<(), BoxError> {
    let with_refs: Vec<usize> = (0..lists.len())
        .filter(|&i| lists[i].reference.is_some())
        .collect();
    if with_refs.len() < 2 {
        return Err(format!(
            "{}: need at least 2 lists with references",
            opts.lists.display()
        )
        .into());
    }
    let half = with_refs.len() / 2;
    let (a, b) = with_refs.split_at(half);
    let first = format!(
        "tune on the first {}, test on the other {}",
        a.len(),
        b.len()
    );
    let second = format!(
        "tune on the last {}, test on the first {}",
        b.len(),
        a.len()
    );
    split(&first, lists, scores, (a, b), opts, true);
    split(&second, lists, scores, (b, a), opts, true);
    if n == 0 {
        return Ok(());
    }
    // splitmix64, Fisher-Yates: the same halvings for the same seed everywhere.
    let mut state = opts.seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut gaps = Vec::with_capacity(n);
    for _ in 0..n {
        let mut p = with_refs.clone();
        for i in (1..p.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            p.swap(i, j);
        }
        let (t, s) = p.split_at(half);
        gaps.push(split("", lists, scores, (t, s), opts, false));
    }
    let mean = gaps.iter().sum::<f64>() / n as f64;
    let mut sorted = gaps.clone();
    sorted.sort_by(f64::total_cmp);
    let above = gaps.iter().filter(|&&g| g > 50.0).count();
    println!(
        "{n} random halvings (seed {}): mean {mean:.1}% of the gap recovered on the unseen half \
         (median {:.1}%, min {:.1}%, max {:.1}%; above 50% in {above} of {n})",
        opts.seed,
        sorted[n / 2],
        sorted[0],
        sorted[n - 1]
    );
    Ok(())
}

/// Runs the example (errors: see [`exit::report`]).
fn main() -> std::process::ExitCode {
    exit::report("rescore_nbest", try_main())
}
