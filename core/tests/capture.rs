//! The native capture format and the importers: round trips, torn and
//! corrupt tails at every offset, imports of the real fixtures checked
//! against independent counts, malformed lines, and `kairos convert`.

use flate2::read::MultiGzDecoder;
use kairos_core::capture::format::{
    CHUNK_HEADER_BYTES, CHUNK_MAGIC, FILE_HEADER_FIXED_BYTES, MAX_RECORD_PAYLOAD_BYTES,
};
use kairos_core::capture::import::{ImportReader, InputFormat, LineErrorKind};
use kairos_core::capture::reader::{CaptureReader, OpenError, TailReason};
use kairos_core::capture::writer::{CaptureWriter, WriteError};
use kairos_core::capture::{RecordKind, RecordRef, NO_SYMBOL};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

const HFT: &str = "hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz";
const CF: &str = "cryptofeed_BTC_ETH_DOT_20210404_first800_no_rest.txt.gz";

fn tick(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ticks")
        .join(name)
}

/// The decompressed lines of a fixture (without `\n`).
fn lines_of(name: &str) -> Vec<Vec<u8>> {
    let mut text = Vec::new();
    MultiGzDecoder::new(std::fs::File::open(tick(name)).unwrap())
        .read_to_end(&mut text)
        .unwrap();
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    lines
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kairos-capture-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// An owned copy of a record, to compare across readers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owned {
    recv_ns: u64,
    conn: u16,
    symbol: u16,
    kind: RecordKind,
    payload: Vec<u8>,
}

impl From<RecordRef<'_>> for Owned {
    fn from(r: RecordRef<'_>) -> Owned {
        Owned {
            recv_ns: r.recv_ns,
            conn: r.conn,
            symbol: r.symbol,
            kind: r.kind,
            payload: r.payload.to_vec(),
        }
    }
}

/// A capture with every kind and edge values, in small chunks.
fn sample(chunk_bytes: usize) -> (Vec<u8>, Vec<Owned>) {
    let mut w = CaptureWriter::with_options(
        Vec::new(),
        "test sample",
        1_700_000_000_123_456_789,
        chunk_bytes,
    )
    .unwrap();
    let mut want = Vec::new();
    fn push(w: &mut CaptureWriter<Vec<u8>>, want: &mut Vec<Owned>, r: RecordRef<'_>) {
        w.write(&r).unwrap();
        want.push(Owned::from(r));
    }
    let url = b"wss://stream.binance.com:9443/stream?streams=btcusdt@trade";
    push(
        &mut w,
        &mut want,
        RecordRef {
            recv_ns: 1_723_161_253_937_085_768,
            conn: 0,
            symbol: NO_SYMBOL,
            kind: RecordKind::Connect,
            payload: url,
        },
    );
    let btc = w
        .symbol_id(b"BTCUSDT", 1_723_161_253_937_085_769, 0)
        .unwrap();
    assert_eq!(btc, 0);
    want.push(Owned {
        recv_ns: 1_723_161_253_937_085_769,
        conn: 0,
        symbol: 0,
        kind: RecordKind::Symbol,
        payload: b"BTCUSDT".to_vec(),
    });
    assert_eq!(w.symbol_id(b"BTCUSDT", 5, 5).unwrap(), 0, "interned once");
    let eth = w
        .symbol_id(b"ETHUSDT", 1_723_161_253_937_085_770, 3)
        .unwrap();
    assert_eq!(eth, 1);
    want.push(Owned {
        recv_ns: 1_723_161_253_937_085_770,
        conn: 3,
        symbol: 1,
        kind: RecordKind::Symbol,
        payload: b"ETHUSDT".to_vec(),
    });
    for i in 0..60u64 {
        let payload =
            format!("{{\"stream\":\"btcusdt@trade\",\"data\":{{\"e\":\"trade\",\"t\":{i}}}}}");
        // Times jump around (not monotonic) to exercise the signed deltas.
        let recv_ns = match i % 7 {
            0 => 0,
            1 => u64::MAX,
            2 => 1_723_161_253_937_085_768 - i,
            _ => 1_723_161_253_937_085_768 + i * 1_000_003,
        };
        push(
            &mut w,
            &mut want,
            RecordRef {
                recv_ns,
                conn: (i % 3) as u16 * 1000,
                symbol: (i % 2) as u16,
                kind: RecordKind::Frame,
                payload: payload.as_bytes(),
            },
        );
    }
    push(
        &mut w,
        &mut want,
        RecordRef {
            recv_ns: 42,
            conn: u16::MAX,
            symbol: eth,
            kind: RecordKind::Snapshot,
            payload: br#"{"lastUpdateId":1,"bids":[],"asks":[]}"#,
        },
    );
    push(
        &mut w,
        &mut want,
        RecordRef {
            recv_ns: 43,
            conn: 7,
            symbol: NO_SYMBOL,
            kind: RecordKind::Frame,
            payload: b"",
        },
    );
    let big: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    push(
        &mut w,
        &mut want,
        RecordRef {
            recv_ns: 44,
            conn: 1,
            symbol: btc,
            kind: RecordKind::Snapshot,
            payload: &big,
        },
    );
    push(
        &mut w,
        &mut want,
        RecordRef {
            recv_ns: 45,
            conn: 0,
            symbol: NO_SYMBOL,
            kind: RecordKind::Disconnect,
            payload: url,
        },
    );
    let (bytes, stats) = w.finish().unwrap();
    assert_eq!(stats.records(), want.len() as u64);
    assert_eq!(stats.bytes, bytes.len() as u64);
    (bytes, want)
}

