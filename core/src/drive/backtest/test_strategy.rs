//! **Temporary**: a built-in test strategy for `kairos backtest` until the
//! plugin chain implements [`Decide`]. It exists so that the backtester can
//! be run, swept and measured end to end; it is not a trading strategy of
//! kairos and the CLI only uses it when asked by name
//! (`--builtin-test-strategy sma-cross`).
//!
//! Rules: long when SMA(fast) of the close crosses above SMA(slow) and the
//! symbol is flat, market buy of `size` × free quote (at most `max_notional`
//! quote), protective stop `stop_atr` × ATR(14) below the close and target
//! `tp_atr` × ATR above it (no stop before ATR is warm: the core then
//! forces one); market sell of the whole position when SMA(fast) crosses
//! below SMA(slow). Its SMAs restart after a gap, like the engine's
//! indicators. Its regime label follows the seed's five-regime rule on the
//! engine's ADX, ATR% and Bollinger width.

use crate::binance::fast::Symbol;
use crate::binance::types::Side;
use crate::engine::{
    Action, Actions, CandleView, Decide, MarketView, OrderIntent, OrderKind, RegimeKind,
};
use crate::indicators::features::Feature;
use crate::indicators::Fx;
use crate::num::{Amount, Price, Qty, Rounding, Wide, SCALE};

/// The parameters the strategy takes (`name`: meaning, default), values scaled 10⁻⁸.
pub const PARAMS: [(&str, &str, i64); 6] = [
    ("fast", "fast SMA length, candles", 20 * SCALE),
    ("slow", "slow SMA length, candles", 50 * SCALE),
    ("stop_atr", "stop distance in ATRs", 2 * SCALE),
    ("tp_atr", "target distance in ATRs", 4 * SCALE),
    ("size", "fraction of free quote per entry", 95_000_000),
    ("max_notional", "largest entry, quote", 9_000 * SCALE),
];
/// Longest SMA the strategy keeps, candles.
pub const MAX_SMA: usize = 10_000;
/// Symbols it tracks at most.
pub const MAX_TRACKED: usize = crate::engine::MAX_SYMBOLS;

struct Track {
    symbol: Symbol,
    closes: Vec<i64>,
    next: usize,
    filled: usize,
    last_open_ms: i64,
    sum_fast: i128,
    sum_slow: i128,
    prev_diff: i32,
    regime: Option<RegimeKind>,
}

/// The built-in SMA-cross test strategy (see the module docs).
pub struct SmaCrossTest {
    fast: usize,
    slow: usize,
    stop_atr: i64,
    tp_atr: i64,
    size: i64,
    max_notional: i64,
    tracks: Vec<Track>,
}

impl SmaCrossTest {
    /// From `(name, value × 10⁸)` pairs; unnamed parameters keep their
    /// defaults, lengths are clamped to `1..=MAX_SMA` (and fast < slow).
    pub fn from_params(params: &[(String, i64)]) -> SmaCrossTest {
        let get = |n: &str| {
            params
                .iter()
                .find(|(k, _)| k == n)
                .map(|p| p.1)
                .or_else(|| PARAMS.iter().find(|p| p.0 == n).map(|p| p.2))
                .unwrap_or(0)
        };
        let len = |v: i64| ((v / SCALE).max(1) as usize).min(MAX_SMA);
        let slow = len(get("slow")).max(2);
        SmaCrossTest {
            fast: len(get("fast")).min(slow - 1),
            slow,
            stop_atr: get("stop_atr").max(0),
            tp_atr: get("tp_atr").max(0),
            size: get("size").clamp(0, SCALE),
            max_notional: get("max_notional").max(0),
            tracks: Vec::with_capacity(MAX_TRACKED),
        }
    }

    /// Whether `name` is one of [`PARAMS`].
    pub fn knows(name: &str) -> bool {
        PARAMS.iter().any(|p| p.0 == name)
    }

    fn track(&mut self, symbol: Symbol) -> Option<&mut Track> {
        let i = match self.tracks.iter().position(|t| t.symbol == symbol) {
            Some(i) => i,
            None if self.tracks.len() < MAX_TRACKED => {
                self.tracks.push(Track {
                    symbol,
                    closes: vec![0; self.slow],
                    next: 0,
                    filled: 0,
                    last_open_ms: i64::MIN,
                    sum_fast: 0,
                    sum_slow: 0,
                    prev_diff: 0,
                    regime: None,
                });
                self.tracks.len() - 1
            }
            None => return None,
        };
        Some(&mut self.tracks[i])
    }
}

