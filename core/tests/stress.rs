//! Race freedom, proven (issue 6, item 6): a socket-free stress of the
//! order side's single owner.
//!
//! Set-up: [`PRODUCERS`] producer threads (market trades that move the
//! paper matching engine's market, DCA buy orders, plugin intents, cancels,
//! balance updates) each own one lock-free SPSC ring (`ringbuf`); one owner
//! thread (this test's thread) drains the rings round-robin and is the only
//! holder of the paper matching engine, the order table and the portfolio.
//! There is no `Mutex`, `RwLock` or atomic on the consumer side: each ring
//! half is moved into exactly one thread. Every execution report and
//! account position the matching engine emits goes through the real wire
//! path (`sim::api::event_json` → bytes → `decode_user`) into
//! `OrderTable::apply` and `Portfolio::apply_fill` /
//! `Portfolio::on_account_position`.
//!
//! What it proves, for [`TOTAL_EVENTS`] events (10^6):
//! - nothing is lost, duplicated or reordered: every producer's events
//!   arrive in its own order (sequence numbers), and the count pushed equals
//!   the count processed, per producer;
//! - after **every** event, on the owning thread: no negative free or
//!   locked balance in the engine or the portfolio; the portfolio's balances
//!   equal the engine's; no position without fills; the position equals the
//!   sum of the fills (buys − sells − commissions taken in the base asset)
//!   and equals the engine's base holding; every order a report touched is
//!   in exactly one table slot (one status), its filled quantity equals the
//!   sum of its fill reports and the engine's executed quantity, and it is
//!   open in the table exactly when it is open in the engine;
//! - every [`FULL_CHECK_EVERY`] events and at the end: the set of open orders
//!   in the table equals the engine's, and no client id has two slots.
//!
//! What it does not prove: data-race freedom itself, which is Rust's
//! ownership guarantee at compile time for safe code (`#![deny(unsafe_code)]`
//! in the crate); the WS-API link, the signing gateway and the live driver's
//! mio loop (not in this test); balance updates move only the quote asset
//! (a base-asset withdrawal would change holdings without a fill, which
//! the position-equals-holding check is not meant to allow).
#![deny(unsafe_code)]

