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

/// A synthetic 1 m series of `n` candles (a slow triangle wave with a
/// drift, price about 60,000) through the engine's indicators, as the
/// candle views the decision stage gets, with a flat 10,000 quote account.
/// For the plugin benches (no shared data needed).
pub fn candle_views(
    symbol: kairos_core::binance::fast::Symbol,
    n: usize,
) -> Vec<kairos_core::engine::CandleView> {
    use kairos_core::engine::{AccountView, CandleState, CandleView, PredictionView};
    use kairos_core::indicators::{Candle, Timeframe};
    use kairos_core::num::{Price, Wide};
    let mut state = CandleState::new(Timeframe::M1);
    let account = AccountView {
        equity: Wide::from_int(10_000).expect("fits"),
        peak_equity: Wide::from_int(10_000).expect("fits"),
        free_quote: Wide::from_int(10_000).expect("fits"),
        ..AccountView::default()
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..n as i64 {
        let k = i % 50;
        let close = 60_000 + if k < 25 { k } else { 50 - k } * 20 + i / 3;
        let p = |x: i64| Price::from_int(x).expect("fits");
        let c = Candle::new(
            i * 60_000,
            Timeframe::M1,
            p(close - 3),
            p(close + 10),
            p(close - 10),
            p(close),
            Wide::from_int(i128::from(5 + i % 9)).expect("fits"),
        )
        .expect("valid candle");
        let (features, trend, higher) = state.update(&c).expect("primary timeframe");
        out.push(CandleView {
            symbol,
            now_ns: (i as u64 + 1) * 60_000_000_000,
            candle: c,
            features,
            trend,
            higher,
            account,
            prediction: PredictionView::default(),
        });
    }
    out
}
