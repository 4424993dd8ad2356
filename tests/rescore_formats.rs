//! N-best formats: round trips, identical lists across formats, and errors with
//! file and line for malformed input.

use std::fs;
use std::path::{Path, PathBuf};

use dashlm::rescore::{
    jsonl, kaldi, read_lists, srilm, write_lists, Format, Hypothesis, NbestErrorKind, NbestList,
    Rescorer, Weights, LN_10,
};
use dashlm::ReferenceModel;

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/nbest")
        .join(p)
}

fn sample(format: Format) -> Vec<NbestList> {
    let name = match format {
        Format::Jsonl => "sample.jsonl",
        Format::Srilm => "sample.srilm",
        Format::Kaldi => "sample.kaldi",
    };
    read_lists(&data(name), format).unwrap()
}

fn model() -> ReferenceModel {
    let text = fs::read(data("sample-3gram.arpa")).unwrap();
    ReferenceModel::read(&text[..], "sample-3gram.arpa").unwrap()
}

fn synthetic() -> Vec<NbestList> {
    vec![
        NbestList::new("utt-a")
            .with_reference("the cat sat")
            .with_hyp(
                Hypothesis::new("the cat sat", -120.125)
                    .with_lm(-14.5)
                    .with_extra("conf", 0.75),
            )
            .with_hyp(
                Hypothesis::new("a cat sat", -119.5)
                    .with_lm(-16.0)
                    .with_extra("conf", 0.25),
            )
            .with_hyp(
                Hypothesis::new("", -200.0)
                    .with_lm(-3.0)
                    .with_extra("conf", 0.0),
            ),
        NbestList::new("utt-b").with_hyp(Hypothesis::new("x y z", -1.0).with_lm(-2.0)),
        NbestList::new("utt-c").with_reference("hello"),
    ]
}

fn assert_close(a: &[NbestList], b: &[NbestList], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.id, y.id);
        assert_eq!(x.reference, y.reference, "{}", x.id);
        assert_eq!(x.hyps.len(), y.hyps.len(), "{}", x.id);
        for (h, g) in x.hyps.iter().zip(&y.hyps) {
            assert_eq!(h.words, g.words);
            assert!(
                (h.acoustic - g.acoustic).abs() <= tol,
                "{} {} vs {}",
                x.id,
                h.acoustic,
                g.acoustic
            );
            match (h.lm, g.lm) {
                (Some(p), Some(q)) => assert!((p - q).abs() <= tol, "{p} vs {q}"),
                (p, q) => assert_eq!(p, q),
            }
        }
    }
}

#[test]
fn jsonl_round_trip_is_exact() {
    let lists = synthetic();
    let mut out = Vec::new();
    jsonl::write(&mut out, &lists).unwrap();
    let back = jsonl::read(&out[..], "mem").unwrap();
    assert_eq!(back, lists);
    // And the shared sample: read -> write -> read is the identity.
    let sample = sample(Format::Jsonl);
    let mut out = Vec::new();
    jsonl::write(&mut out, &sample).unwrap();
    assert_eq!(jsonl::read(&out[..], "mem").unwrap(), sample);
}

/// JSONL numbers read as the nearest `f64`, as `str::parse` reads them: with
/// serde_json's default (fast, inexact) parser, `-9.888888888888891e128`
/// (written by the writer) read back one unit in the last place off, and long
/// decimals were misread the same way (found by the `nbest` fuzz target).
#[test]
fn jsonl_numbers_read_exactly() {
    let long = format!("-9{}", "8".repeat(128));
    for text in [
        long.as_str(),
        "-9.888888888888891e128",
        "-123.45678901234567",
        "-1e-300",
    ] {
        let line = format!(r#"{{"id": "u", "hyps": [{{"words": "a", "acoustic": {text}}}]}}"#);
        let lists = jsonl::read(line.as_bytes(), "mem").unwrap();
        let want: f64 = text.parse().unwrap();
        assert_eq!(
            lists[0].hyps[0].acoustic.to_bits(),
            want.to_bits(),
            "{text}"
        );
        let mut out = Vec::new();
        jsonl::write(&mut out, &lists).unwrap();
        assert_eq!(jsonl::read(&out[..], "mem").unwrap(), lists, "{text}");
    }
}

#[test]
fn kaldi_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    // Lists without a hypothesis have no place in Kaldi archives.
    let lists: Vec<NbestList> = synthetic()
        .into_iter()
        .filter(|l| !l.hyps.is_empty())
        .collect();
    kaldi::write_dir(dir.path(), &lists).unwrap();
    let back = kaldi::read_dir(dir.path()).unwrap();
    assert_eq!(back, lists);
    let sample = sample(Format::Kaldi);
    let dir2 = tempfile::tempdir().unwrap();
    kaldi::write_dir(dir2.path(), &sample).unwrap();
    assert_eq!(kaldi::read_dir(dir2.path()).unwrap(), sample);
}

#[test]
fn srilm_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let lists = synthetic();
    srilm::write_dir(dir.path(), &lists).unwrap();
    let back = srilm::read_dir(dir.path()).unwrap();
    // Scores pass through log10 with 10 decimals; extras are kept.
    assert_close(&back, &lists, 1e-8);
    assert_eq!(back[0].hyps[1].extra["conf"], 0.25);
    // The shipped files are reproduced (the same numbers, trailing zeros aside).
    let sample = sample(Format::Srilm);
    let dir2 = tempfile::tempdir().unwrap();
    srilm::write_dir(dir2.path(), &sample).unwrap();
    let tokens = |p: PathBuf| -> Vec<String> {
        fs::read_to_string(p)
            .unwrap()
            .split_whitespace()
            .map(|t| t.parse::<f64>().map_or(t.to_string(), |x| x.to_string()))
            .collect()
    };
    for l in &sample {
        let name = format!("{}.nbest", l.id);
        assert_eq!(
            tokens(dir2.path().join(&name)),
            tokens(data("sample.srilm").join(&name))
        );
    }
    assert_eq!(srilm::read_dir(dir2.path()).unwrap(), sample);
}

