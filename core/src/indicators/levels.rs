//! Distance from the close to the nearest support and resistance.
//!
//! Definitions (run-relative candle indices, `t` the newest):
//! - a **swing high** is a candle `j` whose high is strictly above the highs
//!   of the [`SR_WING`] candles before it and at least the highs of the
//!   `SR_WING` candles after it (a flat top counts once, at its first candle);
//!   a **swing low** likewise with lows (strictly below before, at most after);
//! - it is known only once its `SR_WING` right-hand candles have closed (no
//!   look-ahead), and its wings must lie inside the run;
//! - it counts while `j` lies within the last [`SR_LOOKBACK`] candles
//!   (`t − SR_LOOKBACK < j ≤ t`);
//! - **resistance** is the lowest swing high strictly above the close,
//!   **support** the highest swing low strictly below it;
//! - the distances are fractions of the close, both positive:
//!   `(resistance − close) / close` and `(close − support) / close`;
//!   `None` when there is no such level.
//!
//! Work per candle is bounded by [`SR_MAX_PIVOTS`] (a scan of the stored
//! pivots), independent of history length.

use super::candle::{Candle, Run};
use super::fxmath::ratio_u64;
use super::ring::Ring;
use super::Fx;
use crate::num::Price;

/// Candles looked back for swing levels.
pub const SR_LOOKBACK: usize = 60;
/// Candles on each side of a swing high / low.
pub const SR_WING: usize = 2;
/// Most swing highs (or lows) that fit in the lookback: two of them are
/// always more than [`SR_WING`] candles apart.
pub const SR_MAX_PIVOTS: usize = SR_LOOKBACK / (SR_WING + 1) + 1;
/// Candles a pivot test looks at (the pivot and its two wings).
const SPAN: usize = 2 * SR_WING + 1;

/// One support/resistance reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Levels {
    /// The highest swing low below the close.
    pub support: Option<Price>,
    /// The lowest swing high above the close.
    pub resistance: Option<Price>,
    /// `(close − support) / close`.
    pub support_distance: Option<Fx>,
    /// `(resistance − close) / close`.
    pub resistance_distance: Option<Fx>,
}

/// Nearest support / resistance from swing levels (see the module docs).
#[derive(Debug, Clone)]
pub struct SupportResistance {
    run: Run,
    /// Candles in this run.
    seen: u64,
    /// The last [`SPAN`] (high, low) pairs.
    recent: Ring<(i64, i64), SPAN>,
    /// (run index, level) of the swing highs still in the lookback.
    highs: Ring<(u64, i64), SR_MAX_PIVOTS>,
    /// Same for the swing lows.
    lows: Ring<(u64, i64), SR_MAX_PIVOTS>,
    value: Option<Levels>,
}

impl Default for SupportResistance {
    fn default() -> Self {
        Self::new()
    }
}

impl SupportResistance {
    /// A new, empty tracker.
    pub fn new() -> SupportResistance {
        SupportResistance {
            run: Run::new(),
            seen: 0,
            recent: Ring::new(),
            highs: Ring::new(),
            lows: Ring::new(),
            value: None,
        }
    }

    /// Feeds one closed candle; a reading once [`SR_LOOKBACK`] contiguous
    /// candles are in.
    pub fn update(&mut self, c: &Candle) -> Option<Levels> {
        if !self.run.continues(c) {
            let run = self.run;
            *self = SupportResistance::new();
            self.run = run;
        }
        let t = self.seen;
        self.seen += 1;
        self.recent.push((c.high.units(), c.low.units()));
        if self.recent.is_full() {
            let j = t - SR_WING as u64;
            let (ph, pl) = self.recent.get(SR_WING);
            let mut is_high = true;
            let mut is_low = true;
            for i in 0..SPAN {
                if i == SR_WING {
                    continue;
                }
                let (h, l) = self.recent.get(i);
                if i < SR_WING {
                    is_high &= ph > h;
                    is_low &= pl < l;
                } else {
                    is_high &= ph >= h;
                    is_low &= pl <= l;
                }
            }
            if is_high {
                let evicted = self.highs.push((j, ph));
                debug_assert!(evicted.is_none_or(|(k, _)| k + SR_LOOKBACK as u64 <= t));
            }
            if is_low {
                let evicted = self.lows.push((j, pl));
                debug_assert!(evicted.is_none_or(|(k, _)| k + SR_LOOKBACK as u64 <= t));
            }
        }
        // Drop pivots that left the lookback: keep j > t − SR_LOOKBACK.
        for ring in [&mut self.highs, &mut self.lows] {
            while ring
                .front()
                .is_some_and(|(j, _)| j + SR_LOOKBACK as u64 <= t)
            {
                ring.pop_front();
            }
        }
        self.value = (self.seen >= SR_LOOKBACK as u64).then(|| self.levels(c.close));
        self.value
    }

