//! `examples/beam_search.rs`, included as a module: its search gives the
//! same hypotheses on every run, ties in score included (a decoder's output
//! must not depend on a hash map's random order).

#[allow(dead_code)] // the example's `main`
#[path = "../examples/beam_search.rs"]
mod beam_search;

use dashlm::{arpa::NGramSet, build, LanguageModel, Model, WordId};

#[test]
fn beam_search_is_deterministic_with_ties() {
    // Four words of equal probability and backoff: every hypothesis of a
    // step ties with others, and each word's state is its own.
    let text = "\\data\\\nngram 1=7\nngram 2=1\n\n\\1-grams:\n-1\t<unk>\n-99\t<s>\t-0.5\n-1\t</s>\n\
                -1\ta\t-0.1\n-1\tb\t-0.1\n-1\tc\t-0.1\n-1\td\t-0.1\n\n\\2-grams:\n-0.5\t<s> a\n\n\\end\\\n";
    let set = NGramSet::read(text.as_bytes(), "ties.arpa").unwrap();
    let (file, _) = build::compile(&set, build::BuildOptions::default()).unwrap();
    let mut bytes = Vec::new();
    file.write_to(&mut bytes).unwrap();
    let lm = Model::from_bytes(bytes).unwrap();
    let candidates: Vec<WordId> = ["a", "b", "c", "d"]
        .iter()
        .map(|w| lm.word_id(w.as_bytes()))
        .collect();
    let run = || -> Vec<(Vec<WordId>, f32)> {
        beam_search::beam_search(&lm, &candidates, 6, 3)
            .into_iter()
            .map(|h| (h.words, h.log10))
            .collect()
    };
    let first = run();
    for _ in 0..20 {
        assert_eq!(run(), first);
    }
}
