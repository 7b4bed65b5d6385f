//! Candles per second through the backtester, over the shared BTCUSDT 1 m
//! window of 2025 (`../shared/data/klines/binance_spot_BTCUSDT_1m_2025-05-20_2025-08-18.csv.gz`,
//! 130,708 candles), with the breakdown of where a candle's time goes:
//! - `decode`: parsing the CSV text (already decompressed) into candles;
//! - `engine_noop`: the engine's candle path alone (indicators, higher
//!   timeframes, a no-op decision stage), no driver;
//! - `backtest_noop`: the whole backtest driver (merge, fill matching,
//!   account view, engine, admission, equity, kill switches) with a no-op
//!   stage: minus `engine_noop`, that is the driver's and the fills' cost;
//! - `backtest_sma_cross`: the same with the temporary built-in test
//!   strategy (two SMAs, ATR stop and target; it trades), so a stage's cost
//!   shows as the difference. The plugin chain's cost is added the same way
//!   once it implements `Decide`.
//!
//! Throughput is in candles (criterion prints elements/s = candles/s).
//! When `../shared/data` is absent the bench says so and measures nothing.
//!
//! Run: `cargo bench -p kairos-benches --bench backtest`

use criterion::{BatchSize, Criterion, Throughput};
use kairos_benches::shared_data_dir;
use kairos_core::book::BookConfig;
use kairos_core::drive::backtest::test_strategy::SmaCrossTest;
use kairos_core::drive::backtest::{run, BacktestConfig, Series};
use kairos_core::engine::{Actions, Engine, Event, Input, NoProbe, NoopDecide};
use kairos_core::indicators::candle::read_klines;
use kairos_core::indicators::Timeframe;
use std::hint::black_box;
use std::io::Read;

/// The window the bench runs over.
const KLINES: &str = "binance_spot_BTCUSDT_1m_2025-05-20_2025-08-18.csv.gz";

fn load() -> Option<(Vec<u8>, Series)> {
    let path = shared_data_dir()?.join("klines").join(KLINES);
    let mut text = Vec::new();
    let read = std::fs::File::open(&path)
        .and_then(|f| flate2::read::MultiGzDecoder::new(f).read_to_end(&mut text));
    if let Err(e) = read {
        eprintln!("backtest bench: {}: {e}; nothing measured", path.display());
        return None;
    }
    match kairos_core::drive::backtest::load_series(&path, None, None) {
        Ok(s) => Some((text, s)),
        Err(e) => {
            eprintln!("backtest bench: {e}; nothing measured");
            None
        }
    }
}

fn main() {
    let Some((text, series)) = load() else { return };
    let n = series.candles.len() as u64;
    let mut c = Criterion::default().sample_size(10).configure_from_args();
    let mut g = c.benchmark_group("backtest");
    g.throughput(Throughput::Elements(n));
    g.bench_function("decode", |b| {
        b.iter(|| black_box(read_klines(&text[..], Timeframe::M1).map(|k| k.candles.len())))
    });
    g.bench_function("engine_noop", |b| {
        b.iter_batched_ref(
            || {
                (
                    Engine::new(NoopDecide, BookConfig::default()),
                    Actions::new(),
                )
            },
            |(e, out)| {
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
            },
            BatchSize::LargeInput,
        )
    });
    let one = [series.clone()];
    let cfg = BacktestConfig::default();
    g.bench_function("backtest_noop", |b| {
        b.iter(|| black_box(run(&one, &cfg, NoopDecide, &mut |_| {}).map(|o| o.result.candles)))
    });
    g.bench_function("backtest_sma_cross", |b| {
        b.iter(|| {
            black_box(
                run(&one, &cfg, SmaCrossTest::from_params(&[]), &mut |_| {})
                    .map(|o| o.result.trades.len()),
            )
        })
    });
    g.finish();
    c.final_summary();
}
