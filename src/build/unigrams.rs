//! The unigram and vocabulary sections, the first six of every file.

use super::{BuildError, Coder, ExactBook};
use crate::format::bits::BitWriter;
use crate::format::{vocab, SectionKind};
use crate::vocab::{WordId, UNK};

/// The probability of a unigram as stored: its sign bit is clear when a bigram
/// ends with the word (a query must look further), set otherwise; the value
/// is read back as `-|p|`, as KenLM does.
fn unigram_prob(prob: f32, extends_left: bool) -> f32 {
    if extends_left {
        prob.abs()
    } else {
        -prob.abs()
    }
}

/// The backoff of a unigram as stored: `-0.0` marks one that is not a state.
fn unigram_backoff(backoff: f32, extends: bool) -> f32 {
    match (extends, backoff == 0.0) {
        (false, _) => -0.0,
        (true, true) => 0.0,
        (true, false) => backoff,
    }
}

/// One unigram's weights and flags, as the unigram section needs them.
#[derive(Clone, Copy, Debug)]
pub(super) struct Unigram {
    pub(super) prob: f32,
    pub(super) backoff: f32,
    pub(super) extends: bool,
    pub(super) extends_left: bool,
}

impl Unigram {
    /// The unigrams before the file's are read: `<unk>` alone, with log10
    /// probability [`MISSING_UNK_LOG10`](crate::arpa::MISSING_UNK_LOG10), room for `capacity` more.
    pub(super) fn initial(capacity: usize) -> Vec<Unigram> {
        let mut unigrams = Vec::with_capacity(capacity + 1);
        unigrams.push(Unigram {
            prob: crate::arpa::MISSING_UNK_LOG10,
            backoff: 0.0,
            extends: false,
            extends_left: false,
        });
        unigrams
    }

    /// Records the file's unigram given word id `id` (ids are given in order,
    /// `<unk>` (0) at any point) in `unigrams`.
    pub(super) fn add(unigrams: &mut Vec<Unigram>, id: WordId, prob: f32, backoff: Option<f32>) {
        let u = Unigram {
            prob,
            backoff: backoff.unwrap_or(0.0),
            extends: backoff.is_some_and(|b| b != 0.0),
            extends_left: false,
        };
        match id {
            UNK => unigrams[0] = u,
            _ => unigrams.push(u),
        }
    }
}

/// The sections of a file being assembled, in file order.
pub(super) type Sections = Vec<(SectionKind, u16, Vec<u8>)>;

/// The vocabulary and unigram sections (the first six of every file): the
/// unigrams' stored probabilities and backoffs each get an exact codebook
/// when coding them is smaller (an empty codebook section stands for raw f32
/// bits), and each unigram is its probability field then its backoff field,
/// bit-packed.
pub(super) fn vocab_sections<'a>(
    words: impl IntoIterator<Item = &'a [u8]>,
    unigrams: impl ExactSizeIterator<Item = Unigram>,
) -> Result<Sections, BuildError> {
    let v = vocab::encode(words).ok_or(BuildError::VocabTooLarge)?;
    let (probs, backoffs): (Vec<f32>, Vec<f32>) = unigrams
        .map(|u| {
            let prob = unigram_prob(u.prob, u.extends_left);
            (prob, unigram_backoff(u.backoff, u.extends))
        })
        .unzip();
    // Unigrams stay exact whatever the variant: raw f32 bits or exact codes.
    let exact =
        |values: &[f32]| ExactBook::new(values.iter().copied()).map_or(Coder::Raw, Coder::Exact);
    let (prob_coder, backoff_coder) = (exact(&probs), exact(&backoffs));
    let mut packed = BitWriter::new();
    for (&prob, &backoff) in probs.iter().zip(&backoffs) {
        packed.push(u64::from(prob_coder.encode(prob)), prob_coder.bits());
        packed.push(
            u64::from(backoff_coder.encode(backoff)),
            backoff_coder.bits(),
        );
    }
    Ok(vec![
        (SectionKind::VocabOffsets, 0, v.offsets),
        (SectionKind::VocabBytes, 0, v.bytes),
        (SectionKind::VocabIndex, 0, v.index),
        (SectionKind::Unigrams, 1, packed.finish()),
        (SectionKind::ProbCodebook, 1, prob_coder.to_bytes()),
        (SectionKind::BackoffCodebook, 1, backoff_coder.to_bytes()),
    ])
}
