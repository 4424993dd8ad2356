//! `dashlm rescore`, `tune` and `wer` on the shipped sample: outputs, tables,
//! WER, and the weights, grids and output paths they refuse (the inputs they
//! refuse: `rescore_cli_inputs.rs`).

mod rescore_cli_common;

use std::fs;
use std::path::Path;

use rescore_cli_common::*;

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
    let (stdout, _) = ok(&rescore_with(
        s(&model),
        &["--input", s(&data("sample.jsonl")), "--mbr"],
    ));
    assert_eq!(stdout.lines().count(), 5);
    assert!(stdout.contains("\"posterior\""));
    // A --top past any count (and past usize) keeps every hypothesis (before:
    // refused as `expected a number of hypotheses >= 1`).
    let all = |top: &str| {
        let input = data("sample.jsonl");
        ok(&rescore_with(
            s(&model),
            &["--input", s(&input), "--top", top],
        ))
        .0
    };
    assert_eq!(all("99999999999999999999"), all("10"));
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
    assert!(v.get("score_weights").is_none(), "{v}");
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
    // deletion and an insertion; Kaldi's `compute-wer` counts the latter.
    assert_eq!(
        out,
        "%WER 37.50 [ 3 / 8, 1 ins, 1 del, 1 sub ]\n%SER 100.00 [ 2 / 2 ]\nScored 2 sentences, 0 not present in hyp.\n"
    );
    fs::write(&h, "u1 the cat sat on the mat\n").unwrap();
    let e = dashlm(&["wer", "--ref", s(&r), "--hyp", s(&h)]);
    assert!(!e.status.success());
    let (out, _) = ok(&["wer", "--ref", s(&r), "--hyp", s(&h), "--mode", "present"]);
    // A hypothesis missing: `[PARTIAL]`, as compute-wer prints it.
    assert_eq!(
        out,
        "%WER 0.00 [ 0 / 6, 0 ins, 0 del, 0 sub ] [PARTIAL]\n%SER 0.00 [ 0 / 1 ]\nScored 1 sentences, 1 not present in hyp.\n"
    );
    let (out, _) = ok(&["wer", "--ref", s(&r), "--hyp", s(&h), "--mode", "all"]);
    assert!(
        out.starts_with("%WER 25.00 [ 2 / 8, 0 ins, 2 del, 0 sub ] [PARTIAL]\n"),
        "{out}"
    );
    // Hypotheses without a reference are not scored (as in compute-wer),
    // and said so on stderr.
    fs::write(
        &h,
        "u2 hello world\nu1 the cat sat on the mat\nz9 a\nx1 b\n",
    )
    .unwrap();
    let (out, err) = ok(&["wer", "--ref", s(&r), "--hyp", s(&h)]);
    assert!(out.starts_with("%WER 0.00 [ 0 / 8,"), "{out}");
    assert_eq!(
        err,
        format!(
            "dashlm: warning: {}: 2 hypotheses have no reference in {} and are not scored \
             (the first by id: `x1`)\n",
            s(&h),
            s(&r)
        )
    );
    // Nothing to score is an error, not `%WER 0.00 [ 0 / 0 ]`.
    fs::write(&h, "x1 the cat\n").unwrap();
    let e = dashlm(&["wer", "--ref", s(&r), "--hyp", s(&h), "--mode", "present"]);
    let err = String::from_utf8_lossy(&e.stderr);
    assert_eq!(e.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{}: none of the 2 references in {} has a hypothesis here (--mode present): nothing to score",
            s(&h),
            s(&r)
        )),
        "{err}"
    );
    // References without words: no rate (before: `%WER inf [ 2 / 0, ...`).
    fs::write(&r, "x1\n").unwrap();
    let e = dashlm(&["wer", "--ref", s(&r), "--hyp", s(&h)]);
    let err = String::from_utf8_lossy(&e.stderr);
    assert_eq!(e.status.code(), Some(2), "{err}");
    let expected = "the 1 references scored hold no words: the WER is undefined";
    assert!(err.contains(expected), "{err}");
    fs::write(&r, "").unwrap();
    let e = dashlm(&["wer", "--ref", s(&r), "--hyp", s(&h), "--mode", "all"]);
    let err = String::from_utf8_lossy(&e.stderr);
    assert_eq!(e.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{}: no references: nothing to score", s(&r))),
        "{err}"
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
    // JSONL words and references as arrays of strings, as the n-best reader
    // takes them (before: "missing or not a string").
    let arrays = dir.path().join("arrays.jsonl");
    fs::write(
        &arrays,
        "{\"id\": \"u1\", \"ref\": [\"the\", \"cat\"], \"hyps\": [{\"words\": [\"the\", \"hat\"], \"acoustic\": -1}]}\n",
    )
    .unwrap();
    let (out, _) = ok(&["wer", "--ref", s(&arrays), "--hyp", s(&arrays)]);
    assert!(
        out.starts_with("%WER 50.00 [ 1 / 2, 0 ins, 0 del, 1 sub ]"),
        "{out}"
    );
}

