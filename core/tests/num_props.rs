//! Property tests of the exact decimal types: parse∘print round-trips,
//! rounding never leaves the grid, overflow is reported and never wrapped.

use kairos_core::num::{Amount, NumError, Price, Qty, Rounding, Wide, SCALE};
use proptest::prelude::*;

const MODES: [Rounding; 6] = [
    Rounding::Down,
    Rounding::Up,
    Rounding::Floor,
    Rounding::Ceil,
    Rounding::HalfUp,
    Rounding::HalfEven,
];

/// The canonical eight-place text of a decimal written with `int` and `frac`
/// digits, computed independently of kairos (string manipulation only).
fn normalise(neg: bool, int: &str, frac: &str) -> String {
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut frac = frac.to_string();
    while frac.len() < 8 {
        frac.push('0');
    }
    let zero = int == "0" && frac.bytes().all(|b| b == b'0');
    format!("{}{int}.{frac}", if neg && !zero { "-" } else { "" })
}

fn rounding() -> impl Strategy<Value = Rounding> {
    (0..MODES.len()).prop_map(|i| MODES[i])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn print_then_parse_is_identity(units in any::<i64>()) {
        let a = Amount::from_units(units).unwrap();
        prop_assert_eq!(Amount::parse(&a.to_string()), Ok(a));
        let w = Wide::from_units(i128::from(units) * 1_000_003).unwrap();
        prop_assert_eq!(Wide::parse(&w.to_string()), Ok(w));
    }

    #[test]
    fn parse_then_print_normalises(
        neg in any::<bool>(),
        int in "[0-9]{1,10}",
        frac in "[0-9]{0,8}",
        dot in any::<bool>(),
    ) {
        let text = if frac.is_empty() && !dot {
            format!("{}{int}", if neg { "-" } else { "" })
        } else {
            format!("{}{int}.{frac}", if neg { "-" } else { "" })
        };
        let a = Amount::parse(&text).unwrap();
        prop_assert_eq!(a.to_string(), normalise(neg, &int, &frac));
        // Prices and quantities take the same text unless it is negative.
        match Price::parse(&text) {
            Ok(p) => prop_assert_eq!(p.units(), a.units()),
            Err(e) => prop_assert!(neg && e == NumError::Negative),
        }
    }

    #[test]
    fn more_than_eight_places_is_refused_unless_zeros(
        int in "[0-9]{1,6}",
        frac in "[0-9]{9,12}",
    ) {
        let r = Qty::parse(&format!("{int}.{frac}"));
        if frac[8..].bytes().all(|b| b == b'0') {
            prop_assert!(r.is_ok());
        } else {
            prop_assert_eq!(r, Err(NumError::TooPrecise));
        }
    }

    #[test]
    fn exponent_is_never_guessed(m in "[0-9]{1,4}", e in "[eE][+-]?[0-9]{1,2}") {
        prop_assert_eq!(Price::parse(&format!("{m}{e}")), Err(NumError::Exponent));
    }

    #[test]
    fn rounding_stays_on_the_grid(
        units in 0i64..=i64::MAX / 4,
        step in 1i64..=10_000_000_000,
        mode in rounding(),
    ) {
        let v = Price::from_units(units).unwrap();
        let s = Price::from_units(step).unwrap();
        let r = v.round_to(s, mode).unwrap();
        prop_assert!(r.is_multiple_of(s));
        // Never more than one step away, and on the side the mode says.
        let diff = i128::from(r.units()) - i128::from(units);
        prop_assert!(diff.abs() < i128::from(step));
        match mode {
            Rounding::Down | Rounding::Floor => prop_assert!(diff <= 0),
            Rounding::Up | Rounding::Ceil => prop_assert!(diff >= 0),
            Rounding::HalfUp | Rounding::HalfEven => {
                prop_assert!(2 * diff.abs() <= i128::from(step))
            }
        }
        // Idempotent.
        prop_assert_eq!(r.round_to(s, mode), Ok(r));
    }

    #[test]
    fn signed_rounding_matches_floor_and_ceil(
        units in any::<i64>(),
        step in 1i64..=1_000_000,
    ) {
        let v = Amount::from_units(units).unwrap();
        let s = Amount::from_units(step).unwrap();
        let (u, st) = (i128::from(units), i128::from(step));
        let floor = u.div_euclid(st) * st;
        let ceil = if u.rem_euclid(st) == 0 { floor } else { floor + st };
        let check = |mode, want: i128| match i64::try_from(want) {
            Ok(w) => v.round_to(s, mode) == Ok(Amount::from_units(w).unwrap()),
            Err(_) => v.round_to(s, mode) == Err(NumError::Overflow),
        };
        prop_assert!(check(Rounding::Floor, floor));
        prop_assert!(check(Rounding::Ceil, ceil));
        let (toward_zero, away) = if u >= 0 { (floor, ceil) } else { (ceil, floor) };
        prop_assert!(check(Rounding::Down, toward_zero));
        prop_assert!(check(Rounding::Up, away));
    }

    #[test]
    fn overflow_is_reported_never_wrapped(a in any::<i64>(), b in any::<i64>()) {
        let (x, y) = (Amount::from_units(a).unwrap(), Amount::from_units(b).unwrap());
        let exact = i128::from(a) + i128::from(b);
        match i64::try_from(exact) {
            Ok(v) => prop_assert_eq!(x.checked_add(y), Ok(Amount::from_units(v).unwrap())),
            Err(_) => prop_assert_eq!(x.checked_add(y), Err(NumError::Overflow)),
        }
        let exact = i128::from(a) - i128::from(b);
        match i64::try_from(exact) {
            Ok(v) => prop_assert_eq!(x.checked_sub(y), Ok(Amount::from_units(v).unwrap())),
            Err(_) => prop_assert_eq!(x.checked_sub(y), Err(NumError::Overflow)),
        }
    }

    #[test]
    fn notional_is_exact_product_rounded(
        p in 0i64..=i64::MAX,
        q in 0i64..=i64::MAX,
        mode in rounding(),
    ) {
        let price = Price::from_units(p).unwrap();
        let qty = Qty::from_units(q).unwrap();
        let product = i128::from(p) * i128::from(q);
        let scale = i128::from(SCALE);
        let down = product / scale;
        let exact = product % scale == 0;
        let rem = product % scale;
        let want = match mode {
            Rounding::Down | Rounding::Floor => down,
            Rounding::Up | Rounding::Ceil => down + i128::from(!exact),
            Rounding::HalfUp => down + i128::from(2 * rem >= scale),
            Rounding::HalfEven => {
                down + i128::from(2 * rem > scale || (2 * rem == scale && down % 2 == 1))
            }
        };
        let wide = price.notional_wide(qty, mode).unwrap().units();
        prop_assert_eq!(wide, want);
        // The narrow result is the same number, or an overflow error.
        match i64::try_from(wide) {
            Ok(v) => prop_assert_eq!(price.notional(qty, mode).map(|a| a.units()), Ok(v)),
            Err(_) => prop_assert_eq!(price.notional(qty, mode), Err(NumError::Overflow)),
        }
    }

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,40}") {
        let _ = Price::parse(&s);
        let _ = Amount::parse(&s);
        let _ = Wide::parse(&s);
    }
}

#[test]
fn limits_of_the_i64_types() {
    assert_eq!(Amount::MAX.to_string(), "92233720368.54775807");
    assert_eq!(
        Amount::parse("92233720368.54775808"),
        Err(NumError::Overflow)
    );
    assert_eq!(
        Amount::parse("-92233720368.54775808").map(|a| a.units()),
        Ok(i64::MIN)
    );
    assert_eq!(
        Amount::parse("-92233720368.54775809"),
        Err(NumError::Overflow)
    );
    assert!(Wide::parse("170141183460469231731687303715.88410572").is_ok());
}
