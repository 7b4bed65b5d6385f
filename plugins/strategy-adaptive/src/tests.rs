//! Native tests: the shared boundary table plus sequences, state and
//! parameters.

use crate::cases::{Case, CASES};
use crate::logic::{Strategy, SPECS, TAG_ENTRY, TAG_EXIT_STOP, TAG_EXIT_TAKE_PROFIT};
use kairos_plugin_sdk::dec::ONE;
use kairos_plugin_sdk::model::{
    Account, Bar, Confidence, Fill, Intent, IntentKind, RegimeKind, Risk, Side,
};
use kairos_plugin_sdk::ready;

fn bar(close: i64, run_len: u32) -> Bar {
    let mut b = Bar {
        run_len,
        ..Bar::default()
    };
    b.candle.open = close;
    b.candle.high = close;
    b.candle.low = close;
    b.candle.close = close;
    b
}

fn run(c: &Case) -> Vec<Intent> {
    let mut s = Strategy::new();
    let kind = RegimeKind::from_wit_name(c.regime).expect("regime name");
    let conf = Confidence {
        score: c.score,
        size_multiplier: c.size_multiplier,
        ..Confidence::default()
    };
    let risk = Risk {
        size_fraction: c.size_fraction,
        stop_price: c.risk_stop,
        take_profit: c.risk_take_profit,
        trailing_stop: c.trailing_stop,
        halt_entries: c.halt_entries,
    };
    let a = Account {
        position_qty: c.position_qty,
        avg_entry: c.avg_entry,
        equity: c.equity,
        peak_equity: c.equity,
        free_quote: c.free_quote,
        open_orders: c.open_orders,
    };
    if c.prev_high > 0 {
        s.on_candle(&bar(c.prev_high, 1), kind, &conf, &risk, &a);
    }
    let mut b = bar(c.close, 2);
    b.candle.open_time_ms = 60_000;
    let f = &mut b.features;
    f.ready = c.ready;
    f.ema_fast = c.ema_fast;
    f.ema_slow = c.ema_slow;
    f.sma = c.sma;
    f.rsi = c.rsi;
    s.on_candle(&b, kind, &conf, &risk, &a).as_slice().to_vec()
}

#[test]
fn strategy_boundary_table_matches_every_intent() {
    assert!(CASES.len() >= 30);
    for c in CASES {
        let got = run(c);
        let n = c.kinds.len();
        for col in [
            c.qtys.len(),
            c.prices.len(),
            c.stops.len(),
            c.take_profits.len(),
            c.tags.len(),
        ] {
            assert_eq!(col, n, "{}: table columns differ in length", c.name);
        }
        let want: Vec<Intent> = (0..n)
            .map(|i| Intent {
                kind: match c.kinds[i] {
                    "buy-market" => IntentKind::BuyMarket,
                    "buy-limit" => IntentKind::BuyLimit,
                    "sell-market" => IntentKind::SellMarket,
                    "sell-limit" => IntentKind::SellLimit,
                    "cancel-all" => IntentKind::CancelAll,
                    other => panic!("{}: unknown kind {other}", c.name),
                },
                qty: c.qtys[i],
                price: c.prices[i],
                stop_price: c.stops[i],
                take_profit: c.take_profits[i],
                tag: c.tags[i],
            })
            .collect();
        assert_eq!(got, want, "{}", c.name);
    }
}

fn entry_inputs() -> (Confidence, Risk, Account) {
    (
        Confidence {
            score: 80_000_000,
            size_multiplier: ONE,
            ..Confidence::default()
        },
        Risk {
            size_fraction: 1_000_000,
            stop_price: 96 * ONE,
            take_profit: 108 * ONE,
            trailing_stop: 0,
            halt_entries: false,
        },
        Account {
            position_qty: 0,
            avg_entry: 0,
            equity: 10_000 * ONE,
            peak_equity: 10_000 * ONE,
            free_quote: 10_000 * ONE,
            open_orders: 0,
        },
    )
}

fn trend_bar(close: i64) -> Bar {
    let mut b = bar(close, 2);
    b.features.ready = ready::EMA_FAST | ready::EMA_SLOW;
    b.features.ema_fast = 101 * ONE;
    b.features.ema_slow = 100 * ONE;
    b
}

