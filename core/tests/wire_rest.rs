//! REST and WS-API responses decoded from real fixtures (copied unchanged from
//! the shared message collection). Every fixture of a directory is either
//! decoded into its type with sample values checked, or listed as unsupported:
//! a new file fails the walk instead of passing silently.

use kairos_core::binance::errors::ErrorCode;
use kairos_core::binance::exchange_info::decode_exchange_info;
use kairos_core::binance::exchange_info::{ExchangeInfo, RateLimitInterval, RateLimitType};
use kairos_core::binance::rest::*;
use kairos_core::binance::ws_api::{decode_ws_api_response, RequestId, WsApiResponse};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/messages")
        .join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(data(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn files(dir: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![data(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(data(dir))
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel);
            }
        }
    }
    out
}

fn p(s: &str) -> kairos_core::num::Price {
    s.parse().unwrap()
}
fn q(s: &str) -> kairos_core::num::Qty {
    s.parse().unwrap()
}

/// The JSON body of a binance_net REST fixture (after method, path, signed).
fn endpoint_body(rel: &str) -> String {
    read(rel).lines().skip(3).collect::<Vec<_>>().join("\n")
}

/// The expected response of a binance_net WS-API fixture (after the `=` line).
fn socket_body(rel: &str) -> String {
    let text = read(rel);
    let mut lines = text.lines().skip_while(|l| !l.starts_with('='));
    let first = lines.next().unwrap_or_else(|| panic!("{rel}: no `=` line"));
    let mut body = first[1..].to_string();
    for l in lines {
        body.push('\n');
        body.push_str(l);
    }
    body
}

fn check_full_order(o: &OrderResponse) {
    let OrderResponse::Full(f) = o else {
        panic!("expected FULL: {o:?}")
    };
    assert_eq!(f.order.symbol, "BTCUSDT");
    assert_eq!(f.order.order_type, OrderType::Limit);
    assert_eq!(f.order.side, Side::Sell);
    assert_eq!(f.order.status, OrderStatus::Filled);
    assert_eq!(f.order.executed_qty, q("0.00847000"));
    assert_eq!(f.order.cumulative_quote_qty.to_string(), "198.33521500");
    assert_eq!(f.fills.len(), 2);
    assert_eq!(f.fills[0].price, p("23416.10000000"));
    assert_eq!(f.fills[1].qty, q("0.00212000"));
    assert_eq!(f.fills[0].commission_asset, "BNB");
}

