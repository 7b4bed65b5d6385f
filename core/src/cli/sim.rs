//! `kairos sim`: runs the simulated exchange until killed (or for
//! `--duration` seconds, then prints its counters as one JSON line).

use crate::sim::{CaptureFormat, Faults, Sim, SimConfig, SimSource};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `--format` of `kairos sim`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SimFormatArg {
    /// kairos's native capture.
    Native,
    /// hftbacktest raw recording.
    Hftbacktest,
    /// cryptofeed raw recording.
    Cryptofeed,
}

impl From<SimFormatArg> for CaptureFormat {
    fn from(f: SimFormatArg) -> Self {
        match f {
            SimFormatArg::Native => CaptureFormat::Native,
            SimFormatArg::Hftbacktest => CaptureFormat::Hftbacktest,
            SimFormatArg::Cryptofeed => CaptureFormat::Cryptofeed,
        }
    }
}

/// The flags of `kairos sim`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["capture", "klines"])))]
pub struct SimArgs {
    /// Capture to replay.
    #[arg(long)]
    pub capture: Option<PathBuf>,
    /// The capture's format.
    #[arg(long, value_enum, default_value = "native", requires = "capture")]
    pub format: SimFormatArg,
    /// Klines CSV to serve as kline events (`open_time_ms,open,high,low,close,volume`, .gz ok).
    #[arg(long, requires = "symbol")]
    pub klines: Option<PathBuf>,
    /// Symbol of the klines (`BTCUSDT`).
    #[arg(long)]
    pub symbol: Option<String>,
    /// WebSocket address (loopback only); REST listens on the next port (or
    /// another ephemeral one with port 0).
    #[arg(long)]
    pub listen: SocketAddr,
    /// Replay speed: 1 = recorded, 10 = ten times faster, 0 = as fast as clients read.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Serve wss:// with a self-signed certificate (printed as `cert=PATH`).
    #[arg(long)]
    pub tls: bool,
    /// Where to write the certificate (PEM).
    #[arg(long, requires = "tls")]
    pub cert_out: Option<PathBuf>,
    /// Restart the source when it ends (ids keep increasing, with a gap).
    #[arg(long = "loop")]
    pub looped: bool,
    /// Stop after this many seconds and print the counters as JSON.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Close every connection after it has been open this many seconds.
    #[arg(long)]
    pub disconnect_every: Option<f64>,
    /// Close every connection after N market messages.
    #[arg(long)]
    pub disconnect_after: Option<u64>,
    /// Leave out every Nth diff of a connection.
    #[arg(long)]
    pub drop_diff_every: Option<u64>,
    /// Send every Nth diff of a connection twice.
    #[arg(long)]
    pub dup_diff_every: Option<u64>,
    /// Swap every Nth diff of a connection with the next one.
    #[arg(long)]
    pub reorder_diff_every: Option<u64>,
    /// Stall a connection after N market messages …
    #[arg(long, requires = "stall_for")]
    pub stall_after: Option<u64>,
    /// … for this many seconds.
    #[arg(long)]
    pub stall_for: Option<f64>,
    /// Cut every Nth market frame of a connection short and close it.
    #[arg(long)]
    pub truncate_every: Option<u64>,
    /// Send a broken-JSON frame before every Nth market message.
    #[arg(long)]
    pub malformed_every: Option<u64>,
    /// Send a 20 MiB frame before every Nth market message.
    #[arg(long)]
    pub oversized_every: Option<u64>,
    /// Delay every REST answer by this many ms.
    #[arg(long, default_value_t = 0)]
    pub rest_delay_ms: u64,
    /// Answer the first N depth requests with HTTP 429.
    #[arg(long = "rest-429", default_value_t = 0)]
    pub rest_429: u32,
    /// Retry-After of the 429s, seconds.
    #[arg(long, default_value_t = 1.0)]
    pub retry_after: f64,
    /// Answer the first N depth requests with HTTP 418.
    #[arg(long = "rest-418", default_value_t = 0)]
    pub rest_418: u32,
    /// Retry-After of the 418s (ban length), seconds.
    #[arg(long, default_value_t = 120.0)]
    pub ban_for: f64,
    /// Seconds between server pings.
    #[arg(long, default_value_t = 20.0)]
    pub ping_interval: f64,
    /// Seconds without a pong before a connection is closed.
    #[arg(long, default_value_t = 60.0)]
    pub pong_timeout: f64,
    /// Order-entry latency model: ms between an order request's arrival and
    /// its reaching the matching engine (the market moves on meanwhile).
    #[arg(long, default_value_t = 0)]
    pub order_latency_ms: u64,
    /// Seconds a listen key (`POST /api/v3/userDataStream`) lives without
    /// a keepalive before its streams get `listenKeyExpired` (Binance: 3600).
    #[arg(long, default_value_t = 3600.0)]
    pub listen_key_validity: f64,
    /// Answer `/api/v3/userDataStream` with HTTP 410 Gone, as Binance spot
    /// does since it retired listen keys.
    #[arg(long)]
    pub listen_keys_gone: bool,
    /// Maker commission, a fraction of what is received (0.001 = 0.1 %).
    #[arg(long, default_value = "0.001")]
    pub maker_fee: String,
    /// Taker commission, a fraction of what is received (0.001 = 0.1 %).
    #[arg(long, default_value = "0.001")]
    pub taker_fee: String,
}

