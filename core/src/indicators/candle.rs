//! Candles: the [`Candle`] type, its [`Timeframe`], the klines CSV parsers
//! (the normalised 6-column files and Binance's 12-column dumps), and the
//! [`GapDetector`] that reports every missing interval.

use crate::num::{NumError, Price, Wide, SCALE};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Highest price a candle may carry, in whole quote units (10^9).
///
/// The indicators square exact price sums in `i128` (Bollinger width); this
/// limit keeps `N² · price²` for a 20-candle window far inside `i128`, and
/// converted prices far inside [`super::Fx`]'s integer range (2^63).
pub const MAX_CANDLE_PRICE_WHOLE: i64 = 1_000_000_000;
/// [`MAX_CANDLE_PRICE_WHOLE`] in 10^-8 units.
pub const MAX_CANDLE_PRICE_UNITS: i64 = MAX_CANDLE_PRICE_WHOLE * SCALE;
/// Highest volume a candle may carry, in whole base units (10^18): far above
/// any real kline, low enough that a window sum and `N × volume` stay inside
/// `i128` units and ratios inside [`super::Fx`].
pub const MAX_CANDLE_VOLUME_WHOLE: i128 = 1_000_000_000_000_000_000;
/// Longest klines CSV line accepted, in bytes (a 12-column row is ~150).
pub const MAX_KLINE_LINE_LEN: usize = 512;
/// Most candles one klines file may hold (ten years of 1 m candles).
pub const MAX_KLINES_PER_FILE: usize = 10 * 366 * 24 * 60;
/// Open times at or above this are microseconds (data.binance.vision writes
/// spot dumps in µs from 2025 on); in ms they would be after the year 33 000.
pub const MICROSECOND_THRESHOLD: i64 = 1_000_000_000_000_000;

/// A candle interval. Higher timeframes are aligned to UTC boundaries
/// (a 4 h candle opens at 00:00, 04:00, … UTC), as Binance aligns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timeframe {
    /// One minute.
    M1,
    /// Five minutes.
    M5,
    /// Fifteen minutes.
    M15,
    /// One hour.
    H1,
    /// Four hours.
    H4,
}

impl Timeframe {
    /// Every timeframe, shortest first.
    pub const ALL: [Timeframe; 5] = [
        Timeframe::M1,
        Timeframe::M5,
        Timeframe::M15,
        Timeframe::H1,
        Timeframe::H4,
    ];

    /// Length in milliseconds.
    pub const fn ms(self) -> i64 {
        const MINUTE: i64 = 60_000;
        match self {
            Timeframe::M1 => MINUTE,
            Timeframe::M5 => 5 * MINUTE,
            Timeframe::M15 => 15 * MINUTE,
            Timeframe::H1 => 60 * MINUTE,
            Timeframe::H4 => 240 * MINUTE,
        }
    }

    /// Binance's interval label (`1m`, `5m`, `15m`, `1h`, `4h`).
    pub const fn label(self) -> &'static str {
        match self {
            Timeframe::M1 => "1m",
            Timeframe::M5 => "5m",
            Timeframe::M15 => "15m",
            Timeframe::H1 => "1h",
            Timeframe::H4 => "4h",
        }
    }

    /// Parses Binance's interval label.
    pub fn from_label(s: &str) -> Option<Timeframe> {
        Timeframe::ALL.into_iter().find(|t| t.label() == s)
    }

    /// The open time of the candle of this timeframe that contains `t_ms`
    /// (UTC-aligned: the epoch is a boundary of every timeframe).
    pub const fn bucket_start(self, t_ms: i64) -> i64 {
        t_ms - t_ms.rem_euclid(self.ms())
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One closed OHLCV candle, exact decimals in, as the exchange sent them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candle {
    /// Open time, ms since the Unix epoch (UTC).
    pub open_time_ms: i64,
    /// The candle's interval.
    pub timeframe: Timeframe,
    /// Open price.
    pub open: Price,
    /// High price.
    pub high: Price,
    /// Low price.
    pub low: Price,
    /// Close price.
    pub close: Price,
    /// Base-asset volume ([`Wide`]: low-priced coins trade more than an `i64`
    /// of 10^-8 units in one candle).
    pub volume: Wide,
}

/// Why a candle's values are not a candle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CandleError {
    /// `high < max(open, close)` or `high < low`.
    #[error("high is below open, close or low")]
    HighTooLow,
    /// `low > min(open, close)`.
    #[error("low is above open or close")]
    LowTooHigh,
    /// A zero low: ratios to price would divide by zero.
    #[error("low price is zero")]
    ZeroPrice,
    /// A price above [`MAX_CANDLE_PRICE_WHOLE`].
    #[error("price above the limit of {MAX_CANDLE_PRICE_WHOLE}")]
    PriceTooHigh,
    /// A negative volume.
    #[error("volume is negative")]
    NegativeVolume,
    /// A volume above [`MAX_CANDLE_VOLUME_WHOLE`].
    #[error("volume above the limit of {MAX_CANDLE_VOLUME_WHOLE}")]
    VolumeTooLarge,
    /// An open time that is not a boundary of the timeframe (UTC-aligned).
    #[error("open time {open_time_ms} is not a multiple of the {timeframe} interval")]
    Misaligned {
        /// The open time.
        open_time_ms: i64,
        /// The timeframe it should be aligned to.
        timeframe: Timeframe,
    },
}

