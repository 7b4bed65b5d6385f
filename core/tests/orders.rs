//! The order table driven by every executionReport fixture we hold (parse →
//! apply → expected status, filled quantity, quote, commission), and by
//! hand-built sequences: fills, duplicates, out-of-order and stale reports,
//! cancels, amendments, capacity.

mod common;

use common::{doc_blocks, fixture, parse_exchange, read};
use kairos_core::binance::user::{
    decode_user, ExecutionReport, ExecutionType, OrderStatus, UserEvent,
};
use kairos_core::num::{Amount, Price, Qty};
use kairos_core::orders::table::{MAX_COMMISSION_ASSETS, ORDER_TABLE_CAPACITY};
use kairos_core::orders::*;
use std::path::Path;

fn report_of(json: &str) -> ExecutionReport {
    match decode_user(json.as_bytes())
        .unwrap_or_else(|e| panic!("{e}\n{json}"))
        .event
    {
        UserEvent::ExecutionReport(r) => *r,
        other => panic!("not an executionReport: {other:?}"),
    }
}

/// Every executionReport under `tests/data/messages`, as (file#index, report).
fn every_fixture_report() -> Vec<(String, ExecutionReport)> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let base = fixture("");
    let mut files = Vec::new();
    walk(&base, &mut files);
    files.sort();
    let mut out = Vec::new();
    for p in files {
        let rel = p
            .strip_prefix(&base)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        if !text.contains("executionReport") {
            continue;
        }
        if rel.ends_with(".examples.json") {
            for b in doc_blocks(&rel) {
                if b.json.contains("\"executionReport\"") {
                    out.push((format!("{rel}#{}", b.index), report_of(&b.json)));
                }
            }
        } else if rel.ends_with(".txt") {
            for (i, payload) in parse_exchange(&text).payloads.iter().enumerate() {
                if payload.contains("executionReport") {
                    out.push((format!("{rel}#{i}"), report_of(payload)));
                }
            }
        } else {
            out.push((rel, report_of(&text)));
        }
    }
    out
}

/// What one fixture report does to a fresh order.
struct Expect {
    key: &'static str,
    status: Status,
    fill: bool,
    filled: &'static str,
    quote: &'static str,
    fills: &'static str,
    commission: Option<(&'static str, &'static str)>,
    reconcile: bool,
    reason: &'static str,
}

const fn new(key: &'static str) -> Expect {
    Expect {
        key,
        status: Status::New,
        fill: false,
        filled: "0",
        quote: "0",
        fills: "0",
        commission: None,
        reconcile: false,
        reason: "",
    }
}

const PARTIAL_ETH: Expect = Expect {
    key: "",
    status: Status::PartiallyFilled,
    fill: true,
    filled: "0.5",
    quote: "1249.75",
    fills: "0.5",
    commission: Some(("ETH", "0.0005")),
    reconcile: false,
    reason: "",
};

const NT: &str = "nautilus_trader/ws_messages/ws_spot_execution_report_";
const CR: &str = "nautilus_trader/crates_spot_user_data_json/execution_report_";

