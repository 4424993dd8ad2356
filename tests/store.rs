//! The compiled store against the reference model: exact f32 scores, bounded
//! quantization error, hostile bytes, and threads.

mod common;

use common::{compiled, random_arpa, random_sentence, score_words};
use dashlm::arpa::NGramSet;
use dashlm::build::{compile, BuildOptions};
use dashlm::format::WeightFormat;
use dashlm::{LanguageModel, Model, ReferenceModel};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn compiled_models_score_like_the_reference() {
    for seed in 0..if cfg!(miri) { 3 } else { 60u64 } {
        let mut rng = StdRng::seed_from_u64(seed);
        let order = rng.gen_range(1..=dashlm::MAX_ORDER);
        let vocab = rng.gen_range(3..200);
        let text = random_arpa(&mut rng, order, vocab);
        let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
        let f32_model = compiled(&set, WeightFormat::F32);
        let q16 = compiled(&set, WeightFormat::Q16);
        let q8 = compiled(&set, WeightFormat::Q8);
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

/// A q16 model with a segmented codebook scores within a few hundredths of
/// a percent of a log10 unit of the reference: each weight is at most half
/// a step (about 1/510 of its segment's width) from its value.
#[test]
fn segmented_q16_scores_within_half_a_step() {
    let (text, model) = common::segmented_q16(0);
    let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
    let reference = ReferenceModel::new(set);
    let mut rng = StdRng::seed_from_u64(5);
    let mut worst = 0f32;
    for _ in 0..if cfg!(miri) { 40 } else { 2000 } {
        let words = random_sentence(&mut rng, common::SEGMENTED_VOCAB);
        let want = score_words(&reference, &words);
        for ((got, glen), (exp, elen)) in score_words(&model, &words).into_iter().zip(want) {
            assert_eq!(glen, elen);
            if exp.is_finite() {
                worst = worst.max((got - exp).abs());
            } else {
                assert_eq!(got, exp);
            }
        }
    }
    // A probability and up to two backoffs, each at most about 3 / 256 / 510
    // off (weights in -3..0, segments of about equal counts).
    assert!(worst < 3.0 * 1e-4, "worst error {worst}");
}

/// data/tiny.arpa compiled in each variant.
fn tiny_variants() -> Vec<(WeightFormat, Vec<u8>)> {
    let set = NGramSet::read(&include_bytes!("../data/tiny.arpa")[..], "tiny.arpa").unwrap();
    [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8]
        .into_iter()
        .map(|w| {
            let (file, _) = compile(&set, BuildOptions::new(w)).unwrap();
            let mut bytes = Vec::new();
            file.write_to(&mut bytes).unwrap();
            (w, bytes)
        })
        .collect()
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
    for (weights, bytes) in tiny_variants() {
        assert!(Model::from_bytes(&bytes[..]).is_ok());
        for len in 0..bytes.len() {
            let err = Model::from_bytes(&bytes[..len]).err();
            assert!(
                err.is_some(),
                "{weights:?}: truncation to {len} of {} bytes was accepted",
                bytes.len()
            );
        }
    }
}

#[test]
fn header_flips_are_rejected_and_data_flips_are_caught_by_verify() {
    for (_, bytes) in tiny_variants() {
        every_bit_flip(&bytes);
    }
}

/// Flips every bit of the header and section table (each must be refused at
/// open) and every bit of the data sections, or 20,000 random ones in a larger
/// file (each must be caught by `verify` and must not break queries).
fn every_bit_flip(bytes: &[u8]) {
    let (_, sections) = dashlm::format::parse(bytes).unwrap();
    let data_start = sections.iter().map(|e| e.offset).min().unwrap() as usize;
    let mut rng = StdRng::seed_from_u64(11);
    let data_bits = (bytes.len() - data_start) * 8;
    // Under Miri (which checks every read for undefined behaviour, about a
    // thousand times slower) a sample of 300 data bits.
    let most = if cfg!(miri) { 300 } else { 20_000 };
    let sampled: Vec<usize> = if data_bits <= most {
        (data_start * 8..bytes.len() * 8).collect()
    } else {
        (0..most)
            .map(|_| rng.gen_range(data_start * 8..bytes.len() * 8))
            .collect()
    };
    let mut copy = bytes.to_vec();
    for bit in (0..data_start * 8).chain(sampled) {
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
    let mut rng = StdRng::seed_from_u64(7);
    let text = random_arpa(&mut rng, 4, 60);
    let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
    for weights in [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8] {
        let bytes = compiled(&set, weights).bytes().to_vec();
        corrupt_randomly(&mut rng, &bytes);
    }
    for (_, bytes) in tiny_variants() {
        corrupt_randomly(&mut rng, &bytes);
    }
    // Codebooks of more than 256 values, read in place (q16 codes of 9 bits
    // or more).
    let text = random_arpa(&mut rng, 3, 400);
    let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
    let model = compiled(&set, WeightFormat::Q16);
    assert!(model.table_layouts().any(|l| l.raw().prob_bits > 8));
    corrupt_randomly(&mut rng, model.bytes());
    // A segmented codebook.
    corrupt_randomly(&mut rng, common::segmented_q16(0).1.bytes());
}

fn corrupt_randomly(rng: &mut StdRng, bytes: &[u8]) {
    let (_, sections) = dashlm::format::parse(bytes).unwrap();
    let data_start = sections.iter().map(|e| e.offset).min().unwrap() as usize;
    for _ in 0..if cfg!(miri) { 4 } else { 3000 } {
        let mut copy = bytes.to_vec();
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
    let model = compiled(&set, WeightFormat::F32);
    let n = if cfg!(miri) { 20 } else { 400 };
    let sentences: Vec<_> = (0..n).map(|_| random_sentence(&mut rng, 150)).collect();
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
    let model = compiled(
        &NGramSet::read(text.as_bytes(), "r").unwrap(),
        WeightFormat::F32,
    );
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
    let mut out_scores = vec![dashlm::FullScore::default(); 200];
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

#[test]
fn lookahead_scores_equal_word_by_word() {
    for seed in 0..if cfg!(miri) { 2 } else { 30u64 } {
        let mut rng = StdRng::seed_from_u64(seed);
        let order = rng.gen_range(1..=dashlm::MAX_ORDER);
        let vocab = rng.gen_range(3..200);
        let set = NGramSet::read(random_arpa(&mut rng, order, vocab).as_bytes(), "r").unwrap();
        for weights in [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8] {
            let model = compiled(&set, weights);
            for _ in 0..if cfg!(miri) { 4 } else { 20 } {
                let words = random_sentence(&mut rng, vocab);
                let ids: Vec<_> = words.iter().map(|w| model.word_id(w)).collect();
                let mut got = Vec::new();
                model.score_each(model.begin_sentence_state(), &ids, true, |r| got.push(r));
                let want: Vec<_> = score_words(&model, &words)
                    .into_iter()
                    .map(|(log10_prob, ngram_length)| dashlm::FullScore {
                        log10_prob,
                        ngram_length,
                    })
                    .collect();
                assert_eq!(got, want, "seed {seed} {weights:?} {words:?}");
                let total: f32 = want.iter().map(|r| r.log10_prob).sum();
                assert_eq!(model.score_sentence(&ids, true, true), total);
                // Told the wrong next word (or an id out of range), a query
                // still gives full_score's result and state.
                let mut state = model.begin_sentence_state();
                for &w in &ids {
                    let (mut a, mut b) = (state, state);
                    let wrong = rng.gen_range(0..=vocab as u32 + 5);
                    let r = model.full_score_ahead(&state, w, wrong, &mut a);
                    assert_eq!(r, model.full_score(&state, w, &mut b));
                    assert_eq!(a, b);
                    // Prefetched (or not: the result cannot depend on it).
                    let mut c = state;
                    model.prefetch_query(&state, w);
                    assert_eq!(model.full_score_prefetched(&state, w, &mut c), r);
                    assert_eq!(c, a);
                    state = a;
                }
            }
        }
    }
}

/// The n-grams of `text` (an ARPA file with tab-separated fields), as words.
fn arpa_ngrams(text: &str) -> Vec<Vec<Vec<u8>>> {
    let mut in_section = false;
    let mut grams = Vec::new();
    for line in text.lines() {
        if line.starts_with('\\') {
            in_section = line.ends_with("-grams:");
        } else if in_section && !line.is_empty() {
            let words = line.split('\t').nth(1).expect("words field");
            grams.push(words.split(' ').map(|w| w.as_bytes().to_vec()).collect());
        }
    }
    grams
}

/// Per-word (log10, ngram length) pairs of `words`: a sentence from `<s>`
/// through `</s>`, or (`from_null`) the words alone from the null context.
fn walk<M: LanguageModel>(m: &M, from_null: bool, words: &[Vec<u8>]) -> Vec<(f32, u8)> {
    if !from_null {
        return score_words(m, words);
    }
    let mut state = m.null_context_state();
    let mut next = state;
    words
        .iter()
        .map(|w| {
            let r = m.full_score(&state, m.word_id(w), &mut next);
            state = next;
            (r.log10_prob, r.ngram_length)
        })
        .collect()
}

/// Models of orders 7 and 8 (`MAX_ORDER`) compile, open and score as the
/// reference: every n-gram of the file walked from the null context (so the
/// highest tables are reached) and random sentences, in f32 exactly and in
/// q16 and q8 within their bounds.
#[test]
fn orders_7_and_8_score_like_the_reference() {
    let quirk = include_str!("../data/arpa/quirk-order8.arpa").to_string();
    let mut texts = vec![(8, 6, quirk)];
    for seed in 0..if cfg!(miri) { 1 } else { 6u64 } {
        let mut rng = StdRng::seed_from_u64(seed);
        let order = 7 + seed as usize % 2;
        let vocab = rng.gen_range(3..12);
        texts.push((order, vocab, random_arpa(&mut rng, order, vocab)));
    }
    let mut rng = StdRng::seed_from_u64(99);
    for (order, vocab, text) in texts {
        let set = NGramSet::read(text.as_bytes(), "high.arpa").unwrap();
        assert_eq!(set.order(), order);
        let models = [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8].map(|w| {
            let model = compiled(&set, w);
            assert!(model.verify().is_ok(), "{w:?}");
            model
        });
        let reference = ReferenceModel::new(set);
        let sentences = (0..40).map(|_| (false, random_sentence(&mut rng, vocab)));
        let grams = arpa_ngrams(&text).into_iter().map(|g| (true, g));
        let mut longest = 0;
        for (from_null, words) in grams.chain(sentences) {
            let want = walk(&reference, from_null, &words);
            longest = longest.max(want.iter().map(|&(_, n)| n).max().unwrap_or(0));
            for (model, bound) in models.iter().zip([0.0f32, 0.02, 1.0]) {
                let got = walk(model, from_null, &words);
                for ((g, glen), (e, elen)) in got.into_iter().zip(&want) {
                    assert_eq!(glen, *elen, "order {order} {words:?}");
                    let ok = g == *e || (g - e).abs() <= bound * order as f32;
                    assert!(ok, "order {order} {words:?}: {g} vs {e}");
                }
            }
        }
        assert_eq!(usize::from(longest), order, "the highest order was reached");
    }
}

/// `format::parse` at its bounds, on files `FileWriter` writes: no section
/// (the header alone), empty sections only (the file ends where the section
/// table does), and the most sections the format allows, 64 (audit 33: the
/// two length checks' `<` as `<=` and the section count's `>` as `>=`
/// survived); one byte less is too short.
#[test]
fn parse_takes_the_writers_files_at_its_bounds() {
    use dashlm::format::{parse, FileWriter, Header, SectionKind, HEADER_LEN, SECTION_ENTRY_LEN};
    let mut counts = [0; dashlm::MAX_ORDER];
    counts[0] = 1;
    let header = Header {
        order: 1,
        weights: WeightFormat::F32,
        vocab_size: 1,
        bos: 0,
        eos: 0,
        counts,
    };
    let kinds = [
        SectionKind::VocabOffsets,
        SectionKind::VocabBytes,
        SectionKind::VocabIndex,
        SectionKind::Unigrams,
        SectionKind::Layouts,
        SectionKind::Table,
        SectionKind::ProbCodebook,
        SectionKind::BackoffCodebook,
    ];
    for n in [0, 1, 64] {
        let mut f = FileWriter::new(header);
        for i in 0..n {
            f.add(kinds[i % 8], (i / 8) as u16, Vec::new());
        }
        let mut bytes = Vec::new();
        f.write_to(&mut bytes).unwrap();
        assert_eq!(bytes.len(), HEADER_LEN + n * SECTION_ENTRY_LEN);
        let (parsed, sections) = parse(&bytes).unwrap();
        assert_eq!((parsed, sections.iter().count()), (header, n));
        let e = parse(&bytes[..bytes.len() - 1]).unwrap_err().to_string();
        assert!(e.contains("too short"), "{n}: {e}");
    }
}
