//! Public API functions given out-of-range or inconsistent arguments: each
//! returns an error or a documented result, never panics (run also without
//! `--release`, where integer overflow panics).

use std::io::Cursor;

use dashlm::build::Codebook;
use dashlm::format::bits::{read_bits, BitWriter};
use dashlm::format::table::{KeyCodec, Layout, Slot, TableStream, TableWriter, Widths};
use dashlm::format::vocab::{encode, VocabView};
use dashlm::format::{FileWriter, Header, SectionEntry, SectionKind, SectionWriter, WeightFormat};
use dashlm::vocab::Vocab;
use dashlm::{FullScore, LanguageModel, Model, ReferenceModel};

const TINY: &[u8] = include_bytes!("../data/tiny.arpa");

fn model() -> Model<Vec<u8>> {
    let set = dashlm::arpa::NGramSet::read(TINY, "tiny").unwrap();
    let (f, _) = dashlm::build::compile(&set, Default::default()).unwrap();
    let mut bytes = Vec::new();
    f.write_to(&mut bytes).unwrap();
    Model::from_bytes(bytes).unwrap()
}

fn small_widths(nodes: bool) -> Widths {
    Widths {
        ctx: 8,
        word: 8,
        prob: 8,
        nodes,
        backoff: if nodes { 8 } else { 0 },
    }
}

#[test]
fn vocab_word_out_of_range_is_empty() {
    let mut v = Vocab::new();
    v.insert(b"a").unwrap();
    assert_eq!(v.word(2), b"");
    assert_eq!(v.word(u32::MAX), b"");
    let lm = ReferenceModel::read(TINY, "tiny").unwrap();
    assert_eq!(lm.vocab().word(u32::MAX), b"");
}

#[test]
fn vocab_view_of_the_largest_size_does_not_overflow() {
    let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
    let v = VocabView::new(&s.offsets, &s.bytes, &s.index, u32::MAX);
    // The fingerprints differ from a view of size 2: lookups may miss, never panic.
    let _ = v.get(b"cat");
    let mut out = [7; 2];
    v.get_batch(&[b"cat", b"x"], 0, &mut out);
}

#[test]
fn vocab_view_word_past_its_size_is_empty() {
    let s = encode([&b"<unk>"[..], b"cat"]).unwrap();
    let v = VocabView::new(&s.offsets, &s.bytes, &s.index, 1);
    assert_eq!(v.word(1), b"");
}

#[test]
fn key_codec_clamps_widths_and_homes() {
    let c = KeyCodec::new(0, 64, 10);
    assert_eq!(c.unhash(c.hash(0, 5)), (0, 5));
    let c = KeyCodec::new(u32::MAX, 2, 10);
    let _ = c.hash(1, 1);
    assert_eq!(KeyCodec::default().join(0, 0), 0);
}

#[test]
fn widths_too_wide_give_a_refused_layout() {
    let w = Widths {
        ctx: 300,
        word: 300,
        prob: u32::MAX,
        nodes: true,
        backoff: u32::MAX,
    };
    let raw = w.layout(10, 10, u64::MAX);
    assert!(Layout::new(raw, 10, 0).is_err());
    // 264 bits would wrap to 8 in a byte.
    let w = Widths {
        ctx: 264,
        ..small_widths(false)
    };
    assert!(Layout::new(w.layout(4, 4, 0), 10, 0).is_err());
}

#[test]
fn table_writer_refuses_a_bad_layout() {
    let raw = small_widths(false).layout(0, 0, 0);
    assert!(TableWriter::new(raw, 10).is_err());
    assert!(TableStream::new(raw, 10, Vec::new()).is_err());
}

/// A 4-slot layout of [`small_widths`], arc `(1, 2)` and its home.
fn arc_1_2(nodes: bool) -> (dashlm::format::RawLayout, Slot, u64) {
    let w = small_widths(nodes);
    let codec = w.codec(4);
    let arc = Slot {
        ctx: 1,
        word: 2,
        ..Slot::default()
    };
    (w.layout(4, 4, 0), arc, codec.home(codec.hash(1, 2)))
}

#[test]
fn table_writer_refuses_bad_puts() {
    let (raw, arc, home) = arc_1_2(true);
    let mut t = TableWriter::new(raw, 10).unwrap();
    assert!(t.put(100, &arc).is_err());
    assert!(t.put(u64::MAX, &arc).is_err());
    if home > 0 {
        assert!(t.put(home - 1, &arc).is_err());
    }
    // A displacement of 1 does not fit the 1-bit field of `layout(_, _, 0)`.
    if home < 3 {
        assert!(t.put(home + 1, &arc).is_err());
    }
    assert!(t.put(home, &Slot { prob: 256, ..arc }).is_err());
    assert!(t
        .put(
            home,
            &Slot {
                backoff: 256,
                ..arc
            }
        )
        .is_err());
    assert!(t.put(home, &Slot { ctx: 1000, ..arc }).is_err());
    assert!(t.set_flags(1000, true, true).is_err());
    assert!(t.set_flags(u64::MAX, true, true).is_err());
    // Nothing was written.
    assert!(t.bytes().iter().all(|&b| b == 0));
    t.put(home, &arc).unwrap();
    t.set_flags(home, true, false).unwrap();
    assert_eq!(t.view().unwrap().find(1, 2), Some(home));
}

