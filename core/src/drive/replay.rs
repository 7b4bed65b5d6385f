//! The replay driver: capture files through the engine's hot path.
//!
//! Native captures (`.kcap`) are memory-mapped and read without copying;
//! every chunk's CRC is checked once, at load (timed as `load_s`), and the
//! passes then trust that verified prefix. hftbacktest and cryptofeed
//! recordings are imported first into an in-memory arena (also `load_s`). Then the records are replayed twice through
//! a fresh engine each time:
//!
//! 1. the **throughput pass**, with no instrumentation at all: `wall_s` and
//!    `events_per_s` come from it;
//! 2. the **latency pass**, with a cycle-counter probe at every stage
//!    boundary (`parse`, `book`, `decision`, `tick_to_decision` into
//!    hdrhistogram) and the allocation counter read around the hot path.
//!
//! Both passes feed the same events to the same engine code; the book and
//! oracle figures of the report come from the latency pass (they are
//! identical in both, which the driver checks).

use crate::binance::fast::Symbol;
use crate::capture::format::{RecordKind, RecordRef, NO_SYMBOL};
use crate::capture::import::{ImportReader, InputFormat, LineError};
use crate::capture::reader::{CaptureReader, OpenError, TailError};
use crate::engine::clock::{CycleProbe, Stage, TickScale, STAGES};
use crate::engine::SymbolReport;
use crate::engine::{
    Actions, ConnState, Decide, Engine, EngineStats, Event, Input, Kind, NoProbe, NoopDecide,
};
use crate::report::latency::StageHistogram;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Events replayed before the allocation count starts (warm-up: books and
/// symbol slots are created on first sight).
pub const ALLOC_WARMUP_EVENTS: u64 = 10_000;
/// Events between two progress-bar updates.
pub const PROGRESS_EVERY_EVENTS: u64 = 1 << 16;
/// Wall time after which the progress bar appears, ms.
pub const PROGRESS_AFTER_MS: u128 = 1_000;

/// The format of the replay inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayFormat {
    /// kairos's own capture format (memory-mapped).
    Native,
    /// An hftbacktest raw recording (`<ts> <json>` lines, gzip or plain).
    Hftbacktest,
    /// A cryptofeed raw recording.
    Cryptofeed,
}

impl ReplayFormat {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            ReplayFormat::Native => "native",
            ReplayFormat::Hftbacktest => "hftbacktest",
            ReplayFormat::Cryptofeed => "cryptofeed",
        }
    }
}

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A native capture could not be opened.
    #[error("{path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: OpenError,
    },
    /// A recording could not be opened for import.
    #[error("{path}: {detail}")]
    Import {
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// No input was given.
    #[error("no input file")]
    NoInput,
}

/// One input file's outcome.
#[derive(Debug, Clone)]
pub struct InputReport {
    /// The file.
    pub path: PathBuf,
    /// Records read from it.
    pub records: u64,
    /// Bytes of the file (native) or of the decompressed text (imports).
    pub bytes: u64,
    /// Malformed lines (imports).
    pub malformed_lines: u64,
    /// The first malformed lines (imports).
    pub examples: Vec<LineError>,
    /// A torn or corrupt tail (native): where the sound prefix ends and why.
    pub tail: Option<TailError>,
}

