//! The portfolio: balances per asset, one position per symbol (average
//! cost), realized and unrealized PnL, reconciliation with the user-data
//! stream, and the hard risk limits the core enforces whatever a plugin
//! asks ([`risk`]).
//!
//! Everything is exact decimal ([`Wide`]: i128 × 10⁻⁸). A fill's quote
//! amount is `price × qty` rounded half-even to 10⁻⁸ (Binance's own `Z`
//! carries 8 places); the cost removed from a position on a sale is its
//! average cost times the quantity sold, rounded half-even. Fixed capacity:
//! no allocation after construction.

pub mod risk;

use crate::binance::fast::Symbol;
use crate::binance::types::Side;
use crate::binance::user::{AccountPosition, BalanceUpdate};
use crate::num::{NumError, Price, Qty, Rounding, Wide};

/// Assets tracked at most.
pub const MAX_ASSETS: usize = 64;
/// Symbols with a position at most.
pub const MAX_POSITIONS: usize = 64;

/// An asset name (`BTC`, `USDT`, `BNB`), upper-case, at most 20 bytes.
pub type Asset = Symbol;

/// Why the portfolio refused an update.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortfolioError {
    /// A decimal overflowed (a corrupt or absurd input).
    #[error("arithmetic: {0}")]
    Num(#[from] NumError),
    /// The asset or position table is full.
    #[error("table full: more than {0} entries")]
    Full(usize),
    /// A sale larger than the position.
    #[error("sell of {sold} {symbol} exceeds the position of {held}")]
    Oversold {
        /// The symbol.
        symbol: String,
        /// Quantity sold.
        sold: String,
        /// Quantity held.
        held: String,
    },
    /// A name that is not a valid asset.
    #[error("bad asset name {0:?}")]
    BadAsset(String),
}

/// One asset's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balance {
    /// Available.
    pub free: Wide,
    /// Held by open orders.
    pub locked: Wide,
}

/// One symbol's position (spot: a quantity of the base asset held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The symbol.
    pub symbol: Symbol,
    /// Base asset.
    pub base: Asset,
    /// Quote asset.
    pub quote: Asset,
    /// Base quantity held by this position.
    pub qty: Wide,
    /// Its cost basis, in quote (fees paid in quote included).
    pub cost: Wide,
    /// Realized PnL, in quote (fees paid in quote included).
    pub realized: Wide,
    /// Fees paid in an asset other than base or quote (e.g. BNB), in that
    /// asset's units; not in the cost basis.
    pub other_fees: Wide,
    /// Fills applied.
    pub fills: u64,
}

impl Position {
    /// Average entry price (`cost / qty`), `None` when flat.
    pub fn average_entry(&self) -> Option<Price> {
        if self.qty.units() <= 0 {
            return None;
        }
        let v = crate::num::decimal::div_round(
            self.cost
                .units()
                .checked_mul(crate::num::decimal::SCALE_I128)?,
            self.qty.units(),
            Rounding::HalfEven,
        )
        .ok()?;
        Price::from_units(i64::try_from(v).ok()?).ok()
    }

    /// Unrealized PnL at `mark`: `qty × mark − cost`.
    pub fn unrealized(&self, mark: Price) -> Result<Wide, NumError> {
        let value = mul_wide(self.qty, mark)?;
        value.checked_sub(self.cost)
    }

    /// The position's value at `mark`, in quote.
    pub fn notional(&self, mark: Price) -> Result<Wide, NumError> {
        mul_wide(self.qty, mark)
    }
}

/// `qty × price` (both 10⁻⁸) rounded half-even to 10⁻⁸.
fn mul_wide(qty: Wide, price: Price) -> Result<Wide, NumError> {
    let p = qty
        .units()
        .checked_mul(i128::from(price.units()))
        .ok_or(NumError::Overflow)?;
    crate::num::decimal::div_round(p, crate::num::decimal::SCALE_I128, Rounding::HalfEven)
        .map(Wide::from_units_unchecked)
}

/// A fill to account for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// The symbol.
    pub symbol: Symbol,
    /// Its base asset.
    pub base: Asset,
    /// Its quote asset.
    pub quote: Asset,
    /// Buy or sell.
    pub side: Side,
    /// Base quantity filled.
    pub qty: Qty,
    /// Price.
    pub price: Price,
    /// Commission amount.
    pub commission: Qty,
    /// Commission asset (`None`: no commission).
    pub commission_asset: Option<Asset>,
}

