//! The on-disk layout of a native capture file (`.kcap`), shared by the
//! [writer](super::writer) and the [reader](super::reader).
//!
//! ```text
//! file   = file header, chunk*
//! header = magic "KCAP\r\n\x1a\n" (8) | version u16 | reserved u16 | info_len u32
//!          | created_unix_ns u64 | crc32 u32 (of the 24 bytes before it and the info)
//!          | info bytes (UTF-8, info_len ≤ MAX_INFO_BYTES)
//! chunk  = magic "KCHK" (4) | body_len u32 | record_count u32 | base_recv_ns u64
//!          | crc32 u32 (of the 20 header bytes before it and the body) | body
//! body   = record*  (exactly record_count of them, filling body_len bytes)
//! record = RecordHeader (bincode 2, standard config: varints) | payload bytes
//! ```
//!
//! All fixed-width integers are little-endian. A record's receive time is
//! stored as a signed delta from its chunk's `base_recv_ns` (the first
//! record's time), so it costs one or two varint bytes instead of nine.
//! Every size is bounded by the named constants below.

use bincode::{Decode, Encode};

/// The first 8 bytes of every capture file. The `\r\n\x1a\n` tail (as in PNG)
/// catches files mangled by text-mode line-ending conversion.
pub const FILE_MAGIC: [u8; 8] = *b"KCAP\r\n\x1a\n";
/// The format version this code writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Size of the fixed part of the file header, in bytes (before the info bytes).
pub const FILE_HEADER_FIXED_BYTES: usize = 28;
/// Longest creation-info text in the file header, in bytes.
pub const MAX_INFO_BYTES: usize = 4096;

/// The first 4 bytes of every chunk.
pub const CHUNK_MAGIC: [u8; 4] = *b"KCHK";
/// Size of a chunk header, in bytes.
pub const CHUNK_HEADER_BYTES: usize = 24;
/// Largest chunk body accepted by the reader and produced by the writer, in
/// bytes (16 MiB: one record of [`MAX_RECORD_PAYLOAD_BYTES`] plus headers fits).
pub const MAX_CHUNK_BODY_BYTES: usize = 16 << 20;
/// Chunk body size at which the writer flushes by default, in bytes (256 KiB:
/// about a thousand market frames; small enough that a crash loses little).
pub const DEFAULT_CHUNK_BODY_BYTES: usize = 256 << 10;
/// Largest payload of one record, in bytes (8 MiB: a 5000-level REST depth
/// snapshot is about 250 KiB).
pub const MAX_RECORD_PAYLOAD_BYTES: usize = 8 << 20;
/// Largest encoded [`RecordHeader`], in bytes (varints: 9 + 3 + 3 + 1 + 5).
pub const MAX_RECORD_HEADER_BYTES: usize = 21;
/// Smallest encoded record, in bytes (a header of one-byte varints, empty payload).
pub const MIN_RECORD_BYTES: usize = 5;
/// Most records in one chunk (every record at least [`MIN_RECORD_BYTES`]).
pub const MAX_CHUNK_RECORDS: usize = MAX_CHUNK_BODY_BYTES / MIN_RECORD_BYTES;
/// The symbol id of records that belong to no symbol (connect markers,
/// subscription replies). Never defined by a `Symbol` record.
pub const NO_SYMBOL: u16 = u16::MAX;
/// Longest symbol name in a `Symbol` record, in bytes (as [`crate::binance::fast::MAX_SYMBOL_LEN`]).
pub const MAX_SYMBOL_NAME_BYTES: usize = crate::binance::fast::MAX_SYMBOL_LEN;

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum RecordKind {
    /// A WebSocket text frame, byte for byte as received.
    Frame = 0,
    /// A REST depth snapshot body, byte for byte as received.
    Snapshot = 1,
    /// Defines a symbol id: the record's `symbol` is the id, the payload its
    /// upper-case name (ASCII letters and digits). Written before the first
    /// record that uses the id.
    Symbol = 2,
    /// A connection was opened; the payload may hold the URL.
    Connect = 3,
    /// A connection was closed; the payload may hold the URL or a reason.
    Disconnect = 4,
}

