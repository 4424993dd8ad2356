//! Rescoring throughput: dashlm's rescorer against scoring every hypothesis word
//! by word with KenLM (kenlm-rs), on the same n-best lists, interleaved.
//!
//! ```text
//! cargo run --release --example rescore_bench -- MODEL ARPA LISTS.jsonl [ROUNDS]
//!     [--only SYSTEM,...] [--passes P]
//! ```
//!
//! MODEL is what dashlm scores with (a compiled model, read into memory as
//! `dashlm rescore` does, or ARPA); ARPA is the same model as ARPA text for
//! KenLM (loaded into KenLM's probing structure). Every system computes the new
//! LM score (`<s>` as context, every word and `</s>`) of every hypothesis of
//! every list, from the lists as read (words as strings):
//!
//! - `dashlm-1`: dashlm's [`score_lists_sequential`] on the calling thread (word
//!   interning, state-recombined memo, batched queries);
//! - `dashlm-2`: dashlm's parallel [`score_lists`] on a rayon pool of 2 threads;
//! - `dashlm-wbw`: dashlm word by word, a vocabulary lookup and a query per word;
//! - `dashlm-wbw-map`: the same, its lookups in the in-memory copy of the
//!   vocabulary ([`VocabView::to_vocab`](dashlm::format::vocab::VocabView::to_vocab),
//!   made before the clock starts), as a decoder that looks words up as it
//!   goes would use it;
//! - `kenlm`: KenLM word by word, as a user of kenlm-rs would do it: a
//!   vocabulary lookup (`Model::index`) and a `base_score` per word, `</s>` too;
//! - `kenlm-ids`: the same with every word looked up before the clock starts;
//! - `dashlm-queries`: not a rescorer but its floor: only the model queries the
//!   rescorer makes (each list's distinct `(state, word)` pairs, found before the
//!   clock starts) in one `full_score_batch` call. Its "words/s" is hypothesis
//!   words over the time of those queries: no rescorer built on these queries
//!   can beat it.
//!
//! One round times one sample of each system (P passes over the lists), one
//! after the other, so a burst of load from other processes hits them alike;
//! ROUNDS (default 15) rounds. Prints hypothesis words per second (words
//! without `</s>`, the same count for every system), best and median over the
//! rounds, and the dashlm-1 / kenlm ratio: best over best, and the median of the
//! per-round ratios. `--only` restricts the systems (e.g. to profile one).
//!
//! The kenlm-rs caveat: every `base_score` and `index` crosses an FFI boundary
//! (and kenlm-rs checks its heap-allocated states on every call), so kenlm-rs is
//! slower than KenLM's own C++ loop would be.
//!
//! `kenlm`'s figure drifts more than the others' from run to run: on a Zen 5 VM
//! it ran at 10.9-15.5M words/s over one morning (its per-word `index`
//! allocates a `CString`) while `dashlm-1` held at 37-41M. Which systems share
//! its rounds did not explain it: 4 alternating pairs of `--only kenlm` and
//! `--only dashlm-2,kenlm` gave 14.4-15.2M and 13.4-15.1M. Repeat runs, and
//! compare ratios from runs close in time.

use std::error::Error;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use dashlm::rescore::{read_lists, score_lists, score_lists_sequential, Format, NbestList};
use dashlm::vocab::Vocab;
use dashlm::LanguageModel;

#[path = "support/exit.rs"]
mod exit;

const SYSTEMS: [&str; 7] = [
    "dashlm-1",
    "dashlm-2",
    "dashlm-wbw",
    "dashlm-wbw-map",
    "kenlm",
    "kenlm-ids",
    "dashlm-queries",
];

/// dashlm scoring every hypothesis word by word from `<s>` through `</s>`,
/// each word's id found by `id`.
fn word_by_word<M: LanguageModel>(m: &M, lists: &[NbestList], id: impl Fn(&[u8]) -> u32) -> f64 {
    let mut sum = 0.0f64;
    for l in lists {
        for h in &l.hyps {
            let mut state = m.begin_sentence_state();
            let mut next = state;
            let mut total = 0.0f32;
            for w in &h.words {
                total += m.score(&state, id(w.as_bytes()), &mut next);
                state = next;
            }
            total += m.score(&state, m.eos_id(), &mut next);
            sum += f64::from(total);
        }
    }
    sum
}

