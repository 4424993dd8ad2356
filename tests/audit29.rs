//! Audit 29: the library API as a decoder uses it. Hand-written tricky models
//! scored by every compiled variant, the reference model and KenLM: scores,
//! n-gram lengths, and states (equal exactly when KenLM's are), through every
//! query form.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::kenlm_peer::{kenlm_model, kenlm_state_words};
use dashlm::arpa::NGramSet;
use dashlm::build::{compile, BuildOptions};
use dashlm::format::WeightFormat;
use dashlm::{FullScore, LanguageModel, Model, ReferenceModel, State, WordId};

const EOS: &str = "</s>";

/// Order 3 with `<unk>` as a context, `</s>` as a context, `<s>` mid-sentence,
/// a word only a unigram, a unigram with a backoff but no extension, a zero
/// backoff, and bigrams (order N-1) with backoffs but no trigram extension.
const TRICKY3: &str = "\\data\\
ngram 1=8
ngram 2=9
ngram 3=3

\\1-grams:
-1.5\t<unk>\t-0.2
-99\t<s>\t-0.5
-1.0\t</s>\t-0.3
-1.2\ta\t-0.4
-1.3\tb\t-0.25
-1.4\tc
-1.1\td\t-0.6
-1.6\te\t0

\\2-grams:
-0.3\t<s> a\t-0.1
-0.4\ta b\t-0.2
-0.5\tb c\t-0.7
-0.6\t</s> a\t-0.15
-0.7\ta <s>
-0.8\t<unk> a\t-0.05
-0.9\tc </s>
-0.2\te a\t0
-0.35\td b\t-0.45

\\3-grams:
-0.11\t<s> a b
-0.12\ta b c
-0.13\t</s> a b

\\end\\
";

/// The same without `<unk>` (dashlm and KenLM add it).
fn tricky3_no_unk() -> String {
    TRICKY3
        .replace("ngram 1=8", "ngram 1=7")
        .replace("ngram 2=9", "ngram 2=8")
        .replace("-1.5\t<unk>\t-0.2\n", "")
        .replace("-0.8\t<unk> a\t-0.05\n", "")
}

const ORDER1: &str = "\\data\\
ngram 1=5

\\1-grams:
-1.5\t<unk>
-99\t<s>
-1.0\t</s>
-0.7\ta
-0.9\tb

\\end\\
";

const ORDER2: &str = "\\data\\
ngram 1=5
ngram 2=5

\\1-grams:
-1.5\t<unk>\t-0.3
-99\t<s>\t-0.5
-1.0\t</s>\t-0.2
-0.7\ta\t-0.1
-0.9\tb

\\2-grams:
-0.2\t<s> a
-0.3\ta b
-0.4\ta a
-0.5\t</s> <s>
-0.6\t<unk> </s>

\\end\\
";

/// Order 6 (KenLM's limit in kenlm-rs): a chain with backoffs at every
/// order, pruned branches, order-5 n-grams with backoffs but no extension.
const ORDER6: &str = "\\data\\
ngram 1=6
ngram 2=7
ngram 3=6
ngram 4=5
ngram 5=4
ngram 6=2

\\1-grams:
-1.5\t<unk>\t-0.3
-99\t<s>\t-0.5
-1.0\t</s>\t-0.2
-0.7\ta\t-0.1
-0.9\tb\t-0.15
-1.1\tc\t-0.12

\\2-grams:
-0.2\t<s> a\t-0.21
-0.3\ta b\t-0.22
-0.4\tb c\t-0.23
-0.5\tc a\t-0.24
-0.6\tb a\t-0.25
-0.61\ta a\t-0.26
-0.62\tc </s>

\\3-grams:
-0.31\t<s> a b\t-0.31
-0.32\ta b c\t-0.32
-0.33\tb c a\t-0.33
-0.34\tc a b\t-0.34
-0.35\tb a a\t-0.35
-0.36\ta a b\t-0.36

\\4-grams:
-0.41\t<s> a b c\t-0.41
-0.42\ta b c a\t-0.42
-0.43\tb c a b\t-0.43
-0.44\tc a b c\t-0.44
-0.45\tb a a b\t-0.45

\\5-grams:
-0.51\t<s> a b c a\t-0.51
-0.52\ta b c a b\t-0.52
-0.53\tb c a b c\t-0.53
-0.54\tb a a b c\t-0.54

\\6-grams:
-0.61\t<s> a b c a b
-0.62\ta b c a b c

\\end\\
";

fn bytes_of(set: &NGramSet, opts: BuildOptions) -> Vec<u8> {
    let (file, _) = compile(set, opts).unwrap();
    let mut bytes = Vec::new();
    file.write_to(&mut bytes).unwrap();
    bytes
}

fn variants(set: &NGramSet) -> Vec<(String, Model<Vec<u8>>)> {
    let mut out = Vec::new();
    for (name, opts) in [
        ("f32", BuildOptions::new(WeightFormat::F32)),
        (
            "f32 raw",
            BuildOptions {
                raw_f32: true,
                ..BuildOptions::new(WeightFormat::F32)
            },
        ),
        (
            "f32 grouped",
            BuildOptions {
                grouped_top: true,
                ..BuildOptions::new(WeightFormat::F32)
            },
        ),
        (
            "f32 raw grouped, load 0.96",
            BuildOptions {
                raw_f32: true,
                grouped_top: true,
                load_factor: 0.96,
                ..BuildOptions::new(WeightFormat::F32)
            },
        ),
        (
            "f32 raw, load 1",
            BuildOptions {
                raw_f32: true,
                load_factor: 1.0,
                ..BuildOptions::new(WeightFormat::F32)
            },
        ),
        ("q16", BuildOptions::new(WeightFormat::Q16)),
        ("q8", BuildOptions::new(WeightFormat::Q8)),
        (
            "q8 grouped",
            BuildOptions {
                grouped_top: true,
                ..BuildOptions::new(WeightFormat::Q8)
            },
        ),
        (
            "q16 grouped, bigram load 0.3",
            BuildOptions {
                grouped_top: true,
                bigram_load_factor: Some(0.3),
                ..BuildOptions::new(WeightFormat::Q16)
            },
        ),
    ] {
        if set.order() == 1 && opts.grouped_top {
            continue;
        }
        out.push((
            name.to_string(),
            Model::from_bytes(bytes_of(set, opts)).unwrap(),
        ));
    }
    out
}