fn expectations() -> Vec<Expect> {
    let k = |prefix: &str, name: &str| -> &'static str {
        Box::leak(format!("{prefix}{name}.json").into_boxed_str())
    };
    vec![
        new("binance_net/Subscriptions/Spot/Account/Order.txt#0"),
        new("binance_spot_api_docs/user-data-stream.examples.json#2"),
        Expect {
            status: Status::Canceled,
            ..new(k(CR, "canceled"))
        },
        Expect {
            status: Status::Expired,
            ..new(k(CR, "expired"))
        },
        new(k(CR, "new")),
        new(k(CR, "stop_loss")),
        // No `Y`: the quote is L × l = 2500 × 1.
        Expect {
            status: Status::Filled,
            fill: true,
            filled: "1",
            quote: "2500",
            fills: "1",
            commission: Some(("ETH", "0.001")),
            ..new(k(CR, "trade"))
        },
        new(k(CR, "wrapped")),
        Expect {
            status: Status::Filled,
            fill: true,
            filled: "0.00042",
            quote: "49.2621234",
            fills: "0.00042",
            commission: Some(("USD", "0.00492621")),
            ..new(k(NT, "binance_us"))
        },
        Expect {
            status: Status::Filled,
            fill: true,
            filled: "0.01",
            quote: "495",
            fills: "0.01",
            commission: Some(("USDT", "2.475")),
            ..new(k(NT, "calculated"))
        },
        // A cancel of an order 0.1 filled by a report we never saw: the gap
        // is kept as the exchange states it and the order is flagged.
        Expect {
            status: Status::Canceled,
            filled: "0.1",
            quote: "250",
            reconcile: true,
            ..new(k(NT, "canceled"))
        },
        Expect {
            key: k(NT, "custom_client_id"),
            ..PARTIAL_ETH
        },
        Expect {
            key: k(NT, "empty_client_id"),
            ..PARTIAL_ETH
        },
        Expect {
            status: Status::Expired,
            ..new(k(NT, "expired"))
        },
        new(k(NT, "new")),
        new(k(NT, "new_limit_if_touched_price_match")),
        new(k(NT, "new_price_match")),
        new(k(NT, "new_stop_limit_price_match")),
        Expect {
            status: Status::PendingCancel,
            filled: "0.1",
            quote: "250",
            reconcile: true,
            ..new(k(NT, "pending_cancel"))
        },
        Expect {
            status: Status::Rejected,
            reason: "GTX_ORDER_REJECT",
            ..new(k(NT, "rejected"))
        },
        Expect {
            key: k(NT, "trade"),
            ..PARTIAL_ETH
        },
        // A fill with no price (L = 0, Z = 0): counted, but flagged.
        Expect {
            status: Status::Filled,
            fill: true,
            filled: "0.001",
            fills: "0.001",
            reconcile: true,
            ..new(k(NT, "trade_l_zero"))
        },
        Expect {
            status: Status::Canceled,
            ..new(k(NT, "trade_l_zero_canceled"))
        },
        Expect {
            status: Status::Expired,
            ..new(k(NT, "trade_l_zero_expired"))
        },
        new(k(NT, "trade_l_zero_new")),
        // z = 0.5 with l = 0: a gap, flagged; nothing counted as a fill here.
        Expect {
            status: Status::PartiallyFilled,
            filled: "0.5",
            reconcile: true,
            ..new(k(NT, "trade_l_zero_partial"))
        },
        // Self-trade prevention: `l` names the prevented quantity, not a fill.
        Expect {
            status: Status::ExpiredInMatch,
            reason: "SELF_TRADE_PREVENTION",
            ..new(k(NT, "trade_prevention"))
        },
    ]
}

fn q(s: &str) -> Qty {
    Qty::parse(s).unwrap()
}

