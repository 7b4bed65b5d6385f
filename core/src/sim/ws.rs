//! The WebSocket server: one thread per connection (blocking socket with a
//! short read timeout, so one loop both reads requests and drains the
//! connection's outgoing queue), Binance's paths, method messages and limits,
//! and the fault actions.

use super::faults::{oversized_frame, Action, ConnFaults, Fired, MALFORMED_FRAME};
use super::stream::{parse_stream_name, valid_stream_name, Frame, StreamKey};
use super::{bump, lock, Shared};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::http::StatusCode;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tungstenite::{Message, WebSocket};

/// Incoming messages (text, ping, pong, …) a connection may send per second
/// before it is disconnected (Binance spot: 5).
pub const MAX_INCOMING_MESSAGES_PER_SECOND: usize = 5;
/// Streams one connection may listen to (Binance spot: 1024).
pub const MAX_STREAMS_PER_CONNECTION: usize = 1024;
/// Frames queued for one connection before it is closed as a slow consumer.
pub const OUTBOX_CAPACITY_FRAMES: usize = 16_384;
/// Frames a connection takes from its queue per loop turn.
pub const OUTBOX_BATCH_FRAMES: usize = 256;
/// Read timeout of a connection's socket, i.e. the longest a queued frame
/// waits while the connection waits for requests.
pub const CONN_POLL_INTERVAL: Duration = Duration::from_millis(1);
/// Longest a TLS + WebSocket handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a socket write may make no progress before the client is
/// treated as a slow consumer.
pub const WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(5);
/// At speed 0, longest the market thread waits for room in a full queue.
pub const BACKPRESSURE_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest incoming message, in bytes.
pub const MAX_INCOMING_MESSAGE_BYTES: usize = 64 << 10;

/// The WebSocket API's path.
pub const WS_API_PATH: &str = "/ws-api/v3";

/// One subscription: the name as the client wrote it, and its key.
#[derive(Debug, Clone)]
struct Sub {
    name: Arc<str>,
    key: Option<StreamKey>,
}

/// A frame queued for a connection, with the stream name it is delivered under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutItem {
    frame: Arc<Frame>,
    stream: Arc<str>,
}

#[derive(Debug, Default)]
struct OutQueue {
    items: VecDeque<OutItem>,
    overflow: bool,
    closed: bool,
}

/// What the market thread sees of a connection.
#[derive(Debug)]
pub(crate) struct ConnHandle {
    id: u64,
    subs: Mutex<Vec<Sub>>,
    out: Mutex<OutQueue>,
    out_cv: Condvar,
    /// A handle on the socket, to unblock a write stuck on a client that
    /// stopped reading when the sim shuts down.
    sock: Mutex<Option<TcpStream>>,
}

impl ConnHandle {
    fn new(id: u64) -> ConnHandle {
        ConnHandle {
            id,
            subs: Mutex::new(Vec::new()),
            out: Mutex::new(OutQueue::default()),
            out_cv: Condvar::new(),
            sock: Mutex::new(None),
        }
    }

