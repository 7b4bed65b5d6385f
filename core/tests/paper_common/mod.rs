//! Helpers shared by the tests that run the paper driver against `kairos
//! sim` on loopback (orders, user data, engine intents, session logon).
#![allow(dead_code)]

use kairos_core::auth::Credentials;
use kairos_core::binance::fast::Symbol;
use kairos_core::binance::types::{OrderType, Side, TimeInForce};
use kairos_core::drive::live::{LiveConfig, LiveDriver, LiveStatus, NoSink, OrderConfig};
use kairos_core::engine::NoopDecide;
use kairos_core::num::{Price, Qty, Wide};
use kairos_core::orders::gateway::OrderIntent;
use kairos_core::orders::ClientId;
use kairos_core::portfolio::{Asset, Balance};
use kairos_core::sim::api::{DEFAULT_API_KEY, DEFAULT_API_SECRET};
use kairos_core::sim::{CaptureFormat, Sim, SimConfig, SimSource};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Longest any wait may take (a loaded 2-core machine).
pub const WAIT: Duration = Duration::from_secs(60);
/// The BTCUSDT capture the sim replays (`core/tests/data/ticks/`).
pub const CAPTURE: &str = "hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz";
/// One tick of BTCUSDT in the capture (0.01), in 10⁻⁸ units.
pub const TICK: i64 = 1_000_000;

/// The path of [`CAPTURE`].
pub fn capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ticks")
        .join(CAPTURE)
}

/// Wall-clock milliseconds since the epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// An asset by name.
pub fn asset(s: &str) -> Asset {
    Asset::new(s.as_bytes()).unwrap()
}

/// BTCUSDT.
pub fn btcusdt() -> Symbol {
    Symbol::new(b"BTCUSDT").unwrap()
}

/// Polls `f` every 10 ms until it holds; fails naming `what` after [`WAIT`].
pub fn wait_for(what: &str, f: impl Fn() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < WAIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The sim replaying [`CAPTURE`] at 15× speed, looped.
pub fn sim_config() -> SimConfig {
    let mut cfg = SimConfig::new(SimSource::Capture {
        path: capture(),
        format: CaptureFormat::Hftbacktest,
    });
    cfg.speed = 15.0;
    cfg.looped = true;
    cfg
}

/// The feed of BTCUSDT's depth diffs, bookTickers and trades from `sim`.
pub fn btcusdt_feed(sim: &Sim) -> LiveConfig {
    LiveConfig::new(
        sim.ws_url(),
        sim.rest_url(),
        &["BTCUSDT"],
        &["depth@100ms", "bookTicker", "trade"],
    )
}

/// Orders through `sim`'s WS-API at `path`, signed with `creds`, starting
/// with `usdt` USDT free (no pairs: add them where a test needs them).
pub fn orders_config(sim: &Sim, path: &str, creds: Credentials, usdt: Wide) -> OrderConfig {
    let mut orders = OrderConfig::new(&format!("{}{path}", sim.ws_url()), creds);
    orders.balances = vec![(
        asset("USDT"),
        Balance {
            free: usdt,
            locked: Wide::ZERO,
        },
    )];
    orders
}

/// [`orders_config`] with the sim's default API key, 10,000 USDT and the
/// BTCUSDT pair.
pub fn default_orders(sim: &Sim, path: &str) -> OrderConfig {
    let creds = Credentials::hmac(DEFAULT_API_KEY, DEFAULT_API_SECRET);
    let mut orders = orders_config(sim, path, creds, Wide::from_int(10_000).unwrap());
    orders.pairs = vec![(btcusdt(), asset("BTC"), asset("USDT"))];
    orders
}

/// A paper driver with the no-op decision stage and the given feed and
/// orders, and the status it publishes.
pub fn noop_driver(
    live: LiveConfig,
    orders: OrderConfig,
) -> (LiveDriver<NoopDecide, NoSink>, Arc<LiveStatus>) {
    let status = Arc::new(LiveStatus::default());
    let driver = LiveDriver::new(live, NoopDecide, NoSink)
        .unwrap()
        .with_orders(orders)
        .unwrap()
        .with_status(status.clone());
    (driver, status)
}

/// A BTCUSDT limit order (BTCUSDT's price and quantity places), its price
/// `units` (10⁻⁸) rounded down to the tick.
pub fn btcusdt_limit(
    client_id: ClientId,
    side: Side,
    tif: TimeInForce,
    qty: &str,
    units: i64,
) -> OrderIntent {
    OrderIntent {
        client_id,
        symbol: btcusdt(),
        side,
        order_type: OrderType::Limit,
        time_in_force: Some(tif),
        qty: Qty::parse(qty).unwrap(),
        price: Price::from_units(units / TICK * TICK).unwrap(),
        stop: None,
        price_places: 2,
        qty_places: 5,
    }
}
