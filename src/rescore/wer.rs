//! Word error rate by Levenshtein alignment.
//!
//! The alignment minimizes substitutions + insertions + deletions (each costs 1).
//! Among equally cheap alignments the counts are those of Kaldi's
//! `compute-wer` (its `LevenshteinEditDistance`): each cell of the table
//! (reference prefix, hypothesis prefix) extends the diagonal (a match or a
//! substitution) only when that is strictly cheaper than both an insertion and
//! a deletion; else a deletion when strictly cheaper than an insertion; else an
//! insertion. So `a b` against `b a` counts one insertion and one deletion, not
//! two substitutions. [`read_transcripts`] reads `dashlm wer`'s references and
//! hypotheses.
//!
//! ```
//! use dashlm::rescore::wer::{align, ErrorCounts, EditOp::*};
//! let (reference, hyp) = (["the", "cat", "sat", "on", "the", "mat"], ["a", "cat", "sat", "the", "mat", "now"]);
//! let a = align(&reference, &hyp);
//! assert_eq!(a.ops, [Substitution, Match, Match, Deletion, Match, Match, Insertion]);
//! let c = a.counts;
//! assert_eq!((c.substitutions, c.insertions, c.deletions, c.ref_words), (1, 1, 1, 6));
//! assert_eq!(c.wer(), 0.5);
//! let mut total = c; // corpus totals: add the sentences
//! total.add(&ErrorCounts::of(&["hello"], &["hello"]));
//! assert_eq!(total.to_string(), "%WER 42.86 [ 3 / 7, 1 ins, 1 del, 1 sub ]");
//! ```

use std::fmt;

use super::distance::reference_pattern;
use super::nbest::NbestList;

pub use super::transcripts::read_transcripts;

/// One step of an alignment.
///
/// ```
/// use dashlm::rescore::wer::{align, EditOp};
/// let a = align(&["a", "b"], &["a", "c"]);
/// assert_eq!(a.ops, [EditOp::Match, EditOp::Substitution]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditOp {
    /// The reference word was recognized.
    Match,
    /// The reference word was recognized as another word.
    Substitution,
    /// A hypothesis word with no reference word.
    Insertion,
    /// A reference word with no hypothesis word.
    Deletion,
}

/// Error counts over one or many sentences.
///
/// ```
/// use dashlm::rescore::wer::ErrorCounts;
/// let mut total = ErrorCounts::default();
/// total.add(&ErrorCounts::of(&["a", "b", "c"], &["a", "x"]));
/// assert_eq!((total.substitutions, total.deletions, total.errors()), (1, 1, 2));
/// assert!((total.wer() - 2.0 / 3.0).abs() < 1e-12);
/// assert_eq!(total.to_string(), "%WER 66.67 [ 2 / 3, 0 ins, 1 del, 1 sub ]");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ErrorCounts {
    /// Reference words.
    pub ref_words: u64,
    /// Substituted words.
    pub substitutions: u64,
    /// Inserted words.
    pub insertions: u64,
    /// Deleted words.
    pub deletions: u64,
    /// Sentences counted.
    pub sentences: u64,
    /// Sentences with at least one error.
    pub sentence_errors: u64,
}

