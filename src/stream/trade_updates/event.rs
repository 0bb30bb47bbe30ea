//! Trade-update events: what happened to an order, with the order as it now stands.

use crate::trading::orders::{Order, OrderStatus};
use crate::wire::{self, string_enum};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

string_enum! {
    /// What happened to the order.
    pub enum TradeEvent {
        /// Routed to the exchange.
        New = "new",
        /// Completely filled (`price`/`qty` are this execution's).
        Fill = "fill",
        /// Partly filled (`price`/`qty` are this execution's).
        PartialFill = "partial_fill",
        /// Canceled.
        Canceled = "canceled",
        /// Expired.
        Expired = "expired",
        /// Done for the day.
        DoneForDay = "done_for_day",
        /// Replaced by another order.
        Replaced = "replaced",
        /// Rejected.
        Rejected = "rejected",
        /// Received, not yet routed.
        PendingNew = "pending_new",
        /// Cancel requested.
        PendingCancel = "pending_cancel",
        /// Replace requested.
        PendingReplace = "pending_replace",
        /// Stopped: a fill is guaranteed.
        Stopped = "stopped",
        /// Filled, settlement being calculated.
        Calculated = "calculated",
        /// Suspended.
        Suspended = "suspended",
        /// A replace was refused.
        OrderReplaceRejected = "order_replace_rejected",
        /// A cancel was refused.
        OrderCancelRejected = "order_cancel_rejected",
        /// Accepted, not yet routed (e.g. outside market hours).
        Accepted = "accepted",
        /// The order's details were restated.
        Restated = "restated",
    }
}

impl TradeEvent {
    /// True for `fill` and `partial_fill`.
    pub fn is_fill(&self) -> bool {
        matches!(self, TradeEvent::Fill | TradeEvent::PartialFill)
    }

    /// The event that leads to an order status, for updates recovered over REST.
    pub(crate) fn for_status(status: &OrderStatus) -> Option<TradeEvent> {
        Some(match status {
            OrderStatus::New => TradeEvent::New,
            OrderStatus::PartiallyFilled => TradeEvent::PartialFill,
            OrderStatus::Filled => TradeEvent::Fill,
            OrderStatus::DoneForDay => TradeEvent::DoneForDay,
            OrderStatus::Canceled => TradeEvent::Canceled,
            OrderStatus::Expired => TradeEvent::Expired,
            OrderStatus::Replaced => TradeEvent::Replaced,
            OrderStatus::PendingCancel => TradeEvent::PendingCancel,
            OrderStatus::PendingReplace => TradeEvent::PendingReplace,
            OrderStatus::Accepted => TradeEvent::Accepted,
            OrderStatus::PendingNew => TradeEvent::PendingNew,
            OrderStatus::Stopped => TradeEvent::Stopped,
            OrderStatus::Rejected => TradeEvent::Rejected,
            OrderStatus::Suspended => TradeEvent::Suspended,
            OrderStatus::Calculated => TradeEvent::Calculated,
            _ => return None,
        })
    }
}

/// An update to one of the account's orders.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct TradeUpdate {
    /// What happened.
    pub event: TradeEvent,
    /// The order after the event (multi-leg orders carry their legs, each with its own filled
    /// quantity and average price: see [`TradeUpdate::leg_fills`]).
    pub order: Order,
    /// When it happened.
    #[serde(default)]
    pub timestamp: Option<DateTime<Utc>>,
    /// Fill price of this execution (fills only; for recovered fills, the order's average).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub price: Option<Decimal>,
    /// Quantity of this execution (fills only; for recovered fills, all that filled while
    /// disconnected).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub qty: Option<Decimal>,
    /// The position's size after this execution (signed; absent on recovered updates).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub position_qty: Option<Decimal>,
    /// Alpaca's id of this execution (fills only).
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub execution_id: Option<String>,
    /// True when this update was not received on the stream but rebuilt from the order over
    /// REST after a reconnect (it happened while the stream was down).
    #[serde(skip)]
    pub recovered: bool,
}

/// One leg of a multi-leg order, as filled so far.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LegFill {
    /// The leg's (option) symbol.
    pub symbol: String,
    /// Leg ratio.
    pub ratio_qty: Option<Decimal>,
    /// Filled so far on this leg.
    pub filled_qty: Decimal,
    /// Average price of this leg's fills.
    pub filled_avg_price: Option<Decimal>,
}

impl TradeUpdate {
    /// Per-leg fill data of a multi-leg order (empty for a simple order).
    pub fn leg_fills(&self) -> Vec<LegFill> {
        self.order
            .legs
            .iter()
            .map(|leg| LegFill {
                symbol: leg.symbol.clone(),
                ratio_qty: leg.ratio_qty,
                filled_qty: leg.filled_qty,
                filled_avg_price: leg.filled_avg_price,
            })
            .collect()
    }

    /// When it happened, falling back to the order's last update.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.timestamp.or(self.order.updated_at)
    }
}

/// A message on the trade-update stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TradeMessage {
    /// An order update.
    Update(Box<TradeUpdate>),
    /// An event or stream this version does not know, kept as the whole frame's JSON.
    Unknown(serde_json::Value),
}
