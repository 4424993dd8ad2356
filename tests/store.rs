//! The compiled store against the reference model: exact f32 scores, bounded
//! quantization error, hostile bytes, and threads.

use dashlm::arpa::NGramSet;
use dashlm::build::{compile, BuildOptions};
use dashlm::format::Weights;
use dashlm::{LanguageModel, Model, ReferenceModel};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One order's n-grams: words, log10 prob, optional backoff.
type Section = Vec<(Vec<usize>, f32, Option<f32>)>;

/// A random valid ARPA model: every n-gram extends an existing context, so many
/// suffixes are missing (as in pruned models); weights include -99 and -inf.
fn random_arpa(rng: &mut StdRng, order: usize, vocab: usize) -> String {
    let mut words: Vec<String> = vec!["<s>".into(), "</s>".into()];
    if rng.gen_bool(0.7) {
        words.push("<unk>".into());
    }
    words.extend((0..vocab).map(|i| format!("w{i}")));
    let mut sections: Vec<Section> = Vec::new();
    let uni = (0..words.len())
        .map(|i| {
            let p = match words[i].as_str() {
                "<s>" => -99.0,
                _ if rng.gen_bool(0.02) => f32::NEG_INFINITY,
                _ => -rng.gen_range(0.5f32..6.0),
            };
            (vec![i], p, (order > 1).then(|| -rng.gen_range(0.0f32..1.5)))
        })
        .collect();
    sections.push(uni);
    for n in 2..=order {
        let mut seen = std::collections::HashSet::new();
        let target = rng.gen_range(1..=vocab * 3);
        let mut grams = Vec::new();
        for _ in 0..target * 2 {
            if grams.len() >= target {
                break;
            }
            let lower = &sections[n - 2];
            let ctx = &lower[rng.gen_range(0..lower.len())].0;
            if n > 2 || ctx[0] != 1 {
                let mut g = ctx.clone();
                g.push(rng.gen_range(1..words.len()));
                if seen.insert(g.clone()) {
                    let bo = (n < order && rng.gen_bool(0.8)).then(|| -rng.gen_range(0.0f32..1.0));
                    grams.push((g, -rng.gen_range(0.01f32..3.0), bo));
                }
            }
        }
        if grams.is_empty() {
            break;
        }
        sections.push(grams);
    }
    let mut text = String::from("\\data\\\n");
    for (i, s) in sections.iter().enumerate() {
        text += &format!("ngram {}={}\n", i + 1, s.len());
    }
    for (i, s) in sections.iter().enumerate() {
        text += &format!("\n\\{}-grams:\n", i + 1);
        let last = i + 1 == sections.len();
        for (g, p, bo) in s {
            let ws: Vec<&str> = g.iter().map(|&w| words[w].as_str()).collect();
            let p = if p.is_infinite() {
                "-inf".to_string()
            } else {
                p.to_string()
            };
            match bo {
                Some(b) if !last => text += &format!("{p}\t{}\t{b}\n", ws.join(" ")),
                _ => text += &format!("{p}\t{}\n", ws.join(" ")),
            }
        }
    }
    text + "\n\\end\\\n"
}

fn compiled(set: &NGramSet, weights: Weights) -> Model<Vec<u8>> {
    let (file, _) = compile(
        set,
        BuildOptions {
            weights,
            ..Default::default()
        },
    )
    .unwrap();
    let mut bytes = Vec::new();
    file.write_to(&mut bytes).unwrap();
    Model::from_bytes(bytes).unwrap()
}

fn random_sentence(rng: &mut StdRng, vocab: usize) -> Vec<Vec<u8>> {
    (0..rng.gen_range(0..12))
        .map(|_| match rng.gen_range(0..10) {
            0 => b"oov-word".to_vec(),
            1 => b"</s>".to_vec(),
            _ => format!("w{}", rng.gen_range(0..vocab)).into_bytes(),
        })
        .collect()
}

/// Per-word (log10, ngram length) pairs of a sentence, from `<s>` through `</s>`.
fn score_words<M: LanguageModel>(m: &M, words: &[Vec<u8>]) -> Vec<(f32, u8)> {
    let mut state = m.begin_sentence_state();
    let mut next = state;
    let ids: Vec<_> = words
        .iter()
        .map(|w| m.word_id(w))
        .chain([m.eos_id()])
        .collect();
    ids.iter()
        .map(|&w| {
            let r = m.full_score(&state, w, &mut next);
            state = next;
            (r.log10_prob, r.ngram_length)
        })
        .collect()
}

#[test]
fn compiled_models_score_like_the_reference() {
    for seed in 0..60u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let order = rng.gen_range(1..=6);
        let vocab = rng.gen_range(3..200);
        let text = random_arpa(&mut rng, order, vocab);
        let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
        let f32_model = compiled(&set, Weights::F32);
        let q16 = compiled(&set, Weights::Q16);
        let q8 = compiled(&set, Weights::Q8);
        let reference = ReferenceModel::new(set);
        for _ in 0..40 {
            let words = random_sentence(&mut rng, vocab);
            let want = score_words(&reference, &words);
            assert_eq!(
                score_words(&f32_model, &words),
                want,
                "seed {seed} f32 {words:?}"
            );
            for (model, bound) in [(&q16, 0.02f32), (&q8, 1.0)] {
                for ((got, glen), (exp, elen)) in score_words(model, &words).into_iter().zip(&want)
                {
                    assert_eq!(glen, *elen, "seed {seed}");
                    let ok = (got == *exp) || (got - exp).abs() <= bound * order as f32;
                    assert!(ok, "seed {seed}: quantized {got} vs {exp}");
                }
            }
        }
    }
}

