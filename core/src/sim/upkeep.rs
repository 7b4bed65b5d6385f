//! What every long-lived sim WebSocket connection that carries user data
//! (the WS-API's, and the listen-key streams') does between two reads:
//! close it when the sim stops, when its service is set down, at the
//! maximum connection lifetime, or when no pong came within the timeout;
//! send a ping when one is due.

use super::ws::Io;
use super::{bump, Shared};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::{Message, WebSocket};

/// The service a connection belongs to, as far as setting it down goes.
pub(crate) struct Service<'a> {
    /// Set while the service is down (the sim's test switch).
    pub(crate) down: &'a AtomicBool,
    /// Counts connections closed because it is down.
    pub(crate) refused: &'a AtomicU64,
    /// The close frame's reason.
    pub(crate) close_reason: &'static str,
    /// Why the connection ended (the serving loop's answer).
    pub(crate) why: &'static str,
}

/// One connection's clocks: when it opened, the next ping, the last pong.
pub(crate) struct Upkeep {
    opened: Instant,
    next_ping: Instant,
    last_pong: Instant,
}

impl Upkeep {
    /// A connection opened now.
    pub(crate) fn new(shared: &Shared) -> Upkeep {
        let opened = Instant::now();
        Upkeep {
            opened,
            next_ping: opened + shared.cfg.ping_interval,
            last_pong: opened,
        }
    }

    /// A pong came.
    pub(crate) fn pong(&mut self, shared: &Shared) {
        self.last_pong = Instant::now();
        bump(&shared.stats.pongs_received);
    }

    /// Closes the connection when it must end (`Some(why)`), else sends a
    /// ping when one is due (`Some` as well when that write fails).
    pub(crate) fn tick(
        &mut self,
        shared: &Shared,
        ws: &mut WebSocket<Io>,
        service: &Service<'_>,
    ) -> Option<String> {
        let cfg = &shared.cfg;
        let stats = &shared.stats;
        if shared.stopping() {
            close(ws, Some((CloseCode::Away, "server shutting down")));
            return Some("sim stopping".into());
        }
        if service.down.load(Ordering::Acquire) {
            bump(service.refused);
            close(ws, Some((CloseCode::Again, service.close_reason)));
            return Some(service.why.into());
        }
        let now = Instant::now();
        if now.duration_since(self.opened) >= cfg.max_lifetime {
            bump(&stats.lifetime_disconnects);
            close(ws, None);
            return Some("maximum lifetime".into());
        }
        if now.duration_since(self.last_pong) >= cfg.pong_timeout {
            bump(&stats.pong_timeouts);
            close(ws, None);
            return Some("no pong within the timeout".into());
        }
        if now >= self.next_ping {
            self.next_ping = now + cfg.ping_interval;
            if ws.write(Message::Ping(Vec::new().into())).is_err() {
                return Some("write failed (ping)".into());
            }
            bump(&stats.pings_sent);
        }
        None
    }
}

/// Sends a close frame (with a code and reason, or none) and flushes; the
/// connection is ending anyway, so a failure changes nothing.
fn close(ws: &mut WebSocket<Io>, frame: Option<(CloseCode, &'static str)>) {
    let _ = ws.close(frame.map(|(code, reason)| CloseFrame {
        code,
        reason: reason.into(),
    }));
    let _ = ws.flush();
}
