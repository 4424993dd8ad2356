//! The library API of `dashlm::rescore` on hostile caller-supplied values: no
//! panic, no silently wrong result, and writers that refuse what they cannot
//! write faithfully.

use dashlm::rescore::mbr::{posteriors, select, select_index, DistanceMatrix};
use dashlm::rescore::wer::nbest_wer;
use dashlm::rescore::{
    features, jsonl, kaldi, plateau_centre, read_lists, srilm, try_tune, write_lists, Format,
    GridTable, HypFeatures, Hypothesis, NbestList, Rescored, Rescorer, TuneOptions, TuneSet,
    Weights, Words,
};
use dashlm::ReferenceModel;

fn lm() -> ReferenceModel {
    ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap()
}

fn list(id: &str) -> NbestList {
    NbestList::new(id)
        .with_reference("the cat")
        .with_hyp(Hypothesis::new("the cat", -1.0).with_lm(-2.0))
}

const FORMATS: [Format; 3] = [Format::Jsonl, Format::Srilm, Format::Kaldi];

/// Writes `lists` in `format` under a fresh directory; the error message if refused.
fn write(format: Format, lists: &[NbestList]) -> Result<Vec<NbestList>, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out");
    write_lists(&path, format, lists).map_err(|e| e.to_string())?;
    Ok(read_lists(&path, format).expect("what was written reads back"))
}

fn refused(format: Format, lists: &[NbestList], needle: &str) {
    let err = write(format, lists).expect_err(&format!("{format}: written: {lists:?}"));
    assert!(err.contains(needle), "{format}: `{err}` lacks `{needle}`");
}

#[test]
fn writers_refuse_words_that_would_read_back_differently() {
    for word in ["a b", "", "a\nb", "x\ty", "<s>"] {
        let mut l = list("u");
        l.hyps[0].words.insert(0, word);
        for format in FORMATS {
            refused(format, std::slice::from_ref(&l), "`u`");
        }
    }
    // A trailing `</s>` would be stripped too; in a reference as well.
    let mut l = list("u");
    l.hyps[0].words.push("</s>");
    for format in FORMATS {
        refused(format, std::slice::from_ref(&l), "hypothesis 1");
    }
    let mut l = list("u");
    l.reference = Some(vec!["a b".to_string()]);
    for format in FORMATS {
        refused(format, std::slice::from_ref(&l), "reference");
    }
    // `<s>` inside a hypothesis reads back as written.
    let mut l = list("u");
    l.hyps[0].words.insert(1, "<s>");
    for format in FORMATS {
        assert_eq!(
            write(format, std::slice::from_ref(&l)).unwrap()[0].hyps[0].words,
            l.hyps[0].words
        );
    }
}

#[test]
fn writers_refuse_non_finite_scores() {
    let cases: [fn(&mut Hypothesis); 4] = [
        |h| h.acoustic = f64::NAN,
        |h| h.lm = Some(f64::INFINITY),
        |h| h.acoustic = f64::NEG_INFINITY,
        |h| {
            h.extra.insert("total".into(), f64::NAN);
        },
    ];
    for (k, set) in cases.into_iter().enumerate() {
        let mut l = list("u");
        set(&mut l.hyps[0]);
        for format in FORMATS {
            // `-inf`, a probability of zero, is written by SRILM and Kaldi
            // (tests/rescore_zero.rs); JSON has no infinity.
            if k == 2 && format != Format::Jsonl {
                let back = write(format, std::slice::from_ref(&l)).unwrap();
                assert_eq!(back[0].hyps[0].acoustic, f64::NEG_INFINITY, "{format}");
                continue;
            }
            refused(format, std::slice::from_ref(&l), "not a finite number");
        }
    }
}

#[test]
fn writers_refuse_duplicate_ids() {
    let lists = [list("u"), list("u")];
    for format in FORMATS {
        refused(format, &lists, "duplicate");
    }
}

#[test]
fn writers_refuse_unusable_ids() {
    // SRILM: a file name (and a key of `refs`); Kaldi: a key; JSONL: any string.
    for id in ["", ".", "..", "a/b", "a b", "a\nb", "nul\0"] {
        refused(Format::Srilm, &[list(id)], "utterance id");
        let kaldi = write(Format::Kaldi, &[list(id)]);
        if id.is_empty() || id.contains(char::is_whitespace) {
            let err = kaldi.expect_err(id);
            assert!(err.contains("utterance id"), "{id:?}: {err}");
        } else {
            assert_eq!(kaldi.unwrap()[0].id, id);
        }
        assert_eq!(write(Format::Jsonl, &[list(id)]).unwrap()[0].id, id);
    }
}

