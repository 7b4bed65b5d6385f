// Boundary cases of the confidence plugin, shared with the host's tests.
//
// Only primitive types, so `core` can `include!` this file and run the same
// cases through wasmtime. Runner contract (both runners): a fresh plugin
// with default parameters; one `score` call with
// - bar: timeframe m1, candle fields 0, run-len 1, features with `ready`,
//   `rsi`, `macd-hist`, `atr`, `volume-ratio`, `support-distance`,
//   `resistance-distance` from the case and every other field 0;
// - trend votes m5, m15, h1, h4 = `votes[0..4]`;
// - regime: transitional, confidence 0, run 1 (unused by the plugin);
// - prediction: valid = `gru_valid`, age-ms = `gru_age_ms`, prob-up =
//   `gru_prob_up`, expected-return 0;
// - sentiment = `sentiment` (negative: absent).
// Every field of the returned confidence must equal the case. Decimals are
// i64 scaled by 1e-8. The expected values were computed with an independent
// exact-fraction model of the rules documented in logic.rs.
// (Contract 0.2: every input below is a field of the one context block of
// `wit/kairos-plugin.wit`, `enum field`; "bar", "features", "account", …
// name groups of those fields, and the upstream answers (regime,
// confidence, risk) are written into the block as the host's chain does.
// Fields not named are 0.)

/// One scoring case.
pub struct Case {
    /// What the case proves.
    pub name: &'static str,
    /// The features' `ready` mask.
    pub ready: u32,
    /// RSI, 0–100, e8.
    pub rsi: i64,
    /// MACD histogram, e8.
    pub macd_hist: i64,
    /// ATR, e8.
    pub atr: i64,
    /// Volume ratio, e8.
    pub volume_ratio: i64,
    /// Support distance (fraction), e8.
    pub support: i64,
    /// Resistance distance (fraction), e8.
    pub resistance: i64,
    /// Trend votes m5, m15, h1, h4.
    pub votes: [i8; 4],
    /// Prediction `valid`.
    pub gru_valid: bool,
    /// Prediction `age-ms`.
    pub gru_age_ms: u64,
    /// Prediction `prob-up`, e8.
    pub gru_prob_up: i64,
    /// Sentiment, e8 (negative: absent).
    pub sentiment: i64,
    /// Expected score.
    pub score: i64,
    /// Expected size multiplier.
    pub size_multiplier: i64,
    /// Expected RSI component.
    pub c_rsi: i64,
    /// Expected MACD component.
    pub c_macd: i64,
    /// Expected volume component.
    pub c_volume: i64,
    /// Expected trend component.
    pub c_trend: i64,
    /// Expected levels component.
    pub c_levels: i64,
    /// Expected sentiment component.
    pub c_sentiment: i64,
    /// Expected GRU component.
    pub c_gru: i64,
}

