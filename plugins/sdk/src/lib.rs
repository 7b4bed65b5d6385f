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
//! - [`model`]: plain mirrors of the WIT records the plugins read and write.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod convert;
pub mod dec;
pub mod model;
pub mod params;
pub mod ready;
pub mod state;
