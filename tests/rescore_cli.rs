//! `dashlm rescore`, `tune` and `wer` on the shipped sample.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/nbest")
        .join(p)
}

fn dashlm(args: &[&str]) -> Output {
    dashlm_with(args, None, None)
}

/// `dashlm ARGS` with standard input read from `stdin` (else empty) and
/// standard output written to `stdout` (else captured).
fn dashlm_with(args: &[&str], stdin: Option<&Path>, stdout: Option<&Path>) -> Output {
    let open = |p: &Path| {
        fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(p)
            .unwrap()
    };
    Command::new(env!("CARGO_BIN_EXE_dashlm"))
        .args(args)
        .stdin(stdin.map_or(Stdio::null(), |p| Stdio::from(open(p))))
        .stdout(stdout.map_or(Stdio::piped(), |p| Stdio::from(open(p))))
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> (String, String) {
    let out = dashlm(args);
    let (so, se) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(out.status.success(), "{args:?}: {se}");
    (so, se)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn rescore_writes_every_format_and_the_same_best_text() {
    let model = data("sample-3gram.arpa");
    let dir = tempfile::tempdir().unwrap();
    let mut best = Vec::new();
    for (format, input) in [
        ("jsonl", "sample.jsonl"),
        ("srilm", "sample.srilm"),
        ("kaldi", "sample.kaldi"),
    ] {
        let out = dir.path().join(format!("out-{format}"));
        let bt = dir.path().join(format!("best-{format}.txt"));
        let (_, err) = ok(&[
            "rescore",
            "--model",
            s(&model),
            "--input",
            s(&data(input)),
            "--format",
            format,
            "--lm-weight",
            "8",
            "--wip",
            "-2",
            "--output",
            s(&out),
            "--best-text",
            s(&bt),
            "--top",
            "3",
        ]);
        assert!(err.contains("WER over 5 utterances"), "{err}");
        assert!(err.contains("oracle"), "{err}");
        let lists = dashlm::rescore::read_lists(&out, format.parse().unwrap()).unwrap();
        assert_eq!(lists.len(), 5);
        assert!(lists.iter().all(|l| l.hyps.len() == 3));
        let totals: Vec<f64> = lists[0].hyps.iter().map(|h| h.extra["total"]).collect();
        assert!(totals.windows(2).all(|t| t[0] >= t[1]), "{totals:?}");
        let text = fs::read_to_string(&bt).unwrap();
        // The best text is the first hypothesis of each output list.
        for (line, l) in text.lines().zip(&lists) {
            assert_eq!(line, format!("{} {}", l.id, l.hyps[0].text()).trim_end());
        }
        best.push(text);
    }
    assert_eq!(best[0], best[1]);
    assert_eq!(best[0], best[2]);
    // JSONL to stdout by default.
    let (stdout, _) = ok(&[
        "rescore",
        "--model",
        s(&model),
        "--input",
        s(&data("sample.jsonl")),
        "--lm-weight",
        "1",
        "--wip",
        "0",
        "--mbr",
    ]);
    assert_eq!(stdout.lines().count(), 5);
    assert!(stdout.contains("\"posterior\""));
}

#[test]
fn tune_prints_a_table_and_json() {
    let model = data("sample-3gram.arpa");
    let (stdout, stderr) = ok(&[
        "tune",
        "--model",
        s(&model),
        "--input",
        s(&data("sample.jsonl")),
        "--json",
        "--fine",
        "5",
    ]);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let wer = v["wer"].as_f64().unwrap();
    assert!(v["lm_weight"].is_number() && v["wip"].is_number() && v.get("scale").is_none());
    assert!(stderr.contains("WER % (rows: LM weight"), "{stderr}");
    assert!(stderr.contains("finer pass"), "{stderr}");
    // The tuned weights reproduce the tuned WER.
    let lw = v["lm_weight"].to_string();
    let wip = v["wip"].to_string();
    let dir = tempfile::tempdir().unwrap();
    let bt = dir.path().join("best");
    ok(&[
        "rescore",
        "--model",
        s(&model),
        "--input",
        s(&data("sample.srilm")),
        "--format",
        "srilm",
        "--lm-weight",
        &lw,
        "--wip",
        &wip,
        "--best-text",
        s(&bt),
    ]);
    let (w, _) = ok(&["wer", "--ref", s(&data("sample.refs")), "--hyp", s(&bt)]);
    let pct: f64 = w.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!((pct - 100.0 * wer).abs() < 0.6, "{w} vs {wer}");
    let (stdout, _) = ok(&[
        "tune",
        "--model",
        s(&model),
        "--input",
        s(&data("sample.kaldi")),
        "--format",
        "kaldi",
        "--mbr",
        "--scales",
        "0.1,1",
        "--json",
        "--lm-weights",
        "0:10:1",
        "--wips",
        "-4:4:1",
    ]);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(v["scale"].is_number());
    // Without --json the table goes to stdout.
    let (stdout, _) = ok(&[
        "tune",
        "--model",
        s(&model),
        "--input",
        s(&data("sample.jsonl")),
        "--lm-weights",
        "0,5",
        "--wips",
        "0",
        "--fine",
        "0",
    ]);
    assert!(
        stdout.contains("chosen: the centre of the cells"),
        "{stdout}"
    );
    // The plain grid search, and a malformed margin.
    let (stdout, _) = ok(&[
        "tune",
        "--model",
        s(&model),
        "--input",
        s(&data("sample.jsonl")),
        "--plateau",
        "off",
    ]);
    assert!(stdout.contains("best: lm_weight"), "{stdout}");
    let e = dashlm(&[
        "tune",
        "--model",
        s(&model),
        "--input",
        s(&data("sample.jsonl")),
        "--plateau",
        "lots",
    ]);
    assert!(!e.status.success());
    assert!(String::from_utf8_lossy(&e.stderr).contains("--plateau"));
}

#[test]
fn wer_matches_known_counts() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("ref");
    let h = dir.path().join("hyp");
    fs::write(&r, "u1 the cat sat on the mat\nu2 hello world\n").unwrap();
    fs::write(&h, "u2 hello word\nu1 the cat sat on mat today\n").unwrap();
    let (out, _) = ok(&["wer", "--ref", s(&r), "--hyp", s(&h)]);
    // u1: "the mat" -> "mat today" costs 2 either as 2 substitutions or as a
    // deletion and an insertion; ties go to substitutions, as in Kaldi.
    assert_eq!(
        out,
        "%WER 37.50 [ 3 / 8, 0 ins, 0 del, 3 sub ]\n%SER 100.00 [ 2 / 2 ]\nScored 2 sentences, 0 not present in hyp.\n"
    );
    fs::write(&h, "u1 the cat sat on the mat\n").unwrap();
    let e = dashlm(&["wer", "--ref", s(&r), "--hyp", s(&h)]);
    assert!(!e.status.success());
    let (out, _) = ok(&["wer", "--ref", s(&r), "--hyp", s(&h), "--mode", "present"]);
    assert!(out.starts_with("%WER 0.00 [ 0 / 6,"), "{out}");
    let (out, _) = ok(&["wer", "--ref", s(&r), "--hyp", s(&h), "--mode", "all"]);
    assert!(
        out.starts_with("%WER 25.00 [ 2 / 8, 0 ins, 2 del, 0 sub ]"),
        "{out}"
    );
    // JSONL references from the n-best sample.
    let (out, _) = ok(&[
        "wer",
        "--ref",
        s(&data("sample.jsonl")),
        "--hyp",
        s(&data("sample.jsonl")),
    ]);
    assert!(out.starts_with("%WER 75.68 [ 28 / 37"), "{out}");
}

#[test]
fn malformed_input_is_reported_with_file_and_line() {
    let model = data("sample-3gram.arpa");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    fs::write(&bad, "{\"id\": \"u\", \"hyps\": [{\"words\": \"a\", \"acoustic\": -1}]}\n{\"id\": \"v\", \"hyps\": [{\"words\": \"a\"}]}\n").unwrap();
    let out = dashlm(&[
        "rescore",
        "--model",
        s(&model),
        "--input",
        s(&bad),
        "--lm-weight",
        "1",
        "--wip",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "{}:2: field `hyps[0].acoustic`: missing",
            bad.display()
        )),
        "{err}"
    );
    let sdir = dir.path().join("srilm");
    fs::create_dir(&sdir).unwrap();
    fs::write(sdir.join("u.nbest"), "-1 -2 1 a\n-1 -2 3 a b\n").unwrap();
    let out = dashlm(&[
        "rescore",
        "--model",
        s(&model),
        "--input",
        s(&sdir),
        "--format",
        "srilm",
        "--lm-weight",
        "1",
        "--wip",
        "0",
        "--best-text",
        "-",
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("u.nbest:2: the hypothesis declares 3 words but has 2"),
        "{err}"
    );
    let out = dashlm(&[
        "rescore",
        "--model",
        s(&model),
        "--input",
        s(&sdir),
        "--format",
        "srilm",
        "--lm-weight",
        "1",
        "--wip",
        "0",
    ]);
    assert!(String::from_utf8(out.stderr).unwrap().contains("--output"));
}

/// Runs `dashlm` with `args` on the sample, expecting exit status 2 and a
/// message containing `expected` on stderr.
fn refused(args: &[&str], expected: &str) {
    let (model, input) = (data("sample-3gram.arpa"), data("sample.jsonl"));
    let mut all = vec![args[0], "--model", s(&model), "--input", s(&input)];
    all.extend_from_slice(&args[1..]);
    refused_as_given(&all, expected);
}

/// Runs `dashlm args`, expecting exit status 2 and a message containing
/// `expected` on stderr.
fn refused_as_given(args: &[&str], expected: &str) {
    let out = dashlm(args);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(expected), "{args:?}: {err}");
}

