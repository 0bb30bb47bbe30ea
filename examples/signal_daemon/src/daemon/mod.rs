//! `start`: the long-running scheduler.
//!
//! One job per strategy schedule (see [`schedule`]), plus the market open, the position monitor
//! and the market close, all timed from Alpaca's calendar in New York time. Every step ends by
//! rewriting `status.json`. SIGHUP or a change of the config file reloads strategy parameters
//! and limits (a bad file keeps the old configuration); SIGINT or SIGTERM finishes the current
//! step, writes the final status and exits.
//!
//! Each strategy is warmed up at start from recent history; only the newest completed bar of
//! each symbol may act, so a restart re-derives the signals of the current bar, which the
//! executor recognises by their content-derived id and does not place twice.
//!
//! Choices where the issue left room:
//! - keys are all or nothing: with keys for some accounts and not others the daemon refuses to
//!   start; with none it runs on the simulated broker, which always executes (no money is at
//!   stake), over the sample sessions, and stops at their end;
//! - accounts (keys, stores) are opened at start; a reload may change strategies, limits,
//!   sizes and exit rules, not add an account;
//! - while the market is closed, entries of every strategy queue for the next open;
//! - a strategy sees the positions it holds itself (tracked by the executor), not the account's
//!   total, so strategies sharing a symbol do not mistake each other's shares for their own;
//! - fills are tracked by polling on every monitor step (the trade-update stream is the
//!   library's `PositionMonitor::run_with_updates`; the daemon keeps to polling, which also
//!   serves the simulator).

pub mod bars;
pub mod clock;
#[cfg(feature = "postgres")]
pub mod leader;
pub mod runtime;
pub mod schedule;
pub mod status;
pub mod venue;
mod weekly;

use crate::config::{Config, StrategyConfig, timeframe};
use crate::strategies::build::{build, data_timeframe, warmup_bars};
use alpaca_exec::broker::Session;
use alpaca_exec::data::{TimeFrame, TimeFrameUnit};
use alpaca_exec::store::{Outcome, PositionStatus, SignalRecord};
use alpaca_exec::strategy::{Bar, Signal, Strategy, StrategyContext};
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::America::New_York;
use clock::DaemonClock;
use runtime::Runtime;
use schedule::{AFTER_CLOSE, CLOSE_CLEANUP, Cadence, PROPOSALS_AFTER_CLOSE, next_run};
use status::{AccountStatus, Status};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Reads an environment variable (the process's, or a test's map), for reloads.
pub type Env = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// A request from outside the loop (signal handlers, tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Reload the configuration file.
    Reload,
    /// Finish the current step and stop.
    Shutdown,
}

/// How `start` runs.
pub struct Options {
    /// Place orders (else signals are recorded as pending for `execute`).
    pub execute: bool,
    /// The configuration file, for reloads.
    pub config_path: Option<PathBuf>,
    /// Stop at this time (the end of the data on the simulated broker).
    pub until: Option<DateTime<Utc>>,
    /// Where `status.json` goes.
    pub status_path: PathBuf,
    /// With `[database]`: this daemon leads; who it is, for the status.
    pub leader: Option<String>,
}

/// A strategy as the scheduler runs it.
struct Running {
    config: StrategyConfig,
    strategy: Box<dyn Strategy>,
    data_timeframe: TimeFrame,
    cadence: Cadence,
    next_run: Option<DateTime<Utc>>,
    /// The newest bar fed, per symbol.
    last_seen: BTreeMap<String, DateTime<Utc>>,
}

/// The finest timeframe a strategy needs data in.
fn strategy_data_timeframe(cfg: &StrategyConfig) -> TimeFrame {
    data_timeframe(cfg).unwrap_or_else(|| match cfg {
        StrategyConfig::StratOptions(c) => c
            .timeframes
            .iter()
            .filter_map(|t| timeframe("", t).ok())
            .min_by_key(|tf| length(*tf))
            .unwrap_or(TimeFrame::DAY),
        _ => TimeFrame::DAY,
    })
}

/// The nominal length of a `tf` bar, as the schedule counts time.
fn length(tf: TimeFrame) -> Duration {
    Duration::from_std(tf.duration()).expect("a bar length fits a chrono duration")
}

