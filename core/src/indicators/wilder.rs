//! Wilder's indicators: [`Atr`], [`Adx`] with +DI/−DI, and [`Rsi`].
//!
//! Conventions follow Wilder as TA-Lib implements them (verified value for
//! value against TA-Lib in `core/tests/indicators.rs`):
//! - a candle's true range, directional movement and close change need the
//!   previous candle, so the first candle of a run only provides it;
//! - ATR(n), RSI(n): the first value is the plain mean of the first `n`
//!   true ranges / gains / losses (candle n + 1 of the run), then
//!   `avg = (avg·(n−1) + x) / n`;
//! - +DI/−DI(n): Wilder sums `S = S − S/n + x`, started from the sum of the
//!   first `n − 1` values, first value at candle n + 1; `DI = 100·S_dm / S_tr`;
//! - ADX(n): the mean of the first `n` DX values (candle 2n), then Wilder's
//!   average of DX.

use super::candle::{Candle, Run};
use super::fxmath::{fx_div, PeriodDiv};
use super::ma::MAX_WINDOW;
use super::{fx_units, Fx, HUNDRED};

/// Wilder's average: the mean of the first `n` values, then
/// `avg = (avg·(n−1) + x) / n`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WilderAvg {
    period: u32,
    count: u32,
    value: Fx,
    by_period: PeriodDiv,
}

impl WilderAvg {
    pub(crate) fn new(period: u32) -> WilderAvg {
        assert!(
            period > 0 && period as usize <= MAX_WINDOW,
            "Wilder period out of range"
        );
        WilderAvg {
            period,
            count: 0,
            value: Fx::ZERO,
            by_period: PeriodDiv::new(period as u64),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, x: Fx) -> Option<Fx> {
        let n = i128::from(self.period);
        if self.count < self.period {
            self.count += 1;
            self.value += x;
            if self.count < self.period {
                return None;
            }
            self.value = self.by_period.div(self.value);
        } else {
            self.value = self.by_period.div(self.value * (n - 1) + x);
        }
        Some(self.value)
    }

    pub(crate) fn is_ready(&self) -> bool {
        self.count >= self.period
    }

    pub(crate) fn reset(&mut self) {
        self.count = 0;
        self.value = Fx::ZERO;
    }
}

/// The previous candle's high, low and close, in exact 10^-8 units.
#[derive(Debug, Clone, Copy)]
struct Prev {
    high: i64,
    low: i64,
    close: i64,
}

impl Prev {
    fn of(c: &Candle) -> Prev {
        Prev {
            high: c.high.units(),
            low: c.low.units(),
            close: c.close.units(),
        }
    }

    /// True range of `c` after this candle, exact.
    #[inline]
    fn true_range(&self, c: &Candle) -> i64 {
        let (h, l) = (c.high.units(), c.low.units());
        (h - l)
            .max((h - self.close).abs())
            .max((l - self.close).abs())
    }
}

/// Average true range, ATR(n), Wilder smoothing.
#[derive(Debug, Clone)]
pub struct Atr {
    run: Run,
    prev: Option<Prev>,
    avg: WilderAvg,
    value: Option<Fx>,
}

impl Atr {
    /// A new ATR(`period`).
    pub fn new(period: u32) -> Atr {
        Atr {
            run: Run::new(),
            prev: None,
            avg: WilderAvg::new(period),
            value: None,
        }
    }

    /// Feeds one closed candle; the ATR (in quote units) from candle n + 1 of a run.
    #[inline]
    pub fn update(&mut self, c: &Candle) -> Option<Fx> {
        if !self.run.continues(c) {
            self.prev = None;
            self.avg.reset();
            self.value = None;
        }
        if let Some(p) = self.prev {
            self.value = self.avg.push(fx_units(i128::from(p.true_range(c))));
        }
        self.prev = Some(Prev::of(c));
        self.value
    }

    /// The current value.
    pub fn value(&self) -> Option<Fx> {
        self.value
    }

    /// Whether it has warmed up.
    pub fn is_ready(&self) -> bool {
        self.avg.is_ready()
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        *self = Atr::new(self.avg.period);
    }
}

/// Relative strength index, RSI(n), Wilder smoothing, 0–100.
///
/// `RSI = 100 · avg_gain / (avg_gain + avg_loss)`; when both averages are
/// zero (a run of unchanged closes) it is 50, neutral (TA-Lib gives 0 there,
/// `ta` 100; neither happens in the reference window).
#[derive(Debug, Clone)]
pub struct Rsi {
    run: Run,
    prev_close: Option<i64>,
    gain: WilderAvg,
    loss: WilderAvg,
    value: Option<Fx>,
}

impl Rsi {
    /// A new RSI(`period`).
    pub fn new(period: u32) -> Rsi {
        Rsi {
            run: Run::new(),
            prev_close: None,
            gain: WilderAvg::new(period),
            loss: WilderAvg::new(period),
            value: None,
        }
    }

