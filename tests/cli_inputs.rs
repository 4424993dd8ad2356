//! Bad inputs and outputs of `build-lm`, `query`, `bench-query`, `inspect`,
//! `verify` and `dump`: each a clear error naming the file and exit status 2,
//! never a panic, a hang or a half-written output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/tiny.arpa");
const SENTENCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sentences.txt");

/// Runs `bin ARGS` with `stdin` (a file, or nothing) and stdout to `stdout`
/// (a file, or captured), killing it after 20 s (a hang fails the test).
fn run_with(bin: &str, args: &[&str], stdin: Option<&Path>, stdout: Option<&Path>) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args).stderr(Stdio::piped());
    cmd.stdin(match stdin {
        Some(p) => Stdio::from(std::fs::File::open(p).unwrap()),
        None => Stdio::null(),
    });
    cmd.stdout(match stdout {
        Some(p) => Stdio::from(std::fs::OpenOptions::new().write(true).open(p).unwrap()),
        None => Stdio::piped(),
    });
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("{bin} {args:?} hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn dashlm(args: &[&str], stdin: Option<&Path>) -> Output {
    run_with(env!("CARGO_BIN_EXE_dashlm"), args, stdin, None)
}

fn build_lm(args: &[&str]) -> Output {
    run_with(env!("CARGO_BIN_EXE_build-lm"), args, None, None)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts exit status 2 and one stderr line `program: ...` containing `expected`.
fn assert_error(out: &Output, program: &str, expected: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!("{program}: ")) && err.contains(expected),
        "expected `{expected}` in: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

fn tiny_model(dir: &Path) -> PathBuf {
    let model = dir.join("tiny.dlm");
    let out = build_lm(&[TINY, model.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    model
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

/// Writes `bytes` into the FIFO `path` from a thread, once, as `cat` would.
fn feed_fifo(path: &Path, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path) {
            let _ = std::io::Write::write_all(&mut f, &bytes);
        }
    })
}

/// Opens the FIFO's write end and closes it, so a reader blocked in `open` can
/// go on (to end of file); used to end a test that failed by hanging.
fn unblock_fifo(path: &Path) {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path);
}

#[test]
fn build_lm_reads_a_fifo_with_an_error_once_and_does_not_hang() {
    // Before: the streaming pass gave up at the error, and the next pass
    // opened the FIFO again and waited forever for a second writer.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("lm.arpa");
    mkfifo(&fifo);
    let text = std::fs::read_to_string(TINY).unwrap();
    let truncated = text.trim_end().trim_end_matches("\\end\\").to_string();
    let writer = feed_fifo(&fifo, truncated.into_bytes());
    let out_path = dir.path().join("out.dlm");
    let out = run_with(
        env!("CARGO_BIN_EXE_build-lm"),
        &[fifo.to_str().unwrap(), out_path.to_str().unwrap()],
        None,
        None,
    );
    unblock_fifo(&fifo);
    writer.join().unwrap();
    assert_error(&out, "build-lm", "lm.arpa:");
    assert!(stderr(&out).contains("\\end\\"), "{}", stderr(&out));
    assert!(!out_path.exists());
    // A FIFO holding a model that needs KenLM's blanks builds too.
    let pruned = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/arpa/quirk-missing-context.arpa"
    );
    let writer = feed_fifo(&fifo, std::fs::read(pruned).unwrap());
    let out = build_lm(&[fifo.to_str().unwrap(), out_path.to_str().unwrap()]);
    unblock_fifo(&fifo);
    writer.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let direct = dir.path().join("direct.dlm");
    assert!(build_lm(&[pruned, direct.to_str().unwrap()])
        .status
        .success());
    assert_eq!(
        std::fs::read(&out_path).unwrap(),
        std::fs::read(&direct).unwrap()
    );
}

/// Runs `dashlm ARGS <(cat MODEL)` through bash: the model is the last
/// argument, a pipe (`/dev/fd/N`) that can be read only once.
/// Writes `src` gzip-compressed to `dest`.
fn gzip(src: &Path, dest: &Path) {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut e, &std::fs::read(src).unwrap()).unwrap();
    std::fs::write(dest, e.finish().unwrap()).unwrap();
}