/// Start offsets of the chunks, walked independently of the reader.
fn chunk_starts(bytes: &[u8]) -> Vec<usize> {
    let info_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let mut at = FILE_HEADER_FIXED_BYTES + info_len;
    let mut starts = Vec::new();
    while at < bytes.len() {
        assert_eq!(bytes[at..at + 4], CHUNK_MAGIC);
        starts.push(at);
        let body = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        at += CHUNK_HEADER_BYTES + body;
    }
    assert_eq!(at, bytes.len());
    starts
}

fn read_all(bytes: Vec<u8>) -> (Vec<Owned>, Option<kairos_core::capture::TailError>) {
    let r = CaptureReader::from_bytes(bytes).unwrap();
    let mut it = r.records();
    let got: Vec<Owned> = it.by_ref().map(Owned::from).collect();
    (got, it.tail().cloned())
}

#[test]
fn round_trip_every_field_and_kind() {
    for chunk in [1, 200, 4096, 1 << 20] {
        let (bytes, want) = sample(chunk);
        let path = tmp(&format!("round_trip_{chunk}.kcap"));
        std::fs::write(&path, &bytes).unwrap();
        let r = CaptureReader::open(&path).unwrap();
        assert_eq!(r.header().info, "test sample");
        assert_eq!(r.header().created_unix_ns, 1_700_000_000_123_456_789);
        assert_eq!(r.header().version, 1);
        let mut it = r.records();
        let got: Vec<Owned> = it.by_ref().map(Owned::from).collect();
        assert_eq!(it.tail(), None, "chunk {chunk}");
        assert_eq!(got, want, "chunk {chunk}");
        assert_eq!(it.symbol_name(0), Some("BTCUSDT"));
        assert_eq!(it.symbol_name(1), Some("ETHUSDT"));
        assert_eq!(it.symbol_name(2), None);
        assert_eq!(it.offset(), bytes.len() as u64);
        let scan = r.scan();
        assert_eq!(scan.chunks as usize, chunk_starts(&bytes).len());
        assert_eq!(scan.records_by_kind, [61, 2, 2, 1, 1]);
        assert_eq!(scan.tail, None);
        assert_eq!(scan.sound_bytes, bytes.len() as u64);
        let kinds: Vec<RecordKind> = got.iter().map(|o| o.kind).collect();
        for k in RecordKind::ALL {
            assert!(kinds.contains(&k), "{k:?} written");
        }
    }
    // One record per chunk when the chunk size is 1 byte.
    let (bytes, want) = sample(1);
    assert_eq!(chunk_starts(&bytes).len(), want.len());
}

#[test]
fn empty_capture_and_bad_headers() {
    let (bytes, _) = CaptureWriter::new(Vec::new(), "empty")
        .unwrap()
        .finish()
        .unwrap();
    let (got, tail) = read_all(bytes.clone());
    assert!(got.is_empty());
    assert_eq!(tail, None);
    // Cut anywhere inside the file header: an open error, never a panic.
    for cut in 0..bytes.len() {
        let e = CaptureReader::from_bytes(bytes[..cut].to_vec()).unwrap_err();
        assert!(matches!(e, OpenError::TooShort { .. }), "cut {cut}: {e}");
    }
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert!(matches!(
        CaptureReader::from_bytes(bad).unwrap_err(),
        OpenError::BadMagic { .. }
    ));
    let mut bad = bytes.clone();
    bad[8] = 9;
    assert!(matches!(
        CaptureReader::from_bytes(bad).unwrap_err(),
        OpenError::UnsupportedVersion { found: 9, .. }
    ));
    let mut bad = bytes.clone();
    bad[FILE_HEADER_FIXED_BYTES] ^= 1;
    assert!(matches!(
        CaptureReader::from_bytes(bad).unwrap_err(),
        OpenError::HeaderCrc { .. }
    ));
    let path = tmp("empty_file.kcap");
    std::fs::write(&path, b"").unwrap();
    assert!(matches!(
        CaptureReader::open(&path).unwrap_err(),
        OpenError::TooShort { len: 0, .. }
    ));
}

