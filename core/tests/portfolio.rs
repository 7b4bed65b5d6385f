//! Portfolio accounting and the core's hard risk limits, with hand-computed
//! exact figures and real user-data fixtures.

use kairos_core::binance::fast::Symbol;
use kairos_core::binance::types::Side;
use kairos_core::binance::user::{decode_user, UserEvent};
use kairos_core::num::{Price, Qty, Wide};
use kairos_core::portfolio::risk::{
    Exposure, Frac, Intent, KillAction, KillReason, RiskGuard, RiskLimits, Rule,
};
use kairos_core::portfolio::{Balance, Fill, Portfolio, PortfolioError};
use std::path::PathBuf;

fn s(x: &str) -> Symbol {
    Symbol::new(x.as_bytes()).unwrap()
}
fn w(x: &str) -> Wide {
    Wide::parse(x).unwrap()
}
fn p(x: &str) -> Price {
    Price::parse(x).unwrap()
}
fn q(x: &str) -> Qty {
    Qty::parse(x).unwrap()
}

fn fill(side: Side, qty: &str, price: &str, fee: &str, fee_asset: &str) -> Fill {
    Fill {
        symbol: s("BTCUSDT"),
        base: s("BTC"),
        quote: s("USDT"),
        side,
        qty: q(qty),
        price: p(price),
        commission: q(fee),
        commission_asset: Some(s(fee_asset)),
    }
}

#[test]
fn portfolio_average_cost_fees_and_realized_pnl_are_exact() {
    let mut pf = Portfolio::new();
    pf.set_balance(
        s("USDT"),
        Balance {
            free: w("50000"),
            locked: Wide::ZERO,
        },
    )
    .unwrap();
    // Buy 0.5 @ 60000, fee 0.0005 BTC (in base): 0.4995 BTC held, cost 30000.
    let r = pf
        .apply_fill(&fill(Side::Buy, "0.5", "60000", "0.0005", "BTC"))
        .unwrap();
    assert_eq!(r, Wide::ZERO);
    let pos = *pf.position(&s("BTCUSDT")).unwrap();
    assert_eq!((pos.qty, pos.cost), (w("0.4995"), w("30000")));
    // 30000 / 0.4995 = 60060.0600600600…, half-even to 8 places.
    assert_eq!(pos.average_entry(), Some(p("60060.06006006")));
    assert_eq!(pf.balance(&s("BTC")).free, w("0.4995"));
    assert_eq!(pf.balance(&s("USDT")).free, w("20000"));
    // Sell 0.2 @ 61000, fee 12.2 USDT: cost removed 30000 × 0.2 / 0.4995 =
    // 12012.012012012… → 12012.01201201; realized 12200 − 12012.01201201 − 12.2.
    let r = pf
        .apply_fill(&fill(Side::Sell, "0.2", "61000", "12.2", "USDT"))
        .unwrap();
    assert_eq!(r, w("175.78798799"));
    let pos = *pf.position(&s("BTCUSDT")).unwrap();
    assert_eq!(
        (pos.qty, pos.cost, pos.realized),
        (w("0.2995"), w("17987.98798799"), w("175.78798799"))
    );
    assert_eq!(pf.balance(&s("USDT")).free, w("32187.8"));
    // Unrealized at 62000: 0.2995 × 62000 − 17987.98798799.
    assert_eq!(pos.unrealized(p("62000")).unwrap(), w("581.01201201"));
    // Equity: USDT balance + the position at the mark.
    let e = pf.equity(&s("USDT"), |_| Some(p("62000"))).unwrap();
    assert_eq!(e, w("50756.8"));
    // Selling everything closes the position at zero cost.
    pf.apply_fill(&fill(Side::Sell, "0.2995", "59000", "0", "USDT"))
        .unwrap();
    let pos = *pf.position(&s("BTCUSDT")).unwrap();
    assert_eq!((pos.qty, pos.cost, pos.fills), (Wide::ZERO, Wide::ZERO, 3));
    // 175.78798799 + 0.2995 × 59000 − 17987.98798799
    assert_eq!(pos.realized, w("-141.7"));
}

