//! Hard risk limits, enforced by the core whatever a plugin asks. Each
//! refusal names the rule and the numbers. Limits are configuration; the
//! seed's rules are the defaults: no single loss above 5 % of the account
//! (a protective stop is forced where the intent has none), and kill
//! switches on the day's loss and on drawdown from the peak.

use crate::binance::fast::Symbol;
use crate::binance::types::Side;
use crate::num::{NumError, Price, Qty, Rounding, Wide};
use std::fmt;

/// A fraction as `num / den` (exact; `5 / 100` = 5 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frac {
    /// Numerator.
    pub num: i128,
    /// Denominator (> 0).
    pub den: i128,
}

impl Frac {
    /// `num / den`.
    pub const fn new(num: i128, den: i128) -> Frac {
        Frac { num, den }
    }

    /// `x × self`, rounded down (towards the safe side for a limit).
    fn of(self, x: Wide) -> Result<Wide, NumError> {
        x.mul_ratio(self.num, self.den, Rounding::Floor)
    }
}

impl fmt::Display for Frac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As a percentage with up to 4 decimals.
        let bp = self.num * 1_000_000 / self.den.max(1);
        write!(f, "{}.{:04} %", bp / 10_000, (bp % 10_000).abs())
    }
}

/// What a kill switch does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillAction {
    /// Cancel every open order; keep positions.
    CancelAll,
    /// Cancel every open order and close every position.
    Flatten,
    /// Stop all trading (no order of any kind) until an operator resumes.
    Halt,
}

/// The limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskLimits {
    /// Largest notional of one order, quote.
    pub max_order_notional: Wide,
    /// Largest notional of one symbol's position after the order, quote.
    pub max_position_notional: Wide,
    /// Most open orders at once.
    pub max_open_orders: u32,
    /// Largest loss one trade may cause (entry to stop), as a fraction of
    /// equity.
    pub max_loss_per_trade: Frac,
    /// The day's loss (from the day's starting equity) that trips the kill switch.
    pub daily_loss: Frac,
    /// The drawdown from peak equity that trips the kill switch.
    pub max_drawdown: Frac,
    /// What a tripped kill switch does.
    pub kill_action: KillAction,
}

impl Default for RiskLimits {
    /// The seed's rules: 5 % per trade, 25 % drawdown; plus a 10 % daily
    /// loss, 20 open orders, notional caps of 10 000 / 50 000 quote.
    fn default() -> Self {
        RiskLimits {
            max_order_notional: Wide::from_int(10_000).unwrap_or(Wide::ZERO),
            max_position_notional: Wide::from_int(50_000).unwrap_or(Wide::ZERO),
            max_open_orders: 20,
            max_loss_per_trade: Frac::new(5, 100),
            daily_loss: Frac::new(10, 100),
            max_drawdown: Frac::new(25, 100),
            kill_action: KillAction::Flatten,
        }
    }
}

/// Which rule refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// [`RiskLimits::max_order_notional`].
    OrderNotional,
    /// [`RiskLimits::max_position_notional`].
    PositionNotional,
    /// [`RiskLimits::max_open_orders`].
    OpenOrders,
    /// [`RiskLimits::max_loss_per_trade`].
    LossPerTrade,
    /// A kill switch has tripped.
    Killed,
    /// The order itself is unusable (zero quantity, stop on the wrong side).
    BadIntent,
}

/// A refused order, with the numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The rule.
    pub rule: Rule,
    /// The value the order would reach.
    pub value: Wide,
    /// The limit.
    pub limit: Wide,
    /// The kill reason, for [`Rule::Killed`].
    pub kill: Option<KillReason>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rule {
            Rule::OrderNotional => write!(
                f,
                "order notional {} exceeds max_order_notional {}",
                self.value, self.limit
            ),
            Rule::PositionNotional => write!(
                f,
                "position notional after the order {} exceeds max_position_notional {}",
                self.value, self.limit
            ),
            Rule::OpenOrders => write!(
                f,
                "{} open orders would exceed max_open_orders {}",
                self.value, self.limit
            ),
            Rule::LossPerTrade => write!(
                f,
                "loss at the stop {} exceeds max_loss_per_trade {} of equity",
                self.value, self.limit
            ),
            Rule::Killed => write!(
                f,
                "trading stopped by the {} kill switch: only risk-reducing orders",
                self.kill.map_or("unknown", |k| k.name())
            ),
            Rule::BadIntent => write!(
                f,
                "unusable order: zero quantity or a stop on the wrong side of the price"
            ),
        }
    }
}

