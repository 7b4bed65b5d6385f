//! The order book on real data: a Binance spot BTCUSDT capture (hftbacktest
//! raw format, `<ts> <json>` lines) replayed through the hot decoder and the
//! book, checked against every bookTicker carrying an applied update id.
//!
//! Expected figures come from `../shared/tools/book_oracle.py` (plain Python,
//! Decimal) run on the same lines:
//! - fixture (first 3000 lines): applied 279, dropped_stale 2, gaps 0,
//!   checked 43, mismatches 0, crossed 0, last_update_id 50093251506;
//! - the two shared files 2024-08-08T23:54 → 2024-08-09T00:05: applied 6493,
//!   dropped_stale 2, gaps 0, checked 1072, mismatches 0, crossed 0,
//!   last_update_id 50093696318 (checked only when `../shared/data` exists).

use flate2::read::GzDecoder;
use kairos_core::binance::fast::{
    decode_depth_snapshot, decode_hot, DepthBuf, HotEvent, Level, Symbol,
};
use kairos_core::book::{BookConfig, BookState, DiffOutcome, OrderBook, SnapshotOutcome, TopCheck};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

#[global_allocator]
static GLOBAL: kairos_core::alloc_count::CountingAlloc = kairos_core::alloc_count::CountingAlloc;

fn allocations() -> u64 {
    kairos_core::alloc_count::thread_allocations()
}

const FIXTURE: &str = "tests/data/ticks/hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz";
const SHARED_FILES: [&str; 2] = [
    "hftbacktest_binance_spot_BTCUSDT_ws_raw_20240808T2354_20240809T0000.jsonl.gz",
    "hftbacktest_binance_spot_BTCUSDT_ws_raw_20240809T0000_20240809T0005.jsonl.gz",
];

/// The message part of every line of a gzip'd hftbacktest capture.
fn messages(path: &Path) -> Vec<Vec<u8>> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    BufReader::new(GzDecoder::new(file))
        .split(b'\n')
        .map(|l| l.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .filter_map(|l| {
            l.iter()
                .position(|&b| b == b' ')
                .map(|sp| l[sp + 1..].to_vec())
        })
        .collect()
}

fn fixture_messages() -> Vec<Vec<u8>> {
    messages(&Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE))
}

fn btcusdt() -> Symbol {
    Symbol::new(b"BTCUSDT").unwrap()
}

/// One book fed by a capture, with its bookTicker check and scratch buffer.
struct Replay {
    book: OrderBook,
    check: TopCheck,
    depth: DepthBuf,
    malformed: u64,
    /// Snapshot requests the book raised (outcomes that need one).
    snapshot_requests: u64,
}

/// What one message turned out to be.
#[derive(Debug, PartialEq, Eq)]
enum Fed {
    Diff(DiffOutcome),
    Snapshot(SnapshotOutcome),
    Other,
}

impl Replay {
    fn new() -> Replay {
        Replay {
            book: OrderBook::new(btcusdt(), BookConfig::default()),
            check: TopCheck::new(),
            depth: DepthBuf::new(),
            malformed: 0,
            snapshot_requests: 0,
        }
    }

    fn feed(&mut self, msg: &[u8]) -> Fed {
        match decode_hot(msg, &mut self.depth) {
            Ok(HotEvent::Depth(ev)) => {
                let out = self.book.on_diff(&ev, &self.depth);
                if out == DiffOutcome::Applied {
                    self.check.on_applied(
                        ev.final_update_id,
                        self.book.best_bid(),
                        self.book.best_ask(),
                    );
                }
                if out.needs_snapshot() {
                    self.snapshot_requests += 1;
                }
                Fed::Diff(out)
            }
            Ok(HotEvent::BookTicker(t)) => {
                self.check.on_ticker(&t);
                Fed::Other
            }
            Ok(_) => Fed::Other,
            Err(_) => match decode_depth_snapshot(msg, &mut self.depth) {
                Ok(last) => {
                    let out = self.book.on_snapshot(last, &self.depth);
                    if out.needs_snapshot() {
                        self.snapshot_requests += 1;
                    }
                    Fed::Snapshot(out)
                }
                Err(_) => {
                    self.malformed += 1;
                    Fed::Other
                }
            },
        }
    }

