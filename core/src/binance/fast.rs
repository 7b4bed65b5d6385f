//! Allocation-free decoders for the hot market streams.
//!
//! `bookTicker`, `trade`, `aggTrade` and `depthUpdate` frames (bare, or inside
//! the combined-stream envelope `{"stream":…,"data":{…}}`) are decoded
//! straight from the raw frame bytes into fixed-size, `Copy` structs; the
//! price levels of a depth update go into a caller-owned, pre-allocated
//! [`DepthBuf`]. Nothing here allocates, recurses or panics, whatever the
//! input: every malformed frame yields a [`FastError`] naming what was wrong
//! and where. Valid JSON of any other kind yields [`FastErrorKind::NotHot`],
//! so the caller can hand the frame to the typed (serde) decoder instead.

use crate::num::{NumError, Price, Qty};
use std::fmt;

/// Longest symbol accepted, in bytes (Binance spot symbols are ≤ 20).
pub const MAX_SYMBOL_LEN: usize = 20;
/// Most price levels per side in one depth update (Binance sends at most a
/// few hundred per 100 ms; 10 000 is far beyond anything observed).
pub const MAX_DEPTH_LEVELS_PER_SIDE: usize = 10_000;
/// Largest hot frame accepted, in bytes.
pub const MAX_HOT_FRAME_BYTES: usize = 1 << 20;
/// Deepest nesting of arrays/objects skipped inside an unknown field.
pub const MAX_SKIP_DEPTH: usize = 32;
/// Longest stream name kept from the envelope, in bytes.
pub const MAX_STREAM_NAME_LEN: usize = 64;

/// A symbol such as `BTCUSDT`, stored inline (no heap).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Symbol {
    len: u8,
    bytes: [u8; MAX_SYMBOL_LEN],
}

impl Symbol {
    /// Makes a symbol from ASCII letters and digits (1 to [`MAX_SYMBOL_LEN`] bytes).
    pub fn new(s: &[u8]) -> Option<Symbol> {
        if s.is_empty() || s.len() > MAX_SYMBOL_LEN || !s.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        let mut bytes = [0u8; MAX_SYMBOL_LEN];
        bytes[..s.len()].copy_from_slice(s);
        Some(Symbol {
            len: s.len() as u8,
            bytes,
        })
    }

    /// The symbol text.
    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics are ever stored.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", self.as_str())
    }
}

/// Best bid and ask (`<symbol>@bookTicker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookTicker {
    /// Order book update id (`u`).
    pub update_id: u64,
    /// Symbol (`s`).
    pub symbol: Symbol,
    /// Best bid price (`b`).
    pub bid: Price,
    /// Best bid quantity (`B`).
    pub bid_qty: Qty,
    /// Best ask price (`a`).
    pub ask: Price,
    /// Best ask quantity (`A`).
    pub ask_qty: Qty,
}

/// One trade (`<symbol>@trade`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trade {
    /// Event time, ms (`E`).
    pub event_time_ms: u64,
    /// Symbol (`s`).
    pub symbol: Symbol,
    /// Trade id (`t`).
    pub trade_id: u64,
    /// Price (`p`).
    pub price: Price,
    /// Quantity (`q`).
    pub qty: Qty,
    /// Trade time, ms (`T`).
    pub trade_time_ms: u64,
    /// Whether the buyer was the maker (`m`).
    pub buyer_is_maker: bool,
}

/// One aggregated trade (`<symbol>@aggTrade`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggTrade {
    /// Event time, ms (`E`).
    pub event_time_ms: u64,
    /// Symbol (`s`).
    pub symbol: Symbol,
    /// Aggregate trade id (`a`).
    pub agg_trade_id: u64,
    /// Price (`p`).
    pub price: Price,
    /// Quantity (`q`).
    pub qty: Qty,
    /// First trade id (`f`).
    pub first_trade_id: u64,
    /// Last trade id (`l`).
    pub last_trade_id: u64,
    /// Trade time, ms (`T`).
    pub trade_time_ms: u64,
    /// Whether the buyer was the maker (`m`).
    pub buyer_is_maker: bool,
}

/// The fixed part of a diff-depth event (`depthUpdate`); its levels are in
/// the [`DepthBuf`] passed to [`decode_hot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthUpdate {
    /// Event time, ms (`E`).
    pub event_time_ms: u64,
    /// Symbol (`s`).
    pub symbol: Symbol,
    /// First update id in the event (`U`).
    pub first_update_id: u64,
    /// Final update id in the event (`u`).
    pub final_update_id: u64,
}

/// One price level: a quantity of zero removes the level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Level {
    /// Price.
    pub price: Price,
    /// Quantity at that price.
    pub qty: Qty,
}

/// Reusable storage for the levels of one depth update.
#[derive(Debug, Clone)]
pub struct DepthBuf {
    /// Bid levels, in the order received.
    pub bids: Vec<Level>,
    /// Ask levels, in the order received.
    pub asks: Vec<Level>,
}

