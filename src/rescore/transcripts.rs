//! Transcriptions keyed by utterance, as `dashlm wer` reads its references
//! and hypotheses: Kaldi `text` lines or JSONL objects.
//!
//! A JSONL line is read straight for the one string it needs
//! ([`super::transcripts_fast`]: a line of an n-best list allocates nothing
//! for the hypotheses after its first); a line that path gives up on is read
//! again through a `serde_json::Value` tree, which finds the precise error.
//! Lines are parsed in parallel, and the error reported is the first one in
//! line order.
//!
//! Private to [`rescore`](super); [`read_transcripts`] is public as
//! [`wer::read_transcripts`](super::wer::read_transcripts).

use serde_json::Value;

use super::{NbestError, NbestErrorKind, Words};

/// Reads transcriptions keyed by utterance: Kaldi `text` style (`id w1 w2 ...`)
/// or, when the first non-blank character is `{`, JSONL objects with `id` and
/// the words in `ref` (with `reference`; a line without `ref`, or with `ref:
/// null`, is an utterance without a reference and left out), else in `words`,
/// `text`, or the first
/// of `hyps` (as in n-best JSONL, e.g. `dashlm rescore` output): the first of
/// them that is a string or an array of strings (as the n-best reader takes
/// words). Each transcription is one [`Words`] (a few bytes a word).
///
/// # Errors
/// A malformed line or a duplicate id, with file and line (a key given twice
/// in one JSON object, or a byte-order mark at the start, too).
///
/// ```
/// use dashlm::rescore::wer::read_transcripts;
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("hyp.jsonl");
/// std::fs::write(&p, "{\"id\": \"u\", \"ref\": \"a b\", \"hyps\": [{\"words\": \"a c\", \"acoustic\": 0}]}\n").unwrap();
/// let words = |reference| read_transcripts(&p, reference).unwrap()[0].1.to_strings();
/// assert_eq!(words(false), ["a", "c"]);
/// assert_eq!(words(true), ["a", "b"]);
/// std::fs::write(&p, "{\"id\": \"u\", \"ref\": [\"a\", \"b\"], \"hyps\": [{\"words\": [\"c\"], \"acoustic\": 0}]}\n").unwrap();
/// assert_eq!(words(false), ["c"]);
/// assert_eq!(words(true), ["a", "b"]);
/// ```
pub fn read_transcripts(
    path: &std::path::Path,
    reference: bool,
) -> Result<Vec<(String, Words)>, NbestError> {
    let name = crate::arpa::input_name(path);
    let text = super::text_input::read_text_file(path, &name)?;
    if !text
        .trim_start_matches(crate::text::is_separator_char)
        .starts_with('{')
    {
        return super::kaldi::read_text_words(text.as_bytes(), &name);
    }
    // Each line as it is (not trimmed: a JSON error's column counts from the
    // line's start).
    let lines = (text.lines().enumerate())
        .filter(|(_, line)| !crate::text::trim(line).is_empty())
        .map(|(i, line)| Ok((i as u64 + 1, line)));
    let entries = super::text_input::parse_lines_parallel(
        lines,
        &name,
        |line| parse_line(line, reference),
        |(id, _)| id,
    )?;
    // An utterance without a reference (n-best lists' `ref` is optional).
    Ok(entries
        .into_iter()
        .filter_map(|(id, words)| Some((id, words?)))
        .collect())
}

/// A JSONL line's id and words; the words `None` for a reference line
/// without `ref` (or with `ref: null`).
type Transcript = (String, Option<Words>);

/// One JSONL line's id and words: straight when the fast path can read it,
/// else through [`parse_line_value`].
fn parse_line(line: &str, reference: bool) -> Result<Transcript, NbestErrorKind> {
    match super::transcripts_fast::parse(line, reference) {
        Some((id, words)) => Ok((id, Some(super::hyp_words_joined(&words)))),
        None => parse_line_value(line, reference),
    }
}

/// One JSONL line's id and words read through a `serde_json::Value` tree,
/// which tells what is wrong with a line (its first problem).
fn parse_line_value(line: &str, reference: bool) -> Result<Transcript, NbestErrorKind> {
    let field = |f: &str, p: &str| NbestErrorKind::Field {
        field: f.to_string(),
        problem: p.to_string(),
    };
    let v = super::jsonl::parse_json(line)?;
    let id = v
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| field("id", "missing or not a string"))?;
    let words = if reference {
        match v.get("ref") {
            None | Some(Value::Null) => return Ok((id.to_string(), None)),
            Some(r) => words_text(r),
        }
    } else {
        v.get("words")
            .and_then(words_text)
            .or_else(|| v.get("text").and_then(words_text))
            .or_else(|| {
                v.get("hyps")
                    .and_then(|h| h.get(0))
                    .and_then(|h| h.get("words"))
                    .and_then(words_text)
            })
            .or_else(|| {
                v.get("hyps")
                    .and_then(Value::as_array)
                    .filter(|a| a.is_empty())
                    .map(|_| String::new())
            })
    };
    let (field_name, problem) = match reference {
        true => ("ref", "not a string, an array of strings or null"),
        false => ("words", "missing, or not a string or an array of strings"),
    };
    let words = words.ok_or_else(|| field(field_name, problem))?;
    Ok((id.to_string(), Some(super::hyp_words_joined(&words))))
}

