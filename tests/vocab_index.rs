//! The vocabulary index (format version 6): word ids bucket by bucket in about
//! `id_bits + 2` bits a word, every word found through its bucket, shared or
//! not, and every other word not found.

mod common;

use std::collections::HashSet;

use common::many_words_arpa;
use dashlm::arpa::NGramSet;
use dashlm::build::{compile, BuildOptions};
use dashlm::format::{self, vocab, SectionKind, WeightFormat};
use dashlm::{LanguageModel, Model};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn build(text: &str, weights: WeightFormat) -> Vec<u8> {
    let set = NGramSet::read(text.as_bytes(), "words.arpa").unwrap();
    let (file, _) = compile(&set, BuildOptions::new(weights)).unwrap();
    let mut bytes = Vec::new();
    file.write_to(&mut bytes).unwrap();
    bytes
}

/// Generated vocabularies of 12,000 (q8) and 20,000 (f32) words: each
/// model's bytes and words.
fn models() -> Vec<(Vec<u8>, Vec<String>)> {
    let mut rng = StdRng::seed_from_u64(6);
    [(12_000, WeightFormat::Q8), (20_000, WeightFormat::F32)]
        .into_iter()
        .map(|(n, weights)| {
            let (text, words) = many_words_arpa(&mut rng, n);
            (build(&text, weights), words)
        })
        .collect()
}

/// Words that are not in `words`: each with a byte added before or after,
/// and uppercased.
fn absent_words(words: &[String]) -> Vec<Vec<u8>> {
    let present: HashSet<&String> = words.iter().collect();
    words
        .iter()
        .flat_map(|w| [format!("{w}#"), format!("#{w}"), w.to_uppercase()])
        .filter(|w| !present.contains(w))
        .map(String::into_bytes)
        .collect()
}

#[test]
fn every_word_is_found_through_an_index_of_under_18_bits_a_word() {
    for (bytes, words) in models() {
        let model = Model::from_bytes(&bytes[..]).unwrap();
        let v = model.header().vocab_size;
        // The words, `<s>`, `</s>` and `<unk>`.
        assert_eq!(v as usize, words.len() + 3);
        let (_, sections) = format::parse(&bytes).unwrap();
        let index = sections.require(SectionKind::VocabIndex, 0).unwrap().len;
        // 14 or 15 id bits, a group bit, an element bit and the directory;
        // format version 5's 32-bit slots at load 0.8 took 40.
        let bits_a_word = index as f64 * 8.0 / f64::from(v);
        assert!(bits_a_word < 18.0, "{bits_a_word} bits a word");

        // Every word by itself and in one batch.
        let all: Vec<&[u8]> = (0..v).map(|id| model.word(id)).collect();
        let mut batch = vec![u32::MAX; all.len()];
        model.word_ids(&all, &mut batch);
        for (id, w) in (0..v).zip(&all) {
            assert_eq!(model.word_id(w), id, "{:?}", String::from_utf8_lossy(w));
            assert_eq!(batch[id as usize], id);
        }
        for w in &words {
            assert_ne!(model.word_id(w.as_bytes()), 0, "{w}");
        }
        // Absent words: `<unk>`, 0.
        let absent = absent_words(&words);
        let refs: Vec<&[u8]> = absent.iter().map(|w| &w[..]).collect();
        let mut batch = vec![u32::MAX; refs.len()];
        model.word_ids(&refs, &mut batch);
        for (w, &id) in refs.iter().zip(&batch) {
            assert_eq!(
                (model.word_id(w), id),
                (0, 0),
                "{:?}",
                String::from_utf8_lossy(w)
            );
        }
    }
}

#[test]
fn words_sharing_a_bucket_are_told_apart() {
    for (bytes, words) in models() {
        let model = Model::from_bytes(&bytes[..]).unwrap();
        let v = model.header().vocab_size;
        let (_, sections) = format::parse(&bytes).unwrap();
        let index = sections.require(SectionKind::VocabIndex, 0).unwrap().len;
        assert_eq!(index, vocab::index_bytes(v));
        let bits_a_word = index as f64 * 8.0 / f64::from(v);
        let id_bits = f64::from(dashlm::format::table::id_bits(u64::from(v)));
        assert!(bits_a_word < id_bits + 2.5, "{bits_a_word} bits a word");

        let mut per_bucket = vec![0u32; v as usize];
        for id in 0..v {
            per_bucket[vocab::bucket(model.word(id), v) as usize] += 1;
        }
        let shared = |w: &[u8]| per_bucket[vocab::bucket(w, v) as usize] > 1;
        // About 1 - 1/e of the words share their bucket (with 1 to 8 others).
        let sharing: Vec<u32> = (0..v).filter(|&id| shared(model.word(id))).collect();
        assert!(sharing.len() > v as usize / 2, "{} of {v}", sharing.len());
        assert!(per_bucket.iter().any(|&n| n >= 4));
        for id in sharing {
            assert_eq!(model.word_id(model.word(id)), id);
        }
        // Absent words whose buckets hold several words.
        let absent = absent_words(&words);
        let in_shared: Vec<&Vec<u8>> = absent.iter().filter(|w| shared(w)).collect();
        assert!(in_shared.len() > absent.len() / 5, "{}", in_shared.len());
        for w in in_shared {
            assert_eq!(model.word_id(w), 0, "{:?}", String::from_utf8_lossy(w));
        }
    }
}

#[test]
fn a_three_word_vocabulary_looks_up() {
    // Only `<s>` and `</s>`: `<unk>` is added, 3 words.
    let text = "\\data\\\nngram 1=2\n\n\\1-grams:\n-99\t<s>\n-1\t</s>\n\n\\end\\\n";
    let bytes = build(text, WeightFormat::F32);
    let model = Model::from_bytes(&bytes[..]).unwrap();
    assert_eq!(model.header().vocab_size, 3);
    for id in 0..3 {
        assert_eq!(model.word_id(model.word(id)), id);
    }
    assert_eq!(model.word_id(b"x"), 0);
    // 1 directory entry of 2 bits and 3 + 3 group bits (1 byte), then 3
    // ids of 2 bits (1 byte).
    assert_eq!(vocab::index_bytes(3), 2);
    // `<unk>` alone: 1 + 1 + 1 bits, then a 1-bit id.
    assert_eq!(vocab::index_bytes(1), 2);
}

/// The in-memory copy of a model's vocabulary answers every lookup as the
/// model does: every word with its id, every absent word with 0, every id
/// with its word, on both generated vocabularies.
#[test]
fn the_in_memory_copy_answers_as_the_model() {
    for (bytes, words) in models() {
        let model = Model::from_bytes(&bytes[..]).unwrap();
        let view = model.vocab();
        let copy = view.to_vocab();
        let v = model.header().vocab_size;
        assert_eq!(copy.len(), v as usize);
        for id in 0..v {
            let w = model.word(id);
            assert_eq!(copy.word(id), w);
            assert_eq!((copy.id(w), copy.get(w)), (id, view.get(w)));
        }
        for w in &words {
            assert_eq!(copy.id(w.as_bytes()), model.word_id(w.as_bytes()), "{w}");
        }
        for w in absent_words(&words) {
            assert_eq!((copy.id(&w), copy.get(&w)), (0, None));
        }
        assert_eq!(copy.word(v), b"");
    }
}
