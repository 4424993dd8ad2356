//! The streaming ARPA tokenizer: header counts, then one n-gram at a time.

use std::io::{self, Read};
use std::ops::Range;

use super::error::{ArpaError, ArpaErrorKind};
use super::lines::{LineError, Lines};
use super::number::{parse_number, spells_infinity};
use crate::MAX_ORDER;

/// The longest line accepted (1 MiB): n-gram lines are short, so a longer one
/// is binary data, and the bound keeps memory use bounded on hostile input.
///
/// ```
/// use dashlm::arpa::{NGramSet, MAX_LINE_BYTES};
/// let long = format!("\\data\\\nngram 1={}\n", "9".repeat(MAX_LINE_BYTES as usize));
/// let err = NGramSet::read(long.as_bytes(), "long.arpa").unwrap_err();
/// assert!(err.to_string().starts_with("long.arpa:2:"), "{err}");
/// ```
pub const MAX_LINE_BYTES: u64 = 1 << 20;

/// The UTF-8 encoding of U+FEFF, the byte-order mark some editors put at the
/// start of a text file.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// One n-gram line, borrowed from the reader's line buffer.
///
/// ```
/// # use dashlm::arpa::ArpaReader;
/// let text = "\\data\\\nngram 1=1\n\n\\1-grams:\n-1.5\tword\n\n\\end\\\n";
/// let mut r = ArpaReader::new(text.as_bytes(), "example.arpa").unwrap();
/// let g = r.next_ngram().unwrap().unwrap();
/// assert_eq!((g.order(), g.prob, g.backoff), (1, -1.5, None));
/// assert_eq!(g.word(0), b"word");
/// ```
#[derive(Debug)]
pub struct NGram<'a> {
    /// log10 probability.
    pub prob: f32,
    /// log10 backoff weight, when the line has one (a zero is `+0.0`, also
    /// when written `-0`, as KenLM adds it).
    pub backoff: Option<f32>,
    /// 1-based line number in the (decompressed) input.
    pub line: u64,
    line_buf: &'a [u8],
    words: &'a [Range<usize>],
}

impl<'a> NGram<'a> {
    /// The number of words.
    ///
    /// ```
    /// # use dashlm::arpa::ArpaReader;
    /// let text = "\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1\ta\n-1\tb\n\n\\2-grams:\n-0.5\ta b\n\n\\end\\\n";
    /// let mut r = ArpaReader::new(text.as_bytes(), "ab.arpa").unwrap();
    /// assert_eq!(r.next_ngram().unwrap().unwrap().order(), 1);
    /// r.next_ngram().unwrap();
    /// assert_eq!(r.next_ngram().unwrap().unwrap().order(), 2);
    /// ```
    pub fn order(&self) -> usize {
        self.words.len()
    }

    /// The `i`-th word (0 = oldest context word).
    ///
    /// ```
    /// # use dashlm::arpa::ArpaReader;
    /// let text = "\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1\ta\n-1\tb\n\n\\2-grams:\n-0.5\ta b\n\n\\end\\\n";
    /// let mut r = ArpaReader::new(text.as_bytes(), "ab.arpa").unwrap();
    /// # r.next_ngram().unwrap();
    /// # r.next_ngram().unwrap();
    /// let bigram = r.next_ngram().unwrap().unwrap();
    /// assert_eq!((bigram.word(0), bigram.word(1)), (&b"a"[..], &b"b"[..]));
    /// ```
    pub fn word(&self, i: usize) -> &'a [u8] {
        &self.line_buf[self.words[i].clone()]
    }

    /// All words, oldest first.
    ///
    /// ```
    /// # use dashlm::arpa::ArpaReader;
    /// let text = "\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1\ta\n-1\tb\n\n\\2-grams:\n-0.5\ta b\n\n\\end\\\n";
    /// let mut r = ArpaReader::new(text.as_bytes(), "ab.arpa").unwrap();
    /// # r.next_ngram().unwrap();
    /// # r.next_ngram().unwrap();
    /// let bigram = r.next_ngram().unwrap().unwrap();
    /// assert_eq!(bigram.words().collect::<Vec<_>>(), [b"a", b"b"]);
    /// ```
    pub fn words(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.words.iter().map(|r| &self.line_buf[r.clone()])
    }
}