/// What reconciliation with the server found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconcile {
    /// Assets compared.
    pub checked: u64,
    /// Assets whose local balance differed (the server's was taken).
    pub mismatches: u64,
}

/// Balances and positions.
#[derive(Debug)]
pub struct Portfolio {
    balances: Vec<(Asset, Balance)>,
    positions: Vec<Position>,
    /// Reconciliation totals.
    pub reconciled: Reconcile,
    /// Deposits, withdrawals and transfers applied (`balanceUpdate`).
    pub balance_updates: u64,
}

impl Default for Portfolio {
    fn default() -> Self {
        Portfolio::new()
    }
}

impl Portfolio {
    /// Empty, with room for [`MAX_ASSETS`] and [`MAX_POSITIONS`].
    pub fn new() -> Portfolio {
        Portfolio {
            balances: Vec::with_capacity(MAX_ASSETS),
            positions: Vec::with_capacity(MAX_POSITIONS),
            reconciled: Reconcile::default(),
            balance_updates: 0,
        }
    }

    fn balance_mut(&mut self, a: Asset) -> Result<&mut Balance, PortfolioError> {
        let i = match self.balances.iter().position(|(x, _)| *x == a) {
            Some(i) => i,
            None => {
                if self.balances.len() == MAX_ASSETS {
                    return Err(PortfolioError::Full(MAX_ASSETS));
                }
                self.balances.push((a, Balance::default()));
                self.balances.len() - 1
            }
        };
        Ok(&mut self.balances[i].1)
    }

    /// An asset's balance (zero when unknown).
    pub fn balance(&self, a: &Asset) -> Balance {
        self.balances
            .iter()
            .find(|(x, _)| x == a)
            .map(|(_, b)| *b)
            .unwrap_or_default()
    }

    /// Sets a balance (start-up, from the account endpoint).
    pub fn set_balance(&mut self, a: Asset, b: Balance) -> Result<(), PortfolioError> {
        *self.balance_mut(a)? = b;
        Ok(())
    }

    /// The position of `symbol`, if any fill created one.
    pub fn position(&self, symbol: &Symbol) -> Option<&Position> {
        self.positions.iter().find(|p| p.symbol == *symbol)
    }

