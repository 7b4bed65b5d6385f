//! The order side of `kairos sim`, shared by the WS-API and REST servers:
//! API keys and HMAC-SHA256 signatures, `timestamp`/`recvWindow`, the
//! ORDERS and REQUEST_WEIGHT limits, the methods, Binance's JSON shapes, and
//! the user-data events pushed to `userDataStream.subscribe` subscribers
//! and to the listen-key streams (`/api/v3/userDataStream` keys read at
//! `/ws/<listenKey>`).
//!
//! **Signed payload.** WS-API: every param but `signature`, sorted by name,
//! `name=value` joined by `&` (the value as sent, or percent-encoded as
//! `auth::query` does: either is accepted). REST: the query string as sent
//! followed by the body, with the `signature` parameter taken out.

use super::matching::{Engine, Event, Execution, NewOrder, Order, Reject, SymbolRules};
use super::{bump, lock, Shared};
use crate::auth::{percent_encode, Credentials};
use crate::binance::types::{OrderType, Side, TimeInForce};
use crate::limiter::weights;
use crate::num::{Amount, Price, Qty};
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The sim's default API key (tests and `kairos sim` without `--account-key`).
pub const DEFAULT_API_KEY: &str = "kairos-sim-api-key";
/// The sim's default HMAC secret.
pub const DEFAULT_API_SECRET: &str = "kairos-sim-api-secret";
/// ORDERS limit per 10 seconds, per account (Binance spot: 50).
pub const ORDERS_PER_10S: u64 = 50;
/// ORDERS limit per day, per account (Binance spot: 160 000).
pub const ORDERS_PER_DAY: u64 = 160_000;
/// Length of the short ORDERS window, ms.
pub const ORDERS_WINDOW_MS: u64 = 10_000;
/// Length of the long ORDERS window, ms.
pub const ORDERS_DAY_MS: u64 = 86_400_000;
/// `recvWindow` when the request gives none, ms.
pub const DEFAULT_RECV_WINDOW_MS: u64 = 5_000;
/// Largest `recvWindow` accepted, ms (Binance: 60 000).
pub const MAX_RECV_WINDOW_MS: u64 = 60_000;
/// How far ahead of the server's clock a `timestamp` may be, ms (Binance: 1 000).
pub const MAX_TIMESTAMP_AHEAD_MS: u64 = 1_000;
/// Book levels copied for an order that may take liquidity or a stop trigger.
pub const BOOK_LEVELS_FOR_ORDERS: usize = 1_000;
/// User-data events queued for one subscriber before the oldest are dropped
/// (the subscription is then ended with `eventStreamTerminated`).
pub const MAX_QUEUED_USER_EVENTS: usize = 65_536;
/// Subscriptions one connection may hold.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 16;
/// Most params one request may carry.
pub const MAX_PARAMS: usize = 64;
/// Characters in a listen key (Binance's are 60 letters and digits).
pub const LISTEN_KEY_LEN: usize = 60;

/// One API key the sim accepts: an HMAC-SHA256 pair, or an Ed25519 key
/// whose public half the sim verifies signatures with (only those may
/// `session.logon`, as on Binance).
#[derive(Clone, PartialEq, Eq)]
pub struct SimAccount {
    /// The API key (`apiKey` / `X-MBX-APIKEY`).
    pub api_key: String,
    /// The HMAC secret (unused for an Ed25519 key).
    pub secret: String,
    /// The Ed25519 public key (32 bytes): signatures are verified with it
    /// instead of the HMAC secret.
    pub ed25519_public_key: Option<Vec<u8>>,
}

impl SimAccount {
    /// An Ed25519 API key with its 32-byte public key.
    pub fn ed25519(api_key: &str, public_key: &[u8]) -> SimAccount {
        SimAccount {
            api_key: api_key.to_string(),
            secret: String::new(),
            ed25519_public_key: Some(public_key.to_vec()),
        }
    }
}

impl std::fmt::Debug for SimAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAccount")
            .field("api_key", &self.api_key)
            .field("secret", &"<redacted>")
            .field("ed25519", &self.ed25519_public_key.is_some())
            .finish()
    }
}

impl Default for SimAccount {
    fn default() -> SimAccount {
        SimAccount {
            api_key: DEFAULT_API_KEY.to_string(),
            secret: DEFAULT_API_SECRET.to_string(),
            ed25519_public_key: None,
        }
    }
}

/// Where a user-data subscription's events go.
#[derive(Debug)]
pub(crate) struct UserSink {
    pub(crate) account: usize,
    pub(crate) subscription_id: u64,
    /// The listen key of a `/ws/<listenKey>` stream: its events go out bare
    /// (no `subscriptionId` envelope). `None`: a WS-API subscription.
    pub(crate) listen_key: Option<String>,
    pub(crate) queue: Mutex<VecDeque<String>>,
}

/// One live listen key (Binance: one per account; `POST` again returns it).
#[derive(Debug, Clone)]
struct ListenKey {
    key: String,
    account: usize,
    /// When it expires unless kept alive, the sim's clock, ms.
    expires_ms: u64,
}

/// Per-account ORDERS counters, in fixed windows aligned to the epoch as
/// Binance counts them (the 10 s windows start at :00, :10, …; the day at
/// 00:00 UTC), not sliding windows.
#[derive(Debug, Default, Clone)]
struct OrderCounts {
    window: u64,
    window_count: u64,
    day: u64,
    day_count: u64,
}

impl OrderCounts {
    fn trim(&mut self, now_ms: u64) {
        if now_ms / ORDERS_WINDOW_MS != self.window {
            self.window = now_ms / ORDERS_WINDOW_MS;
            self.window_count = 0;
        }
        if now_ms / ORDERS_DAY_MS != self.day {
            self.day = now_ms / ORDERS_DAY_MS;
            self.day_count = 0;
        }
    }
    fn counts(&self) -> (u64, u64) {
        (self.window_count, self.day_count)
    }
}

