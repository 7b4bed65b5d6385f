//! The same entry points as `fuzz/fuzz_targets/outside_text.rs`, as a
//! property test in the normal suite: replies, addresses, rate-limit
//! headers, key files and klines lines never panic, on random text and on
//! mutations of real examples.

use kairos_core::auth::Credentials;
use kairos_core::feed::subs::parse_reply;
use kairos_core::feed::url::Endpoint;
use kairos_core::indicators::candle::{parse_kline_line, Timeframe};
use kairos_core::limiter::parse_limit_header;
use proptest::prelude::*;

const SEEDS: &[&str] = &[
    r#"{"result":null,"id":1}"#,
    r#"{"error":{"code":2,"msg":"Invalid request"},"id":7}"#,
    "wss://stream.binance.com:9443/stream?streams=btcusdt@trade",
    "ws://[::1]:9/ws",
    "X-MBX-USED-WEIGHT-1M:1200",
    "x-mbx-order-count-10s: 3",
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH\n-----END PRIVATE KEY-----\n",
    "1721952000000,65000.01,65010,64990.5,65001.2,12.345",
    "1721952000000,65000.01,65010,64990.5,65001.2,12.345,1721952059999,802000.1,1000,6.1,400000.2,0",
];

fn exercise(data: &[u8]) {
    let _ = parse_reply(data);
    let text = String::from_utf8_lossy(data);
    let _ = Endpoint::parse(&text).map(|e| (e.ws_url(), e.http_url()));
    let (name, value) = text.split_once(':').unwrap_or((&text, ""));
    let _ = parse_limit_header(name, value);
    let _ = Credentials::ed25519("k", &text);
    for tf in [Timeframe::M1, Timeframe::H4] {
        let _ = parse_kline_line(&text, tf);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        exercise(&data);
    }

    #[test]
    fn mutated_examples_never_panic(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut b = SEEDS[seed].as_bytes().to_vec();
        for (at, byte, op) in edits {
            let i = if b.is_empty() { 0 } else { at % b.len() };
            match op {
                0 if !b.is_empty() => b[i] = byte,
                1 => b.insert(i.min(b.len()), byte),
                _ => { b.truncate(i); }
            }
        }
        exercise(&b);
    }
}

#[test]
fn the_seeds_themselves_parse() {
    assert!(parse_reply(SEEDS[0].as_bytes()).is_some());
    assert!(Endpoint::parse(SEEDS[2]).is_ok());
    assert!(parse_limit_header("X-MBX-USED-WEIGHT-1M", "1200")
        .unwrap()
        .is_some());
    assert!(Credentials::ed25519("k", SEEDS[6]).is_ok());
    assert!(parse_kline_line(SEEDS[7], Timeframe::M1).unwrap().is_some());
}