/// Every sentence of up to `max_len` words.
fn all_sentences(words: &[&str], max_len: usize) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    let mut frontier: Vec<Vec<String>> = vec![Vec::new()];
    for _ in 0..max_len {
        let mut longer = Vec::new();
        for s in &frontier {
            for w in words {
                let mut t = s.clone();
                t.push(w.to_string());
                longer.push(t);
            }
        }
        out.extend(longer.iter().cloned());
        frontier = longer;
    }
    out
}

/// Scores every sentence of up to `max_len` of the model's words, `zzz`
/// (OOV) and `<s>`, from `<s>` and from the null context, with every compiled
/// variant against KenLM (bits and lengths; the tiny models' codebooks are
/// exact) and the reference model (states), and checks that compiled states
/// are equal exactly when KenLM's are.
fn check_against_kenlm(text: &str, max_len: usize) {
    check_words(text, None, max_len, &[]);
}

/// [`check_against_kenlm`] over sentences of `words` only, when given.
/// and over `extra` sentences too.
/// Returns the longest match seen.
fn check_words(text: &str, only: Option<&[&str]>, max_len: usize, extra: &[&str]) -> u8 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.arpa");
    std::fs::write(&path, text).unwrap();
    let set = NGramSet::read(text.as_bytes(), "m.arpa").unwrap();
    // KenLM (kenlm-rs) takes orders 2 to 6; others against the reference alone.
    let k = (2..=6).contains(&set.order()).then(|| kenlm_model(&path));
    let unk_added = set.unk_added();
    let reference = ReferenceModel::new(set.clone());
    let mut words: Vec<String> = set
        .vocab()
        .words()
        .skip(1)
        .map(|w| String::from_utf8(w.to_vec()).unwrap())
        .collect();
    words.push("zzz".into());
    words.push("<unk>".into());
    let mut words: Vec<&str> = words.iter().map(String::as_str).collect();
    if let Some(only) = only {
        words = only.to_vec();
    }
    let mut longest = 0;
    let mut sentences = all_sentences(&words, max_len);
    sentences.extend(
        extra
            .iter()
            .map(|s| s.split(' ').map(str::to_string).collect::<Vec<_>>()),
    );
    for (name, lm) in variants(&set) {
        assert_eq!(lm.order(), reference.order(), "{name}");
        assert_eq!(lm.vocab_size(), reference.vocab_size(), "{name}");
        // compiled state -> KenLM words, and back.
        let mut to_kenlm: HashMap<State, Vec<u32>> = HashMap::new();
        let mut from_kenlm: HashMap<Vec<u32>, State> = HashMap::new();
        let mut ref_from_kenlm: HashMap<Vec<u32>, dashlm::reference::RefState> = HashMap::new();
        ref_from_kenlm.insert(
            reference.begin_sentence_state().words().to_vec(),
            reference.begin_sentence_state(),
        );
        ref_from_kenlm.insert(Vec::new(), reference.null_context_state());
        // The start states are states like the others.
        let begin_words = match &k {
            Some(k) => kenlm_state_words(&k.begin_sentence_state()),
            None => reference.begin_sentence_state().words().to_vec(),
        };
        assert_eq!(
            begin_words,
            reference.begin_sentence_state().words(),
            "{name}"
        );
        assert_eq!(
            lm.begin_sentence_state().order(),
            begin_words.len(),
            "{name}"
        );
        to_kenlm.insert(lm.begin_sentence_state(), begin_words.clone());
        from_kenlm.insert(begin_words, lm.begin_sentence_state());
        to_kenlm.insert(lm.null_context_state(), Vec::new());
        from_kenlm.insert(Vec::new(), lm.null_context_state());
        for sentence in &sentences {
            for bos in [true, false] {
                let (mut s, mut rs) = if bos {
                    (lm.begin_sentence_state(), reference.begin_sentence_state())
                } else {
                    (lm.null_context_state(), reference.null_context_state())
                };
                let mut ks = k.as_ref().map(|k| {
                    if bos {
                        k.begin_sentence_state()
                    } else {
                        k.null_context_state()
                    }
                });
                let mut kn = k.as_ref().map(|k| k.null_context_state());
                let (mut n, mut rn) = (s, rs);
                let tokens: Vec<&str> = sentence.iter().map(String::as_str).chain([EOS]).collect();
                for (i, &word) in tokens.iter().enumerate() {
                    let id = lm.word_id(word.as_bytes());
                    assert_eq!(id, reference.word_id(word.as_bytes()));
                    let r = lm.full_score(&s, id, &mut n);
                    let rr = reference.full_score(&rs, id, &mut rn);
                    let what =
                        || format!("{name}: `{word}` (token {i}) in {sentence:?}, bos {bos}");
                    if let (Some(k), Some(ks), Some(kn)) = (&k, &ks, &mut kn) {
                        let kid = k.index(word).unwrap();
                        assert_eq!(id, kid, "{name}: id of {word}");
                        let kr = k.base_full_score(ks, kid, kn).unwrap();
                        assert_eq!(
                            (r.log10_prob.to_bits(), r.ngram_length),
                            (kr.log_prob.to_bits(), kr.ngram_length),
                            "{} vs KenLM {}: {}",
                            r.log10_prob,
                            kr.log_prob,
                            what()
                        );
                    }
                    assert_eq!(r, rr, "vs reference: {}", what());
                    longest = longest.max(r.ngram_length);
                    // Every other form of the same query.
                    let mut n2 = lm.null_context_state();
                    assert_eq!(lm.score(&s, id, &mut n2).to_bits(), r.log10_prob.to_bits());
                    assert_eq!(n2, n, "{}", what());
                    let next = tokens.get(i + 1).map_or(7, |w| lm.word_id(w.as_bytes()));
                    for ahead in [next, 0, 3, WordId::MAX] {
                        let mut n3 = lm.begin_sentence_state();
                        assert_eq!(lm.full_score_ahead(&s, id, ahead, &mut n3), r);
                        assert_eq!(n3, n, "{}", what());
                    }
                    let mut n4 = lm.null_context_state();
                    assert_eq!(lm.full_score_prefetched(&s, id, &mut n4), r);
                    assert_eq!(n4, n, "{}", what());
                    let kw = match &kn {
                        Some(kn) => {
                            let mut kw = kenlm_state_words(kn);
                            if id == 0 && unk_added && rn.is_empty() {
                                // KenLM keeps the `<unk>` it adds (backoff +0).
                                assert_eq!(kw, [0]);
                                kw.clear();
                            }
                            assert_eq!(rn.words(), kw.as_slice(), "reference state: {}", what());
                            kw
                        }
                        None => rn.words().to_vec(),
                    };
                    assert_eq!(n.order(), kw.len(), "state order: {}", what());
                    let seen = to_kenlm.entry(n).or_insert_with(|| kw.clone());
                    assert_eq!(
                        *seen,
                        kw,
                        "equal states, different KenLM states: {}",
                        what()
                    );
                    let seen = from_kenlm.entry(kw.clone()).or_insert(n);
                    assert_eq!(*seen, n, "equal KenLM states, different states: {}", what());
                    assert_eq!(lm.state_key(&n), lm.state_key(seen));
                    // The reference's states too (they hold the backoffs).
                    let seen = ref_from_kenlm.entry(kw.clone()).or_insert(rn);
                    assert_eq!(
                        *seen,
                        rn,
                        "equal KenLM states, different reference states: {}",
                        what()
                    );
                    s = n;
                    rs = rn;
                    std::mem::swap(&mut ks, &mut kn);
                }
                // The sentence forms.
                let ids: Vec<WordId> = sentence.iter().map(|w| lm.word_id(w.as_bytes())).collect();
                for eos in [true, false] {
                    let mut want = 0f32;
                    let mut st = if bos {
                        lm.begin_sentence_state()
                    } else {
                        lm.null_context_state()
                    };
                    let mut nx = st;
                    let mut each = Vec::new();
                    for &w in ids.iter().chain(eos.then_some(&lm.eos_id())) {
                        let r = lm.full_score(&st, w, &mut nx);
                        want += r.log10_prob;
                        each.push(r);
                        st = nx;
                    }
                    let got = lm.score_sentence(&ids, bos, eos);
                    assert_eq!(
                        got.to_bits(),
                        want.to_bits(),
                        "{name}: score_sentence {sentence:?} {bos} {eos}"
                    );
                    if let Some(k) = &k {
                        let kgot = k.score(&sentence.join(" "), bos, eos).unwrap();
                        assert_eq!(
                            got.to_bits(),
                            kgot.to_bits(),
                            "{name}: vs KenLM score {sentence:?} {bos} {eos}: {got} {kgot}"
                        );
                    }
                    let rgot = reference.score_sentence(&ids, bos, eos);
                    assert_eq!(
                        got.to_bits(),
                        rgot.to_bits(),
                        "{name}: vs reference score_sentence"
                    );
                    let start = if bos {
                        lm.begin_sentence_state()
                    } else {
                        lm.null_context_state()
                    };
                    let mut got_each = Vec::new();
                    lm.score_each(start, &ids, eos, |r| got_each.push(r));
                    assert_eq!(got_each, each, "{name}: score_each {sentence:?}");
                }
            }
        }
        // Batches: every state met with every word at once.
        let states: Vec<State> = to_kenlm.keys().copied().collect();
        let vocab: Vec<WordId> = (0..lm.vocab_size() as WordId + 2).collect();
        let mut batch_states = Vec::new();
        let mut batch_words = Vec::new();
        for s in &states {
            for &w in &vocab {
                batch_states.push(*s);
                batch_words.push(w);
            }
        }
        let mut outs = vec![lm.null_context_state(); batch_states.len()];
        let mut scores = vec![FullScore::default(); batch_states.len()];
        lm.full_score_batch(&batch_states, &batch_words, &mut outs, &mut scores);
        for i in 0..batch_states.len() {
            let mut n = lm.null_context_state();
            let r = lm.full_score(&batch_states[i], batch_words[i], &mut n);
            assert_eq!((scores[i], outs[i]), (r, n), "{name}: batch item {i}");
        }
    }
    longest
}

