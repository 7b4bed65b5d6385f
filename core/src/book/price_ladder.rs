//! One side of an L2 book indexed by price: O(1) level updates near the top.
//!
//! # Layout
//! Two tiers, every level of the first better than every level of the second:
//! - the **window**: a dense array of quantities, one slot per price tick,
//!   over `window_ticks` (a power of two) consecutive ticks that hold the
//!   top. A level update inside it is an index computation and one store
//!   (O(1)); a zero quantity marks an empty slot. A two-level bitmap (one bit
//!   per slot, one summary bit per 64-slot word) finds the next level when
//!   the best is removed, and the lowest when the farthest must be evicted.
//!   The slot of a tick is `(tick − base tick + base slot) mod window_ticks`
//!   (a ring), so moving the window moves no data: only the levels that
//!   leave it are touched.
//! - the **far tier**: the sorted [`Ladder`], for the levels worse than the
//!   window (on the BTCUSDT capture ~6 % of updates with a 2^16-tick
//!   window, ~2 % with the default 2^18: the levels hundreds of dollars away
//!   from the top).
//!
//! Keys are as in [`Ladder`]: `price` for bids, `−price` for asks, so the best
//! is the highest key on both sides; "above" means better.
//!
//! # The window's position (re-anchoring)
//! The window is placed so that the best level sits at 3/4 of it
//! ([`ANCHOR_NUM`]/[`ANCHOR_DEN`]), leaving a quarter for better prices. It is
//! moved ("re-anchored", counted in [`PriceLadder::reanchors`]) when
//! - a level arrives above it (the market moved up by a quarter window):
//!   the levels that fall off its low end go to the far tier;
//! - the best is removed and the next best is below [`LOW_WATER_NUM`] /
//!   [`ANCHOR_DEN`] of it, or the window empties while the far tier does not
//!   (the market moved down): the far levels that now fit are pulled in.
//!
//! Placing the window in an empty ladder is not counted.
//!
//! # The tick
//! Slots are one tick apart. The tick is given ([`PriceLadder::clear_with_tick`],
//! from the book's config or the gcd of a snapshot's prices) or, when unknown,
//! taken from the first price. Every stored level is on the tick grid
//! (a multiple of the tick, in 10^-8 units). A price off the grid makes the
//! ladder re-grid with the gcd of the tick and that price (counted in
//! [`PriceLadder::regrids`]): every window level goes to the far tier, the
//! window restarts at the new tick and pulls back what fits. O(levels); rare.
//!
//! # Bound
//! As [`Ladder`]: at most `max_levels` levels in both tiers together. A new
//! level is inserted, then, while over the bound, the farthest level held is
//! evicted; when that is the new level itself, it was beyond the farthest and
//! the outcome is [`SetOutcome::DroppedBeyondBound`]. Either way one level is
//! counted in [`PriceLadder::dropped_beyond_bound`]. So the kept levels are,
//! exactly as with [`Ladder`], the best `max_levels` the book was told about
//! (equality with [`Ladder`] on random sequences is a property test). The
//! window's width bounds no level: a level outside it is in the far tier.
//!
//! # Memory
//! Allocated once in [`PriceLadder::new`]: `8 × window_ticks` bytes of
//! quantities (2 MiB at the default 2^18 ticks), `window_ticks / 8` bytes of
//! bitmap, and the far [`Ladder`] (`32 × max_levels` bytes).

use super::ladder::{Ladder, SetOutcome, Side};
use crate::binance::fast::Level;
use crate::num::{Price, Qty};

