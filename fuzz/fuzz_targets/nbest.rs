//! Any bytes given to the n-best readers (JSONL, SRILM, Kaldi text and score
//! archives, Kaldi symbol tables and word ids) give lists or an error, never a
//! panic; lists that read must rescore against a small model, and the scorer
//! (lists in groups taking turns through a shared memo) must give each
//! hypothesis exactly its word-by-word score, with the reference model and with
//! the same model compiled (whose states the scorer numbers by their keys).
//! Every score read is finite, or a probability of zero where the format spells
//! one (SRILM's `-inf`, a Kaldi cost of `inf`), never NaN; lists the JSONL
//! writer takes read back equal. The JSONL readers' fast paths (n-best lists
//! and `wer`'s transcripts) read every input as their general (serde_json
//! `Value`) paths do: see [`check_fast_paths`].
#![no_main]

use std::sync::OnceLock;

use dashlm::arpa::NGramSet;
use dashlm::rescore::{jsonl, kaldi, srilm, wer, NbestError, NbestErrorKind};
use dashlm::rescore::{score_lists_sequential, ExtraWeights, NbestList, Rescorer, LN_10};
use dashlm::{LanguageModel, Model, ReferenceModel};
use libfuzzer_sys::fuzz_target;

fn lm() -> &'static ReferenceModel {
    static LM: OnceLock<ReferenceModel> = OnceLock::new();
    LM.get_or_init(|| {
        ReferenceModel::new(
            NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap(),
        )
    })
}

fn compiled() -> &'static Model<Vec<u8>> {
    static LM: OnceLock<Model<Vec<u8>>> = OnceLock::new();
    LM.get_or_init(|| {
        let set = NGramSet::read(&include_bytes!("../../data/tiny.arpa")[..], "tiny").unwrap();
        let (file, _) = dashlm::build::compile(&set, Default::default()).unwrap();
        let mut bytes = Vec::new();
        file.write_to(&mut bytes).unwrap();
        Model::from_bytes(bytes).unwrap()
    })
}

/// Each hypothesis' score from the scorer is its word-by-word score, to the bit.
fn check_scores<M: LanguageModel>(lm: &M, lists: &[NbestList]) {
    let (scores, _) = score_lists_sequential(lm, lists);
    for (list, scores) in lists.iter().zip(&scores) {
        for (h, &s) in list.hyps.iter().zip(scores) {
            let ids: Vec<_> = h.words.iter().map(|w| lm.word_id(w.as_bytes())).collect();
            let direct = f64::from(lm.score_sentence(&ids, true, true)) * LN_10;
            assert_eq!(s.to_bits(), direct.to_bits(), "{}: {:?}", list.id, h.words);
        }
    }
}

/// Every score of `lists` finite, or `-inf` (a probability of zero) where
/// `zero` allows it.
fn assert_scores(lists: &[NbestList], zero: bool) {
    let ok = |x: f64| x.is_finite() || (zero && x == f64::NEG_INFINITY);
    for h in lists.iter().flat_map(|l| &l.hyps) {
        assert!(ok(h.acoustic) && h.lm.is_none_or(ok), "{h:?}");
    }
}

/// Weighing the lists' extra scores (up to three names, each 0.5, or 0.5
/// times the LM weight of 1) adds exactly their weighted sum to every total
/// the plain weights give.
fn check_extra_weights(lists: &[NbestList]) {
    let names = lists
        .iter()
        .flat_map(|l| &l.hyps)
        .flat_map(|h| h.extra.keys());
    let fixed = (names.clone().take(3)).fold(ExtraWeights::new(), |w, n| w.with(n, 0.5));
    let times_lm = (names.take(3)).fold(ExtraWeights::new(), |w, n| w.with_times_lm(n, 0.5));
    let plain = Rescorer::new(lm(), Default::default()).rescore_all_sequential(lists);
    for extra in [fixed, times_lm] {
        let weighted = Rescorer::new(lm(), Default::default())
            .with_extra_weights(extra.clone())
            .rescore_all_sequential(lists);
        for ((list, a), b) in lists.iter().zip(&plain).zip(&weighted) {
            for (i, h) in list.hyps.iter().enumerate() {
                let e = extra.weigh(&h.extra) + extra.weigh_times_lm(&h.extra);
                if e.is_finite() && a.totals[i].is_finite() {
                    assert_eq!(b.totals[i], a.totals[i] + e, "{h:?}");
                }
            }
        }
    }
}

