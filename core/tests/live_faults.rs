//! The live driver against `kairos sim` (in-process, loopback) with faults
//! injected: forced disconnects, dropped / duplicated / reordered diffs, a
//! stall, malformed / truncated / oversized frames, 429 and 418 on the
//! snapshot, planned rotation, subscription by message. In every case the
//! feed recovers by itself, no decision is taken on a stale book, and the
//! book agrees with every bookTicker of the same update id (the oracle).

use kairos_core::drive::live::{
    DownReason, LiveConfig, LiveDriver, LiveOutcome, LiveStatus, NoSink, DOWN_REASONS,
};
use kairos_core::engine::{Kind, NoopDecide};
use kairos_core::feed::backoff::BackoffConfig;
use kairos_core::sim::{CaptureFormat, Faults, Sim, SimConfig, SimSource, SimStats};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FIXTURE: &str = "tests/data/ticks/hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz";

struct Run {
    sim: SimStats,
    out: LiveOutcome,
    wall: Duration,
}

impl Run {
    fn down(&self, r: DownReason) -> u64 {
        self.out.counters.downs[DOWN_REASONS.iter().position(|x| *x == r).unwrap()]
    }
    fn book(&self) -> &kairos_core::engine::SymbolReport {
        &self.out.symbols[0]
    }
    /// What every run must satisfy, whatever the fault.
    fn invariants(&self) {
        let b = self.book();
        assert_eq!(
            self.out.engine.stale_decisions, 0,
            "decision on a stale book"
        );
        assert_eq!(
            b.oracle.mismatches, 0,
            "book disagrees with a bookTicker: {b:?}"
        );
        assert!(b.ever_synced, "{b:?}");
        assert!(self.out.engine.decisions > 0);
    }
}

