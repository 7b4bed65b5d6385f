//! The user-data stream's listen-key fallback, through the real client (the
//! live driver's order side) against `kairos sim` on loopback: while the
//! WS-API is down, orders go by REST and their executionReports arrive on a
//! listen-key stream (`/ws/<listenKey>`); an expired key is replaced and no
//! report is lost; when the WS-API subscription returns, the two sources
//! overlap and nothing is applied twice. The portfolio must equal the sim's
//! own account at the end of each.

use kairos_core::binance::fast::Symbol;
use kairos_core::binance::types::{Side, TimeInForce};
use kairos_core::drive::live::{LiveStatus, OrderCommand, OrderCounters, OrderSender, WS_API_PATH};
use kairos_core::feed::backoff::BackoffConfig;
use kairos_core::num::{Amount, Price, Wide};
use kairos_core::orders::gateway::{GatewayStats, OrderIntent};
use kairos_core::orders::{ClientId, ClientIdGen, Status};
use kairos_core::sim::{Sim, SimConfig, SimStats, WsApiRequest};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

mod paper_common;
use paper_common::{
    asset, btcusdt_feed, btcusdt_limit, default_orders, noop_driver, now_ms, sim_config, wait_for,
    TICK,
};

/// A marketable BTCUSDT limit order: a buy 0.1 % through the ask, a sell
/// 0.1 % through the bid.
fn marketable(status: &LiveStatus, cid: ClientId, side: Side, qty: &str) -> OrderIntent {
    let units = match side {
        Side::Buy => {
            let ask = status.best_ask_units.load(Ordering::Relaxed) as i64;
            ask + ask / 1000 + TICK
        }
        Side::Sell => {
            let bid = status.best_bid_units.load(Ordering::Relaxed) as i64;
            bid - bid / 1000
        }
    };
    btcusdt_limit(cid, side, TimeInForce::Gtc, qty, units)
}

/// Places `intent` and waits until `n` orders are final.
fn place_and_finish(status: &LiveStatus, tx: &mut OrderSender, intent: OrderIntent, n: u64) {
    assert!(tx.send(OrderCommand::Place(intent)));
    wait_for("the order to fill", || {
        status.orders_final.load(Ordering::Relaxed) >= n
    });
}

/// What a run leaves for the assertions.
struct Run {
    sim: Arc<Sim>,
    stats: SimStats,
    oc: OrderCounters,
    gw: GatewayStats,
    /// Status of each client id the trader named.
    table: Vec<Status>,
    /// Whether each is flagged for reconciliation.
    flagged: Vec<bool>,
    /// (USDT, BTC) of the portfolio, free and locked.
    portfolio: [(Wide, Wide); 2],
    /// (USDT, BTC) of the sim's account, free and locked.
    account: [(Wide, Wide); 2],
}

/// Runs the driver with its order side against a sim whose WS-API is down
/// from the start, `validity` of listen keys, `overlap` of the two
/// user-data sources; `trade` runs on its own thread once the book is live
/// and the listen-key stream is open.
fn run(
    validity: Duration,
    overlap: Duration,
    trade: impl FnOnce(&Sim, &LiveStatus, &mut OrderSender, &mut ClientIdGen) -> Vec<ClientId>
        + Send
        + 'static,
) -> Run {
    run_with(|c| c.listen_key_validity = validity, true, overlap, trade)
}

