//! Zero heap allocation on the live hot thread after warm-up: the live
//! driver reads a stream from the in-process sim (`ws://`, and `wss://`
//! through kairos's own TLS 1.3 record layer), decodes, updates the book and
//! runs the decision stage; the counting allocator counts the hot thread's
//! allocations during reads that delivered market data, after the first
//! `ALLOC_WARMUP_EVENTS` events.

use kairos_core::alloc_count::CountingAlloc;
use kairos_core::drive::live::{LiveConfig, LiveDriver, LiveStatus, NoSink, ALLOC_WARMUP_EVENTS};
use kairos_core::engine::NoopDecide;
use kairos_core::sim::{CaptureFormat, Sim, SimConfig, SimSource};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

#[test]
fn the_live_hot_thread_does_not_allocate_after_warm_up_over_ws() {
    no_allocation_after_warm_up(false);
}

#[test]
fn the_live_hot_thread_does_not_allocate_after_warm_up_over_wss() {
    no_allocation_after_warm_up(true);
}

fn no_allocation_after_warm_up(tls: bool) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ticks/hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz");
    let mut sc = SimConfig::new(SimSource::Capture {
        path,
        format: CaptureFormat::Hftbacktest,
    });
    sc.speed = 20.0;
    sc.looped = true;
    sc.tls = tls;
    let sim = Sim::start(sc).unwrap();
    let mut cfg = LiveConfig::new(
        sim.ws_url(),
        sim.rest_url(),
        &["BTCUSDT"],
        &["depth@100ms", "bookTicker", "trade"],
    );
    cfg.root_pem = sim.cert_pem_path().map(|p| p.to_path_buf());
    cfg.snapshot_limit = 100;
    cfg.duration = Some(Duration::from_secs(60));
    let status = Arc::new(LiveStatus::default());
    let mut driver = LiveDriver::new(cfg, NoopDecide, NoSink)
        .unwrap()
        .with_status(status.clone());
    let stop = driver.stop_flag();
    let watcher = std::thread::spawn(move || {
        let t0 = Instant::now();
        while status.events.load(Ordering::Relaxed) < ALLOC_WARMUP_EVENTS + 4000
            && t0.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
    });
    let out = driver.run();
    watcher.join().unwrap();
    sim.shutdown();
    let c = &out.counters;
    assert!(kairos_core::alloc_count::installed());
    assert!(c.steady_events >= 3000, "{c:?}");
    assert!(out.engine.decisions > 3000);
    eprintln!(
        "{}: {} allocations over {} events after warm-up",
        if tls { "wss" } else { "ws" },
        c.steady_allocations,
        c.steady_events
    );
    assert_eq!(
        c.steady_allocations, 0,
        "{} allocations over {} events (tls: {tls})",
        c.steady_allocations, c.steady_events
    );
}
