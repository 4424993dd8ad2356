//! `dashlm rescore`, `tune` and `wer` on inputs, outputs and options that
//! must fail clearly: no lists, word splits, byte-order marks, negative
//! values, missing references, standard input twice, clipped quotes and
//! repeated JSON keys.

mod rescore_cli_common;

use std::fs;
use std::path::Path;

use rescore_cli_common::*;

#[test]
fn an_input_without_lists_is_an_error_naming_what_was_looked_for() {
    // Before: exit 0, `scored 0 utterances`, nothing written.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = data("sample-3gram.arpa");
    let empty = d.join("empty");
    fs::create_dir(&empty).unwrap();
    let txt = d.join("txt");
    fs::create_dir(&txt).unwrap();
    fs::write(txt.join("u1.txt"), "-10.5 -3.2 2 the device\n").unwrap();
    let kaldi_empty = d.join("kaldi");
    fs::create_dir(&kaldi_empty).unwrap();
    for f in ["text", "ac_cost", "lm_cost"] {
        fs::write(kaldi_empty.join(f), "").unwrap();
    }
    let jsonl_empty = d.join("empty.jsonl");
    fs::write(&jsonl_empty, "\n\n").unwrap();
    let kaldi_sample = data("sample.kaldi");
    let cases: [(&Path, &str, &str); 5] = [
        (&empty, "srilm", "expected `<id>.nbest` files (or `.nbest.gz`, `.nbest.xz`) in the directory; it is empty"),
        (&txt, "srilm", "in the directory; it holds `u1.txt`"),
        (&kaldi_sample, "srilm", "(it looks like a Kaldi n-best directory: give --format kaldi)"),
        (&kaldi_empty, "kaldi", "text has no hypotheses"),
        (&jsonl_empty, "jsonl", "expected JSON objects, one utterance per line"),
    ];
    for (input, format, expected) in cases {
        for command in [
            &["rescore", "--format", format, "--best-text", "-"][..],
            &["tune", "--format", format][..],
        ] {
            let args = on_input(s(&model), s(input), command);
            let out = dashlm(&args);
            let err = String::from_utf8(out.stderr).unwrap();
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            let head = format!("dashlm: {}: no n-best lists found: ", input.display());
            assert!(
                err.starts_with(&head) && err.contains(expected),
                "{args:?}: {err}"
            );
            assert!(!err.contains("scored"), "{err}");
        }
    }
}

/// A path read in another format than the one it holds: the read error
/// says which format it looks like, and the `--format` to give.
#[test]
fn a_path_read_in_the_wrong_format_names_the_format_it_looks_like() {
    let model = data("sample-3gram.arpa");
    let (kaldi, srilm, jsonl) = (
        data("sample.kaldi"),
        data("sample.srilm"),
        data("sample.jsonl"),
    );
    let srilm_file = srilm.join("synth_00042.nbest");
    let cases: [(&Path, &str, &str); 5] = [
        (&kaldi, "jsonl", "looks like a Kaldi n-best directory (`text` or `words`, and `ac_cost`): give --format kaldi"),
        (&srilm, "jsonl", "looks like a directory of SRILM n-best files (`*.nbest`): give --format srilm"),
        (&jsonl, "kaldi", "looks like JSONL n-best lists (its first line starts with `{`): give --format jsonl"),
        (&srilm, "kaldi", "looks like a directory of SRILM n-best files (`*.nbest`): give --format srilm"),
        (&srilm_file, "kaldi", "looks like an SRILM n-best file (scores first, or an `NBestList` header): give --format srilm"),
    ];
    for (input, format, expected) in cases {
        let args = on_input(
            s(&model),
            s(input),
            &["rescore", "--format", format, "--best-text", "-"],
        );
        let out = dashlm(&args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("read error: ") && err.contains(expected),
            "{args:?}: {err}"
        );
    }
    // Errors other than read errors get the hint too (before: only those).
    let args = on_input(s(&model), s(&srilm_file), &["rescore", "--best-text", "-"]);
    let out = dashlm(&args);
    let err = String::from_utf8(out.stderr).unwrap();
    let expected = format!(
        "synth_00042.nbest:1: invalid JSON: trailing characters at column 11; {} looks \
         like an SRILM n-best file (scores first, or an `NBestList` header): give --format srilm",
        srilm_file.display()
    );
    assert!(err.contains(&expected), "{err}");
    // A Decipher file, with its header or without (before: no hint; the
    // guess read only the reader's first 8 bytes, `NBestLis`).
    let tmp = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("v1.nbest", "NBestList1.0\n(-100) a b\n"),
        ("bare.nbest", "(-100) a b\n"),
    ] {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = dashlm(&on_input(
            s(&model),
            s(&path),
            &["rescore", "--best-text", "-"],
        ));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("looks like an SRILM n-best file"),
            "{name}: {err}"
        );
    }
    // Read in its own format, nothing is guessed.
    let args = on_input(
        s(&model),
        s(&jsonl),
        &["rescore", "--format", "jsonl", "--best-text", "-"],
    );
    let (_, err) = ok(&args);
    assert!(!err.contains("looks like"), "{err}");
}

