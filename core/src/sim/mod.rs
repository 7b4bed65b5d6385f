//! `kairos sim`: a local Binance-spot-compatible exchange on 127.0.0.1 that
//! replays a capture (or klines) over WebSocket market streams and serves
//! REST depth snapshots consistent with them, with fault injection.
//!
//! Everything in kairos that talks to an exchange is tested against it on
//! loopback. It is not the hot path: plain threads, blocking sockets, locks.
//!
//! - [`stream`]: stream names, frame classification, the update-id offset.
//! - [`book`]: the sim's own `BTreeMap` L2 book.
//! - [`source`]: reading captures and klines; the pre-scan.
//! - [`faults`]: the fault configuration and per-connection schedule.
//! - `market`: the market thread (timeline, books, broadcast).
//! - `ws`: the WebSocket server (ws or wss); `ws_api`: its `/ws-api/v3` path;
//!   `user_stream`: its `/ws/<listenKey>` user-data streams.
//! - [`api`]: orders, accounts, signatures and order limits (WS-API and REST).
//! - [`rest`]: the REST server (HTTP/1.1).
//! - [`matching`]: the paper matching engine behind the order endpoints.
//! - `tls`: the self-signed certificate and rustls server config.
//!
//! **The clock starts at the first subscription** (a stream in a connection
//! URL or a `SUBSCRIBE`) or the first depth request, so that a client always
//! sees the source from its beginning, whatever `speed` is.

pub mod api;
pub mod book;
pub mod faults;
mod market;
pub mod matching;
pub mod rest;
pub mod source;
pub mod stream;
mod tls;
mod upkeep;
mod user_stream;
mod ws;
mod ws_api;

pub use api::SimAccount;
pub use faults::{Faults, OrderFault, WsApiFaults};
pub use matching::EngineConfig;
pub use source::{CaptureFormat, SimSource};

use book::SimBook;
use source::SourceInfo;
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// Default interval between server pings (Binance spot: 20 s).
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(20);
/// Default time without a pong after which a connection is closed (Binance: 1 min).
pub const DEFAULT_PONG_TIMEOUT: Duration = Duration::from_secs(60);
/// Default longest life of a connection (Binance: 24 h).
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Default validity of a listen key without a keepalive (Binance: 60 min).
pub const DEFAULT_LISTEN_KEY_VALIDITY: Duration = Duration::from_secs(3600);

/// How long [`Sim::shutdown`] lets connections close by themselves before
/// closing their sockets under them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// How the sim is set up.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// What it replays.
    pub source: SimSource,
    /// WebSocket listen address (must be loopback; port 0 = ephemeral). The
    /// REST listener takes another ephemeral port on the same IP when the
    /// port is 0, else the next port up.
    pub listen: SocketAddr,
    /// Replay speed: 1.0 = recorded speed, 10.0 = ten times faster, 0.0 = as
    /// fast as the slowest subscriber reads.
    pub speed: f64,
    /// Serve `wss://` with a self-signed certificate for 127.0.0.1/localhost.
    pub tls: bool,
    /// Where to write the certificate (PEM); a temporary file when `None`.
    pub cert_out: Option<PathBuf>,
    /// Restart the source when it ends (update ids keep increasing, with a gap).
    pub looped: bool,
    /// Faults to inject.
    pub faults: Faults,
    /// Interval between server pings.
    pub ping_interval: Duration,
    /// Time without a pong after which a connection is closed.
    pub pong_timeout: Duration,
    /// Longest life of a connection.
    pub max_lifetime: Duration,
    /// API key pairs accepted by the order endpoints (account 0 first).
    pub accounts: Vec<SimAccount>,
    /// Start balances and commission of every account.
    pub engine: EngineConfig,
    /// Offset of the sim's clock from the machine's, ms (provokes -1021).
    pub clock_skew_ms: i64,
    /// Faults of the WS-API's order requests.
    pub ws_api_faults: WsApiFaults,
    /// The latency model of order entry: the time between an order request's
    /// arrival (place, cancel, cancelReplace; WS-API or REST) and its reaching
    /// the matching engine. The replayed market moves on meanwhile, so the
    /// order meets the book as it is then; the answer follows at once.
    pub order_latency: Duration,
    /// How long a listen key lives after its creation or last keepalive
    /// (`POST`/`PUT /api/v3/userDataStream`); then its streams get
    /// `listenKeyExpired`. Binance: 60 min; a test shortens it.
    pub listen_key_validity: Duration,
    /// Answer every `/api/v3/userDataStream` request HTTP 410 Gone, as
    /// Binance spot does since it retired listen keys (2026).
    pub listen_keys_gone: bool,
}

