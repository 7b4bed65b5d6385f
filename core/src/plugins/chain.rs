//! [`PluginChain`]: the engine's decision stage made of plugins.
//!
//! On each closed candle: regime `classify` → confidence `score` → risk
//! `assess` → strategy `on-candle`, whose intents become
//! [`Action::Intent`] (buy/sell, market/limit; a market order carries the
//! candle's close as its reference price) or [`Action::CancelAll`]. On each
//! market event that changed the top of book (prices or quantities):
//! strategy `on-book` only; on each public trade: strategy `on-trade`. Both
//! answer how many intents they made ready, taken with `take-intent` (at
//! most [`MAX_INTENTS_PER_EVENT`]); market intents of both reference the
//! touch: the ask for a buy, the bid for a sell. On each fill: strategy
//! `on-fill`.
//!
//! One chain serves one symbol (plugin state is per symbol): it binds to the
//! symbol it is built for, or to the first it sees; events of other symbols
//! are counted ([`ChainStats::foreign_symbol`]) and ignored.
//!
//! Empty slots use neutral values: no regime plugin → `transitional`,
//! confidence 0, run 1 (and [`crate::engine::Decide::regime`] says `None`);
//! no confidence plugin → every component 0.5 and size multiplier 1 (no
//! filter); no risk plugin → size fraction [`DEFAULT_SIZE_FRACTION`] (the
//! seed's 1 %), no stop, no target, entries allowed; no strategy → no
//! intents.
//!
//! Faults. A plugin that traps, runs out of fuel or hits its memory cap is
//! disabled; the fault is counted, its message kept
//! ([`ChainStats::last_fault`]) and the alarm raised ([`ChainStats::alarm`]).
//! Then the [`SafeMode`]: `previous` promotes the slot's previous version
//! (if any) and retries the same call with it, so the event is not lost;
//! otherwise the slot is disabled (neutral values downstream) and, while
//! any slot is disabled, buy intents are refused (counted in
//! [`ChainStats::entries_refused`]); sells and cancels still pass.
//!
//! Swaps happen between two events (see [`PluginChain::install`]): the old
//! instance's `save-state` goes into the new one's `load-state`; when the
//! new one cannot read it (or there is no state), it is warmed up by
//! replaying the last [`WARMUP_CANDLES`] candles' recorded inputs. The
//! pause is measured and kept in [`SlotStats`].
//!
//! Hot path. No locks, no formatting, no allocation of the chain's own
//! (the history ring is preallocated). A strategy `on-candle` that returns a
//! non-empty list costs the host one `Vec` (the WIT `list<intent>`), freed
//! at once; `on-book` returns a count and `take-intent` an `option`:
//! neither allocates.

use super::bindings::types;
use super::convert;
use super::host::{FaultKind, Plugin};
use super::swap::{Prepared, SwapOutcome, SwapPort, Warmed};
use super::{SafeMode, Slot, SLOTS};
use crate::binance::fast::Symbol;
use crate::engine::clock::{ticks, TickScale};
use crate::engine::{
    Action, Actions, CandleView, Decide, FillView, MarketView, RegimeKind, TradeView,
};

/// Candles of recorded chain inputs kept for warm-up and dry runs.
pub const WARMUP_CANDLES: usize = 64;
/// Size fraction used when no risk plugin is loaded: 1 % (scaled 1e-8).
pub const DEFAULT_SIZE_FRACTION: i64 = 1_000_000;
/// 0.5 scaled 1e-8 (neutral confidence components).
pub const NEUTRAL_E8: i64 = 50_000_000;
/// 1 scaled 1e-8.
pub const ONE_E8: i64 = 100_000_000;
/// Most intents taken from the strategy per book or trade event; more
/// announced are counted ([`ChainStats::intents_not_taken`]) and left.
pub const MAX_INTENTS_PER_EVENT: u32 = 4;
/// Milliseconds of calibration of the tick clock at chain creation.
pub const CALIBRATION_MS: u64 = 5;

/// What every slot saw and answered on one candle: enough to replay the
/// candle into any slot (warm-up, dry runs). The block holds the host's
/// inputs and the three answers the chain used (see [`convert::Context`]).
#[derive(Debug, Clone, Copy)]
pub struct Recorded {
    /// The context block after the chain ran.
    pub ctx: convert::Context,
}

