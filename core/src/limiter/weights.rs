//! What each request costs: the per-endpoint weight table and the priority
//! classes of admission.
//!
//! Source of every weight below: Binance's spot API documentation,
//! `binance/binance-spot-api-docs` `rest-api.md` and `web-socket-api.md`
//! (the "Weight" line of each endpoint, as read in 2025). The WebSocket API
//! shares the REST endpoints' weights and counts against the same per-IP
//! `REQUEST_WEIGHT` limit. When Binance changes a weight, change the constant
//! here; the limits themselves are never taken from this file (they come from
//! `exchangeInfo.rateLimits`, see [`super::Limiter::from_rate_limits`]).

/// Weight of `GET /api/v3/depth` (and WS-API `depth`) for `limit` 1–100.
pub const WEIGHT_DEPTH_UP_TO_100: u32 = 5;
/// Weight of `depth` for `limit` 101–500.
pub const WEIGHT_DEPTH_UP_TO_500: u32 = 25;
/// Weight of `depth` for `limit` 501–1000.
pub const WEIGHT_DEPTH_UP_TO_1000: u32 = 50;
/// Weight of `depth` for `limit` 1001–5000.
pub const WEIGHT_DEPTH_UP_TO_5000: u32 = 250;
/// The default `limit` of `depth` when none is sent (levels).
pub const DEPTH_DEFAULT_LIMIT: u32 = 100;
/// Weight of `POST /api/v3/order` / WS-API `order.place`.
pub const WEIGHT_ORDER_PLACE: u32 = 1;
/// Weight of `DELETE /api/v3/order` / WS-API `order.cancel`.
pub const WEIGHT_ORDER_CANCEL: u32 = 1;
/// Weight of `POST /api/v3/order/cancelReplace` / WS-API `order.cancelReplace`.
pub const WEIGHT_CANCEL_REPLACE: u32 = 1;
/// Weight of `DELETE /api/v3/openOrders` / WS-API `openOrders.cancelAll` (one symbol).
pub const WEIGHT_CANCEL_ALL: u32 = 1;
/// Weight of `GET /api/v3/order` / WS-API `order.status`.
pub const WEIGHT_ORDER_STATUS: u32 = 4;
/// Weight of `GET /api/v3/openOrders` / WS-API `openOrders.status` for one symbol.
pub const WEIGHT_OPEN_ORDERS_ONE_SYMBOL: u32 = 6;
/// Weight of `GET /api/v3/openOrders` / WS-API `openOrders.status` without a symbol.
pub const WEIGHT_OPEN_ORDERS_ALL_SYMBOLS: u32 = 80;
/// Weight of `GET /api/v3/account` / WS-API `account.status`.
pub const WEIGHT_ACCOUNT: u32 = 20;
/// Weight of `GET /api/v3/exchangeInfo` / WS-API `exchangeInfo`.
pub const WEIGHT_EXCHANGE_INFO: u32 = 20;
/// Weight of `GET /api/v3/time` / WS-API `time`.
pub const WEIGHT_TIME: u32 = 1;
/// Weight of `GET /api/v3/ping` / WS-API `ping`.
pub const WEIGHT_PING: u32 = 1;
/// Weight of one WebSocket-API connection attempt (`web-socket-api.md`,
/// "Rate limits": a connection costs weight when it is opened).
pub const WEIGHT_WS_API_CONNECT: u32 = 2;
/// Weight of WS-API `session.logon`.
pub const WEIGHT_SESSION_LOGON: u32 = 2;
/// Weight of WS-API `userDataStream.subscribe`.
pub const WEIGHT_USER_DATA_SUBSCRIBE: u32 = 2;
/// Weight of `POST`, `PUT` and `DELETE /api/v3/userDataStream` (a listen
/// key's creation, keepalive and closing).
pub const WEIGHT_USER_DATA_STREAM: u32 = 2;

/// The weight of a `depth` request of `limit` levels (Binance caps `limit`
/// at 5000; anything above is charged as the top band).
pub const fn depth_weight(limit: u32) -> u32 {
    match limit {
        0..=100 => WEIGHT_DEPTH_UP_TO_100,
        101..=500 => WEIGHT_DEPTH_UP_TO_500,
        501..=1000 => WEIGHT_DEPTH_UP_TO_1000,
        _ => WEIGHT_DEPTH_UP_TO_5000,
    }
}

/// Admission priority. Lower priorities keep a reserve of every limit free
/// for the higher ones, so that cancels and risk reductions always fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// Cancels and risk-reducing orders (a protective stop, a flatten):
    /// may use the whole budget.
    Critical = 0,
    /// New orders that open or add risk.
    Order = 1,
    /// Market-data and housekeeping REST (snapshots, exchangeInfo, account).
    MarketData = 2,
}