impl SimConfig {
    /// A plain-ws sim of `source` on an ephemeral loopback port, recorded
    /// speed, no loop, no faults, Binance's ping/pong/lifetime defaults.
    pub fn new(source: SimSource) -> SimConfig {
        SimConfig {
            source,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            speed: 1.0,
            tls: false,
            cert_out: None,
            looped: false,
            faults: Faults::default(),
            ping_interval: DEFAULT_PING_INTERVAL,
            pong_timeout: DEFAULT_PONG_TIMEOUT,
            max_lifetime: DEFAULT_MAX_LIFETIME,
            accounts: vec![SimAccount::default()],
            engine: EngineConfig::default(),
            clock_skew_ms: 0,
            ws_api_faults: WsApiFaults::default(),
            order_latency: Duration::ZERO,
            listen_key_validity: DEFAULT_LISTEN_KEY_VALIDITY,
            listen_keys_gone: false,
        }
    }
}

/// Why the sim could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listen address is not a loopback address.
    #[error("refusing to listen on {0}: the sim serves 127.0.0.1/::1 only (use --listen 127.0.0.1:PORT)")]
    NotLoopback(SocketAddr),
    /// The speed is negative or not a number.
    #[error("speed must be a finite number >= 0, not {0}")]
    BadSpeed(f64),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// The source cannot be read or holds nothing to serve.
    #[error(transparent)]
    Source(#[from] source::SourceError),
    /// The certificate or TLS configuration could not be made or written.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// A thread could not be started.
    #[error("cannot start a thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// A snapshot of the sim's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SimStats {
    /// WebSocket connections accepted (handshake done).
    pub connections: u64,
    /// Market frames written to connections.
    pub frames_sent: u64,
    /// Connections closed by `disconnect_every` / `disconnect_after`.
    pub forced_disconnects: u64,
    /// Diffs left out by `drop_diff_every`.
    pub diffs_dropped: u64,
    /// Diffs sent twice by `dup_diff_every`.
    pub diffs_duplicated: u64,
    /// Diffs swapped by `reorder_diff_every`.
    pub diffs_reordered: u64,
    /// Stalls started.
    pub stalls: u64,
    /// Frames cut short before a TCP close.
    pub truncated: u64,
    /// Broken-JSON frames sent.
    pub malformed: u64,
    /// Oversized frames sent.
    pub oversized: u64,
    /// REST requests read (any path).
    pub rest_requests: u64,
    /// Depth snapshots served (HTTP 200).
    pub snapshots_served: u64,
    /// HTTP 429 answers (fault or weight limit).
    pub http_429: u64,
    /// HTTP 418 answers.
    pub http_418: u64,
    /// SUBSCRIBE messages accepted.
    pub subscribe_requests: u64,
    /// Times the source was restarted.
    pub loops: u64,
    /// Connections closed because their queue overflowed.
    pub slow_consumer_disconnects: u64,
    /// Pong frames received.
    pub pongs_received: u64,
    /// Ping frames sent by the server.
    pub pings_sent: u64,
    /// Connections closed for going over the incoming message rate.
    pub rate_limit_disconnects: u64,
    /// Connections closed for not answering pings.
    pub pong_timeouts: u64,
    /// Connections closed at their maximum lifetime.
    pub lifetime_disconnects: u64,
    /// Method messages answered with an error (bad JSON, unknown method, …).
    pub ws_request_errors: u64,
    /// WebSocket handshakes refused or failed (bad path, TLS, HTTP).
    pub handshake_failures: u64,
    /// REST answers with a 4xx/5xx status other than 429/418.
    pub rest_errors: u64,
    /// Source records that could not be read or classified (skipped).
    pub source_skipped: u64,
    /// Diffs applied to the sim's books.
    pub diffs_applied: u64,
    /// WS-API and REST order-side requests (any method).
    pub api_requests: u64,
    /// Order-side requests answered with an error.
    pub api_errors: u64,
    /// Orders accepted.
    pub orders_placed: u64,
    /// Orders completely filled.
    pub orders_filled: u64,
    /// Orders canceled by a client.
    pub orders_canceled: u64,
    /// Orders refused (filters, balance, parameters, duplicates).
    pub orders_rejected: u64,
    /// Orders expired (IOC/FOK/market remainders).
    pub orders_expired: u64,
    /// Fills (executionReport TRADE).
    pub fills: u64,
    /// Requests with a bad signature (-1022).
    pub bad_signatures: u64,
    /// Requests with a missing or unknown API key (-2014/-2015).
    pub bad_api_keys: u64,
    /// Requests outside their recvWindow (-1021).
    pub bad_timestamps: u64,
    /// Order requests refused by the ORDERS limit (-1015; also in `http_429`).
    pub orders_rate_limited: u64,
    /// User-data events queued for subscribers.
    pub user_events: u64,
    /// Order requests read on the WS-API (before any fault).
    pub ws_api_order_requests: u64,
    /// Order requests answered 429 by `WsApiFaults::order_429_first`.
    pub ws_api_429_injected: u64,
    /// Order requests answered 418 by `WsApiFaults::order_418_first`.
    pub ws_api_418_injected: u64,
    /// WS-API connections closed unanswered by `WsApiFaults::cut_after_order`.
    pub ws_api_cuts: u64,
    /// Listen keys made (`POST /api/v3/userDataStream` without a live one).
    pub listen_keys_made: u64,
    /// Listen-key keepalives accepted (`PUT`).
    pub listen_key_keepalives: u64,
    /// Listen keys closed (`DELETE`).
    pub listen_keys_closed: u64,
    /// Listen keys that expired (`listenKeyExpired` sent).
    pub listen_keys_expired: u64,
    /// `/ws/<listenKey>` connections opened.
    pub user_stream_connections: u64,
    /// Listen-key requests answered 410 Gone (`SimConfig::listen_keys_gone`).
    pub listen_key_gone_answers: u64,
    /// WS-API handshakes refused and connections closed while the WS-API
    /// is set down ([`Sim::set_ws_api_down`]).
    pub ws_api_refused: u64,
    /// Listen-key handshakes refused and connections closed while the
    /// listen-key streams are set down ([`Sim::set_user_streams_down`]).
    pub user_streams_refused: u64,
}

