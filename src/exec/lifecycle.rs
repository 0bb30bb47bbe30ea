//! Positions that end outside the engine: options that expire, are exercised or are assigned,
//! closes made in the broker's dashboard or by the broker itself (a liquidation), noticed while
//! the engine runs and closed with their real P&L.
//!
//! [`Executor::close_ended_positions`] (run by every [`PositionMonitor`](super::PositionMonitor)
//! pass, after a simulated session close in a backtest, and by [`Executor::reconcile`] on start):
//! 1. compares each open tracked position with what the broker holds of its symbol (several
//!    positions in one symbol are matched oldest first); nothing more happens unless the broker
//!    holds less;
//! 2. reads the broker's account activities since the oldest such position opened
//!    ([`Broker::activities`](crate::broker::Broker::activities)) and takes, oldest first, the
//!    ones that explain the shortfall: an expiry (exit price 0), an exercise or assignment (the
//!    intrinsic value: the cash of a cash settlement, else from the underlying's price when the
//!    engine notices), a fill of an order the engine did not place (its price), a delivery of
//!    shares at the strike. Fills of the engine's own orders are left to order tracking;
//! 3. records each as an exit fill of the position (keyed by the activity id, so a repeated pass
//!    records nothing twice), with a journal trade, an event and an alert; a position with
//!    nothing left is closed with the reason `expired`, `exercised`, `assigned`,
//!    `cash_settled`, `delivered` or a text for an external close, and a working exit order of
//!    it is cancelled;
//! 4. shares an exercise or assignment delivered become a tracked position of the same strategy
//!    (long for shares received, short for shares delivered), entered at the underlying's price
//!    the option was valued at, with the option's stop and target, so the position monitor
//!    manages them. Option exit plus share entry then add up to the real cash flows;
//! 5. a shortfall nothing explains is closed anyway once it has lasted [`UNEXPLAINED_GRACE`]
//!    (a fill the broker has not listed yet, or a position not yet visible, gets that long to
//!    appear): an expired contract as expired or exercised by its intrinsic value, anything
//!    else at the latest quote. A position the broker no longer holds is never left open.

use super::{ExecError, Executor, now};
use crate::alert::{Alert, deliver};
use crate::broker::{ActivityKind, BrokerActivity, BrokerPosition};
use crate::options::greeks::intrinsic;
use crate::options::{OccSymbol, OptionType};
use crate::risk::{Bias, Side, TrailingState};
use crate::store::{EventKind, ExitFill, PositionStatus, StoreWrite, TrackedPosition, TradeRecord};
use chrono::{DateTime, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How long a shortfall nothing explains may last before the position is closed anyway.
pub const UNEXPLAINED_GRACE: chrono::Duration = chrono::Duration::seconds(60);

/// A position reduced or closed by something outside the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EndedPosition {
    /// The tracked position's id.
    pub position: String,
    /// Its symbol.
    pub symbol: String,
    /// What ended it: `expired`, `exercised`, `assigned`, `cash_settled`, `delivered` or
    /// `external` (a fill the engine did not place, or a position gone without a trace).
    pub rule: String,
    /// The reason, as recorded on the position.
    pub reason: String,
    /// Whether nothing is left of it.
    pub closed: bool,
}

/// What a pass found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EndedReport {
    /// Positions reduced or closed by something outside the engine.
    pub ended: Vec<EndedPosition>,
    /// Positions opened for shares an exercise or assignment delivered.
    pub delivered: Vec<String>,
    /// Positions the broker holds less of than tracked, with nothing explaining it yet.
    pub waiting: Vec<String>,
    /// Per-position errors; the other positions were still handled.
    pub errors: Vec<String>,
}

