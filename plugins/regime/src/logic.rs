//! Regime classification, its confidence and its history.
//!
//! Classification (strict inequalities exactly as the seed writes them):
//!
//! | ADX                 | second feature               | regime          |
//! |---------------------|------------------------------|-----------------|
//! | > `adx_trend` (25)  | ATR% < `atr_pct_volatile` (0.03) | strong-trend |
//! | > `adx_trend`       | ATR% ≥ `atr_pct_volatile`    | volatile-trend  |
//! | < `adx_range` (20)  | width < `bb_width_tight` (0.01) | tight-range  |
//! | < `adx_range`       | width ≥ `bb_width_tight`     | choppy          |
//! | otherwise (20 ≤ ADX ≤ 25) |                        | transitional    |
//!
//! ATR% (`atr-pct`) and the Bollinger width (`bb-width`) arrive as
//! fractions of the price (0.03 is 3 %), so `atr_pct_volatile` is 0.03 and
//! `bb_width_tight` 0.01.
//!
//! Missing features: unless ADX, ATR% and the width all have their `ready`
//! bit, the result is transitional with confidence 0.
//!
//! Confidence (0–1): how far the inputs are from the thresholds that decide
//! the regime. Each deciding condition gets a margin in 0–1:
//! - ADX margin: |ADX − threshold| / `adx_scale` (10 ADX points), capped at 1;
//! - ATR% margin: |ATR% − `atr_pct_volatile`| / `atr_pct_volatile`, capped at 1;
//! - width margin: |width − `bb_width_tight`| / `bb_width_tight`, capped at 1;
//! - transitional: distance of ADX to the nearer of the two ADX thresholds
//!   divided by half the gap between them (1 in the middle, 22.5).
//!
//! confidence = 0.5 + min(margins) / 2, rounded down to 1e-8: exactly 0.5 on
//! a boundary, 1 when every condition holds by a full margin. A threshold
//! set to 0 makes its margin 1.
//!
//! History: the last [`HISTORY`] classifications are kept (in the saved
//! state too); `run` counts consecutive equal classifications, at least 1.

use kairos_plugin_sdk::dec::{self, Rounding, ONE};
use kairos_plugin_sdk::model::{Bar, Regime, RegimeKind};
use kairos_plugin_sdk::params::{ParamError, ParamSpec, Params};
use kairos_plugin_sdk::ready;
use kairos_plugin_sdk::state::{Reader, StateError, Writer};

use alloc::vec::Vec;

/// Plugin name for `describe`.
pub const NAME: &str = "regime";
/// Plugin version for `describe`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Index of `adx_trend`.
pub const ADX_TREND: usize = 0;
/// Index of `adx_range`.
pub const ADX_RANGE: usize = 1;
/// Index of `atr_pct_volatile`.
pub const ATR_PCT_VOLATILE: usize = 2;
/// Index of `bb_width_tight`.
pub const BB_WIDTH_TIGHT: usize = 3;
/// Index of `adx_scale`.
pub const ADX_SCALE: usize = 4;

/// The parameters, defaults from the seed.
pub static SPECS: [ParamSpec; 5] = [
    ParamSpec {
        name: "adx_trend",
        default: 25 * ONE,
        min: 0,
        max: 100 * ONE,
        integer: false,
        description: "ADX above this is a trend (strong or volatile)",
    },
    ParamSpec {
        name: "adx_range",
        default: 20 * ONE,
        min: 0,
        max: 100 * ONE,
        integer: false,
        description: "ADX below this is a range (tight or choppy); must not exceed adx_trend",
    },
    ParamSpec {
        name: "atr_pct_volatile",
        default: 3_000_000,
        min: 0,
        max: ONE,
        integer: false,
        description:
            "ATR as a fraction of price at or above which a trend is volatile (0.03 = 3 %)",
    },
    ParamSpec {
        name: "bb_width_tight",
        default: 1_000_000,
        min: 0,
        max: 10 * ONE,
        integer: false,
        description: "Bollinger width (fraction of the middle band) below which a range is tight",
    },
    ParamSpec {
        name: "adx_scale",
        default: 10 * ONE,
        min: 1,
        max: 100 * ONE,
        integer: false,
        description: "ADX points beyond a threshold that give full confidence",
    },
];

/// Classifications kept in the history (and the saved state).
pub const HISTORY: usize = 16;

const MAGIC: [u8; 4] = *b"KRGM";
const STATE_VERSION: u16 = 1;
const ALL_NEEDED: u32 = ready::ADX | ready::ATR_PCT | ready::BB_WIDTH;

/// The regime plugin's parameters and state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classifier {
    params: Params<5>,
    /// Ring of kind indices; `len` valid entries ending before `head`.
    ring: [u8; HISTORY],
    head: u8,
    len: u8,
    run: u32,
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier::new()
    }
}

fn check(p: &Params<5>) -> Result<(), &'static str> {
    if p.get(ADX_RANGE) > p.get(ADX_TREND) {
        return Err("adx_range must not exceed adx_trend");
    }
    Ok(())
}