/// History fetched to warm a strategy up: enough for the slowest indicator of the defaults
/// (30-bar EMAs, weekly STRAT bars built from hourly ones, yesterday's close for the bear trap),
/// and at least `bars` bars of `tf` (the strategy's longest indicator), counting 6.5-hour
/// sessions five days a week; at most ten years.
fn lookback(tf: TimeFrame, bars: usize) -> Duration {
    let floor = match tf.unit() {
        TimeFrameUnit::Minute => Duration::days(5),
        TimeFrameUnit::Hour => Duration::days(45),
        TimeFrameUnit::Day => Duration::days(200),
        TimeFrameUnit::Week | TimeFrameUnit::Month => return Duration::days(3 * 365),
    };
    let days = if tf.is_daily() {
        bars.saturating_mul(7) / 5 + 10
    } else {
        let bar_minutes = (tf.duration().as_secs() / 60).max(1) as usize;
        let per_session = (390 / bar_minutes).max(1);
        (bars.div_ceil(per_session) + 1).saturating_mul(7) / 5 + 4
    };
    floor.max(Duration::days(days.min(10 * 365) as i64))
}

fn running(name: &str, cfg: &StrategyConfig) -> Running {
    let tf = strategy_data_timeframe(cfg);
    let one = BTreeMap::from([(name.to_owned(), cfg.clone())]);
    let strategy = build(&one, tf)
        .pop()
        .expect("an enabled strategy builds into one value");
    Running {
        config: cfg.clone(),
        strategy,
        data_timeframe: tf,
        cadence: if tf.is_daily() {
            Cadence::AfterClose(AFTER_CLOSE)
        } else {
            Cadence::BarEnds(length(tf))
        },
        next_run: None,
        last_seen: BTreeMap::new(),
    }
}

/// The scheduler.
pub struct Daemon {
    cfg: Config,
    env: Env,
    opts: Options,
    rt: Runtime,
    clock: Arc<dyn DaemonClock>,
    strategies: BTreeMap<String, Running>,
    sessions: Vec<Session>,
    next_open: Option<DateTime<Utc>>,
    next_close: Option<DateTime<Utc>>,
    next_monitor: Option<DateTime<Utc>>,
    next_proposals: Option<DateTime<Utc>>,
    status: Status,
    config_stamp: Option<std::time::SystemTime>,
}

impl Daemon {
    /// A daemon over the accounts of `rt`, timed by `clock`.
    pub fn new(
        cfg: Config,
        env: Env,
        opts: Options,
        rt: Runtime,
        clock: Arc<dyn DaemonClock>,
    ) -> Self {
        let strategies = enabled(&cfg)
            .map(|(n, s)| (n.clone(), running(n, s)))
            .collect();
        let config_stamp = opts.config_path.as_deref().and_then(modified);
        let status = Status {
            pid: std::process::id(),
            state: "starting".into(),
            execution_enabled: opts.execute,
            role: opts.leader.as_ref().map(|_| "leader".to_owned()),
            leader: opts.leader.clone(),
            ..Status::default()
        };
        Self {
            cfg,
            env,
            opts,
            rt,
            clock,
            strategies,
            sessions: Vec::new(),
            next_open: None,
            next_close: None,
            next_monitor: None,
            next_proposals: None,
            status,
            config_stamp,
        }
    }

    /// The runtime (accounts), for inspection after a run.
    pub fn runtime(&self) -> &Runtime {
        &self.rt
    }