/// `rescore --model MODEL --lm-weight 1 --wip 0` and `extra`.
fn rescore_with<'a>(model: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "rescore",
        "--model",
        model,
        "--lm-weight",
        "1",
        "--wip",
        "0",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn weights_and_grids_that_would_rank_nothing_or_never_end_are_refused() {
    let w = ["--lm-weight", "1", "--wip", "0"];
    refused(
        &["rescore", "--lm-weight", "nan", "--wip", "0"],
        "`nan`: expected a finite number",
    );
    refused(
        &["rescore", "--lm-weight", "1", "--wip=-inf"],
        "`-inf`: expected a finite number",
    );
    refused(
        &["rescore", w[0], w[1], w[2], w[3], "--acoustic-scale", "x"],
        "`x` is not a number",
    );
    refused(
        &["rescore", w[0], w[1], w[2], w[3], "--top", "0"],
        "expected a number of hypotheses >= 1",
    );
    refused(
        &["rescore", w[0], w[1], w[2], w[3], "--mbr", "--mbr-scale=-2"],
        "expected a scale >= 0",
    );
    // Before: a capacity-overflow panic, and a grid of a billion rows.
    refused(
        &["tune", "--lm-weights", "0:inf:1"],
        "--lm-weights `inf` is not a finite number",
    );
    refused(
        &["tune", "--lm-weights", "0:1e9:1"],
        "gives 1000000001 values; at most 10000 per axis",
    );
    refused(
        &["tune", "--wips", "nan"],
        "--wips `nan` is not a finite number",
    );
    refused(&["tune", "--mbr", "--scales=-1,1"], "-1 is negative");
    refused(
        &["tune", "--fine", "100000000000"],
        "expected 0 to 100 subdivisions",
    );
    refused(
        &["tune", "--lm-weights", "0:9999:1", "--wips", "0:9999:1"],
        "the grid has 100000000 cells",
    );
    refused(
        &["rescore", w[0], w[1], w[2], w[3], "--threads", "100000"],
        "from 1 to 1024",
    );
    refused(
        &[
            "rescore",
            w[0],
            w[1],
            w[2],
            w[3],
            "--acoustic-scale",
            "1e307",
        ],
        "the combined score is -inf (weights or scores too large)",
    );
    // Before: a directory named `-` (the check comes before the input is read).
    refused(
        &[
            "rescore", w[0], w[1], w[2], w[3], "--format", "srilm", "--output", "-",
        ],
        "--format srilm writes a directory, not standard output",
    );
}

