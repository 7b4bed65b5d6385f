//! Streams and subscriptions: stream names, the combined-stream path,
//! `SUBSCRIBE`/`UNSUBSCRIBE` method messages with ids, their replies, and the
//! client's outgoing message budget.

use super::{MAX_STREAMS_PER_CONNECTION, OWN_MESSAGES_PER_S};
use std::time::{Duration, Instant};

/// Why a stream list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// A symbol that is not 1–20 ASCII letters or digits.
    #[error("symbol {0:?}: expected 1-20 ASCII letters or digits")]
    Symbol(String),
    /// A stream kind kairos does not know.
    #[error(
        "stream {0:?}: expected depth, depth@100ms, depth@1000ms, bookTicker, trade or aggTrade"
    )]
    Kind(String),
    /// Nothing to subscribe to.
    #[error("no symbols or no streams given")]
    Empty,
}

/// The stream kinds kairos subscribes to (their names after `<symbol>@`).
pub const STREAM_KINDS: [&str; 6] = [
    "depth",
    "depth@100ms",
    "depth@1000ms",
    "bookTicker",
    "trade",
    "aggTrade",
];

/// The stream names `<symbol>@<kind>` for every symbol × kind, symbols
/// lower-cased as Binance requires, grouped by symbol (so that one symbol's
/// streams stay on one connection).
pub fn stream_names(symbols: &[String], kinds: &[String]) -> Result<Vec<String>, StreamError> {
    if symbols.is_empty() || kinds.is_empty() {
        return Err(StreamError::Empty);
    }
    let mut out = Vec::with_capacity(symbols.len() * kinds.len());
    for s in symbols {
        let s = s.trim();
        if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(StreamError::Symbol(s.to_string()));
        }
        for k in kinds {
            let k = k.trim();
            if !STREAM_KINDS.contains(&k) {
                return Err(StreamError::Kind(k.to_string()));
            }
            out.push(format!("{}@{}", s.to_ascii_lowercase(), k));
        }
    }
    Ok(out)
}

/// Splits streams into per-connection groups of at most
/// [`MAX_STREAMS_PER_CONNECTION`], never splitting one symbol's streams.
pub fn shard(streams: &[String]) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = vec![];
    let mut i = 0;
    while i < streams.len() {
        let sym = symbol_of(&streams[i]);
        let mut j = i;
        while j < streams.len() && symbol_of(&streams[j]) == sym {
            j += 1;
        }
        let fits = groups
            .last()
            .is_some_and(|g| g.len() + (j - i) <= MAX_STREAMS_PER_CONNECTION);
        if !fits {
            groups.push(vec![]);
        }
        groups.last_mut().unwrap().extend_from_slice(&streams[i..j]);
        i = j;
    }
    groups
}

fn symbol_of(stream: &str) -> &str {
    stream.split('@').next().unwrap_or(stream)
}

/// The combined-stream path: `/stream?streams=a/b/c`.
pub fn combined_path(streams: &[String]) -> String {
    format!("/stream?streams={}", streams.join("/"))
}

/// A `SUBSCRIBE` or `UNSUBSCRIBE` request.
pub fn method_message(subscribe: bool, streams: &[String], id: u64) -> String {
    let method = if subscribe {
        "SUBSCRIBE"
    } else {
        "UNSUBSCRIBE"
    };
    let params: Vec<String> = streams.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        "{{\"method\":\"{method}\",\"params\":[{}],\"id\":{id}}}",
        params.join(",")
    )
}

/// Whether a frame is a reply to a method call rather than market data
/// (market frames start with `{"e":`, `{"u":` or `{"stream":`).
#[inline]
pub fn is_reply(frame: &[u8]) -> bool {
    frame.starts_with(b"{\"result\"")
        || frame.starts_with(b"{\"id\"")
        || frame.starts_with(b"{\"error\"")
        || frame.starts_with(b"{\"code\"")
}

/// A reply to a method call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `{"result":…,"id":N}`.
    Ok {
        /// The request id.
        id: u64,
    },
    /// `{"error":{"code":C,"msg":M},"id":N}` (or `{"code":C,"msg":M,"id":N}`).
    Error {
        /// The request id, when the server could tell it.
        id: Option<u64>,
        /// Binance's code.
        code: i64,
        /// Binance's message.
        msg: String,
    },
}

