//! One entry point for any Binance spot message: [`decode_message`] looks at
//! the top-level shape (keys, envelope, event type), hands the bytes to the
//! decoder of that kind, and returns a [`Message`] that names its kind.
//!
//! This is the readable path used by `kairos decode`, tools and tests; the
//! hot streams on the trading thread go through [`super::fast`] instead.

use super::error::{DecodeError, MAX_REST_BODY_BYTES};
use super::exchange_info::{decode_exchange_info, ExchangeInfo};
use super::market::{decode_market, MarketMessage};
use super::rest::{
    decode_account, decode_api_error, decode_cancel_order, decode_klines, decode_open_orders,
    decode_order_info, decode_order_response, decode_server_time, Account, ApiError, CanceledOrder,
    Kline, OrderInfo, OrderResponse, ServerTime,
};
use super::user::{decode_user, UserMessage};
use super::ws_api::{decode_ws_api_response, WsApiResponse};
use serde::Serialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Event types (`"e"`) of the user-data stream.
const USER_EVENTS: [&str; 7] = [
    "executionReport",
    "outboundAccountPosition",
    "balanceUpdate",
    "listStatus",
    "eventStreamTerminated",
    "externalLockUpdate",
    "listenKeyExpired",
];

/// Any decoded message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A market stream frame or a stream control reply.
    Market(MarketMessage),
    /// A user-data event.
    User(UserMessage),
    /// A WS-API response `{id,status,result|error,rateLimits}`.
    WsApi(WsApiResponse),
    /// `GET /api/v3/exchangeInfo`.
    ExchangeInfo(Box<ExchangeInfo>),
    /// `GET /api/v3/account`.
    Account(Account),
    /// `POST /api/v3/order` (ACK, RESULT or FULL).
    Order(OrderResponse),
    /// `DELETE /api/v3/order`.
    Cancel(CanceledOrder),
    /// `GET /api/v3/order`.
    OrderInfo(OrderInfo),
    /// `GET /api/v3/openOrders` / `allOrders`.
    Orders(Vec<OrderInfo>),
    /// `GET /api/v3/klines`.
    Klines(Vec<Kline>),
    /// `GET /api/v3/time`.
    ServerTime(ServerTime),
    /// A REST error body `{code,msg}`.
    ApiError(ApiError),
}

impl Message {
    /// The kind's name: Binance's event name for stream events, else the
    /// REST/WS-API response it is.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Market(m) => m.kind(),
            Message::User(u) => u.kind(),
            Message::WsApi(_) => "wsApiResponse",
            Message::ExchangeInfo(_) => "exchangeInfo",
            Message::Account(_) => "account",
            Message::Order(_) => "orderResponse",
            Message::Cancel(_) => "cancelOrder",
            Message::OrderInfo(_) => "order",
            Message::Orders(_) => "orders",
            Message::Klines(_) => "klines",
            Message::ServerTime(_) => "serverTime",
            Message::ApiError(_) => "apiError",
        }
    }

    /// One JSON object `{"kind":…, fields…}` with decimals printed exactly
    /// (eight places). Lists come as `{"kind":…,"items":[…]}`.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        match self {
            // These already carry "kind" (and the envelope fields).
            Message::Market(m) => serde_json::to_string(m),
            Message::User(u) => serde_json::to_string(u),
            Message::WsApi(r) => with_kind(self.kind(), r),
            Message::ExchangeInfo(x) => with_kind(self.kind(), x),
            Message::Account(x) => with_kind(self.kind(), x),
            Message::Order(x) => with_kind(self.kind(), x),
            Message::Cancel(x) => with_kind(self.kind(), x),
            Message::OrderInfo(x) => with_kind(self.kind(), x),
            Message::Orders(x) => with_kind(self.kind(), &Items { items: x }),
            Message::Klines(x) => with_kind(self.kind(), &Items { items: x }),
            Message::ServerTime(x) => with_kind(self.kind(), x),
            Message::ApiError(x) => with_kind(self.kind(), x),
        }
    }
}

#[derive(Serialize)]
struct Items<'a, T> {
    items: &'a [T],
}

