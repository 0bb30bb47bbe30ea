//! Start-up reconciliation: finish what the previous process left, and sync positions.

use super::{ExecError, Executor};
use crate::store::EventKind;
use serde::Serialize;
use serde_json::json;

/// What a reconciliation (or a poll) found and did. Every list holds client order ids, symbols
/// or messages, so the report can be logged or asserted on as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// Executions found at the broker that the store did not know were placed.
    pub adopted: Vec<String>,
    /// Executions whose state or fills changed.
    pub updated: Vec<String>,
    /// Pending executions absent at the broker and recent enough: sent now.
    pub resent: Vec<String>,
    /// Pending executions absent at the broker and too old: given up, nothing placed.
    pub abandoned: Vec<String>,
    /// Executions that came to need a human in this pass (alerted; see
    /// [`ExecState::NeedsAttention`](super::ExecState::NeedsAttention)).
    pub needs_attention: Vec<String>,
    /// Tracked positions the broker no longer holds (closed while the process was down).
    pub closed_externally: Vec<String>,
    /// Broker positions no tracked position accounts for (opened outside the engine).
    pub untracked: Vec<String>,
    /// Errors, one per failed item; the others were still reconciled.
    pub errors: Vec<String>,
}

impl ReconcileReport {
    /// True when nothing was found to do.
    pub fn is_clean(&self) -> bool {
        *self == Self::default()
    }
}

impl Executor {
    /// Run on start: brings every non-terminal execution in the store up to date with the
    /// broker by client order id (adopting orders that were sent but not recorded, sending
    /// recent ones that never left, abandoning stale ones), then syncs positions: tracked
    /// positions the broker no longer holds are closed from the account activities with their
    /// real P&L ([`Executor::close_ended_positions`]), broker positions nothing tracks are
    /// reported. Everything found is recorded as a `reconcile` event.
    pub async fn reconcile(&self) -> Result<ReconcileReport, ExecError> {
        // Nothing of ours can be in flight on start, so pending orders are settled at any age,
        // and every order waiting to show is looked up now.
        let mut report = self.poll_with(chrono::Duration::zero(), true).await?;
        // Positions that ended while the process was down, closed from the account activities
        // with their real P&L; nothing can be in flight on start, so no grace.
        let ended = self.close_ended_with(chrono::Duration::zero()).await?;
        report.closed_externally.extend(
            ended
                .ended
                .iter()
                .filter(|e| e.closed)
                .map(|e| e.symbol.clone()),
        );
        report.errors.extend(ended.errors);
        let held = self.broker.positions().await?;
        let tracked = self.store.positions(true).await?;
        for h in &held {
            if !tracked
                .iter()
                .any(|p| p.symbol == h.symbol && p.status.is_active())
            {
                report.untracked.push(h.symbol.clone());
            }
        }
        if !report.is_clean() {
            tracing::warn!(?report, "reconciliation changed state");
            self.event(EventKind::Reconcile, None, None, || {
                serde_json::to_value(&report).unwrap_or(json!(null))
            })
            .await;
        }
        Ok(report)
    }
}
