//! Weights of a hypothesis' extra named scores
//! ([`Hypothesis::extra`](super::Hypothesis::extra)) in the combination:
//! [`ExtraWeights`], each a [`ScoreWeight`].
//!
//! The combination's fixed terms (see the [`combine`](super::combine) docs)
//! cover the scores every format has. A recognizer often gives more: Kaldi's
//! rescoring scripts split the first-pass graph cost into the part without
//! the LM (`lmwt.nolm`, read as the score `nolm`) and the LM's own part
//! (`lmwt.lmonly`, read as `lmonly`); a JSONL list may carry any number of
//! scores under names of its own, and an SRILM directory one per score
//! directory. `--score-weight NAME=W` adds `W * score` to each hypothesis'
//! total, for every name given; `--score-weight NAME=F*lm` (or `NAME=lm`, F
//! = 1) adds `F * lm_weight * score`, a weight that follows the LM weight
//! when `tune` changes it:
//!
//! ```text
//! total = ... (the fixed terms) + W1 * extra[NAME1] + W2 * extra[NAME2] + ...
//!       + lm_weight * (F1 * extra[NAME3] + F2 * extra[NAME4] + ...)
//! ```
//!
//! Kaldi's scripts weigh the whole graph cost by one LM weight (`LMWT`),
//! so replacing the first-pass LM as they do is `nolm=lm`: tuning the LM
//! weight then tunes the weight of the graph cost's other part with it.
//!
//! As in the fixed terms, a score weighted 0 counts for nothing, and an
//! infinite one (a probability of zero) weighted otherwise makes the total
//! `-inf`. A hypothesis without a score that is weighted counts it as 0, which
//! would rank it above the hypotheses with real (negative) scores:
//! [`ExtraWeights::check_lists`] refuses such lists, and `dashlm rescore` and
//! `tune` check them so.
//!
//! ```
//! use dashlm::rescore::{ExtraWeights, Hypothesis, NbestList};
//! let mut h = Hypothesis::new("a b", -10.0);
//! h.extra.insert("nolm".into(), -2.0);
//! let w = ExtraWeights::new().with("nolm", 12.0);
//! assert_eq!(w.weigh(&h.extra), -24.0);
//! let lists = vec![NbestList::new("u").with_hyp(h).with_hyp(Hypothesis::new("a", -9.0))];
//! assert!(w.check_lists(&lists).unwrap_err().contains("hypothesis 2: no score `nolm`"));
//! ```

use std::fmt;
use std::sync::Arc;

use super::combine::weighted;
use super::nbest::NbestList;
use super::scores::Scores;

/// How much one extra score weighs in a total.
///
/// ```
/// use dashlm::rescore::extra_weights::ScoreWeight;
/// assert_eq!(ScoreWeight::Fixed(2.5).at_lm_weight(10.0), 2.5);
/// assert_eq!(ScoreWeight::TimesLm(0.5).at_lm_weight(10.0), 5.0);
/// assert_eq!(ScoreWeight::TimesLm(0.5).to_string(), "0.5*lm");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScoreWeight {
    /// `W`: the term is `W * score`, whatever the LM weight.
    Fixed(f64),
    /// `F*lm`: the term is `lm_weight * (F * score)`; tuning the LM weight
    /// tunes this weight with it.
    TimesLm(f64),
}

impl ScoreWeight {
    /// The number given: the weight, or the multiple of the LM weight.
    ///
    /// ```
    /// use dashlm::rescore::extra_weights::ScoreWeight;
    /// assert_eq!(ScoreWeight::TimesLm(3.0).number(), 3.0);
    /// ```
    pub fn number(self) -> f64 {
        match self {
            ScoreWeight::Fixed(w) | ScoreWeight::TimesLm(w) => w,
        }
    }

