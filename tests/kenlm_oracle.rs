//! dashlm's reference model against KenLM (through `kenlm-rs`) and against a
//! direct, brute-force evaluation of the backoff formula.
//!
//! Random valid ARPA files are generated from a seeded RNG: a random vocabulary,
//! n-grams taken from a random corpus and then pruned (so that some n-grams lack
//! their suffixes), random probabilities and backoffs (zero, missing, negative,
//! positive), `-99` for `<s>`. Random sentences with OOV words are scored word
//! by word and must agree:
//! - with KenLM (orders 2-6, files KenLM accepts): the same log10 probability
//!   within 1e-5, the same `ngram_length`, the same word ids and the same state
//!   (KenLM's state minimization);
//! - with the backoff formula (orders 1-6, and also files whose n-grams lack
//!   their contexts, which KenLM refuses): the same log10 probability within 1e-5.
//!
//! `DASHLM_ORACLE_SEED` and `DASHLM_ORACLE_MODELS` change the seed and the number
//! of random models (defaults: 20240601 and 400 of each kind).

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::kenlm_peer::{kenlm_model, kenlm_state_words};
use dashlm::build::BuildOptions;
use dashlm::reference::RefState;
use dashlm::{LanguageModel, ReferenceModel};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

const UNK: &str = "<unk>";
const BOS: &str = "<s>";
const EOS: &str = "</s>";

