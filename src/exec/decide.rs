//! One signal's path through the guards, instrument choice and sizing to an order.

use super::ids::entry_client_order_id;
use super::submit::{pending, place, place_exit};
use super::{ClosedMarket, ExecError, ExecState, Executor, OptionPricing, now};
use crate::broker::{AccountSnapshot, ChainQuery, MarketClock};
use crate::hash::FastMap;
use crate::options::select::{SelectError, SelectionRequest, new_york_date, select_contract};
use crate::risk::{
    Bias, DailyLossStatus, EquitySize, EquitySizingInput, Exposure, OptionSizingInput, Side,
    SignalLevels, SizingError, TrailingState, check_new_position, headroom, size_equity,
    size_option,
};
use crate::store::{
    Decision, EventKind, Execution, OrderSpec, Outcome, PositionStatus, Role, SignalRecord,
    SkipReason, StoreWrite, TrackedPosition,
};
use crate::strategy::{Instrument, Intent, OptionSpec, Signal, SignalId};
use crate::{OptionType, OrderSide, PositionIntent};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::json;
use std::collections::BTreeMap;
use tracing::{Instrument as _, field};

/// What the whole batch is decided against, fetched once per batch and kept current as the
/// batch places orders (so two entries for one symbol in a batch are caught).
pub(crate) struct Batch {
    clock: MarketClock,
    account: AccountSnapshot,
    positions: Vec<TrackedPosition>,
    /// Each position's exposure when it joined the batch (an exit placed later in the batch
    /// does not change what the limits count), and their total over all strategies: computed
    /// once, so the limits see one pooled figure for the other strategies instead of every
    /// position. The guards scan `positions` for a strategy's own: a batch holds the active
    /// positions only, and a scan costs less than building maps for them on every batch.
    exposure: Vec<Decimal>,
    exposure_total: Decimal,
    /// The first position whose stored figures make the exposure overflow: the limits cannot
    /// be measured while it is there, so entries fail (recorded) until a human fixes it.
    unmeasurable: Option<String>,
    open: Vec<Execution>,
}

impl Batch {
    fn new(
        clock: MarketClock,
        account: AccountSnapshot,
        positions: Vec<TrackedPosition>,
        open: Vec<Execution>,
    ) -> Self {
        let mut b = Batch {
            clock,
            account,
            positions: Vec::with_capacity(positions.len()),
            exposure: Vec::with_capacity(positions.len()),
            exposure_total: Decimal::ZERO,
            unmeasurable: None,
            open,
        };
        for p in positions {
            b.add_position(p);
        }
        b
    }

    fn add_position(&mut self, p: TrackedPosition) {
        let total = p
            .exposure()
            .and_then(|e| Some((e, self.exposure_total.checked_add(e)?)));
        let e = match total {
            Some((e, total)) => {
                self.exposure_total = total;
                e
            }
            None => {
                self.unmeasurable.get_or_insert_with(|| p.id.clone());
                Decimal::ZERO
            }
        };
        self.exposure.push(e);
        self.positions.push(p);
    }

    /// Whether `strategy` has an active position in `underlying` (the duplicate-entry guard).
    fn holds(&self, strategy: &str, underlying: &str) -> bool {
        self.positions
            .iter()
            .any(|p| p.strategy == strategy && p.underlying == underlying)
    }

    /// What the portfolio limits need for `strategy`: its own positions one by one (their
    /// number counts), and every other strategy's pooled into one entry under the empty name,
    /// which no strategy can have (signals with an empty strategy are refused).
    fn exposures<'a>(&'a self, strategy: &'a str) -> Result<Vec<Exposure<'a>>, ExecError> {
        if let Some(id) = &self.unmeasurable {
            return Err(ExecError::Invalid(format!(
                "position {id}: stored figures overflow, so portfolio limits cannot be measured; \
                 fix or close it by hand"
            )));
        }
        let mine = || {
            self.positions
                .iter()
                .zip(&self.exposure)
                .filter(move |(p, _)| p.strategy == strategy)
                .map(|(_, &e)| e)
        };
        let others = mine()
            .try_fold(Decimal::ZERO, Decimal::checked_add)
            .and_then(|mine_total| self.exposure_total.checked_sub(mine_total))
            .ok_or_else(|| {
                ExecError::Invalid(format!(
                    "{strategy}'s stored position values overflow, so portfolio limits cannot \
                     be measured"
                ))
            })?;
        let mut v = Vec::with_capacity(mine().count() + 1);
        v.push(Exposure {
            strategy: "",
            value: others,
        });
        v.extend(mine().map(|value| Exposure { strategy, value }));
        Ok(v)
    }
}

