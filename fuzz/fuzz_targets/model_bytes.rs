//! A valid model header and section table, then the fuzzer's bytes in place of
//! the data sections (as regex's DFA deserialization target does), or XORed
//! onto the valid data sections: opening and querying must never panic or
//! read out of bounds.
#![no_main]

use std::sync::OnceLock;

use dashlm::arpa::NGramSet;
use dashlm::format::WeightFormat;
use dashlm::{build, LanguageModel, Model};
use libfuzzer_sys::fuzz_target;

/// Valid files: tiny.arpa in f32 (scanned tables, coded unigram backoffs) and
/// q8 (run-offset tables), a small model whose weights are all distinct in f32
/// (every field raw: the query's all-raw path), and a larger one in q8 (its
/// trigram table's run offsets stored less block bases).
fn valid(which: u8) -> &'static [u8] {
    static BYTES: OnceLock<[Vec<u8>; 4]> = OnceLock::new();
    let files = BYTES.get_or_init(|| {
        let tiny = NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
        let raw = NGramSet::read(distinct_weights_arpa(37).as_bytes(), "raw").unwrap();
        let based = NGramSet::read(distinct_weights_arpa(117).as_bytes(), "based").unwrap();
        [
            (&tiny, WeightFormat::F32),
            (&tiny, WeightFormat::Q8),
            (&raw, WeightFormat::F32),
            (&based, WeightFormat::Q8),
        ]
        .map(|(set, w)| {
            let (file, _) = build::compile(set, build::BuildOptions::new(w)).unwrap();
            let mut bytes = Vec::new();
            file.write_to(&mut bytes).unwrap();
            bytes
        })
    });
    &files[usize::from(which % 4)]
}

/// A trigram model of `n` + 3 words whose every weight is distinct.
fn distinct_weights_arpa(n: usize) -> String {
    let words: Vec<String> = ["<s>", "</s>", "<unk>"]
        .iter()
        .map(|w| w.to_string())
        .chain((0..n).map(|i| format!("w{i}")))
        .collect();
    let (mut uni, mut bi, mut tri) = (String::new(), String::new(), String::new());
    let mut counts = [0usize; 3];
    for (i, w) in words.iter().enumerate() {
        let p = if i == 0 {
            -99.0
        } else {
            -1.0 - i as f32 * 0.0173
        };
        uni += &format!("{p}\t{w}\t{}\n", -0.1 - i as f32 * 0.0071);
        counts[0] += 1;
        for j in (1..words.len()).filter(|j| (i * 7 + j) % 5 == 0) {
            let k = counts[1] as f32;
            bi += &format!(
                "{}\t{w} {}\t{}\n",
                -0.3 - k * 0.0031,
                words[j],
                -0.05 - k * 0.0013
            );
            counts[1] += 1;
            if j % 3 == 0 {
                let t = counts[2] as f32;
                tri += &format!(
                    "{}\t{w} {} {}\n",
                    -0.2 - t * 0.0029,
                    words[j],
                    words[(i + j) % n + 3]
                );
                counts[2] += 1;
            }
        }
    }
    format!(
        "\\data\\\nngram 1={}\nngram 2={}\nngram 3={}\n\n\\1-grams:\n{uni}\n\\2-grams:\n{bi}\n\\3-grams:\n{tri}\n\\end\\\n",
        counts[0], counts[1], counts[2]
    )
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
    let valid = valid(data.first().copied().unwrap_or(0));
    let (_, sections) = dashlm::format::parse(valid).unwrap();
    let start = sections.iter().map(|e| e.offset).min().unwrap() as usize;
    let fuzzed = data.iter().chain(std::iter::repeat(&0u8));
    let mut ranges: Vec<_> = sections.iter().map(|e| e.range()).collect();
    ranges.sort_by_key(|r| r.start);
    // The fuzzer's bytes in place of the data sections, and XORed onto the
    // valid ones (a few flipped bytes in a model that otherwise opens: the
    // layouts and vocabulary checks pass, so queries read the corruption).
    let replaced = fuzzed.clone().take(valid.len() - start).copied();
    let xored = (valid[start..].iter().zip(fuzzed)).map(|(v, d)| v ^ d);
    for data_sections in [replaced.collect::<Vec<u8>>(), xored.collect()] {
        let mut bytes = valid[..start].to_vec();
        bytes.extend(data_sections);
        // Zero gaps between sections, as the writer leaves them (open refuses
        // anything else), so that fuzzed bytes reach the sections.
        for w in ranges.windows(2) {
            bytes[w[0].end..w[1].start].fill(0);
        }
        if let Ok(model) = Model::from_bytes(bytes) {
            exercise(&model);
        }
    }
});
