//! Rescore the shipped n-best sample with the small sample model, tune the
//! weights on it, and compare 1-best, rescored and oracle WER.
//!
//! ```text
//! cargo run --release --example rescore_nbest [MODEL.arpa] [LISTS.jsonl]
//! ```

use std::error::Error;
use std::path::PathBuf;

use dashlm::rescore::wer::nbest_wer;
use dashlm::rescore::{
    read_lists, score_lists, tune, Format, Rescorer, TuneOptions, TuneSet, Weights,
};
use dashlm::ReferenceModel;

fn main() -> Result<(), Box<dyn Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args().skip(1);
    let model_path = args
        .next()
        .map_or_else(|| root.join("data/nbest/sample-3gram.arpa"), PathBuf::from);
    let lists_path = args
        .next()
        .map_or_else(|| root.join("data/nbest/sample.jsonl"), PathBuf::from);

    let input = dashlm::arpa::open_input(&model_path)?;
    let lm = ReferenceModel::read(input.reader, &model_path.display().to_string())?;
    let lists = read_lists(&lists_path, Format::Jsonl)?;
    println!(
        "{} lists, {} hypotheses",
        lists.len(),
        lists.iter().map(|l| l.hyps.len()).sum::<usize>()
    );

    // Score every hypothesis once (prefix trie, batched queries, parallel lists) ...
    let (lm_scores, stats) = score_lists(&lm, &lists, |_| {});
    println!(
        "{} hypothesis words (+ </s>) scored with {} LM queries",
        stats.words + stats.hyps,
        stats.queries
    );

    // ... then tune the LM weight and word insertion penalty on the cached scores.
    let set = TuneSet::new(&lists, &lm_scores, false);
    let tuned = tune(&set, &TuneOptions::default());
    let w = tuned.weights;
    println!(
        "tuned: lm_weight {} wip {} (WER {:.1}%)",
        w.lm_weight,
        w.word_insertion_penalty,
        100.0 * tuned.wer()
    );

    // Rescore with the tuned weights and show the re-ranked best hypotheses.
    let rescorer = Rescorer::new(&lm, Weights { ..w });
    let rescored = rescorer.rescore_all(&lists);
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
    let summary = nbest_wer(&lists, &chosen);
    println!("1-best   {}", summary.first);
    println!("rescored {}", summary.chosen);
    println!("oracle   {}", summary.oracle);
    Ok(())
}
