//! The wasmtime side: one [`PluginHost`] (engine) per process, a
//! [`Compiled`] component per file, a [`Plugin`] per loaded slot instance.
//!
//! Sandbox. A plugin is linked against nothing: every import a component
//! declares (a Rust guest built for `wasm32-wasip2` imports a few WASI
//! interfaces for std's panic printing, for instance) is defined as a
//! function that traps when called ([`Compiled::imports`] lists them). So a
//! plugin has no filesystem, network, clock or randomness, and a replay is
//! deterministic.
//!
//! Budgets. Each instance has its own `Store` with a memory cap
//! ([`Budgets::memory_limit_bytes`]; a plugin may have at most
//! [`MAX_MEMORIES`] linear memory, so the cap is its total; growing past it
//! traps) and fuel ([`Budgets::fuel_per_call`], reset before every
//! call). A trap, exhausted fuel or a refused allocation disables the
//! instance for good ([`Plugin::fault`]); the chain then applies its safe
//! mode. Nothing a plugin does panics the host.

use super::bindings::confidence::{ConfidencePlugin, ConfidencePluginPre};
use super::bindings::regime::{RegimePlugin, RegimePluginPre};
use super::bindings::risk::{RiskPlugin, RiskPluginPre};
use super::bindings::strategy::{StrategyPlugin, StrategyPluginPre};
use super::bindings::types;
use super::{Budgets, Slot, MAX_MEMORY_LIMIT_BYTES};
use crate::engine::clock::ticks;
use std::path::Path;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, Trap};

/// Linear memories a plugin instance may create (a Rust guest has one):
/// with one, the per-memory cap of `StoreLimits` is the instance's total.
pub const MAX_MEMORIES: usize = 1;
/// Longest fault message kept, bytes.
pub const MAX_FAULT_MESSAGE: usize = 512;
/// Largest plugin file read, bytes (64 MiB).
pub const MAX_PLUGIN_FILE_BYTES: u64 = 64 << 20;
/// Largest state accepted from `save-state`, bytes (16 MiB).
pub const MAX_STATE_BYTES: usize = 16 << 20;

/// A problem loading or preparing a plugin (off the hot path).
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Over [`MAX_PLUGIN_FILE_BYTES`].
    #[error("{path}: {bytes} bytes is over the limit of {MAX_PLUGIN_FILE_BYTES}")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        bytes: u64,
    },
    /// Not a WebAssembly component (a core module, or not wasm at all).
    #[error("{source_name}: not a WebAssembly component: {reason}")]
    NotComponent {
        /// File name or label.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// It does not export the slot's world.
    #[error("{source_name}: does not implement the `{world}` world: {reason}")]
    WrongWorld {
        /// File name or label.
        source_name: String,
        /// The world expected.
        world: &'static str,
        /// What is missing or mistyped.
        reason: String,
    },
    /// Instantiation failed (start function trapped, memory over the cap…).
    #[error("{source_name}: cannot instantiate: {reason}")]
    Instantiate {
        /// File name or label.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// A lifecycle call failed or the plugin refused a parameter.
    #[error("{source_name}: {reason}")]
    Lifecycle {
        /// File name or label.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// The engine could not be configured (a host bug, not a plugin's).
    #[error("wasmtime engine: {0}")]
    Engine(String),
    /// Budgets out of range.
    #[error("plugin budgets: {0}")]
    Budgets(String),
}

/// One wasmtime engine (compiler and code cache) shared by every plugin.
#[derive(Clone)]
pub struct PluginHost {
    engine: Engine,
    budgets: Budgets,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("budgets", &self.budgets)
            .finish()
    }
}

/// A compiled component, not yet instantiated.
#[derive(Clone)]
pub struct Compiled {
    component: Component,
    /// A label for messages (the file name).
    pub source: String,
    /// Every import the component declares (all trap when called).
    pub imports: Vec<String>,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("source", &self.source)
            .field("imports", &self.imports)
            .finish()
    }
}

