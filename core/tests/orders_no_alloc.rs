//! The limiter, the order table and the client-id generator allocate nothing
//! after construction: a counting global allocator watches them work.

use kairos_core::binance::user::{
    decode_user, ExecutionReport, ExecutionType, OrderStatus, UserEvent,
};
use kairos_core::limiter::{Endpoint, Limiter, Scope, NANOS_PER_MS, NANOS_PER_SEC};
use kairos_core::num::Qty;
use kairos_core::orders::{ClientIdGen, OrderTable};

#[global_allocator]
static GLOBAL: kairos_core::alloc_count::CountingAlloc = kairos_core::alloc_count::CountingAlloc;

fn allocations() -> u64 {
    kairos_core::alloc_count::thread_allocations()
}

const T0: u64 = 1_723_161_240 * NANOS_PER_SEC;

#[test]
fn limiter_and_orders_allocate_nothing_after_construction() {
    // Built (and every input prepared) before counting.
    let mut lim = Limiter::with_default_limits();
    let mut table = OrderTable::new();
    let mut ids = ClientIdGen::new("kairos", T0 / NANOS_PER_MS).unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/messages/nautilus_trader/ws_messages/ws_spot_execution_report_trade.json"
    ))
    .unwrap();
    let UserEvent::ExecutionReport(template) = decode_user(text.as_bytes()).unwrap().event else {
        panic!("fixture is not an executionReport");
    };
    let names: Vec<String> = (0..200).map(|i| format!("kx-{i}")).collect();
    let reports: Vec<Vec<ExecutionReport>> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut new = (*template).clone();
            new.client_order_id = name.clone();
            new.order_id = i as u64 + 1;
            new.execution_type = ExecutionType::New;
            new.order_status = OrderStatus::New;
            new.execution_id = Some(10 * i as u64);
            new.last_executed_qty = Qty::ZERO;
            new.cumulative_filled_qty = Qty::ZERO;
            new.cumulative_quote_qty = Qty::ZERO;
            new.trade_id = -1;
            let mut fill = (*template).clone();
            fill.client_order_id = name.clone();
            fill.order_id = i as u64 + 1;
            fill.execution_id = Some(10 * i as u64 + 1);
            vec![new, fill.clone(), fill]
        })
        .collect();
    let cancel = Endpoint::OrderCancel.request();
    let order = Endpoint::OrderPlace.request();

    let before = allocations();
    let mut admitted = 0;
    for i in 0..100_000u64 {
        let now = T0 + i * NANOS_PER_MS;
        admitted += u64::from(lim.admit(&order, now).is_ok());
        admitted += u64::from(lim.admit(&cancel, now).is_ok());
        if i % 1000 == 0 {
            let _ = lim.observe_header("X-MBX-USED-WEIGHT-1M", "12", now);
        }
        if i == 50_000 {
            lim.on_rate_limited(Scope::Orders, Some(now + NANOS_PER_SEC), now);
        }
    }
    for (name, rs) in names.iter().zip(&reports) {
        let _ = ids.next_id();
        table
            .submit(name, &template.symbol, template.side, template.qty)
            .unwrap();
        for r in rs {
            table.apply(r).unwrap();
        }
    }
    let used = allocations() - before;
    assert_eq!(used, 0, "allocations on the hot path");
    // Both paths ran: admissions and refusals at the limits.
    assert_eq!(lim.stats().admitted, admitted);
    assert!(admitted > 0 && lim.stats().refused > 0);
    assert_eq!(table.stats().duplicates, 200);
    assert_eq!(table.stats().fills, 200);
}
