//! The execution engine: signals in, orders out, safely.
//!
//! [`Executor::execute`] takes a batch of [`Signal`]s and, for each in order, records a
//! [`Decision`] with its reason:
//!
//! 1. **dedupe** by [`SignalId`](crate::strategy::SignalId): a signal already decided is skipped
//!    (unless it was queued, or failed before anything reached the broker);
//! 2. **guards**: account able to trade, market open (else skipped or queued, per
//!    [`ClosedMarket`]), daily loss halt, quality filter, no second entry while the strategy holds
//!    the symbol or has an order working in it, exits only for an open position, no entry with
//!    an event ahead (when given an [`EventFilter`]), portfolio
//!    limits;
//! 3. **instrument**: the symbol's shares, or an option contract chosen by the toolkit's
//!    delta/DTE selection from the broker's chain (a miss records the per-filter counts);
//! 4. **size** with the toolkit; a size below one unit is a recorded skip;
//! 5. **build** the order (market for equities, limit at mid plus a tolerance for options, both
//!    configurable) with a client order id derived from the signal, and write the execution as
//!    `pending` to the store *before* sending;
//! 6. **submit**; after an ambiguous failure look the order up by client order id and re-send
//!    only if the broker does not have it; a 422 duplicate id means it exists and is adopted
//!    (an order that does not show yet is left [unconfirmed](ExecState::Unconfirmed), never
//!    rejected, and adopted when it shows; see [`UnconfirmedPolicy`]);
//! 7. **track** the order through the [state table](ExecState) by polling
//!    ([`Executor::poll_orders`]) or pushed updates ([`Executor::on_order_update`]; with the
//!    `websockets` feature, `Executor::apply_trade_update` and
//!    `PositionMonitor::run_with_updates` consume Alpaca's trade-update stream, polling kept as
//!    the fallback); fills update the tracked position and the trade journal.
//!
//! One signal's failure is recorded, alerted and logged; the rest of the batch goes on. A broker
//! answer the engine cannot apply (figures that overflow, a fill larger than its order) moves
//! that one execution to [`ExecState::NeedsAttention`], alerted, and the engine goes on.
//! [`Executor::reconcile`] on start resumes what a previous process left unfinished.
//! [`PositionMonitor`] manages open positions to their exit, and on every pass
//! [`Executor::close_ended_positions`] closes, from the broker's account activities, those that
//! ended outside the engine (expiry, exercise, assignment, a manual close).
//!
//! The whole pipeline offline, on the simulated broker the backtester uses (swap in
//! [`AlpacaBroker`](crate::broker::AlpacaBroker) for paper or live; nothing else changes):
//!
//! ```
//! use alpaca_exec::backtest::session::SessionCalendar;
//! use alpaca_exec::backtest::sim::{SimBroker, SimConfig};
//! use alpaca_exec::prelude::*;
//! use alpaca_exec::store::{Outcome, PositionStatus};
//! use std::sync::Arc;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let monday = NaiveDate::from_ymd_opt(2024, 3, 4).unwrap();
//! let tuesday = monday.succ_opt().unwrap();
//! let mon = Bar::daily(monday, dec!(50), dec!(51), dec!(49), dec!(50), dec!(1000000));
//! let tue = Bar::daily(tuesday, dec!(50), dec!(50.5), dec!(47), dec!(47.5), dec!(1000000));
//! let sim = Arc::new(SimBroker::new(
//!     SimConfig::default(),
//!     SessionCalendar::from_times([mon.timestamp, tue.timestamp]),
//! ));
//! sim.set_now(mon.timestamp + ChronoDuration::hours(10)); // Monday 10:00 New York: open
//! sim.on_bar("XYZ", &mon);
//!
//! let store = Arc::new(MemoryStore::new());
//! let exec = Arc::new(Executor::new(sim.clone(), store.clone(), ExecutorConfig::new()));
//! let entry = Signal::new("demo", "XYZ", Intent::EnterLong, dec!(50), mon.timestamp)
//!     .stop(dec!(48))
//!     .target(dec!(56));
//! let decisions = exec.execute(&[entry.clone()]).await;
//! assert_eq!(decisions[0].outcome, Outcome::Executed); // 200 shares: 10% of $100,000
//! // The same signal again (a restart, a duplicated message) is recognised, not placed twice.
//! assert_eq!(exec.execute(&[entry]).await[0].outcome, Outcome::Skipped);
//!
//! // Tuesday's bar fills the market order at its open; a poll records the fill.
//! sim.set_now(tue.timestamp + ChronoDuration::hours(10));
//! sim.on_bar("XYZ", &tue);
//! exec.poll_orders().await.unwrap();
//! let position = &store.positions(true).await.unwrap()[0];
//! assert_eq!((position.status, position.entry_qty), (PositionStatus::Open, dec!(200)));
//!
//! // The price is below the signal's stop: the monitor places the exit.
//! let monitor = PositionMonitor::new(exec.clone(), ExitPolicy::default());
//! let report = monitor.check_once().await.unwrap();
//! assert_eq!(report.exits.len(), 1);
//! assert!(report.exits[0].1.contains("stop"), "{:?}", report.exits);
//! # }
//! ```

