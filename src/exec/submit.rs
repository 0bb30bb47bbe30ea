//! Placing orders: write pending, send, settle ambiguity by client order id, record.

use super::ids::exit_client_order_id;
use super::track::apply_order;
use super::{ExecError, ExecState, Executor, now};
use crate::broker::{Broker, BrokerOrder};
use crate::error::Error;
use crate::risk::Side;
use crate::store::{
    Execution, OrderSpec, PositionStatus, Role, StateChange, StoreWrite, TrackedPosition,
};
pub(crate) use crate::trading::orders::resolve::{self, is_ambiguous};
use crate::{OrderRequest, OrderSide, PositionIntent};

/// Submits through the broker, settling an ambiguous outcome by client order id (see
/// [`crate::trading::orders::resolve`]): never places the order twice. An order refused as a
/// duplicate is looked up as the [`UnconfirmedPolicy`](super::UnconfirmedPolicy) says.
pub(crate) async fn submit_resolving(
    ex: &Executor,
    order: &OrderRequest,
) -> Result<BrokerOrder, Error> {
    let cid = order.client_order_id();
    let broker: &dyn Broker = ex.broker.as_ref();
    resolve::submit_resolving(
        cid,
        || async {
            // Asked before every send, the re-send after a lookup included: a process that may
            // have lost the leader lease sends nothing (see `ExecutionStore::may_send_orders`).
            ex.may_send("POST", "/v2/orders")?;
            broker.submit_order(order).await
        },
        || broker.order_by_client_order_id(cid),
        ex.config.unconfirmed.immediate(),
    )
    .await
}

/// Writes the position and the pending execution, then sends and records the answer.
///
/// Returns the execution in its new state: `pending` with an error if the outcome is still
/// unknown (the next poll or restart settles it), `unconfirmed` if the broker says the order
/// exists but does not show it yet (later polls adopt it), `not_sent`/`rejected` if nothing was
/// placed.
pub(crate) async fn place(
    ex: &Executor,
    mut exec: Execution,
    position: &TrackedPosition,
) -> Result<Execution, ExecError> {
    // Build (and so validate) before writing: an order the builder refuses is never pending.
    let request = exec
        .order
        .to_request(&exec.client_order_id)
        .map_err(|e| ExecError::Invalid(e.to_string()))?;
    // Position and pending execution together, before anything is sent.
    ex.store
        .write_batch(&[StoreWrite::Position(position), StoreWrite::Execution(&exec)])
        .await?;
    ex.failpoint("pending_written");
    send(ex, &mut exec, &request, Some(position), false).await?;
    Ok(exec)
}

/// Sends an execution's order: the first time, or `again` after a lookup found it absent.
///
/// A refusal is final (`rejected`, `not_sent`) only for a first send. Sent again, the order may
/// have been placed by an earlier attempt whose lookup still lags, so a refusal leaves it
/// `pending` with the error: later polls look it up again, and it is abandoned only once it has
/// stayed absent past [`ExecutorConfig::resume_pending_within`](super::ExecutorConfig).
pub(crate) async fn send(
    ex: &Executor,
    exec: &mut Execution,
    request: &OrderRequest,
    known: Option<&TrackedPosition>,
    again: bool,
) -> Result<(), ExecError> {
    match submit_resolving(ex, request).await {
        Ok(order) => {
            ex.failpoint("order_sent");
            apply_order(ex, exec, &order, "submitted", known).await
        }
        Err(e @ Error::OrderNotVisible { .. }) => {
            // The order exists: never rejected, never sent again; polls adopt it when it shows.
            exec.error = Some(e.to_string());
            note(exec, ExecState::Unconfirmed, e.to_string());
            ex.store.upsert_execution(exec).await?;
            ex.lookups
                .missed(&exec.client_order_id, now(), &ex.config.unconfirmed);
            Ok(())
        }
        // A redirect is no proof that nothing was placed (a proxy may have passed the order on
        // before redirecting): kept pending like an unknown outcome, it is looked up by its
        // client order id and never replaced by an order under a new id (an exit's next attempt).
        Err(e) if is_ambiguous(&e) || again || matches!(e, Error::Redirected { .. }) => {
            exec.error = Some(e.to_string());
            let state = exec.state;
            let why = if again {
                "sent again, refused"
            } else {
                "outcome unknown"
            };
            note(exec, state, format!("{why}: {e}"));
            ex.store.upsert_execution(exec).await?;
            Ok(())
        }
        Err(e) => {
            // Nothing was placed: refused by the broker, or never sent.
            // A 429 that outlived the transport's retries was never acted on: not sent.
            let state = match &e {
                Error::Api(a) if a.status != 429 => ExecState::Rejected,
                _ => ExecState::NotSent,
            };
            exec.error = Some(e.to_string());
            note(exec, state, e.to_string());
            ex.store.upsert_execution(exec).await?;
            super::track::settle_position(ex, exec, None).await
        }
    }
}

