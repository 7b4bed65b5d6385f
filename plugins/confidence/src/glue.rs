//! wit-bindgen glue for the `confidence-plugin` world (wasm32 only).

use crate::logic::{Scorer, NAME, VERSION};
use kairos_plugin_sdk::runtime::GuestCell;

wit_bindgen::generate!({ path: "../../wit", world: "confidence-plugin" });
kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; base, chain);

use exports::kairos::plugin::confidence_api;
use kairos::plugin::types::{Bar, Confidence, Decimal, Prediction, Regime, TrendVotes};

kairos_plugin_sdk::guest_runtime!();

static PLUGIN: GuestCell<Scorer> = GuestCell::new(Scorer::new());

struct Component;

kairos_plugin_sdk::lifecycle_guest!(Component, PLUGIN, NAME, VERSION);

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
