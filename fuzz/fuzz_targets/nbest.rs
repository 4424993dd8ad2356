//! Any bytes given to the n-best readers (JSONL, SRILM, Kaldi text and score
//! archives) give lists or an error, never a panic; lists that read must
//! rescore against a small model, and the scorer (lists in groups taking
//! turns through a shared memo) must give each hypothesis exactly its
//! word-by-word score.
#![no_main]

use std::sync::OnceLock;

use dashlm::arpa::NGramSet;
use dashlm::rescore::{jsonl, kaldi, srilm};
use dashlm::rescore::{score_lists_sequential, LN_10};
use dashlm::{LanguageModel, ReferenceModel};
use libfuzzer_sys::fuzz_target;

fn lm() -> &'static ReferenceModel {
    static LM: OnceLock<ReferenceModel> = OnceLock::new();
    LM.get_or_init(|| {
        ReferenceModel::new(NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap())
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    match selector % 4 {
        0 => {
            if let Ok(lists) = jsonl::read(rest, "fuzz.jsonl") {
                let mut out = Vec::new();
                let _ = jsonl::write(&mut out, &lists);
                let _ = dashlm::rescore::Rescorer::new(lm(), Default::default()).rescore_all_sequential(&lists);
                let (scores, _) = score_lists_sequential(lm(), &lists);
                for (list, scores) in lists.iter().zip(&scores) {
                    for (h, &s) in list.hyps.iter().zip(scores) {
                        let ids: Vec<_> = h.words.iter().map(|w| lm().word_id(w.as_bytes())).collect();
                        let direct = f64::from(lm().score_sentence(&ids, true, true)) * LN_10;
                        assert_eq!(s.to_bits(), direct.to_bits(), "{}: {:?}", list.id, h.words);
                    }
                }
            }
        }
        1 => {
            let _ = srilm::read_file(rest, "fuzz.nbest", "u1");
        }
        2 => {
            let _ = kaldi::read_text(rest, "text");
        }
        _ => {
            let _ = kaldi::read_scores(rest, "ac_cost");
        }
    }
});
