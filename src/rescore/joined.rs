//! [`Words`]: a hypothesis' words in one allocation.
//!
//! ```
//! use dashlm::rescore::Words;
//! let w = Words::split(" the  cat\tsat ");
//! assert_eq!((w.len(), &w[1], w.as_str()), (3, "cat", "the cat sat"));
//! assert_eq!(w, ["the", "cat", "sat"]);
//! ```

use std::fmt;
use std::ops::Index;

/// A sequence of words kept as one string, the words joined by single spaces,
/// plus each word's end offset: reading the words of many hypotheses walks
/// contiguous memory (one allocation for the text and one for the offsets per
/// hypothesis, not one per word), and two sequences' common prefix can be found
/// by comparing bytes.
///
/// A word may be empty or hold whitespace (the offsets, not the spaces, delimit
/// the words), though the n-best writers refuse both; [`Words::as_str`] is
/// then what `words.join(" ")` would be.
///
/// ```
/// use dashlm::rescore::Words;
/// let mut w: Words = ["a", "bc"].into_iter().collect();
/// w.push("d");
/// assert_eq!(w.iter().collect::<Vec<_>>(), ["a", "bc", "d"]);
/// assert_eq!((w.get(1), w.get(3)), (Some("bc"), None));
/// assert_eq!(format!("{w:?}"), r#"["a", "bc", "d"]"#);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Words {
    /// The words joined by single spaces.
    text: String,
    /// Each word's end in `text` (word `i` starts at `ends[i - 1] + 1`, word 0
    /// at 0).
    ends: Vec<u32>,
}

impl Words {
    /// No words.
    ///
    /// ```
    /// assert!(dashlm::rescore::Words::new().is_empty());
    /// ```
    pub fn new() -> Words {
        Words::default()
    }

    /// The words of `text` ([`text::words`](crate::text::words): split on
    /// ASCII whitespace only, as KenLM's `query`).
    ///
    /// # Panics
    /// When `text` is 4 GiB or longer (offsets are `u32`).
    ///
    /// ```
    /// let w = dashlm::rescore::Words::split("\ta  b\n");
    /// assert_eq!((w.len(), w.as_str()), (2, "a b"));
    /// ```
    pub fn split(text: &str) -> Words {
        if let Some(words) = Words::joined(text) {
            return words;
        }
        let mut words = Words {
            text: String::with_capacity(text.len()),
            ends: Vec::new(),
        };
        for w in crate::text::words(text) {
            words.push(w);
        }
        words
    }

    /// [`Words::split`] of text whose words are already joined by single
    /// spaces (no other separator, none at either end), as the readers'
    /// input mostly is: the text copied whole and the ends found eight bytes
    /// at a time ([`text::separator_bytes`](crate::text::separator_bytes)),
    /// not word by word. `None` for any other text.
    fn joined(text: &str) -> Option<Words> {
        use crate::swar::chunks8;
        use crate::text::{separator_bytes, space_bytes};
        let bytes = text.as_bytes();
        let len = u32::try_from(bytes.len()).ok().filter(|&n| n > 0)?;
        let mut spaces = 0;
        for (_, x) in chunks8(bytes) {
            let s = space_bytes(x);
            if separator_bytes(x) != s {
                return None;
            }
            spaces += s.count_ones() as usize;
        }
        let mut ends = Vec::with_capacity(spaces + 1);
        // Where the next word starts: a space there would end an empty word.
        let mut start = 0;
        for (at, x) in chunks8(bytes) {
            let mut s = space_bytes(x);
            while s != 0 {
                let end = at as u32 + s.trailing_zeros() / 8;
                if end == start {
                    return None;
                }
                ends.push(end);
                start = end + 1;
                s &= s - 1;
            }
        }
        if start == len {
            return None;
        }
        ends.push(len);
        Some(Words {
            text: text.to_owned(),
            ends,
        })
    }

