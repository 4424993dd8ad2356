//! User-configured noise words, as SRILM's `ngram -noise-vocab FILE` (and
//! `-noise TAG`, one word) configures them: tokens such as `[NOISE]` or
//! `<laugh>` that are in the hypotheses but are not words of the language.
//!
//! What SRILM does with them (its `lm/src/LM.cc`, `NBest.cc`, `Vocab.cc`,
//! `ngram.cc` and `lattice-tool.cc`, read in the GitHub mirror
//! `BitSpeech/SRILM`): `ngram` reads the file into
//! the LM's `noiseVocab` (`Vocab::read`: the first word of each non-empty
//! line); `LM::prepareSentence` skips every noise word and the pause word
//! `-pau-` when it scores a sentence, and returns the number of words without
//! them, `<s>` and `</s>`; `NBestHyp::rescore` takes that number as the
//! hypothesis' `numWords`, which it writes in the list and multiplies by the
//! word insertion penalty. So noise words are neither scored by the LM nor
//! counted for the penalty, and the lists `ngram -rescore` writes count them
//! out of `num_words`. For word error rates, `NBestList::removeNoise` (used by
//! `nbest-lattice` and `nbest-optimize`) drops noise and pause words from the
//! hypotheses, and `lattice-tool` ignores them in its WER computation.
//!
//! dashlm matches that by dropping the noise words at reading, as it drops
//! SRILM's pause word [`srilm::PAUSE`](super::srilm::PAUSE), from every
//! hypothesis of every format ([`read_lists_with_noise`](super::read_lists_with_noise)),
//! and from the references too (the Kaldi and sclite convention, and
//! SRILM's for `-pau-`): they are not scored, not counted for the word
//! insertion penalty, not aligned for WER, and not in the lists written back,
//! so a written list scores the same read again without them. (SRILM's
//! `ngram -rescore` writes them back, but counts them out of `num_words`.)
//! Then `<s>` at the start and `</s>` at the end are removed again, as they
//! are for `-pau-`.
//!
//! `<s>`, `</s>` and `<unk>` cannot be noise words: the scorer adds the
//! sentence markers itself, and dropping `<unk>` would hide the words the
//! recognizer did not know from the scores and the WER.
//!
//! ```
//! use dashlm::rescore::{NbestList, Hypothesis, NoiseWords};
//! let noise = NoiseWords::parse("[NOISE]\n<laugh>\n", "noise.txt").unwrap();
//! let mut lists = vec![NbestList::new("u")
//!     .with_reference("the [NOISE] cat")
//!     .with_hyp(Hypothesis::new("<laugh> the cat", -10.0))];
//! noise.drop_from_lists(&mut lists);
//! assert_eq!(lists[0].hyps[0].words, ["the", "cat"]);
//! assert_eq!(lists[0].reference.as_deref().unwrap(), ["the", "cat"]);
//! ```

use std::collections::HashSet;
use std::path::Path;

use super::error::{NbestError, NbestErrorKind};
use super::joined::Words;
use super::nbest::{strip_sentence_markers, NbestList};

/// A set of noise words: dropped from hypotheses and references at reading
/// (see the [module](self) for SRILM's handling, which this follows). The
/// default is the empty set, which drops nothing.
///
/// ```
/// let noise = dashlm::rescore::NoiseWords::new(["[NOISE]", "[LAUGH]"]).unwrap();
/// assert!(noise.contains("[NOISE]") && !noise.contains("the"));
/// assert_eq!(noise.len(), 2);
/// assert!(dashlm::rescore::NoiseWords::default().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoiseWords {
    words: HashSet<Box<str>>,
}

