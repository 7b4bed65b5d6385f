//! `decode_user` on every user-data fixture we hold, with values checked, plus
//! the errors bad input must give.

mod common;

use common::{doc_blocks, files_in, parse_exchange, read, s, txt_files_under};
use kairos_core::binance::user::*;
use kairos_core::binance::DecodeError;

fn decode(json: &str) -> UserMessage {
    decode_user(json.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

fn report(m: &UserMessage) -> &ExecutionReport {
    match &m.event {
        UserEvent::ExecutionReport(r) => r,
        other => panic!("expected executionReport, got {other:?}"),
    }
}

/// The documented example (docs block 2, Binance.Net Order.txt, Nautilus
/// execution_report_wrapped.json): all hold the same values.
fn check_doc_execution_report(m: &UserMessage) {
    assert_eq!(m.subscription_id, Some(0));
    let r = report(m);
    assert_eq!(r.event_time_ms, 1_499_405_658_658);
    assert_eq!(r.symbol, "ETHBTC");
    assert_eq!(r.client_order_id, "mUvoqJxFIILMdfAW5iGSOW");
    assert_eq!(r.side, Side::Buy);
    assert_eq!(r.order_type, OrderType::Limit);
    assert_eq!(r.time_in_force, TimeInForce::Gtc);
    assert_eq!(s(r.qty), "1.00000000");
    assert_eq!(s(r.price), "0.10264410");
    assert_eq!(s(r.stop_price), "0.00000000");
    assert_eq!(r.iceberg_qty.map(s).as_deref(), Some("0.00000000"));
    assert_eq!(r.order_list_id, Some(-1));
    assert_eq!(r.orig_client_order_id, "");
    assert_eq!(r.execution_type, ExecutionType::New);
    assert_eq!(r.order_status, OrderStatus::New);
    assert_eq!(r.reject_reason, "NONE");
    assert_eq!(r.order_id, 4_293_153);
    assert_eq!(r.last_executed_price.map(s).as_deref(), Some("0.00000000"));
    assert_eq!(s(r.commission), "0.00000000");
    assert_eq!(r.commission_asset, None);
    assert_eq!(r.trade_id, -1);
    assert_eq!(r.execution_id, Some(8_641_984));
    assert!(r.is_working && !r.is_maker);
    assert_eq!(r.order_creation_time_ms, 1_499_405_658_657);
    assert_eq!(r.last_quote_qty.map(s).as_deref(), Some("0.00000000"));
    assert_eq!(r.working_time_ms, Some(1_499_405_658_657));
    assert_eq!(r.stp_mode, Some(StpMode::None));
}

fn check_doc_list_status(m: &UserMessage) {
    assert_eq!(m.subscription_id, Some(0));
    let UserEvent::ListStatus(x) = &m.event else {
        panic!("{m:?}")
    };
    assert_eq!(x.order_list_id, 2);
    assert_eq!(x.contingency_type, ContingencyType::Oco);
    assert_eq!(x.list_status_type, ListStatusType::ExecStarted);
    assert_eq!(x.list_order_status, ListOrderStatus::Executing);
    assert_eq!(x.list_reject_reason, "NONE");
    assert_eq!(x.list_client_order_id, "F4QN4G8DlFATFlIUQ0cjdD");
    assert_eq!(x.transaction_time_ms, 1_564_035_303_625);
    assert_eq!(
        x.orders,
        vec![
            ListOrder {
                symbol: "ETHBTC".into(),
                order_id: 17,
                client_order_id: "AJYsMjErWJesZvqlJCTUgL".into()
            },
            ListOrder {
                symbol: "ETHBTC".into(),
                order_id: 18,
                client_order_id: "bfYPSQdLoqAJeNrOr9adzq".into()
            },
        ]
    );
}

fn check_doc_account_position(m: &UserMessage) {
    assert_eq!(m.subscription_id, Some(0));
    let UserEvent::AccountPosition(x) = &m.event else {
        panic!("{m:?}")
    };
    assert_eq!(
        (x.event_time_ms, x.last_update_time_ms),
        (1_564_034_571_105, 1_564_034_571_073)
    );
    assert_eq!(x.balances.len(), 1);
    assert_eq!(x.balances[0].asset, "ETH");
    assert_eq!(s(x.balances[0].free), "10000.00000000");
    assert_eq!(s(x.balances[0].locked), "0.00000000");
}

fn check_doc_balance_update(m: &UserMessage) {
    assert_eq!(m.subscription_id, Some(0));
    let UserEvent::BalanceUpdate(x) = &m.event else {
        panic!("{m:?}")
    };
    assert_eq!(x.asset, "BTC");
    assert_eq!(s(x.delta), "100.00000000");
    assert_eq!(
        (x.event_time_ms, x.clear_time_ms),
        (1_573_200_697_110, 1_573_200_697_068)
    );
}

// ---------------------------------------------------------------- docs ---

#[test]
fn every_docs_block() {
    let blocks = doc_blocks("binance_spot_api_docs/user-data-stream.examples.json");
    let kinds: Vec<&str> = blocks.iter().map(|b| decode(&b.json).kind()).collect();
    assert_eq!(
        kinds,
        [
            "outboundAccountPosition",
            "balanceUpdate",
            "executionReport",
            "listStatus",
            "eventStreamTerminated",
            "externalLockUpdate"
        ],
        "the docs extract changed: review this test"
    );
    for b in &blocks {
        let m = decode(&b.json);
        match b.index {
            0 => check_doc_account_position(&m),
            1 => check_doc_balance_update(&m),
            2 => check_doc_execution_report(&m),
            3 => check_doc_list_status(&m),
            4 => {
                assert_eq!(m.subscription_id, Some(0));
                assert_eq!(
                    m.event,
                    UserEvent::EventStreamTerminated(EventStreamTerminated {
                        event_time_ms: 1_728_973_001_334
                    })
                );
            }
            5 => {
                let UserEvent::ExternalLockUpdate(x) = &m.event else {
                    panic!("{m:?}")
                };
                assert_eq!(x.asset, "NEO");
                assert_eq!(s(x.delta), "10.00000000");
                assert_eq!(x.transaction_time_ms, 1_581_557_507_268);
            }
            i => panic!("block {i} ({}): no expectation", b.section),
        }
    }
}

// ---------------------------------------------- nautilus ws_messages ---

/// One expected nautilus `ws_spot_execution_report_*.json`.
struct ErCase {
    file: &'static str,
    symbol: &'static str,
    client_order_id: &'static str,
    side: Side,
    order_type: OrderType,
    tif: TimeInForce,
    exec: ExecutionType,
    status: OrderStatus,
    reject: &'static str,
    price: &'static str,
    stop_price: &'static str,
    last_qty: &'static str,
    cum_qty: &'static str,
    last_price: &'static str,
    commission: &'static str,
    commission_asset: Option<&'static str>,
    trade_id: i64,
    working_time: Option<u64>,
    stp: Option<StpMode>,
}

const fn er(file: &'static str) -> ErCase {
    ErCase {
        file,
        symbol: "ETHUSDT",
        client_order_id: "",
        side: Side::Buy,
        order_type: OrderType::Limit,
        tif: TimeInForce::Gtc,
        exec: ExecutionType::New,
        status: OrderStatus::New,
        reject: "NONE",
        price: "2500.00000000",
        stop_price: "0.00000000",
        last_qty: "0.00000000",
        cum_qty: "0.00000000",
        last_price: "0.00000000",
        commission: "0.00000000",
        commission_asset: None,
        trade_id: -1,
        working_time: None,
        stp: None,
    }
}

const TRADE_PARTIAL: ErCase = ErCase {
    client_order_id: "O-12345-test-trade",
    exec: ExecutionType::Trade,
    status: OrderStatus::PartiallyFilled,
    last_qty: "0.50000000",
    cum_qty: "0.50000000",
    last_price: "2499.50000000",
    commission: "0.00050000",
    commission_asset: Some("ETH"),
    trade_id: 98_765_432,
    ..er("ws_spot_execution_report_trade.json")
};

const ER_CASES: &[ErCase] = &[
    ErCase {
        symbol: "BTCUSD",
        client_order_id: "T0ESHzso0banw0QiPFZYgj",
        side: Side::Sell,
        exec: ExecutionType::Trade,
        status: OrderStatus::Filled,
        price: "117290.77000000",
        last_qty: "0.00042000",
        cum_qty: "0.00042000",
        last_price: "117290.77000000",
        commission: "0.00492621",
        commission_asset: Some("USD"),
        trade_id: 88_685_053,
        working_time: Some(1_759_347_763_167),
        stp: Some(StpMode::ExpireMaker),
        ..er("ws_spot_execution_report_binance_us.json")
    },
    ErCase {
        symbol: "BTCUSDT",
        client_order_id: "autoclose-123456789",
        side: Side::Sell,
        exec: ExecutionType::Calculated,
        status: OrderStatus::Filled,
        price: "50000.00000000",
        last_qty: "0.01000000",
        cum_qty: "0.01000000",
        last_price: "49500.00000000",
        commission: "2.47500000",
        commission_asset: Some("USDT"),
        trade_id: 98_765_432,
        ..er("ws_spot_execution_report_calculated.json")
    },
    ErCase {
        client_order_id: "O-12345-test-cancel",
        side: Side::Sell,
        exec: ExecutionType::Canceled,
        status: OrderStatus::Canceled,
        cum_qty: "0.10000000",
        ..er("ws_spot_execution_report_canceled.json")
    },
    ErCase {
        client_order_id: "INIT-BTC-1234567890",
        ..er("ws_spot_execution_report_custom_client_id.json")
    }
    .into_trade_partial(),
    ErCase {
        client_order_id: "",
        ..er("ws_spot_execution_report_empty_client_id.json")
    }
    .into_trade_partial(),
    ErCase {
        symbol: "BTCUSDT",
        client_order_id: "O-12345-test-expired",
        tif: TimeInForce::Gtd,
        exec: ExecutionType::Expired,
        status: OrderStatus::Expired,
        price: "50000.00000000",
        ..er("ws_spot_execution_report_expired.json")
    },
    ErCase {
        client_order_id: "O-12345-test-new",
        ..er("ws_spot_execution_report_new.json")
    },
    ErCase {
        client_order_id: "O-12345-test-limit-if-touched-price-match",
        order_type: OrderType::TakeProfitLimit,
        price: "2505.25000000",
        stop_price: "2500.00000000",
        ..er("ws_spot_execution_report_new_limit_if_touched_price_match.json")
    },
    ErCase {
        client_order_id: "O-12345-test-price-match",
        price: "2495.50000000",
        ..er("ws_spot_execution_report_new_price_match.json")
    },
    ErCase {
        client_order_id: "O-12345-test-stop-limit-price-match",
        side: Side::Sell,
        order_type: OrderType::StopLossLimit,
        price: "2405.75000000",
        stop_price: "2400.00000000",
        ..er("ws_spot_execution_report_new_stop_limit_price_match.json")
    },
    ErCase {
        client_order_id: "O-12345-test-cancel",
        side: Side::Sell,
        exec: ExecutionType::Canceled,
        status: OrderStatus::PendingCancel,
        cum_qty: "0.10000000",
        working_time: Some(1_759_347_763_100),
        stp: Some(StpMode::None),
        ..er("ws_spot_execution_report_pending_cancel.json")
    },
    ErCase {
        symbol: "BTCUSDT",
        client_order_id: "O-12345-test-reject",
        tif: TimeInForce::Gtx,
        exec: ExecutionType::Rejected,
        status: OrderStatus::Rejected,
        reject: "GTX_ORDER_REJECT",
        price: "50000.00000000",
        working_time: Some(0),
        stp: Some(StpMode::None),
        ..er("ws_spot_execution_report_rejected.json")
    },
    TRADE_PARTIAL,
    ErCase {
        client_order_id: "O-12345-test-trade-l-zero",
        exec: ExecutionType::Trade,
        status: OrderStatus::Filled,
        last_qty: "0.00100000",
        cum_qty: "0.00100000",
        trade_id: 12_345_678,
        working_time: Some(1_759_347_763_167),
        stp: Some(StpMode::None),
        ..er("ws_spot_execution_report_trade_l_zero.json")
    },
    ErCase {
        client_order_id: "O-12345-test-l-zero-canceled",
        exec: ExecutionType::Trade,
        status: OrderStatus::Canceled,
        working_time: Some(1_759_347_763_167),
        stp: Some(StpMode::None),
        ..er("ws_spot_execution_report_trade_l_zero_canceled.json")
    },
    ErCase {
        symbol: "BTCUSDT",
        client_order_id: "O-12345-test-l-zero-expired",
        tif: TimeInForce::Gtd,
        exec: ExecutionType::Trade,
        status: OrderStatus::Expired,
        price: "50000.00000000",
        ..er("ws_spot_execution_report_trade_l_zero_expired.json")
    },
    ErCase {
        client_order_id: "O-12345-test-l-zero-new",
        exec: ExecutionType::Trade,
        status: OrderStatus::New,
        working_time: Some(1_759_347_763_167),
        stp: Some(StpMode::None),
        ..er("ws_spot_execution_report_trade_l_zero_new.json")
    },
    ErCase {
        client_order_id: "O-12345-test-l-zero-partial",
        exec: ExecutionType::Trade,
        status: OrderStatus::PartiallyFilled,
        cum_qty: "0.50000000",
        trade_id: 12_345_678,
        working_time: Some(1_759_347_763_167),
        stp: Some(StpMode::None),
        ..er("ws_spot_execution_report_trade_l_zero_partial.json")
    },
    ErCase {
        client_order_id: "O-12345-test-stp",
        exec: ExecutionType::TradePrevention,
        status: OrderStatus::ExpiredInMatch,
        reject: "SELF_TRADE_PREVENTION",
        last_qty: "0.50000000",
        last_price: "2500.00000000",
        stp: Some(StpMode::ExpireMaker),
        ..er("ws_spot_execution_report_trade_prevention.json")
    },
];

impl ErCase {
    /// The values of the partially filled trade, keeping file and client id.
    const fn into_trade_partial(self) -> ErCase {
        ErCase {
            file: self.file,
            client_order_id: self.client_order_id,
            ..TRADE_PARTIAL
        }
    }
}

#[test]
fn every_nautilus_execution_report() {
    let files: Vec<String> = files_in("nautilus_trader/ws_messages", ".json")
        .into_iter()
        .filter(|n| n.starts_with("ws_spot_execution_report_"))
        .collect();
    let table: Vec<&str> = ER_CASES.iter().map(|c| c.file).collect();
    assert_eq!(
        files, table,
        "a fixture was added or removed: extend ER_CASES"
    );
    assert_eq!(files.len(), 19);
    for c in ER_CASES {
        let m = decode_user(&read(&format!("nautilus_trader/ws_messages/{}", c.file)))
            .unwrap_or_else(|e| panic!("{}: {e}", c.file));
        let f = c.file;
        assert_eq!(m.stream.as_deref(), Some("executionReport"), "{f}");
        assert_eq!(m.subscription_id, None, "{f}");
        let r = report(&m);
        assert_eq!(r.symbol, c.symbol, "{f}");
        assert_eq!(r.client_order_id, c.client_order_id, "{f}");
        assert_eq!(r.side, c.side, "{f}");
        assert_eq!(r.order_type, c.order_type, "{f}");
        assert_eq!(r.time_in_force, c.tif, "{f}");
        assert_eq!(r.execution_type, c.exec, "{f}");
        assert_eq!(r.order_status, c.status, "{f}");
        assert_eq!(r.reject_reason, c.reject, "{f}");
        assert_eq!(s(r.price), c.price, "{f}");
        assert_eq!(s(r.stop_price), c.stop_price, "{f}");
        assert_eq!(s(r.last_executed_qty), c.last_qty, "{f}");
        assert_eq!(s(r.cumulative_filled_qty), c.cum_qty, "{f}");
        assert_eq!(
            r.last_executed_price.map(s).as_deref(),
            Some(c.last_price),
            "{f}"
        );
        assert_eq!(s(r.commission), c.commission, "{f}");
        assert_eq!(r.commission_asset.as_deref(), c.commission_asset, "{f}");
        assert_eq!(r.trade_id, c.trade_id, "{f}");
        assert_eq!(r.working_time_ms, c.working_time, "{f}");
        assert_eq!(r.stp_mode, c.stp, "{f}");
        assert_eq!(r.event_time_ms, 1_759_347_763_167, "{f}");
        assert_eq!(r.order_list_id, Some(-1), "{f}");
        assert!(r.execution_id.is_some(), "{f}");
        // None of these carry the conditional STP / peg / SOR fields.
        assert_eq!(
            (r.prevented_match_id, r.peg_price_type, r.used_sor),
            (None, None, None),
            "{f}"
        );
    }
}

// ------------------------------------- nautilus crates user_data_json ---

#[test]
fn every_nautilus_crates_user_data() {
    let dir = "nautilus_trader/crates_spot_user_data_json";
    let files = files_in(dir, ".json");
    let expected = [
        "account_position.json",
        "account_position_wrapped.json",
        "balance_update.json",
        "balance_update_wrapped.json",
        "execution_report_canceled.json",
        "execution_report_expired.json",
        "execution_report_new.json",
        "execution_report_stop_loss.json",
        "execution_report_trade.json",
        "execution_report_wrapped.json",
        "list_status_wrapped.json",
    ];
    assert_eq!(
        files, expected,
        "a fixture was added or removed: extend this test"
    );
    for name in &files {
        let m =
            decode_user(&read(&format!("{dir}/{name}"))).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            m.subscription_id.is_some(),
            name.ends_with("_wrapped.json"),
            "{name}"
        );
        assert_eq!(m.stream, None);
        match name.as_str() {
            "account_position.json" => {
                let UserEvent::AccountPosition(x) = &m.event else {
                    panic!("{m:?}")
                };
                assert_eq!(x.balances.len(), 2);
                assert_eq!(x.balances[0].asset, "USDT");
                assert_eq!(s(x.balances[0].free), "10000.00000000");
                assert_eq!(s(x.balances[0].locked), "2500.00000000");
                assert_eq!(s(x.balances[1].free), "5.00000000");
            }
            "account_position_wrapped.json" => check_doc_account_position(&m),
            "balance_update.json" => {
                let UserEvent::BalanceUpdate(x) = &m.event else {
                    panic!("{m:?}")
                };
                assert_eq!(s(x.delta), "0.00100000");
                assert_eq!(x.clear_time_ms, 1_709_654_400_000);
            }
            "balance_update_wrapped.json" => check_doc_balance_update(&m),
            "execution_report_wrapped.json" => check_doc_execution_report(&m),
            "list_status_wrapped.json" => check_doc_list_status(&m),
            _ => {
                // The four bare reports lack F, g, I, M, Y, Q (Option in our model).
                let r = report(&m);
                assert_eq!(r.symbol, "ETHUSDT");
                assert_eq!(
                    (r.iceberg_qty, r.order_list_id, r.execution_id),
                    (None, None, None)
                );
                assert_eq!((r.last_quote_qty, r.quote_order_qty), (None, None));
                let want = match name.as_str() {
                    "execution_report_canceled.json" => {
                        (ExecutionType::Canceled, OrderStatus::Canceled)
                    }
                    "execution_report_expired.json" => {
                        (ExecutionType::Expired, OrderStatus::Expired)
                    }
                    "execution_report_new.json" => (ExecutionType::New, OrderStatus::New),
                    "execution_report_stop_loss.json" => (ExecutionType::New, OrderStatus::New),
                    "execution_report_trade.json" => (ExecutionType::Trade, OrderStatus::Filled),
                    other => panic!("{other}: no expectation"),
                };
                assert_eq!((r.execution_type, r.order_status), want, "{name}");
                match name.as_str() {
                    "execution_report_expired.json" => {
                        assert_eq!(r.time_in_force, TimeInForce::Ioc);
                        assert_eq!(r.expiry_reason.as_deref(), Some("INSUFFICIENT_LIQUIDITY"));
                    }
                    "execution_report_stop_loss.json" => {
                        assert_eq!(r.order_type, OrderType::StopLossLimit);
                        assert_eq!(r.side, Side::Sell);
                        assert_eq!(s(r.price), "2400.00000000");
                        assert_eq!(s(r.stop_price), "2450.00000000");
                        assert_eq!(r.order_id, 12_345_679);
                    }
                    "execution_report_trade.json" => {
                        assert_eq!(
                            r.last_executed_price.map(s).as_deref(),
                            Some("2500.00000000")
                        );
                        assert_eq!(s(r.commission), "0.00100000");
                        assert_eq!(r.commission_asset.as_deref(), Some("ETH"));
                        assert_eq!(s(r.cumulative_quote_qty), "2500.00000000");
                        assert_eq!(r.trade_id, 98_765_432);
                        assert!(r.is_maker);
                    }
                    _ => assert_eq!(r.client_order_id, "x-TD67BGP9-T0000000000000"),
                }
            }
        }
    }
}

// --------------------------------------------------------- Binance.Net ---

/// Binance.Net account subscriptions that are not spot user-data events we
/// model (cross-margin events): asserted to be refused, naming the event type.
const NET_USER_REJECTED: &[(&str, &str)] = &[
    ("Liability.txt", "USER_LIABILITY_CHANGE"),
    ("MarginCall.txt", "MARGIN_LEVEL_STATUS_CHANGE"),
];

#[test]
fn every_binance_net_account_subscription() {
    let files = txt_files_under("binance_net/Subscriptions/Spot/Account");
    let names: Vec<&str> = files
        .iter()
        .map(|f| f.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "AccountPosition.txt",
            "Balance.txt",
            "Liability.txt",
            "MarginCall.txt",
            "OcoOrder.txt",
            "Order.txt"
        ],
        "a fixture was added or removed: extend this test"
    );
    for rel in &files {
        let name = rel.rsplit('/').next().unwrap();
        let ex = parse_exchange(&String::from_utf8(read(rel)).unwrap());
        assert_eq!(ex.payloads.len(), 1, "{rel}");
        let payload = &ex.payloads[0];
        if let Some((_, event)) = NET_USER_REJECTED.iter().find(|(f, _)| *f == name) {
            let err = decode_user(payload.as_bytes()).unwrap_err();
            assert!(matches!(err, DecodeError::Unknown { .. }), "{err}");
            assert!(err.to_string().contains(event), "{err}");
            continue;
        }
        let m = decode(payload);
        match name {
            "AccountPosition.txt" => check_doc_account_position(&m),
            "Balance.txt" => check_doc_balance_update(&m),
            "OcoOrder.txt" => check_doc_list_status(&m),
            "Order.txt" => check_doc_execution_report(&m),
            other => panic!("{other}: no expectation"),
        }
    }
}

