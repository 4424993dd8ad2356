//! The real models in `../shared/data/lm/` (built with KenLM's lmplz) scored on
//! `../shared/data/queries/dev.txt`: every sentence total and OOV count must equal
//! KenLM's `query -v sentence` output kept beside it, and the perplexity KenLM's
//! summary. Skips (and says so) when `../shared` is absent: a fresh clone has none.

use std::path::{Path, PathBuf};
use std::time::Instant;

use dashlm::query::{self, Verbosity};
use dashlm::ReferenceModel;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

struct Expected {
    /// KenLM's summary: perplexity including OOVs.
    perplexity: f64,
    /// Perplexity excluding OOVs, OOV count and token count, when published.
    rest: Option<(f64, u64, u64)>,
}

fn check_model(model: &str, expected: Expected) {
    let root = shared();
    let arpa = root.join(format!("data/lm/{model}.arpa.gz"));
    let dev = root.join("data/queries/dev.txt");
    let tsv = root.join(format!("data/queries/dev.{model}.kenlm.tsv"));
    if !(arpa.exists() && dev.exists() && tsv.exists()) {
        println!("skipped: ../shared not found ({model})");
        return;
    }
    let start = Instant::now();
    let input = dashlm::arpa::open_input(&arpa).unwrap();
    let lm = ReferenceModel::read(input.reader, &arpa.display().to_string()).unwrap();
    let loaded = start.elapsed();

    let text = std::fs::read(&dev).unwrap();
    let mut out = Vec::new();
    let v = Verbosity {
        word: false,
        sentence: true,
        summary: false,
    };
    let summary = query::run(&lm, &text[..], &mut out, v, true).unwrap();
    let out = String::from_utf8(out).unwrap();
    let kenlm = std::fs::read_to_string(&tsv).unwrap();

    let ours: Vec<&str> = out.lines().collect();
    let theirs: Vec<&str> = kenlm.lines().collect();
    assert_eq!(ours.len(), theirs.len(), "{model}: one line per sentence");
    let (mut same_text, mut max_diff) = (0, 0f64);
    for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        let (total, oov) = o
            .strip_prefix("Total: ")
            .and_then(|r| r.split_once(" OOV: "))
            .unwrap_or_else(|| panic!("{model}: line {i}: `{o}`"));
        let fields: Vec<&str> = t.split('\t').collect();
        assert_eq!(fields[0], i.to_string(), "{model}: tsv line {i}");
        let (k_total, k_oov) = (fields[1], fields[2]);
        let diff = (total.parse::<f64>().unwrap() - k_total.parse::<f64>().unwrap()).abs();
        assert!(
            diff <= 1e-4 && oov == k_oov,
            "{model}: sentence {i}: dashlm {total} OOV {oov}, KenLM {k_total} OOV {k_oov}"
        );
        max_diff = max_diff.max(diff);
        same_text += usize::from(total == k_total);
    }
    assert_eq!(
        same_text,
        ours.len(),
        "{model}: every total printed as KenLM prints it"
    );
    let ppl = summary.perplexity();
    assert!(
        (ppl - expected.perplexity).abs() <= 1e-6 * expected.perplexity,
        "{model}: perplexity {ppl}, KenLM {}",
        expected.perplexity
    );
    if let Some((ppl_no_oov, oovs, tokens)) = expected.rest {
        let p = summary.perplexity_excluding_oov();
        assert!(
            (p - ppl_no_oov).abs() <= 1e-6 * ppl_no_oov,
            "{model}: perplexity excluding OOVs {p}, KenLM {ppl_no_oov}"
        );
        assert_eq!((summary.oov, summary.tokens), (oovs, tokens), "{model}");
    }
    println!(
        "{model}: {} sentences, {} totals printed identically to KenLM, max |diff| {max_diff:e}; \
         perplexity {ppl} (KenLM {}), excluding OOVs {}, {} OOVs, {} tokens; loaded in {:.1?}",
        ours.len(),
        same_text,
        expected.perplexity,
        summary.perplexity_excluding_oov(),
        summary.oov,
        summary.tokens,
        loaded
    );
}

#[test]
fn en_3gram_small_matches_kenlm() {
    check_model(
        "en-3gram-small",
        Expected {
            perplexity: 826.2856700064209,
            rest: None,
        },
    );
}

#[test]
fn en_4gram_pruned_matches_kenlm() {
    check_model(
        "en-4gram-pruned",
        Expected {
            perplexity: 261.6587342911529,
            rest: Some((228.78181296659696, 731, 57_792)),
        },
    );
}
