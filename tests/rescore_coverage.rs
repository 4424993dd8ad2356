//! How many hypothesis words the model knows: counted exactly, printed by
//! `rescore` and `tune`, and a warning (with the case the model knows them
//! in) when many are unknown.

mod rescore_cli_common;

use std::fs;

use dashlm::rescore::coverage::{Coverage, WARN_ABOVE};
use dashlm::rescore::{jsonl, NbestList};
use dashlm::{LanguageModel, ReferenceModel};
use rescore_cli_common::*;

fn sample() -> (ReferenceModel, Vec<NbestList>) {
    let lm = ReferenceModel::read(&fs::read(data("sample-3gram.arpa")).unwrap()[..], "lm").unwrap();
    let lists = jsonl::read(&fs::read(data("sample.jsonl")).unwrap()[..], "sample.jsonl").unwrap();
    (lm, lists)
}

/// The sample's lists with every hypothesis word in upper case.
fn upper_case(lists: &[NbestList]) -> Vec<NbestList> {
    let mut upper = lists.to_vec();
    for h in upper.iter_mut().flat_map(|l| l.hyps.iter_mut()) {
        h.words = h.words.iter().map(str::to_uppercase).collect();
    }
    upper
}

#[test]
fn counts_equal_a_word_by_word_count() {
    let (lm, lists) = sample();
    // Many copies, so that the parallel pieces each see several lists.
    let many: Vec<NbestList> = (0..40).flat_map(|_| lists.iter().cloned()).collect();
    let words = many
        .iter()
        .flat_map(|l| &l.hyps)
        .flat_map(|h| h.words.iter());
    let (total, unknown) = words.fold((0, 0), |(t, u), w| {
        (t + 1, u + u64::from(lm.word_id(w.as_bytes()) == 0))
    });
    let c = Coverage::of(&lm, &many);
    assert_eq!((c.words, c.unknown), (total, unknown));
    assert!(
        c.unknown_fraction() <= WARN_ABOVE && c.warning().is_none(),
        "{c:?}"
    );
    let spelled: u64 = c.unknown_spellings.iter().map(|s| s.1).sum();
    assert_eq!(spelled, unknown);
    assert!(c.unknown_spellings.windows(2).all(|w| w[0].1 >= w[1].1));
    // In upper case, most words are unknown and known in lower case.
    let c = Coverage::of(&lm, &upper_case(&many));
    assert_eq!(c.words, total);
    assert!(
        c.unknown_fraction() > 0.5 && c.known_in_lowercase * 2 >= c.unknown,
        "{c:?}"
    );
    let warning = c.warning().unwrap();
    assert!(
        warning.contains("are in the model in lower case: write the hypotheses"),
        "{warning}"
    );
}

#[test]
fn rescore_and_tune_print_it() {
    let (lm, lists) = sample();
    let expected = Coverage::of(&lm, &lists).summary();
    let (model, input) = (data("sample-3gram.arpa"), data("sample.jsonl"));
    let args = ["--model", s(&model), "--input", s(&input)];
    let (_, err) = ok(&[&["rescore"], &args[..], &["--lm-weight", "1", "--wip", "0"]].concat());
    assert!(err.lines().any(|l| l == expected), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let (_, err) = ok(&[&["tune"], &args[..]].concat());
    assert!(err.lines().any(|l| l == expected), "{err}");
    // Upper case lists: the warning, naming the case the model knows.
    let dir = tempfile::tempdir().unwrap();
    let upper = dir.path().join("upper.jsonl");
    let mut text = Vec::new();
    jsonl::write(&mut text, &upper_case(&lists)).unwrap();
    fs::write(&upper, text).unwrap();
    let args = [
        "rescore",
        "--model",
        s(&model),
        "--input",
        s(&upper),
        "--lm-weight",
        "1",
        "--wip",
        "0",
    ];
    let (_, err) = ok(&args);
    let warning = err
        .lines()
        .find(|l| l.starts_with("dashlm: warning: "))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        warning
            .contains("% of the hypothesis words are not in the model's vocabulary, most often `"),
        "{warning}"
    );
    assert!(
        warning.contains("are in the model in lower case"),
        "{warning}"
    );
}
