//! Kaldi transcriptions as word ids: `nbest-to-linear` writes each
//! hypothesis' words as ids of the lang directory's `words.txt`. A directory
//! with `words` and `words.txt` and no `text` reads them through the table;
//! what it cannot read is an error naming the file, the line and the token.

use std::fs;
use std::path::Path;

mod rescore_cli_common;

use dashlm::rescore::{kaldi, read_lists, Format, NbestErrorKind};
use rescore_cli_common::{assert_kaldi_refused, dir_with};

const TABLE: &str = "<eps> 0\n!SIL 1\nthe 2\ncat\t3\nsat 4\n#0 5\n<s> 6\n</s> 7\n";

fn err(d: &Path) -> String {
    kaldi::read_dir(d).unwrap_err().to_string()
}

#[test]
fn word_ids_read_through_the_symbol_table_equal_the_same_lists_as_text() {
    let costs = [
        ("ac_cost", "u1-1 10\nu1-2 11.5\nu2-1 3\n"),
        ("lm_cost", "u1-1 4\nu1-2 inf\nu2-1 2\n"),
        ("refs", "u1 the cat sat\n"),
    ];
    let ids = dir_with(
        &[
            &costs[..],
            &[
                // Out of rank order, a sentence-start id and an empty transcription.
                ("words", "u1-2 2 3\nu1-1 6 2 3 4 7\nu2-1\n"),
                ("words.txt", TABLE),
            ],
        ]
        .concat(),
    );
    let text = dir_with(
        &[
            &costs[..],
            &[("text", "u1-1 the cat sat\nu1-2 the cat\nu2-1\n")],
        ]
        .concat(),
    );
    let from_ids = kaldi::read_dir(ids.path()).unwrap();
    assert_eq!(from_ids, kaldi::read_dir(text.path()).unwrap());
    assert_eq!(from_ids[0].hyps[0].words, ["the", "cat", "sat"]);
    assert_eq!(read_lists(ids.path(), Format::Kaldi).unwrap(), from_ids);
    // Written back, the transcriptions are words, in `text`.
    let out = tempfile::tempdir().unwrap();
    kaldi::write_dir(&out.path().join("o"), &from_ids).unwrap();
    let written = fs::read_to_string(out.path().join("o/text")).unwrap();
    assert_eq!(written, "u1-1 the cat sat\nu1-2 the cat\nu2-1\n");
    assert!(!out.path().join("o/words").exists());
    // With a `text` too, both are read and must agree.
    fs::copy(text.path().join("text"), ids.path().join("text")).unwrap();
    assert_eq!(kaldi::read_dir(ids.path()).unwrap(), from_ids);
    fs::write(ids.path().join("text"), "u1-1 sat\nu1-2 the cat\nu2-1\n").unwrap();
    let err = kaldi::read_dir(ids.path()).unwrap_err();
    assert_eq!(
        (err.source_name(), err.line()),
        (&*ids.path().join("words").display().to_string(), 2)
    );
    // A key that only one of them has.
    fs::write(ids.path().join("text"), "u1-1 the cat sat\nu1-2 the cat\n").unwrap();
    let err = kaldi::read_dir(ids.path()).unwrap_err().to_string();
    assert!(
        err.ends_with("words:3: hypothesis `u2-1` is not in the transcription archive"),
        "{err}"
    );
}

#[test]
fn bad_word_ids_name_the_archive_line_and_token() {
    let ac = ("ac_cost", "u-1 1\nu-2 2\n");
    let cases = [
        (
            "u-1 2\nu-2 2 99\n",
            2,
            "`99` is not a word id of",
            "the table has no such id",
        ),
        (
            "u-1 2 0\nu-2 2\n",
            1,
            "`0` is not a word id of",
            "0 is epsilon (`<eps>`)",
        ),
        (
            "u-1 the cat\nu-2 2\n",
            1,
            "`the` is not a word id of",
            "not an integer (`words` holds the transcriptions as ids",
        ),
        (
            "u-1 -3\nu-2 2\n",
            1,
            "`-3` is not a word id of",
            "not an integer",
        ),
        (
            "u-1 99999999999999999999\nu-2 2\n",
            1,
            "`99999999999999999999`",
            "not an integer",
        ),
    ];
    for (words, line, token, why) in cases {
        let d = dir_with(&[ac, ("words", words), ("words.txt", TABLE)]);
        let e = kaldi::read_dir(d.path()).unwrap_err();
        let message = e.to_string();
        assert!(
            matches!(e.kind(), NbestErrorKind::WordId { .. }),
            "{message}"
        );
        assert_eq!(
            (e.line(), e.source_name()),
            (line, &*d.path().join("words").display().to_string()),
            "{message}"
        );
        assert!(
            message.contains(token) && message.contains(why),
            "{message}"
        );
        assert!(
            message.contains(&d.path().join("words.txt").display().to_string()),
            "{message}"
        );
    }
    // The archive's own checks name `words`, not `text`.
    let d = dir_with(&[ac, ("words", "u-1 2\nu-1 3\n"), ("words.txt", TABLE)]);
    assert!(
        err(d.path()).ends_with("words:2: duplicate key `u-1`"),
        "{}",
        err(d.path())
    );
    let d = dir_with(&[
        ("ac_cost", "u-1 1\n"),
        ("words", "u-1 2\nu-2 3\n"),
        ("words.txt", TABLE),
    ]);
    assert!(
        err(d.path()).contains("words:2: no entry for hypothesis `u-2` in"),
        "{}",
        err(d.path())
    );
}

#[test]
fn a_malformed_symbol_table_names_its_line() {
    let cases = [
        (
            "<eps> 0\nthe 1\nthe cat 2\n",
            3,
            "expected `symbol id`, two fields",
        ),
        ("<eps> 0\nthe\n", 2, "expected `symbol id`, two fields"),
        (
            "<eps> 0\nthe one\n",
            2,
            "expected a non-negative integer id after the symbol, found `one`",
        ),
        (
            "<eps> 0\nthe -1\n",
            2,
            "expected a non-negative integer id after the symbol, found `-1`",
        ),
        (
            "<eps> 0\nthe 1\n\ncat 1\n",
            4,
            "expected an id not given before, found id 1 again (first on line 2)",
        ),
    ];
    for (table, line, expected) in cases {
        let files = [
            ("ac_cost", "u-1 1\n"),
            ("words", "u-1 1\n"),
            ("words.txt", table),
        ];
        assert_kaldi_refused(&files, "words.txt", line, expected);
    }
}

/// `words` alone: the error for the missing `text` says how to read it.
#[test]
fn word_ids_without_a_symbol_table_are_an_error_saying_what_to_add() {
    let d = dir_with(&[("ac_cost", "u-1 1\n"), ("words", "u-1 2\n")]);
    let message = err(d.path());
    assert!(message.contains("text: read error: "), "{message}");
    let hint = "this directory has `words`, transcriptions as word ids: link the symbol table \
                they use (the lang directory's `words.txt`) into it as `words.txt` or name it \
                with `--words-txt`, or write them as words with \
                `utils/int2sym.pl -f 2- words.txt < words > text`";
    assert!(message.contains(hint), "{message}");
    fs::write(d.path().join("words.txt"), TABLE).unwrap();
    assert_eq!(kaldi::read_dir(d.path()).unwrap()[0].hyps[0].words, ["the"]);
}
