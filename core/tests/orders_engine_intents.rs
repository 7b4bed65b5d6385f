//! The decision stage's intents in the live/paper driver: admitted as the
//! backtester admits them (the core's hard limits, then the exchange
//! filters taken from exchangeInfo), placed through the real gateway on
//! `kairos sim` (loopback), filled by its matching engine and booked in the
//! portfolio; an intent over a hard limit is refused, counted, and named.

use kairos_core::auth::Credentials;
use kairos_core::binance::types::Side;
use kairos_core::drive::live::{LiveDriver, LiveStatus, NoSink, ENGINE_ID_PREFIX, WS_API_PATH};
use kairos_core::engine::{Action, Actions, Decide, MarketView, OrderIntent, OrderKind};
use kairos_core::num::{Price, Qty, Wide};
use kairos_core::orders::Status;
use kairos_core::portfolio::risk::Rule;
use kairos_core::sim::api::{DEFAULT_API_KEY, DEFAULT_API_SECRET};
use kairos_core::sim::Sim;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

mod paper_common;
use paper_common::{asset, btcusdt_feed, orders_config, sim_config, wait_for, TICK};

/// The hard limit on one order's notional in this test, USDT.
const MAX_ORDER_NOTIONAL: i128 = 1_000;

/// A decision stage that, on the first market event of a live book with
/// an ask, asks for a marketable buy of 0.002 BTC (≈ 120 USDT, within the
/// limit) and a buy of 0.1 BTC (≈ 6 000 USDT, over it); nothing after.
#[derive(Default)]
struct BuyOnce {
    fired: bool,
}

impl Decide for BuyOnce {
    fn on_market(&mut self, view: &MarketView, out: &mut Actions) {
        let Some(ask) = view.best_ask.filter(|_| !self.fired) else {
            return;
        };
        self.fired = true;
        let a = ask.price.units();
        let through = Price::from_units((a + a / 1000) / TICK * TICK + TICK).unwrap();
        for qty in ["0.002", "0.1"] {
            out.push(Action::Intent(OrderIntent {
                symbol: view.symbol,
                side: Side::Buy,
                kind: OrderKind::Limit,
                qty: Qty::parse(qty).unwrap(),
                price: through,
                stop: None,
                take_profit: None,
                tag: 0,
            }));
        }
    }
}

#[test]
fn orders_engine_intent_is_admitted_placed_and_filled_and_one_over_a_hard_limit_is_refused() {
    let sim = Sim::start(sim_config()).expect("sim starts");
    let live = btcusdt_feed(&sim);
    let creds = Credentials::hmac(DEFAULT_API_KEY, DEFAULT_API_SECRET);
    // No pairs: the symbol's assets and filters must come from exchangeInfo.
    let mut orders = orders_config(&sim, WS_API_PATH, creds, Wide::from_int(10_000).unwrap());
    orders.risk.max_order_notional = Wide::from_int(MAX_ORDER_NOTIONAL).unwrap();
    let status = Arc::new(LiveStatus::default());
    let mut driver = LiveDriver::new(live, BuyOnce::default(), NoSink)
        .unwrap()
        .with_orders(orders)
        .unwrap()
        .with_status(status.clone());
    let stop = driver.stop_flag();
    let watcher = std::thread::spawn(move || {
        let r = std::panic::catch_unwind(|| {
            wait_for("the engine's order to fill", || {
                status.orders_final.load(Ordering::Relaxed) >= 1
            });
            // The account update follows the report; the forced stop follows
            // the fill.
            std::thread::sleep(Duration::from_millis(500));
        });
        stop.store(true, Ordering::Relaxed);
        r
    });
    let out = driver.run();
    let oc = driver.order_report().unwrap();
    eprintln!("order side: {oc:?}");
    eprintln!("sim: {:?}", sim.stats());
    if let Err(e) = watcher.join().unwrap() {
        std::panic::resume_unwind(e);
    }
    let gw = driver.gateway().unwrap();

    // exchangeInfo gave the symbol's rules and assets.
    assert_eq!(oc.symbols_from_exchange_info, 1);
    assert_eq!(out.counters.intents_not_routed, 0);
    // One intent routed and filled; the other refused by the notional rule,
    // with the numbers.
    assert_eq!(oc.intents_routed, 1, "{oc:?}");
    assert_eq!(oc.intents_refused_risk, 1, "{oc:?}");
    assert_eq!(oc.intents_refused_filter, 0);
    assert_eq!(gw.risk.refusals[Rule::OrderNotional as usize], 1);
    let why = oc.last_refusal.clone().unwrap_or_default();
    assert!(
        why.contains("max_order_notional") && why.contains("1000"),
        "{why}"
    );
    let entry = gw
        .table
        .iter()
        .find(|o| o.side == Side::Buy)
        .expect("the engine's buy");
    assert!(
        entry.client_id.as_str().starts_with(ENGINE_ID_PREFIX),
        "{}",
        entry.client_id.as_str()
    );
    assert_eq!(entry.status, Status::Filled);
    assert_eq!(entry.filled_qty, Qty::parse("0.002").unwrap());
    // 120 USDT cannot lose 5 % of 10 000: no stop was forced or placed.
    assert_eq!(gw.risk.forced_stops, 0);
    assert_eq!(gw.stats().stops_placed, 0);
    let s = sim.stats();
    assert_eq!(s.orders_placed, 1, "the admitted buy only");
    assert_eq!(s.ws_api_order_requests, 1, "the refused buy never left");
    // The fills were booked (the assets are exchangeInfo's) and the
    // portfolio equals the sim's account.
    assert!(oc.fills >= 1 && oc.fills == s.fills, "{oc:?}");
    assert_eq!(oc.fills_refused, 0);
    let pf = driver.portfolio().unwrap();
    for (a, free, locked) in sim.balances(0) {
        let b = pf.balance(&asset(&a));
        assert_eq!(
            (b.free, b.locked),
            (Wide::from(free), Wide::from(locked)),
            "{a}"
        );
    }
    sim.shutdown();
}
