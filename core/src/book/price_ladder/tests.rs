//! Unit and property tests of [`PriceLadder`]; the reference is [`Ladder`].

use super::*;
use proptest::prelude::*;

fn p(x: i64) -> Price {
    Price::from_units(x).unwrap()
}
fn q(x: i64) -> Qty {
    Qty::from_units(x).unwrap()
}
fn prices(l: &PriceLadder) -> Vec<i64> {
    l.iter().map(|v| v.price.units()).collect()
}
fn levels(l: &PriceLadder) -> Vec<(i64, i64)> {
    l.iter().map(|v| (v.price.units(), v.qty.units())).collect()
}
fn ref_levels(l: &Ladder) -> Vec<(i64, i64)> {
    l.iter().map(|v| (v.price.units(), v.qty.units())).collect()
}

/// Tick 10 units, window 64 ticks: the best is anchored at slot 48, so the
/// window spans `best − 480 ..= best + 150` for bids.
fn small(side: Side, max_levels: usize) -> PriceLadder {
    let mut l = PriceLadder::new(side, max_levels, 64);
    l.clear_with_tick(Some(p(10)));
    l
}

#[test]
fn gcd_basics() {
    assert_eq!(gcd(0, 0), 0);
    assert_eq!(gcd(0, 12), 12);
    assert_eq!(gcd(12, 0), 12);
    assert_eq!(gcd(12, 18), 6);
    assert_eq!(gcd(1_000_000, 6_173_763_000_000), 1_000_000);
    assert_eq!(gcd(17, 13), 1);
}

#[test]
fn bids_descend_asks_ascend_from_best() {
    let mut b = small(Side::Bid, 8);
    let mut a = small(Side::Ask, 8);
    for x in [50, 10, 90, 30, 70] {
        assert_eq!(b.set(p(x), q(1)), SetOutcome::Inserted);
        assert_eq!(a.set(p(x), q(1)), SetOutcome::Inserted);
    }
    assert_eq!(prices(&b), vec![90, 70, 50, 30, 10]);
    assert_eq!(prices(&a), vec![10, 30, 50, 70, 90]);
    assert_eq!(
        b.iter().rev().map(|l| l.price.units()).collect::<Vec<_>>(),
        vec![10, 30, 50, 70, 90]
    );
    assert_eq!(b.iter().len(), 5);
    assert_eq!(b.best().unwrap().price, p(90));
    assert_eq!(a.best().unwrap().price, p(10));
    assert!(b.is_valid() && a.is_valid());
}

#[test]
fn zero_removes_update_replaces() {
    let mut b = small(Side::Bid, 8);
    assert_eq!(b.set(p(50), q(0)), SetOutcome::Absent);
    assert_eq!(b.set(p(50), q(2)), SetOutcome::Inserted);
    assert_eq!(b.set(p(50), q(3)), SetOutcome::Updated);
    assert_eq!(b.get(p(50)), Some(q(3)));
    assert_eq!(b.set(p(40), q(0)), SetOutcome::Absent);
    assert_eq!(b.set(p(50), q(0)), SetOutcome::Removed);
    assert!(b.is_empty());
    assert_eq!(b.best(), None);
    assert!(b.is_valid());
}

#[test]
fn best_tracking_when_the_best_is_removed() {
    let mut b = small(Side::Bid, 64);
    for x in [1000, 990, 900, 800] {
        b.set(p(x), q(x));
    }
    b.set(p(1000), q(0));
    assert_eq!(b.best().unwrap().price, p(990));
    b.set(p(990), q(0));
    assert_eq!(
        b.best().unwrap(),
        Level {
            price: p(900),
            qty: q(900)
        }
    );
    // A gap of many words in the bitmap.
    b.set(p(900), q(0));
    assert_eq!(b.best().unwrap().price, p(800));
    b.set(p(800), q(0));
    assert_eq!(b.best(), None);
    assert!(b.is_valid());

    let mut a = small(Side::Ask, 64);
    for x in [1000, 1010, 1100] {
        a.set(p(x), q(1));
    }
    a.set(p(1000), q(0));
    assert_eq!(a.best().unwrap().price, p(1010));
    a.set(p(1010), q(0));
    assert_eq!(a.best().unwrap().price, p(1100));
    assert!(a.is_valid());
}

