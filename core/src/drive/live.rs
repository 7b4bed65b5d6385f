//! The live driver: the engine on one thread, pinned to a core, over a mio
//! `Poll` of market-stream connections; REST snapshots on the `rest` side
//! thread; reconnects that never lose the book.
//!
//! Per connection ("link"): connect → TLS → WebSocket handshake → subscribed
//! (through the combined-stream URL, or `SUBSCRIBE` messages whose acks are
//! awaited) → data. On any loss (error, close, silence, handshake timeout,
//! unanswered subscription) the link goes `Reconnecting`: the engine is told
//! (`Event::Connection { Disconnected }`), every book goes stale and asks for a
//! snapshot, and the link retries after a fully jittered exponential delay,
//! forever. Snapshots are fetched only once the link is subscribed again and
//! the symbol's diffs are being buffered, so the sync rule can bridge them. A
//! 429 or 418 on the snapshot holds every REST request until its
//! `Retry-After`. Before Binance's 24-hour limit a replacement connection is
//! opened and takes over once it delivers data, without a disconnect.

use crate::binance::fast::Symbol;
use crate::book::{BookConfig, BookState};
use crate::engine::{
    Action, Actions, ConnState, Decide, Engine, EngineStats, Event, Input, Kind, NoProbe,
    SymbolReport,
};
use crate::feed::backoff::{Backoff, BackoffConfig};
use crate::feed::conn::{ConnError, Progress, Target, WsConn};
use crate::feed::subs::{self, is_reply, parse_reply, Reply, SendBudget};
use crate::feed::url::Endpoint;
use crate::feed::{self, ACK_TIMEOUT};
use crate::limiter::weights::Endpoint as LimitedEndpoint;
use crate::limiter::Limiter;
use crate::report::latency::StageHistogram;
use crate::rest::{RestClient, RestReply, RestRequest};
use mio::{Events, Poll, Token, Waker};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod paper;
pub use paper::{
    OrderCommand, OrderConfig, OrderCounters, OrderSender, BALANCE_UPDATES_REMEMBERED,
    ENGINE_ID_PREFIX, MAX_CANCEL_ALL, ORDER_QUEUE_LEN, WS_API_PATH,
};

/// The waker's token (the `rest` thread's replies).
const WAKER: Token = Token(usize::MAX - 1);
/// The loop wakes at least this often to run its timers.
const MAX_POLL_WAIT: Duration = Duration::from_millis(100);
/// Readiness events taken per poll.
const EVENTS_PER_POLL: usize = 256;
/// A symbol whose stream has not delivered a diff this long after the link
/// subscribed gets its snapshot anyway.
pub const SNAPSHOT_FALLBACK_DELAY: Duration = Duration::from_secs(1);
/// First delay before asking again for a snapshot that failed or was too
/// old; doubled per failure up to [`SNAPSHOT_RETRY_CAP`].
pub const SNAPSHOT_RETRY_BASE: Duration = Duration::from_millis(100);
/// Longest delay between two snapshot attempts for one symbol.
pub const SNAPSHOT_RETRY_CAP: Duration = Duration::from_secs(10);
/// A 429 without `Retry-After` holds REST requests this long.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);
/// Events before allocations start being counted.
pub const ALLOC_WARMUP_EVENTS: u64 = 1000;
/// Data gaps remembered for the report (the histogram keeps them all).
const GAP_HISTOGRAM_MAX_MS: u64 = 3_600_000;

/// Settings of the live driver.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Market streams base address: `wss://stream.binance.com:9443`, or the
    /// simulator's `ws://127.0.0.1:PORT`.
    pub ws: String,
    /// REST base address: `https://api.binance.com`, or the simulator's.
    pub rest: String,
    /// Symbols (any case).
    pub symbols: Vec<String>,
    /// Stream kinds per symbol (`depth@100ms`, `bookTicker`, `trade`, …).
    pub streams: Vec<String>,
    /// An extra root certificate (PEM) to trust, e.g. the simulator's.
    pub root_pem: Option<PathBuf>,
    /// Reconnect delays.
    pub reconnect: BackoffConfig,
    /// No data for this long while subscribed: reconnect.
    pub silence_limit: Duration,
    /// Nothing received for this long: send a ping.
    pub keepalive_idle: Duration,
    /// A connection not open within this time is retried.
    pub handshake_timeout: Duration,
    /// Open a replacement connection this long after a connection opened.
    pub rotate_after: Duration,
    /// Levels per side in a REST depth snapshot.
    pub snapshot_limit: u32,
    /// Subscribe with `SUBSCRIBE` messages (acks awaited) instead of the
    /// combined-stream URL.
    pub subscribe_by_message: bool,
    /// Pin the hot thread to this core.
    pub pin_core: Option<usize>,
    /// Largest accepted message, bytes.
    pub max_message_bytes: usize,
    /// Stop after this long (`None`: until stopped).
    pub duration: Option<Duration>,
    /// Seed of the reconnect jitter.
    pub seed: u64,
    /// Spin on the socket (poll with a zero timeout) instead of sleeping in
    /// the kernel between events: lower latency, one core kept busy.
    pub busy_poll: bool,
    /// The book's settings.
    pub book: BookConfig,
}

impl LiveConfig {
    /// Binance's defaults for the given addresses, symbols and streams.
    pub fn new(ws: &str, rest: &str, symbols: &[&str], streams: &[&str]) -> LiveConfig {
        LiveConfig {
            ws: ws.to_string(),
            rest: rest.to_string(),
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
            streams: streams.iter().map(|s| s.to_string()).collect(),
            root_pem: None,
            reconnect: BackoffConfig::default(),
            silence_limit: feed::DEFAULT_SILENCE_LIMIT,
            keepalive_idle: feed::DEFAULT_KEEPALIVE_IDLE,
            handshake_timeout: feed::DEFAULT_HANDSHAKE_TIMEOUT,
            rotate_after: feed::DEFAULT_ROTATE_AFTER,
            snapshot_limit: 1000,
            subscribe_by_message: false,
            pin_core: None,
            max_message_bytes: feed::DEFAULT_MAX_MESSAGE_BYTES,
            duration: None,
            seed: 0x6b61_6972_6f73,
            busy_poll: false,
            book: BookConfig::default(),
        }
    }
}

