//! N-best work split in pieces (lines parsed in parallel batches, lists
//! checked and formatted in parallel, WER counted per list in parallel) gives
//! what one pass in order gives: the same lists, output and counts, and the
//! first error in input order.

use std::io::{BufReader, Read};

use dashlm::rescore::wer::{nbest_wer, NbestWer};
use dashlm::rescore::{jsonl, Hypothesis, NbestErrorKind, NbestList};

/// A JSONL line for list `k` (with a reference, three hypotheses, an extra
/// score), about 300 bytes.
fn line(k: usize) -> String {
    format!(
        "{{\"id\": \"utt-{k:06}\", \"ref\": \"w{a} w{b} the end\", \"hyps\": [\
         {{\"words\": \"w{a} w{b} the end\", \"acoustic\": -{k}.25, \"lm\": -1.5, \"conf\": 0.5}}, \
         {{\"words\": \"w{b} w{a} the\", \"acoustic\": -12.75, \"conf\": 0.25}}, \
         {{\"words\": \"w{a} the end and more words here\", \"acoustic\": -13.5, \"lm\": -{k}}}]}}",
        a = k % 97,
        b = k % 13,
    )
}

/// Enough lines to span several of the reader's 4 MiB batches.
const LINES: usize = 60_000;

fn text(lines: usize, replace: &[(usize, &str)]) -> String {
    let mut out = String::new();
    for k in 0..lines {
        match replace.iter().find(|(at, _)| *at == k) {
            Some((_, l)) => out.push_str(l),
            None => out.push_str(&line(k)),
        }
        out.push('\n');
    }
    out
}

#[test]
fn lists_read_in_batches_are_the_lists_read_one_by_one() {
    let all = text(LINES, &[]);
    assert!(
        all.len() > 3 * (4 << 20),
        "spans batches: {} bytes",
        all.len()
    );
    let lists = jsonl::read(all.as_bytes(), "big.jsonl").unwrap();
    assert_eq!(lists.len(), LINES);
    for k in [0, 1, 13_999, 14_000, LINES - 1] {
        let one = jsonl::read(line(k).as_bytes(), "one.jsonl").unwrap();
        assert_eq!(lists[k], one[0], "list {k}");
    }
}

#[test]
fn the_first_bad_line_is_reported_whatever_the_batch() {
    let bad_json = "{\"id\": \"x\", \"hyps\": [";
    let no_acoustic = r#"{"id": "y", "hyps": [{"words": "a"}]}"#;
    let dup_early = line(5);
    // (replacements, line reported, what the error says)
    type Case<'a> = (Vec<(usize, &'a str)>, u64, &'a str);
    let cases: Vec<Case> = vec![
        // Two bad lines in one batch: the earlier one.
        (
            vec![(30_001, no_acoustic), (30_000, bad_json)],
            30_001,
            "invalid JSON",
        ),
        // In different batches: the earlier one, though the later batch's
        // line is the first kind checked.
        (
            vec![(59_000, bad_json), (2_000, no_acoustic)],
            2_001,
            "acoustic",
        ),
        // A duplicate id (of a line in an earlier batch) before a bad line.
        (
            vec![(35_000, &dup_early), (36_000, bad_json)],
            35_001,
            "utt-000005",
        ),
        // A bad line before the duplicate.
        (
            vec![(36_000, &dup_early), (20_000, bad_json)],
            20_001,
            "invalid JSON",
        ),
    ];
    for (replace, line_no, says) in cases {
        let e = jsonl::read(text(LINES, &replace).as_bytes(), "big.jsonl").unwrap_err();
        assert_eq!(e.line(), line_no, "{replace:?}: {e}");
        assert!(e.to_string().contains(says), "{e}");
    }
}

/// Bytes, then a read error.
struct FailingAfter(std::io::Cursor<Vec<u8>>);

impl Read for FailingAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(std::io::Error::other("disk on fire")),
            n => Ok(n),
        }
    }
}

#[test]
fn a_read_error_comes_after_the_lines_read_before_it() {
    let read = |text: String| {
        let input = BufReader::new(FailingAfter(std::io::Cursor::new(text.into_bytes())));
        jsonl::read(input, "broken.jsonl").unwrap_err()
    };
    // Good lines, then the error: at the line after the last.
    let e = read(text(1_000, &[]));
    assert!(matches!(e.kind(), NbestErrorKind::Io(_)), "{e}");
    assert_eq!(e.line(), 1_001);
    // A bad line in the same batch comes first.
    let e = read(text(1_000, &[(600, "[]")]));
    assert_eq!(
        (e.line(), e.to_string().contains("expected an object")),
        (601, true)
    );
}

#[test]
fn many_lists_written_in_parallel_read_back_equal() {
    let lists = jsonl::read(text(3_000, &[]).as_bytes(), "in.jsonl").unwrap();
    let mut out = Vec::new();
    jsonl::write(&mut out, &lists).unwrap();
    let mut one_by_one = Vec::new();
    for l in &lists {
        jsonl::write(&mut one_by_one, std::slice::from_ref(l)).unwrap();
    }
    assert_eq!(out, one_by_one);
    assert_eq!(jsonl::read(&out[..], "out.jsonl").unwrap(), lists);
}

#[test]
fn a_writer_refuses_the_first_bad_list_in_order() {
    let lists: Vec<NbestList> = (0..2_000)
        .map(|k| NbestList::new(&format!("u{k}")).with_hyp(Hypothesis::new("a b", -1.0)))
        .collect();
    let write = |lists: &[NbestList]| {
        let mut out = Vec::new();
        let e = jsonl::write(&mut out, lists).unwrap_err();
        assert!(out.is_empty());
        e.to_string()
    };
    let mut nan = lists.clone();
    nan[1_500].hyps[0].acoustic = f64::NAN;
    nan[1_800].hyps[0].acoustic = f64::INFINITY;
    assert!(write(&nan).contains("utterance `u1500`"), "{}", write(&nan));
    // A list's id is checked before its contents, and a duplicate id is found
    // at its second use.
    let mut dup = nan.clone();
    dup[1_200].id = "u7".into();
    assert!(write(&dup).contains("utterance id `u7`"), "{}", write(&dup));
    let mut late_dup = nan;
    late_dup[1_700].id = "u7".into();
    assert!(write(&late_dup).contains("utterance `u1500`"));
    // An extra score named as a field, in two lists: the first.
    let mut named = lists;
    named[900].hyps[0] = Hypothesis::new("a", -1.0).with_extra("lm", 1.0);
    named[300].hyps[0] = Hypothesis::new("a", -1.0).with_extra("words", 1.0);
    let e = write(&named);
    assert!(
        e.contains("utterance `u300`") && e.contains("`words`"),
        "{e}"
    );
}

#[test]
fn wer_counted_in_parallel_is_the_sum_over_lists() {
    let lists = jsonl::read(text(5_000, &[]).as_bytes(), "in.jsonl").unwrap();
    let chosen: Vec<Option<usize>> = (0..lists.len()).map(|k| Some(k % 4)).collect();
    let all = nbest_wer(&lists, &chosen);
    let mut sum = NbestWer::default();
    for (l, c) in lists.iter().zip(&chosen) {
        sum.add(&nbest_wer(std::slice::from_ref(l), &[*c]));
    }
    assert_eq!(all, sum);
    assert_eq!(all.lists, 5_000);
    // Hypothesis 0 equals the reference; index 3 is past the list (empty).
    assert_eq!((all.first.errors(), all.oracle.errors()), (0, 0));
    assert!(all.chosen.errors() > 0);
}