#[test]
fn binance_net_rest_endpoints() {
    let supported = [
        "ExchangeData/GetServerTime.txt",
        "ExchangeData/GetKlines.txt",
        "ExchangeData/GetUiKlines.txt",
        "ExchangeData/GetExchangeInfo.txt",
        "Account/GetAccountInfo.txt",
        "Trading/PlaceOrder.txt",
        "Trading/CancelOrder.txt",
        "Trading/CancelAllOrders.txt",
        "Trading/GetOrder.txt",
        "Trading/GetOpenOrders.txt",
        "Trading/GetOrders.txt",
    ];
    let unsupported = [
        "Account/GetAPIKeyPermissions.txt",
        "Account/GetAccountStatus.txt",
        "Account/GetBalances.txt",
        "Account/GetCommissionRates.txt",
        "Account/GetOrderRateLimitStatus.txt",
        "Account/GetTradeFee.txt",
        "Account/GetTradingStatus.txt",
        "ExchangeData/GetAggregatedTradeHistory.txt",
        "ExchangeData/GetAssetDetails.txt",
        "ExchangeData/GetAvgPrice.txt",
        "ExchangeData/GetBookPrice.txt",
        "ExchangeData/GetConvertListAllPairs.txt",
        "ExchangeData/GetConvertQuantityPrecisionPerAsset.txt",
        "ExchangeData/GetCrossMarginCollateralRatio.txt",
        "ExchangeData/GetDelistSchedule.txt",
        "ExchangeData/GetExecutionRules.txt",
        "ExchangeData/GetFutureHourlyInterestRate.txt",
        "ExchangeData/GetIsolatedMarginSymbols.txt",
        "ExchangeData/GetIsolatedMarginTierData.txt",
        "ExchangeData/GetLeveragedTokenInfo.txt",
        "ExchangeData/GetMarginAssets.txt",
        "ExchangeData/GetMarginDelistSchedule.txt",
        "ExchangeData/GetMarginPriceIndex.txt",
        "ExchangeData/GetMarginSymbols.txt",
        "ExchangeData/GetPrice.txt",
        "ExchangeData/GetRecentTrades.txt",
        "ExchangeData/GetReferencePrice.txt",
        "ExchangeData/GetReferencePriceCalculation.txt",
        "ExchangeData/GetRollingWindowTicker.txt",
        "ExchangeData/GetSystemStatus.txt",
        "ExchangeData/GetTicker.txt",
        "ExchangeData/GetTradeHistory.txt",
        "ExchangeData/GetTradingDayTicker.txt",
        "Trading/AmendOrder.txt",
        "Trading/CancelOcoOrder.txt",
        "Trading/GetPreventedTrades.txt",
        "Trading/GetUserTrades.txt",
        "Trading/PlaceOcoOrderList.txt",
        "Trading/PlaceTestOrder.txt",
        "Trading/ReplaceOrder.txt",
    ];
    let dir = "binance_net/Endpoints/Spot";
    let all: BTreeSet<String> = supported
        .iter()
        .chain(unsupported.iter())
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        files(dir),
        all,
        "fixture set changed: classify the new files"
    );

    for name in supported {
        let rel = format!("{dir}/{name}");
        let b = endpoint_body(&rel);
        let b = b.as_bytes();
        match name {
            "ExchangeData/GetServerTime.txt" => {
                assert_eq!(decode_server_time(b).unwrap().server_time, 1499827319559)
            }
            "ExchangeData/GetKlines.txt" | "ExchangeData/GetUiKlines.txt" => {
                let k = decode_klines(b).unwrap();
                assert!(!k.is_empty(), "{rel}");
                assert!(
                    k[0].close_time > k[0].open_time && k[0].high >= k[0].low,
                    "{rel}: {:?}",
                    k[0]
                );
            }
            "ExchangeData/GetExchangeInfo.txt" => {
                // The docs' example has a placeholder `"rateLimits": [{}]`; a
                // rate limit without fields is rejected, naming the field.
                let e = decode_exchange_info(b).unwrap_err().to_string();
                assert!(
                    e.contains("exchangeInfo") && e.contains("rateLimitType"),
                    "{e}"
                );
                let mut v: serde_json::Value = serde_json::from_slice(b).unwrap();
                v["rateLimits"] = serde_json::json!([]);
                let e = decode_exchange_info(&serde_json::to_vec(&v).unwrap()).unwrap();
                assert_eq!(e.timezone, "UTC");
                assert_eq!(e.symbols[0].symbol, "ETHBTC");
                assert!(e.symbols[0].allows(OrderType::StopLoss));
            }
            "Account/GetAccountInfo.txt" => {
                let a = decode_account(b).unwrap();
                assert!(!a.balances.is_empty());
                assert!(a.can_trade);
            }
            "Trading/PlaceOrder.txt" => {
                let o = decode_order_response(b).unwrap();
                assert!(matches!(o, OrderResponse::Full(_)), "{o:?}");
            }
            "Trading/CancelOrder.txt" => {
                let c = decode_cancel_order(b).unwrap();
                assert_eq!(c.status, OrderStatus::Canceled);
            }
            "Trading/CancelAllOrders.txt" => {
                // A mix of single orders and order lists: the plain orders decode.
                let v: Vec<serde_json::Value> = serde_json::from_slice(b).unwrap();
                let plain: Vec<_> = v.iter().filter(|o| o.get("orderId").is_some()).collect();
                assert!(!plain.is_empty());
                for o in plain {
                    let c: CanceledOrder = serde_json::from_value(o.clone()).unwrap();
                    assert_eq!(c.status, OrderStatus::Canceled);
                }
            }
            "Trading/GetOrder.txt" => {
                let o = decode_order_info(b).unwrap();
                assert_eq!(o.symbol, "LTCBTC");
                assert_eq!(o.order_id, 1);
            }
            "Trading/GetOpenOrders.txt" | "Trading/GetOrders.txt" => {
                let v = decode_open_orders(b).unwrap();
                assert!(!v.is_empty(), "{rel}");
                assert_eq!(v[0].symbol, "LTCBTC");
            }
            _ => unreachable!(),
        }
    }
}

