//! Bit-for-bit regression guard for the engine's candle path: every
//! [`FeatureVector`] the indicators produce, on the primary timeframe and on
//! every aggregated higher timeframe, is folded into digests and compared
//! with `tests/data/indicators/golden_features.txt`.
//!
//! That file was written by this test (`KAIROS_WRITE_GOLDEN=1`) with the
//! indicator code *before* its arithmetic was optimised (the straightforward
//! `fixed` divisions and square root), so any later change that alters a
//! single bit of a single value, a readiness flag, a run length or a gap count
//! makes it fail, and the failing chunk says where.
//!
//! Inputs:
//! - every klines fixture of `tests/data/indicators/` (real Binance candles:
//!   a calm day, the 2023-03-24 halt and outage, 5 m / 15 m / 1 h series);
//! - a synthetic series from a fixed-seed generator that walks the price
//!   through every scale the candle limits allow (10^-8 to 10^9), with flat
//!   stretches, zero and huge volumes, and gaps;
//! - when `../shared/data/klines` is present, the shared BTCUSDT 1 m 2025
//!   window (the backtest bench's input) and the 1 h 2017–2024 file; absent,
//!   the test says so and checks the rest.

use kairos_core::engine::CandleState;
use kairos_core::indicators::{
    read_klines, read_klines_file, Aggregator, Candle, FeatureVector, IndicatorSet, Timeframe,
};
use kairos_core::num::{Price, Wide};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/indicators/");
const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/indicators/golden_features.txt"
);
/// Feature vectors per digest line (so a mismatch is located to a chunk).
const CHUNK: usize = 2048;
/// Candles of the synthetic series.
const SYNTHETIC_CANDLES: usize = 40_000;
/// Shared klines checked when present (file name, timeframe).
const SHARED: [(&str, Timeframe); 2] = [
    (
        "binance_spot_BTCUSDT_1m_2025-05-20_2025-08-18.csv.gz",
        Timeframe::M1,
    ),
    (
        "binance_spot_BTCUSDT_1h_2017-08-17_2024-04-21.csv.gz",
        Timeframe::H1,
    ),
];

/// FNV-1a, 64 bits: enough to catch any accidental change.
struct Digest(u64);

impl Digest {
    fn new() -> Digest {
        Digest(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn vector(&mut self, v: &FeatureVector) {
        self.bytes(&v.open_time_ms.to_le_bytes());
        self.bytes(v.timeframe.label().as_bytes());
        self.bytes(&v.close.units().to_le_bytes());
        self.bytes(&v.run_len.to_le_bytes());
        self.bytes(&v.gaps.to_le_bytes());
        self.bytes(&v.ready.to_le_bytes());
        for x in v.values {
            self.bytes(&x.to_bits().to_le_bytes());
        }
    }
}

/// Digest lines of one stream of feature vectors.
#[derive(Default)]
struct Stream {
    lines: Vec<String>,
    count: usize,
    digest: Option<Digest>,
}

impl Stream {
    fn push(&mut self, v: &FeatureVector) {
        self.digest.get_or_insert_with(Digest::new).vector(v);
        self.count += 1;
        if self.count % CHUNK == 0 {
            self.flush();
        }
    }
    fn push_trend(&mut self, trend: &[i8]) {
        let d = self.digest.get_or_insert_with(Digest::new);
        for t in trend {
            d.bytes(&t.to_le_bytes());
        }
    }
    fn flush(&mut self) {
        if let Some(d) = self.digest.take() {
            self.lines.push(format!("{} {:016x}", self.count, d.0));
        }
    }
}

/// Every digest line of one input series: the engine's [`CandleState`]
/// (primary features and trend votes), and each higher timeframe's features
/// through an [`Aggregator`] and an [`IndicatorSet`] (what `CandleState`
/// keeps inside).
fn digest_series(
    name: &str,
    tf: Timeframe,
    candles: &[Candle],
    out: &mut BTreeMap<String, String>,
) {
    let mut state = CandleState::new(tf);
    let mut primary = Stream::default();
    let mut higher: Vec<(Aggregator, IndicatorSet, Stream)> = Timeframe::ALL
        .into_iter()
        .filter(|h| h.ms() > tf.ms())
        .map(|h| {
            (
                Aggregator::new(tf, h).unwrap(),
                IndicatorSet::new(h),
                Stream::default(),
            )
        })
        .collect();
    for c in candles {
        let (fv, trend, _) = state.update(c).expect("candle of the primary timeframe");
        primary.push_trend(&trend);
        primary.push(&fv);
        for (agg, set, s) in &mut higher {
            for closed in agg.update(c).iter() {
                s.push(&set.update(&closed.candle));
            }
        }
    }
    let mut add = |tf: Timeframe, mut s: Stream| {
        s.flush();
        for (i, l) in s.lines.into_iter().enumerate() {
            out.insert(format!("{name} {} {i:03}", tf.label()), l);
        }
    };
    add(tf, primary);
    for (agg, _, s) in higher {
        add(agg.target(), s);
    }
}

fn timeframe_of(file: &str) -> Timeframe {
    Timeframe::ALL
        .into_iter()
        .find(|tf| file.contains(&format!("_{}_", tf.label())))
        .unwrap_or_else(|| panic!("{file}: no timeframe in the name"))
}

/// The fixture's klines (the reference file's extra columns dropped).
fn fixture(file: &str) -> Vec<Candle> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(format!("{DATA}{file}")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut klines = String::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let six: Vec<&str> = line.split(',').take(6).collect();
        klines.push_str(&six.join(","));
        klines.push('\n');
    }
    read_klines(klines.as_bytes(), timeframe_of(file))
        .unwrap()
        .candles
}

/// splitmix64: a fixed, portable pseudo-random sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// 1 m candles whose price wanders over every scale the candle limits allow.
fn synthetic() -> Vec<Candle> {
    const MAX_UNITS: i64 = kairos_core::indicators::candle::MAX_CANDLE_PRICE_UNITS;
    let mut rng = Rng(0x6b61_6972_6f73);
    let mut out = Vec::with_capacity(SYNTHETIC_CANDLES);
    let mut t = 1_700_000_040i64 * 1000 / 60_000 * 60_000;
    let mut price: i64 = 6_700_000_000_000; // 67,000.00000000
    let mut flat_left = 0u64;
    while out.len() < SYNTHETIC_CANDLES {
        // Regime switches: a jump of the price scale, a flat stretch, a gap.
        match rng.below(500) {
            0 => price = (price / 1000).max(1),
            1 => price = price.saturating_mul(1000).min(MAX_UNITS / 2),
            2 => price = 1 + rng.below(100) as i64,
            3 => price = MAX_UNITS - rng.below(1_000_000) as i64,
            4 => flat_left = 1 + rng.below(40),
            5 => t += 60_000 * (1 + rng.below(300) as i64),
            _ => {}
        }
        let open = price;
        let (close, high, low);
        if flat_left > 0 {
            flat_left -= 1;
            (close, high, low) = (open, open, open);
        } else {
            // A move of up to ±1 % (at least a unit either way).
            let span = (open / 100).max(2) as u64;
            let step = rng.below(2 * span + 1) as i64 - span as i64;
            close = (open + step).clamp(1, MAX_UNITS);
            let wick = (open / 200).max(1) as u64;
            high = (open.max(close) + rng.below(wick + 1) as i64).min(MAX_UNITS);
            low = (open.min(close) - rng.below(wick + 1) as i64).max(1);
        }
        let volume: i128 = match rng.below(50) {
            0 => 0,
            1 => {
                i128::from(rng.next() >> 1) * 1_000_000_000
                    % (i128::from(10u64.pow(18)) * 100_000_000)
            }
            _ => i128::from(rng.below(10_000_000_000_000)),
        };
        let p = |u: i64| Price::from_units(u).unwrap();
        out.push(
            Candle::new(
                t,
                Timeframe::M1,
                p(open),
                p(high),
                p(low),
                p(close),
                Wide::from_units(volume).unwrap(),
            )
            .unwrap(),
        );
        price = close;
        t += 60_000;
    }
    out
}

fn shared_klines() -> Option<PathBuf> {
    let dir = match std::env::var_os("KAIROS_SHARED_DATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
    };
    let dir = dir.join("klines");
    dir.is_dir().then_some(dir)
}

fn parse_golden(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 5, "golden line: {l}");
            (
                format!("{} {} {}", f[0], f[1], f[2]),
                format!("{} {}", f[3], f[4]),
            )
        })
        .collect()
}