impl DepthBuf {
    /// Allocates room for [`MAX_DEPTH_LEVELS_PER_SIDE`] levels per side once,
    /// so decoding never allocates afterwards.
    pub fn new() -> DepthBuf {
        DepthBuf {
            bids: Vec::with_capacity(MAX_DEPTH_LEVELS_PER_SIDE),
            asks: Vec::with_capacity(MAX_DEPTH_LEVELS_PER_SIDE),
        }
    }

    fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }
}

impl Default for DepthBuf {
    fn default() -> Self {
        DepthBuf::new()
    }
}

/// A decoded hot event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HotEvent {
    /// `bookTicker`.
    BookTicker(BookTicker),
    /// `trade`.
    Trade(Trade),
    /// `aggTrade`.
    AggTrade(AggTrade),
    /// `depthUpdate`; levels are in the [`DepthBuf`].
    Depth(DepthUpdate),
}

impl HotEvent {
    /// The message kind as Binance names it.
    pub fn kind(&self) -> &'static str {
        match self {
            HotEvent::BookTicker(_) => "bookTicker",
            HotEvent::Trade(_) => "trade",
            HotEvent::AggTrade(_) => "aggTrade",
            HotEvent::Depth(_) => "depthUpdate",
        }
    }
}

/// What was wrong with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FastErrorKind {
    /// The frame is empty or only whitespace.
    Empty,
    /// Larger than [`MAX_HOT_FRAME_BYTES`].
    TooLarge,
    /// The frame ended in the middle of a value.
    UnexpectedEnd,
    /// A byte other than the one the JSON grammar requires here.
    Unexpected {
        /// The byte that was expected (or 0 when several were possible).
        expected: u8,
        /// The byte found.
        found: u8,
    },
    /// An invalid escape or control byte in a string.
    BadString,
    /// A malformed or out-of-range integer in the named field.
    BadInteger(&'static str),
    /// A malformed decimal in the named field.
    BadDecimal(&'static str, NumError),
    /// A field that must be a string/number/bool/array had another type.
    WrongType(&'static str),
    /// A required field is missing.
    Missing(&'static str),
    /// A symbol that is empty, too long or not alphanumeric.
    BadSymbol,
    /// More than [`MAX_DEPTH_LEVELS_PER_SIDE`] levels on one side.
    TooManyLevels,
    /// Nesting deeper than [`MAX_SKIP_DEPTH`] in a skipped value.
    TooDeep,
    /// Bytes after the end of the JSON value.
    TrailingBytes,
    /// Well-formed, but not one of the hot kinds: use the typed decoder.
    NotHot,
}

/// A decoding error with the byte offset where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FastError {
    /// What was wrong.
    pub kind: FastErrorKind,
    /// Byte offset in the frame.
    pub at: usize,
}

impl fmt::Display for FastError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use FastErrorKind::*;
        match self.kind {
            Empty => write!(f, "empty frame"),
            TooLarge => write!(f, "frame over {MAX_HOT_FRAME_BYTES} bytes"),
            UnexpectedEnd => write!(f, "frame truncated at byte {}", self.at),
            Unexpected { expected: 0, found } => {
                write!(f, "unexpected byte {:?} at {}", char::from(found), self.at)
            }
            Unexpected { expected, found } => write!(
                f,
                "expected {:?} but found {:?} at byte {}",
                char::from(expected),
                char::from(found),
                self.at
            ),
            BadString => write!(f, "invalid string at byte {}", self.at),
            BadInteger(field) => write!(f, "field {field:?}: invalid integer at byte {}", self.at),
            BadDecimal(field, e) => write!(f, "field {field:?}: {e} (byte {})", self.at),
            WrongType(field) => write!(f, "field {field:?} has the wrong type (byte {})", self.at),
            Missing(field) => write!(f, "required field {field:?} is missing"),
            BadSymbol => write!(f, "invalid symbol at byte {}", self.at),
            TooManyLevels => write!(
                f,
                "more than {MAX_DEPTH_LEVELS_PER_SIDE} levels on one side (byte {})",
                self.at
            ),
            TooDeep => write!(
                f,
                "nesting deeper than {MAX_SKIP_DEPTH} at byte {}",
                self.at
            ),
            TrailingBytes => write!(f, "bytes after the message at {}", self.at),
            NotHot => write!(f, "not a hot-stream message"),
        }
    }
}

impl std::error::Error for FastError {}

/// The raw value of one field, as a byte range of the frame.
#[derive(Clone, Copy, Default)]
struct Raw {
    start: u32,
    end: u32,
    ty: RawType,
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum RawType {
    #[default]
    Absent,
    /// String contents (between the quotes, no escapes).
    Str,
    /// A number token.
    Num,
    /// `true` or `false` (start points at the token).
    Bool,
    /// An array of levels, already decoded into the depth buffer.
    Levels,
    /// Anything else (null, object, array of other things, escaped string).
    Other,
}

/// The fields the hot kinds use, by their one-letter keys.
#[derive(Default)]
struct Fields {
    e: Raw,
    big_e: Raw,
    s: Raw,
    u: Raw,
    big_u: Raw,
    b: Raw,
    big_b: Raw,
    a: Raw,
    big_a: Raw,
    t: Raw,
    p: Raw,
    q: Raw,
    big_t: Raw,
    m: Raw,
    f: Raw,
    l: Raw,
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, FastError>;

impl<'a> Cursor<'a> {
    #[inline]
    fn err<T>(&self, kind: FastErrorKind) -> R<T> {
        Err(FastError { kind, at: self.pos })
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(&b) = self.buf.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&mut self) -> R<u8> {
        self.skip_ws();
        match self.buf.get(self.pos) {
            Some(&b) => Ok(b),
            None => self.err(FastErrorKind::UnexpectedEnd),
        }
    }

