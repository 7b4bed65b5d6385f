//! The fixed-capacity order table and how an executionReport is applied to it.
//!
//! Applying a report ([`OrderTable::apply`]), in this order:
//! 1. find the order: by the original client id `C` (a cancel's report names
//!    the cancel request in `c` and the order in `C`), else by order id `i`,
//!    else by client id `c`; not found → [`ApplyError::UnknownOrder`];
//! 2. a report whose execution id `I` was already applied, or a fill whose
//!    trade id `t` was, is a **duplicate**: nothing changes (a report without
//!    `I`, as some third-party captures have, is a duplicate when its
//!    `x`, `X`, `z` and `T` equal the last applied one's);
//! 3. a fill older than what the order already counts (`z` below the
//!    cumulative) fills the **gap** a lost report left, if there is one
//!    ([`Applied::LateFill`]); otherwise it is stale;
//! 4. anything after a terminal status is **stale** and ignored
//!    ([`Applied::StaleAfterTerminal`]); a report with a lower execution id
//!    or a lower `z` than the last applied one is **out of order** and ignored;
//! 5. the status moves by the transition table ([`super::state::transition`]);
//!    an illegal pair is an error naming both, counted, and changes nothing;
//! 6. a fill (`x` = `TRADE`/`CALCULATED` with `l` > 0) adds `l`, its quote
//!    (`Y`, else `L` × `l`) and its commission in the commission's own asset;
//!    the sums are checked against the report's cumulative `z` and `Z`. The
//!    exchange's cumulative figures are kept; a mismatch or a gap is counted
//!    and marks the order `needs_reconcile`.
//!
//! Execution ids and trade ids only grow per symbol on Binance; the table
//! relies on that to tell out-of-order reports from new ones, and keeps the
//! last [`RECENT_IDS`] of each per order to tell duplicates exactly.
//!
//! No heap allocation after [`OrderTable::new`]: orders, their ids, symbols,
//! commission assets and reject reasons are held inline.

use super::fixed::{
    FixedStr, TooLong, MAX_ASSET_LEN, MAX_CLIENT_ID_LEN, MAX_REASON_LEN, MAX_SYMBOL_LEN,
};
use super::state::{transition, Event, IllegalTransition, Status};
use crate::binance::types::{OrderStatus, Side};
use crate::binance::user::{ExecutionReport, ExecutionType};
use crate::num::{Amount, NumError, Qty, Rounding};

/// Orders the table holds, open and recently finished (Binance allows 200
/// open orders per symbol by default, `MAX_NUM_ORDERS`).
pub const ORDER_TABLE_CAPACITY: usize = 256;
/// Distinct commission assets kept per order (base, quote, BNB, one more).
pub const MAX_COMMISSION_ASSETS: usize = 4;
/// Execution ids and trade ids remembered per order to spot duplicates.
pub const RECENT_IDS: usize = 8;

/// A commission paid in one asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Commission {
    /// The commission asset (`N`).
    pub asset: FixedStr<MAX_ASSET_LEN>,
    /// The sum paid in it (`n`, summed exactly).
    pub amount: Amount,
}

/// The last few ids seen, newest overwriting oldest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct RecentIds {
    ids: [u64; RECENT_IDS],
    len: u8,
    next: u8,
}

impl RecentIds {
    fn contains(&self, id: u64) -> bool {
        self.ids[..usize::from(self.len)].contains(&id)
    }

    fn push(&mut self, id: u64) {
        self.ids[usize::from(self.next)] = id;
        self.next = ((usize::from(self.next) + 1) % RECENT_IDS) as u8;
        if usize::from(self.len) < RECENT_IDS {
            self.len += 1;
        }
    }
}

