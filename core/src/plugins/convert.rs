//! Engine types → WIT records, and WIT intents → engine actions.
//!
//! Numbers. A WIT `decimal` is an `s64` scaled 1e-8, the same scale as
//! [`crate::num`]: prices and quantities pass unchanged. Wider values
//! ([`Wide`] volumes, balances) saturate to the `s64` range. Binary
//! fixed-point features ([`Fx`], I64F64) are multiplied by 10^8 and
//! **truncated toward zero** (so −0.000000009 becomes 0, never −1e-8), then
//! saturated to the `s64` range. No conversion allocates.

use super::bindings::types;
use crate::binance::fast::Level;
use crate::binance::types::Side;
use crate::engine::{
    AccountView, Action, CandleView, FillView, MarketView, OrderIntent, OrderKind,
};
use crate::engine::{PredictionView, RegimeKind, TradeView};
use crate::indicators::candle::{Candle, Timeframe};
use crate::indicators::features::{Feature, FeatureVector};
use crate::indicators::Fx;
use crate::num::{Price, Qty, Wide, SCALE};

/// 10^8 as an [`Fx`].
const FX_SCALE: Fx = Fx::const_from_int(SCALE as i128);

/// An [`Fx`] as a decimal scaled 1e-8, truncated toward zero, saturating.
#[inline]
pub fn fx_e8(v: Fx) -> i64 {
    v.saturating_mul(FX_SCALE)
        .round_to_zero()
        .saturating_to_num::<i64>()
}

/// A [`Wide`] as an `s64` decimal, saturating.
#[inline]
pub fn wide_e8(v: Wide) -> i64 {
    i64::try_from(v.units()).unwrap_or(if v.units() < 0 { i64::MIN } else { i64::MAX })
}

/// The WIT timeframe.
pub fn timeframe(t: Timeframe) -> types::Timeframe {
    match t {
        Timeframe::M1 => types::Timeframe::M1,
        Timeframe::M5 => types::Timeframe::M5,
        Timeframe::M15 => types::Timeframe::M15,
        Timeframe::H1 => types::Timeframe::H1,
        Timeframe::H4 => types::Timeframe::H4,
    }
}

/// The WIT candle.
#[inline]
pub fn candle(c: &Candle) -> types::Candle {
    types::Candle {
        open_time_ms: c.open_time_ms,
        open: c.open.units(),
        high: c.high.units(),
        low: c.low.units(),
        close: c.close.units(),
        volume: wide_e8(c.volume),
    }
}

/// The WIT features (`ready` keeps the engine's bit order, which is the
/// record's field order).
#[inline]
pub fn features(f: &FeatureVector) -> types::Features {
    let v = |k: Feature| fx_e8(f.values[k.index()]);
    types::Features {
        ready: f.ready,
        atr: v(Feature::Atr),
        atr_pct: v(Feature::AtrPct),
        adx: v(Feature::Adx),
        plus_di: v(Feature::PlusDi),
        minus_di: v(Feature::MinusDi),
        bb_width: v(Feature::BbWidth),
        rsi: v(Feature::Rsi),
        macd: v(Feature::Macd),
        macd_signal: v(Feature::MacdSignal),
        macd_hist: v(Feature::MacdHist),
        sma: v(Feature::Sma),
        ema_fast: v(Feature::EmaFast),
        ema_slow: v(Feature::EmaSlow),
        volume_ratio: v(Feature::VolumeRatio),
        support_distance: v(Feature::SupportDistance),
        resistance_distance: v(Feature::ResistanceDistance),
    }
}

/// The WIT bar of a candle view.
#[inline]
pub fn bar(view: &CandleView) -> types::Bar {
    types::Bar {
        timeframe: timeframe(view.candle.timeframe),
        candle: candle(&view.candle),
        features: features(&view.features),
        run_len: view.features.run_len,
    }
}