    /// The last status written.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The configuration in force (the last one loaded).
    #[cfg(test)]
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Runs until `Control::Shutdown`, or the end of the simulated data / `until`.
    pub async fn run(
        &mut self,
        mut control: mpsc::UnboundedReceiver<Control>,
    ) -> Result<(), String> {
        let mut control_open = true;
        self.startup().await?;
        loop {
            let Some((due, job)) = self.next_job() else {
                if self.clock.is_simulated() {
                    break; // the simulated calendar is exhausted
                }
                // Past the calendar fetched: fetch more, or wait an hour if there is none yet.
                self.refresh_sessions().await;
                if self.next_job().is_none() {
                    let later = self.clock.now() + Duration::hours(1);
                    self.wait(later, &mut control, &mut control_open).await;
                }
                continue;
            };
            if self.opts.until.is_some_and(|u| due > u) {
                break;
            }
            self.status.next_job = Some((job, due));
            // Live, wake at least every 30 s to notice a changed config file.
            let wake = if self.clock.is_simulated() {
                due
            } else {
                due.min(self.clock.now() + Duration::seconds(30))
            };
            match self.wait(wake, &mut control, &mut control_open).await {
                Some(Control::Shutdown) => break,
                Some(Control::Reload) => {
                    self.reload("SIGHUP").await;
                    continue;
                }
                None => {}
            }
            if self.config_file_changed() {
                self.reload("config file changed").await;
            }
            if self.clock.now() >= due {
                self.run_due().await;
                self.refresh_accounts().await;
            }
            self.write_status().await;
        }
        self.status.state = "stopped".into();
        self.status.next_job = None;
        self.refresh_accounts().await;
        self.write_status().await;
        self.notice("signal daemon stopped".into()).await;
        tracing::info!("stopped");
        Ok(())
    }

    /// Sleeps until `t` unless a control message comes first.
    async fn wait(
        &self,
        t: DateTime<Utc>,
        control: &mut mpsc::UnboundedReceiver<Control>,
        control_open: &mut bool,
    ) -> Option<Control> {
        if !*control_open {
            self.clock.sleep_until(t).await;
            return None;
        }
        tokio::select! {
            biased;
            c = control.recv() => {
                if c.is_none() {
                    *control_open = false;
                }
                c
            }
            _ = self.clock.sleep_until(t) => None,
        }
    }

    async fn startup(&mut self) -> Result<(), String> {
        let now = self.clock.now();
        self.status.started_at = Some(now);
        self.status.config_loaded_at = Some(now);
        self.refresh_sessions().await;
        if self.sessions.is_empty() {
            return Err("the broker's calendar has no sessions around today".into());
        }
        for v in self.rt.venues.values() {
            match v.executor.reconcile().await {
                Ok(r) if r.is_clean() => tracing::info!(account = %v.name, "reconciled: clean"),
                Ok(r) => tracing::warn!(account = %v.name, report = ?r, "reconciled with changes"),
                Err(e) => tracing::error!(account = %v.name, error = %e, "reconcile failed"),
            }
        }
        self.status.state = "running".into();
        let kinds: Vec<String> = self
            .rt
            .venues
            .values()
            .map(|v| format!("{} ({})", v.name, v.kind.as_str()))
            .collect();
        self.notice(format!(
            "signal daemon started: {}, execution {}{}",
            kinds.join(", "),
            if self.opts.execute { "on" } else { "off" },
            self.opts
                .leader
                .as_ref()
                .map_or(String::new(), |l| format!("; took over as the leader: {l}"))
        ))
        .await;
        // Warm every strategy up now; the newest completed bar's signals act.
        let names: Vec<String> = self.strategies.keys().cloned().collect();
        for name in names {
            self.run_strategy(&name).await;
        }
        self.schedule_all(now);
        self.refresh_accounts().await;
        self.write_status().await;
        Ok(())
    }

    async fn notice(&self, message: String) {
        let alert = alpaca_exec::alert::Alert::Notice {
            message,
            time: self.clock.now(),
        };
        alpaca_exec::alert::deliver(self.rt.alerter.as_ref(), &alert).await;
    }

    async fn refresh_sessions(&mut self) {
        let Some(v) = self.rt.venues.values().next() else {
            return;
        };
        let today = self.clock.now().with_timezone(&New_York).date_naive();
        match v
            .broker
            .calendar(today - chrono::Days::new(7), today + chrono::Days::new(21))
            .await
        {
            Ok(s) => self.sessions = s,
            Err(e) => tracing::error!(error = %e, "calendar not fetched; keeping the last one"),
        }
        let now = self.clock.now();
        self.schedule_all(now);
    }

    fn schedule_all(&mut self, after: DateTime<Utc>) {
        let s = &self.sessions;
        self.next_open = next_run(Cadence::AtOpen, s, after);
        self.next_close = next_run(Cadence::AfterClose(CLOSE_CLEANUP), s, after);
        self.next_monitor = next_run(Cadence::During(self.monitor_interval()), s, after);
        self.next_proposals = self.proposals_run(after);
        for r in self.strategies.values_mut() {
            r.next_run = next_run(r.cadence, s, after);
        }
    }

