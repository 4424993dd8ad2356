//! Lines of text read in large blocks and handed out in place.
//!
//! [`ArpaReader`](super::ArpaReader) reads millions of short lines. Reading
//! them one at a time (`BufRead::read_until`) costs a search for the line end,
//! a copy into a line buffer and a search for NUL bytes per line, each a call
//! with its own set-up. [`Lines`] instead reads a block of 256 KiB at a time,
//! finds every newline and the first NUL in it with one vectorized search each
//! (`memchr`), and hands each line out as a range of the block; the bytes of a
//! line that runs past the block's end are moved to the front before the next
//! block is read behind them.

use std::io::{self, Read};
use std::ops::Range;

use super::reader::MAX_LINE_BYTES;

/// Bytes read at a time.
const BLOCK: usize = 1 << 18;

/// Why [`Lines::next_line`] has no line to give.
#[derive(Debug)]
pub(super) enum LineError {
    /// Reading the input failed.
    Io(io::Error),
    /// The line (with its line end) is longer than [`MAX_LINE_BYTES`].
    TooLong,
    /// The line holds a NUL byte.
    Nul,
}

/// The lines of `input`, without their line ends (`\n` or `\r\n`); the last
/// line may lack one. `one\r\ntwo\n\nthree` is `one`, `two`, an empty line
/// and `three`.
pub(super) struct Lines<R> {
    input: R,
    /// The block: `buf[start..filled]` is read and not yet handed out.
    buf: Vec<u8>,
    start: usize,
    filled: usize,
    /// The newlines in `buf[..filled]` after `start`, from `newlines[next]` on.
    newlines: Vec<usize>,
    next: usize,
    /// The first NUL in `buf[..filled]` at or after `start`, if any.
    nul: Option<usize>,
    eof: bool,
}

impl<R: Read> Lines<R> {
    pub(super) fn new(input: R) -> Lines<R> {
        Lines {
            input,
            buf: vec![0; BLOCK],
            start: 0,
            filled: 0,
            newlines: Vec::new(),
            next: 0,
            nul: None,
            eof: false,
        }
    }

    /// The block the ranges [`next_line`](Self::next_line) returns index.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The next line as a range of [`bytes`](Self::bytes), `None` at the end
    /// of the input.
    #[inline]
    pub(super) fn next_line(&mut self) -> Result<Option<Range<usize>>, LineError> {
        loop {
            if let Some(&nl) = self.newlines.get(self.next) {
                self.next += 1;
                return self.hand_out(nl, 1).map(Some);
            }
            if self.filled - self.start > MAX_LINE_BYTES as usize {
                return Err(LineError::TooLong);
            }
            if self.eof {
                if self.start == self.filled {
                    return Ok(None);
                }
                return self.hand_out(self.filled, 0).map(Some);
            }
            self.read_block().map_err(LineError::Io)?;
        }
    }

    /// The line `d` lines after the one handed out last (`d` = 1: the next;
    /// `None` for 0), if the block already holds it and its newline: its
    /// bytes, a `\r` before the newline included. For looking ahead only: a
    /// line may still be refused when it is handed out.
    #[inline]
    pub(super) fn ahead(&self, d: usize) -> Option<&[u8]> {
        let i = (self.next + d).checked_sub(1).filter(|_| d > 0)?;
        let end = *self.newlines.get(i)?;
        let start = match i.checked_sub(1) {
            Some(j) if j >= self.next => self.newlines[j] + 1,
            _ => self.start,
        };
        self.buf.get(start..end)
    }

