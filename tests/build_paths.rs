//! The three ways `build-lm` compiles ARPA text give the same bytes: the
//! streaming builder (which hands a model whose trigrams need blanks to the
//! completing builder mid-read), the completing builder, and `NGramSet` with
//! `compile`, on random models with missing contexts and suffixes, positive
//! backoffs and shuffled sections (KenLM's blank probabilities depend on the
//! file order).

use std::collections::HashSet;
use std::io::Cursor;

use dashlm::arpa::NGramSet;
use dashlm::build::{compile_completing, compile_streaming, BuildOptions};
use dashlm::format::WeightFormat;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

mod common;

use common::{arpa_text, builds, Section};

/// A model whose n-grams are random word sequences (so contexts and suffixes
/// go missing) or, with `extend`, extensions of the order below (contexts
/// present, suffixes missing), with `<unk>` somewhere or nowhere; about
/// `tries` n-grams per order.
fn random_model(
    rng: &mut StdRng,
    order: usize,
    vocab: usize,
    extend: bool,
    tries: std::ops::RangeInclusive<usize>,
) -> String {
    let mut words: Vec<String> = (0..vocab).map(|i| format!("w{i}")).collect();
    words.extend(["<s>", "</s>"].map(String::from));
    if rng.gen_bool(0.5) {
        words.push("<unk>".into());
    }
    words.shuffle(rng);
    let mut grams_of: Vec<Vec<Vec<usize>>> = vec![(0..words.len()).map(|i| vec![i]).collect()];
    for n in 2..=order {
        let mut seen = HashSet::new();
        let mut grams = Vec::new();
        for _ in 0..rng.gen_range(tries.clone()) {
            let g: Vec<usize> = if extend {
                let lower = &grams_of[n - 2];
                let mut g = lower[rng.gen_range(0..lower.len())].clone();
                g.push(rng.gen_range(0..words.len()));
                g
            } else {
                (0..n).map(|_| rng.gen_range(0..words.len())).collect()
            };
            if seen.insert(g.clone()) {
                grams.push(g);
            }
        }
        grams.shuffle(rng);
        grams_of.push(grams);
    }
    // Positive backoffs too: they make blanks depend on file order.
    let mut sections: Vec<Section> = Vec::new();
    for (i, grams) in grams_of.into_iter().enumerate() {
        let mut section = Section::new();
        for g in grams {
            let p = -rng.gen_range(0.0f32..4.0);
            let bo = (i + 1 < order && rng.gen_bool(0.8)).then(|| rng.gen_range(-1.5f32..0.5));
            section.push((g, p, bo));
        }
        sections.push(section);
    }
    arpa_text(&words, &sections)
}

#[test]
fn every_path_writes_the_same_bytes() {
    let mut rng = StdRng::seed_from_u64(5);
    let (mut streamed_models, mut handed_back) = (0, 0);
    for i in 0..400 {
        let order = rng.gen_range(1..=5);
        let vocab = rng.gen_range(1..40);
        let extend = i % 2 == 0;
        let text = random_model(&mut rng, order, vocab, extend, 1..=vocab * 3);
        let weights = [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8][i % 3];
        let mut opts = BuildOptions::new(weights);
        if rng.gen_bool(0.3) {
            opts.load_factor = rng.gen_range(0.3..1.0);
        }
        if rng.gen_bool(0.3) {
            opts.bigram_load_factor = Some(rng.gen_range(0.3..1.0));
        }
        if i % 4 == 1 {
            // The other layout of the highest order (grouped for f32 and q16).
            opts.grouped_top = !opts.grouped_top;
        }
        // Half the f32 models with every weight raw, no exact codebooks.
        opts.raw_f32 = i % 6 == 3;
        let (expected, completed, streamed) = builds(&text, opts);
        assert_eq!(completed, expected, "model {i}:\n{text}");
        match streamed {
            Some(bytes) => {
                assert_eq!(bytes, expected, "model {i}:\n{text}");
                streamed_models += 1;
            }
            None => handed_back += 1,
        }
    }
    // Both outcomes of the streaming pass occur.
    assert!(
        streamed_models > 100 && handed_back > 0,
        "{streamed_models} {handed_back}"
    );
}

