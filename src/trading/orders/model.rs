//! The `Order` returned by every order endpoint, and its enums.

use crate::options::OccSymbol;
use crate::trading::common::{AssetClass, OrderSide, PositionIntent};
use crate::wire::{self, string_enum};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

string_enum! {
    /// Order type.
    pub enum OrderType {
        /// Fill at the market.
        Market = "market",
        /// Fill at the limit price or better.
        Limit = "limit",
        /// Becomes a market order at the stop price.
        Stop = "stop",
        /// Becomes a limit order at the stop price.
        StopLimit = "stop_limit",
        /// A stop that follows the price by a fixed amount or percent.
        TrailingStop = "trailing_stop",
    }
}

string_enum! {
    /// How long an order stays working.
    pub enum TimeInForce {
        /// Until the end of the regular session.
        Day = "day",
        /// Until canceled (Alpaca cancels after 90 days).
        Gtc = "gtc",
        /// Market or limit on open, in the opening auction only.
        Opg = "opg",
        /// Market or limit on close, in the closing auction only.
        Cls = "cls",
        /// Immediate or cancel.
        Ioc = "ioc",
        /// Fill or kill.
        Fok = "fok",
    }
}

string_enum! {
    /// Order class.
    pub enum OrderClass {
        /// A single order.
        Simple = "simple",
        /// Entry plus take-profit and stop-loss exits.
        Bracket = "bracket",
        /// One cancels other: two exits.
        Oco = "oco",
        /// One triggers other: entry plus one exit.
        Oto = "oto",
        /// Multi-leg options order.
        Mleg = "mleg",
    }
}

string_enum! {
    /// Order status, as Alpaca reports it.
    pub enum OrderStatus {
        /// Accepted by Alpaca and routed.
        New = "new",
        /// Partly filled.
        PartiallyFilled = "partially_filled",
        /// Completely filled.
        Filled = "filled",
        /// Done for the day; may still be filled by late reports.
        DoneForDay = "done_for_day",
        /// Canceled.
        Canceled = "canceled",
        /// Expired.
        Expired = "expired",
        /// Replaced by another order.
        Replaced = "replaced",
        /// Cancel requested.
        PendingCancel = "pending_cancel",
        /// Replace requested.
        PendingReplace = "pending_replace",
        /// Accepted but not yet routed (e.g. outside market hours).
        Accepted = "accepted",
        /// Received, not yet accepted.
        PendingNew = "pending_new",
        /// Accepted for bidding (auctions).
        AcceptedForBidding = "accepted_for_bidding",
        /// Stopped: a fill is guaranteed.
        Stopped = "stopped",
        /// Rejected.
        Rejected = "rejected",
        /// Suspended.
        Suspended = "suspended",
        /// Filled, settlement being calculated.
        Calculated = "calculated",
        /// Held (e.g. a bracket leg waiting for its parent).
        Held = "held",
    }
}

impl OrderStatus {
    /// True when the order can no longer change: filled, canceled, expired, replaced, rejected.
    ///
    /// `done_for_day` is not terminal: the order may be resumed or filled by late reports.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Canceled
                | OrderStatus::Expired
                | OrderStatus::Replaced
                | OrderStatus::Rejected
        )
    }

    /// True while the order may still fill.
    pub fn is_open(&self) -> bool {
        !self.is_terminal() && !matches!(self, OrderStatus::Unknown(_))
    }
}

/// An order as Alpaca reports it.
///
/// Multi-leg parents come with an empty `symbol` and no `side`; legs are nested in `legs`.
/// A missing or empty `order_class` means simple.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Order {
    /// Alpaca's order id.
    pub id: String,
    /// Our idempotency key.
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub client_order_id: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last update.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Submitted.
    #[serde(default)]
    pub submitted_at: Option<DateTime<Utc>>,
    /// Filled.
    #[serde(default)]
    pub filled_at: Option<DateTime<Utc>>,
    /// Expired.
    #[serde(default)]
    pub expired_at: Option<DateTime<Utc>>,
    /// Canceled.
    #[serde(default)]
    pub canceled_at: Option<DateTime<Utc>>,
    /// Failed.
    #[serde(default)]
    pub failed_at: Option<DateTime<Utc>>,
    /// Replaced.
    #[serde(default)]
    pub replaced_at: Option<DateTime<Utc>>,
    /// The order that replaced this one.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub replaced_by: Option<String>,
    /// The order this one replaced.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub replaces: Option<String>,
    /// When a GTC order expires.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Asset id.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub asset_id: Option<String>,
    /// Symbol; empty on multi-leg parents.
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub symbol: String,
    /// Asset class; `None` on multi-leg parents.
    #[serde(default, deserialize_with = "wire::opt_from_str")]
    pub asset_class: Option<AssetClass>,
    /// Dollar amount, for notional orders.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub notional: Option<Decimal>,
    /// Quantity (shares, contracts, or strategy units for multi-leg).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub qty: Option<Decimal>,
    /// Filled quantity (zero when nothing filled).
    #[serde(default, deserialize_with = "wire::decimal_or_zero")]
    pub filled_qty: Decimal,
    /// Average fill price.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub filled_avg_price: Option<Decimal>,
    /// Order class (`None` from the wire means simple; see [`Order::class`]).
    #[serde(default, deserialize_with = "wire::opt_from_str")]
    pub order_class: Option<OrderClass>,
    /// Order type; `None` on multi-leg legs (`"type": ""`).
    #[serde(rename = "type", default, deserialize_with = "wire::opt_from_str")]
    pub order_type: Option<OrderType>,
    /// Side; `None` on multi-leg parents.
    #[serde(default, deserialize_with = "wire::opt_from_str")]
    pub side: Option<OrderSide>,
    /// Time in force.
    #[serde(default, deserialize_with = "wire::opt_from_str")]
    pub time_in_force: Option<TimeInForce>,
    /// Limit price (net price for multi-leg; negative for a credit).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub limit_price: Option<Decimal>,
    /// Stop price.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub stop_price: Option<Decimal>,
    /// Trailing amount in dollars.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub trail_price: Option<Decimal>,
    /// Trailing amount in percent.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub trail_percent: Option<Decimal>,
    /// High-water mark of a trailing stop (informational: dropped if unparseable).
    #[serde(default, deserialize_with = "wire::opt_decimal_lossy")]
    pub hwm: Option<Decimal>,
    /// Status.
    pub status: OrderStatus,
    /// Eligible for extended hours.
    #[serde(default)]
    pub extended_hours: bool,
    /// Bracket / OCO / OTO exits, or multi-leg legs.
    #[serde(default, deserialize_with = "wire::vec_or_null")]
    pub legs: Vec<Order>,
    /// Position intent (options).
    #[serde(default, deserialize_with = "wire::opt_from_str")]
    pub position_intent: Option<PositionIntent>,
    /// Leg ratio (multi-leg legs).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub ratio_qty: Option<Decimal>,
}

impl Order {
    /// The order class, with a missing value read as simple.
    pub fn class(&self) -> OrderClass {
        self.order_class.clone().unwrap_or(OrderClass::Simple)
    }

    /// The OCC symbol, if this is a single-leg option order (or an option leg).
    pub fn option_symbol(&self) -> Option<OccSymbol> {
        OccSymbol::parse(&self.symbol).ok()
    }

    /// Quantity not yet filled, if the order has a quantity (and `None` for quantities so
    /// absurd that their difference overflows: both come from the network).
    pub fn remaining_qty(&self) -> Option<Decimal> {
        self.qty
            .and_then(|q| q.checked_sub(self.filled_qty))
            .map(|r| r.max(Decimal::ZERO))
    }
}