#[test]
fn rescore_does_not_write_over_what_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (model, input) = (dir.path().join("lm.arpa"), dir.path().join("in.jsonl"));
    fs::copy(data("sample-3gram.arpa"), &model).unwrap();
    fs::copy(data("sample.jsonl"), &input).unwrap();
    for (flag, target, what) in [
        ("--output", &input, "the input"),
        ("--best-text", &model, "the model file"),
    ] {
        let out = dashlm(&[
            "rescore",
            "--model",
            s(&model),
            "--input",
            s(&input),
            "--lm-weight",
            "1",
            "--wip",
            "0",
            flag,
            s(target),
        ]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(&format!("this output is {what}")), "{err}");
    }
    assert_eq!(
        fs::read(&input).unwrap(),
        fs::read(data("sample.jsonl")).unwrap()
    );
    assert_eq!(
        fs::read(&model).unwrap(),
        fs::read(data("sample-3gram.arpa")).unwrap()
    );
}

#[test]
fn tune_fine_pass_and_smoothing_at_the_edges() {
    let (model, input) = (data("sample-3gram.arpa"), data("sample.jsonl"));
    let tune = |extra: &[&str]| {
        let mut args = vec!["tune", "--model", s(&model), "--input", s(&input), "--json"];
        args.extend_from_slice(extra);
        ok(&args).0
    };
    // Negative LM weights only: the finer pass kept no weight and panicked.
    let out = tune(&["--lm-weights=-5,-4", "--fine", "2"]);
    assert!(out.contains("\"lm_weight\":-"), "{out}");
    tune(&[
        "--lm-weights=-5,-4",
        "--fine",
        "2",
        "--plateau",
        "off",
        "--smooth",
        "3",
    ]);
    // A radius past the grid is the whole grid (it wrapped around before).
    assert_eq!(
        tune(&["--plateau", "off", "--smooth", "18446744073709551615"]),
        tune(&["--plateau", "off", "--smooth", "1000"])
    );
}

