//! What an input lacks is an error naming it, never a score silently left
//! out: a first-pass LM weight with hypotheses that have no first-pass LM
//! score, and an optional file of an n-best directory (`refs`, Kaldi's
//! `lm_cost`, `ali`, `*.score`) whose name is there but which cannot be read.

mod rescore_cli_common;

use std::fs;
use std::path::Path;

use rescore_cli_common::{data, dir_with, ok, refused_as_given, rescore_with, s};

/// `dashlm COMMAND` on `input` in `format` with the sample model, a
/// first-pass LM weight of `weight` and `rest`.
fn with_first_pass<'a>(
    command: &'a str,
    model: &'a str,
    input: &'a str,
    format: &'a str,
    weight: &'a str,
    rest: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        command,
        "--model",
        model,
        "--input",
        input,
        "--format",
        format,
        "--first-pass-lm-weight",
        weight,
    ];
    if command == "rescore" {
        args.extend(["--lm-weight", "8", "--wip", "0"]);
    }
    args.extend_from_slice(rest);
    args
}

#[test]
fn a_first_pass_lm_weight_needs_every_hypothesis_to_have_that_score() {
    let model = data("sample-3gram.arpa");
    let tmp = tempfile::tempdir().unwrap();
    // The sample's first list with the second hypothesis' `lm` removed.
    let first = fs::read_to_string(data("sample.jsonl")).unwrap();
    let first = first.lines().next().unwrap();
    let at = first.match_indices(", \"lm\": ").nth(1).unwrap().0;
    let end = at + first[at + 2..].find([',', '}']).unwrap() + 2;
    let jsonl = tmp.path().join("nolm.jsonl");
    fs::write(&jsonl, format!("{}{}\n", &first[..at], &first[end..])).unwrap();
    // A Kaldi directory without `lm_cost`.
    let kaldi = tmp.path().join("kaldi");
    fs::create_dir(&kaldi).unwrap();
    for name in ["text", "ac_cost", "refs"] {
        fs::copy(data("sample.kaldi").join(name), kaldi.join(name)).unwrap();
    }
    let out = tmp.path().join("best.txt");
    for command in ["rescore", "tune"] {
        for (input, format, hyp) in [(&jsonl, "jsonl", 2), (&kaldi, "kaldi", 1)] {
            let expected = "no first-pass LM score, but the first-pass LM weight is 0.5: give \
                            every hypothesis one (JSONL `lm`, a Kaldi `lm_cost` archive, \
                            SRILM's plain form) or weight it 0";
            let rest = ["--best-text", s(&out)];
            let rest: &[&str] = if command == "rescore" { &rest } else { &[] };
            let args = with_first_pass(command, s(&model), s(input), format, "0.5", rest);
            refused_as_given(&args, expected);
            refused_as_given(
                &args,
                &format!("utterance `synth_00042`, hypothesis {hyp}:"),
            );
            // Weighted 0, the score is not needed.
            let mut args = with_first_pass(command, s(&model), s(input), format, "0", rest);
            if command == "tune" {
                args.extend(["--lm-weights", "0:2:1", "--wips", "0:1:1"]);
            }
            ok(&args);
        }
    }
}

/// `rescore` of the n-best directory `dir` in `format`.
fn rescore_dir(dir: &Path, format: &str, expected: &str) {
    let model = data("sample-3gram.arpa");
    let extra = [
        "--input",
        s(dir),
        "--format",
        format,
        "--best-text",
        "/dev/null",
    ];
    let args = rescore_with(s(&model), &extra);
    refused_as_given(&args, expected);
}

#[test]
fn an_optional_file_that_is_there_but_cannot_be_read_is_an_error_naming_it() {
    let sample = data("sample.kaldi");
    let kaldi_files: Vec<(String, String)> = ["text", "ac_cost", "lm_cost", "refs"]
        .iter()
        .map(|n| (n.to_string(), fs::read_to_string(sample.join(n)).unwrap()))
        .collect();
    let kaldi_files: Vec<(&str, &str)> = kaldi_files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    for name in ["lm_cost", "ali", "refs", "conf.score"] {
        for dangling in [true, false] {
            let d = dir_with(&kaldi_files);
            let path = d.path().join(name);
            let _ = fs::remove_file(&path);
            if dangling {
                std::os::unix::fs::symlink("/nonexistent/lmwt.withlm", &path).unwrap();
            } else {
                fs::create_dir(&path).unwrap();
            }
            let why = if dangling {
                "read error: No such file or directory"
            } else {
                "read error: Is a directory"
            };
            rescore_dir(d.path(), "kaldi", &format!("{}: {why}", path.display()));
        }
    }
    // SRILM's `refs` (a directory there is a score directory, which has no
    // place for a link to nowhere).
    let srilm = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(data("sample.srilm")).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_file() {
            fs::copy(entry.path(), srilm.path().join(entry.file_name())).unwrap();
        }
    }
    let refs = srilm.path().join("refs");
    let _ = fs::remove_file(&refs);
    std::os::unix::fs::symlink("/nonexistent/refs", &refs).unwrap();
    let expected = format!("{}: read error: No such file or directory", refs.display());
    rescore_dir(srilm.path(), "srilm", &expected);
}