    /// The weight the score has when the LM weight is `lm_weight` (the
    /// combination multiplies a [`ScoreWeight::TimesLm`] score by its
    /// factor, then the sum of such terms by the LM weight).
    ///
    /// ```
    /// use dashlm::rescore::extra_weights::ScoreWeight;
    /// assert_eq!(ScoreWeight::TimesLm(2.0).at_lm_weight(0.0), 0.0);
    /// ```
    pub fn at_lm_weight(self, lm_weight: f64) -> f64 {
        match self {
            ScoreWeight::Fixed(w) => w,
            ScoreWeight::TimesLm(f) => f * lm_weight,
        }
    }
}

/// The option that weighs `name` when it names one of the combination's own
/// terms (a hypothesis' acoustic or first-pass LM score, or the new LM score),
/// which no extra score of that name stands for unless the input has one.
fn built_in_term(name: &str) -> Option<&'static str> {
    match name {
        "acoustic" => Some("--acoustic-scale"),
        "lm" => Some("--first-pass-lm-weight (the hypothesis' first-pass LM score)"),
        "new_lm" => Some("--lm-weight (the model's score, which rescoring computes)"),
        _ => None,
    }
}

impl fmt::Display for ScoreWeight {
    /// As `--score-weight` takes it: `W`, or `F*lm`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScoreWeight::Fixed(w) => write!(f, "{w}"),
            ScoreWeight::TimesLm(x) => write!(f, "{x}*lm"),
        }
    }
}

/// Weights of extra named scores, each added times its score to a
/// hypothesis' total (see the [module](self) docs). Empty by default.
///
/// ```
/// use dashlm::rescore::extra_weights::ScoreWeight;
/// use dashlm::rescore::ExtraWeights;
/// let w = ExtraWeights::new().with("nolm", 10.0).with_times_lm("lmonly", 0.5);
/// assert_eq!(
///     w.iter().collect::<Vec<_>>(),
///     [("nolm", ScoreWeight::Fixed(10.0)), ("lmonly", ScoreWeight::TimesLm(0.5))]
/// );
/// assert!(ExtraWeights::default().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExtraWeights {
    weights: Vec<(Arc<str>, ScoreWeight)>,
}

impl ExtraWeights {
    /// No extra score weighted.
    ///
    /// ```
    /// assert!(dashlm::rescore::ExtraWeights::new().is_empty());
    /// ```
    pub fn new() -> ExtraWeights {
        ExtraWeights::default()
    }

    /// These weights with score `name` weighted `weight` (in place of its
    /// weight here, if it has one).
    ///
    /// ```
    /// use dashlm::rescore::extra_weights::ScoreWeight;
    /// use dashlm::rescore::ExtraWeights;
    /// let w = ExtraWeights::new().with("a", 1.0).with("a", 2.0);
    /// assert_eq!(w.iter().collect::<Vec<_>>(), [("a", ScoreWeight::Fixed(2.0))]);
    /// ```
    pub fn with(self, name: &str, weight: f64) -> ExtraWeights {
        self.with_weight(name, ScoreWeight::Fixed(weight))
    }

    /// These weights with score `name` weighted `factor` times the LM weight
    /// (in place of its weight here, if it has one).
    ///
    /// ```
    /// use dashlm::rescore::{ExtraWeights, Scores};
    /// let s: Scores = [("nolm", -2.0)].into_iter().collect();
    /// let w = ExtraWeights::new().with_times_lm("nolm", 1.5);
    /// assert_eq!((w.weigh(&s), w.weigh_times_lm(&s)), (0.0, -3.0));
    /// ```
    pub fn with_times_lm(self, name: &str, factor: f64) -> ExtraWeights {
        self.with_weight(name, ScoreWeight::TimesLm(factor))
    }

