//! User-configured noise words (`NoiseWords`, `--noise FILE`), as SRILM's
//! `-noise-vocab`: dropped at reading from every format's hypotheses and
//! references, so that scores, word counts, written lists and WER are those
//! of the lists without them; SRILM counts with and without them read; a
//! bad noise file is a clear error; `wer --noise` drops them as well.

mod rescore_cli_common;

use std::fs;
use std::path::{Path, PathBuf};

use dashlm::rescore::{
    read_lists_with_noise, srilm, Format, Hypothesis, NbestErrorKind, NbestList, NoiseWords,
    Rescorer, Weights, LN_10,
};
use dashlm::ReferenceModel;
use rescore_cli_common::{ok, refused_as_given, s};

/// One utterance's hypotheses: words with noise words, acoustic and
/// first-pass LM scores (log10), and the reference.
const HYPS: [(&str, f64, f64); 3] = [
    ("the [NOISE] cat sat", -10.0, -2.5),
    ("the cat <laugh> sat on", -9.5, -3.0),
    ("[NOISE] <s> the mat </s>", -9.25, -1.5),
];
const REFERENCE: &str = "the [NOISE] cat sat";
const NOISE: &str = "[NOISE]\n<laugh>\n";

fn noise() -> NoiseWords {
    NoiseWords::parse(NOISE, "noise.txt").unwrap()
}

fn without_noise(words: &str) -> String {
    let kept = words
        .split(' ')
        .filter(|w| !matches!(*w, "[NOISE]" | "<laugh>"));
    kept.collect::<Vec<_>>().join(" ")
}

/// The lists as they should read: the noise words removed by hand.
fn by_hand() -> Vec<NbestList> {
    let list = HYPS.iter().fold(
        NbestList::new("u1").with_reference(&without_noise(REFERENCE)),
        |l, &(w, ac, lm)| {
            l.with_hyp(Hypothesis::new(&without_noise(w), ac * LN_10).with_lm(lm * LN_10))
        },
    );
    vec![list]
}

/// An SRILM directory of `u1.nbest`, its `num_words` from `count(words)`,
/// and `refs`.
fn srilm_dir(parent: &Path, count: impl Fn(&str) -> usize) -> PathBuf {
    let dir = parent.join("srilm");
    fs::create_dir(&dir).unwrap();
    let lines: String = HYPS
        .iter()
        .map(|&(w, ac, lm)| format!("{ac} {lm} {} {w}\n", count(w)))
        .collect();
    fs::write(dir.join("u1.nbest"), lines).unwrap();
    fs::write(dir.join("refs"), format!("u1 {REFERENCE}\n")).unwrap();
    dir
}

/// The words of `words` less `<s>` at the start and `</s>` at the end:
/// SRILM's count without noise words configured (a list rescored without
/// `-noise-vocab`).
fn without_markers(words: &str) -> usize {
    Hypothesis::new(words, 0.0).words.len()
}

/// SRILM's count with the noise words configured (`ngram -rescore
/// -noise-vocab`): without them, then without `<s>` and `</s>` (as the pause
/// word is dropped before the markers).
fn srilm_count(words: &str) -> usize {
    without_markers(&without_noise(words))
}

