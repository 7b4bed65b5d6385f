//! A fixed table of named decimal parameters for `describe` / `set-param`.
//!
//! Each plugin declares a `&'static [ParamSpec; N]` and indexes values by
//! named `usize` constants. `set` finds the parameter by name and checks its
//! range (and integrality where asked); a plugin-wide check (e.g. "the range
//! threshold must not exceed the trend threshold") runs after, and a failed
//! check leaves the old values in place. Every error names the parameter.

use crate::dec;
use alloc::string::{String, ToString};
use core::fmt;

/// One parameter: name, default and inclusive range, all scaled decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    /// Name as `set-param` takes it.
    pub name: &'static str,
    /// Value before any `set-param`.
    pub default: i64,
    /// Smallest accepted value.
    pub min: i64,
    /// Largest accepted value.
    pub max: i64,
    /// Whether only whole numbers are accepted.
    pub integer: bool,
    /// One line for `describe`.
    pub description: &'static str,
}

/// Why `set-param` refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamError {
    /// No parameter of that name.
    Unknown(String),
    /// Outside the parameter's range.
    OutOfRange {
        /// Parameter name.
        name: &'static str,
        /// Refused value.
        value: i64,
        /// Smallest accepted.
        min: i64,
        /// Largest accepted.
        max: i64,
    },
    /// A whole number was required.
    NotInteger {
        /// Parameter name.
        name: &'static str,
        /// Refused value.
        value: i64,
    },
    /// The value breaks a rule between parameters.
    Inconsistent {
        /// Parameter name.
        name: &'static str,
        /// Refused value.
        value: i64,
        /// The rule it breaks.
        rule: &'static str,
    },
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::Unknown(n) => write!(f, "unknown parameter '{n}'"),
            ParamError::OutOfRange {
                name,
                value,
                min,
                max,
            } => write!(
                f,
                "parameter '{name}' = {} is out of range [{}, {}]",
                dec::fmt(*value),
                dec::fmt(*min),
                dec::fmt(*max)
            ),
            ParamError::NotInteger { name, value } => {
                write!(
                    f,
                    "parameter '{name}' = {} must be a whole number",
                    dec::fmt(*value)
                )
            }
            ParamError::Inconsistent { name, value, rule } => {
                write!(
                    f,
                    "parameter '{name}' = {} breaks the rule: {rule}",
                    dec::fmt(*value)
                )
            }
        }
    }
}

impl core::error::Error for ParamError {}

/// Current values of a plugin's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params<const N: usize> {
    specs: &'static [ParamSpec; N],
    values: [i64; N],
}

impl<const N: usize> Params<N> {
    /// Every parameter at its default.
    pub const fn new(specs: &'static [ParamSpec; N]) -> Params<N> {
        let mut values = [0i64; N];
        let mut i = 0;
        while i < N {
            values[i] = specs[i].default;
            i += 1;
        }
        Params { specs, values }
    }

    /// The value of parameter `i` (an index constant of the plugin).
    #[inline]
    pub fn get(&self, i: usize) -> i64 {
        self.values.get(i).copied().unwrap_or(0)
    }

    /// The specs.
    pub fn specs(&self) -> &'static [ParamSpec; N] {
        self.specs
    }

    /// Every (spec, value) pair in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static ParamSpec, i64)> + '_ {
        self.specs.iter().zip(self.values.iter().copied())
    }

    /// Sets a parameter by name after its range check, then runs `check`
    /// over all values; on any error the old values stay.
    pub fn set(
        &mut self,
        name: &str,
        value: i64,
        check: impl Fn(&Params<N>) -> Result<(), &'static str>,
    ) -> Result<(), ParamError> {
        let i = self
            .specs
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| ParamError::Unknown(name.to_string()))?;
        let spec = &self.specs[i];
        if value < spec.min || value > spec.max {
            return Err(ParamError::OutOfRange {
                name: spec.name,
                value,
                min: spec.min,
                max: spec.max,
            });
        }
        if spec.integer && value % dec::ONE != 0 {
            return Err(ParamError::NotInteger {
                name: spec.name,
                value,
            });
        }
        let old = self.values[i];
        self.values[i] = value;
        if let Err(rule) = check(self) {
            self.values[i] = old;
            return Err(ParamError::Inconsistent {
                name: spec.name,
                value,
                rule,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPECS: [ParamSpec; 2] = [
        ParamSpec {
            name: "lo",
            default: 20 * dec::ONE,
            min: 0,
            max: 100 * dec::ONE,
            integer: false,
            description: "low",
        },
        ParamSpec {
            name: "n",
            default: 3 * dec::ONE,
            min: dec::ONE,
            max: 10 * dec::ONE,
            integer: true,
            description: "count",
        },
    ];
    const LO: usize = 0;
    const N: usize = 1;

    fn ok(_: &Params<2>) -> Result<(), &'static str> {
        Ok(())
    }

    #[test]
    fn params_start_at_their_defaults() {
        let p = Params::new(&SPECS);
        assert_eq!(p.get(LO), 20 * dec::ONE);
        assert_eq!(p.get(N), 3 * dec::ONE);
        assert_eq!(p.get(99), 0);
        assert_eq!(p.iter().count(), 2);
    }

    #[test]
    fn unknown_param_is_rejected_by_name() {
        let mut p = Params::new(&SPECS);
        let e = p.set("nope", 0, ok).unwrap_err();
        assert_eq!(e.to_string(), "unknown parameter 'nope'");
    }

    #[test]
    fn range_is_inclusive_and_the_error_names_the_param() {
        let mut p = Params::new(&SPECS);
        p.set("lo", 100 * dec::ONE, ok).unwrap();
        p.set("lo", 0, ok).unwrap();
        let e = p.set("lo", 100 * dec::ONE + 1, ok).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter 'lo' = 100.00000001 is out of range [0, 100]"
        );
        assert!(p.set("lo", -1, ok).is_err());
        assert_eq!(p.get(LO), 0, "a refused value leaves the old one");
    }

    #[test]
    fn integer_params_refuse_fractions() {
        let mut p = Params::new(&SPECS);
        let e = p.set("n", 3 * dec::ONE + 1, ok).unwrap_err();
        assert!(matches!(e, ParamError::NotInteger { name: "n", .. }));
        p.set("n", 4 * dec::ONE, ok).unwrap();
        assert_eq!(p.get(N), 4 * dec::ONE);
    }

    #[test]
    fn a_failed_cross_check_restores_the_old_value() {
        let mut p = Params::new(&SPECS);
        let check = |p: &Params<2>| {
            if p.get(LO) > p.get(N) {
                Err("lo must not exceed n")
            } else {
                Ok(())
            }
        };
        let e = p.set("lo", 50 * dec::ONE, check).unwrap_err();
        assert!(
            e.to_string().contains("'lo'") && e.to_string().contains("lo must not exceed n"),
            "{e}"
        );
        assert_eq!(p.get(LO), 20 * dec::ONE);
    }
}
