//! Regime presets, entries, exits and DCA safety orders.
//!
//! **Presets** (`PRESETS`, indexed by regime):
//!
//! | regime | style | entry rule (needs its ready bits) | min score | size × | stop × | take-profit × | DCA orders | spacing | size scale |
//! |---|---|---|---|---|---|---|---|---|---|
//! | strong-trend | trend following with breakouts | EMA fast > EMA slow and close > previous candle's high | 0.50 | 1.0 | 1.0 | 1.5 | 1 | 3 % | 1.0 |
//! | volatile-trend | trend with caution | same breakout | 0.60 | 0.5 | 1.0 | 1.0 | 1 | 4 % | 1.0 |
//! | tight-range | mean reversion / grid | close < SMA and RSI < 45 | 0.50 | 0.75 | 0.75 | 0.75 | 3 | 1 % | 1.0 (grid) |
//! | choppy | mean reversion, smaller | close < SMA and RSI < 40 | 0.60 | 0.5 | 0.75 | 0.75 | 2 | 2 % | 1.5 |
//! | transitional | conservative | EMA fast > EMA slow | `transitional_min_score` (0.80) | 0.5 | 1.0 | 1.0 | 0 | – | – |
//!
//! Stop multipliers are at most 1 so the risk plugin's 5 % stop cap holds.
//! "Previous candle" is the last candle seen on the same contiguous run
//! (`run-len` ≥ 2); after a gap there is no breakout until a new candle.
//!
//! **Entry** (account flat, no entry pending, no open orders): the risk
//! plugin allows it (`halt-entries` false, `size-fraction` > 0, stop below
//! and take-profit above the close), the confidence's size multiplier is
//! above 0 and its score at least the preset's minimum, and the preset's
//! rule holds. Then:
//! - quantity = size-fraction × equity ÷ close × preset size, rounded down
//!   to 1e-8 (one division), and at most free-quote ÷ close (rounded down);
//! - stop = close − (close − risk stop) × stop×; take-profit = close +
//!   (risk take-profit − close) × take-profit× (distances rounded down);
//! - intents: `buy-market` (tag 0) with that stop and take-profit, then one
//!   `buy-limit` per DCA level k = 1..n at close × (1 − spacing × k)
//!   (rounded down), quantity × scale^(k−1) (each step rounded down), tag k
//!   — levels at or below the stop are left out.
//!
//! **Exit** (account long, no exit pending): `sell-market` of the whole
//! position when close ≤ stop (tag [`TAG_EXIT_STOP`]), else close ≤ the risk
//! plugin's trailing stop when it is > 0 ([`TAG_EXIT_TRAILING`]), else close
//! ≥ take-profit ([`TAG_EXIT_TAKE_PROFIT`]); preceded by `cancel-all` when
//! orders are open (the remaining DCA limits). The stop and take-profit are
//! those set at entry; a position the strategy did not open (or whose state
//! was lost) adopts levels from this bar's risk output around its
//! avg-entry with the current preset's multipliers. A flat account gets no
//! exits; a flat account with open orders and no entry pending gets
//! `cancel-all`.
//!
//! **Pending**: after an entry (or exit) intent the strategy waits up to
//! `pending_candles` (3) candles for the position to appear (or vanish)
//! before it may act again, so a slow fill does not double an order.
//!
//! **Fills** (`on-fill`): a buy with tag 0 ends the pending entry and
//! records the entry price (avg-entry when known, else the fill price); a
//! buy with tag k ≥ 1 marks DCA level k filled; a sell that leaves the
//! account flat clears the position state. DCA fills do not move the stop
//! or take-profit.

use kairos_plugin_sdk::dec::{self, Rounding, ONE};
use kairos_plugin_sdk::model::{
    Account, Bar, Confidence, Fill, Intent, IntentKind, RegimeKind, Risk, Side,
};
use kairos_plugin_sdk::params::{ParamError, ParamSpec, Params};
use kairos_plugin_sdk::ready;
use kairos_plugin_sdk::state::{Reader, StateError, Writer};

use alloc::vec::Vec;