impl Recorded {
    /// The candle's open time, milliseconds.
    pub fn open_time_ms(&self) -> i64 {
        convert::open_time_of(&self.ctx)
    }
}

/// The regime used when no regime plugin answers.
pub const NEUTRAL_REGIME: types::Regime = types::Regime {
    kind: types::RegimeKind::Transitional,
    confidence: 0,
    run: 1,
};

/// The confidence used when no confidence plugin answers.
pub const NEUTRAL_CONFIDENCE: types::Confidence = types::Confidence {
    score: NEUTRAL_E8,
    rsi: NEUTRAL_E8,
    macd: NEUTRAL_E8,
    volume: NEUTRAL_E8,
    trend: NEUTRAL_E8,
    levels: NEUTRAL_E8,
    sentiment: NEUTRAL_E8,
    gru: NEUTRAL_E8,
    size_multiplier: ONE_E8,
};

/// The risk used when no risk plugin answers.
pub const NEUTRAL_RISK: types::Risk = types::Risk {
    size_fraction: DEFAULT_SIZE_FRACTION,
    stop_price: 0,
    take_profit: 0,
    trailing_stop: 0,
    halt_entries: false,
};

/// How a swap handed state over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover {
    /// `save-state` of the old → `load-state` of the new.
    State,
    /// The new one was warmed up by replaying recent candles (count given).
    Warmup(u32),
    /// Nothing to hand over: the slot was empty and nothing was recorded.
    Fresh,
}

/// What [`PluginChain::install`] did.
#[derive(Debug, Clone)]
pub struct SwapReport {
    /// The slot.
    pub slot: Slot,
    /// How the state moved.
    pub handover: Handover,
    /// Why `load-state` refused the state, when it did.
    pub load_error: Option<String>,
    /// The hot-path pause, ns.
    pub pause_ns: u64,
}

/// Per-slot counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SlotStats {
    /// Faults of this slot's plugins.
    pub faults: u64,
    /// Fallbacks to the previous version.
    pub fallbacks: u64,
    /// Swaps applied.
    pub swaps: u64,
    /// Swaps refused at the hot end (the new plugin faulted during the
    /// handover); the old one stayed.
    pub swaps_refused: u64,
    /// Swaps whose state went through load-state.
    pub handover_state: u64,
    /// Swaps that warmed the new plugin up instead.
    pub handover_warmup: u64,
    /// The last swap's hot-path pause, ns.
    pub last_swap_pause_ns: u64,
    /// The longest swap pause, ns.
    pub max_swap_pause_ns: u64,
}

/// One slot's plugin timing in nanoseconds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Calls.
    pub calls: u64,
    /// Total, ns.
    pub total_ns: u64,
    /// Longest, ns.
    pub max_ns: u64,
    /// Most fuel one call used.
    pub max_fuel: u64,
    /// Fuel used by all calls.
    pub total_fuel: u64,
}

/// Chain-wide counters.
#[derive(Debug, Default, Clone)]
pub struct ChainStats {
    /// Candles decided.
    pub candles: u64,
    /// Market events seen (book or trade, on a live book).
    pub books: u64,
    /// Of which changed the top of book (strategy `on-book` called).
    pub book_changes: u64,
    /// Public trades passed on (strategy `on-trade` called).
    pub trades: u64,
    /// Fills passed on.
    pub fills: u64,
    /// Intents pushed as actions.
    pub intents: u64,
    /// Cancel-all actions pushed.
    pub cancel_all: u64,
    /// Intents refused as malformed (bad quantity, price, levels).
    pub invalid_intents: u64,
    /// Entry intents refused because a slot is disabled (safe mode).
    pub entries_refused: u64,
    /// Intents dropped because the action list was full.
    pub intents_overflow: u64,
    /// Book / trade intents a plugin announced beyond
    /// [`MAX_INTENTS_PER_EVENT`] (never taken), or announced but not given
    /// (`take-intent` answered none early).
    pub intents_not_taken: u64,
    /// Events of another symbol than the chain's.
    pub foreign_symbol: u64,
    /// Plugin faults, all slots.
    pub faults: u64,
    /// Faults by kind: fuel, memory, trap, protocol.
    pub faults_by_kind: [u64; 4],
    /// The alarm: raised by any fault, lowered by [`PluginChain::clear_alarm`].
    pub alarm: bool,
    /// The last fault's message (`SLOT plugin NAME VERSION: CALL: KIND: …`).
    pub last_fault: Option<String>,
    /// Recorded candles not pushed to the compile thread (its ring full).
    pub recent_dropped: u64,
    /// Per slot, in [`Slot::ALL`] order.
    pub slots: [SlotStats; SLOTS],
}