/// One order as kairos knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// The client order id kairos gave it (or the exchange reported).
    pub client_id: FixedStr<MAX_CLIENT_ID_LEN>,
    /// Symbol.
    pub symbol: FixedStr<MAX_SYMBOL_LEN>,
    /// The exchange's order id, once a report named it.
    pub order_id: Option<u64>,
    /// Side.
    pub side: Side,
    /// Order quantity (an amendment can lower it).
    pub qty: Qty,
    /// Current status.
    pub status: Status,
    /// Cumulative filled quantity, as the exchange counts it (`z`).
    pub filled_qty: Qty,
    /// Cumulative quote quantity, as the exchange counts it (`Z`).
    pub quote_qty: Qty,
    /// Sum of the fills applied here (`l`); below `filled_qty` while a lost
    /// report leaves a gap.
    pub fills_qty: Qty,
    /// Sum of the quote of the fills applied here.
    pub fills_quote: Qty,
    /// Number of fills applied.
    pub fills: u32,
    /// The exchange's reject / expiry reason (`r`), empty when `NONE`.
    pub reject_reason: FixedStr<MAX_REASON_LEN>,
    /// Whether the sums disagree with the exchange or a report was lost:
    /// query the order (and its trades) before trusting the sums. Sticky: a
    /// late fill closing the gap does not clear it (the reconciliation does).
    pub needs_reconcile: bool,
    /// Transaction time of the last applied report, ms.
    pub last_update_ms: u64,
    commissions: [Commission; MAX_COMMISSION_ASSETS],
    n_commissions: u8,
    last_exec_id: Option<u64>,
    /// (x, X, z, T) of the last applied report: spots a duplicate of a
    /// report without an execution id.
    last_signature: Option<(ExecutionType, OrderStatus, Qty, u64)>,
    recent_exec_ids: RecentIds,
    recent_trade_ids: RecentIds,
    touched: u64,
}

impl Order {
    fn new(
        client_id: FixedStr<MAX_CLIENT_ID_LEN>,
        symbol: FixedStr<MAX_SYMBOL_LEN>,
        side: Side,
        qty: Qty,
    ) -> Order {
        Order {
            client_id,
            symbol,
            order_id: None,
            side,
            qty,
            status: Status::Submitted,
            filled_qty: Qty::ZERO,
            quote_qty: Qty::ZERO,
            fills_qty: Qty::ZERO,
            fills_quote: Qty::ZERO,
            fills: 0,
            reject_reason: FixedStr::EMPTY,
            needs_reconcile: false,
            last_update_ms: 0,
            commissions: [Commission::default(); MAX_COMMISSION_ASSETS],
            n_commissions: 0,
            last_exec_id: None,
            last_signature: None,
            recent_exec_ids: RecentIds::default(),
            recent_trade_ids: RecentIds::default(),
            touched: 0,
        }
    }

    /// The commissions paid, one entry per asset.
    pub fn commissions(&self) -> &[Commission] {
        &self.commissions[..usize::from(self.n_commissions)]
    }

    /// The commission paid in `asset` (zero when none).
    pub fn commission(&self, asset: &str) -> Amount {
        self.commissions()
            .iter()
            .find(|c| c.asset.eq_str(asset))
            .map_or(Amount::ZERO, |c| c.amount)
    }

    /// Quantity the exchange reports filled that no applied fill explains
    /// (a lost report), zero normally.
    pub fn gap_qty(&self) -> Qty {
        self.filled_qty
            .checked_sub(self.fills_qty)
            .unwrap_or(Qty::ZERO)
    }

    /// Quantity still to fill.
    pub fn remaining_qty(&self) -> Qty {
        self.qty.checked_sub(self.filled_qty).unwrap_or(Qty::ZERO)
    }

    fn add_commission(&mut self, asset: &str, amount: Amount) -> Result<(), ApplyError> {
        if let Some(c) = self.commissions[..usize::from(self.n_commissions)]
            .iter_mut()
            .find(|c| c.asset.eq_str(asset))
        {
            c.amount = c.amount.checked_add(amount)?;
            return Ok(());
        }
        if usize::from(self.n_commissions) == MAX_COMMISSION_ASSETS {
            return Err(ApplyError::TooManyCommissionAssets);
        }
        self.commissions[usize::from(self.n_commissions)] = Commission {
            asset: FixedStr::truncated(asset),
            amount,
        };
        self.n_commissions += 1;
        Ok(())
    }
}

/// What applying a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Applied: the order moved `from` → `to` (possibly the same status,
    /// e.g. a second partial fill).
    Moved {
        /// Status before.
        from: Status,
        /// Status after.
        to: Status,
        /// Whether the report carried a fill.
        fill: bool,
    },
    /// Already applied (same execution id or trade id): nothing changed.
    Duplicate,
    /// Older than what was applied (lower execution id or cumulative qty):
    /// ignored.
    StaleOutOfOrder,
    /// The order is already terminal: ignored.
    StaleAfterTerminal,
    /// A fill older than the last applied one, filling the gap a lost
    /// report left: its quantity, quote and commission were added; the
    /// status did not change.
    LateFill,
}

