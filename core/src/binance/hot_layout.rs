//! The byte-layout fast path behind [`super::fast::decode_hot`].
//!
//! Binance writes each hot stream with the same keys in the same order and no
//! whitespace. This module matches that exact layout in one forward pass,
//! parsing each value as it goes. Any deviation (another key order, extra
//! whitespace, an escape, a value it does not expect) returns `None`, and the
//! caller falls back to the general JSON scanner, which accepts every valid
//! ordering and names the problem when there is one. So this path never
//! decides an error: it only ever says "yes, exactly this" or "ask the other".
//!
//! A property test checks that whenever this path answers, the general
//! scanner gives the same answer.

use super::fast::{
    AggTrade, BookTicker, DepthBuf, DepthUpdate, HotEvent, Level, Symbol, Trade,
    MAX_DEPTH_LEVELS_PER_SIDE, MAX_STREAM_NAME_LEN,
};
use crate::num::{Price, Qty, DECIMALS};

use crate::num::decimal::POW10;
/// Most digits a decimal may have on this path (larger ones fall back).
const MAX_DEC_DIGITS: u32 = 18;
/// Most digits of an integer on this path (19 always fit a u64).
const MAX_INT_DIGITS: usize = 19;

struct L<'a> {
    b: &'a [u8],
    p: usize,
}