/// What a replay measured.
#[derive(Debug)]
pub struct ReplayOutcome {
    /// The input format.
    pub format: ReplayFormat,
    /// Per-input details.
    pub inputs: Vec<InputReport>,
    /// Events given to the engine (per pass).
    pub events: u64,
    /// Payload bytes given to the engine (per pass).
    pub bytes: u64,
    /// Wall time of the load phase (import, or the CRC check of native files), s.
    pub load_s: f64,
    /// Wall time of the uninstrumented throughput pass, s (the median pass).
    pub wall_s: f64,
    /// Wall time of every throughput pass, s, in the order run.
    pub pass_s: Vec<f64>,
    /// Wall time of the instrumented latency pass, s.
    pub latency_pass_s: f64,
    /// Per-stage latency of the latency pass: the [`STAGES`] stages in
    /// [`Stage`] order, then `tick_to_decision` (start of parsing to the end
    /// of the decision), then `event` (start of parsing to the end of the
    /// event's last stage, decided or not).
    pub stages: [StageHistogram; STAGES + 2],
    /// `tick_to_decision` by message kind ([`Kind::ALL`] order).
    pub tick_to_decision_by_kind: Vec<StageHistogram>,
    /// `event` (the whole event, decided or not) by message kind
    /// ([`Kind::ALL`] order).
    pub event_by_kind: Vec<StageHistogram>,
    /// Allocations per event in the latency pass after warm-up, or `None`
    /// when the counting allocator is not installed.
    pub allocations_per_event: Option<f64>,
    /// Events counted for `allocations_per_event`.
    pub alloc_events: u64,
    /// Warm-up events before counting.
    pub alloc_warmup_events: u64,
    /// Allocations counted for `allocations_per_event`.
    pub allocations: u64,
    /// Engine counters (latency pass).
    pub engine: EngineStats,
    /// Per-symbol book and oracle figures (latency pass).
    pub symbols: Vec<SymbolReport>,
    /// Snapshot requests the engine made (a replay cannot fetch; the
    /// recording's own snapshots are all it gets).
    pub snapshot_requests: u64,
    /// Whether both passes ended in the same book state (a determinism check).
    pub passes_agree: bool,
    /// TSC ticks per second used to convert the latency pass.
    pub ticks_per_s: f64,
}

/// A record as the replay loop sees it.
#[derive(Clone, Copy)]
struct Rec<'a> {
    recv_ns: u64,
    conn: u16,
    kind: RecordKind,
    symbol: Option<Symbol>,
    payload: &'a [u8],
}

/// Imported records kept in memory: payload bytes and an index.
#[derive(Default)]
struct Arena {
    bytes: Vec<u8>,
    recs: Vec<(u64, u16, RecordKind, Option<Symbol>, usize, usize)>,
}

impl Arena {
    fn push(&mut self, r: &RecordRef<'_>, symbol: Option<Symbol>) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(r.payload);
        self.recs
            .push((r.recv_ns, r.conn, r.kind, symbol, start, self.bytes.len()));
    }

    fn iter(&self) -> impl Iterator<Item = Rec<'_>> + '_ {
        self.recs
            .iter()
            .map(|&(recv_ns, conn, kind, symbol, s, e)| Rec {
                recv_ns,
                conn,
                kind,
                symbol,
                payload: &self.bytes[s..e],
            })
    }
}

/// Replay inputs, loaded: native captures memory-mapped, other formats
/// imported into memory. Iterating them does not allocate.
pub struct Source {
    inner: SourceInner,
    symbols: Vec<Symbol>,
}

enum SourceInner {
    /// Each reader with the length of its CRC-checked sound prefix.
    Native(Vec<(CaptureReader, u64)>),
    Arena(Arena),
}

/// What one uninstrumented pass counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassCounts {
    /// Events given to the engine.
    pub events: u64,
    /// Their payload bytes.
    pub bytes: u64,
}

impl Source {
    /// Loads `paths` (in order) in `format`; see [`replay`].
    pub fn load(format: ReplayFormat, paths: &[PathBuf]) -> Result<Source, ReplayError> {
        load(format, paths).map(|(s, _)| s)
    }

    /// The symbols the inputs define, in order of first appearance.
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// A fresh engine with a book for every symbol of the inputs already
    /// made (as a live engine has them from its configuration at start-up).
    pub fn engine(&self) -> Engine<NoopDecide> {
        self.engine_with(NoopDecide)
    }

    /// The same with a decision stage (e.g. a plugin chain).
    pub fn engine_with<D: Decide>(&self, decide: D) -> Engine<D> {
        let mut e = Engine::new(decide, crate::book::BookConfig::default());
        for s in &self.symbols {
            e.add_symbol(*s);
        }
        e
    }

