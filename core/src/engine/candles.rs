//! The engine's candle path: closed candles in, indicators and
//! multi-timeframe aggregation updated, the decision stage's `on_candle`
//! called with everything it may know at that instant (never anything later).
//!
//! Every driver uses it: the backtest driver feeds klines, the live and
//! paper drivers feed closed kline-stream candles, replay feeds the candles
//! of a capture. One [`CandleState`] per symbol, allocated when the symbol is
//! first seen; after that a candle costs no allocation.

use crate::binance::fast::Symbol;
use crate::binance::types::Side;
use crate::indicators::aggregate::Aggregator;
use crate::indicators::candle::{Candle, Timeframe};
use crate::indicators::features::{Feature, FeatureVector, IndicatorSet};
use crate::num::{Price, Qty, Wide};

/// Higher timeframes a primary timeframe is aggregated into, shortest first
/// (those of [`Timeframe::ALL`] longer than the primary one).
pub const MAX_HIGHER: usize = 4;

/// The account as the core's portfolio sees it, for one symbol. The driver
/// (which owns the portfolio on the same thread) sets it with
/// [`super::Engine::set_account`] whenever it changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountView {
    /// Position in base units.
    pub position_qty: Wide,
    /// Average entry price; zero when flat.
    pub avg_entry: Price,
    /// Equity in quote (free + locked quote + position at the last price).
    pub equity: Wide,
    /// Highest equity so far.
    pub peak_equity: Wide,
    /// Free quote balance.
    pub free_quote: Wide,
    /// Open orders of this symbol.
    pub open_orders: u32,
    /// Closed round trips so far.
    pub closed_trades: u32,
    /// Of which winners.
    pub wins: u32,
    /// Mean return of the winners, a fraction scaled 1e-8.
    pub avg_win_e8: i64,
    /// Mean return of the losers as a positive fraction scaled 1e-8.
    pub avg_loss_e8: i64,
}

/// The latest GRU prediction as the decision stage sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PredictionView {
    /// When it was made, ns (0: there is none).
    pub made_ns: u64,
    /// Expected return over the model's horizon, a fraction scaled 1e-8.
    pub expected_return_e8: i64,
    /// Probability of an up move, scaled 1e-8.
    pub prob_up_e8: i64,
}

/// What the decision stage sees after a candle of the symbol's primary
/// timeframe closed.
#[derive(Debug, Clone, Copy)]
pub struct CandleView {
    /// The symbol.
    pub symbol: Symbol,
    /// The driver's time of the input (the candle's close, at the earliest).
    pub now_ns: u64,
    /// The closed candle.
    pub candle: Candle,
    /// Its features.
    pub features: FeatureVector,
    /// Trend direction of each higher timeframe, shortest first (+1 fast EMA
    /// above slow, −1 below, 0 unknown); entries past `higher` are 0.
    pub trend: [i8; MAX_HIGHER],
    /// The higher timeframes, shortest first; `None` past the last one.
    pub higher: [Option<Timeframe>; MAX_HIGHER],
    /// The account.
    pub account: AccountView,
    /// The latest GRU prediction.
    pub prediction: PredictionView,
}

/// The kind of order an intent asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    /// At market.
    Market,
    /// Limit at the intent's price.
    Limit,
}

/// An order the decision stage asks for. The driver passes it through the
/// core's hard limits ([`crate::portfolio::risk::RiskGuard`]) and the
/// exchange filters before anything is sent or simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderIntent {
    /// The symbol.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Market or limit.
    pub kind: OrderKind,
    /// Quantity, base units.
    pub qty: Qty,
    /// Limit price; for a market order the reference price (last close or
    /// touch) the limits are checked at.
    pub price: Price,
    /// Protective stop, if any.
    pub stop: Option<Price>,
    /// Take-profit, if any.
    pub take_profit: Option<Price>,
    /// The strategy's tag (e.g. a DCA level), echoed in fills.
    pub tag: u32,
}

