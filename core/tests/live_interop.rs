//! kairos's WebSocket client against a server it did not write: the PyPI
//! `websockets` package (`tools/ws_interop_server.py`) serving a real
//! capture's frames and its REST snapshot. The book must sync from that
//! snapshot and agree with every bookTicker of the same update id.
//!
//! Needs `python3` with `websockets` (`.ci/run` installs it). Without it the
//! test says SKIPPED and passes, unless `KAIROS_REQUIRE_INTEROP=1`, which CI
//! sets, makes it fail.

use kairos_core::drive::live::{LiveConfig, LiveDriver, LiveStatus, NoSink};
use kairos_core::engine::{Kind, NoopDecide};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn websockets_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import websockets.asyncio.server"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("KAIROS_REQUIRE_INTEROP").as_deref() == Ok("1") {
            panic!("python3 with the `websockets` package is required (KAIROS_REQUIRE_INTEROP=1)");
        }
        eprintln!("SKIPPED: python3 -c 'import websockets' failed; `pip install websockets` to run this test");
    }
    ok
}

#[test]
fn kairos_client_syncs_a_book_from_a_python_websockets_server() {
    if !websockets_available() {
        return;
    }
    let fixture =
        repo().join("core/tests/data/ticks/hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz");
    let mut child = Command::new("python3")
        .arg(repo().join("tools/ws_interop_server.py"))
        .arg(&fixture)
        .arg("60")
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let mut parts = first
        .trim()
        .strip_prefix("listening ")
        .expect(&first)
        .split(' ');
    let ws = parts
        .next()
        .unwrap()
        .strip_prefix("ws=")
        .unwrap()
        .to_string();
    let rest = parts
        .next()
        .unwrap()
        .strip_prefix("rest=")
        .unwrap()
        .to_string();

    let mut cfg = LiveConfig::new(
        &ws,
        &rest,
        &["BTCUSDT"],
        &["depth@100ms", "bookTicker", "trade"],
    );
    cfg.duration = Some(Duration::from_secs(30));
    let status = Arc::new(LiveStatus::default());
    let mut driver = LiveDriver::new(cfg, NoopDecide, NoSink)
        .unwrap()
        .with_status(status.clone());
    let stop = driver.stop_flag();
    // 2,999 market frames in the fixture (3,000 lines, one REST snapshot).
    let watcher = std::thread::spawn(move || {
        let t0 = Instant::now();
        while status.events.load(Ordering::Relaxed) < 2999 && t0.elapsed() < Duration::from_secs(30)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Let the driver settle the last snapshot reply.
        std::thread::sleep(Duration::from_millis(200));
        stop.store(true, Ordering::Relaxed);
    });
    let out = driver.run();
    watcher.join().unwrap();
    let _ = child.kill();
    let _ = child.wait();

    assert_eq!(out.counters.events, 2999, "{:?}", out.counters);
    assert_eq!(out.engine.by_kind[Kind::Malformed as usize], 0);
    assert_eq!(out.engine.by_kind[Kind::BookTicker as usize], 2200);
    assert_eq!(out.engine.by_kind[Kind::Trade as usize], 518);
    assert_eq!(out.engine.by_kind[Kind::DepthUpdate as usize], 281);
    assert_eq!(out.counters.reconnects, 0);
    assert!(out.counters.snapshots >= 1, "{:?}", out.counters);
    let btc = &out.symbols[0];
    assert!(btc.ever_synced && btc.live, "{btc:?}");
    assert!(btc.book.applied > 200, "{btc:?}");
    assert!(
        btc.oracle.checked > 0 && btc.oracle.mismatches == 0,
        "{btc:?}"
    );
    assert_eq!(out.engine.stale_decisions, 0);
    assert!(out.engine.decisions > 0);
}
