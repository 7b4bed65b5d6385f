//! Table-driven filter cases at and around each boundary.

use kairos_core::binance::exchange_info::SymbolInfo;
use kairos_core::binance::filters::{check_order, FilterContext, OrderIntent};
use kairos_core::binance::rest::{OrderType, Side};
use kairos_core::num::{Price, Qty, Rounding};

/// A symbol carrying every filter (values in Binance's documented style).
fn symbol() -> SymbolInfo {
    serde_json::from_str(
        r#"{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","baseAssetPrecision":8,
        "quoteAsset":"USDT","quoteAssetPrecision":8,
        "orderTypes":["LIMIT","LIMIT_MAKER","MARKET","STOP_LOSS","STOP_LOSS_LIMIT","TAKE_PROFIT_LIMIT"],
        "icebergAllowed":true,"ocoAllowed":true,"quoteOrderQtyMarketAllowed":true,
        "isSpotTradingAllowed":true,"isMarginTradingAllowed":false,"permissions":["SPOT"],
        "filters":[
          {"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"},
          {"filterType":"PERCENT_PRICE_BY_SIDE","bidMultiplierUp":"1.2","bidMultiplierDown":"0.2",
           "askMultiplierUp":"5","askMultiplierDown":"0.8","avgPriceMins":5},
          {"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},
          {"filterType":"MARKET_LOT_SIZE","minQty":"0.00000000","maxQty":"100.00000000","stepSize":"0.00000000"},
          {"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true,
           "maxNotional":"9000000.00000000","applyMaxToMarket":false,"avgPriceMins":5},
          {"filterType":"ICEBERG_PARTS","limit":10},
          {"filterType":"MAX_NUM_ORDERS","maxNumOrders":200},
          {"filterType":"MAX_NUM_ALGO_ORDERS","maxNumAlgoOrders":5},
          {"filterType":"MAX_NUM_ICEBERG_ORDERS","maxNumIcebergOrders":3},
          {"filterType":"MAX_POSITION","maxPosition":"10.00000000"},
          {"filterType":"TRAILING_DELTA","minTrailingAboveDelta":10,"maxTrailingAboveDelta":2000,
           "minTrailingBelowDelta":10,"maxTrailingBelowDelta":2000},
          {"filterType":"SOMETHING_NEW","x":1}
        ]}"#,
    )
    .unwrap()
}

/// A 2021-style symbol: PERCENT_PRICE and MIN_NOTIONAL, no tick rule.
fn old_symbol() -> SymbolInfo {
    serde_json::from_str(
        r#"{"symbol":"OLDUSDT","status":"TRADING","baseAsset":"OLD","baseAssetPrecision":8,
        "quoteAsset":"USDT","quoteAssetPrecision":8,"orderTypes":["LIMIT","MARKET"],
        "icebergAllowed":false,"ocoAllowed":false,"quoteOrderQtyMarketAllowed":true,
        "isSpotTradingAllowed":true,"isMarginTradingAllowed":false,
        "filters":[
          {"filterType":"PRICE_FILTER","minPrice":"0","maxPrice":"0","tickSize":"0"},
          {"filterType":"PERCENT_PRICE","multiplierUp":"5","multiplierDown":"0.2","avgPriceMins":0},
          {"filterType":"LOT_SIZE","minQty":"0.00000000","maxQty":"100.00000000","stepSize":"0.10000000"},
          {"filterType":"MIN_NOTIONAL","minNotional":"10.00000000","applyToMarket":false,"avgPriceMins":5}
        ]}"#,
    )
    .unwrap()
}

fn p(s: &str) -> Price {
    s.parse().unwrap()
}
fn q(s: &str) -> Qty {
    s.parse().unwrap()
}

fn limit(side: Side, price: &str, qty: &str) -> OrderIntent {
    OrderIntent {
        side,
        order_type: OrderType::Limit,
        price: Some(p(price)),
        qty: q(qty),
        stop_price: None,
        iceberg_qty: None,
        trailing_delta: None,
    }
}

fn ctx() -> FilterContext {
    FilterContext {
        avg_price: Some(p("60000")),
        last_price: Some(p("60000")),
        position: Some(q("0")),
        ..FilterContext::default()
    }
}

/// Expected outcome: Ok((price, qty)) after rounding, or Err(filter, text in the message).
type Want = Result<(Option<&'static str>, &'static str), (&'static str, &'static str)>;

struct Case {
    name: &'static str,
    symbol: fn() -> SymbolInfo,
    intent: OrderIntent,
    ctx: FilterContext,
    want: Want,
}

