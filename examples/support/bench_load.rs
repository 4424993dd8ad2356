//! Loading for `examples/bench.rs`: KenLM probing from the ARPA in this
//! process, every built binary (opened and loaded, with times and RSS), and
//! KenLM's own loop in a child; all kept loaded so that the timed runs can be
//! interleaved.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use dashlm::format::WeightFormat;

use crate::bench_args::Args;
use crate::bench_build::{Built, Variant};
use crate::bench_inputs::{Inputs, Queries};
use crate::bench_machine::{loadavg, rss_bytes};
use crate::bench_report::{mib, Row, NATIVE};
use crate::bench_systems::{DashSystem, KenSystem, NativeSystem, System};
use crate::bench_timing::median_ms;
use crate::{native, Res};

/// The loaded systems, by row name, in the order they are timed.
pub type Systems = Vec<(String, Box<dyn System>)>;

/// Loads every built model (and KenLM probing from the ARPA), filling in the
/// rows' load measures: the rows and the systems.
pub fn load_all(args: &Args, inputs: &Inputs, built: Built) -> Res<(Vec<Row>, Systems)> {
    let Built {
        mut rows,
        dashlm_files,
        kenlm_bins,
    } = built;
    let mut systems: Systems = Vec::new();
    if !args.no_kenlm {
        load_kenlm(
            &inputs.plain,
            &kenlm_bins,
            &inputs.queries,
            &mut rows,
            &mut systems,
        )?;
    }
    if let Some(bin) = &args.kenlm_native_bin {
        let probing = kenlm_bins
            .iter()
            .find(|(system, _)| *system == "KenLM probing")
            .map(|(_, path)| path)
            .ok_or("--kenlm-native-bin needs KenLM's probing binary (drop --no-kenlm)")?;
        let child = start_native(bin, probing, &inputs.workdir, &inputs.queries)?;
        rows.push(Row {
            system: NATIVE.into(),
            ..Row::default()
        });
        systems.push((NATIVE.into(), Box::new(NativeSystem(child))));
    }
    for (variant, path) in &dashlm_files {
        load_dashlm(variant, path, &inputs.queries, &mut rows, &mut systems)?;
    }
    Ok((rows, systems))
}

/// Runs `load`: what it loaded, its seconds and the growth of this process's RSS.
fn measure_load<T>(load: impl FnOnce() -> Res<T>) -> Res<(T, f64, u64)> {
    let before = rss_bytes();
    let start = Instant::now();
    let loaded = load()?;
    let seconds = start.elapsed().as_secs_f64();
    Ok((loaded, seconds, rss_bytes().saturating_sub(before)))
}

fn kenlm_config(method: kenlm::LoadMethod) -> kenlm::Config {
    kenlm::Config {
        load_method: method,
        show_progress: false,
        arpa_complain: kenlm::ArpaLoadComplain::None,
        ..Default::default()
    }
}

