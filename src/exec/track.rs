//! Tracking orders to a terminal state and turning fills into positions and journal trades.
//!
//! What one broker answer changes (position, trade, execution) is written as one
//! [`write_batch`](crate::store::ExecutionStore::write_batch), in that order, and each record is
//! an idempotent function of the broker's cumulative figures: if the process dies before the
//! execution is written, applying the same broker answer again after the restart produces the
//! same records, never a double count.

use super::attention::flag;
use super::reconcile::ReconcileReport;
use super::submit::{note, send};
use super::unconfirmed;
use super::{ExecError, ExecState, Executor, now};
use crate::alert::{Alert, deliver};
use crate::broker::BrokerOrder;
use crate::store::{
    EventKind, Execution, ExitFill, PositionStatus, Role, StoreWrite, TrackedPosition, TradeRecord,
};
use rust_decimal::Decimal;
use serde_json::json;

/// How old a pending execution absent at the broker must be before a poll sends it again.
const PENDING_GRACE: chrono::Duration = chrono::Duration::seconds(30);

/// Applies a broker answer to an execution: state per the transition table, new fills to the
/// position and the journal, then the execution itself.
///
/// A fill whose figures cannot be applied (negative, larger than the order, or overflowing
/// in any sum or product) changes nothing but the execution, which moves to
/// [`ExecState::NeedsAttention`] with the reason and is alerted (once): the broker's figures are
/// not to be trusted, and the rest of the engine goes on.
///
/// `known` is the execution's position as last written, when the caller has it (the order was
/// just placed), which saves reading it back.
pub(crate) async fn apply_order(
    ex: &Executor,
    exec: &mut Execution,
    order: &BrokerOrder,
    why: &str,
    known: Option<&TrackedPosition>,
) -> Result<(), ExecError> {
    if let Err(reason) = check_figures(exec, order) {
        return unusable(ex, exec, order, reason).await;
    }
    let next = ExecState::from(&order.status);
    let legal = exec.state.can_become(next);
    if !legal {
        tracing::warn!(
            client_order_id = %exec.client_order_id, from = exec.state.as_str(),
            to = next.as_str(), "ignoring out-of-order state update"
        );
        ex.event(
            EventKind::Order,
            Some(&exec.strategy),
            Some(&exec.order.symbol),
            || {
                json!({ "client_order_id": exec.client_order_id, "ignored_transition":
                    [exec.state.as_str(), next.as_str()] })
            },
        )
        .await;
    }
    let new_fill = order.filled_qty > exec.filled_qty;
    let state_changed = legal && next != exec.state;
    let first_id = exec.broker_order_id.is_none();
    if !(new_fill || state_changed || first_id) {
        return Ok(());
    }
    let fill = if new_fill {
        match fill_records(ex, exec, order, known).await? {
            Ok(f) => Some(f),
            Err(reason) => return unusable(ex, exec, order, reason).await,
        }
    } else {
        None
    };
    if new_fill {
        exec.filled_qty = order.filled_qty;
        exec.filled_avg_price = order.filled_avg_price;
    }
    match &mut exec.broker_order_id {
        Some(id) => id.clone_from(&order.id),
        none => *none = Some(order.id.clone()),
    }
    let state = if legal { next } else { exec.state };
    note(
        exec,
        state,
        format!("{why}: broker status {}", order.status),
    );
    exec.error = None;
    // The execution goes last: until it is written, the same answer will be applied again.
    let new_trades = match &fill {
        Some(f) => {
            ex.store
                .write_batch(&[
                    StoreWrite::Position(&f.position),
                    StoreWrite::Trade(&f.trade),
                    StoreWrite::Execution(exec),
                ])
                .await?
        }
        None => {
            ex.store.upsert_execution(exec).await?;
            Vec::new()
        }
    };
    let mut position = None;
    if let Some(f) = fill {
        // Logged and alerted only the first time, so a replay after a crash stays quiet.
        if new_trades.contains(&f.trade.id) {
            ex.event(
                EventKind::Fill,
                Some(&exec.strategy),
                Some(&exec.order.symbol),
                || serde_json::to_value(&f.trade).unwrap_or_default(),
            )
            .await;
            if let Some(a) = &f.alert {
                deliver(ex.alerter.as_ref(), a).await;
            }
        }
        position = Some(f.position);
    }
    ex.event(
        EventKind::Order,
        Some(&exec.strategy),
        Some(&exec.order.symbol),
        || {
            json!({ "client_order_id": exec.client_order_id, "order_id": order.id,
                "state": state.as_str(), "filled_qty": exec.filled_qty })
        },
    )
    .await;
    if state.is_terminal() {
        settle_position(ex, exec, position).await?;
    }
    Ok(())
}

