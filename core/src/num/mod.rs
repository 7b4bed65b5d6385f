//! Exact decimal numbers for money: prices, quantities and amounts.
//!
//! Every money value is an integer count of 10^-8 units (Binance's
//! precision): [`Price`], [`Qty`] and [`Amount`] hold an `i64` (up to about
//! 9.2 × 10^10 whole units), [`Wide`] holds an `i128` for aggregates that
//! outgrow that (24 h and kline volumes of low-priced coins reach 10^13).
//! They are parsed straight from the exchange's ASCII strings, printed back
//! with exactly eight places, and all arithmetic is checked: an overflow is an
//! error, never a wrap. Products and quotients take an explicit [`Rounding`].
//!
//! Binary fixed point (the `fixed` crate) is not used for money: 0.01 has no
//! exact binary representation.

pub mod decimal;

pub use decimal::{Rounding, Sign, DECIMALS, SCALE};

use decimal::{div_round, parse_i128, parse_i64, round_to_step, write_i128, MAX_PRINTED_LEN};
use std::fmt;

/// Why a decimal could not be parsed or an operation could not be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumError {
    /// The input was empty.
    #[error("empty decimal")]
    Empty,
    /// A sign or dot without a single digit.
    #[error("decimal has no digits")]
    NoDigits,
    /// A byte that has no place in a plain decimal.
    #[error("invalid byte {byte:#04x} at position {at} in decimal")]
    InvalidChar {
        /// Byte offset in the input.
        at: usize,
        /// The offending byte.
        byte: u8,
    },
    /// Exponent notation such as `1e-5`: rejected, never guessed.
    #[error("exponent notation is not accepted in a decimal (write it out in full)")]
    Exponent,
    /// More than eight significant decimal places.
    #[error("more than 8 decimal places")]
    TooPrecise,
    /// Longer than any decimal we accept.
    #[error("decimal is {len} bytes long, over the limit")]
    TooLong {
        /// Length of the input in bytes.
        len: usize,
    },
    /// A minus sign where only non-negative values are valid.
    #[error("negative value where only non-negative values are valid")]
    Negative,
    /// The value does not fit the type.
    #[error("value out of range (overflow)")]
    Overflow,
    /// Division by zero.
    #[error("division by zero")]
    DivByZero,
    /// A tick or step size that is zero or negative.
    #[error("tick/step size must be positive")]
    BadStep,
}

