//! Where one word ends and the next begins: the one definition every word
//! split in the crate uses (query input, `bench-query`, n-best lists,
//! references, `wer`).
//!
//! Words are separated by ASCII whitespace as KenLM's `query` reads it
//! (`util::kSpaces`): space, tab, line feed, vertical tab (0x0B), form feed
//! and carriage return. Nothing else separates words: a no-break space
//! (U+00A0), an ideographic space (U+3000) or a NUL byte is part of a word,
//! as it is to KenLM and to the ARPA reader (whose fields are separated by
//! spaces and tabs only), so a word spelled with one is one word, looked up
//! whole, everywhere.
//!
//! ```
//! use dashlm::text;
//! let line = "the\u{a0}device  is\x0Bon\r\n";
//! assert_eq!(text::words(line).collect::<Vec<_>>(), ["the\u{a0}device", "is", "on"]);
//! assert_eq!(text::split(line.as_bytes()).count(), 3);
//! assert_eq!(text::trim(" \u{3000}a\t"), "\u{3000}a");
//! ```

use std::borrow::Cow;
use std::ops::Range;

use crate::swar;

/// Whether byte `b` separates words: ASCII space, `\t`, `\n`, `\v` (0x0B),
/// `\f` (0x0C) or `\r`. (Rust's [`u8::is_ascii_whitespace`] leaves out `\v`;
/// KenLM does not.)
///
/// ```
/// use dashlm::text::is_separator;
/// assert!(is_separator(b' ') && is_separator(0x0B) && is_separator(b'\r'));
/// assert!(!is_separator(0) && !is_separator(0xA0) && !is_separator(b'a'));
/// ```
#[inline(always)]
pub const fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\t'..=b'\r')
}

/// [`is_separator`] for a character: only ASCII characters separate words.
///
/// ```
/// use dashlm::text::is_separator_char;
/// assert!(is_separator_char('\u{0B}'));
/// assert!(!is_separator_char('\u{A0}') && !is_separator_char('\u{2028}'));
/// ```
#[inline(always)]
pub const fn is_separator_char(c: char) -> bool {
    c.is_ascii() && is_separator(c as u8)
}

/// For eight bytes read as a little-endian `u64`: `0x80` in each byte that is
/// an ASCII space, `0` in the others.
#[inline(always)]
pub(crate) const fn space_bytes(x: u64) -> u64 {
    swar::equal(x, b' ')
}

/// For eight bytes read as a little-endian `u64`: `0x80` in each byte that is
/// a [separator](is_separator), `0` in the others, with no branch: a space,
/// or a byte from `\t` (9) to `\r` (13).
#[inline(always)]
pub(crate) const fn separator_bytes(x: u64) -> u64 {
    space_bytes(x) | (swar::below(x, 0x0E) & !swar::below(x, 0x09))
}

/// The number of [separator](is_separator) bytes in `bytes`, counted eight at
/// a time.
///
/// ```
/// assert_eq!(dashlm::text::count_separators(b"a b\tc\x0b\xa0 d\r\n"), 6);
/// ```
pub fn count_separators(bytes: &[u8]) -> usize {
    swar::chunks8(bytes)
        .map(|(_, x)| separator_bytes(x).count_ones() as usize)
        .sum()
}

/// The byte ranges of the words of `bytes`, in order.
#[derive(Clone, Debug)]
struct Ranges<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Iterator for Ranges<'_> {
    type Item = Range<usize>;

    #[inline]
    fn next(&mut self) -> Option<Range<usize>> {
        let rest = self.bytes.get(self.pos..)?;
        let start = self.pos + rest.iter().position(|&b| !is_separator(b))?;
        let len = self.bytes[start..]
            .iter()
            .position(|&b| is_separator(b))
            .unwrap_or(self.bytes.len() - start);
        self.pos = start + len;
        Some(start..start + len)
    }
}

/// The words of `bytes` (any bytes: a word is a maximal run of bytes that are
/// not [separators](is_separator)).
///
/// ```
/// let words: Vec<&[u8]> = dashlm::text::split(b"\xff a\x00b \x0bc").collect();
/// assert_eq!(words, [&b"\xff"[..], b"a\x00b", b"c"]);
/// ```
#[inline]
pub fn split(bytes: &[u8]) -> impl Iterator<Item = &[u8]> + Clone {
    Ranges { bytes, pos: 0 }.map(move |r| &bytes[r])
}

/// The words of `text`, as [`split`] finds them.
///
/// ```
/// let words: Vec<&str> = dashlm::text::words(" a\u{3000}b\tc ").collect();
/// assert_eq!(words, ["a\u{3000}b", "c"]);
/// ```
#[inline]
pub fn words(text: &str) -> impl Iterator<Item = &str> + Clone {
    // A separator is one ASCII byte, so every range starts and ends on a
    // character boundary.
    Ranges {
        bytes: text.as_bytes(),
        pos: 0,
    }
    .map(move |r| &text[r])
}

/// `text` without leading and trailing [separators](is_separator).
///
/// ```
/// assert_eq!(dashlm::text::trim("\x0b a b\r\n"), "a b");
/// assert_eq!(dashlm::text::trim("b\u{a0}"), "b\u{a0}");
/// ```
pub fn trim(text: &str) -> &str {
    text.trim_matches(is_separator_char)
}

