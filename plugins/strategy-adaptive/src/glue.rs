//! wit-bindgen glue for the `strategy-plugin` world (wasm32 only).

use crate::logic::{Strategy, NAME, VERSION};
use alloc::vec::Vec;
use kairos_plugin_sdk::runtime::GuestCell;

wit_bindgen::generate!({ path: "../../wit", world: "strategy-plugin" });
kairos_plugin_sdk::wit_conversions!(crate::glue::kairos::plugin::types; base, chain, strategy);

use exports::kairos::plugin::strategy_api;
use kairos::plugin::types::{
    Account, Bar, Confidence, Fill, Intent, Regime, Risk, TopOfBook, Trade,
};

kairos_plugin_sdk::guest_runtime!();

static PLUGIN: GuestCell<Strategy> = GuestCell::new(Strategy::new());

struct Component;

kairos_plugin_sdk::lifecycle_guest!(Component, PLUGIN, NAME, VERSION);

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