impl RecordKind {
    /// Every kind, in code order.
    pub const ALL: [RecordKind; 5] = [
        RecordKind::Frame,
        RecordKind::Snapshot,
        RecordKind::Symbol,
        RecordKind::Connect,
        RecordKind::Disconnect,
    ];

    /// The kind with this on-disk code, if any.
    #[inline]
    pub fn from_code(code: u8) -> Option<RecordKind> {
        Some(match code {
            0 => RecordKind::Frame,
            1 => RecordKind::Snapshot,
            2 => RecordKind::Symbol,
            3 => RecordKind::Connect,
            4 => RecordKind::Disconnect,
            _ => return None,
        })
    }

    /// The on-disk code.
    #[inline]
    pub fn code(self) -> u8 {
        self as u8
    }

    /// A lower-case name (`frame`, `snapshot`, …) for reports.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Frame => "frame",
            RecordKind::Snapshot => "snapshot",
            RecordKind::Symbol => "symbol",
            RecordKind::Connect => "connect",
            RecordKind::Disconnect => "disconnect",
        }
    }
}

/// One record, borrowed: from a memory-mapped file when read, from the
/// caller when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// Local receive time, nanoseconds since the Unix epoch.
    pub recv_ns: u64,
    /// Connection / stream tag chosen by the recorder (0-based connection number
    /// for the importers).
    pub conn: u16,
    /// Symbol id ([`NO_SYMBOL`] when none); for a `Symbol` record, the id it defines.
    pub symbol: u16,
    /// What the payload is.
    pub kind: RecordKind,
    /// The bytes exactly as received (frame, body, symbol name or URL).
    pub payload: &'a [u8],
}

/// The bincode-encoded part of a record that precedes its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct RecordHeader {
    /// `recv_ns - chunk base_recv_ns`, as a wrapping signed difference.
    pub recv_delta_ns: i64,
    /// Connection / stream tag.
    pub conn: u16,
    /// Symbol id.
    pub symbol: u16,
    /// [`RecordKind::code`].
    pub kind: u8,
    /// Payload length in bytes (≤ [`MAX_RECORD_PAYLOAD_BYTES`]).
    pub payload_len: u32,
}

impl RecordHeader {
    /// Decodes a header exactly as `bincode::decode_from_slice(bytes,
    /// BINCODE_CONFIG)` does (the same values, bytes used and refusals), by
    /// hand: bincode's generic decoder costs about 6 % of a native replay.
    /// `None` where bincode returns an error. `tests::hand_decoder_agrees_with_bincode`
    /// checks the two against each other on arbitrary bytes.
    #[inline]
    pub fn decode_fast(bytes: &[u8]) -> Option<(RecordHeader, usize)> {
        let mut at = 0usize;
        let delta = varint(bytes, &mut at, 8)?;
        let conn = u16::try_from(varint(bytes, &mut at, 2)?).ok()?;
        let symbol = u16::try_from(varint(bytes, &mut at, 2)?).ok()?;
        let kind = *bytes.get(at)?;
        at += 1;
        let payload_len = u32::try_from(varint(bytes, &mut at, 4)?).ok()?;
        // Zig-zag: 0, -1, 1, -2, … ↔ 0, 1, 2, 3, …
        let recv_delta_ns = ((delta >> 1) as i64) ^ -((delta & 1) as i64);
        Some((
            RecordHeader {
                recv_delta_ns,
                conn,
                symbol,
                kind,
                payload_len,
            },
            at,
        ))
    }
}

