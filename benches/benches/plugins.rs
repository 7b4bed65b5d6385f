//! The plugin host's per-event cost, over real components built to
//! `<repo>/target/plugins/` by `tools/build-plugins.sh`:
//! - `host_call_on_book`: one host→guest call with a small record (strategy
//!   `on-book`: top of book + account in, the count of intents made ready
//!   out) on the `faulty` test plugin in mode 0 (it answers 0);
//! - `host_call_on_candle`: one strategy `on-candle` call (the context block
//!   in, a list of one intent out) on the same plugin;
//! - `chain_on_market`: the same through [`PluginChain::on_market`]
//!   (conversion, swap-queue check, top-change check, fault handling), the
//!   top changing on every event;
//! - `chain_on_candle`: one full [`PluginChain::on_candle`]: regime →
//!   confidence → risk → strategy. The regime / confidence / risk slots use
//!   the reference plugins `regime.wasm`, `confidence.wasm`, `risk.wasm`
//!   when they are built, and stay empty (neutral values) otherwise; the
//!   strategy slot is `faulty` in mode 0 (one buy intent per candle). The
//!   bench prints which slots were loaded.
//!
//! After criterion's figures, a tail-latency pass times
//! [`TAIL_SAMPLES`] single `on_candle` calls (TSC, calibrated) and prints
//! p50 / p99 / p99.9 / max, since criterion reports means and medians only.
//!
//! Then the hot-path pause of [`SWAPS`] swaps as the chain keeps it in its
//! stats: with state handover, with warm-up on the hot thread (replaying
//! the recorded candles), and with an instance warmed off the hot path (as
//! the compile thread prepares it).
//!
//! Run: `cargo bench -p kairos-benches --bench plugins`

use criterion::Criterion;
use kairos_core::binance::fast::{Level, Symbol};
use kairos_core::engine::clock::{ticks, TickScale};
use kairos_core::engine::{AccountView, Actions, Decide, MarketView};
use kairos_core::num::{Price, Qty};
use kairos_core::plugins::bindings::types;
use kairos_core::plugins::chain::{replay_one, PluginChain};
use kairos_core::plugins::host::{Plugin, PluginHost};
use kairos_core::plugins::swap::Warmed;
use kairos_core::plugins::{plugins_dir, Budgets, SafeMode, Slot};
use std::hint::black_box;

/// Single on_candle calls timed for the tail-latency pass.
const TAIL_SAMPLES: usize = 100_000;
/// Swaps measured per handover kind.
const SWAPS: usize = 200;
/// Sleep between two measured swaps (the compile thread polls every 5 ms).
const RETIRE_WAIT: std::time::Duration = std::time::Duration::from_millis(6);
/// Candles of the synthetic series the chain is fed (cycled).
const SERIES: usize = 2_000;

fn sym() -> Symbol {
    Symbol::new(b"BTCUSDT").expect("valid symbol")
}

fn load(host: &PluginHost, name: &str, slot: Slot, params: &[(String, i64)]) -> Option<Plugin> {
    let path = plugins_dir().join(format!("{name}.wasm"));
    if !path.exists() {
        return None;
    }
    match host.load(&path, slot, params) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("plugins bench: {e}");
            None
        }
    }
}

