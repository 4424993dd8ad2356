//! What the format readers share: reading a whole text file or its lines
//! (UTF-8, no byte-order mark, errors at their line), parsing lines in
//! parallel batches, and reading a score that may be a probability of zero.

use std::io;
use std::path::Path;

use super::error::{NbestError, NbestErrorKind};

/// The whole text of `path` (plain, gzip or xz, as [`open_input`](crate::arpa::open_input)
/// detects), named `name` in errors; bytes that are not UTF-8 are an error at
/// their line and byte, and so is a byte-order mark ([`check_no_bom`]).
pub(crate) fn read_text_file(path: &Path, name: &str) -> Result<String, NbestError> {
    let mut bytes = Vec::new();
    let too_long = crate::arpa::open_input(path)
        .and_then(|mut input| {
            // A plain file's length is its text's: one allocation, no copies
            // as the buffer grows (a compressed file's is a first guess).
            bytes.reserve(input.file_len.map_or(0, |n| n as usize).saturating_add(1));
            read_lines_within(&mut input.reader, &mut bytes, MAX_LINE_BYTES)
        })
        .map_err(|e| NbestError::io(name, e))?;
    if let Some(line) = too_long {
        let kind = NbestErrorKind::LineTooLong {
            max: MAX_LINE_BYTES,
        };
        return Err(NbestError::new(name, line, kind));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let what = format!("not UTF-8 text: byte {at} (0x{:02x})", bytes[at]);
        let err = io::Error::new(io::ErrorKind::InvalidData, what);
        NbestError::new(name, line, NbestErrorKind::Io(err))
    })?;
    check_no_bom(&text).map_err(|k| NbestError::new(name, 1, k))?;
    Ok(text)
}

/// The longest line an n-best input may have: 1 GiB, the bytes before its
/// `\n` (a `\r` before it counted). No list, hypothesis or transcription comes near it; a
/// longer line is binary data or a file without line ends, and a hypothesis
/// of 4 GiB could not be held ([`Words`](super::Words) has 32-bit offsets).
///
/// ```
/// assert_eq!(dashlm::rescore::MAX_LINE_BYTES, 1 << 30);
/// ```
pub const MAX_LINE_BYTES: usize = 1 << 30;

/// Appends all of `input` to `bytes`, stopping at the first line longer than
/// `max` bytes (its `\n` not counted): `Ok(Some(its number))` then, the rest
/// not read (a file of one endless line costs `max` bytes, not its size).
fn read_lines_within(
    input: &mut dyn io::BufRead,
    bytes: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<u64>> {
    let (mut line, mut line_start) = (1u64, bytes.len());
    loop {
        let chunk = match input.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(None);
        }
        let (from, n) = (bytes.len(), chunk.len());
        bytes.extend_from_slice(chunk);
        input.consume(n);
        for end in memchr::memchr_iter(b'\n', &bytes[from..]).map(|i| from + i) {
            if end - line_start > max {
                return Ok(Some(line));
            }
            (line, line_start) = (line + 1, end + 1);
        }
        if bytes.len() - line_start > max {
            return Ok(Some(line));
        }
    }
}

/// An error if `first_line`, the start of an input, starts with a UTF-8
/// byte-order mark (U+FEFF): invisible in a terminal, it would be read as
/// part of the first id, word or number and give a misleading error (`invalid
/// JSON at column 1`, "expected a number, found `-10.5`") or none at all (an
/// id that matches nothing).
fn check_no_bom(first_line: &str) -> Result<(), NbestErrorKind> {
    match first_line.starts_with('\u{feff}') {
        true => Err(NbestErrorKind::ByteOrderMark),
        false => Ok(()),
    }
}

/// How a score field writes a probability of zero, if it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Zero {
    /// It cannot: every score is finite (SRILM's bytelog scores).
    Refused,
    /// `-inf`: a log probability (SRILM's scores, which SRILM itself writes
    /// so for a word of probability zero, and extra scores).
    MinusInf,
    /// `inf`: a cost, a negated log probability (Kaldi's `ac_cost` and
    /// `lm_cost`).
    PlusInf,
}