    #[inline]
    fn expect(&mut self, want: u8) -> R<()> {
        let b = self.peek()?;
        if b != want {
            return self.err(FastErrorKind::Unexpected {
                expected: want,
                found: b,
            });
        }
        self.pos += 1;
        Ok(())
    }

    /// Reads a string at the cursor (after whitespace). Returns the range of
    /// its contents and whether it held an escape.
    #[inline]
    fn string(&mut self) -> R<(usize, usize, bool)> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        let mut non_ascii = false;
        loop {
            let Some(&b) = self.buf.get(self.pos) else {
                return self.err(FastErrorKind::UnexpectedEnd);
            };
            match b {
                b'"' => {
                    let end = self.pos;
                    if non_ascii && std::str::from_utf8(&self.buf[start..end]).is_err() {
                        return Err(FastError {
                            kind: FastErrorKind::BadString,
                            at: start,
                        });
                    }
                    self.pos += 1;
                    return Ok((start, end, escaped));
                }
                0x80..=0xff => {
                    non_ascii = true;
                    self.pos += 1;
                }
                b'\\' => {
                    escaped = true;
                    let Some(&next) = self.buf.get(self.pos + 1) else {
                        self.pos += 1;
                        return self.err(FastErrorKind::UnexpectedEnd);
                    };
                    match next {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 2,
                        b'u' => {
                            let hex = self.buf.get(self.pos + 2..self.pos + 6);
                            match hex {
                                Some(h) if h.iter().all(u8::is_ascii_hexdigit) => self.pos += 6,
                                Some(_) => return self.err(FastErrorKind::BadString),
                                None => {
                                    self.pos = self.buf.len();
                                    return self.err(FastErrorKind::UnexpectedEnd);
                                }
                            }
                        }
                        _ => return self.err(FastErrorKind::BadString),
                    }
                }
                0..=0x1f => return self.err(FastErrorKind::BadString),
                _ => self.pos += 1,
            }
        }
    }

