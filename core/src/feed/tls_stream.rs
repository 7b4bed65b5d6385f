//! TLS under the market-stream WebSocket without heap allocation once the
//! connection is open.
//!
//! rustls's buffered `ClientConnection` copies every decrypted record into a
//! fresh `Vec` (its received-plaintext queue), and in rustls 0.23 the
//! unbuffered API does the same inside `process_tls_records` (its
//! `ReadTraffic::next_record` only hands out that `Vec`). So this stream uses
//! rustls's unbuffered client for the handshake only, over fixed buffers
//! owned here, and then, on TLS 1.3, takes the traffic secrets out of rustls
//! (`dangerous_into_kernel_connection`, the kTLS entry point) and runs the
//! record layer itself: each record is decrypted in place in the incoming
//! buffer with ring's AEAD and its content copied into the plaintext buffer;
//! outgoing data is sealed in place in the outgoing buffer. rustls keeps what
//! only it can do: session tickets and key updates.
//!
//! A TLS 1.2 server (negotiated only when the server offers nothing newer)
//! stays on the unbuffered rustls client for the whole connection: correct,
//! but one allocation per record, and rustls lets data be written only once
//! the records already received are decrypted, so a `write` may return
//! `WouldBlock` until the plaintext buffer has been read (`WsConn` reads
//! until `WouldBlock` on every event, so it never waits on that).
//!
//! Non-blocking semantics for tungstenite: `read` returns `WouldBlock` only
//! when the socket has nothing more to give, `Ok(0)` after the peer's
//! close_notify, `UnexpectedEof` when the peer ends the TCP stream without
//! one, and `InvalidData` for any TLS error (bad record, failed decryption,
//! fatal alert). `write` encrypts into the outgoing buffer and sends what the
//! socket takes; what it does not take stays queued and `flush` returns
//! `WouldBlock` until it has all gone out.

use mio::net::TcpStream;
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use rustls::client::{ClientConnectionData, UnbufferedClientConnection};
use rustls::kernel::KernelConnection;
use rustls::pki_types::ServerName;
use rustls::unbuffered::{ConnectionState, EncodeError, EncryptError, UnbufferedStatus};
use rustls::{ClientConfig, ConnectionTrafficSecrets, ProtocolVersion, SupportedCipherSuite};
use std::io::{self, Read, Write};
use std::sync::Arc;

/// A TLS record header, bytes: content type, legacy version, length.
pub const RECORD_HEADER_BYTES: usize = 5;
/// The largest plaintext in one record, bytes (2^14, RFC 8446 §5.1).
pub const MAX_FRAGMENT_BYTES: usize = 1 << 14;
/// The largest encrypted fragment of one record, bytes (2^14 + 256, RFC 8446
/// §5.2).
pub const MAX_CIPHERTEXT_BYTES: usize = MAX_FRAGMENT_BYTES + 256;
/// The largest record on the wire, bytes.
pub const MAX_RECORD_BYTES: usize = RECORD_HEADER_BYTES + MAX_CIPHERTEXT_BYTES;
/// The AEAD tag of every TLS 1.3 suite (AES-GCM, ChaCha20-Poly1305), bytes.
pub const TAG_BYTES: usize = 16;
/// What sealing adds to a TLS 1.3 record's content, bytes: header, inner
/// content type, tag.
pub const SEAL_OVERHEAD_BYTES: usize = RECORD_HEADER_BYTES + 1 + TAG_BYTES;
/// Capacity of the incoming ciphertext buffer, bytes: four full records, so
/// that one socket read takes in many small records, with room for the
/// server's handshake flight (certificates included).
pub const INCOMING_TLS_BYTES: usize = 4 * MAX_RECORD_BYTES;
/// Capacity of the decrypted plaintext buffer, bytes: two full records.
pub const PLAINTEXT_BYTES: usize = 2 * MAX_FRAGMENT_BYTES;
/// Capacity of the outgoing ciphertext buffer, bytes: four full records.
pub const OUTGOING_TLS_BYTES: usize = 4 * MAX_RECORD_BYTES;
/// Capacity for post-handshake messages (session tickets, key updates)
/// split across records, bytes.
pub const POST_HANDSHAKE_BYTES: usize = MAX_FRAGMENT_BYTES;