    /// The next weekly proposals run after `after`, if they are on.
    fn proposals_run(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.cfg.proposals.enabled {
            return None;
        }
        next_run(
            Cadence::AfterWeekClose(PROPOSALS_AFTER_CLOSE),
            &self.sessions,
            after,
        )
    }

    fn monitor_interval(&self) -> Duration {
        Duration::seconds(self.cfg.monitor.check_interval.max(1) as i64)
    }

    /// The earliest job: the open first, then strategies, the monitor and the close at a tie.
    fn next_job(&self) -> Option<(DateTime<Utc>, String)> {
        let mut jobs: Vec<(DateTime<Utc>, u8, String)> = Vec::new();
        if let Some(t) = self.next_open {
            jobs.push((t, 0, "market_open".into()));
        }
        for (n, r) in &self.strategies {
            if let Some(t) = r.next_run {
                jobs.push((t, 1, format!("strategy:{n}")));
            }
        }
        if let Some(t) = self.next_monitor {
            jobs.push((t, 2, "monitor".into()));
        }
        if let Some(t) = self.next_close {
            jobs.push((t, 3, "market_close".into()));
        }
        if let Some(t) = self.next_proposals {
            jobs.push((t, 4, "proposals".into()));
        }
        jobs.into_iter().min().map(|(t, _, j)| (t, j))
    }

    /// Runs every job due now, in the order open, strategies, monitor, close, proposals.
    async fn run_due(&mut self) {
        let now = self.clock.now();
        if self.next_open.is_some_and(|t| t <= now) {
            self.market_open().await;
            self.next_open = next_run(Cadence::AtOpen, &self.sessions, now);
        }
        let due: Vec<String> = self
            .strategies
            .iter()
            .filter(|(_, r)| r.next_run.is_some_and(|t| t <= now))
            .map(|(n, _)| n.clone())
            .collect();
        for name in due {
            self.run_strategy(&name).await;
            if let Some(r) = self.strategies.get_mut(&name) {
                r.next_run = next_run(r.cadence, &self.sessions, now);
            }
        }
        if self.next_monitor.is_some_and(|t| t <= now) {
            self.monitor_pass().await;
            self.next_monitor = next_run(
                Cadence::During(self.monitor_interval()),
                &self.sessions,
                now,
            );
        }
        if self.next_close.is_some_and(|t| t <= now) {
            self.market_close().await;
            self.next_close = next_run(Cadence::AfterClose(CLOSE_CLEANUP), &self.sessions, now);
            // A new day: take in calendar changes (Alpaca publishes early closes ahead).
            self.refresh_sessions().await;
        }
        if self.next_proposals.is_some_and(|t| t <= now) {
            self.weekly_proposals().await;
            self.next_proposals = self.proposals_run(now);
        }
    }

    async fn market_open(&mut self) {
        tracing::info!("market open");
        for v in self.rt.venues.values() {
            if let Err(e) = v.executor.poll_orders().await {
                tracing::error!(account = %v.name, error = %e, "order poll failed");
            }
            if !self.opts.execute {
                continue;
            }
            count_queued(&mut self.status, v).await;
        }
    }

    async fn monitor_pass(&mut self) {
        for v in self.rt.venues.values() {
            if self.opts.execute {
                count_queued(&mut self.status, v).await;
                match v.monitor.check_once().await {
                    Ok(r) => {
                        for (id, why) in &r.exits {
                            tracing::info!(account = %v.name, position = %id, reason = %why, "exit placed");
                        }
                        for e in &r.errors {
                            tracing::error!(account = %v.name, error = %e, "monitor");
                        }
                    }
                    Err(e) => {
                        tracing::error!(account = %v.name, error = %e, "monitor check failed")
                    }
                }
            } else if let Err(e) = v.executor.poll_orders().await {
                tracing::error!(account = %v.name, error = %e, "order poll failed");
            }
        }
    }

