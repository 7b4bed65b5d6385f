//! The kairos reference confidence plugin (world `confidence-plugin`).
//!
//! The seed's entry confidence (task 3.2): a weighted mean of six 0–1
//! components — RSI 0.15, MACD 0.20, volume 0.30, trend alignment 0.20,
//! support/resistance 0.10, sentiment 0.05 (neutral 0.5 when absent) — plus
//! the GRU prediction when fresh, with its own weight (a parameter); the
//! score decides the size multiplier (≥ 0.75 → 1, ≥ 0.60 → 0.6,
//! ≥ 0.50 → 0.3, else 0 = skip). See [`logic`] for every mapping.
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
