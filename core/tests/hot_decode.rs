//! The allocation-free hot decoder on real Binance frames:
//! - every hot frame of the fixture captures decodes, and equals what the
//!   typed serde model reads from the same bytes (two independent parsers);
//! - the exact-layout fast path and the general scanner always agree;
//! - random and mutated real frames never panic, valid-JSON rules hold
//!   (what serde_json rejects as JSON, the hot decoder rejects too).

use flate2::read::GzDecoder;
use kairos_core::binance::fast::{
    decode_hot, decode_hot_general, DepthBuf, FastErrorKind, HotEvent, Level,
};
use kairos_core::binance::market::{self, decode_market, MarketEvent};
use proptest::prelude::*;
use std::io::{BufRead, BufReader};
use std::sync::OnceLock;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ticks/");

/// The message part of every line of a fixture capture.
fn capture(name: &str) -> Vec<Vec<u8>> {
    let f = std::fs::File::open(format!("{DATA}{name}")).unwrap();
    BufReader::new(GzDecoder::new(f))
        .split(b'\n')
        .map(|l| l.unwrap())
        .filter_map(|l| {
            // "<ts> <msg>" (hftbacktest) or "<ts>: <msg>" (cryptofeed).
            let sp = l.iter().position(|&b| b == b' ')?;
            Some(l[sp + 1..].to_vec())
        })
        .filter(|m| m.first() == Some(&b'{'))
        .collect()
}

fn frames() -> &'static [Vec<u8>] {
    static FRAMES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let mut v = capture("hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz");
        v.extend(capture(
            "cryptofeed_BTC_ETH_DOT_20210404_first800_no_rest.txt.gz",
        ));
        v
    })
}

fn levels_eq(fast: &[Level], typed: &[market::Level]) -> bool {
    fast.len() == typed.len()
        && fast
            .iter()
            .zip(typed)
            .all(|(a, b)| a.price == b.price && a.qty == b.qty)
}

/// Asserts the hot event equals the typed model's reading of the same frame.
fn assert_same_as_typed(frame: &[u8], ev: &HotEvent, depth: &DepthBuf) {
    let typed = decode_market(frame).unwrap().event;
    let text = String::from_utf8_lossy(frame);
    match (ev, &typed) {
        (HotEvent::BookTicker(f), MarketEvent::BookTicker(t)) => {
            assert_eq!(f.update_id, t.update_id, "{text}");
            assert_eq!(f.symbol.as_str(), t.symbol, "{text}");
            assert_eq!((f.bid, f.bid_qty), (t.bid_price, t.bid_qty), "{text}");
            assert_eq!((f.ask, f.ask_qty), (t.ask_price, t.ask_qty), "{text}");
        }
        (HotEvent::Trade(f), MarketEvent::Trade(t)) => {
            assert_eq!(f.symbol.as_str(), t.symbol, "{text}");
            assert_eq!(
                (
                    f.event_time_ms,
                    f.trade_id,
                    f.trade_time_ms,
                    f.buyer_is_maker
                ),
                (
                    t.event_time_ms,
                    t.trade_id,
                    t.trade_time_ms,
                    t.buyer_is_maker
                ),
                "{text}"
            );
            assert_eq!((f.price, f.qty), (t.price, t.qty), "{text}");
        }
        (HotEvent::AggTrade(f), MarketEvent::AggTrade(t)) => {
            assert_eq!(f.symbol.as_str(), t.symbol, "{text}");
            assert_eq!(
                (f.agg_trade_id, f.first_trade_id, f.last_trade_id),
                (t.agg_trade_id, t.first_trade_id, t.last_trade_id),
                "{text}"
            );
            assert_eq!(
                (f.price, f.qty, f.buyer_is_maker),
                (t.price, t.qty, t.buyer_is_maker)
            );
            assert_eq!(
                (f.event_time_ms, f.trade_time_ms),
                (t.event_time_ms, t.trade_time_ms)
            );
        }
        (HotEvent::Depth(f), MarketEvent::DepthUpdate(t)) => {
            assert_eq!(f.symbol.as_str(), t.symbol, "{text}");
            assert_eq!(f.event_time_ms, t.event_time_ms, "{text}");
            assert_eq!(
                (f.first_update_id, f.final_update_id),
                (t.first_update_id, t.final_update_id),
                "{text}"
            );
            assert!(levels_eq(&depth.bids, &t.bids), "{text}");
            assert!(levels_eq(&depth.asks, &t.asks), "{text}");
        }
        (f, t) => panic!(
            "kinds differ: hot {} vs typed {}: {text}",
            f.kind(),
            t.kind()
        ),
    }
}

#[test]
fn every_hot_frame_of_the_captures_matches_the_typed_model() {
    let mut depth = DepthBuf::new();
    let mut counts = [0usize; 5];
    for frame in frames() {
        match decode_hot(frame, &mut depth) {
            Ok(ev) => {
                assert_same_as_typed(frame, &ev, &depth);
                let i = match ev {
                    HotEvent::BookTicker(_) => 0,
                    HotEvent::Trade(_) => 1,
                    HotEvent::AggTrade(_) => 2,
                    HotEvent::Depth(_) => 3,
                };
                counts[i] += 1;
            }
            Err(e) => {
                // Only the REST snapshot and klines are not hot kinds.
                assert_eq!(e.kind, FastErrorKind::NotHot, "{e}");
                counts[4] += 1;
            }
        }
    }
    // Counted independently with grep over the fixture files.
    assert_eq!(counts, [2200, 518, 362, 281 + 418, 1 + 19]);
}