struct Options {
    rounds: usize,
    passes: usize,
    only: Vec<String>,
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

fn run<M: LanguageModel>(
    m: &M,
    vocab: &Vocab,
    kenlm: &kenlm::Model,
    lists: &[NbestList],
    opts: &Options,
) -> Result<(), Box<dyn Error>> {
    let words: u64 = lists
        .iter()
        .flat_map(|l| &l.hyps)
        .map(|h| h.words.len() as u64)
        .sum();
    let hyps: usize = lists.iter().map(|l| l.hyps.len()).sum();
    let (_, stats) = score_lists_sequential(m, lists);
    println!(
        "{} lists, {hyps} hypotheses, {words} hypothesis words; the rescorer sends {} queries \
         ({:.1}% of words + </s>)",
        lists.len(),
        stats.queries,
        100.0 * stats.queries as f64 / (words + hyps as u64) as f64
    );
    let ids: Vec<Vec<Vec<u32>>> = lists
        .iter()
        .map(|l| {
            l.hyps
                .iter()
                .map(|h| {
                    h.words
                        .iter()
                        .map(|w| kenlm.index(w).expect("no NUL"))
                        .collect()
                })
                .collect()
        })
        .collect();
    // The model queries alone: each list's distinct (state, word) pairs, found
    // beforehand, through full_score_batch.
    let mut queries_states = Vec::new();
    let mut queries_words = Vec::new();
    for l in lists {
        let mut seen = std::collections::HashSet::new();
        for h in &l.hyps {
            let mut state = m.begin_sentence_state();
            let mut next = state;
            for w in h
                .words
                .iter()
                .map(|w| m.word_id(w.as_bytes()))
                .chain([m.eos_id()])
            {
                if seen.insert((state, w)) {
                    queries_states.push(state);
                    queries_words.push(w);
                }
                m.score(&state, w, &mut next);
                state = next;
            }
        }
    }
    let mut queries_out = queries_states.clone();
    let mut queries_scores = vec![dashlm::FullScore::default(); queries_states.len()];
    let queries_cell =
        std::cell::RefCell::new((queries_out.as_mut_slice(), queries_scores.as_mut_slice()));
    let pool2 = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
    let sum_ln = |s: &[Vec<f64>]| s.iter().flatten().sum::<f64>() / std::f64::consts::LN_10;
    let selected: Vec<&str> = SYSTEMS
        .iter()
        .copied()
        .filter(|s| opts.only.is_empty() || opts.only.iter().any(|o| o == s))
        .collect();
    let one_pass = |system: &str| -> f64 {
        match system {
            "dashlm-1" => sum_ln(&score_lists_sequential(m, lists).0),
            "dashlm-2" => pool2.install(|| sum_ln(&score_lists(m, lists, |_| {}).0)),
            "dashlm-wbw" => word_by_word(m, lists, |w| m.word_id(w)),
            "dashlm-wbw-map" => word_by_word(m, lists, |w| vocab.id(w)),
            "kenlm" => kenlm_word_by_word(
                kenlm,
                lists.iter().map(|l| {
                    l.hyps
                        .iter()
                        .map(|h| h.words.iter().map(|w| kenlm.index(w).expect("no NUL")))
                }),
            ),
            "dashlm-queries" => {
                let mut c = queries_cell.borrow_mut();
                let (o, sc) = &mut *c;
                m.full_score_batch(&queries_states, &queries_words, o, sc);
                sc.iter().map(|x| f64::from(x.log10_prob)).sum()
            }
            _ => kenlm_word_by_word(
                kenlm,
                ids.iter().map(|l| l.iter().map(|h| h.iter().copied())),
            ),
        }
    };
    let mut secs: Vec<Vec<f64>> = vec![Vec::new(); selected.len()];
    let mut sums = vec![0.0; selected.len()];
    for _ in 0..opts.rounds {
        for (k, system) in selected.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..opts.passes {
                sums[k] = black_box(one_pass(system));
            }
            secs[k].push(start.elapsed().as_secs_f64() / opts.passes as f64);
        }
    }
    let wps = |s: f64| words as f64 / s;
    println!(
        "{:<14} {:>14} {:>14} {:>18}",
        "system", "best words/s", "median words/s", "log10 sum"
    );
    for (k, system) in selected.iter().enumerate() {
        let best = secs[k].iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "{system:<14} {:>14.0} {:>14.0} {:>18.3}",
            wps(best),
            wps(median(&secs[k])),
            sums[k]
        );
    }
    let find = |name: &str| selected.iter().position(|s| *s == name);
    for (ours, theirs) in [
        ("dashlm-1", "kenlm"),
        ("dashlm-1", "kenlm-ids"),
        ("dashlm-wbw-map", "kenlm"),
        ("dashlm-queries", "kenlm"),
    ] {
        if let (Some(a), Some(b)) = (find(ours), find(theirs)) {
            let best = |k: usize| secs[k].iter().copied().fold(f64::INFINITY, f64::min);
            let per_round: Vec<f64> = secs[a].iter().zip(&secs[b]).map(|(x, y)| y / x).collect();
            println!(
                "{ours} / {theirs}: {:.2}x (best / best), {:.2}x (median of per-round ratios)",
                best(b) / best(a),
                median(&per_round)
            );
        }
    }
    if let (Some(a), Some(b)) = (find("dashlm-1"), find("dashlm-2")) {
        println!(
            "dashlm 2 threads / 1 thread: {:.2}x (median / median)",
            median(&secs[a]) / median(&secs[b])
        );
    }
    Ok(())
}

