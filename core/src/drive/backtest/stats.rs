//! Statistics of a run. Money stays exact ([`Wide`]); ratios are `f64`
//! computed from it here and only here. Every formula is in
//! `docs/backtest-metrics.md`.

use super::{ExitReason, RunResult, TradeRecord, MS_PER_DAY};
use crate::engine::RegimeKind;
use crate::num::Wide;

/// Trading days per year for annualisation (crypto trades every day).
pub const DAYS_PER_YEAR: f64 = 365.0;
/// The risk-free rate per year used by Sharpe and Sortino (0 by default).
pub const RISK_FREE_RATE: f64 = 0.0;

/// An exact amount as `f64` (for ratios only).
pub fn to_f64(w: Wide) -> f64 {
    w.units() as f64 / 1e8
}

/// One group of trades (a regime, an exit reason).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Group {
    /// Trades.
    pub trades: u64,
    /// With profit > 0.
    pub wins: u64,
    /// Sum of net profits, quote.
    pub profit: Wide,
    /// Sum of per-trade returns (profit / cost), for the mean.
    pub sum_pct: f64,
}

impl Group {
    fn add(&mut self, t: &TradeRecord) {
        self.trades += 1;
        self.wins += u64::from(t.profit.units() > 0);
        self.profit = self.profit.checked_add(t.profit).unwrap_or(self.profit);
        self.sum_pct += trade_return(t);
    }

    /// Mean per-trade return (0 without trades).
    pub fn avg_pct(&self) -> f64 {
        if self.trades == 0 {
            0.0
        } else {
            self.sum_pct / self.trades as f64
        }
    }
}

/// A trade's return: net profit / cost (fees included in both).
pub fn trade_return(t: &TradeRecord) -> f64 {
    let c = to_f64(t.cost);
    if c == 0.0 {
        0.0
    } else {
        to_f64(t.profit) / c
    }
}

/// The figures of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// Closed trades.
    pub trades: u64,
    /// Profit > 0.
    pub wins: u64,
    /// Profit = 0.
    pub draws: u64,
    /// Profit < 0.
    pub losses: u64,
    /// wins / trades.
    pub win_rate: f64,
    /// Mean per-trade return.
    pub avg_profit_pct: f64,
    /// Sum of net trade profits, quote.
    pub total_profit: Wide,
    /// equity_end / equity_start − 1.
    pub total_return: f64,
    /// Gross profit / gross loss (`None`: no losing trade).
    pub profit_factor: Option<f64>,
    /// Mean net profit per trade, quote.
    pub expectancy: f64,
    /// freqtrade's expectancy ratio `(1 + avg_win / avg_loss) × win_rate − 1`.
    pub expectancy_ratio: Option<f64>,
    /// Annualised Sharpe ratio of daily returns.
    pub sharpe: Option<f64>,
    /// Annualised Sortino ratio of daily returns.
    pub sortino: Option<f64>,
    /// CAGR / max drawdown.
    pub calmar: Option<f64>,
    /// Compound annual growth rate.
    pub cagr: Option<f64>,
    /// Largest fall from a peak of equity, a fraction of that peak.
    pub max_drawdown: f64,
    /// When the peak before the largest drawdown was, ms.
    pub drawdown_start_ms: Option<i64>,
    /// When its trough was, ms.
    pub drawdown_end_ms: Option<i64>,
    /// Best trade's return.
    pub best_trade_pct: Option<f64>,
    /// Worst trade's return.
    pub worst_trade_pct: Option<f64>,
    /// Largest loss of one trade as a fraction of equity at its entry.
    pub largest_loss_pct_of_equity: f64,
    /// Mean over symbols of last close / first open − 1.
    pub buy_and_hold_return: f64,
    /// Mean time in a trade, ms.
    pub avg_duration_ms: i64,
    /// Daily returns used by Sharpe and Sortino.
    pub days: u64,
    /// Trades by the regime at entry (index: [`RegimeKind::ALL`], then unknown).
    pub by_regime: [Group; 6],
    /// Trades by exit reason (index: [`ExitReason::ALL`]).
    pub by_exit: [Group; 6],
}

/// Equity at the end of each UTC day (the day of a candle's last millisecond).
pub fn daily_equity(equity: &[(i64, Wide)]) -> Vec<(i64, Wide)> {
    let mut out: Vec<(i64, Wide)> = Vec::new();
    for &(ms, e) in equity {
        let day = (ms - 1).div_euclid(MS_PER_DAY);
        match out.last_mut() {
            Some(last) if last.0 == day => last.1 = e,
            _ => out.push((day, e)),
        }
    }
    out
}

/// Daily simple returns, the first one from the starting equity.
pub fn daily_returns(start: Wide, equity: &[(i64, Wide)]) -> Vec<f64> {
    let mut prev = to_f64(start);
    let mut out = Vec::new();
    for (_, e) in daily_equity(equity) {
        let v = to_f64(e);
        if prev > 0.0 {
            out.push(v / prev - 1.0);
        }
        prev = v;
    }
    out
}

