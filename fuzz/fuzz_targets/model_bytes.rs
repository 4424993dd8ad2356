//! A valid model header and section table, then the fuzzer's bytes in place of
//! the data sections (as regex's DFA deserialization target does): opening and
//! querying must never panic or read out of bounds.
#![no_main]

use std::sync::OnceLock;

use dashlm::arpa::NGramSet;
use dashlm::format::Weights;
use dashlm::{build, LanguageModel, Model};
use libfuzzer_sys::fuzz_target;

/// Valid files of tiny.arpa: f32 (scanned tables) and q8 (run-offset tables,
/// the highest order grouped).
fn valid(q8: bool) -> &'static [u8] {
    static BYTES: OnceLock<[Vec<u8>; 2]> = OnceLock::new();
    let files = BYTES.get_or_init(|| {
        let set = NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
        [Weights::F32, Weights::Q8].map(|w| {
            let (file, _) = build::compile(&set, build::BuildOptions::new(w)).unwrap();
            let mut bytes = Vec::new();
            file.write_to(&mut bytes).unwrap();
            bytes
        })
    });
    &files[usize::from(q8)]
}

fn exercise(model: &Model<Vec<u8>>) {
    let _ = model.verify();
    let v = model.vocab_size() as u32;
    let ids: Vec<u32> = (0..v + 3).chain((0..v).rev()).collect();
    let _ = model.score_sentence(&ids, true, true);
    let _ = model.score_sentence(&ids, false, false);
    // Word by word without the lookahead score_sentence uses.
    let _ = dashlm::lm::score_corpus_word_by_word(model, std::slice::from_ref(&ids));
    let mut arpa = Vec::new();
    let _ = model.write_arpa(&mut arpa);
    // Vocabulary lookups through the (fuzzed) index: a found id must name the word.
    for id in 0..v.min(64) {
        let word = model.word(id).to_vec();
        let found = model.word_id(&word);
        assert!(found == 0 || model.word(found) == &word[..]);
    }
    let _ = model.word_id(b"no-such-word");
}

fuzz_target!(|data: &[u8]| {
    // Raw bytes as a whole file.
    if let Ok(model) = Model::from_bytes(data.to_vec()) {
        exercise(&model);
    }
    // A valid header and section table followed by fuzzed data sections; the
    // first byte picks the model.
    let valid = valid(data.first().is_some_and(|b| b & 1 == 1));
    let (_, sections) = dashlm::format::parse(valid).unwrap();
    let start = sections.iter().map(|e| e.offset).min().unwrap() as usize;
    let mut bytes = valid[..start].to_vec();
    bytes.extend(
        data.iter()
            .chain(std::iter::repeat(&0u8))
            .take(valid.len() - start),
    );
    // Zero gaps between sections, as the writer leaves them (open refuses
    // anything else), so that fuzzed bytes reach the sections.
    let mut ranges: Vec<_> = sections.iter().map(|e| e.range()).collect();
    ranges.sort_by_key(|r| r.start);
    for w in ranges.windows(2) {
        bytes[w[0].end..w[1].start].fill(0);
    }
    if let Ok(model) = Model::from_bytes(bytes) {
        exercise(&model);
    }
});
