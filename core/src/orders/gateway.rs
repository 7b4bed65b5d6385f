//! The client-side order gateway: a sans-I/O state machine between the
//! engine's order intents and Binance's WebSocket API (REST when the WS-API
//! connection is down).
//!
//! The driver feeds it what happened ([`Gateway::submit`],
//! [`Gateway::on_ws_text`], [`Gateway::on_rest_reply`], [`Gateway::on_timer`],
//! [`Gateway::on_ws_down`], [`Gateway::on_execution_report`]) with the
//! wall-clock time in ns since the epoch, and carries out the [`Action`]s it
//! leaves in [`Gateway::drain`]: send a WS text frame, send a signed REST
//! request, wake me at a time; plus notices for the engine. The gateway
//! never touches a socket or reads a clock.
//!
//! Rules:
//! - **Before the wire**: an intent passes [`RiskGuard::check`], then
//!   [`Limiter::admit`]; a refusal names the rule and nothing is sent.
//! - **Success** of `order.place` records the order id in the table; the
//!   status moves on the executionReports ([`Gateway::on_execution_report`]).
//! - **-1021** (timestamp outside `recvWindow`): the server clock is resynced
//!   (a `time` request) and the request is sent once more; a second -1021
//!   rejects it.
//! - **Unknown outcome** (no answer within [`RESPONSE_TIMEOUT_NS`], the
//!   connection dropped, -1006/-1007): never re-placed blindly. The order is
//!   queried by `origClientOrderId`; only when the exchange says it does not
//!   exist (-2013) is it sent again **with the same `newClientOrderId`**, at
//!   most [`MAX_PLACE_SENDS`] times in all. A -2010 "Duplicate order sent."
//!   means it was placed: it is queried, never rejected.
//! - **429 / -1003 / -1015**: the limiter takes the `retryAfter` and stops
//!   the scope; the order is held and sent again when the limiter admits it.
//!   **418**: the limiter stops everything until the ban ends and the alarm
//!   is raised; nothing is sent before, whatever the timers say.
//! - **REST fallback**: while the WS-API connection is down every request
//!   goes out as a signed REST request for the `rest` side thread.

use super::client_id::ClientId;
use super::fixed::{FixedStr, MAX_REASON_LEN, MAX_SYMBOL_LEN};
use super::request::{
    cancel_replace_params, order_ref_params, write_rest_query, write_ws_request, BuildError,
    CancelReplaceMode, Dec, NewOrder, OrderRef, Params, ReqId, RespType, Signing, RECV_WINDOW_MS,
    REST_ORDER_PATH,
};
use super::state::Status;
use super::table::OrderTable;
use crate::auth::{Credentials, ServerClock};
use crate::binance::errors::ErrorCode;
use crate::binance::fast::Symbol;
use crate::binance::rest::{decode_api_error, ApiError};
use crate::binance::types::{OrderType, RequestId, Side, TimeInForce};
use crate::binance::user::ExecutionReport;
use crate::binance::ws_api::{decode_ws_api_response, WsApiResponse};
use crate::limiter::{Endpoint, Limiter, Priority, Refusal as LimitRefusal, NANOS_PER_MS};
use crate::num::{Price, Qty};
use crate::portfolio::risk::{Exposure, Intent, Refusal as RiskRefusal, RiskGuard};
use std::fmt;

/// Requests awaiting an answer at most.
pub const MAX_IN_FLIGHT: usize = 64;
/// Open orders one audit asks the exchange about at most
/// ([`Gateway::audit_open_orders`]).
pub const MAX_AUDIT: usize = 16;
/// Orders the gateway follows until the exchange has confirmed or refused them.
pub const MAX_TRACKED: usize = 64;
/// Entries waiting for their fill to place a protective stop at most.
pub const MAX_PROTECTED: usize = 64;
/// Appended to an entry's client id to name its protective stop (`.` never
/// appears in a [`super::ClientIdGen`] id, so the name cannot collide).
pub const STOP_ID_SUFFIX: &str = ".s";
/// How long an answer may take before the outcome counts as unknown, ns.
pub const RESPONSE_TIMEOUT_NS: u64 = 5_000 * NANOS_PER_MS;
/// Sends of one place request in all (first send plus re-sends after the
/// exchange said the order does not exist), all with the same client id.
pub const MAX_PLACE_SENDS: u8 = 3;
/// Status queries of one order before it is left to reconciliation.
pub const MAX_STATUS_QUERIES: u8 = 5;
/// Actions queued at most between two [`Gateway::drain`]s.
pub const MAX_ACTIONS: usize = 4 * MAX_IN_FLIGHT;
/// The message of a -2010 that means the client id was already placed.
pub const DUPLICATE_ORDER_MSG: &str = "Duplicate order sent.";
/// The REST path of `order.cancelReplace`.
pub const REST_CANCEL_REPLACE_PATH: &str = "/api/v3/order/cancelReplace";
/// Bytes reserved for one request's text.
pub const REQUEST_TEXT_CAPACITY: usize = 1024;

/// HTTP method of a REST action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
    /// DELETE.
    Delete,
    /// PUT (listen-key keepalive).
    Put,
}

