//! Writing SRILM n-best lists: one file (plain or `NBestList1.0` form), or a
//! directory of them with score directories and `refs`, plain or compressed
//! as the input was (see the [module](super) docs for the format).

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{decipher, is_nbest_name, kind_of, listed_files, Kind, PAUSE};
use crate::arpa::{Compressed, Compression};
use crate::atomic::PendingDir;
use crate::rescore::error::{clip, short, NbestError};
use crate::rescore::nbest::{Hypothesis, NbestList};
use crate::rescore::outdir::{create_file, NamedBy};
use crate::rescore::writable::{self, IdUse, LogZero};
use crate::rescore::{kaldi, outdir};

/// Formats a score so that it reads back as the same `f64`: the shortest
/// decimal that does, positional from 1e-5 to 1e16 and in exponent notation
/// beyond (`1e-15` and `-1e300`, not 0 and 301 digits); `-0` as `0`.
pub(crate) fn fmt_score(x: f64) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    match x.abs() {
        a if !a.is_finite() || (1e-5..1e16).contains(&a) => format!("{x}"),
        _ => format!("{x:e}"),
    }
}

/// Formats the natural-log score `ln` in another unit: `to(ln)`, which the
/// reader takes back to natural log with `back` (a log10 value times ln 10, a
/// bytelog's [`bytelog_to_ln`](super::bytelog_to_ln)), so that it reads
/// back as `ln` exactly. Of the converted value rounded to 15 or 16
/// significant digits, unrounded, or one unit in the last place either side,
/// the first that `back` takes to `ln` is written as [`fmt_score`] writes it:
/// `-242.6258`, not `-242.62580000000003`, for a log10 score read as
/// `-242.6258`, and all 16 digits of `-5455.999999999999`. A value that no
/// decimal reads back as (a sum of bytelogs converted to log10) is written
/// unrounded, to read back within two units in the last place (as the
/// test `converted_scores_read_back_exactly` checks).
pub(crate) fn fmt_converted(ln: f64, to: impl Fn(f64) -> f64, back: impl Fn(f64) -> f64) -> String {
    let x = to(ln);
    if !x.is_finite() {
        return fmt_score(x);
    }
    let rounded = |digits: usize| -> f64 {
        format!("{x:.*e}", digits - 1)
            .parse()
            .expect("a float's own exponent form")
    };
    // Lazily: most scores read from text are found by the first.
    (15..=16)
        .map(rounded)
        .chain([x, x.next_down(), x.next_up()])
        .find(|&d| back(d) == ln)
        .map_or_else(|| fmt_score(x), fmt_score)
}

/// [`fmt_converted`] to log10, as [`read_file`](super::read_file) reads it
/// back ([`log10_to_ln`](super::log10_to_ln)).
pub(crate) fn fmt_log10(ln: f64) -> String {
    fmt_converted(ln, |l| l / std::f64::consts::LN_10, super::log10_to_ln)
}

/// Writes one list: in the plain form when its hypotheses have first-pass LM
/// scores (converted to log10, each the shortest decimal that reads back as
/// the same natural-log value), in the `NBestList1.0` form when none has (its
/// one score per line is the acoustic score, in bytelog units, as the reader
/// takes it: a plain line would need an LM score, and any number there would
/// read back as one).
///
/// # Errors
/// Any I/O error; before anything is written, an [`io::ErrorKind::InvalidInput`]
/// error naming the hypothesis for what would not read back as written: a word
/// that is empty or holds whitespace, a leading `<s>` or trailing `</s>`, a
/// score that is NaN or `+inf` (`-inf` is written as `-inf`, but for the
/// acoustic scores of an `NBestList1.0` list: bytelogs are finite), a
/// hypothesis without a first-pass LM score in a list where another has one,
/// the word [`PAUSE`](super::PAUSE) (which the readers drop).
///
/// ```
/// use dashlm::rescore::{srilm, Hypothesis, NbestList};
/// let ln10 = std::f64::consts::LN_10;
/// let mut bad = NbestList::new("u").with_hyp(Hypothesis::new("a", -1.0));
/// bad.hyps[0].words.push("b c".to_string());
/// assert!(srilm::write_file(&mut Vec::new(), &bad).is_err());
/// let list = NbestList::new("u").with_hyp(Hypothesis::new("a b", -2.5 * ln10).with_lm(-1.0 * ln10));
/// let mut out = Vec::new();
/// srilm::write_file(&mut out, &list).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "-2.5 -1 2 a b\n");
/// // A probability of zero, as SRILM writes it.
/// let zero = NbestList::new("u").with_hyp(Hypothesis::new("a", -1.0).with_lm(f64::NEG_INFINITY));
/// let mut out = Vec::new();
/// srilm::write_file(&mut out, &zero).unwrap();
/// assert!(String::from_utf8(out).unwrap().ends_with(" -inf 1 a\n"));
/// // No first-pass LM scores: the acoustic score in bytelogs.
/// let bytelog = srilm::bytelog_to_ln(-1234.0);
/// let no_lm = NbestList::new("u").with_hyp(Hypothesis::new("a b", bytelog));
/// let mut out = Vec::new();
/// srilm::write_file(&mut out, &no_lm).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "NBestList1.0\n(-1234) a b\n");
/// // Some with, some without: refused.
/// let mixed = list.clone().with_hyp(Hypothesis::new("c", -1.0));
/// assert!(srilm::write_file(&mut Vec::new(), &mixed).is_err());
/// ```
pub fn write_file<W: Write>(out: &mut W, list: &NbestList) -> io::Result<()> {
    writable::check_list(list, LogZero::Written)?;
    check_form(list)?;
    write_hyps(out, list)
}