const CONTENT_ALERT: u8 = 21;
const CONTENT_HANDSHAKE: u8 = 22;
const CONTENT_APPLICATION_DATA: u8 = 23;
const HANDSHAKE_NEW_SESSION_TICKET: u8 = 4;
const HANDSHAKE_KEY_UPDATE: u8 = 24;
const ALERT_CLOSE_NOTIFY: u8 = 0;
const ALERT_USER_CANCELED: u8 = 90;
/// A KeyUpdate handshake message with `update_not_requested`.
const KEY_UPDATE_NOT_REQUESTED: [u8; 5] = [HANDSHAKE_KEY_UPDATE, 0, 0, 1, 0];

fn tls_error(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("TLS: {what}"))
}

/// One direction's TLS 1.3 traffic key and record sequence number.
struct Keys {
    key: LessSafeKey,
    iv: [u8; aead::NONCE_LEN],
    seq: u64,
}

impl Keys {
    fn new(seq: u64, secrets: &ConnectionTrafficSecrets) -> io::Result<Keys> {
        let (alg, key, iv) = match secrets {
            ConnectionTrafficSecrets::Aes128Gcm { key, iv } => (&aead::AES_128_GCM, key, iv),
            ConnectionTrafficSecrets::Aes256Gcm { key, iv } => (&aead::AES_256_GCM, key, iv),
            ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => {
                (&aead::CHACHA20_POLY1305, key, iv)
            }
            _ => return Err(tls_error("unsupported cipher suite for the record layer")),
        };
        let key = UnboundKey::new(alg, key.as_ref()).map_err(|_| tls_error("bad traffic key"))?;
        let iv = <[u8; aead::NONCE_LEN]>::try_from(iv.as_ref())
            .map_err(|_| tls_error("bad traffic IV length"))?;
        Ok(Keys {
            key: LessSafeKey::new(key),
            iv,
            seq,
        })
    }

    /// The next record's nonce (the IV xor the sequence number, RFC 8446
    /// §5.3); advances the sequence number.
    fn next_nonce(&mut self) -> io::Result<Nonce> {
        let mut n = self.iv;
        for (b, s) in n[aead::NONCE_LEN - 8..]
            .iter_mut()
            .zip(self.seq.to_be_bytes())
        {
            *b ^= s;
        }
        self.seq = self
            .seq
            .checked_add(1)
            .ok_or_else(|| tls_error("record sequence number exhausted"))?;
        Ok(Nonce::assume_unique_for_key(n))
    }

    /// Seals `content` of inner type `typ` as one record at the start of
    /// `out`; returns the record's length. `out` must hold
    /// `content.len() + SEAL_OVERHEAD_BYTES`.
    fn seal(&mut self, typ: u8, content: &[u8], out: &mut [u8]) -> io::Result<usize> {
        let inner = content.len() + 1;
        let body = inner + TAG_BYTES;
        let total = RECORD_HEADER_BYTES + body;
        debug_assert!(content.len() <= MAX_FRAGMENT_BYTES && out.len() >= total);
        let len = (body as u16).to_be_bytes();
        let header = [CONTENT_APPLICATION_DATA, 3, 3, len[0], len[1]];
        out[..RECORD_HEADER_BYTES].copy_from_slice(&header);
        let rest = &mut out[RECORD_HEADER_BYTES..total];
        rest[..content.len()].copy_from_slice(content);
        rest[content.len()] = typ;
        let nonce = self.next_nonce()?;
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(header), &mut rest[..inner])
            .map_err(|_| tls_error("sealing failed"))?;
        rest[inner..].copy_from_slice(tag.as_ref());
        Ok(total)
    }
}

/// The TLS 1.3 record layer after the handshake.
struct Records {
    kernel: KernelConnection<ClientConnectionData>,
    rx: Keys,
    tx: Keys,
    /// Records sealed under one key before kairos updates it (the suite's
    /// confidentiality limit).
    tx_limit: u64,
    /// The peer asked for a KeyUpdate: send one before the next record.
    key_update_due: bool,
    /// Post-handshake messages not yet complete.
    hs: Box<[u8]>,
    hs_len: usize,
}

impl Records {
    fn new(conn: UnbufferedClientConnection) -> io::Result<Records> {
        let (secrets, kernel) = conn.dangerous_into_kernel_connection().map_err(tls_error)?;
        let tx_limit = match kernel.negotiated_cipher_suite() {
            SupportedCipherSuite::Tls13(s) => s.common.confidentiality_limit,
            _ => return Err(tls_error("record layer needs TLS 1.3")),
        };
        Ok(Records {
            rx: Keys::new(secrets.rx.0, &secrets.rx.1)?,
            tx: Keys::new(secrets.tx.0, &secrets.tx.1)?,
            kernel,
            tx_limit,
            key_update_due: false,
            hs: vec![0; POST_HANDSHAKE_BYTES].into_boxed_slice(),
            hs_len: 0,
        })
    }

