//! Quantized unigrams: a q8 model whose unigram fields take more distinct
//! values than an exact codebook holds stores them as codes into a codebook
//! that keeps each value's class (`build::ClassBook`): every flag the values
//! carry survives (which words end bigrams, which are states), every builder
//! writes the same bytes, and the weights stay within the codebook's error
//! bound. f32 and q16 models store their unigrams raw.

mod common;

use common::{arpa_text, builds, Section};
use dashlm::build::BuildOptions;
use dashlm::format::{WeightFormat, MAX_EXACT_VALUES};
use dashlm::{LanguageModel, Model};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Words besides `<s>`, `</s>` and `<unk>`: more than an exact codebook
/// holds, and enough for a codebook of 2^16 values (8 bytes a word besides
/// 2-byte codes) to be smaller than raw f32 weights.
const WORDS: usize = 2 * MAX_EXACT_VALUES + 4000;

/// A bigram model over [`WORDS`] words whose unigram probabilities (in
/// -7..-1, some 0 or -inf; `<s>`'s -99) and backoffs (in -1.5..0.5, some
/// missing, 0 or -0) are nearly all distinct; bigrams from `<s>` and between
/// random words, so some words end bigrams and some are contexts (states)
/// without a backoff.
fn many_values_arpa(rng: &mut StdRng) -> String {
    let mut words: Vec<String> = vec!["<s>".into(), "</s>".into(), "<unk>".into()];
    words.extend((0..WORDS).map(|i| format!("w{i}")));
    let uni: Section = (0..words.len())
        .map(|i| {
            let p = match rng.gen_range(0..100) {
                _ if i == 0 => -99.0,
                0 => 0.0,
                1 => f32::NEG_INFINITY,
                _ => -rng.gen_range(1.0f32..7.0),
            };
            let bo = match rng.gen_range(0..20) {
                0..=3 => None,
                4 => Some(0.0),
                5 => Some(-0.0),
                6..=8 => Some(rng.gen_range(0.0f32..0.5)),
                _ => Some(-rng.gen_range(0.0f32..1.5)),
            };
            (vec![i], p, bo)
        })
        .collect();
    let mut pairs = std::collections::HashSet::new();
    let bi: Section = (0..WORDS / 2)
        .map(|k| {
            let first = if k % 4 == 0 {
                0
            } else {
                rng.gen_range(1..words.len())
            };
            (
                vec![first, rng.gen_range(1..words.len())],
                -rng.gen_range(0.01f32..3.0),
                None,
            )
        })
        .filter(|(g, _, _)| pairs.insert(g.clone()))
        .collect();
    arpa_text(&words, &[uni, bi])
}

/// The error bound of a field quantized into `codes` codes whose finite
/// nonzero values span `span` in all (the two classes' spans summed): each
/// class's greedy cover with intervals of `span / (codes - 6 - 2)` takes at
/// most `span_c / width + 1` intervals, and the codebook's bound is the
/// least that fits, half an interval. Plus room for f32 rounding.
fn bound(span: f64, codes: usize) -> f32 {
    (span / (2.0 * (codes - 8) as f64) + 1e-5) as f32
}

/// A q8 model of such unigrams codes both fields in 12 bits, a q16 model
/// stores them raw, and each scores every word as the f32 model does (q8 up
/// to the bound, q16 exactly): the same matched lengths (a word's flag that
/// a bigram ends with it) and the same next-state orders (its flag that it
/// is a state, `-0.0` against `+0.0` backoffs).
#[test]
fn quantized_unigrams_keep_every_flag() {
    let mut rng = StdRng::seed_from_u64(20261202);
    let text = many_values_arpa(&mut rng);
    let (exact, _, _) = builds(&text, BuildOptions::new(WeightFormat::F32));
    let exact = Model::from_bytes(exact).unwrap();
    assert_eq!(exact.unigram_widths(), (32, 32), "the f32 model stays raw");
    for (weights, bits) in [(WeightFormat::Q16, 32), (WeightFormat::Q8, 12)] {
        let (bytes, completed, streamed) = builds(&text, BuildOptions::new(weights));
        assert_eq!(completed, bytes, "{weights:?}");
        assert_eq!(streamed.as_ref(), Some(&bytes), "{weights:?}");
        let model = Model::from_bytes(bytes).unwrap();
        model.verify().unwrap();
        assert_eq!(model.unigram_widths(), (bits, bits), "{weights:?}");
        // Probabilities: -99..-1 and 1..7 (the words that end bigrams);
        // backoffs: -1.5..0 and 0..0.5.
        let (prob_bound, backoff_bound) = match bits {
            32 => (0.0, 0.0), // raw: exact
            _ => (bound(98.0 + 6.0, 1 << bits), bound(2.0, 1 << bits)),
        };
        let vocab = exact.vocab_size() as u32;
        let (mut states, mut bigrams, mut backed_off) = (0, 0, 0);
        let null = (exact.null_context_state(), model.null_context_state());
        let begin = (exact.begin_sentence_state(), model.begin_sentence_state());
        for w in 0..vocab {
            // From the null context: `w`'s probability and state flag; from
            // `<s>`: its bigram (its flag that a bigram ends with it) or
            // `<s>`'s backoff and its probability; from `w`'s state: a
            // random word's bigram or `w`'s backoff and that word's
            // probability.
            let u = rng.gen_range(0..vocab);
            let mut after_w = null;
            for (step, from, word) in [(0, null, w), (1, begin, w), (2, after_w, u)] {
                let from = if step == 2 { after_w } else { from };
                let (mut next_exact, mut next) = null;
                let want = exact.full_score(&from.0, word, &mut next_exact);
                let got = model.full_score(&from.1, word, &mut next);
                let what = format!("{weights:?} step {step}, word {w}, next {u}");
                assert_eq!(got.ngram_length, want.ngram_length, "{what}: bigram flag");
                assert_eq!(next.order(), next_exact.order(), "{what}: state flag");
                let bound = match (step, want.ngram_length) {
                    (0, _) => prob_bound,
                    (_, 1) => prob_bound + backoff_bound,
                    _ => f32::INFINITY, // a bigram: the table's codebook
                };
                let (got_p, want_p) = (got.log10_prob, want.log10_prob);
                let close = got_p == want_p || (got_p - want_p).abs() <= bound;
                assert!(close, "{what}: {got_p} for {want_p}");
                if step == 0 {
                    states += next.order();
                    after_w = (next_exact, next);
                } else if bound.is_finite() {
                    backed_off += 1;
                } else {
                    bigrams += 1;
                }
            }
        }
        // Both flags take both values.
        assert!(states > WORDS / 2 && states < WORDS, "{states} states");
        assert!(bigrams > WORDS / 10, "{bigrams} bigrams");
        assert!(backed_off > WORDS, "{backed_off} backed off");
    }
}
