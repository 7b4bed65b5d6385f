//! `kairos sim` order side in-process: WS-API and REST requests signed with
//! kairos's own `auth`, answers and user-data events decoded with kairos's
//! own decoders, fills checked against the replayed capture's trades
//! (computed here, independently of the matching engine).

use kairos_core::auth::{query, Credentials};
use kairos_core::binance::rest::{decode_account, OrderResponse};
use kairos_core::binance::types::OrderStatus;
use kairos_core::binance::user::{decode_user, UserEvent};
use kairos_core::binance::ws_api::decode_ws_api_response;
use kairos_core::num::{Amount, Price, Qty, Rounding};
use kairos_core::sim::api::{DEFAULT_API_KEY, DEFAULT_API_SECRET, ORDERS_PER_10S};
use kairos_core::sim::{CaptureFormat, Sim, SimConfig, SimSource};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tungstenite::{Message, WebSocket};

/// Longest any single wait may take (a loaded 2-core machine).
const WAIT: Duration = Duration::from_secs(20);
const CAPTURE: &str = "hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz";

fn source() -> SimSource {
    SimSource::Capture {
        path: Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/ticks")
            .join(CAPTURE),
        format: CaptureFormat::Hftbacktest,
    }
}

fn start(speed: f64, skew_ms: i64) -> Sim {
    let mut cfg = SimConfig::new(source());
    cfg.speed = speed;
    cfg.clock_skew_ms = skew_ms;
    Sim::start(cfg).expect("sim starts")
}

/// The capture's trades (price, qty), in order.
fn capture_trades() -> Vec<(Price, Qty)> {
    let f = std::fs::File::open(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/ticks")
            .join(CAPTURE),
    )
    .unwrap();
    let r = BufReader::new(flate2::read::GzDecoder::new(f));
    r.lines()
        .map(|l| l.unwrap())
        .filter_map(|l| {
            let (_, msg) = l.split_once(' ')?;
            let v: Value = serde_json::from_str(msg).ok()?;
            let d = &v["data"];
            (d["e"] == "trade").then(|| {
                (
                    Price::parse(d["p"].as_str().unwrap()).unwrap(),
                    Qty::parse(d["q"].as_str().unwrap()).unwrap(),
                )
            })
        })
        .collect()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

type Ws = WebSocket<TcpStream>;

fn connect(sim: &Sim, path: &str) -> Ws {
    let url = format!("{}{path}", sim.ws_url());
    let tcp = TcpStream::connect(sim.ws_url().trim_start_matches("ws://")).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tungstenite::client::client(url.as_str(), tcp).unwrap().0
}

fn next_text(ws: &mut Ws) -> String {
    loop {
        if let Message::Text(t) = ws.read().expect("a frame") {
            return t.as_str().to_string();
        }
    }
}

struct Client {
    ws: Ws,
    creds: Credentials,
    next_id: u64,
    /// User-data frames that arrived while waiting for an answer.
    events: Vec<String>,
}

impl Client {
    fn new(sim: &Sim) -> Client {
        Client {
            ws: connect(sim, "/ws-api/v3"),
            creds: Credentials::hmac(DEFAULT_API_KEY, DEFAULT_API_SECRET),
            next_id: 1,
            events: Vec::new(),
        }
    }

    /// Signs `params` (plus apiKey/timestamp) as Binance's docs say: sorted, joined, HMAC.
    fn signed(&self, params: &[(&str, &str)], ts: u64) -> Value {
        let ts = ts.to_string();
        let mut all: Vec<(&str, &str)> = params.to_vec();
        all.push(("apiKey", self.creds.api_key()));
        all.push(("timestamp", &ts));
        all.sort();
        let sig = self.creds.sign(&query(&all));
        let mut m = serde_json::Map::new();
        for (k, v) in all {
            m.insert(k.into(), json!(v));
        }
        m.insert("signature".into(), json!(sig));
        Value::Object(m)
    }

    fn raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let req = json!({"id": id, "method": method, "params": params});
        self.ws.send(Message::text(req.to_string())).unwrap();
        loop {
            let t = next_text(&mut self.ws);
            if t.contains("\"subscriptionId\"") && t.contains("\"event\"") {
                self.events.push(t);
                continue;
            }
            // Every answer decodes with kairos's own decoder.
            let d = decode_ws_api_response(t.as_bytes()).unwrap_or_else(|e| panic!("{e}: {t}"));
            assert!(d.error.is_some() || d.result.is_some());
            let v: Value = serde_json::from_str(&t).unwrap();
            assert_eq!(v["id"], json!(id));
            return v;
        }
    }

    fn call(&mut self, method: &str, params: &[(&str, &str)]) -> Value {
        let p = self.signed(params, now_ms());
        self.raw(method, p)
    }

    /// Waits for user-data events until `done` says so.
    fn events_until(&mut self, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        while !done(&self.events) {
            let t = next_text(&mut self.ws);
            self.events.push(t);
        }
        std::mem::take(&mut self.events)
    }
}

