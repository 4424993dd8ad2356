//! How much of the hypotheses' words a model's vocabulary covers.
//!
//! A word the model does not know is scored as `<unk>`. A few are normal; many
//! mean the lists and the model disagree on spelling (upper case hypotheses
//! against a lower case LM, another tokenization), and the new LM score then
//! says little: rescoring runs but cannot help. [`Coverage`] counts them, and
//! how many the model knows in the other case.
//!
//! ```
//! use dashlm::ReferenceModel;
//! use dashlm::rescore::{coverage::Coverage, Hypothesis, NbestList};
//! let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
//! let lists = [NbestList::new("u").with_hyp(Hypothesis::new("THE CAT sat zzz", -1.0))];
//! let c = Coverage::of(&lm, &lists);
//! assert_eq!((c.words, c.unknown, c.known_in_lowercase), (4, 3, 2));
//! assert_eq!(c.unknown_spellings[0], ("CAT".to_string(), 1));
//! assert!(c.warning().unwrap().contains("2 of the 3 are in the model in lower case"));
//! ```

use std::collections::HashMap;

use rayon::prelude::*;

use super::NbestList;
use crate::LanguageModel;

/// The share of unknown hypothesis words above which [`Coverage::warning`]
/// warns: a tenth.
///
/// ```
/// assert_eq!(dashlm::rescore::coverage::WARN_ABOVE, 0.1);
/// ```
pub const WARN_ABOVE: f64 = 0.1;

/// The most unknown spellings a warning quotes.
const QUOTED: usize = 5;

/// Counts of the hypothesis words of some lists against a model's vocabulary.
///
/// ```
/// use dashlm::rescore::coverage::Coverage;
/// let c = Coverage { words: 20, unknown: 1, ..Coverage::default() };
/// assert_eq!(c.unknown_fraction(), 0.05);
/// assert!(c.warning().is_none()); // a twentieth: below the warning's tenth
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Hypothesis words (`</s>` not counted).
    pub words: u64,
    /// Of them, the words the model does not know (scored as `<unk>`;
    /// `<unk>` itself counts).
    pub unknown: u64,
    /// The unknown words' distinct spellings with their counts, most frequent
    /// first (ties in byte order).
    pub unknown_spellings: Vec<(String, u64)>,
    /// Unknown words whose lower case spelling the model knows.
    pub known_in_lowercase: u64,
    /// Unknown words whose upper case spelling the model knows.
    pub known_in_uppercase: u64,
}

type Counts<'a> = HashMap<&'a [u8], u64, ahash::RandomState>;

impl Coverage {
    /// Counts the words of every hypothesis of `lists` (in parallel), each
    /// distinct spelling looked up in `model` once.
    ///
    /// ```
    /// use dashlm::ReferenceModel;
    /// use dashlm::rescore::{coverage::Coverage, Hypothesis, NbestList};
    /// let lm = ReferenceModel::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
    /// let lists = [NbestList::new("u").with_hyp(Hypothesis::new("the cat", -1.0))];
    /// assert_eq!(Coverage::of(&lm, &lists).unknown, 0);
    /// ```
    pub fn of<M: LanguageModel>(model: &M, lists: &[NbestList]) -> Coverage {
        // Pieces of at least 256 lists: each piece's map grows to the
        // vocabulary of the lists once, not once per list.
        let counts = lists
            .par_iter()
            .with_min_len(256)
            .fold(Counts::default, |mut counts, list| {
                let hyps = &list.hyps;
                for (i, h) in hyps.iter().enumerate() {
                    // Each hypothesis' words are in two allocations: ask for
                    // those of the hypothesis two ahead (as the scorer does).
                    if let Some(next) = hyps.get(i + 2) {
                        next.words.prefetch();
                    }
                    for word in h.words.byte_words() {
                        *counts.entry(word).or_insert(0) += 1;
                    }
                }
                counts
            })
            .reduce(Counts::default, |mut a, b| {
                for (word, n) in b {
                    *a.entry(word).or_insert(0) += n;
                }
                a
            });
        let knows = |w: &str| model.word_id(w.as_bytes()) != 0;
        let mut c = Coverage::default();
        for (&word, &n) in &counts {
            c.words += n;
            if model.word_id(word) != 0 {
                continue;
            }
            // Split from a `str` at ASCII separators, so whole characters (the
            // lossy form only guards that).
            let word = String::from_utf8_lossy(word);
            c.unknown += n;
            c.unknown_spellings.push((word.to_string(), n));
            let in_case = |other: String| other != *word && knows(&other);
            c.known_in_lowercase += n * u64::from(in_case(word.to_lowercase()));
            c.known_in_uppercase += n * u64::from(in_case(word.to_uppercase()));
        }
        c.unknown_spellings
            .sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        c
    }

    /// The share of the words the model does not know (0 without words).
    ///
    /// ```
    /// let c = dashlm::rescore::coverage::Coverage { words: 8, unknown: 2, ..Default::default() };
    /// assert_eq!(c.unknown_fraction(), 0.25);
    /// ```
    pub fn unknown_fraction(&self) -> f64 {
        self.unknown as f64 / self.words.max(1) as f64
    }

    /// One line: how many words the model does not know.
    ///
    /// ```
    /// let c = dashlm::rescore::coverage::Coverage { words: 400, unknown: 3, ..Default::default() };
    /// assert_eq!(c.summary(), "3 of 400 hypothesis words (0.75%) are not in the model's vocabulary (scored as <unk>)");
    /// ```
    pub fn summary(&self) -> String {
        format!(
            "{} of {} hypothesis words ({:.2}%) are not in the model's vocabulary (scored as \
             <unk>)",
            self.unknown,
            self.words,
            100.0 * self.unknown_fraction()
        )
    }

    /// A warning when more than [`WARN_ABOVE`] of the words are unknown: the
    /// most frequent ones, and how many the model knows in the other case.
    ///
    /// ```
    /// let mut c = dashlm::rescore::coverage::Coverage { words: 10, unknown: 1, ..Default::default() };
    /// assert_eq!(c.warning(), None);
    /// c.unknown = 5;
    /// c.unknown_spellings = vec![("uh".into(), 4), ("um".into(), 1)];
    /// assert!(c.warning().unwrap().starts_with("50.00% of the hypothesis words are not in the model's vocabulary, most often `uh` (4), `um` (1):"));
    /// ```
    pub fn warning(&self) -> Option<String> {
        if self.unknown_fraction() <= WARN_ABOVE {
            return None;
        }
        let quoted: Vec<String> = (self.unknown_spellings.iter().take(QUOTED))
            .map(|(w, n)| format!("`{}` ({n})", crate::text::quote(w, 40)))
            .collect();
        let mut message = format!(
            "{:.2}% of the hypothesis words are not in the model's vocabulary, most often {}: \
             their new LM score is `<unk>`'s, so rescoring can do little for them",
            100.0 * self.unknown_fraction(),
            quoted.join(", ")
        );
        let (case, in_case) = match self.known_in_lowercase >= self.known_in_uppercase {
            true => ("lower", self.known_in_lowercase),
            false => ("upper", self.known_in_uppercase),
        };
        if 2 * in_case >= self.unknown {
            message += &format!(
                "; {in_case} of the {} are in the model in {case} case: write the hypotheses \
                 (and references) in {case} case, as the model's training text was",
                self.unknown
            );
        } else {
            message += "; check that the lists are tokenized as the model's training text was";
        }
        Some(message)
    }
}