    /// These weights with score `name` weighted `weight` (in place of its
    /// weight here, if it has one).
    ///
    /// ```
    /// use dashlm::rescore::extra_weights::ScoreWeight;
    /// use dashlm::rescore::ExtraWeights;
    /// let w = ExtraWeights::new().with_weight("a", ScoreWeight::TimesLm(1.0));
    /// assert_eq!(w.iter().next(), Some(("a", ScoreWeight::TimesLm(1.0))));
    /// ```
    pub fn with_weight(mut self, name: &str, weight: ScoreWeight) -> ExtraWeights {
        match self.weights.iter_mut().find(|(n, _)| &**n == name) {
            Some(entry) => entry.1 = weight,
            None => self.weights.push((name.into(), weight)),
        }
        self
    }

    /// The weights of `pairs`, as `--score-weight` options give them.
    ///
    /// # Errors
    /// A name given twice (which weight was meant is not known).
    ///
    /// ```
    /// use dashlm::rescore::extra_weights::ScoreWeight::{Fixed, TimesLm};
    /// use dashlm::rescore::ExtraWeights;
    /// let pairs = [("nolm".to_string(), TimesLm(1.0)), ("conf".to_string(), Fixed(1.0))];
    /// assert_eq!(ExtraWeights::from_pairs(&pairs).unwrap().iter().count(), 2);
    /// let twice = [("nolm".to_string(), Fixed(10.0)), ("nolm".to_string(), TimesLm(1.0))];
    /// assert_eq!(ExtraWeights::from_pairs(&twice).unwrap_err(), "score `nolm` is weighted twice");
    /// ```
    pub fn from_pairs(pairs: &[(String, ScoreWeight)]) -> Result<ExtraWeights, String> {
        let mut w = ExtraWeights::new();
        for (name, weight) in pairs {
            if w.iter().any(|(n, _)| n == name) {
                return Err(format!("score `{name}` is weighted twice"));
            }
            w = w.with_weight(name, *weight);
        }
        Ok(w)
    }

    /// One `--score-weight` value: `NAME=W`, a score's name (not empty; it
    /// ends at the last `=`) and a finite weight, or `NAME=F*lm`, F times the
    /// LM weight (`NAME=lm`: F = 1).
    ///
    /// # Errors
    /// What is wrong with `arg`.
    ///
    /// ```
    /// use dashlm::rescore::extra_weights::ScoreWeight::{Fixed, TimesLm};
    /// use dashlm::rescore::ExtraWeights;
    /// assert_eq!(ExtraWeights::parse_arg("nolm=-1.5"), Ok(("nolm".to_string(), Fixed(-1.5))));
    /// assert_eq!(ExtraWeights::parse_arg("nolm=lm"), Ok(("nolm".to_string(), TimesLm(1.0))));
    /// assert_eq!(ExtraWeights::parse_arg("x=0.5*lm"), Ok(("x".to_string(), TimesLm(0.5))));
    /// assert_eq!(ExtraWeights::parse_arg("x= 2 * lm"), Ok(("x".to_string(), TimesLm(2.0))));
    /// assert!(ExtraWeights::parse_arg("nolm").is_err());
    /// assert!(ExtraWeights::parse_arg("nolm=inf").is_err());
    /// assert!(ExtraWeights::parse_arg("nolm=inf*lm").is_err());
    /// assert!(ExtraWeights::parse_arg("nolm=2*am").is_err());
    /// assert!(ExtraWeights::parse_arg("=2").is_err());
    /// assert_eq!(ExtraWeights::parse_arg("a=b=2"), Ok(("a=b".to_string(), Fixed(2.0))));
    /// ```
    pub fn parse_arg(arg: &str) -> Result<(String, ScoreWeight), String> {
        let expected = "expected NAME=W, a score's name and a finite number (e.g. nolm=10), \
                        or NAME=F*lm, F times the LM weight (e.g. nolm=lm, lmonly=0.5*lm)";
        let Some((name, weight)) = arg.rsplit_once('=') else {
            return Err(format!("`{arg}`: {expected}"));
        };
        if name.is_empty() {
            return Err(format!("`{arg}`: the name `{name}`: {expected}"));
        }
        let w = weight.trim();
        let parsed = match w.strip_suffix("lm") {
            Some("") => Some(ScoreWeight::TimesLm(1.0)),
            Some(factor) => (factor.trim_end())
                .strip_suffix('*')
                .and_then(|f| f.trim().parse::<f64>().ok())
                .map(ScoreWeight::TimesLm),
            None => w.parse::<f64>().ok().map(ScoreWeight::Fixed),
        };
        match parsed {
            Some(p) if p.number().is_finite() => Ok((name.to_string(), p)),
            _ => Err(format!("`{arg}`: the weight `{weight}`: {expected}")),
        }
    }