/// The bundled n-best sample: its model and its lists (JSONL).
fn sample_nbest() -> (String, String) {
    let nbest = concat!(env!("CARGO_MANIFEST_DIR"), "/data/nbest/");
    (
        format!("{nbest}sample-3gram.arpa"),
        format!("{nbest}sample.jsonl"),
    )
}

/// `rescore` of `lists` with fixed weights, the model to add.
fn rescore_args(lists: &str) -> [&str; 7] {
    [
        "rescore",
        "--input",
        lists,
        "--lm-weight",
        "8",
        "--wip",
        "-2",
    ]
}

fn dashlm_piped_model(args: &[&str], model: &str, stdin: Option<&Path>) -> Output {
    let script = r#"bin="$1"; model="$2"; shift 2; "$bin" "$@" <(cat "$model")"#;
    let mut all = vec!["-c", script, "bash", env!("CARGO_BIN_EXE_dashlm"), model];
    all.extend_from_slice(args);
    run_with("bash", &all, stdin, None)
}

#[test]
fn a_model_through_a_pipe_is_read_once() {
    // Before: the first 8 bytes were read to look for the compiled-model
    // magic and the path opened again, so a pipe had lost them: `/dev/fd/63:30:
    // unexpected end of file: expected a \data\ line`, and `NUL byte in line`
    // for gzip.
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("tiny.arpa.gz");
    gzip(Path::new(TINY), &gz);
    let sentences = Some(Path::new(SENTENCES));
    let direct = dashlm(&["query", "-v", "sentence", TINY], sentences);
    assert!(direct.status.success(), "{}", stderr(&direct));
    for model in [TINY, gz.to_str().unwrap()] {
        let piped = dashlm_piped_model(&["query", "-v", "sentence"], model, sentences);
        assert!(piped.status.success(), "{model}: {}", stderr(&piped));
        assert_eq!(piped.stdout, direct.stdout, "{model}");
        let bench = dashlm_piped_model(&["bench-query", "--repeat", "3"], model, sentences);
        assert!(bench.status.success(), "{model}: {}", stderr(&bench));
    }
    // The rescoring commands read their model the same way.
    let (lm, lists) = sample_nbest();
    let rescore = [&rescore_args(&lists)[..], &["--model"]].concat();
    let direct = dashlm(&[&rescore[..], &[&lm]].concat(), None);
    let piped = dashlm_piped_model(&rescore, &lm, None);
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert_eq!(piped.stdout, direct.stdout);
    let tune = ["tune", "--input", &lists, "--json", "--model"];
    let direct = dashlm(&[&tune[..], &[&lm]].concat(), None);
    let piped = dashlm_piped_model(&tune, &lm, None);
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert_eq!(piped.stdout, direct.stdout);
    // A compiled model is mapped or read whole by its length: through a pipe
    // it is refused, by query as by inspect.
    let model = tiny_model(dir.path());
    for args in [&["query"][..], &["inspect"]] {
        let out = dashlm_piped_model(args, model.to_str().unwrap(), sentences);
        assert_error(
            &out,
            "dashlm",
            "is a FIFO or pipe: a compiled model must be a regular file",
        );
    }
}

