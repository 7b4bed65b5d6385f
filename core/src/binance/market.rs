//! Typed (serde) model of every Binance spot **market stream** payload.
//!
//! [`decode_market`] takes one WebSocket text frame, bare (`/ws/…`) or in the
//! combined-stream envelope (`{"stream":"btcusdt@depth@100ms","data":{…}}`),
//! and returns a [`MarketMessage`]: the stream name when there was one, and a
//! [`MarketEvent`] naming the kind. It also decodes the replies to
//! `SUBSCRIBE` / `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS` / `SET_PROPERTY` /
//! `GET_PROPERTY` (`{"result":…,"id":…}`) and the stream error reply
//! (`{"error":{"code":…,"msg":…},"id":…}`).
//!
//! This is the readable, allocating path (`kairos decode`, tests, tools); the
//! hot path uses [`super::fast`].
//!
//! Conventions: prices are [`Price`], quantities [`Qty`], signed changes
//! [`Amount`], and volumes / quote volumes (which outgrow an `i64` for cheap
//! coins) [`Wide`]. Percentages such as `"P": "-1.25"` are plain signed
//! decimals held in an [`Amount`] (so `"250.00"` means 250 %, not 2.5).
//! Field names are descriptive; the one-letter Binance keys are used for
//! deserialization only, so serializing a value prints the descriptive names.
//! Unknown JSON keys are ignored (Binance adds fields); missing required keys,
//! mistyped values and unknown enum values are errors.

use super::error::{DecodeError, MAX_FRAME_BYTES};
pub use super::types::RequestId;
use crate::num::{Amount, Price, Qty, Wide};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// One price level of a depth update or snapshot, sent by Binance as the
/// two-string array `["price", "qty"]`. A quantity of zero removes the level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "(Price, Qty)")]
pub struct Level {
    /// Price of the level.
    pub price: Price,
    /// Quantity resting at the level (zero: remove the level).
    pub qty: Qty,
}

impl From<(Price, Qty)> for Level {
    fn from((price, qty): (Price, Qty)) -> Self {
        Level { price, qty }
    }
}

/// `<symbol>@trade`: one trade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    /// Event time, ms since the epoch (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Symbol, upper case (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Trade id (`t`).
    #[serde(rename(deserialize = "t"))]
    pub trade_id: u64,
    /// Price (`p`).
    #[serde(rename(deserialize = "p"))]
    pub price: Price,
    /// Quantity (`q`).
    #[serde(rename(deserialize = "q"))]
    pub qty: Qty,
    /// Buyer order id (`b`): no longer sent by spot since 2023, kept for
    /// older captures.
    #[serde(
        rename(deserialize = "b"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub buyer_order_id: Option<u64>,
    /// Seller order id (`a`): no longer sent by spot since 2023, kept for
    /// older captures.
    #[serde(
        rename(deserialize = "a"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub seller_order_id: Option<u64>,
    /// Trade time, ms since the epoch (`T`).
    #[serde(rename(deserialize = "T"))]
    pub trade_time_ms: u64,
    /// Whether the buyer was the maker (`m`): true means the aggressor sold.
    #[serde(rename(deserialize = "m"))]
    pub buyer_is_maker: bool,
}

/// `<symbol>@aggTrade`: trades of one taker order at one price, aggregated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggTrade {
    /// Event time, ms since the epoch (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Aggregate trade id (`a`).
    #[serde(rename(deserialize = "a"))]
    pub agg_trade_id: u64,
    /// Price (`p`).
    #[serde(rename(deserialize = "p"))]
    pub price: Price,
    /// Quantity (`q`).
    #[serde(rename(deserialize = "q"))]
    pub qty: Qty,
    /// First trade id in the aggregate (`f`).
    #[serde(rename(deserialize = "f"))]
    pub first_trade_id: u64,
    /// Last trade id in the aggregate (`l`).
    #[serde(rename(deserialize = "l"))]
    pub last_trade_id: u64,
    /// Trade time, ms since the epoch (`T`).
    #[serde(rename(deserialize = "T"))]
    pub trade_time_ms: u64,
    /// Whether the buyer was the maker (`m`).
    #[serde(rename(deserialize = "m"))]
    pub buyer_is_maker: bool,
}

