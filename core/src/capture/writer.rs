//! Streaming writer of native capture files.
//!
//! Records are encoded into an in-memory chunk body; when the body reaches
//! the chunk size (or on [`CaptureWriter::flush_chunk`] / [`CaptureWriter::finish`])
//! the chunk header, with the body's length, record count and CRC32, is
//! written followed by the body. A crash or I/O error part-way through a chunk
//! leaves a chunk whose body is shorter than its header says or whose CRC does
//! not match, which the reader reports as a torn tail; it never accepts it.
//! After any I/O error the writer refuses further records.

use super::format::{
    encode_file_header, valid_symbol_name, ChunkHeader, RecordHeader, RecordKind, RecordRef,
    BINCODE_CONFIG, CHUNK_HEADER_BYTES, DEFAULT_CHUNK_BODY_BYTES, MAX_CHUNK_BODY_BYTES,
    MAX_CHUNK_RECORDS, MAX_RECORD_HEADER_BYTES, MAX_RECORD_PAYLOAD_BYTES, NO_SYMBOL,
};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Why a record or the file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output failed.
    #[error("writing the capture file: {0}")]
    Io(#[from] io::Error),
    /// A payload is longer than the format allows.
    #[error("record payload of {len} bytes exceeds the limit of {max} bytes")]
    PayloadTooLarge {
        /// Payload length.
        len: usize,
        /// [`MAX_RECORD_PAYLOAD_BYTES`].
        max: usize,
    },
    /// A symbol name is not 1–20 upper-case ASCII letters and digits.
    #[error("invalid symbol name {name:?} (want 1-20 upper-case ASCII letters and digits)")]
    BadSymbolName {
        /// The name, lossily decoded.
        name: String,
    },
    /// A record refers to a symbol id no `Symbol` record has defined.
    #[error("{kind} record uses symbol id {symbol}, which no Symbol record defined")]
    UndefinedSymbol {
        /// The id.
        symbol: u16,
        /// The record kind.
        kind: &'static str,
    },
    /// A `Symbol` record gives a defined id another name, or a name a second id.
    #[error("symbol id {symbol} redefined as {name:?}")]
    SymbolRedefined {
        /// The id.
        symbol: u16,
        /// The new name, lossily decoded.
        name: String,
    },
    /// All symbol ids below [`NO_SYMBOL`] are used.
    #[error("more than {} symbols", NO_SYMBOL)]
    TooManySymbols,
    /// The chunk size asked for is outside 1 ..= [`MAX_CHUNK_BODY_BYTES`].
    #[error("chunk size {0} bytes is outside 1..={max}", max = MAX_CHUNK_BODY_BYTES)]
    BadChunkSize(usize),
    /// An earlier write failed; the file ends at the last complete chunk.
    #[error("an earlier write failed; the capture ends at the last complete chunk")]
    Poisoned,
}

/// Counters of what a writer wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    /// Records accepted, by [`RecordKind::code`] (buffered ones included).
    pub records_by_kind: [u64; 5],
    /// Chunks written.
    pub chunks: u64,
    /// Bytes handed to the output, file header included (chunks still
    /// buffered are not counted until flushed).
    pub bytes: u64,
}

impl WriteStats {
    /// All records written.
    pub fn records(&self) -> u64 {
        self.records_by_kind.iter().sum()
    }
}

/// Writes a native capture file to any [`Write`]; see the [module](self) docs.
#[derive(Debug)]
pub struct CaptureWriter<W: Write> {
    out: W,
    body: Vec<u8>,
    chunk_records: u32,
    base_recv_ns: u64,
    chunk_target: usize,
    names: Vec<Box<[u8]>>,
    ids: HashMap<Box<[u8]>, u16>,
    stats: WriteStats,
    poisoned: bool,
}

impl CaptureWriter<BufWriter<File>> {
    /// Creates (or truncates) `path` and writes the file header.
    pub fn create(path: &Path, info: &str) -> Result<Self, WriteError> {
        let f = File::create(path)?;
        CaptureWriter::new(BufWriter::with_capacity(1 << 20, f), info)
    }
}