/// Parses a method reply; `None` when it is not one.
pub fn parse_reply(frame: &[u8]) -> Option<Reply> {
    let v: serde_json::Value = serde_json::from_slice(frame).ok()?;
    let id = v.get("id").and_then(|i| i.as_u64());
    let err = v.get("error").or_else(|| v.get("code").map(|_| &v));
    if let Some(e) = err {
        return Some(Reply::Error {
            id,
            code: e.get("code").and_then(|c| c.as_i64()).unwrap_or(0),
            msg: e
                .get("msg")
                .and_then(|m| m.as_str())
                .unwrap_or("")
                .to_string(),
        });
    }
    v.get("result")?;
    Some(Reply::Ok { id: id? })
}

/// The client's own outgoing-message budget: at most
/// [`OWN_MESSAGES_PER_S`] in any one-second window (a token bucket refilled
/// continuously).
#[derive(Debug, Clone)]
pub struct SendBudget {
    tokens: f64,
    last: Instant,
    per_s: f64,
}

impl SendBudget {
    /// A full budget.
    pub fn new(now: Instant) -> SendBudget {
        SendBudget {
            tokens: 1.0,
            last: now,
            per_s: f64::from(OWN_MESSAGES_PER_S),
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        // At most one token banked: never a burst above the rate.
        self.tokens = (self.tokens + dt * self.per_s).min(1.0);
    }

    /// Takes one message's worth if available.
    pub fn try_take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// How long until a message may be sent.
    pub fn wait(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.per_s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_paths_and_messages() {
        let s = stream_names(
            &v(&["BTCUSDT", "ethusdt"]),
            &v(&["depth@100ms", "bookTicker"]),
        )
        .unwrap();
        assert_eq!(
            s,
            v(&[
                "btcusdt@depth@100ms",
                "btcusdt@bookTicker",
                "ethusdt@depth@100ms",
                "ethusdt@bookTicker"
            ])
        );
        assert_eq!(
            combined_path(&s[..2]),
            "/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker"
        );
        assert_eq!(
            method_message(true, &s[..1], 7),
            r#"{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms"],"id":7}"#
        );
        assert!(matches!(
            stream_names(&v(&["BTC-USDT"]), &v(&["trade"])),
            Err(StreamError::Symbol(_))
        ));
        assert!(matches!(
            stream_names(&v(&["btcusdt"]), &v(&["kline"])),
            Err(StreamError::Kind(_))
        ));
        assert_eq!(stream_names(&[], &v(&["trade"])), Err(StreamError::Empty));
    }

    #[test]
    fn sharding_respects_the_per_connection_limit_and_keeps_symbols_together() {
        let syms: Vec<String> = (0..700).map(|i| format!("s{i}usdt")).collect();
        let s = stream_names(&syms, &v(&["trade", "bookTicker"])).unwrap();
        let g = shard(&s);
        assert_eq!(g.len(), 2);
        assert!(g
            .iter()
            .all(|g| g.len() <= MAX_STREAMS_PER_CONNECTION && g.len() % 2 == 0));
        assert_eq!(g.iter().map(|g| g.len()).sum::<usize>(), 1400);
        assert_eq!(shard(&s[..4]).len(), 1);
    }

    #[test]
    fn replies_are_told_from_market_data() {
        assert!(is_reply(br#"{"result":null,"id":3}"#));
        assert!(!is_reply(br#"{"e":"trade"}"#) && !is_reply(br#"{"u":1,"s":"X"}"#));
        assert_eq!(
            parse_reply(br#"{"result":null,"id":3}"#),
            Some(Reply::Ok { id: 3 })
        );
        assert_eq!(
            parse_reply(br#"{"error":{"code":2,"msg":"Invalid request"},"id":4}"#),
            Some(Reply::Error {
                id: Some(4),
                code: 2,
                msg: "Invalid request".into()
            })
        );
        assert_eq!(
            parse_reply(br#"{"code":-1,"msg":"x"}"#),
            Some(Reply::Error {
                id: None,
                code: -1,
                msg: "x".into()
            })
        );
        assert_eq!(parse_reply(b"{\"result\":null"), None);
    }

    #[test]
    fn the_budget_never_allows_more_than_the_rate() {
        let t0 = Instant::now();
        let mut b = SendBudget::new(t0);
        let mut sent = 0;
        // 2 s simulated in 1 ms steps.
        for ms in 0..2000u64 {
            if b.try_take(t0 + Duration::from_millis(ms)) {
                sent += 1;
            }
        }
        assert!(sent <= 2 * OWN_MESSAGES_PER_S + 1, "{sent}");
        assert!(sent >= 2 * OWN_MESSAGES_PER_S - 1, "{sent}");
        // Right after a message, the next one must wait about 1/rate.
        let t1 = t0 + Duration::from_secs(10);
        assert!(b.try_take(t1));
        let w = b.wait(t1);
        assert!(
            w > Duration::from_millis(200) && w <= Duration::from_millis(250),
            "{w:?}"
        );
    }
}