    /// Every position.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    fn position_mut(&mut self, f: &Fill) -> Result<&mut Position, PortfolioError> {
        let i = match self.positions.iter().position(|p| p.symbol == f.symbol) {
            Some(i) => i,
            None => {
                if self.positions.len() == MAX_POSITIONS {
                    return Err(PortfolioError::Full(MAX_POSITIONS));
                }
                self.positions.push(Position {
                    symbol: f.symbol,
                    base: f.base,
                    quote: f.quote,
                    qty: Wide::ZERO,
                    cost: Wide::ZERO,
                    realized: Wide::ZERO,
                    other_fees: Wide::ZERO,
                    fills: 0,
                });
                self.positions.len() - 1
            }
        };
        Ok(&mut self.positions[i])
    }

    /// Accounts for a fill: balances (base, quote, commission asset) and the
    /// position (average cost). Returns the realized PnL of this fill, in
    /// quote (zero for a buy: a buy's fee in quote joins the cost basis and
    /// is realized with the sale). Nothing changes
    /// when it returns an error.
    pub fn apply_fill(&mut self, f: &Fill) -> Result<Wide, PortfolioError> {
        let qty = Wide::from(crate::num::Amount::from(f.qty));
        let quote_amt = mul_wide(qty, f.price)?;
        let fee = Wide::from(crate::num::Amount::from(f.commission));
        let fee_in = |a: &Asset| f.commission_asset.as_ref() == Some(a) && !fee.is_zero();
        // Work on copies; commit at the end so that an error changes nothing.
        let mut pos = *self.position_mut(f)?;
        let (mut base_b, mut quote_b) = (self.balance(&f.base), self.balance(&f.quote));
        let mut realized = Wide::ZERO;
        match f.side {
            Side::Buy => {
                base_b.free = base_b.free.checked_add(qty)?;
                quote_b.free = quote_b.free.checked_sub(quote_amt)?;
                let mut got = qty;
                let mut cost = quote_amt;
                if fee_in(&f.base) {
                    got = got.checked_sub(fee)?;
                    base_b.free = base_b.free.checked_sub(fee)?;
                }
                if fee_in(&f.quote) {
                    // In the cost basis: realized when the position is sold
                    // (not here as well, or it would count twice).
                    cost = cost.checked_add(fee)?;
                    quote_b.free = quote_b.free.checked_sub(fee)?;
                }
                pos.qty = pos.qty.checked_add(got)?;
                pos.cost = pos.cost.checked_add(cost)?;
            }
            Side::Sell => {
                if qty.units() > pos.qty.units() {
                    return Err(PortfolioError::Oversold {
                        symbol: f.symbol.as_str().to_string(),
                        sold: qty.to_string(),
                        held: pos.qty.to_string(),
                    });
                }
                // cost × sold / held, half-even.
                let removed = crate::num::decimal::div_round(
                    pos.cost
                        .units()
                        .checked_mul(qty.units())
                        .ok_or(NumError::Overflow)?,
                    pos.qty.units(),
                    Rounding::HalfEven,
                )
                .map(Wide::from_units_unchecked)?;
                base_b.free = base_b.free.checked_sub(qty)?;
                quote_b.free = quote_b.free.checked_add(quote_amt)?;
                realized = quote_amt.checked_sub(removed)?;
                if fee_in(&f.quote) {
                    quote_b.free = quote_b.free.checked_sub(fee)?;
                    realized = realized.checked_sub(fee)?;
                }
                if fee_in(&f.base) {
                    base_b.free = base_b.free.checked_sub(fee)?;
                    pos.qty = pos.qty.checked_sub(fee)?;
                }
                pos.qty = pos.qty.checked_sub(qty)?;
                pos.cost = pos.cost.checked_sub(removed)?;
                if pos.qty.is_zero() {
                    pos.cost = Wide::ZERO;
                }
            }
        }
        let mut other = None;
        if let Some(a) = f.commission_asset {
            if a != f.base && a != f.quote && !fee.is_zero() {
                let mut b = self.balance(&a);
                b.free = b.free.checked_sub(fee)?;
                pos.other_fees = pos.other_fees.checked_add(fee)?;
                other = Some((a, b));
            }
        }
        pos.realized = pos.realized.checked_add(realized)?;
        pos.fills += 1;
        // Commit.
        *self.balance_mut(f.base)? = base_b;
        *self.balance_mut(f.quote)? = quote_b;
        if let Some((a, b)) = other {
            *self.balance_mut(a)? = b;
        }
        *self.position_mut(f)? = pos;
        Ok(realized)
    }

    /// `outboundAccountPosition`: the server's balances are the truth; each
    /// differing local balance is counted and replaced.
    pub fn on_account_position(
        &mut self,
        ap: &AccountPosition,
    ) -> Result<Reconcile, PortfolioError> {
        let mut r = Reconcile::default();
        for b in &ap.balances {
            let a = Asset::new(b.asset.as_bytes())
                .ok_or_else(|| PortfolioError::BadAsset(b.asset.clone()))?;
            let server = Balance {
                free: b.free,
                locked: b.locked,
            };
            let local = self.balance_mut(a)?;
            r.checked += 1;
            if *local != server {
                r.mismatches += 1;
                *local = server;
            }
        }
        self.reconciled.checked += r.checked;
        self.reconciled.mismatches += r.mismatches;
        Ok(r)
    }

    /// `balanceUpdate`: a deposit (positive), withdrawal or transfer.
    pub fn on_balance_update(&mut self, bu: &BalanceUpdate) -> Result<(), PortfolioError> {
        let a = Asset::new(bu.asset.as_bytes())
            .ok_or_else(|| PortfolioError::BadAsset(bu.asset.clone()))?;
        let b = self.balance_mut(a)?;
        b.free = b.free.checked_add(Wide::from(bu.delta))?;
        self.balance_updates += 1;
        Ok(())
    }

    /// Equity in `quote`: its balance (free + locked) plus every position
    /// quoted in it valued at `mark(symbol)`. A position without a mark is
    /// valued at cost.
    pub fn equity(
        &self,
        quote: &Asset,
        mark: impl Fn(&Symbol) -> Option<Price>,
    ) -> Result<Wide, NumError> {
        let b = self.balance(quote);
        let mut e = b.free.checked_add(b.locked)?;
        for p in self.positions.iter().filter(|p| p.quote == *quote) {
            let v = match mark(&p.symbol) {
                Some(m) => p.notional(m)?,
                None => p.cost,
            };
            e = e.checked_add(v)?;
        }
        Ok(e)
    }
}