fn case(name: &'static str, intent: OrderIntent, want: Want) -> Case {
    Case {
        name,
        symbol,
        intent,
        ctx: ctx(),
        want,
    }
}

#[test]
fn table() {
    let mut market = limit(Side::Buy, "1", "0.001");
    market.order_type = OrderType::Market;
    market.price = None;
    let mut iceberg = limit(Side::Sell, "60000", "1");
    iceberg.iceberg_qty = Some(q("0.1"));
    let mut iceberg_small = iceberg;
    iceberg_small.iceberg_qty = Some(q("0.09999"));
    let mut stop = limit(Side::Sell, "59000", "0.001");
    stop.order_type = OrderType::StopLossLimit;
    stop.stop_price = Some(p("59100.005"));
    let mut trailing = stop;
    trailing.stop_price = None;
    trailing.trailing_delta = Some(5);
    let mut no_price = limit(Side::Buy, "1", "1");
    no_price.price = None;
    let mut tp_market = limit(Side::Buy, "1", "1");
    tp_market.order_type = OrderType::TakeProfit;

    let mut cases = vec![
        // PRICE_FILTER: tick rounding passive (bids down, asks up), bounds.
        case(
            "bid on grid",
            limit(Side::Buy, "60000.01", "0.001"),
            Ok((Some("60000.01000000"), "0.00100000")),
        ),
        case(
            "bid rounds down",
            limit(Side::Buy, "60000.019", "0.001"),
            Ok((Some("60000.01000000"), "0.00100000")),
        ),
        case(
            "ask rounds up",
            limit(Side::Sell, "60000.011", "0.001"),
            Ok((Some("60000.02000000"), "0.00100000")),
        ),
        case(
            "price below minPrice",
            limit(Side::Buy, "0.009", "1000"),
            Err(("PRICE_FILTER", "below minPrice 0.01000000")),
        ),
        case(
            "ask rounds above maxPrice",
            limit(Side::Sell, "1000000.001", "1"),
            Err(("PRICE_FILTER", "above maxPrice")),
        ),
        // LOT_SIZE: step rounding down, bounds.
        case(
            "qty at minQty",
            limit(Side::Buy, "60000", "0.00001"),
            Err(("NOTIONAL", "below minNotional 5.00000000")),
        ),
        case(
            "qty rounds down",
            limit(Side::Buy, "60000", "0.001019"),
            Ok((Some("60000.00000000"), "0.00101000")),
        ),
        case(
            "qty below minQty",
            limit(Side::Buy, "60000", "0.000005"),
            Err(("LOT_SIZE", "qty 0.00000500 below minQty 0.00001000")),
        ),
        Case {
            ctx: FilterContext {
                avg_price: Some(p("1")),
                ..ctx()
            },
            ..case(
                "qty at maxQty (sell: no MAX_POSITION)",
                limit(Side::Sell, "1", "9000"),
                Ok((Some("1.00000000"), "9000.00000000")),
            )
        },
        case(
            "qty above maxQty",
            limit(Side::Buy, "1", "9000.00001"),
            Err(("LOT_SIZE", "above maxQty 9000.00000000")),
        ),
        // PERCENT_PRICE_BY_SIDE: bid in [0.2, 1.2] × 60000, ask in [0.8, 5] × 60000.
        case(
            "bid at up bound",
            limit(Side::Buy, "72000", "0.001"),
            Ok((Some("72000.00000000"), "0.00100000")),
        ),
        case(
            "bid over up bound",
            limit(Side::Buy, "72000.01", "0.001"),
            Err((
                "PERCENT_PRICE_BY_SIDE",
                "above 60000.00000000 × multiplierUp 1.20000000",
            )),
        ),
        case(
            "ask at down bound",
            limit(Side::Sell, "48000", "0.001"),
            Ok((Some("48000.00000000"), "0.00100000")),
        ),
        case(
            "ask under down bound",
            limit(Side::Sell, "47999.99", "0.001"),
            Err(("PERCENT_PRICE_BY_SIDE", "below")),
        ),
        // NOTIONAL: 5 ≤ price × qty; max not applied to MARKET.
        case(
            "notional exactly min",
            limit(Side::Buy, "50000", "0.0001"),
            Ok((Some("50000.00000000"), "0.00010000")),
        ),
        case(
            "notional just under",
            limit(Side::Buy, "49999.99", "0.0001"),
            Err(("NOTIONAL", "notional 4.99999900")),
        ),
        case(
            "notional over max",
            limit(Side::Buy, "70000", "200"),
            Err(("NOTIONAL", "above maxNotional")),
        ),
        case("market min uses avg", market, Ok((None, "0.00100000"))),
        // MARKET_LOT_SIZE caps MARKET orders only.
        case(
            "market over market max",
            OrderIntent {
                qty: q("100.00001"),
                ..market
            },
            Err(("MARKET_LOT_SIZE", "above maxQty 100.00000000")),
        ),
        // ICEBERG_PARTS: ceil(1 / 0.1) = 10 ok, ceil(1 / 0.09999) = 11 not.
        case(
            "iceberg 10 parts",
            iceberg,
            Ok((Some("60000.00000000"), "1.00000000")),
        ),
        case(
            "iceberg 11 parts",
            iceberg_small,
            Err(("ICEBERG_PARTS", "11 parts, over the limit 10")),
        ),
        // Stop price is rounded like the price; TRAILING_DELTA below range.
        case(
            "stop limit",
            stop,
            Ok((Some("59000.00000000"), "0.00100000")),
        ),
        case(
            "trailing delta too small",
            trailing,
            Err((
                "TRAILING_DELTA",
                "trailingDelta 5 outside the below range [10, 2000]",
            )),
        ),
        // Structure.
        case(
            "limit without price",
            no_price,
            Err(("ORDER_TYPE", "needs a limit price")),
        ),
        case(
            "type not allowed",
            tp_market,
            Err(("ORDER_TYPE", "not allowed")),
        ),
        // MAX_POSITION for buys: 9.99 + 0.01 = 10 ok, + 0.01001 not.
        Case {
            ctx: FilterContext {
                position: Some(q("9.99")),
                ..ctx()
            },
            ..case(
                "position at max",
                limit(Side::Buy, "60000", "0.01"),
                Ok((Some("60000.00000000"), "0.01000000")),
            )
        },
        Case {
            ctx: FilterContext {
                position: Some(q("9.99")),
                ..ctx()
            },
            ..case(
                "position over max",
                limit(Side::Buy, "60000", "0.01001"),
                Err(("MAX_POSITION", "above maxPosition 10.00000000")),
            )
        },
        Case {
            ctx: FilterContext {
                position: None,
                ..ctx()
            },
            ..case(
                "position unknown",
                limit(Side::Buy, "60000", "0.01"),
                Err(("MAX_POSITION", "none given")),
            )
        },
        // Open-order counts.
        Case {
            ctx: FilterContext {
                open_orders: 199,
                ..ctx()
            },
            ..case(
                "199 open",
                limit(Side::Buy, "60000", "0.01"),
                Ok((Some("60000.00000000"), "0.01000000")),
            )
        },
        Case {
            ctx: FilterContext {
                open_orders: 200,
                ..ctx()
            },
            ..case(
                "200 open",
                limit(Side::Buy, "60000", "0.01"),
                Err(("MAX_NUM_ORDERS", "200 open orders, maxNumOrders 200")),
            )
        },
        Case {
            ctx: FilterContext {
                open_algo_orders: 5,
                ..ctx()
            },
            ..case(
                "5 algo open",
                stop,
                Err(("MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders 5")),
            )
        },
        Case {
            ctx: FilterContext {
                open_algo_orders: 5,
                ..ctx()
            },
            ..case(
                "algo count ignores limit",
                limit(Side::Buy, "60000", "0.01"),
                Ok((Some("60000.00000000"), "0.01000000")),
            )
        },
        Case {
            ctx: FilterContext {
                open_iceberg_orders: 3,
                ..ctx()
            },
            ..case(
                "3 icebergs open",
                iceberg,
                Err(("MAX_NUM_ICEBERG_ORDERS", "maxNumIcebergOrders 3")),
            )
        },
        // Missing reference price.
        Case {
            ctx: FilterContext {
                avg_price: None,
                ..ctx()
            },
            ..case(
                "no avg price",
                limit(Side::Buy, "60000", "0.01"),
                Err((
                    "PERCENT_PRICE_BY_SIDE",
                    "5-minute average price, none given",
                )),
            )
        },
        // Explicit rounding override.
        Case {
            ctx: FilterContext {
                price_rounding: Some(Rounding::HalfEven),
                ..ctx()
            },
            ..case(
                "half-even bid",
                limit(Side::Buy, "60000.016", "0.001"),
                Ok((Some("60000.02000000"), "0.00100000")),
            )
        },
    ];
    // 2021-style symbol: zero tick/min/max disable the price rule; PERCENT_PRICE on last price.
    let old = |name, intent, want| Case {
        symbol: old_symbol,
        ctx: FilterContext {
            last_price: Some(p("12")),
            avg_price: None,
            ..ctx()
        },
        ..case(name, intent, want)
    };
    let mut old_market = market;
    old_market.qty = q("0.1");
    cases.extend([
        old(
            "tick 0: any precision",
            limit(Side::Buy, "12.34567891", "1"),
            Ok((Some("12.34567891"), "1.00000000")),
        ),
        old(
            "step from minQty 0",
            limit(Side::Buy, "12", "1.05"),
            Ok((Some("12.00000000"), "1.00000000")),
        ),
        old(
            "qty rounds to zero",
            limit(Side::Buy, "12", "0.05"),
            Err(("LOT_SIZE", "zero after rounding")),
        ),
        old(
            "percent up bound on last",
            limit(Side::Buy, "60", "1"),
            Ok((Some("60.00000000"), "1.00000000")),
        ),
        old(
            "percent down bound on last",
            limit(Side::Sell, "2.4", "5"),
            Ok((Some("2.40000000"), "5.00000000")),
        ),
        old(
            "percent over",
            limit(Side::Buy, "60.00000001", "1"),
            Err(("PERCENT_PRICE", "multiplierUp 5.00000000")),
        ),
        old(
            "min notional",
            limit(Side::Buy, "12", "0.8"),
            Err((
                "MIN_NOTIONAL",
                "notional 9.60000000 (12.00000000 × 0.80000000) below minNotional 10.00000000",
            )),
        ),
        old(
            "min notional not on market",
            old_market,
            Ok((None, "0.10000000")),
        ),
        old(
            "iceberg not allowed",
            iceberg,
            Err(("ICEBERG", "not allowed")),
        ),
    ]);

    for c in cases {
        let got = check_order(&(c.symbol)(), &c.intent, &c.ctx);
        match (&got, &c.want) {
            (Ok(o), Ok((price, qty))) => {
                assert_eq!(
                    o.price.map(|p| p.to_string()).as_deref(),
                    *price,
                    "{}",
                    c.name
                );
                assert_eq!(o.qty.to_string(), *qty, "{}", c.name);
            }
            (Err(r), Err((filter, text))) => {
                assert_eq!(r.filter, *filter, "{}: {r}", c.name);
                let shown = r.to_string();
                assert!(
                    shown.starts_with(&format!("{filter}: ")),
                    "{}: {shown}",
                    c.name
                );
                assert!(shown.contains(text), "{}: {shown:?} lacks {text:?}", c.name);
            }
            _ => panic!("{}: got {got:?}, want {:?}", c.name, c.want),
        }
    }
}

