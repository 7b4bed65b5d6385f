//! Signed request building for the WebSocket API (`order.place`,
//! `order.cancel`, `order.cancelReplace`, `order.status`, `time`,
//! `userDataStream.subscribe[.signature]`) and the REST form
//! (`POST /api/v3/order?…&signature=…` with `X-MBX-APIKEY`).
//!
//! Exactly as Binance documents it:
//! - WS-API: the signature payload is every parameter except `signature`
//!   (`apiKey` included), **sorted by name**, as `k=v` joined by `&`, values
//!   in UTF-8 **without** percent-encoding; `signature` is added to `params`.
//! - REST: the payload is the query string as sent (values
//!   percent-encoded, [`crate::auth::percent_encode`]), in the order given;
//!   `&signature=` (percent-encoded: an Ed25519 base64 signature holds `+`,
//!   `/`, `=`) is appended; the key goes in the `X-MBX-APIKEY` header.
//! - Decimals are printed from the exact `Price` / `Qty` units with the
//!   number of places asked for (a symbol's tick / step precision), and with
//!   all eight when fewer would not be exact: nothing is ever rounded.
//!
//! Parameters live in a fixed array ([`MAX_PARAMS`]); the text goes into
//! caller-owned `String`s that are cleared and reused, so a warmed-up
//! builder does not allocate.

use crate::auth::{percent_encode, Credentials};
use crate::binance::types::{OrderType, Side, TimeInForce};
use crate::num::decimal::{write_i128, MAX_PRINTED_LEN};
use crate::num::{Price, Qty};
use std::fmt::Write as _;

/// `recvWindow` the gateway sends, ms (Binance's default is 5000, its
/// maximum 60 000): a request older than this on arrival is refused (-1021)
/// rather than executed late.
pub const RECV_WINDOW_MS: u64 = crate::auth::DEFAULT_RECV_WINDOW_MS;
/// Most parameters one request carries (order.cancelReplace with every
/// option set is about 20).
pub const MAX_PARAMS: usize = 24;
/// Decimal places of Binance's fixed-point numbers.
pub const MAX_DECIMALS: u8 = 8;
/// The REST path of order placement.
pub const REST_ORDER_PATH: &str = "/api/v3/order";
/// The REST header carrying the API key.
pub const API_KEY_HEADER: &str = "X-MBX-APIKEY";

/// Why a request could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// More than [`MAX_PARAMS`] parameters.
    #[error("more than {MAX_PARAMS} request parameters")]
    TooManyParams,
}

/// An exact decimal with the number of places to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dec {
    units: i128,
    places: u8,
}

impl Dec {
    /// A price printed with `places` decimals (clamped to 8).
    pub fn price(p: Price, places: u8) -> Dec {
        Dec {
            units: i128::from(p.units()),
            places: places.min(MAX_DECIMALS),
        }
    }

    /// A quantity printed with `places` decimals (clamped to 8).
    pub fn qty(q: Qty, places: u8) -> Dec {
        Dec {
            units: i128::from(q.units()),
            places: places.min(MAX_DECIMALS),
        }
    }

    /// Appends the decimal: `places` decimals when that is exact, else all 8.
    pub fn write(self, out: &mut String) {
        let mut buf = [0u8; MAX_PRINTED_LEN];
        let full = write_i128(self.units, &mut buf);
        let cut = usize::from(MAX_DECIMALS - self.places);
        let bytes = full.as_bytes();
        let tail_zero = bytes[bytes.len() - cut..].iter().all(|&b| b == b'0');
        let keep = if tail_zero {
            // "52000.00000000" → "52000.00"; with 0 places also drop the dot.
            bytes.len() - cut - usize::from(self.places == 0)
        } else {
            bytes.len()
        };
        out.push_str(&full[..keep]);
    }
}

/// A parameter value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string (JSON string; raw in the WS payload; percent-encoded in REST).
    Str(&'a str),
    /// An integer (a JSON number).
    Int(u64),
    /// A decimal (a JSON string).
    Dec(Dec),
}

impl Value<'_> {
    fn write_raw(self, out: &mut String) {
        match self {
            Value::Str(s) => out.push_str(s),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Dec(d) => d.write(out),
        }
    }

    fn write_json(self, out: &mut String) {
        match self {
            Value::Str(s) => json_string(s, out),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Dec(d) => {
                out.push('"');
                d.write(out);
                out.push('"');
            }
        }
    }

    fn write_query(self, out: &mut String) {
        match self {
            // Symbols and client ids are ASCII in practice; encode anyway.
            Value::Str(s) => out.push_str(&percent_encode(s)),
            v => v.write_raw(out),
        }
    }
}

