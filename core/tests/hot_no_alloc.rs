//! The hot decoder allocates nothing after warm-up: a counting global
//! allocator watches every frame of a real capture being decoded.

use flate2::read::GzDecoder;
use kairos_core::binance::fast::{decode_hot, DepthBuf};
use std::io::{BufRead, BufReader};

#[global_allocator]
static GLOBAL: kairos_core::alloc_count::CountingAlloc = kairos_core::alloc_count::CountingAlloc;

fn allocations() -> u64 {
    kairos_core::alloc_count::thread_allocations()
}

#[test]
fn hot_decode_allocates_nothing_per_frame() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/ticks/hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz"
    );
    let file = std::fs::File::open(path).unwrap();
    let frames: Vec<Vec<u8>> = BufReader::new(GzDecoder::new(file))
        .split(b'\n')
        .map(|l| l.unwrap())
        .map(|l| l[l.iter().position(|&b| b == b' ').unwrap() + 1..].to_vec())
        .collect();
    // Damaged frames take the error paths, which must not allocate either.
    let damaged: Vec<Vec<u8>> = frames
        .iter()
        .take(500)
        .map(|f| f[..f.len() / 2].to_vec())
        .collect();
    let mut depth = DepthBuf::new();
    // Warm-up: the first pass may touch lazily initialised state.
    for f in &frames {
        let _ = decode_hot(f, &mut depth);
    }
    let before = allocations();
    let mut decoded = 0u64;
    for f in frames.iter().chain(&damaged) {
        decoded += u64::from(decode_hot(f, &mut depth).is_ok());
    }
    let after = allocations();
    assert_eq!(decoded, 2999, "every frame but the REST snapshot decodes");
    assert_eq!(
        after - before,
        0,
        "allocations while decoding {} frames",
        frames.len()
    );
    // The counter itself works: a Vec allocates.
    let v: Vec<u8> = Vec::with_capacity(16);
    assert!(
        allocations() > after,
        "counting allocator saw {v:?} allocate"
    );
}
