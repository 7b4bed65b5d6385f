//! Allocation-free hot-stream decoders (work in progress).
