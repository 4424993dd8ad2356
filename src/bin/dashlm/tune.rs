//! `dashlm tune`: grid search of the LM weight and word insertion penalty.

use std::error::Error;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use dashlm::rescore::{features_with, wer::nbest_wer, ExtraWeights, NbestList, ScoreWeight, Words};
use dashlm::rescore::{
    parse_values, try_tune_with_progress, GridTable, Rescored, TuneOptions, TuneResult, TuneSet,
    Weights,
};
use dashlm::LanguageModel;

use super::lists::{
    load_model, parse_finite, parse_scale, parse_threads, set_threads, Lists, ScoreWeights,
};
use super::report::{
    grid_progress, note_probability_zero, print_coverage, print_stats, print_wer,
    score_with_progress, zero_count,
};

type BoxError = Box<dyn Error + Send + Sync>;

/// Tune the LM weight and word insertion penalty on a development set.
///
/// Scores the lists once, then searches a grid of LM weight x word insertion
/// penalty (x MBR posterior scale with --mbr), optionally followed by a finer grid
/// around the chosen cell, minimizing the corpus WER against the references. By
/// default it takes the centre of the near-optimal plateau (the cells within
/// --plateau, relative, of the fewest errors): it carries over to unseen lists
/// better than the single best cell. With --plateau off: the first cell with the
/// fewest errors, or with --smooth R the cell whose neighbourhood (R cells each
/// way) has the lowest mean WER. Prints the WER tables and the choice; with
/// --json, the tables go to stderr and stdout gets one JSON line.
#[derive(clap::Args)]
pub struct Args {
    /// The development lists, which need references (in the input or via --refs).
    #[command(flatten)]
    lists: Lists,
    /// LM weights: start:end:step or a,b,c (sorted, repeats dropped).
    #[arg(long, default_value = "0:30:0.5", allow_hyphen_values = true)]
    lm_weights: String,
    /// Word insertion penalties: start:end:step or a,b,c (sorted, repeats dropped).
    #[arg(long, default_value = "-30:10:0.5", allow_hyphen_values = true)]
    wips: String,
    /// Tune for minimum-Bayes-risk selection (adds the posterior scale to the search).
    #[arg(long)]
    mbr: bool,
    /// MBR posterior scales: start:end:step or a,b,c (sorted, repeats dropped).
    #[arg(
        long,
        default_value = "0.02,0.05,0.1,0.2,0.5,1",
        allow_hyphen_values = true,
        requires = "mbr"
    )]
    scales: String,
    /// Weight of the acoustic score, >= 0 (kept fixed).
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true, value_parser = parse_scale)]
    acoustic_scale: f64,
    /// Weight of the lists' own first-pass LM score (kept fixed).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true, value_parser = parse_finite)]
    first_pass_lm_weight: f64,
    #[command(flatten)]
    extra: ScoreWeights,
    /// Choose the centre of the cells with at most (1 + D) times the fewest
    /// errors; `off` for the single best cell (or --smooth).
    #[arg(long, default_value = "0.05", allow_hyphen_values = true, value_parser = parse_plateau)]
    plateau: Plateau,
    /// With --plateau off (needed): neighbourhood radius (in coarse cells) for
    /// choosing a cell; 0 = plain grid search.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = parse_radius)]
    smooth: usize,
    /// Subdivisions of a coarse step in one finer pass around the choice (0 =
    /// none), 2 to 100.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = parse_fine)]
    fine: usize,
    /// Print one JSON line with the choice on stdout (tables go to stderr):
    /// `lm_weight`, `wip`, `wer`, `scale` with `--mbr`, and `score_weights`
    /// (each `--score-weight` at the chosen LM weight) when there are any.
    #[arg(long)]
    json: bool,
    /// Worker threads, 1 to 1024 (default: all cores).
    #[arg(long, allow_hyphen_values = true, value_parser = parse_threads)]
    threads: Option<usize>,
}

/// The `--plateau` value: a relative margin, or none.
#[derive(Clone, Copy, Debug)]
struct Plateau(Option<f64>);

fn parse_plateau(s: &str) -> Result<Plateau, String> {
    if s == "off" {
        return Ok(Plateau(None));
    }
    match s.parse::<f64>() {
        Ok(d) if d.is_finite() && d >= 0.0 => Ok(Plateau(Some(d))),
        _ => Err(format!(
            "`{s}`: expected a margin >= 0 (e.g. 0.05) or `off`"
        )),
    }
}

/// `--smooth R`: a number of cells >= 0.
fn parse_radius(s: &str) -> Result<usize, String> {
    s.trim()
        .parse::<usize>()
        .map_err(|_| format!("`{s}`: expected a radius >= 0 (in cells)"))
}

