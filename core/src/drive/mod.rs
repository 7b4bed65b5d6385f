//! Drivers: they own the I/O and the clock and feed the engine. Live, paper,
//! replay and backtest differ only here; the engine is the same.

pub mod admit;
pub mod backtest;
pub mod live;
pub mod replay;
