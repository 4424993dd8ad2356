//! The grouped highest order (`BuildOptions::grouped_top`, an option for q8):
//! the same scores as the hashed table bit for bit through every query form,
//! smaller, and memory-safe when its bytes are corrupted.

mod common;

use dashlm::arpa::NGramSet;
use dashlm::build::{compile, BuildOptions};
use dashlm::format::{self, SectionKind, WeightFormat};
use dashlm::{FullScore, LanguageModel, Model, ReferenceModel};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn build(set: &NGramSet, weights: WeightFormat, grouped_top: bool) -> Vec<u8> {
    let opts = BuildOptions {
        grouped_top,
        ..BuildOptions::new(weights)
    };
    let (file, _) = compile(set, opts).unwrap();
    let mut bytes = Vec::new();
    file.write_to(&mut bytes).unwrap();
    bytes
}

/// Every word of `sentences` scored word by word, with the next word ahead,
/// and in one batch of the states reached word by word: `(log10 bits, length)`.
fn all_forms<M: LanguageModel>(m: &M, sentences: &[Vec<u32>]) -> Vec<(u32, u8)> {
    let bits = |s: FullScore| (s.log10_prob.to_bits(), s.ngram_length);
    let (mut out, mut states, mut words) = (Vec::new(), Vec::new(), Vec::new());
    for ids in sentences {
        let (mut state, mut next) = (m.begin_sentence_state(), m.null_context_state());
        for (i, &w) in ids.iter().enumerate() {
            let mut other = next;
            let score = m.full_score(&state, w, &mut next);
            let ahead = m.full_score_ahead(&state, w, *ids.get(i + 1).unwrap_or(&0), &mut other);
            assert_eq!(bits(score), bits(ahead));
            assert!(other == next);
            out.push(bits(score));
            states.push(state);
            words.push(w);
            state = next;
        }
    }
    let mut outs = vec![m.null_context_state(); states.len()];
    let mut scores = vec![FullScore::default(); states.len()];
    m.full_score_batch(&states, &words, &mut outs, &mut scores);
    assert_eq!(scores.into_iter().map(bits).collect::<Vec<_>>(), out);
    out
}

#[test]
fn grouped_and_hashed_tables_score_the_same() {
    let mut rng = StdRng::seed_from_u64(21);
    for i in 0..60 {
        let order = 2 + i % 4;
        let vocab = rng.gen_range(5..60);
        let text = common::random_arpa(&mut rng, order, vocab);
        let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
        let reference = ReferenceModel::new(set.clone());
        let sentences: Vec<Vec<u32>> = (0..30)
            .map(|_| {
                let words = common::random_sentence(&mut rng, vocab);
                words.iter().map(|w| reference.word_id(w)).collect()
            })
            .collect();
        let expected = all_forms(&reference, &sentences);
        for weights in [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8] {
            let hashed = Model::from_bytes(build(&set, weights, false)).unwrap();
            let grouped = Model::from_bytes(build(&set, weights, true)).unwrap();
            grouped.verify().unwrap();
            assert!(grouped.table_layouts().last().unwrap().grouped());
            let scores = all_forms(&grouped, &sentences);
            assert_eq!(
                scores,
                all_forms(&hashed, &sentences),
                "model {i} {weights:?}"
            );
            if weights == WeightFormat::F32 {
                assert_eq!(scores, expected, "model {i}:\n{text}");
            }
        }
    }
}

/// A highest order of many n-grams takes fewer bytes grouped than hashed,
/// also at load 1.
#[test]
fn grouped_tables_are_smaller() {
    let mut rng = StdRng::seed_from_u64(3);
    let text = common::random_arpa(&mut rng, 3, 400);
    let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
    assert!(set.count(3) > 500, "{}", set.count(3));
    let table = |bytes: &[u8]| {
        let (_, sections) = format::parse(bytes).unwrap();
        sections.require(SectionKind::Table, 3).unwrap().len
    };
    let grouped = table(&build(&set, WeightFormat::Q8, true));
    let opts = BuildOptions {
        grouped_top: false,
        load_factor: 1.0,
        ..BuildOptions::new(WeightFormat::Q8)
    };
    let (file, _) = compile(&set, opts).unwrap();
    let mut hashed = Vec::new();
    file.write_to(&mut hashed).unwrap();
    let hashed = table(&hashed);
    assert!(grouped * 10 < hashed * 9, "{grouped} {hashed}");
}

/// Random bytes in a grouped table (its arcs and its groups block) open,
/// fail `verify`, and give some score for every query, never a panic.
#[test]
fn corrupted_grouped_tables_are_memory_safe() {
    let mut rng = StdRng::seed_from_u64(8);
    let text = common::random_arpa(&mut rng, 4, 50);
    let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
    let clean = build(&set, WeightFormat::Q8, true);
    let (_, sections) = format::parse(&clean).unwrap();
    let table = sections.require(SectionKind::Table, 4).unwrap().range();
    let sentences: Vec<Vec<u32>> = (0..20)
        .map(|_| {
            let words = common::random_sentence(&mut rng, 50);
            let m = Model::from_bytes(&clean[..]).unwrap();
            words.iter().map(|w| m.word_id(w)).collect()
        })
        .collect();
    for round in 0..200 {
        let mut bytes = clean.clone();
        for _ in 0..1 + round % 8 {
            let at = rng.gen_range(table.clone());
            bytes[at] = if round % 3 == 0 { 0xff } else { rng.gen() };
        }
        let model = Model::from_bytes(&bytes[..]).unwrap();
        if bytes != clean {
            assert!(model.verify().is_err());
        }
        all_forms(&model, &sentences);
    }
}