    /// The number of words.
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::Words::split("a b").len(), 2);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no words.
    ///
    /// ```
    /// assert!(dashlm::rescore::Words::split(" ").is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Where word `i` starts in [`Words::as_str`].
    #[inline]
    fn start(&self, i: usize) -> usize {
        match i {
            0 => 0,
            _ => self.ends[i - 1] as usize + 1,
        }
    }

    /// Word `i`, if there is one.
    ///
    /// ```
    /// let w = dashlm::rescore::Words::split("a b");
    /// assert_eq!((w.get(0), w.get(2)), (Some("a"), None));
    /// ```
    #[inline]
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        Some(&self.text[self.start(i)..end])
    }

    /// The first word.
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::Words::split("a b").first(), Some("a"));
    /// ```
    pub fn first(&self) -> Option<&str> {
        self.get(0)
    }

    /// The last word.
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::Words::split("a b").last(), Some("b"));
    /// ```
    pub fn last(&self) -> Option<&str> {
        self.get(self.len().checked_sub(1)?)
    }

    /// The words in order.
    ///
    /// ```
    /// let w = dashlm::rescore::Words::split("a b");
    /// assert_eq!(w.iter().rev().collect::<Vec<_>>(), ["b", "a"]);
    /// ```
    #[inline]
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            words: self,
            front: 0,
            back: self.len(),
        }
    }

    /// Hints the CPU to fetch the words' two allocations (their text and
    /// ends), for a caller that will read them soon.
    #[inline(always)]
    pub(crate) fn prefetch(&self) {
        crate::format::prefetch_items(self.text.as_bytes());
        crate::format::prefetch_items(&self.ends);
    }

    /// The words as bytes (as [`Words::iter`], without `str` slicing's
    /// character boundary checks).
    #[inline(always)]
    pub(crate) fn byte_words(&self) -> impl Iterator<Item = &[u8]> {
        let text = self.text.as_bytes();
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let word = &text[start..end as usize];
            start = end as usize + 1;
            word
        })
    }

    /// The words joined by single spaces (as `words.join(" ")`).
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::Words::split(" a  b ").as_str(), "a b");
    /// ```
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Each word's end offset in [`Words::as_str`] (word `i` starts one byte
    /// after word `i - 1`'s end, word 0 at 0).
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::Words::split("a bc").ends(), [1, 4]);
    /// ```
    #[inline]
    pub fn ends(&self) -> &[u32] {
        &self.ends
    }

    /// The words as a vector of string slices (e.g. to align them with
    /// [`wer::align`](super::wer::align)).
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::Words::split("a b").to_strs(), ["a", "b"]);
    /// ```
    pub fn to_strs(&self) -> Vec<&str> {
        self.iter().collect()
    }

    /// The words as owned strings.
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::Words::split("a b").to_strings(), ["a".to_string(), "b".to_string()]);
    /// ```
    pub fn to_strings(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }

    /// Appends a word.
    ///
    /// # Panics
    /// When the words would take 4 GiB or more (offsets are `u32`).
    ///
    /// ```
    /// let mut w = dashlm::rescore::Words::new();
    /// w.push("a");
    /// w.push(String::new());
    /// assert_eq!((w.len(), w.as_str()), (2, "a "));
    /// ```
    pub fn push(&mut self, word: impl AsRef<str>) {
        let word = word.as_ref();
        if !self.ends.is_empty() {
            self.text.push(' ');
        }
        self.text.push_str(word);
        let end = u32::try_from(self.text.len()).expect("words of less than 4 GiB");
        self.ends.push(end);
    }

    /// Inserts `word` before word `i` (at the end when `i` is the number of
    /// words).
    ///
    /// # Panics
    /// When `i` is greater than the number of words, or as [`Words::push`].
    ///
    /// ```
    /// let mut w = dashlm::rescore::Words::split("a c");
    /// w.insert(1, "b");
    /// w.insert(0, "<s>");
    /// assert_eq!(w, ["<s>", "a", "b", "c"]);
    /// ```
    pub fn insert(&mut self, i: usize, word: impl AsRef<str>) {
        assert!(i <= self.len(), "insert at {i} of {} words", self.len());
        let mut words = Words::new();
        words.extend(self.iter().take(i));
        words.push(word);
        words.extend(self.iter().skip(i));
        *self = words;
    }

    /// Removes the last word.
    ///
    /// ```
    /// let mut w = dashlm::rescore::Words::split("a b");
    /// w.pop();
    /// assert_eq!(w, ["a"]);
    /// ```
    pub fn pop(&mut self) {
        if self.ends.pop().is_some() {
            let end = self.ends.last().map_or(0, |&e| e as usize);
            self.text.truncate(end);
        }
    }

    /// Removes the first word.
    ///
    /// ```
    /// let mut w = dashlm::rescore::Words::split("a bc d");
    /// w.remove_first();
    /// assert_eq!((w.as_str(), w.ends()), ("bc d", &[2, 4][..]));
    /// ```
    pub fn remove_first(&mut self) {
        self.remove_leading(1);
    }

    /// Removes the first `k` words (all of them if there are fewer), in one
    /// pass over the text.
    fn remove_leading(&mut self, k: usize) {
        if k == 0 || self.ends.is_empty() {
            return;
        }
        if k >= self.ends.len() {
            self.text.clear();
            self.ends.clear();
            return;
        }
        // The k-th word's end and the space after it.
        let cut = self.ends[k - 1] + 1;
        self.text.drain(..cut as usize);
        self.ends.drain(..k);
        for e in &mut self.ends {
            *e -= cut;
        }
    }

    /// Removes the leading `<s>` and the trailing `</s>` markers, however
    /// many (as [`strip_sentence_markers`](super::strip_sentence_markers)).
    ///
    /// ```
    /// let mut w = dashlm::rescore::Words::split("<s> a </s>");
    /// w.strip_sentence_markers();
    /// assert_eq!(w, ["a"]);
    /// let mut w = dashlm::rescore::Words::split("<s> <s> a <s> </s> b </s> </s>");
    /// w.strip_sentence_markers();
    /// assert_eq!(w, ["a", "<s>", "</s>", "b"]);
    /// ```
    pub fn strip_sentence_markers(&mut self) {
        while self.last() == Some("</s>") {
            self.pop();
        }
        let leading = self.iter().take_while(|&w| w == "<s>").count();
        self.remove_leading(leading);
    }
}