#[test]
fn a_model_on_standard_input() {
    // Before: `dashlm: -: No such file or directory (os error 2)` from every
    // command.
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("sample.arpa.gz");
    let (lm, lists) = sample_nbest();
    gzip(Path::new(&lm), &gz);
    // ARPA text, plain or compressed, for the rescoring commands.
    let rescore = rescore_args(&lists);
    let tune = ["tune", "--input", &lists, "--json"];
    for args in [&rescore[..], &tune] {
        let direct = dashlm(&[args, &["--model", &lm]].concat(), None);
        assert!(direct.status.success(), "{}", stderr(&direct));
        for model in [Path::new(&lm), &gz] {
            let piped = dashlm(&[args, &["--model", "-"]].concat(), Some(model));
            assert!(piped.status.success(), "{}", stderr(&piped));
            assert_eq!(piped.stdout, direct.stdout, "{args:?} {model:?}");
        }
        // Standard input is read once.
        let out = dashlm(
            &[args, &["--model", "-", "--refs", "-"]].concat(),
            Some(gz.as_path()),
        );
        assert_error(
            &out,
            "dashlm",
            "--model and --refs are both `-`: standard input can be given once",
        );
    }
    // A compiled model is mapped or read whole: not from standard input.
    let model = tiny_model(dir.path());
    let out = dashlm(&[&rescore[..], &["--model", "-"]].concat(), Some(&model));
    assert_error(
        &out,
        "dashlm",
        "standard input: a compiled model must be a regular file",
    );
    for cmd in ["inspect", "verify", "dump"] {
        let out = dashlm(&[cmd, "-"], Some(&model));
        assert_error(
            &out,
            "dashlm",
            "MODEL `-`: not standard input: a compiled model must be a regular file",
        );
    }
    // query and bench-query read the sentences from standard input.
    for cmd in ["query", "bench-query"] {
        let out = dashlm(&[cmd, "-"], Some(Path::new(TINY)));
        assert_error(
            &out,
            "dashlm",
            "MODEL `-`: standard input carries the sentences to score",
        );
    }
}

#[test]
fn build_lm_refuses_a_fifo_directory_dash_or_compressed_output() {
    // Before: a FIFO (or, as root, a device such as /dev/null) given as OUTPUT
    // was silently replaced by a regular file.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    mkfifo(&fifo);
    let out = build_lm(&[TINY, fifo.to_str().unwrap()]);
    assert_error(&out, "build-lm", "out.fifo: is a FIFO, socket or device");
    {
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let out = build_lm(&[TINY, sub.to_str().unwrap()]);
    assert_error(&out, "build-lm", "sub: is a directory");
    // `-` is standard input as INPUT; as OUTPUT it made a file named `-`.
    let out = build_lm(&[TINY, "-"]);
    assert_error(&out, "build-lm", "OUTPUT `-`: a model is written to a file");
    assert!(!Path::new("-").exists());
    // A compressed name: the model would be written plain under it.
    for name in ["lm.dlm.gz", "lm.dlm.xz"] {
        let packed = dir.path().join(name);
        let out = build_lm(&[TINY, packed.to_str().unwrap()]);
        assert_error(
            &out,
            "build-lm",
            "a compiled model is memory-mapped as it is, never compressed",
        );
        assert!(!packed.exists(), "{name}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "a temporary file was left behind"
    );
}

#[test]
fn build_lm_names_input_directories_devices_and_corrupt_input() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.dlm");
    let o = out_path.to_str().unwrap();
    let d = dir.path().to_str().unwrap();
    assert_error(&build_lm(&[d, o]), "build-lm", &format!("{d}: "));
    let empty = dir.path().join("empty.arpa");
    std::fs::write(&empty, b"").unwrap();
    assert_error(
        &build_lm(&[empty.to_str().unwrap(), o]),
        "build-lm",
        "expected a \\data\\ line",
    );
    let gz = dir.path().join("corrupt.arpa.gz");
    std::fs::write(&gz, b"\x1f\x8b\x08\x00garbage").unwrap();
    assert_error(
        &build_lm(&[gz.to_str().unwrap(), o]),
        "build-lm",
        "corrupt.arpa.gz:",
    );
    assert!(!out_path.exists());
}

#[test]
fn build_lm_load_factors_take_negative_values_and_give_their_own_message() {
    // Before: `error: unexpected argument '-1' found`.
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.dlm");
    let o = out_path.to_str().unwrap();
    for flag in ["--load-factor", "--bigram-load-factor"] {
        let out = build_lm(&[flag, "-1", TINY, o]);
        assert_error(&out, "build-lm", "load factor -1 is not in [0.1, 1]");
    }
    // Before: `2 is not in 3..=4294967295`.
    for n in ["-1", "2", "x", "4294967296"] {
        let out = dashlm(&["bench-query", "--repeat", n, TINY], None);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "'--repeat <REPEAT>': `{n}`: expected a number of runs >= 3 (and < 2^32)"
            )),
            "{err}"
        );
    }
}

