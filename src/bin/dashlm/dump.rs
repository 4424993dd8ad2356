//! `dashlm dump MODEL`: write a compiled model back out as ARPA text.

use std::error::Error;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use dashlm::arpa::{Compressed, Compression};
use dashlm::Model;

use super::load::{named, Named};

/// Write a compiled model as ARPA text (blanks included, quantized weights as
/// their codebook values); it reads back to a model that scores identically.
#[derive(clap::Args)]
pub struct Args {
    /// The compiled model.
    model: PathBuf,
    /// Where to write (default: standard output). A file is written next to
    /// it and renamed at the end, so an error never leaves a partial OUTPUT;
    /// a name ending in `.gz` or `.xz` is written compressed.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<(), Box<dyn Error + Send + Sync>> {
    let model = super::load::open_compiled(&args.model)?;
    // `dump` reads every byte: a corrupted section is refused, not written out
    // as plausible ARPA text.
    super::load::verified(&model, &args.model)?;
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
    // A directory is refused by the temporary file's creation.
    let meta = std::fs::metadata(path).ok();
    if meta.is_some_and(|m| !m.is_file() && !m.is_dir()) {
        let file = File::options()
            .write(true)
            .open(path)
            .map_err(|e| named(&name, e))?;
        let out = BufWriter::new(Named {
            name: name.clone(),
            inner: &file,
        });
        write_arpa(model, out, path)?;
        return Ok(());
    }
    dashlm::atomic::write_file(path, |out, _| write_arpa(model, out, path).map(Some))
        .map_err(|e| named(&name, e))?;
    Ok(())
}

/// Writes `model` as ARPA text to `out`, compressed as `path`'s name asks
/// (`.gz`, `.xz`: level 6; the ARPA readers take either), and flushes.
fn write_arpa<W: Write>(model: &Model<memmap2::Mmap>, out: W, path: &Path) -> io::Result<()> {
    let mut out = Compressed::new(out, Compression::of_name(path), 6);
    model.write_arpa(&mut out)?;
    out.finish().map(drop)
}