#[test]
fn srilm_write_dir_never_writes_outside_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut l = list("u");
    l.hyps[0].extra.insert("../escape".into(), -1.0);
    let err = srilm::write_dir(&out, &[l]).unwrap_err().to_string();
    assert!(err.contains("score name"), "{err}");
    assert!(!dir.path().join("escape").exists());
    let mut l = list("../../escape");
    l.hyps[0].extra.clear();
    assert!(srilm::write_dir(&out, &[l]).is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // A score called `refs` would be a directory where the references go.
    let mut l = list("u");
    l.hyps[0].extra.insert("refs".into(), -1.0);
    assert!(srilm::write_dir(&out, &[l]).is_err());
    // Kaldi: `<name>.score`.
    let mut l = list("u");
    l.hyps[0].extra.insert("a/b".into(), -1.0);
    assert!(kaldi::write_dir(&out, &[l]).is_err());
}

#[test]
fn jsonl_refuses_extra_scores_named_like_the_fields() {
    for name in ["lm", "words", "acoustic"] {
        let mut l = list("u");
        l.hyps[0].extra.insert(name.into(), -1.0);
        let mut out = Vec::new();
        let err = jsonl::write(&mut out, &[l]).unwrap_err().to_string();
        assert!(err.contains(name), "{err}");
    }
}

#[test]
fn kaldi_refuses_a_list_without_hypotheses() {
    // It would not be in `text`, and read back it would be gone.
    let lists = [list("u"), NbestList::new("empty").with_reference("a")];
    refused(Format::Kaldi, &lists, "`empty`");
    // The other formats keep it.
    for format in [Format::Jsonl, Format::Srilm] {
        assert_eq!(write(format, &lists).unwrap().len(), 2);
    }
}

#[test]
fn direct_writers_check_too() {
    let mut l = list("u");
    l.hyps[0].words = ["a b"].into_iter().collect();
    assert!(srilm::write_file(&mut Vec::new(), &l).is_err());
    let words = ["a\nb".to_string()];
    assert!(kaldi::write_text(&mut Vec::new(), [("k", &words[..])]).is_err());
    let ok = ["a".to_string()];
    assert!(kaldi::write_text(&mut Vec::new(), [("k 2", &ok[..])]).is_err());
    assert!(kaldi::write_text(&mut Vec::new(), [("", &ok[..])]).is_err());
}

#[test]
fn features_cover_every_hypothesis() {
    let l = list("u").with_hyp(Hypothesis::new("a", -3.0));
    let f = features(&l, &[-1.0]);
    assert_eq!(f.len(), 2);
    assert!(f[1].new_lm.is_nan());
    // Scored with too few new LM scores, a list keeps all its hypotheses,
    // the unscored ones ranked last.
    let r = Rescorer::new(&lm(), Weights::default()).rescore_scored(&l, &[-1.0]);
    assert_eq!(r.order, [0, 1]);
    assert_eq!(r.apply(&l, None).hyps.len(), 2);
}

#[test]
fn applying_a_result_to_another_list_is_an_error() {
    let l = list("u").with_hyp(Hypothesis::new("a", -3.0));
    let r = Rescorer::new(&lm(), Weights::default()).rescore(&l);
    assert!(r.try_apply(&l, None).is_ok());
    let shorter = list("u");
    let err = r.try_apply(&shorter, None).unwrap_err();
    assert!(err.to_string().contains("2 hypotheses"), "{err}");
    let other = list("v").with_hyp(Hypothesis::new("b c", -9.0));
    assert!(r.try_apply(&other, None).is_err());
    assert_eq!(
        r.try_apply_into(shorter, None).unwrap_err(),
        r.try_apply(&list("u"), None).unwrap_err()
    );
}

#[test]
fn applying_by_moving_equals_applying_by_copying() {
    let l = list("u")
        .with_hyp(Hypothesis::new("a b", -3.0).with_extra("conf", 0.5))
        .with_hyp(Hypothesis::new("b", -1.0));
    let mut r = Rescorer::new(&lm(), Weights::default()).rescore(&l);
    for top in [None, Some(0), Some(1), Some(2), Some(9)] {
        assert_eq!(
            r.try_apply_into(l.clone(), top),
            r.try_apply(&l, top),
            "{top:?}"
        );
    }
    // A hand-made order naming a hypothesis twice: copied, then moved.
    r.order = vec![2, 0, 2, 1];
    let copied = r.try_apply(&l, None).unwrap();
    assert_eq!(copied.hyps.len(), 4);
    assert_eq!(r.try_apply_into(l, None).unwrap(), copied);
}