/// Largest drawdown: (fraction, peak ms, trough ms).
pub fn max_drawdown(
    start: Wide,
    start_ms: i64,
    equity: &[(i64, Wide)],
) -> (f64, Option<(i64, i64)>) {
    let (mut peak, mut peak_ms) = (start, start_ms);
    let mut best = (0.0, None);
    for &(ms, e) in equity {
        if e > peak {
            peak = e;
            peak_ms = ms;
        }
        let p = to_f64(peak);
        if p > 0.0 {
            let dd = (p - to_f64(e)) / p;
            if dd > best.0 {
                best = (dd, Some((peak_ms, ms)));
            }
        }
    }
    best
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sharpe: `(mean(r) − rf/365) / stdev(r) × √365`, sample stdev (n − 1).
pub fn sharpe(r: &[f64]) -> Option<f64> {
    if r.len() < 2 {
        return None;
    }
    let rf = RISK_FREE_RATE / DAYS_PER_YEAR;
    let m = mean(r) - rf;
    let var = r.iter().map(|x| (x - rf - m).powi(2)).sum::<f64>() / (r.len() - 1) as f64;
    let sd = var.sqrt();
    (sd > 0.0).then(|| m / sd * DAYS_PER_YEAR.sqrt())
}

/// Sortino: `(mean(r) − rf/365) / sqrt(mean(min(r − rf/365, 0)²)) × √365`.
pub fn sortino(r: &[f64]) -> Option<f64> {
    if r.len() < 2 {
        return None;
    }
    let rf = RISK_FREE_RATE / DAYS_PER_YEAR;
    let m = mean(r) - rf;
    let down = (r.iter().map(|x| (x - rf).min(0.0).powi(2)).sum::<f64>() / r.len() as f64).sqrt();
    (down > 0.0).then(|| m / down * DAYS_PER_YEAR.sqrt())
}

impl Metrics {
    /// Computes every figure of `r`.
    pub fn of(r: &RunResult) -> Metrics {
        let trades = r.trades.len() as u64;
        let wins = r.trades.iter().filter(|t| t.profit.units() > 0).count() as u64;
        let losses = r.trades.iter().filter(|t| t.profit.units() < 0).count() as u64;
        let draws = trades - wins - losses;
        let sum = |f: &dyn Fn(&TradeRecord) -> bool| {
            r.trades
                .iter()
                .filter(|t| f(t))
                .fold(Wide::ZERO, |a, t| a.checked_add(t.profit).unwrap_or(a))
        };
        let gross_win = sum(&|t| t.profit.units() > 0);
        let gross_loss = sum(&|t| t.profit.units() < 0);
        let total_profit = gross_win.checked_add(gross_loss).unwrap_or(Wide::ZERO);
        let returns: Vec<f64> = r.trades.iter().map(trade_return).collect();
        let start = to_f64(r.equity_start);
        let total_return = if start > 0.0 {
            to_f64(r.equity_end) / start - 1.0
        } else {
            0.0
        };
        let start_ms = r.series.iter().map(|s| s.start_ms).min().unwrap_or(0);
        let end_ms = r.series.iter().map(|s| s.end_ms).max().unwrap_or(0);
        let years = (end_ms - start_ms) as f64 / (DAYS_PER_YEAR * MS_PER_DAY as f64);
        let cagr = (years > 0.0 && start > 0.0 && r.equity_end.units() > 0)
            .then(|| (to_f64(r.equity_end) / start).powf(1.0 / years) - 1.0);
        let (mdd, dd_at) = max_drawdown(r.equity_start, start_ms, &r.equity);
        let daily = daily_returns(r.equity_start, &r.equity);
        let avg_win = if wins > 0 {
            to_f64(gross_win) / wins as f64
        } else {
            0.0
        };
        let avg_loss = if losses > 0 {
            -to_f64(gross_loss) / losses as f64
        } else {
            0.0
        };
        let win_rate = if trades > 0 {
            wins as f64 / trades as f64
        } else {
            0.0
        };
        let mut by_regime = [Group::default(); 6];
        let mut by_exit = [Group::default(); 6];
        for t in &r.trades {
            by_regime[t.regime.map_or(5, |g| g as usize)].add(t);
            let e = ExitReason::ALL
                .iter()
                .position(|x| *x == t.exit_reason)
                .unwrap_or(0);
            by_exit[e].add(t);
        }
        let bh: Vec<f64> = r
            .series
            .iter()
            .filter(|s| !s.first_open.is_zero())
            .map(|s| s.last_close.units() as f64 / s.first_open.units() as f64 - 1.0)
            .collect();
        Metrics {
            trades,
            wins,
            draws,
            losses,
            win_rate,
            avg_profit_pct: if returns.is_empty() {
                0.0
            } else {
                mean(&returns)
            },
            total_profit,
            total_return,
            profit_factor: (gross_loss.units() < 0)
                .then(|| to_f64(gross_win) / -to_f64(gross_loss)),
            expectancy: if trades > 0 {
                to_f64(total_profit) / trades as f64
            } else {
                0.0
            },
            expectancy_ratio: (avg_loss > 0.0).then(|| (1.0 + avg_win / avg_loss) * win_rate - 1.0),
            sharpe: sharpe(&daily),
            sortino: sortino(&daily),
            calmar: cagr.and_then(|c| (mdd > 0.0).then(|| c / mdd)),
            cagr,
            max_drawdown: mdd,
            drawdown_start_ms: dd_at.map(|d| d.0),
            drawdown_end_ms: dd_at.map(|d| d.1),
            best_trade_pct: returns.iter().copied().reduce(f64::max),
            worst_trade_pct: returns.iter().copied().reduce(f64::min),
            largest_loss_pct_of_equity: r
                .trades
                .iter()
                .filter(|t| t.profit.units() < 0 && t.equity_at_entry.units() > 0)
                .map(|t| -to_f64(t.profit) / to_f64(t.equity_at_entry))
                .fold(0.0, f64::max),
            buy_and_hold_return: if bh.is_empty() { 0.0 } else { mean(&bh) },
            avg_duration_ms: if trades > 0 {
                r.trades.iter().map(|t| t.exit_ms - t.entry_ms).sum::<i64>() / trades as i64
            } else {
                0
            },
            days: daily.len() as u64,
            by_regime,
            by_exit,
        }
    }

    /// The value of a ranking metric by name (higher is better; drawdown is
    /// negated). `None` for an unknown name.
    pub fn rank_value(&self, metric: &str) -> Option<f64> {
        let v = match metric {
            "sharpe" => self.sharpe.unwrap_or(f64::NEG_INFINITY),
            "sortino" => self.sortino.unwrap_or(f64::NEG_INFINITY),
            "calmar" => self.calmar.unwrap_or(f64::NEG_INFINITY),
            "profit" | "total_return" => self.total_return,
            "profit_factor" => self.profit_factor.unwrap_or(f64::INFINITY),
            "win_rate" => self.win_rate,
            "expectancy" => self.expectancy,
            "max_drawdown" => -self.max_drawdown,
            _ => return None,
        };
        Some(if v.is_nan() { f64::NEG_INFINITY } else { v })
    }
}

/// The metric names `--rank` accepts.
pub const RANK_METRICS: [&str; 8] = [
    "sharpe",
    "sortino",
    "calmar",
    "profit",
    "profit_factor",
    "win_rate",
    "expectancy",
    "max_drawdown",
];

/// The name of a regime slot (index 5: `unknown`).
pub fn regime_name(i: usize) -> &'static str {
    RegimeKind::ALL.get(i).map_or("unknown", |r| r.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sharpe_and_sortino_follow_their_formulas() {
        let r = [0.01, -0.02, 0.03, 0.0];
        // mean 0.005; sample var = (0.005² + 0.025² + 0.025² + 0.005²)/3 = 0.00043333…
        let want = 0.005 / (0.0013_f64 / 3.0).sqrt() * 365f64.sqrt();
        assert!((sharpe(&r).unwrap() - want).abs() < 1e-12);
        // downside: sqrt(0.02² / 4) = 0.01.
        let want = 0.005 / 0.01 * 365f64.sqrt();
        assert!((sortino(&r).unwrap() - want).abs() < 1e-12);
        assert_eq!(sharpe(&[0.01]), None);
        assert_eq!(sortino(&[0.01, 0.02]), None);
    }

    #[test]
    fn drawdown_names_its_peak_and_trough() {
        let w = |x: i128| Wide::from_int(x).unwrap();
        let e = [
            (1, w(110)),
            (2, w(99)),
            (3, w(120)),
            (4, w(90)),
            (5, w(130)),
        ];
        let (dd, at) = max_drawdown(w(100), 0, &e);
        assert!((dd - 0.25).abs() < 1e-12);
        assert_eq!(at, Some((3, 4)));
    }

    #[test]
    fn daily_equity_takes_each_days_last_value() {
        let w = |x: i128| Wide::from_int(x).unwrap();
        // The candle closing at midnight belongs to the day before.
        let e = [
            (MS_PER_DAY / 2, w(1)),
            (MS_PER_DAY, w(2)),
            (MS_PER_DAY + 1, w(3)),
        ];
        let d = daily_equity(&e);
        assert_eq!(d, vec![(0, w(2)), (1, w(3))]);
        let r = daily_returns(w(1), &e);
        assert_eq!(r, vec![1.0, 0.5]);
    }
}
