//! `GET /api/v3/exchangeInfo` (and WS-API `exchangeInfo`): rate limits,
//! symbols and every documented filter, typed.
//!
//! Filters Binance adds later decode as [`Filter::Unknown`] (name and raw
//! fields kept) instead of failing the whole body; a *known* filter with a
//! missing or malformed field is an error.

use super::error::{DecodeError, MAX_REST_BODY_BYTES};
use super::rest::{decode_json, OrderType};
use crate::num::{Amount, Price, Qty};
use serde::{Deserialize, Serialize};

/// What a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RateLimitType {
    /// Request weight per IP.
    RequestWeight,
    /// New orders per account.
    Orders,
    /// Raw requests per IP, regardless of weight.
    RawRequests,
    /// WebSocket connections per IP.
    Connections,
}

/// The unit of a rate-limit window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RateLimitInterval {
    /// Seconds.
    Second,
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days.
    Day,
}

impl RateLimitInterval {
    /// Length of one unit in milliseconds.
    pub const fn millis(self) -> u64 {
        match self {
            RateLimitInterval::Second => 1_000,
            RateLimitInterval::Minute => 60_000,
            RateLimitInterval::Hour => 3_600_000,
            RateLimitInterval::Day => 86_400_000,
        }
    }
}

/// A rate limit: at most `limit` per `interval_num` × `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// What is counted.
    #[serde(rename(deserialize = "rateLimitType"))]
    pub rate_limit_type: RateLimitType,
    /// Window unit.
    pub interval: RateLimitInterval,
    /// Window length in units.
    #[serde(rename(deserialize = "intervalNum"))]
    pub interval_num: u32,
    /// Maximum count per window.
    pub limit: u64,
}

impl RateLimit {
    /// The window length in milliseconds.
    pub fn window_ms(&self) -> u64 {
        self.interval
            .millis()
            .saturating_mul(u64::from(self.interval_num))
    }
}

/// Trading status of a symbol (the documented values; strict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SymbolStatus {
    /// Before trading opens.
    PreTrading,
    /// Trading.
    Trading,
    /// After trading.
    PostTrading,
    /// End of day.
    EndOfDay,
    /// Halted.
    Halt,
    /// Auction match.
    AuctionMatch,
    /// Trading is off (delisted or paused).
    Break,
}

/// `PRICE_FILTER`. A zero `min_price`, `max_price` or `tick_size` disables that rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceFilter {
    /// Lowest price allowed (0: no bound).
    #[serde(rename(deserialize = "minPrice"))]
    pub min_price: Price,
    /// Highest price allowed (0: no bound).
    #[serde(rename(deserialize = "maxPrice"))]
    pub max_price: Price,
    /// Price grid; `(price - min_price) % tick_size == 0` (0: no grid).
    #[serde(rename(deserialize = "tickSize"))]
    pub tick_size: Price,
}

/// `PERCENT_PRICE`: price within `[avg × down, avg × up]` of the average
/// price over `avg_price_mins` minutes (0: last price).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PercentPrice {
    /// Upper multiplier (`"5"`).
    #[serde(rename(deserialize = "multiplierUp"))]
    pub multiplier_up: Price,
    /// Lower multiplier (`"0.2"`).
    #[serde(rename(deserialize = "multiplierDown"))]
    pub multiplier_down: Price,
    /// Averaging window in minutes; 0 means the last price.
    #[serde(rename(deserialize = "avgPriceMins"))]
    pub avg_price_mins: u32,
}

/// `PERCENT_PRICE_BY_SIDE`: like [`PercentPrice`] with per-side multipliers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PercentPriceBySide {
    /// Upper multiplier for buys.
    #[serde(rename(deserialize = "bidMultiplierUp"))]
    pub bid_multiplier_up: Price,
    /// Lower multiplier for buys.
    #[serde(rename(deserialize = "bidMultiplierDown"))]
    pub bid_multiplier_down: Price,
    /// Upper multiplier for sells.
    #[serde(rename(deserialize = "askMultiplierUp"))]
    pub ask_multiplier_up: Price,
    /// Lower multiplier for sells.
    #[serde(rename(deserialize = "askMultiplierDown"))]
    pub ask_multiplier_down: Price,
    /// Averaging window in minutes; 0 means the last price.
    #[serde(rename(deserialize = "avgPriceMins"))]
    pub avg_price_mins: u32,
}

