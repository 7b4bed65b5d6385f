//! Exact fast paths for the [`Fx`] operations that dominate the indicators'
//! cost: fixed-point division, division by a small period, division of a
//! price by 10^8 and the Bollinger square root.
//!
//! Every function here returns **the same bits** as the `fixed` operation it
//! replaces (named in its docs), for every input: each computes the exact
//! mathematical result (a floor or a truncation of an exact rational or
//! root), only with fewer and cheaper machine operations — 64-bit limbs
//! with one hardware division per Fx division (Knuth's algorithm D with
//! Möller–Granlund reciprocals) instead of `fixed`'s general 256-by-128-bit
//! routine, multiplications by precomputed reciprocals whose exactness is
//! proved next to them, and an integer square root whose floating-point
//! estimate is corrected by exact integer comparisons. Inputs outside a fast
//! path's proved range go to the `fixed` operation (or `u128::isqrt`). The tests below compare each
//! function with `fixed` on edge cases and on random inputs of every
//! magnitude, and `core/tests/indicators_golden.rs` checks every feature
//! vector against digests written before these paths existed.

use super::Fx;

/// `(hi·2^64 + lo) / d` and its remainder; requires `hi < d` (the quotient
/// then fits 64 bits, and the `u128` division ends in one hardware
/// 128-by-64-bit divide).
#[inline(always)]
fn div_2by1(hi: u64, lo: u64, d: u64) -> (u64, u64) {
    debug_assert!(hi < d);
    let n = (u128::from(hi) << 64) | u128::from(lo);
    let q = (n / u128::from(d)) as u64;
    let r = (n as u64).wrapping_sub(q.wrapping_mul(d));
    (q, r)
}

/// `x·2^k` for `k < 64` as its top limb and low 128 bits, in 64-bit shifts
/// (no branch: `(y >> 1) >> (63 − k)` is `y >> (64 − k)`, and 0 for `k = 0`).
#[inline(always)]
fn shl_split(x: u128, k: u32) -> (u64, u128) {
    debug_assert!(k < 64);
    let (h, l) = ((x >> 64) as u64, x as u64);
    let top = (h >> 1) >> (63 - k);
    let mid = (h << k) | ((l >> 1) >> (63 - k));
    (top, (u128::from(mid) << 64) | u128::from(l << k))
}

/// A normalised 64-bit divisor (top bit set) with its reciprocal
/// `v = ⌊(2^128 − 1)/d⌋ − 2^64`, for Möller and Granlund's division by an
/// invariant integer ("Improved division by invariant integers", IEEE Trans.
/// Computers 60(2), 2011, algorithm 4): each quotient digit is then one
/// 64×64-bit multiplication and two conditional corrections, exact for every
/// `(u1·2^64 + u0) / d` with `u1 < d`.
#[derive(Debug, Clone, Copy)]
struct Recip64 {
    d: u64,
    v: u64,
}

impl Recip64 {
    /// `d` must have its top bit set. One hardware division.
    #[inline(always)]
    fn new(d: u64) -> Recip64 {
        debug_assert!(d >> 63 == 1);
        // (2^128 − 1 − d·2^64) / d, high limb !d < d.
        Recip64 {
            d,
            v: div_2by1(!d, u64::MAX, d).0,
        }
    }

    /// `(u1·2^64 + u0) / d` and its remainder; `u1 < d` (algorithm 4).
    #[inline(always)]
    fn step(self, u1: u64, u0: u64) -> (u64, u64) {
        debug_assert!(u1 < self.d);
        let p = u128::from(self.v) * u128::from(u1);
        let q = p.wrapping_add((u128::from(u1) << 64) | u128::from(u0));
        let (mut q1, q0) = (((q >> 64) as u64).wrapping_add(1), q as u64);
        let mut r = u0.wrapping_sub(q1.wrapping_mul(self.d));
        if r > q0 {
            q1 = q1.wrapping_sub(1);
            r = r.wrapping_add(self.d);
        }
        if r >= self.d {
            q1 += 1;
            r -= self.d;
        }
        (q1, r)
    }
}

