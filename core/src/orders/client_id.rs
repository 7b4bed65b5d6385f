//! Client order ids: unique across restarts, generated without allocating.
//!
//! Layout: `PREFIX-SSSSSSSS-C…`, where `PREFIX` is the bot's name (1 to
//! [`MAX_PREFIX_LEN`] ASCII letters and digits), `SSSSSSSS` is the run's start
//! time in ms since the epoch in base 62 (fixed [`START_DIGITS`] digits, so it
//! sorts), and `C…` a per-run counter in base 62 (1 to [`COUNTER_DIGITS`]
//! digits). At most 12 + 1 + 8 + 1 + 11 = 33 bytes, within Binance's
//! `newClientOrderId` rule `^[a-zA-Z0-9-_]{1,36}$`.
//!
//! Two runs never share a start component as long as each starts at a later
//! millisecond than the previous; [`ClientIdGen::after`] makes that hold even
//! when the clock stepped back, given the previous run's start (from the
//! journal).

use super::fixed::{FixedStr, MAX_CLIENT_ID_LEN};

/// Longest bot prefix, bytes.
pub const MAX_PREFIX_LEN: usize = 12;
/// Digits of the start-time component (base 62; 62^8 ms is about 6.9 million years).
pub const START_DIGITS: usize = 8;
/// Most digits of the counter (base 62; 62^11 > 2^64).
pub const COUNTER_DIGITS: usize = 11;

const BASE: u64 = 62;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A client order id.
pub type ClientId = FixedStr<MAX_CLIENT_ID_LEN>;

/// Why a generator could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClientIdError {
    /// The prefix is empty, too long, or not ASCII letters and digits.
    #[error("client id prefix must be 1 to {MAX_PREFIX_LEN} ASCII letters or digits")]
    BadPrefix,
}

/// Generates the client ids of one run.
#[derive(Debug, Clone, Copy)]
pub struct ClientIdGen {
    /// `PREFIX-SSSSSSSS-`, already written.
    head: [u8; MAX_PREFIX_LEN + START_DIGITS + 2],
    head_len: usize,
    start_ms: u64,
    counter: u64,
}

impl ClientIdGen {
    /// A generator for a run that started at `start_ms` (ms since the epoch).
    pub fn new(prefix: &str, start_ms: u64) -> Result<ClientIdGen, ClientIdError> {
        if prefix.is_empty()
            || prefix.len() > MAX_PREFIX_LEN
            || !prefix.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ClientIdError::BadPrefix);
        }
        let mut head = [0u8; MAX_PREFIX_LEN + START_DIGITS + 2];
        let p = prefix.len();
        head[..p].copy_from_slice(prefix.as_bytes());
        head[p] = b'-';
        let mut v = start_ms;
        for i in (0..START_DIGITS).rev() {
            head[p + 1 + i] = ALPHABET[(v % BASE) as usize];
            v /= BASE;
        }
        head[p + 1 + START_DIGITS] = b'-';
        Ok(ClientIdGen {
            head,
            head_len: p + START_DIGITS + 2,
            start_ms,
            counter: 0,
        })
    }

    /// A generator for a run starting at `now_ms` after a run that started
    /// at `previous_start_ms`: its start component is later than the
    /// previous one even if the clock stepped back.
    pub fn after(
        prefix: &str,
        now_ms: u64,
        previous_start_ms: u64,
    ) -> Result<ClientIdGen, ClientIdError> {
        ClientIdGen::new(prefix, now_ms.max(previous_start_ms.saturating_add(1)))
    }

    /// The start component in use, ms (journal it: the next run passes it to
    /// [`ClientIdGen::after`]).
    pub fn start_ms(&self) -> u64 {
        self.start_ms
    }

    /// How many ids were generated.
    pub fn issued(&self) -> u64 {
        self.counter
    }

    /// The next id. Never allocates.
    pub fn next_id(&mut self) -> ClientId {
        let mut buf = [0u8; MAX_CLIENT_ID_LEN];
        buf[..self.head_len].copy_from_slice(&self.head[..self.head_len]);
        let mut digits = [0u8; COUNTER_DIGITS];
        let mut n = 0;
        let mut v = self.counter;
        loop {
            digits[n] = ALPHABET[(v % BASE) as usize];
            n += 1;
            v /= BASE;
            if v == 0 {
                break;
            }
        }
        for i in 0..n {
            buf[self.head_len + i] = digits[n - 1 - i];
        }
        self.counter = self.counter.wrapping_add(1);
        let len = self.head_len + n;
        // Only ASCII from ALPHABET, the prefix (checked) and '-'.
        let text = std::str::from_utf8(&buf[..len]).unwrap_or("");
        FixedStr::new(text).unwrap_or_default()
    }

    /// Whether `id` was made by a generator with this prefix (this run or
    /// an earlier one): the orders to adopt after a restart.
    pub fn is_ours(&self, id: &str) -> bool {
        let p = self.head_len - START_DIGITS - 1;
        id.len() > p && id.as_bytes()[..p] == self.head[..p]
    }
}