    /// Feeds one closed candle; the RSI from candle n + 1 of a run.
    #[inline]
    pub fn update(&mut self, c: &Candle) -> Option<Fx> {
        if !self.run.continues(c) {
            self.prev_close = None;
            self.gain.reset();
            self.loss.reset();
            self.value = None;
        }
        let close = c.close.units();
        if let Some(prev) = self.prev_close {
            let d = i128::from(close - prev);
            let g = self.gain.push(fx_units(d.max(0)));
            let l = self.loss.push(fx_units((-d).max(0)));
            if let (Some(g), Some(l)) = (g, l) {
                let total = g + l;
                self.value = Some(if total == Fx::ZERO {
                    HUNDRED / 2
                } else {
                    fx_div(g * HUNDRED, total)
                });
            }
        }
        self.prev_close = Some(close);
        self.value
    }

    /// The current value.
    pub fn value(&self) -> Option<Fx> {
        self.value
    }

    /// Whether it has warmed up.
    pub fn is_ready(&self) -> bool {
        self.value.is_some()
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        *self = Rsi::new(self.gain.period);
    }
}

/// One ADX reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdxValue {
    /// Average directional index, 0–100.
    pub adx: Fx,
    /// +DI, 0–100.
    pub plus_di: Fx,
    /// −DI, 0–100.
    pub minus_di: Fx,
}

/// Average directional index with +DI and −DI, ADX(n), Wilder smoothing.
///
/// `+DM = up` when `up = high − prev high` exceeds `down = prev low − low`
/// and is positive, else 0 (−DM likewise); DI = 100 · smoothed DM / smoothed
/// TR (0 when the smoothed TR is 0); `DX = 100·|+DI − −DI| / (+DI + −DI)`
/// (0 when both are 0); ADX = Wilder's average of DX.
#[derive(Debug, Clone)]
pub struct Adx {
    run: Run,
    period: u32,
    by_period: PeriodDiv,
    prev: Option<Prev>,
    /// Moves seen in this run (candles after the first).
    moves: u32,
    s_tr: Fx,
    s_plus: Fx,
    s_minus: Fx,
    di: Option<(Fx, Fx)>,
    adx: WilderAvg,
    value: Option<AdxValue>,
}

impl Adx {
    /// A new ADX(`period`).
    pub fn new(period: u32) -> Adx {
        Adx {
            run: Run::new(),
            period,
            by_period: PeriodDiv::new(u64::from(period)),
            prev: None,
            moves: 0,
            s_tr: Fx::ZERO,
            s_plus: Fx::ZERO,
            s_minus: Fx::ZERO,
            di: None,
            adx: WilderAvg::new(period),
            value: None,
        }
    }

    fn clear(&mut self) {
        let run = self.run;
        *self = Adx::new(self.period);
        self.run = run;
    }

    /// Feeds one closed candle; the reading from candle 2n of a run
    /// (+DI/−DI alone are ready from candle n + 1: [`Adx::di`]).
    #[inline]
    pub fn update(&mut self, c: &Candle) -> Option<AdxValue> {
        if !self.run.continues(c) {
            self.clear();
        }
        if let Some(p) = self.prev {
            let up = c.high.units() - p.high;
            let down = p.low - c.low.units();
            let plus = if up > down && up > 0 { up } else { 0 };
            let minus = if down > up && down > 0 { down } else { 0 };
            let tr = fx_units(i128::from(p.true_range(c)));
            let (plus, minus) = (fx_units(i128::from(plus)), fx_units(i128::from(minus)));
            self.moves += 1;
            let by_n = self.by_period;
            if self.moves < self.period {
                self.s_tr += tr;
                self.s_plus += plus;
                self.s_minus += minus;
            } else {
                self.s_tr = self.s_tr - by_n.div(self.s_tr) + tr;
                self.s_plus = self.s_plus - by_n.div(self.s_plus) + plus;
                self.s_minus = self.s_minus - by_n.div(self.s_minus) + minus;
                let di = |s: Fx| {
                    if self.s_tr == Fx::ZERO {
                        Fx::ZERO
                    } else {
                        fx_div(s * HUNDRED, self.s_tr)
                    }
                };
                let (pdi, mdi) = (di(self.s_plus), di(self.s_minus));
                self.di = Some((pdi, mdi));
                let sum = pdi + mdi;
                let dx = if sum == Fx::ZERO {
                    Fx::ZERO
                } else {
                    fx_div((pdi - mdi).abs() * HUNDRED, sum)
                };
                self.value = self.adx.push(dx).map(|adx| AdxValue {
                    adx,
                    plus_di: pdi,
                    minus_di: mdi,
                });
            }
        }
        self.prev = Some(Prev::of(c));
        self.value
    }