/// Why a kill switch tripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillReason {
    /// [`RiskLimits::daily_loss`].
    DailyLoss,
    /// [`RiskLimits::max_drawdown`].
    Drawdown,
    /// An operator.
    Operator,
}

impl KillReason {
    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            KillReason::DailyLoss => "daily-loss",
            KillReason::Drawdown => "max-drawdown",
            KillReason::Operator => "operator",
        }
    }
}

/// An order a plugin asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intent {
    /// The symbol.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// Limit price, or the reference price of a market order.
    pub price: Price,
    /// Its protective stop, if the plugin set one.
    pub stop: Option<Price>,
}

/// What the limits allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    /// The stop to place with the order: the plugin's, or one the core
    /// forces so that the loss at the stop is within the per-trade limit.
    pub stop: Option<Price>,
    /// Whether the stop was forced by the core.
    pub forced_stop: bool,
    /// Whether the order only reduces a position.
    pub reduces: bool,
}

/// The account figures the limits need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exposure {
    /// Equity now, quote.
    pub equity: Wide,
    /// The symbol's position (base quantity held).
    pub position_qty: Wide,
    /// Open orders now.
    pub open_orders: u32,
}

/// The limits and the kill switches' state.
#[derive(Debug, Clone)]
pub struct RiskGuard {
    /// The limits.
    pub limits: RiskLimits,
    day_start: Option<Wide>,
    peak: Option<Wide>,
    killed: Option<KillReason>,
    /// Orders refused, by rule (same order as [`Rule`]).
    pub refusals: [u64; 6],
    /// Stops the core forced.
    pub forced_stops: u64,
}

impl RiskGuard {
    /// A guard with these limits.
    pub fn new(limits: RiskLimits) -> RiskGuard {
        RiskGuard {
            limits,
            day_start: None,
            peak: None,
            killed: None,
            refusals: [0; 6],
            forced_stops: 0,
        }
    }

    /// Why trading is stopped, if it is.
    pub fn killed(&self) -> Option<KillReason> {
        self.killed
    }

    /// An operator stops trading.
    pub fn kill(&mut self) {
        self.killed.get_or_insert(KillReason::Operator);
    }

    /// An operator resumes trading (a new day baseline is taken on the next
    /// equity update).
    pub fn resume(&mut self) {
        self.killed = None;
        self.day_start = None;
    }

    /// A new trading day starts at `equity`.
    pub fn new_day(&mut self, equity: Wide) {
        self.day_start = Some(equity);
    }

    /// Feeds the current equity; returns the action to take when a kill
    /// switch trips now (once).
    pub fn on_equity(
        &mut self,
        equity: Wide,
    ) -> Result<Option<(KillReason, KillAction)>, NumError> {
        let start = *self.day_start.get_or_insert(equity);
        let peak = self.peak.map_or(equity, |p| p.max(equity));
        self.peak = Some(peak);
        if self.killed.is_some() {
            return Ok(None);
        }
        let day_loss = start.checked_sub(equity)?;
        if day_loss.units() > 0 && day_loss.units() >= self.limits.daily_loss.of(start)?.units() {
            self.killed = Some(KillReason::DailyLoss);
        } else {
            let dd = peak.checked_sub(equity)?;
            if dd.units() > 0 && dd.units() >= self.limits.max_drawdown.of(peak)?.units() {
                self.killed = Some(KillReason::Drawdown);
            }
        }
        Ok(self.killed.map(|k| (k, self.limits.kill_action)))
    }

    fn refuse(&mut self, rule: Rule, value: Wide, limit: Wide) -> Refusal {
        self.refusals[rule as usize] += 1;
        Refusal {
            rule,
            value,
            limit,
            kill: self.killed,
        }
    }