impl<W: Write> CaptureWriter<W> {
    /// Writes the file header (creation time now, `info` naming the creator)
    /// to `out` and returns a writer with the default chunk size.
    pub fn new(out: W, info: &str) -> Result<Self, WriteError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        CaptureWriter::with_options(out, info, now, DEFAULT_CHUNK_BODY_BYTES)
    }

    /// Like [`CaptureWriter::new`] with an explicit creation time and chunk
    /// body size (bytes at which a chunk is flushed, 1 ..= [`MAX_CHUNK_BODY_BYTES`]).
    pub fn with_options(
        mut out: W,
        info: &str,
        created_unix_ns: u64,
        chunk_body_bytes: usize,
    ) -> Result<Self, WriteError> {
        if chunk_body_bytes == 0 || chunk_body_bytes > MAX_CHUNK_BODY_BYTES {
            return Err(WriteError::BadChunkSize(chunk_body_bytes));
        }
        let header = encode_file_header(created_unix_ns, info);
        out.write_all(&header)?;
        Ok(CaptureWriter {
            out,
            body: Vec::with_capacity(chunk_body_bytes.min(DEFAULT_CHUNK_BODY_BYTES) + 64),
            chunk_records: 0,
            base_recv_ns: 0,
            chunk_target: chunk_body_bytes,
            names: Vec::new(),
            ids: HashMap::new(),
            stats: WriteStats {
                bytes: header.len() as u64,
                ..WriteStats::default()
            },
            poisoned: false,
        })
    }

    /// The id of symbol `name` (upper-case), defining it with a `Symbol`
    /// record (time `recv_ns`, tag `conn`) the first time it is seen. Ids are
    /// assigned 0, 1, 2, … in order of first appearance.
    pub fn symbol_id(&mut self, name: &[u8], recv_ns: u64, conn: u16) -> Result<u16, WriteError> {
        if let Some(&id) = self.ids.get(name) {
            return Ok(id);
        }
        let id = u16::try_from(self.names.len()).map_err(|_| WriteError::TooManySymbols)?;
        self.write(&RecordRef {
            recv_ns,
            conn,
            symbol: id,
            kind: RecordKind::Symbol,
            payload: name,
        })?;
        Ok(id)
    }

    /// The name of a symbol id defined so far.
    pub fn symbol_name(&self, id: u16) -> Option<&[u8]> {
        self.names.get(usize::from(id)).map(|n| &n[..])
    }

    /// Appends one record. A `Symbol` record must define the next free id
    /// (or repeat an existing definition); `Frame` and `Snapshot` records must
    /// use a defined id or [`NO_SYMBOL`].
    pub fn write(&mut self, rec: &RecordRef<'_>) -> Result<(), WriteError> {
        if self.poisoned {
            return Err(WriteError::Poisoned);
        }
        if rec.payload.len() > MAX_RECORD_PAYLOAD_BYTES {
            return Err(WriteError::PayloadTooLarge {
                len: rec.payload.len(),
                max: MAX_RECORD_PAYLOAD_BYTES,
            });
        }
        match rec.kind {
            RecordKind::Symbol => self.define(rec.symbol, rec.payload)?,
            kind => {
                if rec.symbol != NO_SYMBOL && usize::from(rec.symbol) >= self.names.len() {
                    return Err(WriteError::UndefinedSymbol {
                        symbol: rec.symbol,
                        kind: kind.name(),
                    });
                }
            }
        }
        let need = MAX_RECORD_HEADER_BYTES + rec.payload.len();
        if self.chunk_records > 0
            && (self.body.len() + need > self.chunk_target
                || self.chunk_records as usize >= MAX_CHUNK_RECORDS)
        {
            self.flush_chunk()?;
        }
        if self.chunk_records == 0 {
            self.base_recv_ns = rec.recv_ns;
        }
        let header = RecordHeader {
            recv_delta_ns: rec.recv_ns.wrapping_sub(self.base_recv_ns) as i64,
            conn: rec.conn,
            symbol: rec.symbol,
            kind: rec.kind.code(),
            payload_len: rec.payload.len() as u32,
        };
        let mut buf = [0u8; MAX_RECORD_HEADER_BYTES];
        let n = bincode::encode_into_slice(header, &mut buf, BINCODE_CONFIG).map_err(|e| {
            // Cannot happen: the buffer fits the largest header.
            io::Error::other(format!("encoding a record header: {e}"))
        })?;
        self.body.extend_from_slice(&buf[..n]);
        self.body.extend_from_slice(rec.payload);
        self.chunk_records += 1;
        self.stats.records_by_kind[usize::from(rec.kind.code())] += 1;
        if self.body.len() >= self.chunk_target {
            self.flush_chunk()?;
        }
        Ok(())
    }

    fn define(&mut self, id: u16, name: &[u8]) -> Result<(), WriteError> {
        if !valid_symbol_name(name) {
            return Err(WriteError::BadSymbolName {
                name: String::from_utf8_lossy(name).into_owned(),
            });
        }
        let redefined = || WriteError::SymbolRedefined {
            symbol: id,
            name: String::from_utf8_lossy(name).into_owned(),
        };
        match self.names.get(usize::from(id)) {
            Some(old) if &old[..] == name => Ok(()),
            Some(_) => Err(redefined()),
            None if usize::from(id) == self.names.len() && id != NO_SYMBOL => {
                if self.ids.contains_key(name) {
                    return Err(redefined());
                }
                self.names.push(name.into());
                self.ids.insert(name.into(), id);
                Ok(())
            }
            None => Err(redefined()),
        }
    }

    /// Writes the buffered chunk, if any, to the output (not flushing the
    /// output itself).
    pub fn flush_chunk(&mut self) -> Result<(), WriteError> {
        if self.poisoned {
            return Err(WriteError::Poisoned);
        }
        if self.chunk_records == 0 {
            return Ok(());
        }
        let header = ChunkHeader::encode(
            self.body.len() as u32,
            self.chunk_records,
            self.base_recv_ns,
            &self.body,
        );
        let res = self
            .out
            .write_all(&header)
            .and_then(|()| self.out.write_all(&self.body));
        if let Err(e) = res {
            self.poisoned = true;
            return Err(e.into());
        }
        self.stats.chunks += 1;
        self.stats.bytes += (CHUNK_HEADER_BYTES + self.body.len()) as u64;
        self.body.clear();
        self.chunk_records = 0;
        Ok(())
    }

    /// What was written so far.
    pub fn stats(&self) -> WriteStats {
        self.stats
    }

    /// Writes the last chunk, flushes the output and returns it. Records
    /// still buffered are lost if the writer is dropped without this.
    pub fn finish(mut self) -> Result<(W, WriteStats), WriteError> {
        self.flush_chunk()?;
        self.out.flush()?;
        Ok((self.out, self.stats))
    }
}
