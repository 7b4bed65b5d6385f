//! Table-driven unit tests of the limiter.

use super::*;
use RateLimitInterval::*;
use RateLimitType::*;

const SEC: u64 = NANOS_PER_SEC;
/// 2024-08-08T23:54:00Z, a whole minute (and a whole 10 s) after the epoch.
const T0: u64 = 1_723_161_240 * SEC;

fn rl(t: RateLimitType, interval: RateLimitInterval, num: u32, limit: u64) -> RateLimit {
    RateLimit {
        rate_limit_type: t,
        interval,
        interval_num: num,
        limit,
    }
}

/// Weight 100/min, orders 10/10 s, orders 1000/day, raw 1000/5 min.
fn small() -> Limiter {
    Limiter::from_rate_limits(&[
        rl(RequestWeight, Minute, 1, 100),
        rl(Orders, Second, 10, 10),
        rl(Orders, Day, 1, 1000),
        rl(RawRequests, Minute, 5, 1000),
    ])
    .unwrap()
}

fn weight(w: u32, p: Priority) -> Request {
    Request {
        cost: Cost {
            weight: w,
            orders: 0,
            raw: 1,
            connections: 0,
        },
        priority: p,
    }
}

/// Admits `req` until refused; returns how many went through.
fn fill(l: &mut Limiter, req: &Request, now: u64) -> u64 {
    let mut n = 0;
    while l.admit(req, now).is_ok() {
        n += 1;
        assert!(n < 1_000_000, "never refused");
    }
    n
}

#[test]
fn limiter_loads_and_rejects_bad_limit_sets() {
    assert_eq!(
        Limiter::from_rate_limits(&[]).unwrap_err(),
        LoadError::Empty
    );
    assert_eq!(
        Limiter::from_rate_limits(&[rl(Orders, Second, 0, 5)]).unwrap_err(),
        LoadError::ZeroInterval(Orders)
    );
    let nine = [rl(RequestWeight, Minute, 1, 10); MAX_WINDOWS + 1];
    assert_eq!(
        Limiter::from_rate_limits(&nine).unwrap_err(),
        LoadError::TooMany {
            count: MAX_WINDOWS + 1,
            max: MAX_WINDOWS
        }
    );
    let d = Limiter::with_default_limits();
    assert_eq!(d.limits().count(), DEFAULT_RATE_LIMITS.len());
}

#[test]
fn limiter_priority_reserves_on_the_weight_limit() {
    // Weight 100: market data may use 80, new orders 90, cancels all 100.
    struct Case {
        priority: Priority,
        admitted: u64,
    }
    let cases = [
        Case {
            priority: Priority::MarketData,
            admitted: 80,
        },
        Case {
            priority: Priority::Order,
            admitted: 90,
        },
        Case {
            priority: Priority::Critical,
            admitted: 100,
        },
    ];
    for c in cases {
        let mut l = small();
        assert_eq!(
            fill(&mut l, &weight(1, c.priority), T0),
            c.admitted,
            "{:?}",
            c.priority
        );
    }
    // Filled by market data, new orders and cancels still fit; filled by
    // new orders, cancels still fit.
    let mut l = small();
    fill(&mut l, &weight(1, Priority::MarketData), T0);
    assert!(l.admit(&Endpoint::OrderPlace.request(), T0).is_ok());
    fill(&mut l, &weight(1, Priority::Order), T0);
    assert!(l.admit(&Endpoint::OrderCancel.request(), T0).is_ok());
}

#[test]
fn limiter_refusal_names_limit_count_and_reset_time() {
    let mut l = small();
    let t = T0 + 59 * SEC + 999_000_000;
    assert_eq!(fill(&mut l, &weight(10, Priority::MarketData), t), 8);
    let r = l.admit(&weight(10, Priority::MarketData), t).unwrap_err();
    assert_eq!(
        r,
        Refusal::Limit {
            limit: rl(RequestWeight, Minute, 1, 100),
            used: 80,
            cost: 10,
            allowed: 80,
            priority: Priority::MarketData,
            frees_at_ns: T0 + 60 * SEC,
        }
    );
    assert_eq!(r.retry_at_ns(), Some(T0 + 60 * SEC));
    let text = r.to_string();
    assert!(
        text.contains("RequestWeight") && text.contains("80"),
        "{text}"
    );
    assert_eq!(l.stats().refused, 2, "the fill's last try and this one");
    assert_eq!(l.stats().admitted, 8);
}

