//! Multi-timeframe aggregation: 1 m candles into UTC-aligned 5 m / 15 m /
//! 1 h / 4 h candles.
//!
//! A higher-timeframe candle is emitted, closed, as soon as either
//! - its last input interval arrives (the 1 m candle opening at 12:59 closes
//!   the 12:00 hour), or
//! - a later input candle proves it closed (the first candle after a gap
//!   belongs to a later bucket), or
//! - the caller's clock passes its end ([`Aggregator::close_due`], for a
//!   live feed whose minutes stop arriving).
//!
//! Gaps are never bridged: a bucket holds only the input candles that
//! arrived; [`AggregatedCandle::parts`] says how many, out of
//! [`AggregatedCandle::expected`]. A bucket with no input candle at all is
//! never emitted, so a higher-timeframe series has the same holes as the
//! exchange's own (the `indicators` integration test checks this against
//! Binance's 1 h klines across the 2023-03-24 outage). An incomplete bucket
//! is what Binance itself publishes for an hour in which trading stopped.

use super::candle::{Candle, Timeframe};
use crate::num::Wide;

/// A closed higher-timeframe candle and how complete it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregatedCandle {
    /// The candle (its timeframe is the aggregator's target).
    pub candle: Candle,
    /// Input candles it was built from.
    pub parts: u32,
    /// Input candles a complete bucket has (5 for 1 m → 5 m).
    pub expected: u32,
}

impl AggregatedCandle {
    /// Whether every input interval of the bucket arrived.
    pub fn is_complete(&self) -> bool {
        self.parts == self.expected
    }
}

/// What one input candle closed: nothing, one bucket, or two (a bucket
/// proven closed by this candle, then this candle's own bucket when the
/// candle is its last interval). Oldest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Closed {
    items: [Option<AggregatedCandle>; 2],
}

impl Closed {
    fn push(&mut self, a: AggregatedCandle) {
        let slot = if self.items[0].is_none() { 0 } else { 1 };
        debug_assert!(self.items[slot].is_none());
        self.items[slot] = Some(a);
    }

    /// The closed candles, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = AggregatedCandle> + '_ {
        self.items.iter().flatten().copied()
    }

    /// Whether nothing closed.
    pub fn is_empty(&self) -> bool {
        self.items[0].is_none()
    }

    /// The newest closed candle.
    pub fn last(&self) -> Option<AggregatedCandle> {
        self.items[1].or(self.items[0])
    }
}

/// Why an [`Aggregator`] cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot aggregate {input} candles into {target} candles (target must be a longer multiple)"
)]
pub struct AggregateError {
    /// Input timeframe.
    pub input: Timeframe,
    /// Target timeframe.
    pub target: Timeframe,
}

/// Builds `target` candles from `input` candles (see the module docs).
#[derive(Debug, Clone)]
pub struct Aggregator {
    input: Timeframe,
    target: Timeframe,
    current: Option<AggregatedCandle>,
    last_input_ms: Option<i64>,
    ignored: u64,
    gaps: u64,
}

impl Aggregator {
    /// An aggregator of `input` candles into `target` candles.
    pub fn new(input: Timeframe, target: Timeframe) -> Result<Aggregator, AggregateError> {
        if target.ms() <= input.ms() || target.ms() % input.ms() != 0 {
            return Err(AggregateError { input, target });
        }
        Ok(Aggregator {
            input,
            target,
            current: None,
            last_input_ms: None,
            ignored: 0,
            gaps: 0,
        })
    }

    /// The target timeframe.
    pub fn target(&self) -> Timeframe {
        self.target
    }

    /// Input candles ignored: another timeframe, or not after the previous one.
    pub fn ignored(&self) -> u64 {
        self.ignored
    }

    /// Gaps seen between input candles.
    pub fn gaps(&self) -> u64 {
        self.gaps
    }

