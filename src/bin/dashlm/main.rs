//! `dashlm`: query, inspect, verify and benchmark n-gram language models.

mod bench;
mod inspect;
mod load;
mod query;
mod rescore;
mod tune;
mod wer;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "dashlm",
    version,
    about = "Compact hashed n-gram language models for ASR"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Query(query::Args),
    Rescore(rescore::Args),
    Tune(tune::Args),
    Wer(wer::Args),
    BenchQuery(bench::Args),
    Inspect(inspect::Args),
    Verify(inspect::VerifyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Query(args) => query::run(args),
        Command::Rescore(args) => rescore::run(args),
        Command::Tune(args) => tune::run(args),
        Command::Wer(args) => wer::run(args),
        Command::BenchQuery(args) => bench::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Verify(args) => inspect::verify(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            let mut msg = format!("dashlm: {err}");
            let mut source = err.source();
            while let Some(s) = source {
                msg.push_str(&format!(": {s}"));
                source = s.source();
            }
            eprintln!("{msg}");
            ExitCode::from(2)
        }
    }
}
