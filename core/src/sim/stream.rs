//! Stream names, the frames the market thread broadcasts, and the update-id
//! offset applied to frames when the source loops.
//!
//! A subscription name (`btcusdt@depth@100ms`) and a captured frame are both
//! reduced to a [`StreamKey`] (lower-case symbol + [`StreamKind`]); a frame
//! goes to every subscription with the same key. `<sym>@depth`,
//! `<sym>@depth@100ms` and `<sym>@depth@1000ms` all match depthUpdate frames
//! (the sim replays the recorded diffs as they are, whatever their batching).

use serde::Deserialize;
use serde_json::value::RawValue;

/// Longest stream name accepted in a subscription, in bytes.
pub const MAX_STREAM_NAME_BYTES: usize = 200;

/// What a stream carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Diff depth (`@depth`, `@depth@100ms`, `@depth@1000ms`).
    Depth,
    /// Best bid/ask (`@bookTicker`).
    BookTicker,
    /// Trades (`@trade`).
    Trade,
    /// Aggregate trades (`@aggTrade`).
    AggTrade,
    /// Klines of an interval (`@kline_1m` → `"1m"`).
    Kline(String),
    /// Anything else, by the part after the first `@` (`ticker`, `depth5`).
    Other(String),
}

/// A stream: lower-case symbol and kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamKey {
    /// The symbol as it appears in stream names (`btcusdt`).
    pub symbol: String,
    /// What the stream carries.
    pub kind: StreamKind,
}

/// Whether `name` is acceptable in a SUBSCRIBE/UNSUBSCRIBE or a URL: not
/// empty, at most [`MAX_STREAM_NAME_BYTES`], ASCII letters, digits and
/// `@ _ ! . -` only. Binance accepts well-formed names it has no data for
/// (an upper-case symbol simply never delivers), and so does the sim.
pub fn valid_stream_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_STREAM_NAME_BYTES
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'@' | b'_' | b'!' | b'.' | b'-'))
}

/// The key of a stream name (`btcusdt@depth@100ms` → (`btcusdt`, Depth)).
/// `None` when the name has no `@`.
pub fn parse_stream_name(name: &str) -> Option<StreamKey> {
    let (symbol, rest) = name.split_once('@')?;
    if symbol.is_empty() || rest.is_empty() {
        return None;
    }
    let kind = match rest {
        "depth" | "depth@100ms" | "depth@1000ms" => StreamKind::Depth,
        "bookTicker" => StreamKind::BookTicker,
        "trade" => StreamKind::Trade,
        "aggTrade" => StreamKind::AggTrade,
        _ => match rest.strip_prefix("kline_") {
            Some(interval) if !interval.is_empty() => StreamKind::Kline(interval.to_string()),
            _ => StreamKind::Other(rest.to_string()),
        },
    };
    Some(StreamKey {
        symbol: symbol.to_string(),
        kind,
    })
}

/// One market frame ready to broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Which stream it belongs to.
    pub key: StreamKey,
    /// The bare event (`{"e":"depthUpdate",…}`), ids already offset.
    pub bare: Vec<u8>,
}

impl Frame {
    /// Whether this is a diff-depth event (the faults that act on diffs).
    pub fn is_diff(&self) -> bool {
        self.key.kind == StreamKind::Depth
    }

