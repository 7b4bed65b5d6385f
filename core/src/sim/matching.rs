//! The paper matching engine: clients' orders against a replayed market.
//!
//! Pure logic, no sockets, no clock: the caller passes the time (`now_ms`),
//! the opposite side of the book when an order may take liquidity, and every
//! replayed trade. `kairos sim` drives it from its market thread and its
//! WS-API/REST servers; a paper driver can drive it the same way.
//!
//! **Fill model.**
//! - An order that is marketable on arrival (MARKET, a LIMIT crossing the
//!   book, a triggered stop) takes the replayed book's levels best first, at
//!   their prices, up to its quantity (and limit price). The replayed book is
//!   not depleted by the client's fills: there is no market impact.
//! - A resting LIMIT order joins the back of its price level's queue (price-
//!   time priority). It fills when a replayed trade prints *through* its
//!   price (a buy when a trade prints strictly below its price, a sell
//!   strictly above), for at most the trade's quantity, at its own price, as
//!   maker. A trade *at* its price first consumes the queue ahead of it: with
//!   [`Engine::place_queued`] that queue is the replayed book's visible
//!   quantity at the price when the order arrived (zero at a new price
//!   level), and what a trade at the price leaves after it fills the order;
//!   with [`Engine::place`] the queue ahead is unknown and a trade at its
//!   price never fills it (the conservative model). Cancellations ahead in
//!   the queue are not seen (the queue only shrinks by trades): fills come
//!   later than on the exchange, never earlier. Several client orders at one
//!   price fill in time order, sharing each trade's quantity.
//! - Stops (STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT)
//!   trigger on the last replayed trade price: STOP_LOSS buys when the price
//!   rises to the stop, sells when it falls to it; TAKE_PROFIT the reverse.
//!   A stop that would trigger at once (against the last price) is refused,
//!   as Binance does.
//! - Commission is a fraction of what the order receives, in the asset
//!   received (base for a buy, quote for a sell), rounded up to 10^-8: the
//!   taker rate for fills on arrival (and triggered stops), the maker rate
//!   for resting fills; both [`DEFAULT_COMMISSION_RATE`] unless configured.
//! - Balances: a LIMIT (or a stop-limit) buy locks `price × qty` of quote, a
//!   sell locks `qty` of base; a MARKET or STOP_LOSS/TAKE_PROFIT buy locks
//!   nothing (a stop locks `stopPrice × qty`) and is checked against the free
//!   quote when it executes. Locks are released on fill, cancel and expiry.
//!
//! Deterministic: the same calls in the same order give the same ids,
//! fills and balances.

use crate::binance::types::{OrderStatus, OrderType, Side, TimeInForce};
use crate::num::{Amount, Price, Qty, Rounding, SCALE};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Binance's default spot commission: 0.1 % (as a fraction of 1, in 10^-8).
pub const DEFAULT_COMMISSION_RATE: Amount = Amount::from_units_unchecked(100_000);
/// Rounding of a commission (up: the exchange never rounds in the client's favour).
pub const COMMISSION_ROUNDING: Rounding = Rounding::Up;
/// How long a terminal order's client order id stays reserved after it
/// ended (a retry of an order that already filled is refused too).
pub const CLIENT_ID_MEMORY_MS: u64 = 10 * 60 * 1000;
/// Terminal orders kept for `order.status` queries (oldest forgotten first).
pub const MAX_CLOSED_ORDERS: usize = 100_000;
/// Open orders one account may have (Binance: 200 per symbol; MAX_NUM_ORDERS).
pub const MAX_OPEN_ORDERS: usize = 200;
/// Longest client order id (Binance: 36 characters).
pub const MAX_CLIENT_ORDER_ID_LEN: usize = 36;
/// Book levels an order may walk when it takes liquidity.
pub const MAX_LEVELS_WALKED: usize = 5_000;
/// First order id handed out.
pub const FIRST_ORDER_ID: u64 = 1;
/// First trade id handed out.
pub const FIRST_TRADE_ID: u64 = 1;

/// A refusal with Binance's error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// Binance's error code (-1013, -2010, -2011, …).
    pub code: i64,
    /// Binance's message.
    pub msg: String,
}

impl Reject {
    /// A refusal.
    pub fn new(code: i64, msg: impl Into<String>) -> Reject {
        Reject {
            code,
            msg: msg.into(),
        }
    }
    fn filter(name: &str) -> Reject {
        Reject::new(-1013, format!("Filter failure: {name}"))
    }
    fn balance() -> Reject {
        Reject::new(
            -2010,
            "Account has insufficient balance for requested action.",
        )
    }
    /// `-2011 Unknown order sent.`
    pub fn unknown_order() -> Reject {
        Reject::new(-2011, "Unknown order sent.")
    }
    fn overflow() -> Reject {
        Reject::new(-1013, "Filter failure: NOTIONAL")
    }
}

fn num<T>(r: Result<T, crate::num::NumError>) -> Result<T, Reject> {
    r.map_err(|_| Reject::overflow())
}

/// A symbol's trading rules (exchange filters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolRules {
    /// Upper-case symbol.
    pub symbol: String,
    /// Base asset.
    pub base: String,
    /// Quote asset.
    pub quote: String,
    /// PRICE_FILTER tickSize.
    pub tick: Price,
    /// PRICE_FILTER minPrice.
    pub min_price: Price,
    /// PRICE_FILTER maxPrice.
    pub max_price: Price,
    /// LOT_SIZE stepSize.
    pub step: Qty,
    /// LOT_SIZE minQty.
    pub min_qty: Qty,
    /// LOT_SIZE maxQty.
    pub max_qty: Qty,
    /// NOTIONAL minNotional (applied to market orders too).
    pub min_notional: Amount,
}

/// A new order as the client asked for it (already parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Symbol (upper case).
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force (required for the limit types).
    pub time_in_force: Option<TimeInForce>,
    /// Quantity.
    pub qty: Option<Qty>,
    /// Limit price.
    pub price: Option<Price>,
    /// Stop price (stop and take-profit types).
    pub stop_price: Option<Price>,
    /// Client order id (`newClientOrderId`); generated when `None`.
    pub client_order_id: Option<String>,
}

/// One order as the engine keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Owner (index into the engine's accounts).
    pub account: usize,
    /// Exchange order id.
    pub id: u64,
    /// Symbol.
    pub symbol: String,
    /// Client order id.
    pub client_order_id: String,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force (GTC for types without one).
    pub time_in_force: TimeInForce,
    /// Limit price (zero for market types).
    pub price: Price,
    /// Quantity.
    pub qty: Qty,
    /// Stop price (zero when none).
    pub stop_price: Price,
    /// Filled quantity.
    pub executed: Qty,
    /// Quote amount of the fills.
    pub cum_quote: Amount,
    /// Status.
    pub status: OrderStatus,
    /// Creation time, ms.
    pub time_ms: u64,
    /// Last change, ms.
    pub update_ms: u64,
    /// Whether it is on the book (false for an untriggered stop).
    pub working: bool,
    /// When it started working, ms (-1 before).
    pub working_ms: i64,
    /// Amount still locked for it, in the asset it pays with.
    pub locked: Amount,
    /// Visible quantity ahead of it in its price level's queue (`None`:
    /// unknown, only trades through its price fill it).
    pub queue_ahead: Option<Qty>,
}

