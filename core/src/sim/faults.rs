//! Fault injection: the configuration ([`Faults`]) and the per-connection
//! schedule ([`ConnFaults`]) that turns each outgoing market frame into the
//! actions the connection performs. Pure logic, no I/O, so the schedules
//! are unit-tested exactly.

use std::time::Duration;

/// Size of the oversized frame, in bytes (20 MiB).
pub const OVERSIZED_FRAME_BYTES: usize = 20 << 20;

/// Faults to inject. `None` / zero means off. Counts are 1-based: "every 3"
/// acts on the 3rd, 6th, … item of a connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Close every connection this long after it opened (abrupt TCP close).
    pub disconnect_every: Option<Duration>,
    /// Close a connection right after its Nth market message.
    pub disconnect_after: Option<u64>,
    /// Leave out every Nth diff-depth event of a connection.
    pub drop_diff_every: Option<u64>,
    /// Send every Nth diff-depth event of a connection twice.
    pub dup_diff_every: Option<u64>,
    /// Swap every Nth diff-depth event of a connection with the next diff.
    pub reorder_diff_every: Option<u64>,
    /// After a connection's Nth market message, send nothing for `stall_for`
    /// (once per connection; the connection stays open, frames queue up).
    pub stall_after: Option<u64>,
    /// How long a stall lasts.
    pub stall_for: Duration,
    /// Instead of a connection's Nth market message, write part of its
    /// WebSocket frame, then close the TCP connection.
    pub truncate_every: Option<u64>,
    /// Before every Nth market message, send a text frame of broken JSON.
    pub malformed_every: Option<u64>,
    /// Before every Nth market message, send a text frame of
    /// [`OVERSIZED_FRAME_BYTES`] (valid JSON).
    pub oversized_every: Option<u64>,
    /// Delay before every REST answer.
    pub rest_delay: Duration,
    /// Answer the first N depth requests (after the 418s) with HTTP 429.
    pub rest_429_first: u32,
    /// `Retry-After` of those 429s.
    pub retry_after: Duration,
    /// Answer the first N depth requests with HTTP 418 (IP ban).
    pub rest_418_first: u32,
    /// `Retry-After` of those 418s (the ban's length).
    pub ban_for: Duration,
}

/// Faults of the WS-API side (`/ws-api/v3`), on order requests
/// (`order.place`, `order.cancelReplace`) only. Zero / `None` means off.
/// Counts are 1-based and over the whole sim (every connection).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WsApiFaults {
    /// Answer the first N order requests (after the 418s) with status 429,
    /// -1015, `retryAfter` = now + `retry_after`; the order is not placed.
    pub order_429_first: u32,
    /// `retryAfter` of those 429s, from the moment of the answer.
    pub retry_after: Duration,
    /// Answer the first N order requests with status 418, -1003, an IP ban
    /// of `ban_for`; the order is not placed.
    pub order_418_first: u32,
    /// The ban's length.
    pub ban_for: Duration,
    /// Process the Nth order request (the order is placed), then close the
    /// TCP connection without answering it (once).
    pub cut_after_order: Option<u64>,
}

/// What the WS-API does with one order request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderFault {
    /// Nothing: processed and answered.
    None,
    /// Answered 418 (ban), not processed.
    Ban,
    /// Answered 429, not processed.
    TooMany,
    /// Processed, then the connection is closed unanswered.
    Cut,
}

impl WsApiFaults {
    /// The fault for the `n`th order request (1-based, sim-wide).
    pub fn order_fault(&self, n: u64) -> OrderFault {
        let bans = u64::from(self.order_418_first);
        if n <= bans {
            OrderFault::Ban
        } else if n <= bans + u64::from(self.order_429_first) {
            OrderFault::TooMany
        } else if self.cut_after_order == Some(n) {
            OrderFault::Cut
        } else {
            OrderFault::None
        }
    }
}

/// What a connection does with one outgoing item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<T> {
    /// Send it.
    Send(T),
    /// Send a text frame of broken JSON.
    Malformed,
    /// Send a text frame of [`OVERSIZED_FRAME_BYTES`].
    Oversized,
    /// Write part of its frame, then close the TCP connection.
    Truncate(T),
    /// Stop sending for the configured time.
    Stall,
    /// Close the TCP connection.
    Disconnect,
}

