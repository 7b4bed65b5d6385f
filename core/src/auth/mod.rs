//! API keys and request signing: HMAC-SHA256 and Ed25519 keys (ring), read
//! from the environment or from a file only its owner can read; never
//! printed (`Debug` redacts them); the server-time offset behind
//! `timestamp`; Binance's percent-encoding of signed payloads.

use ring::hmac;
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::fmt;
use std::path::Path;

/// `recvWindow` kairos sends by default, ms (Binance: at most 60 000).
pub const DEFAULT_RECV_WINDOW_MS: u64 = 5_000;
/// The largest `recvWindow` Binance accepts, ms.
pub const MAX_RECV_WINDOW_MS: u64 = 60_000;
/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "KAIROS_API_KEY";
/// Environment variable holding an HMAC secret.
pub const ENV_API_SECRET: &str = "KAIROS_API_SECRET";
/// Environment variable naming a key file (see [`Credentials::from_file`]).
pub const ENV_KEY_FILE: &str = "KAIROS_API_KEY_FILE";

/// Why credentials could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Neither the variables nor a key file are set.
    #[error("no API credentials: set {ENV_API_KEY} and {ENV_API_SECRET}, or {ENV_KEY_FILE}")]
    Missing,
    /// The key file is readable by others.
    #[error("{path}: mode {mode:o} lets others read the key; run `chmod 600 {path}`")]
    Permissions {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file could not be read or parsed.
    #[error("{path}: {why}")]
    File {
        /// The file.
        path: String,
        /// What is wrong (never the key itself).
        why: String,
    },
    /// The private key was refused.
    #[error("Ed25519 private key: {0}")]
    Ed25519(String),
}

enum Signer {
    Hmac(hmac::Key),
    Ed25519(Box<Ed25519KeyPair>),
}

/// An API key and what signs with it. `Debug` shows only the key's first
/// four characters and never the secret.
pub struct Credentials {
    api_key: String,
    signer: Signer,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.api_key.chars().take(4).collect();
        f.debug_struct("Credentials")
            .field(
                "api_key",
                &format!("{shown}… ({} chars)", self.api_key.len()),
            )
            .field("kind", &self.kind())
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// An HMAC-SHA256 key pair (API key and secret).
    pub fn hmac(api_key: &str, secret: &str) -> Credentials {
        Credentials {
            api_key: api_key.trim().to_string(),
            signer: Signer::Hmac(hmac::Key::new(hmac::HMAC_SHA256, secret.trim().as_bytes())),
        }
    }

    /// An Ed25519 API key with its private key in PKCS#8 PEM
    /// (`-----BEGIN PRIVATE KEY-----`, as `openssl genpkey -algorithm ed25519` writes).
    pub fn ed25519(api_key: &str, private_key_pem: &str) -> Result<Credentials, AuthError> {
        let der = pem_body(private_key_pem, "PRIVATE KEY")
            .ok_or_else(|| AuthError::Ed25519("no PRIVATE KEY block in the PEM".into()))?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| AuthError::Ed25519(e.to_string()))?;
        Ok(Credentials {
            api_key: api_key.trim().to_string(),
            signer: Signer::Ed25519(Box::new(pair)),
        })
    }

    /// From the environment: [`ENV_KEY_FILE`], else [`ENV_API_KEY`] with
    /// [`ENV_API_SECRET`] (HMAC).
    pub fn from_env() -> Result<Credentials, AuthError> {
        if let Some(path) = std::env::var_os(ENV_KEY_FILE) {
            return Credentials::from_file(Path::new(&path));
        }
        match (std::env::var(ENV_API_KEY), std::env::var(ENV_API_SECRET)) {
            (Ok(k), Ok(s)) if !k.trim().is_empty() && !s.trim().is_empty() => {
                Ok(Credentials::hmac(&k, &s))
            }
            _ => Err(AuthError::Missing),
        }
    }

    /// From a file readable by its owner only (mode 0600 or 0400): the API
    /// key on the first line, then either the HMAC secret on the second line
    /// or an Ed25519 private key PEM block.
    pub fn from_file(path: &Path) -> Result<Credentials, AuthError> {
        use std::os::unix::fs::PermissionsExt;
        let shown = path.display().to_string();
        let file_err = |why: String| AuthError::File {
            path: shown.clone(),
            why,
        };
        let meta = std::fs::metadata(path).map_err(|e| file_err(e.to_string()))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(AuthError::Permissions { path: shown, mode });
        }
        let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let key = lines
            .next()
            .ok_or_else(|| file_err("empty: expected the API key on the first line".into()))?;
        if text.contains("-----BEGIN PRIVATE KEY-----") {
            return Credentials::ed25519(key, &text);
        }
        let secret = lines.next().ok_or_else(|| {
            file_err("expected the secret on the second line, or a PEM private key".into())
        })?;
        Ok(Credentials::hmac(key, secret))
    }

    /// The API key (the `X-MBX-APIKEY` header / `apiKey` parameter).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// `"HMAC_SHA256"` or `"ED25519"`.
    pub fn kind(&self) -> &'static str {
        match self.signer {
            Signer::Hmac(_) => "HMAC_SHA256",
            Signer::Ed25519(_) => "ED25519",
        }
    }

    /// The Ed25519 public key, when that is the kind (to register with Binance).
    pub fn ed25519_public_key(&self) -> Option<&[u8]> {
        match &self.signer {
            Signer::Ed25519(p) => Some(p.public_key().as_ref()),
            Signer::Hmac(_) => None,
        }
    }

    /// The signature of `payload` (the percent-encoded query or body) as
    /// Binance wants it: lower-case hex for HMAC, base64 for Ed25519 (which
    /// must itself be percent-encoded in a query string).
    pub fn sign(&self, payload: &str) -> String {
        match &self.signer {
            Signer::Hmac(k) => hex(hmac::sign(k, payload.as_bytes()).as_ref()),
            Signer::Ed25519(p) => base64(p.sign(payload.as_bytes()).as_ref()),
        }
    }
}

