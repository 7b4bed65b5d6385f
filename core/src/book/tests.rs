//! Table-driven tests of every sync rule (barter-rs style `TestCase`s).

use super::*;
use crate::num::Qty;

/// Whole-number price / qty pairs keep the tables readable.
type Lv = (i64, i64);

#[derive(Clone, Copy)]
enum Act {
    Diff(u64, u64, &'static [Lv], &'static [Lv]),
    /// A diff for another symbol.
    OtherSymbol(u64, u64),
    Snap(u64, &'static [Lv], &'static [Lv]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    D(DiffOutcome),
    S(SnapshotOutcome),
}

struct TestCase {
    name: &'static str,
    max_levels: usize,
    buffer_events: usize,
    steps: Vec<(Act, Out, BookState)>,
    /// Best bid and ask (price, qty) at the end, `None` when not `Live`.
    top: Option<(Lv, Lv)>,
    stats: BookStats,
    /// Full bid side at the end, best first (prices), when checked.
    bid_prices: Option<&'static [i64]>,
}

fn price(x: i64) -> Price {
    Price::from_int(x).unwrap()
}
fn qty(x: i64) -> Qty {
    Qty::from_int(x).unwrap()
}
fn buf(bids: &[Lv], asks: &[Lv]) -> DepthBuf {
    let mut b = DepthBuf::new();
    let lv = |&(p, q): &Lv| Level {
        price: price(p),
        qty: qty(q),
    };
    b.bids.extend(bids.iter().map(lv));
    b.asks.extend(asks.iter().map(lv));
    b
}
fn sym() -> Symbol {
    Symbol::new(b"BTCUSDT").unwrap()
}
fn ev(first: u64, last: u64, symbol: Symbol) -> DepthUpdate {
    DepthUpdate {
        event_time_ms: 0,
        symbol,
        first_update_id: first,
        final_update_id: last,
    }
}

use BookState::{Live, Stale, Syncing, Unsynced};
use DiffOutcome as DO;
use Out::{D, S};
use SnapshotOutcome as SO;

const SNAP_BIDS: &[Lv] = &[(100, 1), (99, 2), (98, 3)];
const SNAP_ASKS: &[Lv] = &[(101, 1), (102, 2), (103, 3)];

fn stats(f: impl FnOnce(&mut BookStats)) -> BookStats {
    let mut s = BookStats::default();
    f(&mut s);
    s
}

fn cases() -> Vec<TestCase> {
    vec![
        TestCase {
            name: "diffs before any snapshot are buffered; no top while unsynced",
            max_levels: 16,
            buffer_events: 16,
            steps: vec![
                (Act::Diff(1, 5, &[(100, 1)], &[]), D(DO::Buffered), Unsynced),
                (Act::Diff(6, 9, &[], &[(101, 1)]), D(DO::Buffered), Unsynced),
            ],
            top: None,
            stats: stats(|s| s.buffered = 2),
            bid_prices: None,
        },
        TestCase {
            name: "snapshot drops buffered u <= lastUpdateId, applies the straddling one and the rest",
            max_levels: 16,
            buffer_events: 16,
            steps: vec![
                (Act::Diff(1, 5, &[(90, 9)], &[]), D(DO::Buffered), Unsynced),
                (Act::Diff(6, 10, &[(91, 9)], &[]), D(DO::Buffered), Unsynced),
                (Act::Diff(8, 12, &[(100, 7)], &[]), D(DO::Buffered), Unsynced),
                (Act::Diff(13, 14, &[], &[(101, 0)]), D(DO::Buffered), Unsynced),
                (
                    Act::Snap(10, SNAP_BIDS, SNAP_ASKS),
                    S(SO::Live {
                        applied: 2,
                        dropped: 2,
                    }),
                    Live,
                ),
                (Act::Diff(15, 15, &[], &[]), D(DO::Applied), Live),
            ],
            top: Some(((100, 7), (102, 2))),
            stats: stats(|s| {
                s.buffered = 4;
                s.dropped_stale = 2;
                s.applied = 3;
            }),
            bid_prices: Some(&[100, 99, 98]),
        },
        TestCase {
            name: "first buffered event after the snapshot must straddle: U > L+1 needs a newer snapshot",
            max_levels: 16,
            buffer_events: 16,
            steps: vec![
                (Act::Diff(12, 15, &[], &[]), D(DO::Buffered), Unsynced),
                (Act::Diff(16, 17, &[(100, 4)], &[]), D(DO::Buffered), Unsynced),
                (
                    Act::Snap(10, SNAP_BIDS, SNAP_ASKS),
                    S(SO::NeedsNewer {
                        expected_first: 11,
                        got_first: 12,
                    }),
                    Stale,
                ),
                (Act::Diff(18, 18, &[], &[]), D(DO::Buffered), Stale),
                (
                    Act::Snap(11, SNAP_BIDS, SNAP_ASKS),
                    S(SO::Live {
                        applied: 3,
                        dropped: 0,
                    }),
                    Live,
                ),
            ],
            top: Some(((100, 4), (101, 1))),
            stats: stats(|s| {
                s.buffered = 3;
                s.gaps = 1;
                s.resyncs = 1;
                s.applied = 3;
            }),
            bid_prices: None,
        },
        TestCase {
            name: "snapshot newer than the buffer waits; the next diff must straddle",
            max_levels: 16,
            buffer_events: 16,
            steps: vec![
                (Act::Diff(1, 5, &[], &[]), D(DO::Buffered), Unsynced),
                (Act::Snap(10, SNAP_BIDS, SNAP_ASKS), S(SO::Waiting { dropped: 1 }), Syncing),
                (Act::Diff(7, 10, &[], &[]), D(DO::DroppedStale), Syncing),
                (Act::Diff(9, 13, &[(100, 5)], &[]), D(DO::Applied), Live),
                (Act::Diff(14, 14, &[(99, 0)], &[]), D(DO::Applied), Live),
            ],
            top: Some(((100, 5), (101, 1))),
            stats: stats(|s| {
                s.buffered = 1;
                s.dropped_stale = 2;
                s.applied = 2;
            }),
            bid_prices: Some(&[100, 98]),
        },
        TestCase {
            name: "syncing: a first diff past L+1 is a gap",
            max_levels: 16,
            buffer_events: 16,
            steps: vec![
                (Act::Snap(10, SNAP_BIDS, SNAP_ASKS), S(SO::Waiting { dropped: 0 }), Syncing),
                (
                    Act::Diff(12, 13, &[], &[]),
                    D(DO::Gap {
                        expected_first: 11,
                        got_first: 12,
                    }),
                    Stale,
                ),
            ],
            top: None,
            stats: stats(|s| {
                s.gaps = 1;
                s.buffered = 1;
            }),
            bid_prices: None,
        },
        TestCase {
            name: "live: continuity U == last u + 1; a gap makes it stale, buffers, resyncs on a snapshot",
            max_levels: 16,
            buffer_events: 16,
            steps: vec![
                (Act::Snap(10, SNAP_BIDS, SNAP_ASKS), S(SO::Waiting { dropped: 0 }), Syncing),
                (Act::Diff(11, 12, &[], &[]), D(DO::Applied), Live),
                (Act::Diff(13, 15, &[], &[]), D(DO::Applied), Live),
                (
                    Act::Diff(17, 18, &[(100, 8)], &[]),
                    D(DO::Gap {
                        expected_first: 16,
                        got_first: 17,
                    }),
                    Stale,
                ),
                (Act::Diff(19, 20, &[(99, 8)], &[]), D(DO::Buffered), Stale),
                (
                    Act::Snap(17, SNAP_BIDS, SNAP_ASKS),
                    S(SO::Live {
                        applied: 2,
                        dropped: 0,
                    }),
                    Live,
                ),
                (Act::Diff(21, 21, &[], &[]), D(DO::Applied), Live),
            ],
            top: Some(((100, 8), (101, 1))),
            stats: stats(|s| {
                s.applied = 5;
                s.gaps = 1;
                s.resyncs = 1;
                s.buffered = 2;
            }),
            bid_prices: Some(&[100, 99, 98]),
        },
        TestCase {
            name: "live: u <= last is dropped as stale; an overlapping U is a gap",
            max_levels: 16,
            buffer_events: 16,
            steps: vec![
                (Act::Snap(10, SNAP_BIDS, SNAP_ASKS), S(SO::Waiting { dropped: 0 }), Syncing),
                (Act::Diff(11, 15, &[], &[]), D(DO::Applied), Live),
                (Act::Diff(12, 15, &[(100, 0)], &[]), D(DO::DroppedStale), Live),
                (Act::Diff(3, 4, &[(100, 0)], &[]), D(DO::DroppedStale), Live),
                (
                    Act::Diff(14, 16, &[], &[]),
                    D(DO::Gap {
                        expected_first: 16,
                        got_first: 14,
                    }),
                    Stale,
                ),
            ],
            top: None,
            stats: stats(|s| {
                s.applied = 1;
                s.dropped_stale = 2;
                s.gaps = 1;
                s.buffered = 1;
            }),
            bid_prices: None,
        },
        TestCase {
            name: "a crossed book is counted and resynced",
            max_levels: 16,
            buffer_events: 16,
            steps: vec![
                (Act::Snap(10, SNAP_BIDS, SNAP_ASKS), S(SO::Waiting { dropped: 0 }), Syncing),
                (
                    Act::Diff(11, 11, &[(101, 1)], &[]),
                    D(DO::Crossed {
                        bid: Price::from_units_unchecked(101 * crate::num::SCALE),
                        ask: Price::from_units_unchecked(101 * crate::num::SCALE),
                    }),
                    Stale,
                ),
                (Act::Diff(12, 12, &[], &[]), D(DO::Buffered), Stale),
                (
                    Act::Snap(12, SNAP_BIDS, SNAP_ASKS),
                    S(SO::Waiting { dropped: 1 }),
                    Syncing,
                ),
                (Act::Diff(13, 13, &[], &[]), D(DO::Applied), Live),
            ],
            top: Some(((100, 1), (101, 1))),
            stats: stats(|s| {
                s.applied = 2;
                s.crossed = 1;
                s.buffered = 1;
                s.dropped_stale = 1;
                s.resyncs = 1;
            }),
            bid_prices: None,
        },
        TestCase {
            name: "a crossed snapshot is never accepted",
            max_levels: 16,
            buffer_events: 16,
            steps: vec![(
                Act::Snap(10, &[(102, 1)], SNAP_ASKS),
                S(SO::Crossed {
                    bid: Price::from_units_unchecked(102 * crate::num::SCALE),
                    ask: Price::from_units_unchecked(101 * crate::num::SCALE),
                }),
                Stale,
            )],
            top: None,
            stats: stats(|s| s.crossed = 1),
            bid_prices: None,
        },
        TestCase {
            name: "quantity 0 removes the level; the next best takes over",
            max_levels: 16,
            buffer_events: 16,
            steps: vec![
                (Act::Snap(10, SNAP_BIDS, SNAP_ASKS), S(SO::Waiting { dropped: 0 }), Syncing),
                (Act::Diff(11, 11, &[(100, 0)], &[(101, 0), (150, 0)]), D(DO::Applied), Live),
            ],
            top: Some(((99, 2), (102, 2))),
            stats: stats(|s| s.applied = 1),
            bid_prices: Some(&[99, 98]),
        },
        TestCase {
            name: "beyond the bound the farthest levels are dropped and counted; the top stays exact",
            max_levels: 3,
            buffer_events: 16,
            steps: vec![
                (
                    Act::Snap(10, &[(100, 1), (99, 1), (97, 1), (96, 1), (95, 1)], SNAP_ASKS),
                    S(SO::Waiting { dropped: 0 }),
                    Syncing,
                ),
                // Far level while full: dropped. A level inside: evicts 97.
                (Act::Diff(11, 11, &[(90, 1), (98, 1)], &[]), D(DO::Applied), Live),
                (Act::Diff(12, 12, &[(100, 0), (99, 0), (100, 2)], &[(104, 1)]), D(DO::Applied), Live),
            ],
            top: Some(((100, 2), (101, 1))),
            stats: stats(|s| {
                s.applied = 2;
                // 96, 95 of the snapshot; 90; 97 evicted; 104 (asks full).
                s.levels_dropped_beyond_bound = 5;
            }),
            bid_prices: Some(&[100, 98]),
        },
        TestCase {
            name: "buffer overflow drops the oldest events (counted) and then cannot bridge",
            max_levels: 16,
            buffer_events: 2,
            steps: vec![
                (Act::Diff(11, 12, &[], &[]), D(DO::Buffered), Unsynced),
                (Act::Diff(13, 14, &[], &[]), D(DO::Buffered), Unsynced),
                (Act::Diff(15, 16, &[], &[]), D(DO::Buffered), Unsynced),
                (
                    Act::Snap(10, SNAP_BIDS, SNAP_ASKS),
                    S(SO::NeedsNewer {
                        expected_first: 11,
                        got_first: 13,
                    }),
                    Stale,
                ),
            ],
            top: None,
            stats: stats(|s| {
                s.buffered = 3;
                s.buffer_overflows = 1;
                s.gaps = 1;
            }),
            bid_prices: None,
        },
        TestCase {
            name: "another symbol or U > u is rejected and changes nothing",
            max_levels: 16,
            buffer_events: 16,
            steps: vec![
                (Act::Snap(10, SNAP_BIDS, SNAP_ASKS), S(SO::Waiting { dropped: 0 }), Syncing),
                (Act::OtherSymbol(11, 11), D(DO::Rejected), Syncing),
                (Act::Diff(12, 11, &[], &[]), D(DO::Rejected), Syncing),
                (Act::Diff(11, 11, &[], &[]), D(DO::Applied), Live),
            ],
            top: Some(((100, 1), (101, 1))),
            stats: stats(|s| {
                s.rejected = 2;
                s.applied = 1;
            }),
            bid_prices: None,
        },
    ]
}

#[test]
fn sync_rules_table() {
    for case in cases() {
        let cfg = BookConfig {
            max_levels_per_side: case.max_levels,
            buffer_events: case.buffer_events,
            ..BookConfig::default()
        };
        let mut book = OrderBook::new(sym(), cfg);
        assert_eq!(book.state(), Unsynced, "{}", case.name);
        assert!(book.needs_snapshot());
        for (i, &(act, want, state)) in case.steps.iter().enumerate() {
            let got = match act {
                Act::Diff(first, last, b, a) => {
                    D(book.on_diff(&ev(first, last, sym()), &buf(b, a)))
                }
                Act::OtherSymbol(first, last) => {
                    let other = Symbol::new(b"ETHUSDT").unwrap();
                    D(book.on_diff(&ev(first, last, other), &buf(&[], &[])))
                }
                Act::Snap(last, b, a) => S(book.on_snapshot(last, &buf(b, a))),
            };
            assert_eq!(got, want, "{}: step {i}", case.name);
            assert_eq!(book.state(), state, "{}: step {i} state", case.name);
            assert_eq!(
                book.needs_snapshot(),
                matches!(state, Unsynced | Stale),
                "{}: step {i}",
                case.name
            );
            let needs = match got {
                D(d) => d.needs_snapshot(),
                S(s) => s.needs_snapshot(),
            };
            if needs {
                assert!(book.needs_snapshot(), "{}: step {i}", case.name);
            }
            assert!(book.bid_ladder().is_valid() && book.ask_ladder().is_valid());
        }
        let top = match (book.best_bid(), book.best_ask()) {
            (Some(b), Some(a)) => Some((b, a)),
            (None, None) => None,
            other => panic!("{}: one-sided top {other:?}", case.name),
        };
        let want_top = case.top.map(|((bp, bq), (ap, aq))| {
            (
                Level {
                    price: price(bp),
                    qty: qty(bq),
                },
                Level {
                    price: price(ap),
                    qty: qty(aq),
                },
            )
        });
        assert_eq!(top, want_top, "{}: top", case.name);
        assert_eq!(book.stats(), case.stats, "{}: stats", case.name);
        if let Some(want) = case.bid_prices {
            let got: Vec<Price> = book.bids().map(|l| l.price).collect();
            let want: Vec<Price> = want.iter().map(|&p| price(p)).collect();
            assert_eq!(got, want, "{}: bids", case.name);
        }
    }
}

#[test]
fn last_update_id_follows_snapshot_then_diffs() {
    let mut book = OrderBook::new(sym(), BookConfig::default());
    assert_eq!(book.last_update_id(), 0);
    book.on_snapshot(10, &buf(SNAP_BIDS, SNAP_ASKS));
    assert_eq!(book.last_update_id(), 10);
    book.on_diff(&ev(9, 14, sym()), &buf(&[], &[]));
    assert_eq!(book.last_update_id(), 14);
    let asks: Vec<Price> = book.asks().take(2).map(|l| l.price).collect();
    assert_eq!(asks, vec![price(101), price(102)]);
}

mod top_first {
    //! [`OrderBook::on_diff_top`] then [`OrderBook::finish_diff`]: the top of
    //! book after the first step is the one the whole event leaves, and both
    //! steps together set what setting every level in order sets.
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// One side as whole-number (price, qty) pairs, best first.
    fn side(l: &PriceLadder) -> Vec<(i64, i64)> {
        l.iter()
            .map(|v| (v.price.units() / 100_000_000, v.qty.units() / 100_000_000))
            .collect()
    }

