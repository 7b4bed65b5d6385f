//! `kairos plugin check FILE.wasm [--world W]` (offline validation) and
//! `kairos plugin swap SLOT FILE.wasm --socket PATH [--param NAME=VALUE…]`
//! (a hot swap through a running bot's control socket).

use crate::plugins::{check, control, Budgets, Slot};
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::process::ExitCode;

/// `kairos plugin …`.
#[derive(Debug, Args)]
pub struct PluginArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: PluginCommand,
}

/// The plugin subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Validate a plugin offline: load it, check its world, list its
    /// imports, run describe and sample candles within its budgets.
    Check {
        /// The component file.
        file: PathBuf,
        /// The world it must implement (default: whichever it implements).
        #[arg(long, value_enum)]
        world: Option<WorldArg>,
        /// Fuel per call.
        #[arg(long, default_value_t = crate::plugins::DEFAULT_FUEL_PER_CALL)]
        fuel_per_call: u64,
        /// Memory cap, bytes.
        #[arg(long, default_value_t = crate::plugins::DEFAULT_MEMORY_LIMIT_BYTES)]
        memory_limit_bytes: u64,
    },
    /// Hot-swap the plugin of SLOT in a running bot (compiled, validated and
    /// dry-run off the hot path, swapped between two events).
    Swap {
        /// regime, confidence, risk or strategy.
        #[arg(value_enum)]
        slot: WorldArg,
        /// The new component file.
        file: PathBuf,
        /// The bot's control socket.
        #[arg(long)]
        socket: PathBuf,
        /// A parameter for the new plugin, NAME=DECIMAL (repeatable).
        #[arg(long = "param")]
        params: Vec<String>,
    },
}

/// A plugin world / slot on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum WorldArg {
    /// regime-plugin.
    Regime,
    /// confidence-plugin.
    Confidence,
    /// risk-plugin.
    Risk,
    /// strategy-plugin.
    Strategy,
}

impl From<WorldArg> for Slot {
    fn from(w: WorldArg) -> Slot {
        match w {
            WorldArg::Regime => Slot::Regime,
            WorldArg::Confidence => Slot::Confidence,
            WorldArg::Risk => Slot::Risk,
            WorldArg::Strategy => Slot::Strategy,
        }
    }
}

/// Runs the subcommand.
pub fn run(args: &PluginArgs) -> ExitCode {
    match &args.command {
        PluginCommand::Check {
            file,
            world,
            fuel_per_call,
            memory_limit_bytes,
        } => {
            let budgets = Budgets {
                fuel_per_call: *fuel_per_call,
                memory_limit_bytes: *memory_limit_bytes,
            };
            match check::check(file, world.map(Slot::from), budgets) {
                Ok(r) => {
                    print!("{}", r.summary());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("kairos plugin check: {e}");
                    ExitCode::from(1)
                }
            }
        }
        PluginCommand::Swap {
            slot,
            file,
            socket,
            params,
        } => {
            let mut p = Map::new();
            for kv in params {
                let Some((k, v)) = kv.split_once('=') else {
                    eprintln!("kairos plugin swap: --param {kv}: expected NAME=DECIMAL");
                    return ExitCode::from(2);
                };
                p.insert(k.to_string(), Value::String(v.to_string()));
            }
            // The bot resolves the path: make it absolute here.
            let file = std::path::absolute(file).unwrap_or_else(|_| file.clone());
            let req = json!({
                "cmd": "swap",
                "slot": Slot::from(*slot).name(),
                "file": file.display().to_string(),
                "params": p,
            });
            match control::request(socket, &req) {
                Ok(v) if v.get("ok") == Some(&Value::Bool(true)) => {
                    println!("{v}");
                    ExitCode::SUCCESS
                }
                Ok(v) => {
                    let e = v.get("error").and_then(Value::as_str).unwrap_or("refused");
                    eprintln!("kairos plugin swap: {e}");
                    ExitCode::from(1)
                }
                Err(e) => {
                    eprintln!("kairos plugin swap: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
