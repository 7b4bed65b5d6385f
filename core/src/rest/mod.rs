//! The `rest` side thread: blocking HTTP (ureq) off the hot thread.
//!
//! The hot thread pushes [`RestRequest`]s into an SPSC ring (ringbuf) and
//! unparks the thread; the thread performs them one at a time and pushes
//! [`RestReply`]s into a second ring, then wakes the hot thread's mio `Poll`
//! through a `Waker`. Neither side ever blocks on the other: a full ring is a
//! refused request (counted), never a wait.

use crate::binance::fast::Symbol;
use crate::orders::gateway::HttpMethod;
use crate::orders::user_stream::{KeyOp, ListenKey, USER_DATA_STREAM_PATH};
use ringbuf::traits::{Consumer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Requests (and replies) in flight at most.
pub const REST_QUEUE_LEN: usize = 64;
/// The whole of one request (connect, send, receive) must finish within this.
pub const REST_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest response body accepted, bytes (a 5000-level snapshot is
/// about 250 KB).
pub const MAX_BODY_BYTES: u64 = 8 << 20;
/// Rate-limit headers kept from one response at most.
pub const MAX_LIMIT_HEADERS: usize = 16;
/// The longest signed query string an order request may carry, bytes (a
/// signed order.place query is about 300).
pub const MAX_SIGNED_QUERY: usize = 2048;
/// The side thread checks for work at least this often even without an
/// unpark.
const IDLE_WAIT: Duration = Duration::from_millis(50);

/// What the hot thread asks for.
// The signed variant is 2 KiB on purpose: requests travel inline through the
// ring, with no heap allocation per request.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestRequest {
    /// `GET /api/v3/depth?symbol=S&limit=N`.
    Depth {
        /// The symbol.
        symbol: Symbol,
        /// How many levels per side.
        limit: u32,
    },
    /// `GET /api/v3/exchangeInfo` (rate limits and filters).
    ExchangeInfo,
    /// An order endpoint (the gateway's REST fallback while the WS-API is
    /// down): `METHOD path?query`, the query already signed by the gateway,
    /// with the `X-MBX-APIKEY` header when `api_key` is set.
    Signed {
        /// The gateway's request id, to answer with.
        req_id: u64,
        /// GET, POST or DELETE.
        method: HttpMethod,
        /// `/api/v3/order`, …
        path: &'static str,
        /// The query string.
        query: InlineQuery,
        /// Whether to send the API key header.
        api_key: bool,
    },
    /// A listen key (`/api/v3/userDataStream`, the API key header, no
    /// signature): create one, or keep `key` alive, or close it.
    UserStream {
        /// What to do.
        op: KeyOp,
        /// The key (`None` for [`KeyOp::Create`]).
        key: Option<ListenKey>,
    },
}

/// A query string held inline (the request ring holds no heap pointers).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct InlineQuery {
    len: u16,
    bytes: [u8; MAX_SIGNED_QUERY],
}

impl InlineQuery {
    /// `s`, or `None` when it is longer than [`MAX_SIGNED_QUERY`].
    pub fn new(s: &str) -> Option<InlineQuery> {
        if s.len() > MAX_SIGNED_QUERY {
            return None;
        }
        let mut bytes = [0u8; MAX_SIGNED_QUERY];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Some(InlineQuery {
            len: s.len() as u16,
            bytes,
        })
    }

    /// The query.
    pub fn as_str(&self) -> &str {
        // Built from a `&str`: always UTF-8.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl std::fmt::Debug for InlineQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The signature is not a secret, but the query is long: its length.
        write!(f, "InlineQuery({} bytes)", self.len)
    }
}

/// The answer.
#[derive(Debug)]
pub struct RestReply {
    /// What was asked.
    pub request: RestRequest,
    /// When it was asked (hot thread clock).
    pub asked_at: Instant,
    /// The HTTP status and body, or a transport error.
    pub result: Result<HttpAnswer, String>,
}

/// A response.
#[derive(Debug)]
pub struct HttpAnswer {
    /// Status code.
    pub status: u16,
    /// `Retry-After`, when present.
    pub retry_after: Option<Duration>,
    /// `X-MBX-USED-WEIGHT-1M`, when present.
    pub used_weight_1m: Option<u32>,
    /// Every `X-MBX-USED-WEIGHT-*` / `X-MBX-ORDER-COUNT-*` header (name,
    /// value), for the limiter to take the server's counts.
    pub limit_headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

struct Job {
    request: RestRequest,
    asked_at: Instant,
}

/// The hot thread's handle on the `rest` thread.
pub struct RestClient {
    requests: HeapProd<Job>,
    replies: HeapCons<RestReply>,
    thread: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    api_key: Arc<OnceLock<String>>,
    /// Requests refused because the ring was full.
    pub refused: u64,
}

impl RestClient {
    /// Starts the thread, talking to `base_url` (`http(s)://host:port`), and
    /// waking `waker` after each reply. `root_pem`: PEM certificates to trust
    /// instead of the web PKI roots (a local simulator's, for `https://`).
    pub fn start(
        base_url: &str,
        waker: Arc<mio::Waker>,
        root_pem: Option<Vec<u8>>,
    ) -> std::io::Result<RestClient> {
        let (req_tx, mut req_rx) = HeapRb::<Job>::new(REST_QUEUE_LEN).split();
        let (mut rep_tx, rep_rx) = HeapRb::<RestReply>::new(REST_QUEUE_LEN).split();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let api_key: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
        let key2 = api_key.clone();
        let base = base_url.trim_end_matches('/').to_string();
        let thread = std::thread::Builder::new()
            .name("rest".into())
            .spawn(move || {
                let agent = agent(root_pem.as_deref());
                while !stop2.load(Ordering::Acquire) {
                    let Some(job) = req_rx.try_pop() else {
                        std::thread::park_timeout(IDLE_WAIT);
                        continue;
                    };
                    let result = perform(&agent, &base, &job.request, key2.get());
                    let reply = RestReply {
                        request: job.request,
                        asked_at: job.asked_at,
                        result,
                    };
                    // The reply ring is as long as the request ring, and the
                    // hot thread drains it on every wake: it cannot stay full.
                    let mut reply = Some(reply);
                    while let Some(r) = reply.take() {
                        if let Err(r) = rep_tx.try_push(r) {
                            if stop2.load(Ordering::Acquire) {
                                break;
                            }
                            reply = Some(r);
                            std::thread::sleep(Duration::from_millis(1));
                        }
                    }
                    let _ = waker.wake();
                }
            })?;
        Ok(RestClient {
            requests: req_tx,
            replies: rep_rx,
            thread: Some(thread),
            stop,
            api_key,
            refused: 0,
        })
    }