/// Why a broker answer cannot be applied, for the execution's record.
type Unusable = String;

/// Records that `order` cannot be applied to `exec`: needs attention (alerted once). The
/// broker's order id is kept, so later polls ask for the order by it.
async fn unusable(
    ex: &Executor,
    exec: &mut Execution,
    order: &BrokerOrder,
    reason: Unusable,
) -> Result<(), ExecError> {
    if exec.broker_order_id.is_none() {
        exec.broker_order_id = Some(order.id.clone());
    }
    let reason = format!("broker answer for order {} not applied: {reason}", order.id);
    flag(ex, exec, reason).await?;
    Ok(())
}

fn overflow(what: &str) -> Unusable {
    format!("{what} overflows")
}

/// Refuses figures no broker can mean: a negative fill or price, more filled than ordered.
fn check_figures(exec: &Execution, order: &BrokerOrder) -> Result<(), Unusable> {
    if order.filled_qty < Decimal::ZERO {
        return Err(format!("negative filled quantity {}", order.filled_qty));
    }
    if order.filled_qty > exec.order.qty {
        return Err(format!(
            "{} filled of an order for {}",
            order.filled_qty, exec.order.qty
        ));
    }
    match order.filled_avg_price {
        Some(p) if p < Decimal::ZERO => Err(format!("negative average fill price {p}")),
        _ => Ok(()),
    }
}

/// Price of the quantity filled since the last answer, from the two cumulative averages
/// (`None` without a new average or a new quantity).
fn increment_price(exec: &Execution, order: &BrokerOrder) -> Result<Option<Decimal>, Unusable> {
    let Some(new_avg) = order.filled_avg_price else {
        return Ok(None);
    };
    let delta = order
        .filled_qty
        .checked_sub(exec.filled_qty)
        .ok_or_else(|| overflow("the filled quantity"))?;
    if delta <= Decimal::ZERO {
        return Ok(None);
    }
    let notional = |avg: Decimal, qty: Decimal| {
        avg.checked_mul(qty)
            .ok_or_else(|| overflow(&format!("the notional {qty} x {avg}")))
    };
    let old = notional(
        exec.filled_avg_price.unwrap_or(Decimal::ZERO),
        exec.filled_qty,
    )?;
    let new = notional(new_avg, order.filled_qty)?;
    new.checked_sub(old)
        .and_then(|d| d.checked_div(delta))
        .map(|p| Some(p.round_dp(6)))
        .ok_or_else(|| overflow("the fill price"))
}

/// What a new fill changes, not yet written.
struct FillRecords {
    position: TrackedPosition,
    trade: TradeRecord,
    alert: Option<Alert>,
}

