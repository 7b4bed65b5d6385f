//! Live recording: the hot thread copies each frame into a lock-free SPSC
//! byte ring (ringbuf); a `journal`-like side thread writes them to a native
//! capture file. A full ring drops the record and counts it; the hot thread
//! never waits on the disk.

use crate::binance::fast::Symbol;
use crate::capture::{CaptureWriter, RecordKind, RecordRef, WriteError, WriteStats, NO_SYMBOL};
use crate::drive::live::Sink;
use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes of the ring between the hot thread and the writer.
pub const RECORD_RING_BYTES: usize = 64 << 20;
/// The writer closes its current chunk (making it durable on disk and
/// readable) at least this often while data flows.
pub const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// The writer sleeps this long when the ring is empty.
const WRITER_IDLE: Duration = Duration::from_millis(2);
/// kind u8, conn u16, symbol length u8, recv_ns u64, payload length u32.
const HEADER_BYTES: usize = 16;

/// The hot-thread end: a [`Sink`] for the live driver.
pub struct RecordSink {
    ring: HeapProd<u8>,
    /// Records dropped because the ring was full.
    pub dropped: u64,
    /// Records handed to the writer.
    pub queued: u64,
    writer: Option<JoinHandle<Result<WriteStats, WriteError>>>,
    stop: Arc<AtomicBool>,
}

impl RecordSink {
    /// Creates `path` (its header written now) and starts the writer thread.
    pub fn create(path: &Path, info: &str) -> Result<RecordSink, WriteError> {
        let writer = CaptureWriter::create(path, info)?;
        let (prod, cons) = HeapRb::<u8>::new(RECORD_RING_BYTES).split();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let handle = std::thread::Builder::new()
            .name("record".into())
            .spawn(move || write_loop(writer, cons, &stop2))?;
        Ok(RecordSink {
            ring: prod,
            dropped: 0,
            queued: 0,
            writer: Some(handle),
            stop,
        })
    }

    fn push(&mut self, kind: RecordKind, recv_ns: u64, conn: u16, symbol: &[u8], payload: &[u8]) {
        let total = HEADER_BYTES + symbol.len() + payload.len();
        if self.ring.vacant_len() < total || payload.len() > u32::MAX as usize {
            self.dropped += 1;
            return;
        }
        let mut h = [0u8; HEADER_BYTES];
        h[0] = kind.code();
        h[1..3].copy_from_slice(&conn.to_le_bytes());
        h[3] = symbol.len() as u8;
        h[4..12].copy_from_slice(&recv_ns.to_le_bytes());
        h[12..16].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        self.ring.push_slice(&h);
        self.ring.push_slice(symbol);
        self.ring.push_slice(payload);
        self.queued += 1;
    }

    /// Stops the writer after it has written everything queued, and returns
    /// its statistics.
    pub fn finish(mut self) -> Result<WriteStats, WriteError> {
        self.stop.store(true, Ordering::Release);
        match self.writer.take() {
            Some(h) => h
                .join()
                .map_err(|_| WriteError::Io(std::io::Error::other("the writer thread panicked")))?,
            None => Err(WriteError::Poisoned),
        }
    }
}

impl Drop for RecordSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.writer.take() {
            let _ = h.join();
        }
    }
}

impl Sink for RecordSink {
    fn frame(&mut self, recv_ns: u64, conn: u16, bytes: &[u8]) {
        self.push(RecordKind::Frame, recv_ns, conn, &[], bytes);
    }
    fn snapshot(&mut self, recv_ns: u64, conn: u16, symbol: &Symbol, bytes: &[u8]) {
        self.push(
            RecordKind::Snapshot,
            recv_ns,
            conn,
            symbol.as_str().as_bytes(),
            bytes,
        );
    }
    fn link(&mut self, recv_ns: u64, conn: u16, up: bool) {
        let kind = if up {
            RecordKind::Connect
        } else {
            RecordKind::Disconnect
        };
        self.push(kind, recv_ns, conn, &[], &[]);
    }
}

/// The symbol of a market frame (`"s":"BTCUSDT"`), found by a plain scan on
/// the writer thread, so that frames carry their symbol id in the file.
fn frame_symbol(frame: &[u8]) -> Option<&[u8]> {
    let key = b"\"s\":\"";
    let at = frame.windows(key.len()).position(|w| w == key)? + key.len();
    let len = frame[at..].iter().position(|&b| b == b'"')?;
    let name = &frame[at..at + len];
    (!name.is_empty() && name.len() <= 20 && name.iter().all(|b| b.is_ascii_alphanumeric()))
        .then_some(name)
}

