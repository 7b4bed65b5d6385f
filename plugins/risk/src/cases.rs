// Boundary cases of the risk plugin, shared with the host's tests.
//
// Only primitive types, so `core` can `include!` this file and run the same
// cases through wasmtime. Runner contract (both runners): a fresh plugin
// with default parameters; one `assess` call per entry of `closes`, in
// order, each with
// - bar: timeframe m1, run-len 1, candle open-time 0 and open/high/low/
//   close all = that close, volume 0; features with `ready`, `atr`,
//   `atr-pct` from the case and every other field 0;
// - regime: transitional, confidence 0, run 1 (unused by the plugin);
// - confidence: every field 0 except size-multiplier = `size_multiplier`;
// - account: position-qty, avg-entry, equity, peak-equity from the case,
//   free-quote = equity, open-orders 0;
// - trade stats: closed, wins, avg-win, avg-loss from the case.
// The result of the LAST call must equal the case's expected fields.
// Decimals are i64 scaled by 1e-8. The expected values were computed with
// an independent exact-fraction model of the rules documented in logic.rs.
// (Contract 0.2: every input below is a field of the one context block of
// `wit/kairos-plugin.wit`, `enum field`; "bar", "features", "account", …
// name groups of those fields, and the upstream answers (regime,
// confidence, risk) are written into the block as the host's chain does.
// Fields not named are 0.)

/// One assessment case (a sequence of closes with the same other inputs).
pub struct Case {
    /// What the case proves.
    pub name: &'static str,
    /// Closed round trips.
    pub closed: u32,
    /// Winning round trips.
    pub wins: u32,
    /// Mean winning return, e8 fraction.
    pub avg_win: i64,
    /// Mean losing return (positive), e8 fraction.
    pub avg_loss: i64,
    /// The confidence's size multiplier, e8.
    pub size_multiplier: i64,
    /// The features' `ready` mask (bit 0 ATR, bit 1 ATR%).
    pub ready: u32,
    /// ATR, quote, e8.
    pub atr: i64,
    /// ATR as a fraction of price, e8.
    pub atr_pct: i64,
    /// Closes of the successive bars, e8.
    pub closes: &'static [i64],
    /// Account position, base, e8.
    pub position_qty: i64,
    /// Account average entry, e8.
    pub avg_entry: i64,
    /// Account equity, e8.
    pub equity: i64,
    /// Account peak equity, e8.
    pub peak_equity: i64,
    /// Expected size fraction.
    pub size_fraction: i64,
    /// Expected stop price.
    pub stop_price: i64,
    /// Expected take-profit.
    pub take_profit: i64,
    /// Expected trailing stop.
    pub trailing_stop: i64,
    /// Expected halt flag.
    pub halt_entries: bool,
}

