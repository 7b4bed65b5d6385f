//! Native tests: the shared boundary tables plus state and parameters.

use crate::cases::{CASES, READY, SEQUENCES};
use crate::logic::{Classifier, HISTORY, SPECS};
use kairos_plugin_sdk::dec::ONE;
use kairos_plugin_sdk::model::{Bar, RegimeKind};

fn bar(ready: u32, adx: i64, atr_pct: i64, bb_width: i64) -> Bar {
    let mut b = Bar {
        run_len: 1,
        ..Bar::default()
    };
    b.features.ready = ready;
    b.features.adx = adx;
    b.features.atr_pct = atr_pct;
    b.features.bb_width = bb_width;
    b
}

#[test]
fn regime_boundary_table_matches_on_a_fresh_plugin() {
    assert!(CASES.len() >= 20);
    for c in CASES {
        let mut p = Classifier::new();
        let r = p.classify(&bar(c.ready, c.adx, c.atr_pct, c.bb_width));
        assert_eq!(r.kind.wit_name(), c.kind, "{}", c.name);
        assert_eq!(r.confidence, c.confidence, "{}", c.name);
        assert_eq!(r.run, 1, "{}", c.name);
        assert!((0..=ONE).contains(&r.confidence), "{}", c.name);
    }
}

#[test]
fn regime_history_table_gives_the_run_of_the_latest_streak() {
    for s in SEQUENCES {
        let mut p = Classifier::new();
        let mut last = None;
        for &(adx, atr, bbw) in s.steps {
            last = Some(p.classify(&bar(READY, adx, atr, bbw)));
        }
        let r = last.expect("non-empty sequence");
        assert_eq!(r.kind.wit_name(), s.kind, "{}", s.name);
        assert_eq!(r.run, s.run, "{}", s.name);
    }
}

#[test]
fn regime_history_keeps_only_the_last_16() {
    let mut p = Classifier::new();
    for i in 0..40 {
        let adx = if i % 2 == 0 { 30 * ONE } else { 10 * ONE };
        p.classify(&bar(READY, adx, 0, 0));
    }
    let h: Vec<_> = p.history().collect();
    assert_eq!(h.len(), HISTORY);
    // Step 39 (odd) was the last: tight range; step 38 strong trend.
    assert_eq!(h[HISTORY - 1], RegimeKind::TightRange);
    assert_eq!(h[HISTORY - 2], RegimeKind::StrongTrend);
    assert_eq!(p.run(), 1);
}

#[test]
fn regime_state_round_trip_restores_history_and_run() {
    let mut a = Classifier::new();
    for _ in 0..5 {
        a.classify(&bar(READY, 30 * ONE, 0, 0));
    }
    let saved = a.save_state();
    let mut b = Classifier::new();
    b.load_state(&saved).unwrap();
    assert_eq!(a, b);
    // The run continues across the hand-over.
    let r = b.classify(&bar(READY, 30 * ONE, 0, 0));
    assert_eq!(r.run, 6);
    // An empty plugin's state round-trips too.
    let mut c = Classifier::new();
    c.load_state(&Classifier::new().save_state()).unwrap();
    assert_eq!(c, Classifier::new());
}

#[test]
fn regime_bad_state_is_rejected_and_changes_nothing() {
    let mut a = Classifier::new();
    a.classify(&bar(READY, 30 * ONE, 0, 0));
    let good = a.save_state();
    let mut p = Classifier::new();
    // Truncated, trailing byte, wrong magic, newer version.
    assert!(p.load_state(&good[..good.len() - 1]).is_err());
    let mut long = good.clone();
    long.push(0);
    assert!(p.load_state(&long).is_err());
    let mut magic = good.clone();
    magic[0] = b'X';
    assert!(p.load_state(&magic).is_err());
    let mut newer = good.clone();
    newer[4] = 2;
    assert!(p
        .load_state(&newer)
        .unwrap_err()
        .to_string()
        .contains("newer"));
    // A kind index out of range; a head out of range; run 0 with history.
    let mut bad_kind = good.clone();
    let last = bad_kind.len() - 1;
    bad_kind[last] = 5;
    assert!(p.load_state(&bad_kind).is_err());
    let mut bad_head = good.clone();
    bad_head[10] = HISTORY as u8;
    assert!(p.load_state(&bad_head).is_err());
    let mut bad_run = good.clone();
    bad_run[6..10].copy_from_slice(&0u32.to_le_bytes());
    assert!(p.load_state(&bad_run).is_err());
    assert_eq!(p, Classifier::new());
    // Every prefix fails without panicking.
    for n in 0..good.len() {
        assert!(p.load_state(&good[..n]).is_err());
    }
}

#[test]
fn regime_unknown_param_is_rejected_by_name() {
    let mut p = Classifier::new();
    let e = p.set_param("adx_trned", 30 * ONE).unwrap_err();
    assert!(e.to_string().contains("'adx_trned'"), "{e}");
}

#[test]
fn regime_param_out_of_range_or_inconsistent_is_rejected() {
    let mut p = Classifier::new();
    let e = p.set_param("atr_pct_volatile", ONE + 1).unwrap_err();
    assert!(e.to_string().contains("'atr_pct_volatile'"), "{e}");
    let e = p.set_param("adx_range", 26 * ONE).unwrap_err();
    assert!(
        e.to_string()
            .contains("adx_range must not exceed adx_trend"),
        "{e}"
    );
    assert_eq!(p.params().get(crate::logic::ADX_RANGE), 20 * ONE);
}

#[test]
fn regime_thresholds_follow_their_params() {
    let mut p = Classifier::new();
    p.set_param("adx_trend", 30 * ONE).unwrap();
    assert_eq!(
        p.decide(&bar(READY, 26 * ONE, 0, 0)).0,
        RegimeKind::Transitional
    );
    assert_eq!(
        p.decide(&bar(READY, 30 * ONE + 1, 0, 0)).0,
        RegimeKind::StrongTrend
    );
    p.set_param("atr_pct_volatile", 1_000_000).unwrap();
    assert_eq!(
        p.decide(&bar(READY, 31 * ONE, 1_000_000, 0)).0,
        RegimeKind::VolatileTrend
    );
    p.set_param("bb_width_tight", 2_000_000).unwrap();
    assert_eq!(
        p.decide(&bar(READY, 10 * ONE, 0, 1_999_999)).0,
        RegimeKind::TightRange
    );
    p.set_param("adx_range", 15 * ONE).unwrap();
    assert_eq!(
        p.decide(&bar(READY, 16 * ONE, 0, 0)).0,
        RegimeKind::Transitional
    );
    // A zero threshold gives a full margin instead of dividing by zero.
    p.set_param("atr_pct_volatile", 0).unwrap();
    assert_eq!(
        p.decide(&bar(READY, 45 * ONE, 0, 0)),
        (RegimeKind::VolatileTrend, ONE)
    );
    // adx_range == adx_trend: the transitional band is one value wide.
    let mut q = Classifier::new();
    q.set_param("adx_range", 25 * ONE).unwrap();
    assert_eq!(
        q.decide(&bar(READY, 25 * ONE, 0, 0)),
        (RegimeKind::Transitional, ONE / 2)
    );
}

#[test]
fn regime_specs_indices_match_names() {
    let names: Vec<_> = SPECS.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "adx_trend",
            "adx_range",
            "atr_pct_volatile",
            "bb_width_tight",
            "adx_scale"
        ]
    );
    for s in &SPECS {
        assert!(s.min <= s.default && s.default <= s.max, "{}", s.name);
    }
}
