//! Any bytes given to the ARPA reader give a model or an error, never a panic;
//! a model that loads must score any sentence and compile.
#![no_main]

use dashlm::arpa::NGramSet;
use dashlm::format::WeightFormat;
use dashlm::{build, LanguageModel, ReferenceModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Every weight variant (quantized ones build codebooks, on a thread of
    // their own in the streaming builder), and f32 with every weight raw,
    // chosen by the input's length.
    let weights = [
        WeightFormat::F32,
        WeightFormat::Q16,
        WeightFormat::Q8,
        WeightFormat::F32,
    ][data.len() % 4];
    let opts = build::BuildOptions {
        raw_f32: data.len() % 4 == 3,
        // A fifth of the inputs with an emptier (or fuller) order-2 table.
        bigram_load_factor: (data.len() % 5 == 2).then_some([0.4, 0.9][data.len() % 2]),
        ..build::BuildOptions::new(weights)
    };
    let mut in_memory = None;
    if let Ok(set) = NGramSet::read(data, "fuzz.arpa") {
        let lm = ReferenceModel::new(set.clone());
        let ids: Vec<_> = (0..lm.vocab_size() as u32 + 2).collect();
        let _ = lm.score_sentence(&ids, true, true);
        if let Ok((file, _)) = build::compile(&set, opts) {
            let mut bytes = Vec::new();
            file.write_to(&mut bytes).unwrap();
            in_memory = Some(bytes);
        }
    }
    // The streaming and completing builders either hand the input back to
    // the in-memory path, write exactly what that path writes, or refuse a
    // model too large for the format, which that path cannot build either
    // (a Cursor's writes never fail; a spill file's may, on a full TMPDIR).
    type Built = Result<Option<(build::Streamed, std::io::Cursor<Vec<u8>>)>, build::BuildError>;
    let check = |built: Built, what: &str| match built {
        Ok(Some((_, out))) => {
            assert_eq!(
                Some(&out.into_inner()),
                in_memory.as_ref(),
                "{what} output differs"
            )
        }
        Ok(None) => {}
        Err(e) => {
            use build::BuildError::*;
            let size = matches!(
                e,
                TooLarge { .. }
                    | TooManySlots { .. }
                    | KeyTooWide { .. }
                    | VocabTooLarge
                    | Table { .. }
            );
            assert!(size || matches!(e, Write(_)), "{what}: {e:?}");
            assert!(
                in_memory.is_none(),
                "{what} refused what compile built: {e}"
            );
        }
    };
    let out = std::io::Cursor::new(Vec::new());
    check(
        build::compile_streaming(data, opts, out, |_| {}),
        "streamed",
    );
    let out = std::io::Cursor::new(Vec::new());
    check(
        build::compile_completing(data, opts, out, |_| {}),
        "completed",
    );
});
