//! The listen-key fallback of the user-data stream, as a sans-I/O state
//! machine.
//!
//! kairos takes its executionReports and account updates from the WS-API
//! subscription (`userDataStream.subscribe.signature`). While that is
//! unavailable (the WS-API link is down, or the subscription was refused)
//! it falls back to Binance's older user-data stream: a listen key from
//! `POST /api/v3/userDataStream` (on the `rest` thread), read at
//! `<market streams>/ws/<listenKey>`, kept alive with a `PUT` every
//! [`LISTEN_KEY_KEEPALIVE`]. A `listenKeyExpired` event, a keepalive
//! answered -1125 or a lost connection gets a new key (a `POST` returns the
//! account's live key when it still exists) and a new connection.
//!
//! When the WS-API subscription is back, the listen-key stream stays open
//! for an overlap ([`DEFAULT_LISTEN_KEY_OVERLAP`]) so that no event falls
//! between the two sources, then it is closed and its key deleted. Events
//! that arrive on both are the same events: the order table drops the
//! second copy of an executionReport by its execution id, and the driver
//! drops stale or repeated account updates.
//!
//! **Binance spot deprecated listen keys** (its docs say so; third-party
//! reports, not checked against Binance here, say `POST /api/v3/userDataStream`
//! answers HTTP 410 Gone there since late 2025): a 410 turns the fallback off for the run
//! ([`ListenKeyStream::on_unavailable`]), and the WS-API subscription is
//! then the only source, as Binance intends. The fallback stays for venues
//! and simulators that still serve listen keys (`kairos sim` does, unless
//! told to answer 410).
//!
//! The driver feeds it what happened and carries out what [`ListenKeyStream::poll`]
//! returns; times are wall-clock ns since the epoch. No allocation: the key
//! is held inline.

use crate::feed::backoff::{Backoff, BackoffConfig};
use crate::orders::gateway::HttpMethod;
use std::time::Duration;

/// The longest listen key accepted, bytes (Binance's are 60).
pub const MAX_LISTEN_KEY_LEN: usize = 64;
/// A live listen key is kept alive this often (Binance: valid 60 min after
/// its creation or last keepalive; it recommends a keepalive every 30 min).
pub const LISTEN_KEY_KEEPALIVE: Duration = Duration::from_secs(30 * 60);
/// A keepalive that failed (transport, 5xx, limiter) is tried again after
/// this long.
pub const LISTEN_KEY_KEEPALIVE_RETRY: Duration = Duration::from_secs(60);
/// How long the listen-key stream stays open after the WS-API subscription
/// is back (both deliver meanwhile; duplicates are dropped).
pub const DEFAULT_LISTEN_KEY_OVERLAP: Duration = Duration::from_secs(2);
/// The REST path of listen keys.
pub const USER_DATA_STREAM_PATH: &str = "/api/v3/userDataStream";

/// A listen key, held inline (ASCII letters and digits).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ListenKey {
    len: u8,
    bytes: [u8; MAX_LISTEN_KEY_LEN],
}

impl ListenKey {
    /// `s`, or `None` when it is empty, longer than [`MAX_LISTEN_KEY_LEN`]
    /// or holds anything but ASCII letters and digits (it goes into a URL).
    pub fn new(s: &str) -> Option<ListenKey> {
        if s.is_empty()
            || s.len() > MAX_LISTEN_KEY_LEN
            || !s.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return None;
        }
        let mut bytes = [0u8; MAX_LISTEN_KEY_LEN];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Some(ListenKey {
            len: s.len() as u8,
            bytes,
        })
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        // Checked ASCII at construction.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl std::fmt::Debug for ListenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Whoever holds it reads the account's events: not printed.
        write!(f, "ListenKey({} chars)", self.len)
    }
}

/// A listen-key request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOp {
    /// `POST`: a new key, or the live one extended.
    Create,
    /// `PUT ?listenKey=`: extend its validity.
    KeepAlive,
    /// `DELETE ?listenKey=`: close it.
    Close,
}

impl KeyOp {
    /// Its HTTP method.
    pub fn method(self) -> HttpMethod {
        match self {
            KeyOp::Create => HttpMethod::Post,
            KeyOp::KeepAlive => HttpMethod::Put,
            KeyOp::Close => HttpMethod::Delete,
        }
    }
}

