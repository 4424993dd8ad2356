//! WER: known alignments, agreement with a plain Levenshtein distance, and
//! transcription reading.

use std::fs;

use dashlm::rescore::mbr::DistanceMatrix;
use dashlm::rescore::wer::{
    align, edit_distance, nbest_wer, read_transcripts, EditOp, ErrorCounts,
};
use dashlm::rescore::{Hypothesis, NbestErrorKind, NbestList, Words};
use proptest::prelude::*;

fn w(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

/// Reference, hypothesis, alignment, (substitutions, insertions, deletions).
type Case<'a> = (&'a str, &'a str, &'a [EditOp], (u64, u64, u64));

#[test]
fn known_alignments() {
    use EditOp::*;
    let cases: &[Case] = &[
        ("a b c", "a b c", &[Match, Match, Match], (0, 0, 0)),
        ("a b c", "a x c", &[Match, Substitution, Match], (1, 0, 0)),
        ("a b c", "a c", &[Match, Deletion, Match], (0, 0, 1)),
        ("a c", "a b c", &[Match, Insertion, Match], (0, 1, 0)),
        ("", "a b", &[Insertion, Insertion], (0, 2, 0)),
        ("a b", "", &[Deletion, Deletion], (0, 0, 2)),
        ("", "", &[], (0, 0, 0)),
        // "the cat sat" -> "a cat sat on the mat": 1 sub, 3 ins.
        (
            "the cat sat",
            "a cat sat on the mat",
            &[Substitution, Match, Match, Insertion, Insertion, Insertion],
            (1, 3, 0),
        ),
        // A shifted sentence: the cheapest is one deletion and one insertion.
        (
            "x a b c",
            "a b c y",
            &[Deletion, Match, Match, Match, Insertion],
            (0, 1, 1),
        ),
        // Equal-cost alternatives resolve as Kaldi's `compute-wer` does: the
        // diagonal only when strictly cheapest, then a deletion, then an
        // insertion (not two substitutions).
        ("a b", "b a", &[Deletion, Match, Insertion], (0, 1, 1)),
        (
            "a b c d",
            "a c b d",
            &[Match, Deletion, Match, Insertion, Match],
            (0, 1, 1),
        ),
        (
            "the cat sat on the mat",
            "a cat sat the mat now",
            &[
                Substitution,
                Match,
                Match,
                Deletion,
                Match,
                Match,
                Insertion,
            ],
            (1, 1, 1),
        ),
    ];
    for (r, h, ops, (s, i, d)) in cases {
        let a = align(&w(r), &w(h));
        assert_eq!(a.ops, *ops, "{r:?} vs {h:?}");
        let c = a.counts;
        assert_eq!(
            (c.substitutions, c.insertions, c.deletions),
            (*s, *i, *d),
            "{r:?} vs {h:?}"
        );
        assert_eq!(c.ref_words, w(r).len() as u64);
        assert_eq!(c.errors() as usize, edit_distance(&w(r), &w(h)));
    }
}

#[test]
fn corpus_counts_and_kaldi_style_display() {
    let mut total = ErrorCounts::default();
    for (r, h) in [
        ("the cat sat", "the cat sat"),
        ("on the mat", "on a mat"),
        ("hello world", "hello"),
    ] {
        total.add(&ErrorCounts::of(&w(r), &w(h)));
    }
    assert_eq!(total.errors(), 2);
    assert_eq!(total.ref_words, 8);
    assert_eq!(
        total.to_string(),
        "%WER 25.00 [ 2 / 8, 0 ins, 1 del, 1 sub ]"
    );
    assert_eq!((total.sentences, total.sentence_errors), (3, 2));
}

/// The textbook full-matrix Levenshtein distance.
fn levenshtein(a: &[u8], b: &[u8]) -> usize {
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let sub = d[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = sub.min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
        }
    }
    d[a.len()][b.len()]
}

/// Kaldi's `LevenshteinEditDistance(ref, hyp, &ins, &del, &sub)` (the counts
/// `compute-wer` prints) as Kaldi writes it: rows over the hypothesis, each
/// cell's counts copied from the predecessor it picks. `(sub, ins, del)`.
fn kaldi_counts(reference: &[u8], hyp: &[u8]) -> (u64, u64, u64) {
    #[derive(Clone, Copy)]
    struct Stats {
        ins: u64,
        del: u64,
        sub: u64,
        cost: u64,
    }
    let mut e: Vec<Stats> = (0..=reference.len() as u64)
        .map(|i| Stats {
            ins: 0,
            del: i,
            sub: 0,
            cost: i,
        })
        .collect();
    for h in hyp {
        let mut cur = e.clone();
        cur[0].ins += 1;
        cur[0].cost += 1;
        for (r, word) in reference.iter().enumerate() {
            let ins_err = e[r + 1].cost + 1;
            let del_err = cur[r].cost + 1;
            let sub_err = e[r].cost + u64::from(h != word);
            cur[r + 1] = if sub_err < ins_err && sub_err < del_err {
                let mut c = e[r];
                c.sub += u64::from(h != word);
                Stats { cost: sub_err, ..c }
            } else if del_err < ins_err {
                let c = cur[r];
                Stats {
                    cost: del_err,
                    del: c.del + 1,
                    ..c
                }
            } else {
                let c = e[r + 1];
                Stats {
                    cost: ins_err,
                    ins: c.ins + 1,
                    ..c
                }
            };
        }
        e = cur;
    }
    let last = e[reference.len()];
    (last.sub, last.ins, last.del)
}

