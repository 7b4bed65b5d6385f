//! The engine's cost per depth event, for `valgrind --tool=callgrind`
//! (deterministic instruction counts; wall-clock timings on a shared machine
//! are too noisy to decide small changes).
//!
//! Replays both shared BTCUSDT 2024-08-08/09 captures through one engine
//! (decode → book → oracle → no-op decision); every depth frame goes through
//! [`depth_event`], which is never inlined, so
//!
//! ```sh
//! valgrind --tool=callgrind --toggle-collect='*depth_event*' \
//!     target/release/examples/depth_cost
//! ```
//!
//! counts the instructions of the depth events alone. The example prints the
//! number of depth frames and of their levels, to divide by.

use kairos_benches::{hftbacktest_messages, BTCUSDT_CAPTURE};
use kairos_core::binance::fast::{decode_hot, DepthBuf, Symbol};
use kairos_core::book::BookConfig;
use kairos_core::engine::{Actions, Engine, Event, Input, NoProbe, NoopDecide};
use std::hint::black_box;

#[inline(never)]
fn depth_event(e: &mut Engine<NoopDecide>, actions: &mut Actions, bytes: &[u8]) {
    let input = Input {
        now_ns: 0,
        event: Event::MarketFrame { conn: 0, bytes },
    };
    e.on_input(&input, actions, &mut NoProbe);
}

#[inline(never)]
fn other_event(e: &mut Engine<NoopDecide>, actions: &mut Actions, event: Event<'_>) {
    e.on_input(&Input { now_ns: 0, event }, actions, &mut NoProbe);
}

fn main() {
    let mut all = Vec::new();
    for f in [
        BTCUSDT_CAPTURE,
        "hftbacktest_binance_spot_BTCUSDT_ws_raw_20240809T0000_20240809T0005.jsonl.gz",
    ] {
        match hftbacktest_messages(f) {
            Some(m) => all.extend(m),
            None => return,
        }
    }
    let passes: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let symbol = Symbol::new(b"BTCUSDT").expect("valid symbol");
    let needle = b"@depth@100ms\"";
    let is_depth: Vec<bool> = all
        .iter()
        .map(|m| m.windows(needle.len()).any(|w| w == needle))
        .collect();
    let n_levels: Vec<u64> = all
        .iter()
        .map(|m| m.windows(2).filter(|w| w == b"[\"").count() as u64)
        .collect();
    // Per depth event, the fastest of the passes (wall clock, ns).
    let mut best: Vec<u64> = vec![u64::MAX; all.len()];
    // The same for the decoder alone (into a buffer of its own).
    let mut best_decode: Vec<u64> = vec![u64::MAX; all.len()];
    let mut buf = DepthBuf::new();
    let mut cfg = BookConfig::default();
    if let Some(w) = std::env::var("DEPTH_COST_WINDOW_TICKS")
        .ok()
        .and_then(|w| w.parse().ok())
    {
        cfg.window_ticks = w;
    }
    for _ in 0..passes {
        let mut e = Engine::new(NoopDecide, cfg);
        e.add_symbol(symbol);
        let mut actions = Actions::new();
        for (i, m) in all.iter().enumerate() {
            if is_depth[i] {
                if std::env::var_os("DEPTH_COST_WARM").is_some() {
                    black_box(decode_hot(black_box(m), &mut buf)).ok();
                }
                let t = std::time::Instant::now();
                black_box(decode_hot(black_box(m), &mut buf)).ok();
                best_decode[i] = best_decode[i].min(t.elapsed().as_nanos() as u64);
                let t = std::time::Instant::now();
                depth_event(&mut e, &mut actions, m);
                best[i] = best[i].min(t.elapsed().as_nanos() as u64);
            } else if m.starts_with(b"{\"lastUpdateId\"") {
                other_event(
                    &mut e,
                    &mut actions,
                    Event::DepthSnapshot { symbol, bytes: m },
                );
            } else {
                other_event(
                    &mut e,
                    &mut actions,
                    Event::MarketFrame { conn: 0, bytes: m },
                );
            }
            actions.clear();
        }
        black_box(e.stats().decisions);
    }
    let (mut frames, mut levels, mut ns, mut ns_decode) = (0u64, 0u64, 0u64, 0u64);
    let mut per_event: Vec<(u64, u64)> = Vec::new();
    for i in 0..all.len() {
        if is_depth[i] {
            frames += 1;
            levels += n_levels[i];
            ns += best[i];
            ns_decode += best_decode[i];
            per_event.push((best[i], n_levels[i]));
        }
    }
    println!("depth frames {frames}, levels {levels}");
    if passes > 1 {
        let (mut b60, mut n60) = (0u64, 0u64);
        for &(t, n) in &per_event {
            if (60..=90).contains(&n) {
                b60 += t;
                n60 += n;
            }
        }
        let mut t: Vec<u64> = per_event.iter().map(|p| p.0).collect();
        t.sort_unstable();
        let q = |f: f64| t[((t.len() - 1) as f64 * f) as usize];
        println!(
            "fastest of {passes} passes: {:.1} ns/level overall (decoder alone {:.1}), {:.1} ns/level in 60..=90-level events; event p50 {} p85 {} p99 {} ns",
            ns as f64 / levels as f64,
            ns_decode as f64 / levels as f64,
            b60 as f64 / n60.max(1) as f64,
            q(0.5),
            q(0.85),
            q(0.99)
        );
    }
}
