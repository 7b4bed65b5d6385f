//! The paper driver end to end on loopback: the live driver, subscribed to
//! `kairos sim`'s market streams and connected to its WS-API with the sim's
//! test key, places orders through the real gateway; the sim's matching
//! engine fills them; the portfolio is kept from the sim's executionReports
//! and account updates, and must equal the sim's own account at the end.

use kairos_core::auth::{query, Credentials};
use kairos_core::binance::fast::Symbol;
use kairos_core::binance::rest::decode_account;
use kairos_core::binance::types::{Side, TimeInForce};
use kairos_core::drive::live::{LiveStatus, OrderCommand, OrderSender, WS_API_PATH};
use kairos_core::num::{Amount, Price, Qty, Wide};
use kairos_core::orders::gateway::OrderIntent;
use kairos_core::orders::{ClientId, ClientIdGen, Status};
use kairos_core::sim::api::{DEFAULT_API_KEY, DEFAULT_API_SECRET};
use kairos_core::sim::Sim;
use serde_json::{json, Value};
use std::io::BufRead;
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tungstenite::{Message, WebSocket};

mod paper_common;
use paper_common::{
    asset, btcusdt, btcusdt_feed, btcusdt_limit, capture, noop_driver, now_ms, orders_config,
    sim_config, wait_for, TICK, WAIT,
};

/// The capture's trade prices, sorted.
fn trade_prices() -> Vec<Price> {
    let f = std::fs::File::open(capture()).unwrap();
    let r = std::io::BufReader::new(flate2::read::GzDecoder::new(f));
    let mut v: Vec<Price> = r
        .lines()
        .map(|l| l.unwrap())
        .filter_map(|l| {
            let (_, msg) = l.split_once(' ')?;
            let v: Value = serde_json::from_str(msg).ok()?;
            let d = &v["data"];
            (d["e"] == "trade").then(|| Price::parse(d["p"].as_str().unwrap()).unwrap())
        })
        .collect();
    v.sort();
    v
}

/// The sim's own view of the account, over a separate blocking client.
fn sim_account(sim: &Sim) -> kairos_core::binance::rest::Account {
    let url = format!("{}{WS_API_PATH}", sim.ws_url());
    let tcp = TcpStream::connect(sim.ws_url().trim_start_matches("ws://")).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let mut ws: WebSocket<TcpStream> = tungstenite::client::client(url.as_str(), tcp).unwrap().0;
    let creds = Credentials::hmac(DEFAULT_API_KEY, DEFAULT_API_SECRET);
    let ts = now_ms().to_string();
    let mut all = vec![("apiKey", creds.api_key()), ("timestamp", ts.as_str())];
    all.sort();
    let sig = creds.sign(&query(&all));
    let mut params = serde_json::Map::new();
    for (k, v) in all {
        params.insert(k.into(), json!(v));
    }
    params.insert("signature".into(), json!(sig));
    let req = json!({"id": 1, "method": "account.status", "params": params});
    ws.send(Message::text(req.to_string())).unwrap();
    loop {
        if let Message::Text(t) = ws.read().unwrap() {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["id"] == json!(1) {
                return decode_account(v["result"].to_string().as_bytes())
                    .unwrap_or_else(|e| panic!("{e}: {t}"));
            }
        }
    }
}

fn wide(a: Amount) -> Wide {
    Wide::from(a)
}

fn limit(cid: ClientId, side: Side, qty: &str, price_units: i64) -> OrderIntent {
    btcusdt_limit(cid, side, TimeInForce::Gtc, qty, price_units)
}

/// What the order thread placed.
struct Placed {
    buy: ClientId,
    sell: ClientId,
    resting: ClientId,
    cancelled: ClientId,
    resting_price: Price,
}