/// `LOT_SIZE` and `MARKET_LOT_SIZE`. A zero `step_size` disables the step rule
/// (Binance sends `MARKET_LOT_SIZE` with stepSize 0: "use LOT_SIZE's").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotSize {
    /// Smallest quantity.
    #[serde(rename(deserialize = "minQty"))]
    pub min_qty: Qty,
    /// Largest quantity.
    #[serde(rename(deserialize = "maxQty"))]
    pub max_qty: Qty,
    /// Quantity grid; `(qty - min_qty) % step_size == 0`.
    #[serde(rename(deserialize = "stepSize"))]
    pub step_size: Qty,
}

/// `MIN_NOTIONAL` (older): `price × qty >= min_notional`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinNotional {
    /// Minimum notional in the quote asset.
    #[serde(rename(deserialize = "minNotional"))]
    pub min_notional: Amount,
    /// Whether MARKET orders are checked (against the average price).
    #[serde(rename(deserialize = "applyToMarket"))]
    pub apply_to_market: bool,
    /// Averaging window for MARKET orders, minutes; 0 means the last price.
    #[serde(rename(deserialize = "avgPriceMins"))]
    pub avg_price_mins: u32,
}

/// `NOTIONAL`: `min_notional <= price × qty <= max_notional`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notional {
    /// Minimum notional.
    #[serde(rename(deserialize = "minNotional"))]
    pub min_notional: Amount,
    /// Whether the minimum applies to MARKET orders.
    #[serde(rename(deserialize = "applyMinToMarket"))]
    pub apply_min_to_market: bool,
    /// Maximum notional.
    #[serde(rename(deserialize = "maxNotional"))]
    pub max_notional: Amount,
    /// Whether the maximum applies to MARKET orders.
    #[serde(rename(deserialize = "applyMaxToMarket"))]
    pub apply_max_to_market: bool,
    /// Averaging window for MARKET orders, minutes; 0 means the last price.
    #[serde(rename(deserialize = "avgPriceMins"))]
    pub avg_price_mins: u32,
}

/// `TRAILING_DELTA`: bounds on `trailingDelta` in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailingDelta {
    /// Minimum for orders triggered above the market.
    #[serde(rename(deserialize = "minTrailingAboveDelta"))]
    pub min_trailing_above_delta: u32,
    /// Maximum for orders triggered above the market.
    #[serde(rename(deserialize = "maxTrailingAboveDelta"))]
    pub max_trailing_above_delta: u32,
    /// Minimum for orders triggered below the market.
    #[serde(rename(deserialize = "minTrailingBelowDelta"))]
    pub min_trailing_below_delta: u32,
    /// Maximum for orders triggered below the market.
    #[serde(rename(deserialize = "maxTrailingBelowDelta"))]
    pub max_trailing_below_delta: u32,
}

/// `MAX_ASSET` (account asset filter): a cap on one asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaxAsset {
    /// The asset.
    pub asset: String,
    /// The cap.
    pub limit: Amount,
}

#[derive(Deserialize)]
struct CountLimit {
    #[serde(rename = "limit")]
    v: u32,
}
#[derive(Deserialize)]
struct MaxNumOrders {
    #[serde(rename = "maxNumOrders")]
    v: u32,
}
#[derive(Deserialize)]
struct MaxNumAlgoOrders {
    #[serde(rename = "maxNumAlgoOrders")]
    v: u32,
}
#[derive(Deserialize)]
struct MaxNumIcebergOrders {
    #[serde(rename = "maxNumIcebergOrders")]
    v: u32,
}
#[derive(Deserialize)]
struct MaxNumOrderLists {
    #[serde(rename = "maxNumOrderLists")]
    v: u32,
}
#[derive(Deserialize)]
struct MaxNumOrderAmends {
    #[serde(rename = "maxNumOrderAmends")]
    v: u32,
}
#[derive(Deserialize)]
struct MaxPosition {
    #[serde(rename = "maxPosition")]
    v: Qty,
}