#[test]
fn tricky_trigram_agrees_with_kenlm() {
    check_against_kenlm(TRICKY3, 4);
}

#[test]
fn tricky_trigram_without_unk_agrees_with_kenlm() {
    check_against_kenlm(&tricky3_no_unk(), 4);
}

#[test]
fn unigram_model_agrees_with_the_reference() {
    // KenLM refuses unigram models ("assumes at least a bigram model").
    let set = NGramSet::read(ORDER1.as_bytes(), "m.arpa").unwrap();
    let reference = ReferenceModel::new(set.clone());
    for (name, lm) in variants(&set) {
        assert_eq!(lm.order(), 1);
        assert_eq!(lm.begin_sentence_state(), lm.null_context_state(), "{name}");
        assert_eq!(lm.begin_sentence_state().order(), 0, "{name}");
        for w in [b"a".as_slice(), b"b", b"</s>", b"<s>", b"zzz", b"<unk>"] {
            let id = lm.word_id(w);
            for s in [lm.begin_sentence_state(), lm.null_context_state()] {
                let mut n = lm.begin_sentence_state();
                let mut rn = reference.null_context_state();
                let r = lm.full_score(&s, id, &mut n);
                let rr = reference.full_score(&reference.begin_sentence_state(), id, &mut rn);
                assert_eq!(r, rr, "{name}");
                assert_eq!(r.ngram_length, 1);
                assert_eq!(n, lm.null_context_state(), "{name}");
            }
        }
        let ids = [lm.word_id(b"a"), lm.word_id(b"zzz"), lm.word_id(b"b")];
        for (bos, eos) in [(true, true), (false, true), (true, false), (false, false)] {
            assert_eq!(
                lm.score_sentence(&ids, bos, eos),
                reference.score_sentence(&ids, bos, eos)
            );
        }
    }
}