fn reference_model(path: &Path) -> ReferenceModel {
    let input = dashlm::arpa::open_input(path).unwrap();
    ReferenceModel::read(input.reader, &path.display().to_string())
        .unwrap_or_else(|e| panic!("dashlm refuses {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// Random models.

#[derive(Clone, Copy, Debug)]
struct Weights {
    prob: f32,
    /// `None`: no backoff field in the file.
    backoff: Option<f32>,
}

/// A generated backoff model, with the ARPA text written from it.
struct RandomModel {
    order: usize,
    /// Every word (`<unk>` included when present), in no particular order.
    words: Vec<String>,
    /// n-grams by order (index 0 = unigrams), words as strings.
    ngrams: Vec<BTreeMap<Vec<String>, Weights>>,
    /// The n-grams of 2+ words that are part of a listed n-gram without being
    /// listed: pruned suffixes (and contexts), which KenLM and dashlm add as blanks.
    implied: HashSet<Vec<String>>,
    text: String,
}

/// A random decimal with at most 4 decimals in `lo..hi`, and its f32 value.
fn decimal(rng: &mut StdRng, lo: f64, hi: f64) -> f32 {
    let scaled = rng.gen_range((lo * 1e4) as i64..(hi * 1e4) as i64);
    format!("{}", scaled as f64 / 1e4).parse().unwrap()
}

fn random_word(rng: &mut StdRng) -> String {
    const PIECES: &[&str] = &[
        "ka", "to", "lu", "mi", "ne", "s", "ra", "qu", "é", "日", "ß", "x-", "'", "0", ".",
    ];
    (0..rng.gen_range(1..4))
        .map(|_| *PIECES.choose(rng).unwrap())
        .collect()
}

impl RandomModel {
    /// `kenlm_valid`: every n-gram's context is present (KenLM requires it) and
    /// `<unk>` is listed. Otherwise contexts may be pruned too and `<unk>` may be missing.
    fn generate(rng: &mut StdRng, order: usize, kenlm_valid: bool) -> RandomModel {
        let mut vocab = Vec::new();
        let mut seen = HashSet::new();
        let size = rng.gen_range(2..30);
        while vocab.len() < size {
            let w = random_word(rng);
            if seen.insert(w.clone()) {
                vocab.push(w);
            }
        }
        let unk_listed = kenlm_valid || rng.gen_bool(0.7);
        // A small corpus with a skewed word distribution, so that n-grams repeat.
        let mut ngrams: Vec<BTreeMap<Vec<String>, Weights>> = vec![BTreeMap::new(); order];
        let blank = Weights {
            prob: 0.0,
            backoff: None,
        };
        for _ in 0..rng.gen_range(3..40) {
            let mut sentence = vec![BOS.to_string()];
            for _ in 0..rng.gen_range(1..10) {
                if unk_listed && rng.gen_bool(0.05) {
                    sentence.push(UNK.to_string());
                } else {
                    let u: f64 = rng.gen();
                    sentence.push(vocab[(u * u * vocab.len() as f64) as usize].clone());
                }
            }
            sentence.push(EOS.to_string());
            for n in 2..=order {
                for window in sentence.windows(n) {
                    ngrams[n - 1].insert(window.to_vec(), blank);
                }
            }
        }
        let mut words: Vec<String> = vocab;
        words.extend([BOS.to_string(), EOS.to_string()]);
        if unk_listed {
            words.push(UNK.to_string());
        }
        for w in &words {
            ngrams[0].insert(vec![w.clone()], blank);
        }
        // Prune from the top: an n-gram that is the context of a longer one stays
        // when KenLM must read the file.
        let prune = rng.gen_range(0.0..0.6);
        for n in (2..=order).rev() {
            let contexts: HashSet<Vec<String>> = if n < order {
                ngrams[n].keys().map(|g| g[..n].to_vec()).collect()
            } else {
                HashSet::new()
            };
            let keys: Vec<_> = ngrams[n - 1].keys().cloned().collect();
            for key in keys {
                if (!kenlm_valid || !contexts.contains(&key)) && rng.gen_bool(prune) {
                    ngrams[n - 1].remove(&key);
                }
            }
        }
        // Weights.
        for n in 1..=order {
            for (key, w) in ngrams[n - 1].iter_mut() {
                w.prob = if n == 1 && key[0] == BOS {
                    -99.0
                } else if rng.gen_bool(0.03) {
                    0.0
                } else {
                    decimal(rng, -4.0, -0.0001)
                };
                w.backoff = if n == order {
                    None
                } else {
                    match rng.gen_range(0..10) {
                        0 | 1 => None,
                        2 => Some(0.0),
                        3 => Some(decimal(rng, 0.0, 0.8)),
                        _ => Some(decimal(rng, -2.0, 0.0)),
                    }
                };
            }
        }
        let mut implied = HashSet::new();
        for table in &ngrams[1..] {
            for key in table.keys() {
                for start in 0..key.len() {
                    for end in start + 2..=key.len() {
                        let part = &key[start..end];
                        if !ngrams[part.len() - 1].contains_key(part) {
                            implied.insert(part.to_vec());
                        }
                    }
                }
            }
        }
        let mut model = RandomModel {
            order,
            words,
            ngrams,
            implied,
            text: String::new(),
        };
        model.text = model.arpa_text(rng);
        model
    }

    fn arpa_text(&self, rng: &mut StdRng) -> String {
        let mut t = String::from("\\data\\\n");
        for n in 1..=self.order {
            writeln!(t, "ngram {n}={}", self.ngrams[n - 1].len()).unwrap();
        }
        for n in 1..=self.order {
            write!(t, "\n\\{n}-grams:\n").unwrap();
            // Shuffled: word ids follow the order of the unigrams, and nothing may
            // depend on the order of the longer n-grams.
            let mut entries: Vec<_> = self.ngrams[n - 1].iter().collect();
            entries.shuffle(rng);
            for (key, w) in entries {
                write!(t, "{}\t{}", w.prob, key.join(" ")).unwrap();
                if let Some(b) = w.backoff {
                    write!(t, "\t{b}").unwrap();
                }
                t.push('\n');
            }
        }
        t.push_str("\n\\end\\\n");
        t
    }

    fn get(&self, key: &[String]) -> Option<&Weights> {
        self.ngrams.get(key.len().checked_sub(1)?)?.get(key)
    }

    /// log10 P(word | history) by the textbook backoff recursion, in f64: the
    /// longest listed n-gram ending in `word`, plus the backoffs of the longer
    /// histories (0 for a history that is not listed).
    fn textbook(&self, history: &[String], word: &str) -> f64 {
        let mut key = history.to_vec();
        key.push(word.to_string());
        let mut backoffs = 0.0;
        for start in 0..key.len() {
            if let Some(w) = self.get(&key[start..]) {
                return backoffs + w.prob as f64;
            }
            if let Some(w) = self.get(&key[start..key.len() - 1]) {
                backoffs += w.backoff.unwrap_or(0.0) as f64;
            }
        }
        assert_eq!(word, UNK);
        backoffs - 100.0 // <unk> not listed: KenLM's default
    }

    /// The textbook value, or `None` when KenLM's value may differ from it: when
    /// the longest n-gram held for `word` is an implied one (a blank) and it or a
    /// shorter implied suffix has a positive estimate (positive backoffs). KenLM
    /// keeps a flag in the sign bit of stored probabilities and reads them back
    /// as -|p|, so there its value depends on which n-grams of the file made the
    /// blanks first; the KenLM comparison covers those.
    fn backoff_formula(&self, history: &[String], word: &str) -> Option<f64> {
        let history = &history[history.len().saturating_sub(self.order - 1)..];
        let mut key = history.to_vec();
        key.push(word.to_string());
        for start in 0..key.len() - 1 {
            let ngram = &key[start..];
            if self.get(ngram).is_some() {
                break;
            }
            if self.implied.contains(ngram) {
                let positive = (0..ngram.len() - 1).any(|s| {
                    let suffix = &ngram[s..];
                    self.implied.contains(suffix)
                        && self.textbook(&suffix[..suffix.len() - 1], word) > 0.0
                });
                if positive {
                    return None;
                }
                break;
            }
        }
        Some(self.textbook(history, word))
    }

    /// A random sentence: known words, OOV words, sometimes `<unk>`, `<s>` or `</s>`.
    fn sentence(&self, rng: &mut StdRng) -> Vec<String> {
        (0..rng.gen_range(0..14))
            .map(|_| match rng.gen_range(0..100) {
                0..=9 => format!("oov{}", rng.gen_range(0..5)),
                10 => UNK.to_string(),
                11 => [BOS, EOS].choose(rng).unwrap().to_string(),
                _ => self.words.choose(rng).unwrap().clone(),
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Comparisons.

#[derive(Default)]
struct Stats {
    tokens: u64,
    max_kenlm_diff: f64,
    max_formula_diff: f64,
    kenlm_exact: u64,
    kenlm_tokens: u64,
    blank_matches: u64,
    /// Tokens not compared with the backoff formula (see `backoff_formula`).
    order_dependent: u64,
}

fn seed() -> u64 {
    std::env::var("DASHLM_ORACLE_SEED").map_or(20240601, |s| s.parse().unwrap())
}

fn models_per_kind() -> usize {
    std::env::var("DASHLM_ORACLE_MODELS").map_or(400, |s| s.parse().unwrap())
}

/// dashlm's model and what it is compared with.
struct Oracle<'a> {
    lm: &'a ReferenceModel,
    kenlm: Option<&'a kenlm::Model>,
    formula: Option<&'a RandomModel>,
    /// Describes the model in failure messages.
    what: &'a dyn Fn() -> String,
}

/// Scores `sentence` with dashlm and, when given, KenLM and the backoff formula;
/// panics on any disagreement. `states` maps context words to the state seen.
fn compare_sentence(
    oracle: &Oracle,
    sentence: &[String],
    bos: bool,
    states: &mut HashMap<Vec<u32>, RefState>,
    stats: &mut Stats,
) {
    let Oracle {
        lm,
        kenlm,
        formula,
        what,
    } = *oracle;
    let mut state = if bos {
        lm.begin_sentence_state()
    } else {
        lm.null_context_state()
    };
    let mut next = state;
    let mut k_state = kenlm.map(|k| {
        if bos {
            k.begin_sentence_state()
        } else {
            k.null_context_state()
        }
    });
    let mut k_next = kenlm.map(|k| k.null_context_state());
    let mut history: Vec<String> = if bos {
        vec![BOS.to_string()]
    } else {
        Vec::new()
    };
    let tokens = sentence.iter().map(String::as_str).chain([EOS]);
    for (i, word) in tokens.enumerate() {
        let id = lm.word_id(word.as_bytes());
        let r = lm.full_score(&state, id, &mut next);
        let p = r.log10_prob as f64;
        let where_ = || {
            format!(
                "{}\nsentence {:?} (bos {bos}), token {i} `{word}`",
                what(),
                sentence
            )
        };
        stats.tokens += 1;

        if let (Some(k), Some(ks), Some(kn)) = (kenlm, k_state.as_mut(), k_next.as_mut()) {
            let kid = k.index(word).unwrap();
            assert_eq!(id, kid, "word id: {}", where_());
            let kr = k.base_full_score(ks, kid, kn).unwrap();
            let diff = (p - kr.log_prob as f64).abs();
            let agree = diff <= 1e-5 || (p == kr.log_prob as f64);
            assert!(
                agree && r.ngram_length == kr.ngram_length,
                "dashlm ({}, {}) vs KenLM ({}, {}): {}",
                r.log10_prob,
                r.ngram_length,
                kr.log_prob,
                kr.ngram_length,
                where_()
            );
            if diff.is_finite() {
                stats.max_kenlm_diff = stats.max_kenlm_diff.max(diff);
            }
            stats.kenlm_exact += u64::from(r.log10_prob.to_bits() == kr.log_prob.to_bits());
            stats.kenlm_tokens += 1;
            let mut k_words = kenlm_state_words(kn);
            if id == 0 && lm.ngrams().unk_added() && next.is_empty() {
                // KenLM gives the <unk> it adds a backoff of +0.0, which it reads
                // as "extends": its state keeps <unk> though no n-gram follows it.
                // dashlm may drop it: the scores of the next words are the same.
                assert_eq!(k_words, [0], "KenLM state after a missing <unk>");
                k_words.clear();
            }
            assert_eq!(
                next.words(),
                k_words.as_slice(),
                "state after the word (newest first): {}",
                where_()
            );
            std::mem::swap(ks, kn);
        }

        if let Some(m) = formula {
            let token = if lm.word_id(word.as_bytes()) == 0 {
                UNK
            } else {
                word
            };
            match m.backoff_formula(&history, token) {
                None => stats.order_dependent += 1,
                Some(want) => {
                    let diff = (p - want).abs();
                    assert!(
                        diff <= 1e-5 * want.abs().max(1.0) || p == want,
                        "dashlm {p} vs backoff formula {want}: {}",
                        where_()
                    );
                    if diff.is_finite() {
                        stats.max_formula_diff = stats.max_formula_diff.max(diff);
                    }
                }
            }
            let longest_listed = (1..=history.len().min(m.order - 1) + 1)
                .rev()
                .find(|&n| {
                    let mut key = history[history.len() + 1 - n..].to_vec();
                    key.push(token.to_string());
                    m.get(&key).is_some()
                })
                .unwrap_or(1);
            stats.blank_matches += u64::from(usize::from(r.ngram_length) > longest_listed);
            history.push(token.to_string());
        }

        // Equal contexts make equal states (KenLM compares only the kept words).
        let seen = states.entry(next.words().to_vec()).or_insert(next);
        assert_eq!(
            *seen,
            next,
            "states with the same words differ: {}",
            where_()
        );
        state = next;
    }
}

fn write_model(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn show_model(seed: u64, m: &RandomModel) -> String {
    if m.text.len() < 6000 {
        format!("seed {seed}, order {}:\n{}", m.order, m.text)
    } else {
        // Too long to show: keep it for a look.
        let path = std::env::temp_dir().join(format!("dashlm-oracle-{seed}.arpa"));
        std::fs::write(&path, &m.text).unwrap();
        format!(
            "seed {seed}, order {}: the model is in {}",
            m.order,
            path.display()
        )
    }
}

#[test]
fn random_models_agree_with_kenlm_and_the_backoff_formula() {
    let dir = tempfile::tempdir().unwrap();
    let mut stats = Stats::default();
    let base = seed();
    for i in 0..models_per_kind() {
        let seed = base.wrapping_add(i as u64);
        let mut rng = StdRng::seed_from_u64(seed);
        let order = 2 + i % 5;
        let m = RandomModel::generate(&mut rng, order, true);
        let path = write_model(dir.path(), &format!("kenlm-{i}.arpa"), &m.text);
        let lm = reference_model(&path);
        let k = kenlm_model(&path);
        assert_eq!(lm.order(), k.order() as usize);
        let what = || show_model(seed, &m);
        let mut states = HashMap::new();
        // The sentence-start state, then random sentences.
        assert_eq!(
            lm.begin_sentence_state().words(),
            kenlm_state_words(&k.begin_sentence_state())
        );
        for _ in 0..150 {
            let sentence = m.sentence(&mut rng);
            let bos = rng.gen_bool(0.8);
            let oracle = Oracle {
                lm: &lm,
                kenlm: Some(&k),
                formula: Some(&m),
                what: &what,
            };
            compare_sentence(&oracle, &sentence, bos, &mut states, &mut stats);
        }
    }
    println!(
        "KenLM: {} tokens, {} bit-identical, max |diff| {:e}; backoff formula: max |diff| {:e}; \
         {} tokens matched a blank (pruned suffix), {} of them with a positive estimate (KenLM only)",
        stats.kenlm_tokens,
        stats.kenlm_exact,
        stats.max_kenlm_diff,
        stats.max_formula_diff,
        stats.blank_matches,
        stats.order_dependent
    );
    assert!(stats.kenlm_tokens > 20_000, "enough tokens compared");
    assert!(stats.blank_matches > 100, "pruned suffixes are exercised");
}

#[test]
fn random_models_kenlm_refuses_agree_with_the_backoff_formula() {
    // Orders 1-6, contexts pruned too, `<unk>` sometimes missing.
    let dir = tempfile::tempdir().unwrap();
    let mut stats = Stats::default();
    let base = seed().wrapping_add(1_000_000);
    let mut unk_missing = 0;
    for i in 0..models_per_kind() {
        let seed = base.wrapping_add(i as u64);
        let mut rng = StdRng::seed_from_u64(seed);
        let order = 1 + i % 6;
        let m = RandomModel::generate(&mut rng, order, false);
        let path = write_model(dir.path(), &format!("dashlm-{i}.arpa"), &m.text);
        let lm = reference_model(&path);
        assert_eq!(lm.order(), order);
        unk_missing += usize::from(lm.ngrams().unk_added());
        let what = || show_model(seed, &m);
        let mut states = HashMap::new();
        for _ in 0..150 {
            let sentence = m.sentence(&mut rng);
            let bos = rng.gen_bool(0.8);
            let oracle = Oracle {
                lm: &lm,
                kenlm: None,
                formula: Some(&m),
                what: &what,
            };
            compare_sentence(&oracle, &sentence, bos, &mut states, &mut stats);
        }
    }
    println!(
        "backoff formula: {} tokens, max |diff| {:e}, {} not compared (positive estimates \
         in blanks), {unk_missing} models without <unk>",
        stats.tokens, stats.max_formula_diff, stats.order_dependent
    );
    assert!(unk_missing > 0);
}

/// Every sentence of up to `max_len` words over `words`, with and without `<s>`.
fn all_sentences(words: &[String], max_len: usize) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    let mut frontier = vec![Vec::new()];
    for _ in 0..max_len {
        let mut longer = Vec::new();
        for s in &frontier {
            for w in words {
                let mut t: Vec<String> = s.clone();
                t.push(w.clone());
                longer.push(t);
            }
        }
        out.extend(longer.iter().cloned());
        frontier = longer;
    }
    out
}

/// Every sentence of up to `max_len` words of `vocab` (but `<unk>` and
/// `<s>`) and `extra_words`.
fn vocab_sentences(
    vocab: &dashlm::vocab::Vocab,
    extra_words: &[&str],
    max_len: usize,
) -> Vec<Vec<String>> {
    let mut words: Vec<String> = vocab
        .words()
        .skip(1)
        .map(|w| String::from_utf8(w.to_vec()).unwrap())
        .filter(|w| w != BOS)
        .collect();
    words.extend(extra_words.iter().map(|w| w.to_string()));
    all_sentences(&words, max_len)
}

fn compare_file_exhaustively(path: &Path, extra_words: &[&str], max_len: usize) -> Stats {
    let lm = reference_model(path);
    let k = kenlm_model(path);
    let mut stats = Stats::default();
    let mut states = HashMap::new();
    let what = || path.display().to_string();
    let oracle = Oracle {
        lm: &lm,
        kenlm: Some(&k),
        formula: None,
        what: &what,
    };
    for sentence in vocab_sentences(lm.vocab(), extra_words, max_len) {
        for bos in [true, false] {
            compare_sentence(&oracle, &sentence, bos, &mut states, &mut stats);
        }
    }
    stats
}

#[test]
fn tiny_arpa_agrees_with_kenlm() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tiny.arpa");
    let stats = compare_file_exhaustively(&path, &["zzz", "<s>"], 4);
    println!(
        "data/tiny.arpa: {} tokens, max |diff| {:e}",
        stats.kenlm_tokens, stats.max_kenlm_diff
    );
    assert_eq!(
        stats.kenlm_exact, stats.kenlm_tokens,
        "bit-identical on tiny.arpa"
    );
}

#[test]
fn fixtures_kenlm_reads_agree_with_kenlm() {
    // The quirk fixtures in KenLM's dialect (tab after the probability, no free
    // text before \data\, contexts present, at most order 6).
    for name in [
        "base.arpa",
        "quirk-crlf.arpa",
        "quirk-missing-backoff.arpa",
        "quirk-inf-and-99.arpa",
        "quirk-scientific.arpa",
        "quirk-missing-unk.arpa",
        "quirk-pruned-suffix.arpa",
        "quirk-positive-backoff.arpa",
        "quirk-negative-zero.arpa",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data/arpa")
            .join(name);
        let stats = compare_file_exhaustively(&path, &["zzz"], 4);
        assert!(stats.kenlm_tokens > 100, "{name}");
        assert_eq!(
            stats.kenlm_exact, stats.kenlm_tokens,
            "bit-identical on {name}"
        );
        compiled_agree_with_kenlm_to_the_bit(&path, &["zzz"], 4);
    }
}

/// `<s>` that no bigram extends, its backoff zero (written `-0`, `0` or not
/// at all): KenLM's begin-sentence state adds it as `-0`, so a word of
/// probability zero right after `<s>` scores `-0`, through the ARPA path and
/// every compiled variant alike.
#[test]
fn bos_without_extensions_adds_minus_zero_as_in_kenlm() {
    let dir = tempfile::tempdir().unwrap();
    for backoff in ["\t-0", "\t0", ""] {
        let text = format!(
            "\\data\\\nngram 1=4\nngram 2=1\n\n\\1-grams:\n-1\t<unk>\n-99\t<s>{backoff}\n\
             0\t</s>\n-1\tw\n\n\\2-grams:\n-0.5\tw w\n\n\\end\\\n"
        );
        let path = write_model(dir.path(), "bos.arpa", &text);
        let stats = compare_file_exhaustively(&path, &["zzz"], 3);
        assert_eq!(stats.kenlm_exact, stats.kenlm_tokens, "backoff `{backoff}`");
        compiled_agree_with_kenlm_to_the_bit(&path, &["zzz"], 3);
        // The case itself: `</s>` (probability 1) right after `<s>`.
        let k = kenlm_model(&path);
        let mut out = k.null_context_state();
        let want = k
            .base_full_score(&k.begin_sentence_state(), k.index(EOS).unwrap(), &mut out)
            .unwrap();
        assert_eq!(want.log_prob.to_bits(), (-0.0f32).to_bits(), "KenLM");
    }
}

/// Compiles `path` with each weight variant (their codebooks are exact on a
/// fixture's few values) and scores every sentence of up to `max_len` of its
/// words and `extra_words`, with and without `<s>`: every token's log10
/// probability has KenLM's bits (the sign of a zero included) and its n-gram
/// length.
fn compiled_agree_with_kenlm_to_the_bit(path: &Path, extra_words: &[&str], max_len: usize) {
    let set =
        dashlm::arpa::NGramSet::read(dashlm::arpa::open_input(path).unwrap().reader, "fixture")
            .unwrap();
    let k = kenlm_model(path);
    let sentences = vocab_sentences(set.vocab(), extra_words, max_len);
    for weights in [
        dashlm::format::WeightFormat::F32,
        dashlm::format::WeightFormat::Q16,
        dashlm::format::WeightFormat::Q8,
    ] {
        let (file, _) = dashlm::build::compile(&set, BuildOptions::new(weights)).unwrap();
        let mut bytes = Vec::new();
        file.write_to(&mut bytes).unwrap();
        let lm = dashlm::Model::from_bytes(bytes).unwrap();
        for sentence in &sentences {
            for bos in [false, true] {
                let (mut state, mut ks) = if bos {
                    (lm.begin_sentence_state(), k.begin_sentence_state())
                } else {
                    (lm.null_context_state(), k.null_context_state())
                };
                let (mut next, mut kn) = (lm.null_context_state(), k.null_context_state());
                for word in sentence.iter().map(String::as_str).chain([EOS]) {
                    let r = lm.full_score(&state, lm.word_id(word.as_bytes()), &mut next);
                    let kr = k
                        .base_full_score(&ks, k.index(word).unwrap(), &mut kn)
                        .unwrap();
                    assert_eq!(
                        (r.log10_prob.to_bits(), r.ngram_length),
                        (kr.log_prob.to_bits(), kr.ngram_length),
                        "{} {weights:?}: `{word}` in {sentence:?} (bos {bos}): dashlm {}, KenLM {}",
                        path.display(),
                        r.log10_prob,
                        kr.log_prob
                    );
                    state = next;
                    std::mem::swap(&mut ks, &mut kn);
                }
            }
        }
    }
}

/// KenLM gives a probability of 0 as -0 (its flags live in the sign bit), and
/// `query` prints `-0`: the ARPA path and the compiled f32 model give the same
/// bits, so their output matches KenLM's to the sign.
#[test]
fn zero_probabilities_score_minus_zero_as_in_kenlm() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\\data\\\nngram 1=4\nngram 2=1\n\n\\1-grams:\n-1.0\t<unk>\n-99\t<s>\t-0.5\n\
                -0.7\t</s>\n0\ta\t0\n\n\\2-grams:\n0\t<s> a\n\n\\end\\\n";
    let path = write_model(dir.path(), "zero.arpa", text);
    let kenlm = kenlm_model(&path);
    let reference = reference_model(&path);
    let set = dashlm::arpa::NGramSet::read(text.as_bytes(), "zero.arpa").unwrap();
    // Every weight variant: the quantized ones through their codebooks.
    let compiled: Vec<_> = [
        dashlm::format::WeightFormat::F32,
        dashlm::format::WeightFormat::Q16,
        dashlm::format::WeightFormat::Q8,
    ]
    .into_iter()
    .map(|weights| {
        let (file, _) = dashlm::build::compile(&set, BuildOptions::new(weights)).unwrap();
        let mut bytes = Vec::new();
        file.write_to(&mut bytes).unwrap();
        (weights, dashlm::Model::from_bytes(bytes).unwrap())
    })
    .collect();
    let id = kenlm.index("a").unwrap();
    for bos in [false, true] {
        let (mut ks, mut kn) = (kenlm.null_context_state(), kenlm.null_context_state());
        if bos {
            ks = kenlm.begin_sentence_state();
        }
        let want = kenlm.base_full_score(&ks, id, &mut kn).unwrap();
        assert_eq!(want.log_prob.to_bits(), (-0.0f32).to_bits());
        let start = |bos| {
            if bos {
                reference.begin_sentence_state()
            } else {
                reference.null_context_state()
            }
        };
        let mut next = reference.null_context_state();
        let got = reference.full_score(&start(bos), id, &mut next);
        assert_eq!(
            got.log10_prob.to_bits(),
            want.log_prob.to_bits(),
            "ARPA path, bos {bos}"
        );
        assert_eq!(got.ngram_length, want.ngram_length);
        for (weights, compiled) in &compiled {
            let state = if bos {
                compiled.begin_sentence_state()
            } else {
                compiled.null_context_state()
            };
            let mut next = compiled.null_context_state();
            let got = compiled.full_score(&state, id, &mut next);
            assert_eq!(
                got.log10_prob.to_bits(),
                want.log_prob.to_bits(),
                "compiled {weights:?}, bos {bos}"
            );
            assert_eq!(got.ngram_length, want.ngram_length);
        }
    }
}
