//! `kairos record`: live capture (reconnecting, books kept in sync) to the
//! native format, with a report of the run.

use crate::capture::recorder::RecordSink;
use crate::drive::live::{LiveConfig, LiveDriver, LiveOutcome, DOWN_REASONS};
use crate::engine::{Kind, NoopDecide, KINDS};
use crate::feed::backoff::BackoffConfig;
use crate::report::latency::PERCENTILES;
use crate::report::svg::{percentile_chart, Series};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The live-feed settings shared by `record` (and later `run`).
#[derive(Debug, Clone, clap::Args)]
pub struct FeedArgs {
    /// Market streams base address.
    #[arg(long, default_value = "wss://stream.binance.com:9443")]
    pub endpoint: String,
    /// REST base address (depth snapshots).
    #[arg(long, default_value = "https://api.binance.com")]
    pub rest: String,
    /// Symbols, comma-separated (any case).
    #[arg(long, value_delimiter = ',', required = true)]
    pub symbols: Vec<String>,
    /// Stream kinds per symbol, comma-separated: depth, depth@100ms,
    /// depth@1000ms, bookTicker, trade, aggTrade.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "depth@100ms,bookTicker,trade"
    )]
    pub streams: Vec<String>,
    /// Extra root certificate (PEM) to trust: the simulator's `cert=` file.
    #[arg(long)]
    pub root_cert: Option<PathBuf>,
    /// First reconnect delay bound, ms (full jitter, doubling per failure).
    #[arg(long, default_value_t = 100)]
    pub backoff_base_ms: u64,
    /// Largest reconnect delay, ms.
    #[arg(long, default_value_t = 30_000)]
    pub backoff_cap_ms: u64,
    /// A connection healthy this long resets the reconnect delay, s.
    #[arg(long, default_value_t = 60)]
    pub backoff_reset_s: u64,
    /// No data for this long while subscribed: reconnect, ms.
    #[arg(long, default_value_t = 10_000)]
    pub silence_ms: u64,
    /// Open a replacement connection after this long, s (Binance closes
    /// connections at 24 h).
    #[arg(long, default_value_t = crate::feed::DEFAULT_ROTATE_AFTER.as_secs())]
    pub rotate_after_s: u64,
    /// Levels per side in depth snapshots.
    #[arg(long, default_value_t = 1000)]
    pub snapshot_limit: u32,
    /// Subscribe with SUBSCRIBE messages (acks awaited) instead of the
    /// combined-stream URL.
    #[arg(long)]
    pub subscribe_by_message: bool,
    /// Pin the hot thread to this CPU core.
    #[arg(long)]
    pub pin_core: Option<usize>,
    /// Spin on the sockets instead of sleeping between events (lower
    /// latency; keeps one core busy).
    #[arg(long)]
    pub busy_poll: bool,
}

impl FeedArgs {
    /// The driver's settings.
    pub fn config(&self, duration: Option<Duration>) -> LiveConfig {
        let symbols: Vec<&str> = self.symbols.iter().map(|s| s.as_str()).collect();
        let streams: Vec<&str> = self.streams.iter().map(|s| s.as_str()).collect();
        let mut c = LiveConfig::new(&self.endpoint, &self.rest, &symbols, &streams);
        c.root_pem = self.root_cert.clone();
        c.reconnect = BackoffConfig {
            base: Duration::from_millis(self.backoff_base_ms),
            cap: Duration::from_millis(self.backoff_cap_ms.max(self.backoff_base_ms)),
            reset_after_healthy: Duration::from_secs(self.backoff_reset_s),
        };
        c.silence_limit = Duration::from_millis(self.silence_ms);
        c.rotate_after = Duration::from_secs(self.rotate_after_s);
        c.snapshot_limit = self.snapshot_limit;
        c.subscribe_by_message = self.subscribe_by_message;
        c.pin_core = self.pin_core;
        c.busy_poll = self.busy_poll;
        c.duration = duration;
        c
    }
}