impl ErrorCounts {
    /// The counts of one sentence: [`align`]'s, in `O(len(hyp))` memory (the
    /// alignment itself keeps a cell per pair of words: 5 bytes times
    /// `len(reference) * len(hyp)`, 2 GB for two 20,000-word lines).
    ///
    /// Each cell of one row of the alignment's table carries the counts along
    /// the step [`align`] takes there (a match when the words agree, else a
    /// substitution unless an insertion, then a deletion, is strictly
    /// cheaper), so the last cell holds the counts of the steps its backtrace
    /// would follow.
    ///
    /// ```
    /// use dashlm::rescore::wer::{align, ErrorCounts};
    /// let c = ErrorCounts::of(&["a"], &["a", "b"]);
    /// assert_eq!((c.insertions, c.sentence_errors), (1, 1));
    /// let (r, h) = (["a", "b", "c", "d"], ["b", "x", "d", "e"]);
    /// assert_eq!(ErrorCounts::of(&r, &h), align(&r, &h).counts);
    /// ```
    pub fn of<R: PartialEq<H>, H>(reference: &[R], hyp: &[H]) -> ErrorCounts {
        /// `[substitutions, insertions, deletions]` of a cell's path.
        type Cell = [u32; 3];
        let cost = |c: &Cell| c[0] + c[1] + c[2];
        let step = |mut c: Cell, k: usize| {
            c[k] += 1;
            c
        };
        // row[j]: the path to (i, j) for the current reference prefix i.
        let mut row: Vec<Cell> = (0..=hyp.len()).map(|j| [0, j as u32, 0]).collect();
        for (i, r) in reference.iter().enumerate() {
            let mut diag = row[0];
            row[0] = [0, 0, i as u32 + 1];
            for (j, h) in hyp.iter().enumerate() {
                let above = row[j + 1];
                let (op, _) = kaldi_step(cost(&diag), r == h, cost(&row[j]), cost(&above));
                row[j + 1] = match op {
                    EditOp::Match => diag,
                    EditOp::Substitution => step(diag, 0),
                    EditOp::Insertion => step(row[j], 1),
                    EditOp::Deletion => step(above, 2),
                };
                diag = above;
            }
        }
        let [sub, ins, del] = row[hyp.len()];
        let errors = u64::from(sub + ins + del);
        ErrorCounts {
            ref_words: reference.len() as u64,
            substitutions: u64::from(sub),
            insertions: u64::from(ins),
            deletions: u64::from(del),
            sentences: 1,
            sentence_errors: u64::from(errors > 0),
        }
    }

    /// Substitutions + insertions + deletions.
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::wer::ErrorCounts::of(&["a"], &["b", "c"]).errors(), 2);
    /// ```
    pub fn errors(&self) -> u64 {
        self.substitutions + self.insertions + self.deletions
    }

    /// Errors over reference words (0 when there are no reference words and no
    /// errors; infinite when there are errors but no reference words).
    ///
    /// ```
    /// assert_eq!(dashlm::rescore::wer::ErrorCounts::default().wer(), 0.0);
    /// ```
    pub fn wer(&self) -> f64 {
        if self.ref_words == 0 {
            return if self.errors() == 0 {
                0.0
            } else {
                f64::INFINITY
            };
        }
        self.errors() as f64 / self.ref_words as f64
    }

    /// Sentence error rate: the share of sentences with an error (0 when
    /// there are none).
    ///
    /// ```
    /// use dashlm::rescore::wer::ErrorCounts;
    /// let mut c = ErrorCounts::of(&["a"], &["b"]); // one sentence, wrong
    /// assert_eq!(c.ser(), 1.0);
    /// c.add(&ErrorCounts::of(&["a"], &["a"])); // and one right
    /// assert_eq!(c.ser(), 0.5);
    /// assert_eq!(ErrorCounts::default().ser(), 0.0);
    /// ```
    pub fn ser(&self) -> f64 {
        if self.sentences == 0 {
            0.0
        } else {
            self.sentence_errors as f64 / self.sentences as f64
        }
    }

    /// Adds another set of counts.
    ///
    /// ```
    /// use dashlm::rescore::wer::ErrorCounts;
    /// let mut c = ErrorCounts::of(&["a"], &["b"]);
    /// c.add(&ErrorCounts::of(&["a"], &["a"]));
    /// assert_eq!((c.sentences, c.sentence_errors, c.ref_words), (2, 1, 2));
    /// ```
    pub fn add(&mut self, other: &ErrorCounts) {
        self.ref_words += other.ref_words;
        self.substitutions += other.substitutions;
        self.insertions += other.insertions;
        self.deletions += other.deletions;
        self.sentences += other.sentences;
        self.sentence_errors += other.sentence_errors;
    }
}

impl fmt::Display for ErrorCounts {
    /// Kaldi `compute-wer` style.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "%WER {:.2} [ {} / {}, {} ins, {} del, {} sub ]",
            100.0 * self.wer(),
            self.errors(),
            self.ref_words,
            self.insertions,
            self.deletions,
            self.substitutions
        )
    }
}

