//! The request limiter: admission of every REST / WS-API request before it is
//! sent, counted the way Binance counts it.
//!
//! - **Limits** come from `exchangeInfo.rateLimits` ([`Limiter::from_exchange_info`]);
//!   [`DEFAULT_RATE_LIMITS`] is only the fallback when no exchangeInfo was
//!   read yet. Every type Binance publishes is counted: `REQUEST_WEIGHT` and
//!   `RAW_REQUESTS` (per IP), `ORDERS` (per account), `CONNECTIONS`.
//! - **Windows** are fixed and aligned to the epoch the way Binance's are:
//!   the weight counter of a 1-minute limit resets at each wall-clock minute,
//!   a 10-second order counter at :00, :10, …, a daily one at 00:00 UTC.
//!   `now_ns` is therefore wall-clock time (ns since the UNIX epoch, corrected
//!   to the server's clock by the driver); the limiter never reads a clock.
//! - **Admission** ([`Limiter::admit`]) refuses a request that would take any
//!   window past what its [`Priority`] may use, naming the limit, the count,
//!   and when the window frees. Lower priorities leave a reserve
//!   ([`ORDER_RESERVE_PCT`], [`MARKET_DATA_RESERVE_PCT`],
//!   [`ORDERS_LIMIT_RESERVE_PCT`]) so cancels and risk reductions always fit.
//! - **Synchronisation**: `X-MBX-USED-WEIGHT-*` / `X-MBX-ORDER-COUNT-*`
//!   headers ([`Limiter::observe_header`]) and WS-API `rateLimits` arrays
//!   ([`Limiter::observe_ws_api`]) raise the local count to the server's, so
//!   a restart or another process on the same IP cannot push kairos over.
//! - **429 / -1003 / -1015** ([`Limiter::on_rate_limited`]): the affected
//!   scope (the IP's weight, or the account's orders) stops until
//!   `Retry-After`, then resumes at [`BACKOFF_BUDGET_PCT`] of its limits,
//!   restoring by [`RESTORE_STEP_PCT`] per [`RESTORE_QUIET_NS`] without a new
//!   429. **418** ([`Limiter::on_banned`]): everything stops until the ban
//!   ends, and the alarm is raised.
//!
//! Hot-path shape: a fixed array of at most [`MAX_WINDOWS`] windows, no heap,
//! no locks, no clock reads; an admission is two passes over those windows.

pub mod headers;
pub mod weights;

pub use headers::{parse_limit_header, HeaderError, LimitHeader};
pub use weights::{depth_weight, Cost, Endpoint, Priority, Request};

use crate::binance::errors::ErrorCode;
use crate::binance::exchange_info::{ExchangeInfo, RateLimit, RateLimitInterval, RateLimitType};
use crate::binance::ws_api::{RateLimitUsage, WsApiResponse};
use std::fmt;

/// Most rate-limit windows one limiter holds (Binance publishes four today).
pub const MAX_WINDOWS: usize = 8;

/// Percent of every IP limit (`REQUEST_WEIGHT`, `RAW_REQUESTS`,
/// `CONNECTIONS`) that [`Priority::Order`] requests may not use.
pub const ORDER_RESERVE_PCT: u64 = 10;
/// Percent of every IP limit that [`Priority::MarketData`] requests may not use.
pub const MARKET_DATA_RESERVE_PCT: u64 = 20;
/// Percent of every `ORDERS` limit that [`Priority::Order`] (new,
/// risk-adding) orders may not use: kept for risk-reducing orders.
pub const ORDERS_LIMIT_RESERVE_PCT: u64 = 10;

