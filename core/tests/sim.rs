//! `kairos sim` in-process: WebSocket streams (plain and TLS), the method
//! messages, REST snapshots consistent with the diffs, every fault counted,
//! the limits. Clients here are tungstenite's blocking client, rustls, and a
//! few lines of raw HTTP, all independent of the sim's own code.

use kairos_core::sim::{CaptureFormat, Faults, Sim, SimConfig, SimSource, SimStats};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

/// Longest any single wait in these tests may take (a loaded 2-core machine).
const WAIT: Duration = Duration::from_secs(15);

fn ticks(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ticks")
        .join(name)
}

/// 3,000 lines, 28 s, a REST snapshot at line 8, 281 continuous diffs.
fn with_snapshot() -> SimSource {
    SimSource::Capture {
        path: ticks("hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz"),
        format: CaptureFormat::Hftbacktest,
    }
}

/// 1,500 lines, 34 s, no snapshot, 329 continuous diffs.
fn no_snapshot() -> SimSource {
    SimSource::Capture {
        path: ticks("hftbacktest_BTCUSDT_20230405T0000_first1500_no_snapshot.jsonl.gz"),
        format: CaptureFormat::Hftbacktest,
    }
}

fn start(source: SimSource, speed: f64, faults: Faults) -> Sim {
    let mut cfg = SimConfig::new(source);
    cfg.speed = speed;
    cfg.faults = faults;
    Sim::start(cfg).expect("sim starts")
}

type Ws = WebSocket<TcpStream>;

fn connect(sim: &Sim, path: &str) -> Ws {
    connect_with(sim, path, None)
}

fn connect_with(sim: &Sim, path: &str, config: Option<WebSocketConfig>) -> Ws {
    let url = format!("{}{path}", sim.ws_url());
    let addr = sim.ws_url().trim_start_matches("ws://").to_string();
    let tcp = TcpStream::connect(addr).expect("tcp connect");
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let (ws, _) = tungstenite::client::client_with_config(url.as_str(), tcp, config)
        .unwrap_or_else(|e| panic!("handshake {url}: {e}"));
    ws
}

/// The next text frame as JSON (pings are answered by tungstenite on read).
fn next_json<S: Read + Write>(ws: &mut WebSocket<S>) -> Value {
    loop {
        match ws.read().expect("read a frame") {
            Message::Text(t) => {
                return serde_json::from_str(t.as_str())
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {}", t.as_str()))
            }
            Message::Close(c) => panic!("closed by the sim: {c:?}"),
            _ => {}
        }
    }
}

/// Reads until a text frame is not valid JSON or the connection fails;
/// returns the frames before it and what ended it.
fn read_until_error(ws: &mut Ws, max: usize) -> (Vec<Value>, String) {
    let mut got = Vec::new();
    for _ in 0..max {
        match ws.read() {
            Ok(Message::Text(t)) => match serde_json::from_str(t.as_str()) {
                Ok(v) => got.push(v),
                Err(_) => return (got, format!("malformed: {}", t.as_str())),
            },
            Ok(Message::Close(_)) => return (got, "close frame".into()),
            Ok(_) => {}
            Err(e) => return (got, format!("error: {e}")),
        }
    }
    (got, "no error".into())
}

fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text.to_string())).expect("send");
}

