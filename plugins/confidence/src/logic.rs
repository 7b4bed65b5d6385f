//! Confidence components, score and size multiplier (for a long entry:
//! spot positions are long only).
//!
//! Every component is 0–1 (0.5 neutral) and rounded down to 1e-8:
//!
//! | component | input (ready bit) | mapping |
//! |---|---|---|
//! | rsi | RSI | ≤ `rsi_oversold` (30) → 1; ≥ `rsi_overbought` (70) → 0; linear between: (70 − RSI) / 40 |
//! | macd | MACD histogram, ATR | 0.5 + hist / ATR, clamped to 0–1 (full at ±0.5 ATR); with no usable ATR (not ready or ≤ 0): hist > 0 → 1, < 0 → 0, 0 → 0.5 |
//! | volume | volume ratio | ≤ `volume_low` (0.5) → 0; ≥ `volume_high` (1.5) → 1; linear between |
//! | trend | trend votes m5, m15, h1, h4 | (sum of votes + 4) / 8, each vote clamped to −1..1 (all up 1, all down 0, unknown 0) |
//! | levels | support / resistance distance | d_r / (d_s + d_r): room to resistance against risk to support; a side not ready counts as 0.05 away; neither ready, or both 0 → 0.5; negative distances count as 0 |
//! | sentiment | `sentiment` argument | clamped to 0–1; negative (absent) → 0.5 |
//! | gru | prediction | `prob-up` clamped to 0–1 when `valid` and `age-ms` < `gru_max_age_ms`; else 0.5 |
//!
//! A component whose input is not ready is 0.5. The score is
//! Σ wᵢ·cᵢ / Σ wᵢ (one division, rounded down) over the six seed weights and
//! the GRU weight `w_gru` (0.10), where the GRU's weight counts only when
//! the prediction is fresh: with defaults and no prediction the weights sum
//! to 1 and the score is the seed's; with a fresh prediction they sum to
//! 1.1 and are renormalised by that division.
//!
//! Size multiplier: score ≥ `full_threshold` (0.75) → 1; ≥
//! `reduced_threshold` (0.60) → 0.6; ≥ `minimal_threshold` (0.50) → 0.3;
//! else 0 (skip the entry).
//!
//! The regime argument is not used by this reference plugin (the strategy
//! applies its own per-regime confidence thresholds).

use kairos_plugin_sdk::dec::{self, Rounding, ONE};
use kairos_plugin_sdk::model::{Bar, Confidence, Prediction, TrendVotes};
use kairos_plugin_sdk::params::{ParamError, ParamSpec, Params};
use kairos_plugin_sdk::ready;
use kairos_plugin_sdk::state::{Reader, StateError, Writer};

use alloc::vec::Vec;

/// Plugin name for `describe`.
pub const NAME: &str = "confidence";
/// Plugin version for `describe`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Index of `w_rsi`.
pub const W_RSI: usize = 0;
/// Index of `w_macd`.
pub const W_MACD: usize = 1;
/// Index of `w_volume`.
pub const W_VOLUME: usize = 2;
/// Index of `w_trend`.
pub const W_TREND: usize = 3;
/// Index of `w_levels`.
pub const W_LEVELS: usize = 4;
/// Index of `w_sentiment`.
pub const W_SENTIMENT: usize = 5;
/// Index of `w_gru`.
pub const W_GRU: usize = 6;
/// Index of `gru_max_age_ms`.
pub const GRU_MAX_AGE_MS: usize = 7;
/// Index of `full_threshold`.
pub const FULL: usize = 8;
/// Index of `reduced_threshold`.
pub const REDUCED: usize = 9;
/// Index of `minimal_threshold`.
pub const MINIMAL: usize = 10;
/// Index of `rsi_oversold`.
pub const RSI_OVERSOLD: usize = 11;
/// Index of `rsi_overbought`.
pub const RSI_OVERBOUGHT: usize = 12;
/// Index of `volume_low`.
pub const VOLUME_LOW: usize = 13;
/// Index of `volume_high`.
pub const VOLUME_HIGH: usize = 14;

/// Number of parameters.
pub const N_PARAMS: usize = 15;

const fn w(name: &'static str, default: i64, description: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        default,
        min: 0,
        max: 10 * ONE,
        integer: false,
        description,
    }
}
const fn threshold(name: &'static str, default: i64, description: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        default,
        min: 0,
        max: ONE,
        integer: false,
        description,
    }
}

