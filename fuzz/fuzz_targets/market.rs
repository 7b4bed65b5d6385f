//! `decode_market` (WebSocket market streams) must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kairos_core::binance::market::decode_market(data);
});