/// Orders of thousands of n-grams, most of their suffixes missing: the
/// completing builder's tables grow while their order is read, and the blanks
/// added later, once ids are held, overflow them.
#[test]
fn orders_that_grow_and_overflow_build_the_same_bytes() {
    let mut rng = StdRng::seed_from_u64(11);
    for (i, weights) in [WeightFormat::F32, WeightFormat::Q8]
        .into_iter()
        .enumerate()
    {
        let text = random_model(&mut rng, 4, 60, i == 1, 3000..=3000);
        let (expected, completed, _) = builds(&text, BuildOptions::new(weights));
        assert_eq!(completed, expected, "model {i}");
    }
}

/// Orders of hundreds of thousands of n-grams (the streaming builder hands
/// its bigrams over in many chunks; the completing builder's keyed orders
/// are in huge pages and give their memory back while they are written,
/// beside the keying of the next order): the same bytes.
#[test]
fn large_orders_build_the_same_bytes() {
    let mut rng = StdRng::seed_from_u64(13);
    let text = random_model(&mut rng, 4, 5000, true, 150_000..=150_000);
    for weights in [WeightFormat::F32, WeightFormat::Q8] {
        let (expected, completed, streamed) = builds(&text, BuildOptions::new(weights));
        assert!(completed == expected, "{weights:?}");
        // Handed over to the completing builder at the trigrams.
        assert!(streamed == Some(expected), "{weights:?}");
    }
}

/// `text` with the section of order `n` emptied.
fn without_order(text: &str, n: usize) -> String {
    let (head, rest) = text.split_once(&format!("\\{n}-grams:\n")).unwrap();
    let (_, tail) = rest.split_once("\n\n").unwrap();
    let head = head
        .lines()
        .map(|l| match l.starts_with(&format!("ngram {n}=")) {
            true => format!("ngram {n}=0\n"),
            false => format!("{l}\n"),
        });
    format!("{}\\{n}-grams:\n\n{tail}", head.collect::<String>())
}

/// The completing builder gives the backoffs of the order below the one it
/// reads to a temporary file: those an order's n-grams and blanks read (of
/// every order two or more below it) are back before it is read, also when
/// the order between them is empty, and the order below the highest gets its
/// own back when it is placed.
#[test]
fn spilled_backoffs_come_back_before_they_are_read() {
    let mut rng = StdRng::seed_from_u64(13);
    for i in 0..60 {
        let order = 4 + i % 2;
        let text = random_model(&mut rng, order, 12, i % 3 == 0, 20..=60);
        let text = match i % 4 {
            0 | 1 => without_order(&text, order - 1 - (i / 4) % (order - 3)),
            _ => text,
        };
        let weights = [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8][i % 3];
        let (expected, completed, _) = builds(&text, BuildOptions::new(weights));
        assert_eq!(completed, expected, "model {i}:\n{text}");
    }
}

#[test]
fn the_shared_random_models_build_the_same_bytes() {
    let mut rng = StdRng::seed_from_u64(9);
    for i in 0..100 {
        let text = common::random_arpa(&mut rng, 2 + i % 4, 30);
        let (expected, completed, streamed) = builds(&text, BuildOptions::default());
        assert_eq!(completed, expected, "model {i}");
        if let Some(bytes) = streamed {
            assert_eq!(bytes, expected, "model {i}");
        }
    }
}

#[test]
fn errors_are_left_to_ngramset() {
    let duplicate = "\\data\\\nngram 1=3\nngram 2=2\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n-1\ta\n\n\\2-grams:\n-1\t<s> a\n-1\t<s> a\n\n\\end\\\n";
    let unknown = "\\data\\\nngram 1=3\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n-1\ta\n\n\\2-grams:\n-1\t<s> a\n\n\\3-grams:\n-1\t<s> a b\n\n\\end\\\n";
    for text in [duplicate, unknown, "\\data\\\n"] {
        let out = Cursor::new(Vec::new());
        let done = compile_completing(text.as_bytes(), BuildOptions::default(), out, |_| {});
        assert!(done.unwrap().is_none());
        let out = Cursor::new(Vec::new());
        let done = compile_streaming(text.as_bytes(), BuildOptions::default(), out, |_| {});
        assert!(done.unwrap().is_none());
        assert!(NGramSet::read(text.as_bytes(), "bad.arpa").is_err());
    }
}

