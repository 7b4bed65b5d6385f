//! Every indicator updated per candle over a real month of BTCUSDT 1 m
//! candles (`../shared/data/klines/binance_spot_BTCUSDT_1m_2024-07-26_2024-08-25.csv.gz`,
//! 43,209 candles), parsed once outside the measurement:
//! - `feature_set_1m`: one [`IndicatorSet`] (ATR, ADX/±DI, Bollinger width,
//!   RSI, MACD, SMA, two EMAs, volume ratio, support/resistance) → one
//!   [`FeatureVector`] per candle;
//! - `all_timeframes`: the same plus aggregation into 5 m / 15 m / 1 h / 4 h
//!   and an [`IndicatorSet`] per higher timeframe;
//! - one line per indicator alone.
//!
//! Throughput is in candles (criterion prints elements/s = candles/s).
//! When `../shared/data` is absent the bench says so and measures nothing.
//!
//! Run: `cargo bench -p kairos-benches --bench indicators`

use criterion::{BatchSize, Criterion, Throughput};
use kairos_benches::shared_data_dir;
use kairos_core::indicators::{
    read_klines_file, Adx, Aggregator, Atr, Bollinger, Candle, Ema, FeatureVector, Fx,
    IndicatorSet, Macd, Rsi, Sma, SupportResistance, Timeframe, VolumeRatio,
};
use std::hint::black_box;

/// The month of 1 m candles the bench runs over.
const KLINES: &str = "binance_spot_BTCUSDT_1m_2024-07-26_2024-08-25.csv.gz";

fn load() -> Option<Vec<Candle>> {
    let path = shared_data_dir()?.join("klines").join(KLINES);
    match read_klines_file(&path, Timeframe::M1) {
        Ok(k) => Some(k.candles),
        Err(e) => {
            eprintln!(
                "indicators bench: {}: {e}; nothing measured",
                path.display()
            );
            None
        }
    }
}

/// Runs `update` over every candle on a fresh state from `make`.
fn run<S, T>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    candles: &[Candle],
    make: impl Fn() -> S,
    update: impl Fn(&mut S, &Candle) -> T,
) {
    c.bench_function(name, |b| {
        b.iter_batched_ref(
            &make,
            |s| {
                for k in candles {
                    black_box(update(s, k));
                }
            },
            BatchSize::SmallInput,
        )
    });
}

fn bench(c: &mut Criterion, candles: &[Candle]) {
    let mut g = c.benchmark_group("indicators");
    g.throughput(Throughput::Elements(candles.len() as u64));
    g.sample_size(20);
    run(
        &mut g,
        "feature_set_1m",
        candles,
        || IndicatorSet::new(Timeframe::M1),
        |s, k| -> FeatureVector { s.update(k) },
    );
    let higher = [Timeframe::M5, Timeframe::M15, Timeframe::H1, Timeframe::H4];
    run(
        &mut g,
        "all_timeframes",
        candles,
        || {
            let aggs: Vec<(Aggregator, IndicatorSet)> = higher
                .iter()
                .map(|&tf| {
                    (
                        Aggregator::new(Timeframe::M1, tf).unwrap(),
                        IndicatorSet::new(tf),
                    )
                })
                .collect();
            (IndicatorSet::new(Timeframe::M1), aggs)
        },
        |(m1, aggs), k| {
            let v = m1.update(k);
            for (a, s) in aggs.iter_mut() {
                for closed in a.update(k).iter() {
                    black_box(s.update(&closed.candle));
                }
            }
            v
        },
    );
    run(
        &mut g,
        "atr14",
        candles,
        || Atr::new(14),
        |s, k| s.update(k),
    );
    run(
        &mut g,
        "adx14",
        candles,
        || Adx::new(14),
        |s, k| s.update(k),
    );
    run(
        &mut g,
        "rsi14",
        candles,
        || Rsi::new(14),
        |s, k| s.update(k),
    );
    run(
        &mut g,
        "macd_12_26_9",
        candles,
        || Macd::new(12, 26, 9),
        |s, k| s.update(k),
    );
    run(
        &mut g,
        "bollinger_20_2",
        candles,
        || Bollinger::<20>::new(Fx::from_num(2)),
        |s, k| s.update(k),
    );
    run(&mut g, "sma20", candles, Sma::<20>::new, |s, k| s.update(k));
    run(
        &mut g,
        "ema50",
        candles,
        || Ema::new(50),
        |s, k| s.update(k),
    );
    run(
        &mut g,
        "volume_ratio20",
        candles,
        VolumeRatio::<20>::new,
        |s, k| s.update(k),
    );
    run(
        &mut g,
        "support_resistance",
        candles,
        SupportResistance::new,
        |s, k| s.update(k),
    );
    run(
        &mut g,
        "aggregate_1m_to_5m",
        candles,
        || Aggregator::new(Timeframe::M1, Timeframe::M5).unwrap(),
        |s, k| s.update(k),
    );
    g.finish();
}

fn main() {
    let Some(candles) = load() else {
        eprintln!("indicators bench: ../shared/data (or its BTCUSDT 1m klines) is absent; nothing measured");
        return;
    };
    eprintln!("indicators bench: {} candles of {KLINES}", candles.len());
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &candles);
    c.final_summary();
}
