//! The position monitor: exit rules on an interval, with fresh prices.

use super::lifecycle::EndedPosition;
use super::submit::place_exit;
use super::{ExecError, Executor};
use crate::risk::{ExitInput, ExitPolicy, ExitRule, Side, evaluate_exit};
use crate::store::{EventKind, Execution, PositionStatus, TrackedPosition};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Default interval between checks.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Counters since the monitor was created.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MonitorStats {
    /// Checks run (one per [`PositionMonitor::check_once`]).
    pub checks: u64,
    /// Checks skipped because the market was closed.
    pub skipped_closed: u64,
    /// Positions closed, by what closed them: the exit rule that fired (`manual` for manual
    /// closes), or an ending outside the engine (`expired`, `exercised`, `assigned`, ...).
    pub exits_by_reason: BTreeMap<String, u64>,
    /// Positions that could not be evaluated or exited.
    pub errors: u64,
}

/// What one check did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MonitorReport {
    /// Positions evaluated.
    pub evaluated: usize,
    /// Exits placed: `(position id, reason)`.
    pub exits: Vec<(String, String)>,
    /// Positions that ended outside the engine (expiry, exercise, assignment, a close in the
    /// broker's dashboard), closed by this pass from the account activities.
    #[serde(default)]
    pub ended: Vec<EndedPosition>,
    /// Per-position errors; the other positions were still checked.
    pub errors: Vec<String>,
}

/// Evaluates the toolkit's exit rules for every open tracked position and places exits.
///
/// Each exit has its own deterministic client order id (see [`super::exit_client_order_id`]),
/// so a check repeated after a crash cannot place it twice.
pub struct PositionMonitor {
    exec: Arc<Executor>,
    policy: ExitPolicy,
    by_strategy: BTreeMap<String, ExitPolicy>,
    stats: Mutex<MonitorStats>,
}

