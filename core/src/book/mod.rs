//! The L2 order book of one symbol and Binance spot's snapshot/diff sync rule.
//!
//! # Structure
//! Each side is a [`PriceLadder`]: quantities in a dense array indexed by
//! price tick over a window (2^18 ticks by default) around the top, O(1) per
//! level update, the best tracked with a two-level bitmap; levels below the
//! window live in a sorted [`Ladder`] (the far tier), and the window is moved
//! (rarely, counted) when the top drifts out of it. The tick comes from
//! [`BookConfig::tick`] or the snapshot's gcd of prices; an off-grid price
//! later re-grids the side (counted). Measured on the real BTCUSDT capture
//! (`benches/benches/book.rs`, 3449 diffs, 124 073 level updates, median
//! update 85 levels from the top), one run on a shared 2-core machine:
//! [`OrderBook::on_diff`] ≈ 14 ns per level update, the two [`PriceLadder`]s
//! alone ≈ 17 ns (2^16-tick window; ≈ 20 ns with 2^18), the sorted
//! [`Ladder`] ≈ 77 ns, a `BTreeMap<Price, Qty>` ≈ 71 ns. About a third of
//! the [`PriceLadder`]'s time (perf) was the ~6 % of updates that land in the
//! far tier (sorted array: search + memmove) with a 2^16-tick window; the
//! default is now 2^18 (see [`DEFAULT_WINDOW_TICKS`] for that measurement). Both ladders keep the same
//! bound (the best `max_levels_per_side` levels; property-tested equal).
//! Prices and quantities are the exact decimals of [`crate::num`]. Nothing
//! allocates after [`OrderBook::new`].
//!
//! # Sync rule
//! ("How to manage a local order book correctly", Binance spot WebSocket
//! streams.) States ([`BookState`]):
//! - `Unsynced`: no snapshot yet; diffs are buffered (bounded: the oldest are
//!   dropped and counted on overflow). [`OrderBook::needs_snapshot`] is true.
//! - on a snapshot with `lastUpdateId = L` ([`OrderBook::on_snapshot`]): the
//!   book is replaced by the snapshot; buffered events with `u <= L` are
//!   dropped; the first one applied must have `U <= L + 1 <= u`; every later
//!   one `U == previous u + 1`. If the buffer cannot bridge (a hole), the book
//!   is `Stale` and needs a newer snapshot. If no buffered event reaches past
//!   `L`, the book is `Syncing`: the next diff must straddle `L + 1`.
//! - `Live`: each diff must have `U == last u + 1`; `u <= last` is dropped as
//!   stale (counted); anything else is a gap ([`DiffOutcome::Gap`]): the book
//!   turns `Stale`, keeps that event buffered and wants a snapshot.
//! - A crossed book (best bid ≥ best ask) after any applied event is counted
//!   and treated like a gap ([`DiffOutcome::Crossed`]).
//! - `Stale`: like `Unsynced` (buffering, snapshot needed); reaching `Live`
//!   again counts one resync.
//!
//! # Top first
//! [`OrderBook::on_diff`] is [`OrderBook::on_diff_top`] then
//! [`OrderBook::finish_diff`]. The engine takes its decision between the two:
//! the first applies the sync rule and sets only the levels that can change
//! the top of book, so the best bid and ask are already those the whole
//! event leaves (and so is the crossed check); the second sets the rest.
//! When a side's levels come best first (Binance's order, every depth event
//! of the shared captures), those are a prefix of it; otherwise the side is
//! taken in rounds by price band. Together the two steps set what setting
//! every level in order sets (a property test), except that the bound on
//! levels may then drop a different far level when a side is full.
//!
//! The book never reports a top of book unless it is `Live`:
//! [`OrderBook::best_bid`] / [`OrderBook::best_ask`] return `None` otherwise,
//! so a decision can never be taken on a stale book by accident.
//! The engine turns [`OrderBook::needs_snapshot`] (or an outcome whose
//! `needs_snapshot()` is true) into a "request snapshot" action.