#[test]
fn malformed_input_is_reported_with_file_and_line() {
    let model = data("sample-3gram.arpa");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    fs::write(&bad, "{\"id\": \"u\", \"hyps\": [{\"words\": \"a\", \"acoustic\": -1}]}\n{\"id\": \"v\", \"hyps\": [{\"words\": \"a\"}]}\n").unwrap();
    let out = dashlm(&rescore_with(s(&model), &["--input", s(&bad)]));
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
    let out = dashlm(&rescore_with(
        s(&model),
        &["--input", s(&sdir), "--format", "srilm", "--best-text", "-"],
    ));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("u.nbest:2: the hypothesis declares 3 words but has 2"),
        "{err}"
    );
    let out = dashlm(&rescore_with(
        s(&model),
        &["--input", s(&sdir), "--format", "srilm"],
    ));
    assert!(String::from_utf8(out.stderr).unwrap().contains("--output"));
}

#[test]
fn weights_and_grids_that_would_rank_nothing_or_never_end_are_refused() {
    // `+` stands for `--lm-weight 1 --wip 0` after `rescore`.
    let cases: &[(&[&str], &str)] = &[
        (
            &["rescore", "--lm-weight", "nan", "--wip", "0"],
            "`nan`: expected a finite number",
        ),
        (
            &["rescore", "--lm-weight", "1", "--wip=-inf"],
            "`-inf`: expected a finite number",
        ),
        (&["+", "--acoustic-scale", "x"], "`x` is not a number"),
        (&["+", "--top", "0"], "expected a number of hypotheses >= 1"),
        (&["+", "--mbr", "--mbr-scale=-2"], "expected a scale >= 0"),
        // Before: a capacity-overflow panic, and a grid of a billion rows.
        (
            &["tune", "--lm-weights", "0:inf:1"],
            "--lm-weights `inf` is not a finite number",
        ),
        (
            &["tune", "--lm-weights", "0:1e9:1"],
            "gives 1000000001 values; at most 10000 per axis",
        ),
        // Before: the count in 301 digits.
        (
            &["tune", "--lm-weights", "1:3:1e-300"],
            "gives 2.000e300 values; at most 10000 per axis",
        ),
        (
            &["tune", "--wips", "nan"],
            "--wips `nan` is not a finite number",
        ),
        (&["tune", "--mbr", "--scales=-1,1"], "-1 is negative"),
        (
            &["tune", "--fine", "100000000000"],
            "expected 2 to 100 subdivisions (or 0, no finer pass)",
        ),
        (
            &["tune", "--lm-weights", "0:9999:1", "--wips", "0:9999:1"],
            "the grid has 100000000 cells",
        ),
        (&["+", "--threads", "100000"], "from 1 to 1024"),
        (
            &["+", "--acoustic-scale", "1e307"],
            "the combined score is -inf (weights or scores too large)",
        ),
        // Before: a directory named `-` (the check comes before the input is read).
        (
            &["+", "--format", "srilm", "--output", "-"],
            "--format srilm writes a directory, not standard output",
        ),
    ];
    let rescore = ["rescore", "--lm-weight", "1", "--wip", "0"];
    for &(args, expected) in cases {
        match args.split_first() {
            Some((&"+", rest)) => refused(&[&rescore[..], rest].concat(), expected),
            _ => refused(args, expected),
        }
    }
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
        let out = dashlm(&rescore_with(
            s(&model),
            &["--input", s(&input), flag, s(target)],
        ));
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(&format!("this output is {what}")), "{err}");
    }
    // The model read from standard input, redirected from the output's file.
    let out = rescore_cli_common::dashlm_with(
        &rescore_with("-", &["--input", s(&input), "--output", s(&model)]),
        Some(&model),
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("this output is the model file"), "{err}");
    assert_eq!(
        fs::read(&model).unwrap(),
        fs::read(data("sample-3gram.arpa")).unwrap()
    );
    assert_eq!(
        fs::read(&input).unwrap(),
        fs::read(data("sample.jsonl")).unwrap()
    );
}