    async fn market_close(&mut self) {
        let now = self.clock.now();
        let Some(session) = self.sessions.iter().rev().find(|s| s.close <= now).copied() else {
            return;
        };
        tracing::info!(date = %session.date, "market closed");
        let mut summaries = Vec::new();
        for v in self.rt.venues.values() {
            if let Some(sim) = &v.sim {
                sim.end_of_day(session.date);
            }
            if let Err(e) = v.executor.poll_orders().await {
                tracing::error!(account = %v.name, error = %e, "order poll failed");
            }
            // Options that expired, or were exercised or assigned, at this close.
            if let Err(e) = v.executor.close_ended_positions().await {
                tracing::error!(account = %v.name, error = %e, "ended positions not closed");
            }
            match v.executor.close_day(session.date).await {
                Ok(s) => summaries.extend(s),
                Err(e) => tracing::error!(account = %v.name, error = %e, "daily summary failed"),
            }
        }
        self.status.daily_summary = summaries;
        self.performance_alert(session.date).await;
    }

    /// Fetches the strategy's new bars, feeds them, and executes (or records) the signals of
    /// each symbol's newest completed bar. A failure is counted and logged; the other strategies
    /// and the next run go on.
    async fn run_strategy(&mut self, name: &str) {
        let now = self.clock.now();
        let execute = self.opts.execute;
        let sessions = &self.sessions;
        let Some(r) = self.strategies.get_mut(name) else {
            return;
        };
        let account = r.config.account().to_owned();
        let st = self.status.strategies.entry(name.to_owned()).or_default();
        st.last_run = Some(now);
        st.runs += 1;
        let Some(venue) = self.rt.venues.get(&account) else {
            st.errors += 1;
            st.last_error = Some(format!("no account {account}"));
            return;
        };
        let symbols = r.config.symbols().to_vec();
        let start = if symbols.iter().all(|s| r.last_seen.contains_key(s)) {
            r.last_seen.values().min().copied().unwrap_or(now) + Duration::seconds(1)
        } else {
            now - lookback(r.data_timeframe, warmup_bars(&r.config))
        };
        let fetched = match venue
            .bars
            .bars(&symbols, r.data_timeframe, start, now)
            .await
        {
            Ok(b) => b,
            Err(e) => {
                st.errors += 1;
                st.last_error = Some(format!("bars: {e}"));
                tracing::error!(strategy = %name, error = %e, "bars not fetched");
                return;
            }
        };
        let ctx = match context(venue, name, now, sessions).await {
            Ok(c) => c,
            Err(e) => {
                st.errors += 1;
                st.last_error = Some(e.clone());
                tracing::error!(strategy = %name, error = %e, "account not read");
                return;
            }
        };
        // New, completed, regular-session bars, merged in time order.
        let mut fresh: Vec<(DateTime<Utc>, String, Bar)> = Vec::new();
        let mut newest: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
        for (sym, bars) in &fetched {
            let seen = r.last_seen.get(sym).copied();
            for b in bars {
                if seen.is_some_and(|s| b.timestamp <= s)
                    || !complete(b.timestamp, r.data_timeframe, now, sessions)
                {
                    continue;
                }
                fresh.push((b.timestamp, sym.clone(), *b));
                newest.insert(sym.clone(), b.timestamp);
            }
        }
        fresh.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut signals: Vec<Signal> = Vec::new();
        for (t, sym, bar) in &fresh {
            let out = r.strategy.on_bar(&ctx, sym, bar).await;
            if newest.get(sym) == Some(t) {
                signals.extend(out);
            }
            r.last_seen.insert(sym.clone(), *t);
        }
        st.bars += fresh.len() as u64;
        st.signals += signals.len() as u64;
        if signals.is_empty() {
            return;
        }
        if execute {
            for d in venue.executor.execute(&signals).await {
                match d.outcome {
                    Outcome::Executed => st.executed += 1,
                    Outcome::Queued => st.queued += 1,
                    Outcome::Skipped => st.skipped += 1,
                    _ => {
                        st.errors += 1;
                        st.last_error = Some(d.detail.clone());
                    }
                }
            }
        } else {
            for s in signals {
                match record_pending(venue, &s, now).await {
                    Ok(true) => {
                        st.pending += 1;
                        tracing::info!(strategy = %name, symbol = %s.symbol, intent = s.intent.as_str(), price = %s.reference_price, "signal recorded as pending (execution off)");
                    }
                    Ok(false) => {}
                    Err(e) => {
                        st.errors += 1;
                        st.last_error = Some(e);
                    }
                }
            }
        }
    }

