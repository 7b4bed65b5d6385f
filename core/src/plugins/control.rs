//! The `control` side thread: a local Unix socket (mode 0600), one JSON
//! object per line in each direction.
//!
//! Requests:
//! - `{"cmd":"ping"}` → `{"ok":true}`
//! - `{"cmd":"swap","slot":"strategy","file":"/path/x.wasm","params":{"qty":"0.5"}}`
//!   (`params` optional; values are decimal strings or integers) →
//!   `{"ok":true,"slot":…,"name":…,"version":…,"handover":"state"|"warmup"|"fresh",
//!   "warmup_candles":N,"pause_ns":N,"load_error":…,"imports":[…],"dry_run_candles":N}`
//!   once the hot thread has swapped it in, or `{"ok":true,"applied":false,…}`
//!   when it is queued but no event came within [`SWAP_APPLY_TIMEOUT`] (it
//!   applies before the next event).
//!
//! Any failure answers `{"error":"…"}` naming the problem. Connections are
//! served one at a time; a line is at most [`MAX_LINE_BYTES`].

use super::chain::Handover;
use super::swap::{SwapRequest, SwapSide};
use super::Slot;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Longest request or answer line, bytes.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// How long a swap may take to compile, validate and dry-run.
pub const PREPARE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the control thread waits for the hot thread to apply a swap.
pub const SWAP_APPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client waits for an answer.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);
/// Poll interval of the (non-blocking) listener.
pub const ACCEPT_POLL: Duration = Duration::from_millis(5);
/// Read timeout of one connection.
pub const CONNECTION_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The socket file's mode.
pub const SOCKET_MODE: u32 = 0o600;

/// The running control thread; stops (and removes the socket) on drop.
pub struct ControlServer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ControlServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlServer")
            .field("path", &self.path)
            .finish()
    }
}

impl ControlServer {
    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds `path` (mode 0600; a stale socket there is replaced, any other
/// file is an error) and starts the `control` thread serving `side`.
pub fn serve(path: &Path, side: SwapSide) -> std::io::Result<ControlServer> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_socket() {
            std::fs::remove_file(path)?;
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
    }
    let listener = bind_private(path)?;
    listener.set_nonblocking(true)?;
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let thread = std::thread::Builder::new()
        .name("control".into())
        .spawn(move || run(listener, side, &s))?;
    Ok(ControlServer {
        path: path.to_path_buf(),
        stop,
        thread: Some(thread),
    })
}

/// Binds the socket with mode 0600 before anyone else can reach it: it is
/// bound inside a fresh directory only the owner may enter (0700, beside
/// `path`, so on the same filesystem), given its mode there, then renamed
/// onto `path` (atomic). Binding at `path` and changing the mode afterwards
/// would leave a moment in which the socket has the umask's mode.
fn bind_private(path: &Path) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::DirBuilderExt;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Unique per process and per call (two servers may start at once).
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let staging = parent.join(format!(".kairos-control-{}-{n}", std::process::id()));
    std::fs::DirBuilder::new().mode(0o700).create(&staging)?;
    let tmp = staging.join("s");
    let bound = UnixListener::bind(&tmp).and_then(|l| {
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(SOCKET_MODE))?;
        std::fs::rename(&tmp, path)?;
        Ok(l)
    });
    let _ = std::fs::remove_file(&tmp);
    let _ = std::fs::remove_dir(&staging);
    bound
}

fn run(listener: UnixListener, mut side: SwapSide, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((conn, _)) => serve_connection(conn, &mut side),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(ACCEPT_POLL),
            Err(_) => std::thread::sleep(ACCEPT_POLL),
        }
    }
}