use kairos_core::binance::fast::Symbol;
use kairos_core::binance::types::{OrderType, Side, TimeInForce};
use kairos_core::binance::user::{decode_user, ExecutionReport, UserEvent};
use kairos_core::num::{Amount, Price, Qty, Wide};
use kairos_core::orders::{OrderTable, Status};
use kairos_core::portfolio::{Asset, Fill, Portfolio};
use kairos_core::sim::api::event_json;
use kairos_core::sim::matching::{Engine, EngineConfig, NewOrder, SymbolRules};
use ringbuf::traits::{Consumer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Events pushed through the rings, all producers together.
const TOTAL_EVENTS: u64 = 1_000_000;
/// Producer threads, one ring each.
const PRODUCERS: usize = 5;
/// Events per producer.
const PER_PRODUCER: u64 = TOTAL_EVENTS / PRODUCERS as u64;
/// Slots per ring: small, so that producers often find it full.
const RING_CAPACITY: usize = 256;
/// The paper account.
const ACCOUNT: usize = 0;
const SYMBOL: &str = "BTCUSDT";
const BASE: &str = "BTC";
const QUOTE: &str = "USDT";
/// The market's first price, and its walk's bounds.
const START_PRICE: &str = "100.00";
const LOW_PRICE: &str = "95.00";
const HIGH_PRICE: &str = "105.00";
const TICK: &str = "0.01";
/// Starting quote balance; no base asset at start.
const START_QUOTE: &str = "1000000";
/// Quantity resting at the one book level each side of the last trade.
const BOOK_LEVEL_QTY: &str = "1000";
/// Order quantities, in steps of [`STEP`]: 0.10000 ..= 0.10000 + 15 steps.
const STEP: &str = "0.00001";
const ORDER_QTY: &str = "0.1";
const QTY_STEPS: u64 = 16;
/// Trade quantity printed by the market producer.
const TRADE_QTY: &str = "0.5";
/// Limit orders rest up to this many ticks away from the last trade.
const MAX_OFFSET_TICKS: u64 = 8;
/// Deposit / withdrawal sizes, quote.
const BALANCE_DELTA: &str = "2500";
/// Cancels aim at one of the last this-many orders of a producer.
const CANCEL_WINDOW: u64 = 64;
/// Full table-versus-engine cross-check period, in events.
const FULL_CHECK_EVERY: u64 = 1_000;
/// The owner gives up (and fails) if the events have not all arrived by then.
const DEADLINE: Duration = Duration::from_secs(300);
/// Client-id prefixes of the order producers.
const DCA_TAG: &str = "dca";
const PLUGIN_TAG: &str = "plg";

fn price(s: &str) -> Price {
    Price::parse(s).expect("price")
}
fn qty(s: &str) -> Qty {
    Qty::parse(s).expect("qty")
}
fn amount(s: &str) -> Amount {
    Amount::parse(s).expect("amount")
}

/// What a producer pushes.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A market trade at the last price moved by `ticks` (±).
    Trade { up: bool },
    /// A new order; limit price `offset` ticks from the last trade (towards
    /// the passive side), or a market order.
    Place {
        tag: &'static str,
        n: u64,
        side: Side,
        market: bool,
        offset: u64,
        steps: u64,
    },
    /// Cancel a producer's order by client id.
    Cancel { tag: &'static str, n: u64 },
    /// Deposit (`true`) or withdraw the quote asset.
    Balance { deposit: bool },
}

#[derive(Debug, Clone, Copy)]
struct Ev {
    seq: u64,
    kind: Kind,
}

/// xorshift64: deterministic, per producer.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn make(role: usize, seq: u64, rng: &mut Rng) -> Kind {
    match role {
        0 => Kind::Trade {
            up: rng.below(2) == 0,
        },
        1 => Kind::Place {
            tag: DCA_TAG,
            n: seq,
            side: Side::Buy,
            market: rng.below(16) == 0,
            offset: rng.below(MAX_OFFSET_TICKS),
            steps: rng.below(QTY_STEPS),
        },
        2 => Kind::Place {
            tag: PLUGIN_TAG,
            n: seq,
            side: if rng.below(2) == 0 {
                Side::Buy
            } else {
                Side::Sell
            },
            market: rng.below(8) == 0,
            offset: rng.below(MAX_OFFSET_TICKS),
            steps: rng.below(QTY_STEPS),
        },
        3 => Kind::Cancel {
            tag: if rng.below(2) == 0 {
                DCA_TAG
            } else {
                PLUGIN_TAG
            },
            n: seq.saturating_sub(rng.below(CANCEL_WINDOW)),
        },
        _ => Kind::Balance {
            deposit: rng.below(2) == 0,
        },
    }
}

/// One producer: pushes its events, spinning (yield) while its ring is full.
fn produce(role: usize, mut tx: HeapProd<Ev>) -> u64 {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (role as u64 + 1));
    let mut pushed = 0;
    for seq in 0..PER_PRODUCER {
        let mut ev = Ev {
            seq,
            kind: make(role, seq, &mut rng),
        };
        loop {
            match tx.try_push(ev) {
                Ok(()) => break,
                Err(back) => {
                    ev = back;
                    std::thread::yield_now();
                }
            }
        }
        pushed += 1;
    }
    pushed
}

/// One side of the synthetic book, best first.
type Book = Vec<(Price, Qty)>;

fn cid(tag: &str, n: u64) -> String {
    format!("{tag}-{n}")
}

/// The single owner: matching engine, order table, portfolio, and the
/// ledger of what the reports said.
struct Owner {
    engine: Engine,
    table: OrderTable,
    portfolio: Portfolio,
    symbol: Symbol,
    base: Asset,
    quote: Asset,
    last: Price,
    now_ms: u64,
    /// Client id → sum of its fill reports' quantities.
    filled: HashMap<String, Qty>,
    /// Buys − sells − base commissions, from the fill reports.
    net_base: Wide,
    /// Fill reports applied.
    fills: u64,
    /// Requests the engine refused (balance, unknown order, open cap).
    refused: u64,
    touched: Vec<String>,
}

