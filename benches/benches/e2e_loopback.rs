//! End-to-end latency on loopback: from a server writing a frame to the
//! engine's decision on it, through the kernel's TCP loopback, TLS (rustls)
//! and the WebSocket layer (tungstenite), the live driver's mio loop, the
//! hot decoder, the book and the decision stage.
//!
//! The server here (rustls + tungstenite on a plain thread, a self-signed
//! rcgen certificate) stamps each bookTicker's send time, by sequence number
//! (its update id), in a shared table just before writing it; the driver's
//! sink looks the number up once the engine has decided on the frame. Both
//! sides read the same monotonic clock. The same run measures plain `ws://`
//! as the baseline, and both again with the driver spinning on the socket
//! (`busy_poll`) instead of sleeping in `epoll_wait`. Frames are paced (one every `PACE`), not flooded, so the
//! figures are per-frame latency, not queueing.
//!
//! `cargo bench -p kairos-benches --bench e2e_loopback` prints p50/p90/p99/
//! p99.9/max per transport and writes `target/e2e_loopback.json`.

use kairos_core::drive::live::{LiveConfig, LiveDriver, Sink};
use kairos_core::engine::NoopDecide;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// bookTickers measured per transport.
const FRAMES: u64 = 30_000;
/// Time between two frames.
const PACE: Duration = Duration::from_micros(100);
/// The snapshot's update id; diffs continue from it.
const SNAPSHOT_ID: u64 = 1000;
const SNAPSHOT: &str = r#"{"lastUpdateId":1000,"bids":[["100.00","1.0"],["99.99","2.0"]],"asks":[["100.01","1.0"],["100.02","2.0"]]}"#;

struct Shared {
    epoch: Instant,
    sent_ns: Vec<AtomicU64>,
    snapshot_served: AtomicBool,
}

