//! Text from outside that is not a market frame: WebSocket method replies,
//! endpoint addresses from the command line, rate-limit response headers,
//! key files, klines lines. None may panic.
#![no_main]

use kairos_core::auth::Credentials;
use kairos_core::feed::subs::parse_reply;
use kairos_core::feed::url::Endpoint;
use kairos_core::indicators::candle::{parse_kline_line, Timeframe};
use kairos_core::limiter::parse_limit_header;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_reply(data);
    let text = String::from_utf8_lossy(data);
    let _ = Endpoint::parse(&text).map(|e| (e.ws_url(), e.http_url()));
    let (name, value) = text.split_once(':').unwrap_or((&text, ""));
    let _ = parse_limit_header(name, value);
    let _ = Credentials::ed25519("k", &text);
    for tf in [Timeframe::M1, Timeframe::H4] {
        let _ = parse_kline_line(&text, tf);
    }
});
