//! The REST server: plain HTTP/1.1 (keep-alive), one thread per connection.
//! `GET /api/v3/depth`, `/api/v3/exchangeInfo`, `/api/v3/time`,
//! `/api/v3/ping`, the order endpoints (`sim::api`), listen keys
//! (`/api/v3/userDataStream`), with Binance's request weights, the
//! `X-MBX-USED-WEIGHT-1M` header, its error bodies, and the REST faults.

use super::source::SymbolInfo;
use super::{bump, lock, Shared};
use serde_json::{json, Value};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Request weight an IP may use per minute before HTTP 429 (Binance spot: 6000).
pub const REQUEST_WEIGHT_LIMIT_PER_MINUTE: u32 = 6000;
/// Weight of `/api/v3/ping` and `/api/v3/time`.
pub const WEIGHT_LIGHT: u32 = 1;
/// Weight of `/api/v3/exchangeInfo`.
pub const WEIGHT_EXCHANGE_INFO: u32 = 20;
/// Longest request head (request line + headers), in bytes.
pub const MAX_HTTP_HEAD_BYTES: usize = 16 << 10;
/// Largest request body read and discarded, in bytes.
pub const MAX_HTTP_BODY_BYTES: usize = 64 << 10;
/// Read timeout of a REST socket: how often an idle connection checks for shutdown.
pub const REST_POLL_INTERVAL: Duration = Duration::from_millis(50);
/// An idle keep-alive connection is closed after this long.
pub const HTTP_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest a depth request waits for its book's start state (a snapshot
/// record not yet reached) before HTTP 503.
pub const SNAPSHOT_WAIT: Duration = Duration::from_secs(5);
/// Write timeout of a REST socket.
pub const REST_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Binance's request weight of `GET /api/v3/depth` for a `limit`.
pub fn depth_weight(limit: usize) -> u32 {
    match limit {
        0..=100 => 5,
        101..=500 => 25,
        501..=1000 => 50,
        _ => 250,
    }
}

/// The weight counter and the depth-request count (for the 418/429 faults).
#[derive(Debug, Default)]
pub struct RestState {
    minute: u64,
    used: u32,
    depth_requests: u64,
}

impl RestState {
    /// Adds `weight` in the minute `now_ms` falls in; returns the weight used
    /// in that minute, including this request.
    pub fn add_weight(&mut self, now_ms: u64, weight: u32) -> u32 {
        let minute = now_ms / 60_000;
        if minute != self.minute {
            self.minute = minute;
            self.used = 0;
        }
        self.used = self.used.saturating_add(weight);
        self.used
    }
}

/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, …
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// Whether the connection stays open after the answer.
    pub keep_alive: bool,
    /// `Content-Length` (the body is read; only the order endpoints use it).
    pub content_length: usize,
    /// The query string as sent (for signatures).
    pub raw_query: String,
    /// `X-MBX-APIKEY`.
    pub api_key: Option<String>,
}