async fn load(ex: &Executor) -> Result<Batch, ExecError> {
    let positions = ex.store.positions(true).await?;
    Ok(Batch::new(
        ex.broker.clock().await?,
        ex.broker.account().await?,
        positions,
        ex.store.executions(true).await?,
    ))
}

/// The batch's decisions, stored together in one write when the batch ends.
///
/// Why not one write per signal: the order path's safety does not depend on the signal record
/// (the execution, written before sending, is what a restart resumes from, and a re-emitted
/// signal whose record was lost is recognised by its entry order's client order id), so the
/// decisions can share a commit. A crash mid-batch loses only that batch's decision records.
#[derive(Default)]
struct Recorder {
    records: Vec<SignalRecord>,
    /// Signal ids are 32 hex digits the engine derives itself: no need for SipHash.
    index: FastMap<SignalId, usize>,
}

impl Recorder {
    fn decision(&self, id: &SignalId) -> Option<&Decision> {
        self.index
            .get(id)
            .and_then(|&i| self.records[i].decision.as_ref())
    }

    fn push(&mut self, r: SignalRecord) {
        match self.index.get(&r.id) {
            Some(&i) => self.records[i] = r,
            None => {
                self.index.insert(r.id.clone(), self.records.len());
                self.records.push(r);
            }
        }
    }

    async fn flush(self, ex: &Executor) {
        let writes: Vec<StoreWrite<'_>> = self.records.iter().map(StoreWrite::Signal).collect();
        if let Err(e) = ex.store.write_batch(&writes).await {
            ex.report_error(None, None, format!("decisions not stored: {e}"))
                .await;
        }
    }
}

pub(crate) async fn execute_batch(
    ex: &Executor,
    signals: &[Signal],
    from_queue: bool,
) -> Vec<Decision> {
    let mut out = Vec::with_capacity(signals.len());
    let mut rec = Recorder::default();
    match load(ex).await {
        Ok(mut batch) => {
            for s in signals {
                out.push(process(ex, &mut batch, &mut rec, s, from_queue).await);
            }
        }
        Err(e) => {
            // Without account and clock nothing can be decided; each new signal is recorded as
            // a retryable failure so it runs when it is seen again. One decided before keeps
            // its decision: overwriting it would let a repeat place its order again.
            ex.report_error(None, None, format!("batch not executed: {e}"))
                .await;
            for s in signals {
                let id = s.id();
                match seen_before(ex, &mut rec, s, &id, from_queue).await {
                    Seen::Answered(d) => out.push(d),
                    Seen::Decide(received) => {
                        let received_at = received.unwrap_or_else(now);
                        let d = Decision {
                            retryable: true,
                            ..decision(&id, Outcome::Failed, None, format!("batch: {e}"), None)
                        };
                        out.push(finish(ex, &mut rec, s, received_at, d).await);
                    }
                }
            }
        }
    }
    rec.flush(ex).await;
    out
}

fn decision(
    id: &SignalId,
    outcome: Outcome,
    skip: Option<SkipReason>,
    detail: String,
    client_order_id: Option<String>,
) -> Decision {
    Decision {
        signal_id: id.clone(),
        outcome,
        retryable: outcome == Outcome::Queued,
        skip,
        detail,
        client_order_id,
        at: now(),
    }
}

