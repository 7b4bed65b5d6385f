//! Helpers shared by the live-feed tests.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A TCP proxy on 127.0.0.1 that forwards each direction in pieces of at
/// most `piece` bytes with a short pause between them, so the client sees
/// frames (and TLS records) arrive a few bytes at a time.
pub struct Dribble {
    /// The proxy's port.
    pub port: u16,
    /// Pieces forwarded server → client.
    pub pieces: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Dribble {
    /// Proxies to `upstream` (host:port).
    pub fn start(upstream: String, piece: usize) -> Dribble {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let pieces = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p2, s2) = (pieces.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if s2.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (c2, s3) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let p3 = p2.clone();
                std::thread::spawn(move || pump(server, c2, piece, Some(p3)));
                std::thread::spawn(move || pump(client, s3, piece, None));
            }
        });
        Dribble { port, pieces, stop }
    }
}

impl Drop for Dribble {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, piece: usize, count: Option<Arc<AtomicU64>>) {
    let mut buf = vec![0u8; 65536];
    let mut n_piece = 0usize;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut at = 0;
        while at < n {
            // Vary the piece size 1..=piece so frame boundaries fall anywhere.
            n_piece += 1;
            let len = (1 + n_piece % piece).min(n - at);
            if to.write_all(&buf[at..at + len]).is_err() {
                return;
            }
            at += len;
            if let Some(c) = &count {
                c.fetch_add(1, Ordering::Relaxed);
            }
            if n_piece % 16 == 0 {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Starts `tools/ws_interop_server.py` on `fixture`; returns the child and
/// its `(ws, rest)` URLs, or `None` (after saying SKIPPED) when python3 with
/// `websockets` is missing and `KAIROS_REQUIRE_INTEROP` is not `1`.
pub fn python_server(fixture: &str, seconds: u32) -> Option<(std::process::Child, String, String)> {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let ok = Command::new("python3")
        .args(["-c", "import websockets.asyncio.server"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("KAIROS_REQUIRE_INTEROP").as_deref() == Ok("1") {
            panic!("python3 with the `websockets` package is required (KAIROS_REQUIRE_INTEROP=1)");
        }
        eprintln!("SKIPPED: python3 -c 'import websockets' failed; `pip install websockets` to run this test");
        return None;
    }
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut child = Command::new("python3")
        .arg(repo.join("tools/ws_interop_server.py"))
        .arg(repo.join(fixture))
        .arg(seconds.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let mut parts = first
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .split(' ');
    let ws = parts
        .next()
        .unwrap()
        .strip_prefix("ws=")
        .unwrap()
        .to_string();
    let rest = parts
        .next()
        .unwrap()
        .strip_prefix("rest=")
        .unwrap()
        .to_string();
    Some((child, ws, rest))
}