#[test]
fn table_stream_refuses_wide_fields_and_displacements() {
    let (raw, arc, home) = arc_1_2(false);
    let mut s = TableStream::new(raw, 10, Vec::new()).unwrap();
    assert!(s.put(home, &Slot { prob: 256, ..arc }).is_err());
    if home < 3 {
        assert!(s.put(home + 1, &arc).is_err());
    }
}

#[test]
fn unsealed_run_table_has_no_view() {
    let raw = small_widths(true).layout(4, 4, 0).with_runs(true);
    let mut t = TableWriter::new(raw, 10).unwrap();
    assert!(t.view().is_none());
    t.seal();
    assert_eq!(t.view().unwrap().find(1, 2), None);
    // A sealed run-offset table takes no more arcs.
    assert!(t.put(0, &Slot::default()).is_err());
}

#[test]
fn section_entry_range_saturates() {
    let e = SectionEntry {
        kind: SectionKind::Table,
        order: 2,
        offset: u64::MAX,
        len: 10,
        crc: 0,
    };
    assert_eq!(e.range(), usize::MAX..usize::MAX);
}

fn header() -> Header {
    Header {
        order: 1,
        weights: WeightFormat::F32,
        vocab_size: 1,
        bos: 0,
        eos: 0,
        counts: [1, 0, 0, 0, 0, 0, 0, 0],
    }
}

#[test]
fn header_total_saturates() {
    let h = Header {
        counts: [u64::MAX; 8],
        ..header()
    };
    assert_eq!(h.total_ngrams(), u64::MAX);
}

#[test]
fn writers_refuse_more_sections_than_the_format_allows() {
    let err = SectionWriter::new(Cursor::new(Vec::new()), usize::MAX / 2).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(SectionWriter::new(Cursor::new(Vec::new()), 65).is_err());
    let mut f = FileWriter::new(header());
    for order in 0..65 {
        f.add(SectionKind::Table, order, Vec::new());
    }
    let mut out = Vec::new();
    assert!(f.write_to(&mut out).is_err());
    assert!(out.is_empty());
}

#[test]
fn codebook_of_any_width() {
    let cb = Codebook::build(vec![-1.0, -2.0], 64);
    assert_eq!(cb.decode(cb.encode(-2.0)), -2.0);
    let cb = Codebook::build(vec![-1.0, -2.0], u32::MAX);
    assert_eq!(cb.decode(cb.encode(-1.0)), -1.0);
}

#[test]
fn bits_of_any_width_and_position() {
    assert_eq!(read_bits(&[0xff; 16], 0, 64), u64::MAX);
    assert_eq!(read_bits(&[0xff; 16], 3, 200), u64::MAX);
    let mut w = BitWriter::new();
    w.push(u64::MAX, 64);
    w.push(u64::MAX, 3); // only the low 3 bits
    assert_eq!(w.len_bits(), 67);
    assert_eq!(read_bits(w.bytes(), 0, 64), u64::MAX);
    assert_eq!(read_bits(w.bytes(), 64, 8), 0b111);
    let mut w = BitWriter::zeroed(8);
    w.put(100, 1, 1);
    w.set(u64::MAX, 1, 64);
    w.put(4, u64::MAX, 8); // the low 4 bits land in the byte
    assert_eq!(w.bytes(), &[0xf0]);
    assert!(BitWriter::try_zeroed(u64::MAX).is_none());
}

#[test]
fn model_queries_with_odd_arguments() {
    let m = model();
    assert_eq!(m.word(u32::MAX), b"");
    let s = m.begin_sentence_state();
    let mut out = m.null_context_state();
    let unk = m.full_score(&s, 0, &mut out);
    assert_eq!(m.full_score(&s, u32::MAX, &mut out), unk);
    m.prefetch_pair(u32::MAX, u32::MAX);
    m.prefetch_query(&s, u32::MAX);
    assert_eq!(m.score_sentence(&[], false, false), 0.0);
    assert_eq!(m.score_corpus(&[]), (0, 0.0));
    let blank = FullScore {
        log10_prob: 9.0,
        ngram_length: 9,
    };
    let mut states = [s; 3];
    let mut scores = [blank; 1];
    m.full_score_batch(&[s, s], &[1, 2, 3, u32::MAX], &mut states, &mut scores);
    assert_ne!(scores[0], blank);
    let mut ids = [9; 1];
    m.word_ids(&[b"the", b"cat"], &mut ids);
    assert_eq!(ids, [m.word_id(b"the")]);
}