#[test]
fn srilm_unk_spelling_agrees_with_kenlm() {
    check_against_kenlm(&TRICKY3.replace("<unk>", "<UNK>"), 3);
}

#[test]
fn bigram_model_agrees_with_kenlm() {
    check_against_kenlm(ORDER2, 4);
}

#[test]
fn six_gram_model_agrees_with_kenlm() {
    check_against_kenlm(ORDER6, 5);
}

// ---------------------------------------------------------------------------
// The API's other promises.

/// A larger random trigram model, so that its states hold large slot ids.
fn big_arpa() -> String {
    use std::fmt::Write as _;
    let n = 3000;
    let mut uni = String::new();
    uni += "-2\t<unk>\t-0.1\n-99\t<s>\t-0.2\n-1.5\t</s>\t-0.3\n";
    for i in 0..n {
        writeln!(uni, "-{}.{}\tw{i}\t-0.{}", 2 + i % 3, i % 10, 1 + i % 9).unwrap();
    }
    let mut bi = String::new();
    let mut tri = String::new();
    let (mut nb, mut nt) = (0, 0);
    for i in 0..n {
        for d in [1, 7, 13] {
            let j = (i * 31 + d) % n;
            writeln!(bi, "-0.{}\tw{i} w{j}\t-0.{}", 1 + (i + d) % 9, 1 + i % 7).unwrap();
            nb += 1;
            let k = (j * 17 + d) % n;
            if (i + d) % 3 == 0 && (j * 31 + 1) % n == k {
                writeln!(tri, "-0.{}\tw{i} w{j} w{k}", 1 + i % 8).unwrap();
                nt += 1;
            }
        }
    }
    // Trigrams whose suffix bigram exists: `w{i} w{j} w{(j*31+1)%n}`.
    for i in (0..n).step_by(2) {
        let j = (i * 31 + 1) % n;
        let k = (j * 31 + 1) % n;
        writeln!(tri, "-0.{}\tw{i} w{j} w{k}", 1 + i % 8).unwrap();
        nt += 1;
    }
    let _ = nt;
    let tri_count = tri.lines().count();
    format!(
        "\\data\\\nngram 1={}\nngram 2={nb}\nngram 3={tri_count}\n\n\\1-grams:\n{uni}\n\\2-grams:\n{bi}\n\\3-grams:\n{tri}\n\\end\\\n",
        n + 3
    )
}

#[test]
fn state_is_copy_and_sixty_bytes() {
    fn copy<T: Copy + Eq + std::hash::Hash + Send + Sync + std::fmt::Debug>() {}
    copy::<State>();
    assert_eq!(std::mem::size_of::<State>(), 60);
}

#[test]
fn ids_at_or_past_the_vocabulary_are_unk() {
    for text in [TRICKY3, &tricky3_no_unk(), ORDER2, ORDER6] {
        let set = NGramSet::read(text.as_bytes(), "m.arpa").unwrap();
        let reference = ReferenceModel::new(set.clone());
        for (name, lm) in variants(&set) {
            let v = lm.vocab_size() as WordId;
            for s in [lm.begin_sentence_state(), lm.null_context_state()] {
                let (mut a, mut b) = (s, s);
                let unk = lm.full_score(&s, 0, &mut a);
                for w in [v, v + 1, WordId::MAX - 1, WordId::MAX] {
                    assert_eq!(lm.full_score(&s, w, &mut b), unk, "{name}: id {w}");
                    assert_eq!(a, b, "{name}: state after id {w}");
                }
            }
            let (mut ra, mut rb) = (
                reference.null_context_state(),
                reference.null_context_state(),
            );
            let begin = reference.begin_sentence_state();
            assert_eq!(
                reference.full_score(&begin, 0, &mut ra),
                reference.full_score(&begin, WordId::MAX, &mut rb)
            );
            assert_eq!(ra, rb);
            // Sentences with such ids.
            let ids = [v, lm.word_id(b"a"), WordId::MAX, lm.word_id(b"b")];
            let unks = [0, lm.word_id(b"a"), 0, lm.word_id(b"b")];
            for (bos, eos) in [(true, true), (false, false)] {
                assert_eq!(
                    lm.score_sentence(&ids, bos, eos),
                    lm.score_sentence(&unks, bos, eos),
                    "{name}"
                );
                assert_eq!(
                    lm.score_sentence(&ids, bos, eos),
                    reference.score_sentence(&ids, bos, eos),
                    "{name}"
                );
            }
            assert_eq!(
                lm.score_corpus(&[ids.to_vec()]),
                dashlm::lm::score_corpus_word_by_word(&lm, &[ids.to_vec()])
            );
        }
    }
}

