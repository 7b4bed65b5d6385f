//! Sizing, stops, trailing stop and drawdown protection.
//!
//! **Size** (fraction of equity for a new position):
//! 1. fewer than `kelly_min_trades` (30) closed trades: `kelly_default`
//!    (0.01); otherwise fractional Kelly: f = W − (1 − W) / R with
//!    W = wins / closed and R = avg-win / avg-loss, times `kelly_fraction`
//!    (0.25), computed as one exact division
//!    (wins·avg_win − losses·avg_loss)·fraction / (closed·avg_win), rounded
//!    down; avg-win ≤ 0 gives f = −∞ and avg-loss ≤ 0 gives f = W;
//! 2. clamped to [`size_min` (0.005), `size_max` (0.10)];
//! 3. times the confidence's size multiplier (clamped to 0–1), rounded down;
//! 4. drawdown = (peak-equity − equity) / peak-equity (0 when peak ≤ 0 or
//!    equity ≥ peak), compared exactly: ≥ `dd_halt` (0.20) → `halt-entries`
//!    and size 0; else ≥ `dd_reduce` (0.10) → size × `dd_reduce_factor`
//!    (0.5), rounded down;
//! 5. size 0 when no stop can be computed (below): no entry without a stop.
//!
//! **Stop and take-profit** for a long entered at the bar's close (needs the
//! ATR and ATR% ready bits, ATR > 0 and close > 0; otherwise both 0): the
//! multiplier by ATR% band — < `atr_band_1` (0.015) → `atr_mult_1` (1.5);
//! < `atr_band_2` (0.03) → 2.0; < `atr_band_3` (0.05) → 2.5; else 3.0 —
//! distance = mult × ATR rounded down, capped at `stop_cap` (0.05) × close
//! rounded down; stop = close − distance; take-profit = close +
//! `reward_risk` (2.0) × distance rounded down. A zero distance counts as
//! no stop.
//!
//! **Trailing stop** (while the account holds a position with a positive
//! avg-entry): the plugin keeps the highest close since the position opened (in
//! its state; reset when flat). It is active once that highest close is at
//! least avg-entry × (1 + `trail_activation` (0.025)) — so exactly +2.5 %
//! activates it and it stays active. Candidate = highest − `trail_atr_mult`
//! (1.5) × ATR (rounded down; without a usable ATR the candidate is
//! avg-entry), floored at avg-entry (break-even); the trailing stop is the
//! highest candidate so far (it never moves down). 0 while inactive or flat.
//!
//! The regime argument is not used by this reference plugin.

use kairos_plugin_sdk::dec::{self, Rounding, ONE};
use kairos_plugin_sdk::model::{Account, Bar, Confidence, Risk, TradeStats};
use kairos_plugin_sdk::params::{ParamError, ParamSpec, Params};
use kairos_plugin_sdk::ready;
use kairos_plugin_sdk::state::{Reader, StateError, Writer};

use alloc::vec::Vec;

/// Plugin name for `describe`.
pub const NAME: &str = "risk";
/// Plugin version for `describe`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Index of `kelly_min_trades`.
pub const KELLY_MIN_TRADES: usize = 0;
/// Index of `kelly_default`.
pub const KELLY_DEFAULT: usize = 1;
/// Index of `kelly_fraction`.
pub const KELLY_FRACTION: usize = 2;
/// Index of `size_min`.
pub const SIZE_MIN: usize = 3;
/// Index of `size_max`.
pub const SIZE_MAX: usize = 4;
/// Index of `atr_band_1`.
pub const ATR_BAND_1: usize = 5;
/// Index of `atr_band_2`.
pub const ATR_BAND_2: usize = 6;
/// Index of `atr_band_3`.
pub const ATR_BAND_3: usize = 7;
/// Index of `atr_mult_1`.
pub const ATR_MULT_1: usize = 8;
/// Index of `atr_mult_2`.
pub const ATR_MULT_2: usize = 9;
/// Index of `atr_mult_3`.
pub const ATR_MULT_3: usize = 10;
/// Index of `atr_mult_4`.
pub const ATR_MULT_4: usize = 11;
/// Index of `stop_cap`.
pub const STOP_CAP: usize = 12;
/// Index of `reward_risk`.
pub const REWARD_RISK: usize = 13;
/// Index of `trail_activation`.
pub const TRAIL_ACTIVATION: usize = 14;
/// Index of `trail_atr_mult`.
pub const TRAIL_ATR_MULT: usize = 15;
/// Index of `dd_reduce`.
pub const DD_REDUCE: usize = 16;
/// Index of `dd_halt`.
pub const DD_HALT: usize = 17;
/// Index of `dd_reduce_factor`.
pub const DD_REDUCE_FACTOR: usize = 18;

