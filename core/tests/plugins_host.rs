//! The plugin host against a real component: `plugins/faulty` (strategy
//! world; its `mode` parameter makes it behave, loop, trap, grab memory or
//! refuse its state), built to `target/plugins/faulty.wasm` by
//! `tools/build-plugins.sh`.

#[global_allocator]
static ALLOC: kairos_core::alloc_count::CountingAlloc = kairos_core::alloc_count::CountingAlloc;

use kairos_core::binance::fast::{Level, Symbol};
use kairos_core::book::BookConfig;
use kairos_core::engine::{Action, Actions, Decide, Engine, Event, Input, MarketView, NoProbe};
use kairos_core::indicators::candle::{Candle, Timeframe};
use kairos_core::num::{Price, Qty, Wide};
use kairos_core::plugins::chain::{Handover, PluginChain, WARMUP_CANDLES};
use kairos_core::plugins::host::{Plugin, PluginHost};
use kairos_core::plugins::swap::{self, SwapRequest};
use kairos_core::plugins::{control, plugins_dir, Budgets, SafeMode, Slot};
use std::path::PathBuf;
use std::time::Duration;

const ONE: i64 = 100_000_000;

fn wasm(name: &str) -> PathBuf {
    let p = plugins_dir().join(format!("{name}.wasm"));
    assert!(
        p.exists(),
        "{} is missing: run tools/build-plugins.sh (it builds every crate under plugins/ to \
         target/plugins/NAME.wasm)",
        p.display()
    );
    p
}

fn sym() -> Symbol {
    Symbol::new(b"BTCUSDT").unwrap()
}

fn host(memory: u64) -> PluginHost {
    PluginHost::new(Budgets {
        fuel_per_call: 2_000_000,
        memory_limit_bytes: memory,
    })
    .unwrap()
}

/// faulty with `mode` and `qty` (whole units).
fn faulty(h: &PluginHost, mode: i64, qty: i64) -> Plugin {
    h.load(
        &wasm("faulty"),
        Slot::Strategy,
        &[("mode".into(), mode * ONE), ("qty".into(), qty * ONE)],
    )
    .unwrap()
}

fn minute(i: i64) -> Candle {
    let close = 100 + (i % 17) - (i % 5);
    let p = |x: i64| Price::from_int(x).unwrap();
    Candle::new(
        i * 60_000,
        Timeframe::M1,
        p(close),
        p(close + 1),
        p(close - 1),
        p(close),
        Wide::from_int(10).unwrap(),
    )
    .unwrap()
}

/// The intents of one candle, as (qty in whole units, tag).
fn feed(e: &mut Engine<PluginChain>, i: i64) -> Vec<(i64, u32)> {
    let mut out = Actions::new();
    let input = Input {
        now_ns: (i as u64 + 1) * 60_000_000_000,
        event: Event::Candle {
            symbol: sym(),
            candle: minute(i),
        },
    };
    e.on_input(&input, &mut out, &mut NoProbe);
    out.drain()
        .filter_map(|a| match a {
            Action::Intent(o) => Some((o.qty.units() / ONE, o.tag)),
            _ => None,
        })
        .collect()
}

fn engine(chain: PluginChain) -> Engine<PluginChain> {
    Engine::new(chain, BookConfig::default())
}

#[test]
fn plugins_infinite_loop_is_stopped_by_fuel_and_the_engine_keeps_processing() {
    let h = host(64 << 20);
    let mut chain = PluginChain::new(Some(sym()), SafeMode::NoNewOrders);
    chain.set(faulty(&h, 1, 1));
    let mut e = engine(chain);
    let mut intents = 0;
    for i in 0..30 {
        intents += feed(&mut e, i).len();
    }
    let c = e.decide();
    assert_eq!(
        e.stats().candle_decisions,
        30,
        "every candle reached the chain"
    );
    assert_eq!(c.stats().candles, 30);
    assert_eq!(intents, 0);
    assert_eq!(c.stats().faults, 1, "stopped once, then never called again");
    assert_eq!(c.stats().faults_by_kind[0], 1, "a fuel fault");
    assert!(c.stats().alarm);
    let msg = c.stats().last_fault.clone().unwrap();
    assert!(
        msg.contains("strategy plugin faulty") && msg.contains("fuel"),
        "{msg}"
    );
    assert!(c.is_disabled(Slot::Strategy));
    assert!(c.entries_blocked());
    // The budget was the configured one: the loop used all of it.
    assert_eq!(c.timing(Slot::Strategy).max_fuel, 2_000_000);
}