/// Every state a model reaches on short sentences over its words.
fn states_of<M: LanguageModel>(lm: &M, max_len: usize) -> Vec<M::State> {
    let mut seen = vec![lm.begin_sentence_state(), lm.null_context_state()];
    let mut frontier = seen.clone();
    let words: Vec<WordId> = (0..lm.vocab_size().min(40) as WordId).collect();
    for _ in 0..max_len {
        let mut next_frontier = Vec::new();
        for s in &frontier {
            for &w in &words {
                let mut n = *s;
                lm.full_score(s, w, &mut n);
                if !seen.contains(&n) {
                    seen.push(n);
                    next_frontier.push(n);
                }
            }
        }
        frontier = next_frontier;
    }
    seen
}

#[test]
fn states_of_another_model_never_panic() {
    let big = big_arpa();
    let texts = [TRICKY3, ORDER2, ORDER6, &big];
    let mut models = Vec::new();
    for text in texts {
        let set = NGramSet::read(text.as_bytes(), "m.arpa").unwrap();
        models.extend(variants(&set).into_iter().map(|(_, m)| m));
    }
    let mut foreign: Vec<State> = Vec::new();
    for m in &models {
        foreign.extend(states_of(m, 3).into_iter().take(400));
    }
    for m in &models {
        let v = m.vocab_size() as WordId;
        let words = [0, 1, 2, 3, v - 1, v, WordId::MAX];
        for s in &foreign {
            for &w in &words {
                let mut n = *s;
                let r = m.full_score(s, w, &mut n);
                assert!(usize::from(r.ngram_length) <= m.order());
                assert!(n.order() < m.order().max(1));
                m.full_score_ahead(s, w, WordId::MAX, &mut n);
                m.full_score_ahead(s, w, 1, &mut n);
                m.prefetch_query(s, w);
                m.full_score_prefetched(s, w, &mut n);
                // The state it gives back is the model's own: scoring from it is
                // as scoring from the same state reached by the model.
                let mut n2 = n;
                m.full_score(&n, 1, &mut n2);
            }
            let mut outs = vec![*s; words.len()];
            let mut scores = vec![FullScore::default(); words.len()];
            m.full_score_batch(&vec![*s; words.len()], &words, &mut outs, &mut scores);
            let _ = m.state_key(s);
        }
    }
}

#[test]
fn one_model_serves_many_threads() {
    let big = big_arpa();
    let set = NGramSet::read(big.as_bytes(), "big.arpa").unwrap();
    let lm = Model::from_bytes(bytes_of(&set, BuildOptions::default())).unwrap();
    let reference = ReferenceModel::new(set);
    let corpus: Vec<Vec<WordId>> = (0..400u32)
        .map(|i| {
            (0..(i % 17))
                .map(|j| (i * 7919 + j * 104729) % 3010)
                .collect()
        })
        .collect();
    let want = reference.score_corpus(&corpus);
    assert_eq!(lm.score_corpus(&corpus), want);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    (0..5)
                        .map(|_| {
                            (
                                lm.score_corpus(&corpus),
                                dashlm::lm::score_corpus_word_by_word(&lm, &corpus),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (a, b) in h.join().unwrap() {
                assert_eq!(a, want);
                assert_eq!(b, want);
            }
        }
    });
}

#[test]
fn equal_states_hash_equal_and_keys_tell_them_apart() {
    use std::hash::{BuildHasher, RandomState};
    let big = big_arpa();
    for text in [TRICKY3, ORDER6, &big] {
        let set = NGramSet::read(text.as_bytes(), "m.arpa").unwrap();
        for (name, lm) in variants(&set) {
            let states = states_of(&lm, 3);
            let h = RandomState::new();
            let mut keys = HashMap::new();
            for s in &states {
                let key = lm.state_key(s).unwrap();
                if let Some(other) = keys.insert(key, *s) {
                    panic!("{name}: states {s:?} and {other:?} share key {key}");
                }
                let mut copy = *s;
                copy.clone_from(s);
                assert_eq!(h.hash_one(copy), h.hash_one(s));
            }
        }
    }
}

#[test]
fn big_model_states_match_the_reference() {
    // The compiled states of a larger model are equal exactly when the
    // reference's (KenLM's) are.
    let big = big_arpa();
    let set = NGramSet::read(big.as_bytes(), "big.arpa").unwrap();
    let reference = ReferenceModel::new(set.clone());
    for (name, lm) in variants(&set) {
        let mut to_ref: HashMap<State, dashlm::reference::RefState> = HashMap::new();
        let mut from_ref: HashMap<dashlm::reference::RefState, State> = HashMap::new();
        for i in 0..3000u32 {
            let (mut s, mut rs) = (lm.begin_sentence_state(), reference.begin_sentence_state());
            let mut w = i;
            for _ in 0..6 {
                let (mut n, mut rn) = (s, rs);
                let r = lm.full_score(&s, w, &mut n);
                let rr = reference.full_score(&rs, w, &mut rn);
                if name.starts_with("f32") {
                    assert_eq!(r, rr, "{name}");
                } else {
                    assert_eq!(r.ngram_length, rr.ngram_length, "{name}");
                }
                assert_eq!(*to_ref.entry(n).or_insert(rn), rn, "{name}");
                assert_eq!(*from_ref.entry(rn).or_insert(n), n, "{name}");
                s = n;
                rs = rn;
                // Follow the bigram chain most of the time.
                let word = lm.word(w).to_vec();
                let i = std::str::from_utf8(&word)
                    .ok()
                    .and_then(|x| x.strip_prefix('w'))
                    .and_then(|x| x.parse::<u32>().ok());
                w = match i {
                    Some(i) => lm.word_id(format!("w{}", (i * 31 + 1) % 3000).as_bytes()),
                    None => 5,
                };
            }
        }
    }
}

