//! The hand-written fixtures in `data/arpa/`: one per accepted ARPA quirk and one
//! per class of malformed input (see `data/arpa/README.md`).
//!
//! Every quirk fixture is loaded and a sentence scored; the expected per-word
//! log10 probabilities, n-gram lengths and totals below were computed by hand
//! from the backoff semantics (the working is in the comments). Every malformed
//! fixture must fail to load with exactly the error line given, `FILE:LINE: message`.

use std::path::{Path, PathBuf};

use dashlm::arpa::{open_input, ArpaError, Compression, NGramSet, MAX_LINE_BYTES};
use dashlm::{LanguageModel, ReferenceModel};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/arpa")
}

/// Reads `data/arpa/NAME` (plain, gzip or xz), naming it `data/arpa/NAME` in errors.
fn read(name: &str) -> Result<NGramSet, ArpaError> {
    let input = open_input(&fixture_dir().join(name)).expect("the fixture exists");
    NGramSet::read(input.reader, &format!("data/arpa/{name}"))
}

fn load(name: &str) -> ReferenceModel {
    match read(name) {
        Ok(set) => ReferenceModel::new(set),
        Err(e) => panic!("{name} should load: {e}"),
    }
}

/// Per-token `(log10 prob, ngram_length)` for `words` between `<s>` and `</s>`.
fn score_words(lm: &ReferenceModel, words: &[&[u8]]) -> Vec<(f32, u8)> {
    let mut state = lm.begin_sentence_state();
    let mut next = state;
    let mut out = Vec::new();
    let ids = words.iter().map(|w| lm.word_id(w)).chain([lm.eos_id()]);
    for id in ids {
        let r = lm.full_score(&state, id, &mut next);
        out.push((r.log10_prob, r.ngram_length));
        state = next;
    }
    out
}

/// `got` equals `want` within `tol` relative to max(1, |want|) (f32 has ~7 digits).
fn close(got: f64, want: f64, tol: f64) -> bool {
    if want.is_infinite() {
        got == want
    } else {
        (got - want).abs() <= tol * want.abs().max(1.0)
    }
}

/// Asserts the per-token scores and n-gram lengths of `sentence` (with `<s>`
/// and `</s>`), and its total through [`LanguageModel::score_sentence`].
fn check_bytes(lm: &ReferenceModel, sentence: &[u8], want: &[(f64, u8)], total: f64) {
    let words: Vec<&[u8]> = sentence
        .split(|b| *b == b' ')
        .filter(|w| !w.is_empty())
        .collect();
    let shown = String::from_utf8_lossy(sentence);
    let got = score_words(lm, &words);
    assert_eq!(got.len(), want.len(), "`{shown}`: token count");
    for (i, (&(p, n), &(wp, wn))) in got.iter().zip(want).enumerate() {
        assert!(
            close(p as f64, wp, 1e-6) && n == wn,
            "`{shown}` token {i}: got ({p}, {n}), want ({wp}, {wn})"
        );
    }
    let sum: f64 = want.iter().map(|&(p, _)| p).sum();
    assert!(
        close(sum, total, 1e-9),
        "`{shown}`: the expected tokens add up to {sum}, not {total}"
    );
    let ids: Vec<_> = words.iter().map(|w| lm.word_id(w)).collect();
    let got_total = lm.score_sentence(&ids, true, true) as f64;
    assert!(
        close(got_total, total, 1e-5),
        "`{shown}`: total {got_total}, want {total}"
    );
}

fn check(lm: &ReferenceModel, sentence: &str, want: &[(f64, u8)], total: f64) {
    check_bytes(lm, sentence.as_bytes(), want, total);
}

// ---------------------------------------------------------------------------
// The base model and the formatting quirks that must not change it.
//
// base.arpa (order 3):
//   1-grams: <unk> -1.0 | <s> -99 bo -0.5 | </s> -0.7 | a -0.6 bo -0.3 | b -0.8 bo -0.2
//   2-grams: <s> a -0.4 bo -0.1 | a b -0.3 bo -0.05 | b </s> -0.5 | b a -0.2
//   3-grams: <s> a b -0.15 | a b </s> -0.25

