//! The order gateway: golden request strings and signatures against
//! Binance's documented examples, and a scripted exchange (responses built
//! from the docs' fixtures) driving the gateway through acks, fills, clock
//! resyncs, lost responses, duplicates, rate limits, bans and refusals.

mod common;

use common::{fixture, read};
use kairos_core::auth::{Credentials, ServerClock};
use kairos_core::binance::fast::Symbol;
use kairos_core::binance::types::{OrderType, Side, TimeInForce};
use kairos_core::binance::user::{decode_user, UserEvent};
use kairos_core::limiter::{Limiter, Refusal as LimitRefusal, DEFAULT_RATE_LIMITS, NANOS_PER_MS};
use kairos_core::num::{Price, Qty, Wide};
use kairos_core::orders::gateway::*;
use kairos_core::orders::request::*;
use kairos_core::orders::{ClientId, Status};
use kairos_core::portfolio::risk::{Exposure, RiskGuard, RiskLimits, Rule};
use serde_json::{json, Value as J};

const WS_DOCS: &str = "binance_spot_api_docs/web-socket-api.examples.json";
const REST_DOCS: &str = "binance_spot_api_docs/rest-api.examples.json";
/// The docs' example HMAC key and secret (published for illustration).
const DOC_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const DOC_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

fn blocks(rel: &str) -> Vec<J> {
    serde_json::from_slice(&read(rel)).unwrap()
}

/// The raw text of a docs block with whitespace outside strings removed.
fn compact(raw: &str) -> String {
    let (mut out, mut in_str, mut esc) = (String::new(), false, false);
    for c in raw.chars() {
        if in_str {
            out.push(c);
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if !c.is_whitespace() {
            if c == '"' {
                in_str = true;
            }
            out.push(c);
        }
    }
    out
}

fn doc_creds() -> Credentials {
    Credentials::hmac(DOC_KEY, DOC_SECRET)
}

fn p(s: &str) -> Price {
    Price::parse(s).unwrap()
}
fn q(s: &str) -> Qty {
    Qty::parse(s).unwrap()
}

fn ws(id: ReqId<'_>, method: &str, params: &Params<'_>, signing: Option<Signing<'_>>) -> String {
    let (mut out, mut scratch) = (String::new(), String::new());
    write_ws_request(&mut out, &mut scratch, id, method, params, signing).unwrap();
    out
}

fn limit_order<'a>(
    symbol: &'a str,
    side: Side,
    qty: Dec,
    price: Dec,
    id: Option<&'a str>,
) -> NewOrder<'a> {
    NewOrder {
        symbol,
        side,
        order_type: OrderType::Limit,
        time_in_force: Some(TimeInForce::Gtc),
        quantity: Some(qty),
        price: Some(price),
        new_client_order_id: id,
        stop_price: None,
        new_order_resp_type: None,
    }
}

#[test]
fn gateway_golden_hmac_signed_requests_match_the_docs_byte_for_byte() {
    let d = blocks(WS_DOCS);
    let creds = doc_creds();
    // The ASCII example (blocks 17, 19, 21) and the non-ASCII one (18, 20, 22).
    let cases = [
        (21, 17, "BTCUSDT", Side::Sell, "0.01", 8, "52000", 2, 100),
        (22, 18, "１２３４５６", Side::Buy, "1", 8, "0.1", 8, 5000),
    ];
    for (req_block, payload_block, symbol, side, qty, qp, price, pp, rw) in cases {
        let order = limit_order(
            symbol,
            side,
            Dec::qty(q(qty), qp),
            Dec::price(p(price), pp),
            None,
        );
        let signing = Signing {
            credentials: &creds,
            timestamp_ms: 1645423376532,
            recv_window_ms: Some(rw),
        };
        let text = ws(
            ReqId::Str("4885f793-e5ad-4c3b-8f6c-55d891472b71"),
            "order.place",
            &order.params().unwrap(),
            Some(signing),
        );
        assert_eq!(text, compact(d[req_block]["raw"].as_str().unwrap()));
        // The documented signature payload, too.
        let mut all = order.params().unwrap();
        all.push("recvWindow", Value::Int(rw)).unwrap();
        all.push("timestamp", Value::Int(1645423376532)).unwrap();
        all.push("apiKey", Value::Str(DOC_KEY)).unwrap();
        let mut payload = String::new();
        all.write_sorted_payload(&mut payload);
        assert_eq!(payload, d[payload_block]["raw"].as_str().unwrap());
    }
}

