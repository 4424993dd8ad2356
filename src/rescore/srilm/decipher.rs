//! The SRI Decipher forms of SRILM n-best files, in **bytelog** units: a
//! header line, then one hypothesis per line.
//!
//! - `NBestList1.0`: `(score) w1 w2 ...`, one composite acoustic+LM score.
//!   It becomes the acoustic score, with no first-pass LM score, as SRILM
//!   reads it.
//! - `NBestList2.0`: `(score)`, then each token followed by its start and end
//!   times and its LM (`g:`) and acoustic (`a:`) scores,
//!   `w ( st: 0.01 et: 0.35 g: -2113 a: -10563 )`. As SRILM's `NBestHyp::parse`
//!   does, a token is a word when it starts after the previous word ends and
//!   is not an HMM state (a name ending in `-` and one digit); other tokens
//!   are the phone and state backtrace inside a word, and are skipped. The
//!   acoustic score is the sum of the words' `a:` scores and the first-pass LM
//!   score the sum of their `g:` scores; the composite score must be a number
//!   but is not kept (SRILM rescores from the sums too).
//!
//! SRILM (`Prob.h`) defines a bytelog as a log to base 1.0001 divided by 1024
//! and rounded (`LogPtoBytelog(p) = rint(p * ln 10 * 10000.5 / 1024)`), so the
//! natural log is `bytelog * 1024 / 10000.5` ([`bytelog_to_ln`]). Every
//! bytelog score is finite.
//!
//! ```
//! use dashlm::rescore::srilm::{self, bytelog_to_ln};
//! let text = "NBestList2.0\n(-31) hi ( st: 0.00 et: 0.20 g: -10 a: -21 ) \
//!             h ( st: 0.00 et: 0.10 g: 0 a: -9 )\n";
//! let list = srilm::read_file(text.as_bytes(), "u.nbest", "u").unwrap();
//! let hyp = &list.hyps[0]; // `h`, a phone inside `hi`, is skipped
//! assert_eq!((hyp.text(), hyp.acoustic, hyp.lm), ("hi".into(), bytelog_to_ln(-21.0), Some(bytelog_to_ln(-10.0))));
//! ```

use std::io::{self, Write};

use super::super::error::NbestErrorKind;
use super::super::joined::Words;
use super::super::nbest::{hyp_words_joined, Hypothesis, NbestList};
use super::super::text_input::{parse_score, Zero};

/// Natural-log value of an SRILM bytelog: `bytelog * 1024 / 10000.5`.
///
/// ```
/// use dashlm::rescore::srilm::{bytelog_to_ln, ln_to_bytelog};
/// assert!((bytelog_to_ln(-1000.0) - (-102.39488)).abs() < 1e-4);
/// assert_eq!(ln_to_bytelog(bytelog_to_ln(-1234.0)), -1234.0);
/// ```
pub fn bytelog_to_ln(bytelog: f64) -> f64 {
    bytelog * (1024.0 / 10000.5)
}

/// SRILM bytelog of a natural-log value: `rint(ln * 10000.5 / 1024)`.
///
/// ```
/// assert_eq!(dashlm::rescore::srilm::ln_to_bytelog(-1.0), -10.0);
/// ```
pub fn ln_to_bytelog(ln: f64) -> f64 {
    ln_as_bytelog(ln).round()
}

