//! One market-stream connection, driven by readiness events: non-blocking
//! TCP connect, then TLS (rustls) when the address is `wss://`, then the
//! WebSocket handshake (tungstenite), then frames.
//!
//! The rules learned from probing this stack with frames dribbled in small
//! writes: wait for writability and check `take_error()` before the
//! handshake; resume an interrupted handshake on every readiness event; after
//! every event read until `WouldBlock` (the TLS layer may hold decrypted data that no
//! socket event will announce); `write` only queues and `flush` may return
//! `WouldBlock`, so flushing is retried on the next writable event.

use super::tls_stream::TlsStream;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::client::ClientHandshake;
use tungstenite::handshake::{HandshakeError, MidHandshake};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

/// The byte stream under the WebSocket: plain TCP or TLS over TCP.
#[derive(Debug)]
pub enum Transport {
    /// `ws://`.
    Plain(TcpStream),
    /// `wss://`: TLS with fixed buffers, allocation-free after a TLS 1.3
    /// handshake.
    Tls(Box<TlsStream>),
}

impl Transport {
    /// The TCP socket.
    pub fn tcp(&mut self) -> &mut TcpStream {
        match self {
            Transport::Plain(s) => s,
            Transport::Tls(s) => s.tcp(),
        }
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.read(buf),
            Transport::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.write(buf),
            Transport::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(s) => s.flush(),
            Transport::Tls(s) => s.flush(),
        }
    }
}

/// Why a connection ended.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// The TCP connect failed.
    #[error("connect to {addr}: {source}")]
    Connect {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: io::Error,
    },
    /// TLS set-up failed (bad server name).
    #[error("TLS: {0}")]
    Tls(String),
    /// The WebSocket (or TLS) handshake failed.
    #[error("handshake: {0}")]
    Handshake(String),
    /// The server closed the connection (close frame or end of stream).
    #[error("closed by the server{}", .0.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Closed(Option<String>),
    /// The connection ended without a closing handshake.
    #[error("connection reset: {0}")]
    Reset(String),
    /// A message over the size limit.
    #[error("message over the size limit: {0}")]
    Oversized(String),
    /// A protocol violation (bad frame, bad UTF-8 in a text frame, a
    /// truncated frame at end of stream).
    #[error("protocol: {0}")]
    Protocol(String),
    /// A socket or TLS error.
    #[error("i/o: {0}")]
    Io(io::Error),
}

impl ConnError {
    /// Whether the peer sent bytes kairos could not accept (counted as
    /// malformed input) rather than the connection merely ending.
    pub fn is_malformed(&self) -> bool {
        matches!(self, ConnError::Oversized(_) | ConnError::Protocol(_))
    }
}

fn map_ws(e: tungstenite::Error) -> ConnError {
    use tungstenite::Error as E;
    match e {
        E::ConnectionClosed | E::AlreadyClosed => ConnError::Closed(None),
        // The peer went away without a close frame (or, over TLS, without
        // close_notify): a reset, whether or not a frame was cut short.
        E::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            ConnError::Reset("end of stream without TLS close_notify".into())
        }
        E::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake) => {
            ConnError::Reset("end of stream without a close frame".into())
        }
        E::Io(e) if e.kind() == io::ErrorKind::ConnectionReset => ConnError::Reset(e.to_string()),
        E::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
            // Bad TLS records and TLS errors come this way.
            ConnError::Protocol(e.to_string())
        }
        E::Io(e) => ConnError::Io(e),
        E::Capacity(c) => ConnError::Oversized(c.to_string()),
        E::Utf8(s) => ConnError::Protocol(format!("text frame is not UTF-8: {s}")),
        other => ConnError::Protocol(other.to_string()),
    }
}

/// Where to connect and how.
#[derive(Clone)]
pub struct Target {
    /// The resolved address.
    pub addr: SocketAddr,
    /// Host name for TLS (SNI and certificate check) and the `Host` header.
    pub host: String,
    /// The full `ws://…` / `wss://…` URL including the path.
    pub url: String,
    /// TLS settings when the URL is `wss://`.
    pub tls: Option<Arc<ClientConfig>>,
    /// Largest accepted message, bytes.
    pub max_message_bytes: usize,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("addr", &self.addr)
            .field("url", &self.url)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

enum Phase {
    Connecting(TcpStream),
    Handshaking(MidHandshake<ClientHandshake<Transport>>),
    Open(Box<WebSocket<Transport>>),
    /// Between phases (only while a phase is being advanced) or ended.
    Done,
}

/// Where a connection is after being driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Still connecting or handshaking.
    Pending,
    /// The WebSocket handshake completed during this call.
    Opened,
    /// Open.
    Open,
}

