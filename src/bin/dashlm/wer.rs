//! `dashlm wer`: word error rate of hypotheses against references.

use std::collections::HashMap;
use std::error::Error;
use std::io::Write;
use std::path::PathBuf;

use dashlm::rescore::wer::{read_transcripts, ErrorCounts};
use dashlm::rescore::Words;

/// Word error rate with substitution, insertion and deletion counts.
///
/// REF and HYP hold `id w1 w2 ...` lines (Kaldi `text`) or JSONL (references
/// from `ref`; hypotheses from `words`, `text` or the first of `hyps`, as in
/// `dashlm rescore` output). Prints Kaldi `compute-wer` style lines.
#[derive(clap::Args)]
pub struct Args {
    /// The references.
    #[arg(long = "ref")]
    reference: PathBuf,
    /// The hypotheses.
    #[arg(long)]
    hyp: PathBuf,
    /// strict: every reference needs a hypothesis; present: score only those with
    /// one; all: a missing hypothesis is empty.
    #[arg(long, default_value = "strict", value_parser = ["strict", "present", "all"])]
    mode: String,
    /// Noise words, one a line (as SRILM's `-noise-vocab FILE`), dropped
    /// from every reference and hypothesis before the alignment, as
    /// `rescore --noise` and `tune --noise` drop them.
    #[arg(long, value_name = "FILE")]
    noise: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<(), Box<dyn Error + Send + Sync>> {
    let mut inputs = vec![("--ref", args.reference.as_path()), ("--hyp", &args.hyp)];
    inputs.extend(args.noise.as_deref().map(|n| ("--noise", n)));
    super::lists::check_stdin_once(&inputs)?;
    let noise = super::lists::read_noise(args.noise.as_deref())?;
    let mut refs = read_transcripts(&args.reference, true)?;
    let mut hyps: HashMap<String, Words> =
        read_transcripts(&args.hyp, false)?.into_iter().collect();
    // As `rescore` and `tune` drop them from the lists and references they read.
    if !noise.is_empty() {
        refs.iter_mut().for_each(|(_, w)| noise.drop_from(w));
        hyps.values_mut().for_each(|w| noise.drop_from(w));
    }
    let mut total = ErrorCounts::default();
    let mut missing = 0usize;
    let empty = Words::default();
    // One line's words at a time as slices, for the alignment.
    let (mut ref_words, mut hyp_words) = (Vec::new(), Vec::new());
    for (id, words) in &refs {
        let hyp = match hyps.get(id) {
            Some(h) => h,
            None => {
                missing += 1;
                match args.mode.as_str() {
                    "strict" => {
                        return Err(format!(
                            "{}: no hypothesis for `{}`",
                            super::load::input_name(&args.hyp),
                            dashlm::text::quote(id, dashlm::text::QUOTED_CHARS)
                        )
                        .into())
                    }
                    "present" => continue,
                    _ => &empty,
                }
            }
        };
        ref_words.clear();
        ref_words.extend(words.iter());
        hyp_words.clear();
        hyp_words.extend(hyp.iter());
        total.add(&ErrorCounts::of(&ref_words, &hyp_words));
    }
    // `%WER 0.00 [ 0 / 0 ]` would read as a perfect score.
    if refs.is_empty() {
        return Err(format!(
            "{}: no references: nothing to score",
            super::load::input_name(&args.reference)
        )
        .into());
    }
    if total.sentences == 0 {
        return Err(format!(
            "{}: none of the {} references in {} has a hypothesis here (--mode present): nothing to score",
            super::load::input_name(&args.hyp),
            refs.len(),
            super::load::input_name(&args.reference)
        )
        .into());
    }
    // `%WER inf` (or 0.00 over no words) is no rate: errors over no words.
    if total.ref_words == 0 {
        return Err(format!(
            "{}: the {} references scored hold no words: the WER is undefined (nothing to \
             score)",
            super::load::input_name(&args.reference),
            total.sentences
        )
        .into());
    }
    warn_unreferenced(&args, &refs, &hyps);
    let mut out = super::load::stdout();
    // compute-wer's mark of a score over fewer sentences than the references.
    let partial = if missing > 0 { " [PARTIAL]" } else { "" };
    writeln!(out, "{total}{partial}")?;
    writeln!(
        out,
        "%SER {:.2} [ {} / {} ]",
        100.0 * total.ser(),
        total.sentence_errors,
        total.sentences
    )?;
    writeln!(
        out,
        "Scored {} sentences, {missing} not present in hyp.",
        total.sentences
    )?;
    out.flush()?;
    Ok(())
}

/// A warning on stderr for hypotheses without a reference, which are not
/// scored (as in Kaldi's `compute-wer`; a wrong reference file would
/// otherwise go unnoticed as long as some ids match).
fn warn_unreferenced(args: &Args, refs: &[(String, Words)], hyps: &HashMap<String, Words>) {
    let ids: std::collections::HashSet<&str> = refs.iter().map(|(id, _)| id.as_str()).collect();
    let mut unreferenced: Vec<&str> = hyps
        .keys()
        .map(String::as_str)
        .filter(|id| !ids.contains(id))
        .collect();
    if unreferenced.is_empty() {
        return;
    }
    unreferenced.sort_unstable();
    super::load::note!(
        "dashlm: warning: {}: {} hypotheses have no reference in {} and are not scored \
         (the first by id: `{}`)",
        super::load::input_name(&args.hyp),
        unreferenced.len(),
        super::load::input_name(&args.reference),
        dashlm::text::quote(unreferenced[0], dashlm::text::QUOTED_CHARS)
    );
}
