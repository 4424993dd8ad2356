//! The compiled-model commands end to end: build-lm, query on compiled models
//! (identical to the ARPA path), inspect, verify, dump, and their errors.

use std::path::Path;
use std::process::{Command, Output};

fn run(bin: &str, args: &[&str], stdin: Option<&Path>) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    if let Some(p) = stdin {
        cmd.stdin(std::fs::File::open(p).unwrap());
    }
    cmd.output().unwrap()
}

fn dashlm(args: &[&str], stdin: Option<&Path>) -> Output {
    run(env!("CARGO_BIN_EXE_dashlm"), args, stdin)
}

fn build(arpa: &str, out: &Path, weights: &str) -> Output {
    run(
        env!("CARGO_BIN_EXE_build-lm"),
        &["--weights", weights, arpa, out.to_str().unwrap()],
        None,
    )
}

const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/tiny.arpa");
const SENTENCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sentences.txt");

#[test]
fn query_on_a_compiled_model_prints_what_the_arpa_path_prints() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.dlm");
    let out = build(TINY, &model, "f32");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8(out.stderr).unwrap();
    assert!(summary.contains("3-grams: 4"), "{summary}");
    for v in ["word", "sentence", "summary"] {
        let arpa = dashlm(&["query", "-v", v, TINY], Some(Path::new(SENTENCES)));
        let compiled = dashlm(
            &["query", "-v", v, model.to_str().unwrap()],
            Some(Path::new(SENTENCES)),
        );
        assert!(compiled.status.success());
        assert_eq!(compiled.stdout, arpa.stdout, "-v {v}");
    }
}

#[test]
fn build_lm_counts_the_ngrams_it_adds() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/data/arpa/");
    let cases = [
        // `<s> a b` without its suffix `a b`.
        (
            "quirk-pruned-suffix.arpa",
            "1-grams: 5\n2-grams: 3 (2 from the file + 1 blank, as KenLM adds)\n3-grams: 1\n",
            "over 9 n-grams (blanks included)",
        ),
        (
            "quirk-missing-unk.arpa",
            "build-lm: note: ",
            "1-grams: 4 (3 from the file + <unk>)\n2-grams: 2\nsection",
        ),
    ];
    for (file, counts, total) in cases {
        let out = build(
            &format!("{fixtures}{file}"),
            &dir.path().join("m.dlm"),
            "f32",
        );
        let summary = String::from_utf8(out.stderr).unwrap();
        assert!(out.status.success(), "{summary}");
        assert!(summary.contains(counts), "{file}: {summary}");
        assert!(summary.contains(total), "{file}: {summary}");
    }
}

#[test]
fn inspect_verify_and_dump_describe_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.dlm");
    assert!(build(TINY, &model, "q8").status.success());
    let m = model.to_str().unwrap();
    let inspect = String::from_utf8(dashlm(&["inspect", m], None).stdout).unwrap();
    assert!(
        inspect.contains("weights: q8") && inspect.contains("order: 3"),
        "{inspect}"
    );
    let verify = dashlm(&["verify", m], None);
    assert!(verify.status.success());
    assert!(String::from_utf8(verify.stdout)
        .unwrap()
        .ends_with(": OK\n"));
    let dump = dir.path().join("dump.arpa");
    assert!(dashlm(&["dump", "-o", dump.to_str().unwrap(), m], None)
        .status
        .success());
    let text = std::fs::read_to_string(&dump).unwrap();
    assert!(
        text.starts_with("\\data\\\nngram 1=8\nngram 2=7\nngram 3=4\n"),
        "{text}"
    );
    // The dump scores like the compiled model.
    let a = dashlm(&["query", "-v", "sentence", m], Some(Path::new(SENTENCES)));
    let b = dashlm(
        &["query", "-v", "sentence", dump.to_str().unwrap()],
        Some(Path::new(SENTENCES)),
    );
    assert_eq!(a.stdout, b.stdout);
    // Compressed by the output's name, and read back through it.
    for (name, magic) in [
        ("dump.arpa.gz", &[0x1f, 0x8b][..]),
        ("dump.arpa.xz", b"\xfd7zXZ\0"),
    ] {
        let packed = dir.path().join(name);
        let p = packed.to_str().unwrap();
        assert!(dashlm(&["dump", "-o", p, m], None).status.success());
        assert!(std::fs::read(&packed).unwrap().starts_with(magic), "{name}");
        let c = dashlm(&["query", "-v", "sentence", p], Some(Path::new(SENTENCES)));
        assert_eq!(a.stdout, c.stdout, "{name}");
    }
}

