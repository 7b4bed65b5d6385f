//! wit-bindgen glue for the `strategy-plugin` world (wasm32 only).

use crate::logic::{Strategy, NAME, VERSION};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use kairos_plugin_sdk::runtime::GuestCell;

wit_bindgen::generate!({ path: "../../wit", world: "strategy-plugin" });
kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; base, chain, strategy);

use exports::kairos::plugin::{lifecycle, strategy_api};
use kairos::plugin::types::{
    Account, Bar, Confidence, Fill, Info, Intent, Param, Regime, Risk, TopOfBook, Trade,
};

kairos_plugin_sdk::guest_runtime!();

static PLUGIN: GuestCell<Strategy> = GuestCell::new(Strategy::new());

struct Component;

impl lifecycle::Guest for Component {
    fn describe() -> Info {
        PLUGIN.with(|p| Info {
            name: NAME.to_string(),
            version: VERSION.to_string(),
            params: kairos_plugin_sdk::convert::param_rows(p.params())
                .map(|(name, value, description)| Param {
                    name,
                    value,
                    description,
                })
                .collect(),
        })
    }
    fn set_param(name: String, value: i64) -> Result<(), String> {
        PLUGIN.with_mut(|p| p.set_param(&name, value).map_err(|e| e.to_string()))
    }
    fn save_state() -> Vec<u8> {
        PLUGIN.with(|p| p.save_state())
    }
    fn load_state(state: Vec<u8>) -> Result<(), String> {
        PLUGIN.with_mut(|p| p.load_state(&state).map_err(|e| e.to_string()))
    }
}

impl strategy_api::Guest for Component {
    fn on_candle(
        bar: Bar,
        regime: Regime,
        confidence: Confidence,
        risk: Risk,
        account: Account,
    ) -> Vec<Intent> {
        PLUGIN.with_mut(|p| {
            let out = p.on_candle(
                &conv::bar(&bar),
                conv::regime(&regime).kind,
                &conv::confidence(&confidence),
                &conv::risk(&risk),
                &conv::account(&account),
            );
            // The WIT result is a list: the one allocation per call, and
            // none at all when there is nothing to do.
            out.as_slice().iter().map(conv::intent_out).collect()
        })
    }
    /// The reference strategy decides on closed candles only.
    fn on_book(_book: TopOfBook, _account: Account) -> Option<Intent> {
        None
    }
    /// The reference strategy decides on closed candles only.
    fn on_trade(_trade: Trade, _account: Account) -> Option<Intent> {
        None
    }
    fn on_fill(fill: Fill, account: Account) {
        PLUGIN.with_mut(|p| p.on_fill(&conv::fill(&fill), &conv::account(&account)))
    }
}

export!(Component);