    /// The latest (+DI, −DI), available from candle n + 1 of a run.
    pub fn di(&self) -> Option<(Fx, Fx)> {
        self.di
    }

    /// The current reading.
    pub fn value(&self) -> Option<AdxValue> {
        self.value
    }

    /// Whether the ADX has warmed up.
    pub fn is_ready(&self) -> bool {
        self.value.is_some()
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        *self = Adx::new(self.period);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::candle::Timeframe;
    use crate::indicators::ma::tests::{flat, fx};
    use crate::num::{Price, Wide};

    fn hlc(i: i64, h: &str, l: &str, c: &str) -> Candle {
        let (h, l, c) = (
            Price::parse(h).unwrap(),
            Price::parse(l).unwrap(),
            Price::parse(c).unwrap(),
        );
        Candle::new(i * 60_000, Timeframe::M1, c, h, l, c, Wide::ONE).unwrap()
    }

    #[test]
    fn atr_by_hand() {
        // ATR(2). TRs: c1 = max(12−9, |12−10|, |9−10|) = 3; c2 = max(1, |15−11|, |14−11|) = 4
        // → first ATR (3 + 4)/2 = 3.5; c3: TR = max(2, |13−15|, |11−15|) = 4 → (3.5 + 4)/2 = 3.75.
        let mut a = Atr::new(2);
        assert_eq!(a.update(&hlc(0, "11", "9", "10")), None);
        assert_eq!(a.update(&hlc(1, "12", "9", "11")), None);
        assert_eq!(a.update(&hlc(2, "15", "14", "15")), Some(fx("3.5")));
        assert_eq!(a.update(&hlc(3, "13", "11", "12")), Some(fx("3.75")));
        assert!(a.is_ready());
    }

    #[test]
    fn rsi_by_hand() {
        // RSI(2): changes +2, −1 → gain 1, loss 0.5 → 100·1/1.5 = 66.67;
        // then +3: gain (1 + 3)/2 = 2, loss 0.25 → 100·2/2.25 = 88.89.
        let mut r = Rsi::new(2);
        assert_eq!(r.update(&flat(0, "10")), None);
        assert_eq!(r.update(&flat(1, "12")), None);
        let v = r.update(&flat(2, "11")).unwrap();
        assert!(
            (v - fx("66.666666666666666666")).abs() < fx("0.000000000001"),
            "{v}"
        );
        let v = r.update(&flat(3, "14")).unwrap();
        assert!(
            (v - fx("88.888888888888888888")).abs() < fx("0.000000000001"),
            "{v}"
        );
        // Unchanged closes: neutral.
        let mut r = Rsi::new(2);
        for i in 0..3 {
            r.update(&flat(i, "5"));
        }
        assert_eq!(r.value(), Some(fx("50")));
    }

    #[test]
    fn adx_of_a_steady_climb_is_100() {
        // Every candle higher than the last: +DM only → +DI 100·(1/1)… DX 100 → ADX 100.
        let mut a = Adx::new(3);
        let mut out = None;
        for i in 0..6 {
            let base = 10 + i;
            out = a.update(&hlc(
                i,
                &(base + 1).to_string(),
                &base.to_string(),
                &(base + 1).to_string(),
            ));
            assert_eq!(out.is_some(), i >= 5, "ready at candle 2n = 6 (i = 5)");
            assert_eq!(a.di().is_some(), i >= 3, "DI ready at candle n + 1 = 4");
        }
        let v = out.unwrap();
        assert_eq!(v.minus_di, Fx::ZERO);
        assert_eq!(v.adx, fx("100"));
        assert!(
            v.plus_di > fx("49") && v.plus_di <= fx("100"),
            "{}",
            v.plus_di
        );
    }
}
