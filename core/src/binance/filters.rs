//! Order filters: validates an order intent against a symbol's exchangeInfo
//! filters and rounds it onto the symbol's grid, exactly (no floats).
//!
//! Semantics follow Binance's filters documentation:
//! - `PRICE_FILTER`: `min_price <= price <= max_price` and
//!   `(price - min_price) % tick_size == 0`; each part is disabled by a 0.
//! - `LOT_SIZE` (all orders) and `MARKET_LOT_SIZE` (MARKET orders):
//!   `min_qty <= qty <= max_qty`, `(qty - min_qty) % step_size == 0`; a 0
//!   step disables the step rule (Binance sends MARKET_LOT_SIZE with step 0).
//! - `PERCENT_PRICE(_BY_SIDE)`: `avg × down <= price <= avg × up` with the
//!   average over `avg_price_mins` minutes, or the last price when that is 0.
//! - `MIN_NOTIONAL` / `NOTIONAL`: `price × qty` against the bounds; MARKET
//!   orders use the average (or last) price, and are only checked when
//!   `applyToMarket` / `applyMinToMarket` / `applyMaxToMarket` say so.
//! - `ICEBERG_PARTS`: `ceil(qty / iceberg_qty) <= limit`.
//! - `MAX_NUM_ORDERS`, `MAX_NUM_ALGO_ORDERS`, `MAX_NUM_ICEBERG_ORDERS`: the
//!   open count plus this order must not exceed the maximum.
//! - `MAX_POSITION`: for BUYs, base balance + open BUY qty + qty <= max.
//! - `TRAILING_DELTA`: "above" bounds for BUY STOP_LOSS* and SELL
//!   TAKE_PROFIT*, "below" bounds for SELL STOP_LOSS* and BUY TAKE_PROFIT*.
//!
//! kairos's own choices, documented here:
//! - Prices round *passively* by default: bids down, asks up (never more
//!   aggressive than asked); [`FilterContext::price_rounding`] overrides it.
//!   The stop price rounds the same way. Quantities always round down.
//! - The notional of STOP_LOSS / TAKE_PROFIT (market on trigger) uses the
//!   stop price.
//! - A filter that needs data the caller did not give (a reference price,
//!   the position) rejects the order rather than passing it unchecked.
//! - Filters kairos does not know ([`Filter::Unknown`]) and exchange-level
//!   filters are not checked here.

use super::errors::FilterFailure;
use super::exchange_info::{Filter, LotSize, SymbolInfo};
use super::rest::{OrderType, Side};
use crate::num::{NumError, Price, Qty, Rounding, SCALE};
use std::fmt;

/// What the strategy wants to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderIntent {
    /// Side.
    pub side: Side,
    /// Order type.
    pub order_type: OrderType,
    /// Limit price (required for LIMIT, LIMIT_MAKER, *_LIMIT; absent otherwise).
    pub price: Option<Price>,
    /// Base quantity.
    pub qty: Qty,
    /// Stop price (required for STOP_LOSS*, TAKE_PROFIT* unless trailing).
    pub stop_price: Option<Price>,
    /// Visible part of an iceberg order.
    pub iceberg_qty: Option<Qty>,
    /// Trailing delta in basis points, for trailing stops.
    pub trailing_delta: Option<u32>,
}

/// Market and account state the filters need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FilterContext {
    /// Average price over the filter's `avgPriceMins` (the `avgPrice` endpoint).
    pub avg_price: Option<Price>,
    /// Last traded price (used when `avgPriceMins` is 0).
    pub last_price: Option<Price>,
    /// Open orders on the symbol now.
    pub open_orders: u32,
    /// Open algo (STOP_LOSS*/TAKE_PROFIT*) orders on the symbol now.
    pub open_algo_orders: u32,
    /// Open iceberg orders on the symbol now.
    pub open_iceberg_orders: u32,
    /// Base-asset balance plus open BUY quantity (for `MAX_POSITION`).
    pub position: Option<Qty>,
    /// Price rounding override; `None` rounds passively (bids down, asks up).
    pub price_rounding: Option<Rounding>,
}

/// Why an order would be rejected: the filter and the numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterReject {
    /// The filter (`LOT_SIZE`), or `ORDER_TYPE` / `ICEBERG` for structural problems.
    pub filter: &'static str,
    /// What is wrong, with the numbers.
    pub detail: String,
}

impl FilterReject {
    fn new(filter: &'static str, detail: String) -> Self {
        FilterReject { filter, detail }
    }

