//! REST responses (and the same payloads as WS-API `result`s): depth
//! snapshot, account, order ACK/RESULT/FULL, cancel, query/open orders,
//! klines, server time and the generic error body `{code, msg}`.
//!
//! Field names are descriptive snake_case; the Binance names apply to
//! deserialization only, so serialization prints the descriptive ones.

use super::error::{DecodeError, MAX_REST_BODY_BYTES};
use super::errors::{ErrorCode, RejectReason};
pub use super::types::{OrderStatus, OrderType, Side, TimeInForce};
use crate::num::{Amount, Price, Qty, Wide};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Checks size limits and deserializes `bytes` as `T`, naming `what` on error.
pub(crate) fn decode_json<T: DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
    max: usize,
) -> Result<T, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > max {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| DecodeError::json(what, e))
}

/// The generic error body `{code, msg}` (REST), with the optional `data` of
/// WS-API errors (`retryAfter`, cancel-replace details).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Binance's error code (`-1121`).
    pub code: i32,
    /// The message text.
    #[serde(rename(deserialize = "msg"))]
    pub message: String,
    /// Extra data (WS-API): `{serverTime, retryAfter}` on a ban, cancel-replace results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

impl ApiError {
    /// The typed code ([`ErrorCode::Undocumented`] keeps an unknown number).
    pub fn error_code(&self) -> ErrorCode {
        ErrorCode::from_code_lossless(self.code)
    }

    /// The matching-engine or filter reason named by the message, if documented.
    pub fn reject_reason(&self) -> Option<RejectReason> {
        RejectReason::from_message(&self.message)
    }

    /// `data.retryAfter` (ms since the epoch) of a 418/429, if present.
    pub fn retry_after_ms(&self) -> Option<u64> {
        self.data.as_ref()?.get("retryAfter")?.as_u64()
    }

    /// `data.serverTime` (ms since the epoch), if present.
    pub fn server_time_ms(&self) -> Option<u64> {
        self.data.as_ref()?.get("serverTime")?.as_u64()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error_code(), self.message)
    }
}

/// One price level `[price, qty]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level(pub Price, pub Qty);

/// `GET /api/v3/depth` (and WS-API `depth`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepthSnapshot {
    /// Update id of the last event included.
    #[serde(rename(deserialize = "lastUpdateId"))]
    pub last_update_id: u64,
    /// Bids, best (highest) first.
    pub bids: Vec<Level>,
    /// Asks, best (lowest) first.
    pub asks: Vec<Level>,
}

/// `GET /api/v3/time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerTime {
    /// Server time in ms since the epoch.
    #[serde(rename(deserialize = "serverTime"))]
    pub server_time: u64,
}

/// Commission rates as fractions (`0.00150000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommissionRates {
    /// Maker rate.
    pub maker: Amount,
    /// Taker rate.
    pub taker: Amount,
    /// Buyer rate.
    pub buyer: Amount,
    /// Seller rate.
    pub seller: Amount,
}

/// One asset balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Asset (`BTC`).
    pub asset: String,
    /// Free (available) amount.
    pub free: Amount,
    /// Amount locked in open orders.
    pub locked: Amount,
}

/// `GET /api/v3/account` (and WS-API `account.status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// Maker commission in bips (legacy field).
    #[serde(rename(deserialize = "makerCommission"))]
    pub maker_commission: i64,
    /// Taker commission in bips (legacy field).
    #[serde(rename(deserialize = "takerCommission"))]
    pub taker_commission: i64,
    /// Buyer commission in bips (legacy field).
    #[serde(rename(deserialize = "buyerCommission"))]
    pub buyer_commission: i64,
    /// Seller commission in bips (legacy field).
    #[serde(rename(deserialize = "sellerCommission"))]
    pub seller_commission: i64,
    /// Commission rates as fractions (newer responses).
    #[serde(default, rename(deserialize = "commissionRates"))]
    pub commission_rates: Option<CommissionRates>,
    /// Whether the account may trade.
    #[serde(rename(deserialize = "canTrade"))]
    pub can_trade: bool,
    /// Whether the account may withdraw.
    #[serde(rename(deserialize = "canWithdraw"))]
    pub can_withdraw: bool,
    /// Whether the account may deposit.
    #[serde(rename(deserialize = "canDeposit"))]
    pub can_deposit: bool,
    /// Last update time in ms.
    #[serde(rename(deserialize = "updateTime"))]
    pub update_time: u64,
    /// Account type (`SPOT`; Binance adds types, so a string).
    #[serde(rename(deserialize = "accountType"))]
    pub account_type: String,
    /// Balances.
    pub balances: Vec<Balance>,
    /// Permissions (`SPOT`, `MARGIN`, `TRD_GRP_…`; open-ended, so strings).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// User id (newer responses).
    #[serde(default)]
    pub uid: Option<u64>,
}