/// Budget (percent of each limit) a scope resumes at after a 429.
pub const BACKOFF_BUDGET_PCT: u64 = 80;
/// Lowest budget repeated 429s can push a scope to, percent.
pub const MIN_BUDGET_PCT: u64 = 20;
/// Budget regained per quiet period, percent.
pub const RESTORE_STEP_PCT: u64 = 5;
/// Quiet period (no new 429) that regains one [`RESTORE_STEP_PCT`], ns (60 s).
pub const RESTORE_QUIET_NS: u64 = 60 * NANOS_PER_SEC;
/// How long a 429 without `Retry-After` stops its scope, ns (60 s: one
/// weight minute; Binance resets counters at the next window).
pub const FALLBACK_RETRY_AFTER_NS: u64 = 60 * NANOS_PER_SEC;
/// How long a 418 without `Retry-After` stops everything, ns (120 s: Binance
/// bans for 2 minutes up to 3 days).
pub const FALLBACK_BAN_NS: u64 = 120 * NANOS_PER_SEC;
/// Longest stop or ban accepted from the server, ns (3 days, Binance's
/// longest ban): a larger value is clamped, never trusted blindly.
pub const MAX_STOP_NS: u64 = 3 * 86_400 * NANOS_PER_SEC;

/// Nanoseconds per second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;
/// Nanoseconds per millisecond.
pub const NANOS_PER_MS: u64 = 1_000_000;

/// The fallback limits (Binance spot, as published in 2025): used only
/// until exchangeInfo has been read.
pub const DEFAULT_RATE_LIMITS: [RateLimit; 4] = [
    RateLimit {
        rate_limit_type: RateLimitType::RequestWeight,
        interval: RateLimitInterval::Minute,
        interval_num: 1,
        limit: DEFAULT_REQUEST_WEIGHT_PER_MINUTE,
    },
    RateLimit {
        rate_limit_type: RateLimitType::Orders,
        interval: RateLimitInterval::Second,
        interval_num: 10,
        limit: DEFAULT_ORDERS_PER_10_SECONDS,
    },
    RateLimit {
        rate_limit_type: RateLimitType::Orders,
        interval: RateLimitInterval::Day,
        interval_num: 1,
        limit: DEFAULT_ORDERS_PER_DAY,
    },
    RateLimit {
        rate_limit_type: RateLimitType::RawRequests,
        interval: RateLimitInterval::Minute,
        interval_num: 5,
        limit: DEFAULT_RAW_REQUESTS_PER_5_MINUTES,
    },
];
/// Fallback `REQUEST_WEIGHT` per minute (weight units).
pub const DEFAULT_REQUEST_WEIGHT_PER_MINUTE: u64 = 6000;
/// Fallback `ORDERS` per 10 seconds (orders).
pub const DEFAULT_ORDERS_PER_10_SECONDS: u64 = 50;
/// Fallback `ORDERS` per day (orders).
pub const DEFAULT_ORDERS_PER_DAY: u64 = 160_000;
/// Fallback `RAW_REQUESTS` per 5 minutes (requests).
pub const DEFAULT_RAW_REQUESTS_PER_5_MINUTES: u64 = 61_000;

/// Who a limit is counted against, and so what a 429 stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Per IP: `REQUEST_WEIGHT`, `RAW_REQUESTS`, `CONNECTIONS`. A 429 here
    /// (-1003) stops every request.
    Ip,
    /// Per account: `ORDERS`. A 429 here (-1015) stops order placement only;
    /// cancels go on.
    Orders,
}

impl Scope {
    /// The scope a limit type belongs to.
    pub const fn of(t: RateLimitType) -> Scope {
        match t {
            RateLimitType::Orders => Scope::Orders,
            RateLimitType::RequestWeight
            | RateLimitType::RawRequests
            | RateLimitType::Connections => Scope::Ip,
        }
    }

    const fn index(self) -> usize {
        match self {
            Scope::Ip => 0,
            Scope::Orders => 1,
        }
    }
}

/// Why a request was not admitted. Every variant says until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The request would take a window past what its priority may use.
    Limit {
        /// The limit, as published.
        limit: RateLimit,
        /// Counted in the current window before this request.
        used: u64,
        /// What this request would add.
        cost: u64,
        /// What this priority may use of it now (after reserve and budget).
        allowed: u64,
        /// The priority refused.
        priority: Priority,
        /// When the window resets, ns since the epoch.
        frees_at_ns: u64,
    },
    /// The request costs more than the whole limit: it can never be sent.
    TooHeavy {
        /// The limit.
        limit: RateLimit,
        /// What the request costs against it.
        cost: u64,
    },
    /// The scope is stopped after a 429 until `until_ns`.
    BackedOff {
        /// Which scope.
        scope: Scope,
        /// When it resumes, ns since the epoch.
        until_ns: u64,
    },
    /// The IP is banned (418) until `until_ns`.
    Banned {
        /// When the ban ends, ns since the epoch.
        until_ns: u64,
    },
}