/// An alignment of a hypothesis to a reference.
///
/// ```
/// use dashlm::rescore::wer::{align, EditOp::*};
/// let a = align(&["the", "cat", "sat"], &["a", "cat", "sat", "down"]);
/// assert_eq!(a.ops, [Substitution, Match, Match, Insertion]);
/// assert_eq!(a.counts.errors(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alignment {
    /// The steps, in sentence order.
    pub ops: Vec<EditOp>,
    /// Their counts (one sentence).
    pub counts: ErrorCounts,
}

/// Aligns `hyp` to `reference` (see the [module](self) docs for tie-breaking).
///
/// Keeps the whole table to trace the alignment back: `(reference.len() + 1)
/// x (hyp.len() + 1)` cells of 5 bytes (two sequences of 100,000 words take
/// 50 GB). For the counts alone, [`ErrorCounts::of`] keeps one row.
///
/// # Panics
/// When the table's size overflows `usize`; allocating a table too large for
/// memory aborts, as any allocation does.
///
/// ```
/// use dashlm::rescore::wer::{align, EditOp::*};
/// assert_eq!(align(&["a", "b", "c"], &["a", "c"]).ops, [Match, Deletion, Match]);
/// assert_eq!(align::<&str>(&[], &["x"]).ops, [Insertion]);
/// ```
pub fn align<T: PartialEq>(reference: &[T], hyp: &[T]) -> Alignment {
    let (n, m) = (reference.len(), hyp.len());
    let w = m + 1;
    // cost[i * w + j]: edit distance of reference[..i] and hyp[..j]; op: last step.
    let cells = (n + 1)
        .checked_mul(w)
        .expect("align: the alignment table's size overflows usize");
    let mut cost = vec![0u32; cells];
    let mut op = vec![EditOp::Match; cells];
    for j in 1..=m {
        cost[j] = j as u32;
        op[j] = EditOp::Insertion;
    }
    for i in 1..=n {
        cost[i * w] = i as u32;
        op[i * w] = EditOp::Deletion;
        for j in 1..=m {
            (op[i * w + j], cost[i * w + j]) = kaldi_step(
                cost[(i - 1) * w + j - 1],
                reference[i - 1] == hyp[j - 1],
                cost[i * w + j - 1],
                cost[(i - 1) * w + j],
            );
        }
    }
    let mut ops = Vec::with_capacity(n.max(m));
    let mut counts = ErrorCounts {
        ref_words: n as u64,
        sentences: 1,
        ..ErrorCounts::default()
    };
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        let o = op[i * w + j];
        ops.push(o);
        match o {
            EditOp::Match => {
                i -= 1;
                j -= 1;
            }
            EditOp::Substitution => {
                counts.substitutions += 1;
                i -= 1;
                j -= 1;
            }
            EditOp::Insertion => {
                counts.insertions += 1;
                j -= 1;
            }
            EditOp::Deletion => {
                counts.deletions += 1;
                i -= 1;
            }
        }
    }
    ops.reverse();
    counts.sentence_errors = u64::from(counts.errors() > 0);
    Alignment { ops, counts }
}

/// The step into a cell of the alignment table and the cell's cost, by
/// Kaldi's `LevenshteinEditDistance`: `diag`, `left` and `above` are the costs
/// of the cells before it (diagonal, same reference prefix, same hypothesis
/// prefix), `same` whether the cell's two words agree. The diagonal (a match or
/// a substitution) wins only when strictly cheapest, then a deletion when
/// strictly cheaper than an insertion.
#[inline]
fn kaldi_step(diag: u32, same: bool, left: u32, above: u32) -> (EditOp, u32) {
    let (d, ins, del) = (diag + u32::from(!same), left + 1, above + 1);
    if d < ins && d < del {
        let op = if same {
            EditOp::Match
        } else {
            EditOp::Substitution
        };
        (op, d)
    } else if del < ins {
        (EditOp::Deletion, del)
    } else {
        (EditOp::Insertion, ins)
    }
}

