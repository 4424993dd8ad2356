//! The builds of `examples/bench.rs`: every dashlm variant (`build-lm`) and
//! KenLM's probing and trie binaries (`build_binary`), each a child process
//! timed with its CPU time and peak RSS, all from the same plain ARPA.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use dashlm::format::WeightFormat;

use crate::bench_args::Args;
use crate::bench_child::{build_lm_binary, run_child, CHILD_BUILD, CHILD_KENLM};
use crate::bench_machine::loadavg;
use crate::bench_report::{mib, Row};
use crate::Res;

/// A dashlm variant the harness builds: its name, its weights, whether every
/// f32 weight is raw (`build-lm --raw-f32`), whether its order-2 table is at
/// [`BIGRAM_LOAD`] (`build-lm --bigram-load-factor 0.5`), and whether its
/// highest order is grouped (`build-lm --weights q8 --top-order grouped`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Variant {
    pub name: &'static str,
    pub weights: WeightFormat,
    pub raw_f32: bool,
    pub bigram: bool,
    pub grouped_top: bool,
}

/// The order-2 load factor of the `-bigram` variants.
pub const BIGRAM_LOAD: f64 = 0.5;

/// Every variant.
pub const VARIANTS: [Variant; 8] = [
    variant("f32", WeightFormat::F32, false, false, false),
    variant("f32-raw", WeightFormat::F32, true, false, false),
    variant("f32-bigram", WeightFormat::F32, false, true, false),
    variant("f32-raw-bigram", WeightFormat::F32, true, true, false),
    variant("q16", WeightFormat::Q16, false, false, false),
    variant("q16-bigram", WeightFormat::Q16, false, true, false),
    variant("q8", WeightFormat::Q8, false, false, false),
    variant("q8-grouped", WeightFormat::Q8, false, false, true),
];

const fn variant(
    name: &'static str,
    weights: WeightFormat,
    raw_f32: bool,
    bigram: bool,
    grouped_top: bool,
) -> Variant {
    Variant {
        name,
        weights,
        raw_f32,
        bigram,
        grouped_top,
    }
}

/// What `--variants` takes, for messages.
pub const VARIANT_NAMES: &str =
    "f32, f32-raw, f32-bigram, f32-raw-bigram, q16, q16-bigram, q8 or q8-grouped";

impl Variant {
    /// One of [`VARIANT_NAMES`].
    pub fn parse(name: &str) -> Option<Variant> {
        VARIANTS.iter().find(|v| v.name == name).copied()
    }

    /// The build options of `build-lm` for this variant.
    pub fn options(self) -> dashlm::build::BuildOptions {
        let defaults = dashlm::build::BuildOptions::new(self.weights);
        dashlm::build::BuildOptions {
            raw_f32: self.raw_f32,
            bigram_load_factor: self.bigram.then_some(BIGRAM_LOAD),
            grouped_top: self.grouped_top,
            ..defaults
        }
    }

    /// The arguments of `build-lm` for this variant (before its input and
    /// output): [`Variant::options`] as flags, each one that differs from the
    /// weights' defaults.
    pub fn build_lm_args(self) -> Vec<String> {
        let (opts, defaults) = (
            self.options(),
            dashlm::build::BuildOptions::new(self.weights),
        );
        let mut args = vec!["--weights".to_string(), self.weights.name().to_string()];
        if opts.raw_f32 {
            args.push("--raw-f32".into());
        }
        if let Some(load) = opts.bigram_load_factor {
            args.extend(["--bigram-load-factor".into(), load.to_string()]);
        }
        if opts.grouped_top != defaults.grouped_top {
            let top = if opts.grouped_top {
                "grouped"
            } else {
                "hashed"
            };
            args.extend(["--top-order".into(), top.into()]);
        }
        if opts.load_factor != defaults.load_factor {
            args.extend(["--load-factor".into(), opts.load_factor.to_string()]);
        }
        args
    }
}

/// The built models: a row each (size and build), and their files.
pub struct Built {
    pub rows: Vec<Row>,
    pub dashlm_files: Vec<(Variant, PathBuf)>,
    /// KenLM's binaries by system name.
    pub kenlm_bins: Vec<(&'static str, PathBuf)>,
}

/// Builds `--variants` and, unless `--no-kenlm`, KenLM's binaries into `workdir`.
pub fn build_all(args: &Args, workdir: &Path, plain: &Path) -> Res<Built> {
    let build_lm = build_lm_binary(args.build_lm.as_deref());
    if build_lm.is_none() {
        eprintln!(
            "bench: warning: no build-lm binary found (give --build-lm PATH): the dashlm \
             models are built by this program's own child, which reads the whole model \
             into memory, so their build times and peak RSS are not build-lm's and the \
             build target is not judged"
        );
    }
    let self_exe = std::env::current_exe()?;
    let mut rows: Vec<Row> = Vec::new();
    let mut dashlm_files = Vec::new();
    for v in &args.variants {
        let variant = Variant::parse(v)
            .ok_or_else(|| format!("unknown variant `{v}` (expected {VARIANT_NAMES})"))?;
        let out = workdir.join(format!("model.{}.dlm", variant.name));
        let mut cmd = match &build_lm {
            Some(b) => Command::new(b),
            None => {
                let mut c = Command::new(&self_exe);
                c.arg(CHILD_BUILD);
                c
            }
        };
        if build_lm.is_some() {
            cmd.args(variant.build_lm_args());
            cmd.arg(plain).arg(&out);
        } else {
            cmd.arg(variant.name).arg(plain).arg(&out);
        }
        let log = workdir.join(format!("build.{}.log", variant.name));
        let mut row = build(format!("dashlm {}", variant.name), cmd, &out, &log)?;
        row.in_process_build = build_lm.is_none();
        rows.push(row);
        dashlm_files.push((variant, out));
    }
    let mut kenlm_bins = Vec::new();
    if !args.no_kenlm {
        let mut kinds = vec![("KenLM probing", "probing", vec![])];
        if !args.no_kenlm_trie {
            kinds.push(("KenLM trie -q8 -b8", "trie", vec!["-q", "8", "-b", "8"]));
        }
        for (system, kind, flags) in kinds {
            let out = workdir.join(format!("model.kenlm.{kind}"));
            let mut cmd = Command::new(&self_exe);
            cmd.arg(CHILD_KENLM)
                .args(&flags)
                .arg(kind)
                .arg(plain)
                .arg(&out);
            let log = workdir.join(format!("build.kenlm.{kind}.log"));
            let row = build(system.to_string(), cmd, &out, &log).map_err(|e| {
                format!(
                    "KenLM's build_binary {kind} failed on this model, so it cannot be \
                     compared (KenLM refuses some models dashlm takes: order 1, orders \
                     above 6, a missing context, many missing suffixes); --no-kenlm runs \
                     dashlm alone. {e}"
                )
            })?;
            rows.push(row);
            kenlm_bins.push((system, out));
        }
    }
    Ok(Built {
        rows,
        dashlm_files,
        kenlm_bins,
    })
}

/// Runs the build `cmd` of `system` (writing `out`, its output in `log`): the
/// row with the file's size and the build's measures.
fn build(system: String, cmd: Command, out: &Path, log: &Path) -> Res<Row> {
    eprintln!("bench: building {system} (load {})", loadavg());
    let run = run_child(cmd, log)?;
    eprintln!(
        "bench:   {:.1} s, peak RSS {} MiB",
        run.wall_s,
        mib(run.max_rss)
    );
    Ok(Row {
        system,
        bytes: Some(fs::metadata(out)?.len()),
        build: Some(run),
        ..Row::default()
    })
}
