//! The accounts the daemon trades, opened from the configuration: Alpaca accounts when their
//! keys resolve, the simulated broker on sample data when no account has keys.
//!
//! All or nothing: with keys for some accounts and not others the daemon refuses to start
//! (naming the account), rather than trading one account for real and another in a simulation.

use super::bars::{AlpacaBars, BarSource, SampleBars};
use super::clock::{DaemonClock, SteppedClock};
use super::venue::{Venue, VenueKind};
use crate::config::Config;
use crate::credentials;
use crate::endpoints::Endpoints;
use crate::sample_data::{self, SymbolSample};
use alpaca_exec::alert::{Alerter, DiscordAlerter, LogAlerter};
use alpaca_exec::backtest::session::SessionCalendar;
use alpaca_exec::backtest::sim::SimBroker;
use alpaca_exec::broker::{AlpacaBroker, Broker};
use alpaca_exec::data::Bar;
use alpaca_exec::risk::EventSource;
use alpaca_exec::store::{ExecutionStore, SqliteStore};
use alpaca_exec::{Client, Environment};
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::America::New_York;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Sessions of minute data the simulated daemon replays.
pub const SIM_SESSIONS: usize = 10;

/// A simulated runtime, its stepped clock, and when its data ends.
pub type Simulation = (Runtime, Arc<dyn DaemonClock>, DateTime<Utc>);

/// The opened accounts.
pub struct Runtime {
    /// By account name.
    pub venues: BTreeMap<String, Venue>,
    /// Where alerts go.
    pub alerter: Arc<dyn Alerter>,
    /// Where stores, journals and `status.json` live.
    pub data_dir: PathBuf,
}

/// The accounts the enabled strategies use.
pub fn used_accounts(cfg: &Config) -> BTreeSet<String> {
    cfg.strategies
        .values()
        .filter(|s| s.enabled())
        .map(|s| s.account().to_owned())
        .collect()
}

/// Discord when a webhook is configured, else the log.
pub fn alerter(cfg: &Config) -> Result<Arc<dyn Alerter>, String> {
    let url = cfg.alerts.discord_webhook_url.trim();
    if url.is_empty() {
        return Ok(Arc::new(LogAlerter));
    }
    Ok(Arc::new(
        DiscordAlerter::new(url).map_err(|e| format!("alerts.discord_webhook_url: {e}"))?,
    ))
}

/// What `open` found.
pub enum Opened {
    /// Alpaca accounts.
    Live(Runtime),
    /// No account has keys: `start --simulate` runs [`Runtime::simulated`]; everything else
    /// refuses, naming what to set.
    NoKeys(MissingKeys),
}

/// The environment variables no account found its keys in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingKeys {
    /// The variables to set.
    pub variables: Vec<String>,
    /// The accounts that read them.
    pub accounts: Vec<String>,
}

impl std::fmt::Display for MissingKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let accounts: Vec<String> = self
            .accounts
            .iter()
            .map(|a| format!("accounts.{a}"))
            .collect();
        write!(
            f,
            "no API keys: {} {} not set (read by {})",
            self.variables.join(" and "),
            if self.variables.len() == 1 {
                "is"
            } else {
                "are"
            },
            accounts.join(", ")
        )
    }
}

/// An account opened on Alpaca: its client, whether it is paper or live (by the client's
/// rules for its URL), and where its requests go, in words.
pub struct OpenedAccount {
    /// The client.
    pub client: Client,
    /// Paper or live.
    pub kind: VenueKind,
    /// The URLs and where they were configured.
    pub endpoints: Endpoints,
}