/// The three sentences every formatting variant of base.arpa must score alike.
fn check_base(lm: &ReferenceModel) {
    assert_eq!(lm.order(), 3);
    assert_eq!(lm.vocab_size(), 5);
    assert!(!lm.ngrams().unk_added());
    // a|<s> = P(<s> a) = -0.4; state [a <s>] (both extend)
    // b|<s> a = P(<s> a b) = -0.15; state [b a]
    // a|a b: "a b a" absent, P(b a) = -0.2 + bo(a b) -0.05 = -0.25; state [a] ("b a" does not extend)
    // b|a = P(a b) = -0.3; state [b a]
    // </s>|a b = P(a b </s>) = -0.25
    check(
        lm,
        "a b a b",
        &[(-0.4, 2), (-0.15, 3), (-0.25, 2), (-0.3, 2), (-0.25, 3)],
        -1.35,
    );
    // zzz is OOV: P(<unk>) -1.0 + bo(a) -0.3 + bo(<s> a) -0.1 = -1.4; the state resets
    // b: P(b) = -0.8 from the empty context; </s>|b = P(b </s>) = -0.5
    check(
        lm,
        "a zzz b",
        &[(-0.4, 2), (-1.4, 1), (-0.8, 1), (-0.5, 2)],
        -3.1,
    );
    // b|<s> = P(b) -0.8 + bo(<s>) -0.5 = -1.3; b|b = -0.8 + bo(b) -0.2 = -1.0; </s>|b = -0.5
    check(lm, "b b", &[(-1.3, 1), (-1.0, 1), (-0.5, 2)], -2.8);
}

#[test]
fn base_model() {
    check_base(&load("base.arpa"));
}

#[test]
fn quirk_free_text_before_data() {
    check_base(&load("quirk-preamble.arpa"));
}

#[test]
fn quirk_tabs_and_runs_of_spaces() {
    check_base(&load("quirk-whitespace.arpa"));
}

#[test]
fn quirk_crlf_line_ends() {
    let bytes = std::fs::read(fixture_dir().join("quirk-crlf.arpa")).unwrap();
    assert!(
        bytes.windows(2).filter(|w| w == b"\r\n").count() >= 20,
        "the fixture has CRLF line ends"
    );
    check_base(&load("quirk-crlf.arpa"));
}

#[test]
fn quirk_blank_lines_anywhere() {
    check_base(&load("quirk-blank-lines.arpa"));
}

#[test]
fn quirk_gzip_and_xz_detected_by_magic_bytes() {
    for (name, compression) in [
        ("quirk-gzip.arpa", Compression::Gzip),
        ("quirk-xz.arpa", Compression::Xz),
    ] {
        let input = open_input(&fixture_dir().join(name)).unwrap();
        assert_eq!(input.compression, compression, "{name}");
        check_base(&load(name));
    }
}

#[test]
fn quirk_missing_backoff_is_zero() {
    // 1-grams: <unk> -1.0 | <s> -99 (no bo) | </s> -0.7 | a -0.5 (no bo) | b -0.6 bo -0.4
    // 2-grams: <s> a -0.3 | a b -0.2 | a a -0.9 | a </s> -0.8 (no backoffs)
    // 3-grams: <s> a b -0.1
    let lm = load("quirk-missing-backoff.arpa");
    // a|<s> = -0.3; "<s> a" has no backoff field but is the context of "<s> a b": kept
    // b|<s> a = P(<s> a b) = -0.1; state [b] (bo -0.4; "a b" has bo 0 and no extension)
    // </s>|b: P(</s>) -0.7 + bo(b) -0.4 = -1.1
    check(&lm, "a b", &[(-0.3, 2), (-0.1, 3), (-1.1, 1)], -1.5);
    // b|<s>: P(b) -0.6 + bo(<s>) 0 = -0.6; a|b: -0.5 + bo(b) -0.4 = -0.9; </s>|a = P(a </s>) = -0.8
    check(&lm, "b a", &[(-0.6, 1), (-0.9, 1), (-0.8, 2)], -2.3);
}

#[test]
fn quirk_minus_inf_and_minus_99() {
    // 1-grams: <unk> -1.5 | <s> -99 bo -0.2 | </s> -0.6 | a -0.4 bo -0.1 | c -inf
    // 2-grams: <s> a -0.3 | a </s> -inf | a c -0.5
    let lm = load("quirk-inf-and-99.arpa");
    let inf = f64::NEG_INFINITY;
    // a|<s> = -0.3; c|a = P(a c) = -0.5; </s>: -0.6 (c keeps no context)
    check(&lm, "a c", &[(-0.3, 2), (-0.5, 2), (-0.6, 1)], -1.4);
    // </s>|a = P(a </s>) = -inf
    check(&lm, "a", &[(-0.3, 2), (inf, 2)], inf);
    // c|<s> = P(c) -inf + bo(<s>) = -inf
    check(&lm, "c", &[(inf, 1), (-0.6, 1)], inf);
    // <s>|a = P(<s>) -99 + bo(a) -0.1 = -99.1; </s>|<s> = -0.6 + bo(<s>) -0.2 = -0.8
    check(&lm, "a <s>", &[(-0.3, 2), (-99.1, 1), (-0.8, 1)], -100.2);
}