/// Plugin name for `describe`.
pub const NAME: &str = "strategy-adaptive";
/// Plugin version for `describe`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Tag of the market entry.
pub const TAG_ENTRY: u32 = 0;
/// Tag of an exit at the stop.
pub const TAG_EXIT_STOP: u32 = 1001;
/// Tag of an exit at the take-profit.
pub const TAG_EXIT_TAKE_PROFIT: u32 = 1002;
/// Tag of an exit at the trailing stop.
pub const TAG_EXIT_TRAILING: u32 = 1003;

/// Most DCA safety orders of any preset.
pub const MAX_DCA: usize = 4;
/// Most intents one candle can produce: cancel-all or entry, plus DCA.
pub const MAX_INTENTS: usize = 2 + MAX_DCA;

/// How a preset enters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryRule {
    /// EMA fast > EMA slow and close > the previous candle's high.
    Breakout,
    /// close < SMA and RSI below the given level (e8).
    MeanReversion(i64),
    /// EMA fast > EMA slow.
    TrendUp,
}

/// One regime's preset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    /// The style, for documentation.
    pub style: &'static str,
    /// Entry rule.
    pub entry: EntryRule,
    /// Minimum confidence score (e8); transitional uses its parameter.
    pub min_score: i64,
    /// Position-size multiplier (e8).
    pub size: i64,
    /// Stop-distance multiplier (e8).
    pub stop: i64,
    /// Take-profit-distance multiplier (e8).
    pub take_profit: i64,
    /// Number of DCA safety orders.
    pub dca_orders: u32,
    /// Spacing between safety orders, a fraction of the entry (e8).
    pub dca_spacing: i64,
    /// Size of each safety order relative to the previous one (e8).
    pub dca_scale: i64,
}

/// The presets in WIT regime order (strong-trend, volatile-trend,
/// tight-range, choppy, transitional).
pub static PRESETS: [Preset; 5] = [
    Preset {
        style: "trend following with breakouts",
        entry: EntryRule::Breakout,
        min_score: 50_000_000,
        size: ONE,
        stop: ONE,
        take_profit: 150_000_000,
        dca_orders: 1,
        dca_spacing: 3_000_000,
        dca_scale: ONE,
    },
    Preset {
        style: "trend with caution",
        entry: EntryRule::Breakout,
        min_score: 60_000_000,
        size: 50_000_000,
        stop: ONE,
        take_profit: ONE,
        dca_orders: 1,
        dca_spacing: 4_000_000,
        dca_scale: ONE,
    },
    Preset {
        style: "mean reversion / grid",
        entry: EntryRule::MeanReversion(45 * ONE),
        min_score: 50_000_000,
        size: 75_000_000,
        stop: 75_000_000,
        take_profit: 75_000_000,
        dca_orders: 3,
        dca_spacing: 1_000_000,
        dca_scale: ONE,
    },
    Preset {
        style: "mean reversion, smaller",
        entry: EntryRule::MeanReversion(40 * ONE),
        min_score: 60_000_000,
        size: 50_000_000,
        stop: 75_000_000,
        take_profit: 75_000_000,
        dca_orders: 2,
        dca_spacing: 2_000_000,
        dca_scale: 150_000_000,
    },
    Preset {
        style: "conservative",
        entry: EntryRule::TrendUp,
        min_score: 80_000_000,
        size: 50_000_000,
        stop: ONE,
        take_profit: ONE,
        dca_orders: 0,
        dca_spacing: 0,
        dca_scale: ONE,
    },
];

/// Index of `transitional_min_score`.
pub const TRANSITIONAL_MIN_SCORE: usize = 0;
/// Index of `dca_enabled`.
pub const DCA_ENABLED: usize = 1;
/// Index of `pending_candles`.
pub const PENDING_CANDLES: usize = 2;

