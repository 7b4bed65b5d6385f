//! Hot swap plumbing: the `plugin-compile` side thread and the lock-free
//! rings between it, the hot thread and the `control` thread.
//!
//! ```text
//!  control ──SwapRequest (std channel)──▶ plugin-compile ──Prepared (SPSC)──▶ hot (PluginChain)
//!     ▲                                      ▲   ▲                               │
//!     └──────────SwapOutcome (SPSC)──────────┼───┼───────────────────────────────┤
//!                                            │   └──Recorded candles (SPSC)──────┤
//!                                            └──────retired plugins (SPSC)───────┘
//! ```
//!
//! The compile thread compiles the file, checks it exports the slot's world,
//! sets the requested parameters, and dry-runs a throwaway instance over the
//! recent candles the hot thread recorded (or [`sample_records`] when there
//! are none yet) within the plugin budgets; only then does it instantiate
//! the real one (and a second one warmed up over those recent candles, in
//! case the new version cannot read the old one's state) and hand them to
//! the hot thread, which swaps between two events
//! ([`super::chain::PluginChain::install_with`]): state handover, or the
//! warmed instance after catching up on the candles recorded since. The hot thread only
//! ever does `try_push` / `try_pop` on these rings: no lock, no wait. It
//! hands retired plugins back so their stores are freed here.

use super::chain::WARMUP_CANDLES;
use super::chain::{
    replay_one, Handover, Recorded, NEUTRAL_CONFIDENCE, NEUTRAL_REGIME, NEUTRAL_RISK, NO_SENTIMENT,
};
use super::convert;
use super::host::{Plugin, PluginHost};
use super::Slot;
use crate::engine::{AccountView, CandleState, CandleView, PredictionView};
use crate::indicators::candle::{Candle, Timeframe};
use crate::num::{Price, Wide};
use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Prepared plugins waiting for the hot thread.
pub const PREPARED_RING: usize = 4;
/// Swap outcomes waiting for the control thread.
pub const OUTCOME_RING: usize = 16;
/// Recorded candles in flight to the compile thread.
pub const RECENT_RING: usize = 256;
/// Retired plugins in flight to the compile thread.
pub const RETIRED_RING: usize = 8;
/// Swap requests queued for the compile thread.
pub const REQUEST_QUEUE: usize = 8;
/// How often the compile thread drains its rings when idle.
pub const COMPILE_POLL: Duration = Duration::from_millis(5);
/// Candles of the synthetic series used for a dry run with no history
/// (enough for every indicator to warm up).
pub const SAMPLE_CANDLES: usize = 300;

/// A plugin ready to swap in.
pub struct Prepared {
    /// The request's id.
    pub id: u64,
    /// The instance.
    pub plugin: Plugin,
    /// A second instance warmed up over the recent candles, used when the
    /// old version's state cannot be handed over (none when no candle had
    /// been recorded yet).
    pub warmed: Option<Warmed>,
}

/// An instance warmed up off the hot path.
pub struct Warmed {
    /// The instance.
    pub plugin: Plugin,
    /// Open time of the last candle it was fed, ms.
    pub last_open_ms: i64,
    /// Candles it was fed.
    pub candles: u32,
}

/// What the hot thread did with a [`Prepared`] plugin.
#[derive(Debug, Clone)]
pub struct SwapOutcome {
    /// The request's id.
    pub id: u64,
    /// The slot.
    pub slot: Slot,
    /// Swapped in.
    pub ok: bool,
    /// The hot-path pause, ns.
    pub pause_ns: u64,
    /// How the state moved.
    pub handover: Handover,
    /// The load-state refusal (ok) or the fault (not ok).
    pub detail: Option<String>,
}

/// The hot thread's ends of the rings.
pub struct SwapPort {
    prepared: HeapCons<Prepared>,
    outcomes: HeapProd<SwapOutcome>,
    recent: HeapProd<Recorded>,
    retired: HeapProd<Plugin>,
}

impl std::fmt::Debug for SwapPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SwapPort")
    }
}

impl SwapPort {
    /// Whether a prepared plugin waits (one atomic load).
    #[inline]
    pub fn has_prepared(&self) -> bool {
        !self.prepared.is_empty()
    }

    /// Takes a prepared plugin.
    pub fn pop_prepared(&mut self) -> Option<Prepared> {
        self.prepared.try_pop()
    }

    /// Reports an outcome (dropped when the control thread is not reading:
    /// the chain's stats still count the swap).
    pub fn report(&mut self, o: SwapOutcome) {
        let _ = self.outcomes.try_push(o);
    }

    /// Pushes a recorded candle for dry runs; `false` when the ring is full.
    #[inline]
    pub fn push_recent(&mut self, r: Recorded) -> bool {
        self.recent.try_push(r).is_ok()
    }