/// Number of parameters.
pub const N_PARAMS: usize = 19;

const fn frac(name: &'static str, default: i64, description: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        default,
        min: 0,
        max: ONE,
        integer: false,
        description,
    }
}
const fn mult(name: &'static str, default: i64, description: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        default,
        min: 0,
        max: 20 * ONE,
        integer: false,
        description,
    }
}

/// The parameters, defaults from the seed.
pub static SPECS: [ParamSpec; N_PARAMS] = [
    ParamSpec {
        name: "kelly_min_trades",
        default: 30 * ONE,
        min: 0,
        max: 1_000_000 * ONE,
        integer: true,
        description: "closed trades needed before Kelly sizing is used",
    },
    frac(
        "kelly_default",
        1_000_000,
        "size fraction before kelly_min_trades closed trades (0.01 = 1 %)",
    ),
    frac(
        "kelly_fraction",
        25_000_000,
        "fraction of the full Kelly bet (0.25 = quarter Kelly)",
    ),
    frac(
        "size_min",
        500_000,
        "smallest size fraction (0.005 = 0.5 %)",
    ),
    frac(
        "size_max",
        10_000_000,
        "largest size fraction (0.10 = 10 %)",
    ),
    frac("atr_band_1", 1_500_000, "ATR% below this uses atr_mult_1"),
    frac(
        "atr_band_2",
        3_000_000,
        "ATR% below this (and not below atr_band_1) uses atr_mult_2",
    ),
    frac(
        "atr_band_3",
        5_000_000,
        "ATR% below this (and not below atr_band_2) uses atr_mult_3; else atr_mult_4",
    ),
    mult(
        "atr_mult_1",
        150_000_000,
        "stop distance in ATRs, lowest volatility band",
    ),
    mult(
        "atr_mult_2",
        200_000_000,
        "stop distance in ATRs, second band",
    ),
    mult(
        "atr_mult_3",
        250_000_000,
        "stop distance in ATRs, third band",
    ),
    mult(
        "atr_mult_4",
        300_000_000,
        "stop distance in ATRs, highest volatility band",
    ),
    ParamSpec {
        name: "stop_cap",
        default: 5_000_000,
        min: 1,
        max: ONE / 2,
        integer: false,
        description: "largest stop distance as a fraction of price (0.05 = 5 %)",
    },
    ParamSpec {
        name: "reward_risk",
        default: 200_000_000,
        min: 0,
        max: 100 * ONE,
        integer: false,
        description: "take-profit distance as a multiple of the stop distance",
    },
    frac(
        "trail_activation",
        2_500_000,
        "gain over avg-entry (of the highest close) that activates the trailing stop",
    ),
    mult(
        "trail_atr_mult",
        150_000_000,
        "trailing distance in ATRs below the highest close",
    ),
    frac(
        "dd_reduce",
        10_000_000,
        "drawdown from peak equity at which the size is reduced",
    ),
    frac(
        "dd_halt",
        20_000_000,
        "drawdown from peak equity at which new entries halt",
    ),
    frac(
        "dd_reduce_factor",
        50_000_000,
        "size multiplier once dd_reduce is reached",
    ),
];