    /// One pass through `engine` with no instrumentation: the hot path alone.
    /// `progress` is called with the event count every
    /// [`PROGRESS_EVERY_EVENTS`] events.
    pub fn pass<D: Decide>(
        &self,
        engine: &mut Engine<D>,
        actions: &mut Actions,
        mut progress: impl FnMut(u64),
    ) -> PassCounts {
        let mut c = PassCounts {
            events: 0,
            bytes: 0,
        };
        let mut probe = NoProbe;
        self.for_each(|r| {
            if let Some(inp) = input(&r) {
                engine.on_input(&inp, actions, &mut probe);
                actions.clear();
                c.events += 1;
                c.bytes += r.payload.len() as u64;
                if c.events % PROGRESS_EVERY_EVENTS == 0 {
                    progress(c.events);
                }
            }
        });
        c
    }

    /// Calls `f` on every record, in order.
    fn for_each(&self, mut f: impl FnMut(Rec<'_>)) {
        match &self.inner {
            SourceInner::Arena(a) => a.iter().for_each(f),
            SourceInner::Native(readers) => {
                for (r, verified) in readers {
                    let mut it = r.records().trusting(*verified);
                    while let Some(rec) = it.next() {
                        let symbol = if rec.kind == RecordKind::Snapshot && rec.symbol != NO_SYMBOL
                        {
                            it.symbol_name(rec.symbol)
                                .and_then(|n| Symbol::new(n.as_bytes()))
                        } else {
                            None
                        };
                        f(Rec {
                            recv_ns: rec.recv_ns,
                            conn: rec.conn,
                            kind: rec.kind,
                            symbol,
                            payload: rec.payload,
                        });
                    }
                }
            }
        }
    }
}

/// Turns a record into an engine input (`None` for records the engine does
/// not take: symbol definitions, snapshots of unknown symbols).
#[inline]
fn input<'a>(r: &Rec<'a>) -> Option<Input<'a>> {
    let event = match r.kind {
        RecordKind::Frame => Event::MarketFrame {
            conn: r.conn,
            bytes: r.payload,
        },
        RecordKind::Snapshot => Event::DepthSnapshot {
            symbol: r.symbol?,
            bytes: r.payload,
        },
        RecordKind::Connect => Event::Connection {
            conn: r.conn,
            state: ConnState::Connected,
        },
        RecordKind::Disconnect => Event::Connection {
            conn: r.conn,
            state: ConnState::Disconnected,
        },
        RecordKind::Symbol => return None,
    };
    Some(Input {
        now_ns: r.recv_ns,
        event,
    })
}

fn load(
    format: ReplayFormat,
    paths: &[PathBuf],
) -> Result<(Source, Vec<InputReport>), ReplayError> {
    let mut reports = Vec::new();
    if format == ReplayFormat::Native {
        let mut readers = Vec::new();
        for p in paths {
            let r = CaptureReader::open(p).map_err(|source| ReplayError::Open {
                path: p.clone(),
                source,
            })?;
            let scan = r.scan();
            let verified = scan.sound_bytes;
            reports.push(InputReport {
                path: p.clone(),
                records: scan.records_by_kind.iter().sum(),
                bytes: r.bytes().len() as u64,
                malformed_lines: 0,
                examples: Vec::new(),
                tail: scan.tail,
            });
            readers.push((r, verified));
        }
        let mut symbols = Vec::new();
        for (r, verified) in &readers {
            let records = r.records().trusting(*verified);
            for rec in records.filter(|x| x.kind == RecordKind::Symbol) {
                if let Some(s) = Symbol::new(rec.payload) {
                    if !symbols.contains(&s) {
                        symbols.push(s);
                    }
                }
            }
        }
        return Ok((
            Source {
                inner: SourceInner::Native(readers),
                symbols,
            },
            reports,
        ));
    }
    let fmt = match format {
        ReplayFormat::Hftbacktest => InputFormat::Hftbacktest,
        _ => InputFormat::Cryptofeed,
    };
    let mut arena = Arena::default();
    for p in paths {
        let mut reader = ImportReader::open(p, fmt).map_err(|e| ReplayError::Import {
            path: p.clone(),
            detail: e.to_string(),
        })?;
        let mut records = 0;
        while let Some(item) = reader.next() {
            if let Ok(rec) = item {
                let symbol = rec.symbol_name.and_then(|n| Symbol::new(n.as_bytes()));
                arena.push(&rec.as_record(), symbol);
                records += 1;
            }
        }
        let stats = reader.stats();
        reports.push(InputReport {
            path: p.clone(),
            records,
            bytes: stats.bytes_read,
            malformed_lines: stats.malformed,
            examples: stats.examples.clone(),
            tail: None,
        });
    }
    let mut symbols = Vec::new();
    for s in arena.recs.iter().filter_map(|r| r.3) {
        if !symbols.contains(&s) {
            symbols.push(s);
        }
    }
    Ok((
        Source {
            inner: SourceInner::Arena(arena),
            symbols,
        },
        reports,
    ))
}