proptest! {
    #[test]
    fn alignment_is_a_minimal_edit_script(r in proptest::collection::vec(0u8..4, 0..12), h in proptest::collection::vec(0u8..4, 0..12)) {
        let a = align(&r, &h);
        let c = a.counts;
        prop_assert_eq!(c.errors() as usize, levenshtein(&r, &h));
        prop_assert_eq!(edit_distance(&r, &h), levenshtein(&r, &h));
        // Replaying the script turns the reference into the hypothesis.
        let (mut i, mut j) = (0, 0);
        for op in &a.ops {
            match op {
                EditOp::Match => { prop_assert_eq!(r[i], h[j]); i += 1; j += 1; }
                EditOp::Substitution => { prop_assert_ne!(r[i], h[j]); i += 1; j += 1; }
                EditOp::Insertion => j += 1,
                EditOp::Deletion => i += 1,
            }
        }
        prop_assert_eq!((i, j), (r.len(), h.len()));
        let matches = a.ops.iter().filter(|o| **o == EditOp::Match).count() as u64;
        prop_assert_eq!(matches + c.substitutions + c.deletions, r.len() as u64);
        prop_assert_eq!(matches + c.substitutions + c.insertions, h.len() as u64);
    }

    /// The counts kept in one row follow the alignment's tie-breaking exactly
    /// (a small alphabet makes ties common).
    #[test]
    fn counts_in_one_row_equal_the_alignments(r in proptest::collection::vec(0u8..3, 0..20), h in proptest::collection::vec(0u8..3, 0..20)) {
        prop_assert_eq!(ErrorCounts::of(&r, &h), align(&r, &h).counts);
    }

    /// Ties split into substitutions, insertions and deletions exactly as in
    /// Kaldi's `compute-wer`.
    #[test]
    fn counts_are_kaldis(r in proptest::collection::vec(0u8..3, 0..20), h in proptest::collection::vec(0u8..3, 0..20)) {
        let c = ErrorCounts::of(&r, &h);
        prop_assert_eq!((c.substitutions, c.insertions, c.deletions), kaldi_counts(&r, &h));
    }
}

/// Words the distances number by hashing: short ones told apart only by
/// trailing NUL bytes or length, 16 and 17 bytes, long ones sharing a prefix,
/// the empty word and one with a space (which `Words` may hold).
static VOCAB: [&str; 10] = [
    "a",
    "b",
    "abc",
    "abc\0",
    "",
    "0123456789abcdef",
    "0123456789abcdefg",
    "a word longer than sixteen bytes",
    "a word longer than sixteen bytes!",
    "x y",
];

