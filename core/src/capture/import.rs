//! Importers of other recorders' raw Binance captures: line readers for the
//! hftbacktest collector format and the cryptofeed "raw data" format, gzip
//! or plain (told apart by the gzip magic bytes, not the file name).
//!
//! **hftbacktest** (`<local receive timestamp> <raw message>` per line):
//! a combined-stream envelope `{"stream":"btcusdt@…","data":{…}}` becomes a
//! [`RecordKind::Frame`]; a bare `{"lastUpdateId":…}` body, the collector's
//! REST depth snapshot, becomes a [`RecordKind::Snapshot`]. A snapshot
//! carries no symbol, so it is attributed to the symbol of the **most recent
//! stream line** before it; when no stream line came before it, to the
//! symbol of the **first stream line after it** (the reader reads ahead, at
//! most [`MAX_LOOKAHEAD_BYTES`]); when there is none, the line is malformed.
//! hftbacktest files hold one symbol each, so this names the right one.
//!
//! **cryptofeed**: `configuration: {…}` lines are counted and skipped;
//! `wss://… <-> <ts>` becomes a [`RecordKind::Connect`] (payload: the URL,
//! and later records get the new connection's tag); `<ts>: <raw message>`
//! becomes a `Frame`; `<REST url> -> <ts>: <body>` becomes a `Snapshot`
//! whose symbol is the URL's `symbol=` parameter.
//!
//! **Timestamps** are normalised to ns since the epoch by magnitude: an
//! integer part below 10^11 is seconds, below 10^14 ms, below 10^17 µs,
//! otherwise ns; a decimal fraction is applied exactly (digits beyond ns are
//! cut). **Symbols** are upper-case (`btcusdt@trade` → `BTCUSDT`), with ids
//! 0, 1, 2, … in order of first appearance; a frame whose stream name has no
//! symbol prefix (`!ticker@arr`) or that has no envelope gets [`NO_SYMBOL`].
//!
//! Every message is checked to be one complete JSON object (serde_json,
//! borrowing, no allocation). A line that fits no form is **counted and
//! reported** with its 1-based line number, never fatal; the first
//! [`MAX_ERROR_EXAMPLES`] are kept in [`ImportStats::examples`]. After
//! warm-up, reading a line allocates nothing: the line buffer is reused and
//! records borrow from it.

use super::format::{RecordKind, RecordRef, NO_SYMBOL};
use crate::binance::fast::{Symbol, MAX_SYMBOL_LEN};
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Longest line accepted, in bytes (a 5000-level REST snapshot is ~250 KiB).
pub const MAX_LINE_BYTES: usize = 16 << 20;
/// Most bytes read ahead to find the symbol of an hftbacktest snapshot that
/// comes before any stream line.
pub const MAX_LOOKAHEAD_BYTES: usize = 64 << 20;
/// Malformed-line examples kept in [`ImportStats::examples`].
pub const MAX_ERROR_EXAMPLES: usize = 10;
/// Distinct symbols one import may define (ids below [`NO_SYMBOL`]).
pub const MAX_IMPORT_SYMBOLS: usize = NO_SYMBOL as usize;
/// Read buffer size, in bytes.
pub const READ_BUFFER_BYTES: usize = 256 << 10;

/// The raw recorder formats understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// hftbacktest collector: `<ts> <message>` per line.
    Hftbacktest,
    /// cryptofeed raw data: config, connect, `<ts>: <message>` and REST lines.
    Cryptofeed,
}

impl InputFormat {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Hftbacktest => "hftbacktest",
            InputFormat::Cryptofeed => "cryptofeed",
        }
    }
}

/// One record of an imported file, borrowing the reader's line buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedRecord<'a> {
    /// 1-based line number in the (decompressed) input.
    pub line: u64,
    /// Local receive time, ns since the Unix epoch.
    pub recv_ns: u64,
    /// 0-based number of the connection (cryptofeed connect lines; 0 for hftbacktest).
    pub conn: u16,
    /// Symbol id in this import ([`ImportReader::symbol_name`]), or [`NO_SYMBOL`].
    pub symbol: u16,
    /// The symbol's upper-case name (`None` for [`NO_SYMBOL`]).
    pub symbol_name: Option<&'a str>,
    /// `Frame`, `Snapshot` or `Connect`.
    pub kind: RecordKind,
    /// The envelope's stream name (`btcusdt@depth@100ms`), for frames that have one.
    pub stream: Option<&'a str>,
    /// The message part of the line, byte for byte (the URL for `Connect`).
    pub payload: &'a [u8],
}

