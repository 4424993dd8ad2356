//! Scores of probability zero in n-best lists: SRILM writes and reads them as
//! `-inf` (a closed-vocabulary LM's score of an unknown word), Kaldi's C++
//! streams as a cost of `inf`. Both formats read and write them; JSONL, whose
//! JSON has no infinity, refuses to write them and says why. `nan` and the
//! infinity of the other sign stay errors.

use std::fs;

use dashlm::rescore::{
    jsonl, kaldi, read_lists, srilm, write_lists, Format, Hypothesis, NbestErrorKind, NbestList,
    Rescorer, Weights,
};
use dashlm::ReferenceModel;

const NEG_INF: f64 = f64::NEG_INFINITY;

fn lists() -> Vec<NbestList> {
    vec![NbestList::new("u1")
        .with_reference("a b")
        .with_hyp(
            Hypothesis::new("a b", -10.0)
                .with_lm(NEG_INF)
                .with_extra("new_lm", -2.0),
        )
        .with_hyp(
            Hypothesis::new("a c", NEG_INF)
                .with_lm(-3.0)
                .with_extra("new_lm", NEG_INF),
        )
        .with_hyp(
            Hypothesis::new("a", -13.0)
                .with_lm(-2.5)
                .with_extra("new_lm", -1.5),
        )]
}

#[test]
fn srilm_and_kaldi_write_and_read_back_minus_infinity() {
    let lists = lists();
    let dir = tempfile::tempdir().unwrap();
    srilm::write_dir(&dir.path().join("srilm"), &lists).unwrap();
    let text = fs::read_to_string(dir.path().join("srilm/u1.nbest")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].ends_with(" -inf 2 a b"), "{text}");
    assert!(lines[1].starts_with("-inf "), "{text}");
    let extra = fs::read_to_string(dir.path().join("srilm/new_lm/u1.nbest")).unwrap();
    // In log10, as SRILM's score directories hold them.
    assert_eq!(extra, "-0.8685889638065036\n-inf\n-0.6514417228548777\n");
    let back = srilm::read_dir(&dir.path().join("srilm")).unwrap();
    assert_eq!(back[0].hyps[0].extra["new_lm"], -2.0);
    assert_eq!(back[0].hyps[0].lm, Some(NEG_INF));
    assert_eq!(back[0].hyps[1].acoustic, NEG_INF);
    assert_eq!(back[0].hyps[1].extra["new_lm"], NEG_INF);

    kaldi::write_dir(&dir.path().join("kaldi"), &lists).unwrap();
    let costs = fs::read_to_string(dir.path().join("kaldi/ac_cost")).unwrap();
    assert_eq!(costs, "u1-1 10\nu1-2 inf\nu1-3 13\n");
    let lm = fs::read_to_string(dir.path().join("kaldi/lm_cost")).unwrap();
    assert_eq!(lm, "u1-1 inf\nu1-2 3\nu1-3 2.5\n");
    let extra = fs::read_to_string(dir.path().join("kaldi/new_lm.score")).unwrap();
    assert_eq!(extra, "u1-1 -2\nu1-2 -inf\nu1-3 -1.5\n");
    assert_eq!(kaldi::read_dir(&dir.path().join("kaldi")).unwrap(), lists);
}

#[test]
fn every_spelling_of_the_infinity_of_zero_is_read() {
    for spelled in ["-inf", "-INF", "-Inf", "-infinity", "-Infinity"] {
        let text = format!("{spelled} {spelled} 1 a\n-1 -2 1 b\n");
        let list = srilm::read_file(text.as_bytes(), "u.nbest", "u").unwrap();
        assert_eq!(list.hyps[0].acoustic, NEG_INF, "{spelled}");
        assert_eq!(list.hyps[0].lm, Some(NEG_INF), "{spelled}");
        let cost = &spelled[1..];
        for cost in [cost.to_string(), format!("+{cost}")] {
            let archive = format!("u-1 {cost}\n");
            let read = kaldi::read_scores(archive.as_bytes(), "ac_cost").unwrap();
            assert_eq!(read[0].1, f64::INFINITY, "{cost}");
        }
    }
}

#[test]
fn nan_and_the_other_infinity_stay_errors() {
    for (line, what) in [
        ("+inf -2 1 a", "the acoustic score `+inf` is out of range"),
        ("-1 Infinity 1 a", "the LM score `Infinity` is out of range"),
        (
            "-1 nan 1 a",
            "expected a number for the LM score, found `nan`",
        ),
        (
            "-1 -infx 1 a",
            "expected a number for the LM score, found `-infx`",
        ),
    ] {
        let e = srilm::read_file(line.as_bytes(), "u.nbest", "u").unwrap_err();
        assert!(e.to_string().starts_with("u.nbest:1: "), "{e}");
        assert!(e.to_string().contains(what), "{e} lacks {what}");
    }
    // The bytelog form has no probability zero.
    let e = srilm::read_file(&b"NBestList1.0\n(-inf) a\n"[..], "d.nbest", "d").unwrap_err();
    assert!(matches!(e.kind(), NbestErrorKind::OutOfRange { .. }), "{e}");
    assert!(e.to_string().contains("a bytelog score is finite"), "{e}");
    // A Kaldi extra score is a score, not a cost: `-inf` is read, `inf` is not.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("text"), "u-1 a\nu-2 b\n").unwrap();
    fs::write(dir.path().join("ac_cost"), "u-1 1\nu-2 2\n").unwrap();
    fs::write(dir.path().join("x.score"), "u-1 -inf\nu-2 inf\n").unwrap();
    let e = kaldi::read_dir(dir.path()).unwrap_err();
    assert_eq!(e.line(), 2, "{e}");
    assert!(
        e.to_string()
            .contains("x.score:2: the score `inf` is out of range"),
        "{e}"
    );
    for cost in ["-inf", "nan"] {
        let archive = format!("u-1 {cost}\n");
        let e = kaldi::read_scores(archive.as_bytes(), "ac_cost").unwrap_err();
        assert_eq!(e.line(), 1, "{cost}");
    }
}

