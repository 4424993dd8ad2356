//! The transcript reader's fast path: a JSONL line's id and the one string of
//! words [`read_transcripts`](super::wer::read_transcripts) takes from it,
//! read without building a `serde_json::Value` tree (which allocates a map,
//! its keys and its values for every hypothesis of an n-best line, only for
//! one string to be used).
//!
//! Every other value is read through, as the `Value` path reads it (so
//! invalid JSON, a number out of range or a key given twice inside any object
//! fails here too), and dropped. Anything unusual (no usable string, a key
//! given twice, an escaped key, invalid JSON) gives `None`, and
//! [`super::transcripts`] reads the line again through its `Value` path,
//! which finds the precise error. So this path only has to agree with that
//! one on the lines it reads, and gives up on the rest (modeled on
//! [`super::jsonl_fast`]).
//!
//! Private to [`rescore`](super).

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::jsonl_fast::{give_up, give_up_at};

/// `line`'s id and the text of its words (`ref` for a reference; else
/// `words`, `text`, the first hypothesis' `words`, or nothing when `hyps` is
/// empty, the first of them that is a string) if the `Value` path would read
/// the same; `None` otherwise.
pub(super) fn parse(line: &str, reference: bool) -> Option<(String, Cow<'_, str>)> {
    let mut keys = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_str(line);
    let seed = Transcript {
        keys: &mut keys,
        reference,
    };
    let found = seed.deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(found)
}

/// Reads the entries of `map`: `value(key, map, keys)` reads the value of
/// each key. `keys` is a stack shared by the objects being read (an object's
/// keys are pushed above its parents' and popped at its end), so a line's
/// objects take no allocation of their own; a key given twice in one object,
/// an escaped key or more than [`MAX_KEYS`](super::jsonl_fast::MAX_KEYS) keys give up.
fn each_entry<'de, A: MapAccess<'de>>(
    keys: &mut Vec<&'de str>,
    map: &mut A,
    mut value: impl FnMut(&'de str, &mut A, &mut Vec<&'de str>) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    let start = keys.len();
    // `&str` keys borrow from the line: an escaped key fails to read.
    while let Some(key) = map.next_key::<&'de str>()? {
        if give_up_at(&keys[start..], key) {
            return Err(give_up());
        }
        keys.push(key);
        value(key, map, keys)?;
    }
    keys.truncate(start);
    Ok(())
}

/// The top-level object: `id` and the fields the words may come from; every
/// other field read through ([`Any`]).
struct Transcript<'k, 'de> {
    keys: &'k mut Vec<&'de str>,
    reference: bool,
}

impl<'de> DeserializeSeed<'de> for Transcript<'_, 'de> {
    type Value = (String, Cow<'de, str>);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Transcript<'_, 'de> {
    type Value = (String, Cow<'de, str>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a transcript")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let reference = self.reference;
        let (mut id, mut words, mut text, mut hyps) = (None, None, None, None);
        each_entry(self.keys, &mut map, |key, map, keys| {
            let string = |keys| Any { keys, keep: true };
            match key {
                "id" => id = map.next_value_seed(string(keys))?,
                "ref" if reference => words = map.next_value_seed(string(keys))?,
                "words" if !reference => words = map.next_value_seed(string(keys))?,
                "text" if !reference => text = map.next_value_seed(string(keys))?,
                "hyps" if !reference => hyps = Some(map.next_value_seed(Hyps { keys })?),
                _ => {
                    map.next_value_seed(Any::skip(keys))?;
                }
            }
            Ok(())
        })?;
        let first_hyp = match hyps {
            Some(FoundHyps::Empty) => Some(Cow::Borrowed("")),
            Some(FoundHyps::First(words)) => words,
            None => None,
        };
        match (id, words.or(text).or(first_hyp)) {
            (Some(id), Some(words)) => Ok((id.into_owned(), words)),
            _ => Err(give_up()),
        }
    }
}

/// Any JSON value, read but not kept: a string's text if `keep`, `None` for
/// every other value (and for strings when not `keep`); an array when `keep`
/// gives up (words may be an array of strings, which the `Value` path reads).
/// Also the n-best fast path's reader of the fields it ignores
/// ([`Any::skip`]).
pub(super) struct Any<'k, 'de> {
    keys: &'k mut Vec<&'de str>,
    keep: bool,
}

impl<'k, 'de> Any<'k, 'de> {
    /// Reads a value through and drops it; `keys` is the key stack of the
    /// objects around it (see [`each_entry`]).
    pub(super) fn skip(keys: &'k mut Vec<&'de str>) -> Self {
        Any { keys, keep: false }
    }
}

impl<'de> DeserializeSeed<'de> for Any<'_, 'de> {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Any<'_, 'de> {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(self.keep.then_some(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        // A string with escapes, unescaped into the deserializer's scratch.
        Ok(self.keep.then(|| Cow::Owned(v.to_string())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if self.keep {
            // Words as an array of strings: the `Value` path joins them.
            return Err(give_up());
        }
        let keys = self.keys;
        while seq.next_element_seed(Any::skip(keys))?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        each_entry(self.keys, &mut map, |_, map, keys| {
            map.next_value_seed(Any::skip(keys)).map(drop)
        })?;
        Ok(None)
    }
}

/// What the `hyps` array holds for a hypothesis' words: it is empty, or the
/// `words` of its first element if that is a string.
enum FoundHyps<'de> {
    Empty,
    First(Option<Cow<'de, str>>),
}

/// The `hyps` array: its first element read by [`FirstHyp`], the others read
/// through ([`Any`]). A value that is not an array gives up.
struct Hyps<'k, 'de> {
    keys: &'k mut Vec<&'de str>,
}

impl<'de> DeserializeSeed<'de> for Hyps<'_, 'de> {
    type Value = FoundHyps<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Hyps<'_, 'de> {
    type Value = FoundHyps<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("hypotheses")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let keys = self.keys;
        let Some(first) = seq.next_element_seed(FirstHyp { keys: &mut *keys })? else {
            return Ok(FoundHyps::Empty);
        };
        while seq.next_element_seed(Any::skip(keys))?.is_some() {}
        Ok(FoundHyps::First(first))
    }
}

/// The first hypothesis: its `words` if a string, its other fields read
/// through ([`Any`]). A value that is not an object gives up.
struct FirstHyp<'k, 'de> {
    keys: &'k mut Vec<&'de str>,
}

impl<'de> DeserializeSeed<'de> for FirstHyp<'_, 'de> {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FirstHyp<'_, 'de> {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a hypothesis")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut words = None;
        each_entry(self.keys, &mut map, |key, map, keys| {
            let keep = key == "words";
            let value = map.next_value_seed(Any { keys, keep })?;
            if keep {
                words = value;
            }
            Ok(())
        })?;
        Ok(words)
    }
}
