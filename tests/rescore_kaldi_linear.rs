//! What Kaldi's `linear-to-nbest` needs back from a rescored n-best
//! directory: every hypothesis' alignment (`ali`) and its words as ids
//! (`words`), keyed like its costs. dashlm keeps each alignment with its
//! hypothesis and writes lists read from word ids back as ids, so the
//! archives of the output join by key as those of the input did.

mod rescore_cli_common;

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use dashlm::rescore::{kaldi, Hypothesis, NbestErrorKind, NbestList};
use rescore_cli_common::{assert_kaldi_refused, data, dir_with, s};

/// `key rest` lines of an archive as a map.
fn archive(path: &Path) -> HashMap<String, String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap_or((l, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// The keys of an archive in file order.
fn keys(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect()
}

#[test]
fn alignments_are_kept_with_their_hypotheses_and_written_back() {
    let d = dir_with(&[
        ("text", "u-2 b\nu-1 a\nv-1 c\n"),
        ("ac_cost", "u-1 1\nu-2 2\nv-1 3\n"),
        // Out of order, Kaldi's trailing space, a run of spaces, an empty one.
        ("ali", "v-1\nu-2 5  6 \nu-1 2 4 4 7 \n"),
    ]);
    let lists = kaldi::read_dir(d.path()).unwrap();
    let got: Vec<Option<&str>> = lists
        .iter()
        .flat_map(|l| l.hyps.iter().map(|h| h.alignment.as_deref()))
        .collect();
    assert_eq!(got, [Some("2 4 4 7"), Some("5 6"), Some("")]);
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("o");
    kaldi::write_dir(&o, &lists).unwrap();
    assert_eq!(
        fs::read_to_string(o.join("ali")).unwrap(),
        "u-1 2 4 4 7\nu-2 5 6\nv-1\n"
    );
    assert_eq!(kaldi::read_dir(&o).unwrap(), lists);
    // Reordered, each alignment moves with its hypothesis.
    let mut swapped = lists.clone();
    swapped[0].hyps.swap(0, 1);
    let o2 = out.path().join("o2");
    kaldi::write_dir(&o2, &swapped).unwrap();
    let (text, ali) = (archive(&o2.join("text")), archive(&o2.join("ali")));
    assert_eq!((&*text["u-1"], &*ali["u-1"]), ("b", "5 6"));
    assert_eq!((&*text["u-2"], &*ali["u-2"]), ("a", "2 4 4 7"));
    // Without alignments there is no `ali`.
    let plain = vec![NbestList::new("u").with_hyp(Hypothesis::new("a", -1.0))];
    kaldi::write_dir(&out.path().join("o3"), &plain).unwrap();
    assert!(!out.path().join("o3/ali").exists());
}

#[test]
fn a_bad_alignment_archive_names_its_file_and_line() {
    let cases = [
        ("u-1 2 4\nu-2 2 x\n", 2, "expected transition ids (non-negative integers) after the key, as `nbest-to-linear` writes an alignment archive, found `x`"),
        ("u-1 -2\nu-2 1\n", 1, "found `-2`"),
        ("u-1 2147483648\nu-2 1\n", 1, "found `2147483648`"),
        ("u-1 1\nu-1 2\n", 2, "duplicate key `u-1`"),
        ("u-1 1\nu-2 1\nu-3 1\n", 3, "hypothesis `u-3` is not in the transcription archive"),
    ];
    for (ali, line, expected) in cases {
        let files = [
            ("text", "u-1 a\nu-2 b\n"),
            ("ac_cost", "u-1 1\nu-2 2\n"),
            ("ali", ali),
        ];
        assert_kaldi_refused(&files, "ali", line, expected);
    }
    // A hypothesis without an alignment, as one without a cost, names its
    // line of `text` and the archive.
    let d = dir_with(&[
        ("text", "u-1 a\nu-2 b\n"),
        ("ac_cost", "u-1 1\nu-2 2\n"),
        ("ali", "u-1 1\n"),
    ]);
    let e = kaldi::read_dir(d.path()).unwrap_err();
    assert!(
        matches!(e.kind(), NbestErrorKind::MissingScore { .. }),
        "{e}"
    );
    assert_eq!(e.line(), 2, "{e}");
    assert!(
        e.to_string().contains("no entry for hypothesis `u-2` in"),
        "{e}"
    );
    assert!(e.to_string().ends_with("/ali"), "{e}");
}

#[test]
fn lists_that_could_not_be_written_whole_are_refused_before_writing() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("o");
    let partial = vec![NbestList::new("u")
        .with_hyp(Hypothesis::new("a", -1.0).with_alignment("1 2"))
        .with_hyp(Hypothesis::new("b", -2.0))];
    let e = kaldi::write_dir(&o, &partial).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(
        e.to_string().starts_with(
            "utterance `u`, hypothesis 2: no alignment, while other hypotheses have one"
        ),
        "{e}"
    );
    assert!(!o.exists());
    let table = kaldi::SymbolTable::read(&b"<eps> 0\na 1\n"[..], "lang/words.txt").unwrap();
    let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("a b", -1.0))];
    let e = kaldi::write_dir_with_ids(&o, &lists, &table).unwrap_err();
    assert!(
        e.to_string()
            .contains("word `b` is not in the symbol table lang/words.txt"),
        "{e}"
    );
    assert!(!o.exists());
}