#[test]
fn words_are_split_on_ascii_whitespace_only_everywhere() {
    // Before: rescore and wer split on U+00A0 (and wrote it back as a
    // space) while query and the ARPA reader took it as part of a word.
    let dir = tempfile::tempdir().unwrap();
    let model = data("sample-3gram.arpa");
    let input = dir.path().join("nbsp.jsonl");
    fs::write(
        &input,
        "{\"id\": \"u1\", \"ref\": \"the device\", \"hyps\": [{\"words\": \"the\u{a0}device\", \"acoustic\": -1}, {\"words\": \"the\u{3000}device\u{2028}now\", \"acoustic\": -2}]}\n",
    )
    .unwrap();
    let (out, err) = ok(&on_input(s(&model), s(&input), &["rescore"]));
    let lists = dashlm::rescore::jsonl::read(out.as_bytes(), "out").unwrap();
    let words: Vec<Vec<String>> = lists[0].hyps.iter().map(|h| h.words.to_strings()).collect();
    assert!(
        words.contains(&vec!["the\u{a0}device".to_string()]),
        "{words:?}"
    );
    assert!(
        words.contains(&vec!["the\u{3000}device\u{2028}now".to_string()]),
        "{words:?}"
    );
    assert!(out.contains("the\u{a0}device"), "{out}");
    // One word against the reference's two: a substitution and a deletion.
    assert!(
        err.contains("1-best (input) %WER 100.00 [ 2 / 2, 0 ins, 1 del, 1 sub ]"),
        "{err}"
    );
    let (r, h) = (dir.path().join("ref"), dir.path().join("hyp"));
    fs::write(&r, "u1 the device\n").unwrap();
    fs::write(&h, "u1 the\u{a0}device\n").unwrap();
    let (out, _) = ok(&["wer", "--ref", s(&r), "--hyp", s(&h)]);
    assert!(
        out.starts_with("%WER 100.00 [ 2 / 2, 0 ins, 1 del, 1 sub ]"),
        "{out}"
    );
    // A vertical tab separates words, as in KenLM.
    fs::write(&h, "u1 the\x0bdevice\n").unwrap();
    let (out, _) = ok(&["wer", "--ref", s(&r), "--hyp", s(&h)]);
    assert!(out.starts_with("%WER 0.00 [ 0 / 2,"), "{out}");
}