/// The order thread: waits for a live book and the user-data stream, then
/// places the orders one after another from the live top of book.
fn trade(status: &LiveStatus, tx: &mut OrderSender, lowest: Price, median: Price) -> Placed {
    wait_for("a live book and the user-data stream", || {
        status.best_bid_units.load(Ordering::Relaxed) > 0
            && status.best_ask_units.load(Ordering::Relaxed) > 0
            && status.user_data.load(Ordering::Relaxed)
    });
    let mut ids = ClientIdGen::new("paper", now_ms()).unwrap();
    let bid = || status.best_bid_units.load(Ordering::Relaxed) as i64;
    let ask = || status.best_ask_units.load(Ordering::Relaxed) as i64;
    let finals = || status.orders_final.load(Ordering::Relaxed);
    // A marketable buy, 0.1 % through the ask.
    let buy = ids.next_id();
    assert!(tx.send(OrderCommand::Place(limit(
        buy,
        Side::Buy,
        "0.002",
        ask() + ask() / 1000 + TICK
    ))));
    wait_for("the buy to fill", || finals() >= 1);
    // A marketable sell of half of it, 0.1 % through the bid.
    let sell = ids.next_id();
    assert!(tx.send(OrderCommand::Place(limit(
        sell,
        Side::Sell,
        "0.001",
        bid() - bid() / 1000
    ))));
    wait_for("the sell to fill", || finals() >= 2);
    // A resting order that the capture's trades print through on every
    // loop: a buy one tick above the capture's lowest trade. The market may
    // move between reading the book and the order's arrival, but the ask
    // never goes below the lowest trade plus a tick, so the buy either rests
    // and fills as maker at its price when a trade prints at the lowest, or
    // takes an ask at exactly its price: the quote is price × qty either
    // way. When the bid is already at the lowest trade (nothing would print
    // below it): a sell at or above the ask, at least the median.
    let (resting_side, resting_units) = if bid() > lowest.units() {
        (Side::Buy, lowest.units() + TICK)
    } else {
        (Side::Sell, ask().max(median.units()))
    };
    let resting = ids.next_id();
    eprintln!(
        "bid {} ask {} lowest {} median {}: resting {resting_side:?} at {resting_units}",
        bid(),
        ask(),
        lowest.units(),
        median.units(),
    );
    assert!(tx.send(OrderCommand::Place(limit(
        resting,
        resting_side,
        "0.0005",
        resting_units
    ))));
    // A buy 5 % below the bid, never filled, then cancelled.
    let cancelled = ids.next_id();
    assert!(tx.send(OrderCommand::Place(limit(
        cancelled,
        Side::Buy,
        "0.0003",
        bid() - bid() / 20
    ))));
    wait_for("both buys on the book", || {
        status.orders.load(Ordering::Relaxed) >= 4
    });
    // Let the exchange acknowledge it before cancelling.
    std::thread::sleep(Duration::from_millis(200));
    assert!(tx.send(OrderCommand::Cancel {
        symbol: Symbol::new(b"BTCUSDT").unwrap(),
        client_id: cancelled,
    }));
    wait_for("every order final", || finals() >= 4);
    // The last account update follows the last report.
    std::thread::sleep(Duration::from_millis(300));
    Placed {
        buy,
        sell,
        resting,
        cancelled,
        resting_price: Price::from_units(resting_units / TICK * TICK).unwrap(),
    }
}