impl L<'_> {
    #[inline(always)]
    fn lit(&mut self, s: &[u8]) -> Option<()> {
        let end = self.p + s.len();
        if self.b.get(self.p..end)? == s {
            self.p = end;
            Some(())
        } else {
            None
        }
    }

    #[inline(always)]
    fn byte(&self) -> Option<u8> {
        self.b.get(self.p).copied()
    }

    /// Unsigned integer: 1 to 19 digits.
    #[inline(always)]
    fn u64(&mut self) -> Option<u64> {
        let start = self.p;
        let mut v: u64 = 0;
        // Ids and millisecond times have 10 to 13 digits: take the first
        // eight in one word when they are all digits.
        if let Some(chunk) = self.b.get(start..start + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            if let Some(x) = eight_digits(u64::from_le_bytes(word)) {
                v = x;
                self.p += 8;
            }
        }
        while let Some(&c) = self.b.get(self.p) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            v = v.wrapping_mul(10).wrapping_add(u64::from(d));
            self.p += 1;
        }
        let n = self.p - start;
        if n == 0 || n > MAX_INT_DIGITS {
            return None;
        }
        // A leading zero is only valid alone (JSON).
        if n > 1 && self.b[start] == b'0' {
            return None;
        }
        if n == MAX_INT_DIGITS {
            // 19 digits may exceed u64::MAX: let the checked path decide.
            return None;
        }
        Some(v)
    }

    /// A decimal string's contents up to its closing quote, consumed.
    ///
    /// Binance prints exactly eight decimal places, so the common shape is
    /// `<1..=11 digits>.<8 digits>"`: the eight fraction digits are converted
    /// in one 64-bit word. Other shapes take the byte loop.
    #[inline(always)]
    fn dec(&mut self) -> Option<i64> {
        self.dec_loop()
    }

    /// The integer part by a byte loop, the fraction as one word.
    #[inline(always)]
    fn dec_loop(&mut self) -> Option<i64> {
        let start = self.p;
        let mut int: i64 = 0;
        let mut p = start;
        while let Some(&c) = self.b.get(p) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            int = int * 10 + i64::from(d);
            p += 1;
            if p - start > MAX_INT_PART_DIGITS {
                return self.dec_slow();
            }
        }
        if p > start && self.b.get(p) == Some(&b'.') {
            if let Some(chunk) = self.b.get(p + 1..p + 10) {
                if chunk[8] == b'"' {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(&chunk[..8]);
                    if let Some(frac) = eight_digits(u64::from_le_bytes(word)) {
                        self.p = p + 10;
                        return Some(int * SCALE + frac as i64);
                    }
                }
            }
        }
        self.dec_slow()
    }

    /// The general byte loop behind [`L::dec`], for every other shape.
    #[inline(never)]
    fn dec_slow(&mut self) -> Option<i64> {
        let mut v: i64 = 0;
        let mut digits: u32 = 0;
        let mut frac: u32 = 0;
        let mut dot = false;
        loop {
            let c = *self.b.get(self.p)?;
            self.p += 1;
            let d = c.wrapping_sub(b'0');
            if d <= 9 {
                // Check before multiplying: 18 digits always fit an i64.
                digits += 1;
                if digits > MAX_DEC_DIGITS {
                    return None;
                }
                v = v * 10 + i64::from(d);
                frac += u32::from(dot);
            } else if c == b'.' && !dot {
                dot = true;
            } else if c == b'"' {
                break;
            } else {
                return None;
            }
        }
        if digits == 0 || frac > DECIMALS {
            return None;
        }
        v.checked_mul(POW10[(DECIMALS - frac) as usize] as i64)
    }

    /// A symbol's contents up to its closing quote, consumed.
    #[inline(always)]
    fn sym(&mut self) -> Option<Symbol> {
        let start = self.p;
        let n = string_end(self.b, start, super::fast::MAX_SYMBOL_LEN)?;
        let s = Symbol::new(&self.b[start..start + n])?;
        self.p = start + n + 1;
        Some(s)
    }

    #[inline(always)]
    fn boolean(&mut self) -> Option<bool> {
        match self.byte()? {
            b't' => self.lit(b"true").map(|_| true),
            b'f' => self.lit(b"false").map(|_| false),
            _ => None,
        }
    }

    /// The common end of trade and aggTrade: `,"T":…,"m":…,"M":…}`.
    #[inline(always)]
    fn trade_tail(&mut self) -> Option<(u64, bool)> {
        self.lit(b",\"T\":")?;
        let trade_time_ms = self.u64()?;
        self.lit(b",\"m\":")?;
        let buyer_is_maker = self.boolean()?;
        self.lit(b",\"M\":")?;
        self.boolean()?;
        self.lit(b"}")?;
        Some((trade_time_ms, buyer_is_maker))
    }

    /// `[["p","q"],…]` into `out`.
    #[inline(always)]
    fn levels(&mut self, out: &mut Vec<Level>) -> Option<()> {
        out.clear();
        self.lit(b"[")?;
        if self.byte()? == b']' {
            self.p += 1;
            return Some(());
        }
        loop {
            // A run of levels of the common shape, in a function of its own
            // (the position and the buffer's length stay in registers).
            match level_run(self.b, self.p, out)? {
                (end, true) => {
                    self.p = end;
                    return Some(());
                }
                (p, false) => self.p = p,
            }
            // One level of another shape, byte by byte.
            if out.len() == MAX_DEPTH_LEVELS_PER_SIDE {
                return None;
            }
            self.lit(b"[\"")?;
            let price = self.dec()?;
            self.lit(b",\"")?;
            let qty = self.dec()?;
            self.lit(b"]")?;
            out.push(Level {
                price: Price::from_units_unchecked(price),
                qty: Qty::from_units_unchecked(qty),
            });
            match self.byte()? {
                b',' => self.p += 1,
                b']' => {
                    self.p += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Levels of the common shape from `p` on, pushed to `out`:
/// `Some((offset after the closing ']', true))` when the array ended,
/// `Some((offset of the level, false))` at a level of another shape (or too
/// near the end of the frame, or at the bound) for the byte-by-byte path,
/// `None` when what follows a level is neither ',' nor ']'.
#[inline(never)]
fn level_run(b: &[u8], mut p: usize, out: &mut Vec<Level>) -> Option<(usize, bool)> {
    while out.len() < MAX_DEPTH_LEVELS_PER_SIDE {
        let Some((price, qty, end)) = level_words(b, p).or_else(|| level_words_at_end(b, p)) else {
            break;
        };
        out.push(Level {
            price: Price::from_units_unchecked(price),
            qty: Qty::from_units_unchecked(qty),
        });
        match b.get(end) {
            Some(b',') => p = end + 1,
            Some(b']') => return Some((end + 1, true)),
            _ => return None,
        }
    }
    Some((p, false))
}

/// [`level_words`] for a level with fewer than [`LEVEL_WINDOW`] bytes left
/// in the frame (the last one): the rest is copied into a window padded with
/// spaces, which no check of [`level_words`] accepts, so what it accepts lies
/// in the frame.
#[inline(never)]
fn level_words_at_end(b: &[u8], at: usize) -> Option<(i64, i64, usize)> {
    let rest = b.get(at..)?;
    if rest.len() >= LEVEL_WINDOW {
        return None;
    }
    let mut pad = [b' '; LEVEL_WINDOW];
    pad[..rest.len()].copy_from_slice(rest);
    let (price, qty, end) = level_words(&pad, 0)?;
    Some((price, qty, at + end))
}

/// Bytes a level of the common shape may take: `["` + 16 + `","` + 16 + `"]`.
const LEVEL_WINDOW: usize = 39;

/// One level `["<price>","<qty>"]` at `at`, both decimals of the shape
/// `<1..=7 digits>.<8 digits>`, without a loop or a per-digit branch:
/// `(price, qty, offset after the level's ']')`. `None`: any other shape, or
/// fewer than [`LEVEL_WINDOW`] bytes left, for the byte-by-byte path (which
/// decides).
///
/// The dot is looked for at the integer lengths Binance prints most (five
/// for a BTCUSDT price, one for most quantities) by single byte compares,
/// which the branch predictor learns, so where the next value starts does
/// not wait for the digits to be converted. The digits of the level are
/// checked together (one test per level) and converted a word at a time.
#[inline(always)]
fn level_words(b: &[u8], at: usize) -> Option<(i64, i64, usize)> {
    let c: &[u8; LEVEL_WINDOW] = b.get(at..at + LEVEL_WINDOW)?.try_into().ok()?;
    if u16::from_le_bytes([c[0], c[1]]) != u16::from_le_bytes(*b"[\"") {
        return None;
    }
    let (price, n) = dec_words(c, 2, PRICE_INT_DIGITS)?;
    // After the price's closing quote: `,"`.
    let q = 2 + n;
    if u16::from_le_bytes([c[q], c[q + 1]]) != u16::from_le_bytes(*b",\"") {
        return None;
    }
    let (qty, m) = dec_words(c, q + 2, QTY_INT_DIGITS)?;
    let end = q + 2 + m;
    if c[end] != b']' {
        return None;
    }
    let (price, qty) = level_values(price, qty)?;
    Some((price, qty, at + end + 1))
}

/// A decimal's digits as two words of digit values (see [`dec_words`]):
/// the integer part right-aligned (zero bytes before it), then the eight
/// fraction digits; the first digit in the lowest byte of each.
type DecWords = (u64, u64);

/// A level's price and quantity from their [`DecWords`], in 10^-8 units, or
/// `None` when a byte is not a digit. With SSE2 (every x86_64) the four
/// words are checked and converted in two vector registers
/// ([`sse2::level_values`]), elsewhere one word at a time
/// ([`level_values_scalar`]); a test checks they agree.
#[inline(always)]
fn level_values(price: DecWords, qty: DecWords) -> Option<(i64, i64)> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: the function needs SSE2, which this build's target has
        // (checked by the `cfg` above; SSE2 is part of every x86_64 target).
        #[allow(unsafe_code)]
        unsafe {
            sse2::level_values(price, qty)
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        level_values_scalar(price, qty)
    }
}

/// [`level_values`] one word at a time.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn level_values_scalar(price: DecWords, qty: DecWords) -> Option<(i64, i64)> {
    let (pi, pf) = price;
    let (qi, qf) = qty;
    // A byte above 9 sets its high bit: with every byte a digit nothing
    // carries, and the lowest offending byte is always flagged.
    let over = |w: u64| w.wrapping_add(0x76 * ONES) | w;
    if (over(pi) | over(pf) | over(qi) | over(qf)) & HIGH != 0 {
        return None;
    }
    let value = |i: u64, f: u64| combine_digits(i) as i64 * SCALE + combine_digits(f) as i64;
    Some((value(pi, pf), value(qi, qf)))
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{DecWords, SCALE};
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cvtsi128_si64, _mm_madd_epi16, _mm_movemask_epi8,
        _mm_mullo_epi16, _mm_or_si128, _mm_packs_epi32, _mm_set1_epi16, _mm_set1_epi32,
        _mm_set1_epi8, _mm_set_epi64x, _mm_setzero_si128, _mm_srli_epi16, _mm_subs_epu8,
        _mm_unpackhi_epi64,
    };

    /// Sixteen digit values (bytes) to four 4-digit values (32-bit lanes),
    /// the first digit the most significant.
    #[target_feature(enable = "sse2")]
    #[inline]
    fn fours(v: __m128i) -> __m128i {
        // Each 16-bit lane `d0 + 256·d1` times `1 + 10·256` has `10·d0 + d1`
        // in its high byte (no sum reaches 256), shifted down.
        let twos = _mm_srli_epi16::<8>(_mm_mullo_epi16(v, _mm_set1_epi16(1 + (10 << 8))));
        // Pairs of 16-bit lanes: `100·a + b`.
        _mm_madd_epi16(twos, _mm_set1_epi32(100 | (1 << 16)))
    }

    /// [`super::level_values`] in two vector registers: one compare for
    /// the 32 digits, two multiplications per step for all four words.
    #[target_feature(enable = "sse2")]
    #[inline]
    pub(super) fn level_values(price: DecWords, qty: DecWords) -> Option<(i64, i64)> {
        let p = _mm_set_epi64x(price.1 as i64, price.0 as i64);
        let q = _mm_set_epi64x(qty.1 as i64, qty.0 as i64);
        // Bytes above 9 (not digits) stay non-zero after subtracting 9.
        let nine = _mm_set1_epi8(9);
        let over = _mm_or_si128(_mm_subs_epu8(p, nine), _mm_subs_epu8(q, nine));
        if _mm_movemask_epi8(_mm_cmpeq_epi8(over, _mm_setzero_si128())) != 0xFFFF {
            return None;
        }
        // Eight 4-digit values (each below 10^4, so the signed pack keeps
        // them), then pairs `10^4·a + b`: the four 8-digit words, in order.
        let eights = _mm_madd_epi16(
            _mm_packs_epi32(fours(p), fours(q)),
            _mm_set1_epi32(10_000 | (1 << 16)),
        );
        let lo = _mm_cvtsi128_si64(eights) as u64;
        let hi = _mm_cvtsi128_si64(_mm_unpackhi_epi64(eights, eights)) as u64;
        let value = |w: u64| (w & 0xFFFF_FFFF) as i64 * SCALE + (w >> 32) as i64;
        Some((value(lo), value(hi)))
    }
}

/// The integer length tried first for a price (BTCUSDT's) and for a
/// quantity (most of them); the other is tried next, then the rest.
const PRICE_INT_DIGITS: usize = 5;
const QTY_INT_DIGITS: usize = 1;

/// `<1..=7 digits>.<8 digits>"` at `c[at..]` (`at` ≤ 21): its digits as
/// [`DecWords`] (not yet checked to be digits: a byte that is not one
/// becomes a value above 9) and the length consumed (through the closing
/// quote, at most 17); `likely` is the integer length tried first
/// ([`PRICE_INT_DIGITS`] or [`QTY_INT_DIGITS`]).
#[inline(always)]
fn dec_words(c: &[u8; LEVEL_WINDOW], at: usize, likely: usize) -> Option<(DecWords, usize)> {
    let c: &[u8; 17] = c.get(at..at + 17)?.try_into().ok()?;
    let other = PRICE_INT_DIGITS + QTY_INT_DIGITS - likely;
    let n = if c[likely] == b'.' {
        likely
    } else if c[other] == b'.' {
        other
    } else {
        (2..8).find(|&i| c[i] == b'.')?
    };
    if c[n + 9] != b'"' {
        return None;
    }
    let mut head = [0u8; 8];
    head.copy_from_slice(&c[..8]);
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&c[n + 1..n + 9]);
    // Digits become the values 0..=9, and only digits do; the integer's
    // bytes from the dot on are shifted out, zero bytes (leading zeros) in.
    let int = (u64::from_le_bytes(head) ^ (u64::from(b'0') * ONES)) << (64 - 8 * n as u32);
    let frac = u64::from_le_bytes(tail) ^ (u64::from(b'0') * ONES);
    Some(((int, frac), n + 10))
}

