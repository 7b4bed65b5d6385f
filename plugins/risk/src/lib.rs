//! The kairos reference risk plugin (world `risk-plugin`).
//!
//! The seed's sizing and protection (tasks 4.1, 4.2): Kelly sizing (fixed
//! 1 % before 30 closed trades, quarter Kelly after, capped to 0.5 %–10 %)
//! scaled by the confidence's size multiplier; ATR stops (1.5 / 2 / 2.5 / 3
//! ATR by ATR% band, capped at 5 % of price) and a take-profit at a
//! reward:risk multiple; a trailing stop (active from +2.5 %, 1.5 ATR below
//! the highest close since entry, never below break-even); drawdown
//! protection (half size from 10 %, no new entries from 20 %). See
//! [`logic`] for the exact rules.
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
