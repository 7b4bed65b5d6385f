//! Shared helpers for the kairos benchmarks live in the bench files themselves.
