//! Orders: the state machine applied from executionReports ([`state`]), the
//! fixed-capacity order table that applies them ([`table`]), and client order
//! ids unique across restarts ([`client_id`]).
//!
//! Everything here is pure logic on the hot thread: no I/O, no clock, no
//! allocation after construction. Signing and the WS-API/REST gateways come
//! later and feed this module.

pub mod client_id;
pub mod fixed;
pub mod state;
pub mod table;

pub use client_id::{is_valid_client_id, ClientId, ClientIdGen};
pub use fixed::FixedStr;
pub use state::{transition, Event, IllegalTransition, Status};
pub use table::{
    Applied, ApplyError, Commission, Order, OrderStats, OrderTable, ORDER_TABLE_CAPACITY,
};
