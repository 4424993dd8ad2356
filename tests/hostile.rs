//! Hostile model files with a *valid* header checksum: every structural lie is
//! caught at open time with an error naming what is wrong.

mod common;

use dashlm::arpa::NGramSet;
use dashlm::build::{compile, BuildOptions};
use dashlm::format::{self, SectionKind, HEADER_LEN, SECTION_ENTRY_LEN};
use dashlm::{LanguageModel, Model};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn tiny() -> Vec<u8> {
    tiny_with(format::WeightFormat::F32)
}

/// data/tiny.arpa compiled with `weights`.
fn tiny_with(weights: format::WeightFormat) -> Vec<u8> {
    tiny_built(BuildOptions::new(weights))
}

/// data/tiny.arpa compiled with `opts`.
fn tiny_built(opts: BuildOptions) -> Vec<u8> {
    let set = NGramSet::read(&include_bytes!("../data/tiny.arpa")[..], "tiny.arpa").unwrap();
    let (file, _) = compile(&set, opts).unwrap();
    let mut bytes = Vec::new();
    file.write_to(&mut bytes).unwrap();
    bytes
}

/// Recomputes the header CRC so that only the lie under test is left to find.
fn reseal(bytes: &mut [u8]) {
    let sections = u32::from_le_bytes(bytes[28..32].try_into().unwrap()) as usize;
    let end = (HEADER_LEN + sections * SECTION_ENTRY_LEN).min(bytes.len());
    let mut crc = crc32fast::Hasher::new();
    crc.update(&bytes[..124]);
    crc.update(&bytes[HEADER_LEN..end]);
    bytes[124..128].copy_from_slice(&crc.finalize().to_le_bytes());
}

fn section_index(bytes: &[u8], kind: SectionKind, order: u16) -> usize {
    let (_, sections) = format::parse(bytes).unwrap();
    let index = sections
        .iter()
        .position(|e| e.kind == kind && e.order == order);
    index.unwrap()
}

/// The index and entry of the section that lies last in the file.
fn last_section(bytes: &[u8]) -> (usize, format::SectionEntry) {
    let (_, sections) = format::parse(bytes).unwrap();
    let (i, last) = (sections.iter().enumerate())
        .max_by_key(|(_, e)| e.offset)
        .unwrap();
    (i, *last)
}

fn entry_at(i: usize) -> usize {
    HEADER_LEN + i * SECTION_ENTRY_LEN
}

/// Applies `lie`, reseals, and returns the open error's text.
fn open_error(lie: impl FnOnce(&mut Vec<u8>)) -> String {
    open_error_of(tiny(), lie)
}

/// [`open_error`] for the model `bytes`.
fn open_error_of(mut bytes: Vec<u8>, lie: impl FnOnce(&mut Vec<u8>)) -> String {
    lie(&mut bytes);
    reseal(&mut bytes);
    match Model::from_bytes(&bytes[..]) {
        Ok(_) => panic!("hostile file accepted"),
        Err(e) => e.to_string(),
    }
}