/// |x − threshold| / scale capped at 1 (1 when the scale is 0).
fn margin(x: i64, threshold: i64, scale: i64) -> i64 {
    let d = (i128::from(x) - i128::from(threshold)).unsigned_abs();
    let d = i64::try_from(d).unwrap_or(i64::MAX);
    match dec::div(d, scale, Rounding::Floor) {
        Some(m) => dec::unit(m),
        None => ONE,
    }
}

fn confidence_of(min_margin: i64) -> i64 {
    ONE / 2 + dec::unit(min_margin) / 2
}

impl Classifier {
    /// Default parameters, empty history.
    pub const fn new() -> Classifier {
        Classifier {
            params: Params::new(&SPECS),
            ring: [RegimeKind::Transitional.index(); HISTORY],
            head: 0,
            len: 0,
            run: 0,
        }
    }

    /// The parameter table.
    pub fn params(&self) -> &Params<5> {
        &self.params
    }

    /// `set-param`.
    pub fn set_param(&mut self, name: &str, value: i64) -> Result<(), ParamError> {
        self.params.set(name, value, check)
    }

    /// Classifies without touching the history: (kind, confidence).
    pub fn decide(&self, bar: &Bar) -> (RegimeKind, i64) {
        let f = &bar.features;
        if !ready::has(f.ready, ALL_NEEDED) {
            return (RegimeKind::Transitional, 0);
        }
        let p = &self.params;
        let (trend, range) = (p.get(ADX_TREND), p.get(ADX_RANGE));
        let (vol, tight, scale) = (
            p.get(ATR_PCT_VOLATILE),
            p.get(BB_WIDTH_TIGHT),
            p.get(ADX_SCALE),
        );
        if f.adx > trend {
            let m = margin(f.adx, trend, scale).min(margin(f.atr_pct, vol, vol));
            let kind = if f.atr_pct < vol {
                RegimeKind::StrongTrend
            } else {
                RegimeKind::VolatileTrend
            };
            (kind, confidence_of(m))
        } else if f.adx < range {
            let m = margin(f.adx, range, scale).min(margin(f.bb_width, tight, tight));
            let kind = if f.bb_width < tight {
                RegimeKind::TightRange
            } else {
                RegimeKind::Choppy
            };
            (kind, confidence_of(m))
        } else {
            // range ≤ adx ≤ trend: distance to the nearer threshold over half the gap.
            let near = (f.adx - range).min(trend - f.adx);
            let half = (trend - range) / 2;
            let m = dec::div(near, half, Rounding::Floor).map_or(0, dec::unit);
            (RegimeKind::Transitional, confidence_of(m))
        }
    }

    /// `classify`: decides and records the result in the history.
    pub fn classify(&mut self, bar: &Bar) -> Regime {
        let (kind, confidence) = self.decide(bar);
        let k = kind.index();
        let last = self.last();
        self.run = if last == Some(kind) {
            self.run.saturating_add(1)
        } else {
            1
        };
        self.ring[usize::from(self.head) % HISTORY] = k;
        self.head = ((usize::from(self.head) + 1) % HISTORY) as u8;
        self.len = (usize::from(self.len) + 1).min(HISTORY) as u8;
        Regime {
            kind,
            confidence,
            run: self.run,
        }
    }

    /// The latest classification.
    pub fn last(&self) -> Option<RegimeKind> {
        if self.len == 0 {
            return None;
        }
        let i = (usize::from(self.head) + HISTORY - 1) % HISTORY;
        RegimeKind::from_index(self.ring[i])
    }

    /// The current run length (0 before the first classification).
    pub fn run(&self) -> u32 {
        self.run
    }

    /// The kept history, oldest first (at most [`HISTORY`]).
    pub fn history(&self) -> impl Iterator<Item = RegimeKind> + '_ {
        let len = usize::from(self.len);
        let start = (usize::from(self.head) + HISTORY - len) % HISTORY;
        (0..len).filter_map(move |i| RegimeKind::from_index(self.ring[(start + i) % HISTORY]))
    }

    /// `save-state`: magic `KRGM`, version 1, run (u32), head (u8), len
    /// (u8), the 16 ring bytes (kind indices in WIT order).
    pub fn save_state(&self) -> Vec<u8> {
        let mut w = Writer::new(MAGIC, STATE_VERSION, 4 + 2 + HISTORY);
        w.u32(self.run).u8(self.head).u8(self.len).bytes(&self.ring);
        w.finish()
    }

    /// `load-state`: replaces the history (parameters are untouched); on
    /// error nothing changes.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let mut r = Reader::new(bytes, MAGIC, STATE_VERSION)?;
        let run = r.u32("run")?;
        let head = r.u8("head")?;
        let len = r.u8("len")?;
        let ring = r.bytes::<HISTORY>("history")?;
        r.finish()?;
        if usize::from(head) >= HISTORY {
            return Err(StateError::BadValue("head"));
        }
        if usize::from(len) > HISTORY {
            return Err(StateError::BadValue("len"));
        }
        if ring.iter().any(|&k| RegimeKind::from_index(k).is_none()) {
            return Err(StateError::BadValue("history"));
        }
        if (len == 0) != (run == 0) {
            return Err(StateError::BadValue("run"));
        }
        self.run = run;
        self.head = head;
        self.len = len;
        self.ring = ring;
        Ok(())
    }
}
