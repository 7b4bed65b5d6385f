//! `faulty`: a test plugin of the strategy world that misbehaves on demand,
//! so the host's budgets, alarms, safe modes and hot swap can be tested
//! against a real component.
//!
//! Parameters (set with `set-param`, values are decimals scaled 1e-8):
//! - `mode` (whole number):
//!   - 0 behaves: one buy-market intent of `qty` on every candle, tagged
//!     with the number of candles seen so far (its state);
//!   - 1 loops forever in `on-candle` (the host's fuel budget must stop it);
//!   - 2 traps in `on-candle` (a panic);
//!   - 3 grabs memory in `on-candle` until the host refuses more;
//!   - 4 behaves like 0 but `load-state` always errors (the host must warm
//!     it up by replaying candles instead);
//!   - 5 behaves like 0 on candles and, on every `on-book`, makes `burst`
//!     buy-limit intents ready at the book's bid (taken with
//!     `take-intent`), tagged with a running count of book intents.
//! - `qty`: the quantity of each intent (default 0.001).
//! - `burst` (whole number 1..=16): intents made ready per book event in
//!   mode 5 (default 1).
//!
//! State (`save-state` / `load-state`): the number of candles seen, eight
//! bytes little-endian, after a one-byte format version. Parameters are not
//! part of the state: a new version keeps its own.
//!
//! The logic is plain Rust (tested natively); the WIT glue exists only when
//! built for wasm32 (`cargo build --release --target wasm32-wasip2 -p faulty`).

/// `mode` values.
pub mod mode {
    /// Behaves.
    pub const BEHAVE: i64 = 0;
    /// Infinite loop in on-candle.
    pub const LOOP: i64 = 1;
    /// Traps in on-candle.
    pub const TRAP: i64 = 2;
    /// Grabs memory in on-candle until refused.
    pub const GRAB: i64 = 3;
    /// Behaves, but load-state always errors.
    pub const REFUSE_STATE: i64 = 4;
    /// Behaves, and answers every book event with `burst` intents.
    pub const BOOK: i64 = 5;
    /// The largest mode.
    pub const MAX: i64 = 5;
}

/// 1e8: one whole unit of a decimal.
pub const ONE: i64 = 100_000_000;
/// The default intent quantity, 0.001 (scaled 1e-8).
pub const DEFAULT_QTY: i64 = 100_000;
/// The state format version.
pub const STATE_VERSION: u8 = 1;
/// Bytes of one grab in mode 3.
pub const GRAB_CHUNK_BYTES: usize = 1 << 20;
/// The largest `burst`.
pub const MAX_BURST: i64 = 16;

/// The plugin's logic, independent of the WIT glue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Faulty {
    /// The mode (see the crate docs).
    pub mode: i64,
    /// Intent quantity, scaled 1e-8.
    pub qty: i64,
    /// Candles seen (the state).
    pub seen: u64,
    /// Intents made ready per book event in mode 5.
    pub burst: u32,
    /// Intents of the last book event not taken yet.
    pub pending: u32,
    /// The last book event's bid.
    pub bid: i64,
    /// Book intents handed out so far (their tags).
    pub book_intents: u32,
}

/// One book intent of mode 5: buy `qty` at `price`, tagged `tag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookIntent {
    /// The bid of the book event, scaled 1e-8.
    pub price: i64,
    /// Quantity, scaled 1e-8.
    pub qty: i64,
    /// The running count of book intents.
    pub tag: u32,
}

impl Default for Faulty {
    fn default() -> Self {
        Faulty {
            mode: mode::BEHAVE,
            qty: DEFAULT_QTY,
            seen: 0,
            burst: 1,
            pending: 0,
            bid: 0,
            book_intents: 0,
        }
    }
}

/// What `on_candle` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Buy `qty` at market, tagged `tag`.
    Buy {
        /// Quantity, scaled 1e-8.
        qty: i64,
        /// Tag (the candle count).
        tag: u32,
    },
    /// Loop forever.
    Loop,
    /// Trap.
    Trap,
    /// Grab memory.
    Grab,
}