#[test]
fn gateway_golden_trading_requests_reproduce_the_documented_signatures() {
    let d = blocks(WS_DOCS);
    let creds = doc_creds();
    let sign = |ts| Signing {
        credentials: &creds,
        timestamp_ms: ts,
        recv_window_ms: None,
    };
    let place = limit_order(
        "BTCUSDT",
        Side::Sell,
        Dec::qty(q("0.00847"), 8),
        Dec::price(p("23416.1"), 8),
        None,
    );
    let cases: Vec<(usize, String)> = vec![
        (
            99,
            ws(
                ReqId::Str("56374a46-3061-486b-a311-99ee972eb648"),
                "order.place",
                &place.params().unwrap(),
                Some(sign(1660801715431)),
            ),
        ),
        (
            106,
            ws(
                ReqId::Str("5633b6a2-90a9-4192-83e7-925c90b6a2fd"),
                "order.cancel",
                &order_ref_params("BTCUSDT", OrderRef::ClientId("4d96324ff9d44481926157")).unwrap(),
                Some(sign(1660801715830)),
            ),
        ),
        (
            111,
            ws(
                ReqId::Str("99de1036-b5e2-4e0f-9b5c-13d751c93a1a"),
                "order.cancelReplace",
                &cancel_replace_params(
                    CancelReplaceMode::AllowFailure,
                    OrderRef::ClientId("4d96324ff9d44481926157"),
                    &place,
                )
                .unwrap(),
                Some(sign(1660813156900)),
            ),
        ),
        (
            145,
            ws(
                ReqId::Str("aa62318a-5a97-4f3b-bdc7-640bbe33b291"),
                "order.status",
                &order_ref_params("BTCUSDT", OrderRef::OrderId(12569099453)).unwrap(),
                Some(sign(1660801720951)),
            ),
        ),
    ];
    for (block, text) in cases {
        // Same members and values (the docs list them in varying orders),
        // the documented signature included.
        let ours: J = serde_json::from_str(&text).unwrap();
        assert_eq!(ours, d[block]["json"], "block {block}: {text}");
    }
    // Unsigned requests: byte for byte.
    let none = Params::new();
    let time = ws(
        ReqId::Str("187d3cb2-942d-484c-8271-4e2141bbadb1"),
        "time",
        &none,
        None,
    );
    assert_eq!(time, compact(d[43]["raw"].as_str().unwrap()));
    let sub = ws(
        ReqId::Str("d3df8a21-98ea-4fe0-8f4e-0fcea5d418b7"),
        "userDataStream.subscribe",
        &none,
        None,
    );
    assert_eq!(sub, compact(d[171]["raw"].as_str().unwrap()));
}

#[test]
fn gateway_golden_rest_order_query_matches_the_documented_curl() {
    let d = blocks(REST_DOCS);
    let curl = d
        .iter()
        .filter_map(|b| b["raw"].as_str())
        .find(|r| r.starts_with("curl") && r.contains("c8db56825ae71d6d"))
        .unwrap();
    let want = curl
        .split("/api/v3/order?")
        .nth(1)
        .unwrap()
        .trim_end_matches('"');
    let creds = doc_creds();
    let order = limit_order(
        "LTCBTC",
        Side::Buy,
        Dec::qty(q("1"), 0),
        Dec::price(p("0.1"), 1),
        None,
    );
    let (mut out, mut scratch) = (String::new(), String::new());
    write_rest_query(
        &mut out,
        &mut scratch,
        &order.params().unwrap(),
        Signing {
            credentials: &creds,
            timestamp_ms: 1499827319559,
            recv_window_ms: Some(5000),
        },
    )
    .unwrap();
    assert_eq!(out, want);
    assert!(curl.contains(&format!("{API_KEY_HEADER}: $apiKey")));
}

#[test]
fn gateway_ed25519_signature_is_base64_and_verifies() {
    // RFC 8032 test 1 seed, as PKCS#8.
    let seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend((0..32).map(|i| u8::from_str_radix(&seed[2 * i..2 * i + 2], 16).unwrap()));
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        kairos_core::auth::base64(&der)
    );
    let creds = Credentials::ed25519("edkey", &pem).unwrap();
    let text = ws(
        ReqId::Num(7),
        "order.status",
        &order_ref_params("BTCUSDT", OrderRef::ClientId("abc")).unwrap(),
        Some(Signing {
            credentials: &creds,
            timestamp_ms: 1,
            recv_window_ms: Some(RECV_WINDOW_MS),
        }),
    );
    let v: J = serde_json::from_str(&text).unwrap();
    let sig = v["params"]["signature"].as_str().unwrap();
    assert_eq!(sig.len(), 88, "64 bytes in base64");
    let payload = "apiKey=edkey&origClientOrderId=abc&recvWindow=5000&symbol=BTCUSDT&timestamp=1";
    let raw = base64_decode(sig);
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::ED25519,
        creds.ed25519_public_key().unwrap(),
    )
    .verify(payload.as_bytes(), &raw)
    .unwrap();
}