/// Polls `f` on the sim's counters until it holds or [`WAIT`] passes.
fn wait_stats(sim: &Sim, what: &str, f: impl Fn(&SimStats) -> bool) -> SimStats {
    let deadline = Instant::now() + WAIT;
    loop {
        let s = sim.stats();
        if f(&s) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {s:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

struct HttpAnswer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl HttpAnswer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// One GET over a fresh connection (`Connection: close`), raw HTTP/1.1.
fn get(sim: &Sim, path_and_query: &str) -> HttpAnswer {
    let addr = sim.rest_url().trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("rest connect");
    s.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        s,
        "GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read answer");
    let text = String::from_utf8(raw).expect("utf-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect::<Vec<_>>();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .expect("Content-Length");
    assert_eq!(body.len(), len, "body length matches Content-Length");
    HttpAnswer {
        status,
        headers,
        body: body.to_string(),
    }
}

/// A test-side book: price string → qty string, per side.
#[derive(Debug, Default, PartialEq)]
struct Book {
    bids: BTreeMap<String, String>,
    asks: BTreeMap<String, String>,
    last: u64,
}

/// A decimal printed with eight places (`"1.5"` → `"1.50000000"`).
fn norm(q: &str) -> String {
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    format!("{int}.{frac:0<8}")
}

/// Prices compared as numbers: Binance prints fixed 8 decimals, so a
/// zero-padded key sorts right; the test keeps the text as sent.
fn key(p: &str) -> String {
    let (int, frac) = p.split_once('.').unwrap_or((p, ""));
    format!("{int:0>20}.{frac}")
}

impl Book {
    fn from_snapshot(v: &Value) -> Book {
        let mut b = Book {
            last: v["lastUpdateId"].as_u64().unwrap(),
            ..Book::default()
        };
        for (side, name) in [(&mut b.bids, "bids"), (&mut b.asks, "asks")] {
            for l in v[name].as_array().unwrap() {
                side.insert(key(l[0].as_str().unwrap()), norm(l[1].as_str().unwrap()));
            }
        }
        b
    }

    fn apply(&mut self, d: &Value) {
        for (side, name) in [(&mut self.bids, "b"), (&mut self.asks, "a")] {
            for l in d[name].as_array().unwrap() {
                let (p, q) = (l[0].as_str().unwrap(), l[1].as_str().unwrap());
                if norm(q) == "0.00000000" {
                    side.remove(&key(p));
                } else {
                    side.insert(key(p), norm(q));
                }
            }
        }
        self.last = d["u"].as_u64().unwrap();
    }
}

/// Syncs a book from the sim the documented way (stream first, then the
/// snapshot, drop `u <= lastUpdateId`, first diff straddles, then no gaps),
/// and checks it equals a later snapshot exactly.
fn check_consistency(source: SimSource, symbol: &str) {
    let sim = start(source, 10.0, Faults::default());
    let stream = format!("{}@depth@100ms", symbol.to_ascii_lowercase());
    let mut ws = connect(&sim, &format!("/stream?streams={stream}"));
    let depth = format!("/api/v3/depth?symbol={symbol}&limit=5000");
    let mut buffered = vec![next_json(&mut ws)["data"].clone()];
    let snap = get(&sim, &depth);
    assert_eq!(snap.status, 200, "{}", snap.body);
    let mut book = Book::from_snapshot(&snap.json());
    let mut synced = false;
    let mut applied = 0;
    let step = |book: &mut Book, d: Value, synced: &mut bool| -> bool {
        let (first, last) = (d["U"].as_u64().unwrap(), d["u"].as_u64().unwrap());
        if last <= book.last {
            return false;
        }
        if !*synced {
            assert!(
                first <= book.last + 1,
                "first diff straddles: U={first} last={}",
                book.last
            );
            *synced = true;
        } else {
            assert_eq!(first, book.last + 1, "no gap in the sim's diff stream");
        }
        book.apply(&d);
        true
    };
    for d in buffered.drain(..) {
        applied += usize::from(step(&mut book, d, &mut synced));
    }
    while applied < 20 {
        let d = next_json(&mut ws)["data"].clone();
        applied += usize::from(step(&mut book, d, &mut synced));
    }
    let later = get(&sim, &depth).json();
    let target = later["lastUpdateId"].as_u64().unwrap();
    assert!(
        target >= book.last,
        "the snapshot never runs behind what was sent"
    );
    while book.last < target {
        let d = next_json(&mut ws)["data"].clone();
        step(&mut book, d, &mut synced);
    }
    assert_eq!(
        book.last, target,
        "the snapshot's id is the u of a sent diff"
    );
    let expected = Book::from_snapshot(&later);
    let got = book;
    assert!(expected.bids.len() + expected.asks.len() > 0);
    for (name, g, e) in [
        ("bids", &got.bids, &expected.bids),
        ("asks", &got.asks, &expected.asks),
    ] {
        let missing: Vec<_> = e
            .iter()
            .filter(|(k, v)| g.get(*k) != Some(v))
            .take(5)
            .collect();
        let extra: Vec<_> = g
            .iter()
            .filter(|(k, v)| e.get(*k) != Some(v))
            .take(5)
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: rebuilt book != later snapshot (levels {} vs {}): snapshot has {missing:?}, rebuilt has {extra:?}",
            g.len(),
            e.len()
        );
    }
    assert_eq!(got.last, expected.last);
    let st = sim.stats();
    assert_eq!(st.snapshots_served, 2);
    assert!(st.diffs_applied >= 20);
    sim.shutdown();
}

#[test]
fn snapshot_consistent_with_diffs_when_the_capture_has_a_snapshot() {
    check_consistency(with_snapshot(), "BTCUSDT");
}

#[test]
fn snapshot_consistent_with_diffs_without_a_recorded_snapshot() {
    check_consistency(no_snapshot(), "BTCUSDT");
}

#[test]
fn snapshot_consistent_with_diffs_on_a_three_symbol_cryptofeed_capture() {
    let source = SimSource::Capture {
        path: ticks("cryptofeed_BTC_ETH_DOT_20210404_first1200_with_rest.txt.gz"),
        format: CaptureFormat::Cryptofeed,
    };
    check_consistency(source, "ETHUSDT");
}

#[test]
fn bare_frames_on_ws_and_envelopes_on_stream() {
    let sim = start(with_snapshot(), 20.0, Faults::default());
    let mut bare = connect(&sim, "/ws/btcusdt@depth/btcusdt@trade");
    let mut env = connect(
        &sim,
        "/stream?streams=btcusdt@bookTicker/btcusdt@depth@100ms",
    );
    let mut kinds = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let v = next_json(&mut bare);
        assert!(v.get("stream").is_none(), "bare on /ws: {v}");
        kinds.insert(v["e"].as_str().unwrap().to_string());
    }
    assert!(
        kinds.contains("depthUpdate") && kinds.contains("trade"),
        "{kinds:?}"
    );
    let mut streams = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let v = next_json(&mut env);
        let s = v["stream"].as_str().unwrap().to_string();
        match s.as_str() {
            "btcusdt@bookTicker" => assert!(v["data"]["u"].is_u64()),
            "btcusdt@depth@100ms" => assert_eq!(v["data"]["e"], "depthUpdate"),
            other => panic!("unsubscribed stream {other}"),
        }
        streams.insert(s);
    }
    assert_eq!(streams.len(), 2, "{streams:?}");
    assert_eq!(sim.stats().connections, 2);
    sim.shutdown();
}