/// A component checked against one slot's world, ready to instantiate.
#[derive(Clone)]
pub struct Ready {
    slot: Slot,
    pre: WorldPre,
    /// A label for messages (the file name).
    pub source: String,
}

#[derive(Clone)]
enum WorldPre {
    Regime(RegimePluginPre<HostState>),
    Confidence(ConfidencePluginPre<HostState>),
    Risk(RiskPluginPre<HostState>),
    Strategy(StrategyPluginPre<HostState>),
}

/// The store's data: the memory limiter.
pub struct HostState {
    limits: StoreLimits,
    memory_limit_bytes: usize,
    /// A growth was refused since the last call began.
    refused: bool,
}

impl ResourceLimiter for HostState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit_bytes {
            self.refused = true;
        }
        self.limits.memory_growing(current, desired, maximum)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

enum Guest {
    Regime(RegimePlugin),
    Confidence(ConfidencePlugin),
    Risk(RiskPlugin),
    Strategy(StrategyPlugin),
}

/// Why a plugin was disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// It used up its fuel in one call.
    Fuel,
    /// It asked for memory beyond its cap.
    Memory,
    /// It trapped (unreachable, panic, out-of-bounds access, a call to an
    /// import it is not given…).
    Trap,
    /// It returned something the host refuses (e.g. an oversized state).
    Protocol,
    /// It was already disabled: not called.
    Disabled,
}

impl FaultKind {
    /// A stable name (stats, alarms).
    pub const fn name(self) -> &'static str {
        match self {
            FaultKind::Fuel => "fuel",
            FaultKind::Memory => "memory",
            FaultKind::Trap => "trap",
            FaultKind::Protocol => "protocol",
            FaultKind::Disabled => "disabled",
        }
    }
}

/// A plugin's fault: its kind and a message naming the plugin and the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// What happened.
    pub kind: FaultKind,
    /// `SLOT plugin NAME VERSION: CALL: KIND: detail`, at most
    /// [`MAX_FAULT_MESSAGE`] bytes.
    pub message: String,
}

/// Per-plugin call counters (ticks are [`crate::engine::clock::ticks`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CallStats {
    /// Calls made.
    pub calls: u64,
    /// Sum of the calls' durations, ticks.
    pub total_ticks: u64,
    /// Longest call, ticks.
    pub max_ticks: u64,
    /// Most fuel one call used.
    pub max_fuel: u64,
    /// Fuel used by all calls (about one unit per wasm instruction: the
    /// guest's own work, independent of the machine's load).
    pub total_fuel: u64,
}

/// `describe`'s answer, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its parameters: name, value (scaled 1e-8), description.
    pub params: Vec<(String, i64, String)>,
}

/// One live plugin instance with its own store and budgets.
pub struct Plugin {
    slot: Slot,
    store: Store<HostState>,
    guest: Guest,
    fuel: u64,
    info: PluginInfo,
    /// Call counters.
    pub stats: CallStats,
    fault: Option<Fault>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("slot", &self.slot)
            .field("info", &self.info)
            .field("stats", &self.stats)
            .field("fault", &self.fault)
            .finish()
    }
}