/// The parameters, defaults from the seed.
pub static SPECS: [ParamSpec; N_PARAMS] = [
    w("w_rsi", 15_000_000, "weight of the RSI component"),
    w("w_macd", 20_000_000, "weight of the MACD component"),
    w("w_volume", 30_000_000, "weight of the volume component"),
    w(
        "w_trend",
        20_000_000,
        "weight of the multi-timeframe trend alignment",
    ),
    w(
        "w_levels",
        10_000_000,
        "weight of the support/resistance component",
    ),
    w(
        "w_sentiment",
        5_000_000,
        "weight of the sentiment component",
    ),
    w(
        "w_gru",
        10_000_000,
        "weight of the GRU prediction when fresh (weights are renormalised)",
    ),
    ParamSpec {
        name: "gru_max_age_ms",
        default: 120_000 * ONE,
        min: 0,
        max: 86_400_000 * ONE,
        integer: true,
        description: "a prediction this old (ms) or older is stale and ignored",
    },
    threshold(
        "full_threshold",
        75_000_000,
        "score at or above which the size multiplier is 1",
    ),
    threshold(
        "reduced_threshold",
        60_000_000,
        "score at or above which the size multiplier is 0.6",
    ),
    threshold(
        "minimal_threshold",
        50_000_000,
        "score at or above which the size multiplier is 0.3 (below: skip)",
    ),
    ParamSpec {
        name: "rsi_oversold",
        default: 30 * ONE,
        min: 0,
        max: 100 * ONE,
        integer: false,
        description: "RSI at or below which the RSI component is 1",
    },
    ParamSpec {
        name: "rsi_overbought",
        default: 70 * ONE,
        min: 0,
        max: 100 * ONE,
        integer: false,
        description: "RSI at or above which the RSI component is 0",
    },
    ParamSpec {
        name: "volume_low",
        default: 50_000_000,
        min: 0,
        max: 100 * ONE,
        integer: false,
        description: "volume ratio at or below which the volume component is 0",
    },
    ParamSpec {
        name: "volume_high",
        default: 150_000_000,
        min: 0,
        max: 100 * ONE,
        integer: false,
        description: "volume ratio at or above which the volume component is 1",
    },
];

/// Size multiplier at or above `full_threshold`.
pub const MULT_FULL: i64 = ONE;
/// Size multiplier at or above `reduced_threshold`.
pub const MULT_REDUCED: i64 = 60_000_000;
/// Size multiplier at or above `minimal_threshold`.
pub const MULT_MINIMAL: i64 = 30_000_000;
/// Distance assumed for a support or resistance that is not ready while the
/// other side is (0.05 = 5 %).
pub const LEVELS_MISSING_DISTANCE: i64 = 5_000_000;

const NEUTRAL: i64 = ONE / 2;
const MAGIC: [u8; 4] = *b"KCNF";
const STATE_VERSION: u16 = 1;

fn check(p: &Params<N_PARAMS>) -> Result<(), &'static str> {
    let base = [W_RSI, W_MACD, W_VOLUME, W_TREND, W_LEVELS, W_SENTIMENT];
    if base.iter().map(|&i| p.get(i)).sum::<i64>() <= 0 {
        return Err("the six seed weights must not all be 0");
    }
    if !(p.get(FULL) >= p.get(REDUCED) && p.get(REDUCED) >= p.get(MINIMAL)) {
        return Err("full_threshold >= reduced_threshold >= minimal_threshold");
    }
    if p.get(RSI_OVERSOLD) >= p.get(RSI_OVERBOUGHT) {
        return Err("rsi_oversold < rsi_overbought");
    }
    if p.get(VOLUME_LOW) >= p.get(VOLUME_HIGH) {
        return Err("volume_low < volume_high");
    }
    Ok(())
}

/// (x − lo) / (hi − lo) clamped to 0–1, rounded down; `lo < hi` is a
/// parameter invariant (0.5 otherwise).
fn ramp(x: i64, lo: i64, hi: i64) -> i64 {
    if x <= lo {
        return 0;
    }
    if x >= hi {
        return ONE;
    }
    dec::div(x - lo, hi - lo, Rounding::Floor).map_or(NEUTRAL, dec::unit)
}

/// The confidence plugin: parameters only (no state between calls).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scorer {
    params: Params<N_PARAMS>,
}

impl Default for Scorer {
    fn default() -> Self {
        Scorer::new()
    }
}

impl Scorer {
    /// Default parameters.
    pub const fn new() -> Scorer {
        Scorer {
            params: Params::new(&SPECS),
        }
    }

    /// The parameter table.
    pub fn params(&self) -> &Params<N_PARAMS> {
        &self.params
    }

    /// `set-param`.
    pub fn set_param(&mut self, name: &str, value: i64) -> Result<(), ParamError> {
        self.params.set(name, value, check)
    }

    /// RSI component.
    pub fn rsi_component(&self, ready: u32, rsi: i64) -> i64 {
        if !ready::has(ready, ready::RSI) {
            return NEUTRAL;
        }
        // Lower RSI is better for a long: (overbought − RSI) / (overbought −
        // oversold), rounded down, as a ramp over the negated values.
        let (lo, hi) = (
            self.params.get(RSI_OVERSOLD),
            self.params.get(RSI_OVERBOUGHT),
        );
        ramp(rsi.saturating_neg(), -hi, -lo)
    }