fn put_u64(bytes: &mut [u8], at: usize, v: u64) {
    bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn the_untouched_file_opens() {
    let mut bytes = tiny();
    reseal(&mut bytes);
    assert!(Model::from_bytes(&bytes[..]).is_ok());
}

#[test]
fn a_section_past_the_end_is_refused() {
    let e = open_error(|b| {
        let i = section_index(b, SectionKind::Table, 3);
        let len = b.len() as u64;
        put_u64(b, entry_at(i) + 8, len - 8);
    });
    assert!(e.contains("outside the file"), "{e}");
}

#[test]
fn a_length_larger_than_the_address_space_is_refused() {
    let e = open_error(|b| {
        let i = section_index(b, SectionKind::Unigrams, 1);
        put_u64(b, entry_at(i) + 16, u64::MAX - 4);
    });
    assert!(e.contains("outside the file"), "{e}");
}

#[test]
fn overlapping_sections_are_refused() {
    let e = open_error(|b| {
        let (i, j) = (
            section_index(b, SectionKind::Table, 2),
            section_index(b, SectionKind::Table, 3),
        );
        let off = u64::from_le_bytes(b[entry_at(i) + 8..entry_at(i) + 16].try_into().unwrap());
        put_u64(b, entry_at(j) + 8, off);
    });
    assert!(e.contains("overlaps"), "{e}");
}

#[test]
fn a_misaligned_section_is_refused() {
    let e = open_error(|b| {
        let i = section_index(b, SectionKind::Unigrams, 1);
        let off = u64::from_le_bytes(b[entry_at(i) + 8..entry_at(i) + 16].try_into().unwrap());
        put_u64(b, entry_at(i) + 8, off + 4);
    });
    assert!(
        e.contains("aligned") || e.contains("overlaps") || e.contains("outside"),
        "{e}"
    );
}

#[test]
fn a_misaligned_last_section_is_refused_naming_its_entry() {
    // The last section moved 4 bytes on and 4 bytes shorter: inside the file,
    // overlapping nothing, only misaligned.
    let mut named = None;
    let e = open_error(|b| {
        let (i, last) = last_section(b);
        assert!(last.len >= 8);
        put_u64(b, entry_at(i) + 8, last.offset + 4);
        put_u64(b, entry_at(i) + 16, last.len - 4);
        named = Some((entry_at(i) + 8, last.offset + 4));
    });
    let (at, offset) = named.unwrap();
    let want = format!("section offset at byte {at}: {offset} is not 8-byte aligned");
    assert!(e.contains(&want), "{e}");
}

#[test]
fn bytes_after_the_last_section_are_refused() {
    let e = open_error(|b| b.extend_from_slice(b"appended"));
    assert!(e.contains("the last section ends at byte"), "{e}");
    let e = open_error(|b| b.push(0));
    assert!(e.contains("data appended"), "{e}");
}

#[test]
fn a_non_zero_byte_between_sections_is_refused() {
    let bytes = tiny();
    let (_, sections) = format::parse(&bytes).unwrap();
    let mut ranges: Vec<_> = sections.iter().map(|e| e.range()).collect();
    ranges.sort_by_key(|r| r.start);
    let gap = ranges
        .windows(2)
        .map(|w| w[0].end..w[1].start)
        .find(|g| !g.is_empty())
        .expect("tiny.arpa's file has padding between sections");
    let e = open_error(|b| b[gap.end - 1] = 0x5a);
    assert!(
        e.contains(&format!(
            "padding at byte {}: byte 0x5a between",
            gap.end - 1
        )),
        "{e}"
    );
}

#[test]
fn a_gap_before_a_section_is_refused() {
    // The last section moved 8 bytes on, the file grown to hold it: aligned,
    // in bounds, overlapping nothing, but not where the writer puts it.
    let mut entry = None;
    let e = open_error(|b| {
        let (i, last) = last_section(b);
        entry = Some(last);
        let last = last.range();
        let moved = b[last.clone()].to_vec();
        b.truncate(last.start);
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&moved);
        put_u64(b, entry_at(i) + 8, last.start as u64 + 8);
    });
    assert!(
        e.contains("starts at byte") && e.contains("rounded up to 8"),
        "{e}"
    );
    // The section is named (audit 33: `SectionEntry::describe` returning ""
    // survived).
    let last = entry.unwrap();
    let want = format!(
        "the {} section (order {}) starts at byte {}",
        last.kind.name(),
        last.order,
        last.offset + 8
    );
    assert!(e.contains(&want), "{e}");
}

#[test]
fn a_huge_order_is_refused() {
    let e = open_error(|b| b[12] = 200);
    assert!(e.contains("order at byte 12"), "{e}");
}

#[test]
fn a_huge_count_is_refused() {
    let e = open_error(|b| put_u64(b, 32 + 8, u64::MAX));
    assert!(e.contains("n-gram count at byte 40"), "{e}");
    // tiny is a trigram model: its trigram count is at byte 48.
    let e = open_error(|b| put_u64(b, 32 + 16, u64::MAX));
    assert!(e.contains("n-gram count at byte 48"), "{e}");
    let e = open_error(|b| put_u64(b, 32, u64::MAX));
    assert!(e.contains("unigram count"), "{e}");
}

#[test]
fn a_count_past_the_model_order_is_refused() {
    // tiny is a trigram model: order 4's count, at byte 56, must be 0.
    let e = open_error(|b| put_u64(b, 32 + 24, 5));
    assert!(
        e.contains("n-gram count at byte 56") && e.contains("past the model's order 3"),
        "{e}"
    );
}