#[test]
fn build_lm_refuses_raw_f32_with_quantized_weights() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.dlm");
    let o = out_path.to_str().unwrap();
    for w in ["q16", "q8"] {
        let out = build_lm(&["--raw-f32", "--weights", w, TINY, o]);
        let want = format!("--raw-f32 needs --weights f32 (found --weights {w})");
        assert_error(&out, "build-lm", &want);
    }
    assert!(!out_path.exists());
    assert!(build_lm(&["--raw-f32", TINY, o]).status.success());
    let inspect = dashlm(&["inspect", o], None);
    let text = String::from_utf8_lossy(&inspect.stdout);
    assert!(text.contains("= prob 32 + backoff 32"), "{text}");
    assert!(
        text.contains("weights stored: every weight raw f32 bits"),
        "{text}"
    );
    let default = dir.path().join("default.dlm");
    assert!(build_lm(&[TINY, default.to_str().unwrap()])
        .status
        .success());
    let inspect = dashlm(&["inspect", default.to_str().unwrap()], None);
    let text = String::from_utf8_lossy(&inspect.stdout);
    assert!(
        text.contains("weights stored: some fields as codes"),
        "{text}"
    );
}

#[test]
fn build_lm_sets_the_order_2_load_factor_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (emptier, default) = (
        dir.path().join("emptier.dlm"),
        dir.path().join("default.dlm"),
    );
    let (e, d) = (emptier.to_str().unwrap(), default.to_str().unwrap());
    assert!(build_lm(&["--bigram-load-factor", "0.5", TINY, e])
        .status
        .success());
    assert!(build_lm(&[TINY, d]).status.success());
    let inspect = dashlm(&["inspect", e], None);
    let text = String::from_utf8_lossy(&inspect.stdout);
    // tiny.arpa: 7 bigrams in 14 homes, 4 trigrams in ceil(4 / 0.7) = 6 as
    // by default.
    assert!(
        text.contains("order 2: 7 arcs in 14 slots (load 0.500), 14 homes"),
        "{text}"
    );
    assert!(
        text.contains("order 3: 4 arcs in 7 slots (load 0.571), 6 homes"),
        "{text}"
    );
    let query = |m: &str| dashlm(&["query", m], Some(Path::new(SENTENCES))).stdout;
    assert_eq!(query(e), query(d));
    for bad in ["0", "1.5", "NaN"] {
        let out = build_lm(&["--bigram-load-factor", bad, TINY, e]);
        assert_error(
            &out,
            "build-lm",
            &format!("bigram load factor {bad} is not in [0.1, 1]"),
        );
    }
}

#[test]
fn inspect_verify_and_bench_query_end_quietly_on_a_closed_pipe_and_name_a_full_stdout() {
    // Before: `println!` panicked ("failed printing to stdout") on `| head -1`
    // and on a full disk.
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let m = model.to_str().unwrap();
    for args in [
        vec!["inspect", m],
        vec!["verify", m],
        vec!["bench-query", "--repeat", "3", m],
        vec!["query", m],
        vec!["dump", m],
    ] {
        let out = run_with(
            env!("CARGO_BIN_EXE_dashlm"),
            &args,
            Some(Path::new(SENTENCES)),
            Some(Path::new("/dev/full")),
        );
        assert_error(&out, "dashlm", "standard output: No space left on device");
        // A reader that has gone away (`| head`): no panic, status 0.
        let mut child = Command::new(env!("CARGO_BIN_EXE_dashlm"))
            .args(&args)
            .stdin(std::fs::File::open(SENTENCES).unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
    }
}

#[test]
fn bench_query_refuses_empty_input() {
    // Before: `queries=0 ... qps=0` (or NaN/inf with a coarse clock), exit 0.
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    for lookahead in [false, true] {
        let mut args = vec!["bench-query", model.to_str().unwrap()];
        if lookahead {
            args.push("--lookahead");
        }
        let out = dashlm(&args, Some(&empty));
        assert_error(&out, "dashlm", "standard input: no lines to score");
        assert_eq!(out.stdout, b"");
    }
}

#[test]
fn query_reads_crlf_nul_bytes_non_utf8_and_long_lines() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let m = model.to_str().unwrap();
    let crlf = dir.path().join("crlf.txt");
    std::fs::write(&crlf, b"the cat\r\n").unwrap();
    let lf = dir.path().join("lf.txt");
    std::fs::write(&lf, b"the cat\n").unwrap();
    let a = dashlm(&["query", m], Some(&crlf));
    assert!(a.status.success());
    assert_eq!(a.stdout, dashlm(&["query", m], Some(&lf)).stdout);
    let odd = dir.path().join("odd.txt");
    let mut bytes = b"\xff\xfe q\x00z ".to_vec();
    bytes.extend(std::iter::repeat_n(b"the ".as_slice(), 200_000).flatten());
    bytes.push(b'\n');
    std::fs::write(&odd, &bytes).unwrap();
    let out = dashlm(&["query", "-v", "summary", m], Some(&odd));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("OOVs:\t2\nTokens:\t200003\n"), "{text}");
}