#[test]
fn orders_every_execution_report_fixture() {
    let reports = every_fixture_report();
    let expect = expectations();
    let keys: Vec<&str> = reports.iter().map(|(k, _)| k.as_str()).collect();
    for e in &expect {
        assert!(
            keys.contains(&e.key),
            "expectation for a report not found: {}",
            e.key
        );
    }
    for (key, r) in &reports {
        let e = expect
            .iter()
            .find(|e| e.key == key)
            .unwrap_or_else(|| panic!("no expectation for fixture report {key}: add one"));
        let mut t = OrderTable::new();
        // kairos submits only valid ids; others (empty, or the 41-byte one
        // in Nautilus's fixtures, over Binance's 36) are adopted.
        if !is_valid_client_id(&r.client_order_id) {
            t.adopt(r).unwrap();
        } else {
            t.submit(&r.client_order_id, &r.symbol, r.side, r.qty)
                .unwrap();
        }
        let applied = t.apply(r).unwrap_or_else(|err| panic!("{key}: {err}"));
        assert_eq!(
            applied,
            Applied::Moved {
                from: Status::Submitted,
                to: e.status,
                fill: e.fill
            },
            "{key}"
        );
        let o = t.by_order_id(&r.symbol, r.order_id).unwrap();
        assert_eq!(o.status, e.status, "{key}");
        assert_eq!(o.filled_qty, q(e.filled), "{key}");
        assert_eq!(o.filled_qty, r.cumulative_filled_qty, "{key}: z kept");
        assert_eq!(o.quote_qty, q(e.quote), "{key}");
        assert_eq!(o.fills_qty, q(e.fills), "{key}");
        assert_eq!(o.fills, u32::from(e.fill), "{key}");
        match e.commission {
            Some((asset, amount)) => {
                assert_eq!(o.commissions().len(), 1, "{key}");
                assert_eq!(o.commission(asset), Amount::parse(amount).unwrap(), "{key}");
            }
            None => assert!(o.commissions().is_empty(), "{key}"),
        }
        assert_eq!(o.needs_reconcile, e.reconcile, "{key}");
        assert_eq!(o.reject_reason.as_str(), e.reason, "{key}");
        // Applying it again changes nothing.
        let before = *o;
        let again = t.apply(r).unwrap();
        let o = t.by_order_id(&r.symbol, r.order_id).unwrap();
        assert_eq!(
            *o, before,
            "{key}: second apply changed the order ({again:?})"
        );
        assert!(
            matches!(
                again,
                Applied::Duplicate | Applied::StaleAfterTerminal | Applied::Moved { .. }
            ),
            "{key}: {again:?}"
        );
    }
    assert_eq!(
        reports.len(),
        expect.len(),
        "every fixture report has exactly one expectation"
    );
    assert_eq!(
        reports.len(),
        27,
        "the fixture set changed: review the expectations"
    );
}

// ------------------------------------------------------------ sequences ---

/// The documented report (NEW, with an execution id) as a template.
fn base() -> ExecutionReport {
    let text = String::from_utf8(read(
        "nautilus_trader/ws_messages/ws_spot_execution_report_new.json",
    ))
    .unwrap();
    let mut r = report_of(&text);
    r.client_order_id = "kx-1".into();
    r.qty = q("1");
    r
}

/// A report of `x`/`X` with the given execution id.
fn ev(x: ExecutionType, status: OrderStatus, exec_id: u64) -> ExecutionReport {
    let mut r = base();
    r.execution_type = x;
    r.order_status = status;
    r.execution_id = Some(exec_id);
    r
}

/// A fill of `l` at `price`, bringing the cumulative to `z`/`zq`. (A test
/// helper that reads best as one row per report.)
#[allow(clippy::too_many_arguments)]
fn fill(
    status: OrderStatus,
    exec_id: u64,
    trade_id: i64,
    l: &str,
    price: &str,
    z: &str,
    zq: &str,
    fee: (&str, &str),
) -> ExecutionReport {
    let mut r = ev(ExecutionType::Trade, status, exec_id);
    r.trade_id = trade_id;
    r.last_executed_qty = q(l);
    r.last_executed_price = Some(Price::parse(price).unwrap());
    r.last_quote_qty = None;
    r.cumulative_filled_qty = q(z);
    r.cumulative_quote_qty = q(zq);
    r.commission = Amount::parse(fee.1).unwrap();
    r.commission_asset = Some(fee.0.into());
    r
}

fn table_with_order() -> OrderTable {
    let mut t = OrderTable::new();
    let b = base();
    t.submit("kx-1", &b.symbol, b.side, q("1")).unwrap();
    t
}

fn order(t: &OrderTable) -> Order {
    *t.get(&base().symbol, "kx-1").unwrap()
}

use ExecutionType as X;
use OrderStatus as S;

