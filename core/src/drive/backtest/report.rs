//! The backtest report: `report.json` (ARCHITECTURE.md's contract plus
//! more), `report.md` (a freqtrade-like summary), `trades.csv`,
//! `equity.svg` (equity curve with drawdown) and `trades.svg` (fills on the
//! price chart for a window). Money is printed exactly; ratios are plain
//! fractions (0.25 = 25 %).

use super::stats::{regime_name, to_f64, Metrics};
use super::{BacktestConfig, ExitReason, RunResult, Series};
use crate::binance::types::Side;
use crate::num::Wide;
use serde_json::{json, Value};
use std::fmt::Write;
use std::path::Path;

/// Candles shown by `trades.svg` when no window is given.
pub const DEFAULT_PLOT_CANDLES: usize = 300;
/// Most points of a line in an SVG (longer series are bucketed).
pub const MAX_SVG_POINTS: usize = 2_000;
/// Most gaps listed one by one in report.json.
pub const MAX_GAPS_LISTED: usize = 100;
/// Names of report.json's timing fields (they differ between two runs of the same input).
pub const TIMING_FIELDS: [&str; 3] = ["wall_s", "candles_per_s", "timing"];

/// `YYYY-MM-DD HH:MM` (UTC) of a time in ms since the epoch.
pub fn iso_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Days since 1970-01-01 to a civil date (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60
    )
}

fn opt(v: Option<f64>) -> Value {
    match v {
        Some(x) if x.is_finite() => json!(x),
        _ => Value::Null,
    }
}

fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

fn opt_num(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(|| "–".into(), |x| format!("{x:.3}"))
}

/// One plugin slot's cost over a run (every call of that slot: the chain's
/// candle call, and for the strategy its fill calls too).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageCost {
    /// The slot (`regime`, `confidence`, `risk`, `strategy`).
    pub slot: String,
    /// Calls made.
    pub calls: u64,
    /// Their total time, ns (TSC ticks, calibrated).
    pub total_ns: u64,
    /// The longest call, ns.
    pub max_ns: u64,
    /// The most fuel one call used (about one unit per wasm instruction).
    pub max_fuel: u64,
    /// Fuel used by all calls.
    pub total_fuel: u64,
}

impl StageCost {
    /// Mean ns per call (0 without calls).
    pub fn mean_ns(&self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            self.total_ns as f64 / self.calls as f64
        }
    }

    /// Mean fuel per call (0 without calls): the guest's work per call,
    /// about one unit per wasm instruction, whatever the machine's load.
    pub fn mean_fuel(&self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            self.total_fuel as f64 / self.calls as f64
        }
    }
}

/// Seconds of the engine's candle input spent outside the plugin calls:
/// indicators, aggregation, the chain's own work (never below 0).
fn engine_outside_plugins_s(engine_s: f64, costs: &[StageCost]) -> f64 {
    let plugins: f64 = costs.iter().map(|c| c.total_ns as f64 / 1e9).sum();
    (engine_s - plugins).max(0.0)
}

/// What the report shows besides the run itself.
#[derive(Debug, Clone, Default)]
pub struct ReportMeta {
    /// The decision stage's name (e.g. the plugin chain, or the test strategy).
    pub stage: String,
    /// Its parameters, `(name, value × 10⁸)`.
    pub params: Vec<(String, i64)>,
    /// Seconds spent reading and decoding the klines files.
    pub decode_s: f64,
    /// Plugin faults counted by the stage (0 for a built-in stage).
    pub plugin_faults: u64,
    /// What each plugin slot cost during the run (empty for a built-in
    /// stage): the breakdown of a candle's time in the report.
    pub stage_costs: Vec<StageCost>,
    /// The window of `trades.svg`, ms (`None`: the last [`DEFAULT_PLOT_CANDLES`] candles).
    pub plot_window: Option<(i64, i64)>,
    /// Extra top-level fields (sweep rankings, walk-forward windows).
    pub extra: serde_json::Map<String, Value>,
}