#[test]
fn strategy_entry_fill_and_exit_sequence() {
    let mut s = Strategy::new();
    let (conf, risk, flat) = entry_inputs();
    let k = RegimeKind::Transitional;
    let out = s.on_candle(&trend_bar(100 * ONE), k, &conf, &risk, &flat);
    assert_eq!(out.as_slice().len(), 1);
    assert_eq!(out.as_slice()[0].kind, IntentKind::BuyMarket);
    // The fill has not arrived: the next candles do not enter again.
    assert!(s
        .on_candle(&trend_bar(100 * ONE), k, &conf, &risk, &flat)
        .as_slice()
        .is_empty());
    let long = Account {
        position_qty: 50_000_000,
        avg_entry: (100 * ONE + 10_000_000),
        ..flat
    };
    s.on_fill(
        &Fill {
            time_ns: 1,
            side: Side::Buy,
            price: (100 * ONE + 10_000_000),
            qty: 50_000_000,
            fee_quote: 0,
            tag: TAG_ENTRY,
        },
        &long,
    );
    assert_eq!(s.entry_price(), (100 * ONE + 10_000_000));
    assert_eq!(s.levels(), (96 * ONE, 108 * ONE), "levels from entry stay");
    // Holding between the levels: nothing.
    assert!(s
        .on_candle(&trend_bar(104 * ONE), k, &conf, &risk, &long)
        .as_slice()
        .is_empty());
    // Take-profit reached (risk's levels for a new entry moved; the stored ones count).
    let moved = Risk {
        stop_price: 104 * ONE,
        take_profit: 116 * ONE,
        ..risk
    };
    let out = s.on_candle(&trend_bar(108 * ONE), k, &conf, &moved, &long);
    assert_eq!(
        out.as_slice(),
        &[Intent {
            kind: IntentKind::SellMarket,
            qty: 50_000_000,
            tag: TAG_EXIT_TAKE_PROFIT,
            ..Intent::default()
        }]
    );
    // Exit pending: the next candle does not sell again.
    assert!(s
        .on_candle(&trend_bar(109 * ONE), k, &conf, &moved, &long)
        .as_slice()
        .is_empty());
    s.on_fill(
        &Fill {
            time_ns: 2,
            side: Side::Sell,
            price: 108 * ONE,
            qty: 50_000_000,
            fee_quote: 0,
            tag: TAG_EXIT_TAKE_PROFIT,
        },
        &flat,
    );
    assert_eq!(s.levels(), (0, 0));
}

#[test]
fn strategy_refused_entry_retries_after_pending_candles() {
    let mut s = Strategy::new();
    let (conf, risk, flat) = entry_inputs();
    let k = RegimeKind::Transitional;
    assert_eq!(
        s.on_candle(&trend_bar(100 * ONE), k, &conf, &risk, &flat)
            .as_slice()
            .len(),
        1
    );
    for _ in 0..3 {
        assert!(s
            .on_candle(&trend_bar(100 * ONE), k, &conf, &risk, &flat)
            .as_slice()
            .is_empty());
    }
    assert_eq!(
        s.on_candle(&trend_bar(100 * ONE), k, &conf, &risk, &flat)
            .as_slice()
            .len(),
        1
    );
}

#[test]
fn strategy_dca_fills_are_recorded_by_level_and_do_not_move_levels() {
    let mut s = Strategy::new();
    let (conf, risk, flat) = entry_inputs();
    let mut b = bar(100 * ONE, 2);
    b.features.ready = ready::SMA | ready::RSI;
    b.features.sma = 101 * ONE;
    b.features.rsi = 40 * ONE;
    let out = s.on_candle(&b, RegimeKind::TightRange, &conf, &risk, &flat);
    assert_eq!(out.as_slice().len(), 3);
    let long = Account {
        position_qty: ONE,
        avg_entry: 100 * ONE,
        ..flat
    };
    s.on_fill(
        &Fill {
            side: Side::Buy,
            tag: 2,
            price: 98 * ONE,
            qty: ONE,
            ..Fill::default()
        },
        &long,
    );
    s.on_fill(
        &Fill {
            side: Side::Buy,
            tag: 99,
            price: 98 * ONE,
            qty: ONE,
            ..Fill::default()
        },
        &long,
    );
    assert_eq!(s.dca_filled(), 0b10);
    assert_eq!(s.levels(), (97 * ONE, 106 * ONE));
}

#[test]
fn strategy_gap_in_data_cancels_the_breakout_reference() {
    let mut s = Strategy::new();
    let (conf, risk, flat) = entry_inputs();
    s.on_candle(
        &bar(99 * ONE, 1),
        RegimeKind::StrongTrend,
        &conf,
        &risk,
        &flat,
    );
    let mut after_gap = trend_bar(100 * ONE);
    after_gap.run_len = 1;
    assert!(s
        .on_candle(&after_gap, RegimeKind::StrongTrend, &conf, &risk, &flat)
        .as_slice()
        .is_empty());
    // The next candle of the new run breaks out above 100.
    assert_eq!(
        s.on_candle(
            &trend_bar(101 * ONE),
            RegimeKind::StrongTrend,
            &conf,
            &risk,
            &flat
        )
        .as_slice()
        .len(),
        2
    );
}

