//! The backtest's candle fill model: pure rules, no state.
//!
//! Every candle is assumed to trade **open → low → high → close** (the path
//! that is worst for a long position: its stop and any further buys are
//! reached before its target and its sells). So:
//! - a market order placed at the close of candle t fills at the open of
//!   candle t + 1, moved against it by the slippage (buys up, sells down,
//!   rounded onto the tick grid away from the trader), as taker;
//! - a buy limit at `p` fills when the low touches it (`low ≤ p`) at `p`, as
//!   maker; if the candle already opens at or below `p` it fills at the open
//!   as taker on the candle the order arrives in (it was marketable), at `p`
//!   as maker later (it rested on the book);
//! - a sell limit mirrors that with the high;
//! - a protective stop (a sell) triggers when the low touches it and fills
//!   at the stop minus the slippage, as taker; when the candle opens at or
//!   below the stop (a gap through it) it fills at the open minus the
//!   slippage: worse than the stop, as in the market;
//! - a take-profit (a sell) fills at its price as maker when the high
//!   touches it, at the open as taker when the candle opens above it;
//! - when both the stop and the target lie inside one candle, the stop
//!   fills first (the path reaches the low first) and the target is
//!   cancelled with the position.

use crate::indicators::candle::Candle;
use crate::num::{Price, Rounding};

/// Basis points in one (1 bp = 0.01 %).
pub const BPS: i128 = 10_000;

/// Who took liquidity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liquidity {
    /// Rested on the book (maker fee).
    Maker,
    /// Took liquidity (taker fee).
    Taker,
}

/// `price` moved against the trader by `bps` basis points and rounded onto
/// `tick` away from the trader (buys up, sells down). `bps` 0 leaves the
/// price as it is.
pub fn slipped(price: Price, bps: u32, buy: bool, tick: Price) -> Price {
    if bps == 0 {
        return price;
    }
    let num = if buy {
        BPS + i128::from(bps)
    } else {
        (BPS - i128::from(bps)).max(0)
    };
    let mode = if buy { Rounding::Up } else { Rounding::Down };
    let p = price.mul_ratio(num, BPS, mode).unwrap_or(price);
    let p = if tick.is_zero() {
        p
    } else {
        p.round_to(tick, mode).unwrap_or(p)
    };
    if p.is_zero() {
        tick.max(Price::from_units(1).unwrap_or(price))
    } else {
        p
    }
}

/// A market order at the candle's open.
pub fn market(c: &Candle, buy: bool, bps: u32, tick: Price) -> (Price, Liquidity) {
    (slipped(c.open, bps, buy, tick), Liquidity::Taker)
}

/// A buy limit at `p` when the candle opens (`first`: the order arrives with
/// this candle). `None` when the open does not reach it.
pub fn buy_limit_at_open(c: &Candle, p: Price, first: bool) -> Option<(Price, Liquidity)> {
    let at = if first {
        (c.open, Liquidity::Taker)
    } else {
        (p, Liquidity::Maker)
    };
    (c.open <= p).then_some(at)
}

/// A sell limit at `p` when the candle opens.
pub fn sell_limit_at_open(c: &Candle, p: Price, first: bool) -> Option<(Price, Liquidity)> {
    let at = if first {
        (c.open, Liquidity::Taker)
    } else {
        (p, Liquidity::Maker)
    };
    (c.open >= p).then_some(at)
}

/// A stop at `s` when the candle opens: a gap through it fills at the open.
pub fn stop_at_open(c: &Candle, s: Price, bps: u32, tick: Price) -> Option<(Price, Liquidity)> {
    (c.open <= s).then(|| (slipped(c.open, bps, false, tick), Liquidity::Taker))
}

/// A take-profit at `t` when the candle opens above it: at the open.
pub fn take_profit_at_open(c: &Candle, t: Price) -> Option<(Price, Liquidity)> {
    (c.open >= t).then_some((c.open, Liquidity::Taker))
}

/// A stop at `s` reached on the way down to the low.
pub fn stop_touched(c: &Candle, s: Price, bps: u32, tick: Price) -> Option<(Price, Liquidity)> {
    (c.low <= s).then(|| (slipped(s, bps, false, tick), Liquidity::Taker))
}

/// A buy limit at `p` reached on the way down to the low.
pub fn buy_limit_touched(c: &Candle, p: Price) -> Option<(Price, Liquidity)> {
    (c.low <= p).then_some((p, Liquidity::Maker))
}

/// A sell limit or take-profit at `p` reached on the way up to the high.
pub fn sell_touched(c: &Candle, p: Price) -> Option<(Price, Liquidity)> {
    (c.high >= p).then_some((p, Liquidity::Maker))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::candle::Timeframe;
    use crate::num::Wide;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    fn candle(o: &str, h: &str, l: &str, c: &str) -> Candle {
        Candle::new(0, Timeframe::M1, p(o), p(h), p(l), p(c), Wide::ZERO).unwrap()
    }

    #[test]
    fn slippage_moves_against_the_trader_onto_the_tick_grid() {
        let tick = p("0.01");
        // 100.005 × 1.0005 = 100.05500… → up to 100.06 for a buy.
        assert_eq!(slipped(p("100.005"), 5, true, tick), p("100.06"));
        // 100.005 × 0.9995 = 99.95499… → down to 99.95 for a sell.
        assert_eq!(slipped(p("100.005"), 5, false, tick), p("99.95"));
        assert_eq!(slipped(p("100.005"), 0, true, tick), p("100.005"));
    }

    #[test]
    fn a_gap_through_a_stop_fills_at_the_open_and_a_touch_at_the_stop() {
        let tick = p("0.01");
        let gap = candle("90", "95", "85", "92");
        assert_eq!(
            stop_at_open(&gap, p("95"), 0, tick),
            Some((p("90"), Liquidity::Taker))
        );
        let touch = candle("100", "101", "94", "99");
        assert_eq!(stop_at_open(&touch, p("95"), 0, tick), None);
        assert_eq!(
            stop_touched(&touch, p("95"), 0, tick),
            Some((p("95"), Liquidity::Taker))
        );
        assert_eq!(stop_touched(&touch, p("93.99"), 0, tick), None);
    }

    #[test]
    fn limits_fill_on_touch_at_their_price_and_marketable_ones_at_the_open() {
        let c = candle("100", "105", "96", "101");
        assert_eq!(
            buy_limit_touched(&c, p("96")),
            Some((p("96"), Liquidity::Maker))
        );
        assert_eq!(buy_limit_touched(&c, p("95.99")), None);
        assert_eq!(
            buy_limit_at_open(&c, p("100.5"), true),
            Some((p("100"), Liquidity::Taker))
        );
        assert_eq!(
            buy_limit_at_open(&c, p("100.5"), false),
            Some((p("100.5"), Liquidity::Maker))
        );
        assert_eq!(
            sell_touched(&c, p("105")),
            Some((p("105"), Liquidity::Maker))
        );
        assert_eq!(
            sell_limit_at_open(&c, p("99"), true),
            Some((p("100"), Liquidity::Taker))
        );
        assert_eq!(
            take_profit_at_open(&c, p("99")),
            Some((p("100"), Liquidity::Taker))
        );
        assert_eq!(take_profit_at_open(&c, p("101")), None);
    }
}
