//! kairos-core: the library behind the `kairos` binary, a low-latency trading
//! engine for Binance spot. See the workspace README and ARCHITECTURE.md.
//!
//! - [`num`]: exact decimal money types (i64/i128 scaled by 10^-8).
//! - [`binance`]: the typed Binance spot wire model, the allocation-free
//!   hot-stream decoder, exchange filters and error codes.
//! - [`cli`]: the clap subcommands of the `kairos` binary.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod binance;
pub mod book;
pub mod cli;
pub mod num;