#[test]
fn dump_names_its_output_and_leaves_no_half_written_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let m = model.to_str().unwrap();
    // Before: `dashlm: No space left on device (os error 28)`, naming nothing.
    let out = dashlm(&["dump", "-o", "/dev/full", m], None);
    assert_error(&out, "dashlm", "/dev/full: No space left on device");
    let missing = dir.path().join("no-such-dir").join("x.arpa");
    let out = dashlm(&["dump", "-o", missing.to_str().unwrap(), m], None);
    assert_error(&out, "dashlm", "no-such-dir");
    // An existing OUTPUT is replaced whole, and no temporary file is left.
    let arpa = dir.path().join("out.arpa");
    std::fs::write(&arpa, b"old").unwrap();
    let out = dashlm(&["dump", "-o", arpa.to_str().unwrap(), m], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read(&arpa).unwrap().starts_with(b"\\data\\"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

/// Spawns `cmd` with SIGINT and SIGTERM at their default disposition, even
/// when this test runs where they are ignored (`nohup`, a background job):
/// the program's own handling is what is tested.
#[cfg(unix)]
#[allow(unsafe_code)] // `pre_exec`
fn spawn_with_default_signals(cmd: &mut Command) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    // SAFETY: `signal` is async-signal-safe, as a `pre_exec` closure must be.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            Ok(())
        });
    }
    cmd.spawn().unwrap()
}

/// Sends `signal` (as `kill` names it) to `child` once `ready` holds (within
/// 20 s, the child still running), and returns its exit status.
#[cfg(unix)]
fn signal_when(
    child: &mut std::process::Child,
    signal: &str,
    ready: impl Fn() -> bool,
) -> std::process::ExitStatus {
    let start = Instant::now();
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the program ended before it could be signalled"
        );
        assert!(start.elapsed() < Duration::from_secs(20), "never ready");
        std::thread::sleep(Duration::from_millis(1));
    }
    let kill = Command::new("sh")
        .args(["-c", &format!("kill -{signal} {}", child.id())])
        .status()
        .unwrap();
    assert!(kill.success());
    child.wait().unwrap()
}

/// Writes `big.arpa` in `dir`, a bigram model of 3 million n-grams: a build
/// of a second or more.
#[cfg(unix)]
fn big_arpa(dir: &Path) -> PathBuf {
    use std::io::Write;
    let arpa = dir.join("big.arpa");
    let (words, per_word) = (3000usize, 1000usize);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&arpa).unwrap());
    write!(
        out,
        "\\data\\\nngram 1={}\nngram 2={}\n\n\\1-grams:\n",
        words + 3,
        words * per_word
    )
    .unwrap();
    writeln!(out, "-1\t<unk>\n-99\t<s>\t-0.5\n-1\t</s>").unwrap();
    for w in 0..words {
        writeln!(out, "-3.5\tw{w}\t-0.25").unwrap();
    }
    writeln!(out, "\n\\2-grams:").unwrap();
    for w in 0..words {
        for v in 0..per_word {
            writeln!(out, "-1.5\tw{w} w{}", (w * 7 + v * 13) % words).unwrap();
        }
    }
    writeln!(out, "\n\\end\\").unwrap();
    out.flush().unwrap();
    arpa
}