pub mod buffer;
pub mod check;
pub mod ladder;
pub mod price_ladder;

use crate::binance::fast::{DepthBuf, DepthUpdate, Level, Symbol};
use crate::num::Price;
pub use buffer::DiffBuffer;
pub use check::TopCheck;
pub use ladder::{Ladder, SetOutcome, Side};
pub use price_ladder::{PriceLadder, DEFAULT_WINDOW_TICKS};

/// Default bound on the levels kept per side (levels). Binance REST snapshots
/// carry at most 5000 levels per side.
pub const DEFAULT_MAX_LEVELS_PER_SIDE: usize = 5_000;
/// Largest bound accepted per side (levels); larger configs are clamped.
pub const MAX_LEVELS_PER_SIDE_LIMIT: usize = 1 << 20;
/// Default number of diff events buffered while waiting for a snapshot
/// (events; about 100 s of `@100ms` diffs).
pub const DEFAULT_BUFFER_EVENTS: usize = 1_024;
/// Default number of levels (bids and asks together) buffered with them
/// (levels; 16 bytes each, 2 MiB).
pub const DEFAULT_BUFFER_LEVELS: usize = 131_072;
/// Largest buffer accepted, in events and in levels; larger configs are clamped.
pub const MAX_BUFFER_LIMIT: usize = 1 << 24;

/// Bytes in a memory page, for [`prefault`].
const PAGE_BYTES: usize = 4096;

/// Writes one element of every page of a freshly allocated slice, so that
/// the OS maps its pages now, at construction, and not on first use on the
/// hot path (zeroed allocations are mapped lazily).
pub(crate) fn prefault<T: Copy>(s: &mut [T]) {
    let step = (PAGE_BYTES / std::mem::size_of::<T>().max(1)).max(1);
    for i in (0..s.len()).step_by(step) {
        s[i] = std::hint::black_box(s[i]);
    }
}

/// Sizes of an [`OrderBook`]; everything is allocated once from these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookConfig {
    /// Most levels kept per side (levels); the farthest are dropped beyond it.
    pub max_levels_per_side: usize,
    /// Most diff events buffered while waiting for a snapshot (events).
    pub buffer_events: usize,
    /// Most levels (bids + asks) buffered with those events (levels).
    pub buffer_levels: usize,
    /// The symbol's price tick, when known (Binance's `PRICE_FILTER.tickSize`).
    /// `None`: each snapshot's gcd of prices is used. Either way a later
    /// price off that grid makes the side re-grid (counted in
    /// [`BookStats::tick_regrids`]).
    pub tick: Option<Price>,
    /// Width of each side's price-indexed window (ticks; a power of two,
    /// see [`PriceLadder`]; 8 bytes per tick per side).
    pub window_ticks: usize,
}

impl Default for BookConfig {
    fn default() -> Self {
        BookConfig {
            max_levels_per_side: DEFAULT_MAX_LEVELS_PER_SIDE,
            buffer_events: DEFAULT_BUFFER_EVENTS,
            buffer_levels: DEFAULT_BUFFER_LEVELS,
            tick: None,
            window_ticks: DEFAULT_WINDOW_TICKS,
        }
    }
}

/// Where the book stands with respect to the exchange's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookState {
    /// No snapshot yet: buffering diffs; a snapshot is needed.
    Unsynced,
    /// Snapshot applied; waiting for the diff that straddles its `lastUpdateId`.
    Syncing,
    /// In sync: every diff applied in order.
    Live,
    /// A gap or a crossed book was seen: buffering diffs; a snapshot is needed.
    Stale,
}