    /// Closes the socket under the connection's thread (shutdown only).
    pub(crate) fn kill_socket(&self) {
        if let Some(s) = lock(&self.sock).as_ref() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn matching(&self, key: &StreamKey) -> Vec<Arc<str>> {
        lock(&self.subs)
            .iter()
            .filter(|s| s.key.as_ref() == Some(key))
            .map(|s| Arc::clone(&s.name))
            .collect()
    }

    fn push(&self, item: OutItem, backpressure: bool) {
        let mut q = lock(&self.out);
        if backpressure {
            let deadline = Instant::now() + BACKPRESSURE_TIMEOUT;
            while q.items.len() >= OUTBOX_CAPACITY_FRAMES && !q.closed {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                q = self
                    .out_cv
                    .wait_timeout(q, deadline - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }
        if q.closed || q.overflow {
            return;
        }
        if q.items.len() >= OUTBOX_CAPACITY_FRAMES {
            q.overflow = true;
            q.items.clear();
            return;
        }
        q.items.push_back(item);
    }

    /// Marks the queue closed (the connection is going away, or the sim stops).
    pub(crate) fn close_queue(&self) {
        let mut q = lock(&self.out);
        q.closed = true;
        q.items.clear();
        self.out_cv.notify_all();
    }

    fn take(&self, max: usize) -> (Vec<OutItem>, bool) {
        let mut q = lock(&self.out);
        let n = q.items.len().min(max);
        let items: Vec<OutItem> = q.items.drain(..n).collect();
        if n > 0 {
            self.out_cv.notify_all();
        }
        (items, q.overflow)
    }

    fn subscribe(&self, names: &[String]) -> Result<(), String> {
        let mut subs = lock(&self.subs);
        let new: Vec<&String> = names
            .iter()
            .filter(|n| !subs.iter().any(|s| &*s.name == n.as_str()))
            .collect();
        if subs.len() + new.len() > MAX_STREAMS_PER_CONNECTION {
            return Err(format!(
                "too many streams: a connection may listen to at most {MAX_STREAMS_PER_CONNECTION}"
            ));
        }
        for n in new {
            if subs.iter().any(|s| &*s.name == n.as_str()) {
                continue; // listed twice in one request
            }
            subs.push(Sub {
                name: Arc::from(n.as_str()),
                key: parse_stream_name(n),
            });
        }
        Ok(())
    }

    fn unsubscribe(&self, names: &[String]) {
        lock(&self.subs).retain(|s| !names.iter().any(|n| n.as_str() == &*s.name));
    }

    fn list(&self) -> Vec<String> {
        lock(&self.subs)
            .iter()
            .map(|s| s.name.to_string())
            .collect()
    }
}

/// Sends `frame` to every connection subscribed to its stream (once per
/// matching subscription name, as Binance does for distinct streams).
pub(crate) fn broadcast(shared: &Shared, frame: Arc<Frame>) {
    let conns: Vec<Arc<ConnHandle>> = lock(&shared.conns).clone();
    let backpressure = shared.cfg.speed == 0.0;
    for c in conns {
        for stream in c.matching(&frame.key) {
            let item = OutItem {
                frame: Arc::clone(&frame),
                stream,
            };
            c.push(item, backpressure);
        }
    }
}

/// A plain or TLS socket.
pub(crate) enum Io {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Io {
    fn tcp(&self) -> &TcpStream {
        match self {
            Io::Plain(s) => s,
            Io::Tls(s) => &s.sock,
        }
    }
}

impl Read for Io {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Plain(s) => s.read(buf),
            Io::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Io {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Io::Plain(s) => s.write(buf),
            Io::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Io::Plain(s) => s.flush(),
            Io::Tls(s) => s.flush(),
        }
    }
}

/// What a connection URL asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnPath {
    /// `/stream?streams=…`: frames in the combined envelope.
    pub(crate) combined: bool,
    /// Streams subscribed from the URL.
    pub(crate) streams: Vec<String>,
    /// `/ws-api/v3`: the WebSocket API, not market streams.
    pub(crate) api: bool,
    /// `/ws/<listenKey>` or `/stream?streams=<listenKey>`: a user-data
    /// stream (alone on its connection in the sim).
    pub(crate) listen_key: Option<String>,
}

/// Parses a connection URL's path and query: `/ws`, `/ws/<s1>/<s2>`,
/// `/stream`, `/stream?streams=a/b/c`. Errors carry the HTTP status.
pub(crate) fn parse_path(
    path: &str,
    query: Option<&str>,
) -> Result<ConnPath, (StatusCode, String)> {
    if path == WS_API_PATH {
        return Ok(ConnPath {
            combined: false,
            streams: Vec::new(),
            api: true,
            listen_key: None,
        });
    }
    let (combined, list): (bool, Vec<&str>) = if path == "/ws" || path == "/ws/" {
        (false, Vec::new())
    } else if let Some(rest) = path.strip_prefix("/ws/") {
        (false, rest.split('/').filter(|s| !s.is_empty()).collect())
    } else if path == "/stream" || path == "/stream/" {
        let streams = query
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("streams="))
            .unwrap_or("");
        (true, streams.split('/').filter(|s| !s.is_empty()).collect())
    } else {
        return Err((
            StatusCode::NOT_FOUND,
            format!("no such path {path}: use /ws, /ws/<stream>…, /stream?streams=… or /ws-api/v3"),
        ));
    };
    if list.len() > MAX_STREAMS_PER_CONNECTION {
        return Err((
            StatusCode::BAD_REQUEST,
            format!(
                "{} streams; at most {MAX_STREAMS_PER_CONNECTION} per connection",
                list.len()
            ),
        ));
    }
    if let Some(key) = list.iter().find(|s| super::api::is_listen_key_shape(s)) {
        if list.len() > 1 {
            return Err((
                StatusCode::BAD_REQUEST,
                "the sim serves a listenKey stream alone on its connection".to_string(),
            ));
        }
        return Ok(ConnPath {
            combined,
            streams: Vec::new(),
            api: false,
            listen_key: Some(key.to_string()),
        });
    }
    if let Some(bad) = list.iter().find(|s| !valid_stream_name(s)) {
        return Err((
            StatusCode::BAD_REQUEST,
            format!("invalid stream name {bad:?}"),
        ));
    }
    let mut streams: Vec<String> = Vec::new();
    for s in list {
        if !streams.iter().any(|x| x == s) {
            streams.push(s.to_string());
        }
    }
    Ok(ConnPath {
        combined,
        streams,
        api: false,
        listen_key: None,
    })
}

/// What a method message did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) subscribed: bool,
    pub(crate) error: bool,
}