/// A new LM score JSONL cannot hold (a probability of zero) is refused
/// before an existing output is emptied (before: the run failed and left
/// the file empty).
#[test]
fn an_output_jsonl_cannot_hold_is_refused_before_the_file_is_emptied() {
    let dir = tempfile::tempdir().unwrap();
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/arpa/quirk-inf-and-99.arpa");
    let input = dir.path().join("i.jsonl");
    fs::write(
        &input,
        "{\"id\": \"u1\", \"hyps\": [{\"words\": \"a c\", \"acoustic\": -1}, \
         {\"words\": \"a\", \"acoustic\": -2}]}\n",
    )
    .unwrap();
    let out_path = dir.path().join("o.jsonl");
    fs::write(&out_path, "keep\n").unwrap();
    let out = dashlm(&rescore_with(
        s(&model),
        &["--input", s(&input), "--output", s(&out_path)],
    ));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("o.jsonl: utterance `u1`, hypothesis 2: the `new_lm` score is -inf"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&out_path).unwrap(), "keep\n");
    // To standard output: nothing written, the error names it.
    let out = dashlm(&rescore_with(s(&model), &["--input", s(&input)]));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.stdout.is_empty(), "{err}");
    assert!(err.contains("standard output: utterance `u1`"), "{err}");
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
    // Spelled two ways, not created yet (before: accepted, and the best text
    // replaced the lists).
    std::os::unix::fs::symlink(d, d.join("link")).unwrap();
    let other = d.join("link/same.out");
    refused_with(
        &["--input", jsonl, "--output", same, "--best-text", s(&other)],
        "--output and --best-text name the same file",
    );
    assert!(!d.join("same.out").exists());
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
    // The best text onto an n-best file the list names, directly or through
    // a link (before: written over it, status 0).
    std::os::unix::fs::symlink(lst.join("synth_00042.nbest"), d.join("one.nbest")).unwrap();
    fs::write(d.join("list2"), "one.nbest\n").unwrap();
    for list in [list.clone(), d.join("list2")] {
        let best = lst.join("synth_00042.nbest");
        refused_with(
            &[
                "--format",
                "srilm",
                "--input",
                s(&list),
                "--best-text",
                s(&best),
            ],
            "this output is an n-best file the input lists, which would be overwritten",
        );
    }
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
fn devices_are_outputs_not_inputs_overwritten() {
    // Standard input is /dev/null here, and so is every output: nothing to
    // overwrite. Before: "this output is the input, which would be
    // overwritten", and "--output and --best-text name the same file".
    let (model, jsonl) = (data("sample-3gram.arpa"), data("sample.jsonl"));
    let mut args = rescore_with(
        s(&model),
        &[
            "--input",
            "-",
            "--output",
            "/dev/null",
            "--best-text",
            "/dev/null",
        ],
    );
    refused_as_given(&args, "standard input: no n-best lists found");
    let out = dashlm_with(&args, Some(&jsonl), None);
    assert!(out.status.success(), "{out:?}");
    // Kaldi lists cannot come from standard input: that error is the one given.
    args.truncate(args.len() - 4);
    args.extend(["--best-text", "/dev/null", "--format", "kaldi"]);
    refused_as_given(&args, "not from standard input");
}

