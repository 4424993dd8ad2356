//! Quantized weights (since format version 5): each order's probability and
//! backoff codes take the fewest bits that index its codebook, score exactly
//! as full-width codes (8 or 16 bits, as format version 4 stored them) of the
//! same codebooks, and a codebook longer than its field can index is refused
//! at open.

mod common;

use common::{random_arpa, random_sentence, score_words};
use dashlm::arpa::NGramSet;
use dashlm::build::{compile, BuildOptions};
use dashlm::format::table::{TableStream, TableView, Widths};
use dashlm::format::{self, FileWriter, RawLayout, SectionKind, WeightFormat};
use dashlm::{LanguageModel, Model};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TINY: &[u8] = include_bytes!("../data/tiny.arpa");

fn build(text: &[u8], weights: WeightFormat) -> Vec<u8> {
    let set = NGramSet::read(text, "test.arpa").unwrap();
    // Hashed tables throughout, as version 4 had them.
    let opts = BuildOptions {
        grouped_top: false,
        ..BuildOptions::new(weights)
    };
    let (file, _) = compile(&set, opts).unwrap();
    let mut bytes = Vec::new();
    file.write_to(&mut bytes).unwrap();
    bytes
}

/// The fewest bits (at least 1) that index `values` codes.
fn bits_for_codes(values: u64) -> u8 {
    (64 - (values - 1).leading_zeros()).max(1) as u8
}

/// Per order 2..=N: `(prob_bits, backoff_bits)` of its table and the number
/// of values in its probability and backoff codebooks.
fn widths_and_books(bytes: &[u8]) -> Vec<((u8, u8), (u64, u64))> {
    let model = Model::from_bytes(bytes).unwrap();
    let (_, sections) = format::parse(bytes).unwrap();
    // A segmented codebook (since format version 8) stands for 256 values a
    // segment of 8 bytes.
    let values = |kind, n, segmented: u8| {
        let len = sections.require(kind, n).unwrap().len;
        if segmented == 1 {
            len / 8 * 256
        } else {
            len / 4
        }
    };
    (2u16..)
        .zip(model.table_layouts())
        .map(|(n, layout)| {
            let raw = layout.raw();
            let books = (
                values(SectionKind::ProbCodebook, n, raw.prob_segmented),
                values(SectionKind::BackoffCodebook, n, raw.backoff_segmented),
            );
            ((raw.prob_bits, raw.backoff_bits), books)
        })
        .collect()
}

/// Checks that every table of the quantized model `bytes` has fields exactly
/// as wide as its codebooks need (backoffs 0 bits at the highest order) and
/// returns the widths seen.
fn check_narrow(bytes: &[u8], weights: WeightFormat, what: &str) -> Vec<u8> {
    let orders = widths_and_books(bytes);
    let mut seen = Vec::new();
    for (i, ((prob_bits, backoff_bits), (probs, backoffs))) in orders.iter().enumerate() {
        let n = i + 2;
        assert_eq!(*prob_bits, bits_for_codes(*probs), "{what}: order {n}");
        let want_backoff = if i + 1 < orders.len() {
            bits_for_codes(*backoffs)
        } else {
            0
        };
        assert_eq!(*backoff_bits, want_backoff, "{what}: order {n}");
        assert!(u32::from(*prob_bits) <= weights.bits(), "{what}: order {n}");
        assert!(
            u32::from(*backoff_bits) <= weights.bits(),
            "{what}: order {n}"
        );
        seen.extend([*prob_bits, *backoff_bits]);
    }
    seen
}

#[test]
fn a_few_distinct_weights_get_narrow_fields() {
    // data/tiny.arpa: 7 bigram probabilities and 5 distinct backoffs (of
    // the bigrams that can be extended); 4 trigram probabilities.
    for weights in [WeightFormat::Q8, WeightFormat::Q16] {
        let bytes = build(TINY, weights);
        let orders = widths_and_books(&bytes);
        assert_eq!(orders, [((3, 3), (7, 5)), ((2, 0), (4, 1))], "{weights:?}");
        check_narrow(&bytes, weights, "tiny");
    }
}

