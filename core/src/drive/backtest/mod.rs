//! The backtest driver: klines in, a simulated clock, simulated fills; the
//! same [`Engine`], indicators, decision stage, hard limits ([`RiskGuard`]
//! through [`admit`]), exchange filters and exact [`Portfolio`] as live.
//!
//! One run ([`run`]):
//! - the candles of every series are merged by close time (ties: the order
//!   the series were given), so several symbols share one quote account;
//! - for each candle, first the orders resting before it are matched
//!   against it ([`fill`]: market orders at its open plus slippage, limits,
//!   stops and take-profits on touch, open → low → high → close), then the
//!   account is handed to the engine ([`Engine::set_account`]), then the
//!   candle itself ([`Event::Candle`], `now_ns` = the candle's close, i.e.
//!   the next candle's open time): the decision stage sees candle t and
//!   everything before it, never t + 1, and whatever it asks for can fill
//!   on candle t + 1 at the earliest;
//! - every intent goes through [`admit`] (limits, then filters, on the order
//!   and on its stop / take-profit; the stop the core forces is placed too);
//! - fees are charged in the quote asset at the maker or taker rate of the
//!   fill, `fee = round_up(round_half_even(price × qty) × rate)` to 10⁻⁸, and
//!   booked through [`Portfolio::apply_fill`];
//! - gaps in the data are listed, never bridged: the engine's indicators
//!   restart after each one (see [`crate::indicators`]'s gap policy).
//!
//! Money is exact decimal throughout; `f64` appears only in the statistics
//! ([`stats`]).

pub mod fill;
pub mod report;
pub mod stats;
pub mod sweep;
pub mod test_strategy;

use crate::binance::exchange_info::{decode_exchange_info, SymbolInfo};
use crate::binance::fast::Symbol;
use crate::binance::filters::FilterContext;
use crate::binance::types::Side;
use crate::book::BookConfig;
use crate::drive::admit::{admit, AdmitError};
use crate::engine::{
    clock::ticks, AccountView, Action, Actions, Decide, Engine, Event, FillView, Input, NoProbe,
    OrderIntent, OrderKind, RegimeKind,
};
use crate::indicators::candle::{read_klines_file, Candle, Gap, GapDetector, Step, Timeframe};
use crate::num::{Amount, Price, Qty, Rounding, Wide, SCALE};
use crate::portfolio::risk::{Exposure, KillAction, RiskGuard, RiskLimits};
use crate::portfolio::{Asset, Balance, Fill, Portfolio};
use fill::Liquidity;
use std::path::Path;

/// Binance's default spot fee, 0.1 %, as a fraction scaled 10⁻⁸.
pub const DEFAULT_FEE_RATE: Amount = Amount::from_units_unchecked(100_000);
/// Starting quote balance when none is configured, whole quote units.
pub const DEFAULT_INITIAL_QUOTE: i64 = 10_000;
/// Most orders resting at once across all symbols (more are refused and counted).
pub const MAX_RESTING_ORDERS: usize = 256;
/// Most fills one candle of one symbol may produce (a bound on the matching loop).
pub const MAX_FILLS_PER_CANDLE: usize = 64;
/// Most series (symbols) in one run.
pub const MAX_SERIES: usize = crate::engine::MAX_SYMBOLS;
/// Quote assets recognised at the end of a symbol name, longest first.
pub const KNOWN_QUOTES: [&str; 10] = [
    "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY",
];
/// Nanoseconds per millisecond.
const NS_PER_MS: i64 = 1_000_000;
/// Milliseconds per day.
pub const MS_PER_DAY: i64 = 86_400_000;

/// What went wrong before or outside the simulation (bad input).
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    /// A klines file could not be read or parsed.
    #[error("{path}: {problem}")]
    Klines {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// The symbol or timeframe of a file cannot be told from its name.
    #[error("{0}")]
    Name(String),
    /// The series cannot share one account (different quote assets, too many).
    #[error("{0}")]
    Series(String),
    /// An exchangeInfo file is unusable.
    #[error("exchange info {path}: {problem}")]
    ExchangeInfo {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// The portfolio refused the starting balance.
    #[error("portfolio: {0}")]
    Portfolio(String),
}

/// One symbol's candles.
#[derive(Debug, Clone)]
pub struct Series {
    /// The symbol.
    pub symbol: Symbol,
    /// Its base asset.
    pub base: Asset,
    /// Its quote asset.
    pub quote: Asset,
    /// The candles' timeframe.
    pub timeframe: Timeframe,
    /// The candles, sorted, unique.
    pub candles: Vec<Candle>,
    /// Every gap between consecutive candles.
    pub gaps: Vec<Gap>,
    /// Where they came from (a file name), for the report.
    pub source: String,
}

/// Splits `BTCUSDT` into (`BTC`, `USDT`) by the known quote assets.
pub fn split_symbol(name: &str) -> Option<(Asset, Asset)> {
    KNOWN_QUOTES.iter().find_map(|q| {
        let base = name.strip_suffix(q)?;
        if base.is_empty() {
            return None;
        }
        Some((Asset::new(base.as_bytes())?, Asset::new(q.as_bytes())?))
    })
}

impl Series {
    /// A series from candles in memory (sorted, one timeframe); gaps are
    /// found here. Errors on an unknown quote asset or unsorted candles.
    pub fn new(
        symbol: &str,
        timeframe: Timeframe,
        candles: Vec<Candle>,
        source: &str,
    ) -> Result<Series, BacktestError> {
        let (base, quote) = split_symbol(symbol).ok_or_else(|| {
            BacktestError::Name(format!(
                "symbol {symbol:?}: no known quote asset at its end (known: {})",
                KNOWN_QUOTES.join(", ")
            ))
        })?;
        let sym = Symbol::new(symbol.as_bytes())
            .ok_or_else(|| BacktestError::Name(format!("bad symbol name {symbol:?}")))?;
        let mut det = GapDetector::new(timeframe);
        let mut gaps = Vec::new();
        for c in &candles {
            if c.timeframe != timeframe {
                return Err(BacktestError::Series(format!(
                    "{source}: a {} candle in a {} series",
                    c.timeframe.label(),
                    timeframe.label()
                )));
            }
            match det.check(c.open_time_ms) {
                Step::First | Step::Next => {}
                Step::Gap(g) => gaps.push(g),
                Step::NotAfter { previous_ms } => {
                    return Err(BacktestError::Series(format!(
                        "{source}: candle at {} is not after {previous_ms}",
                        c.open_time_ms
                    )))
                }
            }
        }
        Ok(Series {
            symbol: sym,
            base,
            quote,
            timeframe,
            candles,
            gaps,
            source: source.to_string(),
        })
    }

    /// The candles whose open time lies in `[from_ms, to_ms)`, as a new series.
    pub fn window(&self, from_ms: i64, to_ms: i64) -> Series {
        let a = self.candles.partition_point(|c| c.open_time_ms < from_ms);
        let b = self.candles.partition_point(|c| c.open_time_ms < to_ms);
        let candles = self.candles[a..b].to_vec();
        let gaps = self
            .gaps
            .iter()
            .filter(|g| g.last_before_ms >= from_ms && g.first_after_ms < to_ms)
            .copied()
            .collect();
        Series {
            candles,
            gaps,
            source: self.source.clone(),
            ..*self
        }
    }
}

/// The symbol and timeframe a klines file name carries
/// (`binance_spot_BTCUSDT_1m_2025-05-20_2025-08-18.csv.gz` → BTCUSDT, 1m).
pub fn name_parts(path: &Path) -> (Option<String>, Option<Timeframe>) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut symbol = None;
    let mut tf = None;
    for tok in name.split(['_', '-', '.']) {
        if tf.is_none() {
            tf = Timeframe::from_label(tok);
        }
        let upper = tok.len() >= 5
            && tok
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if symbol.is_none() && upper && split_symbol(tok).is_some() {
            symbol = Some(tok.to_string());
        }
    }
    (symbol, tf)
}