/// Default width of the window (ticks; 2^18 ticks of 0.01 USDT = 2621 USDT;
/// 2 MiB of quantities per side). Against 2^16 on the BTCUSDT 2024-08-08/09
/// depth events (`benches/examples/depth_cost.rs`): 7 % fewer instructions
/// per depth event (callgrind; the far tier's share of the book's work falls
/// from a third to an eighth) and ~5 % less time per level (interleaved
/// A/B, fastest of 7 passes, 3 rounds).
pub const DEFAULT_WINDOW_TICKS: usize = 1 << 18;
/// Narrowest window accepted (ticks; one bitmap word); smaller is raised.
pub const MIN_WINDOW_TICKS: usize = 64;
/// Widest window accepted (ticks; 32 MiB of quantities); larger is clamped.
pub const MAX_WINDOW_TICKS: usize = 1 << 22;
/// The best level is placed at `ANCHOR_NUM / ANCHOR_DEN` of the window.
pub const ANCHOR_NUM: usize = 3;
/// Denominator of [`ANCHOR_NUM`] and [`LOW_WATER_NUM`].
pub const ANCHOR_DEN: usize = 4;
/// The window is moved down when the best falls below
/// `LOW_WATER_NUM / ANCHOR_DEN` of it.
pub const LOW_WATER_NUM: usize = 1;

/// One side of the book indexed by price (see the module docs).
#[derive(Debug, Clone)]
pub struct PriceLadder {
    side: Side,
    /// Quantities by slot; zero = no level.
    qty: Box<[Qty]>,
    /// One bit per slot: set iff the slot holds a level.
    words: Box<[u64]>,
    /// One bit per word of `words`: set iff that word is non-zero.
    summary: Box<[u64]>,
    /// `window_ticks − 1`.
    mask: usize,
    /// Key of logical index 0 (a multiple of the tick).
    base: i64,
    /// Slot of logical index 0.
    base_slot: usize,
    /// Logical index of the best window level; meaningful when `n_window > 0`.
    best_q: usize,
    /// Levels in the window.
    n_window: usize,
    /// Tick in 10^-8 units; 0 while unknown (the ladder is then empty).
    tick: u64,
    /// `tick.trailing_zeros()`.
    tick_tz: u32,
    /// Bits below `tick_tz`.
    tick_low: u64,
    /// Inverse of the odd part of the tick modulo 2^64 (exact division).
    tick_inv: u64,
    /// Largest quotient accepted by the fast path: `window − 1` (the tick's
    /// odd part is kept ≤ `u64::MAX / window`, so this is also the bound of
    /// the exact-division divisibility test).
    q_limit: u64,
    far: Ladder,
    max_levels: usize,
    dropped_beyond_bound: u64,
    reanchors: u64,
    regrids: u64,
}

