//! The plugin host's cost per call, for `valgrind --tool=callgrind`
//! (deterministic instruction counts; wall-clock timings on a shared machine
//! are too noisy to decide small changes).
//!
//! Loads the built components (`tools/build-plugins.sh` first) and makes
//! [`CALLS`] calls of each kind, each through a function that is never
//! inlined, so
//!
//! ```sh
//! valgrind --tool=callgrind --toggle-collect='*call_cost::on_book*' \
//!     target/release/examples/call_cost
//! ```
//!
//! counts the instructions of strategy `on-book` calls alone (likewise
//! `*call_cost::on_candle*` for the strategy's `on-candle` with the context
//! block, `*call_cost::classify*` for the regime plugin, `*call_cost::chain*`
//! for one whole candle through the four-slot chain). Divide by [`CALLS`].
//! It also prints the mean fuel per call of each kind (the guest's own work,
//! about one unit per wasm instruction), so the host's share is the rest.

use kairos_core::binance::fast::Symbol;
use kairos_core::engine::{Actions, CandleView, Decide};
use kairos_core::plugins::bindings::types;
use kairos_core::plugins::chain::{PluginChain, Recorded};
use kairos_core::plugins::host::{Plugin, PluginHost};
use kairos_core::plugins::swap::sample_records;
use kairos_core::plugins::{plugins_dir, Budgets, SafeMode, Slot};
use std::hint::black_box;
use std::process::ExitCode;

/// Calls of each kind.
const CALLS: usize = 20_000;

fn load(host: &PluginHost, name: &str, slot: Slot) -> Result<Plugin, String> {
    let path = plugins_dir().join(format!("{name}.wasm"));
    if !path.is_file() {
        return Err(format!(
            "{} is missing: run tools/build-plugins.sh first",
            path.display()
        ));
    }
    host.load(&path, slot, &[]).map_err(|e| e.to_string())
}

#[inline(never)]
fn on_book(p: &mut Plugin, book: types::TopOfBook, account: types::Account) -> bool {
    matches!(p.on_book(book, account), Ok(n) if n > 0)
}

#[inline(never)]
fn on_candle(p: &mut Plugin, r: &Recorded) -> usize {
    p.on_candle(&r.ctx).map_or(0, |v| v.len())
}

#[inline(never)]
fn classify(p: &mut Plugin, r: &Recorded) -> u32 {
    p.classify(&r.ctx).map_or(0, |x| x.run)
}

#[inline(never)]
fn chain(c: &mut PluginChain, v: &CandleView, out: &mut Actions) {
    c.on_candle(v, out);
    out.clear();
}

fn fuel_per_call(p: &Plugin) -> f64 {
    let s = &p.stats;
    s.total_fuel as f64 / s.calls.max(1) as f64
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("call_cost: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let host = PluginHost::new(Budgets::default()).map_err(|e| e.to_string())?;
    let recs = sample_records(300);
    let account = kairos_core::plugins::convert::account(&Default::default());

    let mut strat = load(&host, "faulty", Slot::Strategy)?;
    let mut intents = 0usize;
    for k in 0..CALLS {
        let book = types::TopOfBook {
            time_ns: k as u64,
            bid_price: 6_000_000_000_000 + (k % 2) as i64,
            bid_qty: 100_000_000,
            ask_price: 6_000_100_000_000,
            ask_qty: 100_000_000,
        };
        intents += usize::from(on_book(&mut strat, black_box(book), account));
    }
    println!(
        "on_book   (faulty, answers none): {CALLS} calls, {intents} intents, {:.0} fuel per call",
        fuel_per_call(&strat)
    );

    let mut strat = load(&host, "faulty", Slot::Strategy)?;
    let mut listed = 0usize;
    for k in 0..CALLS {
        listed += on_candle(&mut strat, black_box(&recs[k % recs.len()]));
    }
    println!(
        "on_candle (faulty, one intent):   {CALLS} calls, {listed} intents, {:.0} fuel per call",
        fuel_per_call(&strat)
    );

    let mut regime = load(&host, "regime", Slot::Regime)?;
    let mut runs = 0u64;
    for k in 0..CALLS {
        runs += u64::from(classify(&mut regime, black_box(&recs[k % recs.len()])));
    }
    println!(
        "classify  (regime):               {CALLS} calls, {:.0} fuel per call (runs {runs})",
        fuel_per_call(&regime)
    );

    // The whole chain on the engine's candle views of the same series.
    let sym = Symbol::new(b"BTCUSDT").ok_or("symbol")?;
    let mut c = PluginChain::new(Some(sym), SafeMode::NoNewOrders);
    for (name, slot) in [
        ("regime", Slot::Regime),
        ("confidence", Slot::Confidence),
        ("risk", Slot::Risk),
        ("strategy-adaptive", Slot::Strategy),
    ] {
        c.set(load(&host, name, slot)?);
    }
    let views = kairos_benches::candle_views(sym, 300);
    let mut out = Actions::new();
    for k in 0..CALLS {
        chain(&mut c, black_box(&views[k % views.len()]), &mut out);
    }
    let mut fuel = 0.0;
    for slot in Slot::ALL {
        let t = c.timing(slot);
        fuel += t.total_fuel as f64 / t.calls.max(1) as f64;
    }
    println!(
        "chain     (four reference plugins): {CALLS} candles, {:.0} fuel per candle, faults {}",
        fuel,
        c.stats().faults
    );
    Ok(())
}
