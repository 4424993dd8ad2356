//! "No method allocates" (`LanguageModel`'s docs; the README: "Queries take
//! `&self` and never allocate"): every query form of the compiled and the
//! reference model, counted by a global allocator on this thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use dashlm::arpa::NGramSet;
use dashlm::{FullScore, LanguageModel, Model, ReferenceModel, WordId};

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

struct Counting;

#[allow(unsafe_code)] // a `GlobalAlloc` is an unsafe trait
                      // SAFETY: every call is passed on to `System` unchanged; the counter is a
                      // const-initialized thread-local `Cell` (no allocation, no reentrancy).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: the caller's contract is `System::alloc`'s.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: the caller's contract is `System::realloc`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(Cell::get)
}

fn every_query<M: LanguageModel>(lm: &M, name: &str) {
    let words: Vec<&[u8]> = vec![b"the", b"cat", b"sat", b"on", b"zzz", b"mat", b"</s>"];
    let mut ids = vec![0; words.len()];
    let corpus = vec![vec![1, 2, 3, 4, 5, WordId::MAX], vec![], vec![4, 4, 4]];
    let states = [lm.begin_sentence_state(), lm.null_context_state()];
    let batch_words = [lm.word_id(b"the"), lm.word_id(b"cat")];
    let mut outs = states;
    let mut scores = [FullScore::default(); 2];
    let n = allocations(|| {
        lm.word_ids(&words, &mut ids);
        let mut s = lm.begin_sentence_state();
        let mut next = lm.null_context_state();
        let mut prev = lm.bos_id();
        for &w in &ids {
            lm.prefetch_pair(prev, w);
            prev = w;
            lm.prefetch_query(&s, w);
            let _ = lm.full_score_ahead(&s, w, 3, &mut next);
            let _ = lm.full_score(&s, w, &mut next);
            let _ = lm.score(&s, w, &mut next);
            let _ = lm.state_key(&next);
            s = next;
        }
        let _ = lm.word_id(b"the");
        let _ = lm.score_sentence(&ids, true, true);
        lm.score_each(lm.begin_sentence_state(), &ids, true, |r| {
            std::hint::black_box(r);
        });
        let _ = lm.score_corpus(&corpus);
        let _ = dashlm::lm::score_corpus_word_by_word(lm, &corpus);
        lm.full_score_batch(&states, &batch_words, &mut outs, &mut scores);
    });
    assert_eq!(n, 0, "{name}: queries allocated {n} times");
}

#[test]
fn queries_never_allocate() {
    // The counter counts.
    assert_eq!(allocations(|| drop(std::hint::black_box(vec![1u8]))), 1);
    let arpa = &include_bytes!("../data/tiny.arpa")[..];
    let set = NGramSet::read(arpa, "tiny.arpa").unwrap();
    for opts in [
        dashlm::build::BuildOptions::default(),
        dashlm::build::BuildOptions::new(dashlm::format::WeightFormat::Q8),
        dashlm::build::BuildOptions {
            grouped_top: true,
            ..dashlm::build::BuildOptions::new(dashlm::format::WeightFormat::Q16)
        },
    ] {
        let (file, _) = dashlm::build::compile(&set, opts).unwrap();
        let mut bytes = Vec::new();
        file.write_to(&mut bytes).unwrap();
        let lm = Model::from_bytes(bytes).unwrap();
        every_query(&lm, "compiled");
        // The file's vocabulary and its in-memory copy.
        let copy = lm.vocab().to_vocab();
        let n = allocations(|| {
            let _ = lm.vocab().id(b"the");
            let _ = lm.word(3);
            let _ = copy.id(b"the");
        });
        assert_eq!(n, 0, "vocabulary lookups allocated");
    }
    every_query(&ReferenceModel::new(set), "reference");
}
