//! Any bytes given to the ARPA reader give a model or an error, never a panic;
//! a model that loads must score any sentence and compile.
#![no_main]

use dashlm::arpa::NGramSet;
use dashlm::{build, LanguageModel, ReferenceModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(set) = NGramSet::read(data, "fuzz.arpa") {
        let lm = ReferenceModel::new(set.clone());
        let ids: Vec<_> = (0..lm.vocab_size() as u32 + 2).collect();
        let _ = lm.score_sentence(&ids, true, true);
        let _ = build::compile(&set, build::BuildOptions::default());
    }
});
