//! Run-offset tables with block bases (format version 9, q8's default):
//! the same scores as scanned tables of the same codes, their lengths checked
//! at open, and memory-safe when their bases are corrupted.

mod common;

use dashlm::arpa::NGramSet;
use dashlm::build::BuildOptions;
use dashlm::format::{self, SectionKind, WeightFormat};
use dashlm::{LanguageModel, Model};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A random 4-gram model and its q8 file with the defaults.
struct Based {
    set: NGramSet,
    bytes: Vec<u8>,
    /// The orders whose tables have block bases.
    based: Vec<u16>,
    /// 30 random sentences over the model's vocabulary.
    sentences: Vec<Vec<Vec<u8>>>,
}

fn based_q8(seed: u64) -> Based {
    let mut rng = StdRng::seed_from_u64(seed);
    let text = common::random_arpa(&mut rng, 4, 300);
    let set = NGramSet::read(text.as_bytes(), "random.arpa").unwrap();
    let model = common::compiled_with(&set, BuildOptions::new(WeightFormat::Q8));
    let based: Vec<u16> = (2u16..)
        .zip(model.table_layouts())
        .filter(|(_, l)| l.raw().base_bits > 0)
        .map(|(n, _)| n)
        .collect();
    let sentences = (0..30)
        .map(|_| common::random_sentence(&mut rng, 300))
        .collect();
    let bytes = model.bytes().to_vec();
    Based {
        set,
        bytes,
        based,
        sentences,
    }
}

/// Every word's score and matched length, and the same through the batched
/// form.
fn scores<M: LanguageModel>(m: &M, sentences: &[Vec<Vec<u8>>]) -> Vec<(f32, u8)> {
    sentences
        .iter()
        .flat_map(|words| common::score_words(m, words))
        .collect()
}

#[test]
fn based_tables_score_as_scanned_tables_of_the_same_codes() {
    for seed in 0..4 {
        let Based {
            set,
            bytes,
            based,
            sentences,
        } = based_q8(seed);
        assert!(!based.is_empty(), "seed {seed}: no table has bases");
        let model = Model::from_bytes(&bytes[..]).unwrap();
        assert!(model.table_layouts().all(|l| l.runs()));
        model.verify().unwrap();
        let scanned = BuildOptions {
            load_factor: 0.7,
            ..BuildOptions::new(WeightFormat::Q8)
        };
        let scanned = common::compiled_with(&set, scanned);
        assert!(scanned.table_layouts().all(|l| !l.runs()));
        assert_eq!(scores(&model, &sentences), scores(&scanned, &sentences));
    }
}

/// The byte of order `n`'s layout in `bytes`.
fn layout_at(bytes: &[u8], n: u16) -> usize {
    let (_, sections) = format::parse(bytes).unwrap();
    let layouts = sections.require(SectionKind::Layouts, 0).unwrap().offset as usize;
    layouts + 32 * usize::from(n - 2)
}

#[test]
fn a_table_without_the_bytes_of_its_bases_is_refused() {
    let Based { bytes, based, .. } = based_q8(0);
    let n = based[0];
    // Byte 29 of the layout: the bases' width. Without bases the table
    // section is longer than its slots need.
    let mut no_bases = bytes.clone();
    no_bases[layout_at(&bytes, n) + 29] = 0;
    let e = Model::from_bytes(&no_bases[..]).err().unwrap().to_string();
    assert!(
        e.contains(&format!("table section for order {n}")) && e.contains("expected"),
        "{e}"
    );
    let mut wide = bytes.clone();
    wide[layout_at(&bytes, n) + 29] = 29;
    let e = Model::from_bytes(&wide[..]).err().unwrap().to_string();
    assert!(e.contains("29-bit block bases"), "{e}");
    // Byte 26, the lookup kind: an unknown kind is named as such, not as
    // bases in the wrong kind of table.
    let mut unknown = bytes.clone();
    unknown[layout_at(&bytes, n) + 26] = 160;
    let e = Model::from_bytes(&unknown[..]).err().unwrap().to_string();
    assert!(e.contains("lookup kind 160 (0 = scan"), "{e}");
    unknown[layout_at(&bytes, n) + 26] = 0;
    let e = Model::from_bytes(&unknown[..]).err().unwrap().to_string();
    assert!(e.contains("block bases in a table of lookup kind 0"), "{e}");
}

/// Random bytes where a table's bases lie open, fail `verify`, and give
/// some score for every query, never a panic.
#[test]
fn corrupted_bases_are_memory_safe() {
    let Based {
        bytes: clean,
        based,
        sentences,
        ..
    } = based_q8(1);
    let mut rng = StdRng::seed_from_u64(5);
    let model = Model::from_bytes(&clean[..]).unwrap();
    let (_, sections) = format::parse(&clean).unwrap();
    let regions: Vec<std::ops::Range<usize>> = based
        .iter()
        .map(|&n| {
            let table = sections.require(SectionKind::Table, n).unwrap().range();
            let layout = model.table_layouts().nth(usize::from(n - 2)).unwrap();
            table.start + layout.bases_at() as usize..table.end
        })
        .collect();
    let want = scores(&model, &sentences);
    for round in 0..200 {
        let mut bytes = clean.clone();
        let region = regions[round % regions.len()].clone();
        for _ in 0..1 + round % 8 {
            let at = rng.gen_range(region.clone());
            bytes[at] = if round % 3 == 0 { 0xff } else { rng.gen() };
        }
        let model = Model::from_bytes(&bytes[..]).unwrap();
        let got = scores(&model, &sentences);
        if bytes != clean {
            assert!(model.verify().is_err());
        } else {
            assert_eq!(got, want);
        }
    }
}