impl Owner {
    fn new() -> Owner {
        let rules = SymbolRules {
            symbol: SYMBOL.into(),
            base: BASE.into(),
            quote: QUOTE.into(),
            tick: price(TICK),
            min_price: price(TICK),
            max_price: price("1000000"),
            step: qty(STEP),
            min_qty: qty(STEP),
            max_qty: qty("9000"),
            min_notional: amount("5"),
        };
        let cfg = EngineConfig {
            start_balances: vec![(QUOTE.to_string(), amount(START_QUOTE))],
            ..EngineConfig::default()
        };
        let engine = Engine::new(cfg, vec![rules], 1);
        let mut portfolio = Portfolio::new();
        let quote = Asset::new(QUOTE.as_bytes()).expect("asset");
        portfolio
            .set_balance(
                quote,
                kairos_core::portfolio::Balance {
                    free: Wide::from(amount(START_QUOTE)),
                    locked: Wide::ZERO,
                },
            )
            .expect("balance");
        Owner {
            engine,
            table: OrderTable::new(),
            portfolio,
            symbol: Symbol::new(SYMBOL.as_bytes()).expect("symbol"),
            base: Asset::new(BASE.as_bytes()).expect("asset"),
            quote,
            last: price(START_PRICE),
            now_ms: 1,
            filled: HashMap::new(),
            net_base: Wide::ZERO,
            fills: 0,
            refused: 0,
            touched: Vec::new(),
        }
    }

    fn book(&self) -> (Book, Book) {
        let t = price(TICK);
        let asks = vec![(self.last.checked_add(t).expect("ask"), qty(BOOK_LEVEL_QTY))];
        let bids = vec![(self.last.checked_sub(t).expect("bid"), qty(BOOK_LEVEL_QTY))];
        (asks, bids)
    }

    fn handle(&mut self, kind: Kind) {
        self.now_ms += 1;
        let now = self.now_ms;
        match kind {
            Kind::Trade { up } => {
                let t = price(TICK);
                let next = if up {
                    self.last.checked_add(t)
                } else {
                    self.last.checked_sub(t)
                }
                .expect("price");
                if next >= price(LOW_PRICE) && next <= price(HIGH_PRICE) {
                    self.last = next;
                }
                let (asks, bids) = self.book();
                self.engine
                    .on_trade(SYMBOL, self.last, qty(TRADE_QTY), &asks, &bids, now);
            }
            Kind::Place {
                tag,
                n,
                side,
                market,
                offset,
                steps,
            } => {
                let id = cid(tag, n);
                let q = qty(ORDER_QTY)
                    .checked_add(Qty::from_units(qty(STEP).units() * steps as i64).expect("q"))
                    .expect("qty");
                let off = Price::from_units(price(TICK).units() * offset as i64).expect("off");
                let p = match side {
                    Side::Buy => self.last.checked_sub(off),
                    Side::Sell => self.last.checked_add(off),
                }
                .expect("limit price");
                let req = NewOrder {
                    symbol: SYMBOL.into(),
                    side,
                    order_type: if market {
                        OrderType::Market
                    } else {
                        OrderType::Limit
                    },
                    time_in_force: (!market).then_some(TimeInForce::Gtc),
                    qty: Some(q),
                    price: (!market).then_some(p),
                    stop_price: None,
                    client_order_id: Some(id.clone()),
                };
                self.table
                    .submit(&id, SYMBOL, side, q)
                    .expect("table has room: the engine caps open orders below it");
                let (asks, bids) = self.book();
                let book = match side {
                    Side::Buy => &asks,
                    Side::Sell => &bids,
                };
                if let Err(r) = self.engine.place(ACCOUNT, &req, book, now) {
                    self.refused += 1;
                    self.table
                        .reject_submitted(&id, SYMBOL, &r.msg)
                        .expect("reject");
                    self.touched.push(id);
                }
            }
            Kind::Cancel { tag, n } => {
                let id = cid(tag, n);
                if self
                    .engine
                    .cancel(ACCOUNT, SYMBOL, None, Some(&id), None, now)
                    .is_err()
                {
                    self.refused += 1;
                }
            }
            Kind::Balance { deposit } => {
                let d = amount(BALANCE_DELTA);
                let delta = if deposit {
                    d
                } else {
                    Amount::ZERO.checked_sub(d).expect("neg")
                };
                match self.engine.adjust_free(ACCOUNT, QUOTE, delta, now) {
                    Ok(_) => {
                        let frame = serde_json::json!({
                            "e": "balanceUpdate", "E": now, "a": QUOTE,
                            "d": delta.to_string(), "T": now,
                        });
                        let bytes = serde_json::to_vec(&frame).expect("json");
                        match decode_user(&bytes).expect("balanceUpdate decodes").event {
                            UserEvent::BalanceUpdate(bu) => self
                                .portfolio
                                .on_balance_update(&bu)
                                .expect("balance update"),
                            other => panic!("not a balanceUpdate: {other:?}"),
                        }
                    }
                    Err(_) => self.refused += 1,
                }
            }
        }
        self.drain();
    }

