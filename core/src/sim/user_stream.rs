//! A listen-key user-data stream (`/ws/<listenKey>`, or
//! `/stream?streams=<listenKey>` for the combined envelope) on the sim's
//! WebSocket port: the account's executionReport, outboundAccountPosition
//! and balanceUpdate events as bare event objects (the same events a WS-API
//! `userDataStream.subscribe` subscription gets inside its envelope), then
//! `listenKeyExpired` when the key outlives its validity without a
//! keepalive; after that the connection stays open and carries nothing more,
//! as on Binance. Text the client sends is ignored.

use super::api;
use super::upkeep::{Service, Upkeep};
use super::ws::{would_block, Io};
use super::{bump, lock, Shared};
use serde_json::{json, Value};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::{Message, WebSocket};

/// Serves one listen-key connection until it ends; returns why.
pub(crate) fn run(shared: &Shared, mut ws: WebSocket<Io>, key: &str, combined: bool) -> String {
    // The handshake checked the key; it may have expired since.
    let Some(sink) = api::open_listen_key_sink(shared, key) else {
        let _ = ws.close(Some(CloseFrame {
            code: CloseCode::Policy,
            reason: "This listenKey does not exist.".into(),
        }));
        let _ = ws.flush();
        return "listenKey gone before the stream opened".into();
    };
    let why = serve(shared, &mut ws, &sink, key, combined);
    api::drop_sinks(shared, &[sink]);
    why
}

fn serve(
    shared: &Shared,
    ws: &mut WebSocket<Io>,
    sink: &api::UserSink,
    key: &str,
    combined: bool,
) -> String {
    let stats = &shared.stats;
    let service = Service {
        down: &shared.user_streams_down,
        refused: &stats.user_streams_refused,
        close_reason: "listen-key streams are down (sim)",
        why: "listen-key streams set down",
    };
    let mut upkeep = Upkeep::new(shared);
    loop {
        if let Some(why) = upkeep.tick(shared, ws, &service) {
            return why;
        }
        api::expire_due_listen_keys(shared);
        let items: Vec<String> = lock(&sink.queue).drain(..).collect();
        for t in items {
            let text = if combined {
                let data: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                json!({"stream": key, "data": data}).to_string()
            } else {
                t
            };
            if ws.write(Message::text(text)).is_err() {
                return "write failed (event)".into();
            }
            bump(&stats.frames_sent);
        }
        if let Err(e) = ws.flush() {
            if !would_block(&e) {
                return format!("write failed: {e}");
            }
        }
        match ws.read() {
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
