//! Bits of the WIT `features.ready` mask, in the WIT's order (bit 0 first).
//! A value is present only when its bit is set; absent values are 0.

/// Average true range, quote currency.
pub const ATR: u32 = 1 << 0;
/// ATR as a fraction of the close (0.03 is 3 %).
pub const ATR_PCT: u32 = 1 << 1;
/// ADX, 0–100.
pub const ADX: u32 = 1 << 2;
/// +DI, 0–100.
pub const PLUS_DI: u32 = 1 << 3;
/// −DI, 0–100.
pub const MINUS_DI: u32 = 1 << 4;
/// Bollinger band width as a fraction of the middle band.
pub const BB_WIDTH: u32 = 1 << 5;
/// RSI, 0–100.
pub const RSI: u32 = 1 << 6;
/// MACD line, quote currency.
pub const MACD: u32 = 1 << 7;
/// MACD signal line, quote currency.
pub const MACD_SIGNAL: u32 = 1 << 8;
/// MACD histogram, quote currency.
pub const MACD_HIST: u32 = 1 << 9;
/// Simple moving average of the close.
pub const SMA: u32 = 1 << 10;
/// Fast EMA of the close.
pub const EMA_FAST: u32 = 1 << 11;
/// Slow EMA of the close.
pub const EMA_SLOW: u32 = 1 << 12;
/// Volume as a multiple of the 20-candle mean.
pub const VOLUME_RATIO: u32 = 1 << 13;
/// (close − nearest support) / close.
pub const SUPPORT_DISTANCE: u32 = 1 << 14;
/// (nearest resistance − close) / close.
pub const RESISTANCE_DISTANCE: u32 = 1 << 15;
/// Every bit above.
pub const ALL: u32 = (1 << 16) - 1;

/// Whether every bit of `mask` is set in `ready`.
pub const fn has(ready: u32, mask: u32) -> bool {
    ready & mask == mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_requires_every_bit_of_the_mask() {
        assert!(has(ADX | ATR_PCT, ADX));
        assert!(has(ALL, ADX | ATR_PCT | BB_WIDTH));
        assert!(!has(ADX, ADX | ATR_PCT));
        assert!(has(0, 0));
        assert_eq!(RESISTANCE_DISTANCE, 0x8000);
    }
}