#[test]
fn plugins_trap_and_memory_grab_are_disabled_under_both_safe_modes() {
    // mode 2 traps (a panic), mode 3 grabs memory past a 16 MiB cap.
    for (mode, kind_index, word) in [(2, 2usize, "trap"), (3, 1usize, "memory")] {
        for safe in [SafeMode::Previous, SafeMode::NoNewOrders] {
            let h = host(16 << 20);
            let mut chain = PluginChain::new(Some(sym()), safe);
            chain.set(faulty(&h, 0, 1)); // the previous version
            chain.set(faulty(&h, mode, 2)); // the faulty current one
            let mut e = engine(chain);
            let mut got = Vec::new();
            for i in 0..10 {
                got.extend(feed(&mut e, i));
            }
            let c = e.decide();
            let what = format!("mode {mode} {safe:?}");
            assert_eq!(e.stats().candle_decisions, 10, "{what}");
            assert_eq!(c.stats().faults, 1, "{what}");
            assert_eq!(c.stats().faults_by_kind[kind_index], 1, "{what}");
            assert!(c.stats().alarm, "{what}");
            let msg = c.stats().last_fault.clone().unwrap();
            assert!(msg.contains(word), "{what}: {msg}");
            match safe {
                SafeMode::Previous => {
                    // The previous version took over on the faulting candle
                    // itself: one intent per candle, its quantity, its tags.
                    let want: Vec<(i64, u32)> = (1..=10).map(|t| (1, t)).collect();
                    assert_eq!(got, want, "{what}");
                    assert_eq!(c.stats().slots[Slot::Strategy as usize].fallbacks, 1);
                    assert!(!c.is_disabled(Slot::Strategy) && !c.entries_blocked());
                }
                SafeMode::NoNewOrders => {
                    assert!(got.is_empty(), "{what}: {got:?}");
                    assert!(c.is_disabled(Slot::Strategy) && c.entries_blocked());
                }
            }
        }
    }
}

#[test]
fn plugins_previous_mode_without_a_previous_version_disables_the_slot() {
    let h = host(64 << 20);
    let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
    chain.set(faulty(&h, 2, 1));
    let mut e = engine(chain);
    for i in 0..5 {
        assert!(feed(&mut e, i).is_empty());
    }
    assert!(e.decide().is_disabled(Slot::Strategy));
    assert_eq!(e.decide().stats().faults, 1);
    assert_eq!(e.stats().candle_decisions, 5);
}