mod attention;
mod decide;
mod ids;
mod journal;
pub mod ledger;
mod lifecycle;
mod monitor;
mod reconcile;
mod state;
mod submit;
mod summary;
mod track;
mod unconfirmed;
#[cfg(feature = "websockets")]
mod updates;

pub use ids::{entry_client_order_id, exit_client_order_id};
pub use journal::{Journal, JournaledStore};
pub use lifecycle::{EndedPosition, EndedReport, UNEXPLAINED_GRACE};
pub use monitor::{DEFAULT_INTERVAL, MonitorReport, MonitorStats, PositionMonitor};
pub use reconcile::ReconcileReport;
pub use state::ExecState;
pub use unconfirmed::UnconfirmedPolicy;

use crate::alert::{Alert, Alerter, LogAlerter, deliver};
use crate::broker::Broker;
use crate::options::select::SelectionPolicy;
use crate::risk::{
    DailyLossGuard, DailyLossLimit, EquitySizingPolicy, EventFilter, OptionSizingPolicy,
    PortfolioLimits, SignalFilter,
};
use crate::store::{Decision, EngineEvent, EventKind, ExecutionStore, StoreError};
use crate::strategy::Signal;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What to do with an entry signal while the market is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClosedMarket {
    /// Record it as skipped (default): a signal computed on one session's bar is stale by the
    /// next open for most strategies.
    #[default]
    Skip,
    /// Record it as queued; [`Executor::execute_queued`] runs queued signals once the market is
    /// open.
    Queue,
}

/// How option entries are priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionPricing {
    /// Market order (sized at the ask).
    Market,
    /// Limit at the quote's mid plus `tolerance` as a fraction of mid (default 0.05), rounded
    /// up to the cent and never above the ask.
    LimitAtMid {
        /// Fraction of mid to pay above it.
        tolerance: Decimal,
    },
}

impl Default for OptionPricing {
    fn default() -> Self {
        OptionPricing::LimitAtMid {
            tolerance: Decimal::new(5, 2),
        }
    }
}

/// The executor's rules. Every field has a default from the toolkit.
#[derive(Debug, Clone, Default)]
pub struct ExecutorConfig {
    /// Equity sizing (default 10% of equity, whole shares).
    pub equity_sizing: EquitySizingPolicy,
    /// Equity sizing for one strategy, or one strategy's symbol, instead of `equity_sizing`
    /// (e.g. an hourly swing strategy that sizes TSLA at 4% and NVDA at 6%). Empty by default.
    pub equity_sizing_overrides: SizingOverrides,
    /// Option sizing (default $300 per trade).
    pub option_sizing: OptionSizingPolicy,
    /// Portfolio limits (default 5 positions per strategy, 50% of equity allocated).
    pub limits: PortfolioLimits,
    /// Daily loss halt (default 2%).
    pub daily_loss: DailyLossLimit,
    /// Quality filter for signals with both stop and target; `None` turns it off.
    pub signal_filter: Option<SignalFilter>,
    /// Contract selection; each signal's delta and DTE window override the policy's.
    pub selection: SelectionPolicy,
    /// Option entry pricing (default limit at mid + 5%).
    pub option_pricing: OptionPricing,
    /// Entry signals while the market is closed.
    pub closed_market: ClosedMarket,
    /// Whether `EnterShort` signals may short stock (default off).
    pub allow_short: bool,
    /// On restart, an order written as pending but absent at the broker is sent if it is at
    /// most this old, and abandoned otherwise (default 5 minutes).
    pub resume_pending_within: Duration,
    /// Orders the broker says exist (a duplicate client order id) but does not show yet.
    pub unconfirmed: UnconfirmedPolicy,
}

