//! Conversions between a plugin's wit-bindgen records and [`crate::model`].
//!
//! Each plugin generates its own copy of the WIT types, so the conversions
//! are a macro expanded inside the plugin's glue module:
//! `kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; context);`
//! (an absolute path: it is used inside the generated `mod conv`).
//! It defines `mod conv` with one function per record, field by field
//! (fixed-size numbers: no allocation). The macro comes in parts:
//! `context` (the per-candle block, read through the WIT's own `field`
//! enum, so its layout comes from the WIT and nowhere else; and the three
//! chain answers) and `strategy` (account, fill, intent). A world's glue
//! generates its bindings with `generate_unused_types: true`, since no
//! function mentions `field` itself.
//!
//! Reading the block. A field beyond the block's end reads as 0 (an older
//! host); fields past the ones this SDK knows are ignored (a newer host).
//! Integer fields are clamped to their Rust type's range; an unknown
//! regime kind reads as `transitional`.

/// Defines `mod conv` with conversions for the named parts; see the module
/// docs. Usage: `wit_conversions!(path::to::types; context, strategy);`
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
    (@part context) => {
        /// Field `f` of the block (0 beyond its end).
        #[inline(always)]
        fn at(ctx: &[i64], f: w::Field) -> i64 {
            ctx.get(f as usize).copied().unwrap_or(0)
        }
        #[inline(always)]
        fn at_u32(ctx: &[i64], f: w::Field) -> u32 {
            at(ctx, f).clamp(0, u32::MAX as i64) as u32
        }
        /// The candle and its features: fields up to `ResistanceDistance`,
        /// read without a bounds check each when the block holds them all
        /// (every block the host sends), else field by field. Inlined, so a
        /// plugin that uses a few of the fields does not compute the rest.
        #[inline(always)]
        pub fn bar(ctx: &[i64]) -> m::Bar {
            const N: usize = w::Field::ResistanceDistance as usize + 1;
            match ctx.get(..N).and_then(|c| <&[i64; N]>::try_from(c).ok()) {
                Some(full) => bar_with(|f| full[f as usize]),
                None => bar_with(|f| at(ctx, f)),
            }
        }
        #[inline(always)]
        fn bar_with(g: impl Fn(w::Field) -> i64) -> m::Bar {
            use w::Field as F;
            let u32_of = |f: F| g(f).clamp(0, u32::MAX as i64) as u32;
            m::Bar {
                candle: m::Candle { open_time_ms: g(F::OpenTimeMs), open: g(F::Open), high: g(F::High), low: g(F::Low),
                    close: g(F::Close), volume: g(F::Volume) },
                features: m::Features {
                    ready: u32_of(F::Ready), atr: g(F::Atr), atr_pct: g(F::AtrPct), adx: g(F::Adx),
                    plus_di: g(F::PlusDi), minus_di: g(F::MinusDi), bb_width: g(F::BbWidth), rsi: g(F::Rsi),
                    macd: g(F::Macd), macd_signal: g(F::MacdSignal), macd_hist: g(F::MacdHist), sma: g(F::Sma),
                    ema_fast: g(F::EmaFast), ema_slow: g(F::EmaSlow), volume_ratio: g(F::VolumeRatio),
                    support_distance: g(F::SupportDistance), resistance_distance: g(F::ResistanceDistance),
                },
                run_len: u32_of(F::RunLen),
            }
        }
        pub fn votes(ctx: &[i64]) -> m::TrendVotes {
            use w::Field as F;
            let v = |f: F| at(ctx, f).clamp(-1, 1) as i8;
            m::TrendVotes { m5: v(F::TrendM5), m15: v(F::TrendM15), h1: v(F::TrendH1), h4: v(F::TrendH4) }
        }
        pub fn prediction(ctx: &[i64]) -> m::Prediction {
            use w::Field as F;
            m::Prediction {
                valid: at(ctx, F::PredictionValid) != 0,
                age_ms: at(ctx, F::PredictionAgeMs).max(0) as u64,
                expected_return: at(ctx, F::ExpectedReturn),
                prob_up: at(ctx, F::ProbUp),
            }
        }
        pub fn sentiment(ctx: &[i64]) -> i64 {
            at(ctx, w::Field::Sentiment)
        }
        pub fn account(ctx: &[i64]) -> m::Account {
            use w::Field as F;
            m::Account { position_qty: at(ctx, F::PositionQty), avg_entry: at(ctx, F::AvgEntry), equity: at(ctx, F::Equity),
                peak_equity: at(ctx, F::PeakEquity), free_quote: at(ctx, F::FreeQuote), open_orders: at_u32(ctx, F::OpenOrders) }
        }
        pub fn stats(ctx: &[i64]) -> m::TradeStats {
            use w::Field as F;
            m::TradeStats { closed: at_u32(ctx, F::ClosedTrades), wins: at_u32(ctx, F::Wins), avg_win: at(ctx, F::AvgWin),
                avg_loss: at(ctx, F::AvgLoss) }
        }
        pub fn regime(ctx: &[i64]) -> m::Regime {
            use w::Field as F;
            let k = at(ctx, F::RegimeKind);
            let kind = u8::try_from(k).ok().and_then(m::RegimeKind::from_index).unwrap_or(m::RegimeKind::Transitional);
            m::Regime { kind, confidence: at(ctx, F::RegimeConfidence), run: at_u32(ctx, F::RegimeRun) }
        }
        pub fn confidence(ctx: &[i64]) -> m::Confidence {
            use w::Field as F;
            let g = |f: F| at(ctx, f);
            m::Confidence { score: g(F::ConfidenceScore), rsi: g(F::ConfidenceRsi), macd: g(F::ConfidenceMacd),
                volume: g(F::ConfidenceVolume), trend: g(F::ConfidenceTrend), levels: g(F::ConfidenceLevels),
                sentiment: g(F::ConfidenceSentiment), gru: g(F::ConfidenceGru), size_multiplier: g(F::SizeMultiplier) }
        }
        pub fn risk(ctx: &[i64]) -> m::Risk {
            use w::Field as F;
            let g = |f: F| at(ctx, f);
            m::Risk { size_fraction: g(F::SizeFraction), stop_price: g(F::StopPrice), take_profit: g(F::TakeProfit),
                trailing_stop: g(F::TrailingStop), halt_entries: g(F::HaltEntries) != 0 }
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
        pub fn confidence_out(c: m::Confidence) -> w::Confidence {
            w::Confidence { score: c.score, rsi: c.rsi, macd: c.macd, volume: c.volume, trend: c.trend, levels: c.levels,
                sentiment: c.sentiment, gru: c.gru, size_multiplier: c.size_multiplier }
        }
        pub fn risk_out(r: m::Risk) -> w::Risk {
            w::Risk { size_fraction: r.size_fraction, stop_price: r.stop_price, take_profit: r.take_profit,
                trailing_stop: r.trailing_stop, halt_entries: r.halt_entries }
        }
    };
    (@part strategy) => {
        pub fn account_record(a: &w::Account) -> m::Account {
            m::Account { position_qty: a.position_qty, avg_entry: a.avg_entry, equity: a.equity, peak_equity: a.peak_equity,
                free_quote: a.free_quote, open_orders: a.open_orders }
        }
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