/// Greatest common divisor (binary; `gcd(0, x) = x`).
pub fn gcd(mut a: u64, mut b: u64) -> u64 {
    if a == 0 {
        return b;
    }
    if b == 0 {
        return a;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

impl PriceLadder {
    /// An empty ladder for `side` holding at most `max_levels` (≥ 1) levels,
    /// with a window of `window_ticks` ticks (rounded up to a power of two,
    /// clamped to [`MIN_WINDOW_TICKS`] ..= [`MAX_WINDOW_TICKS`]); allocates
    /// everything it will use, here.
    pub fn new(side: Side, max_levels: usize, window_ticks: usize) -> PriceLadder {
        let max_levels = max_levels.max(1);
        let w = window_ticks
            .clamp(MIN_WINDOW_TICKS, MAX_WINDOW_TICKS)
            .next_power_of_two();
        let n_words = w / 64;
        let mut ladder = PriceLadder {
            side,
            qty: vec![Qty::ZERO; w].into_boxed_slice(),
            words: vec![0; n_words].into_boxed_slice(),
            summary: vec![0; n_words.div_ceil(64)].into_boxed_slice(),
            mask: w - 1,
            base: 0,
            base_slot: 0,
            best_q: 0,
            n_window: 0,
            tick: 0,
            tick_tz: 0,
            tick_low: 0,
            tick_inv: 0,
            q_limit: 0,
            far: Ladder::new(side, max_levels),
            max_levels,
            dropped_beyond_bound: 0,
            reanchors: 0,
            regrids: 0,
        };
        super::prefault(&mut ladder.qty);
        super::prefault(&mut ladder.words);
        ladder
    }

    /// Which side this is.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The bound on the number of levels kept.
    pub fn max_levels(&self) -> usize {
        self.max_levels
    }

    /// Width of the window (ticks).
    pub fn window_ticks(&self) -> usize {
        self.mask + 1
    }

    /// The tick in use, `None` while unknown.
    pub fn tick(&self) -> Option<Price> {
        if self.tick == 0 {
            None
        } else {
            Price::from_units(self.tick as i64).ok()
        }
    }

    /// Number of levels held (both tiers).
    #[inline]
    pub fn len(&self) -> usize {
        self.n_window + self.far.len()
    }

    /// Whether no level is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Levels held in the far tier (below the window).
    pub fn far_len(&self) -> usize {
        self.far.len()
    }

    /// Levels dropped or evicted because of the bound, since construction.
    pub fn dropped_beyond_bound(&self) -> u64 {
        self.dropped_beyond_bound
    }

    /// Times the window was moved under a non-empty ladder, since construction.
    pub fn reanchors(&self) -> u64 {
        self.reanchors
    }

    /// Times an off-grid price made the ladder change its tick, since construction.
    pub fn regrids(&self) -> u64 {
        self.regrids
    }

    /// Removes every level and keeps the tick (O(window / 64 + levels);
    /// keeps the counters).
    pub fn clear(&mut self) {
        for wi in 0..self.words.len() {
            let mut m = self.words[wi];
            while m != 0 {
                let b = m.trailing_zeros() as usize;
                m &= m - 1;
                self.qty[(wi << 6) | b] = Qty::ZERO;
            }
            self.words[wi] = 0;
        }
        self.summary.fill(0);
        self.n_window = 0;
        self.far.clear();
    }

    /// Removes every level and sets the tick (`None`: unknown, taken from the
    /// next price; a zero tick counts as `None`).
    pub fn clear_with_tick(&mut self, tick: Option<Price>) {
        self.clear();
        let t = tick.map_or(0, |p| p.units().max(0) as u64);
        self.set_tick(t);
    }

    fn set_tick(&mut self, tick: u64) {
        debug_assert!(self.n_window == 0);
        // Any divisor of the tick is a valid grid: an odd part so large that
        // the window's span would not fit in 64 bits is dropped (absurd
        // ticks only, e.g. derived from a single huge price).
        let tick = if tick != 0
            && (tick >> tick.trailing_zeros()) > u64::MAX / self.window_ticks() as u64
        {
            1 << tick.trailing_zeros()
        } else {
            tick
        };
        self.tick = tick;
        if tick == 0 {
            self.q_limit = 0;
            return;
        }
        self.tick_tz = tick.trailing_zeros();
        self.tick_low = (1u64 << self.tick_tz) - 1;
        let odd = tick >> self.tick_tz;
        // Newton's iteration for the inverse modulo 2^64 (x = odd is right to 3 bits).
        let mut inv = odd;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inv)));
        }
        debug_assert_eq!(odd.wrapping_mul(inv), 1);
        self.tick_inv = inv;
        self.q_limit = self.mask as u64;
        debug_assert!(self.q_limit <= u64::MAX / odd);
    }

    /// The key of `price` on this side ([`Side::key`]).
    #[inline]
    pub fn key(&self, price: Price) -> i64 {
        self.side.key(price)
    }

    #[inline]
    fn price_of_key(&self, key: i64) -> Price {
        Price::from_units_unchecked(match self.side {
            Side::Bid => key,
            Side::Ask => -key,
        })
    }

    /// Key of logical index `q` (in the window, so it is a valid key).
    #[inline]
    fn key_of(&self, q: usize) -> i64 {
        self.base + (q as i64) * (self.tick as i64)
    }

    #[inline]
    fn slot(&self, q: usize) -> usize {
        (q + self.base_slot) & self.mask
    }

    #[inline]
    fn logical(&self, slot: usize) -> usize {
        slot.wrapping_sub(self.base_slot) & self.mask
    }

    /// Logical window index of `key`, when the window is in use and `key` is
    /// on the grid inside it: a subtraction, a shift, a multiplication (exact
    /// division by the tick via its inverse) and two compares.
    #[inline]
    fn window_index(&self, key: i64) -> Option<usize> {
        if self.n_window == 0 {
            return None;
        }
        let d = key.checked_sub(self.base)?;
        if d < 0 {
            return None;
        }
        let off = d as u64;
        if off & self.tick_low != 0 {
            return None;
        }
        // Exact division: off / tick when tick divides off; otherwise a
        // quotient above u64::MAX / odd, which `q_limit` rejects.
        let q = (off >> self.tick_tz).wrapping_mul(self.tick_inv);
        if q > self.q_limit {
            return None;
        }
        Some(q as usize)
    }

    /// The key ([`Self::key`]) of the best level, `None` when empty; O(1).
    #[inline]
    pub fn best_key(&self) -> Option<i64> {
        if self.n_window > 0 {
            Some(self.key_of(self.best_q))
        } else {
            self.far.best().map(|l| self.key(l.price))
        }
    }

    /// The best level (highest bid / lowest ask), O(1).
    #[inline]
    pub fn best(&self) -> Option<Level> {
        if self.n_window > 0 {
            let q = self.best_q;
            Some(Level {
                price: self.price_of_key(self.key_of(q)),
                qty: self.qty[self.slot(q)],
            })
        } else {
            // The far tier is empty when the window is (invariant).
            self.far.best()
        }
    }

    /// The quantity at `price`, if that level is held.
    pub fn get(&self, price: Price) -> Option<Qty> {
        let key = self.key(price);
        if let Some(q) = self.window_index(key) {
            let v = self.qty[self.slot(q)];
            return if v.is_zero() { None } else { Some(v) };
        }
        self.far.get(price)
    }

    /// The levels, best first.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            l: self,
            front_q: self.best_q,
            back_q: 0,
            window_left: self.n_window,
            far_front: 0,
            far_back: self.far.len(),
        }
    }

    /// Sets the quantity at `price`; a quantity of zero removes the level.
    /// Never allocates.
    #[inline(always)]
    pub fn set(&mut self, price: Price, qty: Qty) -> SetOutcome {
        let key = self.key(price);
        match self.window_index(key) {
            Some(q) => self.set_in_window(q, key, qty),
            None => self.set_slow(price, key, qty),
        }
    }

    #[inline(always)]
    fn set_in_window(&mut self, q: usize, key: i64, qty: Qty) -> SetOutcome {
        let s = self.slot(q);
        let old = self.qty[s];
        if qty.is_zero() {
            if old.is_zero() {
                return SetOutcome::Absent;
            }
            self.qty[s] = Qty::ZERO;
            self.clear_bit(s);
            self.n_window -= 1;
            if q == self.best_q {
                self.after_best_removed();
            }
            return SetOutcome::Removed;
        }
        self.qty[s] = qty;
        if !old.is_zero() {
            return SetOutcome::Updated;
        }
        self.set_bit(s);
        if self.n_window == 0 || q > self.best_q {
            self.best_q = q;
        }
        self.n_window += 1;
        if self.len() > self.max_levels {
            return self.evict_farthest(key);
        }
        debug_assert!(self.len() <= self.max_levels);
        SetOutcome::Inserted
    }

    #[cold]
    #[inline(never)]
    fn set_slow(&mut self, price: Price, key: i64, qty: Qty) -> SetOutcome {
        let units = price.units() as u64;
        if self.tick == 0 || units % self.tick != 0 {
            // Unknown tick or a price off the grid. Every level held is on
            // the grid, so a removal there is a no-op.
            if qty.is_zero() {
                return SetOutcome::Absent;
            }
            let t = gcd(self.tick, units).max(1);
            if self.tick != 0 {
                self.regrids += 1;
            }
            self.regrid(t);
        }
        if self.n_window == 0 {
            // Empty ladder (the far tier is empty when the window is).
            debug_assert!(self.far.is_empty());
            if qty.is_zero() {
                return SetOutcome::Absent;
            }
            self.place_window(key);
            let q = self.index_wide(key);
            return self.set_in_window(q as usize, key, qty);
        }
        let q = self.index_wide(key);
        if q < 0 {
            // Below the window: the far tier.
            let out = self.far.set(price, qty);
            debug_assert!(out != SetOutcome::DroppedBeyondBound);
            if out == SetOutcome::Inserted && self.len() > self.max_levels {
                return self.evict_farthest(key);
            }
            return out;
        }
        if q > self.mask as i128 {
            // Above the window: nothing is held there.
            if qty.is_zero() {
                return SetOutcome::Absent;
            }
            self.reanchors += 1;
            self.move_window(key);
        }
        let q = self.index_wide(key);
        debug_assert!((0..=self.mask as i128).contains(&q));
        self.set_in_window(q as usize, key, qty)
    }

    /// Logical index of an on-grid `key`, any distance from the window
    /// (negative: below it).
    fn index_wide(&self, key: i64) -> i128 {
        // The tick is at most a price, so it fits an i64.
        match key.checked_sub(self.base) {
            Some(d) => d.div_euclid(self.tick as i64) as i128,
            None => (key as i128 - self.base as i128).div_euclid(self.tick as i128),
        }
    }

    /// One level over the bound: evict the farthest; `key` is the level just
    /// inserted.
    fn evict_farthest(&mut self, key: i64) -> SetOutcome {
        self.dropped_beyond_bound += 1;
        let evicted = match self.far.pop_worst() {
            Some(l) => self.key(l.price),
            None => {
                // All in the window, at least two levels: the lowest is not the best.
                let s = self
                    .next_set_circ(self.base_slot)
                    .expect("window holds the levels");
                let q = self.logical(s);
                debug_assert!(q != self.best_q);
                self.qty[s] = Qty::ZERO;
                self.clear_bit(s);
                self.n_window -= 1;
                self.key_of(q)
            }
        };
        debug_assert!(self.len() <= self.max_levels);
        if evicted == key {
            SetOutcome::DroppedBeyondBound
        } else {
            SetOutcome::Inserted
        }
    }

    /// The best window level was removed: find the next one, or refill.
    #[inline]
    fn after_best_removed(&mut self) {
        if self.n_window == 0 {
            if let Some(b) = self.far.best() {
                self.reanchors += 1;
                let k = self.key(b.price);
                self.move_window(k);
            }
            return;
        }
        // Going down (circularly) from the old best, the first level found
        // is the next best: nothing is above the old best.
        let s = self
            .prev_set_circ(self.slot(self.best_q))
            .expect("window not empty");
        self.best_q = self.logical(s);
        if self.best_q < self.window_ticks() / ANCHOR_DEN * LOW_WATER_NUM {
            self.reanchors += 1;
            let k = self.key_of(self.best_q);
            self.move_window(k);
        }
    }

    /// The base (key of logical 0) that puts `top_key` at the anchor point,
    /// clamped to the representable multiples of the tick.
    fn anchored_base(&self, top_key: i64) -> i64 {
        let t = self.tick as i128;
        let at = (self.window_ticks() / ANCHOR_DEN * ANCHOR_NUM) as i128;
        let b = top_key as i128 - at * t;
        // Smallest multiple of the tick that is >= i64::MIN.
        let lowest = -((1i128 << 63) / t) * t;
        b.max(lowest) as i64
    }

    /// Places the window of an empty ladder around `top_key`.
    fn place_window(&mut self, top_key: i64) {
        debug_assert!(self.n_window == 0 && self.tick != 0);
        self.base = self.anchored_base(top_key);
        self.pull_from_far();
    }

    /// Moves the window so that `top_key` (the best key, or a new key above
    /// every level) sits at the anchor point: levels that fall off the low
    /// end go to the far tier; far levels that now fit come in.
    fn move_window(&mut self, top_key: i64) {
        let new_base = self.anchored_base(top_key);
        if self.n_window == 0 {
            self.base = new_base;
            self.pull_from_far();
            return;
        }
        let t = self.tick as i128;
        let delta = (new_base as i128 - self.base as i128) / t;
        let w = self.window_ticks() as i128;
        if delta > 0 {
            // Up: logical [0, delta) leaves, lowest first (each lands on
            // top of the far tier, which is below it).
            let out = delta.min(w) as usize;
            while self.n_window > 0 {
                let s = self
                    .next_set_circ(self.base_slot)
                    .expect("window not empty");
                let q = self.logical(s);
                if q >= out {
                    break;
                }
                self.spill(s, q);
            }
            if self.n_window > 0 {
                self.best_q -= out;
            }
        } else if delta < 0 {
            // Down: the top `-delta` logical slots are above the best, empty.
            debug_assert!(self.best_q as i128 - delta < w);
            self.best_q = (self.best_q as i128 - delta) as usize;
        }
        self.base_slot = ((self.base_slot as i128 + delta).rem_euclid(w)) as usize;
        self.base = new_base;
        self.pull_from_far();
    }

    /// Moves the window level at slot `s` (logical `q`) to the far tier.
    fn spill(&mut self, s: usize, q: usize) {
        let price = self.price_of_key(self.key_of(q));
        let out = self.far.set(price, self.qty[s]);
        debug_assert_eq!(out, SetOutcome::Inserted);
        self.qty[s] = Qty::ZERO;
        self.clear_bit(s);
        self.n_window -= 1;
    }

    /// Pulls the far levels at or above the window's base into the window.
    fn pull_from_far(&mut self) {
        while let Some(b) = self.far.best() {
            let key = self.key(b.price);
            if key < self.base {
                break;
            }
            self.far.pop_best();
            let q = ((key as i128 - self.base as i128) / self.tick as i128) as usize;
            debug_assert!(q <= self.mask);
            let s = self.slot(q);
            debug_assert!(self.qty[s].is_zero());
            self.qty[s] = b.qty;
            self.set_bit(s);
            if self.n_window == 0 || q > self.best_q {
                self.best_q = q;
            }
            self.n_window += 1;
        }
    }

    /// Changes the tick to `tick` (which divides every price held): every
    /// window level goes to the far tier, the window is placed again.
    #[cold]
    fn regrid(&mut self, tick: u64) {
        while self.n_window > 0 {
            let s = self
                .next_set_circ(self.base_slot)
                .expect("window not empty");
            let q = self.logical(s);
            self.spill(s, q);
        }
        self.set_tick(tick);
        self.base_slot = 0;
        if let Some(b) = self.far.best() {
            let k = self.key(b.price);
            self.place_window(k);
        }
    }

    #[inline]
    fn set_bit(&mut self, s: usize) {
        let w = s >> 6;
        self.words[w] |= 1 << (s & 63);
        self.summary[w >> 6] |= 1 << (w & 63);
    }

    #[inline]
    fn clear_bit(&mut self, s: usize) {
        let w = s >> 6;
        self.words[w] &= !(1 << (s & 63));
        if self.words[w] == 0 {
            self.summary[w >> 6] &= !(1 << (w & 63));
        }
    }

    /// Highest set slot `<= s`.
    #[inline]
    fn highest_at_or_below(&self, s: usize) -> Option<usize> {
        let w = s >> 6;
        let m = self.words[w] & (u64::MAX >> (63 - (s & 63)));
        if m != 0 {
            return Some((w << 6) | (63 - m.leading_zeros() as usize));
        }
        if w == 0 {
            return None;
        }
        let w1 = w - 1;
        let mut si = w1 >> 6;
        let mut sm = self.summary[si] & (u64::MAX >> (63 - (w1 & 63)));
        loop {
            if sm != 0 {
                let ww = (si << 6) | (63 - sm.leading_zeros() as usize);
                let m = self.words[ww];
                return Some((ww << 6) | (63 - m.leading_zeros() as usize));
            }
            if si == 0 {
                return None;
            }
            si -= 1;
            sm = self.summary[si];
        }
    }

    /// Lowest set slot `>= s`.
    #[inline]
    fn lowest_at_or_above(&self, s: usize) -> Option<usize> {
        let w = s >> 6;
        let m = self.words[w] & (u64::MAX << (s & 63));
        if m != 0 {
            return Some((w << 6) | m.trailing_zeros() as usize);
        }
        let w1 = w + 1;
        if w1 >= self.words.len() {
            return None;
        }
        let mut si = w1 >> 6;
        let mut sm = self.summary[si] & (u64::MAX << (w1 & 63));
        loop {
            if sm != 0 {
                let ww = (si << 6) | sm.trailing_zeros() as usize;
                return Some((ww << 6) | self.words[ww].trailing_zeros() as usize);
            }
            si += 1;
            if si >= self.summary.len() {
                return None;
            }
            sm = self.summary[si];
        }
    }

    /// First set slot going down from `s` (inclusive), wrapping around.
    #[inline]
    fn prev_set_circ(&self, s: usize) -> Option<usize> {
        self.highest_at_or_below(s)
            .or_else(|| self.highest_at_or_below(self.mask))
    }

    /// First set slot going up from `s` (inclusive), wrapping around.
    #[inline]
    fn next_set_circ(&self, s: usize) -> Option<usize> {
        self.lowest_at_or_above(s)
            .or_else(|| self.lowest_at_or_above(0))
    }

    /// Whole-ladder invariant: bitmap, summary and quantities agree; the best
    /// is the highest window level; every level is on the tick grid; every
    /// window level is above every far level; the far tier is valid and empty
    /// when the window is; within the bound. O(window + levels); for
    /// `debug_assert!` and tests.
    pub fn is_valid(&self) -> bool {
        let mut n = 0usize;
        let mut top: Option<usize> = None;
        for (s, q) in self.qty.iter().enumerate() {
            let bit = self.words[s >> 6] >> (s & 63) & 1 == 1;
            if bit == q.is_zero() {
                return false;
            }
            if bit {
                n += 1;
                let lq = self.logical(s);
                top = Some(top.map_or(lq, |t: usize| t.max(lq)));
            }
        }
        let summary_ok = self
            .words
            .iter()
            .enumerate()
            .all(|(w, &m)| (self.summary[w >> 6] >> (w & 63) & 1 == 1) == (m != 0));
        let on_grid = |l: Level| self.tick != 0 && (l.price.units() as u64) % self.tick == 0;
        let far_below = match self.far.best() {
            None => true,
            Some(b) => self.n_window > 0 && self.key(b.price) < self.base,
        };
        n == self.n_window
            && summary_ok
            && (n == 0 || top == Some(self.best_q))
            && self.iter().all(on_grid)
            && far_below
            && self.far.is_valid()
            && self.len() <= self.max_levels
    }
}

