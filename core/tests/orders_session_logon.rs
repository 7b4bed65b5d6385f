//! WS-API authentication through the real client against `kairos sim` on
//! loopback: with an Ed25519 key the driver logs the connection on
//! (`session.logon`) and subscribes the user data unsigned; with an HMAC key
//! (which Binance does not let log on) it subscribes with the signed form.
//! Either way orders fill and the portfolio equals the sim's account.

use kairos_core::auth::{base64, Credentials};
use kairos_core::binance::types::{Side, TimeInForce};
use kairos_core::drive::live::{OrderCommand, OrderCounters, WS_API_PATH};
use kairos_core::num::Wide;
use kairos_core::orders::{ClientIdGen, Status};
use kairos_core::sim::api::{DEFAULT_API_KEY, DEFAULT_API_SECRET};
use kairos_core::sim::{Sim, SimAccount};
use std::sync::atomic::Ordering;
use std::time::Duration;

mod paper_common;
use paper_common::{
    asset, btcusdt_feed, btcusdt_limit, noop_driver, now_ms, orders_config, sim_config, wait_for,
    TICK,
};

const ED_KEY: &str = "kairos-sim-ed25519";

/// What a run leaves.
struct Run {
    methods: Vec<String>,
    oc: OrderCounters,
    status: Status,
    fills: u64,
    agree: bool,
}

/// One marketable buy through a driver signing with `creds`, against a sim
/// whose only account is `account`.
fn run(creds: Credentials, account: SimAccount) -> Run {
    let mut cfg = sim_config();
    cfg.accounts = vec![account];
    let sim = Sim::start(cfg).expect("sim starts");
    let live = btcusdt_feed(&sim);
    let orders = orders_config(&sim, WS_API_PATH, creds, Wide::from_int(10_000).unwrap());
    let (mut driver, status) = noop_driver(live, orders);
    let mut tx = driver.orders().unwrap();
    let stop = driver.stop_flag();
    let trader = std::thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_for("a live book and the WS-API subscription", || {
                status.best_ask_units.load(Ordering::Relaxed) > 0
                    && status.user_data_ws_api.load(Ordering::Relaxed)
            });
            let cid = ClientIdGen::new("ed", now_ms()).unwrap().next_id();
            let ask = status.best_ask_units.load(Ordering::Relaxed) as i64;
            // A tick above 0.1 % through the ask, rounded down to the tick.
            let units = ask + ask / 1000 + TICK;
            assert!(tx.send(OrderCommand::Place(btcusdt_limit(
                cid,
                Side::Buy,
                TimeInForce::Gtc,
                "0.002",
                units
            ))));
            wait_for("the buy to fill", || {
                status.orders_final.load(Ordering::Relaxed) >= 1
            });
            std::thread::sleep(Duration::from_millis(300));
            cid
        }));
        stop.store(true, Ordering::Relaxed);
        r
    });
    driver.run();
    let oc = driver.order_report().unwrap();
    eprintln!("order side: {oc:?}");
    let cid = match trader.join().unwrap() {
        Ok(c) => c,
        Err(e) => std::panic::resume_unwind(e),
    };
    let gw = driver.gateway().unwrap();
    let pf = driver.portfolio().unwrap();
    let agree = sim.balances(0).iter().all(|(a, free, locked)| {
        let b = pf.balance(&asset(a));
        (b.free, b.locked) == (Wide::from(*free), Wide::from(*locked))
    });
    let run = Run {
        methods: sim.ws_api_log().into_iter().map(|r| r.method).collect(),
        status: gw.table.get("BTCUSDT", cid.as_str()).unwrap().status,
        fills: sim.stats().fills,
        oc,
        agree,
    };
    sim.shutdown();
    run
}

#[test]
fn orders_ed25519_key_logs_on_and_subscribes_unsigned_then_trades() {
    let der =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64(der.as_ref())
    );
    let creds = Credentials::ed25519(ED_KEY, &pem).unwrap();
    let account = SimAccount::ed25519(ED_KEY, creds.ed25519_public_key().unwrap());
    let r = run(creds, account);
    // Logon first, then the unsigned subscription; never the signed one.
    let pos = |m: &str| r.methods.iter().position(|x| x == m);
    let logon = pos("session.logon").expect("session.logon sent");
    let sub = pos("userDataStream.subscribe").expect("unsigned subscription sent");
    assert!(logon < sub, "{:?}", r.methods);
    assert_eq!(pos("userDataStream.subscribe.signature"), None);
    assert_eq!(
        (r.oc.logons, r.oc.logon_refused, r.oc.subscribed),
        (1, 0, 1)
    );
    // The order, signed with the Ed25519 key, filled; its reports came
    // through the session's subscription.
    assert_eq!(r.status, Status::Filled);
    assert!(r.fills >= 1 && r.oc.fills == r.fills, "{:?}", r.oc);
    assert_eq!(r.oc.listen_key.activations, 0);
    assert!(r.agree, "portfolio differs from the sim's account");
}

#[test]
fn orders_hmac_key_subscribes_with_the_signed_form_without_logon() {
    let r = run(
        Credentials::hmac(DEFAULT_API_KEY, DEFAULT_API_SECRET),
        SimAccount::default(),
    );
    assert!(
        r.methods
            .iter()
            .any(|m| m == "userDataStream.subscribe.signature"),
        "{:?}",
        r.methods
    );
    assert!(!r.methods.iter().any(|m| m == "session.logon"));
    assert_eq!((r.oc.logons, r.oc.subscribed), (0, 1));
    assert_eq!(r.status, Status::Filled);
    assert!(r.fills >= 1 && r.oc.fills == r.fills, "{:?}", r.oc);
    assert!(r.agree, "portfolio differs from the sim's account");
}
