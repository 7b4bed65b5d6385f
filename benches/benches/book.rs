//! The L2 book on the real BTCUSDT capture
//! (`../shared/data/ticks/hftbacktest_binance_spot_BTCUSDT_ws_raw_20240808T2354_20240809T0000.jsonl.gz`):
//! its REST snapshot, then every depth diff after it, replayed into
//! - `orderbook_on_diff`: kairos's [`OrderBook::on_diff`] (ladder + sync rule
//!   + crossed check), the path the engine runs;
//! - `ladder`: the two kairos [`Ladder`]s alone, reading the top after each event;
//! - `price_ladder_2^N`: the two kairos [`PriceLadder`]s alone (window of
//!   2^N ticks, tick from the snapshot's gcd), reading the top after each event;
//! - `sorted_vec`: a plain pre-allocated `Vec` sorted best-last with
//!   `binary_search` + `Vec::insert/remove` (the naive ladder);
//! - `btreemap`: a `BTreeMap<Price, Qty>` per side (the baseline).
//!
//! Throughput is counted in level updates (one price/qty pair of a diff); the
//! per-iteration time divided by the event count gives ns per event.
//! Decoding is done once, outside the measurement. When `../shared/data` is
//! absent the bench says so and measures nothing.
//!
//! Run: `cargo bench -p kairos-benches --bench book`

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use kairos_benches::{hftbacktest_messages, BTCUSDT_CAPTURE};
use kairos_core::binance::fast::{
    decode_depth_snapshot, decode_hot, DepthBuf, DepthUpdate, HotEvent, Level, Symbol,
};
use kairos_core::book::price_ladder::{gcd, PriceLadder};
use kairos_core::book::{BookConfig, Ladder, OrderBook, Side};
use kairos_core::num::{Price, Qty};
use std::collections::BTreeMap;
use std::hint::black_box;

/// The snapshot and the diffs after it, decoded once.
struct Data {
    last_update_id: u64,
    snapshot: DepthBuf,
    diffs: Vec<(DepthUpdate, DepthBuf)>,
    level_updates: u64,
}

fn load() -> Option<Data> {
    let msgs = hftbacktest_messages(BTCUSDT_CAPTURE)?;
    let mut scratch = DepthBuf::new();
    let mut snap: Option<(u64, DepthBuf)> = None;
    let mut diffs = Vec::new();
    for m in &msgs {
        match decode_hot(m, &mut scratch) {
            Ok(HotEvent::Depth(ev)) => {
                // Tight copies: DepthBuf::new would reserve 10 000 levels a side.
                let levels = DepthBuf {
                    bids: scratch.bids.clone(),
                    asks: scratch.asks.clone(),
                };
                diffs.push((ev, levels));
            }
            Ok(_) => {}
            Err(_) => {
                if let Ok(id) = decode_depth_snapshot(m, &mut scratch) {
                    let levels = DepthBuf {
                        bids: scratch.bids.clone(),
                        asks: scratch.asks.clone(),
                    };
                    snap = Some((id, levels));
                }
            }
        }
    }
    let (last_update_id, snapshot) = snap?;
    // The diffs the book applies: from the one straddling the snapshot on.
    diffs.retain(|(ev, _)| ev.final_update_id > last_update_id);
    let level_updates = diffs
        .iter()
        .map(|(_, d)| (d.bids.len() + d.asks.len()) as u64)
        .sum();
    Some(Data {
        last_update_id,
        snapshot,
        diffs,
        level_updates,
    })
}

/// The naive ladder: sorted by key ascending, best last.
struct SortedVec {
    bid: bool,
    v: Vec<(i64, Qty)>,
}

impl SortedVec {
    fn new(bid: bool) -> Self {
        SortedVec {
            bid,
            v: Vec::with_capacity(2 * kairos_core::book::DEFAULT_MAX_LEVELS_PER_SIDE),
        }
    }
    fn set(&mut self, p: Price, q: Qty) {
        let k = if self.bid { p.units() } else { -p.units() };
        match self.v.binary_search_by(|e| e.0.cmp(&k)) {
            Ok(i) if q.is_zero() => {
                self.v.remove(i);
            }
            Ok(i) => self.v[i].1 = q,
            Err(_) if q.is_zero() => {}
            Err(i) => self.v.insert(i, (k, q)),
        }
    }
    fn best(&self) -> Option<(i64, Qty)> {
        self.v.last().copied()
    }
}