impl<'a> ImportedRecord<'a> {
    /// The record in native form (symbol id as assigned by this import).
    pub fn as_record(&self) -> RecordRef<'a> {
        RecordRef {
            recv_ns: self.recv_ns,
            conn: self.conn,
            symbol: self.symbol,
            kind: self.kind,
            payload: self.payload,
        }
    }
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineErrorKind {
    /// The line is longer than [`MAX_LINE_BYTES`].
    TooLong {
        /// Its length in bytes.
        len: u64,
    },
    /// The line does not start with a timestamp.
    NoTimestamp,
    /// The timestamp is not a number of s/ms/µs/ns.
    BadTimestamp(&'static str),
    /// Nothing, or no separator, after the timestamp.
    NoMessage,
    /// The message is not a single JSON object.
    BadJson(String),
    /// A cryptofeed line of none of the known forms.
    UnknownLine,
    /// A cryptofeed REST line whose URL has no usable `symbol=` parameter.
    NoSymbolInUrl,
    /// A REST line whose body is not a depth snapshot.
    NotSnapshot,
    /// An hftbacktest snapshot with no stream line to name its symbol.
    SnapshotWithoutSymbol,
    /// More than [`MAX_IMPORT_SYMBOLS`] symbols.
    TooManySymbols,
    /// Reading the input failed (bad gzip data, I/O); the import ends here.
    Io(String),
}

impl fmt::Display for LineErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineErrorKind::TooLong { len } => {
                write!(f, "line of {len} bytes exceeds the limit of {MAX_LINE_BYTES}")
            }
            LineErrorKind::NoTimestamp => f.write_str("line does not start with a timestamp"),
            LineErrorKind::BadTimestamp(why) => write!(f, "bad timestamp: {why}"),
            LineErrorKind::NoMessage => f.write_str("no message after the timestamp"),
            LineErrorKind::BadJson(e) => write!(f, "message is not one JSON object: {e}"),
            LineErrorKind::UnknownLine => f.write_str(
                "not a cryptofeed line (configuration:, wss:// … <-> ts, ts: message, or REST url -> ts: body)",
            ),
            LineErrorKind::NoSymbolInUrl => {
                f.write_str("REST URL has no valid symbol= parameter")
            }
            LineErrorKind::NotSnapshot => f.write_str("REST body has no lastUpdateId"),
            LineErrorKind::SnapshotWithoutSymbol => {
                f.write_str("REST snapshot, but no stream line in the file names its symbol")
            }
            LineErrorKind::TooManySymbols => {
                write!(f, "more than {MAX_IMPORT_SYMBOLS} symbols")
            }
            LineErrorKind::Io(e) => write!(f, "reading the input failed: {e}"),
        }
    }
}

/// A malformed line (or a read failure) and where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct LineError {
    /// 1-based line number in the (decompressed) input.
    pub line: u64,
    /// What is wrong.
    pub kind: LineErrorKind,
}

/// Why an input cannot be imported at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", path.display())]
pub struct ImportOpenError {
    /// The input.
    pub path: PathBuf,
    /// The failure.
    #[source]
    pub source: io::Error,
}

/// Counters of one import.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportStats {
    /// Lines read (blank and malformed included).
    pub lines: u64,
    /// Blank lines (skipped, not malformed).
    pub blank_lines: u64,
    /// cryptofeed `configuration:` lines (skipped).
    pub config_lines: u64,
    /// Records returned, by [`RecordKind::code`].
    pub records_by_kind: [u64; 5],
    /// Malformed lines (read failures included).
    pub malformed: u64,
    /// The first [`MAX_ERROR_EXAMPLES`] malformed lines.
    pub examples: Vec<LineError>,
    /// Bytes of (decompressed) input read.
    pub bytes_read: u64,
    /// Whether the input was gzip.
    pub gzip: bool,
    /// The read failure that ended the import early, if any.
    pub read_error: Option<LineError>,
}