#[test]
fn subscribe_methods_ack_with_ids_and_errors() {
    let sim = start(with_snapshot(), 20.0, Faults::default());
    let mut ws = connect(&sim, "/ws");
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":42}"#,
    );
    assert_eq!(
        next_json(&mut ws),
        serde_json::json!({"result": null, "id": 42})
    );
    let v = next_json(&mut ws);
    assert_eq!(v["e"], "trade", "data flows after the ack");
    send(&mut ws, r#"{"method":"LIST_SUBSCRIPTIONS","id":43}"#);
    let v = loop {
        let v = next_json(&mut ws);
        if v.get("id").is_some() {
            break v;
        }
    };
    assert_eq!(
        v,
        serde_json::json!({"result": ["btcusdt@trade"], "id": 43})
    );
    send(&mut ws, "{not json");
    let v = loop {
        let v = next_json(&mut ws);
        if v.get("error").is_some() {
            break v;
        }
    };
    assert_eq!(v["error"]["code"], 3);
    assert_eq!(v["id"], Value::Null);
    let st = wait_stats(&sim, "one error", |s| s.ws_request_errors == 1);
    assert_eq!(st.subscribe_requests, 1);
    sim.shutdown();
}

#[test]
fn five_messages_per_second_limit_disconnects() {
    let sim = start(with_snapshot(), 1.0, Faults::default());
    let mut ws = connect(&sim, "/ws");
    for id in 0..6 {
        // Some sends may fail once the sim has closed: that is the point.
        let _ = ws.send(Message::text(format!(
            r#"{{"method":"LIST_SUBSCRIPTIONS","id":{id}}}"#
        )));
    }
    let (_, end) = read_until_error(&mut ws, 100);
    assert_ne!(end, "no error");
    let st = wait_stats(&sim, "rate-limit disconnect", |s| {
        s.rate_limit_disconnects == 1
    });
    assert_eq!(st.connections, 1);
    sim.shutdown();
}

