//! Every indicator of one timeframe in one fixed-size record: what the
//! plugin host and the GRU read on each closed candle.

use super::bands::Bollinger;
use super::candle::{Candle, GapDetector, Step, Timeframe};
use super::fxmath::fx_div;
use super::levels::SupportResistance;
use super::ma::{Ema, Sma};
use super::macd::Macd;
use super::volume::VolumeRatio;
use super::wilder::{Adx, Atr, Rsi};
use super::{fx_price, Fx};
use crate::num::Price;

/// ATR / ADX / RSI period.
pub const WILDER_PERIOD: u32 = 14;
/// Bollinger window.
pub const BB_WINDOW: usize = 20;
/// Bollinger band multiplier k.
pub const BB_K: i32 = 2;
/// MACD fast EMA period.
pub const MACD_FAST: u32 = 12;
/// MACD slow EMA period.
pub const MACD_SLOW: u32 = 26;
/// MACD signal EMA period.
pub const MACD_SIGNAL: u32 = 9;
/// Window of the volume ratio's mean.
pub const VOLUME_WINDOW: usize = 20;
/// SMA window (the Bollinger middle band).
pub const SMA_WINDOW: usize = 20;
/// Fast EMA period (trend alignment).
pub const EMA_FAST: u32 = 20;
/// Slow EMA period (trend alignment).
pub const EMA_SLOW: u32 = 50;

/// One feature of a [`FeatureVector`]; its index in [`FeatureVector::values`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Feature {
    /// ATR(14), quote units.
    Atr,
    /// ATR(14) / close, a fraction (the seed's ATR% / 100).
    AtrPct,
    /// ADX(14), 0–100.
    Adx,
    /// +DI(14), 0–100.
    PlusDi,
    /// −DI(14), 0–100.
    MinusDi,
    /// Bollinger width (20, 2), a fraction of the middle band.
    BbWidth,
    /// RSI(14), 0–100.
    Rsi,
    /// MACD(12, 26, 9) line, quote units.
    Macd,
    /// MACD signal line.
    MacdSignal,
    /// MACD histogram.
    MacdHist,
    /// SMA(20) of the close.
    Sma,
    /// EMA(20) of the close.
    EmaFast,
    /// EMA(50) of the close.
    EmaSlow,
    /// Volume / mean volume of the last 20 candles.
    VolumeRatio,
    /// (close − nearest support) / close.
    SupportDistance,
    /// (nearest resistance − close) / close.
    ResistanceDistance,
}

impl Feature {
    /// Number of features.
    pub const COUNT: usize = 16;
    /// Every feature, in index order.
    pub const ALL: [Feature; Feature::COUNT] = [
        Feature::Atr,
        Feature::AtrPct,
        Feature::Adx,
        Feature::PlusDi,
        Feature::MinusDi,
        Feature::BbWidth,
        Feature::Rsi,
        Feature::Macd,
        Feature::MacdSignal,
        Feature::MacdHist,
        Feature::Sma,
        Feature::EmaFast,
        Feature::EmaSlow,
        Feature::VolumeRatio,
        Feature::SupportDistance,
        Feature::ResistanceDistance,
    ];

    /// Its index in [`FeatureVector::values`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// A stable snake_case name (for reports and model inputs).
    pub const fn name(self) -> &'static str {
        match self {
            Feature::Atr => "atr",
            Feature::AtrPct => "atr_pct",
            Feature::Adx => "adx",
            Feature::PlusDi => "plus_di",
            Feature::MinusDi => "minus_di",
            Feature::BbWidth => "bb_width",
            Feature::Rsi => "rsi",
            Feature::Macd => "macd",
            Feature::MacdSignal => "macd_signal",
            Feature::MacdHist => "macd_hist",
            Feature::Sma => "sma",
            Feature::EmaFast => "ema_fast",
            Feature::EmaSlow => "ema_slow",
            Feature::VolumeRatio => "volume_ratio",
            Feature::SupportDistance => "support_distance",
            Feature::ResistanceDistance => "resistance_distance",
        }
    }
}

/// The features of one timeframe after one closed candle. Fixed size,
/// `Copy`, no heap: a value is present when its bit in `ready` is set, and
/// zero otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureVector {
    /// Open time of the candle, ms since the epoch.
    pub open_time_ms: i64,
    /// The candle's timeframe.
    pub timeframe: Timeframe,
    /// The candle's close.
    pub close: Price,
    /// Candles in the current contiguous run (1 after a gap), saturating.
    pub run_len: u32,
    /// Gaps (and repeated / earlier candles) seen so far, saturating.
    pub gaps: u32,
    /// Bit `f.index()` set when feature `f` is present.
    pub ready: u32,
    /// The values, indexed by [`Feature::index`].
    pub values: [Fx; Feature::COUNT],
}

impl FeatureVector {
    /// Feature `f`, `None` while it warms up (or when it has no value, such
    /// as a support distance with no swing low below the close).
    pub fn get(&self, f: Feature) -> Option<Fx> {
        (self.ready & (1 << f.index()) != 0).then(|| self.values[f.index()])
    }

    /// Whether every feature is present.
    pub fn all_ready(&self) -> bool {
        self.ready == (1u32 << Feature::COUNT) - 1
    }

    fn set(&mut self, f: Feature, v: Option<Fx>) {
        if let Some(v) = v {
            self.values[f.index()] = v;
            self.ready |= 1 << f.index();
        }
    }
}