#[test]
fn fifo_outputs_are_opened_when_written_so_a_reader_can_take_one_then_the_other() {
    // Before: both were opened before the scoring, and opening a FIFO waits
    // for its reader, so `cat best; cat lists` hung (the best text comes first).
    let dir = tempfile::tempdir().unwrap();
    let (lists, best) = (dir.path().join("lists"), dir.path().join("best"));
    for fifo in [&lists, &best] {
        let made = std::process::Command::new("mkfifo").arg(fifo).status();
        assert!(made.unwrap().success());
    }
    let (model, input) = (data("sample-3gram.arpa"), data("sample.jsonl"));
    let extra = [
        "--input",
        s(&input),
        "--output",
        s(&lists),
        "--best-text",
        s(&best),
    ];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dashlm"))
        .args(rescore_with(s(&model), &extra))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (send, receive) = std::sync::mpsc::channel();
    let (l, b) = (lists.clone(), best.clone());
    std::thread::spawn(move || {
        let best = fs::read_to_string(&b).unwrap();
        let _ = send.send((best, fs::read_to_string(&l).unwrap()));
    });
    let read = receive.recv_timeout(std::time::Duration::from_secs(60));
    if read.is_err() {
        child.kill().unwrap();
    }
    let status = child.wait().unwrap();
    let (best, lists) = read.expect("the best text, then the lists, could not be read");
    assert!(status.success());
    assert_eq!((best.lines().count(), lists.lines().count()), (5, 5));
    assert!(best.starts_with("synth_"), "{best}");
}

/// Standard output a socket, named `/proc/self/fd/1`: a socket cannot be
/// opened by name, and the message says to give `-` (before: `No such device
/// or address`).
#[cfg(target_os = "linux")]
#[test]
fn a_socket_output_named_by_its_descriptor_points_to_dash() {
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    let (model, input) = (data("sample-3gram.arpa"), data("sample.jsonl"));
    let extra = ["--input", s(&input), "--best-text", "/proc/self/fd/1"];
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dashlm"))
        .args(rescore_with(s(&model), &extra))
        .stdout(std::process::Stdio::from(std::os::fd::OwnedFd::from(
            theirs,
        )))
        .output()
        .unwrap();
    drop(ours);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/proc/self/fd/1: a socket, which cannot be opened by name: for standard output give `-`"),
        "{err}"
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

/// A directory output is checked before the scoring by the rules that put it
/// in place after it (before: a symbolic link to an empty directory, `.` or a
/// mount point was scored, then refused as "not a directory" or `Device or
/// resource busy`): a link is followed, the current directory refused.
#[test]
fn directory_outputs_follow_links_and_refuse_the_current_directory_first() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (model, input) = (data("sample-3gram.arpa"), data("sample.srilm"));
    let with_output = |out: &str| {
        let extra = ["--format", "srilm", "--input", s(&input), "--output", out];
        rescore_with(s(&model), &extra)
            .into_iter()
            .map(String::from)
            .collect::<Vec<String>>()
    };
    fs::create_dir(d.join("target")).unwrap();
    std::os::unix::fs::symlink(d.join("target"), d.join("link")).unwrap();
    let link = d.join("link");
    let args = with_output(s(&link));
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(d.join("target/refs").is_file());
    std::os::unix::fs::symlink(d.join("nothing"), d.join("dangling")).unwrap();
    let dangling = d.join("dangling");
    let args = with_output(s(&dangling));
    refused_as_given(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "dangling: a symbolic link to nothing",
    );
    // `.`, an empty current directory, from a run started there.
    let here = d.join("here");
    fs::create_dir(&here).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dashlm"))
        .args(with_output("."))
        .current_dir(&here)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("dashlm: .: is the current directory (or holds it)"),
        "{err}"
    );
    assert!(!err.contains("scored"), "refused after the scoring: {err}");
    assert_eq!(fs::read_dir(&here).unwrap().count(), 0);
}