#[test]
fn rest_endpoints_weights_and_errors() {
    let sim = start(with_snapshot(), 20.0, Faults::default());
    let ping = get(&sim, "/api/v3/ping");
    assert_eq!((ping.status, ping.body.as_str()), (200, "{}"));
    let w1: u32 = ping
        .header("X-MBX-USED-WEIGHT-1M")
        .unwrap()
        .parse()
        .unwrap();
    let time = get(&sim, "/api/v3/time");
    assert!(time.json()["serverTime"].as_u64().unwrap() > 1_600_000_000_000);
    let info = get(&sim, "/api/v3/exchangeInfo");
    let w3: u32 = info
        .header("X-MBX-USED-WEIGHT-1M")
        .unwrap()
        .parse()
        .unwrap();
    // ping 1 + time 1 + exchangeInfo 20 (unless a minute boundary passed).
    assert!(w3 == w1 + 21 || w3 <= 21, "w1={w1} w3={w3}");
    let decoded = kairos_core::binance::exchange_info::decode_exchange_info(info.body.as_bytes())
        .expect("kairos decodes the sim's exchangeInfo");
    let btc = decoded.symbol("BTCUSDT").expect("BTCUSDT listed");
    assert_eq!(
        btc.price_filter().unwrap().tick_size.to_string(),
        "0.01000000"
    );
    // The step is the finest quantity the capture shows: every level is a multiple of it.
    let step = btc.lot_size().unwrap().step_size;
    assert!(step.units() > 0 && step.units() <= 1_000);
    let depth = get(&sim, "/api/v3/depth?symbol=BTCUSDT&limit=5");
    assert_eq!(depth.status, 200);
    let v = depth.json();
    assert_eq!(v["bids"].as_array().unwrap().len(), 5);
    for l in v["bids"]
        .as_array()
        .unwrap()
        .iter()
        .chain(v["asks"].as_array().unwrap())
    {
        let q = kairos_core::num::Qty::parse(l[1].as_str().unwrap()).unwrap();
        assert!(
            q.is_multiple_of(step),
            "{q} is a multiple of the step {step}"
        );
    }
    let best_bid = v["bids"][0][0].as_str().unwrap();
    assert_eq!(
        best_bid.split('.').nth(1).unwrap().len(),
        8,
        "8 places: {best_bid}"
    );
    let bad = get(&sim, "/api/v3/depth?symbol=NOPE");
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json(),
        serde_json::json!({"code": -1121, "msg": "Invalid symbol."})
    );
    assert_eq!(get(&sim, "/api/v3/depth").json()["code"], -1102);
    assert_eq!(
        get(&sim, "/api/v3/depth?symbol=BTCUSDT&limit=x").json()["code"],
        -1100
    );
    assert_eq!(get(&sim, "/api/v3/nothing").status, 404);
    // Keep-alive: two requests on one connection.
    let addr = sim.rest_url().trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.write_all(b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v3/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut all = String::new();
    s.read_to_string(&mut all).unwrap();
    assert_eq!(all.matches("HTTP/1.1 200 OK").count(), 2, "{all}");
    let st = sim.stats();
    assert!(st.rest_requests >= 10);
    assert_eq!(st.snapshots_served, 1);
    sim.shutdown();
}

#[test]
fn rest_faults_418_then_429_with_retry_after_and_delay() {
    let faults = Faults {
        rest_418_first: 1,
        ban_for: Duration::from_secs(120),
        rest_429_first: 2,
        retry_after: Duration::from_secs(3),
        rest_delay: Duration::from_millis(150),
        ..Faults::default()
    };
    let sim = start(no_snapshot(), 20.0, faults);
    let t = Instant::now();
    let a = get(&sim, "/api/v3/depth?symbol=BTCUSDT&limit=10");
    assert!(
        t.elapsed() >= Duration::from_millis(150),
        "rest_delay applies"
    );
    assert_eq!(a.status, 418);
    assert_eq!(a.header("Retry-After"), Some("120"));
    assert_eq!(a.json()["code"], -1003);
    assert!(a.header("X-MBX-USED-WEIGHT-1M").is_some());
    for _ in 0..2 {
        let b = get(&sim, "/api/v3/depth?symbol=BTCUSDT&limit=10");
        assert_eq!(b.status, 429);
        assert_eq!(b.header("Retry-After"), Some("3"));
        assert_eq!(b.json()["code"], -1003);
    }
    let c = get(&sim, "/api/v3/depth?symbol=BTCUSDT&limit=10");
    assert_eq!(c.status, 200, "{}", c.body);
    let st = sim.stats();
    assert_eq!((st.http_418, st.http_429, st.snapshots_served), (1, 2, 1));
    sim.shutdown();
}

