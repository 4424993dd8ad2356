//! A guess at an n-best input's format from what its path holds, for the
//! error when it is read in another format (`--format` left at `jsonl` for a
//! Kaldi directory, say).

use std::io::BufRead;
use std::path::Path;

use super::{Format, NbestError};

/// The format `path` looks like, if any: a directory holding Kaldi archives
/// (`ac_cost` or `acwt`, and `text`, `words` or `words_text`) or SRILM
/// `*.nbest` files; a file whose first non-blank byte is `{` (JSONL), or that
/// starts like an SRILM n-best file (a score, a Decipher `(score)`, or an
/// `NBestList` header).
/// Standard input (`-`) and named pipes are not looked at: they can be read
/// once.
pub(super) fn looks_like(path: &Path) -> Option<Format> {
    if path.as_os_str() == "-" {
        return None;
    }
    if path.is_dir() {
        let has = |name: &str| path.join(name).is_file();
        if (has("ac_cost") || has("acwt")) && ["text", "words", "words_text"].iter().any(|n| has(n))
        {
            return Some(Format::Kaldi);
        }
        let entries = std::fs::read_dir(path).ok()?;
        let nbest = entries
            .filter_map(Result::ok)
            .any(|e| super::srilm::is_nbest_name(&e.file_name().to_string_lossy()));
        return nbest.then_some(Format::Srilm);
    }
    // Only a regular file is read again: opening a named pipe would wait
    // for a writer that may never come.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    // Lines, not the reader's first buffer: that may hold only the few bytes
    // read to tell compressed input (`NBestLis` of a header). At most 1 MiB.
    let mut input = std::io::Read::take(crate::arpa::open_input(path).ok()?.reader, 1 << 20);
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        let Some(at) = line.iter().position(|b| !b.is_ascii_whitespace()) else {
            continue;
        };
        let start = &line[at..];
        return match start[0] {
            b'{' => Some(Format::Jsonl),
            b'-' | b'0'..=b'9' | b'(' => Some(Format::Srilm),
            _ if start.starts_with(b"NBestList") => Some(Format::Srilm),
            _ => None,
        };
    }
}

/// `err`, a read error of `path` as `format`, with a hint naming the format
/// `path` looks like when that is another one.
pub(crate) fn with_format_hint(err: NbestError, path: &Path, format: Format) -> NbestError {
    let Some(other) = looks_like(path).filter(|&f| f != format) else {
        return err;
    };
    let what = match (other, path.is_dir()) {
        (Format::Kaldi, _) => "a Kaldi n-best directory (`text` or `words`, and `ac_cost`)",
        (Format::Srilm, true) => "a directory of SRILM n-best files (`*.nbest`)",
        (Format::Srilm, false) => "an SRILM n-best file (scores first, or an `NBestList` header)",
        (Format::Jsonl, _) => "JSONL n-best lists (its first line starts with `{`)",
    };
    err.with_hint(format!(
        "{} looks like {what}: give --format {other}",
        path.display()
    ))
}