#[test]
fn mbr_refuses_lists_too_long_or_whose_pairs_would_take_too_long() {
    // Before the two cost limits: 80 hypotheses of 2,000 words (1 MB) took
    // 87 s to rescore with --mbr, and one list of 5,000 one-word hypotheses
    // would have taken about 36 minutes to tune with --mbr on the default
    // grid; both within the 5,000-hypothesis limit.
    let dir = tempfile::tempdir().unwrap();
    let model = data("sample-3gram.arpa");
    let list = |name: &str, hyps: usize, words: usize| {
        let words = vec!["w"; words].join(" ");
        let hyps: Vec<String> = (0..hyps)
            .map(|i| format!("{{\"words\": \"{words}\", \"acoustic\": -{i}.0}}"))
            .collect();
        let line = format!(
            "{{\"id\": \"u\", \"ref\": \"w\", \"hyps\": [{}]}}\n",
            hyps.join(", ")
        );
        let path = dir.path().join(name);
        fs::write(&path, line).unwrap();
        path
    };
    let run = |input: &Path, args: &[&str], ok: bool| {
        let mut all = vec![args[0], "--model", s(&model), "--input", s(input)];
        all.extend_from_slice(&args[1..]);
        let out = dashlm(&all);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(if ok { 0 } else { 2 }), "{err}");
        err
    };
    let rescore = [
        "rescore",
        "--lm-weight",
        "1",
        "--wip",
        "0",
        "--mbr",
        "--best-text",
        "-",
    ];
    let tune = ["tune", "--mbr"];
    let (over, long, many) = (
        list("over", 5001, 1),
        list("long", 80, 2000),
        list("many", 5000, 1),
    );
    for args in [&rescore[..], &tune] {
        let err = run(&over, args, false);
        assert!(
            err.contains("has 5001 hypotheses: --mbr compares every pair"),
            "{err}"
        );
        let err = run(&long, args, false);
        assert!(
            err.contains("`u`: --mbr aligns the words of every pair of its 80 hypotheses, 12652643160 cells; at most 10000000000 per list"),
            "{err}"
        );
    }
    let err = run(&many, &tune, false);
    assert!(
        err.contains("`u` has 5000 hypotheses: tune --mbr weighs every pair in each of the 29646 cells searched (the grid's and the finer pass's), 741150000000 pair sums; at most 100000000000 per list"),
        "{err}"
    );
    // A small grid with a large finer pass: 9 + 201^2 cells.
    let fine = [
        "--lm-weights",
        "0,1,2",
        "--wips",
        "0,1,2",
        "--scales",
        "1",
        "--fine",
        "100",
    ];
    let err = run(&many, &[&tune[..], &fine].concat(), false);
    assert!(err.contains("in each of the 40410 cells searched"), "{err}");
    // A smaller grid passes the check.
    let small = ["--lm-weights", "0,1", "--wips", "0", "--scales", "1"];
    run(&many, &[&tune[..], &small].concat(), true);
}

/// A model may give a word probability zero (an ARPA `-inf`): `rescore` ranks
/// the hypotheses holding it last, as `tune` does, instead of refusing the run.
/// SRILM and Kaldi outputs write the `-inf` scores; a JSONL output, whose JSON
/// has no infinity, refuses to.
#[test]
fn hypotheses_of_probability_zero_rank_last() {
    let dir = tempfile::tempdir().unwrap();
    let (model, input) = (dir.path().join("zero.arpa"), dir.path().join("in.jsonl"));
    let arpa = "\\data\\\nngram 1=5\nngram 2=1\n\n\\1-grams:\n-1.0\t<unk>\t0\n-99\t<s>\t-0.5\n\
                -0.5\t</s>\t0\n-0.7\ta\t-0.2\n-inf\tb\t0\n\n\\2-grams:\n-0.3\t<s> a\n\n\\end\\\n";
    fs::write(&model, arpa).unwrap();
    let list = r#"{"id": "u1", "ref": "a a", "hyps": [{"words": "a b", "acoustic": -10}, {"words": "a a", "acoustic": -20}]}"#;
    fs::write(&input, format!("{list}\n")).unwrap();
    let (model, input) = (s(&model), s(&input));
    let (best, stderr) = ok(&on_input(model, input, &["rescore", "--best-text", "-"]));
    assert_eq!(best, "u1 a a\n");
    assert!(
        stderr.contains(
            "dashlm: note: 1 hypothesis (in 1 utterance) has a score of probability zero \
             (-inf): each ranks last unless that score is weighted 0"
        ),
        "{stderr}"
    );
    // With the LM weighted 0, its -inf counts for nothing: the acoustic
    // scores decide.
    let mut zero = on_input(model, input, &["rescore", "--best-text", "-"]);
    assert_eq!(zero[5], "--lm-weight");
    zero[6] = "0";
    let (best, _) = ok(&zero);
    assert_eq!(best, "u1 a b\n");
    let out = dir.path().join("out.jsonl");
    refused_as_given(
        &on_input(model, input, &["rescore", "--output", s(&out)]),
        "utterance `u1`, hypothesis 2: the `new_lm` score is -inf, not a finite number (a \
         probability of zero: JSON has no infinity, so JSONL lists hold finite scores only; \
         SRILM and Kaldi lists can hold it)",
    );
    assert!(!out.exists());
    // The same list as SRILM n-best files: rescored, written, read back.
    let srilm_in = dir.path().join("srilm");
    fs::create_dir(&srilm_in).unwrap();
    fs::write(srilm_in.join("u1.nbest"), "-4.3 0 2 a b\n-8.6 0 2 a a\n").unwrap();
    let srilm_out = dir.path().join("srilm-out");
    let mut args = on_input(model, s(&srilm_in), &["rescore", "--format", "srilm"]);
    args.extend(["--output", s(&srilm_out)]);
    ok(&args);
    let written = fs::read_to_string(srilm_out.join("u1.nbest")).unwrap();
    assert_eq!(written, "-8.6 0 2 a a\n-4.3 0 2 a b\n");
    let new_lm = fs::read_to_string(srilm_out.join("new_lm/u1.nbest")).unwrap();
    assert!(new_lm.ends_with("\n-inf\n"), "{new_lm}");
    let (table, stderr) = ok(&on_input(model, input, &["tune", "--json"]));
    assert!(table.contains("\"wer\":0"), "{table}");
    assert!(
        stderr.contains("dashlm: note: 1 hypothesis (in 1 utterance)"),
        "{stderr}"
    );
}

