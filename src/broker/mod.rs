//! The [`Broker`] trait: everything the executor needs from a venue, and nothing more.
//!
//! The types here are plain data owned by this module rather than the Trading API's wire types,
//! so a broker can be implemented without HTTP: [`AlpacaBroker`] maps Alpaca's answers onto them,
//! and a simulated broker (the backtester's) or a test double builds them directly.
//!
//! Errors are the crate's [`Error`], with the same meaning for every broker: a
//! 404 [`ApiError`] for "no such order", [`Error::OutcomeUnknown`] when a submit may or may not
//! have been acted on, and a 422 with [`CODE_DUPLICATE_CLIENT_ORDER_ID`] for a reused
//! `client_order_id`. [`not_found`] and [`duplicate_client_order_id`] build the last two for
//! implementations that are not Alpaca.

mod alpaca;

pub use alpaca::AlpacaBroker;

use crate::error::{ApiError, CODE_DUPLICATE_CLIENT_ORDER_ID, Error, Result};
use crate::options::OptionType;
use crate::options::select::ContractQuote;
use crate::{OrderRequest, OrderSide, OrderStatus};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Account figures the executor sizes and guards with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSnapshot {
    /// Total equity.
    pub equity: Decimal,
    /// Equity at the previous close (the daily loss reference); `None` if unknown.
    pub last_equity: Option<Decimal>,
    /// Buying power for equities.
    pub buying_power: Decimal,
    /// Buying power for options (falls back to `buying_power` when the venue has none).
    pub options_buying_power: Decimal,
    /// False when the account may not place orders (blocked, suspended, not active).
    pub can_trade: bool,
}

/// The market clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketClock {
    /// The venue's current time.
    pub now: DateTime<Utc>,
    /// Whether the regular session is open.
    pub is_open: bool,
    /// Next regular open.
    pub next_open: DateTime<Utc>,
    /// Next regular close.
    pub next_close: DateTime<Utc>,
}

/// One trading session from the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The trading date (New York).
    pub date: NaiveDate,
    /// Regular open.
    pub open: DateTime<Utc>,
    /// Regular close (early on half days).
    pub close: DateTime<Utc>,
}

/// An open position at the broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerPosition {
    /// Symbol (an OCC symbol for options).
    pub symbol: String,
    /// Quantity; negative for shorts.
    pub qty: Decimal,
    /// Average entry price per unit (per share of premium for options).
    pub avg_entry_price: Decimal,
    /// Market value, if known (signed like `qty`).
    pub market_value: Option<Decimal>,
    /// Current price per unit, if known.
    pub current_price: Option<Decimal>,
}

/// An order as the broker reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerOrder {
    /// The broker's order id.
    pub id: String,
    /// Our idempotency key.
    pub client_order_id: String,
    /// Symbol (an OCC symbol for options; empty for multi-leg parents).
    pub symbol: String,
    /// Side, when the order has one.
    pub side: Option<OrderSide>,
    /// Ordered quantity, when given by quantity.
    pub qty: Option<Decimal>,
    /// Cumulative filled quantity.
    pub filled_qty: Decimal,
    /// Average price of the filled quantity.
    pub filled_avg_price: Option<Decimal>,
    /// Limit price, if any.
    pub limit_price: Option<Decimal>,
    /// Status.
    pub status: OrderStatus,
    /// Last update at the broker.
    pub updated_at: Option<DateTime<Utc>>,
}

/// The latest market price of a symbol (a stock or an OCC option symbol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatestPrice {
    /// Best bid, if quoted.
    pub bid: Option<Decimal>,
    /// Best ask, if quoted.
    pub ask: Option<Decimal>,
    /// Last trade, if any.
    pub last: Option<Decimal>,
    /// Time of the newest figure.
    pub time: Option<DateTime<Utc>>,
}

impl LatestPrice {
    /// The mid of a valid two-sided quote (both sides positive, not crossed).
    pub fn mid(&self) -> Option<Decimal> {
        match (self.bid, self.ask) {
            // Quotes come from the network: a sum beyond the decimal range is no price.
            (Some(b), Some(a)) if b > Decimal::ZERO && a >= b => {
                a.checked_add(b).map(|s| s / Decimal::TWO)
            }
            _ => None,
        }
    }

    /// The best single figure: the mid, else the last trade.
    pub fn price(&self) -> Option<Decimal> {
        self.mid().or(self.last.filter(|p| *p > Decimal::ZERO))
    }

    /// What a long holder could sell at now: the bid, else the mid-or-last price. Used to value
    /// long option positions, where the mid flatters an illiquid contract.
    pub fn exit_price_long(&self) -> Option<Decimal> {
        self.bid.filter(|b| *b > Decimal::ZERO).or(self.price())
    }
}

/// What an account activity did to a position, in the terms the engine needs (see
/// [`Broker::activities`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// An order filled: one of the engine's, or one it did not place (a close from the broker's
    /// dashboard, a liquidation by the broker).
    Fill,
    /// An option expired and was removed (Alpaca's `OPEXP`).
    OptionExpired,
    /// A long option was exercised (`OPEXC`).
    OptionExercised,
    /// A short option was assigned (`OPASN`).
    OptionAssigned,
    /// An option was settled in cash (`OPCSH`).
    OptionCashSettled,
    /// Shares bought or sold at the strike because of an exercise or an assignment (`OPTRD`).
    OptionDelivery,
}

