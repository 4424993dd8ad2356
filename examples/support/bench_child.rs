//! Child processes of `examples/bench.rs`: running one and taking its wall
//! time, CPU time and peak RSS from the OS, finding `build-lm`, and the child
//! modes this program runs itself in (KenLM's `build_binary`, and `build-lm`'s
//! work when that binary is missing).

use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::bench_build::Variant;
use crate::Res;

/// The first argument that runs this program as KenLM's `build_binary`.
pub const CHILD_KENLM: &str = "--child-kenlm-build-binary";
/// The first argument that runs this program as `build-lm`.
pub const CHILD_BUILD: &str = "--child-build-lm";

/// Runs the child mode `argv[1]` names, if it names one (never returns then).
pub fn run_child_mode(argv: &[OsString]) {
    match argv.get(1).and_then(|a| a.to_str()) {
        Some(CHILD_KENLM) => child_kenlm(&argv[2..]),
        Some(CHILD_BUILD) => child_build(&argv[2..]),
        _ => {}
    }
}

/// What the OS reports about one finished child process.
#[derive(Clone, Copy, Debug)]
pub struct ChildRun {
    pub wall_s: f64,
    pub cpu_s: f64,
    pub max_rss: u64,
}

/// Runs `cmd` (output to `log`) and returns its wall time and, from `wait4`, its
/// own CPU time and peak RSS (not those of earlier children). On Linux that
/// peak also counts this process's peak RSS when the child execs, so children
/// whose peak matters are run while this process is small.
pub fn run_child(mut cmd: Command, log: &Path) -> Res<ChildRun> {
    let out = File::create(log)?;
    cmd.stdout(out.try_clone()?).stderr(out);
    let start = Instant::now();
    let child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain integers, so all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child, not yet reaped (`Child::wait` is never
        // called); `status` and `usage` are valid, writable locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err.into());
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    drop(child);
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let text = fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        let how = if libc::WIFEXITED(status) {
            format!("exit code {}", libc::WEXITSTATUS(status))
        } else if libc::WIFSIGNALED(status) {
            format!("killed by signal {}", libc::WTERMSIG(status))
        } else {
            format!("wait status {status}")
        };
        return Err(format!(
            "{:?} failed ({how}); end of {}:\n{}",
            cmd,
            log.display(),
            tail.join("\n")
        )
        .into());
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Ok(ChildRun {
        wall_s,
        cpu_s: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss: usage.ru_maxrss as u64 * 1024,
    })
}

/// The `build-lm` to time: `explicit` (`--build-lm`), else the one next to
/// this example as cargo lays them out (target/PROFILE/build-lm, rebuilt
/// first through cargo when run by cargo), else one beside this program,
/// else one on `PATH`; `None` if there is none.
pub fn build_lm_binary(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    let name = format!("build-lm{}", std::env::consts::EXE_SUFFIX);
    let exe = std::env::current_exe().ok()?;
    let exe_dir = exe.parent()?.to_path_buf();
    let profile_dir = exe_dir.parent()?.to_path_buf();
    if let Some(cargo) = std::env::var_os("CARGO") {
        let profile = match profile_dir.file_name()?.to_str()? {
            "debug" => "dev".to_string(),
            p => p.to_string(),
        };
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "--profile",
                &profile,
                "--bin",
                "build-lm",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("bench: could not build build-lm with cargo");
        }
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(&name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    [profile_dir.join(&name), exe_dir.join(&name)]
        .into_iter()
        .chain(on_path)
        .find(|p| p.is_file())
}

extern "C" {
    // KenLM's build_binary `main`, compiled into kenlm-rs by its "tools" feature.
    // kenlm-rs 0.1.0 declares it `extern "C"` but compiles it with C++ linkage
    // (its `kenlm::commands::build_binary` fails to link), so this names the
    // C++ symbol of `int kenlmrs_build_binary_main(int, char**)`.
    #[link_name = "_Z25kenlmrs_build_binary_mainiPPc"]
    fn kenlmrs_build_binary_main(argc: libc::c_int, argv: *mut *mut libc::c_char) -> libc::c_int;
}

/// Child mode: KenLM's build_binary with the remaining arguments.
fn child_kenlm(args: &[OsString]) -> ! {
    use std::os::unix::ffi::OsStrExt;
    let strings: Vec<std::ffi::CString> = std::iter::once(OsString::from("build_binary"))
        .chain(args.iter().cloned())
        .map(|a| std::ffi::CString::new(a.as_bytes()).expect("no NUL in arguments"))
        .collect();
    let mut argv: Vec<*mut libc::c_char> = strings.iter().map(|s| s.as_ptr().cast_mut()).collect();
    argv.push(std::ptr::null_mut());
    // SAFETY: `argv` holds `strings.len()` pointers to live NUL-terminated
    // strings followed by a null pointer, as C's `main` expects; KenLM's
    // build_binary only reads them. This process exits right after.
    let status =
        unsafe { kenlmrs_build_binary_main(strings.len() as libc::c_int, argv.as_mut_ptr()) };
    std::process::exit(status)
}

/// Child mode: what `build-lm --weights W [--raw-f32] IN OUT` does, when the
/// binary is missing (VARIANT: one of [`VARIANT_NAMES`](crate::bench_build::VARIANT_NAMES)).
fn child_build(args: &[OsString]) -> ! {
    let run = || -> Res<()> {
        let [v, input, output] = args else {
            return Err("usage: --child-build-lm VARIANT IN OUT".into());
        };
        let variant = Variant::parse(&v.to_string_lossy()).ok_or("bad variant")?;
        let path = PathBuf::from(input);
        let set = dashlm::arpa::NGramSet::read(
            dashlm::arpa::open_input(&path)?.reader,
            &path.display().to_string(),
        )?;
        let summary = dashlm::build::write_model(&set, variant.options(), Path::new(output))?;
        eprintln!("{summary}");
        Ok(())
    };
    match run() {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("build: {e}");
            std::process::exit(2)
        }
    }
}