impl Candle {
    /// A validated candle: aligned open time, `low ≤ open, close ≤ high`,
    /// `0 < low`, prices and volume within their limits, volume ≥ 0.
    pub fn new(
        open_time_ms: i64,
        timeframe: Timeframe,
        open: Price,
        high: Price,
        low: Price,
        close: Price,
        volume: Wide,
    ) -> Result<Candle, CandleError> {
        if timeframe.bucket_start(open_time_ms) != open_time_ms {
            return Err(CandleError::Misaligned {
                open_time_ms,
                timeframe,
            });
        }
        if high < open || high < close || high < low {
            return Err(CandleError::HighTooLow);
        }
        if low > open || low > close {
            return Err(CandleError::LowTooHigh);
        }
        if low.is_zero() {
            return Err(CandleError::ZeroPrice);
        }
        if high.units() > MAX_CANDLE_PRICE_UNITS {
            return Err(CandleError::PriceTooHigh);
        }
        if volume.units() < 0 {
            return Err(CandleError::NegativeVolume);
        }
        if volume.units() > MAX_CANDLE_VOLUME_WHOLE * i128::from(SCALE) {
            return Err(CandleError::VolumeTooLarge);
        }
        Ok(Candle {
            open_time_ms,
            timeframe,
            open,
            high,
            low,
            close,
            volume,
        })
    }

    /// The open time of the next candle of the same timeframe.
    pub const fn next_open_ms(&self) -> i64 {
        self.open_time_ms.saturating_add(self.timeframe.ms())
    }

    /// Binance's close time: the last millisecond inside the candle.
    pub const fn close_time_ms(&self) -> i64 {
        self.next_open_ms() - 1
    }
}

/// A missing stretch between two candles of one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// Open time of the last candle before the gap.
    pub last_before_ms: i64,
    /// Open time of the first candle after the gap.
    pub first_after_ms: i64,
    /// How many candles are missing.
    pub missing: i64,
}

impl Gap {
    /// Length of the gap (from the end of the last candle to the next open).
    pub const fn missing_ms(&self, timeframe: Timeframe) -> i64 {
        self.missing * timeframe.ms()
    }
}

/// What one candle is relative to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The first candle seen.
    First,
    /// Exactly one interval after the previous candle.
    Next,
    /// Later than the next interval: candles are missing.
    Gap(Gap),
    /// At or before the previous candle (a repeat or a step back).
    NotAfter {
        /// Open time of the previous candle.
        previous_ms: i64,
    },
}

/// Classifies each candle of a series against the previous one, so a missing
/// interval is always reported and never silently bridged.
#[derive(Debug, Clone, Copy)]
pub struct GapDetector {
    timeframe: Timeframe,
    last_open_ms: Option<i64>,
}

impl GapDetector {
    /// A detector for one series of `timeframe` candles.
    pub const fn new(timeframe: Timeframe) -> GapDetector {
        GapDetector {
            timeframe,
            last_open_ms: None,
        }
    }

