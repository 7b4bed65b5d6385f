//! Native tests: the shared boundary table plus state and parameters.

use crate::cases::{Case, CASES};
use crate::logic::{RiskManager, SPECS};
use kairos_plugin_sdk::dec::ONE;
use kairos_plugin_sdk::model::{Account, Bar, Confidence, Risk, TradeStats};

fn bar(ready: u32, atr: i64, atr_pct: i64, close: i64) -> Bar {
    let mut b = Bar {
        run_len: 1,
        ..Bar::default()
    };
    b.candle.open = close;
    b.candle.high = close;
    b.candle.low = close;
    b.candle.close = close;
    b.features.ready = ready;
    b.features.atr = atr;
    b.features.atr_pct = atr_pct;
    b
}

fn account(position_qty: i64, avg_entry: i64, equity: i64, peak_equity: i64) -> Account {
    Account {
        position_qty,
        avg_entry,
        equity,
        peak_equity,
        free_quote: equity,
        open_orders: 0,
    }
}

fn run(r: &mut RiskManager, c: &Case) -> Risk {
    let conf = Confidence {
        size_multiplier: c.size_multiplier,
        ..Confidence::default()
    };
    let a = account(c.position_qty, c.avg_entry, c.equity, c.peak_equity);
    let s = TradeStats {
        closed: c.closed,
        wins: c.wins,
        avg_win: c.avg_win,
        avg_loss: c.avg_loss,
    };
    let mut out = Risk::default();
    for &close in c.closes {
        out = r.assess(&bar(c.ready, c.atr, c.atr_pct, close), &conf, &a, &s);
    }
    out
}

#[test]
fn risk_boundary_table_matches_every_field() {
    assert!(CASES.len() >= 35);
    for c in CASES {
        let got = run(&mut RiskManager::new(), c);
        let want = Risk {
            size_fraction: c.size_fraction,
            stop_price: c.stop_price,
            take_profit: c.take_profit,
            trailing_stop: c.trailing_stop,
            halt_entries: c.halt_entries,
        };
        assert_eq!(got, want, "{}", c.name);
    }
}

#[test]
fn risk_trailing_resets_when_the_position_closes() {
    let mut r = RiskManager::new();
    let conf = Confidence {
        size_multiplier: ONE,
        ..Confidence::default()
    };
    let s = TradeStats::default();
    let long = account(ONE, 100 * ONE, 10_000 * ONE, 10_000 * ONE);
    let flat = account(0, 0, 10_000 * ONE, 10_000 * ONE);
    let b = |close| bar(3, ONE, 1_000_000, close);
    assert_eq!(
        r.assess(&b(110 * ONE), &conf, &long, &s).trailing_stop,
        (108 * ONE + 50_000_000)
    );
    assert_eq!(r.assess(&b(110 * ONE), &conf, &flat, &s).trailing_stop, 0);
    // A new position at 120: its highest close starts over at 120.
    let long2 = account(ONE, 120 * ONE, 10_000 * ONE, 10_000 * ONE);
    assert_eq!(r.assess(&b(120 * ONE), &conf, &long2, &s).trailing_stop, 0);
    assert_eq!(
        r.assess(&b(123 * ONE), &conf, &long2, &s).trailing_stop,
        (121 * ONE + 50_000_000)
    );
}

#[test]
fn risk_trailing_never_moves_down_when_atr_widens() {
    let mut r = RiskManager::new();
    let conf = Confidence::default();
    let s = TradeStats::default();
    let long = account(ONE, 100 * ONE, 10_000 * ONE, 10_000 * ONE);
    assert_eq!(
        r.assess(&bar(3, ONE, 1_000_000, 104 * ONE), &conf, &long, &s)
            .trailing_stop,
        (102 * ONE + 50_000_000)
    );
    // ATR triples: the candidate 104 − 4.5 = 99.5 is lower; the stop stays.
    assert_eq!(
        r.assess(&bar(3, 3 * ONE, 3_000_000, 104 * ONE), &conf, &long, &s)
            .trailing_stop,
        (102 * ONE + 50_000_000)
    );
}