    /// Seals `content` of inner type `typ` into `out`, preceded by a
    /// KeyUpdate (and a switch to the next key) when one is due; `out` must
    /// hold [`Records::room_for`] of the content's length.
    fn seal(&mut self, typ: u8, content: &[u8], out: &mut [u8]) -> io::Result<usize> {
        let mut used = 0;
        if self.key_update_due || self.tx.seq.saturating_add(2) >= self.tx_limit {
            used += self
                .tx
                .seal(CONTENT_HANDSHAKE, &KEY_UPDATE_NOT_REQUESTED, out)?;
            let (seq, secrets) = self.kernel.update_tx_secret().map_err(tls_error)?;
            self.tx = Keys::new(seq, &secrets)?;
            self.key_update_due = false;
        }
        used += self.tx.seal(typ, content, &mut out[used..])?;
        Ok(used)
    }

    /// Outgoing room needed to seal `len` bytes of content.
    fn room_for(len: usize) -> usize {
        len + 2 * SEAL_OVERHEAD_BYTES + KEY_UPDATE_NOT_REQUESTED.len()
    }

    /// Takes in the content of one handshake record: session tickets go to
    /// rustls, a key update switches the receiving key.
    fn on_handshake(&mut self, content: &[u8]) -> io::Result<()> {
        let Records {
            kernel,
            rx,
            key_update_due,
            hs,
            hs_len,
            ..
        } = self;
        let end = *hs_len + content.len();
        if end > hs.len() {
            return Err(tls_error("post-handshake message too large"));
        }
        hs[*hs_len..end].copy_from_slice(content);
        *hs_len = end;
        let mut at = 0;
        while *hs_len - at >= 4 {
            let typ = hs[at];
            let len = u32::from_be_bytes([0, hs[at + 1], hs[at + 2], hs[at + 3]]) as usize;
            if 4 + len > hs.len() {
                return Err(tls_error("post-handshake message too large"));
            }
            if at + 4 + len > *hs_len {
                break;
            }
            let body = &hs[at + 4..at + 4 + len];
            at += 4 + len;
            match typ {
                HANDSHAKE_NEW_SESSION_TICKET => {
                    kernel.handle_new_session_ticket(body).map_err(tls_error)?
                }
                HANDSHAKE_KEY_UPDATE => {
                    let requested = match body {
                        [0] => false,
                        [1] => true,
                        _ => return Err(tls_error("malformed KeyUpdate")),
                    };
                    // The key changes with the next record: nothing may
                    // follow in this one (RFC 8446 §5.1).
                    if at != *hs_len {
                        return Err(tls_error("KeyUpdate not at the end of a record"));
                    }
                    let (seq, secrets) = kernel.update_rx_secret().map_err(tls_error)?;
                    *rx = Keys::new(seq, &secrets)?;
                    *key_update_due |= requested;
                }
                other => {
                    return Err(tls_error(format!(
                        "unexpected handshake message {other} after the handshake"
                    )))
                }
            }
        }
        hs.copy_within(at..*hs_len, 0);
        *hs_len -= at;
        Ok(())
    }
}

enum Engine {
    /// rustls's unbuffered client: the handshake, and a whole TLS 1.2
    /// connection.
    Rustls(Box<UnbufferedClientConnection>),
    /// The TLS 1.3 record layer after the handshake.
    Records(Box<Records>),
    /// Only while switching from one to the other.
    Switching,
}

/// What processing the buffered ciphertext gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Plaintext was added to the plaintext buffer, the peer closed, or the
    /// engine changed: look again.
    Progress,
    /// Nothing more without more bytes from the socket.
    NeedInput,
    /// The next record does not fit in the plaintext buffer until it is read.
    PlaintextFull,
    /// rustls can take application data; the number of ciphertext bytes
    /// queued for the caller's data or alert (0: none, or no room).
    Writable(usize),
}

/// What `rustls_step` should do once rustls can take application data.
#[derive(Clone, Copy)]
enum Want<'d> {
    Nothing,
    Encrypt(&'d [u8]),
    CloseNotify,
}