impl ImportStats {
    /// All records returned.
    pub fn records(&self) -> u64 {
        self.records_by_kind.iter().sum()
    }
}

/// What a line parses to; offsets index the line.
struct Parsed {
    recv_ns: u64,
    kind: RecordKind,
    symbol: u16,
    stream: Option<(usize, usize)>,
    payload: (usize, usize),
}

enum LineRead {
    Eof,
    Line,
    TooLong(u64),
}

/// Streaming reader of one hftbacktest or cryptofeed capture; see the
/// [module](self) docs.
pub struct ImportReader {
    input: Box<dyn BufRead + Send>,
    format: InputFormat,
    line: Vec<u8>,
    line_no: u64,
    lines_read: u64,
    lookahead: VecDeque<(u64, Result<Vec<u8>, LineErrorKind>)>,
    names: Vec<Symbol>,
    ids: HashMap<Symbol, u16>,
    last_symbol: Option<u16>,
    conn: u16,
    connects: u64,
    stats: ImportStats,
    done: bool,
}

impl fmt::Debug for ImportReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportReader")
            .field("format", &self.format)
            .field("line_no", &self.line_no)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl ImportReader {
    /// Opens `path` (gzip or plain, detected from its first bytes).
    pub fn open(path: &Path, format: InputFormat) -> Result<ImportReader, ImportOpenError> {
        let err = |source| ImportOpenError {
            path: path.to_path_buf(),
            source,
        };
        let f = File::open(path).map_err(err)?;
        ImportReader::from_reader(f, format).map_err(err)
    }

    /// Reads from any byte source (gzip or plain, detected from its first bytes).
    pub fn from_reader<R: Read + Send + 'static>(
        r: R,
        format: InputFormat,
    ) -> io::Result<ImportReader> {
        let mut buf = BufReader::with_capacity(READ_BUFFER_BYTES, r);
        let head = loop {
            match buf.fill_buf() {
                Ok(h) => break h,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        let input: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(
                READ_BUFFER_BYTES,
                flate2::bufread::MultiGzDecoder::new(buf),
            ))
        } else {
            Box::new(buf)
        };
        Ok(ImportReader {
            input,
            format,
            line: Vec::with_capacity(4096),
            line_no: 0,
            lines_read: 0,
            lookahead: VecDeque::new(),
            names: Vec::new(),
            ids: HashMap::new(),
            last_symbol: None,
            conn: 0,
            connects: 0,
            stats: ImportStats {
                gzip,
                ..ImportStats::default()
            },
            done: false,
        })
    }

    /// The input format.
    pub fn format(&self) -> InputFormat {
        self.format
    }

    /// Counters so far.
    pub fn stats(&self) -> &ImportStats {
        &self.stats
    }

    /// The upper-case name of symbol `id` of this import.
    pub fn symbol_name(&self, id: u16) -> Option<&str> {
        self.names.get(usize::from(id)).map(Symbol::as_str)
    }

    /// The symbols seen so far, in id order.
    pub fn symbols(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(Symbol::as_str)
    }

    /// The next record, a malformed line, or `None` at the end of the input
    /// (or after a read failure, which is returned once as an error).
    #[allow(clippy::should_implement_trait)] // lending: records borrow the reader
    pub fn next(&mut self) -> Option<Result<ImportedRecord<'_>, LineError>> {
        let parsed = loop {
            if self.done {
                return None;
            }
            match self.fetch_line() {
                None => {
                    self.done = true;
                    return None;
                }
                Some(Err(kind)) => return Some(Err(self.fail(kind))),
                Some(Ok(())) => {}
            }
            trim_eol(&mut self.line);
            if self.line.iter().all(u8::is_ascii_whitespace) {
                self.stats.blank_lines += 1;
                continue;
            }
            match self.parse_current() {
                Ok(Some(p)) => break p,
                Ok(None) => continue,
                Err(kind) => return Some(Err(self.fail(kind))),
            }
        };
        self.stats.records_by_kind[usize::from(parsed.kind.code())] += 1;
        let line = &self.line;
        let stream = parsed
            .stream
            .and_then(|(s, e)| std::str::from_utf8(&line[s..e]).ok());
        Some(Ok(ImportedRecord {
            line: self.line_no,
            recv_ns: parsed.recv_ns,
            conn: self.conn,
            symbol: parsed.symbol,
            symbol_name: self
                .names
                .get(usize::from(parsed.symbol))
                .map(Symbol::as_str),
            kind: parsed.kind,
            stream,
            payload: &line[parsed.payload.0..parsed.payload.1],
        }))
    }

    fn fail(&mut self, kind: LineErrorKind) -> LineError {
        let err = LineError {
            line: self.line_no,
            kind,
        };
        self.stats.malformed += 1;
        if self.stats.examples.len() < MAX_ERROR_EXAMPLES {
            self.stats.examples.push(err.clone());
        }
        if matches!(err.kind, LineErrorKind::Io(_)) {
            self.done = true;
            self.stats.read_error = Some(err.clone());
        }
        err
    }

    /// Puts the next line into `self.line` (from the look-ahead queue first).
    fn fetch_line(&mut self) -> Option<Result<(), LineErrorKind>> {
        if let Some((no, item)) = self.lookahead.pop_front() {
            self.line_no = no;
            return Some(item.map(|v| self.line = v));
        }
        let mut line = std::mem::take(&mut self.line);
        let r = self.read_raw(&mut line);
        self.line = line;
        if r.is_some() {
            self.line_no = self.lines_read;
        }
        r
    }

    /// Reads one line from the input into `buf`.
    fn read_raw(&mut self, buf: &mut Vec<u8>) -> Option<Result<(), LineErrorKind>> {
        match read_line_bounded(&mut *self.input, buf, MAX_LINE_BYTES) {
            Ok((LineRead::Eof, _)) => None,
            Ok((read, n)) => {
                self.lines_read += 1;
                self.stats.lines += 1;
                self.stats.bytes_read += n;
                match read {
                    LineRead::TooLong(len) => Some(Err(LineErrorKind::TooLong { len })),
                    _ => Some(Ok(())),
                }
            }
            Err(e) => {
                self.lines_read += 1;
                Some(Err(LineErrorKind::Io(e.to_string())))
            }
        }
    }

    fn parse_current(&mut self) -> Result<Option<Parsed>, LineErrorKind> {
        match self.format {
            InputFormat::Hftbacktest => self.parse_hftbacktest().map(Some),
            InputFormat::Cryptofeed => self.parse_cryptofeed(),
        }
    }

    fn parse_hftbacktest(&mut self) -> Result<Parsed, LineErrorKind> {
        let line = &self.line;
        if !line.first().is_some_and(u8::is_ascii_digit) {
            return Err(LineErrorKind::NoTimestamp);
        }
        let sp = line
            .iter()
            .position(|&b| b == b' ')
            .ok_or(LineErrorKind::NoMessage)?;
        let recv_ns = parse_timestamp(&line[..sp])?;
        let msg = (sp + 1, line.len());
        if msg.0 >= msg.1 {
            return Err(LineErrorKind::NoMessage);
        }
        let peek = peek_message(&line[msg.0..msg.1])?;
        if let Some((s, e)) = peek.stream {
            let stream = (msg.0 + s, msg.0 + e);
            let symbol = self.stream_symbol(stream)?;
            if symbol != NO_SYMBOL {
                self.last_symbol = Some(symbol);
            }
            return Ok(Parsed {
                recv_ns,
                kind: RecordKind::Frame,
                symbol,
                stream: Some(stream),
                payload: msg,
            });
        }
        if !peek.snapshot {
            return Ok(Parsed {
                recv_ns,
                kind: RecordKind::Frame,
                symbol: NO_SYMBOL,
                stream: None,
                payload: msg,
            });
        }
        let symbol = match self.last_symbol {
            Some(s) => s,
            None => self.symbol_ahead()?,
        };
        Ok(Parsed {
            recv_ns,
            kind: RecordKind::Snapshot,
            symbol,
            stream: None,
            payload: msg,
        })
    }

    /// Reads lines ahead (queued for later) until a stream line names a
    /// symbol; interns it and returns its id.
    fn symbol_ahead(&mut self) -> Result<u16, LineErrorKind> {
        let mut bytes = 0usize;
        // Lines already queued come first (a second snapshot while looking).
        let mut i = 0;
        loop {
            if i == self.lookahead.len() {
                if bytes > MAX_LOOKAHEAD_BYTES {
                    return Err(LineErrorKind::SnapshotWithoutSymbol);
                }
                let mut buf = Vec::new();
                match self.read_raw(&mut buf) {
                    None => return Err(LineErrorKind::SnapshotWithoutSymbol),
                    Some(r) => {
                        let stop = matches!(r, Err(LineErrorKind::Io(_)));
                        bytes += buf.len();
                        self.lookahead.push_back((self.lines_read, r.map(|()| buf)));
                        if stop {
                            return Err(LineErrorKind::SnapshotWithoutSymbol);
                        }
                    }
                }
            }
            if let Some((_, Ok(l))) = self.lookahead.get(i) {
                if let Some(sym) = hftbacktest_line_symbol(l) {
                    return self.intern(sym);
                }
            }
            i += 1;
        }
    }

    fn parse_cryptofeed(&mut self) -> Result<Option<Parsed>, LineErrorKind> {
        let line = &self.line;
        if line.starts_with(b"configuration:") {
            self.stats.config_lines += 1;
            return Ok(None);
        }
        if line.starts_with(b"wss://") || line.starts_with(b"ws://") {
            let at = find(line, b" <-> ").ok_or(LineErrorKind::UnknownLine)?;
            let recv_ns = parse_timestamp(line[at + 5..].trim_ascii())?;
            self.conn = u16::try_from(self.connects).unwrap_or(u16::MAX);
            self.connects += 1;
            return Ok(Some(Parsed {
                recv_ns,
                kind: RecordKind::Connect,
                symbol: NO_SYMBOL,
                stream: None,
                payload: (0, at),
            }));
        }
        if line.starts_with(b"https://") || line.starts_with(b"http://") {
            let at = find(line, b" -> ").ok_or(LineErrorKind::UnknownLine)?;
            let url = &line[..at];
            let rest = at + 4;
            let colon = line[rest..]
                .iter()
                .position(|&b| b == b':')
                .ok_or(LineErrorKind::NoMessage)?
                + rest;
            let recv_ns = parse_timestamp(&line[rest..colon])?;
            let msg = message_after_colon(line, colon)?;
            let peek = peek_message(&line[msg.0..msg.1])?;
            if !peek.snapshot {
                return Err(LineErrorKind::NotSnapshot);
            }
            let sym = url_symbol(url).ok_or(LineErrorKind::NoSymbolInUrl)?;
            let symbol = self.intern(sym)?;
            return Ok(Some(Parsed {
                recv_ns,
                kind: RecordKind::Snapshot,
                symbol,
                stream: None,
                payload: msg,
            }));
        }
        if !line.first().is_some_and(u8::is_ascii_digit) {
            return Err(
                if line.first() == Some(&b':') || line.first() == Some(&b'{') {
                    LineErrorKind::NoTimestamp
                } else {
                    LineErrorKind::UnknownLine
                },
            );
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(LineErrorKind::NoMessage)?;
        let recv_ns = parse_timestamp(&line[..colon])?;
        let msg = message_after_colon(line, colon)?;
        let peek = peek_message(&line[msg.0..msg.1])?;
        let (symbol, stream) = match peek.stream {
            Some((s, e)) => {
                let stream = (msg.0 + s, msg.0 + e);
                (self.stream_symbol(stream)?, Some(stream))
            }
            None => (NO_SYMBOL, None),
        };
        Ok(Some(Parsed {
            recv_ns,
            kind: if peek.snapshot && stream.is_none() {
                RecordKind::Snapshot
            } else {
                RecordKind::Frame
            },
            symbol,
            stream,
            payload: msg,
        }))
    }

    /// The symbol id of the stream name at `range` of the line.
    fn stream_symbol(&mut self, range: (usize, usize)) -> Result<u16, LineErrorKind> {
        match stream_symbol(&self.line[range.0..range.1]) {
            Some(sym) => self.intern(sym),
            None => Ok(NO_SYMBOL),
        }
    }

    fn intern(&mut self, sym: Symbol) -> Result<u16, LineErrorKind> {
        if let Some(&id) = self.ids.get(&sym) {
            return Ok(id);
        }
        if self.names.len() >= MAX_IMPORT_SYMBOLS {
            return Err(LineErrorKind::TooManySymbols);
        }
        let id = self.names.len() as u16;
        self.names.push(sym);
        self.ids.insert(sym, id);
        Ok(id)
    }
}