#[test]
fn corrupted_and_truncated_models_fail_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.dlm");
    assert!(build(TINY, &model, "f32").status.success());
    let bytes = std::fs::read(&model).unwrap();
    let m = model.to_str().unwrap();

    std::fs::write(&model, &bytes[..bytes.len() - 1]).unwrap();
    let out = dashlm(&["query", m], Some(Path::new(SENTENCES)));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(&format!("dashlm: {m}: ")) && err.contains("outside the file"),
        "{err}"
    );

    let mut flipped = bytes.clone();
    let (_, sections) = dashlm::format::parse(&bytes).unwrap();
    let unigrams = sections
        .require(dashlm::format::SectionKind::Unigrams, 1)
        .unwrap();
    flipped[unigrams.offset as usize + 3] ^= 0x40;
    std::fs::write(&model, &flipped).unwrap();
    let out = dashlm(&["verify", m], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("checksum mismatch"));
}

/// A flip in a data section is refused by every command that reads the
/// model into memory (its CRC-32s are checked as it loads) and by `dump`; with
/// `DASHLM_MMAP=1` a query reads only what it needs and is not refused.
/// Before, `query`, `rescore` and `dump` used the corrupted weights, exit 0;
/// `inspect` described the file and exited 0 (it still describes it first).
#[test]
fn a_corrupted_data_section_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.dlm");
    assert!(build(TINY, &model, "f32").status.success());
    let mut bytes = std::fs::read(&model).unwrap();
    let (_, sections) = dashlm::format::parse(&bytes).unwrap();
    let table = sections
        .require(dashlm::format::SectionKind::Table, 2)
        .unwrap();
    let at = table.offset as usize;
    bytes[at] ^= 1;
    std::fs::write(&model, &bytes).unwrap();
    let m = model.to_str().unwrap();
    let expected = format!("{m}: table section for order 2 at byte {at}: checksum mismatch");
    let err = dashlm::Model::load(&model).err().unwrap().to_string();
    assert!(err.starts_with(&expected), "{err}");
    assert!(dashlm::Model::open(&model).is_ok());
    let lists = concat!(env!("CARGO_MANIFEST_DIR"), "/data/nbest/sample.jsonl");
    for args in [
        vec!["query", m],
        vec!["dump", m],
        vec!["verify", m],
        vec!["inspect", m],
        [
            &["rescore", "--model", m, "--input", lists][..],
            &["--lm-weight", "1", "--wip", "0"],
        ]
        .concat(),
    ] {
        let out = dashlm(&args, Some(Path::new(SENTENCES)));
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("dashlm: {expected}")),
            "{args:?}: {err}"
        );
        if args[0] == "inspect" {
            assert!(String::from_utf8(out.stdout).unwrap().contains("order: 3"));
        }
    }
    // `inspect` read by a reader that stops at once: still refused (before:
    // exit 0, the checksums never checked once the printing met the closed
    // pipe).
    let mut child = Command::new(env!("CARGO_BIN_EXE_dashlm"))
        .args(["inspect", m])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(2));
    let lazy = Command::new(env!("CARGO_BIN_EXE_dashlm"))
        .args(["query", "-v", "summary", m])
        .env("DASHLM_MMAP", "1")
        .stdin(std::fs::File::open(SENTENCES).unwrap())
        .output()
        .unwrap();
    assert!(lazy.status.success());
}

