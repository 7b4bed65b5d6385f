//! The order side of the live driver: one more WebSocket link, to the
//! WS-API (Binance's, or `kairos sim`'s: only the URL differs), carrying
//! the [`Gateway`]'s requests and the user-data stream, and a [`Portfolio`]
//! kept from its executionReports and account updates.
//!
//! On open: [`Gateway::on_ws_up`], then with an Ed25519 key `session.logon`
//! and the unsigned `userDataStream.subscribe`, else (or when the logon is
//! refused) `userDataStream.subscribe.signature`.
//! Frames: responses (`{"id":…,"status":…}`) go to [`Gateway::on_ws_text`];
//! events (`{"subscriptionId":…,"event":{…}}`) are decoded with
//! [`decode_user`]: an executionReport goes to the order table and, when it
//! carries a fill the table had not seen, to [`Portfolio::apply_fill`];
//! `outboundAccountPosition` and `balanceUpdate` reconcile the balances.
//! On loss: [`Gateway::on_ws_down`], then reconnects with the same jittered
//! back-off as the market links. The gateway's timers join the loop's
//! deadline. REST actions (the gateway's fallback while the WS-API link is
//! down) go to the `rest` side thread (`RestRequest::Signed`).
//!
//! **User data without the WS-API.** While the WS-API subscription is
//! unavailable (link down, subscription refused) the [`ListenKeyStream`]
//! fallback gets a listen key through the `rest` thread and reads
//! `<market streams>/ws/<listenKey>` on one more link of this loop, keeping
//! the key alive and replacing it when it expires or the link drops. Its
//! frames go through the same [`on_frame`] path as the WS-API's events.
//! When the WS-API subscription is back, both run for an overlap, then the
//! listen key is closed; a report seen on both is dropped by the order
//! table (execution id), an account update older than the last applied
//! (`u`) or a balance update already applied is dropped here. (Its I/O is
//! in `paper/listen_key.rs`.)
//!
//! **The engine's intents.** An [`Action::Intent`](crate::engine::Action::Intent) of the decision
//! stage goes through the same admission as the backtester's
//! ([`admit`]: the core's hard limits, then the symbol's exchange filters,
//! on the order and its protective stop), with the symbol's rules from
//! exchangeInfo, then to the gateway under a client id of its own
//! ([`ENGINE_ID_PREFIX`]). A refusal is counted by cause and names the
//! rule ([`OrderCounters::last_refusal`]). `CancelAll` cancels the symbol's
//! open orders. exchangeInfo also gives each symbol's base and quote asset,
//! replacing [`OrderConfig::pairs`]. (In `paper/intents.rs`.)
//!
//! Intents come from another thread through [`OrderSender`] (a lock-free
//! SPSC ring of fixed-size [`OrderCommand`]s and the loop's waker). A new
//! order for a symbol whose book is not live is refused
//! ([`OrderCounters::refused_stale_book`]): nothing is decided on a stale
//! book.

use super::{wall_ns, LiveDriver, LiveError, Sink};
use crate::auth::{Credentials, ServerClock};
use crate::binance::exchange_info::SymbolInfo;
use crate::binance::fast::Symbol;
use crate::binance::user::{decode_user, ExecutionReport, UserEvent};
use crate::book::BookState;
use crate::engine::Decide;
use crate::engine::Engine;
use crate::feed::backoff::{Backoff, BackoffConfig};
use crate::feed::conn::{Progress, Target, WsConn};
use crate::feed::url::Endpoint;
use crate::limiter::Limiter;
use crate::num::{Qty, Wide};
use crate::orders::gateway::{Action, Gateway, GatewayError, OrderIntent};
use crate::orders::table::Applied;
use crate::orders::user_stream::{
    ListenKey, ListenKeyStats, ListenKeyStream, DEFAULT_LISTEN_KEY_OVERLAP,
};
use crate::orders::{ClientId, ClientIdGen};
use crate::portfolio::risk::{Exposure, RiskGuard, RiskLimits};
use crate::portfolio::{Asset, Balance, Fill, Portfolio};
use crate::rest::{InlineQuery, RestRequest};
use mio::{Token, Waker};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod intents;
mod listen_key;

/// Order commands queued for the hot thread at most.
pub const ORDER_QUEUE_LEN: usize = 256;
/// The client order id prefix of the orders the engine's intents place.
pub const ENGINE_ID_PREFIX: &str = "kairos";
/// Orders one `CancelAll` cancels at most (the rest are counted in
/// [`OrderCounters::cancel_all_truncated`]).
pub const MAX_CANCEL_ALL: usize = 64;
/// The WS-API path on Binance and on `kairos sim`.
pub const WS_API_PATH: &str = "/ws-api/v3";