impl Index<usize> for Words {
    type Output = str;

    /// Word `i`.
    ///
    /// # Panics
    /// When there is no word `i`.
    ///
    /// ```
    /// assert_eq!(&dashlm::rescore::Words::split("a b")[1], "b");
    /// ```
    #[inline]
    fn index(&self, i: usize) -> &str {
        match self.get(i) {
            Some(w) => w,
            None => panic!("word {i} of {} words", self.len()),
        }
    }
}

impl<S: AsRef<str>> FromIterator<S> for Words {
    /// Collects words (each kept whole, even if empty or holding whitespace).
    ///
    /// ```
    /// let w: dashlm::rescore::Words = vec!["a b".to_string()].into_iter().collect();
    /// assert_eq!(w.len(), 1);
    /// ```
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Words {
        let mut words = Words::new();
        for w in iter {
            words.push(w.as_ref());
        }
        words
    }
}

impl<S: AsRef<str>> Extend<S> for Words {
    /// Appends words.
    ///
    /// ```
    /// let mut w = dashlm::rescore::Words::split("a");
    /// w.extend(["b", "c"]);
    /// assert_eq!(w, ["a", "b", "c"]);
    /// ```
    fn extend<I: IntoIterator<Item = S>>(&mut self, iter: I) {
        for w in iter {
            self.push(w.as_ref());
        }
    }
}

