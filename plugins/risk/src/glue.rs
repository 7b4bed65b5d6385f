//! wit-bindgen glue for the `risk-plugin` world (wasm32 only).

use crate::logic::{RiskManager, NAME, VERSION};
use kairos_plugin_sdk::runtime::GuestCell;

wit_bindgen::generate!({ path: "../../wit", world: "risk-plugin" });
kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; base, chain);

use exports::kairos::plugin::risk_api;
use kairos::plugin::types::{Account, Bar, Confidence, Regime, Risk, TradeStats};

kairos_plugin_sdk::guest_runtime!();

static PLUGIN: GuestCell<RiskManager> = GuestCell::new(RiskManager::new());

struct Component;

kairos_plugin_sdk::lifecycle_guest!(Component, PLUGIN, NAME, VERSION);

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
