//! The engine's hot path on real frames: decode + book (+ oracle + no-op
//! decision) per message kind, and end-to-end replay of a native capture
//! (memory-mapped) of the two shared BTCUSDT files.
//!
//! Run: `cargo bench -p kairos-benches --bench replay`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kairos_benches::{hftbacktest_messages, shared_data_dir, BTCUSDT_CAPTURE};
use kairos_core::binance::fast::Symbol;
use kairos_core::book::BookConfig;
use kairos_core::capture::import::InputFormat;
use kairos_core::capture::writer::CaptureWriter;
use kairos_core::cli::convert::convert_input;
use kairos_core::drive::replay::{ReplayFormat, Source};
use kairos_core::engine::{Actions, Engine, Event, Input, NoProbe, NoopDecide};
use std::hint::black_box;

/// An engine whose BTCUSDT book is live: the capture up to and including its
/// snapshot and the diffs that follow it.
fn synced_engine(all: &[Vec<u8>]) -> Engine<NoopDecide> {
    let mut e = Engine::new(NoopDecide, BookConfig::default());
    let mut actions = Actions::new();
    let symbol = Symbol::new(b"BTCUSDT").expect("valid symbol");
    for m in all {
        let event = if m.starts_with(b"{\"lastUpdateId\"") {
            Event::DepthSnapshot { symbol, bytes: m }
        } else {
            Event::MarketFrame { conn: 0, bytes: m }
        };
        e.on_input(&Input { now_ns: 0, event }, &mut actions, &mut NoProbe);
        actions.clear();
    }
    e
}

fn per_kind(c: &mut Criterion) {
    let Some(all) = hftbacktest_messages(BTCUSDT_CAPTURE) else {
        eprintln!("replay bench: ../shared/data is absent; nothing measured");
        return;
    };
    for (name, needle) in [
        ("bookTicker", &b"@bookTicker\""[..]),
        ("trade", b"@trade\""),
        ("depthUpdate", b"@depth@100ms\""),
    ] {
        // Frames after the warm-up half, so update ids keep growing as live.
        let (warm, rest) = all.split_at(all.len() / 2);
        let frames: Vec<&Vec<u8>> = rest
            .iter()
            .filter(|m| m.windows(needle.len()).any(|w| w == needle))
            .collect();
        let mut group = c.benchmark_group(format!("engine/{name}"));
        group.throughput(Throughput::Elements(frames.len() as u64));
        group.bench_function(
            BenchmarkId::new("decode+book+decision", frames.len()),
            |b| {
                // A fresh synced engine per batch: depth diffs replayed twice
                // would be dropped as stale and cost nothing.
                b.iter_batched_ref(
                    || synced_engine(warm),
                    |e| {
                        let mut actions = Actions::new();
                        for m in &frames {
                            let input = Input {
                                now_ns: 0,
                                event: Event::MarketFrame { conn: 0, bytes: m },
                            };
                            e.on_input(&input, &mut actions, &mut NoProbe);
                            actions.clear();
                        }
                        black_box(e.stats().decisions)
                    },
                    criterion::BatchSize::LargeInput,
                )
            },
        );
        group.finish();
    }
}

fn end_to_end(c: &mut Criterion) {
    let Some(dir) = shared_data_dir() else {
        return;
    };
    let out = std::env::temp_dir().join(format!("kairos-bench-{}.kcap", std::process::id()));
    let mut w = match CaptureWriter::create(&out, "bench") {
        Ok(w) => w,
        Err(e) => {
            eprintln!("replay bench: cannot write {}: {e}", out.display());
            return;
        }
    };
    for f in [
        BTCUSDT_CAPTURE,
        "hftbacktest_binance_spot_BTCUSDT_ws_raw_20240809T0000_20240809T0005.jsonl.gz",
    ] {
        let path = dir.join("ticks").join(f);
        if !matches!(
            convert_input(&path, InputFormat::Hftbacktest, &mut w),
            Ok(Ok(_))
        ) {
            eprintln!("replay bench: cannot convert {}", path.display());
            return;
        }
    }
    if w.finish().is_err() {
        return;
    }
    let Ok(source) = Source::load(ReplayFormat::Native, std::slice::from_ref(&out)) else {
        return;
    };
    let mut engine = Engine::new(NoopDecide, BookConfig::default());
    let mut actions = Actions::new();
    let n = source.pass(&mut engine, &mut actions, |_| {}).events;
    let mut group = c.benchmark_group("replay/native_btcusdt_2024-08-08_09");
    group.throughput(Throughput::Elements(n));
    group.sample_size(20);
    group.bench_function(
        BenchmarkId::new("mmap→decode→book→decision", n),
        |b| {
            // A fresh engine per pass (its books made before timing, as at
            // start-up); the pass itself is what is timed.
            b.iter_batched_ref(
                || source.engine(),
                |engine| black_box(source.pass(engine, &mut actions, |_| {})),
                criterion::BatchSize::LargeInput,
            )
        },
    );
    group.finish();
    let _ = std::fs::remove_file(&out);
}

criterion_group!(benches, per_kind, end_to_end);
criterion_main!(benches);
