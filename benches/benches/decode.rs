//! Hot-stream decoding: kairos's allocation-free decoder against a plain
//! `serde_json` derive of the same messages, in the same run, on real
//! Binance frames from `../shared/data/ticks/hftbacktest_*`.
//!
//! Run: `cargo bench -p kairos-benches --bench decode`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kairos_benches::{hftbacktest_messages, BTCUSDT_CAPTURE};
use kairos_core::binance::fast::{decode_hot, decode_hot_general, DepthBuf};
use kairos_core::num::{Price, Qty};
use serde::Deserialize;
use std::hint::black_box;

/// The baseline: what a plain serde derive of these messages looks like.
#[allow(dead_code)]
#[derive(Deserialize)]
struct Envelope<T> {
    stream: String,
    data: T,
}

#[allow(non_snake_case, dead_code)]
#[derive(Deserialize)]
struct SerdeBookTicker {
    u: u64,
    s: String,
    b: String,
    B: String,
    a: String,
    A: String,
}

#[allow(non_snake_case, dead_code)]
#[derive(Deserialize)]
struct SerdeTrade {
    e: String,
    E: u64,
    s: String,
    t: u64,
    p: String,
    q: String,
    T: u64,
    m: bool,
}

#[allow(non_snake_case, dead_code)]
#[derive(Deserialize)]
struct SerdeDepth {
    e: String,
    E: u64,
    s: String,
    U: u64,
    u: u64,
    b: Vec<(String, String)>,
    a: Vec<(String, String)>,
}

/// A second reference: serde derive straight into kairos's exact decimals.
#[allow(non_snake_case, dead_code)]
#[derive(Deserialize)]
struct SerdeBookTickerExact<'a> {
    u: u64,
    s: &'a str,
    b: Price,
    B: Qty,
    a: Price,
    A: Qty,
}

fn by_kind(msgs: &[Vec<u8>], stream_suffix: &str) -> Vec<Vec<u8>> {
    let needle = format!("@{stream_suffix}\"");
    msgs.iter()
        .filter(|m| m.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .cloned()
        .collect()
}

fn bench_kind<T: for<'de> Deserialize<'de>>(c: &mut Criterion, name: &str, msgs: &[Vec<u8>]) {
    let mut group = c.benchmark_group(format!("decode/{name}"));
    group.throughput(Throughput::Elements(msgs.len() as u64));
    let mut depth = DepthBuf::new();
    // Every frame must decode on both paths, or the comparison is void.
    for m in msgs {
        decode_hot(m, &mut depth).expect("fast path decodes the real frame");
        serde_json::from_slice::<Envelope<T>>(m).expect("serde decodes the real frame");
    }
    group.bench_function(BenchmarkId::new("kairos_fast", msgs.len()), |b| {
        b.iter(|| {
            for m in msgs {
                black_box(decode_hot(black_box(m), &mut depth).ok());
            }
        })
    });
    group.bench_function(
        BenchmarkId::new("kairos_general_scanner", msgs.len()),
        |b| {
            b.iter(|| {
                for m in msgs {
                    black_box(decode_hot_general(black_box(m), &mut depth).ok());
                }
            })
        },
    );
    group.bench_function(BenchmarkId::new("serde_derive", msgs.len()), |b| {
        b.iter(|| {
            for m in msgs {
                black_box(serde_json::from_slice::<Envelope<T>>(black_box(m)).ok());
            }
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let Some(all) = hftbacktest_messages(BTCUSDT_CAPTURE) else {
        eprintln!("decode bench: ../shared/data is absent; nothing measured");
        return;
    };
    let book = by_kind(&all, "bookTicker");
    let trade = by_kind(&all, "trade");
    let depth = by_kind(&all, "depth@100ms");
    bench_kind::<SerdeBookTicker>(c, "bookTicker", &book);
    bench_kind::<SerdeTrade>(c, "trade", &trade);
    bench_kind::<SerdeDepth>(c, "depthUpdate", &depth);

    let mut group = c.benchmark_group("decode/bookTicker_exact_serde");
    group.throughput(Throughput::Elements(book.len() as u64));
    group.bench_function(BenchmarkId::new("serde_derive_exact", book.len()), |b| {
        b.iter(|| {
            for m in &book {
                black_box(
                    serde_json::from_slice::<Envelope<SerdeBookTickerExact>>(black_box(m)).ok(),
                );
            }
        })
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
