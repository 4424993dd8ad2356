//! The rescorer: agreement with direct scoring by the reference model, prefix
//! sharing through batched queries, parallel = sequential, stable ties, MBR and
//! tuning.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use dashlm::rescore::wer::nbest_wer;
use dashlm::rescore::{
    check_overflow, mbr, read_lists, score_lists, score_lists_sequential, tune, ExtraWeights,
    Format, HypFeatures, Hypothesis, LmScorer, NbestList, Rescored, Rescorer, TuneOptions, TuneSet,
    Weights, Words, GROUP_LISTS, LN_10,
};
use dashlm::{FullScore, LanguageModel, ReferenceModel, WordId};
use rand::{Rng, SeedableRng};

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(p)
}

fn model() -> ReferenceModel {
    let text = fs::read(data("nbest/sample-3gram.arpa")).unwrap();
    ReferenceModel::read(&text[..], "sample-3gram.arpa").unwrap()
}

fn sample() -> Vec<NbestList> {
    read_lists(&data("nbest/sample.jsonl"), Format::Jsonl).unwrap()
}

fn ids<M: LanguageModel>(m: &M, h: &Hypothesis) -> Vec<WordId> {
    h.words.iter().map(|w| m.word_id(w.as_bytes())).collect()
}

/// Random lists over the sample vocabulary with shared prefixes, plus OOVs.
fn random_lists(n: usize, seed: u64) -> Vec<NbestList> {
    let mut vocab = sample_words(usize::MAX);
    vocab.push("zzz-oov".to_string());
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let base: Vec<String> = (0..rng.gen_range(0..12))
                .map(|_| vocab[rng.gen_range(0..vocab.len())].clone())
                .collect();
            let mut list = NbestList::new(&format!("r{i}"));
            for _ in 0..rng.gen_range(0..30) {
                let keep = rng.gen_range(0..=base.len());
                let mut words = base[..keep].to_vec();
                for _ in 0..rng.gen_range(0..4) {
                    words.push(vocab[rng.gen_range(0..vocab.len())].clone());
                }
                // Coarse scores make exact ties common.
                let h = Hypothesis::new(&words.join(" "), -f64::from(rng.gen_range(0..20u32)))
                    .with_lm(-f64::from(rng.gen_range(0..5u32)));
                list.hyps.push(h);
            }
            list
        })
        .collect()
}

#[test]
fn scores_equal_score_sentence_of_the_reference_model() {
    let lm = model();
    let mut lists = sample();
    lists.extend(random_lists(50, 1));
    let mut scorer = LmScorer::new(&lm);
    for list in &lists {
        let scores = scorer.score_list(list);
        for (h, &s) in list.hyps.iter().zip(&scores) {
            let direct = f64::from(lm.score_sentence(&ids(&lm, h), true, true)) * LN_10;
            assert_eq!(s, direct, "{}: {:?}", list.id, h.words);
        }
    }
}

/// The first `n` words of the sample lists' hypotheses.
fn sample_words(n: usize) -> Vec<String> {
    sample()
        .iter()
        .flat_map(|l| l.hyps.iter().flat_map(|h| h.words.to_strings()))
        .take(n)
        .collect()
}

/// Hypotheses whose texts share bytes but not words (a word that is a prefix
/// of the other's, one word holding a space against two words, empty words):
/// the shared prefix is found by comparing bytes and word ends, and must stop
/// at the first word that differs.
#[test]
fn word_boundaries_decide_the_shared_prefix() {
    let lm = model();
    let vocab = sample_words(6);
    let (a, b) = (&vocab[0], &vocab[1]);
    let hyps: Vec<Words> = vec![
        Words::split(&format!("{a} {b}")),
        [format!("{a} {b}")].into_iter().collect(),
        Words::split(&format!("{a} {b}x")),
        Words::split(&format!("{a} {b}")),
        Words::split(&format!("{a}{b}")),
        ["", a.as_str(), b.as_str()].into_iter().collect(),
        [a.as_str(), "", b.as_str()].into_iter().collect(),
        [a.as_str(), b.as_str(), ""].into_iter().collect(),
        Words::split(&format!("{a} {b} {a} {b} {a} {b}")),
        Words::split(&format!("{a} {b} {a} {b} {a}")),
        Words::split(&format!("{a} {b} {a} {b} {a} {b}{a}")),
        Words::new(),
        Words::split(a),
    ];
    let mut list = NbestList::new("u");
    for w in &hyps {
        list.hyps.push(Hypothesis {
            words: w.clone(),
            ..Hypothesis::default()
        });
    }
    for lists in [vec![list.clone()], vec![list.clone(), list.clone()]] {
        let (scores, _) = score_lists_sequential(&lm, &lists);
        for (l, s) in lists.iter().zip(&scores) {
            for (h, &s) in l.hyps.iter().zip(s) {
                let direct = f64::from(lm.score_sentence(&ids(&lm, h), true, true)) * LN_10;
                assert_eq!(s, direct, "{:?}", h.words);
            }
        }
    }
}

