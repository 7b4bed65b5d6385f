//! `kairos plugin check FILE.wasm [--world regime|confidence|risk|strategy]`:
//! validates a plugin offline. Loads it, checks which world it implements
//! (or the one asked for), lists the imports it declares (all of which trap
//! when called), runs `describe`, [`CHECK_CANDLES`] sample candles (and,
//! for a strategy, [`CHECK_BOOKS`] book events) within the plugin budgets,
//! and a save/load round trip into a fresh instance.

use super::chain::replay_one;
use super::convert;
use super::host::{PluginHost, PluginInfo};
use super::swap::sample_records;
use super::{Budgets, Slot};
use crate::engine::clock::TickScale;
use std::fmt::Write as _;
use std::path::Path;

/// Sample candles a check runs.
pub const CHECK_CANDLES: usize = 300;
/// Sample book events a strategy check runs.
pub const CHECK_BOOKS: usize = 100;

/// What a check found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The file.
    pub file: String,
    /// The worlds the component implements.
    pub worlds: Vec<Slot>,
    /// The world checked.
    pub slot: Slot,
    /// `describe`'s answer.
    pub info: PluginInfo,
    /// The imports it declares (all trap when called).
    pub imports: Vec<String>,
    /// Candles run.
    pub candles: usize,
    /// Intents a strategy returned over the sample.
    pub intents: usize,
    /// Calls made.
    pub calls: u64,
    /// Longest call, ns.
    pub max_call_ns: u64,
    /// Mean call, ns.
    pub mean_call_ns: u64,
    /// Most fuel one call used.
    pub max_fuel: u64,
    /// The budgets used.
    pub budgets: Budgets,
    /// Size of the saved state, bytes.
    pub state_bytes: usize,
    /// The refusal of a fresh instance to load that state, if it refused.
    pub load_state_refused: Option<String>,
}

/// Checks `path` (see the module docs). `Err` names the problem.
pub fn check(path: &Path, world: Option<Slot>, budgets: Budgets) -> Result<CheckReport, String> {
    let host = PluginHost::new(budgets).map_err(|e| e.to_string())?;
    let compiled = host.compile_file(path).map_err(|e| e.to_string())?;
    let worlds = host.worlds(&compiled);
    let slot = match world {
        Some(w) => {
            // The real reason (what is missing) comes from the world check.
            host.ready(&compiled, w).map_err(|e| {
                let has = if worlds.is_empty() {
                    "none of the four worlds".to_string()
                } else {
                    worlds
                        .iter()
                        .map(|s| s.world())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!("{e} (it implements: {has})")
            })?;
            w
        }
        None => *worlds.first().ok_or_else(|| {
            let why = host
                .ready(&compiled, Slot::Strategy)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            format!(
                "{}: implements none of the plugin worlds (regime-plugin, confidence-plugin, \
                 risk-plugin, strategy-plugin); as a strategy: {why}",
                path.display()
            )
        })?,
    };
    let ready = host.ready(&compiled, slot).map_err(|e| e.to_string())?;
    let mut p = host.instantiate(&ready, &[]).map_err(|e| e.to_string())?;
    let fault = |p: &super::host::Plugin| {
        p.fault()
            .map(|f| f.message.clone())
            .unwrap_or_else(|| "fault".into())
    };
    let inputs = sample_records(CHECK_CANDLES);
    let mut intents = 0usize;
    for r in &inputs {
        if slot == Slot::Strategy {
            let v = p.on_candle(&r.ctx).map_err(|_| fault(&p))?;
            intents += v.len();
        } else {
            replay_one(&mut p, r).map_err(|_| fault(&p))?;
        }
    }
    if slot == Slot::Strategy {
        for (k, r) in inputs.iter().take(CHECK_BOOKS).enumerate() {
            let c = convert::close_of(&r.ctx);
            let book = super::bindings::types::TopOfBook {
                time_ns: k as u64,
                bid_price: c - 1_000_000,
                bid_qty: 100_000_000,
                ask_price: c + 1_000_000,
                ask_qty: 100_000_000,
            };
            let acct = convert::account(&Default::default());
            let ready = p.on_book(book, acct).map_err(|_| fault(&p))?;
            for _ in 0..ready.min(super::chain::MAX_INTENTS_PER_EVENT) {
                match p.take_intent().map_err(|_| fault(&p))? {
                    Some(_) => intents += 1,
                    None => break,
                }
            }
        }
        let acct = convert::account(&Default::default());
        let fill = super::bindings::types::Fill {
            time_ns: 1,
            side: super::bindings::types::Side::Buy,
            price: 100 * 100_000_000,
            qty: 100_000,
            fee_quote: 10_000,
            tag: 1,
        };
        p.on_fill(fill, acct).map_err(|_| fault(&p))?;
    }
    let state = p.save_state().map_err(|_| fault(&p))?;
    let mut fresh = host.instantiate(&ready, &[]).map_err(|e| e.to_string())?;
    let load_state_refused = match fresh.load_state(&state) {
        Ok(Ok(())) => None,
        Ok(Err(msg)) => Some(msg),
        Err(_) => return Err(fault(&fresh)),
    };
    let scale = TickScale::calibrate(10);
    let st = p.stats;
    Ok(CheckReport {
        file: path.display().to_string(),
        worlds,
        slot,
        info: p.info().clone(),
        imports: compiled.imports.clone(),
        candles: inputs.len(),
        intents,
        calls: st.calls,
        max_call_ns: scale.to_ns(st.max_ticks),
        mean_call_ns: scale.to_ns(st.total_ticks / st.calls.max(1)),
        max_fuel: st.max_fuel,
        budgets,
        state_bytes: state.len(),
        load_state_refused,
    })
}

impl CheckReport {
    /// A human summary.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "ok: {} is a {} plugin", self.file, self.slot);
        let _ = writeln!(s, "  name {} version {}", self.info.name, self.info.version);
        let worlds: Vec<&str> = self.worlds.iter().map(|w| w.world()).collect();
        let _ = writeln!(s, "  worlds: {}", worlds.join(", "));
        for (name, value, description) in &self.info.params {
            let v = crate::num::Amount::from_units(*value)
                .map(|a| a.to_string())
                .unwrap_or_else(|_| value.to_string());
            let _ = writeln!(s, "  param {name} = {v}  ({description})");
        }
        if self.imports.is_empty() {
            let _ = writeln!(s, "  imports: none");
        } else {
            let _ = writeln!(
                s,
                "  imports (each traps if called; no capability is given): {}",
                self.imports.join(", ")
            );
        }
        let _ = writeln!(
            s,
            "  sample: {} candles, {} calls, {} intents; call mean {} ns, max {} ns",
            self.candles, self.calls, self.intents, self.mean_call_ns, self.max_call_ns
        );
        let _ = writeln!(
            s,
            "  budgets: fuel {} per call (max used {}), memory {} bytes",
            self.budgets.fuel_per_call, self.max_fuel, self.budgets.memory_limit_bytes
        );
        match &self.load_state_refused {
            None => {
                let _ = writeln!(
                    s,
                    "  state: {} bytes, reloads into a fresh instance",
                    self.state_bytes
                );
            }
            Some(m) => {
                let _ = writeln!(
                    s,
                    "  state: {} bytes, refused by a fresh instance ({m}): a swap will warm it up instead",
                    self.state_bytes
                );
            }
        }
        s
    }
}