#[test]
fn diff_faults_drop_duplicate_reorder() {
    let faults = Faults {
        drop_diff_every: Some(5),
        dup_diff_every: Some(7),
        reorder_diff_every: Some(11),
        ..Faults::default()
    };
    let sim = start(with_snapshot(), 20.0, faults);
    let mut ws = connect(&sim, "/ws/btcusdt@depth");
    let ids: Vec<(u64, u64)> = (0..40)
        .map(|_| {
            let v = next_json(&mut ws);
            (v["U"].as_u64().unwrap(), v["u"].as_u64().unwrap())
        })
        .collect();
    let mut gaps = 0;
    let mut dups = 0;
    let mut backwards = 0;
    for w in ids.windows(2) {
        let ((_, u0), (u1_first, u1)) = (w[0], w[1]);
        if u1 == u0 {
            dups += 1;
        } else if u1 < u0 {
            backwards += 1;
        } else if u1_first != u0 + 1 {
            gaps += 1;
        }
    }
    assert!(
        dups >= 1 && backwards >= 1 && gaps >= 1,
        "dups={dups} backwards={backwards} gaps={gaps} {ids:?}"
    );
    let st = sim.stats();
    assert!(
        st.diffs_dropped >= 1 && st.diffs_duplicated >= 1 && st.diffs_reordered >= 1,
        "{st:?}"
    );
    sim.shutdown();
}

#[test]
fn disconnect_after_n_messages() {
    let sim = start(
        with_snapshot(),
        20.0,
        Faults {
            disconnect_after: Some(5),
            ..Faults::default()
        },
    );
    let mut ws = connect(&sim, "/ws/btcusdt@bookTicker");
    let (got, end) = read_until_error(&mut ws, 100);
    assert_eq!(got.len(), 5, "{end}");
    assert!(end.starts_with("error"), "{end}");
    wait_stats(&sim, "forced disconnect", |s| s.forced_disconnects == 1);
    sim.shutdown();
}

#[test]
fn disconnect_every_seconds() {
    let faults = Faults {
        disconnect_every: Some(Duration::from_millis(300)),
        ..Faults::default()
    };
    let sim = start(with_snapshot(), 20.0, faults);
    let mut ws = connect(&sim, "/ws/btcusdt@bookTicker");
    let t = Instant::now();
    let (got, end) = read_until_error(&mut ws, 1_000_000);
    assert!(end.starts_with("error"), "{end}");
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
    assert!(!got.is_empty());
    wait_stats(&sim, "forced disconnect", |s| s.forced_disconnects == 1);
    sim.shutdown();
}

#[test]
fn stall_keeps_the_connection_silent_then_resumes() {
    let faults = Faults {
        stall_after: Some(3),
        stall_for: Duration::from_millis(800),
        ..Faults::default()
    };
    let mut cfg = SimConfig::new(with_snapshot());
    cfg.speed = 20.0;
    cfg.looped = true;
    cfg.faults = faults;
    let sim = Sim::start(cfg).unwrap();
    let mut ws = connect(&sim, "/ws/btcusdt@bookTicker");
    let mut last = Instant::now();
    let mut longest = Duration::ZERO;
    for _ in 0..10 {
        next_json(&mut ws);
        longest = longest.max(last.elapsed());
        last = Instant::now();
    }
    assert!(
        longest >= Duration::from_millis(700),
        "a silence of the stall's length: {longest:?}"
    );
    assert_eq!(sim.stats().stalls, 1);
    sim.shutdown();
}

#[test]
fn truncated_frame_then_tcp_close() {
    let sim = start(
        with_snapshot(),
        20.0,
        Faults {
            truncate_every: Some(4),
            ..Faults::default()
        },
    );
    let mut ws = connect(&sim, "/ws/btcusdt@bookTicker");
    let (got, end) = read_until_error(&mut ws, 100);
    assert_eq!(got.len(), 3, "{end}");
    assert!(end.starts_with("error"), "{end}");
    wait_stats(&sim, "truncated", |s| s.truncated == 1);
    sim.shutdown();
}