// ----------------------------------------------- fields and envelopes ---

/// The documented example with every conditional field set.
const FULL_REPORT: &str = r#"{"e":"executionReport","E":1499405658658,"s":"ETHBTC","c":"mUvoqJxFIILMdfAW5iGSOW","S":"SELL","o":"STOP_LOSS_LIMIT","f":"FOK","q":"1.00000000","p":"0.10264410","P":"0.10000000","d":4,"F":"0.00000000","g":7,"C":"old","x":"TRADE_PREVENTION","X":"EXPIRED_IN_MATCH","r":"NONE","i":4293153,"l":"0.00000000","z":"0.00000000","L":"0.00000000","n":"0","N":null,"T":1499405658657,"t":-1,"v":3,"I":8641984,"w":false,"m":false,"M":false,"O":1499405658657,"Z":"0.00000000","Y":"0.00000000","Q":"0.00000000","D":1668680518494,"j":1,"J":1000000,"A":"3.000000","B":"3.000000","u":1,"U":37,"Cs":"BTCUSDT","pl":"2.123456","pL":"0.10000001","pY":"0.21234562","W":1668683798379,"b":"ONE_PARTY_TRADE_REPORT","a":1234,"k":"SOR","uS":true,"gP":"PRIMARY_PEG","gOT":"PRICE_LEVEL","gOV":5,"gp":"1.00000000","V":"EXPIRE_BOTH","newFieldFromBinance":{"x":1}}"#;

