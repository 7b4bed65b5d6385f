//! The sans-I/O engine: events in, actions out.
//!
//! A driver (live, paper, replay, backtest) owns the I/O and the clock; it
//! hands the engine one [`Input`] at a time (raw bytes or a control event,
//! with the time it happened) and carries out the [`Action`]s the engine
//! pushes into an [`Actions`] buffer. The engine never touches a socket, a
//! file or the wall clock, so a replay of a capture runs exactly the code the
//! live feed runs.
//!
//! The market path of one frame: `parse` (the allocation-free hot decoder)
//! → `book` (the symbol's L2 book, its sync rule, and the bookTicker oracle)
//! → `decision` (the [`Decide`] stage: [`crate::plugins::chain::PluginChain`], or a no-op).
//! A [`Probe`] stamps each stage boundary for latency measurement; with
//! [`NoProbe`] that costs nothing.

pub mod candles;
pub mod clock;

use crate::binance::fast::{
    decode_depth_snapshot, decode_hot, DepthBuf, FastError, FastErrorKind, HotEvent, Level, Symbol,
};
use crate::book::check::TopCheck;
use crate::book::{BookConfig, BookState, DiffOutcome, DiffRest, OrderBook, SnapshotOutcome};
use crate::indicators::candle::Candle;
pub use candles::{
    AccountView, CandleState, CandleView, FillView, OrderIntent, OrderKind, PredictionView,
    RegimeKind,
};
pub use clock::{NoProbe, Probe, Stage};

/// Index of a symbol in the engine's table.
pub type SymbolId = u16;

/// Most symbols one engine tracks.
pub const MAX_SYMBOLS: usize = 64;
/// Most actions one input may produce.
pub const MAX_ACTIONS_PER_INPUT: usize = 64;

/// One input to the engine: what happened and when (ns since the epoch, by
/// the driver's clock: the receive time live, the recorded time in replay).
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// When it happened, ns.
    pub now_ns: u64,
    /// What happened.
    pub event: Event<'a>,
}

/// What a driver can tell the engine.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A market-stream WebSocket text frame, raw, from connection `conn`.
    MarketFrame {
        /// Connection/stream tag.
        conn: u16,
        /// The frame as received.
        bytes: &'a [u8],
    },
    /// A REST depth snapshot body for a symbol.
    DepthSnapshot {
        /// Which symbol the snapshot was requested for.
        symbol: Symbol,
        /// The body as received.
        bytes: &'a [u8],
    },
    /// A market connection changed state (disconnects are data).
    Connection {
        /// Connection tag.
        conn: u16,
        /// Its new state.
        state: ConnState,
    },
    /// A user-data stream frame (execution reports, balances), raw. Counted
    /// for now; the order state machine consumes it in a later stage.
    UserFrame {
        /// The frame as received.
        bytes: &'a [u8],
    },
    /// A closed candle of `symbol` (klines in a backtest, the kline stream
    /// live). The first candle of a symbol fixes its primary timeframe.
    Candle {
        /// The symbol.
        symbol: Symbol,
        /// The candle.
        candle: Candle,
    },
    /// A timer fired.
    Timer {
        /// The timer's id.
        id: u32,
    },
    /// An operator command (from the control socket).
    Control(Control),
}

/// Operator commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Stop taking decisions; books stay maintained.
    Pause,
    /// Take decisions again.
    Resume,
}

/// The state of a market-data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// Connected and subscribed.
    Connected,
    /// Lost; the driver is reconnecting. Every book on it is stale.
    Disconnected,
}

/// What the engine asks its driver to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Fetch a REST depth snapshot for `symbol` (the book is stale or unsynced).
    RequestSnapshot {
        /// The symbol.
        symbol: Symbol,
    },
    /// An order the decision stage asks for (not yet checked against the
    /// core's hard limits: the driver does that before acting).
    Intent(OrderIntent),
    /// Cancel every open order of `symbol` (a strategy's `cancel-all`).
    CancelAll {
        /// The symbol.
        symbol: Symbol,
    },
}

/// A bounded, pre-allocated list of actions for one input.
#[derive(Debug)]
pub struct Actions {
    buf: Vec<Action>,
    /// Actions that did not fit (a bug if ever non-zero).
    pub overflowed: u64,
}