#[test]
fn binance_net_ws_api() {
    let dir = "binance_net/Socket/Spot";
    let typed = [
        "Account/GetAccountInfo.txt",
        "ExchangeData/GetExchangeInfo.txt",
        "ExchangeData/GetKlines.txt",
        "ExchangeData/GetUIKlines.txt",
        "ExchangeData/GetOrderBook.txt",
        "Trading/PlaceOrder.txt",
        "Trading/CancelOrder.txt",
        "Trading/GetOrder.txt",
        "Trading/GetOpenOrders.txt",
    ];
    let envelope_only = [
        "Account/GetOrderRateLimits.txt",
        "ExchangeData/GetAggregatedTradeHistory.txt",
        "ExchangeData/GetBookTickers.txt",
        "ExchangeData/GetCurrentAvgPrice.txt",
        "ExchangeData/GetRecentTrades.txt",
        "ExchangeData/GetRollingWindowTickers.txt",
        "ExchangeData/GetTickers.txt",
        "ExchangeData/GetTradeHistory.txt",
        "Trading/AmendOrder.txt",
        "Trading/CancelAllOrders.txt",
        "Trading/CancelOcoOrder.txt",
        "Trading/GetOcoOrder.txt",
        "Trading/GetOpenOcoOrders.txt",
        "Trading/GetPreventedTrades.txt",
        "Trading/GetUserTrades.txt",
        "Trading/PlaceOcoOrder.txt",
        "Trading/PlaceTestOrder.txt",
        "Trading/ReplaceOrder.txt",
    ];
    let all: BTreeSet<String> = typed
        .iter()
        .chain(envelope_only.iter())
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        files(dir),
        all,
        "fixture set changed: classify the new files"
    );
    for name in all.iter() {
        let rel = format!("{dir}/{name}");
        let r = decode_ws_api_response(socket_body(&rel).as_bytes())
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(r.id, Some(RequestId::Str("|1|".into())), "{rel}");
        assert_eq!(r.status, 200, "{rel}");
        assert!(r.is_ok(), "{rel}");
        match name.as_str() {
            "Account/GetAccountInfo.txt" => {
                let a: Account = r.result_as("account").unwrap().unwrap();
                assert!(!a.balances.is_empty());
            }
            "ExchangeData/GetExchangeInfo.txt" => {
                let e: ExchangeInfo = r.result_as("exchangeInfo").unwrap().unwrap();
                assert!(!e.symbols.is_empty());
            }
            "ExchangeData/GetKlines.txt" | "ExchangeData/GetUIKlines.txt" => {
                let k: Vec<Kline> = r.result_as("klines").unwrap().unwrap();
                assert_eq!(k[0].open_time, 1655971200000);
                assert_eq!(k[0].open, p("0.01086000"));
                assert_eq!(k[0].volume.to_string(), "2290.53800000");
                assert_eq!(k[0].trades, 2283);
            }
            "ExchangeData/GetOrderBook.txt" => {
                let d: DepthSnapshot = r.result_as("depth").unwrap().unwrap();
                assert!(!d.bids.is_empty() && !d.asks.is_empty());
            }
            "Trading/PlaceOrder.txt" => check_full_order(&r.result_as("order").unwrap().unwrap()),
            "Trading/CancelOrder.txt" => {
                // Binance.Net's expected `order.cancel` response is a query-order
                // body (FILLED, no origClientOrderId): not a cancel response.
                let e = r
                    .result_as::<CanceledOrder>("cancel")
                    .unwrap_err()
                    .to_string();
                assert!(e.contains("origClientOrderId"), "{e}");
                let o: OrderInfo = r.result_as("order").unwrap().unwrap();
                assert_eq!(o.status, OrderStatus::Filled);
            }
            "Trading/GetOrder.txt" => {
                let _: OrderInfo = r.result_as("order").unwrap().unwrap();
            }
            "Trading/GetOpenOrders.txt" => {
                let v: Vec<OrderInfo> = r.result_as("open orders").unwrap().unwrap();
                assert!(!v.is_empty());
            }
            _ => {}
        }
    }
}

