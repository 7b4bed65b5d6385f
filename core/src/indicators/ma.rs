//! Moving averages of the close: [`Sma`] (exact rolling sum) and [`Ema`]
//! (seeded with the SMA of its first `n` closes, as TA-Lib does).

use super::candle::{Candle, Run};
use super::fxmath::{PeriodDiv, ShlDiv};
use super::ring::Ring;
use super::{fx_price, Fx};
use crate::num::SCALE;

/// Longest window any indicator accepts (a named limit, and the bound under
/// which the Bollinger fixed-point rescaling cannot overflow).
pub const MAX_WINDOW: usize = 1024;

/// Simple moving average of the last `N` closes. The window sum is an exact
/// `i128` of 10^-8 units, so it never drifts.
#[derive(Debug, Clone)]
pub struct Sma<const N: usize> {
    run: Run,
    window: Ring<i64, N>,
    sum: i128,
}

impl<const N: usize> Default for Sma<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Sma<N> {
    /// Division of the window sum by `N·10^8` (a precomputed reciprocal).
    const MEAN: ShlDiv = ShlDiv::new(N as u64 * SCALE as u64);

    /// A new, empty SMA(N).
    pub fn new() -> Self {
        assert!(N > 0 && N <= MAX_WINDOW, "SMA window out of range");
        Sma {
            run: Run::new(),
            window: Ring::new(),
            sum: 0,
        }
    }

    /// Feeds one closed candle; the SMA once `N` contiguous candles are in.
    #[inline]
    pub fn update(&mut self, c: &Candle) -> Option<Fx> {
        if !self.run.continues(c) {
            self.reset_values();
        }
        let x = c.close.units();
        self.sum += i128::from(x);
        if let Some(old) = self.window.push(x) {
            self.sum -= i128::from(old);
        }
        self.value()
    }

    /// The current value, `None` while warming up.
    pub fn value(&self) -> Option<Fx> {
        self.is_ready().then(|| Self::MEAN.ratio(self.sum))
    }

    /// Whether `N` contiguous candles are in.
    pub fn is_ready(&self) -> bool {
        self.window.is_full()
    }

    fn reset_values(&mut self) {
        self.window.clear();
        self.sum = 0;
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        self.reset_values();
        self.run = Run::new();
    }
}

/// An EMA over a stream of [`Fx`] values with smoothing `2 / (n + 1)`,
/// seeded with the mean of the first `n` values (the core of [`Ema`] and
/// of the MACD signal line).
#[derive(Debug, Clone, Copy)]
pub(crate) struct EmaCore {
    period: u32,
    count: u32,
    value: Fx,
    /// Division by `period` (the seed mean).
    by_period: PeriodDiv,
    /// Division by `period + 1` (the smoothing).
    by_period_1: PeriodDiv,
}

impl EmaCore {
    pub(crate) fn new(period: u32) -> EmaCore {
        assert!(
            period > 0 && period as usize <= MAX_WINDOW,
            "EMA period out of range"
        );
        EmaCore {
            period,
            count: 0,
            value: Fx::ZERO,
            by_period: PeriodDiv::new(period as u64),
            by_period_1: PeriodDiv::new(period as u64 + 1),
        }
    }

    /// Seeds the EMA directly (MACD starts both of its EMAs at once).
    pub(crate) fn seed(&mut self, mean: Fx) {
        self.count = self.period;
        self.value = mean;
    }

    #[inline]
    pub(crate) fn push(&mut self, x: Fx) -> Option<Fx> {
        if self.count < self.period {
            // Warm-up: `value` holds the running sum.
            self.count += 1;
            self.value += x;
            if self.count < self.period {
                return None;
            }
            self.value = self.by_period.div(self.value);
        } else {
            // value += (x − value) · 2 / (n + 1): one exact multiply, one
            // truncating division.
            self.value += self.by_period_1.div((x - self.value) * 2);
        }
        Some(self.value)
    }

    pub(crate) fn value(&self) -> Option<Fx> {
        self.is_ready().then_some(self.value)
    }

    pub(crate) fn is_ready(&self) -> bool {
        self.count >= self.period
    }

    pub(crate) fn reset(&mut self) {
        self.count = 0;
        self.value = Fx::ZERO;
    }
}

/// Exponential moving average of the close, `EMA(n)`: smoothing
/// `2 / (n + 1)`, first value the SMA of the first `n` closes (TA-Lib's
/// convention).
#[derive(Debug, Clone)]
pub struct Ema {
    run: Run,
    core: EmaCore,
}

impl Ema {
    /// A new EMA(`period`); panics unless `1 ≤ period ≤` [`MAX_WINDOW`].
    pub fn new(period: u32) -> Ema {
        Ema {
            run: Run::new(),
            core: EmaCore::new(period),
        }
    }

    /// Feeds one closed candle; the EMA once `period` contiguous candles are in.
    #[inline]
    pub fn update(&mut self, c: &Candle) -> Option<Fx> {
        if !self.run.continues(c) {
            self.core.reset();
        }
        self.core.push(fx_price(c.close))
    }

    /// The current value, `None` while warming up.
    pub fn value(&self) -> Option<Fx> {
        self.core.value()
    }

    /// Whether it has warmed up.
    pub fn is_ready(&self) -> bool {
        self.core.is_ready()
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        self.core.reset();
        self.run = Run::new();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::indicators::candle::Timeframe;
    use crate::num::{Price, Wide};

    /// A 1 m candle number `i` with the given close (open = low = high = close).
    pub(crate) fn flat(i: i64, close: &str) -> Candle {
        let p = Price::parse(close).unwrap();
        Candle::new(i * 60_000, Timeframe::M1, p, p, p, p, Wide::ONE).unwrap()
    }

    pub(crate) fn fx(s: &str) -> Fx {
        s.parse::<Fx>().unwrap()
    }

    #[test]
    fn sma_by_hand() {
        let mut s: Sma<3> = Sma::new();
        assert_eq!(s.update(&flat(0, "1")), None);
        assert_eq!(s.update(&flat(1, "2")), None);
        assert_eq!(s.update(&flat(2, "3")), Some(fx("2")));
        assert_eq!(s.update(&flat(3, "10")), Some(fx("5")));
        assert!(s.is_ready());
    }

    #[test]
    fn ema_by_hand() {
        // EMA(3): seed = (1 + 2 + 3) / 3 = 2, then α = 1/2: 2 + (6 − 2)/2 = 4.
        let mut e = Ema::new(3);
        assert_eq!(e.update(&flat(0, "1")), None);
        assert_eq!(e.update(&flat(1, "2")), None);
        assert_eq!(e.update(&flat(2, "3")), Some(fx("2")));
        assert_eq!(e.update(&flat(3, "6")), Some(fx("4")));
        assert_eq!(e.update(&flat(4, "4")), Some(fx("4")));
    }

    #[test]
    fn a_gap_resets_and_rewarms() {
        let mut s: Sma<2> = Sma::new();
        let mut e = Ema::new(2);
        for i in 0..5 {
            s.update(&flat(i, "1"));
            e.update(&flat(i, "1"));
        }
        assert!(s.is_ready() && e.is_ready());
        // Candle 6 after candle 4: one minute missing.
        assert_eq!(s.update(&flat(6, "5")), None);
        assert_eq!(e.update(&flat(6, "5")), None);
        assert_eq!(s.update(&flat(7, "7")), Some(fx("6")));
        assert_eq!(e.update(&flat(7, "7")), Some(fx("6")));
        // A repeat of the same minute is not a continuation either.
        assert_eq!(s.update(&flat(7, "7")), None);
    }
}