/// The order side's settings (given to [`LiveDriver::with_orders`]).
#[derive(Debug)]
pub struct OrderConfig {
    /// WS-API address: `wss://ws-api.binance.com:443/ws-api/v3`, or the
    /// simulator's `ws://127.0.0.1:PORT/ws-api/v3`.
    pub ws_api_url: String,
    /// The API key that signs (its `Debug` redacts it).
    pub credentials: Credentials,
    /// Hard risk limits.
    pub risk: RiskLimits,
    /// Base and quote asset of each traded symbol.
    pub pairs: Vec<(Symbol, Asset, Asset)>,
    /// Balances at start (from the account endpoint); the user-data stream
    /// keeps them from there.
    pub balances: Vec<(Asset, Balance)>,
    /// The asset equity is counted in (risk checks).
    pub equity_asset: Asset,
    /// Reconnect delays of the WS-API link (and of the listen-key
    /// fallback's key requests and link).
    pub reconnect: BackoffConfig,
    /// How long the listen-key stream stays open once the WS-API
    /// subscription is back ([`DEFAULT_LISTEN_KEY_OVERLAP`]).
    pub listen_key_overlap: Duration,
}

impl OrderConfig {
    /// An order side on `ws_api_url` signing with `credentials`, the
    /// default risk limits, equity in USDT, no pairs and no balances yet.
    pub fn new(ws_api_url: &str, credentials: Credentials) -> OrderConfig {
        OrderConfig {
            ws_api_url: ws_api_url.to_string(),
            credentials,
            risk: RiskLimits::default(),
            pairs: Vec::new(),
            balances: Vec::new(),
            equity_asset: Asset::new(b"USDT").unwrap_or_default(),
            reconnect: BackoffConfig::default(),
            listen_key_overlap: DEFAULT_LISTEN_KEY_OVERLAP,
        }
    }
}

/// What another thread asks of the order side. Fixed-size: the queue never
/// allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderCommand {
    /// Place a new order.
    Place(OrderIntent),
    /// Cancel an order by client id.
    Cancel {
        /// Its symbol.
        symbol: Symbol,
        /// Its client order id.
        client_id: ClientId,
    },
}

/// The sending end of the order queue (a lock-free SPSC ring).
pub struct OrderSender {
    tx: ringbuf::HeapProd<OrderCommand>,
    waker: Arc<Waker>,
}

impl OrderSender {
    /// Queues a command and wakes the hot thread; `false` when the queue is
    /// full.
    pub fn send(&mut self, c: OrderCommand) -> bool {
        use ringbuf::traits::Producer;
        let ok = self.tx.try_push(c).is_ok();
        if ok {
            let _ = self.waker.wake();
        }
        ok
    }
}

