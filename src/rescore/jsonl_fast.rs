//! The JSONL reader's fast path: a well-formed line read straight into an
//! [`NbestList`], without building a `serde_json::Value` tree first (a tree
//! allocates a map, its keys and its values for every hypothesis).
//!
//! Anything unusual (a missing or mistyped field, a key given twice, an
//! escaped key, invalid JSON) gives `None`, and [`super::jsonl`] reads the line
//! again through its `Value` path, which finds the precise error. So the fast
//! path only has to agree with that path on lines that are valid, and gives up
//! on the rest.
//!
//! Private to [`rescore`](super).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::joined::Words;
use super::nbest::{hyp_words_joined, Hypothesis, NbestList};
use super::scores::{Names, Scores};
use super::transcripts_fast::Any;

/// `line` as an n-best list if it is a well-formed one; `None` otherwise
/// (then the `Value` path decides).
pub(super) fn parse(line: &str) -> Option<NbestList> {
    let mut deserializer = serde_json::Deserializer::from_str(line);
    let list = List.deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(list)
}

/// Gives up: the `Value` path reads the line again for its error.
pub(super) fn give_up<E: de::Error>() -> E {
    E::custom("not a plain n-best line")
}

/// The most keys an object may have on a fast path: its check for a key
/// given twice is a scan of the object's keys so far, so a larger object (a
/// hostile line of 50,000 keys took 6 s) goes through the `Value` path, whose
/// map finds a repeat in logarithmic time.
pub(super) const MAX_KEYS: usize = 64;

/// Whether a fast path gives up at `key` of an object whose keys so far are
/// `seen`: `key` is among them, or they are [`MAX_KEYS`] already.
pub(super) fn give_up_at(seen: &[&str], key: &str) -> bool {
    seen.len() >= MAX_KEYS || seen.contains(&key)
}

/// [`give_up_at`], adding `key` to `seen` if not.
fn repeated<'a>(seen: &mut Vec<&'a str>, key: &'a str) -> bool {
    if give_up_at(seen, key) {
        return true;
    }
    seen.push(key);
    false
}

/// The top-level object: `id`, `ref`, `hyps`; other fields are read
/// through ([`Any`]: a key given twice inside one gives up, as the `Value`
/// path refuses it) and ignored.
struct List;

impl<'de> DeserializeSeed<'de> for List {
    type Value = NbestList;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<NbestList, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for List {
    type Value = NbestList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an n-best list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NbestList, A::Error> {
        let mut seen = Vec::new();
        let (mut id, mut reference, mut hyps) = (None, None, None);
        // The hypotheses' score names, allocated once for the line.
        let mut names = Names::default();
        while let Some(key) = map.next_key::<&'de str>()? {
            if repeated(&mut seen, key) {
                return Err(give_up());
            }
            match key {
                "id" => id = Some(map.next_value::<String>()?),
                "ref" => reference = map.next_value_seed(WordsOrNull)?,
                "hyps" => hyps = Some(map.next_value_seed(Hyps(&mut names))?),
                _ => {
                    map.next_value_seed(Any::skip(&mut seen))?;
                }
            }
        }
        Ok(NbestList {
            id: id.ok_or_else(give_up)?,
            reference: reference.map(|w: Words| w.to_strings()),
            hyps: hyps.ok_or_else(give_up)?,
        })
    }
}

/// A string of words or an array of strings (joined by spaces, as the `Value`
/// path joins them), sentence markers removed; `null` is `None`.
struct WordsOrNull;