    /// The frame as sent on a combined-stream connection subscribed as `stream`.
    pub fn enveloped(&self, stream: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bare.len() + stream.len() + 24);
        out.extend_from_slice(b"{\"stream\":\"");
        out.extend_from_slice(stream.as_bytes());
        out.extend_from_slice(b"\",\"data\":");
        out.extend_from_slice(&self.bare);
        out.push(b'}');
        out
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    stream: &'a str,
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct KlinePeek {
    i: String,
}

/// The fields that tell what a bare event is and the ids it carries.
#[derive(Deserialize, Default)]
pub struct Peek {
    /// Event type (`depthUpdate`, `trade`, …); bookTicker has none.
    #[serde(default)]
    pub e: Option<String>,
    /// Symbol (upper case).
    #[serde(default)]
    pub s: Option<String>,
    /// First update id of a diff.
    #[serde(default, rename = "U")]
    pub first_id: Option<u64>,
    /// Last update id of a diff, or a bookTicker's update id.
    #[serde(default, rename = "u")]
    pub last_id: Option<u64>,
    #[serde(default)]
    k: Option<KlinePeek>,
}

/// Reduces a captured frame (bare or in the combined envelope) to a
/// [`Frame`] plus what [`Peek`] saw. `None` when it is not a JSON object or
/// its stream cannot be told (a subscription reply, an unknown bare event).
pub fn classify(payload: &[u8]) -> Option<(Frame, Peek)> {
    if let Ok(env) = serde_json::from_slice::<Envelope<'_>>(payload) {
        let key = parse_stream_name(env.stream)?;
        let bare = env.data.get().as_bytes();
        let peek = serde_json::from_slice::<Peek>(bare).ok()?;
        return Some((
            Frame {
                key,
                bare: bare.to_vec(),
            },
            peek,
        ));
    }
    let peek = serde_json::from_slice::<Peek>(payload).ok()?;
    let symbol = peek.s.as_deref()?.to_ascii_lowercase();
    let kind = match peek.e.as_deref() {
        Some("depthUpdate") => StreamKind::Depth,
        Some("trade") => StreamKind::Trade,
        Some("aggTrade") => StreamKind::AggTrade,
        Some("kline") => StreamKind::Kline(peek.k.as_ref()?.i.clone()),
        Some("24hrTicker") => StreamKind::Other("ticker".to_string()),
        Some(_) => return None,
        None if peek.last_id.is_some() => StreamKind::BookTicker,
        None => return None,
    };
    Some((
        Frame {
            key: StreamKey { symbol, kind },
            bare: payload.to_vec(),
        },
        peek,
    ))
}

/// The update-id fields rewritten by [`offset_ids`].
const ID_KEYS: [&[u8]; 3] = [b"\"U\":", b"\"u\":", b"\"lastUpdateId\":"];

