//! Exact codebooks: a field whose values take few distinct bit patterns (every
//! variant's unigrams, f32 tables' weights) is stored as codes into a codebook
//! of those patterns when that is smaller, and scores bit for bit as before.

mod common;

use common::{compiled, random_arpa, random_sentence, score_words};
use dashlm::arpa::NGramSet;
use dashlm::build::{compile, BuildError, BuildOptions};
use dashlm::format::{self, SectionKind, WeightFormat};
use dashlm::{LanguageModel, Model, ReferenceModel};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn bits(v: &[(f32, u8)]) -> Vec<(u32, u8)> {
    v.iter().map(|(p, n)| (p.to_bits(), *n)).collect()
}

/// A model whose unigrams take few distinct weights (as real ones do): q8
/// stores both unigram fields as codes into exact codebooks, f32 and q16 as
/// raw records. Every word scores exactly as in the
/// reference, flags included (`-0` and `0` backoffs, missing backoffs, words
/// that end bigrams), and a coded section is far smaller than 8 bytes a word.
#[test]
fn coded_unigrams_score_exactly() {
    let mut rng = StdRng::seed_from_u64(20261201);
    let vocab = 3000;
    let mut words: Vec<String> = vec!["<s>".into(), "</s>".into(), "<unk>".into()];
    words.extend((0..vocab).map(|i| format!("w{i}")));
    let probs = [-1.5f32, -2.25, -3.0, -4.75, -0.0, f32::NEG_INFINITY];
    let backoffs = [None, Some(0.0f32), Some(-0.0), Some(-0.5), Some(-0.25)];
    let uni: common::Section = (0..words.len())
        .map(|i| {
            let p = if i == 0 {
                -99.0
            } else {
                probs[rng.gen_range(0..probs.len())]
            };
            (vec![i], p, backoffs[rng.gen_range(0..backoffs.len())])
        })
        .collect();
    // `<s> w0` .. `<s> w1999`: those words end a bigram, the others do not.
    let bi: common::Section = (0..2000).map(|k| (vec![0, 3 + k], -0.5, None)).collect();
    let text = common::arpa_text(&words, &[uni, bi]);
    let set = NGramSet::read(text.as_bytes(), "coded.arpa").unwrap();
    assert_eq!(compiled(&set, WeightFormat::F32).unigram_widths(), (32, 32));
    for weights in [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8] {
        unigrams_score_exactly(&set, &words, weights);
    }
}

/// [`coded_unigrams_score_exactly`] for one variant.
fn unigrams_score_exactly(set: &NGramSet, words: &[String], weights: WeightFormat) {
    let model = compiled(set, weights);
    let (_, sections) = format::parse(model.bytes()).unwrap();
    let unigrams = sections.require(SectionKind::Unigrams, 1).unwrap();
    let coded = unigrams.len * 4 < words.len() as u64 * 8;
    assert_eq!(coded, weights == WeightFormat::Q8, "{} bytes", unigrams.len);
    let reference = ReferenceModel::new(set.clone());
    for w in words {
        let sentence = [w.clone().into_bytes()];
        let got = score_words(&model, &sentence);
        let want = score_words(&reference, &sentence);
        assert_eq!(bits(&got), bits(&want), "{w}");
        let (null, mut next) = (model.null_context_state(), model.null_context_state());
        let got = model.full_score(&null, model.word_id(w.as_bytes()), &mut next);
        let (null, mut next) = (
            reference.null_context_state(),
            reference.null_context_state(),
        );
        let want = reference.full_score(&null, reference.word_id(w.as_bytes()), &mut next);
        assert_eq!(got.log10_prob.to_bits(), want.log10_prob.to_bits(), "{w}");
    }
}

/// `text` with every probability rounded to 2 decimals and every backoff to 1
/// (as a model written with few digits has them): few distinct values.
fn rounded(text: &str) -> String {
    let round = |field: &str, digits: i32| match field.parse::<f32>() {
        Ok(v) if v.is_finite() => {
            let scale = 10f32.powi(digits);
            format!("{}", (v * scale).round() / scale)
        }
        _ => field.to_string(),
    };
    let mut out = String::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let line = match fields.as_slice() {
            [p, words] => format!("{}\t{words}", round(p, 2)),
            [p, words, b] => format!("{}\t{words}\t{}", round(p, 2), round(b, 1)),
            _ => line.to_string(),
        };
        out += &line;
        out.push('\n');
    }
    out
}

/// A random model of seed `seed` with [`rounded`] weights (order 2 to 5, 50
/// to 399 words): its generator (for sentences), its vocabulary size and
/// its n-grams.
fn rounded_model(seed: u64) -> (StdRng, usize, NGramSet) {
    let mut rng = StdRng::seed_from_u64(seed);
    let order = rng.gen_range(2..=5);
    let vocab = rng.gen_range(50..400);
    let text = rounded(&random_arpa(&mut rng, order, vocab));
    let set = NGramSet::read(text.as_bytes(), "rounded.arpa").unwrap();
    (rng, vocab, set)
}