/// The first word of `text` and what follows it (from the separator after it
/// on, untrimmed): `("key", " rest")` for `"key rest"`; `("", "")` for text
/// without a word.
///
/// ```
/// use dashlm::text::first_word;
/// assert_eq!(first_word("  u1-1 the cat"), ("u1-1", " the cat"));
/// assert_eq!(first_word("u\u{a0}1 x"), ("u\u{a0}1", " x"));
/// assert_eq!(first_word(" \t"), ("", ""));
/// ```
pub fn first_word(text: &str) -> (&str, &str) {
    let mut ranges = Ranges {
        bytes: text.as_bytes(),
        pos: 0,
    };
    match ranges.next() {
        Some(r) => (&text[r.clone()], &text[r.end..]),
        None => ("", ""),
    }
}

/// The most characters of an input's text (an utterance id, a line, a
/// field) that an n-best or command-line error message quotes with [`quote`]
/// (a JSON line read as a file name, or a long hypothesis, would fill the
/// screen).
///
/// ```
/// assert_eq!(dashlm::text::QUOTED_CHARS, 72);
/// ```
pub const QUOTED_CHARS: usize = 72;

/// `text` as an error message quotes it: its first `max_chars` characters
/// (then `…` if there are more), control characters escaped (`\r` left by a
/// `\r\r\n` line end, or the escape sequences of a binary file, would
/// otherwise hide in the message or recolour the terminal).
///
/// ```
/// use dashlm::text::quote;
/// assert_eq!(quote("-0.5\r", 40), "-0.5\\r");
/// assert_eq!(quote("a\u{1b}[31m", 40), "a\\u{1b}[31m");
/// assert_eq!(quote("éééé", 3), "ééé…");
/// assert_eq!(quote("the cat", 40), "the cat"); // borrowed, unchanged
/// ```
pub fn quote(text: &str, max_chars: usize) -> Cow<'_, str> {
    let cut = text.char_indices().nth(max_chars).map(|(at, _)| at);
    let kept = &text[..cut.unwrap_or(text.len())];
    if cut.is_none() && !kept.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(kept.len() + 3);
    for c in kept.chars() {
        if c.is_control() {
            s.extend(c.escape_default());
        } else {
            s.push(c);
        }
    }
    if cut.is_some() {
        s.push('…');
    }
    Cow::Owned(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The words are what splitting on the separators and dropping the
        /// empty pieces gives, for any bytes.
        #[test]
        fn split_equals_the_plain_definition(
            bytes in proptest::collection::vec(
                proptest::sample::select(vec![b' ', b'\t', b'\n', 0x0B, 0x0C, b'\r', b'a', 0, 0x85, 0xA0, 0xFF]),
                0..40,
            ),
        ) {
            let plain: Vec<&[u8]> =
                bytes.split(|&b| is_separator(b)).filter(|w| !w.is_empty()).collect();
            proptest::prop_assert_eq!(split(&bytes).collect::<Vec<_>>(), plain);
        }
    }

    proptest::proptest! {
        /// The byte masks mark exactly the separators and the spaces, for
        /// any bytes; the count is the plain one.
        #[test]
        fn masks_mark_exactly_the_separators(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
        ) {
            for (at, x) in swar::chunks8(&bytes) {
                for k in 0..8 {
                    let b = bytes.get(at + k).copied().unwrap_or(0);
                    proptest::prop_assert_eq!(separator_bytes(x) >> (8 * k) & 0xFF == 0x80, is_separator(b));
                    proptest::prop_assert_eq!(space_bytes(x) >> (8 * k) & 0xFF == 0x80, b == b' ');
                    proptest::prop_assert_eq!(separator_bytes(x) >> (8 * k) & 0x7F, 0);
                }
            }
            let plain = bytes.iter().filter(|&&b| is_separator(b)).count();
            proptest::prop_assert_eq!(count_separators(&bytes), plain);
        }
    }

    proptest::proptest! {
        /// A quote holds no control character, keeps the text's first
        /// `max` characters (escaped), and marks a cut.
        #[test]
        fn quotes_are_printable_prefixes(text in "[a\\x00-\\x1f\\x7f\\u{85}é ]{0,30}", max in 0usize..40) {
            let q = quote(&text, max);
            proptest::prop_assert!(!q.chars().any(char::is_control), "{:?}", q);
            let kept: String = text.chars().take(max).collect();
            let escaped: String = kept.chars().flat_map(|c| {
                let s: Vec<char> = if c.is_control() { c.escape_default().collect() } else { vec![c] };
                s
            }).collect();
            let cut = text.chars().count() > max;
            let expected = if cut { format!("{escaped}…") } else { escaped };
            proptest::prop_assert_eq!(q.as_ref(), expected.as_str());
        }
    }

    #[test]
    fn masks_hold_for_every_byte_in_every_place() {
        for b in 0..=255u8 {
            for k in 0..8 {
                let x = u64::from(b) << (8 * k) | (0x61 << (8 * ((k + 1) % 8)));
                let expect = if is_separator(b) { 0x80 << (8 * k) } else { 0 };
                assert_eq!(separator_bytes(x), expect, "{b:#x} at {k}");
            }
        }
    }

    #[test]
    fn every_separator_is_ascii_whitespace_or_vertical_tab() {
        for b in 0..=255u8 {
            assert_eq!(
                is_separator(b),
                b.is_ascii_whitespace() || b == 0x0B,
                "{b:#x}"
            );
        }
    }
}