    /// The API key sent with signed order requests (set once, when the
    /// order side is configured; a second call is ignored).
    pub fn set_api_key(&self, key: &str) {
        let _ = self.api_key.set(key.to_string());
    }

    /// Asks for `request`; `false` (and counted) when the queue is full.
    pub fn ask(&mut self, request: RestRequest, now: Instant) -> bool {
        let ok = self
            .requests
            .try_push(Job {
                request,
                asked_at: now,
            })
            .is_ok();
        if ok {
            if let Some(t) = &self.thread {
                t.thread().unpark();
            }
        } else {
            self.refused += 1;
        }
        ok
    }

    /// The next reply, if one has arrived.
    pub fn try_reply(&mut self) -> Option<RestReply> {
        self.replies.try_pop()
    }
}

impl Drop for RestClient {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

fn agent(root_pem: Option<&[u8]>) -> ureq::Agent {
    use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
    let mut tls = TlsConfig::builder();
    if let Some(pem) = root_pem {
        let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(pem)
            .filter_map(|i| match i {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        // Only the given certificate: a local simulator's REST endpoint.
        tls = tls.root_certs(RootCerts::new_with_certs(&certs));
    }
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(REST_TIMEOUT))
        .tls_config(tls.build())
        .user_agent("kairos")
        .build()
        .into()
}

fn perform(
    agent: &ureq::Agent,
    base: &str,
    req: &RestRequest,
    api_key: Option<&String>,
) -> Result<HttpAnswer, String> {
    let (url, method, key) = match req {
        RestRequest::Depth { symbol, limit } => (
            format!(
                "{base}/api/v3/depth?symbol={}&limit={limit}",
                symbol.as_str()
            ),
            HttpMethod::Get,
            None,
        ),
        RestRequest::ExchangeInfo => (format!("{base}/api/v3/exchangeInfo"), HttpMethod::Get, None),
        RestRequest::Signed {
            method,
            path,
            query,
            api_key: with_key,
            ..
        } => (
            format!("{base}{path}?{}", query.as_str()),
            *method,
            if *with_key {
                Some(api_key.ok_or("no API key set for a signed request")?)
            } else {
                None
            },
        ),
        RestRequest::UserStream { op, key } => (
            match key {
                Some(k) => format!("{base}{USER_DATA_STREAM_PATH}?listenKey={}", k.as_str()),
                None => format!("{base}{USER_DATA_STREAM_PATH}"),
            },
            op.method(),
            Some(api_key.ok_or("no API key set for a listen-key request")?),
        ),
    };
    let err = |e: ureq::Error| format!("{}: {e}", url.split('?').next().unwrap_or(""));
    let mut resp = match (method, key) {
        (HttpMethod::Get, None) => agent.get(&url).call(),
        (HttpMethod::Get, Some(k)) => agent.get(&url).header("X-MBX-APIKEY", k).call(),
        (HttpMethod::Delete, None) => agent.delete(&url).call(),
        (HttpMethod::Delete, Some(k)) => agent.delete(&url).header("X-MBX-APIKEY", k).call(),
        (HttpMethod::Post, None) => agent.post(&url).send_empty(),
        (HttpMethod::Post, Some(k)) => agent.post(&url).header("X-MBX-APIKEY", k).send_empty(),
        (HttpMethod::Put, None) => agent.put(&url).send_empty(),
        (HttpMethod::Put, Some(k)) => agent.put(&url).header("X-MBX-APIKEY", k).send_empty(),
    }
    .map_err(err)?;
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let retry_after = header("Retry-After").map(Duration::from_secs);
    let used_weight_1m = header("X-MBX-USED-WEIGHT-1M").map(|w| w.min(u32::MAX as u64) as u32);
    let limit_headers = resp
        .headers()
        .iter()
        .filter(|(n, _)| {
            let n = n.as_str().to_ascii_lowercase();
            n.starts_with("x-mbx-used-weight") || n.starts_with("x-mbx-order-count")
        })
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .take(MAX_LIMIT_HEADERS)
        .collect();
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_BODY_BYTES)
        .read_to_vec()
        .map_err(|e| format!("{}: body: {e}", url.split('?').next().unwrap_or("")))?;
    Ok(HttpAnswer {
        status,
        retry_after,
        used_weight_1m,
        limit_headers,
        body,
    })
}