/// f32 tables whose weights take few values store them as exact codes (the
/// fields narrower than 32 bits) and score bit for bit as the reference.
#[test]
fn f32_tables_with_few_weights_score_exactly() {
    let mut coded_orders = 0;
    for seed in 0..30u64 {
        let (mut rng, vocab, set) = rounded_model(seed);
        let model = compiled(&set, WeightFormat::F32);
        for layout in model.table_layouts() {
            let raw = layout.raw();
            coded_orders += usize::from(raw.prob_bits < 32);
            coded_orders += usize::from(raw.has_nodes == 1 && raw.backoff_bits < 32);
        }
        let reference = ReferenceModel::new(set);
        for _ in 0..40 {
            let words = random_sentence(&mut rng, vocab);
            let want = bits(&score_words(&reference, &words));
            assert_eq!(
                bits(&score_words(&model, &words)),
                want,
                "seed {seed} {words:?}"
            );
        }
    }
    assert!(coded_orders > 20, "{coded_orders} coded fields");
}

/// Random weights take too many distinct values for exact codebooks to pay:
/// every field of the f32 model is raw (the query's all-raw path, which reads
/// a unigram record as one word and decodes nothing), and it scores bit for
/// bit as the reference, word by word and with the lookahead.
#[test]
fn all_raw_f32_models_score_exactly() {
    let mut all_raw = 0;
    for seed in 0..12u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let order = rng.gen_range(2..=5);
        let vocab = rng.gen_range(300..1500);
        let text = random_arpa(&mut rng, order, vocab);
        let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
        let model = compiled(&set, WeightFormat::F32);
        all_raw += usize::from(is_all_raw(&model));
        let reference = ReferenceModel::new(set);
        for _ in 0..40 {
            let words = random_sentence(&mut rng, vocab);
            let want = bits(&score_words(&reference, &words));
            assert_eq!(bits(&score_words(&model, &words)), want, "seed {seed}");
            let ids: Vec<_> = words.iter().map(|w| model.word_id(w)).collect();
            let ref_ids: Vec<_> = words.iter().map(|w| reference.word_id(w)).collect();
            assert_eq!(
                model.score_sentence(&ids, true, true).to_bits(),
                reference.score_sentence(&ref_ids, true, true).to_bits(),
                "seed {seed}"
            );
        }
    }
    assert!(all_raw >= 8, "{all_raw} all-raw models of 12");
}

/// Whether every weight field of `model` is raw f32 bits (32 bits wide), as
/// [`Model::all_raw`] says too.
fn is_all_raw(model: &Model<Vec<u8>>) -> bool {
    let raw = model.unigram_widths() == (32, 32)
        && model.table_layouts().all(|layout| {
            let raw = layout.raw();
            raw.prob_bits == 32 && (raw.has_nodes == 0 || raw.backoff_bits == 32)
        });
    assert_eq!(model.all_raw(), raw);
    raw
}

/// `BuildOptions::raw_f32`: models whose table weights take few values, which
/// the default build stores as exact codes, built with every field raw
/// instead (the query's all-raw path): larger files that score bit for bit as
/// the coded ones and the reference. Quantized weights refuse the option.
#[test]
fn raw_f32_builds_score_as_coded_ones() {
    let raw_opts = BuildOptions {
        raw_f32: true,
        ..BuildOptions::default()
    };
    let mut coded_models = 0;
    for seed in 0..12u64 {
        let (mut rng, vocab, set) = rounded_model(seed);
        let coded = compiled(&set, WeightFormat::F32);
        let (file, summary) = compile(&set, raw_opts).unwrap();
        let mut bytes = Vec::new();
        file.write_to(&mut bytes).unwrap();
        let raw = Model::from_bytes(bytes).unwrap();
        assert!(is_all_raw(&raw), "seed {seed}");
        if !is_all_raw(&coded) {
            coded_models += 1;
            assert!(
                summary.file_bytes > coded.bytes().len() as u64,
                "seed {seed}"
            );
        } else {
            assert_eq!(raw.bytes(), coded.bytes(), "seed {seed}");
        }
        let reference = ReferenceModel::new(set);
        for _ in 0..40 {
            let words = random_sentence(&mut rng, vocab);
            let want = bits(&score_words(&reference, &words));
            assert_eq!(bits(&score_words(&raw, &words)), want, "seed {seed}");
            assert_eq!(bits(&score_words(&coded, &words)), want, "seed {seed}");
            let ids: Vec<_> = words.iter().map(|w| raw.word_id(w)).collect();
            assert_eq!(
                raw.score_sentence(&ids, true, true).to_bits(),
                coded.score_sentence(&ids, true, true).to_bits(),
                "seed {seed}"
            );
        }
    }
    assert!(
        coded_models >= 8,
        "{coded_models} coded default builds of 12"
    );
    let set = NGramSet::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    for weights in [WeightFormat::Q16, WeightFormat::Q8] {
        let opts = BuildOptions {
            raw_f32: true,
            ..BuildOptions::new(weights)
        };
        let Err(err) = compile(&set, opts) else {
            panic!("{} with raw f32 weights was built", weights.name());
        };
        assert!(matches!(err, BuildError::RawNeedsF32(w) if w == weights));
        let want = format!("raw f32 weights need f32 weights, not {}", weights.name());
        assert_eq!(err.to_string(), want);
    }
}