    fn summary(&self) -> String {
        let s = self.book.stats();
        format!(
            "applied {} dropped_stale {} gaps {} resyncs {} checked {} mismatches {} crossed {} \
             buffer_overflows {} levels_dropped_beyond_bound {} last_update_id {} best {:?} / {:?}",
            s.applied,
            s.dropped_stale,
            s.gaps,
            s.resyncs,
            self.check.checked,
            self.check.mismatches,
            s.crossed,
            s.buffer_overflows,
            s.levels_dropped_beyond_bound,
            self.book.last_update_id(),
            self.book.best_bid(),
            self.book.best_ask(),
        )
    }
}

#[test]
fn fixture_replay_matches_every_book_ticker() {
    let mut r = Replay::new();
    for m in fixture_messages() {
        r.feed(&m);
    }
    eprintln!("fixture: {}", r.summary());
    let s = r.book.stats();
    assert_eq!(r.malformed, 0);
    assert_eq!(r.book.state(), BookState::Live);
    assert_eq!((s.gaps, s.crossed, s.resyncs), (0, 0, 0));
    assert!(r.check.checked > 0);
    assert_eq!(r.check.mismatches, 0, "first: {:?}", r.check.first_mismatch);
    assert_eq!(r.snapshot_requests, 0);
    // The oracle's figures on the same lines.
    assert_eq!((s.applied, s.dropped_stale), (279, 2));
    assert_eq!(r.check.checked, 43);
    assert_eq!(r.book.last_update_id(), 50_093_251_506);
    assert_eq!(s.buffer_overflows, 0);
    assert_eq!(s.levels_dropped_beyond_bound, 0);
    assert!(r.book.bid_ladder().is_valid() && r.book.ask_ladder().is_valid());
    // Top of book as the oracle prints it, and top-N iteration.
    let bid = r.book.best_bid().unwrap();
    let ask = r.book.best_ask().unwrap();
    assert_eq!(
        (bid.price.to_string(), bid.qty.to_string()),
        ("61849.49000000".into(), "5.09942000".into())
    );
    assert_eq!(
        (ask.price.to_string(), ask.qty.to_string()),
        ("61849.50000000".into(), "0.20813000".into())
    );
    let top5: Vec<Level> = r.book.bids().take(5).collect();
    assert_eq!(top5.len(), 5);
    assert!(top5.windows(2).all(|w| w[0].price > w[1].price));
}

#[test]
fn replay_allocates_nothing_after_construction() {
    let msgs = fixture_messages();
    let mut r = Replay::new();
    let before = allocations();
    for m in &msgs {
        r.feed(m);
    }
    let after = allocations();
    assert_eq!(after - before, 0, "allocations while replaying the book");
    assert!(r.book.stats().applied > 0);
}

