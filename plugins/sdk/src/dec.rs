//! Exact decimals scaled by 1e-8 (`1.5` is `150_000_000`), the WIT `decimal`.
//!
//! Every operation widens to `i128`, rounds as asked and saturates to the
//! `i64` range; division by zero returns `None`. Nothing here panics.

/// One unit (1.0) as a scaled decimal.
pub const ONE: i64 = 100_000_000;

/// How to round a result that falls between two 1e-8 steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceil,
    /// Toward zero (truncation).
    TowardZero,
    /// To the nearest step, halves away from zero.
    HalfAwayFromZero,
}

/// Saturates an `i128` into `i64`.
pub const fn saturate(v: i128) -> i64 {
    if v > i64::MAX as i128 {
        i64::MAX
    } else if v < i64::MIN as i128 {
        i64::MIN
    } else {
        v as i64
    }
}

/// Quotient and remainder of `n / d` for unsigned magnitudes (`d` not 0).
///
/// wasm32 has no 128-bit division instruction: a plain `u128` `/` or `%` is
/// a long software routine (compiler-builtins), and a rounded division
/// needs both. The sizes the plugins meet are served with 64-bit divisions
/// instead: both operands within 64 bits (one `i64.div_u` and one
/// `i64.rem_u`), or a divisor within 32 bits (the scale 10^8, a sum of
/// weights), by long division over the four 32-bit limbs of `n`, each step
/// dividing a value below 2^64 because the running remainder is below `d`.
/// Anything else takes the generic path. The results are the same bits
/// (test `fast_division_equals_the_generic_i128_division`).
#[inline]
const fn udivrem(n: u128, d: u128) -> (u128, u128) {
    if n <= u64::MAX as u128 && d <= u64::MAX as u128 {
        let (n, d) = (n as u64, d as u64);
        return ((n / d) as u128, (n % d) as u128);
    }
    if d <= u32::MAX as u128 {
        let d = d as u64;
        let mut q: u128 = 0;
        let mut r: u64 = 0;
        let mut limb = 4;
        while limb > 0 {
            limb -= 1;
            let shift = 32 * limb;
            let cur = (r << 32) | ((n >> shift) as u64 & 0xffff_ffff);
            q |= ((cur / d) as u128) << shift;
            r = cur % d;
        }
        return (q, r as u128);
    }
    (n / d, n % d)
}

/// `n / d` rounded as asked, in 64-bit arithmetic: `d` is not 0 and the
/// pair is not `(i64::MIN, -1)` (the callers check both). The rules are
/// [`div_round_i128`]'s.
const fn div_round_i64(n: i64, d: i64, r: Rounding) -> i64 {
    let q = n / d; // truncates toward zero
    let rem = n % d;
    if rem == 0 {
        return q;
    }
    // With a remainder, |q| < |n| ≤ 2^63, so q ± 1 stays in range.
    let negative = (n < 0) != (d < 0);
    let half_or_more = rem.unsigned_abs().saturating_mul(2) >= d.unsigned_abs();
    q + round_step(negative, half_or_more, r) as i64
}

/// What rounding adds to a quotient truncated toward zero when the division
/// left a remainder: −1, 0 or +1. `negative`: the exact quotient is below 0;
/// `half_or_more`: twice the remainder's magnitude reaches the divisor's.
const fn round_step(negative: bool, half_or_more: bool, r: Rounding) -> i8 {
    let away = if negative { -1 } else { 1 };
    match r {
        Rounding::TowardZero => 0,
        Rounding::Floor => {
            if negative {
                -1
            } else {
                0
            }
        }
        Rounding::Ceil => {
            if negative {
                0
            } else {
                1
            }
        }
        Rounding::HalfAwayFromZero => {
            if half_or_more {
                away
            } else {
                0
            }
        }
    }
}

/// Whether `a × b` certainly fits an `i64`: |a| < 2^(64 − lz(|a|)) and
/// likewise for `b`, so the product is below 2^63 when the leading zeros add
/// up to 65 or more.
const fn product_fits_i64(a: i64, b: i64) -> bool {
    a.unsigned_abs().leading_zeros() + b.unsigned_abs().leading_zeros() >= 65
}

/// `a × b` exactly: one 64-bit multiplication when the product fits (the
/// common case), the software 128-bit one (`__multi3` on wasm32) otherwise.
pub const fn wide_mul(a: i64, b: i64) -> i128 {
    if product_fits_i64(a, b) {
        (a * b) as i128
    } else {
        a as i128 * b as i128
    }
}