/// `h`'s score word by word from `<s>`, summed in `f32`, `</s>` included.
fn word_by_word<M: LanguageModel>(m: &M, h: &Hypothesis) -> f64 {
    let mut state = m.begin_sentence_state();
    let mut next = state;
    let mut total = 0.0f32;
    for w in ids(m, h).into_iter().chain([m.eos_id()]) {
        total += m.score(&state, w, &mut next);
        state = next;
    }
    f64::from(total) * LN_10
}

#[test]
fn shared_prefixes_in_any_order_score_as_word_by_word() {
    let lm = model();
    let mut vocab = sample_words(6);
    vocab.push("zzz-oov-longer-than-sixteen-bytes".to_string());
    // Prefixes of one another, duplicates, empty hypotheses, and words that
    // differ only deep into a hypothesis.
    let mut texts: Vec<String> = vec![String::new(), String::new()];
    for len in 0..=5 {
        for variant in 0..3 {
            let words: Vec<&str> = (0..len)
                .map(|k| {
                    vocab[(k * variant + k / 2 + variant * (k == len - 1) as usize) % vocab.len()]
                        .as_str()
                })
                .collect();
            texts.push(words.join(" "));
            texts.push(words.join(" "));
        }
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut lists = Vec::new();
    for round in 0..20 {
        let mut order = texts.clone();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.gen_range(0..=i));
        }
        order.truncate(order.len() - round % 7);
        let hyps = order.iter().map(|t| Hypothesis::new(t, 0.0)).collect();
        lists.push(NbestList {
            hyps,
            ..NbestList::new(&format!("p{round}"))
        });
    }
    let direct: Vec<Vec<f64>> = lists
        .iter()
        .map(|l| l.hyps.iter().map(|h| word_by_word(&lm, h)).collect())
        .collect();
    let mut scorer = LmScorer::new(&lm);
    for (list, want) in lists.iter().zip(&direct) {
        assert_eq!(&scorer.score_list(list), want, "{}", list.id);
    }
    assert_eq!(score_lists_sequential(&lm, &lists).0, direct);
    assert_eq!(score_lists(&lm, &lists, |_| {}).0, direct);
}

/// Lists whose hypotheses are edits of one sentence (a word replaced,
/// inserted or removed at any place), so that consecutive hypotheses share
/// both leading and trailing words, with words that are suffixes or prefixes
/// of others and empty words: the scores are those of scoring word by word,
/// with the reference model and with the compiled one (whose states the
/// rescorer numbers by their keys).
#[test]
fn shared_suffixes_score_as_word_by_word() {
    let reference = model();
    let text = fs::read(data("nbest/sample-3gram.arpa")).unwrap();
    let set = dashlm::arpa::NGramSet::read(&text[..], "sample-3gram.arpa").unwrap();
    let compiled = common::compiled(&set, dashlm::format::WeightFormat::F32);
    let mut vocab = sample_words(40);
    for w in vocab.clone().iter().take(5) {
        vocab.push(format!("x{w}")); // a word ending like another
        vocab.push(w[..w.len() - 1].to_string()); // and one its prefix
    }
    vocab.push(String::new());
    vocab.push("zzz-oov-longer-than-sixteen-bytes".to_string());
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let mut lists = Vec::new();
    for i in 0..40 {
        let pick = |rng: &mut rand::rngs::StdRng| vocab[rng.gen_range(0..vocab.len())].clone();
        let base: Vec<String> = (0..rng.gen_range(0..10)).map(|_| pick(&mut rng)).collect();
        let mut list = NbestList::new(&format!("s{i}"));
        let mut words = base.clone();
        for _ in 0..rng.gen_range(1..25) {
            if rng.gen_range(0..4) == 0 {
                words = base.clone();
            }
            let at = rng.gen_range(0..=words.len());
            match rng.gen_range(0..3) {
                0 if at < words.len() => words[at] = pick(&mut rng),
                1 if at < words.len() => {
                    words.remove(at);
                }
                _ => words.insert(at, pick(&mut rng)),
            }
            list.hyps.push(Hypothesis {
                words: words.iter().collect(),
                ..Hypothesis::default()
            });
        }
        lists.push(list);
    }
    fn check<M: LanguageModel>(m: &M, lists: &[NbestList]) {
        let direct: Vec<Vec<f64>> = lists
            .iter()
            .map(|l| l.hyps.iter().map(|h| word_by_word(m, h)).collect())
            .collect();
        assert_eq!(score_lists_sequential(m, lists).0, direct);
        assert_eq!(score_lists(m, lists, |_| {}).0, direct);
        let mut scorer = LmScorer::new(m);
        for (list, want) in lists.iter().zip(&direct) {
            assert_eq!(&scorer.score_list(list), want, "{}", list.id);
        }
    }
    check(&reference, &lists);
    check(&compiled, &lists);
}