fn base64_decode(s: &str) -> Vec<u8> {
    const A: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for c in s.chars().take_while(|&c| c != '=') {
        acc = (acc << 6) | A.find(c).unwrap() as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The scripted exchange.

/// "Now" of the scripted runs: the serverTime of the docs' 418 example.
const T0_MS: u64 = 1659142907531;
const T0: u64 = T0_MS * NANOS_PER_MS;
/// The client id of the real executionReport fixtures used below.
const FIXTURE_CID: &str = "x-TD67BGP9-T0000000000000";

fn gateway() -> Gateway {
    Gateway::new(
        doc_creds(),
        RiskGuard::new(RiskLimits::default()),
        Limiter::with_default_limits(),
        ServerClock::default(),
    )
}

fn exposure() -> Exposure {
    Exposure {
        equity: Wide::from_int(100_000).unwrap(),
        position_qty: Wide::ZERO,
        open_orders: 0,
    }
}

fn intent(cid: &str, qty: &str) -> OrderIntent {
    OrderIntent {
        client_id: ClientId::new(cid).unwrap(),
        symbol: Symbol::new(b"ETHUSDT").unwrap(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        time_in_force: Some(TimeInForce::Gtc),
        qty: q(qty),
        price: p("2500"),
        stop: None,
        price_places: 2,
        qty_places: 4,
    }
}

/// A request the gateway emitted, parsed.
#[derive(Debug)]
struct Sent {
    id: u64,
    method: String,
    params: J,
}

fn ws_sent(actions: &[Action]) -> Vec<Sent> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendWs { text, .. } => {
                let v: J = serde_json::from_str(text).unwrap();
                Some(Sent {
                    id: v["id"].as_u64().unwrap(),
                    method: v["method"].as_str().unwrap().to_owned(),
                    params: v["params"].clone(),
                })
            }
            _ => None,
        })
        .collect()
}

fn wire(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::SendWs { .. } | Action::SendRest { .. }))
        .count()
}

/// A docs response block with our request id (and client id) put in.
fn doc_response(block: usize, id: u64, cid: Option<&str>, order_id: Option<u64>) -> String {
    let mut v = blocks(WS_DOCS)[block]["json"].clone();
    v["id"] = json!(id);
    if let Some(c) = cid {
        v["result"]["clientOrderId"] = json!(c);
        v["result"]["symbol"] = json!("ETHUSDT");
    }
    if let Some(o) = order_id {
        v["result"]["orderId"] = json!(o);
    }
    v.to_string()
}

fn error_response(id: u64, status: u16, code: i32, msg: &str) -> String {
    json!({"id": id, "status": status, "error": {"code": code, "msg": msg}}).to_string()
}

/// The exchange side: remembers which client ids it holds and answers
/// order.place / order.status as Binance documents; it can lose a request
/// on its way in or the response on its way out.
#[derive(Default)]
struct Exchange {
    orders: Vec<String>,
    next_order_id: u64,
    lose_next_request: bool,
    lose_next_response: bool,
    /// Answer status queries with the docs' example as it is (FILLED)
    /// instead of NEW.
    status_filled: bool,
}

impl Exchange {
    fn handle(&mut self, s: &Sent) -> Option<String> {
        if std::mem::take(&mut self.lose_next_request) {
            return None;
        }
        let resp = match s.method.as_str() {
            "order.place" => {
                let cid = s.params["newClientOrderId"].as_str().unwrap().to_owned();
                if self.orders.contains(&cid) {
                    error_response(s.id, 400, -2010, DUPLICATE_ORDER_MSG)
                } else {
                    self.orders.push(cid.clone());
                    self.next_order_id += 1;
                    doc_response(100, s.id, Some(&cid), Some(self.next_order_id))
                }
            }
            "order.status" => {
                let cid = s.params["origClientOrderId"].as_str().unwrap();
                match self.orders.iter().position(|c| c == cid) {
                    Some(k) => {
                        let r = doc_response(146, s.id, Some(cid), Some(k as u64 + 1));
                        if self.status_filled {
                            r
                        } else {
                            r.replace("\"FILLED\"", "\"NEW\"")
                        }
                    }
                    None => error_response(s.id, 400, -2013, "Order does not exist."),
                }
            }
            other => panic!("unexpected {other}"),
        };
        if std::mem::take(&mut self.lose_next_response) {
            return None;
        }
        Some(resp)
    }

    /// Carries the gateway's actions to the exchange and its answers back.
    fn exchange(&mut self, gw: &mut Gateway, now_ns: u64) -> Vec<Action> {
        let mut seen = Vec::new();
        loop {
            let actions: Vec<Action> = gw.drain().collect();
            if actions.is_empty() {
                return seen;
            }
            for s in ws_sent(&actions) {
                if let Some(r) = self.handle(&s) {
                    gw.on_ws_text(r.as_bytes(), now_ns).unwrap();
                }
            }
            seen.extend(actions);
        }
    }
}

