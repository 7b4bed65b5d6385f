//! `ws://` / `wss://` / `http(s)://` addresses, parsed without a URL crate
//! (only what Binance's endpoints need: scheme, host, port, path).

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};

/// A parsed endpoint address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `wss`/`https` (TLS) or `ws`/`http`.
    pub secure: bool,
    /// Host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// Port (the scheme's default when absent).
    pub port: u16,
    /// Path and query, `""` when absent (never ends with `/` unless it is `/`).
    pub path: String,
}

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not one of the accepted schemes.
    #[error("{0:?}: the address must start with ws://, wss://, http:// or https://")]
    Scheme(String),
    /// Empty host or a port that is not a number.
    #[error("{0:?}: bad host or port")]
    HostPort(String),
    /// Name resolution failed or gave nothing.
    #[error("cannot resolve {host}:{port}: {why}")]
    Resolve {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// What the resolver said.
        why: String,
    },
}

impl Endpoint {
    /// Parses `scheme://host[:port][/path]`.
    pub fn parse(s: &str) -> Result<Endpoint, UrlError> {
        let (secure, rest, default_port) = if let Some(r) = s.strip_prefix("wss://") {
            (true, r, 443)
        } else if let Some(r) = s.strip_prefix("ws://") {
            (false, r, 80)
        } else if let Some(r) = s.strip_prefix("https://") {
            (true, r, 443)
        } else if let Some(r) = s.strip_prefix("http://") {
            (false, r, 80)
        } else {
            return Err(UrlError::Scheme(s.to_string()));
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let bad = || UrlError::HostPort(s.to_string());
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6.find(']').ok_or_else(bad)?;
            let host = &v6[..end];
            let port = match &v6[end + 1..] {
                "" => default_port,
                p => p
                    .strip_prefix(':')
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(bad)?,
            };
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, p.parse().map_err(|_| bad())?),
                None => (authority, default_port),
            }
        };
        if host.is_empty() || host.contains(['@', ' ']) {
            return Err(bad());
        }
        let path = path.trim_end_matches('/');
        Ok(Endpoint {
            secure,
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }

    /// Resolves the host (blocking: call it at start-up or off the hot
    /// thread). IP literals need no resolver.
    pub fn resolve(&self) -> Result<Vec<SocketAddr>, UrlError> {
        let err = |why: String| UrlError::Resolve {
            host: self.host.clone(),
            port: self.port,
            why,
        };
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| err(e.to_string()))?
            .collect();
        if addrs.is_empty() {
            return Err(err("no address".into()));
        }
        Ok(addrs)
    }

    /// Whether the host is a loopback address or `localhost`.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The same endpoint with another path (`p` starts with `/`).
    pub fn with_path(&self, p: &str) -> Endpoint {
        Endpoint {
            path: p.to_string(),
            ..self.clone()
        }
    }

    fn scheme(&self, ws: bool) -> &'static str {
        match (ws, self.secure) {
            (true, true) => "wss",
            (true, false) => "ws",
            (false, true) => "https",
            (false, false) => "http",
        }
    }

    /// As a `ws://`/`wss://` URL.
    pub fn ws_url(&self) -> String {
        self.url(true)
    }

    /// As an `http://`/`https://` URL.
    pub fn http_url(&self) -> String {
        self.url(false)
    }

    fn url(&self, ws: bool) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{}://{}:{}{}", self.scheme(ws), host, self.port, self.path)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ws_url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_binance_and_local_addresses() {
        let e = Endpoint::parse("wss://stream.binance.com:9443").unwrap();
        assert_eq!(
            (e.secure, e.host.as_str(), e.port, e.path.as_str()),
            (true, "stream.binance.com", 9443, "")
        );
        let e = Endpoint::parse("ws://127.0.0.1:5000/stream?streams=a/b").unwrap();
        assert_eq!((e.port, e.path.as_str()), (5000, "/stream?streams=a/b"));
        assert!(e.is_loopback() && !e.secure);
        let e = Endpoint::parse("https://api.binance.com/").unwrap();
        assert_eq!((e.port, e.path.as_str()), (443, ""));
        assert_eq!(e.http_url(), "https://api.binance.com:443");
        let e = Endpoint::parse("ws://[::1]:9/ws").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("::1", 9));
        assert_eq!(e.ws_url(), "ws://[::1]:9/ws");
        assert_eq!(e.resolve().unwrap()[0].port(), 9);
    }

    #[test]
    fn refuses_bad_addresses_with_a_reason() {
        for bad in [
            "tcp://x:1",
            "ws://:1",
            "ws://h:port",
            "ws://[::1",
            "wss://a@b:1",
        ] {
            let e = Endpoint::parse(bad).unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