/// KenLM probing from the ARPA `plain`, then KenLM's binaries: opened (lazy
/// mmap) and, but for probing (loaded from the ARPA already), loaded.
fn load_kenlm(
    plain: &Path,
    kenlm_bins: &[(&'static str, std::path::PathBuf)],
    queries: &Queries,
    rows: &mut Vec<Row>,
    systems: &mut Systems,
) -> Res<()> {
    let not_utf8 = queries.not_utf8_words();
    if not_utf8 > 0 {
        eprintln!(
            "bench: warning: {not_utf8} query words are not UTF-8: kenlm-rs takes words as \
             UTF-8 strings, so it looks up their lossy spelling (U+FFFD) instead, and its \
             scores there are not KenLM's for those bytes (dashlm and KenLM's native loop \
             read bytes): scores are compared with the native loop's, or not at all"
        );
    }
    eprintln!(
        "bench: loading KenLM probing from the ARPA (load {})",
        loadavg()
    );
    let (m, arpa_load_s, rss_delta) = measure_load(|| {
        Ok(
            kenlm::Model::with_config(plain, kenlm_config(kenlm::LoadMethod::Lazy))
                .map_err(|e| format!("KenLM: {}: {e}", plain.display()))?,
        )
    })?;
    eprintln!("bench:   {arpa_load_s:.1} s, RSS +{} MiB", mib(rss_delta));
    let row = match rows.iter_mut().position(|r| r.system == "KenLM probing") {
        Some(i) => &mut rows[i],
        None => {
            rows.push(Row {
                system: "KenLM probing".into(),
                ..Row::default()
            });
            rows.last_mut().expect("pushed")
        }
    };
    row.arpa_load_s = Some(arpa_load_s);
    row.rss_delta = Some(rss_delta);
    systems.push(("KenLM probing".into(), Box::new(KenSystem::new(m, queries))));
    for (system, path) in kenlm_bins {
        let open_ms = median_ms(5, || {
            let m = kenlm::Model::with_config(path, kenlm_config(kenlm::LoadMethod::Lazy))
                .expect("KenLM binary");
            drop(std::hint::black_box(m));
        });
        let row = rows
            .iter_mut()
            .find(|r| r.system == *system)
            .expect("built row");
        row.open_ms = Some(open_ms);
        if *system != "KenLM probing" {
            let (m, load_s, rss_delta) =
                measure_load(|| {
                    Ok(kenlm::Model::with_config(
                        path,
                        kenlm_config(kenlm::LoadMethod::PopulateOrRead),
                    )
                    .map_err(|e| format!("KenLM: {}: {e}", path.display()))?)
                })?;
            row.load_s = Some(load_s);
            row.rss_delta = Some(rss_delta);
            systems.push((system.to_string(), Box::new(KenSystem::new(m, queries))));
        }
    }
    Ok(())
}

/// Starts KenLM's own loop `bin` on the probing binary, the query text written
/// into `workdir` as the other systems split it.
fn start_native(
    bin: &Path,
    probing: &Path,
    workdir: &Path,
    queries: &Queries,
) -> Res<native::NativeKenlm> {
    // The query text as the other systems split it, one sentence a line.
    let text = workdir.join("queries.txt");
    let mut out = BufWriter::new(File::create(&text)?);
    for s in &queries.sentences {
        out.write_all(&s.join(&b' '))?;
        out.write_all(b"\n")?;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    eprintln!("bench: starting {} (load {})", bin.display(), loadavg());
    let child = native::NativeKenlm::start(bin, probing, &text, queries.passes)?;
    if child.queries != queries.total() {
        return Err(format!(
            "{}: {} queries a run, expected {}",
            bin.display(),
            child.queries,
            queries.total()
        )
        .into());
    }
    Ok(child)
}

/// A dashlm variant: opened (median of 21), loaded, and for the default f32
/// (not `-raw`, not `-bigram`) also kept memory-mapped as a system of its own.
fn load_dashlm(
    variant: &Variant,
    path: &Path,
    queries: &Queries,
    rows: &mut Vec<Row>,
    systems: &mut Systems,
) -> Res<()> {
    let name = format!("dashlm {}", variant.name);
    let open_ms = median_ms(21, || {
        let m = dashlm::Model::open(path).expect("dashlm model");
        drop(std::hint::black_box(m));
    });
    let (m, load_s, rss_delta) = measure_load(|| Ok(dashlm::Model::load(path)?))?;
    let row = rows
        .iter_mut()
        .find(|r| r.system == name)
        .expect("built row");
    row.open_ms = Some(open_ms);
    row.load_s = Some(load_s);
    row.rss_delta = Some(rss_delta);
    systems.push((name.clone(), Box::new(DashSystem::new(m, queries))));
    if variant.weights == WeightFormat::F32 && !variant.raw_f32 && !variant.bigram {
        // The same file memory-mapped: pages fault in as queries touch them
        // (the agreement pass below warms them up).
        let m = dashlm::Model::open(path)?;
        rows.push(Row {
            system: format!("{name} (mmap)"),
            bytes: Some(fs::metadata(path)?.len()),
            open_ms: Some(open_ms),
            ..Row::default()
        });
        systems.push((
            format!("{name} (mmap)"),
            Box::new(DashSystem::new(m, queries)),
        ));
    }
    Ok(())
}
