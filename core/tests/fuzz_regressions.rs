//! Every input a fuzzer ever crashed on (`fuzz/regressions/`) goes through
//! every parser entry point again, in the normal test suite.

use kairos_core::binance::fast::{decode_depth_snapshot, decode_hot, decode_hot_general, DepthBuf};
use kairos_core::binance::{exchange_info, market, message, rest, user, ws_api};

#[test]
fn fuzz_regressions_no_longer_panic() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let (mut a, mut b) = (DepthBuf::new(), DepthBuf::new());
        let fast = decode_hot(&data, &mut a);
        assert_eq!(fast, decode_hot_general(&data, &mut b).map(|(ev, _)| ev));
        let _ = decode_depth_snapshot(&data, &mut a);
        let _ = market::decode_market(&data);
        let _ = user::decode_user(&data);
        let _ = ws_api::decode_ws_api_response(&data);
        let _ = exchange_info::decode_exchange_info(&data);
        let _ = rest::decode_depth_snapshot(&data);
        if let Ok(m) = message::decode_message(&data) {
            m.to_json().unwrap();
        }
        seen += 1;
    }
    assert!(
        seen >= 2,
        "the regression folder holds the known crash inputs"
    );
}