#[test]
fn nautilus_rest_fixtures() {
    let typed = [
        "crates_spot_http_json/account_response.json",
        "crates_spot_http_json/all_orders_response.json",
        "crates_spot_http_json/cancel_order_response.json",
        "crates_spot_http_json/depth_response.json",
        "crates_spot_http_json/exchange_info_response.json",
        "crates_spot_http_json/klines_response.json",
        "crates_spot_http_json/new_order_full_response.json",
        "crates_spot_http_json/open_orders_response.json",
        "crates_spot_http_json/order_response.json",
        "crates_spot_http_json/server_time_response.json",
        "http_responses/http_spot_market_depth.json",
        "http_responses/http_spot_market_exchange_info.json",
        "http_responses/http_spot_market_klines.json",
        "http_responses/http_spot_market_time.json",
        "http_responses/http_spot_wallet_account.json",
    ];
    let unsupported = [
        "crates_spot_http_json/account_trades_response.json",
        "crates_spot_http_json/avg_price_response.json",
        "crates_spot_http_json/book_ticker_response.json",
        "crates_spot_http_json/cancel_open_orders_response.json",
        "crates_spot_http_json/ping_response.json",
        "crates_spot_http_json/ticker_24hr_response.json",
        "crates_spot_http_json/ticker_price_response.json",
        "crates_spot_http_json/trades_response.json",
        "http_responses/http_spot_market_agg_trades.json",
        "http_responses/http_spot_market_avg_price.json",
        "http_responses/http_spot_market_book_ticker.json",
        "http_responses/http_spot_market_historical_trades.json",
        "http_responses/http_spot_market_ping.json",
        "http_responses/http_spot_market_ticker_price.json",
        "http_responses/http_spot_market_trades.json",
        "http_responses/http_wallet_trading_fee.json",
        "http_responses/http_wallet_trading_fees.json",
    ];
    let all: BTreeSet<String> = typed
        .iter()
        .chain(unsupported.iter())
        .map(|s| s.to_string())
        .collect();
    // The REST folders only: ws_messages/ and crates_spot_user_data_json/ are
    // walked by wire_market.rs and wire_user.rs.
    let rest_files: BTreeSet<String> = files("nautilus_trader")
        .into_iter()
        .filter(|f| f.starts_with("crates_spot_http_json/") || f.starts_with("http_responses/"))
        .collect();
    assert_eq!(
        rest_files, all,
        "fixture set changed: classify the new files"
    );
    for name in typed {
        let b = read(&format!("nautilus_trader/{name}"));
        let b = b.as_bytes();
        let file = name.rsplit('/').next().unwrap();
        match file {
            "account_response.json" => {
                let a = decode_account(b).unwrap();
                assert_eq!(a.uid, Some(354937868));
                assert_eq!(a.commission_rates.unwrap().maker.to_string(), "0.00150000");
                assert_eq!(
                    a.balance("BTC").unwrap().free.to_string(),
                    "4723846.89208129"
                );
            }
            "http_spot_wallet_account.json" => {
                let a = decode_account(b).unwrap();
                assert_eq!(a.maker_commission, 15);
                assert_eq!(
                    a.balance("LTC").unwrap().free.to_string(),
                    "4763368.68006011"
                );
            }
            "all_orders_response.json" | "open_orders_response.json" => {
                let v = decode_open_orders(b).unwrap();
                assert!(!v.is_empty(), "{name}");
            }
            "cancel_order_response.json" => {
                let c = decode_cancel_order(b).unwrap();
                assert_eq!(c.orig_client_order_id, "myOrder1");
                assert_eq!(c.client_order_id, "cancelMyOrder1");
                assert_eq!(c.price, p("2"));
                assert_eq!(c.status, OrderStatus::Canceled);
                assert_eq!(c.transact_time, Some(1684804350068));
            }
            "depth_response.json" => {
                let d = decode_depth_snapshot(b).unwrap();
                assert_eq!(d.last_update_id, 1027024);
                assert_eq!(d.bids, vec![Level(p("4.00000000"), q("431.00000000"))]);
                assert_eq!(d.asks, vec![Level(p("4.00000200"), q("12.00000000"))]);
            }
            "http_spot_market_depth.json" => {
                let d = decode_depth_snapshot(b).unwrap();
                assert!(!d.bids.is_empty() && d.bids[0].0 < d.asks[0].0);
            }
            "exchange_info_response.json" | "http_spot_market_exchange_info.json" => {
                let e = decode_exchange_info(b).unwrap();
                assert!(!e.symbols.is_empty());
            }
            "klines_response.json" => {
                let k = decode_klines(b).unwrap();
                assert_eq!(k.len(), 1);
                assert_eq!(k[0].open_time, 1499040000000);
                assert_eq!(k[0].high, p("0.80000000"));
                assert_eq!(k[0].quote_volume.to_string(), "2434.19055334");
                assert_eq!(k[0].trades, 308);
                assert_eq!(k[0].taker_buy_quote_volume.to_string(), "28.46694368");
            }
            "http_spot_market_klines.json" => assert!(!decode_klines(b).unwrap().is_empty()),
            "new_order_full_response.json" => {
                let o = decode_order_response(b).unwrap();
                let OrderResponse::Full(f) = &o else {
                    panic!("{o:?}")
                };
                assert!(!f.fills.is_empty());
            }
            "order_response.json" => {
                let o = decode_order_info(b).unwrap();
                assert_eq!(o.price, p("0.1"));
                assert_eq!(o.iceberg_qty, Some(q("0")));
                assert!(o.is_working);
                assert_eq!(o.time_in_force, TimeInForce::Gtc);
            }
            "server_time_response.json" | "http_spot_market_time.json" => {
                assert!(decode_server_time(b).unwrap().server_time > 1_400_000_000_000);
            }
            _ => unreachable!("{name}"),
        }
    }
}

