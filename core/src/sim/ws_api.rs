//! The WebSocket API (`/ws-api/v3`) on the sim's WebSocket port: one request
//! per text frame, `{"id","method","params"}`, answered with
//! `{"id","status","result"|"error","rateLimits"}`; user-data events of the
//! connection's subscriptions pushed as `{"subscriptionId","event"}`.
//! `session.logon` (Ed25519 keys only) authenticates the connection: its
//! later requests may leave out `apiKey` and `signature`, and
//! `userDataStream.subscribe` (unsigned) needs it; `session.status` and
//! `session.logout` as Binance answers them.
//! No per-second message limit applies here (Binance counts request weight).

use super::api::{self, Transport, UserSink};
use super::faults::OrderFault;
use super::upkeep::{Service, Upkeep};
use super::ws::{would_block, Io};
use super::{bump, lock, Shared, WsApiRequest, MAX_WS_API_LOG};
use serde_json::{json, Value};
use std::sync::Arc;
use tungstenite::{Message, WebSocket};

/// Methods that count against the ORDERS limit on this endpoint.
const ORDER_METHODS: [&str; 2] = ["order.place", "order.cancelReplace"];
/// Order-entry methods the latency model delays ([`super::SimConfig::order_latency`]).
pub(crate) const ENTRY_METHODS: [&str; 3] = ["order.place", "order.cancel", "order.cancelReplace"];

/// What to do with one request frame.
pub(crate) enum Answer {
    /// Send this reply.
    Reply(String),
    /// The request was processed; close the connection without answering.
    Cut,
}

/// Remembers a WS-API request in the sim's log (bounded).
fn log_request(shared: &Shared, method: &str, order: bool, injected: Option<(u16, u64)>) {
    log_any(shared, method, order, injected, false);
}

/// Remembers a request to an order endpoint of the REST API in the same log,
/// under its WS-API method's name.
pub(crate) fn log_rest_request(shared: &Shared, method: &str) {
    log_any(shared, method, ORDER_METHODS.contains(&method), None, true);
}

fn log_any(shared: &Shared, method: &str, order: bool, injected: Option<(u16, u64)>, rest: bool) {
    let mut log = lock(&shared.ws_api_log);
    if log.len() < MAX_WS_API_LOG {
        log.push(WsApiRequest {
            at_ms: api::server_ms(shared),
            method: method.to_string(),
            order,
            injected,
            rest,
        });
    }
}

/// A WS-API connection's authentication (`session.logon`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Session {
    /// The logged-on account and since when (the sim's clock, ms).
    pub(crate) account: Option<(usize, u64)>,
    /// When the connection opened (the sim's clock, ms).
    pub(crate) connected_since: u64,
}

impl Session {
    fn json(&self, shared: &Shared, user_data: bool) -> Value {
        let key = self
            .account
            .map(|(a, _)| Value::String(shared.cfg.accounts[a].api_key.clone()));
        json!({
            "apiKey": key,
            "authorizedSince": self.account.map(|(_, t)| t),
            "connectedSince": self.connected_since,
            "returnRateLimits": false,
            "serverTime": api::server_ms(shared),
            "userDataStream": user_data,
        })
    }
}

/// Answers one request frame, applying the WS-API faults to order requests.
pub(crate) fn answer_with_faults(
    shared: &Shared,
    text: &str,
    sinks: &mut Vec<Arc<UserSink>>,
    session: &mut Session,
) -> Answer {
    let method = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("method").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    let order = ORDER_METHODS.contains(&method.as_str());
    if ENTRY_METHODS.contains(&method.as_str()) && !shared.cfg.order_latency.is_zero() {
        std::thread::sleep(shared.cfg.order_latency);
    }
    if !order {
        log_request(shared, &method, false, None);
        return Answer::Reply(answer(shared, text, sinks, session));
    }
    let n = shared
        .stats
        .ws_api_order_requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        + 1;
    let faults = &shared.cfg.ws_api_faults;
    let id = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("id").cloned())
        .unwrap_or(Value::Null);
    let now = api::server_ms(shared);
    let refuse = |status: u16, code: i64, msg: String, retry: u64| {
        log_request(shared, &method, true, Some((status, retry)));
        json!({"id": id, "status": status,
            "error": {"code": code, "msg": msg, "data": {"serverTime": now, "retryAfter": retry}}})
        .to_string()
    };
    match faults.order_fault(n) {
        OrderFault::None => {
            log_request(shared, &method, true, None);
            Answer::Reply(answer(shared, text, sinks, session))
        }
        OrderFault::Ban => {
            bump(&shared.stats.http_418);
            bump(&shared.stats.ws_api_418_injected);
            let until = now.saturating_add(faults.ban_for.as_millis() as u64);
            eprintln!("sim: fault=ws_api_418 conn=ws-api request={n} banned_until_ms={until}");
            Answer::Reply(refuse(
                418,
                -1003,
                format!("Way too much request weight used; IP banned until {until}. Please use WebSocket Streams for live updates to avoid bans."),
                until,
            ))
        }
        OrderFault::TooMany => {
            bump(&shared.stats.http_429);
            bump(&shared.stats.ws_api_429_injected);
            let retry = now.saturating_add(faults.retry_after.as_millis() as u64);
            eprintln!("sim: fault=ws_api_429 conn=ws-api request={n} retry_after_ms={retry}");
            Answer::Reply(refuse(
                429,
                -1015,
                format!(
                    "Too many new orders; current limit is {} orders per 10 SECOND.",
                    api::ORDERS_PER_10S
                ),
                retry,
            ))
        }
        OrderFault::Cut => {
            log_request(shared, &method, true, None);
            let _ = answer(shared, text, sinks, session);
            bump(&shared.stats.ws_api_cuts);
            eprintln!("sim: fault=ws_api_cut conn=ws-api request={n} (processed, unanswered)");
            Answer::Cut
        }
    }
}