impl Priority {
    /// Every priority, highest first.
    pub const ALL: [Priority; 3] = [Priority::Critical, Priority::Order, Priority::MarketData];

    /// The name used in refusals and reports.
    pub const fn name(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::Order => "order",
            Priority::MarketData => "market-data",
        }
    }
}

/// What one request counts against each kind of limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// `REQUEST_WEIGHT` units (per IP).
    pub weight: u32,
    /// `ORDERS` units (per account): 1 for each order placed.
    pub orders: u32,
    /// `RAW_REQUESTS` units (per IP): 1 for each request.
    pub raw: u32,
    /// `CONNECTIONS` units (per IP): 1 for each connection attempt.
    pub connections: u32,
}

/// A request the engine wants to send, as the limiter sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// What it costs.
    pub cost: Cost,
    /// Its admission priority.
    pub priority: Priority,
}

/// The endpoints kairos calls, REST and WebSocket API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /api/v3/depth?limit=N` (REST) or WS-API `depth`.
    Depth {
        /// Levels asked for.
        limit: u32,
    },
    /// `POST /api/v3/order` or WS-API `order.place`.
    OrderPlace,
    /// `DELETE /api/v3/order` or WS-API `order.cancel`.
    OrderCancel,
    /// `POST /api/v3/order/cancelReplace` or WS-API `order.cancelReplace`.
    CancelReplace,
    /// `DELETE /api/v3/openOrders` or WS-API `openOrders.cancelAll`.
    CancelAll,
    /// `GET /api/v3/order` or WS-API `order.status`.
    OrderStatus,
    /// `GET /api/v3/openOrders` or WS-API `openOrders.status`.
    OpenOrders {
        /// Whether no symbol is given (all symbols: far heavier).
        all_symbols: bool,
    },
    /// `GET /api/v3/account` or WS-API `account.status`.
    Account,
    /// `GET /api/v3/exchangeInfo` or WS-API `exchangeInfo`.
    ExchangeInfo,
    /// `GET /api/v3/time` or WS-API `time`.
    Time,
    /// `GET /api/v3/ping` or WS-API `ping`.
    Ping,
    /// Opening a WebSocket-API connection.
    WsApiConnect,
    /// WS-API `session.logon`.
    SessionLogon,
    /// WS-API `userDataStream.subscribe`.
    UserDataSubscribe,
    /// `POST`/`PUT`/`DELETE /api/v3/userDataStream` (listen keys).
    UserDataStream,
}

impl Endpoint {
    /// What one call costs.
    pub const fn cost(self) -> Cost {
        let (weight, orders, connections) = match self {
            Endpoint::Depth { limit } => (depth_weight(limit), 0, 0),
            Endpoint::OrderPlace => (WEIGHT_ORDER_PLACE, 1, 0),
            Endpoint::OrderCancel => (WEIGHT_ORDER_CANCEL, 0, 0),
            // A cancel-replace places a new order: it counts against ORDERS.
            Endpoint::CancelReplace => (WEIGHT_CANCEL_REPLACE, 1, 0),
            Endpoint::CancelAll => (WEIGHT_CANCEL_ALL, 0, 0),
            Endpoint::OrderStatus => (WEIGHT_ORDER_STATUS, 0, 0),
            Endpoint::OpenOrders { all_symbols: false } => (WEIGHT_OPEN_ORDERS_ONE_SYMBOL, 0, 0),
            Endpoint::OpenOrders { all_symbols: true } => (WEIGHT_OPEN_ORDERS_ALL_SYMBOLS, 0, 0),
            Endpoint::Account => (WEIGHT_ACCOUNT, 0, 0),
            Endpoint::ExchangeInfo => (WEIGHT_EXCHANGE_INFO, 0, 0),
            Endpoint::Time => (WEIGHT_TIME, 0, 0),
            Endpoint::Ping => (WEIGHT_PING, 0, 0),
            Endpoint::WsApiConnect => (WEIGHT_WS_API_CONNECT, 0, 1),
            Endpoint::SessionLogon => (WEIGHT_SESSION_LOGON, 0, 0),
            Endpoint::UserDataSubscribe => (WEIGHT_USER_DATA_SUBSCRIBE, 0, 0),
            Endpoint::UserDataStream => (WEIGHT_USER_DATA_STREAM, 0, 0),
        };
        // RAW_REQUESTS counts every request (REST; counted for WS-API too,
        // which can only over-count, never under-count).
        Cost {
            weight,
            orders,
            raw: 1,
            connections,
        }
    }