/// [`run`] with the sim set up by `tweak`; the trader waits for the
/// listen-key stream only when `wait_stream`.
fn run_with(
    tweak: impl FnOnce(&mut SimConfig),
    wait_stream: bool,
    overlap: Duration,
    trade: impl FnOnce(&Sim, &LiveStatus, &mut OrderSender, &mut ClientIdGen) -> Vec<ClientId>
        + Send
        + 'static,
) -> Run {
    let mut cfg = sim_config();
    tweak(&mut cfg);
    let sim = Arc::new(Sim::start(cfg).expect("sim starts"));
    sim.set_ws_api_down(true);
    let live = btcusdt_feed(&sim);
    let mut orders = default_orders(&sim, WS_API_PATH);
    // Short reconnect delays: the WS-API comes back within the test.
    orders.reconnect = BackoffConfig {
        base: Duration::from_millis(50),
        cap: Duration::from_millis(300),
        reset_after_healthy: Duration::from_secs(5),
    };
    orders.listen_key_overlap = overlap;
    let (mut driver, status) = noop_driver(live, orders);
    let mut tx = driver.orders().unwrap();
    let stop = driver.stop_flag();
    let s = sim.clone();
    let trader = std::thread::spawn(move || {
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_for("a live book and the listen-key stream", || {
                status.best_bid_units.load(Ordering::Relaxed) > 0
                    && status.best_ask_units.load(Ordering::Relaxed) > 0
                    && (status.listen_key_stream.load(Ordering::Relaxed) || !wait_stream)
            });
            let mut ids = ClientIdGen::new("lk", now_ms()).unwrap();
            let cids = trade(&s, &status, &mut tx, &mut ids);
            // The account update follows the last report.
            std::thread::sleep(Duration::from_millis(300));
            cids
        }));
        stop.store(true, Ordering::Relaxed);
        out
    });
    driver.run();
    let oc = driver.order_report().unwrap();
    eprintln!("order side: {oc:?}");
    eprintln!("sim: {:?}", sim.stats());
    let cids = match trader.join().unwrap() {
        Ok(c) => c,
        Err(e) => std::panic::resume_unwind(e),
    };
    let gw = driver.gateway().unwrap();
    let table = cids
        .iter()
        .map(|c| gw.table.get("BTCUSDT", c.as_str()).expect("tracked").status)
        .collect();
    let flagged = cids
        .iter()
        .map(|c| {
            gw.table
                .get("BTCUSDT", c.as_str())
                .expect("tracked")
                .needs_reconcile
        })
        .collect();
    let pf = driver.portfolio().unwrap();
    let mine = |a: &str| {
        let b = pf.balance(&asset(a));
        (b.free, b.locked)
    };
    let acct = sim.balances(0);
    let theirs = |a: &str| {
        acct.iter()
            .find(|(x, _, _)| x == a)
            .map_or((Wide::ZERO, Wide::ZERO), |(_, f, l)| {
                (Wide::from(*f), Wide::from(*l))
            })
    };
    let portfolio = [mine("USDT"), mine("BTC")];
    let account = [theirs("USDT"), theirs("BTC")];
    eprintln!("portfolio {portfolio:?} sim account {account:?}");
    Run {
        stats: sim.stats(),
        sim,
        oc,
        gw: *gw.stats(),
        table,
        flagged,
        portfolio,
        account,
    }
}

fn order_requests(sim: &Sim) -> Vec<WsApiRequest> {
    sim.ws_api_log().into_iter().filter(|r| r.order).collect()
}

/// The portfolio equals the sim's account, and the account moved.
fn assert_books_agree(r: &Run) {
    assert_eq!(r.portfolio, r.account);
    assert!(r.account[1].0 > Wide::ZERO, "BTC was bought");
    assert!(
        r.account[0].0 < Wide::from(Amount::from_int(10_000).unwrap()),
        "USDT was spent"
    );
}

