//! The replay hot path (decode → book → oracle → decision) allocates nothing
//! after warm-up: the counting allocator is installed for this test binary,
//! and the replay driver counts allocations across its latency pass.

use kairos_core::alloc_count::CountingAlloc;
use kairos_core::drive::replay::{replay, ReplayFormat, ReplayOptions};
use std::path::PathBuf;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[test]
fn replay_allocates_nothing_per_event_after_warm_up() {
    let ticks = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ticks"));
    for (format, file) in [
        (
            ReplayFormat::Hftbacktest,
            "hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz",
        ),
        (
            ReplayFormat::Cryptofeed,
            "cryptofeed_BTC_ETH_DOT_20210404_first1200_with_rest.txt.gz",
        ),
    ] {
        let opts = ReplayOptions {
            throughput_passes: 1,
            progress: false,
            // Past the snapshots and the first sight of every symbol.
            alloc_warmup_events: 500,
        };
        let o = replay(format, &[ticks.join(file)], &opts).unwrap();
        assert!(kairos_core::alloc_count::installed());
        assert!(
            o.alloc_events >= 500,
            "{file}: {} events counted",
            o.alloc_events
        );
        assert_eq!(o.allocations, 0, "{file}: allocations after warm-up");
        assert_eq!(o.allocations_per_event, Some(0.0));
    }
}