/// A commission rate flag: an exact decimal fraction in [0, 1).
fn rate(name: &str, s: &str) -> Result<crate::num::Amount, String> {
    let v = crate::num::Amount::parse(s)
        .map_err(|e| format!("--{name} must be a decimal fraction like 0.001, not {s:?} ({e})"))?;
    if v < crate::num::Amount::ZERO || v >= crate::num::Amount::ONE {
        return Err(format!("--{name} must be at least 0 and below 1, not {s}"));
    }
    Ok(v)
}

fn secs(name: &str, s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| format!("--{name} must be a number of seconds >= 0, not {s}"))
}

fn config(a: &SimArgs) -> Result<SimConfig, String> {
    let source = match (&a.capture, &a.klines) {
        (Some(path), None) => SimSource::Capture {
            path: path.clone(),
            format: a.format.into(),
        },
        (None, Some(path)) => SimSource::Klines {
            path: path.clone(),
            symbol: a.symbol.clone().unwrap_or_default().to_ascii_uppercase(),
        },
        _ => return Err("give exactly one of --capture and --klines".into()),
    };
    let opt = |name: &str, v: Option<f64>| v.map(|s| secs(name, s)).transpose();
    let faults = Faults {
        disconnect_every: opt("disconnect-every", a.disconnect_every)?,
        disconnect_after: a.disconnect_after,
        drop_diff_every: a.drop_diff_every,
        dup_diff_every: a.dup_diff_every,
        reorder_diff_every: a.reorder_diff_every,
        stall_after: a.stall_after,
        stall_for: opt("stall-for", a.stall_for)?.unwrap_or_default(),
        truncate_every: a.truncate_every,
        malformed_every: a.malformed_every,
        oversized_every: a.oversized_every,
        rest_delay: Duration::from_millis(a.rest_delay_ms),
        rest_429_first: a.rest_429,
        retry_after: secs("retry-after", a.retry_after)?,
        rest_418_first: a.rest_418,
        ban_for: secs("ban-for", a.ban_for)?,
    };
    let mut cfg = SimConfig::new(source);
    cfg.listen = a.listen;
    cfg.speed = a.speed;
    cfg.tls = a.tls;
    cfg.cert_out = a.cert_out.clone();
    cfg.looped = a.looped;
    cfg.faults = faults;
    cfg.ping_interval = secs("ping-interval", a.ping_interval)?;
    cfg.pong_timeout = secs("pong-timeout", a.pong_timeout)?;
    cfg.order_latency = Duration::from_millis(a.order_latency_ms);
    cfg.listen_key_validity = secs("listen-key-validity", a.listen_key_validity)?;
    cfg.listen_keys_gone = a.listen_keys_gone;
    if cfg.listen_key_validity.is_zero() {
        return Err("--listen-key-validity must be above 0 seconds".into());
    }
    cfg.engine.maker_rate = rate("maker-fee", &a.maker_fee)?;
    cfg.engine.taker_rate = rate("taker-fee", &a.taker_fee)?;
    Ok(cfg)
}

/// Runs `kairos sim`.
pub fn run(args: &SimArgs) -> ExitCode {
    let cfg = match config(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kairos sim: {e}");
            return ExitCode::from(2);
        }
    };
    let duration = match args.duration.map(|d| secs("duration", d)).transpose() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("kairos sim: {e}");
            return ExitCode::from(2);
        }
    };
    let sim = match Sim::start(cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kairos sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening ws={} rest={}", sim.ws_url(), sim.rest_url());
    if let Some(p) = sim.cert_pem_path() {
        let _ = writeln!(out, "cert={}", p.display());
    }
    let _ = out.flush();
    drop(out);
    eprintln!("sim: serving {}", sim.symbols().join(","));
    match duration {
        Some(d) => {
            std::thread::sleep(d);
            let stats = sim.stats();
            sim.shutdown();
            let line =
                serde_json::to_string(&stats).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
            ExitCode::SUCCESS
        }
        None => loop {
            std::thread::park();
        },
    }
}