#[test]
fn window_edges_and_far_tier() {
    let mut b = small(Side::Bid, 64);
    b.set(p(10_000), q(1)); // anchored at slot 48: window 9_520 ..= 10_150
    assert_eq!(b.far_len(), 0);
    b.set(p(9_520), q(1)); // lowest slot of the window
    assert_eq!(b.far_len(), 0);
    b.set(p(9_510), q(1)); // just below: far tier
    assert_eq!(b.far_len(), 1);
    b.set(p(5_000), q(1));
    assert_eq!(b.far_len(), 2);
    b.set(p(10_150), q(1)); // highest slot of the window: no move
    assert_eq!(b.reanchors(), 0);
    assert_eq!(prices(&b), vec![10_150, 10_000, 9_520, 9_510, 5_000]);
    assert_eq!(b.get(p(9_510)), Some(q(1)));
    assert_eq!(b.set(p(9_510), q(3)), SetOutcome::Updated);
    assert_eq!(b.set(p(5_000), q(0)), SetOutcome::Removed);
    assert_eq!(b.set(p(5_000), q(0)), SetOutcome::Absent);
    assert_eq!(prices(&b), vec![10_150, 10_000, 9_520, 9_510]);
    assert!(b.is_valid());
}

#[test]
fn reanchors_up_when_a_level_arrives_above() {
    let mut b = small(Side::Bid, 64);
    for x in [10_000, 9_990, 9_600] {
        b.set(p(x), q(1));
    }
    // Just above the window (10_160): move up; 10_160 at slot 48, so the
    // window is 9_680 ..= 10_310 and 9_600 goes to the far tier.
    assert_eq!(b.set(p(10_160), q(2)), SetOutcome::Inserted);
    assert_eq!(b.reanchors(), 1);
    assert_eq!(b.far_len(), 1);
    assert_eq!(prices(&b), vec![10_160, 10_000, 9_990, 9_600]);
    assert_eq!(
        b.best().unwrap(),
        Level {
            price: p(10_160),
            qty: q(2)
        }
    );
    // A jump far above: everything else goes to the far tier.
    b.set(p(1_000_000), q(1));
    assert_eq!(b.reanchors(), 2);
    assert_eq!(b.far_len(), 4);
    assert_eq!(prices(&b), vec![1_000_000, 10_160, 10_000, 9_990, 9_600]);
    assert!(b.is_valid());
    // Removing the lone window level pulls the far levels back in.
    b.set(p(1_000_000), q(0));
    assert_eq!(b.reanchors(), 3);
    assert_eq!(b.far_len(), 1); // 9_600 is below the window 9_680 ..= 10_310
    assert_eq!(prices(&b), vec![10_160, 10_000, 9_990, 9_600]);
    assert!(b.is_valid());
}

#[test]
fn reanchors_down_when_the_best_falls_low() {
    let mut a = small(Side::Ask, 64);
    // Asks: best is the lowest price; the window holds prices up to
    // best + 480.
    for x in [10_000, 10_400, 10_470, 10_600, 11_000] {
        a.set(p(x), q(1));
    }
    assert_eq!(a.far_len(), 2);
    a.set(p(10_000), q(0)); // next best 10_400 is at slot 8 < 16: move down
    assert_eq!(a.reanchors(), 1);
    assert_eq!(a.best().unwrap().price, p(10_400));
    assert_eq!(a.far_len(), 1); // 10_600 pulled in (≤ 10_880), not 11_000
    assert_eq!(prices(&a), vec![10_400, 10_470, 10_600, 11_000]);
    assert!(a.is_valid());
}