    /// The documented `Filter failure: …` this corresponds to, if any.
    pub fn failure(&self) -> Option<FilterFailure> {
        FilterFailure::from_name(self.filter)
    }
}

impl fmt::Display for FilterReject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.filter, self.detail)
    }
}

impl std::error::Error for FilterReject {}

fn overflow(filter: &'static str, e: NumError) -> FilterReject {
    FilterReject::new(filter, format!("arithmetic failed: {e}"))
}

/// `a × b` in 10^-16 units, exact (two i64 always fit an i128 product).
fn product(a: i64, b: i64) -> i128 {
    i128::from(a) * i128::from(b)
}

/// A value in 10^-8 units lifted to 10^-16 units, exact.
fn lift(a: i64) -> i128 {
    i128::from(a) * i128::from(SCALE)
}

/// Rounds `v` onto the grid `offset + k × step` (`v >= offset`), as asked.
fn round_on_grid_price(
    v: Price,
    offset: Price,
    step: Price,
    mode: Rounding,
) -> Result<Price, NumError> {
    if step.is_zero() || v < offset {
        return Ok(v);
    }
    v.checked_sub(offset)?
        .round_to(step, mode)?
        .checked_add(offset)
}

fn round_on_grid_qty(v: Qty, offset: Qty, step: Qty) -> Result<Qty, NumError> {
    if step.is_zero() || v < offset {
        return Ok(v);
    }
    v.checked_sub(offset)?
        .round_to(step, Rounding::Down)?
        .checked_add(offset)
}

fn check_price_filter(
    name: &'static str,
    what: &str,
    p: Price,
    f: &super::exchange_info::PriceFilter,
    mode: Rounding,
) -> Result<Price, FilterReject> {
    if !f.min_price.is_zero() && p < f.min_price {
        return Err(FilterReject::new(
            name,
            format!("{what} {p} below minPrice {}", f.min_price),
        ));
    }
    let r =
        round_on_grid_price(p, f.min_price, f.tick_size, mode).map_err(|e| overflow(name, e))?;
    if !f.min_price.is_zero() && r < f.min_price {
        return Err(FilterReject::new(
            name,
            format!("{what} {p} rounds to {r}, below minPrice {}", f.min_price),
        ));
    }
    if !f.max_price.is_zero() && r > f.max_price {
        return Err(FilterReject::new(
            name,
            format!("{what} {p} rounds to {r}, above maxPrice {}", f.max_price),
        ));
    }
    if r.is_zero() {
        return Err(FilterReject::new(
            name,
            format!("{what} {p} is zero after rounding"),
        ));
    }
    Ok(r)
}

fn check_lot(name: &'static str, what: &str, q: Qty, f: &LotSize) -> Result<Qty, FilterReject> {
    if q < f.min_qty {
        return Err(FilterReject::new(
            name,
            format!("{what} {q} below minQty {}", f.min_qty),
        ));
    }
    let r = round_on_grid_qty(q, f.min_qty, f.step_size).map_err(|e| overflow(name, e))?;
    if r > f.max_qty {
        return Err(FilterReject::new(
            name,
            format!("{what} {r} above maxQty {}", f.max_qty),
        ));
    }
    if r.is_zero() {
        return Err(FilterReject::new(
            name,
            format!(
                "{what} {q} is zero after rounding to stepSize {}",
                f.step_size
            ),
        ));
    }
    Ok(r)
}

/// The reference price for a filter with `avg_price_mins` (0: last price).
fn reference(
    name: &'static str,
    avg_price_mins: u32,
    ctx: &FilterContext,
) -> Result<Price, FilterReject> {
    if avg_price_mins == 0 {
        ctx.last_price.ok_or_else(|| {
            FilterReject::new(
                name,
                "needs the last price (avgPriceMins 0), none given".into(),
            )
        })
    } else {
        ctx.avg_price.ok_or_else(|| {
            FilterReject::new(
                name,
                format!("needs the {avg_price_mins}-minute average price, none given"),
            )
        })
    }
}

fn check_percent(
    name: &'static str,
    price: Price,
    reference: Price,
    up: Price,
    down: Price,
) -> Result<(), FilterReject> {
    let p = lift(price.units());
    if p > product(reference.units(), up.units()) {
        return Err(FilterReject::new(
            name,
            format!("price {price} above {reference} × multiplierUp {up}"),
        ));
    }
    if p < product(reference.units(), down.units()) {
        return Err(FilterReject::new(
            name,
            format!("price {price} below {reference} × multiplierDown {down}"),
        ));
    }
    Ok(())
}

