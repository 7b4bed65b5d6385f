//! `kairos replay --input FILE… [--format native|hftbacktest|cryptofeed]
//! --report DIR`: drives captures through the hot path and writes the
//! latency and book-oracle report (`report.json`, `report.md`,
//! `latency.svg`).

use crate::drive::replay::{
    display_name, replay, replay_with, ReplayFormat, ReplayOptions, ReplayOutcome,
};
use crate::engine::{Kind, KINDS};
use crate::plugins::chain::PluginChain;
use crate::plugins::Slot;
use crate::report::latency::PERCENTILES;
use crate::report::svg::{percentile_chart, Series};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Runs the subcommand. With `plugins` (a config file with a `[plugins]`
/// section) the decision stage is that plugin chain: the `decision` stage's
/// latency is then the plugin stage's, and `report.json` gains a `plugins`
/// object (per-slot calls and time, faults).
pub fn run(
    inputs: &[PathBuf],
    format: ReplayFormat,
    report: Option<&Path>,
    plugins: Option<&Path>,
) -> ExitCode {
    let opts = ReplayOptions::default();
    let result = match plugins {
        None => replay(format, inputs, &opts).map(|o| (o, None)),
        Some(cfg_path) => {
            let factory = match crate::config::KairosConfig::load(cfg_path)
                .map_err(|e| e.to_string())
                .and_then(|c| {
                    c.plugins
                        .ok_or_else(|| format!("{}: no [plugins] section", cfg_path.display()))
                })
                .and_then(|p| crate::plugins::ChainFactory::new(&p))
            {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("kairos replay: --plugins: {e}");
                    return ExitCode::from(2);
                }
            };
            let mut failed = None;
            let r = replay_with(format, inputs, &opts, || {
                factory.make(None).unwrap_or_else(|e| {
                    failed = Some(e);
                    PluginChain::new(None, crate::plugins::SafeMode::NoNewOrders)
                })
            });
            if let Some(e) = failed {
                eprintln!("kairos replay: --plugins: {e}");
                return ExitCode::from(2);
            }
            r.map(|(o, chain)| (o, Some(chain)))
        }
    };
    let (out, chain) = match result {
        Ok(o) => o,
        Err(e) => {
            eprintln!("kairos replay: {e}");
            return ExitCode::from(2);
        }
    };
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let mut json = report_json(&out, &command);
    if let Some(c) = &chain {
        json["plugins"] = plugins_json(c);
    }
    let mut md = report_markdown(&out, &json, &command);
    if let Some(c) = &chain {
        md.push_str(&plugins_markdown(c));
    }
    // A closed stdout (`| head`) is not an error of the replay.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(summary(&out).as_bytes());
    if let Some(dir) = report {
        let series: Vec<(&str, Vec<(f64, u64)>)> =
            out.stages.iter().map(|s| (s.name, s.curve())).collect();
        let lines: Vec<Series<'_>> = series
            .iter()
            .map(|(name, points)| Series { name, points })
            .collect();
        let title = format!(
            "kairos replay: latency per stage ({} events, {})",
            out.events,
            out.format.name()
        );
        let svg = percentile_chart(&title, &lines);
        if let Err(e) = crate::report::write(dir, &json, &md, &[("latency.svg", svg)]) {
            eprintln!(
                "kairos replay: writing the report to {}: {e}",
                dir.display()
            );
            return ExitCode::from(2);
        }
        let _ = writeln!(stdout, "report: {}", dir.display());
    }
    if out.engine.by_kind[Kind::Malformed as usize] > 0
        || out
            .inputs
            .iter()
            .any(|i| i.tail.is_some() || i.malformed_lines > 0)
    {
        // The replay ran; the input had problems, which the report names.
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// The `plugins` object of `report.json`: per slot the loaded plugin and
/// its call timing (ns, the latency pass), and the chain's counters.
pub fn plugins_json(c: &PluginChain) -> Value {
    let mut slots = Map::new();
    for slot in Slot::ALL {
        let Some(p) = c.plugin(slot) else {
            continue;
        };
        let t = c.timing(slot);
        slots.insert(
            slot.name().into(),
            json!({
                "name": p.info().name,
                "version": p.info().version,
                "calls": t.calls,
                "total_ns": t.total_ns,
                "mean_ns": t.total_ns / t.calls.max(1),
                "max_ns": t.max_ns,
                "max_fuel": t.max_fuel,
                "disabled": c.is_disabled(slot),
            }),
        );
    }
    let s = c.stats();
    json!({
        "slots": slots,
        "symbol": c.symbol().map(|s| s.as_str().to_string()),
        "books": s.books,
        "book_changes": s.book_changes,
        "trades": s.trades,
        "candles": s.candles,
        "fills": s.fills,
        "intents": s.intents,
        "cancel_all": s.cancel_all,
        "invalid_intents": s.invalid_intents,
        "entries_refused": s.entries_refused,
        "foreign_symbol_events": s.foreign_symbol,
        "faults": s.faults,
        "alarm": s.alarm,
        "last_fault": s.last_fault,
    })
}

fn plugins_markdown(c: &PluginChain) -> String {
    let mut s = String::from(
        "\n## Plugins\n\n| slot | plugin | calls | mean ns | max ns |\n|---|---|---|---|---|\n",
    );
    for slot in Slot::ALL {
        if let Some(p) = c.plugin(slot) {
            let t = c.timing(slot);
            let _ = writeln!(
                s,
                "| {slot} | {} {} | {} | {} | {} |",
                p.info().name,
                p.info().version,
                t.calls,
                t.total_ns / t.calls.max(1),
                t.max_ns
            );
        }
    }
    let st = c.stats();
    let _ = writeln!(
        s,
        "\nThe chain serves one symbol ({}); {} events of other symbols were ignored. Faults: {}{}.",
        c.symbol().map(|s| s.as_str().to_string()).unwrap_or_else(|| "none seen".into()),
        st.foreign_symbol,
        st.faults,
        st.last_fault
            .as_ref()
            .map(|f| format!(" (last: {f})"))
            .unwrap_or_default()
    );
    s
}

fn level(l: Option<crate::binance::fast::Level>) -> Value {
    match l {
        Some(l) => json!({"price": l.price, "qty": l.qty}),
        None => Value::Null,
    }
}

/// The `report.json` of the report contract.
pub fn report_json(o: &ReplayOutcome, command: &str) -> Value {
    let mut by_kind = Map::new();
    for k in Kind::ALL.iter().take(KINDS) {
        let n = o.engine.by_kind[*k as usize];
        if n > 0 || *k != Kind::Other {
            by_kind.insert(k.name().into(), n.into());
        }
    }
    let mut latency = Map::new();
    for s in &o.stages {
        latency.insert(s.name.into(), s.summary());
    }
    for (key, hs) in [
        ("tick_to_decision_by_kind", &o.tick_to_decision_by_kind),
        ("event_by_kind", &o.event_by_kind),
    ] {
        let mut by_kind = Map::new();
        for h in hs.iter().filter(|h| h.count() > 0) {
            by_kind.insert(h.name.into(), h.summary());
        }
        latency.insert(key.into(), Value::Object(by_kind));
    }
    let mut book = Map::new();
    for s in &o.symbols {
        book.insert(
            s.symbol.as_str().into(),
            json!({
                "applied": s.book.applied,
                "dropped_stale": s.book.dropped_stale,
                "gaps": s.book.gaps,
                "resyncs": s.book.resyncs,
                "crossed": s.book.crossed,
                "checked": s.oracle.checked,
                "mismatches": s.oracle.mismatches,
                "last_update_id": s.last_update_id,
                "best_bid": level(s.best_bid),
                "best_ask": level(s.best_ask),
                "synced": s.live,
                "ever_synced": s.ever_synced,
                "buffered": s.book.buffered,
                "buffer_overflows": s.book.buffer_overflows,
                "levels_dropped_beyond_bound": s.book.levels_dropped_beyond_bound,
                "window_reanchors": s.book.window_reanchors,
                "tick_regrids": s.book.tick_regrids,
            }),
        );
    }
    let inputs: Vec<Value> = o
        .inputs
        .iter()
        .map(|i| {
            json!({
                "file": display_name(&i.path),
                "records": i.records,
                "bytes": i.bytes,
                "malformed_lines": i.malformed_lines,
                "malformed_examples": i.examples.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
                "torn_tail": i.tail.as_ref().map(|t| t.to_string()),
            })
        })
        .collect();
    json!({
        "command": command,
        "format": o.format.name(),
        "inputs": inputs,
        "machine": crate::report::machine(),
        "events": o.events,
        "bytes": o.bytes,
        "wall_s": o.wall_s,
        "throughput_pass_s": o.pass_s,
        "events_per_s_best": o.pass_s.iter().copied().reduce(f64::min).map(|t| o.events as f64 / t),
        "events_per_s": if o.wall_s > 0.0 { o.events as f64 / o.wall_s } else { 0.0 },
        "bytes_per_s": if o.wall_s > 0.0 { o.bytes as f64 / o.wall_s } else { 0.0 },
        "load_s": o.load_s,
        "latency_pass_s": o.latency_pass_s,
        "by_kind": by_kind,
        "latency_ns": latency,
        "book": book,
        "errors": {
            "malformed": o.engine.by_kind[Kind::Malformed as usize],
            "malformed_lines": o.inputs.iter().map(|i| i.malformed_lines).sum::<u64>(),
            "torn_tails": o.inputs.iter().filter(|i| i.tail.is_some()).count(),
            "last": o.engine.last_error.map(|e| e.to_string()),
        },
        "allocations_per_event": o.allocations_per_event,
        "allocation_count": {"events": o.alloc_events, "allocations": o.allocations},
        "decisions": o.engine.decisions,
        "stale_decisions": o.engine.stale_decisions,
        "skipped_not_live": o.engine.skipped_not_live,
        "snapshot_requests": o.snapshot_requests,
        "passes_agree": o.passes_agree,
        "tsc_ticks_per_s": o.ticks_per_s,
    })
}

fn summary(o: &ReplayOutcome) -> String {
    let mut s = String::new();
    let eps = if o.wall_s > 0.0 {
        o.events as f64 / o.wall_s
    } else {
        0.0
    };
    let _ = writeln!(
        s,
        "replayed {} events ({} bytes) in {:.3} s: {:.2} M events/s",
        o.events,
        o.bytes,
        o.wall_s,
        eps / 1e6
    );
    for st in o
        .stages
        .iter()
        .chain(o.tick_to_decision_by_kind.iter().filter(|h| h.count() > 0))
    {
        let _ = writeln!(
            s,
            "  {:<17} n={:<9} p50={}ns p99={}ns p99.9={}ns max={}ns",
            st.name,
            st.count(),
            st.quantile(0.5),
            st.quantile(0.99),
            st.quantile(0.999),
            st.max()
        );
    }
    for sym in &o.symbols {
        let _ = writeln!(
            s,
            "  {}: applied={} gaps={} resyncs={} crossed={} checked={} mismatches={}{}",
            sym.symbol,
            sym.book.applied,
            sym.book.gaps,
            sym.book.resyncs,
            sym.book.crossed,
            sym.oracle.checked,
            sym.oracle.mismatches,
            if sym.ever_synced {
                ""
            } else {
                "  (book never synced: no usable snapshot)"
            }
        );
    }
    for i in &o.inputs {
        if let Some(t) = &i.tail {
            let _ = writeln!(s, "  {}: {t}", display_name(&i.path));
        }
        if i.malformed_lines > 0 {
            let _ = writeln!(
                s,
                "  {}: {} malformed lines",
                display_name(&i.path),
                i.malformed_lines
            );
        }
    }
    s
}

/// The human summary (`report.md`).
pub fn report_markdown(o: &ReplayOutcome, j: &Value, command: &str) -> String {
    let mut s = String::new();
    let m = &j["machine"];
    let _ = writeln!(s, "# kairos replay report\n");
    let _ = writeln!(s, "- command: `{command}`");
    let _ = writeln!(
        s,
        "- machine: {} ({} cores visible, {} {})",
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"],
        m["os"].as_str().unwrap_or("?"),
        m["arch"].as_str().unwrap_or("?")
    );
    let _ = writeln!(s, "- format: {}", o.format.name());
    for i in &o.inputs {
        let _ = writeln!(
            s,
            "- input: `{}` ({} records, {} bytes{}{})",
            display_name(&i.path),
            i.records,
            i.bytes,
            if i.malformed_lines > 0 {
                format!(", {} malformed lines", i.malformed_lines)
            } else {
                String::new()
            },
            i.tail
                .as_ref()
                .map(|t| format!(", torn tail: {t}"))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(s, "\n## Throughput\n");
    let _ = writeln!(
        s,
        "{} events, {} bytes in {:.4} s (the median of {} uninstrumented passes, each through a fresh engine): **{:.2} M events/s**, {:.0} MB/s; best pass {:.2} M events/s.",
        o.events,
        o.bytes,
        o.wall_s,
        o.pass_s.len(),
        j["events_per_s"].as_f64().unwrap_or(0.0) / 1e6,
        j["bytes_per_s"].as_f64().unwrap_or(0.0) / 1e6,
        j["events_per_s_best"].as_f64().unwrap_or(0.0) / 1e6
    );
    if o.load_s > 0.0 {
        let _ = writeln!(
            s,
            "Loading before the passes (import and decompression, or the CRC check of a native file; not timed above): {:.3} s.",
            o.load_s
        );
    }
    let _ = writeln!(s, "\n## Latency per stage (ns, instrumented pass)\n");
    let _ = writeln!(s, "| stage | count | p50 | p90 | p99 | p99.9 | max |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for st in &o.stages {
        let _ = write!(s, "| {} | {} ", st.name, st.count());
        for (_, q) in PERCENTILES {
            let _ = write!(s, "| {} ", st.quantile(q));
        }
        let _ = writeln!(s, "| {} |", st.max());
    }
    for (what, hs) in [
        ("`tick_to_decision`", &o.tick_to_decision_by_kind),
        ("`event` (the whole event)", &o.event_by_kind),
    ] {
        let _ = writeln!(s, "\n{what} by message kind:\n");
        let _ = writeln!(s, "| kind | count | p50 | p90 | p99 | p99.9 | max |");
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        for st in hs.iter().filter(|h| h.count() > 0) {
            let _ = write!(s, "| {} | {} ", st.name, st.count());
            for (_, q) in PERCENTILES {
                let _ = write!(s, "| {} ", st.quantile(q));
            }
            let _ = writeln!(s, "| {} |", st.max());
        }
    }
    let _ = writeln!(
        s,
        "\nStage times come from the CPU time-stamp counter ({:.0} MHz, calibrated against the monotonic clock); `tick_to_decision` runs from the first byte of parsing to the end of the decision stage (a no-op strategy for now) and is recorded only for events that reach a decision (a live book). A depth event's `book` stage sets only the levels that can change the top of book; the decision then sees the event's final best bid and ask, and `book_rest` sets the deeper levels after it. `event` runs from the first byte of parsing to the end of the event's last stage (every event that was parsed). Plot: `latency.svg`.",
        o.ticks_per_s / 1e6
    );
    let _ = writeln!(s, "\n## Messages\n");
    let _ = writeln!(s, "| kind | count |\n|---|---|");
    if let Some(k) = j["by_kind"].as_object() {
        for (name, n) in k {
            let _ = writeln!(s, "| {name} | {n} |");
        }
    }
    let _ = writeln!(s, "\n## Books and the bookTicker oracle\n");
    let _ = writeln!(
        s,
        "`checked`: bookTickers whose update id equals the book's after an applied depth event; `mismatches`: those whose best bid/ask (price and quantity) differ.\n"
    );
    let _ = writeln!(
        s,
        "| symbol | applied | dropped stale | gaps | resyncs | crossed | checked | mismatches | last update id | best bid | best ask |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|");
    for sym in &o.symbols {
        let lvl = |l: Option<crate::binance::fast::Level>| {
            l.map(|l| format!("{} × {}", l.price, l.qty))
                .unwrap_or_else(|| "–".into())
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            sym.symbol,
            sym.book.applied,
            sym.book.dropped_stale,
            sym.book.gaps,
            sym.book.resyncs,
            sym.book.crossed,
            sym.oracle.checked,
            sym.oracle.mismatches,
            sym.last_update_id
                .map(|u| u.to_string())
                .unwrap_or_else(|| "–".into()),
            lvl(sym.best_bid),
            lvl(sym.best_ask)
        );
    }
    for sym in o.symbols.iter().filter(|s| !s.ever_synced) {
        let _ = writeln!(
            s,
            "\n**{}: the book never synced.** The input holds no usable REST snapshot for it, so no depth event was applied and no decision was taken on it.",
            sym.symbol
        );
    }
    let _ = writeln!(s, "\n## Checks\n");
    let _ = writeln!(
        s,
        "- malformed frames: {}; decisions: {}; decisions on a stale book: {}; events skipped because the book was not live: {}",
        o.engine.by_kind[Kind::Malformed as usize],
        o.engine.decisions,
        o.engine.stale_decisions,
        o.engine.skipped_not_live
    );
    match o.allocations_per_event {
        Some(a) => {
            let _ = writeln!(
                s,
                "- allocations per event after the first {} events: {a} ({} allocations over {} events)",
                o.alloc_warmup_events,
                o.allocations,
                o.alloc_events
            );
        }
        None => {
            let _ = writeln!(
                s,
                "- allocations per event: not measured (counting allocator not installed)"
            );
        }
    }
    let _ = writeln!(
        s,
        "- both passes ended with identical books and oracle counts: {}",
        o.passes_agree
    );
    s
}