/// Lists without first-pass LM scores (an `NBestList1.0` input, JSONL
/// without `lm`) are written as `NBestList1.0`, so the scores read back
/// missing (before: written as 0, which then read back as a score, and a
/// first-pass LM weight counted it).
#[test]
fn srilm_lists_without_first_pass_scores_read_back_without_them() {
    let decipher = "NBestList1.0\n(-10240) the cat\n(-10250.5) the hat\n(0)\n";
    let list = srilm::read_file(decipher.as_bytes(), "d.nbest", "d").unwrap();
    let jsonl = NbestList::new("j").with_hyp(Hypothesis::new("a b", -12.345678901));
    let lists = vec![list, jsonl];
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    srilm::write_dir(&out, &lists).unwrap();
    let written = fs::read_to_string(out.join("d.nbest")).unwrap();
    assert_eq!(written, decipher, "the same bytelogs, read and written");
    let back = srilm::read_dir(&out).unwrap();
    assert!(back.iter().flat_map(|l| &l.hyps).all(|h| h.lm.is_none()));
    assert_close(&back, &lists, 1e-9);
    // Some hypotheses with a score and some without: refused, naming one.
    let mixed = vec![NbestList::new("m")
        .with_hyp(Hypothesis::new("a", -1.0).with_lm(-2.0))
        .with_hyp(Hypothesis::new("b", -1.0))];
    let err = srilm::write_dir(&dir.path().join("mixed"), &mixed).unwrap_err();
    assert_eq!(
        err.to_string(),
        "utterance `m`, hypothesis 2: no first-pass LM score, but hypothesis 1 has one: an \
         SRILM n-best file gives an LM score on every line (the plain form) or on none \
         (NBestList1.0)"
    );
    assert!(!dir.path().join("mixed").exists());
    // A probability of zero has no bytelog, nor has a score past f64's range
    // once in bytelogs (which would read back as an error).
    for (score, shown) in [(f64::NEG_INFINITY, "-inf"), (-1e308, "-1e308")] {
        let zero = vec![NbestList::new("z").with_hyp(Hypothesis::new("a", score))];
        let err = srilm::write_dir(&dir.path().join("zero"), &zero).unwrap_err();
        let expected = format!("utterance `z`, hypothesis 1: the acoustic score is {shown}, ");
        assert!(err.to_string().starts_with(&expected), "{err}");
    }
}

/// A directory's `refs` file of which no reference is for one of its
/// utterances is the wrong file: an error, as `--refs` is (before, the lists
/// silently had no references).
#[test]
fn a_directory_refs_file_for_other_utterances_is_an_error() {
    let kaldi = kaldi_dir("u1-1 a b\n", "u1-1 1\n", None);
    fs::write(kaldi.path().join("refs"), "v1 a b\nv2 c\n").unwrap();
    let srilm = tempfile::tempdir().unwrap();
    fs::write(srilm.path().join("u1.nbest"), "-1 -2 2 a b\n").unwrap();
    fs::write(srilm.path().join("refs"), "v1 a b\nv2 c\n").unwrap();
    for (dir, format) in [(kaldi.path(), Format::Kaldi), (srilm.path(), Format::Srilm)] {
        let err = read_lists(dir, format).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: none of its 2 references is for an utterance of the n-best lists (the \
                 lists' first id: `u1`)",
                dir.join("refs").display()
            )
        );
        // One reference that matches is enough; an empty file gives none.
        fs::write(dir.join("refs"), "v1 a b\nu1 a\n").unwrap();
        assert_eq!(
            read_lists(dir, format).unwrap()[0].reference,
            Some(vec!["a".into()])
        );
        fs::write(dir.join("refs"), "").unwrap();
        assert_eq!(read_lists(dir, format).unwrap()[0].reference, None);
    }
}

#[test]
fn write_lists_and_read_lists_agree_for_every_format() {
    let lists: Vec<NbestList> = synthetic()
        .into_iter()
        .filter(|l| !l.hyps.is_empty())
        .collect();
    for format in [Format::Jsonl, Format::Srilm, Format::Kaldi] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        write_lists(&path, format, &lists).unwrap();
        assert_close(&read_lists(&path, format).unwrap(), &lists, 1e-8);
    }
}

#[test]
fn the_three_sample_formats_hold_the_same_lists() {
    let j = sample(Format::Jsonl);
    let s = sample(Format::Srilm);
    let k = sample(Format::Kaldi);
    assert_eq!(j.len(), 5);
    assert!(j
        .iter()
        .all(|l| l.hyps.len() == 10 && l.reference.is_some()));
    // SRILM files carry log10 scores rounded to 4 decimals.
    assert_close(&j, &s, 1e-3);
    assert_close(&j, &k, 1e-9);
    assert_eq!(
        j[0].hyps[0].extra["decoder_total"],
        k[0].hyps[0].extra["decoder_total"]
    );
}

#[test]
fn mixed_formats_give_identical_rankings() {
    let lm = model();
    let formats = [
        sample(Format::Jsonl),
        sample(Format::Srilm),
        sample(Format::Kaldi),
    ];
    for (lw, wip) in [
        (0.0, 0.0),
        (1.0, 0.0),
        (8.0, -2.0),
        (9.5, -0.63),
        (15.0, 3.0),
    ] {
        let rescorer = Rescorer::new(
            &lm,
            Weights {
                lm_weight: lw,
                word_insertion_penalty: wip,
                ..Weights::default()
            },
        );
        let orders: Vec<Vec<Vec<usize>>> = formats
            .iter()
            .map(|lists| {
                rescorer
                    .rescore_all(lists)
                    .into_iter()
                    .map(|r| r.order)
                    .collect()
            })
            .collect();
        assert_eq!(orders[0], orders[1], "jsonl vs srilm at {lw} {wip}");
        assert_eq!(orders[0], orders[2], "jsonl vs kaldi at {lw} {wip}");
    }
}

#[test]
fn srilm_list_file_and_single_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = data("sample.srilm/synth_00042.nbest");
    fs::write(dir.path().join("list"), format!("{}\n\n", src.display())).unwrap();
    let from_list = srilm::read_path(&dir.path().join("list")).unwrap();
    let single = srilm::read_path(&src).unwrap();
    assert_eq!(from_list, single);
    assert_eq!(single[0].id, "synth_00042");
    assert_eq!(single[0].hyps.len(), 10);
    // An empty n-best file is an utterance without hypotheses, alone (not an
    // empty list of files) as in a directory.
    fs::create_dir(dir.path().join("d")).unwrap();
    fs::write(dir.path().join("d/u1.nbest"), "").unwrap();
    for path in ["d/u1.nbest", "d"] {
        let lists = srilm::read_path(&dir.path().join(path)).unwrap();
        assert_eq!(lists.len(), 1, "{path}");
        assert_eq!(
            (lists[0].id.as_str(), lists[0].hyps.len()),
            ("u1", 0),
            "{path}"
        );
    }
}

#[test]
fn srilm_decipher_bytelog_form() {
    let text = "NBestList1.0\n(-10240) <s> the cat </s>\n(-10250) the hat\n";
    let list = srilm::read_file(text.as_bytes(), "d.nbest", "d").unwrap();
    assert_eq!(list.hyps[0].words, ["the", "cat"]);
    assert_eq!(list.hyps[0].lm, None);
    // bytelog * 1024 / 10000.5 = natural log (SRILM Prob.h).
    assert!((list.hyps[0].acoustic - (-10240.0 * 1024.0 / 10000.5)).abs() < 1e-9);
    assert!((list.hyps[0].acoustic - (-1048.5)).abs() < 0.1);
    assert_eq!(srilm::ln_to_bytelog(list.hyps[1].acoustic), -10250.0);
}