#[test]
fn rescore_outputs_do_not_land_on_each_other_or_on_inputs_in_the_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = data("sample-3gram.arpa");
    let refused_with = |extra: &[&str], expected: &str| {
        refused_as_given(&rescore_with(s(&model), extra), expected)
    };
    let (same, jsonl) = (d.join("same.out"), data("sample.jsonl"));
    let (same, jsonl) = (s(&same), s(&jsonl));
    refused_with(
        &["--input", jsonl, "--output", same, "--best-text", same],
        "--output and --best-text name the same file",
    );
    // A list file inside the output directory, naming n-best files there.
    let lst = d.join("lst");
    fs::create_dir(&lst).unwrap();
    for e in fs::read_dir(data("sample.srilm")).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, lst.join(p.file_name().unwrap())).unwrap();
    }
    fs::write(lst.join("list"), "synth_00042.nbest\n").unwrap();
    let before = fs::read(lst.join("synth_00042.nbest")).unwrap();
    let list = lst.join("list");
    refused_with(
        &[
            "--format",
            "srilm",
            "--input",
            s(&list),
            "--output",
            s(&lst),
        ],
        "the output directory holds the input",
    );
    assert_eq!(fs::read(lst.join("synth_00042.nbest")).unwrap(), before);
    // The best text inside a directory not created yet.
    let (fresh, input) = (d.join("fresh"), data("sample.srilm"));
    let best = fresh.join("synth_00042.nbest");
    refused_with(
        &[
            "--format",
            "srilm",
            "--input",
            s(&input),
            "--output",
            s(&fresh),
            "--best-text",
            s(&best),
        ],
        "holds the --best-text file",
    );
}