/// A JSON string literal: `"`, `\` and control characters escaped, other
/// characters (non-ASCII included) as UTF-8.
pub fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Request parameters in the order they are sent.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    items: [Option<(&'static str, Value<'a>)>; MAX_PARAMS],
    len: usize,
}

impl Default for Params<'_> {
    fn default() -> Self {
        Params {
            items: [None; MAX_PARAMS],
            len: 0,
        }
    }
}

impl<'a> Params<'a> {
    /// No parameters.
    pub fn new() -> Params<'a> {
        Params::default()
    }

    /// Adds one.
    pub fn push(&mut self, name: &'static str, v: Value<'a>) -> Result<(), BuildError> {
        let slot = self
            .items
            .get_mut(self.len)
            .ok_or(BuildError::TooManyParams)?;
        *slot = Some((name, v));
        self.len += 1;
        Ok(())
    }

    /// Adds one when present.
    pub fn push_opt(&mut self, name: &'static str, v: Option<Value<'a>>) -> Result<(), BuildError> {
        match v {
            Some(v) => self.push(name, v),
            None => Ok(()),
        }
    }

    /// The parameters, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Value<'a>)> + '_ {
        self.items[..self.len].iter().flatten().copied()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The WS-API signature payload: sorted by name, `k=v&…`, no encoding.
    pub fn write_sorted_payload(&self, out: &mut String) {
        let mut order = [0usize; MAX_PARAMS];
        for (i, o) in order.iter_mut().enumerate().take(self.len) {
            *o = i;
        }
        let order = &mut order[..self.len];
        // Insertion sort: at most MAX_PARAMS, no allocation.
        for i in 1..order.len() {
            let mut j = i;
            while j > 0 && self.name(order[j - 1]) > self.name(order[j]) {
                order.swap(j - 1, j);
                j -= 1;
            }
        }
        for (n, &k) in order.iter().enumerate() {
            if let Some((name, v)) = self.items[k] {
                if n > 0 {
                    out.push('&');
                }
                out.push_str(name);
                out.push('=');
                v.write_raw(out);
            }
        }
    }

    fn name(&self, k: usize) -> &'static str {
        self.items[k].map_or("", |(n, _)| n)
    }
}

/// A WS-API request id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReqId<'a> {
    /// A number (what the gateway uses).
    Num(u64),
    /// A string (a UUID in Binance's examples).
    Str(&'a str),
}

/// The `apiKey`, `timestamp` and `recvWindow` of a signed request.
#[derive(Debug, Clone, Copy)]
pub struct Signing<'c> {
    /// The key that signs.
    pub credentials: &'c Credentials,
    /// `timestamp`, ms (server time: [`crate::auth::ServerClock::timestamp`]).
    pub timestamp_ms: u64,
    /// `recvWindow`, ms; `None` leaves it out (Binance's default, 5000).
    pub recv_window_ms: Option<u64>,
}

/// Writes one WS-API request into `out` (cleared first). When `signing`
/// is given, `recvWindow`, `timestamp` and `apiKey` follow `params` and the
/// signature over the sorted payload comes last; `scratch` holds the payload.
pub fn write_ws_request(
    out: &mut String,
    scratch: &mut String,
    id: ReqId<'_>,
    method: &str,
    params: &Params<'_>,
    signing: Option<Signing<'_>>,
) -> Result<(), BuildError> {
    out.clear();
    let mut all = *params;
    if let Some(s) = signing {
        all.push_opt("recvWindow", s.recv_window_ms.map(Value::Int))?;
        all.push("timestamp", Value::Int(s.timestamp_ms))?;
        all.push("apiKey", Value::Str(s.credentials.api_key()))?;
    }
    out.push_str("{\"id\":");
    match id {
        ReqId::Num(n) => {
            let _ = write!(out, "{n}");
        }
        ReqId::Str(s) => json_string(s, out),
    }
    out.push_str(",\"method\":");
    json_string(method, out);
    if !all.is_empty() {
        out.push_str(",\"params\":{");
        for (n, (name, v)) in all.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            json_string(name, out);
            out.push(':');
            v.write_json(out);
        }
        if let Some(s) = signing {
            scratch.clear();
            all.write_sorted_payload(scratch);
            out.push_str(",\"signature\":\"");
            s.credentials.sign_into(scratch, out);
            out.push('"');
        }
        out.push('}');
    }
    out.push('}');
    Ok(())
}