#[test]
fn risk_kelly_fraction_param_scales_the_bet() {
    let mut r = RiskManager::new();
    let s = TradeStats {
        closed: 40,
        wins: 22,
        avg_win: 3_000_000,
        avg_loss: 2_000_000,
    };
    assert_eq!(r.kelly(&s), 6_250_000); // 0.25 × 0.25
    r.set_param("kelly_fraction", ONE / 2).unwrap();
    assert_eq!(r.kelly(&s), 10_000_000); // 0.125 capped to 0.10
    r.set_param("size_max", 20_000_000).unwrap();
    assert_eq!(r.kelly(&s), 12_500_000);
    r.set_param("kelly_min_trades", 41 * ONE).unwrap();
    assert_eq!(r.kelly(&s), 1_000_000, "40 < 41 trades: the default");
}

#[test]
fn risk_state_round_trip_keeps_the_trailing_stop() {
    let mut a = RiskManager::new();
    let conf = Confidence::default();
    let s = TradeStats::default();
    let long = account(ONE, 100 * ONE, 10_000 * ONE, 10_000 * ONE);
    a.assess(&bar(3, ONE, 1_000_000, 105 * ONE), &conf, &long, &s);
    let mut b = RiskManager::new();
    b.load_state(&a.save_state()).unwrap();
    assert_eq!(a, b);
    // Both continue identically: highest 105 is remembered.
    let x = a.assess(&bar(3, ONE, 1_000_000, 101 * ONE), &conf, &long, &s);
    let y = b.assess(&bar(3, ONE, 1_000_000, 101 * ONE), &conf, &long, &s);
    assert_eq!(x, y);
    assert_eq!(y.trailing_stop, (103 * ONE + 50_000_000));
}

#[test]
fn risk_bad_state_is_rejected_and_changes_nothing() {
    let mut p = RiskManager::new();
    let good = {
        let mut a = RiskManager::new();
        let long = account(ONE, 100 * ONE, ONE, ONE);
        a.assess(
            &bar(3, ONE, 1_000_000, 105 * ONE),
            &Confidence::default(),
            &long,
            &TradeStats::default(),
        );
        a.save_state()
    };
    for n in 0..good.len() {
        assert!(p.load_state(&good[..n]).is_err(), "prefix {n}");
    }
    let mut bad_bool = good.clone();
    bad_bool[6] = 2;
    assert!(p.load_state(&bad_bool).is_err());
    let mut flat_with_high = good.clone();
    flat_with_high[6] = 0;
    assert!(p.load_state(&flat_with_high).is_err());
    let mut negative = good.clone();
    negative[7..15].copy_from_slice(&(-1i64).to_le_bytes());
    assert!(p.load_state(&negative).is_err());
    let mut newer = good.clone();
    newer[4] = 9;
    assert!(p
        .load_state(&newer)
        .unwrap_err()
        .to_string()
        .contains("newer"));
    assert!(p.load_state(b"KRGM\x01\x00").is_err());
    assert_eq!(p, RiskManager::new());
}

#[test]
fn risk_unknown_or_bad_param_is_rejected_by_name() {
    let mut r = RiskManager::new();
    assert!(r
        .set_param("kelly", ONE)
        .unwrap_err()
        .to_string()
        .contains("'kelly'"));
    assert!(r
        .set_param("dd_reduce", 30_000_000)
        .unwrap_err()
        .to_string()
        .contains("dd_reduce <= dd_halt"));
    assert!(r.set_param("atr_band_2", 1_000_000).is_err());
    assert!(r.set_param("size_min", 20_000_000).is_err());
    assert!(r
        .set_param("stop_cap", 0)
        .unwrap_err()
        .to_string()
        .contains("'stop_cap'"));
    assert!(r.set_param("kelly_min_trades", ONE / 2).is_err());
    assert_eq!(r, RiskManager::new());
}

#[test]
fn risk_specs_defaults_are_the_seeds() {
    let d: Vec<_> = SPECS.iter().map(|s| (s.name, s.default)).collect();
    assert!(d.contains(&("kelly_min_trades", 30 * ONE)));
    assert!(d.contains(&("kelly_fraction", 25_000_000)));
    assert!(d.contains(&("size_min", 500_000)));
    assert!(d.contains(&("size_max", 10_000_000)));
    assert!(d.contains(&("stop_cap", 5_000_000)));
    assert!(d.contains(&("trail_activation", 2_500_000)));
    for s in &SPECS {
        assert!(s.min <= s.default && s.default <= s.max, "{}", s.name);
    }
}