#[test]
fn sentence_markers_are_stripped() {
    let list = srilm::read_file(&b"-1 -2 4 <s> a b </s>\n"[..], "m.nbest", "m").unwrap();
    assert_eq!(list.hyps[0].words, ["a", "b"]);
    let j = jsonl::read(&br#"{"id": "u", "ref": "<s> a </s>", "hyps": [{"words": ["<s>", "a"], "acoustic": 0}]}"#[..], "m").unwrap();
    assert_eq!(j[0].reference.as_deref().unwrap(), ["a"]);
    assert_eq!(j[0].hyps[0].words, ["a"]);
    // However many: what is read can be written and read back as itself.
    let text = r#"{"id": "u", "ref": "<s> <s> a </s> </s>", "hyps": [{"words": "a </s> </s>", "acoustic": 0}, {"words": "<s> <s> a <s> b", "acoustic": 0}, {"words": "</s> </s>", "acoustic": 0}]}"#;
    let j = jsonl::read(text.as_bytes(), "m").unwrap();
    assert_eq!(j[0].reference.as_deref().unwrap(), ["a"]);
    let words: Vec<Vec<&str>> = j[0].hyps.iter().map(|h| h.words.to_strs()).collect();
    assert_eq!(words, [&["a"][..], &["a", "<s>", "b"], &[]]);
    let list = srilm::read_file(&b"-1 -2 5 <s> <s> a </s> </s>\n"[..], "m.nbest", "m").unwrap();
    assert_eq!(list.hyps[0].words, ["a"]);
    let mut out = Vec::new();
    jsonl::write(&mut out, &j).unwrap();
    assert_eq!(jsonl::read(&out[..], "back").unwrap(), j);
}

fn jsonl_err(text: &str) -> (u64, String, NbestErrorKindTag) {
    let e = jsonl::read(text.as_bytes(), "in.jsonl").unwrap_err();
    (e.line(), e.to_string(), tag(e.kind()))
}

#[derive(Clone, Debug, PartialEq)]
enum NbestErrorKindTag {
    Json,
    Field,
    Number,
    Syntax,
    WordCount,
    Duplicate,
    BadKey,
    MissingScore,
    UnknownKey,
    ScoreCount,
    Io,
    OutOfRange,
    DuplicateJsonKey,
    ScoreDirectoryLine,
    ByteOrderMark,
    NoLists,
    DuplicateFile,
}

fn tag(k: &NbestErrorKind) -> NbestErrorKindTag {
    use NbestErrorKindTag as T;
    match k {
        NbestErrorKind::Json(_) => T::Json,
        NbestErrorKind::Field { .. } => T::Field,
        NbestErrorKind::Number { .. } => T::Number,
        NbestErrorKind::Syntax { .. } => T::Syntax,
        NbestErrorKind::WordCount { .. } => T::WordCount,
        NbestErrorKind::Duplicate(_) => T::Duplicate,
        NbestErrorKind::BadKey(_) => T::BadKey,
        NbestErrorKind::MissingScore { .. } => T::MissingScore,
        NbestErrorKind::UnknownKey(_) => T::UnknownKey,
        NbestErrorKind::ScoreCount { .. } => T::ScoreCount,
        NbestErrorKind::Io(_) => T::Io,
        NbestErrorKind::OutOfRange { .. } => T::OutOfRange,
        NbestErrorKind::DuplicateJsonKey(_) => T::DuplicateJsonKey,
        NbestErrorKind::ScoreDirectoryLine { .. } => T::ScoreDirectoryLine,
        NbestErrorKind::ByteOrderMark => T::ByteOrderMark,
        NbestErrorKind::NoLists { .. } => T::NoLists,
        NbestErrorKind::DuplicateFile { .. } => T::DuplicateFile,
        _ => panic!("unexpected kind {k:?}"),
    }
}

#[test]
fn malformed_jsonl_errors_name_file_and_line() {
    use NbestErrorKindTag as T;
    let good = r#"{"id": "u1", "hyps": [{"words": "a", "acoustic": -1}]}"#;
    let cases: &[(&str, T, &str)] = &[
        ("{\"id\": \"u2\", \"hyps\": [", T::Json, "invalid JSON"),
        ("[1, 2]", T::Json, "expected an object"),
        // Python's `json` writes these by default; JSON has no such numbers.
        (
            r#"{"id": "u2", "hyps": [{"words": "a", "acoustic": -1, "lm": -Infinity}]}"#,
            T::Json,
            "invalid number at column 61 (JSON has no NaN or infinite numbers; \
             Python's `json` writes them unless `allow_nan=False`)",
        ),
        (
            r#"{"id": "u2", "hyps": [{"words": "a", "acoustic": NaN}]}"#,
            T::Json,
            "column 50 (JSON has no NaN",
        ),
        (r#"{"hyps": []}"#, T::Field, "field `id`: missing"),
        (r#"{"id": 7, "hyps": []}"#, T::Field, "field `id`"),
        (r#"{"id": "u2"}"#, T::Field, "field `hyps`: missing"),
        (
            r#"{"id": "u2", "hyps": [{"words": "a"}]}"#,
            T::Field,
            "field `hyps[0].acoustic`: missing",
        ),
        (
            r#"{"id": "u2", "hyps": [{"acoustic": 1}]}"#,
            T::Field,
            "field `hyps[0].words`: missing",
        ),
        (
            r#"{"id": "u2", "hyps": [{"words": "a", "acoustic": "x"}]}"#,
            T::Field,
            "hyps[0].acoustic",
        ),
        (
            r#"{"id": "u2", "hyps": [{"words": 3, "acoustic": 1}]}"#,
            T::Field,
            "hyps[0].words",
        ),
        (
            r#"{"id": "u2", "hyps": [{"words": "a", "acoustic": 1, "conf": "high"}]}"#,
            T::Field,
            "hyps[0].conf",
        ),
        (
            r#"{"id": "u2", "hyps": [{"words": "a", "acoustic": 1, "lm": []}]}"#,
            T::Field,
            "hyps[0].lm",
        ),
        (
            r#"{"id": "u1", "hyps": []}"#,
            T::Duplicate,
            "duplicate key `u1`",
        ),
        // Before: the last `id` silently taken.
        (
            r#"{"id": "u2", "id": "u3", "hyps": []}"#,
            T::DuplicateJsonKey,
            "key `id` appears twice in one JSON object",
        ),
        (
            r#"{"id": "u2", "hyps": [{"words": "a", "acoustic": -1, "lm": 1, "lm": 2}]}"#,
            T::DuplicateJsonKey,
            "key `lm` appears twice",
        ),
        (
            r#"{"id": "u2", "hyps": [], "x": {"a": [{"b": 1, "b": 1}]}}"#,
            T::DuplicateJsonKey,
            "key `b` appears twice",
        ),
    ];
    for (bad, kind, msg) in cases {
        let text = format!("{good}\n\n{bad}\n");
        let (line, shown, k) = jsonl_err(&text);
        assert_eq!(line, 3, "{bad}");
        assert_eq!(&k, kind, "{bad}");
        assert!(shown.starts_with("in.jsonl:3: "), "{shown}");
        assert!(shown.contains(msg), "{shown} lacks {msg}");
    }
}

#[test]
fn malformed_srilm_errors_name_file_and_line() {
    use NbestErrorKindTag as T;
    let cases: &[(&str, T, &str)] = &[
        ("-1 -2 3 a b", T::WordCount, "declares 3 words but has 2"),
        ("-1 -2 1 a b", T::WordCount, "declares 1 words but has 2"),
        ("-1 x 1 a", T::Number, "LM score"),
        ("y -2 1 a", T::Number, "acoustic score"),
        // Control characters are escaped, not printed raw to the terminal.
        (
            "-x\x07\x1b[31m -2 1 a",
            T::Number,
            "found `-x\\u{7}\\u{1b}[31m`",
        ),
        // Numbers to `str::parse`, but they would rank the list silently wrong.
        ("nan -2 1 a", T::Number, "acoustic score, found `nan`"),
        (
            "-1 inf 1 a",
            T::OutOfRange,
            "the LM score `inf` is out of range: of the infinities only `-inf`, a probability \
             of zero, is a log probability",
        ),
        // Numbers, but out of range: as written, or in natural log (before:
        // "expected a number ..., found `-1e308`").
        (
            "-1e999 -2 1 a",
            T::OutOfRange,
            "the acoustic score `-1e999` is out of range: past the range of a 64-bit float",
        ),
        (
            "-1 -1e308 1 a",
            T::OutOfRange,
            "the LM score `-1e308` is out of range: a finite log10 value whose natural log",
        ),
        ("-1 -2 two a b", T::Number, "word count"),
        ("-1 -2", T::Syntax, "acoustic_score lm_score num_words"),
        ("NBestList1.0", T::Syntax, "header only on the first line"),
    ];
    for (bad, kind, msg) in cases {
        let text = format!("-5 -6 2 ok fine\n{bad}\n");
        let e = srilm::read_file(text.as_bytes(), "d/u.nbest", "u").unwrap_err();
        assert_eq!((e.line(), tag(e.kind())), (2, kind.clone()), "{bad}");
        assert!(e.to_string().starts_with("d/u.nbest:2: "), "{e}");
        assert!(e.to_string().contains(msg), "{e} lacks {msg}");
    }
    let e = srilm::read_file(&b"NBestList3.0\n"[..], "v3.nbest", "v3").unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (1, T::Syntax));
    assert!(
        e.to_string()
            .contains("the header NBestList1.0 or NBestList2.0"),
        "{e}"
    );
    let e = srilm::read_file(&b"NBestList1.0\n(12) a\n-1 b\n"[..], "d.nbest", "d").unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (3, T::Syntax));
    let e = srilm::read_file(&b"NBestList1.0\n(abc) a\n"[..], "d.nbest", "d").unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (2, T::Number));
    let e = srilm::read_file(&b"NBestList1.0\n(1) a\n(nan) b\n"[..], "d.nbest", "d").unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (3, T::Number));
}

