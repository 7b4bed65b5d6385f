//! wit-bindgen glue for the `regime-plugin` world (wasm32 only).

use crate::logic::{Classifier, NAME, VERSION};
use kairos_plugin_sdk::runtime::GuestCell;

wit_bindgen::generate!({ path: "../../wit", world: "regime-plugin" });
kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; base);

use exports::kairos::plugin::regime_api;
use kairos::plugin::types::{Bar, Regime};

kairos_plugin_sdk::guest_runtime!();

static PLUGIN: GuestCell<Classifier> = GuestCell::new(Classifier::new());

struct Component;

kairos_plugin_sdk::lifecycle_guest!(Component, PLUGIN, NAME, VERSION);

impl regime_api::Guest for Component {
    fn classify(bar: Bar) -> Regime {
        PLUGIN.with_mut(|p| conv::regime_out(p.classify(&conv::bar(&bar))))
    }
}

export!(Component);