#[test]
fn plugins_swap_mid_replay_drops_no_event_and_equals_a_run_started_with_the_new_plugin() {
    const N: i64 = 200;
    const K: i64 = 120;
    let h = host(64 << 20);
    // Run A: the old version (qty 1) until candle K, then a swap to the new
    // version (qty 2) through the real path: plugin-compile thread, ring,
    // swap between two events.
    let (port, mut side) = swap::start(h.clone()).unwrap();
    let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
    chain.set(faulty(&h, 0, 1));
    chain.attach(port);
    let mut a = engine(chain);
    let mut out_a = Vec::new();
    let mut handed_state = Vec::new();
    for i in 0..N {
        if i == K {
            // What the old version will hand over (save-state has no side
            // effect in faulty).
            handed_state = a
                .decide_mut()
                .plugin_mut(Slot::Strategy)
                .unwrap()
                .save_state()
                .unwrap();
            let info = side
                .prepare(
                    SwapRequest {
                        slot: Slot::Strategy,
                        path: wasm("faulty"),
                        params: vec![("qty".into(), 2 * ONE)],
                    },
                    Duration::from_secs(60),
                )
                .unwrap();
            assert_eq!(info.name, "faulty");
            assert!(info.dry_run_candles > 0);
        }
        out_a.push(feed(&mut a, i));
    }
    let o = side.wait_outcome(1, Duration::from_secs(5)).unwrap();
    assert!(o.ok, "{o:?}");
    assert_eq!(o.handover, Handover::State);
    assert!(o.pause_ns > 0);
    let c = a.decide();
    assert_eq!(a.stats().candle_decisions, N as u64, "no event dropped");
    assert_eq!(c.stats().candles, N as u64);
    assert_eq!(c.stats().slots[Slot::Strategy as usize].swaps, 1);
    assert_eq!(
        c.stats().slots[Slot::Strategy as usize].last_swap_pause_ns,
        o.pause_ns
    );
    assert!(
        c.previous(Slot::Strategy).is_some(),
        "the old version is kept loaded"
    );
    // Before K: the old version; from K: the new one, continuing the count.
    for (i, got) in out_a.iter().enumerate() {
        let qty = if (i as i64) < K { 1 } else { 2 };
        assert_eq!(got, &vec![(qty, i as u32 + 1)], "candle {i}");
    }

    // Run B: the same candles; no strategy until K, then the new version
    // started with the handed-over state.
    let mut b = engine(PluginChain::new(Some(sym()), SafeMode::Previous));
    let mut out_b = Vec::new();
    for i in 0..N {
        if i == K {
            let mut p = faulty(&h, 0, 2);
            p.load_state(&handed_state).unwrap().unwrap();
            b.decide_mut().set(p);
        }
        out_b.push(feed(&mut b, i));
    }
    assert_eq!(out_a[K as usize..], out_b[K as usize..]);
    assert!(out_b[..K as usize].iter().all(|v| v.is_empty()));
}

#[test]
fn plugins_load_state_refusal_warms_the_new_plugin_up_on_recent_candles() {
    let h = host(64 << 20);
    let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
    chain.set(faulty(&h, 0, 1));
    let mut e = engine(chain);
    for i in 0..100 {
        feed(&mut e, i);
    }
    // mode 4 refuses every state: it must replay the recorded candles.
    let r = e.decide_mut().install(faulty(&h, 4, 3)).unwrap();
    assert_eq!(r.handover, Handover::Warmup(WARMUP_CANDLES as u32));
    assert!(r.load_error.unwrap().contains("refuses"));
    // It saw WARMUP_CANDLES candles in the warm-up: the next tag follows.
    assert_eq!(feed(&mut e, 100), vec![(3, WARMUP_CANDLES as u32 + 1)]);
    let s = e.decide().stats().slots[Slot::Strategy as usize];
    assert_eq!((s.swaps, s.handover_warmup, s.handover_state), (1, 1, 0));
    assert!(s.last_swap_pause_ns > 0);
}

#[test]
fn plugins_swap_of_a_faulty_version_is_refused_by_the_dry_run() {
    let h = host(16 << 20);
    let (_port, mut side) = swap::start(h).unwrap();
    for (mode, word) in [(1, "fuel"), (2, "trap"), (3, "memory")] {
        let e = side
            .prepare(
                SwapRequest {
                    slot: Slot::Strategy,
                    path: wasm("faulty"),
                    params: vec![("mode".into(), mode * ONE)],
                },
                Duration::from_secs(60),
            )
            .unwrap_err();
        assert!(
            e.contains("dry run") && e.contains(word),
            "mode {mode}: {e}"
        );
    }
    // Wrong world, not a file.
    let e = side
        .prepare(
            SwapRequest {
                slot: Slot::Regime,
                path: wasm("faulty"),
                params: vec![],
            },
            Duration::from_secs(60),
        )
        .unwrap_err();
    assert!(e.contains("regime-plugin"), "{e}");
}

fn temp_socket(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    std::env::temp_dir().join(format!("kairos-{tag}-{}-{nanos}.sock", std::process::id()))
}