#[test]
fn srilm_directory_errors() {
    use NbestErrorKindTag as T;
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.nbest"), "-1 -2 1 x\n-1 -2 1 y\n").unwrap();
    fs::write(dir.path().join("b.nbest"), "-1 -2 1 x\n-1 -2 2 y\n").unwrap();
    let e = srilm::read_dir(dir.path()).unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (2, T::WordCount));
    assert!(e.source_name().ends_with("b.nbest"));
    fs::write(dir.path().join("b.nbest"), "-1 -2 1 x\n").unwrap();
    fs::create_dir(dir.path().join("conf")).unwrap();
    fs::write(dir.path().join("conf/a.nbest"), "0.5\n").unwrap();
    let e = srilm::read_dir(dir.path()).unwrap_err();
    assert_eq!(tag(e.kind()), T::ScoreCount);
    fs::write(dir.path().join("conf/a.nbest"), "0.5\nhigh\n").unwrap();
    let e = srilm::read_dir(dir.path()).unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (2, T::ScoreDirectoryLine));
    // An n-best file in a subdirectory: the error says how the subdirectory
    // is read (before: "expected a number for the score, found `-1 -2 1 y`").
    fs::write(dir.path().join("conf/a.nbest"), "-1 -2 1 x\n-1 -2 1 y\n").unwrap();
    let e = srilm::read_dir(dir.path()).unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (1, T::ScoreDirectoryLine));
    assert!(
        e.to_string().ends_with(
            "conf/a.nbest:1: expected one log10 score or `(bytelog)` per line (subdirectory \
         `conf` of an SRILM n-best directory is read as a score directory: its files \
         `<id>.nbest` (or `<id>`, `<id>.gz`) hold the extra score `conf`, one value per \
         hypothesis of utterance `<id>`), found `-1 -2 1 x`"
        ),
        "{e}"
    );
    // Log10 values and bytelogs, as SRILM's score directories hold them.
    fs::write(dir.path().join("conf/a.nbest"), "0.5\n(-1000)\n").unwrap();
    let lists = srilm::read_dir(dir.path()).unwrap();
    assert_eq!(lists[0].hyps[0].extra["conf"], 0.5 * LN_10);
    assert_eq!(
        lists[0].hyps[1].extra["conf"],
        srilm::bytelog_to_ln(-1000.0)
    );
    assert!(lists[1].hyps[0].extra.is_empty());
    fs::write(dir.path().join("list"), "a.nbest\nmissing.nbest\n").unwrap();
    let e = srilm::read_list(&dir.path().join("list")).unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (2, T::Io));
}

/// text, ac_cost, lm_cost, the file named in the error, its line, the error.
type KaldiCase<'a> = (
    String,
    String,
    Option<&'a str>,
    &'a str,
    u64,
    NbestErrorKindTag,
);

fn kaldi_dir(text: &str, ac: &str, lm: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("text"), text).unwrap();
    fs::write(dir.path().join("ac_cost"), ac).unwrap();
    if let Some(lm) = lm {
        fs::write(dir.path().join("lm_cost"), lm).unwrap();
    }
    dir
}