/// Which fault fired, for the counters and the log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fired {
    /// A diff was left out.
    Dropped,
    /// A diff was sent twice.
    Duplicated,
    /// A diff was held back behind the next one.
    Reordered,
}

fn nth(every: Option<u64>, count: u64) -> bool {
    matches!(every, Some(n) if n > 0 && count % n == 0)
}

/// One connection's fault schedule.
#[derive(Debug)]
pub struct ConnFaults<T> {
    faults: Faults,
    diffs: u64,
    messages: u64,
    held: Option<T>,
    stalled: bool,
    /// Faults of the diff kinds that fired, for the caller to count and log.
    pub fired: Vec<Fired>,
}

impl<T: Clone> ConnFaults<T> {
    /// A fresh schedule.
    pub fn new(faults: &Faults) -> ConnFaults<T> {
        ConnFaults {
            faults: faults.clone(),
            diffs: 0,
            messages: 0,
            held: None,
            stalled: false,
            fired: Vec::new(),
        }
    }

    /// Market messages that went out (or were cut short) so far.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// The actions for the next outgoing market item, `is_diff` when it is a
    /// diff-depth event. Diff faults act first (drop, reorder, duplicate), then
    /// every item that goes out counts as a message for the message faults.
    pub fn next(&mut self, item: T, is_diff: bool) -> Vec<Action<T>> {
        let mut out = Vec::new();
        if !is_diff {
            self.message(item, &mut out);
            return out;
        }
        self.diffs += 1;
        if nth(self.faults.drop_diff_every, self.diffs) {
            self.fired.push(Fired::Dropped);
            return out;
        }
        if let Some(held) = self.held.take() {
            // The held diff goes out after this one.
            self.message(item, &mut out);
            self.message(held, &mut out);
            return out;
        }
        if nth(self.faults.reorder_diff_every, self.diffs) {
            self.fired.push(Fired::Reordered);
            self.held = Some(item);
            return out;
        }
        if nth(self.faults.dup_diff_every, self.diffs) {
            self.fired.push(Fired::Duplicated);
            self.message(item.clone(), &mut out);
        }
        self.message(item, &mut out);
        out
    }

    fn message(&mut self, item: T, out: &mut Vec<Action<T>>) {
        if matches!(out.last(), Some(Action::Disconnect | Action::Truncate(_))) {
            return;
        }
        self.messages += 1;
        let m = self.messages;
        if nth(self.faults.malformed_every, m) {
            out.push(Action::Malformed);
        }
        if nth(self.faults.oversized_every, m) {
            out.push(Action::Oversized);
        }
        if nth(self.faults.truncate_every, m) {
            out.push(Action::Truncate(item));
            return;
        }
        out.push(Action::Send(item));
        if self.faults.disconnect_after == Some(m) {
            out.push(Action::Disconnect);
            return;
        }
        if !self.stalled && self.faults.stall_after == Some(m) {
            self.stalled = true;
            out.push(Action::Stall);
        }
    }
}

/// Broken JSON sent by the malformed-frame fault (valid UTF-8, a plausible
/// start of a depth event, cut off).
pub const MALFORMED_FRAME: &str = r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":"#;