    /// Every user-data event the engine emitted, through the wire format.
    fn drain(&mut self) {
        for ev in self.engine.take_events() {
            let bytes = serde_json::to_vec(&event_json(&ev, &self.engine)).expect("json");
            match decode_user(&bytes).expect("user event decodes").event {
                UserEvent::ExecutionReport(r) => self.on_report(&r),
                UserEvent::AccountPosition(ap) => {
                    self.portfolio
                        .on_account_position(&ap)
                        .expect("account position");
                }
                other => panic!("unexpected user event {other:?}"),
            }
        }
    }

    fn on_report(&mut self, r: &ExecutionReport) {
        let id = if r.orig_client_order_id.is_empty() {
            r.client_order_id.clone()
        } else {
            r.orig_client_order_id.clone()
        };
        self.table
            .apply(r)
            .unwrap_or_else(|e| panic!("report for {id} refused: {e}"));
        if !r.last_executed_qty.is_zero() {
            let lp = r.last_executed_price.expect("fill price");
            let commission = Qty::from_units(r.commission.units()).expect("commission");
            let fill = Fill {
                symbol: self.symbol,
                base: self.base,
                quote: self.quote,
                side: r.side,
                qty: r.last_executed_qty,
                price: lp,
                commission,
                commission_asset: r
                    .commission_asset
                    .as_deref()
                    .and_then(|a| Asset::new(a.as_bytes())),
            };
            self.portfolio.apply_fill(&fill).expect("fill applies");
            let sum = self.filled.entry(id.clone()).or_insert(Qty::ZERO);
            *sum = sum.checked_add(r.last_executed_qty).expect("sum");
            let q = Wide::from(Amount::from(r.last_executed_qty));
            self.net_base = match r.side {
                Side::Buy => self.net_base.checked_add(q),
                Side::Sell => self.net_base.checked_sub(q),
            }
            .expect("net");
            if r.commission_asset.as_deref() == Some(BASE) {
                self.net_base = self
                    .net_base
                    .checked_sub(Wide::from(r.commission))
                    .expect("fee");
            }
            self.fills += 1;
        }
        self.touched.push(id);
    }

    /// The invariants that must hold after every event.
    fn check(&mut self, event: u64) {
        for asset in [BASE, QUOTE] {
            let e = self.engine.balance(ACCOUNT, asset);
            assert!(
                e.free.units() >= 0 && e.locked.units() >= 0,
                "event {event}: engine {asset} negative: {e:?}"
            );
            let a = Asset::new(asset.as_bytes()).expect("asset");
            let p = self.portfolio.balance(&a);
            assert!(
                p.free >= Wide::ZERO && p.locked >= Wide::ZERO,
                "event {event}: portfolio {asset} negative: {p:?}"
            );
            assert_eq!(
                (p.free, p.locked),
                (Wide::from(e.free), Wide::from(e.locked)),
                "event {event}: portfolio {asset} differs from the engine"
            );
        }
        let held = {
            let b = self.engine.balance(ACCOUNT, BASE);
            Wide::from(b.free.checked_add(b.locked).expect("held"))
        };
        match self.portfolio.position(&self.symbol) {
            None => {
                assert_eq!(self.fills, 0, "event {event}: fills but no position");
                assert!(
                    held.is_zero(),
                    "event {event}: base held without a position"
                );
            }
            Some(pos) => {
                assert!(pos.fills > 0, "event {event}: a position without fills");
                assert_eq!(pos.fills, self.fills, "event {event}: fills counted");
                assert_eq!(
                    pos.qty, self.net_base,
                    "event {event}: position != sum of fills"
                );
                assert_eq!(pos.qty, held, "event {event}: position != base held");
            }
        }
        for id in std::mem::take(&mut self.touched) {
            let slots: Vec<_> = self
                .table
                .iter()
                .filter(|o| o.client_id.eq_str(&id))
                .collect();
            assert_eq!(
                slots.len(),
                1,
                "event {event}: {id} in {} slots",
                slots.len()
            );
            let o = slots[0];
            let sum = self.filled.get(&id).copied().unwrap_or(Qty::ZERO);
            assert_eq!(
                o.filled_qty, sum,
                "event {event}: {id} filled != sum of fills"
            );
            match self.engine.order(ACCOUNT, SYMBOL, None, Some(&id)) {
                Some(e) => {
                    assert_eq!(e.executed, sum, "event {event}: {id} engine executed");
                    let open = matches!(o.status, Status::New | Status::PartiallyFilled);
                    assert_eq!(
                        o.status.is_open(),
                        open || o.status == Status::PendingCancel,
                        "status predicate"
                    );
                    let engine_open = matches!(
                        e.status,
                        kairos_core::binance::types::OrderStatus::New
                            | kairos_core::binance::types::OrderStatus::PartiallyFilled
                    );
                    assert_eq!(
                        o.status.is_open(),
                        engine_open,
                        "event {event}: {id} open in one only"
                    );
                }
                None => assert_eq!(
                    o.status,
                    Status::Rejected,
                    "event {event}: {id} unknown to the engine"
                ),
            }
        }
        if event % FULL_CHECK_EVERY == 0 {
            self.full_check(event);
        }
    }

