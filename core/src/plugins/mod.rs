//! The wasmtime plugin host: sandboxed, budgeted, hot-swappable WASM
//! components implementing the four plugin worlds of `wit/kairos-plugin.wit`
//! (regime, confidence, risk, strategy).
//!
//! - [`host`]: the wasmtime engine, compilation, world checks and one
//!   [`host::Plugin`] instance per slot with its own `Store`, memory cap and
//!   fuel budget. A plugin gets no capability at all (no WASI): every import
//!   it declares is defined as a function that traps when called.
//! - [`convert`]: engine types ↔ WIT records.
//! - [`chain`]: [`chain::PluginChain`], the engine's [`crate::engine::Decide`]
//!   stage: regime → confidence → risk → strategy on each closed candle,
//!   strategy on each top-of-book change and fill; faults, alarms and safe
//!   modes; the swap between two events.
//! - [`swap`]: the `plugin-compile` side thread (compile, validate, dry run)
//!   and the lock-free rings to and from the hot thread.
//! - [`control`]: the `control` side thread (a 0600 Unix socket, one JSON
//!   object per line) and its client.
//! - [`check`]: `kairos plugin check`, the offline validation.

pub mod bindings;
pub mod chain;
pub mod check;
pub mod control;
pub mod convert;
pub mod host;
pub mod multi;
pub mod swap;

use serde::{Deserialize, Serialize};

/// Default fuel per plugin call (a CPU budget: roughly one unit per
/// WebAssembly instruction). 10^7 is a few milliseconds of guest work, far
/// beyond what a decision needs and far below a stuck hot thread.
pub const DEFAULT_FUEL_PER_CALL: u64 = 10_000_000;
/// Default memory cap per plugin instance, bytes (64 MiB).
pub const DEFAULT_MEMORY_LIMIT_BYTES: u64 = 64 << 20;
/// Smallest memory cap accepted, bytes (a Rust guest needs a few pages).
pub const MIN_MEMORY_LIMIT_BYTES: u64 = 1 << 20;
/// Largest memory cap accepted, bytes (4 GiB: the wasm32 address space).
pub const MAX_MEMORY_LIMIT_BYTES: u64 = 4 << 30;
/// Smallest fuel budget accepted per call.
pub const MIN_FUEL_PER_CALL: u64 = 1_000;

/// A plugin slot of the chain, in call order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Slot {
    /// Market regime classification.
    Regime = 0,
    /// Entry confidence score.
    Confidence = 1,
    /// Sizing and protective levels.
    Risk = 2,
    /// Order intents.
    Strategy = 3,
}

/// Number of [`Slot`]s.
pub const SLOTS: usize = 4;

impl Slot {
    /// Every slot, in call order.
    pub const ALL: [Slot; SLOTS] = [Slot::Regime, Slot::Confidence, Slot::Risk, Slot::Strategy];

    /// The slot's name (`regime`, `confidence`, `risk`, `strategy`).
    pub const fn name(self) -> &'static str {
        match self {
            Slot::Regime => "regime",
            Slot::Confidence => "confidence",
            Slot::Risk => "risk",
            Slot::Strategy => "strategy",
        }
    }

    /// The WIT world a plugin of this slot must implement.
    pub const fn world(self) -> &'static str {
        match self {
            Slot::Regime => "regime-plugin",
            Slot::Confidence => "confidence-plugin",
            Slot::Risk => "risk-plugin",
            Slot::Strategy => "strategy-plugin",
        }
    }

    /// Parses a slot name.
    pub fn parse(s: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the chain does once a plugin is disabled by a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SafeMode {
    /// Fall back to the previous version of that slot (kept loaded after a
    /// swap, resuming from the state it had then). With no previous version
    /// the slot is disabled and the chain behaves as in `no-new-orders`.
    #[default]
    Previous,
    /// Disable the slot; while any slot is disabled the chain emits no entry
    /// (buy) intents: only exits (sells) and cancels pass. A disabled
    /// strategy emits nothing; open positions are then managed by the core's
    /// hard limits and stops.
    NoNewOrders,
}

impl SafeMode {
    /// The config spelling.
    pub const fn name(self) -> &'static str {
        match self {
            SafeMode::Previous => "previous",
            SafeMode::NoNewOrders => "no-new-orders",
        }
    }
}

/// A plugin's budgets, enforced per call (fuel) and per instance (memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Fuel granted before each call.
    pub fuel_per_call: u64,
    /// Most linear memory the instance may hold, bytes.
    pub memory_limit_bytes: u64,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            fuel_per_call: DEFAULT_FUEL_PER_CALL,
            memory_limit_bytes: DEFAULT_MEMORY_LIMIT_BYTES,
        }
    }
}

/// Where the reference and test plugins are built: `<repo>/target/plugins/`
/// (by `tools/build-plugins.sh`, whatever `CARGO_TARGET_DIR` says).
pub fn plugins_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugins")
}

/// Builds a host and a chain from the `[plugins]` config: every configured
/// slot loaded (compiled, world-checked, parameters set). Off the hot path.
pub fn build_chain(
    cfg: &crate::config::PluginsConfig,
    symbol: Option<crate::binance::fast::Symbol>,
) -> Result<(host::PluginHost, chain::PluginChain), String> {
    let f = ChainFactory::new(cfg)?;
    let chain = f.make(symbol)?;
    Ok((f.host, chain))
}

/// Compiles the configured plugins once and makes as many fresh chains as
/// needed (one per symbol, or one per replay pass).
pub struct ChainFactory {
    host: host::PluginHost,
    safe_mode: SafeMode,
    slots: Vec<(host::Ready, Vec<(String, i64)>)>,
}

impl std::fmt::Debug for ChainFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainFactory")
            .field("slots", &self.slots.len())
            .finish()
    }
}

impl ChainFactory {
    /// Compiles and world-checks every configured slot, and instantiates
    /// each once (parameters set) to prove it loads.
    pub fn new(cfg: &crate::config::PluginsConfig) -> Result<ChainFactory, String> {
        let host = host::PluginHost::new(cfg.budgets()).map_err(|e| e.to_string())?;
        let mut slots = Vec::new();
        for slot in Slot::ALL {
            let Some(sc) = cfg.slot(slot) else {
                continue;
            };
            let params = cfg.params(slot)?;
            let at = |e: host::PluginError| format!("plugins.{slot}: {e}");
            let compiled = host.compile_file(&sc.path).map_err(at)?;
            let ready = host.ready(&compiled, slot).map_err(at)?;
            host.instantiate(&ready, &params).map_err(at)?;
            slots.push((ready, params));
        }
        Ok(ChainFactory {
            host,
            safe_mode: cfg.safe_mode,
            slots,
        })
    }

    /// The host (for swaps).
    pub fn host(&self) -> &host::PluginHost {
        &self.host
    }

    /// A fresh chain with a fresh instance of every configured plugin.
    pub fn make(
        &self,
        symbol: Option<crate::binance::fast::Symbol>,
    ) -> Result<chain::PluginChain, String> {
        let mut chain = chain::PluginChain::new(symbol, self.safe_mode);
        for (ready, params) in &self.slots {
            let p = self
                .host
                .instantiate(ready, params)
                .map_err(|e| e.to_string())?;
            chain.set(p);
        }
        Ok(chain)
    }
}