#[test]
fn portfolio_fees_in_a_third_asset_and_oversells() {
    let mut pf = Portfolio::new();
    pf.set_balance(
        s("BNB"),
        Balance {
            free: w("1"),
            locked: Wide::ZERO,
        },
    )
    .unwrap();
    pf.apply_fill(&fill(Side::Buy, "1", "100", "0.01", "BNB"))
        .unwrap();
    let pos = *pf.position(&s("BTCUSDT")).unwrap();
    assert_eq!(
        (pos.qty, pos.cost, pos.other_fees),
        (w("1"), w("100"), w("0.01"))
    );
    assert_eq!(pf.balance(&s("BNB")).free, w("0.99"));
    let before = (
        pf.balance(&s("BTC")),
        pf.balance(&s("USDT")),
        *pf.position(&s("BTCUSDT")).unwrap(),
    );
    let e = pf
        .apply_fill(&fill(Side::Sell, "1.5", "100", "0", "USDT"))
        .unwrap_err();
    assert!(matches!(e, PortfolioError::Oversold { .. }), "{e}");
    assert!(
        e.to_string().contains("1.50000000") && e.to_string().contains("1.00000000"),
        "{e}"
    );
    // Nothing changed.
    assert_eq!(
        before,
        (
            pf.balance(&s("BTC")),
            pf.balance(&s("USDT")),
            *pf.position(&s("BTCUSDT")).unwrap()
        )
    );
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/messages/nautilus_trader/crates_spot_user_data_json")
            .join(name),
    )
    .unwrap()
}

#[test]
fn portfolio_reconciliation_takes_the_servers_balances_and_counts_differences() {
    let mut pf = Portfolio::new();
    pf.set_balance(
        s("USDT"),
        Balance {
            free: w("10000"),
            locked: w("2500"),
        },
    )
    .unwrap();
    pf.set_balance(
        s("ETH"),
        Balance {
            free: w("4"),
            locked: Wide::ZERO,
        },
    )
    .unwrap();
    let UserEvent::AccountPosition(ap) = decode_user(&fixture("account_position.json"))
        .unwrap()
        .event
    else {
        panic!("not an account position");
    };
    let r = pf.on_account_position(&ap).unwrap();
    assert_eq!((r.checked, r.mismatches), (2, 1));
    assert_eq!(pf.balance(&s("ETH")).free, w("5"));
    let UserEvent::BalanceUpdate(bu) = decode_user(&fixture("balance_update.json")).unwrap().event
    else {
        panic!("not a balance update");
    };
    let before = pf.balance(&Symbol::new(bu.asset.as_bytes()).unwrap()).free;
    pf.on_balance_update(&bu).unwrap();
    let after = pf.balance(&Symbol::new(bu.asset.as_bytes()).unwrap()).free;
    assert_eq!(after.checked_sub(before).unwrap(), Wide::from(bu.delta));
    assert_eq!(pf.balance_updates, 1);
}

fn guard() -> RiskGuard {
    RiskGuard::new(RiskLimits::default())
}

fn buy(qty: &str, price: &str, stop: Option<&str>) -> Intent {
    Intent {
        symbol: s("BTCUSDT"),
        side: Side::Buy,
        qty: q(qty),
        price: p(price),
        stop: stop.map(p),
    }
}

fn flat(equity: &str) -> Exposure {
    Exposure {
        equity: w(equity),
        position_qty: Wide::ZERO,
        open_orders: 0,
    }
}

#[test]
fn portfolio_each_limit_refuses_with_its_rule_and_numbers() {
    struct Case {
        intent: Intent,
        exposure: Exposure,
        rule: Option<Rule>,
        says: &'static str,
    }
    let cases = [
        // 5 % of 10 000 = 500; a stop 100 below on 0.1 loses 10.
        Case {
            intent: buy("0.1", "60000", Some("59000")),
            exposure: flat("10000"),
            rule: None,
            says: "",
        },
        Case {
            intent: buy("0.1", "60000", Some("54000")),
            exposure: flat("10000"),
            rule: Some(Rule::LossPerTrade),
            says: "loss at the stop 600.00000000 exceeds max_loss_per_trade 500.00000000",
        },
        Case {
            intent: buy("0.2", "60000", None),
            exposure: flat("100000"),
            rule: Some(Rule::OrderNotional),
            says: "order notional 12000.00000000 exceeds max_order_notional 10000.00000000",
        },
        Case {
            intent: buy("0.1", "60000", None),
            exposure: Exposure {
                position_qty: w("0.8"),
                ..flat("100000")
            },
            rule: Some(Rule::PositionNotional),
            says: "54000.00000000 exceeds max_position_notional 50000.00000000",
        },
        Case {
            intent: buy("0.1", "60000", None),
            exposure: Exposure {
                open_orders: 20,
                ..flat("100000")
            },
            rule: Some(Rule::OpenOrders),
            says: "21.00000000 open orders would exceed max_open_orders 20.00000000",
        },
        Case {
            intent: buy("0.1", "60000", Some("61000")),
            exposure: flat("10000"),
            rule: Some(Rule::BadIntent),
            says: "wrong side",
        },
        Case {
            intent: buy("0", "60000", None),
            exposure: flat("10000"),
            rule: Some(Rule::BadIntent),
            says: "zero quantity",
        },
    ];
    for c in cases {
        let mut g = guard();
        match (g.check(&c.intent, &c.exposure), c.rule) {
            (Ok(_), None) => {}
            (Err(r), Some(rule)) => {
                assert_eq!(r.rule, rule);
                assert!(r.to_string().contains(c.says), "{r} / {}", c.says);
                assert_eq!(g.refusals[rule as usize], 1);
            }
            (got, want) => panic!("{:?}: got {got:?}, want {want:?}", c.intent),
        }
    }
}