/// The shipped Kaldi sample as `nbest-to-linear` writes it: words as ids of
/// a symbol table, and an alignment per hypothesis that says which one it is.
fn sample_as_ids(dir: &Path) -> HashMap<String, u64> {
    let sample = data("sample.kaldi");
    let text = fs::read_to_string(sample.join("text")).unwrap();
    let mut ids: HashMap<String, u64> = HashMap::new();
    let mut table = String::from("<eps> 0\n");
    let (mut words, mut ali) = (String::new(), String::new());
    for (n, line) in text.lines().enumerate() {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        words.push_str(key);
        for w in rest.split_whitespace() {
            let next = ids.len() as u64 + 1;
            let id = *ids.entry(w.to_string()).or_insert_with(|| {
                table.push_str(&format!("{w} {next}\n"));
                next
            });
            words.push_str(&format!(" {id}"));
        }
        words.push('\n');
        // Kaldi writes a space after each id.
        ali.push_str(&format!("{key} {} {} \n", 1000 + n, n % 3 + 1));
    }
    fs::write(dir.join("words"), words).unwrap();
    fs::write(dir.join("words.txt"), table).unwrap();
    fs::write(dir.join("ali"), ali).unwrap();
    for name in ["ac_cost", "lm_cost", "refs"] {
        fs::copy(sample.join(name), dir.join(name)).unwrap();
    }
    ids
}

/// `dashlm rescore` of Kaldi directory `input` into `out` with `model`, LM
/// weight 8 and penalty -1, and `extra`.
fn rescore_kaldi(model: &Path, input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "rescore",
        "--model",
        s(model),
        "--input",
        s(input),
        "--format",
        "kaldi",
        "--lm-weight",
        "8",
        "--wip",
        "-1",
        "--output",
        s(out),
    ];
    args.extend_from_slice(extra);
    rescore_cli_common::dashlm(&args)
}