impl HttpRequest {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a request head (everything before the blank line).
pub fn parse_head(head: &str) -> Result<HttpRequest, String> {
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("bad request line {line:?}"));
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return Err(format!("bad request line {line:?}"));
    }
    let (path, q) = target.split_once('?').unwrap_or((target, ""));
    let query = q
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    let mut keep_alive = version == "HTTP/1.1";
    let mut content_length = 0;
    let mut api_key = None;
    for h in lines {
        let Some((name, value)) = h.split_once(':') else {
            if h.is_empty() {
                continue;
            }
            return Err(format!("bad header {h:?}"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("connection") {
            keep_alive = !value.eq_ignore_ascii_case("close")
                && (keep_alive || value.eq_ignore_ascii_case("keep-alive"));
        } else if name.eq_ignore_ascii_case("x-mbx-apikey") {
            api_key = Some(value.to_string());
        } else if name.eq_ignore_ascii_case("content-length") {
            content_length = value
                .parse()
                .map_err(|_| format!("bad Content-Length {value:?}"))?;
        }
    }
    Ok(HttpRequest {
        method: method.to_string(),
        path: path.to_string(),
        query,
        keep_alive,
        content_length,
        raw_query: q.to_string(),
        api_key,
    })
}

/// An answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// JSON body.
    pub body: String,
    /// `Retry-After`, seconds.
    pub retry_after_s: Option<u64>,
    /// `X-MBX-USED-WEIGHT-1M`.
    pub used_weight: Option<u32>,
    /// `X-MBX-ORDER-COUNT-10S` and `X-MBX-ORDER-COUNT-1D`.
    pub order_counts: Option<(u64, u64)>,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        418 => "I'm a teapot",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

impl HttpResponse {
    fn json(status: u16, body: String) -> HttpResponse {
        HttpResponse {
            status,
            body,
            retry_after_s: None,
            used_weight: None,
            order_counts: None,
        }
    }

    fn error(status: u16, code: i64, msg: &str) -> HttpResponse {
        HttpResponse::json(status, json!({"code": code, "msg": msg}).to_string())
    }

    /// The bytes on the wire.
    pub fn to_bytes(&self, keep_alive: bool) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\n",
            self.status,
            reason(self.status),
            self.body.len()
        );
        if let Some(w) = self.used_weight {
            head.push_str(&format!("X-MBX-USED-WEIGHT-1M: {w}\r\n"));
        }
        if let Some((c10, cday)) = self.order_counts {
            head.push_str(&format!(
                "X-MBX-ORDER-COUNT-10S: {c10}\r\nX-MBX-ORDER-COUNT-1D: {cday}\r\n"
            ));
        }
        if let Some(s) = self.retry_after_s {
            head.push_str(&format!("Retry-After: {s}\r\n"));
        }
        head.push_str(if keep_alive {
            "Connection: keep-alive\r\n\r\n"
        } else {
            "Connection: close\r\n\r\n"
        });
        let mut out = head.into_bytes();
        out.extend_from_slice(self.body.as_bytes());
        out
    }
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn secs_ceil(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000) as u64
}

/// The quote asset of a symbol by its suffix (base, quote).
fn split_symbol(symbol: &str) -> (String, String) {
    const QUOTES: [&str; 16] = [
        "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "DAI", "BTC", "ETH", "BNB", "EUR", "TRY", "BRL",
        "AUD", "GBP", "JPY", "USD",
    ];
    for q in QUOTES {
        if let Some(base) = symbol.strip_suffix(q) {
            if !base.is_empty() {
                return (base.to_string(), q.to_string());
            }
        }
    }
    let cut = symbol.len().saturating_sub(3);
    (symbol[..cut].to_string(), symbol[cut..].to_string())
}

fn step_of(decimals: u32) -> String {
    let units = 10i64.pow(8 - decimals.min(8));
    crate::num::Price::from_units(units)
        .map(|p| p.to_string())
        .unwrap_or_else(|_| "0.00000001".into())
}

/// exchangeInfo's entry for one symbol: tick and step from the finest
/// decimals seen in the source, Binance's usual spot flags and filters.
pub fn symbol_json(s: &SymbolInfo) -> Value {
    let (base, quote) = split_symbol(&s.name);
    let tick = step_of(s.price_decimals);
    let step = step_of(s.qty_decimals);
    json!({
        "symbol": s.name,
        "status": "TRADING",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": true,
        "ocoAllowed": true,
        "otoAllowed": true,
        "quoteOrderQtyMarketAllowed": true,
        "allowTrailingStop": true,
        "cancelReplaceAllowed": true,
        "isSpotTradingAllowed": true,
        "isMarginTradingAllowed": false,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000", "tickSize": tick},
            {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000.00000000", "stepSize": step},
            {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": true,
             "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5}
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]
    })
}

/// The exchangeInfo body for `symbols`.
pub fn exchange_info_json<'a>(symbols: impl Iterator<Item = &'a SymbolInfo>) -> String {
    json!({
        "timezone": "UTC",
        "serverTime": unix_ms(),
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": REQUEST_WEIGHT_LIMIT_PER_MINUTE},
            // What the sim's order endpoints enforce (`sim::api`).
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": crate::sim::api::ORDERS_PER_10S},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": crate::sim::api::ORDERS_PER_DAY},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000}
        ],
        "exchangeFilters": [],
        "symbols": symbols.map(symbol_json).collect::<Vec<_>>()
    })
    .to_string()
}

const INVALID_SYMBOL: (i64, &str) = (-1121, "Invalid symbol.");
const MSG_429: &str = "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use the websocket for live updates to avoid polling the API.";