/// `<symbol>@blockTrade`: a block trade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockTrade {
    /// Event time, ms since the epoch (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Block trade id (`t`).
    #[serde(rename(deserialize = "t"))]
    pub trade_id: u64,
    /// Price (`p`).
    #[serde(rename(deserialize = "p"))]
    pub price: Price,
    /// Quantity (`q`).
    #[serde(rename(deserialize = "q"))]
    pub qty: Qty,
    /// Trade time, ms since the epoch (`T`).
    #[serde(rename(deserialize = "T"))]
    pub trade_time_ms: u64,
    /// Whether the buyer was the maker (`m`).
    #[serde(rename(deserialize = "m"))]
    pub buyer_is_maker: bool,
}

/// `<symbol>@bookTicker`: best bid and ask (no `e` key in the payload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookTicker {
    /// Order book update id (`u`); comparable with depth update ids.
    #[serde(rename(deserialize = "u"))]
    pub update_id: u64,
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Best bid price (`b`).
    #[serde(rename(deserialize = "b"))]
    pub bid_price: Price,
    /// Best bid quantity (`B`).
    #[serde(rename(deserialize = "B"))]
    pub bid_qty: Qty,
    /// Best ask price (`a`).
    #[serde(rename(deserialize = "a"))]
    pub ask_price: Price,
    /// Best ask quantity (`A`).
    #[serde(rename(deserialize = "A"))]
    pub ask_qty: Qty,
    /// Event time (`E`): not sent by spot, present in some captures.
    #[serde(
        rename(deserialize = "E"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub event_time_ms: Option<u64>,
    /// Transaction time (`T`): not sent by spot, present in some captures.
    #[serde(
        rename(deserialize = "T"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub transaction_time_ms: Option<u64>,
}

/// `<symbol>@depth[@100ms]`: diff of the order book (`e` = `depthUpdate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepthUpdate {
    /// Event time, ms since the epoch (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// First update id in this event (`U`).
    #[serde(rename(deserialize = "U"))]
    pub first_update_id: u64,
    /// Final update id in this event (`u`).
    #[serde(rename(deserialize = "u"))]
    pub final_update_id: u64,
    /// Bid levels to update (`b`).
    #[serde(rename(deserialize = "b"))]
    pub bids: Vec<Level>,
    /// Ask levels to update (`a`).
    #[serde(rename(deserialize = "a"))]
    pub asks: Vec<Level>,
}

/// `<symbol>@depth<5|10|20>[@100ms]`: top levels of the book (no `e` key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialDepth {
    /// Last update id included in this snapshot (`lastUpdateId`).
    #[serde(rename(deserialize = "lastUpdateId"))]
    pub last_update_id: u64,
    /// Bid levels, best first (`bids`).
    pub bids: Vec<Level>,
    /// Ask levels, best first (`asks`).
    pub asks: Vec<Level>,
}

/// A kline / average-price interval, as Binance spells it (`"1m"`, `"1M"`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KlineInterval {
    /// One second.
    #[serde(rename = "1s")]
    S1,
    /// One minute.
    #[serde(rename = "1m")]
    M1,
    /// Three minutes.
    #[serde(rename = "3m")]
    M3,
    /// Five minutes.
    #[serde(rename = "5m")]
    M5,
    /// Fifteen minutes.
    #[serde(rename = "15m")]
    M15,
    /// Thirty minutes.
    #[serde(rename = "30m")]
    M30,
    /// One hour.
    #[serde(rename = "1h")]
    H1,
    /// Two hours.
    #[serde(rename = "2h")]
    H2,
    /// Four hours.
    #[serde(rename = "4h")]
    H4,
    /// Six hours.
    #[serde(rename = "6h")]
    H6,
    /// Eight hours.
    #[serde(rename = "8h")]
    H8,
    /// Twelve hours.
    #[serde(rename = "12h")]
    H12,
    /// One day.
    #[serde(rename = "1d")]
    D1,
    /// Three days.
    #[serde(rename = "3d")]
    D3,
    /// One week.
    #[serde(rename = "1w")]
    W1,
    /// One month.
    #[serde(rename = "1M")]
    Mo1,
}