/// The text of the oversized frame: a JSON object of exactly
/// [`OVERSIZED_FRAME_BYTES`].
pub fn oversized_frame() -> String {
    let head = r#"{"e":"oversized","pad":""#;
    let tail = "\"}";
    let mut s = String::with_capacity(OVERSIZED_FRAME_BYTES);
    s.push_str(head);
    s.extend(std::iter::repeat_n(
        'x',
        OVERSIZED_FRAME_BYTES - head.len() - tail.len(),
    ));
    s.push_str(tail);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    fn run(f: Faults, items: &[(u32, bool)]) -> (Vec<Action<u32>>, Vec<Fired>) {
        let mut c = ConnFaults::new(&f);
        let mut out = Vec::new();
        for &(i, d) in items {
            out.extend(c.next(i, d));
        }
        (out, c.fired)
    }

    fn diffs(n: u32) -> Vec<(u32, bool)> {
        (1..=n).map(|i| (i, true)).collect()
    }

    #[test]
    fn no_faults_passes_through() {
        let (out, fired) = run(Faults::default(), &[(1, true), (2, false), (3, true)]);
        assert_eq!(out, vec![Send(1), Send(2), Send(3)]);
        assert!(fired.is_empty());
    }

    #[test]
    fn drop_every_third_diff_only() {
        let f = Faults {
            drop_diff_every: Some(3),
            ..Faults::default()
        };
        let items = [
            (1, true),
            (2, true),
            (9, false),
            (3, true),
            (4, true),
            (5, true),
            (6, true),
        ];
        let (out, fired) = run(f, &items);
        assert_eq!(out, vec![Send(1), Send(2), Send(9), Send(4), Send(5)]);
        assert_eq!(fired, vec![Fired::Dropped, Fired::Dropped]);
    }

    #[test]
    fn duplicate_every_second() {
        let f = Faults {
            dup_diff_every: Some(2),
            ..Faults::default()
        };
        let (out, _) = run(f, &diffs(4));
        assert_eq!(
            out,
            vec![Send(1), Send(2), Send(2), Send(3), Send(4), Send(4)]
        );
    }

    #[test]
    fn reorder_swaps_with_next_diff() {
        let f = Faults {
            reorder_diff_every: Some(2),
            ..Faults::default()
        };
        let items = [
            (1, true),
            (2, true),
            (7, false),
            (3, true),
            (4, true),
            (5, true),
        ];
        let (out, fired) = run(f, &items);
        // 2 is held behind 3; the non-diff 7 passes meanwhile; 4 is the 4th diff: held behind 5.
        assert_eq!(
            out,
            vec![Send(1), Send(7), Send(3), Send(2), Send(5), Send(4)]
        );
        assert_eq!(fired, vec![Fired::Reordered, Fired::Reordered]);
    }

    #[test]
    fn message_faults() {
        let f = Faults {
            malformed_every: Some(2),
            oversized_every: Some(3),
            ..Faults::default()
        };
        let (out, _) = run(f, &diffs(3));
        assert_eq!(out, vec![Send(1), Malformed, Send(2), Oversized, Send(3)]);

        let f = Faults {
            truncate_every: Some(2),
            ..Faults::default()
        };
        let (out, _) = run(f, &diffs(2));
        assert_eq!(out, vec![Send(1), Truncate(2)]);

        let f = Faults {
            disconnect_after: Some(2),
            ..Faults::default()
        };
        let (out, _) = run(f, &diffs(2));
        assert_eq!(out, vec![Send(1), Send(2), Disconnect]);

        let f = Faults {
            stall_after: Some(1),
            ..Faults::default()
        };
        let (out, _) = run(f, &diffs(3));
        assert_eq!(out, vec![Send(1), Stall, Send(2), Send(3)], "stalls once");
    }

    #[test]
    fn duplicate_then_disconnect_stops_output() {
        let f = Faults {
            dup_diff_every: Some(1),
            disconnect_after: Some(1),
            ..Faults::default()
        };
        let (out, _) = run(f, &diffs(1));
        assert_eq!(out, vec![Send(1), Disconnect]);
    }

    #[test]
    fn oversized_is_exact_json() {
        let s = oversized_frame();
        assert_eq!(s.len(), OVERSIZED_FRAME_BYTES);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["e"], "oversized");
        assert!(serde_json::from_str::<serde_json::Value>(MALFORMED_FRAME).is_err());
    }

    #[test]
    fn ws_api_order_faults_bans_first_then_429s_then_the_cut() {
        let f = WsApiFaults {
            order_418_first: 1,
            order_429_first: 2,
            cut_after_order: Some(5),
            ..WsApiFaults::default()
        };
        let got: Vec<OrderFault> = (1..=6).map(|n| f.order_fault(n)).collect();
        assert_eq!(
            got,
            [
                OrderFault::Ban,
                OrderFault::TooMany,
                OrderFault::TooMany,
                OrderFault::None,
                OrderFault::Cut,
                OrderFault::None
            ]
        );
        assert_eq!(WsApiFaults::default().order_fault(1), OrderFault::None);
    }
}