#[test]
fn malformed_frame_is_broken_json() {
    let sim = start(
        with_snapshot(),
        20.0,
        Faults {
            malformed_every: Some(3),
            ..Faults::default()
        },
    );
    let mut ws = connect(&sim, "/ws/btcusdt@bookTicker");
    let (got, end) = read_until_error(&mut ws, 100);
    assert_eq!(got.len(), 2, "{end}");
    assert!(end.starts_with("malformed"), "{end}");
    // The connection goes on after it.
    assert!(next_json(&mut ws)["u"].is_u64());
    assert!(sim.stats().malformed >= 1);
    sim.shutdown();
}

#[test]
fn oversized_frame_is_20_mib() {
    let sim = start(
        with_snapshot(),
        20.0,
        Faults {
            oversized_every: Some(2),
            ..Faults::default()
        },
    );
    // A client that accepts it, to measure it.
    let config = WebSocketConfig::default()
        .max_frame_size(None)
        .max_message_size(None);
    let mut ws = connect_with(&sim, "/ws/btcusdt@bookTicker", Some(config));
    let first = next_json(&mut ws);
    assert!(first["u"].is_u64());
    let big = match ws.read().unwrap() {
        Message::Text(t) => t.len(),
        other => panic!("{other:?}"),
    };
    assert_eq!(big, 20 << 20);
    // The sim counts the frame once its write has returned, which may be
    // just after this client has read it.
    let t = Instant::now();
    while sim.stats().oversized == 0 && t.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(sim.stats().oversized >= 1);
    // A client with tungstenite's default limits (16 MiB frames) refuses it.
    let mut strict = connect(&sim, "/ws/btcusdt@bookTicker");
    let (_, end) = read_until_error(&mut strict, 10);
    assert!(end.contains("Space limit exceeded"), "{end}");
    // Shutting down does not wait on writes to clients that stopped reading.
    let t = Instant::now();
    sim.shutdown();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    drop((ws, strict));
}

#[test]
fn server_pings_are_answered_and_silence_times_out() {
    let mut cfg = SimConfig::new(with_snapshot());
    cfg.speed = 20.0;
    cfg.ping_interval = Duration::from_millis(100);
    cfg.pong_timeout = Duration::from_millis(1500);
    let sim = Sim::start(cfg).unwrap();
    let mut ws = connect(&sim, "/ws/btcusdt@bookTicker");
    // Reading answers pings (tungstenite queues the pong and flushes it).
    let deadline = Instant::now() + WAIT;
    while sim.stats().pongs_received < 2 {
        assert!(
            Instant::now() < deadline,
            "no pong counted: {:?}",
            sim.stats()
        );
        next_json(&mut ws);
        let _ = ws.flush();
    }
    assert!(sim.stats().pings_sent >= 2);
    let _ = ws.close(None);
    let _ = ws.flush();
    drop(ws);
    assert_eq!(sim.stats().pong_timeouts, 0);
    // A client that never reads never answers: closed after the timeout.
    let _silent = connect(&sim, "/ws");
    wait_stats(&sim, "pong timeout", |s| s.pong_timeouts == 1);
    sim.shutdown();
}

#[test]
fn looping_offsets_ids_with_a_gap() {
    let mut cfg = SimConfig::new(no_snapshot());
    cfg.speed = 0.0;
    cfg.looped = true;
    let sim = Sim::start(cfg).unwrap();
    let mut ws = connect(&sim, "/ws/btcusdt@depth");
    let mut prev_u = None;
    let mut wrap = None;
    for _ in 0..2000 {
        let v = next_json(&mut ws);
        let (first, last) = (v["U"].as_u64().unwrap(), v["u"].as_u64().unwrap());
        if let Some(p) = prev_u {
            assert!(first > p, "ids keep increasing across the wrap");
            if first != p + 1 {
                wrap = Some((p, first));
                break;
            }
        }
        prev_u = Some(last);
    }
    let (before, after) = wrap.expect("a wrap within 2000 diffs (329 per pass)");
    assert!(
        after > before + 1_000,
        "a deliberate gap: {before} → {after}"
    );
    assert!(sim.stats().loops >= 1);
    let snap = get(&sim, "/api/v3/depth?symbol=BTCUSDT&limit=5").json();
    assert!(snap["lastUpdateId"].as_u64().unwrap() >= after - 1);
    sim.shutdown();
}

