//! Reading the sim's source: a capture (native `.kcap`, or an hftbacktest /
//! cryptofeed raw recording) or a klines CSV, as one stream of
//! [`SourceRecord`]s in file order, and the pre-scan that learns the
//! symbols, their id ranges and their price/quantity precision.

use super::stream::classify;
use crate::capture::{CaptureReader, ImportReader, InputFormat, RecordKind};
use crate::num::{Price, Qty};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Most klines rows loaded from one CSV.
pub const MAX_KLINE_ROWS: usize = 10_000_000;

/// The format of a capture file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaptureFormat {
    /// kairos's native `.kcap`.
    Native,
    /// An hftbacktest raw recording (`<ts> <json>` lines, gzip or plain).
    Hftbacktest,
    /// A cryptofeed raw recording.
    Cryptofeed,
}

impl CaptureFormat {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            CaptureFormat::Native => "native",
            CaptureFormat::Hftbacktest => "hftbacktest",
            CaptureFormat::Cryptofeed => "cryptofeed",
        }
    }
}

/// Where the sim's market comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimSource {
    /// A recorded capture: its frames are replayed, its REST snapshots seed the books.
    Capture {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: CaptureFormat,
    },
    /// A klines CSV (`open_time_ms,open,high,low,close,volume`, optionally
    /// gzip, header row optional): one closed `kline` event per row.
    Klines {
        /// The file.
        path: PathBuf,
        /// The symbol the candles belong to (`BTCUSDT`).
        symbol: String,
    },
}

/// Why the source cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file cannot be opened or read.
    #[error("{path}: {msg}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What failed.
        msg: String,
    },
    /// The file holds nothing the sim can serve.
    #[error("{path}: {msg}")]
    Empty {
        /// The file.
        path: PathBuf,
        /// What is missing.
        msg: String,
    },
}

/// What one record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A WebSocket frame to broadcast.
    Frame,
    /// A REST depth snapshot body (seeds the symbol's book; never broadcast).
    Snapshot,
}

/// One record of the source, borrowed from the reader.
#[derive(Debug, Clone, Copy)]
pub struct SourceRecord<'a> {
    /// Recorded receive time, ns since the epoch.
    pub recv_ns: u64,
    /// Frame or snapshot.
    pub kind: SourceKind,
    /// Upper-case symbol, when the recording names one.
    pub symbol: Option<&'a str>,
    /// The bytes as recorded.
    pub payload: &'a [u8],
}

/// Counters of one pass over the source.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassStats {
    /// Records handed to the callback.
    pub records: u64,
    /// Lines or records that could not be read (skipped).
    pub bad: u64,
}