#[test]
fn a_model_cut_to_fewer_than_8_bytes_is_a_truncated_model() {
    // Before: `query` read the bytes as ARPA text (`tr7.dlm:1: NUL byte in
    // line: this is binary data, not ARPA text`; with 1 byte `expected a
    // \data\ line`), where `inspect` said the file is too short.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.dlm");
    assert!(build(TINY, &model, "f32").status.success());
    let bytes = std::fs::read(&model).unwrap();
    let cut = dir.path().join("cut.dlm");
    let c = cut.to_str().unwrap();
    for n in 1..=12 {
        std::fs::write(&cut, &bytes[..n]).unwrap();
        let inspect = dashlm(&["inspect", c], None);
        let inspect = String::from_utf8(inspect.stderr).unwrap();
        assert!(
            inspect.starts_with(&format!("dashlm: {c}: file is too short: {n} bytes"))
                && inspect.ends_with("(truncated?)\n"),
            "{inspect}"
        );
        let query = dashlm(&["query", c], Some(Path::new(SENTENCES)));
        assert_eq!(query.status.code(), Some(2));
        assert_eq!(String::from_utf8(query.stderr).unwrap(), inspect);
    }
    // Both ways of opening count the bytes of any file shorter than a header;
    // before, `load` called an empty file 1 byte long (its buffer's least size).
    for n in 0..=12 {
        std::fs::write(&cut, &bytes[..n]).unwrap();
        let expected = format!("{c}: file is too short: {n} bytes");
        for err in [
            dashlm::Model::open(&cut).err().unwrap().to_string(),
            dashlm::Model::load(&cut).err().unwrap().to_string(),
        ] {
            assert!(err.starts_with(&expected), "{err}");
        }
    }
}

#[test]
fn build_lm_refuses_bad_input_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.arpa");
    std::fs::write(&bad, "\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n").unwrap();
    let out_path = dir.path().join("out.dlm");
    let out = build(bad.to_str().unwrap(), &out_path, "f32");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("build-lm: ") && err.contains("bad.arpa:"),
        "{err}"
    );
    assert!(!out_path.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "a temporary file was left behind"
    );
}

#[test]
fn build_lm_names_an_output_directory_it_cannot_write_in() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let out = build(TINY, &missing.join("tiny.dlm"), "f32");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    let expected = format!("cannot create a file in {}: ", missing.display());
    // Not the temporary file's random name.
    assert!(err.contains(&expected) && !err.contains("at path"), "{err}");
}

#[test]
fn a_directory_or_device_is_not_opened_as_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let lists = concat!(env!("CARGO_MANIFEST_DIR"), "/data/nbest/sample.jsonl");
    let out = dir.path().join("out.dlm");
    for (path, expected) in [(d, "is a directory"), ("/dev/null", "is a device")] {
        // Mapped and read into memory alike (before: `No such device` and
        // "file is too short: 0 bytes").
        for err in [
            dashlm::Model::open(path).err().unwrap().to_string(),
            dashlm::Model::load(path).err().unwrap().to_string(),
        ] {
            assert!(
                err.contains(&format!("{expected}, not a model file")),
                "{err}"
            );
        }
        // Every command that reads a model (before, `query`, `bench-query`,
        // `rescore` and `tune` said `Is a directory (os error 21)`, and read
        // /dev/null as an empty ARPA file).
        let rescore = ["--input", lists, "--lm-weight", "1", "--wip", "0"];
        for (bin, args) in [
            ("dashlm", vec!["inspect", path]),
            ("dashlm", vec!["verify", path]),
            ("dashlm", vec!["dump", path]),
            ("dashlm", vec!["query", path]),
            ("dashlm", vec!["bench-query", path]),
            (
                "dashlm",
                [&["rescore", "--model", path][..], &rescore].concat(),
            ),
            ("dashlm", vec!["tune", "--model", path, "--input", lists]),
            ("build-lm", vec![path, out.to_str().unwrap()]),
        ] {
            let exe = match bin {
                "dashlm" => env!("CARGO_BIN_EXE_dashlm"),
                _ => env!("CARGO_BIN_EXE_build-lm"),
            };
            let result = run(exe, &args, None);
            assert_eq!(result.status.code(), Some(2), "{args:?}");
            let err = String::from_utf8(result.stderr).unwrap();
            assert_eq!(
                err,
                format!("{bin}: {path}: {expected}, not a model file\n"),
                "{args:?}"
            );
        }
    }
}

