//! Executions only a human can settle: flagged once with the reason (stored, logged, alerted),
//! and given up by hand with [`Executor::abandon`].

use super::submit::note;
use super::track::settle_position;
use super::{ExecError, ExecState, Executor};
use crate::store::Execution;

/// Moves `exec` to [`ExecState::NeedsAttention`] with `reason`, stores it and alerts. Returns
/// false (and does nothing) when it already needs attention for the same reason, so a poll that
/// meets the same problem again does not alert again.
pub(crate) async fn flag(
    ex: &Executor,
    exec: &mut Execution,
    reason: String,
) -> Result<bool, ExecError> {
    if exec.state == ExecState::NeedsAttention && exec.error.as_deref() == Some(reason.as_str()) {
        return Ok(false);
    }
    note(exec, ExecState::NeedsAttention, reason.clone());
    exec.error = Some(reason.clone());
    ex.store.upsert_execution(exec).await?;
    ex.report_error(
        Some(&exec.strategy),
        Some(&exec.order.symbol),
        format!("needs attention: {reason}"),
    )
    .await;
    Ok(true)
}

impl Executor {
    /// Gives up an execution that [needs attention](ExecState::NeedsAttention) or is
    /// [unconfirmed](ExecState::Unconfirmed), after a human has checked the broker: it becomes
    /// [`ExecState::Abandoned`] with `reason` in its history, and the engine stops tracking the
    /// order. An entry that never filled leaves its position never-opened; if the order did
    /// fill at the broker, close that position by hand. Any other state is refused: the engine
    /// settles those itself.
    pub async fn abandon(
        &self,
        client_order_id: &str,
        reason: &str,
    ) -> Result<Execution, ExecError> {
        let mut exec = self
            .store
            .execution(client_order_id)
            .await?
            .ok_or_else(|| ExecError::Invalid(format!("no execution {client_order_id}")))?;
        if !matches!(
            exec.state,
            ExecState::NeedsAttention | ExecState::Unconfirmed
        ) {
            return Err(ExecError::Invalid(format!(
                "execution {client_order_id} is {}: only one that needs attention or is \
                 unconfirmed can be abandoned",
                exec.state.as_str()
            )));
        }
        note(
            &mut exec,
            ExecState::Abandoned,
            format!("abandoned by hand: {reason}"),
        );
        self.store.upsert_execution(&exec).await?;
        self.lookups.forget(client_order_id);
        settle_position(self, &exec, None).await?;
        Ok(exec)
    }
}