/// Reads one line (without its `\n`) into `buf`, at most `max` bytes; a
/// longer line is consumed whole and reported as `TooLong`. Returns what was
/// read and the bytes consumed.
fn read_line_bounded(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<(LineRead, u64)> {
    buf.clear();
    let mut total: u64 = 0;
    let mut too_long = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            let read = if total == 0 {
                LineRead::Eof
            } else if too_long {
                LineRead::TooLong(total)
            } else {
                LineRead::Line
            };
            return Ok((read, total));
        }
        let (take, found) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (avail.len(), false),
        };
        if !too_long {
            if buf.len() + take > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&avail[..take]);
            }
        }
        total += take as u64;
        r.consume(take + usize::from(found));
        if found {
            total += 1;
            let read = if too_long {
                LineRead::TooLong(total - 1)
            } else {
                LineRead::Line
            };
            return Ok((read, total));
        }
    }
}

fn trim_eol(line: &mut Vec<u8>) {
    while matches!(line.last(), Some(b'\r' | b'\n')) {
        line.pop();
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The message range after `<ts>:` (one optional space after the colon).
fn message_after_colon(line: &[u8], colon: usize) -> Result<(usize, usize), LineErrorKind> {
    let mut start = colon + 1;
    if line.get(start) == Some(&b' ') {
        start += 1;
    }
    if start >= line.len() {
        return Err(LineErrorKind::NoMessage);
    }
    Ok((start, line.len()))
}

/// Parses a receive timestamp (`123`, `123.456`) into ns since the epoch,
/// choosing the unit by the integer part's magnitude (see the module docs).
pub fn parse_timestamp(s: &[u8]) -> Result<u64, LineErrorKind> {
    let (int, frac) = match s.iter().position(|&b| b == b'.') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if int.is_empty() {
        return Err(LineErrorKind::BadTimestamp("no integer part"));
    }
    if !int.iter().all(u8::is_ascii_digit) {
        return Err(LineErrorKind::BadTimestamp("not a decimal number"));
    }
    if int.len() > 20 {
        return Err(LineErrorKind::BadTimestamp("out of range"));
    }
    let mut v: u128 = 0;
    for &b in int {
        v = v * 10 + u128::from(b - b'0');
    }
    let unit_ns: u128 = if v < 100_000_000_000 {
        1_000_000_000
    } else if v < 100_000_000_000_000 {
        1_000_000
    } else if v < 100_000_000_000_000_000 {
        1_000
    } else {
        1
    };
    let mut ns = v * unit_ns;
    if let Some(frac) = frac {
        if frac.is_empty() || !frac.iter().all(u8::is_ascii_digit) {
            return Err(LineErrorKind::BadTimestamp("bad fraction"));
        }
        // Each fraction digit is worth unit/10, unit/100, …; digits below 1 ns are cut.
        let mut place = unit_ns;
        for &b in frac {
            place /= 10;
            if place == 0 {
                break;
            }
            ns += u128::from(b - b'0') * place;
        }
    }
    u64::try_from(ns).map_err(|_| LineErrorKind::BadTimestamp("out of range"))
}

/// What a message is, found in one validating pass.
struct Peek {
    /// Byte range of the envelope's stream name in the message.
    stream: Option<(usize, usize)>,
    /// It has a `lastUpdateId` field (a depth snapshot).
    snapshot: bool,
}

#[derive(Deserialize)]
struct PeekFields<'a> {
    #[serde(borrow, default)]
    stream: Option<&'a str>,
    #[serde(rename = "lastUpdateId", default)]
    last_update_id: Option<IgnoredAny>,
}

/// Checks that `msg` is one JSON object and finds its stream name.
fn peek_message(msg: &[u8]) -> Result<Peek, LineErrorKind> {
    let first = msg.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(LineErrorKind::BadJson("does not start with '{'".into()));
    }
    let p: PeekFields<'_> =
        serde_json::from_slice(msg).map_err(|e| LineErrorKind::BadJson(e.to_string()))?;
    let stream = p.stream.map(|s| {
        // A borrowed &str points into msg.
        let start = s.as_ptr() as usize - msg.as_ptr() as usize;
        (start, start + s.len())
    });
    Ok(Peek {
        stream,
        snapshot: p.last_update_id.is_some(),
    })
}

