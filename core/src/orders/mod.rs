//! Orders: the state machine applied from executionReports ([`state`]), the
//! fixed-capacity order table that applies them ([`table`]), client order
//! ids unique across restarts ([`client_id`]), signed WS-API / REST request
//! building ([`request`]), the sans-I/O order gateway ([`gateway`]) and the
//! listen-key fallback of the user-data stream ([`user_stream`]).
//!
//! Everything here is pure logic on the hot thread: no I/O, no clock, no
//! allocation after construction in the state machine and the table (the
//! gateway's outgoing request texts are the exception, see [`gateway`]).

pub mod client_id;
pub mod fixed;
pub mod gateway;
pub mod request;
pub mod state;
pub mod table;
pub mod user_stream;

pub use client_id::{is_valid_client_id, ClientId, ClientIdGen};
pub use fixed::FixedStr;
pub use state::{transition, Event, IllegalTransition, Status};
pub use table::{
    Applied, ApplyError, Commission, Order, OrderStats, OrderTable, ORDER_TABLE_CAPACITY,
};