fn skip(id: &SignalId, reason: SkipReason) -> Result<Decision, ExecError> {
    let detail = reason.to_string();
    Ok(decision(id, Outcome::Skipped, Some(reason), detail, None))
}

async fn process(
    ex: &Executor,
    batch: &mut Batch,
    rec: &mut Recorder,
    signal: &Signal,
    from_queue: bool,
) -> Decision {
    let id = signal.id();
    let span = tracing::info_span!(
        "signal",
        signal_id = %id,
        strategy = %signal.strategy,
        symbol = %signal.symbol,
        intent = signal.intent.as_str(),
        outcome = field::Empty,
        reason = field::Empty,
    );
    async {
        let received = match seen_before(ex, rec, signal, &id, from_queue).await {
            Seen::Answered(d) => return d,
            Seen::Decide(received) => received,
        };
        // The signal is stored once, with its decision: the execution written before any order
        // is what a restart resumes from, so an undecided signal record would add nothing.
        let received_at = received.unwrap_or_else(now);
        let d = match decide(ex, batch, signal, &id).await {
            Ok(d) => d,
            // No error of `decide` leaves an order behind unrecorded: a submit's failures end in
            // the execution's state, and an order written before a later failure is found by
            // `seen_before` when the signal is seen again. So seeing it again may retry it.
            Err(e) => Decision {
                retryable: true,
                ..decision(&id, Outcome::Failed, None, e.to_string(), None)
            },
        };
        finish(ex, rec, signal, received_at, d).await
    }
    .instrument(span)
    .await
}

/// What [`seen_before`] found.
enum Seen {
    /// No new decision: a duplicate (or a store failure reading the record), answered.
    Answered(Decision),
    /// To be decided: new, queued, or failed before anything reached the broker. Carries when
    /// the signal was first received, if it was recorded.
    Decide(Option<chrono::DateTime<chrono::Utc>>),
}

/// Whether `signal` was decided before. A decision that says nothing reached the broker
/// (retryable) is decided again, unless an entry order named after the signal exists after all
/// (its record lost in a crash, or a failure after the order was written): that order is never
/// placed twice, and its decision is recovered from it.
async fn seen_before(
    ex: &Executor,
    rec: &mut Recorder,
    signal: &Signal,
    id: &SignalId,
    from_queue: bool,
) -> Seen {
    let previous = match ex.store.signal(id).await {
        Ok(p) => p,
        Err(e) => {
            let d = Decision {
                retryable: true,
                ..decision(id, Outcome::Failed, None, format!("store: {e}"), None)
            };
            return Seen::Answered(finish(ex, rec, signal, now(), d).await);
        }
    };
    let earlier = rec
        .decision(id)
        .or(previous.as_ref().and_then(|r| r.decision.as_ref()))
        .cloned();
    if let Some(prev) = &earlier
        && !prev.retryable
        && !(from_queue && prev.outcome == Outcome::Queued)
    {
        let d = decision(
            id,
            Outcome::Skipped,
            Some(SkipReason::Duplicate),
            format!("already decided: {:?} ({})", prev.outcome, prev.detail),
            prev.client_order_id.clone(),
        );
        // The original decision stays in the store; the repeat is only logged.
        log_decision(ex, signal, &d).await;
        return Seen::Answered(d);
    }
    let placed = if signal.intent.is_entry() {
        ex.store
            .execution(&entry_client_order_id(&signal.strategy, id))
            .await
            .ok()
            .flatten()
            // Provably never sent: placing it again is safe (same client order id).
            .filter(|e| e.state != ExecState::NotSent)
    } else {
        None
    };
    let Some(e) = placed else {
        return Seen::Decide(previous.map(|r| r.received_at));
    };
    // Store the decision the order implies, and answer this repeat as a duplicate.
    let outcome = match e.state {
        ExecState::Rejected | ExecState::Abandoned => Outcome::Failed,
        ExecState::Pending | ExecState::Unconfirmed => Outcome::Unresolved,
        _ => Outcome::Executed,
    };
    let detail = format!("recovered from the entry order ({})", e.state.as_str());
    let cid = Some(e.client_order_id.clone());
    rec.push(SignalRecord {
        id: id.clone(),
        signal: signal.clone(),
        received_at: e.created_at,
        decision: Some(decision(id, outcome, None, detail, cid.clone())),
    });
    let d = decision(
        id,
        Outcome::Skipped,
        Some(SkipReason::Duplicate),
        format!("entry order already placed ({})", e.state.as_str()),
        cid,
    );
    log_decision(ex, signal, &d).await;
    Seen::Answered(d)
}