/// The score `token` (the `what` of its line): a finite number, or the
/// infinity that `zero` says means a probability of zero (spelled `inf` or
/// `infinity` in any case, signed as it must be). `nan` and the other infinity
/// parse as numbers but would rank a list silently wrong, so `nan` is refused
/// like any other token that is not a number and the other infinity as out of
/// range; so is a number past a 64-bit float's range (`1e999`).
pub(crate) fn parse_score(
    token: &str,
    what: &'static str,
    zero: Zero,
) -> Result<f64, NbestErrorKind> {
    let spelled_infinity = || {
        let magnitude = token.trim_start_matches(['+', '-']);
        magnitude.eq_ignore_ascii_case("inf") || magnitude.eq_ignore_ascii_case("infinity")
    };
    let out_of_range = |why| NbestErrorKind::OutOfRange {
        what,
        found: token.to_string(),
        why,
    };
    match token.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(v) if v.is_infinite() && !spelled_infinity() => Err(out_of_range(
            "past the range of a 64-bit float (about 1.8e308)",
        )),
        Ok(v) if v == f64::NEG_INFINITY && zero == Zero::MinusInf => Ok(v),
        Ok(v) if v == f64::INFINITY && zero == Zero::PlusInf => Ok(v),
        Ok(v) if v.is_infinite() => Err(out_of_range(match zero {
            Zero::Refused => "a bytelog score is finite",
            Zero::MinusInf => {
                "of the infinities only `-inf`, a probability of zero, is a log probability"
            }
            Zero::PlusInf => "of the infinities only `inf`, a probability of zero, is a cost",
        })),
        _ => Err(NbestErrorKind::Number {
            what,
            found: token.to_string(),
        }),
    }
}

/// Calls `f(trimmed line, line number)` for every non-blank line of `input`;
/// an error from `f` becomes an [`NbestError`] at that line of `source`, and
/// so does a byte-order mark at the start ([`check_no_bom`]).
pub(crate) fn read_lines<R: std::io::BufRead>(
    input: R,
    source: &str,
    mut f: impl FnMut(&str, u64) -> Result<(), super::NbestErrorKind>,
) -> Result<(), NbestError> {
    let mut lines = Lines::new(input, source);
    while let Some((text, line_no)) = lines.next_line()? {
        f(text, line_no).map_err(|k| NbestError::new(source, line_no, k))?;
    }
    Ok(())
}

/// Parses `lines` (each a line number and its text, or a read error) with
/// `parse`, in parallel a batch at a time, and returns the items in line
/// order. The error is the one a reading line by line would meet first: a
/// line's own error, or an item whose `id` an earlier item has
/// ([`NbestErrorKind::Duplicate`]), at its line of `source`; a read error
/// after the lines before it.
pub(crate) fn parse_lines_parallel<L, T>(
    mut lines: impl Iterator<Item = Result<(u64, L), NbestError>>,
    source: &str,
    parse: impl Fn(&str) -> Result<T, NbestErrorKind> + Sync,
    id: impl Fn(&T) -> &str,
) -> Result<Vec<T>, NbestError>
where
    L: AsRef<str> + Sync,
    T: Send,
{
    use rayon::prelude::*;
    let mut items = Vec::new();
    let mut ids = std::collections::HashSet::new();
    let mut batch: Vec<(u64, L)> = Vec::new();
    let mut batch_bytes = 0;
    loop {
        let end = match lines.next() {
            Some(Ok(line)) => {
                batch_bytes += line.1.as_ref().len();
                batch.push(line);
                None
            }
            Some(Err(e)) => Some(Err(e)),
            None => Some(Ok(())),
        };
        if end.is_some() || batch_bytes >= PARSE_BATCH_BYTES {
            let parsed: Vec<_> = batch.par_iter().map(|(_, t)| parse(t.as_ref())).collect();
            for ((line_no, _), item) in batch.iter().zip(parsed) {
                let at = |kind| NbestError::new(source, *line_no, kind);
                let item = item.map_err(at)?;
                if !ids.insert(id(&item).to_string()) {
                    return Err(at(NbestErrorKind::Duplicate(id(&item).to_string())));
                }
                items.push(item);
            }
            batch.clear();
            batch_bytes = 0;
        }
        if let Some(end) = end {
            // After the lines before it: a read error.
            return end.map(|()| items);
        }
    }
}

/// Bytes of lines [`parse_lines_parallel`] parses together.
const PARSE_BATCH_BYTES: usize = 4 << 20;

/// The non-blank lines of an n-best input, trimmed, with their numbers (see
/// [`read_lines`]).
pub(crate) struct Lines<'s, R> {
    input: R,
    source: &'s str,
    line: String,
    line_no: u64,
    max_line: usize,
}