/// What the driver must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamAction {
    /// `POST /api/v3/userDataStream`; answer with [`ListenKeyStream::on_key`].
    RequestKey,
    /// `PUT` this key; answer with [`ListenKeyStream::on_keepalive`].
    KeepAlive(ListenKey),
    /// `DELETE` this key (no answer needed).
    CloseKey(ListenKey),
    /// Open `<market streams>/ws/<key>`; then [`ListenKeyStream::on_open`]
    /// or [`ListenKeyStream::on_down`].
    Connect(ListenKey),
    /// Close the listen-key connection (no [`ListenKeyStream::on_down`]).
    Disconnect,
}

/// How a keepalive ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAliveOutcome {
    /// Extended.
    Ok,
    /// -1125: the key no longer exists (expired or closed).
    Gone,
    /// Anything else (transport, 5xx, 429, limiter): tried again later.
    Failed,
}

/// Counters of the fallback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListenKeyStats {
    /// Times the fallback was turned on (the WS-API subscription lost).
    pub activations: u64,
    /// Keys received from `POST`.
    pub keys_obtained: u64,
    /// `POST`s that failed.
    pub key_failures: u64,
    /// Keepalives sent.
    pub keepalives: u64,
    /// Keepalives that failed (not -1125).
    pub keepalive_failures: u64,
    /// Keys found gone by a keepalive (-1125).
    pub keys_gone: u64,
    /// `listenKeyExpired` events for the current key.
    pub expired: u64,
    /// Connections opened.
    pub connects: u64,
    /// Connections lost (or failed to open).
    pub downs: u64,
    /// Keys closed after the WS-API subscription came back.
    pub switched_back: u64,
    /// `POST` answered HTTP 410 Gone: the venue has no listen keys (Binance
    /// spot since 2026); the fallback is off for the rest of the run.
    pub unavailable: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conn {
    Down,
    Connecting,
    Open,
}