impl ExecutorConfig {
    /// The defaults with the quality filter on.
    pub fn new() -> Self {
        Self {
            signal_filter: Some(SignalFilter::default()),
            resume_pending_within: Duration::from_secs(300),
            ..Self::default()
        }
    }
}

/// Per-strategy and per-(strategy, symbol) equity sizing, consulted before
/// [`ExecutorConfig::equity_sizing`]: the most specific entry wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SizingOverrides {
    by_strategy: std::collections::BTreeMap<String, EquitySizingPolicy>,
    by_symbol: std::collections::BTreeMap<(String, String), EquitySizingPolicy>,
}

impl SizingOverrides {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sizes every signal of `strategy` with `policy`.
    pub fn strategy(mut self, strategy: &str, policy: EquitySizingPolicy) -> Self {
        self.by_strategy.insert(strategy.to_owned(), policy);
        self
    }

    /// Sizes `strategy`'s signals in `symbol` (upper-cased, as signals are) with `policy`.
    pub fn symbol(mut self, strategy: &str, symbol: &str, policy: EquitySizingPolicy) -> Self {
        self.by_symbol
            .insert((strategy.to_owned(), symbol.to_ascii_uppercase()), policy);
        self
    }

    /// The policy for `strategy` trading `symbol`, if an override covers it.
    pub fn get(&self, strategy: &str, symbol: &str) -> Option<&EquitySizingPolicy> {
        if !self.by_symbol.is_empty()
            && let Some(p) = self
                .by_symbol
                .get(&(strategy.to_owned(), symbol.to_owned()))
        {
            return Some(p);
        }
        self.by_strategy.get(strategy)
    }

    /// Whether there are no overrides.
    pub fn is_empty(&self) -> bool {
        self.by_strategy.is_empty() && self.by_symbol.is_empty()
    }
}

impl ExecutorConfig {
    /// The equity sizing that applies to `strategy` trading `symbol`.
    pub fn equity_sizing_for(&self, strategy: &str, symbol: &str) -> &EquitySizingPolicy {
        self.equity_sizing_overrides
            .get(strategy, symbol)
            .unwrap_or(&self.equity_sizing)
    }
}

/// A test hook called at named points of the order path, so a crash can be injected exactly
/// there. Points: `"pending_written"` (execution stored, order not yet sent) and `"order_sent"`
/// (broker answered, answer not yet stored). Unset in production; see
/// [`Executor::with_failpoint`].
pub type Failpoint = Arc<dyn Fn(&str) + Send + Sync>;

/// Why an executor operation failed as a whole (per-signal failures are decisions instead).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The broker failed.
    #[error("broker: {0}")]
    Broker(#[from] crate::Error),
    /// The request makes no sense (unknown position, bad order).
    #[error("{0}")]
    Invalid(String),
}

/// Turns signals into orders. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Executor {
    pub(crate) broker: Arc<dyn Broker>,
    pub(crate) store: Arc<dyn ExecutionStore>,
    pub(crate) alerter: Arc<dyn Alerter>,
    pub(crate) config: ExecutorConfig,
    pub(crate) guard: Mutex<DailyLossGuard>,
    pub(crate) lookups: unconfirmed::LookupSchedule,
    /// Since when each tracked position has been short at the broker with nothing explaining
    /// it (see `lifecycle`).
    pub(crate) missing_since: Mutex<std::collections::HashMap<String, DateTime<Utc>>>,
    pub(crate) event_filter: Option<Arc<EventFilter>>,
    failpoint: Option<Failpoint>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("config", &self.config)
            .field("event_filter", &self.event_filter)
            .field("failpoint", &self.failpoint.is_some())
            .finish_non_exhaustive()
    }
}

impl Executor {
    /// An executor over a broker and a store, alerting to the log.
    pub fn new(
        broker: Arc<dyn Broker>,
        store: Arc<dyn ExecutionStore>,
        config: ExecutorConfig,
    ) -> Self {
        let guard = Mutex::new(DailyLossGuard::new(config.daily_loss));
        Self {
            broker,
            store,
            alerter: Arc::new(LogAlerter),
            config,
            guard,
            lookups: unconfirmed::LookupSchedule::default(),
            missing_since: Mutex::new(std::collections::HashMap::new()),
            event_filter: None,
            failpoint: None,
        }
    }