/// The outputs process `pid` is writing in `dir`: its hidden temporary
/// files (`.dashlm-*`) and, on Linux, where they are written unnamed
/// (`O_TMPFILE`), the files without a name it holds open there, as
/// `/proc/PID/fd` shows them (`DIR/#INODE (deleted)`; a writer's spill files
/// beside its output count too, but they are made after it).
#[cfg(unix)]
fn pending_in(pid: u32, dir: &Path) -> usize {
    #[cfg(target_os = "linux")]
    {
        let dir = dir.canonicalize().unwrap();
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            return 0;
        };
        fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
            .filter(|target| {
                let name = target.file_name().unwrap_or_default().to_string_lossy();
                target.parent() == Some(dir.as_path())
                    && (name.starts_with(".dashlm-")
                        || (name.starts_with('#') && name.ends_with(" (deleted)")))
            })
            .count()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        hidden_in(dir)
    }
}

/// Sends `signal` (as `kill` names it: `INT`, `TERM`) to `build-lm` while it
/// writes a large model, and returns its exit status once neither OUTPUT nor
/// its hidden temporary file is left (before, the `.dashlm-*` file, as large
/// as the model, stayed). The signal's disposition is the default in
/// `build-lm`, even when this test runs where it is ignored (`nohup`, a
/// background job).
#[cfg(unix)]
fn interrupt_build_lm(signal: &str) -> std::process::ExitStatus {
    let dir = tempfile::tempdir().unwrap();
    let arpa = big_arpa(dir.path());
    let output = dir.path().join("big.dlm");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_build-lm"));
    cmd.args([arpa.to_str().unwrap(), output.to_str().unwrap()])
        .stderr(Stdio::null())
        .stdout(Stdio::null());
    let mut child = spawn_with_default_signals(&mut cmd);
    let pid = child.id();
    let status = signal_when(&mut child, signal, || pending_in(pid, dir.path()) > 0);
    let hidden = hidden_in(dir.path());
    assert_eq!(hidden, 0, "the temporary file was left ({status})");
    assert!(!output.exists());
    status
}

/// SIGKILL (what the OOM killer sends; an allocation failure's abort is
/// alike) while `build-lm` writes: no cleanup runs, yet nothing is left in
/// OUTPUT's directory, the model being written without a name until its
/// commit (before: the hidden `.dashlm-*` file, as large as the model,
/// stayed). Linux, where the output directory's file system makes unnamed
/// files (`O_TMPFILE`).
#[cfg(target_os = "linux")]
#[test]
fn build_lm_killed_leaves_nothing_in_the_output_directory() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    if !dashlm::atomic::makes_unnamed_files(dir.path()) {
        eprintln!("skipped: no O_TMPFILE in {}", dir.path().display());
        return;
    }
    let arpa = big_arpa(dir.path());
    let output = dir.path().join("big.dlm");
    let mut child = Command::new(env!("CARGO_BIN_EXE_build-lm"))
        .args([arpa.to_str().unwrap(), output.to_str().unwrap()])
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Once the output is being written.
    let status = signal_when(&mut child, "KILL", || pending_in(pid, dir.path()) > 0);
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status}");
    let left: Vec<_> = (std::fs::read_dir(dir.path()).unwrap())
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["big.arpa"]);
}

/// Ctrl-C while `build-lm` writes: no temporary file is left, and the exit
/// status is 130 (128 + SIGINT's 2).
#[cfg(unix)]
#[test]
fn build_lm_interrupted_leaves_no_temporary_file() {
    assert_eq!(interrupt_build_lm("INT").code(), Some(130));
}

/// SIGTERM (`kill`'s default) while `build-lm` writes: no temporary file is
/// left, and the exit status is 143 (128 + SIGTERM's 15), not Ctrl-C's 130.
#[cfg(unix)]
#[test]
fn build_lm_terminated_leaves_no_temporary_file_and_exits_143() {
    assert_eq!(interrupt_build_lm("TERM").code(), Some(143));
}