/// Counters since construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BookStats {
    /// Diff events applied (live, or from the buffer on a snapshot).
    pub applied: u64,
    /// Diff events dropped because `u <= ` the last applied / snapshot id.
    pub dropped_stale: u64,
    /// Gaps: a diff (or the buffer on a snapshot) that does not continue the book.
    pub gaps: u64,
    /// Times the book went `Live` again after being `Stale`.
    pub resyncs: u64,
    /// Times the book was found crossed (best bid ≥ best ask).
    pub crossed: u64,
    /// Diff events put in the buffer.
    pub buffered: u64,
    /// Buffered events dropped because the buffer was full.
    pub buffer_overflows: u64,
    /// Levels dropped or evicted because a side was at its bound.
    pub levels_dropped_beyond_bound: u64,
    /// Times a side's price window was moved under its levels (both sides).
    pub window_reanchors: u64,
    /// Times a price off the tick grid made a side change its tick (both sides).
    pub tick_regrids: u64,
    /// Diff events rejected as malformed (`U > u`) or for another symbol.
    pub rejected: u64,
}

/// The levels of an event that [`OrderBook::on_diff_top`] left for
/// [`OrderBook::finish_diff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffRest {
    bids: Left,
    asks: Left,
}

/// Which levels of one side are left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Left {
    /// None.
    Nothing,
    /// Those from this index on (the side's levels were sorted best first).
    From(usize),
    /// Those with a key ([`PriceLadder::key`]) below this one.
    Below(i64),
}

impl DiffRest {
    /// Nothing left to apply.
    pub const NONE: DiffRest = DiffRest {
        bids: Left::Nothing,
        asks: Left::Nothing,
    };

    /// Whether some levels are left.
    pub fn is_pending(&self) -> bool {
        self.bids != Left::Nothing || self.asks != Left::Nothing
    }
}

/// Sets, in order, the levels of `levels` that can change `side`'s best
/// (see [`OrderBook::on_diff_top`]) and says which are left.
#[inline]
fn apply_top(side: &mut PriceLadder, levels: &[Level]) -> Left {
    // One loop per side, so the key needs no branch.
    match side.side() {
        Side::Bid => apply_top_keyed::<false>(side, levels),
        Side::Ask => apply_top_keyed::<true>(side, levels),
    }
}

/// A level's key ([`Side::key`]) on the side `ASK` names, the side known
/// at compile time.
#[inline(always)]
fn key_of<const ASK: bool>(price: Price) -> i64 {
    if ASK { Side::Ask } else { Side::Bid }.key(price)
}

#[inline(always)]
fn apply_top_keyed<const ASK: bool>(side: &mut PriceLadder, levels: &[Level]) -> Left {
    let Some((first, others)) = levels.split_first() else {
        return Left::Nothing;
    };
    // Binance sends each side best first (every depth event of the shared
    // captures): then the levels that can change the best are a prefix.
    let mut sorted = true;
    let mut prev = key_of::<ASK>(first.price);
    for l in others {
        let k = key_of::<ASK>(l.price);
        sorted &= k < prev;
        prev = k;
    }
    if sorted {
        let mut i = 0;
        loop {
            // Keys are never i64::MIN (prices are not negative): an empty
            // side takes every level.
            let best = side.best_key().unwrap_or(i64::MIN);
            let start = i;
            while let Some(l) = levels.get(i) {
                if key_of::<ASK>(l.price) < best {
                    break;
                }
                side.set(l.price, l.qty);
                i += 1;
            }
            if i == levels.len() {
                return Left::Nothing;
            }
            if i == start {
                // The best did not move and every level left is below it.
                return Left::From(i);
            }
        }
    }
    apply_top_unsorted::<ASK>(side, levels)
}