#[test]
fn mbr_with_an_infinite_or_nan_scale() {
    let hyps = [&["a"][..], &["b"][..], &["b", "c"][..]];
    let d = DistanceMatrix::new(&hyps);
    let totals = [-3.0, -1.0, -2.0];
    // Infinite scale: all the mass on the top score (the limit of large scales).
    assert_eq!(posteriors(&totals, f64::INFINITY), [0.0, 1.0, 0.0]);
    assert_eq!(posteriors(&totals, 1e300), [0.0, 1.0, 0.0]);
    let mut buf = Vec::new();
    for scale in [f64::INFINITY, f64::NAN, 1e300] {
        let s = select(&d, &totals, scale);
        assert_eq!(s.choice, 1, "scale {scale}");
        assert_eq!(
            select_index(&d, &totals, scale, &mut buf),
            1,
            "scale {scale}"
        );
    }
    // Ties at an infinite scale share the mass.
    assert_eq!(
        posteriors(&[0.0, 0.0, -1.0], f64::INFINITY),
        [0.5, 0.5, 0.0]
    );
}

#[test]
fn plateau_centre_with_an_infinite_margin() {
    let t = GridTable {
        scale: None,
        lm_weights: vec![0.0, 1.0, 2.0],
        wips: vec![0.0],
        errors: vec![3, 0, 5],
    };
    assert_eq!(
        plateau_centre(std::slice::from_ref(&t), f64::INFINITY),
        (0, 1, 0)
    );
    assert_eq!(
        plateau_centre(std::slice::from_ref(&t), f64::NAN),
        (0, 1, 0)
    );
}

#[test]
fn try_tune_refuses_what_tune_cannot_search() {
    let l = list("u").with_hyp(Hypothesis::new("a", -3.0));
    let set = TuneSet::new(std::slice::from_ref(&l), &[vec![-1.0, -2.0]], false);
    let ok = TuneOptions {
        lm_weights: vec![0.0, 1.0],
        wips: vec![0.0],
        ..TuneOptions::default()
    };
    assert!(try_tune(&set, &ok).is_ok());
    let bad = [
        TuneOptions {
            lm_weights: vec![],
            ..ok.clone()
        },
        TuneOptions {
            wips: vec![],
            ..ok.clone()
        },
        TuneOptions {
            lm_weights: vec![f64::NAN],
            ..ok.clone()
        },
        TuneOptions {
            wips: vec![0.0, f64::INFINITY],
            ..ok.clone()
        },
        TuneOptions {
            scales: vec![1.0],
            ..ok.clone()
        }, // a set without MBR
        TuneOptions {
            plateau: Some(f64::NAN),
            ..ok.clone()
        },
        TuneOptions {
            fine_divisions: usize::MAX,
            ..ok.clone()
        },
        TuneOptions {
            base: Weights {
                acoustic_scale: f64::NAN,
                ..Weights::default()
            },
            ..ok.clone()
        },
    ];
    for o in bad {
        assert!(try_tune(&set, &o).is_err(), "{o:?}");
    }
    let mbr = TuneSet::new(&[l], &[vec![-1.0, -2.0]], true);
    assert!(try_tune(
        &mbr,
        &TuneOptions {
            scales: vec![1.0],
            ..ok.clone()
        }
    )
    .is_ok());
    assert!(try_tune(
        &mbr,
        &TuneOptions {
            scales: vec![f64::NAN],
            ..ok
        }
    )
    .is_err());
}

#[test]
fn tune_set_with_missing_scores_keeps_every_list() {
    // One list's scores missing, another's short: neither panics nor drops a list.
    let a = list("a").with_hyp(Hypothesis::new("x", -3.0));
    let b = list("b");
    for mbr in [false, true] {
        let set = TuneSet::new(&[a.clone(), b.clone()], &[vec![-1.0]], mbr);
        assert_eq!(set.len(), 2);
        assert_eq!(set.errors(&Weights::default(), mbr.then_some(1.0)), 0);
    }
}

#[test]
fn nbest_wer_counts_lists_without_a_choice() {
    let l = list("u");
    let w = nbest_wer(&[l.clone(), l], &[Some(0)]);
    assert_eq!(w.lists, 2);
    assert_eq!(w.chosen.deletions, 2); // the second list: the empty hypothesis
}

#[test]
fn weights_and_rescorer_check() {
    assert!(Weights::default().check().is_ok());
    let w = Weights {
        lm_weight: f64::NAN,
        ..Weights::default()
    };
    assert!(w.check().unwrap_err().contains("lm_weight"));
    let lm = lm();
    assert!(Rescorer::new(&lm, Weights::default()).check().is_ok());
    assert!(Rescorer::new(&lm, w).check().is_err());
    for s in [f64::NAN, f64::NEG_INFINITY] {
        assert!(Rescorer::new(&lm, Weights::default())
            .with_mbr(s)
            .check()
            .is_err());
    }
}

