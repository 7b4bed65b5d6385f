//! Parameter sweeps and walk-forward optimisation.
//!
//! A sweep file is TOML: an optional `rank = "sharpe"` and a `[params]`
//! table of `name = [values…]` (integers, decimals or decimal strings). Every
//! combination of the grid is one backtest, run in parallel (rayon), one
//! engine and one decision stage per run, made by a factory
//! `Fn(&[(String, i64)]) -> D` from the values scaled 10⁻⁸ (what the
//! plugins' set-param takes). Results are ranked by the chosen metric
//! (higher is better; `max_drawdown` ranks the smallest first); ties keep
//! the grid's order, so a sweep is deterministic.
//!
//! Walk-forward with K windows splits the data's time span into K equal
//! windows; for each k < K − 1 the grid is optimised on window k and its best
//! combination is run on window k + 1. Only those out-of-sample runs are
//! reported.

use super::stats::{Metrics, RANK_METRICS};
use super::{run, BacktestConfig, BacktestError, RunResult, Series};
use crate::engine::Decide;
use crate::num::{Amount, Rounding, Wide};
use rayon::prelude::*;

/// Most combinations one sweep may have.
pub const MAX_COMBINATIONS: usize = 100_000;
/// Most walk-forward windows.
pub const MAX_WINDOWS: usize = 100;

/// A parsed sweep file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    /// Parameter names and their values (× 10⁸), sorted by name.
    pub params: Vec<(String, Vec<i64>)>,
    /// The ranking metric, if the file names one.
    pub rank: Option<String>,
}

fn value_e8(name: &str, v: &toml::Value) -> Result<i64, String> {
    let text = match v {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) if f.is_finite() => format!("{f}"),
        toml::Value::String(s) => s.clone(),
        other => {
            return Err(format!(
            "parameter {name}: {other} is not a number (use integers, decimals or decimal strings)"
        ))
        }
    };
    Amount::parse(&text).map(|a| a.units()).map_err(|e| {
        format!("parameter {name}: {text:?} is not a decimal with at most 8 places: {e}")
    })
}

/// Parses a sweep file.
pub fn parse_grid(text: &str) -> Result<Grid, String> {
    let doc: toml::Table = text.parse().map_err(|e| format!("sweep file: {e}"))?;
    let mut rank = None;
    let mut params = Vec::new();
    for (k, v) in &doc {
        match (k.as_str(), v) {
            ("rank", toml::Value::String(s)) => {
                if !RANK_METRICS.contains(&s.as_str()) {
                    return Err(format!(
                        "sweep file: rank {s:?} is not one of {}",
                        RANK_METRICS.join(", ")
                    ));
                }
                rank = Some(s.clone());
            }
            ("params", toml::Value::Table(t)) => {
                for (name, vals) in t {
                    let list = match vals {
                        toml::Value::Array(a) => a
                            .iter()
                            .map(|x| value_e8(name, x))
                            .collect::<Result<Vec<_>, _>>()?,
                        one => vec![value_e8(name, one)?],
                    };
                    if list.is_empty() {
                        return Err(format!("sweep file: parameter {name} has no values"));
                    }
                    params.push((name.clone(), list));
                }
            }
            (other, _) => {
                return Err(format!(
                "sweep file: unknown key {other:?} (expected `rank = \"…\"` and a [params] table)"
            ))
            }
        }
    }
    if params.is_empty() {
        return Err("sweep file: no [params] table with at least one parameter".into());
    }
    Ok(Grid { params, rank })
}