/// A symbol, exchange or asset filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "filter_type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Filter {
    /// `PRICE_FILTER`.
    PriceFilter(PriceFilter),
    /// `PERCENT_PRICE`.
    PercentPrice(PercentPrice),
    /// `PERCENT_PRICE_BY_SIDE`.
    PercentPriceBySide(PercentPriceBySide),
    /// `LOT_SIZE`.
    LotSize(LotSize),
    /// `MARKET_LOT_SIZE`.
    MarketLotSize(LotSize),
    /// `MIN_NOTIONAL`.
    MinNotional(MinNotional),
    /// `NOTIONAL`.
    Notional(Notional),
    /// `ICEBERG_PARTS`: at most `limit` parts (`ceil(qty / icebergQty)`).
    IcebergParts {
        /// Maximum number of parts.
        limit: u32,
    },
    /// `MAX_NUM_ORDERS`: open orders on the symbol.
    MaxNumOrders {
        /// Maximum open orders.
        max_num_orders: u32,
    },
    /// `MAX_NUM_ALGO_ORDERS`: open STOP_LOSS*/TAKE_PROFIT* orders on the symbol.
    MaxNumAlgoOrders {
        /// Maximum open algo orders.
        max_num_algo_orders: u32,
    },
    /// `MAX_NUM_ICEBERG_ORDERS`: open iceberg orders on the symbol.
    MaxNumIcebergOrders {
        /// Maximum open iceberg orders.
        max_num_iceberg_orders: u32,
    },
    /// `MAX_POSITION`: base balance plus open BUY quantity.
    MaxPosition {
        /// Maximum position.
        max_position: Qty,
    },
    /// `TRAILING_DELTA`.
    TrailingDelta(TrailingDelta),
    /// `MAX_NUM_ORDER_LISTS`: open order lists on the symbol.
    MaxNumOrderLists {
        /// Maximum open order lists.
        max_num_order_lists: u32,
    },
    /// `MAX_NUM_ORDER_AMENDS`: amendments of one order.
    MaxNumOrderAmends {
        /// Maximum amendments.
        max_num_order_amends: u32,
    },
    /// `EXCHANGE_MAX_NUM_ORDERS`: open orders on the exchange.
    ExchangeMaxNumOrders {
        /// Maximum open orders.
        max_num_orders: u32,
    },
    /// `EXCHANGE_MAX_NUM_ALGO_ORDERS`.
    ExchangeMaxNumAlgoOrders {
        /// Maximum open algo orders.
        max_num_algo_orders: u32,
    },
    /// `EXCHANGE_MAX_NUM_ICEBERG_ORDERS`.
    ExchangeMaxNumIcebergOrders {
        /// Maximum open iceberg orders.
        max_num_iceberg_orders: u32,
    },
    /// `EXCHANGE_MAX_NUM_ORDER_LISTS`.
    ExchangeMaxNumOrderLists {
        /// Maximum open order lists.
        max_num_order_lists: u32,
    },
    /// `MAX_ASSET`.
    MaxAsset(MaxAsset),
    /// A filter kairos does not know yet: its name and raw fields.
    Unknown {
        /// The `filterType` as sent.
        name: String,
        /// The whole filter object as sent.
        fields: serde_json::Value,
    },
}

