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
use crate::engine::{RegimeKind, TradeView};
use crate::indicators::candle::Timeframe;
use crate::indicators::features::Feature;
use crate::indicators::Fx;
use crate::num::{Price, Qty, Wide, SCALE};

/// An [`Fx`] as a decimal scaled 1e-8, truncated toward zero, saturating.
#[inline]
pub fn fx_e8(v: Fx) -> i64 {
    // Integer arithmetic on the raw bits (value × 2^64): bits × 10^8 is the
    // exact product (10^8 is an integer, so `fixed` would not round it
    // either), divided by 2^64 with truncation toward zero. A product beyond
    // the 128-bit range is beyond the s64 range too: saturate by sign. Same
    // answers as `fixed`'s saturating_mul → round_to_zero →
    // saturating_to_num (test `fx_e8_equals_the_fixed_point_route`),
    // without its 256-bit multiplication.
    match v.to_bits().checked_mul(SCALE as i128) {
        Some(p) => {
            let q = p / (1i128 << 64);
            i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
        }
        None if v.is_negative() => i64::MIN,
        None => i64::MAX,
    }
}

/// A [`Wide`] as an `s64` decimal, saturating.
#[inline]
pub fn wide_e8(v: Wide) -> i64 {
    i64::try_from(v.units()).unwrap_or(if v.units() < 0 { i64::MIN } else { i64::MAX })
}

/// Fields in the per-candle context block (the length of the WIT `field`
/// enum: every field this host knows).
pub const CONTEXT_LEN: usize = types::Field::HaltEntries as usize + 1;

/// The per-candle context block (WIT `context`), indexed by
/// [`types::Field`].
pub type Context = [i64; CONTEXT_LEN];

/// The position of a timeframe in the WIT `timeframe` enum.
pub fn timeframe_index(t: Timeframe) -> i64 {
    match t {
        Timeframe::M1 => 0,
        Timeframe::M5 => 1,
        Timeframe::M15 => 2,
        Timeframe::H1 => 3,
        Timeframe::H4 => 4,
    }
}

/// The first field of each chain stage's answer in the block: a stage's
/// fields run from its start to the next stage's (the risk stage to the
/// block's end).
pub const REGIME_FIELDS: usize = types::Field::RegimeKind as usize;
/// See [`REGIME_FIELDS`].
pub const CONFIDENCE_FIELDS: usize = types::Field::ConfidenceScore as usize;
/// See [`REGIME_FIELDS`].
pub const RISK_FIELDS: usize = types::Field::SizeFraction as usize;

