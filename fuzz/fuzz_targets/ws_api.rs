//! `decode_ws_api_response` (WebSocket API responses) must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kairos_core::binance::ws_api::decode_ws_api_response(data);
});
