//! `decode_hot` (the hot-path market-data decoder) must never panic, and
//! whenever it accepts a frame, the general scanner alone must accept it too
//! and produce the same event and the same depth levels.
#![no_main]

use std::cell::RefCell;

use kairos_core::binance::fast::{decode_hot, decode_hot_general, DepthBuf};
use libfuzzer_sys::fuzz_target;

thread_local! {
    // One buffer pair per thread, reused like the engine reuses it, so stale
    // levels from an earlier input would show up as a mismatch.
    static BUFS: RefCell<(DepthBuf, DepthBuf)> = RefCell::new((DepthBuf::new(), DepthBuf::new()));
}

fuzz_target!(|data: &[u8]| {
    BUFS.with(|b| {
        let (hot, general) = &mut *b.borrow_mut();
        if let Ok(ev) = decode_hot(data, hot) {
            match decode_hot_general(data, general) {
                Ok((gev, _stream)) => {
                    assert_eq!(ev, gev, "decode_hot and decode_hot_general disagree on the event");
                    assert_eq!(hot.bids, general.bids, "bids differ between decode_hot and decode_hot_general");
                    assert_eq!(hot.asks, general.asks, "asks differ between decode_hot and decode_hot_general");
                }
                Err(e) => panic!("decode_hot accepted {ev:?} but decode_hot_general rejected it: {e:?}"),
            }
        }
    });
});
