//! `dashlm dump MODEL`: write a compiled model back out as ARPA text.

use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use dashlm::Model;

use super::load::{named, Named};

/// Write a compiled model as ARPA text (blanks included, quantized weights as
/// their codebook values); it reads back to a model that scores identically.
#[derive(clap::Args)]
pub struct Args {
    /// The compiled model.
    model: PathBuf,
    /// Where to write (default: standard output). A file is written next to
    /// it and renamed at the end, so an error never leaves a partial OUTPUT.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<(), Box<dyn Error + Send + Sync>> {
    super::load::refuse_stdin_compiled(&args.model)?;
    let model = Model::open(&args.model)?;
    // `dump` reads every byte: a corrupted section is refused, not written out
    // as plausible ARPA text.
    model
        .verify()
        .map_err(|e| format!("{}: {e}", args.model.display()))?;
    match &args.output {
        Some(p) if p.as_os_str() != "-" => {
            super::load::refuse_overwrite(p, &[(&args.model, "the model file")])?;
            write_file(&model, p)
        }
        _ => {
            let mut out = super::load::stdout();
            model.write_arpa(&mut out)?;
            out.flush()?;
            Ok(())
        }
    }
}

/// Writes `model` to `path`: through a temporary file renamed over it when
/// `path` is (or will be) a regular file, straight into a FIFO or device.
fn write_file(
    model: &Model<memmap2::Mmap>,
    path: &Path,
) -> Result<(), Box<dyn Error + Send + Sync>> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).ok();
    if meta.as_ref().is_some_and(|m| m.is_dir()) {
        return Err(format!("{name}: is a directory, not a file to write").into());
    }
    if meta.is_some_and(|m| !m.is_file()) {
        let file = File::options()
            .write(true)
            .open(path)
            .map_err(|e| named(&name, e))?;
        let mut out = BufWriter::new(Named {
            name: name.clone(),
            inner: &file,
        });
        model.write_arpa(&mut out)?;
        out.flush()?;
        return Ok(());
    }
    dashlm::atomic::write_file(path, |out, _| model.write_arpa(out).map(Some))
        .map_err(|e| named(&name, e))?;
    Ok(())
}