/// The WS-API method behind an order endpoint.
fn order_method(method: &str, path: &str) -> Option<&'static str> {
    Some(match (method, path) {
        ("POST", "/api/v3/order") => "order.place",
        ("POST", "/api/v3/order/test") => "order.test",
        ("DELETE", "/api/v3/order") => "order.cancel",
        ("GET", "/api/v3/order") => "order.status",
        ("POST", "/api/v3/order/cancelReplace") => "order.cancelReplace",
        ("GET", "/api/v3/openOrders") => "openOrders.status",
        ("DELETE", "/api/v3/openOrders") => "openOrders.cancelAll",
        ("GET", "/api/v3/account") => "account.status",
        _ => return None,
    })
}

/// `a=1&signature=…&b=2` without its `signature` pair.
fn without_signature(s: &str) -> String {
    s.split('&')
        .filter(|kv| !kv.starts_with("signature="))
        .collect::<Vec<_>>()
        .join("&")
}

/// A signed order endpoint: params from the query and the form body.
fn order_route(shared: &Shared, req: &HttpRequest, body: &str, method: &str) -> HttpResponse {
    super::ws_api::log_rest_request(shared, method);
    if super::ws_api::ENTRY_METHODS.contains(&method) && !shared.cfg.order_latency.is_zero() {
        std::thread::sleep(shared.cfg.order_latency);
    }
    let mut params = req.query.clone();
    params.extend(
        body.trim()
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (percent_decode(k), percent_decode(v))
            }),
    );
    if params.len() > super::api::MAX_PARAMS {
        return HttpResponse::error(400, -1101, "Too many parameters sent for this endpoint.");
    }
    let payload = without_signature(&req.raw_query) + &without_signature(body.trim());
    let transport = super::api::Transport::Rest {
        payload,
        api_key: req.api_key.as_deref(),
    };
    let reply = super::api::handle(shared, method, &params, &transport);
    let mut resp = match reply.result {
        Ok(v) => HttpResponse::json(200, v.to_string()),
        Err(e) => {
            let mut r = HttpResponse::json(e.status, e.body().to_string());
            if e.status == 429 || e.status == 418 {
                let retry = e.data.as_ref().and_then(|d| d["retryAfter"].as_u64());
                let now = super::api::server_ms(shared);
                r.retry_after_s = retry.map(|t| t.saturating_sub(now).div_ceil(1000));
            }
            r
        }
    };
    resp.used_weight = Some(reply.used_weight);
    resp.order_counts = reply.order_counts;
    resp
}

/// The listen-key path.
const USER_DATA_STREAM_PATH: &str = "/api/v3/userDataStream";

/// `POST`/`PUT`/`DELETE /api/v3/userDataStream`: listen keys (the API key
/// header, no signature; `listenKey` in the query or the form body).
fn user_data_stream_route(shared: &Shared, req: &HttpRequest, body: &str) -> HttpResponse {
    if !matches!(req.method.as_str(), "POST" | "PUT" | "DELETE") {
        return HttpResponse::error(405, -1000, "Method not allowed.");
    }
    if shared.cfg.listen_keys_gone {
        bump(&shared.stats.listen_key_gone_answers);
        return HttpResponse::json(
            410,
            "<html><head><title>410 Gone</title></head><body><center><h1>410 Gone</h1></center></body></html>".into(),
        );
    }
    let used =
        lock(&shared.rest).add_weight(unix_ms(), crate::limiter::weights::WEIGHT_USER_DATA_STREAM);
    if used > REQUEST_WEIGHT_LIMIT_PER_MINUTE {
        let mut r = answer(shared, req, used);
        r.used_weight = Some(used);
        return r;
    }
    let from_body = body
        .trim()
        .split('&')
        .find_map(|kv| kv.strip_prefix("listenKey=").map(percent_decode));
    let key = req.param("listenKey").map(str::to_string).or(from_body);
    let mut resp = match super::api::user_data_stream(
        shared,
        &req.method,
        req.api_key.as_deref(),
        key.as_deref(),
    ) {
        Ok(v) => HttpResponse::json(200, v.to_string()),
        Err(e) => HttpResponse::json(e.status, e.body().to_string()),
    };
    resp.used_weight = Some(used);
    resp
}