    /// Hands a plugin over to be dropped off the hot thread (dropped here
    /// when the ring is full).
    pub fn retire(&mut self, p: Plugin) {
        let _ = self.retired.try_push(p);
    }
}

/// A swap request (from the control thread).
pub struct SwapRequest {
    /// The slot.
    pub slot: Slot,
    /// The component file.
    pub path: PathBuf,
    /// Parameters to set before the dry run (name, value scaled 1e-8).
    pub params: Vec<(String, i64)>,
}

/// What the compile thread prepared.
#[derive(Debug, Clone)]
pub struct PreparedInfo {
    /// The request's id.
    pub id: u64,
    /// `describe`'s name.
    pub name: String,
    /// `describe`'s version.
    pub version: String,
    /// The imports the component declares (all trap).
    pub imports: Vec<String>,
    /// Candles of the dry run.
    pub dry_run_candles: usize,
}

type Reply = mpsc::Sender<Result<PreparedInfo, String>>;

/// The side threads' end: submit requests, read outcomes.
pub struct SwapSide {
    requests: mpsc::SyncSender<(u64, SwapRequest, Reply)>,
    outcomes: HeapCons<SwapOutcome>,
    next_id: u64,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SwapSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SwapSide")
    }
}

/// Starts the `plugin-compile` thread; returns the hot thread's port and
/// the side's handle.
pub fn start(host: PluginHost) -> std::io::Result<(SwapPort, SwapSide)> {
    let (prep_tx, prep_rx) = HeapRb::<Prepared>::new(PREPARED_RING).split();
    let (out_tx, out_rx) = HeapRb::<SwapOutcome>::new(OUTCOME_RING).split();
    let (rec_tx, rec_rx) = HeapRb::<Recorded>::new(RECENT_RING).split();
    let (ret_tx, ret_rx) = HeapRb::<Plugin>::new(RETIRED_RING).split();
    let (req_tx, req_rx) = mpsc::sync_channel(REQUEST_QUEUE);
    let stop = Arc::new(AtomicBool::new(false));
    let worker = Compiler {
        host,
        prepared: prep_tx,
        recent: rec_rx,
        retired: ret_rx,
        history: VecDeque::with_capacity(WARMUP_CANDLES),
    };
    let s = stop.clone();
    let thread = std::thread::Builder::new()
        .name("plugin-compile".into())
        .spawn(move || worker.run(req_rx, &s))?;
    Ok((
        SwapPort {
            prepared: prep_rx,
            outcomes: out_tx,
            recent: rec_tx,
            retired: ret_tx,
        },
        SwapSide {
            requests: req_tx,
            outcomes: out_rx,
            next_id: 1,
            stop,
            thread: Some(thread),
        },
    ))
}

impl SwapSide {
    /// Asks the compile thread to prepare `req`; waits up to `timeout` for
    /// it to be compiled, validated and dry-run.
    pub fn prepare(&mut self, req: SwapRequest, timeout: Duration) -> Result<PreparedInfo, String> {
        let id = self.next_id;
        self.next_id += 1;
        let (tx, rx) = mpsc::channel();
        self.requests
            .try_send((id, req, tx))
            .map_err(|_| "the plugin-compile thread is busy or gone".to_string())?;
        rx.recv_timeout(timeout)
            .map_err(|_| format!("no answer from plugin-compile within {timeout:?}"))?
    }