/// Reads a klines file (either layout, gzip or plain). The symbol and
/// timeframe come from the arguments, else from the file name.
pub fn load_series(
    path: &Path,
    symbol: Option<&str>,
    timeframe: Option<Timeframe>,
) -> Result<Series, BacktestError> {
    let (name_sym, name_tf) = name_parts(path);
    let shown = path.display().to_string();
    let symbol = symbol.map(str::to_string).or(name_sym).ok_or_else(|| {
        BacktestError::Name(format!(
            "{shown}: cannot tell the symbol from the file name; pass --symbol"
        ))
    })?;
    let tf = timeframe.or(name_tf).ok_or_else(|| {
        BacktestError::Name(format!(
            "{shown}: cannot tell the timeframe from the file name; pass --timeframe"
        ))
    })?;
    let k = read_klines_file(path, tf).map_err(|e| BacktestError::Klines {
        path: shown.clone(),
        problem: e.to_string(),
    })?;
    if k.candles.is_empty() {
        return Err(BacktestError::Klines {
            path: shown,
            problem: "no candles".into(),
        });
    }
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(shown);
    let mut s = Series::new(&symbol, tf, Vec::new(), &file)?;
    s.candles = k.candles;
    s.gaps = k.gaps;
    Ok(s)
}

/// Binance spot BTCUSDT's filters as of 2025 (tick 0.01, step 0.00001,
/// minQty 0.00001, maxQty 9000, NOTIONAL ≥ 5 also for market orders, at most
/// 200 open orders and 5 stop orders), used for any symbol without an
/// exchangeInfo entry, with that symbol's name and assets.
pub fn default_symbol_info(symbol: &str, base: &str, quote: &str) -> SymbolInfo {
    let json = format!(
        r#"{{"symbol":"{symbol}","status":"TRADING","baseAsset":"{base}","baseAssetPrecision":8,
        "quoteAsset":"{quote}","quoteAssetPrecision":8,
        "orderTypes":["LIMIT","LIMIT_MAKER","MARKET","STOP_LOSS","STOP_LOSS_LIMIT","TAKE_PROFIT","TAKE_PROFIT_LIMIT"],
        "icebergAllowed":true,"ocoAllowed":true,"quoteOrderQtyMarketAllowed":true,
        "isSpotTradingAllowed":true,"isMarginTradingAllowed":true,"permissions":["SPOT"],
        "filters":[
          {{"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"}},
          {{"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"}},
          {{"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true,
            "maxNotional":"9000000.00000000","applyMaxToMarket":false,"avgPriceMins":5}},
          {{"filterType":"MAX_NUM_ORDERS","maxNumOrders":200}},
          {{"filterType":"MAX_NUM_ALGO_ORDERS","maxNumAlgoOrders":5}}]}}"#
    );
    serde_json::from_str(&json).expect("the built-in BTCUSDT filters parse")
}

/// Reads an exchangeInfo body (JSON, gzip or plain) and returns its symbols.
pub fn load_exchange_info(path: &Path) -> Result<Vec<SymbolInfo>, BacktestError> {
    use std::io::Read;
    let err = |problem: String| BacktestError::ExchangeInfo {
        path: path.display().to_string(),
        problem,
    };
    let raw = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| err(format!("gzip: {e}")))?;
        out
    } else {
        raw
    };
    decode_exchange_info(&bytes)
        .map(|x| x.symbols)
        .map_err(|e| err(e.to_string()))
}

/// How a backtest simulates the exchange and the account.
#[derive(Debug, Clone)]
pub struct BacktestConfig {
    /// Starting balance of the shared quote asset.
    pub initial_quote: Wide,
    /// Maker fee, a fraction scaled 10⁻⁸ (0.1 % = 100 000).
    pub maker_fee: Amount,
    /// Taker fee, same scale.
    pub taker_fee: Amount,
    /// Slippage of market and stop fills, basis points.
    pub slippage_bps: u32,
    /// The core's hard limits.
    pub risk: RiskLimits,
    /// Exchange filters per symbol; a symbol not listed gets
    /// [`default_symbol_info`].
    pub symbols: Vec<SymbolInfo>,
    /// Sell every position at its symbol's last close when the data ends
    /// (exit reason `end_of_data`), so that every trade is closed.
    pub close_at_end: bool,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig {
            initial_quote: Wide::from_int(i128::from(DEFAULT_INITIAL_QUOTE)).unwrap_or(Wide::ZERO),
            maker_fee: DEFAULT_FEE_RATE,
            taker_fee: DEFAULT_FEE_RATE,
            slippage_bps: 0,
            risk: RiskLimits::default(),
            symbols: Vec::new(),
            close_at_end: true,
        }
    }
}

/// Why a trade ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExitReason {
    /// The stop the stage set.
    StopLoss,
    /// The stop the core forced (per-trade loss limit).
    ForcedStop,
    /// The take-profit.
    TakeProfit,
    /// A sell the stage asked for.
    Signal,
    /// A kill switch flattened the position.
    KillSwitch,
    /// The data ended (closed at the last close).
    EndOfData,
}