macro_rules! counters {
    ($($f:ident),* $(,)?) => {
        /// The live counters behind [`SimStats`].
        #[derive(Debug, Default)]
        pub(crate) struct Counters { $(pub(crate) $f: AtomicU64,)* }
        impl Counters {
            fn snapshot(&self) -> SimStats {
                SimStats { $($f: self.$f.load(Ordering::Relaxed),)* }
            }
        }
    };
}
counters!(
    connections,
    frames_sent,
    forced_disconnects,
    diffs_dropped,
    diffs_duplicated,
    diffs_reordered,
    stalls,
    truncated,
    malformed,
    oversized,
    rest_requests,
    snapshots_served,
    http_429,
    http_418,
    subscribe_requests,
    loops,
    slow_consumer_disconnects,
    pongs_received,
    pings_sent,
    rate_limit_disconnects,
    pong_timeouts,
    lifetime_disconnects,
    ws_request_errors,
    handshake_failures,
    rest_errors,
    source_skipped,
    diffs_applied,
    api_requests,
    api_errors,
    orders_placed,
    orders_filled,
    orders_canceled,
    orders_rejected,
    orders_expired,
    fills,
    bad_signatures,
    bad_api_keys,
    bad_timestamps,
    orders_rate_limited,
    user_events,
    ws_api_order_requests,
    ws_api_429_injected,
    ws_api_418_injected,
    ws_api_cuts,
    listen_keys_made,
    listen_key_keepalives,
    listen_keys_closed,
    listen_keys_expired,
    user_stream_connections,
    listen_key_gone_answers,
    ws_api_refused,
    user_streams_refused,
);

/// WS-API requests the sim remembers at most ([`Sim::ws_api_log`]).
pub const MAX_WS_API_LOG: usize = 100_000;

/// One WS-API request as the sim read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsApiRequest {
    /// When it was read, the sim's clock, ms since the epoch.
    pub at_ms: u64,
    /// Its method (empty when the frame did not name one).
    pub method: String,
    /// An order request (`order.place`, `order.cancelReplace`).
    pub order: bool,
    /// The injected answer, if a fault answered it: (status, `retryAfter` ms).
    pub injected: Option<(u16, u64)>,
    /// It came to a REST order endpoint (`method` is then the WS-API
    /// method's name for that endpoint, e.g. `POST /api/v3/order` is
    /// `order.place`).
    pub rest: bool,
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Adds one to a counter.
pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Locks a mutex, recovering the data if a thread panicked while holding it
/// (the sim never panics on input, but a poisoned lock must not take it down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The books and the clock's start flag, under one lock.
#[derive(Debug, Default)]
pub(crate) struct Market {
    /// Books by upper-case symbol.
    pub(crate) books: HashMap<String, SimBook>,
    /// Whether the market clock has started.
    pub(crate) started: bool,
}