const METHODS: &str =
    "`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`";

fn error_reply(code: i64, msg: &str, id: &Value) -> (String, Outcome) {
    let reply = json!({"error": {"code": code, "msg": msg}, "id": id}).to_string();
    (
        reply,
        Outcome {
            subscribed: false,
            error: true,
        },
    )
}

fn stream_params(v: &Value) -> Result<Vec<String>, String> {
    let arr = v
        .get("params")
        .and_then(Value::as_array)
        .ok_or_else(|| "Invalid request: params must be an array of stream names".to_string())?;
    arr.iter()
        .map(|p| match p.as_str() {
            Some(s) if valid_stream_name(s) => Ok(s.to_string()),
            _ => Err("Invalid request: invalid stream".to_string()),
        })
        .collect()
}

/// Answers one text message from a client (Binance's live subscription
/// methods); changes the connection's subscriptions and `combined` flag.
pub(crate) fn handle_method(
    conn: &ConnHandle,
    combined: &mut bool,
    text: &str,
) -> (String, Outcome) {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return error_reply(3, &format!("Invalid JSON: {e}"), &Value::Null),
    };
    let Some(obj) = v.as_object() else {
        return error_reply(2, "Invalid request: expected a JSON object", &Value::Null);
    };
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = obj.get("method") else {
        return error_reply(2, "Invalid request: missing field `method`", &id);
    };
    if !id.is_u64() {
        return error_reply(
            2,
            "Invalid request: request ID must be an unsigned integer",
            &id,
        );
    }
    let ok = |result: Value, subscribed: bool| {
        let reply = json!({"result": result, "id": id}).to_string();
        (
            reply,
            Outcome {
                subscribed,
                error: false,
            },
        )
    };
    match method.as_str() {
        Some("SUBSCRIBE") => match stream_params(&v) {
            Ok(names) => match conn.subscribe(&names) {
                Ok(()) => ok(Value::Null, !names.is_empty()),
                Err(e) => error_reply(2, &format!("Invalid request: {e}"), &id),
            },
            Err(e) => error_reply(2, &e, &id),
        },
        Some("UNSUBSCRIBE") => match stream_params(&v) {
            Ok(names) => {
                conn.unsubscribe(&names);
                ok(Value::Null, false)
            }
            Err(e) => error_reply(2, &e, &id),
        },
        Some("LIST_SUBSCRIPTIONS") => ok(json!(conn.list()), false),
        Some("SET_PROPERTY") => {
            let p = v.get("params").and_then(Value::as_array);
            match p.map(|p| (p.first().and_then(Value::as_str), p.get(1))) {
                Some((Some("combined"), Some(Value::Bool(b)))) => {
                    *combined = *b;
                    ok(Value::Null, false)
                }
                Some((Some("combined"), _)) => {
                    error_reply(1, "Invalid value type: expected Boolean", &id)
                }
                Some((Some(_), _)) => error_reply(0, "Unknown property", &id),
                _ => error_reply(2, "Invalid request: property name must be a string", &id),
            }
        }
        Some("GET_PROPERTY") => {
            let p = v.get("params").and_then(Value::as_array);
            match p.and_then(|p| p.first()).map(Value::as_str) {
                Some(Some("combined")) => ok(Value::Bool(*combined), false),
                Some(Some(_)) => error_reply(0, "Unknown property", &id),
                _ => error_reply(2, "Invalid request: property name must be a string", &id),
            }
        }
        Some(other) => error_reply(
            2,
            &format!("Invalid request: unknown variant `{other}`, expected one of {METHODS}"),
            &id,
        ),
        None => error_reply(2, "Invalid request: method must be a string", &id),
    }
}

