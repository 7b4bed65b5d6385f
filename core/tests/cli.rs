//! The `kairos` binary from outside, as scripts use it: `decode` exit codes
//! and output, `convert` then `replay --report` with every field of the
//! report contract (ARCHITECTURE.md) present.

use std::path::PathBuf;
use std::process::{Command, Stdio};

const KAIROS: &str = env!("CARGO_BIN_EXE_kairos");
const TICKS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ticks/");

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kairos-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn decode_prints_one_json_line_per_message_and_exits_by_outcome() {
    let fixture = format!("{TICKS}hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz");
    let out = Command::new(KAIROS)
        .args(["decode", &fixture])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3000);
    let count = |k: &str| lines.iter().filter(|v| v["kind"] == k).count();
    assert_eq!(
        (
            count("bookTicker"),
            count("trade"),
            count("depthUpdate"),
            count("partialDepth")
        ),
        (2200, 518, 281, 1)
    );
    // Decimals come back exactly, with eight places.
    assert_eq!(lines[2]["bid_price"], "61837.63000000");

    let mut child = Command::new(KAIROS)
        .args(["decode", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().unwrap();
        writeln!(stdin, r#"{{"e":"trade","E":1,"s":"BNBBTC","t":1,"p":"0.001","q":"100","T":1,"m":true,"M":true}}"#).unwrap();
        writeln!(stdin, r#"{{"e":"trade","p":"1e-5"}}"#).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let v: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v[0]["kind"], "trade");
    assert_eq!(v[1]["line"], 2);
    assert!(v[1]["error"].as_str().unwrap().contains("exponent"));
}

#[test]
fn convert_then_replay_writes_every_field_of_the_report_contract() {
    let fixture = format!("{TICKS}hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz");
    let kcap = tmp("fixture.kcap");
    let out = Command::new(KAIROS)
        .args(["convert", "--from", "hftbacktest", &fixture, "--out"])
        .arg(&kcap)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tmp("report");
    let out = Command::new(KAIROS)
        .args(["replay", "--input"])
        .arg(&kcap)
        .arg("--report")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    for field in [
        "events",
        "bytes",
        "wall_s",
        "events_per_s",
        "by_kind",
        "allocations_per_event",
    ] {
        assert!(!j[field].is_null(), "report.json lacks {field}");
    }
    for stage in ["parse", "book", "decision", "tick_to_decision"] {
        for q in ["count", "p50", "p90", "p99", "p999", "max"] {
            assert!(j["latency_ns"][stage][q].is_u64(), "latency_ns.{stage}.{q}");
        }
    }
    let b = &j["book"]["BTCUSDT"];
    for f in [
        "applied",
        "dropped_stale",
        "gaps",
        "resyncs",
        "crossed",
        "checked",
        "mismatches",
        "last_update_id",
        "best_bid",
        "best_ask",
    ] {
        assert!(!b[f].is_null(), "book.BTCUSDT.{f}");
    }
    assert_eq!(
        (
            b["applied"].as_u64(),
            b["checked"].as_u64(),
            b["mismatches"].as_u64()
        ),
        (Some(279), Some(43), Some(0))
    );
    assert_eq!(j["errors"]["malformed"], 0);
    assert_eq!(j["events"], 3000);
    assert_eq!(j["allocations_per_event"], 0.0);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("| BTCUSDT | 279 |"), "{md}");
    let svg = std::fs::read_to_string(dir.join("latency.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("tick_to_decision"));
}

#[test]
fn replay_of_a_missing_file_names_it_and_exits_2() {
    let out = Command::new(KAIROS)
        .args(["replay", "--input", "/nonexistent/x.kcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.kcap"));
}