#[test]
fn truncated_last_chunk_at_every_offset() {
    let (bytes, want) = sample(300);
    let starts = chunk_starts(&bytes);
    assert!(starts.len() >= 4, "{} chunks", starts.len());
    let last = *starts.last().unwrap();
    // Records that live in the chunks before the last one.
    let (prefix_all, _) = read_all(bytes[..last].to_vec());
    assert!(!prefix_all.is_empty() && prefix_all.len() < want.len());
    assert_eq!(prefix_all[..], want[..prefix_all.len()]);
    for cut in last..bytes.len() {
        let (got, tail) = read_all(bytes[..cut].to_vec());
        assert_eq!(got, prefix_all, "cut at {cut}");
        if cut == last {
            assert_eq!(tail, None, "a cut at a chunk boundary is a clean end");
            continue;
        }
        let tail = tail.unwrap_or_else(|| panic!("cut at {cut}: no tail reported"));
        assert_eq!(tail.offset, last as u64, "cut at {cut}");
        assert_eq!(tail.chunk as usize, starts.len() - 1);
        assert!(
            matches!(tail.reason, TailReason::Truncated { .. }),
            "cut at {cut}: {tail}"
        );
    }
}

#[test]
fn flipped_byte_in_a_middle_chunk() {
    let (bytes, want) = sample(300);
    let starts = chunk_starts(&bytes);
    let mid = starts.len() / 2;
    let (from, to) = (starts[mid], starts[mid + 1]);
    let (prefix, _) = read_all(bytes[..from].to_vec());
    assert_eq!(prefix[..], want[..prefix.len()]);
    for at in from..to {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[at] ^= mask;
            let (got, tail) = read_all(bad);
            assert_eq!(got, prefix, "flip {mask:#x} at {at}");
            let tail = tail.unwrap_or_else(|| panic!("flip at {at}: no tail"));
            assert_eq!(tail.offset, from as u64, "flip at {at}: {tail}");
            assert_eq!(tail.chunk as usize, mid);
        }
    }
    // Garbage appended after a sound file.
    let mut long = bytes.clone();
    long.extend_from_slice(b"garbage after the last chunk, long enough for a header");
    let (got, tail) = read_all(long);
    assert_eq!(got, want);
    let tail = tail.unwrap();
    assert_eq!(tail.offset, bytes.len() as u64);
    assert!(matches!(tail.reason, TailReason::BadChunkMagic { .. }));
}

#[test]
fn reader_survives_random_bytes() {
    let (bytes, _) = sample(300);
    let header_len = chunk_starts(&bytes)[0];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2000 {
        let mut b = bytes[..header_len].to_vec();
        let n = (rnd() % 400) as usize;
        // Sometimes a plausible chunk header with random fields.
        if rnd() % 2 == 0 {
            b.extend_from_slice(&CHUNK_MAGIC);
        }
        b.extend((0..n).map(|_| rnd() as u8));
        let r = CaptureReader::from_bytes(b).unwrap();
        let mut it = r.records();
        for _ in it.by_ref() {}
        assert!(it.tail().is_some() || it.offset() as usize == header_len);
    }
}

