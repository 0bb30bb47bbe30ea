//! The performance ledger: what each strategy's signals became, read back from the execution
//! store. It is the learning loop's memory: every signal, executed or not, with its reason, and
//! once the position it opened is closed, its realised P&L; per strategy, overall and per week,
//! the counts and the trade statistics that say whether the strategy is earning its keep.
//!
//! Everything here is a pure function of store records ([`SignalRecord`]s and
//! [`TrackedPosition`]s), so it works on any [`ExecutionStore`], live or after a backtest:
//!
//! ```no_run
//! # async fn show(store: &dyn alpaca_exec::store::ExecutionStore) -> Result<(), alpaca_exec::store::StoreError> {
//! use alpaca_exec::exec::ledger::Ledger;
//! let ledger = Ledger::load(store).await?;
//! for (name, s) in ledger.by_strategy() {
//!     println!("{name}: {} signals, {} round trips, expectancy {:?}",
//!         s.total.signals, s.total.trades.trades, s.total.expectancy);
//! }
//! # Ok(()) }
//! ```
//!
//! Conventions:
//! - a signal counts in the week (ISO week, New York date) it reached the executor; a round trip
//!   counts in the week it closed;
//! - realised P&L belongs to the *entry* signal whose position it closed (exit signals carry
//!   none), and is known once that position is closed;
//! - a signal recorded without a decision (execution off, waiting for `execute`) is *pending*;
//!   a queued one waits for the next open; failed and unresolved ones count as failed;
//! - expectancy is the mean P&L per round trip; max drawdown is the largest fall, in dollars, of
//!   the strategy's own equity: its cumulative realised P&L, round trip by round trip, from 0;
//! - figures read from a store are checked: a position whose P&L does not compute (an overflow)
//!   or is beyond [`MAX_TRADE_PNL`] is left out of the statistics and named in
//!   [`Ledger::anomalies`], never a panic.

use crate::backtest::metrics::{ClosedTrade, TradeStats, trade_stats};
use crate::options::select::new_york_date;
use crate::risk::Side;
use crate::store::{
    ExecutionStore, Outcome, PositionStatus, SignalRecord, StoreResult, TrackedPosition,
};
use crate::strategy::{Intent, SignalId};
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Largest realised P&L of one round trip the ledger accepts, in dollars (a quadrillion): far
/// beyond any real trade, and small enough that sums over any number of trades a process could
/// hold cannot overflow a `Decimal`.
pub const MAX_TRADE_PNL: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// An ISO week (Monday to Sunday), written `2024-W10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Week {
    /// The ISO week-numbering year (the year of the week's Thursday).
    pub year: i32,
    /// 1 to 53.
    pub week: u32,
}

impl Week {
    /// The week holding `date`.
    pub fn of(date: NaiveDate) -> Self {
        let w = date.iso_week();
        Self {
            year: w.year(),
            week: w.week(),
        }
    }

    /// The week holding the New York date of `time`.
    pub fn of_time(time: DateTime<Utc>) -> Self {
        Self::of(new_york_date(time))
    }

    /// The week's Monday (`None` only outside chrono's date range).
    pub fn monday(&self) -> Option<NaiveDate> {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
    }
}

impl fmt::Display for Week {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

impl Serialize for Week {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One signal as the ledger sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerEntry {
    /// The signal's id.
    pub signal_id: SignalId,
    /// The strategy.
    pub strategy: String,
    /// The (underlying) symbol.
    pub symbol: String,
    /// Enter long, enter short or exit.
    pub intent: Intent,
    /// When the executor (or the daemon, for a pending signal) recorded it.
    pub received_at: DateTime<Utc>,
    /// The executor's decision; `None` while pending.
    pub outcome: Option<Outcome>,
    /// Why it was skipped (the skip reason's short name), when it was.
    pub skip_reason: Option<String>,
    /// The decision's detail (the error, the size, the skip's particulars).
    pub detail: String,
    /// Realised P&L of the position it opened, once that position is closed.
    pub realized_pnl: Option<Decimal>,
    /// When that position closed.
    pub closed_at: Option<DateTime<Utc>>,
}

/// One strategy's figures over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LedgerStats {
    /// Signals recorded.
    pub signals: u32,
    /// Signals executed (an order reached the broker).
    pub executed: u32,
    /// Signals skipped, by reason (the skip reason's short name).
    pub skipped: BTreeMap<String, u32>,
    /// Signals queued for the next open.
    pub queued: u32,
    /// Signals that failed or whose order's outcome is unresolved.
    pub failed: u32,
    /// Signals recorded without a decision (execution off).
    pub pending: u32,
    /// Round trips closed, win rate, average win and loss, profit factor and net P&L.
    pub trades: TradeStats,
    /// Mean realised P&L per round trip; `None` without round trips.
    pub expectancy: Option<Decimal>,
    /// Largest fall of the cumulative realised P&L from its running peak (starting at 0), in
    /// dollars; zero if it never fell.
    pub max_drawdown: Decimal,
}

impl LedgerStats {
    /// Signals skipped, all reasons together.
    pub fn skipped_total(&self) -> u32 {
        self.skipped
            .values()
            .fold(0u32, |a, n| a.saturating_add(*n))
    }