/// The top-level key [`force_value_path`] adds, escaped as it writes it.
const PAD_KEY: &str = "_fuzz_pad";

/// `input` with an ignored top-level field, under an escaped key
/// (`"\u005ffuzz_pad": null`), first in every line that opens an object:
/// the JSONL readers' fast paths give up on an escaped key, so these lines
/// are read by the general (`Value`) path alone, which ignores the field.
fn force_value_path(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + 64);
    for line in input.split_inclusive(|&b| b == b'\n') {
        let open = line
            .iter()
            .position(|&b| !matches!(b, b' ' | b'\t' | b'\r'));
        match open.filter(|&i| line[i] == b'{') {
            Some(i) => {
                out.extend_from_slice(&line[..=i]);
                out.extend_from_slice(br#""\u005ffuzz_pad": null, "#);
                out.extend_from_slice(&line[i + 1..]);
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

/// `fast` (read as given) and `slow` (read from [`force_value_path`]'s
/// input) agree: the same values, or errors on the same line (the forced
/// input may also give a key twice where the input itself gives our key).
fn assert_same<T: PartialEq + std::fmt::Debug>(
    fast: &Result<T, NbestError>,
    slow: &Result<T, NbestError>,
    what: &str,
) {
    let ours =
        |e: &NbestError| matches!(e.kind(), NbestErrorKind::DuplicateJsonKey(k) if k == PAD_KEY);
    match (fast, slow) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}: the fast path reads otherwise"),
        (Err(a), Err(b)) if ours(b) => assert!(b.line() <= a.line(), "{what}: {a} / {b}"),
        (Err(a), Err(b)) => assert_eq!(a.line(), b.line(), "{what}: {a} / {b}"),
        (Ok(_), Err(b)) => assert!(
            ours(b),
            "{what}: the fast path reads a line the general path refuses: {b}"
        ),
        (Err(a), Ok(_)) => {
            panic!("{what}: the fast path's input fails, the general path's reads: {a}")
        }
    }
}

/// Every score of `lists` bit for bit (`PartialEq` takes `-0.0` for `0.0`).
fn score_bits(lists: &[NbestList]) -> Vec<u64> {
    let hyps = lists.iter().flat_map(|l| &l.hyps);
    hyps.flat_map(|h| {
        let own = [h.acoustic.to_bits(), h.lm.map_or(1, f64::to_bits)];
        own.into_iter().chain(h.extra.values().map(|v| v.to_bits()))
    })
    .collect()
}

/// The JSONL n-best reader and `wer`'s transcript reader read `input` as they
/// read it with every object line forced through their general paths (the
/// n-best lists' scores to the bit).
fn check_fast_paths(input: &[u8], lists: &Result<Vec<NbestList>, NbestError>) {
    let forced = force_value_path(input);
    let slow = jsonl::read(&forced[..], "fuzz.jsonl");
    assert_same(lists, &slow, "jsonl");
    if let (Ok(a), Ok(b)) = (lists, &slow) {
        assert_eq!(score_bits(a), score_bits(b), "jsonl: a score's bits differ");
    }
    // The transcript reader reads a file (one per fuzzing process), as JSONL
    // when its first character but separators is `{` (else Kaldi `text`,
    // which the forced input would change).
    let is_jsonl = std::str::from_utf8(input).is_ok_and(|t| {
        t.trim_start_matches(dashlm::text::is_separator_char)
            .starts_with('{')
    });
    if !is_jsonl {
        return;
    }
    thread_local! {
        static DIR: tempfile::TempDir = tempfile::tempdir().unwrap();
    }
    DIR.with(|dir| {
        let (given, slow) = (
            dir.path().join("given.jsonl"),
            dir.path().join("forced.jsonl"),
        );
        std::fs::write(&given, input).unwrap();
        std::fs::write(&slow, &forced).unwrap();
        for reference in [false, true] {
            let a = wer::read_transcripts(&given, reference);
            let b = wer::read_transcripts(&slow, reference);
            assert_same(
                &a,
                &b,
                if reference {
                    "transcripts (ref)"
                } else {
                    "transcripts"
                },
            );
        }
    });
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 5 {
        0 => {
            let read = jsonl::read(rest, "fuzz.jsonl");
            check_fast_paths(rest, &read);
            if let Ok(lists) = read {
                assert_scores(&lists, false);
                // What the writer takes reads back as it was.
                let mut out = Vec::new();
                if jsonl::write(&mut out, &lists).is_ok() {
                    let back =
                        jsonl::read(&out[..], "back.jsonl").expect("written lists read back");
                    assert_eq!(back, lists);
                }
                check_extra_weights(&lists);
                check_scores(lm(), &lists);
                check_scores(compiled(), &lists);
            }
        }
        1 => {
            if let Ok(list) = srilm::read_file(rest, "fuzz.nbest", "u1") {
                assert_scores(std::slice::from_ref(&list), true);
                // What the writer takes reads back as it was: its scores
                // exactly, but for NBestList2.0's sums of bytelogs (which no
                // log10 decimal may give exactly), to two units in the last
                // place.
                let sums = rest.windows(12).any(|w| w == b"NBestList2.0");
                let mut out = Vec::new();
                if srilm::write_file(&mut out, &list).is_ok() {
                    let back = srilm::read_file(&out[..], "back.nbest", "u1")
                        .expect("a written list reads back");
                    let close = |a: f64, b: f64| {
                        a == b || (sums && (a - b).abs() <= 2.0 * (a.next_up() - a).abs())
                    };
                    assert_eq!(back.hyps.len(), list.hyps.len());
                    for (b, h) in back.hyps.iter().zip(&list.hyps) {
                        assert_eq!(b.words, h.words);
                        assert!(
                            close(b.acoustic, h.acoustic),
                            "{} {}",
                            b.acoustic,
                            h.acoustic
                        );
                        match (b.lm, h.lm) {
                            (Some(x), Some(y)) => assert!(close(x, y), "{x} {y}"),
                            (x, y) => assert_eq!(x, y),
                        }
                    }
                }
            }
        }
        2 => {
            let _ = kaldi::read_text(rest, "text");
            if let Ok(alignments) = kaldi::read_alignments(rest, "ali") {
                // Transition ids joined by single spaces, as written back.
                for (_, a) in &alignments {
                    assert!(
                        a.split(' ')
                            .all(|id| id.parse::<i32>().is_ok_and(|i| i >= 0))
                            || a.is_empty()
                    );
                }
            }
        }
        3 => {
            if let Ok(scores) = kaldi::read_scores(rest, "ac_cost") {
                assert!(scores
                    .iter()
                    .all(|s| s.1.is_finite() || s.1 == f64::INFINITY));
            }
        }
        _ => {
            // A symbol table, a NUL, then transcriptions as word ids.
            let at = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let (table, ids) = (&rest[..at], rest.get(at + 1..).unwrap_or_default());
            if let Ok(table) = kaldi::SymbolTable::read(table, "words.txt") {
                for line in String::from_utf8_lossy(ids).lines() {
                    if let Ok(words) = table.transcription(line) {
                        // One word per id, each the table's word.
                        let ids = line.split_ascii_whitespace();
                        assert_eq!(
                            words.split(' ').filter(|w| !w.is_empty()).count(),
                            ids.count()
                        );
                        // Each word maps back to an id of that word.
                        for w in words.split(' ').filter(|w| !w.is_empty()) {
                            assert_eq!(table.id(w).and_then(|id| table.word(id)), Some(w));
                        }
                    }
                }
            }
        }
    }
});