/// The order side's state, under one lock.
#[derive(Debug)]
pub(crate) struct ApiState {
    pub(crate) engine: Engine,
    orders: Vec<OrderCounts>,
    sinks: Vec<Arc<UserSink>>,
    next_subscription: u64,
    listen_keys: Vec<ListenKey>,
    /// Listen keys made so far (the seed of the next).
    keys_made: u64,
}

impl ApiState {
    pub(crate) fn new(engine: Engine, accounts: usize) -> ApiState {
        ApiState {
            engine,
            orders: vec![OrderCounts::default(); accounts.max(1)],
            sinks: Vec::new(),
            next_subscription: 0,
            listen_keys: Vec::new(),
            keys_made: 0,
        }
    }
}

/// Exchange rules of a source symbol, as `exchangeInfo` publishes them.
pub(crate) fn rules_of(s: &super::source::SymbolInfo) -> SymbolRules {
    let v = super::rest::symbol_json(s);
    let f = |i: usize, k: &str| v["filters"][i][k].as_str().unwrap_or("0").to_string();
    let price = |s: String| Price::parse(&s).unwrap_or(Price::ZERO);
    let qty = |s: String| Qty::parse(&s).unwrap_or(Qty::ZERO);
    SymbolRules {
        symbol: s.name.clone(),
        base: v["baseAsset"].as_str().unwrap_or("").to_string(),
        quote: v["quoteAsset"].as_str().unwrap_or("").to_string(),
        tick: price(f(0, "tickSize")),
        min_price: price(f(0, "minPrice")),
        max_price: price(f(0, "maxPrice")),
        step: qty(f(1, "stepSize")),
        min_qty: qty(f(1, "minQty")),
        max_qty: qty(f(1, "maxQty")),
        min_notional: Amount::parse(&f(2, "minNotional")).unwrap_or(Amount::ZERO),
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: i64,
    pub(crate) msg: String,
    pub(crate) data: Option<Value>,
}

impl ApiError {
    fn new(status: u16, code: i64, msg: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            msg: msg.into(),
            data: None,
        }
    }
    fn from_reject(r: Reject) -> ApiError {
        let status = if r.code == -2015 || r.code == -2014 {
            401
        } else {
            400
        };
        ApiError::new(status, r.code, r.msg)
    }
    /// The `{"code":…,"msg":…}` body (with `data` when there is one).
    pub(crate) fn body(&self) -> Value {
        let mut m = json!({"code": self.code, "msg": self.msg});
        if let Some(d) = &self.data {
            m["data"] = d.clone();
        }
        m
    }
}

/// An answer to one request.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) result: Result<Value, ApiError>,
    /// `rateLimits` entries.
    pub(crate) rate_limits: Vec<Value>,
    /// (10 s, 1 d) ORDERS counts, for order requests.
    pub(crate) order_counts: Option<(u64, u64)>,
    /// REQUEST_WEIGHT used this minute.
    pub(crate) used_weight: u32,
    /// A user-data sink opened by this request.
    pub(crate) sink: Option<Arc<UserSink>>,
    /// `session.logon` succeeded for this account.
    pub(crate) logon: Option<usize>,
    /// `session.logout`.
    pub(crate) logout: bool,
}

/// How a request arrived.
#[derive(Debug, Clone)]
pub(crate) enum Transport<'a> {
    /// WS-API: the params object; the account the connection logged on
    /// as (`session.logon`), if any.
    Ws {
        /// The session's account.
        session: Option<usize>,
    },
    /// REST: the signed payload as sent (query + body, signature removed)
    /// and the `X-MBX-APIKEY` header.
    Rest {
        payload: String,
        api_key: Option<&'a str>,
    },
}

/// The sim's clock, ms since the epoch, with the configured skew.
pub(crate) fn server_ms(shared: &Shared) -> u64 {
    let now = super::unix_ms() as i64;
    now.saturating_add(shared.cfg.clock_skew_ms).max(0) as u64
}

/// A WS-API params object as (name, value) strings.
pub(crate) fn ws_params(v: Option<&Value>) -> Result<Vec<(String, String)>, ApiError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let Some(obj) = v.as_object() else {
        return Err(ApiError::new(
            400,
            -1102,
            "Invalid request: params must be an object.",
        ));
    };
    if obj.len() > MAX_PARAMS {
        return Err(ApiError::new(
            400,
            -1101,
            "Too many parameters sent for this endpoint.",
        ));
    }
    obj.iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(ApiError::new(
                        400,
                        -1100,
                        format!("Illegal characters found in parameter '{k}'."),
                    ))
                }
            };
            Ok((k.clone(), s))
        })
        .collect()
}

struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
    fn req(&self, k: &str) -> Result<&str, ApiError> {
        self.get(k).ok_or_else(|| {
            ApiError::new(
                400,
                -1102,
                format!("Mandatory parameter '{k}' was not sent, was empty/null, or malformed."),
            )
        })
    }
    fn u64(&self, k: &str) -> Result<Option<u64>, ApiError> {
        self.get(k)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    ApiError::new(400, -1100, format!("Illegal characters found in parameter '{k}'; legal range is '^[0-9]{{1,20}}$'."))
                })
            })
            .transpose()
    }
    fn dec<T>(
        &self,
        k: &str,
        parse: fn(&str) -> Result<T, crate::num::NumError>,
    ) -> Result<Option<T>, ApiError> {
        self.get(k)
            .map(|v| {
                parse(v).map_err(|e| match e {
                    crate::num::NumError::TooPrecise => ApiError::new(
                        400,
                        -1111,
                        format!("Parameter '{k}' has too much precision."),
                    ),
                    _ => ApiError::new(
                        400,
                        -1100,
                        format!("Illegal characters found in parameter '{k}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'."),
                    ),
                })
            })
            .transpose()
    }
}

fn enum_param<T: serde::de::DeserializeOwned>(v: &str) -> Option<T> {
    serde_json::from_value(Value::String(v.to_string())).ok()
}