    /// The model: each level set in order (qty 0 removes), best first.
    fn set_all(m: &mut BTreeMap<i64, i64>, levels: &[Lv]) {
        for &(p, q) in levels {
            if q == 0 {
                m.remove(&p);
            } else {
                m.insert(p, q);
            }
        }
    }

    /// Binance's order: bids best (highest) first, asks lowest first, one
    /// level per price (the last one given for a price).
    fn binance_order(levels: &mut Vec<Lv>, bids: bool) {
        let m: BTreeMap<i64, i64> = levels.iter().copied().collect();
        *levels = m.into_iter().collect();
        if bids {
            levels.reverse();
        }
    }

    fn levels(price: std::ops::RangeInclusive<i64>) -> impl Strategy<Value = Vec<Lv>> {
        proptest::collection::vec((price, 0i64..=3), 0..30)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn the_first_step_leaves_the_final_top_and_both_steps_set_every_level(
            snap_bids in levels(90..=120),
            snap_asks in levels(121..=150),
            diffs in proptest::collection::vec(
                (levels(80..=128), levels(114..=160), any::<bool>()),
                1..10,
            ),
        ) {
            // A narrow window, so that some levels are in the far tier.
            let cfg = BookConfig { window_ticks: 64, ..BookConfig::default() };
            let mut book = OrderBook::new(sym(), cfg);
            // The snapshot ignores zero quantities instead of removing.
            let keep = |v: &Vec<Lv>| v.iter().copied().filter(|l| l.1 != 0).collect::<Vec<_>>();
            let (sb, sa) = (keep(&snap_bids), keep(&snap_asks));
            let (mut bids, mut asks) = (BTreeMap::new(), BTreeMap::new());
            set_all(&mut bids, &sb);
            set_all(&mut asks, &sa);
            let out = book.on_snapshot(10, &buf(&sb, &sa));
            prop_assume!(out == SnapshotOutcome::Waiting { dropped: 0 });
            for (i, (mut b, mut a, sorted)) in diffs.into_iter().enumerate() {
                if sorted {
                    binance_order(&mut b, true);
                    binance_order(&mut a, false);
                }
                set_all(&mut bids, &b);
                set_all(&mut asks, &a);
                let id = 11 + i as u64;
                let levels = buf(&b, &a);
                let (outcome, rest) = book.on_diff_top(&ev(id, id, sym()), &levels);
                let tops = (book.bid_ladder().best(), book.ask_ladder().best());
                let want_bid = bids.iter().next_back().map(|(&p, &q)| Level { price: price(p), qty: qty(q) });
                let want_ask = asks.iter().next().map(|(&p, &q)| Level { price: price(p), qty: qty(q) });
                prop_assert_eq!(tops, (want_bid, want_ask), "diff {}: top before finish_diff", i);
                book.finish_diff(&levels, rest);
                prop_assert_eq!(
                    side(book.bid_ladder()),
                    bids.iter().rev().map(|(&p, &q)| (p, q)).collect::<Vec<_>>()
                );
                prop_assert_eq!(
                    side(book.ask_ladder()),
                    asks.iter().map(|(&p, &q)| (p, q)).collect::<Vec<_>>()
                );
                prop_assert!(book.bid_ladder().is_valid() && book.ask_ladder().is_valid());
                let crossed = matches!((&want_bid, &want_ask), (Some(b), Some(a)) if b.price >= a.price);
                if crossed {
                    let said_crossed = matches!(outcome, DiffOutcome::Crossed { .. });
                    prop_assert!(said_crossed, "diff {}: {:?}", i, outcome);
                    prop_assert_eq!(book.state(), Stale);
                    break;
                }
                prop_assert_eq!(outcome, DiffOutcome::Applied);
                prop_assert_eq!(book.state(), Live);
                prop_assert_eq!(book.last_update_id(), id);
            }
        }
    }

