//! Opening a model file of any supported kind, with a progress bar for ARPA.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dashlm::arpa::{Input, NGramSet};
use dashlm::format::Mmap;
use dashlm::Model;
use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar over the bytes of a file, drawn on stderr only when it is a terminal.
pub fn byte_progress(len: Option<u64>, message: &str) -> ProgressBar {
    let bar = match len {
        Some(len) => ProgressBar::new(len),
        None => ProgressBar::new_spinner(),
    };
    styled(
        bar,
        "{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})",
        message,
    )
}

/// Gives `bar` dashlm's style with `template`, a message and a steady tick.
pub fn styled(bar: ProgressBar, template: &str, message: &str) -> ProgressBar {
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Whether a path given on the command line is `-`: standard input for an
/// input, standard output for an output.
pub fn is_dash(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Why a compiled model cannot come through standard input (or a pipe).
const COMPILED_NOT_STREAMED: &str =
    "a compiled model must be a regular file (it is memory-mapped or read whole)";

/// An error if the model `path` is `-`, for the commands that read something
/// else from standard input or take compiled models only (`why`).
pub fn refuse_stdin_model(path: &Path, why: &str) -> Result<(), String> {
    if is_dash(path) {
        return Err(format!("MODEL `-`: {why}; give the model's path"));
    }
    Ok(())
}

/// [`refuse_stdin_model`] for the commands that take compiled models only.
fn refuse_stdin_compiled(path: &Path) -> Result<(), String> {
    refuse_stdin_model(
        path,
        &format!("not standard input: {COMPILED_NOT_STREAMED}"),
    )
}

/// Maps the compiled model at `path` (`-` refused), for the commands that
/// take compiled models only.
pub fn open_compiled(path: &Path) -> Result<Model<Mmap>, Box<dyn Error + Send + Sync>> {
    refuse_stdin_compiled(path)?;
    Ok(Model::open(path)?)
}

/// An error naming `path` and the first section of `model` whose checksum
/// does not match.
pub fn verified<D: AsRef<[u8]>>(
    model: &Model<D>,
    path: &Path,
) -> Result<(), Box<dyn Error + Send + Sync>> {
    model
        .verify()
        .map_err(|e| format!("{}: {e}", path.display()).into())
}

/// `eprintln!` that ignores a failed write: standard error closed early
/// (`2>&1 | head -1`) must not turn a run that did its work into a panic.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use note;

/// Opens the model (ARPA or compiled) at `path` once, reading its first
/// bytes: a regular file, a FIFO or pipe (`<(zcat lm.arpa.gz)`), or standard
/// input for `-`; a directory, socket or device is refused by name.
pub fn open_model_input(path: &Path) -> Result<Input, String> {
    dashlm::arpa::open_model_input(path).map_err(|e| format!("{}: {e}", input_name(path)))
}

/// How errors and notes name the input `path`: `standard input` for `-`,
/// else the path.
pub use dashlm::arpa::input_name;

/// Reads the ARPA text (plain, gzip or xz) of `input`, opened from `path`,
/// into an n-gram set, showing progress.
pub fn read_arpa(input: Input, path: &Path) -> Result<NGramSet, Box<dyn Error + Send + Sync>> {
    let bar = byte_progress(input.file_len, "reading ARPA");
    let progress = input.progress.clone();
    let set = NGramSet::read_with_progress(input.reader, &input_name(path), |_| {
        bar.set_position(progress.bytes())
    });
    bar.finish_and_clear();
    let set = set?;
    if set.unk_added() {
        note_unk_added(path);
    }
    Ok(set)
}

/// Whether `a` and `b` both exist and are the same regular file (one a link
/// to the other, or the same path spelled another way). A device or pipe
/// (`/dev/null`, `/dev/stdout`) never counts: writing one destroys nothing.
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    if !x.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (x.dev(), x.ino()) == (y.dev(), y.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = (x, y);
        std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok()
    }
}

/// An error if `output` is one of the files a command reads (`(path, what it
/// is)`): writing it would destroy that file, and a model file truncated while
/// it is mapped kills the process (SIGBUS). A read path `-` is standard input,
/// which may be a file redirected in (`build-lm - lm.arpa < lm.arpa`).
pub fn refuse_overwrite(output: &Path, read: &[(&Path, &str)]) -> Result<(), String> {
    // Where `-` reads from, when the system names it (`/dev/stdin` follows
    // the descriptor to the file redirected in).
    let source = |path: &Path| -> PathBuf {
        if cfg!(unix) && path.as_os_str() == "-" {
            PathBuf::from("/dev/stdin")
        } else {
            path.to_path_buf()
        }
    };
    match read
        .iter()
        .find(|(path, _)| same_file(output, &source(path)))
    {
        Some((_, what)) => Err(format!(
            "{}: this output is {what}, which would be overwritten; give another path",
            output.display()
        )),
        None => Ok(()),
    }
}

/// `err` with `name: ` in front, of the same kind (so that a broken pipe still
/// ends quietly in [`exit`]).
pub fn named(name: &str, err: std::io::Error) -> std::io::Error {
    std::io::Error::new(err.kind(), format!("{name}: {err}"))
}

/// A writer whose errors name what it writes to (`standard output`, a path).
pub struct Named<W> {
    /// The name put in front of each error.
    pub name: String,
    /// Where the bytes go.
    pub inner: W,
}

impl<W: std::io::Write> std::io::Write for Named<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).map_err(|e| named(&self.name, e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().map_err(|e| named(&self.name, e))
    }
}