/// Streaming reader of ARPA text from any `Read` (it reads in blocks of its
/// own, so the input needs no buffering).
///
/// `new` reads up to and including the `\data\` counts; [`ArpaReader::next_ngram`]
/// then yields every n-gram in file order, checking section headers, field
/// counts, numbers and section sizes as it goes, and the final `\end\`, after
/// which only blank lines may follow.
///
/// ```
/// use dashlm::arpa::ArpaReader;
/// let mut r = ArpaReader::new(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
/// let mut per_order = vec![0u64; r.order()];
/// while let Some(g) = r.next_ngram().unwrap() {
///     per_order[g.order() - 1] += 1;
/// }
/// assert_eq!(per_order, r.counts());
/// ```
pub struct ArpaReader<R> {
    lines: Lines<R>,
    source: String,
    counts: Vec<u64>,
    line_no: u64,
    /// The current line, a range of `lines.bytes()`.
    line: Range<usize>,
    words: Vec<Range<usize>>,
    /// Order of the section being read (0 = before the first section).
    section: usize,
    /// Entries read in the current section.
    in_section: u64,
    finished: bool,
}

fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &line[start..end]
}

/// `field` for an error message ([`crate::text::quote`]): at most 40
/// characters, control characters escaped (a stray `\r` left by a `\r\r\n`
/// line end would otherwise hide in the message: ``found `-0.5\r` ``).
pub(super) fn show(field: &[u8]) -> String {
    crate::text::quote(&String::from_utf8_lossy(field), 40).into_owned()
}

impl<R: Read> ArpaReader<R> {
    /// Reads the preamble and the `\data\` block.
    ///
    /// # Errors
    /// A missing `\data\`, a UTF-8 byte-order mark at the start, malformed or
    /// non-contiguous `ngram N=C` lines, an order above [`MAX_ORDER`], or an I/O
    /// error, each naming `source` and the line.
    ///
    /// ```
    /// use dashlm::arpa::ArpaReader;
    /// let r = ArpaReader::new(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
    /// assert_eq!(r.order(), 3);
    /// assert!(ArpaReader::new(&b"ngram 1=1\n"[..], "no-data.arpa").is_err());
    /// ```
    pub fn new(input: R, source: &str) -> Result<Self, ArpaError> {
        let mut reader = ArpaReader {
            lines: Lines::new(input),
            source: source.to_string(),
            counts: Vec::new(),
            line_no: 0,
            line: 0..0,
            words: Vec::with_capacity(MAX_ORDER),
            section: 0,
            in_section: 0,
            finished: false,
        };
        reader.read_header()?;
        Ok(reader)
    }

    /// The n-gram counts from the header, index 0 = unigrams.
    ///
    /// ```
    /// # use dashlm::arpa::ArpaReader;
    /// let r = ArpaReader::new(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
    /// assert_eq!(r.counts(), [8, 7, 4]);
    /// ```
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The model order (number of count lines).
    ///
    /// ```
    /// # use dashlm::arpa::ArpaReader;
    /// let text = "\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n";
    /// assert_eq!(ArpaReader::new(text.as_bytes(), "ab.arpa").unwrap().order(), 2);
    /// ```
    pub fn order(&self) -> usize {
        self.counts.len()
    }

    /// The name errors give the input.
    ///
    /// ```
    /// # use dashlm::arpa::ArpaReader;
    /// let r = ArpaReader::new(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
    /// assert_eq!(r.source(), "tiny.arpa");
    /// ```
    pub fn source(&self) -> &str {
        &self.source
    }

    fn err(&self, kind: ArpaErrorKind) -> ArpaError {
        ArpaError::new(&self.source, self.line_no, kind)
    }