/// Writes everything the host knows after a closed candle into `ctx`, and
/// zeros the chain's answers (the stages write theirs as the chain runs).
/// `sentiment` is 0–1 scaled 1e-8, or negative for none.
#[inline]
pub fn fill_context(ctx: &mut Context, view: &CandleView, sentiment: i64) {
    use types::Field as F;
    let c = &view.candle;
    let f = &view.features;
    let v = |k: Feature| fx_e8(f.values[k.index()]);
    let p = &view.prediction;
    let a = &view.account;
    let mut t = [0i64; 4];
    for (tf, vote) in view.higher.iter().zip(view.trend) {
        match tf {
            Some(Timeframe::M5) => t[0] = vote.into(),
            Some(Timeframe::M15) => t[1] = vote.into(),
            Some(Timeframe::H1) => t[2] = vote.into(),
            Some(Timeframe::H4) => t[3] = vote.into(),
            Some(Timeframe::M1) | None => {}
        }
    }
    let valid = p.made_ns != 0;
    let rows: [(F, i64); REGIME_FIELDS] = [
        (F::Timeframe, timeframe_index(c.timeframe)),
        (F::OpenTimeMs, c.open_time_ms),
        (F::Open, c.open.units()),
        (F::High, c.high.units()),
        (F::Low, c.low.units()),
        (F::Close, c.close.units()),
        (F::Volume, wide_e8(c.volume)),
        (F::RunLen, f.run_len.into()),
        (F::Ready, f.ready.into()),
        (F::Atr, v(Feature::Atr)),
        (F::AtrPct, v(Feature::AtrPct)),
        (F::Adx, v(Feature::Adx)),
        (F::PlusDi, v(Feature::PlusDi)),
        (F::MinusDi, v(Feature::MinusDi)),
        (F::BbWidth, v(Feature::BbWidth)),
        (F::Rsi, v(Feature::Rsi)),
        (F::Macd, v(Feature::Macd)),
        (F::MacdSignal, v(Feature::MacdSignal)),
        (F::MacdHist, v(Feature::MacdHist)),
        (F::Sma, v(Feature::Sma)),
        (F::EmaFast, v(Feature::EmaFast)),
        (F::EmaSlow, v(Feature::EmaSlow)),
        (F::VolumeRatio, v(Feature::VolumeRatio)),
        (F::SupportDistance, v(Feature::SupportDistance)),
        (F::ResistanceDistance, v(Feature::ResistanceDistance)),
        (F::TrendM5, t[0]),
        (F::TrendM15, t[1]),
        (F::TrendH1, t[2]),
        (F::TrendH4, t[3]),
        (F::PredictionValid, valid.into()),
        (
            F::PredictionAgeMs,
            if valid {
                u64_e0(view.now_ns.saturating_sub(p.made_ns) / 1_000_000)
            } else {
                0
            },
        ),
        (
            F::ExpectedReturn,
            if valid { p.expected_return_e8 } else { 0 },
        ),
        (F::ProbUp, if valid { p.prob_up_e8 } else { 0 }),
        (F::Sentiment, sentiment),
        (F::PositionQty, wide_e8(a.position_qty)),
        (F::AvgEntry, a.avg_entry.units()),
        (F::Equity, wide_e8(a.equity)),
        (F::PeakEquity, wide_e8(a.peak_equity)),
        (F::FreeQuote, wide_e8(a.free_quote)),
        (F::OpenOrders, a.open_orders.into()),
        (F::ClosedTrades, a.closed_trades.into()),
        (F::Wins, a.wins.into()),
        (F::AvgWin, a.avg_win_e8),
        (F::AvgLoss, a.avg_loss_e8),
    ];
    for (field, value) in rows {
        ctx[field as usize] = value;
    }
    ctx[REGIME_FIELDS..].fill(0);
}

