//! Helpers shared by the tests that run the paper driver against `kairos
//! sim` on loopback (orders, user data, engine intents, session logon).
#![allow(dead_code)]

use kairos_core::binance::fast::Symbol;
use kairos_core::portfolio::Asset;
use std::path::{Path, PathBuf};
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