impl Refusal {
    /// When the request may be tried again (`None`: never as it is).
    pub fn retry_at_ns(&self) -> Option<u64> {
        match *self {
            Refusal::Limit { frees_at_ns, .. } => Some(frees_at_ns),
            Refusal::TooHeavy { .. } => None,
            Refusal::BackedOff { until_ns, .. } | Refusal::Banned { until_ns } => Some(until_ns),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Limit {
                limit,
                used,
                cost,
                allowed,
                priority,
                frees_at_ns,
            } => write!(
                f,
                "{:?} {}/{}×{:?}: used {used} + {cost} > {allowed} allowed to {} requests (limit {}); frees at {} ms",
                limit.rate_limit_type,
                limit.limit,
                limit.interval_num,
                limit.interval,
                priority.name(),
                limit.limit,
                frees_at_ns / NANOS_PER_MS
            ),
            Refusal::TooHeavy { limit, cost } => write!(
                f,
                "request costs {cost} against {:?} whose limit is {}: it can never be sent",
                limit.rate_limit_type, limit.limit
            ),
            Refusal::BackedOff { scope, until_ns } => write!(
                f,
                "{scope:?} scope backed off after a 429 until {} ms",
                until_ns / NANOS_PER_MS
            ),
            Refusal::Banned { until_ns } => {
                write!(f, "IP banned (418) until {} ms", until_ns / NANOS_PER_MS)
            }
        }
    }
}

/// Why a set of limits could not be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// More limits than [`MAX_WINDOWS`].
    #[error("{count} rate limits published, more than the {max} the limiter holds")]
    TooMany {
        /// How many were given.
        count: usize,
        /// [`MAX_WINDOWS`].
        max: usize,
    },
    /// No limit at all: refusing to run unlimited.
    #[error("no rate limits given (use DEFAULT_RATE_LIMITS as a fallback, never nothing)")]
    Empty,
    /// A window of zero length.
    #[error("rate limit {0:?} has intervalNum 0")]
    ZeroInterval(RateLimitType),
}

/// One fixed window of one limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    limit: RateLimit,
    /// Window length, ns.
    len_ns: u64,
    /// Start of the current window, ns since the epoch (aligned).
    start_ns: u64,
    /// `start_ns + len_ns`.
    end_ns: u64,
    /// Counted in the current window.
    count: u64,
}

impl Window {
    const EMPTY: Window = Window {
        limit: DEFAULT_RATE_LIMITS[0],
        len_ns: 1,
        start_ns: 0,
        end_ns: 0,
        count: 0,
    };

    fn new(limit: RateLimit) -> Result<Window, LoadError> {
        if limit.interval_num == 0 {
            return Err(LoadError::ZeroInterval(limit.rate_limit_type));
        }
        let len_ns = limit.window_ms().saturating_mul(NANOS_PER_MS);
        Ok(Window {
            limit,
            len_ns,
            start_ns: 0,
            end_ns: 0,
            count: 0,
        })
    }

    /// The count in the window holding `now_ns` (0 once the window has passed).
    #[inline]
    fn count_at(&self, now_ns: u64) -> u64 {
        if now_ns >= self.end_ns {
            0
        } else {
            self.count
        }
    }

    /// The end of the window holding `now_ns`.
    #[inline]
    fn end_at(&self, now_ns: u64) -> u64 {
        if now_ns >= self.end_ns {
            aligned_start(now_ns, self.len_ns).saturating_add(self.len_ns)
        } else {
            self.end_ns
        }
    }

    /// Moves to the window holding `now_ns` (a clock that steps back stays
    /// in the current window: counting on is the safe side).
    #[inline]
    fn roll(&mut self, now_ns: u64) {
        if now_ns >= self.end_ns {
            self.start_ns = aligned_start(now_ns, self.len_ns);
            self.end_ns = self.start_ns.saturating_add(self.len_ns);
            self.count = 0;
        }
    }

