//! How the examples end: an error prints as `<example>: <message>` (not
//! `Error: <debug form>`) with exit status 2.

use std::fmt::Display;
use std::process::ExitCode;

/// Success, or `name: error` on stderr and exit status 2.
pub fn report<E: Display>(name: &str, result: Result<(), E>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::from(2)
        }
    }
}
