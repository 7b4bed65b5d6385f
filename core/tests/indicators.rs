//! The indicators against reference values that do not come from this code:
//! TA-Lib and the `ta` package on 600 real BTCUSDT 1 m candles (fixture made
//! by `tools/indicators_reference.py`, see `tests/data/README.md`), and the
//! multi-timeframe aggregation against Binance's own 5 m / 15 m / 1 h klines.

use flate2::read::GzDecoder;
use kairos_core::indicators::{
    read_klines, Adx, Aggregator, Atr, Bollinger, Candle, Ema, Fx, Macd, Rsi, Sma,
    SupportResistance, Timeframe, VolumeRatio,
};
use std::collections::HashMap;
use std::io::{BufReader, Read};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/indicators/");
const REFERENCE: &str = "btcusdt_1m_20240726_first600_reference.csv.gz";
const ROWS: usize = 600;

/// Rows from which `ta` is compared: its seeding differs from Wilder's /
/// TA-Lib's (first-value EWM for RSI/EMA/MACD, a sum of n for the ADX sums,
/// the first bar's high − low inside the first ATR mean); every difference
/// decays geometrically, by (13/14)^k for the Wilder ones, ≈ 1e-13 after 400.
const TA_FROM_ROW: usize = 400;
/// `ta` 0.11.0's ADX / DI loops stop one row short (`range(1, len − 1)`), so
/// its last row is not a value.
const TA_ADX_LAST_ROW_BROKEN: usize = 1;

/// Tolerances, absolute. Sources of difference: TA-Lib and `ta` work in
/// float64 (≈1e-16 relative, so ≈1e-11 at BTC's 67 000), kairos in 64.64
/// fixed point (2^-64 per operation); neither accumulates.
/// Values in quote units (ATR, MACD, SMA, EMA): a hundredth of the 10^-8
/// price resolution.
const TOL_PRICE: f64 = 1e-10;
/// 0–100 scores (RSI, ADX, ±DI).
const TOL_SCORE: f64 = 1e-10;
/// Fractions (Bollinger width, volume ratio, support / resistance distance).
const TOL_RATIO: f64 = 1e-12;
/// Deviation of `ours − ta` EMA(50) from its exact seed-decay curve: the
/// curve `d₀·ρ^k` is itself evaluated in float64 and `ta`'s EWM adds its
/// float64 noise (≈1e-11 per step at 67 000), so this is looser than
/// [`TOL_PRICE`]; a wrong period misses the curve by ~1e-2.
const TOL_DECAY: f64 = 5e-10;

struct Reference {
    candles: Vec<Candle>,
    columns: HashMap<String, Vec<Option<f64>>>,
}

fn gz_text(name: &str) -> String {
    let mut s = String::new();
    GzDecoder::new(std::fs::File::open(format!("{DATA}{name}")).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s
}

fn load_reference() -> Reference {
    let text = gz_text(REFERENCE);
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut columns: HashMap<String, Vec<Option<f64>>> = HashMap::new();
    let mut klines = String::new();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), header.len());
        klines.push_str(&fields[..6].join(","));
        klines.push('\n');
        for (name, f) in header.iter().zip(&fields).skip(6) {
            let v = (!f.is_empty()).then(|| f.parse::<f64>().unwrap());
            columns.entry(name.to_string()).or_default().push(v);
        }
    }
    // The candles go through kairos's own parser, from the exact decimals.
    let k = read_klines(klines.as_bytes(), Timeframe::M1).unwrap();
    assert_eq!(k.candles.len(), ROWS);
    assert!(k.gaps.is_empty());
    Reference {
        candles: k.candles,
        columns,
    }
}

fn f(x: Fx) -> f64 {
    x.to_num::<f64>()
}

fn series<T>(
    candles: &[Candle],
    mut update: impl FnMut(&Candle) -> Option<T>,
    pick: impl Fn(&T) -> Option<Fx>,
) -> Vec<Option<f64>> {
    candles
        .iter()
        .map(|c| update(c).as_ref().and_then(&pick).map(f))
        .collect()
}