/// Calls `f` for every frame and snapshot record of `source` in file order,
/// until `f` returns `false` or the source ends.
pub fn for_each_record(
    source: &SimSource,
    f: &mut dyn FnMut(SourceRecord<'_>) -> bool,
) -> Result<PassStats, SourceError> {
    let mut st = PassStats::default();
    match source {
        SimSource::Capture { path, format } => match format {
            CaptureFormat::Native => {
                let reader = CaptureReader::open(path).map_err(|e| open_err(path, e))?;
                let mut it = reader.records();
                while let Some(r) = it.next() {
                    let kind = match r.kind {
                        RecordKind::Frame => SourceKind::Frame,
                        RecordKind::Snapshot => SourceKind::Snapshot,
                        _ => continue,
                    };
                    st.records += 1;
                    let rec = SourceRecord {
                        recv_ns: r.recv_ns,
                        kind,
                        symbol: it.symbol_name(r.symbol),
                        payload: r.payload,
                    };
                    if !f(rec) {
                        break;
                    }
                }
                if it.tail().is_some() {
                    st.bad += 1;
                }
            }
            CaptureFormat::Hftbacktest | CaptureFormat::Cryptofeed => {
                let fmt = if *format == CaptureFormat::Hftbacktest {
                    InputFormat::Hftbacktest
                } else {
                    InputFormat::Cryptofeed
                };
                let mut reader = ImportReader::open(path, fmt).map_err(|e| open_err(path, e))?;
                while let Some(r) = reader.next() {
                    let Ok(r) = r else {
                        st.bad += 1;
                        continue;
                    };
                    let kind = match r.kind {
                        RecordKind::Frame => SourceKind::Frame,
                        RecordKind::Snapshot => SourceKind::Snapshot,
                        _ => continue,
                    };
                    st.records += 1;
                    let rec = SourceRecord {
                        recv_ns: r.recv_ns,
                        kind,
                        symbol: r.symbol_name,
                        payload: r.payload,
                    };
                    if !f(rec) {
                        break;
                    }
                }
            }
        },
        SimSource::Klines { path, symbol } => {
            let rows = read_klines(path)?;
            let interval_ms = kline_interval_ms(&rows);
            let interval = interval_name(interval_ms);
            for row in &rows {
                st.records += 1;
                let close_ms = row.open_ms.saturating_add(interval_ms);
                let payload = row.event_json(symbol, &interval, interval_ms);
                let rec = SourceRecord {
                    recv_ns: close_ms.saturating_mul(1_000_000),
                    kind: SourceKind::Frame,
                    symbol: Some(symbol),
                    payload: payload.as_bytes(),
                };
                if !f(rec) {
                    break;
                }
            }
        }
    }
    Ok(st)
}

fn open_err(path: &Path, e: impl std::fmt::Display) -> SourceError {
    SourceError::Open {
        path: path.to_path_buf(),
        msg: e.to_string(),
    }
}

/// What the pre-scan learnt about one symbol.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymbolInfo {
    /// Upper-case name.
    pub name: String,
    /// Whether the source holds a REST snapshot for it.
    pub has_snapshot: bool,
    /// `U` of its first diff.
    pub first_diff_id: Option<u64>,
    /// Smallest and largest update id seen (diffs, bookTickers, snapshots).
    pub id_range: Option<(u64, u64)>,
    /// Most decimal places seen in a price (0..=8).
    pub price_decimals: u32,
    /// Most decimal places seen in a quantity (0..=8).
    pub qty_decimals: u32,
}

impl SymbolInfo {
    fn see_id(&mut self, id: u64) {
        self.id_range = Some(match self.id_range {
            None => (id, id),
            Some((lo, hi)) => (lo.min(id), hi.max(id)),
        });
    }
}

/// What the pre-scan learnt about the whole source.
#[derive(Debug, Clone, Default)]
pub struct SourceInfo {
    /// Symbols by upper-case name.
    pub symbols: BTreeMap<String, SymbolInfo>,
    /// Frame and snapshot records.
    pub records: u64,
    /// Records that could not be read or classified.
    pub bad: u64,
}

/// Decimal places of a Binance decimal's significant fraction (`"0.01000000"` → 2).
fn decimals_of(s: &str) -> u32 {
    match s.split_once('.') {
        Some((_, frac)) => frac.trim_end_matches('0').len().min(8) as u32,
        None => 0,
    }
}

#[derive(serde::Deserialize)]
struct LevelsPeek {
    #[serde(default)]
    b: serde_json::Value,
    #[serde(default)]
    a: serde_json::Value,
    #[serde(default)]
    bids: serde_json::Value,
    #[serde(default)]
    asks: serde_json::Value,
    #[serde(default)]
    p: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default, rename = "lastUpdateId")]
    last_update_id: Option<u64>,
}