impl Filter {
    /// Binance's `filterType` name.
    pub fn filter_type(&self) -> &str {
        match self {
            Filter::PriceFilter(_) => "PRICE_FILTER",
            Filter::PercentPrice(_) => "PERCENT_PRICE",
            Filter::PercentPriceBySide(_) => "PERCENT_PRICE_BY_SIDE",
            Filter::LotSize(_) => "LOT_SIZE",
            Filter::MarketLotSize(_) => "MARKET_LOT_SIZE",
            Filter::MinNotional(_) => "MIN_NOTIONAL",
            Filter::Notional(_) => "NOTIONAL",
            Filter::IcebergParts { .. } => "ICEBERG_PARTS",
            Filter::MaxNumOrders { .. } => "MAX_NUM_ORDERS",
            Filter::MaxNumAlgoOrders { .. } => "MAX_NUM_ALGO_ORDERS",
            Filter::MaxNumIcebergOrders { .. } => "MAX_NUM_ICEBERG_ORDERS",
            Filter::MaxPosition { .. } => "MAX_POSITION",
            Filter::TrailingDelta(_) => "TRAILING_DELTA",
            Filter::MaxNumOrderLists { .. } => "MAX_NUM_ORDER_LISTS",
            Filter::MaxNumOrderAmends { .. } => "MAX_NUM_ORDER_AMENDS",
            Filter::ExchangeMaxNumOrders { .. } => "EXCHANGE_MAX_NUM_ORDERS",
            Filter::ExchangeMaxNumAlgoOrders { .. } => "EXCHANGE_MAX_NUM_ALGO_ORDERS",
            Filter::ExchangeMaxNumIcebergOrders { .. } => "EXCHANGE_MAX_NUM_ICEBERG_ORDERS",
            Filter::ExchangeMaxNumOrderLists { .. } => "EXCHANGE_MAX_NUM_ORDER_LISTS",
            Filter::MaxAsset(_) => "MAX_ASSET",
            Filter::Unknown { name, .. } => name,
        }
    }
}

impl<'de> Deserialize<'de> for Filter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        use serde_json::from_value as fv;
        let v = serde_json::Value::deserialize(d)?;
        let name = v
            .get("filterType")
            .and_then(|t| t.as_str())
            .ok_or_else(|| D::Error::custom("filter without a string `filterType`"))?
            .to_owned();
        let r = match name.as_str() {
            "PRICE_FILTER" => fv(v).map(Filter::PriceFilter),
            "PERCENT_PRICE" => fv(v).map(Filter::PercentPrice),
            "PERCENT_PRICE_BY_SIDE" => fv(v).map(Filter::PercentPriceBySide),
            "LOT_SIZE" => fv(v).map(Filter::LotSize),
            "MARKET_LOT_SIZE" => fv(v).map(Filter::MarketLotSize),
            "MIN_NOTIONAL" => fv(v).map(Filter::MinNotional),
            "NOTIONAL" => fv(v).map(Filter::Notional),
            "ICEBERG_PARTS" => fv::<CountLimit>(v).map(|x| Filter::IcebergParts { limit: x.v }),
            "MAX_NUM_ORDERS" => fv::<MaxNumOrders>(v).map(|x| Filter::MaxNumOrders {
                max_num_orders: x.v,
            }),
            "MAX_NUM_ALGO_ORDERS" => fv::<MaxNumAlgoOrders>(v).map(|x| Filter::MaxNumAlgoOrders {
                max_num_algo_orders: x.v,
            }),
            "MAX_NUM_ICEBERG_ORDERS" => {
                fv::<MaxNumIcebergOrders>(v).map(|x| Filter::MaxNumIcebergOrders {
                    max_num_iceberg_orders: x.v,
                })
            }
            "MAX_POSITION" => {
                fv::<MaxPosition>(v).map(|x| Filter::MaxPosition { max_position: x.v })
            }
            "TRAILING_DELTA" => fv(v).map(Filter::TrailingDelta),
            "MAX_NUM_ORDER_LISTS" => fv::<MaxNumOrderLists>(v).map(|x| Filter::MaxNumOrderLists {
                max_num_order_lists: x.v,
            }),
            "MAX_NUM_ORDER_AMENDS" => {
                fv::<MaxNumOrderAmends>(v).map(|x| Filter::MaxNumOrderAmends {
                    max_num_order_amends: x.v,
                })
            }
            "EXCHANGE_MAX_NUM_ORDERS" => {
                fv::<MaxNumOrders>(v).map(|x| Filter::ExchangeMaxNumOrders {
                    max_num_orders: x.v,
                })
            }
            "EXCHANGE_MAX_NUM_ALGO_ORDERS" => {
                fv::<MaxNumAlgoOrders>(v).map(|x| Filter::ExchangeMaxNumAlgoOrders {
                    max_num_algo_orders: x.v,
                })
            }
            "EXCHANGE_MAX_NUM_ICEBERG_ORDERS" => {
                fv::<MaxNumIcebergOrders>(v).map(|x| Filter::ExchangeMaxNumIcebergOrders {
                    max_num_iceberg_orders: x.v,
                })
            }
            "EXCHANGE_MAX_NUM_ORDER_LISTS" => {
                fv::<MaxNumOrderLists>(v).map(|x| Filter::ExchangeMaxNumOrderLists {
                    max_num_order_lists: x.v,
                })
            }
            "MAX_ASSET" => fv(v).map(Filter::MaxAsset),
            _ => return Ok(Filter::Unknown { name, fields: v }),
        };
        r.map_err(|e| D::Error::custom(format_args!("filter {name}: {e}")))
    }
}

