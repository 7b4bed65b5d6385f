//! The WebSocket API (`/ws-api/v3`) on the sim's WebSocket port: one request
//! per text frame, `{"id","method","params"}`, answered with
//! `{"id","status","result"|"error","rateLimits"}`; user-data events of the
//! connection's subscriptions pushed as `{"subscriptionId","event"}`.
//! No per-second message limit applies here (Binance counts request weight).

use super::api::{self, Transport, UserSink};
use super::ws::{would_block, Io};
use super::{bump, lock, Shared};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::{Message, WebSocket};

/// Answers one request frame; a subscription it opens is added to `sinks`.
pub(crate) fn answer(shared: &Shared, text: &str, sinks: &mut Vec<Arc<UserSink>>) -> String {
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
    let reply = api::handle(shared, method, &params, &Transport::Ws);
    if let Some(s) = reply.sink {
        sinks.push(s);
    }
    let mut out = match reply.result {
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
    let why = serve(shared, &mut ws, &mut sinks);
    api::drop_sinks(shared, &sinks);
    why
}

fn serve(shared: &Shared, ws: &mut WebSocket<Io>, sinks: &mut Vec<Arc<UserSink>>) -> String {
    let cfg = &shared.cfg;
    let stats = &shared.stats;
    let opened = Instant::now();
    let mut next_ping = opened + cfg.ping_interval;
    let mut last_pong = opened;
    loop {
        if shared.stopping() {
            let _ = ws.close(Some(CloseFrame {
                code: CloseCode::Away,
                reason: "server shutting down".into(),
            }));
            let _ = ws.flush();
            return "sim stopping".into();
        }
        let now = Instant::now();
        if now.duration_since(opened) >= cfg.max_lifetime {
            bump(&stats.lifetime_disconnects);
            let _ = ws.close(None);
            let _ = ws.flush();
            return "maximum lifetime".into();
        }
        if now.duration_since(last_pong) >= cfg.pong_timeout {
            bump(&stats.pong_timeouts);
            let _ = ws.close(None);
            let _ = ws.flush();
            return "no pong within the timeout".into();
        }
        if now >= next_ping {
            next_ping = now + cfg.ping_interval;
            if ws.write(Message::Ping(Vec::new().into())).is_err() {
                return "write failed (ping)".into();
            }
            bump(&stats.pings_sent);
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
                let reply = answer(shared, t.as_str(), sinks);
                // Events the request caused go out after its answer.
                if ws.send(Message::text(reply)).is_err() {
                    return "write failed (reply)".into();
                }
            }
            Ok(Message::Pong(_)) => {
                last_pong = Instant::now();
                bump(&stats.pongs_received);
            }
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
