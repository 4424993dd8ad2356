//! What `dashlm rescore` and `dashlm tune` share on their way in: the
//! options naming the model and the lists ([`Lists`]) and the score weights
//! ([`ScoreWeights`]), the parsers of their numbers, and reading the lists
//! with their references.

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::path::{Path, PathBuf};

use dashlm::rescore::kaldi::SymbolTable;
use dashlm::rescore::{
    attach_references, kaldi, read_lists_with_noise, ExtraWeights, Format, NbestError, NbestList,
    NoiseWords, ScoreWeight, Words,
};

type BoxError = Box<dyn Error + Send + Sync>;

/// The options `rescore` and `tune` share: the model and the lists, and what
/// reads them.
#[derive(clap::Args)]
pub struct Lists {
    /// The model: ARPA (plain, .gz or .xz) or compiled.
    #[arg(long)]
    pub model: PathBuf,
    /// The n-best lists: a JSONL file, an SRILM directory or list file, or a Kaldi directory.
    #[arg(long)]
    pub input: PathBuf,
    /// Input format (rescore writes it too): jsonl, srilm or kaldi.
    #[arg(long, default_value = "jsonl", value_parser = parse_format)]
    pub format: Format,
    /// References (`id w1 w2 ...` lines, or JSONL objects with `id` and `ref`) to
    /// attach, in place of the input's own. Default: the input's own (JSONL
    /// `ref` fields, or the `refs` file of an SRILM or Kaldi directory).
    #[arg(long)]
    pub refs: Option<PathBuf>,
    /// With --format kaldi: the symbol table of the input's `words` (word ids),
    /// e.g. the lang directory's words.txt, in place of a words.txt in the input.
    #[arg(long)]
    pub words_txt: Option<PathBuf>,
    /// Noise words, one a line (as SRILM's `ngram -noise-vocab FILE`):
    /// dropped from every hypothesis and reference, in every format, so that
    /// they are not scored, not counted for the word insertion penalty, not
    /// aligned for WER and not written back; an SRILM `num_words` may count
    /// them or not.
    #[arg(long, value_name = "FILE")]
    pub noise: Option<PathBuf>,
}

/// `--score-weight NAME=W`, which `rescore` and `tune` share.
#[derive(clap::Args)]
pub struct ScoreWeights {
    /// Add W times the hypotheses' extra score NAME to their totals
    /// (repeatable; kept fixed by tune), or with NAME=F*lm (NAME=lm: F = 1)
    /// F times the LM weight times it (tune tunes it with the LM weight).
    /// E.g. nolm=lm: Kaldi's graph costs without the LM (`lmwt.nolm`, read as
    /// the score `nolm`) weighted as Kaldi's LMWT weighs the whole graph cost.
    #[arg(long = "score-weight", value_name = "NAME=W|NAME=F*lm", allow_hyphen_values = true,
          value_parser = ExtraWeights::parse_arg)]
    pub pairs: Vec<(String, ScoreWeight)>,
}

impl ScoreWeights {
    /// The weights, checked against `lists`: a name given twice, or a
    /// hypothesis without a score weighted other than 0, is an error.
    pub fn for_lists(&self, lists: &[NbestList]) -> Result<ExtraWeights, String> {
        let extra =
            ExtraWeights::from_pairs(&self.pairs).map_err(|e| format!("--score-weight: {e}"))?;
        extra.check_lists(lists)?;
        Ok(extra)
    }
}

pub fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// A weight: a finite number (a NaN or infinite weight would rank every
/// hypothesis alike, silently).
pub fn parse_finite(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(format!("`{s}`: expected a finite number")),
        Err(_) => Err(format!("`{s}` is not a number")),
    }
}

/// A scale (the acoustic scale, an MBR posterior scale): a finite number >= 0.
pub fn parse_scale(s: &str) -> Result<f64, String> {
    match parse_finite(s)? {
        x if x >= 0.0 => Ok(x),
        _ => Err(format!("`{s}`: expected a scale >= 0")),
    }
}

