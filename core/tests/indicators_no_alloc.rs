//! Indicator updates allocate nothing: a counting global allocator watches
//! every indicator, the aggregators and the feature set over real candles,
//! including a gap (which resets every indicator).

use flate2::read::GzDecoder;
use kairos_core::indicators::{
    read_klines, Adx, Aggregator, Atr, Bollinger, Candle, Ema, Fx, IndicatorSet, Macd, Rsi, Sma,
    SupportResistance, Timeframe, VolumeRatio,
};
use std::io::BufReader;

#[global_allocator]
static GLOBAL: kairos_core::alloc_count::CountingAlloc = kairos_core::alloc_count::CountingAlloc;

fn allocations() -> u64 {
    kairos_core::alloc_count::thread_allocations()
}

fn candles(name: &str) -> Vec<Candle> {
    let path = format!(
        "{}/tests/data/indicators/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = std::fs::File::open(path).unwrap();
    read_klines(BufReader::new(GzDecoder::new(file)), Timeframe::M1)
        .unwrap()
        .candles
}

#[test]
fn updates_allocate_nothing() {
    // 520 minutes around the 2023-03-24 outage (one 80-minute gap).
    let input = candles("btcusdt_1m_20230324T0800_1800_outage.csv.gz");
    assert_eq!(input.len(), 520);
    // Everything is built before counting.
    let mut atr = Atr::new(14);
    let mut adx = Adx::new(14);
    let mut rsi = Rsi::new(14);
    let mut macd = Macd::new(12, 26, 9);
    let mut bb: Bollinger<20> = Bollinger::new(Fx::from_num(2));
    let mut sma: Sma<20> = Sma::new();
    let mut ema = Ema::new(50);
    let mut vr: VolumeRatio<20> = VolumeRatio::new();
    let mut sr = SupportResistance::new();
    let mut set = IndicatorSet::new(Timeframe::M1);
    let mut aggs: Vec<Aggregator> = [Timeframe::M5, Timeframe::M15, Timeframe::H1, Timeframe::H4]
        .into_iter()
        .map(|tf| Aggregator::new(Timeframe::M1, tf).unwrap())
        .collect();
    let mut higher: Vec<IndicatorSet> =
        aggs.iter().map(|a| IndicatorSet::new(a.target())).collect();

    let before = allocations();
    let mut ready = 0u64;
    let mut closed = 0u64;
    for c in &input {
        ready += u64::from(atr.update(c).is_some());
        ready += u64::from(adx.update(c).is_some());
        ready += u64::from(rsi.update(c).is_some());
        ready += u64::from(macd.update(c).is_some());
        ready += u64::from(bb.update(c).is_some());
        ready += u64::from(sma.update(c).is_some());
        ready += u64::from(ema.update(c).is_some());
        ready += u64::from(vr.update(c).is_some());
        ready += u64::from(sr.update(c).is_some());
        ready += u64::from(set.update(c).all_ready());
        for (a, s) in aggs.iter_mut().zip(higher.iter_mut()) {
            for k in a.update(c).iter() {
                closed += 1;
                s.update(&k.candle);
            }
        }
    }
    let after = allocations();
    assert!(ready > 3000, "indicators warmed up ({ready})");
    assert!(closed > 140, "higher-timeframe candles closed ({closed})");
    assert_eq!(
        set.update(&input[0]).gaps,
        2,
        "the outage and the step back"
    );
    assert_eq!(
        after - before,
        0,
        "allocations while updating over {} candles",
        input.len()
    );
    // The counter itself works.
    let v: Vec<u8> = Vec::with_capacity(16);
    assert!(
        allocations() > after,
        "counting allocator saw {v:?} allocate"
    );
}
