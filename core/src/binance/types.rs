//! Enums and ids shared by the REST, WS-API and user-data models.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Order side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Side {
    /// `BUY`: a bid.
    Buy,
    /// `SELL`: an ask.
    Sell,
}

/// Order type (the documented values; strict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderType {
    /// `LIMIT`.
    Limit,
    /// `MARKET`.
    Market,
    /// `STOP_LOSS` (a market order once triggered).
    StopLoss,
    /// `STOP_LOSS_LIMIT`.
    StopLossLimit,
    /// `TAKE_PROFIT` (a market order once triggered).
    TakeProfit,
    /// `TAKE_PROFIT_LIMIT`.
    TakeProfitLimit,
    /// `LIMIT_MAKER` (post-only limit).
    LimitMaker,
}

impl OrderType {
    /// Whether the order carries a limit `price` once on the book.
    pub fn has_limit_price(self) -> bool {
        matches!(
            self,
            OrderType::Limit
                | OrderType::LimitMaker
                | OrderType::StopLossLimit
                | OrderType::TakeProfitLimit
        )
    }

    /// Whether it executes as a market order (MARKET, STOP_LOSS, TAKE_PROFIT).
    pub fn is_market(self) -> bool {
        matches!(
            self,
            OrderType::Market | OrderType::StopLoss | OrderType::TakeProfit
        )
    }

    /// Whether it is an algo (stop/take-profit) order, counted by MAX_NUM_ALGO_ORDERS.
    pub fn is_algo(self) -> bool {
        matches!(
            self,
            OrderType::StopLoss
                | OrderType::StopLossLimit
                | OrderType::TakeProfit
                | OrderType::TakeProfitLimit
        )
    }
}

/// Time in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimeInForce {
    /// `GTC`: good till canceled.
    Gtc,
    /// `IOC`: immediate or cancel.
    Ioc,
    /// `FOK`: fill or kill.
    Fok,
    /// `GTD`: good till date. Not a documented spot value; seen in
    /// NautilusTrader's spot fixtures, accepted so such frames decode.
    Gtd,
    /// `GTX`: good till crossing (post only). Not a documented spot value;
    /// seen in NautilusTrader's spot fixtures, accepted so such frames decode.
    Gtx,
}

/// Order status (the documented values; strict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Accepted by the engine.
    New,
    /// Part of an order list whose working order is not yet filled.
    PendingNew,
    /// Partly filled.
    PartiallyFilled,
    /// Fully filled.
    Filled,
    /// Canceled by the user.
    Canceled,
    /// Currently unused by Binance.
    PendingCancel,
    /// Rejected by the engine.
    Rejected,
    /// Canceled by the engine (IOC/FOK, liquidation, maintenance).
    Expired,
    /// Expired by self-trade prevention.
    ExpiredInMatch,
}

/// A request id as sent: a string or a number (or absent/null on some errors).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// A numeric id.
    Num(i64),
    /// A string id (often a UUID).
    Str(String),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Num(n) => write!(f, "{n}"),
            RequestId::Str(s) => f.write_str(s),
        }
    }
}