/// [`apply_top_keyed`] for levels in any order: rounds over all of them.
#[inline(never)]
fn apply_top_unsorted<const ASK: bool>(side: &mut PriceLadder, levels: &[Level]) -> Left {
    // Round `r` sets the levels with a key in `lo..hi` (no upper bound in the
    // first); `left`: the highest key of those still left.
    let mut hi: Option<i64> = None;
    loop {
        let lo = side.best_key().unwrap_or(i64::MIN);
        let (mut left, mut any_left) = (i64::MIN, false);
        for l in levels {
            let k = key_of::<ASK>(l.price);
            if k < lo {
                left = left.max(k);
                any_left = true;
            } else if hi.is_none_or(|h| k < h) {
                side.set(l.price, l.qty);
            }
        }
        if !any_left {
            return Left::Nothing;
        }
        if left < side.best_key().unwrap_or(i64::MIN) {
            // Every level left is below the best: none can change it.
            return Left::Below(lo);
        }
        hi = Some(lo);
    }
}

/// Sets, in order, the levels of `levels` that `left` names.
#[inline]
fn apply_left(side: &mut PriceLadder, levels: &[Level], left: Left) {
    match left {
        Left::Nothing => {}
        Left::From(i) => {
            for l in levels.get(i..).unwrap_or_default() {
                side.set(l.price, l.qty);
            }
        }
        Left::Below(cut) => {
            for l in levels {
                if side.key(l.price) < cut {
                    side.set(l.price, l.qty);
                }
            }
        }
    }
}

/// What [`OrderBook::on_diff`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffOutcome {
    /// Applied; the book is `Live`.
    Applied,
    /// Buffered (no usable snapshot yet); see [`OrderBook::needs_snapshot`].
    Buffered,
    /// Older than the book (`u <=` last applied id): dropped.
    DroppedStale,
    /// The event does not continue the book: it is now `Stale`, the event is
    /// buffered, and a snapshot is needed.
    Gap {
        /// The `U` that would have continued the book (last `u + 1`).
        expected_first: u64,
        /// The event's `U`.
        got_first: u64,
    },
    /// Applied, but the book is crossed: it is now `Stale` and a snapshot is
    /// needed.
    Crossed {
        /// Best bid price.
        bid: Price,
        /// Best ask price.
        ask: Price,
    },
    /// Rejected: another symbol, or `U > u`. The book is unchanged.
    Rejected,
}

impl DiffOutcome {
    /// Whether this outcome asks the engine to fetch a snapshot.
    pub fn needs_snapshot(&self) -> bool {
        matches!(self, DiffOutcome::Gap { .. } | DiffOutcome::Crossed { .. })
    }
}

/// What [`OrderBook::on_snapshot`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// Buffered events bridged the snapshot: the book is `Live`.
    Live {
        /// Buffered events applied.
        applied: u64,
        /// Buffered events dropped (`u <= lastUpdateId`).
        dropped: u64,
    },
    /// No buffered event reaches past the snapshot: the book is `Syncing`,
    /// and the next diff must straddle `lastUpdateId + 1`.
    Waiting {
        /// Buffered events dropped (`u <= lastUpdateId`).
        dropped: u64,
    },
    /// The buffer has a hole after the snapshot: the book is `Stale`; a newer
    /// snapshot is needed (the events from the hole on stay buffered).
    NeedsNewer {
        /// The `U` that would have continued the book.
        expected_first: u64,
        /// The `U` of the first buffered event that does not.
        got_first: u64,
    },
    /// The book is crossed after the snapshot (and the buffered events
    /// applied so far): `Stale`, a new snapshot is needed.
    Crossed {
        /// Best bid price.
        bid: Price,
        /// Best ask price.
        ask: Price,
    },
}

impl SnapshotOutcome {
    /// Whether the engine must fetch (another) snapshot.
    pub fn needs_snapshot(&self) -> bool {
        matches!(
            self,
            SnapshotOutcome::NeedsNewer { .. } | SnapshotOutcome::Crossed { .. }
        )
    }
}