/// The Levenshtein distance of two word sequences (unit costs), in `O(len(b))`
/// memory: the errors of [`ErrorCounts::of`].
///
/// A table, one cell per pair of items (any `PartialEq` items). The oracle
/// search of [`nbest_wer`], tuning and MBR get the same numbers faster: they
/// number a list's words and compare the numbers 64 cells at a time (see
/// [`DistanceMatrix::new`](super::mbr::DistanceMatrix::new)).
///
/// ```
/// assert_eq!(dashlm::rescore::wer::edit_distance(&["a", "b", "c"], &["b", "c", "d"]), 2);
/// ```
pub fn edit_distance<A: PartialEq<B>, B>(a: &[A], b: &[B]) -> usize {
    // row[j]: the distance of the prefix of `a` so far to `b[..j]`. One
    // number per cell, not `ErrorCounts::of`'s three.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            // Equal words: the diagonal is never worse than a gap (neighbouring
            // cells differ by at most one).
            row[j + 1] = if x == y {
                diag
            } else {
                1 + diag.min(above).min(row[j])
            };
            diag = above;
        }
    }
    row[b.len()]
}

/// Before/after/oracle error counts over n-best lists with references.
///
/// ```
/// use dashlm::rescore::{Hypothesis, NbestList};
/// use dashlm::rescore::wer::nbest_wer;
/// let l = NbestList::new("u").with_reference("a b")
///     .with_hyp(Hypothesis::new("a c", 0.0))
///     .with_hyp(Hypothesis::new("a b", 0.0));
/// let w = nbest_wer(&[l], &[Some(1)]);
/// assert_eq!((w.first.errors(), w.chosen.errors(), w.oracle.errors()), (1, 0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NbestWer {
    /// Lists with a reference (the only ones counted).
    pub lists: usize,
    /// Errors of each list's first hypothesis (the recognizer's 1-best).
    pub first: ErrorCounts,
    /// Errors of the chosen hypotheses.
    pub chosen: ErrorCounts,
    /// Errors of the best hypothesis in each list.
    pub oracle: ErrorCounts,
}

/// Counts [`NbestWer`] over `lists`, `chosen[i]` being the index chosen in list
/// `i` (`None`, an index past the list's hypotheses, or no `chosen[i]` at all
/// when `chosen` is shorter than `lists`: the empty hypothesis, so every list
/// with a reference is counted).
///
/// ```
/// use dashlm::rescore::NbestList;
/// let w = dashlm::rescore::wer::nbest_wer(&[NbestList::new("u")], &[None]);
/// assert_eq!(w.lists, 0); // no reference
/// ```
pub fn nbest_wer(lists: &[super::NbestList], chosen: &[Option<usize>]) -> NbestWer {
    use rayon::prelude::*;
    // Lists in parallel (the oracle aligns every hypothesis); sums of
    // integers, so the same counts in any order.
    lists
        .par_iter()
        .enumerate()
        .fold(NbestWer::default, |mut out, (k, list)| {
            if let Some(reference) = &list.reference {
                out.add_list(reference, list, chosen.get(k).copied().flatten());
            }
            out
        })
        .reduce(NbestWer::default, |mut a, b| {
            a.add(&b);
            a
        })
}

impl NbestWer {
    /// Adds another set of lists' counts.
    ///
    /// ```
    /// use dashlm::rescore::{Hypothesis, NbestList};
    /// use dashlm::rescore::wer::nbest_wer;
    /// let l = |id| NbestList::new(id).with_reference("a").with_hyp(Hypothesis::new("b", 0.0));
    /// let mut w = nbest_wer(&[l("u")], &[Some(0)]);
    /// w.add(&nbest_wer(&[l("v")], &[Some(0)]));
    /// assert_eq!(w, nbest_wer(&[l("u"), l("v")], &[Some(0), Some(0)]));
    /// ```
    pub fn add(&mut self, other: &NbestWer) {
        self.lists += other.lists;
        self.first.add(&other.first);
        self.chosen.add(&other.chosen);
        self.oracle.add(&other.oracle);
    }