/// The [`LanguageModel`] methods a wrapper model takes from its `inner`
/// model unchanged.
macro_rules! forward_to_inner {
    () => {
        fn order(&self) -> usize {
            self.inner.order()
        }
        fn word_id(&self, word: &[u8]) -> WordId {
            self.inner.word_id(word)
        }
        fn vocab_size(&self) -> usize {
            self.inner.vocab_size()
        }
        fn bos_id(&self) -> WordId {
            self.inner.bos_id()
        }
        fn eos_id(&self) -> WordId {
            self.inner.eos_id()
        }
        fn begin_sentence_state(&self) -> Self::State {
            self.inner.begin_sentence_state()
        }
        fn null_context_state(&self) -> Self::State {
            self.inner.null_context_state()
        }
    };
}

/// A model whose state keys are another model's, each XOR-ed with `mask`: as
/// good keys (distinct exactly when the states are), but any of them can be
/// `u64::MAX`, the memo's empty-slot mark.
struct Rekeyed<'a, M> {
    inner: &'a M,
    mask: u64,
}

impl<M: LanguageModel> LanguageModel for Rekeyed<'_, M> {
    type State = M::State;
    forward_to_inner!();
    fn full_score(&self, state: &Self::State, word: WordId, out: &mut Self::State) -> FullScore {
        self.inner.full_score(state, word, out)
    }
    fn state_key(&self, state: &Self::State) -> Option<u64> {
        self.inner.state_key(state).map(|k| k ^ self.mask)
    }
}

/// A model may give a state the key `u64::MAX` (any number identifies a
/// state, as `LanguageModel::state_key` documents): the rescorer, whose memo
/// marks empty slots with that value, numbers such a state by the state itself,
/// and scores as word by word whichever state has that key (`<s>`, or one
/// reached after some words).
#[test]
fn a_state_keyed_u64_max_scores_as_word_by_word() {
    let text = fs::read(data("nbest/sample-3gram.arpa")).unwrap();
    let set = dashlm::arpa::NGramSet::read(&text[..], "sample-3gram.arpa").unwrap();
    let compiled = common::compiled(&set, dashlm::format::WeightFormat::F32);
    let mut lists = sample();
    lists.extend(random_lists(20, 13));
    // The states the lists reach, each made the one keyed u64::MAX in turn.
    let mut states = vec![compiled.begin_sentence_state()];
    for h in lists.iter().flat_map(|l| &l.hyps).take(5) {
        let mut state = compiled.begin_sentence_state();
        let mut next = state;
        for w in ids(&compiled, h) {
            compiled.full_score(&state, w, &mut next);
            state = next;
            states.push(state);
        }
    }
    assert!(states.len() > 5);
    for state in states {
        let mask = compiled.state_key(&state).unwrap() ^ u64::MAX;
        let lm = Rekeyed {
            inner: &compiled,
            mask,
        };
        assert_eq!(lm.state_key(&state), Some(u64::MAX));
        let direct: Vec<Vec<f64>> = lists
            .iter()
            .map(|l| l.hyps.iter().map(|h| word_by_word(&lm, h)).collect())
            .collect();
        assert_eq!(score_lists_sequential(&lm, &lists).0, direct, "{state:?}");
    }
}

#[test]
fn groups_of_lists_and_large_lists_score_as_direct_computation() {
    let lm = model();
    let mut lists = random_lists(60, 11);
    // One large list (thousands of hypotheses: the memo grows many times) and
    // lists with empty hypotheses or none at all.
    let mut big = NbestList::new("big");
    for l in random_lists(200, 12) {
        big.hyps.extend(l.hyps);
    }
    lists.push(big);
    lists.push(NbestList::new("empty"));
    lists.push(NbestList::new("blank").with_hyp(Hypothesis::new("", 0.0)));
    let direct: Vec<Vec<f64>> = lists
        .iter()
        .map(|l| {
            l.hyps
                .iter()
                .map(|h| f64::from(lm.score_sentence(&ids(&lm, h), true, true)) * LN_10)
                .collect()
        })
        .collect();
    for size in [1, 2, 7, 64] {
        let mut scorer = LmScorer::new(&lm);
        let mut out = Vec::new();
        for group in lists.chunks(size) {
            scorer.score_lists_into(group, &mut out);
        }
        assert_eq!(out, direct, "groups of {size}");
    }
    assert_eq!(score_lists_sequential(&lm, &lists).0, direct);
    assert_eq!(score_lists(&lm, &lists, |_| {}).0, direct);
}