impl Order {
    fn is_open(&self) -> bool {
        matches!(
            self.status,
            OrderStatus::New | OrderStatus::PartiallyFilled | OrderStatus::PendingNew
        )
    }
    fn remaining(&self) -> Qty {
        self.qty.checked_sub(self.executed).unwrap_or(Qty::ZERO)
    }
}

/// One execution of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// Price.
    pub price: Price,
    /// Quantity.
    pub qty: Qty,
    /// Commission.
    pub commission: Amount,
    /// Asset of the commission.
    pub commission_asset: String,
    /// Trade id.
    pub trade_id: u64,
    /// Whether the order was the maker.
    pub maker: bool,
}

/// What happened to an order: the stuff of an `executionReport`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// The order after the change.
    pub order: Order,
    /// `x`: NEW, TRADE, CANCELED, EXPIRED, REJECTED.
    pub exec_type: &'static str,
    /// The fill, for a TRADE.
    pub fill: Option<Fill>,
    /// Execution id (increasing per engine).
    pub exec_id: u64,
    /// The cancel request's client id (`C`), for a CANCELED.
    pub orig_client_order_id: String,
    /// Time, ms.
    pub time_ms: u64,
}

/// An account's balance of one asset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balance {
    /// Free.
    pub free: Amount,
    /// Locked by open orders.
    pub locked: Amount,
}

/// Something the user-data stream must say, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An `executionReport`.
    Execution(Box<Execution>),
    /// An `outboundAccountPosition`: the balances of the assets that changed.
    Position {
        /// Owner.
        account: usize,
        /// Time, ms.
        time_ms: u64,
        /// (asset, balance) after the change.
        balances: Vec<(String, Balance)>,
    },
}

impl Event {
    /// The account the event belongs to.
    pub fn account(&self) -> usize {
        match self {
            Event::Execution(e) => e.order.account,
            Event::Position { account, .. } => *account,
        }
    }
}

/// The result of a placement: the order and its fills on arrival.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The order after placement.
    pub order: Order,
    /// Fills on arrival.
    pub fills: Vec<Fill>,
}

/// How the engine is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Taker commission (fills on arrival), a fraction of what is received.
    pub taker_rate: Amount,
    /// Maker commission (resting fills), a fraction of what is received.
    pub maker_rate: Amount,
    /// Starting balances of every account (asset, amount).
    pub start_balances: Vec<(String, Amount)>,
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            taker_rate: DEFAULT_COMMISSION_RATE,
            maker_rate: DEFAULT_COMMISSION_RATE,
            start_balances: vec![(
                "USDT".to_string(),
                Amount::from_units_unchecked(10_000 * SCALE),
            )],
        }
    }
}

/// The matching engine.
#[derive(Debug, Clone)]
pub struct Engine {
    cfg: EngineConfig,
    rules: BTreeMap<String, SymbolRules>,
    accounts: Vec<BTreeMap<String, Balance>>,
    open: BTreeMap<u64, Order>,
    closed: HashMap<u64, Order>,
    closed_order: VecDeque<(u64, u64)>,
    client_ids: HashMap<(usize, String), u64>,
    last_price: HashMap<String, Price>,
    next_order_id: u64,
    next_trade_id: u64,
    next_exec_id: u64,
    next_client_id: u64,
    events: Vec<Event>,
}

/// A best-first view of one side of the book: `(price, qty)` levels.
pub type Levels<'a> = &'a [(Price, Qty)];

fn crosses(side: Side, limit: Price, level: Price) -> bool {
    match side {
        Side::Buy => level <= limit,
        Side::Sell => level >= limit,
    }
}

impl Engine {
    /// An engine with `accounts` accounts, each with the configured start balances.
    pub fn new(cfg: EngineConfig, rules: Vec<SymbolRules>, accounts: usize) -> Engine {
        let start: BTreeMap<String, Balance> = cfg
            .start_balances
            .iter()
            .map(|(a, v)| {
                (
                    a.clone(),
                    Balance {
                        free: *v,
                        locked: Amount::ZERO,
                    },
                )
            })
            .collect();
        Engine {
            rules: rules.into_iter().map(|r| (r.symbol.clone(), r)).collect(),
            accounts: vec![start; accounts.max(1)],
            cfg,
            open: BTreeMap::new(),
            closed: HashMap::new(),
            closed_order: VecDeque::new(),
            client_ids: HashMap::new(),
            last_price: HashMap::new(),
            next_order_id: FIRST_ORDER_ID,
            next_trade_id: FIRST_TRADE_ID,
            next_exec_id: 1,
            next_client_id: 1,
            events: Vec::new(),
        }
    }

    /// The rules of a symbol.
    pub fn rules(&self, symbol: &str) -> Option<&SymbolRules> {
        self.rules.get(symbol)
    }

    /// The taker commission rate.
    pub fn taker_rate(&self) -> Amount {
        self.cfg.taker_rate
    }

    /// The maker commission rate.
    pub fn maker_rate(&self) -> Amount {
        self.cfg.maker_rate
    }

    /// Takes the events produced since the last call, in order.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// An account's balances (every asset it ever held).
    pub fn balances(&self, account: usize) -> Vec<(String, Balance)> {
        self.accounts
            .get(account)
            .map(|m| m.iter().map(|(a, b)| (a.clone(), *b)).collect())
            .unwrap_or_default()
    }

    /// An account's balance of one asset.
    pub fn balance(&self, account: usize, asset: &str) -> Balance {
        self.accounts
            .get(account)
            .and_then(|m| m.get(asset).copied())
            .unwrap_or_default()
    }

    /// The open orders of an account, by order id (optionally one symbol).
    pub fn open_orders(&self, account: usize, symbol: Option<&str>) -> Vec<Order> {
        self.open
            .values()
            .filter(|o| o.account == account && symbol.is_none_or(|s| o.symbol == s))
            .cloned()
            .collect()
    }

    /// Whether any order of `symbol` is open (a trade may fill or trigger it).
    pub fn open_orders_in(&self, symbol: &str) -> bool {
        self.open.values().any(|o| o.symbol == symbol)
    }

    /// An order of an account by id or client id.
    pub fn order(
        &self,
        account: usize,
        symbol: &str,
        id: Option<u64>,
        client_id: Option<&str>,
    ) -> Option<&Order> {
        let id = match (id, client_id) {
            (Some(i), _) => i,
            (None, Some(c)) => *self.client_ids.get(&(account, c.to_string()))?,
            (None, None) => return None,
        };
        let o = self.open.get(&id).or_else(|| self.closed.get(&id))?;
        (o.account == account && o.symbol == symbol).then_some(o)
    }

