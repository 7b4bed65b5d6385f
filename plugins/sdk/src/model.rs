//! Plain mirrors of the WIT contract's inputs and answers
//! (`wit/kairos-plugin.wit`), so plugin logic is ordinary Rust testable
//! natively. Decimals are `i64` scaled by 1e-8. The per-candle inputs
//! arrive as one context block (WIT `field`); the wasm glue of each plugin
//! reads them into these groups ([`Bar`], [`TrendVotes`], [`Prediction`],
//! [`Account`], [`TradeStats`], and the upstream answers) field by field,
//! with no allocation.

/// The indicator fields of the context (see [`crate::ready`] for the mask).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Features {
    pub ready: u32,
    pub atr: i64,
    pub atr_pct: i64,
    pub adx: i64,
    pub plus_di: i64,
    pub minus_di: i64,
    pub bb_width: i64,
    pub rsi: i64,
    pub macd: i64,
    pub macd_signal: i64,
    pub macd_hist: i64,
    pub sma: i64,
    pub ema_fast: i64,
    pub ema_slow: i64,
    pub volume_ratio: i64,
    pub support_distance: i64,
    pub resistance_distance: i64,
}

/// The candle fields of the context.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Candle {
    pub open_time_ms: i64,
    pub open: i64,
    pub high: i64,
    pub low: i64,
    pub close: i64,
    pub volume: i64,
}

/// The candle and indicator fields of the context (the timeframe is not
/// needed by the logic).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Bar {
    pub candle: Candle,
    pub features: Features,
    pub run_len: u32,
}

/// The WIT `regime-kind` enum, in WIT order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum RegimeKind {
    StrongTrend,
    VolatileTrend,
    TightRange,
    Choppy,
    #[default]
    Transitional,
}

impl RegimeKind {
    /// Every kind in WIT order.
    pub const ALL: [RegimeKind; 5] = [
        RegimeKind::StrongTrend,
        RegimeKind::VolatileTrend,
        RegimeKind::TightRange,
        RegimeKind::Choppy,
        RegimeKind::Transitional,
    ];
    /// Position in WIT order (used as a state byte).
    pub const fn index(self) -> u8 {
        self as u8
    }
    /// The kind at a WIT-order position.
    pub const fn from_index(i: u8) -> Option<RegimeKind> {
        match i {
            0 => Some(RegimeKind::StrongTrend),
            1 => Some(RegimeKind::VolatileTrend),
            2 => Some(RegimeKind::TightRange),
            3 => Some(RegimeKind::Choppy),
            4 => Some(RegimeKind::Transitional),
            _ => None,
        }
    }
    /// The WIT name (`strong-trend`, …): the case tables use these.
    pub const fn wit_name(self) -> &'static str {
        match self {
            RegimeKind::StrongTrend => "strong-trend",
            RegimeKind::VolatileTrend => "volatile-trend",
            RegimeKind::TightRange => "tight-range",
            RegimeKind::Choppy => "choppy",
            RegimeKind::Transitional => "transitional",
        }
    }
    /// The kind of a WIT name.
    pub fn from_wit_name(s: &str) -> Option<RegimeKind> {
        RegimeKind::ALL.into_iter().find(|k| k.wit_name() == s)
    }
}

/// The WIT `regime` record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Regime {
    pub kind: RegimeKind,
    pub confidence: i64,
    pub run: u32,
}

/// The `trend-*` fields of the context.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct TrendVotes {
    pub m5: i8,
    pub m15: i8,
    pub h1: i8,
    pub h4: i8,
}

/// The `prediction-*`, `expected-return` and `prob-up` fields of the context.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Prediction {
    pub valid: bool,
    pub age_ms: u64,
    pub expected_return: i64,
    pub prob_up: i64,
}

/// The WIT `confidence` record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Confidence {
    pub score: i64,
    pub rsi: i64,
    pub macd: i64,
    pub volume: i64,
    pub trend: i64,
    pub levels: i64,
    pub sentiment: i64,
    pub gru: i64,
    pub size_multiplier: i64,
}

/// The WIT `account` record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Account {
    pub position_qty: i64,
    pub avg_entry: i64,
    pub equity: i64,
    pub peak_equity: i64,
    pub free_quote: i64,
    pub open_orders: u32,
}

/// The closed-trade fields of the context (`closed-trades` … `avg-loss`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct TradeStats {
    pub closed: u32,
    pub wins: u32,
    pub avg_win: i64,
    pub avg_loss: i64,
}

/// The WIT `risk` record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Risk {
    pub size_fraction: i64,
    pub stop_price: i64,
    pub take_profit: i64,
    pub trailing_stop: i64,
    pub halt_entries: bool,
}

/// The WIT `side` enum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Side {
    #[default]
    Buy,
    Sell,
}

/// The WIT `fill` record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Fill {
    pub time_ns: u64,
    pub side: Side,
    pub price: i64,
    pub qty: i64,
    pub fee_quote: i64,
    pub tag: u32,
}

/// The WIT `intent-kind` enum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum IntentKind {
    #[default]
    BuyMarket,
    BuyLimit,
    SellMarket,
    SellLimit,
    CancelAll,
}

impl IntentKind {
    /// The WIT name (`buy-market`, …): the case tables use these.
    pub const fn wit_name(self) -> &'static str {
        match self {
            IntentKind::BuyMarket => "buy-market",
            IntentKind::BuyLimit => "buy-limit",
            IntentKind::SellMarket => "sell-market",
            IntentKind::SellLimit => "sell-limit",
            IntentKind::CancelAll => "cancel-all",
        }
    }
}

/// The WIT `intent` record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Intent {
    pub kind: IntentKind,
    pub qty: i64,
    pub price: i64,
    pub stop_price: i64,
    pub take_profit: i64,
    pub tag: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regime_kind_index_and_name_round_trip_in_wit_order() {
        for (i, k) in RegimeKind::ALL.into_iter().enumerate() {
            assert_eq!(k.index() as usize, i);
            assert_eq!(RegimeKind::from_index(i as u8), Some(k));
            assert_eq!(RegimeKind::from_wit_name(k.wit_name()), Some(k));
        }
        assert_eq!(RegimeKind::from_index(5), None);
        assert_eq!(RegimeKind::from_wit_name("bull"), None);
    }
}
