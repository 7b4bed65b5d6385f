//! The WebSocket-API response envelope:
//! `{id, status, result | error: {code, msg, data?}, rateLimits?}`.
//!
//! `result` is kept as JSON and decoded on demand into the type the request
//! asked for ([`WsApiResponse::result_as`]), since the envelope alone does not
//! say what the request was.

use super::error::{DecodeError, MAX_FRAME_BYTES};
use super::exchange_info::{RateLimitInterval, RateLimitType};
use super::rest::{decode_json, ApiError};
pub use super::types::RequestId;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Current usage of one rate limit, reported with each response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimitUsage {
    /// What is counted.
    #[serde(rename(deserialize = "rateLimitType"))]
    pub rate_limit_type: RateLimitType,
    /// Window unit.
    pub interval: RateLimitInterval,
    /// Window length in units.
    #[serde(rename(deserialize = "intervalNum"))]
    pub interval_num: u32,
    /// Maximum per window.
    pub limit: u64,
    /// Used so far in the current window.
    pub count: u64,
}

/// One WS-API response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WsApiResponse {
    /// The id of the request answered (`None` when the server could not read it).
    #[serde(default)]
    pub id: Option<RequestId>,
    /// HTTP-like status: 200 ok, 4xx client error (429 rate limit, 418 ban), 5xx server.
    pub status: u16,
    /// The result on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// The error on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    /// Rate-limit usage after this request (absent when not requested).
    #[serde(default, rename(deserialize = "rateLimits"))]
    pub rate_limits: Vec<RateLimitUsage>,
}

impl WsApiResponse {
    /// Whether the request succeeded (status 200 and a result).
    pub fn is_ok(&self) -> bool {
        self.status == 200 && self.result.is_some()
    }

    /// Whether this is a rate-limit rejection (429) or an IP ban (418).
    pub fn is_rate_limited(&self) -> bool {
        self.status == 429 || self.status == 418
    }

    /// When a ban ends (`error.data.retryAfter`, ms since the epoch).
    pub fn retry_after_ms(&self) -> Option<u64> {
        self.error.as_ref()?.retry_after_ms()
    }

    /// Decodes `result` as `T`, naming `what` on error; the error body if the
    /// request failed.
    pub fn result_as<T: DeserializeOwned>(
        &self,
        what: &'static str,
    ) -> Result<Result<T, ApiError>, DecodeError> {
        if let Some(e) = &self.error {
            return Ok(Err(e.clone()));
        }
        let v = self.result.as_ref().ok_or(DecodeError::Unknown {
            detail: format!(
                "WS-API response (status {}) with neither result nor error",
                self.status
            ),
        })?;
        T::deserialize(v)
            .map(Ok)
            .map_err(|e| DecodeError::json(what, e))
    }
}

/// Decodes one WS-API response frame. A frame with neither `result` nor
/// `error` is rejected as [`DecodeError::Unknown`].
pub fn decode_ws_api_response(bytes: &[u8]) -> Result<WsApiResponse, DecodeError> {
    let r: WsApiResponse = decode_json(bytes, "WS-API response", MAX_FRAME_BYTES)?;
    if r.result.is_none() && r.error.is_none() {
        return Err(DecodeError::Unknown {
            detail: format!(
                "WS-API response (status {}) with neither result nor error",
                r.status
            ),
        });
    }
    Ok(r)
}