fn faulty(host: &PluginHost) -> Plugin {
    load(host, "faulty", Slot::Strategy, &[]).unwrap_or_else(|| {
        panic!(
            "{}/faulty.wasm is missing: run tools/build-plugins.sh",
            plugins_dir().display()
        )
    })
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let host = PluginHost::new(Budgets::default()).expect("host");

    // One host→guest call with a small record.
    let mut p = faulty(&host);
    let book = types::TopOfBook {
        time_ns: 1,
        bid_price: 6_000_000_000_000,
        bid_qty: 100_000_000,
        ask_price: 6_000_100_000_000,
        ask_qty: 100_000_000,
    };
    let acct = kairos_core::plugins::convert::account(&AccountView::default());
    c.bench_function("host_call_on_book", |b| {
        b.iter(|| black_box(p.on_book(black_box(book), acct)))
    });

    // One host→guest call with the per-candle context: strategy on-candle
    // (a `list<s64>` of every context field, copied into guest memory in
    // one piece through the guest's realloc; a list of one intent back,
    // then the guest's post-return).
    let recs = kairos_core::plugins::swap::sample_records(300);
    let mut k = 0usize;
    c.bench_function("host_call_on_candle", |b| {
        b.iter(|| {
            let r = &recs[k % recs.len()];
            k += 1;
            black_box(p.on_candle(&r.ctx))
        })
    });

    // The chain on a book event.
    let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
    chain.set(faulty(&host));
    let lvl = |x: i64| Level {
        price: Price::from_int(x).expect("fits"),
        qty: Qty::from_int(1).expect("fits"),
    };
    // Two tops alternating: every event changes the top, so every event
    // calls the guest (an unchanged top is not passed on).
    let mv = [60_000, 60_001].map(|bid| MarketView {
        symbol: sym(),
        now_ns: 1,
        best_bid: Some(lvl(bid)),
        best_ask: Some(lvl(60_002)),
    });
    let mut out = Actions::new();
    let mut k = 0usize;
    c.bench_function("chain_on_market", |b| {
        b.iter(|| {
            out.clear();
            chain.on_market(black_box(&mv[k & 1]), &mut out);
            k += 1;
        })
    });

    // The full candle chain.
    let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
    let mut loaded = Vec::new();
    for (name, slot) in [
        ("regime", Slot::Regime),
        ("confidence", Slot::Confidence),
        ("risk", Slot::Risk),
    ] {
        if let Some(p) = load(&host, name, slot, &[]) {
            chain.set(p);
            loaded.push(name);
        }
    }
    chain.set(faulty(&host));
    loaded.push("faulty (strategy, mode 0)");
    eprintln!(
        "plugins bench: chain_on_candle slots loaded: {}",
        loaded.join(", ")
    );
    let vs = kairos_benches::candle_views(sym(), SERIES);
    let mut k = 0usize;
    c.bench_function("chain_on_candle", |b| {
        b.iter(|| {
            out.clear();
            chain.on_candle(black_box(&vs[k % vs.len()]), &mut out);
            k += 1;
        })
    });

    // Tail latency of single calls.
    let scale = TickScale::calibrate(50);
    let mut samples = Vec::with_capacity(TAIL_SAMPLES);
    for i in 0..TAIL_SAMPLES {
        out.clear();
        let v = &vs[i % vs.len()];
        let t0 = ticks();
        chain.on_candle(v, &mut out);
        samples.push(ticks().wrapping_sub(t0));
    }
    samples.sort_unstable();
    let q = |f: f64| scale.to_ns(samples[((samples.len() - 1) as f64 * f) as usize]);
    eprintln!(
        "plugins bench: chain_on_candle single calls: n={} p50={} ns p99={} ns p99.9={} ns max={} ns (faults {})",
        samples.len(),
        q(0.50),
        q(0.99),
        q(0.999),
        q(1.0),
        chain.stats().faults
    );

    // Swap pauses as the chain measures and keeps them (stats), between two
    // candles: state handover (save → load), then warm-up (faulty mode 4
    // refuses the state: WARMUP_CANDLES recorded candles replayed). A swap
    // port is attached, so retired versions are handed to plugin-compile to
    // drop, as in the bot; the loop sleeps RETIRE_WAIT between swaps (not
    // measured) so that thread empties the ring as it would between swaps.
    let (port, _side) = kairos_core::plugins::swap::start(host.clone()).expect("swap thread");
    chain.attach(port);
    let compiled = host
        .compile_file(&plugins_dir().join("faulty.wasm"))
        .expect("faulty compiles");
    let ready = host
        .ready(&compiled, Slot::Strategy)
        .expect("strategy world");
    let refuse = vec![("mode".to_string(), 4 * 100_000_000)];
    for (label, params, prewarm) in [
        ("state handover", vec![], false),
        ("warm-up on the hot thread", refuse.clone(), false),
        ("warm-up off the hot path", refuse, true),
    ] {
        let mut pauses = Vec::with_capacity(SWAPS);
        for i in 0..SWAPS {
            let p = host.instantiate(&ready, &params).expect("instantiates");
            // As the compile thread does it: a second instance fed the
            // recorded candles before the swap.
            let warmed = prewarm.then(|| {
                let mut w = host.instantiate(&ready, &params).expect("instantiates");
                let mut last = 0;
                let mut n = 0;
                for r in chain.history() {
                    replay_one(&mut w, r).expect("replays");
                    last = r.open_time_ms();
                    n += 1;
                }
                Warmed {
                    plugin: w,
                    last_open_ms: last,
                    candles: n,
                }
            });
            chain.install_with(p, warmed).expect("swaps");
            pauses.push(chain.stats().slots[Slot::Strategy as usize].last_swap_pause_ns);
            out.clear();
            chain.on_candle(&vs[i % vs.len()], &mut out);
            std::thread::sleep(RETIRE_WAIT);
        }
        pauses.sort_unstable();
        eprintln!(
            "plugins bench: swap pause ({label}): n={} p50={} ns p99={} ns max={} ns",
            pauses.len(),
            pauses[pauses.len() / 2],
            pauses[(pauses.len() - 1) * 99 / 100],
            pauses[pauses.len() - 1]
        );
    }
    c.final_summary();
}
