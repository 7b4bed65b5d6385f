// Boundary cases of the regime plugin, shared with the host's tests.
//
// This file uses only primitive types so that `core` can `include!` it and
// run the same cases through wasmtime. Runner contract (both runners):
// a fresh plugin with default parameters; one bar whose `features` has
// `ready`, `adx`, `atr-pct`, `bb-width` from the case and every other field
// 0, candle fields 0, run-len 1, timeframe m1; one `classify` call; the
// result's kind (WIT name), confidence (e8) and run (1) must equal the case.
// Decimals are i64 scaled by 1e-8. No inner attributes or `use` here.
// (Contract 0.2: every input below is a field of the one context block of
// `wit/kairos-plugin.wit`, `enum field`; "bar", "features", "account", …
// name groups of those fields, and the upstream answers (regime,
// confidence, risk) are written into the block as the host's chain does.
// Fields not named are 0.)

/// One classification case.
pub struct Case {
    /// What the case proves.
    pub name: &'static str,
    /// The features' `ready` mask.
    pub ready: u32,
    /// ADX, 0–100, e8.
    pub adx: i64,
    /// ATR as a fraction of price, e8 (3_000_000 is 3 %).
    pub atr_pct: i64,
    /// Bollinger width as a fraction, e8 (1_000_000 is 0.01).
    pub bb_width: i64,
    /// Expected regime kind, WIT name.
    pub kind: &'static str,
    /// Expected confidence, e8.
    pub confidence: i64,
}

/// ADX | ATR% | BB width bits of the ready mask.
pub const READY: u32 = (1 << 2) | (1 << 1) | (1 << 5);