#[test]
fn limiter_windows_reset_on_wall_clock_boundaries() {
    // (first request time, second time, whether the second window is fresh)
    struct Case {
        limit: RateLimit,
        a: u64,
        b: u64,
        fresh: bool,
    }
    let cases = [
        Case {
            limit: rl(RequestWeight, Minute, 1, 5),
            a: T0 + 59 * SEC,
            b: T0 + 60 * SEC,
            fresh: true,
        },
        Case {
            limit: rl(RequestWeight, Minute, 1, 5),
            a: T0,
            b: T0 + 59 * SEC,
            fresh: false,
        },
        Case {
            limit: rl(Orders, Second, 10, 5),
            a: T0 + 9 * SEC,
            b: T0 + 10 * SEC,
            fresh: true,
        },
        Case {
            limit: rl(Orders, Second, 10, 5),
            a: T0 + 10 * SEC,
            b: T0 + 19 * SEC,
            fresh: false,
        },
        // Days reset at 00:00 UTC: T0 is 23:54 UTC.
        Case {
            limit: rl(Orders, Day, 1, 5),
            a: T0,
            b: T0 + 6 * 60 * SEC,
            fresh: true,
        },
        Case {
            limit: rl(Orders, Day, 1, 5),
            a: T0,
            b: T0 + 5 * 60 * SEC,
            fresh: false,
        },
        // 5-minute windows: 23:50, 23:55, 00:00 UTC.
        Case {
            limit: rl(RawRequests, Minute, 5, 5),
            a: T0 + 59 * SEC,
            b: T0 + 60 * SEC,
            fresh: true,
        },
        Case {
            limit: rl(RawRequests, Minute, 5, 5),
            a: T0 + 60 * SEC,
            b: T0 + 5 * 60 * SEC + 59 * SEC,
            fresh: false,
        },
        Case {
            limit: rl(RawRequests, Hour, 1, 5),
            a: T0,
            b: T0 + 6 * 60 * SEC,
            fresh: true,
        },
    ];
    let req = Request {
        cost: Cost {
            weight: 1,
            orders: 1,
            raw: 1,
            connections: 0,
        },
        priority: Priority::Critical,
    };
    for (i, c) in cases.iter().enumerate() {
        let mut l = Limiter::from_rate_limits(&[c.limit]).unwrap();
        assert_eq!(fill(&mut l, &req, c.a), 5, "case {i}");
        assert_eq!(l.admit(&req, c.b).is_ok(), c.fresh, "case {i}");
    }
}

#[test]
fn limiter_orders_limit_reserves_for_risk_reductions_and_ignores_cancels() {
    let mut l = small();
    // 10 orders per 10 s: new orders may place 9, a risk reduction the 10th.
    assert_eq!(fill(&mut l, &Endpoint::OrderPlace.request(), T0), 9);
    let risk = Endpoint::OrderPlace.request_at(Priority::Critical);
    assert!(l.admit(&risk, T0).is_ok());
    assert!(matches!(
        l.admit(&risk, T0),
        Err(Refusal::Limit {
            limit: RateLimit {
                rate_limit_type: Orders,
                ..
            },
            ..
        })
    ));
    // Cancels do not count against ORDERS.
    for _ in 0..20 {
        assert!(l.admit(&Endpoint::OrderCancel.request(), T0).is_ok());
    }
    // Next 10 s window: orders again.
    assert!(l
        .admit(&Endpoint::OrderPlace.request(), T0 + 10 * SEC)
        .is_ok());
    assert_eq!(l.used(Orders, Day, 1, T0 + 10 * SEC), Some(11));
}

#[test]
fn limiter_too_heavy_request_is_refused_for_ever() {
    let mut l = small();
    let r = l
        .admit(&Endpoint::Depth { limit: 5000 }.request(), T0)
        .unwrap_err();
    assert_eq!(
        r,
        Refusal::TooHeavy {
            limit: rl(RequestWeight, Minute, 1, 100),
            cost: 250
        }
    );
    assert_eq!(r.retry_at_ns(), None);
}

