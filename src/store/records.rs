//! What the engine persists: signals with their decisions, executions with their state history,
//! tracked positions, trades, daily summaries and journal events.
//!
//! Every record is plain serde data with a natural key, so each store can upsert it idempotently:
//! writing the same record twice leaves the same state as writing it once.

use crate::exec::ExecState;
use crate::options::select::FilterCounts;
use crate::risk::{Bias, Side, TrailingState};
use crate::strategy::{Signal, SignalId};
use crate::{OrderRequest, OrderSide, PositionIntent, Qty, Result as CrateResult};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// `Clone` for a record whose `clone_from` reuses the target's strings and vectors field by
/// field: stores overwrite a record in place on every update of an order or position, and
/// the derived `clone_from` would allocate the whole record again. The fields are listed, and
/// destructured without `..`, so a field added to the struct but not here fails to compile.
macro_rules! clone_in_place {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl Clone for $ty {
            fn clone(&self) -> Self {
                let Self { $($field),* } = self;
                Self { $($field: $field.clone()),* }
            }

            fn clone_from(&mut self, source: &Self) {
                let Self { $($field),* } = source;
                $(self.$field.clone_from($field);)*
            }
        }
    };
}

/// What happened to a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An order was accepted by the broker (or a position exit was placed).
    Executed,
    /// A guard or the sizing said no; see the reason.
    Skipped,
    /// The market was closed and the executor queues such signals for the next open.
    Queued,
    /// Something failed (broker refused, store unavailable, ...); see the detail.
    Failed,
    /// The order was submitted but its outcome is still unknown; reconciled by the next sync.
    Unresolved,
}

/// Why a signal was not executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum SkipReason {
    /// The same signal (same id) was already handled.
    Duplicate,
    /// The signal itself is malformed (empty symbol, non-positive price, bad option window).
    InvalidSignal {
        /// What is wrong.
        detail: String,
    },
    /// The account may not trade (blocked or not active).
    AccountBlocked,
    /// The regular session is closed.
    MarketClosed,
    /// The daily loss halt is in force.
    Halted {
        /// Today's equity change as a fraction.
        change: Decimal,
        /// The limit.
        limit: Decimal,
    },
    /// The quality filter rejected the signal's levels.
    Quality {
        /// The filter's reason.
        detail: String,
    },
    /// The strategy already holds a position in the symbol.
    ExistingPosition,
    /// The strategy already has a working order in the symbol.
    OpenOrder,
    /// An exit signal without an open position.
    NoPosition,
    /// An exit is already working for the position.
    ExitInProgress,
    /// Short entries are off (or asked for on options).
    ShortNotAllowed,
    /// A portfolio limit (positions or allocation) would be broken.
    Limits {
        /// Which limit.
        detail: String,
    },
    /// The size came out below one unit.
    TooSmall {
        /// The sizing's reason.
        detail: String,
    },
    /// No option contract passed the selection filters.
    NoContract {
        /// Contracts in the chain.
        chain_len: usize,
        /// How many each filter removed.
        removed: FilterCounts,
    },
    /// The event filter saw a corporate action or a news burst ahead (or could not look, and
    /// is set to block then).
    EventAhead {
        /// The event.
        event: crate::risk::EventBlock,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Duplicate => f.write_str("duplicate signal"),
            SkipReason::InvalidSignal { detail } => write!(f, "invalid signal: {detail}"),
            SkipReason::AccountBlocked => f.write_str("account may not trade"),
            SkipReason::MarketClosed => f.write_str("market closed"),
            SkipReason::Halted { change, limit } => {
                write!(f, "daily loss halt: change {change} reached limit -{limit}")
            }
            SkipReason::Quality { detail } => write!(f, "quality filter: {detail}"),
            SkipReason::ExistingPosition => f.write_str("strategy already holds the symbol"),
            SkipReason::OpenOrder => f.write_str("strategy already has an open order"),
            SkipReason::NoPosition => f.write_str("exit without an open position"),
            SkipReason::ExitInProgress => f.write_str("exit already in progress"),
            SkipReason::ShortNotAllowed => f.write_str("short entries not allowed"),
            SkipReason::Limits { detail } => write!(f, "portfolio limit: {detail}"),
            SkipReason::TooSmall { detail } => write!(f, "too small: {detail}"),
            SkipReason::NoContract { chain_len, removed } => {
                write!(f, "no contract among {chain_len} ({removed})")
            }
            SkipReason::EventAhead { event } => write!(f, "event ahead: {event}"),
        }
    }
}

