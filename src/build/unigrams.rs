//! The unigram and vocabulary sections, the first six of every file.

use std::io::{self, Seek, Write};

use super::{BuildError, BuildOptions, ClassBook, Coder, ExactBook};
use crate::format::bits::BitWriter;
use crate::format::{vocab, SectionKind, SectionWriter, WeightFormat};
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

/// The bits of a code into the class-keeping codebook ([`ClassBook`]) of a
/// unigram field of q8 weights that no exact codebook holds (f32 and q16
/// unigrams are raw f32 bits). 12: on the generated 10M model (506,586
/// distinct unigram probabilities, 168,099 backoffs) 12-bit codes err by at
/// most 0.00051 (probabilities) and 0.00020 (backoffs), and perplexity moves
/// by 0.00013% of f32's from raw unigrams (14 bits: 0.00002%, 16 bits:
/// 0.000002%), for 2.50 MB less than raw f32 unigrams (14 bits: 2.15 MB, 16
/// bits: 1.50 MB).
const Q8_UNIGRAM_BITS: u32 = 12;

/// The coder of a unigram field taking `values`: raw f32 bits with f32 and
/// q16 weights; with q8 an exact codebook when one is smaller than raw f32
/// bits, else a codebook that keeps the values' classes (the flags they
/// carry) when that is smaller, else raw f32 bits.
///
/// f32 and q16 unigrams are raw whatever their values: a query reads its
/// word's record whatever it matches, and a raw record is one 64-bit read
/// where codes are two bit fields and two codebook reads. On the shared
/// 4-gram (925 distinct probabilities, 20,869 backoffs) that is about 50
/// instructions fewer a query (f32 304 instead of 352, q16 307 instead of
/// 357) and 1.06x the speed on its dev sentences, for 1.14 MB more. q8,
/// whose size target is the tightest, keeps its codes.
fn unigram_coder(values: &[f32], opts: BuildOptions) -> Coder {
    if opts.weights != WeightFormat::Q8 {
        return Coder::Raw;
    }
    if let Some(book) = ExactBook::new(values.iter().copied()) {
        return Coder::Exact(book);
    }
    let book = ClassBook::new(values, 1 << Q8_UNIGRAM_BITS);
    let book_bits = 8 * book.to_bytes().len() as u64;
    let n = values.len() as u64;
    if u64::from(book.bits()) * n + book_bits < 32 * n {
        Coder::Class(Box::new(book))
    } else {
        Coder::Raw
    }
}

/// The vocabulary and unigram sections (the first six of every file): see
/// [`word_sections`] and [`unigram_sections`].
pub(super) fn vocab_sections<'a>(
    words: impl IntoIterator<Item = &'a [u8]>,
    unigrams: impl ExactSizeIterator<Item = Unigram>,
    opts: BuildOptions,
) -> Result<Sections, BuildError> {
    let mut sections = word_sections(words)?;
    sections.extend(unigram_sections(unigrams, opts));
    Ok(sections)
}

/// The vocabulary's sections (the first three of every file), which need
/// nothing but the words.
pub(super) fn word_sections<'a>(
    words: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Sections, BuildError> {
    let v = vocab::encode(words).ok_or(BuildError::VocabTooLarge)?;
    Ok(vec![
        (SectionKind::VocabOffsets, 0, v.offsets),
        (SectionKind::VocabBytes, 0, v.bytes),
        (SectionKind::VocabIndex, 0, v.index),
    ])
}

/// The unigram sections (the next three): the unigrams' stored
/// probabilities and backoffs each get a codebook (see [`unigram_coder`])
/// when coding them is smaller (an empty codebook section stands for raw f32
/// bits), and each unigram is its probability field then its backoff field,
/// bit-packed.
pub(super) fn unigram_sections(
    unigrams: impl ExactSizeIterator<Item = Unigram>,
    opts: BuildOptions,
) -> Sections {
    let (probs, backoffs): (Vec<f32>, Vec<f32>) = unigrams
        .map(|u| {
            let prob = unigram_prob(u.prob, u.extends_left);
            (prob, unigram_backoff(u.backoff, u.extends))
        })
        .unzip();
    let [prob_coder, backoff_coder] = [&probs, &backoffs].map(|v| unigram_coder(v, opts));
    let mut packed = BitWriter::new();
    for (&prob, &backoff) in probs.iter().zip(&backoffs) {
        packed.push(u64::from(prob_coder.encode(prob)), prob_coder.bits());
        packed.push(
            u64::from(backoff_coder.encode(backoff)),
            backoff_coder.bits(),
        );
    }
    vec![
        (SectionKind::Unigrams, 1, packed.finish()),
        (SectionKind::ProbCodebook, 1, prob_coder.to_bytes()),
        (SectionKind::BackoffCodebook, 1, backoff_coder.to_bytes()),
    ]
}

/// Writes `sections` to `out`, in order.
pub(super) fn write_sections<W: Write + Seek>(
    out: &mut SectionWriter<W>,
    sections: impl IntoIterator<Item = (SectionKind, u16, Vec<u8>)>,
) -> io::Result<()> {
    for (kind, n, bytes) in sections {
        out.begin(kind, n)?;
        out.write_all(&bytes)?;
    }
    Ok(())
}