/// Answers one request.
fn route(shared: &Shared, req: &HttpRequest, body: &str) -> HttpResponse {
    if let Some(method) = order_method(&req.method, &req.path) {
        return order_route(shared, req, body, method);
    }
    if req.path == USER_DATA_STREAM_PATH {
        return user_data_stream_route(shared, req, body);
    }
    let weight = match req.path.as_str() {
        "/api/v3/ping" | "/api/v3/time" => WEIGHT_LIGHT,
        "/api/v3/exchangeInfo" => WEIGHT_EXCHANGE_INFO,
        "/api/v3/depth" => {
            let limit = req.param("limit").and_then(|l| l.parse::<usize>().ok());
            depth_weight(limit.unwrap_or(super::book::DEPTH_LIMIT_DEFAULT))
        }
        _ => {
            return HttpResponse::error(
                404,
                -1000,
                "Not found: the sim serves /api/v3/depth, exchangeInfo, time, ping.",
            )
        }
    };
    if req.method != "GET" {
        return HttpResponse::error(405, -1000, "Method not allowed.");
    }
    let used = lock(&shared.rest).add_weight(unix_ms(), weight);
    let mut resp = answer(shared, req, used);
    resp.used_weight = Some(used);
    resp
}

fn answer(shared: &Shared, req: &HttpRequest, used: u32) -> HttpResponse {
    if used > REQUEST_WEIGHT_LIMIT_PER_MINUTE {
        bump(&shared.stats.http_429);
        let mut r = HttpResponse::error(429, -1003, &format!(
            "Too much request weight used; current limit is {REQUEST_WEIGHT_LIMIT_PER_MINUTE} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."
        ));
        r.retry_after_s = Some(60 - (unix_ms() / 1000) % 60);
        return r;
    }
    match req.path.as_str() {
        "/api/v3/ping" => HttpResponse::json(200, "{}".into()),
        "/api/v3/time" => HttpResponse::json(200, json!({"serverTime": unix_ms()}).to_string()),
        "/api/v3/exchangeInfo" => {
            let symbols = &shared.info.symbols;
            let wanted: Option<Vec<String>> = match (req.param("symbol"), req.param("symbols")) {
                (Some(s), _) => Some(vec![s.to_string()]),
                (None, Some(list)) => match serde_json::from_str::<Vec<String>>(list) {
                    Ok(v) => Some(v),
                    Err(_) => {
                        return HttpResponse::error(
                            400,
                            -1100,
                            "Illegal characters found in parameter 'symbols'.",
                        )
                    }
                },
                (None, None) => None,
            };
            match wanted {
                None => HttpResponse::json(200, exchange_info_json(symbols.values())),
                Some(w) => {
                    if w.iter().any(|s| !symbols.contains_key(s)) {
                        return HttpResponse::error(400, INVALID_SYMBOL.0, INVALID_SYMBOL.1);
                    }
                    HttpResponse::json(
                        200,
                        exchange_info_json(w.iter().filter_map(|s| symbols.get(s))),
                    )
                }
            }
        }
        "/api/v3/depth" => depth(shared, req),
        _ => HttpResponse::error(404, -1000, "Not found."),
    }
}