/// The higher timeframes' trend votes, placed by timeframe (a timeframe the
/// view does not aggregate into votes 0).
#[inline]
pub fn trend(view: &CandleView) -> types::TrendVotes {
    let mut t = types::TrendVotes {
        m5: 0,
        m15: 0,
        h1: 0,
        h4: 0,
    };
    for (tf, vote) in view.higher.iter().zip(view.trend) {
        match tf {
            Some(Timeframe::M5) => t.m5 = vote,
            Some(Timeframe::M15) => t.m15 = vote,
            Some(Timeframe::H1) => t.h1 = vote,
            Some(Timeframe::H4) => t.h4 = vote,
            Some(Timeframe::M1) | None => {}
        }
    }
    t
}

/// The WIT prediction at `now_ns` (`valid` false when there is none).
#[inline]
pub fn prediction(p: &PredictionView, now_ns: u64) -> types::Prediction {
    types::Prediction {
        valid: p.made_ns != 0,
        age_ms: now_ns.saturating_sub(p.made_ns) / 1_000_000,
        expected_return: p.expected_return_e8,
        prob_up: p.prob_up_e8,
    }
}

/// The WIT account.
#[inline]
pub fn account(a: &AccountView) -> types::Account {
    types::Account {
        position_qty: wide_e8(a.position_qty),
        avg_entry: a.avg_entry.units(),
        equity: wide_e8(a.equity),
        peak_equity: wide_e8(a.peak_equity),
        free_quote: wide_e8(a.free_quote),
        open_orders: a.open_orders,
    }
}

/// The WIT trade statistics.
#[inline]
pub fn trade_stats(a: &AccountView) -> types::TradeStats {
    types::TradeStats {
        closed: a.closed_trades,
        wins: a.wins,
        avg_win: a.avg_win_e8,
        avg_loss: a.avg_loss_e8,
    }
}

fn level(l: Option<Level>) -> (i64, i64) {
    l.map(|l| (l.price.units(), l.qty.units()))
        .unwrap_or((0, 0))
}

/// The WIT top of book (a missing side is price and quantity 0).
#[inline]
pub fn top_of_book(v: &MarketView) -> types::TopOfBook {
    let (bid_price, bid_qty) = level(v.best_bid);
    let (ask_price, ask_qty) = level(v.best_ask);
    types::TopOfBook {
        time_ns: v.now_ns,
        bid_price,
        bid_qty,
        ask_price,
        ask_qty,
    }
}

/// The WIT trade.
#[inline]
pub fn trade(t: &TradeView) -> types::Trade {
    types::Trade {
        time_ns: t.now_ns,
        price: t.price.units(),
        qty: t.qty.units(),
        buyer_is_maker: t.buyer_is_maker,
    }
}

/// The WIT fill.
#[inline]
pub fn fill(f: &FillView) -> types::Fill {
    types::Fill {
        time_ns: f.now_ns,
        side: match f.side {
            Side::Buy => types::Side::Buy,
            Side::Sell => types::Side::Sell,
        },
        price: f.price.units(),
        qty: f.qty.units(),
        fee_quote: wide_e8(f.fee_quote),
        tag: f.tag,
    }
}

/// The engine's regime kind.
pub fn regime_kind(k: types::RegimeKind) -> RegimeKind {
    match k {
        types::RegimeKind::StrongTrend => RegimeKind::StrongTrend,
        types::RegimeKind::VolatileTrend => RegimeKind::VolatileTrend,
        types::RegimeKind::TightRange => RegimeKind::TightRange,
        types::RegimeKind::Choppy => RegimeKind::Choppy,
        types::RegimeKind::Transitional => RegimeKind::Transitional,
    }
}

/// Why an intent was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadIntent {
    /// Quantity zero or negative.
    Qty,
    /// Limit price zero or negative, or a market order with no reference
    /// price (an empty book side).
    Price,
    /// Negative stop or take-profit.
    Level,
}

/// Whether an intent opens or adds to a (spot, long) position.
pub fn is_entry(k: types::IntentKind) -> bool {
    matches!(
        k,
        types::IntentKind::BuyMarket | types::IntentKind::BuyLimit
    )
}