impl Faulty {
    /// Sets a parameter; an unknown name or a bad value is an error naming it.
    pub fn set_param(&mut self, name: &str, value: i64) -> Result<(), String> {
        match name {
            "mode" => {
                if value % ONE != 0 || !(0..=mode::MAX).contains(&(value / ONE)) {
                    return Err(format!(
                        "mode must be a whole number 0..={}, got {value}e-8",
                        mode::MAX
                    ));
                }
                self.mode = value / ONE;
                Ok(())
            }
            "qty" => {
                if value <= 0 {
                    return Err(format!("qty must be positive, got {value}e-8"));
                }
                self.qty = value;
                Ok(())
            }
            "burst" => {
                if value % ONE != 0 || !(1..=MAX_BURST).contains(&(value / ONE)) {
                    return Err(format!(
                        "burst must be a whole number 1..={MAX_BURST}, got {value}e-8"
                    ));
                }
                self.burst = (value / ONE) as u32;
                Ok(())
            }
            other => Err(format!(
                "unknown parameter `{other}` (known: mode, qty, burst)"
            )),
        }
    }

    /// One closed candle.
    pub fn on_candle(&mut self) -> Decision {
        match self.mode {
            mode::LOOP => Decision::Loop,
            mode::TRAP => Decision::Trap,
            mode::GRAB => Decision::Grab,
            _ => {
                self.seen += 1;
                Decision::Buy {
                    qty: self.qty,
                    tag: u32::try_from(self.seen).unwrap_or(u32::MAX),
                }
            }
        }
    }

    /// A top-of-book change: how many intents are ready (0 but in mode 5,
    /// where the previous event's untaken intents are dropped).
    pub fn on_book(&mut self, bid: i64) -> u32 {
        if self.mode != mode::BOOK || bid <= 0 {
            self.pending = 0;
            return 0;
        }
        self.bid = bid;
        self.pending = self.burst;
        self.pending
    }

    /// The next ready intent, if any.
    pub fn take_intent(&mut self) -> Option<BookIntent> {
        if self.pending == 0 {
            return None;
        }
        self.pending -= 1;
        self.book_intents = self.book_intents.saturating_add(1);
        Some(BookIntent {
            price: self.bid,
            qty: self.qty,
            tag: self.book_intents,
        })
    }

    /// The state as bytes.
    pub fn save_state(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(9);
        v.push(STATE_VERSION);
        v.extend_from_slice(&self.seen.to_le_bytes());
        v
    }