/// The cases.
#[rustfmt::skip]
pub const CASES: &[Case] = &[
    Case { name: "adx_exactly_25_is_not_a_trend", ready: READY, adx: 2_500_000_000, atr_pct: 2_000_000, bb_width: 2_000_000, kind: "transitional", confidence: 50_000_000 },
    Case { name: "adx_25_00000001_with_atr_2pct_is_strong_trend", ready: READY, adx: 2_500_000_001, atr_pct: 2_000_000, bb_width: 2_000_000, kind: "strong-trend", confidence: 50_000_000 },
    Case { name: "atr_exactly_3pct_is_volatile_trend", ready: READY, adx: 2_500_000_001, atr_pct: 3_000_000, bb_width: 2_000_000, kind: "volatile-trend", confidence: 50_000_000 },
    Case { name: "atr_just_below_3pct_is_strong_trend", ready: READY, adx: 2_500_000_001, atr_pct: 2_999_999, bb_width: 2_000_000, kind: "strong-trend", confidence: 50_000_000 },
    Case { name: "strong_trend_confidence_is_half_plus_half_the_smaller_margin", ready: READY, adx: 3_500_000_000, atr_pct: 1_500_000, bb_width: 2_000_000, kind: "strong-trend", confidence: 75_000_000 },
    Case { name: "strong_trend_far_from_every_threshold_has_confidence_1", ready: READY, adx: 4_500_000_000, atr_pct: 0, bb_width: 2_000_000, kind: "strong-trend", confidence: 100_000_000 },
    Case { name: "strong_trend_confidence_rounds_down", ready: READY, adx: 4_000_000_000, atr_pct: 2_000_000, bb_width: 2_000_000, kind: "strong-trend", confidence: 66_666_666 },
    Case { name: "volatile_trend_confidence_from_both_margins", ready: READY, adx: 3_000_000_000, atr_pct: 4_500_000, bb_width: 2_000_000, kind: "volatile-trend", confidence: 75_000_000 },
    Case { name: "adx_exactly_20_is_not_a_range", ready: READY, adx: 2_000_000_000, atr_pct: 2_000_000, bb_width: 500_000, kind: "transitional", confidence: 50_000_000 },
    Case { name: "adx_19_99999999_with_narrow_bands_is_tight_range", ready: READY, adx: 1_999_999_999, atr_pct: 2_000_000, bb_width: 500_000, kind: "tight-range", confidence: 50_000_000 },
    Case { name: "bb_width_exactly_0_01_is_choppy", ready: READY, adx: 1_999_999_999, atr_pct: 2_000_000, bb_width: 1_000_000, kind: "choppy", confidence: 50_000_000 },
    Case { name: "bb_width_just_below_0_01_is_tight_range", ready: READY, adx: 1_999_999_999, atr_pct: 2_000_000, bb_width: 999_999, kind: "tight-range", confidence: 50_000_000 },
    Case { name: "tight_range_confidence_from_both_margins", ready: READY, adx: 1_000_000_000, atr_pct: 2_000_000, bb_width: 500_000, kind: "tight-range", confidence: 75_000_000 },
    Case { name: "choppy_far_from_thresholds_has_confidence_1", ready: READY, adx: 500_000_000, atr_pct: 2_000_000, bb_width: 3_000_000, kind: "choppy", confidence: 100_000_000 },
    Case { name: "transitional_in_the_middle_has_confidence_1", ready: READY, adx: 2_250_000_000, atr_pct: 9_000_000, bb_width: 9_000_000, kind: "transitional", confidence: 100_000_000 },
    Case { name: "transitional_one_point_from_a_threshold", ready: READY, adx: 2_100_000_000, atr_pct: 2_000_000, bb_width: 2_000_000, kind: "transitional", confidence: 70_000_000 },
    Case { name: "missing_adx_is_transitional_with_confidence_0", ready: (1 << 1) | (1 << 5), adx: 4_000_000_000, atr_pct: 1_000_000, bb_width: 2_000_000, kind: "transitional", confidence: 0 },
    Case { name: "missing_atr_pct_is_transitional_with_confidence_0", ready: (1 << 2) | (1 << 5), adx: 4_000_000_000, atr_pct: 1_000_000, bb_width: 2_000_000, kind: "transitional", confidence: 0 },
    Case { name: "missing_bb_width_is_transitional_with_confidence_0", ready: (1 << 2) | (1 << 1), adx: 1_000_000_000, atr_pct: 1_000_000, bb_width: 500_000, kind: "transitional", confidence: 0 },
    Case { name: "nothing_ready_is_transitional_with_confidence_0", ready: 0, adx: 0, atr_pct: 0, bb_width: 0, kind: "transitional", confidence: 0 },
    Case { name: "other_ready_bits_do_not_matter", ready: 0xffff, adx: 3_500_000_000, atr_pct: 1_500_000, bb_width: 2_000_000, kind: "strong-trend", confidence: 75_000_000 },
    Case { name: "extreme_values_saturate_without_panicking", ready: READY, adx: i64::MAX, atr_pct: i64::MIN, bb_width: i64::MAX, kind: "strong-trend", confidence: 100_000_000 },
    Case { name: "negative_adx_is_a_range", ready: READY, adx: i64::MIN, atr_pct: 0, bb_width: i64::MIN, kind: "tight-range", confidence: 100_000_000 },
];

/// One history case: the steps are classified in order on a fresh plugin.
pub struct Sequence {
    /// What the case proves.
    pub name: &'static str,
    /// (adx, atr_pct, bb_width) per step, all with `READY`.
    pub steps: &'static [(i64, i64, i64)],
    /// Expected kind of the last step, WIT name.
    pub kind: &'static str,
    /// Expected run of the last step.
    pub run: u32,
}

/// The history cases.
#[rustfmt::skip]
pub const SEQUENCES: &[Sequence] = &[
    Sequence { name: "first_classification_has_run_1", steps: &[(3_000_000_000, 1_000_000, 0)], kind: "strong-trend", run: 1 },
    Sequence { name: "three_equal_classifications_have_run_3", steps: &[(3_000_000_000, 1_000_000, 0), (3_100_000_000, 1_000_000, 0), (4_000_000_000, 2_000_000, 0)], kind: "strong-trend", run: 3 },
    Sequence { name: "a_change_of_regime_restarts_the_run", steps: &[(3_000_000_000, 1_000_000, 0), (3_000_000_000, 1_000_000, 0), (3_000_000_000, 4_000_000, 0)], kind: "volatile-trend", run: 1 },
    Sequence { name: "run_counts_only_the_latest_streak", steps: &[(1_000_000_000, 0, 0), (2_200_000_000, 0, 0), (1_000_000_000, 0, 0), (1_000_000_000, 0, 0)], kind: "tight-range", run: 2 },
];