/// The action of a strategy intent. `reference` is the price a market
/// order's limits are checked at (the candle's close, or the touch for a
/// book event). `cancel-all` becomes [`Action::CancelAll`].
#[inline]
pub fn intent_action(
    symbol: crate::binance::fast::Symbol,
    i: &types::Intent,
    reference: i64,
) -> Result<Action, BadIntent> {
    let (side, kind) = match i.kind {
        types::IntentKind::BuyMarket => (Side::Buy, OrderKind::Market),
        types::IntentKind::BuyLimit => (Side::Buy, OrderKind::Limit),
        types::IntentKind::SellMarket => (Side::Sell, OrderKind::Market),
        types::IntentKind::SellLimit => (Side::Sell, OrderKind::Limit),
        types::IntentKind::CancelAll => return Ok(Action::CancelAll { symbol }),
    };
    if i.qty <= 0 {
        return Err(BadIntent::Qty);
    }
    let price = match kind {
        OrderKind::Market => reference,
        OrderKind::Limit => i.price,
    };
    if price <= 0 {
        return Err(BadIntent::Price);
    }
    if i.stop_price < 0 || i.take_profit < 0 {
        return Err(BadIntent::Level);
    }
    let opt = |v: i64| (v > 0).then(|| Price::from_units(v).ok()).flatten();
    Ok(Action::Intent(OrderIntent {
        symbol,
        side,
        kind,
        qty: Qty::from_units(i.qty).map_err(|_| BadIntent::Qty)?,
        price: Price::from_units(price).map_err(|_| BadIntent::Price)?,
        stop: opt(i.stop_price),
        take_profit: opt(i.take_profit),
        tag: i.tag,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fx_to_e8_truncates_toward_zero_and_saturates() {
        assert_eq!(fx_e8(Fx::from_num(1.5)), 150_000_000);
        // 1e-9 is below one unit: 0 on both sides of zero.
        let tiny = Fx::from_num(1) / Fx::from_num(1_000_000_000);
        assert_eq!(fx_e8(tiny), 0);
        assert_eq!(fx_e8(-tiny), 0);
        // -1.000000019 → -100000001 (toward zero), not -100000002.
        let v = -(Fx::from_num(1) + Fx::from_num(19) / Fx::from_num(1_000_000_000));
        assert_eq!(fx_e8(v), -100_000_001);
        assert_eq!(fx_e8(Fx::MAX), i64::MAX);
        assert_eq!(fx_e8(Fx::MIN), i64::MIN);
    }

    #[test]
    fn intents_map_to_actions_and_bad_values_are_refused() {
        let s = crate::binance::fast::Symbol::new(b"BTCUSDT").unwrap();
        let mut i = types::Intent {
            kind: types::IntentKind::SellLimit,
            qty: 5,
            price: 70,
            stop_price: 0,
            take_profit: 90,
            tag: 3,
        };
        match intent_action(s, &i, 60).unwrap() {
            Action::Intent(o) => {
                assert_eq!((o.side, o.kind), (Side::Sell, OrderKind::Limit));
                assert_eq!((o.qty.units(), o.price.units(), o.tag), (5, 70, 3));
                assert_eq!(o.stop, None);
                assert_eq!(o.take_profit.map(|p| p.units()), Some(90));
            }
            a => panic!("{a:?}"),
        }
        i.kind = types::IntentKind::BuyMarket;
        match intent_action(s, &i, 60).unwrap() {
            Action::Intent(o) => assert_eq!((o.side, o.price.units()), (Side::Buy, 60)),
            a => panic!("{a:?}"),
        }
        assert_eq!(intent_action(s, &i, 0), Err(BadIntent::Price));
        i.qty = 0;
        assert_eq!(intent_action(s, &i, 60), Err(BadIntent::Qty));
        i.kind = types::IntentKind::CancelAll;
        assert_eq!(
            intent_action(s, &i, 60),
            Ok(Action::CancelAll { symbol: s })
        );
        assert!(is_entry(types::IntentKind::BuyLimit));
        assert!(!is_entry(types::IntentKind::SellMarket));
    }
}
