//! The order side under exchange faults, through the real client (the live
//! driver's WS-API link and gateway) against `kairos sim` on loopback:
//! a burst of 10 000 intents never draws a 429; an injected 429 storm and a
//! 418 ban stop order traffic until the stated time, then it resumes; a place
//! request whose answer is lost is resolved by its client order id and
//! exactly one order exists; a rejected order ends REJECTED with the
//! exchange's reason and is not sent again.

use kairos_core::binance::types::{OrderType, Side, TimeInForce};
use kairos_core::drive::live::{LiveStatus, OrderCommand, OrderCounters, OrderSender, WS_API_PATH};
use kairos_core::limiter::LimiterStats;
use kairos_core::num::Price;
use kairos_core::orders::gateway::{GatewayStats, OrderIntent, STOP_ID_SUFFIX};
use kairos_core::orders::{ClientId, ClientIdGen, Status};
use kairos_core::sim::api::ORDERS_PER_10S;
use kairos_core::sim::{Sim, WsApiFaults, WsApiRequest};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod paper_common;
use paper_common::{
    btcusdt_feed, btcusdt_limit, default_orders, noop_driver, now_ms, sim_config, wait_for, TICK,
    WAIT,
};

/// Order intents in the burst.
const BURST: usize = 10_000;
/// The burst is pushed in batches of this many …
const BURST_BATCH: usize = 100;
/// … one batch every this long: 100 batches over 12 s, so the burst crosses
/// at least one 10 s ORDERS window boundary.
const BURST_BATCH_EVERY: Duration = Duration::from_millis(120);
/// Length of the sim's short ORDERS window, ms.
const ORDERS_WINDOW_MS: u64 = 10_000;

/// A BTCUSDT limit order of `qty`, `below_pct` % under the bid (never
/// marketable).
fn below_bid(
    status: &LiveStatus,
    cid: ClientId,
    qty: &str,
    below_pct: i64,
    tif: TimeInForce,
) -> OrderIntent {
    let bid = status.best_bid_units.load(Ordering::Relaxed) as i64;
    btcusdt_limit(cid, Side::Buy, tif, qty, bid - bid * below_pct / 100)
}

/// What a run leaves for the assertions.
struct Run<R> {
    sim: Arc<Sim>,
    out: R,
    oc: OrderCounters,
    gw: GatewayStats,
    limiter: LimiterStats,
    /// Status and reject reason of each client id the trader named.
    table: Vec<(Status, String)>,
}

/// Runs the driver with orders against a sim with `faults` until `trade`
/// (on its own thread, after a live book and the user-data stream) returns.
fn run<R: Send + 'static>(
    faults: WsApiFaults,
    trade: impl FnOnce(&Sim, &LiveStatus, &mut OrderSender, &mut ClientIdGen) -> (R, Vec<ClientId>)
        + Send
        + 'static,
) -> Run<R> {
    run_with(faults, WS_API_PATH, trade)
}

/// [`run`] with the WS-API at `ws_api_path` (a wrong path: the WS-API link
/// never opens, the trader waits for a live book only).
fn run_with<R: Send + 'static>(
    faults: WsApiFaults,
    ws_api_path: &'static str,
    trade: impl FnOnce(&Sim, &LiveStatus, &mut OrderSender, &mut ClientIdGen) -> (R, Vec<ClientId>)
        + Send
        + 'static,
) -> Run<R> {
    let ws_api_works = ws_api_path == WS_API_PATH;
    let mut cfg = sim_config();
    cfg.ws_api_faults = faults;
    let sim = Arc::new(Sim::start(cfg).expect("sim starts"));
    let live = btcusdt_feed(&sim);
    let orders = default_orders(&sim, ws_api_path);
    let (mut driver, status) = noop_driver(live, orders);
    let mut tx = driver.orders().unwrap();
    let stop = driver.stop_flag();
    let s = sim.clone();
    let trader = std::thread::spawn(move || {
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_for("a live book and the user-data stream", || {
                status.best_bid_units.load(Ordering::Relaxed) > 0
                    && (status.user_data.load(Ordering::Relaxed) || !ws_api_works)
            });
            let mut ids = ClientIdGen::new("flt", now_ms()).unwrap();
            trade(&s, &status, &mut tx, &mut ids)
        }));
        stop.store(true, Ordering::Relaxed);
        out
    });
    driver.run();
    let oc = driver.order_counters().unwrap().clone();
    let gw = driver.gateway().unwrap();
    eprintln!("order side: {oc:?}");
    eprintln!("gateway: {:?}", gw.stats());
    eprintln!("limiter: {:?}", gw.limiter.stats());
    eprintln!("sim: {:?}", sim.stats());
    let (out, ids) = match trader.join().unwrap() {
        Ok(o) => o,
        Err(e) => std::panic::resume_unwind(e),
    };
    let table = ids
        .iter()
        .map(|c| {
            let o = gw.table.get("BTCUSDT", c.as_str()).expect("tracked");
            (o.status, o.reject_reason.as_str().to_string())
        })
        .collect();
    Run {
        sim,
        out,
        oc,
        gw: *gw.stats(),
        limiter: *gw.limiter.stats(),
        table,
    }
}

