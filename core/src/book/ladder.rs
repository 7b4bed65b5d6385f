//! One side of an L2 book: a bounded, pre-allocated, sorted array of price
//! levels with the best level at the high end.
//!
//! Layout: `slots[lo..hi]` holds the levels sorted by an ascending `key`
//! (bids: `key = price`; asks: `key = -price`), so the best level is always
//! `slots[hi - 1]` on both sides and reading the top of book is O(1).
//! The array is twice as long as the bound, and the occupied window floats
//! inside it: an insert or a removal shifts whichever part of the window is
//! shorter (levels near the top move toward the free room above the window,
//! far levels toward the free room below it), and evicting the farthest level
//! is `lo += 1`. When the side that should move has no room left, the window
//! is moved back to the middle once (O(len)), which buys at least
//! `max_levels / 2` further shifts in that direction.
//!
//! A lookup scans the [`LINEAR_SCAN_LEVELS`] levels nearest the top first
//! (where almost all updates land) and binary-searches the rest.
//!
//! Bound: at most `max_levels` levels are kept. A new level beyond the
//! farthest kept one while full is dropped; a new level inside the kept range
//! while full evicts the farthest one. Both are counted in
//! [`Ladder::dropped_beyond_bound`]. The kept levels are the best
//! `max_levels` the book has been told about, so the top stays exact; only
//! when so many top levels are removed that the book falls through to prices
//! it dropped can its far end miss a level (a resync restores it).

use crate::binance::fast::Level;
use crate::num::{Price, Qty};

/// How many levels nearest the top a lookup scans one by one before falling
/// back to a binary search (levels).
pub const LINEAR_SCAN_LEVELS: usize = 16;

/// Which side of the book a ladder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Bids: best is the highest price.
    Bid,
    /// Asks: best is the lowest price.
    Ask,
}

impl Side {
    /// The key of `price` on this side: the price for bids, its negation
    /// for asks, so that the better of two levels has the higher key.
    #[inline(always)]
    pub const fn key(self, price: Price) -> i64 {
        match self {
            Side::Bid => price.units(),
            // Prices are never negative, so the negation cannot overflow.
            Side::Ask => -price.units(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// `price` for bids, `-price` for asks: ascending, best last.
    key: i64,
    qty: Qty,
}

/// What [`Ladder::set`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    /// A new level was inserted.
    Inserted,
    /// An existing level's quantity changed.
    Updated,
    /// An existing level was removed (quantity 0).
    Removed,
    /// Quantity 0 for a price not in the ladder: nothing to do.
    Absent,
    /// A new level beyond the farthest kept one while full: dropped.
    DroppedBeyondBound,
}

/// One side of the book (see the module docs).
#[derive(Debug, Clone)]
pub struct Ladder {
    side: Side,
    slots: Box<[Slot]>,
    lo: usize,
    hi: usize,
    max_levels: usize,
    dropped_beyond_bound: u64,
}

impl Ladder {
    /// An empty ladder for `side` holding at most `max_levels` (≥ 1) levels;
    /// allocates its `2 × max_levels` slots once, here.
    pub fn new(side: Side, max_levels: usize) -> Ladder {
        let max_levels = max_levels.max(1);
        let cap = 2 * max_levels;
        let mut slots = vec![Slot::default(); cap].into_boxed_slice();
        super::prefault(&mut slots);
        Ladder {
            side,
            slots,
            lo: cap / 2,
            hi: cap / 2,
            max_levels,
            dropped_beyond_bound: 0,
        }
    }

    /// Which side this is.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The bound on the number of levels kept.
    pub fn max_levels(&self) -> usize {
        self.max_levels
    }

    /// Number of levels held.
    #[inline]
    pub fn len(&self) -> usize {
        self.hi - self.lo
    }

    /// Whether no level is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.hi == self.lo
    }

    /// Levels dropped or evicted because of the bound, since construction.
    pub fn dropped_beyond_bound(&self) -> u64 {
        self.dropped_beyond_bound
    }

    /// Removes every level (O(1); keeps the counters).
    pub fn clear(&mut self) {
        self.lo = self.slots.len() / 2;
        self.hi = self.lo;
    }

    #[inline]
    fn key(&self, price: Price) -> i64 {
        self.side.key(price)
    }

    #[inline]
    fn level(&self, s: Slot) -> Level {
        let units = match self.side {
            Side::Bid => s.key,
            Side::Ask => -s.key,
        };
        Level {
            price: Price::from_units_unchecked(units),
            qty: s.qty,
        }
    }

    /// The best level (highest bid / lowest ask), O(1).
    #[inline]
    pub fn best(&self) -> Option<Level> {
        if self.is_empty() {
            None
        } else {
            Some(self.level(self.slots[self.hi - 1]))
        }
    }

    /// The worst (farthest) level held, O(1).
    #[inline]
    pub fn worst(&self) -> Option<Level> {
        if self.is_empty() {
            None
        } else {
            Some(self.level(self.slots[self.lo]))
        }
    }

    /// The `i`-th best level (`0` is the best), O(1).
    #[inline]
    pub fn level_at(&self, i: usize) -> Option<Level> {
        if i < self.len() {
            Some(self.level(self.slots[self.hi - 1 - i]))
        } else {
            None
        }
    }

    /// Removes and returns the best level, O(1).
    #[inline]
    pub fn pop_best(&mut self) -> Option<Level> {
        let l = self.best()?;
        self.hi -= 1;
        Some(l)
    }

    /// Removes and returns the worst (farthest) level, O(1). Not counted in
    /// [`Ladder::dropped_beyond_bound`]: the caller decides what it means.
    #[inline]
    pub fn pop_worst(&mut self) -> Option<Level> {
        let l = self.worst()?;
        self.lo += 1;
        Some(l)
    }

    /// The levels, best first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Level> + ExactSizeIterator + '_ {
        self.slots[self.lo..self.hi]
            .iter()
            .rev()
            .map(move |&s| self.level(s))
    }

