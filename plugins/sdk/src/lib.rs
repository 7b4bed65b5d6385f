//! Guest-side helpers shared by the kairos reference plugins.
//!
//! Plain Rust with no dependencies, so every plugin's logic builds and is
//! tested natively; the wit-bindgen glue lives in each plugin crate.
//!
//! - [`dec`]: exact decimals scaled by 1e-8 (the WIT `decimal`), with i128
//!   intermediates, explicit rounding and saturation (never a panic);
//! - [`state`]: a small versioned binary encoder/decoder for
//!   `save-state` / `load-state`;
//! - [`params`]: a parameter table for `describe` / `set-param` with range
//!   checks that name the parameter;
//! - [`ready`]: the bits of the features record's `ready` mask;
//! - [`model`]: plain mirrors of the WIT records the plugins read and write;
//! - [`convert`]: the macro that converts between a plugin's wit-bindgen
//!   records and [`model`];
//! - `runtime` (wasm32 only): the plugins' `no_std` runtime — a global
//!   allocator, a trapping panic handler and a cell for the plugin's state.
//!
//! `no_std` (core + alloc) outside tests, so plugins built on it import
//! nothing from WASI.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod convert;
pub mod dec;
pub mod model;
pub mod params;
pub mod ready;
pub mod state;

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)] // the guest cell's Sync and the allocator hooks
pub mod runtime;