    /// Checks an intent against every limit.
    pub fn check(&mut self, i: &Intent, x: &Exposure) -> Result<Admitted, Refusal> {
        let qty = Wide::from(crate::num::Amount::from(i.qty));
        let reduces = i.side == Side::Sell && qty.units() <= x.position_qty.units();
        let bad = |g: &mut Self| g.refuse(Rule::BadIntent, Wide::ZERO, Wide::ZERO);
        if i.qty.is_zero() || i.price.is_zero() {
            return Err(bad(self));
        }
        if let Some(k) = self.killed {
            // Risk reductions only (and nothing at all when halted).
            if !reduces
                || (self.limits.kill_action == KillAction::Halt && k != KillReason::Operator)
            {
                return Err(self.refuse(Rule::Killed, Wide::ZERO, Wide::ZERO));
            }
        }
        let notional = i.price.notional_wide(i.qty, Rounding::Up).map_err(|_| {
            self.refuse(
                Rule::OrderNotional,
                Wide::MAX,
                self.limits.max_order_notional,
            )
        })?;
        if reduces {
            // Closing risk is always allowed (within the kill rules above).
            return Ok(Admitted {
                stop: i.stop,
                forced_stop: false,
                reduces: true,
            });
        }
        if notional.units() > self.limits.max_order_notional.units() {
            return Err(self.refuse(
                Rule::OrderNotional,
                notional,
                self.limits.max_order_notional,
            ));
        }
        let after = match i.side {
            Side::Buy => x.position_qty.checked_add(qty),
            Side::Sell => x.position_qty.checked_sub(qty),
        }
        .and_then(|q| super::mul_wide(Wide::from_units_unchecked(q.units().abs()), i.price))
        .unwrap_or(Wide::MAX);
        if after.units() > self.limits.max_position_notional.units() {
            return Err(self.refuse(
                Rule::PositionNotional,
                after,
                self.limits.max_position_notional,
            ));
        }
        if x.open_orders + 1 > self.limits.max_open_orders {
            return Err(self.refuse(
                Rule::OpenOrders,
                Wide::from_int(i128::from(x.open_orders) + 1).unwrap_or(Wide::MAX),
                Wide::from_int(i128::from(self.limits.max_open_orders)).unwrap_or(Wide::MAX),
            ));
        }
        // Loss at the stop ≤ max_loss_per_trade × equity.
        let max_loss = self
            .limits
            .max_loss_per_trade
            .of(x.equity.max(Wide::ZERO))
            .unwrap_or(Wide::ZERO);
        let (stop, forced) = match i.stop {
            Some(s) => {
                let wrong_side = match i.side {
                    Side::Buy => s >= i.price,
                    Side::Sell => s <= i.price,
                };
                if wrong_side {
                    return Err(bad(self));
                }
                (s, false)
            }
            None => {
                // The farthest stop that keeps the loss within the limit:
                // distance = max_loss / qty, rounded towards the price.
                let dist = crate::num::decimal::div_round(
                    max_loss
                        .units()
                        .saturating_mul(crate::num::decimal::SCALE_I128),
                    qty.units(),
                    Rounding::Floor,
                )
                .unwrap_or(0);
                let p = i128::from(i.price.units());
                let s = match i.side {
                    Side::Buy => p - dist,
                    Side::Sell => p + dist,
                };
                match i64::try_from(s)
                    .ok()
                    .and_then(|s| Price::from_units(s).ok())
                {
                    Some(s) if !s.is_zero() && s != i.price => (s, true),
                    // Even a stop one unit away loses too much (or the stop
                    // would be at or below zero and so guard nothing).
                    _ => {
                        let loss = super::mul_wide(qty, i.price).unwrap_or(Wide::MAX);
                        if i.side == Side::Buy && dist >= p {
                            // The whole notional may be lost and that is within the limit.
                            if loss.units() <= max_loss.units() {
                                return Ok(Admitted {
                                    stop: None,
                                    forced_stop: false,
                                    reduces: false,
                                });
                            }
                        }
                        return Err(self.refuse(Rule::LossPerTrade, loss, max_loss));
                    }
                }
            }
        };
        let gap = (i128::from(i.price.units()) - i128::from(stop.units())).abs();
        let loss = crate::num::decimal::div_round(
            gap.saturating_mul(qty.units()),
            crate::num::decimal::SCALE_I128,
            Rounding::Up,
        )
        .map(Wide::from_units_unchecked)
        .unwrap_or(Wide::MAX);
        if loss.units() > max_loss.units() {
            return Err(self.refuse(Rule::LossPerTrade, loss, max_loss));
        }
        if forced {
            self.forced_stops += 1;
        }
        Ok(Admitted {
            stop: Some(stop),
            forced_stop: forced,
            reduces: false,
        })
    }
}
