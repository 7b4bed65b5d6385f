//! Helpers shared by the kairos benchmarks: locating `../shared/data` and
//! loading real capture lines from it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

/// The shared data folder: `$KAIROS_SHARED_DATA`, else `<workspace>/../shared/data`.
/// `None` (with a message on stderr) when it is absent.
pub fn shared_data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("KAIROS_SHARED_DATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
    };
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "kairos benches: shared data not found at {} (set KAIROS_SHARED_DATA); skipping",
            dir.display()
        );
        None
    }
}

/// Reads the raw messages of an hftbacktest-format capture (`<ts> <json>` per
/// line, gzip), returning the message bytes of each line.
pub fn hftbacktest_messages(file: &str) -> Option<Vec<Vec<u8>>> {
    let path = shared_data_dir()?.join("ticks").join(file);
    let f = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "kairos benches: cannot open {}: {e}; skipping",
                path.display()
            );
            return None;
        }
    };
    let reader = BufReader::new(flate2::read::GzDecoder::new(f));
    let mut out = Vec::new();
    for line in reader.split(b'\n') {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("kairos benches: {}: {e}", path.display());
                return None;
            }
        };
        if let Some(sp) = line.iter().position(|&b| b == b' ') {
            out.push(line[sp + 1..].to_vec());
        }
    }
    Some(out)
}

/// The capture the decode benches use (BTCUSDT, 2024-08-08 23:54 → 2024-08-09 00:00).
pub const BTCUSDT_CAPTURE: &str =
    "hftbacktest_binance_spot_BTCUSDT_ws_raw_20240808T2354_20240809T0000.jsonl.gz";