/// One quotient digit of `U / d` for a 192-bit `U = (u2, u1:u0)` and a
/// normalised 128-bit divisor `d = d1:d0` (top bit set, `d1r` the reciprocal
/// of `d1`) with `U < d·2^64`: the digit (< 2^64) and the remainder (< `d`).
/// Knuth's algorithm D (4.3.1), steps D3–D4 for a two-limb divisor: the
/// estimate `q̂ = ⌊(u2:u1)/d1⌋` (capped at 2^64 − 1) is at least the digit
/// and at most 2 above it; the D3 test `q̂·d0 > r̂·2^64 + u0` uses the whole
/// divisor, so it holds exactly while `q̂·d > U`, and stops at the digit.
#[inline(always)]
fn div_3by2(u2: u64, u1u0: u128, d: u128, d1r: Recip64) -> (u64, u128) {
    let (d1, d0) = ((d >> 64) as u64, d as u64);
    let (u1, u0) = ((u1u0 >> 64) as u64, u1u0 as u64);
    debug_assert!(d1r.d == d1 && u2 <= d1);
    // q̂ and r̂ = (u2:u1) − q̂·d1 (r̂ may reach 2^64 when q̂ is capped).
    let (mut q, mut rhat) = if u2 >= d1 {
        (u64::MAX, u128::from(u1) + u128::from(d1))
    } else {
        let (q, r) = d1r.step(u2, u1);
        (q, u128::from(r))
    };
    // D3: once r̂ ≥ 2^64, q̂·d0 < 2^128 ≤ r̂·2^64 and the test is false.
    while rhat >> 64 == 0 && u128::from(q) * u128::from(d0) > ((rhat << 64) | u128::from(u0)) {
        q -= 1;
        rhat += u128::from(d1);
    }
    // U − q·d = r̂·2^64 + u0 − q·d0, in [0, d): exact modulo 2^128.
    let rem = ((rhat << 64) | u128::from(u0)).wrapping_sub(u128::from(q) * u128::from(d0));
    (q, rem)
}

/// `⌊n·2^64 / d⌋` when it fits 128 bits, `None` otherwise; `d ≠ 0`.
/// (The unsigned core of `I64F64` division: `fixed` computes the same
/// quotient with a general 256-by-128-bit division.)
#[inline(always)]
pub(crate) fn udiv_shl64(n: u128, d: u128) -> Option<u128> {
    debug_assert!(d != 0);
    let (n1, n0) = ((n >> 64) as u64, n as u64);
    if d >> 64 == 0 {
        let d = d as u64;
        // N = n1:n0:0; the quotient fits 128 bits iff n1 < d.
        if n1 >= d {
            return None;
        }
        let (q1, r1) = if n1 == 0 {
            (n0 / d, n0 % d)
        } else {
            div_2by1(n1, n0, d)
        };
        let (q0, _) = div_2by1(r1, 0, d);
        return Some((u128::from(q1) << 64) | u128::from(q0));
    }
    // d ≥ 2^64: the quotient is below n, so it fits.
    // Normalise so d's top bit is set: N' = N·2^s = (u3, u2, u1, 0).
    let s = d.leading_zeros();
    let (_, d) = shl_split(d, s);
    let (u3, u2u1) = shl_split(n, s);
    // N' = u3·2^192 + u2u1·2^64; first digit from (u3, u2u1), second from
    // (remainder, 0).
    // (When n < 2^64 the first digit is 0: n·2^s < 2^128 ≤ d·2^64.)
    let d1r = Recip64::new((d >> 64) as u64);
    let (qh, r) = if n1 == 0 {
        (0, u2u1)
    } else {
        div_3by2(u3, u2u1, d, d1r)
    };
    let (ql, _) = div_3by2((r >> 64) as u64, r << 64, d, d1r);
    Some((u128::from(qh) << 64) | u128::from(ql))
}

