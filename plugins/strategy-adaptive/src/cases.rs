// Boundary cases of the strategy-adaptive plugin, shared with the host's
// tests.
//
// Only primitive types, so `core` can `include!` this file and run the same
// cases through wasmtime. Runner contract (both runners), on a fresh plugin
// with default parameters:
// - common inputs: regime {kind: `regime` (WIT name), confidence 0, run 1};
//   confidence {score, size-multiplier from the case, every other field 0};
//   risk {size-fraction, stop-price = `risk_stop`, take-profit =
//   `risk_take_profit`, trailing-stop, halt-entries from the case};
//   account {position-qty, avg-entry, equity, free-quote, open-orders from
//   the case, peak-equity = equity};
// - warm-up, only when `prev_high` > 0: one `on-candle` with a bar whose
//   open/high/low/close are all `prev_high`, volume 0, open-time 0, run-len
//   1, features all 0 with `ready` 0; its output is ignored;
// - then one `on-candle` with a bar: timeframe m1, open-time 60000,
//   open/high/low/close all `close`, volume 0, run-len 2, features with
//   `ready`, `ema-fast`, `ema-slow`, `sma`, `rsi` from the case and every
//   other field 0.
// The intents of that last call must equal, in order, the columns
// `kinds` (WIT names), `qtys`, `prices`, `stops` (stop-price), and
// `take_profits`, `tags`. Decimals are i64 scaled by 1e-8. The expected
// values were computed with an independent exact-fraction model of the
// rules documented in logic.rs.
// (Contract 0.2: every input below is a field of the one context block of
// `wit/kairos-plugin.wit`, `enum field`; "bar", "features", "account", …
// name groups of those fields, and the upstream answers (regime,
// confidence, risk) are written into the block as the host's chain does.
// Fields not named are 0.)

/// One decision case.
pub struct Case {
    /// What the case proves.
    pub name: &'static str,
    /// Regime kind, WIT name.
    pub regime: &'static str,
    /// Confidence score, e8.
    pub score: i64,
    /// Confidence size multiplier, e8.
    pub size_multiplier: i64,
    /// Risk size fraction, e8.
    pub size_fraction: i64,
    /// Risk stop price, e8.
    pub risk_stop: i64,
    /// Risk take-profit, e8.
    pub risk_take_profit: i64,
    /// Risk trailing stop, e8.
    pub trailing_stop: i64,
    /// Risk halt flag.
    pub halt_entries: bool,
    /// Features `ready` mask.
    pub ready: u32,
    /// Fast EMA, e8.
    pub ema_fast: i64,
    /// Slow EMA, e8.
    pub ema_slow: i64,
    /// SMA, e8.
    pub sma: i64,
    /// RSI, e8.
    pub rsi: i64,
    /// High of the warm-up candle (0: no warm-up), e8.
    pub prev_high: i64,
    /// Close of the decided candle, e8.
    pub close: i64,
    /// Account position, e8.
    pub position_qty: i64,
    /// Account average entry, e8.
    pub avg_entry: i64,
    /// Account equity, e8.
    pub equity: i64,
    /// Account free quote, e8.
    pub free_quote: i64,
    /// Account open orders.
    pub open_orders: u32,
    /// Expected intent kinds, WIT names.
    pub kinds: &'static [&'static str],
    /// Expected quantities.
    pub qtys: &'static [i64],
    /// Expected limit prices.
    pub prices: &'static [i64],
    /// Expected stop prices.
    pub stops: &'static [i64],
    /// Expected take-profits.
    pub take_profits: &'static [i64],
    /// Expected tags.
    pub tags: &'static [u32],
}

