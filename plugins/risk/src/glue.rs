//! wit-bindgen glue for the `risk-plugin` world (wasm32 only).

use crate::logic::{RiskManager, NAME, VERSION};
use alloc::vec::Vec;
use kairos_plugin_sdk::runtime::GuestCell;

wit_bindgen::generate!({ path: "../../wit", world: "risk-plugin", generate_unused_types: true });
kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; context);

use exports::kairos::plugin::risk_api;
use kairos::plugin::types::Risk;

kairos_plugin_sdk::guest_runtime!();

static PLUGIN: GuestCell<RiskManager> = GuestCell::new(RiskManager::new());

struct Component;

kairos_plugin_sdk::lifecycle_guest!(Component, PLUGIN, NAME, VERSION);

impl risk_api::Guest for Component {
    fn assess(ctx: Vec<i64>) -> Risk {
        PLUGIN.with_mut(|p| {
            conv::risk_out(p.assess(
                &conv::bar(&ctx),
                &conv::confidence(&ctx),
                &conv::account(&ctx),
                &conv::stats(&ctx),
            ))
        })
    }
}

export!(Component);
