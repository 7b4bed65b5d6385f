//! Bollinger bands over the close and their width.

use super::candle::{Candle, Run};
use super::fxmath::{bollinger_rel, ShlDiv};
use super::ma::MAX_WINDOW;
use super::ring::Ring;
use super::Fx;
use crate::num::SCALE;

/// Bollinger bands and width, one reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bands {
    /// Middle band: SMA(N) of the close.
    pub middle: Fx,
    /// Upper band: middle + k·σ.
    pub upper: Fx,
    /// Lower band: middle − k·σ.
    pub lower: Fx,
    /// Width as a fraction of the middle band: `(upper − lower) / middle`
    /// (= 2k·σ/mean; `ta`'s `bollinger_wband` is this × 100).
    pub width: Fx,
}

/// Bollinger bands BB(N, k) with the population standard deviation
/// (divisor N, as TA-Lib and `ta` use).
///
/// The window sum and sum of squares are exact `i128`s of 10^-8 units, so
/// `D = N·Σx² − (Σx)²` is exact and never negative; then
/// `σ/mean = √(D / (Σx)²)` is taken in [`Fx`], the ratio first scaled up by
/// an even power of two so the square root keeps full precision.
#[derive(Debug, Clone)]
pub struct Bollinger<const N: usize> {
    run: Run,
    k: Fx,
    window: Ring<i64, N>,
    sum: i128,
    sum_sq: i128,
}

impl<const N: usize> Bollinger<N> {
    /// Division of the window sum by `N·10^8` (a precomputed reciprocal).
    const MEAN: ShlDiv = ShlDiv::new(N as u64 * SCALE as u64);

    /// A new BB(N, `k`); panics unless `2 ≤ N ≤` [`MAX_WINDOW`] and `k ≥ 0`.
    pub fn new(k: Fx) -> Self {
        assert!(N >= 2 && N <= MAX_WINDOW, "Bollinger window out of range");
        assert!(k >= Fx::ZERO, "Bollinger k must not be negative");
        Bollinger {
            run: Run::new(),
            k,
            window: Ring::new(),
            sum: 0,
            sum_sq: 0,
        }
    }

    /// Feeds one closed candle; the bands once N contiguous candles are in.
    #[inline]
    pub fn update(&mut self, c: &Candle) -> Option<Bands> {
        if !self.run.continues(c) {
            self.window.clear();
            self.sum = 0;
            self.sum_sq = 0;
        }
        let x = c.close.units();
        self.sum += i128::from(x);
        self.sum_sq += i128::from(x) * i128::from(x);
        if let Some(old) = self.window.push(x) {
            self.sum -= i128::from(old);
            self.sum_sq -= i128::from(old) * i128::from(old);
        }
        self.value()
    }

    /// The current reading, `None` while warming up.
    pub fn value(&self) -> Option<Bands> {
        if !self.window.is_full() {
            return None;
        }
        let n = N as i128;
        let middle = Self::MEAN.ratio(self.sum);
        if self.sum == 0 {
            return Some(Bands {
                middle,
                upper: middle,
                lower: middle,
                width: Fx::ZERO,
            });
        }
        // Exact: D = N·Σx² − (Σx)² ≥ 0 (Cauchy–Schwarz), both terms < 2^126
        // under the candle price limit.
        let sq = self.sum * self.sum;
        let d = n * self.sum_sq - sq;
        debug_assert!(d >= 0);
        // (σ/mean)² = D / (Σx)² ≤ N − 1 < 2^10. Scaled by 2^s (s even, at
        // most 48, and D·2^s must fit) so the fixed-point root keeps its
        // digits: `fx_ratio(D << s, (Σx)²).sqrt() >> (s / 2)`, computed by
        // an exact integer square root (see `bollinger_rel`).
        let rel = bollinger_rel(d, sq);
        let half = (rel * self.k).saturating_mul(middle);
        Some(Bands {
            middle,
            upper: middle + half,
            lower: middle - half,
            width: rel * self.k * 2,
        })
    }

    /// Whether it has warmed up.
    pub fn is_ready(&self) -> bool {
        self.window.is_full()
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        *self = Bollinger::new(self.k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::ma::tests::{flat, fx};

    #[test]
    fn bands_by_hand() {
        // Closes 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population σ = 2.
        let mut b: Bollinger<8> = Bollinger::new(fx("2"));
        let closes = ["2", "4", "4", "4", "5", "5", "7", "9"];
        let mut out = None;
        for (i, c) in closes.iter().enumerate() {
            out = b.update(&flat(i as i64, c));
            assert_eq!(out.is_some(), i == 7);
        }
        let v = out.unwrap();
        let eps = fx("0.0000000000001");
        assert_eq!(v.middle, fx("5"));
        assert!((v.upper - fx("9")).abs() < eps, "{}", v.upper);
        assert!((v.lower - fx("1")).abs() < eps, "{}", v.lower);
        assert!((v.width - fx("1.6")).abs() < eps, "{}", v.width);
    }

    #[test]
    fn constant_closes_have_zero_width() {
        let mut b: Bollinger<3> = Bollinger::new(fx("2"));
        for i in 0..5 {
            b.update(&flat(i, "61234.56789012"));
        }
        assert_eq!(b.value().unwrap().width, Fx::ZERO);
    }
}