/// Whether `list` is written in the `NBestList1.0` form: it has hypotheses
/// and none has a first-pass LM score.
fn without_lm(list: &NbestList) -> bool {
    !list.hyps.is_empty() && list.hyps.iter().all(|h| h.lm.is_none())
}

/// What the form of `list` needs beyond [`check_list`](writable::check_list):
/// no [`PAUSE`] word, first-pass LM scores on all its hypotheses or none, and
/// without them, finite acoustic scores.
fn check_form(list: &NbestList) -> io::Result<()> {
    let hyp = |k: usize| format!("utterance `{}`, hypothesis {}", clip(&list.id), k + 1);
    let with = list.hyps.iter().position(|h| h.lm.is_some());
    let without = list.hyps.iter().position(|h| h.lm.is_none());
    if let (Some(w), Some(k)) = (with, without) {
        return Err(writable::unwritable(format!(
            "{}: no first-pass LM score, but hypothesis {} has one: an SRILM n-best file \
             gives an LM score on every line (the plain form) or on none (NBestList1.0)",
            hyp(k),
            w + 1
        )));
    }
    if let Some(k) = list
        .hyps
        .iter()
        .position(|h| h.words.iter().any(|w| w == PAUSE))
    {
        return Err(writable::unwritable(format!(
            "{}: the word `{PAUSE}` is SRILM's pause word, which SRILM's readers (and \
             dashlm's) drop from a hypothesis: it would not read back",
            hyp(k)
        )));
    }
    let no_bytelog = |h: &Hypothesis| !decipher::ln_as_bytelog(h.acoustic).is_finite();
    match list.hyps.iter().position(no_bytelog) {
        Some(k) if with.is_none() => Err(writable::unwritable(format!(
            "{}: the acoustic score is {}, which as a bytelog is not finite: an NBestList1.0 \
             file (the form of lists without first-pass LM scores) holds finite bytelog \
             scores only",
            hyp(k),
            short(list.hyps[k].acoustic)
        ))),
        _ => Ok(()),
    }
}