fn report(rel: &str, cid: &str) -> kairos_core::binance::user::ExecutionReport {
    let text = String::from_utf8(read(rel))
        .unwrap()
        .replace(FIXTURE_CID, cid);
    match decode_user(text.as_bytes()).unwrap().event {
        UserEvent::ExecutionReport(r) => *r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn gateway_place_ack_then_fills_by_execution_reports_end_filled() {
    assert!(fixture("nautilus_trader/crates_spot_user_data_json").is_dir());
    let mut gw = gateway();
    let done = gw
        .submit(&intent(FIXTURE_CID, "1"), &exposure(), T0)
        .unwrap();
    let actions: Vec<Action> = gw.drain().collect();
    let sent = ws_sent(&actions);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].id, done.req_id);
    assert_eq!(sent[0].method, "order.place");
    let pr = &sent[0].params;
    assert_eq!(pr["newClientOrderId"], FIXTURE_CID);
    assert_eq!(pr["price"], "2500.00");
    assert_eq!(pr["quantity"], "1.0000");
    assert_eq!(pr["recvWindow"], 5000);
    assert_eq!(pr["timestamp"], T0_MS);
    assert!(actions.contains(&Action::Timer {
        at_ns: T0 + RESPONSE_TIMEOUT_NS
    }));
    assert_eq!(
        gw.table.get("ETHUSDT", FIXTURE_CID).unwrap().status,
        Status::Submitted
    );
    let ack = doc_response(100, done.req_id, Some(FIXTURE_CID), Some(12345678));
    gw.on_ws_text(ack.as_bytes(), T0 + 1).unwrap();
    let actions: Vec<Action> = gw.drain().collect();
    assert!(actions.contains(&Action::Placed {
        client_id: ClientId::new(FIXTURE_CID).unwrap(),
        order_id: 12345678
    }));
    let dir = "nautilus_trader/crates_spot_user_data_json";
    gw.on_execution_report(
        &report(&format!("{dir}/execution_report_new.json"), FIXTURE_CID),
        T0,
    )
    .unwrap();
    assert_eq!(
        gw.table.get("ETHUSDT", FIXTURE_CID).unwrap().status,
        Status::New
    );
    gw.on_execution_report(
        &report(&format!("{dir}/execution_report_trade.json"), FIXTURE_CID),
        T0,
    )
    .unwrap();
    let o = gw.table.get("ETHUSDT", FIXTURE_CID).unwrap();
    assert_eq!(o.status, Status::Filled);
    assert_eq!(o.filled_qty, q("1"));
    assert_eq!(o.order_id, Some(12345678));
    // The ack's answer is not awaited any more: its deadline passes quietly.
    gw.on_timer(T0 + RESPONSE_TIMEOUT_NS);
    assert_eq!(wire(&gw.drain().collect::<Vec<_>>()), 0);
}

#[test]
fn gateway_invalid_timestamp_resyncs_the_clock_then_retries_once() {
    let mut gw = gateway();
    let cid = "kairos-1021";
    let first = gw.submit(&intent(cid, "1"), &exposure(), T0).unwrap();
    gw.drain().for_each(drop);
    let msg = "Timestamp for this request is outside of the recvWindow.";
    gw.on_ws_text(error_response(first.req_id, 400, -1021, msg).as_bytes(), T0)
        .unwrap();
    let sent = ws_sent(&gw.drain().collect::<Vec<_>>());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "time");
    // The server is 1 s ahead.
    let mut time = blocks(WS_DOCS)[44]["json"].clone();
    time["id"] = json!(sent[0].id);
    time["result"]["serverTime"] = json!(T0_MS + 1000);
    gw.on_ws_text(time.to_string().as_bytes(), T0).unwrap();
    let sent = ws_sent(&gw.drain().collect::<Vec<_>>());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "order.place");
    assert_eq!(sent[0].params["newClientOrderId"], cid);
    assert_eq!(sent[0].params["timestamp"], T0_MS + 1000);
    assert_eq!(gw.clock.offset_ms(), 1000);
    // A second -1021: no third try, the order is rejected.
    gw.on_ws_text(error_response(sent[0].id, 400, -1021, msg).as_bytes(), T0)
        .unwrap();
    let actions: Vec<Action> = gw.drain().collect();
    assert_eq!(wire(&actions), 0);
    assert!(matches!(actions[0], Action::Rejected { code: -1021, .. }));
    assert_eq!(
        gw.table.get("ETHUSDT", cid).unwrap().status,
        Status::Rejected
    );
    assert_eq!(gw.stats().clock_resyncs, 1);
}

#[test]
fn gateway_timeout_queries_then_resends_the_same_client_id_and_one_order_exists() {
    let mut gw = gateway();
    let mut ex = Exchange {
        lose_next_request: true,
        ..Exchange::default()
    };
    let cid = "kairos-lost-request";
    gw.submit(&intent(cid, "1"), &exposure(), T0).unwrap();
    ex.exchange(&mut gw, T0);
    assert!(ex.orders.is_empty(), "the place never arrived");
    let t1 = T0 + RESPONSE_TIMEOUT_NS;
    gw.on_timer(t1);
    let seen = ex.exchange(&mut gw, t1);
    let methods: Vec<String> = ws_sent(&seen).into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["order.status", "order.place"]);
    assert_eq!(ws_sent(&seen)[1].params["newClientOrderId"], cid);
    assert_eq!(ex.orders, [cid], "exactly one order on the exchange");
    assert!(seen.iter().any(|a| matches!(a, Action::Placed { .. })));
    assert_eq!(
        gw.table.iter().filter(|o| o.client_id.eq_str(cid)).count(),
        1
    );
    assert_eq!(gw.stats().resends, 1);
    assert_eq!(gw.stats().places_sent, 2);
}