#[test]
fn every_conditional_field() {
    let m = decode(FULL_REPORT);
    let r = report(&m);
    assert_eq!(r.side, Side::Sell);
    assert_eq!(r.order_type, OrderType::StopLossLimit);
    assert_eq!(r.time_in_force, TimeInForce::Fok);
    assert_eq!(r.trailing_delta, Some(4));
    assert_eq!(r.trailing_time_ms, Some(1_668_680_518_494));
    assert_eq!((r.strategy_id, r.strategy_type), (Some(1), Some(1_000_000)));
    assert_eq!(r.prevented_match_id, Some(3));
    assert_eq!(r.prevented_qty.map(s).as_deref(), Some("3.00000000"));
    assert_eq!(r.last_prevented_qty.map(s).as_deref(), Some("3.00000000"));
    assert_eq!((r.trade_group_id, r.counter_order_id), (Some(1), Some(37)));
    assert_eq!(r.counter_symbol.as_deref(), Some("BTCUSDT"));
    assert_eq!(
        r.prevented_execution_qty.map(s).as_deref(),
        Some("2.12345600")
    );
    assert_eq!(
        r.prevented_execution_price.map(s).as_deref(),
        Some("0.10000001")
    );
    assert_eq!(
        r.prevented_execution_quote_qty.map(s).as_deref(),
        Some("0.21234562")
    );
    assert_eq!(r.working_time_ms, Some(1_668_683_798_379));
    assert_eq!(r.match_type.as_deref(), Some("ONE_PARTY_TRADE_REPORT"));
    assert_eq!(r.allocation_id, Some(1234));
    assert_eq!(r.working_floor, Some(WorkingFloor::Sor));
    assert_eq!(r.used_sor, Some(true));
    assert_eq!(r.peg_price_type, Some(PegPriceType::PrimaryPeg));
    assert_eq!(r.peg_offset_type, Some(PegOffsetType::PriceLevel));
    assert_eq!(r.peg_offset_value, Some(5));
    assert_eq!(r.pegged_price.map(s).as_deref(), Some("1.00000000"));
    assert_eq!(r.stp_mode, Some(StpMode::ExpireBoth));
    assert_eq!(r.order_list_id, Some(7));
    assert_eq!(r.orig_client_order_id, "old");
    // Serialization uses the descriptive names and the kind tag.
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["kind"], "executionReport");
    assert_eq!(json["prevented_execution_price"], "0.10000001");
    assert_eq!(json["peg_price_type"], "PRIMARY_PEG");
    assert_eq!(json["stp_mode"], "EXPIRE_BOTH");
    assert_eq!(json["order_status"], "EXPIRED_IN_MATCH");
    assert!(
        json.get("commission_asset").is_none(),
        "None fields are left out"
    );
}