impl Credentials {
    /// [`Credentials::sign`] appended to `out` (no allocation once `out` has
    /// room): lower-case hex for HMAC, base64 for Ed25519.
    pub fn sign_into(&self, payload: &str, out: &mut String) {
        match &self.signer {
            Signer::Hmac(k) => hex_into(hmac::sign(k, payload.as_bytes()).as_ref(), out),
            Signer::Ed25519(p) => base64_into(p.sign(payload.as_bytes()).as_ref(), out),
        }
    }
}

fn hex_into(b: &[u8], s: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &x in b {
        s.push(DIGITS[usize::from(x >> 4)] as char);
        s.push(DIGITS[usize::from(x & 15)] as char);
    }
}

fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(DIGITS[usize::from(x >> 4)] as char);
        s.push(DIGITS[usize::from(x & 15)] as char);
    }
    s
}

/// Standard base64 with padding.
pub fn base64(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len().div_ceil(3) * 4);
    base64_into(b, &mut s);
    s
}

/// Standard base64 with padding, appended to `s`.
pub fn base64_into(b: &[u8], s: &mut String) {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
}

/// Standard base64 (padding optional) decoded; `None` on a character
/// outside the alphabet.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The DER body of the first `-----BEGIN {label}-----` block.
fn pem_body(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    base64_decode(&pem[start..stop])
}

/// Percent-encodes a query value the way Binance's signing examples do:
/// unreserved characters (`A-Z a-z 0-9 - _ . ~`) kept, every other byte of
/// the UTF-8 encoding as `%XX` (upper-case hex).
pub fn percent_encode(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            s.push(b as char);
        } else {
            s.push('%');
            s.push(b"0123456789ABCDEF"[usize::from(b >> 4)] as char);
            s.push(b"0123456789ABCDEF"[usize::from(b & 15)] as char);
        }
    }
    s
}

/// `k1=v1&k2=v2…`, each value percent-encoded.
pub fn query(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The offset between Binance's clock and ours, from `/api/v3/time`
/// answers: the server time is assumed to be read halfway through the round
/// trip. `timestamp` parameters are local time plus the offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerClock {
    offset_ms: i64,
    rtt_ms: u64,
    samples: u32,
}

impl ServerClock {
    /// Takes one sample: local time (ms) when the request was sent and when
    /// its answer arrived, and the server's `serverTime`. The sample with the
    /// shortest round trip wins (its midpoint is the most certain).
    pub fn sample(&mut self, sent_ms: u64, received_ms: u64, server_ms: u64) {
        let rtt = received_ms.saturating_sub(sent_ms);
        if self.samples == 0 || rtt <= self.rtt_ms {
            let mid = sent_ms + rtt / 2;
            self.offset_ms = server_ms as i64 - mid as i64;
            self.rtt_ms = rtt;
        }
        self.samples += 1;
    }

    /// Forgets the samples (after a -1021: the clocks drifted).
    pub fn reset(&mut self) {
        *self = ServerClock::default();
    }

    /// Server time minus local time, ms.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms
    }

    /// The `timestamp` to send at local time `local_ms`.
    pub fn timestamp(&self, local_ms: u64) -> u64 {
        (local_ms as i64 + self.offset_ms).max(0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_matches_rfc4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), enc);
            assert_eq!(base64_decode(enc).unwrap(), raw.as_bytes());
        }
        assert_eq!(base64_decode("Zm9v!"), None);
    }

    #[test]
    fn the_server_clock_keeps_the_tightest_sample() {
        let mut c = ServerClock::default();
        c.sample(1000, 1100, 1550); // mid 1050 → +500
        assert_eq!(c.offset_ms(), 500);
        c.sample(2000, 2400, 2000); // slower round trip: ignored
        assert_eq!(c.offset_ms(), 500);
        c.sample(3000, 3010, 3405); // mid 3005 → +400, tighter
        assert_eq!(c.offset_ms(), 400);
        assert_eq!(c.timestamp(10_000), 10_400);
        c.reset();
        assert_eq!(c.timestamp(10_000), 10_000);
    }

    #[test]
    fn percent_encoding_keeps_unreserved_bytes() {
        assert_eq!(percent_encode("0.1"), "0.1");
        assert_eq!(percent_encode("１２"), "%EF%BC%91%EF%BC%92");
        assert_eq!(percent_encode("a b&c=d/+"), "a%20b%26c%3Dd%2F%2B");
        assert_eq!(
            query(&[("symbol", "LTCBTC"), ("price", "0.1")]),
            "symbol=LTCBTC&price=0.1"
        );
    }
}