impl Account {
    /// The balance of `asset`, if listed.
    pub fn balance(&self, asset: &str) -> Option<&Balance> {
        self.balances.iter().find(|b| b.asset == asset)
    }
}

/// `newOrderRespType=ACK`: the order was accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAck {
    /// Symbol.
    pub symbol: String,
    /// Exchange order id.
    #[serde(rename(deserialize = "orderId"))]
    pub order_id: u64,
    /// Order list id, -1 when not part of a list.
    #[serde(rename(deserialize = "orderListId"))]
    pub order_list_id: i64,
    /// Client order id.
    #[serde(rename(deserialize = "clientOrderId"))]
    pub client_order_id: String,
    /// Transaction time in ms.
    #[serde(rename(deserialize = "transactTime"))]
    pub transact_time: u64,
}

/// `newOrderRespType=RESULT`: the order and its state after matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderResult {
    /// Symbol.
    pub symbol: String,
    /// Exchange order id.
    #[serde(rename(deserialize = "orderId"))]
    pub order_id: u64,
    /// Order list id, -1 when not part of a list.
    #[serde(rename(deserialize = "orderListId"))]
    pub order_list_id: i64,
    /// Client order id.
    #[serde(rename(deserialize = "clientOrderId"))]
    pub client_order_id: String,
    /// Transaction time in ms.
    #[serde(rename(deserialize = "transactTime"))]
    pub transact_time: u64,
    /// Limit price (0 for market orders).
    pub price: Price,
    /// Ordered quantity.
    #[serde(rename(deserialize = "origQty"))]
    pub orig_qty: Qty,
    /// Executed quantity.
    #[serde(rename(deserialize = "executedQty"))]
    pub executed_qty: Qty,
    /// Quote quantity ordered (quote-quantity market orders), newer responses.
    #[serde(default, rename(deserialize = "origQuoteOrderQty"))]
    pub orig_quote_order_qty: Option<Qty>,
    /// Cumulative quote quantity (Binance's spelling: cummulative).
    #[serde(rename(deserialize = "cummulativeQuoteQty"))]
    pub cumulative_quote_qty: Amount,
    /// Order status.
    pub status: OrderStatus,
    /// Time in force.
    #[serde(rename(deserialize = "timeInForce"))]
    pub time_in_force: TimeInForce,
    /// Order type.
    #[serde(rename(deserialize = "type"))]
    pub order_type: OrderType,
    /// Side.
    pub side: Side,
    /// When the order started working on the book, in ms (newer responses).
    #[serde(default, rename(deserialize = "workingTime"))]
    pub working_time: Option<i64>,
    /// Self-trade prevention mode (newer responses; open-ended).
    #[serde(default, rename(deserialize = "selfTradePreventionMode"))]
    pub self_trade_prevention_mode: Option<String>,
}

/// One fill of a FULL order response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// Fill price.
    pub price: Price,
    /// Fill quantity.
    #[serde(rename(deserialize = "qty"))]
    pub qty: Qty,
    /// Commission paid.
    pub commission: Amount,
    /// Asset the commission was paid in.
    #[serde(rename(deserialize = "commissionAsset"))]
    pub commission_asset: String,
    /// Trade id (newer responses).
    #[serde(default, rename(deserialize = "tradeId"))]
    pub trade_id: Option<i64>,
}

/// `newOrderRespType=FULL`: the RESULT fields plus the fills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFull {
    /// The order after matching.
    #[serde(flatten)]
    pub order: OrderResult,
    /// The fills, in order.
    pub fills: Vec<Fill>,
}

/// A new-order response of any `newOrderRespType`.
///
/// Told apart by shape: `fills` present → FULL; `status` present → RESULT;
/// otherwise ACK (which must still carry all ACK fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "response_type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderResponse {
    /// ACK.
    Ack(OrderAck),
    /// RESULT.
    Result(OrderResult),
    /// FULL.
    Full(OrderFull),
}

impl OrderResponse {
    /// The exchange order id.
    pub fn order_id(&self) -> u64 {
        match self {
            OrderResponse::Ack(a) => a.order_id,
            OrderResponse::Result(r) => r.order_id,
            OrderResponse::Full(f) => f.order.order_id,
        }
    }