#[test]
fn malformed_kaldi_errors_name_file_and_line() {
    use NbestErrorKindTag as T;
    let text = "u1-1 a b\nu1-2 a\nu2-1 c\n";
    let ac = "u1-1 10\nu1-2 11\nu2-1 12\n";
    // Good input, hypotheses out of order in the archive are sorted by n.
    let d = kaldi_dir("u1-2 a\nu1-1 a b\n", "u1-1 1\nu1-2 2\n", None);
    let l = kaldi::read_dir(d.path()).unwrap();
    assert_eq!(l[0].hyps[0].words, ["a", "b"]);
    let cases: Vec<KaldiCase> = vec![
        // `u1-01` would be rank 1 again: no rank has a leading zero.
        (
            "u1-1 a b\nu1-01 a\n".into(),
            "u1-1 1\nu1-01 2\n".into(),
            None,
            "text",
            2,
            T::BadKey,
        ),
        // A transcription keyed by utterance: not gathered into one list `spk1`.
        (
            "spk1-0001 a b\nspk1-0002 a\n".into(),
            "spk1-0001 1\nspk1-0002 2\n".into(),
            None,
            "text",
            1,
            T::BadKey,
        ),
        (
            "u1 a b\n".into(),
            "u1 1\n".into(),
            None,
            "text",
            1,
            T::BadKey,
        ),
        (
            "u1-0 a\n".into(),
            "u1-0 1\n".into(),
            None,
            "text",
            1,
            T::BadKey,
        ),
        (
            text.into(),
            "u1-1 10\nu2-1 12\n".into(),
            None,
            "text",
            2,
            T::MissingScore,
        ),
        (
            text.into(),
            format!("{ac}u3-1 5\n"),
            None,
            "ac_cost",
            4,
            T::UnknownKey,
        ),
        (
            text.into(),
            "u1-1 10\nu1-2 eleven\n".into(),
            None,
            "ac_cost",
            2,
            T::Number,
        ),
        (
            text.into(),
            "u1-1 10\nu1-2 NaN\n".into(),
            None,
            "ac_cost",
            2,
            T::Number,
        ),
        (
            text.into(),
            "u1-1 10 3\n".into(),
            None,
            "ac_cost",
            1,
            T::Syntax,
        ),
        (
            text.into(),
            "u1-1 10\nu1-1 10\n".into(),
            None,
            "ac_cost",
            2,
            T::Duplicate,
        ),
        (
            "u1-1 a\nu1-1 b\n".into(),
            "u1-1 1\n".into(),
            None,
            "text",
            2,
            T::Duplicate,
        ),
        (
            text.into(),
            ac.into(),
            Some("u1-1 3\nu1-2 4\n"),
            "text",
            3,
            T::MissingScore,
        ),
    ];
    for (t, a, lm, file, line, kind) in cases {
        let d = kaldi_dir(&t, &a, lm);
        let e = kaldi::read_dir(d.path()).unwrap_err();
        assert_eq!((e.line(), tag(e.kind())), (line, kind), "{t:?} {a:?}: {e}");
        assert!(e.source_name().ends_with(file), "{e}");
        assert!(e.to_string().contains(&format!("{file}:{line}: ")), "{e}");
    }
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("text"), text).unwrap();
    assert_eq!(tag(kaldi::read_dir(d.path()).unwrap_err().kind()), T::Io);
}

#[test]
fn srilm_duplicate_ids_and_standard_input_are_refused() {
    use NbestErrorKindTag as T;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["a", "b"] {
        fs::create_dir(d.join(sub)).unwrap();
        fs::write(d.join(sub).join("u.nbest"), "-1 -2 1 x\n").unwrap();
    }
    // Before: both read, and the second overwrote the first when written back.
    fs::write(d.join("list"), "a/u.nbest\nb/u.nbest\n").unwrap();
    let e = srilm::read_list(&d.join("list")).unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (2, T::DuplicateFile), "{e}");
    assert!(
        e.to_string().ends_with(&format!(
            "list:2: a second file `{}` for utterance `u` (the other is `{}`): one file per \
             utterance",
            d.join("b/u.nbest").display(),
            d.join("a/u.nbest").display()
        )),
        "{e}"
    );
    // One file listed twice says so.
    fs::write(d.join("twice"), "a/u.nbest\na/u.nbest\n").unwrap();
    let e = srilm::read_list(&d.join("twice")).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("(the other is `the same file, at line 1`): one file per utterance"),
        "{e}"
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"-1 -2 1 x\n").unwrap();
    fs::write(d.join("a").join("u.nbest.gz"), gz.finish().unwrap()).unwrap();
    let e = srilm::read_dir(&d.join("a")).unwrap_err();
    assert_eq!(tag(e.kind()), T::DuplicateFile, "{e}");
    // Before: the first line was read to tell the kind of input, then lost.
    let e = srilm::read_path(Path::new("-")).unwrap_err();
    assert!(e.to_string().contains("not from standard input"), "{e}");
}

#[test]
fn a_byte_order_mark_is_an_error_at_line_1_in_every_format() {
    use NbestErrorKindTag as T;
    let bom = "\u{feff}";
    let e = jsonl::read(
        format!("{bom}{{\"id\": \"u\", \"hyps\": []}}\n").as_bytes(),
        "b.jsonl",
    )
    .unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (1, T::ByteOrderMark));
    assert_eq!(
        e.to_string(),
        "b.jsonl:1: starts with a UTF-8 byte-order mark (U+FEFF); remove it"
    );
    let e = srilm::read_file(format!("{bom}-1 -2 1 a\n").as_bytes(), "u.nbest", "u").unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (1, T::ByteOrderMark));
    let e = kaldi::read_text(format!("{bom}u1 a\n").as_bytes(), "refs").unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (1, T::ByteOrderMark));
    let d = kaldi_dir("u1-1 a\n", &format!("{bom}u1-1 1\n"), None);
    let e = kaldi::read_dir(d.path()).unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (1, T::ByteOrderMark));
    assert!(e.source_name().ends_with("ac_cost"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("u.nbest"), "-1 -2 1 a\n").unwrap();
    fs::create_dir(dir.path().join("conf")).unwrap();
    fs::write(dir.path().join("conf/u.nbest"), format!("{bom}0.5\n")).unwrap();
    let e = srilm::read_dir(dir.path()).unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (1, T::ByteOrderMark));
    let refs = dir.path().join("refs.txt");
    fs::write(&refs, format!("{bom}u a\n")).unwrap();
    let e = dashlm::rescore::wer::read_transcripts(&refs, true).unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (1, T::ByteOrderMark));
    // Elsewhere than at the start, U+FEFF is part of a word.
    let l = jsonl::read(
        "{\"id\": \"u\", \"hyps\": [{\"words\": \"a\u{feff}\", \"acoustic\": 0}]}".as_bytes(),
        "x",
    )
    .unwrap();
    assert_eq!(l[0].hyps[0].words, ["a\u{feff}"]);
}