fn write_loop(
    mut w: CaptureWriter<std::io::BufWriter<std::fs::File>>,
    mut ring: HeapCons<u8>,
    stop: &AtomicBool,
) -> Result<WriteStats, WriteError> {
    let mut payload = Vec::with_capacity(1 << 20);
    let mut symbol = [0u8; 255];
    let mut last_flush = Instant::now();
    let mut dirty = false;
    loop {
        if ring.occupied_len() < HEADER_BYTES {
            if dirty && last_flush.elapsed() >= FLUSH_EVERY {
                w.flush_chunk()?;
                dirty = false;
                last_flush = Instant::now();
            }
            // Read the flag before the final emptiness check: whatever was
            // pushed before `stop` was set is visible now.
            if stop.load(Ordering::Acquire) && ring.occupied_len() < HEADER_BYTES {
                break;
            }
            std::thread::sleep(WRITER_IDLE);
            continue;
        }
        let mut h = [0u8; HEADER_BYTES];
        ring.pop_slice(&mut h);
        let kind = RecordKind::from_code(h[0]).unwrap_or(RecordKind::Frame);
        let conn = u16::from_le_bytes([h[1], h[2]]);
        let sym_len = h[3] as usize;
        let recv_ns = u64::from_le_bytes(h[4..12].try_into().unwrap_or([0; 8]));
        let len = u32::from_le_bytes(h[12..16].try_into().unwrap_or([0; 4])) as usize;
        // The producer pushes a record's parts back to back: wait for the rest.
        while ring.occupied_len() < sym_len + len {
            std::thread::yield_now();
        }
        ring.pop_slice(&mut symbol[..sym_len]);
        payload.resize(len, 0);
        ring.pop_slice(&mut payload);
        let name: Option<&[u8]> = if sym_len > 0 {
            Some(&symbol[..sym_len])
        } else if kind == RecordKind::Frame {
            frame_symbol(&payload)
        } else {
            None
        };
        let sym = match name {
            Some(n) => w.symbol_id(&n.to_ascii_uppercase(), recv_ns, conn)?,
            None => NO_SYMBOL,
        };
        w.write(&RecordRef {
            recv_ns,
            conn,
            symbol: sym,
            kind,
            payload: &payload,
        })?;
        dirty = true;
        if last_flush.elapsed() >= FLUSH_EVERY {
            w.flush_chunk()?;
            dirty = false;
            last_flush = Instant::now();
        }
    }
    let (_, stats) = w.finish()?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::CaptureReader;

    #[test]
    fn frames_snapshots_and_links_reach_the_file_in_order_with_symbols() {
        let dir = std::env::temp_dir().join(format!("kairos-rec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.kcap");
        let mut s = RecordSink::create(&path, "test").unwrap();
        s.link(1, 0, true);
        s.frame(2, 0, br#"{"e":"trade","E":1,"s":"BTCUSDT","t":5}"#);
        s.snapshot(
            3,
            0,
            &Symbol::new(b"ETHUSDT").unwrap(),
            b"{\"lastUpdateId\":1,\"bids\":[],\"asks\":[]}",
        );
        s.frame(4, 0, br#"{"result":null,"id":1}"#);
        s.link(5, 0, false);
        assert_eq!((s.queued, s.dropped), (5, 0));
        let stats = s.finish().unwrap();
        assert!(stats.records() >= 5);
        let r = CaptureReader::open(&path).unwrap();
        let recs: Vec<_> = r
            .records()
            .filter(|x| x.kind != RecordKind::Symbol)
            .map(|x| (x.recv_ns, x.kind, x.symbol))
            .collect();
        assert_eq!(
            recs,
            vec![
                (1, RecordKind::Connect, NO_SYMBOL),
                (2, RecordKind::Frame, 0),
                (3, RecordKind::Snapshot, 1),
                (4, RecordKind::Frame, NO_SYMBOL),
                (5, RecordKind::Disconnect, NO_SYMBOL),
            ]
        );
    }

    #[test]
    fn symbols_are_found_only_where_they_are_well_formed() {
        assert_eq!(
            frame_symbol(br#"{"e":"x","s":"BNBUSDT","b":1}"#),
            Some(&b"BNBUSDT"[..])
        );
        assert_eq!(frame_symbol(br#"{"s":"B\"X"}"#), None);
        assert_eq!(frame_symbol(br#"{"u":1}"#), None);
        assert_eq!(frame_symbol(br#"{"s":""#), None);
    }
}