/// The fallback's state.
#[derive(Debug, Clone)]
pub struct ListenKeyStream {
    wanted: bool,
    key: Option<ListenKey>,
    key_in_flight: bool,
    conn: Conn,
    last_keepalive_ns: u64,
    keepalive_in_flight: bool,
    keepalive_ns: u64,
    retry_at_ns: u64,
    close_at_ns: Option<u64>,
    overlap_ns: u64,
    backoff: Backoff,
    /// The venue has no listen keys (410): never asked again.
    gone: bool,
    stats: ListenKeyStats,
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl ListenKeyStream {
    /// Off (the WS-API subscription is assumed to come); `overlap`: how
    /// long both sources run after the WS-API subscription is back;
    /// `backoff`: delays between failed key requests and connections.
    pub fn new(overlap: Duration, backoff: BackoffConfig, seed: u64) -> ListenKeyStream {
        ListenKeyStream {
            wanted: false,
            key: None,
            key_in_flight: false,
            conn: Conn::Down,
            last_keepalive_ns: 0,
            keepalive_in_flight: false,
            keepalive_ns: ns(LISTEN_KEY_KEEPALIVE),
            retry_at_ns: 0,
            close_at_ns: None,
            overlap_ns: ns(overlap),
            backoff: Backoff::new(backoff, seed),
            gone: false,
            stats: ListenKeyStats::default(),
        }
    }

    /// The counters.
    pub fn stats(&self) -> &ListenKeyStats {
        &self.stats
    }

    /// Whether the fallback is on (the WS-API subscription unavailable).
    pub fn wanted(&self) -> bool {
        self.wanted
    }

    /// Whether the listen-key connection is open (events flow).
    pub fn is_open(&self) -> bool {
        self.conn == Conn::Open
    }

    /// The WS-API subscription became available (`true`: confirmed) or
    /// unavailable (`false`: link down, subscription refused).
    pub fn set_ws_api_subscribed(&mut self, subscribed: bool, now_ns: u64) {
        if subscribed {
            if self.wanted {
                self.wanted = false;
                self.close_at_ns = Some(now_ns.saturating_add(self.overlap_ns));
            }
        } else {
            self.close_at_ns = None;
            if !self.wanted {
                self.wanted = true;
                self.stats.activations += 1;
                self.retry_at_ns = self.retry_at_ns.min(now_ns);
            }
        }
    }

    /// The next thing to do at `now_ns`, if any; call until `None`.
    pub fn poll(&mut self, now_ns: u64) -> Option<StreamAction> {
        if !self.wanted {
            if self.close_at_ns.is_some_and(|t| now_ns < t) {
                return None;
            }
            self.close_at_ns = None;
            if self.conn != Conn::Down {
                self.conn = Conn::Down;
                return Some(StreamAction::Disconnect);
            }
            if let Some(k) = self.key.take() {
                self.keepalive_in_flight = false;
                self.stats.switched_back += 1;
                return Some(StreamAction::CloseKey(k));
            }
            return None;
        }
        let Some(k) = self.key else {
            // No key: no connection on an old one.
            if self.conn != Conn::Down {
                self.conn = Conn::Down;
                return Some(StreamAction::Disconnect);
            }
            if self.gone || self.key_in_flight || now_ns < self.retry_at_ns {
                return None;
            }
            self.key_in_flight = true;
            return Some(StreamAction::RequestKey);
        };
        if self.conn == Conn::Down {
            if now_ns < self.retry_at_ns {
                return None;
            }
            self.conn = Conn::Connecting;
            return Some(StreamAction::Connect(k));
        }
        if !self.keepalive_in_flight
            && now_ns.saturating_sub(self.last_keepalive_ns) >= self.keepalive_ns
        {
            self.keepalive_in_flight = true;
            self.last_keepalive_ns = now_ns;
            self.stats.keepalives += 1;
            return Some(StreamAction::KeepAlive(k));
        }
        None
    }

    /// The earliest time [`ListenKeyStream::poll`] may have work (`None`:
    /// only an event can give it work).
    pub fn next_deadline_ns(&self) -> Option<u64> {
        if !self.wanted {
            return match (
                self.close_at_ns,
                self.conn != Conn::Down || self.key.is_some(),
            ) {
                (Some(t), _) => Some(t),
                (None, true) => Some(0),
                (None, false) => None,
            };
        }
        match self.key {
            None if self.key_in_flight || self.gone => None,
            None => Some(self.retry_at_ns),
            Some(_) if self.conn == Conn::Down => Some(self.retry_at_ns),
            Some(_) if self.keepalive_in_flight => None,
            Some(_) => Some(self.last_keepalive_ns.saturating_add(self.keepalive_ns)),
        }
    }

    /// The answer to [`StreamAction::RequestKey`]: the key, or `None` when
    /// the request failed (tried again after the back-off).
    pub fn on_key(&mut self, key: Option<ListenKey>, now_ns: u64) {
        self.key_in_flight = false;
        match key {
            Some(k) => {
                self.stats.keys_obtained += 1;
                self.key = Some(k);
                // A POST extends the key's validity as a keepalive does.
                self.last_keepalive_ns = now_ns;
                self.keepalive_in_flight = false;
            }
            None => {
                self.stats.key_failures += 1;
                self.retry_at_ns = now_ns.saturating_add(ns(self.backoff.next_delay()));
            }
        }
    }

    /// [`StreamAction::RequestKey`] was answered HTTP 410 Gone: the venue
    /// no longer has listen keys (Binance spot deprecated them for the
    /// WS-API subscription). Terminal: never asked again; user data then
    /// comes only from the WS-API.
    pub fn on_unavailable(&mut self) {
        self.key_in_flight = false;
        if !self.gone {
            self.gone = true;
            self.stats.unavailable += 1;
        }
    }

    /// Whether the venue said it has no listen keys (410).
    pub fn unavailable(&self) -> bool {
        self.gone
    }

    /// The answer to [`StreamAction::KeepAlive`] for `key`.
    pub fn on_keepalive(&mut self, key: &ListenKey, outcome: KeepAliveOutcome, now_ns: u64) {
        if self.key.as_ref() != Some(key) {
            // An answer about a key given up meanwhile.
            return;
        }
        self.keepalive_in_flight = false;
        match outcome {
            KeepAliveOutcome::Ok => {}
            KeepAliveOutcome::Gone => {
                self.stats.keys_gone += 1;
                self.key = None;
                self.retry_at_ns = now_ns;
            }
            KeepAliveOutcome::Failed => {
                self.stats.keepalive_failures += 1;
                self.last_keepalive_ns = now_ns
                    .saturating_sub(self.keepalive_ns)
                    .saturating_add(ns(LISTEN_KEY_KEEPALIVE_RETRY));
            }
        }
    }

    /// The connection opened.
    pub fn on_open(&mut self) {
        if self.conn == Conn::Connecting {
            self.conn = Conn::Open;
            self.stats.connects += 1;
            self.backoff.on_healthy(Duration::MAX);
        }
    }

    /// The connection was lost or failed to open: a new `POST` (the live
    /// key again, or a new one) after the back-off, then a new connection.
    pub fn on_down(&mut self, now_ns: u64) {
        if self.conn == Conn::Down {
            return;
        }
        self.conn = Conn::Down;
        self.stats.downs += 1;
        self.key = None;
        self.keepalive_in_flight = false;
        self.retry_at_ns = now_ns.saturating_add(ns(self.backoff.next_delay()));
    }

    /// A `listenKeyExpired` event naming `key`: the connection carries
    /// nothing more; a new key at once.
    pub fn on_expired(&mut self, key: &str, now_ns: u64) {
        if self.key.as_ref().map(ListenKey::as_str) != Some(key) {
            return;
        }
        self.stats.expired += 1;
        self.key = None;
        self.keepalive_in_flight = false;
        self.retry_at_ns = now_ns;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn key(s: &str) -> ListenKey {
        ListenKey::new(s).unwrap()
    }

    fn machine() -> ListenKeyStream {
        let b = BackoffConfig {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(100),
            reset_after_healthy: Duration::from_secs(1),
        };
        ListenKeyStream::new(Duration::from_secs(2), b, 7)
    }

    /// Brings the machine to an open stream on `k` at `t`.
    fn open(m: &mut ListenKeyStream, k: &str, t: u64) {
        m.set_ws_api_subscribed(false, t);
        assert_eq!(m.poll(t), Some(StreamAction::RequestKey));
        assert_eq!(m.poll(t), None, "one request at a time");
        m.on_key(Some(key(k)), t);
        assert_eq!(m.poll(t), Some(StreamAction::Connect(key(k))));
        m.on_open();
        assert!(m.is_open());
        assert_eq!(m.poll(t), None);
    }

    #[test]
    fn orders_listen_key_shape_is_checked_and_not_printed() {
        assert!(ListenKey::new("").is_none());
        assert!(ListenKey::new("abc/def").is_none());
        assert!(ListenKey::new(&"a".repeat(MAX_LISTEN_KEY_LEN + 1)).is_none());
        let k = key("pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1");
        assert_eq!(k.as_str().len(), 64);
        assert_eq!(format!("{k:?}"), "ListenKey(64 chars)");
    }

    #[test]
    fn orders_listen_key_off_until_the_ws_api_subscription_is_lost() {
        let mut m = machine();
        assert_eq!(m.poll(0), None);
        assert_eq!(m.next_deadline_ns(), None);
        open(&mut m, "k1", 10);
        assert_eq!(m.stats().activations, 1);
    }

    #[test]
    fn orders_listen_key_keepalive_every_thirty_minutes_and_a_gone_key_is_replaced() {
        let mut m = machine();
        open(&mut m, "k1", 0);
        let due = ns(LISTEN_KEY_KEEPALIVE);
        assert_eq!(m.next_deadline_ns(), Some(due));
        assert_eq!(m.poll(due - 1), None);
        assert_eq!(m.poll(due), Some(StreamAction::KeepAlive(key("k1"))));
        assert_eq!(m.poll(due), None, "one keepalive in flight");
        m.on_keepalive(&key("k1"), KeepAliveOutcome::Ok, due);
        assert_eq!(m.poll(due + 1), None);
        // The next one, answered -1125: disconnect, then a new key.
        let due2 = 2 * due;
        assert_eq!(m.poll(due2), Some(StreamAction::KeepAlive(key("k1"))));
        m.on_keepalive(&key("k1"), KeepAliveOutcome::Gone, due2);
        assert_eq!(m.poll(due2), Some(StreamAction::Disconnect));
        assert_eq!(m.poll(due2), Some(StreamAction::RequestKey));
        m.on_key(Some(key("k2")), due2);
        assert_eq!(m.poll(due2), Some(StreamAction::Connect(key("k2"))));
        assert_eq!(m.stats().keys_gone, 1);
        assert_eq!(m.stats().keepalives, 2);
    }

    #[test]
    fn orders_listen_key_failed_keepalive_is_retried_after_a_minute() {
        let mut m = machine();
        open(&mut m, "k1", 0);
        let due = ns(LISTEN_KEY_KEEPALIVE);
        assert_eq!(m.poll(due), Some(StreamAction::KeepAlive(key("k1"))));
        m.on_keepalive(&key("k1"), KeepAliveOutcome::Failed, due);
        let retry = due + ns(LISTEN_KEY_KEEPALIVE_RETRY);
        assert_eq!(m.next_deadline_ns(), Some(retry));
        assert_eq!(m.poll(retry - 1), None);
        assert_eq!(m.poll(retry), Some(StreamAction::KeepAlive(key("k1"))));
    }

    #[test]
    fn orders_listen_key_expiry_of_the_current_key_reconnects_on_a_new_one_and_others_are_ignored()
    {
        let mut m = machine();
        open(&mut m, "k1", 0);
        m.on_expired("other", S);
        assert_eq!(m.poll(S), None, "another key's expiry changes nothing");
        m.on_expired("k1", S);
        assert_eq!(m.poll(S), Some(StreamAction::Disconnect));
        assert_eq!(m.poll(S), Some(StreamAction::RequestKey));
        m.on_key(Some(key("k2")), S);
        assert_eq!(m.poll(S), Some(StreamAction::Connect(key("k2"))));
        m.on_open();
        assert_eq!(m.stats().expired, 1);
        assert_eq!(m.stats().connects, 2);
    }

    #[test]
    fn orders_listen_key_lost_connection_and_failed_post_back_off() {
        let mut m = machine();
        open(&mut m, "k1", 0);
        m.on_down(S);
        assert!(!m.is_open());
        // Within the back-off (at most 100 ms here) nothing; then a POST.
        let after = S + 100_000_001;
        assert!(m.next_deadline_ns().is_some_and(|t| t <= after));
        assert_eq!(m.poll(after), Some(StreamAction::RequestKey));
        m.on_key(None, after);
        assert_eq!(m.stats().key_failures, 1);
        let later = after + 100_000_001;
        assert_eq!(m.poll(later), Some(StreamAction::RequestKey));
        assert_eq!(m.stats().downs, 1);
    }

    #[test]
    fn orders_listen_key_switch_back_keeps_the_stream_for_the_overlap_then_closes_the_key() {
        let mut m = machine();
        open(&mut m, "k1", 0);
        m.set_ws_api_subscribed(true, S);
        assert!(!m.wanted());
        assert_eq!(m.poll(S), None, "both run during the overlap");
        assert!(m.is_open());
        assert_eq!(m.next_deadline_ns(), Some(3 * S));
        assert_eq!(m.poll(3 * S), Some(StreamAction::Disconnect));
        assert_eq!(m.poll(3 * S), Some(StreamAction::CloseKey(key("k1"))));
        assert_eq!(m.poll(3 * S), None);
        assert_eq!(m.stats().switched_back, 1);
        // Lost again within the overlap: the stream simply stays.
        open(&mut m, "k2", 4 * S);
        m.set_ws_api_subscribed(true, 5 * S);
        m.set_ws_api_subscribed(false, 6 * S);
        assert_eq!(m.poll(8 * S), None);
        assert!(m.is_open());
        assert_eq!(m.stats().activations, 3);
    }

    #[test]
    fn orders_listen_key_gone_410_is_terminal() {
        let mut m = machine();
        m.set_ws_api_subscribed(false, 0);
        assert_eq!(m.poll(0), Some(StreamAction::RequestKey));
        m.on_unavailable();
        assert!(m.unavailable());
        for t in [0, S, 100 * S] {
            assert_eq!(m.poll(t), None);
        }
        assert_eq!(m.next_deadline_ns(), None);
        // Lost and lost again: still nothing asked.
        m.set_ws_api_subscribed(true, S);
        m.set_ws_api_subscribed(false, 2 * S);
        assert_eq!(m.poll(10 * S), None);
        assert_eq!(m.stats().unavailable, 1);
        assert_eq!(m.stats().key_failures, 0);
    }

    #[test]
    fn orders_listen_key_key_arriving_after_the_switch_back_is_closed() {
        let mut m = machine();
        m.set_ws_api_subscribed(false, 0);
        assert_eq!(m.poll(0), Some(StreamAction::RequestKey));
        m.set_ws_api_subscribed(true, 1);
        m.on_key(Some(key("k1")), 2);
        assert_eq!(m.poll(3 * S), Some(StreamAction::CloseKey(key("k1"))));
        assert_eq!(m.poll(3 * S), None);
    }
}