/// Why a report or a request could not be applied. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// No order in the table matches the report.
    #[error("no order matches the report (order id {order_id}); adopt it or reconcile")]
    UnknownOrder {
        /// The report's order id.
        order_id: u64,
    },
    /// The transition table forbids it.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// Arithmetic overflow on a sum (never wraps).
    #[error("order arithmetic: {0}")]
    Num(#[from] NumError),
    /// The order pays commission in more assets than are kept.
    #[error("more than {MAX_COMMISSION_ASSETS} commission assets on one order")]
    TooManyCommissionAssets,
    /// Every slot holds an open order.
    #[error("order table full: {capacity} open orders")]
    TableFull {
        /// [`ORDER_TABLE_CAPACITY`].
        capacity: usize,
    },
    /// An open order already has this client id (a retried place must reuse
    /// the order, never make a second one).
    #[error("an open order already has this client order id")]
    DuplicateClientId,
    /// A field longer than the table keeps (client id, symbol).
    #[error("field too long: {0}")]
    TooLong(#[from] TooLong),
}

/// Counters for reports and alarms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderStats {
    /// Reports applied.
    pub applied: u64,
    /// Fills applied (in order and late).
    pub fills: u64,
    /// Duplicate reports ignored.
    pub duplicates: u64,
    /// Out-of-order reports ignored.
    pub stale_out_of_order: u64,
    /// Reports after a terminal status ignored.
    pub stale_after_terminal: u64,
    /// Late fills that filled a gap.
    pub late_fills: u64,
    /// Illegal transitions refused.
    pub illegal: u64,
    /// Reports for no known order.
    pub unknown: u64,
    /// Reports whose `z` showed a lost fill.
    pub gaps: u64,
    /// Reports whose `z`/`Z` disagree with the fills applied, and fills
    /// without a price.
    pub mismatches: u64,
    /// Submissions refused because the table was full.
    pub table_full: u64,
    /// Terminal orders dropped to make room.
    pub evicted: u64,
}

/// The table of orders. Fixed capacity ([`ORDER_TABLE_CAPACITY`]); a lookup
/// scans it (bounded, no hashing, no allocation).
#[derive(Debug, Clone)]
pub struct OrderTable {
    slots: Vec<Option<Order>>,
    clock: u64,
    stats: OrderStats,
}

impl Default for OrderTable {
    fn default() -> Self {
        Self::new()
    }
}

impl OrderTable {
    /// An empty table; the only allocation it ever makes.
    pub fn new() -> OrderTable {
        OrderTable {
            slots: vec![None; ORDER_TABLE_CAPACITY],
            clock: 0,
            stats: OrderStats::default(),
        }
    }

    /// Records an order kairos is about to send, in [`Status::Submitted`].
    pub fn submit(
        &mut self,
        client_id: &str,
        symbol: &str,
        side: Side,
        qty: Qty,
    ) -> Result<&Order, ApplyError> {
        let client_id = FixedStr::new(client_id)?;
        let symbol = FixedStr::new(symbol)?;
        if self
            .iter()
            .any(|o| o.status.is_open() && o.client_id == client_id && o.symbol == symbol)
        {
            return Err(ApplyError::DuplicateClientId);
        }
        let k = self.free_slot()?;
        let order = Order::new(client_id, symbol, side, qty);
        Ok(self.put(k, order))
    }

    /// Takes in an order kairos did not submit in this run (found by
    /// reconciliation, or placed elsewhere), from its report, in
    /// [`Status::Submitted`]; then [`OrderTable::apply`] the report.
    pub fn adopt(&mut self, r: &ExecutionReport) -> Result<&Order, ApplyError> {
        let id = if r.orig_client_order_id.is_empty() {
            &r.client_order_id
        } else {
            &r.orig_client_order_id
        };
        // Binance caps client ids at 36 bytes; a longer one (only seen in
        // third-party fixtures) is kept cut: the order is found by order id.
        let client_id = FixedStr::truncated(id);
        let symbol = FixedStr::new(&r.symbol)?;
        let k = self.free_slot()?;
        let mut order = Order::new(client_id, symbol, r.side, r.qty);
        order.order_id = Some(r.order_id);
        Ok(self.put(k, order))
    }

