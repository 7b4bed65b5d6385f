//! Parsing, printing and rounding of decimals scaled by 10^-8, on plain integers.
//!
//! These functions are the single implementation behind every money type in
//! [`crate::num`]. They never allocate and never panic on any input.

use super::NumError;

/// Number of decimal places kairos keeps (Binance's precision).
pub const DECIMALS: u32 = 8;
/// Units per whole: one unit is 10^-8.
pub const SCALE: i64 = 100_000_000;
/// [`SCALE`] as `i128`, for wide intermediate products.
pub const SCALE_I128: i128 = SCALE as i128;
/// Longest decimal string accepted, in bytes. An i128 at 1e-8 prints in 41
/// bytes; anything longer than this is not a number we want to read.
pub const MAX_DECIMAL_LEN: usize = 64;

/// How a result that is not exactly representable is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// Toward zero (truncate). Binance's rule for quantities on a step grid.
    Down,
    /// Away from zero.
    Up,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceil,
    /// To nearest, ties away from zero.
    HalfUp,
    /// To nearest, ties to even (banker's rounding).
    HalfEven,
}

/// Whether a parsed decimal may carry a minus sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// Only `0` and positive values (prices, quantities).
    NonNegative,
    /// Any sign (balances, deltas, PnL).
    Any,
}

/// Parses an ASCII decimal (`"61837.63000000"`, `"0.1"`, `"-12"`, `"5."`)
/// into 10^-8 units as an `i128`.
///
/// Rejected with a typed error: empty input, exponent notation (`1e-5`),
/// more than [`DECIMALS`] significant decimal places (trailing zeros beyond
/// them are fine), a sign where [`Sign::NonNegative`] is asked for, `+`,
/// whitespace, a lone `.`, and anything longer than [`MAX_DECIMAL_LEN`].
pub fn parse_i128(s: &[u8], sign: Sign) -> Result<i128, NumError> {
    if s.is_empty() {
        return Err(NumError::Empty);
    }
    if s.len() > MAX_DECIMAL_LEN {
        return Err(NumError::TooLong { len: s.len() });
    }
    let (negative, body) = match s[0] {
        b'-' => {
            if sign == Sign::NonNegative {
                return Err(NumError::Negative);
            }
            (true, &s[1..])
        }
        _ => (false, s),
    };
    let mut int: i128 = 0;
    let mut frac: i128 = 0;
    let mut frac_digits: u32 = 0;
    let mut int_digits = 0usize;
    let mut seen_dot = false;
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                let d = i128::from(b - b'0');
                if seen_dot {
                    if frac_digits < DECIMALS {
                        frac = frac * 10 + d;
                        frac_digits += 1;
                    } else if d != 0 {
                        return Err(NumError::TooPrecise);
                    }
                } else {
                    int = int
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(d))
                        .ok_or(NumError::Overflow)?;
                    int_digits += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            b'e' | b'E' => return Err(NumError::Exponent),
            _ => {
                let at = i + usize::from(negative);
                return Err(NumError::InvalidChar { at, byte: b });
            }
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        // "-", "." or "-.": a sign or a dot with no digit is no number.
        return Err(NumError::NoDigits);
    }
    while frac_digits < DECIMALS {
        frac *= 10;
        frac_digits += 1;
    }
    let units = int
        .checked_mul(SCALE_I128)
        .and_then(|v| v.checked_add(frac))
        .ok_or(NumError::Overflow)?;
    Ok(if negative { -units } else { units })
}

/// Parses into 10^-8 units as an `i64`; see [`parse_i128`] for the rules.
///
/// This is the hot-path entry point: it has a branch-light loop for the
/// common case and falls back to the checked wide parser for long inputs.
#[inline]
pub fn parse_i64(s: &[u8], sign: Sign) -> Result<i64, NumError> {
    // Up to 18 digits fit in u64 without any overflow check.
    if s.len() <= 19 && !s.is_empty() && s[0] != b'-' {
        let mut acc: u64 = 0;
        let mut frac_digits: u32 = 0;
        let mut seen_dot = false;
        let mut digits = 0u32;
        let mut ok = true;
        for &b in s {
            let d = b.wrapping_sub(b'0');
            if d < 10 {
                acc = acc * 10 + u64::from(d);
                digits += 1;
                frac_digits += u32::from(seen_dot);
            } else if b == b'.' && !seen_dot {
                seen_dot = true;
            } else {
                ok = false;
                break;
            }
        }
        if ok && digits > 0 && frac_digits <= DECIMALS {
            let scaled = acc.checked_mul(POW10[(DECIMALS - frac_digits) as usize]);
            if let Some(v) = scaled {
                if let Ok(v) = i64::try_from(v) {
                    return Ok(v);
                }
            }
        }
    }
    let wide = parse_i128(s, sign)?;
    i64::try_from(wide).map_err(|_| NumError::Overflow)
}

/// Powers of ten up to 10^8, for scaling a fraction of `n` digits.
pub(crate) const POW10: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// Longest text [`write_i128`] produces: sign, 31 integer digits, dot, 8 decimals.
pub const MAX_PRINTED_LEN: usize = 41;