impl SkipReason {
    /// Short snake_case name for metrics and tracing.
    pub fn name(&self) -> &'static str {
        match self {
            SkipReason::Duplicate => "duplicate",
            SkipReason::InvalidSignal { .. } => "invalid_signal",
            SkipReason::AccountBlocked => "account_blocked",
            SkipReason::MarketClosed => "market_closed",
            SkipReason::Halted { .. } => "halted",
            SkipReason::Quality { .. } => "quality",
            SkipReason::ExistingPosition => "existing_position",
            SkipReason::OpenOrder => "open_order",
            SkipReason::NoPosition => "no_position",
            SkipReason::ExitInProgress => "exit_in_progress",
            SkipReason::ShortNotAllowed => "short_not_allowed",
            SkipReason::Limits { .. } => "limits",
            SkipReason::TooSmall { .. } => "too_small",
            SkipReason::NoContract { .. } => "no_contract",
            SkipReason::EventAhead { .. } => "event_ahead",
        }
    }
}

/// The executor's decision on one signal, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The signal.
    pub signal_id: SignalId,
    /// What happened.
    pub outcome: Outcome,
    /// Why it was skipped, when it was.
    pub skip: Option<SkipReason>,
    /// Human-readable detail (the error, the chosen contract, the size).
    pub detail: String,
    /// The order placed for it, if any.
    pub client_order_id: Option<String>,
    /// True when seeing the signal again may execute it (queued, or failed before anything
    /// reached the broker).
    pub retryable: bool,
    /// When decided.
    pub at: DateTime<Utc>,
}

/// A signal as stored: the signal, when it arrived, and the decision once made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalRecord {
    /// Its id.
    pub id: SignalId,
    /// The signal.
    pub signal: Signal,
    /// When the executor first saw it.
    pub received_at: DateTime<Utc>,
    /// The latest decision.
    pub decision: Option<Decision>,
}

/// Whether an order opens or closes a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Opens the position.
    Entry,
    /// Closes it.
    Exit,
}

/// Everything needed to rebuild the exact same order after a restart.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSpec {
    /// Symbol (OCC for options).
    pub symbol: String,
    /// Buy or sell.
    pub side: OrderSide,
    /// Shares or contracts.
    pub qty: Decimal,
    /// Limit price; `None` for a market order.
    pub limit_price: Option<Decimal>,
    /// Position intent (sent for options).
    pub position_intent: Option<PositionIntent>,
}

clone_in_place!(OrderSpec {
    symbol,
    side,
    qty,
    limit_price,
    position_intent,
});

impl OrderSpec {
    /// The validated day order with this id.
    pub fn to_request(&self, client_order_id: &str) -> CrateResult<OrderRequest> {
        let mut b = OrderRequest::builder(&self.symbol, self.side.clone(), Qty::Shares(self.qty))
            .client_order_id(client_order_id);
        if let Some(p) = self.limit_price {
            b = b.limit_price(p);
        }
        if let Some(i) = &self.position_intent {
            b = b.position_intent(i.clone());
        }
        b.build()
    }
}

/// A state change of an execution.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChange {
    /// When observed.
    pub at: DateTime<Utc>,
    /// The new state.
    pub state: ExecState,
    /// Cumulative filled quantity then.
    pub filled_qty: Decimal,
    /// Why, or what was seen.
    pub note: String,
}

clone_in_place!(StateChange {
    at,
    state,
    filled_qty,
    note,
});