impl Actions {
    /// Room for [`MAX_ACTIONS_PER_INPUT`] actions.
    pub fn new() -> Actions {
        Actions {
            buf: Vec::with_capacity(MAX_ACTIONS_PER_INPUT),
            overflowed: 0,
        }
    }

    /// A list with no room, allocating nothing (a placeholder while a
    /// driver carries out the actions of another list).
    pub fn empty() -> Actions {
        Actions {
            buf: Vec::new(),
            overflowed: 0,
        }
    }

    /// Adds an action (dropped and counted when full).
    #[inline]
    pub fn push(&mut self, a: Action) {
        if self.buf.len() < MAX_ACTIONS_PER_INPUT {
            self.buf.push(a);
        } else {
            self.overflowed += 1;
        }
    }

    /// Takes the actions of the last input.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Action> {
        self.buf.drain(..)
    }

    /// The actions so far.
    pub fn as_slice(&self) -> &[Action] {
        &self.buf
    }

    /// Empties the list.
    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

impl Default for Actions {
    fn default() -> Self {
        Actions::new()
    }
}

/// What the decision stage sees of one symbol.
#[derive(Debug, Clone, Copy)]
pub struct MarketView {
    /// The symbol.
    pub symbol: Symbol,
    /// The event's time, ns.
    pub now_ns: u64,
    /// Best bid of the live book.
    pub best_bid: Option<Level>,
    /// Best ask of the live book.
    pub best_ask: Option<Level>,
}

/// One public trade (`trade` or `aggTrade`) as the decision stage sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeView {
    /// The symbol.
    pub symbol: Symbol,
    /// The event's time (the driver's), ns.
    pub now_ns: u64,
    /// Trade price.
    pub price: crate::num::Price,
    /// Trade quantity.
    pub qty: crate::num::Qty,
    /// Whether the buyer was the maker (the seller took liquidity).
    pub buyer_is_maker: bool,
}

/// The decision stage. Called only when the symbol's book is live (synced),
/// never on a stale book ([`crate::plugins::chain::PluginChain`] is the
/// plugin one).
pub trait Decide {
    /// A market event for `view.symbol` was processed. For a depth event,
    /// `view`'s best bid and ask are those the whole event leaves, but the
    /// levels below them are set only after this call returns (before the
    /// next event; see `OrderBook::on_diff_top`).
    fn on_market(&mut self, view: &MarketView, out: &mut Actions);

    /// The market event was a public trade (called after
    /// [`Decide::on_market`], on a live book only). The default ignores it.
    fn on_trade(&mut self, trade: &TradeView, out: &mut Actions) {
        let _ = (trade, out);
    }

    /// A candle of `view.symbol`'s primary timeframe closed. The default
    /// decides nothing.
    fn on_candle(&mut self, view: &CandleView, out: &mut Actions) {
        let _ = (view, out);
    }

    /// One of the stage's orders filled (the driver calls this directly,
    /// after booking the fill). The default ignores it.
    fn on_fill(&mut self, fill: &FillView, out: &mut Actions) {
        let _ = (fill, out);
    }

    /// The regime the stage last classified for `symbol`, if it has one
    /// (reports break results down by it).
    fn regime(&self, symbol: &Symbol) -> Option<RegimeKind> {
        let _ = symbol;
        None
    }
}

/// The no-op strategy: decides nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopDecide;

impl Decide for NoopDecide {
    #[inline(always)]
    fn on_market(&mut self, _view: &MarketView, _out: &mut Actions) {}
}

/// Market message kinds the engine counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// bookTicker.
    BookTicker = 0,
    /// trade.
    Trade = 1,
    /// aggTrade.
    AggTrade = 2,
    /// depthUpdate.
    DepthUpdate = 3,
    /// A REST depth snapshot.
    Snapshot = 4,
    /// Any other well-formed market message (kline, ticker, …).
    Other = 5,
    /// A frame that could not be decoded.
    Malformed = 6,
}

/// Number of [`Kind`]s.
pub const KINDS: usize = 7;

impl Kind {
    /// Every kind, in order.
    pub const ALL: [Kind; KINDS] = [
        Kind::BookTicker,
        Kind::Trade,
        Kind::AggTrade,
        Kind::DepthUpdate,
        Kind::Snapshot,
        Kind::Other,
        Kind::Malformed,
    ];