fn jsonl_file(parent: &Path) -> PathBuf {
    let hyps: Vec<String> = HYPS
        .iter()
        .map(|&(w, ac, lm)| {
            let (ac, lm) = (ac * LN_10, lm * LN_10);
            format!(r#"{{"words": "{w}", "acoustic": {ac}, "lm": {lm}}}"#)
        })
        .collect();
    let path = parent.join("in.jsonl");
    let line = format!(
        r#"{{"id": "u1", "ref": "{REFERENCE}", "hyps": [{}]}}"#,
        hyps.join(", ")
    );
    fs::write(&path, line + "\n").unwrap();
    path
}

fn kaldi_dir(parent: &Path) -> PathBuf {
    let dir = parent.join("kaldi");
    fs::create_dir(&dir).unwrap();
    let archive = |f: &dyn Fn(&(&str, f64, f64)) -> String| -> String {
        (HYPS.iter().enumerate())
            .map(|(i, h)| format!("u1-{} {}\n", i + 1, f(h)))
            .collect()
    };
    fs::write(dir.join("text"), archive(&|h| h.0.to_string())).unwrap();
    fs::write(
        dir.join("ac_cost"),
        archive(&|h| (-h.1 * LN_10).to_string()),
    )
    .unwrap();
    fs::write(
        dir.join("lm_cost"),
        archive(&|h| (-h.2 * LN_10).to_string()),
    )
    .unwrap();
    fs::write(dir.join("refs"), format!("u1 {REFERENCE}\n")).unwrap();
    dir
}

fn totals(lists: &[NbestList]) -> Vec<Vec<f64>> {
    let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    let weights = Weights {
        lm_weight: 1.0,
        word_insertion_penalty: -2.0,
        ..Weights::default()
    };
    let rescored = Rescorer::new(&lm, weights).rescore_all(lists);
    rescored.into_iter().map(|r| r.totals).collect()
}

fn read(path: &Path, format: Format, noise: &NoiseWords) -> Vec<NbestList> {
    read_lists_with_noise(path, format, None, noise).unwrap().0
}

/// Every `num_words` SRILM may write reads with the noise words: every
/// token, SRILM's count with them configured, and its count without (a list
/// rescored without `-noise-vocab`). Another count is an error naming all
/// three; without the noise words, the count that leaves them out is one.
#[test]
fn srilm_counts_with_and_without_noise_words_read() {
    let all = |w: &str| w.split(' ').count();
    for count in [
        &all as &dyn Fn(&str) -> usize,
        &srilm_count,
        &without_markers,
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = srilm_dir(tmp.path(), count);
        assert_eq!(read(&dir, Format::Srilm, &noise()), by_hand());
    }
    let read_line = |line: &str, noise: &NoiseWords| {
        srilm::read_file_with_noise(line.as_bytes(), "u.nbest", "u", noise)
    };
    let e = read_line("-1 -2 4 <s> a [NOISE] b </s>\n", &noise()).unwrap_err();
    assert!(
        matches!(e.kind(), NbestErrorKind::NoiseWordCount { .. }),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "u.nbest:1: the hypothesis declares 4 words but has 5 (3 without `<s>`, `</s>` and \
         SRILM's pause word `-pau-`, 2 without the noise words too, as SRILM counts them)"
    );
    // Without the noise words the count that leaves them out is wrong.
    let e = read_line("-1 -2 2 a [NOISE] b\n", &NoiseWords::default()).unwrap_err();
    assert!(matches!(e.kind(), NbestErrorKind::WordCount { .. }), "{e}");
    // A hypothesis without noise words keeps the error it had.
    let e = read_line("-1 -2 3 a b\n", &noise()).unwrap_err();
    assert!(matches!(e.kind(), NbestErrorKind::WordCount { .. }), "{e}");
}

/// The lists read with the noise words score as the lists with them removed
/// by hand, in every format (the word insertion penalty counts no noise
/// word), and read without them, the noise words are scored.
#[test]
fn scores_equal_those_of_the_lists_without_noise_words() {
    let tmp = tempfile::tempdir().unwrap();
    let expected = totals(&by_hand());
    let inputs = [
        (srilm_dir(tmp.path(), srilm_count), Format::Srilm),
        (jsonl_file(tmp.path()), Format::Jsonl),
        (kaldi_dir(tmp.path()), Format::Kaldi),
    ];
    for (path, format) in &inputs {
        let lists = read(path, *format, &noise());
        assert_eq!(lists, by_hand(), "{format}");
        assert_eq!(totals(&lists), expected, "{format}");
    }
    for (path, format) in &inputs[1..] {
        let lists = read(path, *format, &NoiseWords::default());
        assert_ne!(totals(&lists), expected, "{format}");
        assert!(lists[0].hyps[0].text().contains("[NOISE]"), "{format}");
    }
}

/// JSONL, Kaldi and SRILM inputs of one set rank its hypotheses alike with
/// the noise words, and the ranking is not that without them.
#[test]
fn every_format_ranks_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let order = |lists: &[NbestList]| totals(lists).pop().unwrap();
    let jsonl = order(&read(&jsonl_file(tmp.path()), Format::Jsonl, &noise()));
    let kaldi = order(&read(&kaldi_dir(tmp.path()), Format::Kaldi, &noise()));
    let srilm = order(&read(
        &srilm_dir(tmp.path(), srilm_count),
        Format::Srilm,
        &noise(),
    ));
    assert_eq!((&jsonl, &kaldi), (&srilm, &srilm));
    let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
    let weights = Weights {
        lm_weight: 1.0,
        word_insertion_penalty: -2.0,
        ..Weights::default()
    };
    let ranks = |path: &Path, format, noise: &NoiseWords| {
        let lists = read(path, format, noise);
        Rescorer::new(&lm, weights).rescore_all(&lists)[0]
            .order
            .clone()
    };
    let jsonl_path = tmp.path().join("in.jsonl");
    let kaldi_path = tmp.path().join("kaldi");
    let ranked = ranks(&jsonl_path, Format::Jsonl, &noise());
    assert_eq!(ranks(&kaldi_path, Format::Kaldi, &noise()), ranked);
    assert_ne!(
        ranks(&jsonl_path, Format::Jsonl, &NoiseWords::default()),
        ranked
    );
}