#[test]
fn plugins_control_socket_swaps_end_to_end_with_owner_only_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let h = host(64 << 20);
    let (port, side) = swap::start(h.clone()).unwrap();
    let path = temp_socket("ctl");
    let server = control::serve(&path, side).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
    chain.set(faulty(&h, 0, 1));
    chain.attach(port);
    let mut e = engine(chain);

    // Errors first (no event needed): each names the problem.
    let bad = [
        (
            serde_json::json!({"cmd":"swap","slot":"nope","file":"x"}),
            "unknown slot",
        ),
        (
            serde_json::json!({"cmd":"swap","slot":"strategy","file":"/nonexistent/x.wasm"}),
            "/nonexistent/x.wasm",
        ),
        (
            serde_json::json!({"cmd":"swap","slot":"risk","file": wasm("faulty")}),
            "risk-plugin",
        ),
        (serde_json::json!({"cmd":"dance"}), "unknown cmd"),
    ];
    for (req, word) in bad {
        let v = control::request(&path, &req).unwrap();
        let err = v["error"].as_str().unwrap_or_default();
        assert!(err.contains(word), "{req} → {v}");
    }
    assert_eq!(
        control::request(&path, &serde_json::json!({"cmd":"ping"})).unwrap()["ok"],
        true
    );

    // The swap: a client thread asks, the hot loop keeps feeding candles.
    let p2 = path.clone();
    let file = wasm("faulty");
    let client = std::thread::spawn(move || {
        control::request(
            &p2,
            &serde_json::json!({"cmd":"swap","slot":"strategy","file":file,"params":{"qty":"2"}}),
        )
    });
    let mut outs = Vec::new();
    let mut i = 0;
    while !client.is_finished() && i < 20_000 {
        outs.push(feed(&mut e, i));
        i += 1;
        std::thread::sleep(Duration::from_millis(1));
    }
    let v = client.join().unwrap().unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["applied"], true, "{v}");
    assert_eq!(v["handover"], "state", "{v}");
    assert!(v["pause_ns"].as_u64().unwrap() > 0);
    // Every candle produced exactly one intent with consecutive tags; the
    // quantity changed from 1 to 2 once.
    for (k, got) in outs.iter().enumerate() {
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, k as u32 + 1);
    }
    let switch = outs.iter().position(|o| o[0].0 == 2).unwrap();
    assert!(outs[switch..].iter().all(|o| o[0].0 == 2));
    drop(server);
    assert!(!path.exists(), "the socket is removed on shutdown");
}

#[test]
fn plugins_book_events_call_the_strategy_without_allocating() {
    let h = host(64 << 20);
    let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
    chain.set(faulty(&h, 0, 1));
    let lvl = |p: i64, q: i64| Level {
        price: Price::from_int(p).unwrap(),
        qty: Qty::from_int(q).unwrap(),
    };
    // Two tops alternating (a change every event), then one repeated.
    let view = |k: i64| MarketView {
        symbol: sym(),
        now_ns: k as u64,
        best_bid: Some(lvl(99, 1 + k % 2)),
        best_ask: Some(lvl(101, 1)),
    };
    let (a, b) = (view(0), view(1));
    let mut out = Actions::new();
    // Warm-up.
    for k in 0..100 {
        chain.on_market(if k % 2 == 0 { &a } else { &b }, &mut out);
    }
    let before = kairos_core::alloc_count::thread_allocations();
    for k in 0..10_000 {
        chain.on_market(if k % 2 == 0 { &a } else { &b }, &mut out);
    }
    let allocs = kairos_core::alloc_count::thread_allocations() - before;
    assert!(kairos_core::alloc_count::installed());
    assert_eq!(allocs, 0, "allocations over 10 000 book events");
    assert_eq!(chain.stats().books, 10_100);
    assert_eq!(chain.stats().book_changes, 10_100);
    // Event calls only (the load's set-param and describe are not counted).
    assert_eq!(chain.timing(Slot::Strategy).calls, 10_100);
    // An unchanged top is not passed on again.
    for _ in 0..10 {
        chain.on_market(&b, &mut out);
    }
    assert_eq!(chain.stats().books, 10_110);
    assert_eq!(chain.stats().book_changes, 10_100);
}