#[test]
fn end_of_sentence_is_scored_with_begin_of_sentence_context() {
    let text = fs::read(data("tiny.arpa")).unwrap();
    let lm = ReferenceModel::read(&text[..], "tiny.arpa").unwrap();
    let list = NbestList::new("u")
        .with_hyp(Hypothesis::new("the", 0.0))
        .with_hyp(Hypothesis::new("", 0.0));
    let s = LmScorer::new(&lm).score_list(&list);
    // log10 P(the | <s>) + log10 P(</s> | <s> the): the bigram "<s> the" is -0.4; for
    // </s> neither "<s> the </s>" nor "the </s>" exists, so it backs off through
    // both contexts: backoff(<s> the) + backoff(the) + P(</s>) = -0.2 - 0.4 - 1.0.
    assert!(
        (s[0] / LN_10 - (-0.4 - 0.2 - 0.4 - 1.0)).abs() < 1e-6,
        "{}",
        s[0] / LN_10
    );
    // The empty hypothesis: backoff(<s>) + P(</s>) = -0.5 + -1.0.
    assert!((s[1] / LN_10 - (-1.5)).abs() < 1e-6, "{}", s[1] / LN_10);
}

#[test]
fn combined_totals_follow_the_documented_formula() {
    let lm = model();
    let lists = sample();
    let w = Weights {
        acoustic_scale: 0.5,
        lm_weight: 7.0,
        word_insertion_penalty: -1.5,
        first_pass_lm_weight: 2.0,
    };
    let r = Rescorer::new(&lm, w).rescore_all(&lists);
    for (list, res) in lists.iter().zip(&r) {
        for (i, h) in list.hyps.iter().enumerate() {
            let new_lm = f64::from(lm.score_sentence(&ids(&lm, h), true, true)) * LN_10;
            let expect =
                0.5 * h.acoustic + 7.0 * new_lm - 1.5 * h.words.len() as f64 + 2.0 * h.lm.unwrap();
            assert!((res.totals[i] - expect).abs() < 1e-9);
            assert_eq!(res.features[i].new_lm, new_lm);
        }
        let out = res.apply(list, None);
        assert!(out
            .hyps
            .windows(2)
            .all(|p| p[0].extra["total"] >= p[1].extra["total"]));
        assert_eq!(out.hyps[0].extra["total"], res.totals[res.order[0]]);
    }
}

/// The sample with two extra scores per hypothesis (`nolm` of -inf once: a
/// probability of zero) and weights for them.
fn sample_with_extra_scores() -> (Vec<NbestList>, ExtraWeights) {
    let mut lists = sample();
    for (l, list) in lists.iter_mut().enumerate() {
        for (k, h) in list.hyps.iter_mut().enumerate() {
            let nolm = if (l, k) == (1, 0) {
                f64::NEG_INFINITY
            } else {
                -0.25 * (k as f64 + 1.0) - 0.5 * h.words.len() as f64
            };
            h.extra.insert("nolm".into(), nolm);
            h.extra
                .insert("conf".into(), -(((k * 7 + l * 3) % 5) as f64));
        }
    }
    let extra = ExtraWeights::new().with("nolm", 4.0).with("conf", 1.5);
    (lists, extra)
}