impl fmt::Debug for Words {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for Words {
    fn eq(&self, other: &[S]) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Words {
    fn eq(&self, other: &[S; N]) -> bool {
        *self == other[..]
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Words {
    fn eq(&self, other: &Vec<S>) -> bool {
        *self == other[..]
    }
}

impl<S: AsRef<str>> PartialEq<&[S]> for Words {
    fn eq(&self, other: &&[S]) -> bool {
        *self == **other
    }
}

impl<'a> IntoIterator for &'a Words {
    type Item = &'a str;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The words of a [`Words`], in order ([`Words::iter`]).
///
/// ```
/// let w = dashlm::rescore::Words::split("a b c");
/// let mut it = w.iter();
/// assert_eq!((it.len(), it.next(), it.next_back()), (3, Some("a"), Some("c")));
/// ```
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    words: &'a Words,
    front: usize,
    back: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        if self.front == self.back {
            return None;
        }
        let w = self.words.get(self.front);
        self.front += 1;
        w
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        self.words.get(self.back)
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Splitting gives the words one by one, whether the text is already
        /// joined by single spaces or not.
        #[test]
        fn split_equals_word_by_word(
            chars in proptest::collection::vec(
                proptest::sample::select(vec![' ', ' ', ' ', '\t', '\n', '\u{0B}', '\r', 'a', 'b', 'é', '\u{a0}', '\0']),
                0..40,
            ),
        ) {
            let text: String = chars.into_iter().collect();
            let plain: Words = crate::text::words(&text).collect();
            let split = Words::split(&text);
            proptest::prop_assert_eq!(&split, &plain);
            proptest::prop_assert_eq!(split.ends.len(), split.len());
            // Joined text takes the fast path and gives the same words.
            proptest::prop_assert_eq!(Words::joined(plain.as_str()).unwrap_or_default(), plain);
        }
    }

    #[test]
    fn joined_text_is_split_at_its_spaces_only() {
        let long = "abcdefgh ijklmnop q rstuvwxyz0123 45";
        for (text, joined) in [
            ("a", true),
            ("a b", true),
            (long, true),
            ("", false),
            (" a", false),
            ("a ", false),
            ("a  b", false),
            ("a\tb", false),
            ("abcdefg  h", false),
            ("abcdefgh\x0bi", false),
        ] {
            assert_eq!(Words::joined(text).is_some(), joined, "{text:?}");
            let plain: Words = crate::text::words(text).collect();
            assert_eq!(Words::split(text), plain, "{text:?}");
        }
        assert_eq!(Words::split(long).ends, [8, 17, 19, 33, 36]);
    }

    #[test]
    fn words_round_trip_through_every_edit() {
        let cases: [&[&str]; 6] = [
            &[],
            &[""],
            &["", ""],
            &["a", "", "b c"],
            &["<s>", "x", "</s>"],
            &["<s>"],
        ];
        for case in cases {
            let w: Words = case.iter().collect();
            assert_eq!(w.len(), case.len());
            assert_eq!(w.as_str(), case.join(" "));
            assert_eq!(w.to_strs(), case);
            assert_eq!(w.iter().rev().collect::<Vec<_>>(), {
                let mut r = case.to_vec();
                r.reverse();
                r
            });
            let mut v: Vec<&str> = case.to_vec();
            let mut s = w.clone();
            while !v.is_empty() {
                v.pop();
                s.pop();
                assert_eq!(s, v[..]);
                assert_eq!(s, v.iter().collect::<Words>());
            }
            let mut v: Vec<&str> = case.to_vec();
            let mut s = w.clone();
            while !v.is_empty() {
                v.remove(0);
                s.remove_first();
                assert_eq!(s, v[..]);
                assert_eq!(s, v.iter().collect::<Words>());
            }
        }
        // Equal text, other boundaries: not equal.
        let a: Words = ["a b"].into_iter().collect();
        assert_ne!(a, Words::split("a b"));
    }
}