#[test]
fn a_begin_or_end_id_past_the_vocabulary_is_refused() {
    // Each alone: `<s>`'s id (bytes 20..24), then `</s>`'s (24..28), set to
    // the vocabulary size (bytes 16..20).
    for at in [20, 24] {
        let e = open_error(|b| {
            let size: [u8; 4] = b[16..20].try_into().unwrap();
            b[at..at + 4].copy_from_slice(&size);
        });
        assert!(e.contains("<s>/</s> ids at byte 20"), "{e}");
    }
}

#[test]
fn a_huge_vocabulary_is_refused_without_allocating() {
    let e = open_error(|b| {
        b[16..20].copy_from_slice(&(u32::MAX - 1).to_le_bytes());
        put_u64(b, 32, u64::from(u32::MAX - 1));
    });
    assert!(e.contains("vocab-offsets") && e.contains("expected"), "{e}");
}

#[test]
fn a_vocabulary_size_of_0_or_u32_max_is_refused() {
    // Audit 33: the check's `||` as `&&` survived (0 was refused only for its
    // `<s>` id, u32::MAX only later, for its sections' sizes).
    for v in [0, u32::MAX] {
        let e = open_error(|b| {
            b[16..20].copy_from_slice(&v.to_le_bytes());
            put_u64(b, 32, u64::from(v));
        });
        let want = format!("vocabulary size at byte 16: {v} is invalid");
        assert!(e.contains(&want), "{e}");
    }
}

#[test]
fn too_many_sections_are_refused() {
    let e = open_error(|b| b[28..32].copy_from_slice(&1_000_000u32.to_le_bytes()));
    assert!(e.contains("section count"), "{e}");
}

#[test]
fn a_vocabulary_index_of_the_wrong_size_is_refused() {
    // 8 words: a groups block of 8 ids in 8 buckets (a 4-bit directory
    // entry and 16 group bits: 3 bytes), then 8 ids of 3 bits (3 bytes).
    for shorter in [1, 4] {
        let e = open_error(|b| {
            let at = entry_at(section_index(b, SectionKind::VocabIndex, 0)) + 16;
            let len = u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
            assert_eq!(len, 6);
            put_u64(b, at, len - shorter);
        });
        assert!(e.contains("vocab-index") && e.contains("expected 6"), "{e}");
    }
}

#[test]
fn a_corrupted_vocabulary_index_opens_and_never_panics() {
    // The index's bytes are checked by `verify`'s CRC-32, not at open: any
    // bytes must give lookups that return, an id below V, and a word's own
    // id or 0 (the words' bytes and offsets are intact).
    let mut rng = StdRng::seed_from_u64(66);
    let (text, words) = common::many_words_arpa(&mut rng, 3000);
    let set = NGramSet::read(text.as_bytes(), "words.arpa").unwrap();
    let (file, _) = compile(&set, BuildOptions::default()).unwrap();
    let mut good = Vec::new();
    file.write_to(&mut good).unwrap();
    let (header, sections) = format::parse(&good).unwrap();
    let index = sections
        .require(SectionKind::VocabIndex, 0)
        .unwrap()
        .range();
    let v = header.vocab_size;
    let mut lookups: Vec<Vec<u8>> = words.iter().map(|w| w.clone().into_bytes()).collect();
    lookups.extend(words.iter().map(|w| format!("{w}#").into_bytes()));
    lookups.extend([b"<unk>".to_vec(), b"<s>".to_vec(), Vec::new()]);
    let refs: Vec<&[u8]> = lookups.iter().map(|w| &w[..]).collect();
    let mut wrong = 0;
    for round in 0..40 {
        let mut bytes = good.clone();
        let data = &mut bytes[index.clone()];
        match round {
            0 => data.fill(0),
            1 => data.fill(0xff),
            // Every byte, a few bytes, or the ids only.
            _ => {
                let density = [1.0, 0.01, 0.001][round % 3];
                let from = if round % 4 == 0 { data.len() / 9 } else { 0 };
                for b in &mut data[from..] {
                    if rng.gen_bool(density) {
                        *b = rng.gen();
                    }
                }
            }
        }
        let model = Model::from_bytes(&bytes[..]).unwrap();
        assert!(model.verify().is_err(), "round {round}");
        let mut batch = vec![u32::MAX; refs.len()];
        model.word_ids(&refs, &mut batch);
        for (i, (w, &in_batch)) in refs.iter().zip(&batch).enumerate() {
            let id = model.word_id(w);
            assert_eq!(id, in_batch, "round {round}");
            assert!(id < v, "round {round}: id {id}");
            assert!(id == 0 || model.word(id) == *w, "round {round}: id {id}");
            wrong += usize::from(i < words.len() && id == 0);
        }
    }
    // The corruption was seen: some words were lost.
    assert!(wrong > 0);
}