/// A write past the file size limit (`ulimit -f`) is an error that removes
/// the temporary output (before: SIGXFSZ ended the process and left it).
#[cfg(unix)]
#[test]
fn build_lm_past_the_file_size_limit_fails_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let arpa = concat!(env!("CARGO_MANIFEST_DIR"), "/data/nbest/sample-3gram.arpa");
    let out = Command::new("sh")
        .current_dir(dir.path())
        .args(["-c", "ulimit -f 2; exec \"$0\" \"$1\" lm.dlm"])
        .args([env!("CARGO_BIN_EXE_build-lm"), arpa])
        .output()
        .unwrap();
    assert_error(&out, "build-lm", "lm.dlm: File too large");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The hidden temporary files (`.dashlm-*`) in `dir`.
fn hidden_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with(".dashlm-")
        })
        .count()
}

/// SIGTERM or Ctrl-C while `rescore` waits for its model (ARPA text on a pipe
/// that stays open), its outputs prepared as temporary files beside them: the
/// temporary files are removed (before, empty outputs were left behind) and
/// the exit status is 128 plus the signal's number; a file that existed keeps
/// what it held.
#[cfg(unix)]
#[test]
fn rescore_interrupted_leaves_its_outputs_as_they_were() {
    let lists = concat!(env!("CARGO_MANIFEST_DIR"), "/data/nbest/sample.jsonl");
    for (signal, status) in [("TERM", 143), ("INT", 130)] {
        let dir = tempfile::tempdir().unwrap();
        let (output, best) = (dir.path().join("out.jsonl"), dir.path().join("best.txt"));
        std::fs::write(&best, "kept\n").unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dashlm"));
        cmd.args([
            "rescore",
            "--model",
            "-",
            "--input",
            lists,
            "--lm-weight",
            "1",
        ])
        .args(["--wip", "0", "--output", output.to_str().unwrap()])
        .args(["--best-text", best.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        let mut child = spawn_with_default_signals(&mut cmd);
        // Held open: the model never ends, so `rescore` waits after preparing
        // its outputs.
        let stdin = child.stdin.take().unwrap();
        let pid = child.id();
        let exit = signal_when(&mut child, signal, || pending_in(pid, dir.path()) == 2);
        drop(stdin);
        assert_eq!(exit.code(), Some(status), "{signal}");
        assert!(!output.exists(), "{signal}: an output was created");
        assert_eq!(
            hidden_in(dir.path()),
            0,
            "{signal}: a temporary file was left"
        );
        assert_eq!(std::fs::read_to_string(&best).unwrap(), "kept\n");
    }
}

/// A write of `rescore` that fails (past `ulimit -f`) leaves the existing
/// outputs as they were, the best text too (written in full first, but put
/// in place only with the lists), with no temporary file beside them
/// (before: the lists' file was emptied, then cut where the write failed;
/// then the best text was replaced before the lists were written).
#[cfg(unix)]
#[test]
fn rescore_failing_to_write_leaves_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data/nbest");
    std::fs::write(dir.path().join("out.jsonl"), "old\n").unwrap();
    std::fs::write(dir.path().join("best.txt"), "old best\n").unwrap();
    // 1 KiB: the best text's 5 lines fit, the lists do not.
    let script = "ulimit -f 2; exec \"$0\" rescore --model \"$1\"/sample-3gram.arpa \
                  --input \"$1\"/sample.jsonl --lm-weight 1 --wip 0 --output out.jsonl \
                  --best-text best.txt";
    let out = Command::new("sh")
        .current_dir(dir.path())
        .args(["-c", script, env!("CARGO_BIN_EXE_dashlm"), data])
        .output()
        .unwrap();
    // After the scoring's summary lines.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("\ndashlm: out.jsonl: File too large"),
        "{}",
        stderr(&out)
    );
    let out_jsonl = dir.path().join("out.jsonl");
    assert_eq!(std::fs::read_to_string(out_jsonl).unwrap(), "old\n");
    let best = dir.path().join("best.txt");
    assert_eq!(std::fs::read_to_string(best).unwrap(), "old best\n");
    assert_eq!(hidden_in(dir.path()), 0);
}

