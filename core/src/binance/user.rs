//! Typed (serde) model of the Binance spot **user-data** events.
//!
//! [`decode_user`] takes one frame of the user data stream in any of its
//! three shapes:
//! - bare (`{"e":"executionReport",…}`, the legacy listen-key stream `/ws/…`);
//! - the WebSocket-API subscription envelope
//!   (`{"subscriptionId":0,"event":{…}}`, `userDataStream.subscribe`; the
//!   `subscriptionId` is absent on some `eventStreamTerminated` frames);
//! - the combined-stream wrapper (`{"stream":…,"data":{…}}`).
//!
//! and returns a [`UserMessage`] naming the kind ([`UserEvent`]).
//!
//! Conventions as in [`super::market`]: prices [`Price`], order quantities
//! [`Qty`], signed deltas and commissions [`Amount`], wallet balances [`Wide`]
//! (a balance of a low-priced coin can pass the `i64` limit of 9.2 × 10^10
//! units). Enums are strict (an unknown value is an error naming it) except
//! for free-text fields Binance keeps extending (reject reasons, match type,
//! expiry reason), which are `String`.

use super::error::DecodeError;
use super::market::{check_frame, clip, describe_keys, first_byte};
pub use super::types::{OrderStatus, OrderType, Side, TimeInForce};
use crate::num::{Amount, Price, Qty, Wide};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Execution type (`x`): what happened in this report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionType {
    /// `NEW`: accepted into the engine.
    New,
    /// `CANCELED`: canceled by the user.
    Canceled,
    /// `REPLACED`: amended.
    Replaced,
    /// `REJECTED`: rejected and not processed.
    Rejected,
    /// `TRADE`: part or all of the order filled.
    Trade,
    /// `EXPIRED`: canceled by the order type's rules or by the exchange.
    Expired,
    /// `TRADE_PREVENTION`: expired due to self-trade prevention.
    TradePrevention,
    /// `CALCULATED`: a liquidation execution. A futures value, not a
    /// documented spot one; seen in NautilusTrader's spot fixtures.
    Calculated,
}

/// Self-trade prevention mode (`V`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StpMode {
    /// `NONE`.
    None,
    /// `EXPIRE_MAKER`.
    ExpireMaker,
    /// `EXPIRE_TAKER`.
    ExpireTaker,
    /// `EXPIRE_BOTH`.
    ExpireBoth,
    /// `DECREMENT`.
    Decrement,
    /// `TRANSFER`.
    Transfer,
}

/// Working floor (`k`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkingFloor {
    /// `EXCHANGE`.
    Exchange,
    /// `SOR`: smart order routing.
    Sor,
}

/// Pegged price type (`gP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PegPriceType {
    /// `PRIMARY_PEG`: best price on the order's own side.
    PrimaryPeg,
    /// `MARKET_PEG`: best price on the opposite side.
    MarketPeg,
}

/// Pegged offset type (`gOT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PegOffsetType {
    /// `PRICE_LEVEL`: offset by price levels, deeper into the book.
    PriceLevel,
}