#[test]
fn read_lists_refuses_an_input_without_lists() {
    use NbestErrorKindTag as T;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("empty.jsonl"), "").unwrap();
    let e = read_lists(&d.join("empty.jsonl"), Format::Jsonl).unwrap_err();
    assert_eq!(tag(e.kind()), T::NoLists);
    fs::create_dir(d.join("s")).unwrap();
    fs::create_dir(d.join("s/sub")).unwrap();
    fs::write(d.join("s/sub/u1.nbest"), "-1 -2 1 a\n").unwrap();
    let e = read_lists(&d.join("s"), Format::Srilm).unwrap_err();
    assert_eq!(tag(e.kind()), T::NoLists);
    assert!(
        e.to_string()
            .contains("it holds `sub/` (subdirectories are read as score directories)"),
        "{e}"
    );
    let k = kaldi_dir("", "", Some(""));
    let e = read_lists(k.path(), Format::Kaldi).unwrap_err();
    assert_eq!(tag(e.kind()), T::NoLists);
    // The format's own readers return no lists.
    assert!(jsonl::read(&b""[..], "x").unwrap().is_empty());
    assert!(srilm::read_dir(&d.join("s")).unwrap().is_empty());
    assert!(kaldi::read_dir(k.path()).unwrap().is_empty());
}

#[test]
fn out_of_range_costs_and_standard_input_as_a_kaldi_directory() {
    use NbestErrorKindTag as T;
    let d = kaldi_dir("u1-1 a\n", "u1-1 1e999\n", None);
    let e = kaldi::read_dir(d.path()).unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (1, T::OutOfRange));
    let d = kaldi_dir("u1-1 a\n", "u1-1 -inf\n", None);
    let e = kaldi::read_dir(d.path()).unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (1, T::OutOfRange));
    assert!(
        e.to_string()
            .contains("only `inf`, a probability of zero, is a cost"),
        "{e}"
    );
    // Before: `-/text: read error: No such file or directory`.
    let e = kaldi::read_dir(Path::new("-")).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "standard input: read error: Kaldi n-best lists are read from a directory"
        ),
        "{e}"
    );
}

/// A directory of Kaldi's own n-best rescoring scripts (`archives.N` of
/// `steps/rnnlmrescore.sh`: `ali`, `words`, `words_text`, `acwt`,
/// `lmwt.nolm`, `lmwt.withlm`, no symbol table) reads as the same lists as
/// one with dashlm's names (`text`, `ac_cost`, `lm_cost`; `lmwt.nolm` has no
/// other name: it is the extra score `nolm`); where both names are there,
/// dashlm's is read. Word ids without their symbol table get a hint, and a
/// missing acoustic archive names both names.
#[test]
fn kaldi_script_archive_names_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = |d: &Path| kaldi::read_dir(d).unwrap_err().to_string();
    fs::write(
        d.join("words"),
        "u-1 4 5
u-2 4
",
    )
    .unwrap();
    assert!(err(d).contains("this directory has `words`, transcriptions as word ids: link the symbol table they use"), "{}", err(d));
    fs::write(
        d.join("words_text"),
        "u-1 a b
u-2 a
",
    )
    .unwrap();
    assert!(
        err(d).ends_with("ac_cost: read error: no acoustic cost archive (`ac_cost`, or `acwt` as Kaldi's rescoring scripts name it)"),
        "{}",
        err(d)
    );
    fs::write(
        d.join("ali"),
        "u-1 2 4
u-2 2
",
    )
    .unwrap();
    fs::write(
        d.join("acwt"),
        "u-1 10
u-2 12.5
",
    )
    .unwrap();
    fs::write(
        d.join("lmwt.nolm"),
        "u-1 1
u-2 1.5
",
    )
    .unwrap();
    fs::write(
        d.join("lmwt.withlm"),
        "u-1 7
u-2 inf
",
    )
    .unwrap();
    let scripts = kaldi::read_dir(d).unwrap();
    let ours = tempfile::tempdir().unwrap();
    let o = ours.path();
    for (from, to) in [
        ("words_text", "text"),
        ("acwt", "ac_cost"),
        ("lmwt.withlm", "lm_cost"),
        ("ali", "ali"),
        ("lmwt.nolm", "lmwt.nolm"),
    ] {
        fs::copy(d.join(from), o.join(to)).unwrap();
    }
    assert_eq!(scripts, kaldi::read_dir(o).unwrap());
    let h = &scripts[0].hyps;
    assert_eq!(
        (h[0].text(), h[0].acoustic, h[0].lm, h[0].extra["nolm"]),
        ("a b".to_string(), -10.0, Some(-7.0), -1.0)
    );
    assert_eq!(
        (h[1].acoustic, h[1].lm, h[1].extra["nolm"]),
        (-12.5, Some(f64::NEG_INFINITY), -1.5)
    );
    // dashlm's names first: `text`, `ac_cost` and `lm_cost` beside the scripts'.
    fs::write(
        d.join("text"),
        "u-1 c
u-2 d e
",
    )
    .unwrap();
    fs::write(
        d.join("ac_cost"),
        "u-1 1
u-2 2
",
    )
    .unwrap();
    fs::write(
        d.join("lm_cost"),
        "u-1 3
u-2 4
",
    )
    .unwrap();
    let h = &kaldi::read_dir(d).unwrap()[0].hyps;
    assert_eq!(
        (h[0].text(), h[0].acoustic, h[0].lm),
        ("c".to_string(), -1.0, Some(-3.0))
    );
    assert_eq!(
        (h[1].text(), h[1].acoustic, h[1].lm),
        ("d e".to_string(), -2.0, Some(-4.0))
    );
}

/// The graph costs split as Kaldi's rescoring scripts split them, `lmwt.nolm`
/// (without the first-pass LM) and `lmwt.lmonly` (the LM alone), are the
/// extra scores `nolm` and `lmonly`, negated as costs are (`inf` a
/// probability of zero); every hypothesis needs one; a `.score` archive of the
/// same name beside them is refused; written back, they are `.score`
/// archives that read back the same.
#[test]
fn kaldi_split_graph_costs_are_extra_scores() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, text) in [
        ("words_text", "u-1 a b\nu-2 a\n"),
        ("acwt", "u-1 10\nu-2 12.5\n"),
        ("lmwt.withlm", "u-1 7\nu-2 inf\n"),
        ("lmwt.nolm", "u-1 1\nu-2 1.5\n"),
        ("lmwt.lmonly", "u-1 6\nu-2 inf\n"),
    ] {
        fs::write(d.join(name), text).unwrap();
    }
    let lists = kaldi::read_dir(d).unwrap();
    let score = |k: usize, name: &str| lists[0].hyps[k].extra[name];
    assert_eq!((score(0, "nolm"), score(0, "lmonly")), (-1.0, -6.0));
    assert_eq!(
        (score(1, "nolm"), score(1, "lmonly")),
        (-1.5, f64::NEG_INFINITY)
    );
    // Written back as `.score` archives (scores, not costs), read back alike.
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("out");
    let mut finite = lists.clone();
    finite[0].hyps[1].extra.insert("lmonly".into(), -2.0);
    finite[0].hyps[1].lm = Some(-3.0);
    kaldi::write_dir(&o, &finite).unwrap();
    assert_eq!(
        fs::read_to_string(o.join("nolm.score")).unwrap(),
        "u-1 -1\nu-2 -1.5\n"
    );
    assert_eq!(kaldi::read_dir(&o).unwrap(), finite);
    // A hypothesis without its cost: an error naming the archive.
    fs::write(d.join("lmwt.lmonly"), "u-1 6\n").unwrap();
    let e = kaldi::read_dir(d).unwrap_err().to_string();
    assert!(e.contains("u-2") && e.contains("lmwt.lmonly"), "{e}");
    fs::remove_file(d.join("lmwt.lmonly")).unwrap();
    // Two archives for one score.
    fs::write(d.join("nolm.score"), "u-1 -1\nu-2 -1.5\n").unwrap();
    let e = kaldi::read_dir(d).unwrap_err().to_string();
    assert!(
        e.contains("found `lmwt.nolm` and `nolm.score` for score `nolm`"),
        "{e}"
    );
}