    async fn reload(&mut self, why: &str) {
        let now = self.clock.now();
        self.config_stamp = self.opts.config_path.as_deref().and_then(modified);
        let new = match Config::load(self.opts.config_path.as_deref(), &*self.env) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(reason = why, error = %e, "reload refused; the running configuration stays");
                self.status.config_error = Some(e.to_string());
                return;
            }
        };
        if let Err(e) = self.check_accounts(&new) {
            tracing::error!(reason = why, error = %e, "reload refused; the running configuration stays");
            self.status.config_error = Some(e);
            return;
        }
        for v in self.rt.venues.values_mut() {
            // `Config::load` validated the settings the engine is built from, so this fails
            // only on a bug; the venue then keeps its running engine.
            if let Err(e) = v.reconfigure(&new, self.rt.alerter.clone()) {
                tracing::error!(account = %v.name, error = %e, "account not reconfigured");
            }
        }
        let mut kept = BTreeMap::new();
        for (n, s) in enabled(&new) {
            let r = match self.strategies.remove(n) {
                Some(r) if r.config == *s => r,
                _ => {
                    tracing::info!(strategy = %n, "strategy (re)built from the new configuration");
                    let mut r = running(n, s);
                    r.next_run = next_run(r.cadence, &self.sessions, now);
                    r
                }
            };
            kept.insert(n.clone(), r);
        }
        self.strategies = kept;
        self.status
            .strategies
            .retain(|n, _| self.strategies.contains_key(n));
        self.opts.execute = self.opts.execute || new.execution.enabled;
        self.status.execution_enabled = self.opts.execute;
        self.cfg = new;
        self.status.config_loaded_at = Some(now);
        self.status.config_error = None;
        self.next_monitor = next_run(
            Cadence::During(self.monitor_interval()),
            &self.sessions,
            now,
        );
        self.next_proposals = self.proposals_run(now);
        tracing::info!(reason = why, "configuration reloaded");
    }

    /// Accounts are opened at start (keys, stores, URLs); a reload may not need a new one or
    /// move one to other URLs.
    fn check_accounts(&self, new: &Config) -> Result<(), String> {
        for (n, s) in enabled(new) {
            if !self.rt.venues.contains_key(s.account()) {
                return Err(format!(
                    "strategies.{n}.account: account {:?} was not opened at start; restart the daemon to add accounts",
                    s.account()
                ));
            }
        }
        for v in self.rt.venues.values() {
            if let Some(old) = &v.endpoints
                && *old != crate::endpoints::Endpoints::of(new, &v.name)
            {
                return Err(format!(
                    "accounts.{}: the base URLs changed; restart the daemon to use them",
                    v.name
                ));
            }
        }
        Ok(())
    }

    fn config_file_changed(&self) -> bool {
        let Some(p) = &self.opts.config_path else {
            return false;
        };
        modified(p) != self.config_stamp
    }

    /// The heartbeat: times and schedule, written after every step.
    async fn write_status(&mut self) {
        let now = self.clock.now();
        self.status.updated_at = Some(now);
        self.status.market_open = self.sessions.iter().any(|s| s.open <= now && now < s.close);
        for (n, r) in &self.strategies {
            let st = self.status.strategies.entry(n.clone()).or_default();
            st.next_run = r.next_run;
            st.account = r.config.account().to_owned();
            st.timeframe = r.data_timeframe.to_string();
        }
        if let Err(e) = self.status.write(&self.opts.status_path) {
            tracing::error!(path = %self.opts.status_path.display(), error = %e, "status not written");
        }
    }

    /// Account figures and positions for the status, read after steps that ran jobs (not on
    /// the wake-ups that only look for a changed config file, which would ask Alpaca for the
    /// account twice a minute overnight).
    async fn refresh_accounts(&mut self) {
        for v in self.rt.venues.values() {
            let mut a = AccountStatus {
                kind: v.kind.as_str().into(),
                endpoint: v
                    .endpoints
                    .as_ref()
                    .zip(self.cfg.accounts.get(&v.name))
                    .map(|(e, p)| e.describe(p)),
                monitor: v.monitor.stats(),
                ..AccountStatus::default()
            };
            match v.broker.account().await {
                Ok(acct) => {
                    a.equity = Some(acct.equity);
                    a.daily_pnl = acct.last_equity.map(|l| acct.equity - l);
                    a.halted = acct.last_equity.is_some_and(|l| {
                        l > rust_decimal::Decimal::ZERO
                            && (l - acct.equity) / l >= self.cfg.execution.daily_loss_halt
                    });
                }
                Err(e) => a.error = Some(e.to_string()),
            }
            match v.store.positions(true).await {
                Ok(ps) => {
                    let open: Vec<_> = ps
                        .iter()
                        .filter(|p| p.status == PositionStatus::Open)
                        .collect();
                    a.open_positions = open.len();
                    for (n, r) in &self.strategies {
                        if r.config.account() == v.name {
                            let st = self.status.strategies.entry(n.clone()).or_default();
                            st.positions = open.iter().filter(|p| &p.strategy == n).count();
                        }
                    }
                }
                Err(e) => a.error = Some(e.to_string()),
            }
            match status::attention(v.store.as_ref()).await {
                Ok((lines, unconfirmed)) => {
                    (a.needs_attention, a.unconfirmed) = (lines, unconfirmed)
                }
                Err(e) => a.error = Some(e.to_string()),
            }
            self.status.accounts.insert(v.name.clone(), a);
        }
    }
}

