//! JSONL n-best lists: one JSON object per utterance per line.
//!
//! ```text
//! {"id": "utt1", "ref": "the cat sat", "hyps": [{"words": "the cat sat", "acoustic": -120.5, "lm": -14.2}, {"words": "a cat sat", "acoustic": -119.9, "lm": -16.0, "decoder_total": -255.1}]}
//! ```
//!
//! - `id` (string) and `hyps` (array) are required; `ref` (string) is optional.
//! - Each hypothesis has `words` (a string, or an array of strings joined with
//!   spaces and split again as a string is: `["a b", ""]` is the words `a b`;
//!   the writers write a string), `acoustic`
//!   (number) and optionally `lm` (number); every other field must be a number
//!   and is kept as a named extra score ([`Hypothesis::extra`]).
//! - All scores are natural-log values. Other top-level fields are ignored.
//! - Blank lines are skipped; leading `<s>` and trailing `</s>` markers (however many) are removed
//!   from hypotheses and references.
//! - An object that gives a key twice (`{"id": "u1", "id": "u2"}`) is an
//!   error: JSON readers differ on which value counts.
//!
//! ```
//! let line = r#"{"id": "utt1", "ref": "the cat sat", "hyps": [{"words": "<s> the cat sat </s>", "acoustic": -120.5, "lm": -14.2, "graph": -3.5}]}"#;
//! let lists = dashlm::rescore::jsonl::read(line.as_bytes(), "dev.jsonl").unwrap();
//! let hyp = &lists[0].hyps[0];
//! assert_eq!(hyp.text(), "the cat sat");
//! assert_eq!((hyp.acoustic, hyp.lm), (-120.5, Some(-14.2)));
//! assert_eq!(hyp.extra.get("graph"), Some(&-3.5));
//! let err = dashlm::rescore::jsonl::read(&b"{\"id\": \"u\"}\n"[..], "dev.jsonl").unwrap_err();
//! assert_eq!(err.to_string(), "dev.jsonl:1: field `hyps`: missing");
//! ```

use std::cell::RefCell;
use std::fmt;
use std::io::{self, BufRead, Write};
use std::path::Path;

use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::error::{clip, NbestError, NbestErrorKind};
use super::joined::Words;
use super::nbest::{hyp_words_joined, Hypothesis, NbestList};
use super::scores::Names;
use super::text_input::{parse_lines_parallel, Lines};
use super::writable::{IdUse, LogZero};

/// Reads JSONL n-best lists from `input`; `source` names it in errors.
///
/// # Errors
/// Invalid JSON, a missing or mistyped field, a key given twice in one object,
/// or a duplicate id, with the line.
///
/// ```
/// let text = "{\"id\": \"u1\", \"ref\": \"a b\", \"hyps\": [{\"words\": \"a b\", \"acoustic\": -5.5, \"lm\": -2, \"conf\": 0.5}]}\n";
/// let lists = dashlm::rescore::jsonl::read(text.as_bytes(), "x.jsonl").unwrap();
/// assert_eq!(lists[0].hyps[0].lm, Some(-2.0));
/// assert_eq!(lists[0].hyps[0].extra["conf"], 0.5);
/// ```
pub fn read<R: BufRead>(input: R, source: &str) -> Result<Vec<NbestList>, NbestError> {
    let mut lines = Lines::new(input, source);
    let lines = std::iter::from_fn(|| {
        let next = lines.next_line().transpose()?;
        Some(next.map(|(text, line_no)| (line_no, text.to_string())))
    });
    // Lines are parsed in parallel, a batch at a time, and taken in order:
    // the error reported is the first line's, as one by one.
    parse_lines_parallel(lines, source, parse_line, |list| &list.id)
}

/// Reads a JSONL file (plain, .gz or .xz; `-` is standard input).
///
/// # Errors
/// As [`read`], plus failing to open the file.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("a.jsonl");
/// std::fs::write(&p, "{\"id\": \"u\", \"hyps\": []}\n").unwrap();
/// assert_eq!(dashlm::rescore::jsonl::read_path(&p).unwrap()[0].id, "u");
/// ```
pub fn read_path(path: &Path) -> Result<Vec<NbestList>, NbestError> {
    let name = crate::arpa::input_name(path);
    let input = crate::arpa::open_input(path).map_err(|e| NbestError::io(&name, e))?;
    read(input.reader, &name)
}

