//! Property tests: random valid backoff models compiled in every variant agree
//! with the reference model and with KenLM, and `dump` round-trips.

mod common;

use common::{compiled, compiled_with, random_arpa, random_sentence, score_words};
use dashlm::arpa::NGramSet;
use dashlm::build::BuildOptions;
use dashlm::format::WeightFormat;
use dashlm::ReferenceModel;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        cases: n,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases(48))]

    /// f32 scores and matched lengths are bit-identical to the reference (with
    /// any order-2 load factor too); the quantized variants keep the lengths
    /// and stay within their error bound.
    #[test]
    fn every_variant_agrees_with_the_reference(
        seed in any::<u64>(),
        order in 1usize..=dashlm::MAX_ORDER,
        vocab in 2usize..2000,
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let text = random_arpa(&mut rng, order, vocab);
        let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
        let models = [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8].map(|w| compiled(&set, w));
        let bigram_load = BuildOptions { bigram_load_factor: Some(0.35), ..BuildOptions::default() };
        let emptier = compiled_with(&set, bigram_load);
        // q8's defaults (run offsets at load 0.96, most with block bases) with
        // a scanned order-2 table, and with a grouped highest order: the same
        // codes, so the same scores.
        let mixed = compiled_with(&set, BuildOptions { bigram_load_factor: Some(0.35), ..BuildOptions::new(WeightFormat::Q8) });
        let grouped = compiled_with(&set, BuildOptions { grouped_top: true, ..BuildOptions::new(WeightFormat::Q8) });
        let reference = ReferenceModel::new(set);
        for _ in 0..20 {
            let words = random_sentence(&mut rng, vocab);
            let want = score_words(&reference, &words);
            prop_assert_eq!(score_words(&models[0], &words), want.clone());
            prop_assert_eq!(score_words(&emptier, &words), want.clone());
            prop_assert_eq!(score_words(&mixed, &words), score_words(&models[2], &words));
            prop_assert_eq!(score_words(&grouped, &words), score_words(&models[2], &words));
            for (model, bound) in [(&models[1], 0.02f32), (&models[2], 0.6)] {
                for ((got, glen), (exp, elen)) in score_words(model, &words).into_iter().zip(&want) {
                    prop_assert_eq!(glen, *elen);
                    prop_assert!(got == *exp || (got - exp).abs() <= bound * order as f32, "{} vs {}", got, exp);
                }
            }
        }
    }

    /// ARPA written back out by `dump` reads to a model that scores exactly like
    /// the compiled one, for every variant.
    #[test]
    fn dump_round_trips(seed in any::<u64>(), order in 1usize..=5, vocab in 2usize..300) {
        let mut rng = StdRng::seed_from_u64(seed);
        let text = random_arpa(&mut rng, order, vocab);
        let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
        for weights in [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8] {
            let model = compiled(&set, weights);
            let mut arpa = Vec::new();
            model.write_arpa(&mut arpa).unwrap();
            let again = ReferenceModel::read(&arpa[..], "dump.arpa").unwrap();
            for _ in 0..20 {
                let words = random_sentence(&mut rng, vocab);
                prop_assert_eq!(score_words(&again, &words), score_words(&model, &words));
            }
        }
    }
}

proptest! {
    #![proptest_config(cases(24))]

    /// Compiled models agree with KenLM (through kenlm-rs, probing) per word.
    #[test]
    fn compiled_models_agree_with_kenlm(seed in any::<u64>(), order in 2usize..=6, vocab in 2usize..500) {
        let mut rng = StdRng::seed_from_u64(seed);
        let text = random_arpa(&mut rng, order, vocab);
        let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
        let model = compiled(&set, WeightFormat::F32);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("random.arpa");
        std::fs::write(&path, &text).unwrap();
        let cfg = kenlm::Config {
            probing_multiplier: 64.0,
            show_progress: false,
            arpa_complain: kenlm::ArpaLoadComplain::None,
            ..kenlm::Config::default()
        };
        // KenLM's probing tables are sized from the header counts; random models
        // with many pruned suffixes can outgrow them (ProbingSizeException), which
        // is KenLM's capacity limit, not a disagreement: skip those.
        let ken = kenlm::Model::with_config(&path, cfg);
        prop_assume!(ken.is_ok());
        let ken = ken.unwrap();
        for _ in 0..20 {
            let words = random_sentence(&mut rng, vocab);
            let mut state = ken.begin_sentence_state();
            let mut next = ken.null_context_state();
            let mut want = Vec::new();
            for w in &words {
                let id = ken.index(std::str::from_utf8(w).unwrap()).unwrap();
                let r = ken.base_full_score(&state, id, &mut next).unwrap();
                want.push((r.log_prob, r.ngram_length));
                std::mem::swap(&mut state, &mut next);
            }
            let r = ken.base_full_score(&state, ken.end_sentence_index(), &mut next).unwrap();
            want.push((r.log_prob, r.ngram_length));
            for ((got, glen), (exp, elen)) in score_words(&model, &words).into_iter().zip(want) {
                prop_assert_eq!(glen, elen);
                prop_assert!((got - exp).abs() <= 1e-5 || got == exp, "{} vs KenLM {}", got, exp);
            }
        }
    }
}
