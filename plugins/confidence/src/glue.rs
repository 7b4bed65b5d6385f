//! wit-bindgen glue for the `confidence-plugin` world (wasm32 only).

use crate::logic::{Scorer, NAME, VERSION};
use alloc::vec::Vec;
use kairos_plugin_sdk::runtime::GuestCell;

wit_bindgen::generate!({ path: "../../wit", world: "confidence-plugin", generate_unused_types: true });
kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; context);

use exports::kairos::plugin::confidence_api;
use kairos::plugin::types::Confidence;

kairos_plugin_sdk::guest_runtime!();

static PLUGIN: GuestCell<Scorer> = GuestCell::new(Scorer::new());

struct Component;

kairos_plugin_sdk::lifecycle_guest!(Component, PLUGIN, NAME, VERSION);

impl confidence_api::Guest for Component {
    fn score(ctx: Vec<i64>) -> Confidence {
        PLUGIN.with(|p| {
            conv::confidence_out(p.score(
                &conv::bar(&ctx),
                &conv::votes(&ctx),
                &conv::prediction(&ctx),
                conv::sentiment(&ctx),
            ))
        })
    }
}

export!(Component);