    fn count(&mut self, e: &LedgerEntry) {
        let bump = |n: &mut u32| *n = n.saturating_add(1);
        bump(&mut self.signals);
        match e.outcome {
            Some(Outcome::Executed) => bump(&mut self.executed),
            Some(Outcome::Skipped) => bump(
                self.skipped
                    .entry(e.skip_reason.clone().unwrap_or_else(|| "other".into()))
                    .or_default(),
            ),
            Some(Outcome::Queued) => bump(&mut self.queued),
            Some(Outcome::Failed | Outcome::Unresolved) => bump(&mut self.failed),
            None => bump(&mut self.pending),
        }
    }

    fn trades_from(&mut self, trades: &[&ClosedTrade]) {
        self.trades = trade_stats(trades.iter().copied());
        self.expectancy = (self.trades.trades > 0)
            .then(|| self.trades.net_pnl / Decimal::from(self.trades.trades));
        self.max_drawdown = drawdown(trades.iter().map(|t| t.pnl));
    }
}

/// One strategy: all time, and week by week.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StrategyLedger {
    /// Everything in the store.
    pub total: LedgerStats,
    /// By ISO week (New York), oldest first.
    pub weeks: BTreeMap<Week, LedgerStats>,
}

/// Every signal and round trip of a store, ready to summarise.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    /// Every signal, oldest first.
    pub entries: Vec<LedgerEntry>,
    /// Round trips (closed positions that held something), in exit order.
    pub trades: Vec<ClosedTrade>,
    /// Records left out because their figures do not compute, in words.
    pub anomalies: Vec<String>,
}

impl Ledger {
    /// Reads the store's signals and positions.
    pub async fn load(store: &dyn ExecutionStore) -> StoreResult<Ledger> {
        let signals = store.signals().await?;
        let positions = store.positions(false).await?;
        Ok(Ledger::from_records(&signals, &positions))
    }

    /// The ledger of these records.
    pub fn from_records(signals: &[SignalRecord], positions: &[TrackedPosition]) -> Ledger {
        let mut anomalies = Vec::new();
        let mut trades = Vec::new();
        // Per opening signal: (realised P&L so far, closed time, whether every position of it
        // is done).
        let mut by_signal: HashMap<&SignalId, (Decimal, Option<DateTime<Utc>>, bool)> =
            HashMap::new();
        for p in positions {
            let done = matches!(
                p.status,
                PositionStatus::Closed | PositionStatus::NeverOpened
            );
            let slot = by_signal
                .entry(&p.signal_id)
                .or_insert((Decimal::ZERO, None, true));
            slot.2 &= done;
            match closed_trade(p) {
                Ok(Some(t)) => {
                    slot.0 = slot.0.checked_add(t.pnl).unwrap_or(slot.0);
                    slot.1 = slot.1.max(Some(t.exit_time));
                    trades.push(t);
                }
                Ok(None) => {}
                Err(e) => {
                    slot.2 = false; // its P&L is unknown
                    anomalies.push(e);
                }
            }
        }
        trades.sort_by(|a, b| {
            (a.exit_time, &a.strategy, &a.symbol).cmp(&(b.exit_time, &b.strategy, &b.symbol))
        });
        let mut entries: Vec<LedgerEntry> = signals
            .iter()
            .map(|r| {
                let closed = by_signal
                    .get(&r.id)
                    .filter(|(_, at, done)| *done && at.is_some());
                let decision = r.decision.as_ref();
                LedgerEntry {
                    signal_id: r.id.clone(),
                    strategy: r.signal.strategy.clone(),
                    symbol: r.signal.symbol.clone(),
                    intent: r.signal.intent,
                    received_at: r.received_at,
                    outcome: decision.map(|d| d.outcome),
                    skip_reason: decision
                        .and_then(|d| d.skip.as_ref())
                        .map(|s| s.name().to_owned()),
                    detail: decision.map(|d| d.detail.clone()).unwrap_or_default(),
                    realized_pnl: closed.map(|(pnl, _, _)| *pnl),
                    closed_at: closed.and_then(|(_, at, _)| *at),
                }
            })
            .collect();
        entries.sort_by(|a, b| (a.received_at, &a.signal_id).cmp(&(b.received_at, &b.signal_id)));
        Ledger {
            entries,
            trades,
            anomalies,
        }
    }

