//! The three real exchangeInfo bodies recorded by cryptofeed in 2021.

use flate2::read::GzDecoder;
use kairos_core::binance::exchange_info::*;
use kairos_core::binance::rest::OrderType;
use std::io::Read;
use std::path::Path;

fn load(date: &str) -> ExchangeInfo {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "tests/data/messages/cryptofeed_recorded_rest/binance_spot_exchangeInfo_{date}.json.gz"
    ));
    let mut raw = Vec::new();
    GzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_end(&mut raw)
        .unwrap();
    decode_exchange_info(&raw).unwrap_or_else(|e| panic!("{date}: {e}"))
}

fn rl(t: RateLimitType, i: RateLimitInterval, n: u32, limit: u64) -> RateLimit {
    RateLimit {
        rate_limit_type: t,
        interval: i,
        interval_num: n,
        limit,
    }
}

#[test]
fn rate_limits_change_across_2021() {
    use RateLimitInterval::*;
    use RateLimitType::*;
    let april = load("20210417");
    assert_eq!(april.server_time, 1618677371107);
    assert_eq!(april.symbols.len(), 1405);
    assert_eq!(
        april.rate_limits,
        vec![
            rl(RequestWeight, Minute, 1, 1200),
            rl(Orders, Second, 10, 100),
            rl(Orders, Day, 1, 200000)
        ]
    );
    assert_eq!(april.rate_limits_of(RawRequests).count(), 0);
    let later = vec![
        rl(RequestWeight, Minute, 1, 1200),
        rl(Orders, Second, 10, 50),
        rl(Orders, Day, 1, 160000),
        rl(RawRequests, Minute, 5, 6100),
    ];
    for (date, symbols, time) in [
        ("20210814", 1589, 1628952394686u64),
        ("20211012", 1695, 1633998511098),
    ] {
        let e = load(date);
        assert_eq!(e.timezone, "UTC");
        assert_eq!((e.symbols.len(), e.server_time), (symbols, time), "{date}");
        assert_eq!(e.rate_limits, later, "{date}");
        assert!(e.exchange_filters.is_empty());
        assert_eq!(e.rate_limits[1].window_ms(), 10_000);
        assert_eq!(e.rate_limits[3].window_ms(), 300_000);
    }
}

#[test]
fn btcusdt_filters_as_recorded() {
    for (date, step, mls_max) in [
        ("20210417", "0.00000100", "87.70027733"),
        ("20210814", "0.00000100", "117.99126172"),
        ("20211012", "0.00001000", "100.05381873"),
    ] {
        let e = load(date);
        let s = e.symbol("BTCUSDT").unwrap();
        assert_eq!(s.status, SymbolStatus::Trading);
        assert_eq!(
            (s.base_asset.as_str(), s.quote_asset.as_str()),
            ("BTC", "USDT")
        );
        assert_eq!((s.base_asset_precision, s.quote_asset_precision), (8, 8));
        assert_eq!(
            s.order_types,
            vec![
                OrderType::Limit,
                OrderType::LimitMaker,
                OrderType::Market,
                OrderType::StopLossLimit,
                OrderType::TakeProfitLimit
            ]
        );
        assert!(s.iceberg_allowed && s.oco_allowed && s.is_spot_trading_allowed);
        assert_eq!(s.permissions, vec!["SPOT", "MARGIN"]);
        assert_eq!(s.filters.len(), 8, "{date}");
        let pf = s.price_filter().unwrap();
        assert_eq!(pf.min_price.to_string(), "0.01000000");
        assert_eq!(pf.max_price.to_string(), "1000000.00000000");
        assert_eq!(pf.tick_size.to_string(), "0.01000000");
        let pp = s.percent_price().unwrap();
        assert_eq!(
            (
                pp.multiplier_up.to_string().as_str(),
                pp.multiplier_down.to_string().as_str()
            ),
            ("5.00000000", "0.20000000")
        );
        assert_eq!(pp.avg_price_mins, 5);
        let lot = s.lot_size().unwrap();
        assert_eq!(lot.min_qty.to_string(), step, "{date}");
        assert_eq!(lot.step_size.to_string(), step, "{date}");
        assert_eq!(lot.max_qty.to_string(), "9000.00000000");
        let mn = s.min_notional().unwrap();
        assert_eq!(mn.min_notional.to_string(), "10.00000000");
        assert!(mn.apply_to_market);
        assert_eq!(mn.avg_price_mins, 5);
        let mls = s.market_lot_size().unwrap();
        assert!(mls.min_qty.is_zero() && mls.step_size.is_zero());
        assert_eq!(mls.max_qty.to_string(), mls_max, "{date}");
        assert!(s.filters.contains(&Filter::IcebergParts { limit: 10 }));
        assert!(s.filters.contains(&Filter::MaxNumOrders {
            max_num_orders: 200
        }));
        assert!(s.filters.contains(&Filter::MaxNumAlgoOrders {
            max_num_algo_orders: 5
        }));
        assert!(s.notional().is_none() && s.percent_price_by_side().is_none());
    }
}

#[test]
fn every_symbol_filter_is_typed_and_status_counts_match() {
    for (date, trading, brk, max_pos) in [
        ("20210417", 1038, 367, 0),
        ("20210814", 1193, 396, 40),
        ("20211012", 1262, 433, 40),
    ] {
        let e = load(date);
        let count = |st| e.symbols.iter().filter(|s| s.status == st).count();
        assert_eq!(
            (count(SymbolStatus::Trading), count(SymbolStatus::Break)),
            (trading, brk),
            "{date}"
        );
        let unknown = e
            .symbols
            .iter()
            .flat_map(|s| &s.filters)
            .filter(|f| matches!(f, Filter::Unknown { .. }))
            .count();
        assert_eq!(unknown, 0, "{date}");
        let mp = e
            .symbols
            .iter()
            .flat_map(|s| &s.filters)
            .filter(|f| matches!(f, Filter::MaxPosition { .. }))
            .count();
        assert_eq!(mp, max_pos, "{date}");
        // Every price filter keeps its bounds and grid consistent.
        for s in &e.symbols {
            let pf = s.price_filter().unwrap();
            assert!(
                pf.tick_size.is_zero() || pf.min_price.is_multiple_of(pf.tick_size),
                "{date} {}",
                s.symbol
            );
        }
    }
}