/// Makes room for `len` more bytes at the end of `buf[*start..*end]`, moving
/// the unread bytes to the front when that makes the room.
fn make_room(buf: &mut [u8], start: &mut usize, end: &mut usize, len: usize) -> bool {
    if *start == *end {
        *start = 0;
        *end = 0;
    } else if buf.len() - *end < len && *start > 0 {
        buf.copy_within(*start..*end, 0);
        *end -= *start;
        *start = 0;
    }
    buf.len() - *end >= len
}

/// A TLS client stream over a non-blocking mio socket with buffers of fixed
/// capacity, allocation-free once the handshake is done on TLS 1.3 (see the
/// module documentation).
pub struct TlsStream {
    sock: TcpStream,
    engine: Engine,
    /// Ciphertext from the socket: `incoming[in_start..in_end]`.
    incoming: Box<[u8]>,
    in_start: usize,
    in_end: usize,
    /// Decrypted, not yet read: `plain[plain_start..plain_end]`.
    plain: Box<[u8]>,
    plain_start: usize,
    plain_end: usize,
    /// Ciphertext for the socket: `outgoing[out_start..out_end]`.
    outgoing: Box<[u8]>,
    out_start: usize,
    out_end: usize,
    /// The peer's close_notify has arrived.
    peer_closed: bool,
    sent_close: bool,
    /// A TLS error ended the stream; every later call reports it.
    failed: Option<String>,
    /// The config allows taking the secrets out of rustls.
    own_records: bool,
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = match self.engine {
            Engine::Rustls(_) => "rustls",
            Engine::Records(_) => "tls13-records",
            Engine::Switching => "switching",
        };
        f.debug_struct("TlsStream")
            .field("engine", &engine)
            .field("incoming", &(self.in_end - self.in_start))
            .field("plaintext", &(self.plain_end - self.plain_start))
            .field("outgoing", &(self.out_end - self.out_start))
            .field("peer_closed", &self.peer_closed)
            .finish()
    }
}

impl TlsStream {
    /// Starts a client handshake for `name` over `sock` (connected or still
    /// connecting) and allocates the buffers. `config` must have
    /// `enable_secret_extraction` set for the allocation-free TLS 1.3 record
    /// layer; without it the connection stays on rustls (one allocation per
    /// record).
    pub fn new(
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
        sock: TcpStream,
    ) -> Result<TlsStream, rustls::Error> {
        let config_allows_own_records = config.enable_secret_extraction;
        let conn = UnbufferedClientConnection::new(config, name)?;
        Ok(TlsStream {
            sock,
            engine: Engine::Rustls(Box::new(conn)),
            incoming: vec![0; INCOMING_TLS_BYTES].into_boxed_slice(),
            in_start: 0,
            in_end: 0,
            plain: vec![0; PLAINTEXT_BYTES].into_boxed_slice(),
            plain_start: 0,
            plain_end: 0,
            outgoing: vec![0; OUTGOING_TLS_BYTES].into_boxed_slice(),
            out_start: 0,
            out_end: 0,
            peer_closed: false,
            sent_close: false,
            failed: None,
            own_records: config_allows_own_records,
        })
    }

    /// The TCP socket.
    pub fn tcp(&mut self) -> &mut TcpStream {
        &mut self.sock
    }

    /// Whether the handshake is done and records go through kairos's own
    /// TLS 1.3 record layer (the allocation-free path).
    pub fn uses_own_record_layer(&self) -> bool {
        matches!(self.engine, Engine::Records(_))
    }

    /// Queues a close_notify alert (once the handshake is done) and tries,
    /// without blocking, to send everything queued. Best effort.
    pub fn close_notify(&mut self) {
        if self.sent_close || self.failed.is_some() {
            return;
        }
        self.sent_close = true;
        let queued = match &mut self.engine {
            Engine::Records(r) => {
                let alert = [1, ALERT_CLOSE_NOTIFY];
                make_room(
                    &mut self.outgoing,
                    &mut self.out_start,
                    &mut self.out_end,
                    Records::room_for(alert.len()),
                ) && r
                    .seal(CONTENT_ALERT, &alert, &mut self.outgoing[self.out_end..])
                    .map(|n| self.out_end += n)
                    .is_ok()
            }
            Engine::Rustls(c) if !c.is_handshaking() => {
                let mut queued = false;
                // Unread records come first; they are dropped.
                for _ in 0..64 {
                    match self.rustls_step(Want::CloseNotify) {
                        Ok(Step::Writable(n)) => {
                            queued = n > 0;
                            break;
                        }
                        Ok(Step::Progress) => {}
                        Ok(Step::PlaintextFull) => {
                            self.plain_start = 0;
                            self.plain_end = 0;
                        }
                        Ok(Step::NeedInput) | Err(_) => break,
                    }
                }
                queued
            }
            _ => false,
        };
        if queued {
            let _ = self.send_pending();
        }
    }