#[test]
fn models_open_from_any_alignment() {
    let set = NGramSet::read(ORDER6.as_bytes(), "m.arpa").unwrap();
    let reference = ReferenceModel::new(set.clone());
    let ids: Vec<WordId> = [b"a".as_slice(), b"b", b"c", b"a", b"b", b"c", b"zzz"]
        .iter()
        .map(|w| reference.word_id(w))
        .collect();
    for opts in [
        BuildOptions::default(),
        BuildOptions::new(WeightFormat::Q8),
        BuildOptions {
            grouped_top: true,
            ..BuildOptions::new(WeightFormat::Q16)
        },
    ] {
        let bytes = bytes_of(&set, opts);
        let want = Model::from_bytes(&bytes[..])
            .unwrap()
            .score_sentence(&ids, true, true);
        for shift in 1..8 {
            let mut buf = vec![0u8; shift];
            buf.extend_from_slice(&bytes);
            let lm = Model::from_bytes(&buf[shift..]).unwrap();
            assert_eq!(lm.score_sentence(&ids, true, true), want, "shift {shift}");
            let boxed: Box<[u8]> = buf[shift..].into();
            let lm = Model::from_bytes(boxed).unwrap();
            assert_eq!(lm.score_sentence(&ids, true, true), want, "shift {shift}");
        }
    }
}

/// The README's "Library" example, as written (paths in a temporary directory).
#[test]
fn readme_library_example() -> Result<(), Box<dyn std::error::Error>> {
    use dashlm::{arpa::NGramSet, build, LanguageModel, Model};
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("tiny.dlm");
    let set = NGramSet::read(&include_bytes!("../data/tiny.arpa")[..], "tiny.arpa")?;
    build::write_model(&set, build::BuildOptions::default(), &out)?;
    let lm = Model::open(&out)?;
    let state = lm.begin_sentence_state();
    let mut next = state;
    let the = lm.vocab().id(b"the");
    let log10 = lm.score(&state, the, &mut next);
    assert_eq!(log10, -0.4);
    let words = lm.vocab().to_vocab();
    assert_eq!(words.id(b"the"), the);
    let loaded = Model::load(&out)?;
    assert_eq!(loaded.score(&state, the, &mut next), log10);
    for w in lm.vocab().to_vocab().words() {
        assert_eq!(words.id(w), lm.word_id(w));
    }
    Ok(())
}

#[test]
fn every_word_lookup_form_gives_the_same_ids() {
    let big = big_arpa();
    let upper = TRICKY3.replace("<unk>", "<UNK>");
    for text in [TRICKY3, &tricky3_no_unk(), &upper, ORDER1, &big] {
        let set = NGramSet::read(text.as_bytes(), "m.arpa").unwrap();
        let reference = ReferenceModel::new(set.clone());
        let lm = Model::from_bytes(bytes_of(&set, BuildOptions::default())).unwrap();
        let copy = lm.vocab().to_vocab();
        let mut probes: Vec<Vec<u8>> = (0..lm.vocab_size() as WordId)
            .map(|id| lm.word(id).to_vec())
            .collect();
        for extra in [
            &b""[..],
            b"<unk>",
            b"<UNK>",
            b"<Unk>",
            b"<s> ",
            b" <s>",
            b"w1 ",
            b"W1",
            b"w",
            b"w30000",
            b"a\0",
            b"\xff\xfe",
            &[b'x'; 1000],
        ] {
            probes.push(extra.to_vec());
        }
        let refs: Vec<&[u8]> = probes.iter().map(Vec::as_slice).collect();
        let mut batch = vec![WordId::MAX; refs.len()];
        lm.word_ids(&refs, &mut batch);
        let mut ref_batch = vec![WordId::MAX; refs.len()];
        reference.word_ids(&refs, &mut ref_batch);
        for (i, w) in refs.iter().enumerate() {
            let id = lm.word_id(w);
            let show = String::from_utf8_lossy(w);
            assert_eq!(id, reference.word_id(w), "`{show}`");
            assert_eq!(id, copy.id(w), "`{show}`: to_vocab");
            assert_eq!(id, batch[i], "`{show}`: word_ids");
            assert_eq!(id, ref_batch[i], "`{show}`: reference word_ids");
            if i < lm.vocab_size() && i != 0 {
                assert_eq!(id as usize, i, "`{show}`");
                assert_eq!(lm.word(id), reference.vocab().word(id));
            }
        }
        assert_eq!(lm.word(0), reference.vocab().word(0));
        assert_eq!(lm.word_id(b"<s>"), lm.bos_id());
        assert_eq!(lm.word_id(b"</s>"), lm.eos_id());
        assert_eq!(
            (lm.bos_id(), lm.eos_id()),
            (reference.bos_id(), reference.eos_id())
        );
    }
}

/// An order-`n` model of every n-gram of a few sentences (so KenLM takes
/// it), a backoff on each n-gram below order `n` that does not end in `</s>`,
/// then the n-grams `drop` picks removed (pruned suffixes and contexts).
fn chain_model(n: usize, drop: impl Fn(&[&str]) -> bool) -> String {
    use std::collections::BTreeMap;
    let corpus = [
        "<s> a b c a b c a b c a </s>",
        "<s> b a c c a b </s>",
        "<s> c c c c c c c c c </s>",
    ];
    let mut grams: Vec<BTreeMap<Vec<&str>, ()>> = vec![BTreeMap::new(); n];
    for sentence in corpus {
        let w: Vec<&str> = sentence.split(' ').collect();
        for len in 1..=n {
            for g in w.windows(len) {
                if len == 1 || !drop(g) {
                    grams[len - 1].insert(g.to_vec(), ());
                }
            }
        }
    }
    grams[0].insert(vec!["<unk>"], ());
    let mut text = String::from("\\data\\\n");
    for (i, g) in grams.iter().enumerate() {
        text += &format!("ngram {}={}\n", i + 1, g.len());
    }
    for (i, g) in grams.iter().enumerate() {
        text += &format!("\n\\{}-grams:\n", i + 1);
        for (k, key) in g.keys().enumerate() {
            let p = if key == &["<s>"] {
                "-99".to_string()
            } else {
                format!("-{}.{:02}", 1 + (k + i) % 2, (k * 37 + i * 11) % 100)
            };
            let line = key.join(" ");
            if i + 1 < n && key.last() != Some(&"</s>") {
                let b = (k * 13 + i * 7) % 40;
                text += &format!("{p}\t{line}\t-0.{b:02}\n");
            } else {
                text += &format!("{p}\t{line}\n");
            }
        }
    }
    text + "\n\\end\\\n"
}