/// A progress bar that appears only once a pass has run for a second.
struct Progress {
    total: u64,
    label: &'static str,
    started: Instant,
    bar: Option<indicatif::ProgressBar>,
    enabled: bool,
}

impl Progress {
    fn new(total: u64, label: &'static str, enabled: bool) -> Progress {
        Progress {
            total,
            label,
            started: Instant::now(),
            bar: None,
            enabled,
        }
    }

    fn update(&mut self, done: u64) {
        if !self.enabled {
            return;
        }
        if self.bar.is_none() && self.started.elapsed().as_millis() >= PROGRESS_AFTER_MS {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(self.total),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} events ({per_sec}, eta {eta})",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(self.label);
            self.bar = Some(bar);
        }
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
    }

    fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

/// Wall time after which no further throughput pass is run, s.
pub const LONG_RUN_S: f64 = 20.0;
/// Throughput passes by default (the median is reported).
pub const THROUGHPUT_PASSES: usize = 5;

/// Options of a replay.
#[derive(Debug, Clone, Copy)]
pub struct ReplayOptions {
    /// Uninstrumented passes whose median gives `wall_s` (at least one).
    pub throughput_passes: usize,
    /// Show a progress bar on stderr for passes that take over a second.
    pub progress: bool,
    /// Events of the latency pass before allocations are counted (at most;
    /// a tenth of the input when that is fewer).
    pub alloc_warmup_events: u64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            throughput_passes: THROUGHPUT_PASSES,
            progress: true,
            alloc_warmup_events: ALLOC_WARMUP_EVENTS,
        }
    }
}

/// Replays `paths` (in order) in `format`.
pub fn replay(
    format: ReplayFormat,
    paths: &[PathBuf],
    opts: &ReplayOptions,
) -> Result<ReplayOutcome, ReplayError> {
    replay_with(format, paths, opts, || NoopDecide).map(|(o, _)| o)
}