/// One order the engine placed (or is about to), keyed by its client order id.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    /// Idempotency key, derived from the signal (or the position, for exits).
    pub client_order_id: String,
    /// The signal it serves.
    pub signal_id: SignalId,
    /// The strategy.
    pub strategy: String,
    /// The underlying symbol.
    pub underlying: String,
    /// Entry or exit.
    pub role: Role,
    /// The position it opens or closes.
    pub position_id: String,
    /// The order.
    pub order: OrderSpec,
    /// Current state.
    pub state: ExecState,
    /// The broker's order id, once known.
    pub broker_order_id: Option<String>,
    /// Cumulative filled quantity.
    pub filled_qty: Decimal,
    /// Average price of the filled quantity.
    pub filled_avg_price: Option<Decimal>,
    /// Last error, if any.
    pub error: Option<String>,
    /// Written to the store (before sending).
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Every state change, oldest first.
    pub history: Vec<StateChange>,
}

clone_in_place!(Execution {
    client_order_id,
    signal_id,
    strategy,
    underlying,
    role,
    position_id,
    order,
    state,
    broker_order_id,
    filled_qty,
    filled_avg_price,
    error,
    created_at,
    updated_at,
    history,
});

/// Lifecycle of a tracked position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PositionStatus {
    /// Entry order working, nothing filled yet.
    Opening,
    /// Holding.
    Open,
    /// Exit order working.
    Closing,
    /// Flat.
    Closed,
    /// The entry ended without any fill.
    NeverOpened,
}

impl PositionStatus {
    /// True while the position holds (or may come to hold) quantity.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            PositionStatus::Opening | PositionStatus::Open | PositionStatus::Closing
        )
    }
}

/// The filled part of one exit order of a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitFill {
    /// Cumulative filled quantity of that order.
    pub qty: Decimal,
    /// Its average fill price.
    pub price: Decimal,
}

/// A position linked to the signal that opened it, as the position monitor manages it.
///
/// Fills are stored as each order's *cumulative* figures (not added up as they arrive), so
/// applying the same broker answer twice, for example after a crash between two writes, leaves
/// the position unchanged.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedPosition {
    /// Key: the entry order's client order id.
    pub id: String,
    /// The strategy.
    pub strategy: String,
    /// The underlying symbol.
    pub underlying: String,
    /// The held symbol (OCC for options).
    pub symbol: String,
    /// The opening signal.
    pub signal_id: SignalId,
    /// Long or short the instrument.
    pub side: Side,
    /// Direction the underlying must move.
    pub bias: Bias,
    /// Quantity the entry order asked for.
    pub planned_qty: Decimal,
    /// Cost the entry was sized at (counts against limits until filled).
    pub planned_cost: Decimal,
    /// Entry quantity filled so far.
    pub entry_qty: Decimal,
    /// Average entry price per unit, once something filled.
    pub entry_price: Option<Decimal>,
    /// Filled exit quantities by exit client order id.
    pub exit_fills: BTreeMap<String, ExitFill>,
    /// Shares per unit: 1 for stock, the contract multiplier for options.
    pub multiplier: Decimal,
    /// Stop level of the underlying.
    pub stop: Option<Decimal>,
    /// Target level of the underlying.
    pub target: Option<Decimal>,
    /// Option expiration.
    pub expiration: Option<NaiveDate>,
    /// Trailing-stop state, carried between checks.
    pub trailing: TrailingState,
    /// Status.
    pub status: PositionStatus,
    /// Exit orders placed so far (each attempt gets its own client order id).
    pub exit_attempts: u32,
    /// The working exit's client order id.
    pub exit_client_order_id: Option<String>,
    /// Why the exit was placed.
    pub exit_reason: Option<String>,
    /// The rule that closed (or is closing) the position, for grouping: an exit rule's name
    /// (`dte`, `stop`, `max_loss`, `target`, `max_profit`, `time`, `trailing`), `signal`,
    /// `manual`, or an ending outside the engine (`expired`, `exercised`, `assigned`,
    /// `cash_settled`, `external`). Absent in records written before it existed.
    #[serde(default)]
    pub exit_rule: Option<String>,
    /// When created.
    pub opened_at: DateTime<Utc>,
    /// When closed.
    pub closed_at: Option<DateTime<Utc>>,
}