#[test]
fn portfolio_a_missing_stop_is_forced_at_the_largest_allowed_loss() {
    let mut g = guard();
    // 500 / 0.1 = 5000 below the price.
    let a = g.check(&buy("0.1", "60000", None), &flat("10000")).unwrap();
    assert_eq!((a.stop, a.forced_stop), (Some(p("55000")), true));
    assert_eq!(g.forced_stops, 1);
    // A sell entry's stop goes above.
    let i = Intent {
        side: Side::Sell,
        ..buy("0.1", "60000", None)
    };
    let a = g.check(&i, &flat("10000")).unwrap();
    assert_eq!(a.stop, Some(p("65000")));
    // Selling what is held only reduces risk: no stop, no notional check.
    let a = g
        .check(
            &i,
            &Exposure {
                position_qty: w("1"),
                ..flat("10000")
            },
        )
        .unwrap();
    assert!(a.reduces && a.stop.is_none());
}

#[test]
fn portfolio_kill_switches_trip_once_and_then_only_reductions_pass() {
    let mut g = guard();
    assert_eq!(g.on_equity(w("10000")).unwrap(), None);
    assert_eq!(g.on_equity(w("9100")).unwrap(), None);
    // 10 % of the day's 10 000.
    assert_eq!(
        g.on_equity(w("9000")).unwrap(),
        Some((KillReason::DailyLoss, KillAction::Flatten))
    );
    assert_eq!(g.on_equity(w("8000")).unwrap(), None, "trips once");
    let e = g
        .check(&buy("0.01", "60000", None), &flat("9000"))
        .unwrap_err();
    assert_eq!(e.rule, Rule::Killed);
    assert!(e.to_string().contains("daily-loss"), "{e}");
    let sell = Intent {
        side: Side::Sell,
        ..buy("0.01", "60000", None)
    };
    assert!(
        g.check(
            &sell,
            &Exposure {
                position_qty: w("0.5"),
                ..flat("9000")
            }
        )
        .unwrap()
        .reduces
    );

    // Drawdown from the peak, on a winning day.
    let mut g = RiskGuard::new(RiskLimits {
        daily_loss: Frac::new(50, 100),
        ..RiskLimits::default()
    });
    g.on_equity(w("10000")).unwrap();
    g.on_equity(w("20000")).unwrap();
    assert_eq!(g.on_equity(w("15001")).unwrap(), None);
    assert_eq!(
        g.on_equity(w("15000")).unwrap(),
        Some((KillReason::Drawdown, KillAction::Flatten))
    );
    g.resume();
    assert_eq!(g.killed(), None);
    assert!(g.check(&buy("0.01", "60000", None), &flat("15000")).is_ok());
    // Halt: nothing at all, not even reductions, once tripped by a limit.
    let mut g = RiskGuard::new(RiskLimits {
        kill_action: KillAction::Halt,
        ..RiskLimits::default()
    });
    g.on_equity(w("10000")).unwrap();
    g.on_equity(w("8000")).unwrap();
    assert_eq!(
        g.check(
            &sell,
            &Exposure {
                position_qty: w("0.5"),
                ..flat("8000")
            }
        )
        .unwrap_err()
        .rule,
        Rule::Killed
    );
}

#[test]
fn portfolio_a_quote_fee_on_a_buy_is_realized_once_at_the_sale() {
    let mut pf = Portfolio::new();
    pf.set_balance(
        s("USDT"),
        Balance {
            free: w("1000"),
            locked: Wide::ZERO,
        },
    )
    .unwrap();
    // Buy 1 @ 100, fee 0.1 USDT: cost 100.1, nothing realized yet.
    let r = pf
        .apply_fill(&fill(Side::Buy, "1", "100", "0.1", "USDT"))
        .unwrap();
    assert_eq!(r, Wide::ZERO);
    assert_eq!(pf.position(&s("BTCUSDT")).unwrap().cost, w("100.1"));
    // Sell 1 @ 100, fee 0.1 USDT: realized 100 − 100.1 − 0.1 = −0.2, which is
    // exactly what the quote balance lost (1000 → 999.8).
    let r = pf
        .apply_fill(&fill(Side::Sell, "1", "100", "0.1", "USDT"))
        .unwrap();
    assert_eq!(r, w("-0.2"));
    assert_eq!(pf.position(&s("BTCUSDT")).unwrap().realized, w("-0.2"));
    assert_eq!(pf.balance(&s("USDT")).free, w("999.8"));
}