fn code(v: &Value) -> i64 {
    v["error"]["code"].as_i64().unwrap_or(0)
}

fn limit_buy(price: &str, qty: &str, cid: &str) -> Vec<(&'static str, String)> {
    vec![
        ("symbol", "BTCUSDT".into()),
        ("side", "BUY".into()),
        ("type", "LIMIT".into()),
        ("timeInForce", "GTC".into()),
        ("price", price.into()),
        ("quantity", qty.into()),
        ("newClientOrderId", cid.into()),
    ]
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Fills of a resting buy at `price` for `qty` under the documented queue
/// model: each trade printing strictly below the price fills up to its size.
fn expected_fills(trades: &[(Price, Qty)], price: Price, qty: Qty) -> Vec<Qty> {
    let mut left = qty;
    let mut out = Vec::new();
    for (p, q) in trades {
        if left.is_zero() {
            break;
        }
        if *p < price {
            let take = (*q).min(left);
            left = left.checked_sub(take).unwrap();
            out.push(take);
        }
    }
    out
}

/// Places a resting buy before the market starts, replays the capture at
/// full speed, and returns the executionReports (last qty, z, Z, status) and
/// the last account position's USDT/BTC free.
/// (last qty `l`, `z`, `Z`, status) of each fill report.
type Report = (Qty, Qty, String, OrderStatus);

fn run_resting_buy(price: &str, qty: &str) -> (Vec<Report>, Vec<Value>) {
    let sim = start(0.0, 0);
    let mut c = Client::new(&sim);
    let sub = c.call("userDataStream.subscribe.signature", &[]);
    assert_eq!(sub["status"], 200, "{sub}");
    let o = limit_buy(price, qty, "rest-1");
    let placed = c.call("order.place", &refs(&o));
    assert_eq!(placed["status"], 200, "{placed}");
    let d = decode_ws_api_response(placed.to_string().as_bytes()).unwrap();
    let r: OrderResponse = d.result_as("order").unwrap().unwrap();
    assert_eq!(r.client_order_id(), "rest-1");
    // Start the clock: a trade stream subscriber (speed 0 follows it; its
    // queue holds the whole capture, so it need not be read).
    let _market = connect(&sim, "/ws/btcusdt@trade");
    // Until the fill that completes it, and the account position after it.
    let frames = c.events_until(|ev| {
        ev.iter()
            .any(|t| t.contains("\"X\":\"FILLED\"") && t.contains("executionReport"))
            && ev
                .last()
                .is_some_and(|t| t.contains("outboundAccountPosition"))
    });
    let mut reports = Vec::new();
    let mut positions = Vec::new();
    for t in &frames {
        let m = decode_user(t.as_bytes()).unwrap_or_else(|e| panic!("{e}: {t}"));
        assert_eq!(m.subscription_id, Some(0));
        match m.event {
            UserEvent::ExecutionReport(x) => {
                if x.trade_id >= 0 {
                    reports.push((
                        x.last_executed_qty,
                        x.cumulative_filled_qty,
                        x.cumulative_quote_qty.to_string(),
                        x.order_status,
                    ));
                }
            }
            UserEvent::AccountPosition(_) => {
                positions.push(serde_json::from_str::<Value>(t).unwrap()["event"].clone())
            }
            other => panic!("unexpected {}", other.kind()),
        }
    }
    sim.shutdown();
    (reports, positions)
}

#[test]
fn orders_resting_buy_fills_exactly_as_the_capture_trades_print_through_it() {
    let trades = capture_trades();
    assert!(trades.len() > 100);
    let price = Price::parse("61829.77").unwrap();
    let qty = Qty::parse("0.05").unwrap();
    let want = expected_fills(&trades, price, qty);
    assert!(want.len() > 1, "the capture must fill it in several parts");
    let (reports, positions) = run_resting_buy("61829.77", "0.05");
    let got: Vec<Qty> = reports.iter().map(|r| r.0).collect();
    assert_eq!(got, want);
    // z is the running sum of l; Z is z × price (maker at its own price).
    let mut z = Qty::ZERO;
    for (l, cz, cq, st) in &reports {
        z = z.checked_add(*l).unwrap();
        assert_eq!(*cz, z);
        assert_eq!(*cq, price.notional(z, Rounding::Down).unwrap().to_string());
        let want_st = if z == qty {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        };
        assert_eq!(*st, want_st);
    }
    // The last position: 10 000 − 0.05 × 61 829.77 USDT, 0.05 − 0.1 % BTC.
    let last = positions.last().unwrap();
    let bal = |a: &str| {
        last["B"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["a"] == a)
            .map(|b| {
                (
                    b["f"].as_str().unwrap().to_string(),
                    b["l"].as_str().unwrap().to_string(),
                )
            })
            .unwrap()
    };
    assert_eq!(bal("USDT"), ("6908.51150000".into(), "0.00000000".into()));
    assert_eq!(bal("BTC"), ("0.04995000".into(), "0.00000000".into()));
    // Determinism: the same stream gives the same fills.
    assert_eq!(run_resting_buy("61829.77", "0.05").0, reports);
}

#[test]
fn orders_ws_errors_have_binance_codes() {
    let sim = start(1.0, 0);
    let mut c = Client::new(&sim);
    let ok = limit_buy("60000.00", "0.001", "e-1");
    // Bad signature.
    let mut p = c.signed(&refs(&ok), now_ms());
    p["signature"] = json!("00".repeat(32));
    let v = c.raw("order.place", p);
    assert_eq!((v["status"].as_u64(), code(&v)), (Some(400), -1022), "{v}");
    // Unknown key, missing key.
    let mut p = c.signed(&refs(&ok), now_ms());
    p["apiKey"] = json!("nobody");
    assert_eq!(code(&c.raw("order.place", p)), -2015);
    let mut p = c.signed(&refs(&ok), now_ms());
    p.as_object_mut().unwrap().remove("apiKey");
    assert_eq!(code(&c.raw("order.place", p)), -2014);
    // Timestamp outside recvWindow.
    let p = c.signed(&refs(&ok), now_ms() - 10_000);
    let v = c.raw("order.place", p);
    assert_eq!(code(&v), -1021, "{v}");
    // Filters, balance, unknown order, duplicate client id.
    let v = c.call(
        "order.place",
        &refs(&limit_buy("60000.001", "0.001", "e-2")),
    );
    assert_eq!(
        (code(&v), v["error"]["msg"].as_str()),
        (-1013, Some("Filter failure: PRICE_FILTER"))
    );
    let v = c.call(
        "order.place",
        &refs(&limit_buy("60000.00", "0.0000001", "e-3")),
    );
    assert_eq!(v["error"]["msg"], "Filter failure: LOT_SIZE");
    let v = c.call("order.place", &refs(&limit_buy("1.00", "1", "e-4")));
    assert_eq!(v["error"]["msg"], "Filter failure: NOTIONAL");
    let v = c.call("order.place", &refs(&limit_buy("60000.00", "1", "e-5")));
    assert_eq!(
        (code(&v), v["error"]["msg"].as_str()),
        (
            -2010,
            Some("Account has insufficient balance for requested action.")
        )
    );
    let v = c.call("order.cancel", &[("symbol", "BTCUSDT"), ("orderId", "999")]);
    assert_eq!(
        (code(&v), v["error"]["msg"].as_str()),
        (-2011, Some("Unknown order sent."))
    );
    let v = c.call("order.place", &refs(&ok));
    assert_eq!(v["status"], 200, "{v}");
    assert_eq!(v["rateLimits"].as_array().unwrap().len(), 3);
    let v = c.call("order.place", &refs(&ok));
    assert_eq!(
        (code(&v), v["error"]["msg"].as_str()),
        (-2010, Some("Duplicate order sent."))
    );
    assert_eq!(
        c.call("openOrders.status", &[("symbol", "BTCUSDT")])["result"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let s = sim.stats();
    assert_eq!(s.bad_signatures, 1);
    assert_eq!(s.bad_api_keys, 2);
    assert_eq!(s.bad_timestamps, 1);
    assert_eq!(s.orders_placed, 1);
    assert!(s.orders_rejected >= 5, "{s:?}");
    sim.shutdown();
    // A sim whose clock runs 10 s ahead refuses a correct local timestamp.
    let sim = start(1.0, 10_000);
    let mut c = Client::new(&sim);
    assert_eq!(code(&c.call("order.place", &refs(&ok))), -1021);
    let t = c.raw("time", json!({}));
    assert!(t["result"]["serverTime"].as_u64().unwrap() >= now_ms() + 9_000);
    sim.shutdown();
}

#[test]
fn orders_ten_second_limit_answers_429_with_retry_after() {
    let sim = start(1.0, 0);
    let mut c = Client::new(&sim);
    for i in 0..ORDERS_PER_10S {
        let v = c.call(
            "order.place",
            &refs(&limit_buy("50000.00", "0.0001", &format!("r-{i}"))),
        );
        assert_eq!(v["status"], 200, "{v}");
        assert_eq!(v["rateLimits"][0]["count"], json!(i + 1));
    }
    let v = c.call(
        "order.place",
        &refs(&limit_buy("50000.00", "0.0001", "r-over")),
    );
    assert_eq!((v["status"].as_u64(), code(&v)), (Some(429), -1015), "{v}");
    let d = decode_ws_api_response(v.to_string().as_bytes()).unwrap();
    assert!(d.is_rate_limited());
    let retry = d.retry_after_ms().expect("retryAfter");
    assert!(retry > now_ms() && retry <= now_ms() + 10_000, "{retry}");
    // Cancels are not orders: still allowed.
    let v = c.call(
        "order.cancel",
        &[("symbol", "BTCUSDT"), ("origClientOrderId", "r-0")],
    );
    assert_eq!(v["status"], 200, "{v}");
    assert_eq!(sim.stats().orders_rate_limited, 1);
    sim.shutdown();
}

#[test]
fn orders_cancel_replace_and_user_events_in_order() {
    let sim = start(1.0, 0);
    let mut c = Client::new(&sim);
    assert_eq!(
        c.call("userDataStream.subscribe.signature", &[])["result"]["subscriptionId"],
        0
    );
    let v = c.call("order.place", &refs(&limit_buy("60000.00", "0.01", "cr-1")));
    assert_eq!(v["status"], 200);
    let cr2 = limit_buy("60001.00", "0.01", "cr-2");
    let mut p = refs(&cr2);
    p.push(("cancelReplaceMode", "STOP_ON_FAILURE"));
    p.push(("cancelOrigClientOrderId", "cr-1"));
    let v = c.call("order.cancelReplace", &p);
    assert_eq!(v["result"]["cancelResult"], "SUCCESS", "{v}");
    assert_eq!(v["result"]["newOrderResponse"]["clientOrderId"], "cr-2");
    // Replacing the canceled one again fails as Binance's docs show.
    let v = c.call("order.cancelReplace", &p);
    assert_eq!((v["status"].as_u64(), code(&v)), (Some(400), -2022));
    assert_eq!(v["error"]["data"]["cancelResponse"]["code"], -2011);
    let st = c.call(
        "order.status",
        &[("symbol", "BTCUSDT"), ("origClientOrderId", "cr-1")],
    );
    assert_eq!(st["result"]["status"], "CANCELED");
    let acct = c.call("account.status", &[]);
    let a = decode_account(acct["result"].to_string().as_bytes()).unwrap();
    assert_eq!(
        a.balance("USDT").unwrap().locked.to_string(),
        "600.01000000"
    );
    let v = c.call("openOrders.cancelAll", &[("symbol", "BTCUSDT")]);
    assert_eq!(v["result"].as_array().unwrap().len(), 1);
    let ev = c.events_until(|e| e.len() >= 8);
    let kinds: Vec<String> = ev
        .iter()
        .map(|t| {
            let m = decode_user(t.as_bytes()).unwrap();
            match m.event {
                UserEvent::ExecutionReport(x) => format!(
                    "{}:{}",
                    x.order_id,
                    serde_json::to_value(x.execution_type)
                        .unwrap()
                        .as_str()
                        .unwrap()
                ),
                UserEvent::AccountPosition(p) => format!("pos:{}", p.balances.len()),
                o => o.kind().to_string(),
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "1:NEW",
            "pos:2",
            "1:CANCELED",
            "pos:2",
            "2:NEW",
            "pos:2",
            "2:CANCELED",
            "pos:2"
        ]
    );
    sim.shutdown();
}

/// `method` (`PUT`: keepalive, `DELETE`: close) on the listen key `key`,
/// with the sim's default API key: (status, body).
fn listen_key_call(sim: &Sim, method: &str, key: &str) -> (u16, Value) {
    let (st, _, v) = http(
        sim,
        method,
        &format!("{UDS}?listenKey={key}"),
        "",
        DEFAULT_API_KEY,
    );
    (st, v)
}

/// A raw HTTP/1.1 request; returns (status, headers lower-cased, body).
fn http(
    sim: &Sim,
    method: &str,
    target: &str,
    body: &str,
    key: &str,
) -> (u16, Vec<(String, String)>, Value) {
    let mut s = TcpStream::connect(sim.rest_url().trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: x\r\nX-MBX-APIKEY: {key}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
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
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, serde_json::from_str(body).unwrap())
}

#[test]
fn orders_rest_place_status_cancel_account_signed() {
    let sim = start(1.0, 0);
    let creds = Credentials::hmac(DEFAULT_API_KEY, DEFAULT_API_SECRET);
    let ts = now_ms().to_string();
    let q = query(&[
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("price", "60000.00"),
        ("quantity", "0.001"),
        ("newClientOrderId", "rest-a"),
        ("newOrderRespType", "RESULT"),
        ("timestamp", &ts),
    ]);
    // Form body.
    let body = format!("{q}&signature={}", creds.sign(&q));
    let (st, h, v) = http(&sim, "POST", "/api/v3/order", &body, DEFAULT_API_KEY);
    assert_eq!(st, 200, "{v}");
    let hv = |n: &str| h.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(hv("x-mbx-order-count-10s").as_deref(), Some("1"));
    assert_eq!(hv("x-mbx-order-count-1d").as_deref(), Some("1"));
    let r = kairos_core::binance::rest::decode_order_response(v.to_string().as_bytes()).unwrap();
    assert_eq!(r.client_order_id(), "rest-a");
    // Bad signature, then status and cancel by query string.
    let (st, _, v) = http(
        &sim,
        "POST",
        "/api/v3/order",
        &format!("{q}&signature=00"),
        DEFAULT_API_KEY,
    );
    assert_eq!((st, v["code"].as_i64()), (400, Some(-1022)));
    let q2 = query(&[
        ("symbol", "BTCUSDT"),
        ("origClientOrderId", "rest-a"),
        ("timestamp", &now_ms().to_string()),
    ]);
    let target = format!("/api/v3/order?{q2}&signature={}", creds.sign(&q2));
    let (st, _, v) = http(&sim, "GET", &target, "", DEFAULT_API_KEY);
    assert_eq!(st, 200, "{v}");
    kairos_core::binance::rest::decode_order_info(v.to_string().as_bytes()).unwrap();
    let (st, _, v) = http(&sim, "DELETE", &target, "", DEFAULT_API_KEY);
    assert_eq!(st, 200, "{v}");
    let c = kairos_core::binance::rest::decode_cancel_order(v.to_string().as_bytes()).unwrap();
    assert_eq!(c.status, OrderStatus::Canceled);
    let (st, _, v) = http(&sim, "DELETE", &target, "", DEFAULT_API_KEY);
    assert_eq!((st, v["code"].as_i64()), (400, Some(-2011)));
    let q3 = query(&[("timestamp", &now_ms().to_string())]);
    let (st, _, v) = http(
        &sim,
        "GET",
        &format!("/api/v3/account?{q3}&signature={}", creds.sign(&q3)),
        "",
        DEFAULT_API_KEY,
    );
    assert_eq!(st, 200);
    let a = decode_account(v.to_string().as_bytes()).unwrap();
    assert_eq!(
        a.balance("USDT").unwrap().free.to_string(),
        "10000.00000000"
    );
    let (st, _, v) = http(
        &sim,
        "GET",
        &format!("/api/v3/account?{q3}&signature={}", creds.sign(&q3)),
        "",
        "wrong",
    );
    assert_eq!((st, v["code"].as_i64()), (401, Some(-2015)));
    sim.shutdown();
}

#[test]
fn orders_latency_model_delays_entry_and_fees_show_as_configured() {
    let mut cfg = SimConfig::new(source());
    cfg.order_latency = Duration::from_millis(400);
    cfg.engine.maker_rate = Amount::parse("0.0002").unwrap();
    cfg.engine.taker_rate = Amount::parse("0.00075").unwrap();
    let sim = Sim::start(cfg).expect("sim starts");
    let mut c = Client::new(&sim);
    let sent = now_ms();
    let v = c.call(
        "order.place",
        &refs(&limit_buy("60000.00", "0.001", "lat-1")),
    );
    // The matching engine stamps the order when the request reaches it: at
    // least the configured latency after it was sent.
    let at = v["result"]["transactTime"]
        .as_u64()
        .unwrap_or_else(|| panic!("{v}"));
    assert!(
        at >= sent + 400,
        "transactTime {at} is under 400 ms after {sent}"
    );
    let a = c.call("account.status", &[]);
    let r = &a["result"];
    assert_eq!(r["commissionRates"]["maker"], json!("0.00020000"), "{a}");
    assert_eq!(r["commissionRates"]["taker"], json!("0.00075000"), "{a}");
    assert_eq!(
        (r["makerCommission"].as_i64(), r["takerCommission"].as_i64()),
        (Some(2), Some(7))
    );
}

/// The listen-key path.
const UDS: &str = "/api/v3/userDataStream";

#[test]
fn orders_listen_key_endpoints_answer_as_binance_and_stream_the_accounts_events() {
    let sim = start(1.0, 0);
    // No key header, an unknown key.
    let (st, _, v) = http(&sim, "POST", UDS, "", "");
    assert_eq!((st, v["code"].as_i64()), (401, Some(-2014)), "{v}");
    let (st, _, v) = http(&sim, "POST", UDS, "", "wrong");
    assert_eq!((st, v["code"].as_i64()), (401, Some(-2015)), "{v}");
    // A key: 60 letters and digits; a second POST returns the same one.
    let (st, h, v) = http(&sim, "POST", UDS, "", DEFAULT_API_KEY);
    assert_eq!(st, 200, "{v}");
    let key = v["listenKey"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 60);
    assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");
    let weight = |h: &[(String, String)]| {
        h.iter()
            .find(|(k, _)| k == "x-mbx-used-weight-1m")
            .map(|(_, v)| v.parse::<u32>().unwrap())
            .unwrap()
    };
    let w1 = weight(&h);
    let (_, h, v) = http(&sim, "POST", UDS, "", DEFAULT_API_KEY);
    assert_eq!(v["listenKey"], json!(key));
    assert_eq!(weight(&h), w1 + 2, "weight 2");
    // Keepalive: needs the key; an unknown one is -1125.
    let (st, _, v) = http(&sim, "PUT", UDS, "", DEFAULT_API_KEY);
    assert_eq!((st, v["code"].as_i64()), (400, Some(-1102)), "{v}");
    let (st, _, v) = http(
        &sim,
        "PUT",
        &format!("{UDS}?listenKey=nope"),
        "",
        DEFAULT_API_KEY,
    );
    assert_eq!((st, v["code"].as_i64()), (400, Some(-1125)), "{v}");
    assert_eq!(v["msg"], "This listenKey does not exist.");
    let (st, v) = listen_key_call(&sim, "PUT", &key);
    assert_eq!((st, v.clone()), (200, json!({})));

    // The stream carries the account's events, bare; the combined form
    // wraps them with the key as the stream name.
    let mut bare = connect(&sim, &format!("/ws/{key}"));
    let mut combined = connect(&sim, &format!("/stream?streams={key}"));
    let mut c = Client::new(&sim);
    let v = c.call(
        "order.place",
        &refs(&limit_buy("60000.00", "0.001", "lk-1")),
    );
    assert_eq!(v["status"], 200, "{v}");
    for (ws, enveloped) in [(&mut bare, false), (&mut combined, true)] {
        let t = next_text(ws);
        let m = decode_user(t.as_bytes()).unwrap_or_else(|e| panic!("{e}: {t}"));
        assert_eq!(m.subscription_id, None, "{t}");
        assert_eq!(
            m.stream.as_deref(),
            enveloped.then_some(key.as_str()),
            "{t}"
        );
        match m.event {
            UserEvent::ExecutionReport(x) => {
                assert_eq!(x.client_order_id, "lk-1");
                assert_eq!(x.order_status, OrderStatus::New);
            }
            other => panic!("unexpected {}: {t}", other.kind()),
        }
        let t = next_text(ws);
        assert_eq!(
            decode_user(t.as_bytes()).unwrap().kind(),
            "outboundAccountPosition",
            "{t}"
        );
    }
    assert_eq!(sim.stats().user_stream_connections, 2);

    // Closed: a keepalive is -1125, a new connection is refused, a POST
    // makes a new key.
    let (st, v) = listen_key_call(&sim, "DELETE", &key);
    assert_eq!((st, v.clone()), (200, json!({})));
    let (st, v) = listen_key_call(&sim, "PUT", &key);
    assert_eq!((st, v["code"].as_i64()), (400, Some(-1125)), "{v}");
    let url = format!("{}/ws/{key}", sim.ws_url());
    let tcp = TcpStream::connect(sim.ws_url().trim_start_matches("ws://")).unwrap();
    match tungstenite::client::client(url.as_str(), tcp) {
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(r))) => {
            assert_eq!(r.status().as_u16(), 400)
        }
        other => panic!("a closed key's stream opened: {:?}", other.is_ok()),
    }
    let (_, _, v) = http(&sim, "POST", UDS, "", DEFAULT_API_KEY);
    assert_ne!(v["listenKey"], json!(key));
    let s = sim.stats();
    assert_eq!(
        (
            s.listen_keys_made,
            s.listen_key_keepalives,
            s.listen_keys_closed
        ),
        (2, 1, 1)
    );
    sim.shutdown();
}

#[test]
fn orders_listen_key_expires_after_its_validity_with_listen_key_expired() {
    let mut cfg = SimConfig::new(source());
    cfg.listen_key_validity = Duration::from_millis(400);
    let sim = Sim::start(cfg).expect("sim starts");
    let (_, _, v) = http(&sim, "POST", UDS, "", DEFAULT_API_KEY);
    let key = v["listenKey"].as_str().unwrap().to_string();
    let mut ws = connect(&sim, &format!("/ws/{key}"));
    let t0 = std::time::Instant::now();
    let t = next_text(&mut ws);
    let elapsed = t0.elapsed();
    match decode_user(t.as_bytes())
        .unwrap_or_else(|e| panic!("{e}: {t}"))
        .event
    {
        UserEvent::ListenKeyExpired(e) => assert_eq!(e.listen_key, key),
        other => panic!("unexpected {}: {t}", other.kind()),
    }
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    // Gone: a keepalive is -1125, and the account's events no longer reach
    // the stream.
    let (st, v) = listen_key_call(&sim, "PUT", &key);
    assert_eq!((st, v["code"].as_i64()), (400, Some(-1125)), "{v}");
    let mut c = Client::new(&sim);
    let v = c.call(
        "order.place",
        &refs(&limit_buy("60000.00", "0.001", "lk-2")),
    );
    assert_eq!(v["status"], 200, "{v}");
    ws.get_mut()
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    if let Ok(Message::Text(t)) = ws.read() {
        panic!("an event after expiry: {t}");
    }
    assert_eq!(sim.stats().listen_keys_expired, 1);
    sim.shutdown();
}

/// A fresh Ed25519 key: the client's credentials and the sim's account.
fn ed25519_key(api_key: &str) -> (Credentials, kairos_core::sim::SimAccount) {
    let der =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        kairos_core::auth::base64(der.as_ref())
    );
    let creds = Credentials::ed25519(api_key, &pem).unwrap();
    let account =
        kairos_core::sim::SimAccount::ed25519(api_key, creds.ed25519_public_key().unwrap());
    (creds, account)
}

#[test]
fn orders_session_logon_needs_an_ed25519_key_and_authenticates_the_connection() {
    let (ed, ed_account) = ed25519_key("kairos-sim-ed25519");
    let (other, _) = ed25519_key("kairos-sim-ed25519");
    let mut cfg = SimConfig::new(source());
    cfg.accounts = vec![kairos_core::sim::SimAccount::default(), ed_account];
    let sim = Sim::start(cfg).expect("sim starts");
    let client = |creds: Credentials| Client {
        ws: connect(&sim, "/ws-api/v3"),
        creds,
        next_id: 1,
        events: Vec::new(),
    };
    // An HMAC key may not log on.
    let mut h = Client::new(&sim);
    let v = h.call("session.logon", &[]);
    assert_eq!((v["status"].as_u64(), code(&v)), (Some(401), -1002), "{v}");

    let mut c = client(ed);
    let st = c.raw("session.status", json!({}));
    assert_eq!(st["status"], 200, "{st}");
    assert_eq!(st["result"]["apiKey"], Value::Null, "{st}");
    assert!(st["result"]["connectedSince"].as_u64().is_some(), "{st}");
    // Unsigned subscription before the logon: refused.
    let v = c.raw("userDataStream.subscribe", json!({}));
    assert_eq!((v["status"].as_u64(), code(&v)), (Some(401), -1002), "{v}");
    // A signature by another Ed25519 key: -1022.
    let bad = Client {
        ws: connect(&sim, "/ws-api/v3"),
        creds: other,
        next_id: 1,
        events: Vec::new(),
    }
    .signed(&[], now_ms());
    let v = c.raw("session.logon", bad);
    assert_eq!(code(&v), -1022, "{v}");
    // The right key: logged on.
    let v = c.call("session.logon", &[]);
    assert_eq!(v["status"], 200, "{v}");
    assert_eq!(v["result"]["apiKey"], "kairos-sim-ed25519");
    assert!(v["result"]["authorizedSince"].as_u64().is_some(), "{v}");
    assert_eq!(v["result"]["userDataStream"], false);
    // Then requests need neither apiKey nor signature (a timestamp still).
    let v = c.raw("userDataStream.subscribe", json!({}));
    assert_eq!(v["status"], 200, "{v}");
    let ts = now_ms().to_string();
    let mut unsigned = serde_json::Map::new();
    for (k, val) in refs(&limit_buy("60000.00", "0.001", "ed-1")) {
        unsigned.insert(k.into(), json!(val));
    }
    unsigned.insert("timestamp".into(), json!(ts));
    let v = c.raw("order.place", Value::Object(unsigned.clone()));
    assert_eq!(v["status"], 200, "{v}");
    let ev = c.events_until(|e| e.len() >= 2);
    assert!(ev[0].contains("\"c\":\"ed-1\""), "{}", ev[0]);
    let st = c.raw("session.status", json!({}));
    assert_eq!(st["result"]["userDataStream"], true, "{st}");
    // Logged out: an unsigned request is refused again.
    let v = c.raw("session.logout", json!({}));
    assert_eq!(v["status"], 200, "{v}");
    assert_eq!(v["result"]["apiKey"], Value::Null, "{v}");
    unsigned.insert("newClientOrderId".into(), json!("ed-2"));
    let v = c.raw("order.place", Value::Object(unsigned));
    assert_eq!(code(&v), -2014, "{v}");
    // Ed25519 signatures are verified on REST too.
    let q = query(&[("timestamp", &now_ms().to_string())]);
    let sig = c.creds.sign(&q);
    let (st, _, v) = http(
        &sim,
        "GET",
        &format!(
            "/api/v3/account?{q}&signature={}",
            kairos_core::auth::percent_encode(&sig)
        ),
        "",
        "kairos-sim-ed25519",
    );
    assert_eq!(st, 200, "{v}");
    sim.shutdown();
}