/// The candle inside a kline event (`k`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kline {
    /// Kline open time, ms (`t`).
    #[serde(rename(deserialize = "t"))]
    pub open_time_ms: u64,
    /// Kline close time, ms (`T`).
    #[serde(rename(deserialize = "T"))]
    pub close_time_ms: u64,
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Interval (`i`).
    #[serde(rename(deserialize = "i"))]
    pub interval: KlineInterval,
    /// First trade id (`f`); -1 when the candle has no trade.
    #[serde(rename(deserialize = "f"))]
    pub first_trade_id: i64,
    /// Last trade id (`L`); -1 when the candle has no trade.
    #[serde(rename(deserialize = "L"))]
    pub last_trade_id: i64,
    /// Open price (`o`).
    #[serde(rename(deserialize = "o"))]
    pub open: Price,
    /// Close (latest) price (`c`).
    #[serde(rename(deserialize = "c"))]
    pub close: Price,
    /// High price (`h`).
    #[serde(rename(deserialize = "h"))]
    pub high: Price,
    /// Low price (`l`).
    #[serde(rename(deserialize = "l"))]
    pub low: Price,
    /// Base asset volume (`v`).
    #[serde(rename(deserialize = "v"))]
    pub volume: Wide,
    /// Number of trades (`n`).
    #[serde(rename(deserialize = "n"))]
    pub trade_count: u64,
    /// Whether this candle is closed (`x`).
    #[serde(rename(deserialize = "x"))]
    pub is_closed: bool,
    /// Quote asset volume (`q`).
    #[serde(rename(deserialize = "q"))]
    pub quote_volume: Wide,
    /// Taker buy base asset volume (`V`).
    #[serde(rename(deserialize = "V"))]
    pub taker_buy_base_volume: Wide,
    /// Taker buy quote asset volume (`Q`).
    #[serde(rename(deserialize = "Q"))]
    pub taker_buy_quote_volume: Wide,
}

/// `<symbol>@kline_<interval>` (`e` = `kline`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KlineEvent {
    /// Event time, ms (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// The candle (`k`).
    #[serde(rename(deserialize = "k"))]
    pub kline: Kline,
}

/// `<symbol>@miniTicker` (`e` = `24hrMiniTicker`): 24 h rolling statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MiniTicker {
    /// Event time, ms (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Close (last) price (`c`).
    #[serde(rename(deserialize = "c"))]
    pub close: Price,
    /// Open price (`o`).
    #[serde(rename(deserialize = "o"))]
    pub open: Price,
    /// High price (`h`).
    #[serde(rename(deserialize = "h"))]
    pub high: Price,
    /// Low price (`l`).
    #[serde(rename(deserialize = "l"))]
    pub low: Price,
    /// Total traded base asset volume (`v`).
    #[serde(rename(deserialize = "v"))]
    pub volume: Wide,
    /// Total traded quote asset volume (`q`).
    #[serde(rename(deserialize = "q"))]
    pub quote_volume: Wide,
}

