//! Zero-copy reader of native capture files.
//!
//! [`CaptureReader::open`] memory-maps the file and checks its header;
//! [`CaptureReader::records`] iterates the records as [`RecordRef`]s that
//! borrow their payloads straight from the map. Each chunk's CRC32 is checked
//! when the iterator enters it, so no byte of a torn or corrupt chunk is ever
//! handed out. Iteration stops at the first chunk (or record) that is not
//! sound; [`Records::tail`] then says at which byte offset and why, and every
//! record before that offset has been yielded. Nothing here panics on any
//! file content.

use super::format::{
    chunk_crc, le_u16, le_u32, le_u64, valid_symbol_name, FileHeader, RecordHeader, RecordKind,
    RecordRef, BINCODE_CONFIG, CHUNK_HEADER_BYTES, CHUNK_MAGIC, FILE_HEADER_FIXED_BYTES,
    FILE_MAGIC, FORMAT_VERSION, MAX_CHUNK_BODY_BYTES, MAX_CHUNK_RECORDS, MAX_INFO_BYTES,
    MAX_RECORD_PAYLOAD_BYTES, MIN_RECORD_BYTES,
};
use memmap2::Mmap;
use std::fmt;
use std::fs::File;
use std::io;
use std::path::Path;

/// Why a capture file cannot be opened at all.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file cannot be opened, inspected or mapped.
    #[error("cannot read the capture file: {0}")]
    Io(#[from] io::Error),
    /// The file is shorter than its header.
    #[error(
        "file is {len} bytes, shorter than its {need}-byte header: not a capture file, or cut"
    )]
    TooShort {
        /// File length.
        len: u64,
        /// Header bytes needed.
        need: u64,
    },
    /// The file does not start with [`FILE_MAGIC`].
    #[error(
        "not a kairos capture file (magic bytes {found:02x?}, expected \"KCAP\\r\\n\\x1a\\n\")"
    )]
    BadMagic {
        /// The first 8 bytes.
        found: [u8; 8],
    },
    /// The file was written by another format version.
    #[error(
        "capture format version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedVersion {
        /// Version in the file.
        found: u16,
        /// [`FORMAT_VERSION`].
        supported: u16,
    },
    /// The header's info length is beyond [`MAX_INFO_BYTES`].
    #[error("header info of {len} bytes exceeds the limit of {max} bytes")]
    InfoTooLong {
        /// Length in the header.
        len: u32,
        /// [`MAX_INFO_BYTES`].
        max: usize,
    },
    /// The header's CRC does not match.
    #[error("file header CRC mismatch (stored {stored:#010x}, computed {computed:#010x})")]
    HeaderCrc {
        /// CRC stored in the file.
        stored: u32,
        /// CRC of the bytes read.
        computed: u32,
    },
}

/// Why iteration stopped before the end of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailReason {
    /// The file ends inside a chunk header or body (a torn write).
    Truncated {
        /// What was being read (`chunk header` or `chunk body`).
        what: &'static str,
        /// Bytes it needs.
        need: u64,
        /// Bytes left in the file.
        have: u64,
    },
    /// No chunk magic where a chunk should start.
    BadChunkMagic {
        /// The 4 bytes found.
        found: [u8; 4],
    },
    /// The chunk header claims an impossible size or record count.
    BadChunkHeader {
        /// Body length in the header.
        body_len: u32,
        /// Record count in the header.
        record_count: u32,
    },
    /// The chunk's CRC32 does not match its bytes.
    BadCrc {
        /// CRC stored in the chunk header.
        stored: u32,
        /// CRC of the bytes read.
        computed: u32,
    },
    /// A record inside a chunk whose CRC matched is malformed (a writer bug).
    BadRecord {
        /// Index of the record in its chunk.
        index: u32,
        /// What is wrong.
        what: String,
    },
}

impl fmt::Display for TailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TailReason::Truncated { what, need, have } => {
                write!(
                    f,
                    "file ends inside a {what}: {need} bytes needed, {have} left (torn write)"
                )
            }
            TailReason::BadChunkMagic { found } => {
                write!(f, "no chunk magic \"KCHK\" (found {found:02x?})")
            }
            TailReason::BadChunkHeader {
                body_len,
                record_count,
            } => write!(
                f,
                "impossible chunk header: body {body_len} bytes (max {MAX_CHUNK_BODY_BYTES}), \
                 {record_count} records"
            ),
            TailReason::BadCrc { stored, computed } => write!(
                f,
                "chunk CRC mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            TailReason::BadRecord { index, what } => write!(f, "record {index} of chunk: {what}"),
        }
    }
}

