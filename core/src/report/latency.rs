//! Latency histograms per stage (hdrhistogram), filled without allocating.

use hdrhistogram::Histogram;

/// Highest latency recorded, in ns (values above are clamped to it).
pub const MAX_LATENCY_NS: u64 = 10_000_000_000;
/// Significant decimal digits the histograms keep.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// The percentiles reported, as fractions.
pub const PERCENTILES: [(&str, f64); 4] =
    [("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("p999", 0.999)];

/// One stage's latency distribution.
#[derive(Debug, Clone)]
pub struct StageHistogram {
    /// The stage's name in reports.
    pub name: &'static str,
    hist: Histogram<u64>,
}

impl StageHistogram {
    /// An empty histogram (allocates its buckets once, here).
    pub fn new(name: &'static str) -> StageHistogram {
        // 1 ns .. MAX_LATENCY_NS at SIGNIFICANT_DIGITS: valid bounds, cannot fail.
        let hist = Histogram::new_with_bounds(1, MAX_LATENCY_NS, SIGNIFICANT_DIGITS)
            .unwrap_or_else(|_| {
                Histogram::new(SIGNIFICANT_DIGITS)
                    .expect("3 significant digits is a valid precision")
            });
        StageHistogram { name, hist }
    }

    /// Records one latency in ns (clamped into range, never allocating).
    #[inline]
    pub fn record(&mut self, ns: u64) {
        let _ = self.hist.record(ns.clamp(1, MAX_LATENCY_NS));
    }

    /// Forgets every value (keeps the buckets allocated).
    pub fn reset(&mut self) {
        self.hist.reset();
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The value at quantile `q` (0..=1), ns.
    pub fn quantile(&self, q: f64) -> u64 {
        self.hist.value_at_quantile(q)
    }

    /// The largest value recorded, ns.
    pub fn max(&self) -> u64 {
        self.hist.max()
    }

    /// `{count,p50,p90,p99,p999,max}` as JSON.
    pub fn summary(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("count".into(), self.count().into());
        for (name, q) in PERCENTILES {
            m.insert(name.into(), self.quantile(q).into());
        }
        m.insert("max".into(), self.max().into());
        serde_json::Value::Object(m)
    }

    /// Points of the percentile curve: (percentile in %, ns), from 0 to
    /// 99.9999 on a log scale of 1/(1-p).
    pub fn curve(&self) -> Vec<(f64, u64)> {
        if self.count() == 0 {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut x = 0.0f64; // log10(1 / (1 - p))
        while x <= 6.0 {
            let p = 1.0 - 10f64.powf(-x);
            out.push((p * 100.0, self.quantile(p)));
            x += 0.05;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_a_known_distribution() {
        let mut h = StageHistogram::new("x");
        for v in 1..=1000u64 {
            h.record(v);
        }
        assert_eq!(h.count(), 1000);
        assert_eq!(h.quantile(0.5), 500);
        assert_eq!(h.quantile(0.99), 990);
        assert_eq!(h.max(), 1000);
        h.record(u64::MAX);
        assert!(h.max() >= MAX_LATENCY_NS);
        let s = h.summary();
        assert_eq!(s["count"], 1001);
        assert!(!h.curve().is_empty());
    }
}
