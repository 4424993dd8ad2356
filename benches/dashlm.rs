//! Criterion benches: queries (sequential and batched), vocabulary lookups,
//! open, build, rescoring.
//!
//! ```text
//! cargo bench --bench dashlm                 # all groups
//! cargo bench --bench dashlm -- query        # one group
//! DASHLM_BENCH_ARPA=../shared/data/lm/en-4gram-pruned.arpa.gz cargo bench --bench dashlm
//! ```
//!
//! By default the model is generated in memory (a seeded ~200k n-gram 4-gram
//! from `examples/support/synth.rs`, with 2,000 sentences sampled from it), so
//! the benches need no data and each runs in seconds. `DASHLM_BENCH_ARPA=PATH`
//! uses that ARPA file instead, with queries from `DASHLM_BENCH_QUERIES`
//! (default `../shared/data/queries/dev.txt`); its build benches take minutes.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dashlm::arpa::NGramSet;
use dashlm::build::{self, BuildOptions};
use dashlm::format::WeightFormat;
use dashlm::rescore::{self, Hypothesis, NbestList};
use dashlm::{FullScore, LanguageModel, Model, WordId};

#[path = "../examples/support/stream.rs"]
mod stream;
#[path = "../examples/support/synth.rs"]
mod synth;

/// Everything the benches share, built once.
struct Fixture {
    label: String,
    arpa: Vec<u8>,
    set: NGramSet,
    /// Compiled files, in memory, per variant.
    f32_bytes: Vec<u8>,
    q8_bytes: Vec<u8>,
    /// The f32 model on disk (for `Model::open`).
    _dir: tempfile::TempDir,
    f32_path: PathBuf,
    sentences: Vec<Vec<Vec<u8>>>,
    lists: Vec<NbestList>,
}

fn compile(set: &NGramSet, weights: WeightFormat) -> Vec<u8> {
    let (file, _) = build::compile(set, BuildOptions::new(weights)).expect("compile");
    let mut bytes = Vec::new();
    file.write_to(&mut bytes).expect("write to memory");
    bytes
}

fn split_lines(text: &[u8]) -> Vec<Vec<Vec<u8>>> {
    text.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| dashlm::text::split(l).map(<[u8]>::to_vec).collect())
        .collect()
}

/// N-best lists made from the query sentences: 10 hypotheses each, the
/// sentence itself and variants with words substituted or dropped near the end
/// (as a recognizer's lists differ), sharing prefixes.
fn make_lists(sentences: &[Vec<Vec<u8>>], count: usize) -> Vec<NbestList> {
    let mut rng = synth::Rng::new(7);
    let pool: Vec<&Vec<u8>> = sentences.iter().flatten().collect();
    sentences
        .iter()
        .filter(|s| s.len() >= 3)
        .take(count)
        .enumerate()
        .map(|(i, s)| {
            let words: Vec<String> = s
                .iter()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            let mut list = NbestList::new(&format!("u{i}"));
            for h in 0..10 {
                let mut hyp = words.clone();
                for _ in 0..h.min(3) {
                    let at = hyp.len() / 2 + rng.below(hyp.len() - hyp.len() / 2);
                    if rng.f64() < 0.3 && hyp.len() > 2 {
                        hyp.remove(at);
                    } else {
                        hyp[at] = String::from_utf8_lossy(pool[rng.below(pool.len())]).into_owned();
                    }
                }
                list = list.with_hyp(Hypothesis::new(&hyp.join(" "), -10.0 * h as f64));
            }
            list
        })
        .collect()
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let (label, arpa, sentences) = match std::env::var_os("DASHLM_BENCH_ARPA") {
            Some(path) => {
                let path = PathBuf::from(path);
                let mut arpa = Vec::new();
                let mut input = dashlm::arpa::open_input(&path).expect("DASHLM_BENCH_ARPA");
                std::io::Read::read_to_end(&mut input.reader, &mut arpa).expect("read ARPA");
                let queries = std::env::var_os("DASHLM_BENCH_QUERIES").map_or_else(
                    || {
                        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                            .join("../shared/data/queries/dev.txt")
                    },
                    PathBuf::from,
                );
                let text = std::fs::read(&queries).unwrap_or_else(|e| {
                    panic!("{}: {e} (set DASHLM_BENCH_QUERIES)", queries.display())
                });
                let name = path
                    .file_name()
                    .map_or("model".into(), |n| n.to_string_lossy().into_owned());
                (name, arpa, split_lines(&text))
            }
            None => {
                let params = synth::Params {
                    ngrams: 200_000,
                    ..synth::Params::default()
                };
                let model = synth::Synth::generate(&params);
                let mut text = Vec::new();
                model
                    .write_sentences(&mut text, 2000, 0.013, 1)
                    .expect("in memory");
                (
                    "synth200k".to_string(),
                    model.arpa_bytes(),
                    split_lines(&text),
                )
            }
        };
        let set = NGramSet::read(&arpa[..], &label).expect("valid ARPA");
        let f32_bytes = compile(&set, WeightFormat::F32);
        let q8_bytes = compile(&set, WeightFormat::Q8);
        let dir = tempfile::tempdir().expect("temp dir");
        let f32_path = dir.path().join("model.dlm");
        std::fs::write(&f32_path, &f32_bytes).expect("write model");
        let lists = make_lists(&sentences, 200);
        eprintln!(
            "bench fixture {label}: {} n-grams, {} sentences, {} n-best lists",
            (1..=set.order()).map(|n| set.count(n)).sum::<usize>(),
            sentences.len(),
            lists.len()
        );
        Fixture {
            label,
            arpa,
            set,
            f32_bytes,
            q8_bytes,
            _dir: dir,
            f32_path,
            sentences,
            lists,
        }
    })
}