    /// The last replayed trade price of a symbol.
    pub fn last_price(&self, symbol: &str) -> Option<Price> {
        self.last_price.get(symbol).copied()
    }

    fn check_filters(&self, r: &SymbolRules, o: &NewOrder) -> Result<(), Reject> {
        for p in [o.price, o.stop_price].into_iter().flatten() {
            if p < r.min_price || p > r.max_price || !p.is_multiple_of(r.tick) {
                return Err(Reject::filter("PRICE_FILTER"));
            }
        }
        if let Some(q) = o.qty {
            if q < r.min_qty || q > r.max_qty || !q.is_multiple_of(r.step) {
                return Err(Reject::filter("LOT_SIZE"));
            }
            if let Some(p) = o.price.or(o.stop_price) {
                if num(p.notional(q, Rounding::Down))? < r.min_notional {
                    return Err(Reject::filter("NOTIONAL"));
                }
            }
        }
        Ok(())
    }

    /// Whether `req` passes the parameter and filter checks (`order.test`).
    pub fn check(&self, req: &NewOrder) -> Result<(), Reject> {
        self.validate(req).map(|_| ())
    }

    /// Checks the request's parameters (Binance's -1102/-1106/-1013 rules).
    fn validate(&self, o: &NewOrder) -> Result<(SymbolRules, TimeInForce), Reject> {
        let r = self
            .rules
            .get(&o.symbol)
            .ok_or_else(|| Reject::new(-1121, "Invalid symbol."))?
            .clone();
        let missing = |name: &str| {
            Reject::new(
                -1102,
                format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
            )
        };
        let extra =
            |name: &str| Reject::new(-1106, format!("Parameter '{name}' sent when not required."));
        let t = o.order_type;
        let limit_like = matches!(
            t,
            OrderType::Limit | OrderType::StopLossLimit | OrderType::TakeProfitLimit
        );
        let stop_like = matches!(
            t,
            OrderType::StopLoss
                | OrderType::StopLossLimit
                | OrderType::TakeProfit
                | OrderType::TakeProfitLimit
        );
        if o.qty.is_none() {
            return Err(missing("quantity"));
        }
        let needs_price = limit_like || t == OrderType::LimitMaker;
        match (needs_price, o.price.is_some()) {
            (true, false) => return Err(missing("price")),
            (false, true) => return Err(extra("price")),
            _ => {}
        }
        match (stop_like, o.stop_price.is_some()) {
            (true, false) => return Err(missing("stopPrice")),
            (false, true) => return Err(extra("stopPrice")),
            _ => {}
        }
        let tif = match (limit_like, o.time_in_force) {
            (true, Some(f @ (TimeInForce::Gtc | TimeInForce::Ioc | TimeInForce::Fok))) => f,
            (true, Some(_)) => return Err(Reject::new(-1115, "Invalid timeInForce.")),
            (true, None) => return Err(missing("timeInForce")),
            (false, Some(_)) => return Err(extra("timeInForce")),
            (false, None) => TimeInForce::Gtc,
        };
        if let Some(c) = &o.client_order_id {
            if c.is_empty()
                || c.len() > MAX_CLIENT_ORDER_ID_LEN
                || !c.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'-')
                })
            {
                return Err(Reject::new(
                    -1100,
                    "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_.:/]{1,36}$'.",
                ));
            }
        }
        self.check_filters(&r, o)?;
        Ok((r, tif))
    }

    fn is_duplicate(&self, account: usize, client_id: &str, now_ms: u64) -> bool {
        let Some(id) = self.client_ids.get(&(account, client_id.to_string())) else {
            return false;
        };
        if self.open.contains_key(id) {
            return true;
        }
        self.closed
            .get(id)
            .is_some_and(|o| now_ms.saturating_sub(o.update_ms) < CLIENT_ID_MEMORY_MS)
    }

    fn bal_mut(&mut self, account: usize, asset: &str) -> &mut Balance {
        self.accounts[account].entry(asset.to_string()).or_default()
    }

    /// Moves `amount` of `asset` from free to locked.
    fn lock(&mut self, account: usize, asset: &str, amount: Amount) -> Result<(), Reject> {
        let b = self.bal_mut(account, asset);
        let free = num(b.free.checked_sub(amount))?;
        if free.units() < 0 {
            return Err(Reject::balance());
        }
        b.free = free;
        b.locked = num(b.locked.checked_add(amount))?;
        Ok(())
    }

    fn add(&mut self, account: usize, asset: &str, free: Amount, locked: Amount) {
        let b = self.bal_mut(account, asset);
        // Checked upstream: amounts are bounded by filters and balances.
        b.free = b.free.checked_add(free).unwrap_or(b.free);
        b.locked = b.locked.checked_add(locked).unwrap_or(b.locked);
    }

    fn pay_asset(r: &SymbolRules, side: Side) -> &str {
        match side {
            Side::Buy => &r.quote,
            Side::Sell => &r.base,
        }
    }

    /// What an order locks at placement.
    fn lock_amount(o: &Order) -> Result<Amount, Reject> {
        Ok(match (o.side, o.order_type) {
            (Side::Sell, _) => Amount::from(o.qty),
            (Side::Buy, OrderType::Market) => Amount::ZERO,
            (Side::Buy, OrderType::StopLoss | OrderType::TakeProfit) => {
                num(o.stop_price.notional(o.qty, Rounding::Up))?
            }
            (Side::Buy, _) => num(o.price.notional(o.qty, Rounding::Up))?,
        })
    }

    fn exec(&mut self, order: &Order, exec_type: &'static str, fill: Option<Fill>, now_ms: u64) {
        let exec_id = self.next_exec_id;
        self.next_exec_id += 1;
        self.events.push(Event::Execution(Box::new(Execution {
            order: order.clone(),
            exec_type,
            fill,
            exec_id,
            orig_client_order_id: String::new(),
            time_ms: now_ms,
        })));
    }

    fn position(&mut self, account: usize, assets: &[&str], now_ms: u64) {
        let balances = assets
            .iter()
            .map(|a| (a.to_string(), self.balance(account, a)))
            .collect();
        self.events.push(Event::Position {
            account,
            time_ms: now_ms,
            balances,
        });
    }

    /// A deposit (`delta` > 0) or withdrawal (`delta` < 0) of `asset`'s free
    /// balance, as a `balanceUpdate` does; a withdrawal larger than the free
    /// balance is refused and nothing changes (a balance is never negative).
    /// Emits the `outboundAccountPosition` that follows. Returns the balance.
    pub fn adjust_free(
        &mut self,
        account: usize,
        asset: &str,
        delta: Amount,
        now_ms: u64,
    ) -> Result<Balance, Reject> {
        if account >= self.accounts.len() {
            return Err(Reject::new(
                -2015,
                "Invalid API-key, IP, or permissions for action.",
            ));
        }
        let b = self.bal_mut(account, asset);
        let free = num(b.free.checked_add(delta))?;
        if free.units() < 0 {
            return Err(Reject::balance());
        }
        b.free = free;
        let after = *b;
        self.position(account, &[asset], now_ms);
        Ok(after)
    }

    /// Places an order for `account`; `book` is the opposite side of the
    /// symbol's book, best first (asks for a buy, bids for a sell). The queue
    /// ahead of a resting order is unknown: only trades through its price
    /// fill it.
    pub fn place(
        &mut self,
        account: usize,
        req: &NewOrder,
        book: Levels<'_>,
        now_ms: u64,
    ) -> Result<Placed, Reject> {
        self.place_queued(account, req, book, None, now_ms)
    }

    /// [`Engine::place`], with the visible quantity of the order's own side
    /// of the book at its price (`queue_ahead`; zero at a new level): once
    /// resting, trades at its price consume that queue, then fill it.
    pub fn place_queued(
        &mut self,
        account: usize,
        req: &NewOrder,
        book: Levels<'_>,
        queue_ahead: Option<Qty>,
        now_ms: u64,
    ) -> Result<Placed, Reject> {
        if account >= self.accounts.len() {
            return Err(Reject::new(
                -2015,
                "Invalid API-key, IP, or permissions for action.",
            ));
        }
        let (r, tif) = self.validate(req)?;
        if let Some(c) = &req.client_order_id {
            if self.is_duplicate(account, c, now_ms) {
                return Err(Reject::new(-2010, "Duplicate order sent."));
            }
        }
        if self.open.values().filter(|o| o.account == account).count() >= MAX_OPEN_ORDERS {
            return Err(Reject::new(-1013, "Filter failure: MAX_NUM_ORDERS"));
        }
        let qty = req.qty.unwrap_or(Qty::ZERO);
        let price = req.price.unwrap_or(Price::ZERO);
        let stop = req.stop_price.unwrap_or(Price::ZERO);
        if req.order_type == OrderType::LimitMaker
            && book
                .first()
                .is_some_and(|(p, _)| crosses(req.side, price, *p))
        {
            return Err(Reject::new(
                -2010,
                "Order would immediately match and take.",
            ));
        }
        let is_stop = stop > Price::ZERO;
        if is_stop {
            if let Some(last) = self.last_price(&r.symbol) {
                if Self::triggers(req.order_type, req.side, stop, last) {
                    return Err(Reject::new(-2010, "Order would trigger immediately."));
                }
            }
        }
        let client_order_id = match &req.client_order_id {
            Some(c) => c.clone(),
            None => {
                let c = format!("sim-{:016}", self.next_client_id);
                self.next_client_id += 1;
                c
            }
        };
        let mut order = Order {
            account,
            id: self.next_order_id,
            symbol: r.symbol.clone(),
            client_order_id,
            side: req.side,
            order_type: req.order_type,
            time_in_force: tif,
            price,
            qty,
            stop_price: stop,
            executed: Qty::ZERO,
            cum_quote: Amount::ZERO,
            status: OrderStatus::New,
            time_ms: now_ms,
            update_ms: now_ms,
            working: !is_stop,
            working_ms: if is_stop { -1 } else { now_ms as i64 },
            locked: Amount::ZERO,
            queue_ahead,
        };
        // Check everything before changing anything.
        let plan = if is_stop {
            Vec::new()
        } else {
            self.plan(&order, book)?
        };
        if req.order_type == OrderType::Market {
            let quote = plan.iter().try_fold(Amount::ZERO, |acc, (p, q)| {
                acc.checked_add(p.notional(*q, Rounding::Down)?)
            });
            let quote = num(quote)?;
            if quote < r.min_notional && !plan.is_empty() {
                return Err(Reject::filter("NOTIONAL"));
            }
            if req.side == Side::Buy && quote > self.balance(account, &r.quote).free {
                return Err(Reject::balance());
            }
        }
        let lock = Self::lock_amount(&order)?;
        self.lock(account, Self::pay_asset(&r, req.side), lock)?;
        order.locked = lock;
        self.next_order_id += 1;
        self.client_ids
            .insert((account, order.client_order_id.clone()), order.id);
        self.exec(&order, "NEW", None, now_ms);
        let mut fills = Vec::new();
        for (p, q) in plan {
            fills.push(self.fill(&mut order, &r, p, q, false, now_ms));
        }
        self.finish_arrival(&mut order, &r, now_ms);
        if !fills.is_empty() || lock > Amount::ZERO {
            self.position(account, &[&r.base, &r.quote], now_ms);
        }
        Ok(Placed { order, fills })
    }

    fn triggers(t: OrderType, side: Side, stop: Price, last: Price) -> bool {
        let stop_loss = matches!(t, OrderType::StopLoss | OrderType::StopLossLimit);
        match (stop_loss, side) {
            (true, Side::Buy) | (false, Side::Sell) => last >= stop,
            (true, Side::Sell) | (false, Side::Buy) => last <= stop,
        }
    }

    /// The (price, qty) an order takes from `book` on arrival; refuses FOK
    /// orders that cannot fill entirely (as an expiry, by the caller).
    fn plan(&self, o: &Order, book: Levels<'_>) -> Result<Vec<(Price, Qty)>, Reject> {
        let limit = match o.order_type {
            OrderType::Market | OrderType::StopLoss | OrderType::TakeProfit => None,
            _ => Some(o.price),
        };
        let mut left = o.remaining();
        let mut plan = Vec::new();
        for (p, q) in book.iter().take(MAX_LEVELS_WALKED) {
            if left.is_zero() {
                break;
            }
            if limit.is_some_and(|l| !crosses(o.side, l, *p)) {
                break;
            }
            let take = (*q).min(left);
            if take.is_zero() {
                continue;
            }
            left = num(left.checked_sub(take))?;
            plan.push((*p, take));
        }
        if o.time_in_force == TimeInForce::Fok && !left.is_zero() {
            return Ok(Vec::new());
        }
        Ok(plan)
    }

    /// Applies one fill to an order and its account.
    fn fill(
        &mut self,
        o: &mut Order,
        r: &SymbolRules,
        price: Price,
        qty: Qty,
        maker: bool,
        now_ms: u64,
    ) -> Fill {
        let quote = price.notional(qty, Rounding::Down).unwrap_or(Amount::ZERO);
        let rate = if maker {
            self.cfg.maker_rate
        } else {
            self.cfg.taker_rate
        };
        let rate = i128::from(rate.units());
        let scale = i128::from(SCALE);
        let (commission, commission_asset) = match o.side {
            Side::Buy => {
                let c = Amount::from(qty)
                    .mul_ratio(rate, scale, COMMISSION_ROUNDING)
                    .unwrap_or(Amount::ZERO);
                // Pays quote: out of the lock when it has one, else free.
                let lock_part = if o.locked > Amount::ZERO {
                    if o.order_type == OrderType::StopLoss
                        || o.order_type == OrderType::TakeProfit
                        || o.order_type == OrderType::Market
                    {
                        o.locked.min(quote)
                    } else {
                        o.price
                            .notional(qty, Rounding::Up)
                            .unwrap_or(quote)
                            .min(o.locked)
                    }
                } else {
                    Amount::ZERO
                };
                o.locked = o.locked.checked_sub(lock_part).unwrap_or(Amount::ZERO);
                let refund = lock_part.checked_sub(quote).unwrap_or(Amount::ZERO);
                self.add(
                    o.account,
                    &r.quote,
                    refund,
                    Amount::ZERO.checked_sub(lock_part).unwrap_or(Amount::ZERO),
                );
                let received = Amount::from(qty).checked_sub(c).unwrap_or(Amount::ZERO);
                self.add(o.account, &r.base, received, Amount::ZERO);
                (c, r.base.clone())
            }
            Side::Sell => {
                let c = quote
                    .mul_ratio(rate, scale, COMMISSION_ROUNDING)
                    .unwrap_or(Amount::ZERO);
                let part = Amount::from(qty).min(o.locked);
                o.locked = o.locked.checked_sub(part).unwrap_or(Amount::ZERO);
                self.add(
                    o.account,
                    &r.base,
                    Amount::ZERO,
                    Amount::ZERO.checked_sub(part).unwrap_or(Amount::ZERO),
                );
                let received = quote.checked_sub(c).unwrap_or(Amount::ZERO);
                self.add(o.account, &r.quote, received, Amount::ZERO);
                (c, r.quote.clone())
            }
        };
        o.executed = o.executed.checked_add(qty).unwrap_or(o.executed);
        o.cum_quote = o.cum_quote.checked_add(quote).unwrap_or(o.cum_quote);
        o.status = if o.remaining().is_zero() {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        };
        o.update_ms = now_ms;
        let f = Fill {
            price,
            qty,
            commission,
            commission_asset,
            trade_id: self.next_trade_id,
            maker,
        };
        self.next_trade_id += 1;
        self.exec(o, "TRADE", Some(f.clone()), now_ms);
        if o.status == OrderStatus::Filled {
            self.release(o, r);
        }
        f
    }

    /// Returns what is still locked for an order to free.
    fn release(&mut self, o: &mut Order, r: &SymbolRules) {
        if o.locked > Amount::ZERO {
            let l = o.locked;
            o.locked = Amount::ZERO;
            self.add(
                o.account,
                Self::pay_asset(r, o.side),
                l,
                Amount::ZERO.checked_sub(l).unwrap_or(Amount::ZERO),
            );
        }
    }

    /// After the arrival fills: rest, expire or close the order.
    fn finish_arrival(&mut self, o: &mut Order, r: &SymbolRules, now_ms: u64) {
        if o.status == OrderStatus::Filled {
            self.close(o.clone());
            return;
        }
        let rests = o.working
            && matches!(
                o.order_type,
                OrderType::Limit
                    | OrderType::LimitMaker
                    | OrderType::StopLossLimit
                    | OrderType::TakeProfitLimit
            )
            && o.time_in_force == TimeInForce::Gtc;
        if rests || !o.working {
            self.open.insert(o.id, o.clone());
        } else {
            o.status = OrderStatus::Expired;
            o.update_ms = now_ms;
            self.release(o, r);
            self.exec(o, "EXPIRED", None, now_ms);
            self.close(o.clone());
        }
    }

    fn close(&mut self, o: Order) {
        self.open.remove(&o.id);
        self.closed_order.push_back((o.id, o.update_ms));
        self.closed.insert(o.id, o);
        while self.closed_order.len() > MAX_CLOSED_ORDERS {
            if let Some((id, _)) = self.closed_order.pop_front() {
                if let Some(old) = self.closed.remove(&id) {
                    self.client_ids.remove(&(old.account, old.client_order_id));
                }
            }
        }
    }

    /// Cancels an open order by id or client id; `cancel_client_id` is the
    /// cancel's own client id (`newClientOrderId`).
    pub fn cancel(
        &mut self,
        account: usize,
        symbol: &str,
        id: Option<u64>,
        client_id: Option<&str>,
        cancel_client_id: Option<&str>,
        now_ms: u64,
    ) -> Result<Order, Reject> {
        if !self.rules.contains_key(symbol) {
            return Err(Reject::new(-1121, "Invalid symbol."));
        }
        if id.is_none() && client_id.is_none() {
            return Err(Reject::new(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            ));
        }
        let oid = self
            .order(account, symbol, id, client_id)
            .filter(|o| o.is_open())
            .map(|o| o.id)
            .ok_or_else(Reject::unknown_order)?;
        let mut o = self.open.remove(&oid).ok_or_else(Reject::unknown_order)?;
        let r = self.rules[symbol].clone();
        let orig = o.client_order_id.clone();
        o.status = OrderStatus::Canceled;
        o.update_ms = now_ms;
        self.release(&mut o, &r);
        let cancel_id = match cancel_client_id {
            Some(c) => c.to_string(),
            None => {
                let c = format!("sim-cancel-{:09}", self.next_client_id);
                self.next_client_id += 1;
                c
            }
        };
        let exec_id = self.next_exec_id;
        self.next_exec_id += 1;
        let mut shown = o.clone();
        shown.client_order_id = cancel_id;
        self.events.push(Event::Execution(Box::new(Execution {
            order: shown.clone(),
            exec_type: "CANCELED",
            fill: None,
            exec_id,
            orig_client_order_id: orig,
            time_ms: now_ms,
        })));
        self.position(account, &[&r.base, &r.quote], now_ms);
        self.close(o);
        Ok(shown)
    }

    /// One replayed trade: triggers stops, then fills resting orders the
    /// trade printed through. `asks` and `bids` are the book now, best first
    /// (used by triggered stops).
    pub fn on_trade(
        &mut self,
        symbol: &str,
        price: Price,
        qty: Qty,
        asks: Levels<'_>,
        bids: Levels<'_>,
        now_ms: u64,
    ) {
        self.last_price.insert(symbol.to_string(), price);
        let Some(r) = self.rules.get(symbol).cloned() else {
            return;
        };
        // Stops, by order id (time priority).
        let triggered: Vec<u64> = self
            .open
            .values()
            .filter(|o| {
                o.symbol == symbol
                    && !o.working
                    && Self::triggers(o.order_type, o.side, o.stop_price, price)
            })
            .map(|o| o.id)
            .collect();
        for id in triggered {
            let Some(mut o) = self.open.remove(&id) else {
                continue;
            };
            o.working = true;
            o.working_ms = now_ms as i64;
            o.update_ms = now_ms;
            let book = match o.side {
                Side::Buy => asks,
                Side::Sell => bids,
            };
            self.exec(&o, "NEW", None, now_ms);
            let plan = self.plan(&o, book).unwrap_or_default();
            let market = matches!(o.order_type, OrderType::StopLoss | OrderType::TakeProfit);
            let cost = plan
                .iter()
                .map(|(p, q)| p.notional(*q, Rounding::Down).unwrap_or(Amount::ZERO))
                .fold(Amount::ZERO, |a, b| a.checked_add(b).unwrap_or(a));
            let affordable = o.side == Side::Sell
                || !market
                || cost
                    <= self
                        .balance(o.account, &r.quote)
                        .free
                        .checked_add(o.locked)
                        .unwrap_or(Amount::ZERO);
            if affordable {
                if market && o.side == Side::Buy {
                    // Pay the real cost: unlock the stop-price estimate first.
                    self.release(&mut o, &r);
                    let _ = self.lock(o.account, &r.quote, cost);
                    o.locked = cost;
                }
                for (p, q) in plan {
                    self.fill(&mut o, &r, p, q, false, now_ms);
                }
            }
            self.finish_arrival(&mut o, &r, now_ms);
            self.position(o.account, &[&r.base, &r.quote], now_ms);
        }
        // Resting limits the trade printed through, or at whose price it
        // printed with a known queue, by price then time.
        let mut hit: Vec<(Price, u64, Side)> = self
            .open
            .values()
            .filter(|o| {
                o.symbol == symbol
                    && o.working
                    && (o.price == price && o.queue_ahead.is_some()
                        || match o.side {
                            Side::Buy => price < o.price,
                            Side::Sell => price > o.price,
                        })
            })
            .map(|o| (o.price, o.id, o.side))
            .collect();
        hit.sort_by(|a, b| match a.2 {
            Side::Buy => b.0.cmp(&a.0).then(a.1.cmp(&b.1)),
            Side::Sell => a.0.cmp(&b.0).then(a.1.cmp(&b.1)),
        });
        let mut left = [qty, qty]; // per side: buys, sells
        for (_, id, side) in hit {
            let slot = usize::from(side == Side::Sell);
            if left[slot].is_zero() {
                continue;
            }
            let Some(mut o) = self.open.remove(&id) else {
                continue;
            };
            let avail = match o.queue_ahead {
                // At its price: the queue ahead trades first.
                Some(ahead) if o.price == price => {
                    let used = ahead.min(qty);
                    o.queue_ahead = Some(ahead.checked_sub(used).unwrap_or(Qty::ZERO));
                    left[slot].min(qty.checked_sub(used).unwrap_or(Qty::ZERO))
                }
                _ => left[slot],
            };
            let take = o.remaining().min(avail);
            if take.is_zero() {
                self.open.insert(o.id, o);
                continue;
            }
            left[slot] = left[slot].checked_sub(take).unwrap_or(Qty::ZERO);
            let p = o.price;
            self.fill(&mut o, &r, p, take, true, now_ms);
            let account = o.account;
            if o.status == OrderStatus::Filled {
                self.close(o);
            } else {
                self.open.insert(o.id, o);
            }
            self.position(account, &[&r.base, &r.quote], now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }
    fn q(s: &str) -> Qty {
        Qty::parse(s).unwrap()
    }
    fn a(s: &str) -> Amount {
        Amount::parse(s).unwrap()
    }
    fn rules() -> SymbolRules {
        SymbolRules {
            symbol: "BTCUSDT".into(),
            base: "BTC".into(),
            quote: "USDT".into(),
            tick: p("0.01"),
            min_price: p("0.01"),
            max_price: p("1000000"),
            step: q("0.00001"),
            min_qty: q("0.00001"),
            max_qty: q("9000"),
            min_notional: a("5"),
        }
    }
    fn engine() -> Engine {
        Engine::new(EngineConfig::default(), vec![rules()], 1)
    }
    fn order(side: Side, t: OrderType, qty: &str, price: Option<&str>) -> NewOrder {
        let tif = matches!(
            t,
            OrderType::Limit | OrderType::StopLossLimit | OrderType::TakeProfitLimit
        )
        .then_some(TimeInForce::Gtc);
        NewOrder {
            symbol: "BTCUSDT".into(),
            side,
            order_type: t,
            time_in_force: tif,
            qty: Some(q(qty)),
            price: price.map(p),
            stop_price: None,
            client_order_id: None,
        }
    }
    fn asks() -> Vec<(Price, Qty)> {
        vec![
            (p("100.00"), q("0.5")),
            (p("101.00"), q("1")),
            (p("102.00"), q("2")),
        ]
    }
    fn bids() -> Vec<(Price, Qty)> {
        vec![(p("99.00"), q("0.5")), (p("98.00"), q("1"))]
    }

    struct Case {
        name: &'static str,
        req: NewOrder,
        code: i64,
        msg: &'static str,
    }

    #[test]
    fn matching_rejects_table() {
        let mut stop = order(Side::Sell, OrderType::StopLossLimit, "0.1", Some("90"));
        stop.stop_price = None;
        let mut tif_market = order(Side::Buy, OrderType::Market, "0.1", None);
        tif_market.time_in_force = Some(TimeInForce::Gtc);
        let mut bad_sym = order(Side::Buy, OrderType::Market, "0.1", None);
        bad_sym.symbol = "ETHUSDT".into();
        let mut bad_cid = order(Side::Buy, OrderType::Limit, "0.1", Some("90"));
        bad_cid.client_order_id = Some("has space".into());
        let cases = [
            Case { name: "tick", req: order(Side::Buy, OrderType::Limit, "0.1", Some("90.001")), code: -1013, msg: "Filter failure: PRICE_FILTER" },
            Case { name: "step", req: order(Side::Buy, OrderType::Limit, "0.000001", Some("90")), code: -1013, msg: "Filter failure: LOT_SIZE" },
            Case { name: "max qty", req: order(Side::Buy, OrderType::Limit, "9001", Some("90")), code: -1013, msg: "Filter failure: LOT_SIZE" },
            Case { name: "notional", req: order(Side::Buy, OrderType::Limit, "0.01", Some("90")), code: -1013, msg: "Filter failure: NOTIONAL" },
            Case { name: "market notional", req: order(Side::Buy, OrderType::Market, "0.01", None), code: -1013, msg: "Filter failure: NOTIONAL" },
            Case { name: "balance buy", req: order(Side::Buy, OrderType::Limit, "200", Some("90")), code: -2010, msg: "Account has insufficient balance for requested action." },
            Case { name: "balance sell", req: order(Side::Sell, OrderType::Limit, "1", Some("200")), code: -2010, msg: "Account has insufficient balance for requested action." },
            Case { name: "maker takes", req: order(Side::Buy, OrderType::LimitMaker, "0.1", Some("100")), code: -2010, msg: "Order would immediately match and take." },
            Case { name: "no price", req: order(Side::Buy, OrderType::Limit, "0.1", None), code: -1102, msg: "Mandatory parameter 'price' was not sent, was empty/null, or malformed." },
            Case { name: "no stop", req: stop, code: -1102, msg: "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed." },
            Case { name: "tif on market", req: tif_market, code: -1106, msg: "Parameter 'timeInForce' sent when not required." },
            Case { name: "price on market", req: order(Side::Buy, OrderType::Market, "0.1", Some("1")), code: -1106, msg: "Parameter 'price' sent when not required." },
            Case { name: "symbol", req: bad_sym, code: -1121, msg: "Invalid symbol." },
            Case { name: "client id", req: bad_cid, code: -1100, msg: "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_.:/]{1,36}$'." },
        ];
        for c in cases {
            let mut e = engine();
            let book = if c.req.side == Side::Buy {
                asks()
            } else {
                bids()
            };
            let got = e.place(0, &c.req, &book, 1).unwrap_err();
            assert_eq!((got.code, got.msg.as_str()), (c.code, c.msg), "{}", c.name);
            assert_eq!(
                e.balance(0, "USDT").free,
                a("10000"),
                "{}: nothing locked",
                c.name
            );
            assert!(e.take_events().is_empty(), "{}: no event", c.name);
        }
    }

    struct FillCase {
        name: &'static str,
        req: NewOrder,
        status: OrderStatus,
        fills: &'static [(&'static str, &'static str)],
        usdt_free: &'static str,
        usdt_locked: &'static str,
        btc_free: &'static str,
    }

    #[test]
    fn matching_arrival_fills_table() {
        let ioc = NewOrder {
            time_in_force: Some(TimeInForce::Ioc),
            ..order(Side::Buy, OrderType::Limit, "1", Some("100.50"))
        };
        let fok = NewOrder {
            time_in_force: Some(TimeInForce::Fok),
            ..order(Side::Buy, OrderType::Limit, "1", Some("100.50"))
        };
        let cases = [
            FillCase {
                name: "market walks two levels",
                req: order(Side::Buy, OrderType::Market, "1", None),
                status: OrderStatus::Filled,
                fills: &[("100", "0.5"), ("101", "0.5")],
                usdt_free: "9899.5",
                usdt_locked: "0",
                btc_free: "0.999",
            },
            FillCase {
                name: "limit partly fills then rests",
                req: order(Side::Buy, OrderType::Limit, "1", Some("100.50")),
                status: OrderStatus::PartiallyFilled,
                fills: &[("100", "0.5")],
                // 100.50 locked for 1: 50 paid, 0.25 refunded, 50.25 stays locked.
                usdt_free: "9899.75",
                usdt_locked: "50.25",
                btc_free: "0.4995",
            },
            FillCase {
                name: "ioc remainder expires",
                req: ioc,
                status: OrderStatus::Expired,
                fills: &[("100", "0.5")],
                usdt_free: "9950",
                usdt_locked: "0",
                btc_free: "0.4995",
            },
            FillCase {
                name: "fok that cannot fill expires untouched",
                req: fok,
                status: OrderStatus::Expired,
                fills: &[],
                usdt_free: "10000",
                usdt_locked: "0",
                btc_free: "0",
            },
            FillCase {
                name: "limit below the book rests",
                req: order(Side::Buy, OrderType::Limit, "1", Some("90")),
                status: OrderStatus::New,
                fills: &[],
                usdt_free: "9910",
                usdt_locked: "90",
                btc_free: "0",
            },
        ];
        for c in cases {
            let mut e = engine();
            let placed = e.place(0, &c.req, &asks(), 7).unwrap();
            let got: Vec<(Price, Qty)> = placed.fills.iter().map(|f| (f.price, f.qty)).collect();
            let want: Vec<(Price, Qty)> = c.fills.iter().map(|(x, y)| (p(x), q(y))).collect();
            assert_eq!(got, want, "{}", c.name);
            assert_eq!(placed.order.status, c.status, "{}", c.name);
            assert_eq!(e.balance(0, "USDT").free, a(c.usdt_free), "{}", c.name);
            assert_eq!(e.balance(0, "USDT").locked, a(c.usdt_locked), "{}", c.name);
            assert_eq!(e.balance(0, "BTC").free, a(c.btc_free), "{}", c.name);
        }
    }

    #[test]
    fn matching_resting_fills_only_through_the_price() {
        let mut e = engine();
        let placed = e
            .place(
                0,
                &order(Side::Buy, OrderType::Limit, "1", Some("95")),
                &asks(),
                1,
            )
            .unwrap();
        e.take_events();
        // A trade at the price does not fill (back of the queue).
        e.on_trade("BTCUSDT", p("95"), q("3"), &asks(), &bids(), 2);
        assert!(e.take_events().is_empty());
        // Through it: fills up to the trade's quantity, at the order's price.
        e.on_trade("BTCUSDT", p("94.99"), q("0.4"), &asks(), &bids(), 3);
        e.on_trade("BTCUSDT", p("94.00"), q("5"), &asks(), &bids(), 4);
        let ev = e.take_events();
        let fills: Vec<(Qty, Qty, bool)> = ev
            .iter()
            .filter_map(|x| match x {
                Event::Execution(x) => x.fill.as_ref().map(|f| (f.qty, x.order.executed, f.maker)),
                Event::Position { .. } => None,
            })
            .collect();
        assert_eq!(
            fills,
            vec![(q("0.4"), q("0.4"), true), (q("0.6"), q("1"), true)]
        );
        let o = e.order(0, "BTCUSDT", Some(placed.order.id), None).unwrap();
        assert_eq!(o.status, OrderStatus::Filled);
        assert_eq!(o.cum_quote, a("95"));
        assert_eq!(
            e.balance(0, "USDT"),
            Balance {
                free: a("9905"),
                locked: a("0")
            }
        );
        assert_eq!(e.balance(0, "BTC").free, a("0.999"));
    }

    /// (fill qty, maker, commission) of every fill in `ev`.
    fn fills_of(ev: &[Event]) -> Vec<(Qty, bool, Amount)> {
        ev.iter()
            .filter_map(|x| match x {
                Event::Execution(x) => x.fill.as_ref().map(|f| (f.qty, f.maker, f.commission)),
                Event::Position { .. } => None,
            })
            .collect()
    }

    #[test]
    fn matching_queue_ahead_trades_first_then_the_order_fills_at_its_price() {
        let mut e = engine();
        // 2 BTC visible at 95 on the bid when the order arrives: it queues
        // behind them.
        e.place_queued(
            0,
            &order(Side::Buy, OrderType::Limit, "1", Some("95")),
            &asks(),
            Some(q("2")),
            1,
        )
        .unwrap();
        e.take_events();
        // 1.5 traded at 95: all of it was ahead; 0.5 still ahead.
        e.on_trade("BTCUSDT", p("95"), q("1.5"), &asks(), &bids(), 2);
        assert!(fills_of(&e.take_events()).is_empty());
        // 0.8 at 95: 0.5 clears the queue, 0.3 fills the order.
        e.on_trade("BTCUSDT", p("95"), q("0.8"), &asks(), &bids(), 3);
        let f = fills_of(&e.take_events());
        assert_eq!(f.iter().map(|x| x.0).collect::<Vec<_>>(), vec![q("0.3")]);
        assert!(f[0].1, "a resting fill is a maker fill");
        // Front of the queue now: the next trade at 95 fills it (0.7 left).
        e.on_trade("BTCUSDT", p("95"), q("5"), &asks(), &bids(), 4);
        let f = fills_of(&e.take_events());
        assert_eq!(f.iter().map(|x| x.0).collect::<Vec<_>>(), vec![q("0.7")]);
        // The same order through `place` (queue unknown): trades at its
        // price never fill it.
        let mut e = engine();
        e.place(
            0,
            &order(Side::Buy, OrderType::Limit, "1", Some("95")),
            &asks(),
            1,
        )
        .unwrap();
        e.take_events();
        e.on_trade("BTCUSDT", p("95"), q("50"), &asks(), &bids(), 2);
        assert!(fills_of(&e.take_events()).is_empty());
    }

    #[test]
    fn matching_orders_at_one_price_fill_in_time_order_sharing_each_trade() {
        let mut e = engine();
        let first = e
            .place_queued(
                0,
                &order(Side::Buy, OrderType::Limit, "1", Some("95")),
                &asks(),
                Some(q("0")),
                1,
            )
            .unwrap();
        let second = e
            .place_queued(
                0,
                &order(Side::Buy, OrderType::Limit, "1", Some("95")),
                &asks(),
                Some(q("0")),
                2,
            )
            .unwrap();
        e.take_events();
        e.on_trade("BTCUSDT", p("95"), q("1.2"), &asks(), &bids(), 3);
        let ev = e.take_events();
        let by_order: Vec<(u64, Qty)> = ev
            .iter()
            .filter_map(|x| match x {
                Event::Execution(x) => x.fill.as_ref().map(|f| (x.order.id, f.qty)),
                Event::Position { .. } => None,
            })
            .collect();
        assert_eq!(
            by_order,
            vec![(first.order.id, q("1")), (second.order.id, q("0.2"))]
        );
    }

    #[test]
    fn matching_taker_fills_pay_the_taker_rate_and_resting_fills_the_maker_rate() {
        let cfg = EngineConfig {
            taker_rate: a("0.001"),
            maker_rate: a("0.0002"),
            ..EngineConfig::default()
        };
        let mut e = Engine::new(cfg, vec![rules()], 1);
        // A marketable buy of 0.5 takes the ask: taker, 0.1 % of 0.5 BTC.
        e.place(
            0,
            &order(Side::Buy, OrderType::Market, "0.5", None),
            &asks(),
            1,
        )
        .unwrap();
        let f = fills_of(&e.take_events());
        assert!(!f.is_empty());
        assert!(f.iter().all(|x| !x.1));
        let c: Amount = f
            .iter()
            .fold(Amount::ZERO, |acc, x| acc.checked_add(x.2).unwrap());
        assert_eq!(c, a("0.0005"));
        // A resting buy of 1 filled through its price: maker, 0.02 % of 1 BTC.
        e.place(
            0,
            &order(Side::Buy, OrderType::Limit, "1", Some("90")),
            &asks(),
            2,
        )
        .unwrap();
        e.take_events();
        e.on_trade("BTCUSDT", p("89"), q("5"), &asks(), &bids(), 3);
        let f = fills_of(&e.take_events());
        assert_eq!(f, vec![(q("1"), true, a("0.0002"))]);
    }

    #[test]
    fn matching_cancel_releases_and_unknown_is_2011() {
        let mut e = engine();
        let mut req = order(Side::Buy, OrderType::Limit, "1", Some("90"));
        req.client_order_id = Some("abc".into());
        e.place(0, &req, &asks(), 1).unwrap();
        let dup = e.place(0, &req, &asks(), 2).unwrap_err();
        assert_eq!(
            (dup.code, dup.msg.as_str()),
            (-2010, "Duplicate order sent.")
        );
        let c = e
            .cancel(0, "BTCUSDT", None, Some("abc"), Some("x1"), 3)
            .unwrap();
        assert_eq!(c.status, OrderStatus::Canceled);
        assert_eq!(
            e.balance(0, "USDT"),
            Balance {
                free: a("10000"),
                locked: a("0")
            }
        );
        let again = e
            .cancel(0, "BTCUSDT", None, Some("abc"), None, 4)
            .unwrap_err();
        assert_eq!(again, Reject::unknown_order());
        // Still refused as a duplicate for a while after it ended, then free.
        assert_eq!(
            e.place(0, &req, &asks(), 5).unwrap_err().msg,
            "Duplicate order sent."
        );
        assert!(e.place(0, &req, &asks(), 5 + CLIENT_ID_MEMORY_MS).is_ok());
    }

    #[test]
    fn matching_stops_trigger_on_last_trade() {
        let mut e = engine();
        e.on_trade("BTCUSDT", p("100"), q("1"), &asks(), &bids(), 1);
        let mut buy = order(Side::Buy, OrderType::Market, "1", None);
        buy.order_type = OrderType::StopLoss;
        buy.stop_price = Some(p("99"));
        assert_eq!(
            e.place(0, &buy, &asks(), 2).unwrap_err().msg,
            "Order would trigger immediately."
        );
        buy.stop_price = Some(p("100.50"));
        let placed = e.place(0, &buy, &asks(), 2).unwrap();
        assert!(!placed.order.working);
        assert_eq!(e.balance(0, "USDT").locked, a("100.5"));
        e.on_trade("BTCUSDT", p("100.49"), q("1"), &asks(), &bids(), 3);
        assert_eq!(e.open_orders(0, None).len(), 1);
        e.on_trade("BTCUSDT", p("100.50"), q("1"), &asks(), &bids(), 4);
        let o = e.order(0, "BTCUSDT", Some(placed.order.id), None).unwrap();
        assert_eq!(o.status, OrderStatus::Filled);
        assert_eq!(o.cum_quote, a("100.5"));
        assert_eq!(
            e.balance(0, "USDT"),
            Balance {
                free: a("9899.5"),
                locked: a("0")
            }
        );
    }

    #[test]
    fn matching_sell_commission_in_quote_and_determinism() {
        let run = || {
            let mut e = engine();
            e.place(
                0,
                &order(Side::Buy, OrderType::Market, "1.5", None),
                &asks(),
                1,
            )
            .unwrap();
            let s = e
                .place(
                    0,
                    &order(Side::Sell, OrderType::Limit, "1", Some("99")),
                    &bids(),
                    2,
                )
                .unwrap();
            (s, e.balances(0), e.take_events())
        };
        let (s, bal, ev) = run();
        // Only the 99 level crosses: 0.5 @ 99 → 49.5 quote, 0.0495 commission in USDT.
        assert_eq!(s.fills.len(), 1);
        assert_eq!(s.fills[0].commission_asset, "USDT");
        assert_eq!(s.fills[0].commission, a("0.0495"));
        assert_eq!(s.order.status, OrderStatus::PartiallyFilled);
        assert_eq!(run(), (s, bal, ev));
    }
}