/// Why the driver could not start.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// A bad address.
    #[error(transparent)]
    Url(#[from] crate::feed::url::UrlError),
    /// Bad symbols or streams.
    #[error(transparent)]
    Streams(#[from] crate::feed::subs::StreamError),
    /// TLS settings.
    #[error(transparent)]
    Tls(#[from] crate::feed::tls::TlsSetupError),
    /// A symbol name kairos cannot hold.
    #[error("symbol {0:?} is too long")]
    Symbol(String),
    /// Too many symbols for one engine.
    #[error("{0} symbols: one engine tracks at most {max}", max = crate::engine::MAX_SYMBOLS)]
    TooManySymbols(usize),
    /// Poll, waker or thread set-up.
    #[error("i/o set-up: {0}")]
    Io(#[from] std::io::Error),
}

/// Where the recorded bytes go (`kairos record` writes them to a capture
/// file; the default sink drops them). Called on the hot thread: must not
/// block or allocate.
pub trait Sink {
    /// A market frame, exactly as received, before the engine sees it.
    fn frame(&mut self, _recv_ns: u64, _conn: u16, _bytes: &[u8]) {}
    /// A REST depth snapshot body for `symbol`.
    fn snapshot(&mut self, _recv_ns: u64, _conn: u16, _symbol: &Symbol, _bytes: &[u8]) {}
    /// A connection opened (`up`) or was lost.
    fn link(&mut self, _recv_ns: u64, _conn: u16, _up: bool) {}
    /// The engine has processed a frame; `decided` when the decision stage ran.
    fn processed(&mut self, _bytes: &[u8], _decided: bool) {}
}

/// A sink that keeps nothing.
#[derive(Debug, Default)]
pub struct NoSink;
impl Sink for NoSink {}

/// Longest stream name a command carries, bytes (`<symbol>@depth@1000ms`).
pub const MAX_STREAM_NAME: usize = 48;
/// Commands queued for the hot thread at most.
pub const COMMAND_QUEUE_LEN: usize = 256;

/// A change of subscriptions while running, from another thread (the
/// control thread) through [`FeedCommands`]. Fixed-size, so the queue never
/// allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCommand {
    /// `true` to subscribe, `false` to unsubscribe.
    pub subscribe: bool,
    /// The symbol (upper-case).
    pub symbol: Symbol,
    kind: [u8; MAX_STREAM_NAME],
    kind_len: u8,
}

impl FeedCommand {
    /// A command for `<symbol>@<kind>` (`kind` one of
    /// [`crate::feed::subs::STREAM_KINDS`]); `None` when either is invalid.
    pub fn new(subscribe: bool, symbol: &str, kind: &str) -> Option<FeedCommand> {
        if !crate::feed::subs::STREAM_KINDS.contains(&kind) || kind.len() > MAX_STREAM_NAME {
            return None;
        }
        let up = symbol.trim().to_ascii_uppercase();
        if up.is_empty() || !up.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let symbol = Symbol::new(up.as_bytes())?;
        let mut k = [0u8; MAX_STREAM_NAME];
        k[..kind.len()].copy_from_slice(kind.as_bytes());
        Some(FeedCommand {
            subscribe,
            symbol,
            kind: k,
            kind_len: kind.len() as u8,
        })
    }

    /// The stream kind.
    pub fn kind(&self) -> &str {
        std::str::from_utf8(&self.kind[..usize::from(self.kind_len)]).unwrap_or("")
    }

    /// The stream name, `<symbol lower-case>@<kind>`.
    pub fn stream(&self) -> String {
        format!(
            "{}@{}",
            self.symbol.as_str().to_ascii_lowercase(),
            self.kind()
        )
    }
}

/// The sending end of the command queue (a lock-free SPSC ring).
pub struct FeedCommands {
    tx: ringbuf::HeapProd<FeedCommand>,
    waker: Arc<Waker>,
}

impl FeedCommands {
    /// Queues a command and wakes the hot thread; `false` when the queue is
    /// full.
    pub fn send(&mut self, c: FeedCommand) -> bool {
        use ringbuf::traits::Producer;
        let ok = self.tx.try_push(c).is_ok();
        if ok {
            let _ = self.waker.wake();
        }
        ok
    }
}

/// The feed's state as the operator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedState {
    /// Starting: not yet connected.
    Starting,
    /// Every link subscribed and every book live.
    Connected,
    /// Connected, but some book is resyncing or REST is held back.
    Degraded,
    /// Some link is down; `attempt` is its consecutive failed attempts.
    Reconnecting {
        /// Consecutive failures.
        attempt: u32,
    },
}

impl std::fmt::Display for FeedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeedState::Starting => f.write_str("starting"),
            FeedState::Connected => f.write_str("connected"),
            FeedState::Degraded => f.write_str("degraded"),
            FeedState::Reconnecting { attempt } => write!(f, "reconnecting {attempt}"),
        }
    }
}

/// Why a link went down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DownReason {
    /// The TCP connect failed.
    Connect,
    /// TLS or WebSocket handshake failed.
    Handshake,
    /// The handshake took too long.
    HandshakeTimeout,
    /// The server closed the connection.
    Closed,
    /// The connection ended without a closing handshake (reset, or the
    /// stream cut, possibly inside a frame).
    Reset,
    /// A socket error.
    Io,
    /// The server sent something unacceptable (bad frame, oversized).
    Malformed,
    /// No data for the silence limit.
    Silent,
    /// A subscription was refused or not acknowledged.
    Subscription,
}

/// Every [`DownReason`].
pub const DOWN_REASONS: [DownReason; 9] = [
    DownReason::Connect,
    DownReason::Handshake,
    DownReason::HandshakeTimeout,
    DownReason::Closed,
    DownReason::Reset,
    DownReason::Io,
    DownReason::Malformed,
    DownReason::Silent,
    DownReason::Subscription,
];

impl DownReason {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            DownReason::Connect => "connect",
            DownReason::Handshake => "handshake",
            DownReason::HandshakeTimeout => "handshake_timeout",
            DownReason::Closed => "closed",
            DownReason::Reset => "reset",
            DownReason::Io => "io",
            DownReason::Malformed => "malformed",
            DownReason::Silent => "silent",
            DownReason::Subscription => "subscription",
        }
    }

    fn of(e: &ConnError) -> DownReason {
        match e {
            ConnError::Connect { .. } => DownReason::Connect,
            ConnError::Tls(_) | ConnError::Handshake(_) => DownReason::Handshake,
            ConnError::Closed(_) => DownReason::Closed,
            ConnError::Reset(_) => DownReason::Reset,
            ConnError::Oversized(_) | ConnError::Protocol(_) => DownReason::Malformed,
            ConnError::Io(_) => DownReason::Io,
        }
    }
}

/// Counters of a live run.
#[derive(Debug, Clone, Default)]
pub struct LiveCounters {
    /// Market frames handed to the engine.
    pub events: u64,
    /// Order intents (and cancel-alls) the decision stage produced while
    /// the driver has no order side ([`LiveDriver::with_orders`]): counted,
    /// not sent. With an order side they are routed (see
    /// `OrderCounters::intents_routed`).
    pub intents_not_routed: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Connections opened (first ones included).
    pub connects: u64,
    /// Successful reconnections after a loss.
    pub reconnects: u64,
    /// Losses, by [`DOWN_REASONS`] order.
    pub downs: [u64; 9],
    /// Connection attempts that failed before opening.
    pub failed_attempts: u64,
    /// Planned rotations (replacement took over without a loss).
    pub rotations: u64,
    /// Subscription commands carried out.
    pub commands: u64,
    /// Commands refused (unknown symbol when the engine is full, a full
    /// connection, a stream already in the requested state).
    pub commands_refused: u64,
    /// Frames of a replacement connection dropped at the switch-over
    /// because the old connection had delivered them.
    pub rotation_duplicates: u64,
    /// Switch-overs made without the old connection having delivered the
    /// replacement's first frame (a possible gap, which the book detects).
    pub rotation_unmatched: u64,
    /// Method replies received (`SUBSCRIBE` acks).
    pub acks: u64,
    /// Method replies that were errors.
    pub ack_errors: u64,
    /// Keepalive pings sent.
    pub pings_sent: u64,
    /// Pings from the server answered.
    pub server_pings: u64,
    /// Snapshot requests sent to the `rest` thread.
    pub snapshot_requests: u64,
    /// Snapshots applied (HTTP 200).
    pub snapshots: u64,
    /// Snapshot answers with HTTP 429.
    pub http_429: u64,
    /// Snapshot answers with HTTP 418 (IP ban).
    pub http_418: u64,
    /// Other HTTP errors and transport failures.
    pub rest_errors: u64,
    /// Requests the `rest` ring refused (full).
    pub rest_refused: u64,
    /// Whether the limiter runs on the limits exchangeInfo published (else
    /// on Binance's defaults).
    pub limits_loaded: bool,
    /// Snapshot requests the rate limiter held back (each retried when the
    /// window frees).
    pub limiter_held: u64,
    /// Connection errors that were malformed input (bad frames, oversized).
    pub malformed_frames: u64,
    /// Events after the warm-up ([`ALLOC_WARMUP_EVENTS`]) in reads that
    /// delivered data.
    pub steady_events: u64,
    /// Heap allocations on the hot thread during those reads (0 unless the
    /// counting allocator is installed, as in the `kairos` binary).
    pub steady_allocations: u64,
    /// The last connection error, for the report.
    pub last_error: Option<String>,
}