/// Answers one request frame; a subscription it opens is added to `sinks`,
/// a `session.logon` / `session.logout` changes `session`.
pub(crate) fn answer(
    shared: &Shared,
    text: &str,
    sinks: &mut Vec<Arc<UserSink>>,
    session: &mut Session,
) -> String {
    let bad = |id: &Value, code: i64, msg: &str| {
        bump(&shared.stats.ws_request_errors);
        json!({"id": id, "status": 400, "error": {"code": code, "msg": msg}}).to_string()
    };
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => {
            return bad(
                &Value::Null,
                -1102,
                "Invalid JSON: expected a request object.",
            )
        }
    };
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    if !(id.is_string() || id.is_u64() || id.is_i64() || id.is_null()) {
        return bad(
            &Value::Null,
            -1102,
            "Invalid request: 'id' must be a string or an integer.",
        );
    }
    let Some(method) = v.get("method").and_then(Value::as_str) else {
        return bad(
            &id,
            -1102,
            "Mandatory parameter 'method' was not sent, was empty/null, or malformed.",
        );
    };
    let params = match api::ws_params(v.get("params")) {
        Ok(p) => p,
        Err(e) => return bad(&id, e.code, &e.msg),
    };
    if method.starts_with("userDataStream.subscribe")
        && sinks.len() >= api::MAX_SUBSCRIPTIONS_PER_CONNECTION
    {
        return bad(&id, -1100, "Too many subscriptions on this connection.");
    }
    let transport = Transport::Ws {
        session: session.account.map(|(a, _)| a),
    };
    let reply = api::handle(shared, method, &params, &transport);
    if let Some(s) = reply.sink {
        sinks.push(s);
    }
    if let (Some(a), Ok(_)) = (reply.logon, &reply.result) {
        session.account = Some((a, api::server_ms(shared)));
    }
    if reply.logout {
        session.account = None;
    }
    let mut out = match reply.result {
        Ok(_) if method.starts_with("session.") => {
            json!({"id": id, "status": 200, "result": session.json(shared, !sinks.is_empty())})
        }
        Ok(r) => json!({"id": id, "status": 200, "result": r}),
        Err(e) => {
            bump(&shared.stats.ws_request_errors);
            json!({"id": id, "status": e.status, "error": e.body()})
        }
    };
    if !reply.rate_limits.is_empty() {
        out["rateLimits"] = Value::Array(reply.rate_limits);
    }
    out.to_string()
}

/// Serves one `/ws-api/v3` connection until it ends; returns why.
pub(crate) fn run(shared: &Shared, mut ws: WebSocket<Io>) -> String {
    let mut sinks: Vec<Arc<UserSink>> = Vec::new();
    let mut session = Session {
        account: None,
        connected_since: api::server_ms(shared),
    };
    let why = serve(shared, &mut ws, &mut sinks, &mut session);
    api::drop_sinks(shared, &sinks);
    why
}

fn serve(
    shared: &Shared,
    ws: &mut WebSocket<Io>,
    sinks: &mut Vec<Arc<UserSink>>,
    session: &mut Session,
) -> String {
    let stats = &shared.stats;
    let service = Service {
        down: &shared.ws_api_down,
        refused: &stats.ws_api_refused,
        close_reason: "the WS-API is down (sim)",
        why: "the WS-API is set down",
    };
    let mut upkeep = Upkeep::new(shared);
    loop {
        if let Some(why) = upkeep.tick(shared, ws, &service) {
            return why;
        }
        for s in sinks.iter() {
            let items: Vec<String> = lock(&s.queue).drain(..).collect();
            for t in items {
                if ws.write(Message::text(t)).is_err() {
                    return "write failed (event)".into();
                }
            }
        }
        if let Err(e) = ws.flush() {
            if !would_block(&e) {
                return format!("write failed: {e}");
            }
        }
        match ws.read() {
            Ok(Message::Text(t)) => {
                let reply = match answer_with_faults(shared, t.as_str(), sinks, session) {
                    Answer::Reply(r) => r,
                    // Dropping the socket closes the TCP connection.
                    Answer::Cut => return "fault: cut after an order request".into(),
                };
                // Events the request caused go out after its answer.
                if ws.send(Message::text(reply)).is_err() {
                    return "write failed (reply)".into();
                }
            }
            Ok(Message::Pong(_)) => upkeep.pong(shared),
            Ok(Message::Close(_)) => {
                let _ = ws.flush();
                return "client closed".into();
            }
            Ok(_) => {}
            Err(e) if would_block(&e) => {}
            Err(tungstenite::Error::ConnectionClosed) | Err(tungstenite::Error::AlreadyClosed) => {
                return "connection closed".into()
            }
            Err(e) => return format!("read failed: {e}"),
        }
    }
}
