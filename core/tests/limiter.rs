//! The limiter against real exchange data (exchangeInfo bodies, WS-API
//! responses with `rateLimits` and a 418) and two properties checked against
//! an independent model of the server's fixed windows.

mod common;

use common::{doc_blocks, fill_placeholders, parse_exchange, read};
use flate2::read::GzDecoder;
use kairos_core::binance::exchange_info::{
    decode_exchange_info, RateLimit, RateLimitInterval, RateLimitType,
};
use kairos_core::binance::ws_api::decode_ws_api_response;
use kairos_core::limiter::*;
use proptest::prelude::*;
use std::collections::HashMap;
use std::io::Read;

const SEC: u64 = NANOS_PER_SEC;
/// 2024-08-08T23:54:00Z.
const T0: u64 = 1_723_161_240 * SEC;

fn rl(t: RateLimitType, interval: RateLimitInterval, num: u32, limit: u64) -> RateLimit {
    RateLimit {
        rate_limit_type: t,
        interval,
        interval_num: num,
        limit,
    }
}

#[test]
fn limiter_loads_every_recorded_exchange_info() {
    for (date, weight, orders_10s) in [
        ("20210417", 1200, 100),
        ("20210814", 1200, 50),
        ("20211012", 1200, 50),
    ] {
        let mut raw = Vec::new();
        GzDecoder::new(
            &read(&format!(
                "cryptofeed_recorded_rest/binance_spot_exchangeInfo_{date}.json.gz"
            ))[..],
        )
        .read_to_end(&mut raw)
        .unwrap();
        let info = decode_exchange_info(&raw).unwrap();
        let mut l = Limiter::from_exchange_info(&info).unwrap();
        assert_eq!(l.limits().count(), info.rate_limits.len(), "{date}");
        // Cancels may use the whole published weight, not the default 6000.
        let cancel = Endpoint::OrderCancel.request();
        let mut n = 0;
        while l.admit(&cancel, T0).is_ok() {
            n += 1;
        }
        assert_eq!(n, weight, "{date}");
        // New orders stop at 90 % of the published 10-second order limit.
        let mut l = Limiter::from_exchange_info(&info).unwrap();
        let mut n = 0;
        while l.admit(&Endpoint::OrderPlace.request(), T0).is_ok() {
            n += 1;
        }
        assert_eq!(n, orders_10s * 9 / 10, "{date}");
    }
}

#[test]
fn limiter_syncs_from_ws_api_rate_limits_of_a_real_order_response() {
    let text = String::from_utf8(read("binance_net/Socket/Spot/Trading/PlaceOrder.txt")).unwrap();
    let ex = parse_exchange(&text);
    let resp = decode_ws_api_response(fill_placeholders(&ex.payloads[0]).as_bytes()).unwrap();
    assert_eq!(resp.rate_limits.len(), 3);
    // A fresh limiter (a restart) learns the server's counts.
    let mut l = Limiter::with_default_limits();
    l.observe_ws_api(&resp, T0);
    use RateLimitInterval::*;
    use RateLimitType::*;
    assert_eq!(l.used(Orders, Second, 10, T0), Some(1));
    assert_eq!(l.used(Orders, Day, 1, T0), Some(1));
    assert_eq!(l.used(RequestWeight, Minute, 1, T0), Some(1));
    assert_eq!(l.stats().synced_raises, 3);
    assert!(!l.alarm());
}

#[test]
fn limiter_bans_on_the_documented_ws_api_418() {
    let blocks = doc_blocks("binance_spot_api_docs/web-socket-api.examples.json");
    let ban = blocks
        .iter()
        .find(|b| b.json.contains("\"status\":418"))
        .expect("the docs' 418 example");
    let resp = decode_ws_api_response(ban.json.as_bytes()).unwrap();
    // serverTime 1659142907531, retryAfter 1659146400000.
    let now = 1_659_142_907_531 * NANOS_PER_MS;
    let until = 1_659_146_400_000 * NANOS_PER_MS;
    let mut l = Limiter::with_default_limits();
    l.observe_ws_api(&resp, now);
    assert!(l.alarm() && l.is_banned(now));
    assert_eq!(l.ban_until_ns(), until);
    assert_eq!(
        l.used(
            RateLimitType::RequestWeight,
            RateLimitInterval::Minute,
            1,
            now
        ),
        Some(2411)
    );
    assert_eq!(
        l.admit(&Endpoint::OrderCancel.request(), until - 1),
        Err(Refusal::Banned { until_ns: until })
    );
    assert!(l.admit(&Endpoint::OrderCancel.request(), until).is_ok());
    assert_eq!(l.stats().http_418, 1);
}

// ------------------------------------------------------------ properties ---

/// Small limits so that random streams hit them often.
fn test_limits() -> Vec<RateLimit> {
    use RateLimitInterval::*;
    use RateLimitType::*;
    vec![
        rl(RequestWeight, Minute, 1, 120),
        rl(RequestWeight, Second, 10, 40),
        rl(Orders, Second, 10, 6),
        rl(Orders, Day, 1, 60),
        rl(RawRequests, Minute, 5, 150),
    ]
}

const ENDPOINTS: [Endpoint; 8] = [
    Endpoint::OrderPlace,
    Endpoint::OrderCancel,
    Endpoint::CancelReplace,
    Endpoint::Depth { limit: 100 },
    Endpoint::Depth { limit: 500 },
    Endpoint::OpenOrders { all_symbols: false },
    Endpoint::Account,
    Endpoint::Time,
];

/// The server, modelled independently: one counter per (limit, window index).
#[derive(Default)]
struct Server {
    counts: HashMap<(usize, u64), u64>,
}