impl NoiseWords {
    /// The noise words `words`, each checked as [`NoiseWords::parse`] checks
    /// a line (a word given twice is taken once).
    ///
    /// # Errors
    /// [`NbestErrorKind::NoiseWord`] for the first word that is empty, holds
    /// whitespace or a control character, or is `<s>`, `</s>` or `<unk>`.
    ///
    /// ```
    /// use dashlm::rescore::{NbestErrorKind, NoiseWords};
    /// assert_eq!(NoiseWords::new(["[NOISE]", "[NOISE]"]).unwrap().len(), 1);
    /// let err = NoiseWords::new(["</s>"]).unwrap_err();
    /// assert!(matches!(err, NbestErrorKind::NoiseWord { .. }));
    /// ```
    pub fn new<I, S>(words: I) -> Result<NoiseWords, NbestErrorKind>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = HashSet::new();
        for word in words {
            let word = word.as_ref();
            check(word)?;
            set.insert(word.into());
        }
        Ok(NoiseWords { words: set })
    }

    /// The noise words of `text`, the text of file `source`: one word a
    /// line, as SRILM's `-noise-vocab` file, leading and trailing ASCII
    /// whitespace trimmed. Stricter than SRILM's `Vocab::read`, which skips
    /// empty lines and takes the first word of a line: here an empty line,
    /// a line of two words and a text without a word are errors, since each
    /// more likely means the wrong file than a list meant so.
    ///
    /// # Errors
    /// [`NbestErrorKind::NoiseWord`] naming `source` and the line (line 0 for
    /// a text without lines).
    ///
    /// ```
    /// use dashlm::rescore::NoiseWords;
    /// assert!(NoiseWords::parse("[NOISE]\r\n  [LAUGH]\n", "n.txt").unwrap().contains("[LAUGH]"));
    /// let err = NoiseWords::parse("[NOISE]\n\n[LAUGH]\n", "n.txt").unwrap_err();
    /// assert_eq!((err.source_name(), err.line()), ("n.txt", 2));
    /// assert_eq!(err.to_string(), "n.txt:2: an empty line: the noise words are one a line");
    /// ```
    pub fn parse(text: &str, source: &str) -> Result<NoiseWords, NbestError> {
        let mut set = HashSet::new();
        for (i, line) in text.lines().enumerate() {
            let word = crate::text::trim(line);
            check(word).map_err(|k| NbestError::new(source, i as u64 + 1, k))?;
            set.insert(word.into());
        }
        if set.is_empty() {
            let kind = noise_word("", "the file names no noise words (it is empty)");
            return Err(NbestError::new(source, 0, kind));
        }
        Ok(NoiseWords { words: set })
    }

    /// Reads the noise words of file `path` ([`NoiseWords::parse`]): plain,
    /// gzip or xz, UTF-8 text; `-` is standard input.
    ///
    /// # Errors
    /// The file cannot be read or is not UTF-8 text, or a line is refused by
    /// [`NoiseWords::parse`]; each error names the file (and line).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("noise.txt");
    /// std::fs::write(&path, "[NOISE]\n").unwrap();
    /// assert!(dashlm::rescore::NoiseWords::read_path(&path).unwrap().contains("[NOISE]"));
    /// let err = dashlm::rescore::NoiseWords::read_path(&dir.path().join("none")).unwrap_err();
    /// assert!(err.to_string().contains("none"), "{err}");
    /// ```
    pub fn read_path(path: &Path) -> Result<NoiseWords, NbestError> {
        let name = crate::arpa::input_name(path);
        let text = super::text_input::read_text_file(path, &name)?;
        NoiseWords::parse(&text, &name)
    }

    /// Whether `word` is a noise word.
    ///
    /// ```
    /// let noise = dashlm::rescore::NoiseWords::new(["[NOISE]"]).unwrap();
    /// assert!(noise.contains("[NOISE]") && !noise.contains("[noise]"));
    /// ```
    pub fn contains(&self, word: &str) -> bool {
        !self.words.is_empty() && self.words.contains(word)
    }

    /// How many noise words there are.
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::NoiseWords::new(["a", "b"]).unwrap().len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether there are none (nothing is dropped).
    ///
    /// ```
    /// assert!(dashlm::rescore::NoiseWords::new(Vec::<String>::new()).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Drops the noise words from a hypothesis' `words`, then the `<s>` at
    /// the start and the `</s>` at the end they may have hidden.
    ///
    /// ```
    /// use dashlm::rescore::{NoiseWords, Words};
    /// let noise = NoiseWords::new(["[NOISE]"]).unwrap();
    /// let mut words = Words::split("[NOISE] <s> a [NOISE] b </s>");
    /// noise.drop_from(&mut words);
    /// assert_eq!(words, ["a", "b"]);
    /// ```
    pub fn drop_from(&self, words: &mut Words) {
        if words.iter().any(|w| self.contains(w)) {
            *words = words.iter().filter(|w| !self.contains(w)).collect();
            words.strip_sentence_markers();
        }
    }

    /// [`NoiseWords::drop_from`] for a reference's words.
    ///
    /// ```
    /// let noise = dashlm::rescore::NoiseWords::new(["[NOISE]"]).unwrap();
    /// let mut r = vec!["a".to_string(), "[NOISE]".to_string(), "</s>".to_string()];
    /// noise.drop_from_reference(&mut r);
    /// assert_eq!(r, ["a"]);
    /// ```
    pub fn drop_from_reference(&self, words: &mut Vec<String>) {
        if words.iter().any(|w| self.contains(w)) {
            words.retain(|w| !self.contains(w));
            strip_sentence_markers(words);
        }
    }

    /// Drops the noise words from every hypothesis and reference of `lists`
    /// (what [`read_lists_with_noise`](super::read_lists_with_noise) does to
    /// the lists it reads).
    ///
    /// ```
    /// use dashlm::rescore::{Hypothesis, NbestList, NoiseWords};
    /// let noise = NoiseWords::new(["<laugh>"]).unwrap();
    /// let mut lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("a <laugh>", -1.0))];
    /// noise.drop_from_lists(&mut lists);
    /// assert_eq!(lists[0].hyps[0].text(), "a");
    /// ```
    pub fn drop_from_lists(&self, lists: &mut [NbestList]) {
        if self.is_empty() {
            return;
        }
        for list in lists {
            list.hyps
                .iter_mut()
                .for_each(|h| self.drop_from(&mut h.words));
            if let Some(r) = list.reference.as_mut() {
                self.drop_from_reference(r);
            }
        }
    }
}

/// The error for noise word `found` (empty: the line is), refused for `why`.
fn noise_word(found: &str, why: &'static str) -> NbestErrorKind {
    NbestErrorKind::NoiseWord {
        found: found.to_string(),
        why,
    }
}

/// An error unless `word` can be a noise word.
fn check(word: &str) -> Result<(), NbestErrorKind> {
    let why = if word.is_empty() {
        "an empty line: the noise words are one a line"
    } else if crate::text::words(word).nth(1).is_some() {
        "more than one word on the line: the noise words are one a line"
    } else if word.chars().any(char::is_control) {
        "it holds a control character: the file is not a text of words"
    } else if word == "<s>" || word == "</s>" {
        "a sentence marker, which the scorer adds itself: it cannot be dropped as noise"
    } else if word == "<unk>" {
        "the unknown-word token: dropped as noise, it would hide the words the recognizer \
         did not know from the LM scores and the WER"
    } else {
        return Ok(());
    };
    Err(noise_word(word, why))
}