/// Writes a signed REST query into `out` (cleared first): `params`, then
/// `recvWindow` and `timestamp`, percent-encoded in that order, then
/// `&signature=` over exactly that text. Send it with
/// [`API_KEY_HEADER`]: [`Credentials::api_key`].
pub fn write_rest_query(
    out: &mut String,
    scratch: &mut String,
    params: &Params<'_>,
    signing: Signing<'_>,
) -> Result<(), BuildError> {
    out.clear();
    let mut all = *params;
    all.push_opt("recvWindow", signing.recv_window_ms.map(Value::Int))?;
    all.push("timestamp", Value::Int(signing.timestamp_ms))?;
    for (n, (name, v)) in all.iter().enumerate() {
        if n > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        v.write_query(out);
    }
    scratch.clear();
    signing.credentials.sign_into(out, scratch);
    out.push_str("&signature=");
    out.push_str(&percent_encode(scratch));
    Ok(())
}

/// Binance's name of a side.
pub fn side_name(s: Side) -> &'static str {
    match s {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

/// Binance's name of an order type.
pub fn order_type_name(t: OrderType) -> &'static str {
    match t {
        OrderType::Limit => "LIMIT",
        OrderType::Market => "MARKET",
        OrderType::StopLoss => "STOP_LOSS",
        OrderType::StopLossLimit => "STOP_LOSS_LIMIT",
        OrderType::TakeProfit => "TAKE_PROFIT",
        OrderType::TakeProfitLimit => "TAKE_PROFIT_LIMIT",
        OrderType::LimitMaker => "LIMIT_MAKER",
    }
}

/// Binance's name of a time in force.
pub fn time_in_force_name(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Gtc => "GTC",
        TimeInForce::Ioc => "IOC",
        TimeInForce::Fok => "FOK",
        TimeInForce::Gtd => "GTD",
        TimeInForce::Gtx => "GTX",
    }
}

/// `newOrderRespType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespType {
    /// `ACK`: ids only.
    Ack,
    /// `RESULT`: with status and executed quantity.
    Result,
    /// `FULL`: with the fills.
    Full,
}

impl RespType {
    /// Binance's name.
    pub fn name(self) -> &'static str {
        match self {
            RespType::Ack => "ACK",
            RespType::Result => "RESULT",
            RespType::Full => "FULL",
        }
    }
}

/// The business parameters of a new order (without the signing ones).
#[derive(Debug, Clone, Copy)]
pub struct NewOrder<'a> {
    /// Symbol.
    pub symbol: &'a str,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force (limit orders).
    pub time_in_force: Option<TimeInForce>,
    /// Quantity.
    pub quantity: Option<Dec>,
    /// Limit price.
    pub price: Option<Dec>,
    /// Client order id.
    pub new_client_order_id: Option<&'a str>,
    /// Stop price (stop and take-profit orders).
    pub stop_price: Option<Dec>,
    /// Response type.
    pub new_order_resp_type: Option<RespType>,
}

impl<'a> NewOrder<'a> {
    /// The parameters of `order.place` / `POST /api/v3/order`, in the
    /// documented order: symbol, side, type, timeInForce, quantity, price,
    /// newClientOrderId, stopPrice, newOrderRespType.
    pub fn params(&self) -> Result<Params<'a>, BuildError> {
        let mut p = Params::new();
        self.push_into(&mut p)?;
        Ok(p)
    }

    fn push_into(&self, p: &mut Params<'a>) -> Result<(), BuildError> {
        p.push("symbol", Value::Str(self.symbol))?;
        p.push("side", Value::Str(side_name(self.side)))?;
        p.push("type", Value::Str(order_type_name(self.order_type)))?;
        p.push_opt(
            "timeInForce",
            self.time_in_force
                .map(|t| Value::Str(time_in_force_name(t))),
        )?;
        p.push_opt("quantity", self.quantity.map(Value::Dec))?;
        p.push_opt("price", self.price.map(Value::Dec))?;
        p.push_opt("newClientOrderId", self.new_client_order_id.map(Value::Str))?;
        p.push_opt("stopPrice", self.stop_price.map(Value::Dec))?;
        p.push_opt(
            "newOrderRespType",
            self.new_order_resp_type.map(|t| Value::Str(t.name())),
        )
    }
}