fn err_text(e: &wasmtime::Error) -> String {
    let mut s = format!("{e:#}");
    truncate(&mut s, MAX_FAULT_MESSAGE);
    s
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

impl PluginHost {
    /// A host whose plugins get `budgets`.
    pub fn new(budgets: Budgets) -> Result<PluginHost, PluginError> {
        if budgets.fuel_per_call < super::MIN_FUEL_PER_CALL {
            return Err(PluginError::Budgets(format!(
                "fuel_per_call {} is below the minimum {}",
                budgets.fuel_per_call,
                super::MIN_FUEL_PER_CALL
            )));
        }
        if !(super::MIN_MEMORY_LIMIT_BYTES..=MAX_MEMORY_LIMIT_BYTES)
            .contains(&budgets.memory_limit_bytes)
        {
            return Err(PluginError::Budgets(format!(
                "memory_limit_bytes {} is outside {}..={}",
                budgets.memory_limit_bytes,
                super::MIN_MEMORY_LIMIT_BYTES,
                MAX_MEMORY_LIMIT_BYTES
            )));
        }
        let mut config = Config::new();
        config.consume_fuel(true);
        config.wasm_component_model(true);
        let engine = Engine::new(&config).map_err(|e| PluginError::Engine(err_text(&e)))?;
        Ok(PluginHost { engine, budgets })
    }

    /// The budgets.
    pub fn budgets(&self) -> Budgets {
        self.budgets
    }

    /// Reads and compiles a component file.
    pub fn compile_file(&self, path: &Path) -> Result<Compiled, PluginError> {
        let label = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|source| PluginError::Read {
            path: label.clone(),
            source,
        })?;
        if meta.len() > MAX_PLUGIN_FILE_BYTES {
            return Err(PluginError::TooLarge {
                path: label,
                bytes: meta.len(),
            });
        }
        let bytes = std::fs::read(path).map_err(|source| PluginError::Read {
            path: label.clone(),
            source,
        })?;
        self.compile(&label, &bytes)
    }

    /// Compiles a component from bytes (9–15 ms: never on the hot thread).
    pub fn compile(&self, label: &str, bytes: &[u8]) -> Result<Compiled, PluginError> {
        let not = |reason: String| PluginError::NotComponent {
            source_name: label.to_string(),
            reason,
        };
        if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
            return Err(not("no WebAssembly magic number".to_string()));
        }
        // Layer 1 (bytes 6..8) marks a component; 0 is a core module.
        if bytes[6..8] == [0, 0] {
            return Err(not(
                "this is a core module; build the plugin for wasm32-wasip2, which emits a component"
                    .to_string(),
            ));
        }
        let component =
            Component::from_binary(&self.engine, bytes).map_err(|e| not(err_text(&e)))?;
        let imports = component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect();
        Ok(Compiled {
            component,
            source: label.to_string(),
            imports,
        })
    }

    /// Checks `compiled` against `slot`'s world and links it against
    /// nothing (every import traps).
    pub fn ready(&self, compiled: &Compiled, slot: Slot) -> Result<Ready, PluginError> {
        let wrong = |e: wasmtime::Error| PluginError::WrongWorld {
            source_name: compiled.source.clone(),
            world: slot.world(),
            reason: err_text(&e),
        };
        let mut linker: Linker<HostState> = Linker::new(&self.engine);
        linker
            .define_unknown_imports_as_traps(&compiled.component)
            .map_err(|e| PluginError::Instantiate {
                source_name: compiled.source.clone(),
                reason: err_text(&e),
            })?;
        let ipre =
            linker
                .instantiate_pre(&compiled.component)
                .map_err(|e| PluginError::Instantiate {
                    source_name: compiled.source.clone(),
                    reason: err_text(&e),
                })?;
        let pre = match slot {
            Slot::Regime => WorldPre::Regime(RegimePluginPre::new(ipre).map_err(wrong)?),
            Slot::Confidence => {
                WorldPre::Confidence(ConfidencePluginPre::new(ipre).map_err(wrong)?)
            }
            Slot::Risk => WorldPre::Risk(RiskPluginPre::new(ipre).map_err(wrong)?),
            Slot::Strategy => WorldPre::Strategy(StrategyPluginPre::new(ipre).map_err(wrong)?),
        };
        Ok(Ready {
            slot,
            pre,
            source: compiled.source.clone(),
        })
    }

    /// The slots whose world `compiled` implements.
    pub fn worlds(&self, compiled: &Compiled) -> Vec<Slot> {
        Slot::ALL
            .into_iter()
            .filter(|s| self.ready(compiled, *s).is_ok())
            .collect()
    }

    /// A fresh instance in its own store, `describe`d, with `params` set
    /// (name, value scaled 1e-8). About 10 µs plus the plugin's start-up.
    pub fn instantiate(
        &self,
        ready: &Ready,
        params: &[(String, i64)],
    ) -> Result<Plugin, PluginError> {
        let limit = usize::try_from(self.budgets.memory_limit_bytes).unwrap_or(usize::MAX);
        let data = HostState {
            limits: StoreLimitsBuilder::new()
                .memory_size(limit)
                .memories(MAX_MEMORIES)
                .trap_on_grow_failure(true)
                .build(),
            memory_limit_bytes: limit,
            refused: false,
        };
        let mut store = Store::new(&self.engine, data);
        store.limiter(|s| s as &mut dyn ResourceLimiter);
        let inst_err = |e: wasmtime::Error| PluginError::Instantiate {
            source_name: ready.source.clone(),
            reason: err_text(&e),
        };
        store
            .set_fuel(self.budgets.fuel_per_call)
            .map_err(inst_err)?;
        let guest = match &ready.pre {
            WorldPre::Regime(p) => Guest::Regime(p.instantiate(&mut store).map_err(inst_err)?),
            WorldPre::Confidence(p) => {
                Guest::Confidence(p.instantiate(&mut store).map_err(inst_err)?)
            }
            WorldPre::Risk(p) => Guest::Risk(p.instantiate(&mut store).map_err(inst_err)?),
            WorldPre::Strategy(p) => Guest::Strategy(p.instantiate(&mut store).map_err(inst_err)?),
        };
        let mut plugin = Plugin {
            slot: ready.slot,
            store,
            guest,
            fuel: self.budgets.fuel_per_call,
            info: PluginInfo {
                name: ready.source.clone(),
                version: String::new(),
                params: Vec::new(),
            },
            stats: CallStats::default(),
            fault: None,
        };
        let lc = |reason: String| PluginError::Lifecycle {
            source_name: ready.source.clone(),
            reason,
        };
        for (name, value) in params {
            match plugin.set_param(name, *value) {
                Ok(Ok(())) => {}
                Ok(Err(msg)) => return Err(lc(format!("set-param {name}: {msg}"))),
                Err(_) => return Err(lc(plugin.fault_message().to_string())),
            }
        }
        let info = plugin
            .describe()
            .map_err(|_| lc(plugin.fault_message().to_string()))?;
        plugin.info = info;
        // The counters cover the plugin's event calls only, not its load.
        plugin.stats = CallStats::default();
        Ok(plugin)
    }

    /// Compile, check the world, instantiate: the whole off-hot-path load.
    pub fn load(
        &self,
        path: &Path,
        slot: Slot,
        params: &[(String, i64)],
    ) -> Result<Plugin, PluginError> {
        let c = self.compile_file(path)?;
        let r = self.ready(&c, slot)?;
        self.instantiate(&r, params)
    }
}

