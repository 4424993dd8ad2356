//! Rescoring throughput: dashlm's prefix-trie rescorer against scoring every
//! hypothesis word by word with KenLM (kenlm-rs), on the same n-best lists.
//!
//! ```text
//! cargo run --release --example rescore_bench -- MODEL ARPA LISTS.jsonl [REPEAT]
//! ```
//!
//! MODEL is what dashlm scores with (a compiled model or ARPA); ARPA is the same
//! model as uncompressed ARPA text for KenLM. Prints hypothesis words per second
//! (words without `</s>`, the same count for every method), best of REPEAT runs:
//! dashlm on 1 and 2 threads, dashlm word by word (no prefix sharing) and KenLM
//! word by word, with and without looking the words up in its vocabulary.

use std::error::Error;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use dashlm::rescore::{read_lists, score_lists, score_lists_sequential, Format, NbestList};
use dashlm::LanguageModel;

fn best_of(repeat: usize, mut f: impl FnMut() -> f64) -> (f64, f64) {
    let mut best = f64::INFINITY;
    let mut value = 0.0;
    for _ in 0..repeat {
        let start = Instant::now();
        value = black_box(f());
        best = best.min(start.elapsed().as_secs_f64());
    }
    (best, value)
}

fn word_by_word<M: LanguageModel>(m: &M, lists: &[NbestList]) -> f64 {
    let mut sum = 0.0f64;
    for l in lists {
        for h in &l.hyps {
            let mut state = m.begin_sentence_state();
            let mut next = state;
            let mut total = 0.0f32;
            for w in &h.words {
                total += m.score(&state, m.word_id(w.as_bytes()), &mut next);
                state = next;
            }
            total += m.score(&state, m.eos_id(), &mut next);
            sum += f64::from(total);
        }
    }
    sum
}

fn run<M: LanguageModel>(
    m: &M,
    kenlm: &kenlm::Model,
    lists: &[NbestList],
    repeat: usize,
) -> Result<(), Box<dyn Error>> {
    let words: u64 = lists
        .iter()
        .flat_map(|l| &l.hyps)
        .map(|h| h.words.len() as u64)
        .sum();
    let hyps: usize = lists.iter().map(|l| l.hyps.len()).sum();
    println!(
        "{} lists, {hyps} hypotheses, {words} hypothesis words",
        lists.len()
    );
    let report = |name: &str, (secs, sum): (f64, f64)| {
        println!(
            "{name:<44} {:>12.0} words/s  ({:.2} ms, log10 sum {sum:.3})",
            words as f64 / secs,
            secs * 1e3
        );
        words as f64 / secs
    };
    let sum_ln = |s: &[Vec<f64>]| s.iter().flatten().sum::<f64>() / std::f64::consts::LN_10;
    let one = report(
        "dashlm rescorer, 1 thread (sequential)",
        best_of(repeat, || sum_ln(&score_lists_sequential(m, lists).0)),
    );
    let mut per_threads = Vec::new();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        let r = report(
            &format!("dashlm rescorer, rayon {threads} thread(s)"),
            best_of(repeat, || {
                pool.install(|| sum_ln(&score_lists(m, lists, |_| {}).0))
            }),
        );
        per_threads.push(r);
    }
    report(
        "dashlm word by word (no prefix sharing)",
        best_of(repeat, || word_by_word(m, lists)),
    );
    let ken = report(
        "KenLM word by word (vocab lookup + BaseScore)",
        best_of(repeat, || {
            kenlm_word_by_word(
                kenlm,
                lists.iter().map(|l| {
                    l.hyps
                        .iter()
                        .map(|h| h.words.iter().map(|w| kenlm.index(w).expect("no NUL")))
                }),
            )
        }),
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
    report(
        "KenLM word by word (ids looked up beforehand)",
        best_of(repeat, || {
            kenlm_word_by_word(
                kenlm,
                ids.iter().map(|l| l.iter().map(|h| h.iter().copied())),
            )
        }),
    );
    println!(
        "speedup, 1 thread, over KenLM word by word: {:.2}x",
        one / ken
    );
    println!(
        "scaling: 2 threads / 1 thread = {:.2}x",
        per_threads[1] / per_threads[0]
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        return Err("usage: rescore_bench MODEL ARPA LISTS.jsonl [REPEAT]".into());
    }
    let model = PathBuf::from(&args[0]);
    let repeat: usize = args.get(3).map_or(Ok(10), |s| s.parse())?;
    let lists = read_lists(args[2].as_ref(), Format::Jsonl)?;
    let kenlm = kenlm::Model::new(&args[1]).map_err(|e| e.to_string())?;
    let mut head = [0u8; 8];
    let is_compiled = std::fs::File::open(&model)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head == dashlm::format::MAGIC;
    if is_compiled {
        let m = dashlm::Model::open(&model)?;
        run(&m, &kenlm, &lists, repeat).map_err(|e| e.to_string())?;
    } else {
        let input = dashlm::arpa::open_input(&model)?;
        let m = dashlm::ReferenceModel::read(input.reader, &model.display().to_string())?;
        run(&m, &kenlm, &lists, repeat).map_err(|e| e.to_string())?;
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