#[test]
fn an_unknown_version_weight_or_kind_is_refused() {
    // Version 1 (whole-key tables), version 2 (64-bit vocabulary offsets,
    // no fingerprints), version 3 (every table scanned, no lookup kind in
    // the layouts), versions 4 and 5 (an open-addressing vocabulary index),
    // version 6 (fixed-width vocabulary offsets), version 7 (no segmented
    // codebooks), version 8 (no block bases) and a version from the future
    // are refused.
    for other in [0u16, 1, 2, 3, 4, 5, 6, 7, 8, 10, u16::MAX] {
        let e = open_error(|b| b[10..12].copy_from_slice(&other.to_le_bytes()));
        assert!(e.contains(&format!("format version {other} ")), "{e}");
        assert!(e.contains("reads version 9 files"), "{e}");
        assert!(e.contains("rebuild the model with build-lm"), "{e}");
    }
    let e = open_error(|b| b[13] = 9);
    assert!(e.contains("weights"), "{e}");
    let e = open_error(|b| b[entry_at(0)..entry_at(0) + 2].copy_from_slice(&99u16.to_le_bytes()));
    assert!(e.contains("unknown code 99"), "{e}");
}

#[test]
fn a_version_8_file_is_refused_with_the_rebuild_message() {
    let e = open_error(|b| b[10..12].copy_from_slice(&8u16.to_le_bytes()));
    assert_eq!(
        e,
        "format version 8 at byte 10: this dashlm reads version 9 files; \
         rebuild the model with build-lm"
    );
}

#[test]
fn a_wrong_byte_order_mark_is_refused() {
    let e = open_error(|b| b[8..10].copy_from_slice(&[0xfe, 0xff]));
    assert!(e.contains("byte-order mark"), "{e}");
}

#[test]
fn a_table_layout_claiming_huge_tables_is_refused() {
    let e = open_error(|b| {
        let (_, sections) = format::parse(b).unwrap();
        let layouts = sections.require(SectionKind::Layouts, 0).unwrap().offset as usize;
        put_u64(b, layouts + 8, 1 << 50); // num_slots of the bigram table
    });
    assert!(e.contains("slots"), "{e}");
    let e = open_error(|b| {
        let (_, sections) = format::parse(b).unwrap();
        let layouts = sections.require(SectionKind::Layouts, 0).unwrap().offset as usize;
        b[layouts + 16] ^= 1; // entry_bits no longer the sum of the fields
    });
    assert!(e.contains("entry bits"), "{e}");
    for (disp_bits, expect) in [(0, "0-bit displacements"), (40, "40-bit displacements")] {
        let e = open_error(|b| {
            let (_, sections) = format::parse(b).unwrap();
            let layouts = sections.require(SectionKind::Layouts, 0).unwrap().offset as usize;
            b[layouts + 25] = disp_bits; // RawLayout::disp_bits of the bigram table
        });
        assert!(e.contains(expect), "{e}");
    }
    let e = open_error(|b| {
        let (_, sections) = format::parse(b).unwrap();
        let layouts = sections.require(SectionKind::Layouts, 0).unwrap().offset as usize;
        b[layouts + 25] += 1; // one more displacement bit than entry_bits has room for
    });
    assert!(e.contains("entry bits"), "{e}");
    let e = open_error(|b| {
        let (_, sections) = format::parse(b).unwrap();
        let layouts = sections.require(SectionKind::Layouts, 0).unwrap().offset as usize;
        b[layouts + 26] = 3; // RawLayout::runs: not scanned (0), run offsets (1) or grouped (2)
    });
    assert!(e.contains("lookup kind 3"), "{e}");
    let e = open_error(|b| {
        let (_, sections) = format::parse(b).unwrap();
        let layouts = sections.require(SectionKind::Layouts, 0).unwrap().offset as usize;
        b[layouts + 26] = 2; // the bigram table (with nodes) claims to be grouped
    });
    assert!(e.contains("a grouped table has no nodes"), "{e}");
}

