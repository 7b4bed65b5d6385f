//! kairos's TLS stream (`feed::tls_stream`): its own TLS 1.3 record layer
//! after a rustls handshake, and rustls's unbuffered client on TLS 1.2.
//!
//! Against a blocking rustls server on a thread: data both ways in records of
//! every size, the peer's close_notify (end of stream), a peer that drops TCP
//! without one (`UnexpectedEof`), a corrupted record (`InvalidData`), a key
//! update asked by the server, session tickets (the next connection resumes)
//! and a TLS 1.2 server. Then the live driver against the sim's `wss://` port
//! through a proxy that cuts the byte stream into 1–7-byte pieces: every
//! frame decodes and the book syncs.

use kairos_core::drive::live::{LiveConfig, LiveDriver, LiveStatus, NoSink};
use kairos_core::engine::{Kind, NoopDecide};
use kairos_core::feed::tls_stream::TlsStream;
use kairos_core::sim::{CaptureFormat, Sim, SimConfig, SimSource};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod live_common;

type Server = StreamOwned<ServerConnection, std::net::TcpStream>;

struct Certs {
    server: Arc<ServerConfig>,
    server12: Arc<ServerConfig>,
    client: Arc<rustls::ClientConfig>,
}

fn certs(tag: &str) -> Certs {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let pem =
        std::env::temp_dir().join(format!("kairos-live-tls-{}-{tag}.pem", std::process::id()));
    std::fs::write(&pem, ck.cert.pem()).unwrap();
    let client = kairos_core::feed::tls::client_config(&[&pem]).unwrap();
    let _ = std::fs::remove_file(&pem);
    let cert: CertificateDer<'static> = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key.clone_key())
        .unwrap();
    let server12 = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    Certs {
        server: Arc::new(server),
        server12: Arc::new(server12),
        client,
    }
}

/// A server thread running `serve` on one accepted connection, and a client
/// stream connected to it (handshake not started).
fn pair<T: Send + 'static>(
    certs: &Certs,
    server_cfg: Arc<ServerConfig>,
    serve: impl FnOnce(Server) -> T + Send + 'static,
) -> (TlsStream, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let conn = ServerConnection::new(server_cfg).unwrap();
        serve(StreamOwned::new(conn, s))
    });
    let s = std::net::TcpStream::connect(addr).unwrap();
    s.set_nonblocking(true).unwrap();
    let sock = mio::net::TcpStream::from_std(s);
    let name = ServerName::try_from("localhost").unwrap();
    let t = TlsStream::new(certs.client.clone(), name, sock).unwrap();
    (t, server)
}

/// Retries `f` while it returns `WouldBlock` (the client is non-blocking).
fn retry<T>(mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    let t0 = Instant::now();
    loop {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(t0.elapsed() < Duration::from_secs(10), "stuck");
                std::thread::sleep(Duration::from_micros(200));
            }
            r => return r,
        }
    }
}

fn write_all(t: &mut TlsStream, mut data: &[u8]) {
    while !data.is_empty() {
        let n = retry(|| t.write(data)).unwrap();
        data = &data[n..];
    }
    retry(|| t.flush()).unwrap();
}

/// Reads until `want` bytes arrived or the stream ends or fails.
fn read_some(t: &mut TlsStream, want: usize) -> (Vec<u8>, io::Result<usize>) {
    let mut got = vec![];
    let mut buf = [0u8; 3000];
    while got.len() < want {
        match retry(|| t.read(&mut buf)) {
            Ok(0) => return (got, Ok(0)),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return (got, Err(e)),
        }
    }
    let n = got.len();
    (got, Ok(n))
}

/// Bytes that differ from position to position.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// The server's writes: one byte, a few hundred, one full record, more
/// than a record, one odd size.
const SIZES: [usize; 5] = [1, 300, 16384, 50_000, 777];