/// Resolves account `name`'s keys and builds its client. `Ok(None)` when its key variables are
/// unset.
pub fn open_account(
    cfg: &Config,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<OpenedAccount>, String> {
    let profile = cfg
        .accounts
        .get(name)
        .ok_or_else(|| format!("no account profile {name:?}"))?;
    let Some(creds) = credentials::resolve(name, profile, env)? else {
        return Ok(None);
    };
    let endpoints = Endpoints::of(cfg, name);
    let client = endpoints.client(name, profile, &creds)?;
    let kind = match client.environment() {
        Environment::Paper => VenueKind::Paper,
        Environment::Live => VenueKind::Live,
    };
    Ok(Some(OpenedAccount {
        client,
        kind,
        endpoints,
    }))
}

impl Runtime {
    /// Over Alpaca clients, one per account (tests point them at a mock server).
    #[cfg(test)]
    pub fn with_clients(
        cfg: &Config,
        clients: BTreeMap<String, (Client, VenueKind)>,
        data_dir: &Path,
    ) -> Result<Runtime, String> {
        Self::with_clients_and_stores(cfg, clients, data_dir, BTreeMap::new())
    }

    /// Over Alpaca clients (tests point them at a mock server), with stores opened elsewhere
    /// (PostgreSQL) for the accounts in `stores`; the others get their SQLite file.
    pub fn with_clients_and_stores(
        cfg: &Config,
        clients: BTreeMap<String, (Client, VenueKind)>,
        data_dir: &Path,
        mut stores: BTreeMap<String, Arc<dyn ExecutionStore>>,
    ) -> Result<Runtime, String> {
        let alerter = alerter(cfg)?;
        let mut venues = BTreeMap::new();
        for (name, (client, kind)) in clients {
            let broker: Arc<dyn Broker> = Arc::new(AlpacaBroker::new(client.clone()));
            let events: Arc<dyn EventSource> = Arc::new(client.clone());
            let bars: Arc<dyn BarSource> = Arc::new(AlpacaBars::new(client, None));
            let v = Venue::open(
                cfg,
                &name,
                kind,
                broker,
                bars,
                None,
                Some(events),
                alerter.clone(),
                data_dir,
                stores.remove(&name),
            )?;
            venues.insert(name, v);
        }
        Ok(Runtime {
            venues,
            alerter,
            data_dir: data_dir.to_owned(),
        })
    }

    /// Opens the accounts the enabled strategies use, resolving their keys.
    pub fn open(cfg: &Config, env: &dyn Fn(&str) -> Option<String>) -> Result<Opened, String> {
        Self::open_with(cfg, env, BTreeMap::new())
    }

    /// [`Runtime::open`] with stores opened elsewhere (PostgreSQL) for the accounts in
    /// `stores`.
    pub fn open_with(
        cfg: &Config,
        env: &dyn Fn(&str) -> Option<String>,
        stores: BTreeMap<String, Arc<dyn ExecutionStore>>,
    ) -> Result<Opened, String> {
        let mut clients = BTreeMap::new();
        let mut endpoints = BTreeMap::new();
        let mut missing = Vec::new();
        for name in used_accounts(cfg) {
            match open_account(cfg, &name, env)? {
                None => missing.push(name),
                Some(a) => {
                    endpoints.insert(name.clone(), a.endpoints);
                    clients.insert(name, (a.client, a.kind));
                }
            }
        }
        if clients.is_empty() {
            // Nothing is opened here: building the simulation starts its stores afresh, which
            // only `start --simulate` may do.
            let mut variables: Vec<String> = missing
                .iter()
                .filter_map(|n| cfg.accounts.get(n))
                .flat_map(credentials::variables)
                .collect();
            variables.sort();
            variables.dedup();
            return Ok(Opened::NoKeys(MissingKeys {
                variables,
                accounts: missing,
            }));
        }
        if let Some(name) = missing.first() {
            return Err(format!(
                "accounts.{name}: no keys, while other accounts have them; set its keys or disable its strategies"
            ));
        }
        let mut rt = Runtime::with_clients_and_stores(cfg, clients, &cfg.paths.data_dir, stores)?;
        for (name, v) in rt.venues.iter_mut() {
            v.endpoints = endpoints.remove(name);
        }
        Ok(Opened::Live(rt))
    }

    /// The simulated broker (one per account) over generated sample data, with a stepped clock
    /// that feeds the simulators the minute bars as it moves. Starts from empty stores in
    /// `data_dir` (a simulation is reproducible); returns the clock and when the data ends.
    pub fn simulated(cfg: &Config, data_dir: &Path) -> Result<Simulation, String> {
        let symbols = cfg.enabled_symbols();
        let samples = sample_data::generate(
            &symbols,
            cfg.backtest.seed,
            cfg.backtest.days as usize,
            SIM_SESSIONS,
        );
        let minutes = merged_minutes(&samples);
        let (first, last) = match (minutes.first(), minutes.last()) {
            (Some(f), Some(l)) => (f.1.timestamp, l.1.timestamp),
            _ => return Err("no sample data: enable a strategy with symbols".into()),
        };
        let calendar = SessionCalendar::from_times(minutes.iter().map(|(_, b)| b.timestamp));
        // Refused while a store is open (another daemon on this data directory).
        for name in used_accounts(cfg) {
            let db = data_dir.join(format!("{name}.sqlite"));
            SqliteStore::remove(&db).map_err(|e| format!("{}: {e}", db.display()))?;
        }
        let alerter = alerter(cfg)?;
        let bars: Arc<dyn BarSource> = Arc::new(SampleBars::new(&samples));
        let mut venues = BTreeMap::new();
        let mut sims = Vec::new();
        for name in used_accounts(cfg) {
            let sim = Arc::new(SimBroker::new(
                crate::policy::sim_config(cfg),
                calendar.clone(),
            ));
            sims.push(sim.clone());
            let v = Venue::open(
                cfg,
                &name,
                VenueKind::Simulated,
                sim.clone(),
                bars.clone(),
                Some(sim),
                None,
                alerter.clone(),
                data_dir,
                None,
            )?;
            venues.insert(name, v);
        }
        // Start an hour before the first simulated open; end after the last close.
        let first_day = first.with_timezone(&New_York).date_naive();
        let start = New_York
            .from_local_datetime(&first_day.and_hms_opt(8, 30, 0).expect("valid"))
            .single()
            .expect("no DST change at 08:30")
            .with_timezone(&Utc);
        let until = last + Duration::minutes(30);
        let feed = Mutex::new(0usize);
        let clock = SteppedClock::new(start).on_advance(Box::new(move |t| {
            let mut next = feed.lock().unwrap_or_else(|p| p.into_inner());
            while let Some((sym, bar)) = minutes.get(*next) {
                // A minute bar is known once it has ended.
                if bar.timestamp + Duration::minutes(1) > t {
                    break;
                }
                for sim in &sims {
                    sim.set_now(bar.timestamp + Duration::minutes(1));
                    sim.on_bar(sym, bar);
                }
                *next += 1;
            }
            for sim in &sims {
                sim.set_now(t);
            }
        }));
        Ok((
            Runtime {
                venues,
                alerter,
                data_dir: data_dir.to_owned(),
            },
            Arc::new(clock),
            until,
        ))
    }
}

/// Every symbol's minute bars, merged in time order.
fn merged_minutes(samples: &[SymbolSample]) -> Vec<(String, Bar)> {
    let mut all: Vec<(String, Bar)> = samples
        .iter()
        .flat_map(|s| s.minutes.iter().map(|b| (s.symbol.clone(), *b)))
        .collect();
    all.sort_by(|a, b| (a.1.timestamp, &a.0).cmp(&(b.1.timestamp, &b.0)));
    all
}