    #[inline]
    fn charge(&self, cost: &Cost) -> u64 {
        u64::from(match self.limit.rate_limit_type {
            RateLimitType::RequestWeight => cost.weight,
            RateLimitType::Orders => cost.orders,
            RateLimitType::RawRequests => cost.raw,
            RateLimitType::Connections => cost.connections,
        })
    }

    fn same_limit(&self, t: RateLimitType, interval: RateLimitInterval, num: u32) -> bool {
        self.limit.rate_limit_type == t
            && self.limit.interval == interval
            && self.limit.interval_num == num
    }
}

/// Start of the epoch-aligned window of length `len_ns` holding `now_ns`.
#[inline]
fn aligned_start(now_ns: u64, len_ns: u64) -> u64 {
    now_ns - now_ns % len_ns.max(1)
}

/// `v × pct / 100`, rounded down, saturating.
#[inline]
const fn pct_of(v: u64, pct: u64) -> u64 {
    v.saturating_mul(pct) / 100
}

/// The reserve (percent of the limit) `priority` must leave on a limit of `t`.
const fn reserve_pct(priority: Priority, t: RateLimitType) -> u64 {
    match (priority, t) {
        (Priority::Critical, _) => 0,
        (Priority::Order, RateLimitType::Orders) => ORDERS_LIMIT_RESERVE_PCT,
        (Priority::Order, _) => ORDER_RESERVE_PCT,
        (Priority::MarketData, RateLimitType::Orders) => ORDERS_LIMIT_RESERVE_PCT,
        (Priority::MarketData, _) => MARKET_DATA_RESERVE_PCT,
    }
}

/// The 429 back-off state of one scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Backoff {
    /// Whether a 429 has been seen and the budget is not yet fully restored.
    active: bool,
    /// Nothing in the scope is sent before this, ns since the epoch.
    stop_until_ns: u64,
    /// Budget at `stop_until_ns`, percent.
    resume_pct: u64,
}

impl Backoff {
    /// The budget at `now_ns`, percent: 0 while stopped, then
    /// `resume_pct` rising by [`RESTORE_STEP_PCT`] per [`RESTORE_QUIET_NS`].
    #[inline]
    fn budget_pct(&self, now_ns: u64) -> u64 {
        if !self.active {
            return 100;
        }
        if now_ns < self.stop_until_ns {
            return 0;
        }
        let steps = (now_ns - self.stop_until_ns) / RESTORE_QUIET_NS;
        self.resume_pct
            .saturating_add(steps.saturating_mul(RESTORE_STEP_PCT))
            .min(100)
    }
}

/// Counters for reports and alarms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimiterStats {
    /// Requests admitted.
    pub admitted: u64,
    /// Requests refused (any reason).
    pub refused: u64,
    /// 429 answers seen (HTTP status or WS-API status).
    pub http_429: u64,
    /// 418 answers seen.
    pub http_418: u64,
    /// Times a server count raised the local one.
    pub synced_raises: u64,
    /// Server counts for a limit the limiter does not hold.
    pub unknown_usage: u64,
}

/// The rate limiter. Construct it once; it never allocates afterwards.
#[derive(Debug, Clone)]
pub struct Limiter {
    windows: [Window; MAX_WINDOWS],
    len: usize,
    backoff: [Backoff; 2],
    ban_until_ns: u64,
    alarm: bool,
    stats: LimiterStats,
}

impl Limiter {
    /// A limiter for `limits` (exchangeInfo's `rateLimits`).
    pub fn from_rate_limits(limits: &[RateLimit]) -> Result<Limiter, LoadError> {
        let mut l = Limiter {
            windows: [Window::EMPTY; MAX_WINDOWS],
            len: 0,
            backoff: [Backoff::default(); 2],
            ban_until_ns: 0,
            alarm: false,
            stats: LimiterStats::default(),
        };
        l.reload(limits)?;
        Ok(l)
    }

    /// A limiter for the limits exchangeInfo publishes.
    pub fn from_exchange_info(info: &ExchangeInfo) -> Result<Limiter, LoadError> {
        Limiter::from_rate_limits(&info.rate_limits)
    }