#[test]
fn strategy_dca_disabled_places_only_the_entry() {
    let mut s = Strategy::new();
    s.set_param("dca_enabled", 0).unwrap();
    let (conf, risk, flat) = entry_inputs();
    s.on_candle(
        &bar(99 * ONE, 1),
        RegimeKind::StrongTrend,
        &conf,
        &risk,
        &flat,
    );
    let out = s.on_candle(
        &trend_bar(100 * ONE),
        RegimeKind::StrongTrend,
        &conf,
        &risk,
        &flat,
    );
    assert_eq!(out.as_slice().len(), 1);
}

#[test]
fn strategy_transitional_threshold_param_moves_the_edge() {
    let mut s = Strategy::new();
    s.set_param("transitional_min_score", 90_000_000).unwrap();
    let (conf, risk, flat) = entry_inputs();
    assert!(s
        .on_candle(
            &trend_bar(100 * ONE),
            RegimeKind::Transitional,
            &conf,
            &risk,
            &flat
        )
        .as_slice()
        .is_empty());
    let conf = Confidence {
        score: 90_000_000,
        ..conf
    };
    assert_eq!(
        s.on_candle(
            &trend_bar(100 * ONE),
            RegimeKind::Transitional,
            &conf,
            &risk,
            &flat
        )
        .as_slice()
        .len(),
        1
    );
}

#[test]
fn strategy_state_round_trip_mid_position_gives_the_same_decisions() {
    let mut a = Strategy::new();
    let (conf, risk, flat) = entry_inputs();
    a.on_candle(
        &trend_bar(100 * ONE),
        RegimeKind::Transitional,
        &conf,
        &risk,
        &flat,
    );
    let mut b = Strategy::new();
    b.load_state(&a.save_state()).unwrap();
    assert_eq!(a, b);
    let long = Account {
        position_qty: ONE,
        avg_entry: 100 * ONE,
        ..flat
    };
    let x = a.on_candle(
        &trend_bar(95 * ONE),
        RegimeKind::Transitional,
        &conf,
        &risk,
        &long,
    );
    let y = b.on_candle(
        &trend_bar(95 * ONE),
        RegimeKind::Transitional,
        &conf,
        &risk,
        &long,
    );
    assert_eq!(x, y);
    assert_eq!(y.as_slice()[0].tag, TAG_EXIT_STOP);
}

#[test]
fn strategy_bad_state_is_rejected_and_changes_nothing() {
    let mut p = Strategy::new();
    let good = {
        let mut a = Strategy::new();
        let (conf, risk, flat) = entry_inputs();
        a.on_candle(
            &trend_bar(100 * ONE),
            RegimeKind::Transitional,
            &conf,
            &risk,
            &flat,
        );
        a.save_state()
    };
    for n in 0..good.len() {
        assert!(p.load_state(&good[..n]).is_err(), "prefix {n}");
    }
    // Offsets: 6 prev_high, 14 has_prev, 15 in_position, 16 entry, 24 stop,
    // 32 take-profit, 40 regime, 41 dca placed, 42 dca filled, 46, 47 pending.
    let mut bad_regime = good.clone();
    bad_regime[40] = 5;
    assert!(p.load_state(&bad_regime).is_err());
    let mut bad_dca = good.clone();
    bad_dca[42] = 0x10;
    assert!(p.load_state(&bad_dca).is_err());
    let mut bad_bool = good.clone();
    bad_bool[14] = 3;
    assert!(p.load_state(&bad_bool).is_err());
    let mut negative = good.clone();
    negative[24..32].copy_from_slice(&(-5i64).to_le_bytes());
    assert!(p.load_state(&negative).is_err());
    let mut newer = good.clone();
    newer[4] = 2;
    assert!(p
        .load_state(&newer)
        .unwrap_err()
        .to_string()
        .contains("newer"));
    assert!(p.load_state(b"KRSK\x01\x00").is_err());
    assert_eq!(p, Strategy::new());
    p.load_state(&good).unwrap();
}

#[test]
fn strategy_unknown_or_bad_param_is_rejected_by_name() {
    let mut s = Strategy::new();
    assert!(s
        .set_param("dca", ONE)
        .unwrap_err()
        .to_string()
        .contains("'dca'"));
    assert!(s
        .set_param("dca_enabled", 2 * ONE)
        .unwrap_err()
        .to_string()
        .contains("'dca_enabled'"));
    assert!(s.set_param("pending_candles", 0).is_err());
    assert_eq!(SPECS[0].default, 80_000_000, "the seed's 0.80");
}