#[test]
fn quirk_scientific_notation() {
    // 1-grams: <unk> -1e0 | <s> -9.9e+01 bo -5E-1 | </s> -7.0E-1 | a -6e-1 bo -3.0e-01
    // 2-grams: <s> a -4e-1 | a </s> -2.5E-2
    let lm = load("quirk-scientific.arpa");
    check(&lm, "a", &[(-0.4, 2), (-0.025, 2)], -0.425);
    // a|a: -0.6 + bo(a) -0.3 = -0.9
    check(&lm, "a a", &[(-0.4, 2), (-0.9, 1), (-0.025, 2)], -1.325);
    // zzz|<s>: P(<unk>) -1 + bo(<s>) -0.5 = -1.5; </s>: -0.7
    check(&lm, "zzz", &[(-1.5, 1), (-0.7, 1)], -2.2);
    let s = lm.vocab().id(b"<s>");
    assert_eq!(lm.ngrams().get(&[s]).unwrap().prob, -99.0);
}

#[test]
fn quirk_words_are_any_non_whitespace_bytes() {
    // 1-grams: <unk> -1.0 | <s> -99 bo -0.5 | </s> -0.7 | café (UTF-8) -0.6 bo -0.3
    //          | caf\xe9 (Latin-1, not UTF-8) -0.8 | 日本 -0.9 bo -0.2 | -1 -1.1
    // 2-grams: <s> café -0.4 | café 日本 -0.2 | 日本 -1 -0.3
    let lm = load("quirk-bytes.arpa");
    let (utf8, latin1, nihon) = ("café".as_bytes(), &b"caf\xe9"[..], "日本".as_bytes());
    let ids = [
        lm.word_id(utf8),
        lm.word_id(latin1),
        lm.word_id(nihon),
        lm.word_id(b"-1"),
    ];
    assert_eq!(ids, [3, 4, 5, 6]);
    // All bigrams match; </s>|-1: "-1" keeps no context, P(</s>) = -0.7
    check(
        &lm,
        "café 日本 -1",
        &[(-0.4, 2), (-0.2, 2), (-0.3, 2), (-0.7, 1)],
        -1.6,
    );
    // caf\xe9|<s>: -0.8 + bo(<s>) -0.5 = -1.3, no context kept; café: -0.6;
    // </s>|café: -0.7 + bo(café) -0.3 = -1.0
    check_bytes(
        &lm,
        b"caf\xe9 caf\xc3\xa9",
        &[(-1.3, 1), (-0.6, 1), (-1.0, 1)],
        -2.9,
    );
}

#[test]
fn quirk_unigram_only_model() {
    // 1-grams: <unk> -1.0 | <s> -99 | </s> -0.7 | a -0.6
    let lm = load("quirk-unigram-only.arpa");
    assert_eq!(lm.order(), 1);
    assert!(lm.begin_sentence_state().is_empty());
    check(
        &lm,
        "a a zzz",
        &[(-0.6, 1), (-0.6, 1), (-1.0, 1), (-0.7, 1)],
        -2.9,
    );
}

#[test]
fn quirk_order_8() {
    // 1-grams: <unk> -1.0 | <s> -99 bo -0.5 | </s> -0.7 | a -1.1 | b -1.2 | c -1.3 | d -1.4
    //          | e -1.5 | f -1.6 (a..f bo -0.1) | g -1.7 bo -0.3
    // One n-gram per order 2..8: "<s> a" -0.5, "<s> a b" -0.45, ..., "<s> a b c d e f" -0.25
    // (bo -0.05 each) and "<s> a b c d e f g" -0.2; every shorter suffix is pruned.
    let lm = load("quirk-order8.arpa");
    assert_eq!(lm.order(), 8);
    // Each word matches the prefix n-gram of the chain; </s>|g: P(</s>) -0.7 + bo(g) -0.3
    check(
        &lm,
        "a b c d e f g",
        &[
            (-0.5, 2),
            (-0.45, 3),
            (-0.4, 4),
            (-0.35, 5),
            (-0.3, 6),
            (-0.25, 7),
            (-0.2, 8),
            (-1.0, 1),
        ],
        -3.45,
    );
    // After f the state holds all 7 words (the blank suffixes "e f" .. "a b c d e f" are
    // contexts of blank suffixes of the 8-gram). a|that: P(a) -1.1 + bo(f) -0.1
    // + 0 x 5 (blanks) + bo(<s> a b c d e f) -0.05 = -1.25; </s>|a: -0.7 + bo(a) -0.1 = -0.8
    check(
        &lm,
        "a b c d e f a",
        &[
            (-0.5, 2),
            (-0.45, 3),
            (-0.4, 4),
            (-0.35, 5),
            (-0.3, 6),
            (-0.25, 7),
            (-1.25, 1),
            (-0.8, 1),
        ],
        -4.3,
    );
    // b|<s>: -1.2 + bo(<s>) -0.5 = -1.7; c|b: blank "b c" = P(c) -1.3 + bo(b) -0.1 = -1.4
    // (length 2, as KenLM counts blanks); </s>|b c: -0.7 + bo(c) -0.1 + bo(b c) 0 = -0.8
    check(&lm, "b c", &[(-1.7, 1), (-1.4, 2), (-0.8, 1)], -3.9);
}