/// Most order requests the sim read in any sliding 10 s window.
/// The most order requests the sim received in one 10 s window, windows
/// aligned to the epoch as Binance (and the sim) count them.
fn max_orders_in_window(log: &[WsApiRequest]) -> usize {
    let mut per: std::collections::BTreeMap<u64, usize> = Default::default();
    for r in log.iter().filter(|r| r.order) {
        *per.entry(r.at_ms / ORDERS_WINDOW_MS).or_default() += 1;
    }
    per.values().copied().max().unwrap_or(0)
}

#[test]
fn limiter_burst_of_10000_intents_never_draws_a_429() {
    let r = run(WsApiFaults::default(), |_, status, tx, ids| {
        let t0 = Instant::now();
        for i in 0..BURST {
            // IOC 5 % under the bid: each one the limiter lets out expires
            // at once, so no open-order limit interferes.
            let intent = below_bid(status, ids.next_id(), "0.0001", 5, TimeInForce::Ioc);
            while !tx.send(OrderCommand::Place(intent)) {
                std::thread::sleep(Duration::from_millis(1));
            }
            if i % BURST_BATCH == BURST_BATCH - 1 {
                std::thread::sleep(BURST_BATCH_EVERY);
            }
        }
        eprintln!("burst of {BURST} pushed in {:?}", t0.elapsed());
        // The last answers and reports.
        std::thread::sleep(Duration::from_secs(2));
        ((), Vec::new())
    });
    let (oc, gw, sim) = (&r.oc, &r.gw, r.sim.stats());
    let log = r.sim.ws_api_log();
    let window = max_orders_in_window(&log);
    eprintln!(
        "burst: {} commands, {} sent, {} refused ({} by the limiter, {} by risk), \
         {} stale; sim read {} order requests, most in one aligned 10 s window {window}",
        oc.commands,
        oc.submitted,
        oc.refused,
        gw.limiter_refused,
        gw.risk_refused,
        oc.refused_stale_book,
        sim.ws_api_order_requests
    );
    // Count in = count out.
    assert_eq!(oc.commands, BURST as u64);
    assert_eq!(
        oc.submitted + oc.refused + oc.refused_stale_book,
        BURST as u64
    );
    // Every refusal is named: the limiter's, the risk guard's (open orders
    // include those in flight), or a stale book's (the looped capture's
    // wrap makes the sim's stream gap, so the book resyncs meanwhile).
    assert_eq!(gw.limiter_refused + gw.risk_refused, oc.refused);
    assert!(oc.refused > 0);
    // The limiter holds the burst back. Which refusal came last depends on
    // timing: on a loaded machine the sim answers slowly, IOC orders in
    // flight pile up and the risk guard's open-order limit refuses too.
    assert!(gw.limiter_refused > 0, "{gw:?}");
    assert!(
        oc.last_refusal
            .as_deref()
            .is_some_and(|s| s.starts_with("rate limit:") || s.starts_with("risk:")),
        "{:?}",
        oc.last_refusal
    );
    // What went out reached the sim, each acknowledged; never a 429.
    assert_eq!(sim.ws_api_order_requests, oc.submitted);
    assert_eq!(oc.placed, oc.submitted);
    assert_eq!(oc.rejected, 0, "{:?}", oc.last_refusal);
    assert_eq!(sim.orders_rate_limited, 0);
    assert_eq!(sim.http_429, 0);
    assert_eq!(r.limiter.http_429, 0);
    assert_eq!(oc.rate_limited, 0);
    assert!(window as u64 <= ORDERS_PER_10S, "{window}");
    assert!(oc.submitted > 0);
    let () = r.out;
    assert!(r.table.is_empty());
}