fn tiny_bytes() -> Vec<u8> {
    let set = NGramSet::read(&include_bytes!("../data/tiny.arpa")[..], "tiny.arpa").unwrap();
    let (file, _) = compile(&set, BuildOptions::default()).unwrap();
    let mut bytes = Vec::new();
    file.write_to(&mut bytes).unwrap();
    bytes
}

fn exercise(model: &Model<&[u8]>) -> f32 {
    let mut total = 0.0;
    for words in [
        &b"the cat sat on the mat"[..],
        b"mat the on sat cat the unknown",
        b"",
    ] {
        let ids: Vec<_> = words
            .split(|b| *b == b' ')
            .map(|w| model.word_id(w))
            .collect();
        total += model.score_sentence(&ids, true, true);
        total += model.score_sentence(&[u32::MAX, 0, 1, 2, 3, 4, 5, 6, 7, 8], false, true);
    }
    total
}

#[test]
fn every_truncation_is_rejected_at_open() {
    let bytes = tiny_bytes();
    assert!(Model::from_bytes(&bytes[..]).is_ok());
    for len in 0..bytes.len() {
        let err = Model::from_bytes(&bytes[..len]).err();
        assert!(
            err.is_some(),
            "truncation to {len} of {} bytes was accepted",
            bytes.len()
        );
    }
}

#[test]
fn header_flips_are_rejected_and_data_flips_are_caught_by_verify() {
    let bytes = tiny_bytes();
    let (_, sections) = dashlm::format::parse(&bytes).unwrap();
    let data_start = sections.iter().map(|e| e.offset).min().unwrap() as usize;
    let mut copy = bytes.clone();
    for bit in 0..bytes.len() * 8 {
        copy[bit / 8] ^= 1 << (bit % 8);
        match Model::from_bytes(&copy[..]) {
            Ok(model) => {
                assert!(
                    bit / 8 >= data_start,
                    "flip of header bit {bit} was accepted"
                );
                let flipped_padding = sections.iter().all(|e| !e.range().contains(&(bit / 8)));
                assert!(
                    flipped_padding || model.verify().is_err(),
                    "verify missed flip of bit {bit}"
                );
                exercise(&model);
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        copy[bit / 8] ^= 1 << (bit % 8);
    }
}

#[test]
fn random_data_corruption_never_panics() {
    let bytes = tiny_bytes();
    let (_, sections) = dashlm::format::parse(&bytes).unwrap();
    let data_start = sections.iter().map(|e| e.offset).min().unwrap() as usize;
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..3000 {
        let mut copy = bytes.clone();
        for _ in 0..rng.gen_range(1..20) {
            let at = rng.gen_range(data_start..copy.len());
            copy[at] = rng.gen();
        }
        if let Ok(model) = Model::from_bytes(&copy[..]) {
            exercise(&model);
        }
    }
}

#[test]
fn one_model_shared_by_threads_gives_single_thread_results() {
    let mut rng = StdRng::seed_from_u64(99);
    let text = random_arpa(&mut rng, 4, 150);
    let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
    let model = compiled(&set, Weights::F32);
    let sentences: Vec<_> = (0..400).map(|_| random_sentence(&mut rng, 150)).collect();
    let expected: Vec<_> = sentences.iter().map(|s| score_words(&model, s)).collect();
    for threads in [2, 4, 8] {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (model, sentences) = (&model, &sentences);
                    scope.spawn(move || {
                        (0..sentences.len())
                            .map(|i| (i + t * 37) % sentences.len())
                            .map(|i| (i, score_words(model, &sentences[i])))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                for (i, got) in h.join().unwrap() {
                    assert_eq!(got, expected[i]);
                }
            }
        });
    }
}

#[test]
fn batched_scores_equal_single_scores() {
    let mut rng = StdRng::seed_from_u64(5);
    let text = random_arpa(&mut rng, 5, 100);
    let model = compiled(&NGramSet::read(text.as_bytes(), "r").unwrap(), Weights::F32);
    let states: Vec<_> = (0..200)
        .scan(model.begin_sentence_state(), |s, _| {
            let mut next = *s;
            model.score(s, rng.gen_range(0..model.vocab_size() as u32), &mut next);
            *s = next;
            Some(next)
        })
        .collect();
    let words: Vec<u32> = (0..200)
        .map(|_| rng.gen_range(0..model.vocab_size() as u32))
        .collect();
    let mut out_states = states.clone();
    let mut out_scores = vec![
        dashlm::FullScore {
            log10_prob: 0.0,
            ngram_length: 0
        };
        200
    ];
    model.full_score_batch(&states, &words, &mut out_states, &mut out_scores);
    for i in 0..200 {
        let mut next = states[i];
        assert_eq!(
            model.full_score(&states[i], words[i], &mut next),
            out_scores[i]
        );
        assert_eq!(next, out_states[i]);
    }
}