impl ExitReason {
    /// Every reason, in order.
    pub const ALL: [ExitReason; 6] = [
        ExitReason::StopLoss,
        ExitReason::ForcedStop,
        ExitReason::TakeProfit,
        ExitReason::Signal,
        ExitReason::KillSwitch,
        ExitReason::EndOfData,
    ];

    /// A stable snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            ExitReason::StopLoss => "stop_loss",
            ExitReason::ForcedStop => "forced_stop",
            ExitReason::TakeProfit => "take_profit",
            ExitReason::Signal => "signal",
            ExitReason::KillSwitch => "kill_switch",
            ExitReason::EndOfData => "end_of_data",
        }
    }
}

/// One closed round trip (flat → long → flat) of one symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRecord {
    /// The symbol.
    pub symbol: Symbol,
    /// First entry fill, ms.
    pub entry_ms: i64,
    /// Last exit fill, ms.
    pub exit_ms: i64,
    /// Buy fills.
    pub entries: u32,
    /// Sell fills.
    pub exits: u32,
    /// Base bought in total.
    pub qty: Wide,
    /// Quote paid for it, fees included.
    pub cost: Wide,
    /// Quote received for it, fees deducted.
    pub proceeds: Wide,
    /// Fees of the trade, quote.
    pub fees: Wide,
    /// Average entry price (quote paid before fees / base bought).
    pub avg_entry: Price,
    /// Average exit price (quote received before fees / base sold).
    pub avg_exit: Price,
    /// Net profit: `proceeds − cost`.
    pub profit: Wide,
    /// Equity when the trade opened.
    pub equity_at_entry: Wide,
    /// Why it ended.
    pub exit_reason: ExitReason,
    /// The stage's regime when it opened.
    pub regime: Option<RegimeKind>,
}

/// Counters of the simulation.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Intents the stage asked for.
    pub intents: u64,
    /// Cancel-alls the stage asked for.
    pub cancel_alls: u64,
    /// Refused by a hard limit.
    pub refused_risk: u64,
    /// Refused by an exchange filter.
    pub refused_filter: u64,
    /// Refused: not enough free quote.
    pub refused_balance: u64,
    /// Refused: a sell without a position (spot cannot short).
    pub refused_no_position: u64,
    /// Refused: [`MAX_RESTING_ORDERS`] reached.
    pub refused_capacity: u64,
    /// Orders placed (market and limit).
    pub orders_placed: u64,
    /// Fills booked.
    pub fills: u64,
    /// Market fills that found too little free quote at the open (dropped).
    pub fills_refused_balance: u64,
    /// Fills the portfolio refused (an arithmetic overflow: a bug if any).
    pub fills_refused_portfolio: u64,
    /// Orders cancelled by the driver (exits, kill switch, end of data).
    pub orders_cancelled: u64,
    /// Stops the core forced.
    pub forced_stops: u64,
    /// Kill switches tripped.
    pub kills: u64,
    /// Actions the engine dropped (a full buffer: a bug if any).
    pub actions_overflowed: u64,
}

/// A snapshot of the stage-independent results of a run.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The series' symbols, timeframes, sources, gaps and price range.
    pub series: Vec<SeriesSummary>,
    /// Candles fed.
    pub candles: u64,
    /// Candles per regime (index: [`RegimeKind::ALL`], then unknown).
    pub regimes: [u64; 6],
    /// Closed trades.
    pub trades: Vec<TradeRecord>,
    /// Equity at the close of every time step: (close ms, quote).
    pub equity: Vec<(i64, Wide)>,
    /// Starting equity.
    pub equity_start: Wide,
    /// Final equity.
    pub equity_end: Wide,
    /// Fees paid, quote.
    pub fees_paid: Wide,
    /// Fills as (symbol index, ms, side, price, qty), for the price chart.
    pub fills: Vec<(usize, i64, Side, Price, Qty)>,
    /// Counters.
    pub counters: Counters,
    /// Seconds the simulation loop took (not the file decoding).
    pub run_s: f64,
    /// Of `run_s`, the seconds inside the engine's candle input: the
    /// indicators, the aggregation and the decision stage (the plugins).
    /// The rest of `run_s` is the simulator's own work: matching, fills,
    /// accounting, the equity curve. Measured with the TSC (two reads per
    /// candle), scaled by the loop's wall time.
    pub engine_s: f64,
    /// The quote asset.
    pub quote: Asset,
    /// Engine counters: candle decisions taken.
    pub decisions: u64,
    /// The first refusal of each distinct kind, with its reason (at most
    /// [`MAX_REFUSAL_EXAMPLES`]), so a run without trades says why.
    pub refusal_examples: Vec<String>,
    /// The first kill switch that tripped: (ms, reason, action), if any.
    /// Trading stays stopped (except reductions) for the rest of the run, as
    /// live until an operator resumes.
    pub kill: Option<(i64, &'static str, &'static str)>,
}

/// One series as the report shows it.
#[derive(Debug, Clone)]
pub struct SeriesSummary {
    /// The symbol.
    pub symbol: Symbol,
    /// The timeframe.
    pub timeframe: Timeframe,
    /// The file.
    pub source: String,
    /// Candles.
    pub candles: u64,
    /// First open, ms.
    pub start_ms: i64,
    /// Last close, ms.
    pub end_ms: i64,
    /// First candle's open price.
    pub first_open: Price,
    /// Last candle's close price.
    pub last_close: Price,
    /// Gaps.
    pub gaps: Vec<Gap>,
}

/// What kind of order rests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Market,
    Limit,
}

#[derive(Debug, Clone, Copy)]
struct Order {
    sym: usize,
    side: Side,
    kind: Kind,
    qty: Qty,
    price: Price,
    stop: Option<Price>,
    forced: bool,
    take_profit: Option<Price>,
    tag: u32,
    /// Quote moved from free to locked for this order.
    reserved: Wide,
    /// Placed at the last close: this candle is its first.
    fresh: bool,
    /// The exit reason of a sell.
    reason: ExitReason,
}

#[derive(Debug, Clone, Copy)]
struct OpenTrade {
    entry_ms: i64,
    entries: u32,
    exits: u32,
    qty: Wide,
    cost: Wide,
    cost_before_fees: Wide,
    proceeds: Wide,
    proceeds_before_fees: Wide,
    sold: Wide,
    fees: Wide,
    equity_at_entry: Wide,
    regime: Option<RegimeKind>,
}

