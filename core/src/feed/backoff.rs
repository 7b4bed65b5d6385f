//! Reconnect delays: exponential backoff with full jitter, forever.
//!
//! The n-th consecutive failed attempt waits a uniformly random time in
//! `[0, min(cap, base · 2ⁿ)]` ("full jitter"), so that many clients that lost
//! the same server do not come back in lock step. A connection that stays
//! healthy for `reset_after_healthy` resets the count. There is no "give up
//! after N tries": a 24/7 bot keeps trying and shows that it does.

use std::time::Duration;

/// The reconnect policy's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffConfig {
    /// The first retry's upper bound.
    pub base: Duration,
    /// The largest delay.
    pub cap: Duration,
    /// A connection healthy for this long resets the attempt count.
    pub reset_after_healthy: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(30),
            reset_after_healthy: Duration::from_secs(60),
        }
    }
}

/// The reconnect state of one connection.
#[derive(Debug, Clone)]
pub struct Backoff {
    cfg: BackoffConfig,
    attempt: u32,
    rng: u64,
}

impl Backoff {
    /// A fresh policy; `seed` makes the jitter reproducible in tests.
    pub fn new(cfg: BackoffConfig, seed: u64) -> Backoff {
        Backoff {
            cfg,
            attempt: 0,
            // xorshift must not start at 0.
            rng: seed | 1,
        }
    }

    /// Consecutive failures so far.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The upper bound of the next delay: `min(cap, base · 2^attempt)`.
    pub fn ceiling(&self) -> Duration {
        let shift = self.attempt.min(31);
        self.cfg
            .base
            .checked_mul(1u32 << shift)
            .map_or(self.cfg.cap, |d| d.min(self.cfg.cap))
    }

    /// The delay before the next attempt (and counts the attempt).
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling().as_nanos() as u64;
        self.attempt = self.attempt.saturating_add(1);
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let nanos = if ceiling == 0 {
            0
        } else {
            ((r as u128 * (ceiling as u128 + 1)) >> 64) as u64
        };
        Duration::from_nanos(nanos)
    }

    /// The connection has been healthy for `healthy_for`: reset when long
    /// enough.
    pub fn on_healthy(&mut self, healthy_for: Duration) {
        if healthy_for >= self.cfg.reset_after_healthy {
            self.attempt = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> BackoffConfig {
        BackoffConfig {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(5),
            reset_after_healthy: Duration::from_secs(30),
        }
    }

    #[test]
    fn delays_stay_under_a_doubling_ceiling_capped_and_spread() {
        let mut b = Backoff::new(cfg(), 42);
        let mut ceilings = vec![];
        for _ in 0..40 {
            let c = b.ceiling();
            let d = b.next_delay();
            assert!(d <= c, "{d:?} > {c:?}");
            ceilings.push(c.as_millis());
        }
        assert_eq!(&ceilings[..7], &[100, 200, 400, 800, 1600, 3200, 5000]);
        assert!(ceilings[7..].iter().all(|&c| c == 5000));
        assert_eq!(b.attempt(), 40);
        // Full jitter: over many draws at the cap, both halves of [0, cap] occur.
        let draws: Vec<u128> = (0..200).map(|_| b.next_delay().as_millis()).collect();
        assert!(draws.iter().any(|&d| d < 1000) && draws.iter().any(|&d| d > 4000));
    }

    #[test]
    fn a_healthy_connection_resets_the_count_only_after_the_configured_time() {
        let mut b = Backoff::new(cfg(), 7);
        for _ in 0..5 {
            b.next_delay();
        }
        b.on_healthy(Duration::from_secs(29));
        assert_eq!(b.attempt(), 5);
        b.on_healthy(Duration::from_secs(30));
        assert_eq!(b.attempt(), 0);
        assert_eq!(b.ceiling(), Duration::from_millis(100));
    }

    #[test]
    fn never_gives_up_and_never_overflows() {
        let mut b = Backoff::new(cfg(), 1);
        for _ in 0..100_000 {
            assert!(b.next_delay() <= Duration::from_secs(5));
        }
    }
}