    /// What the input is when its first line is binary data and its first
    /// bytes say so: a compiled model, or compressed data (which this reader
    /// takes already decompressed).
    fn first_bytes_kind(&self) -> Option<&'static str> {
        if self.line_no > 0 {
            return None;
        }
        // The first line is still at the start of the block.
        let head = self.lines.bytes();
        if head.starts_with(&crate::format::MAGIC) {
            Some(
                "a compiled dashlm model, not ARPA text (a model is used uncompressed: \
                 decompress it first; `dashlm dump` writes one back out as ARPA)",
            )
        } else if super::Compression::sniff(head) != super::Compression::None {
            Some(
                "gzip or xz data, not ARPA text: read it through `arpa::open_input`, which \
                 decompresses it (as the command-line tools do)",
            )
        } else {
            None
        }
    }

    fn syntax(&self, msg: impl Into<String>) -> ArpaError {
        self.err(ArpaErrorKind::Syntax(msg.into()))
    }

    /// The raw text of the line `d` lines after the one read last (`d` = 1:
    /// the next), if it has been read into memory already; for looking ahead
    /// (e.g. to prefetch its words' vocabulary slots), not parsed or checked, a
    /// `\r` before its newline included.
    ///
    /// ```
    /// let text = "\\data\\\nngram 1=2\n\n\\1-grams:\n-1 a\n-2 b\n\n\\end\\\n";
    /// let mut r = dashlm::arpa::ArpaReader::new(text.as_bytes(), "m.arpa").unwrap();
    /// assert_eq!(r.line_ahead(1), Some(&b"-1 a"[..])); // the header is read
    /// r.next_ngram().unwrap();
    /// assert_eq!(r.line_ahead(1), Some(&b"-2 b"[..]));
    /// assert_eq!(r.line_ahead(3), Some(&b"\\end\\"[..]));
    /// assert_eq!(r.line_ahead(4), None);
    /// ```
    pub fn line_ahead(&self, d: usize) -> Option<&[u8]> {
        self.lines.ahead(d)
    }

    /// The current line, without its line end.
    fn line(&self) -> &[u8] {
        &self.lines.bytes()[self.line.clone()]
    }

    /// Moves to the next line; false at end of input.
    fn next_line(&mut self) -> Result<bool, ArpaError> {
        let line = match self.lines.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(false),
            Err(LineError::Io(e)) => {
                // After `\end\` the text is read only to its end, where a
                // decompressor checks what it decoded.
                let e = if self.finished {
                    let what = format!(
                        "after `\\end\\`: {e} (a corrupted or truncated compressed file, or \
                         bytes after its compressed stream?)"
                    );
                    io::Error::new(e.kind(), what)
                } else {
                    e
                };
                return Err(ArpaError::new(
                    &self.source,
                    self.line_no + 1,
                    ArpaErrorKind::Io(e),
                ));
            }
            Err(LineError::TooLong) => {
                let what = self.first_bytes_kind().unwrap_or("not ARPA text");
                self.line_no += 1;
                return Err(self.syntax(format!(
                    "line longer than {MAX_LINE_BYTES} bytes: this is {what}"
                )));
            }
            Err(LineError::Nul) => {
                let what = self
                    .first_bytes_kind()
                    .unwrap_or("binary data, not ARPA text");
                self.line_no += 1;
                return Err(self.syntax(format!("NUL byte in line: this is {what}")));
            }
        };
        self.line_no += 1;
        self.line = line;
        Ok(true)
    }

    fn read_header(&mut self) -> Result<(), ArpaError> {
        loop {
            if !self.next_line()? {
                return Err(self.err(ArpaErrorKind::UnexpectedEof(
                    "a \\data\\ line (is this an ARPA file?)".into(),
                )));
            }
            if self.line_no == 1 && self.line().starts_with(UTF8_BOM) {
                return Err(self.syntax(
                    "the file starts with a UTF-8 byte-order mark (U+FEFF, bytes EF BB BF), \
                     which ARPA files must not (KenLM refuses it too): remove it",
                ));
            }
            if trim(self.line()) == b"\\data\\" {
                break;
            }
            if let Some((format, why)) = irstlm_format(self.line()) {
                return Err(self.syntax(format!(
                    "this is IRSTLM's {format} format, not ARPA text ({why}; KenLM refuses \
                     it too): convert it with IRSTLM's `compile-lm --text=yes IN OUT.arpa`"
                )));
            }
            // Lines ended by CR alone (classic Mac OS) read as one long line.
            if self
                .line()
                .split(|&b| b == b'\r')
                .any(|part| trim(part) == b"\\data\\")
            {
                return Err(self.syntax(
                    "the \\data\\ line here is between CR characters: this file's lines end \
                     in CR alone (classic Mac OS), where ARPA lines end in LF (or CR LF); \
                     convert them, e.g. with `tr '\\r' '\\n'`",
                ));
            }
        }
        loop {
            if !self.next_line()? {
                return Err(self.err(ArpaErrorKind::UnexpectedEof(
                    "ngram counts and the \\1-grams: section".into(),
                )));
            }
            let line = trim(self.line()).to_vec();
            if line.is_empty() {
                continue;
            }
            if line.starts_with(b"\\") {
                self.finish_header()?;
                return self.open_section(&line);
            }
            let rest = line.strip_prefix(b"ngram").ok_or_else(|| {
                self.syntax(format!("expected `ngram N=COUNT`, found `{}`", show(&line)))
            })?;
            let text = std::str::from_utf8(rest).unwrap_or("");
            let (n, c) = text.split_once('=').ok_or_else(|| {
                self.syntax(format!("expected `ngram N=COUNT`, found `{}`", show(&line)))
            })?;
            let n: usize = n
                .trim()
                .parse()
                .map_err(|_| self.syntax(format!("bad order in `{}`", show(&line))))?;
            let c: u64 = c
                .trim()
                .parse()
                .map_err(|_| self.syntax(format!("bad count in `{}`", show(&line))))?;
            if n != self.counts.len() + 1 {
                return Err(self.syntax(format!(
                    "expected `ngram {}=...`, found order {n} (counts must be listed 1, 2, 3, ...)",
                    self.counts.len() + 1
                )));
            }
            if n > MAX_ORDER {
                return Err(self.err(ArpaErrorKind::OrderTooHigh { order: n }));
            }
            self.counts.push(c);
        }
    }

    fn finish_header(&self) -> Result<(), ArpaError> {
        if self.counts.is_empty() {
            return Err(self.syntax("no `ngram N=COUNT` lines after \\data\\"));
        }
        if self.counts[0] == 0 {
            return Err(self.syntax("`ngram 1=0`: a model needs unigrams"));
        }
        Ok(())
    }

    /// Checks a `\N-grams:` line for the next expected order.
    fn open_section(&mut self, line: &[u8]) -> Result<(), ArpaError> {
        let expected = self.section + 1;
        let want = format!("\\{expected}-grams:");
        if line != want.as_bytes() {
            return Err(self.syntax(format!("expected `{want}`, found `{}`", show(line))));
        }
        self.section = expected;
        self.in_section = 0;
        Ok(())
    }

    fn close_section(&self) -> Result<(), ArpaError> {
        if self.section > 0 {
            let want = self.counts[self.section - 1];
            if self.in_section != want {
                return Err(self.err(ArpaErrorKind::CountMismatch {
                    order: self.section,
                    header: want,
                    found: self.in_section,
                }));
            }
        }
        Ok(())
    }

    /// Returns the next n-gram, or `None` after `\end\`.
    ///
    /// # Errors
    /// Any malformed line, a section size differing from the header, a missing
    /// `\end\` (truncated file), text after `\end\` or an I/O error, naming
    /// the source and line.
    ///
    /// ```
    /// # use dashlm::arpa::ArpaReader;
    /// let mut r = ArpaReader::new(&include_bytes!("../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
    /// r.next_ngram().unwrap(); // <unk>
    /// let g = r.next_ngram().unwrap().unwrap();
    /// assert_eq!((g.word(0), g.prob, g.backoff, g.line), (&b"<s>"[..], -99.0, Some(-0.5), 8));
    /// let mut rest = 0;
    /// while r.next_ngram().unwrap().is_some() {
    ///     rest += 1;
    /// }
    /// assert_eq!(rest, 17); // then `None` at `\end\`
    /// ```
    pub fn next_ngram(&mut self) -> Result<Option<NGram<'_>>, ArpaError> {
        if self.finished {
            return Ok(None);
        }
        loop {
            if !self.next_line()? {
                let what = if self.section < self.counts.len() {
                    format!("the \\{}-grams: section", self.section + 1)
                } else {
                    "\\end\\ (the file is truncated)".to_string()
                };
                if self.section > 0 && self.in_section < self.counts[self.section - 1] {
                    let (n, want) = (self.section, self.counts[self.section - 1]);
                    return Err(self.err(ArpaErrorKind::UnexpectedEof(format!(
                        "{} more {n}-gram(s): the header says ngram {n}={want} (the file is truncated)",
                        want - self.in_section
                    ))));
                }
                return Err(self.err(ArpaErrorKind::UnexpectedEof(what)));
            }
            let t = trim(self.line());
            if t.is_empty() {
                continue;
            }
            if t.starts_with(b"\\") {
                let line = t.to_vec();
                self.close_section()?;
                if line == b"\\end\\" {
                    if self.section != self.counts.len() {
                        return Err(self.syntax(format!(
                            "`\\end\\` before the \\{}-grams: section",
                            self.section + 1
                        )));
                    }
                    self.finished = true;
                    self.read_after_end()?;
                    return Ok(None);
                }
                if self.section == self.counts.len() {
                    return Err(self.syntax(format!("expected `\\end\\`, found `{}`", show(&line))));
                }
                self.open_section(&line)?;
                continue;
            }
            if self.section == 0 {
                return Err(self.syntax("n-gram line before the \\1-grams: section"));
            }
            return self.parse_ngram().map(Some);
        }
    }

    /// Reads the rest of the input after `\end\`, which may hold only blank
    /// lines (as KenLM requires: other text there may be a second file
    /// concatenated to the first). Reading on to the end also makes a
    /// decompressor check what it decoded (gzip's CRC and length, xz's index
    /// and footer), which it does only there: a corrupted or truncated
    /// compressed file is an error, not wrong numbers.
    fn read_after_end(&mut self) -> Result<(), ArpaError> {
        while self.next_line()? {
            let t = trim(self.line());
            if !t.is_empty() {
                return Err(self.syntax(format!(
                    "text after `\\end\\`: `{}` (two files concatenated?): an ARPA file \
                     ends at `\\end\\`, and only blank lines may follow it",
                    show(t)
                )));
            }
        }
        Ok(())
    }

    fn parse_ngram(&mut self) -> Result<NGram<'_>, ArpaError> {
        let n = self.section;
        if self.in_section == self.counts[n - 1] {
            return Err(self.err(ArpaErrorKind::TooManyNgrams {
                order: n,
                header: self.counts[n - 1],
            }));
        }
        self.in_section += 1;
        self.words.clear();
        let mut fields = [0usize..0, 0..0];
        let mut num_fields = 0usize;
        let mut i = 0;
        let bytes = &self.lines.bytes()[self.line.clone()];
        while i < bytes.len() {
            while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
                i += 1;
            }
            if i == bytes.len() {
                break;
            }
            let start = i;
            i = field_end(bytes, i);
            if bytes.get(i) == Some(&b'\r') {
                // Inside the line (a `\r\n` end is gone): KenLM reads a CR as
                // a field separator, and a word holding one could never be
                // queried (query text is split on it).
                return Err(self.syntax(format!(
                    "a carriage return (`\\r`) inside the line, in `{}`: an ARPA line ends \
                     with `\\n` or `\\r\\n` (do lines end with `\\r\\r\\n`?), and a \
                     word cannot hold a CR",
                    show(&bytes[start..field_end(bytes, i + 1)])
                )));
            }
            match num_fields {
                0 => fields[0] = start..i,
                k if k <= n => self.words.push(start..i),
                k if k == n + 1 => fields[1] = start..i,
                _ => {
                    let extra = show(&bytes[start..i]);
                    return Err(self.syntax(format!(
                        "extra field `{extra}` in a {n}-gram line (expected probability, {n} word(s), optional backoff)"
                    )));
                }
            }
            num_fields += 1;
        }
        if num_fields < n + 1 {
            return Err(self.syntax(format!(
                "a {n}-gram line needs a probability and {n} word(s), found {num_fields} field(s)"
            )));
        }
        let line = &self.lines.bytes()[self.line.clone()];
        let prob_text = &line[fields[0].clone()];
        let prob = parse_number(prob_text).ok_or_else(|| {
            self.syntax(format!(
                "expected a log10 probability, found `{}`",
                show(prob_text)
            ))
        })?;
        if prob > 0.0 || prob.is_nan() {
            return Err(self.err(ArpaErrorKind::PositiveProbability { value: prob }));
        }
        // KenLM gives every probability with its sign bit set (it keeps flags
        // there), so a probability of 0 scores -0 and prints as `-0`.
        let prob = if prob == 0.0 { -0.0 } else { prob };
        let backoff = if num_fields == n + 2 {
            let text = &line[fields[1].clone()];
            let b = parse_number(text).ok_or_else(|| {
                self.syntax(format!("expected a log10 backoff, found `{}`", show(text)))
            })?;
            if !b.is_finite() {
                let problem = if spells_infinity(text) {
                    format!("backoff must be finite, found `{}`", show(text))
                } else {
                    format!(
                        "backoff `{}` is out of range for f32 (at most about 3.4e38 in \
                         magnitude): backoffs must be finite",
                        show(text)
                    )
                };
                return Err(self.syntax(problem));
            }
            if n == self.counts.len() && b != 0.0 {
                return Err(self.syntax(format!(
                    "non-zero backoff `{}` on a {n}-gram of the highest order",
                    show(text)
                )));
            }
            // A zero backoff is +0 whatever its written sign: KenLM adds a
            // zero backoff as +0 (the n-gram extends, its "extension" mark)
            // and never adds one of an n-gram that does not, so a score
            // summing `-0`s prints `0` there, not `-0`.
            Some(if b == 0.0 { 0.0 } else { b })
        } else {
            None
        };
        Ok(NGram {
            prob,
            backoff,
            line: self.line_no,
            line_buf: line,
            words: &self.words,
        })
    }
}

