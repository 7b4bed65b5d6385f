//! `kairos backtest --data FILE… --report DIR [--config FILE] [--sweep
//! FILE.toml] [--walk-forward K]`: candle backtest with the same engine,
//! limits and filters as live (see [`crate::drive::backtest`]).
//!
//! The decision stage is chosen in [`stage`]: the plugin chain of the
//! `[plugins]` section of `--config` (one [`crate::plugins::multi::SymbolChains`] chain per
//! symbol), or the native baseline [`SmaCrossTest`] with
//! `--builtin-test-strategy sma-cross` (for tests and comparisons, not the
//! bot's logic). With neither, the command is refused, saying what to give.

use crate::drive::backtest::report::{self, ReportMeta, StageCost};
use crate::drive::backtest::stats::{Metrics, RANK_METRICS};
use crate::drive::backtest::sweep::{self, combinations, parse_grid};
use crate::drive::backtest::test_strategy::{self, SmaCrossTest};
use crate::drive::backtest::{
    load_exchange_info, load_series, run, BacktestConfig, RunResult, Series,
};
use crate::engine::Decide;
use crate::indicators::candle::Timeframe;
use crate::num::{Amount, Wide};
use serde_json::json;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Wall time before a progress bar appears, ms.
pub const PROGRESS_AFTER_MS: u128 = 500;

/// The built-in test strategies (temporary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestStrategy {
    /// SMA(fast) / SMA(slow) cross with ATR stop and target.
    SmaCross,
}