/// Places `n` resting orders 5 % under the bid and waits until the sim's
/// user-data stream has reported each as NEW (or the wait runs out).
fn place_resting(
    status: &LiveStatus,
    tx: &mut OrderSender,
    ids: &mut ClientIdGen,
    n: usize,
) -> Vec<ClientId> {
    let mut out = vec![];
    for _ in 0..n {
        let cid = ids.next_id();
        let intent = below_bid(status, cid, "0.0002", 5, TimeInForce::Gtc);
        assert!(tx.send(OrderCommand::Place(intent)));
        out.push(cid);
    }
    out
}

/// Order requests the sim read, oldest first.
fn order_requests(sim: &Sim) -> Vec<WsApiRequest> {
    sim.ws_api_log().into_iter().filter(|r| r.order).collect()
}

#[test]
fn orders_429_storm_holds_then_resumes_after_retry_after() {
    let faults = WsApiFaults {
        order_429_first: 3,
        retry_after: Duration::from_millis(1500),
        ..WsApiFaults::default()
    };
    let r = run(faults, |sim, status, tx, ids| {
        let cids = place_resting(status, tx, ids, 1);
        wait_for("the order placed after three 429s", || {
            sim.stats().orders_placed >= 1
        });
        // Let the user-data report arrive.
        wait_for("the NEW report", || {
            status.orders.load(Ordering::Relaxed) >= 1
        });
        std::thread::sleep(Duration::from_millis(300));
        ((), cids)
    });
    let log = order_requests(&r.sim);
    let stats = r.sim.stats();
    assert_eq!(stats.ws_api_429_injected, 3, "{stats:?}");
    assert_eq!(stats.orders_placed, 1, "one order, placed once");
    // Nothing of that class went out before the stated time: each request
    // after a 429 comes at or after its retryAfter.
    assert_eq!(log.len(), 4, "{log:?}");
    for w in log.windows(2) {
        let (status, retry_at) = w[0].injected.expect("the first three were 429s");
        assert_eq!(status, 429);
        assert!(
            w[1].at_ms >= retry_at,
            "sent at {} before retryAfter {retry_at}",
            w[1].at_ms
        );
    }
    assert!(log[3].injected.is_none());
    assert_eq!(r.limiter.http_429, 3, "{:?}", r.limiter);
    assert_eq!(r.table, vec![(Status::New, String::new())]);
}

#[test]
fn orders_418_ban_stops_everything_until_it_ends() {
    let faults = WsApiFaults {
        order_418_first: 1,
        ban_for: Duration::from_millis(2000),
        ..WsApiFaults::default()
    };
    let r = run(faults, |sim, status, tx, ids| {
        let cids = place_resting(status, tx, ids, 1);
        wait_for("the 418", || sim.stats().ws_api_418_injected >= 1);
        // A new order asked for during the ban is refused at once, with the
        // ban named; it never reaches the wire.
        let during = place_resting(status, tx, ids, 1);
        // The first, held, goes out once the ban has ended.
        wait_for("the held order placed after the ban", || {
            sim.stats().orders_placed >= 1
        });
        wait_for("its NEW report", || {
            status.orders.load(Ordering::Relaxed) >= 1
        });
        std::thread::sleep(Duration::from_millis(300));
        (during, cids)
    });
    let log = r.sim.ws_api_log();
    let banned = log
        .iter()
        .find(|q| q.injected.is_some_and(|(s, _)| s == 418))
        .expect("the 418 is in the log");
    let (_, ban_end) = banned.injected.unwrap();
    // No request of any kind between the ban and its end.
    let during: Vec<_> = log
        .iter()
        .filter(|q| q.at_ms > banned.at_ms && q.at_ms < ban_end)
        .collect();
    assert!(during.is_empty(), "sent during the ban: {during:?}");
    assert_eq!(r.limiter.http_418, 1, "{:?}", r.limiter);
    assert_eq!(r.oc.bans, 1, "{:?}", r.oc);
    // The order asked for during the ban: refused with the ban named.
    assert_eq!(r.oc.refused, 1, "{:?}", r.oc);
    assert!(
        r.oc.last_refusal
            .as_deref()
            .is_some_and(|s| s.contains("418")),
        "{:?}",
        r.oc.last_refusal
    );
    // Exactly one order reached the exchange, after the ban.
    assert_eq!(r.sim.stats().orders_placed, 1);
    let places: Vec<_> = order_requests(&r.sim);
    assert_eq!(
        places.len(),
        2,
        "the 418'd request and its resend: {places:?}"
    );
    assert!(places[1].at_ms >= ban_end);
    assert_eq!(r.table, vec![(Status::New, String::new())]);
}