#[test]
fn stop_price_rounds_like_the_price() {
    let mut stop = limit(Side::Sell, "59000", "0.001");
    stop.order_type = OrderType::StopLossLimit;
    stop.stop_price = Some(p("59100.005"));
    let o = check_order(&symbol(), &stop, &ctx()).unwrap();
    assert_eq!(o.stop_price, Some(p("59100.01")));
}

#[test]
fn documented_failure_names_map() {
    let r = check_order(&symbol(), &limit(Side::Buy, "60000", "0.000005"), &ctx()).unwrap_err();
    assert_eq!(r.failure().map(|f| f.name()), Some("LOT_SIZE"));
}

#[test]
fn rounding_never_leaves_the_grid() {
    let s = symbol();
    let tick = p("0.01");
    let step = q("0.00001");
    let min_q = q("0.00001");
    // A deterministic spread of prices and quantities (no RNG needed).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..5000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let price = Price::from_units(4_800_000_000_000 + (x % 2_400_000_000_000) as i64).unwrap();
        let qty = Qty::from_units(1_000 + ((x >> 20) % 100_000_000) as i64).unwrap();
        for side in [Side::Buy, Side::Sell] {
            let intent = limit(side, &price.to_string(), &qty.to_string());
            if let Ok(o) = check_order(&s, &intent, &ctx()) {
                let op = o.price.unwrap();
                assert!(op.is_multiple_of(tick), "{op}");
                assert!(
                    o.qty.checked_sub(min_q).unwrap().is_multiple_of(step) || o.qty == min_q,
                    "{}",
                    o.qty
                );
                assert!(o.qty <= qty, "qty rounded up: {} > {qty}", o.qty);
                match side {
                    Side::Buy => assert!(op <= price && price.checked_sub(op).unwrap() < tick),
                    Side::Sell => assert!(op >= price && op.checked_sub(price).unwrap() < tick),
                }
                // Re-checking a rounded order changes nothing.
                assert_eq!(check_order(&s, &o, &ctx()), Ok(o));
            }
        }
    }
}