    /// Per strategy (by name): the figures over everything, and per week.
    pub fn by_strategy(&self) -> BTreeMap<String, StrategyLedger> {
        let mut out: BTreeMap<String, StrategyLedger> = BTreeMap::new();
        for e in &self.entries {
            let s = out.entry(e.strategy.clone()).or_default();
            s.total.count(e);
            s.weeks
                .entry(Week::of_time(e.received_at))
                .or_default()
                .count(e);
        }
        let mut trades: BTreeMap<&str, Vec<&ClosedTrade>> = BTreeMap::new();
        for t in &self.trades {
            trades.entry(&t.strategy).or_default().push(t);
        }
        for (name, ts) in trades {
            let s = out.entry(name.to_owned()).or_default();
            s.total.trades_from(&ts);
            let mut weeks: BTreeMap<Week, Vec<&ClosedTrade>> = BTreeMap::new();
            for t in ts {
                weeks.entry(Week::of_time(t.exit_time)).or_default().push(t);
            }
            for (w, wt) in weeks {
                s.weeks.entry(w).or_default().trades_from(&wt);
            }
        }
        out
    }
}

/// The largest fall of the running sum of `pnls` from its peak (the sum starts at 0).
fn drawdown(pnls: impl IntoIterator<Item = Decimal>) -> Decimal {
    let (mut equity, mut peak, mut worst) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for p in pnls {
        // Bounded by MAX_TRADE_PNL per trade, so these cannot overflow; saturate regardless.
        equity = equity.saturating_add(p);
        peak = peak.max(equity);
        worst = worst.max(peak.saturating_sub(equity));
    }
    worst
}

/// A closed position as a round trip: `Ok(None)` if it is not closed or never held anything,
/// `Err` (naming the position) if its figures from the store do not compute.
pub fn closed_trade(p: &TrackedPosition) -> Result<Option<ClosedTrade>, String> {
    if p.status != PositionStatus::Closed {
        return Ok(None);
    }
    let Some(entry) = p.entry_price else {
        return Ok(None);
    };
    if p.entry_qty <= Decimal::ZERO {
        return Ok(None);
    }
    let bad = |what: &str| format!("position {} ({} {}): {what}", p.id, p.strategy, p.symbol);
    let (mut qty, mut notional, mut pnl) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for f in p.exit_fills.values() {
        let per_unit = match p.side {
            Side::Long => f.price.checked_sub(entry),
            Side::Short => entry.checked_sub(f.price),
        };
        let fill_pnl = per_unit
            .and_then(|u| u.checked_mul(f.qty))
            .and_then(|u| u.checked_mul(p.multiplier));
        match (
            qty.checked_add(f.qty),
            f.price
                .checked_mul(f.qty)
                .and_then(|v| notional.checked_add(v)),
            fill_pnl.and_then(|v| pnl.checked_add(v)),
        ) {
            (Some(q), Some(n), Some(v)) => (qty, notional, pnl) = (q, n, v),
            _ => return Err(bad("its exit fills overflow")),
        }
    }
    if pnl.abs() > MAX_TRADE_PNL {
        return Err(bad(&format!("realised P&L {pnl} is beyond any real trade")));
    }
    let exit_price = if qty.is_zero() {
        entry
    } else {
        notional.checked_div(qty).ok_or_else(|| bad("exit price"))?
    };
    Ok(Some(ClosedTrade {
        strategy: p.strategy.clone(),
        symbol: p.symbol.clone(),
        qty: p.entry_qty,
        entry_time: p.opened_at,
        entry_price: entry,
        exit_time: p.closed_at.unwrap_or(p.opened_at),
        exit_price,
        pnl,
        exit_reason: p.exit_reason.clone().unwrap_or_default(),
        exit_rule: p.exit_rule.clone().unwrap_or_else(|| "other".into()),
    }))
}

#[cfg(test)]
mod tests;
