//! The sim's own L2 book: a plain `BTreeMap` per side, written independently
//! of kairos's `book` module so that the sim checks the client rather than
//! agreeing with it by construction.

use crate::num::{Price, Qty};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Levels in a REST depth answer when `limit` is not given.
pub const DEPTH_LIMIT_DEFAULT: usize = 100;
/// Most levels per side in a REST depth answer (a larger `limit` is cut to it).
pub const DEPTH_LIMIT_MAX: usize = 5000;
/// Most diffs kept while a book waits for its snapshot record (older ones are
/// forgotten: a snapshot that far behind the stream could not use them).
pub const MAX_PENDING_DIFFS: usize = 100_000;

/// Why a diff or snapshot could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// The body is not the expected JSON.
    #[error("bad JSON: {0}")]
    Json(String),
    /// A price or quantity is not a Binance decimal.
    #[error("bad decimal {0:?}")]
    Decimal(String),
}

#[derive(Deserialize)]
struct DiffBody {
    #[serde(rename = "U")]
    first: u64,
    #[serde(rename = "u")]
    last: u64,
    b: Vec<(String, String)>,
    a: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct SnapshotBody {
    #[serde(rename = "lastUpdateId")]
    last_update_id: u64,
    bids: Vec<(String, String)>,
    asks: Vec<(String, String)>,
}

/// What [`SimBook::apply_diff`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The diff changed the book; `lastUpdateId` is now its `u`.
    Applied,
    /// The book has no start state yet (waiting for a snapshot record); the
    /// diff is kept and applied after the snapshot if it is newer.
    NotReady,
    /// `u` is not above the book's `lastUpdateId` (older than the snapshot).
    Stale,
}

/// One symbol's book.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimBook {
    bids: BTreeMap<Price, Qty>,
    asks: BTreeMap<Price, Qty>,
    last_update_id: u64,
    ready: bool,
    /// Diffs (body, offset) seen while not ready, in order.
    pending: Vec<(Vec<u8>, u64)>,
}

fn parse_levels(levels: &[(String, String)]) -> Result<Vec<(Price, Qty)>, BookError> {
    levels
        .iter()
        .map(|(p, q)| {
            let price = Price::parse(p).map_err(|_| BookError::Decimal(p.clone()))?;
            let qty = Qty::parse(q).map_err(|_| BookError::Decimal(q.clone()))?;
            Ok((price, qty))
        })
        .collect()
}

fn set_levels(side: &mut BTreeMap<Price, Qty>, levels: Vec<(Price, Qty)>) {
    for (p, q) in levels {
        if q.is_zero() {
            side.remove(&p);
        } else {
            side.insert(p, q);
        }
    }
}

impl SimBook {
    /// An empty book that is not ready (its start state is a snapshot record still to come).
    pub fn waiting() -> SimBook {
        SimBook::default()
    }

    /// An empty, ready book whose `lastUpdateId` is `last_update_id` (a source
    /// without snapshots: the first diff's `U` − 1).
    pub fn empty_at(last_update_id: u64) -> SimBook {
        SimBook {
            last_update_id,
            ready: true,
            ..SimBook::default()
        }
    }

    /// Whether the book has a start state.
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// The id of the last change applied.
    pub fn last_update_id(&self) -> u64 {
        self.last_update_id
    }

    /// Levels per side (bids, asks).
    pub fn depth(&self) -> (usize, usize) {
        (self.bids.len(), self.asks.len())
    }

    /// Replaces the book with a REST snapshot body, its `lastUpdateId` plus
    /// `offset`, then applies the diffs that came before it in the source but
    /// are newer than it, as a client syncing from this snapshot would (a
    /// recorder's snapshot usually lands in the middle of the diff stream).
    /// Returns how many of those diffs were applied.
    pub fn apply_snapshot(&mut self, body: &[u8], offset: u64) -> Result<usize, BookError> {
        let s: SnapshotBody =
            serde_json::from_slice(body).map_err(|e| BookError::Json(e.to_string()))?;
        let bids = parse_levels(&s.bids)?;
        let asks = parse_levels(&s.asks)?;
        self.bids.clear();
        self.asks.clear();
        set_levels(&mut self.bids, bids);
        set_levels(&mut self.asks, asks);
        self.last_update_id = s.last_update_id.saturating_add(offset);
        self.ready = true;
        let mut applied = 0;
        for (diff, off) in std::mem::take(&mut self.pending) {
            if self.apply_diff(&diff, off)? == Applied::Applied {
                applied += 1;
            }
        }
        Ok(applied)
    }

    /// Applies a depthUpdate body whose ids are shifted by `offset`.
    ///
    /// The sim applies every diff newer than its book, gap or not: what it
    /// serves must be consistent with the diffs it sent, not with a market
    /// the recorder may have missed part of.
    pub fn apply_diff(&mut self, body: &[u8], offset: u64) -> Result<Applied, BookError> {
        let d: DiffBody =
            serde_json::from_slice(body).map_err(|e| BookError::Json(e.to_string()))?;
        if !self.ready {
            if self.pending.len() >= MAX_PENDING_DIFFS {
                self.pending.remove(0);
            }
            self.pending.push((body.to_vec(), offset));
            return Ok(Applied::NotReady);
        }
        let last = d.last.saturating_add(offset);
        debug_assert!(d.first <= d.last, "diff U > u");
        if last <= self.last_update_id {
            return Ok(Applied::Stale);
        }
        let bids = parse_levels(&d.b)?;
        let asks = parse_levels(&d.a)?;
        set_levels(&mut self.bids, bids);
        set_levels(&mut self.asks, asks);
        self.last_update_id = last;
        Ok(Applied::Applied)
    }