#[test]
fn off_grid_price_regrids() {
    let mut b = small(Side::Bid, 64);
    for x in [10_000, 9_990, 9_000] {
        b.set(p(x), q(1));
    }
    assert_eq!(b.tick(), Some(p(10)));
    // A removal off the grid is a no-op, not a regrid.
    assert_eq!(b.set(p(9_995), q(0)), SetOutcome::Absent);
    assert_eq!(b.regrids(), 0);
    assert_eq!(b.set(p(9_995), q(7)), SetOutcome::Inserted);
    assert_eq!(b.regrids(), 1);
    assert_eq!(b.tick(), Some(p(5)));
    assert_eq!(prices(&b), vec![10_000, 9_995, 9_990, 9_000]);
    assert_eq!(b.get(p(9_995)), Some(q(7)));
    assert!(b.is_valid());
    // Coprime: the tick becomes 1 unit.
    b.set(p(10_001), q(1));
    assert_eq!(b.regrids(), 2);
    assert_eq!(b.tick(), Some(p(1)));
    assert_eq!(prices(&b), vec![10_001, 10_000, 9_995, 9_990, 9_000]);
    assert!(b.is_valid());
}

#[test]
fn unknown_tick_is_taken_from_prices() {
    let mut b = PriceLadder::new(Side::Bid, 16, 64);
    assert_eq!(b.tick(), None);
    b.set(p(6_000), q(1));
    assert_eq!(b.tick(), Some(p(6_000)));
    b.set(p(4_000), q(1));
    assert_eq!(b.tick(), Some(p(2_000)));
    assert_eq!(b.regrids(), 1);
    assert_eq!(prices(&b), vec![6_000, 4_000]);
    assert!(b.is_valid());
}

#[test]
fn bound_drops_the_farthest_only() {
    // Same sequence as the Ladder test, in the window and in the far tier.
    for scale in [10, 100_000] {
        let mut b = small(Side::Bid, 3);
        for x in [10, 9, 8] {
            b.set(p(x * scale), q(1));
        }
        assert_eq!(b.set(p(7 * scale), q(1)), SetOutcome::DroppedBeyondBound);
        assert_eq!(b.set(p(11 * scale), q(1)), SetOutcome::Inserted);
        assert_eq!(prices(&b), vec![11 * scale, 10 * scale, 9 * scale]);
        assert_eq!(b.set(p(95 * scale), q(1)), SetOutcome::Inserted);
        assert_eq!(prices(&b), vec![95 * scale, 11 * scale, 10 * scale]);
        assert_eq!(b.set(p(8 * scale), q(0)), SetOutcome::Absent);
        assert_eq!(b.dropped_beyond_bound(), 3);
        assert!(b.is_valid());
    }
}

#[test]
fn clear_keeps_tick_and_counters() {
    let mut b = small(Side::Bid, 8);
    b.set(p(100), q(1));
    b.set(p(50_000), q(1));
    b.clear();
    assert!(b.is_empty());
    assert_eq!(b.iter().count(), 0);
    assert_eq!(b.tick(), Some(p(10)));
    assert!(b.is_valid());
    b.set(p(70), q(1));
    assert_eq!(prices(&b), vec![70]);
}

/// One operation of the random sequences: a price drawn around a drifting
/// centre (mostly near it, sometimes far, sometimes off the grid).
#[derive(Debug, Clone)]
struct Op {
    kind: u8,
    dist: i64,
    qty: i64,
    drift: i64,
}

fn op() -> impl Strategy<Value = Op> {
    (0u8..100, 0i64..2000, 0i64..4, -3i64..4).prop_map(|(kind, dist, qty, drift)| Op {
        kind,
        dist,
        qty,
        drift,
    })
}