impl<'s, R: std::io::BufRead> Lines<'s, R> {
    /// The lines of `input`, named `source` in errors.
    pub(crate) fn new(input: R, source: &'s str) -> Lines<'s, R> {
        Lines {
            input,
            source,
            line: String::new(),
            line_no: 0,
            max_line: MAX_LINE_BYTES,
        }
    }

    /// The next non-blank line and its number; `None` at the end. Errors: a
    /// read error, a line longer than [`MAX_LINE_BYTES`] (read no further),
    /// or a byte-order mark at the start, at its line.
    pub(crate) fn next_line(&mut self) -> Result<Option<(&str, u64)>, NbestError> {
        use std::io::{BufRead, Read};
        loop {
            // The line's buffer reused as bytes, then moved back as text
            // once checked (one check, no copy).
            let mut bytes = std::mem::take(&mut self.line).into_bytes();
            bytes.clear();
            let limit = self.max_line as u64 + 1;
            let n = (&mut self.input)
                .take(limit)
                .read_until(b'\n', &mut bytes)
                .map_err(|e| {
                    NbestError::new(self.source, self.line_no + 1, NbestErrorKind::Io(e))
                })?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            if n > self.max_line && bytes.last() != Some(&b'\n') {
                let kind = NbestErrorKind::LineTooLong { max: self.max_line };
                return Err(NbestError::new(self.source, self.line_no, kind));
            }
            self.line = String::from_utf8(bytes).map_err(|e| {
                let at = e.utf8_error().valid_up_to();
                let what = format!(
                    "not UTF-8 text: the byte at offset {at} of the line is 0x{:02x}",
                    e.as_bytes()[at]
                );
                let err = io::Error::new(io::ErrorKind::InvalidData, what);
                NbestError::new(self.source, self.line_no, NbestErrorKind::Io(err))
            })?;
            if self.line_no == 1 {
                check_no_bom(&self.line).map_err(|k| NbestError::new(self.source, 1, k))?;
            }
            if !crate::text::trim(&self.line).is_empty() {
                // Trimmed again here: returning the borrow taken for the test
                // would keep `self.line` borrowed across the loop.
                return Ok(Some((crate::text::trim(&self.line), self.line_no)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_longer_than_the_limit_are_refused_at_their_line() {
        let text = "a b\n\n0123456789\nc\n";
        for (max, want) in [(10, None), (9, Some(3)), (3, Some(3)), (2, Some(1))] {
            let mut lines = Lines::new(text.as_bytes(), "in");
            lines.max_line = max;
            let mut got = None;
            loop {
                match lines.next_line() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => {
                        assert!(
                            matches!(e.kind(), NbestErrorKind::LineTooLong { max: m } if *m == max)
                        );
                        assert!(
                            e.to_string().starts_with(&format!(
                                "in:{}: the line is longer than {max} bytes",
                                e.line()
                            )),
                            "{e}"
                        );
                        got = Some(e.line());
                        break;
                    }
                }
            }
            assert_eq!(got, want, "max {max}");
            // Whole, read in chunks of 1 to 4 bytes (lines across chunks).
            for chunk in 1..=4 {
                let mut input = std::io::BufReader::with_capacity(chunk, text.as_bytes());
                let mut bytes = Vec::new();
                let got = read_lines_within(&mut input, &mut bytes, max).unwrap();
                assert_eq!(got, want, "whole text, max {max}, chunks of {chunk}");
                if want.is_none() {
                    assert_eq!(bytes, text.as_bytes());
                }
            }
        }
        // A last line without a line end counts the same.
        let mut lines = Lines::new(&b"abcd"[..], "in");
        lines.max_line = 3;
        assert_eq!(lines.next_line().unwrap_err().line(), 1);
        let within = |max| read_lines_within(&mut &b"abcd"[..], &mut Vec::new(), max).unwrap();
        assert_eq!((within(3), within(4)), (Some(1), None));
        // Reading stops at the line: the rest of an endless line is not read.
        let mut endless = std::io::BufReader::with_capacity(8, std::io::repeat(b'x'));
        let mut bytes = Vec::new();
        assert_eq!(
            read_lines_within(&mut endless, &mut bytes, 100).unwrap(),
            Some(1)
        );
        assert!(bytes.len() <= 108);
    }
}