#[test]
fn directory_outputs_must_be_new_or_empty() {
    let dir = tempfile::tempdir().unwrap();
    let model = data("sample-3gram.arpa");
    for (format, input) in [("srilm", "sample.srilm"), ("kaldi", "sample.kaldi")] {
        let out = dir.path().join(format);
        let input = data(input);
        let extra = [
            "--format",
            format,
            "--input",
            s(&input),
            "--output",
            s(&out),
        ];
        let args = rescore_with(s(&model), &extra);
        ok(&args);
        let first: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        // Again into the same directory: the older files would be read back
        // with the new ones (a stale `refs`, another run's scores).
        let expected = format!("{}: the output directory is not empty", out.display());
        refused_as_given(&args, &expected);
        let after: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(first, after);
        // An empty directory is fine; nothing but it is left beside it.
        fs::remove_dir_all(&out).unwrap();
        fs::create_dir(&out).unwrap();
        ok(&args);
        assert!(fs::read_dir(&out).unwrap().count() > 0);
    }
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn mbr_refuses_lists_too_long_to_compare_every_pair() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("long.jsonl");
    let hyps: Vec<String> = (0..5001)
        .map(|i| format!("{{\"words\": \"w{i}\", \"acoustic\": -1.0}}"))
        .collect();
    let line = format!(
        "{{\"id\": \"u\", \"ref\": \"w1\", \"hyps\": [{}]}}\n",
        hyps.join(", ")
    );
    fs::write(&input, line).unwrap();
    let model = data("sample-3gram.arpa");
    for args in [
        &[
            "rescore",
            "--lm-weight",
            "1",
            "--wip",
            "0",
            "--mbr",
            "--best-text",
            "-",
        ][..],
        &["tune", "--mbr"][..],
    ] {
        let mut all = vec![args[0], "--model", s(&model), "--input", s(&input)];
        all.extend_from_slice(&args[1..]);
        let out = dashlm(&all);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("has 5001 hypotheses: --mbr compares every pair"),
            "{err}"
        );
    }
}

/// `args` with `--model` (the sample model) and `--input INPUT` after the
/// subcommand, and `--lm-weight 1 --wip 0` for `rescore` (and stdout's
/// lists to `--best-text -`).
fn on_input<'a>(model: &'a str, input: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec![args[0], "--model", model, "--input", input];
    if args[0] == "rescore" {
        all.extend(["--lm-weight", "1", "--wip", "0"]);
    }
    all.extend_from_slice(&args[1..]);
    all
}

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
        (&kaldi_sample, "srilm", "(it looks like a Kaldi n-best directory)"),
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
    let no_such = "No such file or directory";
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
            "`-1`: expected 0 to 100 subdivisions",
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
        "-0.5",
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
    refused(
        &["tune", "--lm-weights", "1", "--wips", "1e308,-1e308"],
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
    // --refs replaces an utterance's own, different reference: said once.
    let other = d.join("other.refs");
    fs::write(&other, "synth_00076 a b c\nsynth_00120 d e\n").unwrap();
    let (_, err) = ok(&on_input(
        s(&model),
        s(&input),
        &["rescore", "--best-text", "-", "--refs", s(&other)],
    ));
    let warning = format!(
        "dashlm: warning: {}: replaces the input's own, different reference of 2 utterance(s) \
         (the first: `synth_00076`)",
        other.display()
    );
    assert_eq!(err.matches("warning").count(), 1, "{err}");
    assert!(err.contains(&warning), "{err}");
    // The same references: no warning.
    let (_, err) = ok(&on_input(
        s(&model),
        s(&data("sample.jsonl")),
        &["rescore", "--best-text", "-", "--refs", s(&refs_all)],
    ));
    assert!(!err.contains("warning"), "{err}");
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
        ("kaldi", "dashlm: -: read error: Kaldi n-best lists are read from a directory (`text`, `ac_cost`, ...), not from standard input"),
        ("srilm", "dashlm: -: read error: SRILM n-best lists are read from files, a list file or a directory"),
    ] {
        let args = on_input(s(&model), "-", &["rescore", "--format", format, "--best-text", "-"]);
        let out = dashlm_with(&args, Some(&input), None);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.starts_with(expected), "{err}");
    }
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