fn examples(rel: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(&read(rel)).unwrap()
}

fn block(ex: &[serde_json::Value], i: usize) -> Vec<u8> {
    serde_json::to_vec(&ex[i]["json"]).unwrap()
}

#[test]
fn rest_api_doc_examples() {
    let ex = examples("binance_spot_api_docs/rest-api.examples.json");
    let errors = [0usize, 81, 83, 95, 96, 101, 102, 103, 104, 105, 106];
    let typed = [
        36usize, 38, 42, 52, 54, 87, 88, 89, 94, 98, 125, 130, 132, 134, 136,
    ];
    let unsupported = [
        34usize, 40, 44, 46, 48, 50, 56, 58, 59, 60, 61, 63, 64, 65, 66, 68, 69, 71, 72, 74, 75,
        76, 77, 79, 80, 84, 85, 91, 92, 100, 108, 109, 111, 113, 115, 117, 119, 121, 123, 127, 128,
        138, 140, 142, 144, 146, 148, 150, 152, 154, 156,
    ];
    let json_blocks: BTreeSet<usize> = (0..ex.len())
        .filter(|&i| !ex[i]["json"].is_null())
        .collect();
    let listed: BTreeSet<usize> = errors
        .iter()
        .chain(&typed)
        .chain(&unsupported)
        .copied()
        .collect();
    assert_eq!(
        json_blocks, listed,
        "doc examples changed: classify the new blocks"
    );

    for i in errors {
        let e = decode_api_error(&block(&ex, i)).unwrap_or_else(|e| panic!("block {i}: {e}"));
        assert!(e.code < 0, "block {i}");
    }
    let e = decode_api_error(&block(&ex, 0)).unwrap();
    assert_eq!(
        (e.error_code(), e.message.as_str()),
        (ErrorCode::BadSymbol, "Invalid symbol.")
    );
    // decode_rest tells an error body from the expected type.
    let r: Result<ServerTime, ApiError> = decode_rest(&block(&ex, 0), "server time").unwrap();
    assert_eq!(r.unwrap_err().code, -1121);
    let r: Result<ServerTime, ApiError> = decode_rest(&block(&ex, 36), "server time").unwrap();
    assert!(r.is_ok());

    assert_eq!(
        decode_server_time(&block(&ex, 36)).unwrap().server_time,
        1499827319559
    );
    // Placeholder `"rateLimits": [{}]` in the docs: rejected, naming the field.
    let e = decode_exchange_info(&block(&ex, 38))
        .unwrap_err()
        .to_string();
    assert!(e.contains("rateLimitType"), "{e}");
    let d = decode_depth_snapshot(&block(&ex, 42)).unwrap();
    assert_eq!(d.last_update_id, 1027024);
    assert_eq!(d.bids[0], Level(p("4.00000000"), q("431.00000000")));
    for i in [52, 54] {
        let k = decode_klines(&block(&ex, i)).unwrap();
        assert_eq!(k[0].open_time, 1499040000000, "block {i}");
        assert_eq!(k[0].close, p("0.01577100"));
    }
    let ack = decode_order_response(&block(&ex, 87)).unwrap();
    assert!(matches!(ack, OrderResponse::Ack(_)), "{ack:?}");
    assert_eq!(ack.order_id(), 28);
    assert_eq!(ack.client_order_id(), "6gCrw2kRUAF9CvJDGP16IP");
    let res = decode_order_response(&block(&ex, 88)).unwrap();
    let OrderResponse::Result(r) = &res else {
        panic!("{res:?}")
    };
    assert_eq!(r.status, OrderStatus::Filled);
    assert_eq!(r.orig_qty, q("10.00000000"));
    let full = decode_order_response(&block(&ex, 89)).unwrap();
    let OrderResponse::Full(f) = &full else {
        panic!("{full:?}")
    };
    assert_eq!(f.fills.len(), 5);
    assert_eq!(f.fills[0].price, p("4000.00000000"));
    assert_eq!(f.fills[0].commission.to_string(), "4.00000000");
    assert_eq!(f.fills[0].commission_asset, "USDT");
    assert!(matches!(
        decode_order_response(&block(&ex, 125)).unwrap(),
        OrderResponse::Full(_)
    ));
    let c = decode_cancel_order(&block(&ex, 94)).unwrap();
    assert_eq!(c.status, OrderStatus::Canceled);
    let _: Vec<serde_json::Value> = serde_json::from_slice(&block(&ex, 98)).unwrap();
    let a = decode_account(&block(&ex, 130)).unwrap();
    assert!(!a.balances.is_empty());
    let o = decode_order_info(&block(&ex, 132)).unwrap();
    assert_eq!(o.symbol, "LTCBTC");
    for i in [134, 136] {
        assert!(!decode_open_orders(&block(&ex, i)).unwrap().is_empty());
    }
}

