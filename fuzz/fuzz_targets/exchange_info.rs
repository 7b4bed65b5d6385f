//! `decode_exchange_info` (`GET /api/v3/exchangeInfo`) must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kairos_core::binance::exchange_info::decode_exchange_info(data);
});