/// `num / den` in [`Fx`] for `den > 0` and `num` below 2^63: the same bits
/// as `fx_ratio(num, den)` (the quotient `⌊num·2^64/den⌋` is below 2^127:
/// no saturation), by one 64-bit and one 128-by-64-bit division.
#[inline(always)]
pub(crate) fn ratio_u64(num: u64, den: u64) -> Fx {
    debug_assert!(den > 0 && num >> 63 == 0);
    let (h, r) = (num / den, num % den);
    let (l, _) = div_2by1(r, 0, den);
    Fx::from_bits(((u128::from(h) << 64) | u128::from(l)) as i128)
}

/// `a / b` in [`Fx`], truncated toward zero, saturating on overflow: the
/// same bits as `a.saturating_div(b)`. Panics when `b` is zero, as that does.
#[inline(always)]
pub(crate) fn fx_div(a: Fx, b: Fx) -> Fx {
    let (x, y) = (a.to_bits(), b.to_bits());
    if y == 0 {
        return a.saturating_div(b);
    }
    let negative = (x < 0) != (y < 0);
    let q = udiv_shl64(x.unsigned_abs(), y.unsigned_abs());
    Fx::from_bits(match (q, negative) {
        (Some(q), false) if q <= i128::MAX as u128 => q as i128,
        (Some(q), true) if q <= 1u128 << 127 => (q as i128).wrapping_neg(),
        (_, false) => i128::MAX,
        (_, true) => i128::MIN,
    })
}

/// `⌊u·2^64 / D⌋` for a constant divisor `D` with a precomputed reciprocal:
/// with `2^64 = D·Q + R`, `u = D·h + r` (`r < D`),
/// `u·2^64 / D = h·2^64 + r·Q + r·R / D`, and `r·R < D²`, so for `D < 2^32`
/// everything is 64-bit arithmetic (and division by the constant `D`
/// compiles to a multiplication).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShlDiv {
    d: u64,
    q: u64,
    r: u64,
}

impl ShlDiv {
    /// The reciprocal of `d` (> 1).
    pub(crate) const fn new(d: u64) -> ShlDiv {
        assert!(d > 1, "ShlDiv needs a divisor above 1");
        let two64 = 1u128 << 64;
        ShlDiv {
            d,
            q: (two64 / d as u128) as u64,
            r: (two64 % d as u128) as u64,
        }
    }

    /// `⌊u·2^64 / d⌋` (< 2^127 since `d > 1`).
    #[inline(always)]
    pub(crate) const fn apply(self, u: u64) -> u128 {
        let (h, r) = (u / self.d, u % self.d);
        let tail = if self.d < 1 << 32 {
            (r * self.r / self.d) as u128
        } else {
            (r as u128 * self.r as u128) / self.d as u128
        };
        ((h as u128) << 64) + r as u128 * self.q as u128 + tail
    }

    /// `num / d` as an [`Fx`] (truncated toward zero): the same bits as
    /// `fx_ratio(num, d)`, for any `num`.
    #[inline(always)]
    pub(crate) fn ratio(self, num: i128) -> Fx {
        match u64::try_from(num.unsigned_abs()) {
            Ok(u) => {
                // |result| < 2^127: no saturation.
                let q = self.apply(u) as i128;
                Fx::from_bits(if num < 0 { -q } else { q })
            }
            Err(_) => fx_div(Fx::from_bits(num), Fx::from_bits(i128::from(self.d))),
        }
    }
}

/// Division of [`Fx`] bits by a small period `n` (1 ≤ n ≤
/// [`MAX_PERIOD_DIVISOR`]), truncated toward zero: the same bits as `x / n`
/// (`Fx: Div<i128>`): `n` is normalised once (`d = n·2^k`, top bit set) with
/// its [`Recip64`] reciprocal, and each division is two of its steps — no
/// hardware division.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeriodDiv {
    shift: u32,
    recip: Recip64,
}

/// Largest divisor [`PeriodDiv`] accepts.
pub(crate) const MAX_PERIOD_DIVISOR: u64 = 1 << 11;

impl PeriodDiv {
    /// Division by `n`; panics unless `1 ≤ n ≤` [`MAX_PERIOD_DIVISOR`].
    pub(crate) fn new(n: u64) -> PeriodDiv {
        assert!(
            (1..=MAX_PERIOD_DIVISOR).contains(&n),
            "period divisor out of range"
        );
        let shift = n.leading_zeros();
        PeriodDiv {
            shift,
            recip: Recip64::new(n << shift),
        }
    }