/// data/tiny.arpa compiled to q8 with its highest order (the trigrams)
/// grouped, and the byte where the trigram table's layout starts.
fn tiny_grouped() -> (Vec<u8>, usize) {
    let bytes = tiny_built(BuildOptions {
        grouped_top: true,
        ..BuildOptions::new(format::WeightFormat::Q8)
    });
    let (_, sections) = format::parse(&bytes).unwrap();
    let layouts = sections.require(SectionKind::Layouts, 0).unwrap().offset as usize;
    // Order 3's layout follows order 2's (32 bytes each).
    (bytes, layouts + 32)
}

#[test]
fn grouped_layout_lies_are_refused_each_alone() {
    // Audit 33: mutants of `grouped::check` joining its conditions with `&&`
    // survived; a lie in one field alone was accepted (or, for a count past
    // 2^40, made the table's size overflow: a panic in debug builds).
    let (bytes, top) = tiny_grouped();
    let mut sealed = bytes.clone();
    reseal(&mut sealed);
    assert_eq!(sealed[top + 26], format::table::GROUPED);
    assert!(Model::from_bytes(&sealed[..]).is_ok());
    let at = format!("table layout at byte {top}: ");
    // `ctx_bits` (byte 20), in no other check: 0 or past 32.
    for ctx_bits in [0, 33] {
        let e = open_error_of(bytes.clone(), |b| b[top + 20] = ctx_bits);
        let want = format!("{at}grouped table field widths [{ctx_bits}, ");
        assert!(e.contains(&want), "{e}");
    }
    // The node flag (byte 23), backoff bits (24), displacement bits (25).
    for (field, what) in [
        (23, "node flag 1,"),
        (24, "1-bit backoffs"),
        (25, "1-bit displacements"),
    ] {
        let e = open_error_of(bytes.clone(), |b| b[top + field] = 1);
        let want = format!("{at}a grouped table has no nodes, backoffs or displacements");
        assert!(e.contains(&want) && e.contains(what), "{e}");
    }
    // `num_homes` (bytes 0..8) or `num_slots` (8..16) past 2^40.
    for (field, n) in [
        (0, (1 << 40) + 1),
        (0, u64::MAX),
        (8, (1 << 40) + 1),
        (8, u64::MAX),
    ] {
        let e = open_error_of(bytes.clone(), |b| put_u64(b, top + field, n));
        assert!(
            e.contains(&at) && e.contains(&format!("{n} ")) && e.contains(" arcs"),
            "{e}"
        );
    }
}

#[test]
fn a_missing_section_is_refused() {
    let e = open_error(|b| {
        let i = section_index(b, SectionKind::VocabIndex, 0);
        b[entry_at(i)..entry_at(i) + 2]
            .copy_from_slice(&(SectionKind::ProbCodebook as u16).to_le_bytes());
        b[entry_at(i) + 2..entry_at(i) + 4].copy_from_slice(&7u16.to_le_bytes());
    });
    assert!(e.contains("missing vocab-index"), "{e}");
}

#[test]
fn a_unigram_codebook_of_partial_values_is_refused() {
    // tiny's q8 unigram backoff codebook holds 7 values (28 bytes; f32 and
    // q16 unigrams are raw); 27 bytes is no whole number of f32s.
    let e = open_error_of(tiny_with(format::WeightFormat::Q8), |b| {
        let i = section_index(b, SectionKind::BackoffCodebook, 1);
        put_u64(b, entry_at(i) + 16, 27);
    });
    assert!(
        e.contains("backoff-codebook") && e.contains("27 bytes"),
        "{e}"
    );
}

#[test]
fn a_table_codebook_of_partial_values_is_refused() {
    // tiny's q8 bigram probability codebook, one byte short of its values.
    let mut short = None;
    let e = open_error_of(tiny_with(format::WeightFormat::Q8), |b| {
        let i = section_index(b, SectionKind::ProbCodebook, 2);
        let len = u64::from_le_bytes(b[entry_at(i) + 16..entry_at(i) + 24].try_into().unwrap());
        assert!(len >= 8 && len % 4 == 0, "{len}");
        put_u64(b, entry_at(i) + 16, len - 1);
        short = Some(len - 1);
    });
    let want = format!("{} bytes: expected 1 to", short.unwrap());
    assert!(e.contains("prob-codebook") && e.contains(&want), "{e}");
}