    /// A limiter with [`DEFAULT_RATE_LIMITS`]: the fallback until
    /// exchangeInfo is read, never the normal way to build one.
    pub fn with_default_limits() -> Limiter {
        match Limiter::from_rate_limits(&DEFAULT_RATE_LIMITS) {
            Ok(l) => l,
            // The defaults are four valid limits: this cannot fail.
            Err(e) => unreachable!("DEFAULT_RATE_LIMITS invalid: {e}"),
        }
    }

    /// Replaces the limits (a fresh exchangeInfo), keeping the current count
    /// of every window whose type and length did not change. On error the
    /// limiter is left as it was.
    pub fn reload(&mut self, limits: &[RateLimit]) -> Result<(), LoadError> {
        if limits.is_empty() {
            return Err(LoadError::Empty);
        }
        if limits.len() > MAX_WINDOWS {
            return Err(LoadError::TooMany {
                count: limits.len(),
                max: MAX_WINDOWS,
            });
        }
        let mut fresh = [Window::EMPTY; MAX_WINDOWS];
        for (slot, limit) in fresh.iter_mut().zip(limits) {
            let mut w = Window::new(*limit)?;
            if let Some(old) = self.windows[..self.len]
                .iter()
                .find(|o| o.same_limit(limit.rate_limit_type, limit.interval, limit.interval_num))
            {
                w.start_ns = old.start_ns;
                w.end_ns = old.end_ns;
                w.count = old.count;
            }
            *slot = w;
        }
        self.windows = fresh;
        self.len = limits.len();
        Ok(())
    }

    /// The limits in force.
    pub fn limits(&self) -> impl Iterator<Item = &RateLimit> {
        self.windows[..self.len].iter().map(|w| &w.limit)
    }

    /// The count of the window of `(t, interval, num)` at `now_ns`, if held.
    pub fn used(
        &self,
        t: RateLimitType,
        interval: RateLimitInterval,
        num: u32,
        now_ns: u64,
    ) -> Option<u64> {
        self.windows[..self.len]
            .iter()
            .find(|w| w.same_limit(t, interval, num))
            .map(|w| w.count_at(now_ns))
    }

    /// The budget of `scope` at `now_ns`, percent of each limit (100 unless
    /// backing off after a 429; 0 while stopped or banned).
    pub fn budget_pct(&self, scope: Scope, now_ns: u64) -> u64 {
        if now_ns < self.ban_until_ns {
            return 0;
        }
        self.backoff[scope.index()].budget_pct(now_ns)
    }

    /// Whether `req` would be admitted at `now_ns`, without counting it.
    pub fn check(&self, req: &Request, now_ns: u64) -> Result<(), Refusal> {
        if now_ns < self.ban_until_ns {
            return Err(Refusal::Banned {
                until_ns: self.ban_until_ns,
            });
        }
        let c = &req.cost;
        let uses_ip = c.weight > 0 || c.raw > 0 || c.connections > 0;
        let budgets = [
            self.backoff[0].budget_pct(now_ns),
            self.backoff[1].budget_pct(now_ns),
        ];
        if uses_ip && budgets[0] == 0 {
            return Err(Refusal::BackedOff {
                scope: Scope::Ip,
                until_ns: self.backoff[0].stop_until_ns,
            });
        }
        if c.orders > 0 && budgets[1] == 0 {
            return Err(Refusal::BackedOff {
                scope: Scope::Orders,
                until_ns: self.backoff[1].stop_until_ns,
            });
        }
        for w in &self.windows[..self.len] {
            let charge = w.charge(c);
            if charge == 0 {
                continue;
            }
            if charge > w.limit.limit {
                return Err(Refusal::TooHeavy {
                    limit: w.limit,
                    cost: charge,
                });
            }
            let t = w.limit.rate_limit_type;
            let budget = budgets[Scope::of(t).index()];
            let allowed = pct_of(
                pct_of(w.limit.limit, budget),
                100 - reserve_pct(req.priority, t),
            );
            let used = w.count_at(now_ns);
            if used.saturating_add(charge) > allowed {
                return Err(Refusal::Limit {
                    limit: w.limit,
                    used,
                    cost: charge,
                    allowed,
                    priority: req.priority,
                    frees_at_ns: w.end_at(now_ns),
                });
            }
        }
        Ok(())
    }