/// Appends a state change and moves the execution to `state`.
pub(crate) fn note(exec: &mut Execution, state: ExecState, note: String) {
    let at = now();
    exec.state = state;
    exec.updated_at = at;
    exec.history.push(StateChange {
        at,
        state,
        filled_qty: exec.filled_qty,
        note,
    });
}

/// A new pending execution.
pub(crate) fn pending(
    client_order_id: String,
    position: &TrackedPosition,
    role: Role,
    order: OrderSpec,
) -> Execution {
    let at = now();
    Execution {
        client_order_id,
        signal_id: position.signal_id.clone(),
        strategy: position.strategy.clone(),
        underlying: position.underlying.clone(),
        role,
        position_id: position.id.clone(),
        order,
        state: ExecState::Pending,
        broker_order_id: None,
        filled_qty: rust_decimal::Decimal::ZERO,
        filled_avg_price: None,
        error: None,
        created_at: at,
        updated_at: at,
        history: vec![StateChange {
            at,
            state: ExecState::Pending,
            filled_qty: rust_decimal::Decimal::ZERO,
            note: "written before sending".into(),
        }],
    }
}

/// Places the exit of a position (market order for what is held). Idempotent: a position
/// already closing returns its working exit.
pub(crate) async fn place_exit(
    ex: &Executor,
    mut pos: TrackedPosition,
    reason: &str,
) -> Result<Execution, ExecError> {
    if pos.status == PositionStatus::Closing
        && let Some(cid) = &pos.exit_client_order_id
        && let Some(existing) = ex.store.execution(cid).await?
    {
        return Ok(existing);
    }
    // A position whose figures overflow was edited or corrupted: its quantity means nothing.
    let qty = pos
        .open_qty()
        .filter(|_| pos.exposure().is_some())
        .ok_or_else(|| {
            ExecError::Invalid(format!(
                "position {}: stored fill figures overflow; fix the position by hand",
                pos.id
            ))
        })?;
    if pos.status != PositionStatus::Open || qty <= rust_decimal::Decimal::ZERO {
        return Err(ExecError::Invalid(format!(
            "position {} is {:?} with {qty} held: nothing to exit",
            pos.id, pos.status
        )));
    }
    let attempt = pos
        .exit_attempts
        .checked_add(1)
        .ok_or_else(|| ExecError::Invalid(format!("position {}: no exit attempts left", pos.id)))?;
    let cid = exit_client_order_id(&pos.strategy, &pos.signal_id, attempt);
    let is_option = crate::OccSymbol::looks_like(&pos.symbol);
    let (side, intent) = match pos.side {
        Side::Long => (OrderSide::Sell, PositionIntent::SellToClose),
        Side::Short => (OrderSide::Buy, PositionIntent::BuyToClose),
    };
    let order = OrderSpec {
        symbol: pos.symbol.clone(),
        side,
        qty,
        limit_price: None,
        position_intent: is_option.then_some(intent),
    };
    pos.exit_attempts = attempt;
    pos.exit_client_order_id = Some(cid.clone());
    pos.exit_reason = Some(reason.to_owned());
    pos.status = PositionStatus::Closing;
    let exec = pending(cid, &pos, Role::Exit, order);
    tracing::info!(position = %pos.id, %reason, "placing exit");
    place(ex, exec, &pos).await
}
