//! Cost of one admission check of the request limiter, with Binance's four
//! published limits loaded (weight 6000/min, orders 50/10 s and 160 000/day,
//! raw requests 61 000/5 min):
//! - `admit_cancel`: a cancel admitted (weight + raw windows);
//! - `admit_order`: a new order admitted (all four windows), time advancing
//!   so the 10-second order window keeps rolling;
//! - `refuse_order`: a new order refused at the ORDERS limit;
//! - `check_order`: the read-only check of a new order;
//! - `observe_header`: parsing and applying `X-MBX-USED-WEIGHT-1M`.
//!
//! Run: `cargo bench -p kairos-benches --bench limiter`

use criterion::{criterion_group, criterion_main, Criterion};
use kairos_core::limiter::{Endpoint, Limiter, NANOS_PER_MS, NANOS_PER_SEC};
use std::hint::black_box;

/// 2024-08-08T23:54:00Z, in ns.
const T0: u64 = 1_723_161_240 * NANOS_PER_SEC;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("limiter");

    let cancel = Endpoint::OrderCancel.request();
    let order = Endpoint::OrderPlace.request();

    // 1 ms apart: 60 000 cancels a minute would pass 6000 weight, so the
    // clock advances 20 ms per call (3000 weight a minute, never refused).
    let mut l = Limiter::with_default_limits();
    let mut now = T0;
    g.bench_function("admit_cancel", |b| {
        b.iter(|| {
            now += 20 * NANOS_PER_MS;
            black_box(l.admit(black_box(&cancel), now)).is_ok()
        })
    });

    // 45 new orders per 10 s may pass: one every 250 ms stays under.
    let mut l = Limiter::with_default_limits();
    let mut now = T0;
    g.bench_function("admit_order", |b| {
        b.iter(|| {
            now += 250 * NANOS_PER_MS;
            black_box(l.admit(black_box(&order), now)).is_ok()
        })
    });

    let mut l = Limiter::with_default_limits();
    while l.admit(&order, T0).is_ok() {}
    g.bench_function("refuse_order", |b| {
        b.iter(|| black_box(l.admit(black_box(&order), black_box(T0))).is_err())
    });

    let l = Limiter::with_default_limits();
    g.bench_function("check_order", |b| {
        b.iter(|| black_box(l.check(black_box(&order), black_box(T0))).is_ok())
    });

    let mut l = Limiter::with_default_limits();
    g.bench_function("observe_header", |b| {
        b.iter(|| {
            black_box(l.observe_header(
                black_box("X-MBX-USED-WEIGHT-1M"),
                black_box("1234"),
                black_box(T0),
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