    /// Counts one list with a reference.
    fn add_list<'a>(
        &mut self,
        reference: &[String],
        list: &'a super::NbestList,
        choice: Option<usize>,
    ) {
        self.lists += 1;
        // The reference's words as ids, its pattern built once; a hypothesis
        // word not in the reference matches none of it, so it need not be
        // told from the others (`UNSEEN` for all).
        let (ids, pattern) = reference_pattern(reference);
        let mut hyp_ids = Vec::new();
        let oracle = (list.hyps.iter().enumerate())
            .min_by_key(|(_, h)| pattern.distance_to_words(&ids, &h.words, &mut hyp_ids))
            .map(|(i, _)| i);
        let mut words: Vec<&'a str> = Vec::new();
        // Each hypothesis aligned once, though it may be the first, the one
        // chosen and the oracle's (a one-hypothesis list is all three).
        let mut aligned: Vec<(Option<usize>, ErrorCounts)> = Vec::with_capacity(3);
        let mut errors = |i: Option<usize>| {
            let i = i.filter(|&i| i < list.hyps.len());
            if let Some((_, counts)) = aligned.iter().find(|(j, _)| *j == i) {
                return *counts;
            }
            words.clear();
            if let Some(h) = i.map(|i| &list.hyps[i]) {
                words.extend(h.words.iter());
            }
            let counts = ErrorCounts::of(reference, &words);
            aligned.push((i, counts));
            counts
        };
        self.first.add(&errors(Some(0)));
        self.chosen.add(&errors(choice));
        self.oracle.add(&errors(oracle));
    }
}

/// The most word-alignment cells the WER of a set of lists may take: every
/// hypothesis of a list with a reference aligned with it (the oracle's),
/// `(reference words + 1) x (hypothesis words + 1)` cells each. The
/// oracle's search takes 64 cells a step; the first, chosen and oracle
/// hypotheses (each aligned once) are counted in full, 1.3-3.6 ns a cell by
/// machine for lines of up to a hundred thousand words (a list of 10
/// hypotheses of 30,000 words, 9 x 10^9 cells, took 12 s on one; one
/// hypothesis of 100,000 words, 10^10 cells, 36 s on another), up to about
/// 8 ns for lines of hundreds of thousands of words, whose rows leave the
/// cache (two hypotheses of 200,000 words, 8 x 10^10 cells, took 10
/// minutes); so 2 to 15 minutes at the limit. Past it, `rescore` leaves out
/// its WER summary and `tune` refuses the lists (before: a 2.1-million-word
/// hypothesis with its reference ran for hours).
///
/// ```
/// assert_eq!(dashlm::rescore::wer::MAX_CELLS, 100_000_000_000);
/// ```
pub const MAX_CELLS: u128 = 100_000_000_000;

/// The alignment cells of the WER of `lists` (see [`MAX_CELLS`]).
fn cells(lists: &[NbestList]) -> u128 {
    (lists.iter())
        .filter_map(|l| Some((l.reference.as_ref()?.len() as u128 + 1, l)))
        .map(|(r, l)| {
            (l.hyps.iter())
                .map(|h| r * (h.words.len() as u128 + 1))
                .sum::<u128>()
        })
        .sum()
}

/// An error when the WER of `lists` would take more than [`MAX_CELLS`]
/// cells; `what` says what needs it. `dashlm rescore` leaves out its WER
/// summary then, and `dashlm tune` refuses the lists: check before a
/// [`TuneSet`](crate::rescore::TuneSet) or a WER of such lists.
///
/// ```
/// use dashlm::rescore::{wer, Hypothesis, NbestList};
/// let words = vec!["w"; 200_000].join(" ");
/// let mut list = NbestList::new("u").with_reference(&words).with_hyp(Hypothesis::new(&words, 0.0));
/// assert!(wer::check_cells(std::slice::from_ref(&list), "tune").is_ok());
/// list.hyps.extend(vec![Hypothesis::new(&words, 0.0); 2]);
/// let err = wer::check_cells(&[list], "tune").unwrap_err();
/// assert!(err.starts_with("tune aligns every hypothesis with its reference: 120001200003 cells"), "{err}");
/// ```
pub fn check_cells(lists: &[NbestList], what: &str) -> Result<(), String> {
    let cells = cells(lists);
    if cells > MAX_CELLS {
        return Err(format!(
            "{what} aligns every hypothesis with its reference: {cells} cells \
             ((reference words + 1) x (hypothesis words + 1) each); at most {MAX_CELLS} \
             (2 to 15 minutes of work)"
        ));
    }
    Ok(())
}