/// Counters of the order side.
#[derive(Debug, Clone, Default)]
pub struct OrderCounters {
    /// WS-API connections opened.
    pub connects: u64,
    /// WS-API connections lost (or failed to open).
    pub downs: u64,
    /// Commands taken from the queue.
    pub commands: u64,
    /// Intents the gateway accepted and sent.
    pub submitted: u64,
    /// Intents or cancels the gateway refused (risk, limiter, busy…).
    pub refused: u64,
    /// New orders refused because the symbol's book was not live.
    pub refused_stale_book: u64,
    /// Cancels sent.
    pub cancels: u64,
    /// WS-API responses handled.
    pub responses: u64,
    /// Responses matching no request.
    pub unmatched: u64,
    /// Frames that did not decode.
    pub malformed: u64,
    /// executionReports received.
    pub reports: u64,
    /// executionReports the table had already applied or found stale.
    pub duplicate_reports: u64,
    /// executionReports for orders the table does not know.
    pub unknown_reports: u64,
    /// Fills applied to the portfolio.
    pub fills: u64,
    /// Fills the portfolio refused (an error on its arithmetic or tables),
    /// or that named a symbol without a configured pair.
    pub fills_refused: u64,
    /// `outboundAccountPosition` events applied.
    pub account_positions: u64,
    /// `balanceUpdate` events applied.
    pub balance_updates: u64,
    /// Other user-data events.
    pub other_events: u64,
    /// Orders the exchange acknowledged.
    pub placed: u64,
    /// Orders refused by the exchange or given up.
    pub rejected: u64,
    /// Cancels the exchange refused.
    pub cancel_failed: u64,
    /// Orders left to reconciliation.
    pub needs_reconcile: u64,
    /// IP bans (418) reported.
    pub bans: u64,
    /// Rate-limit answers (HTTP 429 or -1003/-1015) received.
    pub rate_limited: u64,
    /// User-data subscriptions confirmed.
    pub subscribed: u64,
    /// Entries filled whose protective stop could not be sent (alarm).
    pub stops_not_placed: u64,
    /// REST fallback requests handed to the `rest` thread (WS-API down).
    pub rest_sent: u64,
    /// REST fallback answers received.
    pub rest_answers: u64,
    /// REST fallback requests that failed in transport (left to the
    /// gateway's timeout and status query).
    pub rest_errors: u64,
    /// REST fallback requests not sent: the `rest` ring was full or the
    /// query longer than [`crate::rest::MAX_SIGNED_QUERY`].
    pub rest_refused: u64,
    /// WS-API sends that failed (the link is going down).
    pub send_errors: u64,
    /// User-data subscriptions the WS-API refused.
    pub subscribe_refused: u64,
    /// `session.logon`s accepted (Ed25519 keys).
    pub logons: u64,
    /// `session.logon`s refused (then the signed subscription is used).
    pub logon_refused: u64,
    /// Frames received on the listen-key stream.
    pub listen_key_frames: u64,
    /// `listenKeyExpired` events received.
    pub listen_key_expired: u64,
    /// Listen-key requests not sent (limiter or full `rest` ring).
    pub listen_key_refused: u64,
    /// `outboundAccountPosition` events older than the last applied one
    /// (the other source's late copy), dropped.
    pub stale_positions: u64,
    /// `balanceUpdate` events already applied (seen on both sources),
    /// dropped.
    pub duplicate_balance_updates: u64,
    /// The listen-key fallback's own counters.
    pub listen_key: ListenKeyStats,
    /// The engine's intents admitted and handed to the gateway.
    pub intents_routed: u64,
    /// The engine's intents a hard limit refused.
    pub intents_refused_risk: u64,
    /// The engine's intents an exchange filter refused.
    pub intents_refused_filter: u64,
    /// The engine's intents for a symbol exchangeInfo has not described
    /// (yet): nothing is sent without its filters.
    pub intents_refused_no_info: u64,
    /// The engine's admitted intents the gateway refused (limiter, busy).
    pub intents_refused_gateway: u64,
    /// Admitted intents whose take-profit was not placed (the gateway
    /// places protective stops only; take-profits are not built yet).
    pub take_profits_not_placed: u64,
    /// Cancels sent for the engine's `CancelAll`.
    pub cancel_all_sent: u64,
    /// Open orders a `CancelAll` left (over [`MAX_CANCEL_ALL`]).
    pub cancel_all_truncated: u64,
    /// Symbols whose rules and assets came from exchangeInfo.
    pub symbols_from_exchange_info: u64,
    /// The realized PnL of every fill, summed, quote.
    pub realized: Wide,
    /// The last refusal, for the report.
    pub last_refusal: Option<String>,
}

/// The order side's state inside the driver.
pub(super) struct OrderSide {
    pub(super) gateway: Gateway,
    pub(super) portfolio: Portfolio,
    pub(super) counters: OrderCounters,
    target: Target,
    conn: Option<(WsConn, u16)>,
    backoff: Backoff,
    pub(super) retry_at: Option<Instant>,
    attempt_started: Instant,
    handshake_timeout: Duration,
    rx: Option<ringbuf::HeapCons<OrderCommand>>,
    pub(super) timer_ns: Option<u64>,
    pairs: Vec<(Symbol, Asset, Asset)>,
    equity_asset: Asset,
    /// The WS-API user-data subscription is confirmed on the open link.
    pub(super) ws_api_subscribed: bool,
    /// The listen-key fallback.
    pub(super) user_stream: ListenKeyStream,
    /// Its link.
    us_conn: Option<(WsConn, u16)>,
    /// When its link's connection attempt began (the handshake timeout).
    us_started: Instant,
    /// The market streams' address (the listen-key link's base).
    us_base: Endpoint,
    /// The market links' target, whose address and TLS the listen-key link
    /// shares.
    us_template: Target,
    dedup: UserDedup,
    /// The traded symbols' rules (exchangeInfo).
    infos: Vec<SymbolInfo>,
    /// Client ids of the engine's orders.
    engine_ids: ClientIdGen,
}

impl OrderSide {
    pub(super) fn token(&self) -> Option<Token> {
        self.conn.as_ref().map(|(c, _)| c.token())
    }

