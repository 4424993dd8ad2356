//! `dashlm query`: KenLM-compatible scoring of text read line by line.
//!
//! ```
//! use dashlm::{query, ReferenceModel};
//! let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
//! let verbosity = query::Verbosity { word: true, sentence: true, summary: false };
//! let mut out = Vec::new();
//! let summary = query::run(&lm, &b"the cat\n"[..], &mut out, verbosity, true).unwrap();
//! // Per word `word=id order log10prob`, then the line's total, printed as KenLM
//! // prints f32s (`kenlm_number`: the shortest digits that read back the same).
//! let text = String::from_utf8(out).unwrap();
//! assert_eq!(text, "the=3 2 -0.4\tcat=4 3 -0.2\t</s>=2 1 -1.4499999\tTotal: -2.05 OOV: 0\n");
//! assert_eq!((summary.tokens, summary.oov), (3, 0));
//! assert!((summary.perplexity() - 4.8232).abs() < 1e-4); // 10^(2.05 / 3)
//! ```

use std::io::{self, BufRead, Write};

use crate::lm::LanguageModel;
use crate::vocab::UNK;

/// What to print, as KenLM's `query -v` chooses.
///
/// ```
/// let v = dashlm::query::Verbosity { word: false, sentence: true, summary: false };
/// assert!(v.sentence);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verbosity {
    /// `word=id order log10prob\t` per word.
    pub word: bool,
    /// `Total: X OOV: N` per line.
    pub sentence: bool,
    /// The perplexity summary at the end.
    pub summary: bool,
}

/// Corpus-level figures from [`run`].
///
/// ```
/// let s = dashlm::query::Summary::default();
/// assert_eq!(s.tokens, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    /// Sum of log10 probabilities of all tokens.
    pub total: f64,
    /// Sum over OOV tokens only.
    pub total_oov: f64,
    /// Number of OOV tokens.
    pub oov: u64,
    /// Number of tokens (words and `</s>`).
    pub tokens: u64,
}

impl Summary {
    /// Perplexity including OOVs, as KenLM computes it.
    ///
    /// ```
    /// use dashlm::query::Summary;
    /// let s = Summary { total: -4.0, tokens: 2, ..Summary::default() };
    /// assert!((s.perplexity() - 100.0).abs() < 1e-9); // 10^(4 / 2)
    /// ```
    pub fn perplexity(&self) -> f64 {
        10f64.powf(-self.total / self.tokens as f64)
    }

    /// Perplexity excluding OOVs, as KenLM computes it.
    ///
    /// ```
    /// use dashlm::query::Summary;
    /// let s = Summary { total: -102.0, total_oov: -100.0, oov: 1, tokens: 3 };
    /// assert!((s.perplexity_excluding_oov() - 10.0).abs() < 1e-9); // 10^(2 / 2)
    /// ```
    pub fn perplexity_excluding_oov(&self) -> f64 {
        10f64.powf(-(self.total - self.total_oov) / (self.tokens - self.oov) as f64)
    }
}

/// Formats a number the way KenLM's `query` does (double-conversion's shortest
/// representation: plain decimals for exponents -6..21, else `1.5e-7`, `-inf`).
///
/// ```
/// use dashlm::query::kenlm_number;
/// assert_eq!(kenlm_number(-1.25f32 as f64, true), "-1.25");
/// assert_eq!(kenlm_number(f64::NEG_INFINITY, true), "-inf");
/// assert_eq!(kenlm_number(1e-7, false), "1e-7");
/// assert_eq!(kenlm_number(-100.0, true), "-100");
/// assert_eq!(kenlm_number(-36.6953125, true), "-36.695312"); // a tie: to even
/// ```
pub fn kenlm_number(value: f64, single: bool) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-inf" } else { "inf" }.into();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Shortest round-trip digits and exponent from Rust's `{:e}`.
    let sci = if single {
        format!("{:e}", value as f32)
    } else {
        format!("{value:e}")
    };
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let digits = tie_to_even(value, single, digits, exp);
    let point = exp + 1; // position of the decimal point after `digits[0..point]`
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if -6 < point && point <= 21 {
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if point as usize >= digits.len() {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
        } else {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push_str(&(point - 1).to_string());
    }
    out
}