/// Traces the decision on the signal's span and records it in the event log.
async fn log_decision(ex: &Executor, signal: &Signal, d: &Decision) {
    trace(d);
    ex.event(
        EventKind::Decision,
        Some(&signal.strategy),
        Some(&signal.symbol),
        || json!(d),
    )
    .await;
}

fn trace(d: &Decision) {
    let span = tracing::Span::current();
    span.record("outcome", field::debug(d.outcome));
    if let Some(r) = &d.skip {
        span.record("reason", r.name());
    }
    tracing::info!(outcome = ?d.outcome, reason = d.skip.as_ref().map(|r| r.name()), detail = %d.detail, "signal decided");
}

/// Logs the decision, alerts on failure, and adds it to the batch's records. Never fails.
async fn finish(
    ex: &Executor,
    rec: &mut Recorder,
    signal: &Signal,
    received_at: chrono::DateTime<chrono::Utc>,
    d: Decision,
) -> Decision {
    log_decision(ex, signal, &d).await;
    if matches!(d.outcome, Outcome::Failed | Outcome::Unresolved) {
        ex.report_error(
            Some(&signal.strategy),
            Some(&signal.symbol),
            d.detail.clone(),
        )
        .await;
    }
    rec.push(SignalRecord {
        id: d.signal_id.clone(),
        signal: signal.clone(),
        received_at,
        decision: Some(d.clone()),
    });
    d
}

fn validate(s: &Signal) -> Result<(), String> {
    if s.strategy.trim().is_empty() {
        return Err("strategy name is empty".into());
    }
    if s.symbol.is_empty()
        || !s
            .symbol
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.')
    {
        return Err(format!("symbol {:?} is not a stock symbol", s.symbol));
    }
    if s.reference_price <= Decimal::ZERO {
        return Err(format!(
            "reference price {} is not positive",
            s.reference_price
        ));
    }
    if let Instrument::Option(o) = s.instrument
        && (o.min_dte < 0 || o.min_dte > o.max_dte || o.min_delta > o.max_delta)
    {
        return Err(format!("option window is inverted or negative: {o:?}"));
    }
    Ok(())
}