    /// Marks a submitted order rejected before it reached the matching
    /// engine (the place request itself was refused), with the reason.
    pub fn reject_submitted(
        &mut self,
        client_id: &str,
        symbol: &str,
        reason: &str,
    ) -> Result<Applied, ApplyError> {
        let k = self
            .slots
            .iter()
            .position(|s| {
                s.as_ref().is_some_and(|o| {
                    o.client_id.eq_str(client_id) && o.symbol.eq_str(symbol) && o.status.is_open()
                })
            })
            .ok_or(ApplyError::UnknownOrder { order_id: 0 })?;
        self.clock += 1;
        let clock = self.clock;
        let Some(o) = self.slots[k].as_mut() else {
            return Err(ApplyError::UnknownOrder { order_id: 0 });
        };
        let from = o.status;
        let to = match transition(from, Event::Rejected) {
            Ok(to) => to,
            Err(e) => {
                self.stats.illegal += 1;
                return Err(e.into());
            }
        };
        o.status = to;
        o.reject_reason = FixedStr::truncated(reason);
        o.touched = clock;
        self.stats.applied += 1;
        Ok(Applied::Moved {
            from,
            to,
            fill: false,
        })
    }

    /// A status query found a submitted order accepted (`NEW`) on the
    /// exchange, while its own `NEW` executionReport never arrived (it went
    /// out on a connection that was lost): the order moves to
    /// [`Status::New`]. Orders past `Submitted` are left alone (their
    /// reports are the better source). Returns whether it moved.
    pub fn accept_queried(&mut self, symbol: &str, client_id: &str) -> bool {
        self.clock += 1;
        let clock = self.clock;
        let Some(o) = self.newest_mut(symbol, client_id) else {
            return false;
        };
        if o.status != Status::Submitted {
            return false;
        }
        let Ok(to) = transition(o.status, Event::Accepted) else {
            return false;
        };
        o.status = to;
        o.touched = clock;
        self.stats.applied += 1;
        true
    }

    /// The order with this client id on this symbol (the newest if reused),
    /// to change.
    fn newest_mut(&mut self, symbol: &str, client_id: &str) -> Option<&mut Order> {
        self.slots
            .iter_mut()
            .flatten()
            .filter(|o| o.symbol.eq_str(symbol) && o.client_id.eq_str(client_id))
            .max_by_key(|o| o.touched)
    }

    /// Records the exchange's order id of a submitted order from a place
    /// acknowledgement or a status query (before any executionReport named
    /// it). Returns whether the order was found.
    pub fn set_order_id(&mut self, symbol: &str, client_id: &str, order_id: u64) -> bool {
        match self.newest_mut(symbol, client_id) {
            Some(o) => {
                o.order_id.get_or_insert(order_id);
                true
            }
            None => false,
        }
    }

    /// Applies one executionReport (see the module docs for the rules).
    pub fn apply(&mut self, r: &ExecutionReport) -> Result<Applied, ApplyError> {
        let Some(k) = self.find(r) else {
            self.stats.unknown += 1;
            return Err(ApplyError::UnknownOrder {
                order_id: r.order_id,
            });
        };
        self.clock += 1;
        let clock = self.clock;
        let stats = &mut self.stats;
        let Some(o) = self.slots[k].as_mut() else {
            stats.unknown += 1;
            return Err(ApplyError::UnknownOrder {
                order_id: r.order_id,
            });
        };
        let result = apply_to(o, r, stats);
        if matches!(result, Ok(Applied::Moved { .. } | Applied::LateFill)) {
            o.touched = clock;
        }
        result
    }

    /// The order with this client id on this symbol (the newest if reused).
    pub fn get(&self, symbol: &str, client_id: &str) -> Option<&Order> {
        self.iter()
            .filter(|o| o.symbol.eq_str(symbol) && o.client_id.eq_str(client_id))
            .max_by_key(|o| o.touched)
    }

    /// Flags the order for reconciliation (an audit found the exchange
    /// ahead of its reports); `false` when it is not in the table.
    pub fn mark_needs_reconcile(&mut self, symbol: &str, client_id: &str) -> bool {
        match self.newest_mut(symbol, client_id) {
            Some(o) => {
                o.needs_reconcile = true;
                true
            }
            None => false,
        }
    }

