//! `dashlm query` end to end: the built binary on `data/tiny.arpa`. The expected
//! text is KenLM's `query` output for the same model and input (KenLM 0.1.0 of
//! `kenlm-rs`, probing model, its printing rules: `word=id order log10prob\t` per
//! word, `Total: X OOV: N` per line, then the summary).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `dashlm ARGS` in the crate root with `input` on stdin.
fn dashlm(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dashlm"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the dashlm binary runs");
    // A run that fails before reading its input (a malformed model) may
    // close the pipe first: its status and stderr are what is tested.
    if let Err(e) = child.stdin.take().unwrap().write_all(input.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

/// Runs `dashlm query ARGS` and returns stdout, asserting success and a quiet stderr.
fn query(args: &[&str], input: &str) -> String {
    let mut all = vec!["query"];
    all.extend_from_slice(args);
    let out = dashlm(&all, input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "dashlm {all:?} failed: {stderr}");
    assert_eq!(stderr, "", "dashlm {all:?}: nothing on stderr");
    String::from_utf8(out.stdout).unwrap()
}

/// data/sentences.txt (the README's quick start input).
const SENTENCES: &str = "the cat sat on the mat\non the mat the cat sat\nthe dog sat on the mat\n";

const WORDS: [&str; 3] = [
    "the=3 2 -0.4\tcat=4 3 -0.2\tsat=5 3 -0.25\ton=6 2 -0.6\tthe=3 3 -0.15\tmat=7 3 -0.1\t</s>=2 2 -0.25\t",
    "on=6 1 -1.9\tthe=3 2 -0.3\tmat=7 3 -0.1\tthe=3 1 -1.5\tcat=4 2 -0.7\tsat=5 3 -0.25\t</s>=2 1 -1.45\t",
    "the=3 2 -0.4\tdog=0 1 -2.4\tsat=5 1 -1.6\ton=6 2 -0.5\tthe=3 3 -0.15\tmat=7 3 -0.1\t</s>=2 2 -0.25\t",
];
const TOTALS: [&str; 3] = [
    "Total: -1.95 OOV: 0\n",
    "Total: -6.2 OOV: 0\n",
    "Total: -5.4 OOV: 1\n",
];
const SUMMARY: &str = "Perplexity including OOVs:\t4.41812595588644\n\
                       Perplexity excluding OOVs:\t3.60994007641072\n\
                       OOVs:\t1\n\
                       Tokens:\t21\n";

#[test]
fn bundled_sentences_file_is_the_one_tested() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sentences.txt");
    assert_eq!(std::fs::read_to_string(path).unwrap(), SENTENCES);
}

#[test]
fn default_prints_words_totals_and_summary() {
    let want = format!(
        "{}{}{}{}{}{}{SUMMARY}",
        WORDS[0], TOTALS[0], WORDS[1], TOTALS[1], WORDS[2], TOTALS[2]
    );
    assert_eq!(query(&["data/tiny.arpa"], SENTENCES), want);
    assert_eq!(query(&["-v", "2", "data/tiny.arpa"], SENTENCES), want);
}

#[test]
fn verbosity_word() {
    // KenLM prints no line end at all when only words are asked for.
    assert_eq!(
        query(&["-v", "word", "data/tiny.arpa"], SENTENCES),
        WORDS.concat()
    );
}

#[test]
fn verbosity_sentence() {
    assert_eq!(
        query(&["-v", "sentence", "data/tiny.arpa"], SENTENCES),
        TOTALS.concat()
    );
    assert_eq!(
        query(&["-v", "1", "data/tiny.arpa"], SENTENCES),
        TOTALS.concat() + SUMMARY
    );
}

#[test]
fn verbosity_summary() {
    assert_eq!(
        query(&["-v", "summary", "data/tiny.arpa"], SENTENCES),
        SUMMARY
    );
    assert_eq!(query(&["-v", "0", "data/tiny.arpa"], SENTENCES), SUMMARY);
    assert_eq!(
        query(
            &["-v", "sentence", "-v", "summary", "data/tiny.arpa"],
            SENTENCES
        ),
        TOTALS.concat() + SUMMARY
    );
}

#[test]
fn no_sentence_context() {
    let want = "the=3 1 -1.2\tcat=4 2 -0.7\tsat=5 3 -0.25\ton=6 2 -0.6\tthe=3 3 -0.15\tmat=7 3 -0.1\tTotal: -3 OOV: 0\n\
                on=6 1 -1.4\tthe=3 2 -0.3\tmat=7 3 -0.1\tthe=3 1 -1.5\tcat=4 2 -0.7\tsat=5 3 -0.25\tTotal: -4.25 OOV: 0\n\
                the=3 1 -1.2\tdog=0 1 -2.2\tsat=5 1 -1.6\ton=6 2 -0.5\tthe=3 3 -0.15\tmat=7 3 -0.1\tTotal: -5.75 OOV: 1\n\
                Perplexity including OOVs:\t5.274997063702618\n\
                Perplexity excluding OOVs:\t4.318114110744977\n\
                OOVs:\t1\n\
                Tokens:\t18\n";
    assert_eq!(query(&["-n", "data/tiny.arpa"], SENTENCES), want);
}

