//! Errors of the typed (serde) decoding path.

/// Largest stream or WS-API frame accepted, in bytes (Binance's own frames
/// stay well below this; a 5000-level depth snapshot is ~250 KiB).
pub const MAX_FRAME_BYTES: usize = 4 << 20;
/// Largest REST body accepted, in bytes (a full exchangeInfo is a few MiB).
pub const MAX_REST_BODY_BYTES: usize = 64 << 20;

/// Why a message could not be decoded. Every variant names the problem.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Empty input.
    #[error("empty message")]
    Empty,
    /// Over the size limit.
    #[error("message is {len} bytes, over the {max}-byte limit")]
    TooLarge {
        /// Size of the input.
        len: usize,
        /// The limit that applied.
        max: usize,
    },
    /// Not valid JSON, or valid JSON with a missing/mistyped field.
    #[error("{what}: {source}")]
    Json {
        /// Which message kind was being decoded.
        what: &'static str,
        /// serde_json's description, with line and column.
        source: serde_json::Error,
    },
    /// JSON whose event type or shape kairos does not know.
    #[error("unknown message: {detail}")]
    Unknown {
        /// What was seen (event type, stream name or the top-level keys).
        detail: String,
    },
}

impl DecodeError {
    /// Wraps a serde_json error with the kind being decoded.
    pub fn json(what: &'static str, source: serde_json::Error) -> Self {
        DecodeError::Json { what, source }
    }
}