/// Serializes `value` (an object) with `"kind"` as its first member.
fn with_kind<T: Serialize>(kind: &str, value: &T) -> Result<String, serde_json::Error> {
    let body = serde_json::to_string(value)?;
    let kind = serde_json::to_string(kind)?;
    Ok(match body.strip_prefix('{') {
        Some("}") => format!("{{\"kind\":{kind}}}"),
        Some(rest) => format!("{{\"kind\":{kind},{rest}"),
        None => format!("{{\"kind\":{kind},\"value\":{body}}}"),
    })
}

/// Decodes any Binance spot message (stream frame, user-data event, WS-API
/// response or REST body). An unknown shape is an error naming its keys.
pub fn decode_message(bytes: &[u8]) -> Result<Message, DecodeError> {
    if bytes.len() > MAX_REST_BODY_BYTES {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max: MAX_REST_BODY_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::Unknown {
        detail: format!("message is not UTF-8 ({e})"),
    })?;
    let trimmed = text.trim_start();
    match trimmed.as_bytes().first() {
        None => Err(DecodeError::Empty),
        Some(b'{') => decode_object(bytes, text),
        Some(b'[') => decode_array(bytes, text),
        Some(_) => Err(DecodeError::Unknown {
            detail: format!(
                "a message is a JSON object or array; this starts with {:?}",
                trimmed.chars().next().unwrap_or(' ')
            ),
        }),
    }
}

type Keys<'a> = BTreeMap<Cow<'a, str>, &'a RawValue>;

fn decode_object(bytes: &[u8], text: &str) -> Result<Message, DecodeError> {
    let keys: Keys<'_> = serde_json::from_str(text).map_err(|e| DecodeError::json("message", e))?;
    let has = |k: &str| keys.contains_key(k);
    let event_type = |obj: &Keys<'_>| -> Option<String> {
        obj.get("e")
            .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
    };
    // User-data: the WS-API subscription envelope, or a user event by "e",
    // bare or inside the combined-stream wrapper.
    if has("subscriptionId") || (has("event") && !has("e")) {
        return decode_user(bytes).map(Message::User);
    }
    if let (true, Some(data)) = (has("stream"), keys.get("data")) {
        let inner: Option<Keys<'_>> = serde_json::from_str(data.get()).ok();
        let is_user = inner
            .as_ref()
            .and_then(event_type)
            .is_some_and(|e| USER_EVENTS.contains(&e.as_str()));
        return if is_user {
            decode_user(bytes).map(Message::User)
        } else {
            decode_market(bytes).map(Message::Market)
        };
    }
    if let Some(e) = event_type(&keys) {
        return if USER_EVENTS.contains(&e.as_str()) {
            decode_user(bytes).map(Message::User)
        } else {
            decode_market(bytes).map(Message::Market)
        };
    }
    if has("status") && (has("id") || has("result") || has("error")) {
        return decode_ws_api_response(bytes).map(Message::WsApi);
    }
    if (has("result") || has("error")) && has("id") {
        return decode_market(bytes).map(Message::Market);
    }
    if has("lastUpdateId") || (has("u") && has("b") && has("a")) {
        return decode_market(bytes).map(Message::Market);
    }
    if has("symbols") && has("rateLimits") {
        return decode_exchange_info(bytes).map(|x| Message::ExchangeInfo(Box::new(x)));
    }
    if has("balances") {
        return decode_account(bytes).map(Message::Account);
    }
    if has("code") && has("msg") {
        return decode_api_error(bytes).map(Message::ApiError);
    }
    if has("serverTime") && keys.len() == 1 {
        return decode_server_time(bytes).map(Message::ServerTime);
    }
    if has("orderId") {
        if has("transactTime") && !has("origClientOrderId") {
            return decode_order_response(bytes).map(Message::Order);
        }
        if has("origClientOrderId") {
            return decode_cancel_order(bytes).map(Message::Cancel);
        }
        return decode_order_info(bytes).map(Message::OrderInfo);
    }
    Err(DecodeError::Unknown {
        detail: format!(
            "object with keys {}",
            key_list(keys.keys().map(|k| k.as_ref()))
        ),
    })
}