#[test]
fn gateway_timeout_with_the_order_on_the_exchange_never_resends() {
    let mut gw = gateway();
    let mut ex = Exchange {
        lose_next_response: true,
        ..Exchange::default()
    };
    let cid = "kairos-lost-response";
    gw.submit(&intent(cid, "1"), &exposure(), T0).unwrap();
    ex.exchange(&mut gw, T0);
    let t1 = T0 + RESPONSE_TIMEOUT_NS;
    gw.on_timer(t1);
    let seen = ex.exchange(&mut gw, t1);
    let methods: Vec<String> = ws_sent(&seen).into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["order.status"], "status says NEW: no re-send");
    assert!(seen.contains(&Action::Placed {
        client_id: ClientId::new(cid).unwrap(),
        order_id: 1
    }));
    assert_eq!(ex.orders.len(), 1);
    assert_eq!(gw.stats().places_sent, 1);
    // Nothing left in flight; later timers send nothing.
    gw.on_timer(t1 + 10 * RESPONSE_TIMEOUT_NS);
    assert_eq!(wire(&gw.drain().collect::<Vec<_>>()), 0);
}

#[test]
fn gateway_duplicate_order_sent_counts_as_placed_and_is_queried() {
    let mut gw = gateway();
    let mut ex = Exchange::default();
    let cid = "kairos-dup";
    ex.orders.push(cid.to_owned()); // already there (an earlier send got through)
    gw.submit(&intent(cid, "1"), &exposure(), T0).unwrap();
    let seen = ex.exchange(&mut gw, T0);
    let methods: Vec<String> = ws_sent(&seen).into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["order.place", "order.status"]);
    assert!(seen.iter().any(|a| matches!(a, Action::Placed { .. })));
    assert!(!seen.iter().any(|a| matches!(a, Action::Rejected { .. })));
    // The status answer says NEW: the table takes it.
    assert_eq!(gw.table.get("ETHUSDT", cid).unwrap().status, Status::New);
    assert_eq!(ex.orders.len(), 1);
}

#[test]
fn gateway_status_answer_past_new_with_no_report_asks_for_reconciliation() {
    // The place answer is lost and the status query finds the order FILLED:
    // its fills went out on the lost connection and are not in the answer,
    // so the table keeps the order Submitted and reconciliation is asked for.
    let mut gw = gateway();
    let mut ex = Exchange {
        lose_next_response: true,
        status_filled: true,
        ..Exchange::default()
    };
    let cid = "kairos-filled-unseen";
    gw.submit(&intent(cid, "1"), &exposure(), T0).unwrap();
    ex.exchange(&mut gw, T0);
    let t1 = T0 + RESPONSE_TIMEOUT_NS;
    gw.on_timer(t1);
    let seen = ex.exchange(&mut gw, t1);
    let c = ClientId::new(cid).unwrap();
    assert!(seen.contains(&Action::NeedsReconcile { client_id: c }));
    assert_eq!(gw.stats().query_needs_reconcile, 1);
    assert_eq!(
        gw.table.get("ETHUSDT", cid).unwrap().status,
        Status::Submitted
    );
    assert_eq!(gw.stats().places_sent, 1);
}

#[test]
fn gateway_other_new_order_rejections_end_rejected_without_retry() {
    let mut gw = gateway();
    let cid = "kairos-insufficient";
    let s = gw.submit(&intent(cid, "1"), &exposure(), T0).unwrap();
    gw.drain().for_each(drop);
    let mut v = blocks(WS_DOCS)[2]["json"].clone();
    v["id"] = json!(s.req_id);
    gw.on_ws_text(v.to_string().as_bytes(), T0).unwrap();
    let actions: Vec<Action> = gw.drain().collect();
    assert_eq!(wire(&actions), 0);
    let o = gw.table.get("ETHUSDT", cid).unwrap();
    assert_eq!(o.status, Status::Rejected);
    assert!(o
        .reject_reason
        .as_str()
        .starts_with("Account has insufficient"));
}

#[test]
fn gateway_429_holds_the_order_then_resumes_with_the_same_client_id() {
    let mut gw = gateway();
    let cid = "kairos-429";
    let s = gw.submit(&intent(cid, "1"), &exposure(), T0).unwrap();
    gw.drain().for_each(drop);
    let mut v = blocks(WS_DOCS)[117]["json"].clone();
    v["id"] = json!(s.req_id);
    gw.on_ws_text(v.to_string().as_bytes(), T0).unwrap();
    let actions: Vec<Action> = gw.drain().collect();
    assert_eq!(wire(&actions), 0);
    let Some(Action::Timer { at_ns: resume }) = actions.last().cloned() else {
        panic!("{actions:?}")
    };
    assert!(resume > T0);
    // New orders are refused while held, naming the back-off.
    let r = gw.submit(&intent("kairos-other", "1"), &exposure(), T0 + 1);
    assert!(matches!(
        r,
        Err(SubmitRefusal::Limiter(LimitRefusal::BackedOff { .. }))
    ));
    gw.on_timer(resume - 1);
    assert_eq!(wire(&gw.drain().collect::<Vec<_>>()), 0);
    gw.on_timer(resume);
    let sent = ws_sent(&gw.drain().collect::<Vec<_>>());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "order.place");
    assert_eq!(sent[0].params["newClientOrderId"], cid);
}