#[test]
fn orders_fills_accumulate_exactly_with_commission_per_asset() {
    let mut t = table_with_order();
    let steps: Vec<(ExecutionReport, Applied)> = vec![
        (
            ev(X::New, S::New, 1),
            Applied::Moved {
                from: Status::Submitted,
                to: Status::New,
                fill: false,
            },
        ),
        (
            fill(
                S::PartiallyFilled,
                2,
                10,
                "0.3",
                "2500.01",
                "0.3",
                "750.003",
                ("BNB", "0.00012345"),
            ),
            Applied::Moved {
                from: Status::New,
                to: Status::PartiallyFilled,
                fill: true,
            },
        ),
        (
            fill(
                S::PartiallyFilled,
                3,
                11,
                "0.3",
                "2500.02",
                "0.6",
                "1500.009",
                ("BNB", "0.00000001"),
            ),
            Applied::Moved {
                from: Status::PartiallyFilled,
                to: Status::PartiallyFilled,
                fill: true,
            },
        ),
        (
            fill(
                S::Filled,
                4,
                12,
                "0.4",
                "2499.99",
                "1",
                "2500.005",
                ("ETH", "0.0004"),
            ),
            Applied::Moved {
                from: Status::PartiallyFilled,
                to: Status::Filled,
                fill: true,
            },
        ),
    ];
    for (i, (r, want)) in steps.iter().enumerate() {
        assert_eq!(t.apply(r), Ok(*want), "step {i}");
    }
    let o = order(&t);
    assert_eq!(o.filled_qty, q("1"));
    assert_eq!(o.fills_qty, q("1"));
    // 750.003 + 750.006 + 999.996 = 2500.005, exactly.
    assert_eq!(o.fills_quote, q("2500.005"));
    assert_eq!(o.quote_qty, q("2500.005"));
    assert_eq!(o.commission("BNB"), Amount::parse("0.00012346").unwrap());
    assert_eq!(o.commission("ETH"), Amount::parse("0.0004").unwrap());
    assert_eq!(o.commissions().len(), 2);
    assert!(!o.needs_reconcile);
    assert_eq!(o.fills, 3);
    assert_eq!(t.stats().fills, 3);
    assert_eq!(t.stats().mismatches, 0);
}

#[test]
fn orders_duplicates_change_nothing() {
    let mut t = table_with_order();
    let new = ev(X::New, S::New, 1);
    let p1 = fill(
        S::PartiallyFilled,
        2,
        10,
        "0.4",
        "100",
        "0.4",
        "40",
        ("USDT", "0.04"),
    );
    t.apply(&new).unwrap();
    t.apply(&p1).unwrap();
    let before = order(&t);
    // The same report again, the same fill under another execution id (the
    // place response and the stream both report it), and the NEW again.
    let mut same_trade = p1.clone();
    same_trade.execution_id = Some(99);
    for r in [&p1, &same_trade, &new] {
        assert_eq!(t.apply(r), Ok(Applied::Duplicate));
        assert_eq!(order(&t), before);
    }
    assert_eq!(t.stats().duplicates, 3);
}

#[test]
fn orders_out_of_order_fill_fills_the_gap_late() {
    let mut t = table_with_order();
    t.apply(&ev(X::New, S::New, 1)).unwrap();
    let p1 = fill(
        S::PartiallyFilled,
        2,
        10,
        "0.4",
        "100",
        "0.4",
        "40",
        ("USDT", "0.04"),
    );
    let f2 = fill(
        S::Filled,
        3,
        11,
        "0.6",
        "101",
        "1",
        "100.6",
        ("USDT", "0.0606"),
    );
    // The final fill overtakes the partial one.
    assert_eq!(
        t.apply(&f2),
        Ok(Applied::Moved {
            from: Status::New,
            to: Status::Filled,
            fill: true
        })
    );
    let o = order(&t);
    assert_eq!(
        (o.filled_qty, o.fills_qty, o.gap_qty()),
        (q("1"), q("0.6"), q("0.4"))
    );
    assert!(o.needs_reconcile);
    assert_eq!(t.stats().gaps, 1);
    // The partial one arrives: it fills the gap, the status stays FILLED.
    assert_eq!(t.apply(&p1), Ok(Applied::LateFill));
    let o = order(&t);
    assert_eq!(o.status, Status::Filled);
    assert_eq!((o.fills_qty, o.gap_qty()), (q("1"), q("0")));
    assert_eq!(o.fills_quote, o.quote_qty);
    assert_eq!(o.commission("USDT"), Amount::parse("0.1006").unwrap());
    // And again: a duplicate now.
    assert_eq!(t.apply(&p1), Ok(Applied::Duplicate));
    assert_eq!(t.stats().late_fills, 1);
}