async fn decide(
    ex: &Executor,
    batch: &mut Batch,
    s: &Signal,
    id: &SignalId,
) -> Result<Decision, ExecError> {
    if let Err(detail) = validate(s) {
        return skip(id, SkipReason::InvalidSignal { detail });
    }
    if !batch.account.can_trade {
        return skip(id, SkipReason::AccountBlocked);
    }
    if !batch.clock.is_open {
        return match ex.config.closed_market {
            ClosedMarket::Skip => skip(id, SkipReason::MarketClosed),
            ClosedMarket::Queue => Ok(decision(
                id,
                Outcome::Queued,
                Some(SkipReason::MarketClosed),
                format!("queued for the open at {}", batch.clock.next_open),
                None,
            )),
        };
    }
    let held = |p: &&TrackedPosition| p.strategy == s.strategy && p.underlying == s.symbol;
    if s.intent == Intent::Exit {
        let Some(pos) = batch
            .positions
            .iter()
            .find(|p| held(p) && p.status.is_active())
        else {
            return skip(id, SkipReason::NoPosition);
        };
        return match pos.status {
            PositionStatus::Closing => skip(id, SkipReason::ExitInProgress),
            PositionStatus::Opening => skip(id, SkipReason::NoPosition),
            _ => {
                // The store's copy is the freshest (a poll may have filled more since the batch
                // was loaded).
                let mut pos = match ex.store.position(&pos.id).await? {
                    Some(p) => p,
                    None => pos.clone(),
                };
                pos.exit_rule = Some("signal".into());
                let exec = place_exit(ex, pos, &format!("exit signal {id}")).await?;
                if let Some(p) = batch
                    .positions
                    .iter_mut()
                    .find(|p| p.id == exec.position_id)
                {
                    p.status = PositionStatus::Closing;
                }
                Ok(placed(id, &exec, "exit placed".into()))
            }
        };
    }
    let option = match s.instrument {
        Instrument::Option(o) => Some(o),
        Instrument::Equity => None,
    };
    if s.intent == Intent::EnterShort && (!ex.config.allow_short || option.is_some()) {
        return skip(id, SkipReason::ShortNotAllowed);
    }
    if let Some(last) = batch.account.last_equity {
        let session = new_york_date(batch.clock.now);
        let status = ex.guard.lock().unwrap_or_else(|p| p.into_inner()).update(
            session,
            batch.account.equity,
            last,
        );
        match status {
            Ok(DailyLossStatus::Halted { change, limit }) => {
                return skip(id, SkipReason::Halted { change, limit });
            }
            Ok(DailyLossStatus::Trading { .. }) => {}
            Err(e) => tracing::warn!(error = %e, "daily loss not measurable; not halting"),
        }
    }
    if let (Some(filter), Some(stop), Some(target)) = (&ex.config.signal_filter, s.stop, s.target)
        && let Err(r) = filter.check(&SignalLevels {
            entry: s.reference_price,
            target,
            stop,
        })
    {
        return skip(
            id,
            SkipReason::Quality {
                detail: r.to_string(),
            },
        );
    }
    if batch.holds(&s.strategy, &s.symbol) {
        return skip(id, SkipReason::ExistingPosition);
    }
    if batch
        .open
        .iter()
        .any(|e| e.strategy == s.strategy && e.underlying == s.symbol)
    {
        return skip(id, SkipReason::OpenOrder);
    }
    if let Some(filter) = &ex.event_filter
        && let Err(event) = filter.check(&s.symbol, batch.clock.now).await
    {
        return skip(id, SkipReason::EventAhead { event });
    }
    let exposures = batch.exposures(&s.strategy)?;
    let limits = &ex.config.limits;
    let equity = batch.account.equity;
    let room = headroom(limits, equity, &exposures, &s.strategy)
        .map_err(|e| ExecError::Invalid(e.to_string()))?;
    if room.positions_left == 0 {
        return skip(
            id,
            SkipReason::Limits {
                detail: format!(
                    "{} positions open, the maximum",
                    limits.max_positions_per_strategy
                ),
            },
        );
    }
    let plan = match option {
        None => plan_equity(ex, &batch.account, s, room.capital_left),
        Some(spec) => plan_option(ex, batch, s, spec, room.capital_left).await?,
    };
    let plan = match plan {
        Ok(p) => p,
        Err(reason) => return skip(id, reason),
    };
    if let Err(b) = check_new_position(limits, equity, &exposures, &s.strategy, plan.cost) {
        return skip(
            id,
            SkipReason::Limits {
                detail: b.to_string(),
            },
        );
    }
    drop(exposures);
    let cid = entry_client_order_id(&s.strategy, id);
    let pos = TrackedPosition {
        id: cid.clone(),
        strategy: s.strategy.clone(),
        underlying: s.symbol.clone(),
        symbol: plan.order.symbol.clone(),
        signal_id: id.clone(),
        side: if s.intent == Intent::EnterShort {
            Side::Short
        } else {
            Side::Long
        },
        bias: plan.bias,
        planned_qty: plan.order.qty,
        planned_cost: plan.cost,
        entry_qty: Decimal::ZERO,
        entry_price: None,
        exit_fills: BTreeMap::new(),
        multiplier: plan.multiplier,
        stop: s.stop,
        target: s.target,
        expiration: plan.expiration,
        trailing: TrailingState::new(),
        status: PositionStatus::Opening,
        exit_attempts: 0,
        exit_client_order_id: None,
        exit_reason: None,
        exit_rule: None,
        opened_at: now(),
        closed_at: None,
    };
    let exec = pending(cid, &pos, Role::Entry, plan.order);
    let exec = place(ex, exec, &pos).await?;
    // Later signals of the batch see this entry, unless nothing reached the broker.
    if !matches!(exec.state, ExecState::NotSent | ExecState::Rejected) {
        batch.add_position(pos);
    }
    let d = placed(id, &exec, plan.detail);
    if !exec.state.is_terminal() {
        batch.open.push(exec);
    }
    Ok(d)
}