impl ActivityKind {
    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Fill => "fill",
            ActivityKind::OptionExpired => "option_expired",
            ActivityKind::OptionExercised => "option_exercised",
            ActivityKind::OptionAssigned => "option_assigned",
            ActivityKind::OptionCashSettled => "option_cash_settled",
            ActivityKind::OptionDelivery => "option_delivery",
        }
    }
}

/// One account activity that changed a position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerActivity {
    /// The broker's activity id (unique; the engine records each activity once by it).
    pub id: String,
    /// What happened.
    pub kind: ActivityKind,
    /// The symbol whose position changed (an OCC symbol for option events).
    pub symbol: String,
    /// Signed change of the position: positive when bought or received (or a short option
    /// removed), negative when sold, delivered, or a long option removed.
    pub qty: Decimal,
    /// Price per unit (per share of premium for options), when the activity has one: fills and
    /// deliveries.
    pub price: Option<Decimal>,
    /// Cash the activity moved (negative for a debit), when the broker reports it.
    pub net_amount: Option<Decimal>,
    /// The order a fill belongs to.
    pub order_id: Option<String>,
    /// When it happened (for events known only by date: 16:00 New York that day).
    pub time: DateTime<Utc>,
}

/// Which part of an option chain to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainQuery {
    /// The underlying.
    pub underlying: String,
    /// Calls or puts.
    pub option_type: OptionType,
    /// Earliest expiration.
    pub expiration_gte: NaiveDate,
    /// Latest expiration.
    pub expiration_lte: NaiveDate,
}

/// A venue the executor trades through. See the module docs for the error conventions.
#[async_trait]
pub trait Broker: Send + Sync {
    /// Account figures.
    async fn account(&self) -> Result<AccountSnapshot>;

    /// The market clock.
    async fn clock(&self) -> Result<MarketClock>;

    /// Trading sessions from `start` to `end`, inclusive.
    async fn calendar(&self, start: NaiveDate, end: NaiveDate) -> Result<Vec<Session>>;

    /// Open positions.
    async fn positions(&self) -> Result<Vec<BrokerPosition>>;

    /// Orders that may still fill.
    async fn open_orders(&self) -> Result<Vec<BrokerOrder>>;

    /// Submits an order. Must not re-send on its own: an ambiguous failure is
    /// [`Error::OutcomeUnknown`], and the caller looks the order up by its client order id.
    async fn submit_order(&self, order: &OrderRequest) -> Result<BrokerOrder>;

    /// Requests cancellation (a fill may still arrive afterwards).
    async fn cancel_order(&self, order_id: &str) -> Result<()>;

    /// An order by the broker's id.
    async fn order(&self, order_id: &str) -> Result<BrokerOrder>;

    /// An order by our client order id; a 404 [`ApiError`] if the broker never accepted one.
    async fn order_by_client_order_id(&self, client_order_id: &str) -> Result<BrokerOrder>;

    /// The latest price of a stock or an OCC option symbol.
    async fn latest_price(&self, symbol: &str) -> Result<LatestPrice>;

    /// The option chain for a query, with the market data contract selection needs.
    async fn option_chain(&self, query: &ChainQuery) -> Result<Vec<ContractQuote>>;

    /// Activities after `after` that changed positions, oldest first: fills, and the option
    /// events that never appear as orders (expiry, exercise, assignment, cash settlement, and
    /// the share deliveries of the last two). The engine reads them to close, with their real
    /// P&L, positions that ended outside it.
    ///
    /// The default reports none, for a venue without an activity feed: the engine then still
    /// closes a position the broker no longer holds, priced from the contract's expiry or the
    /// latest quote.
    async fn activities(&self, after: DateTime<Utc>) -> Result<Vec<BrokerActivity>> {
        let _ = after;
        Ok(Vec::new())
    }
}

/// A 404 "not found" error, as a non-Alpaca broker reports a missing order.
pub fn not_found(what: impl Into<String>) -> Error {
    ApiError::new(404, Some(40410000), what).into()
}

/// Alpaca's 422 "client_order_id must be unique", for brokers that enforce unique ids too.
pub fn duplicate_client_order_id() -> Error {
    ApiError::new(
        422,
        Some(CODE_DUPLICATE_CLIENT_ORDER_ID),
        "client_order_id must be unique",
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn latest_price_prefers_a_valid_mid() {
        let p = LatestPrice {
            bid: Some(dec!(1.00)),
            ask: Some(dec!(1.10)),
            last: Some(dec!(2)),
            time: None,
        };
        assert_eq!(p.price(), Some(dec!(1.05)));
        assert_eq!(p.exit_price_long(), Some(dec!(1.00)));
        let crossed = LatestPrice {
            bid: Some(dec!(1.2)),
            ..p
        };
        assert_eq!(
            crossed.price(),
            Some(dec!(2)),
            "crossed quote falls back to last"
        );
        let none = LatestPrice {
            bid: None,
            ask: None,
            last: None,
            time: None,
        };
        assert_eq!(none.price(), None);
    }

    #[test]
    fn error_helpers_match_the_crate_predicates() {
        assert!(not_found("order").is_not_found());
        assert!(
            duplicate_client_order_id()
                .api()
                .unwrap()
                .is_duplicate_client_order_id()
        );
    }
}