/// `--score-weight`'s terms: each weight times its score, added after the
/// fixed terms; a weighted score of probability zero ranks its hypothesis
/// last (not an overflow); tuning counts the errors rescoring makes with the
/// same weights; a hypothesis without a weighted score is refused.
#[test]
fn weighted_extra_scores_add_to_the_totals_and_tune_as_they_rescore() {
    let lm = model();
    let (lists, extra) = sample_with_extra_scores();
    assert!(extra.check_lists(&lists).is_ok());
    let w = Weights {
        lm_weight: 6.0,
        word_insertion_penalty: -1.0,
        ..Weights::default()
    };
    let plain = Rescorer::new(&lm, w).rescore_all(&lists);
    let r = Rescorer::new(&lm, w).with_extra_weights(extra.clone());
    let weighted = r.rescore_all(&lists);
    for ((list, a), b) in lists.iter().zip(&plain).zip(&weighted) {
        for (i, h) in list.hyps.iter().enumerate() {
            let terms = 4.0 * h.extra["nolm"] + 1.5 * h.extra["conf"];
            if terms.is_finite() {
                assert_eq!(b.totals[i], a.totals[i] + terms);
            } else {
                assert_eq!(b.totals[i], f64::NEG_INFINITY);
                assert_eq!(*b.order.last().unwrap(), i, "probability zero ranks last");
                assert!(!b.features[i].is_finite());
            }
        }
        assert!(check_overflow(&list.id, &b.features, &b.totals).is_ok());
    }
    assert_ne!(
        plain.iter().map(Rescored::best).collect::<Vec<_>>(),
        weighted.iter().map(Rescored::best).collect::<Vec<_>>(),
        "the extra scores change some choice"
    );
    let (scores, _) = score_lists(&lm, &lists, |_| {});
    for mbr in [false, true] {
        let set = TuneSet::new_with_extra(&lists, &scores, mbr, &extra);
        let opts = TuneOptions {
            scales: if mbr { vec![0.1, 1.0] } else { vec![] },
            ..TuneOptions::default()
        };
        let res = tune(&set, &opts);
        let mut r = Rescorer::new(&lm, res.weights).with_extra_weights(extra.clone());
        if let Some(s) = res.scale {
            r = r.with_mbr(s);
        }
        let chosen: Vec<Option<usize>> = r.rescore_all(&lists).iter().map(|x| x.best()).collect();
        assert_eq!(nbest_wer(&lists, &chosen).chosen.errors(), res.errors);
    }
    // A weighted score some hypothesis lacks is refused; weighted 0, it is not.
    let mut missing = lists.clone();
    missing[2].hyps[1].extra.remove("conf");
    let e = extra.check_lists(&missing).unwrap_err();
    assert!(
        e.starts_with(&format!(
            "utterance `{}`, hypothesis 2: no score `conf`",
            lists[2].id
        )),
        "{e}"
    );
    assert!(ExtraWeights::new()
        .with("conf", 0.0)
        .check_lists(&missing)
        .is_ok());
}

/// `--score-weight NAME=F*lm`: the LM weight multiplies the factor-weighted
/// scores (so `nolm=lm` at LM weight `L` ranks as Kaldi's `LMWT = L`, the
/// acoustic score scaled by `1 / L` and the whole graph cost by 1); tuning
/// moves that weight with the LM weight and counts the errors rescoring with
/// its choice makes; a hypothesis without the score is refused.
#[test]
fn extra_scores_weighted_by_multiples_of_the_lm_weight_follow_it() {
    let lm = model();
    let (lists, _) = sample_with_extra_scores();
    let tied = ExtraWeights::new().with_times_lm("nolm", 1.0);
    for lm_weight in [0.5, 3.0, 12.0] {
        let w = Weights {
            lm_weight,
            word_insertion_penalty: -0.5,
            ..Weights::default()
        };
        let got = Rescorer::new(&lm, w)
            .with_extra_weights(tied.clone())
            .rescore_all(&lists);
        // Kaldi's form: acoustic / LMWT + graph cost (here new LM + nolm).
        let kaldi = Weights {
            acoustic_scale: 1.0 / lm_weight,
            lm_weight: 1.0,
            word_insertion_penalty: -0.5 / lm_weight,
            ..Weights::default()
        };
        let want = Rescorer::new(&lm, kaldi)
            .with_extra_weights(ExtraWeights::new().with("nolm", 1.0))
            .rescore_all(&lists);
        for ((list, g), k) in lists.iter().zip(&got).zip(&want) {
            assert_eq!(g.best(), k.best(), "{} at LM weight {lm_weight}", list.id);
            for (i, f) in g.features.iter().enumerate() {
                let nolm = list.hyps[i].extra["nolm"];
                assert_eq!(f.extra_times_lm, nolm);
                if nolm.is_finite() && f.new_lm.is_finite() {
                    let head = f.acoustic + lm_weight * f.new_lm + lm_weight * nolm;
                    assert_eq!(g.totals[i], head - 0.5 * f.num_words as f64);
                } else {
                    assert_eq!(g.totals[i], f64::NEG_INFINITY);
                }
            }
        }
    }
    let (scores, _) = score_lists(&lm, &lists, |_| {});
    let fixed = ExtraWeights::new().with("nolm", 1.0);
    for mbr in [false, true] {
        let opts = TuneOptions {
            scales: if mbr { vec![0.1, 1.0] } else { vec![] },
            ..TuneOptions::default()
        };
        let res = tune(&TuneSet::new_with_extra(&lists, &scores, mbr, &tied), &opts);
        let mut r = Rescorer::new(&lm, res.weights).with_extra_weights(tied.clone());
        if let Some(s) = res.scale {
            r = r.with_mbr(s);
        }
        let chosen: Vec<Option<usize>> = r.rescore_all(&lists).iter().map(|x| x.best()).collect();
        assert_eq!(nbest_wer(&lists, &chosen).chosen.errors(), res.errors);
        // Tuning the LM weight with `nolm` held at 1 searches other totals.
        let held = tune(
            &TuneSet::new_with_extra(&lists, &scores, mbr, &fixed),
            &opts,
        );
        assert_ne!(held.coarse, res.coarse, "mbr {mbr}");
    }
    let mut missing = lists.clone();
    missing[1].hyps[2].extra.remove("nolm");
    let e = tied.check_lists(&missing).unwrap_err();
    assert!(
        e.contains("hypothesis 3: no score `nolm`, but its weight is 1*lm"),
        "{e}"
    );
}

