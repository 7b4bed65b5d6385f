//! The `kairos` command line (clap). Each subcommand is a thin shell over
//! the library; a subcommand appears here only once it works.

pub mod decode;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// kairos: a low-latency trading engine for Binance spot.
#[derive(Debug, Parser)]
#[command(name = "kairos", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode raw Binance messages, one per line, into one JSON line each
    /// (`{"kind":…}` or `{"error":…}`); exit 1 if any line failed.
    Decode {
        /// Input file (`.gz` is decompressed); `-` or nothing reads stdin.
        file: Option<PathBuf>,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode { file } => decode::run(file.as_deref()),
    }
}