#[test]
fn tls_with_the_written_certificate() {
    let dir = std::env::temp_dir().join(format!("kairos-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("sim-cert.pem");
    let mut cfg = SimConfig::new(with_snapshot());
    cfg.speed = 20.0;
    cfg.tls = true;
    cfg.cert_out = Some(pem.clone());
    let sim = Sim::start(cfg).unwrap();
    assert!(sim.ws_url().starts_with("wss://127.0.0.1:"));
    assert_eq!(sim.cert_pem_path(), Some(pem.as_path()));

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&pem).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let addr = sim.ws_url().trim_start_matches("wss://").to_string();
    let tcp = TcpStream::connect(&addr).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tls = rustls::StreamOwned::new(conn, tcp);
    let url = format!("{}/stream?streams=btcusdt@trade", sim.ws_url());
    let (mut ws, _) = tungstenite::client(url.as_str(), tls).expect("wss handshake");
    for _ in 0..3 {
        let v = next_json(&mut ws);
        assert_eq!(v["stream"], "btcusdt@trade");
    }
    sim.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn klines_source_serves_closed_kline_events() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/klines/binance_spot_BTCUSDT_1m_20240726_first30.csv.gz");
    let sim = start(
        SimSource::Klines {
            path,
            symbol: "BTCUSDT".into(),
        },
        6000.0,
        Faults::default(),
    );
    let mut ws = connect(&sim, "/stream?streams=btcusdt@kline_1m");
    let a = next_json(&mut ws);
    let b = next_json(&mut ws);
    assert_eq!(a["stream"], "btcusdt@kline_1m");
    let k = &a["data"]["k"];
    assert_eq!(
        (k["i"].as_str(), k["x"].as_bool()),
        (Some("1m"), Some(true))
    );
    assert_eq!(k["t"], 1722003300000u64, "the first row");
    assert_eq!(k["o"], "67745.75000000");
    assert_eq!(b["data"]["k"]["t"], 1722003360000u64);
    sim.shutdown();
}

#[test]
fn refuses_non_loopback_and_bad_paths() {
    let mut cfg = SimConfig::new(with_snapshot());
    cfg.listen = "0.0.0.0:0".parse().unwrap();
    let err = Sim::start(cfg).unwrap_err();
    assert!(err.to_string().contains("refusing"), "{err}");

    let sim = start(with_snapshot(), 1.0, Faults::default());
    let addr = sim.ws_url().trim_start_matches("ws://").to_string();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let url = format!("{}/nope", sim.ws_url());
    match tungstenite::client(url.as_str(), tcp) {
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(r))) => {
            assert_eq!(r.status(), 404)
        }
        other => panic!(
            "expected a 404 handshake failure, got {:?}",
            other.map(|_| ())
        ),
    }
    // Garbage instead of a handshake, then an abrupt close: counted, no panic.
    let mut raw = TcpStream::connect(sim.ws_url().trim_start_matches("ws://")).unwrap();
    raw.write_all(b"\x00\x01garbage\r\n\r\n").unwrap();
    drop(raw);
    wait_stats(&sim, "two handshake failures", |s| {
        s.handshake_failures == 2
    });
    sim.shutdown();
}

#[test]
fn request_weight_over_6000_per_minute_is_429() {
    let sim = start(no_snapshot(), 20.0, Faults::default());
    // 250 weight each: the 25th in a minute goes over 6000. Up to 60 tries,
    // so that a minute boundary in the middle cannot hide the limit.
    let mut seen = None;
    for i in 0..60 {
        let a = get(&sim, "/api/v3/depth?symbol=BTCUSDT&limit=5000");
        if a.status == 429 {
            seen = Some((i, a));
            break;
        }
        assert_eq!(a.status, 200);
    }
    let (i, a) = seen.expect("a 429 once the minute's weight passes 6000");
    assert!(i >= 24, "not before the limit: request {i}");
    assert_eq!(a.json()["code"], -1003);
    let retry: u64 = a.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    let used: u32 = a.header("X-MBX-USED-WEIGHT-1M").unwrap().parse().unwrap();
    assert!(used > 6000);
    assert_eq!(sim.stats().http_429, 1);
    sim.shutdown();
}