#[test]
fn build_lm_does_not_compile_a_model_over_its_own_input() {
    let dir = tempfile::tempdir().unwrap();
    let arpa = dir.path().join("lm.arpa");
    std::fs::copy(TINY, &arpa).unwrap();
    let link = dir.path().join("link.arpa");
    std::os::unix::fs::symlink(&arpa, &link).unwrap();
    for output in [&arpa, &link] {
        let out = build(arpa.to_str().unwrap(), output, "f32");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("this output is the input file"), "{err}");
        assert_eq!(std::fs::read(&arpa).unwrap(), std::fs::read(TINY).unwrap());
    }
    // Nor over the file redirected into standard input (`build-lm - lm.arpa <
    // lm.arpa`): before, the ARPA file was replaced by the model, status 0.
    let exe = env!("CARGO_BIN_EXE_build-lm");
    let out = run(exe, &["-", arpa.to_str().unwrap()], Some(&arpa));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("this output is the input file"), "{err}");
    assert_eq!(std::fs::read(&arpa).unwrap(), std::fs::read(TINY).unwrap());
    // Another file redirected in is compiled as before.
    let other = dir.path().join("other.dlm");
    let out = run(exe, &["-", other.to_str().unwrap()], Some(&arpa));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn dump_does_not_write_over_its_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.dlm");
    assert!(build(TINY, &model, "q8").status.success());
    let bytes = std::fs::read(&model).unwrap();
    // Before: the model was truncated while mapped, and the process died of SIGBUS.
    let out = dashlm(
        &[
            "dump",
            "-o",
            model.to_str().unwrap(),
            model.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("this output is the model file"), "{err}");
    assert_eq!(std::fs::read(&model).unwrap(), bytes);
}

#[test]
fn build_lm_failing_late_keeps_an_existing_output() {
    // The error comes after the streaming pass has written sections of its
    // temporary file: OUTPUT keeps its old bytes and nothing is left behind.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(TINY).unwrap();
    let truncated = dir.path().join("truncated.arpa");
    std::fs::write(&truncated, text.trim_end().trim_end_matches("\\end\\")).unwrap();
    let out_path = dir.path().join("out.dlm");
    std::fs::write(&out_path, b"old model").unwrap();
    let out = build(truncated.to_str().unwrap(), &out_path, "q8");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&out_path).unwrap(), b"old model");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "a temporary file was left behind"
    );
    // The same command on the whole file replaces it.
    assert!(build(TINY, &out_path, "q8").status.success());
    assert!(std::fs::read(&out_path).unwrap().starts_with(b"DASHLM"));
}

#[test]
fn arpa_errors_on_standard_input_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.arpa");
    std::fs::write(&bad, "\\data\\\nngram 1=1\n\n\\1-grams:\nx <s>\n").unwrap();
    let out_path = dir.path().join("out.dlm");
    let exe = env!("CARGO_BIN_EXE_build-lm");
    let out = run(exe, &["-", out_path.to_str().unwrap()], Some(&bad));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        "build-lm: standard input:5: expected a log10 probability, found `x`\n"
    );
}

#[test]
fn build_lm_names_a_compiled_model_given_as_input() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.dlm");
    assert!(build(TINY, &model, "f32").status.success());
    let again = dir.path().join("again.dlm");
    let exe = env!("CARGO_BIN_EXE_build-lm");
    let m = model.to_str().unwrap();
    for (args, stdin, name) in [
        (vec![m, again.to_str().unwrap()], None, m),
        (
            vec!["-", again.to_str().unwrap()],
            Some(model.as_path()),
            "standard input",
        ),
    ] {
        let out = run(exe, &args, stdin);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            err,
            format!(
                "build-lm: {name}: is a compiled dashlm model, not ARPA text: it needs no \
                 building (`dashlm dump` writes it back out as ARPA)\n"
            )
        );
        assert!(!again.exists());
    }
    // A file holding only the magic's first byte is no model: its ARPA error
    // (before: "is a compiled dashlm model").
    let d = dir.path().join("d");
    std::fs::write(&d, "D").unwrap();
    let out = run(exe, &[d.to_str().unwrap(), again.to_str().unwrap()], None);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(":1: unexpected end of file: expected a \\data\\ line"),
        "{err}"
    );
    // A compressed model is read as compressed ARPA text, which then says what
    // it is (before: `NUL byte in line: this is binary data, not ARPA text`).
    let gz = dir.path().join("tiny.dlm.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &std::fs::read(&model).unwrap()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let g = gz.to_str().unwrap();
    let expected = format!(
        "{g}:1: NUL byte in line: this is a compiled dashlm model, not ARPA text (a model \
         is used uncompressed: decompress it first; `dashlm dump` writes one back out as ARPA)\n"
    );
    let out = run(exe, &[g, again.to_str().unwrap()], None);
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!("build-lm: {expected}")
    );
    let out = dashlm(&["query", g], Some(Path::new(SENTENCES)));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!("dashlm: {expected}")
    );
}
