//! The bookTicker oracle: compares the book's top after an applied diff with
//! every `bookTicker` that carries the same update id, whichever arrives
//! first. Both sides are remembered in small fixed rings (the last
//! [`TOP_CHECK_RING`] of each), so memory is bounded and nothing allocates
//! after construction. Used by tests and by replay reports
//! (`book.<SYMBOL>.{checked,mismatches}`).

use crate::binance::fast::{BookTicker, Level};

/// How many recent tickers and recent book tops are remembered (entries each).
pub const TOP_CHECK_RING: usize = 256;

/// A top of book at one update id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Top {
    /// Update id (`u`).
    pub update_id: u64,
    /// Best bid.
    pub bid: Option<Level>,
    /// Best ask.
    pub ask: Option<Level>,
}

impl Top {
    fn of_ticker(t: &BookTicker) -> Top {
        Top {
            update_id: t.update_id,
            bid: Some(Level {
                price: t.bid,
                qty: t.bid_qty,
            }),
            ask: Some(Level {
                price: t.ask,
                qty: t.ask_qty,
            }),
        }
    }
}

#[derive(Debug, Clone)]
struct Ring {
    items: [Top; TOP_CHECK_RING],
    next: usize,
    len: usize,
}

impl Ring {
    fn new() -> Ring {
        Ring {
            items: [Top::default(); TOP_CHECK_RING],
            next: 0,
            len: 0,
        }
    }
    fn push(&mut self, t: Top) {
        self.items[self.next] = t;
        self.next = (self.next + 1) % TOP_CHECK_RING;
        self.len = (self.len + 1).min(TOP_CHECK_RING);
    }
    /// Newest entry with this update id. Update ids only grow along a
    /// stream, so the walk from the newest entry stops at the first older
    /// id: a hit or a miss costs a step or two, not a scan of the ring.
    fn find(&self, update_id: u64) -> Option<Top> {
        for back in 1..=self.len {
            let t = self.items[(self.next + TOP_CHECK_RING - back) % TOP_CHECK_RING];
            if t.update_id == update_id {
                return Some(t);
            }
            if t.update_id < update_id {
                return None;
            }
        }
        None
    }
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct TopCheck {
    tickers: Ring,
    tops: Ring,
    /// Comparisons made.
    pub checked: u64,
    /// Comparisons that differed (price or quantity, either side).
    pub mismatches: u64,
    /// The first mismatch seen: (ticker, book top).
    pub first_mismatch: Option<(Top, Top)>,
}

impl Default for TopCheck {
    fn default() -> Self {
        TopCheck::new()
    }
}

impl TopCheck {
    /// Empty rings, zero counts.
    pub fn new() -> TopCheck {
        TopCheck {
            tickers: Ring::new(),
            tops: Ring::new(),
            checked: 0,
            mismatches: 0,
            first_mismatch: None,
        }
    }

    /// A bookTicker arrived.
    pub fn on_ticker(&mut self, t: &BookTicker) {
        let tick = Top::of_ticker(t);
        self.tickers.push(tick);
        if let Some(top) = self.tops.find(t.update_id) {
            self.compare(tick, top);
        }
    }

    /// A diff ending at `update_id` was applied and the book's top is now
    /// `bid` / `ask`.
    pub fn on_applied(&mut self, update_id: u64, bid: Option<Level>, ask: Option<Level>) {
        let top = Top {
            update_id,
            bid,
            ask,
        };
        self.tops.push(top);
        if let Some(tick) = self.tickers.find(update_id) {
            self.compare(tick, top);
        }
    }

    fn compare(&mut self, tick: Top, top: Top) {
        self.checked += 1;
        if tick != top {
            self.mismatches += 1;
            if self.first_mismatch.is_none() {
                self.first_mismatch = Some((tick, top));
            }
        }
    }
}