    /// MACD component.
    pub fn macd_component(ready: u32, hist: i64, atr: i64) -> i64 {
        if !ready::has(ready, ready::MACD_HIST) {
            return NEUTRAL;
        }
        if ready::has(ready, ready::ATR) && atr > 0 {
            let r = dec::div(hist, atr, Rounding::Floor).unwrap_or(0);
            return dec::unit(NEUTRAL.saturating_add(r));
        }
        match hist.signum() {
            1 => ONE,
            -1 => 0,
            _ => NEUTRAL,
        }
    }

    /// Volume component.
    pub fn volume_component(&self, ready: u32, ratio: i64) -> i64 {
        if !ready::has(ready, ready::VOLUME_RATIO) {
            return NEUTRAL;
        }
        ramp(
            ratio,
            self.params.get(VOLUME_LOW),
            self.params.get(VOLUME_HIGH),
        )
    }

    /// Trend alignment component.
    pub fn trend_component(v: &TrendVotes) -> i64 {
        let sum: i64 = [v.m5, v.m15, v.h1, v.h4]
            .iter()
            .map(|&x| i64::from(x.clamp(-1, 1)))
            .sum();
        (sum + 4) * ONE / 8
    }

    /// Support/resistance component.
    pub fn levels_component(ready: u32, support: i64, resistance: i64) -> i64 {
        let has_s = ready::has(ready, ready::SUPPORT_DISTANCE);
        let has_r = ready::has(ready, ready::RESISTANCE_DISTANCE);
        if !has_s && !has_r {
            return NEUTRAL;
        }
        let ds = if has_s {
            support.max(0)
        } else {
            LEVELS_MISSING_DISTANCE
        };
        let dr = if has_r {
            resistance.max(0)
        } else {
            LEVELS_MISSING_DISTANCE
        };
        let den = i128::from(ds) + i128::from(dr);
        match dec::div_round_i128(dec::wide_mul(dr, ONE), den, Rounding::Floor) {
            Some(c) => dec::unit(dec::saturate(c)),
            None => NEUTRAL,
        }
    }

    /// Sentiment component.
    pub fn sentiment_component(sentiment: i64) -> i64 {
        if sentiment < 0 {
            NEUTRAL
        } else {
            dec::unit(sentiment)
        }
    }

    /// GRU component and whether it counts (fresh).
    pub fn gru_component(&self, p: &Prediction) -> (i64, bool) {
        let max_age = u64::try_from(self.params.get(GRU_MAX_AGE_MS) / ONE).unwrap_or(0);
        if p.valid && p.age_ms < max_age {
            (dec::unit(p.prob_up), true)
        } else {
            (NEUTRAL, false)
        }
    }

    /// The size multiplier a score decides.
    pub fn size_multiplier(&self, score: i64) -> i64 {
        let p = &self.params;
        if score >= p.get(FULL) {
            MULT_FULL
        } else if score >= p.get(REDUCED) {
            MULT_REDUCED
        } else if score >= p.get(MINIMAL) {
            MULT_MINIMAL
        } else {
            0
        }
    }

    /// `score`.
    pub fn score(
        &self,
        bar: &Bar,
        votes: &TrendVotes,
        prediction: &Prediction,
        sentiment: i64,
    ) -> Confidence {
        let f = &bar.features;
        let p = &self.params;
        let (gru, fresh) = self.gru_component(prediction);
        let mut c = Confidence {
            score: 0,
            rsi: self.rsi_component(f.ready, f.rsi),
            macd: Self::macd_component(f.ready, f.macd_hist, f.atr),
            volume: self.volume_component(f.ready, f.volume_ratio),
            trend: Self::trend_component(votes),
            levels: Self::levels_component(f.ready, f.support_distance, f.resistance_distance),
            sentiment: Self::sentiment_component(sentiment),
            gru,
            size_multiplier: 0,
        };
        let w_gru = if fresh { p.get(W_GRU) } else { 0 };
        let pairs = [
            (p.get(W_RSI), c.rsi),
            (p.get(W_MACD), c.macd),
            (p.get(W_VOLUME), c.volume),
            (p.get(W_TREND), c.trend),
            (p.get(W_LEVELS), c.levels),
            (p.get(W_SENTIMENT), c.sentiment),
            (w_gru, c.gru),
        ];
        let num: i128 = pairs.iter().map(|&(w, x)| dec::wide_mul(w, x)).sum();
        let den: i128 = pairs.iter().map(|&(w, _)| i128::from(w)).sum();
        c.score = dec::div_round_i128(num, den, Rounding::Floor)
            .map_or(NEUTRAL, |s| dec::unit(dec::saturate(s)));
        c.size_multiplier = self.size_multiplier(c.score);
        c
    }

    /// `save-state`: magic `KCNF`, version 1, no fields (the plugin keeps
    /// no state between calls).
    pub fn save_state(&self) -> Vec<u8> {
        Writer::new(MAGIC, STATE_VERSION, 0).finish()
    }

    /// `load-state`: accepts only this plugin's (empty) state.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        Reader::new(bytes, MAGIC, STATE_VERSION)?.finish()
    }
}