fn ids<M: LanguageModel>(m: &M, sentences: &[Vec<Vec<u8>>]) -> Vec<Vec<WordId>> {
    sentences
        .iter()
        .map(|s| s.iter().map(|w| m.word_id(w)).collect())
        .collect()
}

fn queries(c: &mut Criterion) {
    let fx = fixture();
    let mut g = c.benchmark_group(format!("query/{}", fx.label));
    let per_pass: u64 = fx.sentences.iter().map(|s| s.len() as u64 + 1).sum();
    g.throughput(Throughput::Elements(per_pass));
    for (name, bytes) in [("f32", &fx.f32_bytes), ("q8", &fx.q8_bytes)] {
        let m = Model::from_bytes(&bytes[..]).expect("model");
        let sentences = ids(&m, &fx.sentences);
        g.bench_function(format!("sequential/{name}"), |b| {
            b.iter(|| black_box(dashlm::lm::score_corpus_word_by_word(&m, &sentences).1))
        });
        g.bench_function(format!("lookahead/{name}"), |b| {
            b.iter(|| black_box(m.score_corpus(&sentences).1))
        });
        // Every position's (state, word), scored 512 at a time.
        let (states, words) = stream::positions(&m, &sentences);
        let mut out_states = vec![m.null_context_state(); 512];
        let mut out_scores = vec![FullScore::default(); 512];
        g.bench_function(format!("batched/{name}"), |b| {
            b.iter(|| {
                let mut sum = 0f32;
                for (st, ws) in states.chunks(512).zip(words.chunks(512)) {
                    m.full_score_batch(st, ws, &mut out_states, &mut out_scores);
                    sum += out_scores[..st.len()]
                        .iter()
                        .map(|r| r.log10_prob)
                        .sum::<f32>();
                }
                black_box(sum)
            })
        });
    }
    g.finish();
}

/// Every word of the sentences looked up in the q8 model, one by one and in
/// one batch (the rescorer's `word_ids`), and one by one in the in-memory
/// copy of its vocabulary (`VocabView::to_vocab`).
fn vocabulary(c: &mut Criterion) {
    let fx = fixture();
    let mut g = c.benchmark_group(format!("vocab/{}", fx.label));
    let words: Vec<&[u8]> = fx.sentences.iter().flatten().map(|w| &w[..]).collect();
    g.throughput(Throughput::Elements(words.len() as u64));
    let m = Model::from_bytes(&fx.q8_bytes[..]).expect("model");
    g.bench_function("word_id", |b| {
        b.iter(|| {
            let ids = words.iter().map(|w| m.word_id(black_box(w)));
            ids.fold(0u64, |sum, id| sum + u64::from(id))
        })
    });
    let mut ids = vec![0; words.len()];
    g.bench_function("word_ids", |b| {
        b.iter(|| {
            m.word_ids(black_box(&words), &mut ids);
            ids[0]
        })
    });
    let copy = m.vocab().to_vocab();
    g.bench_function("to_vocab_id", |b| {
        b.iter(|| {
            let ids = words.iter().map(|w| copy.id(black_box(w)));
            ids.fold(0u64, |sum, id| sum + u64::from(id))
        })
    });
    g.finish();
}

fn open(c: &mut Criterion) {
    let fx = fixture();
    let mut g = c.benchmark_group(format!("open/{}", fx.label));
    g.bench_function("mmap", |b| {
        b.iter(|| black_box(Model::open(&fx.f32_path).expect("model")))
    });
    g.bench_function("from_bytes", |b| {
        b.iter(|| black_box(Model::from_bytes(&fx.f32_bytes[..]).expect("model")))
    });
    g.bench_function("load", |b| {
        b.iter(|| black_box(Model::load(&fx.f32_path).expect("model")))
    });
    g.finish();
}

fn build(c: &mut Criterion) {
    let fx = fixture();
    let mut g = c.benchmark_group(format!("build/{}", fx.label));
    g.sample_size(10);
    let ngrams: usize = (1..=fx.set.order()).map(|n| fx.set.count(n)).sum();
    g.throughput(Throughput::Elements(ngrams as u64));
    g.bench_function("read_arpa", |b| {
        b.iter(|| black_box(NGramSet::read(&fx.arpa[..], "bench").expect("valid")))
    });
    for weights in [WeightFormat::F32, WeightFormat::Q8] {
        g.bench_function(format!("compile/{}", weights.name()), |b| {
            b.iter(|| {
                black_box(build::compile(&fx.set, BuildOptions::new(weights)).expect("compile"))
            })
        });
    }
    g.finish();
}

fn rescoring(c: &mut Criterion) {
    let fx = fixture();
    let mut g = c.benchmark_group(format!("rescore/{}", fx.label));
    let words: u64 = fx
        .lists
        .iter()
        .flat_map(|l| &l.hyps)
        .map(|h| h.words.len() as u64)
        .sum();
    g.throughput(Throughput::Elements(words));
    let m = Model::from_bytes(&fx.f32_bytes[..]).expect("model");
    g.bench_function("sequential/f32", |b| {
        b.iter(|| black_box(rescore::score_lists_sequential(&m, &fx.lists)))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = queries, vocabulary, open, build, rescoring
}
criterion_main!(benches);