#[test]
fn gateway_418_stops_everything_until_the_ban_ends() {
    let mut gw = gateway();
    let cid = "kairos-418";
    let s = gw.submit(&intent(cid, "1"), &exposure(), T0).unwrap();
    let s2 = gw
        .submit(&intent("kairos-418b", "1"), &exposure(), T0)
        .unwrap();
    gw.drain().for_each(drop);
    let mut v = blocks(WS_DOCS)[12]["json"].clone();
    let ban_end = v["error"]["data"]["retryAfter"].as_u64().unwrap() * NANOS_PER_MS;
    v["id"] = json!(s.req_id);
    gw.on_ws_text(v.to_string().as_bytes(), T0).unwrap();
    let actions: Vec<Action> = gw.drain().collect();
    assert!(actions.contains(&Action::Banned { until_ns: ban_end }));
    assert!(gw.limiter.alarm());
    // Nothing goes out: new orders, cancels, timeouts, held orders.
    assert!(matches!(
        gw.submit(&intent("kairos-418c", "1"), &exposure(), T0 + 1),
        Err(SubmitRefusal::Limiter(LimitRefusal::Banned { .. }))
    ));
    assert!(gw
        .cancel(
            Symbol::new(b"ETHUSDT").unwrap(),
            &ClientId::new(cid).unwrap(),
            T0 + 1
        )
        .is_err());
    let _ = s2;
    for t in [
        T0 + RESPONSE_TIMEOUT_NS,
        T0 + 60_000 * NANOS_PER_MS,
        ban_end - 1,
    ] {
        gw.on_timer(t);
        let actions: Vec<Action> = gw.drain().collect();
        assert_eq!(wire(&actions), 0, "at {t}: {actions:?}");
    }
    // After the ban: the held place is sent again, the unanswered one queried.
    gw.on_timer(ban_end);
    let sent = ws_sent(&gw.drain().collect::<Vec<_>>());
    let mut methods: Vec<&str> = sent.iter().map(|s| s.method.as_str()).collect();
    methods.sort();
    assert_eq!(methods, ["order.place", "order.status"]);
}