#[test]
fn ws_api_doc_examples() {
    let ex = examples("binance_spot_api_docs/web-socket-api.examples.json");
    let mut n = 0;
    for (i, b) in ex.iter().enumerate() {
        let j = &b["json"];
        if j.get("status").is_none() {
            continue;
        }
        n += 1;
        let r = decode_ws_api_response(&serde_json::to_vec(j).unwrap())
            .unwrap_or_else(|e| panic!("block {i}: {e}"));
        assert_eq!(r.status, j["status"].as_u64().unwrap() as u16);
        assert_eq!(r.error.is_some(), r.status != 200, "block {i}");
        let want = j
            .get("rateLimits")
            .and_then(|v| v.as_array())
            .map_or(0, |v| v.len());
        assert_eq!(r.rate_limits.len(), want, "block {i}");
    }
    assert_eq!(n, 89, "number of WS-API responses in the docs changed");

    let one = |i: usize| decode_ws_api_response(&block(&ex, i)).unwrap();
    // A numeric id.
    assert!(matches!(one(7).id, Some(RequestId::Num(_))));
    // An error without id.
    let r = one(40);
    assert_eq!((r.id, r.status), (None, 401));
    assert_eq!(r.error.unwrap().error_code(), ErrorCode::RejectedMbxKey);
    // Order placed, FULL.
    let r = one(102);
    let OrderResponse::Full(f) = r.result_as::<OrderResponse>("order").unwrap().unwrap() else {
        panic!()
    };
    assert_eq!(f.fills.len(), 2);
    assert_eq!(f.fills[1].trade_id, Some(1650422482));
    // Cancel-replace failure keeps its data.
    let r = one(113);
    let e = r.error.unwrap();
    assert_eq!(e.error_code(), ErrorCode::OrderCancelReplaceFailed);
    assert_eq!(e.data.unwrap()["cancelResult"], "FAILURE");
}

