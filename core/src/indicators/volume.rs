//! Volume relative to its recent mean.

use super::candle::{Candle, Run};
use super::fx_ratio;
use super::ma::MAX_WINDOW;
use super::ring::Ring;
use super::Fx;

/// The candle's volume over the mean volume of the last `N` candles,
/// including this one: `N · v / Σv`. 1 is an average candle, 2 twice the
/// average. When the whole window traded nothing (a trading halt, such as
/// Binance's 72 zero-volume minutes of 2023-03-24) the ratio is 0.
#[derive(Debug, Clone)]
pub struct VolumeRatio<const N: usize> {
    run: Run,
    window: Ring<i128, N>,
    sum: i128,
    value: Option<Fx>,
}

impl<const N: usize> Default for VolumeRatio<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> VolumeRatio<N> {
    /// A new ratio to the N-candle mean.
    pub fn new() -> Self {
        assert!(N > 0 && N <= MAX_WINDOW, "volume window out of range");
        VolumeRatio {
            run: Run::new(),
            window: Ring::new(),
            sum: 0,
            value: None,
        }
    }

    /// Feeds one closed candle; the ratio once N contiguous candles are in.
    #[inline]
    pub fn update(&mut self, c: &Candle) -> Option<Fx> {
        if !self.run.continues(c) {
            self.window.clear();
            self.sum = 0;
        }
        let v = c.volume.units();
        self.sum += v;
        if let Some(old) = self.window.push(v) {
            self.sum -= old;
        }
        self.value = self.window.is_full().then(|| {
            if self.sum <= 0 {
                Fx::ZERO
            } else {
                fx_ratio(v * N as i128, self.sum)
            }
        });
        self.value
    }

    /// The current value.
    pub fn value(&self) -> Option<Fx> {
        self.value
    }

    /// Whether it has warmed up.
    pub fn is_ready(&self) -> bool {
        self.window.is_full()
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        *self = Self::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::candle::Timeframe;
    use crate::indicators::ma::tests::fx;
    use crate::num::{Price, Wide};

    fn vol(i: i64, v: &str) -> Candle {
        let p = Price::ONE;
        Candle::new(
            i * 60_000,
            Timeframe::M1,
            p,
            p,
            p,
            p,
            Wide::parse(v).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn ratio_by_hand() {
        let mut r: VolumeRatio<4> = VolumeRatio::new();
        for (i, v) in ["1", "2", "3"].iter().enumerate() {
            assert_eq!(r.update(&vol(i as i64, v)), None);
        }
        // Window 1, 2, 3, 6: mean 3 → 6/3 = 2.
        assert_eq!(r.update(&vol(3, "6")), Some(fx("2")));
        // Window 2, 3, 6, 1: mean 3 → 1/3.
        let v = r.update(&vol(4, "1")).unwrap();
        assert!((v - fx("0.333333333333333333")).abs() < fx("0.000000000001"));
        // A halt: four zero-volume candles.
        for i in 5..9 {
            r.update(&vol(i, "0"));
        }
        assert_eq!(r.value(), Some(Fx::ZERO));
    }
}