    /// The quantity at `price`, if that level is held.
    pub fn get(&self, price: Price) -> Option<Qty> {
        match self.find(self.key(price)) {
            Ok(i) => Some(self.slots[i].qty),
            Err(_) => None,
        }
    }

    /// `Ok(index)` of `key`, or `Err(index)` where it would be inserted
    /// (`slots[lo..index] < key < slots[index..hi]`).
    #[inline]
    fn find(&self, key: i64) -> Result<usize, usize> {
        let mut i = self.hi;
        let scan_end = self.hi - self.len().min(LINEAR_SCAN_LEVELS);
        while i > scan_end {
            let k = self.slots[i - 1].key;
            if k == key {
                return Ok(i - 1);
            }
            if k < key {
                return Err(i);
            }
            i -= 1;
        }
        match self.slots[self.lo..scan_end].binary_search_by(|s| s.key.cmp(&key)) {
            Ok(j) => Ok(self.lo + j),
            Err(j) => Err(self.lo + j),
        }
    }

    /// Sets the quantity at `price`; a quantity of zero removes the level.
    /// Never allocates.
    #[inline]
    pub fn set(&mut self, price: Price, qty: Qty) -> SetOutcome {
        let key = self.key(price);
        let out = match self.find(key) {
            Ok(i) => {
                if qty.is_zero() {
                    self.remove_at(i);
                    SetOutcome::Removed
                } else {
                    self.slots[i].qty = qty;
                    SetOutcome::Updated
                }
            }
            Err(_) if qty.is_zero() => SetOutcome::Absent,
            Err(mut p) => {
                if self.len() >= self.max_levels {
                    if p == self.lo {
                        self.dropped_beyond_bound += 1;
                        return SetOutcome::DroppedBeyondBound;
                    }
                    // Evict the farthest level to make room.
                    self.lo += 1;
                    self.dropped_beyond_bound += 1;
                    debug_assert!(p >= self.lo);
                }
                p = self.insert_at(p, Slot { key, qty });
                self.debug_check_around(p);
                SetOutcome::Inserted
            }
        };
        debug_assert!(self.len() <= self.max_levels);
        out
    }

    /// Inserts at window position `p`, returning the slot index used.
    #[inline]
    fn insert_at(&mut self, mut p: usize, slot: Slot) -> usize {
        let tail = self.hi - p;
        let head = p - self.lo;
        let cap = self.slots.len();
        if tail <= head {
            if self.hi == cap {
                p = self.recenter(p);
            }
            self.slots.copy_within(p..self.hi, p + 1);
            self.slots[p] = slot;
            self.hi += 1;
            p
        } else {
            if self.lo == 0 {
                p = self.recenter(p);
            }
            self.slots.copy_within(self.lo..p, self.lo - 1);
            self.lo -= 1;
            self.slots[p - 1] = slot;
            p - 1
        }
    }

    /// Moves the window to the middle of the array; returns `p` moved along.
    #[cold]
    fn recenter(&mut self, p: usize) -> usize {
        let len = self.len();
        // len < max_levels here and the array holds 2 × max_levels slots,
        // so both ends get at least one free slot.
        debug_assert!(len < self.max_levels);
        let new_lo = (self.slots.len() - len) / 2;
        self.slots.copy_within(self.lo..self.hi, new_lo);
        let p = p - self.lo + new_lo;
        self.lo = new_lo;
        self.hi = new_lo + len;
        debug_assert!(self.lo > 0 && self.hi < self.slots.len());
        p
    }