impl<'de> DeserializeSeed<'de> for WordsOrNull {
    type Value = Option<Words>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Words>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for WordsOrNull {
    type Value = Option<Words>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("words")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Words>, E> {
        Ok(Some(hyp_words_joined(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<Words>, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Words>, A::Error> {
        let mut text = String::new();
        while let Some(w) = seq.next_element::<String>()? {
            text.push_str(&w);
            text.push(' ');
        }
        Ok(Some(hyp_words_joined(&text)))
    }
}

/// The `hyps` array, its score names from the line's [`Names`].
struct Hyps<'n>(&'n mut Names);

impl<'de> DeserializeSeed<'de> for Hyps<'_> {
    type Value = Vec<Hypothesis>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Hypothesis>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Hyps<'_> {
    type Value = Vec<Hypothesis>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("hypotheses")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Hypothesis>, A::Error> {
        let mut hyps = Vec::new();
        while let Some(h) = seq.next_element_seed(Hyp(&mut *self.0))? {
            hyps.push(h);
        }
        Ok(hyps)
    }
}

/// One hypothesis: `words`, `acoustic`, `lm` (a number or `null`), and any
/// other field a number (an extra score, named from the line's [`Names`]).
struct Hyp<'n>(&'n mut Names);

impl<'de> DeserializeSeed<'de> for Hyp<'_> {
    type Value = Hypothesis;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Hypothesis, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Hyp<'_> {
    type Value = Hypothesis;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a hypothesis")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Hypothesis, A::Error> {
        let mut seen = Vec::new();
        let (mut words, mut acoustic, mut lm) = (None, None, None);
        let mut extra = Scores::new();
        while let Some(key) = map.next_key::<&'de str>()? {
            if repeated(&mut seen, key) {
                return Err(give_up());
            }
            match key {
                "words" => words = Some(map.next_value_seed(WordsOrNull)?.ok_or_else(give_up)?),
                "acoustic" => acoustic = Some(map.next_value::<f64>()?),
                "lm" => lm = map.next_value::<Option<f64>>()?,
                other => {
                    extra.insert(self.0.get(other), map.next_value::<f64>()?);
                }
            }
        }
        Ok(Hypothesis {
            words: words.ok_or_else(give_up)?,
            acoustic: acoustic.ok_or_else(give_up)?,
            lm,
            extra,
            alignment: None,
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::jsonl::parse_line_value;
    use super::*;

    /// Lines the fast path reads agree with the `Value` path; the lines it
    /// gives up on are exactly the unusual ones.
    #[test]
    fn objects_of_more_than_max_keys_go_through_the_value_path() {
        // A hypothesis of `words`, `acoustic` and `extra` scores: MAX_KEYS keys
        // in all are read here, one more is not; both read alike.
        for (extra, fast) in [(MAX_KEYS - 2, true), (MAX_KEYS - 1, false)] {
            let scores: Vec<String> = (0..extra).map(|k| format!(r#""s{k}": {k}"#)).collect();
            let line = format!(
                r#"{{"id": "u", "hyps": [{{"words": "a", "acoustic": 1, {}}}]}}"#,
                scores.join(", ")
            );
            assert_eq!(parse(&line).is_some(), fast, "{extra}");
            let list = parse_line_value(&line).unwrap();
            assert_eq!(list.hyps[0].extra.len(), extra);
            if let Some(typed) = parse(&line) {
                assert_eq!(typed, list);
            }
        }
    }

    #[test]
    fn the_fast_path_agrees_with_the_value_path() {
        let h = r#"{"words": "a b", "acoustic": -1.5}"#;
        // (line, whether the fast path reads it)
        let cases: &[(&str, bool)] = &[
            (r#"{"id": "u", "hyps": []}"#, true),
            (
                r#"{"id": "u", "ref": "<s> a b </s>", "hyps": [{"words": "<s> a  b </s>", "acoustic": -1, "lm": -2.5, "conf": 0.25}]}"#,
                true,
            ),
            (
                r#"{"hyps": [{"acoustic": 3e2, "lm": null, "words": ["a", "b c"]}], "id": "u"}"#,
                true,
            ),
            (
                r#"{"id": "u", "ref": null, "hyps": [{"words": [], "acoustic": -0, "x": 18446744073709551615, "y": -9223372036854775808}]}"#,
                true,
            ),
            (
                r#"{"id": "u", "ref": ["a", "b"], "hyps": [], "other": {"k": [1, {"z": null}]}, "more": "text"}"#,
                true,
            ),
            (
                r#"{"id": "u\u00e9\"", "hyps": [{"words": "caf\u00e9 \t x", "acoustic": 1e308}]}"#,
                true,
            ),
            (
                r#"{"id": "u", "hyps": [{"words": "a", "acoustic": 1e400}]}"#,
                false,
            ),
            (
                r#"{"id": "u", "hyps": [{"words": "a", "acoustic": 123456789012345678901234567890}]}"#,
                true,
            ),
            (
                r#"{"id": "u", "hyps": [{"words": "a", "acoustic": "1"}]}"#,
                false,
            ),
            (
                r#"{"id": "u", "hyps": [{"words": null, "acoustic": 1}]}"#,
                false,
            ),
            (r#"{"id": "u", "hyps": [{"words": "a"}]}"#, false),
            (r#"{"id": "u", "hyps": [{"acoustic": 1}]}"#, false),
            (r#"{"id": 7, "hyps": []}"#, false),
            (r#"{"id": "u"}"#, false),
            (r#"{"hyps": []}"#, false),
            (r#"{"id": "u", "id": "v", "hyps": []}"#, false),
            (
                r#"{"id": "u", "hyps": [{"words": "a", "acoustic": 1, "acoustic": 2}]}"#,
                false,
            ),
            (r#"{"id": "u", "hyps": [], "x": {"k": 1, "k": 2}}"#, false),
            // One key in nested objects, and an escaped key the `Value` path reads.
            (
                r#"{"id": "u", "hyps": [], "x": {"k": [{"k": 1}], "y": {"k": 2}}}"#,
                true,
            ),
            (r#"{"id": "u", "hyps": [], "x": {"\u006b": 1}}"#, false),
            (
                r#"{"id": "u", "hyps": [{"words": "a", "acoustic": 1, "conf": "high"}]}"#,
                false,
            ),
            (
                r#"{"id": "u", "hyps": [{"words": "a", "acoustic": 1, "conf": {"v": 1}}]}"#,
                false,
            ),
            (
                r#"{"id": "u", "hyps": [{"words": ["a", 1], "acoustic": 1}]}"#,
                false,
            ),
            (r#"{"id": "u", "hyps": {"words": "a"}}"#, false),
            (r#"{"id": "u", "hyps": [7]}"#, false),
            (r#"{"id": "u", "ref": 7, "hyps": []}"#, false),
            (r#"{"\u0069d": "u", "hyps": []}"#, false),
            (r#"{"id": "u", "hyps": []} x"#, false),
            (r#"{"id": "u", "hyps": [}"#, false),
            (r#"[1, 2]"#, false),
            (r#""text""#, false),
        ];
        for &(line, fast) in cases {
            let typed = parse(line);
            assert_eq!(typed.is_some(), fast, "{line}");
            let slow = parse_line_value(line);
            if let Some(list) = typed {
                let slow_list = slow.as_ref().unwrap_or_else(|e| panic!("{line}: {e}"));
                assert_eq!(&list, slow_list, "{line}");
                // Bit for bit (PartialEq takes -0.0 for 0.0).
                let bits = |l: &NbestList| -> Vec<u64> {
                    let scores = |h: &Hypothesis| {
                        let mut s = vec![h.acoustic.to_bits(), h.lm.map_or(1, f64::to_bits)];
                        s.extend(h.extra.values().map(|v| v.to_bits()));
                        s
                    };
                    l.hyps.iter().flat_map(scores).collect()
                };
                assert_eq!(bits(&list), bits(slow_list), "{line}");
            }
        }
        // A plain line with many hypotheses.
        let line = format!(r#"{{"id": "u", "hyps": [{}]}}"#, [h; 50].join(", "));
        assert_eq!(parse(&line).unwrap().hyps.len(), 50);
    }

    use proptest::prelude::*;

    /// JSON text built from pieces n-best lines are made of (keys that clash
    /// and repeat, values of every type), to find lines the two paths read
    /// differently.
    fn json() -> impl Strategy<Value = String> {
        json_with(&[
            "id", "ref", "hyps", "words", "acoustic", "lm", "conf", "x", "\\u0069d",
        ])
    }

    /// [`json`] with objects' keys from `keys` (also used by the transcript
    /// reader's tests).
    pub(in crate::rescore) fn json_with(keys: &[&'static str]) -> impl Strategy<Value = String> {
        let key = prop::sample::select(keys.to_vec());
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            prop::sample::select(vec![
                "0",
                "-0",
                "-1.5",
                "3e2",
                "1e400",
                "18446744073709551616",
                "-7"
            ])
            .prop_map(str::to_string),
            prop::sample::select(vec![
                "\"a b\"",
                "\"<s> a </s>\"",
                "\"\"",
                "\"x\\ty\"",
                "\"\\u00e9\""
            ])
            .prop_map(str::to_string),
        ];
        leaf.prop_recursive(4, 40, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(", "))),
                prop::collection::vec((key.clone(), inner), 0..5).prop_map(|kv| {
                    let fields: Vec<String> =
                        kv.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
                    format!("{{{}}}", fields.join(", "))
                }),
            ]
        })
    }

    /// A hypothesis object, mostly well-formed: fields in any order, some
    /// missing, repeated or of another type.
    fn hyp() -> impl Strategy<Value = String> {
        let number =
            prop::sample::select(vec!["0", "-0", "-1.5", "3e2", "-7", "1e400", "2.5e-310"]);
        let field = prop_oneof![
            3 => prop::sample::select(vec!["\"a b\"", "\"<s> a </s>\"", "[\"a\", \"b c\"]", "[]", "\"\""])
                .prop_map(|w| format!("\"words\": {w}")),
            3 => number.clone().prop_map(|n| format!("\"acoustic\": {n}")),
            2 => prop_oneof![number.clone().prop_map(str::to_string), Just("null".to_string())]
                .prop_map(|n| format!("\"lm\": {n}")),
            2 => (prop::sample::select(vec!["conf", "x", "words2"]), number)
                .prop_map(|(k, n)| format!("\"{k}\": {n}")),
            1 => (prop::sample::select(vec!["words", "acoustic", "lm", "conf"]), json())
                .prop_map(|(k, v)| format!("\"{k}\": {v}")),
        ];
        let base = prop::sample::select(vec!["\"a b\"", "[\"a\", \"b c\"]", "\"\""])
            .prop_map(|w| vec![format!("\"words\": {w}"), "\"acoustic\": -2.25".to_string()]);
        (base, prop::collection::vec(field, 0..3))
            .prop_map(|(mut b, more)| {
                b.extend(more);
                b
            })
            .prop_shuffle()
            .prop_map(|f| format!("{{{}}}", f.join(", ")))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn any_line_the_fast_path_reads_the_value_path_reads_alike(
            hyps in prop::collection::vec(prop_oneof![4 => hyp(), 1 => json()], 0..4),
            id in prop_oneof![3 => Just("\"u1\"".to_string()), 1 => json()],
            rest in json(),
        ) {
            // Mostly n-best shaped, with random parts.
            let line = format!(r#"{{"id": {id}, "hyps": [{}], "extra": {rest}}}"#, hyps.join(", "));
            for l in [line.as_str(), id.as_str(), rest.as_str()] {
                // About a quarter of these lines are read by the fast path.
                if let Some(list) = parse(l) {
                    prop_assert_eq!(Ok(list), parse_line_value(l).map_err(|e| e.to_string()));
                }
            }
        }
    }
}