/// `kairos record`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct RecordArgs {
    /// Feed settings.
    #[command(flatten)]
    pub feed: FeedArgs,
    /// Stop after this many seconds (default: until Ctrl-C or SIGTERM, which
    /// finish the file and the report; chunks are flushed every 0.5 s, so
    /// even a SIGKILLed recording keeps all but the last half second).
    #[arg(long)]
    pub duration: Option<f64>,
    /// The capture file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Write report.json, report.md and latency.svg into this folder.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: &RecordArgs) -> ExitCode {
    let duration = match args.duration {
        Some(s) if !(s.is_finite() && s > 0.0) => {
            eprintln!("kairos record: --duration must be a positive number of seconds");
            return ExitCode::from(2);
        }
        Some(s) => Some(Duration::from_secs_f64(s)),
        None => None,
    };
    let cfg = args.feed.config(duration);
    let sink = match RecordSink::create(&args.out, "kairos record") {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kairos record: {}: {e}", args.out.display());
            return ExitCode::from(2);
        }
    };
    let mut driver = match LiveDriver::new(cfg, NoopDecide, sink) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("kairos record: {e}");
            return ExitCode::from(2);
        }
    };
    // Ctrl-C / SIGTERM stop the run cleanly: the file is finished and the
    // report written.
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, driver.stop_flag()) {
            eprintln!("kairos record: cannot handle signal {sig}: {e}");
        }
    }
    let out = driver.run();
    let sink = driver.into_sink();
    let (queued, dropped) = (sink.queued, sink.dropped);
    let written = match sink.finish() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kairos record: writing {}: {e}", args.out.display());
            return ExitCode::from(2);
        }
    };
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let mut json = live_report_json(&out, &command);
    json["out"] = json!(args.out.display().to_string());
    json["records_queued"] = json!(queued);
    json["records_dropped"] = json!(dropped);
    json["bytes_written"] = json!(written.bytes);
    println!(
        "recorded {} events ({} records, {} dropped) to {}; reconnects {}, resyncs {}, state {}",
        out.counters.events,
        queued,
        dropped,
        args.out.display(),
        out.counters.reconnects,
        json["resyncs"],
        out.state
    );
    if let Some(dir) = &args.report {
        if let Err(e) = write_report(dir, &out, &json, "kairos record") {
            eprintln!(
                "kairos record: writing the report to {}: {e}",
                dir.display()
            );
            return ExitCode::from(2);
        }
        println!("report: {}", dir.display());
    }
    if out.counters.events == 0 {
        eprintln!(
            "kairos record: no market data received{}",
            out.counters
                .last_error
                .as_deref()
                .map(|e| format!(" (last error: {e})"))
                .unwrap_or_default()
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn pcts(h: &crate::report::latency::StageHistogram) -> Value {
    let mut m = Map::new();
    m.insert("count".into(), json!(h.count()));
    for (name, q) in PERCENTILES {
        m.insert(
            name.into(),
            json!(if h.count() > 0 { h.quantile(q) } else { 0 }),
        );
    }
    m.insert("max".into(), json!(h.max()));
    Value::Object(m)
}

/// The report of a live run (the fields of ARCHITECTURE.md's record/run
/// contract, and more).
pub fn live_report_json(out: &LiveOutcome, command: &str) -> Value {
    let c = &out.counters;
    let resyncs: u64 = out.symbols.iter().map(|s| s.book.resyncs).sum();
    let mut by_kind = Map::new();
    for k in Kind::ALL.iter().take(KINDS) {
        by_kind.insert(k.name().into(), json!(out.engine.by_kind[*k as usize]));
    }
    let mut downs = Map::new();
    for (i, r) in DOWN_REASONS.iter().enumerate() {
        downs.insert(r.name().into(), json!(c.downs[i]));
    }
    let mut books = Map::new();
    for s in &out.symbols {
        books.insert(
            s.symbol.as_str().into(),
            json!({
                "applied": s.book.applied,
                "dropped_stale": s.book.dropped_stale,
                "gaps": s.book.gaps,
                "resyncs": s.book.resyncs,
                "crossed": s.book.crossed,
                "live": s.live,
                "last_update_id": s.last_update_id,
                "best_bid": s.best_bid.map(|l| l.price.to_string()),
                "best_ask": s.best_ask.map(|l| l.price.to_string()),
            }),
        );
    }
    json!({
        "events": c.events,
        "bytes": c.bytes,
        "wall_s": out.wall.as_secs_f64(),
        "reconnects": c.reconnects,
        "resyncs": resyncs,
        "data_gap_ms": pcts(&out.data_gap_ms),
        "resync_ms": pcts(&out.resync_ms),
        "malformed": out.engine.by_kind[Kind::Malformed as usize] + c.malformed_frames,
        "malformed_frames": c.malformed_frames,
        "stale_decisions": out.engine.stale_decisions,
        "allocations_per_event": if c.steady_events > 0 && crate::alloc_count::installed() {
            json!(c.steady_allocations as f64 / c.steady_events as f64)
        } else {
            Value::Null
        },
        "decisions": out.engine.decisions,
        "by_kind": by_kind,
        "connects": c.connects,
        "disconnects": downs,
        "failed_attempts": c.failed_attempts,
        "rotations": c.rotations,
        "rotation_duplicates": c.rotation_duplicates,
        "rotation_unmatched": c.rotation_unmatched,
        "snapshots": {
            "requested": c.snapshot_requests,
            "applied": c.snapshots,
            "http_429": c.http_429,
            "http_418": c.http_418,
            "errors": c.rest_errors,
            "refused": c.rest_refused,
            "held_by_limiter": c.limiter_held,
            "limits_from_exchange_info": c.limits_loaded,
        },
        "http_429": c.http_429,
        "http_418": c.http_418,
        "acks": c.acks,
        "ack_errors": c.ack_errors,
        "pings_sent": c.pings_sent,
        "server_pings": c.server_pings,
        "latency_ns": {
            "frame_to_decision": pcts(&out.frame_to_decision_ns),
            "wake_to_decision": pcts(&out.wake_to_decision_ns),
        },
        "book": books,
        "state": out.state.to_string(),
        "pinned": out.pinned,
        "last_error": c.last_error,
        "machine": crate::report::machine(),
        "command": command,
    })
}

/// Writes report.json, report.md and latency.svg.
pub fn write_report(
    dir: &Path,
    out: &LiveOutcome,
    json: &Value,
    what: &str,
) -> std::io::Result<()> {
    let mut md = String::new();
    let _ = writeln!(md, "# {what}\n");
    let _ = writeln!(
        md,
        "Command: `{}`\n",
        json["command"].as_str().unwrap_or("")
    );
    let _ = writeln!(md, "| figure | value |\n|---|---|");
    for key in [
        "events",
        "wall_s",
        "reconnects",
        "resyncs",
        "malformed",
        "stale_decisions",
        "rotations",
        "http_429",
        "http_418",
        "state",
        "pinned",
    ] {
        let _ = writeln!(md, "| {key} | {} |", json[key]);
    }
    let _ = writeln!(
        md,
        "| data gap per reconnect, ms (p50 / max) | {} / {} |",
        json["data_gap_ms"]["p50"], json["data_gap_ms"]["max"]
    );
    let _ = writeln!(
        md,
        "| loss to book live again, ms (p50 / max) | {} / {} |",
        json["resync_ms"]["p50"], json["resync_ms"]["max"]
    );
    for (name, h) in [
        ("frame → decision", &out.frame_to_decision_ns),
        ("poll wake → decision", &out.wake_to_decision_ns),
    ] {
        if h.count() > 0 {
            let _ = writeln!(
                md,
                "| {name}, ns (p50 / p99 / max) | {} / {} / {} |",
                h.quantile(0.5),
                h.quantile(0.99),
                h.max()
            );
        }
    }
    let _ = writeln!(md, "\nDisconnects by reason: `{}`", json["disconnects"]);
    let curves = [
        ("frame_to_decision", out.frame_to_decision_ns.curve()),
        ("wake_to_decision", out.wake_to_decision_ns.curve()),
    ];
    let series: Vec<Series<'_>> = curves
        .iter()
        .map(|(name, points)| Series { name, points })
        .collect();
    let svg = percentile_chart(
        &format!("{what}: latency ({} events)", out.counters.events),
        &series,
    );
    crate::report::write(dir, json, &md, &[("latency.svg", svg)])
}
