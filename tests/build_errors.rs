//! `build_file` reports an error in a file exactly as it reports it for the
//! same bytes through a FIFO (read into an `NGramSet`, the in-memory path),
//! and a late error from the streaming pass's one read.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use dashlm::build::{build_file, BuildOptions, BuildStep};

/// A scratch directory for the test's files.
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Runs `build_file` on `input`: its error (the input's path replaced by
/// `INPUT`) and the steps it passed to its progress callback.
fn build_error(input: &Path, out: &Path) -> (String, Vec<BuildStep>) {
    let mut steps = Vec::new();
    let built = build_file(input, BuildOptions::default(), out, |step, _, _| {
        if steps.last() != Some(&step) {
            steps.push(step);
        }
    });
    let err = built.expect_err("an error").to_string();
    let name = input.display().to_string();
    (err.replacen(&name, "INPUT", 1), steps)
}

/// A new path in `dir`.
fn fresh(dir: &Path, what: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    dir.join(format!("{what}-{}", N.fetch_add(1, Ordering::Relaxed)))
}

/// `build_file`'s error for `bytes` in a file, with its steps, and for the
/// same bytes through a FIFO (the in-memory path).
fn both(dir: &Path, bytes: &[u8]) -> ((String, Vec<BuildStep>), String) {
    let file = fresh(dir, "input.arpa");
    std::fs::write(&file, bytes).unwrap();
    let from_file = build_error(&file, &fresh(dir, "file.dlm"));
    let fifo = fresh(dir, "fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let writer = {
        let (fifo, bytes) = (fifo.clone(), bytes.to_vec());
        // The reader may stop early: a broken pipe is no failure.
        std::thread::spawn(move || drop(std::fs::write(fifo, bytes)))
    };
    let (in_memory, steps) = build_error(&fifo, &fresh(dir, "fifo.dlm"));
    assert_eq!(steps, [BuildStep::Read]);
    writer.join().unwrap();
    (from_file, in_memory)
}

/// Asserts that the file gives the FIFO's error; returns the file's steps.
fn same_error(dir: &Path, bytes: &[u8], what: &str) -> Vec<BuildStep> {
    let ((from_file, steps), in_memory) = both(dir, bytes);
    assert_eq!(from_file, in_memory, "{what}");
    steps
}

#[test]
fn every_bad_fixture_gives_the_in_memory_error() {
    let dir = scratch();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/arpa");
    let mut names: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("bad-"))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "{names:?}");
    for name in names {
        let bytes = std::fs::read(fixtures.join(&name)).unwrap();
        let steps = same_error(dir.path(), &bytes, &name);
        eprintln!("{name}: {steps:?}");
        // Only a duplicate n-gram above the unigrams is left to the
        // in-memory path; no fixture needs the completing pass.
        let want: &[BuildStep] = match name.as_str() {
            "bad-duplicate-ngram.arpa" => &[BuildStep::Stream, BuildStep::Read],
            _ => &[BuildStep::Stream],
        };
        assert_eq!(steps, want, "{name}");
    }
}

/// A model's sections, each as its n-gram lines.
type Sections = Vec<Vec<String>>;

/// A complete 4-gram model over ten words, its sections as lines.
fn model() -> Vec<Vec<String>> {
    let w = |i: usize| format!("w{i}");
    let mut unigrams = vec![
        "-1\t<unk>".to_string(),
        "-99\t<s>\t-0.5".into(),
        "-1\t</s>".into(),
    ];
    unigrams.extend((0..10).map(|i| format!("-1.{i}\t{}\t-0.{i}", w(i))));
    let mut bigrams: Vec<String> = (0..10)
        .map(|i| format!("-0.5\t<s> {}\t-0.1", w(i)))
        .collect();
    bigrams.extend((0..10).map(|i| format!("-0.6\t{} </s>\t-0.2", w(i))));
    let pairs: Vec<(usize, usize)> = (0..10).flat_map(|i| (0..10).map(move |j| (i, j))).collect();
    for &(i, j) in &pairs {
        bigrams.push(format!("-0.{j}{i}\t{} {}\t-0.{i}{j}", w(i), w(j)));
    }
    let trigram = |i: usize, j: usize, k: usize| (i + j + k).is_multiple_of(3);
    let mut trigrams = Vec::new();
    let mut fourgrams = Vec::new();
    for &(i, j) in &pairs {
        for k in (0..10).filter(|&k| trigram(i, j, k)) {
            trigrams.push(format!("-0.{k}{i}\t{} {} {}\t-0.0{j}", w(i), w(j), w(k)));
            for l in (0..10).filter(|&l| trigram(j, k, l) && (i + l).is_multiple_of(2)) {
                fourgrams.push(format!("-0.{l}{j}\t{} {} {} {}", w(i), w(j), w(k), w(l)));
            }
        }
    }
    vec![unigrams, bigrams, trigrams, fourgrams]
}