/// What the driver must do, or tell the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this text frame on the WS-API connection.
    SendWs {
        /// The request id inside.
        req_id: u64,
        /// The JSON request.
        text: String,
    },
    /// Perform this REST request on the `rest` side thread, then answer with
    /// [`Gateway::on_rest_reply`].
    SendRest {
        /// The id to answer with.
        req_id: u64,
        /// Method.
        method: HttpMethod,
        /// Path (`/api/v3/order`).
        path: &'static str,
        /// The query string, signed when `signed`.
        query: String,
        /// Whether to add the `X-MBX-APIKEY` header.
        signed: bool,
    },
    /// Call [`Gateway::on_timer`] at this time (ns since the epoch).
    Timer {
        /// When.
        at_ns: u64,
    },
    /// The exchange has the order (acknowledged, or found by a status query).
    Placed {
        /// Client order id.
        client_id: ClientId,
        /// Exchange order id.
        order_id: u64,
    },
    /// The exchange refused the order, or it was given up: never on the book.
    Rejected {
        /// Client order id.
        client_id: ClientId,
        /// Binance's error code (0 when refused locally).
        code: i32,
        /// Why.
        reason: FixedStr<MAX_REASON_LEN>,
    },
    /// A cancel was refused (the order was already gone: -2011).
    CancelFailed {
        /// Client order id of the order.
        client_id: ClientId,
        /// Binance's error code.
        code: i32,
    },
    /// The outcome of an order could not be established after
    /// [`MAX_STATUS_QUERIES`] queries: reconcile (open orders) before trading on.
    NeedsReconcile {
        /// Client order id.
        client_id: ClientId,
    },
    /// An entry filled but its protective stop could not be sent: alarm.
    StopNotPlaced {
        /// The entry's client order id.
        client_id: ClientId,
    },
    /// An IP ban (418) until this time: alarm.
    Banned {
        /// When it ends, ns since the epoch.
        until_ns: u64,
    },
    /// The user data stream subscription is live.
    Subscribed,
    /// The user data stream subscription was refused (the driver falls
    /// back to a listen-key stream).
    SubscribeRefused {
        /// Binance's error code.
        code: i32,
    },
    /// `session.logon` succeeded: the connection is authenticated
    /// (subscribe with [`Gateway::subscribe_user_data`]).
    LoggedOn,
    /// `session.logon` was refused (subscribe with the signed form).
    LogonRefused {
        /// Binance's error code.
        code: i32,
    },
}

/// Why an intent never reached the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitRefusal {
    /// A hard risk limit (names the rule and the numbers).
    Risk(RiskRefusal),
    /// The rate limiter (names the limit, or the back-off / ban).
    Limiter(LimitRefusal),
    /// More than [`MAX_TRACKED`] orders or [`MAX_IN_FLIGHT`] requests pending.
    Busy,
    /// The order table refused it (full, or the client id is in use).
    Table,
    /// The request could not be built.
    Build(BuildError),
}

impl fmt::Display for SubmitRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitRefusal::Risk(r) => write!(f, "risk: {r}"),
            SubmitRefusal::Limiter(r) => write!(f, "rate limit: {r}"),
            SubmitRefusal::Busy => write!(
                f,
                "gateway busy: {MAX_TRACKED} orders or {MAX_IN_FLIGHT} requests pending"
            ),
            SubmitRefusal::Table => write!(f, "order table refused the order"),
            SubmitRefusal::Build(e) => write!(f, "{e}"),
        }
    }
}

/// Why an inbound message was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The frame did not decode.
    #[error("WS-API response: {0}")]
    Decode(String),
    /// It answers no request in flight (late, duplicate, or not ours).
    #[error("response to no request in flight")]
    Unmatched,
}

/// An order the engine asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderIntent {
    /// The client order id (from [`super::ClientIdGen`]).
    pub client_id: ClientId,
    /// Symbol.
    pub symbol: Symbol,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force (limit orders).
    pub time_in_force: Option<TimeInForce>,
    /// Quantity.
    pub qty: Qty,
    /// Limit price, or the reference price of a market order (risk checks).
    pub price: Price,
    /// The plugin's protective stop, if any (risk checks).
    pub stop: Option<Price>,
    /// Decimals to print the price with (the symbol's tick size).
    pub price_places: u8,
    /// Decimals to print the quantity with (the symbol's step size).
    pub qty_places: u8,
}

/// What [`Gateway::submit`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    /// The request id sent.
    pub req_id: u64,
    /// The stop risk requires with this order (the plugin's or a forced one):
    /// the engine places it once the order fills.
    pub stop: Option<Price>,
    /// Whether the stop was forced by the core.
    pub forced_stop: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The place (or cancelReplace) request is in flight.
    Sending,
    /// A status query is in flight.
    Querying,
    /// Waiting for the server clock before sending again (`query`: a status
    /// query rather than the place).
    AwaitClock { query: bool },
    /// Held by the limiter until `until_ns`.
    Held { until_ns: u64, query: bool },
}