    #[inline(always)]
    fn udiv(self, x: u128) -> u128 {
        // x·2^shift = (t2, t1, t0); t2 < 2^shift ≤ d.
        let (t2, t1t0) = shl_split(x, self.shift);
        let (t1, t0) = ((t1t0 >> 64) as u64, t1t0 as u64);
        let (qh, r) = self.recip.step(t2, t1);
        let (ql, _) = self.recip.step(r, t0);
        (u128::from(qh) << 64) | u128::from(ql)
    }

    /// `x / n`, truncated toward zero.
    #[inline(always)]
    pub(crate) fn div(self, x: Fx) -> Fx {
        let b = x.to_bits();
        let q = self.udiv(b.unsigned_abs()) as i128;
        Fx::from_bits(if b < 0 { q.wrapping_neg() } else { q })
    }
}

/// `⌊√t⌋`, exact: an `f64` estimate (within a few units of the root for
/// every `t`, the root being below 2^64) corrected by exact integer
/// comparisons until `r² ≤ t < (r + 1)²`, which defines the floor; after at
/// most [`ISQRT_STEPS`] steps either way it falls back to `u128::isqrt`.
#[inline(always)]
fn isqrt(t: u128) -> u64 {
    let est = (t as f64).sqrt();
    // `as` saturates: the estimate is in [0, 2^64 − 1].
    let mut r = est as u64;
    let sq = |r: u64| u128::from(r) * u128::from(r);
    let mut steps = 0;
    while sq(r) > t {
        r -= 1;
        steps += 1;
        if steps > ISQRT_STEPS {
            return t.isqrt() as u64;
        }
    }
    while r < u64::MAX && sq(r + 1) <= t {
        r += 1;
        steps += 1;
        if steps > ISQRT_STEPS {
            return t.isqrt() as u64;
        }
    }
    r
}

/// Correction steps [`isqrt`] allows its estimate before falling back.
const ISQRT_STEPS: u32 = 8;