fn field_err(field: impl fmt::Display, problem: impl Into<String>) -> NbestErrorKind {
    NbestErrorKind::Field {
        field: field.to_string(),
        problem: problem.into(),
    }
}

/// A hypothesis' field as errors name it, `hyps[2].words` (formatted only for
/// an error).
#[derive(Clone, Copy)]
struct HypField<'a>(usize, &'a str);

impl fmt::Display for HypField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hyps[{}].{}", self.0, self.1)
    }
}

fn words_of(value: &Value, field: impl fmt::Display) -> Result<Words, NbestErrorKind> {
    match value {
        Value::String(s) => Ok(hyp_words_joined(s)),
        Value::Array(items) => {
            let mut text = String::new();
            for item in items {
                let w = item
                    .as_str()
                    .ok_or_else(|| field_err(&field, "expected a string or an array of strings"))?;
                text.push_str(w);
                text.push(' ');
            }
            Ok(hyp_words_joined(&text))
        }
        _ => Err(field_err(field, "expected a string or an array of strings")),
    }
}

/// `value` as a field error quotes it (clipped: it may be a long array).
fn found(value: &Value) -> String {
    clip(&value.to_string()).into_owned()
}

fn number(value: &Value, field: impl fmt::Display) -> Result<f64, NbestErrorKind> {
    value
        .as_f64()
        .ok_or_else(|| field_err(field, format!("expected a number, found {}", found(value))))
}

/// Hypothesis `index` of a line, its score names from the line's `names`.
fn parse_hyp(value: &Value, index: usize, names: &mut Names) -> Result<Hypothesis, NbestErrorKind> {
    let name = |f| HypField(index, f);
    let Value::Object(obj) = value else {
        return Err(field_err(format!("hyps[{index}]"), "expected an object"));
    };
    let words = obj
        .get("words")
        .ok_or_else(|| field_err(name("words"), "missing"))?;
    let acoustic = obj
        .get("acoustic")
        .ok_or_else(|| field_err(name("acoustic"), "missing"))?;
    let mut hyp = Hypothesis {
        words: words_of(words, name("words"))?,
        acoustic: number(acoustic, name("acoustic"))?,
        ..Hypothesis::default()
    };
    for (key, v) in obj {
        match key.as_str() {
            "words" | "acoustic" => {}
            "lm" => {
                if !v.is_null() {
                    hyp.lm = Some(number(v, name("lm"))?);
                }
            }
            other => {
                hyp.extra.insert(names.get(other), number(v, name(other))?);
            }
        }
    }
    Ok(hyp)
}

fn parse_object(obj: &Map<String, Value>) -> Result<NbestList, NbestErrorKind> {
    let id = match obj.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            let problem = format!("expected a string, found {}", found(other));
            return Err(field_err("id", problem));
        }
        None => return Err(field_err("id", "missing")),
    };
    let reference = match obj.get("ref") {
        None | Some(Value::Null) => None,
        Some(v) => Some(words_of(v, "ref")?.to_strings()),
    };
    let mut names = Names::default();
    let hyps = match obj.get("hyps") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, h)| parse_hyp(h, i, &mut names))
            .collect::<Result<_, _>>()?,
        Some(other) => {
            let problem = format!("expected an array, found {}", found(other));
            return Err(field_err("hyps", problem));
        }
        None => return Err(field_err("hyps", "missing")),
    };
    Ok(NbestList {
        id,
        reference,
        hyps,
    })
}

/// A JSON value as `serde_json::Value` reads it, but a key given twice in
/// one object is an error (the key is put in the cell), not the last value
/// silently kept.
#[derive(Clone, Copy)]
struct UniqueKeys<'a>(&'a RefCell<Option<String>>);