struct SymState {
    symbol: Symbol,
    base: Asset,
    info: SymbolInfo,
    tick: Price,
    last_close: Option<Price>,
    stop: Option<(Price, bool)>,
    take_profit: Option<Price>,
    trade: Option<OpenTrade>,
}

/// A fill about to be booked.
#[derive(Clone, Copy)]
struct Exec {
    sym: usize,
    side: Side,
    price: Price,
    qty: Qty,
    liq: Liquidity,
    tag: u32,
    stop: Option<Price>,
    forced: bool,
    take_profit: Option<Price>,
    reason: ExitReason,
    reserved: Wide,
    ms: i64,
}

/// The simulation state of one run.
struct Sim<'a, D: Decide> {
    cfg: &'a BacktestConfig,
    engine: Engine<D>,
    guard: RiskGuard,
    pf: Portfolio,
    quote: Asset,
    syms: Vec<SymState>,
    orders: Vec<Order>,
    actions: Actions,
    trades: Vec<TradeRecord>,
    fills: Vec<(usize, i64, Side, Price, Qty)>,
    fees_paid: Wide,
    counters: Counters,
    regimes: [u64; 6],
    day: i64,
    peak: Wide,
    closed: ClosedStats,
    kill: Option<(i64, &'static str, &'static str)>,
    refusals: Vec<String>,
}

/// Running sums over closed trades (for the account view, without a scan).
#[derive(Debug, Default, Clone, Copy)]
struct ClosedStats {
    wins: u32,
    losses: u32,
    win_sum_e8: i128,
    loss_sum_e8: i128,
}

fn wide_to_qty(w: Wide) -> Qty {
    i64::try_from(w.units())
        .ok()
        .and_then(|u| Qty::from_units(u).ok())
        .unwrap_or(Qty::ZERO)
}

fn regime_index(r: Option<RegimeKind>) -> usize {
    r.map_or(5, |r| r as usize)
}

