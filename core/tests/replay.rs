//! `kairos replay` end to end on real captures: the sync rule and the
//! bookTicker oracle, cryptofeed snapshots, a capture without a snapshot, a
//! deleted depth event, a torn native file, and convert → replay
//! equivalence.

use kairos_core::capture::import::InputFormat;
use kairos_core::capture::writer::CaptureWriter;
use kairos_core::cli::convert::convert_input;
use kairos_core::drive::replay::{replay, ReplayFormat, ReplayOptions, ReplayOutcome};
use kairos_core::engine::{Kind, SymbolReport};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

const TICKS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ticks/");
const HFT: &str = "hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz";
const HFT_2023: &str = "hftbacktest_BTCUSDT_20230405T0000_first1500_no_snapshot.jsonl.gz";
const CRYPTOFEED: &str = "cryptofeed_BTC_ETH_DOT_20210404_first1200_with_rest.txt.gz";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(TICKS).join(name)
}

fn opts() -> ReplayOptions {
    ReplayOptions {
        throughput_passes: 1,
        progress: false,
        alloc_warmup_events: 100,
    }
}

fn run(format: ReplayFormat, paths: &[PathBuf]) -> ReplayOutcome {
    replay(format, paths, &opts()).unwrap()
}

fn symbol<'a>(o: &'a ReplayOutcome, name: &str) -> &'a SymbolReport {
    o.symbols
        .iter()
        .find(|s| s.symbol.as_str() == name)
        .unwrap_or_else(|| panic!("no {name} in the report"))
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kairos-replay-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Converts `input` into a native capture at `out`.
fn convert(input: &Path, format: InputFormat, out: &Path) {
    let mut w = CaptureWriter::create(out, "test").unwrap();
    convert_input(input, format, &mut w).unwrap().unwrap();
    w.finish().unwrap();
}

/// Decompresses a fixture into plain lines.
fn lines(name: &str) -> Vec<String> {
    let f = std::fs::File::open(fixture(name)).unwrap();
    BufReader::new(flate2::read::GzDecoder::new(f))
        .lines()
        .map(|l| l.unwrap())
        .collect()
}

#[test]
fn replay_syncs_the_book_and_the_oracle_agrees_with_the_reference() {
    let o = run(ReplayFormat::Hftbacktest, &[fixture(HFT)]);
    assert_eq!(o.events, 3000);
    let k = |kind: Kind| o.engine.by_kind[kind as usize];
    assert_eq!(
        [
            k(Kind::BookTicker),
            k(Kind::Trade),
            k(Kind::DepthUpdate),
            k(Kind::Snapshot)
        ],
        [2200, 518, 281, 1]
    );
    assert_eq!(k(Kind::Malformed), 0);
    let b = symbol(&o, "BTCUSDT");
    // The same figures as ../shared/tools/book_oracle.py on these lines.
    assert_eq!(
        (
            b.book.applied,
            b.book.dropped_stale,
            b.book.gaps,
            b.book.crossed
        ),
        (279, 2, 0, 0)
    );
    assert_eq!((b.oracle.checked, b.oracle.mismatches), (43, 0));
    assert_eq!(b.last_update_id, Some(50093251506));
    assert_eq!(
        b.best_bid.map(|l| (l.price.to_string(), l.qty.to_string())),
        Some(("61849.49000000".into(), "5.09942000".into()))
    );
    assert!(b.live && b.ever_synced);
    assert_eq!(o.engine.stale_decisions, 0);
    assert!(o.engine.decisions > 2000);
    assert!(o.passes_agree);
    // Every event reached the parse stage; only live-book events a decision.
    let stage = |name: &str| o.stages.iter().find(|s| s.name == name).unwrap();
    assert_eq!(stage("parse").count(), 3000);
    assert_eq!(stage("event").count(), 3000);
    assert_eq!(stage("tick_to_decision").count(), o.engine.decisions);
    // Levels left after the decision: some applied depth events, no other.
    let rest = stage("book_rest").count();
    assert!(rest > 0 && rest <= b.book.applied, "{rest}");
}