/// Writes `list` in the `NBestList1.0` form, each acoustic score as an
/// unrounded bytelog that reads back as the same natural-log value (SRILM
/// parses the score as a float; see [`super::fmt_converted`]). For lists
/// without first-pass LM scores, checked before: every acoustic score finite.
pub(super) fn write_v1<W: Write>(out: &mut W, list: &NbestList) -> io::Result<()> {
    writeln!(out, "NBestList1.0")?;
    for h in &list.hyps {
        let bytelog = super::fmt_converted(h.acoustic, ln_as_bytelog, bytelog_to_ln);
        write!(out, "({bytelog})")?;
        if !h.words.is_empty() {
            write!(out, " {}", h.words.as_str())?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The bytelog of a natural-log value, unrounded: `ln * 10000.5 / 1024`
/// (infinite past `f64`'s range / 9.77).
pub(super) fn ln_as_bytelog(ln: f64) -> f64 {
    ln * (10000.5 / 1024.0)
}

/// Which Decipher form a file's header line names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Form {
    /// `NBestList1.0`: a composite score and the words.
    V1,
    /// `NBestList2.0`: a composite score and per-token times and scores.
    V2,
}

impl Form {
    /// The form of header line `line` (a line starting with `NBestList`).
    pub(super) fn of_header(line: &str) -> Result<Form, NbestErrorKind> {
        match line {
            "NBestList1.0" => Ok(Form::V1),
            "NBestList2.0" => Ok(Form::V2),
            _ => Err(NbestErrorKind::Syntax {
                expected: "the header NBestList1.0 or NBestList2.0",
                found: line.to_string(),
            }),
        }
    }

    /// Parses hypothesis line `text` of this form.
    pub(super) fn parse(self, text: &str) -> Result<Hypothesis, NbestErrorKind> {
        match self {
            Form::V1 => parse_v1(text),
            Form::V2 => parse_v2(text),
        }
    }
}

/// The bytelog of `(score)`, the first token of a Decipher line.
fn composite_score(token: &str, expected: &'static str) -> Result<f64, NbestErrorKind> {
    let inner = token
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| NbestErrorKind::Syntax {
            expected,
            found: format!("`{token}` first"),
        })?;
    parse_score(inner, "bytelog score", Zero::Refused)
}

fn parse_v1(text: &str) -> Result<Hypothesis, NbestErrorKind> {
    let (score, words) = crate::text::first_word(text);
    let bytelog = composite_score(score, "`(bytelog_score) w1 w2 ...`")?;
    Ok(Hypothesis {
        words: hyp_words_joined(words),
        acoustic: bytelog_to_ln(bytelog),
        ..Hypothesis::default()
    })
}

/// The tokens of one word (or backtrace unit) of an `NBestList2.0` line.
const GROUP: usize = 11;

const V2_LINE: &str = "`(bytelog_score) w1 ( st: S et: E g: G a: A ) w2 ...` (NBestList2.0)";

/// Whether `token` names an HMM state (`/-[0-9]$/`), which SRILM never takes
/// for a word.
fn is_state(token: &str) -> bool {
    let b = token.as_bytes();
    b.len() >= 2 && b[b.len() - 2] == b'-' && b[b.len() - 1].is_ascii_digit()
}

fn number(token: &str, what: &'static str) -> Result<f64, NbestErrorKind> {
    parse_score(token, what, Zero::Refused)
}

fn parse_v2(text: &str) -> Result<Hypothesis, NbestErrorKind> {
    let mut tokens = crate::text::words(text);
    let score = tokens.next().unwrap_or_default();
    composite_score(score, V2_LINE)?;
    let rest: Vec<&str> = tokens.collect();
    if !rest.len().is_multiple_of(GROUP) {
        return Err(NbestErrorKind::Syntax {
            expected: "groups of 11 tokens after the score, `w ( st: S et: E g: G a: A )`",
            found: format!(
                "{} tokens, {} past the last whole group",
                rest.len(),
                rest.len() % GROUP
            ),
        });
    }
    let (mut words, mut ac, mut lm, mut prev_end) = (Vec::new(), 0.0, 0.0, -1.0);
    for g in rest.chunks_exact(GROUP) {
        let marks = [
            (1, "("),
            (2, "st:"),
            (4, "et:"),
            (6, "g:"),
            (8, "a:"),
            (10, ")"),
        ];
        if marks.iter().any(|&(at, mark)| g[at] != mark) {
            return Err(NbestErrorKind::Syntax {
                expected: "`w ( st: S et: E g: G a: A )` for each token",
                found: format!("`{}`", g.join(" ")),
            });
        }
        let (start, end) = (number(g[3], "start time")?, number(g[5], "end time")?);
        let (g_score, a_score) = (
            number(g[7], "LM bytelog score")?,
            number(g[9], "acoustic bytelog score")?,
        );
        if start > prev_end && !is_state(g[0]) {
            words.push(g[0]);
            ac += a_score;
            lm += g_score;
            prev_end = end;
        }
    }
    let total = |sum: f64, what| {
        Some(bytelog_to_ln(sum))
            .filter(|v| v.is_finite())
            .ok_or(NbestErrorKind::OutOfRange {
                what,
                found: sum.to_string(),
                why: "the sum of the words' bytelog scores is past the range of a 64-bit float",
            })
    };
    let mut words: Words = words.into_iter().collect();
    words.strip_sentence_markers();
    Ok(Hypothesis {
        words,
        acoustic: total(ac, "acoustic score")?,
        lm: Some(total(lm, "LM score")?),
        ..Hypothesis::default()
    })
}