#[test]
fn a_unigram_section_not_matching_its_codebooks_is_refused() {
    // tiny's q8 unigrams: raw probabilities and 3-bit codes into 7 backoff
    // values. 3 backoff values instead: 2-bit codes, so 34-bit records and a
    // 34-byte section, not the 35 bytes stored.
    let e = open_error_of(tiny_with(format::WeightFormat::Q8), |b| {
        let i = section_index(b, SectionKind::BackoffCodebook, 1);
        put_u64(b, entry_at(i) + 16, 12);
    });
    assert!(e.contains("unigrams") && e.contains("expected 34"), "{e}");
}

/// A q16 model whose bigram probabilities are in a segmented codebook, and
/// the byte of its bigram layout.
fn segmented_q16() -> (Vec<u8>, usize) {
    let bytes = common::segmented_q16(0).1.bytes().to_vec();
    let (_, sections) = format::parse(&bytes).unwrap();
    let layouts = sections.require(SectionKind::Layouts, 0).unwrap().offset as usize;
    (bytes, layouts)
}

#[test]
fn segmented_codebook_lies_are_refused() {
    let (bytes, layouts) = segmented_q16();
    let mut sealed = bytes.clone();
    reseal(&mut sealed);
    assert!(Model::from_bytes(&sealed[..]).is_ok());
    // RawLayout::prob_segmented (byte 27) of the bigram table: 0 or 1.
    let e = open_error_of(bytes.clone(), |b| b[layouts + 27] = 2);
    assert!(e.contains("segmented flag is 2"), "{e}");
    // A segmented book's section: whole segments of 8 bytes, no more than
    // its codes reach.
    let e = open_error_of(bytes.clone(), |b| {
        let i = section_index(b, SectionKind::ProbCodebook, 2);
        put_u64(b, entry_at(i) + 16, 20);
    });
    assert!(
        e.contains("prob-codebook") && e.contains("20 bytes: expected 1 to"),
        "{e}"
    );
    // Unflagged, the segments read as values: the model opens (a changed
    // layout, like a changed table, gives wrong numbers, never a panic) and
    // `verify` finds the layouts section changed.
    let mut unflagged = bytes.clone();
    unflagged[layouts + 27] = 0;
    reseal(&mut unflagged);
    let model = Model::from_bytes(&unflagged[..]).unwrap();
    let e = model.verify().unwrap_err().to_string();
    assert!(e.contains("layouts"), "{e}");
    let e = open_error_of(bytes.clone(), |b| b[layouts + 30] = 1);
    assert!(e.contains("reserved bytes [1, 0]"), "{e}");
    // Block bases (byte 29) only in a run-offset table (this one is scanned).
    let e = open_error_of(bytes, |b| b[layouts + 29] = 1);
    assert!(
        e.contains("1-bit block bases in a table of lookup kind 0"),
        "{e}"
    );
    // Flagged where there is no codebook: tiny's f32 bigram probabilities
    // are raw f32 bits.
    let e = open_error(|b| {
        let (_, sections) = format::parse(b).unwrap();
        let layouts = sections.require(SectionKind::Layouts, 0).unwrap().offset as usize;
        b[layouts + 27] = 1;
    });
    assert!(e.contains("segmented but unused"), "{e}");
    // Flagged in a q8 model, whose codes are at most 8 bits.
    let set = NGramSet::read(&include_bytes!("../data/tiny.arpa")[..], "tiny.arpa").unwrap();
    let (file, _) = compile(&set, BuildOptions::new(format::WeightFormat::Q8)).unwrap();
    let mut q8 = Vec::new();
    file.write_to(&mut q8).unwrap();
    let e = open_error_of(q8, |b| {
        let (_, sections) = format::parse(b).unwrap();
        let layouts = sections.require(SectionKind::Layouts, 0).unwrap().offset as usize;
        b[layouts + 27] = 1;
    });
    assert!(
        e.contains("segmented with 3-bit codes in a q8 model"),
        "{e}"
    );
}