const MAGIC: [u8; 4] = *b"KRSK";
const STATE_VERSION: u16 = 1;

fn check(p: &Params<N_PARAMS>) -> Result<(), &'static str> {
    if p.get(SIZE_MIN) > p.get(SIZE_MAX) {
        return Err("size_min <= size_max");
    }
    if !(p.get(ATR_BAND_1) <= p.get(ATR_BAND_2) && p.get(ATR_BAND_2) <= p.get(ATR_BAND_3)) {
        return Err("atr_band_1 <= atr_band_2 <= atr_band_3");
    }
    if p.get(DD_REDUCE) > p.get(DD_HALT) {
        return Err("dd_reduce <= dd_halt");
    }
    Ok(())
}

/// The risk plugin: parameters and the trailing stop's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskManager {
    params: Params<N_PARAMS>,
    in_position: bool,
    highest: i64,
    trail: i64,
}

impl Default for RiskManager {
    fn default() -> Self {
        RiskManager::new()
    }
}

/// `a × b ≥ c × d` exactly.
fn ge_products(a: i64, b: i64, c: i64, d: i64) -> bool {
    dec::wide_mul(a, b) >= dec::wide_mul(c, d)
}

impl RiskManager {
    /// Default parameters, flat.
    pub const fn new() -> RiskManager {
        RiskManager {
            params: Params::new(&SPECS),
            in_position: false,
            highest: 0,
            trail: 0,
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

    /// Kelly size before caps: the default below the trade count, else the
    /// fractional Kelly bet (may be negative).
    pub fn kelly_raw(&self, s: &TradeStats) -> i64 {
        let p = &self.params;
        let min_trades = p.get(KELLY_MIN_TRADES) / ONE;
        if i64::from(s.closed) < min_trades || s.closed == 0 {
            return p.get(KELLY_DEFAULT);
        }
        let closed = i64::from(s.closed);
        let wins = i64::from(s.wins.min(s.closed));
        let losses = closed - wins;
        if s.avg_win <= 0 {
            return i64::MIN; // f = −∞: clamped to size_min
        }
        let loss = s.avg_loss.max(0);
        let edge = dec::wide_mul(wins, s.avg_win) - dec::wide_mul(losses, loss);
        let fraction = p.get(KELLY_FRACTION);
        let num = match i64::try_from(edge) {
            Ok(e) => dec::wide_mul(e, fraction),
            Err(_) => edge * i128::from(fraction),
        };
        let den = dec::wide_mul(closed, s.avg_win);
        dec::div_round_i128(num, den, Rounding::Floor).map_or(i64::MIN, dec::saturate)
    }

    /// Kelly size clamped to [size_min, size_max].
    pub fn kelly(&self, s: &TradeStats) -> i64 {
        let p = &self.params;
        dec::clamp(self.kelly_raw(s), p.get(SIZE_MIN), p.get(SIZE_MAX))
    }

    /// (reduce, halt) from the account's drawdown.
    pub fn drawdown(&self, a: &Account) -> (bool, bool) {
        if a.peak_equity <= 0 || a.equity >= a.peak_equity {
            return (false, false);
        }
        let down =
            i64::try_from(i128::from(a.peak_equity) - i128::from(a.equity)).unwrap_or(i64::MAX);
        // down / peak ≥ threshold  ⇔  down × 1 ≥ threshold × peak (exact).
        let at = |t: i64| ge_products(down, ONE, t, a.peak_equity);
        (at(self.params.get(DD_REDUCE)), at(self.params.get(DD_HALT)))
    }

    /// The ATR multiplier of an ATR% value.
    pub fn atr_mult(&self, atr_pct: i64) -> i64 {
        let p = &self.params;
        if atr_pct < p.get(ATR_BAND_1) {
            p.get(ATR_MULT_1)
        } else if atr_pct < p.get(ATR_BAND_2) {
            p.get(ATR_MULT_2)
        } else if atr_pct < p.get(ATR_BAND_3) {
            p.get(ATR_MULT_3)
        } else {
            p.get(ATR_MULT_4)
        }
    }

    /// (stop, take-profit) for a long entered at the bar's close; (0, 0)
    /// when they cannot be computed.
    pub fn levels(&self, bar: &Bar) -> (i64, i64) {
        let f = &bar.features;
        let close = bar.candle.close;
        if !ready::has(f.ready, ready::ATR | ready::ATR_PCT) || f.atr <= 0 || close <= 0 {
            return (0, 0);
        }
        let p = &self.params;
        let dist = dec::mul(self.atr_mult(f.atr_pct), f.atr, Rounding::Floor);
        let cap = dec::mul(p.get(STOP_CAP), close, Rounding::Floor);
        let dist = dist.min(cap);
        if dist <= 0 {
            return (0, 0);
        }
        let tp = close.saturating_add(dec::mul(p.get(REWARD_RISK), dist, Rounding::Floor));
        (close - dist, tp)
    }

    /// Updates and returns the trailing stop for this bar.
    pub fn trailing(&mut self, bar: &Bar, a: &Account) -> i64 {
        if a.position_qty <= 0 || a.avg_entry <= 0 {
            self.in_position = false;
            self.highest = 0;
            self.trail = 0;
            return 0;
        }
        let close = bar.candle.close;
        if !self.in_position {
            self.in_position = true;
            self.highest = close;
            self.trail = 0;
        }
        self.highest = self.highest.max(close);
        let activation = ONE.saturating_add(self.params.get(TRAIL_ACTIVATION));
        if !ge_products(self.highest, ONE, a.avg_entry, activation) {
            return self.trail;
        }
        let f = &bar.features;
        let candidate = if ready::has(f.ready, ready::ATR) && f.atr > 0 {
            self.highest.saturating_sub(dec::mul(
                self.params.get(TRAIL_ATR_MULT),
                f.atr,
                Rounding::Floor,
            ))
        } else {
            a.avg_entry
        };
        self.trail = self.trail.max(candidate.max(a.avg_entry));
        self.trail
    }

    /// `assess`.
    pub fn assess(
        &mut self,
        bar: &Bar,
        confidence: &Confidence,
        account: &Account,
        stats: &TradeStats,
    ) -> Risk {
        let (stop_price, take_profit) = self.levels(bar);
        let trailing_stop = self.trailing(bar, account);
        let (reduce, halt) = self.drawdown(account);
        let mut size = dec::mul(
            self.kelly(stats),
            dec::unit(confidence.size_multiplier),
            Rounding::Floor,
        );
        if halt || stop_price == 0 {
            size = 0;
        } else if reduce {
            size = dec::mul(size, self.params.get(DD_REDUCE_FACTOR), Rounding::Floor);
        }
        Risk {
            size_fraction: size,
            stop_price,
            take_profit,
            trailing_stop,
            halt_entries: halt,
        }
    }

    /// `save-state`: magic `KRSK`, version 1, in-position (bool), highest
    /// close since entry (i64), trailing stop (i64).
    pub fn save_state(&self) -> Vec<u8> {
        let mut w = Writer::new(MAGIC, STATE_VERSION, 17);
        w.bool(self.in_position).i64(self.highest).i64(self.trail);
        w.finish()
    }

    /// `load-state`: on error nothing changes.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let mut r = Reader::new(bytes, MAGIC, STATE_VERSION)?;
        let in_position = r.bool("in_position")?;
        let highest = r.i64("highest")?;
        let trail = r.i64("trail")?;
        r.finish()?;
        if highest < 0 || trail < 0 || (!in_position && (highest != 0 || trail != 0)) {
            return Err(StateError::BadValue("highest/trail"));
        }
        self.in_position = in_position;
        self.highest = highest;
        self.trail = trail;
        Ok(())
    }
}