fn parse_args() -> Result<(Vec<String>, Options), Box<dyn Error + Send + Sync>> {
    let mut positional = Vec::new();
    let mut opts = Options {
        rounds: 15,
        passes: 3,
        only: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--only" => {
                let v = args.next().ok_or("--only needs a value")?;
                opts.only = v.split(',').map(str::to_string).collect();
                if let Some(bad) = opts.only.iter().find(|s| !SYSTEMS.contains(&s.as_str())) {
                    return Err(
                        format!("--only: unknown system `{bad}` (one of {SYSTEMS:?})").into(),
                    );
                }
            }
            "--passes" => {
                let v = args.next().ok_or("--passes needs a value")?;
                opts.passes = v.parse().map_err(|e| format!("--passes {v}: {e}"))?;
            }
            _ => positional.push(a),
        }
    }
    if positional.len() < 3 || positional.len() > 4 {
        return Err(
            "usage: rescore_bench MODEL ARPA LISTS.jsonl [ROUNDS] [--only SYSTEM,...] [--passes P]"
                .into(),
        );
    }
    if let Some(r) = positional.get(3) {
        opts.rounds = r.parse().map_err(|e| format!("ROUNDS {r}: {e}"))?;
    }
    opts.rounds = opts.rounds.max(1);
    opts.passes = opts.passes.max(1);
    Ok((positional, opts))
}

fn try_main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let (args, opts) = parse_args()?;
    let model = PathBuf::from(&args[0]);
    let lists = read_lists(args[2].as_ref(), Format::Jsonl)?;
    let kenlm = kenlm::Model::new(&args[1]).map_err(|e| e.to_string())?;
    let mut head = [0u8; 8];
    let is_compiled = std::fs::File::open(&model)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head == dashlm::format::MAGIC;
    if is_compiled {
        // As `dashlm rescore` opens it: read into (transparent huge page) memory.
        let m = dashlm::Model::load(&model)?;
        let vocab = m.vocab().to_vocab();
        run(&m, &vocab, &kenlm, &lists, &opts).map_err(|e| e.to_string())?;
    } else {
        let input =
            dashlm::arpa::open_input(&model).map_err(|e| format!("{}: {e}", model.display()))?;
        let m = dashlm::ReferenceModel::read(input.reader, &model.display().to_string())?;
        run(&m, m.vocab(), &kenlm, &lists, &opts).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// KenLM scoring every hypothesis word by word from `<s>` through `</s>`; the
/// caller decides how words become ids (looked up on the fly or beforehand).
fn kenlm_word_by_word<L, H, W>(kenlm: &kenlm::Model, lists: L) -> f64
where
    L: Iterator<Item = H>,
    H: Iterator<Item = W>,
    W: Iterator<Item = u32>,
{
    let mut sum = 0.0f64;
    let mut state = kenlm.begin_sentence_state();
    let mut next = kenlm.null_context_state();
    for hyps in lists {
        for words in hyps {
            state.clone_from(&kenlm.begin_sentence_state());
            let mut total = 0.0f32;
            for id in words {
                total += kenlm.base_score(&state, id, &mut next).expect("same model");
                std::mem::swap(&mut state, &mut next);
            }
            total += kenlm
                .base_score(&state, kenlm.end_sentence_index(), &mut next)
                .expect("same model");
            sum += f64::from(total);
        }
    }
    sum
}

/// Runs the example (errors: see [`exit::report`]).
fn main() -> std::process::ExitCode {
    exit::report("rescore_bench", try_main())
}