fn bench_book(c: &mut Criterion, d: &Data) {
    let symbol = Symbol::new(b"BTCUSDT").unwrap_or_default();
    let mut group = c.benchmark_group(format!("book/replay_{}_diffs", d.diffs.len()));
    group.throughput(Throughput::Elements(d.level_updates));
    group.sample_size(30);

    let mut synced = OrderBook::new(symbol, BookConfig::default());
    synced.on_snapshot(d.last_update_id, &d.snapshot);
    group.bench_function(
        BenchmarkId::new("orderbook_on_diff", d.level_updates),
        |b| {
            b.iter_batched_ref(
                || synced.clone(),
                |book| {
                    for (ev, levels) in &d.diffs {
                        black_box(book.on_diff(ev, levels));
                        black_box(book.best_bid());
                        black_box(book.best_ask());
                    }
                },
                BatchSize::LargeInput,
            )
        },
    );

    let mut bids = Ladder::new(Side::Bid, kairos_core::book::DEFAULT_MAX_LEVELS_PER_SIDE);
    let mut asks = Ladder::new(Side::Ask, kairos_core::book::DEFAULT_MAX_LEVELS_PER_SIDE);
    for l in &d.snapshot.bids {
        bids.set(l.price, l.qty);
    }
    for l in &d.snapshot.asks {
        asks.set(l.price, l.qty);
    }
    group.bench_function(BenchmarkId::new("ladder", d.level_updates), |b| {
        b.iter_batched_ref(
            || (bids.clone(), asks.clone()),
            |(bids, asks)| {
                for (_, levels) in &d.diffs {
                    for l in &levels.bids {
                        bids.set(l.price, l.qty);
                    }
                    for l in &levels.asks {
                        asks.set(l.price, l.qty);
                    }
                    black_box((bids.best(), asks.best()));
                }
            },
            BatchSize::LargeInput,
        )
    });

    let tick = d
        .snapshot
        .bids
        .iter()
        .chain(&d.snapshot.asks)
        .fold(0u64, |g, l| gcd(g, l.price.units() as u64));
    let tick = Price::from_units(tick as i64).ok();
    for log in [16u32, 18] {
        let max = kairos_core::book::DEFAULT_MAX_LEVELS_PER_SIDE;
        let mut bids = PriceLadder::new(Side::Bid, max, 1 << log);
        let mut asks = PriceLadder::new(Side::Ask, max, 1 << log);
        bids.clear_with_tick(tick);
        asks.clear_with_tick(tick);
        for l in &d.snapshot.bids {
            bids.set(l.price, l.qty);
        }
        for l in &d.snapshot.asks {
            asks.set(l.price, l.qty);
        }
        let name = format!("price_ladder_2^{log}");
        group.bench_function(BenchmarkId::new(name, d.level_updates), |b| {
            b.iter_batched_ref(
                || (bids.clone(), asks.clone()),
                |(bids, asks)| {
                    for (_, levels) in &d.diffs {
                        for l in &levels.bids {
                            bids.set(l.price, l.qty);
                        }
                        for l in &levels.asks {
                            asks.set(l.price, l.qty);
                        }
                        black_box((bids.best(), asks.best()));
                    }
                },
                BatchSize::LargeInput,
            )
        });
        // The counters of one pass, for the record.
        let (mut b2, mut a2) = (bids.clone(), asks.clone());
        for (_, levels) in &d.diffs {
            for l in &levels.bids {
                b2.set(l.price, l.qty);
            }
            for l in &levels.asks {
                a2.set(l.price, l.qty);
            }
        }
        eprintln!(
            "price_ladder_2^{log}: tick {:?}; after the replay: bids {} levels ({} far), asks {} ({} far); reanchors {}+{}, regrids {}+{}",
            tick.map(|t| t.units()),
            b2.len(),
            b2.far_len(),
            a2.len(),
            a2.far_len(),
            b2.reanchors(),
            a2.reanchors(),
            b2.regrids(),
            a2.regrids()
        );
    }

    let (mut vb, mut va) = (SortedVec::new(true), SortedVec::new(false));
    for l in &d.snapshot.bids {
        vb.set(l.price, l.qty);
    }
    for l in &d.snapshot.asks {
        va.set(l.price, l.qty);
    }
    group.bench_function(BenchmarkId::new("sorted_vec", d.level_updates), |b| {
        b.iter_batched_ref(
            || {
                let mut cb = SortedVec::new(true);
                let mut ca = SortedVec::new(false);
                cb.v.extend_from_slice(&vb.v);
                ca.v.extend_from_slice(&va.v);
                (cb, ca)
            },
            |(bids, asks)| {
                for (_, levels) in &d.diffs {
                    for l in &levels.bids {
                        bids.set(l.price, l.qty);
                    }
                    for l in &levels.asks {
                        asks.set(l.price, l.qty);
                    }
                    black_box((bids.best(), asks.best()));
                }
            },
            BatchSize::LargeInput,
        )
    });

    let mut tb: BTreeMap<Price, Qty> = BTreeMap::new();
    let mut ta: BTreeMap<Price, Qty> = BTreeMap::new();
    let set = |m: &mut BTreeMap<Price, Qty>, l: &Level| {
        if l.qty.is_zero() {
            m.remove(&l.price);
        } else {
            m.insert(l.price, l.qty);
        }
    };
    for l in &d.snapshot.bids {
        set(&mut tb, l);
    }
    for l in &d.snapshot.asks {
        set(&mut ta, l);
    }
    group.bench_function(BenchmarkId::new("btreemap", d.level_updates), |b| {
        b.iter_batched_ref(
            || (tb.clone(), ta.clone()),
            |(bids, asks)| {
                for (_, levels) in &d.diffs {
                    for l in &levels.bids {
                        set(bids, l);
                    }
                    for l in &levels.asks {
                        set(asks, l);
                    }
                    black_box((bids.last_key_value(), asks.first_key_value()));
                }
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn main() {
    let Some(data) = load() else {
        eprintln!("book bench: ../shared/data (or its BTCUSDT capture/snapshot) is absent; nothing measured");
        return;
    };
    eprintln!(
        "book bench: {} diffs, {} level updates after the snapshot (lastUpdateId {}, {} bids / {} asks)",
        data.diffs.len(),
        data.level_updates,
        data.last_update_id,
        data.snapshot.bids.len(),
        data.snapshot.asks.len()
    );
    let mut c = Criterion::default().configure_from_args();
    bench_book(&mut c, &data);
    c.final_summary();
}