/// `<symbol>@ticker` (`e` = `24hrTicker`): full 24 h rolling statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticker24h {
    /// Event time, ms (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Price change (`p`), signed.
    #[serde(rename(deserialize = "p"))]
    pub price_change: Amount,
    /// Price change in percent (`P`), signed: `"250.00"` is 250 %.
    #[serde(rename(deserialize = "P"))]
    pub price_change_percent: Amount,
    /// Weighted average price (`w`).
    #[serde(rename(deserialize = "w"))]
    pub weighted_avg_price: Price,
    /// Price of the last trade before the window (`x`).
    #[serde(rename(deserialize = "x"))]
    pub prev_close_price: Price,
    /// Last price (`c`).
    #[serde(rename(deserialize = "c"))]
    pub last_price: Price,
    /// Last quantity (`Q`).
    #[serde(rename(deserialize = "Q"))]
    pub last_qty: Qty,
    /// Best bid price (`b`).
    #[serde(rename(deserialize = "b"))]
    pub bid_price: Price,
    /// Best bid quantity (`B`).
    #[serde(rename(deserialize = "B"))]
    pub bid_qty: Qty,
    /// Best ask price (`a`).
    #[serde(rename(deserialize = "a"))]
    pub ask_price: Price,
    /// Best ask quantity (`A`).
    #[serde(rename(deserialize = "A"))]
    pub ask_qty: Qty,
    /// Open price (`o`).
    #[serde(rename(deserialize = "o"))]
    pub open: Price,
    /// High price (`h`).
    #[serde(rename(deserialize = "h"))]
    pub high: Price,
    /// Low price (`l`).
    #[serde(rename(deserialize = "l"))]
    pub low: Price,
    /// Total traded base asset volume (`v`).
    #[serde(rename(deserialize = "v"))]
    pub volume: Wide,
    /// Total traded quote asset volume (`q`).
    #[serde(rename(deserialize = "q"))]
    pub quote_volume: Wide,
    /// Statistics open time, ms (`O`).
    #[serde(rename(deserialize = "O"))]
    pub open_time_ms: u64,
    /// Statistics close time, ms (`C`).
    #[serde(rename(deserialize = "C"))]
    pub close_time_ms: u64,
    /// First trade id (`F`); -1 when there was no trade.
    #[serde(rename(deserialize = "F"))]
    pub first_trade_id: i64,
    /// Last trade id (`L`); -1 when there was no trade.
    #[serde(rename(deserialize = "L"))]
    pub last_trade_id: i64,
    /// Number of trades (`n`).
    #[serde(rename(deserialize = "n"))]
    pub trade_count: u64,
}

/// The window of a rolling-window ticker, from its event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RollingWindow {
    /// One hour (`1hTicker`).
    #[serde(rename = "1hTicker")]
    H1,
    /// Four hours (`4hTicker`).
    #[serde(rename = "4hTicker")]
    H4,
    /// One day (`1dTicker`).
    #[serde(rename = "1dTicker")]
    D1,
}

/// `<symbol>@ticker_<1h|4h|1d>`: rolling-window statistics
/// (`e` = `1hTicker`, `4hTicker` or `1dTicker`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollingTicker {
    /// The window, from the event type (`e`).
    #[serde(rename(deserialize = "e"))]
    pub window: RollingWindow,
    /// Event time, ms (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Price change (`p`), signed.
    #[serde(rename(deserialize = "p"))]
    pub price_change: Amount,
    /// Price change in percent (`P`), signed: `"250.00"` is 250 %.
    #[serde(rename(deserialize = "P"))]
    pub price_change_percent: Amount,
    /// Open price (`o`).
    #[serde(rename(deserialize = "o"))]
    pub open: Price,
    /// High price (`h`).
    #[serde(rename(deserialize = "h"))]
    pub high: Price,
    /// Low price (`l`).
    #[serde(rename(deserialize = "l"))]
    pub low: Price,
    /// Last price (`c`).
    #[serde(rename(deserialize = "c"))]
    pub last_price: Price,
    /// Weighted average price (`w`).
    #[serde(rename(deserialize = "w"))]
    pub weighted_avg_price: Price,
    /// Total traded base asset volume (`v`).
    #[serde(rename(deserialize = "v"))]
    pub volume: Wide,
    /// Total traded quote asset volume (`q`).
    #[serde(rename(deserialize = "q"))]
    pub quote_volume: Wide,
    /// Statistics open time, ms (`O`).
    #[serde(rename(deserialize = "O"))]
    pub open_time_ms: u64,
    /// Statistics close time, ms (`C`).
    #[serde(rename(deserialize = "C"))]
    pub close_time_ms: u64,
    /// First trade id (`F`); -1 when there was no trade.
    #[serde(rename(deserialize = "F"))]
    pub first_trade_id: i64,
    /// Last trade id (`L`); -1 when there was no trade.
    #[serde(rename(deserialize = "L"))]
    pub last_trade_id: i64,
    /// Number of trades (`n`).
    #[serde(rename(deserialize = "n"))]
    pub trade_count: u64,
}