#[test]
fn quirk_missing_unk_is_added_at_minus_100() {
    // 1-grams: <s> -99 bo -0.5 | </s> -0.7 | a -0.6 bo -0.3; 2-grams: <s> a -0.4 | a </s> -0.2
    let lm = load("quirk-missing-unk.arpa");
    assert!(lm.ngrams().unk_added());
    assert_eq!(lm.ngrams().get(&[0]).unwrap().prob, -100.0);
    // zzz|a: P(<unk>) -100 + bo(a) -0.3 = -100.3; </s>: -0.7
    check(&lm, "a zzz", &[(-0.4, 2), (-100.3, 1), (-0.7, 1)], -101.4);
    check(&lm, "a", &[(-0.4, 2), (-0.2, 2)], -0.6);
}

#[test]
fn quirk_pruned_suffix_scored_as_kenlm() {
    // 1-grams: <unk> -1.0 | <s> -99 bo -0.5 | </s> -0.7 | a -0.6 bo -0.3 | b -0.8 bo -0.2
    // 2-grams: <s> a -0.4 bo -0.1 | b </s> -0.6;  3-grams: <s> a b -0.15 (no "a b")
    // The missing "a b" is a blank: P = P(b) -0.8 + bo(a) -0.3 = -1.1, backoff 0.
    let lm = load("quirk-pruned-suffix.arpa");
    let (a, b) = (lm.word_id(b"a"), lm.word_id(b"b"));
    let blank = lm.ngrams().get(&[a, b]).unwrap();
    assert!(blank.blank && (blank.prob - -1.1).abs() < 1e-6 && blank.backoff == 0.0);
    check(&lm, "a b", &[(-0.4, 2), (-0.15, 3), (-0.6, 2)], -1.15);
    // b|<s> = -1.3; a|b = -0.6 + bo(b) -0.2 = -0.8; b|a = blank "a b" = -1.1; </s>|b = -0.6
    check(
        &lm,
        "b a b",
        &[(-1.3, 1), (-0.8, 1), (-1.1, 2), (-0.6, 2)],
        -3.8,
    );
}

#[test]
fn quirk_missing_context_backs_off() {
    // As quirk-pruned-suffix but the 3-gram is "a b </s>" -0.05 and "a b" (its context) is
    // absent (KenLM refuses this file). dashlm adds a blank "a b" (-1.1, backoff 0).
    let lm = load("quirk-missing-context.arpa");
    // b|<s> a: "<s> a b" absent, blank "a b" -1.1 + bo(<s> a) -0.1 = -1.2, as standard backoff
    // gives (bo(<s> a) + bo(a) + P(b)); </s>|a b = P(a b </s>) = -0.05
    check(&lm, "a b", &[(-0.4, 2), (-1.2, 2), (-0.05, 3)], -1.65);
}

#[test]
fn quirk_positive_backoffs_in_blanks_as_kenlm() {
    // 1-grams: <unk> -1.0 | <s> -99 bo -0.5 | </s> -0.3 | a -0.6 bo -0.3 | b -0.8 bo +0.4
    //          | c -0.7 bo +0.5
    // 2-grams: <s> a -0.4 bo -0.1 | a b -0.3 bo -0.5 | a c -0.5 bo -0.1 | c b -0.5 bo -0.1
    // 3-grams: c b </s> -0.2 | <s> a b -0.1 bo -0.2 | <s> a c -0.15 bo -0.2
    // 4-grams: <s> a b </s> -0.05 | <s> a c </s> -0.06
    // KenLM stores a blank's backed-off sum and reads every stored probability as -|p|:
    // - "c b </s>" (3-grams) makes "b </s>" = P(</s>) -0.3 + bo(b) 0.4 = +0.1, read -0.1;
    // - "<s> a b </s>" then finds "b </s>" present and makes "a b </s>" from its
    //   read value: -0.1 + bo(a b) -0.5 = -0.6 (the textbook estimate is -0.4);
    // - "<s> a c </s>" makes both: "c </s>" = -0.3 + bo(c) 0.5 = +0.2 (read -0.2),
    //   then "a c </s>" = +0.2 + bo(a c) -0.1 = +0.1, read -0.1.
    let lm = load("quirk-positive-backoff.arpa");
    // c|<s> = -0.7 + bo(<s>) -0.5 = -1.2; a|c = -0.6 + bo(c) 0.5 = -0.1; b|a = P(a b) -0.3;
    // </s>|a b = blank "a b </s>" = -0.6
    check(
        &lm,
        "c a b",
        &[(-1.2, 1), (-0.1, 1), (-0.3, 2), (-0.6, 3)],
        -2.2,
    );
    // c|a = P(a c) = -0.5; </s>|a c = blank "a c </s>" = -0.1
    check(
        &lm,
        "c a c",
        &[(-1.2, 1), (-0.1, 1), (-0.5, 2), (-0.1, 3)],
        -1.9,
    );
    // b|<s> = -0.8 - 0.5 = -1.3; </s>|b = blank "b </s>" = -0.1
    check(&lm, "b", &[(-1.3, 1), (-0.1, 2)], -1.4);
    // </s>|c = blank "c </s>" = -0.2
    check(&lm, "c", &[(-1.2, 1), (-0.2, 2)], -1.4);
}