#[test]
fn plugins_book_intents_are_taken_up_to_the_cap_and_become_actions_at_their_price() {
    use kairos_core::binance::types::Side;
    use kairos_core::engine::OrderKind;
    use kairos_core::plugins::chain::MAX_INTENTS_PER_EVENT;
    let h = host(64 << 20);
    let lvl = |p: i64| Level {
        price: Price::from_int(p).unwrap(),
        qty: Qty::from_int(1).unwrap(),
    };
    let view = |bid: i64| MarketView {
        symbol: sym(),
        now_ns: 1,
        best_bid: Some(lvl(bid)),
        best_ask: Some(lvl(bid + 2)),
    };
    for (burst, want) in [
        (1u32, 1u32),
        (MAX_INTENTS_PER_EVENT + 2, MAX_INTENTS_PER_EVENT),
    ] {
        let p = h
            .load(
                &wasm("faulty"),
                Slot::Strategy,
                &[
                    ("mode".into(), 5 * ONE),
                    ("qty".into(), 2 * ONE),
                    ("burst".into(), i64::from(burst) * ONE),
                ],
            )
            .unwrap();
        let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
        chain.set(p);
        let mut out = Actions::new();
        chain.on_market(&view(99), &mut out);
        let got: Vec<(Side, OrderKind, i64, i64, u32)> = out
            .as_slice()
            .iter()
            .map(|a| match a {
                Action::Intent(o) => (o.side, o.kind, o.price.units(), o.qty.units(), o.tag),
                other => panic!("{other:?}"),
            })
            .collect();
        let want_rows: Vec<_> = (1..=want)
            .map(|tag| (Side::Buy, OrderKind::Limit, 99 * ONE, 2 * ONE, tag))
            .collect();
        assert_eq!(got, want_rows, "burst {burst}");
        assert_eq!(chain.stats().intents_not_taken, u64::from(burst - want));
        // The same top again: not passed on, nothing taken.
        out.clear();
        chain.on_market(&view(99), &mut out);
        assert!(out.as_slice().is_empty());
        // on-book, then one take-intent per intent (and none when it
        // announced nothing).
        assert_eq!(chain.timing(Slot::Strategy).calls, 1 + u64::from(want));
        assert_eq!(chain.stats().faults, 0);
    }
    // Mode 0 announces nothing: one call per book change, no take-intent.
    let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
    chain.set(faulty(&h, 0, 1));
    let mut out = Actions::new();
    chain.on_market(&view(99), &mut out);
    chain.on_market(&view(98), &mut out);
    assert!(out.as_slice().is_empty());
    assert_eq!(chain.timing(Slot::Strategy).calls, 2);
}

#[test]
fn plugins_candle_chain_allocates_only_the_strategy_intent_list() {
    let h = host(64 << 20);
    let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
    chain.set(faulty(&h, 0, 1));
    let mut e = engine(chain);
    for i in 0..300 {
        feed_into(&mut e, i);
    }
    let before = kairos_core::alloc_count::thread_allocations();
    for i in 300..400 {
        feed_into(&mut e, i);
    }
    let allocs = kairos_core::alloc_count::thread_allocations() - before;
    assert_eq!(e.decide().stats().intents, 400);
    // `on-candle` returns a WIT list: the host lifts it into one Vec per
    // candle (freed at once). Nothing else on the candle path allocates.
    assert_eq!(
        allocs, 100,
        "allocations over 100 candles with one intent each"
    );
}

/// Feeds candle `i` into a reused action list (no allocation of the test's).
fn feed_into(e: &mut Engine<PluginChain>, i: i64) {
    thread_local! {
        static OUT: std::cell::RefCell<Actions> = std::cell::RefCell::new(Actions::new());
    }
    OUT.with(|o| {
        let mut out = o.borrow_mut();
        out.clear();
        let input = Input {
            now_ns: (i as u64 + 1) * 60_000_000_000,
            event: Event::Candle {
                symbol: sym(),
                candle: minute(i),
            },
        };
        e.on_input(&input, &mut out, &mut NoProbe);
    });
}