    /// Hands out `buf[start..end]` (followed by a line end of `end_len`
    /// bytes), without a `\r` before the newline.
    #[inline]
    fn hand_out(&mut self, end: usize, end_len: usize) -> Result<Range<usize>, LineError> {
        let start = std::mem::replace(&mut self.start, end + end_len);
        if end + end_len - start > MAX_LINE_BYTES as usize {
            return Err(LineError::TooLong);
        }
        if self.nul.is_some_and(|p| p < end) {
            // Past this line: the first NUL after it, for the next lines.
            self.nul =
                memchr::memchr(0, &self.buf[self.start..self.filled]).map(|p| p + self.start);
            return Err(LineError::Nul);
        }
        let end = if end_len == 1 && end > start && self.buf[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        Ok(start..end)
    }

    /// Moves what is not handed out to the front and reads a block behind it
    /// (the buffer grows, up to a line's limit, while one line fills it);
    /// sets `eof` at the end of the input.
    fn read_block(&mut self) -> io::Result<()> {
        self.buf.copy_within(self.start..self.filled, 0);
        self.filled -= self.start;
        self.nul = self.nul.map(|p| p - self.start);
        self.start = 0;
        self.newlines.clear();
        self.next = 0;
        if self.filled == self.buf.len() {
            let len = (self.buf.len() * 2).min(MAX_LINE_BYTES as usize + 2);
            self.buf.resize(len.max(self.filled + 1), 0);
        }
        let n = loop {
            match self.input.read(&mut self.buf[self.filled..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                read => break read?,
            }
        };
        if n == 0 {
            self.eof = true;
            return Ok(());
        }
        let new = self.filled..self.filled + n;
        self.filled += n;
        let at = new.start;
        let block = &self.buf[new];
        self.newlines
            .extend(memchr::memchr_iter(b'\n', block).map(|p| p + at));
        if self.nul.is_none() {
            self.nul = memchr::memchr(0, block).map(|p| p + at);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{LineError, Lines, BLOCK};
    use crate::arpa::MAX_LINE_BYTES;
    use std::io::{self, Read};

    /// A reader that gives at most `step` bytes per call.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.bytes.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// Every line, or the first error's kind.
    fn all(text: &[u8], step: usize) -> Result<Vec<Vec<u8>>, String> {
        let mut lines = Lines::new(Trickle { bytes: text, step });
        let mut out = Vec::new();
        loop {
            match lines.next_line() {
                Ok(Some(r)) => out.push(lines.bytes()[r].to_vec()),
                Ok(None) => return Ok(out),
                Err(e) => return Err(format!("{e:?} after {} line(s)", out.len())),
            }
        }
    }

    /// What `BufRead::read_until` with the same rules gives.
    fn naive(text: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        let mut out = Vec::new();
        for (i, piece) in text.split_inclusive(|&b| b == b'\n').enumerate() {
            if piece.len() > MAX_LINE_BYTES as usize {
                return Err(format!("TooLong after {i} line(s)"));
            }
            let mut line = piece.strip_suffix(b"\n").unwrap_or(piece);
            if piece.ends_with(b"\n") {
                line = line.strip_suffix(b"\r").unwrap_or(line);
            }
            if line.contains(&0) {
                return Err(format!("Nul after {i} line(s)"));
            }
            out.push(line.to_vec());
        }
        Ok(out)
    }

    proptest::proptest! {
        /// Lines, line ends and NUL errors are those of a line-by-line split,
        /// whatever the sizes of the input's reads.
        #[test]
        fn lines_are_those_of_a_plain_split(
            text in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b' ', b'\n', b'\r', 0]),
                0..200,
            ),
            step in 1usize..40,
        ) {
            proptest::prop_assert_eq!(all(&text, step), naive(&text));
        }
    }

    proptest::proptest! {
        /// A line looked at ahead is the line handed out that many lines later
        /// (with its `\r`), whatever the sizes of the input's reads.
        #[test]
        fn lines_ahead_are_the_lines_to_come(
            text in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b' ', b'\n', b'\r', b'b']),
                0..200,
            ),
            step in 1usize..40,
        ) {
            let raw: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
            let mut lines = Lines::new(Trickle { bytes: &text, step });
            let mut seen = 0;
            loop {
                proptest::prop_assert_eq!(lines.ahead(0), None);
                for d in 1..5 {
                    if let Some(line) = lines.ahead(d) {
                        proptest::prop_assert_eq!(Some(&line), raw.get(seen + d - 1));
                    }
                }
                match lines.next_line() {
                    Ok(Some(_)) => seen += 1,
                    _ => break,
                }
            }
        }
    }

    #[test]
    fn lines_ahead_reach_through_the_block() {
        let text: Vec<u8> = (0..1000u32)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut lines = Lines::new(&text[..]);
        lines.next_line().unwrap();
        assert_eq!(lines.ahead(1), Some(&b"line 1"[..]));
        assert_eq!(lines.ahead(999), Some(&b"line 999"[..]));
        assert_eq!(lines.ahead(1000), None); // past the last line
    }

    #[test]
    fn lines_across_many_blocks_come_out_whole() {
        let text: Vec<u8> = (0..100_000u32)
            .flat_map(|i| format!("-{i}.5\tword{i}\r\n").into_bytes())
            .collect();
        assert!(text.len() > 4 * BLOCK);
        assert_eq!(all(&text, 1 << 20), naive(&text));
        assert_eq!(all(&text, 4093), naive(&text));
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_without_reading_it_all() {
        let max = MAX_LINE_BYTES as usize;
        let mut ok = vec![b'x'; max - 1];
        ok.extend_from_slice(b"\nnext");
        assert_eq!(all(&ok, 1 << 16).unwrap().len(), 2);
        let mut long = vec![b'x'; max];
        long.push(b'\n');
        assert_eq!(all(&long, 1 << 16), Err("TooLong after 0 line(s)".into()));
        // Without a line end the limit is the line itself.
        assert_eq!(all(&long[..max], 1 << 16).unwrap().len(), 1);
        let endless = io::repeat(b'x');
        let mut lines = Lines::new(endless);
        assert!(matches!(lines.next_line(), Err(LineError::TooLong)));
    }
}