// ---------------------------------------------------------------------------
// Malformed input: the exact error line for every fixture.

const MALFORMED: &[(&str, &str)] = &[
    // Header counts that do not match their section.
    ("bad-count-too-few.arpa", "18: the header says ngram 2=4, but the \\2-grams: section has 3"),
    ("bad-count-too-many.arpa", "11: the header says ngram 1=4, but the \\1-grams: section has more (this is n-gram 5 of the section)"),
    // An n-gram of the wrong order in a section.
    (
        "bad-wrong-order-long.arpa",
        "17: extra field `-0.1` in a 2-gram line (expected probability, 2 word(s), optional backoff)",
    ),
    ("bad-wrong-order-noback.arpa", "17: expected a log10 backoff, found `a`"),
    (
        "bad-wrong-order-short.arpa",
        "17: a 2-gram line needs a probability and 2 word(s), found 2 field(s)",
    ),
    // Missing \data\ or \end\, and other early ends of file.
    (
        "bad-no-data.arpa",
        "20: unexpected end of file: expected a \\data\\ line (is this an ARPA file?)",
    ),
    ("bad-no-end.arpa", "20: unexpected end of file: expected \\end\\ (the file is truncated)"),
    (
        "bad-truncated-section.arpa",
        "15: unexpected end of file: expected 1 more 2-gram(s): the header says ngram 2=3 (the file is truncated)",
    ),
    (
        "bad-truncated-line.arpa",
        "15: a 2-gram line needs a probability and 2 word(s), found 2 field(s)",
    ),
    (
        "bad-truncated-header.arpa",
        "3: unexpected end of file: expected ngram counts and the \\1-grams: section",
    ),
    ("bad-missing-section.arpa", "12: unexpected end of file: expected the \\2-grams: section"),
    ("bad-truncated-gzip.arpa.gz", "11: read error: incomplete deflate stream"),
    ("bad-end-early.arpa", "19: `\\end\\` before the \\3-grams: section"),
    // Before: accepted, the text ignored (it can hide a second file).
    (
        "bad-text-after-end.arpa",
        "25: text after `\\end\\`: `\\data\\` (two files concatenated?): an ARPA file ends at `\\end\\`, and only blank lines may follow it",
    ),
    // Before: "31: unexpected end of file: expected a \data\ line".
    (
        "bad-bom.arpa",
        "1: the file starts with a UTF-8 byte-order mark (U+FEFF, bytes EF BB BF), which ARPA files must not (KenLM refuses it too): remove it",
    ),
    // IRSTLM's other formats (before: iARPA read as ARPA, its scores wrong;
    // qARPA refused at its first codebook line).
    (
        "bad-irstlm-iarpa.arpa",
        "1: this is IRSTLM's intermediate iARPA format, not ARPA text (its probabilities are not final yet; KenLM refuses it too): convert it with IRSTLM's `compile-lm --text=yes IN OUT.arpa`",
    ),
    (
        "bad-irstlm-qarpa.arpa",
        "1: this is IRSTLM's quantized qARPA format, not ARPA text (its weights are codes into codebooks; KenLM refuses it too): convert it with IRSTLM's `compile-lm --text=yes IN OUT.arpa`",
    ),
    // Bad numbers.
    ("bad-prob-text.arpa", "10: expected a log10 probability, found `abc`"),
    ("bad-prob-nan.arpa", "15: expected a log10 probability, found `nan`"),
    (
        "bad-prob-positive.arpa",
        "15: log10 probability 0.25 is positive: probabilities must be <= 0",
    ),
    (
        "bad-crlf-positive.arpa",
        "16: log10 probability 0.5 is positive: probabilities must be <= 0",
    ),
    ("bad-backoff-text.arpa", "10: expected a log10 backoff, found `-0.3x`"),
    ("bad-backoff-inf.arpa", "10: backoff must be finite, found `-inf`"),
    // Before: "backoff must be finite, found `-1e39`" (a finite number).
    (
        "bad-backoff-range.arpa",
        "10: backoff `-1e39` is out of range for f32 (at most about 3.4e38 in magnitude): backoffs must be finite",
    ),
    (
        "bad-highest-backoff.arpa",
        "19: non-zero backoff `-0.5` on a 3-gram of the highest order",
    ),
    // Duplicates, extra fields, unknown words.
    ("bad-duplicate-unigram.arpa", "12: duplicate n-gram `a` (first at line 10)"),
    ("bad-duplicate-ngram.arpa", "17: duplicate n-gram `a b` (first at line 15)"),
    (
        "bad-extra-field.arpa",
        "11: extra field `X` in a 1-gram line (expected probability, 1 word(s), optional backoff)",
    ),
    ("bad-unknown-word.arpa", "16: word `c` is not in the \\1-grams: section"),
    // Binary garbage.
    ("bad-binary.arpa", "11: NUL byte in line: this is binary data, not ARPA text"),
    ("bad-binary-start.arpa", "1: NUL byte in line: this is binary data, not ARPA text"),
    // `\r\r\n` line ends: the second `\r` stays in the line, an error at the
    // first line that has one (KenLM reads a CR as a field separator).
    (
        "bad-crcrlf.arpa",
        "7: a carriage return (`\\r`) inside the line, in `<unk>\\r`: an ARPA line ends with `\\n` or `\\r\\n` (do lines end with `\\r\\r\\n`?), and a word cannot hold a CR",
    ),
    (
        "bad-crcrlf-unigrams.arpa",
        "5: a carriage return (`\\r`) inside the line, in `<unk>\\r`: an ARPA line ends with `\\n` or `\\r\\n` (do lines end with `\\r\\r\\n`?), and a word cannot hold a CR",
    ),
    // Missing <s> / </s> (not tied to a line).
    (
        "bad-no-bos.arpa",
        " the unigrams have no `<s>`: add `<s>` with probability -99 and a backoff to the \\1-grams: section",
    ),
    (
        "bad-no-eos.arpa",
        " the unigrams have no `</s>`: add `</s>` to the \\1-grams: section (every sentence ends with it)",
    ),
    // Malformed headers and section lines.
    ("bad-section-header.arpa", "13: expected `\\2-grams:`, found `\\3-grams:`"),
    ("bad-count-line.arpa", "3: bad count in `ngram 2 = three`"),
    (
        "bad-count-order.arpa",
        "3: expected `ngram 2=...`, found order 3 (counts must be listed 1, 2, 3, ...)",
    ),
    ("bad-order-too-high.arpa", "10: order 9 is above the supported maximum of 8"),
    ("bad-no-unigrams.arpa", "5: `ngram 1=0`: a model needs unigrams"),
    ("bad-no-counts.arpa", "3: no `ngram N=COUNT` lines after \\data\\"),
];