    /// The priority this endpoint gets unless the caller knows better (a new
    /// order that reduces risk is raised to [`Priority::Critical`]).
    pub const fn default_priority(self) -> Priority {
        match self {
            Endpoint::OrderCancel | Endpoint::CancelAll => Priority::Critical,
            Endpoint::OrderPlace | Endpoint::CancelReplace | Endpoint::OrderStatus => {
                Priority::Order
            }
            _ => Priority::MarketData,
        }
    }

    /// This endpoint at its default priority.
    pub const fn request(self) -> Request {
        Request {
            cost: self.cost(),
            priority: self.default_priority(),
        }
    }

    /// This endpoint at the priority given.
    pub const fn request_at(self, priority: Priority) -> Request {
        Request {
            cost: self.cost(),
            priority,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_depth_weight_bands() {
        let cases = [
            (1, 5),
            (5, 5),
            (100, 5),
            (101, 25),
            (500, 25),
            (501, 50),
            (1000, 50),
            (1001, 250),
            (5000, 250),
            (9999, 250),
        ];
        for (limit, want) in cases {
            assert_eq!(depth_weight(limit), want, "limit {limit}");
        }
    }

    #[test]
    fn limiter_endpoint_costs() {
        struct Case {
            endpoint: Endpoint,
            weight: u32,
            orders: u32,
            connections: u32,
            priority: Priority,
        }
        let cases = [
            Case {
                endpoint: Endpoint::Depth { limit: 1000 },
                weight: 50,
                orders: 0,
                connections: 0,
                priority: Priority::MarketData,
            },
            Case {
                endpoint: Endpoint::OrderPlace,
                weight: 1,
                orders: 1,
                connections: 0,
                priority: Priority::Order,
            },
            Case {
                endpoint: Endpoint::OrderCancel,
                weight: 1,
                orders: 0,
                connections: 0,
                priority: Priority::Critical,
            },
            Case {
                endpoint: Endpoint::CancelReplace,
                weight: 1,
                orders: 1,
                connections: 0,
                priority: Priority::Order,
            },
            Case {
                endpoint: Endpoint::CancelAll,
                weight: 1,
                orders: 0,
                connections: 0,
                priority: Priority::Critical,
            },
            Case {
                endpoint: Endpoint::OrderStatus,
                weight: 4,
                orders: 0,
                connections: 0,
                priority: Priority::Order,
            },
            Case {
                endpoint: Endpoint::OpenOrders { all_symbols: false },
                weight: 6,
                orders: 0,
                connections: 0,
                priority: Priority::MarketData,
            },
            Case {
                endpoint: Endpoint::OpenOrders { all_symbols: true },
                weight: 80,
                orders: 0,
                connections: 0,
                priority: Priority::MarketData,
            },
            Case {
                endpoint: Endpoint::Account,
                weight: 20,
                orders: 0,
                connections: 0,
                priority: Priority::MarketData,
            },
            Case {
                endpoint: Endpoint::ExchangeInfo,
                weight: 20,
                orders: 0,
                connections: 0,
                priority: Priority::MarketData,
            },
            Case {
                endpoint: Endpoint::Time,
                weight: 1,
                orders: 0,
                connections: 0,
                priority: Priority::MarketData,
            },
            Case {
                endpoint: Endpoint::Ping,
                weight: 1,
                orders: 0,
                connections: 0,
                priority: Priority::MarketData,
            },
            Case {
                endpoint: Endpoint::WsApiConnect,
                weight: 2,
                orders: 0,
                connections: 1,
                priority: Priority::MarketData,
            },
            Case {
                endpoint: Endpoint::SessionLogon,
                weight: 2,
                orders: 0,
                connections: 0,
                priority: Priority::MarketData,
            },
            Case {
                endpoint: Endpoint::UserDataSubscribe,
                weight: 2,
                orders: 0,
                connections: 0,
                priority: Priority::MarketData,
            },
            Case {
                endpoint: Endpoint::UserDataStream,
                weight: 2,
                orders: 0,
                connections: 0,
                priority: Priority::MarketData,
            },
        ];
        for c in cases {
            let r = c.endpoint.request();
            assert_eq!(r.cost.weight, c.weight, "{:?}", c.endpoint);
            assert_eq!(r.cost.orders, c.orders, "{:?}", c.endpoint);
            assert_eq!(r.cost.connections, c.connections, "{:?}", c.endpoint);
            assert_eq!(r.cost.raw, 1, "{:?}", c.endpoint);
            assert_eq!(r.priority, c.priority, "{:?}", c.endpoint);
        }
    }
}