/// `<symbol>@avgPrice` (`e` = `avgPrice`): the average price over an interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvgPrice {
    /// Event time, ms (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Averaging interval (`i`).
    #[serde(rename(deserialize = "i"))]
    pub interval: KlineInterval,
    /// Average price (`w`).
    #[serde(rename(deserialize = "w"))]
    pub avg_price: Price,
    /// Last trade time, ms (`T`).
    #[serde(rename(deserialize = "T"))]
    pub last_trade_time_ms: u64,
}

/// `<symbol>@referencePrice` (`e` = `referencePrice`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferencePrice {
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Reference price (`r`).
    #[serde(rename(deserialize = "r"))]
    pub reference_price: Price,
    /// Time of the reference price, ms (`t`).
    #[serde(rename(deserialize = "t"))]
    pub time_ms: u64,
}

/// `serverShutdown`: the server is about to close the connection; reconnect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerShutdown {
    /// Event time, ms (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
}

/// The `result` of a stream control reply that carries one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ControlResult {
    /// `LIST_SUBSCRIPTIONS`: the active stream names.
    Streams(Vec<String>),
    /// `GET_PROPERTY`: the property's value (e.g. `combined`).
    Flag(bool),
}

/// The reply to `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`,
/// `SET_PROPERTY` or `GET_PROPERTY`: `{"result":…,"id":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlResponse {
    /// `null` for (un)subscribe and `SET_PROPERTY`, else the answer.
    pub result: Option<ControlResult>,
    /// The request's id (`null` when the request had none).
    pub id: Option<RequestId>,
}

/// The error body of a failed stream control request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamErrorBody {
    /// Binance's error code (e.g. 2 = invalid request).
    pub code: i64,
    /// Binance's message.
    pub msg: String,
}

/// The reply to a failed stream control request: `{"error":{…},"id":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamError {
    /// What went wrong.
    pub error: StreamErrorBody,
    /// The request's id, when known.
    pub id: Option<RequestId>,
}

/// One decoded market stream payload, by kind. Serialized with a `kind`
/// tag (`{"kind":"trade",…fields}`); the kinds are Binance's event names
/// where there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum MarketEvent {
    /// `trade`.
    #[serde(rename = "trade")]
    Trade(Trade),
    /// `aggTrade`.
    #[serde(rename = "aggTrade")]
    AggTrade(AggTrade),
    /// `blockTrade`.
    #[serde(rename = "blockTrade")]
    BlockTrade(BlockTrade),
    /// `bookTicker` (no `e` on the wire).
    #[serde(rename = "bookTicker")]
    BookTicker(BookTicker),
    /// `depthUpdate` (diff depth).
    #[serde(rename = "depthUpdate")]
    DepthUpdate(DepthUpdate),
    /// Partial book depth (no `e` on the wire).
    #[serde(rename = "partialDepth")]
    PartialDepth(PartialDepth),
    /// `kline`.
    #[serde(rename = "kline")]
    Kline(KlineEvent),
    /// `24hrMiniTicker`.
    #[serde(rename = "24hrMiniTicker")]
    MiniTicker(MiniTicker),
    /// `24hrTicker`.
    #[serde(rename = "24hrTicker")]
    Ticker(Ticker24h),
    /// `1hTicker` / `4hTicker` / `1dTicker`.
    #[serde(rename = "rollingTicker")]
    RollingTicker(RollingTicker),
    /// `!miniTicker@arr`: all changed mini tickers.
    #[serde(rename = "24hrMiniTickerArray")]
    MiniTickers {
        /// The tickers.
        tickers: Vec<MiniTicker>,
    },
    /// `!ticker@arr`: all changed 24 h tickers.
    #[serde(rename = "24hrTickerArray")]
    Tickers {
        /// The tickers.
        tickers: Vec<Ticker24h>,
    },
    /// `!ticker_<window>@arr`: all changed rolling-window tickers.
    #[serde(rename = "rollingTickerArray")]
    RollingTickers {
        /// The tickers.
        tickers: Vec<RollingTicker>,
    },
    /// `avgPrice`.
    #[serde(rename = "avgPrice")]
    AvgPrice(AvgPrice),
    /// `referencePrice`.
    #[serde(rename = "referencePrice")]
    ReferencePrice(ReferencePrice),
    /// `serverShutdown`.
    #[serde(rename = "serverShutdown")]
    ServerShutdown(ServerShutdown),
    /// Reply to a stream control request.
    #[serde(rename = "controlResponse")]
    ControlResponse(ControlResponse),
    /// Error reply to a stream control request.
    #[serde(rename = "streamError")]
    StreamError(StreamError),
}