impl std::fmt::Debug for PositionMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PositionMonitor")
            .field("policy", &self.policy)
            .field("by_strategy", &self.by_strategy)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl PositionMonitor {
    /// A monitor placing exits through `exec` under `policy`.
    pub fn new(exec: Arc<Executor>, policy: ExitPolicy) -> Self {
        Self {
            exec,
            policy,
            by_strategy: BTreeMap::new(),
            stats: Mutex::new(MonitorStats::default()),
        }
    }

    /// Manages `strategy`'s positions under `policy` instead of the default one (a trend
    /// strategy holding shares and an options strategy want different exits).
    pub fn with_strategy_policy(mut self, strategy: &str, policy: ExitPolicy) -> Self {
        self.by_strategy.insert(strategy.to_owned(), policy);
        self
    }

    /// The exit policy for `strategy`'s positions.
    pub fn policy_for(&self, strategy: &str) -> &ExitPolicy {
        self.by_strategy.get(strategy).unwrap_or(&self.policy)
    }

    /// The executor placing the exits.
    #[cfg(feature = "websockets")]
    pub(crate) fn executor(&self) -> &Arc<Executor> {
        &self.exec
    }

    /// Counters so far.
    pub fn stats(&self) -> MonitorStats {
        self.stats.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn count(&self, f: impl FnOnce(&mut MonitorStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// One pass: polls working orders (so fills are current), closes the positions that ended
    /// outside the engine ([`Executor::close_ended_positions`]; this runs whether or not the
    /// market is open, since expiries settle after the close), then, if the market is open,
    /// evaluates every open position and places the exits that fire.
    pub async fn check_once(&self) -> Result<MonitorReport, ExecError> {
        let ex = &self.exec;
        let mut report = MonitorReport::default();
        let polled = ex.poll_orders().await?;
        report.errors.extend(polled.errors);
        match ex.close_ended_positions().await {
            Ok(ended) => {
                for e in ended.ended.iter().filter(|e| e.closed) {
                    self.count(|s| *s.exits_by_reason.entry(e.rule.clone()).or_default() += 1);
                }
                report.ended = ended.ended;
                report.errors.extend(ended.errors);
            }
            Err(e) => {
                let msg = format!("positions ended outside the engine: {e}");
                ex.report_error(None, None, msg.clone()).await;
                report.errors.push(msg);
            }
        }
        let clock = ex.broker.clock().await?;
        self.count(|s| s.checks += 1);
        if !clock.is_open {
            self.count(|s| s.skipped_closed += 1);
            return Ok(report);
        }
        for pos in ex.store.positions(true).await? {
            if pos.status != PositionStatus::Open {
                continue;
            }
            report.evaluated += 1;
            let id = pos.id.clone();
            match self.evaluate(pos, clock.now, true).await {
                Ok(Some((rule, reason))) => {
                    self.count(|s| *s.exits_by_reason.entry(rule).or_default() += 1);
                    report.exits.push((id, reason));
                }
                Ok(None) => {}
                Err(e) => {
                    self.count(|s| s.errors += 1);
                    report.errors.push(format!("position {id}: {e}"));
                    ex.report_error(None, None, format!("position {id}: {e}"))
                        .await;
                }
            }
        }
        Ok(report)
    }

    /// The exits a check would place now, placing nothing and changing nothing (not even a
    /// trailing stop's high-water mark or the counters): for a "what would the monitor do"
    /// report. Evaluated whether or not the market is open.
    pub async fn preview(&self) -> Result<MonitorReport, ExecError> {
        let ex = &self.exec;
        let mut report = MonitorReport::default();
        let now = ex.broker.clock().await?.now;
        for pos in ex.store.positions(true).await? {
            if pos.status != PositionStatus::Open {
                continue;
            }
            report.evaluated += 1;
            let id = pos.id.clone();
            match self.evaluate(pos, now, false).await {
                Ok(Some((_, reason))) => report.exits.push((id, reason)),
                Ok(None) => {}
                Err(e) => report.errors.push(format!("position {id}: {e}")),
            }
        }
        Ok(report)
    }

    /// Evaluates one position; if a rule fires and `place` is set, places its exit. Returns the
    /// rule name and the reason text.
    async fn evaluate(
        &self,
        mut pos: TrackedPosition,
        now: chrono::DateTime<chrono::Utc>,
        place: bool,
    ) -> Result<Option<(String, String)>, ExecError> {
        let ex = &self.exec;
        let entry = pos.entry_price.ok_or_else(|| {
            ExecError::Invalid(format!(
                "position {} is open without an entry price",
                pos.id
            ))
        })?;
        let quote = ex.broker.latest_price(&pos.symbol).await?;
        let current = match pos.side {
            // A quote with an ask but a zero bid (a worthless contract on any screen) is worth
            // nothing to a seller: the rules see zero, not "no price".
            Side::Long => quote.exit_price_long().or_else(|| {
                (quote.bid == Some(Decimal::ZERO) && quote.ask.is_some_and(|a| a > Decimal::ZERO))
                    .then_some(Decimal::ZERO)
            }),
            Side::Short => quote.ask.filter(|a| *a > Decimal::ZERO).or(quote.price()),
        }
        .ok_or_else(|| ExecError::Invalid(format!("no price for {}", pos.symbol)))?;
        let underlying = if pos.symbol == pos.underlying {
            current
        } else {
            ex.broker
                .latest_price(&pos.underlying)
                .await?
                .price()
                .ok_or_else(|| ExecError::Invalid(format!("no price for {}", pos.underlying)))?
        };
        let input = ExitInput {
            side: pos.side,
            bias: pos.bias,
            entry_price: entry,
            current_price: current,
            underlying_price: underlying,
            stop: pos.stop,
            target: pos.target,
            expiration: pos.expiration,
            now,
        };
        let before = pos.trailing;
        let fired = evaluate_exit(self.policy_for(&pos.strategy), &input, &mut pos.trailing)
            .map_err(|e| ExecError::Invalid(e.to_string()))?;
        let Some(reason) = fired else {
            if place && pos.trailing != before {
                ex.store.upsert_position(&pos).await?;
            }
            return Ok(None);
        };
        let rule = rule_name(reason.rule());
        let text = reason.to_string();
        if !place {
            return Ok(Some((rule.to_owned(), text)));
        }
        pos.exit_rule = Some(rule.to_owned());
        ex.event(
            EventKind::Exit,
            Some(&pos.strategy),
            Some(&pos.symbol),
            || json!({ "position": pos.id, "rule": rule, "reason": text, "price": current }),
        )
        .await;
        place_exit(ex, pos, &text).await?;
        Ok(Some((rule.to_owned(), text)))
    }

    /// Closes one tracked position now, whatever the rules say (for the daemon's manual close).
    pub async fn close(&self, position_id: &str) -> Result<Execution, ExecError> {
        let pos = self
            .exec
            .store
            .position(position_id)
            .await?
            .ok_or_else(|| ExecError::Invalid(format!("no tracked position {position_id}")))?;
        let already_closing = pos.status == PositionStatus::Closing;
        let mut pos = pos;
        if !already_closing {
            pos.exit_rule = Some("manual".into());
        }
        let e = place_exit(&self.exec, pos, "manual close").await?;
        if !already_closing {
            self.count(|s| *s.exits_by_reason.entry("manual".into()).or_default() += 1);
        }
        Ok(e)
    }

    /// Closes every open tracked position; one failure does not stop the others. Returns the
    /// exits placed and the errors.
    pub async fn close_all(&self) -> Result<(Vec<Execution>, Vec<String>), ExecError> {
        let mut placed = Vec::new();
        let mut errors = Vec::new();
        for pos in self.exec.store.positions(true).await? {
            if pos.status != PositionStatus::Open {
                continue;
            }
            match self.close(&pos.id).await {
                Ok(e) => placed.push(e),
                Err(e) => errors.push(format!("position {}: {e}", pos.id)),
            }
        }
        Ok((placed, errors))
    }

    /// Runs [`PositionMonitor::check_once`] every `interval` (use [`DEFAULT_INTERVAL`]) until
    /// `shutdown` resolves. A failed check is logged and the loop goes on.
    pub async fn run(&self, interval: Duration, shutdown: impl Future<Output = ()>) {
        let mut tick = ticker(interval);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tick.tick() => self.logged_check().await,
            }
        }
    }

    /// One check whose failure is logged: the run loops go on after it.
    pub(crate) async fn logged_check(&self) {
        if let Err(e) = self.check_once().await {
            tracing::error!(error = %e, "position check failed");
        }
    }
}

/// The interval of the run loops; a check that overruns delays the next rather than bunching.
pub(crate) fn ticker(interval: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}

fn rule_name(r: ExitRule) -> &'static str {
    match r {
        ExitRule::Dte => "dte",
        ExitRule::Stop => "stop",
        ExitRule::MaxLoss => "max_loss",
        ExitRule::Target => "target",
        ExitRule::MaxProfit => "max_profit",
        ExitRule::Time => "time",
        ExitRule::Trailing => "trailing",
    }
}
