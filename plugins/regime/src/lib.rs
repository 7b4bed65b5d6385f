//! The kairos reference regime plugin (world `regime-plugin`).
//!
//! The seed's rules (task 3.1), thresholds as parameters:
//! ADX > 25 and ATR% < 3 % → strong trend; ADX > 25 and ATR% ≥ 3 % →
//! volatile trend; ADX < 20 and Bollinger width < 0.01 → tight range;
//! ADX < 20 and width ≥ 0.01 → choppy; otherwise transitional. The host
//! gives ATR% and the width as fractions (0.03 is 3 %), so the thresholds
//! are fractions too. See [`logic`] for the confidence score and history.
//!
//! The logic is plain Rust ([`logic`]); the wit-bindgen glue is compiled
//! only for wasm32.
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