/// The cases.
#[rustfmt::skip]
pub const CASES: &[Case] = &[
    Case { name: "score_exactly_0_75_gives_full_size", ready: 0xe241, rsi: 4000000000, macd_hist: 2500000000, atr: 10000000000, volume_ratio: 125000000, support: 1000000, resistance: 3000000, votes: [1, 1, 1, -1], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: 75000000,
        score: 75000000, size_multiplier: 100000000, c_rsi: 75000000, c_macd: 75000000, c_volume: 75000000, c_trend: 75000000, c_levels: 75000000, c_sentiment: 75000000, c_gru: 50000000 },
    Case { name: "score_0_74999999_gives_0_6", ready: 0xe241, rsi: 4000000000, macd_hist: 2500000000, atr: 10000000000, volume_ratio: 125000000, support: 1000000, resistance: 3000000, votes: [1, 1, 1, -1], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: 74999980,
        score: 74999999, size_multiplier: 60000000, c_rsi: 75000000, c_macd: 75000000, c_volume: 75000000, c_trend: 75000000, c_levels: 75000000, c_sentiment: 74999980, c_gru: 50000000 },
    Case { name: "score_exactly_0_60_gives_0_6", ready: 0xe241, rsi: 4600000000, macd_hist: 1000000000, atr: 10000000000, volume_ratio: 110000000, support: 2000000, resistance: 3000000, votes: [1, 1, 0, -1], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 60000000, size_multiplier: 60000000, c_rsi: 60000000, c_macd: 60000000, c_volume: 60000000, c_trend: 62500000, c_levels: 60000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "score_0_59999999_gives_0_3", ready: 0xe241, rsi: 4600000000, macd_hist: 1000000000, atr: 10000000000, volume_ratio: 110000000, support: 2000000, resistance: 3000000, votes: [1, 1, 0, -1], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: 49999980,
        score: 59999999, size_multiplier: 30000000, c_rsi: 60000000, c_macd: 60000000, c_volume: 60000000, c_trend: 62500000, c_levels: 60000000, c_sentiment: 49999980, c_gru: 50000000 },
    Case { name: "score_exactly_0_50_gives_0_3", ready: 0x0, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 50000000, size_multiplier: 30000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "score_0_49999999_skips", ready: 0x0, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: 49999980,
        score: 49999999, size_multiplier: 0, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 49999980, c_gru: 50000000 },
    Case { name: "everything_bullish_scores_1", ready: 0xe241, rsi: 1000000000, macd_hist: 6000000000, atr: 10000000000, volume_ratio: 300000000, support: 0, resistance: 5000000, votes: [1, 1, 1, 1], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: 100000000,
        score: 100000000, size_multiplier: 100000000, c_rsi: 100000000, c_macd: 100000000, c_volume: 100000000, c_trend: 100000000, c_levels: 100000000, c_sentiment: 100000000, c_gru: 50000000 },
    Case { name: "everything_bearish_scores_0", ready: 0xe241, rsi: 9000000000, macd_hist: -6000000000, atr: 10000000000, volume_ratio: 0, support: 5000000, resistance: 0, votes: [-1, -1, -1, -1], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: 0,
        score: 0, size_multiplier: 0, c_rsi: 0, c_macd: 0, c_volume: 0, c_trend: 0, c_levels: 0, c_sentiment: 0, c_gru: 50000000 },
    Case { name: "rsi_exactly_30_is_1", ready: 0x40, rsi: 3000000000, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 57500000, size_multiplier: 30000000, c_rsi: 100000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "rsi_just_above_30_rounds_down", ready: 0x40, rsi: 3000000001, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 57499999, size_multiplier: 30000000, c_rsi: 99999999, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "rsi_exactly_70_is_0", ready: 0x40, rsi: 7000000000, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 42500000, size_multiplier: 0, c_rsi: 0, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "rsi_just_below_70_rounds_down_to_0", ready: 0x40, rsi: 6999999999, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 42500000, size_multiplier: 0, c_rsi: 0, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "rsi_50_is_neutral", ready: 0x40, rsi: 5000000000, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 50000000, size_multiplier: 30000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "macd_half_atr_above_is_1", ready: 0x201, rsi: 0, macd_hist: 5000000000, atr: 10000000000, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 60000000, size_multiplier: 60000000, c_rsi: 50000000, c_macd: 100000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "macd_tiny_negative_rounds_down", ready: 0x201, rsi: 0, macd_hist: -1, atr: 10000000000, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 49999999, size_multiplier: 0, c_rsi: 50000000, c_macd: 49999999, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "macd_without_atr_uses_the_sign", ready: 0x200, rsi: 0, macd_hist: 1, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 60000000, size_multiplier: 60000000, c_rsi: 50000000, c_macd: 100000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "macd_negative_without_atr_is_0", ready: 0x200, rsi: 0, macd_hist: -1, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 40000000, size_multiplier: 0, c_rsi: 50000000, c_macd: 0, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "macd_with_zero_atr_uses_the_sign", ready: 0x201, rsi: 0, macd_hist: 500000000, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 60000000, size_multiplier: 60000000, c_rsi: 50000000, c_macd: 100000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "volume_exactly_0_5_is_0", ready: 0x2000, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 50000000, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 35000000, size_multiplier: 0, c_rsi: 50000000, c_macd: 50000000, c_volume: 0, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "volume_exactly_1_5_is_1", ready: 0x2000, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 150000000, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 65000000, size_multiplier: 60000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 100000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "volume_1_is_half", ready: 0x2000, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 100000000, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 50000000, size_multiplier: 30000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "votes_out_of_range_are_clamped", ready: 0x0, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [100, -100, 1, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 52500000, size_multiplier: 30000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 62500000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "only_support_ready_assumes_resistance_5pct_away", ready: 0x4000, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: 1000000, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 53333333, size_multiplier: 30000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 83333333, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "only_resistance_ready_assumes_support_5pct_away", ready: 0x8000, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 15000000, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 52500000, size_multiplier: 30000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 75000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "both_levels_at_zero_distance_are_neutral", ready: 0xc000, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 50000000, size_multiplier: 30000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "negative_level_distance_counts_as_zero", ready: 0xc000, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: -1000000, resistance: 2000000, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: -1,
        score: 55000000, size_multiplier: 30000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 100000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "sentiment_zero_is_present_and_bearish", ready: 0x0, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: 0,
        score: 47500000, size_multiplier: 0, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 0, c_gru: 50000000 },
    Case { name: "sentiment_above_1_is_clamped", ready: 0x0, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 0, sentiment: 200000000,
        score: 52500000, size_multiplier: 30000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 100000000, c_gru: 50000000 },
    Case { name: "fresh_gru_adds_its_weight_and_renormalises", ready: 0x0, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: true, gru_age_ms: 0, gru_prob_up: 100000000, sentiment: -1,
        score: 54545454, size_multiplier: 30000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 100000000 },
    Case { name: "gru_age_just_below_max_is_fresh", ready: 0x0, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: true, gru_age_ms: 119999, gru_prob_up: 0, sentiment: -1,
        score: 45454545, size_multiplier: 0, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 0 },
    Case { name: "gru_age_exactly_max_is_stale", ready: 0x0, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: true, gru_age_ms: 120000, gru_prob_up: 100000000, sentiment: -1,
        score: 50000000, size_multiplier: 30000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "invalid_gru_is_ignored", ready: 0x0, rsi: 0, macd_hist: 0, atr: 0, volume_ratio: 0, support: 0, resistance: 0, votes: [0, 0, 0, 0], gru_valid: false, gru_age_ms: 0, gru_prob_up: 100000000, sentiment: -1,
        score: 50000000, size_multiplier: 30000000, c_rsi: 50000000, c_macd: 50000000, c_volume: 50000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 50000000, c_gru: 50000000 },
    Case { name: "gru_prob_above_1_is_clamped", ready: 0xe241, rsi: 4000000000, macd_hist: 2500000000, atr: 10000000000, volume_ratio: 125000000, support: 1000000, resistance: 3000000, votes: [1, 1, 1, -1], gru_valid: true, gru_age_ms: 5, gru_prob_up: 300000000, sentiment: 75000000,
        score: 77272727, size_multiplier: 100000000, c_rsi: 75000000, c_macd: 75000000, c_volume: 75000000, c_trend: 75000000, c_levels: 75000000, c_sentiment: 75000000, c_gru: 100000000 },
    Case { name: "extreme_inputs_do_not_panic", ready: 0xe241, rsi: i64::MIN, macd_hist: i64::MIN, atr: i64::MAX, volume_ratio: i64::MAX, support: i64::MAX, resistance: i64::MAX, votes: [-128, 127, -128, 127], gru_valid: true, gru_age_ms: 0, gru_prob_up: i64::MIN, sentiment: i64::MAX,
        score: 59090909, size_multiplier: 30000000, c_rsi: 100000000, c_macd: 0, c_volume: 100000000, c_trend: 50000000, c_levels: 50000000, c_sentiment: 100000000, c_gru: 0 },
];