#[test]
fn writer_rejects_bad_records() {
    let mut w = CaptureWriter::new(Vec::new(), "x").unwrap();
    let frame = |symbol| RecordRef {
        recv_ns: 1,
        conn: 0,
        symbol,
        kind: RecordKind::Frame,
        payload: b"{}",
    };
    assert!(matches!(
        w.write(&frame(0)),
        Err(WriteError::UndefinedSymbol { symbol: 0, .. })
    ));
    assert!(matches!(
        w.symbol_id(b"btcusdt", 1, 0),
        Err(WriteError::BadSymbolName { .. })
    ));
    assert!(matches!(
        w.symbol_id(b"", 1, 0),
        Err(WriteError::BadSymbolName { .. })
    ));
    assert_eq!(w.symbol_id(b"BTCUSDT", 1, 0).unwrap(), 0);
    w.write(&frame(0)).unwrap();
    w.write(&frame(NO_SYMBOL)).unwrap();
    let redefine = RecordRef {
        recv_ns: 1,
        conn: 0,
        symbol: 0,
        kind: RecordKind::Symbol,
        payload: b"ETHUSDT",
    };
    assert!(matches!(
        w.write(&redefine),
        Err(WriteError::SymbolRedefined { .. })
    ));
    let skip = RecordRef {
        symbol: 5,
        ..redefine
    };
    assert!(matches!(
        w.write(&skip),
        Err(WriteError::SymbolRedefined { .. })
    ));
    let huge = vec![b'x'; MAX_RECORD_PAYLOAD_BYTES + 1];
    assert!(matches!(
        w.write(&RecordRef {
            payload: &huge,
            ..frame(0)
        }),
        Err(WriteError::PayloadTooLarge { .. })
    ));
    assert!(matches!(
        CaptureWriter::with_options(Vec::new(), "", 0, 0),
        Err(WriteError::BadChunkSize(0))
    ));
    // The failed writes left nothing behind.
    let (bytes, stats) = w.finish().unwrap();
    assert_eq!(stats.records(), 3);
    let (got, tail) = read_all(bytes);
    assert_eq!(got.len(), 3);
    assert_eq!(tail, None);
}

/// A writer whose output fails after `ok` bytes.
struct FailAfter {
    out: Vec<u8>,
    ok: usize,
}

impl Write for FailAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.ok.saturating_sub(self.out.len());
        if room == 0 {
            return Err(std::io::Error::other("disk full"));
        }
        let n = room.min(buf.len());
        self.out.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn failed_write_never_leaves_an_acceptable_half_chunk() {
    let (full, want) = sample(300);
    let starts = chunk_starts(&full);
    for ok in (starts[1]..starts[3]).step_by(7) {
        let mut w = CaptureWriter::with_options(
            FailAfter {
                out: Vec::new(),
                ok,
            },
            "test sample",
            1_700_000_000_123_456_789,
            300,
        )
        .unwrap();
        let mut failed = false;
        for r in &want {
            let rec = RecordRef {
                recv_ns: r.recv_ns,
                conn: r.conn,
                symbol: r.symbol,
                kind: r.kind,
                payload: &r.payload,
            };
            if w.write(&rec).is_err() {
                failed = true;
                assert!(matches!(w.write(&rec), Err(WriteError::Poisoned)));
                break;
            }
        }
        assert!(failed);
        assert!(matches!(w.finish(), Err(WriteError::Poisoned)));
        // What reached the output: only whole chunks are accepted.
        let out = full[..ok].to_vec();
        let (got, _) = read_all(out);
        let whole = starts.iter().filter(|&&s| s <= ok).count();
        let (expect, _) = read_all(full[..starts[whole - 1]].to_vec());
        assert_eq!(got, expect, "output cut at {ok}");
    }
}

// ---------------------------------------------------------------- importers

/// Independent split of an hftbacktest line: (timestamp, message).
fn hft_split(line: &[u8]) -> (u64, &[u8]) {
    let sp = line.iter().position(|&b| b == b' ').unwrap();
    let ts = std::str::from_utf8(&line[..sp]).unwrap().parse().unwrap();
    (ts, &line[sp + 1..])
}