/// The parameters.
pub static SPECS: [ParamSpec; 3] = [
    ParamSpec {
        name: "transitional_min_score",
        default: 80_000_000,
        min: 0,
        max: ONE,
        integer: false,
        description: "confidence score needed to enter in the transitional regime (seed: 0.80)",
    },
    ParamSpec {
        name: "dca_enabled",
        default: ONE,
        min: 0,
        max: ONE,
        integer: true,
        description: "1: place the preset's DCA safety orders with each entry; 0: none",
    },
    ParamSpec {
        name: "pending_candles",
        default: 3 * ONE,
        min: ONE,
        max: 100 * ONE,
        integer: true,
        description:
            "candles to wait for an entry or exit to show in the account before acting again",
    },
];

const MAGIC: [u8; 4] = *b"KSTR";
const STATE_VERSION: u16 = 1;

/// Up to [`MAX_INTENTS`] intents, without heap allocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Intents {
    buf: [Intent; MAX_INTENTS],
    len: usize,
}

impl Intents {
    fn push(&mut self, i: Intent) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = i;
            self.len += 1;
        }
    }
    /// The intents in order.
    pub fn as_slice(&self) -> &[Intent] {
        &self.buf[..self.len]
    }
}

/// The strategy: parameters and position state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strategy {
    params: Params<3>,
    prev_high: i64,
    has_prev: bool,
    in_position: bool,
    entry_price: i64,
    stop: i64,
    take_profit: i64,
    entry_regime: u8,
    dca_placed: u8,
    dca_filled: u32,
    entry_pending: u8,
    exit_pending: u8,
}

impl Default for Strategy {
    fn default() -> Self {
        Strategy::new()
    }
}

fn check(_: &Params<3>) -> Result<(), &'static str> {
    Ok(())
}

/// `base − (close − risk_stop) × mult`, `base + (risk_tp − close) × mult`;
/// (0, 0) when the risk levels are not usable.
fn scaled_levels(base: i64, close: i64, risk: &Risk, p: &Preset) -> (i64, i64) {
    if risk.stop_price <= 0 || risk.stop_price >= close || risk.take_profit <= close {
        return (0, 0);
    }
    let sd = dec::mul(close - risk.stop_price, p.stop, Rounding::Floor);
    let td = dec::mul(
        risk.take_profit.saturating_sub(close),
        p.take_profit,
        Rounding::Floor,
    );
    let stop = base.saturating_sub(sd);
    if stop <= 0 {
        return (0, 0);
    }
    (stop, base.saturating_add(td))
}

impl Strategy {
    /// Default parameters, flat.
    pub const fn new() -> Strategy {
        Strategy {
            params: Params::new(&SPECS),
            prev_high: 0,
            has_prev: false,
            in_position: false,
            entry_price: 0,
            stop: 0,
            take_profit: 0,
            entry_regime: RegimeKind::Transitional.index(),
            dca_placed: 0,
            dca_filled: 0,
            entry_pending: 0,
            exit_pending: 0,
        }
    }

    /// The parameter table.
    pub fn params(&self) -> &Params<3> {
        &self.params
    }

    /// `set-param`.
    pub fn set_param(&mut self, name: &str, value: i64) -> Result<(), ParamError> {
        self.params.set(name, value, check)
    }

    /// (stop, take-profit) of the open position (0 when none).
    pub fn levels(&self) -> (i64, i64) {
        (self.stop, self.take_profit)
    }

    /// Bit k−1 set: DCA level k filled.
    pub fn dca_filled(&self) -> u32 {
        self.dca_filled
    }

    /// The entry price recorded from the entry fill (0 before).
    pub fn entry_price(&self) -> i64 {
        self.entry_price
    }

    fn min_score(&self, kind: RegimeKind, p: &Preset) -> i64 {
        if kind == RegimeKind::Transitional {
            self.params.get(TRANSITIONAL_MIN_SCORE)
        } else {
            p.min_score
        }
    }

    fn entry_rule_holds(&self, bar: &Bar, p: &Preset) -> bool {
        let f = &bar.features;
        let close = bar.candle.close;
        let trend_up =
            ready::has(f.ready, ready::EMA_FAST | ready::EMA_SLOW) && f.ema_fast > f.ema_slow;
        match p.entry {
            EntryRule::Breakout => {
                trend_up && self.has_prev && bar.run_len >= 2 && close > self.prev_high
            }
            EntryRule::TrendUp => trend_up,
            EntryRule::MeanReversion(rsi_below) => {
                ready::has(f.ready, ready::SMA | ready::RSI) && close < f.sma && f.rsi < rsi_below
            }
        }
    }