    pub(super) fn us_token(&self) -> Option<Token> {
        self.us_conn.as_ref().map(|(c, _)| c.token())
    }

    /// Whether user data flows (WS-API subscription or listen-key stream).
    pub(super) fn user_data_live(&self) -> bool {
        self.ws_api_subscribed || self.user_stream.is_open()
    }
}

/// `balanceUpdate`s remembered to drop a second copy, at most.
pub const BALANCE_UPDATES_REMEMBERED: usize = 32;

/// What the two user-data sources may both deliver, remembered to apply
/// it once: the last account position's update time, recent balance
/// updates.
#[derive(Default)]
struct UserDedup {
    last_position_ms: u64,
    /// (event time, clear time, delta units, asset) of recent
    /// balance updates (a ring).
    balance_updates: [(u64, u64, i64, Asset); BALANCE_UPDATES_REMEMBERED],
    next: usize,
}

/// Where a user-data frame came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The WS-API link (responses and enveloped events).
    WsApi,
    /// The listen-key stream (bare events only).
    ListenKey,
}

fn is_event(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    bytes[start..].starts_with(b"{\"subscriptionId\"")
        || bytes.windows(9).any(|w| w == b"\"event\":{")
}

/// One frame of the WS-API link or of the listen-key stream: responses to
/// the gateway, events through one path whatever their source. Returns the
/// key a `listenKeyExpired` event names.
#[allow(clippy::too_many_arguments)]
fn on_frame(
    gateway: &mut Gateway,
    portfolio: &mut Portfolio,
    counters: &mut OrderCounters,
    dedup: &mut UserDedup,
    pairs: &[(Symbol, Asset, Asset)],
    source: Source,
    bytes: &[u8],
    now_ns: u64,
) -> Option<ListenKey> {
    if source == Source::ListenKey {
        counters.listen_key_frames += 1;
    } else if !is_event(bytes) {
        counters.responses += 1;
        match gateway.on_ws_text(bytes, now_ns) {
            Ok(()) => {}
            Err(GatewayError::Unmatched) => counters.unmatched += 1,
            Err(GatewayError::Decode(_)) => counters.malformed += 1,
        }
        return None;
    }
    let msg = match decode_user(bytes) {
        Ok(m) => m,
        Err(_) => {
            counters.malformed += 1;
            return None;
        }
    };
    match msg.event {
        UserEvent::ExecutionReport(r) => {
            counters.reports += 1;
            match gateway.on_execution_report(&r, now_ns) {
                Ok(Applied::Moved { fill: true, .. } | Applied::LateFill) => {
                    on_fill(portfolio, counters, pairs, &r);
                }
                Ok(Applied::Duplicate | Applied::StaleOutOfOrder) => {
                    counters.duplicate_reports += 1;
                }
                Ok(_) => {}
                Err(_) => counters.unknown_reports += 1,
            }
        }
        UserEvent::AccountPosition(ap) => {
            if ap.last_update_time_ms < dedup.last_position_ms {
                counters.stale_positions += 1;
                return None;
            }
            match portfolio.on_account_position(&ap) {
                Ok(_) => {
                    dedup.last_position_ms = ap.last_update_time_ms;
                    counters.account_positions += 1;
                }
                Err(_) => counters.malformed += 1,
            }
        }
        UserEvent::BalanceUpdate(bu) => {
            let Some(asset) = Asset::new(bu.asset.as_bytes()) else {
                counters.malformed += 1;
                return None;
            };
            let id = (bu.event_time_ms, bu.clear_time_ms, bu.delta.units(), asset);
            if dedup.balance_updates.contains(&id) {
                counters.duplicate_balance_updates += 1;
                return None;
            }
            match portfolio.on_balance_update(&bu) {
                Ok(()) => {
                    dedup.balance_updates[dedup.next] = id;
                    dedup.next = (dedup.next + 1) % BALANCE_UPDATES_REMEMBERED;
                    counters.balance_updates += 1;
                }
                Err(_) => counters.malformed += 1,
            }
        }
        UserEvent::ListenKeyExpired(e) => {
            counters.listen_key_expired += 1;
            return ListenKey::new(&e.listen_key);
        }
        _ => counters.other_events += 1,
    }
    None
}