    /// Admits `req` at `now_ns` and counts it in every window, or refuses it
    /// (nothing counted). Call this immediately before sending.
    pub fn admit(&mut self, req: &Request, now_ns: u64) -> Result<(), Refusal> {
        if let Err(r) = self.check(req, now_ns) {
            self.stats.refused += 1;
            return Err(r);
        }
        for w in &mut self.windows[..self.len] {
            let charge = w.charge(&req.cost);
            if charge == 0 {
                continue;
            }
            w.roll(now_ns);
            w.count = w.count.saturating_add(charge);
            debug_assert!(w.count <= w.limit.limit, "admitted past a limit: {w:?}");
        }
        self.stats.admitted += 1;
        Ok(())
    }

    /// Raises the local count of `(t, interval, num)` to the server's `count`
    /// (a header or a WS-API `rateLimits` entry). Returns whether it rose.
    /// Counts are never lowered: a request in flight is not yet in the
    /// server's figure.
    pub fn observe_count(
        &mut self,
        t: RateLimitType,
        interval: RateLimitInterval,
        num: u32,
        count: u64,
        now_ns: u64,
    ) -> bool {
        let Some(w) = self.windows[..self.len]
            .iter_mut()
            .find(|w| w.same_limit(t, interval, num))
        else {
            self.stats.unknown_usage += 1;
            return false;
        };
        w.roll(now_ns);
        if count > w.count {
            w.count = count;
            self.stats.synced_raises += 1;
            true
        } else {
            false
        }
    }

    /// Applies one entry of a WS-API `rateLimits` array: the count, and the
    /// limit itself when the server states a different one (the server is
    /// the authority on its limits).
    pub fn observe_usage(&mut self, u: &RateLimitUsage, now_ns: u64) -> bool {
        if let Some(w) = self.windows[..self.len]
            .iter_mut()
            .find(|w| w.same_limit(u.rate_limit_type, u.interval, u.interval_num))
        {
            w.limit.limit = u.limit;
        }
        self.observe_count(
            u.rate_limit_type,
            u.interval,
            u.interval_num,
            u.count,
            now_ns,
        )
    }

    /// Applies a whole WS-API response: its `rateLimits` counts, and a
    /// 429 / 418 status with its `retryAfter`.
    pub fn observe_ws_api(&mut self, resp: &WsApiResponse, now_ns: u64) {
        for u in &resp.rate_limits {
            self.observe_usage(u, now_ns);
        }
        let until_ns = resp
            .retry_after_ms()
            .map(|ms| ms.saturating_mul(NANOS_PER_MS));
        let code = resp.error.as_ref().map(|e| e.code);
        match resp.status {
            418 => self.on_banned(until_ns, now_ns),
            429 => self.on_rate_limited(scope_of_code(code), until_ns, now_ns),
            _ if code.is_some_and(is_rate_limit_code) => {
                self.on_rate_limited(scope_of_code(code), until_ns, now_ns)
            }
            _ => {}
        }
    }

    /// Applies one HTTP response header. `X-MBX-USED-WEIGHT-*` and
    /// `X-MBX-ORDER-COUNT-*` raise the local counts; any other header is
    /// ignored (`Ok(false)`); a malformed limit header is an error.
    pub fn observe_header(
        &mut self,
        name: &str,
        value: &str,
        now_ns: u64,
    ) -> Result<bool, HeaderError> {
        match parse_limit_header(name, value)? {
            None => Ok(false),
            Some(h) => Ok(self.observe_count(
                h.rate_limit_type,
                h.interval,
                h.interval_num,
                h.count,
                now_ns,
            )),
        }
    }