    /// Waits up to `timeout` for the hot thread's outcome of swap `id`
    /// (outcomes of other ids are discarded).
    pub fn wait_outcome(&mut self, id: u64, timeout: Duration) -> Option<SwapOutcome> {
        let end = Instant::now() + timeout;
        loop {
            while let Some(o) = self.outcomes.try_pop() {
                if o.id == id {
                    return Some(o);
                }
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for SwapSide {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Compiler {
    host: PluginHost,
    prepared: HeapProd<Prepared>,
    recent: HeapCons<Recorded>,
    retired: HeapCons<Plugin>,
    history: VecDeque<Recorded>,
}

impl Compiler {
    fn run(mut self, requests: mpsc::Receiver<(u64, SwapRequest, Reply)>, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            self.drain();
            match requests.recv_timeout(COMPILE_POLL) {
                Ok((id, req, reply)) => {
                    self.drain();
                    let r = self.prepare(id, &req);
                    let _ = reply.send(r);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
    }

    fn drain(&mut self) {
        while let Some(r) = self.recent.try_pop() {
            if self.history.len() == WARMUP_CANDLES {
                self.history.pop_front();
            }
            self.history.push_back(r);
        }
        while let Some(p) = self.retired.try_pop() {
            drop(p);
        }
    }

    fn prepare(&mut self, id: u64, req: &SwapRequest) -> Result<PreparedInfo, String> {
        let compiled = self
            .host
            .compile_file(&req.path)
            .map_err(|e| e.to_string())?;
        let ready = self
            .host
            .ready(&compiled, req.slot)
            .map_err(|e| e.to_string())?;
        let inputs: Vec<Recorded> = if self.history.is_empty() {
            sample_records(SAMPLE_CANDLES)
        } else {
            self.history.iter().copied().collect()
        };
        dry_run(&self.host, &ready, &req.params, &inputs)?;
        let plugin = self
            .host
            .instantiate(&ready, &req.params)
            .map_err(|e| e.to_string())?;
        let warmed = match self.history.back() {
            Some(last) => {
                let mut w = self
                    .host
                    .instantiate(&ready, &req.params)
                    .map_err(|e| e.to_string())?;
                for r in &self.history {
                    replay_one(&mut w, r).map_err(|_| {
                        format!(
                            "warm-up: {}",
                            w.fault().map(|f| f.message.as_str()).unwrap_or("fault")
                        )
                    })?;
                }
                Some(Warmed {
                    plugin: w,
                    last_open_ms: last.open_time_ms(),
                    candles: u32::try_from(self.history.len()).unwrap_or(u32::MAX),
                })
            }
            None => None,
        };
        let info = PreparedInfo {
            id,
            name: plugin.info().name.clone(),
            version: plugin.info().version.clone(),
            imports: compiled.imports.clone(),
            dry_run_candles: inputs.len(),
        };
        self.prepared
            .try_push(Prepared { id, plugin, warmed })
            .map_err(|_| "too many swaps waiting for the hot thread".to_string())?;
        Ok(info)
    }
}

/// Runs a throwaway instance over `inputs` (and a save/load round trip):
/// `Err` names the fault.
pub fn dry_run(
    host: &PluginHost,
    ready: &super::host::Ready,
    params: &[(String, i64)],
    inputs: &[Recorded],
) -> Result<(), String> {
    let mut dry = host.instantiate(ready, params).map_err(|e| e.to_string())?;
    let fault = |p: &Plugin| {
        format!(
            "dry run: {}",
            p.fault().map(|f| f.message.as_str()).unwrap_or("fault")
        )
    };
    for r in inputs {
        replay_one(&mut dry, r).map_err(|_| fault(&dry))?;
    }
    let state = dry.save_state().map_err(|_| fault(&dry))?;
    // A refusal to read its own state is allowed (the chain warms up then);
    // a fault is not.
    let _may_refuse = dry.load_state(&state).map_err(|_| fault(&dry))?;
    Ok(())
}

/// A deterministic synthetic series of 1 m candles (a slow wave with a
/// trend and a spike) run through the engine's indicators, as chain inputs
/// with neutral upstream answers: dry runs and `kairos plugin check`.
pub fn sample_records(n: usize) -> Vec<Recorded> {
    let mut state = CandleState::new(Timeframe::M1);
    let mut out = Vec::with_capacity(n);
    let Some(symbol) = crate::binance::fast::Symbol::new(b"SAMPLEUSDT") else {
        return out;
    };
    let account = AccountView {
        equity: Wide::from_int(10_000).unwrap_or_default(),
        peak_equity: Wide::from_int(10_000).unwrap_or_default(),
        free_quote: Wide::from_int(10_000).unwrap_or_default(),
        ..AccountView::default()
    };
    let base_ms = 1_700_000_000_000i64 / 60_000 * 60_000;
    for i in 0..n {
        // Price in cents: 100.00 plus a triangle wave of ±3.00 plus a drift.
        let k = (i % 40) as i64;
        let wave = if k < 20 { k } else { 40 - k } * 30 - 300;
        let drift = i as i64 * 2;
        let spike = if i % 97 == 50 { 400 } else { 0 };
        let close_c = 10_000 + wave + drift + spike;
        let p = |cents: i64| Price::from_units(cents * 1_000_000).unwrap_or(Price::ONE);
        let Ok(c) = Candle::new(
            base_ms + i as i64 * 60_000,
            Timeframe::M1,
            p(close_c - 5),
            p(close_c + 20),
            p(close_c - 25),
            p(close_c),
            Wide::from_int(10 + (i % 7) as i128).unwrap_or_default(),
        ) else {
            continue;
        };
        let Some((features, trend, higher)) = state.update(&c) else {
            continue;
        };
        let view = CandleView {
            symbol,
            now_ns: (c.close_time_ms() as u64 + 1) * 1_000_000,
            candle: c,
            features,
            trend,
            higher,
            account,
            prediction: PredictionView::default(),
        };
        let mut ctx = [0; convert::CONTEXT_LEN];
        convert::fill_context(&mut ctx, &view, NO_SENTIMENT);
        convert::put_regime(&mut ctx, &NEUTRAL_REGIME);
        convert::put_confidence(&mut ctx, &NEUTRAL_CONFIDENCE);
        convert::put_risk(&mut ctx, &NEUTRAL_RISK);
        out.push(Recorded { ctx });
    }
    out
}
