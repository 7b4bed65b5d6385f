//! The backtest's candle loop allocates nothing per candle: a counting
//! global allocator sees the same number of allocations for a run of 600
//! candles and for a run of 6,000 (everything a run allocates is set up
//! before its first candle, whatever its length), with a no-op stage and
//! with the built-in test strategy, which trades.

use kairos_core::drive::backtest::test_strategy::SmaCrossTest;
use kairos_core::drive::backtest::{run, BacktestConfig, Series};
use kairos_core::engine::{Decide, NoopDecide};
use kairos_core::indicators::candle::{Candle, Timeframe};
use kairos_core::num::{Price, Wide};

#[global_allocator]
static GLOBAL: kairos_core::alloc_count::CountingAlloc = kairos_core::alloc_count::CountingAlloc;

/// `n` minutes of a price swinging between about 90 and 110 (a triangle
/// wave with noise-free wicks), so that SMA crosses happen and trades fill.
fn series(n: i64) -> Vec<Series> {
    let candles = (0..n)
        .map(|i| {
            let phase = i % 400;
            let mid = 9_000
                + if phase < 200 {
                    phase * 10
                } else {
                    (400 - phase) * 10
                };
            let p = |x: i64| Price::from_units(x * 1_000_000).unwrap();
            Candle::new(
                1_704_067_200_000 + i * 60_000,
                Timeframe::M1,
                p(mid),
                p(mid + 15),
                p(mid - 15),
                p(mid + 5),
                Wide::from_int(1).unwrap(),
            )
            .unwrap()
        })
        .collect();
    vec![Series::new("BTCUSDT", Timeframe::M1, candles, "synthetic").unwrap()]
}

fn allocations_of<D: Decide>(s: &[Series], stage: D) -> (u64, usize) {
    let cfg = BacktestConfig::default();
    let before = kairos_core::alloc_count::thread_allocations();
    let out = run(s, &cfg, stage, &mut |_| {}).unwrap();
    let n = kairos_core::alloc_count::thread_allocations() - before;
    (n, out.result.trades.len())
}

#[test]
fn backtest_allocations_do_not_grow_with_the_number_of_candles() {
    let (short, long) = (series(600), series(6_000));
    let (a, _) = allocations_of(&short, NoopDecide);
    let (b, _) = allocations_of(&long, NoopDecide);
    assert_eq!(
        a, b,
        "no-op stage: {a} allocations for 600 candles, {b} for 6000"
    );
    let (a, ta) = allocations_of(&short, SmaCrossTest::from_params(&[]));
    let (b, tb) = allocations_of(&long, SmaCrossTest::from_params(&[]));
    assert!(
        tb > ta && ta > 0,
        "the strategy must trade more on the longer run ({ta}, {tb})"
    );
    assert_eq!(
        a, b,
        "test strategy: {a} allocations for 600 candles, {b} for 6000"
    );
}