#[test]
fn orders_listen_key_stream_carries_reports_while_the_ws_api_is_down() {
    let r = run(
        Duration::from_secs(3600),
        Duration::from_secs(2),
        |_, status, tx, ids| {
            let buy = ids.next_id();
            place_and_finish(status, tx, marketable(status, buy, Side::Buy, "0.002"), 1);
            let sell = ids.next_id();
            place_and_finish(status, tx, marketable(status, sell, Side::Sell, "0.001"), 2);
            vec![buy, sell]
        },
    );
    assert_eq!(r.table, vec![Status::Filled, Status::Filled]);
    // The WS-API never carried anything: refused handshakes, no
    // subscription; both orders went by REST.
    assert!(r.stats.ws_api_refused >= 1, "{:?}", r.stats);
    assert_eq!(r.oc.subscribed, 0);
    let reqs = order_requests(&r.sim);
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert!(reqs.iter().all(|q| q.rest), "{reqs:?}");
    // One key, one stream, and every fill the sim made arrived on it.
    assert_eq!(r.stats.listen_keys_made, 1);
    assert_eq!(r.stats.user_stream_connections, 1);
    assert_eq!(r.oc.listen_key.keys_obtained, 1);
    assert!(r.oc.listen_key_frames >= 4, "{:?}", r.oc);
    assert!(r.stats.fills >= 2);
    assert_eq!(r.oc.fills, r.stats.fills, "{:?}", r.oc);
    assert_eq!(r.oc.fills_refused, 0);
    assert!(r.oc.account_positions >= 2, "{:?}", r.oc);
    assert_books_agree(&r);
}

#[test]
fn orders_listen_key_expiry_gets_a_new_key_and_loses_no_report() {
    // Keys live 3 s here (Binance: 60 min); the client keeps them alive
    // every 30 min, so the first one expires under it.
    let r = run(
        Duration::from_secs(3),
        Duration::from_secs(2),
        |sim, status, tx, ids| {
            let buy = ids.next_id();
            place_and_finish(status, tx, marketable(status, buy, Side::Buy, "0.002"), 1);
            wait_for("the key to expire and a new stream to open", || {
                let s = sim.stats();
                s.listen_keys_expired >= 1
                    && s.listen_keys_made >= 2
                    && s.user_stream_connections >= 2
                    && status.listen_key_stream.load(Ordering::Relaxed)
            });
            let sell = ids.next_id();
            place_and_finish(status, tx, marketable(status, sell, Side::Sell, "0.001"), 2);
            vec![buy, sell]
        },
    );
    assert_eq!(r.table, vec![Status::Filled, Status::Filled]);
    // The client read listenKeyExpired and got a new key.
    assert!(r.oc.listen_key_expired >= 1, "{:?}", r.oc);
    assert!(r.oc.listen_key.expired >= 1, "{:?}", r.oc.listen_key);
    assert!(r.oc.listen_key.keys_obtained >= 2, "{:?}", r.oc.listen_key);
    assert_eq!(r.oc.listen_key.keepalives, 0, "no keepalive was due");
    // No report lost: every fill of the sim reached the portfolio.
    assert!(r.stats.fills >= 2);
    assert_eq!(r.oc.fills, r.stats.fills, "{:?}", r.oc);
    assert_books_agree(&r);
}

#[test]
fn orders_switching_back_to_the_ws_api_applies_no_report_twice() {
    // Both sources run for 3 s after the WS-API subscription is back: an
    // order placed then has its reports on both.
    let r = run(
        Duration::from_secs(3600),
        Duration::from_secs(3),
        |sim, status, tx, ids| {
            let buy = ids.next_id();
            place_and_finish(status, tx, marketable(status, buy, Side::Buy, "0.002"), 1);
            sim.set_ws_api_down(false);
            wait_for("the WS-API subscription", || {
                status.user_data_ws_api.load(Ordering::Relaxed)
            });
            assert!(
                status.listen_key_stream.load(Ordering::Relaxed),
                "the listen-key stream stays for the overlap"
            );
            let sell = ids.next_id();
            place_and_finish(status, tx, marketable(status, sell, Side::Sell, "0.001"), 2);
            wait_for("the listen-key stream to close", || {
                !status.listen_key_stream.load(Ordering::Relaxed)
            });
            vec![buy, sell]
        },
    );
    assert_eq!(r.table, vec![Status::Filled, Status::Filled]);
    // The buy by REST, the sell on the WS-API.
    let reqs = order_requests(&r.sim);
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert!(reqs[0].rest && !reqs[1].rest, "{reqs:?}");
    assert!(r.oc.subscribed >= 1);
    // The sell's reports came twice and were applied once.
    assert!(r.oc.duplicate_reports >= 1, "{:?}", r.oc);
    assert!(r.stats.fills >= 2);
    assert_eq!(r.oc.fills, r.stats.fills, "{:?}", r.oc);
    // The listen key was closed after the overlap.
    assert_eq!(r.oc.listen_key.switched_back, 1);
    assert_eq!(r.stats.listen_keys_closed, 1);
    assert_books_agree(&r);
}