/// One symbol of exchangeInfo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SymbolInfo {
    /// Symbol (`BTCUSDT`).
    pub symbol: String,
    /// Trading status.
    pub status: SymbolStatus,
    /// Base asset (`BTC`).
    #[serde(rename(deserialize = "baseAsset"))]
    pub base_asset: String,
    /// Decimal places of the base asset.
    #[serde(rename(deserialize = "baseAssetPrecision"))]
    pub base_asset_precision: u32,
    /// Quote asset (`USDT`).
    #[serde(rename(deserialize = "quoteAsset"))]
    pub quote_asset: String,
    /// Decimal places of the quote asset.
    #[serde(rename(deserialize = "quoteAssetPrecision"))]
    pub quote_asset_precision: u32,
    /// Decimal places of base-asset commissions.
    #[serde(default, rename(deserialize = "baseCommissionPrecision"))]
    pub base_commission_precision: Option<u32>,
    /// Decimal places of quote-asset commissions.
    #[serde(default, rename(deserialize = "quoteCommissionPrecision"))]
    pub quote_commission_precision: Option<u32>,
    /// Allowed order types.
    #[serde(rename(deserialize = "orderTypes"))]
    pub order_types: Vec<OrderType>,
    /// Whether iceberg orders are allowed.
    #[serde(rename(deserialize = "icebergAllowed"))]
    pub iceberg_allowed: bool,
    /// Whether OCO lists are allowed.
    #[serde(rename(deserialize = "ocoAllowed"))]
    pub oco_allowed: bool,
    /// Whether quote-quantity market orders are allowed.
    #[serde(rename(deserialize = "quoteOrderQtyMarketAllowed"))]
    pub quote_order_qty_market_allowed: bool,
    /// Whether trailing stops are allowed (newer bodies).
    #[serde(default, rename(deserialize = "allowTrailingStop"))]
    pub allow_trailing_stop: Option<bool>,
    /// Whether cancel-replace is allowed (newer bodies).
    #[serde(default, rename(deserialize = "cancelReplaceAllowed"))]
    pub cancel_replace_allowed: Option<bool>,
    /// Whether spot trading is allowed.
    #[serde(rename(deserialize = "isSpotTradingAllowed"))]
    pub is_spot_trading_allowed: bool,
    /// Whether margin trading is allowed.
    #[serde(rename(deserialize = "isMarginTradingAllowed"))]
    pub is_margin_trading_allowed: bool,
    /// Filters, in the order sent.
    pub filters: Vec<Filter>,
    /// Permissions (open-ended: `SPOT`, `MARGIN`, `TRD_GRP_004`, …).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Permission sets (newer bodies).
    #[serde(default, rename(deserialize = "permissionSets"))]
    pub permission_sets: Vec<Vec<String>>,
    /// Default self-trade prevention mode (newer bodies).
    #[serde(default, rename(deserialize = "defaultSelfTradePreventionMode"))]
    pub default_self_trade_prevention_mode: Option<String>,
}