#[test]
fn last_line_without_newline_gets_no_end_of_sentence() {
    // KenLM scores the words of an unterminated last line but adds no </s> and no
    // total; its tokens count in the summary, its log probabilities do not.
    let want = "the=3 2 -0.4\tcat=4 3 -0.2\t</s>=2 1 -1.4499999\tTotal: -2.05 OOV: 0\n\
                mat=7 1 -1.8\tmat=7 1 -1.55\tmat=7 1 -1.55\t\
                Perplexity including OOVs:\t2.196173560016992\n\
                Perplexity excluding OOVs:\t2.196173560016992\n\
                OOVs:\t0\n\
                Tokens:\t6\n";
    assert_eq!(query(&["data/tiny.arpa"], "the cat\nmat mat mat"), want);
}

#[test]
fn compressed_model_and_oov_after_context() {
    // data/arpa/quirk-gzip.arpa is gzip data without a .gz name (KenLM: the same
    // figures from the uncompressed text).
    let want = "a=3 2 -0.4\tb=4 3 -0.15\tzzz=0 1 -1.25\t</s>=2 1 -0.7\tTotal: -2.5 OOV: 1\n\
                Perplexity including OOVs:\t4.216965034285822\n\
                Perplexity excluding OOVs:\t2.610157215682537\n\
                OOVs:\t1\n\
                Tokens:\t4\n";
    assert_eq!(query(&["data/arpa/quirk-gzip.arpa"], "a b zzz\n"), want);
}

#[test]
fn missing_unk_is_noted_on_stderr() {
    let out = dashlm(
        &[
            "query",
            "-v",
            "sentence",
            "data/arpa/quirk-missing-unk.arpa",
        ],
        "a zzz\n",
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Total: -101.4 OOV: 1\n"
    );
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "dashlm: note: data/arpa/quirk-missing-unk.arpa: no <unk> in the unigrams; \
         added it with log10 probability -100\n"
    );
}

#[test]
fn malformed_model_exits_2_naming_file_and_line() {
    let out = dashlm(&["query", "data/arpa/bad-duplicate-ngram.arpa"], "a b\n");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(out.stdout, b"");
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "dashlm: data/arpa/bad-duplicate-ngram.arpa:17: duplicate n-gram `a b` (first at line 15)\n"
    );

    let out = dashlm(&["query", "data/arpa/bad-no-end.arpa"], "");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("dashlm: data/arpa/bad-no-end.arpa:20: unexpected end of file"),
        "{stderr}"
    );
}

#[test]
fn truncated_gzip_model_exits_2() {
    let out = dashlm(&["query", "data/arpa/bad-truncated-gzip.arpa.gz"], "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "dashlm: data/arpa/bad-truncated-gzip.arpa.gz:11: read error: incomplete deflate stream\n"
    );
}

#[test]
fn missing_model_file_exits_2() {
    let out = dashlm(&["query", "data/no-such-model.arpa"], "");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("dashlm: data/no-such-model.arpa"),
        "{stderr}"
    );
}

#[test]
fn words_are_split_on_kenlms_whitespace_vertical_tab_included_no_break_space_not() {
    // Before: `the\vcat` was one (unknown) word; KenLM's query reads two.
    let plain = query(&["-v", "sentence", "data/tiny.arpa"], "the cat sat\n");
    let vtab = query(
        &["-v", "sentence", "data/tiny.arpa"],
        "the\x0bcat\x0csat\r\n",
    );
    assert_eq!(vtab, plain);
    // A no-break space is part of a word (one OOV), as in rescore and wer.
    let nbsp = query(&["-v", "word", "data/tiny.arpa"], "the\u{a0}cat\n");
    assert!(nbsp.starts_with("the\u{a0}cat=0 "), "{nbsp}");
}

#[test]
#[cfg(target_os = "linux")]
fn a_model_named_as_the_pipe_on_standard_input_is_refused() {
    // Before: `cat lm.arpa | dashlm query /dev/stdin` read the model from the
    // pipe, then found no sentences left on it and printed a summary of 0
    // tokens (perplexity NaN) with status 0; `bench-query` said "no lines to
    // score". `-` was refused by name: this is the same stream under another.
    let arpa =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tiny.arpa"))
            .unwrap();
    for cmd in ["query", "bench-query"] {
        let out = dashlm(&[cmd, "/dev/stdin"], &arpa);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {stderr}");
        assert!(
            stderr.starts_with(
                "dashlm: MODEL /dev/stdin: standard input, which carries the sentences to score"
            ),
            "{cmd}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{cmd}: nothing on stdout");
    }
}