fn on_fill(
    portfolio: &mut Portfolio,
    counters: &mut OrderCounters,
    pairs: &[(Symbol, Asset, Asset)],
    r: &ExecutionReport,
) {
    let Some((symbol, base, quote)) = pairs
        .iter()
        .find(|(s, _, _)| s.as_str() == r.symbol)
        .copied()
    else {
        counters.fills_refused += 1;
        return;
    };
    let Some(price) = r.last_executed_price.filter(|p| !p.is_zero()) else {
        counters.fills_refused += 1;
        return;
    };
    let Ok(commission) = Qty::from_units(r.commission.units()) else {
        counters.fills_refused += 1;
        return;
    };
    let fill = Fill {
        symbol,
        base,
        quote,
        side: r.side,
        qty: r.last_executed_qty,
        price,
        commission,
        commission_asset: r
            .commission_asset
            .as_deref()
            .and_then(|a| Asset::new(a.as_bytes())),
    };
    match portfolio.apply_fill(&fill) {
        Ok(realized) => {
            counters.fills += 1;
            counters.realized = counters.realized.checked_add(realized).unwrap_or(Wide::MAX);
        }
        Err(_) => counters.fills_refused += 1,
    }
}

/// Subscribes the user data with the signed form (no session needed); a
/// refusal turns the listen-key fallback on.
fn subscribe_signed(o: &mut OrderSide) {
    if let Err(e) = o.gateway.subscribe_user_data_signed(wall_ns()) {
        o.counters.refused += 1;
        o.counters.last_refusal = Some(format!("user data subscription: {e}"));
        o.user_stream.set_ws_api_subscribed(false, wall_ns());
    }
}

/// What the hard limits weigh an order for `symbol` against: equity (the
/// positions marked at the best bid), the position, the open orders.
fn exposure_of<D: Decide>(o: &OrderSide, engine: &Engine<D>, symbol: &Symbol) -> Exposure {
    let mark = |s: &Symbol| {
        engine
            .symbols()
            .find(|r| r.symbol == *s)
            .and_then(|r| r.best_bid)
            .map(|l| l.price)
    };
    Exposure {
        equity: o
            .portfolio
            .equity(&o.equity_asset, mark)
            .unwrap_or(Wide::ZERO),
        position_qty: o.portfolio.position(symbol).map_or(Wide::ZERO, |p| p.qty),
        open_orders: u32::try_from(o.gateway.table.open_count()).unwrap_or(u32::MAX),
    }
}