fn see_decimals(info: &mut SymbolInfo, body: &[u8]) {
    let Ok(l) = serde_json::from_slice::<LevelsPeek>(body) else {
        return;
    };
    let mut price = |s: &str| info.price_decimals = info.price_decimals.max(decimals_of(s));
    for side in [&l.b, &l.a, &l.bids, &l.asks] {
        match side {
            serde_json::Value::String(p) => price(p),
            serde_json::Value::Array(levels) => {
                for lv in levels {
                    if let Some(p) = lv.get(0).and_then(|p| p.as_str()) {
                        price(p);
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(p) = &l.p {
        price(p);
    }
    let mut qty = |s: &str| info.qty_decimals = info.qty_decimals.max(decimals_of(s));
    for side in [&l.b, &l.a, &l.bids, &l.asks] {
        if let serde_json::Value::Array(levels) = side {
            for lv in levels {
                if let Some(q) = lv.get(1).and_then(|q| q.as_str()) {
                    qty(q);
                }
            }
        }
    }
    if let Some(q) = &l.q {
        qty(q);
    }
}

/// One pass over the source to learn its symbols (see [`SourceInfo`]).
pub fn prescan(source: &SimSource) -> Result<SourceInfo, SourceError> {
    let mut info = SourceInfo::default();
    let mut unclassified = 0u64;
    let st = for_each_record(source, &mut |r| {
        match r.kind {
            SourceKind::Snapshot => {
                let Some(sym) = r.symbol else {
                    unclassified += 1;
                    return true;
                };
                let s = entry(&mut info.symbols, sym);
                s.has_snapshot = true;
                if let Ok(l) = serde_json::from_slice::<LevelsPeek>(r.payload) {
                    if let Some(id) = l.last_update_id {
                        s.see_id(id);
                    }
                }
                see_decimals(s, r.payload);
            }
            SourceKind::Frame => {
                let Some((frame, peek)) = classify(r.payload) else {
                    unclassified += 1;
                    return true;
                };
                let name = frame.key.symbol.to_ascii_uppercase();
                let s = entry(&mut info.symbols, &name);
                if frame.is_diff() && s.first_diff_id.is_none() {
                    s.first_diff_id = peek.first_id;
                }
                for id in [peek.first_id, peek.last_id].into_iter().flatten() {
                    s.see_id(id);
                }
                see_decimals(s, &frame.bare);
            }
        }
        true
    })?;
    info.records = st.records;
    info.bad = st.bad + unclassified;
    if info.symbols.is_empty() {
        let path = match source {
            SimSource::Capture { path, .. } | SimSource::Klines { path, .. } => path.clone(),
        };
        return Err(SourceError::Empty {
            path,
            msg: format!(
                "no market frame with a symbol in {} records ({} unreadable)",
                info.records, info.bad
            ),
        });
    }
    Ok(info)
}

fn entry<'m>(map: &'m mut BTreeMap<String, SymbolInfo>, name: &str) -> &'m mut SymbolInfo {
    map.entry(name.to_string()).or_insert_with(|| SymbolInfo {
        name: name.to_string(),
        ..SymbolInfo::default()
    })
}

/// One candle of a klines CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KlineRow {
    /// Open time, ms since the epoch.
    pub open_ms: u64,
    /// Open price.
    pub open: Price,
    /// High price.
    pub high: Price,
    /// Low price.
    pub low: Price,
    /// Close price.
    pub close: Price,
    /// Base-asset volume.
    pub volume: Qty,
}

impl KlineRow {
    /// Binance's closed-kline event (`"x":true`) for this candle.
    pub fn event_json(&self, symbol: &str, interval: &str, interval_ms: u64) -> String {
        let close_ms = self.open_ms.saturating_add(interval_ms);
        serde_json::json!({
            "e": "kline",
            "E": close_ms,
            "s": symbol,
            "k": {
                "t": self.open_ms,
                "T": close_ms.saturating_sub(1),
                "s": symbol,
                "i": interval,
                "f": -1,
                "L": -1,
                "o": self.open.to_string(),
                "c": self.close.to_string(),
                "h": self.high.to_string(),
                "l": self.low.to_string(),
                "v": self.volume.to_string(),
                "n": 0,
                "x": true,
                "q": "0.00000000",
                "V": "0.00000000",
                "Q": "0.00000000",
                "B": "0"
            }
        })
        .to_string()
    }
}

/// Parses one CSV line; `None` for a header or a malformed line.
pub fn parse_kline_line(line: &str) -> Option<KlineRow> {
    let mut f = line.trim().split(',');
    let open_ms = f.next()?.trim().parse::<u64>().ok()?;
    let mut price = || Price::parse(f.next()?.trim()).ok();
    let (open, high, low, close) = (price()?, price()?, price()?, price()?);
    let volume = Qty::parse(f.next()?.trim()).ok()?;
    Some(KlineRow {
        open_ms,
        open,
        high,
        low,
        close,
        volume,
    })
}

/// Reads a klines CSV (gzip told by its magic bytes).
pub fn read_klines(path: &Path) -> Result<Vec<KlineRow>, SourceError> {
    let mut file = std::fs::File::open(path).map_err(|e| open_err(path, e))?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic).map_err(|e| open_err(path, e))?;
    let file = std::fs::File::open(path).map_err(|e| open_err(path, e))?;
    let reader: Box<dyn BufRead> = if n == 2 && magic == [0x1f, 0x8b] {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut rows = Vec::new();
    for line in reader.lines() {
        let line = line.map_err(|e| open_err(path, e))?;
        if let Some(row) = parse_kline_line(&line) {
            if rows.len() >= MAX_KLINE_ROWS {
                break;
            }
            rows.push(row);
        }
    }
    if rows.is_empty() {
        return Err(SourceError::Empty {
            path: path.to_path_buf(),
            msg: "no `open_time_ms,open,high,low,close,volume` row".to_string(),
        });
    }
    Ok(rows)
}

/// The candle interval: the smallest positive gap between consecutive open
/// times (60 000 ms when there is only one row).
pub fn kline_interval_ms(rows: &[KlineRow]) -> u64 {
    rows.windows(2)
        .filter_map(|w| w[1].open_ms.checked_sub(w[0].open_ms))
        .filter(|d| *d > 0)
        .min()
        .unwrap_or(60_000)
}

/// Binance's name of an interval in ms (`60000` → `1m`); other lengths in seconds (`7s`).
pub fn interval_name(ms: u64) -> String {
    const NAMED: [(u64, &str); 15] = [
        (1_000, "1s"),
        (60_000, "1m"),
        (180_000, "3m"),
        (300_000, "5m"),
        (900_000, "15m"),
        (1_800_000, "30m"),
        (3_600_000, "1h"),
        (7_200_000, "2h"),
        (14_400_000, "4h"),
        (21_600_000, "6h"),
        (28_800_000, "8h"),
        (43_200_000, "12h"),
        (86_400_000, "1d"),
        (259_200_000, "3d"),
        (604_800_000, "1w"),
    ];
    NAMED
        .iter()
        .find(|(n, _)| *n == ms)
        .map(|(_, s)| s.to_string())
        .unwrap_or_else(|| format!("{}s", ms / 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(decimals_of("61837.63000000"), 2);
        assert_eq!(decimals_of("0.00001000"), 5);
        assert_eq!(decimals_of("7"), 0);
        assert_eq!(decimals_of("1.000000001"), 8);
    }

    #[test]
    fn kline_lines() {
        assert_eq!(
            parse_kline_line("open_time_ms,open,high,low,close,volume"),
            None
        );
        let r =
            parse_kline_line("1722003300000,67745.75,67784.0,67726.0,67768.0,26.98425").unwrap();
        assert_eq!(r.open_ms, 1722003300000);
        assert_eq!(r.high.to_string(), "67784.00000000");
        assert_eq!(r.volume.to_string(), "26.98425000");
        let ev: serde_json::Value =
            serde_json::from_str(&r.event_json("BTCUSDT", "1m", 60_000)).unwrap();
        assert_eq!(ev["e"], "kline");
        assert_eq!(ev["k"]["T"], 1722003359999u64);
        assert_eq!(ev["k"]["o"], "67745.75000000");
        assert_eq!(ev["k"]["x"], true);
        assert_eq!(parse_kline_line("1,2,3"), None);
    }

    #[test]
    fn intervals() {
        let row = |t| parse_kline_line(&format!("{t},1,1,1,1,1")).unwrap();
        assert_eq!(
            kline_interval_ms(&[row(0), row(300_000), row(900_000)]),
            300_000
        );
        assert_eq!(kline_interval_ms(&[row(0)]), 60_000);
        assert_eq!(interval_name(60_000), "1m");
        assert_eq!(interval_name(3_600_000), "1h");
        assert_eq!(interval_name(7_000), "7s");
    }
}