fn tiny() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tiny.arpa")
}

/// `rescore --noise` and `tune --noise` on an SRILM directory counted as
/// `ngram -rescore -noise-vocab` counts give what the directory cleaned by
/// hand gives (lists written, best text, WER, tuning); without `--noise` it
/// is refused at its count.
#[test]
fn the_noise_flag_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let noisy = srilm_dir(tmp.path(), srilm_count);
    let clean = tmp.path().join("clean");
    srilm::write_dir(&clean, &by_hand()).unwrap();
    let noise_file = tmp.path().join("noise.txt");
    fs::write(&noise_file, NOISE).unwrap();
    let model = tiny();
    let run = |input: &Path, extra: &[&str], out: &str| {
        let out = tmp.path().join(out);
        let mut args = vec!["rescore", "--model", s(&model), "--input", s(input)];
        args.extend(["--format", "srilm", "--lm-weight", "1", "--wip", "-2"]);
        args.extend(["--output", s(&out)]);
        args.extend(extra);
        let (_, err) = ok(&args);
        (fs::read_to_string(out.join("u1.nbest")).unwrap(), err)
    };
    // The WER lines (not the timing above them).
    let wer = |(written, err): (String, String)| {
        (written, err.split_once("WER over").unwrap().1.to_string())
    };
    let (written, err) = wer(run(&noisy, &["--noise", s(&noise_file)], "a"));
    assert_eq!((written.clone(), err.clone()), wer(run(&clean, &[], "b")));
    assert!(
        !written.contains("[NOISE]") && !written.contains("<laugh>"),
        "{written}"
    );
    // The reference lost its noise word as the hypotheses did: 3 words.
    assert!(err.contains(" / 3, "), "{err}");
    // --refs too.
    let refs = tmp.path().join("refs.txt");
    fs::write(&refs, format!("u1 {REFERENCE}\n")).unwrap();
    let with_refs = ["--noise", s(&noise_file), "--refs", s(&refs)];
    assert_eq!(wer(run(&noisy, &with_refs, "c")).1, err);
    let tune = |input: &Path, extra: &[&str]| {
        let mut args = vec!["tune", "--model", s(&model), "--input", s(input)];
        args.extend([
            "--format",
            "srilm",
            "--lm-weights",
            "0:2:1",
            "--wips=-2:0:1",
        ]);
        args.extend(extra);
        ok(&args).0
    };
    assert_eq!(
        tune(&noisy, &["--noise", s(&noise_file)]),
        tune(&clean, &[])
    );
    let mut args = vec!["rescore", "--model", s(&model), "--input", s(&noisy)];
    args.extend(["--format", "srilm", "--lm-weight", "1", "--wip", "0"]);
    args.extend(["--best-text", "-"]);
    refused_as_given(
        &args,
        "u1.nbest:1: the hypothesis declares 3 words but has 4",
    );
}