/// `executionReport`: an order update, with every documented field.
///
/// Required: the fields Binance always sends. `Option`: the conditional
/// fields (appear only for trailing, STP, SOR, pegged, strategy or
/// allocation orders) and a few always-sent fields that third-party
/// fixtures omit (`F`, `g`, `I`, `Y`, `Q`, `L`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionReport {
    /// Event time, ms (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Client order id (`c`); may be empty.
    #[serde(rename(deserialize = "c"))]
    pub client_order_id: String,
    /// Side (`S`).
    #[serde(rename(deserialize = "S"))]
    pub side: Side,
    /// Order type (`o`).
    #[serde(rename(deserialize = "o"))]
    pub order_type: OrderType,
    /// Time in force (`f`).
    #[serde(rename(deserialize = "f"))]
    pub time_in_force: TimeInForce,
    /// Order quantity (`q`).
    #[serde(rename(deserialize = "q"))]
    pub qty: Qty,
    /// Order price (`p`); zero for market orders.
    #[serde(rename(deserialize = "p"))]
    pub price: Price,
    /// Stop price (`P`); zero when not a stop order.
    #[serde(rename(deserialize = "P"))]
    pub stop_price: Price,
    /// Iceberg quantity (`F`).
    #[serde(
        rename(deserialize = "F"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub iceberg_qty: Option<Qty>,
    /// Order list id (`g`); -1 when not part of a list.
    #[serde(
        rename(deserialize = "g"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub order_list_id: Option<i64>,
    /// Original client order id (`C`): the order being canceled; often empty.
    #[serde(rename(deserialize = "C"))]
    pub orig_client_order_id: String,
    /// Execution type (`x`).
    #[serde(rename(deserialize = "x"))]
    pub execution_type: ExecutionType,
    /// Order status (`X`).
    #[serde(rename(deserialize = "X"))]
    pub order_status: OrderStatus,
    /// Reject reason (`r`), `"NONE"` when not rejected. Free text: Binance
    /// keeps adding values.
    #[serde(rename(deserialize = "r"))]
    pub reject_reason: String,
    /// Order id (`i`).
    #[serde(rename(deserialize = "i"))]
    pub order_id: u64,
    /// Last executed quantity (`l`).
    #[serde(rename(deserialize = "l"))]
    pub last_executed_qty: Qty,
    /// Cumulative filled quantity (`z`).
    #[serde(rename(deserialize = "z"))]
    pub cumulative_filled_qty: Qty,
    /// Last executed price (`L`); `"0.00000000"` when nothing executed (and,
    /// in some third-party captures, even on a `TRADE`), absent in others.
    #[serde(
        rename(deserialize = "L"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_executed_price: Option<Price>,
    /// Commission of the last execution (`n`); `"0"` when none.
    #[serde(rename(deserialize = "n"))]
    pub commission: Amount,
    /// Commission asset (`N`); `null` when no commission.
    #[serde(
        rename(deserialize = "N"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub commission_asset: Option<String>,
    /// Transaction time, ms (`T`).
    #[serde(rename(deserialize = "T"))]
    pub transaction_time_ms: u64,
    /// Trade id (`t`); -1 when this report is not a trade.
    #[serde(rename(deserialize = "t"))]
    pub trade_id: i64,
    /// Execution id (`I`).
    #[serde(
        rename(deserialize = "I"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub execution_id: Option<u64>,
    /// Whether the order is on the book (`w`).
    #[serde(rename(deserialize = "w"))]
    pub is_working: bool,
    /// Whether this trade was the maker side (`m`).
    #[serde(rename(deserialize = "m"))]
    pub is_maker: bool,
    /// Order creation time, ms (`O`).
    #[serde(rename(deserialize = "O"))]
    pub order_creation_time_ms: u64,
    /// Cumulative quote asset transacted quantity (`Z`).
    #[serde(rename(deserialize = "Z"))]
    pub cumulative_quote_qty: Qty,
    /// Last quote asset transacted quantity, last price × last qty (`Y`).
    #[serde(
        rename(deserialize = "Y"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_quote_qty: Option<Qty>,
    /// Quote order quantity (`Q`).
    #[serde(
        rename(deserialize = "Q"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub quote_order_qty: Option<Qty>,
    /// Working time, ms (`W`): when the order went on the book.
    #[serde(
        rename(deserialize = "W"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub working_time_ms: Option<u64>,
    /// Self-trade prevention mode (`V`).
    #[serde(
        rename(deserialize = "V"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stp_mode: Option<StpMode>,
    /// Trailing delta in BIPS (`d`): trailing stop orders only.
    #[serde(
        rename(deserialize = "d"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub trailing_delta: Option<u64>,
    /// Trailing time, ms (`D`): when the trailing stop was activated.
    #[serde(
        rename(deserialize = "D"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub trailing_time_ms: Option<i64>,
    /// Strategy id (`j`), when given at placement.
    #[serde(
        rename(deserialize = "j"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub strategy_id: Option<i64>,
    /// Strategy type (`J`), when given at placement.
    #[serde(
        rename(deserialize = "J"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub strategy_type: Option<i64>,
    /// Prevented match id (`v`): orders expired due to STP.
    #[serde(
        rename(deserialize = "v"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub prevented_match_id: Option<i64>,
    /// Prevented quantity (`A`): STP.
    #[serde(
        rename(deserialize = "A"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub prevented_qty: Option<Qty>,
    /// Last prevented quantity (`B`): STP.
    #[serde(
        rename(deserialize = "B"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_prevented_qty: Option<Qty>,
    /// Trade group id (`u`): STP.
    #[serde(
        rename(deserialize = "u"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub trade_group_id: Option<i64>,
    /// Counter order id (`U`): STP.
    #[serde(
        rename(deserialize = "U"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub counter_order_id: Option<i64>,
    /// Counter symbol (`Cs`): STP.
    #[serde(
        rename(deserialize = "Cs"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub counter_symbol: Option<String>,
    /// Prevented execution quantity (`pl`): STP.
    #[serde(
        rename(deserialize = "pl"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub prevented_execution_qty: Option<Qty>,
    /// Prevented execution price (`pL`): STP.
    #[serde(
        rename(deserialize = "pL"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub prevented_execution_price: Option<Price>,
    /// Prevented execution quote quantity (`pY`): STP.
    #[serde(
        rename(deserialize = "pY"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub prevented_execution_quote_qty: Option<Qty>,
    /// Match type (`b`), e.g. `ONE_PARTY_TRADE_REPORT`: orders with
    /// allocations. Free text.
    #[serde(
        rename(deserialize = "b"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub match_type: Option<String>,
    /// Allocation id (`a`): orders with allocations.
    #[serde(
        rename(deserialize = "a"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub allocation_id: Option<i64>,
    /// Working floor (`k`): orders that may have allocations.
    #[serde(
        rename(deserialize = "k"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub working_floor: Option<WorkingFloor>,
    /// Whether SOR was used (`uS`).
    #[serde(
        rename(deserialize = "uS"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub used_sor: Option<bool>,
    /// Pegged price type (`gP`): pegged orders.
    #[serde(
        rename(deserialize = "gP"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub peg_price_type: Option<PegPriceType>,
    /// Pegged offset type (`gOT`): pegged orders.
    #[serde(
        rename(deserialize = "gOT"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub peg_offset_type: Option<PegOffsetType>,
    /// Pegged offset value (`gOV`): pegged orders.
    #[serde(
        rename(deserialize = "gOV"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub peg_offset_value: Option<i64>,
    /// Pegged price (`gp`): pegged orders.
    #[serde(
        rename(deserialize = "gp"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pegged_price: Option<Price>,
    /// Expiry reason (`eR`), e.g. `INSUFFICIENT_LIQUIDITY`. Free text; not in
    /// the spot docs, seen in NautilusTrader's fixtures.
    #[serde(
        rename(deserialize = "eR"),
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub expiry_reason: Option<String>,
}

/// One asset of an [`AccountPosition`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetBalance {
    /// Asset (`a`).
    #[serde(rename(deserialize = "a"))]
    pub asset: String,
    /// Free amount (`f`).
    #[serde(rename(deserialize = "f"))]
    pub free: Wide,
    /// Locked amount (`l`).
    #[serde(rename(deserialize = "l"))]
    pub locked: Wide,
}

/// `outboundAccountPosition`: the balances that may have changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountPosition {
    /// Event time, ms (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Time of the last account update, ms (`u`).
    #[serde(rename(deserialize = "u"))]
    pub last_update_time_ms: u64,
    /// Balances (`B`).
    #[serde(rename(deserialize = "B"))]
    pub balances: Vec<AssetBalance>,
}

/// `balanceUpdate`: a deposit, withdrawal or transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceUpdate {
    /// Event time, ms (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Asset (`a`).
    #[serde(rename(deserialize = "a"))]
    pub asset: String,
    /// Balance delta (`d`), signed.
    #[serde(rename(deserialize = "d"))]
    pub delta: Amount,
    /// Clear time, ms (`T`).
    #[serde(rename(deserialize = "T"))]
    pub clear_time_ms: u64,
}

/// Contingency type of an order list (`c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContingencyType {
    /// `OCO`: one cancels the other.
    Oco,
    /// `OTO`: one triggers the other.
    Oto,
}

/// List status type (`l`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ListStatusType {
    /// `RESPONSE`: answering a failed action.
    Response,
    /// `EXEC_STARTED`: placed, or its status changed.
    ExecStarted,
    /// `UPDATED`: a client order id of the list changed.
    Updated,
    /// `ALL_DONE`: finished.
    AllDone,
}

/// List order status (`L`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ListOrderStatus {
    /// `EXECUTING`.
    Executing,
    /// `ALL_DONE`.
    AllDone,
    /// `REJECT`.
    Reject,
}

/// One order of a [`ListStatus`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListOrder {
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Order id (`i`).
    #[serde(rename(deserialize = "i"))]
    pub order_id: u64,
    /// Client order id (`c`).
    #[serde(rename(deserialize = "c"))]
    pub client_order_id: String,
}

/// `listStatus`: an order list (OCO, OTO, …) changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListStatus {
    /// Event time, ms (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Symbol (`s`).
    #[serde(rename(deserialize = "s"))]
    pub symbol: String,
    /// Order list id (`g`).
    #[serde(rename(deserialize = "g"))]
    pub order_list_id: i64,
    /// Contingency type (`c`).
    #[serde(rename(deserialize = "c"))]
    pub contingency_type: ContingencyType,
    /// List status type (`l`).
    #[serde(rename(deserialize = "l"))]
    pub list_status_type: ListStatusType,
    /// List order status (`L`).
    #[serde(rename(deserialize = "L"))]
    pub list_order_status: ListOrderStatus,
    /// List reject reason (`r`), `"NONE"` when not rejected. Free text.
    #[serde(rename(deserialize = "r"))]
    pub list_reject_reason: String,
    /// List client order id (`C`).
    #[serde(rename(deserialize = "C"))]
    pub list_client_order_id: String,
    /// Transaction time, ms (`T`).
    #[serde(rename(deserialize = "T"))]
    pub transaction_time_ms: u64,
    /// The orders of the list (`O`).
    #[serde(rename(deserialize = "O"))]
    pub orders: Vec<ListOrder>,
}

/// `eventStreamTerminated`: the WS-API user data subscription stopped
/// (unsubscribe or logout); resubscribe if that was not intended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventStreamTerminated {
    /// Event time, ms (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
}

/// `externalLockUpdate`: part of the spot balance locked or unlocked by an
/// external system (e.g. as margin collateral).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalLockUpdate {
    /// Event time, ms (`E`).
    #[serde(rename(deserialize = "E"))]
    pub event_time_ms: u64,
    /// Asset (`a`).
    #[serde(rename(deserialize = "a"))]
    pub asset: String,
    /// Locked delta (`d`), signed.
    #[serde(rename(deserialize = "d"))]
    pub delta: Amount,
    /// Transaction time, ms (`T`).
    #[serde(rename(deserialize = "T"))]
    pub transaction_time_ms: u64,
}

/// `listenKeyExpired` (legacy listen-key streams): no more events until a new
/// listen key is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenKeyExpired {
    /// Event time, ms (`E`); Binance documents it as a string, a number is
    /// accepted too.
    #[serde(rename(deserialize = "E"), deserialize_with = "u64_from_str_or_num")]
    pub event_time_ms: u64,
    /// The listen key that expired (`listenKey`).
    #[serde(rename(deserialize = "listenKey"))]
    pub listen_key: String,
}

/// One decoded user-data event, by kind. Serialized with a `kind` tag
/// (`{"kind":"executionReport",…fields}`): Binance's event names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum UserEvent {
    /// `executionReport`.
    #[serde(rename = "executionReport")]
    ExecutionReport(Box<ExecutionReport>),
    /// `outboundAccountPosition`.
    #[serde(rename = "outboundAccountPosition")]
    AccountPosition(AccountPosition),
    /// `balanceUpdate`.
    #[serde(rename = "balanceUpdate")]
    BalanceUpdate(BalanceUpdate),
    /// `listStatus`.
    #[serde(rename = "listStatus")]
    ListStatus(ListStatus),
    /// `eventStreamTerminated`.
    #[serde(rename = "eventStreamTerminated")]
    EventStreamTerminated(EventStreamTerminated),
    /// `externalLockUpdate`.
    #[serde(rename = "externalLockUpdate")]
    ExternalLockUpdate(ExternalLockUpdate),
    /// `listenKeyExpired`.
    #[serde(rename = "listenKeyExpired")]
    ListenKeyExpired(ListenKeyExpired),
}

impl UserEvent {
    /// The kind's name (Binance's event type), as in the `kind` tag.
    pub fn kind(&self) -> &'static str {
        match self {
            UserEvent::ExecutionReport(_) => "executionReport",
            UserEvent::AccountPosition(_) => "outboundAccountPosition",
            UserEvent::BalanceUpdate(_) => "balanceUpdate",
            UserEvent::ListStatus(_) => "listStatus",
            UserEvent::EventStreamTerminated(_) => "eventStreamTerminated",
            UserEvent::ExternalLockUpdate(_) => "externalLockUpdate",
            UserEvent::ListenKeyExpired(_) => "listenKeyExpired",
        }
    }
}

/// A decoded user-data frame: the event and what envelope it came in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserMessage {
    /// `subscriptionId` of the WS-API envelope, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<u64>,
    /// `stream` of the combined-stream wrapper, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// The event.
    #[serde(flatten)]
    pub event: UserEvent,
}

impl UserMessage {
    /// The kind's name (see [`UserEvent::kind`]).
    pub fn kind(&self) -> &'static str {
        self.event.kind()
    }
}

/// The keys that classify a user-data frame.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(default, borrow)]
    e: Option<Cow<'a, str>>,
    #[serde(default, rename = "subscriptionId")]
    subscription_id: Option<u64>,
    #[serde(default, borrow)]
    event: Option<&'a RawValue>,
    #[serde(default, borrow)]
    stream: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

/// Decodes one user-data frame (bare event, WS-API envelope or
/// combined-stream wrapper), dispatching on the event's `"e"`.
pub fn decode_user(bytes: &[u8]) -> Result<UserMessage, DecodeError> {
    check_frame(bytes)?;
    let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::Unknown {
        detail: format!("user data message is not UTF-8 ({e})"),
    })?;
    if first_byte(text) != Some(b'{') {
        return Err(DecodeError::Unknown {
            detail: "user data message is not a JSON object".to_owned(),
        });
    }
    let probe: Probe<'_> =
        serde_json::from_str(text).map_err(|e| DecodeError::json("user data message", e))?;
    if let Some(event) = probe.event {
        let inner = event.get();
        let event = decode_inner(inner)?;
        return Ok(UserMessage {
            subscription_id: probe.subscription_id,
            stream: None,
            event,
        });
    }
    if let (Some(stream), Some(data)) = (probe.stream.as_deref(), probe.data) {
        let event = decode_inner(data.get())?;
        return Ok(UserMessage {
            subscription_id: None,
            stream: Some(stream.to_owned()),
            event,
        });
    }
    let event = decode_event(text, probe.e.as_deref())?;
    Ok(UserMessage {
        subscription_id: probe.subscription_id,
        stream: None,
        event,
    })
}

fn decode_inner(inner: &str) -> Result<UserEvent, DecodeError> {
    if first_byte(inner) != Some(b'{') {
        return Err(DecodeError::Unknown {
            detail: "user data envelope whose event is not a JSON object".to_owned(),
        });
    }
    let probe: Probe<'_> =
        serde_json::from_str(inner).map_err(|e| DecodeError::json("user data event", e))?;
    decode_event(inner, probe.e.as_deref())
}

fn parse<'a, T: Deserialize<'a>>(what: &'static str, text: &'a str) -> Result<T, DecodeError> {
    serde_json::from_str(text).map_err(|e| DecodeError::json(what, e))
}

fn decode_event(text: &str, e: Option<&str>) -> Result<UserEvent, DecodeError> {
    let Some(e) = e else {
        return Err(describe_keys("user data message", text));
    };
    Ok(match e {
        "executionReport" => UserEvent::ExecutionReport(Box::new(parse("executionReport", text)?)),
        "outboundAccountPosition" => {
            UserEvent::AccountPosition(parse("outboundAccountPosition", text)?)
        }
        "balanceUpdate" => UserEvent::BalanceUpdate(parse("balanceUpdate", text)?),
        "listStatus" => UserEvent::ListStatus(parse("listStatus", text)?),
        "eventStreamTerminated" => {
            UserEvent::EventStreamTerminated(parse("eventStreamTerminated", text)?)
        }
        "externalLockUpdate" => UserEvent::ExternalLockUpdate(parse("externalLockUpdate", text)?),
        "listenKeyExpired" => UserEvent::ListenKeyExpired(parse("listenKeyExpired", text)?),
        other => {
            return Err(DecodeError::Unknown {
                detail: format!("user data event type {:?}", clip(other)),
            })
        }
    })
}

/// A millisecond time sent as a number or as a string of digits.
fn u64_from_str_or_num<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a millisecond time as a number or a string of digits")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<u64, E> {
            s.parse()
                .map_err(|_| E::custom(format_args!("invalid time {:?}", clip(s))))
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_key_expired_time_as_string() {
        let m = decode_user(br#"{"e":"listenKeyExpired","E":"1699596037418","listenKey":"OfYG"}"#)
            .unwrap();
        assert_eq!(
            m.event,
            UserEvent::ListenKeyExpired(ListenKeyExpired {
                event_time_ms: 1_699_596_037_418,
                listen_key: "OfYG".into()
            })
        );
    }

    #[test]
    fn terminated_without_subscription_id() {
        let m = decode_user(br#"{"event":{"e":"eventStreamTerminated","E":5}}"#).unwrap();
        assert_eq!(m.subscription_id, None);
        assert_eq!(m.kind(), "eventStreamTerminated");
    }

    #[test]
    fn serializes_descriptive_names_with_kind() {
        let m = decode_user(
            br#"{"subscriptionId":3,"event":{"e":"balanceUpdate","E":1,"a":"BTC","d":"-0.5","T":2}}"#,
        )
        .unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"subscription_id":3,"kind":"balanceUpdate","event_time_ms":1,"asset":"BTC","delta":"-0.50000000","clear_time_ms":2}"#
        );
    }
}
