//! Helpers shared by the CLI tests of `dashlm rescore`, `tune` and `wer`:
//! the shipped sample's paths, running the binary, and expected refusals.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/nbest")
        .join(p)
}

pub fn dashlm(args: &[&str]) -> Output {
    dashlm_with(args, None, None)
}

/// `dashlm ARGS` with standard input read from `stdin` (else empty) and
/// standard output written to `stdout` (else captured).
pub fn dashlm_with(args: &[&str], stdin: Option<&Path>, stdout: Option<&Path>) -> Output {
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

pub fn ok(args: &[&str]) -> (String, String) {
    let out = dashlm(args);
    let (so, se) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(out.status.success(), "{args:?}: {se}");
    (so, se)
}

/// A new directory holding `files` (name, contents).
pub fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// A copy of the shipped sample directory `sample` (`sample.kaldi`, ...) in
/// `parent`, to change or write into.
pub fn copy_sample(sample: &str, parent: &Path) -> PathBuf {
    let dir = parent.join(sample);
    fs::create_dir(&dir).unwrap();
    for entry in fs::read_dir(data(sample)).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    dir
}

/// Reads a Kaldi directory of `files`, expecting an error at `line` of the
/// directory's file `name` whose message contains `expected`.
pub fn assert_kaldi_refused(files: &[(&str, &str)], name: &str, line: u64, expected: &str) {
    let d = dir_with(files);
    let e = dashlm::rescore::kaldi::read_dir(d.path()).unwrap_err();
    let source = d.path().join(name).display().to_string();
    assert_eq!((e.line(), e.source_name()), (line, &*source), "{e}");
    assert!(e.to_string().contains(expected), "{e}");
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `dashlm` with `args` on the sample, expecting exit status 2 and a
/// message containing `expected` on stderr.
pub fn refused(args: &[&str], expected: &str) {
    let (model, input) = (data("sample-3gram.arpa"), data("sample.jsonl"));
    let mut all = vec![args[0], "--model", s(&model), "--input", s(&input)];
    all.extend_from_slice(&args[1..]);
    refused_as_given(&all, expected);
}

/// Runs `dashlm args`, expecting exit status 2 and a message containing
/// `expected` on stderr.
pub fn refused_as_given(args: &[&str], expected: &str) {
    let out = dashlm(args);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(expected), "{args:?}: {err}");
}

/// `rescore --model MODEL --lm-weight 1 --wip 0` and `extra`.
pub fn rescore_with<'a>(model: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
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

/// `args` with `--model` (the sample model) and `--input INPUT` after the
/// subcommand, and `--lm-weight 1 --wip 0` for `rescore` (and stdout's
/// lists to `--best-text -`).
pub fn on_input<'a>(model: &'a str, input: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec![args[0], "--model", model, "--input", input];
    if args[0] == "rescore" {
        all.extend(["--lm-weight", "1", "--wip", "0"]);
    }
    all.extend_from_slice(&args[1..]);
    all
}