/// The end of the field starting at `i`: the first space, tab or carriage
/// return from `i` (or the end of `bytes`), 8 bytes at a time.
#[inline]
fn field_end(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // A byte's high bit in `zero(v)` is set where `v`'s byte is 0, and
        // possibly above such a byte (a borrow), never below the first one.
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
        let hits = zero(x ^ (ONES * u64::from(b' ')))
            | zero(x ^ (ONES * u64::from(b'\t')))
            | zero(x ^ (ONES * u64::from(b'\r')));
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && !matches!(bytes[i], b' ' | b'\t' | b'\r') {
        i += 1;
    }
    i
}

/// The IRSTLM format named by `line`, a line before `\data\`, if it starts
/// as the header of IRSTLM's intermediate (`iARPA`), quantized (`qARPA`) or
/// binary (`blmt`, `Qblmt`) models does.
/// Returns the format's name and why it cannot be read as ARPA text.
fn irstlm_format(line: &[u8]) -> Option<(&'static str, &'static str)> {
    let first = trim(line).split(|b| b.is_ascii_whitespace()).next()?;
    match first {
        b"iARPA" => Some(("intermediate iARPA", "its probabilities are not final yet")),
        b"qARPA" => Some(("quantized qARPA", "its weights are codes into codebooks")),
        b"blmt" | b"Qblmt" => Some(("binary", "it is not text")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::field_end;

    proptest::proptest! {
        /// `field_end` finds the first space, tab or CR from any start, as a
        /// byte-by-byte scan does (bytes drawn mostly from separators, their
        /// neighbours and bytes with the high bit set).
        #[test]
        fn field_end_is_the_first_separator(
            bytes in proptest::collection::vec(
                proptest::sample::select(vec![b' ', b'\t', b'\r', b'a', b'!', b'\x08', b'\x0a', 0x1f, 0x21, 0x80, 0xa0, 0x89, 0xff, 0]),
                0..40,
            ),
            start in 0usize..41,
        ) {
            let start = start.min(bytes.len());
            let naive = (start..bytes.len())
                .find(|&i| matches!(bytes[i], b' ' | b'\t' | b'\r'))
                .unwrap_or(bytes.len());
            proptest::prop_assert_eq!(field_end(&bytes, start), naive);
        }
    }
}