    /// Applies an HTTP status: 429 (with the body's error `code`, if read,
    /// and `Retry-After` in seconds) or 418. Other statuses are ignored.
    pub fn on_http_status(
        &mut self,
        status: u16,
        code: Option<i32>,
        retry_after_s: Option<u64>,
        now_ns: u64,
    ) {
        let until_ns =
            retry_after_s.map(|s| now_ns.saturating_add(s.saturating_mul(NANOS_PER_SEC)));
        match status {
            418 => self.on_banned(until_ns, now_ns),
            429 => self.on_rate_limited(scope_of_code(code), until_ns, now_ns),
            _ if code.is_some_and(is_rate_limit_code) => {
                self.on_rate_limited(scope_of_code(code), until_ns, now_ns)
            }
            _ => {}
        }
    }

    /// A 429 (-1003 for the IP, -1015 for orders): stops `scope` until
    /// `until_ns` ([`FALLBACK_RETRY_AFTER_NS`] from now when not given), then
    /// resumes at [`BACKOFF_BUDGET_PCT`] of the budget it had.
    pub fn on_rate_limited(&mut self, scope: Scope, until_ns: Option<u64>, now_ns: u64) {
        self.stats.http_429 += 1;
        let until = clamp_until(until_ns, FALLBACK_RETRY_AFTER_NS, now_ns);
        let b = &mut self.backoff[scope.index()];
        let current = if b.active && now_ns < b.stop_until_ns {
            b.resume_pct
        } else {
            b.budget_pct(now_ns)
        };
        b.resume_pct = pct_of(current, BACKOFF_BUDGET_PCT).max(MIN_BUDGET_PCT);
        b.stop_until_ns = b.stop_until_ns.max(until);
        b.active = true;
    }

    /// A 418: nothing is sent until `until_ns` ([`FALLBACK_BAN_NS`] from now
    /// when not given); the alarm is raised; both scopes resume afterwards at
    /// a reduced budget as after a 429.
    pub fn on_banned(&mut self, until_ns: Option<u64>, now_ns: u64) {
        self.stats.http_418 += 1;
        self.alarm = true;
        let until = clamp_until(until_ns, FALLBACK_BAN_NS, now_ns);
        self.ban_until_ns = self.ban_until_ns.max(until);
        for scope in [Scope::Ip, Scope::Orders] {
            let b = &mut self.backoff[scope.index()];
            let current = b.budget_pct(now_ns).max(b.resume_pct);
            b.resume_pct = pct_of(current.min(100), BACKOFF_BUDGET_PCT).max(MIN_BUDGET_PCT);
            b.stop_until_ns = b.stop_until_ns.max(until);
            b.active = true;
        }
    }

    /// Whether a 418 ban is in force at `now_ns`.
    pub fn is_banned(&self, now_ns: u64) -> bool {
        now_ns < self.ban_until_ns
    }

    /// When the last ban ends (0: never banned), ns since the epoch.
    pub fn ban_until_ns(&self) -> u64 {
        self.ban_until_ns
    }

    /// Whether the ban alarm is raised (sticky until [`Limiter::clear_alarm`]).
    pub fn alarm(&self) -> bool {
        self.alarm
    }

    /// Acknowledges the alarm (an operator has seen it).
    pub fn clear_alarm(&mut self) {
        self.alarm = false;
    }

    /// The counters.
    pub fn stats(&self) -> &LimiterStats {
        &self.stats
    }
}

/// Whether an error code is a rate-limit rejection (-1003, -1015).
fn is_rate_limit_code(code: i32) -> bool {
    matches!(
        ErrorCode::from_code_lossless(code),
        ErrorCode::TooManyRequests | ErrorCode::TooManyOrders
    )
}

/// -1015 (too many new orders) is the account's ORDERS limit; everything
/// else that answers 429 (-1003, or no code) is the IP's.
fn scope_of_code(code: Option<i32>) -> Scope {
    match code.map(ErrorCode::from_code_lossless) {
        Some(ErrorCode::TooManyOrders) => Scope::Orders,
        _ => Scope::Ip,
    }
}

/// `until_ns`, or `now + fallback` when absent, never past `now + MAX_STOP_NS`
/// and never before now.
fn clamp_until(until_ns: Option<u64>, fallback_ns: u64, now_ns: u64) -> u64 {
    let until = until_ns.unwrap_or_else(|| now_ns.saturating_add(fallback_ns));
    until.clamp(now_ns, now_ns.saturating_add(MAX_STOP_NS))
}

#[cfg(test)]
mod tests;