    fn clear_position(&mut self) {
        self.in_position = false;
        self.entry_price = 0;
        self.stop = 0;
        self.take_profit = 0;
        self.dca_placed = 0;
        self.dca_filled = 0;
        self.exit_pending = 0;
    }

    fn pending_candles(&self) -> u8 {
        u8::try_from(self.params.get(PENDING_CANDLES) / ONE).unwrap_or(u8::MAX)
    }

    /// `on-candle`.
    pub fn on_candle(
        &mut self,
        bar: &Bar,
        regime: RegimeKind,
        conf: &Confidence,
        risk: &Risk,
        a: &Account,
    ) -> Intents {
        let mut out = Intents::default();
        let preset = &PRESETS[usize::from(regime.index()) % PRESETS.len()];
        let close = bar.candle.close;
        if a.position_qty > 0 {
            self.entry_pending = 0;
            self.in_position = true;
            if self.stop == 0 && self.take_profit == 0 {
                let base = if a.avg_entry > 0 { a.avg_entry } else { close };
                let (s, t) = scaled_levels(base, close, risk, preset);
                self.stop = s;
                self.take_profit = t;
                self.entry_regime = regime.index();
            }
            if self.exit_pending > 0 {
                self.exit_pending -= 1;
            } else {
                let reason = if self.stop > 0 && close <= self.stop {
                    Some(TAG_EXIT_STOP)
                } else if risk.trailing_stop > 0 && close <= risk.trailing_stop {
                    Some(TAG_EXIT_TRAILING)
                } else if self.take_profit > 0 && close >= self.take_profit {
                    Some(TAG_EXIT_TAKE_PROFIT)
                } else {
                    None
                };
                if let Some(tag) = reason {
                    if a.open_orders > 0 {
                        out.push(Intent {
                            kind: IntentKind::CancelAll,
                            ..Intent::default()
                        });
                    }
                    out.push(Intent {
                        kind: IntentKind::SellMarket,
                        qty: a.position_qty,
                        tag,
                        ..Intent::default()
                    });
                    self.exit_pending = self.pending_candles();
                }
            }
        } else {
            if self.in_position {
                self.clear_position();
            }
            if self.entry_pending > 0 {
                self.entry_pending -= 1;
            } else if a.open_orders > 0 {
                out.push(Intent {
                    kind: IntentKind::CancelAll,
                    ..Intent::default()
                });
            } else {
                self.try_enter(bar, regime, preset, conf, risk, a, &mut out);
            }
        }
        self.prev_high = bar.candle.high;
        self.has_prev = true;
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn try_enter(
        &mut self,
        bar: &Bar,
        regime: RegimeKind,
        p: &Preset,
        conf: &Confidence,
        risk: &Risk,
        a: &Account,
        out: &mut Intents,
    ) {
        let close = bar.candle.close;
        if close <= 0 || a.equity <= 0 || risk.halt_entries || risk.size_fraction <= 0 {
            return;
        }
        if conf.size_multiplier <= 0
            || conf.score < self.min_score(regime, p)
            || !self.entry_rule_holds(bar, p)
        {
            return;
        }
        let (stop, tp) = scaled_levels(close, close, risk, p);
        if stop == 0 {
            return;
        }
        let num =
            i128::from(dec::unit(risk.size_fraction)) * i128::from(a.equity) * i128::from(p.size);
        let den = i128::from(close) * i128::from(ONE);
        let qty = dec::div_round_i128(num, den, Rounding::Floor).map_or(0, dec::saturate);
        let affordable = dec::div(a.free_quote.max(0), close, Rounding::Floor).unwrap_or(0);
        let qty = qty.min(affordable);
        if qty <= 0 {
            return;
        }
        out.push(Intent {
            kind: IntentKind::BuyMarket,
            qty,
            price: 0,
            stop_price: stop,
            take_profit: tp,
            tag: TAG_ENTRY,
        });
        let mut placed = 0u8;
        if self.params.get(DCA_ENABLED) != 0 {
            let mut q = qty;
            for k in 1..=p.dca_orders.min(MAX_DCA as u32) {
                let off = ONE.saturating_sub(p.dca_spacing.saturating_mul(i64::from(k)));
                let price = dec::mul(close, off, Rounding::Floor);
                if k > 1 {
                    q = dec::mul(q, p.dca_scale, Rounding::Floor);
                }
                if price > stop && q > 0 {
                    out.push(Intent {
                        kind: IntentKind::BuyLimit,
                        qty: q,
                        price,
                        stop_price: stop,
                        take_profit: tp,
                        tag: k,
                    });
                    placed += 1;
                }
            }
        }
        self.entry_pending = self.pending_candles();
        self.entry_price = close;
        self.stop = stop;
        self.take_profit = tp;
        self.entry_regime = regime.index();
        self.dca_placed = placed;
        self.dca_filled = 0;
    }

    /// `on-fill`.
    pub fn on_fill(&mut self, fill: &Fill, a: &Account) {
        match fill.side {
            Side::Buy if fill.tag == TAG_ENTRY => {
                self.entry_pending = 0;
                self.in_position = true;
                self.entry_price = if a.avg_entry > 0 {
                    a.avg_entry
                } else {
                    fill.price
                };
            }
            Side::Buy => {
                if (1..=MAX_DCA as u32).contains(&fill.tag) {
                    self.dca_filled |= 1 << (fill.tag - 1);
                }
            }
            Side::Sell => {
                if a.position_qty <= 0 {
                    self.clear_position();
                }
            }
        }
    }

    /// `save-state`: magic `KSTR`, version 1, then prev-high (i64),
    /// has-prev (bool), in-position (bool), entry price, stop, take-profit
    /// (i64 each), entry regime (u8, WIT order), DCA placed (u8), DCA
    /// filled (u32 bitmask), entry pending, exit pending (u8 candles).
    pub fn save_state(&self) -> Vec<u8> {
        let mut w = Writer::new(MAGIC, STATE_VERSION, 44);
        w.i64(self.prev_high)
            .bool(self.has_prev)
            .bool(self.in_position)
            .i64(self.entry_price)
            .i64(self.stop)
            .i64(self.take_profit)
            .u8(self.entry_regime)
            .u8(self.dca_placed)
            .u32(self.dca_filled)
            .u8(self.entry_pending)
            .u8(self.exit_pending);
        w.finish()
    }

    /// `load-state`: on error nothing changes.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let mut r = Reader::new(bytes, MAGIC, STATE_VERSION)?;
        let prev_high = r.i64("prev_high")?;
        let has_prev = r.bool("has_prev")?;
        let in_position = r.bool("in_position")?;
        let entry_price = r.i64("entry_price")?;
        let stop = r.i64("stop")?;
        let take_profit = r.i64("take_profit")?;
        let entry_regime = r.u8("entry_regime")?;
        let dca_placed = r.u8("dca_placed")?;
        let dca_filled = r.u32("dca_filled")?;
        let entry_pending = r.u8("entry_pending")?;
        let exit_pending = r.u8("exit_pending")?;
        r.finish()?;
        if RegimeKind::from_index(entry_regime).is_none() {
            return Err(StateError::BadValue("entry_regime"));
        }
        if usize::from(dca_placed) > MAX_DCA || dca_filled >> MAX_DCA != 0 {
            return Err(StateError::BadValue("dca"));
        }
        if prev_high < 0 || entry_price < 0 || stop < 0 || take_profit < 0 {
            return Err(StateError::BadValue("price"));
        }
        *self = Strategy {
            params: self.params.clone(),
            prev_high,
            has_prev,
            in_position,
            entry_price,
            stop,
            take_profit,
            entry_regime,
            dca_placed,
            dca_filled,
            entry_pending,
            exit_pending,
        };
        Ok(())
    }
}
