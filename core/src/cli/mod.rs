//! The `kairos` command line (clap). Each subcommand is a thin shell over
//! the library; a subcommand appears here only once it works.

pub mod convert;
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
    /// Import other recorders' raw captures (hftbacktest, cryptofeed; gzip
    /// or plain) into one native capture file, inputs in the order given.
    Convert {
        /// The inputs' format.
        #[arg(long, value_enum)]
        from: convert::FromFormat,
        /// Input files, written in this order.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The native capture file to write (`.kcap`).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode { file } => decode::run(file.as_deref()),
        Command::Convert { from, inputs, out } => convert::run(from, &inputs, &out),
    }
}