/// What arrived on an open connection (besides text frames).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ConnCounters {
    /// Text frames.
    pub texts: u64,
    /// Bytes in text frames.
    pub text_bytes: u64,
    /// Binary frames (Binance sends none; ignored).
    pub binaries: u64,
    /// Pings from the server (answered by a pong).
    pub pings: u64,
    /// Pongs (answers to kairos's keepalive pings).
    pub pongs: u64,
    /// Frames sent by kairos (method calls, pings).
    pub sent: u64,
}

/// One connection.
pub struct WsConn {
    phase: Phase,
    token: Token,
    want_flush: bool,
    /// Counters.
    pub counters: ConnCounters,
}

impl std::fmt::Debug for WsConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let phase = match self.phase {
            Phase::Connecting(_) => "connecting",
            Phase::Handshaking(_) => "handshaking",
            Phase::Open(_) => "open",
            Phase::Done => "done",
        };
        f.debug_struct("WsConn")
            .field("token", &self.token)
            .field("phase", &phase)
            .finish()
    }
}

impl WsConn {
    /// Starts a non-blocking connect to `target.addr`, registered with
    /// `registry` under `token` for reads and writes (edge-triggered).
    pub fn connect(
        registry: &Registry,
        token: Token,
        target: &Target,
    ) -> Result<WsConn, ConnError> {
        let err = |source| ConnError::Connect {
            addr: target.addr,
            source,
        };
        let mut s = TcpStream::connect(target.addr).map_err(err)?;
        registry
            .register(&mut s, token, Interest::READABLE | Interest::WRITABLE)
            .map_err(err)?;
        Ok(WsConn {
            phase: Phase::Connecting(s),
            token,
            want_flush: false,
            counters: ConnCounters::default(),
        })
    }

    /// The connection's mio token.
    pub fn token(&self) -> Token {
        self.token
    }