#[derive(Debug, Clone, Copy)]
struct Tracked {
    intent: OrderIntent,
    phase: Phase,
    sends: u8,
    queries: u8,
    clock_retried: bool,
    /// Placed through `order.cancelReplace` of this order: never re-sent.
    replaces: Option<ClientId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Place,
    Status,
    Cancel,
    Time,
    Subscribe,
    Logon,
    /// An audit's `order.status` of an acknowledged open order
    /// (`cancel_of` names it).
    Audit,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    req_id: u64,
    what: What,
    /// Index into `orders` (place, status), or the cancelled order's id.
    order: Option<usize>,
    cancel_of: Option<(Symbol, ClientId)>,
    sent_ms: u64,
    deadline_ns: u64,
    via_rest: bool,
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GatewayStats {
    /// Place requests sent (re-sends included).
    pub places_sent: u64,
    /// Re-sends with the same client id after the exchange said unknown.
    pub resends: u64,
    /// Status queries sent.
    pub status_queries: u64,
    /// Protective stops sent after their entry filled.
    pub stops_placed: u64,
    /// Protective stops that could not be sent (alarm).
    pub stops_not_placed: u64,
    /// Entries with a stop that could not be tracked (table full; alarm).
    pub stops_untracked: u64,
    /// Status answers that found a submitted order past `NEW` (filled,
    /// cancelled, expired) with none of its reports received: reconcile.
    pub query_needs_reconcile: u64,
    /// Clock resyncs after -1021.
    pub clock_resyncs: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Responses matching no request.
    pub unmatched: u64,
    /// Intents refused by risk.
    pub risk_refused: u64,
    /// Intents refused by the limiter.
    pub limiter_refused: u64,
    /// Requests sent over REST.
    pub rest_sent: u64,
    /// Audit status queries sent (after a user-data gap).
    pub audits: u64,
    /// Audits that found the exchange ahead of the order's reports (a
    /// report lost in the gap): the order is flagged for reconciliation.
    pub audit_mismatches: u64,
}

/// The gateway. Owns the order table, the risk guard, the limiter and the
/// server clock it consults (all on the hot thread).
pub struct Gateway {
    credentials: Credentials,
    /// The orders, applied from executionReports.
    pub table: OrderTable,
    /// Hard risk limits.
    pub risk: RiskGuard,
    /// Request admission.
    pub limiter: Limiter,
    /// Server time offset behind `timestamp`.
    pub clock: ServerClock,
    ws_up: bool,
    next_req: u64,
    orders: Vec<Option<Tracked>>,
    pending: Vec<Option<Pending>>,
    actions: Vec<Action>,
    out: String,
    scratch: String,
    time_in_flight: bool,
    stats: GatewayStats,
    protect: Vec<Option<Protect>>,
}

/// An entry whose protective stop is due once it has filled.
#[derive(Debug, Clone, Copy)]
struct Protect {
    entry: OrderIntent,
    stop: Price,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("credentials", &self.credentials)
            .field("ws_up", &self.ws_up)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn now_ms(now_ns: u64) -> u64 {
    now_ns / NANOS_PER_MS
}

fn rate_limited(status: u16, code: Option<i32>) -> bool {
    status == 429
        || status == 418
        || matches!(
            code.map(ErrorCode::from_code_lossless),
            Some(ErrorCode::TooManyRequests | ErrorCode::TooManyOrders)
        )
}

impl Gateway {
    /// A gateway signing with `credentials`; the WS-API connection starts up.
    pub fn new(
        credentials: Credentials,
        risk: RiskGuard,
        limiter: Limiter,
        clock: ServerClock,
    ) -> Gateway {
        Gateway {
            credentials,
            table: OrderTable::new(),
            risk,
            limiter,
            clock,
            ws_up: true,
            next_req: 1,
            orders: vec![None; MAX_TRACKED],
            pending: vec![None; MAX_IN_FLIGHT],
            actions: Vec::with_capacity(MAX_ACTIONS),
            out: String::with_capacity(REQUEST_TEXT_CAPACITY),
            scratch: String::with_capacity(REQUEST_TEXT_CAPACITY),
            time_in_flight: false,
            stats: GatewayStats::default(),
            protect: vec![None; MAX_PROTECTED],
        }
    }

    /// The actions to carry out, oldest first.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Action> {
        self.actions.drain(..)
    }

    /// The counters.
    pub fn stats(&self) -> &GatewayStats {
        &self.stats
    }

    /// Requests awaiting an answer.
    pub fn in_flight(&self) -> usize {
        self.pending.iter().flatten().count()
    }

    /// Whether the WS-API connection is up (else requests go over REST).
    pub fn ws_up(&self) -> bool {
        self.ws_up
    }

    fn act(&mut self, a: Action) {
        // Bounded: a driver that never drains loses notices, never memory.
        if self.actions.len() < MAX_ACTIONS {
            self.actions.push(a);
        }
    }

    /// Checks an intent (risk, then limiter) and sends `order.place`.
    pub fn submit(
        &mut self,
        intent: &OrderIntent,
        exposure: &Exposure,
        now_ns: u64,
    ) -> Result<Submitted, SubmitRefusal> {
        let risk_intent = Intent {
            symbol: intent.symbol,
            side: intent.side,
            qty: intent.qty,
            price: intent.price,
            stop: intent.stop,
        };
        let admitted = self.risk.check(&risk_intent, exposure).map_err(|r| {
            self.stats.risk_refused += 1;
            SubmitRefusal::Risk(r)
        })?;
        let slot = self
            .orders
            .iter()
            .position(Option::is_none)
            .ok_or(SubmitRefusal::Busy)?;
        if self.pending.iter().all(Option::is_some) {
            return Err(SubmitRefusal::Busy);
        }
        let priority = if admitted.reduces {
            Priority::Critical
        } else {
            Priority::Order
        };
        self.admit_and_track(
            slot,
            intent,
            Endpoint::OrderPlace.request_at(priority),
            None,
            now_ns,
        )?;
        let req_id = self
            .send_place(slot, now_ns)
            .map_err(SubmitRefusal::Build)?;
        if let (Side::Buy, Some(stop), false) =
            (intent.side, admitted.stop, intent.order_type.is_algo())
        {
            // A long entry: its stop is placed once it has filled.
            match self.protect.iter().position(Option::is_none) {
                Some(k) => {
                    self.protect[k] = Some(Protect {
                        entry: *intent,
                        stop,
                    })
                }
                None => self.stats.stops_untracked += 1,
            }
        }
        Ok(Submitted {
            req_id,
            stop: admitted.stop,
            forced_stop: admitted.forced_stop,
        })
    }

    /// Replaces an open order with a new one in one `order.cancelReplace`
    /// (`STOP_ON_FAILURE`), after the same risk and limiter checks as a new
    /// order. Its outcome is resolved by querying the new client id; it is
    /// never re-sent blindly.
    pub fn cancel_replace(
        &mut self,
        old_client_id: &ClientId,
        intent: &OrderIntent,
        exposure: &Exposure,
        now_ns: u64,
    ) -> Result<u64, SubmitRefusal> {
        let risk_intent = Intent {
            symbol: intent.symbol,
            side: intent.side,
            qty: intent.qty,
            price: intent.price,
            stop: intent.stop,
        };
        self.risk.check(&risk_intent, exposure).map_err(|r| {
            self.stats.risk_refused += 1;
            SubmitRefusal::Risk(r)
        })?;
        let slot = self
            .orders
            .iter()
            .position(Option::is_none)
            .ok_or(SubmitRefusal::Busy)?;
        self.admit_and_track(
            slot,
            intent,
            Endpoint::CancelReplace.request(),
            Some(*old_client_id),
            now_ns,
        )?;
        self.send_place(slot, now_ns).map_err(SubmitRefusal::Build)
    }