/// The words of a `ref`, `words` or `text` value: a string, or an array of
/// strings joined by spaces (as the n-best reader takes them); `None` for
/// any other value.
fn words_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items
            .iter()
            .map(|w| w.as_str())
            .collect::<Option<Vec<&str>>>()
            .map(|words| words.join(" ")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::super::jsonl_fast::tests::json_with;
    use super::super::transcripts_fast;
    use super::*;

    /// `read_transcripts`' JSONL reading as it was before the fast path and
    /// the parallel batches: every line through the `Value` path, one by one.
    fn line_by_line(
        text: &str,
        name: &str,
        reference: bool,
    ) -> Result<Vec<(String, Words)>, NbestError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        // Lines without a reference are left out (after the duplicate check).
        for (i, line) in text.lines().enumerate() {
            if crate::text::trim(line).is_empty() {
                continue;
            }
            let err = |kind| NbestError::new(name, i as u64 + 1, kind);
            let (id, words) = parse_line_value(line, reference).map_err(err)?;
            if !seen.insert(id.clone()) {
                return Err(err(NbestErrorKind::Duplicate(id)));
            }
            if let Some(words) = words {
                out.push((id, words));
            }
        }
        Ok(out)
    }

    /// `text` written to a file and read by [`read_transcripts`] and by
    /// [`line_by_line`], each result as a string (errors with their file,
    /// line and kind).
    fn both_ways(text: &str, reference: bool) -> (String, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, text).unwrap();
        let name = path.display().to_string();
        (
            format!("{:?}", read_transcripts(&path, reference)),
            format!("{:?}", line_by_line(text, &name, reference)),
        )
    }

    /// The lines the fast path reads, and what it takes from them; every line
    /// reads as through the `Value` path.
    #[test]
    fn the_fast_path_agrees_with_the_value_path() {
        let h = r#"{"words": "x y", "acoustic": -1.5, "lm": null}"#;
        let nbest = format!(
            r#"{{"id": "u", "ref": "<s> r  s </s>", "hyps": [{}]}}"#,
            [h; 50].join(", ")
        );
        // (line, the words the fast path takes for a reference and for a
        // hypothesis, `None` where it gives up)
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            (&nbest, Some("<s> r  s </s>"), Some("x y")),
            (r#"{"id": "u", "words": "a", "text": "b"}"#, None, Some("a")),
            (r#"{"text": "b", "words": 7, "id": "u"}"#, None, Some("b")),
            // An array of words: the `Value` path joins it.
            (r#"{"id": "u", "words": ["a"], "hyps": []}"#, None, None),
            (r#"{"id": "u", "ref": ["a"], "text": "b"}"#, None, Some("b")),
            (
                r#"{"id": "u", "ref": "a", "hyps": [{"acoustic": 1}]}"#,
                Some("a"),
                None,
            ),
            (
                r#"{"id": "u", "hyps": [{"words": ["a"]}, {"words": "b"}]}"#,
                None,
                None,
            ),
            (
                r#"{"id": "u", "hyps": [{"words": "a", "words": "b"}]}"#,
                None,
                None,
            ),
            (
                r#"{"id": "u", "hyps": [{"words": "a"}, {"x": 1, "x": 2}]}"#,
                None,
                None,
            ),
            (
                r#"{"id": "u", "hyps": [{"words": "a"}, {"x": 1e400}]}"#,
                None,
                None,
            ),
            (r#"{"id": "u", "hyps": ["a"]}"#, None, None),
            (r#"{"id": "u", "hyps": {"words": "a"}}"#, None, None),
            (
                r#"{"id": "u", "ref": "a", "x": {"y": [{"z": 1, "z": 1}]}}"#,
                None,
                None,
            ),
            (
                r#"{"id": "u", "ref": "a", "x": {"y": [{"z": 1}], "z": 1}}"#,
                Some("a"),
                None,
            ),
            (r#"{"id": "u", "ref": "a", "ref": "a"}"#, None, None),
            (r#"{"id": "u", "ref": "a", "\u0072ef": "b"}"#, None, None),
            (
                r#"{"id": "u\"", "ref": "caf\u00e9\tb"}"#,
                Some("caf\u{e9}\tb"),
                None,
            ),
            (r#"{"id": 7, "ref": "a", "words": "a"}"#, None, None),
            (r#"{"ref": "a", "words": "a"}"#, None, None),
            (r#"{"id": "u", "ref": null, "words": "a"}"#, None, Some("a")),
            (r#"{"id": "u", "ref": "a"} x"#, None, None),
            (r#"{"id": "u", "ref": "a""#, None, None),
            (r#"["id", "u"]"#, None, None),
        ];
        for &(line, for_reference, for_hyp) in cases {
            for (reference, expected) in [(true, for_reference), (false, for_hyp)] {
                let fast = transcripts_fast::parse(line, reference);
                let words = fast.as_ref().map(|(_, w)| w.as_ref());
                assert_eq!(words, expected, "{line} (reference: {reference})");
                let slow = format!("{:?}", parse_line_value(line, reference));
                assert_eq!(format!("{:?}", parse_line(line, reference)), slow, "{line}");
            }
        }
    }

    /// Words and ids as lines give them: plain, with sentence markers or
    /// escapes, empty, or another type.
    fn text_value() -> impl Strategy<Value = String> {
        prop_oneof![
            12 => prop::sample::select(vec![
                r#""a b""#, r#""<s> a </s>""#, r#""""#, r#""x\ty""#, r#""caf\u00e9""#, "null", "7",
                r#"["a"]"#, r#"["a", "b c"]"#, r#"["a", 1]"#, "[]",
            ])
            .prop_map(str::to_string),
            1 => json_with(KEYS),
        ]
    }

    /// The keys of transcript lines and their hypotheses, escaped ones too.
    const KEYS: &[&str] = &[
        "id",
        "ref",
        "words",
        "text",
        "hyps",
        "acoustic",
        "x",
        "\\u0069d",
        "\\u0077ords",
    ];

    /// An object of `fields` in any order (so some keys may repeat).
    fn object(fields: impl Strategy<Value = Vec<String>>) -> impl Strategy<Value = String> {
        fields
            .prop_shuffle()
            .prop_map(|f| format!("{{{}}}", f.join(", ")))
    }

    /// A hypothesis of an n-best line (mostly `words` and `acoustic`, then
    /// fields that may repeat them), or any JSON.
    fn hyp() -> impl Strategy<Value = String> {
        let field = prop_oneof![
            4 => (prop::sample::select(vec!["lm", "conf"]), prop::sample::select(vec!["-1.5", "null", "\"1\"", "1e400"]))
                .prop_map(|(k, v)| format!(r#""{k}": {v}"#)),
            1 => text_value().prop_map(|v| format!(r#""words": {v}"#)),
            1 => (prop::sample::select(KEYS.to_vec()), json_with(KEYS))
                .prop_map(|(k, v)| format!(r#""{k}": {v}"#)),
        ];
        let base = vec![
            r#""words": "a b""#.to_string(),
            r#""acoustic": -2.5"#.to_string(),
        ];
        let fields = (Just(base), prop::collection::vec(field, 0..2)).prop_map(|(mut b, more)| {
            b.extend(more);
            b
        });
        prop_oneof![
            12 => object(fields),
            1 => json_with(KEYS),
        ]
    }

    /// A transcript or n-best line, mostly well-formed: an `id`, some of
    /// `ref`, `words`, `text` and `hyps` (an array of hypotheses, often empty),
    /// other fields, in any order, some repeated, missing or of another type.
    fn line() -> impl Strategy<Value = String> {
        let text = (
            prop::sample::select(vec!["ref", "words", "text"]),
            text_value(),
        )
            .prop_map(|(k, v)| format!(r#""{k}": {v}"#))
            .boxed();
        let hyps = prop_oneof![
            12 => prop::collection::vec(hyp(), 0..4).prop_map(|h| format!("[{}]", h.join(", "))),
            1 => json_with(KEYS),
        ]
        .prop_map(|v| format!(r#""hyps": {v}"#))
        .boxed();
        let field = prop_oneof![
            1 => text_value().prop_map(|v| format!(r#""id": {v}"#)),
            4 => text.clone(),
            4 => hyps.clone(),
            1 => (prop::sample::select(KEYS.to_vec()), json_with(KEYS))
                .prop_map(|(k, v)| format!(r#""{k}": {v}"#)),
        ];
        let id = prop::sample::select(vec![r#""id": "u1""#, r#""id": "u2""#, r#""id": "u\"3""#]);
        let fields = (
            prop::option::weighted(0.9, id),
            prop_oneof![text, hyps],
            prop::collection::vec(field, 0..3),
        )
            .prop_map(|(id, words, mut fields)| {
                fields.extend(id.map(str::to_string));
                fields.push(words);
                fields
            });
        let padding = prop_oneof![
            8 => Just(""),
            1 => prop::sample::select(vec![" ", "\t", "\r", "\u{0c}", " x"]),
        ];
        (padding.clone(), object(fields), padding).prop_map(|(a, l, b)| format!("{a}{l}{b}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn any_line_reads_as_through_the_value_path(line in line()) {
            for reference in [true, false] {
                prop_assert_eq!(
                    format!("{:?}", parse_line(&line, reference)),
                    format!("{:?}", parse_line_value(&line, reference))
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn any_file_reads_as_line_by_line(
            lines in prop::collection::vec(
                prop_oneof![8 => line(), 1 => prop::sample::select(vec!["", " \t", "\u{0c}"]).prop_map(str::to_string)],
                0..6,
            ),
            crlf in any::<bool>(),
        ) {
            let mut text = String::from("{\"id\": \"first\", \"ref\": \"a\", \"words\": \"b\"}\n");
            for l in &lines {
                text.push_str(l);
                text.push_str(if crlf { "\r\n" } else { "\n" });
            }
            for reference in [true, false] {
                let (read, expected) = both_ways(&text, reference);
                prop_assert_eq!(read, expected);
            }
        }
    }

    /// Errors name the file and line, in line order across the batches
    /// parsed in parallel.
    #[test]
    fn errors_name_the_file_and_the_first_line_at_fault() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.jsonl");
        let ok = r#"{"id": "u1", "ref": "a", "hyps": [{"words": "a", "acoustic": 1}]}"#;
        let read = |lines: &[&str], reference| {
            std::fs::write(&path, lines.join("\n")).unwrap();
            let e = read_transcripts(&path, reference).unwrap_err();
            let e = e.to_string();
            e.strip_prefix(&format!("{}:", path.display()))
                .unwrap_or_else(|| panic!("{e}"))
                .to_string()
        };
        let cases: &[(&str, bool, &str)] = &[
            (
                r#"{"id": "u2", "hyps": [{"words": "a", "acoustic": 1}, {"words": "b", "lm": 1, "lm": 2}]}"#,
                false,
                "3: key `lm` appears twice in one JSON object",
            ),
            (
                r#"{"id": "u2", "ref": "a", "x": [{"y": {"z": 1, "\u007a": 2}}]}"#,
                true,
                "3: key `z` appears twice in one JSON object",
            ),
            (
                r#"{"id": "u2", "words": "a", "id": "u3"}"#,
                false,
                "3: key `id` appears twice in one JSON object",
            ),
            (
                r#"{"id": 2, "words": "a"}"#,
                false,
                "3: field `id`: missing or not a string",
            ),
            (
                r#"{"id": "u2", "ref": ["a", 1], "words": "a"}"#,
                true,
                "3: field `ref`: not a string, an array of strings or null",
            ),
            (
                r#"{"id": "u2", "words": null, "hyps": [{"words": [null]}]}"#,
                false,
                "3: field `words`: missing, or not a string or an array of strings",
            ),
            (
                r#" {"id": "u2", "words": "a"} x"#,
                false,
                "3: invalid JSON: trailing characters at column 29",
            ),
            (
                r#"{"id": "u2", "words": "a", "x": 1e400}"#,
                false,
                "3: invalid JSON: number out of range at column 37",
            ),
            (
                r#"{"id": "u1", "words": "b"}"#,
                false,
                "3: duplicate key `u1`",
            ),
        ];
        for &(bad, reference, expected) in cases {
            assert_eq!(read(&[ok, "", bad, ok], reference), expected, "{bad}");
        }
        // Past the first batch of lines parsed together: the first error in
        // line order still, a duplicate id across batches too.
        let line = |i: usize| {
            let hyps = [r#"{"words": "a b c", "acoustic": -1.25, "lm": -2.5}"#; 20].join(", ");
            format!(r#"{{"id": "u{i}", "hyps": [{hyps}]}}"#)
        };
        let mut lines: Vec<String> = (0..6000).map(line).collect();
        assert!(lines.iter().map(String::len).sum::<usize>() > 5 << 20);
        lines.push(line(7));
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert_eq!(read(&lines, false), "6001: duplicate key `u7`");
        let mut early = lines.clone();
        early[5000] = "{";
        assert!(read(&early, false).starts_with("5001: invalid JSON"));
        let read_all = read_transcripts(&path, false).unwrap_err();
        assert_eq!(read_all.line(), 5001);
    }
}
