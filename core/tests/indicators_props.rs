//! Property tests of the indicators on arbitrary candle sequences.

use kairos_core::indicators::{
    Adx, Aggregator, Bollinger, Candle, Fx, IndicatorSet, Rsi, Timeframe, VolumeRatio,
};
use kairos_core::num::{Price, Wide};
use proptest::prelude::*;

/// Longest generated sequence.
const MAX_CANDLES: usize = 300;

/// (minutes skipped before this candle, open, high-extra, low-below, close-frac, volume) →
/// valid 1 m candles, mostly contiguous, sometimes with gaps.
fn candles() -> impl Strategy<Value = Vec<Candle>> {
    prop::collection::vec(
        (
            prop_oneof![9 => Just(0i64), 1 => 1i64..200],
            1i64..10_000_000_000_000,
            0i64..100_000_000_000,
            0i64..100_000_000_000,
            0u32..=1000,
            0i128..1_000_000_000_000,
        ),
        1..MAX_CANDLES,
    )
    .prop_map(|rows| {
        let mut t = 1_722_003_300_000i64;
        rows.into_iter()
            .map(|(skip, open, up, down, frac, vol)| {
                t += (skip + 1) * 60_000;
                let high = open + up;
                let low = (open - down).max(1);
                let close = low + (high - low) * i64::from(frac) / 1000;
                let p = |u: i64| Price::from_units(u).unwrap();
                Candle::new(
                    t,
                    Timeframe::M1,
                    p(open),
                    p(high),
                    p(low),
                    p(close),
                    Wide::from_units(vol).unwrap(),
                )
                .unwrap()
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn scores_stay_in_their_ranges(cs in candles()) {
        let mut rsi = Rsi::new(14);
        let mut adx = Adx::new(14);
        let mut bb: Bollinger<20> = Bollinger::new(Fx::from_num(2));
        let mut vr: VolumeRatio<20> = VolumeRatio::new();
        let hundred = Fx::from_num(100);
        for c in &cs {
            if let Some(r) = rsi.update(c) {
                prop_assert!(r >= Fx::ZERO && r <= hundred, "RSI {r}");
            }
            if let Some(a) = adx.update(c) {
                for v in [a.adx, a.plus_di, a.minus_di] {
                    prop_assert!(v >= Fx::ZERO && v <= hundred, "ADX/DI {v}");
                }
            }
            if let Some(b) = bb.update(c) {
                prop_assert!(b.width >= Fx::ZERO, "BBW {}", b.width);
                prop_assert!(b.lower <= b.middle && b.middle <= b.upper);
            }
            if let Some(v) = vr.update(c) {
                prop_assert!(v >= Fx::ZERO && v <= Fx::from_num(20), "volume ratio {v}");
            }
        }
    }

    /// Same inputs, same outputs, bit for bit; and state after a gap equals a
    /// fresh start from the candle after the gap (nothing is carried over).
    #[test]
    fn deterministic_and_gaps_restart_from_scratch(cs in candles()) {
        let mut a = IndicatorSet::new(Timeframe::M1);
        let mut b = IndicatorSet::new(Timeframe::M1);
        let mut fresh: Option<IndicatorSet> = None;
        let mut prev: Option<i64> = None;
        for c in &cs {
            let va = a.update(c);
            prop_assert_eq!(va, b.update(c));
            if prev.is_some_and(|p| p + 60_000 != c.open_time_ms) {
                fresh = Some(IndicatorSet::new(Timeframe::M1));
            }
            if let Some(f) = fresh.as_mut() {
                let vf = f.update(c);
                prop_assert_eq!((va.ready, va.values, va.run_len), (vf.ready, vf.values, vf.run_len));
            }
            prev = Some(c.open_time_ms);
        }
    }

    /// 1 m → 15 m directly equals 1 m → 5 m → 15 m, gaps included.
    #[test]
    fn aggregation_composes(cs in candles()) {
        let mut direct = Aggregator::new(Timeframe::M1, Timeframe::M15).unwrap();
        let mut to5 = Aggregator::new(Timeframe::M1, Timeframe::M5).unwrap();
        let mut to15 = Aggregator::new(Timeframe::M5, Timeframe::M15).unwrap();
        let mut x = Vec::new();
        let mut y = Vec::new();
        for c in &cs {
            x.extend(direct.update(c).iter().map(|k| k.candle));
            for k in to5.update(c).iter() {
                y.extend(to15.update(&k.candle).iter().map(|k| k.candle));
            }
        }
        // Flush what is still open at the end.
        let end = cs.last().unwrap().next_open_ms() + Timeframe::H1.ms();
        x.extend(direct.close_due(end).map(|k| k.candle));
        if let Some(k) = to5.close_due(end) {
            y.extend(to15.update(&k.candle).iter().map(|k| k.candle));
        }
        y.extend(to15.close_due(end).map(|k| k.candle));
        prop_assert_eq!(x, y);
    }
}