    /// The kind's name as Binance spells it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::BookTicker => "bookTicker",
            Kind::Trade => "trade",
            Kind::AggTrade => "aggTrade",
            Kind::DepthUpdate => "depthUpdate",
            Kind::Snapshot => "snapshot",
            Kind::Other => "other",
            Kind::Malformed => "malformed",
        }
    }
}

/// The bookTicker oracle's counters for one symbol.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OracleStats {
    /// bookTickers compared with a book state of the same update id.
    pub checked: u64,
    /// Comparisons where price or quantity differed.
    pub mismatches: u64,
}

/// One symbol's state.
struct SymbolSlot {
    symbol: Symbol,
    book: OrderBook,
    check: TopCheck,
    snapshot_requested: bool,
    ever_synced: bool,
    candles: Option<CandleState>,
    account: AccountView,
}

impl SymbolSlot {
    fn new(symbol: Symbol, cfg: BookConfig) -> SymbolSlot {
        SymbolSlot {
            symbol,
            book: OrderBook::new(symbol, cfg),
            check: TopCheck::new(),
            snapshot_requested: false,
            ever_synced: false,
            candles: None,
            account: AccountView::default(),
        }
    }

    fn is_live(&self) -> bool {
        self.book.state() == BookState::Live
    }

    /// The book's last update id once it has had a snapshot.
    fn last_update_id(&self) -> Option<u64> {
        (self.book.state() != BookState::Unsynced || self.ever_synced)
            .then(|| self.book.last_update_id())
    }

    fn oracle(&self) -> OracleStats {
        OracleStats {
            checked: self.check.checked,
            mismatches: self.check.mismatches,
        }
    }

    /// A diff was applied to a live book: remember its top for the oracle.
    /// (Like the reference `book_oracle.py`, tops of buffered events applied
    /// at a snapshot are not recorded.)
    fn on_applied(&mut self) {
        if !self.is_live() {
            return;
        }
        self.ever_synced = true;
        self.check.on_applied(
            self.book.last_update_id(),
            self.book.best_bid(),
            self.book.best_ask(),
        );
    }
}

/// Engine-wide counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EngineStats {
    /// Inputs handled.
    pub inputs: u64,
    /// Market messages by [`Kind`].
    pub by_kind: [u64; KINDS],
    /// Closed candles taken in.
    pub candles: u64,
    /// Candles refused: not of the symbol's primary timeframe.
    pub candles_wrong_timeframe: u64,
    /// Candle decisions taken (the decision stage's `on_candle` ran).
    pub candle_decisions: u64,
    /// Decisions taken (the decision stage ran).
    pub decisions: u64,
    /// Decisions taken on a stale book: must stay 0.
    pub stale_decisions: u64,
    /// Events for a symbol whose book was not live (no decision taken).
    pub skipped_not_live: u64,
    /// Snapshot requests emitted.
    pub snapshot_requests: u64,
    /// User-data frames received.
    pub user_frames: u64,
    /// Events skipped because decisions are paused.
    pub skipped_paused: u64,
    /// Messages for symbols beyond [`MAX_SYMBOLS`].
    pub symbols_overflow: u64,
    /// The most recent decoding error, if any.
    pub last_error: Option<FastError>,
}

/// The engine. `D` is the decision stage.
pub struct Engine<D: Decide = NoopDecide> {
    slots: Vec<SymbolSlot>,
    /// The slots' symbols, packed together for the lookup.
    keys: Vec<Symbol>,
    last_slot: usize,
    depth: DepthBuf,
    book_cfg: BookConfig,
    decide: D,
    stats: EngineStats,
    last_kind: Option<Kind>,
    paused: bool,
    prediction: PredictionView,
}

/// One symbol's report.
#[derive(Debug, Clone, Copy)]
pub struct SymbolReport {
    /// The symbol.
    pub symbol: Symbol,
    /// The book's counters.
    pub book: crate::book::BookStats,
    /// The oracle's counters.
    pub oracle: OracleStats,
    /// Last applied update id.
    pub last_update_id: Option<u64>,
    /// Best bid now.
    pub best_bid: Option<Level>,
    /// Best ask now.
    pub best_ask: Option<Level>,
    /// Whether the book is live (synced) now.
    pub live: bool,
    /// Whether the book was ever live.
    pub ever_synced: bool,
}