const KAIROS: &str = env!("CARGO_BIN_EXE_kairos");

fn kairos(args: &[&str]) -> (i32, String, String) {
    let o = std::process::Command::new(KAIROS)
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn plugins_cli_check_accepts_a_good_plugin_and_rejects_bad_files_naming_the_problem() {
    let good = wasm("faulty");
    let good = good.to_str().unwrap();
    let (rc, out, err) = kairos(&["plugin", "check", good]);
    assert_eq!(rc, 0, "{err}");
    assert!(out.contains("is a strategy plugin"), "{out}");
    assert!(out.contains("name faulty"), "{out}");
    assert!(out.contains("param mode"), "{out}");
    assert!(
        out.contains("wasi:cli/stderr"),
        "the declared imports are listed: {out}"
    );
    let (rc, _, _) = kairos(&["plugin", "check", good, "--world", "strategy"]);
    assert_eq!(rc, 0);

    let dir = std::env::temp_dir().join(format!("kairos-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("text.wasm");
    std::fs::write(&text, b"this is not wasm at all").unwrap();
    // The smallest valid core module: magic, version 1, no sections.
    let core = dir.join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&[text.to_str().unwrap()], "not a WebAssembly component"),
        (&[core.to_str().unwrap()], "core module"),
        (&[good, "--world", "regime"], "regime-plugin"),
        (&["/nonexistent/p.wasm"], "cannot read"),
    ];
    for (args, word) in cases {
        let mut a = vec!["plugin", "check"];
        a.extend_from_slice(args);
        let (rc, _, err) = kairos(&a);
        assert_eq!(rc, 1, "{args:?}: {err}");
        assert!(err.contains(word), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plugins_cli_swap_goes_through_a_running_control_socket() {
    let h = host(64 << 20);
    let (port, side) = swap::start(h.clone()).unwrap();
    let path = temp_socket("cli");
    let _server = control::serve(&path, side).unwrap();
    let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
    chain.set(faulty(&h, 0, 1));
    chain.attach(port);
    let mut e = engine(chain);
    let mut child = std::process::Command::new(KAIROS)
        .args(["plugin", "swap", "strategy"])
        .arg(wasm("faulty"))
        .arg("--socket")
        .arg(&path)
        .args(["--param", "qty=3"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut last = Vec::new();
    let mut i = 0;
    while child.try_wait().unwrap().is_none() && i < 20_000 {
        last = feed(&mut e, i);
        i += 1;
        std::thread::sleep(Duration::from_millis(1));
    }
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("\"applied\":true") && out.contains("\"handover\":\"state\""),
        "{out}"
    );
    // The candle after the answer comes from the new version.
    let next = feed(&mut e, i);
    assert_eq!(next[0].0, 3, "{last:?} {next:?}");
    // A client with no server: exit 2 and the socket named.
    let (rc, _, err) = kairos(&[
        "plugin",
        "swap",
        "strategy",
        "x.wasm",
        "--socket",
        "/nonexistent/s.sock",
    ]);
    assert_eq!(rc, 2);
    assert!(err.contains("/nonexistent/s.sock"), "{err}");
}

#[test]
fn plugins_replay_with_a_plugin_config_reports_the_plugin_stage() {
    let dir = std::env::temp_dir().join(format!("kairos-replay-plugins-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("plugins.toml");
    std::fs::write(
        &cfg,
        format!(
            "[plugins]\nsafe_mode = \"no-new-orders\"\n[plugins.strategy]\npath = {:?}\n",
            wasm("faulty").to_str().unwrap()
        ),
    )
    .unwrap();
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/ticks/hftbacktest_BTCUSDT_20240808T2354_first3000.jsonl.gz"
    );
    let report = dir.join("report");
    let o = std::process::Command::new(KAIROS)
        .args([
            "replay",
            "--format",
            "hftbacktest",
            "--input",
            fixture,
            "--plugins",
        ])
        .arg(&cfg)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    let p = &j["plugins"];
    let books = p["books"].as_u64().unwrap();
    assert!(books > 100, "{p}");
    assert_eq!(p["symbol"], "BTCUSDT");
    assert_eq!(p["faults"], 0);
    // Every decision of the latency pass reached the chain; the strategy
    // heard each top-of-book change and each trade (the load's describe is
    // not counted).
    assert_eq!(
        j["latency_ns"]["decision"]["count"].as_u64().unwrap(),
        books
    );
    let changes = p["book_changes"].as_u64().unwrap();
    let trades = p["trades"].as_u64().unwrap();
    assert!(changes > 0 && changes < books, "{p}");
    assert!(trades > 0, "{p}");
    assert_eq!(
        p["slots"]["strategy"]["calls"].as_u64().unwrap(),
        changes + trades
    );
    assert_eq!(p["slots"]["strategy"]["name"], "faulty");
    assert!(p["slots"]["strategy"]["max_ns"].as_u64().unwrap() > 0);
    assert_eq!(j["allocations_per_event"].as_f64(), Some(0.0));
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("## Plugins"), "{md}");

    // A config with a bad field: exit 2, the file and the field named.
    std::fs::write(&cfg, "[plugins]\nfuel = 3\n").unwrap();
    let o = std::process::Command::new(KAIROS)
        .args([
            "replay",
            "--format",
            "hftbacktest",
            "--input",
            fixture,
            "--plugins",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("plugins.toml") && err.contains("fuel"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plugins_state_refusal_uses_the_instance_warmed_off_the_hot_path_after_catching_up() {
    let h = host(64 << 20);
    // Through the swap thread: it warms a second instance over the 64
    // candles it was sent; the hot thread only hands it the ones since.
    let (port, mut side) = swap::start(h.clone()).unwrap();
    let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
    chain.set(faulty(&h, 0, 1));
    chain.attach(port);
    let mut e = engine(chain);
    for i in 0..100 {
        feed(&mut e, i);
    }
    let info = side
        .prepare(
            SwapRequest {
                slot: Slot::Strategy,
                path: wasm("faulty"),
                params: vec![("mode".into(), 4 * ONE), ("qty".into(), 3 * ONE)],
            },
            Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(info.dry_run_candles, WARMUP_CANDLES);
    assert_eq!(feed(&mut e, 100), vec![(3, WARMUP_CANDLES as u32 + 1)]);
    let o = side.wait_outcome(info.id, Duration::from_secs(5)).unwrap();
    assert!(o.ok, "{o:?}");
    assert_eq!(o.handover, Handover::Warmup(WARMUP_CANDLES as u32));
    assert!(o.detail.unwrap().contains("refuses"));

    // Directly: an instance warmed up to candle 190 of 200 catches up on
    // the 9 recorded after it.
    let mut chain = PluginChain::new(Some(sym()), SafeMode::Previous);
    chain.set(faulty(&h, 0, 1));
    let mut e = engine(chain);
    for i in 0..200 {
        feed(&mut e, i);
    }
    let mut w = faulty(&h, 4, 5);
    let mut fed = 0u32;
    for r in e.decide().history() {
        if r.open_time_ms() <= 190 * 60_000 {
            kairos_core::plugins::chain::replay_one(&mut w, r).unwrap();
            fed += 1;
        }
    }
    assert_eq!(fed, WARMUP_CANDLES as u32 - 9);
    let r = e
        .decide_mut()
        .install_with(
            faulty(&h, 4, 5),
            Some(swap::Warmed {
                plugin: w,
                last_open_ms: 190 * 60_000,
                candles: fed,
            }),
        )
        .unwrap();
    assert_eq!(r.handover, Handover::Warmup(WARMUP_CANDLES as u32));
    assert_eq!(feed(&mut e, 200), vec![(5, WARMUP_CANDLES as u32 + 1)]);
}