#[test]
fn last_price_may_be_missing_and_commission_asset_null() {
    let mut v: serde_json::Value = serde_json::from_str(FULL_REPORT).unwrap();
    v.as_object_mut().unwrap().remove("L");
    let r = report(&decode(&v.to_string())).clone();
    assert_eq!(r.last_executed_price, None);
    assert_eq!(r.commission_asset, None);
}

#[test]
fn enveloped_events_and_listen_key() {
    let m = decode(r#"{"event":{"e":"eventStreamTerminated","E":1728973001334}}"#);
    assert_eq!(m.subscription_id, None);
    assert_eq!(m.kind(), "eventStreamTerminated");
    let m = decode(
        r#"{"stream":"abc","data":{"e":"balanceUpdate","E":1,"a":"BTC","d":"-0.25","T":2}}"#,
    );
    assert_eq!(m.stream.as_deref(), Some("abc"));
    let UserEvent::BalanceUpdate(x) = &m.event else {
        panic!()
    };
    assert_eq!(s(x.delta), "-0.25000000");
    let m = decode(r#"{"e":"listenKeyExpired","E":"1699596037418","listenKey":"OfYG"}"#);
    let UserEvent::ListenKeyExpired(x) = &m.event else {
        panic!()
    };
    assert_eq!(x.event_time_ms, 1_699_596_037_418);
}

// ---------------------------------------------------------- bad input ---

fn err_of(json: &str) -> String {
    decode_user(json.as_bytes()).expect_err(json).to_string()
}

#[test]
fn bad_input_names_the_problem() {
    assert!(matches!(decode_user(b""), Err(DecodeError::Empty)));
    // Truncated.
    let msg = err_of(&FULL_REPORT[..FULL_REPORT.len() / 2]);
    assert!(
        msg.contains("user data message") && msg.contains("EOF"),
        "{msg}"
    );
    let msg = err_of(r#"{"subscriptionId":0,"event":{"e":"executionReport""#);
    assert!(msg.contains("EOF"), "{msg}");
    // Wrong type and exponent for a price.
    let msg = err_of(&FULL_REPORT.replace(r#""p":"0.10264410""#, r#""p":0.1"#));
    assert!(
        msg.starts_with("executionReport:") && msg.contains("decimal string (Price)"),
        "{msg}"
    );
    let msg = err_of(&FULL_REPORT.replace(r#""p":"0.10264410""#, r#""p":"1e-5""#));
    assert!(
        msg.starts_with("executionReport:") && msg.contains("exponent"),
        "{msg}"
    );
    // Unknown event type, and unknown enum values, named.
    let msg = err_of(r#"{"subscriptionId":0,"event":{"e":"somethingNew","E":1}}"#);
    assert!(msg.contains("\"somethingNew\""), "{msg}");
    let msg = err_of(&FULL_REPORT.replace(r#""S":"SELL""#, r#""S":"HOLD""#));
    assert!(msg.contains("unknown variant `HOLD`"), "{msg}");
    let msg = err_of(&FULL_REPORT.replace(r#""X":"EXPIRED_IN_MATCH""#, r#""X":"LOST""#));
    assert!(msg.contains("unknown variant `LOST`"), "{msg}");
    let msg = err_of(&FULL_REPORT.replace(r#""V":"EXPIRE_BOTH""#, r#""V":"EXPIRE_ALL""#));
    assert!(msg.contains("unknown variant `EXPIRE_ALL`"), "{msg}");
    // A free-text reject reason is not an enum: a new value decodes.
    let m = decode(&FULL_REPORT.replace(r#""r":"NONE""#, r#""r":"SOME_NEW_REASON""#));
    assert_eq!(report(&m).reject_reason, "SOME_NEW_REASON");
    // Missing field.
    let msg = err_of(&FULL_REPORT.replace(r#""i":4293153,"#, ""));
    assert!(
        msg.starts_with("executionReport:") && msg.contains("missing field `i`"),
        "{msg}"
    );
    let msg = err_of(r#"{"e":"balanceUpdate","E":1,"a":"BTC","T":2}"#);
    assert!(
        msg.contains("balanceUpdate") && msg.contains("missing field `d`"),
        "{msg}"
    );
    // Negative where never negative; no "e" at all.
    let msg = err_of(&FULL_REPORT.replace(r#""q":"1.00000000""#, r#""q":"-1""#));
    assert!(msg.contains("negative"), "{msg}");
    let msg = err_of(r#"{"foo":1}"#);
    assert!(msg.contains("foo"), "{msg}");
    let msg = err_of("[1]");
    assert!(msg.contains("not a JSON object"), "{msg}");
}

// ------------------------------------------------------------ no panic ---

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode_user(&bytes);
        }

        #[test]
        fn mutated_report(at in any::<usize>(), byte in any::<u8>(), cut in any::<bool>(), wrap in any::<bool>()) {
            let base = if wrap {
                format!(r#"{{"subscriptionId":0,"event":{FULL_REPORT}}}"#)
            } else {
                FULL_REPORT.to_owned()
            };
            let mut b = base.into_bytes();
            let i = at % b.len();
            if cut { b.truncate(i) } else { b[i] = byte }
            let _ = decode_user(&b);
        }
    }
}