/// Whether `id` follows Binance's `newClientOrderId` rule `^[a-zA-Z0-9-_]{1,36}$`.
pub fn is_valid_client_id(id: &str) -> bool {
    (1..=MAX_CLIENT_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn orders_client_ids_have_binance_format() {
        let mut g = ClientIdGen::new("kairos", 1_723_161_240_000).unwrap();
        let first = g.next_id();
        assert_eq!(first.as_str(), "kairos-0UKuGxFo-0");
        for _ in 0..100_000 {
            let id = g.next_id();
            assert!(is_valid_client_id(id.as_str()), "{id}");
        }
        // The longest possible id still fits.
        let mut g = ClientIdGen::new("ABCDEFGHIJKL", u64::MAX / 1_000_000).unwrap();
        g.counter = u64::MAX;
        let id = g.next_id();
        assert!(is_valid_client_id(id.as_str()), "{id}");
        assert_eq!(
            id.as_str().len(),
            MAX_PREFIX_LEN + START_DIGITS + COUNTER_DIGITS + 2
        );
        for bad in ["", "has-dash", "has_underscore", "ABCDEFGHIJKLM", "é"] {
            assert_eq!(
                ClientIdGen::new(bad, 0).unwrap_err(),
                ClientIdError::BadPrefix,
                "{bad:?}"
            );
        }
        for (id, ok) in [
            ("a", true),
            ("x-TD67BGP9-T0000000000000", true),
            ("", false),
            ("a b", false),
            ("a.b", false),
        ] {
            assert_eq!(is_valid_client_id(id), ok, "{id:?}");
        }
        assert!(!is_valid_client_id(&"a".repeat(37)));
    }

    #[test]
    fn orders_client_ids_unique_across_two_restarts() {
        let mut seen = HashSet::new();
        let start = 1_723_161_240_000;
        // Run 1, then run 2 one ms later, then run 3 with a clock that stepped
        // back below run 2's start.
        let mut g1 = ClientIdGen::new("bot", start).unwrap();
        let mut g2 = ClientIdGen::after("bot", start + 1, g1.start_ms()).unwrap();
        let mut g3 = ClientIdGen::after("bot", start - 60_000, g2.start_ms()).unwrap();
        assert!(g3.start_ms() > g2.start_ms() && g2.start_ms() > g1.start_ms());
        for g in [&mut g1, &mut g2, &mut g3] {
            for _ in 0..50_000 {
                let id = g.next_id();
                assert!(seen.insert(id), "duplicate {id}");
            }
        }
        assert_eq!(seen.len(), 150_000);
        assert!(g1.is_ours(g3.next_id().as_str()));
        assert!(!g1.is_ours("other-0UNgCBXo-0"));
        assert!(!g1.is_ours("bo"));
    }
}
