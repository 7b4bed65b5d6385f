//! The Binance spot wire model.
//!
//! - [`fast`]: allocation-free decoders for the hot streams (bookTicker,
//!   trade, aggTrade, depthUpdate) straight from raw frame bytes.
//! - [`market`]: every market stream payload and the combined-stream envelope.
//! - [`user`]: user-data events and the WS-API subscription envelope.
//! - [`rest`]: REST and WS-API responses.
//! - [`exchange_info`] and [`filters`]: symbols, rate limits, order filters.
//! - [`errors`]: the documented error-code table.
//! - [`message`]: one entry point that classifies and decodes any message.

pub mod error;
pub mod errors;
pub mod exchange_info;
pub mod fast;
pub mod filters;
mod hot_layout;
pub mod market;
pub mod message;
pub mod rest;
pub mod types;
pub mod user;
pub mod ws_api;

pub use error::DecodeError;
