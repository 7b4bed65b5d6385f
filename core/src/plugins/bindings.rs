//! Host bindings of the WIT contract (`wit/kairos-plugin.wit`), generated
//! by `wasmtime::component::bindgen!` for the four worlds. The `types`
//! interface is generated once (with the regime world) and shared by the
//! other three through bindgen's `with`, so one `Regime` or `Intent` value
//! passes between the slots without conversion.

#![allow(missing_docs, clippy::all)]

/// The regime world (and the shared `types` interface).
pub mod regime {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "regime-plugin",
        additional_derives: [PartialEq],
    });
}

/// The confidence world.
pub mod confidence {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "confidence-plugin",
        with: { "kairos:plugin/types": super::regime::kairos::plugin::types },
    });
}

/// The risk world.
pub mod risk {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "risk-plugin",
        with: { "kairos:plugin/types": super::regime::kairos::plugin::types },
    });
}

/// The strategy world.
pub mod strategy {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "strategy-plugin",
        with: { "kairos:plugin/types": super::regime::kairos::plugin::types },
    });
}

/// The shared WIT records (`kairos:plugin/types`).
pub use regime::kairos::plugin::types;