    /// The best `n` levels of one side, best first: bids for `Buy`, asks for `Sell`.
    pub fn levels(&self, side: crate::binance::types::Side, n: usize) -> Vec<(Price, Qty)> {
        match side {
            crate::binance::types::Side::Buy => self
                .bids
                .iter()
                .rev()
                .take(n)
                .map(|(p, q)| (*p, *q))
                .collect(),
            crate::binance::types::Side::Sell => {
                self.asks.iter().take(n).map(|(p, q)| (*p, *q)).collect()
            }
        }
    }

    /// The REST depth body for the best `limit` levels per side, decimals
    /// printed with eight places as Binance prints them.
    pub fn snapshot_json(&self, limit: usize) -> String {
        let mut out = String::with_capacity(64 + 48 * limit.min(self.bids.len() + self.asks.len()));
        let _ = write!(out, "{{\"lastUpdateId\":{},\"bids\":[", self.last_update_id);
        write_side(&mut out, self.bids.iter().rev().take(limit));
        out.push_str("],\"asks\":[");
        write_side(&mut out, self.asks.iter().take(limit));
        out.push_str("]}");
        out
    }
}

fn write_side<'a>(out: &mut String, levels: impl Iterator<Item = (&'a Price, &'a Qty)>) {
    for (i, (p, q)) in levels.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "[\"{p}\",\"{q}\"]");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(b: &SimBook, limit: usize) -> serde_json::Value {
        serde_json::from_str(&b.snapshot_json(limit)).unwrap()
    }

    #[test]
    fn snapshot_then_diffs() {
        let mut b = SimBook::waiting();
        let diff = br#"{"e":"depthUpdate","U":11,"u":12,"b":[["1.5","2"]],"a":[]}"#;
        let stale = br#"{"U":9,"u":10,"b":[["1.00","0"]],"a":[]}"#;
        assert_eq!(b.apply_diff(stale, 0), Ok(Applied::NotReady));
        assert_eq!(b.apply_diff(diff, 0), Ok(Applied::NotReady));
        // The snapshot lands after both in the source: the newer one is applied.
        let n = b
            .apply_snapshot(
                br#"{"lastUpdateId":10,"bids":[["1.00","1.0"],["0.90","3"]],"asks":[["2.0","4"]]}"#,
                0,
            )
            .unwrap();
        assert_eq!(n, 1);
        assert!(b.is_ready());
        assert_eq!(b.last_update_id(), 12);
        assert_eq!(b.apply_diff(stale, 0), Ok(Applied::Stale));
        assert_eq!(b.apply_diff(diff, 0), Ok(Applied::Stale));
        let del = br#"{"U":13,"u":13,"b":[["0.9","0.00000000"]],"a":[["2.5","1"]]}"#;
        assert_eq!(b.apply_diff(del, 0), Ok(Applied::Applied));
        assert_eq!(b.last_update_id(), 13);
        let v = snap(&b, 100);
        assert_eq!(v["lastUpdateId"], 13);
        assert_eq!(
            v["bids"],
            serde_json::json!([["1.50000000", "2.00000000"], ["1.00000000", "1.00000000"]])
        );
        assert_eq!(
            v["asks"],
            serde_json::json!([["2.00000000", "4.00000000"], ["2.50000000", "1.00000000"]])
        );
        let top = snap(&b, 1);
        assert_eq!(top["bids"].as_array().unwrap().len(), 1);
        assert_eq!(top["asks"][0][0], "2.00000000");
    }

    #[test]
    fn empty_start_and_offset() {
        let mut b = SimBook::empty_at(99);
        assert!(b.is_ready());
        let d = br#"{"U":100,"u":101,"b":[],"a":[["3","1"]]}"#;
        assert_eq!(b.apply_diff(d, 1000), Ok(Applied::Applied));
        assert_eq!(b.last_update_id(), 1101);
        assert_eq!(b.depth(), (0, 1));
        let mut s = SimBook::waiting();
        s.apply_snapshot(br#"{"lastUpdateId":5,"bids":[],"asks":[]}"#, 7)
            .unwrap();
        assert_eq!(s.last_update_id(), 12);
    }

    #[test]
    fn bad_input_is_an_error() {
        let mut b = SimBook::empty_at(0);
        assert!(matches!(b.apply_diff(b"{", 0), Err(BookError::Json(_))));
        let bad = br#"{"U":1,"u":1,"b":[["x","1"]],"a":[]}"#;
        assert!(matches!(b.apply_diff(bad, 0), Err(BookError::Decimal(_))));
        assert_eq!(b.last_update_id(), 0);
    }
}