/// `n / d` rounded as asked; `None` when `d` is 0.
///
/// wasm32 has no 128-bit arithmetic: every `i128` multiplication is a call
/// to a software routine (`__multi3`) and every `i128` comparison or negation
/// several 64-bit steps. Operands that fit 64 bits, the plugins' usual case,
/// are divided in 64 bits ([`div_round_i64`]); the answer is the same.
pub const fn div_round_i128(n: i128, d: i128, r: Rounding) -> Option<i128> {
    if d == 0 {
        return None;
    }
    if n >= i64::MIN as i128
        && n <= i64::MAX as i128
        && d >= i64::MIN as i128
        && d <= i64::MAX as i128
        && !(n == i64::MIN as i128 && d == -1)
    {
        return Some(div_round_i64(n as i64, d as i64, r) as i128);
    }
    // i128::MIN / -1 overflows; our inputs never come near, but stay total.
    if n == i128::MIN && d == -1 {
        return Some(i128::MAX);
    }
    let negative = (n < 0) != (d < 0);
    let da = d.unsigned_abs();
    let (qa, rem) = udivrem(n.unsigned_abs(), da);
    // Truncated toward zero, as `n / d`; |n| = 2^127 with d = ±1 wraps to
    // i128::MIN, which is right for the only case left (n = MIN, d = 1).
    let q = if negative {
        (qa as i128).wrapping_neg()
    } else {
        qa as i128
    };
    if rem == 0 {
        return Some(q);
    }
    let half_or_more = rem.saturating_mul(2) >= da;
    let q = q + round_step(negative, half_or_more, r) as i128;
    Some(q)
}

/// `a × b` of two scaled decimals, rounded as asked, saturated.
pub const fn mul(a: i64, b: i64, r: Rounding) -> i64 {
    if product_fits_i64(a, b) {
        // |a × b| < 2^63, and dividing by the scale only shrinks it.
        return div_round_i64(a * b, ONE, r);
    }
    let p = a as i128 * b as i128;
    match div_round_i128(p, ONE as i128, r) {
        Some(v) => saturate(v),
        None => 0, // unreachable: ONE is not 0
    }
}

/// `a ÷ b` of two scaled decimals, rounded as asked, saturated; `None` when
/// `b` is 0.
pub const fn div(a: i64, b: i64, r: Rounding) -> Option<i64> {
    if b == 0 {
        return None;
    }
    // a × 10^8 is a multiple of 5^8, never i64::MIN: no (MIN, -1) pair.
    if product_fits_i64(a, ONE) {
        return Some(div_round_i64(a * ONE, b, r));
    }
    match div_round_i128(a as i128 * ONE as i128, b as i128, r) {
        Some(v) => Some(saturate(v)),
        None => None,
    }
}

/// `a × b ÷ c` with one rounding at the end; `None` when `c` is 0.
pub const fn mul_div(a: i64, b: i64, c: i64, r: Rounding) -> Option<i64> {
    if c == 0 {
        return None;
    }
    if product_fits_i64(a, b) && !(a * b == i64::MIN && c == -1) {
        return Some(div_round_i64(a * b, c, r));
    }
    match div_round_i128(a as i128 * b as i128, c as i128, r) {
        Some(v) => Some(saturate(v)),
        None => None,
    }
}

/// Clamps `v` to `lo..=hi` (returns `lo` when the bounds are reversed).
pub const fn clamp(v: i64, lo: i64, hi: i64) -> i64 {
    if v < lo || hi < lo {
        lo
    } else if v > hi {
        hi
    } else {
        v
    }
}

/// Clamps `v` to `0..=ONE`: a 0–1 score.
pub const fn unit(v: i64) -> i64 {
    clamp(v, 0, ONE)
}