/// Deletes one depth event from the middle of the capture: the book must see
/// exactly one gap, ask for a snapshot, resync exactly once, and agree with
/// every bookTicker afterwards.
///
/// The capture holds a single REST snapshot, so the resync snapshot is built
/// from a reference book fed the untouched stream: when the damaged book
/// reports the gap, the reference book's levels and `last_update_id` at that
/// moment are copied into a `DepthBuf` (a REST snapshot is exactly that); it
/// is served to the damaged book only after [`SNAPSHOT_DELAY_EVENTS`] further
/// depth events, as a real request would be, so those wait in its buffer and
/// are bridged by the rule (those with `u <= lastUpdateId` dropped, the next
/// one straddling).
#[test]
fn deleted_depth_event_gives_one_gap_and_one_resync() {
    const SNAPSHOT_DELAY_EVENTS: usize = 3;
    let msgs = fixture_messages();
    let is_depth = |m: &[u8]| m.windows(13).any(|w| w == b"\"depthUpdate\"");
    let depth_idx: Vec<usize> = (0..msgs.len()).filter(|&i| is_depth(&msgs[i])).collect();
    let deleted = depth_idx[depth_idx.len() / 2];

    let mut reference = Replay::new();
    let mut damaged = Replay::new();
    let mut pending: Option<(u64, DepthBuf, usize)> = None;
    let mut gaps_seen = 0;
    let mut checked_at_resync = None;
    for (i, m) in msgs.iter().enumerate() {
        reference.feed(m);
        if i == deleted {
            continue;
        }
        let fed = damaged.feed(m);
        if let Fed::Diff(DiffOutcome::Gap { .. }) = fed {
            gaps_seen += 1;
            assert!(damaged.book.needs_snapshot());
            assert_eq!(damaged.book.best_bid(), None, "a stale book shows no top");
            let mut snap = DepthBuf::new();
            snap.bids.extend(reference.book.bids());
            snap.asks.extend(reference.book.asks());
            pending = Some((reference.book.last_update_id(), snap, 0));
        } else if let (Fed::Diff(_), Some((id, snap, seen))) = (&fed, pending.as_mut()) {
            *seen += 1;
            if *seen == SNAPSHOT_DELAY_EVENTS {
                let out = damaged.book.on_snapshot(*id, snap);
                assert!(
                    matches!(out, SnapshotOutcome::Live { applied, dropped } if applied >= 1 && dropped >= 1),
                    "{out:?}"
                );
                assert_eq!(damaged.book.state(), BookState::Live);
                checked_at_resync = Some(damaged.check.checked);
                pending = None;
            }
        }
    }
    eprintln!("reference: {}", reference.summary());
    eprintln!("damaged:   {}", damaged.summary());
    let s = damaged.book.stats();
    assert_eq!(gaps_seen, 1);
    assert_eq!((s.gaps, s.resyncs, s.crossed), (1, 1, 0));
    assert_eq!(damaged.snapshot_requests, 1);
    assert_eq!(damaged.book.state(), BookState::Live);
    assert_eq!(
        damaged.check.mismatches, 0,
        "first: {:?}",
        damaged.check.first_mismatch
    );
    let resync_checked = checked_at_resync.expect("the book resynced");
    assert!(
        damaged.check.checked > resync_checked,
        "tickers checked after the resync"
    );
    // After the resync the damaged book is the reference book, level for level.
    assert!(damaged.book.bids().eq(reference.book.bids()));
    assert!(damaged.book.asks().eq(reference.book.asks()));
    assert_eq!(
        damaged.book.last_update_id(),
        reference.book.last_update_id()
    );
}

/// The two shared captures, back to back (skipped when `../shared/data` is absent).
#[test]
fn shared_captures_match_the_oracle() {
    let dir = match std::env::var_os("KAIROS_SHARED_DATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
    };
    let paths: Vec<PathBuf> = SHARED_FILES
        .iter()
        .map(|f| dir.join("ticks").join(f))
        .collect();
    if !paths.iter().all(|p| p.is_file()) {
        eprintln!(
            "shared captures not found under {}; skipping",
            dir.display()
        );
        return;
    }
    let mut r = Replay::new();
    for p in &paths {
        for m in messages(p) {
            r.feed(&m);
        }
    }
    eprintln!("shared captures: {}", r.summary());
    let s = r.book.stats();
    assert_eq!(r.malformed, 0);
    assert_eq!((s.gaps, s.crossed), (0, 0));
    assert_eq!((s.applied, s.dropped_stale), (6493, 2));
    assert_eq!(
        (r.check.checked, r.check.mismatches),
        (1072, 0),
        "first: {:?}",
        r.check.first_mismatch
    );
    assert_eq!(r.book.last_update_id(), 50_093_696_318);
}