/// Iterator over a [`PriceLadder`]'s levels, best first (see
/// [`PriceLadder::iter`]).
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    l: &'a PriceLadder,
    /// Window levels left are at logical indices in `back_q ..= front_q`.
    front_q: usize,
    back_q: usize,
    window_left: usize,
    /// Far levels left are `far_front .. far_back` (0 = best).
    far_front: usize,
    far_back: usize,
}

impl Iterator for Iter<'_> {
    type Item = Level;

    #[inline]
    fn next(&mut self) -> Option<Level> {
        if self.window_left > 0 {
            let l = self.l;
            let s = l.prev_set_circ(l.slot(self.front_q))?;
            let q = l.logical(s);
            self.window_left -= 1;
            if self.window_left > 0 {
                self.front_q = q - 1;
            }
            return Some(Level {
                price: l.price_of_key(l.key_of(q)),
                qty: l.qty[s],
            });
        }
        if self.far_front < self.far_back {
            self.far_front += 1;
            return self.l.far.level_at(self.far_front - 1);
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.window_left + (self.far_back - self.far_front);
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Level> {
        if self.far_front < self.far_back {
            self.far_back -= 1;
            return self.l.far.level_at(self.far_back);
        }
        if self.window_left > 0 {
            let l = self.l;
            let s = l.next_set_circ(l.slot(self.back_q))?;
            let q = l.logical(s);
            self.window_left -= 1;
            if self.window_left > 0 {
                self.back_q = q + 1;
            }
            return Some(Level {
                price: l.price_of_key(l.key_of(q)),
                qty: l.qty[s],
            });
        }
        None
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests;
