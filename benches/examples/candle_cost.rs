//! The engine's cost per candle, for `valgrind --tool=callgrind`
//! (deterministic instruction counts; wall-clock timings on a shared machine
//! are too noisy to decide small changes).
//!
//! Feeds the shared BTCUSDT 1 m 2025 window (the `backtest` bench's input,
//! 130,708 candles) through one engine with a no-op decision stage, exactly
//! as the bench's `engine_noop` does; the loop is [`candle_loop`], never
//! inlined, so
//!
//! ```sh
//! valgrind --tool=callgrind --toggle-collect='*candle_loop*' \
//!     target/release/examples/candle_cost
//! ```
//!
//! counts the instructions of the candle path alone (indicators, the higher
//! timeframes' aggregation and indicators, the no-op stage). The example
//! prints the number of candles, to divide by.

use kairos_core::book::BookConfig;
use kairos_core::drive::backtest::{load_series, Series};
use kairos_core::engine::{Actions, Engine, Event, Input, NoProbe, NoopDecide};
use std::hint::black_box;

/// The window the example runs over (the `backtest` bench's).
const KLINES: &str = "binance_spot_BTCUSDT_1m_2025-05-20_2025-08-18.csv.gz";

#[inline(never)]
fn candle_loop(e: &mut Engine<NoopDecide>, out: &mut Actions, series: &Series) {
    for k in &series.candles {
        e.on_input(
            &Input {
                now_ns: k.next_open_ms() as u64 * 1_000_000,
                event: Event::Candle {
                    symbol: series.symbol,
                    candle: *k,
                },
            },
            out,
            &mut NoProbe,
        );
        out.clear();
    }
}

fn main() {
    let Some(dir) = kairos_benches::shared_data_dir() else {
        return;
    };
    let series = match load_series(&dir.join("klines").join(KLINES), None, None) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("candle_cost: {e}; nothing measured");
            return;
        }
    };
    let mut e = Engine::new(NoopDecide, BookConfig::default());
    let mut out = Actions::new();
    candle_loop(&mut e, &mut out, &series);
    black_box(&e);
    println!("candles: {}", series.candles.len());
}