/// Every combination of the grid (parameters sorted by name), the last
/// parameter varying fastest.
pub fn combinations(grid: &Grid) -> Result<Vec<Vec<(String, i64)>>, String> {
    let n = grid
        .params
        .iter()
        .try_fold(1usize, |a, (_, v)| a.checked_mul(v.len()))
        .filter(|n| *n <= MAX_COMBINATIONS)
        .ok_or_else(|| format!("sweep grid has more than {MAX_COMBINATIONS} combinations"))?;
    let mut out = Vec::with_capacity(n);
    for mut i in 0..n {
        let mut combo = vec![(String::new(), 0); grid.params.len()];
        for (j, (name, vals)) in grid.params.iter().enumerate().rev() {
            combo[j] = (name.clone(), vals[i % vals.len()]);
            i /= vals.len();
        }
        out.push(combo);
    }
    Ok(out)
}

/// One ranked combination.
#[derive(Debug, Clone)]
pub struct SweepRow {
    /// Its position in the grid.
    pub index: usize,
    /// The parameters.
    pub params: Vec<(String, i64)>,
    /// Its figures.
    pub metrics: Metrics,
    /// The ranking metric's value.
    pub rank_value: f64,
    /// Seconds its run took.
    pub run_s: f64,
    /// Candles it ran.
    pub candles: u64,
}

/// Runs every combination in parallel and ranks them (best first).
pub fn sweep<D, F>(
    series: &[Series],
    cfg: &BacktestConfig,
    combos: &[Vec<(String, i64)>],
    factory: &F,
    rank: &str,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<SweepRow>, BacktestError>
where
    D: Decide,
    F: Fn(&[(String, i64)]) -> D + Sync,
{
    if !RANK_METRICS.contains(&rank) {
        return Err(BacktestError::Series(format!(
            "rank metric {rank:?} is not one of {}",
            RANK_METRICS.join(", ")
        )));
    }
    let mut rows = combos
        .par_iter()
        .enumerate()
        .map(|(index, p)| {
            let out = run(series, cfg, factory(p), &mut |_| {})?;
            on_done();
            let metrics = Metrics::of(&out.result);
            let rank_value = metrics.rank_value(rank).unwrap_or(f64::NEG_INFINITY);
            Ok(SweepRow {
                index,
                params: p.clone(),
                metrics,
                rank_value,
                run_s: out.result.run_s,
                candles: out.result.candles,
            })
        })
        .collect::<Result<Vec<_>, BacktestError>>()?;
    rows.sort_by(|a, b| {
        b.rank_value
            .partial_cmp(&a.rank_value)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.index.cmp(&b.index))
    });
    Ok(rows)
}

/// The time windows `[from, to)` of a K-window walk-forward over `series`.
pub fn windows(series: &[Series], k: usize) -> Result<Vec<(i64, i64)>, BacktestError> {
    if !(2..=MAX_WINDOWS).contains(&k) {
        return Err(BacktestError::Series(format!(
            "--walk-forward needs 2 to {MAX_WINDOWS} windows, got {k}"
        )));
    }
    let start = series
        .iter()
        .filter_map(|s| s.candles.first())
        .map(|c| c.open_time_ms)
        .min();
    let end = series
        .iter()
        .filter_map(|s| s.candles.last())
        .map(|c| c.next_open_ms())
        .max();
    let (Some(start), Some(end)) = (start, end) else {
        return Err(BacktestError::Series("no candles to split".into()));
    };
    let span = (end - start) / k as i64;
    Ok((0..k)
        .map(|i| {
            let a = start + span * i as i64;
            let b = if i + 1 == k { end } else { a + span };
            (a, b)
        })
        .collect())
}

/// One out-of-sample step of a walk-forward.
#[derive(Debug, Clone)]
pub struct WalkStep {
    /// The window optimised on, ms.
    pub train: (i64, i64),
    /// The window tested on, ms.
    pub test: (i64, i64),
    /// The best parameters of the training window.
    pub params: Vec<(String, i64)>,
    /// Their in-sample ranking value.
    pub in_sample: f64,
    /// The out-of-sample run.
    pub result: RunResult,
}

