//! Every REST response decoder must never panic on any body.
#![no_main]

use kairos_core::binance::rest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rest::decode_depth_snapshot(data);
    let _ = rest::decode_account(data);
    let _ = rest::decode_order_response(data);
    let _ = rest::decode_cancel_order(data);
    let _ = rest::decode_order_info(data);
    let _ = rest::decode_open_orders(data);
    let _ = rest::decode_klines(data);
    let _ = rest::decode_server_time(data);
    let _ = rest::decode_api_error(data);
});