/// A Kaldi extra score archive may be compressed, as the n-best files of
/// SRILM score directories may (before: `conf.score.gz` was not read); one
/// score in two archives is an error.
#[test]
fn kaldi_score_archives_may_be_compressed() {
    use std::io::Write;
    let dir = kaldi_dir("u1-1 a b\nu1-2 a\n", "u1-1 1\nu1-2 2\n", None);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"u1-1 -0.5\nu1-2 -1.5\n").unwrap();
    fs::write(dir.path().join("conf.score.gz"), gz.finish().unwrap()).unwrap();
    let lists = read_lists(dir.path(), Format::Kaldi).unwrap();
    assert_eq!(lists[0].hyps[1].extra["conf"], -1.5);
    fs::write(dir.path().join("conf.score"), "u1-1 0\n").unwrap();
    let err = read_lists(dir.path(), Format::Kaldi)
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with(
            "expected one archive per extra score (plain, .gz or .xz), found `conf.score` and \
             `conf.score.gz` for score `conf`"
        ),
        "{err}"
    );
}

/// Bytes that are not UTF-8 are an error at their line and offset in every
/// line reader (before: "stream did not contain valid UTF-8", with no byte).
#[test]
fn bytes_that_are_not_utf8_are_named_by_line_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("bad.jsonl");
    fs::write(
        &jsonl,
        b"{\"id\": \"u\", \"hyps\": []}\n{\"id\": \"v\xff\", \"hyps\": []}\n",
    )
    .unwrap();
    let srilm = dir.path().join("s");
    fs::create_dir(&srilm).unwrap();
    fs::write(srilm.join("u.nbest"), b"-1 -2 1 a\n-1 -2 1 b\xfe\n").unwrap();
    let kaldi = kaldi_dir("u1-1 a\n", "u1-1 1\n", None);
    fs::write(kaldi.path().join("text"), b"u1-1 a\xc3\n").unwrap();
    let cases = [
        (
            jsonl.clone(),
            Format::Jsonl,
            "bad.jsonl:2",
            "offset 9 of the line is 0xff",
        ),
        (
            srilm.clone(),
            Format::Srilm,
            "u.nbest:2",
            "offset 9 of the line is 0xfe",
        ),
        (
            kaldi.path().to_path_buf(),
            Format::Kaldi,
            "text:1",
            "offset 6 of the line is 0xc3",
        ),
    ];
    for (path, format, at, what) in cases {
        let err = read_lists(&path, format).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "{at}: read error: not UTF-8 text: the byte at {what}"
            )),
            "{err}"
        );
    }
}

/// Scores of any size are written so they read back: Kaldi's exactly,
/// SRILM's converted ones (log10, extra scores too) to 15 significant digits
/// (before: 10 decimals, so `-1e-15` came back as 0, and `-1e300` took 301
/// digits).
#[test]
fn written_scores_of_any_size_read_back() {
    let scores = [
        -1e-15,
        -1.2345678901234567,
        -123456789012.5,
        -1e300,
        -1e-300,
    ];
    let list = |id: &str| {
        scores.iter().fold(NbestList::new(id), |l, &x| {
            l.with_hyp(
                Hypothesis::new("a", x)
                    .with_lm(x / 3.0)
                    .with_extra("conf", x),
            )
        })
    };
    let lists = vec![list("u")];
    let dir = tempfile::tempdir().unwrap();
    let (k, s) = (dir.path().join("k"), dir.path().join("s"));
    kaldi::write_dir(&k, &lists).unwrap();
    assert_eq!(kaldi::read_dir(&k).unwrap(), lists, "Kaldi: exact");
    srilm::write_dir(&s, &lists).unwrap();
    let back = srilm::read_dir(&s).unwrap();
    for (b, h) in back[0].hyps.iter().zip(&lists[0].hyps) {
        let (bx, hx) = (b.extra["conf"], h.extra["conf"]);
        for (x, y) in [
            (b.acoustic, h.acoustic),
            (b.lm.unwrap(), h.lm.unwrap()),
            (bx, hx),
        ] {
            assert!((x - y).abs() <= 1e-14 * y.abs(), "{x:e} {y:e}");
        }
    }
    let written = fs::read_to_string(k.join("ac_cost")).unwrap();
    assert!(
        written.contains("u-1 1e-15\n") && written.contains("u-4 1e300\n"),
        "{written}"
    );
}

/// A list file's line naming a directory says so (before: "no such n-best
/// file", for a path that exists).
#[test]
fn a_list_file_naming_a_directory_says_so() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("list"), "sub\n").unwrap();
    let err = srilm::read_list(&dir.path().join("list"))
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("sub: a directory, not an n-best file"),
        "{err}"
    );
}