#[test]
fn chain_models_of_every_order_agree() {
    let words: &[&str] = &["a", "b", "c", "zzz", "</s>"];
    // The corpus' sentences (every order's n-grams matched), and with a
    // word changed at each place.
    let mut long = vec![
        "a b c a b c a b c a".to_string(),
        "b a c c a b".to_string(),
        "c c c c c c c c c c c".to_string(),
        "a b c a b c a b c a b c a b c".to_string(),
    ];
    for i in 0..10 {
        let mut w: Vec<&str> = long[0].split(' ').collect();
        w[i] = ["zzz", "c", "</s>", "<s>"][i % 4];
        long.push(w.join(" "));
    }
    let long: Vec<&str> = long.iter().map(String::as_str).collect();
    for n in 2..=dashlm::MAX_ORDER {
        let full = chain_model(n, |_| false);
        assert_eq!(check_words(&full, Some(words), n.min(5), &long), n as u8);
        // Pruned: every n-gram starting with `b c` above the bigrams.
        let pruned = chain_model(n, |g| g.len() > 2 && g[0] == "b" && g[1] == "c");
        check_words(&pruned, Some(words), n.min(5), &long);
    }
}

#[test]
fn models_with_empty_orders_agree_with_kenlm() {
    // An order with no n-grams at all: the highest (a grouped one empty too),
    // and every order above the unigrams.
    let no_trigrams =
        "\\data\\\nngram 1=5\nngram 2=3\nngram 3=0\n\n\\1-grams:\n-1.5\t<unk>\t-0.3\n\
        -99\t<s>\t-0.5\n-1.0\t</s>\n-0.7\ta\t-0.1\n-0.9\tb\t-0.2\n\n\\2-grams:\n-0.2\t<s> a\t-0.3\n\
        -0.3\ta b\t-0.4\n-0.4\tb a\n\n\\3-grams:\n\n\\end\\\n";
    check_against_kenlm(no_trigrams, 4);
    let no_bigrams = "\\data\\\nngram 1=5\nngram 2=0\n\n\\1-grams:\n-1.5\t<unk>\n\
        -99\t<s>\t-0.5\n-1.0\t</s>\n-0.7\ta\t-0.1\n-0.9\tb\n\n\\2-grams:\n\n\\end\\\n";
    check_against_kenlm(no_bigrams, 4);
    let nothing_above = "\\data\\\nngram 1=4\nngram 2=0\nngram 3=0\n\n\\1-grams:\n-1.5\t<unk>\n\
        -99\t<s>\n-1.0\t</s>\n-0.7\ta\n\n\\2-grams:\n\n\\3-grams:\n\n\\end\\\n";
    check_against_kenlm(nothing_above, 4);
    // No word but the sentence markers (and the `<unk>` added).
    let markers = "\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-99\t<s>\t-0.5\n-0.1\t</s>\n\n\
        \\2-grams:\n-0.01\t<s> </s>\n\n\\end\\\n";
    check_against_kenlm(markers, 3);
}

/// A large model (`DASHLM_AUDIT_ARPA`, with sentences in
/// `DASHLM_AUDIT_TEXT`, e.g. from `examples/gen_arpa.rs`): every variant
/// against KenLM and the reference, states included. Skipped without them.
#[test]
fn large_model_from_the_environment() {
    let (Ok(arpa), Ok(text)) = (
        std::env::var("DASHLM_AUDIT_ARPA"),
        std::env::var("DASHLM_AUDIT_TEXT"),
    ) else {
        return;
    };
    let k = kenlm_model(Path::new(&arpa));
    let input = dashlm::arpa::open_input(Path::new(&arpa)).unwrap();
    let set = NGramSet::read(input.reader, &arpa).unwrap();
    let reference = ReferenceModel::new(set.clone());
    let text = std::fs::read_to_string(text).unwrap();
    let sentences: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    for (name, lm) in variants(&set) {
        let exact = name.starts_with("f32");
        let mut to_ref: HashMap<State, Vec<WordId>> = HashMap::new();
        let mut from_ref: HashMap<Vec<WordId>, State> = HashMap::new();
        let (mut max_diff, mut tokens) = (0f32, 0);
        for sentence in &sentences {
            let (mut s, mut rs, mut ks) = (
                lm.begin_sentence_state(),
                reference.begin_sentence_state(),
                k.begin_sentence_state(),
            );
            let (mut n, mut rn, mut kn) = (s, rs, k.null_context_state());
            for word in sentence.iter().copied().chain([EOS]) {
                let id = lm.word_id(word.as_bytes());
                let r = lm.full_score(&s, id, &mut n);
                let rr = reference.full_score(&rs, id, &mut rn);
                let kr = k
                    .base_full_score(&ks, k.index(word).unwrap(), &mut kn)
                    .unwrap();
                assert_eq!(
                    r.ngram_length, kr.ngram_length,
                    "{name}: {word} in {sentence:?}"
                );
                if exact {
                    assert_eq!(r, rr, "{name}");
                    assert!((r.log10_prob - kr.log_prob).abs() <= 1e-5, "{name}");
                }
                max_diff = max_diff.max((r.log10_prob - rr.log10_prob).abs());
                tokens += 1;
                let words = rn.words().to_vec();
                assert_eq!(
                    *to_ref.entry(n).or_insert_with(|| words.clone()),
                    words,
                    "{name}"
                );
                assert_eq!(*from_ref.entry(words).or_insert(n), n, "{name}");
                s = n;
                rs = rn;
                std::mem::swap(&mut ks, &mut kn);
            }
        }
        println!(
            "{name}: {tokens} tokens, {} states, max |diff| {max_diff}",
            to_ref.len()
        );
    }
}