/// Where and why the sound prefix of a capture file ends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("capture is torn or corrupt at byte {offset} (chunk {chunk}): {reason}")]
pub struct TailError {
    /// Byte offset in the file of the first byte not accepted (the start of
    /// the bad chunk, or of the bad record inside a chunk).
    pub offset: u64,
    /// 0-based index of the chunk it is in.
    pub chunk: u64,
    /// What is wrong.
    pub reason: TailReason,
}

enum Data {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

/// An open capture file (memory-mapped, or bytes in memory).
pub struct CaptureReader {
    data: Data,
    header: FileHeader,
}

impl fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureReader")
            .field("len", &self.bytes().len())
            .field("header", &self.header)
            .finish()
    }
}

impl CaptureReader {
    /// Memory-maps `path` and checks its file header.
    ///
    /// The file must not be truncated or rewritten by anyone while the reader
    /// lives (see the SAFETY note in the code): a capture being replayed is
    /// read-only by convention. A file still being written is fine to open:
    /// the map covers the length at open time, and a half-written last chunk
    /// is reported as a torn tail.
    pub fn open(path: &Path) -> Result<CaptureReader, OpenError> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len < FILE_HEADER_FIXED_BYTES as u64 {
            return Err(OpenError::TooShort {
                len,
                need: FILE_HEADER_FIXED_BYTES as u64,
            });
        }
        // SAFETY: the map is read-only and we never create a mutable view, so
        // Rust aliasing rules hold as long as no other process changes the
        // file. That is the one caveat: if the file is truncated while
        // mapped, touching the lost pages raises SIGBUS (the process dies,
        // it does not read garbage); if its bytes are rewritten in place, the
        // records already handed out may change under us. Captures are
        // written once and replayed read-only, so neither is expected; every
        // byte read is still bounds-checked and CRC-checked.
        #[allow(unsafe_code)]
        let map = unsafe { Mmap::map(&file)? };
        let header = parse_header(&map)?;
        Ok(CaptureReader {
            data: Data::Mapped(map),
            header,
        })
    }

    /// Reads a capture held in memory (tests, or a file read whole).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<CaptureReader, OpenError> {
        let header = parse_header(&bytes)?;
        Ok(CaptureReader {
            data: Data::Owned(bytes),
            header,
        })
    }

    /// The file header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        match &self.data {
            Data::Mapped(m) => m,
            Data::Owned(v) => v,
        }
    }

    /// An iterator over every record of the sound prefix, from the first chunk.
    pub fn records(&self) -> Records<'_> {
        Records::new(self.bytes(), self.header.len)
    }

    /// Walks the whole file: records per kind, chunks, and the tail error.
    pub fn scan(&self) -> ScanSummary {
        let mut it = self.records();
        let mut s = ScanSummary::default();
        for r in it.by_ref() {
            s.records_by_kind[usize::from(r.kind.code())] += 1;
        }
        s.chunks = it.chunks();
        s.sound_bytes = it.offset();
        s.tail = it.tail().cloned();
        s
    }
}

/// What [`CaptureReader::scan`] found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScanSummary {
    /// Records of the sound prefix, by [`RecordKind::code`].
    pub records_by_kind: [u64; 5],
    /// Chunks entered with a good CRC.
    pub chunks: u64,
    /// Length of the sound prefix in bytes (the file length when `tail` is `None`).
    pub sound_bytes: u64,
    /// Why the sound prefix ends before the end of the file, if it does.
    pub tail: Option<TailError>,
}