    /// The table's open orders are exactly the engine's; no client id twice.
    fn full_check(&self, event: u64) {
        let mut engine_open: Vec<String> = self
            .engine
            .open_orders(ACCOUNT, Some(SYMBOL))
            .into_iter()
            .map(|o| o.client_order_id)
            .collect();
        let mut table_open: Vec<String> = self
            .table
            .iter()
            .filter(|o| o.status.is_open())
            .map(|o| o.client_id.as_str().to_string())
            .collect();
        engine_open.sort();
        table_open.sort();
        assert_eq!(table_open, engine_open, "event {event}: open sets differ");
        let mut all: Vec<&str> = self.table.iter().map(|o| o.client_id.as_str()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "event {event}: a client id in two slots");
    }
}

#[test]
fn stress_million_events_single_owner_keeps_invariants() {
    let started = Instant::now();
    let mut rings: Vec<HeapCons<Ev>> = Vec::with_capacity(PRODUCERS);
    let mut handles = Vec::with_capacity(PRODUCERS);
    for role in 0..PRODUCERS {
        let (tx, rx) = HeapRb::<Ev>::new(RING_CAPACITY).split();
        rings.push(rx);
        handles.push(std::thread::spawn(move || produce(role, tx)));
    }
    let mut owner = Owner::new();
    let mut next_seq = [0u64; PRODUCERS];
    let mut processed = 0u64;
    while processed < TOTAL_EVENTS {
        assert!(
            started.elapsed() < DEADLINE,
            "events lost: {processed} of {TOTAL_EVENTS}"
        );
        let mut idle = true;
        for (i, rx) in rings.iter_mut().enumerate() {
            if let Some(ev) = rx.try_pop() {
                idle = false;
                assert_eq!(
                    ev.seq, next_seq[i],
                    "producer {i}: lost, duplicated or reordered"
                );
                next_seq[i] += 1;
                owner.handle(ev.kind);
                processed += 1;
                owner.check(processed);
            }
        }
        if idle {
            std::thread::yield_now();
        }
    }
    let pushed: Vec<u64> = handles
        .into_iter()
        .map(|h| h.join().expect("producer"))
        .collect();
    assert_eq!(pushed, vec![PER_PRODUCER; PRODUCERS], "count pushed");
    assert_eq!(
        next_seq, [PER_PRODUCER; PRODUCERS],
        "count processed per producer"
    );
    assert!(
        rings.iter_mut().all(|r| r.try_pop().is_none()),
        "nothing left behind"
    );
    owner.full_check(processed);
    // The run exercised what it claims to: fills, refusals and open orders.
    assert!(
        owner.fills > 0 && owner.refused > 0,
        "fills {} refused {}",
        owner.fills,
        owner.refused
    );
    eprintln!(
        "stress: {processed} events, {} fills, {} refused, {} table reports, {:?}",
        owner.fills,
        owner.refused,
        owner.table.stats().applied,
        started.elapsed()
    );
}