fn depth(shared: &Shared, req: &HttpRequest) -> HttpResponse {
    use super::book::{DEPTH_LIMIT_DEFAULT, DEPTH_LIMIT_MAX};
    shared.start_clock();
    let Some(symbol) = req.param("symbol").filter(|s| !s.is_empty()) else {
        return HttpResponse::error(
            400,
            -1102,
            "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
        );
    };
    let limit = match req.param("limit") {
        None => DEPTH_LIMIT_DEFAULT,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if n >= 1 => n.min(DEPTH_LIMIT_MAX),
            _ => {
                return HttpResponse::error(
                    400,
                    -1100,
                    "Illegal characters found in parameter 'limit'; legal range is '1..5000'.",
                )
            }
        },
    };
    if !shared.info.symbols.contains_key(symbol) {
        return HttpResponse::error(400, INVALID_SYMBOL.0, INVALID_SYMBOL.1);
    }
    let faults = &shared.cfg.faults;
    let n = {
        let mut st = lock(&shared.rest);
        st.depth_requests += 1;
        st.depth_requests
    };
    if n <= u64::from(faults.rest_418_first) {
        bump(&shared.stats.http_418);
        let until = unix_ms() + faults.ban_for.as_millis() as u64;
        eprintln!(
            "sim: fault=http_418 conn=rest request={n} ban_s={}",
            secs_ceil(faults.ban_for)
        );
        let mut r = HttpResponse::error(418, -1003, &format!(
            "Way too much request weight used; IP banned until {until}. Please use WebSocket Streams for live updates to avoid bans."
        ));
        r.retry_after_s = Some(secs_ceil(faults.ban_for));
        return r;
    }
    if n <= u64::from(faults.rest_418_first) + u64::from(faults.rest_429_first) {
        bump(&shared.stats.http_429);
        eprintln!(
            "sim: fault=http_429 conn=rest request={n} retry_after_s={}",
            secs_ceil(faults.retry_after)
        );
        let mut r = HttpResponse::error(429, -1003, MSG_429);
        r.retry_after_s = Some(secs_ceil(faults.retry_after));
        return r;
    }
    let deadline = Instant::now() + SNAPSHOT_WAIT;
    let mut m = lock(&shared.market);
    loop {
        if let Some(book) = m.books.get(symbol) {
            if book.is_ready() {
                let body = book.snapshot_json(limit);
                drop(m);
                bump(&shared.stats.snapshots_served);
                return HttpResponse::json(200, body);
            }
        }
        let now = Instant::now();
        if now >= deadline || shared.stopping() {
            return HttpResponse::error(
                503,
                -1001,
                "Internal error; unable to process your request. Please try again.",
            );
        }
        m = shared
            .market_cv
            .wait_timeout(m, deadline - now)
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
}