#[test]
fn rescore_writes_archives_that_join_by_key_as_linear_to_nbest_needs() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    let ids = sample_as_ids(&input);
    let model = data("sample-3gram.arpa");
    let run = |input: &Path, out: &Path, top: &str| {
        let out = rescore_kaldi(&model, input, out, &["--top", top]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (from_ids, from_text) = (tmp.path().join("ids"), tmp.path().join("text"));
    run(&input, &from_ids, "50");
    run(&data("sample.kaldi"), &from_text, "50");
    // The same ranking as the lists given as words.
    let text = fs::read_to_string(from_ids.join("text")).unwrap();
    assert_eq!(text, fs::read_to_string(from_text.join("text")).unwrap());
    // `words` holds `text`'s words as ids, key by key and in the same order.
    let key_order = keys(&from_ids.join("text"));
    assert_eq!(keys(&from_ids.join("words")), key_order);
    assert_eq!(keys(&from_ids.join("ali")), key_order);
    let words = archive(&from_ids.join("words"));
    for (key, line) in archive(&from_ids.join("text")) {
        let as_ids: Vec<String> = line
            .split_whitespace()
            .map(|w| ids[w].to_string())
            .collect();
        assert_eq!(words[&key], as_ids.join(" "), "{key}");
    }
    // Each output key's alignment is that of the input hypothesis with the
    // same acoustic cost: it moved with its hypothesis, not stayed by rank.
    let in_ali = archive(&input.join("ali"));
    let in_ac = archive(&input.join("ac_cost"));
    let out_ac = archive(&from_ids.join("ac_cost"));
    let mut moved = 0;
    for (key, ali) in archive(&from_ids.join("ali")) {
        let source: Vec<&String> = in_ac
            .iter()
            .filter(|(_, v)| **v == out_ac[&key])
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            source.len(),
            1,
            "{key}: acoustic costs are unique in the sample"
        );
        assert_eq!(ali, in_ali[source[0]].trim_end(), "{key}");
        moved += usize::from(source[0] != &key);
    }
    assert!(moved > 0, "rescoring reordered no hypothesis");
    // `--top` keeps the archives joined.
    let top = tmp.path().join("top");
    run(&input, &top, "2");
    let n = keys(&top.join("text")).len();
    assert_eq!(
        n,
        2 * fs::read_to_string(data("sample.refs"))
            .unwrap()
            .lines()
            .count()
    );
    for name in ["words", "ali", "ac_cost", "lm_cost"] {
        assert_eq!(keys(&top.join(name)), keys(&top.join("text")), "{name}");
    }
    // The output reads back as the input's lists, reordered.
    let back = kaldi::read_dir(&from_ids).unwrap();
    assert!(back
        .iter()
        .all(|l| l.hyps.iter().all(|h| h.alignment.is_some())));
}

/// A rescored directory read from word ids is rescored again with its ids:
/// the output holds `words.txt` beside `words`, and `words` is checked
/// against `text` (before: with `text` there, `words` was not read at all,
/// so the second output had no ids, and `words` could say anything).
#[test]
fn a_rescored_directory_keeps_its_word_ids_when_rescored_again() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    sample_as_ids(&input);
    let model = data("sample-3gram.arpa");
    let rescore = |input: &Path, out: &Path| rescore_kaldi(&model, input, out, &[]);
    let (once, twice) = (tmp.path().join("once"), tmp.path().join("twice"));
    assert!(rescore(&input, &once).status.success());
    assert!(rescore(&once, &twice).status.success());
    for name in ["text", "words", "words.txt", "ali"] {
        assert_eq!(
            fs::read(once.join(name)).unwrap(),
            fs::read(twice.join(name)).unwrap(),
            "{name}"
        );
    }
    // `words` that says other words than `text` is an error at its line.
    let words = fs::read_to_string(once.join("words")).unwrap();
    let mut lines: Vec<&str> = words.lines().collect();
    let (key, _) = lines[1].split_once(' ').unwrap();
    let swapped = format!("{key} 1");
    lines[1] = &swapped;
    fs::write(once.join("words"), lines.join("\n") + "\n").unwrap();
    let out = rescore(&once, &tmp.path().join("bad"));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    let expected = format!(
        "{}:2: expected the transcription of the same key in the transcription archive",
        once.join("words").display()
    );
    assert!(err.contains(&expected), "{err}");
    // Without `words.txt`, `words` is not read, and the output says so.
    fs::write(once.join("words"), words).unwrap();
    fs::remove_file(once.join("words.txt")).unwrap();
    let out = rescore(&once, &tmp.path().join("no-table"));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("these word ids are not read (there is no words.txt beside them)"),
        "{err}"
    );
    assert!(!tmp.path().join("no-table/words").exists());
}