#[test]
fn orders_portfolio_paper_driver_against_the_sim_end_to_end() {
    let prices = trade_prices();
    let (lowest, median) = (prices[0], prices[prices.len() / 2]);
    let sim = Sim::start(sim_config()).expect("sim starts");
    let start = sim_account(&sim);
    let usdt0 = wide(start.balance("USDT").unwrap().free);
    assert_eq!(usdt0, Wide::from_int(10_000).unwrap());

    let live = btcusdt_feed(&sim);
    let creds = Credentials::hmac(DEFAULT_API_KEY, DEFAULT_API_SECRET);
    let mut orders = orders_config(&sim, WS_API_PATH, creds, usdt0);
    orders.pairs = vec![(btcusdt(), asset("BTC"), asset("USDT"))];
    let (mut driver, status) = noop_driver(live, orders);
    let mut tx = driver.orders().unwrap();
    let stop = driver.stop_flag();
    let trader = std::thread::spawn(move || {
        let placed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            trade(&status, &mut tx, lowest, median)
        }));
        stop.store(true, Ordering::Relaxed);
        placed
    });
    let out = driver.run();
    let placed = match trader.join().unwrap() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{:?}", driver.order_counters());
            std::panic::resume_unwind(e)
        }
    };
    let gw = driver.gateway().unwrap();
    let pf = driver.portfolio().unwrap();
    let oc = driver.order_counters().unwrap().clone();
    eprintln!("order side: {oc:?}");
    eprintln!("gateway: {:?}", gw.stats());
    eprintln!("limiter: {:?}", gw.limiter.stats());

    // Each order's final status, from the sim's executionReports.
    let status_of = |c: &ClientId| gw.table.get("BTCUSDT", c.as_str()).unwrap();
    for (c, want) in [
        (&placed.buy, Status::Filled),
        (&placed.sell, Status::Filled),
        (&placed.resting, Status::Filled),
        (&placed.cancelled, Status::Canceled),
    ] {
        let o = status_of(c);
        eprintln!(
            "{} {:?} {} qty {} filled {} quote {} in {} fills",
            o.client_id.as_str(),
            o.side,
            o.status.name(),
            o.qty,
            o.filled_qty,
            o.quote_qty,
            o.fills
        );
        assert_eq!(o.status, want, "{}", c.as_str());
    }
    // The resting order filled as maker at its own price.
    let r = status_of(&placed.resting);
    let resting_quote = Qty::from_units(
        i64::try_from(
            i128::from(placed.resting_price.units()) * i128::from(r.filled_qty.units())
                / 100_000_000,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(r.quote_qty, resting_quote);
    assert_eq!(status_of(&placed.cancelled).filled_qty, Qty::ZERO);

    // The portfolio equals the sim's own account.
    let end = sim_account(&sim);
    let usdt = pf.balance(&asset("USDT"));
    let btc = pf.balance(&asset("BTC"));
    let sim_usdt = end.balance("USDT").unwrap();
    let sim_btc = end.balance("BTC").unwrap();
    eprintln!(
        "sim USDT {} / {} BTC {} / {}; portfolio USDT {} / {} BTC {} / {}",
        sim_usdt.free,
        sim_usdt.locked,
        sim_btc.free,
        sim_btc.locked,
        usdt.free,
        usdt.locked,
        btc.free,
        btc.locked
    );
    assert_eq!(usdt.free, wide(sim_usdt.free));
    assert_eq!(usdt.locked, wide(sim_usdt.locked));
    assert_eq!(btc.free, wide(sim_btc.free));
    assert_eq!(btc.locked, wide(sim_btc.locked));
    // The position, kept from the fills alone (account updates never touch
    // it), agrees too: BTC held = position; USDT = start + realized − cost
    // (every fee was paid in BTC or USDT).
    let pos = pf.position(&Symbol::new(b"BTCUSDT").unwrap()).unwrap();
    eprintln!(
        "position {} cost {} realized {} over {} fills; reconciled {:?}",
        pos.qty, pos.cost, pos.realized, pos.fills, pf.reconciled
    );
    assert_eq!(pos.qty, btc.free.checked_add(btc.locked).unwrap());
    assert_eq!(
        usdt.free.checked_add(usdt.locked).unwrap(),
        usdt0
            .checked_add(pos.realized)
            .unwrap()
            .checked_sub(pos.cost)
            .unwrap()
    );
    assert_eq!(pos.realized, oc.realized);
    assert_eq!(pos.fills, oc.fills);
    assert!(oc.fills >= 3);
    assert_eq!(pos.other_fees, Wide::ZERO);

    // Nothing decided on a stale book, nothing refused, no 429, no loss.
    assert_eq!(out.engine.stale_decisions, 0);
    assert_eq!(oc.refused_stale_book, 0);
    assert_eq!(oc.refused, 0, "{:?}", oc.last_refusal);
    assert_eq!(oc.rejected, 0, "{:?}", oc.last_refusal);
    assert_eq!(gw.limiter.stats().http_429, 0);
    assert_eq!(gw.limiter.stats().http_418, 0);
    assert_eq!(out.counters.http_429, 0);
    assert_eq!(oc.rest_refused, 0);
    assert_eq!(oc.unknown_reports, 0);
    assert_eq!(oc.fills_refused, 0);
    assert_eq!(oc.malformed, 0);
    assert_eq!(oc.unmatched, 0);
    assert_eq!(oc.downs, 0);
    assert_eq!(oc.placed, 4);
    assert_eq!(oc.cancels, 1);
    assert!(oc.account_positions >= 4);
    assert_eq!(gw.stats().timeouts, 0);
}
