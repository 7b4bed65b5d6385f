//! Conversions between a plugin's wit-bindgen records and [`crate::model`].
//!
//! Each plugin generates its own copy of the WIT types, so the conversions
//! are a macro expanded inside the plugin's glue module:
//! `kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; base);`
//! (an absolute path: it is used inside the generated `mod conv`).
//! It defines `mod conv` with one function per record, field by field
//! (records of fixed-size numbers: no allocation). Every world uses the
//! whole `types` interface through its exported interfaces' `use`, but a
//! generator may leave out types a world never mentions, so the macro comes
//! in parts: `base` (bar, regime), `chain` (trend votes, prediction,
//! confidence, account, stats, risk) and `strategy` (book, trade, fill,
//! intent).

/// Defines `mod conv` with conversions for the named parts; see the module
/// docs. Usage: `wit_conversions!(path::to::types; base, chain, strategy);`
#[macro_export]
macro_rules! wit_conversions {
    ($t:path; $($part:ident),*) => {
        #[allow(dead_code)]
        mod conv {
            use $t as w;
            use $crate::model as m;
            $( $crate::wit_conversions!(@part $part); )*
        }
    };
    (@part base) => {
        pub fn bar(b: &w::Bar) -> m::Bar {
            let c = &b.candle;
            let f = &b.features;
            m::Bar {
                candle: m::Candle { open_time_ms: c.open_time_ms, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume },
                features: m::Features {
                    ready: f.ready, atr: f.atr, atr_pct: f.atr_pct, adx: f.adx, plus_di: f.plus_di, minus_di: f.minus_di,
                    bb_width: f.bb_width, rsi: f.rsi, macd: f.macd, macd_signal: f.macd_signal, macd_hist: f.macd_hist,
                    sma: f.sma, ema_fast: f.ema_fast, ema_slow: f.ema_slow, volume_ratio: f.volume_ratio,
                    support_distance: f.support_distance, resistance_distance: f.resistance_distance,
                },
                run_len: b.run_len,
            }
        }
        pub fn regime_kind(k: m::RegimeKind) -> w::RegimeKind {
            match k {
                m::RegimeKind::StrongTrend => w::RegimeKind::StrongTrend,
                m::RegimeKind::VolatileTrend => w::RegimeKind::VolatileTrend,
                m::RegimeKind::TightRange => w::RegimeKind::TightRange,
                m::RegimeKind::Choppy => w::RegimeKind::Choppy,
                m::RegimeKind::Transitional => w::RegimeKind::Transitional,
            }
        }
        pub fn regime_out(r: m::Regime) -> w::Regime {
            w::Regime { kind: regime_kind(r.kind), confidence: r.confidence, run: r.run }
        }
    };
    (@part chain) => {
        pub fn regime(r: &w::Regime) -> m::Regime {
            let kind = match r.kind {
                w::RegimeKind::StrongTrend => m::RegimeKind::StrongTrend,
                w::RegimeKind::VolatileTrend => m::RegimeKind::VolatileTrend,
                w::RegimeKind::TightRange => m::RegimeKind::TightRange,
                w::RegimeKind::Choppy => m::RegimeKind::Choppy,
                w::RegimeKind::Transitional => m::RegimeKind::Transitional,
            };
            m::Regime { kind, confidence: r.confidence, run: r.run }
        }
        pub fn votes(v: &w::TrendVotes) -> m::TrendVotes {
            m::TrendVotes { m5: v.m5, m15: v.m15, h1: v.h1, h4: v.h4 }
        }
        pub fn prediction(p: &w::Prediction) -> m::Prediction {
            m::Prediction { valid: p.valid, age_ms: p.age_ms, expected_return: p.expected_return, prob_up: p.prob_up }
        }
        pub fn confidence(c: &w::Confidence) -> m::Confidence {
            m::Confidence { score: c.score, rsi: c.rsi, macd: c.macd, volume: c.volume, trend: c.trend, levels: c.levels,
                sentiment: c.sentiment, gru: c.gru, size_multiplier: c.size_multiplier }
        }
        pub fn confidence_out(c: m::Confidence) -> w::Confidence {
            w::Confidence { score: c.score, rsi: c.rsi, macd: c.macd, volume: c.volume, trend: c.trend, levels: c.levels,
                sentiment: c.sentiment, gru: c.gru, size_multiplier: c.size_multiplier }
        }
        pub fn account(a: &w::Account) -> m::Account {
            m::Account { position_qty: a.position_qty, avg_entry: a.avg_entry, equity: a.equity, peak_equity: a.peak_equity,
                free_quote: a.free_quote, open_orders: a.open_orders }
        }
        pub fn stats(s: &w::TradeStats) -> m::TradeStats {
            m::TradeStats { closed: s.closed, wins: s.wins, avg_win: s.avg_win, avg_loss: s.avg_loss }
        }
        pub fn risk(r: &w::Risk) -> m::Risk {
            m::Risk { size_fraction: r.size_fraction, stop_price: r.stop_price, take_profit: r.take_profit,
                trailing_stop: r.trailing_stop, halt_entries: r.halt_entries }
        }
        pub fn risk_out(r: m::Risk) -> w::Risk {
            w::Risk { size_fraction: r.size_fraction, stop_price: r.stop_price, take_profit: r.take_profit,
                trailing_stop: r.trailing_stop, halt_entries: r.halt_entries }
        }
    };
    (@part strategy) => {
        pub fn fill(f: &w::Fill) -> m::Fill {
            let side = match f.side { w::Side::Buy => m::Side::Buy, w::Side::Sell => m::Side::Sell };
            m::Fill { time_ns: f.time_ns, side, price: f.price, qty: f.qty, fee_quote: f.fee_quote, tag: f.tag }
        }
        pub fn intent_out(i: &m::Intent) -> w::Intent {
            let kind = match i.kind {
                m::IntentKind::BuyMarket => w::IntentKind::BuyMarket,
                m::IntentKind::BuyLimit => w::IntentKind::BuyLimit,
                m::IntentKind::SellMarket => w::IntentKind::SellMarket,
                m::IntentKind::SellLimit => w::IntentKind::SellLimit,
                m::IntentKind::CancelAll => w::IntentKind::CancelAll,
            };
            w::Intent { kind, qty: i.qty, price: i.price, stop_price: i.stop_price, take_profit: i.take_profit, tag: i.tag }
        }
    };
}

/// Builds the WIT `info` pieces from a parameter table: `(name, value,
/// description)` per parameter, for the glue's `describe`.
pub fn param_rows<const N: usize>(
    p: &crate::params::Params<N>,
) -> impl Iterator<Item = (alloc::string::String, i64, alloc::string::String)> + '_ {
    use alloc::string::ToString;
    p.iter()
        .map(|(s, v)| (s.name.to_string(), v, s.description.to_string()))
}
