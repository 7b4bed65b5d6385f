//! Incremental technical indicators over closed candles: O(1) work per
//! candle (bounded by a named window constant), deterministic bit for bit,
//! and allocation-free after construction (fixed-size ring buffers).
//!
//! - [`candle`]: [`Candle`], [`Timeframe`], the klines CSV parsers (normalised
//!   6-column files and Binance's 12-column dumps) and the [`GapDetector`].
//! - [`ma`]: [`Sma`] and [`Ema`].
//! - [`wilder`]: [`Atr`], [`Adx`] (with +DI/−DI) and [`Rsi`], Wilder smoothing.
//! - [`bands`]: Bollinger bands and their width ([`Bollinger`]).
//! - [`macd`]: [`Macd`] line, signal and histogram.
//! - [`volume`]: [`VolumeRatio`], volume over its window mean.
//! - [`levels`]: [`SupportResistance`], distance to the nearest swing levels.
//! - [`aggregate`]: [`Aggregator`], 1 m candles into UTC-aligned 5 m / 15 m /
//!   1 h / 4 h candles.
//! - [`features`]: [`FeatureVector`] and [`IndicatorSet`], every indicator of
//!   one timeframe in one fixed-size record.
//!
//! Every indicator has `update(&Candle) -> Option<value>` (`None` while it
//! warms up), `is_ready()` and `reset()`.
//!
//! # Numeric representation
//!
//! Candles come in as exact decimals ([`Price`](crate::num::Price): `i64` ×
//! 10^-8; volume as [`Wide`](crate::num::Wide): `i128` × 10^-8). Indicators
//! use two representations, both pure integer arithmetic:
//!
//! 1. **Exact integers** wherever the value is a sum: window sums of prices
//!    and volumes and the Bollinger sum of squares are `i128` counts of
//!    10^-8 units. Adding the newest value and subtracting the evicted one is
//!    exact, so a rolling sum never drifts, however long the run. The
//!    Bollinger variance numerator `N·Σx² − (Σx)²` is exact too (and never
//!    negative).
//! 2. **[`Fx`] = `fixed::types::I64F64`** (binary fixed point, 64 integer and
//!    64 fraction bits, from the `fixed` 1.x crate) for everything that
//!    divides: means, Wilder and EMA smoothing, ratios, RSI/ADX scores.
//!    Resolution 2^-64 ≈ 5.4 × 10^-20; range ±9.2 × 10^18, far above any
//!    value here (prices are capped at
//!    [`MAX_CANDLE_PRICE_WHOLE`](candle::MAX_CANDLE_PRICE_WHOLE) = 10^9, so the
//!    largest intermediate, a 14-candle Wilder sum of true ranges, stays
//!    below 1.4 × 10^10). A price converts to `Fx` by one exact integer
//!    division of its units by 10^8 (truncated: error < 2^-64). Each `Fx`
//!    division truncates toward zero (error < 2^-64), and the smoothing
//!    recurrences are contractions, so errors do not build up: after 600
//!    candles the values agree with TA-Lib's float64 to ~1e-12 relative, which
//!    is float64's own rounding noise (see `core/tests/indicators.rs`).
//!
//! Why not `f64`: IEEE-754 basic operations are deterministic in Rust
//! (no fused multiply-add contraction, SSE2 on x86-64), so `f64` could be
//! argued deterministic too. But integer arithmetic makes the argument
//! trivial — the same inputs give the same bits on every machine, compiler
//! and optimisation level — it lets rolling sums be exact instead of
//! drifting, and it gives ~4 more decimal digits than `f64` at BTC prices.
//! The cost is speed (wide division), measured by the `indicators` bench;
//! the hot operations (Fx division, division by a period or by 10^8, the
//! Bollinger square root) go through exact fast paths in `fxmath` that
//! return the same bits as the `fixed` operations they replace (checked
//! against `fixed` in its tests and, for every feature vector, against
//! digests written before those paths existed:
//! `core/tests/indicators_golden.rs`).
//! Money is never `Fx`: an indicator output is a score, not an amount.
//! `Fx::to_num::<f64>()` gives a correctly
//! rounded `f64` (deterministic as well) for a model or a report.
//!
//! # Gap policy
//!
//! An indicator's state describes one **contiguous run** of candles of one
//! timeframe. Every indicator checks each candle against the previous one:
//! when it is not exactly one interval later (a gap such as Binance's 34 h
//! outage of 2018-02-08, a repeated or earlier candle, or a candle of another
//! timeframe), the indicator **resets and re-warms** from that candle: it
//! returns `None` until it has seen its warm-up count of candles after the
//! gap, exactly as at the start of the data. Nothing is interpolated and no
//! smoothing is carried across the hole, so a value never mixes prices from
//! both sides of an outage. Warm-up lengths in candles (the first candle of
//! a run is number 1): SMA(n), EMA(n), Bollinger(n), volume ratio(n): n;
//! ATR(n), RSI(n): n + 1 (they need a previous close); +DI/−DI: n + 1;
//! ADX(n): 2n; MACD(12, 26, 9): 34; support/resistance: [`SR_LOOKBACK`].
//! [`GapDetector`] reports the gap itself (files: [`candle::Klines::gaps`];
//! live: [`IndicatorSet`] counts gaps and candles since the last one in
//! every [`FeatureVector`]). The [`Aggregator`] never builds a higher-timeframe
//! candle across a gap either: see its docs.

pub mod aggregate;
pub mod bands;
pub mod candle;
pub mod features;
mod fxmath;
pub mod levels;
pub mod ma;
pub mod macd;
mod ring;
pub mod volume;
pub mod wilder;

pub use aggregate::{AggregatedCandle, Aggregator, Closed};
pub use bands::{Bands, Bollinger};
pub use candle::{
    parse_kline_line, read_klines, read_klines_file, Candle, CandleError, Gap, GapDetector,
    KlineError, KlineProblem, Klines, Step, Timeframe,
};
pub use features::{FeatureVector, IndicatorSet};
pub use levels::{Levels, SupportResistance, SR_LOOKBACK, SR_WING};
pub use ma::{Ema, Sma};
pub use macd::{Macd, MacdValue};
pub use volume::VolumeRatio;
pub use wilder::{Adx, AdxValue, Atr, Rsi};

use crate::num::{Price, SCALE};

/// The indicators' number type: binary fixed point, 64.64 bits (see the
/// module docs for why).
pub type Fx = fixed::types::I64F64;

/// 100, for scores on a 0–100 scale.
pub(crate) const HUNDRED: Fx = Fx::const_from_int(100);

/// A price as an [`Fx`] in whole quote units (exact division of its units by
/// 10^8, truncated: error < 2^-64).
#[inline]
pub fn fx_price(p: Price) -> Fx {
    fx_units(i128::from(p.units()))
}

/// A count of 10^-8 units as an [`Fx`] in whole units (saturating beyond the
/// range, which the candle limits keep far away).
#[inline]
pub fn fx_units(units: i128) -> Fx {
    UNITS.ratio(units)
}

/// Division by 10^8 with a precomputed reciprocal ([`fxmath::ShlDiv`]).
const UNITS: fxmath::ShlDiv = fxmath::ShlDiv::new(SCALE as u64);

/// `num / den` as an [`Fx`], one truncating division of the exact integers;
/// saturates on overflow; `den` must not be zero.
#[inline]
pub fn fx_ratio(num: i128, den: i128) -> Fx {
    debug_assert!(den != 0, "fx_ratio: division by zero");
    fxmath::fx_div(Fx::from_bits(num), Fx::from_bits(den))
}