fn rest_server(listener: TcpListener, shared: Arc<Shared>) {
    for s in listener.incoming() {
        let Ok(mut s) = s else { continue };
        let mut buf = [0u8; 4096];
        let mut got = 0;
        while got < buf.len() {
            match s.read(&mut buf[got..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
            if buf[..got].windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{SNAPSHOT}",
            SNAPSHOT.len()
        );
        let _ = s.write_all(resp.as_bytes());
        shared.snapshot_served.store(true, Ordering::Release);
    }
}

fn serve<S: Read + Write>(mut ws: tungstenite::WebSocket<S>, shared: &Shared) {
    let diff = |id: u64, qty: u64| {
        format!(
            r#"{{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":{id},"u":{id},"b":[["100.00","{qty}.0"]],"a":[]}}"#
        )
    };
    let mut id = SNAPSHOT_ID + 1;
    ws.send(tungstenite::Message::text(diff(id, 3))).unwrap();
    id += 1;
    let t0 = Instant::now();
    while !shared.snapshot_served.load(Ordering::Acquire) && t0.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(100));
    let mut next = Instant::now();
    for seq in 0..FRAMES {
        let text = if seq % 10 == 9 {
            id += 1;
            diff(id - 1, seq % 7 + 1)
        } else {
            format!(
                r#"{{"u":{seq},"s":"BTCUSDT","b":"100.00000000","B":"1.00000000","a":"100.01000000","A":"1.00000000"}}"#
            )
        };
        while Instant::now() < next {
            std::hint::spin_loop();
        }
        next += PACE;
        if seq % 10 != 9 {
            let ns = shared.epoch.elapsed().as_nanos() as u64;
            shared.sent_ns[seq as usize].store(ns, Ordering::Release);
        }
        if ws.send(tungstenite::Message::text(text)).is_err() {
            return;
        }
    }
    // Keep the connection open until the client leaves.
    let _ = ws.read();
}

struct Measure {
    shared: Arc<Shared>,
    hist: hdrhistogram::Histogram<u64>,
    seen: Arc<AtomicU64>,
}

impl Sink for Measure {
    fn processed(&mut self, bytes: &[u8], decided: bool) {
        let Some(rest) = bytes.strip_prefix(b"{\"u\":") else {
            return;
        };
        let seq = rest
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .fold(0u64, |a, b| a * 10 + u64::from(b - b'0'));
        self.seen.fetch_add(1, Ordering::Relaxed);
        if !decided {
            return;
        }
        let now = self.shared.epoch.elapsed().as_nanos() as u64;
        let sent = self.shared.sent_ns[seq as usize].load(Ordering::Acquire);
        if sent > 0 {
            let _ = self.hist.record(now.saturating_sub(sent).max(1));
        }
    }
}

fn run(tls: bool, busy: bool, dir: &std::path::Path) -> hdrhistogram::Histogram<u64> {
    let shared = Arc::new(Shared {
        epoch: Instant::now(),
        sent_ns: (0..FRAMES).map(|_| AtomicU64::new(0)).collect(),
        snapshot_served: AtomicBool::new(false),
    });
    let rest = TcpListener::bind("127.0.0.1:0").unwrap();
    let rest_port = rest.local_addr().unwrap().port();
    let s2 = shared.clone();
    std::thread::spawn(move || rest_server(rest, s2));
    let ws_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ws_port = ws_listener.local_addr().unwrap().port();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let pem = dir.join("e2e-cert.pem");
    std::fs::write(&pem, cert.cert.pem()).unwrap();
    let server_cfg = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der())),
        )
        .unwrap(),
    );
    let s3 = shared.clone();
    std::thread::spawn(move || {
        let (s, _) = ws_listener.accept().unwrap();
        s.set_nodelay(true).unwrap();
        if tls {
            let conn = rustls::ServerConnection::new(server_cfg).unwrap();
            let ws = tungstenite::accept(rustls::StreamOwned::new(conn, s)).unwrap();
            serve(ws, &s3);
        } else {
            serve(tungstenite::accept::<TcpStream>(s).unwrap(), &s3);
        }
    });
    let scheme = if tls { "wss" } else { "ws" };
    let mut cfg = LiveConfig::new(
        &format!("{scheme}://127.0.0.1:{ws_port}"),
        &format!("http://127.0.0.1:{rest_port}"),
        &["BTCUSDT"],
        &["depth@100ms", "bookTicker"],
    );
    cfg.root_pem = Some(pem);
    cfg.busy_poll = busy;
    cfg.duration = Some(Duration::from_secs(60));
    let seen = Arc::new(AtomicU64::new(0));
    let sink = Measure {
        shared,
        hist: hdrhistogram::Histogram::new_with_bounds(1, 10_000_000_000, 3).unwrap(),
        seen: seen.clone(),
    };
    let mut driver = LiveDriver::new(cfg, NoopDecide, sink).unwrap();
    let stop = driver.stop_flag();
    let watcher = std::thread::spawn(move || {
        let bookticks = FRAMES - FRAMES / 10;
        let t0 = Instant::now();
        while seen.load(Ordering::Relaxed) < bookticks && t0.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
    });
    let out = driver.run();
    watcher.join().unwrap();
    assert_eq!(out.engine.stale_decisions, 0);
    driver.into_sink().hist
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // special: run a short smoke version then.
    let dir = std::env::temp_dir().join(format!("kairos-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut report = serde_json::Map::new();
    for (name, tls, busy) in [
        ("ws_plain", false, false),
        ("wss_tls", true, false),
        ("ws_plain_busy_poll", false, true),
        ("wss_tls_busy_poll", true, true),
    ] {
        let h = run(tls, busy, &dir);
        let q = |p: f64| h.value_at_quantile(p);
        println!(
            "e2e_loopback {name}: n={} p50={}ns p90={}ns p99={}ns p99.9={}ns max={}ns",
            h.len(),
            q(0.5),
            q(0.9),
            q(0.99),
            q(0.999),
            h.max()
        );
        report.insert(
            name.into(),
            serde_json::json!({"count": h.len(), "p50": q(0.5), "p90": q(0.9), "p99": q(0.99), "p999": q(0.999), "max": h.max()}),
        );
    }
    let out =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e_loopback.json");
    let _ = std::fs::write(
        &out,
        serde_json::to_string_pretty(&serde_json::Value::Object(report)).unwrap(),
    );
}