/// The decision for a placed order, by what the broker said.
fn placed(id: &SignalId, exec: &Execution, detail: String) -> Decision {
    let cid = Some(exec.client_order_id.clone());
    match exec.state {
        // Submitted, outcome unknown; or known to exist but not visible yet.
        ExecState::Pending | ExecState::Unconfirmed => decision(
            id,
            Outcome::Unresolved,
            None,
            format!(
                "{detail}; outcome unknown: {}",
                exec.error.as_deref().unwrap_or("")
            ),
            cid,
        ),
        // Placed, but the broker's answer could not be applied (already alerted).
        ExecState::NeedsAttention => decision(
            id,
            Outcome::Executed,
            None,
            format!(
                "{detail}; needs attention: {}",
                exec.error.as_deref().unwrap_or("")
            ),
            cid,
        ),
        ExecState::NotSent | ExecState::Rejected => Decision {
            // Nothing reached the broker: seeing the signal again may try again.
            retryable: exec.state == ExecState::NotSent,
            ..decision(
                id,
                Outcome::Failed,
                None,
                format!(
                    "{detail}; {}: {}",
                    exec.state.as_str(),
                    exec.error.as_deref().unwrap_or("")
                ),
                cid,
            )
        },
        _ => decision(id, Outcome::Executed, None, detail, cid),
    }
}

/// A sized order ready to place.
struct Plan {
    order: OrderSpec,
    cost: Decimal,
    multiplier: Decimal,
    bias: Bias,
    expiration: Option<chrono::NaiveDate>,
    detail: String,
}

fn sizing_skip(e: SizingError) -> SkipReason {
    match e {
        // The skip reason says "too small" itself; the detail is the figures.
        SizingError::TooSmall { budget, unit_cost } => SkipReason::TooSmall {
            detail: crate::risk::sizing::too_small_detail(&budget, &unit_cost),
        },
        other => SkipReason::InvalidSignal {
            detail: other.to_string(),
        },
    }
}

fn plan_equity(
    ex: &Executor,
    account: &AccountSnapshot,
    s: &Signal,
    capital_left: Decimal,
) -> Result<Plan, SkipReason> {
    let short = s.intent == Intent::EnterShort;
    let input = EquitySizingInput {
        equity: account.equity,
        buying_power: account.buying_power.min(capital_left).max(Decimal::ZERO),
        price: s.reference_price,
        stop_price: s.stop,
        // Whole shares: fractional quantities complicate exits and shorting, and not every
        // symbol allows them.
        fractionable: false,
    };
    let (qty, cost) = match size_equity(ex.config.equity_sizing_for(&s.strategy, &s.symbol), &input)
        .map_err(sizing_skip)?
    {
        EquitySize::Shares { qty, cost } => (qty, cost),
        EquitySize::Notional { amount } => {
            return Err(SkipReason::InvalidSignal {
                detail: format!("notional size {amount} where whole shares were asked"),
            });
        }
    };
    Ok(Plan {
        order: OrderSpec {
            symbol: s.symbol.clone(),
            side: if short {
                OrderSide::Sell
            } else {
                OrderSide::Buy
            },
            qty,
            limit_price: None,
            position_intent: None,
        },
        cost,
        multiplier: Decimal::ONE,
        bias: if short { Bias::Bearish } else { Bias::Bullish },
        expiration: None,
        detail: format!(
            "{qty} shares of {} at ~{} (cost {cost})",
            s.symbol, s.reference_price
        ),
    })
}