/// One symbol's candle state: the primary timeframe's indicators and the
/// higher timeframes' aggregators and indicators.
#[derive(Debug, Clone)]
pub struct CandleState {
    primary: Timeframe,
    set: IndicatorSet,
    higher: Vec<(Aggregator, IndicatorSet, i8)>,
    /// The last primary candle's open time (for the no-look-ahead check).
    last_open_ms: Option<i64>,
    /// Candles refused because they were not of the primary timeframe.
    pub wrong_timeframe: u64,
}

impl CandleState {
    /// State for candles of `primary`, aggregated into every longer
    /// timeframe of [`Timeframe::ALL`].
    pub fn new(primary: Timeframe) -> CandleState {
        let mut higher = Vec::with_capacity(MAX_HIGHER);
        for tf in Timeframe::ALL {
            if tf.ms() > primary.ms() {
                if let Ok(a) = Aggregator::new(primary, tf) {
                    higher.push((a, IndicatorSet::new(tf), 0));
                }
            }
        }
        CandleState {
            primary,
            set: IndicatorSet::new(primary),
            higher,
            last_open_ms: None,
            wrong_timeframe: 0,
        }
    }

    /// The primary timeframe.
    pub fn primary(&self) -> Timeframe {
        self.primary
    }

    /// Feeds one closed candle of the primary timeframe; returns its
    /// features, the higher timeframes' trend votes and their timeframes
    /// (`None` when the candle is of another timeframe: counted, ignored).
    pub fn update(
        &mut self,
        c: &Candle,
    ) -> Option<(
        FeatureVector,
        [i8; MAX_HIGHER],
        [Option<Timeframe>; MAX_HIGHER],
    )> {
        if c.timeframe != self.primary {
            self.wrong_timeframe += 1;
            return None;
        }
        let fv = self.set.update(c);
        let mut trend = [0i8; MAX_HIGHER];
        let mut tfs = [None; MAX_HIGHER];
        for (k, (agg, set, vote)) in self.higher.iter_mut().enumerate() {
            for closed in agg.update(c).iter() {
                let hv = set.update(&closed.candle);
                *vote = match (hv.get(Feature::EmaFast), hv.get(Feature::EmaSlow)) {
                    (Some(f), Some(s)) if f > s => 1,
                    (Some(f), Some(s)) if f < s => -1,
                    _ => 0,
                };
            }
            trend[k] = *vote;
            tfs[k] = Some(agg.target());
        }
        self.last_open_ms = Some(c.open_time_ms);
        Some((fv, trend, tfs))
    }

    /// The open time of the last candle fed.
    pub fn last_open_ms(&self) -> Option<i64> {
        self.last_open_ms
    }
}

/// The seed's five market regimes (what the regime plugin classifies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RegimeKind {
    /// ADX > 25 and ATR% < 3.
    StrongTrend,
    /// ADX > 25 and ATR% ≥ 3.
    VolatileTrend,
    /// ADX < 20 and Bollinger width < 0.01.
    TightRange,
    /// ADX < 20 and Bollinger width ≥ 0.01.
    Choppy,
    /// Anything else.
    Transitional,
}

impl RegimeKind {
    /// Every regime, in declaration order.
    pub const ALL: [RegimeKind; 5] = [
        RegimeKind::StrongTrend,
        RegimeKind::VolatileTrend,
        RegimeKind::TightRange,
        RegimeKind::Choppy,
        RegimeKind::Transitional,
    ];

    /// A stable snake_case name (reports).
    pub const fn name(self) -> &'static str {
        match self {
            RegimeKind::StrongTrend => "strong_trend",
            RegimeKind::VolatileTrend => "volatile_trend",
            RegimeKind::TightRange => "tight_range",
            RegimeKind::Choppy => "choppy",
            RegimeKind::Transitional => "transitional",
        }
    }
}

/// One fill of an order the decision stage asked for, as the driver's
/// portfolio booked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillView {
    /// The symbol.
    pub symbol: Symbol,
    /// When it happened, ns.
    pub now_ns: u64,
    /// Buy or sell.
    pub side: Side,
    /// Fill price.
    pub price: Price,
    /// Filled quantity.
    pub qty: Qty,
    /// Fee converted to quote.
    pub fee_quote: Wide,
    /// The intent's tag.
    pub tag: u32,
    /// The account after the fill.
    pub account: AccountView,
}