impl<'de> DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                let message = format!("key `{key}` appears twice");
                *self.0.borrow_mut() = Some(key);
                return Err(de::Error::custom(message));
            }
            let value = map.next_value_seed(self)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Parses one line of JSON (a JSONL n-best line, or a `wer` transcript
/// line); a key given twice in one object is an error.
pub(crate) fn parse_json(line: &str) -> Result<Value, NbestErrorKind> {
    let duplicate = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(line);
    let value = UniqueKeys(&duplicate)
        .deserialize(&mut deserializer)
        .and_then(|v| deserializer.end().map(|()| v));
    value.map_err(|e| match duplicate.take() {
        Some(key) => NbestErrorKind::DuplicateJsonKey(key),
        None => {
            // The parser sees one line: its "at line 1 column C" would
            // contradict the file's line number in front of the message.
            let text = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let text = match text.strip_suffix(&suffix) {
                Some(what) if e.line() == 1 => format!("{what} at column {}", e.column()),
                _ => text,
            };
            NbestErrorKind::Json(format!("{text}{}", non_finite_hint(line, e.column())))
        }
    })
}

/// A hint for a JSON error at `column` (1-based, in bytes) of `line` when a
/// `NaN` or `Infinity` (after an optional `-`) starts there: Python's `json`
/// writes them by default, JSON has no such numbers.
fn non_finite_hint(line: &str, column: usize) -> &'static str {
    let rest = line.get(column.saturating_sub(1)..).unwrap_or("");
    match rest.starts_with("NaN") || rest.starts_with("Infinity") {
        true => {
            " (JSON has no NaN or infinite numbers; Python's `json` writes them unless \
             `allow_nan=False`)"
        }
        false => "",
    }
}

fn parse_line(line: &str) -> Result<NbestList, NbestErrorKind> {
    // Well-formed lines straight into the lists' types; anything else through
    // a `Value` tree, for the precise error.
    match super::jsonl_fast::parse(line) {
        Some(list) => Ok(list),
        None => parse_line_value(line),
    }
}

/// A line read through a `serde_json::Value` tree, which tells what is wrong
/// with a line that is not a well-formed list (its first problem).
pub(super) fn parse_line_value(line: &str) -> Result<NbestList, NbestErrorKind> {
    let value = parse_json(line)?;
    match &value {
        Value::Object(obj) => parse_object(obj),
        _ => Err(NbestErrorKind::Json("expected an object".to_string())),
    }
}

/// Appends `s` as a JSON string.
fn push_string(line: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(line, s).expect("strings serialize into memory");
}

/// Appends `x` as a JSON number (non-finite values have no JSON form;
/// serde_json writes them as null, and [`check`] refuses them first).
fn push_number(line: &mut Vec<u8>, x: f64) {
    serde_json::to_writer(line, &x).expect("numbers serialize into memory");
}

/// The checks [`write()`] makes before writing anything (its `# Errors`).
pub(crate) fn check(lists: &[NbestList]) -> io::Result<()> {
    super::writable::check_lists(lists, IdUse::Json, LogZero::Refused)?;
    super::writable::first_error(lists, |list| {
        for (k, h) in list.hyps.iter().enumerate() {
            if let Some(name) = ["words", "acoustic", "lm"]
                .into_iter()
                .find(|n| h.extra.contains_key(n))
            {
                return Err(super::writable::unwritable(format!(
                    "utterance `{}`, hypothesis {}: an extra score named `{name}` cannot be \
                     written (it would read back as the hypothesis' own field)",
                    super::error::clip(&list.id),
                    k + 1
                )));
            }
        }
        Ok(())
    })
}

/// Writes `lists` as JSONL, one line per list, fields in the documented order
/// (`id`, `ref`, `hyps`; per hypothesis `words`, `acoustic`, `lm`, then extras
/// by name). Numbers are written in their shortest exact form, so reading the
/// output back gives the same lists.
///
/// # Errors
/// Any I/O error; before anything is written, an [`io::ErrorKind::InvalidInput`]
/// error naming the utterance for what would not read back as written: two
/// lists with one id, a word that is empty or holds whitespace, a leading `<s>`
/// or trailing `</s>` (in a hypothesis or reference), a score that is NaN or
/// infinite (JSON has no such numbers), or an extra score named `words`,
/// `acoustic` or `lm`.
///
/// ```
/// use dashlm::rescore::{jsonl, Hypothesis, NbestList};
/// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("a", -1.5))];
/// let mut out = Vec::new();
/// jsonl::write(&mut out, &lists).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "{\"id\": \"u\", \"hyps\": [{\"words\": \"a\", \"acoustic\": -1.5}]}\n");
/// let bad = vec![NbestList::new("u").with_hyp(Hypothesis::new("a", f64::NAN))];
/// assert!(jsonl::write(&mut Vec::new(), &bad).unwrap_err().to_string().contains("not a finite number"));
/// ```
pub fn write<W: Write>(out: &mut W, lists: &[NbestList]) -> io::Result<()> {
    check(lists)?;
    // Lines are formatted in parallel, a batch of lists at a time, and
    // written in order.
    let mut rest = lists;
    while !rest.is_empty() {
        let (batch, after) = rest.split_at(batch_len(rest));
        let lines: Vec<Vec<u8>> = batch.par_iter().map(line).collect();
        for l in &lines {
            out.write_all(l)?;
        }
        rest = after;
    }
    Ok(())
}