impl MarketEvent {
    /// The kind's name, as in the serialized `kind` tag.
    pub fn kind(&self) -> &'static str {
        match self {
            MarketEvent::Trade(_) => "trade",
            MarketEvent::AggTrade(_) => "aggTrade",
            MarketEvent::BlockTrade(_) => "blockTrade",
            MarketEvent::BookTicker(_) => "bookTicker",
            MarketEvent::DepthUpdate(_) => "depthUpdate",
            MarketEvent::PartialDepth(_) => "partialDepth",
            MarketEvent::Kline(_) => "kline",
            MarketEvent::MiniTicker(_) => "24hrMiniTicker",
            MarketEvent::Ticker(_) => "24hrTicker",
            MarketEvent::RollingTicker(_) => "rollingTicker",
            MarketEvent::MiniTickers { .. } => "24hrMiniTickerArray",
            MarketEvent::Tickers { .. } => "24hrTickerArray",
            MarketEvent::RollingTickers { .. } => "rollingTickerArray",
            MarketEvent::AvgPrice(_) => "avgPrice",
            MarketEvent::ReferencePrice(_) => "referencePrice",
            MarketEvent::ServerShutdown(_) => "serverShutdown",
            MarketEvent::ControlResponse(_) => "controlResponse",
            MarketEvent::StreamError(_) => "streamError",
        }
    }
}

/// A decoded market stream frame: the event, and the stream name when the
/// frame came in the combined-stream envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketMessage {
    /// `stream` of the combined envelope (`"btcusdt@depth@100ms"`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// The payload.
    #[serde(flatten)]
    pub event: MarketEvent,
}

impl MarketMessage {
    /// The kind's name (see [`MarketEvent::kind`]).
    pub fn kind(&self) -> &'static str {
        self.event.kind()
    }
}

/// Decodes one market stream frame: a bare payload, a combined-stream
/// envelope, or a control reply.
///
/// Dispatch: on `"e"` when present; otherwise (bookTicker and partial depth
/// carry no `"e"`) on the envelope's stream name (`…@bookTicker`,
/// `…@depth<N>…`), and failing that on the keys (`lastUpdateId` → partial
/// depth, `u` → bookTicker, `result`/`error` with `id` → control reply).
pub fn decode_market(bytes: &[u8]) -> Result<MarketMessage, DecodeError> {
    check_frame(bytes)?;
    let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::Unknown {
        detail: format!("market message is not UTF-8 ({e})"),
    })?;
    if first_byte(text) == Some(b'[') {
        let event = decode_array(text, None)?;
        return Ok(MarketMessage {
            stream: None,
            event,
        });
    }
    let probe: Probe<'_> =
        serde_json::from_str(text).map_err(|e| DecodeError::json("market message", e))?;
    if let (Some(stream), Some(data)) = (probe.stream.as_deref(), probe.data) {
        let inner = data.get();
        let event = if first_byte(inner) == Some(b'[') {
            decode_array(inner, Some(stream))?
        } else {
            let inner_probe: Probe<'_> = serde_json::from_str(inner)
                .map_err(|e| DecodeError::json("market message data", e))?;
            decode_object(inner, &inner_probe, Some(stream))?
        };
        return Ok(MarketMessage {
            stream: Some(stream.to_owned()),
            event,
        });
    }
    let event = decode_object(text, &probe, None)?;
    Ok(MarketMessage {
        stream: None,
        event,
    })
}

/// Rejects empty and oversized frames.
pub(crate) fn check_frame(bytes: &[u8]) -> Result<(), DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max: MAX_FRAME_BYTES,
        });
    }
    Ok(())
}