#[test]
fn orders_stale_reports_are_ignored_and_counted() {
    // (reports applied first, the stale one, what it is classified as)
    struct Case {
        name: &'static str,
        first: Vec<ExecutionReport>,
        stale: ExecutionReport,
        want: Applied,
    }
    let p1 = fill(
        S::PartiallyFilled,
        2,
        10,
        "0.4",
        "100",
        "0.4",
        "40",
        ("USDT", "0.04"),
    );
    let cases = [
        Case {
            name: "NEW after a partial fill (lower execution id)",
            first: vec![p1.clone()],
            stale: ev(X::New, S::New, 1),
            want: Applied::StaleOutOfOrder,
        },
        Case {
            name: "NEW after a partial fill (no execution ids: lower z)",
            first: vec![{
                let mut r = p1.clone();
                r.execution_id = None;
                r
            }],
            stale: {
                let mut r = ev(X::New, S::New, 0);
                r.execution_id = None;
                r
            },
            want: Applied::StaleOutOfOrder,
        },
        Case {
            name: "NEW after CANCELED",
            first: vec![ev(X::New, S::New, 1), ev(X::Canceled, S::Canceled, 3)],
            stale: ev(X::New, S::New, 2),
            want: Applied::StaleAfterTerminal,
        },
        Case {
            name: "EXPIRED after FILLED",
            first: vec![fill(
                S::Filled,
                2,
                10,
                "1",
                "100",
                "1",
                "100",
                ("USDT", "0.1"),
            )],
            stale: ev(X::Expired, S::Expired, 5),
            want: Applied::StaleAfterTerminal,
        },
        Case {
            name: "an older fill with no gap to fill",
            first: vec![
                p1.clone(),
                fill(
                    S::PartiallyFilled,
                    4,
                    12,
                    "0.2",
                    "100",
                    "0.6",
                    "60",
                    ("USDT", "0.02"),
                ),
            ],
            stale: fill(
                S::PartiallyFilled,
                3,
                11,
                "0.3",
                "100",
                "0.5",
                "50",
                ("USDT", "0.03"),
            ),
            want: Applied::StaleOutOfOrder,
        },
    ];
    for c in cases {
        let mut t = table_with_order();
        for r in &c.first {
            t.apply(r).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        }
        let before = order(&t);
        assert_eq!(t.apply(&c.stale), Ok(c.want), "{}", c.name);
        assert_eq!(order(&t), before, "{}", c.name);
        let s = t.stats();
        assert_eq!(
            s.stale_out_of_order + s.stale_after_terminal,
            1,
            "{}",
            c.name
        );
    }
}

#[test]
fn orders_illegal_transition_is_an_error_naming_both() {
    let mut t = table_with_order();
    t.apply(&ev(X::New, S::New, 1)).unwrap();
    let before = order(&t);
    let err = t.apply(&ev(X::Rejected, S::Rejected, 2)).unwrap_err();
    assert_eq!(
        err,
        ApplyError::Illegal(IllegalTransition {
            from: Status::New,
            event: Event::Rejected
        })
    );
    assert!(err.to_string().contains("NEW") && err.to_string().contains("Rejected"));
    assert_eq!(order(&t), before);
    assert_eq!(t.stats().illegal, 1);
    // An amendment before acceptance is illegal too.
    let mut t = table_with_order();
    assert!(matches!(
        t.apply(&ev(X::Replaced, S::New, 1)),
        Err(ApplyError::Illegal(_))
    ));
}

#[test]
fn orders_cancel_report_found_by_original_client_id() {
    // The cancel's report names the cancel request in `c` and the order in
    // `C`; here it arrives before any other report (the NEW was lost).
    let mut c = ev(X::Canceled, S::Canceled, 2);
    c.client_order_id = "cancel-req-7".into();
    c.orig_client_order_id = "kx-1".into();
    let mut t = table_with_order();
    assert_eq!(
        t.apply(&c),
        Ok(Applied::Moved {
            from: Status::Submitted,
            to: Status::Canceled,
            fill: false
        })
    );
    assert!(t.get(&base().symbol, "cancel-req-7").is_none());
    // Once an order id is known, a report with another order id is not it.
    let mut t = table_with_order();
    t.apply(&ev(X::New, S::New, 1)).unwrap();
    c.order_id = 777;
    assert_eq!(t.apply(&c), Err(ApplyError::UnknownOrder { order_id: 777 }));
    // Unknown orders are counted, not invented.
    let mut stranger = ev(X::New, S::New, 1);
    stranger.client_order_id = "someone-else".into();
    stranger.order_id = 1;
    assert_eq!(
        t.apply(&stranger),
        Err(ApplyError::UnknownOrder { order_id: 1 })
    );
    assert_eq!(t.stats().unknown, 2);
}