#[test]
fn rescore_writes_nothing_inside_an_input_directory() {
    // Before: `--best-text kc/text` replaced the input's transcriptions, and
    // `--best-text sc/refs` its references (the next run's oracle WER: 0).
    let tmp = tempfile::tempdir().unwrap();
    let model = data("sample-3gram.arpa");
    for (format, sample, file) in [
        ("kaldi", "sample.kaldi", "text"),
        ("srilm", "sample.srilm", "refs"),
    ] {
        let dir = copy_sample(sample, tmp.path());
        let before = fs::read(dir.join(file)).unwrap();
        // Also through directories not created yet (before: accepted, and
        // the next read of the input took the lists written there).
        for (flag, target) in [
            ("--best-text", dir.join(file)),
            ("--output", dir.join("out")),
            ("--output", dir.join("new/out")),
            ("--output", dir.join("new/../out")),
            (
                "--output",
                tmp.path().join("new/..").join(sample).join("out"),
            ),
        ] {
            let extra = ["--input", s(&dir), "--format", format, flag, s(&target)];
            let out = dashlm(&rescore_with(s(&model), &extra));
            assert_eq!(out.status.code(), Some(2));
            let err = String::from_utf8(out.stderr).unwrap();
            let expected = format!("{flag} is inside the input directory");
            assert!(err.contains(&expected), "{err}");
        }
        assert_eq!(fs::read(dir.join(file)).unwrap(), before);
        assert!(!dir.join("out").exists() && !dir.join("new").exists());
        assert!(!tmp.path().join("new").exists());
    }
}

/// A run that fails removes the output directory it created and the parent
/// directories it created for it (before: `brand/new` was left).
#[test]
fn a_failed_run_removes_the_directories_it_created() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("brand/new/dir");
    let input = data("sample.srilm");
    for model in [tmp.path().join("no-such-model"), data("sample-3gram.arpa")] {
        let extra = [
            "--input",
            s(&input),
            "--format",
            "srilm",
            "--output",
            s(&out),
        ];
        let args = rescore_with(s(&model), &extra);
        if model.exists() {
            ok(&args);
            assert!(out.join("synth_00042.nbest").is_file());
        } else {
            assert_eq!(dashlm(&args).status.code(), Some(2));
            assert!(!tmp.path().join("brand").exists());
        }
    }
}