impl<D: Decide, S: Sink> LiveDriver<D, S> {
    /// Adds the order side: a WS-API link to `cfg.ws_api_url`, a gateway
    /// signing with `cfg.credentials` and a portfolio. The gateway's rate
    /// limiter is the driver's own (the one the depth snapshots pass): one
    /// set of counters for every request kairos sends.
    pub fn with_orders(mut self, cfg: OrderConfig) -> Result<Self, LiveError> {
        let ep = Endpoint::parse(&cfg.ws_api_url)?;
        let roots: Vec<&std::path::Path> = self.cfg.root_pem.iter().map(|p| p.as_path()).collect();
        let tls = if ep.secure {
            Some(crate::feed::tls::client_config(&roots)?)
        } else {
            None
        };
        let addr = ep.resolve()?[0];
        let target = Target {
            addr,
            host: ep.host.clone(),
            url: ep.ws_url(),
            tls,
            max_message_bytes: self.cfg.max_message_bytes,
        };
        // The listen-key link: the market streams' address.
        let us_base = Endpoint::parse(&self.cfg.ws)?;
        let us_tls = if us_base.secure {
            Some(crate::feed::tls::client_config(&roots)?)
        } else {
            None
        };
        let us_template = Target {
            addr: us_base.resolve()?[0],
            host: us_base.host.clone(),
            url: us_base.ws_url(),
            tls: us_tls,
            max_message_bytes: self.cfg.max_message_bytes,
        };
        // The REST fallback's requests carry the key in a header.
        self.rest.set_api_key(cfg.credentials.api_key());
        let limiter = std::mem::replace(&mut self.limiter, Limiter::with_default_limits());
        let gateway = Gateway::new(
            cfg.credentials,
            RiskGuard::new(cfg.risk),
            limiter,
            ServerClock::default(),
        );
        let mut portfolio = Portfolio::new();
        for (a, b) in &cfg.balances {
            portfolio
                .set_balance(*a, *b)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        let now = Instant::now();
        self.orders = Some(OrderSide {
            gateway,
            portfolio,
            counters: OrderCounters::default(),
            target,
            conn: None,
            backoff: Backoff::new(cfg.reconnect, self.cfg.seed ^ 0x6f72_6465_7273),
            retry_at: Some(now),
            attempt_started: now,
            handshake_timeout: self.cfg.handshake_timeout,
            rx: None,
            timer_ns: None,
            pairs: cfg.pairs,
            equity_asset: cfg.equity_asset,
            ws_api_subscribed: false,
            user_stream: ListenKeyStream::new(
                cfg.listen_key_overlap,
                cfg.reconnect,
                self.cfg.seed ^ 0x6c69_7374_656e,
            ),
            us_conn: None,
            us_started: now,
            us_base,
            us_template,
            dedup: UserDedup::default(),
            infos: Vec::new(),
            engine_ids: ClientIdGen::new(ENGINE_ID_PREFIX, wall_ns() / 1_000_000)
                .map_err(|e| std::io::Error::other(e.to_string()))?,
        });
        Ok(self)
    }

    /// The queue through which another thread places and cancels orders
    /// (one sender; a second call replaces it). `None` without an order side.
    pub fn orders(&mut self) -> Option<OrderSender> {
        use ringbuf::traits::Split;
        let o = self.orders.as_mut()?;
        let (tx, rx) = ringbuf::HeapRb::<OrderCommand>::new(ORDER_QUEUE_LEN).split();
        o.rx = Some(rx);
        Some(OrderSender {
            tx,
            waker: self.waker.clone(),
        })
    }

    /// The order gateway (its table, risk guard and limiter), if configured.
    pub fn gateway(&self) -> Option<&Gateway> {
        self.orders.as_ref().map(|o| &o.gateway)
    }

    /// The portfolio, if the order side is configured.
    pub fn portfolio(&self) -> Option<&Portfolio> {
        self.orders.as_ref().map(|o| &o.portfolio)
    }

    /// The order side's counters, if configured.
    pub fn order_counters(&self) -> Option<&OrderCounters> {
        self.orders.as_ref().map(|o| &o.counters)
    }

    /// The order side's counters with the listen-key fallback's, if
    /// configured.
    pub fn order_report(&self) -> Option<OrderCounters> {
        self.orders.as_ref().map(|o| {
            let mut c = o.counters.clone();
            c.listen_key = *o.user_stream.stats();
            c
        })
    }

    /// The rate limiter every request passes (the gateway's when the order
    /// side is configured).
    pub(super) fn limiter(&mut self) -> &mut Limiter {
        match self.orders.as_mut() {
            Some(o) => &mut o.gateway.limiter,
            None => &mut self.limiter,
        }
    }

    /// Connects, times out the handshake, runs the gateway's timers.
    pub(super) fn order_timers(&mut self, now: Instant) {
        let Some(o) = self.orders.as_mut() else {
            return;
        };
        if o.conn.is_none() {
            if o.retry_at.is_some_and(|r| now >= r) {
                o.retry_at = None;
                o.attempt_started = now;
                let id = self.next_conn_id;
                self.next_conn_id = self.next_conn_id.wrapping_add(1);
                let o = self.orders.as_mut().expect("checked above");
                match WsConn::connect(self.poll.registry(), Token(id as usize), &o.target) {
                    Ok(c) => o.conn = Some((c, id)),
                    Err(e) => {
                        self.counters.last_error = Some(format!("WS-API: {e}"));
                        self.order_link_down(now);
                    }
                }
            }
        } else if o.conn.as_ref().is_some_and(|(c, _)| !c.is_open())
            && now.duration_since(o.attempt_started) > o.handshake_timeout
        {
            self.counters.last_error = Some("WS-API handshake timed out".into());
            self.order_link_down(now);
        }
        if let Some(o) = self.orders.as_ref() {
            if o.us_conn.as_ref().is_some_and(|(c, _)| !c.is_open())
                && now.duration_since(o.us_started) > o.handshake_timeout
            {
                self.counters.last_error = Some("listen-key stream handshake timed out".into());
                self.user_stream_down();
            }
        }
        let wall = wall_ns();
        if let Some(o) = self.orders.as_mut() {
            if o.timer_ns.is_some_and(|t| wall >= t) {
                o.timer_ns = None;
                o.gateway.on_timer(wall);
            }
        }
        self.order_actions();
        self.user_stream_actions();
    }

    /// A readiness event on the WS-API link.
    pub(super) fn on_order_ready(&mut self) {
        let Some(o) = self.orders.as_mut() else {
            return;
        };
        let OrderSide {
            gateway,
            portfolio,
            counters,
            target,
            conn,
            pairs,
            dedup,
            ..
        } = o;
        let Some((c, _)) = conn.as_mut() else {
            return;
        };
        let result = c.drive(target, &mut |bytes: &[u8]| {
            // A WS-API link never carries listenKeyExpired.
            let _ = on_frame(
                gateway,
                portfolio,
                counters,
                dedup,
                pairs,
                Source::WsApi,
                bytes,
                wall_ns(),
            );
        });
        let now = Instant::now();
        match result {
            Ok(Progress::Opened) => {
                o.counters.connects += 1;
                o.gateway.on_ws_up();
                if o.gateway.signs_ed25519() {
                    // Ed25519: log the connection on, then subscribe unsigned.
                    if let Err(e) = o.gateway.logon(wall_ns()) {
                        o.counters.refused += 1;
                        o.counters.last_refusal = Some(format!("session.logon: {e}"));
                        subscribe_signed(o);
                    }
                } else {
                    subscribe_signed(o);
                }
            }
            Ok(_) => {}
            Err(e) => {
                self.counters.last_error = Some(format!("WS-API: {e}"));
                self.order_link_down(now);
            }
        }
        self.order_actions();
        self.user_stream_actions();
    }

    /// The answer to a REST fallback request: to the gateway (rate-limit
    /// headers to the limiter first). A transport error is left to the
    /// gateway's response timeout, which asks for the order's status.
    pub(super) fn on_order_rest_reply(&mut self, req_id: u64, reply: crate::rest::RestReply) {
        let Some(o) = self.orders.as_mut() else {
            return;
        };
        let wall = wall_ns();
        match reply.result {
            Ok(ans) => {
                for (name, value) in &ans.limit_headers {
                    // A malformed header is the server's problem; ignored.
                    let _ = o.gateway.limiter.observe_header(name, value, wall);
                }
                o.counters.rest_answers += 1;
                let retry = ans.retry_after.map(|d| d.as_secs());
                if o.gateway
                    .on_rest_reply(req_id, ans.status, retry, &ans.body, wall)
                    .is_err()
                {
                    o.counters.malformed += 1;
                }
            }
            Err(e) => {
                o.counters.rest_errors += 1;
                self.counters.last_error = Some(format!("REST fallback: {e}"));
            }
        }
        self.order_actions();
    }

    /// The WS-API link is lost (or failed to open): outcomes of what was in
    /// flight are unknown to the gateway; retry after the back-off.
    fn order_link_down(&mut self, now: Instant) {
        let Some(o) = self.orders.as_mut() else {
            return;
        };
        if let Some((c, _)) = o.conn.take() {
            c.close(self.poll.registry());
        }
        o.counters.downs += 1;
        o.gateway.on_ws_down(wall_ns());
        o.retry_at = Some(now + o.backoff.next_delay());
        o.ws_api_subscribed = false;
        o.user_stream.set_ws_api_subscribed(false, wall_ns());
        self.user_stream_actions();
    }

    /// Carries out queued order commands.
    pub(super) fn on_order_commands(&mut self) {
        use ringbuf::traits::Consumer;
        let LiveDriver { orders, engine, .. } = self;
        let Some(o) = orders.as_mut() else {
            return;
        };
        while let Some(cmd) = o.rx.as_mut().and_then(|r| r.try_pop()) {
            o.counters.commands += 1;
            let now_ns = wall_ns();
            match cmd {
                OrderCommand::Place(intent) => {
                    if !matches!(
                        engine.book_state(&intent.symbol),
                        Some((BookState::Live, _))
                    ) {
                        o.counters.refused_stale_book += 1;
                        continue;
                    }
                    let exposure = exposure_of(o, engine, &intent.symbol);
                    match o.gateway.submit(&intent, &exposure, now_ns) {
                        Ok(_) => o.counters.submitted += 1,
                        Err(e) => {
                            o.counters.refused += 1;
                            o.counters.last_refusal = Some(e.to_string());
                        }
                    }
                }
                OrderCommand::Cancel { symbol, client_id } => {
                    match o.gateway.cancel(symbol, &client_id, now_ns) {
                        Ok(_) => o.counters.cancels += 1,
                        Err(e) => {
                            o.counters.refused += 1;
                            o.counters.last_refusal = Some(e.to_string());
                        }
                    }
                }
            }
        }
        self.order_actions();
    }

    /// Carries out the gateway's actions.
    fn order_actions(&mut self) {
        let Some(o) = self.orders.as_mut() else {
            return;
        };
        let OrderSide {
            gateway,
            counters,
            conn,
            timer_ns,
            user_stream,
            ws_api_subscribed,
            ..
        } = o;
        // After a logon answer: subscribe unsigned (`true`) or signed.
        let mut subscribe: Option<bool> = None;
        // After a subscription following a gap: audit the open orders.
        let mut audit = false;
        for a in gateway.drain() {
            match a {
                Action::SendWs { text, .. } => match conn.as_mut() {
                    Some((c, _)) if c.is_open() => {
                        if c.send_text(&text).is_err() {
                            counters.send_errors += 1;
                        }
                    }
                    _ => counters.send_errors += 1,
                },
                Action::SendRest {
                    req_id,
                    method,
                    path,
                    query,
                    signed,
                } => {
                    // The WS-API is down: the `rest` thread sends it; the
                    // answer comes back through `on_order_rest_reply`. A
                    // request that cannot be queued is left to the gateway's
                    // response timeout (then a status query).
                    let sent = InlineQuery::new(&query).is_some_and(|query| {
                        self.rest.ask(
                            RestRequest::Signed {
                                req_id,
                                method,
                                path,
                                query,
                                api_key: signed,
                            },
                            Instant::now(),
                        )
                    });
                    if sent {
                        counters.rest_sent += 1;
                    } else {
                        counters.rest_refused += 1;
                    }
                }
                Action::Timer { at_ns } => {
                    *timer_ns = Some(timer_ns.map_or(at_ns, |t| t.min(at_ns)));
                }
                Action::Placed { .. } => counters.placed += 1,
                Action::Rejected { code, reason, .. } => {
                    counters.rejected += 1;
                    if code == -1003 || code == -1015 {
                        counters.rate_limited += 1;
                    }
                    counters.last_refusal = Some(format!("rejected {code}: {reason}"));
                }
                Action::CancelFailed { .. } => counters.cancel_failed += 1,
                Action::NeedsReconcile { .. } => counters.needs_reconcile += 1,
                Action::StopNotPlaced { client_id } => {
                    counters.stops_not_placed += 1;
                    counters.last_refusal = Some(format!(
                        "protective stop of {} not placed",
                        client_id.as_str()
                    ));
                }
                Action::Banned { .. } => {
                    counters.bans += 1;
                    counters.rate_limited += 1;
                }
                Action::Subscribed => {
                    counters.subscribed += 1;
                    *ws_api_subscribed = true;
                    // Without the listen-key stream meanwhile, reports of the
                    // gap before this subscription may be lost.
                    audit |= !user_stream.is_open();
                    user_stream.set_ws_api_subscribed(true, wall_ns());
                }
                Action::LoggedOn => {
                    counters.logons += 1;
                    subscribe = Some(true);
                }
                Action::LogonRefused { code } => {
                    counters.logon_refused += 1;
                    counters.last_refusal = Some(format!("session.logon refused: {code}"));
                    subscribe = Some(false);
                }
                Action::SubscribeRefused { code } => {
                    counters.subscribe_refused += 1;
                    counters.last_refusal = Some(format!("user data subscription refused: {code}"));
                    *ws_api_subscribed = false;
                    user_stream.set_ws_api_subscribed(false, wall_ns());
                }
            }
        }
        // Every deadline still waiting, not only the earliest asked for.
        if let Some(t) = gateway.next_deadline_ns() {
            *timer_ns = Some(timer_ns.map_or(t, |x| x.min(t)));
        }
        let audited = audit && o.gateway.audit_open_orders(wall_ns()) > 0;
        match subscribe {
            Some(true) => {
                if let Err(e) = o.gateway.subscribe_user_data(wall_ns()) {
                    o.counters.refused += 1;
                    o.counters.last_refusal = Some(format!("user data subscription: {e}"));
                    o.user_stream.set_ws_api_subscribed(false, wall_ns());
                }
            }
            Some(false) => subscribe_signed(o),
            None if !audited => return,
            None => {}
        }
        // The subscription's or the audit's requests go out now.
        self.order_actions();
    }

    /// Closes the WS-API link at the end of a run.
    pub(super) fn close_orders(&mut self) {
        if let Some((c, _)) = self.orders.as_mut().and_then(|o| o.conn.take()) {
            c.close(self.poll.registry());
        }
        if let Some((c, _)) = self.orders.as_mut().and_then(|o| o.us_conn.take()) {
            c.close(self.poll.registry());
        }
    }

    /// The earliest time the order side needs the loop.
    pub(super) fn order_deadline(&self, now: Instant) -> Option<Instant> {
        let o = self.orders.as_ref()?;
        let wall = wall_ns();
        let at = |t: u64| now + Duration::from_nanos(t.saturating_sub(wall));
        [
            o.retry_at,
            o.timer_ns.map(at),
            o.user_stream.next_deadline_ns().map(at),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