    /// Classifies the candle opening at `open_time_ms` and remembers it
    /// (unless it is [`Step::NotAfter`], which leaves the state unchanged).
    pub fn check(&mut self, open_time_ms: i64) -> Step {
        let step = match self.last_open_ms {
            None => Step::First,
            Some(prev) if open_time_ms <= prev => {
                return Step::NotAfter { previous_ms: prev };
            }
            Some(prev) => {
                let tf = self.timeframe.ms();
                let delta = open_time_ms - prev;
                if delta == tf {
                    Step::Next
                } else {
                    Step::Gap(Gap {
                        last_before_ms: prev,
                        first_after_ms: open_time_ms,
                        // Misaligned stamps count as a gap of at least one.
                        missing: (delta / tf - 1).max(1),
                    })
                }
            }
        };
        self.last_open_ms = Some(open_time_ms);
        step
    }

    /// Forgets the series.
    pub fn reset(&mut self) {
        self.last_open_ms = None;
    }
}

/// The continuity guard inside every indicator: one contiguous run of
/// candles of one timeframe. See the gap policy in [`super`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run {
    last_open_ms: i64,
    timeframe: Option<Timeframe>,
}

impl Run {
    pub(crate) const fn new() -> Run {
        Run {
            last_open_ms: i64::MIN,
            timeframe: None,
        }
    }

    /// Records `c`; `true` when it directly follows the previous candle of
    /// the same timeframe, `false` when it starts a new run (first candle,
    /// gap, repeat, step back, or another timeframe).
    #[inline]
    pub(crate) fn continues(&mut self, c: &Candle) -> bool {
        let next = self.timeframe == Some(c.timeframe)
            && self.last_open_ms.checked_add(c.timeframe.ms()) == Some(c.open_time_ms);
        self.last_open_ms = c.open_time_ms;
        self.timeframe = Some(c.timeframe);
        next
    }
}

/// A column of a klines row, for error messages.
const COLUMNS: [&str; 12] = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
];
/// Columns of the normalised files (`open_time_ms,open,high,low,close,volume`).
pub const NORMALISED_COLUMNS: usize = 6;
/// Columns of Binance's kline dumps and REST rows.
pub const BINANCE_COLUMNS: usize = 12;

/// What is wrong with one klines line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KlineProblem {
    /// Neither 6 nor 12 comma-separated columns.
    #[error("expected {NORMALISED_COLUMNS} or {BINANCE_COLUMNS} columns, found {found}")]
    Columns {
        /// Columns found.
        found: usize,
    },
    /// The line is longer than [`MAX_KLINE_LINE_LEN`].
    #[error("line is {len} bytes long, over the limit of {MAX_KLINE_LINE_LEN}")]
    TooLong {
        /// Length in bytes.
        len: usize,
    },
    /// A time column is not a whole number.
    #[error("column {column}: {text:?} is not a whole number of milliseconds")]
    Time {
        /// Column name.
        column: &'static str,
        /// The text found (cut to 40 bytes).
        text: String,
    },
    /// A decimal column does not parse.
    #[error("column {column}: {error}")]
    Decimal {
        /// Column name.
        column: &'static str,
        /// The decimal parser's complaint.
        error: NumError,
    },
    /// The values do not form a candle.
    #[error("{0}")]
    Candle(CandleError),
    /// A 12-column row whose close time is not `open_time + interval - 1`.
    #[error(
        "close_time {found} is not open_time + {timeframe} - 1 = {expected} (wrong interval?)"
    )]
    CloseTime {
        /// Expected close time.
        expected: i64,
        /// Close time found.
        found: i64,
        /// The timeframe the file was read as.
        timeframe: Timeframe,
    },
    /// A row at or before the previous row's open time.
    #[error("open time {open_time_ms} is not after the previous row's {previous_ms} (rows must be sorted and unique)")]
    NotAfter {
        /// This row's open time.
        open_time_ms: i64,
        /// The previous row's open time.
        previous_ms: i64,
    },
    /// More rows than [`MAX_KLINES_PER_FILE`].
    #[error("more than {MAX_KLINES_PER_FILE} rows")]
    TooManyRows,
    /// Reading failed.
    #[error("read error: {0}")]
    Io(String),
}

/// A klines line that could not be read: its 1-based line number and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct KlineError {
    /// 1-based line number (0 when the file could not be opened).
    pub line: u64,
    /// What is wrong with it.
    pub problem: KlineProblem,
}

fn time_field(column: &'static str, text: &str) -> Result<i64, KlineProblem> {
    text.parse::<i64>().map_err(|_| KlineProblem::Time {
        column,
        text: text.chars().take(40).collect(),
    })
}

fn to_ms(t: i64) -> i64 {
    if t >= MICROSECOND_THRESHOLD {
        t / 1000
    } else {
        t
    }
}