#[test]
fn jsonl_refuses_to_write_minus_infinity_and_says_where_it_can_go() {
    let err = jsonl::write(&mut Vec::new(), &lists()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "utterance `u1`, hypothesis 1: the LM score is -inf, not a finite number (a \
         probability of zero: JSON has no infinity, so JSONL lists hold finite scores only; \
         SRILM and Kaldi lists can hold it)"
    );
    // `nan` is refused by every format, without the hint.
    let nan = vec![NbestList::new("u").with_hyp(Hypothesis::new("a", f64::NAN))];
    let dir = tempfile::tempdir().unwrap();
    let err = srilm::write_dir(&dir.path().join("out"), &nan).unwrap_err();
    assert_eq!(
        err.to_string(),
        "utterance `u`, hypothesis 1: the acoustic score is NaN, not a finite number"
    );
    assert!(!dir.path().join("out").exists());
}

/// A unigram model of `a` and `b`.
fn unigram_model() -> ReferenceModel {
    let arpa = "\\data\\\nngram 1=5\n\n\\1-grams:\n-1.0\t<unk>\n-99\t<s>\n-0.5\t</s>\n\
                -0.7\ta\n-0.9\tb\n\n\\end\\\n";
    ReferenceModel::read(arpa.as_bytes(), "uni.arpa").unwrap()
}

/// A first-pass LM score of `-inf` counts for nothing at its default weight
/// of 0; an acoustic score of `-inf` ranks its hypothesis last.
#[test]
fn rescoring_lists_with_probability_zero_scores() {
    let lm = unigram_model();
    let lists = lists();
    let rescorer = Rescorer::new(&lm, Weights::default());
    let ranked = rescorer.rescore(&lists[0]).apply(&lists[0], None);
    let order: Vec<String> = ranked.hyps.iter().map(|h| h.text()).collect();
    // `a b` (LM -inf, weighted 0) beats `a` on the acoustic score; `a c`
    // (acoustic -inf, total -inf) is last.
    assert_eq!(order, ["a b", "a", "a c"]);
    assert_eq!(ranked.hyps[2].extra["total"], NEG_INF);
    let dir = tempfile::tempdir().unwrap();
    for format in [Format::Srilm, Format::Kaldi] {
        let path = dir.path().join(format!("{format:?}"));
        write_lists(&path, format, std::slice::from_ref(&ranked)).unwrap();
        let back = read_lists(&path, format).unwrap();
        assert_eq!(back[0].hyps[2].acoustic, NEG_INF, "{format:?}");
        assert_eq!(back[0].hyps[2].extra["total"], NEG_INF, "{format:?}");
    }
}

/// A score of probability zero ranks its hypothesis last whatever the sign
/// of its weight: a negative first-pass LM or LM weight does not turn `-inf`
/// into a winning `+inf`, in the rescorer or in tuning, and the lists it
/// ranks still write (SRILM refuses a `+inf` total).
#[test]
fn probability_zero_ranks_last_under_negative_weights() {
    use dashlm::rescore::TuneSet;
    let lm = unigram_model();
    // `a b` has first-pass LM -inf; `a c` acoustic -inf.
    let lists = lists();
    let dir = tempfile::tempdir().unwrap();
    for (k, weights) in [
        Weights {
            first_pass_lm_weight: -0.5,
            ..Weights::default()
        },
        Weights {
            first_pass_lm_weight: -0.5,
            lm_weight: -1.0,
            ..Weights::default()
        },
        Weights {
            acoustic_scale: 2.0,
            first_pass_lm_weight: 0.5,
            ..Weights::default()
        },
    ]
    .into_iter()
    .enumerate()
    {
        let rescorer = Rescorer::new(&lm, weights);
        let rescored = rescorer.rescore(&lists[0]);
        assert_eq!(rescored.best(), Some(2), "{weights:?}"); // `a`, the one finite total
        assert_eq!(&rescored.totals[..2], [NEG_INF, NEG_INF], "{weights:?}");
        let ranked = rescored.apply(&lists[0], None);
        let path = dir.path().join(format!("srilm{k}"));
        write_lists(&path, Format::Srilm, std::slice::from_ref(&ranked)).unwrap();
        // Tuning counts the errors of the same choice: `a` against `a b`, 1.
        let new_lm = [rescored.features.iter().map(|f| f.new_lm).collect()];
        let set = TuneSet::new(&lists, &new_lm, false);
        assert_eq!(set.errors(&weights, None), 1, "{weights:?}");
    }
}
