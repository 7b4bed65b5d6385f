//! Reports: `DIR/report.json` (machine-readable, the fields of
//! ARCHITECTURE.md's report contract), `DIR/report.md` (a human summary) and
//! SVG plots.

pub mod latency;
pub mod svg;

use std::io;
use std::path::Path;

/// A short description of this machine: CPU model, cores, OS.
pub fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    serde_json::json!({
        "cpu": model,
        "cores": cores,
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
    })
}

/// Writes `report.json`, `report.md` and the named SVG files into `dir`
/// (created if missing).
pub fn write(
    dir: &Path,
    json: &serde_json::Value,
    markdown: &str,
    svgs: &[(&str, String)],
) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut text = serde_json::to_string_pretty(json).map_err(io::Error::other)?;
    text.push('\n');
    std::fs::write(dir.join("report.json"), text)?;
    std::fs::write(dir.join("report.md"), markdown)?;
    for (name, svg) in svgs {
        std::fs::write(dir.join(name), svg)?;
    }
    Ok(())
}