/// Parses one klines line: the 6-column normalised layout or Binance's
/// 12-column layout (told by the column count; for 12 columns the close time
/// is checked against `timeframe`). `Ok(None)` for a header line (its first
/// column starts with a letter). µs timestamps are read as ms.
pub fn parse_kline_line(line: &str, timeframe: Timeframe) -> Result<Option<Candle>, KlineProblem> {
    if line.len() > MAX_KLINE_LINE_LEN {
        return Err(KlineProblem::TooLong { len: line.len() });
    }
    let line = line.trim();
    if line.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
        return Ok(None);
    }
    let mut cols = [""; BINANCE_COLUMNS];
    let mut n = 0usize;
    for field in line.split(',') {
        if n < BINANCE_COLUMNS {
            cols[n] = field.trim();
        }
        n += 1;
    }
    if n != NORMALISED_COLUMNS && n != BINANCE_COLUMNS {
        return Err(KlineProblem::Columns { found: n });
    }
    let raw_open = time_field(COLUMNS[0], cols[0])?;
    let open_time_ms = to_ms(raw_open);
    let price = |i: usize| {
        Price::parse(cols[i]).map_err(|error| KlineProblem::Decimal {
            column: COLUMNS[i],
            error,
        })
    };
    let (open, high, low, close) = (price(1)?, price(2)?, price(3)?, price(4)?);
    let volume = Wide::parse(cols[5]).map_err(|error| KlineProblem::Decimal {
        column: COLUMNS[5],
        error,
    })?;
    if n == BINANCE_COLUMNS {
        let found = to_ms(time_field(COLUMNS[6], cols[6])?);
        let expected = open_time_ms + timeframe.ms() - 1;
        if found != expected {
            return Err(KlineProblem::CloseTime {
                expected,
                found,
                timeframe,
            });
        }
    }
    Candle::new(open_time_ms, timeframe, open, high, low, close, volume)
        .map(Some)
        .map_err(KlineProblem::Candle)
}

/// A klines series read from a file: its candles and every gap between them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Klines {
    /// The candles, sorted by open time, unique.
    pub candles: Vec<Candle>,
    /// Every place where consecutive candles are more than one interval apart.
    pub gaps: Vec<Gap>,
}

/// Reads klines CSV text (either layout, optional header), checking that rows
/// are sorted and unique, and listing the gaps.
pub fn read_klines<R: BufRead>(reader: R, timeframe: Timeframe) -> Result<Klines, KlineError> {
    let mut out = Klines::default();
    let mut detector = GapDetector::new(timeframe);
    for (i, line) in reader.lines().enumerate() {
        let line_no = i as u64 + 1;
        let err = |problem| KlineError {
            line: line_no,
            problem,
        };
        let line = line.map_err(|e| err(KlineProblem::Io(e.to_string())))?;
        if line.trim().is_empty() {
            continue;
        }
        let Some(c) = parse_kline_line(&line, timeframe).map_err(err)? else {
            continue;
        };
        match detector.check(c.open_time_ms) {
            Step::First | Step::Next => {}
            Step::Gap(g) => out.gaps.push(g),
            Step::NotAfter { previous_ms } => {
                return Err(err(KlineProblem::NotAfter {
                    open_time_ms: c.open_time_ms,
                    previous_ms,
                }))
            }
        }
        if out.candles.len() >= MAX_KLINES_PER_FILE {
            return Err(err(KlineProblem::TooManyRows));
        }
        out.candles.push(c);
    }
    Ok(out)
}

