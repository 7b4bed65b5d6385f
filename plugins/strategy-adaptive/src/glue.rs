//! wit-bindgen glue for the `strategy-plugin` world (wasm32 only).

use crate::logic::{Strategy, NAME, VERSION};
use alloc::vec::Vec;
use kairos_plugin_sdk::runtime::GuestCell;

wit_bindgen::generate!({ path: "../../wit", world: "strategy-plugin", generate_unused_types: true });
kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; context, strategy);

use exports::kairos::plugin::strategy_api;
use kairos::plugin::types::{Account, Fill, Intent, TopOfBook, Trade};

kairos_plugin_sdk::guest_runtime!();

static PLUGIN: GuestCell<Strategy> = GuestCell::new(Strategy::new());

struct Component;

kairos_plugin_sdk::lifecycle_guest!(Component, PLUGIN, NAME, VERSION);

impl strategy_api::Guest for Component {
    fn on_candle(ctx: Vec<i64>) -> Vec<Intent> {
        PLUGIN.with_mut(|p| {
            let out = p.on_candle(
                &conv::bar(&ctx),
                conv::regime(&ctx).kind,
                &conv::confidence(&ctx),
                &conv::risk(&ctx),
                &conv::account(&ctx),
            );
            // The WIT result is a list: the one allocation per call, and
            // none at all when there is nothing to do.
            out.as_slice().iter().map(conv::intent_out).collect()
        })
    }
    /// The reference strategy decides on closed candles only.
    fn on_book(_book: TopOfBook, _account: Account) -> u32 {
        0
    }
    /// The reference strategy decides on closed candles only.
    fn on_trade(_trade: Trade, _account: Account) -> u32 {
        0
    }
    /// Nothing is ever made ready outside candles.
    fn take_intent() -> Option<Intent> {
        None
    }
    fn on_fill(fill: Fill, account: Account) {
        PLUGIN.with_mut(|p| p.on_fill(&conv::fill(&fill), &conv::account_record(&account)))
    }
}

export!(Component);