/// Validates `intent` against `symbol`'s filters and returns it rounded onto
/// the grid, or the first filter it breaks. Never panics.
pub fn check_order(
    symbol: &SymbolInfo,
    intent: &OrderIntent,
    ctx: &FilterContext,
) -> Result<OrderIntent, FilterReject> {
    let t = intent.order_type;
    if !symbol.allows(t) {
        return Err(FilterReject::new(
            "ORDER_TYPE",
            format!("{t:?} is not allowed on {}", symbol.symbol),
        ));
    }
    if t.has_limit_price() != intent.price.is_some() {
        let want = if t.has_limit_price() {
            "needs"
        } else {
            "takes no"
        };
        return Err(FilterReject::new(
            "ORDER_TYPE",
            format!("{t:?} {want} a limit price"),
        ));
    }
    if t.is_algo() && intent.stop_price.is_none() && intent.trailing_delta.is_none() {
        return Err(FilterReject::new(
            "ORDER_TYPE",
            format!("{t:?} needs a stop price or a trailing delta"),
        ));
    }
    if intent.iceberg_qty.is_some() && !symbol.iceberg_allowed {
        return Err(FilterReject::new(
            "ICEBERG",
            format!("iceberg orders are not allowed on {}", symbol.symbol),
        ));
    }
    let mode = ctx.price_rounding.unwrap_or(match intent.side {
        Side::Buy => Rounding::Down,
        Side::Sell => Rounding::Up,
    });
    let mut out = *intent;

    if let Some(f) = symbol.price_filter() {
        if let Some(p) = intent.price {
            out.price = Some(check_price_filter("PRICE_FILTER", "price", p, f, mode)?);
        }
        if let Some(p) = intent.stop_price {
            out.stop_price = Some(check_price_filter("PRICE_FILTER", "stopPrice", p, f, mode)?);
        }
    }
    if let Some(f) = symbol.lot_size() {
        out.qty = check_lot("LOT_SIZE", "qty", out.qty, f)?;
        if let Some(iq) = intent.iceberg_qty {
            out.iceberg_qty = Some(check_lot("LOT_SIZE", "icebergQty", iq, f)?);
        }
    }
    if t == OrderType::Market {
        if let Some(f) = symbol.market_lot_size() {
            out.qty = check_lot("MARKET_LOT_SIZE", "qty", out.qty, f)?;
        }
    }
    if out.qty.is_zero() {
        return Err(FilterReject::new("LOT_SIZE", "qty is zero".into()));
    }

    if let Some(price) = out.price {
        if let Some(f) = symbol.percent_price() {
            let r = reference("PERCENT_PRICE", f.avg_price_mins, ctx)?;
            check_percent(
                "PERCENT_PRICE",
                price,
                r,
                f.multiplier_up,
                f.multiplier_down,
            )?;
        }
        if let Some(f) = symbol.percent_price_by_side() {
            let r = reference("PERCENT_PRICE_BY_SIDE", f.avg_price_mins, ctx)?;
            let (up, down) = match intent.side {
                Side::Buy => (f.bid_multiplier_up, f.bid_multiplier_down),
                Side::Sell => (f.ask_multiplier_up, f.ask_multiplier_down),
            };
            check_percent("PERCENT_PRICE_BY_SIDE", price, r, up, down)?;
        }
    }

    // Notional: limit price, else the stop price (STOP_LOSS/TAKE_PROFIT), else
    // the reference price (MARKET).
    let notional_price = |name: &'static str, mins: u32| -> Result<Price, FilterReject> {
        match (out.price, out.stop_price) {
            (Some(p), _) => Ok(p),
            (None, Some(s)) if t != OrderType::Market => Ok(s),
            _ => reference(name, mins, ctx),
        }
    };
    let is_market = t.is_market();
    if let Some(f) = symbol.min_notional() {
        if !is_market || f.apply_to_market {
            let p = notional_price("MIN_NOTIONAL", f.avg_price_mins)?;
            if product(p.units(), out.qty.units()) < lift(f.min_notional.units()) {
                let n = p
                    .notional(out.qty, Rounding::Down)
                    .map_err(|e| overflow("MIN_NOTIONAL", e))?;
                return Err(FilterReject::new(
                    "MIN_NOTIONAL",
                    format!(
                        "notional {n} ({p} × {}) below minNotional {}",
                        out.qty, f.min_notional
                    ),
                ));
            }
        }
    }
    if let Some(f) = symbol.notional() {
        let check_min = !is_market || f.apply_min_to_market;
        let check_max = !is_market || f.apply_max_to_market;
        if check_min || check_max {
            let p = notional_price("NOTIONAL", f.avg_price_mins)?;
            let n = product(p.units(), out.qty.units());
            let shown = || {
                p.notional_wide(out.qty, Rounding::Down)
                    .map(|w| w.to_string())
                    .unwrap_or_default()
            };
            if check_min && n < lift(f.min_notional.units()) {
                return Err(FilterReject::new(
                    "NOTIONAL",
                    format!(
                        "notional {} ({p} × {}) below minNotional {}",
                        shown(),
                        out.qty,
                        f.min_notional
                    ),
                ));
            }
            if check_max && n > lift(f.max_notional.units()) {
                return Err(FilterReject::new(
                    "NOTIONAL",
                    format!(
                        "notional {} ({p} × {}) above maxNotional {}",
                        shown(),
                        out.qty,
                        f.max_notional
                    ),
                ));
            }
        }
    }

    for f in &symbol.filters {
        match *f {
            Filter::IcebergParts { limit } => {
                if let Some(iq) = out.iceberg_qty {
                    if iq.is_zero() {
                        return Err(FilterReject::new(
                            "ICEBERG_PARTS",
                            "icebergQty is zero".into(),
                        ));
                    }
                    let (q, v) = (i128::from(out.qty.units()), i128::from(iq.units()));
                    let parts = (q + v - 1) / v;
                    if parts > i128::from(limit) {
                        return Err(FilterReject::new(
                            "ICEBERG_PARTS",
                            format!("qty {} / icebergQty {iq} makes {parts} parts, over the limit {limit}", out.qty),
                        ));
                    }
                }
            }
            Filter::MaxNumOrders { max_num_orders }
                if u64::from(ctx.open_orders) + 1 > u64::from(max_num_orders) =>
            {
                return Err(FilterReject::new(
                    "MAX_NUM_ORDERS",
                    format!(
                        "{} open orders, maxNumOrders {max_num_orders}",
                        ctx.open_orders
                    ),
                ));
            }
            Filter::MaxNumAlgoOrders {
                max_num_algo_orders,
            } if t.is_algo()
                && u64::from(ctx.open_algo_orders) + 1 > u64::from(max_num_algo_orders) =>
            {
                return Err(FilterReject::new(
                    "MAX_NUM_ALGO_ORDERS",
                    format!(
                        "{} open algo orders, maxNumAlgoOrders {max_num_algo_orders}",
                        ctx.open_algo_orders
                    ),
                ));
            }
            Filter::MaxNumIcebergOrders {
                max_num_iceberg_orders,
            } if out.iceberg_qty.is_some()
                && u64::from(ctx.open_iceberg_orders) + 1 > u64::from(max_num_iceberg_orders) =>
            {
                return Err(FilterReject::new(
                    "MAX_NUM_ICEBERG_ORDERS",
                    format!(
                        "{} open iceberg orders, maxNumIcebergOrders {max_num_iceberg_orders}",
                        ctx.open_iceberg_orders
                    ),
                ));
            }
            Filter::MaxPosition { max_position } if intent.side == Side::Buy => {
                let pos = ctx.position.ok_or_else(|| {
                    FilterReject::new(
                        "MAX_POSITION",
                        "needs the current position, none given".into(),
                    )
                })?;
                let after = pos
                    .checked_add(out.qty)
                    .map_err(|e| overflow("MAX_POSITION", e))?;
                if after > max_position {
                    return Err(FilterReject::new(
                        "MAX_POSITION",
                        format!(
                            "position {pos} + qty {} = {after} above maxPosition {max_position}",
                            out.qty
                        ),
                    ));
                }
            }
            Filter::TrailingDelta(d) => {
                if let (Some(delta), true) = (intent.trailing_delta, t.is_algo()) {
                    let stop_loss = matches!(t, OrderType::StopLoss | OrderType::StopLossLimit);
                    let above = stop_loss == (intent.side == Side::Buy);
                    let (lo, hi, which) = if above {
                        (
                            d.min_trailing_above_delta,
                            d.max_trailing_above_delta,
                            "above",
                        )
                    } else {
                        (
                            d.min_trailing_below_delta,
                            d.max_trailing_below_delta,
                            "below",
                        )
                    };
                    if delta < lo || delta > hi {
                        return Err(FilterReject::new(
                            "TRAILING_DELTA",
                            format!("trailingDelta {delta} outside the {which} range [{lo}, {hi}]"),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}