#[test]
fn outputs_are_opened_before_the_scoring_and_write_errors_name_them() {
    // Before: `dashlm: No such file or directory (os error 2)` after the
    // scoring, and --output written in full when --best-text then failed.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = data("sample-3gram.arpa");
    let input = data("sample.jsonl");
    let missing = d.join("missing-dir");
    let (out_missing, best_missing) = (missing.join("o.jsonl"), missing.join("best.txt"));
    let rescore = |extra: &[&str]| {
        let mut args = vec!["rescore"];
        args.extend_from_slice(extra);
        on_input(s(&model), s(&input), &args)
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let refused_with = |extra: &[&str], expected: &str| {
        let args = rescore(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = dashlm(&args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.starts_with(expected), "{args:?}: {err}");
        // Refused before the model was loaded and the lists scored.
        assert!(!err.contains("scored"), "{err}");
    };
    let no_such = format!(
        "cannot create a file in {}: No such file or directory",
        missing.display()
    );
    refused_with(
        &["--output", s(&out_missing)],
        &format!("dashlm: {}: {no_such}", out_missing.display()),
    );
    // The lists' output, new or old, is left as it was.
    let new = d.join("new.jsonl");
    refused_with(
        &["--output", s(&new), "--best-text", s(&best_missing)],
        &format!("dashlm: {}: {no_such}", best_missing.display()),
    );
    assert!(!new.exists());
    let old = d.join("old.jsonl");
    fs::write(&old, "kept\n").unwrap();
    refused_with(
        &["--output", s(&old), "--best-text", s(&best_missing)],
        &format!("dashlm: {}: {no_such}", best_missing.display()),
    );
    assert_eq!(fs::read_to_string(&old).unwrap(), "kept\n");
    // A directory output created for the run is removed when it fails.
    let srilm = d.join("srilm-out");
    let srilm_input = data("sample.srilm");
    let args = on_input(
        s(&model),
        s(&srilm_input),
        &[
            "rescore",
            "--format",
            "srilm",
            "--output",
            s(&srilm),
            "--acoustic-scale",
            "1e307",
        ],
    );
    refused_as_given(&args, "the combined score is -inf");
    assert!(!srilm.exists());
    // A full standard output is named, as for `query` and `dump`, for every
    // command that writes it.
    let full = Path::new("/dev/full");
    let refs = data("sample.refs");
    for args in [
        rescore(&[]),
        rescore(&["--best-text", "-"]),
        on_input(
            s(&model),
            s(&input),
            &["tune", "--json", "--lm-weights", "0,1", "--wips", "0"],
        )
        .into_iter()
        .map(str::to_string)
        .collect(),
        ["wer", "--ref", s(&refs), "--hyp", s(&refs)]
            .map(str::to_string)
            .to_vec(),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = dashlm_with(&args, None, Some(full));
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("dashlm: standard output: No space left on device")
                && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_byte_order_mark_is_one_clear_error_at_line_1() {
    // Before: `invalid JSON: expected value at line 1 column 1`, an SRILM
    // "number" `\u{feff}-10.5`, `wer`'s `no hypothesis for `u1``.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = data("sample-3gram.arpa");
    let bom = "\u{feff}";
    let jsonl = d.join("bom.jsonl");
    fs::write(
        &jsonl,
        format!("{bom}{}", fs::read_to_string(data("sample.jsonl")).unwrap()),
    )
    .unwrap();
    let srilm = d.join("srilm");
    fs::create_dir(&srilm).unwrap();
    fs::write(
        srilm.join("u1.nbest"),
        format!("{bom}-10.5 -3.2 2 the device\n"),
    )
    .unwrap();
    let kaldi = d.join("kaldi");
    fs::create_dir(&kaldi).unwrap();
    fs::write(kaldi.join("text"), format!("{bom}u1-1 the device\n")).unwrap();
    fs::write(kaldi.join("ac_cost"), "u1-1 10\n").unwrap();
    let refs = d.join("refs");
    fs::write(&refs, format!("{bom}u1 the device\n")).unwrap();
    let plain = d.join("plain");
    fs::write(&plain, "u1 the device\n").unwrap();
    let message = ":1: starts with a UTF-8 byte-order mark (U+FEFF); remove it";
    for (args, file) in [
        (on_input(s(&model), s(&jsonl), &["rescore"]), jsonl.clone()),
        (
            on_input(
                s(&model),
                s(&srilm),
                &["rescore", "--format", "srilm", "--best-text", "-"],
            ),
            srilm.join("u1.nbest"),
        ),
        (
            on_input(
                s(&model),
                s(&srilm.join("u1.nbest")),
                &["tune", "--format", "srilm"],
            ),
            srilm.join("u1.nbest"),
        ),
        (
            on_input(
                s(&model),
                s(&kaldi),
                &["rescore", "--format", "kaldi", "--best-text", "-"],
            ),
            kaldi.join("text"),
        ),
        (
            vec!["wer", "--ref", s(&refs), "--hyp", s(&plain)],
            refs.clone(),
        ),
        (
            vec!["wer", "--ref", s(&plain), "--hyp", s(&refs)],
            refs.clone(),
        ),
        (
            vec!["wer", "--ref", s(&jsonl), "--hyp", s(&plain)],
            jsonl.clone(),
        ),
    ] {
        refused_as_given(&args, &format!("dashlm: {}{message}", file.display()));
    }
}

#[test]
fn options_take_negative_values_and_give_their_own_message() {
    // Before: `error: unexpected argument '-1' found` for all but --wips.
    let w = ["--lm-weight", "1", "--wip", "0"];
    for (args, expected) in [
        (
            vec!["tune", "--lm-weights", "-1:3:1", "--wips", "x"],
            "--wips `x` is not a number",
        ),
        (
            vec!["tune", "--lm-weights", "-1,2", "--wips", "x"],
            "--wips `x` is not a number",
        ),
        (
            vec!["tune", "--plateau", "-1"],
            "`-1`: expected a margin >= 0",
        ),
        (
            vec!["tune", "--mbr", "--scales", "-1"],
            "--scales `-1`: -1 is negative",
        ),
        (
            vec!["tune", "--smooth", "-1", "--plateau", "off"],
            "`-1`: expected a radius >= 0",
        ),
        (
            vec!["tune", "--fine", "-1"],
            "`-1`: expected 2 to 100 subdivisions (or 0, no finer pass)",
        ),
        // One subdivision is no finer pass (before: taken, and nothing done).
        (
            vec!["tune", "--fine", "1"],
            "`1`: expected 2 to 100 subdivisions (or 0, no finer pass)",
        ),
        (
            vec!["tune", "--threads", "-1"],
            "`-1`: expected a number of threads from 1 to 1024",
        ),
        (
            vec!["tune", "--acoustic-scale", "-inf"],
            "`-inf`: expected a finite number",
        ),
        (
            vec![
                "rescore",
                w[0],
                w[1],
                w[2],
                w[3],
                "--mbr",
                "--mbr-scale",
                "-1",
            ],
            "`-1`: expected a scale >= 0",
        ),
        (
            vec!["rescore", "--lm-weight", "-inf", w[2], w[3]],
            "`-inf`: expected a finite number",
        ),
        (
            vec!["rescore", w[0], w[1], "--wip", "-nan"],
            "`-nan`: expected a finite number",
        ),
        (
            vec!["rescore", w[0], w[1], w[2], w[3], "--top", "-1"],
            "`-1`: expected a number of hypotheses >= 1",
        ),
        (
            vec![
                "rescore",
                w[0],
                w[1],
                w[2],
                w[3],
                "--first-pass-lm-weight",
                "-x",
            ],
            "`-x` is not a number",
        ),
    ] {
        refused(&args, expected);
    }
    // Negative values that are valid are taken.
    let (model, input) = (data("sample-3gram.arpa"), data("sample.jsonl"));
    let (out, _) = ok(&on_input(
        s(&model),
        s(&input),
        &["tune", "--json", "--lm-weights", "-1:3:1", "--wips", "-2,0"],
    ));
    assert!(out.contains("\"lm_weight\""), "{out}");
    ok(&[
        "rescore",
        "--model",
        s(&model),
        "--input",
        s(&input),
        "--lm-weight",
        "-1",
        "--wip",
        "-2",
        "--acoustic-scale",
        "0.5",
        "--first-pass-lm-weight",
        "-1",
        "--best-text",
        "-",
    ]);
}

#[test]
fn tune_refuses_smoothing_that_the_plateau_rule_would_ignore() {
    // Before: `--smooth 5` silently ignored (the plateau rule chose the cell).
    refused(&["tune", "--smooth", "5"], "--smooth 5 needs --plateau off");
    refused(
        &["tune", "--smooth", "5", "--plateau", "0.1"],
        "--smooth 5 needs --plateau off",
    );
}

#[test]
fn tune_refuses_grid_cells_whose_totals_overflow() {
    // Before: `"wip":1e+308` chosen where every total is infinite.
    // The list is sorted: -1e308 is the first cell.
    refused(
        &["tune", "--lm-weights", "1", "--wips", "1e308,-1e308"],
        "dashlm: LM weight 1, word insertion penalty -1e308: utterance `synth_00042`, \
         hypothesis 1: the combined score is -inf (weights or scores too large)",
    );
    refused(
        &["tune", "--lm-weights", "1", "--wips", "0,1e308"],
        "dashlm: LM weight 1, word insertion penalty 1e308: utterance `synth_00042`, \
         hypothesis 1: the combined score is inf (weights or scores too large)",
    );
    refused(
        &["tune", "--lm-weights", "0,1e308", "--wips", "0"],
        "LM weight 1e308, word insertion penalty 0: utterance `synth_00042`, hypothesis 1: \
         the combined score is -inf",
    );
    refused(
        &["rescore", "--lm-weight", "1", "--wip", "1e308"],
        "utterance `synth_00042`, hypothesis 1: the combined score is inf",
    );
    // Before: "the combined score is NaN", for weighted extra scores whose sum
    // overflowed (its sign is not kept).
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x.jsonl");
    fs::write(
        &input,
        "{\"id\": \"u1\", \"hyps\": [{\"words\": \"the cat\", \"acoustic\": -1, \"x\": -1e308}]}\n",
    )
    .unwrap();
    let model = data("sample-3gram.arpa");
    let args = on_input(s(&model), s(&input), &["rescore", "--score-weight", "x=2"]);
    refused_as_given(
        &args,
        "utterance `u1`, hypothesis 1: the combined score overflows (weights or scores too large)",
    );
}

#[test]
fn references_every_utterance_for_tune_a_subset_said_so_for_rescore() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = data("sample-3gram.arpa");
    // The sample without the references of its first three utterances.
    let sample = fs::read_to_string(data("sample.jsonl")).unwrap();
    let partial: String = sample
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let l = match i < 3 {
                true => {
                    let start = l.find(", \"ref\": ").unwrap();
                    let end = l.find(", \"hyps\"").unwrap();
                    format!("{}{}", &l[..start], &l[end..])
                }
                false => l.to_string(),
            };
            format!("{l}\n")
        })
        .collect();
    let input = d.join("partial.jsonl");
    fs::write(&input, partial).unwrap();
    let refs_all = data("sample.refs");
    let part = d.join("part.refs");
    let all = fs::read_to_string(&refs_all).unwrap();
    let second = all.lines().nth(1).unwrap();
    fs::write(&part, format!("{second}\n")).unwrap();
    // tune: the same error however the references are given (before: the
    // subset with references was tuned on, silently).
    refused_as_given(
        &on_input(s(&model), s(&input), &["tune"]),
        "3 of 5 utterances have no reference in the input (give the missing ones with --refs) \
         (the first: `synth_00042`): tune needs one for every utterance",
    );
    refused_as_given(
        &on_input(s(&model), s(&input), &["tune", "--refs", s(&part)]),
        &format!(
            "2 of 5 utterances have no reference in the input or in {}",
            part.display()
        ),
    );
    ok(&on_input(
        s(&model),
        s(&input),
        &[
            "tune",
            "--refs",
            s(&refs_all),
            "--lm-weights",
            "0,1",
            "--wips",
            "0",
        ],
    ));
    // rescore: the WER of the subset, said so.
    let (_, err) = ok(&on_input(
        s(&model),
        s(&input),
        &["rescore", "--best-text", "-"],
    ));
    assert!(
        err.contains("WER over 2 of 5 utterances with references:"),
        "{err}"
    );
    let (_, err) = ok(&on_input(
        s(&model),
        s(&input),
        &["rescore", "--best-text", "-", "--refs", s(&part)],
    ));
    assert!(
        err.contains("WER over 3 of 5 utterances with references:"),
        "{err}"
    );
    // The stderr of rescoring `input` with references `text` (written to
    // `name`), and their path.
    let with_refs = |name: &str, text: &str| {
        let refs = d.join(name);
        fs::write(&refs, text).unwrap();
        let args = ["rescore", "--best-text", "-", "--refs", s(&refs)];
        (ok(&on_input(s(&model), s(&input), &args)).1, refs)
    };
    // --refs replaces an utterance's own, different reference: said once.
    let (err, other) = with_refs("other.refs", "synth_00076 a b c\nsynth_00120 d e\n");
    let warning = format!(
        "dashlm: warning: {}: replaces the input's own, different reference of 2 utterance(s) \
         (the first: `synth_00076`)",
        other.display()
    );
    assert_eq!(err.matches("warning").count(), 1, "{err}");
    assert!(err.contains(&warning), "{err}");
    // References for utterances the input does not have, beside used ones:
    // said (before: silently unused).
    let (err, extra) = with_refs("extra.refs", "synth_00076 a b c\nzz_1 x\nzz_0 y\n");
    let warning = format!(
        "dashlm: warning: {}: 2 of its 3 references are for no utterance of the input (the \
         first by id: `zz_0`)",
        extra.display()
    );
    assert!(err.contains(&warning), "{err}");
    // The same references: no warning.
    let (_, err) = ok(&on_input(
        s(&model),
        s(&data("sample.jsonl")),
        &["rescore", "--best-text", "-", "--refs", s(&refs_all)],
    ));
    assert!(!err.contains("warning"), "{err}");
    // JSONL references (`ref`), as `wer --ref` reads them: the same run.
    let (out, _) = ok(&on_input(
        s(&model),
        s(&input),
        &[
            "rescore",
            "--best-text",
            "-",
            "--refs",
            s(&data("sample.jsonl")),
        ],
    ));
    let (same, _) = ok(&on_input(
        s(&model),
        s(&input),
        &["rescore", "--best-text", "-", "--refs", s(&refs_all)],
    ));
    assert_eq!(out, same);
    // References for no utterance of the input (or none at all) are the wrong
    // file (before: ignored, the WER taken from the input's own).
    let wrong = d.join("wrong.refs");
    for text in ["x1 a b\nx2 c\n", ""] {
        fs::write(&wrong, text).unwrap();
        let n = text.lines().count();
        for command in ["rescore", "tune"] {
            refused_as_given(
                &on_input(s(&model), s(&input), &[command, "--refs", s(&wrong)]),
                &format!(
                    "{}: none of its {n} references is for an utterance of the input \
                     (the input's first id: `synth_00042`)",
                    wrong.display()
                ),
            );
        }
    }
}

#[test]
fn standard_input_is_read_once_and_never_as_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let model = data("sample-3gram.arpa");
    let refs = data("sample.refs");
    // Before: `-: no hypothesis for `synth_00042``.
    let out = dashlm_with(&["wer", "--ref", "-", "--hyp", "-"], Some(&refs), None);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("dashlm: --ref and --hyp are both `-`: standard input can be given once"),
        "{err}"
    );
    let input = dir.path().join("in.jsonl");
    fs::copy(data("sample.jsonl"), &input).unwrap();
    let out = dashlm_with(
        &on_input(s(&model), "-", &["rescore", "--refs", "-"]),
        Some(&input),
        None,
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("dashlm: --input and --refs are both `-`"),
        "{err}"
    );
    // Before: `-/text: read error: No such file or directory`.
    for (format, expected) in [
        ("kaldi", "dashlm: standard input: read error: Kaldi n-best lists are read from a directory (`text`, `ac_cost`, ...), not from standard input"),
        ("srilm", "dashlm: standard input: read error: SRILM n-best lists are read from files, a list file or a directory"),
    ] {
        let args = on_input(s(&model), "-", &["rescore", "--format", format, "--best-text", "-"]);
        let out = dashlm_with(&args, Some(&input), None);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.starts_with(expected), "{err}");
    }
}