/// A noise file that cannot be read, or a line that is no noise word, is an
/// error naming the file and line, from the library and from the CLI.
#[test]
fn bad_noise_files_are_errors_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[u8], u64, &str); 8] = [
        (
            b"[NOISE]\n\n<laugh>\n",
            2,
            "an empty line: the noise words are one a line",
        ),
        (b"[NOISE]\n   \n", 2, "an empty line"),
        (
            b"[NOISE] <laugh>\n",
            1,
            "noise word `[NOISE] <laugh>`: more than one word",
        ),
        (b"a\n</s>\n", 2, "noise word `</s>`: a sentence marker"),
        (b"<s>\n", 1, "noise word `<s>`: a sentence marker"),
        (
            b"a\nb\n<unk>\n",
            3,
            "noise word `<unk>`: the unknown-word token",
        ),
        (
            b"a\nx\x00y\n",
            2,
            "control character: the file is not a text of words",
        ),
        (b"a\n\xff\xfe\n", 2, "not UTF-8 text"),
    ];
    let model = tiny();
    let input = jsonl_file(tmp.path());
    for (i, (text, line, expected)) in cases.iter().enumerate() {
        let path = tmp.path().join(format!("noise{i}.txt"));
        fs::write(&path, text).unwrap();
        let e = NoiseWords::read_path(&path).unwrap_err();
        let name = path.display().to_string();
        assert_eq!((e.source_name(), e.line()), (name.as_str(), *line), "{e}");
        assert!(e.to_string().contains(expected), "{e}");
        let args = [
            "rescore",
            "--model",
            s(&model),
            "--input",
            s(&input),
            "--lm-weight",
            "1",
        ];
        let args = [&args[..], &["--wip", "0", "--noise", s(&path)]].concat();
        refused_as_given(&args, &format!("{name}:{line}: "));
        refused_as_given(&args, expected);
    }
    let empty = tmp.path().join("empty.txt");
    fs::write(&empty, "").unwrap();
    let e = NoiseWords::read_path(&empty).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("the file names no noise words (it is empty)"),
        "{e}"
    );
    let missing = tmp.path().join("missing.txt");
    let e = NoiseWords::read_path(&missing).unwrap_err();
    assert!(e.to_string().contains(s(&missing)), "{e}");
    let args = [
        "tune",
        "--model",
        s(&model),
        "--input",
        s(&input),
        "--noise",
        s(&missing),
    ];
    refused_as_given(&args, s(&missing));
}

/// `wer --noise` drops the noise words from hypotheses and references before
/// the alignment, as `rescore` and `tune` do; without it they are words. A
/// noise file that cannot be read is an error naming it, and it cannot be
/// standard input beside another `-`.
#[test]
fn wer_drops_noise_words_with_the_noise_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        fs::write(&path, text).unwrap();
        path
    };
    let noise_file = file("noise.txt", NOISE);
    let wer = |reference: &Path, hyp: &Path, extra: &[&str]| {
        let args = [&["wer", "--ref", s(reference), "--hyp", s(hyp)], extra].concat();
        ok(&args).0.lines().next().unwrap().to_string()
    };
    let with_noise = ["--noise", s(&noise_file)];
    // A noise word in the hypotheses: insertions without --noise, none with.
    let clean_ref = file("ref.txt", "u1 the cat sat\n");
    let noisy_hyp = file("hyp.txt", "u1 <laugh> the cat [NOISE] sat\n");
    let line = "%WER 66.67 [ 2 / 3, 2 ins, 0 del, 0 sub ]";
    assert_eq!(wer(&clean_ref, &noisy_hyp, &[]), line);
    let line = "%WER 0.00 [ 0 / 3, 0 ins, 0 del, 0 sub ]";
    assert_eq!(wer(&clean_ref, &noisy_hyp, &with_noise), line);
    // A noise word in the reference (and `<s>` it hid): a deletion and one
    // more reference word without --noise; with it, the words left align.
    let noisy_ref = file("noisy_ref.txt", &format!("u1 [NOISE] <s> {REFERENCE}\n"));
    let clean_hyp = file("clean_hyp.txt", "u1 the cat sat\n");
    let line = "%WER 50.00 [ 3 / 6, 0 ins, 3 del, 0 sub ]";
    assert_eq!(wer(&noisy_ref, &clean_hyp, &[]), line);
    let line = "%WER 0.00 [ 0 / 3, 0 ins, 0 del, 0 sub ]";
    assert_eq!(wer(&noisy_ref, &clean_hyp, &with_noise), line);
    // A missing noise file is named; `-` twice is refused.
    let missing = tmp.path().join("missing.txt");
    let args = ["wer", "--ref", s(&clean_ref), "--hyp", s(&clean_hyp)];
    refused_as_given(
        &[&args[..], &["--noise", s(&missing)]].concat(),
        s(&missing),
    );
    let args = ["wer", "--ref", "-", "--hyp", s(&clean_hyp), "--noise", "-"];
    refused_as_given(&args, "--ref and --noise are both `-`");
}