#[test]
fn malformed_fixtures_give_exact_errors() {
    let mut failures = Vec::new();
    for &(name, rest) in MALFORMED {
        // `rest` is "LINE: message", or " message" for errors not tied to a line.
        let want = format!("data/arpa/{name}:{rest}");
        let want_line: u64 = rest.split(':').next().unwrap().parse().unwrap_or(0);
        match read(name) {
            Ok(_) => failures.push(format!("{name}: loaded, want `{want}`")),
            Err(e) => {
                if e.to_string() != want {
                    failures.push(format!("{name}:\n  got  `{e}`\n  want `{want}`"));
                }
                if e.line() != want_line || e.source_name() != format!("data/arpa/{name}") {
                    failures.push(format!("{name}: line {} of {}", e.line(), e.source_name()));
                }
            }
        }
        // The reference model reports the same error.
        let input = open_input(&fixture_dir().join(name)).unwrap();
        let via_model = ReferenceModel::read(input.reader, &format!("data/arpa/{name}"));
        assert_eq!(via_model.err().map(|e| e.to_string()), Some(want));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every file in data/arpa/ is one of the fixtures tested here.
/// The readers take text: compressed data and compiled models given to them
/// say what they are. Before, each was `NUL byte in line: this is binary
/// data`, with no word of `open_input` or of models.
#[test]
fn readers_name_compressed_data_and_compiled_models() {
    let mut compiled = Vec::new();
    let set = NGramSet::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    let (file, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    file.write_to(&mut compiled).unwrap();
    let dir = fixture_dir();
    for (bytes, expected) in [
        (
            std::fs::read(dir.join("quirk-gzip.arpa")).unwrap(),
            "gzip or xz data, not ARPA text: read it through `arpa::open_input`",
        ),
        (
            std::fs::read(dir.join("quirk-xz.arpa")).unwrap(),
            "gzip or xz data, not ARPA text: read it through `arpa::open_input`",
        ),
        (
            compiled,
            "a compiled dashlm model, not ARPA text (a model is used uncompressed",
        ),
    ] {
        let err = NGramSet::read(&bytes[..], "x").unwrap_err().to_string();
        assert!(err.starts_with("x:1: ") && err.contains(expected), "{err}");
        let err = ReferenceModel::read(&bytes[..], "x")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(expected), "{err}");
    }
    // Binary data of any other kind keeps the plain message.
    let err = NGramSet::read(&b"\x01\x02\0"[..], "x")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "x:1: NUL byte in line: this is binary data, not ARPA text"
    );
}

#[test]
fn quirk_negative_zero_backoffs_add_as_plus_zero() {
    // 1-grams: <unk> -1 bo 0 | <s> -99 bo -0.5 | </s> -1 | a -1 bo -0 | b 0 bo -0 | c -1
    // 2-grams: a b -0.5 bo -0 | b c -0.5 bo -0 | b b 0 bo -0
    // 3-grams: a b c -0.5
    // KenLM adds a zero backoff as +0 whatever its written sign, and reads a zero
    // probability as -0 (the sign bit holds a flag), so a sum of the two is +0.
    let lm = load("quirk-negative-zero.arpa");
    // a|<s> = -1 + bo(<s>) -0.5; b|a = P(a b) -0.5; b|a b: "a b b" absent,
    // P(b b) -0 + bo(a b) +0 = +0 (the sign checked below); </s>|b b: "b </s>"
    // absent, P(</s>) -1 + bo(b) +0 ("b b" is no context, so the state is [b])
    check(
        &lm,
        "a b b",
        &[(-1.5, 1), (-0.5, 2), (0.0, 2), (-1.0, 1)],
        -3.0,
    );
    let words: [&[u8]; 3] = [b"a", b"b", b"b"];
    let got = score_words(&lm, &words);
    assert!(got[2].0.is_sign_positive(), "b|a b: {}", got[2].0);
    // b|b = P(b b) = -0 (no backoff added: the sign stays)
    let got = score_words(&lm, &[b"b", b"b"]);
    assert!(
        got[1].0 == 0.0 && got[1].0.is_sign_negative(),
        "b|b: {}",
        got[1].0
    );
}

#[test]
fn every_fixture_is_tested() {
    let quirks = [
        "base.arpa",
        "quirk-preamble.arpa",
        "quirk-whitespace.arpa",
        "quirk-crlf.arpa",
        "quirk-blank-lines.arpa",
        "quirk-gzip.arpa",
        "quirk-xz.arpa",
        "quirk-missing-backoff.arpa",
        "quirk-inf-and-99.arpa",
        "quirk-scientific.arpa",
        "quirk-bytes.arpa",
        "quirk-unigram-only.arpa",
        "quirk-order8.arpa",
        "quirk-missing-unk.arpa",
        "quirk-pruned-suffix.arpa",
        "quirk-missing-context.arpa",
        "quirk-positive-backoff.arpa",
        "quirk-negative-zero.arpa",
    ];
    let mut known: Vec<&str> = quirks.to_vec();
    known.extend(MALFORMED.iter().map(|&(name, _)| name));
    known.push("README.md");
    let mut untested = Vec::new();
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !known.contains(&name.as_str()) {
            untested.push(name);
        }
    }
    assert!(untested.is_empty(), "fixtures without a test: {untested:?}");
    for name in quirks {
        assert!(read(name).is_ok(), "{name}");
    }
}