    /// The steps after the risk check shared by a new order and a
    /// cancel-replace: limiter admission, a row in the order table, and the
    /// gateway's own tracking in `slot`.
    fn admit_and_track(
        &mut self,
        slot: usize,
        intent: &OrderIntent,
        request: crate::limiter::Request,
        replaces: Option<ClientId>,
        now_ns: u64,
    ) -> Result<(), SubmitRefusal> {
        self.limiter.admit(&request, now_ns).map_err(|r| {
            self.stats.limiter_refused += 1;
            SubmitRefusal::Limiter(r)
        })?;
        self.table
            .submit(
                intent.client_id.as_str(),
                intent.symbol.as_str(),
                intent.side,
                intent.qty,
            )
            .map_err(|_| SubmitRefusal::Table)?;
        self.orders[slot] = Some(Tracked {
            intent: *intent,
            phase: Phase::Sending,
            sends: 0,
            queries: 0,
            clock_retried: false,
            replaces,
        });
        Ok(())
    }

    /// Sends `order.cancel` by client id (critical priority).
    pub fn cancel(
        &mut self,
        symbol: Symbol,
        client_id: &ClientId,
        now_ns: u64,
    ) -> Result<u64, SubmitRefusal> {
        self.limiter
            .admit(&Endpoint::OrderCancel.request(), now_ns)
            .map_err(|r| {
                self.stats.limiter_refused += 1;
                SubmitRefusal::Limiter(r)
            })?;
        let params = order_ref_params(symbol.as_str(), OrderRef::ClientId(client_id.as_str()))
            .map_err(SubmitRefusal::Build)?;
        let req = self
            .send(
                What::Cancel,
                None,
                "order.cancel",
                HttpMethod::Delete,
                &params,
                true,
                now_ns,
            )
            .map_err(SubmitRefusal::Build)?
            .ok_or(SubmitRefusal::Busy)?;
        if let Some(p) = self.pending.iter_mut().flatten().find(|p| p.req_id == req) {
            p.cancel_of = Some((symbol, *client_id));
        }
        Ok(req)
    }

    /// Sends `userDataStream.subscribe` (needs an authenticated session:
    /// `session.logon` with an Ed25519 key).
    pub fn subscribe_user_data(&mut self, now_ns: u64) -> Result<u64, SubmitRefusal> {
        self.subscribe("userDataStream.subscribe", false, now_ns)
    }

    /// Whether the key is Ed25519 (it may `session.logon`; Binance
    /// refuses that to HMAC and RSA keys).
    pub fn signs_ed25519(&self) -> bool {
        self.credentials.ed25519_public_key().is_some()
    }

    /// Sends `session.logon` (signed, Ed25519 keys): the connection is then
    /// authenticated ([`Action::LoggedOn`] or [`Action::LogonRefused`]).
    pub fn logon(&mut self, now_ns: u64) -> Result<u64, SubmitRefusal> {
        self.limiter
            .admit(&Endpoint::SessionLogon.request(), now_ns)
            .map_err(SubmitRefusal::Limiter)?;
        let params = Params::new();
        let ws_was = self.ws_up;
        // A session exists only on the WS-API.
        self.ws_up = true;
        let r = self.send(
            What::Logon,
            None,
            "session.logon",
            HttpMethod::Get,
            &params,
            true,
            now_ns,
        );
        self.ws_up = ws_was;
        r.map_err(SubmitRefusal::Build)?.ok_or(SubmitRefusal::Busy)
    }

    /// After a gap in the user data (a listen key that expired, a stream
    /// that dropped): asks the exchange for the status of every
    /// acknowledged open order (at most [`MAX_AUDIT`]). An answer ahead of
    /// the order's reports (more executed, or a final status) means a
    /// report was lost in the gap: [`Action::NeedsReconcile`], and the
    /// table flags the order. The fills themselves are not in the answer,
    /// so nothing is booked from it. Returns the queries sent.
    pub fn audit_open_orders(&mut self, now_ns: u64) -> usize {
        let mut todo = [None::<(Symbol, ClientId)>; MAX_AUDIT];
        let mut n = 0;
        for o in self.table.iter() {
            // Submitted orders are the tracked ones' business (their own
            // status queries).
            if !matches!(
                o.status,
                Status::New | Status::PartiallyFilled | Status::PendingCancel
            ) {
                continue;
            }
            if n == MAX_AUDIT {
                break;
            }
            let Some(symbol) = Symbol::new(o.symbol.as_str().as_bytes()) else {
                continue;
            };
            todo[n] = Some((symbol, o.client_id));
            n += 1;
        }
        let mut sent = 0;
        for (symbol, cid) in todo.iter().flatten() {
            if self
                .limiter
                .admit(&Endpoint::OrderStatus.request_at(Priority::Order), now_ns)
                .is_err()
            {
                break;
            }
            let built = order_ref_params(symbol.as_str(), OrderRef::ClientId(cid.as_str()))
                .and_then(|params| {
                    self.send(
                        What::Audit,
                        None,
                        "order.status",
                        HttpMethod::Get,
                        &params,
                        true,
                        now_ns,
                    )
                });
            let Ok(Some(req_id)) = built else { break };
            if let Some(p) = self
                .pending
                .iter_mut()
                .flatten()
                .find(|p| p.req_id == req_id)
            {
                p.cancel_of = Some((*symbol, *cid));
            }
            self.stats.audits += 1;
            sent += 1;
        }
        sent
    }

    fn on_audit_response(&mut self, symbol: Symbol, cid: ClientId, resp: &WsApiResponse) {
        let Some(r) = resp.result.as_ref().filter(|_| resp.status == 200) else {
            return;
        };
        let executed = r
            .get("executedQty")
            .and_then(serde_json::Value::as_str)
            .and_then(|q| Qty::parse(q).ok());
        let status = r.get("status").and_then(serde_json::Value::as_str);
        let Some(o) = self.table.get(symbol.as_str(), cid.as_str()) else {
            return;
        };
        let final_there = matches!(
            status,
            Some("FILLED" | "CANCELED" | "REJECTED" | "EXPIRED" | "EXPIRED_IN_MATCH")
        );
        let ahead =
            executed.is_some_and(|q| q > o.filled_qty) || (final_there && !o.status.is_terminal());
        if ahead {
            self.stats.audit_mismatches += 1;
            self.table
                .mark_needs_reconcile(symbol.as_str(), cid.as_str());
            self.act(Action::NeedsReconcile { client_id: cid });
        }
    }

