//! `kairos sim` and `kairos record` as scripts use them: two processes, the
//! sim's first stdout line, the record report's contract fields, a clean
//! stop on SIGINT, and a replay of the recorded file.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

const KAIROS: &str = env!("CARGO_BIN_EXE_kairos");

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kairos-cli-live-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn record_from_sim_writes_a_replayable_capture_and_the_contract_report() {
    let dir = tmp("rec");
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ticks/hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz");
    let cert = dir.join("sim.pem");
    let mut sim = Command::new(KAIROS)
        .args([
            "sim",
            "--format",
            "hftbacktest",
            "--listen",
            "127.0.0.1:0",
            "--speed",
            "10",
        ])
        .args([
            "--loop",
            "--tls",
            "--disconnect-after",
            "700",
            "--duration",
            "30",
        ])
        .arg("--capture")
        .arg(&fixture)
        .arg("--cert-out")
        .arg(&cert)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(sim.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let rest_of = |key: &str| {
        first
            .split(' ')
            .find_map(|p| p.strip_prefix(key))
            .unwrap_or_else(|| panic!("{key} in {first:?}"))
            .to_string()
    };
    assert!(
        first.starts_with("listening ws=wss://127.0.0.1:"),
        "{first}"
    );
    let (ws, rest) = (rest_of("ws="), rest_of("rest="));
    assert_eq!(
        lines.next().unwrap().unwrap(),
        format!("cert={}", cert.display())
    );

    let out = dir.join("btc.kcap");
    let report = dir.join("report");
    let mut rec = Command::new(KAIROS)
        .args([
            "record",
            "--endpoint",
            &ws,
            "--rest",
            &rest,
            "--symbols",
            "btcusdt",
        ])
        .args([
            "--streams",
            "depth@100ms,bookTicker,trade",
            "--backoff-base-ms",
            "10",
        ])
        .args(["--snapshot-limit", "100"])
        .arg("--root-cert")
        .arg(&cert)
        .arg("--out")
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Long enough for the sim to force a few disconnects; then Ctrl-C.
    std::thread::sleep(Duration::from_secs(6));
    let pid = rec.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let status = rec.wait().unwrap();
    let _ = sim.kill();
    let _ = sim.wait();
    assert!(status.success(), "{status:?}");

    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    for key in [
        "events",
        "reconnects",
        "resyncs",
        "malformed",
        "stale_decisions",
    ] {
        assert!(j[key].is_u64(), "{key}: {}", j[key]);
    }
    assert!(j["data_gap_ms"]["p50"].is_u64() && j["data_gap_ms"]["max"].is_u64());
    assert!(j["events"].as_u64().unwrap() > 1000, "{j}");
    assert!(j["reconnects"].as_u64().unwrap() >= 1, "{j}");
    assert!(j["resyncs"].as_u64().unwrap() >= 1, "{j}");
    assert_eq!(j["stale_decisions"], 0);
    assert_eq!(j["malformed"], 0);
    assert_eq!(j["records_dropped"], 0);
    assert!(report.join("report.md").is_file() && report.join("latency.svg").is_file());

    // The recorded file replays: its snapshots sync the book again, and the
    // book agrees with the recorded bookTickers.
    let replay = Command::new(KAIROS)
        .args(["replay", "--input"])
        .arg(&out)
        .arg("--report")
        .arg(dir.join("replay"))
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("replay/report.json")).unwrap())
            .unwrap();
    // Every recorded frame and snapshot is there (the replay's events also
    // count the connect/disconnect records).
    let k = &r["by_kind"];
    let frames: u64 = ["bookTicker", "trade", "depthUpdate", "other", "malformed"]
        .iter()
        .map(|n| k[*n].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(Some(frames), j["events"].as_u64(), "{k}");
    assert_eq!(k["snapshot"], j["snapshots"]["applied"], "{k}");
    let b = &r["book"]["BTCUSDT"];
    assert!(
        b["applied"].as_u64().unwrap() > 0 && b["mismatches"] == 0,
        "{b}"
    );
}