/// A compressed file is checked to its end (gzip's CRC and length, xz's index
/// and footer), which decoders do only when the whole stream is read: before,
/// the reader stopped at `\end\` and a flipped digit in a stored gzip block, a
/// missing gzip trailer or a cut xz footer read as a valid model.
#[test]
fn corrupted_or_truncated_compressed_input_is_an_error() {
    use std::io::Write;
    let text = std::fs::read(fixture_dir().join("../tiny.arpa")).unwrap();
    let gzip_of = |bytes: &[u8], level| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    let gzip = |level| gzip_of(&text, level);
    // Read directly and through the decompressing thread (which may meet the
    // error before handing over the text: then the error names an earlier line).
    let read = |bytes: &[u8], name: &str| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let direct = NGramSet::read(open_input(&path).unwrap().reader, name).map(|_| ());
        let threaded = NGramSet::read(open_input(&path).unwrap().into_threaded(), name);
        assert_eq!(direct.is_ok(), threaded.is_ok(), "{name}");
        direct
    };
    let good = gzip(flate2::Compression::default());
    assert!(read(&good, "good.gz").is_ok());
    // One text in two gzip members (as pigz and bgzip write) reads whole...
    let half = text.len() / 2;
    let members = |a: &[u8], b: &[u8]| {
        let level = flate2::Compression::default();
        [gzip_of(a, level), gzip_of(b, level)].concat()
    };
    assert!(read(&members(&text[..half], &text[half..]), "two-members.gz").is_ok());
    // ...but two whole files concatenated are an error at the second `\data\`
    // (before: the second was ignored).
    let e = read(&members(&text, &text), "two-files.gz")
        .unwrap_err()
        .to_string();
    assert!(e.contains("text after `\\end\\`: `\\data\\`"), "{e}");
    // Stored (uncompressed) blocks: change `-0.7` (the cat) to `-0.1`.
    let mut flipped = gzip(flate2::Compression::none());
    let at = flipped
        .windows(12)
        .position(|w| w == b"-0.7\tthe cat")
        .unwrap();
    flipped[at + 3] = b'1';
    let e = read(&flipped, "flipped.gz").unwrap_err().to_string();
    assert!(
        e.contains("after `\\end\\`") && e.contains("checksum"),
        "{e}"
    );
    let e = read(&good[..good.len() - 8], "no-trailer.gz")
        .unwrap_err()
        .to_string();
    assert!(e.contains("after `\\end\\`"), "{e}");
    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(&text).unwrap();
    let xz = xz.finish().unwrap();
    assert!(read(&xz, "good.xz").is_ok());
    let e = read(&xz[..xz.len() - 12], "cut.xz")
        .unwrap_err()
        .to_string();
    assert!(e.contains("after `\\end\\`"), "{e}");
}