/// First non-whitespace byte.
pub(crate) fn first_byte(text: &str) -> Option<u8> {
    text.bytes().find(|b| !b.is_ascii_whitespace())
}

/// Shortens outside text quoted in an error message.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// Names the top-level keys of an object we could not classify.
pub(crate) fn describe_keys(what: &str, text: &str) -> DecodeError {
    let keys: Result<std::collections::BTreeMap<String, serde::de::IgnoredAny>, _> =
        serde_json::from_str(text);
    let detail = match keys {
        Ok(map) => {
            let names: Vec<String> = map.keys().take(12).map(|k| clip(k)).collect();
            format!(
                "{what} without \"e\" and of no known shape (keys: {})",
                names.join(", ")
            )
        }
        Err(_) => format!("{what} is not a JSON object"),
    };
    DecodeError::Unknown { detail }
}

/// Marks a key as present whatever its value (`null` included).
#[derive(Default)]
pub(crate) struct Present(pub(crate) bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        Ok(Present(true))
    }
}

/// The keys that classify a market frame.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(default, borrow)]
    e: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    stream: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    result: Present,
    #[serde(default)]
    error: Present,
    #[serde(default)]
    id: Present,
    #[serde(default, rename = "lastUpdateId")]
    last_update_id: Present,
    #[serde(default)]
    u: Present,
}

fn parse<'a, T: Deserialize<'a>>(what: &'static str, text: &'a str) -> Result<T, DecodeError> {
    serde_json::from_str(text).map_err(|e| DecodeError::json(what, e))
}

/// The part of a stream name after the symbol: `btcusdt@depth5@100ms` →
/// `depth5@100ms`; an all-market name loses its `!` only: `!miniTicker@arr`
/// → `miniTicker@arr`.
fn stream_suffix(stream: &str) -> &str {
    if let Some(all_market) = stream.strip_prefix('!') {
        return all_market;
    }
    match stream.split_once('@') {
        Some((_, rest)) => rest,
        None => stream,
    }
}

fn decode_object(
    text: &str,
    probe: &Probe<'_>,
    stream: Option<&str>,
) -> Result<MarketEvent, DecodeError> {
    if let Some(e) = probe.e.as_deref() {
        return Ok(match e {
            "trade" => MarketEvent::Trade(parse("trade", text)?),
            "aggTrade" => MarketEvent::AggTrade(parse("aggTrade", text)?),
            "blockTrade" => MarketEvent::BlockTrade(parse("blockTrade", text)?),
            "depthUpdate" => MarketEvent::DepthUpdate(parse("depthUpdate", text)?),
            "kline" => MarketEvent::Kline(parse("kline", text)?),
            "24hrMiniTicker" => MarketEvent::MiniTicker(parse("24hrMiniTicker", text)?),
            "24hrTicker" => MarketEvent::Ticker(parse("24hrTicker", text)?),
            "1hTicker" | "4hTicker" | "1dTicker" => {
                MarketEvent::RollingTicker(parse("rolling window ticker", text)?)
            }
            "avgPrice" => MarketEvent::AvgPrice(parse("avgPrice", text)?),
            "referencePrice" => MarketEvent::ReferencePrice(parse("referencePrice", text)?),
            "serverShutdown" => MarketEvent::ServerShutdown(parse("serverShutdown", text)?),
            other => {
                return Err(DecodeError::Unknown {
                    detail: format!("market event type {:?}", clip(other)),
                })
            }
        });
    }
    if let Some(stream) = stream {
        let suffix = stream_suffix(stream);
        if suffix == "bookTicker" {
            return Ok(MarketEvent::BookTicker(parse("bookTicker", text)?));
        }
        if suffix.starts_with("depth") {
            return Ok(MarketEvent::PartialDepth(parse("partial depth", text)?));
        }
    }
    if probe.id.0 && probe.error.0 {
        return Ok(MarketEvent::StreamError(parse("stream error reply", text)?));
    }
    if probe.id.0 && probe.result.0 {
        return Ok(MarketEvent::ControlResponse(parse(
            "stream control reply",
            text,
        )?));
    }
    if probe.last_update_id.0 {
        return Ok(MarketEvent::PartialDepth(parse("partial depth", text)?));
    }
    if probe.u.0 {
        return Ok(MarketEvent::BookTicker(parse("bookTicker", text)?));
    }
    Err(describe_keys("market message", text))
}

