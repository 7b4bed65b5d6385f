//! wit-bindgen glue for the `risk-plugin` world (wasm32 only).

use crate::logic::{RiskManager, NAME, VERSION};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use kairos_plugin_sdk::runtime::GuestCell;

wit_bindgen::generate!({ path: "../../wit", world: "risk-plugin" });
kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; base, chain);

use exports::kairos::plugin::{lifecycle, risk_api};
use kairos::plugin::types::{Account, Bar, Confidence, Info, Param, Regime, Risk, TradeStats};

kairos_plugin_sdk::guest_runtime!();

static PLUGIN: GuestCell<RiskManager> = GuestCell::new(RiskManager::new());

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

impl risk_api::Guest for Component {
    fn assess(
        bar: Bar,
        _regime: Regime,
        confidence: Confidence,
        account: Account,
        stats: TradeStats,
    ) -> Risk {
        PLUGIN.with_mut(|p| {
            conv::risk_out(p.assess(
                &conv::bar(&bar),
                &conv::confidence(&confidence),
                &conv::account(&account),
                &conv::stats(&stats),
            ))
        })
    }
}

export!(Component);