/// Integer digits the word-at-a-time path takes (10^11 × 10^8 fits an i64).
const MAX_INT_PART_DIGITS: usize = 10;
const SCALE: i64 = crate::num::SCALE;

/// Converts eight ASCII digits packed little-endian in a word (first digit in
/// the lowest byte) to their value, or `None` when any byte is not a digit.
#[inline(always)]
fn eight_digits(word: u64) -> Option<u64> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Every byte in 0x30..=0x39: high nibble 3, and adding 6 does not carry
    // into the high nibble.
    let high_ok = word & (0xF0 * ONES) == 0x30 * ONES;
    let low_ok = (word.wrapping_add(0x06 * ONES)) & (0xF0 * ONES) == 0x30 * ONES;
    if !(high_ok && low_ok) {
        return None;
    }
    Some(combine_digits(word & (0x0F * ONES)))
}

/// The value of eight digit values 0..=9, one per byte, packed little-endian
/// (first digit in the lowest byte).
#[inline(always)]
fn combine_digits(mut v: u64) -> u64 {
    // Pairwise combine: bytes → 2-digit, → 4-digit, → 8-digit values, one
    // multiplication each: `v × (1 + 10·2^8) >> 8` puts `10·d[i] + d[i+1]`
    // in byte i (no sum reaches 256, so nothing carries between bytes).
    v = (v.wrapping_mul(1 + (10 << 8)) >> 8) & 0x00FF_00FF_00FF_00FF;
    v = (v.wrapping_mul(1 + (100 << 16)) >> 16) & 0x0000_FFFF_0000_FFFF;
    v.wrapping_mul(1 + (10_000 << 32)) >> 32
}