/// Orders from 2 up may be empty (`ngram 3=0`, or 2 and 3): every path builds
/// the same file, it opens (the open check refused a count of 0 before), and
/// it scores as the ARPA text does, unigram backoffs included.
#[test]
fn empty_higher_orders_build_open_and_score_as_the_text() {
    use dashlm::{LanguageModel, Model, ReferenceModel};
    let unigrams = "-1\t<s>\t-0.5\n-1\t</s>\n-0.5\ta\t-0.3\n-0.6\tb\t-0.2\n";
    let texts = [
        format!("\\data\\\nngram 1=4\nngram 2=2\nngram 3=0\n\n\\1-grams:\n{unigrams}\n\\2-grams:\n-0.2\t<s> a\t-0.1\n-0.3\ta b\t-0.4\n\n\\3-grams:\n\n\\end\\\n"),
        format!("\\data\\\nngram 1=4\nngram 2=0\nngram 3=0\n\n\\1-grams:\n{unigrams}\n\\2-grams:\n\n\\3-grams:\n\n\\end\\\n"),
    ];
    for text in &texts {
        let reference = ReferenceModel::read(text.as_bytes(), "empty.arpa").unwrap();
        for weights in [WeightFormat::F32, WeightFormat::Q16, WeightFormat::Q8] {
            let (expected, completed, streamed) = builds(text, BuildOptions::new(weights));
            assert_eq!(completed, expected, "{text}");
            assert_eq!(streamed.as_ref().unwrap_or(&expected), &expected, "{text}");
            let model = Model::from_bytes(expected).unwrap();
            model.verify().unwrap();
            for sentence in [&[3u32, 4, 3, 4][..], &[4, 3, 3], &[]] {
                assert_eq!(
                    model.score_sentence(sentence, true, true),
                    reference.score_sentence(sentence, true, true),
                    "{weights:?} {sentence:?}\n{text}"
                );
            }
        }
    }
}

/// `build_file` takes the streaming pass for a complete model, the
/// completing pass for one that needs blanks, and reads a FIFO (which cannot
/// be read twice) into memory; each writes the bytes `compile` gives.
#[test]
fn build_file_takes_the_path_each_input_needs() {
    use dashlm::build::{build_file, BuildStep};
    let dir = tempfile::tempdir().unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let opts = BuildOptions::new(WeightFormat::Q16);
    let compiled = |path: &std::path::Path| {
        let set = NGramSet::read(std::fs::read(path).unwrap().as_slice(), "x").unwrap();
        let mut bytes = Vec::new();
        dashlm::build::compile(&set, opts)
            .unwrap()
            .0
            .write_to(&mut bytes)
            .unwrap();
        bytes
    };
    let steps_of = |input: &std::path::Path, out: &std::path::Path| {
        let mut steps = Vec::new();
        build_file(input, opts, out, |step, _, _| {
            if steps.last() != Some(&step) {
                steps.push(step)
            }
        })
        .unwrap();
        steps
    };
    // `a b c d` without its suffix `b c d`: a blank the streaming pass (which
    // completes trigrams only) leaves to the completing one.
    let needs_blank = dir.path().join("needs-blank.arpa");
    let text = "\\data\\\nngram 1=7\nngram 2=3\nngram 3=1\nngram 4=1\n\n\\1-grams:\n-1\t<unk>\n\
                -99\t<s>\t-0.5\n-1\t</s>\n-1\ta\t-0.3\n-1\tb\t-0.3\n-1\tc\t-0.3\n-1\td\n\n\
                \\2-grams:\n-0.5\ta b\t-0.2\n-0.5\tb c\t-0.2\n-0.5\tc d\n\n\\3-grams:\n\
                -0.4\ta b c\t-0.1\n\n\\4-grams:\n-0.3\ta b c d\n\n\\end\\\n";
    std::fs::write(&needs_blank, text).unwrap();
    for (input, want) in [
        (fixtures.join("tiny.arpa"), vec![BuildStep::Stream]),
        (needs_blank, vec![BuildStep::Stream, BuildStep::Complete]),
    ] {
        let out = dir.path().join("m.dlm");
        let steps = steps_of(&input, &out);
        assert_eq!(steps, want, "{}", input.display());
        let want_bytes = compiled(&input);
        assert_eq!(
            std::fs::read(&out).unwrap(),
            want_bytes,
            "{}",
            input.display()
        );
    }
    #[cfg(unix)]
    {
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let source = fixtures.join("arpa/quirk-pruned-suffix.arpa");
        let text = std::fs::read(&source).unwrap();
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
        };
        let out = dir.path().join("fifo.dlm");
        let steps = steps_of(&fifo, &out);
        writer.join().unwrap();
        assert_eq!(
            steps,
            [BuildStep::Read, BuildStep::Compile, BuildStep::Write]
        );
        assert_eq!(std::fs::read(&out).unwrap(), compiled(&source));
    }
}

