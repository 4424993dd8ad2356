//! Shared helpers for the store and property tests: random valid ARPA models,
//! compilation to bytes (by every builder), random sentences and per-word
//! scoring.
#![allow(dead_code)]

pub mod kenlm_peer;

use std::io::Cursor;

use dashlm::arpa::NGramSet;
use dashlm::build::{compile, compile_completing, compile_streaming, BuildOptions};
use dashlm::format::WeightFormat;
use dashlm::{LanguageModel, Model};
use rand::rngs::StdRng;
use rand::Rng;

/// One order's n-grams: words, log10 prob, optional backoff.
pub type Section = Vec<(Vec<usize>, f32, Option<f32>)>;

/// A random valid ARPA model: every n-gram extends an existing context, so many
/// suffixes are missing (as in pruned models); weights include -99 and -inf.
pub fn random_arpa(rng: &mut StdRng, order: usize, vocab: usize) -> String {
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
    arpa_text(&words, &sections)
}

/// A bigram model over `n` distinct random words of 1 to 12 characters
/// (letters, digits and a few non-ASCII ones) besides `<s>` and `</s>`, and
/// those `n` words.
pub fn many_words_arpa(rng: &mut StdRng, n: usize) -> (String, Vec<String>) {
    const CHARS: &[char] = &['a', 'e', 'n', 's', 't', 'x', 'z', '7', '\'', 'é', 'ß', '中'];
    let mut seen = std::collections::HashSet::new();
    let mut words: Vec<String> = vec!["<s>".into(), "</s>".into()];
    while words.len() < n + 2 {
        let len = rng.gen_range(1..=12);
        let w: String = (0..len)
            .map(|_| CHARS[rng.gen_range(0..CHARS.len())])
            .collect();
        if !w.starts_with('<') && seen.insert(w.clone()) {
            words.push(w);
        }
    }
    let uni: Section = (0..words.len())
        .map(|i| (vec![i], -rng.gen_range(1.0f32..6.0), Some(-0.5)))
        .collect();
    let bi: Section = (0..n.min(500))
        .map(|i| {
            (
                vec![i + 2, (i * 7) % n + 2],
                -rng.gen_range(0.1f32..3.0),
                None,
            )
        })
        .collect();
    let text = arpa_text(&words, &[uni, bi]);
    (text, words.split_off(2))
}

/// ARPA text for `sections` (order 1 first) over `words`: `-inf` spelled out,
/// backoffs left off the highest order.
pub fn arpa_text(words: &[String], sections: &[Section]) -> String {
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

pub fn compiled(set: &NGramSet, weights: WeightFormat) -> Model<Vec<u8>> {
    compiled_with(
        set,
        BuildOptions {
            weights,
            ..Default::default()
        },
    )
}

pub fn compiled_with(set: &NGramSet, opts: BuildOptions) -> Model<Vec<u8>> {
    let (file, _) = compile(set, opts).unwrap();
    let mut bytes = Vec::new();
    file.write_to(&mut bytes).unwrap();
    Model::from_bytes(bytes).unwrap()
}

/// The vocabulary of [`segmented_q16`]'s model: `w0` to `w69`.
pub const SEGMENTED_VOCAB: usize = 70;

/// A trigram model over [`SEGMENTED_VOCAB`] words with every bigram (5,041,
/// each with its own random probability: more than
/// [`dashlm::build::SEGMENTED_ABOVE`] distinct values) and 300 random
/// trigrams, so that its q16 compilation stores the bigram probabilities in a
/// segmented codebook: its ARPA text and that q16 model. Small enough for
/// Miri to build.
pub fn segmented_q16(seed: u64) -> (String, Model<Vec<u8>>) {
    let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let mut words: Vec<String> = vec!["<s>".into(), "</s>".into()];
    words.extend((0..SEGMENTED_VOCAB).map(|i| format!("w{i}")));
    let backoff = |rng: &mut StdRng| Some(-rng.gen_range(0.0f32..1.0));
    let uni: Section = (0..words.len())
        .map(|i| {
            let p = if i == 0 {
                -99.0
            } else {
                -rng.gen_range(0.5f32..4.0)
            };
            (vec![i], p, backoff(&mut rng))
        })
        .collect();
    // Contexts: `<s>` and the words; next: `</s>` and the words.
    let contexts = std::iter::once(0).chain(2..words.len());
    let bi: Section = contexts
        .flat_map(|a| (1..words.len()).map(move |b| vec![a, b]))
        .map(|g| (g, -rng.gen_range(0.01f32..3.0), backoff(&mut rng)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut tri: Section = Vec::new();
    while tri.len() < 300 {
        let (g, _, _) = &bi[rng.gen_range(0..bi.len())];
        let g = vec![g[0], g[1], rng.gen_range(1..words.len())];
        if g[1] != 1 && seen.insert(g.clone()) {
            tri.push((g, -rng.gen_range(0.01f32..2.0), None));
        }
    }
    let text = arpa_text(&words, &[uni, bi, tri]);
    let set = NGramSet::read(text.as_bytes(), "segmented.arpa").unwrap();
    let model = compiled(&set, WeightFormat::Q16);
    let bigrams = model.table_layouts().next().unwrap().raw();
    assert_eq!(bigrams.prob_segmented, 1, "a segmented bigram codebook");
    (text, model)
}

pub fn random_sentence(rng: &mut StdRng, vocab: usize) -> Vec<Vec<u8>> {
    (0..rng.gen_range(0..12))
        .map(|_| match rng.gen_range(0..10) {
            0 => b"oov-word".to_vec(),
            1 => b"</s>".to_vec(),
            _ => format!("w{}", rng.gen_range(0..vocab)).into_bytes(),
        })
        .collect()
}

/// Per-word (log10, ngram length) pairs of a sentence, from `<s>` through `</s>`.
pub fn score_words<M: LanguageModel>(m: &M, words: &[Vec<u8>]) -> Vec<(f32, u8)> {
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

/// The bytes of each path: `compile`, the completing builder, and the
/// streaming builder (`None` when it hands the model back).
pub fn builds(text: &str, opts: BuildOptions) -> (Vec<u8>, Vec<u8>, Option<Vec<u8>>) {
    let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
    let (file, summary) = compile(&set, opts).unwrap();
    let mut expected = Vec::new();
    file.write_to(&mut expected).unwrap();
    let out = Cursor::new(Vec::new());
    let (done, completed) = compile_completing(text.as_bytes(), opts, out, |_| {})
        .unwrap()
        .expect("a valid model completes");
    assert_eq!(done.summary.to_string(), summary.to_string());
    // What the summary counts as not from the file is the rest of the
    // header's counts.
    let declared: Vec<u64> = (text.lines())
        .filter_map(|l| l.strip_prefix("ngram "))
        .map(|l| l.split_once('=').unwrap().1.trim().parse().unwrap())
        .collect();
    let from_file: Vec<u64> = (summary.counts.iter().zip(&summary.added))
        .map(|(c, a)| c - a)
        .collect();
    assert_eq!(from_file, declared, "{summary}");
    let out = Cursor::new(Vec::new());
    let streamed = compile_streaming(text.as_bytes(), opts, out, |_| {}).unwrap();
    if let Some((done, _)) = &streamed {
        assert_eq!(done.summary.to_string(), summary.to_string());
    }
    let streamed = streamed.map(|(_, out)| out.into_inner());
    (expected, completed.into_inner(), streamed)
}