/// What a live run leaves.
#[derive(Debug)]
pub struct LiveOutcome {
    /// Counters.
    pub counters: LiveCounters,
    /// The engine's counters.
    pub engine: EngineStats,
    /// Per-symbol book reports.
    pub symbols: Vec<SymbolReport>,
    /// Data gap of each reconnect, ms: from the last frame before the loss
    /// to the first frame after.
    pub data_gap_ms: StageHistogram,
    /// Time from the loss to the book being live again, ms.
    pub resync_ms: StageHistogram,
    /// From a frame leaving the WebSocket layer to the end of its decision, ns.
    pub frame_to_decision_ns: StageHistogram,
    /// From the poll returning to the end of the frame's decision, ns
    /// (includes TLS decryption and WebSocket framing).
    pub wake_to_decision_ns: StageHistogram,
    /// The state at the end.
    pub state: FeedState,
    /// Whether the hot thread was pinned.
    pub pinned: bool,
    /// How long the run lasted.
    pub wall: Duration,
}

struct Link {
    target: Target,
    /// The replacement connection's target: always the combined-stream URL,
    /// so that it is subscribed as soon as it opens.
    rotate_target: Target,
    streams: Vec<String>,
    conn: Option<(WsConn, u16)>,
    next: Option<(WsConn, u16)>,
    attempt_started: Instant,
    next_started: Option<Instant>,
    opened_at: Option<Instant>,
    subscribed: bool,
    to_subscribe: Vec<Vec<String>>,
    pending_acks: Vec<(u64, Instant)>,
    last_data: Instant,
    last_rx: Instant,
    ping_outstanding: bool,
    backoff: Backoff,
    retry_at: Option<Instant>,
    budget: SendBudget,
    /// Receive time (wall ns) of the last frame before a loss.
    lost_at_ns: Option<u64>,
    lost_at: Option<Instant>,
    last_frame_ns: u64,
    data_since_open: bool,
    /// A replacement connection is being opened: the current one's frames
    /// are fingerprinted so that the replacement's copies can be dropped.
    rotating: bool,
    /// Fingerprints of the current connection's frames since the rotation
    /// began (bounded by [`ROTATION_FINGERPRINTS`]).
    recent: Fingerprints,
    /// The replacement's frames, held until the switch-over.
    held: Vec<(u64, Vec<u8>)>,
    /// Since when frames are held.
    held_since: Option<Instant>,
}

/// Frames of the old connection remembered during a rotation, at most.
pub const ROTATION_FINGERPRINTS: usize = 1 << 16;
/// The replacement's frames held at most before switching anyway.
pub const ROTATION_HOLD_FRAMES: usize = 1 << 14;
/// The longest a replacement's frames are held before switching anyway
/// (the old connection may have died).
pub const ROTATION_HOLD_TIME: Duration = Duration::from_secs(2);

/// A bounded set of frame fingerprints (a ring; old ones fall out).
#[derive(Default)]
struct Fingerprints {
    ring: Vec<u64>,
    next: usize,
}

impl Fingerprints {
    fn push(&mut self, f: u64) {
        if self.ring.len() < ROTATION_FINGERPRINTS {
            self.ring.push(f);
        } else {
            self.ring[self.next] = f;
            self.next = (self.next + 1) % ROTATION_FINGERPRINTS;
        }
    }
    fn contains(&self, f: &u64) -> bool {
        self.ring.contains(f)
    }
}

/// FNV-1a over the frame: the same event is byte-identical on two
/// connections of the same streams.
fn fingerprint(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &x in b {
        h ^= u64::from(x);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (b.len() as u64).rotate_left(32)
}

/// The per-frame market path (sink, engine, latency), borrowed from the
/// driver's fields so that the read closure and the rotation's held frames
/// run the same code.
struct FramePath<'a, D: Decide, S: Sink> {
    engine: &'a mut Engine<D>,
    sink: &'a mut S,
    actions: &'a mut Actions,
    counters: &'a mut LiveCounters,
    frame_to_decision: &'a mut StageHistogram,
    wake_to_decision: &'a mut StageHistogram,
}

impl<D: Decide, S: Sink> FramePath<'_, D, S> {
    #[inline]
    fn feed(&mut self, conn_id: u16, recv_ns: u64, bytes: &[u8], woke: Instant) {
        let t0 = Instant::now();
        self.counters.events += 1;
        self.counters.bytes += bytes.len() as u64;
        self.sink.frame(recv_ns, conn_id, bytes);
        let before = self.engine.stats().decisions;
        self.engine.on_input(
            &Input {
                now_ns: recv_ns,
                event: Event::MarketFrame {
                    conn: conn_id,
                    bytes,
                },
            },
            self.actions,
            &mut NoProbe,
        );
        let decided = self.engine.stats().decisions != before;
        if decided {
            let t1 = Instant::now();
            self.frame_to_decision
                .record(t1.duration_since(t0).as_nanos() as u64);
            self.wake_to_decision
                .record(t1.duration_since(woke).as_nanos() as u64);
        }
        self.sink.processed(bytes, decided);
    }
}

struct SnapState {
    symbol: Symbol,
    link: usize,
    wanted: bool,
    in_flight: bool,
    not_before: Instant,
    failures: u32,
    /// When the book went stale (for the resync time).
    stale_since: Option<Instant>,
    /// Since when a snapshot is wanted (the fallback delay counts from
    /// here or from the link's opening, whichever is later).
    wanted_since: Instant,
}

/// The live driver.
pub struct LiveDriver<D: Decide, S: Sink> {
    cfg: LiveConfig,
    poll: Poll,
    engine: Engine<D>,
    sink: S,
    links: Vec<Link>,
    snaps: Vec<SnapState>,
    rest: RestClient,
    rest_hold_until: Option<Instant>,
    limiter: Limiter,
    actions: Actions,
    /// The actions being carried out (swapped with `actions`).
    taking: Actions,
    counters: LiveCounters,
    data_gap_ms: StageHistogram,
    resync_ms: StageHistogram,
    frame_to_decision: StageHistogram,
    wake_to_decision: StageHistogram,
    next_conn_id: u16,
    next_method_id: u64,
    stop: Arc<AtomicBool>,
    state: FeedState,
    pinned: bool,
    status: Option<Arc<LiveStatus>>,
    waker: Arc<Waker>,
    commands: Option<ringbuf::HeapCons<FeedCommand>>,
    /// Method messages to send on a link: (link, subscribe?, stream).
    method_queue: Vec<(usize, bool, String)>,
    /// The order side (WS-API link, gateway, portfolio), when configured.
    orders: Option<paper::OrderSide>,
}

/// Counters another thread may read while the driver runs (atomics, updated
/// at most every poll).
#[derive(Debug, Default)]
pub struct LiveStatus {
    /// Market frames processed.
    pub events: AtomicU64,
    /// Reconnects.
    pub reconnects: AtomicU64,
    /// Books resynced.
    pub resyncs: AtomicU64,
    /// 0 starting, 1 connected, 2 degraded, 3 reconnecting.
    pub state: AtomicU64,
    /// Best bid of the first symbol, in 10⁻⁸ units (0 while unknown or not
    /// live).
    pub best_bid_units: AtomicU64,
    /// Best ask of the first symbol, in 10⁻⁸ units (0 while unknown or not
    /// live).
    pub best_ask_units: AtomicU64,
    /// Orders in the gateway's table.
    pub orders: AtomicU64,
    /// Of them, in a final state (filled, canceled, rejected, expired).
    pub orders_final: AtomicU64,
    /// Fills applied to the portfolio.
    pub fills: AtomicU64,
    /// Whether user data flows: the WS-API subscription is confirmed, or
    /// the listen-key stream is open.
    pub user_data: AtomicBool,
    /// Whether the WS-API user-data subscription is confirmed.
    pub user_data_ws_api: AtomicBool,
    /// Whether the listen-key stream (the fallback) is open.
    pub listen_key_stream: AtomicBool,
}

fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