    /// Reads a number token, strictly by the JSON grammar:
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    #[inline]
    fn number(&mut self) -> R<(usize, usize)> {
        self.skip_ws();
        let start = self.pos;
        if self.buf.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.buf.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            Some(&found) => return self.err(FastErrorKind::Unexpected { expected: 0, found }),
            None => return self.err(FastErrorKind::UnexpectedEnd),
        }
        if self.buf.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            self.one_or_more_digits()?;
        }
        if matches!(self.buf.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.buf.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.one_or_more_digits()?;
        }
        Ok((start, self.pos))
    }

    #[inline]
    fn digits(&mut self) {
        while matches!(self.buf.get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn one_or_more_digits(&mut self) -> R<()> {
        let before = self.pos;
        self.digits();
        if self.pos == before {
            return match self.buf.get(self.pos) {
                Some(&found) => self.err(FastErrorKind::Unexpected { expected: 0, found }),
                None => self.err(FastErrorKind::UnexpectedEnd),
            };
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        match self.buf.get(self.pos..self.pos + word.len()) {
            Some(w) if w == word => {
                self.pos += word.len();
                Ok(())
            }
            Some(_) => {
                let found = self.buf.get(self.pos).copied().unwrap_or(0);
                self.err(FastErrorKind::Unexpected { expected: 0, found })
            }
            None => {
                self.pos = self.buf.len();
                self.err(FastErrorKind::UnexpectedEnd)
            }
        }
    }

    /// Skips any JSON value without recursion, nesting at most [`MAX_SKIP_DEPTH`].
    fn skip_value(&mut self) -> R<()> {
        // Bit i of `stack` set = the container at depth i is an object.
        let mut stack: u64 = 0;
        let mut depth = 0usize;
        loop {
            // A value.
            match self.peek()? {
                b'{' | b'[' => {
                    let is_obj = self.buf[self.pos] == b'{';
                    if depth == MAX_SKIP_DEPTH {
                        return self.err(FastErrorKind::TooDeep);
                    }
                    self.pos += 1;
                    if is_obj {
                        stack |= 1 << depth;
                    } else {
                        stack &= !(1 << depth);
                    }
                    depth += 1;
                    let close = if is_obj { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.pos += 1;
                        depth -= 1;
                    } else {
                        if is_obj {
                            self.string()?;
                            self.expect(b':')?;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.string()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => {
                    self.number()?;
                }
            }
            // After a value: close containers or move to the next element.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                let in_obj = stack & (1 << (depth - 1)) != 0;
                let close = if in_obj { b'}' } else { b']' };
                match self.peek()? {
                    b',' => {
                        self.pos += 1;
                        if in_obj {
                            self.string()?;
                            self.expect(b':')?;
                        }
                        break;
                    }
                    b if b == close => {
                        self.pos += 1;
                        depth -= 1;
                    }
                    found => {
                        return self.err(FastErrorKind::Unexpected {
                            expected: close,
                            found,
                        });
                    }
                }
            }
        }
    }

    /// Reads one field value into a [`Raw`]; arrays of `[price, qty]` pairs go
    /// straight into `levels`.
    #[inline]
    fn raw_value(&mut self, levels: Option<&mut Vec<Level>>, field: &'static str) -> R<Raw> {
        let b = self.peek()?;
        let start = self.pos;
        let raw = |s: usize, e: usize, ty| Raw {
            start: s as u32,
            end: e as u32,
            ty,
        };
        match b {
            b'"' => {
                let (s, e, escaped) = self.string()?;
                Ok(raw(
                    s,
                    e,
                    if escaped {
                        RawType::Other
                    } else {
                        RawType::Str
                    },
                ))
            }
            b'-' | b'0'..=b'9' => {
                let (s, e) = self.number()?;
                Ok(raw(s, e, RawType::Num))
            }
            b't' | b'f' => {
                self.literal(if b == b't' { b"true" } else { b"false" })?;
                Ok(raw(start, self.pos, RawType::Bool))
            }
            b'[' => match levels {
                Some(out) => {
                    self.levels(out, field)?;
                    Ok(raw(start, self.pos, RawType::Levels))
                }
                None => {
                    self.skip_value()?;
                    Ok(raw(start, self.pos, RawType::Other))
                }
            },
            _ => {
                self.skip_value()?;
                Ok(raw(start, self.pos, RawType::Other))
            }
        }
    }

    /// Reads `[["price","qty"],…]` into `out` (cleared first).
    fn levels(&mut self, out: &mut Vec<Level>, field: &'static str) -> R<()> {
        out.clear();
        self.expect(b'[')?;
        if self.peek()? == b']' {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if out.len() == MAX_DEPTH_LEVELS_PER_SIDE {
                return self.err(FastErrorKind::TooManyLevels);
            }
            self.expect(b'[')?;
            let price = self.decimal_str(field)?;
            self.expect(b',')?;
            let qty = self.decimal_str(field)?;
            self.expect(b']')?;
            out.push(Level {
                price: Price::from_units(price).map_err(|e| FastError {
                    kind: FastErrorKind::BadDecimal(field, e),
                    at: self.pos,
                })?,
                qty: Qty::from_units(qty).map_err(|e| FastError {
                    kind: FastErrorKind::BadDecimal(field, e),
                    at: self.pos,
                })?,
            });
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Ok(());
                }
                found => {
                    return self.err(FastErrorKind::Unexpected {
                        expected: b']',
                        found,
                    });
                }
            }
        }
    }

    #[inline]
    fn decimal_str(&mut self, field: &'static str) -> R<i64> {
        if self.peek()? != b'"' {
            return self.err(FastErrorKind::WrongType(field));
        }
        let (s, e, _) = self.string()?;
        crate::num::decimal::parse_i64(&self.buf[s..e], crate::num::Sign::NonNegative).map_err(
            |err| FastError {
                kind: FastErrorKind::BadDecimal(field, err),
                at: s,
            },
        )
    }
}

/// Decodes a hot-stream frame (bare payload or combined-stream envelope).
///
/// On success the event is returned; for [`HotEvent::Depth`] its levels are
/// in `depth`. `depth` is emptied first whatever the frame, so after any
/// other kind or a failure it holds no levels.
pub fn decode_hot(frame: &[u8], depth: &mut DepthBuf) -> Result<HotEvent, FastError> {
    decode_hot_with_stream(frame, depth).map(|(ev, _)| ev)
}

/// Like [`decode_hot`], also returning the byte range of the envelope's
/// stream name (`btcusdt@depth@100ms`) when the frame had one.
#[inline]
pub fn decode_hot_with_stream(
    frame: &[u8],
    depth: &mut DepthBuf,
) -> Result<(HotEvent, Option<(usize, usize)>), FastError> {
    if frame.len() > MAX_HOT_FRAME_BYTES {
        return Err(FastError {
            kind: FastErrorKind::TooLarge,
            at: 0,
        });
    }
    depth.clear();
    if let Some(hit) = super::hot_layout::decode(frame, depth) {
        return Ok(hit);
    }
    decode_hot_general(frame, depth)
}

/// The general scanner alone: accepts any key order and whitespace, and names
/// the problem in a malformed frame. [`decode_hot_with_stream`] tries Binance's
/// exact layout first and only comes here when that does not match; this
/// entry point exists so tests can check that both paths agree.
pub fn decode_hot_general(
    frame: &[u8],
    depth: &mut DepthBuf,
) -> Result<(HotEvent, Option<(usize, usize)>), FastError> {
    if frame.len() > MAX_HOT_FRAME_BYTES {
        return Err(FastError {
            kind: FastErrorKind::TooLarge,
            at: 0,
        });
    }
    depth.clear();
    let mut c = Cursor { buf: frame, pos: 0 };
    c.skip_ws();
    if c.pos == frame.len() {
        return Err(FastError {
            kind: FastErrorKind::Empty,
            at: 0,
        });
    }
    c.expect(b'{')?;
    let mut fields = Fields::default();
    let mut stream = None;
    // The first key tells an envelope ("stream"/"data") from a bare payload.
    let mut first = true;
    let mut saw_data = false;
    let mut enveloped = false;
    if c.peek()? != b'}' {
        loop {
            let (ks, ke, _) = c.string()?;
            c.expect(b':')?;
            let key = &frame[ks..ke];
            if first && (key == b"stream" || key == b"data") {
                enveloped = true;
            }
            first = false;
            if enveloped {
                match key {
                    b"stream" => {
                        let (s, e, escaped) = c.string()?;
                        if escaped || e - s > MAX_STREAM_NAME_LEN {
                            return Err(FastError {
                                kind: FastErrorKind::BadString,
                                at: s,
                            });
                        }
                        stream = Some((s, e));
                    }
                    b"data" => {
                        if c.peek()? != b'{' {
                            return c.err(FastErrorKind::WrongType("data"));
                        }
                        c.pos += 1;
                        payload_fields(&mut c, &mut fields, depth)?;
                        saw_data = true;
                    }
                    _ => c.skip_value()?,
                }
            } else {
                field(&mut c, key, &mut fields, depth)?;
            }
            match c.peek()? {
                b',' => c.pos += 1,
                b'}' => break,
                found => {
                    return c.err(FastErrorKind::Unexpected {
                        expected: b'}',
                        found,
                    })
                }
            }
        }
    }
    c.pos += 1;
    c.skip_ws();
    if c.pos != frame.len() {
        return c.err(FastErrorKind::TrailingBytes);
    }
    if enveloped && !saw_data {
        return Err(FastError {
            kind: FastErrorKind::Missing("data"),
            at: c.pos,
        });
    }
    let ev = build(frame, &fields)?;
    Ok((ev, stream))
}

/// Decodes a depth snapshot, the REST `GET /api/v3/depth` body or a partial
/// depth stream payload (`{"lastUpdateId":…,"bids":[…],"asks":[…]}`), into
/// `depth` without allocating; returns `lastUpdateId`. Levels beyond
/// [`MAX_DEPTH_LEVELS_PER_SIDE`] per side are an error (Binance serves at
/// most 5000).
pub fn decode_depth_snapshot(frame: &[u8], depth: &mut DepthBuf) -> Result<u64, FastError> {
    if frame.len() > MAX_HOT_FRAME_BYTES {
        return Err(FastError {
            kind: FastErrorKind::TooLarge,
            at: 0,
        });
    }
    depth.clear();
    let mut c = Cursor { buf: frame, pos: 0 };
    c.skip_ws();
    if c.pos == frame.len() {
        return Err(FastError {
            kind: FastErrorKind::Empty,
            at: 0,
        });
    }
    c.expect(b'{')?;
    let mut last = Raw::default();
    let (mut bids, mut asks) = (false, false);
    if c.peek()? != b'}' {
        loop {
            let (ks, ke, _) = c.string()?;
            c.expect(b':')?;
            match &frame[ks..ke] {
                b"lastUpdateId" => last = c.raw_value(None, "lastUpdateId")?,
                b"bids" => {
                    if c.peek()? != b'[' {
                        return c.err(FastErrorKind::WrongType("bids"));
                    }
                    c.levels(&mut depth.bids, "bids")?;
                    bids = true;
                }
                b"asks" => {
                    if c.peek()? != b'[' {
                        return c.err(FastErrorKind::WrongType("asks"));
                    }
                    c.levels(&mut depth.asks, "asks")?;
                    asks = true;
                }
                _ => c.skip_value()?,
            }
            match c.peek()? {
                b',' => c.pos += 1,
                b'}' => break,
                found => {
                    return c.err(FastErrorKind::Unexpected {
                        expected: b'}',
                        found,
                    })
                }
            }
        }
    }
    c.pos += 1;
    c.skip_ws();
    if c.pos != frame.len() {
        return c.err(FastErrorKind::TrailingBytes);
    }
    for (ok, name) in [(bids, "bids"), (asks, "asks")] {
        if !ok {
            return Err(FastError {
                kind: FastErrorKind::Missing(name),
                at: c.pos,
            });
        }
    }
    int(frame, last, "lastUpdateId")
}

/// Reads the members of a payload object whose `{` was consumed.
fn payload_fields(c: &mut Cursor<'_>, fields: &mut Fields, depth: &mut DepthBuf) -> R<()> {
    if c.peek()? == b'}' {
        c.pos += 1;
        return Ok(());
    }
    loop {
        let (ks, ke, _) = c.string()?;
        c.expect(b':')?;
        let key = &c.buf[ks..ke];
        field(c, key, fields, depth)?;
        match c.peek()? {
            b',' => c.pos += 1,
            b'}' => {
                c.pos += 1;
                return Ok(());
            }
            found => {
                return c.err(FastErrorKind::Unexpected {
                    expected: b'}',
                    found,
                })
            }
        }
    }
}

#[inline]
fn field(c: &mut Cursor<'_>, key: &[u8], f: &mut Fields, depth: &mut DepthBuf) -> R<()> {
    let slot = match key {
        [b'e'] => &mut f.e,
        [b'E'] => &mut f.big_e,
        [b's'] => &mut f.s,
        [b'u'] => &mut f.u,
        [b'U'] => &mut f.big_u,
        [b'b'] => {
            f.b = c.raw_value(Some(&mut depth.bids), "b")?;
            return Ok(());
        }
        [b'a'] => {
            f.a = c.raw_value(Some(&mut depth.asks), "a")?;
            return Ok(());
        }
        [b'B'] => &mut f.big_b,
        [b'A'] => &mut f.big_a,
        [b't'] => &mut f.t,
        [b'p'] => &mut f.p,
        [b'q'] => &mut f.q,
        [b'T'] => &mut f.big_t,
        [b'm'] => &mut f.m,
        [b'f'] => &mut f.f,
        [b'l'] => &mut f.l,
        _ => return c.skip_value(),
    };
    *slot = c.raw_value(None, "")?;
    Ok(())
}

fn build(buf: &[u8], f: &Fields) -> R<HotEvent> {
    let kind = match f.e.ty {
        RawType::Absent => {
            // bookTicker carries no event type: recognise it by its fields.
            if f.u.ty != RawType::Absent && f.big_b.ty != RawType::Absent {
                return Ok(HotEvent::BookTicker(BookTicker {
                    update_id: int(buf, f.u, "u")?,
                    symbol: symbol(buf, f.s)?,
                    bid: dec(buf, f.b, "b").map(Price::from_units_unchecked)?,
                    bid_qty: dec(buf, f.big_b, "B").map(Qty::from_units_unchecked)?,
                    ask: dec(buf, f.a, "a").map(Price::from_units_unchecked)?,
                    ask_qty: dec(buf, f.big_a, "A").map(Qty::from_units_unchecked)?,
                }));
            }
            return Err(FastError {
                kind: FastErrorKind::NotHot,
                at: 0,
            });
        }
        RawType::Str => &buf[f.e.start as usize..f.e.end as usize],
        _ => {
            return Err(FastError {
                kind: FastErrorKind::WrongType("e"),
                at: f.e.start as usize,
            })
        }
    };
    match kind {
        b"depthUpdate" => {
            for (raw, name) in [(f.b, "b"), (f.a, "a")] {
                if raw.ty != RawType::Levels {
                    let kind = if raw.ty == RawType::Absent {
                        FastErrorKind::Missing(name)
                    } else {
                        FastErrorKind::WrongType(name)
                    };
                    return Err(FastError {
                        kind,
                        at: raw.start as usize,
                    });
                }
            }
            Ok(HotEvent::Depth(DepthUpdate {
                event_time_ms: int(buf, f.big_e, "E")?,
                symbol: symbol(buf, f.s)?,
                first_update_id: int(buf, f.big_u, "U")?,
                final_update_id: int(buf, f.u, "u")?,
            }))
        }
        b"trade" => Ok(HotEvent::Trade(Trade {
            event_time_ms: int(buf, f.big_e, "E")?,
            symbol: symbol(buf, f.s)?,
            trade_id: int(buf, f.t, "t")?,
            price: dec(buf, f.p, "p").map(Price::from_units_unchecked)?,
            qty: dec(buf, f.q, "q").map(Qty::from_units_unchecked)?,
            trade_time_ms: int(buf, f.big_t, "T")?,
            buyer_is_maker: boolean(buf, f.m, "m")?,
        })),
        b"aggTrade" => Ok(HotEvent::AggTrade(AggTrade {
            event_time_ms: int(buf, f.big_e, "E")?,
            symbol: symbol(buf, f.s)?,
            agg_trade_id: int(buf, f.a, "a")?,
            price: dec(buf, f.p, "p").map(Price::from_units_unchecked)?,
            qty: dec(buf, f.q, "q").map(Qty::from_units_unchecked)?,
            first_trade_id: int(buf, f.f, "f")?,
            last_trade_id: int(buf, f.l, "l")?,
            trade_time_ms: int(buf, f.big_t, "T")?,
            buyer_is_maker: boolean(buf, f.m, "m")?,
        })),
        _ => Err(FastError {
            kind: FastErrorKind::NotHot,
            at: f.e.start as usize,
        }),
    }
}

fn present(raw: Raw, field: &'static str, want: RawType) -> R<()> {
    if raw.ty == want {
        return Ok(());
    }
    let kind = if raw.ty == RawType::Absent {
        FastErrorKind::Missing(field)
    } else {
        FastErrorKind::WrongType(field)
    };
    Err(FastError {
        kind,
        at: raw.start as usize,
    })
}

#[inline]
fn int(buf: &[u8], raw: Raw, field: &'static str) -> R<u64> {
    present(raw, field, RawType::Num)?;
    let bytes = &buf[raw.start as usize..raw.end as usize];
    let bad = FastError {
        kind: FastErrorKind::BadInteger(field),
        at: raw.start as usize,
    };
    if bytes.is_empty() || bytes.len() > 20 {
        return Err(bad);
    }
    if bytes.len() > 1 && bytes[0] == b'0' {
        return Err(bad);
    }
    let mut v: u64 = 0;
    for &b in bytes {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(bad);
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d)))
            .ok_or(bad)?;
    }
    Ok(v)
}