/// A file whose lines end in CR alone reads as one long line; its `\data\`
/// is named as such (before: `expected a \data\ line (is this an ARPA
/// file?)`). CR LF files load.
#[test]
fn lines_ended_by_cr_alone_are_named() {
    let text = std::fs::read_to_string(fixture_dir().join("base.arpa")).unwrap();
    let err = NGramSet::read(text.replace('\n', "\r").as_bytes(), "mac.arpa").unwrap_err();
    assert_eq!(
        err.to_string(),
        "mac.arpa:1: the \\data\\ line here is between CR characters: this file's lines end \
         in CR alone (classic Mac OS), where ARPA lines end in LF (or CR LF); convert them, \
         e.g. with `tr '\\r' '\\n'`"
    );
    assert!(NGramSet::read(text.replace('\n', "\r\n").as_bytes(), "dos.arpa").is_ok());
}

/// An error past the first line is never named by the input's first bytes:
/// a free-text line before `\data\` that happens to start as gzip does
/// (`1f 8b`) leaves a later NUL byte or over-long line plain binary data,
/// named at its own line (audit 35: reader.rs mutant `line_no > 0` → `< 0`
/// in `first_bytes_kind` survived, as did `line_no += 1` → `-=`/`*=` for an
/// over-long line in the fixture and build tests).
#[test]
fn errors_after_the_first_line_are_not_named_by_its_first_bytes() {
    let head = b"\x1f\x8b free text\n\\data\\\n".to_vec();
    let mut nul = head.clone();
    nul.extend_from_slice(b"ngram 1=\x001\n");
    let err = NGramSet::read(&nul[..], "x").unwrap_err();
    assert_eq!(
        err.to_string(),
        "x:3: NUL byte in line: this is binary data, not ARPA text"
    );
    let mut long = head;
    long.extend_from_slice(b"ngram 1=");
    long.resize(long.len() + MAX_LINE_BYTES as usize, b'9');
    long.push(b'\n');
    let err = NGramSet::read(&long[..], "long.arpa").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("long.arpa:3: line longer than {MAX_LINE_BYTES} bytes: this is not ARPA text")
    );
}

/// IRSTLM's binary formats are named at their header line (audit 35:
/// reader.rs mutant "delete match arm blmt | Qblmt" survived).
#[test]
fn irstlm_binary_headers_are_named() {
    for head in ["blmt 3 10 20 30", "Qblmt 3 10 20 30"] {
        let text = format!("{head}\n\\data\\\nngram 1=1\n");
        let err = NGramSet::read(text.as_bytes(), "b").unwrap_err();
        assert_eq!(
            err.to_string(),
            "b:1: this is IRSTLM's binary format, not ARPA text (it is not text; KenLM refuses \
             it too): convert it with IRSTLM's `compile-lm --text=yes IN OUT.arpa`"
        );
    }
}