/// An error unless every list has a reference: the WER tune minimizes would
/// silently be that of a subset. `refs` is the --refs file, if given.
fn require_references(lists: &[NbestList], refs: Option<&Path>) -> Result<(), String> {
    let missing: Vec<&str> = lists
        .iter()
        .filter(|l| l.reference.is_none())
        .map(|l| l.id.as_str())
        .collect();
    let Some(first) = missing.first() else {
        return Ok(());
    };
    if missing.len() == lists.len() {
        return Err(
            "no utterance has a reference: give references in the input or with --refs".into(),
        );
    }
    let place = match refs {
        Some(refs) => format!("in the input or in {}", super::load::input_name(refs)),
        None => "in the input (give the missing ones with --refs)".to_string(),
    };
    Err(format!(
        "{} of {} utterances have no reference {place} (the first: `{first}`): tune needs \
         one for every utterance",
        missing.len(),
        lists.len()
    ))
}

/// `--fine K`: at most 100 (a finer grid of `(2K+1)^2` cells).
fn parse_fine(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(k) if k <= 100 && k != 1 => Ok(k),
        // One subdivision is the coarse step itself: no finer pass.
        _ => Err(format!(
            "`{s}`: expected 2 to 100 subdivisions (or 0, no finer pass)"
        )),
    }
}

fn table_text(t: &GridTable, ref_words: u64) -> String {
    let mut s = String::new();
    match t.scale {
        Some(scale) => writeln!(
            s,
            "WER % (rows: LM weight, columns: word insertion penalty), MBR scale {scale}:"
        )
        .unwrap(),
        None => writeln!(
            s,
            "WER % (rows: LM weight, columns: word insertion penalty):"
        )
        .unwrap(),
    }
    // Columns as wide as their longest label (`16.6666666667` in a finer pass).
    let (lms, wips): (Vec<String>, Vec<String>) = (
        t.lm_weights.iter().map(|&x| num(x)).collect(),
        t.wips.iter().map(|&x| num(x)).collect(),
    );
    let row = lms.iter().map(String::len).max().unwrap_or(0).max(7);
    let col = wips.iter().map(String::len).max().unwrap_or(0).max(5);
    write!(s, "{:>row$}", "lm\\wip").unwrap();
    for w in &wips {
        write!(s, " {w:>col$}").unwrap();
    }
    s.push('\n');
    for (i, lm) in lms.iter().enumerate() {
        write!(s, "{lm:>row$}").unwrap();
        for j in 0..t.wips.len() {
            let wer = 100.0 * t.get(i, j) as f64 / ref_words.max(1) as f64;
            write!(s, " {wer:>col$.1}").unwrap();
        }
        s.push('\n');
    }
    s
}

/// `x` as the tables and the summary print it: `1e300`, not 301 digits, and
/// `7` for a margin of 0.07 (not `7.000000000000001`).
fn num(x: f64) -> String {
    match x.abs() {
        a if a >= 1e15 || (a > 0.0 && a < 1e-4) => format!("{x:e}"),
        _ => format!("{}", (x * 1e10).round() / 1e10),
    }
}