fn serve_connection(conn: UnixStream, side: &mut SwapSide) {
    if conn.set_nonblocking(false).is_err()
        || conn
            .set_read_timeout(Some(CONNECTION_READ_TIMEOUT))
            .is_err()
    {
        return;
    }
    let Ok(mut writer) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(conn);
    loop {
        let mut line = String::new();
        let n = match (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_line(&mut line)
        {
            Ok(n) => n,
            Err(_) => return,
        };
        if n == 0 {
            return;
        }
        let answer = if line.len() > MAX_LINE_BYTES {
            json!({"error": format!("request line over {MAX_LINE_BYTES} bytes")})
        } else {
            handle(line.trim_end(), side)
        };
        let mut text = answer.to_string();
        text.push('\n');
        if writer.write_all(text.as_bytes()).is_err() {
            return;
        }
        if line.len() > MAX_LINE_BYTES {
            return;
        }
    }
}

/// Parses a parameter value: a decimal string (`"0.5"`) or an integer, as
/// a count of 1e-8 units.
pub fn param_value(v: &Value) -> Result<i64, String> {
    match v {
        Value::String(s) => crate::num::Amount::parse(s)
            .map(|a| a.units())
            .map_err(|e| format!("`{s}` is not a decimal: {e}")),
        Value::Number(n) => n
            .as_i64()
            .and_then(|i| i.checked_mul(crate::num::SCALE))
            .ok_or_else(|| format!("{n}: write fractions as decimal strings, e.g. \"0.5\"")),
        other => Err(format!("{other} is not a decimal")),
    }
}

fn handle(line: &str, side: &mut SwapSide) -> Value {
    let req: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"error": format!("not a JSON object: {e}")}),
    };
    match req.get("cmd").and_then(Value::as_str) {
        Some("ping") => json!({"ok": true}),
        Some("swap") => swap(&req, side).unwrap_or_else(|e| json!({"error": e})),
        Some(other) => json!({"error": format!("unknown cmd `{other}` (known: ping, swap)")}),
        None => json!({"error": "missing string field `cmd`"}),
    }
}

fn swap(req: &Value, side: &mut SwapSide) -> Result<Value, String> {
    let slot_name = req
        .get("slot")
        .and_then(Value::as_str)
        .ok_or("swap: missing string field `slot`")?;
    let slot = Slot::parse(slot_name).ok_or_else(|| {
        format!("swap: unknown slot `{slot_name}` (regime, confidence, risk, strategy)")
    })?;
    let file = req
        .get("file")
        .and_then(Value::as_str)
        .ok_or("swap: missing string field `file`")?;
    let mut params = Vec::new();
    if let Some(p) = req.get("params") {
        let obj = p.as_object().ok_or("swap: `params` must be an object")?;
        for (k, v) in obj {
            params.push((
                k.clone(),
                param_value(v).map_err(|e| format!("param {k}: {e}"))?,
            ));
        }
    }
    let info = side.prepare(
        SwapRequest {
            slot,
            path: PathBuf::from(file),
            params,
        },
        PREPARE_TIMEOUT,
    )?;
    let base = json!({
        "slot": slot.name(),
        "name": info.name,
        "version": info.version,
        "imports": info.imports,
        "dry_run_candles": info.dry_run_candles,
    });
    let Some(o) = side.wait_outcome(info.id, SWAP_APPLY_TIMEOUT) else {
        let mut v = base;
        v["ok"] = json!(true);
        v["applied"] = json!(false);
        v["note"] = json!("prepared; it swaps in before the next event");
        return Ok(v);
    };
    if !o.ok {
        return Err(format!(
            "swap refused at handover: {}",
            o.detail.unwrap_or_default()
        ));
    }
    let mut v = base;
    v["ok"] = json!(true);
    v["applied"] = json!(true);
    v["pause_ns"] = json!(o.pause_ns);
    let (h, n) = match o.handover {
        Handover::State => ("state", 0),
        Handover::Warmup(n) => ("warmup", n),
        Handover::Fresh => ("fresh", 0),
    };
    v["handover"] = json!(h);
    v["warmup_candles"] = json!(n);
    if let Some(e) = o.detail {
        v["load_error"] = json!(e);
    }
    Ok(v)
}

/// Sends one request to the control socket at `path` and reads the answer.
pub fn request(path: &Path, req: &Value) -> Result<Value, String> {
    let mut conn = UnixStream::connect(path).map_err(|e| {
        format!(
            "cannot connect to the control socket {}: {e}",
            path.display()
        )
    })?;
    conn.set_read_timeout(Some(CLIENT_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let mut line = req.to_string();
    line.push('\n');
    conn.write_all(line.as_bytes())
        .map_err(|e| format!("writing to {}: {e}", path.display()))?;
    let mut answer = String::new();
    BufReader::new(conn)
        .take(MAX_LINE_BYTES as u64)
        .read_line(&mut answer)
        .map_err(|e| format!("reading from {}: {e}", path.display()))?;
    serde_json::from_str(answer.trim_end()).map_err(|e| {
        format!("the control socket answered something that is not JSON ({e}): {answer}")
    })
}