/// A model that counts how it is queried.
struct Counting {
    inner: ReferenceModel,
    direct: AtomicU64,
    prefetched: AtomicU64,
    batched: AtomicU64,
}

impl LanguageModel for Counting {
    type State = <ReferenceModel as LanguageModel>::State;
    forward_to_inner!();
    fn full_score(&self, state: &Self::State, word: WordId, out: &mut Self::State) -> FullScore {
        self.direct.fetch_add(1, Ordering::Relaxed);
        self.inner.full_score(state, word, out)
    }
    fn prefetch_query(&self, _: &Self::State, _: WordId) {
        self.prefetched.fetch_add(1, Ordering::Relaxed);
    }
    fn full_score_batch(
        &self,
        states: &[Self::State],
        words: &[WordId],
        os: &mut [Self::State],
        sc: &mut [FullScore],
    ) {
        self.batched
            .fetch_add(states.len() as u64, Ordering::Relaxed);
        self.inner.full_score_batch(states, words, os, sc);
    }
}

#[test]
fn each_distinct_context_is_queried_once_after_a_prefetch() {
    let lm = Counting {
        inner: model(),
        direct: AtomicU64::new(0),
        prefetched: AtomicU64::new(0),
        batched: AtomicU64::new(0),
    };
    let lists = sample();
    let (scores, stats) = score_lists_sequential(&lm, &lists);
    assert_eq!(lm.direct.load(Ordering::Relaxed), stats.queries);
    assert_eq!(
        lm.prefetched.load(Ordering::Relaxed),
        stats.queries,
        "every query is prefetched a turn before it is made"
    );
    assert_eq!(lm.batched.load(Ordering::Relaxed), 0);
    // Distinct (state, word) transitions, </s> included, counted independently
    // per group of lists scored together: at most one query per distinct prefix.
    let inner = model();
    let mut expected = 0u64;
    let mut prefixes = 0u64;
    for group in lists.chunks(GROUP_LISTS) {
        let mut pairs = std::collections::HashSet::new();
        for list in group {
            let mut seen = std::collections::HashSet::new();
            for h in &list.hyps {
                let ids = ids(&inner, h);
                let mut state = inner.begin_sentence_state();
                let mut next = state;
                for (k, &w) in ids.iter().chain([inner.eos_id()].iter()).enumerate() {
                    pairs.insert((state, w));
                    seen.insert((h.words.iter().take(k).collect::<Vec<_>>(), w));
                    inner.score(&state, w, &mut next);
                    state = next;
                }
            }
            prefixes += seen.len() as u64;
        }
        expected += pairs.len() as u64;
    }
    assert_eq!(stats.queries, expected);
    assert!(
        expected < prefixes,
        "contexts shared beyond prefixes: {expected} < {prefixes}"
    );
    let words: u64 = lists
        .iter()
        .flat_map(|l| &l.hyps)
        .map(|h| h.words.len() as u64 + 1)
        .sum();
    assert_eq!(stats.words + stats.hyps, words);
    assert!(
        stats.queries * 2 < words,
        "sharing saves queries: {} of {words}",
        stats.queries
    );
    // The same numbers as the plain reference model.
    assert_eq!(scores, score_lists_sequential(&model(), &lists).0);
}

#[test]
fn parallel_equals_sequential() {
    let lm = model();
    let lists = random_lists(400, 7);
    let (seq, seq_stats) = score_lists_sequential(&lm, &lists);
    for threads in [1, 2, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (par, par_stats) = pool.install(|| score_lists(&lm, &lists, |_| {}));
        assert_eq!(par, seq, "{threads} threads");
        assert_eq!(par_stats, seq_stats);
        for mbr_scale in [None, Some(0.3)] {
            let mut r = Rescorer::new(
                &lm,
                Weights {
                    lm_weight: 3.0,
                    word_insertion_penalty: -0.5,
                    ..Weights::default()
                },
            );
            if let Some(s) = mbr_scale {
                r = r.with_mbr(s);
            }
            let a = pool.install(|| r.rescore_all(&lists));
            assert_eq!(a, r.rescore_all_sequential(&lists));
        }
    }
}