/// Adds `offset` to every update id (`"U"`, `"u"`, `"lastUpdateId"` keys with
/// an integer value) of a JSON text, leaving every other byte as it was.
/// Binance market events have these keys only at the top level and never
/// inside a string, so a byte scan is exact for them.
pub fn offset_ids(json: &[u8], offset: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + 8);
    let mut i = 0;
    while i < json.len() {
        let key = ID_KEYS.iter().find(|k| json[i..].starts_with(k));
        let Some(key) = key else {
            out.push(json[i]);
            i += 1;
            continue;
        };
        out.extend_from_slice(key);
        i += key.len();
        while i < json.len() && json[i] == b' ' {
            out.push(b' ');
            i += 1;
        }
        let start = i;
        while i < json.len() && json[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &json[start..i];
        match std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse::<u64>().ok())
        {
            Some(v) => out.extend_from_slice(v.saturating_add(offset).to_string().as_bytes()),
            None => out.extend_from_slice(digits),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_map_to_keys() {
        struct Case {
            name: &'static str,
            kind: Option<StreamKind>,
        }
        let cases = [
            Case {
                name: "btcusdt@depth",
                kind: Some(StreamKind::Depth),
            },
            Case {
                name: "btcusdt@depth@100ms",
                kind: Some(StreamKind::Depth),
            },
            Case {
                name: "btcusdt@depth@1000ms",
                kind: Some(StreamKind::Depth),
            },
            Case {
                name: "btcusdt@bookTicker",
                kind: Some(StreamKind::BookTicker),
            },
            Case {
                name: "btcusdt@trade",
                kind: Some(StreamKind::Trade),
            },
            Case {
                name: "btcusdt@aggTrade",
                kind: Some(StreamKind::AggTrade),
            },
            Case {
                name: "btcusdt@kline_1m",
                kind: Some(StreamKind::Kline("1m".into())),
            },
            Case {
                name: "btcusdt@depth5",
                kind: Some(StreamKind::Other("depth5".into())),
            },
            Case {
                name: "btcusdt",
                kind: None,
            },
            Case {
                name: "@depth",
                kind: None,
            },
            Case {
                name: "btcusdt@",
                kind: None,
            },
        ];
        for c in cases {
            assert_eq!(
                parse_stream_name(c.name).map(|k| k.kind),
                c.kind,
                "{}",
                c.name
            );
        }
        assert_eq!(
            parse_stream_name("ethusdt@trade").unwrap().symbol,
            "ethusdt"
        );
    }

    #[test]
    fn stream_name_validity() {
        assert!(valid_stream_name("btcusdt@depth@100ms"));
        assert!(valid_stream_name("BTCUSDT@depth")); // accepted, never delivers
        assert!(valid_stream_name("!ticker@arr"));
        assert!(!valid_stream_name(""));
        assert!(!valid_stream_name("btc usdt@depth"));
        assert!(!valid_stream_name("btcusdt@depth\""));
        assert!(!valid_stream_name(&"a".repeat(MAX_STREAM_NAME_BYTES + 1)));
    }

    #[test]
    fn classify_envelope_and_bare() {
        let env = br#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":5,"u":7,"b":[],"a":[]}}"#;
        let (f, p) = classify(env).unwrap();
        assert_eq!(f.key.kind, StreamKind::Depth);
        assert_eq!(f.key.symbol, "btcusdt");
        assert_eq!(
            f.bare,
            br#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":5,"u":7,"b":[],"a":[]}"#
        );
        assert_eq!((p.first_id, p.last_id), (Some(5), Some(7)));
        assert!(f.is_diff());

        let bt = br#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#;
        let (f, p) = classify(bt).unwrap();
        assert_eq!(
            f.key,
            StreamKey {
                symbol: "bnbusdt".into(),
                kind: StreamKind::BookTicker
            }
        );
        assert_eq!(p.last_id, Some(400900217));
        assert!(!f.is_diff());

        let kl = br#"{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":0,"i":"1m","x":true}}"#;
        assert_eq!(
            classify(kl).unwrap().0.key.kind,
            StreamKind::Kline("1m".into())
        );

        assert!(classify(br#"{"result":null,"id":1}"#).is_none());
        assert!(classify(b"not json").is_none());
        assert!(classify(br#"{"stream":"nosymbol","data":{}}"#).is_none());
    }

    #[test]
    fn envelope_wraps_bare() {
        let f = Frame {
            key: parse_stream_name("btcusdt@trade").unwrap(),
            bare: br#"{"e":"trade"}"#.to_vec(),
        };
        let env = f.enveloped("btcusdt@trade");
        let v: serde_json::Value = serde_json::from_slice(&env).unwrap();
        assert_eq!(v["stream"], "btcusdt@trade");
        assert_eq!(v["data"]["e"], "trade");
    }

    #[test]
    fn offset_rewrites_only_update_ids() {
        let diff = br#"{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"]],"a":[]}"#;
        let out = offset_ids(diff, 1000);
        assert_eq!(
            out,
            br#"{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093240189,"u":50093240202,"b":[["61737.63000000","0.00000000"]],"a":[]}"#
        );
        let snap = br#"{"lastUpdateId": 10,"bids":[],"asks":[]}"#;
        assert_eq!(
            offset_ids(snap, 5),
            br#"{"lastUpdateId": 15,"bids":[],"asks":[]}"#
        );
        let bt = br#"{"u":1,"s":"X","b":"1.0","B":"2.0","a":"3.0","A":"4.0"}"#;
        assert_eq!(
            offset_ids(bt, 1),
            br#"{"u":2,"s":"X","b":"1.0","B":"2.0","a":"3.0","A":"4.0"}"#
        );
        // Zero offset is the identity.
        assert_eq!(offset_ids(diff, 0), diff.to_vec());
        // A trade's ids are not update ids.
        let tr = br#"{"e":"trade","t":12,"b":3,"a":4}"#;
        assert_eq!(offset_ids(tr, 9), tr.to_vec());
    }
}
