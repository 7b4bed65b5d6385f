//! The top-level kairos configuration file (TOML).
//!
//! Every section is optional; unknown keys are errors (a misspelt key must
//! not be silently ignored). Errors name the file and the field:
//! `config/x.toml: plugins.fuel_per_call: …`. Sections so far:
//!
//! ```toml
//! [plugins]
//! fuel_per_call = 10000000          # CPU budget per plugin call (fuel units)
//! memory_limit_bytes = 67108864     # memory cap per plugin instance
//! safe_mode = "previous"            # or "no-new-orders"
//! control_socket = "/run/kairos/control.sock"   # optional
//!
//! [plugins.strategy]                # also regime, confidence, risk
//! path = "target/plugins/strategy-adaptive.wasm"
//! params = { qty = "0.001", mode = 0 }   # decimal strings or integers
//! ```
//!
//! A relative plugin path is resolved against the config file's folder.

use crate::plugins::{Budgets, SafeMode, Slot};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest config file read, bytes.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// A config problem: the file and what is wrong (with the field's path).
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ConfigError {
    /// The file.
    pub file: String,
    /// What is wrong, naming the field.
    pub message: String,
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KairosConfig {
    /// `[plugins]`.
    #[serde(default)]
    pub plugins: Option<PluginsConfig>,
}

/// A parameter value: a decimal string or an integer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// An integer (whole units).
    Int(i64),
    /// A decimal string, e.g. `"0.25"`.
    Text(String),
}

impl ParamValue {
    /// The value scaled 1e-8.
    pub fn units(&self) -> Result<i64, String> {
        match self {
            ParamValue::Int(i) => i
                .checked_mul(crate::num::SCALE)
                .ok_or_else(|| format!("{i} is too large")),
            ParamValue::Text(s) => crate::num::Amount::parse(s)
                .map(|a| a.units())
                .map_err(|e| format!("`{s}` is not a decimal: {e}")),
        }
    }
}

/// One slot's plugin.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotConfig {
    /// The component file (`.wasm`).
    pub path: PathBuf,
    /// Parameters set before the first event.
    #[serde(default)]
    pub params: BTreeMap<String, ParamValue>,
}

fn default_fuel() -> u64 {
    crate::plugins::DEFAULT_FUEL_PER_CALL
}

fn default_memory() -> u64 {
    crate::plugins::DEFAULT_MEMORY_LIMIT_BYTES
}

/// `[plugins]`: which plugin serves each slot, and the budgets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginsConfig {
    /// Fuel per call (default [`crate::plugins::DEFAULT_FUEL_PER_CALL`]).
    #[serde(default = "default_fuel")]
    pub fuel_per_call: u64,
    /// Memory cap per instance, bytes (default
    /// [`crate::plugins::DEFAULT_MEMORY_LIMIT_BYTES`]).
    #[serde(default = "default_memory")]
    pub memory_limit_bytes: u64,
    /// What to do when a plugin faults (default `previous`).
    #[serde(default)]
    pub safe_mode: SafeMode,
    /// The control socket's path, if the bot serves one.
    #[serde(default)]
    pub control_socket: Option<PathBuf>,
    /// The regime plugin.
    #[serde(default)]
    pub regime: Option<SlotConfig>,
    /// The confidence plugin.
    #[serde(default)]
    pub confidence: Option<SlotConfig>,
    /// The risk plugin.
    #[serde(default)]
    pub risk: Option<SlotConfig>,
    /// The strategy plugin.
    #[serde(default)]
    pub strategy: Option<SlotConfig>,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        PluginsConfig {
            fuel_per_call: default_fuel(),
            memory_limit_bytes: default_memory(),
            safe_mode: SafeMode::default(),
            control_socket: None,
            regime: None,
            confidence: None,
            risk: None,
            strategy: None,
        }
    }
}

impl PluginsConfig {
    /// The budgets.
    pub fn budgets(&self) -> Budgets {
        Budgets {
            fuel_per_call: self.fuel_per_call,
            memory_limit_bytes: self.memory_limit_bytes,
        }
    }

    /// The configured slot.
    pub fn slot(&self, slot: Slot) -> Option<&SlotConfig> {
        match slot {
            Slot::Regime => self.regime.as_ref(),
            Slot::Confidence => self.confidence.as_ref(),
            Slot::Risk => self.risk.as_ref(),
            Slot::Strategy => self.strategy.as_ref(),
        }
    }