/// The symbol of a stream name `btcusdt@…` (`None` for `!ticker@arr` and the like).
fn stream_symbol(stream: &[u8]) -> Option<Symbol> {
    let end = stream.iter().position(|&b| b == b'@')?;
    upper_symbol(&stream[..end])
}

fn upper_symbol(s: &[u8]) -> Option<Symbol> {
    if s.is_empty() || s.len() > MAX_SYMBOL_LEN {
        return None;
    }
    let mut up = [0u8; MAX_SYMBOL_LEN];
    for (d, &c) in up.iter_mut().zip(s) {
        *d = c.to_ascii_uppercase();
    }
    Symbol::new(&up[..s.len()])
}

/// The `symbol=` query parameter of a REST URL, upper-cased.
fn url_symbol(url: &[u8]) -> Option<Symbol> {
    let q = url.iter().position(|&b| b == b'?')?;
    url[q + 1..]
        .split(|&b| b == b'&')
        .find_map(|kv| kv.strip_prefix(b"symbol="))
        .and_then(upper_symbol)
}

/// The symbol named by an hftbacktest line's stream, if it is a stream line.
fn hftbacktest_line_symbol(line: &[u8]) -> Option<Symbol> {
    let sp = line.iter().position(|&b| b == b' ')?;
    let msg = &line[sp + 1..];
    let msg = msg.strip_suffix(b"\r").unwrap_or(msg);
    let peek = peek_message(msg).ok()?;
    let (s, e) = peek.stream?;
    stream_symbol(&msg[s..e])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_by_magnitude() {
        let cases: [(&[u8], Option<u64>); 9] = [
            (b"1723161253937085768", Some(1_723_161_253_937_085_768)),
            (b"1680652800004107", Some(1_680_652_800_004_107_000)),
            (b"1680652800004", Some(1_680_652_800_004_000_000)),
            (b"1617566591.326123", Some(1_617_566_591_326_123_000)),
            (b"1617566605.2321012", Some(1_617_566_605_232_101_200)),
            (b"1680652800004.5", Some(1_680_652_800_004_500_000)),
            (b"1617566591.1234567891234", Some(1_617_566_591_123_456_789)),
            (b"", None),
            (b"12a", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_timestamp(input).ok(), want, "{input:?}");
        }
        assert!(parse_timestamp(b"99999999999999999999").is_err());
        assert!(parse_timestamp(b"1.").is_err());
    }

    #[test]
    fn symbols_from_streams_and_urls() {
        assert_eq!(
            stream_symbol(b"btcusdt@depth@100ms").map(|s| s.to_string()),
            Some("BTCUSDT".into())
        );
        assert_eq!(stream_symbol(b"!ticker@arr"), None);
        assert_eq!(
            url_symbol(b"https://www.binance.com/api/v1/depth?symbol=DOTUSDT&limit=1000")
                .map(|s| s.to_string()),
            Some("DOTUSDT".into())
        );
        assert_eq!(url_symbol(b"https://x/depth?limit=1000"), None);
    }
}