/// Standard error closed early (`2>&1 | head -1`): the notes and summaries
/// that cannot be written are dropped, and a run that did its work exits 0
/// (before: a panic, "failed printing to stderr", and status 101 after the
/// outputs were written).
#[test]
fn a_closed_standard_error_is_no_failure() {
    let dir = tempfile::tempdir().unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data/nbest");
    let model = format!("{data}/sample-3gram.arpa");
    let run = |program: &str, args: &[&str]| {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        child.wait().unwrap()
    };
    let status = run(env!("CARGO_BIN_EXE_build-lm"), &[&model, "lm.dlm"]);
    assert!(status.success(), "build-lm: {status}");
    let lists = format!("{data}/sample.jsonl");
    let args = [
        "rescore",
        "--model",
        "lm.dlm",
        "--input",
        &lists,
        "--lm-weight",
        "1",
    ];
    let args = [
        &args[..],
        &["--wip", "0", "--output", "o.jsonl", "--best-text", "b.txt"],
    ]
    .concat();
    let status = run(env!("CARGO_BIN_EXE_dashlm"), &args);
    assert!(status.success(), "rescore: {status}");
    assert!(dir.path().join("b.txt").is_file());
}

/// `rescore --output - --best-text FILE` read by a reader that stops early
/// (`| head -c 100`): the lists end quietly, and the best text is written
/// all the same (before: never written, with exit status 0). And the other
/// way round, `--best-text - --output FILE` (before session 59: the lists
/// never written, status 0).
#[test]
fn the_other_output_is_written_when_standard_output_closes_early() {
    let dir = tempfile::tempdir().unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data/nbest");
    let file = dir.path().join("out.txt");
    for (on_stdout, to_file) in [("--output", "--best-text"), ("--best-text", "--output")] {
        let _ = std::fs::remove_file(&file);
        let mut child = Command::new(env!("CARGO_BIN_EXE_dashlm"))
            .args(["rescore", "--model", &format!("{data}/sample-3gram.arpa")])
            .args([
                "--input",
                &format!("{data}/sample.jsonl"),
                "--lm-weight",
                "1",
            ])
            .args([
                "--wip",
                "0",
                on_stdout,
                "-",
                to_file,
                file.to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let status = child.wait().unwrap();
        assert!(status.success(), "{on_stdout} -: {status}");
        let lines = std::fs::read_to_string(&file).unwrap().lines().count();
        assert_eq!(lines, 5, "{to_file}");
    }
}

/// A zstd, bzip2 or lz4 file is named as such, as a model, an ARPA input or
/// n-best lists (before: `NUL byte in line: this is binary data, not ARPA
/// text`, or `expected a \data\ line`).
#[test]
fn other_compressions_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let lists = concat!(env!("CARGO_MANIFEST_DIR"), "/data/nbest/sample.jsonl");
    const WEIGHTS: &[&str] = &["--lm-weight", "1", "--wip", "0"];
    for (name, head) in [
        (
            "zstd",
            &[0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x05, 0x29, 0x00][..],
        ),
        ("bzip2", &b"BZh91AY&SY\x00\x01"[..]),
        ("lz4", &[0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x00][..]),
    ] {
        let path = dir.path().join(format!("lm.{name}"));
        std::fs::write(&path, head).unwrap();
        let p = path.to_str().unwrap();
        // (n-best readers say `{p}: read error: ...`.)
        let expected =
            format!("{name}-compressed, which is not read (gzip and xz are): decompress it first");
        let out = dir.path().join("out.dlm");
        for (bin, args) in [
            (env!("CARGO_BIN_EXE_dashlm"), vec!["query", p]),
            (
                env!("CARGO_BIN_EXE_build-lm"),
                vec![p, out.to_str().unwrap()],
            ),
            (
                env!("CARGO_BIN_EXE_dashlm"),
                [&["rescore", "--model", TINY, "--input", p][..], WEIGHTS].concat(),
            ),
            (
                env!("CARGO_BIN_EXE_dashlm"),
                [&["rescore", "--model", p, "--input", lists][..], WEIGHTS].concat(),
            ),
        ] {
            let o = run_with(bin, &args, None, None);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
            let program = if bin.ends_with("build-lm") {
                "build-lm"
            } else {
                "dashlm"
            };
            assert!(
                err.starts_with(&format!("{program}: {p}: ")),
                "{args:?}: {err}"
            );
            assert!(err.contains(&expected), "{args:?}: {err}");
        }
    }
}
