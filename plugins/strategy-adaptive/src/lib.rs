//! The kairos reference strategy plugin `strategy-adaptive` (world
//! `strategy-plugin`).
//!
//! The seed's regime presets: trend following with breakouts (strong
//! trend), trend with caution (volatile trend), mean reversion / grid
//! (tight range, choppy) and a conservative mode with a 0.80 confidence
//! threshold (transitional), each with position-size, stop and take-profit
//! multipliers and a DCA plan (safety orders, spacing, size scale). See
//! [`logic`] for the table and the exact rules. The strategy decides on
//! closed candles only: `on-book` and `on-trade` return none.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod logic;

#[cfg(test)]
mod cases;
#[cfg(test)]
mod tests;

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)] // wit-bindgen's generated ABI code
mod glue;