impl EndedReport {
    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One reduction of a position: an activity (or an inference) and the quantity it takes.
#[derive(Debug, Clone)]
struct Ending {
    /// Key of the exit fill: `activity:{id}` or `inferred:{what}`.
    key: String,
    kind: ActivityKind,
    qty: Decimal,
    /// Price per unit, if known without asking the broker.
    price: Option<Decimal>,
    /// Cash the activity moved, for exercises settled in cash.
    net_amount: Option<Decimal>,
    /// Activity quantity (for the per-unit cash of a cash settlement).
    activity_qty: Decimal,
    order_id: Option<String>,
    time: DateTime<Utc>,
    /// Set for an ending inferred rather than read from an activity.
    inferred: Option<&'static str>,
}

/// Quantities of activities taken so far (by this pass, and as recorded in the positions).
#[derive(Debug, Default)]
struct Ledger(HashMap<String, Decimal>);

impl Ledger {
    fn available(&self, a: &BrokerActivity) -> Decimal {
        a.qty.abs() - self.0.get(&a.id).copied().unwrap_or_default()
    }

    fn take(&mut self, id: &str, qty: Decimal) {
        *self.0.entry(id.to_owned()).or_default() += qty;
    }
}

/// An exercise or assignment that may have delivered shares.
struct Exercise {
    option: TrackedPosition,
    occ: OccSymbol,
    time: DateTime<Utc>,
    /// The underlying's price the option was valued at, if known.
    spot: Option<Decimal>,
}

impl Executor {
    /// Closes, with their real P&L, tracked positions that ended outside the engine (see the
    /// module docs of `lifecycle`). Run by every monitor pass; call it yourself if you run no
    /// monitor.
    pub async fn close_ended_positions(&self) -> Result<EndedReport, ExecError> {
        self.close_ended_with(UNEXPLAINED_GRACE).await
    }

    /// [`Executor::close_ended_positions`] with the grace for unexplained shortfalls (zero on
    /// start-up: nothing can be in flight then).
    pub(crate) async fn close_ended_with(
        &self,
        grace: chrono::Duration,
    ) -> Result<EndedReport, ExecError> {
        let mut report = EndedReport::default();
        let mut active: Vec<TrackedPosition> = Vec::new();
        for p in self.store.positions(true).await? {
            if matches!(p.status, PositionStatus::Open | PositionStatus::Closing)
                && p.open_qty().is_some_and(|q| q > Decimal::ZERO)
                && !self.exit_unseen(&p).await?
            {
                active.push(p);
            }
        }
        if active.is_empty() {
            self.missing_since().clear();
            return Ok(report);
        }
        let held = self.broker.positions().await?;
        let short = shortfalls(active, &held);
        self.missing_since()
            .retain(|id, _| short.iter().any(|(p, _)| &p.id == id));
        if short.is_empty() {
            return Ok(report);
        }
        let oldest = short
            .iter()
            .map(|(p, _)| p.opened_at)
            .min()
            .unwrap_or_else(now);
        let after = oldest
            .checked_sub_signed(chrono::Duration::days(1))
            .unwrap_or(oldest);
        let activities = self.broker.activities(after).await?;
        let ours = self.own_order_ids(short.iter().map(|(p, _)| p)).await?;
        let mut ledger = Ledger::default();
        for (p, _) in &short {
            for (key, fill) in &p.exit_fills {
                if let Some(id) = key.strip_prefix("activity:") {
                    ledger.take(id, fill.qty);
                }
            }
        }
        // Options first: their deliveries may explain a stock position's shortfall.
        let (options, stocks): (Vec<_>, Vec<_>) = short
            .into_iter()
            .partition(|(p, _)| OccSymbol::looks_like(&p.symbol));
        let mut exercises = Vec::new();
        for (pos, missing) in options.into_iter().chain(stocks) {
            let id = pos.id.clone();
            let endings = self.endings(&pos, missing, &activities, &ours, &mut ledger, grace);
            let endings = match endings.await {
                Ok(Some(e)) => e,
                Ok(None) => {
                    report.waiting.push(id);
                    continue;
                }
                Err(e) => {
                    report.errors.push(format!("position {id}: {e}"));
                    continue;
                }
            };
            match self.apply_endings(pos, endings).await {
                Ok((ended, exercise)) => {
                    report.ended.push(ended);
                    exercises.extend(exercise);
                }
                Err(e) => {
                    let msg = format!("position {id}: {e}");
                    self.report_error(None, None, msg.clone()).await;
                    report.errors.push(msg);
                }
            }
        }
        for ex in exercises {
            match self.adopt_delivery(ex, &activities, &mut ledger).await {
                Ok(Some(id)) => report.delivered.push(id),
                Ok(None) => {}
                Err(e) => report.errors.push(format!("delivered shares: {e}")),
            }
        }
        Ok(report)
    }