/// The L2 book of one symbol; see the module docs.
#[derive(Debug, Clone)]
pub struct OrderBook {
    symbol: Symbol,
    bids: PriceLadder,
    asks: PriceLadder,
    /// The configured tick in 10^-8 units, 0 when none.
    tick_hint: u64,
    buffer: DiffBuffer,
    state: BookState,
    /// Last applied `u` (or the snapshot's `lastUpdateId`); 0 before any.
    last_update_id: u64,
    /// Set on going `Stale`, cleared (and a resync counted) on going `Live`.
    was_stale: bool,
    stats: BookStats,
}

impl OrderBook {
    /// An empty, `Unsynced` book for `symbol`; allocates everything it will
    /// ever use, here (config values are clamped to 1 ..= their `*_LIMIT`).
    pub fn new(symbol: Symbol, cfg: BookConfig) -> OrderBook {
        let levels = cfg.max_levels_per_side.clamp(1, MAX_LEVELS_PER_SIDE_LIMIT);
        OrderBook {
            symbol,
            bids: PriceLadder::new(Side::Bid, levels, cfg.window_ticks),
            asks: PriceLadder::new(Side::Ask, levels, cfg.window_ticks),
            tick_hint: cfg.tick.map_or(0, |t| t.units().max(0) as u64),
            buffer: DiffBuffer::new(
                cfg.buffer_events.clamp(1, MAX_BUFFER_LIMIT),
                cfg.buffer_levels.clamp(1, MAX_BUFFER_LIMIT),
            ),
            state: BookState::Unsynced,
            last_update_id: 0,
            was_stale: false,
            stats: BookStats::default(),
        }
    }

    /// The symbol.
    pub fn symbol(&self) -> Symbol {
        self.symbol
    }

    /// The sync state.
    pub fn state(&self) -> BookState {
        self.state
    }

    /// Whether the engine should fetch a snapshot (`Unsynced` or `Stale`).
    pub fn needs_snapshot(&self) -> bool {
        matches!(self.state, BookState::Unsynced | BookState::Stale)
    }

    /// Last applied update id (`u`), or the snapshot's `lastUpdateId` when no
    /// diff followed it yet; 0 before the first snapshot.
    pub fn last_update_id(&self) -> u64 {
        self.last_update_id
    }

    /// Counters (with `levels_dropped_beyond_bound` summed over both sides).
    pub fn stats(&self) -> BookStats {
        BookStats {
            levels_dropped_beyond_bound: self.bids.dropped_beyond_bound()
                + self.asks.dropped_beyond_bound(),
            window_reanchors: self.bids.reanchors() + self.asks.reanchors(),
            tick_regrids: self.bids.regrids() + self.asks.regrids(),
            ..self.stats
        }
    }

    /// Events now waiting in the buffer.
    pub fn buffered_len(&self) -> usize {
        self.buffer.len()
    }

    /// Best bid, only while `Live`.
    #[inline]
    pub fn best_bid(&self) -> Option<Level> {
        if self.state == BookState::Live {
            self.bids.best()
        } else {
            None
        }
    }

    /// Best ask, only while `Live`.
    #[inline]
    pub fn best_ask(&self) -> Option<Level> {
        if self.state == BookState::Live {
            self.asks.best()
        } else {
            None
        }
    }