    /// Sends `userDataStream.subscribe.signature` (signed; no session needed).
    pub fn subscribe_user_data_signed(&mut self, now_ns: u64) -> Result<u64, SubmitRefusal> {
        self.subscribe("userDataStream.subscribe.signature", true, now_ns)
    }

    fn subscribe(&mut self, method: &str, signed: bool, now_ns: u64) -> Result<u64, SubmitRefusal> {
        self.limiter
            .admit(&Endpoint::UserDataSubscribe.request(), now_ns)
            .map_err(SubmitRefusal::Limiter)?;
        let params = Params::new();
        let ws_was = self.ws_up;
        // The subscription exists only on the WS-API.
        self.ws_up = true;
        let r = self.send(
            What::Subscribe,
            None,
            method,
            HttpMethod::Get,
            &params,
            signed,
            now_ns,
        );
        self.ws_up = ws_was;
        r.map_err(SubmitRefusal::Build)?.ok_or(SubmitRefusal::Busy)
    }

    /// The WS-API connection dropped: every request on it has an unknown
    /// outcome. Orders are queried (over REST until it is back); cancels are
    /// sent again (a cancel is idempotent).
    pub fn on_ws_down(&mut self, now_ns: u64) {
        self.ws_up = false;
        self.time_in_flight = false;
        for k in 0..MAX_IN_FLIGHT {
            let Some(p) = self.pending[k] else { continue };
            if p.via_rest {
                continue;
            }
            self.pending[k] = None;
            self.unknown_outcome(p, now_ns);
        }
    }

    /// The WS-API connection is up again (subscribe the user data again).
    pub fn on_ws_up(&mut self) {
        self.ws_up = true;
    }

    /// Applies an executionReport to the order table.
    pub fn on_execution_report(
        &mut self,
        r: &ExecutionReport,
        now_ns: u64,
    ) -> Result<super::table::Applied, super::table::ApplyError> {
        let applied = self.table.apply(r)?;
        self.protect_filled(r, now_ns);
        Ok(applied)
    }

    /// Once a protected entry is done (filled, or cancelled/expired after a
    /// partial fill), a STOP_LOSS sell of its filled quantity at its stop:
    /// the loss limit the core promised (the plugin's stop, or the one it
    /// forced). A stop that cannot be sent is counted and alarmed
    /// ([`Action::StopNotPlaced`]).
    fn protect_filled(&mut self, r: &ExecutionReport, now_ns: u64) {
        let id = if r.orig_client_order_id.is_empty() {
            r.client_order_id.as_str()
        } else {
            r.orig_client_order_id.as_str()
        };
        let Some(k) = self.protect.iter().position(|p| {
            p.is_some_and(|p| p.entry.client_id.eq_str(id) && p.entry.symbol.as_str() == r.symbol)
        }) else {
            return;
        };
        let Some(o) = self.table.get(&r.symbol, id) else {
            return;
        };
        if !o.status.is_terminal() {
            return;
        }
        // What the account holds from it: the fills less a commission taken
        // in the base asset (the asset the symbol's name starts with), cut
        // to the quantity's decimals.
        let base_fee = o
            .commissions()
            .iter()
            .find(|c| {
                r.symbol.len() > c.asset.as_str().len() && r.symbol.starts_with(c.asset.as_str())
            })
            .map_or(0, |c| c.amount.units());
        let Some(p) = self.protect[k].take() else {
            return;
        };
        let step = 10i64.pow(u32::from(8u8.saturating_sub(p.entry.qty_places)));
        let net = (o.filled_qty.units() - base_fee).max(0) / step * step;
        let Ok(filled) = Qty::from_units(net) else {
            return;
        };
        if filled.is_zero() {
            return;
        }
        let stop = OrderIntent {
            client_id: ClientId::joined(p.entry.client_id.as_str(), STOP_ID_SUFFIX),
            symbol: p.entry.symbol,
            side: Side::Sell,
            order_type: OrderType::StopLoss,
            time_in_force: None,
            qty: filled,
            price: p.stop,
            stop: Some(p.stop),
            price_places: p.entry.price_places,
            qty_places: p.entry.qty_places,
        };
        // It only reduces the position the entry built.
        let exposure = Exposure {
            equity: crate::num::Wide::ZERO,
            position_qty: crate::num::Wide::from(crate::num::Amount::from(filled)),
            open_orders: 0,
        };
        match self.submit(&stop, &exposure, now_ns) {
            Ok(_) => self.stats.stops_placed += 1,
            Err(_) => {
                self.stats.stops_not_placed += 1;
                self.act(Action::StopNotPlaced {
                    client_id: p.entry.client_id,
                });
            }
        }
    }

    /// The earliest time [`Gateway::on_timer`] has work to do: a request's
    /// deadline or the end of a hold (`None`: nothing waits).
    pub fn next_deadline_ns(&self) -> Option<u64> {
        let pending = self.pending.iter().flatten().map(|p| p.deadline_ns);
        let held = self.orders.iter().flatten().filter_map(|t| match t.phase {
            Phase::Held { until_ns, .. } => Some(until_ns),
            _ => None,
        });
        pending.chain(held).min()
    }

    /// Timers: requests past their deadline count as unknown outcomes; held
    /// orders are sent when the limiter admits them.
    pub fn on_timer(&mut self, now_ns: u64) {
        for k in 0..MAX_IN_FLIGHT {
            let Some(p) = self.pending[k] else { continue };
            if now_ns < p.deadline_ns {
                continue;
            }
            self.pending[k] = None;
            self.stats.timeouts += 1;
            self.unknown_outcome(p, now_ns);
        }
        for k in 0..MAX_TRACKED {
            let Some(t) = self.orders[k] else { continue };
            if let Phase::Held { until_ns, query } = t.phase {
                if now_ns >= until_ns {
                    if query {
                        self.query(k, now_ns);
                    } else {
                        self.resend_place(k, now_ns);
                    }
                }
            }
        }
    }