#[test]
fn errors_reading_standard_input_call_it_standard_input() {
    // Before: `dashlm: -: read error: Is a directory (os error 21)` from
    // `rescore --input -`, `--refs -` and `wer --ref -`, where `query` and
    // `rescore --model -` said `standard input: ...`.
    let dir = tempfile::tempdir().unwrap();
    let model = data("sample-3gram.arpa");
    let (jsonl, refs) = (data("sample.jsonl"), data("sample.refs"));
    let cases: [Vec<&str>; 4] = [
        on_input(s(&model), "-", &["rescore"]),
        on_input(s(&model), s(&jsonl), &["rescore", "--refs", "-"]),
        vec!["wer", "--ref", "-", "--hyp", s(&refs)],
        vec!["wer", "--ref", s(&refs), "--hyp", "-"],
    ];
    for args in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dashlm"))
            .args(&args)
            .stdin(fs::File::open(dir.path()).unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("dashlm: standard input: read error: Is a directory"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn one_stream_under_two_names_is_refused() {
    // Before: `--ref - --hyp /dev/stdin` on a pipe read the references,
    // then found no hypothesis left (status 0 with `--mode all`).
    let refs = fs::read(data("sample.refs")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dashlm"))
        .args(["wer", "--ref", "-", "--hyp", "/dev/stdin", "--mode", "all"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // It may refuse before reading: a closed pipe is no failure here.
    let _ = std::io::Write::write_all(&mut child.stdin.take().unwrap(), &refs);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("dashlm: --ref - and --hyp /dev/stdin are one stream (a pipe, FIFO or socket), which can be read once"),
        "{err}"
    );
    // A FIFO named two ways.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("refs");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    let again = dir.path().join(".").join("refs");
    let out = dashlm(&["wer", "--ref", s(&fifo), "--hyp", s(&again)]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("are one stream"), "{err}");
}

#[test]
fn quoted_input_in_errors_is_clipped() {
    // Before: the whole JSON line (several KB on real lists) in the message.
    let model = data("sample-3gram.arpa");
    let input = data("sample.jsonl");
    let out = dashlm(&on_input(
        s(&model),
        s(&input),
        &["rescore", "--format", "srilm", "--best-text", "-"],
    ));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("…: no such n-best file (the line looks like JSON"),
        "{err}"
    );
    assert!(err.len() < 400, "{} bytes: {err}", err.len());
}

#[test]
fn a_json_key_given_twice_is_an_error_naming_file_line_and_key() {
    // Before: `{"id": "u1", "id": "u2"}` was utterance u2.
    let dir = tempfile::tempdir().unwrap();
    let model = data("sample-3gram.arpa");
    let input = dir.path().join("dup.jsonl");
    let good = r#"{"id": "u0", "ref": "a", "hyps": [{"words": "a", "acoustic": -1}]}"#;
    for (line, key) in [
        (r#"{"id": "u1", "id": "u2", "hyps": []}"#, "id"),
        (
            r#"{"id": "u1", "hyps": [{"words": "a", "acoustic": -1, "acoustic": -2}]}"#,
            "acoustic",
        ),
    ] {
        fs::write(&input, format!("{good}\n{line}\n")).unwrap();
        let expected = format!(
            "dashlm: {}:2: key `{key}` appears twice in one JSON object",
            input.display()
        );
        refused_as_given(&on_input(s(&model), s(&input), &["rescore"]), &expected);
        refused_as_given(&["wer", "--ref", s(&input), "--hyp", s(&input)], &expected);
    }
}

#[test]
fn lists_a_writer_would_refuse_are_refused_before_any_output() {
    // Before: --output written in full, then `--best-text` refused the id
    // `u 1` (a Kaldi key holds no whitespace) with exit status 2.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = data("sample-3gram.arpa");
    let input = d.join("spaced.jsonl");
    fs::write(
        &input,
        "{\"id\": \"u 1\", \"hyps\": [{\"words\": \"the device\", \"acoustic\": -3}]}\n",
    )
    .unwrap();
    let (out, best) = (d.join("o.jsonl"), d.join("best.txt"));
    let refused_naming = |extra: &[&str], named: &Path| {
        let mut args = vec!["rescore"];
        args.extend_from_slice(extra);
        let args = on_input(s(&model), s(&input), &args);
        let run = dashlm(&args);
        let err = String::from_utf8(run.stderr).unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}: {err}");
        let want = format!(
            "dashlm: {}: utterance id \"u 1\": cannot be written: it contains whitespace",
            named.display()
        );
        assert!(err.starts_with(&want), "{args:?}: {err}");
    };
    refused_naming(&["--output", s(&out), "--best-text", s(&best)], &best);
    refused_naming(&["--best-text", s(&best)], &best);
    assert!(!out.exists() && !best.exists());
}

/// A WER that would align more than 10^11 cells (here a 400,000-word
/// reference and a 300,000-word hypothesis: 1.2 x 10^11): `rescore` leaves out
/// its summary with a warning and writes its output; `tune`, which needs it,
/// refuses the lists before loading the model. Before, both ran for hours.
#[test]
fn a_wer_too_long_to_count_is_left_out_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("long.jsonl");
    let words = |n: usize| vec!["a"; n].join(" ");
    fs::write(
        &input,
        format!(
            "{{\"id\": \"u\", \"ref\": \"{}\", \"hyps\": [{{\"words\": \"{}\", \"acoustic\": -1}}]}}\n",
            words(400_000),
            words(300_000)
        ),
    )
    .unwrap();
    let model = data("sample-3gram.arpa");
    let (_, err) = ok(&on_input(
        s(&model),
        s(&input),
        &["rescore", "--best-text", "-"],
    ));
    let cells = "the WER summary aligns every hypothesis with its reference: 120000700001 cells";
    assert!(
        err.contains(&format!("dashlm: warning: no WER summary: {cells}")),
        "{err}"
    );
    assert!(!err.contains("WER over"), "{err}");
    refused_as_given(
        &on_input(s(&model), s(&input), &["tune"]),
        "tune aligns every hypothesis with its reference: 120000700001 cells",
    );
}

/// `a,b,c` axes are sorted and their repeats dropped: the plateau rule and the
/// finer pass take neighbouring values for neighbouring cells (before, an
/// unsorted list moved the plateau's centre, and the finer pass stepped by
/// the first gap of the list as given).
#[test]
fn tune_sorts_its_value_lists() {
    let (model, input) = (data("sample-3gram.arpa"), data("sample.jsonl"));
    let tune = |lm: &str, wips: &str| {
        let args = ["tune", "--lm-weights", lm, "--wips", wips, "--fine", "2"];
        ok(&on_input(s(&model), s(&input), &args)).0
    };
    let sorted = tune("0,2.5,5,10", "-4,0,4");
    assert_eq!(tune("10,0,5,5,2.5", "4,-4,0,4"), sorted);
    assert!(sorted.contains("2.5"), "{sorted}");
}

/// An MBR option without `--mbr` is an error, not silently ignored (as
/// `--smooth` without `--plateau off` is).
#[test]
fn mbr_options_need_mbr() {
    let expected = "the following required arguments were not provided:\n  --mbr";
    refused_rescore(&["--mbr-scale", "0.5"], expected);
    refused(&["tune", "--scales", "0.5"], expected);
    // With --mbr, or with the defaults, they run.
    let (model, input) = (data("sample-3gram.arpa"), data("sample.jsonl"));
    let (model, input) = (s(&model), s(&input));
    let tune = [
        "tune",
        "--model",
        model,
        "--input",
        input,
        "--json",
        "--lm-weights",
        "0:4:2",
    ];
    ok(&[&tune[..], &["--mbr", "--scales", "0.5"]].concat());
    ok(&tune);
}

/// A negative acoustic scale is refused, as the README's "scales >= 0" says
/// (before: taken, ranking the acoustically worst hypotheses first).
#[test]
fn a_negative_acoustic_scale_is_refused() {
    let expected = "`-1`: expected a scale >= 0";
    refused_rescore(&["--acoustic-scale", "-1"], expected);
    refused(&["tune", "--acoustic-scale", "-1"], expected);
}

/// [`refused`] for `rescore --lm-weight 1 --wip 0` and `extra`.
fn refused_rescore(extra: &[&str], expected: &str) {
    let rescore = ["rescore", "--lm-weight", "1", "--wip", "0"];
    refused(&[&rescore[..], extra].concat(), expected);
}

/// An n-best directory's own `refs` with references for no utterance beside
/// used ones: a warning, as for `--refs` (before: silently unused).
#[test]
fn a_directory_refs_file_partly_unused_is_said() {
    let tmp = tempfile::tempdir().unwrap();
    let model = data("sample-3gram.arpa");
    for (format, sample) in [("kaldi", "sample.kaldi"), ("srilm", "sample.srilm")] {
        let dir = copy_sample(sample, tmp.path());
        let refs = dir.join("refs");
        let mut text = fs::read_to_string(&refs).unwrap();
        text.push_str("zzz some words\n");
        fs::write(&refs, text).unwrap();
        let extra = ["--input", s(&dir), "--format", format, "--best-text", "-"];
        let (_, err) = ok(&rescore_with(s(&model), &extra));
        let warning = format!(
            "dashlm: warning: {}: 1 of its 6 references are for no utterance of the input (the \
             first by id: `zzz`)",
            refs.display()
        );
        assert!(err.contains(&warning), "{err}");
    }
}

/// The summary names the grid its choice was made on and the margin as
/// given (before: "fewest errors on the grid" over both grids, which the
/// finer pass's choice need not be within the margin of, and 0.025 shown as
/// 2%), and the tables are as wide as their labels.
#[test]
fn tune_summary_and_tables_say_what_they_show() {
    let (model, input) = (data("sample-3gram.arpa"), data("sample.jsonl"));
    let args = [
        "tune",
        "--lm-weights",
        "0:30:5",
        "--wips=-30:10:10",
        "--fine",
        "3",
        "--plateau",
        "0.025",
    ];
    let args = on_input(s(&model), s(&input), &args);
    let (out, _) = ok(&args);
    assert!(out.contains("fewest errors on the finer grid: 24; chosen: the centre of the cells with at most 2.5% more (--plateau 0.025)"), "{out}");
    let finer = out.split("finer pass:\n").nth(1).unwrap();
    let widths: Vec<usize> = finer.lines().skip(1).take(8).map(str::len).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{finer}");
}

/// `--refs` for SRILM lists loses SRILM's pause word as the hypotheses do
/// (audit 24: before, each reference pause counted as a deletion no
/// hypothesis could avoid).
#[test]
fn srilm_references_lose_the_pause_word() {
    let tmp = tempfile::tempdir().unwrap();
    let (lists, refs) = (tmp.path().join("lists"), tmp.path().join("refs.txt"));
    fs::create_dir(&lists).unwrap();
    fs::write(lists.join("u1.nbest"), "-10 -2 3 the -pau- cat\n").unwrap();
    fs::write(&refs, "u1 the -pau- cat\n").unwrap();
    let model = data("sample-3gram.arpa");
    let mut args = on_input(s(&model), s(&lists), &["rescore", "--format", "srilm"]);
    args.extend(["--refs", s(&refs), "--best-text", "-"]);
    let (out, err) = ok(&args);
    assert_eq!(out, "u1 the cat\n");
    assert!(
        err.contains("1-best (input) %WER 0.00 [ 0 / 2, 0 ins, 0 del, 0 sub ]"),
        "{err}"
    );
}