    pub(crate) fn missing_since(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, DateTime<Utc>>> {
        self.missing_since.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `pos` has an exit of ours the broker has not shown yet (sent, its outcome unknown
    /// or its lookup lagging): its fill cannot be told from an outside one until it shows, so
    /// order tracking settles the position, never a pass here (which would count the fill
    /// twice once the exit is adopted).
    async fn exit_unseen(&self, pos: &TrackedPosition) -> Result<bool, ExecError> {
        let Some(cid) = &pos.exit_client_order_id else {
            return Ok(false);
        };
        Ok(self
            .store
            .execution(cid)
            .await?
            .is_some_and(|e| !e.state.is_terminal() && e.broker_order_id.is_none()))
    }

    /// The broker order ids of every order the engine placed for these positions.
    async fn own_order_ids<'a>(
        &self,
        positions: impl Iterator<Item = &'a TrackedPosition>,
    ) -> Result<HashSet<String>, ExecError> {
        let mut ids = HashSet::new();
        for p in positions {
            let mut cids: Vec<String> = vec![p.id.clone()];
            cids.extend(p.exit_client_order_id.iter().cloned());
            cids.extend(
                (1..=p.exit_attempts)
                    .map(|n| super::exit_client_order_id(&p.strategy, &p.signal_id, n)),
            );
            for cid in cids {
                if let Some(e) = self.store.execution(&cid).await?
                    && let Some(id) = e.broker_order_id
                {
                    ids.insert(id);
                }
            }
        }
        Ok(ids)
    }

    /// What took `missing` of `pos` away: activities, oldest first; or, when they do not cover
    /// it, an inference once the grace has passed. `None` while waiting for an explanation.
    async fn endings(
        &self,
        pos: &TrackedPosition,
        missing: Decimal,
        activities: &[BrokerActivity],
        ours: &HashSet<String>,
        ledger: &mut Ledger,
        grace: chrono::Duration,
    ) -> Result<Option<Vec<Ending>>, ExecError> {
        // Activities that take from this position move its quantity toward zero.
        let reduces = |a: &BrokerActivity| match pos.side {
            Side::Long => a.qty < Decimal::ZERO,
            Side::Short => a.qty > Decimal::ZERO,
        };
        let mut need = missing;
        let mut out = Vec::new();
        for a in activities {
            if need <= Decimal::ZERO {
                break;
            }
            let own_fill = a.kind == ActivityKind::Fill
                && a.order_id.as_ref().is_some_and(|o| ours.contains(o));
            if a.symbol != pos.symbol || !reduces(a) || own_fill {
                continue;
            }
            let take = ledger.available(a).min(need);
            if take <= Decimal::ZERO {
                continue;
            }
            ledger.take(&a.id, take);
            need -= take;
            out.push(Ending {
                key: format!("activity:{}", a.id),
                kind: a.kind,
                qty: take,
                price: a.price,
                net_amount: a.net_amount,
                activity_qty: a.qty,
                order_id: a.order_id.clone(),
                time: a.time,
                inferred: None,
            });
        }
        if need <= Decimal::ZERO {
            return Ok(Some(out));
        }
        let t = now();
        if let Some(occ) = OccSymbol::try_parse(&pos.symbol)
            && after_expiry(&occ, t)
        {
            // Gone after its last session with nothing listed yet: what Alpaca does at expiry.
            let kind = match (self.spot(&pos.underlying).await, pos.side) {
                (Some(s), Side::Long) if intrinsic(&occ, s) >= cent() => {
                    ActivityKind::OptionExercised
                }
                (Some(s), Side::Short) if intrinsic(&occ, s) >= cent() => {
                    ActivityKind::OptionAssigned
                }
                _ => ActivityKind::OptionExpired,
            };
            out.push(inferred(
                kind,
                need,
                t,
                "no activity listed yet; after expiry",
            ));
            return Ok(Some(out));
        }
        let since = *self.missing_since().entry(pos.id.clone()).or_insert(t);
        if t - since < grace {
            return Ok((!out.is_empty()).then_some(out));
        }
        let quote = self.broker.latest_price(&pos.symbol).await.ok();
        let price = quote.and_then(|q| match pos.side {
            Side::Long => q.exit_price_long(),
            Side::Short => q.ask.filter(|a| *a > Decimal::ZERO).or(q.price()),
        });
        let mut e = inferred(
            ActivityKind::Fill,
            need,
            t,
            "gone at the broker with no activity listed; priced at the latest quote",
        );
        e.price = price.or(pos.entry_price);
        out.push(e);
        Ok(Some(out))
    }

    /// The underlying's price now, if the broker has one.
    async fn spot(&self, underlying: &str) -> Option<Decimal> {
        self.broker.latest_price(underlying).await.ok()?.price()
    }

    /// Records `endings` against `pos`; returns what ended, and the exercise or assignment that
    /// may have delivered shares.
    async fn apply_endings(
        &self,
        mut pos: TrackedPosition,
        endings: Vec<Ending>,
    ) -> Result<(EndedPosition, Option<Exercise>), ExecError> {
        let was = pos.status;
        let working_exit = pos.exit_client_order_id.clone();
        let occ = OccSymbol::try_parse(&pos.symbol);
        let mut trades = Vec::new();
        let mut exercise = None;
        let mut reason = String::new();
        let mut rule = "external";
        let overflow = |pos: &TrackedPosition, what: &str| {
            ExecError::Invalid(format!("{}: the {what} overflows", pos.id))
        };
        for e in &endings {
            let before = pos
                .realized_pnl()
                .ok_or_else(|| overflow(&pos, "realised P&L"))?;
            let (price, spot) = self.ending_price(&pos, occ.as_ref(), e).await;
            (rule, reason) = describe(e, price, spot, &pos);
            let held = pos.exit_fills.get(&e.key).map_or(Decimal::ZERO, |f| f.qty);
            let qty = held.checked_add(e.qty).ok_or_else(|| {
                ExecError::Invalid(format!("{}: quantity {held} + {} overflows", pos.id, e.qty))
            })?;
            pos.exit_fills
                .insert(e.key.clone(), ExitFill { qty, price });
            let realized = pos
                .realized_pnl()
                .and_then(|after| after.checked_sub(before))
                .ok_or_else(|| overflow(&pos, "realised P&L"))?;
            if let Some(occ) = &occ
                && matches!(
                    e.kind,
                    ActivityKind::OptionExercised | ActivityKind::OptionAssigned
                )
                && !settled_in_cash(e)
            {
                exercise = Some(Exercise {
                    option: pos.clone(),
                    occ: occ.clone(),
                    time: e.time,
                    spot,
                });
            }
            trades.push(TradeRecord {
                id: format!("{}#{}", pos.id, e.key),
                time: now(),
                strategy: pos.strategy.clone(),
                symbol: pos.symbol.clone(),
                action: match e.kind {
                    ActivityKind::Fill if pos.side == Side::Long => "sell".to_owned(),
                    ActivityKind::Fill => "buy".to_owned(),
                    k => k.as_str().to_owned(),
                },
                qty: e.qty,
                price,
                // An option event has no order: the journal shows the activity's id.
                order_id: e.order_id.clone().unwrap_or_else(|| {
                    e.key.strip_prefix("activity:").unwrap_or(&e.key).to_owned()
                }),
                client_order_id: e.key.clone(),
                realized_pnl: Some(realized),
            });
        }
        let open = pos
            .open_qty()
            .ok_or_else(|| overflow(&pos, "open quantity"))?;
        let pnl = pos
            .realized_pnl()
            .ok_or_else(|| overflow(&pos, "realised P&L"))?;
        let closed = open.is_zero();
        if closed {
            pos.status = PositionStatus::Closed;
            pos.closed_at = Some(endings.last().map_or_else(now, |e| e.time.min(now())));
            pos.exit_reason = Some(reason.clone());
            pos.exit_rule = Some(rule.to_owned());
            pos.exit_client_order_id = None;
        }
        let mut writes = vec![StoreWrite::Position(&pos)];
        writes.extend(trades.iter().map(StoreWrite::Trade));
        let new_trades = self.store.write_batch(&writes).await?;
        if let Some(exercise) = &mut exercise {
            exercise.option = pos.clone();
        }
        let ended = EndedPosition {
            position: pos.id.clone(),
            symbol: pos.symbol.clone(),
            rule: rule.to_owned(),
            reason: reason.clone(),
            closed,
        };
        if new_trades.is_empty() {
            return Ok((ended, exercise));
        }
        tracing::warn!(position = %pos.id, %reason, "position ended outside the engine");
        self.event(
            EventKind::Exit,
            Some(&pos.strategy),
            Some(&pos.symbol),
            || {
                json!({ "position": pos.id, "rule": rule, "reason": reason, "outside_engine": true,
                    "trades": trades, "closed": closed })
            },
        )
        .await;
        let time = now();
        let alert = if closed {
            let qty = pos
                .exit_fills
                .values()
                .try_fold(Decimal::ZERO, |a, f| a.checked_add(f.qty))
                .unwrap_or(Decimal::MAX);
            Alert::Exit {
                strategy: pos.strategy.clone(),
                symbol: pos.symbol.clone(),
                qty,
                price: trades.last().map_or(Decimal::ZERO, |t| t.price),
                pnl,
                reason: reason.clone(),
                time,
            }
        } else {
            Alert::Notice {
                message: format!(
                    "{} {}: {} of the position ended outside the engine ({reason}); {} still held",
                    pos.strategy,
                    pos.symbol,
                    trades.iter().map(|t| t.qty).sum::<Decimal>(),
                    open
                ),
                time,
            }
        };
        deliver(self.alerter.as_ref(), &alert).await;
        if closed && was == PositionStatus::Closing {
            self.cancel_working_exit(working_exit.as_deref()).await;
        }
        Ok((ended, exercise))
    }

    /// The price of one ending, and the underlying's price used for it (exercises).
    async fn ending_price(
        &self,
        pos: &TrackedPosition,
        occ: Option<&OccSymbol>,
        e: &Ending,
    ) -> (Decimal, Option<Decimal>) {
        match e.kind {
            ActivityKind::OptionExpired => (Decimal::ZERO, None),
            ActivityKind::OptionExercised
            | ActivityKind::OptionAssigned
            | ActivityKind::OptionCashSettled => {
                let per_unit = e.activity_qty.abs().checked_mul(pos.multiplier);
                if let Some(cash) = e.net_amount.filter(|n| !n.is_zero())
                    && let Some(price) = per_unit.and_then(|u| cash.abs().checked_div(u))
                {
                    return (price, None);
                }
                let spot = self.spot(&pos.underlying).await;
                let value = match (occ, spot) {
                    (Some(o), Some(s)) => intrinsic(o, s),
                    _ => Decimal::ZERO,
                };
                (value, spot)
            }
            ActivityKind::Fill | ActivityKind::OptionDelivery => {
                (e.price.unwrap_or(Decimal::ZERO), None)
            }
        }
    }

    /// Best effort: the exit order of a position that ended anyway has nothing left to do.
    async fn cancel_working_exit(&self, cid: Option<&str>) {
        let Some(cid) = cid else { return };
        let order_id = match self.store.execution(cid).await {
            Ok(Some(e)) if !e.state.is_terminal() => e.broker_order_id,
            _ => None,
        };
        if let Some(id) = order_id
            && let Err(e) = match self.may_send("DELETE", "/v2/orders") {
                Ok(()) => self.broker.cancel_order(&id).await,
                Err(e) => Err(e),
            }
        {
            tracing::info!(order_id = %id, error = %e, "exit order of an ended position not cancelled");
        }
    }

    /// Opens a tracked position for the shares an exercise or assignment delivered (what of
    /// the delivery no other tracked position took). Returns its id when one was opened.
    async fn adopt_delivery(
        &self,
        ex: Exercise,
        activities: &[BrokerActivity],
        ledger: &mut Ledger,
    ) -> Result<Option<String>, ExecError> {
        let opt = &ex.option;
        // Shares the account receives: a long call or a short put.
        let receives = (ex.occ.option_type() == OptionType::Call) == (opt.side == Side::Long);
        let day = |t: DateTime<Utc>| t.with_timezone(&New_York).date_naive();
        let mut qty = Decimal::ZERO;
        for a in activities.iter().filter(|a| {
            a.kind == ActivityKind::OptionDelivery
                && a.symbol == opt.underlying
                && (a.qty > Decimal::ZERO) == receives
                && day(a.time) == day(ex.time)
        }) {
            let take = ledger.available(a);
            if take > Decimal::ZERO {
                ledger.take(&a.id, take);
                qty += take;
            }
        }
        let id = format!("{}-delivered", opt.id);
        if qty.is_zero() || self.store.position(&id).await?.is_some() {
            return Ok(None);
        }
        let entry = ex.spot.unwrap_or(ex.occ.strike());
        let cost = qty.checked_mul(entry).ok_or_else(|| {
            ExecError::Invalid(format!("{qty} delivered shares at {entry} overflow"))
        })?;
        let side = if receives { Side::Long } else { Side::Short };
        let pos = TrackedPosition {
            id: id.clone(),
            strategy: opt.strategy.clone(),
            underlying: opt.underlying.clone(),
            symbol: opt.underlying.clone(),
            signal_id: opt.signal_id.clone(),
            side,
            bias: if receives {
                Bias::Bullish
            } else {
                Bias::Bearish
            },
            planned_qty: qty,
            planned_cost: cost,
            entry_qty: qty,
            entry_price: Some(entry),
            exit_fills: BTreeMap::new(),
            multiplier: Decimal::ONE,
            stop: opt.stop,
            target: opt.target,
            expiration: None,
            trailing: TrailingState::new(),
            status: PositionStatus::Open,
            // Exits of this position are the next attempts of the option's signal, so their
            // client order ids never repeat the option's own exits.
            exit_attempts: opt.exit_attempts,
            exit_client_order_id: None,
            exit_reason: None,
            exit_rule: None,
            opened_at: ex.time,
            closed_at: None,
        };
        let trade = TradeRecord {
            id: format!("{id}#entry"),
            time: now(),
            strategy: pos.strategy.clone(),
            symbol: pos.symbol.clone(),
            action: if receives { "buy" } else { "sell" }.to_owned(),
            qty,
            price: entry,
            order_id: id.clone(),
            client_order_id: id.clone(),
            realized_pnl: None,
        };
        let new = self
            .store
            .write_batch(&[StoreWrite::Position(&pos), StoreWrite::Trade(&trade)])
            .await?;
        if !new.is_empty() {
            self.event(
                EventKind::Fill,
                Some(&pos.strategy),
                Some(&pos.symbol),
                || json!({ "position": id, "delivered_by": opt.id, "trade": trade }),
            )
            .await;
            let alert = Alert::Entry {
                strategy: pos.strategy.clone(),
                symbol: pos.symbol.clone(),
                qty,
                price: entry,
                time: trade.time,
            };
            deliver(self.alerter.as_ref(), &alert).await;
        }
        Ok(Some(id))
    }
}

fn cent() -> Decimal {
    Decimal::new(1, 2)
}

fn settled_in_cash(e: &Ending) -> bool {
    e.kind == ActivityKind::OptionCashSettled || e.net_amount.is_some_and(|n| !n.is_zero())
}

fn inferred(kind: ActivityKind, qty: Decimal, time: DateTime<Utc>, why: &'static str) -> Ending {
    Ending {
        key: format!("inferred:{}", kind.as_str()),
        kind,
        qty,
        price: None,
        net_amount: None,
        activity_qty: qty,
        order_id: None,
        time,
        inferred: Some(why),
    }
}

/// Whether `t` is after the contract's last session (16:00 New York on its expiration date).
fn after_expiry(occ: &OccSymbol, t: DateTime<Utc>) -> bool {
    let local = t.with_timezone(&New_York);
    let date = local.date_naive();
    date > occ.expiration()
        || (date == occ.expiration()
            && local.time() >= chrono::NaiveTime::from_hms_opt(16, 0, 0).unwrap_or_default())
}

/// The rule name and the reason text of one ending.
fn describe(
    e: &Ending,
    price: Decimal,
    spot: Option<Decimal>,
    pos: &TrackedPosition,
) -> (&'static str, String) {
    let (rule, mut text) = match e.kind {
        ActivityKind::OptionExpired => ("expired", "expired".to_owned()),
        ActivityKind::OptionExercised => ("exercised", "exercised".to_owned()),
        ActivityKind::OptionAssigned => ("assigned", "assigned".to_owned()),
        ActivityKind::OptionCashSettled => ("cash_settled", "cash_settled".to_owned()),
        ActivityKind::OptionDelivery => (
            "delivered",
            format!("delivered at {price} on an option exercise or assignment"),
        ),
        ActivityKind::Fill => (
            "external",
            format!(
                "closed outside the engine: {} {} at {price}{}",
                if pos.side == Side::Long {
                    "sold"
                } else {
                    "bought"
                },
                e.qty,
                e.order_id
                    .as_ref()
                    .map(|o| format!(" (order {o})"))
                    .unwrap_or_default()
            ),
        ),
    };
    if let Some(s) = spot {
        text.push_str(&format!(" (underlying at {s})"));
    }
    if let Some(why) = e.inferred {
        text.push_str(&format!(" ({why})"));
    }
    (rule, text)
}

/// For each symbol, how much of each tracked position (oldest first) the broker no longer
/// holds. Symbols held both long and short by different positions are left alone: the broker
/// nets them, so its figure cannot be split between them.
fn shortfalls(
    active: Vec<TrackedPosition>,
    held: &[BrokerPosition],
) -> Vec<(TrackedPosition, Decimal)> {
    let mut by_symbol: BTreeMap<String, Vec<TrackedPosition>> = BTreeMap::new();
    for p in active {
        by_symbol.entry(p.symbol.clone()).or_default().push(p);
    }
    let mut out = Vec::new();
    for (symbol, mut group) in by_symbol {
        // Every group holds at least the position that created it.
        let side = group[0].side;
        if group.iter().any(|p| p.side != side) {
            tracing::warn!(%symbol, "tracked long and short at once: not compared with the broker");
            continue;
        }
        let at_broker = held
            .iter()
            .filter(|h| h.symbol == symbol)
            .try_fold(Decimal::ZERO, |a, h| a.checked_add(h.qty));
        let tracked = group
            .iter()
            .try_fold(Decimal::ZERO, |a, p| a.checked_add(p.open_qty()?));
        let (Some(at_broker), Some(tracked)) = (at_broker, tracked) else {
            tracing::warn!(%symbol, "quantities overflow: not compared with the broker");
            continue;
        };
        let ours = match side {
            Side::Long => at_broker,
            Side::Short => -at_broker,
        }
        .max(Decimal::ZERO);
        let mut missing = tracked - ours;
        if missing <= Decimal::ZERO {
            continue;
        }
        // What was sold went first out of the oldest lots.
        group.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then_with(|| a.id.cmp(&b.id)));
        for p in group {
            if missing <= Decimal::ZERO {
                break;
            }
            // A position whose figures overflow is left to a human (it was alerted elsewhere).
            let Some(open) = p.open_qty() else {
                continue;
            };
            let take = open.min(missing);
            missing -= take;
            out.push((p, take));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::SignalId;

    fn pos(id: &str, symbol: &str, side: Side, qty: i64, opened_min: i64) -> TrackedPosition {
        TrackedPosition {
            id: id.into(),
            strategy: "s".into(),
            underlying: symbol.into(),
            symbol: symbol.into(),
            signal_id: SignalId::from_stored(id),
            side,
            bias: Bias::Bullish,
            planned_qty: qty.into(),
            planned_cost: Decimal::ZERO,
            entry_qty: qty.into(),
            entry_price: Some(Decimal::ONE),
            exit_fills: BTreeMap::new(),
            multiplier: Decimal::ONE,
            stop: None,
            target: None,
            expiration: None,
            trailing: TrailingState::new(),
            status: PositionStatus::Open,
            exit_attempts: 0,
            exit_client_order_id: None,
            exit_reason: None,
            exit_rule: None,
            opened_at: DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::minutes(opened_min),
            closed_at: None,
        }
    }

    fn held(symbol: &str, qty: i64) -> BrokerPosition {
        BrokerPosition {
            symbol: symbol.into(),
            qty: qty.into(),
            avg_entry_price: Decimal::ONE,
            market_value: None,
            current_price: None,
        }
    }

    fn short_of(
        active: Vec<TrackedPosition>,
        at_broker: &[BrokerPosition],
    ) -> Vec<(String, Decimal)> {
        shortfalls(active, at_broker)
            .into_iter()
            .map(|(p, q)| (p.id, q))
            .collect()
    }

    #[test]
    fn a_shortfall_is_taken_from_the_oldest_positions_first() {
        let a = pos("a", "AAPL", Side::Long, 10, 2);
        let b = pos("b", "AAPL", Side::Long, 10, 1);
        // 20 tracked, 5 held: 10 of the older b, 5 of a.
        assert_eq!(
            short_of(vec![a.clone(), b.clone()], &[held("AAPL", 5)]),
            [
                ("b".to_owned(), Decimal::from(10)),
                ("a".to_owned(), Decimal::from(5))
            ]
        );
        assert!(short_of(vec![a.clone(), b.clone()], &[held("AAPL", 20)]).is_empty());
        assert!(
            short_of(vec![a.clone()], &[held("AAPL", 25)]).is_empty(),
            "more at the broker than tracked is not a shortfall"
        );
        assert_eq!(
            short_of(vec![a], &[held("AAPL", -3)]),
            [("a".to_owned(), Decimal::from(10))],
            "held short against a tracked long: all of it is gone"
        );
    }

    #[test]
    fn shorts_compare_against_negative_holdings_and_mixed_sides_are_left_alone() {
        let s = pos("s", "X", Side::Short, 4, 0);
        assert_eq!(
            short_of(vec![s.clone()], &[held("X", -1)]),
            [("s".to_owned(), Decimal::from(3))]
        );
        let l = pos("l", "X", Side::Long, 4, 0);
        assert!(short_of(vec![s, l], &[]).is_empty());
    }

    #[test]
    fn an_option_is_after_expiry_from_its_last_close() {
        let occ: OccSymbol = "AAPL240315C00150000".parse().unwrap();
        let ny = |d, h, m| {
            chrono::TimeZone::with_ymd_and_hms(&New_York, 2024, 3, d, h, m, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert!(!after_expiry(&occ, ny(15, 15, 59)));
        assert!(after_expiry(&occ, ny(15, 16, 0)));
        assert!(after_expiry(&occ, ny(16, 9, 0)));
    }
}