impl<D: Decide> Engine<D> {
    /// A new engine with the given decision stage.
    pub fn new(decide: D, book_cfg: BookConfig) -> Engine<D> {
        Engine {
            slots: Vec::with_capacity(MAX_SYMBOLS),
            keys: Vec::with_capacity(MAX_SYMBOLS),
            last_slot: 0,
            depth: DepthBuf::new(),
            book_cfg,
            decide,
            stats: EngineStats::default(),
            last_kind: None,
            paused: false,
            prediction: PredictionView::default(),
        }
    }

    /// The decision stage, mutably (a driver hands it fills, or swaps a
    /// plugin between two inputs).
    pub fn decide_mut(&mut self) -> &mut D {
        &mut self.decide
    }

    /// The decision stage, taking the engine apart (a backtest hands it to
    /// its caller; a driver reads its counters after a run).
    pub fn into_decide(self) -> D {
        self.decide
    }

    /// The account of `symbol` as the driver's portfolio sees it now (the
    /// symbol's slot is created if needed; `false` when the table is full).
    pub fn set_account(&mut self, symbol: Symbol, account: AccountView) -> bool {
        match self.slot(symbol) {
            Some(i) => {
                self.slots[i].account = account;
                true
            }
            None => false,
        }
    }

    /// The latest GRU prediction (the model thread's output, read by the
    /// driver from its ring).
    pub fn set_prediction(&mut self, p: PredictionView) {
        self.prediction = p;
    }

    /// The candle state of `symbol`, once it has had a candle.
    pub fn candle_state(&self, symbol: &Symbol) -> Option<&CandleState> {
        let i = self.keys.iter().position(|s| s == symbol)?;
        self.slots[i].candles.as_ref()
    }

    fn on_candle(&mut self, now_ns: u64, symbol: Symbol, candle: &Candle, out: &mut Actions) {
        let Some(i) = self.slot(symbol) else {
            return;
        };
        self.stats.candles += 1;
        let slot = &mut self.slots[i];
        let state = slot
            .candles
            .get_or_insert_with(|| CandleState::new(candle.timeframe));
        let Some((features, trend, higher)) = state.update(candle) else {
            self.stats.candles_wrong_timeframe += 1;
            return;
        };
        if self.paused {
            self.stats.skipped_paused += 1;
            return;
        }
        let view = CandleView {
            symbol,
            now_ns,
            candle: *candle,
            features,
            trend,
            higher,
            account: slot.account,
            prediction: self.prediction,
        };
        self.decide.on_candle(&view, out);
        self.stats.candle_decisions += 1;
    }

    /// Engine-wide counters.
    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// The decision stage.
    pub fn decide(&self) -> &D {
        &self.decide
    }

