//! MACD line, signal line and histogram.

use super::candle::{Candle, Run};
use super::ma::{EmaCore, MAX_WINDOW};
use super::{fx_price, Fx};

/// One MACD reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacdValue {
    /// MACD line: EMA(fast) − EMA(slow), in quote units.
    pub macd: Fx,
    /// Signal line: EMA(signal) of the MACD line.
    pub signal: Fx,
    /// Histogram: MACD − signal.
    pub histogram: Fx,
}

/// MACD(fast, slow, signal), TA-Lib's convention: both EMAs start together
/// at candle `slow` of a run, each seeded with the SMA of its own last
/// `fast` / `slow` closes; the signal EMA is seeded with the mean of the
/// first `signal` MACD values, so the first reading is at candle
/// `slow + signal − 1` (34 for 12/26/9).
#[derive(Debug, Clone)]
pub struct Macd {
    run: Run,
    fast_period: u32,
    slow_period: u32,
    count: u32,
    fast_sum: Fx,
    slow_sum: Fx,
    fast: EmaCore,
    slow: EmaCore,
    signal: EmaCore,
    value: Option<MacdValue>,
}

impl Macd {
    /// A new MACD; panics unless `1 ≤ fast < slow ≤` [`MAX_WINDOW`] and
    /// `1 ≤ signal ≤` [`MAX_WINDOW`].
    pub fn new(fast: u32, slow: u32, signal: u32) -> Macd {
        assert!(
            fast >= 1 && fast < slow && slow as usize <= MAX_WINDOW,
            "MACD periods out of range"
        );
        Macd {
            run: Run::new(),
            fast_period: fast,
            slow_period: slow,
            count: 0,
            fast_sum: Fx::ZERO,
            slow_sum: Fx::ZERO,
            fast: EmaCore::new(fast),
            slow: EmaCore::new(slow),
            signal: EmaCore::new(signal),
            value: None,
        }
    }

    fn clear(&mut self) {
        self.count = 0;
        self.fast_sum = Fx::ZERO;
        self.slow_sum = Fx::ZERO;
        self.fast.reset();
        self.slow.reset();
        self.signal.reset();
        self.value = None;
    }

    /// Feeds one closed candle; a reading from candle `slow + signal − 1` of a run.
    #[inline]
    pub fn update(&mut self, c: &Candle) -> Option<MacdValue> {
        if !self.run.continues(c) {
            self.clear();
        }
        let x = fx_price(c.close);
        let (fast_n, slow_n) = (self.fast_period, self.slow_period);
        let line = if self.count < slow_n {
            self.count += 1;
            self.slow_sum += x;
            if self.count > slow_n - fast_n {
                self.fast_sum += x;
            }
            if self.count < slow_n {
                return None;
            }
            let f = self.fast_sum / i128::from(fast_n);
            let s = self.slow_sum / i128::from(slow_n);
            self.fast.seed(f);
            self.slow.seed(s);
            f - s
        } else {
            let f = self.fast.push(x).unwrap_or(Fx::ZERO);
            let s = self.slow.push(x).unwrap_or(Fx::ZERO);
            f - s
        };
        self.value = self.signal.push(line).map(|signal| MacdValue {
            macd: line,
            signal,
            histogram: line - signal,
        });
        self.value
    }

    /// The current reading.
    pub fn value(&self) -> Option<MacdValue> {
        self.value
    }

    /// Whether it has warmed up.
    pub fn is_ready(&self) -> bool {
        self.value.is_some()
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        self.clear();
        self.run = Run::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::ma::tests::{flat, fx};

    #[test]
    fn macd_by_hand() {
        // MACD(1, 2, 2) on 1, 2, 4, 8: fast EMA(1) = close; slow EMA(2) seeded
        // at candle 2 with (1 + 2)/2 = 1.5 → line 0.5; candle 3: slow 1.5 +
        // (4 − 1.5)·2/3 = 3.1666… → line 0.8333…; signal = mean = 0.6666….
        let mut m = Macd::new(1, 2, 2);
        assert_eq!(m.update(&flat(0, "1")), None);
        assert_eq!(m.update(&flat(1, "2")), None);
        let v = m.update(&flat(2, "4")).unwrap();
        let eps = fx("0.000000000001");
        assert!(
            (v.macd - fx("0.833333333333333333")).abs() < eps,
            "{}",
            v.macd
        );
        assert!(
            (v.signal - fx("0.666666666666666666")).abs() < eps,
            "{}",
            v.signal
        );
        assert_eq!(v.histogram, v.macd - v.signal);
        assert!(m.is_ready());
    }
}
