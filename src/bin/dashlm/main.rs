//! `dashlm`: query, inspect, verify and benchmark n-gram language models.

mod bench;
mod dump;
mod inspect;
mod lists;
mod load;
mod output;
mod query;
mod report;
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
    Dump(dump::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Ctrl-C removes unfinished outputs (`dump -o`, n-best directories).
    let _ = dashlm::atomic::remove_unfinished_on_interrupt();
    let result = match cli.command {
        Command::Query(args) => query::run(args),
        Command::Rescore(args) => {
            dashlm::format::keep_freed_memory();
            rescore::run(args)
        }
        Command::Tune(args) => {
            dashlm::format::keep_freed_memory();
            tune::run(args)
        }
        Command::Wer(args) => wer::run(args),
        Command::BenchQuery(args) => bench::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Verify(args) => inspect::verify(args),
        Command::Dump(args) => dump::run(args),
    };
    load::exit("dashlm", result)
}