    /// Per-symbol reports, in order of first appearance.
    pub fn symbols(&self) -> impl Iterator<Item = SymbolReport> + '_ {
        self.slots.iter().map(|s| SymbolReport {
            symbol: s.symbol,
            book: s.book.stats(),
            oracle: s.oracle(),
            last_update_id: s.last_update_id(),
            best_bid: s.book.best_bid(),
            best_ask: s.book.best_ask(),
            live: s.is_live(),
            ever_synced: s.ever_synced,
        })
    }

    /// The state of `symbol`'s book and how many diffs it holds buffered
    /// (a driver fetches a snapshot once the stream has delivered one).
    pub fn book_state(&self, symbol: &Symbol) -> Option<(BookState, usize)> {
        let i = self.keys.iter().position(|s| s == symbol)?;
        let b = &self.slots[i].book;
        Some((b.state(), b.buffered_len()))
    }

    /// The driver stopped receiving `symbol`'s diffs (unsubscribed): its book
    /// goes stale and takes no decision until a snapshot resyncs it. `false`
    /// for an unknown symbol.
    pub fn mark_stale(&mut self, symbol: &Symbol) -> bool {
        match self.keys.iter().position(|s| s == symbol) {
            Some(i) => {
                self.slots[i].book.on_disconnect();
                true
            }
            None => false,
        }
    }

    /// Whether every tracked book is live (synced).
    pub fn all_live(&self) -> bool {
        self.slots.iter().all(|s| s.is_live())
    }

    /// Creates the book of `symbol` now (at start-up, from the configured or
    /// recorded symbols), so that its memory is allocated and mapped before
    /// the first event rather than on it. `false` when the table is full.
    pub fn add_symbol(&mut self, symbol: Symbol) -> bool {
        self.slot(symbol).is_some()
    }

    /// The slot of `symbol`, created on first sight (the only allocation,
    /// during warm-up).
    #[inline]
    fn slot(&mut self, symbol: Symbol) -> Option<usize> {
        // Consecutive events are usually for the same symbol.
        if self.keys.get(self.last_slot) == Some(&symbol) {
            return Some(self.last_slot);
        }
        if let Some(i) = self.keys.iter().position(|s| *s == symbol) {
            self.last_slot = i;
            return Some(i);
        }
        if self.slots.len() == MAX_SYMBOLS {
            self.stats.symbols_overflow += 1;
            return None;
        }
        self.slots.push(SymbolSlot::new(symbol, self.book_cfg));
        self.keys.push(symbol);
        self.last_slot = self.slots.len() - 1;
        Some(self.last_slot)
    }

    /// Handles one input; actions go to `out` (not cleared first).
    pub fn on_input<P: Probe>(&mut self, input: &Input<'_>, out: &mut Actions, probe: &mut P) {
        self.stats.inputs += 1;
        self.last_kind = None;
        match input.event {
            Event::MarketFrame { bytes, .. } => {
                self.on_market_frame(input.now_ns, bytes, out, probe)
            }
            Event::DepthSnapshot { symbol, bytes } => self.on_snapshot(symbol, bytes, out, probe),
            Event::Connection {
                state: ConnState::Disconnected,
                ..
            } => {
                // Whatever was missed while down: every book must resync.
                for s in &mut self.slots {
                    s.book.on_disconnect();
                    s.snapshot_requested = true;
                    self.stats.snapshot_requests += 1;
                    // The driver fetches it once it has reconnected.
                    out.push(Action::RequestSnapshot { symbol: s.symbol });
                }
            }
            Event::Candle { symbol, candle } => self.on_candle(input.now_ns, symbol, &candle, out),
            Event::UserFrame { .. } => self.stats.user_frames += 1,
            Event::Control(Control::Pause) => self.paused = true,
            Event::Control(Control::Resume) => self.paused = false,
            Event::Connection { .. } | Event::Timer { .. } => {}
        }
    }

    fn count(&mut self, k: Kind) {
        self.stats.by_kind[k as usize] += 1;
        self.last_kind = Some(k);
    }

    /// The kind of the message the last input carried (`None` for inputs
    /// that carry none: connection changes, timers).
    pub fn last_kind(&self) -> Option<Kind> {
        self.last_kind
    }

    fn on_market_frame<P: Probe>(
        &mut self,
        now_ns: u64,
        bytes: &[u8],
        out: &mut Actions,
        probe: &mut P,
    ) {
        probe.start();
        let decoded = decode_hot(bytes, &mut self.depth);
        probe.end(Stage::Parse);
        let ev = match decoded {
            Ok(ev) => ev,
            Err(e) if e.kind == FastErrorKind::NotHot => {
                self.count(Kind::Other);
                return;
            }
            Err(e) => {
                self.count(Kind::Malformed);
                self.stats.last_error = Some(e);
                return;
            }
        };
        let symbol = match ev {
            HotEvent::BookTicker(t) => t.symbol,
            HotEvent::Trade(t) => t.symbol,
            HotEvent::AggTrade(t) => t.symbol,
            HotEvent::Depth(d) => d.symbol,
        };
        let Some(i) = self.slot(symbol) else {
            return;
        };
        let trade = |price, qty, buyer_is_maker| TradeView {
            symbol,
            now_ns,
            price,
            qty,
            buyer_is_maker,
        };
        let mut traded = None;
        // A depth event's levels that cannot change the top of book are set
        // after the decision (see `OrderBook::on_diff_top`).
        let mut rest = DiffRest::NONE;
        match ev {
            HotEvent::BookTicker(t) => {
                self.count(Kind::BookTicker);
                self.slots[i].check.on_ticker(&t);
            }
            HotEvent::Trade(t) => {
                self.count(Kind::Trade);
                traded = Some(trade(t.price, t.qty, t.buyer_is_maker));
            }
            HotEvent::AggTrade(t) => {
                self.count(Kind::AggTrade);
                traded = Some(trade(t.price, t.qty, t.buyer_is_maker));
            }
            HotEvent::Depth(d) => {
                self.count(Kind::DepthUpdate);
                let slot = &mut self.slots[i];
                let outcome;
                (outcome, rest) = slot.book.on_diff_top(&d, &self.depth);
                match outcome {
                    DiffOutcome::Applied => slot.on_applied(),
                    DiffOutcome::Buffered
                    | DiffOutcome::DroppedStale
                    | DiffOutcome::Gap { .. }
                    | DiffOutcome::Crossed { .. }
                    | DiffOutcome::Rejected => {}
                }
                if slot.book.needs_snapshot() && !slot.snapshot_requested {
                    slot.snapshot_requested = true;
                    self.stats.snapshot_requests += 1;
                    out.push(Action::RequestSnapshot { symbol });
                }
            }
        }
        probe.end(Stage::Book);
        self.decision(i, now_ns, traded.as_ref(), out, probe);
        if rest.is_pending() {
            self.slots[i].book.finish_diff(&self.depth, rest);
            probe.end(Stage::BookRest);
        }
    }

    fn decision<P: Probe>(
        &mut self,
        i: usize,
        now_ns: u64,
        trade: Option<&TradeView>,
        out: &mut Actions,
        probe: &mut P,
    ) {
        let slot = &self.slots[i];
        if !slot.is_live() {
            self.stats.skipped_not_live += 1;
            return;
        }
        if self.paused {
            self.stats.skipped_paused += 1;
            return;
        }
        debug_assert!(slot.book.state() == BookState::Live);
        let view = MarketView {
            symbol: slot.symbol,
            now_ns,
            best_bid: slot.book.best_bid(),
            best_ask: slot.book.best_ask(),
        };
        self.decide.on_market(&view, out);
        if let Some(t) = trade {
            self.decide.on_trade(t, out);
        }
        self.stats.decisions += 1;
        probe.end(Stage::Decision);
    }

    fn on_snapshot<P: Probe>(
        &mut self,
        symbol: Symbol,
        bytes: &[u8],
        out: &mut Actions,
        probe: &mut P,
    ) {
        probe.start();
        let decoded = decode_depth_snapshot(bytes, &mut self.depth);
        probe.end(Stage::Parse);
        let last_update_id = match decoded {
            Ok(id) => id,
            Err(e) => {
                self.count(Kind::Malformed);
                self.stats.last_error = Some(e);
                return;
            }
        };
        self.count(Kind::Snapshot);
        let Some(i) = self.slot(symbol) else {
            return;
        };
        let slot = &mut self.slots[i];
        slot.snapshot_requested = false;
        if let SnapshotOutcome::Live { .. } = slot.book.on_snapshot(last_update_id, &self.depth) {
            slot.ever_synced = true;
        }
        if slot.book.needs_snapshot() && !slot.snapshot_requested {
            slot.snapshot_requested = true;
            self.stats.snapshot_requests += 1;
            out.push(Action::RequestSnapshot { symbol });
        }
        probe.end(Stage::Book);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts calls and remembers the last view.
    #[derive(Default)]
    struct Recorder {
        calls: u64,
        last: Option<MarketView>,
    }

    impl Decide for Recorder {
        fn on_market(&mut self, view: &MarketView, _out: &mut Actions) {
            self.calls += 1;
            self.last = Some(*view);
        }
    }

    const SNAP: &[u8] =
        br#"{"lastUpdateId":100,"bids":[["10.00","1"],["9.99","2"]],"asks":[["10.01","3"]]}"#;

    fn diff(first: u64, last: u64, bid: &str) -> String {
        format!(
            r#"{{"e":"depthUpdate","E":1,"s":"ABCUSDT","U":{first},"u":{last},"b":[["{bid}","5"]],"a":[]}}"#
        )
    }

    fn feed<D: Decide>(e: &mut Engine<D>, event: Event<'_>) -> Vec<Action> {
        let mut out = Actions::new();
        e.on_input(&Input { now_ns: 7, event }, &mut out, &mut NoProbe);
        out.drain().collect()
    }

    fn frame(bytes: &[u8]) -> Event<'_> {
        Event::MarketFrame { conn: 0, bytes }
    }

    fn sym() -> Symbol {
        Symbol::new(b"ABCUSDT").unwrap()
    }

    #[test]
    fn decisions_only_on_a_live_book_and_disconnects_force_a_resync() {
        let mut e = Engine::new(Recorder::default(), BookConfig::default());
        // Before any snapshot: buffered, one snapshot request, no decision.
        let a = feed(&mut e, frame(diff(99, 101, "10.00").as_bytes()));
        assert_eq!(a, vec![Action::RequestSnapshot { symbol: sym() }]);
        assert!(feed(&mut e, frame(diff(102, 102, "10.00").as_bytes())).is_empty());
        assert_eq!(e.decide().calls, 0);
        // The snapshot bridges the buffer: live.
        feed(
            &mut e,
            Event::DepthSnapshot {
                symbol: sym(),
                bytes: SNAP,
            },
        );
        feed(&mut e, frame(diff(103, 103, "10.00").as_bytes()));
        assert_eq!(e.decide().calls, 1);
        let v = e.decide().last.unwrap();
        assert_eq!(v.now_ns, 7);
        assert_eq!(
            v.best_bid.map(|l| l.qty.to_string()),
            Some("5.00000000".into())
        );
        // A disconnect: stale, a snapshot request, no decision until resynced.
        let a = feed(
            &mut e,
            Event::Connection {
                conn: 0,
                state: ConnState::Disconnected,
            },
        );
        assert_eq!(a, vec![Action::RequestSnapshot { symbol: sym() }]);
        feed(&mut e, frame(diff(104, 104, "10.00").as_bytes()));
        assert_eq!(e.decide().calls, 1);
        assert_eq!(e.stats().stale_decisions, 0);
        let r = e.symbols().next().unwrap();
        assert!(!r.live && r.ever_synced);
    }

    #[test]
    fn pause_stops_decisions_and_other_inputs_are_counted() {
        let mut e = Engine::new(Recorder::default(), BookConfig::default());
        feed(
            &mut e,
            Event::DepthSnapshot {
                symbol: sym(),
                bytes: SNAP,
            },
        );
        feed(&mut e, frame(diff(101, 101, "10.00").as_bytes()));
        assert_eq!(e.decide().calls, 1);
        feed(&mut e, Event::Control(Control::Pause));
        feed(&mut e, frame(diff(102, 102, "10.00").as_bytes()));
        assert_eq!((e.decide().calls, e.stats().skipped_paused), (1, 1));
        feed(&mut e, Event::Control(Control::Resume));
        feed(&mut e, frame(diff(103, 103, "10.00").as_bytes()));
        assert_eq!(e.decide().calls, 2);
        feed(&mut e, Event::UserFrame { bytes: b"{}" });
        feed(&mut e, frame(b"{\"e\":\"kline\"}"));
        feed(&mut e, frame(b"{\"e\":\"trade\""));
        let s = e.stats();
        assert_eq!(s.user_frames, 1);
        assert_eq!(s.by_kind[Kind::Other as usize], 1);
        assert_eq!(s.by_kind[Kind::Malformed as usize], 1);
        assert!(s.last_error.is_some());
        assert_eq!(e.last_kind(), Some(Kind::Malformed));
    }

    /// Remembers every candle view.
    #[derive(Default)]
    struct CandleRecorder {
        views: Vec<CandleView>,
    }

    impl Decide for CandleRecorder {
        fn on_market(&mut self, _view: &MarketView, _out: &mut Actions) {}
        fn on_candle(&mut self, view: &CandleView, _out: &mut Actions) {
            self.views.push(*view);
        }
    }

    fn minute(i: i64, close: i64) -> Candle {
        use crate::num::{Price, Wide};
        let p = |x: i64| Price::from_int(x).unwrap();
        Candle::new(
            i * 60_000,
            crate::indicators::candle::Timeframe::M1,
            p(close),
            p(close + 1),
            p(close - 1),
            p(close),
            Wide::from_int(10).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn candles_reach_the_decision_stage_with_features_account_and_closed_higher_trends_only() {
        use crate::indicators::candle::Timeframe;
        use crate::indicators::features::Feature;
        let mut e = Engine::new(CandleRecorder::default(), BookConfig::default());
        let acct = AccountView {
            open_orders: 3,
            ..AccountView::default()
        };
        assert!(e.set_account(sym(), acct));
        // A rising series: 5 m trend votes appear only once enough 5 m
        // candles have closed for both EMAs (50 × 5 m = 250 minutes).
        for i in 0..300 {
            feed(
                &mut e,
                Event::Candle {
                    symbol: sym(),
                    candle: minute(i, 100 + i),
                },
            );
        }
        let v = &e.decide().views;
        assert_eq!(v.len(), 300);
        assert_eq!(e.stats().candles, 300);
        assert_eq!(e.stats().candle_decisions, 300);
        assert_eq!(v[10].candle.open_time_ms, 10 * 60_000);
        assert_eq!(v[10].account.open_orders, 3);
        assert_eq!(v[0].higher[0], Some(Timeframe::M5));
        assert_eq!(v[0].higher[3], Some(Timeframe::H4));
        assert!(v[299].features.get(Feature::Rsi).is_some());
        // The 5 m EMA(50) needs 50 closed 5 m candles: the 250th minute
        // (index 249) closes the 50th, so the vote appears there, not before.
        assert_eq!(v[248].trend[0], 0);
        assert_eq!(v[249].trend[0], 1);
        // A 5 m candle is not this symbol's primary timeframe: refused.
        let mut c = minute(300, 400);
        c.timeframe = Timeframe::M5;
        feed(
            &mut e,
            Event::Candle {
                symbol: sym(),
                candle: c,
            },
        );
        assert_eq!(e.stats().candles_wrong_timeframe, 1);
        assert_eq!(e.decide().views.len(), 300);
    }

    /// Which stages ended, in order.
    #[derive(Default)]
    struct Stages(Vec<Stage>);

    impl Probe for Stages {
        fn start(&mut self) {
            self.0.clear();
        }
        fn end(&mut self, stage: Stage) {
            self.0.push(stage);
        }
    }

    #[test]
    fn a_depth_event_is_decided_on_its_final_top_and_its_deep_levels_are_set_after() {
        let mut e = Engine::new(Recorder::default(), BookConfig::default());
        let snapshot = Event::DepthSnapshot {
            symbol: sym(),
            bytes: SNAP,
        };
        feed(&mut e, snapshot);
        // The bid 10.00 goes, 9.98 × 4 and, far below, 1.00 × 1 arrive; the
        // ask 10.01 becomes 7 and 50.00 × 1 arrives.
        let frame_bytes = br#"{"e":"depthUpdate","E":1,"s":"ABCUSDT","U":101,"u":101,"b":[["10.00","0"],["9.98","4"],["1.00","1"]],"a":[["10.01","7"],["50.00","1"]]}"#;
        let mut stages = Stages::default();
        let mut out = Actions::new();
        let input = Input {
            now_ns: 7,
            event: frame(frame_bytes),
        };
        e.on_input(&input, &mut out, &mut stages);
        assert_eq!(
            stages.0,
            vec![Stage::Parse, Stage::Book, Stage::Decision, Stage::BookRest]
        );
        // The last view's best bid and ask, as (price, qty) strings.
        let seen = |e: &Engine<Recorder>| {
            let v = e.decide().last.unwrap();
            let lv = |l: Option<Level>| l.map(|l| (l.price.to_string(), l.qty.to_string()));
            (lv(v.best_bid), lv(v.best_ask))
        };
        let pq = |p: &str, q: &str| Some((p.to_string(), q.to_string()));
        assert_eq!(
            seen(&e),
            (
                pq("9.99000000", "2.00000000"),
                pq("10.01000000", "7.00000000")
            )
        );
        // The deep levels were set after the decision: removing what is
        // above them now leaves them on top.
        let next = br#"{"e":"depthUpdate","E":2,"s":"ABCUSDT","U":102,"u":102,"b":[["9.99","0"],["9.98","0"]],"a":[["10.01","0"]]}"#;
        feed(&mut e, frame(next));
        assert_eq!(
            seen(&e),
            (
                pq("1.00000000", "1.00000000"),
                pq("50.00000000", "1.00000000")
            )
        );
        assert_eq!(e.decide().calls, 2);
        // A depth event with nothing below its top has no `BookRest` stage.
        let top_only =
            br#"{"e":"depthUpdate","E":3,"s":"ABCUSDT","U":103,"u":103,"b":[["1.00","2"]],"a":[]}"#;
        let input = Input {
            now_ns: 8,
            event: frame(top_only),
        };
        e.on_input(&input, &mut out, &mut stages);
        assert_eq!(stages.0, vec![Stage::Parse, Stage::Book, Stage::Decision]);
    }
}
