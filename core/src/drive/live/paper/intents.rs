//! The decision stage's intents on the order side: exchangeInfo's rules and
//! assets for the traded symbols, admission exactly as the backtester's
//! ([`admit`]), then the gateway; `CancelAll`.

use super::{exposure_of, MAX_CANCEL_ALL};
use crate::binance::exchange_info::ExchangeInfo;
use crate::binance::fast::Symbol;
use crate::binance::filters::FilterContext;
use crate::binance::types::{OrderType, Side, TimeInForce};
use crate::book::BookState;
use crate::drive::admit::{admit, AdmitError};
use crate::drive::live::{wall_ns, LiveDriver, Sink};
use crate::engine::{Decide, OrderKind};
use crate::num::Qty;
use crate::orders::gateway::{OrderIntent, STOP_ID_SUFFIX};
use crate::orders::ClientId;
use crate::portfolio::Asset;

impl<D: Decide, S: Sink> LiveDriver<D, S> {
    /// The traded symbols' rules and assets from exchangeInfo (they replace
    /// [`OrderConfig::pairs`]).
    pub(in crate::drive::live) fn orders_on_exchange_info(&mut self, info: &ExchangeInfo) {
        let LiveDriver { orders, cfg, .. } = self;
        let Some(o) = orders.as_mut() else {
            return;
        };
        for name in &cfg.symbols {
            let up = name.trim().to_ascii_uppercase();
            let (Some(si), Some(symbol)) = (info.symbol(&up), Symbol::new(up.as_bytes())) else {
                continue;
            };
            let (Some(base), Some(quote)) = (
                Asset::new(si.base_asset.as_bytes()),
                Asset::new(si.quote_asset.as_bytes()),
            ) else {
                continue;
            };
            o.infos.retain(|i| i.symbol != si.symbol);
            o.infos.push(si.clone());
            o.pairs.retain(|(s, _, _)| *s != symbol);
            o.pairs.push((symbol, base, quote));
            o.counters.symbols_from_exchange_info += 1;
        }
    }

    /// An intent of the decision stage: admitted as the backtester admits
    /// it, then handed to the gateway.
    pub(in crate::drive::live) fn route_intent(&mut self, intent: &crate::engine::OrderIntent) {
        let LiveDriver { orders, engine, .. } = self;
        let Some(o) = orders.as_mut() else {
            return;
        };
        let Some(info) = o.infos.iter().find(|i| i.symbol == intent.symbol.as_str()) else {
            o.counters.intents_refused_no_info += 1;
            return;
        };
        if !matches!(
            engine.book_state(&intent.symbol),
            Some((BookState::Live, _))
        ) {
            o.counters.refused_stale_book += 1;
            return;
        }
        let exposure = exposure_of(o, engine, &intent.symbol);
        let top = engine.symbols().find(|r| r.symbol == intent.symbol);
        // The price a market order would meet: the touch it takes.
        let touch = top
            .and_then(|r| match intent.side {
                Side::Buy => r.best_ask,
                Side::Sell => r.best_bid,
            })
            .map(|l| l.price);
        let sym = intent.symbol.as_str();
        let mut open = 0u32;
        let mut algo = 0u32;
        let mut open_buys = 0i64;
        for x in o.gateway.table.iter() {
            if x.symbol.as_str() != sym || !x.status.is_open() {
                continue;
            }
            open += 1;
            if x.client_id.as_str().ends_with(STOP_ID_SUFFIX) {
                algo += 1;
            }
            if x.side == Side::Buy {
                open_buys = open_buys.saturating_add(x.qty.units() - x.filled_qty.units());
            }
        }
        let base = o
            .pairs
            .iter()
            .find(|(s, _, _)| *s == intent.symbol)
            .map(|(_, b, _)| o.portfolio.balance(b));
        let held = base.map_or(0i128, |b| b.free.units().saturating_add(b.locked.units()));
        let position = i64::try_from(held.saturating_add(i128::from(open_buys)))
            .ok()
            .and_then(|u| Qty::from_units(u).ok());
        let ctx = FilterContext {
            avg_price: touch,
            last_price: touch,
            open_orders: open,
            open_algo_orders: algo,
            open_iceberg_orders: 0,
            position,
            price_rounding: None,
        };
        let a = match admit(&mut o.gateway.risk, info, intent, &exposure, &ctx) {
            Ok(a) => a,
            Err(e) => {
                match &e {
                    AdmitError::Risk(_) => o.counters.intents_refused_risk += 1,
                    AdmitError::Filter(_) => o.counters.intents_refused_filter += 1,
                }
                o.counters.last_refusal = Some(e.to_string());
                return;
            }
        };
        let places = |units: i64| {
            let mut p = 8u8;
            let mut u = units;
            while p > 0 && u > 0 && u % 10 == 0 {
                u /= 10;
                p -= 1;
            }
            p
        };
        let (order_type, time_in_force) = match intent.kind {
            OrderKind::Market => (OrderType::Market, None),
            OrderKind::Limit => (OrderType::Limit, Some(TimeInForce::Gtc)),
        };
        let gi = OrderIntent {
            client_id: o.engine_ids.next_id(),
            symbol: intent.symbol,
            side: intent.side,
            order_type,
            time_in_force,
            qty: a.qty,
            price: a.price,
            stop: a.stop,
            price_places: info
                .price_filter()
                .map_or(8, |f| places(f.tick_size.units())),
            qty_places: info.lot_size().map_or(8, |f| places(f.step_size.units())),
        };
        match o.gateway.submit(&gi, &exposure, wall_ns()) {
            Ok(_) => {
                o.counters.intents_routed += 1;
                o.counters.submitted += 1;
                if a.take_profit.is_some() {
                    o.counters.take_profits_not_placed += 1;
                }
            }
            Err(e) => {
                o.counters.intents_refused_gateway += 1;
                o.counters.last_refusal = Some(e.to_string());
            }
        }
        self.order_actions();
    }

    /// The decision stage's `CancelAll`: every open order of `symbol`.
    pub(in crate::drive::live) fn cancel_all(&mut self, symbol: Symbol) {
        let Some(o) = self.orders.as_mut() else {
            return;
        };
        let mut ids = [ClientId::default(); MAX_CANCEL_ALL];
        let mut n = 0;
        for x in o.gateway.table.iter() {
            if x.symbol.as_str() != symbol.as_str() || !x.status.is_open() {
                continue;
            }
            if n == MAX_CANCEL_ALL {
                o.counters.cancel_all_truncated += 1;
                continue;
            }
            ids[n] = x.client_id;
            n += 1;
        }
        let now = wall_ns();
        for id in &ids[..n] {
            match o.gateway.cancel(symbol, id, now) {
                Ok(_) => o.counters.cancel_all_sent += 1,
                Err(e) => {
                    o.counters.refused += 1;
                    o.counters.last_refusal = Some(e.to_string());
                }
            }
        }
        self.order_actions();
    }
}