#[test]
fn tune_refuses_references_without_words() {
    // Before: `{"lm_weight":1.0,"wer":0.0,...}` with every cell at 4100%.
    let tmp = tempfile::tempdir().unwrap();
    let refs = tmp.path().join("empty.refs");
    let ids: String = fs::read_to_string(data("sample.refs"))
        .unwrap()
        .lines()
        .map(|l| format!("{}\n", l.split(' ').next().unwrap()))
        .collect();
    fs::write(&refs, ids).unwrap();
    let model = data("sample-3gram.arpa");
    let out = dashlm(&[
        "tune",
        "--model",
        s(&model),
        "--input",
        s(&data("sample.jsonl")),
        "--refs",
        s(&refs),
        "--lm-weights",
        "0:2:1",
        "--wips",
        "0:2:1",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("the references have no words: the WER to minimize is undefined"),
        "{err}"
    );
}

#[test]
fn file_outputs_named_gz_or_xz_are_compressed_and_read_back() {
    use std::io::Read;
    let model = data("sample-3gram.arpa");
    let input = data("sample.jsonl");
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let run = |out: &Path, best: &Path| {
        ok(&rescore_with(
            s(&model),
            &[
                "--input",
                s(&input),
                "--output",
                s(out),
                "--best-text",
                s(best),
            ],
        ))
    };
    run(&path("plain.jsonl"), &path("plain.txt"));
    run(&path("lists.jsonl.gz"), &path("best.txt.xz"));
    run(&path("lists.jsonl.xz"), &path("best.txt.gz"));
    let plain = |name: &str| fs::read(path(name)).unwrap();
    let gunzip = |name: &str| {
        let mut text = Vec::new();
        let bytes = fs::read(path(name)).unwrap();
        assert_eq!(&bytes[..2], [0x1f, 0x8b], "{name}: gzip magic");
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut text)
            .unwrap();
        text
    };
    let unxz = |name: &str| {
        let mut text = Vec::new();
        let bytes = fs::read(path(name)).unwrap();
        assert_eq!(
            &bytes[..6],
            [0xfd, b'7', b'z', b'X', b'Z', 0],
            "{name}: xz magic"
        );
        xz2::read::XzDecoder::new(&bytes[..])
            .read_to_end(&mut text)
            .unwrap();
        text
    };
    assert_eq!(gunzip("lists.jsonl.gz"), plain("plain.jsonl"));
    assert_eq!(unxz("lists.jsonl.xz"), plain("plain.jsonl"));
    assert_eq!(unxz("best.txt.xz"), plain("plain.txt"));
    assert_eq!(gunzip("best.txt.gz"), plain("plain.txt"));
    // What reads the outputs reads them compressed: the lists, and `wer`.
    let read = |name: &str| dashlm::rescore::read_lists(&path(name), "jsonl".parse().unwrap());
    assert_eq!(
        read("lists.jsonl.gz").unwrap(),
        read("plain.jsonl").unwrap()
    );
    let wer = |hyp: &str| ok(&["wer", "--ref", s(&input), "--hyp", s(&path(hyp))]).0;
    assert_eq!(wer("best.txt.xz"), wer("plain.txt"));
    assert!(wer("plain.txt").contains("%WER"));
}