    /// The order with this exchange order id on this symbol.
    pub fn by_order_id(&self, symbol: &str, order_id: u64) -> Option<&Order> {
        self.iter()
            .find(|o| o.order_id == Some(order_id) && o.symbol.eq_str(symbol))
    }

    /// Every order held.
    pub fn iter(&self) -> impl Iterator<Item = &Order> {
        self.slots.iter().flatten()
    }

    /// Orders not in a terminal status.
    pub fn open_count(&self) -> usize {
        self.iter().filter(|o| o.status.is_open()).count()
    }

    /// The counters.
    pub fn stats(&self) -> &OrderStats {
        &self.stats
    }

    fn find(&self, r: &ExecutionReport) -> Option<usize> {
        let same_symbol = |o: &Order| o.symbol.eq_str(&r.symbol);
        let newest = |pred: &dyn Fn(&Order) -> bool| {
            self.slots
                .iter()
                .enumerate()
                .filter_map(|(k, s)| s.as_ref().map(|o| (k, o)))
                .filter(|(_, o)| same_symbol(o) && pred(o))
                .max_by_key(|(_, o)| o.touched)
                .map(|(k, _)| k)
        };
        if let Some(k) = newest(&|o| o.order_id == Some(r.order_id)) {
            return Some(k);
        }
        let client_id = if r.orig_client_order_id.is_empty() {
            &r.client_order_id
        } else {
            &r.orig_client_order_id
        };
        if client_id.is_empty() {
            return None;
        }
        newest(&|o| o.client_id.eq_str(client_id) && o.order_id.is_none_or(|id| id == r.order_id))
    }

    fn free_slot(&mut self) -> Result<usize, ApplyError> {
        if let Some(k) = self.slots.iter().position(Option::is_none) {
            return Ok(k);
        }
        let oldest_terminal = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(k, s)| s.as_ref().map(|o| (k, o)))
            .filter(|(_, o)| o.status.is_terminal())
            .min_by_key(|(_, o)| o.touched)
            .map(|(k, _)| k);
        match oldest_terminal {
            Some(k) => {
                self.stats.evicted += 1;
                self.slots[k] = None;
                Ok(k)
            }
            None => {
                self.stats.table_full += 1;
                Err(ApplyError::TableFull {
                    capacity: ORDER_TABLE_CAPACITY,
                })
            }
        }
    }

    fn put(&mut self, k: usize, mut order: Order) -> &Order {
        self.clock += 1;
        order.touched = self.clock;
        self.slots[k].insert(order)
    }
}

/// Whether the report carries an execution (a fill of `l` > 0).
fn is_fill(r: &ExecutionReport) -> bool {
    matches!(
        r.execution_type,
        ExecutionType::Trade | ExecutionType::Calculated
    ) && !r.last_executed_qty.is_zero()
}

/// The quote quantity of the report's fill: `Y`, else `L` × `l`.
fn fill_quote(r: &ExecutionReport) -> Result<Qty, NumError> {
    if let Some(y) = r.last_quote_qty {
        return Ok(y);
    }
    let price = r.last_executed_price.unwrap_or_default();
    let amount = price.notional(r.last_executed_qty, Rounding::HalfEven)?;
    Qty::from_units(amount.units())
}

/// Adds the report's fill (quantity, quote, commission) to the order's sums.
fn add_fill(o: &mut Order, r: &ExecutionReport) -> Result<(), ApplyError> {
    let quote = fill_quote(r)?;
    let fills_qty = o.fills_qty.checked_add(r.last_executed_qty)?;
    let fills_quote = o.fills_quote.checked_add(quote)?;
    if !r.commission.is_zero() {
        match &r.commission_asset {
            Some(asset) => o.add_commission(asset, r.commission)?,
            // A commission without its asset cannot be booked: reconcile.
            None => o.needs_reconcile = true,
        }
    }
    o.fills_qty = fills_qty;
    o.fills_quote = fills_quote;
    o.fills = o.fills.saturating_add(1);
    if r.trade_id >= 0 {
        o.recent_trade_ids.push(r.trade_id as u64);
    }
    Ok(())
}