#[test]
fn orders_lost_place_response_is_resolved_by_client_id_and_one_order_exists() {
    let faults = WsApiFaults {
        cut_after_order: Some(1),
        ..WsApiFaults::default()
    };
    let r = run(faults, |sim, status, tx, ids| {
        let cids = place_resting(status, tx, ids, 1);
        wait_for("the cut", || sim.stats().ws_api_cuts >= 1);
        // The client reconnects, resubscribes, and asks for the order by its
        // client id (once its request deadline has passed).
        wait_for("an order.status request", || {
            sim.ws_api_log().iter().any(|q| q.method == "order.status")
        });
        std::thread::sleep(Duration::from_millis(1000));
        ((), cids)
    });
    let stats = r.sim.stats();
    // Placed exactly once: the lost answer was resolved by asking, not by
    // placing again (over the WS-API once it is back, or by REST while it is
    // down: the sim logs both).
    assert_eq!(stats.orders_placed, 1, "{stats:?}");
    let places = order_requests(&r.sim).len();
    assert_eq!(places, 1, "order.place sent {places} times");
    let queries = r
        .sim
        .ws_api_log()
        .iter()
        .filter(|q| q.method == "order.status")
        .count();
    assert!(
        queries >= 1,
        "the client asked for the order by its client id"
    );
    // The status answer confirmed it (the exchange's order id is known).
    assert_eq!(r.oc.placed, 1, "{:?}", r.oc);
    // The NEW report went out on the connection that was cut; the status
    // answer (NEW) moves the table's order from Submitted to New.
    assert_eq!(r.table, vec![(Status::New, String::new())]);
    assert_eq!(r.gw.query_needs_reconcile, 0);
}

/// Every message of Binance's published tables, from the fixture copied out
/// of `../shared/data/messages/binance_spot_api_docs/error_message_tables.json`.
fn published_messages() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/messages/binance_spot_api_docs/error_message_tables.json");
    let text = std::fs::read_to_string(&path).expect("the error tables fixture");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = vec![];
    for rows in v.as_object().unwrap().values() {
        for row in rows.as_array().unwrap() {
            out.push(row["Error message"].as_str().unwrap().to_string());
        }
    }
    out
}

#[test]
fn orders_rejections_end_rejected_with_the_exchange_reason_and_are_sent_once() {
    // Orders the sim's matching engine refuses, sent through the real client
    // (the client does not pre-check exchange filters, so each reaches the
    // wire): off-tick price, off-step quantity, a notional under the
    // minimum, a sell of BTC the account does not hold, a LIMIT_MAKER that
    // would take.
    let r = run(WsApiFaults::default(), |_sim, status, tx, ids| {
        let mut cids = vec![];
        let mut send = |f: &dyn Fn(ClientId) -> OrderIntent| {
            let cid = ids.next_id();
            assert!(tx.send(OrderCommand::Place(f(cid))));
            cids.push(cid);
        };
        let ask = status.best_ask_units.load(Ordering::Relaxed) as i64;
        // Price 0.001 off the 0.01 tick.
        send(&|cid| {
            let mut i = below_bid(status, cid, "0.0002", 5, TimeInForce::Gtc);
            i.price = Price::from_units(i.price.units() + TICK / 10).unwrap();
            i.price_places = 3;
            i
        });
        // Quantity 0.0000001 off the step (the sim takes the step from the
        // capture's quantity decimals: 10⁻⁶ or coarser).
        send(&|cid| {
            let mut i = below_bid(status, cid, "0.0002001", 5, TimeInForce::Gtc);
            i.qty_places = 7;
            i
        });
        // 0.00001 BTC ≈ 0.6 USDT: under the 5 USDT minimum notional.
        send(&|cid| below_bid(status, cid, "0.00001", 5, TimeInForce::Gtc));
        // A sell of BTC the sim account does not hold, far above the ask.
        send(&|cid| {
            let mut i = below_bid(status, cid, "0.0002", 5, TimeInForce::Gtc);
            i.side = Side::Sell;
            i.price = Price::from_units(ask * 2 / TICK * TICK).unwrap();
            i
        });
        // A LIMIT_MAKER buy 1 % above the ask would take.
        send(&|cid| {
            let mut i = below_bid(status, cid, "0.0002", 5, TimeInForce::Gtc);
            i.order_type = OrderType::LimitMaker;
            i.time_in_force = None;
            i.price = Price::from_units((ask + ask / 100) / TICK * TICK).unwrap();
            i
        });
        let n = cids.len() as u64;
        // Every answer, or (a bug) the wait's end: the table says which.
        let t0 = Instant::now();
        while status.orders_final.load(Ordering::Relaxed) < n && t0.elapsed() < WAIT {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(500));
        ((), cids)
    });
    let expected = [
        "Filter failure: PRICE_FILTER",
        "Filter failure: LOT_SIZE",
        "Filter failure: NOTIONAL",
        "Account has insufficient balance for requested action.",
        "Order would immediately match and take.",
    ];
    let published = published_messages();
    for e in expected {
        assert!(
            published.iter().any(|m| m == e),
            "{e:?} is not a published message"
        );
    }
    let got: Vec<(Status, &str)> = r.table.iter().map(|(s, m)| (*s, m.as_str())).collect();
    let want: Vec<(Status, &str)> = expected.iter().map(|m| (Status::Rejected, *m)).collect();
    assert_eq!(got, want);
    // Each was sent once: nothing was retried blindly.
    assert_eq!(order_requests(&r.sim).len(), expected.len());
    assert_eq!(r.sim.stats().orders_placed, 0);
    assert_eq!(r.gw.resends, 0);
    assert_eq!(r.oc.placed, 0, "{:?}", r.oc);
}