/// A directory laid out as Kaldi's rescoring scripts leave it (`words`,
/// `words_text`, `acwt`, `lmwt.withlm`, `ali`, no symbol table), rescored with
/// the lang directory's table given by `--words-txt`: the word ids are read
/// (and checked against `words_text`) and written back, as from a directory
/// with dashlm's names and its `words.txt`; `tune` reads it too. A table for
/// another format is refused, and one the input has no use for is said.
#[test]
fn words_txt_gives_the_symbol_table_of_a_kaldi_scripts_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let ours = tmp.path().join("ours");
    fs::create_dir(&ours).unwrap();
    sample_as_ids(&ours);
    let sample = data("sample.kaldi");
    fs::copy(sample.join("text"), ours.join("text")).unwrap();
    let scripts = tmp.path().join("archives.1");
    let lang = tmp.path().join("lang");
    fs::create_dir(&scripts).unwrap();
    fs::create_dir(&lang).unwrap();
    fs::rename(ours.join("words.txt"), lang.join("words.txt")).unwrap();
    for (from, to) in [
        ("text", "words_text"),
        ("words", "words"),
        ("ac_cost", "acwt"),
        ("lm_cost", "lmwt.withlm"),
        ("ali", "ali"),
        ("refs", "refs"),
    ] {
        fs::copy(ours.join(from), scripts.join(to)).unwrap();
    }
    fs::copy(lang.join("words.txt"), ours.join("words.txt")).unwrap();
    let model = data("sample-3gram.arpa");
    let table = lang.join("words.txt");
    // `rescore --words-txt TABLE` of `input` into `out`: its exit code and stderr.
    let with_table = |input: &Path, out: &str| {
        let out = rescore_kaldi(
            &model,
            input,
            &tmp.path().join(out),
            &["--words-txt", s(&table)],
        );
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    let (code, err) = with_table(&scripts, "out");
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let expected = rescore_kaldi(&model, &ours, &tmp.path().join("expected"), &[]);
    assert!(expected.status.success());
    for name in [
        "text",
        "words",
        "words.txt",
        "ali",
        "ac_cost",
        "lm_cost",
        "total.score",
    ] {
        assert_eq!(
            fs::read(tmp.path().join("out").join(name)).unwrap(),
            fs::read(tmp.path().join("expected").join(name)).unwrap(),
            "{name}"
        );
    }
    // A `words` that disagrees with `words_text` is an error at its line.
    let words = fs::read_to_string(scripts.join("words")).unwrap();
    let swapped = words.replacen(" 1 ", " 2 ", 1);
    assert_ne!(swapped, words);
    fs::write(scripts.join("words"), &swapped).unwrap();
    let (code, err) = with_table(&scripts, "bad");
    assert_eq!(code, Some(2), "{err}");
    let line = words.lines().position(|l| l.contains(" 1 ")).unwrap() + 1;
    let expected = format!(
        "{}:{line}: expected the transcription of the same key in the transcription archive",
        scripts.join("words").display()
    );
    assert!(err.contains(&expected), "{err}");
    // The transcriptions are named by the archive read (before: `text` always).
    assert!(err.contains("found `words_text` has `"), "{err}");
    fs::write(scripts.join("words"), &words).unwrap();
    // `tune` takes it too.
    let tune = |extra: &[&str]| {
        let mut args = vec![
            "tune",
            "--model",
            s(&model),
            "--input",
            s(&scripts),
            "--format",
            "kaldi",
            "--json",
        ];
        args.extend_from_slice(extra);
        rescore_cli_common::dashlm(&args)
    };
    let out = tune(&["--words-txt", s(&table)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, tune(&[]).stdout);
    // Another format has no word ids; an input without `words` does not use it.
    let jsonl = data("sample.jsonl");
    let out = rescore_cli_common::dashlm(&[
        "rescore",
        "--model",
        s(&model),
        "--input",
        s(&jsonl),
        "--lm-weight",
        "8",
        "--wip",
        "0",
        "--words-txt",
        s(&table),
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--words-txt is the symbol table of a Kaldi directory's word ids (`words`); this input is read as jsonl"), "{err}");
    // An output onto the table it reads is refused, the table kept.
    let before = fs::read(&table).unwrap();
    let out = rescore_kaldi(
        &model,
        &scripts,
        &tmp.path().join("o"),
        &["--words-txt", s(&table), "--best-text", s(&table)],
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("this output is the symbol table, which would be overwritten"),
        "{err}"
    );
    assert_eq!(fs::read(&table).unwrap(), before);
    let (code, err) = with_table(&sample, "unused");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("has no `words` archive of word ids"), "{err}");
}

/// Kaldi's LM replacement on a directory of its rescoring scripts:
/// `--score-weight nolm=W` keeps the graph costs without the first-pass LM
/// (`lmwt.nolm`, the score `nolm`) in every total, `-ac_cost + 8 * new_lm -
/// words + W * nolm`, and writes them back as `nolm.score`; `tune` holds the
/// weight fixed (and chooses otherwise than without it here), and with
/// `nolm=F*lm` moves it with the LM weight; a name given twice, one the lists
/// do not have, or a weight that is neither a number nor a multiple of `lm`,
/// is refused.
#[test]
fn score_weight_keeps_kaldi_graph_costs_without_the_first_pass_lm() {
    let tmp = tempfile::tempdir().unwrap();
    let scripts = tmp.path().join("archives.1");
    fs::create_dir(&scripts).unwrap();
    let sample = data("sample.kaldi");
    for (from, to) in [
        ("text", "words_text"),
        ("ac_cost", "acwt"),
        ("lm_cost", "lmwt.withlm"),
        ("refs", "refs"),
    ] {
        fs::copy(sample.join(from), scripts.join(to)).unwrap();
    }
    let lm_cost = archive(&sample.join("lm_cost"));
    let nolm: String = keys(&sample.join("lm_cost"))
        .iter()
        .map(|k| {
            format!(
                "{k} {:.4}\n",
                0.25 * lm_cost[k].parse::<f64>().unwrap() + 1.0
            )
        })
        .collect();
    fs::write(scripts.join("lmwt.nolm"), &nolm).unwrap();
    let model = data("sample-3gram.arpa");
    let out = tmp.path().join("out");
    let run = rescore_kaldi(&model, &scripts, &out, &["--score-weight", "nolm=10"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let read = |name: &str| archive(&out.join(name));
    let num = |m: &HashMap<String, String>, k: &str| m[k].parse::<f64>().unwrap();
    let (ac, new_lm, total, text) = (
        read("ac_cost"),
        read("new_lm.score"),
        read("total.score"),
        read("text"),
    );
    let (given, written) = (archive(&scripts.join("lmwt.nolm")), read("nolm.score"));
    // The output's keys number each list's hypotheses in their new order.
    let sorted = |m: &HashMap<String, String>, sign: f64| {
        let mut v: Vec<(String, f64)> = (m.keys())
            .map(|k| (k.rsplit_once('-').unwrap().0.to_string(), sign * num(m, k)))
            .collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v
    };
    assert_eq!(sorted(&written, 1.0), sorted(&given, -1.0));
    for key in total.keys() {
        let words = text[key].split_whitespace().count() as f64;
        let expect = -num(&ac, key) + 8.0 * num(&new_lm, key) - words + 10.0 * num(&written, key);
        assert!(
            (num(&total, key) - expect).abs() < 1e-9 * expect.abs(),
            "{key}"
        );
    }
    let tune = |extra: &[&str]| {
        let mut args = vec!["tune", "--model", s(&model), "--input", s(&scripts)];
        args.extend(["--format", "kaldi", "--json"]);
        args.extend_from_slice(extra);
        rescore_cli_common::ok(&args).0
    };
    let (with, without) = (tune(&["--score-weight", "nolm=10"]), tune(&[]));
    assert!(with.starts_with("{\"lm_weight\":"), "{with}");
    assert_ne!(with, without);
    let with_json: serde_json::Value = serde_json::from_str(with.trim()).unwrap();
    assert_eq!(
        with_json["score_weights"],
        serde_json::json!({"nolm": 10.0})
    );
    // `nolm=1.25*lm` at LM weight 8 is `nolm=10`: the same totals, order and
    // best hypotheses.
    let times_lm = tmp.path().join("times-lm");
    let run = rescore_kaldi(
        &model,
        &scripts,
        &times_lm,
        &["--score-weight", "nolm=1.25*lm"],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let tied_total = archive(&times_lm.join("total.score"));
    assert_eq!(archive(&times_lm.join("text")), text);
    for (key, t) in &total {
        let (a, b) = (t.parse::<f64>().unwrap(), num(&tied_total, key));
        assert!((a - b).abs() <= 1e-12 * a.abs(), "{key}: {a} {b}");
    }
    // `tune --score-weight nolm=lm` moves the graph's weight with the LM
    // weight (Kaldi's LMWT sweep), and its choice rescored makes its WER.
    let mut args = vec!["tune", "--model", s(&model), "--input", s(&scripts)];
    args.extend(["--format", "kaldi", "--json", "--score-weight", "nolm=lm"]);
    let (tied, table) = rescore_cli_common::ok(&args);
    assert_ne!(tied, with);
    let v: serde_json::Value = serde_json::from_str(tied.trim()).unwrap();
    let (lw, wip) = (v["lm_weight"].to_string(), v["wip"].to_string());
    let f = |k: &str| v[k].as_f64().unwrap();
    let chosen = format!("wip {} nolm {} (1*lm): WER", f("wip"), f("lm_weight"));
    // The JSON line gives the tied weight where it ended.
    assert_eq!(v["score_weights"]["nolm"], v["lm_weight"], "{tied}");
    assert!(table.contains(&chosen), "{table}");
    let best = tmp.path().join("best");
    let mut args = vec!["rescore", "--model", s(&model), "--input", s(&scripts)];
    args.extend(["--format", "kaldi", "--lm-weight", &lw, "--wip", &wip]);
    args.extend(["--score-weight", "nolm=lm", "--best-text", s(&best)]);
    rescore_cli_common::ok(&args);
    let refs = scripts.join("refs");
    let (w, _) = rescore_cli_common::ok(&["wer", "--ref", s(&refs), "--hyp", s(&best)]);
    let pct: f64 = w.split_whitespace().nth(1).unwrap().parse().unwrap();
    let wer = v["wer"].as_f64().unwrap();
    assert!((pct - 100.0 * wer).abs() < 0.006, "{w} vs {tied}");
    let refused = |extra: &[&str], expected: &str| {
        let mut args = vec!["--score-weight", "nolm=10"];
        args.extend_from_slice(extra);
        let run = rescore_kaldi(&model, &scripts, &tmp.path().join("refused"), &args);
        let err = String::from_utf8(run.stderr).unwrap();
        assert_eq!(run.status.code(), Some(2), "{err}");
        assert!(err.contains(expected), "{err}");
        assert!(!tmp.path().join("refused").exists());
    };
    refused(
        &["--score-weight", "nolm=2"],
        "dashlm: --score-weight: score `nolm` is weighted twice",
    );
    refused(
        &["--score-weight", "lmonly=2"],
        "hypothesis 1: no score `lmonly`, but its weight is 2",
    );
    refused(
        &["--score-weight", "lmonly=0.5*lm"],
        "hypothesis 1: no score `lmonly`, but its weight is 0.5*lm",
    );
    refused(
        &["--score-weight", "lmonly=2*am"],
        "invalid value 'lmonly=2*am' for '--score-weight <NAME=W|NAME=F*lm>': `lmonly=2*am`: \
         the weight `2*am`: expected NAME=W",
    );
}