    /// The client order id.
    pub fn client_order_id(&self) -> &str {
        match self {
            OrderResponse::Ack(a) => &a.client_order_id,
            OrderResponse::Result(r) => &r.client_order_id,
            OrderResponse::Full(f) => &f.order.client_order_id,
        }
    }
}

impl<'de> Deserialize<'de> for OrderResponse {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = serde_json::Value::deserialize(d)?;
        let obj = v
            .as_object()
            .ok_or_else(|| D::Error::custom("order response is not an object"))?;
        let r = if obj.contains_key("fills") {
            serde_json::from_value(v).map(OrderResponse::Full)
        } else if obj.contains_key("status") {
            serde_json::from_value(v).map(OrderResponse::Result)
        } else {
            serde_json::from_value(v).map(OrderResponse::Ack)
        };
        r.map_err(D::Error::custom)
    }
}

/// `DELETE /api/v3/order` (and WS-API `order.cancel`): the canceled order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanceledOrder {
    /// Symbol.
    pub symbol: String,
    /// The client order id of the order that was canceled.
    #[serde(rename(deserialize = "origClientOrderId"))]
    pub orig_client_order_id: String,
    /// Exchange order id.
    #[serde(rename(deserialize = "orderId"))]
    pub order_id: u64,
    /// Order list id, -1 when not part of a list.
    #[serde(rename(deserialize = "orderListId"))]
    pub order_list_id: i64,
    /// The client id of the cancel request.
    #[serde(rename(deserialize = "clientOrderId"))]
    pub client_order_id: String,
    /// Transaction time in ms (newer responses).
    #[serde(default, rename(deserialize = "transactTime"))]
    pub transact_time: Option<u64>,
    /// Limit price.
    pub price: Price,
    /// Ordered quantity.
    #[serde(rename(deserialize = "origQty"))]
    pub orig_qty: Qty,
    /// Executed quantity.
    #[serde(rename(deserialize = "executedQty"))]
    pub executed_qty: Qty,
    /// Cumulative quote quantity.
    #[serde(rename(deserialize = "cummulativeQuoteQty"))]
    pub cumulative_quote_qty: Amount,
    /// Status after the cancel (`CANCELED`).
    pub status: OrderStatus,
    /// Time in force.
    #[serde(rename(deserialize = "timeInForce"))]
    pub time_in_force: TimeInForce,
    /// Order type.
    #[serde(rename(deserialize = "type"))]
    pub order_type: OrderType,
    /// Side.
    pub side: Side,
}

/// `GET /api/v3/order`, `openOrders`, `allOrders` (and the WS-API equivalents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInfo {
    /// Symbol.
    pub symbol: String,
    /// Exchange order id.
    #[serde(rename(deserialize = "orderId"))]
    pub order_id: u64,
    /// Order list id, -1 when not part of a list.
    #[serde(rename(deserialize = "orderListId"))]
    pub order_list_id: i64,
    /// Client order id.
    #[serde(rename(deserialize = "clientOrderId"))]
    pub client_order_id: String,
    /// Limit price.
    pub price: Price,
    /// Ordered quantity.
    #[serde(rename(deserialize = "origQty"))]
    pub orig_qty: Qty,
    /// Executed quantity.
    #[serde(rename(deserialize = "executedQty"))]
    pub executed_qty: Qty,
    /// Cumulative quote quantity (negative for some very old orders).
    #[serde(rename(deserialize = "cummulativeQuoteQty"))]
    pub cumulative_quote_qty: Amount,
    /// Status.
    pub status: OrderStatus,
    /// Time in force.
    #[serde(rename(deserialize = "timeInForce"))]
    pub time_in_force: TimeInForce,
    /// Order type.
    #[serde(rename(deserialize = "type"))]
    pub order_type: OrderType,
    /// Side.
    pub side: Side,
    /// Stop price (0 when none).
    #[serde(default, rename(deserialize = "stopPrice"))]
    pub stop_price: Option<Price>,
    /// Iceberg quantity (0 when none).
    #[serde(default, rename(deserialize = "icebergQty"))]
    pub iceberg_qty: Option<Qty>,
    /// Creation time in ms.
    pub time: u64,
    /// Last update time in ms.
    #[serde(rename(deserialize = "updateTime"))]
    pub update_time: u64,
    /// Whether the order is on the book.
    #[serde(rename(deserialize = "isWorking"))]
    pub is_working: bool,
    /// When it started working, in ms (newer responses).
    #[serde(default, rename(deserialize = "workingTime"))]
    pub working_time: Option<i64>,
    /// Quote quantity ordered (newer responses).
    #[serde(default, rename(deserialize = "origQuoteOrderQty"))]
    pub orig_quote_order_qty: Option<Qty>,
}