/// A model too large for the format is refused by every builder as soon as
/// its header shows it, with the limit it passes, not handed to the
/// in-memory path (which would read it all to find the same error). The
/// headers here claim more n-grams than the text holds, which the in-memory
/// path would report instead: the size is refused first.
#[test]
fn a_model_too_large_for_the_format_is_refused_from_its_header() {
    use dashlm::build::{build_file, BuildError, MAX_SLOTS};
    let text = |counts: [u64; 3]| {
        format!(
            "\\data\\\nngram 1={}\nngram 2={}\nngram 3={}\n\n\\1-grams:\n-1\t<s>\t-0.5\n\
             -1\t</s>\n-1\ta\t-0.1\n\n\\2-grams:\n-0.2\t<s> a\t-0.1\n\n\\3-grams:\n\
             -0.3\t<s> a </s>\n\n\\end\\\n",
            counts[0], counts[1], counts[2]
        )
    };
    let low_load = BuildOptions {
        load_factor: 0.1,
        ..BuildOptions::default()
    };
    let grouped = BuildOptions {
        grouped_top: true,
        ..BuildOptions::default()
    };
    let bigram_load = BuildOptions {
        load_factor: 1.0,
        bigram_load_factor: Some(0.9),
        ..BuildOptions::default()
    };
    let default = BuildOptions::default();
    let past = "more than the format's 4294967294 per order";
    let cases = [
        // 500M bigrams at load 0.1: 5e9 slots; 0.117 leaves room to spare.
        (
            text([3, 500_000_000, 1]),
            low_load,
            format!(
                "the header declares ngram 2=500000000, which at load factor 0.1 need \
                 5000000000 slots, {past}: a load factor of at least 0.117 should fit them"
            ),
        ),
        // The bigrams' own load factor is named.
        (
            text([3, 4_000_000_000, 1]),
            bigram_load,
            format!(
                "the header declares ngram 2=4000000000, which at bigram load factor 0.9 need \
                 4444444445 slots, {past}: a bigram load factor of at least 0.932 should fit \
                 them"
            ),
        ),
        // Too close to the limit for the arcs displaced past the last home.
        (
            text([3, 4_294_000_000, 1]),
            default,
            format!(
                "the header declares ngram 2=4294000000, which at load factor 0.7 need \
                 6134285715 slots, {past}: no load factor fits them in a hashed table"
            ),
        ),
        (
            text([3, 1, MAX_SLOTS + 1]),
            default,
            format!("the header declares ngram 3=4294967295: {past}"),
        ),
        // A grouped table has no empty slots, but as many as n-grams.
        (
            text([3, 1, MAX_SLOTS + 1]),
            grouped,
            format!("the header declares ngram 3=4294967295: {past}"),
        ),
        (
            text([u64::from(u32::MAX), 1, 1]),
            default,
            format!("the header declares ngram 1=4294967295: {past}"),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (text, opts, want) in &cases {
        let kind = |e: &BuildError| {
            let too_large = matches!(
                e,
                BuildError::TooLarge { declared: true, .. }
                    | BuildError::TooManySlots { declared: true, .. }
            );
            assert!(too_large, "{e:?}");
            e.to_string()
        };
        let out = Cursor::new(Vec::new());
        let err = compile_streaming(text.as_bytes(), *opts, out, |_| {}).unwrap_err();
        assert_eq!(kind(&err), *want, "{text}");
        let out = Cursor::new(Vec::new());
        let err = compile_completing(text.as_bytes(), *opts, out, |_| {}).unwrap_err();
        assert_eq!(kind(&err), *want, "{text}");
        let input = dir.path().join("big.arpa");
        std::fs::write(&input, text).unwrap();
        let output = dir.path().join("big.dlm");
        let err = build_file(&input, *opts, &output, |_, _, _| {}).unwrap_err();
        assert_eq!(kind(&err), *want, "{text}");
        assert!(!output.exists());
        // A FIFO, read once into memory: refused from its header too.
        #[cfg(unix)]
        {
            let fifo = dir.path().join("fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            assert!(made.unwrap().success());
            let writer = {
                let (fifo, text) = (fifo.clone(), text.clone());
                std::thread::spawn(move || std::fs::write(fifo, text))
            };
            let mut steps = Vec::new();
            let err = build_file(&fifo, *opts, &output, |s, _, _| steps.push(s)).unwrap_err();
            assert_eq!(kind(&err), *want, "{text}");
            assert_eq!(steps, [dashlm::build::BuildStep::Read]);
            let _ = writer.join();
            std::fs::remove_file(&fifo).unwrap();
        }
    }
}