/// Which order a cancel or status request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRef<'a> {
    /// By the exchange's order id (`orderId`).
    OrderId(u64),
    /// By the client order id (`origClientOrderId`).
    ClientId(&'a str),
}

/// `order.cancel` / `order.status` parameters: symbol, then the order.
pub fn order_ref_params<'a>(
    symbol: &'a str,
    order: OrderRef<'a>,
) -> Result<Params<'a>, BuildError> {
    let mut p = Params::new();
    p.push("symbol", Value::Str(symbol))?;
    match order {
        OrderRef::OrderId(id) => p.push("orderId", Value::Int(id))?,
        OrderRef::ClientId(c) => p.push("origClientOrderId", Value::Str(c))?,
    }
    Ok(p)
}

/// `cancelReplaceMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReplaceMode {
    /// `STOP_ON_FAILURE`: no new order if the cancel fails.
    StopOnFailure,
    /// `ALLOW_FAILURE`: place the new order even if the cancel fails.
    AllowFailure,
}

/// `order.cancelReplace` parameters in the documented order: symbol,
/// cancelReplaceMode, the order to cancel, then the new order's.
pub fn cancel_replace_params<'a>(
    mode: CancelReplaceMode,
    cancel: OrderRef<'a>,
    new: &NewOrder<'a>,
) -> Result<Params<'a>, BuildError> {
    let mut p = Params::new();
    p.push("symbol", Value::Str(new.symbol))?;
    p.push(
        "cancelReplaceMode",
        Value::Str(match mode {
            CancelReplaceMode::StopOnFailure => "STOP_ON_FAILURE",
            CancelReplaceMode::AllowFailure => "ALLOW_FAILURE",
        }),
    )?;
    match cancel {
        OrderRef::OrderId(id) => p.push("cancelOrderId", Value::Int(id))?,
        OrderRef::ClientId(c) => p.push("cancelOrigClientOrderId", Value::Str(c))?,
    }
    p.push("side", Value::Str(side_name(new.side)))?;
    p.push("type", Value::Str(order_type_name(new.order_type)))?;
    p.push_opt(
        "timeInForce",
        new.time_in_force.map(|t| Value::Str(time_in_force_name(t))),
    )?;
    p.push_opt("price", new.price.map(Value::Dec))?;
    p.push_opt("quantity", new.quantity.map(Value::Dec))?;
    p.push_opt("newClientOrderId", new.new_client_order_id.map(Value::Str))?;
    p.push_opt("stopPrice", new.stop_price.map(Value::Dec))?;
    p.push_opt(
        "newOrderRespType",
        new.new_order_resp_type.map(|t| Value::Str(t.name())),
    )?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str, places: u8) -> String {
        let mut out = String::new();
        Dec::price(Price::parse(s).unwrap(), places).write(&mut out);
        out
    }

    #[test]
    fn decimals_print_exactly_with_the_places_asked_or_all_eight() {
        assert_eq!(dec("52000", 2), "52000.00");
        assert_eq!(dec("0.1", 8), "0.10000000");
        assert_eq!(dec("0.1", 1), "0.1");
        assert_eq!(dec("10", 0), "10");
        // Fewer places would round: all eight are printed instead.
        assert_eq!(dec("0.123", 2), "0.12300000");
        assert_eq!(dec("0.5", 0), "0.50000000");
        assert_eq!(dec("1", 12), "1.00000000");
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut s = String::new();
        json_string("a\"b\\c\u{1}１", &mut s);
        assert_eq!(s, "\"a\\\"b\\\\c\\u0001１\"");
    }

    #[test]
    fn the_payload_is_sorted_by_name_and_params_are_bounded() {
        let mut p = Params::new();
        p.push("symbol", Value::Str("BTCUSDT")).unwrap();
        p.push("apiKey", Value::Str("k")).unwrap();
        p.push("timestamp", Value::Int(5)).unwrap();
        let mut s = String::new();
        p.write_sorted_payload(&mut s);
        assert_eq!(s, "apiKey=k&symbol=BTCUSDT&timestamp=5");
        let mut full = Params::new();
        for _ in 0..MAX_PARAMS {
            full.push("x", Value::Int(1)).unwrap();
        }
        assert_eq!(
            full.push("y", Value::Int(1)),
            Err(BuildError::TooManyParams)
        );
    }
}
