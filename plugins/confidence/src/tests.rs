//! Native tests: the shared boundary table plus parameters and state.

use crate::cases::CASES;
use crate::logic::{Scorer, SPECS};
use kairos_plugin_sdk::dec::ONE;
use kairos_plugin_sdk::model::{Bar, Prediction, TrendVotes};

fn run(s: &Scorer, c: &crate::cases::Case) -> kairos_plugin_sdk::model::Confidence {
    let mut bar = Bar {
        run_len: 1,
        ..Bar::default()
    };
    let f = &mut bar.features;
    f.ready = c.ready;
    f.rsi = c.rsi;
    f.macd_hist = c.macd_hist;
    f.atr = c.atr;
    f.volume_ratio = c.volume_ratio;
    f.support_distance = c.support;
    f.resistance_distance = c.resistance;
    let v = TrendVotes {
        m5: c.votes[0],
        m15: c.votes[1],
        h1: c.votes[2],
        h4: c.votes[3],
    };
    let p = Prediction {
        valid: c.gru_valid,
        age_ms: c.gru_age_ms,
        expected_return: 0,
        prob_up: c.gru_prob_up,
    };
    s.score(&bar, &v, &p, c.sentiment)
}

#[test]
fn confidence_boundary_table_matches_every_field() {
    assert!(CASES.len() >= 30);
    let s = Scorer::new();
    for c in CASES {
        let r = run(&s, c);
        let got = [
            r.score,
            r.size_multiplier,
            r.rsi,
            r.macd,
            r.volume,
            r.trend,
            r.levels,
            r.sentiment,
            r.gru,
        ];
        let want = [
            c.score,
            c.size_multiplier,
            c.c_rsi,
            c.c_macd,
            c.c_volume,
            c.c_trend,
            c.c_levels,
            c.c_sentiment,
            c.c_gru,
        ];
        assert_eq!(got, want, "{}", c.name);
    }
}

#[test]
fn confidence_decision_thresholds_are_inclusive() {
    let s = Scorer::new();
    let table = [
        (75_000_000, ONE),
        (74_999_999, 60_000_000),
        (60_000_000, 60_000_000),
        (59_999_999, 30_000_000),
        (50_000_000, 30_000_000),
        (49_999_999, 0),
        (0, 0),
        (ONE, ONE),
    ];
    for (score, mult) in table {
        assert_eq!(s.size_multiplier(score), mult, "score {score}");
    }
}

#[test]
fn confidence_gru_weight_param_changes_the_renormalised_score() {
    let mut s = Scorer::new();
    let c = CASES
        .iter()
        .find(|c| c.name == "fresh_gru_adds_its_weight_and_renormalises")
        .unwrap();
    // Default 0.10: (0.5 + 0.1) / 1.1.
    assert_eq!(run(&s, c).score, 54_545_454);
    // Weight 1: (0.5 + 1) / 2.
    s.set_param("w_gru", ONE).unwrap();
    assert_eq!(run(&s, c).score, 75_000_000);
    // Weight 0: the seed's score.
    s.set_param("w_gru", 0).unwrap();
    assert_eq!(run(&s, c).score, 50_000_000);
}

#[test]
fn confidence_gru_max_age_param_moves_the_staleness_edge() {
    let mut s = Scorer::new();
    s.set_param("gru_max_age_ms", 1_000 * ONE).unwrap();
    let p = |age| Prediction {
        valid: true,
        age_ms: age,
        expected_return: 0,
        prob_up: ONE,
    };
    assert_eq!(s.gru_component(&p(999)), (ONE, true));
    assert_eq!(s.gru_component(&p(1_000)), (ONE / 2, false));
    assert_eq!(s.gru_component(&p(u64::MAX)), (ONE / 2, false));
}

#[test]
fn confidence_unknown_param_is_rejected_by_name() {
    let mut s = Scorer::new();
    let e = s.set_param("w_sentimnet", 0).unwrap_err();
    assert!(e.to_string().contains("'w_sentimnet'"), "{e}");
}

#[test]
fn confidence_inconsistent_params_are_rejected_and_leave_old_values() {
    let mut s = Scorer::new();
    let e = s.set_param("reduced_threshold", 80_000_000).unwrap_err();
    assert!(e.to_string().contains("'reduced_threshold'"), "{e}");
    assert!(s.set_param("rsi_oversold", 70 * ONE).is_err());
    assert!(s.set_param("volume_high", 50_000_000).is_err());
    assert!(s
        .set_param("gru_max_age_ms", ONE / 2)
        .unwrap_err()
        .to_string()
        .contains("whole number"));
    assert!(s
        .set_param("full_threshold", ONE + 1)
        .unwrap_err()
        .to_string()
        .contains("out of range"));
    for w in ["w_rsi", "w_macd", "w_volume", "w_trend", "w_levels"] {
        s.set_param(w, 0).unwrap();
    }
    assert!(s
        .set_param("w_sentiment", 0)
        .unwrap_err()
        .to_string()
        .contains("must not all be 0"));
    assert_eq!(s.params().get(crate::logic::W_SENTIMENT), 5_000_000);
    // With only sentiment weighted, the score is the sentiment.
    let c = CASES
        .iter()
        .find(|c| c.name == "sentiment_above_1_is_clamped")
        .unwrap();
    assert_eq!(run(&s, c).score, ONE);
}

#[test]
fn confidence_state_round_trip_and_bad_state() {
    let mut s = Scorer::new();
    let saved = s.save_state();
    s.load_state(&saved).unwrap();
    assert!(
        s.load_state(b"KRGM\x01\x00").is_err(),
        "another plugin's state"
    );
    assert!(s
        .load_state(b"KCNF\x02\x00")
        .unwrap_err()
        .to_string()
        .contains("newer"));
    assert!(s.load_state(b"KCNF\x01\x00\x00").is_err(), "trailing byte");
    assert!(s.load_state(b"").is_err());
}

#[test]
fn confidence_specs_defaults_are_the_seeds() {
    let d: Vec<_> = SPECS.iter().map(|s| (s.name, s.default)).collect();
    assert_eq!(
        &d[..7],
        &[
            ("w_rsi", 15_000_000),
            ("w_macd", 20_000_000),
            ("w_volume", 30_000_000),
            ("w_trend", 20_000_000),
            ("w_levels", 10_000_000),
            ("w_sentiment", 5_000_000),
            ("w_gru", 10_000_000),
        ]
    );
    let base: i64 = d[..6].iter().map(|x| x.1).sum();
    assert_eq!(base, ONE, "the seed's weights sum to 1");
    for s in &SPECS {
        assert!(s.min <= s.default && s.default <= s.max, "{}", s.name);
    }
}