/// The accept loop: a thread per connection; joins them all when the sim stops.
pub(crate) fn accept_loop(
    shared: &Arc<Shared>,
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
) {
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    for stream in listener.incoming() {
        if shared.stopping() {
            break;
        }
        threads.retain(|t| !t.is_finished());
        let Ok(stream) = stream else { continue };
        let s = Arc::clone(shared);
        let tls = tls.clone();
        let spawned = std::thread::Builder::new()
            .name("sim-ws-conn".into())
            .spawn(move || serve(&s, stream, tls));
        match spawned {
            Ok(t) => threads.push(t),
            Err(e) => eprintln!("sim: cannot start a connection thread: {e}"),
        }
    }
    for t in threads {
        let _ = t.join();
    }
}

fn fault_log(name: &str, conn: u64, extra: &str) {
    eprintln!("sim: fault={name} conn={conn} {extra}");
}

fn handshake(
    shared: &Shared,
    tcp: TcpStream,
    tls: Option<Arc<ServerConfig>>,
) -> Result<(WebSocket<Io>, ConnPath), String> {
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(HANDSHAKE_TIMEOUT))
        .map_err(|e| e.to_string())?;
    tcp.set_write_timeout(Some(WRITE_STALL_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let io = match tls {
        Some(cfg) => {
            let conn = ServerConnection::new(cfg).map_err(|e| format!("TLS: {e}"))?;
            let mut s = StreamOwned::new(conn, tcp);
            while s.conn.is_handshaking() {
                s.conn
                    .complete_io(&mut s.sock)
                    .map_err(|e| format!("TLS handshake: {e}"))?;
            }
            Io::Tls(Box::new(s))
        }
        None => Io::Plain(tcp),
    };
    if shared.stopping() {
        return Err("stopping".into());
    }
    let mut target = None;
    // The signature is tungstenite's `Callback`; its error type is not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let refuse = |status: StatusCode, msg: String| {
            let mut r = ErrorResponse::new(Some(msg));
            *r.status_mut() = status;
            Err(r)
        };
        match parse_path(req.uri().path(), req.uri().query()) {
            Ok(p) if p.api && shared.ws_api_down.load(Ordering::Acquire) => {
                bump(&shared.stats.ws_api_refused);
                refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the WS-API is down (sim)".to_string(),
                )
            }
            Ok(p) if p.listen_key.is_some() && shared.user_streams_down.load(Ordering::Acquire) => {
                bump(&shared.stats.user_streams_refused);
                refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "listen-key streams are down (sim)".to_string(),
                )
            }
            Ok(p) => match &p.listen_key {
                Some(k) if !super::api::listen_key_exists(shared, k) => refuse(
                    StatusCode::BAD_REQUEST,
                    json!({"code": -1125, "msg": "This listenKey does not exist."}).to_string(),
                ),
                _ => {
                    target = Some(p);
                    Ok(resp)
                }
            },
            Err((status, msg)) => {
                let mut r = ErrorResponse::new(Some(msg));
                *r.status_mut() = status;
                Err(r)
            }
        }
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_INCOMING_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_INCOMING_MESSAGE_BYTES));
    let ws = tungstenite::accept_hdr_with_config(io, callback, Some(config))
        .map_err(|e| format!("WebSocket handshake: {e}"))?;
    let path = target.ok_or("no path")?;
    ws.get_ref()
        .tcp()
        .set_read_timeout(Some(CONN_POLL_INTERVAL))
        .map_err(|e| e.to_string())?;
    Ok((ws, path))
}