/// The cases.
#[rustfmt::skip]
pub const CASES: &[Case] = &[
    Case { name: "fewer_than_30_trades_use_1pct", closed: 29, wins: 29, avg_win: 10000000, avg_loss: 1000000, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "thirty_trades_use_quarter_kelly_capped_at_exactly_10pct", closed: 30, wins: 18, avg_win: 4000000, avg_loss: 2000000, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 10000000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "quarter_kelly_inside_the_caps", closed: 40, wins: 22, avg_win: 3000000, avg_loss: 2000000, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 6250000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "quarter_kelly_exactly_at_the_0_5pct_floor", closed: 100, wins: 51, avg_win: 2000000, avg_loss: 2000000, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 500000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "quarter_kelly_just_above_the_floor", closed: 100, wins: 52, avg_win: 2000000, avg_loss: 2000000, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "zero_edge_kelly_is_raised_to_0_5pct", closed: 100, wins: 50, avg_win: 2000000, avg_loss: 2000000, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 500000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "negative_kelly_is_raised_to_0_5pct", closed: 30, wins: 3, avg_win: 1000000, avg_loss: 5000000, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 500000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "huge_edge_is_capped_at_10pct", closed: 100, wins: 90, avg_win: 5000000, avg_loss: 1000000, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 10000000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "no_average_win_is_the_floor", closed: 30, wins: 0, avg_win: 0, avg_loss: 2000000, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 500000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "no_average_loss_means_f_equals_w", closed: 30, wins: 6, avg_win: 2000000, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 5000000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "confidence_multiplier_scales_the_size", closed: 40, wins: 22, avg_win: 3000000, avg_loss: 2000000, size_multiplier: 60000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 3750000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "confidence_skip_gives_size_0", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 0, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 0, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "drawdown_exactly_10pct_halves_the_size", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 900000000000, peak_equity: 1000000000000,
        size_fraction: 500000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "drawdown_just_below_10pct_keeps_the_size", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 900000000001, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "drawdown_exactly_20pct_halts_entries", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 800000000000, peak_equity: 1000000000000,
        size_fraction: 0, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: true },
    Case { name: "drawdown_just_below_20pct_is_halved_not_halted", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 800000000001, peak_equity: 1000000000000,
        size_fraction: 500000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "equity_above_peak_is_no_drawdown", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1100000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "zero_peak_is_no_drawdown", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 500000000, peak_equity: 0,
        size_fraction: 1000000, stop_price: 9600000000, take_profit: 10800000000, trailing_stop: 0, halt_entries: false },
    Case { name: "atr_pct_just_below_1_5pct_uses_1_5_atr", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 100000000, atr_pct: 1499999, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9850000000, take_profit: 10300000000, trailing_stop: 0, halt_entries: false },
    Case { name: "atr_pct_exactly_1_5pct_uses_2_atr", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 100000000, atr_pct: 1500000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9800000000, take_profit: 10400000000, trailing_stop: 0, halt_entries: false },
    Case { name: "atr_pct_just_below_3pct_uses_2_atr", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 100000000, atr_pct: 2999999, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9800000000, take_profit: 10400000000, trailing_stop: 0, halt_entries: false },
    Case { name: "atr_pct_exactly_3pct_uses_2_5_atr", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 100000000, atr_pct: 3000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9750000000, take_profit: 10500000000, trailing_stop: 0, halt_entries: false },
    Case { name: "atr_pct_just_below_5pct_uses_2_5_atr", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 100000000, atr_pct: 4999999, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9750000000, take_profit: 10500000000, trailing_stop: 0, halt_entries: false },
    Case { name: "atr_pct_exactly_5pct_uses_3_atr", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 100000000, atr_pct: 5000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9700000000, take_profit: 10600000000, trailing_stop: 0, halt_entries: false },
    Case { name: "stop_distance_rounds_down", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 149999999, atr_pct: 1000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9775000002, take_profit: 10449999996, trailing_stop: 0, halt_entries: false },
    Case { name: "stop_just_inside_the_5pct_cap", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 249999999, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9500000002, take_profit: 10999999996, trailing_stop: 0, halt_entries: false },
    Case { name: "stop_exactly_at_the_5pct_cap", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 250000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9500000000, take_profit: 11000000000, trailing_stop: 0, halt_entries: false },
    Case { name: "stop_beyond_the_cap_is_capped_at_5pct", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 250000001, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9500000000, take_profit: 11000000000, trailing_stop: 0, halt_entries: false },
    Case { name: "wide_atr_is_capped_at_5pct", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 1000000000, atr_pct: 10000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9500000000, take_profit: 11000000000, trailing_stop: 0, halt_entries: false },
    Case { name: "atr_not_ready_gives_no_stop_and_no_size", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 2, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 0, stop_price: 0, take_profit: 0, trailing_stop: 0, halt_entries: false },
    Case { name: "atr_pct_not_ready_gives_no_stop_and_no_size", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 1, atr: 200000000, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 0, stop_price: 0, take_profit: 0, trailing_stop: 0, halt_entries: false },
    Case { name: "zero_atr_gives_no_stop_and_no_size", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 0, atr_pct: 2000000, closes: &[10000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 0, stop_price: 0, take_profit: 0, trailing_stop: 0, halt_entries: false },
    Case { name: "trailing_activates_at_exactly_2_5pct", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 100000000, atr_pct: 1000000, closes: &[10250000000],
        position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 10100000000, take_profit: 10550000000, trailing_stop: 10100000000, halt_entries: false },
    Case { name: "trailing_inactive_just_below_2_5pct", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 100000000, atr_pct: 1000000, closes: &[10249999999],
        position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 10099999999, take_profit: 10549999999, trailing_stop: 0, halt_entries: false },
    Case { name: "trailing_follows_the_highest_close_not_the_last", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 100000000, atr_pct: 1000000, closes: &[10000000000, 10300000000, 10100000000],
        position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9950000000, take_profit: 10400000000, trailing_stop: 10150000000, halt_entries: false },
    Case { name: "trailing_stays_active_after_price_falls_back", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 100000000, atr_pct: 1000000, closes: &[10300000000, 9900000000],
        position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9750000000, take_profit: 10200000000, trailing_stop: 10150000000, halt_entries: false },
    Case { name: "trailing_never_below_break_even", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 400000000, atr_pct: 4000000, closes: &[10300000000],
        position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 9785000000, take_profit: 11330000000, trailing_stop: 10000000000, halt_entries: false },
    Case { name: "trailing_without_atr_sits_at_break_even", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 0, atr: 0, atr_pct: 0, closes: &[10300000000],
        position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 0, stop_price: 0, take_profit: 0, trailing_stop: 10000000000, halt_entries: false },
    Case { name: "trailing_is_0_when_flat", closed: 0, wins: 0, avg_win: 0, avg_loss: 0, size_multiplier: 100000000, ready: 3, atr: 100000000, atr_pct: 1000000, closes: &[10000000000, 12000000000],
        position_qty: 0, avg_entry: 0, equity: 1000000000000, peak_equity: 1000000000000,
        size_fraction: 1000000, stop_price: 11850000000, take_profit: 12300000000, trailing_stop: 0, halt_entries: false },
    Case { name: "extreme_inputs_do_not_panic", closed: u32::MAX, wins: u32::MAX, avg_win: i64::MAX, avg_loss: i64::MAX, size_multiplier: i64::MAX, ready: 3, atr: i64::MAX, atr_pct: i64::MAX, closes: &[i64::MAX],
        position_qty: i64::MAX, avg_entry: 1, equity: i64::MIN, peak_equity: i64::MAX,
        size_fraction: 0, stop_price: 8762203435012037017, take_profit: i64::MAX, trailing_stop: 1, halt_entries: true },
];
