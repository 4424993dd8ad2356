//! SRILM's Decipher `NBestList2.0` form: per-token times and bytelog scores.
//! Read as SRILM's `NBestHyp::parse` reads it: the words are the tokens that
//! start after the previous word ends and are not HMM states; the acoustic
//! and first-pass LM scores are the sums of their `a:` and `g:` scores.

use dashlm::rescore::srilm::{self, bytelog_to_ln};
use dashlm::rescore::{read_lists, Format, NbestErrorKind};

fn group(word: &str, st: f64, et: f64, g: i64, a: i64) -> String {
    format!("{word} ( st: {st:.2} et: {et:.2} g: {g} a: {a} )")
}

#[test]
fn words_and_summed_scores_as_srilm_reads_them() {
    let hyp1 = [
        group("<s>", 0.0, 0.1, 0, -50),
        group("the", 0.11, 0.3, -1402, -1088),
        // Phone and state backtrace of "the": inside its times, skipped.
        group("dh", 0.11, 0.2, 0, -500),
        group("dh-1", 0.11, 0.15, 0, -200),
        group("cat", 0.31, 0.8, -2101, -622),
        group("</s>", 0.81, 0.9, -3, -4),
    ]
    .join(" ");
    // A token after the previous word but named like a state: not a word.
    let hyp2 = [
        group("a", 0.0, 0.2, -10, -20),
        group("b-2", 0.3, 0.5, -30, -40),
    ]
    .join(" ");
    let text = format!("NBestList2.0\n(-5316) {hyp1}\n(-60) {hyp2}\n(0)\n");
    let list = srilm::read_file(text.as_bytes(), "u.nbest", "u").unwrap();
    assert_eq!(list.hyps.len(), 3);
    let (h, close) = (&list.hyps[0], |a: f64, b: f64| (a - b).abs() < 1e-9);
    assert_eq!(h.words, ["the", "cat"]);
    assert!(
        close(h.acoustic, bytelog_to_ln((-50 - 1088 - 622 - 4) as f64)),
        "{}",
        h.acoustic
    );
    assert!(close(
        h.lm.unwrap(),
        bytelog_to_ln((-1402 - 2101 - 3) as f64)
    ));
    assert_eq!(list.hyps[1].words, ["a"]);
    assert!(close(list.hyps[1].acoustic, bytelog_to_ln(-20.0)));
    assert!(list.hyps[2].words.is_empty());
    assert_eq!((list.hyps[2].acoustic, list.hyps[2].lm), (0.0, Some(0.0)));
    // Through a directory, as `dashlm rescore --format srilm` reads it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("u.nbest"), &text).unwrap();
    assert_eq!(read_lists(dir.path(), Format::Srilm).unwrap(), vec![list]);
}

#[test]
fn malformed_lines_name_their_line_and_what_was_expected() {
    let good = group("a", 0.0, 0.2, -10, -20);
    let cases = [
        (
            format!("{good} b ( st: 0.3 et: 0.4 g: 1"),
            "groups of 11 tokens after the score",
            "19 tokens, 8 past the last whole group",
        ),
        (
            good.replace("g:", "lm:"),
            "`w ( st: S et: E g: G a: A )` for each token",
            "lm:",
        ),
        (
            good.replace(" )", " ]"),
            "`w ( st: S et: E g: G a: A )` for each token",
            "a ( st:",
        ),
        (
            good.replace("-20", "x"),
            "expected a number for the acoustic bytelog score",
            "`x`",
        ),
        (
            good.replace("-10", "-inf"),
            "the LM bytelog score `-inf` is out of range",
            "a bytelog score is finite",
        ),
        (
            good.replace("0.20", "nan"),
            "expected a number for the end time",
            "`nan`",
        ),
        (
            format!("{good} {}", group("b", 0.3, 0.4, 0, 0))
                .replace("g: 0", "g: 1e308")
                .replace("g: -10", "g: 1e308"),
            "the LM score",
            "past the range",
        ),
    ];
    for (line, expected, found) in cases {
        let text = format!("NBestList2.0\n(-1) {good}\n(-1) {line}\n");
        let e = srilm::read_file(text.as_bytes(), "d/u.nbest", "u").unwrap_err();
        let message = e.to_string();
        assert_eq!(e.line(), 3, "{message}");
        assert!(message.starts_with("d/u.nbest:3: "), "{message}");
        assert!(
            message.contains(expected) && message.contains(found),
            "{message}"
        );
    }
    // The composite score: in parentheses, a finite number.
    for (line, kind) in [
        ("-1 a ( st: 0 et: 1 g: 0 a: 0 )", "Syntax"),
        ("(abc)", "Number"),
    ] {
        let e =
            srilm::read_file(format!("NBestList2.0\n{line}\n").as_bytes(), "u", "u").unwrap_err();
        let tag = match e.kind() {
            NbestErrorKind::Syntax { .. } => "Syntax",
            NbestErrorKind::Number { .. } => "Number",
            _ => "other",
        };
        assert_eq!((e.line(), tag), (2, kind), "{e}");
    }
}