/// Prints 10^-8 units as a decimal with exactly eight places, as Binance
/// prints them (`61837.63000000`). Returns the used part of `buf`.
pub fn write_i128(units: i128, buf: &mut [u8; MAX_PRINTED_LEN]) -> &str {
    let negative = units < 0;
    let mut mag = units.unsigned_abs();
    let mut pos = MAX_PRINTED_LEN;
    for i in 0..DECIMALS {
        pos -= 1;
        buf[pos] = b'0' + (mag % 10) as u8;
        mag /= 10;
        if i == DECIMALS - 1 {
            pos -= 1;
            buf[pos] = b'.';
        }
    }
    loop {
        pos -= 1;
        buf[pos] = b'0' + (mag % 10) as u8;
        mag /= 10;
        if mag == 0 {
            break;
        }
    }
    if negative {
        pos -= 1;
        buf[pos] = b'-';
    }
    // Only ASCII digits, '.', and '-' were written.
    std::str::from_utf8(&buf[pos..]).unwrap_or("")
}

/// Divides `n` by `d` (non-zero), rounding the quotient as `mode` says.
pub fn div_round(n: i128, d: i128, mode: Rounding) -> Result<i128, NumError> {
    if d == 0 {
        return Err(NumError::DivByZero);
    }
    let q = n.checked_div(d).ok_or(NumError::Overflow)?;
    let r = n % d;
    if r == 0 {
        return Ok(q);
    }
    // The sign of the exact quotient.
    let positive = (n < 0) == (d < 0);
    let away = match mode {
        Rounding::Down => false,
        Rounding::Up => true,
        Rounding::Floor => !positive,
        Rounding::Ceil => positive,
        Rounding::HalfUp | Rounding::HalfEven => {
            let twice_r = r.unsigned_abs().saturating_mul(2);
            let abs_d = d.unsigned_abs();
            match twice_r.cmp(&abs_d) {
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Equal => mode == Rounding::HalfUp || q % 2 != 0,
            }
        }
    };
    if !away {
        return Ok(q);
    }
    if positive {
        q.checked_add(1).ok_or(NumError::Overflow)
    } else {
        q.checked_sub(1).ok_or(NumError::Overflow)
    }
}

/// Rounds `units` to a multiple of `step` (both 10^-8 units, `step > 0`).
pub fn round_to_step(units: i128, step: i128, mode: Rounding) -> Result<i128, NumError> {
    if step <= 0 {
        return Err(NumError::BadStep);
    }
    let steps = div_round(units, step, mode)?;
    steps.checked_mul(step).ok_or(NumError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<i128, NumError> {
        parse_i128(s.as_bytes(), Sign::Any)
    }

    #[test]
    fn parses_exchange_strings() {
        assert_eq!(p("61837.63000000"), Ok(6_183_763_000_000));
        assert_eq!(p("0.1"), Ok(10_000_000));
        assert_eq!(p("0.00000001"), Ok(1));
        assert_eq!(p("5."), Ok(500_000_000));
        assert_eq!(p(".5"), Ok(50_000_000));
        assert_eq!(p("-100.5"), Ok(-10_050_000_000));
        assert_eq!(p("1.000000000000"), Ok(100_000_000));
    }

    #[test]
    fn rejects_what_it_should_not_guess() {
        assert_eq!(p("1e-5"), Err(NumError::Exponent));
        assert_eq!(p(""), Err(NumError::Empty));
        assert_eq!(p("."), Err(NumError::NoDigits));
        assert_eq!(p("-"), Err(NumError::NoDigits));
        assert_eq!(p("0.000000001"), Err(NumError::TooPrecise));
        assert_eq!(p("1.2.3"), Err(NumError::InvalidChar { at: 3, byte: b'.' }));
        assert_eq!(p("+1"), Err(NumError::InvalidChar { at: 0, byte: b'+' }));
        assert_eq!(p(" 1"), Err(NumError::InvalidChar { at: 0, byte: b' ' }));
        assert_eq!(
            parse_i128(b"-1", Sign::NonNegative),
            Err(NumError::Negative)
        );
        assert_eq!(
            parse_i64(b"92233720368.54775808", Sign::Any),
            Err(NumError::Overflow)
        );
        assert_eq!(parse_i64(b"92233720368.54775807", Sign::Any), Ok(i64::MAX));
    }

    #[test]
    fn fast_and_wide_parsers_agree() {
        for s in [
            "0",
            "1",
            "0.5",
            "123456789.12345678",
            "10.",
            "007.10",
            "92233720368",
        ] {
            assert_eq!(
                i128::from(parse_i64(s.as_bytes(), Sign::Any).unwrap()),
                p(s).unwrap(),
                "{s}"
            );
        }
    }

    #[test]
    fn prints_eight_places() {
        let mut b = [0u8; MAX_PRINTED_LEN];
        assert_eq!(write_i128(6_183_763_000_000, &mut b), "61837.63000000");
        assert_eq!(write_i128(0, &mut b), "0.00000000");
        assert_eq!(write_i128(-1, &mut b), "-0.00000001");
        assert_eq!(
            write_i128(i128::MIN, &mut b),
            "-1701411834604692317316873037158.84105728"
        );
    }

    #[test]
    fn division_rounds_as_asked() {
        use Rounding::*;
        let cases = [
            (7, 2, Down, 3),
            (7, 2, Up, 4),
            (7, 2, HalfEven, 4),
            (5, 2, HalfEven, 2),
            (5, 2, HalfUp, 3),
            (-7, 2, Down, -3),
            (-7, 2, Floor, -4),
            (-7, 2, Ceil, -3),
            (-5, 2, HalfUp, -3),
            (-5, 2, HalfEven, -2),
            (7, -2, Floor, -4),
            (6, 3, Up, 2),
        ];
        for (n, d, m, want) in cases {
            assert_eq!(div_round(n, d, m), Ok(want), "{n}/{d} {m:?}");
        }
        assert_eq!(div_round(1, 0, Down), Err(NumError::DivByZero));
        assert_eq!(div_round(i128::MIN, -1, Down), Err(NumError::Overflow));
    }
}