#[test]
fn rescored_from_features_with_mismatched_mbr_words() {
    let f = HypFeatures {
        acoustic: -1.0,
        first_pass_lm: 0.0,
        new_lm: -1.0,
        num_words: 1,
        extra: 0.0,
        extra_times_lm: 0.0,
    };
    let words = vec![Words::split("a")];
    // Two hypotheses, words for one: the missing words are treated as empty.
    let r = Rescored::from_features(vec![f, f], &Weights::default(), Some((&words, 1.0)));
    assert_eq!(r.order.len(), 2);
}

#[test]
fn tune_refuses_a_smoothing_radius_it_would_ignore_and_overflowing_cells() {
    let set = TuneSet::new(&[list("u")], &[vec![-1.0]], false);
    // Before: the radius was ignored under the (default) plateau rule.
    let smooth = TuneOptions {
        smooth_radius: 2,
        ..TuneOptions::default()
    };
    let err = try_tune(&set, &smooth).unwrap_err();
    assert!(err.contains("smoothing radius (2)"), "{err}");
    let plain = TuneOptions {
        plateau: None,
        ..smooth
    };
    assert!(try_tune(&set, &plain).is_ok());
    // Before: every total infinite, and the cell chosen anyway.
    let huge = TuneOptions {
        lm_weights: vec![1.0],
        wips: vec![0.0, 1e308],
        ..TuneOptions::default()
    };
    let err = try_tune(&set, &huge).unwrap_err();
    assert_eq!(
        err,
        "LM weight 1, word insertion penalty 1e308: utterance `u`, hypothesis 1: the \
         combined score is inf (weights or scores too large)"
    );
    // A hypothesis without a new LM score ranks last (NaN total), as
    // `TuneSet::new` documents: not an overflow.
    let two = list("u").with_hyp(Hypothesis::new("a cat", -3.0));
    let set = TuneSet::new(&[two], &[vec![-1.0]], false);
    let r = try_tune(&set, &TuneOptions::default()).unwrap();
    assert_eq!(r.errors, 0);
}

#[test]
fn mbr_select_index_ranks_a_nan_total_below_minus_infinity_as_select_does() {
    // Before: `select` chose 1 (-inf ranks above NaN) and `select_index` 0
    // (NaN taken for -inf, the tie broken by index).
    let d = DistanceMatrix::new(&[&["a"][..], &["b"][..]]);
    let mut buf = Vec::new();
    let cases: [&[f64]; 4] = [
        &[f64::NAN, f64::NEG_INFINITY],
        &[f64::NEG_INFINITY, f64::NAN],
        &[f64::NAN, f64::NAN],
        &[f64::NAN, f64::NEG_INFINITY, -1.0],
    ];
    for totals in cases {
        let d = if totals.len() == 3 {
            DistanceMatrix::new(&[&["a"][..], &["b"][..], &["c"][..]])
        } else {
            d.clone()
        };
        for scale in [1.0, 0.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                select_index(&d, totals, scale, &mut buf),
                select(&d, totals, scale).choice,
                "{totals:?}, scale {scale}"
            );
        }
    }
}

/// A list too large for MBR is named by `mbr::check_lists`, and MBR rescoring
/// or a `TuneSet` with `mbr` panics with that reason before allocating its
/// distances (before: 60,000 empty hypotheses aborted the process asking for
/// 14.4 GB).
#[test]
fn mbr_on_a_list_past_its_limits_is_refused_before_allocating() {
    use dashlm::rescore::{mbr, Rescorer, TuneSet, Weights};
    let lm =
        dashlm::ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    let mut list = NbestList::new("u").with_reference("a");
    list.hyps = vec![Hypothesis::new("", -1.0); 60_000];
    let lists = [list];
    let err = mbr::check_lists(&lists).unwrap_err();
    assert!(
        err.starts_with("utterance `u` has 60000 hypotheses"),
        "{err}"
    );
    let rescorer = Rescorer::new(&lm, Weights::default()).with_mbr(1.0);
    let panic = std::panic::catch_unwind(|| rescorer.rescore(&lists[0])).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("a list has 60000 hypotheses"), "{message}");
    let scores = vec![vec![0.0; 60_000]];
    assert!(std::panic::catch_unwind(|| TuneSet::new(&lists, &scores, true)).is_err());
    assert!(TuneSet::new(&lists, &scores, false).len() == 1);
}