#[test]
fn orders_rest_fallback_places_through_the_rest_thread_while_the_ws_api_is_down() {
    // The WS-API path is wrong: its handshake fails (404) and the link stays
    // down, so the gateway sends the order as a signed REST request, which
    // the driver hands to its `rest` thread.
    let r = run_with(
        WsApiFaults::default(),
        "/ws-api/none",
        |sim, status, tx, ids| {
            // Let the first WS-API attempt fail (a later one would only make the
            // first send time out and go by REST on its status query).
            std::thread::sleep(Duration::from_millis(500));
            let cids = place_resting(status, tx, ids, 1);
            wait_for("the order on the exchange", || {
                sim.stats().orders_placed >= 1
            });
            std::thread::sleep(Duration::from_millis(300));
            ((), cids)
        },
    );
    assert_eq!(r.sim.stats().orders_placed, 1);
    // One order request, and it came by REST.
    let reqs = order_requests(&r.sim);
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert!(reqs[0].rest && reqs[0].method == "order.place", "{reqs:?}");
    assert!(r.oc.downs >= 1, "{:?}", r.oc);
    assert!(r.oc.rest_sent >= 1 && r.oc.rest_answers >= 1, "{:?}", r.oc);
    assert_eq!(r.oc.rest_refused, 0);
    assert_eq!(r.oc.placed, 1, "{:?}", r.oc);
    assert!(r.gw.rest_sent >= 1);
    // Placed once, answered, not rejected.
    assert_eq!(r.table.len(), 1);
    assert_ne!(r.table[0].0, Status::Rejected, "{:?}", r.table);
}

#[test]
fn orders_protective_stop_reaches_the_exchange_after_the_entry_fills() {
    // A marketable buy with a stop 5 % under the bid: once it has filled,
    // the gateway places a STOP_LOSS sell of the filled quantity, which the
    // sim accepts and keeps open (the price stays far above it).
    let r = run(WsApiFaults::default(), |sim, status, tx, ids| {
        let cid = ids.next_id();
        let ask = status.best_ask_units.load(Ordering::Relaxed) as i64;
        let bid = status.best_bid_units.load(Ordering::Relaxed) as i64;
        let mut i = below_bid(status, cid, "0.0002", 5, TimeInForce::Gtc);
        i.price = Price::from_units((ask + ask / 100) / TICK * TICK).unwrap();
        i.stop = Some(Price::from_units((bid - bid / 20) / TICK * TICK).unwrap());
        assert!(tx.send(OrderCommand::Place(i)));
        wait_for("the entry and its stop", || {
            sim.ws_api_log()
                .iter()
                .filter(|q| q.method == "order.place")
                .count()
                >= 2
        });
        std::thread::sleep(Duration::from_millis(500));
        let stop = ClientId::new(&format!("{}{STOP_ID_SUFFIX}", cid.as_str())).unwrap();
        ((), vec![cid, stop])
    });
    assert_eq!(r.gw.stops_placed, 1, "{:?}", r.gw);
    assert_eq!(r.gw.stops_not_placed, 0);
    assert_eq!(r.sim.stats().orders_placed, 2);
    let statuses: Vec<Status> = r.table.iter().map(|t| t.0).collect();
    assert_eq!(statuses, vec![Status::Filled, Status::New], "{:?}", r.table);
}