#[test]
fn gateway_risk_and_limiter_refusals_never_reach_the_wire() {
    let mut gw = gateway();
    // 5 × 2500 = 12 500 > max_order_notional 10 000.
    let r = gw.submit(&intent("kairos-big", "5"), &exposure(), T0);
    match r {
        Err(SubmitRefusal::Risk(refusal)) => {
            assert_eq!(refusal.rule, Rule::OrderNotional);
            assert!(refusal.to_string().contains("max_order_notional"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(gw.drain().count(), 0);
    assert!(gw.table.get("ETHUSDT", "kairos-big").is_none());

    // ORDERS 2 per 10 s: new orders may use 90 % of it, rounded down → 1.
    let mut limits = DEFAULT_RATE_LIMITS;
    limits[1].limit = 2;
    let mut gw = Gateway::new(
        doc_creds(),
        RiskGuard::new(RiskLimits::default()),
        Limiter::from_rate_limits(&limits).unwrap(),
        ServerClock::default(),
    );
    let mut placed = 0;
    let mut refused = None;
    for n in 0..3 {
        match gw.submit(&intent(&format!("kairos-l{n}"), "1"), &exposure(), T0) {
            Ok(_) => placed += 1,
            Err(e) => refused = Some((n, e)),
        }
    }
    let (n, e) = refused.expect("the limiter refused one");
    assert!(matches!(
        e,
        SubmitRefusal::Limiter(LimitRefusal::Limit { .. })
    ));
    assert!(e.to_string().contains("Orders"), "{e}");
    assert!(gw.table.get("ETHUSDT", &format!("kairos-l{n}")).is_none());
    assert_eq!(wire(&gw.drain().collect::<Vec<_>>()), placed);
}

#[test]
fn gateway_falls_back_to_rest_while_the_ws_api_is_down() {
    let mut gw = gateway();
    let cid = "kairos-rest";
    gw.submit(&intent(cid, "1"), &exposure(), T0).unwrap();
    gw.drain().for_each(drop);
    gw.on_ws_down(T0 + 1);
    let actions: Vec<Action> = gw.drain().collect();
    let (req_id, query) = actions
        .iter()
        .find_map(|a| match a {
            Action::SendRest {
                req_id,
                method: HttpMethod::Get,
                path: "/api/v3/order",
                query,
                signed: true,
            } => Some((*req_id, query.clone())),
            _ => None,
        })
        .expect("a REST status query");
    assert!(query.starts_with(&format!(
        "symbol=ETHUSDT&origClientOrderId={cid}&recvWindow=5000&timestamp="
    )));
    assert!(query.contains("&signature="));
    assert_eq!(wire(&actions), 1);
    // The REST answer: the order exists.
    let mut body = blocks(REST_DOCS)
        .into_iter()
        .find(|b| {
            b["section"].as_str().unwrap_or("").contains("Query order")
                && b["json"]["orderId"].is_u64()
        })
        .unwrap()["json"]
        .clone();
    body["clientOrderId"] = json!(cid);
    body["symbol"] = json!("ETHUSDT");
    let order_id = body["orderId"].as_u64().unwrap();
    gw.on_rest_reply(req_id, 200, None, body.to_string().as_bytes(), T0 + 2)
        .unwrap();
    assert!(gw.drain().any(|a| a
        == Action::Placed {
            client_id: ClientId::new(cid).unwrap(),
            order_id
        }));
    // A new order while down goes out as POST /api/v3/order.
    gw.submit(&intent("kairos-rest2", "1"), &exposure(), T0 + 3)
        .unwrap();
    let actions: Vec<Action> = gw.drain().collect();
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::SendRest { method: HttpMethod::Post, path: "/api/v3/order", query, .. }
            if query.contains("newClientOrderId=kairos-rest2")
    )));
    // Garbage from outside is an error, never a panic.
    assert!(gw.on_ws_text(b"{not json", T0).is_err());
    assert!(gw.on_rest_reply(999, 200, None, b"[]", T0).is_err());
}

/// The docs' -2021 answers of `order.cancelReplace`: when the new order went
/// through (`newOrderResult: SUCCESS`), it exists on the exchange and must be
/// confirmed, never marked rejected; when it failed, the new order is
/// rejected with the exchange's reason.
#[test]
fn gateway_cancel_replace_partial_failure_keeps_a_new_order_that_went_through() {
    let examples: Vec<J> = blocks(WS_DOCS)
        .into_iter()
        .map(|b| b["json"].clone())
        .filter(|j| j["error"]["code"] == json!(-2021))
        .collect();
    let with = |result: &str| {
        examples
            .iter()
            .find(|j| j["error"]["data"]["newOrderResult"] == json!(result))
            .unwrap_or_else(|| panic!("a -2021 example with newOrderResult {result}"))
            .clone()
    };
    for (result, placed) in [("SUCCESS", true), ("FAILURE", false)] {
        let mut gw = gateway();
        let old = "kairos-old";
        gw.submit(&intent(old, "1"), &exposure(), T0).unwrap();
        gw.drain().for_each(drop);
        let new_cid = format!("kairos-new-{result}");
        let req = gw
            .cancel_replace(
                &ClientId::new(old).unwrap(),
                &intent(&new_cid, "1"),
                &exposure(),
                T0,
            )
            .unwrap();
        gw.drain().for_each(drop);
        let mut v = with(result);
        v["id"] = json!(req);
        gw.on_ws_text(v.to_string().as_bytes(), T0).unwrap();
        let actions: Vec<Action> = gw.drain().collect();
        assert_eq!(
            actions.iter().any(|a| matches!(a, Action::Placed { .. })),
            placed,
            "{result}: {actions:?}"
        );
        assert_eq!(
            actions.iter().any(|a| matches!(a, Action::Rejected { .. })),
            !placed,
            "{result}: {actions:?}"
        );
    }
}

/// The fixture's trade report for `cid`, as a partial fill of `qty` when
/// given.
fn trade_report(cid: &str, partial: Option<&str>) -> kairos_core::binance::user::ExecutionReport {
    let dir = "nautilus_trader/crates_spot_user_data_json";
    let mut text = String::from_utf8(read(&format!("{dir}/execution_report_trade.json")))
        .unwrap()
        .replace(FIXTURE_CID, cid);
    if let Some(qty) = partial {
        text = text
            .replace(r#""X": "FILLED""#, r#""X": "PARTIALLY_FILLED""#)
            .replace(r#""l": "1.00000000""#, &format!(r#""l": "{qty}""#))
            .replace(r#""z": "1.00000000""#, &format!(r#""z": "{qty}""#));
    }
    match decode_user(text.as_bytes()).unwrap().event {
        UserEvent::ExecutionReport(r) => *r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn gateway_protective_stop_is_placed_for_the_filled_quantity_once_the_entry_is_done() {
    let dir = "nautilus_trader/crates_spot_user_data_json";
    // A buy of 1 ETH at 2500 with its stop at 2400, filled at once.
    let mut gw = gateway();
    let mut entry = intent(FIXTURE_CID, "1");
    entry.stop = Some(p("2400"));
    let s = gw.submit(&entry, &exposure(), T0).unwrap();
    assert_eq!(s.stop, Some(p("2400")));
    gw.drain().for_each(drop);
    gw.on_execution_report(&trade_report(FIXTURE_CID, None), T0 + 1)
        .unwrap();
    let sent = ws_sent(&gw.drain().collect::<Vec<_>>());
    assert_eq!(sent.len(), 1, "one stop: {:?}", gw.stats());
    let pr = &sent[0].params;
    assert_eq!(sent[0].method, "order.place");
    assert_eq!(pr["type"], "STOP_LOSS");
    assert_eq!(pr["side"], "SELL");
    assert_eq!(pr["stopPrice"], "2400.00");
    // 1 ETH filled less the 0.001 ETH commission the report names: what the
    // account holds.
    assert_eq!(pr["quantity"], "0.9990");
    assert_eq!(
        pr["newClientOrderId"],
        format!("{FIXTURE_CID}{STOP_ID_SUFFIX}")
    );
    assert!(pr.get("price").is_none(), "a STOP_LOSS has no limit price");
    assert_eq!(gw.stats().stops_placed, 1);
    // The stop itself is tracked like any order.
    let stop_id = format!("{FIXTURE_CID}{STOP_ID_SUFFIX}");
    assert_eq!(
        gw.table.get("ETHUSDT", &stop_id).unwrap().status,
        Status::Submitted
    );

    // Partly filled (0.4), then cancelled: a stop for that fill only, sent
    // when the entry is done, not before.
    let mut gw = gateway();
    gw.submit(&entry, &exposure(), T0).unwrap();
    gw.drain().for_each(drop);
    gw.on_execution_report(&trade_report(FIXTURE_CID, Some("0.40000000")), T0 + 1)
        .unwrap();
    assert!(
        ws_sent(&gw.drain().collect::<Vec<_>>()).is_empty(),
        "not done yet"
    );
    // The cancel's report carries the cumulative 0.4 filled, as Binance's do.
    let text = String::from_utf8(read(&format!("{dir}/execution_report_canceled.json")))
        .unwrap()
        .replace(r#""z": "0.00000000""#, r#""z": "0.40000000""#);
    let UserEvent::ExecutionReport(cancel) = decode_user(text.as_bytes()).unwrap().event else {
        panic!("not a report")
    };
    gw.on_execution_report(&cancel, T0 + 2).unwrap();
    let sent = ws_sent(&gw.drain().collect::<Vec<_>>());
    assert_eq!(sent.len(), 1, "{:?}", gw.table.get("ETHUSDT", FIXTURE_CID));
    assert_eq!(
        sent[0].params["quantity"], "0.3990",
        "0.4 less 0.001 ETH commission"
    );

    // Cancelled with nothing filled: no stop.
    let mut gw = gateway();
    gw.submit(&entry, &exposure(), T0).unwrap();
    gw.drain().for_each(drop);
    gw.on_execution_report(
        &report(
            &format!("{dir}/execution_report_canceled.json"),
            FIXTURE_CID,
        ),
        T0 + 1,
    )
    .unwrap();
    assert!(ws_sent(&gw.drain().collect::<Vec<_>>()).is_empty());
    assert_eq!(gw.stats().stops_placed, 0);
}

#[test]
fn gateway_audit_after_a_user_data_gap_flags_orders_the_exchange_moved_past() {
    // Two acknowledged orders (NEW reports applied) and one still waiting
    // for its answer. The audit asks about the two acknowledged ones only;
    // the exchange says one is still NEW (nothing lost) and the other was
    // CANCELED (its report was lost in the gap): only that one is flagged.
    let dir = "nautilus_trader/crates_spot_user_data_json";
    let mut gw = gateway();
    let (a, b, c) = ("kairos-audit-a", "kairos-audit-b", "kairos-audit-c");
    for (cid, order_id) in [(a, "1001"), (b, "1002")] {
        gw.submit(&intent(cid, "1"), &exposure(), T0).unwrap();
        // The fixture's NEW report, for this order (its own exchange id).
        let text = String::from_utf8(read(&format!("{dir}/execution_report_new.json")))
            .unwrap()
            .replace(FIXTURE_CID, cid)
            .replace("12345678", order_id);
        let UserEvent::ExecutionReport(r) = decode_user(text.as_bytes()).unwrap().event else {
            panic!("not a report: {text}");
        };
        let applied = gw.on_execution_report(&r, T0);
        assert_eq!(
            gw.table.get("ETHUSDT", cid).unwrap().status,
            Status::New,
            "{applied:?}"
        );
    }
    gw.submit(&intent(c, "1"), &exposure(), T0).unwrap();
    let _ = gw.drain().count();
    assert_eq!(gw.audit_open_orders(T0 + 1), 2);
    let actions: Vec<Action> = gw.drain().collect();
    let sent = ws_sent(&actions);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().all(|s| s.method == "order.status"));
    let asked: Vec<&str> = sent
        .iter()
        .map(|s| s.params["origClientOrderId"].as_str().unwrap())
        .collect();
    assert_eq!(asked, vec![a, b]);
    let answer = |id: u64, cid: &str, status: &str| {
        json!({"id": id, "status": 200, "result": {
            "symbol": "ETHUSDT", "orderId": 1, "clientOrderId": cid, "price": "2500.00",
            "origQty": "1.0000", "executedQty": "0.0000", "cummulativeQuoteQty": "0.00",
            "status": status, "timeInForce": "GTC", "type": "LIMIT", "side": "BUY"}})
        .to_string()
    };
    gw.on_ws_text(answer(sent[0].id, a, "NEW").as_bytes(), T0 + 2)
        .unwrap();
    gw.on_ws_text(answer(sent[1].id, b, "CANCELED").as_bytes(), T0 + 3)
        .unwrap();
    let actions: Vec<Action> = gw.drain().collect();
    let flagged: Vec<&Action> = actions
        .iter()
        .filter(|x| matches!(x, Action::NeedsReconcile { .. }))
        .collect();
    assert_eq!(
        flagged,
        vec![&Action::NeedsReconcile {
            client_id: ClientId::new(b).unwrap()
        }]
    );
    assert_eq!((gw.stats().audits, gw.stats().audit_mismatches), (2, 1));
    let (oa, ob) = (
        gw.table.get("ETHUSDT", a).unwrap(),
        gw.table.get("ETHUSDT", b).unwrap(),
    );
    assert!(!oa.needs_reconcile && ob.needs_reconcile);
    // Nothing invented: the table keeps what the reports said.
    assert_eq!((oa.status, ob.status), (Status::New, Status::New));
}
