//! Opening a model file of any supported kind, with a progress bar for ARPA.

use std::error::Error;
use std::path::Path;
use std::time::Duration;

use dashlm::arpa::{open_input, NGramSet};
use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar over the bytes of a file, drawn on stderr only when it is a terminal.
pub fn byte_progress(len: Option<u64>, message: &str) -> ProgressBar {
    let bar = match len {
        Some(len) => ProgressBar::new(len),
        None => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Reads an ARPA file (plain, gzip or xz) into an n-gram set, showing progress.
pub fn read_arpa(path: &Path) -> Result<NGramSet, Box<dyn Error + Send + Sync>> {
    let input = open_input(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bar = byte_progress(input.file_len, "reading ARPA");
    let progress = input.progress.clone();
    let set = NGramSet::read_with_progress(input.reader, &path.display().to_string(), |_| {
        bar.set_position(progress.bytes())
    });
    bar.finish_and_clear();
    let set = set?;
    if set.unk_added() {
        eprintln!(
            "dashlm: {}: no <unk> in the unigrams; added it with log10 probability -100",
            path.display()
        );
    }
    Ok(set)
}