impl Server {
    fn charge(l: &RateLimit, c: &Cost) -> u64 {
        u64::from(match l.rate_limit_type {
            RateLimitType::RequestWeight => c.weight,
            RateLimitType::Orders => c.orders,
            RateLimitType::RawRequests => c.raw,
            RateLimitType::Connections => c.connections,
        })
    }

    fn key(i: usize, l: &RateLimit, now_ns: u64) -> (usize, u64) {
        (i, now_ns / (l.window_ms() * NANOS_PER_MS))
    }

    fn count(&self, i: usize, l: &RateLimit, now_ns: u64) -> u64 {
        self.counts
            .get(&Self::key(i, l, now_ns))
            .copied()
            .unwrap_or(0)
    }

    /// Whether `c` fits every limit at `now_ns`.
    fn fits(&self, limits: &[RateLimit], c: &Cost, now_ns: u64) -> bool {
        limits
            .iter()
            .enumerate()
            .all(|(i, l)| self.count(i, l, now_ns) + Self::charge(l, c) <= l.limit)
    }

    fn add(&mut self, limits: &[RateLimit], c: &Cost, now_ns: u64) {
        for (i, l) in limits.iter().enumerate() {
            *self.counts.entry(Self::key(i, l, now_ns)).or_insert(0) += Self::charge(l, c);
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Our request: endpoint index, priority index.
    Send(usize, usize),
    /// Another process on the same IP spends weight; its response headers
    /// tell us the server's counts.
    Foreign(u32),
}

fn op() -> impl Strategy<Value = (u64, Op)> {
    let dt = prop_oneof![3 => 0u64..200, 1 => 0u64..15_000];
    let o = prop_oneof![
        8 => (0..ENDPOINTS.len(), 0..3usize).prop_map(|(e, p)| Op::Send(e, p)),
        1 => (1u32..30).prop_map(Op::Foreign),
    ];
    (dt, o)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever the stream, nothing kairos admits takes any window past its
    /// limit as the server counts it, even with a second process on the IP.
    #[test]
    fn limiter_never_exceeds_any_server_window(
        start_ms in 0u64..86_400_000,
        ops in proptest::collection::vec(op(), 1..400),
    ) {
        let limits = test_limits();
        let mut lim = Limiter::from_rate_limits(&limits).unwrap();
        let mut server = Server::default();
        let mut now = T0 + start_ms * NANOS_PER_MS;
        let mut admitted = 0u64;
        for (dt_ms, op) in ops {
            now += dt_ms * NANOS_PER_MS;
            match op {
                Op::Send(e, p) => {
                    let req = ENDPOINTS[e].request_at(Priority::ALL[p]);
                    if lim.admit(&req, now).is_ok() {
                        prop_assert!(
                            server.fits(&limits, &req.cost, now),
                            "admitted {:?} over a server limit at {}", req, now
                        );
                        server.add(&limits, &req.cost, now);
                        admitted += 1;
                    }
                }
                Op::Foreign(w) => {
                    let cost = Cost { weight: w, orders: 0, raw: 1, connections: 0 };
                    if server.fits(&limits, &cost, now) {
                        server.add(&limits, &cost, now);
                        for (i, l) in limits.iter().enumerate() {
                            if l.rate_limit_type == RateLimitType::RequestWeight
                                || l.rate_limit_type == RateLimitType::RawRequests
                            {
                                lim.observe_count(
                                    l.rate_limit_type, l.interval, l.interval_num,
                                    server.count(i, l, now), now,
                                );
                            }
                        }
                    }
                }
            }
        }
        prop_assert_eq!(lim.stats().admitted, admitted);
    }

    /// A stream of new orders and market data never leaves a cancel without
    /// room: whenever a new order is refused at a limit, a cancel at the
    /// same instant is admitted.
    #[test]
    fn limiter_cancels_fit_when_new_orders_are_refused(
        start_ms in 0u64..86_400_000,
        ops in proptest::collection::vec(
            (prop_oneof![3 => 0u64..100, 1 => 0u64..12_000], 0..ENDPOINTS.len()),
            1..400,
        ),
    ) {
        let mut lim = Limiter::from_rate_limits(&test_limits()).unwrap();
        let mut now = T0 + start_ms * NANOS_PER_MS;
        for (dt_ms, e) in ops {
            now += dt_ms * NANOS_PER_MS;
            let endpoint = ENDPOINTS[e];
            let req = match endpoint.default_priority() {
                Priority::Critical => continue,
                p => endpoint.request_at(p),
            };
            let refused = lim.admit(&req, now);
            if req.priority == Priority::Order {
                if let Err(r @ Refusal::Limit { .. }) = refused {
                    let mut probe = lim.clone();
                    prop_assert!(
                        probe.admit(&Endpoint::OrderCancel.request(), now).is_ok(),
                        "order refused ({}) and the cancel too", r
                    );
                }
            }
        }
    }
}

/// The second property is only worth something if new orders do get refused:
/// a dense stream of them must be refused at the limit and still let cancels
/// through.
#[test]
fn limiter_dense_order_stream_is_refused_but_cancels_pass() {
    let mut lim = Limiter::from_rate_limits(&test_limits()).unwrap();
    let mut refused = 0;
    for i in 0..100 {
        let now = T0 + i * 10 * NANOS_PER_MS;
        if lim.admit(&Endpoint::OrderPlace.request(), now).is_err() {
            refused += 1;
            assert!(lim
                .clone()
                .admit(&Endpoint::OrderCancel.request(), now)
                .is_ok());
        }
    }
    // 6 orders per 10 s, less the 10 % reserve (5 for new orders).
    assert_eq!(refused, 95);
}