/// An SRILM directory whose n-best files are all `.nbest.gz` (or all
/// `.nbest.xz`) is rescored into one whose n-best and score files are too,
/// holding what the plain input's output holds, and so is a list file naming
/// such files; a directory or list file of mixed files gives plain ones.
#[test]
fn srilm_outputs_are_compressed_as_the_input_is() {
    use std::io::Write;
    let model = data("sample-3gram.arpa");
    let sample = data("sample.srilm");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rescore = |input: &Path, out: &Path| {
        ok(&rescore_with(
            s(&model),
            &["--input", s(input), "--format", "srilm", "--output", s(out)],
        ))
    };
    rescore(&sample, &d.join("plain-out"));
    let plain = dashlm::rescore::srilm::read_dir(&d.join("plain-out")).unwrap();
    let names = |dir: &Path| {
        let mut n: Vec<String> = (fs::read_dir(dir).unwrap())
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    };
    for (ext, magic) in [
        (".gz", &[0x1f, 0x8b][..]),
        (".xz", &[0xfd, b'7', b'z', b'X'][..]),
    ] {
        let input = d.join(format!("in{ext}"));
        fs::create_dir(&input).unwrap();
        for name in names(&sample) {
            let text = fs::read(sample.join(&name)).unwrap();
            if !name.ends_with(".nbest") {
                fs::write(input.join(&name), text).unwrap();
                continue;
            }
            let mut bytes = Vec::new();
            match ext {
                ".gz" => {
                    let mut z = flate2::write::GzEncoder::new(&mut bytes, Default::default());
                    z.write_all(&text).unwrap();
                    z.finish().unwrap();
                }
                _ => {
                    let mut z = xz2::write::XzEncoder::new(&mut bytes, 6);
                    z.write_all(&text).unwrap();
                    z.finish().unwrap();
                }
            }
            fs::write(input.join(format!("{name}{ext}")), bytes).unwrap();
        }
        let out = d.join(format!("out{ext}"));
        rescore(&input, &out);
        let written = names(&out);
        assert!(written.contains(&"refs".to_string()), "{written:?}");
        let nbest: Vec<&String> = written.iter().filter(|n| n.contains(".nbest")).collect();
        assert_eq!(nbest.len(), 5, "{written:?}");
        for name in nbest.iter().chain(&[&format!("total/{}", nbest[0])]) {
            assert!(name.ends_with(&format!(".nbest{ext}")), "{name}");
            assert_eq!(
                &fs::read(out.join(name)).unwrap()[..magic.len()],
                magic,
                "{name}"
            );
        }
        assert_eq!(dashlm::rescore::srilm::read_dir(&out).unwrap(), plain);
    }
    // A list file naming the compressed files (from another directory).
    let nbest_names = |dir: &Path| -> String {
        (names(dir).iter().filter(|n| n.contains(".nbest")))
            .map(|n| format!("{}\n", dir.join(n).display()))
            .collect()
    };
    fs::write(d.join("xz.list"), nbest_names(&d.join("in.xz"))).unwrap();
    rescore(&d.join("xz.list"), &d.join("list-out"));
    let written = names(&d.join("list-out"));
    let nbest = written.iter().filter(|n| n.contains(".nbest"));
    assert!(
        nbest.clone().count() == 5 && nbest.clone().all(|n| n.ends_with(".nbest.xz")),
        "{written:?}"
    );
    // The same lists, without the references a list file does not give.
    let mut unreferenced = plain.clone();
    unreferenced.iter_mut().for_each(|l| l.reference = None);
    let from_list = dashlm::rescore::srilm::read_dir(&d.join("list-out")).unwrap();
    assert_eq!(from_list, unreferenced);
    // One plain file (from the sample) in place of its compressed twin.
    let first = names(&sample)
        .into_iter()
        .find(|n| n.ends_with(".nbest"))
        .unwrap();
    let mut mixed_list = format!("{}\n", sample.join(&first).display());
    (nbest_names(&d.join("in.xz")).lines())
        .filter(|l| !l.ends_with(&format!("/{first}.xz")))
        .for_each(|l| mixed_list.push_str(&format!("{l}\n")));
    assert_eq!(mixed_list.lines().count(), 5);
    fs::write(d.join("mixed.list"), mixed_list).unwrap();
    rescore(&d.join("mixed.list"), &d.join("mixed-list-out"));
    let written = names(&d.join("mixed-list-out"));
    assert!(
        (written.iter().filter(|n| n.contains(".nbest"))).all(|n| n.ends_with(".nbest")),
        "{written:?}"
    );
    // Mixed: one file plain, the others compressed.
    let mixed = d.join("in.gz");
    let first = names(&mixed)
        .into_iter()
        .find(|n| n.ends_with(".nbest.gz"))
        .unwrap();
    fs::remove_file(mixed.join(&first)).unwrap();
    let stem = first.trim_end_matches(".gz");
    fs::copy(sample.join(stem), mixed.join(stem)).unwrap();
    rescore(&mixed, &d.join("mixed-out"));
    let written = names(&d.join("mixed-out"));
    assert!(
        written
            .iter()
            .filter(|n| n.contains(".nbest"))
            .all(|n| n.ends_with(".nbest")),
        "{written:?}"
    );
}