    fn unknown_outcome(&mut self, p: Pending, now_ns: u64) {
        match p.what {
            What::Place | What::Status => {
                if let Some(k) = p.order {
                    self.query(k, now_ns);
                }
            }
            What::Cancel => {
                if let Some((symbol, cid)) = p.cancel_of {
                    let _ = self.cancel(symbol, &cid, now_ns);
                }
            }
            What::Time => {
                self.time_in_flight = false;
                self.send_time(now_ns);
            }
            What::Subscribe | What::Logon | What::Audit => {}
        }
    }

    /// One WS-API text frame (a response; user-data events go to
    /// [`Gateway::on_execution_report`]).
    pub fn on_ws_text(&mut self, bytes: &[u8], now_ns: u64) -> Result<(), GatewayError> {
        let resp =
            decode_ws_api_response(bytes).map_err(|e| GatewayError::Decode(e.to_string()))?;
        self.limiter.observe_ws_api(&resp, now_ns);
        let id = match &resp.id {
            Some(RequestId::Num(n)) => u64::try_from(*n).ok(),
            Some(RequestId::Str(s)) => s.parse().ok(),
            None => None,
        };
        self.on_response(id, &resp, now_ns)
    }

    /// A REST reply from the `rest` side thread: the HTTP status, the error
    /// code if the body is one, `Retry-After` (s), and the body.
    pub fn on_rest_reply(
        &mut self,
        req_id: u64,
        status: u16,
        retry_after_s: Option<u64>,
        body: &[u8],
        now_ns: u64,
    ) -> Result<(), GatewayError> {
        let (result, error) = if status == 200 {
            let v: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| GatewayError::Decode(e.to_string()))?;
            (Some(v), None)
        } else {
            let e = decode_api_error(body).unwrap_or(ApiError {
                code: 0,
                message: format!("HTTP {status}"),
                data: None,
            });
            (None, Some(e))
        };
        let code = error.as_ref().map(|e| e.code);
        self.limiter
            .on_http_status(status, code, retry_after_s, now_ns);
        let resp = WsApiResponse {
            id: None,
            status,
            result,
            error,
            rate_limits: Vec::new(),
        };
        self.on_response(Some(req_id), &resp, now_ns)
    }

    fn on_response(
        &mut self,
        id: Option<u64>,
        resp: &WsApiResponse,
        now_ns: u64,
    ) -> Result<(), GatewayError> {
        let Some(k) = id.and_then(|id| {
            self.pending
                .iter()
                .position(|p| p.is_some_and(|p| p.req_id == id))
        }) else {
            self.stats.unmatched += 1;
            return Err(GatewayError::Unmatched);
        };
        let Some(p) = self.pending[k].take() else {
            return Err(GatewayError::Unmatched);
        };
        match p.what {
            What::Time => self.on_time(p, resp, now_ns),
            What::Subscribe => match &resp.error {
                None if resp.is_ok() => self.act(Action::Subscribed),
                e => self.act(Action::SubscribeRefused {
                    code: e.as_ref().map_or(0, |e| e.code),
                }),
            },
            What::Audit => {
                if let Some((symbol, cid)) = p.cancel_of {
                    self.on_audit_response(symbol, cid, resp);
                }
            }
            What::Logon => match &resp.error {
                None if resp.is_ok() => self.act(Action::LoggedOn),
                e => self.act(Action::LogonRefused {
                    code: e.as_ref().map_or(0, |e| e.code),
                }),
            },
            What::Cancel => {
                if let (Some(e), Some((_, cid))) = (&resp.error, p.cancel_of) {
                    if rate_limited(resp.status, Some(e.code)) {
                        self.note_ban(resp.status);
                    }
                    self.act(Action::CancelFailed {
                        client_id: cid,
                        code: e.code,
                    });
                }
            }
            What::Place => {
                if let Some(o) = p.order {
                    self.on_place_response(o, resp, now_ns);
                }
            }
            What::Status => {
                if let Some(o) = p.order {
                    self.on_status_response(o, resp, now_ns);
                }
            }
        }
        Ok(())
    }

    fn note_ban(&mut self, status: u16) {
        if status == 418 {
            let until_ns = self.limiter.ban_until_ns();
            self.act(Action::Banned { until_ns });
        }
    }

    fn on_time(&mut self, p: Pending, resp: &WsApiResponse, now_ns: u64) {
        self.time_in_flight = false;
        let server = resp
            .result
            .as_ref()
            .and_then(|r| r.get("serverTime"))
            .and_then(serde_json::Value::as_u64);
        let Some(server) = server else {
            // No time: try again after the limiter allows.
            self.send_time(now_ns);
            return;
        };
        self.clock.sample(p.sent_ms, now_ms(now_ns), server);
        for k in 0..MAX_TRACKED {
            if let Some(Tracked {
                phase: Phase::AwaitClock { query },
                ..
            }) = self.orders[k]
            {
                if query {
                    self.query(k, now_ns);
                } else {
                    self.resend_place(k, now_ns);
                }
            }
        }
    }