#[derive(Debug, Default)]
struct SlotState {
    current: Option<Plugin>,
    previous: Option<Plugin>,
    /// Disabled by a fault with nothing to fall back to.
    disabled: bool,
}

/// Whether two tops of book have the same prices and quantities.
#[inline]
fn same_top(a: &types::TopOfBook, b: &types::TopOfBook) -> bool {
    a.bid_price == b.bid_price
        && a.bid_qty == b.bid_qty
        && a.ask_price == b.ask_price
        && a.ask_qty == b.ask_qty
}

/// No top of book yet (never equal to a real one: prices are positive).
const NO_TOP: types::TopOfBook = types::TopOfBook {
    time_ns: 0,
    bid_price: -1,
    bid_qty: -1,
    ask_price: -1,
    ask_qty: -1,
};

/// The plugin decision stage for one symbol.
#[derive(Debug)]
pub struct PluginChain {
    symbol: Option<Symbol>,
    slots: [SlotState; SLOTS],
    safe_mode: SafeMode,
    last_regime: Option<types::Regime>,
    last_top: types::TopOfBook,
    account: types::Account,
    history: Vec<Recorded>,
    history_next: usize,
    port: Option<SwapPort>,
    stats: ChainStats,
    scale: TickScale,
}

fn kind_index(k: FaultKind) -> usize {
    match k {
        FaultKind::Fuel => 0,
        FaultKind::Memory => 1,
        FaultKind::Trap => 2,
        FaultKind::Protocol | FaultKind::Disabled => 3,
    }
}

impl PluginChain {
    /// An empty chain (every slot empty) applying `safe_mode` on faults.
    /// Binds to `symbol`, or to the first symbol it sees when `None`.
    pub fn new(symbol: Option<Symbol>, safe_mode: SafeMode) -> PluginChain {
        PluginChain {
            symbol,
            slots: Default::default(),
            safe_mode,
            last_regime: None,
            last_top: NO_TOP,
            account: convert::account(&Default::default()),
            history: Vec::with_capacity(WARMUP_CANDLES),
            history_next: 0,
            port: None,
            stats: ChainStats::default(),
            scale: TickScale::calibrate(CALIBRATION_MS),
        }
    }

    /// Puts `plugin` in its slot before the first event (no handover). The
    /// slot's current plugin, if any, becomes its previous version.
    pub fn set(&mut self, plugin: Plugin) {
        let s = &mut self.slots[plugin.slot() as usize];
        if let Some(old) = s.current.take() {
            if !old.is_faulted() {
                s.previous = Some(old);
            }
        }
        s.current = Some(plugin);
        s.disabled = false;
    }

    /// Connects the swap rings (see [`super::swap::start`]).
    pub fn attach(&mut self, port: SwapPort) {
        self.port = Some(port);
    }

    /// The symbol the chain is bound to.
    pub fn symbol(&self) -> Option<Symbol> {
        self.symbol
    }

    /// The counters.
    pub fn stats(&self) -> &ChainStats {
        &self.stats
    }

    /// Lowers the alarm (an operator acknowledged it).
    pub fn clear_alarm(&mut self) {
        self.stats.alarm = false;
    }

    /// The plugin serving `slot` now.
    pub fn plugin(&self, slot: Slot) -> Option<&Plugin> {
        self.slots[slot as usize].current.as_ref()
    }

    /// The plugin serving `slot` now, mutably (tests, tools; a direct call
    /// bypasses the chain's fault handling).
    pub fn plugin_mut(&mut self, slot: Slot) -> Option<&mut Plugin> {
        self.slots[slot as usize].current.as_mut()
    }

    /// The previous version kept for `slot`.
    pub fn previous(&self, slot: Slot) -> Option<&Plugin> {
        self.slots[slot as usize].previous.as_ref()
    }

    /// Whether `slot` is disabled (faulted, nothing to fall back to).
    pub fn is_disabled(&self, slot: Slot) -> bool {
        self.slots[slot as usize].disabled
    }

    /// Whether entries are refused now (some slot is disabled).
    pub fn entries_blocked(&self) -> bool {
        self.slots.iter().any(|s| s.disabled)
    }