/// Returns the ladder's (re-anchors, regrids, dropped) counters.
fn run_against_ladder(side: Side, max_levels: usize, window: usize, ops: &[Op]) -> (u64, u64, u64) {
    let mut r = Ladder::new(side, max_levels);
    let mut l = PriceLadder::new(side, max_levels, window);
    let mut centre: i64 = 1_000_000;
    for (i, o) in ops.iter().enumerate() {
        centre = (centre + o.drift * 10).max(100_000);
        // Grid of 10 units mostly; 3 % off it (multiples of 5 or of 1).
        let step = match o.kind {
            0..=1 => 5,
            2 => 1,
            _ => 10,
        };
        let dist = match o.kind {
            3..=12 => o.dist * 50, // far
            _ => o.dist % 80,      // near the top
        };
        // Mostly behind the top (worse), sometimes through it.
        let signed = if o.kind % 7 == 0 { -dist / 4 } else { dist };
        let x = match side {
            Side::Bid => centre - signed * step,
            Side::Ask => centre + signed * step,
        };
        let x = x.max(1);
        // Removals a third of the time, biased to existing levels.
        let qty = if o.qty == 0 { 0 } else { o.qty + i as i64 % 3 };
        let (price, qty) = if o.qty == 0 && o.kind % 2 == 0 && !r.is_empty() {
            // Remove the best (exercises best tracking / refills).
            (r.best().unwrap().price, Qty::ZERO)
        } else {
            (p(x), q(qty))
        };
        let want = r.set(price, qty);
        let got = l.set(price, qty);
        assert_eq!(got, want, "op {i} {o:?} price {}", price.units());
        assert_eq!(l.best(), r.best(), "op {i}");
        assert_eq!(l.len(), r.len(), "op {i}");
        assert_eq!(l.dropped_beyond_bound(), r.dropped_beyond_bound(), "op {i}");
        if i % 16 == 0 {
            assert_eq!(levels(&l), ref_levels(&r), "op {i}");
            assert!(l.is_valid(), "op {i}");
        }
    }
    assert_eq!(levels(&l), ref_levels(&r));
    let back: Vec<_> = l
        .iter()
        .rev()
        .map(|v| (v.price.units(), v.qty.units()))
        .collect();
    let mut want = ref_levels(&r);
    want.reverse();
    assert_eq!(back, want);
    assert!(l.is_valid());
    for v in r.iter() {
        assert_eq!(l.get(v.price), Some(v.qty));
    }
    (l.reanchors(), l.regrids(), l.dropped_beyond_bound())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn equals_sorted_ladder_bids(
        max_levels in 1usize..80,
        window_log in 6u32..10,
        ops in proptest::collection::vec(op(), 1..1500),
    ) {
        let _ = run_against_ladder(Side::Bid, max_levels, 1 << window_log, &ops);
    }

    #[test]
    fn equals_sorted_ladder_asks(
        max_levels in 1usize..80,
        window_log in 6u32..10,
        ops in proptest::collection::vec(op(), 1..1500),
    ) {
        let _ = run_against_ladder(Side::Ask, max_levels, 1 << window_log, &ops);
    }
}

#[test]
fn equals_sorted_ladder_long_sequence() {
    // One long deterministic sequence (xorshift), bound large enough that
    // most levels stay, window small enough to move often.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut ops = Vec::with_capacity(200_000);
    for _ in 0..200_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        ops.push(Op {
            kind: (seed % 100) as u8,
            dist: ((seed >> 8) % 2000) as i64,
            qty: ((seed >> 20) % 4) as i64,
            drift: ((seed >> 30) % 7) as i64 - 3,
        });
    }
    for side in [Side::Bid, Side::Ask] {
        let (reanchors, regrids, dropped) = run_against_ladder(side, 500, 256, &ops);
        eprintln!("{side:?}: reanchors {reanchors}, regrids {regrids}, dropped {dropped}");
        // Every path was taken.
        assert!(reanchors > 100 && regrids >= 1 && dropped > 100);
    }
    run_against_ladder(Side::Bid, 5_000, 1 << 16, &ops);
}