/// Compares `ours` with `reference` on rows `from..to`; both must be present
/// (or both absent) on every row. Returns the largest absolute difference,
/// or the first row over `tol`.
fn compare(
    ours: &[Option<f64>],
    reference: &[Option<f64>],
    from: usize,
    to: usize,
    tol: f64,
) -> Result<f64, String> {
    let mut max = 0.0f64;
    let mut compared = 0;
    for i in from..to {
        match (ours[i], reference[i]) {
            (None, None) => {}
            (Some(a), Some(b)) => {
                let d = (a - b).abs();
                if d.is_nan() || d > tol {
                    return Err(format!(
                        "row {i}: ours {a} reference {b} (|diff| {d:e} > {tol:e})"
                    ));
                }
                max = max.max(d);
                compared += 1;
            }
            (a, b) => {
                return Err(format!(
                    "row {i}: ours {a:?} reference {b:?} (warm-up differs)"
                ))
            }
        }
    }
    if compared == 0 {
        return Err("nothing compared".into());
    }
    Ok(max)
}

/// Checks that `ours − reference` (both EMA(`period`) of the same closes,
/// seeded differently) decays exactly like `d₀·(1 − 2/(period + 1))^k`, within
/// [`TOL_DECAY`]; returns the largest deviation from that curve.
fn ema_seed_decay(
    ours: &[Option<f64>],
    reference: &[Option<f64>],
    period: u32,
) -> Result<f64, String> {
    let first = ours.iter().position(Option::is_some).ok_or("no values")?;
    let rho = 1.0 - 2.0 / (f64::from(period) + 1.0);
    let d0 = ours[first].unwrap() - reference[first].ok_or("reference not warm")?;
    let mut max = 0.0f64;
    for k in first..ours.len() {
        let (a, b) = (
            ours[k].ok_or("gap in ours")?,
            reference[k].ok_or("gap in reference")?,
        );
        let expect = d0 * rho.powi((k - first) as i32);
        let dev = ((a - b) - expect).abs();
        if dev > TOL_DECAY {
            return Err(format!(
                "row {k}: diff {} expected {expect} (|dev| {dev:e})",
                a - b
            ));
        }
        max = max.max(dev);
    }
    Ok(max)
}

/// Every indicator's series, by the reference's column suffix.
fn ours(candles: &[Candle]) -> Vec<(&'static str, Vec<Option<f64>>, f64)> {
    let mut atr = Atr::new(14);
    let mut adx = Adx::new(14);
    let (mut adx2, mut adx3) = (Adx::new(14), Adx::new(14));
    let mut rsi = Rsi::new(14);
    let (mut m1, mut m2, mut m3) = (
        Macd::new(12, 26, 9),
        Macd::new(12, 26, 9),
        Macd::new(12, 26, 9),
    );
    let mut bb: Bollinger<20> = Bollinger::new(Fx::from_num(2));
    let mut sma: Sma<20> = Sma::new();
    let (mut e20, mut e50) = (Ema::new(20), Ema::new(50));
    vec![
        (
            "atr",
            series(candles, |c| atr.update(c), |v| Some(*v)),
            TOL_PRICE,
        ),
        (
            "adx",
            series(candles, |c| adx.update(c), |v| Some(v.adx)),
            TOL_SCORE,
        ),
        (
            "plus_di",
            series(
                candles,
                |c| {
                    adx2.update(c);
                    adx2.di()
                },
                |v| Some(v.0),
            ),
            TOL_SCORE,
        ),
        (
            "minus_di",
            series(
                candles,
                |c| {
                    adx3.update(c);
                    adx3.di()
                },
                |v| Some(v.1),
            ),
            TOL_SCORE,
        ),
        (
            "rsi",
            series(candles, |c| rsi.update(c), |v| Some(*v)),
            TOL_SCORE,
        ),
        (
            "macd",
            series(candles, |c| m1.update(c), |v| Some(v.macd)),
            TOL_PRICE,
        ),
        (
            "macd_signal",
            series(candles, |c| m2.update(c), |v| Some(v.signal)),
            TOL_PRICE,
        ),
        (
            "macd_hist",
            series(candles, |c| m3.update(c), |v| Some(v.histogram)),
            TOL_PRICE,
        ),
        (
            "bb_width",
            series(candles, |c| bb.update(c), |v| Some(v.width)),
            TOL_RATIO,
        ),
        (
            "sma20",
            series(candles, |c| sma.update(c), |v| Some(*v)),
            TOL_PRICE,
        ),
        (
            "ema20",
            series(candles, |c| e20.update(c), |v| Some(*v)),
            TOL_PRICE,
        ),
        (
            "ema50",
            series(candles, |c| e50.update(c), |v| Some(*v)),
            TOL_PRICE,
        ),
    ]
}