#[test]
fn random_models_get_fields_as_wide_as_their_codebooks() {
    let (mut narrow_q8, mut mid_q16) = (false, false);
    for seed in 0..40u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let order = rng.gen_range(2..=5);
        let vocab = rng.gen_range(3..300);
        let text = random_arpa(&mut rng, order, vocab);
        for weights in [WeightFormat::Q8, WeightFormat::Q16] {
            let bytes = build(text.as_bytes(), weights);
            let seen = check_narrow(&bytes, weights, &format!("seed {seed} {weights:?}"));
            match weights {
                WeightFormat::Q8 => narrow_q8 |= seen.iter().any(|&b| (1..8).contains(&b)),
                _ => mid_q16 |= seen.iter().any(|&b| (9..16).contains(&b)),
            }
        }
    }
    // Fields narrower than 8 bits (q8) and between 8 and 16 bits (q16, decoded
    // through a segmented codebook of fewer than 256 segments) both occur.
    assert!(narrow_q8 && mid_q16, "{narrow_q8} {mid_q16}");
}

/// The quantized model `bytes` with every probability and backoff field
/// `full` bits wide (8 for q8, 16 for q16, as format version 4 stored them):
/// the same arcs in the same slots, the same codebooks (a field may be wider
/// than its codebook needs), every other section as it was.
fn full_width(bytes: &[u8], full: u32) -> Vec<u8> {
    let model = Model::from_bytes(bytes).unwrap();
    let (header, sections) = format::parse(bytes).unwrap();
    let tables: Vec<(RawLayout, Vec<u8>)> = (2u16..)
        .zip(model.table_layouts())
        .map(|(n, layout)| {
            let raw = *layout.raw();
            let widths = Widths {
                ctx: u32::from(raw.ctx_bits),
                word: u32::from(raw.word_bits),
                prob: full,
                nodes: raw.has_nodes == 1,
                backoff: full,
            };
            // The largest displacement that keeps the displacement width.
            let max_displacement = (1u64 << (raw.disp_bits - 1)) - 1;
            let wide = RawLayout {
                prob_segmented: raw.prob_segmented,
                backoff_segmented: raw.backoff_segmented,
                ..widths
                    .layout(raw.num_homes, raw.num_slots, max_displacement)
                    .with_runs(layout.runs())
                    // The same block bases and stored offset widths.
                    .with_bases(u32::from(raw.base_bits), (1 << raw.disp_bits) - 1)
            };
            assert_eq!(wide.disp_bits, raw.disp_bits);
            let mut writer = TableStream::new(wide, header.vocab_size, Vec::new()).unwrap();
            let table = &bytes[sections.require(SectionKind::Table, n).unwrap().range()];
            for (slot, arc) in TableView::new(table, layout).arcs() {
                writer.put(slot, &arc).unwrap();
            }
            (wide, writer.finish().unwrap())
        })
        .collect();
    let mut file = FileWriter::new(header);
    for e in sections.iter() {
        let data = match e.kind {
            SectionKind::Table => tables[usize::from(e.order) - 2].1.clone(),
            SectionKind::Layouts => tables
                .iter()
                .flat_map(|(raw, _)| bytemuck::bytes_of(raw).to_vec())
                .collect(),
            _ => bytes[e.range()].to_vec(),
        };
        file.add(e.kind, e.order, data);
    }
    let mut wide = Vec::new();
    file.write_to(&mut wide).unwrap();
    wide
}

/// `(log10 bits, n-gram length)` of each word of `words` (as `score_words`).
fn score_bits<M: LanguageModel>(m: &M, words: &[Vec<u8>]) -> Vec<(u32, u8)> {
    let scores = score_words(m, words).into_iter();
    scores.map(|(p, n)| (p.to_bits(), n)).collect()
}

/// The bytes of the tables of the model `bytes`.
fn table_bytes(bytes: &[u8]) -> u64 {
    let (_, sections) = format::parse(bytes).unwrap();
    let tables = sections.iter().filter(|e| e.kind == SectionKind::Table);
    tables.map(|e| e.len).sum()
}

