//! The bounded, pre-allocated buffer of diff events (and their levels) held
//! while the book waits for a snapshot.
//!
//! Two rings: one of event headers, one of levels (bids then asks of each
//! event, contiguous modulo the ring length). Pushing when either ring lacks
//! room drops the oldest events until it fits; an event with more levels than
//! the whole level ring empties the buffer and is dropped itself (nothing
//! older can be bridged across it). Every dropped event is counted by the
//! caller from the value [`DiffBuffer::push`] returns.

use crate::binance::fast::{DepthUpdate, Level};

/// One buffered event: its update-id range and where its levels are.
#[derive(Debug, Clone, Copy, Default)]
pub struct Buffered {
    /// First update id (`U`).
    pub first_update_id: u64,
    /// Final update id (`u`).
    pub final_update_id: u64,
    /// Index of its first level in the level ring (monotonic counter).
    start: u64,
    /// Number of bid levels (they come first).
    n_bids: u32,
    /// Number of ask levels.
    n_asks: u32,
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct DiffBuffer {
    events: Box<[Buffered]>,
    ev_head: usize,
    ev_len: usize,
    levels: Box<[Level]>,
    /// Monotonic index of the oldest stored level.
    lv_head: u64,
    lv_len: usize,
}

impl DiffBuffer {
    /// Room for `max_events` events and `max_levels` levels in all (each ≥ 1),
    /// allocated once, here.
    pub fn new(max_events: usize, max_levels: usize) -> DiffBuffer {
        let mut events = vec![Buffered::default(); max_events.max(1)].into_boxed_slice();
        let mut levels = vec![Level::default(); max_levels.max(1)].into_boxed_slice();
        super::prefault(&mut events);
        super::prefault(&mut levels);
        DiffBuffer {
            events,
            ev_head: 0,
            ev_len: 0,
            levels,
            lv_head: 0,
            lv_len: 0,
        }
    }

    /// Number of events held.
    pub fn len(&self) -> usize {
        self.ev_len
    }

    /// Whether no event is held.
    pub fn is_empty(&self) -> bool {
        self.ev_len == 0
    }

    /// Drops every event.
    pub fn clear(&mut self) {
        self.ev_len = 0;
        self.lv_head += self.lv_len as u64;
        self.lv_len = 0;
    }

    /// Appends an event; returns how many events were dropped to make room
    /// (the oldest ones, or everything including this one when it alone is
    /// larger than the level ring).
    pub fn push(&mut self, ev: &DepthUpdate, bids: &[Level], asks: &[Level]) -> u64 {
        let n = bids.len() + asks.len();
        if n > self.levels.len() || bids.len() > u32::MAX as usize || asks.len() > u32::MAX as usize
        {
            let dropped = self.ev_len as u64 + 1;
            self.clear();
            return dropped;
        }
        let mut dropped = 0;
        while self.ev_len == self.events.len() || self.levels.len() - self.lv_len < n {
            self.pop_front();
            dropped += 1;
        }
        let start = self.lv_head + self.lv_len as u64;
        let cap = self.levels.len() as u64;
        for (j, l) in bids.iter().chain(asks).enumerate() {
            self.levels[((start + j as u64) % cap) as usize] = *l;
        }
        self.lv_len += n;
        let slot = (self.ev_head + self.ev_len) % self.events.len();
        self.events[slot] = Buffered {
            first_update_id: ev.first_update_id,
            final_update_id: ev.final_update_id,
            start,
            n_bids: bids.len() as u32,
            n_asks: asks.len() as u32,
        };
        self.ev_len += 1;
        dropped
    }

    /// The oldest event, if any.
    pub fn front(&self) -> Option<Buffered> {
        if self.ev_len == 0 {
            None
        } else {
            Some(self.events[self.ev_head])
        }
    }

    /// Removes the oldest event and frees its levels.
    pub fn pop_front(&mut self) -> Option<Buffered> {
        let ev = self.front()?;
        self.ev_head = (self.ev_head + 1) % self.events.len();
        self.ev_len -= 1;
        let n = ev.n_bids as usize + ev.n_asks as usize;
        debug_assert_eq!(ev.start, self.lv_head, "level ring out of step");
        self.lv_head += n as u64;
        self.lv_len -= n;
        Some(ev)
    }

    /// The bid levels of a buffered event (valid until it is popped).
    pub fn bids(&self, ev: &Buffered) -> impl Iterator<Item = Level> + '_ {
        self.range(ev.start, ev.n_bids as usize)
    }

    /// The ask levels of a buffered event (valid until it is popped).
    pub fn asks(&self, ev: &Buffered) -> impl Iterator<Item = Level> + '_ {
        self.range(ev.start + u64::from(ev.n_bids), ev.n_asks as usize)
    }

    fn range(&self, start: u64, n: usize) -> impl Iterator<Item = Level> + '_ {
        let cap = self.levels.len() as u64;
        (0..n as u64).map(move |j| self.levels[((start + j) % cap) as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binance::fast::Symbol;
    use crate::num::{Price, Qty};

    fn ev(first: u64, last: u64) -> DepthUpdate {
        DepthUpdate {
            event_time_ms: 0,
            symbol: Symbol::new(b"BTCUSDT").unwrap(),
            first_update_id: first,
            final_update_id: last,
        }
    }
    fn lv(x: i64) -> Level {
        Level {
            price: Price::from_units(x).unwrap(),
            qty: Qty::from_units(1).unwrap(),
        }
    }

    #[test]
    fn drops_oldest_when_events_or_levels_run_out() {
        let mut b = DiffBuffer::new(3, 5);
        assert_eq!(b.push(&ev(1, 1), &[lv(1)], &[lv(2)]), 0);
        assert_eq!(b.push(&ev(2, 2), &[lv(3)], &[]), 0);
        assert_eq!(b.push(&ev(3, 3), &[], &[lv(4)]), 0);
        // Event ring full: the oldest goes.
        assert_eq!(b.push(&ev(4, 4), &[], &[]), 1);
        assert_eq!(b.front().unwrap().first_update_id, 2);
        // Level ring (5) holds 2 now; 4 more need one event (one level) dropped.
        assert_eq!(b.push(&ev(5, 5), &[lv(5), lv(6)], &[lv(7), lv(8)]), 1);
        assert_eq!(b.pop_front().unwrap().first_update_id, 3);
        assert_eq!(b.pop_front().unwrap().first_update_id, 4);
        let f = b.front().unwrap();
        let bids: Vec<_> = b.bids(&f).map(|l| l.price.units()).collect();
        let asks: Vec<_> = b.asks(&f).map(|l| l.price.units()).collect();
        assert_eq!((bids, asks), (vec![5, 6], vec![7, 8]));
        // Larger than the whole ring: everything goes, itself included.
        let big = [lv(1); 6];
        assert_eq!(b.push(&ev(6, 6), &big, &[]), 2);
        assert!(b.is_empty());
    }
}