impl<D: Decide> Sim<'_, D> {
    fn equity(&self) -> Wide {
        let syms = &self.syms;
        self.pf
            .equity(&self.quote, |s| {
                syms.iter()
                    .find(|x| x.symbol == *s)
                    .and_then(|x| x.last_close)
            })
            .unwrap_or(Wide::ZERO)
    }

    fn position(&self, sym: usize) -> Wide {
        self.pf
            .position(&self.syms[sym].symbol)
            .map_or(Wide::ZERO, |p| p.qty)
    }

    fn open_orders_of(&self, sym: usize) -> (u32, u32) {
        let s = &self.syms[sym];
        let algo = u32::from(s.stop.is_some()) + u32::from(s.take_profit.is_some());
        let n = self.orders.iter().filter(|o| o.sym == sym).count() as u32;
        (n + algo, algo)
    }

    fn open_orders_total(&self) -> u32 {
        let algo: u32 = self
            .syms
            .iter()
            .map(|s| u32::from(s.stop.is_some()) + u32::from(s.take_profit.is_some()))
            .sum();
        self.orders.len() as u32 + algo
    }

    fn account(&self, sym: usize) -> AccountView {
        let pos = self.pf.position(&self.syms[sym].symbol);
        let equity = self.equity();
        let (open, _) = self.open_orders_of(sym);
        let (w, l) = (self.closed.wins, self.closed.losses);
        AccountView {
            position_qty: pos.map_or(Wide::ZERO, |p| p.qty),
            avg_entry: pos.and_then(|p| p.average_entry()).unwrap_or(Price::ZERO),
            equity,
            peak_equity: self.peak.max(equity),
            free_quote: self.pf.balance(&self.quote).free,
            open_orders: open,
            closed_trades: self.trades.len() as u32,
            wins: w,
            avg_win_e8: i64::try_from(self.closed.win_sum_e8 / i128::from(w.max(1))).unwrap_or(0),
            avg_loss_e8: i64::try_from(self.closed.loss_sum_e8 / i128::from(l.max(1))).unwrap_or(0),
        }
    }

    fn fee_rate(&self, liq: Liquidity) -> Amount {
        match liq {
            Liquidity::Maker => self.cfg.maker_fee,
            Liquidity::Taker => self.cfg.taker_fee,
        }
    }

    /// Moves `amount` of quote between free and locked (`lock`: free → locked).
    fn lock(&mut self, amount: Wide, lock: bool) {
        if amount.is_zero() {
            return;
        }
        let mut b: Balance = self.pf.balance(&self.quote);
        let (from, to) = if lock {
            (&mut b.free, &mut b.locked)
        } else {
            (&mut b.locked, &mut b.free)
        };
        keep_on_overflow(from, |v| v.checked_sub(amount));
        keep_on_overflow(to, |v| v.checked_add(amount));
        let _ = self.pf.set_balance(self.quote, b);
    }

    fn cancel_where(&mut self, pred: impl Fn(&Order) -> bool) {
        let mut i = 0;
        while i < self.orders.len() {
            if pred(&self.orders[i]) {
                let o = self.orders.remove(i);
                self.lock(o.reserved, false);
                self.counters.orders_cancelled += 1;
            } else {
                i += 1;
            }
        }
    }

    /// Books one fill; `false` when it could not be booked.
    fn book(&mut self, e: Exec, out_of_candle: bool) -> bool {
        let s = &self.syms[e.sym];
        let (symbol, base) = (s.symbol, s.base);
        self.lock(e.reserved, false);
        let mut qty = e.qty;
        if e.side == Side::Sell {
            qty = qty.min(wide_to_qty(self.position(e.sym)));
            if qty.is_zero() {
                return false;
            }
        }
        let notional = e
            .price
            .notional_wide(qty, Rounding::HalfEven)
            .unwrap_or(Wide::MAX);
        let rate = self.fee_rate(e.liq);
        let fee = notional
            .mul_ratio(i128::from(rate.units()), i128::from(SCALE), Rounding::Up)
            .unwrap_or(Wide::MAX);
        if e.side == Side::Buy {
            let need = notional.checked_add(fee).unwrap_or(Wide::MAX);
            if need > self.pf.balance(&self.quote).free {
                self.counters.fills_refused_balance += 1;
                return false;
            }
        }
        let regime_now = self.engine.decide().regime(&symbol);
        let equity_before = self.equity();
        let f = Fill {
            symbol,
            base,
            quote: self.quote,
            side: e.side,
            qty,
            price: e.price,
            commission: wide_to_qty(fee),
            commission_asset: Some(self.quote),
        };
        if self.pf.apply_fill(&f).is_err() {
            self.counters.fills_refused_portfolio += 1;
            return false;
        }
        self.counters.fills += 1;
        keep_on_overflow(&mut self.fees_paid, |v| v.checked_add(fee));
        self.fills.push((e.sym, e.ms, e.side, e.price, qty));
        let q = Wide::from(Amount::from(qty));
        let sym = &mut self.syms[e.sym];
        match e.side {
            Side::Buy => {
                let t = sym.trade.get_or_insert(OpenTrade {
                    entry_ms: e.ms,
                    entries: 0,
                    exits: 0,
                    qty: Wide::ZERO,
                    cost: Wide::ZERO,
                    cost_before_fees: Wide::ZERO,
                    proceeds: Wide::ZERO,
                    proceeds_before_fees: Wide::ZERO,
                    sold: Wide::ZERO,
                    fees: Wide::ZERO,
                    equity_at_entry: equity_before,
                    regime: regime_now,
                });
                t.entries += 1;
                keep_on_overflow(&mut t.qty, |v| v.checked_add(q));
                keep_on_overflow(&mut t.cost_before_fees, |v| v.checked_add(notional));
                keep_on_overflow(&mut t.cost, |v| {
                    v.checked_add(notional).and_then(|c| c.checked_add(fee))
                });
                keep_on_overflow(&mut t.fees, |v| v.checked_add(fee));
                if let Some(s) = e.stop {
                    sym.stop = Some((s, e.forced));
                }
                if let Some(tp) = e.take_profit {
                    sym.take_profit = Some(tp);
                }
            }
            Side::Sell => {
                if let Some(t) = sym.trade.as_mut() {
                    t.exits += 1;
                    keep_on_overflow(&mut t.sold, |v| v.checked_add(q));
                    keep_on_overflow(&mut t.proceeds_before_fees, |v| v.checked_add(notional));
                    keep_on_overflow(&mut t.proceeds, |v| {
                        v.checked_add(notional).and_then(|p| p.checked_sub(fee))
                    });
                    keep_on_overflow(&mut t.fees, |v| v.checked_add(fee));
                }
            }
        }
        let flat = self.position(e.sym).is_zero();
        if flat && e.side == Side::Sell {
            let sym = &mut self.syms[e.sym];
            sym.stop = None;
            sym.take_profit = None;
            if let Some(t) = sym.trade.take() {
                let avg = |v: Wide, q: Wide| {
                    crate::num::decimal::div_round(
                        v.units().saturating_mul(crate::num::decimal::SCALE_I128),
                        q.units().max(1),
                        Rounding::HalfEven,
                    )
                    .ok()
                    .and_then(|u| i64::try_from(u).ok())
                    .and_then(|u| Price::from_units(u).ok())
                    .unwrap_or(Price::ZERO)
                };
                let profit = t.proceeds.checked_sub(t.cost).unwrap_or(Wide::ZERO);
                let r = ratio_e8(profit, t.cost);
                if profit.units() > 0 {
                    self.closed.wins += 1;
                    self.closed.win_sum_e8 += r;
                } else if profit.units() < 0 {
                    self.closed.losses += 1;
                    self.closed.loss_sum_e8 -= r;
                }
                self.trades.push(TradeRecord {
                    symbol,
                    entry_ms: t.entry_ms,
                    exit_ms: e.ms,
                    entries: t.entries,
                    exits: t.exits,
                    qty: t.qty,
                    cost: t.cost,
                    proceeds: t.proceeds,
                    fees: t.fees,
                    avg_entry: avg(t.cost_before_fees, t.qty),
                    avg_exit: avg(t.proceeds_before_fees, t.sold),
                    profit,
                    equity_at_entry: t.equity_at_entry,
                    exit_reason: e.reason,
                    regime: t.regime,
                });
            }
            if matches!(
                e.reason,
                ExitReason::StopLoss
                    | ExitReason::ForcedStop
                    | ExitReason::TakeProfit
                    | ExitReason::KillSwitch
            ) {
                // An exit by the driver ends the trade's other entries too.
                let s = e.sym;
                self.cancel_where(|o| o.sym == s && o.side == Side::Buy);
            }
        }
        let account = self.account(e.sym);
        let view = FillView {
            symbol,
            now_ns: (e.ms.max(0) as u64).saturating_mul(NS_PER_MS as u64),
            side: e.side,
            price: e.price,
            qty,
            fee_quote: fee,
            tag: e.tag,
            account,
        };
        let _ = out_of_candle;
        self.engine.decide_mut().on_fill(&view, &mut self.actions);
        true
    }

    fn exec_order(&mut self, idx: usize, price: Price, liq: Liquidity, ms: i64) {
        let o = self.orders.remove(idx);
        self.book(
            Exec {
                sym: o.sym,
                side: o.side,
                price,
                qty: o.qty,
                liq,
                tag: o.tag,
                stop: o.stop,
                forced: o.forced,
                take_profit: o.take_profit,
                reason: o.reason,
                reserved: o.reserved,
                ms,
            },
            false,
        );
    }

    fn exec_protective(
        &mut self,
        sym: usize,
        price: Price,
        liq: Liquidity,
        reason: ExitReason,
        ms: i64,
    ) {
        let qty = wide_to_qty(self.position(sym));
        self.book(
            Exec {
                sym,
                side: Side::Sell,
                price,
                qty,
                liq,
                tag: 0,
                stop: None,
                forced: false,
                take_profit: None,
                reason,
                reserved: Wide::ZERO,
                ms,
            },
            false,
        );
    }

    /// Matches everything resting for `sym` against candle `c`.
    fn match_candle(&mut self, sym: usize, c: &Candle) {
        let ms = c.open_time_ms;
        let tick = self.syms[sym].tick;
        let bps = self.cfg.slippage_bps;
        // 1. Market orders at the open, in the order placed.
        let mut i = 0;
        while i < self.orders.len() {
            let o = self.orders[i];
            if o.sym == sym && o.kind == Kind::Market {
                let (p, liq) = fill::market(c, o.side == Side::Buy, bps, tick);
                self.exec_order(i, p, liq, ms);
            } else {
                i += 1;
            }
        }
        // 2. What the open already crossed: the stop first (conservative),
        //    then resting buys, then the take-profit and resting sells.
        if !self.position(sym).is_zero() {
            if let Some((s, forced)) = self.syms[sym].stop {
                if let Some((p, liq)) = fill::stop_at_open(c, s, bps, tick) {
                    self.exec_protective(sym, p, liq, stop_reason(forced), ms);
                }
            }
        }
        let mut i = 0;
        while i < self.orders.len() {
            let o = self.orders[i];
            let hit = match (o.sym == sym, o.side) {
                (true, Side::Buy) => fill::buy_limit_at_open(c, o.price, o.fresh),
                _ => None,
            };
            match hit {
                Some((p, liq)) => self.exec_order(i, p, liq, ms),
                None => i += 1,
            }
        }
        if !self.position(sym).is_zero() {
            if let Some(t) = self.syms[sym].take_profit {
                if let Some((p, liq)) = fill::take_profit_at_open(c, t) {
                    self.exec_protective(sym, p, liq, ExitReason::TakeProfit, ms);
                }
            }
        }
        let mut i = 0;
        while i < self.orders.len() {
            let o = self.orders[i];
            let hit = match (o.sym == sym, o.side) {
                (true, Side::Sell) => fill::sell_limit_at_open(c, o.price, o.fresh),
                _ => None,
            };
            match hit {
                Some((p, liq)) => self.exec_order(i, p, liq, ms),
                None => i += 1,
            }
        }
        // 3. Down to the low: the highest level first; a stop before a buy at
        //    the same level. A stop set by a fill on the way fills at most at
        //    the price the path has reached.
        let mut cur = c.open;
        for _ in 0..MAX_FILLS_PER_CANDLE {
            let mut best: Option<(Price, Option<usize>)> = None;
            if !self.position(sym).is_zero() {
                if let Some((s, _)) = self.syms[sym].stop {
                    if c.low <= s {
                        best = Some((s.min(cur), None));
                    }
                }
            }
            for (k, o) in self.orders.iter().enumerate() {
                if o.sym == sym && o.side == Side::Buy && o.kind == Kind::Limit && c.low <= o.price
                {
                    let level = o.price.min(cur);
                    if best.is_none_or(|(b, _)| level > b) {
                        best = Some((level, Some(k)));
                    }
                }
            }
            let Some((level, which)) = best else { break };
            cur = level;
            match which {
                None => {
                    let forced = self.syms[sym].stop.is_some_and(|(_, f)| f);
                    let (p, liq) = fill::stop_touched(c, level, bps, tick)
                        .unwrap_or((level, Liquidity::Taker));
                    self.exec_protective(sym, p, liq, stop_reason(forced), ms);
                }
                Some(k) => {
                    let (p, liq) = fill::buy_limit_touched(c, self.orders[k].price)
                        .unwrap_or((level, Liquidity::Maker));
                    self.exec_order(k, p, liq, ms);
                }
            }
        }
        // 4. Up to the high: the lowest level first.
        for _ in 0..MAX_FILLS_PER_CANDLE {
            let mut best: Option<(Price, Option<usize>)> = None;
            if !self.position(sym).is_zero() {
                if let Some(t) = self.syms[sym].take_profit {
                    if c.high >= t {
                        best = Some((t, None));
                    }
                }
            }
            for (k, o) in self.orders.iter().enumerate() {
                if o.sym == sym
                    && o.side == Side::Sell
                    && o.kind == Kind::Limit
                    && c.high >= o.price
                    && best.is_none_or(|(b, _)| o.price < b)
                {
                    best = Some((o.price, Some(k)));
                }
            }
            let Some((level, which)) = best else { break };
            match which {
                None => {
                    let (p, liq) =
                        fill::sell_touched(c, level).unwrap_or((level, Liquidity::Maker));
                    self.exec_protective(sym, p, liq, ExitReason::TakeProfit, ms);
                }
                Some(k) => {
                    let (p, liq) =
                        fill::sell_touched(c, level).unwrap_or((level, Liquidity::Maker));
                    self.exec_order(k, p, liq, ms);
                }
            }
        }
        for o in self.orders.iter_mut().filter(|o| o.sym == sym) {
            o.fresh = false;
        }
        // A sell limit left without a position has nothing to sell.
        if self.position(sym).is_zero() {
            self.cancel_where(|o| o.sym == sym && o.side == Side::Sell);
        }
    }

    /// Admits and places one intent of the stage.
    fn place(&mut self, intent: &OrderIntent) {
        self.counters.intents += 1;
        let Some(sym) = self.syms.iter().position(|s| s.symbol == intent.symbol) else {
            self.counters.refused_filter += 1;
            return;
        };
        let pos = self.position(sym);
        if intent.side == Side::Sell {
            let resting: i128 = self
                .orders
                .iter()
                .filter(|o| o.sym == sym && o.side == Side::Sell)
                .map(|o| i128::from(o.qty.units()))
                .sum();
            if i128::from(intent.qty.units()) + resting > pos.units() {
                self.counters.refused_no_position += 1;
                return;
            }
        }
        if self.orders.len() >= MAX_RESTING_ORDERS {
            self.counters.refused_capacity += 1;
            return;
        }
        let close = self.syms[sym].last_close;
        let (open_sym, algo_sym) = self.open_orders_of(sym);
        let open_buys: i128 = self
            .orders
            .iter()
            .filter(|o| o.sym == sym && o.side == Side::Buy)
            .map(|o| i128::from(o.qty.units()))
            .sum();
        let exposure = Exposure {
            equity: self.equity(),
            position_qty: pos,
            open_orders: self.open_orders_total(),
        };
        let ctx = FilterContext {
            avg_price: close,
            last_price: close,
            open_orders: open_sym,
            open_algo_orders: algo_sym,
            open_iceberg_orders: 0,
            position: Some(wide_to_qty(Wide::from_units_unchecked(
                pos.units().saturating_add(open_buys),
            ))),
            price_rounding: None,
        };
        let forced_before = self.guard.forced_stops;
        let a = match admit(
            &mut self.guard,
            &self.syms[sym].info,
            intent,
            &exposure,
            &ctx,
        ) {
            Ok(a) => a,
            Err(e) => {
                match &e {
                    AdmitError::Risk(_) => self.counters.refused_risk += 1,
                    AdmitError::Filter(_) => self.counters.refused_filter += 1,
                }
                self.remember_refusal(&e);
                return;
            }
        };
        if self.guard.forced_stops != forced_before {
            self.counters.forced_stops += 1;
        }
        let kind = match intent.kind {
            OrderKind::Market => Kind::Market,
            OrderKind::Limit => Kind::Limit,
        };
        let mut reserved = Wide::ZERO;
        if intent.side == Side::Buy {
            let reference = match kind {
                Kind::Limit => a.price,
                Kind::Market => fill::slipped(
                    close.unwrap_or(a.price),
                    self.cfg.slippage_bps,
                    true,
                    self.syms[sym].tick,
                ),
            };
            let notional = reference
                .notional_wide(a.qty, Rounding::Up)
                .unwrap_or(Wide::MAX);
            let fee = notional
                .mul_ratio(
                    i128::from(self.cfg.taker_fee.units().max(self.cfg.maker_fee.units())),
                    i128::from(SCALE),
                    Rounding::Up,
                )
                .unwrap_or(Wide::MAX);
            reserved = notional.checked_add(fee).unwrap_or(Wide::MAX);
            if reserved > self.pf.balance(&self.quote).free {
                self.counters.refused_balance += 1;
                return;
            }
            self.lock(reserved, true);
        }
        self.counters.orders_placed += 1;
        self.orders.push(Order {
            sym,
            side: intent.side,
            kind,
            qty: a.qty,
            price: a.price,
            stop: a.stop,
            forced: a.forced_stop,
            take_profit: a.take_profit,
            tag: intent.tag,
            reserved,
            fresh: true,
            reason: ExitReason::Signal,
        });
    }

    /// Keeps the first refusal of each rule or filter (cold path: only
    /// refusals allocate).
    fn remember_refusal(&mut self, e: &AdmitError) {
        let key = match e {
            AdmitError::Risk(r) => format!("{:?}", r.rule),
            AdmitError::Filter(f) => f.filter.to_string(),
        };
        if self.refusals.len() < MAX_REFUSAL_EXAMPLES
            && !self.refusals.iter().any(|x| x.starts_with(&key))
        {
            self.refusals.push(format!("{key}: {e}"));
        }
    }

    fn drain_actions(&mut self) {
        self.counters.actions_overflowed += self.actions.overflowed;
        self.actions.overflowed = 0;
        let n = self.actions.as_slice().len();
        for k in 0..n {
            match self.actions.as_slice()[k] {
                Action::Intent(i) => self.place(&i),
                // The stage's cancel-all: its resting limit orders (a market
                // order is never open on the exchange; the protective stop
                // belongs to the position, not to the stage's orders).
                Action::CancelAll { symbol } => {
                    if let Some(s) = self.syms.iter().position(|x| x.symbol == symbol) {
                        self.counters.cancel_alls += 1;
                        self.cancel_where(|o| o.sym == s && o.kind == Kind::Limit);
                    }
                }
                Action::RequestSnapshot { .. } => {}
            }
        }
        self.actions.clear();
    }

    /// The end of a time step: equity, the day's baseline, kill switches.
    fn end_step(&mut self, close_ms: i64, equity_out: &mut Vec<(i64, Wide)>) {
        let eq = self.equity();
        let day = close_ms.div_euclid(MS_PER_DAY);
        if day != self.day {
            self.day = day;
            self.guard.new_day(eq);
        }
        equity_out.push((close_ms, eq));
        self.peak = self.peak.max(eq);
        if let Ok(Some((reason, action))) = self.guard.on_equity(eq) {
            self.counters.kills += 1;
            let act = match action {
                KillAction::CancelAll => "cancel_all",
                KillAction::Flatten => "flatten",
                KillAction::Halt => "halt",
            };
            self.kill.get_or_insert((close_ms, reason.name(), act));
            self.cancel_where(|_| true);
            if action == KillAction::Flatten {
                for s in 0..self.syms.len() {
                    let q = wide_to_qty(self.position(s));
                    if !q.is_zero() {
                        self.orders.push(Order {
                            sym: s,
                            side: Side::Sell,
                            kind: Kind::Market,
                            qty: q,
                            price: self.syms[s].last_close.unwrap_or(Price::ZERO),
                            stop: None,
                            forced: false,
                            take_profit: None,
                            tag: 0,
                            reserved: Wide::ZERO,
                            fresh: true,
                            reason: ExitReason::KillSwitch,
                        });
                    }
                }
            }
        }
    }
}