/// The position with the new fill applied (as cumulative figures), the journal trade, and the
/// alert it deserves (entry opened, position closed); or why the broker's figures cannot be
/// applied. Every sum and product of outside figures is checked.
async fn fill_records(
    ex: &Executor,
    exec: &Execution,
    order: &BrokerOrder,
    known: Option<&TrackedPosition>,
) -> Result<Result<FillRecords, Unusable>, ExecError> {
    let (delta, price) = match (
        order.filled_qty.checked_sub(exec.filled_qty),
        increment_price(exec, order),
    ) {
        (Some(d), Ok(p)) => (d, p.unwrap_or(Decimal::ZERO)),
        (None, _) => return Ok(Err(overflow("the filled quantity"))),
        (_, Err(why)) => return Ok(Err(why)),
    };
    let stored = match known {
        Some(p) if p.id == exec.position_id => Some(p.clone()),
        _ => ex.store.position(&exec.position_id).await?,
    };
    // A store edited by hand, or a plug-in store that lost a record: a human must look.
    let Some(mut pos) = stored else {
        return Ok(Err(format!(
            "the execution's position {} is not in the store",
            exec.position_id
        )));
    };
    let was = pos.status;
    let mut realized = None;
    match exec.role {
        Role::Entry => {
            pos.entry_qty = order.filled_qty;
            pos.entry_price = order.filled_avg_price;
            if pos.status == PositionStatus::Opening {
                pos.status = PositionStatus::Open;
            }
        }
        Role::Exit => {
            let Some(before) = pos.realized_pnl() else {
                return Ok(Err(overflow("the position's realised P&L")));
            };
            pos.exit_fills.insert(
                exec.client_order_id.clone(),
                ExitFill {
                    qty: order.filled_qty,
                    price: order.filled_avg_price.unwrap_or(price),
                },
            );
            let (Some(after), Some(open)) = (pos.realized_pnl(), pos.open_qty()) else {
                return Ok(Err(overflow("the position's realised P&L")));
            };
            let Some(r) = after.checked_sub(before) else {
                return Ok(Err(overflow("the fill's realised P&L")));
            };
            realized = Some(r);
            if open.is_zero() {
                pos.status = PositionStatus::Closed;
                pos.closed_at = Some(now());
            }
        }
    }
    // Everything the engine later computes from the position must be computable.
    if pos.exposure().is_none() {
        return Ok(Err(overflow("the position's value")));
    }
    let exited_qty = pos
        .exit_fills
        .values()
        .try_fold(Decimal::ZERO, |sum, f| sum.checked_add(f.qty));
    let (Some(exited_qty), Some(pnl)) = (exited_qty, pos.realized_pnl()) else {
        return Ok(Err(overflow("the position's exits")));
    };
    let action = match (&exec.order.position_intent, &exec.order.side) {
        (Some(i), _) => i.as_str().to_owned(),
        (None, s) => s.as_str().to_owned(),
    };
    let trade = TradeRecord {
        id: format!("{}#{}", exec.client_order_id, order.filled_qty.normalize()),
        time: now(),
        strategy: exec.strategy.clone(),
        symbol: exec.order.symbol.clone(),
        action,
        qty: delta,
        price,
        order_id: order.id.clone(),
        client_order_id: exec.client_order_id.clone(),
        realized_pnl: realized,
    };
    let alert = match (was, pos.status) {
        (PositionStatus::Opening, PositionStatus::Open) => Some(Alert::Entry {
            strategy: pos.strategy.clone(),
            symbol: pos.symbol.clone(),
            qty: pos.entry_qty,
            price: pos.entry_price.unwrap_or(price),
            time: trade.time,
        }),
        (PositionStatus::Closing, PositionStatus::Closed) => Some(Alert::Exit {
            strategy: pos.strategy.clone(),
            symbol: pos.symbol.clone(),
            qty: exited_qty,
            price,
            pnl,
            reason: pos.exit_reason.clone().unwrap_or_default(),
            time: trade.time,
        }),
        _ => None,
    };
    Ok(Ok(FillRecords {
        position: pos,
        trade,
        alert,
    }))
}

/// After an execution ends: an entry without fills leaves a never-opened position; an exit
/// that ended with quantity still held hands the position back to the monitor. `known` is the
/// position as just written, if the caller has it, to save reading it back.
pub(crate) async fn settle_position(
    ex: &Executor,
    exec: &Execution,
    known: Option<TrackedPosition>,
) -> Result<(), ExecError> {
    let pos = match known {
        Some(p) => Some(p),
        None => ex.store.position(&exec.position_id).await?,
    };
    let Some(mut pos) = pos else {
        return Ok(());
    };
    let before = pos.status;
    match exec.role {
        Role::Entry if pos.entry_qty.is_zero() => pos.status = PositionStatus::NeverOpened,
        Role::Entry if pos.status == PositionStatus::Opening => pos.status = PositionStatus::Open,
        Role::Exit
            if pos.status == PositionStatus::Closing
                && pos.exit_client_order_id.as_deref() == Some(&exec.client_order_id) =>
        {
            pos.status = PositionStatus::Open;
            pos.exit_client_order_id = None;
        }
        _ => {}
    }
    if pos.status != before {
        if pos.status == PositionStatus::NeverOpened {
            pos.closed_at = Some(now());
        }
        ex.store.upsert_position(&pos).await?;
    }
    Ok(())
}