/// ARPA text of `sections`, the header's counts `counts` (their lengths if
/// `None`).
fn text(sections: &[Vec<String>], counts: Option<&[usize]>) -> String {
    let mut t = "\\data\\\n".to_string();
    for (n, s) in sections.iter().enumerate() {
        let count = counts.map_or(s.len(), |c| c[n]);
        t += &format!("ngram {}={count}\n", n + 1);
    }
    for (n, s) in sections.iter().enumerate() {
        t += &format!("\n\\{}-grams:\n", n + 1);
        for line in s {
            t += line;
            t += "\n";
        }
    }
    t + "\n\\end\\\n"
}

/// Replaces the `field`-th tab-separated field of `line` by `with`.
fn replace_field(line: &str, field: usize, with: &str) -> String {
    let mut fields: Vec<&str> = line.split('\t').collect();
    fields.resize(fields.len().max(field + 1), "");
    fields[field] = with;
    fields.join("\t")
}

/// Replaces the `k`-th word of `line` (an n-gram line) by `with`.
fn replace_word(line: &str, k: usize, with: &str) -> String {
    let fields: Vec<&str> = line.split('\t').collect();
    let mut words: Vec<&str> = fields[1].split(' ').collect();
    words[k] = with;
    replace_field(line, 1, &words.join(" "))
}

/// The model without `word` (and every n-gram with it).
fn without(sections: &[Vec<String>], word: &str) -> Vec<Vec<String>> {
    let has = |line: &String| {
        line.split('\t')
            .nth(1)
            .unwrap()
            .split(' ')
            .any(|w| w == word)
    };
    sections
        .iter()
        .map(|s| s.iter().filter(|l| !has(l)).cloned().collect())
        .collect()
}

/// Inserts a copy of line `i` of order `n` after line `j` (counts follow).
fn duplicate(sections: &mut [Vec<String>], n: usize, i: usize, j: usize) {
    let line = sections[n - 1][i].clone();
    sections[n - 1].insert(j + 1, line);
}

#[test]
fn generated_errors_give_the_in_memory_error() {
    let dir = scratch();
    let base = model();
    let last = |n: usize| base[n - 1].len() - 1;
    let mut cases: Vec<(String, String, &[BuildStep])> = Vec::new();
    let stream: &[BuildStep] = &[BuildStep::Stream];
    let in_memory: &[BuildStep] = &[BuildStep::Stream, BuildStep::Read];
    // Syntax errors: first, middle and last line of each order, in the
    // backoff (a probability in the highest order) and in a word count.
    for n in 1..=4 {
        for i in [0, last(n) / 2, last(n)] {
            let field = if n == 4 { 0 } else { 2 };
            let mut s = base.clone();
            s[n - 1][i] = replace_field(&s[n - 1][i], field, "bogus");
            cases.push((format!("bogus {n}-gram {i}"), text(&s, None), stream));
            let mut s = base.clone();
            s[n - 1][i] = format!("{}\textra\tfields", s[n - 1][i]);
            cases.push((format!("extra fields {n}-gram {i}"), text(&s, None), stream));
        }
        // Counts that do not match: one too many, one too few.
        for delta in [1, usize::MAX] {
            let mut counts: Vec<usize> = base.iter().map(Vec::len).collect();
            counts[n - 1] = counts[n - 1].wrapping_add(delta);
            let t = text(&base, Some(&counts));
            cases.push((format!("count {n} {delta}"), t, stream));
        }
    }
    // Missing `<s>`, `</s>`, both; and then a later error.
    for word in ["<s>", "</s>"] {
        let s = without(&base, word);
        cases.push((format!("no {word}"), text(&s, None), stream));
        let mut late = s.clone();
        let i = late[3].len() - 1;
        late[3][i] = replace_field(&late[3][i], 0, "0.5");
        cases.push((format!("no {word}, then bad"), text(&late, None), stream));
        let mut dup = s.clone();
        duplicate(&mut dup, 4, 0, 3);
        cases.push((format!("no {word}, then dup"), text(&dup, None), in_memory));
    }
    let none = without(&without(&base, "<s>"), "</s>");
    cases.push(("no <s> nor </s>".into(), text(&none, None), stream));
    // Unknown words in each order, then a syntax error.
    for n in 2..=4 {
        for i in [0, last(n)] {
            let mut s = base.clone();
            s[n - 1][i] = replace_word(&s[n - 1][i], n - 1, "unknown");
            cases.push((format!("unknown {n}-gram {i}"), text(&s, None), stream));
            s[3][0] = replace_field(&s[3][0], 0, "x");
            cases.push((format!("unknown {n}-gram {i}, bad"), text(&s, None), stream));
        }
    }
    // Duplicates in each order: alone, then before a syntax error in the
    // same order or a later one, before an unknown word, a bad count, a
    // missing `</s>`.
    for n in 1..=4 {
        for (i, j) in [(0, 1), (1, last(n)), (last(n), last(n))] {
            let mut s = base.clone();
            duplicate(&mut s, n, i, j);
            let want = if n == 1 { stream } else { in_memory };
            cases.push((format!("dup {n}-gram {i}"), text(&s, None), want));
            // The last line of the order, and of the 4-grams, when after both.
            let k = s[n - 1].len() - 1;
            if j + 1 < k {
                let mut same = s.clone();
                same[n - 1][k] = replace_field(&same[n - 1][k], 0, "nan?");
                cases.push((format!("dup {n}-gram {i}, bad"), text(&same, None), want));
            }
            let m = s[3].len() - 1;
            if n < 4 || j + 1 < m {
                let mut later = s.clone();
                later[3][m] = replace_field(&later[3][m], 0, "-");
                cases.push((format!("dup {n}-gram {i}, bad 4"), text(&later, None), want));
                let mut unknown = s.clone();
                unknown[3][m] = replace_word(&unknown[3][m], 0, "unknown");
                let t = text(&unknown, None);
                cases.push((format!("dup {n}-gram {i}, unknown"), t, want));
            }
            let mut counts: Vec<usize> = s.iter().map(Vec::len).collect();
            counts[3] += 1;
            cases.push((
                format!("dup {n}-gram {i}, count"),
                text(&s, Some(&counts)),
                want,
            ));
            if !base[n - 1][i].contains("</s>") {
                let eos = without(&s, "</s>");
                cases.push((format!("dup {n}-gram {i}, no </s>"), text(&eos, None), want));
            }
        }
    }
    // A syntax error, then a duplicate: the syntax error.
    let mut s = base.clone();
    s[1][3] = replace_field(&s[1][3], 2, "--1");
    duplicate(&mut s, 3, 0, 5);
    cases.push(("bad, then dup".into(), text(&s, None), stream));
    for (what, t, want) in cases {
        let steps = same_error(dir.path(), t.as_bytes(), &what);
        assert_eq!(steps, want, "{what}");
    }
}