impl<D: Decide, S: Sink> LiveDriver<D, S> {
    /// Validates `cfg`, resolves the addresses (blocking, once, here), starts
    /// the `rest` thread and prepares the engine. Nothing connects yet.
    pub fn new(cfg: LiveConfig, decide: D, sink: S) -> Result<LiveDriver<D, S>, LiveError> {
        let ws = Endpoint::parse(&cfg.ws)?;
        let rest_ep = Endpoint::parse(&cfg.rest)?;
        let streams = subs::stream_names(&cfg.symbols, &cfg.streams)?;
        if cfg.symbols.len() > crate::engine::MAX_SYMBOLS {
            return Err(LiveError::TooManySymbols(cfg.symbols.len()));
        }
        let roots: Vec<&std::path::Path> = cfg.root_pem.iter().map(|p| p.as_path()).collect();
        let tls = if ws.secure {
            Some(crate::feed::tls::client_config(&roots)?)
        } else {
            None
        };
        let root_pem = match &cfg.root_pem {
            Some(p) if rest_ep.secure => Some(std::fs::read(p)?),
            _ => None,
        };
        let addr = ws.resolve()?[0];
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let rest = RestClient::start(&rest_ep.http_url(), waker.clone(), root_pem)?;
        let mut engine = Engine::new(decide, cfg.book);
        let now = Instant::now();
        let mut links = vec![];
        for (i, group) in subs::shard(&streams).into_iter().enumerate() {
            let path = if cfg.subscribe_by_message {
                "/stream".to_string()
            } else {
                subs::combined_path(&group)
            };
            let target = Target {
                addr,
                host: ws.host.clone(),
                url: ws.with_path(&path).ws_url(),
                tls: tls.clone(),
                max_message_bytes: cfg.max_message_bytes,
            };
            let rotate_target = Target {
                url: ws.with_path(&subs::combined_path(&group)).ws_url(),
                ..target.clone()
            };
            links.push(Link {
                target,
                rotate_target,
                streams: group,
                conn: None,
                next: None,
                attempt_started: now,
                next_started: None,
                opened_at: None,
                subscribed: false,
                to_subscribe: vec![],
                pending_acks: vec![],
                last_data: now,
                last_rx: now,
                ping_outstanding: false,
                backoff: Backoff::new(cfg.reconnect, cfg.seed.wrapping_add(i as u64)),
                retry_at: Some(now),
                budget: SendBudget::new(now),
                lost_at_ns: None,
                lost_at: None,
                last_frame_ns: 0,
                data_since_open: false,
                rotating: false,
                recent: Fingerprints::default(),
                held: vec![],
                held_since: None,
            });
        }
        let mut snaps = vec![];
        for s in &cfg.symbols {
            let up = s.trim().to_ascii_uppercase();
            let symbol = Symbol::new(up.as_bytes()).ok_or_else(|| LiveError::Symbol(up.clone()))?;
            engine.add_symbol(symbol);
            let lower = up.to_ascii_lowercase();
            let link = links
                .iter()
                .position(|l| {
                    l.streams
                        .iter()
                        .any(|st| st.split('@').next() == Some(&lower))
                })
                .unwrap_or(0);
            snaps.push(SnapState {
                symbol,
                link,
                wanted: false,
                in_flight: false,
                not_before: now,
                failures: 0,
                stale_since: Some(now),
                wanted_since: now,
            });
        }
        let ms_hist = |name| {
            let mut h = StageHistogram::new(name);
            // Allocated now; `record` never allocates.
            h.record(1);
            h.reset();
            h
        };
        Ok(LiveDriver {
            cfg,
            poll,
            engine,
            sink,
            links,
            snaps,
            rest,
            rest_hold_until: None,
            limiter: Limiter::with_default_limits(),
            actions: Actions::new(),
            taking: Actions::new(),
            counters: LiveCounters::default(),
            data_gap_ms: ms_hist("data_gap_ms"),
            resync_ms: ms_hist("resync_ms"),
            frame_to_decision: ms_hist("frame_to_decision"),
            wake_to_decision: ms_hist("wake_to_decision"),
            next_conn_id: 0,
            next_method_id: 0,
            stop: Arc::new(AtomicBool::new(false)),
            state: FeedState::Starting,
            pinned: false,
            status: None,
            waker,
            commands: None,
            method_queue: Vec::with_capacity(COMMAND_QUEUE_LEN),
            orders: None,
        })
    }

    /// The queue through which another thread subscribes and unsubscribes
    /// streams while the driver runs (one sender; a second call replaces it).
    pub fn commands(&mut self) -> FeedCommands {
        use ringbuf::traits::Split;
        let (tx, rx) = ringbuf::HeapRb::<FeedCommand>::new(COMMAND_QUEUE_LEN).split();
        self.commands = Some(rx);
        FeedCommands {
            tx,
            waker: self.waker.clone(),
        }
    }

    /// Carries out queued subscription commands.
    fn on_commands(&mut self, now: Instant) {
        use ringbuf::traits::Consumer;
        while let Some(cmd) = self.commands.as_mut().and_then(|c| c.try_pop()) {
            self.on_command(cmd, now);
        }
        // Send what the message budgets allow.
        let mut i = 0;
        while i < self.method_queue.len() {
            let (li, sub, _) = &self.method_queue[i];
            let (li, sub) = (*li, *sub);
            let link = &mut self.links[li];
            let open = link.conn.as_ref().is_some_and(|(c, _)| c.is_open());
            if !open {
                // Not connected: the reconnect subscribes from the stream list.
                self.method_queue.remove(i);
                continue;
            }
            if !link.budget.try_take(now) {
                i += 1;
                continue;
            }
            let (_, _, stream) = self.method_queue.remove(i);
            self.next_method_id += 1;
            let id = ((li as u64) << 32) | (self.next_method_id & 0xffff_ffff);
            let msg = subs::method_message(sub, std::slice::from_ref(&stream), id);
            let link = &mut self.links[li];
            if let Some((c, _)) = link.conn.as_mut() {
                if c.send_text(&msg).is_ok() {
                    link.pending_acks.push((id, now));
                }
            }
        }
    }

    fn on_command(&mut self, cmd: FeedCommand, now: Instant) {
        let stream = cmd.stream();
        let lower = cmd.symbol.as_str().to_ascii_lowercase();
        let has = self.links.iter().position(|l| l.streams.contains(&stream));
        let li = if cmd.subscribe {
            if has.is_some() {
                self.counters.commands_refused += 1;
                return;
            }
            // The symbol's link, else the first with room.
            let li = self
                .links
                .iter()
                .position(|l| {
                    l.streams
                        .iter()
                        .any(|s| s.split('@').next() == Some(&lower))
                })
                .or_else(|| {
                    self.links
                        .iter()
                        .position(|l| l.streams.len() < feed::MAX_STREAMS_PER_CONNECTION)
                });
            let Some(li) = li else {
                self.counters.commands_refused += 1;
                return;
            };
            if !self.snaps.iter().any(|s| s.symbol == cmd.symbol) {
                if !self.engine.add_symbol(cmd.symbol) {
                    self.counters.commands_refused += 1;
                    return;
                }
                self.snaps.push(SnapState {
                    symbol: cmd.symbol,
                    link: li,
                    wanted: false,
                    in_flight: false,
                    not_before: now,
                    failures: 0,
                    stale_since: Some(now),
                    wanted_since: now,
                });
            }
            self.links[li].streams.push(stream.clone());
            if cmd.kind().starts_with("depth") {
                if let Some(s) = self.snaps.iter_mut().find(|s| s.symbol == cmd.symbol) {
                    s.wanted = true;
                    s.wanted_since = now;
                    s.link = li;
                }
            }
            li
        } else {
            let Some(li) = has else {
                self.counters.commands_refused += 1;
                return;
            };
            self.links[li].streams.retain(|s| *s != stream);
            if cmd.kind().starts_with("depth") {
                // No more diffs: the book must not be trusted any longer.
                self.engine.mark_stale(&cmd.symbol);
                if let Some(s) = self.snaps.iter_mut().find(|s| s.symbol == cmd.symbol) {
                    s.wanted = false;
                }
            }
            li
        };
        self.counters.commands += 1;
        // Reconnects and rotations subscribe the new set.
        let link = &mut self.links[li];
        let path = subs::combined_path(&link.streams);
        let base = Endpoint::parse(&link.rotate_target.url)
            .map(|e| e.with_path(&path).ws_url())
            .unwrap_or_default();
        link.rotate_target.url = base.clone();
        if !self.cfg.subscribe_by_message {
            link.target.url = base;
        }
        self.method_queue.push((li, cmd.subscribe, stream));
    }