/// The accept loop: a thread per connection; joins them all when the sim stops.
pub(crate) fn accept_loop(shared: &Arc<Shared>, listener: TcpListener) {
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    for stream in listener.incoming() {
        if shared.stopping() {
            break;
        }
        threads.retain(|t| !t.is_finished());
        let Ok(stream) = stream else { continue };
        let s = Arc::clone(shared);
        match std::thread::Builder::new()
            .name("sim-rest-conn".into())
            .spawn(move || serve(&s, stream))
        {
            Ok(t) => threads.push(t),
            Err(e) => eprintln!("sim: cannot start a REST thread: {e}"),
        }
    }
    for t in threads {
        let _ = t.join();
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

fn serve(shared: &Shared, mut s: TcpStream) {
    let _ = s.set_nodelay(true);
    let _ = s.set_read_timeout(Some(REST_POLL_INTERVAL));
    let _ = s.set_write_timeout(Some(REST_WRITE_TIMEOUT));
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut idle_since = Instant::now();
    loop {
        if shared.stopping() {
            return;
        }
        let Some(end) = find_head_end(&buf) else {
            if buf.len() > MAX_HTTP_HEAD_BYTES {
                let r = HttpResponse::error(400, -1000, "Request head too large.");
                let _ = s.write_all(&r.to_bytes(false));
                return;
            }
            match s.read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    idle_since = Instant::now();
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if idle_since.elapsed() >= HTTP_IDLE_TIMEOUT {
                        return;
                    }
                }
                Err(_) => return,
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end + 4);
        bump(&shared.stats.rest_requests);
        let req = match parse_head(&head) {
            Ok(r) => r,
            Err(e) => {
                bump(&shared.stats.rest_errors);
                let r = HttpResponse::error(400, -1000, &format!("Malformed request: {e}"));
                let _ = s.write_all(&r.to_bytes(false));
                return;
            }
        };
        if req.content_length > MAX_HTTP_BODY_BYTES {
            let r = HttpResponse::error(400, -1000, "Request body too large.");
            let _ = s.write_all(&r.to_bytes(false));
            return;
        }
        // Read and discard the body.
        while buf.len() < req.content_length {
            match s.read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if shared.stopping() || idle_since.elapsed() >= HTTP_IDLE_TIMEOUT {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
        let body = String::from_utf8_lossy(&buf[..req.content_length]).into_owned();
        buf.drain(..req.content_length);
        let delay = shared.cfg.faults.rest_delay;
        if !delay.is_zero() && shared.sleep(delay) {
            return;
        }
        let resp = route(shared, &req, &body);
        if resp.status >= 400 && resp.status != 429 && resp.status != 418 {
            bump(&shared.stats.rest_errors);
        }
        if s.write_all(&resp.to_bytes(req.keep_alive)).is_err() || !req.keep_alive {
            return;
        }
        idle_since = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        let r =
            parse_head("GET /api/v3/depth?symbol=BTCUSDT&limit=5 HTTP/1.1\r\nHost: x\r\n").unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/api/v3/depth");
        assert_eq!(r.param("symbol"), Some("BTCUSDT"));
        assert_eq!(r.param("limit"), Some("5"));
        assert!(r.keep_alive);
        let r = parse_head("GET /x HTTP/1.1\r\nconnection: Close\r\nContent-Length: 3").unwrap();
        assert!(!r.keep_alive);
        assert_eq!(r.content_length, 3);
        let r = parse_head("GET /x HTTP/1.0").unwrap();
        assert!(!r.keep_alive);
        let r = parse_head("GET /x HTTP/1.0\r\nConnection: keep-alive").unwrap();
        assert!(r.keep_alive);
        let r =
            parse_head("GET /api/v3/exchangeInfo?symbols=%5B%22BTCUSDT%22%5D HTTP/1.1").unwrap();
        assert_eq!(r.param("symbols"), Some("[\"BTCUSDT\"]"));
        for bad in [
            "",
            "GET",
            "GET /x",
            "GET x HTTP/1.1",
            "GET /x SPDY/3",
            "GET /x HTTP/1.1\r\nnocolon",
            "GET /x HTTP/1.1\r\nContent-Length: -1",
        ] {
            assert!(parse_head(bad).is_err(), "{bad:?}");
        }
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz+%41"), "%zz A");
    }

    #[test]
    fn weights() {
        assert_eq!(depth_weight(1), 5);
        assert_eq!(depth_weight(100), 5);
        assert_eq!(depth_weight(101), 25);
        assert_eq!(depth_weight(500), 25);
        assert_eq!(depth_weight(1000), 50);
        assert_eq!(depth_weight(5000), 250);
        let mut st = RestState::default();
        assert_eq!(st.add_weight(60_000, 5), 5);
        assert_eq!(st.add_weight(119_999, 20), 25);
        assert_eq!(
            st.add_weight(120_000, 1),
            1,
            "a new minute starts from zero"
        );
    }

    #[test]
    fn response_bytes() {
        let mut r = HttpResponse::error(429, -1003, "slow down");
        r.retry_after_s = Some(7);
        r.used_weight = Some(12);
        let text = String::from_utf8(r.to_bytes(true)).unwrap();
        assert!(text.starts_with("HTTP/1.1 429 Too Many Requests\r\n"));
        assert!(text.contains("\r\nRetry-After: 7\r\n"));
        assert!(text.contains("\r\nX-MBX-USED-WEIGHT-1M: 12\r\n"));
        assert!(text.ends_with("\r\n\r\n{\"code\":-1003,\"msg\":\"slow down\"}"));
    }

    #[test]
    fn symbols_and_steps() {
        assert_eq!(split_symbol("BTCUSDT"), ("BTC".into(), "USDT".into()));
        assert_eq!(split_symbol("ETHBTC"), ("ETH".into(), "BTC".into()));
        assert_eq!(split_symbol("BTCFDUSD"), ("BTC".into(), "FDUSD".into()));
        assert_eq!(split_symbol("XYZABC"), ("XYZ".into(), "ABC".into()));
        assert_eq!(step_of(2), "0.01000000");
        assert_eq!(step_of(0), "1.00000000");
        assert_eq!(step_of(8), "0.00000001");
        let s = SymbolInfo {
            name: "BTCUSDT".into(),
            price_decimals: 2,
            qty_decimals: 5,
            ..SymbolInfo::default()
        };
        let body = exchange_info_json(std::iter::once(&s));
        let info = crate::binance::exchange_info::decode_exchange_info(body.as_bytes()).unwrap();
        let sym = info.symbol("BTCUSDT").unwrap();
        assert_eq!(
            sym.price_filter().unwrap().tick_size.to_string(),
            "0.01000000"
        );
        assert_eq!(sym.lot_size().unwrap().step_size.to_string(), "0.00001000");
        assert!(sym.notional().is_some());
        assert_eq!(info.rate_limits.len(), 4);
    }
}