#[test]
fn narrow_fields_score_as_full_width_fields() {
    let mut models = vec![(TINY.to_vec(), 8)];
    for seed in 0..12u64 {
        let mut rng = StdRng::seed_from_u64(100 + seed);
        let order = rng.gen_range(2..=5);
        let vocab = rng.gen_range(3..300);
        models.push((random_arpa(&mut rng, order, vocab).into_bytes(), vocab));
    }
    let mut rng = StdRng::seed_from_u64(7);
    let mut narrowed = 0;
    for (i, (text, vocab)) in models.iter().enumerate() {
        for weights in [WeightFormat::Q8, WeightFormat::Q16] {
            let narrow_bytes = build(text, weights);
            let wide_bytes = full_width(&narrow_bytes, weights.bits());
            let (narrow_tables, wide_tables) =
                (table_bytes(&narrow_bytes), table_bytes(&wide_bytes));
            assert!(
                wide_tables >= narrow_tables,
                "model {i} {weights:?}: tables of {narrow_tables} bytes narrow, {wide_tables} full width",
            );
            narrowed += usize::from(wide_tables > narrow_tables);
            let narrow = Model::from_bytes(&narrow_bytes[..]).unwrap();
            // Fields wider than their codebooks need open (and check out).
            let wide = Model::from_bytes(&wide_bytes[..]).unwrap();
            wide.verify().unwrap();
            let full = weights.bits() as u8;
            for layout in wide.table_layouts() {
                let want_backoff = if layout.raw().has_nodes == 1 { full } else { 0 };
                assert_eq!(
                    (layout.raw().prob_bits, layout.raw().backoff_bits),
                    (full, want_backoff)
                );
            }
            for _ in 0..200 {
                let words = random_sentence(&mut rng, *vocab);
                assert_eq!(
                    score_bits(&narrow, &words),
                    score_bits(&wide, &words),
                    "model {i} {weights:?}: {words:?}"
                );
            }
            // Every n-gram's words as a sentence: each of its prefixes is
            // matched in full, its weights read from the narrow fields.
            let set = NGramSet::read(&text[..], "test.arpa").unwrap();
            for n in 2..=set.order() {
                set.for_each(n, |ids, _| {
                    let words: Vec<Vec<u8>> = ids
                        .iter()
                        .map(|&id| set.vocab().word(id).to_vec())
                        .collect();
                    assert_eq!(
                        score_bits(&narrow, &words),
                        score_bits(&wide, &words),
                        "model {i} {weights:?}: {words:?}"
                    );
                });
            }
        }
    }
    // Most models have an order with fewer weights than the variant's width
    // can index.
    assert!(
        narrowed > models.len(),
        "{narrowed} of {}",
        2 * models.len()
    );
}

/// Opens data/tiny.arpa compiled with q8 weights, its bigram table's
/// `(prob_bits, backoff_bits)` replaced by `widths` (the slot as wide as
/// before), and returns the error.
fn bigram_widths_error(widths: (u8, u8)) -> String {
    let mut bytes = build(TINY, WeightFormat::Q8);
    let (_, sections) = format::parse(&bytes).unwrap();
    let at = sections.require(SectionKind::Layouts, 0).unwrap().offset as usize;
    let size = std::mem::size_of::<RawLayout>();
    let mut raw: RawLayout = bytemuck::pod_read_unaligned(&bytes[at..at + size]);
    // 7 probabilities (3 bits) and 5 backoffs (3 bits).
    assert_eq!((raw.prob_bits, raw.backoff_bits), (3, 3));
    assert_eq!(widths.0 + widths.1, 3 + 3);
    (raw.prob_bits, raw.backoff_bits) = widths;
    bytes[at..at + size].copy_from_slice(bytemuck::bytes_of(&raw));
    // The layouts section's checksum is `verify`'s, not `open`'s.
    match Model::from_bytes(&bytes[..]) {
        Ok(_) => panic!("bigram widths {widths:?} accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_codebook_longer_than_its_field_can_index_is_refused() {
    // 7 probabilities in 2 bits.
    let e = bigram_widths_error((2, 4));
    assert!(
        e.contains("prob-codebook") && e.contains("28 bytes: expected 1 to 4 f32 values"),
        "{e}"
    );
    // 5 backoffs in 2 bits.
    let e = bigram_widths_error((4, 2));
    assert!(
        e.contains("backoff-codebook") && e.contains("20 bytes: expected 1 to 4 f32 values"),
        "{e}"
    );
    // A probability needs a code of at least 1 bit.
    let e = bigram_widths_error((0, 6));
    assert!(e.contains("0-bit weights in a q8 model"), "{e}");
    // The widths as built open.
    let bytes = build(TINY, WeightFormat::Q8);
    assert!(Model::from_bytes(&bytes[..]).is_ok());
}