/// Raw kline row: 12 positional values, the last one ignored (unused field).
type KlineRow = (
    u64,
    Price,
    Price,
    Price,
    Price,
    Wide,
    u64,
    Wide,
    u64,
    Wide,
    Wide,
    serde::de::IgnoredAny,
);

/// One kline (candle) row of `GET /api/v3/klines` / `uiKlines`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "KlineRow")]
pub struct Kline {
    /// Open time in ms.
    pub open_time: u64,
    /// Open price.
    pub open: Price,
    /// High price.
    pub high: Price,
    /// Low price.
    pub low: Price,
    /// Close price.
    pub close: Price,
    /// Base-asset volume.
    pub volume: Wide,
    /// Close time in ms.
    pub close_time: u64,
    /// Quote-asset volume.
    pub quote_volume: Wide,
    /// Number of trades.
    pub trades: u64,
    /// Taker buy base-asset volume.
    pub taker_buy_base_volume: Wide,
    /// Taker buy quote-asset volume.
    pub taker_buy_quote_volume: Wide,
}

impl From<KlineRow> for Kline {
    fn from(r: KlineRow) -> Self {
        Kline {
            open_time: r.0,
            open: r.1,
            high: r.2,
            low: r.3,
            close: r.4,
            volume: r.5,
            close_time: r.6,
            quote_volume: r.7,
            trades: r.8,
            taker_buy_base_volume: r.9,
            taker_buy_quote_volume: r.10,
        }
    }
}

/// Decodes a REST depth snapshot.
pub fn decode_depth_snapshot(bytes: &[u8]) -> Result<DepthSnapshot, DecodeError> {
    decode_json(bytes, "depth snapshot", MAX_REST_BODY_BYTES)
}

/// Decodes `GET /api/v3/account`.
pub fn decode_account(bytes: &[u8]) -> Result<Account, DecodeError> {
    decode_json(bytes, "account", MAX_REST_BODY_BYTES)
}

/// Decodes a new-order response (ACK, RESULT or FULL).
pub fn decode_order_response(bytes: &[u8]) -> Result<OrderResponse, DecodeError> {
    decode_json(bytes, "order response", MAX_REST_BODY_BYTES)
}

/// Decodes a cancel-order response.
pub fn decode_cancel_order(bytes: &[u8]) -> Result<CanceledOrder, DecodeError> {
    decode_json(bytes, "cancel order response", MAX_REST_BODY_BYTES)
}

/// Decodes a query-order response.
pub fn decode_order_info(bytes: &[u8]) -> Result<OrderInfo, DecodeError> {
    decode_json(bytes, "query order response", MAX_REST_BODY_BYTES)
}

/// Decodes `openOrders` / `allOrders` (an array of orders).
pub fn decode_open_orders(bytes: &[u8]) -> Result<Vec<OrderInfo>, DecodeError> {
    decode_json(bytes, "open orders", MAX_REST_BODY_BYTES)
}

/// Decodes klines (array-of-arrays rows).
pub fn decode_klines(bytes: &[u8]) -> Result<Vec<Kline>, DecodeError> {
    decode_json(bytes, "klines", MAX_REST_BODY_BYTES)
}

/// Decodes `GET /api/v3/time`.
pub fn decode_server_time(bytes: &[u8]) -> Result<ServerTime, DecodeError> {
    decode_json(bytes, "server time", MAX_REST_BODY_BYTES)
}

/// Decodes the generic error body `{code, msg}`.
pub fn decode_api_error(bytes: &[u8]) -> Result<ApiError, DecodeError> {
    decode_json(bytes, "error body", MAX_REST_BODY_BYTES)
}

/// Decodes a REST body that is either the expected `T` or an error body
/// (`{code, msg}` and nothing else that `T` would need): `Ok(Err(api_error))`.
pub fn decode_rest<T: DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
) -> Result<Result<T, ApiError>, DecodeError> {
    let v: serde_json::Value = decode_json(bytes, what, MAX_REST_BODY_BYTES)?;
    let is_error = v.as_object().is_some_and(|o| {
        o.len() <= 3 && o.get("code").is_some_and(|c| c.is_i64()) && o.contains_key("msg")
    });
    if is_error {
        return serde_json::from_value(v)
            .map(Err)
            .map_err(|e| DecodeError::json("error body", e));
    }
    serde_json::from_value(v)
        .map(Ok)
        .map_err(|e| DecodeError::json(what, e))
}