/// `--threads N`: 1 to 1024 (a pool of a hundred thousand threads hangs the
/// machine rather than scoring faster).
pub fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{s}`: expected a number of threads from 1 to 1024"
        )),
    }
}

/// Sets the size of rayon's global pool.
pub fn set_threads(threads: Option<usize>) -> Result<(), BoxError> {
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()?;
    }
    Ok(())
}

/// An error if two of `inputs` (`(option, path)`) are `-`, or name one
/// pipe, FIFO or socket (`-` and `/dev/stdin` when standard input is a
/// pipe): a stream can be read once.
pub fn check_stdin_once(inputs: &[(&str, &Path)]) -> Result<(), String> {
    let stdin: Vec<&str> = inputs
        .iter()
        .filter(|(_, p)| super::load::is_dash(p))
        .map(|(option, _)| *option)
        .collect();
    if stdin.len() > 1 {
        return Err(format!(
            "{} are both `-`: standard input can be given once",
            stdin.join(" and ")
        ));
    }
    let streams: Vec<_> = inputs.iter().map(|(_, p)| stream_identity(p)).collect();
    for (i, a) in streams.iter().enumerate() {
        let Some(j) = a.and_then(|a| streams[i + 1..].iter().position(|&b| b == Some(a))) else {
            continue;
        };
        let name = |(option, path): (&str, &Path)| format!("{option} {}", path.display());
        return Err(format!(
            "{} and {} are one stream (a pipe, FIFO or socket), which can be read once",
            name(inputs[i]),
            name(inputs[i + 1 + j])
        ));
    }
    Ok(())
}

/// The noise words of `--noise FILE` (`rescore`, `tune` and `wer`), if
/// given; else none.
pub fn read_noise(path: Option<&Path>) -> Result<NoiseWords, NbestError> {
    path.map_or_else(|| Ok(NoiseWords::default()), NoiseWords::read_path)
}

/// The device and inode of the pipe, FIFO or socket that `path` reads (`-`:
/// standard input), if it is one.
pub fn stream_identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let meta = if super::load::is_dash(path) {
            let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
            std::fs::File::from(fd).metadata().ok()?
        } else {
            std::fs::metadata(path).ok()?
        };
        let kind = meta.file_type();
        (kind.is_fifo() || kind.is_socket()).then(|| (meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

impl Lists {
    /// Reads lists in `format` and attaches references from `refs`, if given
    /// (Kaldi `text` or JSONL; they take the place of the input's own; a warning
    /// says how many of those differ; none for any utterance is an error); with
    /// the lists, the symbol table of a Kaldi directory read from word ids (from
    /// `words_txt` when given). The words of the `noise` file are dropped from
    /// the hypotheses and all references. First checks that at most one of
    /// `model` (loaded later), the input, the references, the symbol table and
    /// the noise file is `-`: standard input can be read once.
    pub fn read(&self) -> Result<(Vec<NbestList>, Option<SymbolTable>), BoxError> {
        let (model, input, format) = (self.model.as_path(), self.input.as_path(), self.format);
        let (refs, words_txt) = (self.refs.as_deref(), self.words_txt.as_deref());
        let mut stdin = vec![("--model", model), ("--input", input)];
        stdin.extend(refs.map(|r| ("--refs", r)));
        stdin.extend(words_txt.map(|w| ("--words-txt", w)));
        stdin.extend(self.noise.as_deref().map(|n| ("--noise", n)));
        check_stdin_once(&stdin)?;
        let noise = read_noise(self.noise.as_deref())?;
        if let Some(table) = words_txt {
            if format != Format::Kaldi {
                return Err(format!(
                    "{}: --words-txt is the symbol table of a Kaldi directory's word ids \
                     (`words`); this input is read as {format}",
                    table.display()
                )
                .into());
            }
            if !input.join("words").is_file() {
                super::load::note!(
                    "dashlm: warning: --words-txt {}: not used: {} has no `words` archive of word ids",
                    table.display(),
                    input.display()
                );
            }
        }
        let (mut lists, table) = read_lists_with_noise(input, format, words_txt, &noise)?;
        let own_refs = input.join("refs");
        if refs.is_none() && format != Format::Jsonl && input.is_dir() && own_refs.is_file() {
            // The reader took the references it could use (and refused a file
            // of none); the rest are said.
            let ids: Vec<String> = kaldi::read_text_path(&own_refs)?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            warn_unused_references(&own_refs, &lists, ids.iter().map(String::as_str));
        }
        if let Some(refs) = refs {
            // Kaldi `text` lines or JSONL (`ref`), as `dashlm wer --ref` reads.
            let all: HashMap<String, Words> = dashlm::rescore::wer::read_transcripts(refs, true)?
                .into_iter()
                .collect();
            // As words only for the utterances here (a corpus's references
            // may be given for a few of its lists).
            // SRILM's pause word goes, as from the hypotheses (`srilm::PAUSE`),
            // and the noise words in every format.
            let map: HashMap<String, Vec<String>> = (lists.iter())
                .filter_map(|l| {
                    let mut words = all.get(&l.id)?.to_strings();
                    if format == Format::Srilm {
                        dashlm::rescore::srilm::strip_reference(&mut words);
                    }
                    noise.drop_from_reference(&mut words);
                    Some((l.id.clone(), words))
                })
                .collect();
            let replaced: Vec<&str> = lists
                .iter()
                .filter(|l| {
                    let new = map.get(&l.id);
                    l.reference.is_some() && new.is_some() && l.reference.as_ref() != new
                })
                .map(|l| l.id.as_str())
                .collect();
            if let Some(first) = replaced.first() {
                super::load::note!(
                    "dashlm: warning: {}: replaces the input's own, different reference of {} \
                     utterance(s) (the first: `{first}`)",
                    super::load::input_name(refs),
                    replaced.len()
                );
            }
            let attached = attach_references(&mut lists, &map);
            if attached == 0 {
                // An explicit --refs that gives nothing is the wrong file, not a
                // run whose WER silently comes from the input's own references.
                let first = lists.first().map_or("", |l| l.id.as_str());
                return Err(format!(
                    "{}: none of its {} references is for an utterance of the input \
                     (the input's first id: `{first}`)",
                    super::load::input_name(refs),
                    all.len()
                )
                .into());
            }
            if attached < all.len() {
                warn_unused_references(refs, &lists, all.keys().map(String::as_str));
            }
        }
        Ok((lists, table))
    }
}

/// A warning when some of the references of file `refs` (their ids) are for
/// no utterance of `lists`: a mixed-up file, or one for a larger set.
fn warn_unused_references<'a>(
    refs: &Path,
    lists: &[NbestList],
    ref_ids: impl Iterator<Item = &'a str>,
) {
    let ids: HashSet<&str> = lists.iter().map(|l| l.id.as_str()).collect();
    let (mut unused, mut all) = (Vec::new(), 0usize);
    for id in ref_ids {
        all += 1;
        if !ids.contains(id) {
            unused.push(id);
        }
    }
    unused.sort_unstable();
    if let Some(first) = unused.first() {
        super::load::note!(
            "dashlm: warning: {}: {} of its {all} references are for no utterance of the \
             input (the first by id: `{}`)",
            super::load::input_name(refs),
            unused.len(),
            dashlm::text::quote(first, dashlm::text::QUOTED_CHARS)
        );
    }
}

/// Loads the model named on the command line: ARPA or compiled, whichever the
/// file is (the one place the rescoring commands open models).
pub fn load_model(path: &Path) -> Result<super::load::Loaded, BoxError> {
    super::load::open_model(path)
}
