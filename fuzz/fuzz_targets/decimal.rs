//! The fixed-point decimal parsers must never panic, and every value they
//! accept must print (`to_string`) to text that parses back to that value.
#![no_main]

use kairos_core::num::{Amount, Price, Qty, Wide};
use libfuzzer_sys::fuzz_target;

macro_rules! round_trip {
    ($ty:ty, $data:expr) => {
        if let Ok(v) = <$ty>::parse_bytes($data) {
            let printed = v.to_string();
            match <$ty>::parse_bytes(printed.as_bytes()) {
                Ok(back) => assert_eq!(
                    back,
                    v,
                    "{}: {:?} parsed to {v:?}, printed as {printed:?}, which parsed back to {back:?}",
                    stringify!($ty),
                    String::from_utf8_lossy($data),
                ),
                Err(e) => panic!(
                    "{}: {:?} parsed to {v:?}, printed as {printed:?}, which does not parse: {e:?}",
                    stringify!($ty),
                    String::from_utf8_lossy($data),
                ),
            }
        }
    };
}

fuzz_target!(|data: &[u8]| {
    round_trip!(Price, data);
    round_trip!(Qty, data);
    round_trip!(Amount, data);
    round_trip!(Wide, data);
});