/// Sequences of 0 to 150 words over the first `k` words of [`VOCAB`] (small
/// alphabets: many ties): patterns of one 64-word block and of several.
fn word_seqs(n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Vec<&'static str>>> {
    (1usize..=VOCAB.len()).prop_flat_map(move |k| {
        prop::collection::vec(
            prop::collection::vec(prop::sample::select(&VOCAB[..k]), 0..=150),
            n.clone(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// The oracle is the first hypothesis with the fewest errors by the plain
    /// distance (ties: the first), its counts, and the first and chosen
    /// hypotheses' counts, are `ErrorCounts::of`'s.
    #[test]
    fn oracle_is_the_first_hypothesis_at_the_least_plain_distance(
        seqs in word_seqs(1..8),
        choice in prop::option::of(0usize..8),
    ) {
        let (reference, hyps) = (&seqs[0], &seqs[1..]);
        let mut list = NbestList::new("u");
        list.reference = Some(reference.iter().map(|w| w.to_string()).collect());
        for h in hyps {
            let mut hyp = Hypothesis::new("", 0.0);
            hyp.words = h.iter().collect::<Words>();
            list = list.with_hyp(hyp);
        }
        let plain = hyps.iter().map(|h| edit_distance(reference, h)).collect::<Vec<_>>();
        let oracle = (0..hyps.len()).min_by_key(|&i| plain[i]);
        let counts = |i: Option<usize>| {
            let h = i.and_then(|i| hyps.get(i)).map_or(&[][..], |h| &h[..]);
            ErrorCounts::of(reference, h)
        };
        let w = nbest_wer(&[list], &[choice]);
        prop_assert_eq!(w.oracle, counts(oracle));
        prop_assert_eq!(w.first, counts(Some(0)));
        prop_assert_eq!(w.chosen, counts(choice));
    }

    /// `DistanceMatrix::new` (numbered words, bit-parallel distances) holds
    /// the plain distance of every pair.
    #[test]
    fn distance_matrix_is_the_plain_pairwise_distance(seqs in word_seqs(0..7)) {
        let hyps: Vec<&[&str]> = seqs.iter().map(|h| &h[..]).collect();
        let d = DistanceMatrix::new(&hyps);
        prop_assert_eq!(d.len(), hyps.len());
        for (i, a) in hyps.iter().enumerate() {
            for (j, b) in hyps.iter().enumerate() {
                prop_assert_eq!(d.get(i, j) as usize, edit_distance(a, b), "{} {}", i, j);
            }
        }
    }
}

#[test]
fn nbest_summary() {
    let lists = vec![
        NbestList::new("u1")
            .with_reference("a b c")
            .with_hyp(Hypothesis::new("a x c", 0.0))
            .with_hyp(Hypothesis::new("a b c", 0.0))
            .with_hyp(Hypothesis::new("b", 0.0)),
        NbestList::new("u2").with_reference("d e"),
        NbestList::new("u3").with_hyp(Hypothesis::new("no reference", 0.0)),
    ];
    let s = nbest_wer(&lists, &[Some(2), None, Some(0)]);
    assert_eq!(s.lists, 2);
    assert_eq!(
        (s.first.errors(), s.chosen.errors(), s.oracle.errors()),
        (1 + 2, 2 + 2, 2)
    );
    assert_eq!(s.chosen.deletions, 4);
    assert_eq!(s.first.ref_words, 5);
}

#[test]
fn transcripts_in_kaldi_text_and_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("text");
    fs::write(&text, "u1 a b\n\nu2\n").unwrap();
    let strings = |t: Vec<(String, dashlm::rescore::Words)>| -> Vec<(String, Vec<String>)> {
        t.into_iter().map(|(id, w)| (id, w.to_strings())).collect()
    };
    let t = strings(read_transcripts(&text, false).unwrap());
    assert_eq!(
        t,
        vec![
            ("u1".into(), vec!["a".into(), "b".into()]),
            ("u2".into(), vec![])
        ]
    );
    let j = dir.path().join("h.jsonl");
    fs::write(&j, "{\"id\": \"u1\", \"words\": \"a\"}\n{\"id\": \"u2\", \"text\": \"b c\"}\n{\"id\": \"u3\", \"ref\": \"r\", \"hyps\": []}\n").unwrap();
    let t = strings(read_transcripts(&j, false).unwrap());
    assert_eq!(t[1].1, ["b", "c"]);
    assert!(t[2].1.is_empty());
    // As references: only the line with one (before: an error at line 1,
    // so an output with some references could not be read as references).
    let r = strings(read_transcripts(&j, true).unwrap());
    assert_eq!(r, [("u3".to_string(), vec!["r".to_string()])]);
    fs::write(
        &j,
        "{\"id\": \"u1\", \"words\": \"a\"}\n{\"id\": \"u1\", \"words\": \"a\"}\n",
    )
    .unwrap();
    let e = read_transcripts(&j, false).unwrap_err();
    assert!(matches!(e.kind(), NbestErrorKind::Duplicate(_)) && e.line() == 2);
    fs::write(&j, "{\"id\": \"u1\", \"words\": \"a\"}\n{oops\n").unwrap();
    let e = read_transcripts(&j, false).unwrap_err();
    assert!(matches!(e.kind(), NbestErrorKind::Json(_)) && e.line() == 2);
    fs::write(&text, "u1 a\nu1 b\n").unwrap();
    assert_eq!(read_transcripts(&text, true).unwrap_err().line(), 2);
}

#[test]
fn transcripts_read_gzip_and_name_the_line_of_bytes_that_are_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    fs::write(&bad, b"u1 a b\nu2 c \xff d\n").unwrap();
    let e = read_transcripts(&bad, true).unwrap_err();
    assert_eq!(e.line(), 2, "{e}");
    assert!(
        e.to_string().contains("not UTF-8 text: byte 12 (0xff)"),
        "{e}"
    );
    let gz = dir.path().join("refs.txt.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, b"u1 a b\nu2 c d\n").unwrap();
    fs::write(&gz, enc.finish().unwrap()).unwrap();
    let t = read_transcripts(&gz, true).unwrap();
    assert_eq!(
        (t[1].0.clone(), t[1].1.to_strings()),
        ("u2".to_string(), vec!["c".to_string(), "d".to_string()])
    );
}