macro_rules! getter {
    ($(#[$m:meta])* $fn:ident, $variant:ident, $ty:ty) => {
        $(#[$m])*
        pub fn $fn(&self) -> Option<&$ty> {
            self.filters.iter().find_map(|f| match f {
                Filter::$variant(x) => Some(x),
                _ => None,
            })
        }
    };
}

impl SymbolInfo {
    getter!(
        /// The `PRICE_FILTER`, if any.
        price_filter, PriceFilter, PriceFilter
    );
    getter!(
        /// The `PERCENT_PRICE` filter, if any.
        percent_price, PercentPrice, PercentPrice
    );
    getter!(
        /// The `PERCENT_PRICE_BY_SIDE` filter, if any.
        percent_price_by_side, PercentPriceBySide, PercentPriceBySide
    );
    getter!(
        /// The `LOT_SIZE` filter, if any.
        lot_size, LotSize, LotSize
    );
    getter!(
        /// The `MARKET_LOT_SIZE` filter, if any.
        market_lot_size, MarketLotSize, LotSize
    );
    getter!(
        /// The `MIN_NOTIONAL` filter, if any.
        min_notional, MinNotional, MinNotional
    );
    getter!(
        /// The `NOTIONAL` filter, if any.
        notional, Notional, Notional
    );
    getter!(
        /// The `TRAILING_DELTA` filter, if any.
        trailing_delta, TrailingDelta, TrailingDelta
    );

    /// Whether `order_type` is allowed on the symbol.
    pub fn allows(&self, order_type: OrderType) -> bool {
        self.order_types.contains(&order_type)
    }
}

/// The exchangeInfo body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeInfo {
    /// Server timezone (`UTC`).
    pub timezone: String,
    /// Server time in ms.
    #[serde(rename(deserialize = "serverTime"))]
    pub server_time: u64,
    /// Rate limits.
    #[serde(rename(deserialize = "rateLimits"))]
    pub rate_limits: Vec<RateLimit>,
    /// Exchange-wide filters.
    #[serde(default, rename(deserialize = "exchangeFilters"))]
    pub exchange_filters: Vec<Filter>,
    /// Symbols.
    pub symbols: Vec<SymbolInfo>,
}

impl ExchangeInfo {
    /// The symbol named `symbol`, if listed.
    pub fn symbol(&self, symbol: &str) -> Option<&SymbolInfo> {
        self.symbols.iter().find(|s| s.symbol == symbol)
    }

    /// The rate limits of one type.
    pub fn rate_limits_of(&self, t: RateLimitType) -> impl Iterator<Item = &RateLimit> {
        self.rate_limits
            .iter()
            .filter(move |r| r.rate_limit_type == t)
    }
}

/// Decodes an exchangeInfo body.
pub fn decode_exchange_info(bytes: &[u8]) -> Result<ExchangeInfo, DecodeError> {
    decode_json(bytes, "exchangeInfo", MAX_REST_BODY_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_filters_are_kept_and_known_ones_are_strict() {
        let f: Filter = serde_json::from_str(r#"{"filterType":"SHINY_NEW","x":1}"#).unwrap();
        assert_eq!(f.filter_type(), "SHINY_NEW");
        let e = serde_json::from_str::<Filter>(r#"{"filterType":"LOT_SIZE","minQty":"1"}"#)
            .unwrap_err();
        assert!(e.to_string().contains("LOT_SIZE"), "{e}");
        let f: Filter = serde_json::from_str(
            r#"{"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true,
                "maxNotional":"9000000.00000000","applyMaxToMarket":false,"avgPriceMins":5}"#,
        )
        .unwrap();
        let Filter::Notional(n) = f else {
            panic!("{f:?}")
        };
        assert_eq!(n.min_notional.to_string(), "5.00000000");
        assert!(!n.apply_max_to_market);
        let s = serde_json::to_string(&Filter::IcebergParts { limit: 10 }).unwrap();
        assert_eq!(s, r#"{"filter_type":"ICEBERG_PARTS","limit":10}"#);
    }
}
