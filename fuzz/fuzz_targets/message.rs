//! `decode_message` (any Binance message) must never panic, and whatever it
//! accepts must print back to JSON with `to_json`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = kairos_core::binance::message::decode_message(data) {
        if let Err(e) = msg.to_json() {
            panic!("decode_message accepted {msg:?} but to_json failed: {e}");
        }
    }
});