/// State shared by every thread of one sim.
pub(crate) struct Shared {
    pub(crate) cfg: SimConfig,
    pub(crate) info: SourceInfo,
    pub(crate) stats: Counters,
    pub(crate) stop: AtomicBool,
    pub(crate) market: Mutex<Market>,
    /// Signalled when a book becomes ready, the clock starts, or the sim stops.
    pub(crate) market_cv: Condvar,
    pub(crate) conns: Mutex<Vec<Arc<ws::ConnHandle>>>,
    pub(crate) next_conn_id: AtomicU64,
    pub(crate) rest: Mutex<rest::RestState>,
    pub(crate) api: Mutex<api::ApiState>,
    /// Every WS-API request read, oldest first (at most [`MAX_WS_API_LOG`]).
    pub(crate) ws_api_log: Mutex<Vec<WsApiRequest>>,
    /// The WS-API is down ([`Sim::set_ws_api_down`]).
    pub(crate) ws_api_down: AtomicBool,
    /// Listen-key streams are down ([`Sim::set_user_streams_down`]).
    pub(crate) user_streams_down: AtomicBool,
}

impl Shared {
    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Starts the market clock (idempotent).
    pub(crate) fn start_clock(&self) {
        let mut m = lock(&self.market);
        if !m.started {
            m.started = true;
            self.market_cv.notify_all();
        }
    }

