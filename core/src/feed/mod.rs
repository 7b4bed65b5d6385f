//! The market-data WebSocket client: connections driven by a mio `Poll`
//! (tungstenite over rustls or plain TCP), the subscription bookkeeping, and
//! the reconnect policy. The live driver (`crate::drive::live`) owns the loop;
//! this module owns one connection's protocol and the rules Binance sets.

pub mod backoff;
pub mod conn;
pub mod subs;
pub mod tls;
pub mod tls_stream;
pub mod url;

use std::time::Duration;

/// Binance closes a market-stream connection after 24 hours.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// kairos opens the replacement of a connection this long after it opened,
/// well before [`CONNECTION_LIFETIME`], and switches over without a gap.
pub const DEFAULT_ROTATE_AFTER: Duration = Duration::from_secs(23 * 3600 + 30 * 60);
/// Binance accepts at most this many messages per second from a client on one
/// connection (pings, pongs and JSON method calls), and disconnects above it.
pub const MAX_CLIENT_MESSAGES_PER_S: u32 = 5;
/// kairos's own budget of messages per second (subscriptions and keepalive
/// pings), one below Binance's limit so that pongs always fit.
pub const OWN_MESSAGES_PER_S: u32 = MAX_CLIENT_MESSAGES_PER_S - 1;
/// At most this many streams on one connection (Binance's limit).
pub const MAX_STREAMS_PER_CONNECTION: usize = 1024;
/// Binance's server pings every 20 s and expects a pong within a minute.
pub const SERVER_PING_INTERVAL: Duration = Duration::from_secs(20);
/// The largest WebSocket message kairos accepts, bytes (a 5000-level depth
/// snapshot is about 200 KB; market frames are a few KB).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1 << 20;
/// A connection that has not finished its TCP, TLS and WebSocket handshakes
/// within this time is abandoned and retried.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// No market data for this long while subscribed: the connection is
/// considered dead and replaced.
pub const DEFAULT_SILENCE_LIMIT: Duration = Duration::from_secs(10);
/// Nothing received for this long: kairos sends its own ping.
pub const DEFAULT_KEEPALIVE_IDLE: Duration = Duration::from_secs(5);
/// A SUBSCRIBE / UNSUBSCRIBE not acknowledged within this time fails the
/// connection.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(5);
