//! wit-bindgen glue for the `confidence-plugin` world (wasm32 only).

use crate::logic::{Scorer, NAME, VERSION};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use kairos_plugin_sdk::runtime::GuestCell;

wit_bindgen::generate!({ path: "../../wit", world: "confidence-plugin" });
kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; base, chain);

use exports::kairos::plugin::{confidence_api, lifecycle};
use kairos::plugin::types::{
    Bar, Confidence, Decimal, Info, Param, Prediction, Regime, TrendVotes,
};

kairos_plugin_sdk::guest_runtime!();

static PLUGIN: GuestCell<Scorer> = GuestCell::new(Scorer::new());

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

impl confidence_api::Guest for Component {
    fn score(
        bar: Bar,
        trend: TrendVotes,
        _regime: Regime,
        prediction: Prediction,
        sentiment: Decimal,
    ) -> Confidence {
        PLUGIN.with(|p| {
            conv::confidence_out(p.score(
                &conv::bar(&bar),
                &conv::votes(&trend),
                &conv::prediction(&prediction),
                sentiment,
            ))
        })
    }
}

export!(Component);