/// When `value` lies exactly halfway between two shortest representations,
/// Rust's `{:e}` takes the upper one and double-conversion (KenLM) the even one:
/// -36.6953125f32 prints as `-36.695313` in Rust and `-36.695312` in KenLM.
/// `digits` (with decimal exponent `exp`) are Rust's; returns KenLM's.
fn tie_to_even(value: f64, single: bool, digits: String, exp: i32) -> String {
    let n = digits.len();
    if (digits.as_bytes()[n - 1] - b'0').is_multiple_of(2) {
        return digits;
    }
    // The exact decimal expansion (an f32 has at most 112 significant digits, an f64 767).
    let exact = format!("{:.*e}", if single { 150 } else { 800 }, value.abs());
    let (mantissa, exact_exp) = exact.split_once('e').expect("`{:e}` has an exponent");
    let exact: Vec<u8> = mantissa.bytes().filter(|b| *b != b'.').collect();
    let tie = exact[n] == b'5' && exact[n + 1..].iter().all(|&b| b == b'0');
    if !tie || exact_exp.parse::<i32>() != Ok(exp) {
        return digits;
    }
    // Rust rounded up to an odd last digit: the truncation is the even neighbour.
    let even = String::from_utf8(exact[..n].to_vec()).expect("ASCII digits");
    let text = format!("0.{even}e{}", exp + 1);
    let round_trips = if single {
        text.parse::<f32>().ok() == Some(value.abs() as f32)
    } else {
        text.parse::<f64>().ok() == Some(value.abs())
    };
    if round_trips {
        even
    } else {
        digits
    }
}

/// Scores every line of `input` (whitespace-separated words) and prints what
/// KenLM's `query` prints. With `sentence_context`, each line starts at `<s>`
/// and ends with `</s>` (KenLM: a last line without a newline gets no `</s>`
/// whose total is left out of the summary); otherwise (`-n`) each line starts from the empty context.
///
/// # Errors
/// I/O errors reading `input` or writing `output`.
///
/// ```
/// use dashlm::{query, ReferenceModel};
/// let lm = ReferenceModel::read(&include_bytes!("../data/tiny.arpa")[..], "tiny").unwrap();
/// let mut out = Vec::new();
/// let v = query::Verbosity { word: false, sentence: true, summary: false };
/// query::run(&lm, &b"the cat sat\n"[..], &mut out, v, true).unwrap();
/// assert!(String::from_utf8(out).unwrap().starts_with("Total: "));
/// ```
pub fn run<M: LanguageModel>(
    model: &M,
    mut input: impl BufRead,
    mut output: impl Write,
    verbosity: Verbosity,
    sentence_context: bool,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let complete = line.last() == Some(&b'\n');
        let mut state = if sentence_context {
            model.begin_sentence_state()
        } else {
            model.null_context_state()
        };
        let mut next = state;
        let mut total = 0f32;
        let mut oov = 0u64;
        for word in crate::text::split(&line) {
            let id = model.word_id(word);
            let r = model.full_score(&state, id, &mut next);
            if id == UNK {
                oov += 1;
                summary.total_oov += r.log10_prob as f64;
            }
            total += r.log10_prob;
            summary.tokens += 1;
            if verbosity.word {
                output.write_all(word)?;
                write!(
                    output,
                    "={id} {} {}\t",
                    r.ngram_length,
                    kenlm_number(r.log10_prob as f64, true)
                )?;
            }
            state = next;
        }
        if !complete {
            // KenLM stops at a final line with no newline: no </s>, no line total, and
            // (a KenLM quirk kept for identical output) its tokens and OOV log
            // probabilities count in the summary while its total and OOV count do not.
            break;
        }
        if sentence_context {
            let r = model.full_score(&state, model.eos_id(), &mut next);
            total += r.log10_prob;
            summary.tokens += 1;
            if verbosity.word {
                write!(
                    output,
                    "</s>={} {} {}\t",
                    model.eos_id(),
                    r.ngram_length,
                    kenlm_number(r.log10_prob as f64, true)
                )?;
            }
        }
        if verbosity.sentence {
            writeln!(
                output,
                "Total: {} OOV: {oov}",
                kenlm_number(total as f64, true)
            )?;
        }
        summary.total += total as f64;
        summary.oov += oov;
    }
    if verbosity.summary {
        write!(
            output,
            "Perplexity including OOVs:\t{}\nPerplexity excluding OOVs:\t{}\nOOVs:\t{}\nTokens:\t{}\n",
            kenlm_number(summary.perplexity(), false),
            kenlm_number(summary.perplexity_excluding_oov(), false),
            summary.oov,
            summary.tokens
        )?;
    }
    output.flush()?;
    Ok(summary)
}