/// Drops the n-gram of order `n - 1` that is the suffix of the first of
/// order `n`: a model that needs blanks.
fn drop_suffix(sections: &mut [Vec<String>], n: usize) {
    let first = sections[n - 1][0].clone();
    let words: Vec<&str> = first.split('\t').nth(1).unwrap().split(' ').collect();
    let suffix = words[1..].join(" ");
    sections[n - 2].retain(|l| l.split('\t').nth(1) != Some(suffix.as_str()));
}

/// In models that need blanks: one whose 4-grams need them (the streaming
/// pass hands it back to the completing one), one whose trigrams need them
/// (handed over mid-read), an error before the highest order is reported
/// from the pass that meets it, one among the highest order's n-grams is
/// left to the in-memory path once the completing builder holds them, and
/// a missing `<s>` is reported at the end of the completing pass.
#[test]
fn blanks_and_errors() {
    use BuildStep::{Complete, Read, Stream};
    let dir = scratch();
    let bad = |sections: &[Vec<String>], n: usize| {
        let mut s = sections.to_vec();
        let i = s[n - 1].len() - 1;
        let field = if n == 4 { 0 } else { 2 };
        s[n - 1][i] = replace_field(&s[n - 1][i], field, "bogus");
        s
    };
    let mut back = model();
    drop_suffix(&mut back, 4);
    let mut over = model();
    drop_suffix(&mut over, 3);
    let cases: [(&str, Sections, &[BuildStep]); 6] = [
        ("back: bad trigram", bad(&back, 3), &[Stream]),
        ("back: bad 4-gram", bad(&back, 4), &[Stream, Complete, Read]),
        ("back: no <s>", without(&back, "<s>"), &[Stream, Complete]),
        ("over: bad trigram", bad(&over, 3), &[Stream]),
        ("over: bad 4-gram", bad(&over, 4), &[Stream, Read]),
        ("over: no </s>", without(&over, "</s>"), &[Stream]),
    ];
    for (what, sections, want) in cases {
        let steps = same_error(dir.path(), text(&sections, None).as_bytes(), what);
        assert_eq!(steps, want, "{what}");
    }
}

/// A syntax error on the last bigram line is reported from the streaming
/// pass alone, naming the file and line.
#[test]
fn a_late_error_is_reported_from_one_read() {
    let dir = scratch();
    let mut s = model();
    let i = s[1].len() - 1;
    s[1][i] = replace_field(&s[1][i], 2, "bogus");
    let t = text(&s, None);
    let line = t.lines().position(|l| l.ends_with("\tbogus")).unwrap() + 1;
    let file = fresh(dir.path(), "late.arpa");
    std::fs::write(&file, &t).unwrap();
    let (err, steps) = build_error(&file, &fresh(dir.path(), "late.dlm"));
    assert_eq!(steps, [BuildStep::Stream]);
    assert_eq!(
        err,
        format!("INPUT:{line}: expected a log10 backoff, found `bogus`")
    );
}