#[test]
fn data_both_ways_then_close_notify_ends_the_stream() {
    let c = certs("close");
    let (mut t, server) = pair(&c, c.server.clone(), |mut s| {
        for (i, n) in SIZES.iter().enumerate() {
            s.write_all(&pattern(*n, i as u8)).unwrap();
        }
        let mut got = vec![0u8; 200_000];
        s.read_exact(&mut got).unwrap();
        assert_eq!(got, pattern(200_000, 9));
        s.conn.send_close_notify();
        s.flush().unwrap();
        // Stay until the client has read the close_notify.
        let mut rest = vec![];
        let _ = s.read_to_end(&mut rest);
    });
    // The client's first write drives the handshake.
    write_all(&mut t, &pattern(200_000, 9));
    assert!(t.uses_own_record_layer(), "{t:?}");
    let total: usize = SIZES.iter().sum();
    let (got, r) = read_some(&mut t, total);
    assert_eq!(r.unwrap(), total);
    let mut want = vec![];
    for (i, n) in SIZES.iter().enumerate() {
        want.extend(pattern(*n, i as u8));
    }
    assert_eq!(got, want);
    let (more, r) = read_some(&mut t, 1);
    assert!(more.is_empty());
    assert_eq!(r.unwrap(), 0, "close_notify is the end of the stream");
    t.close_notify();
    drop(t);
    server.join().unwrap();
}

#[test]
fn a_tcp_close_without_close_notify_is_an_unexpected_eof() {
    let c = certs("eof");
    let (mut t, server) = pair(&c, c.server.clone(), |mut s| {
        s.write_all(b"last words").unwrap();
        s.flush().unwrap();
        s.sock.shutdown(std::net::Shutdown::Both).unwrap();
    });
    let (got, r) = read_some(&mut t, 100);
    assert_eq!(got, b"last words");
    assert_eq!(r.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    server.join().unwrap();
}

#[test]
fn a_corrupted_record_is_invalid_data_from_then_on() {
    let c = certs("corrupt");
    let (mut t, server) = pair(&c, c.server.clone(), |mut s| {
        s.write_all(b"fine").unwrap();
        s.flush().unwrap();
        // An application-data record that no key produced.
        let mut bad = vec![23, 3, 3, 0, 40];
        bad.extend(pattern(40, 1));
        s.sock.write_all(&bad).unwrap();
        std::thread::sleep(Duration::from_millis(200));
    });
    let (got, r) = read_some(&mut t, 100);
    assert_eq!(got, b"fine");
    assert_eq!(r.unwrap_err().kind(), io::ErrorKind::InvalidData);
    let mut buf = [0u8; 10];
    assert_eq!(
        t.read(&mut buf).unwrap_err().kind(),
        io::ErrorKind::InvalidData
    );
    assert_eq!(
        t.write(b"x").unwrap_err().kind(),
        io::ErrorKind::InvalidData
    );
    server.join().unwrap();
}

#[test]
fn a_key_update_asked_by_the_server_is_followed_both_ways() {
    let c = certs("keyupdate");
    let (mut t, server) = pair(&c, c.server.clone(), |mut s| {
        s.write_all(b"before").unwrap();
        s.flush().unwrap();
        s.conn.refresh_traffic_keys().unwrap();
        s.write_all(b"after").unwrap();
        s.flush().unwrap();
        // Decrypts only if the client switched its sending key in step with
        // the KeyUpdate it sent.
        let mut got = [0u8; 5];
        s.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"reply");
        s.write_all(b"end").unwrap();
        s.flush().unwrap();
    });
    let (got, r) = read_some(&mut t, 11);
    r.unwrap();
    assert_eq!(got, b"beforeafter");
    write_all(&mut t, b"reply");
    let (got, _) = read_some(&mut t, 3);
    assert_eq!(got, b"end");
    server.join().unwrap();
}

#[test]
fn session_tickets_reach_rustls_and_the_next_connection_resumes() {
    let c = certs("resume");
    for round in 0..2 {
        let (mut t, server) = pair(&c, c.server.clone(), |mut s| {
            s.write_all(b"hi").unwrap();
            s.flush().unwrap();
            let mut got = [0u8; 2];
            s.read_exact(&mut got).unwrap();
            s.conn.handshake_kind()
        });
        let (got, _) = read_some(&mut t, 2);
        assert_eq!(got, b"hi");
        write_all(&mut t, b"ok");
        let kind = server.join().unwrap();
        let want = if round == 0 {
            rustls::HandshakeKind::Full
        } else {
            rustls::HandshakeKind::Resumed
        };
        assert_eq!(kind, Some(want), "round {round}");
    }
}