    fn on_place_response(&mut self, k: usize, resp: &WsApiResponse, now_ns: u64) {
        let Some(t) = self.orders[k] else { return };
        if let Some(r) = &resp.result {
            if resp.status == 200 {
                // cancelReplace answers {cancelResult, newOrderResponse, …}.
                let r = r.get("newOrderResponse").unwrap_or(r);
                let order_id = r.get("orderId").and_then(serde_json::Value::as_u64);
                self.confirmed(k, order_id);
                return;
            }
        }
        let Some(e) = &resp.error else { return };
        let code = ErrorCode::from_code_lossless(e.code);
        if code == ErrorCode::OrderCancelReplacePartiallyFailed {
            // -2021: one half failed. When the new order went through, it
            // exists on the exchange: confirm it, never reject it.
            let data = e.data.as_ref();
            let new_ok = data
                .and_then(|d| d.get("newOrderResult"))
                .and_then(serde_json::Value::as_str)
                == Some("SUCCESS");
            if new_ok {
                let order_id = data
                    .and_then(|d| d.get("newOrderResponse"))
                    .and_then(|r| r.get("orderId"))
                    .and_then(serde_json::Value::as_u64);
                self.confirmed(k, order_id);
                return;
            }
        }
        if rate_limited(resp.status, Some(e.code)) {
            // Refused before execution: hold, send again when admitted.
            self.note_ban(resp.status);
            self.hold(k, false, now_ns);
            return;
        }
        match code {
            ErrorCode::InvalidTimestamp if !t.clock_retried => {
                self.update(k, |t| {
                    t.clock_retried = true;
                    t.phase = Phase::AwaitClock { query: false };
                });
                self.stats.clock_resyncs += 1;
                self.clock.reset();
                self.send_time(now_ns);
            }
            ErrorCode::NewOrderRejected if e.message == DUPLICATE_ORDER_MSG => {
                // The client id is already on the exchange: it was placed.
                self.query(k, now_ns);
            }
            c if c.is_execution_unknown() => self.query(k, now_ns),
            _ => self.reject(k, e.code, &e.message),
        }
    }

    fn on_status_response(&mut self, k: usize, resp: &WsApiResponse, now_ns: u64) {
        let Some(t) = self.orders[k] else { return };
        if resp.status == 200 {
            if let Some(r) = &resp.result {
                let order_id = r.get("orderId").and_then(serde_json::Value::as_u64);
                let status = r.get("status").and_then(serde_json::Value::as_str);
                let (symbol, cid) = (t.intent.symbol, t.intent.client_id);
                self.confirmed(k, order_id);
                match status {
                    // Accepted, nothing executed: the table takes the status
                    // its lost NEW report would have given.
                    Some("NEW") => {
                        self.table.accept_queried(symbol.as_str(), cid.as_str());
                    }
                    // Anything else (fills, cancels, expiry) changed balances
                    // through reports that may have been lost with the
                    // connection: the fills are not in this answer, so the
                    // account must be reconciled before trading on.
                    _ if self
                        .table
                        .get(symbol.as_str(), cid.as_str())
                        .is_some_and(|o| o.status == Status::Submitted) =>
                    {
                        self.stats.query_needs_reconcile += 1;
                        self.act(Action::NeedsReconcile { client_id: cid });
                    }
                    // Its reports already moved it: they are the better source.
                    _ => {}
                }
                return;
            }
        }
        let Some(e) = &resp.error else { return };
        if rate_limited(resp.status, Some(e.code)) {
            self.note_ban(resp.status);
            self.hold(k, true, now_ns);
            return;
        }
        match ErrorCode::from_code_lossless(e.code) {
            ErrorCode::NoSuchOrder => {
                if t.replaces.is_some() {
                    // A cancelReplace is not re-sent blindly.
                    self.reject(k, e.code, "cancelReplace: new order unknown");
                } else if t.sends < MAX_PLACE_SENDS {
                    self.stats.resends += 1;
                    self.resend_place(k, now_ns);
                } else {
                    self.reject(k, e.code, &e.message);
                }
            }
            ErrorCode::InvalidTimestamp => {
                self.update(k, |t| t.phase = Phase::AwaitClock { query: true });
                self.stats.clock_resyncs += 1;
                self.clock.reset();
                self.send_time(now_ns);
            }
            _ => self.query(k, now_ns),
        }
    }

    fn update(&mut self, k: usize, f: impl FnOnce(&mut Tracked)) {
        if let Some(t) = self.orders[k].as_mut() {
            f(t);
        }
    }

    fn confirmed(&mut self, k: usize, order_id: Option<u64>) {
        let Some(t) = self.orders[k].take() else {
            return;
        };
        let cid = t.intent.client_id;
        if let Some(id) = order_id {
            self.table
                .set_order_id(t.intent.symbol.as_str(), cid.as_str(), id);
            self.act(Action::Placed {
                client_id: cid,
                order_id: id,
            });
        }
    }

    fn reject(&mut self, k: usize, code: i32, reason: &str) {
        let Some(t) = self.orders[k].take() else {
            return;
        };
        let cid = t.intent.client_id;
        let _ = self
            .table
            .reject_submitted(cid.as_str(), t.intent.symbol.as_str(), reason);
        self.act(Action::Rejected {
            client_id: cid,
            code,
            reason: FixedStr::truncated(reason),
        });
    }

    /// Holds order `k` until the limiter's stop ends; a timer is asked for.
    fn hold(&mut self, k: usize, query: bool, now_ns: u64) {
        let endpoint = if query {
            Endpoint::OrderStatus
        } else {
            Endpoint::OrderPlace
        };
        let until_ns = match self.limiter.check(&endpoint.request(), now_ns) {
            Err(r) => r
                .retry_at_ns()
                .unwrap_or(now_ns.saturating_add(RESPONSE_TIMEOUT_NS)),
            Ok(()) => now_ns,
        };
        self.update(k, |t| t.phase = Phase::Held { until_ns, query });
        self.act(Action::Timer { at_ns: until_ns });
    }