#[test]
fn orders_amendment_lowers_qty_and_keeps_status() {
    let mut t = table_with_order();
    t.apply(&ev(X::New, S::New, 1)).unwrap();
    t.apply(&fill(
        S::PartiallyFilled,
        2,
        10,
        "0.2",
        "100",
        "0.2",
        "20",
        ("USDT", "0.02"),
    ))
    .unwrap();
    let mut a = ev(X::Replaced, S::PartiallyFilled, 3);
    a.qty = q("0.5");
    a.cumulative_filled_qty = q("0.2");
    a.cumulative_quote_qty = q("20");
    assert_eq!(
        t.apply(&a),
        Ok(Applied::Moved {
            from: Status::PartiallyFilled,
            to: Status::PartiallyFilled,
            fill: false
        })
    );
    let o = order(&t);
    assert_eq!((o.qty, o.remaining_qty()), (q("0.5"), q("0.3")));
    assert!(!o.needs_reconcile);
}

#[test]
fn orders_commission_assets_are_bounded() {
    let mut t = table_with_order();
    let assets = ["BNB", "ETH", "USDT", "BTC", "FDUSD"];
    assert_eq!(assets.len(), MAX_COMMISSION_ASSETS + 1);
    for (i, asset) in assets.iter().enumerate() {
        let z = format!("0.{}", i + 1);
        let r = fill(
            S::PartiallyFilled,
            i as u64 + 1,
            i as i64 + 1,
            "0.1",
            "100",
            &z,
            &format!("{}", (i + 1) * 10),
            (asset, "0.001"),
        );
        let res = t.apply(&r);
        if i < MAX_COMMISSION_ASSETS {
            assert!(res.is_ok(), "{asset}: {res:?}");
        } else {
            assert_eq!(res, Err(ApplyError::TooManyCommissionAssets));
        }
    }
    assert_eq!(
        order(&t).fills,
        MAX_COMMISSION_ASSETS as u32,
        "the refused fill changed nothing"
    );
}

#[test]
fn orders_table_capacity_refuses_then_evicts_terminal_orders() {
    let mut t = OrderTable::new();
    for i in 0..ORDER_TABLE_CAPACITY {
        t.submit(
            &format!("o-{i}"),
            "BTCUSDT",
            kairos_core::binance::types::Side::Buy,
            q("1"),
        )
        .unwrap();
    }
    assert_eq!(t.open_count(), ORDER_TABLE_CAPACITY);
    let side = kairos_core::binance::types::Side::Buy;
    assert_eq!(
        t.submit("one-more", "BTCUSDT", side, q("1")).unwrap_err(),
        ApplyError::TableFull {
            capacity: ORDER_TABLE_CAPACITY
        }
    );
    assert_eq!(t.stats().table_full, 1);
    // Same client id as an open order: refused (idempotent retries).
    assert_eq!(
        t.submit("o-3", "BTCUSDT", side, q("1")).unwrap_err(),
        ApplyError::DuplicateClientId
    );
    // One order is rejected before reaching the engine: its slot can be reused.
    assert!(t
        .reject_submitted("o-7", "BTCUSDT", "-2010 insufficient balance")
        .is_ok());
    assert_eq!(t.get("BTCUSDT", "o-7").unwrap().status, Status::Rejected);
    t.submit("one-more", "BTCUSDT", side, q("1")).unwrap();
    assert_eq!(t.stats().evicted, 1);
    assert!(t.get("BTCUSDT", "o-7").is_none());
    assert_eq!(t.open_count(), ORDER_TABLE_CAPACITY);
}