#[test]
fn a_tls12_server_is_served_by_rustls_to_the_end() {
    let c = certs("tls12");
    let (mut t, server) = pair(&c, c.server12.clone(), |mut s| {
        for (i, n) in SIZES.iter().enumerate() {
            s.write_all(&pattern(*n, i as u8)).unwrap();
        }
        s.flush().unwrap();
        let mut got = vec![0u8; 40_000];
        s.read_exact(&mut got).unwrap();
        assert_eq!(got, pattern(40_000, 3));
        s.conn.send_close_notify();
        s.flush().unwrap();
        let mut rest = vec![];
        let _ = s.read_to_end(&mut rest);
    });
    // Read first: on rustls, records already received must be read before
    // rustls lets the client write.
    let total: usize = SIZES.iter().sum();
    let (got, r) = read_some(&mut t, total);
    assert_eq!(r.unwrap(), total);
    assert!(!t.uses_own_record_layer());
    let mut want = vec![];
    for (i, n) in SIZES.iter().enumerate() {
        want.extend(pattern(*n, i as u8));
    }
    assert_eq!(got, want);
    write_all(&mut t, &pattern(40_000, 3));
    let (more, r) = read_some(&mut t, 1);
    assert!(more.is_empty());
    assert_eq!(r.unwrap(), 0);
    t.close_notify();
    drop(t);
    server.join().unwrap();
}

/// The live driver against the sim's `wss://` port through the dribbling
/// proxy: TLS records arrive split anywhere, a few bytes per socket read.
#[test]
fn tls_records_dribbled_a_few_bytes_at_a_time_decode_and_sync_the_book() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ticks/hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz");
    let mut sc = SimConfig::new(SimSource::Capture {
        path,
        format: CaptureFormat::Hftbacktest,
    });
    sc.speed = 10.0;
    sc.tls = true;
    let sim = Sim::start(sc).unwrap();
    let upstream = sim.ws_url().strip_prefix("wss://").unwrap().to_string();
    let proxy = live_common::Dribble::start(upstream, 7);
    let mut cfg = LiveConfig::new(
        &format!("wss://127.0.0.1:{}", proxy.port),
        sim.rest_url(),
        &["BTCUSDT"],
        &["depth@100ms", "bookTicker", "trade"],
    );
    cfg.root_pem = sim.cert_pem_path().map(|p| p.to_path_buf());
    cfg.duration = Some(Duration::from_secs(60));
    let status = Arc::new(LiveStatus::default());
    let mut driver = LiveDriver::new(cfg, NoopDecide, NoSink)
        .unwrap()
        .with_status(status.clone());
    let stop = driver.stop_flag();
    // 2,999 market frames in the fixture (3,000 lines, one snapshot).
    let watcher = std::thread::spawn(move || {
        let t0 = Instant::now();
        while status.events.load(Ordering::Relaxed) < 2999 && t0.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(200));
        stop.store(true, Ordering::Relaxed);
    });
    let out = driver.run();
    watcher.join().unwrap();
    let stats = sim.stats();
    sim.shutdown();
    eprintln!(
        "dribbled wss: events={} pieces={} sim={stats:?}",
        out.counters.events,
        proxy.pieces.load(Ordering::Relaxed)
    );
    assert_eq!(stats.frames_sent, 2999, "{stats:?}");
    assert_eq!(out.counters.events, 2999, "{:?}", out.counters);
    assert_eq!(out.engine.by_kind[Kind::Malformed as usize], 0);
    assert_eq!(out.engine.by_kind[Kind::BookTicker as usize], 2200);
    assert_eq!(out.engine.by_kind[Kind::Trade as usize], 518);
    assert_eq!(out.engine.by_kind[Kind::DepthUpdate as usize], 281);
    assert_eq!(out.counters.reconnects, 0);
    assert!(proxy.pieces.load(Ordering::Relaxed) > 50_000);
    let btc = &out.symbols[0];
    assert!(btc.ever_synced && btc.live, "{btc:?}");
    assert!(btc.book.applied > 200, "{btc:?}");
    assert!(
        btc.oracle.checked > 0 && btc.oracle.mismatches == 0,
        "{btc:?}"
    );
    assert_eq!(out.engine.stale_decisions, 0);
    assert!(out.engine.decisions > 0);
}