fn gaps_json(r: &RunResult) -> Value {
    let mut all: Vec<(String, i64, i64, i64)> = Vec::new();
    for s in &r.series {
        for g in &s.gaps {
            all.push((
                s.symbol.as_str().to_string(),
                g.last_before_ms,
                g.first_after_ms,
                g.missing_ms(s.timeframe),
            ));
        }
    }
    let longest = all.iter().max_by_key(|g| g.3);
    json!({
        "count": all.len(),
        "longest_ms": longest.map_or(0, |g| g.3),
        "longest_after": longest.map(|g| iso_utc(g.1)),
        "longest_symbol": longest.map(|g| g.0.clone()),
        "list": all.iter().take(MAX_GAPS_LISTED).map(|g| json!({
            "symbol": g.0,
            "last_before": iso_utc(g.1),
            "first_after": iso_utc(g.2),
            "missing_ms": g.3,
        })).collect::<Vec<_>>(),
    })
}

/// report.json.
pub fn json(r: &RunResult, m: &Metrics, cfg: &BacktestConfig, meta: &ReportMeta) -> Value {
    let start = r.series.iter().map(|s| s.start_ms).min().unwrap_or(0);
    let end = r.series.iter().map(|s| s.end_ms).max().unwrap_or(0);
    let wall = meta.decode_s + r.run_s;
    let mut regimes = serde_json::Map::new();
    for (i, n) in r.regimes.iter().enumerate() {
        regimes.insert(regime_name(i).into(), json!(n));
    }
    let mut regime_trades = serde_json::Map::new();
    for (i, g) in m.by_regime.iter().enumerate() {
        regime_trades.insert(
            regime_name(i).into(),
            json!({"trades": g.trades, "wins": g.wins, "profit": g.profit.to_string(), "avg_profit_pct": g.avg_pct()}),
        );
    }
    let mut exits = serde_json::Map::new();
    let mut exit_profit = serde_json::Map::new();
    for (i, g) in m.by_exit.iter().enumerate() {
        exits.insert(ExitReason::ALL[i].name().into(), json!(g.trades));
        exit_profit.insert(
            ExitReason::ALL[i].name().into(),
            json!(g.profit.to_string()),
        );
    }
    let symbols: Vec<&str> = r.series.iter().map(|s| s.symbol.as_str()).collect();
    let timeframes: Vec<&str> = r.series.iter().map(|s| s.timeframe.label()).collect();
    let mut v = json!({
        "symbol": symbols.join(","),
        "timeframe": timeframes.first().copied().unwrap_or(""),
        "candles": r.candles,
        "start": iso_utc(start),
        "end": iso_utc(end),
        "wall_s": wall,
        "candles_per_s": if r.run_s > 0.0 { r.candles as f64 / r.run_s } else { 0.0 },
        "timing": {
            "decode_s": meta.decode_s,
            "run_s": r.run_s,
            "plugins": meta.stage_costs.iter().map(|c| json!({
                "slot": c.slot,
                "calls": c.calls,
                "total_s": c.total_ns as f64 / 1e9,
                "mean_ns": c.mean_ns(),
                "max_ns": c.max_ns,
                "max_fuel": c.max_fuel,
                "mean_fuel": c.mean_fuel(),
            })).collect::<Vec<_>>(),
            "engine_s": r.engine_s,
            "indicators_and_engine_s": engine_outside_plugins_s(r.engine_s, &meta.stage_costs),
            "fills_and_accounting_s": (r.run_s - r.engine_s).max(0.0),
            "candles_per_s_with_decode": if wall > 0.0 { r.candles as f64 / wall } else { 0.0 },
        },
        "trades": m.trades,
        "wins": m.wins,
        "draws": m.draws,
        "losses": m.losses,
        "win_rate": m.win_rate,
        "avg_profit_pct": m.avg_profit_pct,
        "total_profit": m.total_profit.to_string(),
        "profit_factor": opt(m.profit_factor),
        "sharpe": opt(m.sharpe),
        "sortino": opt(m.sortino),
        "calmar": opt(m.calmar),
        "cagr": opt(m.cagr),
        "max_drawdown": m.max_drawdown,
        "max_drawdown_start": m.drawdown_start_ms.map(iso_utc),
        "max_drawdown_end": m.drawdown_end_ms.map(iso_utc),
        "total_return": m.total_return,
        "buy_and_hold_return": m.buy_and_hold_return,
        "expectancy": m.expectancy,
        "expectancy_ratio": opt(m.expectancy_ratio),
        "best_trade_pct": opt(m.best_trade_pct),
        "worst_trade_pct": opt(m.worst_trade_pct),
        "largest_loss_pct_of_equity": m.largest_loss_pct_of_equity,
        "avg_trade_duration_ms": m.avg_duration_ms,
        "fees_paid": r.fees_paid.to_string(),
    });
    let more = json!({
        "regimes": regimes,
        "regime_trades": regime_trades,
        "exit_reasons": exits,
        "exit_profit": exit_profit,
        "equity_start": r.equity_start.to_string(),
        "equity_end": r.equity_end.to_string(),
        "quote": r.quote.as_str(),
        "plugin_faults": meta.plugin_faults,
        "journal_dir": Value::Null,
        "stage": meta.stage,
        "params": meta.params.iter().map(|(k, v)| json!({"name": k, "value_e8": v})).collect::<Vec<_>>(),
        "decisions": r.decisions,
        "refusal_examples": r.refusal_examples,
        "kill_switch": r.kill.map(|(ms, reason, action)| json!({"at": iso_utc(ms), "reason": reason, "action": action})),
        "daily_returns": m.days,
        "gaps": gaps_json(r),
        "orders": r.counters,
        "config": {
            "initial_quote": cfg.initial_quote.to_string(),
            "maker_fee": cfg.maker_fee.to_string(),
            "taker_fee": cfg.taker_fee.to_string(),
            "slippage_bps": cfg.slippage_bps,
            "close_at_end": cfg.close_at_end,
            "max_loss_per_trade": cfg.risk.max_loss_per_trade.to_string(),
            "max_drawdown_kill": cfg.risk.max_drawdown.to_string(),
            "daily_loss_kill": cfg.risk.daily_loss.to_string(),
            "max_order_notional": cfg.risk.max_order_notional.to_string(),
            "max_position_notional": cfg.risk.max_position_notional.to_string(),
        },
        "series": r.series.iter().map(|s| json!({
            "symbol": s.symbol.as_str(),
            "timeframe": s.timeframe.label(),
            "source": s.source,
            "candles": s.candles,
            "start": iso_utc(s.start_ms),
            "end": iso_utc(s.end_ms),
            "first_open": s.first_open.to_string(),
            "last_close": s.last_close.to_string(),
            "gaps": s.gaps.len(),
        })).collect::<Vec<_>>(),
    });
    if let (Value::Object(o), Value::Object(more)) = (&mut v, more) {
        o.extend(more);
    }
    if let Value::Object(o) = &mut v {
        for (k, x) in &meta.extra {
            o.insert(k.clone(), x.clone());
        }
    }
    v
}