    #[test]
    fn removing_the_best_takes_the_next_levels_before_the_decision() {
        let mut book = OrderBook::new(sym(), BookConfig::default());
        book.on_snapshot(
            10,
            &buf(&[(100, 1), (99, 1), (98, 1)], &[(101, 1), (102, 1)]),
        );
        // Best first: 100 and 99 go, 97 arrives, 50 is far below.
        let levels = buf(
            &[(100, 0), (99, 0), (97, 2), (50, 1)],
            &[(101, 0), (103, 1)],
        );
        let (outcome, rest) = book.on_diff_top(&ev(11, 11, sym()), &levels);
        assert_eq!(outcome, DiffOutcome::Applied);
        assert!(rest.is_pending());
        let top = |l: Option<Level>| l.map(|l| (l.price, l.qty));
        assert_eq!(top(book.best_bid()), Some((price(98), qty(1))));
        assert_eq!(top(book.best_ask()), Some((price(102), qty(1))));
        // The deep levels are not set yet.
        assert_eq!(book.bid_ladder().get(price(97)), None);
        assert_eq!(book.bid_ladder().get(price(50)), None);
        book.finish_diff(&levels, rest);
        assert_eq!(book.bid_ladder().get(price(97)), Some(qty(2)));
        assert_eq!(book.bid_ladder().get(price(50)), Some(qty(1)));
        assert_eq!(book.ask_ladder().get(price(103)), Some(qty(1)));
        assert_eq!(top(book.best_bid()), Some((price(98), qty(1))));
    }
}