    /// Each name and its weight, in the order they were given.
    ///
    /// ```
    /// use dashlm::rescore::extra_weights::ScoreWeight;
    /// let w = dashlm::rescore::ExtraWeights::new().with("x", 2.0);
    /// assert_eq!(w.iter().next(), Some(("x", ScoreWeight::Fixed(2.0))));
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, ScoreWeight)> + '_ {
        self.weights.iter().map(|(n, w)| (&**n, *w))
    }

    /// Whether no score is weighted.
    ///
    /// ```
    /// assert!(!dashlm::rescore::ExtraWeights::new().with("x", 0.0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// An error naming the first weight (or multiple of the LM weight) that
    /// is NaN or infinite.
    ///
    /// # Errors
    /// The score's name and its weight.
    ///
    /// ```
    /// use dashlm::rescore::ExtraWeights;
    /// assert!(ExtraWeights::new().with("x", 1.0).check().is_ok());
    /// assert_eq!(
    ///     ExtraWeights::new().with("x", f64::NAN).check().unwrap_err(),
    ///     "the weight of score `x` is NaN, not a finite number"
    /// );
    /// assert_eq!(
    ///     ExtraWeights::new().with_times_lm("x", f64::INFINITY).check().unwrap_err(),
    ///     "the weight of score `x` is inf*lm, not a finite number"
    /// );
    /// ```
    pub fn check(&self) -> Result<(), String> {
        match self.iter().find(|(_, w)| !w.number().is_finite()) {
            Some((name, w)) => Err(format!(
                "the weight of score `{name}` is {w}, not a finite number"
            )),
            None => Ok(()),
        }
    }

    /// An error naming the first hypothesis of `lists` without a score these
    /// weights weigh (a weight, or a multiple of the LM weight, other than
    /// 0): the combination would count it as 0, above every real (negative)
    /// score.
    ///
    /// # Errors
    /// The utterance, the hypothesis (from 1), the score and its weight.
    ///
    /// ```
    /// use dashlm::rescore::{ExtraWeights, Hypothesis, NbestList};
    /// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("a", -1.0))];
    /// assert!(ExtraWeights::new().with("nolm", 0.0).check_lists(&lists).is_ok());
    /// assert_eq!(
    ///     ExtraWeights::new().with("nolm", 2.0).check_lists(&lists).unwrap_err(),
    ///     "utterance `u`, hypothesis 1: no score `nolm`, but its weight is 2: give every \
    ///      hypothesis one (a JSONL hypothesis' `nolm`, a Kaldi `nolm.score` archive, an \
    ///      SRILM score directory `nolm/`) or weight it 0"
    /// );
    /// assert!(ExtraWeights::new().with_times_lm("nolm", 1.0).check_lists(&lists).is_err());
    /// // A term of the combination's own is not an extra score.
    /// let err = ExtraWeights::new().with("lm", 1.0).check_lists(&lists).unwrap_err();
    /// assert!(err.ends_with("`lm` is not an extra score but a term of the combination of its \
    ///     own, weighted by --first-pass-lm-weight (the hypothesis' first-pass LM score)"), "{err}");
    /// ```
    pub fn check_lists(&self, lists: &[NbestList]) -> Result<(), String> {
        for (name, weight) in self.iter().filter(|&(_, w)| w.number() != 0.0) {
            for list in lists {
                if let Some(k) = list.hyps.iter().position(|h| !h.extra.contains_key(name)) {
                    let list_id = super::error::clip(&list.id);
                    let head = format!(
                        "utterance `{list_id}`, hypothesis {}: no score `{name}`, but its weight \
                         is {weight}",
                        k + 1,
                    );
                    return Err(match built_in_term(name) {
                        Some(option) => format!(
                            "{head}: `{name}` is not an extra score but a term of the \
                             combination of its own, weighted by {option}"
                        ),
                        None => format!(
                            "{head}: give every hypothesis one (a JSONL hypothesis' `{name}`, a \
                             Kaldi `{name}.score` archive, an SRILM score directory `{name}/`) \
                             or weight it 0"
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The weighted sum of `extra`'s scores that have fixed weights: each
    /// weight times its score (a missing score counts 0), added in the order
    /// the weights were given ([`HypFeatures::extra`](super::HypFeatures::extra)).
    /// `-inf` when a score weighted other than 0 is infinite (a probability
    /// of zero); NaN when finite scores and weights sum past a 64-bit float's
    /// range (the total is then NaN, which [`check_overflow`](super::check_overflow)
    /// reports).
    ///
    /// ```
    /// use dashlm::rescore::{ExtraWeights, Scores};
    /// let s: Scores = [("a", -1.0), ("b", f64::NEG_INFINITY)].into_iter().collect();
    /// assert_eq!(ExtraWeights::new().with("a", 3.0).weigh(&s), -3.0);
    /// assert_eq!(ExtraWeights::new().with("a", 3.0).with("b", 0.0).weigh(&s), -3.0);
    /// assert_eq!(ExtraWeights::new().with("b", -1.0).weigh(&s), f64::NEG_INFINITY);
    /// let big: Scores = [("a", -1e300)].into_iter().collect();
    /// assert!(ExtraWeights::new().with("a", 1e10).weigh(&big).is_nan());
    /// ```
    pub fn weigh(&self, extra: &Scores) -> f64 {
        self.sum(extra, |w| match w {
            ScoreWeight::Fixed(w) => w,
            ScoreWeight::TimesLm(_) => 0.0,
        })
    }

    /// [`ExtraWeights::weigh`] for the scores weighted by multiples of the
    /// LM weight: each factor times its score, summed; the combination
    /// multiplies the sum by the LM weight
    /// ([`HypFeatures::extra_times_lm`](super::HypFeatures::extra_times_lm)).
    ///
    /// ```
    /// use dashlm::rescore::{ExtraWeights, Scores};
    /// let s: Scores = [("a", -1.0), ("b", -4.0)].into_iter().collect();
    /// let w = ExtraWeights::new().with("a", 3.0).with_times_lm("b", 0.5);
    /// assert_eq!((w.weigh(&s), w.weigh_times_lm(&s)), (-3.0, -2.0));
    /// ```
    pub fn weigh_times_lm(&self, extra: &Scores) -> f64 {
        self.sum(extra, |w| match w {
            ScoreWeight::Fixed(_) => 0.0,
            ScoreWeight::TimesLm(f) => f,
        })
    }

    /// The sum of `extra`'s scores, each times the number `number` gives its
    /// weight (see [`ExtraWeights::weigh`]).
    fn sum(&self, extra: &Scores, number: impl Fn(ScoreWeight) -> f64) -> f64 {
        let mut sum = 0.0;
        for (name, weight) in self.iter() {
            let weight = number(weight);
            let score = extra.get(name).copied().unwrap_or(0.0);
            if weight != 0.0 && score.is_infinite() {
                return f64::NEG_INFINITY;
            }
            sum += weighted(weight, score);
        }
        if sum.is_finite() {
            sum
        } else {
            f64::NAN
        }
    }
}
