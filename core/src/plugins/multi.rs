//! [`SymbolChains`]: one [`PluginChain`] per symbol behind one
//! [`Decide`] (plugin state is per symbol: a regime history or a DCA ladder
//! of BTCUSDT must not see ETHUSDT's candles). A backtest over several
//! klines files, or a bot trading several symbols, uses it.

use super::chain::PluginChain;
use super::{ChainFactory, Slot};
use crate::binance::fast::Symbol;
use crate::engine::{
    Actions, CandleView, Decide, FillView, MarketView, RegimeKind, TradeView, MAX_SYMBOLS,
};

/// A parameter override for one slot: `slot.name = value` (scaled 1e-8),
/// e.g. from a sweep grid's `risk.kelly_fraction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The slot.
    pub slot: Slot,
    /// The plugin's parameter name.
    pub name: String,
    /// The value, scaled 1e-8.
    pub value: i64,
}

impl Override {
    /// Parses `slot.name` (`regime`, `confidence`, `risk` or `strategy`
    /// before the first dot).
    pub fn parse(key: &str, value: i64) -> Result<Override, String> {
        let (slot, name) = key.split_once('.').ok_or_else(|| {
            format!("parameter `{key}`: expected SLOT.NAME, e.g. risk.kelly_fraction")
        })?;
        let slot = Slot::parse(slot).ok_or_else(|| {
            format!(
                "parameter `{key}`: `{slot}` is not a slot (regime, confidence, risk, strategy)"
            )
        })?;
        Ok(Override {
            slot,
            name: name.to_string(),
            value,
        })
    }
}

/// One plugin chain per symbol, made by a [`ChainFactory`] the first time a
/// symbol is seen (off the steady state: compilation happened once in the
/// factory; this only instantiates), with the overrides applied.
pub struct SymbolChains<'a> {
    factory: &'a ChainFactory,
    overrides: Vec<Override>,
    chains: Vec<PluginChain>,
    /// Chains that could not be made, or overrides a plugin refused: the
    /// symbol then gets no decisions (counted, with the last message).
    pub errors: u64,
    /// The last error's message.
    pub last_error: Option<String>,
}

impl std::fmt::Debug for SymbolChains<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SymbolChains")
            .field("symbols", &self.chains.len())
            .field("errors", &self.errors)
            .finish_non_exhaustive()
    }
}

impl<'a> SymbolChains<'a> {
    /// Chains from `factory`, each with `overrides` set after the
    /// configured parameters.
    pub fn new(factory: &'a ChainFactory, overrides: Vec<Override>) -> SymbolChains<'a> {
        SymbolChains {
            factory,
            overrides,
            chains: Vec::with_capacity(MAX_SYMBOLS),
            errors: 0,
            last_error: None,
        }
    }

    /// A chain for `symbol` with the overrides, or why not.
    pub fn make(
        factory: &ChainFactory,
        symbol: Symbol,
        overrides: &[Override],
    ) -> Result<PluginChain, String> {
        let mut chain = factory.make(Some(symbol))?;
        for o in overrides {
            let Some(p) = chain.plugin_mut(o.slot) else {
                return Err(format!(
                    "parameter `{}.{}`: no {} plugin is configured",
                    o.slot.name(),
                    o.name,
                    o.slot.name()
                ));
            };
            match p.set_param(&o.name, o.value) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(format!("{}.{}: {e}", o.slot.name(), o.name)),
                Err(kind) => {
                    return Err(format!(
                        "{}.{}: the plugin faulted ({kind:?})",
                        o.slot.name(),
                        o.name
                    ))
                }
            }
        }
        Ok(chain)
    }

    /// The chains made so far.
    pub fn chains(&self) -> &[PluginChain] {
        &self.chains
    }

    /// Each loaded slot's timing, summed over every chain (`max_*` the
    /// largest of any chain).
    pub fn costs(&self) -> Vec<(Slot, super::chain::Timing)> {
        let mut out = Vec::new();
        for slot in Slot::ALL {
            let mut t = super::chain::Timing::default();
            let mut any = false;
            for c in &self.chains {
                if c.plugin(slot).is_none() {
                    continue;
                }
                any = true;
                let x = c.timing(slot);
                t.calls += x.calls;
                t.total_ns += x.total_ns;
                t.max_ns = t.max_ns.max(x.max_ns);
                t.max_fuel = t.max_fuel.max(x.max_fuel);
                t.total_fuel += x.total_fuel;
            }
            if any {
                out.push((slot, t));
            }
        }
        out
    }

    /// Plugin faults, every chain.
    pub fn faults(&self) -> u64 {
        self.chains.iter().map(|c| c.stats().faults).sum()
    }

    fn chain(&mut self, symbol: Symbol) -> Option<&mut PluginChain> {
        if let Some(i) = self.chains.iter().position(|c| c.symbol() == Some(symbol)) {
            return self.chains.get_mut(i);
        }
        if self.chains.len() >= MAX_SYMBOLS {
            self.errors += 1;
            return None;
        }
        match Self::make(self.factory, symbol, &self.overrides) {
            Ok(c) => {
                self.chains.push(c);
                self.chains.last_mut()
            }
            Err(e) => {
                self.errors += 1;
                self.last_error = Some(format!("{}: {e}", symbol.as_str()));
                None
            }
        }
    }
}

impl Decide for SymbolChains<'_> {
    fn on_market(&mut self, view: &MarketView, out: &mut Actions) {
        if let Some(c) = self.chain(view.symbol) {
            c.on_market(view, out);
        }
    }

    fn on_trade(&mut self, trade: &TradeView, out: &mut Actions) {
        if let Some(c) = self.chain(trade.symbol) {
            c.on_trade(trade, out);
        }
    }

    fn on_candle(&mut self, view: &CandleView, out: &mut Actions) {
        if let Some(c) = self.chain(view.symbol) {
            c.on_candle(view, out);
        }
    }

    fn on_fill(&mut self, fill: &FillView, out: &mut Actions) {
        if let Some(c) = self.chain(fill.symbol) {
            c.on_fill(fill, out);
        }
    }

    fn regime(&self, symbol: &Symbol) -> Option<RegimeKind> {
        self.chains
            .iter()
            .find(|c| c.symbol() == Some(*symbol))
            .and_then(|c| c.regime(symbol))
    }
}