    /// Skips entries in symbols with an event ahead (see [`EventFilter`]). Off unless set; exits
    /// are never held back.
    pub fn with_event_filter(mut self, filter: Arc<EventFilter>) -> Self {
        self.event_filter = Some(filter);
        self
    }

    /// Sends alerts to `alerter` instead of the log.
    pub fn with_alerter(mut self, alerter: Arc<dyn Alerter>) -> Self {
        self.alerter = alerter;
        self
    }

    /// Installs a [`Failpoint`]. For crash-safety tests only: the hook runs inline on the order
    /// path.
    pub fn with_failpoint(mut self, failpoint: Failpoint) -> Self {
        self.failpoint = Some(failpoint);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &ExecutorConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn ExecutionStore> {
        &self.store
    }

    /// The broker.
    pub fn broker(&self) -> &Arc<dyn Broker> {
        &self.broker
    }

    /// Whether the store lets this process send orders now; refused, the request is
    /// [`Error::NotSent`](crate::Error::NotSent) (nothing left this machine).
    pub(crate) fn may_send(&self, method: &str, path: &str) -> Result<(), crate::Error> {
        self.store
            .may_send_orders()
            .map_err(|e| crate::Error::NotSent {
                method: method.to_owned(),
                path: path.to_owned(),
                message: e.to_string(),
            })
    }

    pub(crate) fn failpoint(&self, name: &str) {
        if let Some(f) = &self.failpoint {
            f(name);
        }
    }

    /// Records an event through the store's journal hook; a failure is logged, not returned,
    /// because the event log must never stop trading. `detail` is only built when the store
    /// records events (see [`ExecutionStore::records_events`]), so an unjournaled executor pays
    /// nothing for it.
    pub(crate) async fn event(
        &self,
        kind: EventKind,
        strategy: Option<&str>,
        symbol: Option<&str>,
        detail: impl FnOnce() -> serde_json::Value,
    ) {
        if !self.store.records_events() {
            return;
        }
        let e = EngineEvent {
            time: now(),
            kind,
            strategy: strategy.map(str::to_owned),
            symbol: symbol.map(str::to_owned),
            detail: detail(),
        };
        if let Err(err) = self.store.record_event(&e).await {
            tracing::warn!(error = %err, "event not recorded");
        }
    }

    /// Records, logs and alerts an error concerning one strategy/symbol; never fails.
    pub(crate) async fn report_error(
        &self,
        strategy: Option<&str>,
        symbol: Option<&str>,
        message: String,
    ) {
        tracing::error!(?strategy, ?symbol, %message, "executor error");
        self.event(
            EventKind::Error,
            strategy,
            symbol,
            || serde_json::json!({ "message": message }),
        )
        .await;
        let alert = Alert::Error {
            strategy: strategy.map(str::to_owned),
            symbol: symbol.map(str::to_owned),
            message,
            time: now(),
        };
        deliver(self.alerter.as_ref(), &alert).await;
    }

    /// Executes a batch of signals in order; returns one decision per signal.
    pub async fn execute(&self, signals: &[Signal]) -> Vec<Decision> {
        decide::execute_batch(self, signals, false).await
    }

    /// Executes the signals recorded as queued (see [`ClosedMarket::Queue`]); a no-op returning
    /// nothing while the market is still closed.
    pub async fn execute_queued(&self) -> Result<Vec<Decision>, ExecError> {
        let queued: Vec<Signal> = self
            .store
            .signals()
            .await?
            .into_iter()
            .filter(|r| {
                r.decision
                    .as_ref()
                    .is_some_and(|d| d.outcome == crate::store::Outcome::Queued)
            })
            .map(|r| r.signal)
            .collect();
        if queued.is_empty() || !self.broker.clock().await?.is_open {
            return Ok(Vec::new());
        }
        Ok(decide::execute_batch(self, &queued, true).await)
    }
}

/// A time source for the executor's records (decision, fill and position times).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

tokio::task_local! {
    static CLOCK: Clock;
}

/// Runs `fut` with `clock` as the time the executor records, instead of the wall clock.
///
/// The backtester runs the executor under the simulated broker's clock so that every stored
/// time is a simulated one and a replay is deterministic. The source is scoped to the task
/// running `fut`; live trading never sets it.
pub async fn with_clock<F: std::future::Future>(clock: Clock, fut: F) -> F::Output {
    CLOCK.scope(clock, fut).await
}

pub(crate) fn now() -> DateTime<Utc> {
    CLOCK.try_with(|c| c()).unwrap_or_else(|_| Utc::now())
}