#[test]
fn sorting_is_stable_and_ties_keep_input_order() {
    let lm = model();
    let list = NbestList::new("u")
        .with_hyp(Hypothesis::new("a device", -10.0))
        .with_hyp(Hypothesis::new("b", -5.0))
        .with_hyp(Hypothesis::new("a device", -10.0))
        .with_hyp(Hypothesis::new("a device", -10.0))
        .with_hyp(Hypothesis::new("b", -5.0));
    let r = Rescorer::new(
        &lm,
        Weights {
            lm_weight: 0.0,
            ..Weights::default()
        },
    )
    .rescore(&list);
    assert_eq!(r.order, [1, 4, 0, 2, 3]);
    let r = Rescorer::new(&lm, Weights::default()).rescore(&list);
    let mut seen = r.order.clone();
    seen.sort();
    assert_eq!(seen, [0, 1, 2, 3, 4]);
    let pos = |i| r.order.iter().position(|&x| x == i).unwrap();
    assert!(pos(0) < pos(2) && pos(2) < pos(3) && pos(1) < pos(4));
}

#[test]
fn mbr_prefers_the_consensus_and_tends_to_the_top_score() {
    let f = |a: f64, n| HypFeatures {
        acoustic: a,
        first_pass_lm: 0.0,
        new_lm: 0.0,
        num_words: n,
        extra: 0.0,
        extra_times_lm: 0.0,
    };
    let words: Vec<Words> = ["a b c", "a x c", "a x c d", "a x e"]
        .iter()
        .map(|s| Words::split(s))
        .collect();
    let feats = vec![f(-1.0, 3), f(-1.2, 3), f(-1.3, 4), f(-1.4, 3)];
    let w = Weights::default();
    let map = Rescored::from_features(feats.clone(), &w, None);
    assert_eq!(map.best(), Some(0));
    let m = Rescored::from_features(feats.clone(), &w, Some((&words, 1.0)));
    assert_eq!(m.best(), Some(1), "the hypothesis closest to the others");
    let m = m.mbr.unwrap();
    assert!((m.posteriors.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let sharp = Rescored::from_features(feats, &w, Some((&words, 1000.0)));
    assert_eq!(sharp.best(), Some(0));
    // select and select_index agree.
    let strs: Vec<Vec<&str>> = words.iter().map(Words::to_strs).collect();
    let refs: Vec<&[&str]> = strs.iter().map(|w| &w[..]).collect();
    let d = mbr::DistanceMatrix::new(&refs);
    let totals = [-1.0, -1.2, -1.3, -1.4];
    for scale in [0.1, 1.0, 10.0] {
        assert_eq!(
            mbr::select(&d, &totals, scale).choice,
            mbr::select_index(&d, &totals, scale, &mut Vec::new())
        );
    }
}

/// Rescoring a list that was rescored before replaces its `new_lm` and
/// `total`, and without MBR drops the earlier MBR scores (before, a list
/// rescored with MBR and again without kept posteriors of the old ranking).
#[test]
fn rescoring_a_rescored_list_replaces_or_drops_the_scores_it_added() {
    let lm = model();
    let list = sample().swap_remove(0);
    let w = Weights::default();
    let mbr_once = Rescorer::new(&lm, w)
        .with_mbr(0.5)
        .rescore(&list)
        .apply(&list, None);
    assert!(mbr_once
        .hyps
        .iter()
        .all(|h| h.extra.contains_key("posterior")));
    let plain = Rescorer::new(&lm, w)
        .rescore(&mbr_once)
        .apply(&mbr_once, None);
    let direct = Rescorer::new(&lm, w).rescore(&list).apply(&list, None);
    for (again, once) in plain.hyps.iter().zip(&direct.hyps) {
        assert_eq!(again.words, once.words);
        assert_eq!(
            again.extra, once.extra,
            "only new_lm and total, as from the input"
        );
    }
    let mbr_twice = Rescorer::new(&lm, w)
        .with_mbr(0.5)
        .rescore(&mbr_once)
        .apply(&mbr_once, None);
    // The same scores, replaced by equal ones (up to the order of the sums:
    // the input is in another order the second time).
    for (twice, once) in mbr_twice.hyps.iter().zip(&mbr_once.hyps) {
        assert_eq!(twice.words, once.words);
        assert!(twice.extra.keys().eq(once.extra.keys()));
        let close = |(a, b): (&f64, &f64)| (a - b).abs() < 1e-12;
        assert!(twice.extra.values().zip(once.extra.values()).all(close));
    }
}

#[test]
fn tuning_finds_weights_no_worse_than_the_first_pass_and_agrees_with_rescoring() {
    let lm = model();
    let lists = sample();
    let (scores, _) = score_lists(&lm, &lists, |_| {});
    for (mbr, plateau) in [
        (false, None),
        (true, None),
        (false, Some(0.05)),
        (true, Some(0.2)),
    ] {
        let set = TuneSet::new(&lists, &scores, mbr);
        assert_eq!(set.len(), 5);
        let opts = TuneOptions {
            scales: if mbr { vec![0.05, 0.5] } else { vec![] },
            plateau,
            fine_divisions: if plateau.is_none() { 5 } else { 0 },
            ..TuneOptions::default()
        };
        let res = tune(&set, &opts);
        let fewest = res
            .coarse
            .iter()
            .flat_map(|t| t.errors.iter().copied())
            .min()
            .unwrap();
        assert!(res.errors >= set.oracle_errors());
        assert_eq!(res.coarse.len(), if mbr { 2 } else { 1 });
        assert_eq!(res.coarse[0].errors.len(), 61 * 81);
        match plateau {
            None => {
                // The plain rule: the fewest errors, then a finer pass that can only improve.
                assert!(res.errors <= fewest && res.errors <= set.first_errors());
                let fine = res.fine.as_ref().unwrap();
                assert_eq!(fine.wips.len(), 11);
            }
            Some(margin) => {
                assert!(res.errors as f64 <= fewest as f64 * (1.0 + margin));
                assert!(res.fine.is_none());
            }
        }
        // The tuned weights give the same errors when rescoring for real.
        let mut r = Rescorer::new(&lm, res.weights);
        if let Some(s) = res.scale {
            r = r.with_mbr(s);
        }
        let chosen: Vec<Option<usize>> = r.rescore_all(&lists).iter().map(|x| x.best()).collect();
        let w = nbest_wer(&lists, &chosen);
        assert_eq!(w.chosen.errors(), res.errors);
        assert_eq!(w.first.errors(), set.first_errors());
        assert_eq!(w.oracle.errors(), set.oracle_errors());
        assert_eq!(w.chosen.ref_words, set.ref_words());
    }
}

#[test]
fn lists_that_wait_for_each_others_queries_score_as_alone() {
    // Every list of the group starts with the same words, so a list's step
    // often finds another list's query in flight and must wait for it.
    let lm = Counting {
        inner: model(),
        direct: AtomicU64::new(0),
        prefetched: AtomicU64::new(0),
        batched: AtomicU64::new(0),
    };
    let one = random_lists(1, 3).pop().unwrap();
    let mut lists: Vec<NbestList> = (0..GROUP_LISTS).map(|_| one.clone()).collect();
    lists.extend(random_lists(GROUP_LISTS, 4));
    let (grouped, stats) = score_lists_sequential(&lm, &lists);
    let mut alone = LmScorer::new(&lm.inner);
    for (list, scores) in lists.iter().zip(&grouped) {
        assert_eq!(scores, &alone.score_list(list), "{}", list.id);
    }
    // The identical lists cost the queries of one of them.
    assert!(one.hyps.len() > 3);
    let mut single = LmScorer::new(&lm.inner);
    single.score_list(&one);
    let mut second = LmScorer::new(&lm.inner);
    second.score_lists_into(&lists[GROUP_LISTS..], &mut Vec::new());
    assert_eq!(
        stats.queries,
        single.stats().queries + second.stats().queries
    );
    assert_eq!(lm.direct.load(Ordering::Relaxed), stats.queries);
}

/// The scorer's counts, each on its own: lists (empty ones too), hypotheses
/// and words without `</s>`, summed over the calls.
#[test]
fn stats_count_lists_hypotheses_and_words_each() {
    let lm = model();
    let lists = vec![
        NbestList::new("a")
            .with_hyp(Hypothesis::new("the cat", 0.0))
            .with_hyp(Hypothesis::new("", 0.0)),
        NbestList::new("empty"),
        NbestList::new("b").with_hyp(Hypothesis::new("x y z", 0.0)),
    ];
    let mut scorer = LmScorer::new(&lm);
    scorer.score_lists_into(&lists, &mut Vec::new());
    let s = scorer.stats();
    assert_eq!((s.lists, s.hyps, s.words), (3, 3, 5));
    scorer.score_list(&lists[2]);
    let s = scorer.stats();
    assert_eq!((s.lists, s.hyps, s.words), (4, 4, 8));
    let (_, total) = score_lists(&lm, &lists, |_| {});
    assert_eq!((total.lists, total.hyps, total.words), (3, 3, 5));
}