/// report.md: a freqtrade-like summary.
pub fn markdown(r: &RunResult, m: &Metrics, meta: &ReportMeta) -> String {
    let mut s = String::new();
    let start = r.series.iter().map(|s| s.start_ms).min().unwrap_or(0);
    let end = r.series.iter().map(|s| s.end_ms).max().unwrap_or(0);
    let q = r.quote.as_str();
    let _ = writeln!(s, "# kairos backtest\n");
    let _ = writeln!(
        s,
        "Stage: `{}`{}. Data: {} candles, {} → {} UTC. Simulation {:.3} s ({:.0} candles/s), decoding {:.3} s.\n",
        meta.stage,
        if meta.params.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                meta.params
                    .iter()
                    .map(|(k, v)| format!("{k}={}", crate::num::Amount::from_units_unchecked(*v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        r.candles,
        iso_utc(start),
        iso_utc(end),
        r.run_s,
        if r.run_s > 0.0 { r.candles as f64 / r.run_s } else { 0.0 },
        meta.decode_s
    );
    let _ = writeln!(
        s,
        "## Where the time goes\n\n| part | seconds | calls | mean ns per call | longest ns | mean fuel per call |\n|---|---|---|---|---|---|"
    );
    let _ = writeln!(s, "| decoding the klines | {:.3} | | | | |", meta.decode_s);
    let _ = writeln!(
        s,
        "| indicators, aggregation, the stage's own work | {:.3} | | | | |",
        engine_outside_plugins_s(r.engine_s, &meta.stage_costs)
    );
    for c in &meta.stage_costs {
        let _ = writeln!(
            s,
            "| plugin `{}` | {:.3} | {} | {:.0} | {} | {:.0} |",
            c.slot,
            c.total_ns as f64 / 1e9,
            c.calls,
            c.mean_ns(),
            c.max_ns,
            c.mean_fuel()
        );
    }
    let _ = writeln!(
        s,
        "| matching, fills, accounting | {:.3} | | | | |\n",
        (r.run_s - r.engine_s).max(0.0)
    );
    let _ = writeln!(s, "## Summary\n\n| metric | value |\n|---|---|");
    let row = |s: &mut String, k: &str, v: String| {
        let _ = writeln!(s, "| {k} | {v} |");
    };
    row(
        &mut s,
        "Symbols",
        r.series
            .iter()
            .map(|x| format!("{} {}", x.symbol.as_str(), x.timeframe.label()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    row(
        &mut s,
        "Starting balance",
        format!("{} {q}", r.equity_start),
    );
    row(&mut s, "Final balance", format!("{} {q}", r.equity_end));
    row(
        &mut s,
        "Total profit",
        format!(
            "{} {q} ({})",
            r.equity_end
                .checked_sub(r.equity_start)
                .unwrap_or(Wide::ZERO),
            pct(m.total_return)
        ),
    );
    row(&mut s, "CAGR", m.cagr.map_or("–".into(), pct));
    row(&mut s, "Trades", m.trades.to_string());
    row(
        &mut s,
        "Win / draw / loss",
        format!(
            "{} / {} / {} (win rate {})",
            m.wins,
            m.draws,
            m.losses,
            pct(m.win_rate)
        ),
    );
    row(&mut s, "Avg profit per trade", pct(m.avg_profit_pct));
    row(&mut s, "Profit factor", opt_num(m.profit_factor));
    row(
        &mut s,
        "Expectancy",
        format!(
            "{:.4} {q} per trade (ratio {})",
            m.expectancy,
            opt_num(m.expectancy_ratio)
        ),
    );
    row(&mut s, "Sharpe (daily, annualised)", opt_num(m.sharpe));
    row(&mut s, "Sortino (daily, annualised)", opt_num(m.sortino));
    row(&mut s, "Calmar", opt_num(m.calmar));
    row(
        &mut s,
        "Max drawdown",
        format!(
            "{} ({} → {})",
            pct(m.max_drawdown),
            m.drawdown_start_ms.map_or("–".into(), iso_utc),
            m.drawdown_end_ms.map_or("–".into(), iso_utc)
        ),
    );
    row(
        &mut s,
        "Best trade",
        m.best_trade_pct.map_or("–".into(), pct),
    );
    row(
        &mut s,
        "Worst trade",
        m.worst_trade_pct.map_or("–".into(), pct),
    );
    row(
        &mut s,
        "Largest loss / equity",
        pct(m.largest_loss_pct_of_equity),
    );
    row(
        &mut s,
        "Avg trade duration",
        format!("{:.1} h", m.avg_duration_ms as f64 / 3.6e6),
    );
    row(&mut s, "Fees paid", format!("{} {q}", r.fees_paid));
    row(
        &mut s,
        "Market change (buy and hold)",
        pct(m.buy_and_hold_return),
    );
    row(&mut s, "Plugin faults", meta.plugin_faults.to_string());
    let c = &r.counters;
    row(
        &mut s,
        "Intents / placed / fills",
        format!("{} / {} / {}", c.intents, c.orders_placed, c.fills),
    );
    row(
        &mut s,
        "Refused: risk / filter / balance / no position",
        format!(
            "{} / {} / {} / {}",
            c.refused_risk, c.refused_filter, c.refused_balance, c.refused_no_position
        ),
    );
    row(
        &mut s,
        "Forced stops / kill switches",
        format!("{} / {}", c.forced_stops, c.kills),
    );
    if let Some((ms, reason, action)) = r.kill {
        row(&mut s, "Kill switch", format!(
            "{reason} at {} ({action}); only risk-reducing orders afterwards, as live until an operator resumes",
            iso_utc(ms)
        ));
    }
    if !r.refusal_examples.is_empty() {
        let _ = writeln!(s, "\nFirst refusal of each kind:\n");
        for x in &r.refusal_examples {
            let _ = writeln!(s, "- {x}");
        }
    }
    let _ = writeln!(s, "\n## Exit reasons\n\n| reason | trades | wins | profit ({q}) | avg profit |\n|---|---|---|---|---|");
    for (i, g) in m.by_exit.iter().enumerate() {
        if g.trades > 0 {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                ExitReason::ALL[i].name(),
                g.trades,
                g.wins,
                g.profit,
                pct(g.avg_pct())
            );
        }
    }
    let _ = writeln!(s, "\n## Regimes\n\n| regime | candles | trades entered | wins | profit ({q}) | avg profit |\n|---|---|---|---|---|---|");
    for (i, g) in m.by_regime.iter().enumerate() {
        if g.trades > 0 || r.regimes[i] > 0 {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                regime_name(i),
                r.regimes[i],
                g.trades,
                g.wins,
                g.profit,
                pct(g.avg_pct())
            );
        }
    }
    let _ = writeln!(
        s,
        "\n## Data gaps (never bridged; indicators restart after each)\n"
    );
    let mut n = 0;
    for x in &r.series {
        let longest = x.gaps.iter().max_by_key(|g| g.missing);
        let _ = writeln!(
            s,
            "- {} {} ({}): {} candles, {} gaps{}",
            x.symbol.as_str(),
            x.timeframe.label(),
            x.source,
            x.candles,
            x.gaps.len(),
            longest.map_or(String::new(), |g| format!(
                "; longest {:.1} h after {}",
                g.missing_ms(x.timeframe) as f64 / 3.6e6,
                iso_utc(g.last_before_ms)
            ))
        );
        n += x.gaps.len();
    }
    let _ = writeln!(s, "\nTotal gaps: {n}. Formulas: `docs/backtest-metrics.md`. Plots: `equity.svg`, `trades.svg`; every trade: `trades.csv`.");
    s
}

/// trades.csv: one line per closed trade.
pub fn trades_csv(r: &RunResult) -> String {
    let mut s = String::from(
        "symbol,entry_time,exit_time,entry_ms,exit_ms,entries,exits,qty,avg_entry,avg_exit,cost,proceeds,fees,profit,profit_pct,exit_reason,regime\n",
    );
    for t in &r.trades {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.6},{},{}",
            t.symbol.as_str(),
            iso_utc(t.entry_ms),
            iso_utc(t.exit_ms),
            t.entry_ms,
            t.exit_ms,
            t.entries,
            t.exits,
            t.qty,
            t.avg_entry,
            t.avg_exit,
            t.cost,
            t.proceeds,
            t.fees,
            t.profit,
            super::stats::trade_return(t) * 100.0,
            t.exit_reason.name(),
            t.regime.map_or("unknown", |g| g.name()),
        );
    }
    s
}

const W: f64 = 960.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;

fn svg_open(h: f64, title: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/><text x="{}" y="20" font-size="15" text-anchor="middle">{}</text>"#,
        W / 2.0,
        title.replace('&', "&amp;").replace('<', "&lt;")
    )
}

/// equity.svg: equity (top) and drawdown from the peak (bottom).
pub fn equity_svg(r: &RunResult) -> String {
    const H: f64 = 520.0;
    let (top, mid, dd_top, bottom) = (40.0, 340.0, 370.0, 490.0);
    let mut s = svg_open(H, &format!("Equity ({}) and drawdown", r.quote.as_str()));
    if r.equity.is_empty() {
        s.push_str("</svg>");
        return s;
    }
    let t0 = r.equity[0].0 as f64;
    let t1 = (r.equity[r.equity.len() - 1].0 as f64).max(t0 + 1.0);
    let x = |t: i64| LEFT + (t as f64 - t0) / (t1 - t0) * (W - LEFT - RIGHT);
    let vals: Vec<f64> = r.equity.iter().map(|e| to_f64(e.1)).collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .max(lo + 1e-9);
    let y = |v: f64| mid - (v - lo) / (hi - lo) * (mid - top);
    let mut peak = f64::NEG_INFINITY;
    let dds: Vec<f64> = vals
        .iter()
        .map(|v| {
            peak = peak.max(*v);
            if peak > 0.0 {
                (peak - v) / peak
            } else {
                0.0
            }
        })
        .collect();
    let dd_max = dds.iter().copied().fold(0.0, f64::max).max(1e-9);
    let yd = |d: f64| dd_top + d / dd_max * (bottom - dd_top);
    let stride = r.equity.len().div_ceil(MAX_SVG_POINTS).max(1);
    let mut line = String::new();
    let mut area = format!("{:.1},{:.1} ", x(r.equity[0].0), dd_top);
    for (k, chunk) in r.equity.chunks(stride).enumerate() {
        let i = k * stride;
        let last = i + chunk.len() - 1;
        let _ = write!(line, "{:.1},{:.1} ", x(r.equity[last].0), y(vals[last]));
        let d = dds[i..=last].iter().copied().fold(0.0, f64::max);
        let _ = write!(area, "{:.1},{:.1} ", x(r.equity[last].0), yd(d));
    }
    let _ = write!(
        area,
        "{:.1},{:.1}",
        x(r.equity[r.equity.len() - 1].0),
        dd_top
    );
    let _ = write!(
        s,
        r##"<polyline fill="none" stroke="#1f77b4" stroke-width="1.2" points="{line}"/><polygon fill="#d62728" fill-opacity="0.5" points="{area}"/>"##
    );
    for (v, label) in [(lo, lo), (hi, hi)] {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{label:.0}</text>"#,
            LEFT - 6.0,
            y(v) + 4.0
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end">0 %</text><text x="{:.1}" y="{:.1}" text-anchor="end">-{:.1} %</text>"#,
        LEFT - 6.0,
        dd_top + 4.0,
        LEFT - 6.0,
        bottom + 4.0,
        dd_max * 100.0
    );
    let _ = write!(
        s,
        r#"<text x="{LEFT}" y="{:.1}">{}</text><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><text x="{LEFT}" y="{:.1}">drawdown from peak</text>"#,
        H - 8.0,
        iso_utc(r.equity[0].0),
        W - RIGHT,
        H - 8.0,
        iso_utc(r.equity[r.equity.len() - 1].0),
        dd_top - 6.0
    );
    s.push_str("</svg>");
    s
}

/// trades.svg: the first series' candles in `[from, to)` (or its last
/// [`DEFAULT_PLOT_CANDLES`]) as high–low bars with the close (broken at
/// gaps), and every
/// fill in the window (buys ▲ green below, sells ▼ red above).
pub fn trades_svg(series: &Series, r: &RunResult, window: Option<(i64, i64)>) -> String {
    const H: f64 = 480.0;
    let (top, bottom) = (40.0, 440.0);
    let cs = &series.candles;
    let (a, b) = match window {
        Some((from, to)) => (
            cs.partition_point(|c| c.open_time_ms < from),
            cs.partition_point(|c| c.open_time_ms < to),
        ),
        None => (cs.len().saturating_sub(DEFAULT_PLOT_CANDLES), cs.len()),
    };
    let view = &cs[a..b.max(a)];
    let mut s = svg_open(
        H,
        &format!(
            "{} {}: trades",
            series.symbol.as_str(),
            series.timeframe.label()
        ),
    );
    if view.is_empty() {
        s.push_str("</svg>");
        return s;
    }
    let (t0, t1) = (view[0].open_time_ms, view[view.len() - 1].next_open_ms());
    let lo = view.iter().map(|c| c.low.units()).min().unwrap_or(0) as f64 / 1e8;
    let hi = (view.iter().map(|c| c.high.units()).max().unwrap_or(1) as f64 / 1e8).max(lo + 1e-9);
    let x = |t: i64| LEFT + (t - t0) as f64 / (t1 - t0).max(1) as f64 * (W - LEFT - RIGHT);
    let y = |p: f64| bottom - (p - lo) / (hi - lo) * (bottom - top);
    let stride = view.len().div_ceil(MAX_SVG_POINTS).max(1);
    let mut bars = String::new();
    let mut close = String::new();
    let mut prev_next: Option<i64> = None;
    for chunk in view.chunks(stride) {
        // A gap in the data breaks the line (never drawn across an outage).
        let joined = prev_next == Some(chunk[0].open_time_ms)
            && chunk
                .windows(2)
                .all(|w| w[0].next_open_ms() == w[1].open_time_ms);
        prev_next = Some(chunk[chunk.len() - 1].next_open_ms());
        let h = chunk.iter().map(|c| c.high.units()).max().unwrap_or(0) as f64 / 1e8;
        let l = chunk.iter().map(|c| c.low.units()).min().unwrap_or(0) as f64 / 1e8;
        let last = chunk[chunk.len() - 1];
        let xm = x(chunk[0].open_time_ms);
        let _ = write!(bars, "M{xm:.1},{:.1}V{:.1}", y(h), y(l));
        let _ = write!(
            close,
            "{}{:.1},{:.1} ",
            if joined { 'L' } else { 'M' },
            x(last.open_time_ms),
            y(last.close.units() as f64 / 1e8)
        );
    }
    let _ = write!(
        s,
        r##"<path stroke="#aaa" stroke-width="1" d="{bars}"/><path fill="none" stroke="#333" stroke-width="1" d="{close}"/>"##
    );
    let sym = r.series.iter().position(|x| x.symbol == series.symbol);
    for &(k, ms, side, price, _) in &r.fills {
        if Some(k) != sym || ms < t0 || ms >= t1 {
            continue;
        }
        let (px, py) = (x(ms), y(price.units() as f64 / 1e8));
        let _ = match side {
            Side::Buy => write!(
                s,
                r##"<path fill="#2ca02c" d="M{px:.1},{:.1}l-5,9h10z"/>"##,
                py + 2.0
            ),
            Side::Sell => write!(
                s,
                r##"<path fill="#d62728" d="M{px:.1},{:.1}l-5,-9h10z"/>"##,
                py - 2.0
            ),
        };
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{hi:.2}</text><text x="{:.1}" y="{:.1}" text-anchor="end">{lo:.2}</text><text x="{LEFT}" y="{:.1}">{}</text><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
        LEFT - 6.0,
        top + 4.0,
        LEFT - 6.0,
        bottom + 4.0,
        H - 12.0,
        iso_utc(t0),
        W - RIGHT,
        H - 12.0,
        iso_utc(t1)
    );
    s.push_str("</svg>");
    s
}

/// Writes every file of the report into `dir`.
pub fn write(
    dir: &Path,
    series: &[Series],
    r: &RunResult,
    cfg: &BacktestConfig,
    meta: &ReportMeta,
) -> std::io::Result<Metrics> {
    let m = Metrics::of(r);
    let j = json(r, &m, cfg, meta);
    let md = markdown(r, &m, meta);
    let mut svgs = vec![("equity.svg", equity_svg(r))];
    if let Some(first) = series.first() {
        svgs.push(("trades.svg", trades_svg(first, r, meta.plot_window)));
    }
    crate::report::write(dir, &j, &md, &svgs)?;
    std::fs::write(dir.join("trades.csv"), trades_csv(r))?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_are_civil_utc() {
        assert_eq!(iso_utc(0), "1970-01-01 00:00");
        // 2018-02-08 00:00 UTC, the start of Binance's 34 h outage.
        assert_eq!(iso_utc(1_518_048_000_000), "2018-02-08 00:00");
        assert_eq!(iso_utc(1_709_251_260_000), "2024-03-01 00:01");
    }
}