macro_rules! decimal_type {
    ($(#[$meta:meta])* $name:ident, $repr:ty, $sign:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        #[repr(transparent)]
        pub struct $name($repr);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0);
            /// One whole unit (10^8 units of 10^-8).
            pub const ONE: Self = Self(SCALE as $repr);
            /// Largest representable value.
            pub const MAX: Self = Self(<$repr>::MAX);
            /// Whether values of this type may be negative.
            pub const SIGN: Sign = $sign;

            /// From a raw count of 10^-8 units (checked for sign).
            pub fn from_units(units: $repr) -> Result<Self, NumError> {
                if Self::SIGN == Sign::NonNegative && units < 0 {
                    return Err(NumError::Negative);
                }
                Ok(Self(units))
            }

            /// The raw count of 10^-8 units.
            #[inline]
            pub const fn units(self) -> $repr {
                self.0
            }

            /// A whole number of units (`7` → `7.00000000`), checked.
            pub fn from_int(whole: $repr) -> Result<Self, NumError> {
                whole
                    .checked_mul(SCALE as $repr)
                    .ok_or(NumError::Overflow)
                    .and_then(Self::from_units)
            }

            /// Parses the exchange's ASCII decimal (`"61837.63000000"`).
            pub fn parse(s: &str) -> Result<Self, NumError> {
                Self::parse_bytes(s.as_bytes())
            }

            /// Whether this is zero.
            #[inline]
            pub const fn is_zero(self) -> bool {
                self.0 == 0
            }

            /// `self + rhs`, or an error on overflow.
            pub fn checked_add(self, rhs: Self) -> Result<Self, NumError> {
                self.0.checked_add(rhs.0).ok_or(NumError::Overflow).and_then(Self::from_units)
            }

            /// `self - rhs`, or an error on overflow (or on a negative result
            /// for a type that is never negative).
            pub fn checked_sub(self, rhs: Self) -> Result<Self, NumError> {
                self.0.checked_sub(rhs.0).ok_or(NumError::Overflow).and_then(Self::from_units)
            }

            /// `self × whole`, checked.
            pub fn checked_mul_int(self, whole: $repr) -> Result<Self, NumError> {
                self.0.checked_mul(whole).ok_or(NumError::Overflow).and_then(Self::from_units)
            }

            /// `self × num / den` with one rounding at the end (a ratio such as
            /// 3/4 or a fee rate of 10/10_000 applied exactly).
            pub fn mul_ratio(self, num: i128, den: i128, mode: Rounding) -> Result<Self, NumError> {
                let product = i128::from(self.0).checked_mul(num).ok_or(NumError::Overflow)?;
                let q = div_round(product, den, mode)?;
                <$repr>::try_from(q).map_err(|_| NumError::Overflow).and_then(Self::from_units)
            }

            /// Rounds to a multiple of `step` (a `tickSize` or `stepSize`).
            pub fn round_to(self, step: Self, mode: Rounding) -> Result<Self, NumError> {
                let v = round_to_step(i128::from(self.0), i128::from(step.0), mode)?;
                <$repr>::try_from(v).map_err(|_| NumError::Overflow).and_then(Self::from_units)
            }

            /// Whether this value lies on the grid of `step` (`step > 0`).
            pub fn is_multiple_of(self, step: Self) -> bool {
                step.0 > 0 && self.0 % step.0 == 0
            }

            /// Writes the eight-place decimal into `buf` without allocating.
            pub fn write_to(self, buf: &mut [u8; MAX_PRINTED_LEN]) -> &str {
                write_i128(i128::from(self.0), buf)
            }
        }

        impl std::str::FromStr for $name {
            type Err = NumError;
            fn from_str(s: &str) -> Result<Self, NumError> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut buf = [0u8; MAX_PRINTED_LEN];
                f.pad(self.write_to(&mut buf))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut buf = [0u8; MAX_PRINTED_LEN];
                s.serialize_str(self.write_to(&mut buf))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a decimal string (", stringify!($name), ")"))
                    }
                    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<$name, E> {
                        $name::parse(s).map_err(|e| E::custom(format_args!("invalid decimal {s:?}: {e}")))
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

decimal_type!(
    /// A price in the quote asset, never negative, exact at 10^-8.
    Price, i64, Sign::NonNegative
);
decimal_type!(
    /// A quantity in the base asset, never negative, exact at 10^-8.
    Qty, i64, Sign::NonNegative
);
decimal_type!(
    /// A signed amount of one asset (balance, delta, fee, PnL), exact at 10^-8.
    Amount, i64, Sign::Any
);
decimal_type!(
    /// A signed aggregate at 10^-8 held in an `i128`: volumes, quote volumes,
    /// and sums that may outgrow an `i64` (which tops out near 9.2 × 10^10).
    Wide, i128, Sign::Any
);

macro_rules! parse_bytes_i64 {
    ($name:ident) => {
        impl $name {
            /// Parses raw bytes (the hot path reads straight from the frame).
            #[inline]
            pub fn parse_bytes(s: &[u8]) -> Result<Self, NumError> {
                parse_i64(s, Self::SIGN).map(Self)
            }
        }
        impl From<$name> for Wide {
            fn from(v: $name) -> Wide {
                Wide(i128::from(v.0))
            }
        }
    };
}
parse_bytes_i64!(Price);
parse_bytes_i64!(Qty);
parse_bytes_i64!(Amount);

impl Wide {
    /// Parses raw bytes.
    pub fn parse_bytes(s: &[u8]) -> Result<Self, NumError> {
        parse_i128(s, Self::SIGN).map(Self)
    }

    /// Narrows to an [`Amount`], or an error when it does not fit.
    pub fn to_amount(self) -> Result<Amount, NumError> {
        i64::try_from(self.0)
            .map(Amount)
            .map_err(|_| NumError::Overflow)
    }
}

/// Scales a product of two 10^-8 values back to 10^-8, rounding as asked.
fn mul_scaled(a: i64, b: i64, mode: Rounding) -> Result<i128, NumError> {
    // |a·b| < 2^126: the product of two i64 always fits an i128.
    div_round(i128::from(a) * i128::from(b), decimal::SCALE_I128, mode)
}

impl Price {
    /// The quote amount of `qty` at this price (`price × qty`), rounded as asked.
    pub fn notional(self, qty: Qty, mode: Rounding) -> Result<Amount, NumError> {
        let v = mul_scaled(self.0, qty.0, mode)?;
        i64::try_from(v).map(Amount).map_err(|_| NumError::Overflow)
    }

    /// Like [`Price::notional`], into a [`Wide`] that cannot overflow.
    pub fn notional_wide(self, qty: Qty, mode: Rounding) -> Result<Wide, NumError> {
        mul_scaled(self.0, qty.0, mode).map(Wide)
    }
}

impl Amount {
    /// The quantity this quote amount buys at `price` (`amount / price`).
    pub fn div_price(self, price: Price, mode: Rounding) -> Result<Qty, NumError> {
        let n = i128::from(self.0)
            .checked_mul(decimal::SCALE_I128)
            .ok_or(NumError::Overflow)?;
        let q = div_round(n, i128::from(price.0), mode)?;
        i64::try_from(q)
            .map_err(|_| NumError::Overflow)
            .and_then(Qty::from_units)
    }

    /// The absolute value, checked.
    pub fn checked_abs(self) -> Result<Amount, NumError> {
        self.0.checked_abs().map(Amount).ok_or(NumError::Overflow)
    }
}

impl From<Qty> for Amount {
    /// A quantity as a signed amount of the same asset.
    fn from(q: Qty) -> Amount {
        Amount(q.0)
    }
}

impl From<Price> for Amount {
    /// A price as a signed amount of the quote asset (per one base unit).
    fn from(p: Price) -> Amount {
        Amount(p.0)
    }
}

impl Wide {
    /// `self + rhs` for any i64-backed value, checked.
    pub fn checked_add_amount(self, rhs: Amount) -> Result<Wide, NumError> {
        self.checked_add(Wide::from(rhs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notional_is_exact_and_rounded_as_asked() {
        let p = Price::parse("61837.63").unwrap();
        let q = Qty::parse("0.00123").unwrap();
        // 61837.63 × 0.00123 = 76.0602849 exactly.
        assert_eq!(
            p.notional(q, Rounding::Down).unwrap().to_string(),
            "76.06028490"
        );
        let q = Qty::parse("0.00000001").unwrap();
        // 0.0006183763 → 0.00061837 (down) / 0.00061838 (up).
        assert_eq!(
            p.notional(q, Rounding::Down).unwrap().to_string(),
            "0.00061837"
        );
        assert_eq!(
            p.notional(q, Rounding::Up).unwrap().to_string(),
            "0.00061838"
        );
        assert_eq!(
            p.notional(q, Rounding::HalfEven).unwrap().to_string(),
            "0.00061838"
        );
    }

    #[test]
    fn division_back_to_quantity() {
        let a = Amount::parse("100").unwrap();
        let p = Price::parse("3").unwrap();
        assert_eq!(
            a.div_price(p, Rounding::Down).unwrap().to_string(),
            "33.33333333"
        );
        assert_eq!(
            a.div_price(p, Rounding::Up).unwrap().to_string(),
            "33.33333334"
        );
        assert_eq!(
            a.div_price(Price::ZERO, Rounding::Down),
            Err(NumError::DivByZero)
        );
        assert_eq!(
            Amount::parse("-1").unwrap().div_price(p, Rounding::Down),
            Err(NumError::Negative)
        );
    }

    #[test]
    fn price_and_qty_never_go_negative() {
        let one = Price::ONE;
        assert_eq!(Price::ZERO.checked_sub(one), Err(NumError::Negative));
        assert_eq!(Qty::parse("-0.1"), Err(NumError::Negative));
        assert_eq!(Amount::parse("-0.1").unwrap().units(), -10_000_000);
        assert_eq!(
            Price::MAX.checked_add(Price::from_units(1).unwrap()),
            Err(NumError::Overflow)
        );
    }

    #[test]
    fn tick_rounding() {
        let tick = Price::parse("0.01").unwrap();
        let p = Price::parse("61837.637").unwrap();
        assert_eq!(
            p.round_to(tick, Rounding::Down).unwrap().to_string(),
            "61837.63000000"
        );
        assert_eq!(
            p.round_to(tick, Rounding::Up).unwrap().to_string(),
            "61837.64000000"
        );
        assert_eq!(
            p.round_to(Price::ZERO, Rounding::Down),
            Err(NumError::BadStep)
        );
        assert!(Price::parse("61837.64").unwrap().is_multiple_of(tick));
        assert!(!p.is_multiple_of(tick));
    }

    #[test]
    fn wide_holds_large_volumes() {
        // 10^13 units of a low-priced coin: beyond i64 at 1e-8.
        let v = Wide::parse("12345678901234.12345678").unwrap();
        assert_eq!(v.to_string(), "12345678901234.12345678");
        assert_eq!(v.to_amount(), Err(NumError::Overflow));
        assert_eq!(Amount::parse("12345678901234"), Err(NumError::Overflow));
    }

    #[test]
    fn serde_reads_strings_and_names_the_problem() {
        let p: Price = serde_json::from_str("\"0.0010\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"0.00100000\"");
        let e = serde_json::from_str::<Price>("\"1e-5\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("exponent"), "{e}");
        assert!(serde_json::from_str::<Price>("0.5").is_err());
    }

    #[test]
    fn display_pads_like_strings() {
        assert_eq!(
            format!("{:>16}", Qty::parse("1.5").unwrap()),
            "      1.50000000"
        );
        assert_eq!(
            format!("{:?}", Qty::parse("1.5").unwrap()),
            "Qty(1.50000000)"
        );
    }
}