/// Runs the sim (fixture looped at `speed`, `faults`) and the driver until
/// `done` or `max`.
fn run(
    faults: Faults,
    tls: bool,
    speed: f64,
    tweak: impl FnOnce(&mut LiveConfig),
    done: impl Fn(&LiveStatus, &SimStats) -> bool + Send + 'static,
    max: Duration,
) -> Run {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let mut sc = SimConfig::new(SimSource::Capture {
        path,
        format: CaptureFormat::Hftbacktest,
    });
    sc.speed = speed;
    sc.looped = true;
    sc.tls = tls;
    sc.faults = faults;
    let sim = Arc::new(Sim::start(sc).expect("sim starts"));
    let mut cfg = LiveConfig::new(
        sim.ws_url(),
        sim.rest_url(),
        &["BTCUSDT"],
        &["depth@100ms", "bookTicker", "trade"],
    );
    cfg.root_pem = sim.cert_pem_path().map(|p| p.to_path_buf());
    cfg.reconnect = BackoffConfig {
        base: Duration::from_millis(5),
        cap: Duration::from_millis(50),
        reset_after_healthy: Duration::from_secs(10),
    };
    cfg.silence_limit = Duration::from_secs(3);
    // Weight 5 per snapshot: a hundred resyncs stay far below the sim's
    // (Binance's) 6000 per minute.
    cfg.snapshot_limit = 100;
    cfg.duration = Some(max);
    tweak(&mut cfg);
    let status = Arc::new(LiveStatus::default());
    let mut driver = LiveDriver::new(cfg, NoopDecide, NoSink)
        .unwrap()
        .with_status(status.clone());
    let stop = driver.stop_flag();
    let sim2 = sim.clone();
    let watcher = std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            if done(&status, &sim2.stats()) {
                stop.store(true, Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let t0 = Instant::now();
    let out = driver.run();
    let wall = t0.elapsed();
    // The driver stops by itself at `max`; make the watcher end too.
    driver.stop_flag().store(true, Ordering::Relaxed);
    watcher.join().unwrap();
    let stats = sim.stats();
    if let Ok(sim) = Arc::try_unwrap(sim) {
        sim.shutdown();
    }
    eprintln!(
        "run: {:.1}s events={} reconnects={} resyncs={} gaps={} downs={:?} data_gap_ms p50={} max={} sim={stats:?}",
        wall.as_secs_f64(),
        out.counters.events,
        out.counters.reconnects,
        out.symbols[0].book.resyncs,
        out.symbols[0].book.gaps,
        out.counters.downs,
        out.data_gap_ms.quantile(0.5),
        out.data_gap_ms.max()
    );
    Run {
        sim: stats,
        out,
        wall,
    }
}

fn live_again(s: &LiveStatus) -> bool {
    s.state.load(Ordering::Relaxed) == 1
}

#[test]
fn a_hundred_forced_disconnects_over_tls_each_reconnected_and_resynced() {
    let faults = Faults {
        disconnect_after: Some(150),
        ..Faults::default()
    };
    let r = run(
        faults,
        true,
        20.0,
        |_| {},
        |s, _| s.reconnects.load(Ordering::Relaxed) >= 100 && live_again(s),
        Duration::from_secs(120),
    );
    r.invariants();
    let c = &r.out.counters;
    assert!(c.reconnects >= 100, "{c:?}");
    assert!(r.sim.forced_disconnects >= 100, "{:?}", r.sim);
    // Every loss was a forced close by the server, seen as such.
    let losses: u64 = c.downs.iter().sum();
    assert_eq!(losses, c.reconnects, "{c:?}");
    assert_eq!(r.out.engine.by_kind[Kind::Malformed as usize], 0);
    // Every reconnect made the book stale; it was resynced before use. A
    // loss that comes before the resync of the previous one ends needs only
    // one resync for both, so allow a few.
    assert!(
        r.book().book.resyncs * 10 >= c.reconnects * 9,
        "{:?}",
        r.book()
    );
    // Each reconnect's data gap was measured.
    assert!(r.out.data_gap_ms.count() + 1 >= c.reconnects);
    assert!(r.out.data_gap_ms.max() < 5_000);
    assert!(r.book().oracle.checked > 100);
}

#[test]
fn dropped_duplicated_and_reordered_diffs_are_each_detected_and_resynced() {
    for (name, faults) in [
        (
            "drop",
            Faults {
                drop_diff_every: Some(25),
                ..Faults::default()
            },
        ),
        (
            "duplicate",
            Faults {
                dup_diff_every: Some(25),
                ..Faults::default()
            },
        ),
        (
            "reorder",
            Faults {
                reorder_diff_every: Some(25),
                ..Faults::default()
            },
        ),
    ] {
        // A diff lost while the book is already resyncing (its buffered
        // diffs are covered by the snapshot) is no gap: on a loaded machine
        // a resync can span the next fault. So run until the book itself
        // has resynced four times (the duplicate case needs none).
        let resyncs_wanted = if name == "duplicate" { 0 } else { 4 };
        let r = run(
            faults,
            false,
            20.0,
            |_| {},
            move |s, sim| {
                (sim.diffs_dropped + sim.diffs_duplicated + sim.diffs_reordered) >= 4
                    && s.resyncs.load(Ordering::Relaxed) >= resyncs_wanted
                    && live_again(s)
            },
            Duration::from_secs(60),
        );
        r.invariants();
        let b = r.book().book;
        match name {
            // A missing diff is a gap: stale, snapshot, resync.
            "drop" => {
                assert!(r.sim.diffs_dropped >= 4);
                assert!(b.gaps >= 4 && b.resyncs >= 4, "{b:?}");
            }
            // A repeated diff is stale and dropped: no resync needed.
            "duplicate" => {
                assert!(r.sim.diffs_duplicated >= 4);
                assert!(b.dropped_stale >= r.sim.diffs_duplicated, "{b:?}");
            }
            // A swapped pair: the later one is a gap, then resync.
            _ => {
                assert!(r.sim.diffs_reordered >= 4);
                assert!(b.gaps >= 4 && b.resyncs >= 4, "{b:?}");
            }
        }
        assert_eq!(r.out.counters.reconnects, 0, "{name}: no reconnect needed");
    }
}

#[test]
fn a_stall_is_detected_within_the_silence_limit_and_the_feed_reconnects() {
    let faults = Faults {
        stall_after: Some(300),
        stall_for: Duration::from_secs(30),
        ..Faults::default()
    };
    let r = run(
        faults,
        false,
        20.0,
        |c| c.silence_limit = Duration::from_millis(600),
        |s, _| s.reconnects.load(Ordering::Relaxed) >= 2 && live_again(s),
        Duration::from_secs(60),
    );
    r.invariants();
    assert!(r.down(DownReason::Silent) >= 2, "{:?}", r.out.counters);
    assert!(r.sim.stalls >= 2);
    // Detected well before the sim's 30 s stall ended.
    assert!(r.wall < Duration::from_secs(20), "{:?}", r.wall);
}

#[test]
fn malformed_json_in_a_good_frame_is_counted_and_the_connection_kept() {
    let r = run(
        Faults {
            malformed_every: Some(97),
            ..Faults::default()
        },
        true,
        20.0,
        |_| {},
        |s, sim| sim.malformed >= 5 && live_again(s),
        Duration::from_secs(30),
    );
    r.invariants();
    assert!(r.out.engine.by_kind[Kind::Malformed as usize] >= 5);
    assert_eq!(r.out.counters.reconnects, 0, "{:?}", r.out.counters);
}

#[test]
fn a_truncated_frame_resets_the_connection_which_is_reopened() {
    let r = run(
        Faults {
            truncate_every: Some(401),
            ..Faults::default()
        },
        true,
        20.0,
        |_| {},
        |s, sim| sim.truncated >= 2 && s.reconnects.load(Ordering::Relaxed) >= 2 && live_again(s),
        Duration::from_secs(30),
    );
    r.invariants();
    assert!(r.down(DownReason::Reset) >= 2, "{:?}", r.out.counters);
}

#[test]
fn an_oversized_frame_is_refused_counted_and_the_connection_reopened() {
    let r = run(
        Faults {
            oversized_every: Some(300),
            ..Faults::default()
        },
        false,
        20.0,
        |_| {},
        |s, sim| sim.oversized >= 2 && s.reconnects.load(Ordering::Relaxed) >= 2,
        Duration::from_secs(30),
    );
    r.invariants();
    let c = &r.out.counters;
    // Over the 1 MiB limit: refused without reading it whole, counted.
    assert!(
        r.down(DownReason::Malformed) >= 2 && c.malformed_frames >= 2,
        "{c:?}"
    );
}

#[test]
fn a_429_on_the_snapshot_is_waited_out_not_hammered() {
    let faults = Faults {
        rest_429_first: 2,
        retry_after: Duration::from_secs(1),
        ..Faults::default()
    };
    let r = run(
        faults,
        false,
        10.0,
        |_| {},
        |s, _| live_again(s),
        Duration::from_secs(30),
    );
    r.invariants();
    assert_eq!(r.out.counters.http_429, 2);
    // Two refused, then one that worked: nothing in between.
    assert_eq!(r.sim.http_429, 2);
    assert_eq!(r.sim.snapshots_served, 1, "{:?}", r.sim);
    assert!(r.wall >= Duration::from_secs(2), "waited {:?}", r.wall);
}

#[test]
fn a_418_ban_holds_every_rest_request_until_it_ends() {
    let faults = Faults {
        rest_418_first: 1,
        ban_for: Duration::from_secs(2),
        ..Faults::default()
    };
    let r = run(
        faults,
        false,
        10.0,
        |_| {},
        |s, _| live_again(s),
        Duration::from_secs(30),
    );
    r.invariants();
    assert_eq!((r.out.counters.http_418, r.sim.http_418), (1, 1));
    assert_eq!(r.sim.snapshots_served, 1, "{:?}", r.sim);
    assert!(r.wall >= Duration::from_secs(2), "waited {:?}", r.wall);
}

#[test]
fn planned_rotation_replaces_the_connection_without_a_loss() {
    for by_message in [false, true] {
        let r = run(
            Faults::default(),
            true,
            20.0,
            |c| {
                c.rotate_after = Duration::from_millis(700);
                c.subscribe_by_message = by_message;
            },
            |s, _| s.events.load(Ordering::Relaxed) > 8000 && live_again(s),
            Duration::from_secs(30),
        );
        r.invariants();
        let c = &r.out.counters;
        assert!(c.rotations >= 2, "{c:?}");
        assert_eq!(c.reconnects, 0, "{c:?}");
        assert_eq!(c.downs.iter().sum::<u64>(), 0, "{c:?}");
        // The switch-over is seamless: the only gaps are the sim's own, one
        // at each wrap of its looped capture.
        let b = r.book().book;
        assert!(b.gaps <= r.sim.loops, "{b:?} loops={}", r.sim.loops);
        // Each switch waited for the old connection to deliver what the
        // replacement held first.
        assert_eq!(c.rotation_unmatched, 0, "{c:?}");
    }
}

#[test]
fn subscribing_by_message_waits_for_the_acks() {
    let r = run(
        Faults {
            disconnect_after: Some(400),
            ..Faults::default()
        },
        false,
        20.0,
        |c| {
            c.subscribe_by_message = true;
            // No such core: a clear message, and the feed runs unpinned.
            c.pin_core = Some(4096);
        },
        |s, _| s.reconnects.load(Ordering::Relaxed) >= 2 && live_again(s),
        Duration::from_secs(30),
    );
    r.invariants();
    let c = &r.out.counters;
    // One SUBSCRIBE per connection, each acknowledged, re-sent on reconnect.
    assert!(c.acks >= 3 && c.ack_errors == 0, "{c:?}");
    assert!(r.sim.subscribe_requests >= 3, "{:?}", r.sim);
    assert!(!r.out.pinned);
}

/// Subscriptions change while the feed runs: a new symbol's depth stream is
/// subscribed (SUBSCRIBE acked, book synced from a snapshot), then another
/// symbol's depth stream is unsubscribed (its book goes stale and takes no
/// further decision).
#[test]
fn streams_subscribed_and_unsubscribed_while_running() {
    use kairos_core::drive::live::FeedCommand;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ticks/cryptofeed_BTC_ETH_DOT_20210404_first1200_with_rest.txt.gz");
    let mut sc = SimConfig::new(SimSource::Capture {
        path,
        format: CaptureFormat::Cryptofeed,
    });
    sc.speed = 5.0;
    sc.looped = true;
    let sim = Sim::start(sc).unwrap();
    let mut cfg = LiveConfig::new(sim.ws_url(), sim.rest_url(), &["BTCUSDT"], &["depth@100ms"]);
    cfg.snapshot_limit = 100;
    cfg.duration = Some(Duration::from_secs(40));
    let status = Arc::new(LiveStatus::default());
    let mut driver = LiveDriver::new(cfg, NoopDecide, NoSink)
        .unwrap()
        .with_status(status.clone());
    let mut commands = driver.commands();
    let stop = driver.stop_flag();
    let steps = std::thread::spawn(move || {
        let wait_live = |what: &str| {
            let t0 = Instant::now();
            while !live_again(&status) {
                assert!(t0.elapsed() < Duration::from_secs(30), "never live: {what}");
                std::thread::sleep(Duration::from_millis(10));
            }
        };
        wait_live("BTCUSDT");
        assert!(commands.send(FeedCommand::new(true, "ethusdt", "depth@100ms").unwrap()));
        // ETH's book must sync too before the feed is `connected` again.
        std::thread::sleep(Duration::from_millis(300));
        wait_live("ETHUSDT");
        let events = status.events.load(Ordering::Relaxed);
        assert!(commands.send(FeedCommand::new(false, "BTCUSDT", "depth@100ms").unwrap()));
        // A second unsubscribe of the same stream is refused.
        assert!(commands.send(FeedCommand::new(false, "BTCUSDT", "depth@100ms").unwrap()));
        let t0 = Instant::now();
        while status.events.load(Ordering::Relaxed) < events + 300
            && t0.elapsed() < Duration::from_secs(20)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
    });
    let out = driver.run();
    sim.shutdown();
    steps.join().unwrap();
    let c = &out.counters;
    assert_eq!((c.commands, c.commands_refused), (2, 1), "{c:?}");
    assert!(c.acks >= 2 && c.ack_errors == 0, "{c:?}");
    let btc = out
        .symbols
        .iter()
        .find(|s| s.symbol.as_str() == "BTCUSDT")
        .unwrap();
    let eth = out
        .symbols
        .iter()
        .find(|s| s.symbol.as_str() == "ETHUSDT")
        .unwrap();
    assert!(
        eth.ever_synced && eth.live && eth.book.applied > 10,
        "{eth:?}"
    );
    assert!(btc.ever_synced && !btc.live, "{btc:?}");
    assert_eq!(out.engine.stale_decisions, 0);
    assert_eq!(FeedCommand::new(true, "BTC-USDT", "depth"), None);
    assert_eq!(FeedCommand::new(true, "BTCUSDT", "kline"), None);
}

/// Gaps every few diffs ask for far more snapshots than Binance's weight
/// limit allows (1000 levels weigh 50; 6000 per minute): the limiter holds
/// them back and the server never has to answer 429.
#[test]
fn a_snapshot_storm_stays_under_the_weight_limit() {
    let r = run(
        Faults {
            drop_diff_every: Some(3),
            ..Faults::default()
        },
        false,
        20.0,
        |c| c.snapshot_limit = 1000,
        |s, _| s.events.load(Ordering::Relaxed) > 12_000,
        Duration::from_secs(30),
    );
    let c = &r.out.counters;
    // The limits came from the sim's exchangeInfo, not only the defaults.
    assert!(c.limits_loaded, "{c:?}");
    assert!(c.limiter_held > 0, "{c:?}");
    assert_eq!((c.http_429, r.sim.http_429), (0, 0), "{c:?} {:?}", r.sim);
    // Market data may use 80 % of 6000 per minute: at most 96 + 96 snapshots
    // over two wall-clock minutes.
    assert!(r.sim.snapshots_served <= 192, "{:?}", r.sim);
    assert_eq!(r.out.engine.stale_decisions, 0);
}