/// Brings one non-terminal execution up to date with the broker.
///
/// A pending execution the broker does not know is sent again only once it is `min_age` old:
/// while the process runs, a younger one may still be on its way to the broker from a
/// concurrent [`Executor::execute`]. An order known to exist (unconfirmed, or confirmed
/// earlier) that does not show is never sent again: see [`unconfirmed`]. Orders waiting to show
/// are looked up on their backoff, or now if `force`.
pub(crate) async fn refresh(
    ex: &Executor,
    exec: &mut Execution,
    report: &mut ReconcileReport,
    min_age: chrono::Duration,
    force: bool,
) -> Result<(), ExecError> {
    if !unconfirmed::due(ex, exec, force) {
        return Ok(());
    }
    let answer = match &exec.broker_order_id {
        Some(id) => ex.broker.order(id).await,
        None => {
            ex.broker
                .order_by_client_order_id(&exec.client_order_id)
                .await
        }
    };
    match answer {
        Ok(order) => {
            ex.lookups.forget(&exec.client_order_id);
            let before = (exec.state, exec.filled_qty);
            let adopted = exec.broker_order_id.is_none();
            apply_order(
                ex,
                exec,
                &order,
                if adopted { "adopted" } else { "polled" },
                None,
            )
            .await?;
            let flagged = exec.state == ExecState::NeedsAttention;
            if flagged && before.0 != ExecState::NeedsAttention {
                report.needs_attention.push(exec.client_order_id.clone());
            } else if adopted && !flagged {
                report.adopted.push(exec.client_order_id.clone());
            } else if before != (exec.state, exec.filled_qty) {
                report.updated.push(exec.client_order_id.clone());
            }
            Ok(())
        }
        Err(e)
            if e.is_not_found()
                && (exec.broker_order_id.is_some()
                    || matches!(
                        exec.state,
                        ExecState::Unconfirmed | ExecState::NeedsAttention
                    )) =>
        {
            unconfirmed::not_visible(ex, exec, report).await
        }
        Err(e) if e.is_not_found() => {
            let age = now() - exec.created_at;
            if age < min_age {
                return Ok(());
            }
            let window = chrono::Duration::from_std(ex.config.resume_pending_within)
                .unwrap_or(chrono::Duration::MAX);
            if age <= window {
                let request = exec
                    .order
                    .to_request(&exec.client_order_id)
                    .map_err(|e| ExecError::Invalid(e.to_string()))?;
                tracing::warn!(client_order_id = %exec.client_order_id, "pending order absent at the broker: sending it");
                send(ex, exec, &request, None, true).await?;
                report.resent.push(exec.client_order_id.clone());
                if exec.state == ExecState::NeedsAttention {
                    report.needs_attention.push(exec.client_order_id.clone());
                }
            } else {
                note(
                    exec,
                    ExecState::Abandoned,
                    format!("absent at the broker and {age} old: not sent"),
                );
                ex.store.upsert_execution(exec).await?;
                settle_position(ex, exec, None).await?;
                report.abandoned.push(exec.client_order_id.clone());
            }
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

impl Executor {
    /// Applies an order update pushed by the broker (Alpaca's trade-updates stream, a simulated
    /// broker's fill), exactly as a poll answer would be applied. Returns `false` for an order
    /// this executor did not place (unknown client order id) and for one whose execution has
    /// already finished (a repeated or stale update), which are left alone.
    pub async fn on_order_update(&self, order: &BrokerOrder) -> Result<bool, ExecError> {
        self.apply_update(order, "update").await
    }

    /// The one path for pushed order state: applies `order` to its execution, noting `why` in
    /// the state history. False when the order is not one of ours.
    pub(crate) async fn apply_update(
        &self,
        order: &BrokerOrder,
        why: &str,
    ) -> Result<bool, ExecError> {
        if order.client_order_id.is_empty() {
            return Ok(false);
        }
        let Some(mut exec) = self.store.execution(&order.client_order_id).await? else {
            return Ok(false);
        };
        if exec.state.is_terminal() {
            return Ok(false);
        }
        apply_order(self, &mut exec, order, why, None).await?;
        Ok(true)
    }

    /// Polls every non-terminal execution and applies what changed (state, fills, positions,
    /// journal). A pending execution the broker does not have is sent again once it is 30 s
    /// old (younger ones may still be in flight). One order's failure is recorded and alerted;
    /// the others are still polled.
    pub async fn poll_orders(&self) -> Result<ReconcileReport, ExecError> {
        self.poll_with(PENDING_GRACE, false).await
    }

    /// [`Executor::poll_orders`] with the age a pending execution must reach before it is sent
    /// again (zero on start-up, when nothing can be in flight), and whether orders waiting to
    /// show are looked up now rather than on their backoff.
    pub(crate) async fn poll_with(
        &self,
        min_age: chrono::Duration,
        force: bool,
    ) -> Result<ReconcileReport, ExecError> {
        let mut report = ReconcileReport::default();
        for mut exec in self.store.executions(true).await? {
            // A refresh never changes these three, so the error below can name them.
            if let Err(e) = refresh(self, &mut exec, &mut report, min_age, force).await {
                let msg = format!("order {}: {e}", exec.client_order_id);
                self.report_error(Some(&exec.strategy), Some(&exec.order.symbol), msg.clone())
                    .await;
                report.errors.push(msg);
            }
        }
        Ok(report)
    }
}
