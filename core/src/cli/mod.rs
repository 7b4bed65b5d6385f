//! The `kairos` command line (clap). Each subcommand is a thin shell over
//! the library; a subcommand appears here only once it works.

pub mod backtest;
pub mod convert;
pub mod decode;
pub mod plugin;
pub mod record;
pub mod replay;
pub mod sim;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// kairos: a low-latency trading engine for Binance spot.
#[derive(Debug, Parser)]
#[command(
    name = "kairos",
    version,
    about = "kairos: a low-latency trading engine for Binance spot"
)]
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
    /// Drive captures through the hot path (decode → book → decision) and
    /// report per-stage latency, throughput and the book oracle.
    Replay {
        /// Capture files, replayed in this order (a file and its continuation).
        #[arg(long = "input", required = true, num_args = 1..)]
        inputs: Vec<PathBuf>,
        /// The inputs' format.
        #[arg(long, value_enum, default_value = "native")]
        format: ReplayFormatArg,
        /// Write report.json, report.md and latency.svg into this folder.
        #[arg(long)]
        report: Option<PathBuf>,
        /// A config file whose `[plugins]` section makes the decision stage
        /// (the report then shows the plugin stage's latency).
        #[arg(long)]
        plugins: Option<PathBuf>,
    },
    /// Record live market data (reconnecting, books kept in sync) to a
    /// native capture file.
    Record(record::RecordArgs),
    /// A local simulated Binance spot exchange on 127.0.0.1: replays a
    /// capture (or klines) over WebSocket streams, serves REST depth
    /// snapshots consistent with them, injects faults. First stdout line:
    /// `listening ws=URL rest=URL`.
    Sim(Box<sim::SimArgs>),
    /// Candle backtest with the same engine, hard limits and exchange
    /// filters as live: report.json/report.md/trades.csv/SVG plots,
    /// parameter sweeps and walk-forward.
    Backtest(Box<backtest::BacktestArgs>),
    /// WASM plugins: `check` one offline, `swap` one into a running bot.
    Plugin(plugin::PluginArgs),
}

/// `--format` of `kairos replay`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReplayFormatArg {
    /// kairos's native capture (memory-mapped).
    Native,
    /// hftbacktest raw recording.
    Hftbacktest,
    /// cryptofeed raw recording.
    Cryptofeed,
}

impl From<ReplayFormatArg> for crate::drive::replay::ReplayFormat {
    fn from(f: ReplayFormatArg) -> Self {
        use crate::drive::replay::ReplayFormat as R;
        match f {
            ReplayFormatArg::Native => R::Native,
            ReplayFormatArg::Hftbacktest => R::Hftbacktest,
            ReplayFormatArg::Cryptofeed => R::Cryptofeed,
        }
    }
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode { file } => decode::run(file.as_deref()),
        Command::Convert { from, inputs, out } => convert::run(from, &inputs, &out),
        Command::Replay {
            inputs,
            format,
            report,
            plugins,
        } => replay::run(
            &inputs,
            format.into(),
            report.as_deref(),
            plugins.as_deref(),
        ),
        Command::Record(args) => record::run(&args),
        Command::Sim(args) => sim::run(&args),
        Command::Backtest(args) => backtest::run_cli(&args),
        Command::Plugin(args) => plugin::run(&args),
    }
}