fn serve(shared: &Arc<Shared>, tcp: TcpStream, tls: Option<Arc<ServerConfig>>) {
    let peer = tcp.peer_addr().ok();
    let (ws, path) = match handshake(shared, tcp, tls) {
        Ok(x) => x,
        Err(e) => {
            if !shared.stopping() {
                bump(&shared.stats.handshake_failures);
                eprintln!("sim: ws handshake from {peer:?} failed: {e}");
            }
            return;
        }
    };
    let id = shared.next_conn_id.fetch_add(1, Ordering::Relaxed);
    let handle = Arc::new(ConnHandle::new(id));
    *lock(&handle.sock) = ws.get_ref().tcp().try_clone().ok();
    // Within the limit: parse_path checked the count.
    let _ = handle.subscribe(&path.streams);
    // Registered before the clock starts, so that no frame of the first
    // subscriber's streams goes out before it can receive it.
    lock(&shared.conns).push(Arc::clone(&handle));
    if !path.streams.is_empty() {
        shared.start_clock();
    }
    bump(&shared.stats.connections);
    let why = if path.api {
        super::ws_api::run(shared, ws)
    } else if let Some(key) = &path.listen_key {
        bump(&shared.stats.user_stream_connections);
        super::user_stream::run(shared, ws, key, path.combined)
    } else {
        Conn {
            shared,
            handle: &handle,
            ws,
            combined: path.combined,
            faults: ConnFaults::new(&shared.cfg.faults),
        }
        .run()
    };
    handle.close_queue();
    lock(&shared.conns).retain(|c| c.id != id);
    eprintln!("sim: conn={id} closed: {why}");
}

struct Conn<'a> {
    shared: &'a Shared,
    handle: &'a ConnHandle,
    ws: WebSocket<Io>,
    combined: bool,
    faults: ConnFaults<OutItem>,
}