#[test]
fn orders_listen_key_gone_410_turns_the_fallback_off_after_one_request() {
    // Binance spot answers 410 Gone since it retired listen keys: one
    // request, then the WS-API is the only source (no retry storm while the
    // WS-API link keeps failing).
    let r = run_with(
        |c| c.listen_keys_gone = true,
        false,
        Duration::from_secs(2),
        |sim, _, _, _| {
            wait_for("the 410", || sim.stats().listen_key_gone_answers >= 1);
            // Many WS-API reconnect attempts meanwhile (300 ms at most apart).
            std::thread::sleep(Duration::from_millis(1500));
            Vec::new()
        },
    );
    assert_eq!(r.stats.listen_key_gone_answers, 1, "{:?}", r.stats);
    assert!(r.stats.ws_api_refused >= 3, "{:?}", r.stats);
    assert_eq!(r.stats.user_stream_connections, 0);
    assert_eq!(r.oc.listen_key.unavailable, 1);
    assert_eq!(r.oc.listen_key.key_failures, 0);
    assert_eq!(r.oc.listen_key_frames, 0);
    let why = r.oc.last_refusal.clone().unwrap_or_default();
    assert!(why.contains("410"), "{why}");
}

#[test]
fn orders_report_lost_in_a_user_data_gap_is_found_by_the_audit_and_flagged() {
    // A resting buy is acknowledged on the listen-key stream; the stream
    // then goes down and the buy is cancelled meanwhile, so its CANCELED
    // report reaches no one (as on Binance). When the stream is back, the
    // audit asks the exchange, finds it ahead of the table and flags the
    // order for reconciliation; nothing is invented.
    let r = run(
        Duration::from_secs(3600),
        Duration::from_secs(2),
        |sim, status, tx, ids| {
            let cid = ids.next_id();
            let bid = status.best_bid_units.load(Ordering::Relaxed) as i64;
            let mut buy = marketable(status, cid, Side::Buy, "0.0003");
            buy.price = Price::from_units((bid - bid / 20) / TICK * TICK).unwrap();
            assert!(tx.send(OrderCommand::Place(buy)));
            wait_for("the NEW report and account update", || {
                sim.stats().user_events >= 2
            });
            std::thread::sleep(Duration::from_millis(300));
            sim.set_user_streams_down(true);
            wait_for("the stream to drop", || {
                sim.stats().user_streams_refused >= 1
                    && !status.listen_key_stream.load(Ordering::Relaxed)
            });
            assert!(tx.send(OrderCommand::Cancel {
                symbol: Symbol::new(b"BTCUSDT").unwrap(),
                client_id: cid,
            }));
            wait_for("the cancel on the exchange", || {
                sim.stats().orders_canceled >= 1
            });
            sim.set_user_streams_down(false);
            wait_for("the audit's status query", || {
                sim.ws_api_log().iter().any(|q| q.method == "order.status")
            });
            std::thread::sleep(Duration::from_millis(500));
            vec![cid]
        },
    );
    assert_eq!(r.stats.orders_canceled, 1);
    assert!(r.gw.audits >= 1, "{:?}", r.gw);
    assert_eq!(r.gw.audit_mismatches, 1, "{:?}", r.gw);
    assert!(r.oc.needs_reconcile >= 1, "{:?}", r.oc);
    // Flagged, and still where its reports left it: the audit books nothing.
    assert_eq!(r.flagged, vec![true]);
    assert_eq!(r.table, vec![Status::New]);
    assert_eq!(r.oc.fills, 0);
}
