//! kairos-core: the library behind the `kairos` binary, a low-latency trading
//! engine for Binance spot. See the workspace README and ARCHITECTURE.md.
//!
//! - [`num`]: exact decimal money types (i64/i128 scaled by 10^-8).
//! - [`binance`]: the typed Binance spot wire model, the allocation-free
//!   hot-stream decoder, exchange filters and error codes.
//! - [`capture`]: the native capture format (writer, memory-mapped reader)
//!   and importers of hftbacktest / cryptofeed raw captures.
//! - [`book`]: the L2 order book and Binance's snapshot/diff sync rule.
//! - [`engine`]: the sans-I/O engine (events in, actions out).
//! - [`indicators`]: incremental, deterministic, allocation-free indicators
//!   over closed candles (ATR, ADX, RSI, MACD, Bollinger, …), klines parsing,
//!   gap detection and multi-timeframe aggregation.
//! - [`plugins`]: the wasmtime plugin host (sandbox, budgets, safe modes,
//!   hot swap, control socket) and the plugin chain decision stage.
//! - [`config`]: the top-level kairos configuration file (TOML).
//! - [`drive`]: the drivers that feed it (replay, live).
//! - [`feed`]: the market-data WebSocket client (mio, tungstenite, rustls).
//! - [`limiter`]: request-weight / order-count / raw-request admission.
//! - [`orders`]: the order state machine, order table and client order ids.
//! - [`rest`]: the `rest` side thread (ureq).
//! - [`report`]: JSON / Markdown / SVG reports and latency histograms.
//! - [`sim`]: a local simulated Binance spot exchange (WS streams, REST,
//!   fault injection) that the exchange-facing code is tested against.
//! - [`alloc_count`]: the counting allocator behind `allocations_per_event`.
//! - [`cli`]: the clap subcommands of the `kairos` binary.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod alloc_count;
pub mod auth;
pub mod binance;
pub mod book;
pub mod capture;
pub mod cli;
pub mod config;
pub mod drive;
pub mod engine;
pub mod feed;
pub mod indicators;
pub mod limiter;
pub mod num;
pub mod orders;
pub mod plugins;
pub mod portfolio;
pub mod report;
pub mod rest;
pub mod sim;