    /// Queries order `k` by client id (unknown outcome).
    fn query(&mut self, k: usize, now_ns: u64) {
        let Some(t) = self.orders[k] else { return };
        if t.queries >= MAX_STATUS_QUERIES {
            self.orders[k] = None;
            self.act(Action::NeedsReconcile {
                client_id: t.intent.client_id,
            });
            return;
        }
        if self
            .limiter
            .admit(
                &Endpoint::OrderStatus.request_at(Priority::Critical),
                now_ns,
            )
            .is_err()
        {
            self.hold(k, true, now_ns);
            return;
        }
        let symbol = t.intent.symbol;
        let cid = t.intent.client_id;
        let built = order_ref_params(symbol.as_str(), OrderRef::ClientId(cid.as_str())).and_then(
            |params| {
                self.send(
                    What::Status,
                    Some(k),
                    "order.status",
                    HttpMethod::Get,
                    &params,
                    true,
                    now_ns,
                )
            },
        );
        match built {
            Ok(Some(_)) => {
                self.stats.status_queries += 1;
                self.update(k, |t| {
                    t.queries += 1;
                    t.phase = Phase::Querying;
                });
            }
            _ => self.hold(k, true, now_ns.saturating_add(RESPONSE_TIMEOUT_NS)),
        }
    }

    fn resend_place(&mut self, k: usize, now_ns: u64) {
        let Some(t) = self.orders[k] else { return };
        let endpoint = if t.replaces.is_some() {
            Endpoint::CancelReplace
        } else {
            Endpoint::OrderPlace
        };
        if self.limiter.admit(&endpoint.request(), now_ns).is_err() {
            self.hold(k, false, now_ns);
            return;
        }
        if self.send_place(k, now_ns).is_err() {
            self.reject(k, 0, "request could not be built");
        }
    }

    /// Sends order `k`'s place (or cancelReplace) request; the caller has
    /// admitted it.
    fn send_place(&mut self, k: usize, now_ns: u64) -> Result<u64, BuildError> {
        let Some(t) = self.orders[k] else {
            return Ok(0);
        };
        let i = t.intent;
        let new = NewOrder {
            symbol: i.symbol.as_str(),
            side: i.side,
            order_type: i.order_type,
            time_in_force: i.time_in_force,
            quantity: Some(Dec::qty(i.qty, i.qty_places)),
            price: i
                .order_type
                .has_limit_price()
                .then_some(Dec::price(i.price, i.price_places)),
            new_client_order_id: Some(i.client_id.as_str()),
            stop_price: i
                .order_type
                .is_algo()
                .then_some(i.stop)
                .flatten()
                .map(|s| Dec::price(s, i.price_places)),
            new_order_resp_type: Some(RespType::Ack),
        };
        let (method, params) = match &t.replaces {
            Some(old) => (
                "order.cancelReplace",
                cancel_replace_params(
                    CancelReplaceMode::StopOnFailure,
                    OrderRef::ClientId(old.as_str()),
                    &new,
                )?,
            ),
            None => ("order.place", new.params()?),
        };
        let sent = self.send(
            What::Place,
            Some(k),
            method,
            HttpMethod::Post,
            &params,
            true,
            now_ns,
        )?;
        match sent {
            Some(req) => {
                self.stats.places_sent += 1;
                self.update(k, |t| {
                    t.sends += 1;
                    t.phase = Phase::Sending;
                });
                Ok(req)
            }
            None => {
                self.hold(k, false, now_ns.saturating_add(RESPONSE_TIMEOUT_NS));
                Ok(0)
            }
        }
    }

    fn send_time(&mut self, now_ns: u64) {
        if self.time_in_flight {
            return;
        }
        if let Err(r) = self
            .limiter
            .admit(&Endpoint::Time.request_at(Priority::Critical), now_ns)
        {
            let at_ns = r
                .retry_at_ns()
                .unwrap_or(now_ns.saturating_add(RESPONSE_TIMEOUT_NS));
            self.act(Action::Timer { at_ns });
            return;
        }
        let params = Params::new();
        if let Ok(Some(_)) = self.send(
            What::Time,
            None,
            "time",
            HttpMethod::Get,
            &params,
            false,
            now_ns,
        ) {
            self.time_in_flight = true;
        }
    }

    /// Builds and emits one request (WS-API, or REST when the connection is
    /// down), registers it in flight and asks for its deadline timer.
    /// `Ok(None)`: no room in flight.
    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        what: What,
        order: Option<usize>,
        method: &str,
        http: HttpMethod,
        params: &Params<'_>,
        signed: bool,
        now_ns: u64,
    ) -> Result<Option<u64>, BuildError> {
        let Some(slot) = self.pending.iter().position(Option::is_none) else {
            return Ok(None);
        };
        let req_id = self.next_req;
        self.next_req += 1;
        let signing = Signing {
            credentials: &self.credentials,
            timestamp_ms: self.clock.timestamp(now_ms(now_ns)),
            recv_window_ms: Some(RECV_WINDOW_MS),
        };
        let via_rest = !self.ws_up;
        let action = if via_rest {
            let path = match method {
                "time" => "/api/v3/time",
                "order.cancelReplace" => REST_CANCEL_REPLACE_PATH,
                _ => REST_ORDER_PATH,
            };
            if signed {
                write_rest_query(&mut self.out, &mut self.scratch, params, signing)?;
            } else {
                self.out.clear();
            }
            self.stats.rest_sent += 1;
            Action::SendRest {
                req_id,
                method: http,
                path,
                query: self.out.clone(),
                signed,
            }
        } else {
            write_ws_request(
                &mut self.out,
                &mut self.scratch,
                ReqId::Num(req_id),
                method,
                params,
                signed.then_some(signing),
            )?;
            Action::SendWs {
                req_id,
                text: self.out.clone(),
            }
        };
        let deadline_ns = now_ns.saturating_add(RESPONSE_TIMEOUT_NS);
        self.pending[slot] = Some(Pending {
            req_id,
            what,
            order,
            cancel_of: None,
            sent_ms: now_ms(now_ns),
            deadline_ns,
            via_rest,
        });
        self.act(action);
        self.act(Action::Timer { at_ns: deadline_ns });
        Ok(Some(req_id))
    }

    /// The symbol text of an order the gateway follows (for logs).
    pub fn tracked(&self) -> impl Iterator<Item = (&ClientId, FixedStr<MAX_SYMBOL_LEN>)> {
        self.orders.iter().flatten().map(|t| {
            (
                &t.intent.client_id,
                FixedStr::truncated(t.intent.symbol.as_str()),
            )
        })
    }
}
