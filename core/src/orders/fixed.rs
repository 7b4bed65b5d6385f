//! A short ASCII string held inline (no heap): symbols, assets, client order
//! ids and reject reasons in the fixed-capacity order table.

use std::fmt;

/// Longest symbol kept, bytes (Binance's spot symbols are far shorter).
pub const MAX_SYMBOL_LEN: usize = 20;
/// Longest asset name kept, bytes.
pub const MAX_ASSET_LEN: usize = 20;
/// Longest client order id, bytes (Binance's `newClientOrderId` rule).
pub const MAX_CLIENT_ID_LEN: usize = 36;
/// Longest reject reason kept, bytes (longer reasons are cut, never
/// refused). Every message in Binance's published error tables fits (the
/// longest is 76 bytes), and so do the -1100 parameter messages (~120).
pub const MAX_REASON_LEN: usize = 128;

/// Up to `N` bytes of text, inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedStr<const N: usize> {
    buf: [u8; N],
    len: u8,
}

/// The text did not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("text of {len} bytes is longer than the {max} kept")]
pub struct TooLong {
    /// Its length.
    pub len: usize,
    /// The capacity.
    pub max: usize,
}

impl<const N: usize> FixedStr<N> {
    /// The empty string.
    pub const EMPTY: Self = Self {
        buf: [0; N],
        len: 0,
    };

    /// `s`, or an error when it is longer than `N` bytes.
    pub fn new(s: &str) -> Result<Self, TooLong> {
        if s.len() > N || s.len() > usize::from(u8::MAX) {
            return Err(TooLong {
                len: s.len(),
                max: N,
            });
        }
        let mut out = Self::EMPTY;
        out.buf[..s.len()].copy_from_slice(s.as_bytes());
        out.len = s.len() as u8;
        Ok(out)
    }

    /// `s` cut to at most `N` bytes (at a character boundary).
    pub fn truncated(s: &str) -> Self {
        let mut end = s.len().min(N).min(usize::from(u8::MAX));
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let mut out = Self::EMPTY;
        out.buf[..end].copy_from_slice(&s.as_bytes()[..end]);
        out.len = end as u8;
        out
    }

    /// `a` followed by `b`, cut to at most `N` bytes (at a character
    /// boundary), as [`FixedStr::truncated`] of the two joined, without
    /// allocating.
    pub fn joined(a: &str, b: &str) -> Self {
        let mut out = Self::truncated(a);
        let used = usize::from(out.len);
        let mut end = b.len().min(N.min(usize::from(u8::MAX)) - used);
        while !b.is_char_boundary(end) {
            end -= 1;
        }
        out.buf[used..used + end].copy_from_slice(&b.as_bytes()[..end]);
        out.len = (used + end) as u8;
        out
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Built only from whole `&str`s cut at character boundaries.
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or("")
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether it holds exactly `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        self.as_str() == s
    }
}

impl<const N: usize> Default for FixedStr<N> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<const N: usize> fmt::Debug for FixedStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for FixedStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_fixed_str_keeps_refuses_and_cuts() {
        let s = FixedStr::<8>::new("BTCUSDT").unwrap();
        assert_eq!(s.as_str(), "BTCUSDT");
        assert!(s.eq_str("BTCUSDT") && !s.is_empty());
        assert_eq!(
            FixedStr::<4>::new("BTCUSDT"),
            Err(TooLong { len: 7, max: 4 })
        );
        assert_eq!(FixedStr::<4>::truncated("BTCUSDT").as_str(), "BTCU");
        // "é" is two bytes: cutting at 3 bytes keeps "aé", at 2 keeps "a".
        assert_eq!(FixedStr::<3>::truncated("aéb").as_str(), "aé");
        assert_eq!(FixedStr::<2>::truncated("aéb").as_str(), "a");
        assert!(FixedStr::<4>::EMPTY.is_empty());
    }

    #[test]
    fn orders_fixed_str_joined_equals_the_joined_text_cut() {
        for (a, b) in [
            ("abc", ".s"),
            ("abcdef", ".s"),
            ("abcdefgh", ".s"),
            ("aé", "éb"),
            ("", "xy"),
        ] {
            let whole = format!("{a}{b}");
            assert_eq!(
                FixedStr::<7>::joined(a, b),
                FixedStr::<7>::truncated(&whole),
                "{whole}"
            );
            assert_eq!(
                FixedStr::<4>::joined(a, b),
                FixedStr::<4>::truncated(&whole),
                "{whole}"
            );
        }
    }
}
