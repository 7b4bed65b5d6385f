//! The rate-limit response headers: `X-MBX-USED-WEIGHT-(intervalNum)(intervalLetter)`
//! (per IP) and `X-MBX-ORDER-COUNT-(intervalNum)(intervalLetter)` (per account),
//! e.g. `X-MBX-USED-WEIGHT-1M: 42`, `X-MBX-ORDER-COUNT-10S: 3`,
//! `X-MBX-ORDER-COUNT-1D: 17`. Interval letters: `S`, `M`, `H`, `D`.
//! Header names are case-insensitive (HTTP); parsing never allocates.

use crate::binance::exchange_info::{RateLimitInterval, RateLimitType};

/// Prefix of the per-IP weight header (compared case-insensitively).
const USED_WEIGHT_PREFIX: &str = "x-mbx-used-weight-";
/// Prefix of the per-account order-count header (compared case-insensitively).
const ORDER_COUNT_PREFIX: &str = "x-mbx-order-count-";
/// Longest interval number accepted in a header name, in digits.
const MAX_INTERVAL_DIGITS: usize = 9;
/// Longest count accepted in a header value, in digits (fits a u64).
const MAX_COUNT_DIGITS: usize = 19;

/// One parsed rate-limit header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitHeader {
    /// `RequestWeight` or `Orders`.
    pub rate_limit_type: RateLimitType,
    /// Window unit.
    pub interval: RateLimitInterval,
    /// Window length in units.
    pub interval_num: u32,
    /// The server's count in its current window.
    pub count: u64,
}

/// Why a rate-limit header could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The interval part of the name is not `<digits><S|M|H|D>`.
    #[error("rate-limit header name has no valid interval (want e.g. 1M, 10S, 1D)")]
    BadInterval,
    /// The value is not a plain unsigned integer.
    #[error("rate-limit header value is not a count")]
    BadCount,
}

/// Parses one header. `Ok(None)` for any header that is not a rate-limit one.
pub fn parse_limit_header(name: &str, value: &str) -> Result<Option<LimitHeader>, HeaderError> {
    let rate_limit_type = if starts_with_ignore_case(name, USED_WEIGHT_PREFIX) {
        RateLimitType::RequestWeight
    } else if starts_with_ignore_case(name, ORDER_COUNT_PREFIX) {
        RateLimitType::Orders
    } else {
        return Ok(None);
    };
    // Both prefixes have the same length.
    let suffix = &name.as_bytes()[USED_WEIGHT_PREFIX.len()..];
    let (&letter, digits) = suffix.split_last().ok_or(HeaderError::BadInterval)?;
    let interval = match letter.to_ascii_uppercase() {
        b'S' => RateLimitInterval::Second,
        b'M' => RateLimitInterval::Minute,
        b'H' => RateLimitInterval::Hour,
        b'D' => RateLimitInterval::Day,
        _ => return Err(HeaderError::BadInterval),
    };
    let interval_num = parse_digits(digits, MAX_INTERVAL_DIGITS).ok_or(HeaderError::BadInterval)?;
    let interval_num = u32::try_from(interval_num).map_err(|_| HeaderError::BadInterval)?;
    if interval_num == 0 {
        return Err(HeaderError::BadInterval);
    }
    let count =
        parse_digits(value.trim().as_bytes(), MAX_COUNT_DIGITS).ok_or(HeaderError::BadCount)?;
    Ok(Some(LimitHeader {
        rate_limit_type,
        interval,
        interval_num,
        count,
    }))
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// A non-empty run of ASCII digits, at most `max` of them.
fn parse_digits(b: &[u8], max: usize) -> Option<u64> {
    if b.is_empty() || b.len() > max {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_headers_parse_table() {
        use RateLimitInterval::*;
        use RateLimitType::*;
        let ok = [
            ("X-MBX-USED-WEIGHT-1M", "42", RequestWeight, Minute, 1, 42),
            ("x-mbx-used-weight-1m", " 7 ", RequestWeight, Minute, 1, 7),
            ("X-MBX-ORDER-COUNT-10S", "3", Orders, Second, 10, 3),
            ("X-MBX-ORDER-COUNT-1D", "17", Orders, Day, 1, 17),
            ("X-MBX-USED-WEIGHT-2H", "0", RequestWeight, Hour, 2, 0),
        ];
        for (name, value, t, interval, num, count) in ok {
            assert_eq!(
                parse_limit_header(name, value),
                Ok(Some(LimitHeader {
                    rate_limit_type: t,
                    interval,
                    interval_num: num,
                    count
                })),
                "{name}: {value}"
            );
        }
        let ignored = ["Content-Type", "X-MBX-USED-WEIGHT", "Retry-After", ""];
        for name in ignored {
            assert_eq!(parse_limit_header(name, "1"), Ok(None), "{name}");
        }
        let bad = [
            ("X-MBX-USED-WEIGHT-", "1", HeaderError::BadInterval),
            ("X-MBX-USED-WEIGHT-M", "1", HeaderError::BadInterval),
            ("X-MBX-USED-WEIGHT-1X", "1", HeaderError::BadInterval),
            ("X-MBX-USED-WEIGHT-0M", "1", HeaderError::BadInterval),
            ("X-MBX-USED-WEIGHT-1M", "", HeaderError::BadCount),
            ("X-MBX-USED-WEIGHT-1M", "-1", HeaderError::BadCount),
            ("X-MBX-USED-WEIGHT-1M", "1.5", HeaderError::BadCount),
            (
                "X-MBX-ORDER-COUNT-10S",
                "99999999999999999999",
                HeaderError::BadCount,
            ),
        ];
        for (name, value, err) in bad {
            assert_eq!(parse_limit_header(name, value), Err(err), "{name}: {value}");
        }
    }
}