fn name_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The account a signed request belongs to, after its checks.
fn authenticate(
    shared: &Shared,
    params: &[(String, String)],
    transport: &Transport<'_>,
    now_ms: u64,
) -> Result<usize, ApiError> {
    let p = Params(params);
    let key = match transport {
        Transport::Ws { .. } => p.get("apiKey"),
        Transport::Rest { api_key, .. } => *api_key,
    };
    // A logged-on connection may leave out apiKey and signature.
    if let (Transport::Ws { session: Some(a) }, None, None) = (transport, key, p.get("signature")) {
        check_time(shared, &p, now_ms)?;
        return Ok(*a);
    }
    let Some(key) = key else {
        bump(&shared.stats.bad_api_keys);
        return Err(ApiError::new(401, -2014, "API-key format invalid."));
    };
    let Some(account) = shared.cfg.accounts.iter().position(|a| a.api_key == key) else {
        bump(&shared.stats.bad_api_keys);
        return Err(ApiError::new(
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        ));
    };
    // The timestamp is required before the signature is looked at.
    p.u64("timestamp")?.ok_or_else(|| {
        ApiError::new(
            400,
            -1102,
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        )
    })?;
    let sig = p.req("signature")?;
    let acct = &shared.cfg.accounts[account];
    let creds = Credentials::hmac(key, &acct.secret);
    // Ed25519: verified with the public key (base64 signature); HMAC:
    // recomputed with the secret.
    let valid = |payload: &str| match &acct.ed25519_public_key {
        Some(pk) => crate::auth::base64_decode(sig).is_some_and(|s| {
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, pk)
                .verify(payload.as_bytes(), &s)
                .is_ok()
        }),
        None => creds.sign(payload) == sig,
    };
    let ok = match transport {
        Transport::Rest { payload, .. } => valid(payload),
        Transport::Ws { .. } => {
            let mut sorted: Vec<&(String, String)> =
                params.iter().filter(|(k, _)| k != "signature").collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let raw = sorted
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&");
            let enc = sorted
                .iter()
                .map(|(k, v)| format!("{k}={}", percent_encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            valid(&raw) || valid(&enc)
        }
    };
    if !ok {
        bump(&shared.stats.bad_signatures);
        return Err(ApiError::new(
            400,
            -1022,
            "Signature for this request is not valid.",
        ));
    }
    check_time(shared, &p, now_ms)?;
    Ok(account)
}

/// `timestamp` within `recvWindow` of the sim's clock (-1021 otherwise).
fn check_time(shared: &Shared, p: &Params<'_>, now_ms: u64) -> Result<(), ApiError> {
    let ts = p.u64("timestamp")?.ok_or_else(|| {
        ApiError::new(
            400,
            -1102,
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        )
    })?;
    let window = p.u64("recvWindow")?.unwrap_or(DEFAULT_RECV_WINDOW_MS);
    if window > MAX_RECV_WINDOW_MS {
        return Err(ApiError::new(
            400,
            -1131,
            format!("recvWindow must be less than {MAX_RECV_WINDOW_MS}"),
        ));
    }
    if ts > now_ms + MAX_TIMESTAMP_AHEAD_MS {
        bump(&shared.stats.bad_timestamps);
        return Err(ApiError::new(
            400,
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ));
    }
    if now_ms.saturating_sub(ts) > window {
        bump(&shared.stats.bad_timestamps);
        return Err(ApiError::new(
            400,
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        ));
    }
    Ok(())
}

/// What each method costs and needs.
struct MethodInfo {
    weight: u32,
    signed: bool,
    counts_order: bool,
}

fn method_info(method: &str, params: &[(String, String)]) -> Option<MethodInfo> {
    let all_symbols = Params(params).get("symbol").is_none();
    let (weight, signed, counts_order) = match method {
        "ping" => (weights::WEIGHT_PING, false, false),
        "time" => (weights::WEIGHT_TIME, false, false),
        "order.place" => (weights::WEIGHT_ORDER_PLACE, true, true),
        "order.test" => (weights::WEIGHT_ORDER_PLACE, true, false),
        "order.cancel" => (weights::WEIGHT_ORDER_CANCEL, true, false),
        "order.cancelReplace" => (weights::WEIGHT_CANCEL_REPLACE, true, true),
        "order.status" => (weights::WEIGHT_ORDER_STATUS, true, false),
        "openOrders.status" if all_symbols => {
            (weights::WEIGHT_OPEN_ORDERS_ALL_SYMBOLS, true, false)
        }
        "openOrders.status" => (weights::WEIGHT_OPEN_ORDERS_ONE_SYMBOL, true, false),
        "openOrders.cancelAll" => (weights::WEIGHT_CANCEL_ALL, true, false),
        "account.status" => (weights::WEIGHT_ACCOUNT, true, false),
        "userDataStream.subscribe" | "userDataStream.subscribe.signature" => {
            (weights::WEIGHT_USER_DATA_SUBSCRIBE, true, false)
        }
        "session.logon" => (weights::WEIGHT_SESSION_LOGON, true, false),
        "session.status" | "session.logout" => (weights::WEIGHT_SESSION_LOGON, false, false),
        _ => return None,
    };
    Some(MethodInfo {
        weight,
        signed,
        counts_order,
    })
}

fn weight_limit_json(used: u32) -> Value {
    json!({"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
           "limit": super::rest::REQUEST_WEIGHT_LIMIT_PER_MINUTE, "count": used})
}

fn order_limits_json(c10: u64, cday: u64) -> [Value; 2] {
    [
        json!({"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": ORDERS_PER_10S, "count": c10}),
        json!({"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": ORDERS_PER_DAY, "count": cday}),
    ]
}

/// Answers one request (`method` is the WS-API method name; REST routes are
/// mapped onto them). Events it causes are queued for the subscribers.
pub(crate) fn handle(
    shared: &Shared,
    method: &str,
    params: &[(String, String)],
    transport: &Transport<'_>,
) -> Reply {
    let now = server_ms(shared);
    bump(&shared.stats.api_requests);
    let Some(info) = method_info(method, params) else {
        bump(&shared.stats.api_errors);
        return Reply {
            result: Err(ApiError::new(
                400,
                -1100,
                format!("Unknown method '{method}'."),
            )),
            rate_limits: Vec::new(),
            order_counts: None,
            used_weight: 0,
            sink: None,
            logon: None,
            logout: false,
        };
    };
    let used = lock(&shared.rest).add_weight(super::unix_ms(), info.weight);
    let mut reply = Reply {
        result: Ok(Value::Null),
        rate_limits: vec![weight_limit_json(used)],
        order_counts: None,
        used_weight: used,
        sink: None,
        logon: None,
        logout: false,
    };
    if used > super::rest::REQUEST_WEIGHT_LIMIT_PER_MINUTE {
        bump(&shared.stats.http_429);
        let retry = (now / 60_000 + 1) * 60_000;
        let mut e = ApiError::new(
            429,
            -1003,
            format!("Too much request weight used; current limit is {} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.", super::rest::REQUEST_WEIGHT_LIMIT_PER_MINUTE),
        );
        e.data = Some(json!({"serverTime": now, "retryAfter": retry}));
        reply.result = Err(e);
        return reply;
    }
    if method == "userDataStream.subscribe" && matches!(transport, Transport::Ws { session: None })
    {
        // The unsigned subscription needs a logged-on connection.
        bump(&shared.stats.api_errors);
        reply.result = Err(ApiError::new(
            401,
            -1002,
            "You are not authorized to execute this request.",
        ));
        return reply;
    }
    let account = if let ("userDataStream.subscribe", Transport::Ws { session: Some(a) }) =
        (method, transport)
    {
        // The unsigned subscription: the session's account, no timestamp.
        Some(*a)
    } else if info.signed {
        match authenticate(shared, params, transport, now) {
            Ok(a) => Some(a),
            Err(e) => {
                bump(&shared.stats.api_errors);
                reply.result = Err(e);
                return reply;
            }
        }
    } else {
        None
    };
    let mut st = lock(&shared.api);
    if let (true, Some(a)) = (info.counts_order, account) {
        let c = &mut st.orders[a];
        c.trim(now);
        let (c10, cday) = c.counts();
        if c10 >= ORDERS_PER_10S || cday >= ORDERS_PER_DAY {
            bump(&shared.stats.http_429);
            bump(&shared.stats.orders_rate_limited);
            let (msg, retry) = if c10 >= ORDERS_PER_10S {
                (
                    format!("Too many new orders; current limit is {ORDERS_PER_10S} orders per 10 SECOND."),
                    (c.window + 1) * ORDERS_WINDOW_MS,
                )
            } else {
                (
                    format!(
                        "Too many new orders; current limit is {ORDERS_PER_DAY} orders per DAY."
                    ),
                    (now / ORDERS_DAY_MS + 1) * ORDERS_DAY_MS,
                )
            };
            let mut e = ApiError::new(429, -1015, msg);
            e.data = Some(json!({"serverTime": now, "retryAfter": retry}));
            reply.result = Err(e);
            reply.order_counts = Some((c10, cday));
            reply.rate_limits = order_limits_json(c10, cday)
                .into_iter()
                .chain([weight_limit_json(used)])
                .collect();
            return reply;
        }
        c.window_count += 1;
        c.day_count += 1;
        let (c10, cday) = c.counts();
        reply.order_counts = Some((c10, cday));
        reply.rate_limits = order_limits_json(c10, cday)
            .into_iter()
            .chain([weight_limit_json(used)])
            .collect();
    }
    let p = Params(params);
    let result = match (method, account) {
        ("ping", _) => Ok(json!({})),
        ("time", _) => Ok(json!({"serverTime": now})),
        // The WS-API layer fills in the connection's session.
        ("session.status", _) => Ok(json!({})),
        ("session.logout", _) => {
            reply.logout = true;
            Ok(json!({}))
        }
        (_, None) => Err(ApiError::new(401, -2014, "API-key format invalid.")),
        ("session.logon", Some(a)) => {
            if !matches!(transport, Transport::Ws { .. }) {
                Err(ApiError::new(400, -1100, "Not a REST method."))
            } else if shared.cfg.accounts[a].ed25519_public_key.is_none() {
                // Binance: only Ed25519 keys may log on (the code is the
                // sim's choice).
                Err(ApiError::new(
                    401,
                    -1002,
                    "You are not authorized to execute this request.",
                ))
            } else {
                reply.logon = Some(a);
                Ok(json!({}))
            }
        }
        ("order.place", Some(a)) => place(shared, &mut st, a, &p, now).map(|(v, _)| v),
        ("order.test", Some(_)) => parse_new_order(&p).and_then(|o| {
            st.engine
                .check(&o)
                .map(|()| json!({}))
                .map_err(ApiError::from_reject)
        }),
        ("order.cancel", Some(a)) => cancel(shared, &mut st, a, &p, now),
        ("order.cancelReplace", Some(a)) => cancel_replace(shared, &mut st, a, &p, now),
        ("order.status", Some(a)) => {
            let symbol = p.req("symbol");
            symbol.and_then(|s| {
                let id = p.u64("orderId")?;
                st.engine
                    .order(a, s, id, p.get("origClientOrderId"))
                    .map(order_info_json)
                    .ok_or_else(|| ApiError::new(400, -2013, "Order does not exist."))
            })
        }
        ("openOrders.status", Some(a)) => Ok(Value::Array(
            st.engine
                .open_orders(a, p.get("symbol"))
                .iter()
                .map(order_info_json)
                .collect(),
        )),
        ("openOrders.cancelAll", Some(a)) => p.req("symbol").map(str::to_string).and_then(|s| {
            let open = st.engine.open_orders(a, Some(&s));
            if open.is_empty() {
                return Err(ApiError::from_reject(Reject::unknown_order()));
            }
            let mut out = Vec::new();
            for o in open {
                if let Ok(c) = st.engine.cancel(a, &s, Some(o.id), None, None, now) {
                    bump(&shared.stats.orders_canceled);
                    out.push(cancel_json(&c, &o.client_order_id, now));
                }
            }
            Ok(Value::Array(out))
        }),
        ("account.status", Some(a)) => Ok(account_json(&st.engine, a, now)),
        ("userDataStream.subscribe" | "userDataStream.subscribe.signature", Some(a)) => {
            if matches!(transport, Transport::Rest { .. }) {
                Err(ApiError::new(400, -1100, "Not a REST method."))
            } else {
                let id = st.next_subscription;
                st.next_subscription += 1;
                let sink = Arc::new(UserSink {
                    account: a,
                    subscription_id: id,
                    listen_key: None,
                    queue: Mutex::new(VecDeque::new()),
                });
                st.sinks.push(Arc::clone(&sink));
                reply.sink = Some(sink);
                Ok(json!({"subscriptionId": id}))
            }
        }
        _ => Err(ApiError::new(
            400,
            -1100,
            format!("Unknown method '{method}'."),
        )),
    };
    if result.is_err() {
        bump(&shared.stats.api_errors);
    }
    dispatch(shared, &mut st);
    reply.result = result;
    reply
}

/// Whether `s` has the shape of a listen key: [`LISTEN_KEY_LEN`] ASCII
/// letters and digits (a stream name always holds an `@`).
pub(crate) fn is_listen_key_shape(s: &str) -> bool {
    s.len() == LISTEN_KEY_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A fresh listen key: [`LISTEN_KEY_LEN`] letters and digits drawn from
/// `seed` (splitmix64; unique per seed, not a secret in a local sim).
fn make_listen_key(seed: u64) -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed;
    let mut out = String::with_capacity(LISTEN_KEY_LEN);
    for _ in 0..LISTEN_KEY_LEN {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        out.push(char::from(ALPHABET[(z % 62) as usize]));
    }
    out
}

/// Ends every listen key past its validity: its streams get
/// `listenKeyExpired` (Binance's spot shape: `E` as a string) and nothing
/// more; a keepalive or close of it is answered -1125.
fn expire_listen_keys(shared: &Shared, st: &mut ApiState, now_ms: u64) {
    let (gone, live): (Vec<ListenKey>, Vec<ListenKey>) = std::mem::take(&mut st.listen_keys)
        .into_iter()
        .partition(|k| now_ms >= k.expires_ms);
    st.listen_keys = live;
    for k in gone {
        let text = json!({"e": "listenKeyExpired", "E": now_ms.to_string(), "listenKey": k.key})
            .to_string();
        for s in st
            .sinks
            .iter()
            .filter(|s| s.listen_key.as_deref() == Some(k.key.as_str()))
        {
            lock(&s.queue).push_back(text.clone());
            bump(&shared.stats.user_events);
        }
        st.sinks
            .retain(|s| s.listen_key.as_deref() != Some(k.key.as_str()));
        bump(&shared.stats.listen_keys_expired);
        eprintln!("sim: listenKey of account {} expired", k.account);
    }
}

/// Expires the listen keys due (the listen-key connections call it on every
/// turn, so an expiry is sent within a turn of its time).
pub(crate) fn expire_due_listen_keys(shared: &Shared) {
    let now = server_ms(shared);
    let mut st = lock(&shared.api);
    expire_listen_keys(shared, &mut st, now);
}

/// Whether `key` is a live listen key.
pub(crate) fn listen_key_exists(shared: &Shared, key: &str) -> bool {
    let now = server_ms(shared);
    let mut st = lock(&shared.api);
    expire_listen_keys(shared, &mut st, now);
    st.listen_keys.iter().any(|k| k.key == key)
}

/// A sink for a `/ws/<listenKey>` connection, or `None` when the key does
/// not exist (never made, closed or expired).
pub(crate) fn open_listen_key_sink(shared: &Shared, key: &str) -> Option<Arc<UserSink>> {
    let now = server_ms(shared);
    let mut st = lock(&shared.api);
    expire_listen_keys(shared, &mut st, now);
    let account = st.listen_keys.iter().find(|k| k.key == key)?.account;
    let id = st.next_subscription;
    st.next_subscription += 1;
    let sink = Arc::new(UserSink {
        account,
        subscription_id: id,
        listen_key: Some(key.to_string()),
        queue: Mutex::new(VecDeque::new()),
    });
    st.sinks.push(Arc::clone(&sink));
    Some(sink)
}

/// `POST`, `PUT` or `DELETE /api/v3/userDataStream` with Binance's rules:
/// the API key header is required (no signature); `POST` makes the
/// account's listen key, or returns the live one with its validity
/// extended; `PUT` extends it; `DELETE` closes it (its streams get nothing
/// more). A key that does not exist, or is another account's, is -1125.
pub(crate) fn user_data_stream(
    shared: &Shared,
    method: &str,
    api_key: Option<&str>,
    listen_key: Option<&str>,
) -> Result<Value, ApiError> {
    bump(&shared.stats.api_requests);
    let r = user_data_stream_inner(shared, method, api_key, listen_key);
    if r.is_err() {
        bump(&shared.stats.api_errors);
    }
    r
}

fn user_data_stream_inner(
    shared: &Shared,
    method: &str,
    api_key: Option<&str>,
    listen_key: Option<&str>,
) -> Result<Value, ApiError> {
    let Some(api_key) = api_key.filter(|k| !k.is_empty()) else {
        bump(&shared.stats.bad_api_keys);
        return Err(ApiError::new(401, -2014, "API-key format invalid."));
    };
    let Some(account) = shared
        .cfg
        .accounts
        .iter()
        .position(|a| a.api_key == api_key)
    else {
        bump(&shared.stats.bad_api_keys);
        return Err(ApiError::new(
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        ));
    };
    let now = server_ms(shared);
    let validity = shared.cfg.listen_key_validity.as_millis() as u64;
    let mut st = lock(&shared.api);
    expire_listen_keys(shared, &mut st, now);
    if method == "POST" {
        if let Some(k) = st.listen_keys.iter_mut().find(|k| k.account == account) {
            k.expires_ms = now.saturating_add(validity);
            return Ok(json!({"listenKey": k.key}));
        }
        st.keys_made += 1;
        let seed = st.keys_made ^ now.rotate_left(20) ^ ((account as u64) << 56);
        let mut key = make_listen_key(seed);
        while st.listen_keys.iter().any(|k| k.key == key) {
            key = make_listen_key(seed.wrapping_add(st.keys_made));
            st.keys_made += 1;
        }
        st.listen_keys.push(ListenKey {
            key: key.clone(),
            account,
            expires_ms: now.saturating_add(validity),
        });
        bump(&shared.stats.listen_keys_made);
        return Ok(json!({"listenKey": key}));
    }
    let Some(key) = listen_key.filter(|k| !k.is_empty()) else {
        return Err(ApiError::new(
            400,
            -1102,
            "Mandatory parameter 'listenKey' was not sent, was empty/null, or malformed.",
        ));
    };
    let Some(at) = st
        .listen_keys
        .iter()
        .position(|k| k.key == key && k.account == account)
    else {
        return Err(ApiError::new(400, -1125, "This listenKey does not exist."));
    };
    if method == "PUT" {
        st.listen_keys[at].expires_ms = now.saturating_add(validity);
        bump(&shared.stats.listen_key_keepalives);
    } else {
        st.listen_keys.remove(at);
        st.sinks.retain(|s| s.listen_key.as_deref() != Some(key));
        bump(&shared.stats.listen_keys_closed);
    }
    Ok(json!({}))
}

/// Removes a connection's sinks.
pub(crate) fn drop_sinks(shared: &Shared, sinks: &[Arc<UserSink>]) {
    let mut st = lock(&shared.api);
    st.sinks
        .retain(|s| !sinks.iter().any(|x| Arc::ptr_eq(s, x)));
}

/// Sends the engine's pending events to the subscribers of their accounts.
pub(crate) fn dispatch(shared: &Shared, st: &mut ApiState) {
    for ev in st.engine.take_events() {
        if let Event::Execution(x) = &ev {
            count_execution(shared, x);
        }
        let body = event_json(&ev, &st.engine);
        for s in st.sinks.iter().filter(|s| s.account == ev.account()) {
            let text = match s.listen_key {
                Some(_) => body.to_string(),
                None => json!({"subscriptionId": s.subscription_id, "event": body}).to_string(),
            };
            let mut q = lock(&s.queue);
            if q.len() >= MAX_QUEUED_USER_EVENTS {
                q.pop_front();
            }
            q.push_back(text);
            bump(&shared.stats.user_events);
        }
    }
}

fn count_execution(shared: &Shared, x: &Execution) {
    match x.exec_type {
        "TRADE" => {
            bump(&shared.stats.fills);
            if x.order.status == crate::binance::types::OrderStatus::Filled {
                bump(&shared.stats.orders_filled);
            }
        }
        "EXPIRED" => bump(&shared.stats.orders_expired),
        _ => {}
    }
}

/// A replayed trade, from the market thread.
pub(crate) fn on_trade(shared: &Shared, symbol: &str, bare: &[u8]) {
    #[derive(serde::Deserialize)]
    struct T {
        p: Price,
        q: Qty,
    }
    let Ok(t) = serde_json::from_slice::<T>(bare) else {
        return;
    };
    let now = server_ms(shared);
    let needs = lock(&shared.api).engine.open_orders_in(symbol);
    let (asks, bids) = if needs {
        levels(shared, symbol)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut st = lock(&shared.api);
    st.engine.on_trade(symbol, t.p, t.q, &asks, &bids, now);
    dispatch(shared, &mut st);
}

/// The visible quantity at `price` on `side`'s own side of the book (bids
/// for a buy, best first): zero at a price between or better than its
/// levels (a new level), `None` beyond the levels looked at (unknown).
fn queue_at(own: &[(Price, Qty)], side: Side, price: Price) -> Option<Qty> {
    if let Some((_, q)) = own.iter().find(|(p, _)| *p == price) {
        return Some(*q);
    }
    let beyond = own.last().is_some_and(|(last, _)| match side {
        Side::Buy => price < *last,
        Side::Sell => price > *last,
    });
    (!beyond).then_some(Qty::ZERO)
}

/// A book's asks and bids, best first.
type AsksBids = (Vec<(Price, Qty)>, Vec<(Price, Qty)>);

fn levels(shared: &Shared, symbol: &str) -> AsksBids {
    let m = lock(&shared.market);
    m.books
        .get(symbol)
        .filter(|b| b.is_ready())
        .map(|b| {
            (
                b.levels(Side::Sell, BOOK_LEVELS_FOR_ORDERS),
                b.levels(Side::Buy, BOOK_LEVELS_FOR_ORDERS),
            )
        })
        .unwrap_or_default()
}

fn parse_new_order(p: &Params<'_>) -> Result<NewOrder, ApiError> {
    let symbol = p.req("symbol")?.to_string();
    let side = enum_param::<Side>(p.req("side")?)
        .ok_or_else(|| ApiError::new(400, -1117, "Invalid side."))?;
    let order_type = enum_param::<OrderType>(p.req("type")?)
        .ok_or_else(|| ApiError::new(400, -1116, "Invalid orderType."))?;
    let time_in_force = match p.get("timeInForce") {
        Some(t) => Some(
            enum_param::<TimeInForce>(t)
                .ok_or_else(|| ApiError::new(400, -1115, "Invalid timeInForce."))?,
        ),
        None => None,
    };
    if p.get("quoteOrderQty").is_some() {
        return Err(ApiError::new(
            400,
            -1106,
            "Parameter 'quoteOrderQty' sent when not required.",
        ));
    }
    Ok(NewOrder {
        symbol,
        side,
        order_type,
        time_in_force,
        qty: p.dec("quantity", Qty::parse)?,
        price: p.dec("price", Price::parse)?,
        stop_price: p.dec("stopPrice", Price::parse)?,
        client_order_id: p.get("newClientOrderId").map(str::to_string),
    })
}

fn place(
    shared: &Shared,
    st: &mut ApiState,
    account: usize,
    p: &Params<'_>,
    now: u64,
) -> Result<(Value, Order), ApiError> {
    let req = match parse_new_order(p) {
        Ok(r) => r,
        Err(e) => {
            bump(&shared.stats.orders_rejected);
            return Err(e);
        }
    };
    let resp_type = p.get("newOrderRespType").unwrap_or(match req.order_type {
        OrderType::Market | OrderType::Limit => "FULL",
        _ => "ACK",
    });
    if !matches!(resp_type, "ACK" | "RESULT" | "FULL") {
        bump(&shared.stats.orders_rejected);
        return Err(ApiError::new(
            400,
            -1100,
            "Illegal characters found in parameter 'newOrderRespType'.",
        ));
    }
    let (asks, bids) = levels(shared, &req.symbol);
    let (book, own) = match req.side {
        Side::Buy => (asks, bids),
        Side::Sell => (bids, asks),
    };
    let queue_ahead = req.price.and_then(|p| queue_at(&own, req.side, p));
    match st
        .engine
        .place_queued(account, &req, &book, queue_ahead, now)
    {
        Ok(placed) => {
            bump(&shared.stats.orders_placed);
            let o = &placed.order;
            let mut v = json!({
                "symbol": o.symbol, "orderId": o.id, "orderListId": -1,
                "clientOrderId": o.client_order_id, "transactTime": now,
            });
            if resp_type != "ACK" {
                let m = v.as_object_mut().expect("object");
                m.insert("price".into(), json!(o.price.to_string()));
                m.insert("origQty".into(), json!(o.qty.to_string()));
                m.insert("executedQty".into(), json!(o.executed.to_string()));
                m.insert("origQuoteOrderQty".into(), json!("0.00000000"));
                m.insert("cummulativeQuoteQty".into(), json!(o.cum_quote.to_string()));
                m.insert("status".into(), json!(name_of(&o.status)));
                m.insert("timeInForce".into(), json!(name_of(&o.time_in_force)));
                m.insert("type".into(), json!(name_of(&o.order_type)));
                m.insert("side".into(), json!(name_of(&o.side)));
                if o.stop_price > Price::ZERO {
                    m.insert("stopPrice".into(), json!(o.stop_price.to_string()));
                }
                m.insert("workingTime".into(), json!(o.working_ms));
                m.insert("selfTradePreventionMode".into(), json!("NONE"));
            }
            if resp_type == "FULL" {
                let fills: Vec<Value> = placed
                    .fills
                    .iter()
                    .map(|f| json!({"price": f.price.to_string(), "qty": f.qty.to_string(),
                        "commission": f.commission.to_string(), "commissionAsset": f.commission_asset,
                        "tradeId": f.trade_id}))
                    .collect();
                v["fills"] = Value::Array(fills);
            }
            Ok((v, placed.order))
        }
        Err(r) => {
            bump(&shared.stats.orders_rejected);
            Err(ApiError::from_reject(r))
        }
    }
}

fn cancel_json(o: &Order, orig_client_id: &str, now: u64) -> Value {
    let mut v = json!({
        "symbol": o.symbol, "origClientOrderId": orig_client_id, "orderId": o.id,
        "orderListId": -1, "clientOrderId": o.client_order_id, "transactTime": now,
        "price": o.price.to_string(), "origQty": o.qty.to_string(),
        "executedQty": o.executed.to_string(), "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": o.cum_quote.to_string(), "status": name_of(&o.status),
        "timeInForce": name_of(&o.time_in_force), "type": name_of(&o.order_type),
        "side": name_of(&o.side), "selfTradePreventionMode": "NONE",
    });
    if o.stop_price > Price::ZERO {
        v["stopPrice"] = json!(o.stop_price.to_string());
    }
    v
}

fn cancel(
    shared: &Shared,
    st: &mut ApiState,
    account: usize,
    p: &Params<'_>,
    now: u64,
) -> Result<Value, ApiError> {
    let symbol = p.req("symbol")?.to_string();
    let id = p.u64("orderId")?;
    let orig = p.get("origClientOrderId");
    let before = st
        .engine
        .order(account, &symbol, id, orig)
        .map(|o| o.client_order_id.clone());
    let o = st
        .engine
        .cancel(account, &symbol, id, orig, p.get("newClientOrderId"), now)
        .map_err(ApiError::from_reject)?;
    bump(&shared.stats.orders_canceled);
    Ok(cancel_json(&o, &before.unwrap_or_default(), now))
}

fn cancel_replace(
    shared: &Shared,
    st: &mut ApiState,
    account: usize,
    p: &Params<'_>,
    now: u64,
) -> Result<Value, ApiError> {
    let mode = p.req("cancelReplaceMode")?;
    let allow_failure = match mode {
        "STOP_ON_FAILURE" => false,
        "ALLOW_FAILURE" => true,
        _ => {
            return Err(ApiError::new(
                400,
                -1100,
                "Illegal characters found in parameter 'cancelReplaceMode'.",
            ))
        }
    };
    let renamed: Vec<(String, String)> =
        p.0.iter()
            .filter_map(|(k, v)| match k.as_str() {
                "cancelOrderId" => Some(("orderId".to_string(), v.clone())),
                "cancelOrigClientOrderId" => Some(("origClientOrderId".to_string(), v.clone())),
                "cancelNewClientOrderId" => Some(("newClientOrderId".to_string(), v.clone())),
                "symbol" => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect();
    let cancel_res = cancel(shared, st, account, &Params(&renamed), now);
    let err_json = |e: &ApiError| json!({"code": e.code, "msg": e.msg});
    if let (Err(e), false) = (&cancel_res, allow_failure) {
        let mut out = ApiError::new(400, -2022, "Order cancel-replace failed.");
        out.data = Some(
            json!({"cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED",
            "cancelResponse": err_json(e), "newOrderResponse": null}),
        );
        return Err(out);
    }
    let new_res = place(shared, st, account, p, now).map(|(v, _)| v);
    let cancel_v = match &cancel_res {
        Ok(v) => v.clone(),
        Err(e) => err_json(e),
    };
    match (&cancel_res, new_res) {
        (Ok(_), Ok(n)) => Ok(
            json!({"cancelResult": "SUCCESS", "newOrderResult": "SUCCESS",
            "cancelResponse": cancel_v, "newOrderResponse": n}),
        ),
        (c, n) => {
            let (status, code, msg) = if c.is_ok() || n.is_ok() {
                (409, -2021, "Order cancel-replace partially failed.")
            } else {
                (400, -2022, "Order cancel-replace failed.")
            };
            let mut out = ApiError::new(status, code, msg);
            out.data = Some(json!({
                "cancelResult": if c.is_ok() { "SUCCESS" } else { "FAILURE" },
                "newOrderResult": if n.is_ok() { "SUCCESS" } else { "FAILURE" },
                "cancelResponse": cancel_v,
                "newOrderResponse": match &n { Ok(v) => v.clone(), Err(e) => err_json(e) },
            }));
            Err(out)
        }
    }
}

/// `order.status` / `GET /api/v3/order` body.
fn order_info_json(o: &Order) -> Value {
    json!({
        "symbol": o.symbol, "orderId": o.id, "orderListId": -1, "clientOrderId": o.client_order_id,
        "price": o.price.to_string(), "origQty": o.qty.to_string(),
        "executedQty": o.executed.to_string(), "cummulativeQuoteQty": o.cum_quote.to_string(),
        "status": name_of(&o.status), "timeInForce": name_of(&o.time_in_force),
        "type": name_of(&o.order_type), "side": name_of(&o.side),
        "stopPrice": o.stop_price.to_string(), "icebergQty": "0.00000000",
        "time": o.time_ms, "updateTime": o.update_ms, "isWorking": o.working,
        "workingTime": o.working_ms, "origQuoteOrderQty": "0.00000000",
        "selfTradePreventionMode": "NONE",
    })
}

fn account_json(e: &Engine, account: usize, now: u64) -> Value {
    // Fractions → basis points (0.0015 → 15, as in Binance's docs); one
    // basis point is 10^4 units of 10^-8.
    let (maker_bps, taker_bps) = (
        e.maker_rate().units() / 10_000,
        e.taker_rate().units() / 10_000,
    );
    let (maker, taker) = (e.maker_rate().to_string(), e.taker_rate().to_string());
    let balances: Vec<Value> = e
        .balances(account)
        .into_iter()
        .map(|(a, b)| json!({"asset": a, "free": b.free.to_string(), "locked": b.locked.to_string()}))
        .collect();
    json!({
        "makerCommission": maker_bps, "takerCommission": taker_bps, "buyerCommission": 0, "sellerCommission": 0,
        "commissionRates": {"maker": maker, "taker": taker, "buyer": "0.00000000", "seller": "0.00000000"},
        "canTrade": true, "canWithdraw": true, "canDeposit": true, "brokered": false,
        "requireSelfTradePrevention": false, "preventSor": false,
        "updateTime": now, "accountType": "SPOT", "balances": balances,
        "permissions": ["SPOT"], "uid": 1 + account as u64,
    })
}

/// A user-data event as Binance renders it (the inner `event` object).
pub fn event_json(ev: &Event, e: &Engine) -> Value {
    match ev {
        Event::Execution(x) => {
            let o = &x.order;
            let (l, lp, n, na, t, m, y) = match &x.fill {
                Some(f) => (
                    f.qty.to_string(),
                    f.price.to_string(),
                    f.commission.to_string(),
                    Value::String(f.commission_asset.clone()),
                    f.trade_id as i64,
                    f.maker,
                    f.price
                        .notional(f.qty, crate::num::Rounding::Down)
                        .unwrap_or(Amount::ZERO)
                        .to_string(),
                ),
                None => (
                    "0.00000000".into(),
                    "0.00000000".into(),
                    "0".into(),
                    Value::Null,
                    -1,
                    false,
                    "0.00000000".into(),
                ),
            };
            let mut v: Map<String, Value> = serde_json::from_value(json!({
                "e": "executionReport", "E": x.time_ms, "s": o.symbol, "c": o.client_order_id,
                "S": name_of(&o.side), "o": name_of(&o.order_type), "f": name_of(&o.time_in_force),
                "q": o.qty.to_string(), "p": o.price.to_string(), "P": o.stop_price.to_string(),
                "F": "0.00000000", "g": -1, "C": x.orig_client_order_id, "x": x.exec_type,
                "X": name_of(&o.status), "r": "NONE", "i": o.id, "l": l, "z": o.executed.to_string(),
                "L": lp, "n": n, "N": na, "T": x.time_ms, "t": t, "I": x.exec_id, "w": o.working
                    && matches!(o.status, crate::binance::types::OrderStatus::New | crate::binance::types::OrderStatus::PartiallyFilled),
                "m": m, "M": x.fill.is_some(), "O": o.time_ms, "Z": o.cum_quote.to_string(), "Y": y,
                "Q": "0.00000000", "V": "NONE",
            }))
            .unwrap_or_default();
            if o.working_ms >= 0 {
                v.insert("W".into(), json!(o.working_ms));
            }
            Value::Object(v)
        }
        Event::Position {
            time_ms, balances, ..
        } => {
            let _ = e;
            json!({
                "e": "outboundAccountPosition", "E": time_ms, "u": time_ms,
                "B": balances.iter().map(|(a, b)| json!({"a": a, "f": b.free.to_string(), "l": b.locked.to_string()})).collect::<Vec<_>>(),
            })
        }
    }
}