#[test]
fn cryptofeed_books_sync_from_the_rest_snapshots_in_the_recording() {
    let o = run(ReplayFormat::Cryptofeed, &[fixture(CRYPTOFEED)]);
    assert_eq!(o.engine.by_kind[Kind::Snapshot as usize], 3);
    // kline frames are not hot kinds (grep -c '"e":"kline"' on the fixture: 29).
    assert_eq!(o.engine.by_kind[Kind::Other as usize], 29, "klines");
    for name in ["BTCUSDT", "ETHUSDT", "DOTUSDT"] {
        let s = symbol(&o, name);
        assert!(s.ever_synced && s.live, "{name} synced");
        assert_eq!((s.book.gaps, s.book.crossed), (0, 0), "{name}");
        assert!(s.book.applied > 150, "{name}: {}", s.book.applied);
    }
    assert_eq!(o.engine.stale_decisions, 0);
}

#[test]
fn a_capture_without_snapshot_never_syncs_and_says_so() {
    let o = run(ReplayFormat::Hftbacktest, &[fixture(HFT_2023)]);
    assert_eq!(o.events, 1500);
    let b = symbol(&o, "BTCUSDT");
    assert!(!b.ever_synced && !b.live);
    assert_eq!(b.book.applied, 0);
    assert_eq!(b.last_update_id, None);
    assert!(b.book.buffered > 0);
    assert_eq!(o.engine.decisions, 0, "no decision on an unsynced book");
    assert_eq!(o.engine.skipped_not_live, 1500);
    assert_eq!(o.snapshot_requests, 1, "asked once, not on every event");
}

#[test]
fn a_deleted_depth_event_is_a_gap_the_book_goes_stale_and_decisions_stop() {
    let mut all = lines(HFT);
    let depth: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("depthUpdate"))
        .map(|(i, _)| i)
        .collect();
    // A depth event well after the snapshot.
    let victim = depth[depth.len() / 2];
    all.remove(victim);
    let path = tmp("deleted.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    for l in &all {
        writeln!(f, "{l}").unwrap();
    }
    drop(f);
    let o = run(ReplayFormat::Hftbacktest, &[path]);
    let b = symbol(&o, "BTCUSDT");
    assert_eq!(b.book.gaps, 1, "exactly one gap");
    let full = run(ReplayFormat::Hftbacktest, &[fixture(HFT)]);
    assert_eq!(
        o.snapshot_requests,
        full.snapshot_requests + 1,
        "the start-up request, and exactly one for the gap"
    );
    assert!(
        !b.live,
        "stale until a snapshot comes (a replay cannot fetch one)"
    );
    assert_eq!(b.oracle.mismatches, 0, "no comparison on a stale book");
    assert_eq!(o.engine.stale_decisions, 0);
    assert!(o.engine.decisions < full.engine.decisions);
    // The resync itself (a snapshot served after the gap) is proven in
    // tests/book.rs::deleted_depth_event_* with the same capture.
}

#[test]
fn convert_then_replay_equals_replaying_the_original() {
    for (name, from, fmt) in [
        (HFT, InputFormat::Hftbacktest, ReplayFormat::Hftbacktest),
        (
            CRYPTOFEED,
            InputFormat::Cryptofeed,
            ReplayFormat::Cryptofeed,
        ),
    ] {
        let native = tmp(&format!("{name}.kcap"));
        convert(&fixture(name), from, &native);
        let a = run(fmt, &[fixture(name)]);
        let b = run(ReplayFormat::Native, &[native]);
        assert_eq!(a.events, b.events, "{name}");
        assert_eq!(a.bytes, b.bytes, "{name}");
        assert_eq!(a.engine.by_kind, b.engine.by_kind, "{name}");
        assert_eq!(a.engine.decisions, b.engine.decisions, "{name}");
        assert_eq!(a.symbols.len(), b.symbols.len());
        for (x, y) in a.symbols.iter().zip(&b.symbols) {
            assert_eq!(x.symbol, y.symbol);
            assert_eq!(x.book, y.book, "{name} {}", x.symbol);
            assert_eq!(x.oracle, y.oracle);
            assert_eq!((x.best_bid, x.best_ask), (y.best_bid, y.best_ask));
            assert_eq!(x.last_update_id, y.last_update_id);
        }
    }
}