/// Whether an I/O error only means "nothing yet" (read timeout).
pub(crate) fn would_block(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(io) if matches!(io.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
}

fn text_message(bytes: Vec<u8>) -> Message {
    match String::from_utf8(bytes) {
        Ok(s) => Message::text(s),
        Err(e) => Message::text(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// A WebSocket text frame as a server writes it (unmasked), header and payload.
pub(crate) fn raw_text_frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 10);
    out.push(0x81); // FIN + text
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= usize::from(u16::MAX) => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

impl Conn<'_> {
    fn run(mut self) -> String {
        let cfg = &self.shared.cfg;
        let stats = &self.shared.stats;
        let id = self.handle.id;
        let opened = Instant::now();
        let mut next_ping = opened + cfg.ping_interval;
        let mut last_pong = opened;
        let mut incoming: VecDeque<Instant> = VecDeque::new();
        let mut stall_until: Option<Instant> = None;
        loop {
            if self.shared.stopping() {
                self.close(CloseCode::Away, "server shutting down");
                return "sim stopping".into();
            }
            let now = Instant::now();
            if now.duration_since(opened) >= cfg.max_lifetime {
                bump(&stats.lifetime_disconnects);
                self.close(CloseCode::Normal, "maximum connection lifetime");
                return "maximum lifetime".into();
            }
            if let Some(every) = cfg.faults.disconnect_every {
                if now.duration_since(opened) >= every {
                    bump(&stats.forced_disconnects);
                    fault_log(
                        "disconnect_every",
                        id,
                        &format!("after_s={}", every.as_secs_f64()),
                    );
                    self.abort();
                    return "fault disconnect_every".into();
                }
            }
            if now.duration_since(last_pong) >= cfg.pong_timeout {
                bump(&stats.pong_timeouts);
                self.close(CloseCode::Policy, "pong timeout");
                return "no pong within the timeout".into();
            }
            let stalled = match stall_until {
                Some(t) if now < t => true,
                Some(_) => {
                    stall_until = None;
                    false
                }
                None => false,
            };
            if !stalled {
                if now >= next_ping {
                    next_ping = now + cfg.ping_interval;
                    let payload = unix_ms().to_string().into_bytes();
                    if self.ws.write(Message::Ping(payload.into())).is_err() {
                        return "write failed (ping)".into();
                    }
                    bump(&stats.pings_sent);
                }
                let (items, overflow) = self.handle.take(OUTBOX_BATCH_FRAMES);
                if overflow {
                    bump(&stats.slow_consumer_disconnects);
                    self.close(CloseCode::Policy, "slow consumer");
                    return "slow consumer (queue overflow)".into();
                }
                for item in items {
                    let is_diff = item.frame.is_diff();
                    let actions = self.faults.next(item, is_diff);
                    for fired in self.faults.fired.drain(..) {
                        let (name, c) = match fired {
                            Fired::Dropped => ("drop_diff", &stats.diffs_dropped),
                            Fired::Duplicated => ("dup_diff", &stats.diffs_duplicated),
                            Fired::Reordered => ("reorder_diff", &stats.diffs_reordered),
                        };
                        bump(c);
                        fault_log(name, id, "");
                    }
                    for a in actions {
                        match self.act(a) {
                            Ok(None) => {}
                            Ok(Some(Step::Stall)) => {
                                stall_until = Some(Instant::now() + cfg.faults.stall_for);
                            }
                            Ok(Some(Step::End(why))) => return why,
                            Err(e) => return format!("write failed: {e}"),
                        }
                    }
                    if stall_until.is_some() {
                        break;
                    }
                }
                if let Err(e) = self.ws.flush() {
                    if would_block(&e) {
                        bump(&stats.slow_consumer_disconnects);
                        self.abort();
                        return "slow consumer (write stalled)".into();
                    }
                    return format!("write failed: {e}");
                }
            }
            match self.ws.read() {
                Ok(msg) => {
                    let now = Instant::now();
                    incoming.push_back(now);
                    while incoming
                        .front()
                        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
                    {
                        incoming.pop_front();
                    }
                    if incoming.len() > MAX_INCOMING_MESSAGES_PER_SECOND {
                        bump(&stats.rate_limit_disconnects);
                        self.close(CloseCode::Policy, "too many messages");
                        return format!(
                            "over {MAX_INCOMING_MESSAGES_PER_SECOND} incoming messages per second"
                        );
                    }
                    match msg {
                        Message::Text(t) => {
                            let (reply, outcome) =
                                handle_method(self.handle, &mut self.combined, t.as_str());
                            if outcome.error {
                                bump(&stats.ws_request_errors);
                            }
                            if outcome.subscribed {
                                bump(&stats.subscribe_requests);
                                self.shared.start_clock();
                            }
                            if self.ws.send(Message::text(reply)).is_err() {
                                return "write failed (reply)".into();
                            }
                        }
                        Message::Pong(_) => {
                            last_pong = now;
                            bump(&stats.pongs_received);
                        }
                        Message::Close(_) => {
                            let _ = self.ws.flush();
                            return "client closed".into();
                        }
                        // Pings are answered by tungstenite (queued, flushed next turn).
                        Message::Ping(_) | Message::Binary(_) | Message::Frame(_) => {}
                    }
                }
                Err(e) if would_block(&e) => {}
                Err(tungstenite::Error::ConnectionClosed)
                | Err(tungstenite::Error::AlreadyClosed) => return "connection closed".into(),
                Err(e) => return format!("read failed: {e}"),
            }
        }
    }

    fn act(&mut self, a: Action<OutItem>) -> Result<Option<Step>, tungstenite::Error> {
        let stats = &self.shared.stats;
        let id = self.handle.id;
        match a {
            Action::Send(item) => {
                let bytes = self.render(&item);
                self.ws.write(text_message(bytes))?;
                bump(&stats.frames_sent);
            }
            Action::Malformed => {
                self.ws.write(Message::text(MALFORMED_FRAME))?;
                bump(&stats.malformed);
                fault_log("malformed", id, "");
            }
            Action::Oversized => {
                self.ws.write(Message::text(oversized_frame()))?;
                self.ws.flush()?;
                bump(&stats.oversized);
                fault_log(
                    "oversized",
                    id,
                    &format!("bytes={}", super::faults::OVERSIZED_FRAME_BYTES),
                );
            }
            Action::Truncate(item) => {
                let frame = raw_text_frame(&self.render(&item));
                let cut = frame.len() / 2;
                let _ = self.ws.flush();
                let io = self.ws.get_mut();
                let _ = io.write_all(&frame[..cut]);
                let _ = io.flush();
                let _ = io.tcp().shutdown(Shutdown::Both);
                bump(&stats.truncated);
                fault_log("truncate", id, &format!("wrote={cut} of={}", frame.len()));
                return Ok(Some(Step::End("fault truncate".into())));
            }
            Action::Stall => {
                bump(&stats.stalls);
                fault_log(
                    "stall",
                    id,
                    &format!("for_s={}", self.shared.cfg.faults.stall_for.as_secs_f64()),
                );
                self.ws.flush()?;
                return Ok(Some(Step::Stall));
            }
            Action::Disconnect => {
                bump(&stats.forced_disconnects);
                fault_log(
                    "disconnect_after",
                    id,
                    &format!("messages={}", self.faults.messages()),
                );
                self.abort();
                return Ok(Some(Step::End("fault disconnect_after".into())));
            }
        }
        Ok(None)
    }

    fn render(&self, item: &OutItem) -> Vec<u8> {
        if self.combined {
            item.frame.enveloped(&item.stream)
        } else {
            item.frame.bare.clone()
        }
    }

    /// Flushes what is written, then closes the TCP connection without a close frame.
    fn abort(&mut self) {
        let _ = self.ws.flush();
        let _ = self.ws.get_ref().tcp().shutdown(Shutdown::Both);
    }

    /// Sends a close frame, then closes the TCP connection.
    fn close(&mut self, code: CloseCode, reason: &str) {
        let _ = self.ws.close(Some(CloseFrame {
            code,
            reason: reason.to_string().into(),
        }));
        let _ = self.ws.flush();
        let _ = self.ws.get_ref().tcp().shutdown(Shutdown::Both);
    }
}

enum Step {
    Stall,
    End(String),
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let p = parse_path("/ws/btcusdt@depth/btcusdt@trade", None).unwrap();
        assert_eq!(
            p,
            ConnPath {
                combined: false,
                streams: vec!["btcusdt@depth".into(), "btcusdt@trade".into()],
                api: false,
                listen_key: None,
            }
        );
        assert_eq!(parse_path("/ws", None).unwrap().streams.len(), 0);
        assert!(parse_path(WS_API_PATH, None).unwrap().api);
        let p = parse_path("/stream", Some("streams=a@depth/b@trade")).unwrap();
        assert!(p.combined);
        assert_eq!(p.streams, vec!["a@depth", "b@trade"]);
        assert!(parse_path("/stream", None).unwrap().streams.is_empty());
        assert_eq!(
            parse_path("/api", None).unwrap_err().0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            parse_path("/ws/bad\"name", None).unwrap_err().0,
            StatusCode::BAD_REQUEST
        );
        let many = (0..=MAX_STREAMS_PER_CONNECTION)
            .map(|i| format!("s{i}@trade"))
            .collect::<Vec<_>>()
            .join("/");
        assert_eq!(
            parse_path(&format!("/ws/{many}"), None).unwrap_err().0,
            StatusCode::BAD_REQUEST
        );
        // A listen key (60 letters and digits), bare or combined; alone.
        let key = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a";
        let p = parse_path(&format!("/ws/{key}"), None).unwrap();
        assert_eq!((p.listen_key.as_deref(), p.combined), (Some(key), false));
        assert!(p.streams.is_empty());
        let p = parse_path("/stream", Some(&format!("streams={key}"))).unwrap();
        assert_eq!((p.listen_key.as_deref(), p.combined), (Some(key), true));
        assert_eq!(
            parse_path(&format!("/ws/{key}/btcusdt@trade"), None)
                .unwrap_err()
                .0,
            StatusCode::BAD_REQUEST
        );
        // Duplicates collapse.
        assert_eq!(
            parse_path("/ws/a@trade/a@trade", None)
                .unwrap()
                .streams
                .len(),
            1
        );
    }

    fn reply(conn: &ConnHandle, combined: &mut bool, text: &str) -> (Value, Outcome) {
        let (r, o) = handle_method(conn, combined, text);
        (serde_json::from_str(&r).unwrap(), o)
    }

    #[test]
    fn methods() {
        let c = ConnHandle::new(1);
        let mut comb = false;
        let (r, o) = reply(
            &c,
            &mut comb,
            r#"{"method":"SUBSCRIBE","params":["btcusdt@depth","btcusdt@trade"],"id":7}"#,
        );
        assert_eq!(r, json!({"result": null, "id": 7}));
        assert!(o.subscribed && !o.error);
        let (r, _) = reply(&c, &mut comb, r#"{"method":"LIST_SUBSCRIPTIONS","id":8}"#);
        assert_eq!(
            r,
            json!({"result": ["btcusdt@depth", "btcusdt@trade"], "id": 8})
        );
        let (r, _) = reply(
            &c,
            &mut comb,
            r#"{"method":"UNSUBSCRIBE","params":["btcusdt@depth"],"id":9}"#,
        );
        assert_eq!(r["result"], Value::Null);
        assert_eq!(c.list(), vec!["btcusdt@trade"]);
        let (r, _) = reply(
            &c,
            &mut comb,
            r#"{"method":"SET_PROPERTY","params":["combined",true],"id":10}"#,
        );
        assert_eq!(r["id"], 10);
        assert!(comb);
        let (r, _) = reply(
            &c,
            &mut comb,
            r#"{"method":"GET_PROPERTY","params":["combined"],"id":11}"#,
        );
        assert_eq!(r, json!({"result": true, "id": 11}));
    }

    #[test]
    fn method_errors() {
        let c = ConnHandle::new(1);
        let mut comb = false;
        let cases: [(&str, i64, Value); 8] = [
            ("{not json", 3, Value::Null),
            (r#"{"params":[],"id":1}"#, 2, json!(1)),
            (
                r#"{"method":"SUBSCRIBE","params":["a@trade"],"id":"x"}"#,
                2,
                json!("x"),
            ),
            (
                r#"{"method":"SUBSCRIBE","params":["a@trade"]}"#,
                2,
                Value::Null,
            ),
            (r#"{"method":"FOO","id":2}"#, 2, json!(2)),
            (
                r#"{"method":"SUBSCRIBE","params":"a@trade","id":3}"#,
                2,
                json!(3),
            ),
            (
                r#"{"method":"SUBSCRIBE","params":["bad name"],"id":4}"#,
                2,
                json!(4),
            ),
            (
                r#"{"method":"GET_PROPERTY","params":["nope"],"id":5}"#,
                0,
                json!(5),
            ),
        ];
        for (text, code, id) in cases {
            let (r, o) = reply(&c, &mut comb, text);
            assert!(o.error, "{text}");
            assert_eq!(r["error"]["code"], code, "{text}: {r}");
            assert_eq!(r["id"], id, "{text}");
            assert!(r["error"]["msg"].as_str().unwrap().len() > 5);
        }
        assert!(c.list().is_empty());
        let (r, _) = reply(&c, &mut comb, r#"{"method":"FOO","id":2}"#);
        assert!(r["error"]["msg"]
            .as_str()
            .unwrap()
            .contains("unknown variant `FOO`"));
    }

    #[test]
    fn stream_limit() {
        let c = ConnHandle::new(1);
        let names: Vec<String> = (0..MAX_STREAMS_PER_CONNECTION)
            .map(|i| format!("s{i}@trade"))
            .collect();
        assert!(c.subscribe(&names).is_ok());
        assert!(
            c.subscribe(&names[..3]).is_ok(),
            "already subscribed: no new stream"
        );
        assert!(c.subscribe(&["one@trade".to_string()]).is_err());
        assert_eq!(c.list().len(), MAX_STREAMS_PER_CONNECTION);
    }

    #[test]
    fn queue_overflow_marks_slow_consumer() {
        let c = ConnHandle::new(1);
        let frame = Arc::new(Frame {
            key: parse_stream_name("a@trade").unwrap(),
            bare: b"{}".to_vec(),
        });
        for _ in 0..=OUTBOX_CAPACITY_FRAMES {
            c.push(
                OutItem {
                    frame: Arc::clone(&frame),
                    stream: Arc::from("a@trade"),
                },
                false,
            );
        }
        let (items, overflow) = c.take(10);
        assert!(overflow);
        assert!(items.is_empty());
    }

    #[test]
    fn raw_frame_headers() {
        assert_eq!(raw_text_frame(b"hi"), vec![0x81, 2, b'h', b'i']);
        let mid = raw_text_frame(&[b'x'; 300]);
        assert_eq!(&mid[..4], &[0x81, 126, 1, 44]);
        let big = raw_text_frame(&vec![b'x'; 70_000]);
        assert_eq!(big[1], 127);
        assert_eq!(big.len(), 70_000 + 10);
    }
}