/// The length of a plain string whose contents start at `start`: the offset
/// of its closing quote, when that comes within `max` bytes and no escape,
/// control or non-ASCII byte comes before it. Scans a 64-bit word at a time.
#[inline(always)]
fn string_end(buf: &[u8], start: usize, max: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut off = 0;
    while off <= max {
        let Some(chunk) = buf.get(start + off..start + off + 8) else {
            // Fewer than eight bytes left: byte by byte.
            let rest = buf.get(start + off..)?;
            for (i, &c) in rest.iter().enumerate() {
                if c == b'"' {
                    return (off + i <= max).then_some(off + i);
                }
                if c == b'\\' || !(0x20..0x80).contains(&c) {
                    return None;
                }
            }
            return None;
        };
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word);
        // A byte equal to '"' or '\\', or below 0x20, sets its high bit here;
        // the lowest flagged byte is always a true hit.
        let quote = v ^ (0x22 * ONES);
        let slash = v ^ (0x5C * ONES);
        let flags = (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (v.wrapping_sub(0x20 * ONES) & !v);
        // Bytes at or above 0x80 (not ASCII) are left to the general scanner.
        let flags = (flags | v) & HIGH;
        if flags != 0 {
            let i = (flags.trailing_zeros() / 8) as usize;
            if chunk[i] != b'"' {
                return None;
            }
            return (off + i <= max).then_some(off + i);
        }
        off += 8;
    }
    None
}