fn stop_reason(forced: bool) -> ExitReason {
    if forced {
        ExitReason::ForcedStop
    } else {
        ExitReason::StopLoss
    }
}

/// `a / b` as a fraction scaled 10⁻⁸ (0 when `b` is 0).
fn ratio_e8(a: Wide, b: Wide) -> i128 {
    if b.is_zero() {
        return 0;
    }
    crate::num::decimal::div_round(
        a.units().saturating_mul(crate::num::decimal::SCALE_I128),
        b.units(),
        Rounding::HalfEven,
    )
    .unwrap_or(0)
}

/// Checks that the series can share one account.
fn check_series(series: &[Series]) -> Result<Asset, BacktestError> {
    let first = series
        .first()
        .ok_or_else(|| BacktestError::Series("no klines given".into()))?;
    if series.len() > MAX_SERIES {
        return Err(BacktestError::Series(format!(
            "{} series, at most {MAX_SERIES}",
            series.len()
        )));
    }
    for s in series {
        if s.quote != first.quote {
            return Err(BacktestError::Series(format!(
                "{} is quoted in {} but {} in {}: one run shares one quote account",
                s.symbol.as_str(),
                s.quote.as_str(),
                first.symbol.as_str(),
                first.quote.as_str()
            )));
        }
        if series.iter().filter(|x| x.symbol == s.symbol).count() > 1 {
            return Err(BacktestError::Series(format!(
                "{} given twice: pass each symbol's klines once",
                s.symbol.as_str()
            )));
        }
    }
    Ok(first.quote)
}