/// `kairos backtest` arguments.
#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    /// Klines files (`open_time_ms,open,high,low,close,volume` CSV or
    /// Binance's 12-column dumps, gzip or plain); several symbols share one
    /// quote account. Symbol and timeframe come from the file name.
    #[arg(long = "data", required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Write report.json, report.md, trades.csv, equity.svg and trades.svg here.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// The bot's config: its `[plugins]` section is the decision stage (the
    /// four reference plugins: config/backtest.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// A TOML grid of parameters (`[params] name = [values…]`) to sweep.
    #[arg(long)]
    pub sweep: Option<PathBuf>,
    /// Walk-forward over K windows (optimise the sweep grid on window k,
    /// test on k + 1; only out-of-sample results are reported). Needs --sweep.
    #[arg(long = "walk-forward", value_name = "K")]
    pub walk_forward: Option<usize>,
    /// Ranking metric of a sweep (default: the sweep file's `rank`, else sharpe).
    #[arg(long)]
    pub rank: Option<String>,
    /// Run this built-in test strategy instead of a plugin chain (a native
    /// baseline for tests and comparisons; not the bot's logic).
    #[arg(long = "builtin-test-strategy", value_enum)]
    pub builtin_test_strategy: Option<TestStrategy>,
    /// A stage parameter for a single run, `name=value` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// The symbol, when the file name does not tell it (one --data only).
    #[arg(long)]
    pub symbol: Option<String>,
    /// The timeframe (1m, 5m, 15m, 1h, 4h), when the file name does not tell it.
    #[arg(long)]
    pub timeframe: Option<String>,
    /// An exchangeInfo body (JSON, .gz ok) with the symbols' real filters
    /// (default: BTCUSDT's filters for every symbol).
    #[arg(long = "exchange-info")]
    pub exchange_info: Option<PathBuf>,
    /// Starting quote balance.
    #[arg(long = "initial-quote", default_value = "10000")]
    pub initial_quote: String,
    /// Maker fee, a fraction (0.001 = 0.1 %).
    #[arg(long = "maker-fee", default_value = "0.001")]
    pub maker_fee: String,
    /// Taker fee, a fraction.
    #[arg(long = "taker-fee", default_value = "0.001")]
    pub taker_fee: String,
    /// Slippage of market and stop fills, basis points.
    #[arg(long = "slippage-bps", default_value_t = 0)]
    pub slippage_bps: u32,
    /// Window of trades.svg: `START..END`, dates `YYYY-MM-DD[THH:MM]` (UTC)
    /// or ms (default: the last 300 candles).
    #[arg(long = "plot-window")]
    pub plot_window: Option<String>,
    /// Leave positions open at the end instead of closing them at the last close.
    #[arg(long = "keep-open")]
    pub keep_open: bool,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("kairos backtest: {msg}");
    ExitCode::from(2)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DD[THH:MM]` (UTC) or plain ms.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let bad = || format!("{s:?} is not YYYY-MM-DD[THH:MM] or ms");
    let (date, time) = s.split_once(['T', ' ']).unwrap_or((s, "00:00"));
    let p: Vec<i64> = date
        .split('-')
        .map(|x| x.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let t: Vec<i64> = time
        .split(':')
        .map(|x| x.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    if p.len() != 3
        || t.len() != 2
        || !(1..=12).contains(&p[1])
        || !(1..=31).contains(&p[2])
        || !(0..24).contains(&t[0])
        || !(0..60).contains(&t[1])
    {
        return Err(bad());
    }
    Ok((days_from_civil(p[0], p[1], p[2]) * 86_400 + t[0] * 3600 + t[1] * 60) * 1000)
}

fn parse_params(list: &[String]) -> Result<Vec<(String, i64)>, String> {
    list.iter()
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("--param {p:?}: expected NAME=VALUE"))?;
            let v = Amount::parse(v.trim()).map_err(|e| format!("--param {p:?}: {e}"))?;
            Ok((k.trim().to_string(), v.units()))
        })
        .collect()
}

fn config_from(args: &BacktestArgs) -> Result<BacktestConfig, String> {
    let mut cfg = BacktestConfig {
        initial_quote: Wide::parse_bytes(args.initial_quote.as_bytes())
            .map_err(|e| format!("--initial-quote {:?}: {e}", args.initial_quote))?,
        maker_fee: Amount::parse(&args.maker_fee)
            .map_err(|e| format!("--maker-fee {:?}: {e}", args.maker_fee))?,
        taker_fee: Amount::parse(&args.taker_fee)
            .map_err(|e| format!("--taker-fee {:?}: {e}", args.taker_fee))?,
        slippage_bps: args.slippage_bps,
        close_at_end: !args.keep_open,
        ..BacktestConfig::default()
    };
    for (name, f) in [
        ("--maker-fee", cfg.maker_fee),
        ("--taker-fee", cfg.taker_fee),
    ] {
        if f.units() < 0 || f > Amount::ONE {
            return Err(format!("{name} {f} is not a fraction between 0 and 1"));
        }
    }
    if cfg.initial_quote.units() <= 0 {
        return Err("--initial-quote must be positive".into());
    }
    if cfg.slippage_bps > 10_000 {
        return Err("--slippage-bps must be at most 10000".into());
    }
    if let Some(p) = &args.exchange_info {
        cfg.symbols = load_exchange_info(p).map_err(|e| e.to_string())?;
    }
    Ok(cfg)
}

fn load_all(args: &BacktestArgs) -> Result<Vec<Series>, String> {
    if args.symbol.is_some() && args.data.len() > 1 {
        return Err("--symbol applies to one --data file only".into());
    }
    let tf = match &args.timeframe {
        Some(t) => Some(
            Timeframe::from_label(t)
                .ok_or_else(|| format!("--timeframe {t:?}: expected 1m, 5m, 15m, 1h or 4h"))?,
        ),
        None => None,
    };
    args.data
        .iter()
        .map(|p| load_series(p, args.symbol.as_deref(), tf).map_err(|e| e.to_string()))
        .collect()
}

fn bar(total: u64, label: &'static str, unit: &str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{msg}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"
    )) {
        b.set_style(style.progress_chars("=> "));
    }
    b.set_message(label);
    b
}

/// Runs the subcommand.
pub fn run_cli(args: &BacktestArgs) -> ExitCode {
    stage(args)
}

/// Chooses the decision stage and runs: the plugin chain of `--config`
/// (one chain per symbol; `--param` and sweep names are `SLOT.NAME`), or the
/// built-in test strategy when `--builtin-test-strategy` is given.
pub fn stage(args: &BacktestArgs) -> ExitCode {
    if let Some(path) = &args.config {
        if args.builtin_test_strategy.is_some() {
            return fail("give --config or --builtin-test-strategy, not both");
        }
        return plugin_stage(args, path);
    }
    if args.builtin_test_strategy.is_none() {
        return fail(
            "no decision stage: give --config FILE with a [plugins] section \
             (e.g. config/backtest.toml: the four reference plugins) or \
             --builtin-test-strategy sma-cross",
        );
    }
    if let Some(bad) = parse_params(&args.params)
        .unwrap_or_default()
        .iter()
        .find(|(k, _)| !SmaCrossTest::knows(k))
    {
        return fail(format!(
            "--param {}: sma-cross takes {}",
            bad.0,
            test_strategy::PARAMS.map(|p| p.0).join(", ")
        ));
    }
    execute(
        args,
        "builtin-test-strategy:sma-cross",
        &|p: &[(String, i64)]| SmaCrossTest::from_params(p),
        &|_| (0, Vec::new()),
    )
}

/// The plugin chain of the config at `path` as the stage.
fn plugin_stage(args: &BacktestArgs, path: &std::path::Path) -> ExitCode {
    use crate::plugins::multi::{Override, SymbolChains};
    let cfg = match crate::config::KairosConfig::load(path) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let Some(plugins) = cfg.plugins else {
        return fail(format!(
            "{}: no [plugins] section: nothing decides",
            path.display()
        ));
    };
    let factory = match crate::plugins::ChainFactory::new(&plugins) {
        Ok(f) => f,
        Err(e) => return fail(format!("{}: {e}", path.display())),
    };
    // Every parameter name the run may set (--param, the sweep grid) is
    // checked on a chain now, so a typo fails before any candle.
    let mut names: Vec<(String, i64)> = match parse_params(&args.params) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if let Some(sweep_path) = &args.sweep {
        match std::fs::read_to_string(sweep_path)
            .map_err(|e| format!("{}: {e}", sweep_path.display()))
            .and_then(|t| parse_grid(&t).map_err(|e| format!("{}: {e}", sweep_path.display())))
        {
            Ok(grid) => {
                for (name, values) in &grid.params {
                    if let Some(v) = values.first() {
                        names.push((name.clone(), *v));
                    }
                }
            }
            Err(e) => return fail(e),
        }
    }
    let overrides = |p: &[(String, i64)]| -> Result<Vec<Override>, String> {
        p.iter().map(|(k, v)| Override::parse(k, *v)).collect()
    };
    match overrides(&names).and_then(|o| {
        let probe = crate::binance::fast::Symbol::new(b"CHECKUSDT")
            .ok_or_else(|| "internal: probe symbol".to_string())?;
        SymbolChains::make(&factory, probe, &o).map(|_| ())
    }) {
        Ok(()) => {}
        Err(e) => return fail(format!("{}: {e}", path.display())),
    }
    let mut loaded: Vec<String> = Vec::new();
    for slot in crate::plugins::Slot::ALL {
        if let Some(sc) = plugins.slot(slot) {
            let file = sc
                .path
                .file_stem()
                .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
            loaded.push(format!("{}={file}", slot.name()));
        }
    }
    let name = format!("plugins:{}", loaded.join(","));
    execute(
        args,
        &name,
        &|p: &[(String, i64)]| {
            // Checked above: a name that parsed then parses again.
            SymbolChains::new(&factory, overrides(p).unwrap_or_default())
        },
        &|d: &SymbolChains<'_>| {
            let costs = d
                .costs()
                .into_iter()
                .map(|(slot, t)| StageCost {
                    slot: slot.name().to_string(),
                    calls: t.calls,
                    total_ns: t.total_ns,
                    max_ns: t.max_ns,
                    max_fuel: t.max_fuel,
                    total_fuel: t.total_fuel,
                })
                .collect();
            (d.faults() + d.errors, costs)
        },
    )
}

/// Loads the data and runs a single backtest, a sweep or a walk-forward of
/// the stage `factory` makes; `inspect` reads the plugin fault count and
/// the per-slot costs of a finished stage.
pub fn execute<D, F>(
    args: &BacktestArgs,
    stage_name: &str,
    factory: &F,
    inspect: &dyn Fn(&D) -> (u64, Vec<StageCost>),
) -> ExitCode
where
    D: Decide,
    F: Fn(&[(String, i64)]) -> D + Sync,
{
    let cfg = match config_from(args) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let params = match parse_params(&args.params) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let plot_window = match args.plot_window.as_deref().map(|w| {
        let (a, b) = w
            .split_once("..")
            .ok_or_else(|| format!("--plot-window {w:?}: expected START..END"))?;
        Ok::<_, String>((parse_time(a)?, parse_time(b)?))
    }) {
        None => None,
        Some(Ok(w)) => Some(w),
        Some(Err(e)) => return fail(e),
    };
    if args.walk_forward.is_some() && args.sweep.is_none() {
        return fail(
            "--walk-forward needs --sweep FILE.toml (the grid to optimise on each window)",
        );
    }
    let t0 = Instant::now();
    let series = match load_all(args) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let decode_s = t0.elapsed().as_secs_f64();
    let total: u64 = series.iter().map(|s| s.candles.len() as u64).sum();
    let mut meta = ReportMeta {
        stage: stage_name.to_string(),
        params: params.clone(),
        decode_s,
        plot_window,
        ..ReportMeta::default()
    };
    let Some(sweep_path) = &args.sweep else {
        // One run.
        let started = Instant::now();
        let mut pb: Option<indicatif::ProgressBar> = None;
        let out = run(&series, &cfg, factory(&params), &mut |done| {
            if pb.is_none() && started.elapsed().as_millis() >= PROGRESS_AFTER_MS {
                pb = Some(bar(total, "backtest", "candles"));
            }
            if let Some(b) = &pb {
                b.set_position(done);
            }
        });
        if let Some(b) = pb {
            b.finish_and_clear();
        }
        let out = match out {
            Ok(o) => o,
            Err(e) => return fail(e),
        };
        (meta.plugin_faults, meta.stage_costs) = inspect(&out.stage);
        return finish(args, &series, &out.result, &cfg, &meta);
    };
    // A sweep (and maybe a walk-forward).
    let text = match std::fs::read_to_string(sweep_path) {
        Ok(t) => t,
        Err(e) => return fail(format!("{}: {e}", sweep_path.display())),
    };
    let grid = match parse_grid(&text) {
        Ok(g) => g,
        Err(e) => return fail(format!("{}: {e}", sweep_path.display())),
    };
    let rank = args
        .rank
        .clone()
        .or(grid.rank.clone())
        .unwrap_or_else(|| "sharpe".into());
    if !RANK_METRICS.contains(&rank.as_str()) {
        return fail(format!(
            "--rank {rank:?}: one of {}",
            RANK_METRICS.join(", ")
        ));
    }
    let combos = match combinations(&grid) {
        Ok(c) => c
            .into_iter()
            .map(|mut c| {
                // --param values hold for every combination unless swept.
                for p in &params {
                    if !c.iter().any(|(k, _)| *k == p.0) {
                        c.push(p.clone());
                    }
                }
                c
            })
            .collect::<Vec<_>>(),
        Err(e) => return fail(e),
    };
    if let Some(k) = args.walk_forward {
        let runs = (combos.len() as u64 + 1) * (k.max(1) as u64 - 1);
        let pb = bar(runs, "walk-forward", "runs");
        let steps =
            match sweep::walk_forward(&series, &cfg, &combos, factory, &rank, k, &|| pb.inc(1)) {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
        pb.finish_and_clear();
        let Some(joined) = sweep::join_out_of_sample(&steps) else {
            return fail("walk-forward: no window had data on both sides");
        };
        let windows: Vec<_> = steps
            .iter()
            .map(|s| {
                let m = Metrics::of(&s.result);
                json!({
                    "train": [report::iso_utc(s.train.0), report::iso_utc(s.train.1)],
                    "test": [report::iso_utc(s.test.0), report::iso_utc(s.test.1)],
                    "params": s.params.iter().map(|(k, v)| json!({"name": k, "value_e8": v})).collect::<Vec<_>>(),
                    "in_sample_rank_value": if s.in_sample.is_finite() { json!(s.in_sample) } else { json!(null) },
                    "oos_trades": m.trades,
                    "oos_total_return": m.total_return,
                    "oos_sharpe": m.sharpe,
                    "oos_max_drawdown": m.max_drawdown,
                    "oos_buy_and_hold_return": m.buy_and_hold_return,
                })
            })
            .collect();
        meta.stage = format!(
            "{stage_name} (walk-forward, {k} windows, ranked by {rank}; out-of-sample only)"
        );
        meta.extra.insert(
            "walk_forward".into(),
            json!({"windows_k": k, "rank": rank, "steps": windows}),
        );
        let oos_series: Vec<Series> = series
            .iter()
            .map(|s| s.window(steps[0].test.0, i64::MAX))
            .collect();
        return finish(args, &oos_series, &joined, &cfg, &meta);
    }
    let pb = bar(combos.len() as u64, "sweep", "runs");
    let rows = match sweep::sweep(&series, &cfg, &combos, factory, &rank, &|| pb.inc(1)) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    pb.finish_and_clear();
    let table: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "rank_value": if r.rank_value.is_finite() { json!(r.rank_value) } else { json!(null) },
                "params": r.params.iter().map(|(k, v)| json!({"name": k, "value_e8": v})).collect::<Vec<_>>(),
                "trades": r.metrics.trades,
                "total_return": r.metrics.total_return,
                "sharpe": r.metrics.sharpe,
                "max_drawdown": r.metrics.max_drawdown,
                "win_rate": r.metrics.win_rate,
                "profit_factor": r.metrics.profit_factor,
            })
        })
        .collect();
    let Some(best) = rows.first() else {
        return fail("the sweep grid is empty");
    };
    // The best combination's full report (run again: deterministic).
    let out = match run(&series, &cfg, factory(&best.params), &mut |_| {}) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    meta.params = best.params.clone();
    (meta.plugin_faults, meta.stage_costs) = inspect(&out.stage);
    meta.stage = format!(
        "{stage_name} (best of a {}-combination sweep ranked by {rank})",
        rows.len()
    );
    meta.extra.insert(
        "sweep".into(),
        json!({"rank": rank, "combinations": rows.len(), "ranking": table}),
    );
    let code = finish(args, &series, &out.result, &cfg, &meta);
    if let Some(dir) = &args.report {
        let mut md = format!("# Sweep ranked by {rank}\n\n| # | params | trades | total return | sharpe | max drawdown |\n|---|---|---|---|---|---|\n");
        for (i, r) in rows.iter().enumerate() {
            let p = r
                .params
                .iter()
                .map(|(k, v)| format!("{k}={}", Amount::from_units_unchecked(*v)))
                .collect::<Vec<_>>()
                .join(" ");
            let _ = writeln!(
                md,
                "| {} | {p} | {} | {:.2} % | {} | {:.2} % |",
                i + 1,
                r.metrics.trades,
                r.metrics.total_return * 100.0,
                r.metrics.sharpe.map_or("–".into(), |x| format!("{x:.3}")),
                r.metrics.max_drawdown * 100.0
            );
        }
        if let Err(e) = std::fs::write(dir.join("sweep.md"), md) {
            return fail(format!("{}: {e}", dir.display()));
        }
    }
    code
}

fn finish(
    args: &BacktestArgs,
    series: &[Series],
    r: &RunResult,
    cfg: &BacktestConfig,
    meta: &ReportMeta,
) -> ExitCode {
    let m = Metrics::of(r);
    let line = format!(
        "{} candles in {:.3} s ({:.0} candles/s; decode {:.3} s): {} trades, return {:.2} % (buy and hold {:.2} %), sharpe {}, max drawdown {:.2} %, fees {} {}, gaps {}\n",
        r.candles,
        r.run_s,
        if r.run_s > 0.0 { r.candles as f64 / r.run_s } else { 0.0 },
        meta.decode_s,
        m.trades,
        m.total_return * 100.0,
        m.buy_and_hold_return * 100.0,
        m.sharpe.map_or("–".into(), |x| format!("{x:.3}")),
        m.max_drawdown * 100.0,
        r.fees_paid,
        r.quote.as_str(),
        r.series.iter().map(|s| s.gaps.len()).sum::<usize>(),
    );
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let plugins_s: f64 = meta
        .stage_costs
        .iter()
        .map(|c| c.total_ns as f64 / 1e9)
        .sum();
    let parts: Vec<String> = meta
        .stage_costs
        .iter()
        .map(|c| {
            format!(
                ", plugin {} {:.3} s ({:.0} ns, {:.0} fuel per call)",
                c.slot,
                c.total_ns as f64 / 1e9,
                c.mean_ns(),
                c.mean_fuel()
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "time: indicators and engine {:.3} s{}, matching/fills/accounting {:.3} s",
        (r.engine_s - plugins_s).max(0.0),
        parts.concat(),
        (r.run_s - r.engine_s).max(0.0)
    );
    if let Some(dir) = &args.report {
        if let Err(e) = report::write(dir, series, r, cfg, meta) {
            return fail(format!("writing the report to {}: {e}", dir.display()));
        }
        let _ = writeln!(out, "report: {}", dir.display());
    }
    ExitCode::SUCCESS
}