/// Standard output, buffered, its errors naming it.
pub fn stdout() -> std::io::BufWriter<Named<std::io::StdoutLock<'static>>> {
    std::io::BufWriter::new(Named {
        name: "standard output".into(),
        inner: std::io::stdout().lock(),
    })
}

/// Says on stderr that `path` has no `<unk>` and one was added.
pub fn note_unk_added(path: &Path) {
    note!(
        "{}: note: {}: no <unk> in the unigrams; added it with log10 probability -100",
        env!("CARGO_BIN_NAME"),
        input_name(path)
    );
}

/// A model of either kind, as found on disk.
// One per process, and the compiled model's fields are what its queries
// read first: not boxed.
#[allow(clippy::large_enum_variant)]
pub enum Loaded {
    /// ARPA text, loaded into the reference model.
    Arpa(dashlm::ReferenceModel),
    /// A compiled dashlm model, memory-mapped.
    Compiled(dashlm::Model<memmap2::Mmap>),
}

/// Opens `path` as a compiled model if it starts with the dashlm magic (or
/// is a model cut short: reported as too short), else as ARPA text. The file
/// is opened once, so ARPA text may come through a pipe or standard input
/// (`-`); a compiled model must be a regular file (it is mapped or read whole
/// by its length), and one through a pipe is refused as `inspect` refuses
/// it, as is one on standard input.
pub fn open_model(path: &Path) -> Result<Loaded, Box<dyn Error + Send + Sync>> {
    let input = open_model_input(path)?;
    if !dashlm::format::starts_like_model(&input.head) {
        let set = read_arpa(input, path)?;
        return Ok(Loaded::Arpa(dashlm::ReferenceModel::new(set)));
    }
    if is_dash(path) {
        return Err(format!("standard input: {COMPILED_NOT_STREAMED}; give its path").into());
    }
    let lazy = std::env::var_os("DASHLM_MMAP").is_some_and(|v| v == "1");
    let model = if lazy {
        dashlm::Model::open(path)?
    } else {
        dashlm::Model::load(path)?
    };
    Ok(Loaded::Compiled(model))
}

/// Runs `$body` with `$m` bound to the loaded model, whichever kind it is.
#[macro_export]
macro_rules! with_model {
    ($loaded:expr, |$m:ident| $body:expr) => {
        match $loaded {
            $crate::load::Loaded::Arpa($m) => $body,
            $crate::load::Loaded::Compiled($m) => $body,
        }
    };
}

/// Ends a command: success, or `PROGRAM: error: cause: cause` on stderr and exit
/// status 2. A broken pipe (output piped into `head`) ends quietly.
pub fn exit(
    program: &str,
    result: Result<(), Box<dyn Error + Send + Sync>>,
) -> std::process::ExitCode {
    let Err(err) = result else {
        return std::process::ExitCode::SUCCESS;
    };
    if is_closed_pipe(&*err) {
        return std::process::ExitCode::SUCCESS;
    }
    let mut msg = format!("{program}: {err}");
    let mut source = err.source();
    while let Some(s) = source {
        // Errors that already print their source inline are not repeated.
        let text = s.to_string();
        if !msg.ends_with(&text) {
            msg.push_str(&format!(": {text}"));
        }
        source = s.source();
    }
    note!("{msg}");
    std::process::ExitCode::from(2)
}

/// Whether `err` is a write to a pipe whose reader stopped early (`| head`),
/// which ends a run quietly.
pub fn is_closed_pipe(err: &(dyn Error + Send + Sync + 'static)) -> bool {
    err.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