    #[inline]
    fn remove_at(&mut self, i: usize) {
        if self.hi - 1 - i <= i - self.lo {
            self.slots.copy_within(i + 1..self.hi, i);
            self.hi -= 1;
        } else {
            self.slots.copy_within(self.lo..i, self.lo + 1);
            self.lo += 1;
        }
    }

    /// Checks order and non-zero quantity next to slot `i` (the neighbours of
    /// a fresh insert); with every edit checked this way the whole ladder stays
    /// sorted by induction.
    #[inline]
    fn debug_check_around(&self, i: usize) {
        debug_assert!(!self.slots[i].qty.is_zero(), "zero-quantity level stored");
        debug_assert!(
            i == self.lo || self.slots[i - 1].key < self.slots[i].key,
            "{:?} ladder out of order below slot {i}",
            self.side
        );
        debug_assert!(
            i + 1 == self.hi || self.slots[i].key < self.slots[i + 1].key,
            "{:?} ladder out of order above slot {i}",
            self.side
        );
    }

    /// Whole-ladder invariant: strictly ordered (bids strictly descending and
    /// asks strictly ascending in price from the best), no zero quantity,
    /// within the bound. O(len); for `debug_assert!` and tests.
    pub fn is_valid(&self) -> bool {
        let w = &self.slots[self.lo..self.hi];
        w.len() <= self.max_levels
            && w.iter().all(|s| !s.qty.is_zero())
            && w.windows(2).all(|p| p[0].key < p[1].key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: i64) -> Price {
        Price::from_units(x).unwrap()
    }
    fn q(x: i64) -> Qty {
        Qty::from_units(x).unwrap()
    }
    fn prices(l: &Ladder) -> Vec<i64> {
        l.iter().map(|v| v.price.units()).collect()
    }

    #[test]
    fn bids_descend_asks_ascend_from_best() {
        let mut b = Ladder::new(Side::Bid, 8);
        let mut a = Ladder::new(Side::Ask, 8);
        for x in [5, 1, 9, 3, 7] {
            b.set(p(x), q(1));
            a.set(p(x), q(1));
        }
        assert_eq!(prices(&b), vec![9, 7, 5, 3, 1]);
        assert_eq!(prices(&a), vec![1, 3, 5, 7, 9]);
        assert_eq!(b.best().unwrap().price, p(9));
        assert_eq!(a.best().unwrap().price, p(1));
        assert!(b.is_valid() && a.is_valid());
    }

    #[test]
    fn zero_removes_update_replaces() {
        let mut b = Ladder::new(Side::Bid, 8);
        assert_eq!(b.set(p(5), q(0)), SetOutcome::Absent);
        assert_eq!(b.set(p(5), q(2)), SetOutcome::Inserted);
        assert_eq!(b.set(p(5), q(3)), SetOutcome::Updated);
        assert_eq!(b.get(p(5)), Some(q(3)));
        assert_eq!(b.set(p(5), q(0)), SetOutcome::Removed);
        assert!(b.is_empty());
        assert_eq!(b.best(), None);
    }

    #[test]
    fn bound_drops_the_farthest_only() {
        let mut b = Ladder::new(Side::Bid, 3);
        for x in [10, 9, 8] {
            b.set(p(x), q(1));
        }
        // Beyond the farthest while full: dropped.
        assert_eq!(b.set(p(7), q(1)), SetOutcome::DroppedBeyondBound);
        // Better than the farthest: the farthest (8) is evicted.
        assert_eq!(b.set(p(11), q(1)), SetOutcome::Inserted);
        assert_eq!(prices(&b), vec![11, 10, 9]);
        assert_eq!(b.set(p(95), q(1)), SetOutcome::Inserted);
        assert_eq!(prices(&b), vec![95, 11, 10]);
        // Removing a level that was dropped is a no-op.
        assert_eq!(b.set(p(8), q(0)), SetOutcome::Absent);
        assert_eq!(b.dropped_beyond_bound(), 3);
        assert!(b.is_valid());
    }

    #[test]
    fn window_recenters_under_one_sided_pressure() {
        // Many inserts at the top, then many at the bottom, then removals:
        // compare against a plain sorted Vec model.
        let mut l = Ladder::new(Side::Ask, 64);
        let mut model: Vec<i64> = Vec::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for step in 0..20_000u64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let price = 1 + (seed % 200) as i64;
            let qty = if step % 3 == 0 {
                0
            } else {
                1 + (seed >> 40) as i64 % 5
            };
            l.set(p(price), q(qty));
            if qty == 0 {
                model.retain(|&x| x != price);
            } else if !model.contains(&price) {
                model.push(price);
                model.sort_unstable();
                if model.len() > 64 {
                    model.pop(); // asks: the farthest is the highest price
                }
            }
            assert!(l.is_valid());
            assert_eq!(prices(&l), model);
        }
    }
}