/// Every indicator of one timeframe, updated together (see the gap policy in
/// [`super`]: each indicator resets at a gap; this set also counts the gaps).
#[derive(Debug, Clone)]
pub struct IndicatorSet {
    timeframe: Timeframe,
    detector: GapDetector,
    run_len: u32,
    gaps: u32,
    atr: Atr,
    adx: Adx,
    bb: Bollinger<BB_WINDOW>,
    rsi: Rsi,
    macd: Macd,
    sma: Sma<SMA_WINDOW>,
    ema_fast: Ema,
    ema_slow: Ema,
    volume: VolumeRatio<VOLUME_WINDOW>,
    levels: SupportResistance,
}

impl IndicatorSet {
    /// Indicators for candles of `timeframe` (candles of another timeframe
    /// count as a discontinuity).
    pub fn new(timeframe: Timeframe) -> IndicatorSet {
        IndicatorSet {
            timeframe,
            detector: GapDetector::new(timeframe),
            run_len: 0,
            gaps: 0,
            atr: Atr::new(WILDER_PERIOD),
            adx: Adx::new(WILDER_PERIOD),
            bb: Bollinger::new(Fx::from_num(BB_K)),
            rsi: Rsi::new(WILDER_PERIOD),
            macd: Macd::new(MACD_FAST, MACD_SLOW, MACD_SIGNAL),
            sma: Sma::new(),
            ema_fast: Ema::new(EMA_FAST),
            ema_slow: Ema::new(EMA_SLOW),
            volume: VolumeRatio::new(),
            levels: SupportResistance::new(),
        }
    }

    /// The timeframe.
    pub fn timeframe(&self) -> Timeframe {
        self.timeframe
    }

    /// Feeds one closed candle to every indicator; the features after it.
    pub fn update(&mut self, c: &Candle) -> FeatureVector {
        let continues = c.timeframe == self.timeframe
            && matches!(
                self.detector.check(c.open_time_ms),
                Step::First | Step::Next
            );
        if continues {
            self.run_len = self.run_len.saturating_add(1);
        } else {
            if self.run_len > 0 {
                self.gaps = self.gaps.saturating_add(1);
            }
            self.detector.reset();
            self.detector.check(c.open_time_ms);
            self.run_len = 1;
        }
        let mut v = FeatureVector {
            open_time_ms: c.open_time_ms,
            timeframe: c.timeframe,
            close: c.close,
            run_len: self.run_len,
            gaps: self.gaps,
            ready: 0,
            values: [Fx::ZERO; Feature::COUNT],
        };
        let atr = self.atr.update(c);
        v.set(Feature::Atr, atr);
        let close = fx_price(c.close);
        v.set(
            Feature::AtrPct,
            atr.filter(|_| close > Fx::ZERO).map(|a| fx_div(a, close)),
        );
        if let Some(a) = self.adx.update(c) {
            v.set(Feature::Adx, Some(a.adx));
        }
        if let Some((p, m)) = self.adx.di() {
            v.set(Feature::PlusDi, Some(p));
            v.set(Feature::MinusDi, Some(m));
        }
        v.set(Feature::BbWidth, self.bb.update(c).map(|b| b.width));
        v.set(Feature::Rsi, self.rsi.update(c));
        if let Some(m) = self.macd.update(c) {
            v.set(Feature::Macd, Some(m.macd));
            v.set(Feature::MacdSignal, Some(m.signal));
            v.set(Feature::MacdHist, Some(m.histogram));
        }
        v.set(Feature::Sma, self.sma.update(c));
        v.set(Feature::EmaFast, self.ema_fast.update(c));
        v.set(Feature::EmaSlow, self.ema_slow.update(c));
        v.set(Feature::VolumeRatio, self.volume.update(c));
        if let Some(l) = self.levels.update(c) {
            v.set(Feature::SupportDistance, l.support_distance);
            v.set(Feature::ResistanceDistance, l.resistance_distance);
        }
        v
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        *self = IndicatorSet::new(self.timeframe);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::ma::tests::flat;

    #[test]
    fn features_have_stable_indices() {
        for (i, f) in Feature::ALL.iter().enumerate() {
            assert_eq!(f.index(), i, "{}", f.name());
        }
    }

    #[test]
    fn every_indicator_rewarms_after_a_gap() {
        let mut set = IndicatorSet::new(Timeframe::M1);
        let price = |i: i64| format!("{}", 100 + (i * 7) % 13);
        let mut v = set.update(&flat(0, "100"));
        for i in 1..100 {
            v = set.update(&flat(i, &price(i)));
        }
        // Flat candles have no swing lows below the close: only the
        // support / resistance distances may be absent.
        assert_eq!(v.run_len, 100);
        assert!(v.get(Feature::Adx).is_some() && v.get(Feature::EmaSlow).is_some());
        // Two minutes missing: the gap is counted, every indicator restarts.
        let v = set.update(&flat(102, "100"));
        assert_eq!((v.gaps, v.run_len, v.ready), (1, 1, 0));
        // Each feature comes back after exactly its documented warm-up.
        let warmup = |f: Feature| match f {
            Feature::Atr | Feature::AtrPct | Feature::Rsi | Feature::PlusDi | Feature::MinusDi => {
                15
            }
            Feature::Adx => 28,
            Feature::BbWidth | Feature::Sma | Feature::EmaFast | Feature::VolumeRatio => 20,
            Feature::EmaSlow => 50,
            Feature::Macd | Feature::MacdSignal | Feature::MacdHist => 34,
            Feature::SupportDistance | Feature::ResistanceDistance => 60,
        };
        for k in 2..=60u32 {
            let v = set.update(&flat(101 + i64::from(k), &price(i64::from(k))));
            assert_eq!(v.run_len, k);
            for f in Feature::ALL {
                if matches!(f, Feature::SupportDistance | Feature::ResistanceDistance) {
                    continue;
                }
                assert_eq!(
                    v.get(f).is_some(),
                    k >= warmup(f),
                    "{} at candle {k}",
                    f.name()
                );
            }
        }
    }
}