#[test]
fn a_torn_native_file_replays_its_sound_prefix_and_reports_the_tail() {
    let native = tmp("torn.kcap");
    convert(&fixture(HFT), InputFormat::Hftbacktest, &native);
    let full = std::fs::read(&native).unwrap();
    let cut = full.len() - 1000;
    let torn = tmp("torn-cut.kcap");
    std::fs::write(&torn, &full[..cut]).unwrap();
    let o = run(ReplayFormat::Native, &[torn]);
    let tail = o.inputs[0]
        .tail
        .as_ref()
        .expect("the torn tail is reported");
    assert!(tail.offset < cut as u64, "{tail}");
    assert!(o.events > 2000 && o.events < 3000, "{} events", o.events);
    let b = symbol(&o, "BTCUSDT");
    assert_eq!((b.book.gaps, b.oracle.mismatches), (0, 0));
    // Garbage is not a capture at all.
    let junk = tmp("junk.kcap");
    std::fs::write(&junk, b"not a capture").unwrap();
    let e = replay(ReplayFormat::Native, &[junk], &opts()).unwrap_err();
    assert!(e.to_string().contains("junk.kcap"), "{e}");
}

#[test]
fn malformed_lines_are_counted_and_replay_goes_on() {
    let mut all = lines(HFT);
    all.insert(
        10,
        "1723161254087891268 {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"tra".into(),
    );
    all.insert(20, "garbage".into());
    all.insert(30, "1723161254087891268 {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"1e-5\",\"q\":\"1\",\"T\":1,\"m\":true,\"M\":true}}".into());
    let path = tmp("malformed.jsonl");
    std::fs::write(&path, all.join("\n")).unwrap();
    let o = run(ReplayFormat::Hftbacktest, &[path]);
    // The importer refuses lines that are not a timestamp and JSON; the
    // engine counts frames that do not decode.
    assert!(o.inputs[0].malformed_lines >= 1);
    let replayed_bad = o.engine.by_kind[Kind::Malformed as usize];
    assert_eq!(o.inputs[0].malformed_lines + replayed_bad, 3);
    assert!(o.engine.last_error.is_some());
    let b = symbol(&o, "BTCUSDT");
    assert_eq!(
        (b.book.applied, b.oracle.checked, b.oracle.mismatches),
        (279, 43, 0)
    );
}

#[test]
fn the_two_shared_btcusdt_captures_match_the_reference_oracle() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/ticks");
    let a =
        dir.join("hftbacktest_binance_spot_BTCUSDT_ws_raw_20240808T2354_20240809T0000.jsonl.gz");
    let b =
        dir.join("hftbacktest_binance_spot_BTCUSDT_ws_raw_20240809T0000_20240809T0005.jsonl.gz");
    if !a.exists() || !b.exists() {
        eprintln!("../shared/data absent: the full-capture check is skipped");
        return;
    }
    let o = run(ReplayFormat::Hftbacktest, &[a, b]);
    let s = symbol(&o, "BTCUSDT");
    // book_oracle.py on the same two files: applied 6493, checked 1072, mismatches 0.
    assert_eq!((s.book.applied, s.book.gaps, s.book.crossed), (6493, 0, 0));
    assert_eq!((s.oracle.checked, s.oracle.mismatches), (1072, 0));
    assert_eq!(s.last_update_id, Some(50093696318));
}