/// The Bollinger ratio `σ/mean` from the exact `D = N·Σx² − (Σx)²` and
/// `sq = (Σx)²`: the same bits as
/// `fx_ratio(D << s, sq).sqrt() >> (s / 2)` with the even scale `s` (≤ 48)
/// chosen below.
///
/// With `y` the bits of that ratio, the old value is
/// `⌊⌊√(y·2^64)⌋ / 2^(s/2)⌋ = ⌊√(y·2^(64−s))⌋` (nested floors of a division
/// by an integer collapse), which is `isqrt(y << (64 − s))` whenever that
/// shift fits 128 bits — `(σ/mean)² < 2^64`, always for real prices; else
/// the `fixed` root is used.
#[inline]
pub(crate) fn bollinger_rel(d: i128, sq: i128) -> Fx {
    debug_assert!(d >= 0 && sq > 0);
    let room = d.leading_zeros().saturating_sub(2);
    let s = room.min(48) & !1;
    let y = fx_div(Fx::from_bits(d << s), Fx::from_bits(sq));
    let bits = y.to_bits() as u128;
    let up = 64 - s;
    if bits.leading_zeros() >= up {
        Fx::from_bits(isqrt(bits << up) as i128)
    } else {
        y.sqrt() >> (s / 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::SCALE;

    /// splitmix64.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        /// A value of a random bit length (so every magnitude is covered).
        fn any(&mut self) -> u128 {
            let v = (u128::from(self.next()) << 64) | u128::from(self.next());
            v >> (self.next() % 129).min(127) as u32
        }
    }

    fn edge_values() -> Vec<u128> {
        let mut v = vec![0, 1, 2, 3, 99_999_999, 100_000_000, 100_000_001];
        for k in [31, 32, 63, 64, 65, 95, 96, 126, 127] {
            let p = 1u128 << k;
            v.extend([p - 1, p, p + 1]);
        }
        v.extend([u64::MAX as u128, i128::MAX as u128, (i128::MAX as u128) + 1]);
        v.extend([u128::MAX, u128::MAX - 1]);
        v
    }

    fn signed(v: u128, neg: bool) -> i128 {
        let x = v as i128;
        if neg {
            x.wrapping_neg()
        } else {
            x
        }
    }

    #[test]
    fn fx_div_equals_fixed_saturating_div() {
        let check = |a: i128, b: i128| {
            if b == 0 {
                return;
            }
            let (fa, fb) = (Fx::from_bits(a), Fx::from_bits(b));
            assert_eq!(fx_div(fa, fb), fa.saturating_div(fb), "{a} / {b}");
        };
        let edges = edge_values();
        for &a in &edges {
            for &b in &edges {
                for (na, nb) in [(false, false), (true, false), (false, true), (true, true)] {
                    check(signed(a, na), signed(b, nb));
                }
            }
        }
        let mut rng = Rng(1);
        for _ in 0..400_000 {
            let (a, b) = (rng.any(), rng.any());
            check(
                signed(a, rng.next() & 1 == 1),
                signed(b, rng.next() & 1 == 1),
            );
        }
    }

    #[test]
    fn udiv_shl64_is_the_exact_floor() {
        // Cross-check against the defining property q·d ≤ n·2^64 < (q+1)·d
        // with exact 256-bit products (independent of `fixed`).
        let mut rng = Rng(2);
        let mul = |a: u128, b: u128| -> (u128, u128) {
            let (a1, a0) = (a >> 64, a & u64::MAX as u128);
            let (b1, b0) = (b >> 64, b & u64::MAX as u128);
            let (ll, lh, hl, hh) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
            let mid = (ll >> 64) + (lh & u64::MAX as u128) + (hl & u64::MAX as u128);
            let lo = (ll & u64::MAX as u128) | (mid << 64);
            let hi = hh + (lh >> 64) + (hl >> 64) + (mid >> 64);
            (hi, lo)
        };
        for _ in 0..200_000 {
            let (n, d) = (rng.any(), rng.any().max(1));
            let target = (n >> 64, n << 64);
            match udiv_shl64(n, d) {
                Some(q) => {
                    assert!(mul(q, d) <= target, "{n} {d}");
                    let (h, l) = mul(q, d);
                    let (l2, c) = l.overflowing_add(d);
                    assert!((h + u128::from(c), l2) > target, "{n} {d}");
                }
                None => assert!(d >> 64 == 0 && n >> 64 >= d, "{n} {d}"),
            }
        }
    }

    #[test]
    fn a_quotient_digit_is_exact_including_the_capped_estimate() {
        // q·d + rem == U and rem < d, with U's top limb equal to d's (the
        // estimate capped at 2^64 − 1, r̂ possibly ≥ 2^64) and below it.
        let mut rng = Rng(9);
        for i in 0..200_000 {
            let d = (u128::from(rng.next()) << 64 | u128::from(rng.next())) | 1 << 127;
            let (d1, d0) = ((d >> 64) as u64, d as u64);
            let u2 = if i % 2 == 0 { d1 } else { rng.next() % d1 };
            let u1 = if u2 == d1 {
                rng.next() % d0.max(1)
            } else {
                rng.next()
            };
            if u2 == d1 && d0 == 0 {
                continue;
            }
            let u1u0 = u128::from(u1) << 64 | u128::from(rng.next());
            let (q, rem) = div_3by2(u2, u1u0, d, Recip64::new(d1));
            assert!(rem < d);
            // q·d + rem as 192 bits.
            let p0 = u128::from(q) * u128::from(d0);
            let p1 = u128::from(q) * u128::from(d1);
            let (lo, c1) = p0.overflowing_add(p1 << 64);
            let (lo, c2) = lo.overflowing_add(rem);
            let hi = (p1 >> 64) + u128::from(c1) + u128::from(c2);
            assert_eq!(
                (hi, lo),
                (u128::from(u2), u1u0),
                "d {d} u2 {u2} u1u0 {u1u0}"
            );
        }
    }

    #[test]
    fn isqrt_is_the_exact_floor_root() {
        let mut rng = Rng(8);
        let mut cases: Vec<u128> = edge_values();
        for _ in 0..300_000 {
            let r = u128::from(rng.next() >> (rng.next() % 64));
            // Perfect squares, their neighbours, and random values.
            cases.extend([r * r, (r * r).saturating_sub(1), r * r + 1, rng.any()]);
        }
        for t in cases {
            assert_eq!(u128::from(isqrt(t)), t.isqrt(), "{t}");
        }
    }

    #[test]
    fn ratio_u64_equals_fx_ratio() {
        let mut rng = Rng(7);
        let mut cases: Vec<(u64, u64)> =
            vec![(0, 1), (1, 1), (5, 3), (1 << 62, 1), (i64::MAX as u64, 3)];
        for _ in 0..200_000 {
            let n = (rng.any() as u64) >> 1;
            let d = ((rng.any() as u64) >> 1).max(1);
            cases.push((n, d));
        }
        for (n, d) in cases {
            let want = Fx::from_bits(n as i128).saturating_div(Fx::from_bits(d as i128));
            assert_eq!(ratio_u64(n, d), want, "{n} / {d}");
        }
    }

    #[test]
    fn shl_div_equals_fx_ratio() {
        let units = ShlDiv::new(SCALE as u64);
        let window = ShlDiv::new(20 * SCALE as u64);
        let wide = ShlDiv::new(1024 * SCALE as u64);
        let mut rng = Rng(3);
        let mut values: Vec<i128> = edge_values().into_iter().map(|v| v as i128).collect();
        values.extend((0..200_000).map(|_| rng.any() as i128));
        for v in values {
            for x in [v, v.wrapping_neg()] {
                for (sd, d) in [(units, SCALE), (window, 20 * SCALE), (wide, 1024 * SCALE)] {
                    let want = Fx::from_bits(x).saturating_div(Fx::from_bits(i128::from(d)));
                    assert_eq!(sd.ratio(x), want, "{x} / {d}");
                }
            }
        }
    }

    #[test]
    fn period_div_equals_fixed_integer_division() {
        let mut rng = Rng(4);
        let mut values: Vec<i128> = edge_values().into_iter().map(|v| v as i128).collect();
        values.extend((0..20_000).map(|_| rng.any() as i128));
        values.push(i128::MIN);
        for n in (1..=40).chain([99, 1000, 1024, 1025, 2047, MAX_PERIOD_DIVISOR]) {
            let pd = PeriodDiv::new(n);
            for &v in &values {
                for x in [v, v.wrapping_neg()] {
                    let f = Fx::from_bits(x);
                    assert_eq!(pd.div(f), f / i128::from(n), "{x} / {n}");
                }
            }
        }
    }

    #[test]
    fn bollinger_rel_equals_the_fixed_square_root() {
        let old = |d: i128, sq: i128| {
            let room = d.leading_zeros().saturating_sub(2);
            let s = room.min(48) & !1;
            Fx::from_bits(d << s)
                .saturating_div(Fx::from_bits(sq))
                .sqrt()
                >> (s / 2)
        };
        let mut rng = Rng(5);
        let mut cases = vec![(0, 1), (1, 1), (3, 4), (1 << 100, 1), (1, 1 << 120)];
        for _ in 0..200_000 {
            // D ≤ (N−1)·(Σx)² as for real windows, over every magnitude.
            let sq = (rng.any() >> 2).max(1) as i128;
            let d = (rng.any()
                % (sq as u128)
                    .saturating_mul(19)
                    .saturating_add(1)
                    .min(1 << 125)) as i128;
            cases.push((d, sq));
            // Perfect squares and their neighbours stress the exact floor.
            let r = rng.next() >> 1;
            let sq2 = ((rng.next() >> 4) as i128).max(1);
            cases.push((i128::from(r) % sq2, sq2));
        }
        for (d, sq) in cases {
            assert_eq!(bollinger_rel(d, sq), old(d, sq), "D {d} sq {sq}");
        }
    }
}