macro_rules! lifecycle {
    ($guest:expr, |$lc:ident| $body:expr) => {
        match $guest {
            Guest::Regime(g) => {
                let $lc = g.kairos_plugin_lifecycle();
                $body
            }
            Guest::Confidence(g) => {
                let $lc = g.kairos_plugin_lifecycle();
                $body
            }
            Guest::Risk(g) => {
                let $lc = g.kairos_plugin_lifecycle();
                $body
            }
            Guest::Strategy(g) => {
                let $lc = g.kairos_plugin_lifecycle();
                $body
            }
        }
    };
}

impl Plugin {
    /// The slot it serves.
    pub fn slot(&self) -> Slot {
        self.slot
    }

    /// What `describe` said at load.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// The fault that disabled it, if any.
    pub fn fault(&self) -> Option<&Fault> {
        self.fault.as_ref()
    }

    /// Whether it was disabled by a fault.
    pub fn is_faulted(&self) -> bool {
        self.fault.is_some()
    }

    fn fault_message(&self) -> &str {
        self.fault
            .as_ref()
            .map(|f| f.message.as_str())
            .unwrap_or("")
    }

    /// Runs one guest call with a fresh fuel budget; times it; turns any
    /// error into a fault that disables the plugin.
    #[inline]
    fn run<R>(
        &mut self,
        call: &'static str,
        f: impl FnOnce(&Guest, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, FaultKind> {
        if self.fault.is_some() {
            return Err(FaultKind::Disabled);
        }
        // Cannot fail: fuel is enabled in the engine's config.
        let _ = self.store.set_fuel(self.fuel);
        let t0 = ticks();
        let r = f(&self.guest, &mut self.store);
        let dt = ticks().wrapping_sub(t0);
        let left = self.store.get_fuel().unwrap_or(0);
        let s = &mut self.stats;
        s.calls += 1;
        s.total_ticks = s.total_ticks.wrapping_add(dt);
        s.max_ticks = s.max_ticks.max(dt);
        let used = self.fuel.saturating_sub(left);
        s.max_fuel = s.max_fuel.max(used);
        s.total_fuel = s.total_fuel.wrapping_add(used);
        match r {
            Ok(v) => Ok(v),
            Err(e) => {
                let kind = if std::mem::take(&mut self.store.data_mut().refused) {
                    FaultKind::Memory
                } else if e.downcast_ref::<Trap>() == Some(&Trap::OutOfFuel) || left == 0 {
                    FaultKind::Fuel
                } else {
                    FaultKind::Trap
                };
                self.set_fault(call, kind, &err_text(&e));
                Err(kind)
            }
        }
    }

    fn set_fault(&mut self, call: &str, kind: FaultKind, detail: &str) {
        let mut message = format!(
            "{} plugin {} {}: {call}: {}: {detail}",
            self.slot,
            self.info.name,
            self.info.version,
            kind.name()
        );
        truncate(&mut message, MAX_FAULT_MESSAGE);
        self.fault = Some(Fault { kind, message });
    }

    /// `describe`.
    pub fn describe(&mut self) -> Result<PluginInfo, FaultKind> {
        let info = self.run("describe", |g, st| lifecycle!(g, |lc| lc.call_describe(st)))?;
        Ok(PluginInfo {
            name: info.name,
            version: info.version,
            params: info
                .params
                .into_iter()
                .map(|p| (p.name, p.value, p.description))
                .collect(),
        })
    }

    /// `set-param`: `Ok(Err(msg))` when the plugin refuses the value.
    pub fn set_param(&mut self, name: &str, value: i64) -> Result<Result<(), String>, FaultKind> {
        self.run("set-param", |g, st| {
            lifecycle!(g, |lc| lc.call_set_param(&mut *st, name, value))
        })
    }

    /// `save-state` (a state over [`MAX_STATE_BYTES`] is a protocol fault).
    pub fn save_state(&mut self) -> Result<Vec<u8>, FaultKind> {
        let s = self.run("save-state", |g, st| {
            lifecycle!(g, |lc| lc.call_save_state(st))
        })?;
        if s.len() > MAX_STATE_BYTES {
            self.set_fault(
                "save-state",
                FaultKind::Protocol,
                &format!("state of {} bytes is over {MAX_STATE_BYTES}", s.len()),
            );
            return Err(FaultKind::Protocol);
        }
        Ok(s)
    }

    /// `load-state`: `Ok(Err(msg))` when the plugin cannot read the state.
    pub fn load_state(&mut self, state: &[u8]) -> Result<Result<(), String>, FaultKind> {
        self.run("load-state", |g, st| {
            lifecycle!(g, |lc| lc.call_load_state(&mut *st, state))
        })
    }

    fn wrong_slot<R>(&mut self, call: &'static str) -> Result<R, FaultKind> {
        self.set_fault(
            call,
            FaultKind::Protocol,
            "called on a plugin of another slot (host bug)",
        );
        Err(FaultKind::Protocol)
    }

    /// regime `classify` over a context block (see [`super::convert::Context`]).
    #[inline]
    pub fn classify(&mut self, ctx: &[i64]) -> Result<types::Regime, FaultKind> {
        if !matches!(self.guest, Guest::Regime(_)) {
            return self.wrong_slot("classify");
        }
        self.run("classify", |g, st| match g {
            Guest::Regime(g) => g.kairos_plugin_regime_api().call_classify(st, ctx),
            _ => unreachable_guest(),
        })
    }

    /// confidence `score` over a context block carrying the regime.
    #[inline]
    pub fn score(&mut self, ctx: &[i64]) -> Result<types::Confidence, FaultKind> {
        if !matches!(self.guest, Guest::Confidence(_)) {
            return self.wrong_slot("score");
        }
        self.run("score", |g, st| match g {
            Guest::Confidence(g) => g.kairos_plugin_confidence_api().call_score(st, ctx),
            _ => unreachable_guest(),
        })
    }

    /// risk `assess` over a context block carrying regime and confidence.
    #[inline]
    pub fn assess(&mut self, ctx: &[i64]) -> Result<types::Risk, FaultKind> {
        if !matches!(self.guest, Guest::Risk(_)) {
            return self.wrong_slot("assess");
        }
        self.run("assess", |g, st| match g {
            Guest::Risk(g) => g.kairos_plugin_risk_api().call_assess(st, ctx),
            _ => unreachable_guest(),
        })
    }

    /// strategy `on-candle` over a context block carrying the three
    /// answers.
    #[inline]
    pub fn on_candle(&mut self, ctx: &[i64]) -> Result<Vec<types::Intent>, FaultKind> {
        if !matches!(self.guest, Guest::Strategy(_)) {
            return self.wrong_slot("on-candle");
        }
        self.run("on-candle", |g, st| match g {
            Guest::Strategy(g) => g.kairos_plugin_strategy_api().call_on_candle(st, ctx),
            _ => unreachable_guest(),
        })
    }

    /// strategy `on-book`: how many intents the plugin made ready (taken
    /// with [`Plugin::take_intent`]).
    #[inline]
    pub fn on_book(
        &mut self,
        book: types::TopOfBook,
        account: types::Account,
    ) -> Result<u32, FaultKind> {
        if !matches!(self.guest, Guest::Strategy(_)) {
            return self.wrong_slot("on-book");
        }
        self.run("on-book", |g, st| match g {
            Guest::Strategy(g) => g
                .kairos_plugin_strategy_api()
                .call_on_book(st, book, account),
            _ => unreachable_guest(),
        })
    }

    /// strategy `on-trade`: how many intents the plugin made ready.
    #[inline]
    pub fn on_trade(
        &mut self,
        trade: types::Trade,
        account: types::Account,
    ) -> Result<u32, FaultKind> {
        if !matches!(self.guest, Guest::Strategy(_)) {
            return self.wrong_slot("on-trade");
        }
        self.run("on-trade", |g, st| match g {
            Guest::Strategy(g) => g
                .kairos_plugin_strategy_api()
                .call_on_trade(st, trade, account),
            _ => unreachable_guest(),
        })
    }

    /// strategy `take-intent`: the next intent made ready by the last
    /// `on-book` / `on-trade`.
    #[inline]
    pub fn take_intent(&mut self) -> Result<Option<types::Intent>, FaultKind> {
        if !matches!(self.guest, Guest::Strategy(_)) {
            return self.wrong_slot("take-intent");
        }
        self.run("take-intent", |g, st| match g {
            Guest::Strategy(g) => g.kairos_plugin_strategy_api().call_take_intent(st),
            _ => unreachable_guest(),
        })
    }

    /// strategy `on-fill`.
    #[inline]
    pub fn on_fill(&mut self, fill: types::Fill, account: types::Account) -> Result<(), FaultKind> {
        if !matches!(self.guest, Guest::Strategy(_)) {
            return self.wrong_slot("on-fill");
        }
        self.run("on-fill", |g, st| match g {
            Guest::Strategy(g) => g
                .kairos_plugin_strategy_api()
                .call_on_fill(st, fill, account),
            _ => unreachable_guest(),
        })
    }
}

/// The guest kind was checked just before: this arm is never taken. It
/// returns an error rather than panicking all the same.
#[cold]
fn unreachable_guest<R>() -> wasmtime::Result<R> {
    Err(wasmtime::Error::msg("plugin kind mismatch"))
}