    /// Restores a state.
    pub fn load_state(&mut self, state: &[u8]) -> Result<(), String> {
        if self.mode == mode::REFUSE_STATE {
            return Err("faulty: mode 4 refuses every state".to_string());
        }
        match state {
            [STATE_VERSION, rest @ ..] if rest.len() == 8 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(rest);
                self.seen = u64::from_le_bytes(b);
                Ok(())
            }
            _ => Err(format!(
                "faulty: state of {} bytes is not version {STATE_VERSION}",
                state.len()
            )),
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod glue {
    use super::{Decision, Faulty};
    use std::cell::RefCell;

    wit_bindgen::generate!({ path: "../../wit", world: "strategy-plugin", generate_unused_types: true });

    use exports::kairos::plugin::lifecycle::Guest as Lifecycle;
    use exports::kairos::plugin::strategy_api::Guest as Strategy;
    use kairos::plugin::types::{
        Account, Field, Fill, Info, Intent, IntentKind, Param, TopOfBook, Trade,
    };

    thread_local! {
        static STATE: RefCell<Faulty> = RefCell::new(Faulty::default());
        static HOARD: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    }

    struct Component;

    impl Lifecycle for Component {
        fn describe() -> Info {
            STATE.with(|s| {
                let s = s.borrow();
                Info {
                    name: "faulty".to_string(),
                    version: env!("CARGO_PKG_VERSION").to_string(),
                    params: vec![
                        Param {
                            name: "mode".to_string(),
                            value: s.mode * super::ONE,
                            description:
                                "0 behave, 1 loop, 2 trap, 3 grab memory, 4 refuse state, 5 book intents"
                                    .to_string(),
                        },
                        Param {
                            name: "qty".to_string(),
                            value: s.qty,
                            description: "quantity of each buy intent".to_string(),
                        },
                        Param {
                            name: "burst".to_string(),
                            value: i64::from(s.burst) * super::ONE,
                            description: "intents ready per book event in mode 5".to_string(),
                        },
                    ],
                }
            })
        }

        fn set_param(name: String, value: i64) -> Result<(), String> {
            STATE.with(|s| s.borrow_mut().set_param(&name, value))
        }

        fn save_state() -> Vec<u8> {
            STATE.with(|s| s.borrow().save_state())
        }

        fn load_state(state: Vec<u8>) -> Result<(), String> {
            STATE.with(|s| s.borrow_mut().load_state(&state))
        }
    }

    impl Strategy for Component {
        fn on_candle(ctx: Vec<i64>) -> Vec<Intent> {
            let d = STATE.with(|s| s.borrow_mut().on_candle());
            match d {
                Decision::Buy { qty, tag } => vec![Intent {
                    kind: IntentKind::BuyMarket,
                    qty,
                    price: ctx.get(Field::Close as usize).copied().unwrap_or(0),
                    stop_price: 0,
                    take_profit: 0,
                    tag,
                }],
                Decision::Loop => {
                    let mut n: u64 = 0;
                    loop {
                        n = std::hint::black_box(n.wrapping_add(1));
                    }
                }
                Decision::Trap => panic!("faulty: mode 2 traps"),
                Decision::Grab => loop {
                    // Reserved, not written: the allocator grows the linear
                    // memory without spending fuel on filling it.
                    let chunk: Vec<u8> = Vec::with_capacity(super::GRAB_CHUNK_BYTES);
                    HOARD.with(|h| h.borrow_mut().push(std::hint::black_box(chunk)));
                },
            }
        }

        fn on_book(book: TopOfBook, _account: Account) -> u32 {
            STATE.with(|s| s.borrow_mut().on_book(book.bid_price))
        }

        fn on_trade(_trade: Trade, _account: Account) -> u32 {
            0
        }

        fn take_intent() -> Option<Intent> {
            STATE
                .with(|s| s.borrow_mut().take_intent())
                .map(|i| Intent {
                    kind: IntentKind::BuyLimit,
                    qty: i.qty,
                    price: i.price,
                    stop_price: 0,
                    take_profit: 0,
                    tag: i.tag,
                })
        }

        fn on_fill(_fill: Fill, _account: Account) {}
    }

    export!(Component);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faulty_mode_zero_buys_and_tags_with_the_candle_count() {
        let mut f = Faulty::default();
        f.set_param("qty", 5 * ONE).unwrap();
        assert_eq!(
            f.on_candle(),
            Decision::Buy {
                qty: 5 * ONE,
                tag: 1
            }
        );
        assert_eq!(
            f.on_candle(),
            Decision::Buy {
                qty: 5 * ONE,
                tag: 2
            }
        );
    }

    #[test]
    fn faulty_mode_five_readies_burst_intents_per_book_event_and_drops_untaken_ones() {
        let mut f = Faulty::default();
        assert_eq!(f.on_book(100), 0, "mode 0 answers nothing");
        assert_eq!(f.take_intent(), None);
        f.set_param("mode", 5 * ONE).unwrap();
        f.set_param("burst", 3 * ONE).unwrap();
        assert_eq!(f.on_book(100), 3);
        let a = f.take_intent().unwrap();
        assert_eq!((a.price, a.qty, a.tag), (100, DEFAULT_QTY, 1));
        // A new event drops the two not taken.
        assert_eq!(f.on_book(101), 3);
        let tags: Vec<u32> = std::iter::from_fn(|| f.take_intent())
            .map(|i| i.tag)
            .collect();
        assert_eq!(tags, [2, 3, 4]);
        assert_eq!(f.take_intent(), None);
        assert_eq!(f.on_book(0), 0, "no bid, nothing");
    }

    #[test]
    fn faulty_state_round_trips_and_mode_four_refuses_it() {
        let mut a = Faulty::default();
        a.on_candle();
        a.on_candle();
        let s = a.save_state();
        let mut b = Faulty::default();
        b.load_state(&s).unwrap();
        assert_eq!(b.seen, 2);
        assert!(b.load_state(&[9, 9]).is_err());
        b.set_param("mode", 4 * ONE).unwrap();
        assert!(b.load_state(&s).is_err());
    }

    #[test]
    fn faulty_params_reject_bad_values_naming_them() {
        let mut f = Faulty::default();
        assert!(f.set_param("mode", 6 * ONE).unwrap_err().contains("mode"));
        assert!(f.set_param("burst", 0).unwrap_err().contains("burst"));
        assert!(f
            .set_param("burst", 17 * ONE)
            .unwrap_err()
            .contains("burst"));
        assert!(f.set_param("mode", ONE / 2).is_err());
        assert!(f.set_param("qty", 0).unwrap_err().contains("qty"));
        assert!(f.set_param("speed", 1).unwrap_err().contains("speed"));
    }
}