#[test]
fn import_hftbacktest_fixture() {
    let lines = lines_of(HFT);
    assert_eq!(lines.len(), 3000);
    // Independent count, by substring.
    let count = |pat: &str| {
        lines
            .iter()
            .filter(|l| l.windows(pat.len()).any(|w| w == pat.as_bytes()))
            .count() as u64
    };
    let book = count(r#"{"stream":"btcusdt@bookTicker""#);
    let trade = count(r#"{"stream":"btcusdt@trade""#);
    let depth = count(r#"{"stream":"btcusdt@depth@100ms""#);
    let snap = count(r#" {"lastUpdateId":"#);
    assert_eq!((book, trade, depth, snap), (2200, 518, 281, 1));

    let mut r = ImportReader::open(&tick(HFT), InputFormat::Hftbacktest).unwrap();
    let (mut n_book, mut n_trade, mut n_depth, mut n_snap) = (0u64, 0u64, 0u64, 0u64);
    let mut i = 0;
    while let Some(item) = r.next() {
        let rec = item.unwrap();
        let (ts, msg) = hft_split(&lines[i]);
        assert_eq!(rec.line, i as u64 + 1);
        assert_eq!(rec.recv_ns, ts, "line {}: the 2024 file is in ns", rec.line);
        assert!((1_723_161_253_000_000_000..1_723_161_600_000_000_000).contains(&rec.recv_ns));
        assert_eq!(rec.payload, msg, "line {}", rec.line);
        assert_eq!(rec.symbol, 0);
        assert_eq!(rec.symbol_name, Some("BTCUSDT"));
        assert_eq!(rec.conn, 0);
        match (rec.kind, rec.stream) {
            (RecordKind::Frame, Some("btcusdt@bookTicker")) => n_book += 1,
            (RecordKind::Frame, Some("btcusdt@trade")) => n_trade += 1,
            (RecordKind::Frame, Some("btcusdt@depth@100ms")) => n_depth += 1,
            (RecordKind::Snapshot, None) => {
                n_snap += 1;
                assert_eq!(rec.line, 8);
            }
            other => panic!("line {}: unexpected {other:?}", rec.line),
        }
        i += 1;
    }
    assert_eq!(
        (n_book, n_trade, n_depth, n_snap),
        (book, trade, depth, snap)
    );
    let s = r.stats();
    assert_eq!(s.records(), 3000);
    assert_eq!(s.records_by_kind[RecordKind::Frame as usize], 2999);
    assert_eq!(s.records_by_kind[RecordKind::Snapshot as usize], 1);
    assert_eq!((s.malformed, s.lines, s.gzip), (0, 3000, true));
    assert_eq!(r.symbols().collect::<Vec<_>>(), ["BTCUSDT"]);
}

/// Independent conversion of `s.frac` seconds to ns (string padding).
fn secs_to_ns(ts: &str) -> u64 {
    let (int, frac) = ts.split_once('.').unwrap_or((ts, ""));
    let mut frac = frac.to_string();
    frac.truncate(9);
    while frac.len() < 9 {
        frac.push('0');
    }
    format!("{int}{frac}").parse().unwrap()
}

#[test]
fn import_cryptofeed_fixture() {
    let lines = lines_of(CF);
    assert_eq!(lines.len(), 800);
    let mut r = ImportReader::open(&tick(CF), InputFormat::Cryptofeed).unwrap();
    let mut by_stream: std::collections::BTreeMap<String, u64> = Default::default();
    let mut connects = 0;
    let mut seven_digit = 0;
    while let Some(item) = r.next() {
        let rec = item.unwrap();
        let line = &lines[rec.line as usize - 1];
        match rec.kind {
            RecordKind::Connect => {
                connects += 1;
                assert_eq!(rec.line, 1);
                assert!(rec
                    .payload
                    .starts_with(b"wss://stream.binance.com:9443/stream?streams="));
                assert_eq!(rec.recv_ns, 1_617_566_590_378_895_000);
                assert_eq!(rec.symbol, NO_SYMBOL);
            }
            RecordKind::Frame => {
                let text = std::str::from_utf8(line).unwrap();
                let (ts, msg) = text.split_once(": ").unwrap();
                assert_eq!(rec.payload, msg.as_bytes(), "line {}", rec.line);
                assert_eq!(rec.recv_ns, secs_to_ns(ts), "line {}: {ts}", rec.line);
                if ts.split_once('.').is_some_and(|(_, f)| f.len() > 6) {
                    seven_digit += 1;
                }
                let stream = rec.stream.unwrap();
                let (sym, kind) = stream.split_once('@').unwrap();
                assert_eq!(rec.symbol_name, Some(sym.to_ascii_uppercase().as_str()));
                let kind = if kind.starts_with("depth") {
                    "depth"
                } else {
                    kind
                };
                *by_stream.entry(kind.to_string()).or_default() += 1;
            }
            other => panic!("line {}: unexpected {other:?}", rec.line),
        }
    }
    assert_eq!(connects, 1);
    assert!(seven_digit > 0, "the fixture has sub-µs fractions");
    let want: std::collections::BTreeMap<String, u64> = [
        ("aggTrade".to_string(), 362),
        ("depth".to_string(), 418),
        ("kline_1m".to_string(), 19),
    ]
    .into();
    assert_eq!(by_stream, want);
    assert_eq!(
        r.symbols().collect::<Vec<_>>(),
        ["DOTUSDT", "BTCUSDT", "ETHUSDT"]
    );
    assert_eq!(r.stats().malformed, 0);
    assert_eq!(r.stats().records(), 800);
}

/// (line, kind, symbol, recv_ns, payload) of one imported record.
type Imported = (u64, RecordKind, u16, u64, Vec<u8>);

fn import_text(
    text: &str,
    format: InputFormat,
) -> (Vec<Imported>, Vec<(u64, LineErrorKind)>, ImportReader) {
    let mut r = ImportReader::from_reader(Cursor::new(text.as_bytes().to_vec()), format).unwrap();
    let mut recs = Vec::new();
    let mut errs = Vec::new();
    while let Some(item) = r.next() {
        match item {
            Ok(rec) => recs.push((
                rec.line,
                rec.kind,
                rec.symbol,
                rec.recv_ns,
                rec.payload.to_vec(),
            )),
            Err(e) => errs.push((e.line, e.kind)),
        }
    }
    (recs, errs, r)
}

#[test]
fn cryptofeed_malformed_lines_and_units() {
    let frame = r#"{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT","a":1}}"#;
    let text = format!(
        "configuration: {{\"l2_book\":[\"BTC-USDT\"]}}\n\
         wss://stream.binance.com:9443/stream?streams=btcusdt@aggTrade <-> 1617566590.378895\n\
         1617566591.326123: {frame}\n\
         this is garbage\n\
         1617566591.4: {{\"stream\":\"btcusdt@aggTrade\",\"data\":{{\"e\":\"agg\n\
         : {frame}\n\
         {frame}\n\
         \n\
         1617566591326123: {frame}\r\n\
         1617566591326: {frame}\n\
         https://www.binance.com/api/v1/depth?symbol=ethusdt&limit=1000 -> 1617566592.1065369: {{\"lastUpdateId\":5,\"bids\":[],\"asks\":[]}}\n\
         https://www.binance.com/api/v1/depth?limit=1000 -> 1617566592.1: {{\"lastUpdateId\":5,\"bids\":[],\"asks\":[]}}\n\
         16175665x1.2: {frame}\n\
         1617566593.5:\n\
         wss://stream.binance.com:9443/stream?streams=ethusdt@trade <-> 1617566594\n\
         1617566595.000000001: {{\"result\":null,\"id\":1}}\n"
    );
    let (recs, errs, r) = import_text(&text, InputFormat::Cryptofeed);
    let lines_kinds: Vec<(u64, RecordKind, u16)> = recs.iter().map(|r| (r.0, r.1, r.2)).collect();
    assert_eq!(
        lines_kinds,
        [
            (2, RecordKind::Connect, NO_SYMBOL),
            (3, RecordKind::Frame, 0),
            (9, RecordKind::Frame, 0),
            (10, RecordKind::Frame, 0),
            (11, RecordKind::Snapshot, 1),
            (15, RecordKind::Connect, NO_SYMBOL),
            (16, RecordKind::Frame, NO_SYMBOL),
        ]
    );
    let times: Vec<u64> = recs.iter().map(|r| r.3).collect();
    assert_eq!(
        times,
        [
            1_617_566_590_378_895_000,
            1_617_566_591_326_123_000,
            1_617_566_591_326_123_000, // µs integer
            1_617_566_591_326_000_000, // ms integer
            1_617_566_592_106_536_900,
            1_617_566_594_000_000_000,
            1_617_566_595_000_000_001,
        ]
    );
    assert_eq!(recs[1].4, frame.as_bytes());
    assert_eq!(recs[2].4, frame.as_bytes(), "\\r\\n stripped");
    let err_lines: Vec<u64> = errs.iter().map(|e| e.0).collect();
    assert_eq!(err_lines, [4, 5, 6, 7, 12, 13, 14]);
    assert_eq!(errs[0].1, LineErrorKind::UnknownLine);
    assert!(
        matches!(errs[1].1, LineErrorKind::BadJson(_)),
        "{:?}",
        errs[1]
    );
    assert_eq!(errs[2].1, LineErrorKind::NoTimestamp);
    assert_eq!(errs[3].1, LineErrorKind::NoTimestamp);
    assert_eq!(errs[4].1, LineErrorKind::NoSymbolInUrl);
    assert!(matches!(errs[5].1, LineErrorKind::BadTimestamp(_)));
    assert_eq!(errs[6].1, LineErrorKind::NoMessage);
    let s = r.stats();
    assert_eq!(s.malformed, 7);
    assert_eq!(s.examples.len(), 7);
    assert_eq!(s.examples[0].line, 4);
    assert_eq!(
        s.examples[0].to_string(),
        format!("line 4: {}", LineErrorKind::UnknownLine)
    );
    assert_eq!((s.config_lines, s.blank_lines, s.lines), (1, 1, 16));
    assert!(!s.gzip);
    assert_eq!(r.symbols().collect::<Vec<_>>(), ["BTCUSDT", "ETHUSDT"]);
}

#[test]
fn hftbacktest_snapshot_symbol_rule_and_malformed_lines() {
    let snap = r#"{"lastUpdateId":7,"bids":[],"asks":[]}"#;
    let eth = r#"{"stream":"ethusdt@trade","data":{"e":"trade"}}"#;
    let btc = r#"{"stream":"btcusdt@trade","data":{"e":"trade"}}"#;
    // A snapshot before any stream line takes the first symbol after it; the
    // lines read ahead keep their order and numbers.
    let text = format!(
        "1680652800004107 {snap}\n\
         garbage\n\
         1680652800004108 {eth}\n\
         1680652800004109 {btc}\n\
         1680652800004110 {snap}\n\
         1680652800004111 {{\"stream\":\"btcusdt@trade\",\"data\":{{\n\
         {btc}\n\
         1680652800004112\n\
         1680652800.5 {eth}\n"
    );
    let (recs, errs, r) = import_text(&text, InputFormat::Hftbacktest);
    let got: Vec<(u64, RecordKind, u16, u64)> = recs.iter().map(|r| (r.0, r.1, r.2, r.3)).collect();
    assert_eq!(
        got,
        [
            (1, RecordKind::Snapshot, 0, 1_680_652_800_004_107_000),
            (3, RecordKind::Frame, 0, 1_680_652_800_004_108_000),
            (4, RecordKind::Frame, 1, 1_680_652_800_004_109_000),
            (5, RecordKind::Snapshot, 1, 1_680_652_800_004_110_000),
            (9, RecordKind::Frame, 0, 1_680_652_800_500_000_000),
        ]
    );
    assert_eq!(recs[0].4, snap.as_bytes());
    assert_eq!(r.symbols().collect::<Vec<_>>(), ["ETHUSDT", "BTCUSDT"]);
    let err: Vec<(u64, &LineErrorKind)> = errs.iter().map(|e| (e.0, &e.1)).collect();
    assert_eq!(err.len(), 4, "{err:?}");
    assert_eq!(err[0], (2, &LineErrorKind::NoTimestamp));
    assert_eq!(err[1].0, 6);
    assert!(matches!(err[1].1, LineErrorKind::BadJson(_)));
    assert_eq!(err[2], (7, &LineErrorKind::NoTimestamp));
    assert_eq!(err[3], (8, &LineErrorKind::NoMessage));

    // A snapshot with no stream line anywhere is malformed, not guessed.
    let (recs, errs, _) = import_text(&format!("1 {snap}\n"), InputFormat::Hftbacktest);
    assert!(recs.is_empty());
    assert_eq!(errs, [(1, LineErrorKind::SnapshotWithoutSymbol)]);
}

#[test]
fn gzip_is_detected_by_content_not_name() {
    let text = std::fs::read(tick(HFT)).unwrap();
    let gz_named_txt = tmp("looks_plain.txt");
    std::fs::write(&gz_named_txt, &text).unwrap();
    let mut plain = Vec::new();
    MultiGzDecoder::new(&text[..])
        .read_to_end(&mut plain)
        .unwrap();
    let plain_named_gz = tmp("looks_gzip.gz");
    std::fs::write(&plain_named_gz, &plain).unwrap();
    for (path, gzip) in [(gz_named_txt, true), (plain_named_gz, false)] {
        let mut r = ImportReader::open(&path, InputFormat::Hftbacktest).unwrap();
        let mut n = 0;
        while let Some(item) = r.next() {
            item.unwrap();
            n += 1;
        }
        assert_eq!(n, 3000);
        assert_eq!(r.stats().gzip, gzip);
    }
    // A gzip stream cut short: the records before the cut, then one read error.
    let cut = &text[..text.len() / 2];
    let mut r =
        ImportReader::from_reader(Cursor::new(cut.to_vec()), InputFormat::Hftbacktest).unwrap();
    let (mut ok, mut bad) = (0, 0);
    while let Some(item) = r.next() {
        match item {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(matches!(e.kind, LineErrorKind::Io(_)), "{e}");
                bad += 1;
            }
        }
    }
    assert!(ok > 100 && ok < 3000, "{ok}");
    assert_eq!(bad, 1);
    assert!(r.stats().read_error.is_some());
    assert!(ImportReader::open(&tmp("does_not_exist"), InputFormat::Cryptofeed).is_err());
}

// ---------------------------------------------------------------- convert

fn kairos(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kairos"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn convert_then_read_back_byte_identical() {
    for (format, name) in [("hftbacktest", HFT), ("cryptofeed", CF)] {
        let out = tmp(&format!("convert_{format}.kcap"));
        let input = tick(name);
        let o = kairos(&[
            "convert".as_ref(),
            "--from".as_ref(),
            format.as_ref(),
            input.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{format}: {stderr}");
        assert!(stderr.contains("malformed lines: 0"), "{stderr}");

        let lines = lines_of(name);
        let r = CaptureReader::open(&out).unwrap();
        assert!(r.header().info.contains("convert --from"));
        let mut it = r.records();
        let mut i = 0;
        let mut symbols = Vec::new();
        let mut by_kind = [0u64; 5];
        while let Some(rec) = it.next() {
            by_kind[rec.kind as usize] += 1;
            if rec.kind == RecordKind::Symbol {
                symbols.push(String::from_utf8(rec.payload.to_vec()).unwrap());
                continue;
            }
            let line = &lines[i];
            i += 1;
            let want: &[u8] = match (format, rec.kind) {
                ("hftbacktest", _) => hft_split(line).1,
                ("cryptofeed", RecordKind::Connect) => {
                    let at = line.windows(5).position(|w| w == b" <-> ").unwrap();
                    &line[..at]
                }
                _ => {
                    let at = line.windows(2).position(|w| w == b": ").unwrap();
                    &line[at + 2..]
                }
            };
            assert_eq!(rec.payload, want, "{format} line {i}");
            if rec.symbol != NO_SYMBOL {
                let name = it.symbol_name(rec.symbol).unwrap();
                let lower = format!("\"{}@", name.to_ascii_lowercase());
                assert!(
                    rec.kind == RecordKind::Snapshot
                        || rec
                            .payload
                            .windows(lower.len())
                            .any(|w| w == lower.as_bytes()),
                    "{format} line {i}"
                );
            }
        }
        assert_eq!(it.tail(), None);
        assert_eq!(i, lines.len(), "{format}: one record per line");
        match format {
            "hftbacktest" => {
                assert_eq!(symbols, ["BTCUSDT"]);
                assert_eq!(by_kind, [2999, 1, 1, 0, 0]);
            }
            _ => {
                assert_eq!(symbols, ["DOTUSDT", "BTCUSDT", "ETHUSDT"]);
                assert_eq!(by_kind, [799, 0, 3, 1, 0]);
            }
        }
    }
}

#[test]
fn convert_several_inputs_and_a_missing_one() {
    let out = tmp("convert_two.kcap");
    let input = tick(HFT);
    let missing = tmp("no_such_input.gz");
    let o = kairos(&[
        "convert".as_ref(),
        "--from".as_ref(),
        "hftbacktest".as_ref(),
        input.as_os_str(),
        missing.as_os_str(),
        input.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1), "a missing input is exit 1");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("no_such_input.gz"), "{stderr}");
    let scan = CaptureReader::open(&out).unwrap().scan();
    // Both readable inputs, one symbol definition.
    assert_eq!(scan.records_by_kind, [2 * 2999, 2, 1, 0, 0]);
    assert_eq!(scan.tail, None);
}

mod header_decoder {
    use kairos_core::capture::format::{RecordHeader, BINCODE_CONFIG};
    use proptest::prelude::*;

    fn bincode_decode(b: &[u8]) -> Option<(RecordHeader, usize)> {
        bincode::decode_from_slice::<RecordHeader, _>(b, BINCODE_CONFIG).ok()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Any bytes: the hand decoder returns what bincode returns.
        #[test]
        fn hand_decoder_agrees_with_bincode_on_any_bytes(b in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(RecordHeader::decode_fast(&b), bincode_decode(&b));
        }

        /// Encoded headers, possibly cut short or with a byte changed.
        #[test]
        fn hand_decoder_agrees_with_bincode_on_encoded_headers(
            d in any::<i64>(), conn in any::<u16>(), symbol in any::<u16>(), kind in any::<u8>(),
            len in any::<u32>(), cut in 0usize..32, flip in any::<(usize, u8)>(), do_flip in any::<bool>(),
        ) {
            let h = RecordHeader { recv_delta_ns: d, conn, symbol, kind, payload_len: len };
            let mut b = bincode::encode_to_vec(h, BINCODE_CONFIG).unwrap();
            prop_assert_eq!(RecordHeader::decode_fast(&b), Some((h, b.len())));
            if do_flip {
                let i = flip.0 % b.len();
                b[i] = flip.1;
            }
            b.truncate(b.len().min(cut.max(1)) + if cut > 20 { 8 } else { 0 });
            prop_assert_eq!(RecordHeader::decode_fast(&b), bincode_decode(&b));
        }
    }
}