#[test]
fn rate_limit_rejections_429_and_418() {
    let ex = examples("binance_spot_api_docs/web-socket-api.examples.json");
    let r: WsApiResponse = decode_ws_api_response(&block(&ex, 117)).unwrap();
    assert_eq!(r.status, 429);
    assert!(r.is_rate_limited() && !r.is_ok());
    let e = r.error.as_ref().unwrap();
    assert_eq!(e.code, -1015);
    assert_eq!(e.error_code(), ErrorCode::TooManyOrders);
    assert!(e.error_code().is_retryable());
    assert_eq!(
        e.message,
        "Too many new orders; current limit is 50 orders per 10 SECOND."
    );
    assert_eq!(e.retry_after_ms(), None);
    let orders10s = r.rate_limits[0];
    assert_eq!(orders10s.rate_limit_type, RateLimitType::Orders);
    assert_eq!(
        (orders10s.interval, orders10s.interval_num),
        (RateLimitInterval::Second, 10)
    );
    assert_eq!((orders10s.limit, orders10s.count), (50, 50));
    assert_eq!(r.rate_limits[1].limit, 160000);

    let r = decode_ws_api_response(&block(&ex, 12)).unwrap();
    assert_eq!(r.status, 418);
    assert_eq!(
        r.id,
        Some(RequestId::Str(
            "fc93a61a-a192-4cf4-bb2a-a8f0f0c51e06".into()
        ))
    );
    let e = r.error.as_ref().unwrap();
    assert_eq!(e.error_code(), ErrorCode::TooManyRequests);
    assert_eq!(e.code, -1003);
    assert_eq!(r.retry_after_ms(), Some(1659146400000));
    assert_eq!(e.server_time_ms(), Some(1659142907531));
    assert_eq!(
        r.rate_limits[0].rate_limit_type,
        RateLimitType::RequestWeight
    );
    assert_eq!(
        (r.rate_limits[0].limit, r.rate_limits[0].count),
        (6000, 2411)
    );
}

#[test]
fn malformed_input_names_the_problem() {
    let e = decode_depth_snapshot(b"").unwrap_err().to_string();
    assert_eq!(e, "empty message");
    let e = decode_depth_snapshot(br#"{"bids":[],"asks":[]}"#)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("depth snapshot") && e.contains("lastUpdateId"),
        "{e}"
    );
    let e = decode_order_response(br#"{"symbol":"X","orderId":1}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("order response"), "{e}");
    let e = decode_ws_api_response(br#"{"id":1,"status":200}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("neither result nor error"), "{e}");
    let e = decode_klines(br#"[[1,"1","1","1","1","1",2,"1",3,"1"]]"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("klines"), "{e}");
}