async fn plan_option(
    ex: &Executor,
    batch: &Batch,
    s: &Signal,
    spec: OptionSpec,
    capital_left: Decimal,
) -> Result<Result<Plan, SkipReason>, ExecError> {
    let today = new_york_date(batch.clock.now);
    // The window was validated as 0 <= min <= max; a max beyond the calendar is refused.
    let days = |n: i64| today.checked_add_days(chrono::Days::new(n.unsigned_abs()));
    let (Some(expiration_gte), Some(expiration_lte)) = (days(spec.min_dte), days(spec.max_dte))
    else {
        return Ok(Err(SkipReason::InvalidSignal {
            detail: format!(
                "DTE window {}..{} is beyond the calendar",
                spec.min_dte, spec.max_dte
            ),
        }));
    };
    let query = ChainQuery {
        underlying: s.symbol.clone(),
        option_type: spec.option_type,
        expiration_gte,
        expiration_lte,
    };
    let chain = ex.broker.option_chain(&query).await?;
    let mut policy = ex.config.selection.clone();
    policy.min_delta = spec.min_delta;
    policy.max_delta = spec.max_delta;
    policy.min_dte = spec.min_dte;
    policy.max_dte = spec.max_dte;
    let request = SelectionRequest {
        underlying: &s.symbol,
        option_type: spec.option_type,
        spot: s.reference_price,
        today,
        chain: &chain,
    };
    let sel = match select_contract(&request, &policy) {
        Ok(sel) => sel,
        Err(SelectError::NoCandidate(n)) => {
            return Ok(Err(SkipReason::NoContract {
                chain_len: n.chain_len,
                removed: n.removed,
            }));
        }
        Err(e) => {
            return Ok(Err(SkipReason::InvalidSignal {
                detail: e.to_string(),
            }));
        }
    };
    let c = sel.contract;
    let ask = c.ask.unwrap_or(sel.mid);
    let limit = match ex.config.option_pricing {
        OptionPricing::Market => None,
        // The mid comes from the network: a limit beyond the decimal range is the ask.
        OptionPricing::LimitAtMid { tolerance } => Some(
            Decimal::ONE
                .checked_add(tolerance)
                .and_then(|f| sel.mid.checked_mul(f))
                .map_or(ask, |p| {
                    p.round_dp_with_strategy(2, RoundingStrategy::ToPositiveInfinity)
                })
                .min(ask),
        ),
    };
    let premium = limit.unwrap_or(ask);
    let available = batch.account.options_buying_power.min(capital_left);
    let size = match size_option(
        &ex.config.option_sizing,
        &OptionSizingInput {
            premium,
            multiplier: c.multiplier,
            available_capital: available,
        },
    ) {
        Ok(sz) => sz,
        Err(e) => return Ok(Err(sizing_skip(e))),
    };
    let detail = format!("{} x {} at {} ({sel})", size.contracts, c.symbol, premium);
    Ok(Ok(Plan {
        order: OrderSpec {
            symbol: c.symbol.to_string(),
            side: OrderSide::Buy,
            qty: size.contracts,
            limit_price: limit,
            position_intent: Some(PositionIntent::BuyToOpen),
        },
        cost: size.cost,
        multiplier: c.multiplier,
        bias: match spec.option_type {
            OptionType::Call => Bias::Bullish,
            OptionType::Put => Bias::Bearish,
        },
        expiration: Some(c.symbol.expiration()),
        detail,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_too_small_reads_once_as_too_small_with_its_figures() {
        let skip = sizing_skip(SizingError::TooSmall {
            budget: Decimal::new(300, 0),
            unit_cost: Decimal::new(41200, 2),
        });
        assert_eq!(
            skip.to_string(),
            "too small: budget 300 buys no unit costing 412.00"
        );
        assert_eq!(skip.name(), "too_small");
    }
}
