//! Time sources for measuring the hot path.
//!
//! The engine never reads the wall clock: event time comes with each input.
//! This module only serves *measurement*: a [`Probe`] takes a stamp at each
//! stage boundary. [`NoProbe`] compiles to nothing; [`CycleProbe`] reads the
//! CPU's time-stamp counter (about 10 ns on x86_64, against about 25 ns for
//! `Instant::now()`), converted to nanoseconds by a calibration against the
//! monotonic clock.

use std::time::Instant;

/// The stages of the hot path, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Stage {
    /// Raw bytes to a typed event.
    Parse = 0,
    /// Order book update and its checks.
    Book = 1,
    /// Indicators, plugins and the decision.
    Decision = 2,
    /// After the decision: the levels of a depth event that could not change
    /// the top of book (see `OrderBook::on_diff_top`).
    BookRest = 3,
}

/// Number of [`Stage`]s.
pub const STAGES: usize = 4;

/// Receives a stamp at the start of an event and at the end of each stage.
pub trait Probe {
    /// The event starts (the "tick").
    fn start(&mut self);
    /// `stage` has just ended.
    fn end(&mut self, stage: Stage);
}

/// A probe that measures nothing and costs nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProbe;

impl Probe for NoProbe {
    #[inline(always)]
    fn start(&mut self) {}
    #[inline(always)]
    fn end(&mut self, _stage: Stage) {}
}

/// Raw timestamp counter ticks.
#[inline(always)]
pub fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: RDTSC has no preconditions; it only reads a counter.
        #[allow(unsafe_code)]
        unsafe {
            core::arch::x86_64::_rdtsc()
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        use std::sync::OnceLock;
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}

/// Converts [`ticks`] to nanoseconds.
#[derive(Debug, Clone, Copy)]
pub struct TickScale {
    /// Nanoseconds per tick, times 2^32.
    ns_per_tick_q32: u64,
}

impl TickScale {
    /// Measures the tick rate against the monotonic clock for `millis` ms.
    pub fn calibrate(millis: u64) -> TickScale {
        let (t0, c0) = (Instant::now(), ticks());
        while t0.elapsed().as_millis() < u128::from(millis) {
            std::hint::spin_loop();
        }
        let (ns, c1) = (t0.elapsed().as_nanos(), ticks());
        let dt = u128::from(c1.saturating_sub(c0).max(1));
        let q = (ns << 32) / dt;
        TickScale {
            ns_per_tick_q32: u64::try_from(q).unwrap_or(u64::MAX),
        }
    }

    /// Nanoseconds in `dticks` ticks.
    #[inline(always)]
    pub fn to_ns(self, dticks: u64) -> u64 {
        ((u128::from(dticks) * u128::from(self.ns_per_tick_q32)) >> 32) as u64
    }

    /// Ticks per second (for the report).
    pub fn ticks_per_s(self) -> f64 {
        (1u64 << 32) as f64 * 1e9 / self.ns_per_tick_q32.max(1) as f64
    }
}

/// A probe that keeps the ticks of the current event's stage boundaries.
#[derive(Debug, Default, Clone, Copy)]
pub struct CycleProbe {
    /// Ticks at the start of the event.
    pub start: u64,
    /// Ticks at the end of each stage (0 when the stage did not run).
    pub ends: [u64; STAGES],
}

impl Probe for CycleProbe {
    #[inline(always)]
    fn start(&mut self) {
        self.ends = [0; STAGES];
        self.start = ticks();
    }
    #[inline(always)]
    fn end(&mut self, stage: Stage) {
        self.ends[stage as usize] = ticks();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_converts_ticks_to_wall_time() {
        let scale = TickScale::calibrate(20);
        let (t0, c0) = (Instant::now(), ticks());
        std::thread::sleep(std::time::Duration::from_millis(30));
        let (wall, c1) = (t0.elapsed().as_nanos() as u64, ticks());
        let est = scale.to_ns(c1 - c0);
        // Within 20 % of the monotonic clock (a loaded machine is noisy).
        assert!(
            est > wall * 8 / 10 && est < wall * 12 / 10,
            "{est} vs {wall}"
        );
    }
}
