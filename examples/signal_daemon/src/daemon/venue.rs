//! One account as the daemon runs it: a broker (Alpaca, or the simulator), its own store (a
//! SQLite file, or a PostgreSQL schema shared with a standby) with a trade journal, an executor with the account's limits (and, when `[event_filter]` is
//! on and the account has Alpaca data, the event filter), and a position monitor with each
//! strategy's exit rules. The broker and store live as long as the daemon; the executor
//! and monitor are rebuilt on a configuration reload, over the same store, so open positions
//! and working orders carry over.

use super::bars::BarSource;
use crate::config::Config;
use crate::endpoints::Endpoints;
use crate::policy;
use alpaca_exec::alert::Alerter;
use alpaca_exec::backtest::sim::SimBroker;
use alpaca_exec::broker::Broker;
use alpaca_exec::exec::{Executor, Journal, JournaledStore, PositionMonitor};
use alpaca_exec::risk::{EventFilter, EventSource};
use alpaca_exec::store::{ExecutionStore, SqliteStore};
use std::path::Path;
use std::sync::Arc;

/// How an account trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VenueKind {
    /// Alpaca paper trading.
    Paper,
    /// Alpaca live trading.
    Live,
    /// The simulated broker on sample data.
    Simulated,
}

impl VenueKind {
    /// For status and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            VenueKind::Paper => "paper",
            VenueKind::Live => "live",
            VenueKind::Simulated => "simulated",
        }
    }
}

/// An account's broker, store, executor and monitor.
pub struct Venue {
    /// The account profile's name.
    pub name: String,
    /// Paper, live or simulated.
    pub kind: VenueKind,
    /// The broker.
    pub broker: Arc<dyn Broker>,
    /// The store (SQLite, journaled).
    pub store: Arc<dyn ExecutionStore>,
    /// Places and tracks orders.
    pub executor: Arc<Executor>,
    /// Manages open positions.
    pub monitor: Arc<PositionMonitor>,
    /// Bars for the strategies on this account.
    pub bars: Arc<dyn BarSource>,
    /// The simulator, when simulated (the clock feeds it bars).
    pub sim: Option<Arc<SimBroker>>,
    /// Corporate actions and news for the event filter (Alpaca accounts; none when simulated).
    pub events: Option<Arc<dyn EventSource>>,
    /// Where its requests go, when opened from the configuration (a reload may not change it).
    pub endpoints: Option<Endpoints>,
}

impl Venue {
    /// Opens the account's store under `data_dir` (or takes `store`, opened elsewhere) and
    /// builds its executor and monitor.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        cfg: &Config,
        name: &str,
        kind: VenueKind,
        broker: Arc<dyn Broker>,
        bars: Arc<dyn BarSource>,
        sim: Option<Arc<SimBroker>>,
        events: Option<Arc<dyn EventSource>>,
        alerter: Arc<dyn Alerter>,
        data_dir: &Path,
        store: Option<Arc<dyn ExecutionStore>>,
    ) -> Result<Self, String> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        let store = match store {
            // A store opened elsewhere (PostgreSQL, shared with a standby).
            Some(s) => s,
            None => {
                let db = data_dir.join(format!("{name}.sqlite"));
                // The first start creates the store; later ones open it, and refuse one that
                // is empty, damaged or in use by another process.
                let sqlite = SqliteStore::open_or_create(&db)
                    .map_err(|e| format!("{}: {e}", db.display()))?;
                let journal = Journal::new(data_dir.join("journal").join(name));
                Arc::new(JournaledStore::new(sqlite, journal))
            }
        };
        let (executor, monitor) = engine(cfg, name, &broker, &store, &events, &alerter)?;
        Ok(Self {
            name: name.to_owned(),
            kind,
            broker,
            store,
            executor,
            monitor,
            bars,
            sim,
            events,
            endpoints: None,
        })
    }

    /// Applies a new configuration's limits, sizes, event filter and exit rules. The monitor's
    /// counters and the event filter's day cache restart; everything persistent is in the store
    /// and stays.
    pub fn reconfigure(&mut self, cfg: &Config, alerter: Arc<dyn Alerter>) -> Result<(), String> {
        let (executor, monitor) = engine(
            cfg,
            &self.name,
            &self.broker,
            &self.store,
            &self.events,
            &alerter,
        )?;
        self.executor = executor;
        self.monitor = monitor;
        Ok(())
    }
}

fn engine(
    cfg: &Config,
    account: &str,
    broker: &Arc<dyn Broker>,
    store: &Arc<dyn ExecutionStore>,
    events: &Option<Arc<dyn EventSource>>,
    alerter: &Arc<dyn Alerter>,
) -> Result<(Arc<Executor>, Arc<PositionMonitor>), String> {
    let mut executor = Executor::new(
        broker.clone(),
        store.clone(),
        policy::executor_config(cfg, Some(account)),
    )
    .with_alerter(alerter.clone());
    if cfg.event_filter.enabled {
        match events {
            Some(source) => {
                let filter = EventFilter::new(cfg.event_filter.settings.clone(), source.clone())
                    .map_err(|e| format!("event_filter.{e}"))?;
                executor = executor.with_event_filter(Arc::new(filter));
            }
            None => tracing::info!(
                account,
                "event filter on, but this account has no Alpaca data (simulated): not applied"
            ),
        }
    }
    let executor = Arc::new(executor);
    let mut monitor = PositionMonitor::new(executor.clone(), policy::default_exit_policy(cfg));
    for (strategy, p) in policy::exit_policies(cfg) {
        if cfg.strategies[&strategy].account() == account {
            monitor = monitor.with_strategy_policy(&strategy, p);
        }
    }
    Ok((executor, Arc::new(monitor)))
}