#[test]
fn layout_fast_path_and_general_scanner_agree_on_real_frames() {
    let (mut a, mut b) = (DepthBuf::new(), DepthBuf::new());
    for frame in frames() {
        let fast = decode_hot(frame, &mut a);
        let general = decode_hot_general(frame, &mut b).map(|(ev, _)| ev);
        assert_eq!(fast, general, "{}", String::from_utf8_lossy(frame));
        assert_eq!((&a.bids, &a.asks), (&b.bids, &b.asks));
    }
}

#[test]
fn reordered_keys_and_whitespace_take_the_general_path_with_the_same_result() {
    let mut d = DepthBuf::new();
    let canonical = br#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}"#;
    let shuffled = br#"{ "data" : { "m" : true , "q":"0.02", "T":1723161255342, "s":"BTCUSDT", "t":3735683259, "p":"61837.63", "E":1723161255343, "e":"trade" }, "stream":"btcusdt@trade" }"#;
    assert_eq!(decode_hot(canonical, &mut d), decode_hot(shuffled, &mut d));
}

#[test]
fn numbers_past_f64_range_are_json_and_duplicate_keys_take_the_last() {
    // Found by the mutation property: valid JSON that serde_json refuses
    // ("number out of range"); the later duplicate "E" is the one read.
    let frame = br#"{"stream":"dotusdt@aggTrade","data":{"e":"aggTrade","E":1e617566600317,"s":"DOTUSDT","a":54605699,"p":"43.53220000","E":1617566600317,"q":"1.65000000","f":63392620,"l":63392620,"T":1617566600316,"m":true,"M":true}}"#;
    let mut d = DepthBuf::new();
    let Ok(HotEvent::AggTrade(t)) = decode_hot(frame, &mut d) else {
        panic!("valid JSON refused")
    };
    assert_eq!(t.event_time_ms, 1617566600317);
    assert!(!not_json(frame));
    // Exponent form where an integer is read is refused, naming the field.
    let frame = br#"{"e":"aggTrade","E":1e6,"s":"DOTUSDT","a":1,"p":"1","q":"1","f":1,"l":1,"T":1,"m":true}"#;
    assert_eq!(
        decode_hot(frame, &mut d).unwrap_err().kind,
        FastErrorKind::BadInteger("E")
    );
}

/// One way of damaging a frame.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Splice(usize, usize),
}

fn apply(frame: &[u8], muts: &[Mutation]) -> Vec<u8> {
    let mut v = frame.to_vec();
    for m in muts {
        if v.is_empty() {
            break;
        }
        match *m {
            Mutation::Truncate(i) => v.truncate(i % (v.len() + 1)),
            Mutation::Flip(i, x) => {
                let n = v.len();
                v[i % n] ^= x | 1;
            }
            Mutation::Insert(i, x) => {
                let n = v.len();
                v.insert(i % (n + 1), x)
            }
            Mutation::Delete(i) => {
                let n = v.len();
                v.remove(i % n);
            }
            Mutation::Splice(i, j) => {
                // Duplicate a slice: repeated keys, doubled digits, nested copies.
                let n = v.len();
                let (a, b) = (i % n, j % n);
                let (lo, hi) = (a.min(b), a.max(b));
                let piece = v[lo..hi].to_vec();
                v.splice(hi..hi, piece);
            }
        }
    }
    v
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (
            any::<usize>(),
            prop::sample::select(b"{}[]\",:.-0123456789eE \\tfnu\xff".to_vec())
        )
            .prop_map(|(i, x)| Mutation::Insert(i, x)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Mutation::Splice(i, j)),
    ]
}

/// Whether serde_json refuses `frame` for a reason of JSON's grammar.
/// Two of its refusals are limits of its own, not of JSON, and do not count:
/// a number beyond f64's range (`1e617566600317`, valid JSON) and a lone
/// UTF-16 surrogate in a `\u` escape (valid JSON text).
fn not_json(frame: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(frame) {
        Ok(_) => false,
        Err(e) => {
            let m = e.to_string();
            !(m.contains("number out of range") || m.contains("surrogate"))
        }
    }
}

/// Checks the invariants on one (possibly damaged) frame.
fn check(frame: &[u8]) -> Result<(), TestCaseError> {
    let (mut a, mut b) = (DepthBuf::new(), DepthBuf::new());
    let fast = decode_hot(frame, &mut a);
    let general = decode_hot_general(frame, &mut b).map(|(ev, _)| ev);
    // The layout path never answers differently from the general scanner.
    prop_assert_eq!(&fast, &general);
    if fast.is_ok() {
        prop_assert_eq!((&a.bids, &a.asks), (&b.bids, &b.asks));
    }
    // What is not JSON is never accepted.
    if not_json(frame) {
        prop_assert!(
            fast.is_err(),
            "accepted invalid JSON: {}",
            String::from_utf8_lossy(frame)
        );
    }
    // Whatever the hot path accepts, the typed model reads the same way.
    if let Ok(ev) = fast {
        if decode_market(frame).is_ok() {
            assert_same_as_typed(frame, &ev, &a);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn mutated_real_frames_never_panic_and_paths_agree(
        idx in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let all = frames();
        let frame = &all[idx.index(all.len())];
        check(&apply(frame, &muts))?;
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check(&bytes)?;
    }
}
