//! wit-bindgen glue for the `regime-plugin` world (wasm32 only).

use crate::logic::{Classifier, NAME, VERSION};
use alloc::vec::Vec;
use kairos_plugin_sdk::runtime::GuestCell;

wit_bindgen::generate!({ path: "../../wit", world: "regime-plugin", generate_unused_types: true });
kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; context);

use exports::kairos::plugin::regime_api;
use kairos::plugin::types::Regime;

kairos_plugin_sdk::guest_runtime!();

static PLUGIN: GuestCell<Classifier> = GuestCell::new(Classifier::new());

struct Component;

kairos_plugin_sdk::lifecycle_guest!(Component, PLUGIN, NAME, VERSION);

impl regime_api::Guest for Component {
    fn classify(ctx: Vec<i64>) -> Regime {
        PLUGIN.with_mut(|p| conv::regime_out(p.classify(&conv::bar(&ctx))))
    }
}

export!(Component);