/// The cases.
#[rustfmt::skip]
pub const CASES: &[Case] = &[
    Case { name: "strong_trend_breakout_enters_with_one_dca_order", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &["buy-market", "buy-limit"], qtys: &[100000000, 100000000], prices: &[0, 9700000000], stops: &[9600000000, 9600000000], take_profits: &[11200000000, 11200000000], tags: &[0, 1] },
    Case { name: "strong_trend_close_equal_to_previous_high_is_no_breakout", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 10000000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "strong_trend_without_a_previous_candle_does_not_enter", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 0, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "strong_trend_flat_emas_do_not_enter", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10000000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "strong_trend_emas_not_ready_do_not_enter", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x440, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "strong_trend_score_exactly_0_50_enters", regime: "strong-trend", score: 50000000, size_multiplier: 30000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &["buy-market", "buy-limit"], qtys: &[100000000, 100000000], prices: &[0, 9700000000], stops: &[9600000000, 9600000000], take_profits: &[11200000000, 11200000000], tags: &[0, 1] },
    Case { name: "strong_trend_score_below_0_50_does_not_enter", regime: "strong-trend", score: 49999999, size_multiplier: 30000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "volatile_trend_half_size_and_dca_at_the_stop_is_left_out", regime: "volatile-trend", score: 60000000, size_multiplier: 60000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &["buy-market"], qtys: &[50000000], prices: &[0], stops: &[9600000000], take_profits: &[10800000000], tags: &[0] },
    Case { name: "volatile_trend_score_below_0_60_does_not_enter", regime: "volatile-trend", score: 59999999, size_multiplier: 30000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "transitional_score_exactly_0_80_enters_without_dca", regime: "transitional", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 0, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &["buy-market"], qtys: &[50000000], prices: &[0], stops: &[9600000000], take_profits: &[10800000000], tags: &[0] },
    Case { name: "transitional_score_just_below_0_80_does_not_enter", regime: "transitional", score: 79999999, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 0, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "tight_range_mean_reversion_grid_skips_levels_at_the_stop", regime: "tight-range", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10100000000, rsi: 4000000000, prev_high: 0, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &["buy-market", "buy-limit", "buy-limit"], qtys: &[75000000, 75000000, 75000000], prices: &[0, 9900000000, 9800000000], stops: &[9700000000, 9700000000, 9700000000], take_profits: &[10600000000, 10600000000, 10600000000], tags: &[0, 1, 2] },
    Case { name: "tight_range_close_at_the_sma_does_not_enter", regime: "tight-range", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 4000000000, prev_high: 0, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "tight_range_rsi_exactly_45_does_not_enter", regime: "tight-range", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10100000000, rsi: 4500000000, prev_high: 0, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "choppy_dca_sizes_scale_by_1_5", regime: "choppy", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9000000000, risk_take_profit: 12000000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10100000000, rsi: 3999999999, prev_high: 0, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &["buy-market", "buy-limit", "buy-limit"], qtys: &[50000000, 50000000, 75000000], prices: &[0, 9800000000, 9600000000], stops: &[9250000000, 9250000000, 9250000000], take_profits: &[11500000000, 11500000000, 11500000000], tags: &[0, 1, 2] },
    Case { name: "choppy_rsi_exactly_40_does_not_enter", regime: "choppy", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10100000000, rsi: 4000000000, prev_high: 0, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "entry_quantity_rounds_down_to_1e_8", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 33333333333, free_quote: 33333333333, open_orders: 0,
        kinds: &["buy-market", "buy-limit"], qtys: &[3333333, 3333333], prices: &[0, 9700000000], stops: &[9600000000, 9600000000], take_profits: &[11200000000, 11200000000], tags: &[0, 1] },
    Case { name: "entry_quantity_is_capped_by_free_quote", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 10000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 5000000000, open_orders: 0,
        kinds: &["buy-market", "buy-limit"], qtys: &[50000000, 50000000], prices: &[0, 9700000000], stops: &[9600000000, 9600000000], take_profits: &[11200000000, 11200000000], tags: &[0, 1] },
    Case { name: "halted_entries_do_not_enter", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: true,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "zero_size_fraction_does_not_enter", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 0, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "confidence_skip_does_not_enter", regime: "strong-trend", score: 80000000, size_multiplier: 0, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "no_risk_stop_does_not_enter", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 0, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "flat_with_open_orders_cancels_them", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9600000000, risk_take_profit: 10800000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 9900000000, close: 10000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 2,
        kinds: &["cancel-all"], qtys: &[0], prices: &[0], stops: &[0], take_profits: &[0], tags: &[0] },
    Case { name: "close_below_the_stop_sells_the_whole_position", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9100000000, risk_take_profit: 10300000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 0, close: 9500000000, position_qty: 150000000, avg_entry: 10000000000, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &["sell-market"], qtys: &[150000000], prices: &[0], stops: &[0], take_profits: &[0], tags: &[1001] },
    Case { name: "exit_cancels_open_dca_orders_first", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9100000000, risk_take_profit: 10300000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 0, close: 9500000000, position_qty: 150000000, avg_entry: 10000000000, equity: 1000000000000, free_quote: 1000000000000, open_orders: 1,
        kinds: &["cancel-all", "sell-market"], qtys: &[0, 150000000], prices: &[0, 0], stops: &[0, 0], take_profits: &[0, 0], tags: &[0, 1001] },
    Case { name: "close_exactly_at_the_stop_exits", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9200000000, risk_take_profit: 10400000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 0, close: 9600000000, position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &["sell-market"], qtys: &[100000000], prices: &[0], stops: &[0], take_profits: &[0], tags: &[1001] },
    Case { name: "close_just_above_the_stop_holds", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9200000001, risk_take_profit: 10400000001, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 0, close: 9600000001, position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "close_exactly_at_the_take_profit_exits", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 10800000000, risk_take_profit: 12000000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 0, close: 11200000000, position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &["sell-market"], qtys: &[100000000], prices: &[0], stops: &[0], take_profits: &[0], tags: &[1002] },
    Case { name: "close_just_below_the_take_profit_holds", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 10799999999, risk_take_profit: 11999999999, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 0, close: 11199999999, position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "close_exactly_at_the_trailing_stop_exits", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 10000000000, risk_take_profit: 11200000000, trailing_stop: 10400000000, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 0, close: 10400000000, position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &["sell-market"], qtys: &[100000000], prices: &[0], stops: &[0], take_profits: &[0], tags: &[1003] },
    Case { name: "close_just_above_the_trailing_stop_holds", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 10000000001, risk_take_profit: 11200000001, trailing_stop: 10400000000, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 0, close: 10400000001, position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "in_position_no_new_entry", regime: "transitional", score: 90000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 9700000000, risk_take_profit: 10900000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 0, close: 10100000000, position_qty: 100000000, avg_entry: 10000000000, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
    Case { name: "flat_account_never_sells_even_far_below_levels", regime: "strong-trend", score: 80000000, size_multiplier: 100000000, size_fraction: 1000000, risk_stop: 4800000000, risk_take_profit: 5400000000, trailing_stop: 0, halt_entries: false,
        ready: 0x1c40, ema_fast: 10100000000, ema_slow: 10000000000, sma: 10000000000, rsi: 5000000000, prev_high: 6000000000, close: 5000000000, position_qty: 0, avg_entry: 0, equity: 1000000000000, free_quote: 1000000000000, open_orders: 0,
        kinds: &[], qtys: &[], prices: &[], stops: &[], take_profits: &[], tags: &[] },
];