    /// `slot`'s current plugin's call timing in ns.
    pub fn timing(&self, slot: Slot) -> Timing {
        self.plugin(slot)
            .map(|p| Timing {
                calls: p.stats.calls,
                total_ns: self.scale.to_ns(p.stats.total_ticks),
                max_ns: self.scale.to_ns(p.stats.max_ticks),
                max_fuel: p.stats.max_fuel,
                total_fuel: p.stats.total_fuel,
            })
            .unwrap_or_default()
    }

    /// The recorded inputs of the last candles, oldest first.
    pub fn history(&self) -> impl Iterator<Item = &Recorded> + '_ {
        let (a, b) = self
            .history
            .split_at(self.history_next.min(self.history.len()));
        b.iter().chain(a.iter())
    }

    fn bound(&mut self, symbol: Symbol) -> bool {
        match self.symbol {
            Some(s) if s == symbol => true,
            Some(_) => {
                self.stats.foreign_symbol += 1;
                false
            }
            None => {
                self.symbol = Some(symbol);
                true
            }
        }
    }

    /// Calls `slot`'s plugin; on a fault applies the safe mode (and, with a
    /// previous version, retries the call with it). `None`: no answer.
    #[inline]
    fn call<R>(
        &mut self,
        slot: Slot,
        mut f: impl FnMut(&mut Plugin) -> Result<R, FaultKind>,
    ) -> Option<R> {
        // At most two tries: the current version, then the previous one.
        for _ in 0..2 {
            let s = &mut self.slots[slot as usize];
            if s.disabled {
                return None;
            }
            let p = s.current.as_mut()?;
            match f(p) {
                Ok(v) => return Some(v),
                Err(kind) => self.on_fault(slot, kind),
            }
        }
        None
    }

    #[cold]
    fn on_fault(&mut self, slot: Slot, kind: FaultKind) {
        let st = &mut self.stats;
        st.faults += 1;
        st.faults_by_kind[kind_index(kind)] += 1;
        st.slots[slot as usize].faults += 1;
        st.alarm = true;
        let s = &mut self.slots[slot as usize];
        if let Some(f) = s.current.as_ref().and_then(|p| p.fault()) {
            st.last_fault = Some(f.message.clone());
        }
        let fallback = self.safe_mode == SafeMode::Previous
            && s.previous.as_ref().is_some_and(|p| !p.is_faulted());
        if fallback {
            let faulted = s.current.take();
            s.current = s.previous.take();
            st.slots[slot as usize].fallbacks += 1;
            self.retire(faulted);
        } else {
            s.disabled = true;
        }
    }

    /// Hands a plugin that is no longer used to the compile thread to drop
    /// (freeing a store off the hot path), or drops it here without one.
    fn retire(&mut self, p: Option<Plugin>) {
        if let (Some(p), Some(port)) = (p, self.port.as_mut()) {
            port.retire(p);
        }
    }

    fn record(&mut self, r: Recorded) {
        if self.history.len() < WARMUP_CANDLES {
            self.history.push(r);
        } else {
            self.history[self.history_next] = r;
        }
        self.history_next = (self.history_next + 1) % WARMUP_CANDLES;
        if let Some(port) = self.port.as_mut() {
            if !port.push_recent(r) {
                self.stats.recent_dropped += 1;
            }
        }
    }

    /// Takes the `ready` intents a book or trade event made (at most
    /// [`MAX_INTENTS_PER_EVENT`]) and pushes their actions.
    #[inline]
    fn take_intents(&mut self, symbol: Symbol, ready: u32, out: &mut Actions) {
        if ready == 0 {
            return;
        }
        let take = ready.min(MAX_INTENTS_PER_EVENT);
        let mut taken = 0;
        while taken < take {
            match self.call(Slot::Strategy, |p| p.take_intent()) {
                Some(Some(intent)) => {
                    taken += 1;
                    self.push_touch_intent(symbol, &intent, out);
                }
                _ => break,
            }
        }
        self.stats.intents_not_taken += u64::from(ready - taken);
    }

    /// A book or trade intent: a market order references the touch (the ask
    /// for a buy, the bid for a sell) of the last top of book.
    fn push_touch_intent(&mut self, symbol: Symbol, i: &types::Intent, out: &mut Actions) {
        let reference = if convert::is_entry(i.kind) {
            self.last_top.ask_price
        } else {
            self.last_top.bid_price
        };
        self.push_intent(symbol, i, reference, out);
    }

    fn push_intent(
        &mut self,
        symbol: Symbol,
        i: &types::Intent,
        reference: i64,
        out: &mut Actions,
    ) {
        if convert::is_entry(i.kind) && self.entries_blocked() {
            self.stats.entries_refused += 1;
            return;
        }
        match convert::intent_action(symbol, i, reference) {
            Ok(a) => {
                if out.as_slice().len() >= crate::engine::MAX_ACTIONS_PER_INPUT {
                    self.stats.intents_overflow += 1;
                    return;
                }
                if matches!(a, Action::CancelAll { .. }) {
                    self.stats.cancel_all += 1;
                } else {
                    self.stats.intents += 1;
                }
                out.push(a);
            }
            Err(_) => self.stats.invalid_intents += 1,
        }
    }

    /// Applies every swap the compile thread has prepared (between two
    /// events: the chain calls it before each event).
    #[inline]
    pub fn apply_pending_swaps(&mut self) {
        let Some(port) = self.port.as_mut() else {
            return;
        };
        if !port.has_prepared() {
            return;
        }
        self.apply_swaps_cold();
    }

    #[cold]
    fn apply_swaps_cold(&mut self) {
        while let Some(Prepared { id, plugin, warmed }) =
            self.port.as_mut().and_then(|p| p.pop_prepared())
        {
            let slot = plugin.slot();
            let outcome = match self.install_with(plugin, warmed) {
                Ok(r) => SwapOutcome {
                    id,
                    slot,
                    ok: true,
                    pause_ns: r.pause_ns,
                    handover: r.handover,
                    detail: r.load_error,
                },
                Err(msg) => SwapOutcome {
                    id,
                    slot,
                    ok: false,
                    pause_ns: 0,
                    handover: Handover::Fresh,
                    detail: Some(msg),
                },
            };
            if let Some(port) = self.port.as_mut() {
                port.report(outcome);
            }
        }
    }

    /// Swaps `new` into its slot now (call it between two events). The old
    /// plugin's state is handed over through save/load; when that fails the
    /// new plugin replays the recorded candles (here, on the hot thread:
    /// [`WARMUP_CANDLES`] calls). A new plugin that faults during the
    /// handover is refused and the old one stays (`Err` names the fault).
    /// The old plugin is kept as the slot's previous version.
    pub fn install(&mut self, new: Plugin) -> Result<SwapReport, String> {
        self.install_with(new, None)
    }

    /// [`Self::install`] with an instance `warmed` up off the hot path (by
    /// the compile thread, over the candles it had seen): when the state
    /// cannot be handed over, that one is used after catching up on the
    /// candles recorded since, and `new` is retired.
    pub fn install_with(
        &mut self,
        mut new: Plugin,
        warmed: Option<Warmed>,
    ) -> Result<SwapReport, String> {
        let t0 = ticks();
        let slot = new.slot();
        let i = slot as usize;
        let state = match self.slots[i].current.as_mut() {
            Some(old) if !old.is_faulted() => match old.save_state() {
                Ok(s) => Some(s),
                Err(kind) => {
                    // The old one faulted while saving: count it; the new one
                    // warms up instead.
                    self.on_fault_no_fallback(slot, kind);
                    None
                }
            },
            _ => None,
        };
        let mut load_error = None;
        let loaded = match state.as_deref().map(|s| new.load_state(s)) {
            Some(Ok(Ok(()))) => true,
            Some(Err(_)) => return Err(self.refuse(slot, &new)),
            Some(Ok(Err(msg))) => {
                load_error = Some(msg);
                false
            }
            None => false,
        };
        let handover = if loaded {
            Handover::State
        } else if let Some(mut w) = warmed {
            let n = self
                .catch_up(&mut w.plugin, w.last_open_ms)
                .map_err(|_| self.refuse(slot, &w.plugin))?;
            let fresh = std::mem::replace(&mut new, w.plugin);
            self.retire(Some(fresh));
            Handover::Warmup(w.candles.saturating_add(n))
        } else {
            self.warm_up(&mut new)
                .map_err(|_| self.refuse(slot, &new))?
        };
        if slot == Slot::Strategy {
            // The new strategy hears the top of book at the next event.
            self.last_top = NO_TOP;
        }
        let s = &mut self.slots[i];
        let old = s.current.replace(new);
        s.disabled = false;
        let retired = match old {
            Some(o) if !o.is_faulted() => s.previous.replace(o),
            other => other,
        };
        self.retire(retired);
        let pause_ns = self.scale.to_ns(ticks().wrapping_sub(t0));
        let ss = &mut self.stats.slots[i];
        ss.swaps += 1;
        match handover {
            Handover::State => ss.handover_state += 1,
            Handover::Warmup(_) | Handover::Fresh => ss.handover_warmup += 1,
        }
        ss.last_swap_pause_ns = pause_ns;
        ss.max_swap_pause_ns = ss.max_swap_pause_ns.max(pause_ns);
        Ok(SwapReport {
            slot,
            handover,
            load_error,
            pause_ns,
        })
    }

    fn on_fault_no_fallback(&mut self, slot: Slot, kind: FaultKind) {
        let st = &mut self.stats;
        st.faults += 1;
        st.faults_by_kind[kind_index(kind)] += 1;
        st.slots[slot as usize].faults += 1;
        st.alarm = true;
        if let Some(f) = self.slots[slot as usize]
            .current
            .as_ref()
            .and_then(|p| p.fault())
        {
            st.last_fault = Some(f.message.clone());
        }
    }

    fn refuse(&mut self, slot: Slot, new: &Plugin) -> String {
        self.stats.slots[slot as usize].swaps_refused += 1;
        let msg = new
            .fault()
            .map(|f| f.message.clone())
            .unwrap_or_else(|| format!("{slot}: the new plugin failed its handover"));
        msg
    }

    /// Replays the recorded candles newer than `after_open_ms` into `p`.
    fn catch_up(&self, p: &mut Plugin, after_open_ms: i64) -> Result<u32, FaultKind> {
        let mut n = 0u32;
        for r in self.history() {
            if r.open_time_ms() > after_open_ms {
                replay_one(p, r)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Replays the recorded candles into `p` (its outputs are discarded).
    fn warm_up(&self, p: &mut Plugin) -> Result<Handover, FaultKind> {
        let mut n = 0u32;
        for r in self.history() {
            replay_one(p, r)?;
            n += 1;
        }
        Ok(if n == 0 {
            Handover::Fresh
        } else {
            Handover::Warmup(n)
        })
    }
}

/// Feeds one recorded candle to `p` through its slot's call (the block as
/// that stage saw it: the answers of its own and later stages zeroed).
pub fn replay_one(p: &mut Plugin, r: &Recorded) -> Result<(), FaultKind> {
    let ctx = convert::context_for(&r.ctx, p.slot());
    match p.slot() {
        Slot::Regime => p.classify(&ctx).map(drop),
        Slot::Confidence => p.score(&ctx).map(drop),
        Slot::Risk => p.assess(&ctx).map(drop),
        Slot::Strategy => p.on_candle(&ctx).map(drop),
    }
}

/// Sentiment passed to the confidence plugin: none yet (negative means
/// absent; the plugin uses the seed's neutral 0.5).
pub const NO_SENTIMENT: i64 = -1;

impl Decide for PluginChain {
    #[inline]
    fn on_market(&mut self, view: &MarketView, out: &mut Actions) {
        self.apply_pending_swaps();
        if !self.bound(view.symbol) {
            return;
        }
        self.stats.books += 1;
        let book = convert::top_of_book(view);
        if same_top(&book, &self.last_top) {
            return;
        }
        self.last_top = book;
        self.stats.book_changes += 1;
        let account = self.account;
        let ready = self
            .call(Slot::Strategy, |p| p.on_book(book, account))
            .unwrap_or(0);
        self.take_intents(view.symbol, ready, out);
    }

    #[inline]
    fn on_trade(&mut self, trade: &TradeView, out: &mut Actions) {
        if !self.bound(trade.symbol) {
            return;
        }
        self.stats.trades += 1;
        let t = convert::trade(trade);
        let account = self.account;
        let ready = self
            .call(Slot::Strategy, |p| p.on_trade(t, account))
            .unwrap_or(0);
        self.take_intents(trade.symbol, ready, out);
    }

    fn on_candle(&mut self, view: &CandleView, out: &mut Actions) {
        self.apply_pending_swaps();
        if !self.bound(view.symbol) {
            return;
        }
        self.stats.candles += 1;
        let mut block: convert::Context = [0; convert::CONTEXT_LEN];
        let ctx = &mut block;
        convert::fill_context(ctx, view, NO_SENTIMENT);
        self.account = convert::account(&view.account);
        let regime = self.call(Slot::Regime, |p| p.classify(&ctx[..]));
        self.last_regime = regime;
        convert::put_regime(ctx, &regime.unwrap_or(NEUTRAL_REGIME));
        let confidence = self
            .call(Slot::Confidence, |p| p.score(&ctx[..]))
            .unwrap_or(NEUTRAL_CONFIDENCE);
        convert::put_confidence(ctx, &confidence);
        let risk = self
            .call(Slot::Risk, |p| p.assess(&ctx[..]))
            .unwrap_or(NEUTRAL_RISK);
        convert::put_risk(ctx, &risk);
        let intents = self.call(Slot::Strategy, |p| p.on_candle(&ctx[..]));
        let close = convert::close_of(ctx);
        if let Some(intents) = intents {
            for i in &intents {
                self.push_intent(view.symbol, i, close, out);
            }
        }
        self.record(Recorded { ctx: block });
    }

    fn on_fill(&mut self, fill: &FillView, _out: &mut Actions) {
        self.apply_pending_swaps();
        if !self.bound(fill.symbol) {
            return;
        }
        self.stats.fills += 1;
        let f = convert::fill(fill);
        let account = convert::account(&fill.account);
        self.account = account;
        let _ = self.call(Slot::Strategy, |p| p.on_fill(f, account));
    }

    fn regime(&self, symbol: &Symbol) -> Option<RegimeKind> {
        if self.symbol.as_ref() != Some(symbol) {
            return None;
        }
        self.last_regime.map(|r| convert::regime_kind(r.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(kind: types::IntentKind) -> types::Intent {
        types::Intent {
            kind,
            qty: 100_000,
            price: 0,
            stop_price: 0,
            take_profit: 0,
            tag: 1,
        }
    }

    #[test]
    fn a_disabled_slot_blocks_entries_but_lets_exits_and_cancels_through() {
        let sym = Symbol::new(b"BTCUSDT").unwrap();
        let mut c = PluginChain::new(Some(sym), SafeMode::NoNewOrders);
        let mut out = Actions::new();
        c.push_intent(sym, &intent(types::IntentKind::BuyMarket), 100, &mut out);
        assert_eq!((c.stats().intents, out.as_slice().len()), (1, 1));
        // The regime slot's plugin faulted with nothing to fall back to.
        c.slots[Slot::Regime as usize].disabled = true;
        assert!(c.entries_blocked());
        out.clear();
        for k in [
            types::IntentKind::BuyMarket,
            types::IntentKind::BuyLimit,
            types::IntentKind::SellMarket,
            types::IntentKind::CancelAll,
        ] {
            let mut i = intent(k);
            i.price = 90;
            c.push_intent(sym, &i, 100, &mut out);
        }
        assert_eq!(c.stats().entries_refused, 2);
        assert_eq!(c.stats().cancel_all, 1);
        assert_eq!(out.as_slice().len(), 2);
        assert!(
            matches!(out.as_slice()[0], Action::Intent(o) if o.side == crate::binance::types::Side::Sell)
        );
        assert_eq!(out.as_slice()[1], Action::CancelAll { symbol: sym });
    }

    #[test]
    fn malformed_intents_and_foreign_symbols_are_counted_not_acted_on() {
        let sym = Symbol::new(b"BTCUSDT").unwrap();
        let other = Symbol::new(b"ETHUSDT").unwrap();
        let mut c = PluginChain::new(Some(sym), SafeMode::Previous);
        let mut out = Actions::new();
        let mut i = intent(types::IntentKind::SellLimit);
        i.price = -5;
        c.push_intent(sym, &i, 100, &mut out);
        assert_eq!(c.stats().invalid_intents, 1);
        let view = MarketView {
            symbol: other,
            now_ns: 1,
            best_bid: None,
            best_ask: None,
        };
        c.on_market(&view, &mut out);
        assert_eq!((c.stats().foreign_symbol, c.stats().books), (1, 0));
        assert!(out.as_slice().is_empty());
        assert_eq!(c.regime(&sym), None, "no regime plugin: no regime");
    }
}