fn decode_array(bytes: &[u8], text: &str) -> Result<Message, DecodeError> {
    let items: Vec<&RawValue> =
        serde_json::from_str(text).map_err(|e| DecodeError::json("message array", e))?;
    let Some(first) = items.first() else {
        return Err(DecodeError::Unknown {
            detail: "empty array: no element to tell its kind".into(),
        });
    };
    match first.get().trim_start().as_bytes().first() {
        Some(b'[') => decode_klines(bytes).map(Message::Klines),
        Some(b'{') => {
            let keys: Keys<'_> = serde_json::from_str(first.get())
                .map_err(|e| DecodeError::json("message array element", e))?;
            if keys.contains_key("e") {
                decode_market(bytes).map(Message::Market)
            } else if keys.contains_key("orderId") {
                decode_open_orders(bytes).map(Message::Orders)
            } else {
                Err(DecodeError::Unknown {
                    detail: format!(
                        "array of objects with keys {}",
                        key_list(keys.keys().map(|k| k.as_ref()))
                    ),
                })
            }
        }
        _ => Err(DecodeError::Unknown {
            detail: "array of scalars".into(),
        }),
    }
}

/// `[a, b, c]` of at most 12 keys, for error messages.
fn key_list<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    let mut out: Vec<&str> = keys.take(13).collect();
    let more = out.len() > 12;
    out.truncate(12);
    format!("[{}{}]", out.join(", "), if more { ", …" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_shape() {
        let cases: [(&str, &str); 10] = [
            (
                r#"{"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"1","B":"2","a":"3","A":"4"}}"#,
                "bookTicker",
            ),
            (
                r#"{"e":"balanceUpdate","E":1,"a":"BTC","d":"-1.5","T":2}"#,
                "balanceUpdate",
            ),
            (
                r#"{"subscriptionId":0,"event":{"e":"eventStreamTerminated","E":1}}"#,
                "eventStreamTerminated",
            ),
            (r#"{"result":null,"id":1}"#, "controlResponse"),
            (
                r#"{"id":"a","status":429,"error":{"code":-1015,"msg":"Too many new orders."}}"#,
                "wsApiResponse",
            ),
            (r#"{"serverTime":1499827319559}"#, "serverTime"),
            (r#"{"code":-1121,"msg":"Invalid symbol."}"#, "apiError"),
            (
                r#"{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[]}"#,
                "partialDepth",
            ),
            (
                r#"[[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"]]"#,
                "klines",
            ),
            (
                r#"{"e":"trade","E":1,"s":"BNBBTC","t":1,"p":"0.001","q":"100","T":1,"m":true,"M":true}"#,
                "trade",
            ),
        ];
        for (text, kind) in cases {
            let m = decode_message(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(m.kind(), kind, "{text}");
            let json = m.to_json().unwrap();
            assert!(json.contains(&format!("\"kind\":\"{kind}\"")), "{json}");
        }
    }

    #[test]
    fn unknown_and_bad_input_name_the_problem() {
        let e = decode_message(br#"{"foo":1,"bar":2}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("[bar, foo]"), "{e}");
        let e = decode_message(b"hello").unwrap_err().to_string();
        assert!(e.contains("starts with 'h'"), "{e}");
        let e = decode_message(br#"{"e":"trade","E":1"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("EOF"), "{e}");
        assert!(matches!(decode_message(b"  "), Err(DecodeError::Empty)));
        let e = decode_message(b"[]").unwrap_err().to_string();
        assert!(e.contains("empty array"), "{e}");
        let e = decode_message(b"\xff{}").unwrap_err().to_string();
        assert!(e.contains("UTF-8"), "{e}");
    }

    #[test]
    fn rest_payloads_get_a_leading_kind() {
        let m = decode_message(br#"{"serverTime":1499827319559}"#).unwrap();
        assert_eq!(
            m.to_json().unwrap(),
            r#"{"kind":"serverTime","server_time":1499827319559}"#
        );
    }
}