#[test]
fn limiter_server_counts_raise_never_lower() {
    struct Case {
        header: &'static str,
        value: &'static str,
        raised: bool,
        t: RateLimitType,
        interval: RateLimitInterval,
        num: u32,
        used: u64,
    }
    let mut l = small();
    for _ in 0..5 {
        l.admit(&Endpoint::OrderPlace.request(), T0).unwrap();
    }
    let cases = [
        Case {
            header: "X-MBX-USED-WEIGHT-1M",
            value: "60",
            raised: true,
            t: RequestWeight,
            interval: Minute,
            num: 1,
            used: 60,
        },
        Case {
            header: "X-MBX-USED-WEIGHT-1M",
            value: "10",
            raised: false,
            t: RequestWeight,
            interval: Minute,
            num: 1,
            used: 60,
        },
        Case {
            header: "X-MBX-ORDER-COUNT-10S",
            value: "3",
            raised: false,
            t: Orders,
            interval: Second,
            num: 10,
            used: 5,
        },
        Case {
            header: "X-MBX-ORDER-COUNT-10S",
            value: "8",
            raised: true,
            t: Orders,
            interval: Second,
            num: 10,
            used: 8,
        },
        Case {
            header: "x-mbx-order-count-1d",
            value: "900",
            raised: true,
            t: Orders,
            interval: Day,
            num: 1,
            used: 900,
        },
        Case {
            header: "Content-Length",
            value: "900",
            raised: false,
            t: Orders,
            interval: Day,
            num: 1,
            used: 900,
        },
    ];
    for c in cases {
        assert_eq!(
            l.observe_header(c.header, c.value, T0),
            Ok(c.raised),
            "{}",
            c.header
        );
        assert_eq!(
            l.used(c.t, c.interval, c.num, T0),
            Some(c.used),
            "{}",
            c.header
        );
    }
    // A limit the limiter does not hold is counted, not applied.
    assert_eq!(l.observe_header("X-MBX-USED-WEIGHT-1H", "5", T0), Ok(false));
    assert_eq!(l.stats().unknown_usage, 1);
    assert!(l.observe_header("X-MBX-USED-WEIGHT-1M", "x", T0).is_err());
    // After the raise, only 40 weight is left to cancels, 30 to orders.
    assert_eq!(fill(&mut l, &weight(1, Priority::Order), T0), 30);
    assert_eq!(fill(&mut l, &weight(1, Priority::Critical), T0), 10);
}

#[test]
fn limiter_429_stops_the_ip_then_resumes_at_reduced_budget() {
    let mut l = small();
    let until = T0 + 30 * SEC;
    l.on_http_status(429, Some(-1003), Some(30), T0);
    assert_eq!(l.stats().http_429, 1);
    for req in [
        Endpoint::OrderCancel.request(),
        Endpoint::OrderPlace.request(),
        Endpoint::Time.request(),
    ] {
        assert_eq!(
            l.admit(&req, T0 + 29 * SEC),
            Err(Refusal::BackedOff {
                scope: Scope::Ip,
                until_ns: until
            })
        );
    }
    // Budget table: 80 % on resuming, +5 % per quiet minute, capped at 100 %.
    let budget = [
        (until, 80),
        (until + RESTORE_QUIET_NS - 1, 80),
        (until + RESTORE_QUIET_NS, 85),
        (until + 3 * RESTORE_QUIET_NS, 95),
        (until + 4 * RESTORE_QUIET_NS, 100),
        (until + 40 * RESTORE_QUIET_NS, 100),
    ];
    for (t, pct) in budget {
        assert_eq!(l.budget_pct(Scope::Ip, t), pct, "at +{} s", (t - T0) / SEC);
        assert_eq!(l.budget_pct(Scope::Orders, t), 100);
    }
    // At 80 %: cancels may use 80 of the 100 weight, new orders 72.
    let t = T0 + 60 * SEC; // a fresh minute, still at 80 %
    assert_eq!(l.budget_pct(Scope::Ip, t), 80);
    assert_eq!(fill(&mut l.clone(), &weight(1, Priority::Order), t), 72);
    assert_eq!(fill(&mut l, &weight(1, Priority::Critical), t), 80);
}