#[test]
fn every_indicator_matches_talib_from_its_first_value() {
    let r = load_reference();
    for (name, series, tol) in ours(&r.candles) {
        let reference = &r.columns[&format!("talib_{name}")];
        match compare(&series, reference, 0, ROWS, tol) {
            Ok(max) => println!("talib_{name:<12} max |diff| {max:.3e} (tolerance {tol:e})"),
            Err(e) => panic!("talib_{name}: {e}"),
        }
    }
}

#[test]
fn every_indicator_matches_ta_once_its_seeding_has_decayed() {
    let r = load_reference();
    for (name, series, tol) in ours(&r.candles) {
        let reference = &r.columns[&format!("ta_{name}")];
        if name == "ema50" {
            // EMA(50) forgets its seed slowest: (49/51)^400 ≈ 1e-7 is still
            // visible at BTC prices. Two EMAs with the same α over the same
            // closes differ by exactly d₀·(1 − α)^k, so check that decay
            // from our first value on instead.
            let max =
                ema_seed_decay(&series, reference, 50).unwrap_or_else(|e| panic!("ta_ema50: {e}"));
            println!("ta_{name:<15} max |diff − d₀·(49/51)^k| {max:.3e} from row 49");
            continue;
        }
        let to = if name.contains("di") || name == "adx" {
            ROWS - TA_ADX_LAST_ROW_BROKEN
        } else {
            ROWS
        };
        match compare(&series, reference, TA_FROM_ROW, to, tol) {
            Ok(max) => println!("ta_{name:<15} max |diff| {max:.3e} over rows {TA_FROM_ROW}..{to}"),
            Err(e) => panic!("ta_{name}: {e}"),
        }
    }
}

#[test]
fn volume_ratio_and_swing_levels_match_their_brute_force_definitions() {
    let r = load_reference();
    let mut vr: VolumeRatio<20> = VolumeRatio::new();
    let vol = series(&r.candles, |c| vr.update(c), |v| Some(*v));
    let max = compare(&vol, &r.columns["ref_volume_ratio"], 0, ROWS, TOL_RATIO).unwrap();
    println!("ref_volume_ratio        max |diff| {max:.3e}");
    for (name, sup) in [
        ("ref_support_distance", true),
        ("ref_resistance_distance", false),
    ] {
        let mut sr = SupportResistance::new();
        let s = series(
            &r.candles,
            |c| sr.update(c),
            |v| {
                if sup {
                    v.support_distance
                } else {
                    v.resistance_distance
                }
            },
        );
        let max = compare(&s, &r.columns[name], 0, ROWS, TOL_RATIO).unwrap();
        let present = s.iter().flatten().count();
        assert!(present > 400, "{name}: only {present} values");
        println!("{name:<23} max |diff| {max:.3e} ({present} values)");
    }
}

/// The comparison can fail: a wrong period, a wrong multiplier or a
/// one-candle shift is caught by each reference.
#[test]
fn the_comparison_catches_a_wrong_period() {
    let r = load_reference();
    let c = &r.candles;
    let mut rsi13 = Rsi::new(13);
    let s = series(c, |x| rsi13.update(x), |v| Some(*v));
    assert!(compare(&s, &r.columns["talib_rsi"], 0, ROWS, TOL_SCORE).is_err());
    assert!(compare(&s, &r.columns["ta_rsi"], TA_FROM_ROW, ROWS, TOL_SCORE).is_err());
    let mut atr15 = Atr::new(15);
    let s = series(c, |x| atr15.update(x), |v| Some(*v));
    assert!(compare(&s, &r.columns["talib_atr"], 0, ROWS, TOL_PRICE).is_err());
    let mut bb: Bollinger<20> = Bollinger::new(Fx::from_num(2.5));
    let s = series(c, |x| bb.update(x), |v| Some(v.width));
    assert!(compare(&s, &r.columns["talib_bb_width"], 0, ROWS, TOL_RATIO).is_err());
    let mut macd = Macd::new(12, 26, 10);
    let s = series(c, |x| macd.update(x), |v| Some(v.signal));
    assert!(compare(&s, &r.columns["talib_macd_signal"], 0, ROWS, TOL_PRICE).is_err());
    // Even skipping warm-up alignment, values drift apart: ADX(13) from row 100.
    let mut adx13 = Adx::new(13);
    let s = series(c, |x| adx13.update(x), |v| Some(v.adx));
    assert!(compare(&s, &r.columns["talib_adx"], 100, ROWS, TOL_SCORE).is_err());
    // The seed-decay check catches a wrong EMA period too.
    let mut e49 = Ema::new(49);
    let s = series(c, |x| e49.update(x), |v| Some(*v));
    assert!(ema_seed_decay(&s, &r.columns["ta_ema50"], 50).is_err());
    // And the right one passes (so the failures above are the wrong periods).
    let mut rsi14 = Rsi::new(14);
    let s = series(c, |x| rsi14.update(x), |v| Some(*v));
    assert!(compare(&s, &r.columns["talib_rsi"], 0, ROWS, TOL_SCORE).is_ok());
}