/// bincode's varint: one byte below 251, else a marker (251: u16, 252: u32,
/// 253: u64 follow, little-endian) allowed only up to the field's width in
/// bytes.
#[inline(always)]
fn varint(b: &[u8], at: &mut usize, width: usize) -> Option<u64> {
    let tag = *b.get(*at)?;
    *at += 1;
    let n = match tag {
        0..=250 => return Some(u64::from(tag)),
        251 => 2,
        252 => 4,
        253 => 8,
        _ => return None,
    };
    if n > width {
        return None;
    }
    let raw = b.get(*at..*at + n)?;
    *at += n;
    let mut v = [0u8; 8];
    v[..n].copy_from_slice(raw);
    Some(u64::from_le_bytes(v))
}

/// The bincode configuration of record headers (standard: little-endian varints).
pub const BINCODE_CONFIG: bincode::config::Configuration = bincode::config::standard();

/// The file header, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeader {
    /// Format version (== [`FORMAT_VERSION`]).
    pub version: u16,
    /// When the writer created the file, nanoseconds since the Unix epoch.
    pub created_unix_ns: u64,
    /// Free text naming the creator (program, version, command, inputs).
    pub info: String,
    /// Header size in bytes: the offset of the first chunk.
    pub len: usize,
}

/// Encodes the file header (fixed part, CRC, info). `info` is cut at
/// [`MAX_INFO_BYTES`] on a character boundary.
pub fn encode_file_header(created_unix_ns: u64, info: &str) -> Vec<u8> {
    let mut end = info.len().min(MAX_INFO_BYTES);
    while !info.is_char_boundary(end) {
        end -= 1;
    }
    let info = &info.as_bytes()[..end];
    let mut out = Vec::with_capacity(FILE_HEADER_FIXED_BYTES + info.len());
    out.extend_from_slice(&FILE_MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(info.len() as u32).to_le_bytes());
    out.extend_from_slice(&created_unix_ns.to_le_bytes());
    let mut h = crc32fast::Hasher::new();
    h.update(&out);
    h.update(info);
    out.extend_from_slice(&h.finalize().to_le_bytes());
    out.extend_from_slice(info);
    out
}

/// The fields of a chunk header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkHeader {
    /// Body length in bytes.
    pub body_len: u32,
    /// Records in the body.
    pub record_count: u32,
    /// Receive time the record deltas are relative to.
    pub base_recv_ns: u64,
    /// CRC32 of the 20 header bytes before it and the body.
    pub crc: u32,
}

impl ChunkHeader {
    /// The 24 header bytes, the CRC computed over `body`.
    pub fn encode(body_len: u32, record_count: u32, base_recv_ns: u64, body: &[u8]) -> [u8; 24] {
        let mut out = [0u8; CHUNK_HEADER_BYTES];
        out[0..4].copy_from_slice(&CHUNK_MAGIC);
        out[4..8].copy_from_slice(&body_len.to_le_bytes());
        out[8..12].copy_from_slice(&record_count.to_le_bytes());
        out[12..20].copy_from_slice(&base_recv_ns.to_le_bytes());
        let crc = chunk_crc(&out[..20], body);
        out[20..24].copy_from_slice(&crc.to_le_bytes());
        out
    }
}

/// CRC32 of a chunk: its first 20 header bytes, then its body.
pub fn chunk_crc(header20: &[u8], body: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(header20);
    h.update(body);
    h.finalize()
}

/// Reads a little-endian `u16` at `at` (caller checked the bounds).
#[inline]
pub(crate) fn le_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// Reads a little-endian `u32` at `at` (caller checked the bounds).
#[inline]
pub(crate) fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Reads a little-endian `u64` at `at` (caller checked the bounds).
#[inline]
pub(crate) fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// True when `name` is a valid symbol name for a `Symbol` record: 1 to
/// [`MAX_SYMBOL_NAME_BYTES`] upper-case ASCII letters and digits.
pub fn valid_symbol_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= MAX_SYMBOL_NAME_BYTES
        && name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}