/// [`read_klines`] on a file, gzip-compressed or plain (told by its magic bytes).
pub fn read_klines_file(path: &Path, timeframe: Timeframe) -> Result<Klines, KlineError> {
    let open_err = |e: std::io::Error| KlineError {
        line: 0,
        problem: KlineProblem::Io(format!("{}: {e}", path.display())),
    };
    let mut file = std::fs::File::open(path).map_err(open_err)?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic).map_err(open_err)?;
    let file = std::fs::File::open(path).map_err(open_err)?;
    if n == 2 && magic == [0x1f, 0x8b] {
        read_klines(
            BufReader::new(flate2::read::MultiGzDecoder::new(file)),
            timeframe,
        )
    } else {
        read_klines(BufReader::new(file), timeframe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    #[test]
    fn parses_both_layouts_and_skips_headers() {
        let c = parse_kline_line(
            "1722003300000,67745.75,67784.0,67726.0,67768.0,26.98425",
            Timeframe::M1,
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.open_time_ms, 1_722_003_300_000);
        assert_eq!(c.high, p("67784"));
        assert_eq!(c.volume, Wide::parse("26.98425").unwrap());
        let raw = "1637971200000,0.00002853,0.00002854,0.00002851,0.00002854,36304.20000000,1637971259999,1.03547608,79,19523.00000000,0.55694227,0";
        let c = parse_kline_line(raw, Timeframe::M1).unwrap().unwrap();
        assert_eq!(c.close, p("0.00002854"));
        assert_eq!(c.close_time_ms(), 1_637_971_259_999);
        assert_eq!(
            parse_kline_line("open_time_ms,open,high,low,close,volume", Timeframe::M1),
            Ok(None)
        );
        // µs stamps (data.binance.vision spot dumps from 2025 on).
        let us = "1735689600000000,1,1,1,1,0,1735689659999999,0,0,0,0,0";
        let c = parse_kline_line(us, Timeframe::M1).unwrap().unwrap();
        assert_eq!(c.open_time_ms, 1_735_689_600_000);
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let text = "open_time_ms,open,high,low,close,volume\n\
                    60000,1,2,0.5,1.5,3\n\
                    120000,1,2,0.5,1.5e1,3\n";
        let e = read_klines(text.as_bytes(), Timeframe::M1).unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(
            e.to_string(),
            "line 3: column close: exponent notation is not accepted in a decimal (write it out in full)"
        );
        let cases: [(&str, &str); 6] = [
            ("60000,1,2,0.5,1.5", "expected 6 or 12 columns, found 5"),
            ("60000,1,0.9,0.5,1.5,3", "high is below open, close or low"),
            (
                "61000,1,2,0.5,1.5,3",
                "open time 61000 is not a multiple of the 1m interval",
            ),
            ("x6,1,2,0.5,1.5,3", ""),
            (
                "6x,1,2,0.5,1.5,3",
                "column open_time: \"6x\" is not a whole number of milliseconds",
            ),
            (
                "60000,1,2,0.5,1.5,3,60000,0,0,0,0,0",
                "close_time 60000 is not open_time + 1m - 1 = 119999 (wrong interval?)",
            ),
        ];
        for (line, want) in cases {
            match parse_kline_line(line, Timeframe::M1) {
                Ok(None) => assert_eq!(want, "", "{line}"),
                Ok(Some(c)) => panic!("{line} parsed as {c:?}"),
                Err(e) => assert_eq!(e.to_string(), want, "{line}"),
            }
        }
        let dup = "60000,1,2,0.5,1.5,3\n60000,1,2,0.5,1.5,3\n";
        let e = read_klines(dup.as_bytes(), Timeframe::M1).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.to_string().contains("not after the previous"), "{e}");
    }

    #[test]
    fn gap_detector_reports_a_34_hour_outage() {
        // Binance's 2018-02-08 outage in the shared 1 h file: the 00:00 candle,
        // then the next one 34 h later (33 hourly candles missing).
        let h = Timeframe::H1.ms();
        let t0 = 1_518_048_000_000; // 2018-02-08 00:00 UTC
        let mut d = GapDetector::new(Timeframe::H1);
        assert_eq!(d.check(t0 - h), Step::First);
        assert_eq!(d.check(t0), Step::Next);
        let g = match d.check(t0 + 34 * h) {
            Step::Gap(g) => g,
            s => panic!("{s:?}"),
        };
        assert_eq!(g.missing, 33);
        assert_eq!(g.missing_ms(Timeframe::H1), 33 * h);
        assert_eq!(
            d.check(t0),
            Step::NotAfter {
                previous_ms: t0 + 34 * h
            }
        );
        assert_eq!(d.check(t0 + 35 * h), Step::Next);
    }

    #[test]
    fn timeframes_align_to_utc() {
        // 2024-07-26 14:15 UTC.
        let t = 1_722_003_300_000;
        assert_eq!(Timeframe::M15.bucket_start(t), t);
        assert_eq!(Timeframe::H1.bucket_start(t), t - 15 * 60_000);
        assert_eq!(Timeframe::H4.bucket_start(t), t - (2 * 60 + 15) * 60_000);
        assert_eq!(Timeframe::from_label("4h"), Some(Timeframe::H4));
        assert_eq!(Timeframe::from_label("2h"), None);
    }
}