#[test]
fn every_feature_vector_is_bit_identical_to_the_golden_digests() {
    let mut got = BTreeMap::new();
    let mut files: Vec<String> = std::fs::read_dir(DATA)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".csv.gz"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the indicator fixtures are missing");
    for f in &files {
        let candles = fixture(f);
        assert!(!candles.is_empty(), "{f}");
        digest_series(f, timeframe_of(f), &candles, &mut got);
    }
    digest_series("synthetic_1m", Timeframe::M1, &synthetic(), &mut got);
    let shared = shared_klines();
    match &shared {
        Some(dir) => {
            for (f, tf) in SHARED {
                let k = read_klines_file(&dir.join(f), tf).unwrap();
                digest_series(f, tf, &k.candles, &mut got);
            }
        }
        None => eprintln!(
            "indicators_golden: ../shared/data/klines absent: the shared 1 m 2025 and 1 h \
             2017-2024 series are not checked (the fixtures and the synthetic series are)"
        ),
    }

    if std::env::var_os("KAIROS_WRITE_GOLDEN").is_some() {
        assert!(
            shared.is_some(),
            "write the golden file with ../shared/data present"
        );
        let mut text = String::from(
            "# Digests of every FeatureVector (FNV-1a 64 over open time, timeframe, close,\n\
             # run length, gaps, ready bits and the 16 values' bits), per series, timeframe\n\
             # and chunk of vectors: `series timeframe chunk vectors_so_far digest`.\n\
             # Written by core/tests/indicators_golden.rs with KAIROS_WRITE_GOLDEN=1 from the\n\
             # indicator code before its arithmetic was optimised; never edit by hand.\n",
        );
        for (k, v) in &got {
            writeln!(text, "{k} {v}").unwrap();
        }
        std::fs::write(GOLDEN, text).unwrap();
        return;
    }

    let golden = parse_golden(&std::fs::read_to_string(GOLDEN).expect("golden file"));
    let mut checked = 0;
    for (k, want) in &golden {
        let shared_series = SHARED.iter().any(|(f, _)| k.starts_with(f));
        match got.get(k) {
            Some(v) => {
                assert_eq!(v, want, "feature vectors differ in {k} (count digest)");
                checked += 1;
            }
            None if shared_series && shared.is_none() => {}
            None => panic!("{k}: no longer produced"),
        }
    }
    for k in got.keys() {
        assert!(golden.contains_key(k), "{k}: not in the golden file");
    }
    assert!(checked >= files.len() * 2, "only {checked} digests checked");
}
