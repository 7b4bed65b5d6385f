//! Candles per second through the backtester, over the shared BTCUSDT 1 m
//! window of 2025 (`../shared/data/klines/binance_spot_BTCUSDT_1m_2025-05-20_2025-08-18.csv.gz`,
//! 130,708 candles), with the breakdown of where a candle's time goes:
//! - `decode`: parsing the CSV text (already decompressed) into candles;
//! - `engine_noop`: the engine's candle path alone (indicators, higher
//!   timeframes, a no-op decision stage), no driver;
//! - `backtest_noop`: the whole backtest driver (merge, fill matching,
//!   account view, engine, admission, equity, kill switches) with a no-op
//!   stage: minus `engine_noop`, that is the driver's and the fills' cost;
//! - `backtest_sma_cross`: the same with the native built-in test strategy
//!   (two SMAs, ATR stop and target; it trades), so a stage's cost shows as
//!   the difference;
//! - `backtest_four_plugins`: the same with `config/backtest.toml`'s plugin
//!   chain (the four reference plugins at their defaults, one fresh chain
//!   per run; the components are compiled once, before measuring). It needs
//!   the built plugins (`tools/build-plugins.sh`) and says so when they are
//!   missing. The report's "Where the time goes" splits one such run by
//!   plugin slot.
//!
//! Throughput is in candles (criterion prints elements/s = candles/s).
//! When `../shared/data` is absent the bench says so and measures nothing.
//!
//! Run: `cargo bench -p kairos-benches --bench backtest`

use criterion::{BatchSize, Criterion, Throughput};
use kairos_benches::shared_data_dir;
use kairos_core::book::BookConfig;
use kairos_core::config::KairosConfig;
use kairos_core::drive::backtest::test_strategy::SmaCrossTest;
use kairos_core::drive::backtest::{run, BacktestConfig, Series};
use kairos_core::engine::{Actions, Engine, Event, Input, NoProbe, NoopDecide};
use kairos_core::indicators::candle::read_klines;
use kairos_core::indicators::Timeframe;
use kairos_core::plugins::multi::SymbolChains;
use kairos_core::plugins::ChainFactory;
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

/// The chain factory of `config/backtest.toml` (compiles the four plugins).
fn four_plugins() -> Result<ChainFactory, String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/backtest.toml");
    let cfg = KairosConfig::load(&path).map_err(|e| e.to_string())?;
    let plugins = cfg
        .plugins
        .as_ref()
        .ok_or_else(|| format!("{}: no [plugins] section", path.display()))?;
    ChainFactory::new(plugins).map_err(|e| format!("{e} (run tools/build-plugins.sh)"))
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
    match four_plugins() {
        Ok(factory) => {
            g.bench_function("backtest_four_plugins", |b| {
                b.iter(|| {
                    let stage = SymbolChains::new(&factory, Vec::new());
                    black_box(run(&one, &cfg, stage, &mut |_| {}).map(|o| o.result.trades.len()))
                })
            });
        }
        Err(e) => eprintln!("backtest bench: backtest_four_plugins not measured: {e}"),
    }
    g.finish();
    c.final_summary();
}
