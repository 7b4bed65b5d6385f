//! The four reference plugins through the host: each plugin's boundary case
//! table (`plugins/NAME/src/cases.rs`, the same file its native unit tests
//! iterate) is run against the built component (`target/plugins/NAME.wasm`,
//! made by `tools/build-plugins.sh`) through kairos's own wasmtime host, with
//! its budgets and its no-capability linker. The runner contract of each
//! table is in its file's header; it is followed here field by field.

use kairos_core::plugins::bindings::types as t;
use kairos_core::plugins::convert::{put_confidence, put_regime, put_risk, Context, CONTEXT_LEN};
use kairos_core::plugins::host::{Plugin, PluginHost};
use kairos_core::plugins::{plugins_dir, Budgets, Slot};
use t::Field as F;

#[allow(dead_code)]
mod regime_cases {
    include!("../../plugins/regime/src/cases.rs");
}
#[allow(dead_code)]
mod confidence_cases {
    include!("../../plugins/confidence/src/cases.rs");
}
#[allow(dead_code)]
mod risk_cases {
    include!("../../plugins/risk/src/cases.rs");
}
#[allow(dead_code)]
mod strategy_cases {
    include!("../../plugins/strategy-adaptive/src/cases.rs");
}

/// A host with the default budgets and a loader of fresh instances of one
/// built plugin.
struct Loader {
    host: PluginHost,
    ready: kairos_core::plugins::host::Ready,
}

impl Loader {
    fn new(name: &str, slot: Slot) -> Loader {
        let path = plugins_dir().join(format!("{name}.wasm"));
        assert!(
            path.is_file(),
            "{} is missing: run tools/build-plugins.sh first",
            path.display()
        );
        let host = PluginHost::new(Budgets::default()).expect("host");
        let compiled = host.compile_file(&path).expect("compiles");
        let ready = host.ready(&compiled, slot).expect("exports its world");
        Loader { host, ready }
    }

    /// A fresh instance with default parameters.
    fn fresh(&self) -> Plugin {
        self.host
            .instantiate(&self.ready, &[])
            .expect("instantiates")
    }
}

/// A context block (see `wit/kairos-plugin.wit`, `field`) for one candle
/// (timeframe m1) with every price `close`, volume 0, no indicator ready, an
/// empty account, no chain answers: every field not named is 0, as the
/// case files' runner contracts say.
#[derive(Clone, Copy)]
struct Ctx(Context);

impl Ctx {
    fn new(close: i64, run_len: u32, open_time_ms: i64) -> Ctx {
        let mut c = Ctx([0; CONTEXT_LEN]);
        for f in [F::Open, F::High, F::Low, F::Close] {
            c.0[f as usize] = close;
        }
        c.0[F::RunLen as usize] = run_len.into();
        c.0[F::OpenTimeMs as usize] = open_time_ms;
        c
    }
    fn set(&mut self, f: F, v: i64) -> &mut Ctx {
        self.0[f as usize] = v;
        self
    }
    fn account(&mut self, a: &t::Account) -> &mut Ctx {
        self.set(F::PositionQty, a.position_qty)
            .set(F::AvgEntry, a.avg_entry)
            .set(F::Equity, a.equity)
            .set(F::PeakEquity, a.peak_equity)
            .set(F::FreeQuote, a.free_quote)
            .set(F::OpenOrders, a.open_orders.into())
    }
}

fn regime_name(k: t::RegimeKind) -> &'static str {
    match k {
        t::RegimeKind::StrongTrend => "strong-trend",
        t::RegimeKind::VolatileTrend => "volatile-trend",
        t::RegimeKind::TightRange => "tight-range",
        t::RegimeKind::Choppy => "choppy",
        t::RegimeKind::Transitional => "transitional",
    }
}

fn regime_of(name: &str) -> t::RegimeKind {
    match name {
        "strong-trend" => t::RegimeKind::StrongTrend,
        "volatile-trend" => t::RegimeKind::VolatileTrend,
        "tight-range" => t::RegimeKind::TightRange,
        "choppy" => t::RegimeKind::Choppy,
        "transitional" => t::RegimeKind::Transitional,
        other => panic!("unknown regime {other}"),
    }
}

fn intent_name(k: t::IntentKind) -> &'static str {
    match k {
        t::IntentKind::BuyMarket => "buy-market",
        t::IntentKind::BuyLimit => "buy-limit",
        t::IntentKind::SellMarket => "sell-market",
        t::IntentKind::SellLimit => "sell-limit",
        t::IntentKind::CancelAll => "cancel-all",
    }
}