pub fn run(args: Args) -> Result<(), BoxError> {
    set_threads(args.threads)?;
    if args.smooth > 0 && args.plateau.0.is_some() {
        return Err(format!(
            "--smooth {} needs --plateau off (the plateau rule chooses the cell otherwise)",
            args.smooth
        )
        .into());
    }
    let options = TuneOptions {
        lm_weights: parse_values(&args.lm_weights).map_err(|e| format!("--lm-weights {e}"))?,
        wips: parse_values(&args.wips).map_err(|e| format!("--wips {e}"))?,
        scales: if args.mbr {
            let scales = parse_values(&args.scales).map_err(|e| format!("--scales {e}"))?;
            if let Some(s) = scales.iter().find(|&&s| s < 0.0) {
                return Err(format!(
                    "--scales `{}`: {s} is negative: scales are >= 0",
                    args.scales
                )
                .into());
            }
            scales
        } else {
            Vec::new()
        },
        base: Weights {
            acoustic_scale: args.acoustic_scale,
            first_pass_lm_weight: args.first_pass_lm_weight,
            ..Weights::default()
        },
        plateau: args.plateau.0,
        smooth_radius: args.smooth,
        fine_divisions: args.fine,
    };
    // Before the input is read (`check_options` checks it again, later).
    options.check_size()?;
    let (lists, _) = args.lists.read()?;
    require_references(&lists, args.lists.refs.as_deref())?;
    options.base.check_lists(&lists)?;
    let extra = args.extra.for_lists(&lists)?;
    // A WER over no reference words is undefined (every error would divide by
    // 0): refused, not reported as 0.
    if lists
        .iter()
        .all(|l| l.reference.as_ref().is_none_or(|r| r.is_empty()))
    {
        return Err("the references have no words: the WER to minimize is undefined".into());
    }
    dashlm::rescore::wer::check_cells(&lists, "tune")?;
    if args.mbr {
        dashlm::rescore::mbr::check_lists(&lists)?;
        dashlm::rescore::check_mbr_grid(&lists, options.searched_cells())?;
    }
    let loaded = load_model(&args.lists.model)?;
    let (result, chosen) =
        crate::with_model!(&loaded, |m| run_tune(m, &lists, &options, &extra, args.mbr))?;
    let text = {
        let mut s = String::new();
        for t in &result.coarse {
            s.push_str(&table_text(t, result.ref_words));
        }
        if let Some(f) = &result.fine {
            s.push_str("finer pass:\n");
            s.push_str(&table_text(f, result.ref_words));
        }
        let w = &result.weights;
        // The grid the choice was made on: the finer one when there is one.
        let (grid, chosen_on): (Vec<&GridTable>, &str) = match &result.fine {
            Some(f) => (vec![f], "the finer grid"),
            None => (result.coarse.iter().collect(), "the grid"),
        };
        let fewest = grid
            .iter()
            .flat_map(|t| t.errors.iter().copied())
            .min()
            .unwrap_or(0);
        let (lm, wip) = (num(w.lm_weight), num(w.word_insertion_penalty));
        match args.plateau.0 {
            Some(margin) => write!(
                s,
                "fewest errors on {chosen_on}: {fewest}; chosen: the centre of the cells with at \
                 most {}% more (--plateau {}): lm_weight {lm} wip {wip}",
                num(100.0 * margin),
                num(margin),
            ),
            None => write!(s, "best: lm_weight {lm} wip {wip}"),
        }
        .unwrap();
        if let Some(scale) = result.scale {
            write!(s, " mbr_scale {}", num(scale)).unwrap();
        }
        // The weights that moved with the LM weight, as they ended.
        for (name, weight) in extra.iter() {
            if let ScoreWeight::TimesLm(_) = weight {
                let at = weight.at_lm_weight(w.lm_weight);
                write!(s, " {name} {} ({weight})", num(at)).unwrap();
            }
        }
        writeln!(
            s,
            ": WER {:.2}% [ {} / {} ]",
            100.0 * result.wer(),
            result.errors,
            result.ref_words
        )
        .unwrap();
        s
    };
    let mut out = super::load::stdout();
    if args.json {
        // A closed standard error is no reason to panic.
        let _ = std::io::stderr().write_all(text.as_bytes());
    } else {
        out.write_all(text.as_bytes())?;
        out.flush()?;
    }
    print_wer(
        &nbest_wer(&lists, &chosen),
        lists.len(),
        if args.mbr { "tuned (MBR)" } else { "tuned" },
    );
    if args.json {
        let w = &result.weights;
        let mut obj = serde_json::Map::new();
        obj.insert("lm_weight".into(), w.lm_weight.into());
        obj.insert("wip".into(), w.word_insertion_penalty.into());
        obj.insert("wer".into(), result.wer().into());
        if let Some(scale) = result.scale {
            obj.insert("scale".into(), scale.into());
        }
        // Every `--score-weight` at the chosen LM weight, so the line holds
        // all the numbers a `rescore` run needs.
        if !extra.is_empty() {
            let weights: serde_json::Map<String, serde_json::Value> = (extra.iter())
                .map(|(name, weight)| (name.to_string(), weight.at_lm_weight(w.lm_weight).into()))
                .collect();
            obj.insert("score_weights".into(), weights.into());
        }
        writeln!(out, "{}", serde_json::Value::Object(obj))?;
        out.flush()?;
    }
    Ok(())
}

fn run_tune<M: LanguageModel>(
    model: &M,
    lists: &[NbestList],
    options: &TuneOptions,
    extra: &ExtraWeights,
    mbr: bool,
) -> Result<(TuneResult, Vec<Option<usize>>), BoxError> {
    let (scores, stats, elapsed) = score_with_progress(model, lists);
    print_stats(&stats, elapsed);
    print_coverage(model, lists);
    note_probability_zero(
        (lists.iter().zip(&scores)).map(|(l, s)| zero_count(&features_with(l, s, extra))),
    );
    let set = TuneSet::new_with_extra(lists, &scores, mbr, extra);
    let bar = grid_progress(options);
    let result = try_tune_with_progress(&set, options, &|n| bar.inc(n));
    bar.finish_and_clear();
    let result = result?;
    let chosen = lists
        .iter()
        .zip(&scores)
        .map(|(l, s)| {
            let feats = features_with(l, s, extra);
            let words: Vec<Words> = l.hyps.iter().map(|h| h.words.clone()).collect();
            let mbr_words = result.scale.map(|scale| (&words[..], scale));
            Rescored::from_features(feats, &result.weights, mbr_words).best()
        })
        .collect();
    Ok((result, chosen))
}