/// Parses and checks the file header at the start of `bytes`.
pub fn parse_header(bytes: &[u8]) -> Result<FileHeader, OpenError> {
    let too_short = |need: usize| OpenError::TooShort {
        len: bytes.len() as u64,
        need: need as u64,
    };
    if bytes.len() < FILE_HEADER_FIXED_BYTES {
        return Err(too_short(FILE_HEADER_FIXED_BYTES));
    }
    let mut magic = [0u8; 8];
    magic.copy_from_slice(&bytes[..8]);
    if magic != FILE_MAGIC {
        return Err(OpenError::BadMagic { found: magic });
    }
    let version = le_u16(bytes, 8);
    if version != FORMAT_VERSION {
        return Err(OpenError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let info_len = le_u32(bytes, 12);
    if info_len as usize > MAX_INFO_BYTES {
        return Err(OpenError::InfoTooLong {
            len: info_len,
            max: MAX_INFO_BYTES,
        });
    }
    let created_unix_ns = le_u64(bytes, 16);
    let stored = le_u32(bytes, 24);
    let end = FILE_HEADER_FIXED_BYTES + info_len as usize;
    if bytes.len() < end {
        return Err(too_short(end));
    }
    let info = &bytes[FILE_HEADER_FIXED_BYTES..end];
    let computed = chunk_crc(&bytes[..24], info);
    if computed != stored {
        return Err(OpenError::HeaderCrc { stored, computed });
    }
    Ok(FileHeader {
        version,
        created_unix_ns,
        info: String::from_utf8_lossy(info).into_owned(),
        len: end,
    })
}

/// Iterator over the records of a capture; see the [module](self) docs.
///
/// After it returns `None`, [`Records::tail`] says whether it stopped at the
/// end of the file (`None`) or at a torn or corrupt tail.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    data: &'a [u8],
    /// Offset of the next record, or of the next chunk header when `left == 0`.
    pos: usize,
    /// End of the current chunk body.
    chunk_end: usize,
    /// Records left in the current chunk.
    left: u32,
    /// Index in its chunk of the next record.
    index: u32,
    base_recv_ns: u64,
    chunks: u64,
    done: bool,
    tail: Option<TailError>,
    symbols: Vec<Option<&'a [u8]>>,
    /// Chunks ending at or before this offset were already CRC-checked.
    verified_upto: usize,
}

impl<'a> Records<'a> {
    /// Iterates the chunks of `data` starting at byte `start` (the file header
    /// length: [`FileHeader::len`]).
    pub fn new(data: &'a [u8], start: usize) -> Records<'a> {
        Records {
            data,
            pos: start.min(data.len()),
            chunk_end: start.min(data.len()),
            left: 0,
            index: 0,
            base_recv_ns: 0,
            chunks: 0,
            done: false,
            tail: None,
            symbols: Vec::new(),
            verified_upto: 0,
        }
    }

    /// Skips the CRC of chunks that end within the first `verified_upto`
    /// bytes: pass the `sound_bytes` of an earlier [`CaptureReader::scan`] of
    /// the same (read-only) map, so a file replayed several times is checked
    /// once. Framing is still checked on every chunk.
    pub fn trusting(mut self, verified_upto: u64) -> Records<'a> {
        self.verified_upto = usize::try_from(verified_upto).unwrap_or(usize::MAX);
        self
    }

    /// Why iteration stopped early, once it has stopped; `None` while it runs
    /// or when it reached the end of the file cleanly.
    pub fn tail(&self) -> Option<&TailError> {
        self.tail.as_ref()
    }

    /// Byte offset of the next record or chunk: after a stop, the length of
    /// the sound prefix.
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }

    /// Chunks entered so far (CRC checked).
    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    /// The name of symbol `id` as defined by a `Symbol` record yielded so far.
    pub fn symbol_name(&self, id: u16) -> Option<&'a str> {
        let name = (*self.symbols.get(usize::from(id))?)?;
        std::str::from_utf8(name).ok()
    }

    fn stop(&mut self, offset: usize, reason: TailReason) -> Option<RecordRef<'a>> {
        self.done = true;
        self.pos = offset;
        let chunk = if self.left > 0 || offset < self.chunk_end {
            self.chunks.saturating_sub(1)
        } else {
            self.chunks
        };
        self.tail = Some(TailError {
            offset: offset as u64,
            chunk,
            reason,
        });
        None
    }

    /// Enters the chunk at `self.pos`; `false` at the end of the data or on error.
    fn enter_chunk(&mut self) -> bool {
        let at = self.pos;
        let have = self.data.len() - at;
        if have == 0 {
            self.done = true;
            return false;
        }
        if have < CHUNK_HEADER_BYTES {
            self.stop(
                at,
                TailReason::Truncated {
                    what: "chunk header",
                    need: CHUNK_HEADER_BYTES as u64,
                    have: have as u64,
                },
            );
            return false;
        }
        let h = &self.data[at..at + CHUNK_HEADER_BYTES];
        let mut magic = [0u8; 4];
        magic.copy_from_slice(&h[..4]);
        if magic != CHUNK_MAGIC {
            self.stop(at, TailReason::BadChunkMagic { found: magic });
            return false;
        }
        let body_len = le_u32(h, 4);
        let record_count = le_u32(h, 8);
        let base = le_u64(h, 12);
        let stored = le_u32(h, 20);
        let body_bytes = body_len as usize;
        if body_bytes > MAX_CHUNK_BODY_BYTES
            || record_count == 0
            || record_count as usize > MAX_CHUNK_RECORDS
            || (record_count as usize) * MIN_RECORD_BYTES > body_bytes
        {
            self.stop(
                at,
                TailReason::BadChunkHeader {
                    body_len,
                    record_count,
                },
            );
            return false;
        }
        let body_start = at + CHUNK_HEADER_BYTES;
        if self.data.len() - body_start < body_bytes {
            self.stop(
                at,
                TailReason::Truncated {
                    what: "chunk body",
                    need: body_len as u64,
                    have: (self.data.len() - body_start) as u64,
                },
            );
            return false;
        }
        let body = &self.data[body_start..body_start + body_bytes];
        if body_start + body_bytes > self.verified_upto {
            let computed = chunk_crc(&h[..20], body);
            if computed != stored {
                self.stop(at, TailReason::BadCrc { stored, computed });
                return false;
            }
        }
        self.chunks += 1;
        self.pos = body_start;
        self.chunk_end = body_start + body_bytes;
        self.left = record_count;
        self.index = 0;
        self.base_recv_ns = base;
        true
    }

    fn bad_record(&mut self, what: String) -> Option<RecordRef<'a>> {
        let index = self.index;
        self.stop(self.pos, TailReason::BadRecord { index, what })
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = RecordRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<RecordRef<'a>> {
        if self.done {
            return None;
        }
        if self.left == 0 {
            if self.pos != self.chunk_end {
                let what = format!(
                    "{} stray bytes after the chunk's last record",
                    self.chunk_end - self.pos
                );
                return self.bad_record(what);
            }
            if !self.enter_chunk() {
                return None;
            }
        }
        let rest = &self.data[self.pos..self.chunk_end];
        let (h, n) = match RecordHeader::decode_fast(rest) {
            Some(x) => x,
            // Rare: let bincode name the problem.
            None => {
                let e = bincode::decode_from_slice::<RecordHeader, _>(rest, BINCODE_CONFIG)
                    .err()
                    .map_or_else(|| "undecodable".to_string(), |e| e.to_string());
                return self.bad_record(format!("record header: {e}"));
            }
        };
        let Some(kind) = RecordKind::from_code(h.kind) else {
            return self.bad_record(format!("unknown record kind {}", h.kind));
        };
        let len = h.payload_len as usize;
        if len > MAX_RECORD_PAYLOAD_BYTES || len > rest.len() - n {
            return self.bad_record(format!(
                "payload of {len} bytes overruns the chunk ({} left) or the limit ({MAX_RECORD_PAYLOAD_BYTES})",
                rest.len() - n
            ));
        }
        let payload = &rest[n..n + len];
        if kind == RecordKind::Symbol {
            if !valid_symbol_name(payload) {
                return self.bad_record("symbol record with an invalid name".to_string());
            }
            let id = usize::from(h.symbol);
            if self.symbols.len() <= id {
                self.symbols.resize(id + 1, None);
            }
            self.symbols[id] = Some(payload);
        }
        self.pos += n + len;
        self.left -= 1;
        self.index += 1;
        Some(RecordRef {
            recv_ns: self.base_recv_ns.wrapping_add(h.recv_delta_ns as u64),
            conn: h.conn,
            symbol: h.symbol,
            kind,
            payload,
        })
    }
}

impl std::iter::FusedIterator for Records<'_> {}