/// Walk-forward: optimise on window k, test on k + 1 (see the module docs).
pub fn walk_forward<D, F>(
    series: &[Series],
    cfg: &BacktestConfig,
    combos: &[Vec<(String, i64)>],
    factory: &F,
    rank: &str,
    k: usize,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<WalkStep>, BacktestError>
where
    D: Decide,
    F: Fn(&[(String, i64)]) -> D + Sync,
{
    let w = windows(series, k)?;
    let cut = |(a, b): (i64, i64)| -> Vec<Series> {
        series
            .iter()
            .map(|s| s.window(a, b))
            .filter(|s| !s.candles.is_empty())
            .collect()
    };
    let mut steps = Vec::with_capacity(k - 1);
    for i in 0..k - 1 {
        let train = cut(w[i]);
        let test = cut(w[i + 1]);
        if train.is_empty() || test.is_empty() {
            continue;
        }
        let rows = sweep(&train, cfg, combos, factory, rank, on_done)?;
        let Some(best) = rows.first() else { continue };
        let out = run(&test, cfg, factory(&best.params), &mut |_| {})?;
        on_done();
        steps.push(WalkStep {
            train: w[i],
            test: w[i + 1],
            params: best.params.clone(),
            in_sample: best.rank_value,
            result: out.result,
        });
    }
    Ok(steps)
}

/// The out-of-sample runs joined into one: trades and fills appended, each
/// window's equity rescaled so that it starts where the previous ended
/// (`e × prev_end / window_start`, half-even; a statistic, not a booking).
pub fn join_out_of_sample(steps: &[WalkStep]) -> Option<RunResult> {
    let first = steps.first()?;
    let mut out = first.result.clone();
    out.series = first.result.series.clone();
    let mut carry = out.equity_end;
    for s in &steps[1..] {
        let r = &s.result;
        let scale = |e: Wide| {
            e.mul_ratio(
                carry.units(),
                r.equity_start.units().max(1),
                Rounding::HalfEven,
            )
            .unwrap_or(e)
        };
        out.equity
            .extend(r.equity.iter().map(|&(t, e)| (t, scale(e))));
        out.trades.extend(r.trades.iter().cloned());
        let base = out.series.len();
        let _ = base;
        out.fills.extend(r.fills.iter().copied());
        out.candles += r.candles;
        out.run_s += r.run_s;
        out.decisions += r.decisions;
        out.fees_paid = out
            .fees_paid
            .checked_add(r.fees_paid)
            .unwrap_or(out.fees_paid);
        for (a, b) in out.regimes.iter_mut().zip(r.regimes.iter()) {
            *a += b;
        }
        for (a, b) in out.series.iter_mut().zip(r.series.iter()) {
            a.candles += b.candles;
            a.end_ms = b.end_ms;
            a.last_close = b.last_close;
            a.gaps.extend(b.gaps.iter().copied());
        }
        carry = scale(r.equity_end);
        out.equity_end = carry;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_parses_exact_values_and_enumerates_every_combination() {
        let g = parse_grid(
            "rank = \"profit\"\n[params]\nfast = [10, 20]\nstop_atr = [1.5, \"2.25\"]\nslow = 50\n",
        )
        .unwrap();
        assert_eq!(g.rank.as_deref(), Some("profit"));
        // Sorted by name: fast, slow, stop_atr.
        assert_eq!(
            g.params[2],
            ("stop_atr".into(), vec![150_000_000, 225_000_000])
        );
        let c = combinations(&g).unwrap();
        assert_eq!(c.len(), 4);
        assert_eq!(
            c[1],
            vec![
                ("fast".into(), 1_000_000_000),
                ("slow".into(), 5_000_000_000),
                ("stop_atr".into(), 225_000_000)
            ]
        );
        assert!(parse_grid("[params]\nx = [true]")
            .unwrap_err()
            .contains("not a number"));
        assert!(parse_grid("rank = \"luck\"\n[params]\nx = 1")
            .unwrap_err()
            .contains("luck"));
        assert!(parse_grid("rank = \"sharpe\"")
            .unwrap_err()
            .contains("no [params]"));
    }
}