#[test]
fn limiter_repeated_429_compounds_down_to_the_floor() {
    let mut l = small();
    let mut t = T0;
    let mut want = 100;
    for _ in 0..20 {
        l.on_rate_limited(Scope::Ip, Some(t + SEC), t);
        want = (want * BACKOFF_BUDGET_PCT / 100).max(MIN_BUDGET_PCT);
        t += SEC;
        assert_eq!(l.budget_pct(Scope::Ip, t), want);
    }
    assert_eq!(want, MIN_BUDGET_PCT);
}

#[test]
fn limiter_429_too_many_orders_stops_orders_not_cancels() {
    let mut l = small();
    l.on_http_status(429, Some(-1015), None, T0);
    let until = T0 + FALLBACK_RETRY_AFTER_NS;
    assert_eq!(
        l.admit(&Endpoint::OrderPlace.request(), T0 + SEC),
        Err(Refusal::BackedOff {
            scope: Scope::Orders,
            until_ns: until
        })
    );
    assert!(l.admit(&Endpoint::OrderCancel.request(), T0 + SEC).is_ok());
    assert!(l
        .admit(&Endpoint::Depth { limit: 100 }.request(), T0 + SEC)
        .is_ok());
    assert!(l.admit(&Endpoint::OrderPlace.request(), until).is_ok());
    // At 80 % of 10 orders per 10 s, less the 10 % reserve: 7 new orders.
    let t = until + 10 * SEC;
    assert_eq!(fill(&mut l, &Endpoint::OrderPlace.request(), t), 7);
}

#[test]
fn limiter_418_stops_everything_and_raises_the_alarm() {
    let mut l = small();
    assert!(!l.alarm());
    l.on_http_status(418, Some(-1003), Some(120), T0);
    let until = T0 + 120 * SEC;
    assert!(l.alarm() && l.is_banned(T0) && l.stats().http_418 == 1);
    for req in [
        Endpoint::OrderCancel.request(),
        Endpoint::OrderPlace.request(),
        Endpoint::Ping.request(),
    ] {
        assert_eq!(
            l.admit(&req, until - 1),
            Err(Refusal::Banned { until_ns: until })
        );
    }
    assert!(l.admit(&Endpoint::OrderCancel.request(), until).is_ok());
    assert!(!l.is_banned(until));
    assert!(l.alarm(), "the alarm is sticky");
    l.clear_alarm();
    assert!(!l.alarm());
    // A 418 without a time bans for the fallback; an absurd one is clamped.
    let mut l = small();
    l.on_banned(None, T0);
    assert_eq!(l.ban_until_ns(), T0 + FALLBACK_BAN_NS);
    let mut l = small();
    l.on_banned(Some(u64::MAX), T0);
    assert_eq!(l.ban_until_ns(), T0 + MAX_STOP_NS);
}

#[test]
fn limiter_reload_keeps_counts_of_unchanged_windows() {
    let mut l = small();
    for _ in 0..5 {
        l.admit(&Endpoint::OrderPlace.request(), T0).unwrap();
    }
    l.reload(&[
        rl(RequestWeight, Minute, 1, 200),
        rl(Orders, Second, 10, 20),
    ])
    .unwrap();
    assert_eq!(l.used(RequestWeight, Minute, 1, T0), Some(5));
    assert_eq!(l.used(Orders, Second, 10, T0), Some(5));
    assert_eq!(l.used(Orders, Day, 1, T0), None);
    assert_eq!(l.reload(&[]), Err(LoadError::Empty));
    assert_eq!(l.limits().count(), 2, "a failed reload changes nothing");
}

#[test]
fn limiter_clock_stepping_back_keeps_counting() {
    let mut l = small();
    assert_eq!(
        fill(&mut l, &weight(10, Priority::Critical), T0 + 30 * SEC),
        10
    );
    // Back into the previous minute: still counted in the current window.
    assert!(l
        .admit(&weight(10, Priority::Critical), T0 - 5 * SEC)
        .is_err());
}
