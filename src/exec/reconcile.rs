//! Start-up reconciliation: finish what the previous process left, and sync positions.

use super::{ExecError, Executor, now};
use crate::store::{EventKind, PositionStatus};
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
    /// positions the broker no longer holds are closed, broker positions nothing tracks are
    /// reported. Everything found is recorded as a `reconcile` event.
    pub async fn reconcile(&self) -> Result<ReconcileReport, ExecError> {
        // Nothing of ours can be in flight on start, so pending orders are settled at any age,
        // and every order waiting to show is looked up now.
        let mut report = self.poll_with(chrono::Duration::zero(), true).await?;
        let held = self.broker.positions().await?;
        let mut tracked = self.store.positions(true).await?;
        for pos in tracked.iter_mut() {
            let at_broker = held.iter().any(|h| h.symbol == pos.symbol);
            // Only Open positions are judged: Opening/Closing ones have a working order whose
            // poll above already moved them if it filled.
            if pos.status == PositionStatus::Open && !at_broker {
                pos.status = PositionStatus::Closed;
                pos.closed_at = Some(now());
                pos.exit_reason = Some("closed outside the engine while it was down".into());
                self.store.upsert_position(pos).await?;
                report.closed_externally.push(pos.symbol.clone());
            }
        }
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