    /// Whether the WebSocket is open.
    pub fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open(_))
    }

    /// Advances the connection after a readiness event (or a timer): finishes
    /// connecting and handshaking, then reads every complete frame, handing
    /// each text frame to `on_text`, answers pings, and flushes pending
    /// writes. An `Err` means the connection is finished; drop it.
    pub fn drive(
        &mut self,
        target: &Target,
        on_text: &mut dyn FnMut(&[u8]),
    ) -> Result<Progress, ConnError> {
        let mut opened = false;
        loop {
            match std::mem::replace(&mut self.phase, Phase::Done) {
                Phase::Connecting(s) => {
                    match s.take_error() {
                        Ok(None) => {}
                        Ok(Some(e)) | Err(e) => {
                            return Err(ConnError::Connect {
                                addr: target.addr,
                                source: e,
                            })
                        }
                    }
                    match s.peer_addr() {
                        Ok(_) => {}
                        Err(e)
                            if e.kind() == io::ErrorKind::NotConnected
                                || e.raw_os_error() == Some(libc_einprogress()) =>
                        {
                            self.phase = Phase::Connecting(s);
                            return Ok(Progress::Pending);
                        }
                        Err(e) => {
                            return Err(ConnError::Connect {
                                addr: target.addr,
                                source: e,
                            })
                        }
                    }
                    // Market data is latency-sensitive; a failure here is harmless.
                    let _ = s.set_nodelay(true);
                    let transport = match &target.tls {
                        None => Transport::Plain(s),
                        Some(cfg) => {
                            let name = ServerName::try_from(target.host.clone())
                                .map_err(|e| ConnError::Tls(format!("{}: {e}", target.host)))?;
                            let t = TlsStream::new(cfg.clone(), name, s)
                                .map_err(|e| ConnError::Tls(e.to_string()))?;
                            Transport::Tls(Box::new(t))
                        }
                    };
                    let req = target
                        .url
                        .as_str()
                        .into_client_request()
                        .map_err(|e| ConnError::Handshake(e.to_string()))?;
                    let cfg = WebSocketConfig::default()
                        .max_message_size(Some(target.max_message_bytes))
                        .max_frame_size(Some(target.max_message_bytes))
                        .max_write_buffer_size(1 << 20);
                    self.handshake_result(tungstenite::client::client_with_config(
                        req,
                        transport,
                        Some(cfg),
                    ))?;
                    if matches!(self.phase, Phase::Open(_)) {
                        opened = true;
                        continue;
                    }
                    return Ok(Progress::Pending);
                }
                Phase::Handshaking(mid) => {
                    self.handshake_result(mid.handshake())?;
                    if matches!(self.phase, Phase::Open(_)) {
                        opened = true;
                        continue;
                    }
                    return Ok(Progress::Pending);
                }
                Phase::Open(mut ws) => {
                    let r = self.read_all(&mut ws, on_text);
                    self.phase = Phase::Open(ws);
                    r?;
                    self.flush()?;
                    return Ok(if opened {
                        Progress::Opened
                    } else {
                        Progress::Open
                    });
                }
                Phase::Done => return Err(ConnError::Closed(Some("already finished".into()))),
            }
        }
    }

    fn handshake_result(
        &mut self,
        r: Result<
            (
                WebSocket<Transport>,
                tungstenite::handshake::client::Response,
            ),
            HandshakeError<ClientHandshake<Transport>>,
        >,
    ) -> Result<(), ConnError> {
        match r {
            Ok((ws, _resp)) => {
                self.phase = Phase::Open(Box::new(ws));
                Ok(())
            }
            Err(HandshakeError::Interrupted(mid)) => {
                self.phase = Phase::Handshaking(mid);
                Ok(())
            }
            Err(HandshakeError::Failure(e)) => Err(ConnError::Handshake(e.to_string())),
        }
    }

    fn read_all(
        &mut self,
        ws: &mut WebSocket<Transport>,
        on_text: &mut dyn FnMut(&[u8]),
    ) -> Result<(), ConnError> {
        loop {
            match ws.read() {
                Ok(Message::Text(t)) => {
                    self.counters.texts += 1;
                    self.counters.text_bytes += t.len() as u64;
                    on_text(t.as_bytes());
                }
                Ok(Message::Binary(_)) => self.counters.binaries += 1,
                Ok(Message::Ping(_)) => {
                    // tungstenite has queued the pong; it goes out on flush.
                    self.counters.pings += 1;
                    self.want_flush = true;
                }
                Ok(Message::Pong(_)) => self.counters.pongs += 1,
                Ok(Message::Close(c)) => {
                    // tungstenite queued the reply; send it, then end.
                    let _ = ws.flush();
                    return Err(ConnError::Closed(
                        c.map(|c| format!("{} {}", u16::from(c.code), c.reason)),
                    ));
                }
                Ok(Message::Frame(_)) => {}
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Ok(())
                }
                Err(e) => return Err(map_ws(e)),
            }
        }
    }

    /// Queues a text frame and tries to send it.
    pub fn send_text(&mut self, text: &str) -> Result<(), ConnError> {
        self.send(Message::text(text))
    }

    /// Queues a keepalive ping and tries to send it.
    pub fn send_ping(&mut self) -> Result<(), ConnError> {
        self.send(Message::Ping(Default::default()))
    }

    fn send(&mut self, m: Message) -> Result<(), ConnError> {
        let Phase::Open(ws) = &mut self.phase else {
            return Err(ConnError::Closed(Some("not open".into())));
        };
        match ws.write(m) {
            Ok(()) => {}
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(map_ws(e)),
        }
        self.counters.sent += 1;
        self.want_flush = true;
        self.flush()
    }

    /// Sends what is queued; a `WouldBlock` leaves it for the next writable
    /// event.
    pub fn flush(&mut self) -> Result<(), ConnError> {
        if !self.want_flush {
            return Ok(());
        }
        let Phase::Open(ws) = &mut self.phase else {
            return Ok(());
        };
        match ws.flush() {
            Ok(()) => {
                self.want_flush = false;
                Ok(())
            }
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(map_ws(e)),
        }
    }

    /// Closes politely (close frame, TLS close_notify), best effort, and
    /// deregisters the socket.
    pub fn close(mut self, registry: &Registry) {
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Open(mut ws) => {
                let _ = ws.close(None);
                let _ = ws.flush();
                if let Transport::Tls(t) = ws.get_mut() {
                    t.close_notify();
                }
                let _ = registry.deregister(ws.get_mut().tcp());
            }
            Phase::Connecting(mut s) => {
                let _ = registry.deregister(&mut s);
            }
            Phase::Handshaking(mut mid) => {
                let _ = registry.deregister(mid.get_mut().get_mut().tcp());
            }
            Phase::Done => {}
        }
    }
}

/// `EINPROGRESS` on Linux (a connect still under way).
const fn libc_einprogress() -> i32 {
    115
}