    /// A flag that stops the run when set (from another thread or a signal
    /// handler's thread).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Publishes progress into `status` while running.
    pub fn with_status(mut self, status: Arc<LiveStatus>) -> Self {
        self.status = Some(status);
        self
    }

    /// The engine.
    pub fn engine(&self) -> &Engine<D> {
        &self.engine
    }

    /// The sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Consumes the driver, giving back the sink.
    pub fn into_sink(self) -> S {
        self.sink
    }

    /// Runs on the calling thread (pinned to `pin_core` when configured)
    /// until the duration passes or the stop flag is set.
    pub fn run(&mut self) -> LiveOutcome {
        let started = Instant::now();
        if let Some(core) = self.cfg.pin_core {
            // core_affinity aborts on an id beyond the CPU set's size, so
            // only ids this process may run on are tried.
            let allowed = core_affinity::get_core_ids().unwrap_or_default();
            self.pinned = allowed.iter().any(|c| c.id == core)
                && core_affinity::set_for_current(core_affinity::CoreId { id: core });
            if !self.pinned {
                let ids: Vec<usize> = allowed.iter().map(|c| c.id).collect();
                eprintln!(
                    "kairos: cannot pin the hot thread to core {core} (this process may run on cores {ids:?}); running unpinned"
                );
            }
        }
        let mut events = Events::with_capacity(EVENTS_PER_POLL);
        let deadline = self.cfg.duration.map(|d| started + d);
        // The server's own limits, before the first snapshot (weight 20).
        let info = LimitedEndpoint::ExchangeInfo.request();
        if self.limiter().admit(&info, wall_ns()).is_ok() {
            self.rest.ask(RestRequest::ExchangeInfo, started);
        }
        loop {
            let now = Instant::now();
            if self.stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| now >= d) {
                break;
            }
            self.timers(now);
            let wait = if self.cfg.busy_poll {
                Duration::ZERO
            } else {
                self.next_wait(now, deadline)
            };
            if let Err(e) = self.poll.poll(&mut events, Some(wait)) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    self.counters.last_error = Some(format!("poll: {e}"));
                    break;
                }
                continue;
            }
            let woke = Instant::now();
            for ev in events.iter() {
                let token = ev.token();
                if token == WAKER {
                    continue;
                }
                self.on_ready(token, woke);
            }
            self.rest_replies(Instant::now());
            self.on_commands(Instant::now());
            self.on_order_commands();
            self.publish();
        }
        for l in &mut self.links {
            for (c, _) in [l.conn.take(), l.next.take()].into_iter().flatten() {
                c.close(self.poll.registry());
            }
        }
        self.close_orders();
        self.update_state(Instant::now());
        self.counters.rest_refused = self.rest.refused;
        LiveOutcome {
            counters: self.counters.clone(),
            engine: *self.engine.stats(),
            symbols: self.engine.symbols().collect(),
            data_gap_ms: self.data_gap_ms.clone(),
            resync_ms: self.resync_ms.clone(),
            frame_to_decision_ns: self.frame_to_decision.clone(),
            wake_to_decision_ns: self.wake_to_decision.clone(),
            state: self.state,
            pinned: self.pinned,
            wall: started.elapsed(),
        }
    }

    fn publish(&self) {
        if let Some(s) = &self.status {
            s.events.store(self.counters.events, Ordering::Relaxed);
            s.reconnects
                .store(self.counters.reconnects, Ordering::Relaxed);
            let resyncs: u64 = self.engine.symbols().map(|r| r.book.resyncs).sum();
            s.resyncs.store(resyncs, Ordering::Relaxed);
            let code = match self.state {
                FeedState::Starting => 0,
                FeedState::Connected => 1,
                FeedState::Degraded => 2,
                FeedState::Reconnecting { .. } => 3,
            };
            s.state.store(code, Ordering::Relaxed);
            let top = self.engine.symbols().next().filter(|r| r.live);
            let units = |l: Option<crate::binance::fast::Level>| {
                l.map_or(0, |l| u64::try_from(l.price.units()).unwrap_or(0))
            };
            s.best_bid_units
                .store(units(top.and_then(|r| r.best_bid)), Ordering::Relaxed);
            s.best_ask_units
                .store(units(top.and_then(|r| r.best_ask)), Ordering::Relaxed);
            if let Some(o) = &self.orders {
                let total = o.gateway.table.iter().count() as u64;
                let done = o
                    .gateway
                    .table
                    .iter()
                    .filter(|x| x.status.is_terminal())
                    .count() as u64;
                s.orders.store(total, Ordering::Relaxed);
                s.orders_final.store(done, Ordering::Relaxed);
                s.fills.store(o.counters.fills, Ordering::Relaxed);
                s.user_data.store(o.user_data_live(), Ordering::Relaxed);
                s.user_data_ws_api
                    .store(o.ws_api_subscribed, Ordering::Relaxed);
                s.listen_key_stream
                    .store(o.user_stream.is_open(), Ordering::Relaxed);
            }
        }
    }

    fn new_conn_id(&mut self) -> u16 {
        let id = self.next_conn_id;
        self.next_conn_id = self.next_conn_id.wrapping_add(1);
        id
    }

    fn next_wait(&self, now: Instant, deadline: Option<Instant>) -> Duration {
        let mut until = now + MAX_POLL_WAIT;
        if let Some(d) = deadline {
            until = until.min(d);
        }
        for l in &self.links {
            if let Some(r) = l.retry_at {
                until = until.min(r);
            }
        }
        for s in &self.snaps {
            if s.wanted && !s.in_flight {
                until = until.min(s.not_before.max(now + Duration::from_millis(1)));
            }
        }
        if let Some(t) = self.order_deadline(now) {
            until = until.min(t.max(now + Duration::from_millis(1)));
        }
        until.saturating_duration_since(now)
    }

    /// A readiness event for `token`.
    fn on_ready(&mut self, token: Token, woke: Instant) {
        if self.orders.as_ref().and_then(|o| o.token()) == Some(token) {
            self.on_order_ready();
            return;
        }
        if self.orders.as_ref().and_then(|o| o.us_token()) == Some(token) {
            self.on_user_stream_ready();
            return;
        }
        let Some((li, is_next)) = self.links.iter().position_map(token) else {
            return;
        };
        let LiveDriver {
            links,
            engine,
            sink,
            actions,
            counters,
            frame_to_decision,
            wake_to_decision,
            ..
        } = self;
        let link = &mut links[li];
        let slot = if is_next {
            &mut link.next
        } else {
            &mut link.conn
        };
        let Some((conn, conn_id)) = slot.as_mut() else {
            return;
        };
        let conn_id = *conn_id;
        let mut replies: Vec<Reply> = vec![];
        let allocs_before = crate::alloc_count::thread_allocations();
        let mut data = 0u64;
        let mut first_ns = 0u64;
        let mut last_ns = 0u64;
        let pings_before = conn.counters.pings;
        let target = if is_next {
            &link.rotate_target
        } else {
            &link.target
        };
        let held = &mut link.held;
        let recent = &mut link.recent;
        let rotating = link.rotating;
        let result = conn.drive(target, &mut |bytes: &[u8]| {
            let recv_ns = wall_ns();
            if is_reply(bytes) {
                match parse_reply(bytes) {
                    Some(r) => replies.push(r),
                    None => counters.ack_errors += 1,
                }
                return;
            }
            if is_next {
                // Held until the old connection has delivered the same
                // frames (rare path: a rotation a day; the copies allocate).
                data += 1;
                held.push((recv_ns, bytes.to_vec()));
                return;
            }
            if rotating {
                recent.push(fingerprint(bytes));
            }
            data += 1;
            if first_ns == 0 {
                first_ns = recv_ns;
            }
            last_ns = recv_ns;
            let mut path = FramePath {
                engine,
                sink,
                actions,
                counters,
                frame_to_decision,
                wake_to_decision,
            };
            path.feed(conn_id, recv_ns, bytes, woke);
        });
        let now = Instant::now();
        if self.counters.events > ALLOC_WARMUP_EVENTS && data > 0 {
            self.counters.steady_allocations +=
                crate::alloc_count::thread_allocations() - allocs_before;
            self.counters.steady_events += data;
        }
        let counters_rx = conn.counters;
        self.take_actions(now);
        if !is_next {
            if matches!(result, Ok(Progress::Opened)) {
                self.on_open(li, conn_id, now);
            }
            let link = &mut self.links[li];
            if result.is_ok() {
                link.last_rx = now;
                link.ping_outstanding = false;
            }
            if data > 0 {
                link.last_data = now;
                if !link.data_since_open {
                    link.data_since_open = true;
                    if let Some(lost_ns) = link.lost_at_ns.take() {
                        let gap_ms = first_ns.saturating_sub(lost_ns) / 1_000_000;
                        self.data_gap_ms
                            .record(gap_ms.clamp(1, GAP_HISTOGRAM_MAX_MS));
                    }
                }
                link.last_frame_ns = last_ns;
            }
        }
        self.counters.server_pings += counters_rx.pings - pings_before;
        if !is_next && data > 0 && !self.links[li].held.is_empty() {
            self.try_switch(li, now, woke);
        }
        match result {
            Ok(progress) => {
                if is_next {
                    if progress == Progress::Opened {
                        self.counters.connects += 1;
                    }
                    // The replacement (subscribed through its URL) takes
                    // over once the old connection has delivered the first
                    // frame the replacement holds: nothing is missed.
                    if data > 0 {
                        if self.links[li].held_since.is_none() {
                            self.links[li].held_since = Some(now);
                        }
                        self.try_switch(li, now, woke);
                    }
                }
                for r in replies {
                    self.on_reply(li, r, now);
                }
            }
            Err(e) => {
                if is_next {
                    // The replacement failed; the current link carries on and
                    // the rotation is tried again later.
                    if let Some((c, _)) = self.links[li].next.take() {
                        c.close(self.poll.registry());
                    }
                    let link = &mut self.links[li];
                    link.next_started = Some(now);
                    link.rotating = false;
                    link.held.clear();
                    link.held_since = None;
                    link.recent = Fingerprints::default();
                    self.counters.failed_attempts += 1;
                } else {
                    if e.is_malformed() {
                        self.counters.malformed_frames += 1;
                    }
                    let reason = DownReason::of(&e);
                    self.counters.last_error = Some(e.to_string());
                    self.link_down(li, reason, now);
                }
            }
        }
    }

    /// During a rotation: switches to the replacement once the old
    /// connection has delivered the first frame the replacement holds (or
    /// the hold has lasted too long), then feeds the held frames the old
    /// connection did not deliver.
    fn try_switch(&mut self, li: usize, now: Instant, woke: Instant) {
        let link = &self.links[li];
        let Some((_, first)) = link.held.first() else {
            return;
        };
        let covered = link.recent.contains(&fingerprint(first));
        let too_long = link.held.len() >= ROTATION_HOLD_FRAMES
            || link
                .held_since
                .is_some_and(|t| now.duration_since(t) >= ROTATION_HOLD_TIME);
        if !covered && !too_long {
            return;
        }
        if !covered {
            self.counters.rotation_unmatched += 1;
        }
        let held = std::mem::take(&mut self.links[li].held);
        self.links[li].held_since = None;
        self.promote(li, now);
        let recent = std::mem::take(&mut self.links[li].recent);
        let conn_id = self.links[li].conn.as_ref().map_or(0, |(_, id)| *id);
        for (recv_ns, bytes) in &held {
            if recent.contains(&fingerprint(bytes)) {
                self.counters.rotation_duplicates += 1;
                continue;
            }
            self.feed_frame(conn_id, *recv_ns, bytes, woke);
            self.links[li].last_frame_ns = *recv_ns;
        }
        self.links[li].last_data = now;
    }

    /// One market frame through the sink and the engine (the path the read
    /// closure in [`Self::on_ready`] takes, for frames held during a
    /// rotation).
    fn feed_frame(&mut self, conn_id: u16, recv_ns: u64, bytes: &[u8], woke: Instant) {
        FramePath {
            engine: &mut self.engine,
            sink: &mut self.sink,
            actions: &mut self.actions,
            counters: &mut self.counters,
            frame_to_decision: &mut self.frame_to_decision,
            wake_to_decision: &mut self.wake_to_decision,
        }
        .feed(conn_id, recv_ns, bytes, woke);
        self.take_actions(Instant::now());
    }

    fn on_open(&mut self, li: usize, conn_id: u16, now: Instant) {
        self.counters.connects += 1;
        let link = &mut self.links[li];
        if link.lost_at.is_some() {
            self.counters.reconnects += 1;
        }
        link.opened_at = Some(now);
        link.last_data = now;
        link.last_rx = now;
        link.data_since_open = false;
        link.ping_outstanding = false;
        self.sink.link(wall_ns(), conn_id, true);
        self.send_subscriptions_initial(li, now);
        if !self.cfg.subscribe_by_message {
            self.on_subscribed(li, now);
        }
    }

    fn send_subscriptions_initial(&mut self, li: usize, now: Instant) {
        let link = &mut self.links[li];
        link.subscribed = false;
        link.pending_acks.clear();
        link.to_subscribe.clear();
        if self.cfg.subscribe_by_message {
            // Batches of up to 200 streams per message.
            for chunk in link.streams.chunks(200) {
                link.to_subscribe.push(chunk.to_vec());
            }
            self.pump_subscriptions(li, now);
        }
    }

    /// Sends queued `SUBSCRIBE`s within the message budget.
    fn pump_subscriptions(&mut self, li: usize, now: Instant) {
        let id_base = (li as u64) << 32;
        let link = &mut self.links[li];
        while !link.to_subscribe.is_empty() && link.budget.try_take(now) {
            let batch = link.to_subscribe.remove(0);
            self.next_method_id += 1;
            let id = id_base | (self.next_method_id & 0xffff_ffff);
            let msg = subs::method_message(true, &batch, id);
            let conn = link.conn.as_mut();
            if let Some((c, _)) = conn {
                if c.send_text(&msg).is_ok() {
                    link.pending_acks.push((id, now));
                }
            }
        }
    }

    fn on_reply(&mut self, li: usize, r: Reply, now: Instant) {
        match r {
            Reply::Ok { id } => {
                self.counters.acks += 1;
                let link = &mut self.links[li];
                link.pending_acks.retain(|(i, _)| *i != id);
                if link.pending_acks.is_empty() && link.to_subscribe.is_empty() && !link.subscribed
                {
                    self.on_subscribed(li, now);
                }
            }
            Reply::Error { code, msg, .. } => {
                self.counters.ack_errors += 1;
                self.counters.last_error = Some(format!("subscription refused: {code} {msg}"));
                self.link_down(li, DownReason::Subscription, now);
            }
        }
    }

    fn on_subscribed(&mut self, li: usize, now: Instant) {
        let link = &mut self.links[li];
        link.subscribed = true;
        link.last_data = now;
        link.retry_at = None;
    }

    /// A replacement connection takes over its link.
    fn promote(&mut self, li: usize, now: Instant) {
        let link = &mut self.links[li];
        let Some(next) = link.next.take() else {
            return;
        };
        if let Some((old, old_id)) = link.conn.replace(next) {
            self.sink.link(wall_ns(), old_id, false);
            old.close(self.poll.registry());
        }
        let link = &mut self.links[li];
        link.rotating = false;
        link.opened_at = Some(now);
        link.next_started = None;
        link.last_data = now;
        link.last_rx = now;
        link.subscribed = true;
        link.data_since_open = true;
        let id = link.conn.as_ref().map(|(_, id)| *id).unwrap_or(0);
        self.counters.rotations += 1;
        self.sink.link(wall_ns(), id, true);
    }

    /// The current connection of link `li` is lost.
    fn link_down(&mut self, li: usize, reason: DownReason, now: Instant) {
        let link = &mut self.links[li];
        // A replacement that is already open takes over without a loss.
        if link.next.as_ref().is_some_and(|(c, _)| c.is_open()) {
            self.counters.downs[reason_index(reason)] += 1;
            if !link.held.is_empty() {
                // Switch now, with what the replacement holds.
                link.held_since = now.checked_sub(ROTATION_HOLD_TIME);
                self.try_switch(li, now, now);
                return;
            }
            if let Some((old, old_id)) = link.conn.take() {
                self.sink.link(wall_ns(), old_id, false);
                old.close(self.poll.registry());
            }
            let link = &mut self.links[li];
            link.conn = link.next.take();
            // The replacement was subscribed through its URL.
            link.subscribed = true;
            link.pending_acks.clear();
            link.to_subscribe.clear();
            link.opened_at = Some(now);
            link.last_data = now;
            self.counters.rotations += 1;
            return;
        }
        let was_open = link.conn.as_ref().is_some_and(|(c, _)| c.is_open());
        if let Some((c, id)) = link.conn.take() {
            if was_open {
                self.sink.link(wall_ns(), id, false);
            }
            c.close(self.poll.registry());
        }
        if let Some((c, _)) = link.next.take() {
            c.close(self.poll.registry());
        }
        if was_open {
            self.counters.downs[reason_index(reason)] += 1;
            if let Some(opened) = link.opened_at {
                link.backoff.on_healthy(now.duration_since(opened));
            }
            if link.lost_at.is_none() || link.data_since_open {
                link.lost_at_ns = Some(if link.last_frame_ns > 0 {
                    link.last_frame_ns
                } else {
                    wall_ns()
                });
                link.lost_at = Some(now);
            }
            let conn_id = self.next_conn_id.wrapping_sub(1);
            self.engine.on_input(
                &Input {
                    now_ns: wall_ns(),
                    event: Event::Connection {
                        conn: conn_id,
                        state: ConnState::Disconnected,
                    },
                },
                &mut self.actions,
                &mut NoProbe,
            );
            self.take_actions(now);
        } else {
            self.counters.failed_attempts += 1;
            if reason == DownReason::HandshakeTimeout {
                self.counters.downs[reason_index(reason)] += 1;
            }
        }
        let link = &mut self.links[li];
        link.subscribed = false;
        link.opened_at = None;
        link.pending_acks.clear();
        link.to_subscribe.clear();
        link.data_since_open = false;
        link.retry_at = Some(now + link.backoff.next_delay());
    }

    fn take_actions(&mut self, now: Instant) {
        // The actions are taken out of their buffer first (a pre-allocated
        // swap, no allocation): routing an intent needs the whole driver.
        std::mem::swap(&mut self.actions, &mut self.taking);
        let mut taking = std::mem::replace(&mut self.taking, Actions::empty());
        for a in taking.drain() {
            match a {
                Action::RequestSnapshot { symbol } => {
                    if let Some(s) = self.snaps.iter_mut().find(|s| s.symbol == symbol) {
                        if !s.wanted {
                            s.wanted = true;
                            s.wanted_since = now;
                            s.not_before = s.not_before.max(now);
                        }
                        if s.stale_since.is_none() {
                            s.stale_since = Some(now);
                        }
                    }
                }
                Action::Intent(i) if self.orders.is_some() => self.route_intent(&i),
                Action::CancelAll { symbol } if self.orders.is_some() => self.cancel_all(symbol),
                Action::Intent(_) | Action::CancelAll { .. } => {
                    self.counters.intents_not_routed += 1
                }
            }
        }
        self.taking = taking;
    }

    fn timers(&mut self, now: Instant) {
        for li in 0..self.links.len() {
            self.link_timers(li, now);
        }
        self.snapshot_timers(now);
        self.order_timers(now);
        self.update_state(now);
    }

    fn link_timers(&mut self, li: usize, now: Instant) {
        let cfg_silence = self.cfg.silence_limit;
        let cfg_keepalive = self.cfg.keepalive_idle;
        let cfg_handshake = self.cfg.handshake_timeout;
        let rotate_after = self.cfg.rotate_after;
        // Connect when due.
        if self.links[li].conn.is_none() {
            if self.links[li].retry_at.is_some_and(|r| now >= r) {
                self.links[li].retry_at = None;
                let id = self.new_conn_id();
                let token = Token(id as usize);
                let link = &mut self.links[li];
                link.attempt_started = now;
                match WsConn::connect(self.poll.registry(), token, &link.target) {
                    Ok(c) => link.conn = Some((c, id)),
                    Err(e) => {
                        self.counters.last_error = Some(e.to_string());
                        self.link_down(li, DownReason::Connect, now);
                    }
                }
            }
            return;
        }
        let link = &mut self.links[li];
        let open = link.conn.as_ref().is_some_and(|(c, _)| c.is_open());
        if !open {
            if now.duration_since(link.attempt_started) > cfg_handshake {
                self.counters.last_error = Some("handshake timed out".into());
                self.link_down(li, DownReason::HandshakeTimeout, now);
            }
            return;
        }
        if !link.to_subscribe.is_empty() {
            self.pump_subscriptions(li, now);
        }
        let link = &mut self.links[li];
        if link
            .pending_acks
            .first()
            .is_some_and(|(_, at)| now.duration_since(*at) > ACK_TIMEOUT)
        {
            self.counters.last_error = Some("subscription not acknowledged".into());
            self.link_down(li, DownReason::Subscription, now);
            return;
        }
        if link.subscribed && now.duration_since(link.last_data) > cfg_silence {
            self.counters.last_error = Some(format!("no data for {cfg_silence:?}"));
            self.link_down(li, DownReason::Silent, now);
            return;
        }
        if now.duration_since(link.last_rx) > cfg_keepalive
            && !link.ping_outstanding
            && link.budget.try_take(now)
        {
            if let Some((c, _)) = link.conn.as_mut() {
                if c.send_ping().is_ok() {
                    link.ping_outstanding = true;
                    self.counters.pings_sent += 1;
                }
            }
        }
        if let Some(opened) = link.opened_at {
            link.backoff.on_healthy(now.duration_since(opened));
            // Rotation before the 24-hour limit.
            let retry_ok = link
                .next_started
                .is_none_or(|t| now.duration_since(t) >= cfg_handshake);
            if link.next.is_none() && now.duration_since(opened) >= rotate_after && retry_ok {
                link.next_started = Some(now);
                let id = self.new_conn_id();
                let link = &mut self.links[li];
                if let Ok(c) = WsConn::connect(
                    self.poll.registry(),
                    Token(id as usize),
                    &link.rotate_target,
                ) {
                    link.next = Some((c, id));
                    link.rotating = true;
                    link.recent = Fingerprints::default();
                    link.held.clear();
                    link.held_since = None;
                }
            } else if link.next.as_ref().is_some_and(|(c, _)| !c.is_open())
                && link
                    .next_started
                    .is_some_and(|t| now.duration_since(t) > cfg_handshake)
            {
                if let Some((c, _)) = link.next.take() {
                    c.close(self.poll.registry());
                }
                self.counters.failed_attempts += 1;
            }
        }
    }

    fn snapshot_timers(&mut self, now: Instant) {
        if self.rest_hold_until.is_some_and(|t| now < t) {
            return;
        }
        self.rest_hold_until = None;
        for i in 0..self.snaps.len() {
            let s = &self.snaps[i];
            if !s.wanted || s.in_flight || now < s.not_before {
                continue;
            }
            let link = &self.links[s.link];
            if !link.subscribed || link.opened_at.is_none() {
                continue;
            }
            let buffered = self
                .engine
                .book_state(&s.symbol)
                .map_or(0, |(_, buffered)| buffered);
            let since = link.opened_at.map_or(Duration::ZERO, |o| {
                now.duration_since(o.max(s.wanted_since))
            });
            if buffered == 0 && since < SNAPSHOT_FALLBACK_DELAY {
                continue;
            }
            let req = RestRequest::Depth {
                symbol: s.symbol,
                limit: self.cfg.snapshot_limit,
            };
            // Never more than the server allows: held until the window frees.
            let wall = wall_ns();
            let limited = LimitedEndpoint::Depth {
                limit: self.cfg.snapshot_limit,
            }
            .request();
            if let Err(refusal) = self.limiter().admit(&limited, wall) {
                self.counters.limiter_held += 1;
                let wait = refusal.retry_at_ns().map_or(SNAPSHOT_RETRY_CAP, |t| {
                    Duration::from_nanos(t.saturating_sub(wall))
                });
                self.snaps[i].not_before = now + wait.max(Duration::from_millis(1));
                continue;
            }
            if self.rest.ask(req, now) {
                self.counters.snapshot_requests += 1;
                let s = &mut self.snaps[i];
                s.in_flight = true;
                s.wanted = false;
            }
        }
    }

    fn rest_replies(&mut self, now: Instant) {
        while let Some(reply) = self.rest.try_reply() {
            self.on_rest_reply(reply, now);
        }
    }

    fn on_rest_reply(&mut self, reply: RestReply, now: Instant) {
        let symbol = match reply.request {
            RestRequest::Depth { symbol, .. } => symbol,
            RestRequest::ExchangeInfo => {
                self.on_exchange_info(reply);
                return;
            }
            RestRequest::Signed { req_id, .. } => {
                self.on_order_rest_reply(req_id, reply);
                return;
            }
            RestRequest::UserStream { op, key } => {
                self.on_user_stream_rest_reply(op, key, reply);
                return;
            }
        };
        let Some(si) = self.snaps.iter().position(|s| s.symbol == symbol) else {
            return;
        };
        self.snaps[si].in_flight = false;
        let retry = |s: &mut SnapState, at: Instant| {
            s.wanted = true;
            s.failures = s.failures.saturating_add(1);
            let backoff = SNAPSHOT_RETRY_BASE
                .checked_mul(1 << s.failures.min(16))
                .map_or(SNAPSHOT_RETRY_CAP, |d| d.min(SNAPSHOT_RETRY_CAP));
            s.not_before = at.max(now + backoff);
        };
        if let Ok(ans) = &reply.result {
            let wall = wall_ns();
            for (name, value) in &ans.limit_headers {
                // A malformed header is the server's problem; it is ignored.
                let _ = self.limiter().observe_header(name, value, wall);
            }
            if ans.status == 429 || ans.status == 418 {
                let code = serde_json::from_slice::<serde_json::Value>(&ans.body)
                    .ok()
                    .and_then(|v| v.get("code").and_then(|c| c.as_i64()))
                    .and_then(|c| i32::try_from(c).ok());
                self.limiter().on_http_status(
                    ans.status,
                    code,
                    ans.retry_after.map(|d| d.as_secs()),
                    wall,
                );
            }
        }
        match reply.result {
            Ok(ans) if ans.status == 200 => {
                self.counters.snapshots += 1;
                let recv_ns = wall_ns();
                let conn = self.links[self.snaps[si].link]
                    .conn
                    .as_ref()
                    .map_or(0, |(_, id)| *id);
                self.sink.snapshot(recv_ns, conn, &symbol, &ans.body);
                self.engine.on_input(
                    &Input {
                        now_ns: recv_ns,
                        event: Event::DepthSnapshot {
                            symbol,
                            bytes: &ans.body,
                        },
                    },
                    &mut self.actions,
                    &mut NoProbe,
                );
                let asked_again = self
                    .actions
                    .as_slice()
                    .contains(&Action::RequestSnapshot { symbol });
                self.take_actions(now);
                let s = &mut self.snaps[si];
                if asked_again {
                    // The snapshot was older than the buffered diffs (or the
                    // book crossed): ask again, a little later.
                    retry(s, now);
                } else {
                    s.failures = 0;
                }
                if self.engine.stats().by_kind[Kind::Malformed as usize] > 0 && !asked_again {
                    // A snapshot that did not decode leaves the book waiting.
                    if let Some((st, _)) = self.engine.book_state(&symbol) {
                        if st == BookState::Stale || st == BookState::Unsynced {
                            retry(&mut self.snaps[si], now);
                        }
                    }
                }
            }
            Ok(ans) if ans.status == 429 || ans.status == 418 => {
                let wait = ans.retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
                if ans.status == 429 {
                    self.counters.http_429 += 1;
                } else {
                    self.counters.http_418 += 1;
                    eprintln!(
                        "kairos: ALARM: HTTP 418, the IP is banned for {wait:?}; every REST request is held until then"
                    );
                }
                let until = now + wait;
                self.rest_hold_until = Some(self.rest_hold_until.map_or(until, |t| t.max(until)));
                let s = &mut self.snaps[si];
                s.wanted = true;
                s.not_before = until;
            }
            Ok(ans) => {
                self.counters.rest_errors += 1;
                self.counters.last_error = Some(format!(
                    "depth snapshot {}: HTTP {} {}",
                    symbol.as_str(),
                    ans.status,
                    String::from_utf8_lossy(&ans.body[..ans.body.len().min(200)])
                ));
                retry(&mut self.snaps[si], now);
            }
            Err(e) => {
                self.counters.rest_errors += 1;
                self.counters.last_error = Some(e);
                retry(&mut self.snaps[si], now);
            }
        }
    }

    /// The limits the server publishes replace the defaults.
    fn on_exchange_info(&mut self, reply: RestReply) {
        let why = match reply.result {
            Ok(ans) if ans.status == 200 => {
                match crate::binance::exchange_info::decode_exchange_info(&ans.body) {
                    Ok(info) => {
                        self.orders_on_exchange_info(&info);
                        match self.limiter().reload(&info.rate_limits) {
                            Ok(()) => {
                                self.counters.limits_loaded = true;
                                return;
                            }
                            Err(e) => format!("its rateLimits were refused: {e}"),
                        }
                    }
                    Err(e) => format!("undecodable: {e}"),
                }
            }
            Ok(ans) => format!("HTTP {}", ans.status),
            Err(e) => e,
        };
        self.counters.last_error = Some(format!(
            "exchangeInfo: {why}; the limiter keeps Binance's default limits"
        ));
    }

    fn update_state(&mut self, now: Instant) {
        // Resync times: a book that was stale and is live again.
        for s in &mut self.snaps {
            if let Some(since) = s.stale_since {
                if let Some((BookState::Live, _)) = self.engine.book_state(&s.symbol) {
                    let ms = now.duration_since(since).as_millis() as u64;
                    self.resync_ms.record(ms.clamp(1, GAP_HISTOGRAM_MAX_MS));
                    s.stale_since = None;
                }
            }
        }
        let down = self
            .links
            .iter()
            .filter(|l| !l.subscribed)
            .map(|l| l.backoff.attempt())
            .max();
        self.state = match down {
            Some(attempt) if self.counters.connects == 0 && attempt == 0 => FeedState::Starting,
            Some(attempt) => FeedState::Reconnecting { attempt },
            None if self.engine.all_live() && self.rest_hold_until.is_none() => {
                FeedState::Connected
            }
            None => FeedState::Degraded,
        };
    }
}

fn reason_index(r: DownReason) -> usize {
    DOWN_REASONS.iter().position(|x| *x == r).unwrap_or(0)
}

trait PositionMap {
    fn position_map(self, token: Token) -> Option<(usize, bool)>;
}

impl<'a, I: Iterator<Item = &'a Link>> PositionMap for I {
    fn position_map(self, token: Token) -> Option<(usize, bool)> {
        for (i, l) in self.enumerate() {
            if l.conn.as_ref().is_some_and(|(c, _)| c.token() == token) {
                return Some((i, false));
            }
            if l.next.as_ref().is_some_and(|(c, _)| c.token() == token) {
                return Some((i, true));
            }
        }
        None
    }
}