/// Runs the account's queued signals (a no-op until the market opens) and moves their counts
/// from queued to executed or skipped.
async fn count_queued(status: &mut Status, v: &venue::Venue) {
    let decisions = match v.executor.execute_queued().await {
        Ok(ds) => ds,
        Err(e) => {
            tracing::error!(account = %v.name, error = %e, "queued signals not run");
            return;
        }
    };
    for d in &decisions {
        tracing::info!(account = %v.name, signal = %d.signal_id, outcome = ?d.outcome, detail = %d.detail, "queued signal");
        let strategy = match v.store.signal(&d.signal_id).await {
            Ok(Some(rec)) => rec.signal.strategy,
            _ => continue,
        };
        let st = status.strategies.entry(strategy).or_default();
        st.queued = st.queued.saturating_sub(1);
        match d.outcome {
            Outcome::Executed => st.executed += 1,
            Outcome::Skipped => st.skipped += 1,
            Outcome::Queued => st.queued += 1,
            _ => {
                st.errors += 1;
                st.last_error = Some(d.detail.clone());
            }
        }
    }
}

fn enabled(cfg: &Config) -> impl Iterator<Item = (&String, &StrategyConfig)> {
    cfg.strategies.iter().filter(|(_, s)| s.enabled())
}

fn modified(p: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Whether a bar starting at `t` is final at `now` and overlaps a regular session. Intraday
/// bars wholly outside 09:30-16:00 New York are dropped (the strategies are written for the
/// session); an hourly bar stamped 09:00 holds 09:30-10:00 and is kept.
pub(crate) fn complete(
    t: DateTime<Utc>,
    tf: TimeFrame,
    now: DateTime<Utc>,
    sessions: &[Session],
) -> bool {
    if tf.is_daily() {
        let date = t.with_timezone(&New_York).date_naive();
        return match sessions.iter().find(|s| s.date == date) {
            Some(s) => s.close <= now,
            None => date < now.with_timezone(&New_York).date_naive(),
        };
    }
    let end = t + length(tf);
    if end > now {
        return false;
    }
    let date = t.with_timezone(&New_York).date_naive();
    match sessions.iter().find(|s| s.date == date) {
        Some(s) => t < s.close && end > s.open,
        None => {
            // Older than the calendar fetched: the regular hours of a normal day.
            let at = |h, m| {
                New_York
                    .from_local_datetime(&date.and_hms_opt(h, m, 0).expect("valid"))
                    .earliest()
            };
            match (at(9, 30), at(16, 0)) {
                (Some(open), Some(close)) => t < close && end > open,
                _ => false,
            }
        }
    }
}

/// What a strategy sees: the account, and the positions *it* holds (tracked by the executor),
/// so two strategies trading the same symbol do not mistake each other's shares for their own.
async fn context(
    venue: &venue::Venue,
    strategy: &str,
    now: DateTime<Utc>,
    sessions: &[Session],
) -> Result<StrategyContext, String> {
    let account = venue.broker.account().await.map_err(|e| e.to_string())?;
    let positions = venue
        .store
        .positions(true)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|p| p.strategy == strategy && p.status == PositionStatus::Open)
        .map(|p| {
            Ok(alpaca_exec::broker::BrokerPosition {
                symbol: p.symbol.clone(),
                qty: p
                    .open_qty()
                    .ok_or_else(|| format!("position {}: stored figures overflow", p.id))?,
                avg_entry_price: p.entry_price.unwrap_or_default(),
                market_value: None,
                current_price: None,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(StrategyContext {
        now,
        market_open: sessions.iter().any(|s| s.open <= now && now < s.close),
        account,
        positions,
        state: serde_json::Value::Null,
    })
}

/// Records a signal with no decision: `execute` runs it later. `false` if already recorded.
async fn record_pending(
    venue: &venue::Venue,
    s: &Signal,
    now: DateTime<Utc>,
) -> Result<bool, String> {
    let id = s.id();
    if venue
        .store
        .signal(&id)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(false);
    }
    venue
        .store
        .upsert_signal(&SignalRecord {
            id,
            signal: s.clone(),
            received_at: now,
            decision: None,
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_lookback_covers_the_longest_indicator() {
        // The defaults' floors (the bear trap needs only yesterday's close).
        assert_eq!(lookback(TimeFrame::MINUTE, 0), Duration::days(5));
        // Two sessions (this one and one more), over a weekend.
        assert_eq!(lookback(TimeFrame::MINUTE, 20), Duration::days(6));
        assert_eq!(lookback(TimeFrame::DAY, 31), Duration::days(200));
        // A 200-bar trend filter on 15-minute bars: 26 bars a session, 8 sessions and one
        // more, over weekends: 16 days.
        let quarter = TimeFrame::minutes(15).unwrap();
        assert_eq!(lookback(quarter, 200), Duration::days(16));
        assert_eq!(lookback(TimeFrame::DAY, 300), Duration::days(430));
        assert_eq!(
            lookback(TimeFrame::DAY, usize::MAX),
            Duration::days(3650),
            "capped"
        );
    }

    #[test]
    fn bars_are_complete_once_ended_and_kept_when_they_overlap_the_session() {
        let date = chrono::NaiveDate::from_ymd_opt(2024, 7, 2).unwrap();
        let ny = |h, m| {
            New_York
                .from_local_datetime(&date.and_hms_opt(h, m, 0).unwrap())
                .unwrap()
                .with_timezone(&Utc)
        };
        let sessions = [Session {
            date,
            open: ny(9, 30),
            close: ny(16, 0),
        }];
        let hour = TimeFrame::HOUR;
        assert!(
            complete(ny(9, 0), hour, ny(10, 0), &sessions),
            "09:00 holds 09:30-10:00"
        );
        assert!(
            !complete(ny(9, 0), hour, ny(9, 59), &sessions),
            "not ended yet"
        );
        assert!(
            !complete(ny(8, 0), hour, ny(12, 0), &sessions),
            "pre-market"
        );
        assert!(
            !complete(ny(16, 0), hour, ny(18, 0), &sessions),
            "after hours"
        );
        assert!(complete(
            ny(15, 59),
            TimeFrame::MINUTE,
            ny(16, 0),
            &sessions
        ));
        assert!(!complete(
            ny(9, 29),
            TimeFrame::MINUTE,
            ny(10, 0),
            &sessions
        ));
        // Without the calendar: the normal regular hours of that date.
        assert!(complete(ny(9, 0), hour, ny(12, 0), &[]));
        assert!(!complete(ny(7, 0), hour, ny(12, 0), &[]));
        // A daily bar is final once its session has closed.
        let midnight = New_York
            .from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc);
        assert!(!complete(midnight, TimeFrame::DAY, ny(15, 0), &sessions));
        assert!(complete(midnight, TimeFrame::DAY, ny(16, 5), &sessions));
    }
}