    /// Sleeps up to `d`, returning early (true) when the sim stops.
    pub(crate) fn sleep(&self, d: Duration) -> bool {
        let deadline = std::time::Instant::now() + d;
        let mut m = lock(&self.market);
        loop {
            if self.stopping() {
                return true;
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return false;
            }
            m = self
                .market_cv
                .wait_timeout(m, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// A running sim. Dropping it without [`Sim::shutdown`] leaves its threads running.
pub struct Sim {
    shared: Arc<Shared>,
    ws_url: String,
    rest_url: String,
    ws_addr: SocketAddr,
    rest_addr: SocketAddr,
    cert_path: Option<PathBuf>,
    /// Whether the certificate is a temp file of ours (removed at shutdown).
    cert_is_temp: bool,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("ws_url", &self.ws_url)
            .field("rest_url", &self.rest_url)
            .finish()
    }
}

impl Sim {
    /// Reads the source (pre-scan), binds both listeners, makes the
    /// certificate when `tls`, and starts the market, WebSocket and REST threads.
    pub fn start(cfg: SimConfig) -> Result<Sim, SimError> {
        if !cfg.listen.ip().is_loopback() {
            return Err(SimError::NotLoopback(cfg.listen));
        }
        if !cfg.speed.is_finite() || cfg.speed < 0.0 {
            return Err(SimError::BadSpeed(cfg.speed));
        }
        let info = source::prescan(&cfg.source)?;
        let ws_listener = TcpListener::bind(cfg.listen).map_err(|source| SimError::Bind {
            addr: cfg.listen,
            source,
        })?;
        let ws_addr = ws_listener.local_addr().map_err(|source| SimError::Bind {
            addr: cfg.listen,
            source,
        })?;
        let rest_want = if cfg.listen.port() == 0 {
            cfg.listen
        } else {
            SocketAddr::new(cfg.listen.ip(), cfg.listen.port().wrapping_add(1))
        };
        let rest_listener = TcpListener::bind(rest_want).map_err(|source| SimError::Bind {
            addr: rest_want,
            source,
        })?;
        let rest_addr = rest_listener
            .local_addr()
            .map_err(|source| SimError::Bind {
                addr: rest_want,
                source,
            })?;

        let (tls_config, cert_path) = if cfg.tls {
            let (c, p) = tls::make(cfg.cert_out.as_deref(), ws_addr.port())?;
            (Some(c), Some(p))
        } else {
            (None, None)
        };
        let cert_is_temp = cfg.tls && cfg.cert_out.is_none();
        let scheme = if cfg.tls { "wss" } else { "ws" };
        let ws_url = format!("{scheme}://{ws_addr}");
        let rest_url = format!("http://{rest_addr}");

        let mut books = HashMap::new();
        for (name, s) in &info.symbols {
            books.insert(name.clone(), market::start_book(s, 0));
        }
        let rules = info.symbols.values().map(api::rules_of).collect();
        let n_accounts = cfg.accounts.len();
        let engine = matching::Engine::new(cfg.engine.clone(), rules, n_accounts);
        let api_state = api::ApiState::new(engine, n_accounts);
        let shared = Arc::new(Shared {
            cfg,
            info,
            stats: Counters::default(),
            stop: AtomicBool::new(false),
            market: Mutex::new(Market {
                books,
                started: false,
            }),
            market_cv: Condvar::new(),
            conns: Mutex::new(Vec::new()),
            next_conn_id: AtomicU64::new(1),
            rest: Mutex::new(rest::RestState::default()),
            api: Mutex::new(api_state),
            ws_api_log: Mutex::new(Vec::new()),
            ws_api_down: AtomicBool::new(false),
            user_streams_down: AtomicBool::new(false),
        });
        shared
            .stats
            .source_skipped
            .store(shared.info.bad, Ordering::Relaxed);

        let mut threads = Vec::new();
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.to_string())
                .spawn(f)
                .map_err(SimError::Thread)
        };
        let s = Arc::clone(&shared);
        threads.push(spawn("sim-market", Box::new(move || market::run(&s)))?);
        let s = Arc::clone(&shared);
        threads.push(spawn(
            "sim-ws",
            Box::new(move || ws::accept_loop(&s, ws_listener, tls_config)),
        )?);
        let s = Arc::clone(&shared);
        threads.push(spawn(
            "sim-rest",
            Box::new(move || rest::accept_loop(&s, rest_listener)),
        )?);
        Ok(Sim {
            shared,
            ws_url,
            rest_url,
            ws_addr,
            rest_addr,
            cert_path,
            cert_is_temp,
            threads,
        })
    }

    /// The WebSocket base URL (`ws://127.0.0.1:PORT` or `wss://…`), without a path.
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// The REST base URL (`http://127.0.0.1:PORT`).
    pub fn rest_url(&self) -> &str {
        &self.rest_url
    }

    /// The certificate (PEM) clients must trust, when serving TLS.
    pub fn cert_pem_path(&self) -> Option<&Path> {
        self.cert_path.as_deref()
    }

    /// The symbols served (upper case).
    pub fn symbols(&self) -> Vec<String> {
        self.shared.info.symbols.keys().cloned().collect()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> SimStats {
        self.shared.stats.snapshot()
    }

    /// The WS-API requests read so far, and the requests to REST order
    /// endpoints (marked `rest`), oldest first (the first [`MAX_WS_API_LOG`]).
    pub fn ws_api_log(&self) -> Vec<WsApiRequest> {
        lock(&self.shared.ws_api_log).clone()
    }

    /// Takes the WS-API down (`true`: its open connections are closed and
    /// new `/ws-api/v3` handshakes are refused with HTTP 503) or brings it
    /// back (`false`). Market streams, REST and listen-key streams go on.
    pub fn set_ws_api_down(&self, down: bool) {
        self.shared.ws_api_down.store(down, Ordering::Release);
    }

    /// Takes the listen-key streams down (`true`: their connections are
    /// closed and new `/ws/<listenKey>` handshakes are refused with HTTP
    /// 503; the keys stay valid, the events meanwhile reach no one) or
    /// brings them back (`false`).
    pub fn set_user_streams_down(&self, down: bool) {
        self.shared.user_streams_down.store(down, Ordering::Release);
    }

    /// The balances of `account` (0: the first of [`SimConfig::accounts`])
    /// as the matching engine holds them: (asset, free, locked).
    pub fn balances(
        &self,
        account: usize,
    ) -> Vec<(String, crate::num::Amount, crate::num::Amount)> {
        lock(&self.shared.api)
            .engine
            .balances(account)
            .into_iter()
            .map(|(a, b)| (a, b.free, b.locked))
            .collect()
    }

    /// Stops every thread and closes every socket (and removes a temporary
    /// certificate file); returns when all have ended.
    pub fn shutdown(self) {
        self.shared.stop.store(true, Ordering::Release);
        {
            let _m = lock(&self.shared.market);
            self.shared.market_cv.notify_all();
        }
        for c in lock(&self.shared.conns).iter() {
            c.close_queue();
        }
        // Connections close themselves within a poll interval; one stuck
        // writing to a client that stopped reading has its socket closed.
        let deadline = std::time::Instant::now() + SHUTDOWN_GRACE;
        while !lock(&self.shared.conns).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        for c in lock(&self.shared.conns).iter() {
            c.kill_socket();
        }
        // Wake the blocking accept() calls.
        let _ = TcpStream::connect_timeout(&self.ws_addr, Duration::from_secs(1));
        let _ = TcpStream::connect_timeout(&self.rest_addr, Duration::from_secs(1));
        for t in self.threads {
            let _ = t.join();
        }
        if let (true, Some(p)) = (self.cert_is_temp, &self.cert_path) {
            let _ = std::fs::remove_file(p);
        }
    }
}