fn apply_to(
    o: &mut Order,
    r: &ExecutionReport,
    stats: &mut OrderStats,
) -> Result<Applied, ApplyError> {
    let fill = is_fill(r);
    // 2. Duplicates.
    let dup_exec = r
        .execution_id
        .is_some_and(|id| o.recent_exec_ids.contains(id));
    let dup_trade = fill && r.trade_id >= 0 && o.recent_trade_ids.contains(r.trade_id as u64);
    let dup_signature = r.execution_id.is_none() && o.last_signature == Some(signature(r));
    if dup_exec || dup_trade || dup_signature {
        stats.duplicates += 1;
        return Ok(Applied::Duplicate);
    }
    // 3. A fill older than the cumulative: fills a gap, or is stale.
    if fill && r.cumulative_filled_qty < o.filled_qty {
        if r.last_executed_qty <= o.gap_qty() {
            add_fill(o, r)?;
            remember_exec(o, r);
            stats.late_fills += 1;
            stats.fills += 1;
            if o.gap_qty().is_zero() && o.fills_quote != o.quote_qty {
                stats.mismatches += 1;
                o.needs_reconcile = true;
            }
            return Ok(Applied::LateFill);
        }
        stats.stale_out_of_order += 1;
        return Ok(Applied::StaleOutOfOrder);
    }
    // 4. Stale.
    if o.status.is_terminal() {
        stats.stale_after_terminal += 1;
        return Ok(Applied::StaleAfterTerminal);
    }
    let older_exec = match (r.execution_id, o.last_exec_id) {
        (Some(id), Some(last)) => id < last,
        _ => false,
    };
    if older_exec || r.cumulative_filled_qty < o.filled_qty {
        stats.stale_out_of_order += 1;
        return Ok(Applied::StaleOutOfOrder);
    }
    // 5. The transition table.
    let from = o.status;
    let event = Event::from_report(r);
    let to = match transition(from, event) {
        Ok(to) => to,
        Err(e) => {
            stats.illegal += 1;
            return Err(e.into());
        }
    };
    // 6. Accounting, checked against the exchange's cumulative figures.
    let expected = if fill {
        o.filled_qty.checked_add(r.last_executed_qty)?
    } else {
        o.filled_qty
    };
    if fill {
        add_fill(o, r)?;
        stats.fills += 1;
        // A fill without a price (seen in third-party captures): its quote
        // is unknown, whatever `Z` says.
        if r.last_executed_price.is_none_or(|p| p.is_zero()) {
            stats.mismatches += 1;
            o.needs_reconcile = true;
        }
    }
    if r.cumulative_filled_qty > expected {
        stats.gaps += 1;
        o.needs_reconcile = true;
    } else if r.cumulative_filled_qty < expected {
        stats.mismatches += 1;
        o.needs_reconcile = true;
    }
    o.filled_qty = r.cumulative_filled_qty;
    if r.cumulative_quote_qty >= o.quote_qty {
        o.quote_qty = r.cumulative_quote_qty;
    } else {
        stats.mismatches += 1;
        o.needs_reconcile = true;
    }
    if o.gap_qty().is_zero() && o.fills_quote != o.quote_qty {
        stats.mismatches += 1;
        o.needs_reconcile = true;
    }
    if event == Event::Amended {
        o.qty = r.qty;
    }
    if o.filled_qty > o.qty || (to == Status::Filled && o.filled_qty != o.qty) {
        stats.mismatches += 1;
        o.needs_reconcile = true;
    }
    if r.reject_reason != "NONE" && !r.reject_reason.is_empty() {
        o.reject_reason = FixedStr::truncated(&r.reject_reason);
    }
    o.status = to;
    o.order_id = Some(r.order_id);
    o.last_update_ms = r.transaction_time_ms;
    remember_exec(o, r);
    stats.applied += 1;
    Ok(Applied::Moved { from, to, fill })
}

fn signature(r: &ExecutionReport) -> (ExecutionType, OrderStatus, Qty, u64) {
    (
        r.execution_type,
        r.order_status,
        r.cumulative_filled_qty,
        r.transaction_time_ms,
    )
}

fn remember_exec(o: &mut Order, r: &ExecutionReport) {
    o.last_signature = Some(signature(r));
    if let Some(id) = r.execution_id {
        o.recent_exec_ids.push(id);
        o.last_exec_id = Some(o.last_exec_id.map_or(id, |last| last.max(id)));
    }
}