clone_in_place!(TrackedPosition {
    id,
    strategy,
    underlying,
    symbol,
    signal_id,
    side,
    bias,
    planned_qty,
    planned_cost,
    entry_qty,
    entry_price,
    exit_fills,
    multiplier,
    stop,
    target,
    expiration,
    trailing,
    status,
    exit_attempts,
    exit_client_order_id,
    exit_reason,
    exit_rule,
    opened_at,
    closed_at,
});

impl TrackedPosition {
    /// Quantity still held; `None` when the stored figures overflow (they come from a broker
    /// and a store, so they are checked).
    pub fn open_qty(&self) -> Option<Decimal> {
        let exited = self
            .exit_fills
            .values()
            .try_fold(Decimal::ZERO, |sum, f| sum.checked_add(f.qty))?;
        Some(self.entry_qty.checked_sub(exited)?.max(Decimal::ZERO))
    }

    /// Realised P&L in dollars of the exits so far; `None` when it overflows.
    pub fn realized_pnl(&self) -> Option<Decimal> {
        let Some(entry) = self.entry_price else {
            return Some(Decimal::ZERO);
        };
        self.exit_fills.values().try_fold(Decimal::ZERO, |sum, f| {
            let per_unit = match self.side {
                Side::Long => f.price.checked_sub(entry)?,
                Side::Short => entry.checked_sub(f.price)?,
            };
            sum.checked_add(per_unit.checked_mul(f.qty)?.checked_mul(self.multiplier)?)
        })
    }

    /// Dollars the position commits, for portfolio limits: the open quantity at the entry price
    /// once filled, else the planned cost; `None` when it overflows.
    pub fn exposure(&self) -> Option<Decimal> {
        match self.entry_price {
            Some(p) if self.entry_qty > Decimal::ZERO => self
                .open_qty()?
                .checked_mul(p)?
                .checked_mul(self.multiplier),
            _ if self.status == PositionStatus::Opening => Some(self.planned_cost),
            _ => Some(Decimal::ZERO),
        }
    }
}

/// One fill as the trade journal records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeRecord {
    /// Key: client order id and cumulative filled quantity, so a fill is recorded once.
    pub id: String,
    /// When observed.
    pub time: DateTime<Utc>,
    /// The strategy.
    pub strategy: String,
    /// The traded symbol.
    pub symbol: String,
    /// `buy` or `sell`, with `_to_open` / `_to_close`.
    pub action: String,
    /// Quantity of this fill.
    pub qty: Decimal,
    /// Price of this fill.
    pub price: Decimal,
    /// The broker's order id.
    pub order_id: String,
    /// Our client order id.
    pub client_order_id: String,
    /// Realised P&L of this fill (exits only).
    pub realized_pnl: Option<Decimal>,
}

/// One strategy's day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySummary {
    /// Trading date (New York).
    pub date: NaiveDate,
    /// The strategy.
    pub strategy: String,
    /// Signals seen.
    pub signals: u32,
    /// Signals executed.
    pub executed: u32,
    /// Signals skipped.
    pub skipped: u32,
    /// Signals failed or unresolved.
    pub failed: u32,
    /// Fills recorded.
    pub fills: u32,
    /// Realised P&L in dollars.
    pub realized_pnl: Decimal,
}

/// Kind of a journal event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A signal arrived.
    Signal,
    /// A decision was made.
    Decision,
    /// An order changed state.
    Order,
    /// A fill.
    Fill,
    /// An error.
    Error,
    /// Reconciliation with the broker found something.
    Reconcile,
    /// A position exit was decided.
    Exit,
    /// A daily summary.
    DailySummary,
}

/// One line of the JSON Lines event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineEvent {
    /// When.
    pub time: DateTime<Utc>,
    /// What kind.
    pub kind: EventKind,
    /// The strategy, if one is concerned.
    pub strategy: Option<String>,
    /// The symbol, if one is concerned.
    pub symbol: Option<String>,
    /// Details (the decision, the order, the error, ...).
    pub detail: serde_json::Value,
}