/// What SRILM's own tools write is read as SRILM reads it (audit 21): the
/// word count `ngram -rescore` writes (without `<s>`, `</s>` and the pause
/// word), the pause word dropped, Decipher lines without their header, and
/// `.score` list names.
#[test]
fn srilm_reads_what_srilm_writes() {
    let read = |text: &str| srilm::read_file(text.as_bytes(), "u.nbest", "u");
    // Counts of every token or of the words SRILM counts; both read the same.
    for line in [
        "-100 -2.2 4 <s> a b </s>",
        "-100 -2.2 2 <s> a b </s>",
        "-100 -2.2 3 a -pau- b",
        "-100 -2.2 2 a -pau- b",
        "-100 -2.2 2 a b",
    ] {
        let list = read(&format!("{line}\n")).unwrap();
        assert_eq!(list.hyps[0].words, ["a", "b"], "{line}");
        assert_eq!(list.hyps[0].lm, Some(-2.2 * LN_10), "{line}");
    }
    let e = read("-100 -2.2 3 <s> a -pau- b </s>\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "u.nbest:1: the hypothesis declares 3 words but has 5 (2 without `<s>`, `</s>` and \
         SRILM's pause word `-pau-`, as SRILM counts them)"
    );
    let e = read("-1 -2 3 a b\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "u.nbest:1: the hypothesis declares 3 words but has 2"
    );
    // The pause word is dropped from the Decipher forms too.
    let v2 =
        "NBestList2.0\n(-30) a ( st: 0.00 et: 0.10 g: -1 a: -9 ) -pau- ( st: 0.11 et: 0.20 g: 0 \
              a: -5 ) b ( st: 0.21 et: 0.30 g: -2 a: -13 )\n";
    assert_eq!(read(v2).unwrap().hyps[0].words, ["a", "b"]);
    // Pauses are dropped before the sentence markers (audit 23: before, a
    // pause outside them kept them, and the list could not be written).
    for line in [
        "-100 -2 6 -pau- <s> a b </s> -pau-",
        "-100 -2 2 -pau- <s> a b </s> -pau-",
    ] {
        assert_eq!(
            read(&format!("{line}\n")).unwrap().hyps[0].words,
            ["a", "b"],
            "{line}"
        );
    }
    let list = read("NBestList1.0\n(-100) -pau- <s> a b </s> -pau-\n").unwrap();
    assert_eq!(list.hyps[0].words, ["a", "b"]);
    // A Decipher line without its header, as SRILM's `NBestHyp::parse` reads it.
    let list = read("(-100) a -pau- b\n(-90) a\n").unwrap();
    assert_eq!(list.hyps[1].acoustic, srilm::bytelog_to_ln(-90.0));
    assert_eq!((list.hyps[0].words.len(), list.hyps[0].lm), (2, None));
    // Not mixed with plain lines, either way round: the list is written in one form.
    for text in ["(-100) a b\n-100 -2 2 a b\n", "-100 -2 2 a b\n(-100) a b\n"] {
        let e = read(text).unwrap_err();
        assert_eq!(e.line(), 2, "{e}");
        assert!(
            e.to_string().contains(
                "expected the form of the lines before it: plain `acoustic lm num_words w1 ...` \
                 lines and `(bytelog) w1 ...` lines are not mixed in one file"
            ),
            "{e}"
        );
    }
    // `rescore-decipher` names its rescored lists `<id>.score.gz`.
    let dir = tempfile::tempdir().unwrap();
    let listed = dir.path().join("u1.score");
    fs::write(&listed, "-100 -2 2 a b\n").unwrap();
    fs::write(dir.path().join("list"), "u1.score\n").unwrap();
    assert_eq!(
        srilm::read_list(&dir.path().join("list")).unwrap()[0].id,
        "u1"
    );
    // A list from another format holding the pause word is not written: it
    // would read back without it.
    let paused = NbestList::new("u").with_hyp(Hypothesis::new("a -pau- b", -1.0).with_lm(-2.0));
    let e = srilm::write_file(&mut Vec::new(), &paused).unwrap_err();
    assert_eq!(
        e.to_string(),
        "utterance `u`, hypothesis 1: the word `-pau-` is SRILM's pause word, which SRILM's \
         readers (and dashlm's) drop from a hypothesis: it would not read back"
    );
}

/// SRILM score directories hold log10 values, as SRILM's own do: written so
/// and read back as the same natural-log scores.
#[test]
fn srilm_score_directories_are_log10() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let lists = vec![NbestList::new("u").with_hyp(
        Hypothesis::new("a", -1.0)
            .with_lm(-2.0)
            .with_extra("new_lm", -2.5 * LN_10),
    )];
    srilm::write_dir(&out, &lists).unwrap();
    assert_eq!(
        fs::read_to_string(out.join("new_lm/u.nbest")).unwrap(),
        "-2.5\n"
    );
    assert_eq!(srilm::read_dir(&out).unwrap(), lists);
    // Score files named as SRILM's scripts name them: `<id>`, `<id>.gz`.
    fs::rename(out.join("new_lm/u.nbest"), out.join("new_lm/u")).unwrap();
    assert_eq!(srilm::read_dir(&out).unwrap(), lists);
    fs::write(out.join("new_lm/u.nbest"), "-2.5\n").unwrap();
    let e = srilm::read_dir(&out).unwrap_err();
    assert!(
        matches!(e.kind(), NbestErrorKind::DuplicateFile { id, .. } if id == "u"),
        "{e}"
    );
    fs::remove_file(out.join("new_lm/u.nbest")).unwrap();
    // A malformed `(bytelog)` is quoted whole.
    fs::write(out.join("new_lm/u"), "( -10 )\n").unwrap();
    let e = srilm::read_dir(&out).unwrap_err();
    assert!(e.to_string().ends_with("found `( -10 )`"), "{e}");
}

/// Audit 24: references lose the pause word as hypotheses do; `refs` as a
/// directory, numeric list names, `.score` files alone, a score named like a
/// list file.
#[test]
fn srilm_references_and_names_as_srilm_uses_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("u1.nbest"), "-10 -2 3 a -pau- b\n").unwrap();
    // References lose pauses first, then the markers, as hypotheses do.
    for refs in ["u1 a -pau- b\n", "u1 -pau- <s> a b </s> -pau-\n"] {
        fs::write(d.join("refs"), refs).unwrap();
        let lists = srilm::read_dir(d).unwrap();
        let want = ["a".to_string(), "b".to_string()];
        assert_eq!(lists[0].reference.as_deref(), Some(&want[..]), "{refs}");
    }
    // `refs` is the references file, not a score directory.
    fs::remove_file(d.join("refs")).unwrap();
    fs::create_dir(d.join("refs")).unwrap();
    let e = srilm::read_dir(d).unwrap_err();
    assert!(
        e.to_string().contains("`refs` is the references file"),
        "{e}"
    );
    fs::remove_dir(d.join("refs")).unwrap();
    // A list file naming files by numeric ids (SRILM's scripts name them so),
    // the first missing or not.
    let ids = tempfile::tempdir().unwrap();
    fs::write(ids.path().join("2001"), "-10 -2 2 the device\n").unwrap();
    fs::write(ids.path().join("list"), "2001\n").unwrap();
    let lists = srilm::read_path(&ids.path().join("list")).unwrap();
    assert_eq!(lists[0].id, "2001");
    fs::write(ids.path().join("list"), "2005\n2001\n").unwrap();
    let e = srilm::read_path(&ids.path().join("list")).unwrap_err();
    assert_eq!((e.line(), tag(e.kind())), (1, NbestErrorKindTag::Io), "{e}");
    // An empty `<id>.score` alone is an utterance without hypotheses, as in a list.
    fs::write(ids.path().join("e.score"), "").unwrap();
    assert_eq!(
        srilm::read_path(&ids.path().join("e.score")).unwrap()[0].id,
        "e"
    );
    // A score named like a list's file is written unless an utterance has that name.
    let w = |score: &str| {
        vec![NbestList::new("u").with_hyp(
            Hypothesis::new("a", -1.0)
                .with_lm(-1.0)
                .with_extra(score, -2.0),
        )]
    };
    srilm::write_dir(&d.join("o1"), &w("w.nbest")).unwrap();
    assert_eq!(srilm::read_dir(&d.join("o1")).unwrap(), w("w.nbest"));
    assert!(srilm::write_dir(&d.join("o2"), &w("u.nbest")).is_err());
}