#[inline]
fn dec(buf: &[u8], raw: Raw, field: &'static str) -> R<i64> {
    present(raw, field, RawType::Str)?;
    let bytes = &buf[raw.start as usize..raw.end as usize];
    crate::num::decimal::parse_i64(bytes, crate::num::Sign::NonNegative).map_err(|e| FastError {
        kind: FastErrorKind::BadDecimal(field, e),
        at: raw.start as usize,
    })
}

#[inline]
fn boolean(buf: &[u8], raw: Raw, field: &'static str) -> R<bool> {
    present(raw, field, RawType::Bool)?;
    Ok(buf.get(raw.start as usize) == Some(&b't'))
}

#[inline]
fn symbol(buf: &[u8], raw: Raw) -> R<Symbol> {
    present(raw, "s", RawType::Str)?;
    Symbol::new(&buf[raw.start as usize..raw.end as usize]).ok_or(FastError {
        kind: FastErrorKind::BadSymbol,
        at: raw.start as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOK: &[u8] = br#"{"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#;
    const TRADE: &[u8] = br#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}"#;
    const DEPTH: &[u8] = br#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255308,"s":"BTCUSDT","U":50093239203,"u":50093239207,"b":[["55653.87000000","0.00000000"]],"a":[["61838.04000000","0.32332000"],["61844.30000000","0.40163000"]]}}"#;
    const AGG: &[u8] = br#"{"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}"#;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }
    fn q(s: &str) -> Qty {
        Qty::parse(s).unwrap()
    }

    #[test]
    fn book_ticker_in_envelope() {
        let mut d = DepthBuf::new();
        let (ev, stream) = decode_hot_with_stream(BOOK, &mut d).unwrap();
        let (s, e) = stream.unwrap();
        assert_eq!(&BOOK[s..e], b"btcusdt@bookTicker");
        let HotEvent::BookTicker(t) = ev else {
            panic!("{ev:?}")
        };
        assert_eq!(t.update_id, 50093239212);
        assert_eq!(t.symbol.as_str(), "BTCUSDT");
        assert_eq!((t.bid, t.bid_qty), (p("61837.63"), q("3.78826")));
        assert_eq!((t.ask, t.ask_qty), (p("61837.64"), q("1.54698")));
    }

    #[test]
    fn trade_and_agg_trade() {
        let mut d = DepthBuf::new();
        let HotEvent::Trade(t) = decode_hot(TRADE, &mut d).unwrap() else {
            panic!()
        };
        assert_eq!(
            (t.trade_id, t.trade_time_ms, t.buyer_is_maker),
            (3735683259, 1723161255342, true)
        );
        assert_eq!(t.price, p("61837.63"));
        let HotEvent::AggTrade(a) = decode_hot(AGG, &mut d).unwrap() else {
            panic!()
        };
        assert_eq!(
            (a.agg_trade_id, a.first_trade_id, a.last_trade_id),
            (12345, 100, 105)
        );
        assert_eq!((a.price, a.qty), (p("0.001"), q("100")));
        assert_eq!(a.symbol.as_str(), "BNBBTC");
    }

    #[test]
    fn depth_levels_into_buffer() {
        let mut d = DepthBuf::new();
        let HotEvent::Depth(u) = decode_hot(DEPTH, &mut d).unwrap() else {
            panic!()
        };
        assert_eq!(
            (u.first_update_id, u.final_update_id),
            (50093239203, 50093239207)
        );
        assert_eq!(
            d.bids,
            vec![Level {
                price: p("55653.87"),
                qty: Qty::ZERO
            }]
        );
        assert_eq!(d.asks.len(), 2);
        assert_eq!(
            d.asks[1],
            Level {
                price: p("61844.30"),
                qty: q("0.40163")
            }
        );
    }

    #[test]
    fn other_kinds_are_not_hot() {
        let mut d = DepthBuf::new();
        for frame in [
            &br#"{"e":"kline","E":1,"s":"BNBBTC","k":{"t":1,"x":false}}"#[..],
            br#"{"result":null,"id":1}"#,
            br#"{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}"#,
        ] {
            let e = decode_hot(frame, &mut d).unwrap_err();
            assert_eq!(
                e.kind,
                FastErrorKind::NotHot,
                "{}",
                String::from_utf8_lossy(frame)
            );
        }
    }

    #[test]
    fn malformed_frames_name_the_problem() {
        let mut d = DepthBuf::new();
        let cut = &TRADE[..TRADE.len() - 20];
        assert_eq!(
            decode_hot(cut, &mut d).unwrap_err().kind,
            FastErrorKind::UnexpectedEnd
        );
        let e = decode_hot(
            br#"{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1e-5","q":"1","T":1,"m":true}"#,
            &mut d,
        )
        .unwrap_err();
        assert_eq!(e.kind, FastErrorKind::BadDecimal("p", NumError::Exponent));
        assert!(e.to_string().contains("\"p\""), "{e}");
        let e = decode_hot(
            br#"{"e":"trade","E":1,"s":"BTCUSDT","p":"1","q":"1","T":1,"m":true}"#,
            &mut d,
        )
        .unwrap_err();
        assert_eq!(e.kind, FastErrorKind::Missing("t"));
        let e = decode_hot(
            br#"{"e":"trade","E":"1","s":"BTCUSDT","t":1,"p":"1","q":"1","T":1,"m":true}"#,
            &mut d,
        )
        .unwrap_err();
        assert_eq!(e.kind, FastErrorKind::WrongType("E"));
        let e = decode_hot(
            br#"{"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"1","A":"-1"}"#,
            &mut d,
        )
        .unwrap_err();
        assert_eq!(e.kind, FastErrorKind::BadDecimal("A", NumError::Negative));
        let e = decode_hot(
            br#"{"u":1,"s":"BTC USDT","b":"1","B":"1","a":"1","A":"1"}"#,
            &mut d,
        )
        .unwrap_err();
        assert_eq!(e.kind, FastErrorKind::BadSymbol);
        let e = decode_hot(br#"{"u":1} x"#, &mut d).unwrap_err();
        assert_eq!(e.kind, FastErrorKind::TrailingBytes);
        assert_eq!(
            decode_hot(b"  ", &mut d).unwrap_err().kind,
            FastErrorKind::Empty
        );
        let deep = format!(r#"{{"x":{}1{}}}"#, "[".repeat(40), "]".repeat(40));
        assert_eq!(
            decode_hot(deep.as_bytes(), &mut d).unwrap_err().kind,
            FastErrorKind::TooDeep
        );
        let e = decode_hot(br#"{"stream":"x"}"#, &mut d).unwrap_err();
        assert_eq!(e.kind, FastErrorKind::Missing("data"));
    }

    #[test]
    fn unknown_fields_of_any_shape_are_skipped() {
        let mut d = DepthBuf::new();
        let frame = br#"{"zz":{"a":[1,2,{"b":"x\"y\u00e9"}],"c":null},"u":7,"s":"ETHBTC","b":"1","B":"2","a":"3","A":"4","w":[true,false]}"#;
        let HotEvent::BookTicker(t) = decode_hot(frame, &mut d).unwrap() else {
            panic!()
        };
        assert_eq!((t.update_id, t.ask_qty), (7, q("4")));
    }

    #[test]
    fn long_decimals_are_refused_not_overflowed() {
        // Found by the hot_decode fuzz target (fuzz/regressions/): a 19th
        // digit used to overflow before the digit limit was checked.
        let mut d = DepthBuf::new();
        let frame = br#"{"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"99999999999.99999999","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#;
        let e = decode_hot(frame, &mut d).unwrap_err();
        assert_eq!(e.kind, FastErrorKind::BadDecimal("b", NumError::Overflow));
        let frame = br#"{"u":1,"s":"BTCUSDT","b":"9999999999999999999","B":"1","a":"1","A":"1"}"#;
        let e = decode_hot(frame, &mut d).unwrap_err();
        assert_eq!(e.kind, FastErrorKind::BadDecimal("b", NumError::Overflow));
        let frame = br#"{"u":1,"s":"BTCUSDT","b":"92233720368.54775807","B":"1","a":"1","A":"1"}"#;
        let HotEvent::BookTicker(t) = decode_hot(frame, &mut d).unwrap() else {
            panic!()
        };
        assert_eq!(t.bid, Price::MAX);
    }

    #[test]
    fn depth_snapshot_into_buffer() {
        let mut d = DepthBuf::new();
        let body = br#"{"lastUpdateId":1027024,"E":1,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"],["5","1"]]}"#;
        assert_eq!(decode_depth_snapshot(body, &mut d), Ok(1027024));
        assert_eq!(
            d.bids,
            vec![Level {
                price: p("4"),
                qty: q("431")
            }]
        );
        assert_eq!(
            d.asks[1],
            Level {
                price: p("5"),
                qty: q("1")
            }
        );
        let e = decode_depth_snapshot(br#"{"lastUpdateId":1,"bids":[]}"#, &mut d).unwrap_err();
        assert_eq!(e.kind, FastErrorKind::Missing("asks"));
        let e = decode_depth_snapshot(br#"{"bids":[],"asks":[]}"#, &mut d).unwrap_err();
        assert_eq!(e.kind, FastErrorKind::Missing("lastUpdateId"));
        let e = decode_depth_snapshot(br#"{"lastUpdateId":1,"bids":[["1"]],"asks":[]}"#, &mut d)
            .unwrap_err();
        assert_eq!(
            e.kind,
            FastErrorKind::Unexpected {
                expected: b',',
                found: b']'
            }
        );
    }

    #[test]
    fn too_many_levels_is_an_error() {
        let mut s = String::from(r#"{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":["#);
        for i in 0..=MAX_DEPTH_LEVELS_PER_SIDE {
            if i > 0 {
                s.push(',');
            }
            s.push_str(r#"["1","1"]"#);
        }
        s.push_str(r#"],"a":[]}"#);
        let mut d = DepthBuf::new();
        assert_eq!(
            decode_hot(s.as_bytes(), &mut d).unwrap_err().kind,
            FastErrorKind::TooManyLevels
        );
    }
}