    fn fail(&mut self, e: io::Error) -> io::Error {
        if e.kind() == io::ErrorKind::InvalidData {
            self.failed = Some(e.to_string());
        }
        e
    }

    fn check_failed(&self) -> io::Result<()> {
        match &self.failed {
            Some(why) => Err(io::Error::new(io::ErrorKind::InvalidData, why.clone())),
            None => Ok(()),
        }
    }

    /// Sends queued ciphertext until it is all gone (`Ok`) or the socket is
    /// full (`WouldBlock`, the rest kept for the next writable event).
    fn send_pending(&mut self) -> io::Result<()> {
        while self.out_start < self.out_end {
            match self
                .sock
                .write(&self.outgoing[self.out_start..self.out_end])
            {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.out_start += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out_start = 0;
        self.out_end = 0;
        Ok(())
    }

    /// Sends what the socket takes; a full socket is not an error here.
    fn send_some(&mut self) -> io::Result<()> {
        match self.send_pending() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            r => r,
        }
    }

    /// Reads from the socket into the incoming buffer: `WouldBlock` when the
    /// socket has nothing, `UnexpectedEof` at end of stream (a close_notify
    /// would have been seen before the socket is read again).
    fn fill(&mut self) -> io::Result<()> {
        if !make_room(
            &mut self.incoming,
            &mut self.in_start,
            &mut self.in_end,
            MAX_RECORD_BYTES,
        ) && self.in_end == self.incoming.len()
        {
            return Err(tls_error("a TLS message larger than the incoming buffer"));
        }
        loop {
            match self.sock.read(&mut self.incoming[self.in_end..]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the peer closed the connection without a TLS close_notify",
                    ))
                }
                Ok(n) => {
                    self.in_end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Processes buffered ciphertext with whichever engine is in charge.
    fn step(&mut self) -> io::Result<Step> {
        match self.engine {
            Engine::Records(_) => self.records_step(),
            _ => self.rustls_step(Want::Nothing),
        }
    }

    /// Turns rustls's unbuffered state machine until plaintext arrives, more
    /// input is needed, or application data can be written (then doing what
    /// `want` says). When a TLS 1.3 handshake is done, hands the connection
    /// over to the own record layer instead and returns `Progress`.
    fn rustls_step(&mut self, want: Want<'_>) -> io::Result<Step> {
        loop {
            let Engine::Rustls(conn) = &mut self.engine else {
                return Err(tls_error("not on rustls"));
            };
            // Known before WriteTraffic: the client always sends a flight
            // (EncodeTlsData) between the ServerHello and WriteTraffic.
            let tls13 =
                self.own_records && conn.protocol_version() == Some(ProtocolVersion::TLSv1_3);
            // Queued ciphertext to the front: all the room for rustls.
            make_room(
                &mut self.outgoing,
                &mut self.out_start,
                &mut self.out_end,
                usize::MAX,
            );
            let UnbufferedStatus { discard, state } =
                conn.process_tls_records(&mut self.incoming[self.in_start..self.in_end]);
            let step = match state {
                Err(e) => Err(tls_error(e)),
                Ok(ConnectionState::ReadTraffic(mut r)) => {
                    let len = r.peek_len().map_or(0, |n| n.get());
                    // Room is made before the record leaves rustls.
                    if !make_room(
                        &mut self.plain,
                        &mut self.plain_start,
                        &mut self.plain_end,
                        len,
                    ) {
                        Ok(Some(Step::PlaintextFull))
                    } else {
                        match r.next_record() {
                            Some(Ok(rec)) => {
                                let end = self.plain_end + rec.payload.len();
                                self.plain[self.plain_end..end].copy_from_slice(rec.payload);
                                self.plain_end = end;
                                // rustls 0.23 always says 0 here.
                                debug_assert_eq!(rec.discard, 0);
                                Ok(Some(Step::Progress))
                            }
                            Some(Err(e)) => Err(tls_error(e)),
                            None => Ok(None),
                        }
                    }
                }
                Ok(ConnectionState::PeerClosed | ConnectionState::Closed) => {
                    self.peer_closed = true;
                    Ok(Some(Step::Progress))
                }
                Ok(ConnectionState::EncodeTlsData(mut e)) => {
                    match e.encode(&mut self.outgoing[self.out_end..]) {
                        Ok(n) => {
                            self.out_end += n;
                            Ok(None)
                        }
                        // Cannot wait for room: the record goes with `e`.
                        Err(EncodeError::InsufficientSize(_)) => Err(tls_error(
                            "a handshake record larger than the outgoing buffer",
                        )),
                        Err(e) => Err(tls_error(e)),
                    }
                }
                Ok(ConnectionState::TransmitTlsData(t)) => {
                    // Queued in the outgoing buffer; it goes out in order.
                    t.done();
                    Ok(None)
                }
                Ok(ConnectionState::BlockedHandshake) => Ok(Some(Step::NeedInput)),
                Ok(ConnectionState::WriteTraffic(_)) if tls13 => Ok(Some(Step::Writable(0))),
                Ok(ConnectionState::WriteTraffic(mut w)) => {
                    let out = &mut self.outgoing[self.out_end..];
                    let r = match want {
                        Want::Nothing => Ok(0),
                        Want::Encrypt(d) => w.encrypt(d, out),
                        Want::CloseNotify => w.queue_close_notify(out),
                    };
                    match r {
                        Ok(n) => {
                            self.out_end += n;
                            Ok(Some(Step::Writable(n)))
                        }
                        Err(EncryptError::InsufficientSize(_)) => Ok(Some(Step::Writable(0))),
                        Err(e) => Err(tls_error(e)),
                    }
                }
                Ok(other) => Err(tls_error(format!("unexpected state {other:?}"))),
            };
            self.in_start += discard;
            match step? {
                Some(Step::Writable(_)) if tls13 => {
                    // The handshake is done and nothing is queued in rustls
                    // (it offers WriteTraffic only then): from here on the
                    // records are kairos's.
                    let Engine::Rustls(conn) =
                        std::mem::replace(&mut self.engine, Engine::Switching)
                    else {
                        unreachable!("checked above")
                    };
                    self.engine = Engine::Records(Box::new(Records::new(*conn)?));
                    return Ok(Step::Progress);
                }
                Some(s) => return Ok(s),
                None => {}
            }
        }
    }

    /// Decrypts the next complete record of the incoming buffer in place and
    /// acts on it.
    fn records_step(&mut self) -> io::Result<Step> {
        loop {
            if self.peer_closed {
                return Ok(Step::Progress);
            }
            let avail = self.in_end - self.in_start;
            if avail < RECORD_HEADER_BYTES {
                return Ok(Step::NeedInput);
            }
            let at = self.in_start;
            let mut header = [0u8; RECORD_HEADER_BYTES];
            header.copy_from_slice(&self.incoming[at..at + RECORD_HEADER_BYTES]);
            // The legacy version (bytes 1 and 2) is ignored (RFC 8446 §5.1).
            let len = u16::from_be_bytes([header[3], header[4]]) as usize;
            if header[0] != CONTENT_APPLICATION_DATA {
                return Err(tls_error(format!(
                    "unexpected record type {} after the handshake",
                    header[0]
                )));
            }
            if len > MAX_CIPHERTEXT_BYTES {
                return Err(tls_error("record overflow"));
            }
            if avail < RECORD_HEADER_BYTES + len {
                return Ok(Step::NeedInput);
            }
            if len <= TAG_BYTES {
                return Err(tls_error("record too short"));
            }
            if !make_room(
                &mut self.plain,
                &mut self.plain_start,
                &mut self.plain_end,
                len - TAG_BYTES,
            ) {
                return Ok(Step::PlaintextFull);
            }
            let Engine::Records(rec) = &mut self.engine else {
                return Err(tls_error("not on the record layer"));
            };
            let body = &mut self.incoming[at + RECORD_HEADER_BYTES..at + RECORD_HEADER_BYTES + len];
            let nonce = rec.rx.next_nonce()?;
            let inner = rec
                .rx
                .key
                .open_in_place(nonce, Aad::from(header), body)
                .map_err(|_| tls_error("record decryption failed (bad_record_mac)"))?;
            self.in_start += RECORD_HEADER_BYTES + len;
            // The content type is the last non-zero byte; zeros after it are
            // padding.
            let Some(typ_at) = inner.iter().rposition(|&b| b != 0) else {
                return Err(tls_error("record without a content type"));
            };
            let (content, typ) = (&inner[..typ_at], inner[typ_at]);
            if content.len() > MAX_FRAGMENT_BYTES {
                return Err(tls_error("record overflow"));
            }
            match typ {
                CONTENT_APPLICATION_DATA if content.is_empty() => {}
                CONTENT_APPLICATION_DATA => {
                    let end = self.plain_end + content.len();
                    self.plain[self.plain_end..end].copy_from_slice(content);
                    self.plain_end = end;
                    return Ok(Step::Progress);
                }
                CONTENT_ALERT => match *content {
                    [_, ALERT_CLOSE_NOTIFY] => self.peer_closed = true,
                    [_, ALERT_USER_CANCELED] => {}
                    [_, d] => return Err(tls_error(format!("alert {d} from the peer"))),
                    _ => return Err(tls_error("malformed alert")),
                },
                CONTENT_HANDSHAKE if !content.is_empty() => rec.on_handshake(content)?,
                other => return Err(tls_error(format!("unexpected content type {other}"))),
            }
        }
    }

    /// Drives the handshake as far as the socket allows: `WouldBlock` until
    /// it is done.
    fn finish_handshake(&mut self) -> io::Result<()> {
        while matches!(&self.engine, Engine::Rustls(c) if c.is_handshaking()) {
            match self.rustls_step(Want::Nothing)? {
                Step::NeedInput => {
                    self.send_some()?;
                    self.fill()?;
                }
                Step::PlaintextFull => return Err(io::ErrorKind::WouldBlock.into()),
                Step::Progress | Step::Writable(_) => {}
            }
        }
        Ok(())
    }

    fn read_inner(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.plain_start < self.plain_end {
                let n = buf.len().min(self.plain_end - self.plain_start);
                buf[..n].copy_from_slice(&self.plain[self.plain_start..self.plain_start + n]);
                self.plain_start += n;
                return Ok(n);
            }
            if self.peer_closed {
                return Ok(0);
            }
            match self.step()? {
                Step::Progress | Step::PlaintextFull => {}
                Step::NeedInput | Step::Writable(_) => {
                    // Handshake records first: the peer may be waiting.
                    self.send_some()?;
                    self.fill()?;
                }
            }
        }
    }

    fn write_inner(&mut self, data: &[u8]) -> io::Result<usize> {
        self.finish_handshake()?;
        let data = &data[..data.len().min(MAX_FRAGMENT_BYTES)];
        let room = Records::room_for(data.len());
        if !make_room(
            &mut self.outgoing,
            &mut self.out_start,
            &mut self.out_end,
            room,
        ) {
            self.send_some()?;
            if !make_room(
                &mut self.outgoing,
                &mut self.out_start,
                &mut self.out_end,
                room,
            ) {
                return Err(io::ErrorKind::WouldBlock.into());
            }
        }
        loop {
            match &mut self.engine {
                Engine::Records(r) => {
                    let n = r.seal(
                        CONTENT_APPLICATION_DATA,
                        data,
                        &mut self.outgoing[self.out_end..],
                    )?;
                    self.out_end += n;
                    break;
                }
                Engine::Rustls(_) => match self.rustls_step(Want::Encrypt(data))? {
                    Step::Writable(0) | Step::PlaintextFull | Step::NeedInput => {
                        return Err(io::ErrorKind::WouldBlock.into())
                    }
                    Step::Writable(_) => break,
                    Step::Progress => {}
                },
                Engine::Switching => return Err(tls_error("no TLS engine")),
            }
        }
        self.send_some()?;
        Ok(data.len())
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.check_failed()?;
        if buf.is_empty() {
            return Ok(0);
        }
        self.read_inner(buf).map_err(|e| self.fail(e))
    }
}

impl Write for TlsStream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.check_failed()?;
        if data.is_empty() {
            return Ok(0);
        }
        self.write_inner(data).map_err(|e| self.fail(e))
    }

    /// `WouldBlock` while ciphertext is queued that the socket did not take.
    fn flush(&mut self) -> io::Result<()> {
        self.check_failed()?;
        self.send_pending().map_err(|e| self.fail(e))?;
        self.sock.flush()
    }
}