/// The most lists formatted together by [`write()`].
const WRITE_BATCH: usize = 256;

/// About the most bytes of lines formatted together by [`write()`]: lists of
/// many hypotheses fill a batch before [`WRITE_BATCH`] lists do (100 lists of
/// 10,000 hypotheses took 105 MB of formatted lines at once).
const WRITE_BATCH_BYTES: usize = 8 << 20;

/// How many of the first lists of `lists` make one batch of [`write()`]: at
/// least one, at most [`WRITE_BATCH`], and no more than about
/// [`WRITE_BATCH_BYTES`] of lines by [`line_len_estimate`].
fn batch_len(lists: &[NbestList]) -> usize {
    let mut bytes = 0;
    let mut n = 0;
    for list in lists.iter().take(WRITE_BATCH) {
        bytes += line_len_estimate(list);
        if n > 0 && bytes > WRITE_BATCH_BYTES {
            break;
        }
        n += 1;
    }
    n
}

/// About the length of `list`'s JSONL line: its text and, per hypothesis and
/// score, the keys and digits around it (an estimate, for batching only).
fn line_len_estimate(list: &NbestList) -> usize {
    let text = list.id.len()
        + (list.reference.iter().flatten())
            .map(|w| w.len() + 1)
            .sum::<usize>();
    let hyps: usize = (list.hyps.iter())
        .map(|h| h.words.as_str().len() + 64 + 32 * h.extra.len())
        .sum();
    32 + text + hyps
}

/// The JSONL line of `list`, every value serialized into it (no allocation
/// per value).
fn line(list: &NbestList) -> Vec<u8> {
    let mut line: Vec<u8> = Vec::with_capacity(line_len_estimate(list));
    line.extend_from_slice(b"{\"id\": ");
    push_string(&mut line, &list.id);
    if let Some(r) = &list.reference {
        line.extend_from_slice(b", \"ref\": ");
        push_string(&mut line, &r.join(" "));
    }
    line.extend_from_slice(b", \"hyps\": [");
    for (i, h) in list.hyps.iter().enumerate() {
        if i > 0 {
            line.extend_from_slice(b", ");
        }
        line.extend_from_slice(b"{\"words\": ");
        push_string(&mut line, h.words.as_str());
        line.extend_from_slice(b", \"acoustic\": ");
        push_number(&mut line, h.acoustic);
        if let Some(lm) = h.lm {
            line.extend_from_slice(b", \"lm\": ");
            push_number(&mut line, lm);
        }
        for (k, v) in &h.extra {
            line.extend_from_slice(b", ");
            push_string(&mut line, k);
            line.extend_from_slice(b": ");
            push_number(&mut line, *v);
        }
        line.push(b'}');
    }
    line.extend_from_slice(b"]}\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rescore::Hypothesis;

    fn list(hyps: usize) -> NbestList {
        (0..hyps).fold(NbestList::new("u"), |l, _| {
            l.with_hyp(Hypothesis::new("a b c", -1.0))
        })
    }

    #[test]
    fn batches_are_bounded_by_lists_and_by_bytes() {
        let small: Vec<NbestList> = (0..600).map(|_| list(2)).collect();
        assert_eq!(batch_len(&small), WRITE_BATCH);
        assert_eq!(batch_len(&small[..10]), 10);
        // 20,000 hypotheses of about 70 estimated bytes: a list of about 1.4 MB.
        let big: Vec<NbestList> = (0..20).map(|_| list(20_000)).collect();
        let n = batch_len(&big);
        assert!((1..20).contains(&n), "{n}");
        let bytes: usize = big[..n].iter().map(line_len_estimate).sum();
        assert!(bytes <= WRITE_BATCH_BYTES, "{bytes}");
        // One list larger than a batch is a batch of its own.
        assert_eq!(batch_len(&[list(200_000), list(1)]), 1);
        // The estimate is of the order of the line's length.
        let l = list(1000);
        let real = line(&l).len();
        let estimate = line_len_estimate(&l);
        assert!(
            real / 2 < estimate && estimate < real * 4,
            "{real} {estimate}"
        );
    }
}