    fn levels(&self, close: Price) -> Levels {
        let x = close.units();
        // Branch-free scans of the stored pivots (order does not matter for
        // a min / max). Pivot levels are candle prices, within
        // `1..=MAX_CANDLE_PRICE_UNITS`, so `i64::MAX` / `i64::MIN` are free
        // to mean "none".
        let mut resistance = i64::MAX;
        let (a, b) = self.highs.as_slices();
        for s in [a, b] {
            for &(_, l) in s {
                debug_assert!(l > i64::MIN && l < i64::MAX);
                resistance = resistance.min(if l > x { l } else { i64::MAX });
            }
        }
        let mut support = i64::MIN;
        let (a, b) = self.lows.as_slices();
        for s in [a, b] {
            for &(_, l) in s {
                support = support.max(if l < x { l } else { i64::MIN });
            }
        }
        let resistance = (resistance != i64::MAX).then_some(resistance);
        let support = (support != i64::MIN).then_some(support);
        // d > 0 and x > 0 here: `fx_ratio(d, x)` by one 64-bit division step.
        let frac = |d: i64| (x > 0).then(|| ratio_u64(d as u64, x as u64));
        Levels {
            support: support.and_then(|l| Price::from_units(l).ok()),
            resistance: resistance.and_then(|l| Price::from_units(l).ok()),
            support_distance: support.and_then(|l| frac(x - l)),
            resistance_distance: resistance.and_then(|l| frac(l - x)),
        }
    }

    /// The current reading.
    pub fn value(&self) -> Option<Levels> {
        self.value
    }

    /// Whether it has warmed up.
    pub fn is_ready(&self) -> bool {
        self.value.is_some()
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        *self = SupportResistance::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::candle::Timeframe;
    use crate::indicators::fx_ratio;
    use crate::num::Wide;

    fn hl(i: i64, h: i64, l: i64, c: i64) -> Candle {
        let p = |v: i64| Price::from_int(v).unwrap();
        Candle::new(i * 60_000, Timeframe::M1, p(c), p(h), p(l), p(c), Wide::ONE).unwrap()
    }

    #[test]
    fn nearest_levels_by_hand() {
        let mut sr = SupportResistance::new();
        // A zig-zag: highs 100 + 10·sin-like peaks; build a flat 100/90 band
        // with one peak at 120 (candle 10) and one trough at 80 (candle 20).
        let mut out = None;
        for i in 0..SR_LOOKBACK as i64 {
            let (h, l) = match i {
                10 => (120, 95),
                20 => (105, 80),
                30 => (110, 95),
                _ => (100, 90),
            };
            out = sr.update(&hl(i, h, l, 95));
        }
        let v = out.unwrap();
        // Swing highs: 120 (candle 10), 105 (candle 20), 110 (candle 30); the
        // flat 100s are not swings (not strictly above their left wing).
        assert_eq!(v.resistance, Some(Price::from_int(105).unwrap()));
        assert_eq!(v.support, Some(Price::from_int(80).unwrap()));
        assert_eq!(v.resistance_distance, Some(fx_ratio(10, 95)));
        assert_eq!(v.support_distance, Some(fx_ratio(15, 95)));
        // Thirty-one candles later the pivots at 10, 20 and 30 have left the
        // 60-candle lookback, and the flat band has no swings.
        for i in SR_LOOKBACK as i64..SR_LOOKBACK as i64 + 31 {
            out = sr.update(&hl(i, 100, 90, 95));
        }
        let v = out.unwrap();
        assert_eq!(v.resistance, None);
        assert_eq!(v.support, None);
        assert_eq!(v.support_distance, None);
        assert!(sr.is_ready());
    }
}