#[test]
fn reference_states_of_another_model_never_panic() {
    let big = big_arpa();
    let eight = chain_model(8, |_| false);
    let texts = [TRICKY3, ORDER1, ORDER2, ORDER6, &big, &eight];
    let models: Vec<ReferenceModel> = texts
        .iter()
        .map(|t| ReferenceModel::read(t.as_bytes(), "m.arpa").unwrap())
        .collect();
    let foreign: Vec<_> = models
        .iter()
        .flat_map(|m| states_of(m, 3).into_iter().take(300))
        .collect();
    for m in &models {
        let v = m.vocab_size() as WordId;
        for s in &foreign {
            for w in [0, 1, 2, 3, v - 1, v, WordId::MAX] {
                let mut n = *s;
                let r = m.full_score(s, w, &mut n);
                assert!(usize::from(r.ngram_length) <= m.order());
                assert!(n.len() < m.order().max(1));
            }
        }
    }
}

/// The models a decoder gets from `build-lm` (`build::build_file`, the
/// streaming builder) are those `compile` makes, on the tricky models too.
#[test]
fn build_file_writes_what_compile_makes() {
    let dir = tempfile::tempdir().unwrap();
    let no_unk = tricky3_no_unk();
    let upper = TRICKY3.replace("<unk>", "<UNK>");
    let eight = chain_model(8, |_| false);
    let pruned = chain_model(7, |g| g.len() > 2 && g[0] == "b" && g[1] == "c");
    let empty_top = "\\data\\\nngram 1=5\nngram 2=3\nngram 3=0\n\n\\1-grams:\n-1.5\t<unk>\t-0.3\n\
        -99\t<s>\t-0.5\n-1.0\t</s>\n-0.7\ta\t-0.1\n-0.9\tb\t-0.2\n\n\\2-grams:\n-0.2\t<s> a\t-0.3\n\
        -0.3\ta b\t-0.4\n-0.4\tb a\n\n\\3-grams:\n\n\\end\\\n";
    let big = big_arpa();
    for (i, text) in [
        TRICKY3, &no_unk, &upper, ORDER1, ORDER2, ORDER6, &eight, &pruned, empty_top, &big,
    ]
    .iter()
    .enumerate()
    {
        let input = dir.path().join(format!("m{i}.arpa"));
        std::fs::write(&input, text).unwrap();
        let set = NGramSet::read(text.as_bytes(), "m.arpa").unwrap();
        for opts in [
            BuildOptions::default(),
            BuildOptions::new(WeightFormat::Q8),
            BuildOptions::new(WeightFormat::Q16),
            BuildOptions {
                grouped_top: true,
                ..BuildOptions::new(WeightFormat::Q8)
            },
            BuildOptions {
                raw_f32: true,
                ..BuildOptions::default()
            },
        ] {
            if set.order() == 1 && opts.grouped_top {
                continue;
            }
            let out = dir.path().join(format!("m{i}.dlm"));
            dashlm::build::build_file(&input, opts, &out, |_, _, _| {}).unwrap();
            let written = std::fs::read(&out).unwrap();
            assert!(
                written == bytes_of(&set, opts),
                "model {i}, {opts:?}: build_file and compile differ"
            );
        }
    }
}

/// Random models (`common::random_arpa`: pruned suffixes, `-inf`, `<unk>`
/// sometimes missing) of every order: compiled states equal exactly when
/// the reference's are, in every variant, and the scores agree.
#[test]
fn random_models_states_match_the_reference() {
    use rand::{Rng, SeedableRng};
    for seed in 0..120u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let order = 1 + (seed as usize) % dashlm::MAX_ORDER;
        let vocab = rng.gen_range(2..60);
        let text = common::random_arpa(&mut rng, order, vocab);
        let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
        let reference = ReferenceModel::new(set.clone());
        for (name, lm) in variants(&set) {
            let mut to_ref: HashMap<State, dashlm::reference::RefState> = HashMap::new();
            let mut from_ref: HashMap<dashlm::reference::RefState, State> = HashMap::new();
            for pair in [
                (lm.begin_sentence_state(), reference.begin_sentence_state()),
                (lm.null_context_state(), reference.null_context_state()),
            ] {
                to_ref.insert(pair.0, pair.1);
                from_ref.insert(pair.1, pair.0);
            }
            let mut srng = rand::rngs::StdRng::seed_from_u64(seed);
            for _ in 0..200 {
                let words = common::random_sentence(&mut srng, vocab);
                let bos = srng.gen_bool(0.8);
                let (mut s, mut rs) = if bos {
                    (lm.begin_sentence_state(), reference.begin_sentence_state())
                } else {
                    (lm.null_context_state(), reference.null_context_state())
                };
                for w in words.iter().map(Vec::as_slice).chain([&b"</s>"[..]]) {
                    let id = lm.word_id(w);
                    let (mut n, mut rn) = (s, rs);
                    let r = lm.full_score(&s, id, &mut n);
                    let rr = reference.full_score(&rs, id, &mut rn);
                    let what = || format!("seed {seed}, order {order}, {name}");
                    assert_eq!(r.ngram_length, rr.ngram_length, "{}", what());
                    if name.starts_with("f32") {
                        assert_eq!(
                            r.log10_prob.to_bits(),
                            rr.log10_prob.to_bits(),
                            "{}",
                            what()
                        );
                    }
                    assert_eq!(n.order(), rn.len(), "{}", what());
                    assert_eq!(*to_ref.entry(n).or_insert(rn), rn, "{}", what());
                    assert_eq!(*from_ref.entry(rn).or_insert(n), n, "{}", what());
                    s = n;
                    rs = rn;
                }
            }
        }
    }
}