/// Formats a scaled decimal exactly, without trailing zeros (`1.5`,
/// `-0.00000001`, `25`). Used only in messages (off the hot path).
pub fn fmt(v: i64) -> alloc::string::String {
    use alloc::string::{String, ToString};
    let neg = v < 0;
    let a = v.unsigned_abs();
    let int = a / ONE as u64;
    let frac = a % ONE as u64;
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    s.push_str(&int.to_string());
    if frac != 0 {
        let f = alloc::format!("{frac:08}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The division before the fast paths: plain i128 `/` and `%`.
    fn reference_div_round_i128(n: i128, d: i128, r: Rounding) -> Option<i128> {
        if d == 0 {
            return None;
        }
        // i128::MIN / -1 overflows; our inputs never come near, but stay total.
        if n == i128::MIN && d == -1 {
            return Some(i128::MAX);
        }
        let q = n / d; // truncates toward zero
        let rem = n % d;
        if rem == 0 {
            return Some(q);
        }
        let negative = (n < 0) != (d < 0);
        let q = match r {
            Rounding::TowardZero => q,
            Rounding::Floor => {
                if negative {
                    q - 1
                } else {
                    q
                }
            }
            Rounding::Ceil => {
                if negative {
                    q
                } else {
                    q + 1
                }
            }
            Rounding::HalfAwayFromZero => {
                let rem2 = rem.unsigned_abs().saturating_mul(2);
                if rem2 >= d.unsigned_abs() {
                    if negative {
                        q - 1
                    } else {
                        q + 1
                    }
                } else {
                    q
                }
            }
        };
        Some(q)
    }

    #[test]
    fn fast_division_equals_the_generic_i128_division() {
        // xorshift64*: deterministic, no dependency.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        let modes = [
            Rounding::Floor,
            Rounding::Ceil,
            Rounding::TowardZero,
            Rounding::HalfAwayFromZero,
        ];
        let edges: [i128; 12] = [
            0,
            1,
            -1,
            ONE as i128,
            u32::MAX as i128,
            u32::MAX as i128 + 1,
            u64::MAX as i128,
            u64::MAX as i128 + 1,
            i64::MIN as i128,
            i128::MAX,
            i128::MIN,
            i128::MIN + 1,
        ];
        let mut checked = 0u64;
        let mut check = |n: i128, d: i128| {
            for r in modes {
                assert_eq!(
                    div_round_i128(n, d, r),
                    reference_div_round_i128(n, d, r),
                    "{n} / {d} {r:?}"
                );
            }
            checked += 1;
        };
        for &n in &edges {
            for &d in &edges {
                check(n, d);
            }
        }
        for k in 0..400_000u32 {
            // Random magnitudes of every size class, both signs.
            let bits_n = next() % 128;
            let bits_d = next() % 128;
            let wide = |v: u64, w: u64, bits: u64| -> i128 {
                let m = ((u128::from(v) << 64) | u128::from(w)) >> (127 - bits);
                m as i128
            };
            let mut n = wide(next(), next(), bits_n);
            let mut d = wide(next(), next(), bits_d);
            if k % 2 == 1 {
                n = -n;
            }
            if k % 3 == 1 {
                d = -d;
            }
            check(n, d);
            // The plugins' common divisors: the scale and small sums.
            check(n, ONE as i128);
            check(n, (next() % u64::from(u32::MAX)) as i128 + 1);
        }
        assert!(checked > 1_000_000);
    }

    /// `mul`, `div` and `mul_div` as they were before their 64-bit paths:
    /// the product in i128, then the reference division, saturated.
    fn reference_mul_div(a: i64, b: i64, c: i64, r: Rounding) -> Option<i64> {
        reference_div_round_i128(i128::from(a) * i128::from(b), i128::from(c), r).map(saturate)
    }

    #[test]
    fn the_64_bit_paths_equal_the_i128_arithmetic() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        };
        let modes = [
            Rounding::Floor,
            Rounding::Ceil,
            Rounding::TowardZero,
            Rounding::HalfAwayFromZero,
        ];
        let edges: [i64; 14] = [
            0,
            1,
            -1,
            2,
            ONE,
            -ONE,
            ONE / 2,
            i32::MAX as i64,
            1 << 31,
            (1 << 32) - 1,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
            i64::MAX / ONE,
        ];
        let check = |a: i64, b: i64, c: i64| {
            for r in modes {
                assert_eq!(
                    mul(a, b, r),
                    reference_mul_div(a, b, ONE, r).unwrap(),
                    "{a} × {b} {r:?}"
                );
                assert_eq!(
                    div(a, b, r),
                    reference_mul_div(a, ONE, b, r),
                    "{a} ÷ {b} {r:?}"
                );
                assert_eq!(
                    mul_div(a, b, c, r),
                    reference_mul_div(a, b, c, r),
                    "{a} × {b} ÷ {c} {r:?}"
                );
                assert_eq!(wide_mul(a, b), i128::from(a) * i128::from(b), "{a} × {b}");
                assert_eq!(
                    div_round_i128(i128::from(a), i128::from(c), r),
                    reference_div_round_i128(i128::from(a), i128::from(c), r),
                    "{a} / {c} {r:?}"
                );
            }
        };
        for &a in &edges {
            for &b in &edges {
                for &c in &edges {
                    check(a, b, c);
                }
            }
        }
        for k in 0..300_000u32 {
            // Magnitudes of every bit length, both signs, so products land on
            // both sides of the 64-bit boundary.
            let mut v = [0i64; 3];
            for (i, slot) in v.iter_mut().enumerate() {
                let bits = next() % 64;
                let mut m = (next() >> (63 - bits)) as i64;
                if (k >> i) & 1 == 1 {
                    m = m.wrapping_neg();
                }
                *slot = m;
            }
            check(v[0], v[1], v[2]);
        }
    }

    #[test]
    fn mul_rounds_each_way_at_the_last_digit() {
        // 0.00000001 × 0.5 = 0.000000005: half a step.
        assert_eq!(mul(1, ONE / 2, Rounding::Floor), 0);
        assert_eq!(mul(1, ONE / 2, Rounding::Ceil), 1);
        assert_eq!(mul(1, ONE / 2, Rounding::TowardZero), 0);
        assert_eq!(mul(1, ONE / 2, Rounding::HalfAwayFromZero), 1);
        assert_eq!(mul(-1, ONE / 2, Rounding::Floor), -1);
        assert_eq!(mul(-1, ONE / 2, Rounding::Ceil), 0);
        assert_eq!(mul(-1, ONE / 2, Rounding::TowardZero), 0);
        assert_eq!(mul(-1, ONE / 2, Rounding::HalfAwayFromZero), -1);
        // 0.00000001 × 0.4: below half.
        assert_eq!(mul(1, 40_000_000, Rounding::HalfAwayFromZero), 0);
    }

    #[test]
    fn mul_is_exact_when_representable() {
        assert_eq!(mul(150_000_000, 200_000_000, Rounding::Floor), 300_000_000);
        assert_eq!(mul(2_500_000, 4_000_000_000, Rounding::Floor), 100_000_000);
    }

    #[test]
    fn mul_saturates_instead_of_overflowing() {
        assert_eq!(mul(i64::MAX, 2 * ONE, Rounding::Floor), i64::MAX);
        assert_eq!(mul(i64::MIN, 2 * ONE, Rounding::Floor), i64::MIN);
    }

    #[test]
    fn div_by_zero_is_none() {
        assert_eq!(div(ONE, 0, Rounding::Floor), None);
        assert_eq!(mul_div(ONE, ONE, 0, Rounding::Floor), None);
    }

    #[test]
    fn div_rounds_as_asked() {
        // 1 / 3 = 0.33333333…
        assert_eq!(div(ONE, 3 * ONE, Rounding::Floor), Some(33_333_333));
        assert_eq!(div(ONE, 3 * ONE, Rounding::Ceil), Some(33_333_334));
        assert_eq!(div(-ONE, 3 * ONE, Rounding::Floor), Some(-33_333_334));
        assert_eq!(
            div(2 * ONE, 3 * ONE, Rounding::HalfAwayFromZero),
            Some(66_666_667)
        );
        assert_eq!(div(i64::MAX, 1, Rounding::Floor), Some(i64::MAX));
    }

    #[test]
    fn div_round_handles_the_one_overflowing_quotient() {
        assert_eq!(
            div_round_i128(i128::MIN, -1, Rounding::Floor),
            Some(i128::MAX)
        );
    }

    #[test]
    fn clamp_and_unit_bound_values() {
        assert_eq!(clamp(5, 0, 3), 3);
        assert_eq!(clamp(-5, 0, 3), 0);
        assert_eq!(clamp(2, 0, 3), 2);
        assert_eq!(clamp(2, 3, 0), 3);
        assert_eq!(unit(-1), 0);
        assert_eq!(unit(ONE + 1), ONE);
    }

    #[test]
    fn fmt_prints_exact_decimals() {
        assert_eq!(fmt(150_000_000), "1.5");
        assert_eq!(fmt(-1), "-0.00000001");
        assert_eq!(fmt(25 * ONE), "25");
        assert_eq!(fmt(0), "0");
        assert_eq!(fmt(i64::MIN), "-92233720368.54775808");
    }
}