    /// A slot's parameters scaled 1e-8 (`Err` names the bad one).
    pub fn params(&self, slot: Slot) -> Result<Vec<(String, i64)>, String> {
        let Some(s) = self.slot(slot) else {
            return Ok(Vec::new());
        };
        s.params
            .iter()
            .map(|(k, v)| {
                v.units()
                    .map(|u| (k.clone(), u))
                    .map_err(|e| format!("plugins.{slot}.params.{k}: {e}"))
            })
            .collect()
    }

    fn validate(&self) -> Result<(), String> {
        if self.fuel_per_call < crate::plugins::MIN_FUEL_PER_CALL {
            return Err(format!(
                "plugins.fuel_per_call: {} is below the minimum {}",
                self.fuel_per_call,
                crate::plugins::MIN_FUEL_PER_CALL
            ));
        }
        let (lo, hi) = (
            crate::plugins::MIN_MEMORY_LIMIT_BYTES,
            crate::plugins::MAX_MEMORY_LIMIT_BYTES,
        );
        if !(lo..=hi).contains(&self.memory_limit_bytes) {
            return Err(format!(
                "plugins.memory_limit_bytes: {} is outside {lo}..={hi}",
                self.memory_limit_bytes
            ));
        }
        for slot in Slot::ALL {
            self.params(slot)?;
        }
        Ok(())
    }
}

impl KairosConfig {
    /// Parses a config text; `file` names it in errors. Relative plugin
    /// paths are resolved against `base` (the file's folder).
    pub fn parse(text: &str, file: &str, base: &Path) -> Result<KairosConfig, ConfigError> {
        let err = |message: String| ConfigError {
            file: file.to_string(),
            message,
        };
        let mut cfg: KairosConfig = toml::from_str(text).map_err(|e| {
            // toml names the key path and the line; keep it on one line.
            err(e.to_string().trim().replace('\n', " | "))
        })?;
        if let Some(p) = cfg.plugins.as_mut() {
            p.validate().map_err(err)?;
            for s in [
                &mut p.regime,
                &mut p.confidence,
                &mut p.risk,
                &mut p.strategy,
            ]
            .into_iter()
            .flatten()
            {
                if s.path.is_relative() {
                    s.path = base.join(&s.path);
                }
            }
        }
        Ok(cfg)
    }

    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<KairosConfig, ConfigError> {
        let file = path.display().to_string();
        let err = |message: String| ConfigError {
            file: file.clone(),
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read: {e}")))?;
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(err(format!(
                "{} bytes is over the limit of {MAX_CONFIG_BYTES}",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        let base = path.parent().unwrap_or(Path::new("."));
        KairosConfig::parse(&text, &file, base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_plugins_section_parses_with_defaults_and_resolves_paths() {
        let text = r#"
[plugins]
safe_mode = "no-new-orders"
[plugins.strategy]
path = "p/s.wasm"
params = { qty = "0.5", mode = 2 }
"#;
        let c = KairosConfig::parse(text, "x.toml", Path::new("/etc/k")).unwrap();
        let p = c.plugins.unwrap();
        assert_eq!(p.safe_mode, SafeMode::NoNewOrders);
        assert_eq!(p.fuel_per_call, crate::plugins::DEFAULT_FUEL_PER_CALL);
        assert_eq!(
            p.strategy.as_ref().unwrap().path,
            Path::new("/etc/k/p/s.wasm")
        );
        let params = p.params(Slot::Strategy).unwrap();
        assert_eq!(
            params,
            vec![
                ("mode".to_string(), 200_000_000),
                ("qty".to_string(), 50_000_000)
            ]
        );
        assert!(p.regime.is_none());
    }

    #[test]
    fn config_errors_name_the_file_and_the_field() {
        let cases = [
            ("[plugins]\nfuel_per_cal = 5\n", "fuel_per_cal"),
            ("[plugins]\nsafe_mode = \"panic\"\n", "safe_mode"),
            ("[plugins]\nfuel_per_call = 10\n", "plugins.fuel_per_call"),
            (
                "[plugins]\nmemory_limit_bytes = 10\n",
                "plugins.memory_limit_bytes",
            ),
            (
                "[plugins.risk]\npath = \"r.wasm\"\nparams = { k = \"x1\" }\n",
                "plugins.risk.params.k",
            ),
            ("[plugin]\n", "plugin"),
        ];
        for (text, field) in cases {
            let e = KairosConfig::parse(text, "bad.toml", Path::new(".")).unwrap_err();
            let s = e.to_string();
            assert!(s.starts_with("bad.toml: "), "{s}");
            assert!(s.contains(field), "{text:?} → {s}");
        }
    }
}