/// A confidence with only its score and size multiplier set (what the risk
/// and strategy tables give).
fn confidence(score: i64, size_multiplier: i64) -> t::Confidence {
    t::Confidence {
        score,
        rsi: 0,
        macd: 0,
        volume: 0,
        trend: 0,
        levels: 0,
        sentiment: 0,
        gru: 0,
        size_multiplier,
    }
}

const TRANSITIONAL: t::Regime = t::Regime {
    kind: t::RegimeKind::Transitional,
    confidence: 0,
    run: 1,
};

#[test]
fn plugins_reference_regime_boundaries_hold_through_the_host() {
    use regime_cases::{CASES, READY, SEQUENCES};
    let l = Loader::new("regime", Slot::Regime);
    let mut failed = Vec::new();
    for c in CASES {
        let mut p = l.fresh();
        let mut x = Ctx::new(0, 1, 0);
        x.set(F::Ready, c.ready.into())
            .set(F::Adx, c.adx)
            .set(F::AtrPct, c.atr_pct)
            .set(F::BbWidth, c.bb_width);
        let r = p.classify(&x.0).expect("no fault");
        if (regime_name(r.kind), r.confidence, r.run) != (c.kind, c.confidence, 1) {
            failed.push(format!("{}: got {:?}", c.name, r));
        }
    }
    for s in SEQUENCES {
        let mut p = l.fresh();
        let mut last = None;
        for &(adx, atr_pct, bb_width) in s.steps {
            let mut x = Ctx::new(0, 1, 0);
            x.set(F::Ready, READY.into())
                .set(F::Adx, adx)
                .set(F::AtrPct, atr_pct)
                .set(F::BbWidth, bb_width);
            last = Some(p.classify(&x.0).expect("no fault"));
        }
        let r = last.expect("a step");
        if (regime_name(r.kind), r.run) != (s.kind, s.run) {
            failed.push(format!("{}: got {:?}", s.name, r));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(CASES.len() >= 20, "the table is the plugin's own");
}

#[test]
fn plugins_reference_confidence_boundaries_hold_through_the_host() {
    use confidence_cases::CASES;
    let l = Loader::new("confidence", Slot::Confidence);
    let mut failed = Vec::new();
    for c in CASES {
        let mut p = l.fresh();
        let mut x = Ctx::new(0, 1, 0);
        x.set(F::Ready, c.ready.into())
            .set(F::Rsi, c.rsi)
            .set(F::MacdHist, c.macd_hist)
            .set(F::Atr, c.atr)
            .set(F::VolumeRatio, c.volume_ratio)
            .set(F::SupportDistance, c.support)
            .set(F::ResistanceDistance, c.resistance)
            .set(F::TrendM5, c.votes[0].into())
            .set(F::TrendM15, c.votes[1].into())
            .set(F::TrendH1, c.votes[2].into())
            .set(F::TrendH4, c.votes[3].into())
            .set(F::PredictionValid, c.gru_valid.into())
            .set(F::PredictionAgeMs, c.gru_age_ms as i64)
            .set(F::ProbUp, c.gru_prob_up)
            .set(F::Sentiment, c.sentiment);
        put_regime(&mut x.0, &TRANSITIONAL);
        let r = p.score(&x.0).expect("no fault");
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
        if got != want {
            failed.push(format!("{}: got {got:?} want {want:?}", c.name));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn plugins_reference_risk_boundaries_hold_through_the_host() {
    use risk_cases::CASES;
    let l = Loader::new("risk", Slot::Risk);
    let mut failed = Vec::new();
    for c in CASES {
        let mut p = l.fresh();
        let mut out = None;
        for &close in c.closes {
            let account = t::Account {
                position_qty: c.position_qty,
                avg_entry: c.avg_entry,
                equity: c.equity,
                peak_equity: c.peak_equity,
                free_quote: c.equity,
                open_orders: 0,
            };
            let mut x = Ctx::new(close, 1, 0);
            x.set(F::Ready, c.ready.into())
                .set(F::Atr, c.atr)
                .set(F::AtrPct, c.atr_pct)
                .account(&account)
                .set(F::ClosedTrades, c.closed.into())
                .set(F::Wins, c.wins.into())
                .set(F::AvgWin, c.avg_win)
                .set(F::AvgLoss, c.avg_loss);
            put_regime(&mut x.0, &TRANSITIONAL);
            put_confidence(&mut x.0, &confidence(0, c.size_multiplier));
            out = Some(p.assess(&x.0).expect("no fault"));
        }
        let r = out.expect("at least one close");
        let got = (
            r.size_fraction,
            r.stop_price,
            r.take_profit,
            r.trailing_stop,
            r.halt_entries,
        );
        let want = (
            c.size_fraction,
            c.stop_price,
            c.take_profit,
            c.trailing_stop,
            c.halt_entries,
        );
        if got != want {
            failed.push(format!("{}: got {got:?} want {want:?}", c.name));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn plugins_reference_strategy_boundaries_hold_through_the_host() {
    use strategy_cases::CASES;
    let l = Loader::new("strategy-adaptive", Slot::Strategy);
    let mut failed = Vec::new();
    for c in CASES {
        let mut p = l.fresh();
        let regime = t::Regime {
            kind: regime_of(c.regime),
            confidence: 0,
            run: 1,
        };
        let conf = confidence(c.score, c.size_multiplier);
        let risk = t::Risk {
            size_fraction: c.size_fraction,
            stop_price: c.risk_stop,
            take_profit: c.risk_take_profit,
            trailing_stop: c.trailing_stop,
            halt_entries: c.halt_entries,
        };
        let account = t::Account {
            position_qty: c.position_qty,
            avg_entry: c.avg_entry,
            equity: c.equity,
            peak_equity: c.equity,
            free_quote: c.free_quote,
            open_orders: c.open_orders,
        };
        let chain = |x: &mut Ctx| {
            x.account(&account);
            put_regime(&mut x.0, &regime);
            put_confidence(&mut x.0, &conf);
            put_risk(&mut x.0, &risk);
        };
        if c.prev_high > 0 {
            let mut x = Ctx::new(c.prev_high, 1, 0);
            chain(&mut x);
            p.on_candle(&x.0).expect("no fault");
        }
        let mut x = Ctx::new(c.close, 2, 60_000);
        x.set(F::Ready, c.ready.into())
            .set(F::EmaFast, c.ema_fast)
            .set(F::EmaSlow, c.ema_slow)
            .set(F::Sma, c.sma)
            .set(F::Rsi, c.rsi);
        chain(&mut x);
        let out = p.on_candle(&x.0).expect("no fault");
        let got: Vec<(&str, i64, i64, i64, i64, u32)> = out
            .iter()
            .map(|i| {
                (
                    intent_name(i.kind),
                    i.qty,
                    i.price,
                    i.stop_price,
                    i.take_profit,
                    i.tag,
                )
            })
            .collect();
        let want: Vec<(&str, i64, i64, i64, i64, u32)> = (0..c.kinds.len())
            .map(|k| {
                (
                    c.kinds[k],
                    c.qtys[k],
                    c.prices[k],
                    c.stops[k],
                    c.take_profits[k],
                    c.tags[k],
                )
            })
            .collect();
        if got != want {
            failed.push(format!("{}: got {got:?} want {want:?}", c.name));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn plugins_reference_lifecycle_names_bad_parameters_and_round_trips_state() {
    for (name, slot, param) in [
        ("regime", Slot::Regime, "adx_trend"),
        ("confidence", Slot::Confidence, "w_rsi"),
        ("risk", Slot::Risk, "kelly_fraction"),
        (
            "strategy-adaptive",
            Slot::Strategy,
            "transitional_min_score",
        ),
    ] {
        let l = Loader::new(name, slot);
        let mut p = l.fresh();
        let info = p.describe().expect("describe");
        assert!(
            info.params.iter().any(|x| x.0 == param),
            "{name} describes {param}"
        );
        let err = p
            .set_param("no_such_parameter", 1)
            .expect("no fault")
            .expect_err("unknown parameter refused");
        assert!(err.contains("no_such_parameter"), "{name}: {err}");
        let err = p
            .set_param(param, -1)
            .expect("no fault")
            .expect_err("out of range refused");
        assert!(err.contains(param), "{name}: {err}");
        let state = p.save_state().expect("save");
        assert_eq!(p.load_state(&state).expect("no fault"), Ok(()), "{name}");
        let bad = p.load_state(&[1, 2, 3]).expect("no fault");
        assert!(bad.is_err(), "{name}: garbage state refused");
    }
}
