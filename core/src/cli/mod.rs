//! The `kairos` command line.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// kairos: a low-latency trading engine for Binance spot.
#[derive(Debug, Parser)]
#[command(name = "kairos", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands (each appears only once it works).
#[derive(Debug, Subcommand)]
pub enum Command {}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {}
}
