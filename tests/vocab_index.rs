//! The vocabulary index (format version 6): word ids bucket by bucket in about
//! `id_bits + 2` bits a word, every word found through its bucket, shared or
//! not, and every other word not found.

mod common;

use common::many_words_arpa;
use dashlm::arpa::NGramSet;
use dashlm::build::{compile, BuildOptions};
use dashlm::format::{self, vocab, SectionKind, Weights};
use dashlm::{LanguageModel, Model};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn build(text: &str, weights: Weights) -> Vec<u8> {
    let set = NGramSet::read(text.as_bytes(), "words.arpa").unwrap();
    let (file, _) = compile(&set, BuildOptions::new(weights)).unwrap();
    let mut bytes = Vec::new();
    file.write_to(&mut bytes).unwrap();
    bytes
}

#[test]
fn the_index_takes_about_id_bits_plus_two_bits_a_word_and_finds_every_word() {
    let mut rng = StdRng::seed_from_u64(6);
    for (n, weights) in [(12_000, Weights::Q8), (20_000, Weights::F32)] {
        let (text, words) = many_words_arpa(&mut rng, n);
        let bytes = build(&text, weights);
        let model = Model::from_bytes(&bytes[..]).unwrap();
        let v = model.header().vocab_size;
        // The words, `<s>`, `</s>` and `<unk>`.
        assert_eq!(v as usize, n + 3);
        let (_, sections) = format::parse(&bytes).unwrap();
        let index = sections.require(SectionKind::VocabIndex, 0).unwrap().len;
        assert_eq!(index, vocab::index_bytes(v));
        let bits_a_word = index as f64 * 8.0 / f64::from(v);
        // 14 or 15 id bits, 1 group bit, 1 element bit and the directory:
        // format version 5's 32-bit slots at load 0.8 took 40.
        let id_bits = f64::from(vocab::id_bits(v));
        assert!(bits_a_word < id_bits + 2.5, "{bits_a_word} bits a word");
        assert!(bits_a_word < 25.0, "{bits_a_word} bits a word");

        // Every word by itself and in one batch, and the words of shared
        // buckets among them.
        let mut per_bucket = vec![0u32; v as usize];
        for id in 0..v {
            per_bucket[vocab::bucket(model.word(id), v) as usize] += 1;
        }
        let all: Vec<&[u8]> = (0..v).map(|id| model.word(id)).collect();
        let mut batch = vec![u32::MAX; all.len()];
        model.word_ids(&all, &mut batch);
        let mut shared = 0;
        for (id, w) in (0..v).zip(&all) {
            assert_eq!(model.word_id(w), id, "{:?}", String::from_utf8_lossy(w));
            assert_eq!(batch[id as usize], id);
            shared += usize::from(per_bucket[vocab::bucket(w, v) as usize] > 1);
        }
        for w in &words {
            assert_ne!(model.word_id(w.as_bytes()), 0, "{w}");
        }
        // About 1 - 1/e of the words share their bucket.
        assert!(shared > v as usize / 2, "{shared} of {v} share a bucket");

        // Absent words: `<unk>` (0), those of empty buckets and of shared ones.
        let present: std::collections::HashSet<&String> = words.iter().collect();
        let absent: Vec<Vec<u8>> = words
            .iter()
            .flat_map(|w| [format!("{w}#"), format!("#{w}"), w.to_uppercase()])
            .filter(|w| !present.contains(w))
            .map(String::into_bytes)
            .collect();
        let absent_refs: Vec<&[u8]> = absent.iter().map(|w| &w[..]).collect();
        let mut batch = vec![u32::MAX; absent.len()];
        model.word_ids(&absent_refs, &mut batch);
        let mut in_shared = 0;
        for (w, &id) in absent.iter().zip(&batch) {
            assert_eq!(
                (model.word_id(w), id),
                (0, 0),
                "{:?}",
                String::from_utf8_lossy(w)
            );
            in_shared += usize::from(per_bucket[vocab::bucket(w, v) as usize] > 1);
        }
        assert!(
            in_shared > absent.len() / 5,
            "{in_shared} of {}",
            absent.len()
        );
    }
}

#[test]
fn a_three_word_vocabulary_looks_up() {
    // Only `<s>` and `</s>`: `<unk>` is added, 3 words.
    let text = "\\data\\\nngram 1=2\n\n\\1-grams:\n-99\t<s>\n-1\t</s>\n\n\\end\\\n";
    let bytes = build(text, Weights::F32);
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
