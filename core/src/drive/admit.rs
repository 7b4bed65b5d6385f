//! The admission step every driver applies to an [`Action::Intent`]: the
//! core's hard limits ([`RiskGuard`]) first, then the symbol's exchange
//! filters ([`check_order`]) on the order and on its protective stop and
//! take-profit. One function, so that a backtest admits exactly what the
//! live bot would send.
//!
//! [`Action::Intent`]: crate::engine::Action::Intent

use crate::binance::exchange_info::SymbolInfo;
use crate::binance::filters::{check_order, FilterContext, FilterReject, OrderIntent as Wire};
use crate::binance::types::{OrderType, Side};
use crate::engine::{OrderIntent, OrderKind};
use crate::num::{Price, Qty};
use crate::portfolio::risk::{Exposure, Intent, Refusal, RiskGuard};
use std::fmt;

/// An intent the limits and the filters let through, on the symbol's grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// Quantity, rounded down onto the lot grid.
    pub qty: Qty,
    /// Limit price on the tick grid (a market order: the intent's reference price).
    pub price: Price,
    /// The protective stop to place (the intent's, or the one the core forced), on the tick grid.
    pub stop: Option<Price>,
    /// Whether the core forced the stop.
    pub forced_stop: bool,
    /// The take-profit to place, on the tick grid.
    pub take_profit: Option<Price>,
    /// Whether the order only reduces a position.
    pub reduces: bool,
}

/// Why an intent was not admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdmitError {
    /// A hard limit refused it.
    Risk(Refusal),
    /// An exchange filter would reject the order (or its stop / take-profit).
    Filter(FilterReject),
}

impl fmt::Display for AdmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdmitError::Risk(r) => write!(f, "risk limit: {r}"),
            AdmitError::Filter(r) => write!(f, "exchange filter {r}"),
        }
    }
}

impl std::error::Error for AdmitError {}

/// Checks `intent` against the hard limits, then the exchange filters.
/// `ctx` carries the market and account state the filters need (reference
/// prices, open orders, position). A stop or take-profit only applies to a
/// buy (spot: it protects the long position the buy opens).
pub fn admit(
    guard: &mut RiskGuard,
    info: &SymbolInfo,
    intent: &OrderIntent,
    exposure: &Exposure,
    ctx: &FilterContext,
) -> Result<Admission, AdmitError> {
    let stop = if intent.side == Side::Buy {
        intent.stop
    } else {
        None
    };
    let admitted = guard
        .check(
            &Intent {
                symbol: intent.symbol,
                side: intent.side,
                qty: intent.qty,
                price: intent.price,
                stop,
            },
            exposure,
        )
        .map_err(AdmitError::Risk)?;
    let (order_type, price) = match intent.kind {
        OrderKind::Market => (OrderType::Market, None),
        OrderKind::Limit => (OrderType::Limit, Some(intent.price)),
    };
    let wire = check_order(
        info,
        &Wire {
            side: intent.side,
            order_type,
            price,
            qty: intent.qty,
            stop_price: None,
            iceberg_qty: None,
            trailing_delta: None,
        },
        ctx,
    )
    .map_err(AdmitError::Filter)?;
    let qty = wire.qty;
    // The protective order as the symbol allows it: the market form
    // (STOP_LOSS / TAKE_PROFIT), else the limit form at the same price
    // (Binance spot allowed only the limit forms before 2023).
    let protective = |market: OrderType, limit: OrderType, p: Price| {
        let (t, price) = if info.allows(market) || !info.allows(limit) {
            (market, None)
        } else {
            (limit, Some(p))
        };
        check_order(
            info,
            &Wire {
                side: Side::Sell,
                order_type: t,
                price,
                qty,
                stop_price: Some(p),
                iceberg_qty: None,
                trailing_delta: None,
            },
            ctx,
        )
        .map(|w| w.stop_price.unwrap_or(p))
        .map_err(AdmitError::Filter)
    };
    let (stop, take_profit) = if intent.side == Side::Buy {
        let s = match admitted.stop {
            Some(s) => Some(protective(
                OrderType::StopLoss,
                OrderType::StopLossLimit,
                s,
            )?),
            None => None,
        };
        let t = match intent.take_profit {
            Some(t) => Some(protective(
                OrderType::TakeProfit,
                OrderType::TakeProfitLimit,
                t,
            )?),
            None => None,
        };
        (s, t)
    } else {
        (None, None)
    };
    Ok(Admission {
        qty,
        price: wire.price.unwrap_or(intent.price),
        stop,
        forced_stop: admitted.forced_stop,
        take_profit,
        reduces: admitted.reduces,
    })
}
