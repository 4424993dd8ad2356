//! `dashlm dump MODEL`: write a compiled model back out as ARPA text.

use std::error::Error;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use dashlm::Model;

/// Write a compiled model as ARPA text (blanks included, quantized weights as
/// their codebook values); it reads back to a model that scores identically.
#[derive(clap::Args)]
pub struct Args {
    /// The compiled model.
    model: PathBuf,
    /// Where to write (default: standard output).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<(), Box<dyn Error + Send + Sync>> {
    let model = Model::open(&args.model)?;
    let out: Box<dyn Write> = match &args.output {
        Some(p) if p.as_os_str() != "-" => {
            super::load::refuse_overwrite(p, &[(&args.model, "the model file")])?;
            Box::new(File::create(p).map_err(|e| format!("{}: {e}", p.display()))?)
        }
        _ => Box::new(io::stdout().lock()),
    };
    model.write_arpa(BufWriter::new(out))?;
    Ok(())
}