fn klines(name: &str, tf: Timeframe) -> kairos_core::indicators::Klines {
    read_klines(
        BufReader::new(GzDecoder::new(
            std::fs::File::open(format!("{DATA}{name}")).unwrap(),
        )),
        tf,
    )
    .unwrap()
}

fn aggregate(
    input: &[Candle],
    from: Timeframe,
    to: Timeframe,
) -> Vec<kairos_core::indicators::AggregatedCandle> {
    let mut a = Aggregator::new(from, to).unwrap();
    input
        .iter()
        .flat_map(|c| a.update(c).iter().collect::<Vec<_>>())
        .collect()
}

#[test]
fn one_minute_candles_aggregate_to_binances_own_5m_and_15m_candles() {
    let r = load_reference();
    for (file, tf, n) in [
        (
            "btcusdt_5m_20240726T1415_first120.csv.gz",
            Timeframe::M5,
            120,
        ),
        (
            "btcusdt_15m_20240726T1415_first40.csv.gz",
            Timeframe::M15,
            40,
        ),
    ] {
        let direct = klines(file, tf).candles;
        assert_eq!(direct.len(), n);
        let built = aggregate(&r.candles, Timeframe::M1, tf);
        assert_eq!(built.len(), n, "{tf}");
        for (b, d) in built.iter().zip(&direct) {
            assert!(b.is_complete());
            assert_eq!(&b.candle, d, "{tf} candle at {}", d.open_time_ms);
        }
    }
}

#[test]
fn aggregation_across_the_2023_03_24_outage_matches_binances_1h_candles() {
    // 08:00–18:00 UTC; trading halted at 11:28 (flat zero-volume minutes),
    // the feed stopped after 12:39 and resumed at 14:00.
    let m1 = klines("btcusdt_1m_20230324T0800_1800_outage.csv.gz", Timeframe::M1);
    assert_eq!(m1.candles.len(), 520);
    assert_eq!(m1.gaps.len(), 1);
    let g = m1.gaps[0];
    assert_eq!((g.last_before_ms, g.missing), (1_679_661_540_000, 80));
    let h1 = klines("btcusdt_1h_20230324T0800_1800_outage.csv.gz", Timeframe::H1);
    // Binance's 1 h series has the same hole: no 13:00 candle.
    assert_eq!(h1.candles.len(), 9);
    assert_eq!(h1.gaps.len(), 1);
    let built = aggregate(&m1.candles, Timeframe::M1, Timeframe::H1);
    let candles: Vec<Candle> = built.iter().map(|a| a.candle).collect();
    assert_eq!(candles, h1.candles);
    // The 12:00 hour is built from its 40 minutes and says so; no 13:00 candle.
    let noon = built
        .iter()
        .find(|a| a.candle.open_time_ms == 1_679_659_200_000)
        .unwrap();
    assert_eq!(
        (noon.parts, noon.expected, noon.is_complete()),
        (40, 60, false)
    );
    assert_eq!(built.iter().filter(|a| !a.is_complete()).count(), 1);
    // Indicators on the 1 h series restart after the missing hour.
    let mut atr = Atr::new(2);
    let ready: Vec<bool> = candles.iter().map(|c| atr.update(c).is_some()).collect();
    assert_eq!(
        ready,
        [false, false, true, true, true, false, false, true, true]
    );
}
