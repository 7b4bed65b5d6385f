//! kairos's WebSocket client against a server it did not write: the PyPI
//! `websockets` package (`tools/ws_interop_server.py`) serving a real
//! capture's frames and its REST snapshot. The book must sync from that
//! snapshot and agree with every bookTicker of the same update id.
//!
//! Needs `python3` with `websockets` (`.ci/run` installs it). Without it the
//! test says SKIPPED and passes, unless `KAIROS_REQUIRE_INTEROP=1`, which CI
//! sets, makes it fail.

use kairos_core::drive::live::{LiveConfig, LiveDriver, LiveOutcome, LiveStatus, NoSink};
use kairos_core::engine::{Kind, NoopDecide};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod live_common;
use live_common as common;

#[test]
fn kairos_client_syncs_a_book_from_a_python_websockets_server() {
    let Some((child, ws, rest)) = common::python_server(FIXTURE, 60) else {
        return;
    };
    let out = sync_through(&ws, &rest);
    check(&out);
    finish(child);
}

/// The same, through a proxy that cuts the byte stream into 1–7-byte pieces:
/// frames arrive split anywhere (WouldBlock mid-frame, many partial reads).
#[test]
fn frames_dribbled_a_few_bytes_at_a_time_decode_the_same() {
    let Some((child, ws, rest)) = common::python_server(FIXTURE, 60) else {
        return;
    };
    let upstream = ws.strip_prefix("ws://").unwrap().to_string();
    let proxy = common::Dribble::start(upstream, 7);
    let out = sync_through(&format!("ws://127.0.0.1:{}", proxy.port), &rest);
    check(&out);
    assert!(proxy.pieces.load(Ordering::Relaxed) > 50_000);
    finish(child);
}

const FIXTURE: &str = "core/tests/data/ticks/hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz";

fn finish(mut child: std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn sync_through(ws: &str, rest: &str) -> LiveOutcome {
    let mut cfg = LiveConfig::new(
        ws,
        rest,
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
    out
}

fn check(out: &LiveOutcome) {
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