    /// Feeds one closed input candle; returns the target candles it closed.
    pub fn update(&mut self, c: &Candle) -> Closed {
        let mut out = Closed::default();
        if c.timeframe != self.input || self.last_input_ms.is_some_and(|t| c.open_time_ms <= t) {
            self.ignored += 1;
            return out;
        }
        if self
            .last_input_ms
            .is_some_and(|t| t + self.input.ms() != c.open_time_ms)
        {
            self.gaps += 1;
        }
        self.last_input_ms = Some(c.open_time_ms);
        let span = self.target.ms();
        // Inside the open bucket its open time is the bucket start (saves a
        // division per input candle); otherwise compute it.
        let start = match self.current {
            Some(cur)
                if c.open_time_ms >= cur.candle.open_time_ms
                    && c.open_time_ms - cur.candle.open_time_ms < span =>
            {
                cur.candle.open_time_ms
            }
            _ => self.target.bucket_start(c.open_time_ms),
        };
        if let Some(cur) = self.current {
            if cur.candle.open_time_ms != start {
                out.push(cur);
                self.current = None;
            }
        }
        match &mut self.current {
            Some(cur) => {
                let k = &mut cur.candle;
                k.high = k.high.max(c.high);
                k.low = k.low.min(c.low);
                k.close = c.close;
                k.volume = Wide::from_units(k.volume.units().saturating_add(c.volume.units()))
                    .unwrap_or(Wide::MAX);
                cur.parts += 1;
            }
            None => {
                self.current = Some(AggregatedCandle {
                    candle: Candle {
                        open_time_ms: start,
                        timeframe: self.target,
                        ..*c
                    },
                    parts: 1,
                    expected: (self.target.ms() / self.input.ms()) as u32,
                });
            }
        }
        if c.next_open_ms() == start + span {
            if let Some(cur) = self.current.take() {
                out.push(cur);
            }
        }
        out
    }

    /// Emits the open bucket if it ended at or before `now_ms` (a live
    /// driver's clock, when input candles stop arriving).
    pub fn close_due(&mut self, now_ms: i64) -> Option<AggregatedCandle> {
        let cur = self.current?;
        (cur.candle.next_open_ms() <= now_ms).then(|| {
            self.current = None;
            cur
        })
    }

    /// The bucket being built, if any (not closed yet).
    pub fn pending(&self) -> Option<AggregatedCandle> {
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::Price;

    fn m1(minute: i64, o: i64, h: i64, l: i64, c: i64, v: i64) -> Candle {
        let p = |x: i64| Price::from_int(x).unwrap();
        Candle::new(
            minute * 60_000,
            Timeframe::M1,
            p(o),
            p(h),
            p(l),
            p(c),
            Wide::from_int(i128::from(v)).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn five_minutes_by_hand() {
        let mut a = Aggregator::new(Timeframe::M1, Timeframe::M5).unwrap();
        for m in 0..4 {
            assert!(a.update(&m1(m, 10 + m, 20 + m, 5, 11 + m, 1)).is_empty());
        }
        let out = a.update(&m1(4, 14, 30, 3, 15, 2));
        let k = out.last().unwrap();
        assert!(k.is_complete());
        assert_eq!(k.candle.open_time_ms, 0);
        assert_eq!(k.candle.timeframe, Timeframe::M5);
        assert_eq!(k.candle.open, Price::from_int(10).unwrap());
        assert_eq!(k.candle.high, Price::from_int(30).unwrap());
        assert_eq!(k.candle.low, Price::from_int(3).unwrap());
        assert_eq!(k.candle.close, Price::from_int(15).unwrap());
        assert_eq!(k.candle.volume, Wide::from_int(6).unwrap());
    }

    #[test]
    fn a_later_candle_proves_a_bucket_closed_and_gaps_are_not_filled() {
        let mut a = Aggregator::new(Timeframe::M1, Timeframe::M5).unwrap();
        a.update(&m1(0, 1, 1, 1, 1, 1));
        a.update(&m1(1, 2, 2, 2, 2, 1));
        // Minutes 2–13 missing; minute 14 is the last minute of bucket 10–14.
        let out = a.update(&m1(14, 3, 3, 3, 3, 1));
        let got: Vec<_> = out.iter().collect();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].candle.open_time_ms, got[0].parts, got[0].expected),
            (0, 2, 5)
        );
        assert!(!got[0].is_complete());
        assert_eq!((got[1].candle.open_time_ms, got[1].parts), (10 * 60_000, 1));
        // The empty bucket 5–9 was never emitted.
        assert_eq!(a.gaps(), 1);
        // A repeat is ignored.
        assert!(a.update(&m1(14, 3, 3, 3, 3, 1)).is_empty());
        assert_eq!(a.ignored(), 1);
        // The clock closes a bucket whose minutes stopped arriving.
        a.update(&m1(15, 4, 4, 4, 4, 1));
        assert_eq!(a.close_due(19 * 60_000), None);
        let k = a.close_due(20 * 60_000).unwrap();
        assert_eq!((k.candle.open_time_ms, k.parts), (15 * 60_000, 1));
        assert!(Aggregator::new(Timeframe::H1, Timeframe::M5).is_err());
    }
}