/// Replays `paths` with the decision stage `make` builds (a fresh one for
/// every pass, made before its clock starts); returns the outcome and the
/// latency pass's decision stage (for its own counters).
pub fn replay_with<D: Decide>(
    format: ReplayFormat,
    paths: &[PathBuf],
    opts: &ReplayOptions,
    mut make: impl FnMut() -> D,
) -> Result<(ReplayOutcome, D), ReplayError> {
    let progress = opts.progress;
    let warmup_cap = opts.alloc_warmup_events;
    if paths.is_empty() {
        return Err(ReplayError::NoInput);
    }
    let t_load = Instant::now();
    let (source, inputs) = load(format, paths)?;
    let load_s = t_load.elapsed().as_secs_f64();
    let total: u64 = inputs.iter().map(|i| i.records).sum();
    // Throughput: uninstrumented passes, each through a fresh engine made
    // before its clock starts; the median is reported (and every pass).
    let mut actions = Actions::new();
    let mut pass_s = Vec::with_capacity(opts.throughput_passes.max(1));
    let (mut events, mut bytes) = (0, 0);
    let mut pass1: Vec<SymbolReport> = Vec::new();
    for i in 0..opts.throughput_passes.max(1) {
        let mut engine = source.engine_with(make());
        let mut bar = Progress::new(total, "replay (throughput)", progress && i == 0);
        let t0 = Instant::now();
        let c = source.pass(&mut engine, &mut actions, |n| bar.update(n));
        pass_s.push(t0.elapsed().as_secs_f64());
        bar.finish();
        (events, bytes) = (c.events, c.bytes);
        pass1 = engine.symbols().collect();
        // A long input is measured once.
        if t_load.elapsed().as_secs_f64() > LONG_RUN_S {
            break;
        }
    }
    let mut sorted = pass_s.clone();
    sorted.sort_by(f64::total_cmp);
    let wall_s = sorted[sorted.len() / 2];

    // Pass 2: latency per stage, allocations after warm-up (the configured
    // number of events, or a tenth of a shorter input).
    let warmup = warmup_cap.min(events / 10);
    let scale = TickScale::calibrate(50);
    let mut stages = [
        StageHistogram::new("parse"),
        StageHistogram::new("book"),
        StageHistogram::new("decision"),
        StageHistogram::new("book_rest"),
        StageHistogram::new("tick_to_decision"),
        StageHistogram::new("event"),
    ];
    let mut by_kind: Vec<StageHistogram> = Kind::ALL
        .iter()
        .map(|k| StageHistogram::new(k.name()))
        .collect();
    let mut event_by_kind = by_kind.clone();
    let mut engine = source.engine_with(make());
    let mut probe = CycleProbe::default();
    let counting = crate::alloc_count::installed();
    let mut n = 0u64;
    let (mut alloc_start, mut excluded) = (0u64, 0u64);
    let mut bar = Progress::new(total, "replay (latency)", progress);
    let t1 = Instant::now();
    source.for_each(|r| {
        let Some(inp) = input(&r) else {
            return;
        };
        // Stages an event does not reach keep a 0 stamp and are not recorded.
        probe = CycleProbe::default();
        engine.on_input(&inp, &mut actions, &mut probe);
        actions.clear();
        let mut prev = probe.start;
        for (i, &end) in probe.ends.iter().enumerate() {
            if end != 0 {
                stages[i].record(scale.to_ns(end.saturating_sub(prev)));
                prev = end;
            }
        }
        if prev != probe.start {
            let ns = scale.to_ns(prev.saturating_sub(probe.start));
            stages[STAGES + 1].record(ns);
            if let Some(k) = engine.last_kind() {
                event_by_kind[k as usize].record(ns);
            }
        }
        let decided = probe.ends[Stage::Decision as usize];
        if decided != 0 {
            let ns = scale.to_ns(decided.saturating_sub(probe.start));
            stages[STAGES].record(ns);
            if let Some(k) = engine.last_kind() {
                by_kind[k as usize].record(ns);
            }
        }
        n += 1;
        if n == warmup {
            alloc_start = crate::alloc_count::allocations();
        }
        if n % PROGRESS_EVERY_EVENTS == 0 {
            // The progress bar formats text: its allocations are not the hot path's.
            let a = crate::alloc_count::allocations();
            bar.update(n);
            excluded += crate::alloc_count::allocations() - a;
        }
    });
    let latency_pass_s = t1.elapsed().as_secs_f64();
    let alloc_end = crate::alloc_count::allocations();
    bar.finish();
    let alloc_events = n.saturating_sub(warmup);
    let allocations = if alloc_events > 0 {
        alloc_end
            .saturating_sub(alloc_start)
            .saturating_sub(excluded)
    } else {
        0
    };
    let allocations_per_event =
        (counting && alloc_events > 0).then(|| allocations as f64 / alloc_events as f64);
    let symbols: Vec<SymbolReport> = engine.symbols().collect();
    let passes_agree = pass1.len() == symbols.len()
        && pass1.iter().zip(&symbols).all(|(a, b)| {
            a.symbol == b.symbol
                && a.book == b.book
                && a.oracle == b.oracle
                && a.best_bid == b.best_bid
                && a.best_ask == b.best_ask
        });
    let stats = *engine.stats();
    let outcome = ReplayOutcome {
        format,
        inputs,
        events,
        bytes,
        load_s,
        wall_s,
        pass_s,
        latency_pass_s,
        stages,
        tick_to_decision_by_kind: by_kind,
        event_by_kind,
        allocations_per_event,
        alloc_events,
        alloc_warmup_events: warmup,
        allocations,
        engine: stats,
        symbols,
        snapshot_requests: stats.snapshot_requests,
        passes_agree,
        ticks_per_s: scale.ticks_per_s(),
    };
    Ok((outcome, engine.into_decide()))
}

/// The file name of a path, for reports.
pub fn display_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}
