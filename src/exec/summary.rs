//! Daily summaries per strategy, from the stored decisions and trades.

use super::{ExecError, Executor};
use crate::alert::{Alert, deliver};
use crate::options::select::new_york_date;
use crate::store::{DailySummary, EventKind, Outcome};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

impl Executor {
    /// Builds, stores, logs and alerts one summary per strategy for the New York trading date
    /// `date`: signals seen that day by outcome, fills, and realised P&L. Idempotent: running it
    /// twice replaces the day's summaries with the same figures.
    pub async fn close_day(&self, date: NaiveDate) -> Result<Vec<DailySummary>, ExecError> {
        let mut by: BTreeMap<String, DailySummary> = BTreeMap::new();
        let blank = |strategy: &str| DailySummary {
            date,
            strategy: strategy.to_owned(),
            signals: 0,
            executed: 0,
            skipped: 0,
            failed: 0,
            fills: 0,
            realized_pnl: Decimal::ZERO,
        };
        for r in self.store.signals().await? {
            if new_york_date(r.received_at) != date {
                continue;
            }
            let s = by
                .entry(r.signal.strategy.clone())
                .or_insert_with(|| blank(&r.signal.strategy));
            s.signals = s.signals.saturating_add(1);
            let counter = match r.decision.map(|d| d.outcome) {
                Some(Outcome::Executed) => &mut s.executed,
                Some(Outcome::Skipped | Outcome::Queued) => &mut s.skipped,
                Some(Outcome::Failed | Outcome::Unresolved) | None => &mut s.failed,
            };
            *counter = counter.saturating_add(1);
        }
        for t in self.store.trades().await? {
            if new_york_date(t.time) != date {
                continue;
            }
            let s = by
                .entry(t.strategy.clone())
                .or_insert_with(|| blank(&t.strategy));
            s.fills = s.fills.saturating_add(1);
            // Stored figures are checked: an absurd trade is an error, not a panic.
            s.realized_pnl = s
                .realized_pnl
                .checked_add(t.realized_pnl.unwrap_or(Decimal::ZERO))
                .ok_or_else(|| {
                    ExecError::Invalid(format!(
                        "realised P&L of {} on {date} overflows at trade {}",
                        t.strategy, t.id
                    ))
                })?;
        }
        let summaries: Vec<DailySummary> = by.into_values().collect();
        for s in &summaries {
            self.store.upsert_daily_summary(s).await?;
            self.event(EventKind::DailySummary, Some(&s.strategy), None, || {
                serde_json::to_value(s).unwrap_or_default()
            })
            .await;
            deliver(self.alerter.as_ref(), &Alert::DailySummary(s.clone())).await;
        }
        Ok(summaries)
    }
}
