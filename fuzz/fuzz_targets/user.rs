//! `decode_user` (user-data stream events) must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kairos_core::binance::user::decode_user(data);
});