/// The lines of [`write_file`], for a list already checked.
fn write_hyps<W: Write>(out: &mut W, list: &NbestList) -> io::Result<()> {
    if without_lm(list) {
        return decipher::write_v1(out, list);
    }
    for h in &list.hyps {
        let lm =
            h.lm.expect("checked: every hypothesis has a first-pass LM score");
        write!(
            out,
            "{} {} {}",
            fmt_log10(h.acoustic),
            fmt_log10(lm),
            h.words.len()
        )?;
        if !h.words.is_empty() {
            write!(out, " {}", h.words.as_str())?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The checks [`write_dir`] makes before writing anything (its `# Errors`).
pub(crate) fn check(lists: &[NbestList]) -> io::Result<()> {
    writable::check_lists(lists, IdUse::FileName, LogZero::Written)?;
    let ids: std::collections::HashSet<&str> = lists.iter().map(|l| l.id.as_str()).collect();
    for list in lists {
        check_form(list)?;
        for name in list.hyps.iter().flat_map(|h| h.extra.keys()) {
            writable::check_score_name(&list.id, name)?;
            // `w.nbest/` beside `w.nbest` (utterance `w`'s list) is one name.
            let takes_a_list = || ids.contains(super::id_of(Path::new(name)).as_str());
            if name == "refs" || (is_nbest_name(name) && takes_a_list()) {
                return Err(writable::unwritable(format!(
                    "utterance `{}`: extra score name `{name}` cannot be written: its \
                     directory would take the place of the `refs` file or an n-best file",
                    clip(&list.id)
                )));
            }
        }
    }
    Ok(())
}

/// Writes lists as a directory: `<id>.nbest` per list, each extra score that
/// every hypothesis of a list has as `<name>/<id>.nbest` (one log10 value per
/// line, as SRILM's score directories hold them: the shortest decimal that
/// reads back as the same natural-log value), and
/// `refs` when some list has a reference.
/// `dir` must be new or empty; it appears whole or not at all (see
/// [`check_new_dir`](crate::rescore::check_new_dir)).
///
/// # Errors
/// `dir` exists and is not an empty directory, or any I/O error; two utterance ids or extra score names
/// that differ only in case, which a case-insensitive file system takes for
/// one file, are an [`io::ErrorKind::AlreadyExists`] error naming it. Before
/// anything is written, an [`io::ErrorKind::InvalidInput`] error naming the
/// utterance for what would not read back as written: an id that is not a file
/// name of its own (empty, `.`, `..`, holding `/`, `\`, NUL or whitespace), two
/// lists with one id, an extra score name that is not a directory name of its
/// own or is `refs` or a list's file name (`w.nbest` beside utterance `w`), or
/// what [`write_file`] refuses.
///
/// ```
/// use dashlm::rescore::{srilm, Hypothesis, NbestList};
/// let dir = tempfile::tempdir().unwrap();
/// let escape = vec![NbestList::new("../u").with_hyp(Hypothesis::new("a", -1.0))];
/// assert!(srilm::write_dir(&dir.path().join("out"), &escape).is_err());
/// let lists = vec![NbestList::new("u").with_reference("a").with_hyp(Hypothesis::new("a", -1.0).with_extra("total", -3.0))];
/// srilm::write_dir(dir.path(), &lists).unwrap();
/// let back = srilm::read_dir(dir.path()).unwrap();
/// assert_eq!(back[0].hyps[0].extra["total"], -3.0);
/// assert_eq!(back[0].reference, lists[0].reference);
/// ```
pub fn write_dir(dir: &Path, lists: &[NbestList]) -> io::Result<()> {
    write_dir_compressed(dir, lists, Compression::None)
}

/// [`write_dir`] with the n-best files and the score directories' files
/// compressed as `compression` says (level 6), named `<id>.nbest.gz` (or
/// `.xz`) as n-best files may be read; `refs` stays plain. `dashlm rescore`
/// writes its output so when the input's n-best files all are
/// ([`input_compression`]).
///
/// # Errors
/// As [`write_dir`].
///
/// ```
/// use dashlm::arpa::Compression;
/// use dashlm::rescore::{srilm, Hypothesis, NbestList};
/// let (gz, plain) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
/// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("a b", -1.0).with_lm(-2.0))];
/// srilm::write_dir_compressed(gz.path(), &lists, Compression::Gzip).unwrap();
/// assert!(gz.path().join("u.nbest.gz").is_file());
/// assert_eq!(srilm::dir_compression(gz.path()).unwrap(), Compression::Gzip);
/// srilm::write_dir(plain.path(), &lists).unwrap();
/// assert_eq!(srilm::read_dir(gz.path()).unwrap(), srilm::read_dir(plain.path()).unwrap());
/// ```
pub fn write_dir_compressed(
    dir: &Path,
    lists: &[NbestList],
    compression: Compression,
) -> io::Result<()> {
    check(lists)?;
    outdir::write_new_dir(dir, |dir| write_files(dir, lists, compression))
}

/// [`write_dir_compressed`] up to its last step: the directory written in
/// full under a temporary name beside `dir`, for the caller to put in
/// place, alone ([`PendingDir::commit`]) or with its other outputs
/// ([`crate::atomic::commit_together`], so that a signal leaves all of them
/// or none). `dashlm rescore` writes its lists and its best text so.
///
/// # Errors
/// As [`write_dir`].
///
/// ```
/// use dashlm::arpa::Compression;
/// use dashlm::rescore::{srilm, Hypothesis, NbestList};
/// let dir = tempfile::tempdir().unwrap();
/// let out = dir.path().join("out");
/// let lists = vec![NbestList::new("u").with_hyp(Hypothesis::new("a b", -1.0))];
/// let pending = srilm::write_dir_pending(&out, &lists, Compression::None).unwrap();
/// assert!(!out.exists()); // not yet
/// pending.commit().unwrap();
/// assert_eq!(srilm::read_dir(&out).unwrap(), lists);
/// ```
pub fn write_dir_pending(
    dir: &Path,
    lists: &[NbestList],
    compression: Compression,
) -> io::Result<PendingDir> {
    check(lists)?;
    outdir::pending_new_dir(dir, |dir| write_files(dir, lists, compression))
}

/// How the n-best files of `path` are compressed, by their names: gzip when
/// it is a directory whose `<id>.nbest*` files all end in `.gz`, xz when they
/// all end in `.xz`, else (mixed, none, or `path` not a directory) none.
///
/// # Errors
/// Listing the directory fails.
///
/// ```
/// use dashlm::arpa::Compression;
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("u1.nbest.xz"), "").unwrap();
/// assert_eq!(dashlm::rescore::srilm::dir_compression(dir.path()).unwrap(), Compression::Xz);
/// std::fs::write(dir.path().join("u2.nbest"), "").unwrap();
/// assert_eq!(dashlm::rescore::srilm::dir_compression(dir.path()).unwrap(), Compression::None);
/// ```
pub fn dir_compression(path: &Path) -> io::Result<Compression> {
    if !path.is_dir() {
        return Ok(Compression::None);
    }
    let mut each = Vec::new();
    for entry in fs::read_dir(path)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if !path.is_dir() && is_nbest_name(&name) {
            each.push(Compression::of_name(&path));
        }
    }
    Ok(same_compression(each.into_iter()))
}

/// How the n-best files `path` holds or names are compressed, by their names
/// (see [`dir_compression`]): a directory's, a single n-best file's, or those
/// a list file names (gzip when all end in `.gz`, xz when all end in `.xz`,
/// else none). `dashlm rescore` writes its SRILM output so.
///
/// # Errors
/// As [`read_path`](super::read_path) telling what `path` is, or reading a list file.
///
/// ```
/// use dashlm::arpa::Compression;
/// use dashlm::rescore::srilm::input_compression;
/// let dir = tempfile::tempdir().unwrap();
/// let d = dir.path();
/// for name in ["a.nbest.gz", "b.nbest.gz", "c.nbest"] {
///     std::fs::write(d.join(name), "").unwrap();
/// }
/// std::fs::write(d.join("gz.list"), "a.nbest.gz\nb.nbest.gz\n").unwrap();
/// assert_eq!(input_compression(&d.join("gz.list")).unwrap(), Compression::Gzip);
/// std::fs::write(d.join("mixed.list"), "a.nbest.gz\nc.nbest\n").unwrap();
/// assert_eq!(input_compression(&d.join("mixed.list")).unwrap(), Compression::None);
/// assert_eq!(input_compression(&d.join("b.nbest.gz")).unwrap(), Compression::Gzip);
/// assert_eq!(input_compression(d).unwrap(), Compression::None); // the directory's are mixed
/// ```
pub fn input_compression(path: &Path) -> Result<Compression, NbestError> {
    let names: Vec<PathBuf> = match kind_of(path)? {
        Kind::Dir => {
            let name = path.display().to_string();
            return dir_compression(path).map_err(|e| NbestError::io(&name, e));
        }
        Kind::Nbest => vec![path.to_path_buf()],
        Kind::Nothing => Vec::new(),
        Kind::List => listed_files(path)?.into_iter().map(|(_, p)| p).collect(),
    };
    Ok(same_compression(
        names.iter().map(|p| Compression::of_name(p)),
    ))
}

/// The compression all of `each` share, or none (also when `each` is empty).
fn same_compression(mut each: impl Iterator<Item = Compression>) -> Compression {
    let Some(first) = each.next() else {
        return Compression::None;
    };
    if each.all(|c| c == first) {
        first
    } else {
        Compression::None
    }
}

/// A file of [`write_files`], `name` in `dir` (with `compression`'s
/// extension), written by `write` through a buffer and the compressor.
fn write_one(
    dir: &Path,
    name: &str,
    named_by: NamedBy,
    compression: Compression,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let file = create_file(dir, &format!("{name}{}", compression.extension()), named_by)?;
    let mut out = BufWriter::new(Compressed::new(file, compression, 6));
    write(&mut out)?;
    let compressed = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    compressed.finish().map(drop)
}

/// The files of [`write_dir_compressed`], written into existing directory `dir`.
fn write_files(dir: &Path, lists: &[NbestList], compression: Compression) -> io::Result<()> {
    let mut refs = Vec::new();
    for list in lists {
        let file = format!("{}.nbest", list.id);
        write_one(dir, &file, NamedBy::Utterance, compression, |mut out| {
            write_hyps(&mut out, list)
        })?;
        let names: BTreeSet<&str> = list.hyps.iter().flat_map(|h| h.extra.keys()).collect();
        for name in names {
            if !list.hyps.iter().all(|h| h.extra.contains_key(name)) {
                continue;
            }
            // Not `create_dir_all`: should `dir` be gone (a temporary
            // directory removed on Ctrl-C), it must not come back.
            match fs::create_dir(dir.join(name)) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
            let file = format!("{name}/{}.nbest", list.id);
            write_one(dir, &file, NamedBy::UtteranceAndScore, compression, |out| {
                for h in &list.hyps {
                    writeln!(out, "{}", fmt_log10(h.extra[name]))?;
                }
                Ok(())
            })?;
        }
        if let Some(r) = &list.reference {
            refs.push((list.id.clone(), r.clone()));
        }
    }
    if !refs.is_empty() {
        // Plain, whatever the lists' compression: `refs` is read by name.
        write_one(
            dir,
            "refs",
            NamedBy::Format,
            Compression::None,
            |mut out| {
                kaldi::write_entries(&mut out, refs.iter().map(|(id, w)| (id.as_str(), &w[..])))
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rescore::outdir::assert_existing_file_refused;
    use crate::rescore::Hypothesis;

    /// What a case-insensitive file system does: the file of utterance `A`
    /// (or score `Total`, or `REFS`) is there when `a` (or `total`, or
    /// `refs`) is written. The second write is an error naming the file,
    /// and the first is kept.
    #[test]
    fn a_file_already_written_is_an_error_not_emptied() {
        let lists = [NbestList::new("a")
            .with_reference("a")
            .with_hyp(Hypothesis::new("a", -1.0).with_extra("total", -3.0))];
        let write = |dir: &Path| write_files(dir, &lists, Compression::None);
        let utterance = "a.nbest: this file was already written for another utterance";
        assert_existing_file_refused(write, "a.nbest", utterance);
        let score = "total/a.nbest: this file was already written for another utterance or score";
        assert_existing_file_refused(write, "total/a.nbest", score);
        assert_existing_file_refused(write, "refs", "refs: an extra score's file or directory");
    }

    /// Scores written in log10 or bytelogs read back as the same natural-log
    /// values, in the shortest form of those tried. Before: 15 significant
    /// digits, so `-5455.999999999999` was written `-5456`.
    #[test]
    fn converted_scores_read_back_exactly() {
        let ln10 = std::f64::consts::LN_10;
        let cases = [
            ("-242.6258", "-242.6258"),
            ("-5455.999999999999", "-5455.999999999999"),
            ("-1.2345678901234567", "-1.2345678901234567"),
            ("-1e-300", "-1e-300"),
            ("0", "0"),
            ("-inf", "-inf"),
        ];
        for (log10, written) in cases {
            let ln = log10.parse::<f64>().unwrap() * ln10;
            assert_eq!(fmt_log10(ln), written, "{log10}");
        }
        let bytelog = |b: f64| {
            fmt_converted(
                decipher::bytelog_to_ln(b),
                decipher::ln_as_bytelog,
                decipher::bytelog_to_ln,
            )
        };
        assert_eq!(bytelog(-1234.0), "-1234");
        // Several decimals read back as this one (a bytelog is about 10 times
        // its natural log): one of them.
        let b = -5455.999999999999;
        let written = bytelog(b).parse::<f64>().unwrap();
        assert_eq!(decipher::bytelog_to_ln(written), decipher::bytelog_to_ln(b));
        // Random values, from log10 text and from natural log (where no
        // decimal may read back exactly: then within one unit in the last place).
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = -((x >> 11) as f64) / (1u64 << 53) as f64 * 10f64.powi((x % 12) as i32 - 3);
            let ln = format!("{v}").parse::<f64>().unwrap() * ln10;
            assert_eq!(fmt_log10(ln).parse::<f64>().unwrap() * ln10, ln, "{v}");
            let back = fmt_log10(v).parse::<f64>().unwrap() * ln10;
            assert!(
                (back - v).abs() <= 2.0 * (v.next_down() - v).abs(),
                "{v}: {back}"
            );
            let b = fmt_converted(v, decipher::ln_as_bytelog, decipher::bytelog_to_ln);
            assert!(
                (decipher::bytelog_to_ln(b.parse().unwrap()) - v).abs()
                    <= 2.0 * (v.next_down() - v).abs(),
                "{v}"
            );
        }
    }
}