/// A `u64` count as an `s64` field, saturating.
#[inline]
fn u64_e0(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Writes the regime stage's answer into the block.
#[inline]
pub fn put_regime(ctx: &mut Context, r: &types::Regime) {
    use types::Field as F;
    ctx[F::RegimeKind as usize] = r.kind as i64;
    ctx[F::RegimeConfidence as usize] = r.confidence;
    ctx[F::RegimeRun as usize] = r.run.into();
}

/// Writes the confidence stage's answer into the block.
#[inline]
pub fn put_confidence(ctx: &mut Context, c: &types::Confidence) {
    use types::Field as F;
    let rows = [
        (F::ConfidenceScore, c.score),
        (F::ConfidenceRsi, c.rsi),
        (F::ConfidenceMacd, c.macd),
        (F::ConfidenceVolume, c.volume),
        (F::ConfidenceTrend, c.trend),
        (F::ConfidenceLevels, c.levels),
        (F::ConfidenceSentiment, c.sentiment),
        (F::ConfidenceGru, c.gru),
        (F::SizeMultiplier, c.size_multiplier),
    ];
    for (field, value) in rows {
        ctx[field as usize] = value;
    }
}

/// Writes the risk stage's answer into the block.
#[inline]
pub fn put_risk(ctx: &mut Context, r: &types::Risk) {
    use types::Field as F;
    let rows = [
        (F::SizeFraction, r.size_fraction),
        (F::StopPrice, r.stop_price),
        (F::TakeProfit, r.take_profit),
        (F::TrailingStop, r.trailing_stop),
        (F::HaltEntries, r.halt_entries.into()),
    ];
    for (field, value) in rows {
        ctx[field as usize] = value;
    }
}

/// The block as the stage of `slot` must see it: the answers of that stage
/// and the later ones zeroed (a recorded block carries all of them).
pub fn context_for(ctx: &Context, slot: super::Slot) -> Context {
    let mut out = *ctx;
    let from = match slot {
        super::Slot::Regime => REGIME_FIELDS,
        super::Slot::Confidence => CONFIDENCE_FIELDS,
        super::Slot::Risk => RISK_FIELDS,
        super::Slot::Strategy => CONTEXT_LEN,
    };
    out[from..].fill(0);
    out
}

/// The close price recorded in a block.
#[inline]
pub fn close_of(ctx: &Context) -> i64 {
    ctx[types::Field::Close as usize]
}

/// The candle open time recorded in a block.
#[inline]
pub fn open_time_of(ctx: &Context) -> i64 {
    ctx[types::Field::OpenTimeMs as usize]
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
    use super::super::Slot;
    use super::*;

    /// [`fx_e8`] as it was: through `fixed`'s own operations.
    fn fx_e8_by_fixed(v: Fx) -> i64 {
        v.saturating_mul(Fx::const_from_int(SCALE as i128))
            .round_to_zero()
            .saturating_to_num::<i64>()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        /// Raw bits of every size (values from 2^-64 to beyond the s64
        /// range once scaled), both signs.
        #[test]
        fn fx_e8_equals_the_fixed_point_route(bits in proptest::num::i128::ANY, shift in 0u32..127) {
            let v = Fx::from_bits(bits >> shift);
            proptest::prop_assert_eq!(fx_e8(v), fx_e8_by_fixed(v));
        }
    }

    #[test]
    fn fx_e8_truncates_toward_zero_and_saturates() {
        for v in [
            Fx::ZERO,
            Fx::MAX,
            Fx::MIN,
            Fx::DELTA,
            -Fx::DELTA,
            Fx::from_num(-0.000000009),
            Fx::from_num(0.000000019),
            Fx::from_num(-1.5),
            Fx::from_num(92_233_720_368i64),
            Fx::from_num(-92_233_720_369i64),
        ] {
            assert_eq!(fx_e8(v), fx_e8_by_fixed(v), "{v}");
        }
        assert_eq!(fx_e8(Fx::from_num(-0.000000009)), 0);
        assert_eq!(fx_e8(Fx::from_num(-1.5)), -150_000_000);
        assert_eq!(fx_e8(Fx::MAX), i64::MAX);
        assert_eq!(fx_e8(Fx::MIN), i64::MIN);
    }

    /// A candle view whose every input has a distinct value.
    fn distinct_view() -> CandleView {
        use crate::engine::{AccountView, PredictionView};
        use crate::indicators::candle::Candle;
        use crate::indicators::features::FeatureVector;
        use crate::num::{Price, Wide};
        let p = |u: i64| Price::from_units(u).unwrap();
        let candle = Candle::new(
            1_699_999_200_000,
            Timeframe::H1,
            p(101),
            p(105),
            p(99),
            p(103),
            Wide::from_units(7_000).unwrap(),
        )
        .unwrap();
        let mut values = [Fx::ZERO; Feature::COUNT];
        for (k, v) in values.iter_mut().enumerate() {
            *v = Fx::from_num(k as i32 + 1);
        }
        CandleView {
            symbol: crate::binance::fast::Symbol::new(b"BTCUSDT").unwrap(),
            now_ns: 5_000_000_000,
            candle,
            features: FeatureVector {
                open_time_ms: candle.open_time_ms,
                timeframe: Timeframe::H1,
                close: candle.close,
                run_len: 42,
                gaps: 0,
                ready: 0xbeef,
                values,
            },
            trend: [1, -1, 0, 1],
            higher: [
                Some(Timeframe::H4),
                Some(Timeframe::M5),
                None,
                Some(Timeframe::M15),
            ],
            account: AccountView {
                position_qty: Wide::from_units(11).unwrap(),
                avg_entry: p(12),
                equity: Wide::from_units(13).unwrap(),
                peak_equity: Wide::from_units(14).unwrap(),
                free_quote: Wide::from_units(15).unwrap(),
                open_orders: 16,
                closed_trades: 17,
                wins: 18,
                avg_win_e8: 19,
                avg_loss_e8: 20,
            },
            prediction: PredictionView {
                made_ns: 2_000_000_000,
                expected_return_e8: 21,
                prob_up_e8: 22,
            },
        }
    }

    #[test]
    fn the_context_block_puts_every_input_at_its_wit_field() {
        use types::Field as F;
        let view = distinct_view();
        let mut ctx = [-7; CONTEXT_LEN];
        fill_context(&mut ctx, &view, 23);
        let want = [
            (F::Timeframe, 3),
            (F::OpenTimeMs, 1_699_999_200_000),
            (F::Open, 101),
            (F::High, 105),
            (F::Low, 99),
            (F::Close, 103),
            (F::Volume, 7_000),
            (F::RunLen, 42),
            (F::Ready, 0xbeef),
            (F::TrendH4, 1),
            (F::TrendM5, -1),
            (F::TrendM15, 1),
            (F::TrendH1, 0),
            (F::PredictionValid, 1),
            (F::PredictionAgeMs, 3_000),
            (F::ExpectedReturn, 21),
            (F::ProbUp, 22),
            (F::Sentiment, 23),
            (F::PositionQty, 11),
            (F::AvgEntry, 12),
            (F::Equity, 13),
            (F::PeakEquity, 14),
            (F::FreeQuote, 15),
            (F::OpenOrders, 16),
            (F::ClosedTrades, 17),
            (F::Wins, 18),
            (F::AvgWin, 19),
            (F::AvgLoss, 20),
        ];
        for (f, v) in want {
            assert_eq!(ctx[f as usize], v, "{f:?}");
        }
        // The indicators in the engine's order, which is the WIT's (the
        // `ready` mask's bit k is the k-th indicator field).
        for (k, f) in Feature::ALL.iter().enumerate() {
            assert_eq!(f.index(), k);
            assert_eq!(
                ctx[F::Atr as usize + k],
                (k as i64 + 1) * 100_000_000,
                "{f:?}"
            );
        }
        assert_eq!(
            F::ResistanceDistance as usize - F::Atr as usize + 1,
            Feature::COUNT
        );
        // No chain answer yet: every stage field is 0 (the -7 overwritten).
        assert!(ctx[REGIME_FIELDS..].iter().all(|&v| v == 0));
        assert!(ctx.iter().all(|&v| v != -7));
    }

    #[test]
    fn chain_answers_land_in_their_fields_and_a_replay_hides_later_stages() {
        use types::Field as F;
        let mut ctx = [0; CONTEXT_LEN];
        fill_context(&mut ctx, &distinct_view(), -1);
        put_regime(
            &mut ctx,
            &types::Regime {
                kind: types::RegimeKind::Choppy,
                confidence: 31,
                run: 32,
            },
        );
        put_confidence(
            &mut ctx,
            &types::Confidence {
                score: 41,
                rsi: 42,
                macd: 43,
                volume: 44,
                trend: 45,
                levels: 46,
                sentiment: 47,
                gru: 48,
                size_multiplier: 49,
            },
        );
        put_risk(
            &mut ctx,
            &types::Risk {
                size_fraction: 51,
                stop_price: 52,
                take_profit: 53,
                trailing_stop: 54,
                halt_entries: true,
            },
        );
        assert_eq!(
            ctx[REGIME_FIELDS..].to_vec(),
            vec![3, 31, 32, 41, 42, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 1]
        );
        assert_eq!(ctx[F::RegimeKind as usize], 3);
        assert_eq!(ctx[F::SizeMultiplier as usize], 49);
        assert_eq!(ctx[F::HaltEntries as usize], 1);
        assert_eq!(CONTEXT_LEN, F::HaltEntries as usize + 1);
        let inputs = &ctx[..REGIME_FIELDS];
        let regime = context_for(&ctx, Slot::Regime);
        assert_eq!(&regime[..REGIME_FIELDS], inputs);
        assert!(regime[REGIME_FIELDS..].iter().all(|&v| v == 0));
        let conf = context_for(&ctx, Slot::Confidence);
        assert_eq!(&conf[..CONFIDENCE_FIELDS], &ctx[..CONFIDENCE_FIELDS]);
        assert!(conf[CONFIDENCE_FIELDS..].iter().all(|&v| v == 0));
        let risk = context_for(&ctx, Slot::Risk);
        assert_eq!(&risk[..RISK_FIELDS], &ctx[..RISK_FIELDS]);
        assert!(risk[RISK_FIELDS..].iter().all(|&v| v == 0));
        assert_eq!(context_for(&ctx, Slot::Strategy), ctx);
        assert_eq!(
            (close_of(&ctx), open_time_of(&ctx)),
            (103, 1_699_999_200_000)
        );
    }

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