/// The `e` of each element of an all-market array.
#[derive(Deserialize)]
struct ElementProbe<'a> {
    #[serde(default, borrow)]
    e: Option<Cow<'a, str>>,
}

fn decode_array(text: &str, stream: Option<&str>) -> Result<MarketEvent, DecodeError> {
    let elements: Vec<ElementProbe<'_>> =
        serde_json::from_str(text).map_err(|e| DecodeError::json("market array", e))?;
    let by_event = elements.first().and_then(|p| p.e.as_deref());
    let kind = match (by_event, stream.map(stream_suffix)) {
        (Some("24hrMiniTicker"), _) | (None, Some("miniTicker@arr")) => "24hrMiniTicker",
        (Some("24hrTicker"), _) | (None, Some("ticker@arr")) => "24hrTicker",
        (Some("1hTicker" | "4hTicker" | "1dTicker"), _) => "rolling",
        (None, Some(s)) if s.starts_with("ticker_") && s.ends_with("@arr") => "rolling",
        (Some(other), _) => {
            return Err(DecodeError::Unknown {
                detail: format!("market array of event type {:?}", clip(other)),
            })
        }
        (None, _) => {
            return Err(DecodeError::Unknown {
                detail: match stream {
                    Some(name) => format!(
                    "market array without \"e\" on stream {:?} (not an all-market array stream)",
                    clip(name)
                ),
                    None => "market array whose first element has no \"e\"".to_owned(),
                },
            })
        }
    };
    Ok(match kind {
        "24hrMiniTicker" => MarketEvent::MiniTickers {
            tickers: parse("24hrMiniTicker array", text)?,
        },
        "24hrTicker" => MarketEvent::Tickers {
            tickers: parse("24hrTicker array", text)?,
        },
        _ => MarketEvent::RollingTickers {
            tickers: parse("rolling window ticker array", text)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_trade_and_kind() {
        let m = decode_market(
            br#"{"e":"trade","E":1,"s":"BTCUSDT","t":7,"p":"61837.63000000","q":"0.001","T":2,"m":true,"M":true}"#,
        )
        .unwrap();
        assert_eq!(m.kind(), "trade");
        assert_eq!(m.stream, None);
        let MarketEvent::Trade(t) = &m.event else {
            panic!("{m:?}")
        };
        assert_eq!(t.price.to_string(), "61837.63000000");
        let json = serde_json::to_string(&m).unwrap();
        assert!(
            json.starts_with(r#"{"kind":"trade","event_time_ms":1"#),
            "{json}"
        );
        assert!(json.contains(r#""price":"61837.63000000""#), "{json}");
    }

    #[test]
    fn stream_suffix_cases() {
        assert_eq!(stream_suffix("btcusdt@depth5@100ms"), "depth5@100ms");
        assert_eq!(stream_suffix("!bookTicker"), "bookTicker");
        assert_eq!(stream_suffix("!miniTicker@arr"), "miniTicker@arr");
    }

    #[test]
    fn arrays_by_event_and_by_stream() {
        let m = decode_market(br#"{"stream":"!miniTicker@arr","data":[]}"#).unwrap();
        assert_eq!(m.event, MarketEvent::MiniTickers { tickers: vec![] });
        let m = decode_market(br#"{"stream":"!ticker_4h@arr","data":[]}"#).unwrap();
        assert_eq!(m.event, MarketEvent::RollingTickers { tickers: vec![] });
        let m = decode_market(
            br#"[{"e":"24hrMiniTicker","E":1,"s":"A","c":"1","o":"1","h":"1","l":"1","v":"1","q":"1"}]"#,
        )
        .unwrap();
        assert_eq!(m.kind(), "24hrMiniTickerArray");
        assert!(decode_market(b"[]").is_err());
    }

    #[test]
    fn clip_is_char_safe() {
        let long = "é".repeat(100);
        assert_eq!(clip(&long).chars().count(), 65);
    }
}