/// Tries the exact Binance layout; `None` means "use the general scanner".
#[inline]
pub(super) fn decode(
    frame: &[u8],
    depth: &mut DepthBuf,
) -> Option<(HotEvent, Option<(usize, usize)>)> {
    let mut l = L { b: frame, p: 0 };
    let mut stream = None;
    if l.lit(b"{\"stream\":\"").is_some() {
        let start = l.p;
        let n = string_end(frame, start, MAX_STREAM_NAME_LEN)?;
        stream = Some((start, start + n));
        l.p = start + n + 1;
        l.lit(b",\"data\":")?;
    } else {
        l.p = 0;
    }
    let ev = payload(&mut l, depth)?;
    if stream.is_some() {
        l.lit(b"}")?;
    }
    // Only whitespace may follow.
    if !frame[l.p..]
        .iter()
        .all(|c| matches!(c, b' ' | b'\n' | b'\r' | b'\t'))
    {
        return None;
    }
    Some((ev, stream))
}

#[inline(always)]
fn payload(l: &mut L<'_>, depth: &mut DepthBuf) -> Option<HotEvent> {
    if l.lit(b"{\"u\":").is_some() {
        let update_id = l.u64()?;
        l.lit(b",\"s\":\"")?;
        let symbol = l.sym()?;
        l.lit(b",\"b\":\"")?;
        let bid = l.dec()?;
        l.lit(b",\"B\":\"")?;
        let bid_qty = l.dec()?;
        l.lit(b",\"a\":\"")?;
        let ask = l.dec()?;
        l.lit(b",\"A\":\"")?;
        let ask_qty = l.dec()?;
        l.lit(b"}")?;
        return Some(HotEvent::BookTicker(BookTicker {
            update_id,
            symbol,
            bid: Price::from_units_unchecked(bid),
            bid_qty: Qty::from_units_unchecked(bid_qty),
            ask: Price::from_units_unchecked(ask),
            ask_qty: Qty::from_units_unchecked(ask_qty),
        }));
    }
    l.lit(b"{\"e\":\"")?;
    if l.lit(b"trade\",\"E\":").is_some() {
        let event_time_ms = l.u64()?;
        l.lit(b",\"s\":\"")?;
        let symbol = l.sym()?;
        l.lit(b",\"t\":")?;
        let trade_id = l.u64()?;
        l.lit(b",\"p\":\"")?;
        let price = l.dec()?;
        l.lit(b",\"q\":\"")?;
        let qty = l.dec()?;
        let (trade_time_ms, buyer_is_maker) = l.trade_tail()?;
        return Some(HotEvent::Trade(Trade {
            event_time_ms,
            symbol,
            trade_id,
            price: Price::from_units_unchecked(price),
            qty: Qty::from_units_unchecked(qty),
            trade_time_ms,
            buyer_is_maker,
        }));
    }
    if l.lit(b"depthUpdate\",\"E\":").is_some() {
        let event_time_ms = l.u64()?;
        l.lit(b",\"s\":\"")?;
        let symbol = l.sym()?;
        l.lit(b",\"U\":")?;
        let first_update_id = l.u64()?;
        l.lit(b",\"u\":")?;
        let final_update_id = l.u64()?;
        l.lit(b",\"b\":")?;
        l.levels(&mut depth.bids)?;
        l.lit(b",\"a\":")?;
        l.levels(&mut depth.asks)?;
        l.lit(b"}")?;
        return Some(HotEvent::Depth(DepthUpdate {
            event_time_ms,
            symbol,
            first_update_id,
            final_update_id,
        }));
    }
    if l.lit(b"aggTrade\",\"E\":").is_some() {
        let event_time_ms = l.u64()?;
        l.lit(b",\"s\":\"")?;
        let symbol = l.sym()?;
        l.lit(b",\"a\":")?;
        let agg_trade_id = l.u64()?;
        l.lit(b",\"p\":\"")?;
        let price = l.dec()?;
        l.lit(b",\"q\":\"")?;
        let qty = l.dec()?;
        l.lit(b",\"f\":")?;
        let first_trade_id = l.u64()?;
        l.lit(b",\"l\":")?;
        let last_trade_id = l.u64()?;
        let (trade_time_ms, buyer_is_maker) = l.trade_tail()?;
        return Some(HotEvent::AggTrade(AggTrade {
            event_time_ms,
            symbol,
            agg_trade_id,
            price: Price::from_units_unchecked(price),
            qty: Qty::from_units_unchecked(qty),
            first_trade_id,
            last_trade_id,
            trade_time_ms,
            buyer_is_maker,
        }));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{
        eight_digits, level_values, level_values_scalar, level_words, level_words_at_end,
        string_end, L, LEVEL_WINDOW,
    };
    use proptest::prelude::*;

    /// The value of a word of digit values (first digit in the lowest byte),
    /// `None` when a byte is above 9: digit by digit.
    fn word_value(w: u64) -> Option<i64> {
        w.to_le_bytes()
            .iter()
            .try_fold(0i64, |v, &d| (d <= 9).then(|| v * 10 + i64::from(d)))
    }

    /// A word of digit values, with probability ~1/4 one byte of any value.
    fn digit_word() -> impl Strategy<Value = u64> {
        (prop::array::uniform8(0u8..=9), any::<u8>(), 0usize..32).prop_map(|(mut d, b, at)| {
            if at < 8 {
                d[at] = b;
            }
            u64::from_le_bytes(d)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// The vector conversion (SSE2 on x86_64), the word-at-a-time one and
        /// a digit-by-digit reading give the same values, and refuse the
        /// same words.
        #[test]
        fn level_values_agree_with_the_scalar_path(
            pi in digit_word(), pf in digit_word(), qi in digit_word(), qf in digit_word()
        ) {
            let want = (|| {
                Some((
                    word_value(pi)? * 100_000_000 + word_value(pf)?,
                    word_value(qi)? * 100_000_000 + word_value(qf)?,
                ))
            })();
            prop_assert_eq!(level_values((pi, pf), (qi, qf)), want);
            prop_assert_eq!(level_values_scalar((pi, pf), (qi, qf)), want);
        }
    }

    /// The byte-by-byte reading of one level: `(price, qty, end)`.
    fn level_bytes(b: &[u8]) -> Option<(i64, i64, usize)> {
        let mut l = L { b, p: 0 };
        l.lit(b"[\"")?;
        let price = l.dec()?;
        l.lit(b",\"")?;
        let qty = l.dec()?;
        l.lit(b"]")?;
        Some((price, qty, l.p))
    }

    #[test]
    fn level_words_agrees_with_the_byte_path() {
        let cases: [&[u8]; 16] = [
            br#"["61602.01000000","1.67177000"]"#,
            br#"["61602.01000000","0.00000000"]"#,
            br#"["61602.01000000","12.50000000"]"#,
            br#"["1.00000000","1234567.12345678"]"#,
            br#"["1234567.12345678","5.00000000"]"#,
            br#"["12345678.12345678","5.00000000"]"#,
            br#"["0061602.01000000","007.00000000"]"#,
            br#"["61602.0100000","1.67177000"]"#,
            br#"["61602.010000000","1.67177000"]"#,
            br#"["61602.0100000a","1.67177000"]"#,
            br#"["6160a.01000000","1.67177000"]"#,
            br#"["61602.01000000","1.6717700/"]"#,
            br#"[".01000000","1.67177000"]"#,
            br#"["6.1.02.01000000","1.67177000"]"#,
            br#"["61602.01000000", "1.67177000"]"#,
            br#"["61602.01000000","1.67177000"}"#,
        ];
        for c in cases {
            let mut b = c.to_vec();
            b.resize(c.len().max(LEVEL_WINDOW) + 8, b' ');
            let fast = level_words(&b, 0);
            if let Some(v) = fast {
                assert_eq!(Some(v), level_bytes(&b), "{}", String::from_utf8_lossy(c));
            }
        }
        let mut b = br#"["61602.01000000","1.67177000"],"#.to_vec();
        b.resize(LEVEL_WINDOW + 8, b' ');
        assert_eq!(
            level_words(&b, 0),
            Some((6_160_201_000_000, 167_177_000, 31))
        );
        // Fewer than LEVEL_WINDOW bytes left: padded, the same reading.
        let last = br#"["61602.01000000","1.67177000"]}}"#;
        assert_eq!(level_words(last, 0), None);
        assert_eq!(level_words_at_end(last, 0), level_bytes(last));
        assert_eq!(
            level_words_at_end(last, 0),
            Some((6_160_201_000_000, 167_177_000, 31))
        );
        for cut in 0..last.len() - 2 {
            assert_eq!(level_words_at_end(&last[..cut], 0), None, "cut at {cut}");
        }
    }

    #[test]
    fn string_end_finds_the_quote_or_refuses() {
        let b = br#"btcusdt@depth@100ms","data""#;
        assert_eq!(string_end(b, 0, 64), Some(19));
        assert_eq!(string_end(b, 0, 18), None);
        assert_eq!(string_end(b"ab\\\"c\"", 0, 64), None);
        assert_eq!(string_end(b"abc", 0, 64), None);
        assert_eq!(string_end(b"a\tb\"", 0, 64), None);
        assert_eq!(string_end(b"a\x7fb\"", 0, 64), Some(3));
        assert_eq!(string_end(b"\"", 0, 64), Some(0));
        assert_eq!(string_end(b"xx12345678\"", 2, 8), Some(8));
        assert_eq!(string_end(b"\xff\xfe\"", 0, 8), None);
        assert_eq!(string_end(b"abcdefgh\xc3\xa9\"", 0, 64), None);
        for n in 0..40 {
            let mut v = vec![b'a'; n];
            v.push(b'"');
            assert_eq!(string_end(&v, 0, 64), Some(n));
        }
    }

    #[test]
    fn eight_digits_word() {
        let w = |s: &[u8; 8]| eight_digits(u64::from_le_bytes(*s));
        assert_eq!(w(b"12345678"), Some(12_345_678));
        assert_eq!(w(b"00000001"), Some(1));
        assert_eq!(w(b"90000000"), Some(90_000_000));
        assert_eq!(w(b"99999999"), Some(99_999_999));
        assert_eq!(w(b"1234567:"), None);
        assert_eq!(w(b"1234567/"), None);
        assert_eq!(w(b"1234\"567"), None);
    }
}