/// Replaces `x` with `op(x)`, or keeps `x` when the arithmetic overflowed
/// (`Err`): the accounting's sums never wrap; an amount that large is
/// already wrong and shows in the report.
#[inline]
fn keep_on_overflow<E>(x: &mut Wide, op: impl FnOnce(Wide) -> Result<Wide, E>) {
    if let Ok(v) = op(*x) {
        *x = v;
    }
}

/// What a run hands back: the results and the decision stage.
pub struct Outcome<D> {
    /// The results.
    pub result: RunResult,
    /// The decision stage after the run.
    pub stage: D,
}

/// Runs one backtest of `stage` over `series` (one account, one engine).
/// `progress` is called with the candles done so far every
/// [`PROGRESS_EVERY`] candles.
pub fn run<D: Decide>(
    series: &[Series],
    cfg: &BacktestConfig,
    stage: D,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome<D>, BacktestError> {
    let quote = check_series(series)?;
    let mut pf = Portfolio::new();
    pf.set_balance(
        quote,
        Balance {
            free: cfg.initial_quote,
            locked: Wide::ZERO,
        },
    )
    .map_err(|e| BacktestError::Portfolio(e.to_string()))?;
    let mut engine = Engine::new(stage, BookConfig::default());
    let syms = series
        .iter()
        .map(|s| {
            engine.add_symbol(s.symbol);
            let info = cfg
                .symbols
                .iter()
                .find(|i| i.symbol == s.symbol.as_str())
                .cloned()
                .unwrap_or_else(|| {
                    default_symbol_info(s.symbol.as_str(), s.base.as_str(), s.quote.as_str())
                });
            let tick = info
                .price_filter()
                .map(|f| f.tick_size)
                .unwrap_or(Price::ZERO);
            SymState {
                symbol: s.symbol,
                base: s.base,
                info,
                tick,
                last_close: None,
                stop: None,
                take_profit: None,
                trade: None,
            }
        })
        .collect();
    let total: usize = series.iter().map(|s| s.candles.len()).sum();
    let mut sim = Sim {
        cfg,
        engine,
        guard: RiskGuard::new(cfg.risk),
        pf,
        quote,
        syms,
        orders: Vec::with_capacity(MAX_RESTING_ORDERS),
        actions: Actions::new(),
        trades: Vec::with_capacity(1024),
        fills: Vec::with_capacity(4096),
        fees_paid: Wide::ZERO,
        counters: Counters::default(),
        regimes: [0; 6],
        day: i64::MIN,
        peak: cfg.initial_quote,
        closed: ClosedStats::default(),
        kill: None,
        refusals: Vec::new(),
    };
    let equity_start = cfg.initial_quote;
    let mut equity = Vec::with_capacity(total + 1);
    let mut next = vec![0usize; series.len()];
    let started = std::time::Instant::now();
    let loop_t0 = ticks();
    let mut engine_ticks = 0u64;
    let mut done = 0u64;
    loop {
        // The series whose next candle closes first (ties: the first given).
        let mut pick: Option<(usize, i64)> = None;
        for (k, s) in series.iter().enumerate() {
            if let Some(c) = s.candles.get(next[k]) {
                let close = c.next_open_ms();
                if pick.is_none_or(|(_, t)| close < t) {
                    pick = Some((k, close));
                }
            }
        }
        let Some((k, close_ms)) = pick else { break };
        let c = series[k].candles[next[k]];
        next[k] += 1;
        sim.match_candle(k, &c);
        sim.syms[k].last_close = Some(c.close);
        let account = sim.account(k);
        sim.engine.set_account(series[k].symbol, account);
        let t_in = ticks();
        sim.engine.on_input(
            &Input {
                now_ns: (close_ms.max(0) as u64).saturating_mul(NS_PER_MS as u64),
                event: Event::Candle {
                    symbol: series[k].symbol,
                    candle: c,
                },
            },
            &mut sim.actions,
            &mut NoProbe,
        );
        engine_ticks = engine_ticks.wrapping_add(ticks().wrapping_sub(t_in));
        sim.regimes[regime_index(sim.engine.decide().regime(&series[k].symbol))] += 1;
        sim.drain_actions();
        done += 1;
        // The time step ends when no other series has a candle closing now.
        let step_ends = series.iter().enumerate().all(|(j, s)| {
            s.candles
                .get(next[j])
                .is_none_or(|n| n.next_open_ms() != close_ms)
        });
        if step_ends {
            sim.end_step(close_ms, &mut equity);
        }
        if done % PROGRESS_EVERY == 0 {
            progress(done);
        }
    }
    if cfg.close_at_end {
        sim.cancel_where(|_| true);
        for (k, s) in series.iter().enumerate() {
            let q = wide_to_qty(sim.position(k));
            let (Some(last), false) = (s.candles.last(), q.is_zero()) else {
                continue;
            };
            let p = fill::slipped(last.close, cfg.slippage_bps, false, sim.syms[k].tick);
            sim.book(
                Exec {
                    sym: k,
                    side: Side::Sell,
                    price: p,
                    qty: q,
                    liq: Liquidity::Taker,
                    tag: 0,
                    stop: None,
                    forced: false,
                    take_profit: None,
                    reason: ExitReason::EndOfData,
                    reserved: Wide::ZERO,
                    ms: last.next_open_ms(),
                },
                true,
            );
        }
        sim.actions.clear();
        if let Some(last) = equity.last_mut() {
            last.1 = sim.equity();
        }
    }
    let run_s = started.elapsed().as_secs_f64();
    let loop_ticks = ticks().wrapping_sub(loop_t0);
    let engine_s = if loop_ticks > 0 {
        (run_s * engine_ticks as f64 / loop_ticks as f64).min(run_s)
    } else {
        0.0
    };
    progress(done);
    let equity_end = sim.equity();
    let summaries = series
        .iter()
        .map(|s| SeriesSummary {
            symbol: s.symbol,
            timeframe: s.timeframe,
            source: s.source.clone(),
            candles: s.candles.len() as u64,
            start_ms: s.candles.first().map_or(0, |c| c.open_time_ms),
            end_ms: s.candles.last().map_or(0, |c| c.next_open_ms()),
            first_open: s.candles.first().map_or(Price::ZERO, |c| c.open),
            last_close: s.candles.last().map_or(Price::ZERO, |c| c.close),
            gaps: s.gaps.clone(),
        })
        .collect();
    let decisions = sim.engine.stats().candle_decisions;
    let Sim {
        engine,
        trades,
        fills,
        fees_paid,
        counters,
        regimes,
        kill,
        refusals,
        ..
    } = sim;
    Ok(Outcome {
        result: RunResult {
            series: summaries,
            candles: done,
            regimes,
            trades,
            equity,
            equity_start,
            equity_end,
            fees_paid,
            fills,
            counters,
            run_s,
            engine_s,
            quote,
            decisions,
            kill,
            refusal_examples: refusals,
        },
        stage: engine.into_decide(),
    })
}

/// Distinct refusal reasons kept for the report.
pub const MAX_REFUSAL_EXAMPLES: usize = 10;

/// Candles between two progress callbacks.
pub const PROGRESS_EVERY: u64 = 1 << 16;