fn regime_of(v: &CandleView) -> Option<RegimeKind> {
    let adx = v.features.get(Feature::Adx)?;
    let atr = v.features.get(Feature::AtrPct)?;
    let bbw = v.features.get(Feature::BbWidth)?;
    let n = |x: i32| Fx::from_num(x);
    Some(if adx > n(25) {
        if atr < Fx::from_num(3) / n(100) {
            RegimeKind::StrongTrend
        } else {
            RegimeKind::VolatileTrend
        }
    } else if adx < n(20) {
        if bbw < Fx::from_num(1) / n(100) {
            RegimeKind::TightRange
        } else {
            RegimeKind::Choppy
        }
    } else {
        RegimeKind::Transitional
    })
}

fn fx_price(x: Fx) -> Option<Price> {
    let u = (x * Fx::from_num(SCALE)).to_num::<i64>();
    Price::from_units(u).ok()
}

impl Decide for SmaCrossTest {
    fn on_market(&mut self, _view: &MarketView, _out: &mut Actions) {}

    fn on_candle(&mut self, v: &CandleView, out: &mut Actions) {
        let (fast, slow) = (self.fast, self.slow);
        let (stop_atr, tp_atr, size, max_notional) =
            (self.stop_atr, self.tp_atr, self.size, self.max_notional);
        let regime = regime_of(v);
        let Some(t) = self.track(v.symbol) else {
            return;
        };
        t.regime = regime;
        let c = v.candle;
        if t.last_open_ms.checked_add(c.timeframe.ms()) != Some(c.open_time_ms) {
            t.filled = 0;
            t.next = 0;
            t.prev_diff = 0;
            t.sum_fast = 0;
            t.sum_slow = 0;
        }
        t.last_open_ms = c.open_time_ms;
        // Running sums: the oldest close leaves each window as the new one enters.
        let x = i128::from(c.close.units());
        if t.filled == slow {
            t.sum_slow -= i128::from(t.closes[t.next]);
        }
        if t.filled >= fast {
            t.sum_fast -= i128::from(t.closes[(t.next + slow - fast) % slow]);
        }
        t.sum_slow += x;
        t.sum_fast += x;
        t.closes[t.next] = c.close.units();
        t.next = (t.next + 1) % slow;
        t.filled = (t.filled + 1).min(slow);
        if t.filled < slow {
            return;
        }
        // SMA(fast) vs SMA(slow), exactly: fast_sum × slow vs slow_sum × fast.
        let lhs = t.sum_fast * slow as i128;
        let rhs = t.sum_slow * fast as i128;
        let diff = (lhs > rhs) as i32 - (lhs < rhs) as i32;
        let prev = std::mem::replace(&mut t.prev_diff, diff);
        let flat = v.account.position_qty.is_zero();
        if prev <= 0 && diff > 0 && flat && v.account.open_orders == 0 {
            let budget = v
                .account
                .free_quote
                .mul_ratio(i128::from(size), i128::from(SCALE), Rounding::Down)
                .unwrap_or(Wide::ZERO)
                .min(Wide::from(Amount::from_units_unchecked(max_notional)));
            let Ok(budget) = budget.to_amount() else {
                return;
            };
            let Ok(qty) = budget.div_price(c.close, Rounding::Down) else {
                return;
            };
            if qty.is_zero() {
                return;
            }
            let atr = v.features.get(Feature::Atr).and_then(fx_price);
            let off = |k: i64| {
                atr.and_then(|a| {
                    a.mul_ratio(i128::from(k), i128::from(SCALE), Rounding::Down)
                        .ok()
                })
            };
            let stop = off(stop_atr)
                .filter(|d| !d.is_zero() && *d < c.close)
                .and_then(|d| c.close.checked_sub(d).ok());
            let take_profit = off(tp_atr)
                .filter(|d| !d.is_zero())
                .and_then(|d| c.close.checked_add(d).ok());
            out.push(Action::Intent(OrderIntent {
                symbol: v.symbol,
                side: Side::Buy,
                kind: OrderKind::Market,
                qty,
                price: c.close,
                stop,
                take_profit,
                tag: 1,
            }));
        } else if prev >= 0 && diff < 0 && !flat {
            let Ok(units) = i64::try_from(v.account.position_qty.units()) else {
                return;
            };
            let Ok(qty) = Qty::from_units(units) else {
                return;
            };
            out.push(Action::Intent(OrderIntent {
                symbol: v.symbol,
                side: Side::Sell,
                kind: OrderKind::Market,
                qty,
                price: c.close,
                stop: None,
                take_profit: None,
                tag: 2,
            }));
        }
    }

    fn regime(&self, symbol: &Symbol) -> Option<RegimeKind> {
        self.tracks.iter().find(|t| t.symbol == *symbol)?.regime
    }
}