    /// Bid levels, best first, whatever the state (check [`Self::state`]);
    /// `.take(n)` for the top `n`.
    pub fn bids(&self) -> impl DoubleEndedIterator<Item = Level> + ExactSizeIterator + '_ {
        self.bids.iter()
    }

    /// Ask levels, best first, whatever the state (check [`Self::state`]);
    /// `.take(n)` for the top `n`.
    pub fn asks(&self) -> impl DoubleEndedIterator<Item = Level> + ExactSizeIterator + '_ {
        self.asks.iter()
    }

    /// The bid ladder.
    pub fn bid_ladder(&self) -> &PriceLadder {
        &self.bids
    }

    /// The ask ladder.
    pub fn ask_ladder(&self) -> &PriceLadder {
        &self.asks
    }

    /// Takes one diff event (`ev`, with its levels in `levels`); never allocates.
    pub fn on_diff(&mut self, ev: &DepthUpdate, levels: &DepthBuf) -> DiffOutcome {
        let (outcome, rest) = self.on_diff_top(ev, levels);
        self.finish_diff(levels, rest);
        outcome
    }

    /// [`Self::on_diff`] in two steps, so that a decision can be taken between
    /// them: this one applies the sync rule and, of an event it applies, only
    /// the levels that can change the top of book. When it returns, the
    /// book's state, last update id and best bid/ask are those the whole event
    /// leaves (so the crossed check is already final). The returned
    /// [`DiffRest`] says which levels are left; [`Self::finish_diff`] must
    /// apply them, with the same `levels`, before the book takes another
    /// event or snapshot.
    ///
    /// Per side: apply, in the order received, the levels at or above the
    /// current best (key order, see [`PriceLadder::key`]); if that removed the
    /// best and the new best is lower, apply the levels in between, and so on
    /// until no level left is at or above the best. Those left are then all
    /// below the final best and cannot change it. In every round, levels at
    /// the same price go together, in their order. Usually one or two rounds
    /// over the side's levels (compares only); the deep levels are set later.
    pub fn on_diff_top(&mut self, ev: &DepthUpdate, levels: &DepthBuf) -> (DiffOutcome, DiffRest) {
        if ev.symbol != self.symbol || ev.first_update_id > ev.final_update_id {
            self.stats.rejected += 1;
            return (DiffOutcome::Rejected, DiffRest::NONE);
        }
        match self.state {
            BookState::Unsynced | BookState::Stale => {
                self.buffer_event(ev, levels);
                (DiffOutcome::Buffered, DiffRest::NONE)
            }
            BookState::Syncing | BookState::Live => {
                if ev.final_update_id <= self.last_update_id {
                    self.stats.dropped_stale += 1;
                    return (DiffOutcome::DroppedStale, DiffRest::NONE);
                }
                let next = self.last_update_id + 1;
                let continues = if self.state == BookState::Live {
                    ev.first_update_id == next
                } else {
                    // First event after the snapshot: U <= L + 1 <= u
                    // (u >= L + 1 holds, it was not dropped above).
                    ev.first_update_id <= next
                };
                if !continues {
                    self.stats.gaps += 1;
                    self.go_stale();
                    self.buffer_event(ev, levels);
                    let gap = DiffOutcome::Gap {
                        expected_first: next,
                        got_first: ev.first_update_id,
                    };
                    return (gap, DiffRest::NONE);
                }
                let rest = DiffRest {
                    bids: apply_top(&mut self.bids, &levels.bids),
                    asks: apply_top(&mut self.asks, &levels.asks),
                };
                debug_assert!(ev.final_update_id > self.last_update_id);
                self.last_update_id = ev.final_update_id;
                self.stats.applied += 1;
                if let Some((bid, ask)) = self.crossed() {
                    self.stats.crossed += 1;
                    self.go_stale();
                    return (DiffOutcome::Crossed { bid, ask }, rest);
                }
                self.go_live();
                (DiffOutcome::Applied, rest)
            }
        }
    }

    /// Applies the levels [`Self::on_diff_top`] left (`levels` must be the
    /// buffer given to it); none when `rest` is [`DiffRest::NONE`].
    #[inline]
    pub fn finish_diff(&mut self, levels: &DepthBuf, rest: DiffRest) {
        apply_left(&mut self.bids, &levels.bids, rest.bids);
        apply_left(&mut self.asks, &levels.asks, rest.asks);
    }

    /// Takes a snapshot (`lastUpdateId` and its levels; any order, a zero
    /// quantity is ignored) and applies the buffered events per the sync rule;
    /// never allocates.
    pub fn on_snapshot(&mut self, last_update_id: u64, levels: &DepthBuf) -> SnapshotOutcome {
        // The grid: the configured tick, refined by every snapshot price
        // (gcd), so that loading the snapshot never re-grids.
        let tick = levels
            .bids
            .iter()
            .chain(&levels.asks)
            .fold(self.tick_hint, |g, l| {
                price_ladder::gcd(g, l.price.units() as u64)
            });
        let tick = Price::from_units(tick as i64).ok().filter(|t| !t.is_zero());
        self.bids.clear_with_tick(tick);
        self.asks.clear_with_tick(tick);
        for l in &levels.bids {
            self.bids.set(l.price, l.qty);
        }
        for l in &levels.asks {
            self.asks.set(l.price, l.qty);
        }
        debug_assert!(self.bids.is_valid() && self.asks.is_valid());
        self.last_update_id = last_update_id;
        self.state = BookState::Syncing;
        if let Some((bid, ask)) = self.crossed() {
            self.stats.crossed += 1;
            self.go_stale();
            return SnapshotOutcome::Crossed { bid, ask };
        }
        let (mut applied, mut dropped) = (0u64, 0u64);
        while let Some(b) = self.buffer.front() {
            if b.final_update_id <= self.last_update_id {
                self.buffer.pop_front();
                dropped += 1;
                self.stats.dropped_stale += 1;
                continue;
            }
            let next = self.last_update_id + 1;
            let continues = if applied == 0 {
                b.first_update_id <= next
            } else {
                b.first_update_id == next
            };
            if !continues {
                self.stats.gaps += 1;
                self.go_stale();
                return SnapshotOutcome::NeedsNewer {
                    expected_first: next,
                    got_first: b.first_update_id,
                };
            }
            // Split borrows: the buffer is read while the ladders change.
            let OrderBook {
                bids, asks, buffer, ..
            } = self;
            for l in buffer.bids(&b) {
                bids.set(l.price, l.qty);
            }
            for l in buffer.asks(&b) {
                asks.set(l.price, l.qty);
            }
            buffer.pop_front();
            self.last_update_id = b.final_update_id;
            self.stats.applied += 1;
            applied += 1;
            if let Some((bid, ask)) = self.crossed() {
                self.stats.crossed += 1;
                self.go_stale();
                return SnapshotOutcome::Crossed { bid, ask };
            }
        }
        if applied > 0 {
            self.go_live();
            SnapshotOutcome::Live { applied, dropped }
        } else {
            SnapshotOutcome::Waiting { dropped }
        }
    }

    fn buffer_event(&mut self, ev: &DepthUpdate, levels: &DepthBuf) {
        self.stats.buffered += 1;
        self.stats.buffer_overflows += self.buffer.push(ev, &levels.bids, &levels.asks);
    }

    /// `Some((bid, ask))` when best bid ≥ best ask.
    #[inline]
    fn crossed(&self) -> Option<(Price, Price)> {
        match (self.bids.best(), self.asks.best()) {
            (Some(b), Some(a)) if b.price >= a.price => Some((b.price, a.price)),
            _ => None,
        }
    }

    /// The connection carrying this book's diffs was lost: whatever was
    /// missed meanwhile, the book can no longer be trusted. It goes `Stale`
    /// (an `Unsynced` book stays so) and needs a snapshot; the next return to
    /// `Live` counts as a resync.
    pub fn mark_stale(&mut self) {
        if self.state != BookState::Unsynced {
            self.go_stale();
        }
    }

    /// The connection was lost: the book goes stale ([`Self::mark_stale`])
    /// and the diffs buffered before the loss are dropped, since no diff
    /// received after the reconnect can continue them across the hole.
    pub fn on_disconnect(&mut self) {
        self.mark_stale();
        self.buffer.clear();
    }

    fn go_stale(&mut self) {
        self.state = BookState::Stale;
        self.was_stale = true;
    }

    #[inline]
    fn go_live(&mut self) {
        if self.was_stale {
            self.was_stale = false;
            self.stats.resyncs += 1;
        }
        self.state = BookState::Live;
    }
}

#[cfg(test)]
mod tests;
