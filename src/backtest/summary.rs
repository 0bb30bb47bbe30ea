//! What happened to every signal and every position of a backtest, read back from its store:
//! per strategy, how many signals became orders and why the others did not; and the positions
//! still open when the data ended, at their last marks. The report shows both, so a strategy
//! that never completed a round trip is still visible, and final equity reconciles with the P&L
//! of the round trips.

use crate::broker::BrokerPosition;
use crate::risk::Side;
use crate::store::{ExecutionStore, Outcome, PositionStatus, StoreResult};
use crate::strategy::Signal;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// How often one skip reason occurred, with the first occurrence's words as an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipCount {
    /// Signals skipped for this reason.
    pub count: usize,
    /// The first one's reason in words (e.g. the size that came out too small and why).
    pub example: String,
}

/// One strategy's signals, from the strategy's output to the executor's decisions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignalFunnel {
    /// Signals the strategy produced (distinct signals, as the store keeps them).
    pub signals: usize,
    /// Of which entries.
    pub entries: usize,
    /// Of which exits.
    pub exits: usize,
    /// Signals that placed an order.
    pub executed: usize,
    /// Skipped signals by reason ([`SkipReason::name`](crate::store::SkipReason::name)).
    pub skipped: BTreeMap<String, SkipCount>,
    /// Queued for a next open that the data did not reach, or made after the last session.
    pub unsent: usize,
    /// Failed at the broker or the store.
    pub failed: usize,
    /// Submitted with an outcome still unknown.
    pub unresolved: usize,
}

impl SignalFunnel {
    /// Signals skipped for any reason.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().map(|s| s.count).sum()
    }
}

/// A position still open when the data ended.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenPosition {
    /// Strategy holding it.
    pub strategy: String,
    /// Symbol (OCC for options).
    pub symbol: String,
    /// Quantity still held (shares or contracts).
    pub qty: Decimal,
    /// When it was opened.
    pub entry_time: DateTime<Utc>,
    /// Average entry price.
    pub entry_price: Decimal,
    /// The last price (an option's model price), if the simulator had one.
    pub mark: Option<Decimal>,
    /// Unrealised P&L at the mark on the quantity still held, plus what partial exits realised.
    pub pnl: Option<Decimal>,
}

/// Counts every strategy's signals by outcome. `strategies` are listed even without a signal;
/// `unsent` are the signals the run held for a next open it never reached.
pub async fn signal_funnels(
    store: &dyn ExecutionStore,
    strategies: &[String],
    unsent: &[Signal],
) -> StoreResult<BTreeMap<String, SignalFunnel>> {
    let mut out: BTreeMap<String, SignalFunnel> = strategies
        .iter()
        .map(|s| (s.clone(), SignalFunnel::default()))
        .collect();
    for r in store.signals().await? {
        let f = out.entry(r.signal.strategy.clone()).or_default();
        count_signal(f, &r.signal);
        match &r.decision {
            None => f.unsent += 1,
            Some(d) => match d.outcome {
                Outcome::Executed => f.executed += 1,
                Outcome::Queued => f.unsent += 1,
                Outcome::Failed => f.failed += 1,
                Outcome::Unresolved => f.unresolved += 1,
                Outcome::Skipped => {
                    let (name, words) = match &d.skip {
                        Some(s) => (s.name().to_owned(), s.to_string()),
                        None => ("unspecified".to_owned(), d.detail.clone()),
                    };
                    f.skipped
                        .entry(name)
                        .and_modify(|c| c.count += 1)
                        .or_insert(SkipCount {
                            count: 1,
                            example: words,
                        });
                }
            },
        }
    }
    for s in unsent {
        let f = out.entry(s.strategy.clone()).or_default();
        count_signal(f, s);
        f.unsent += 1;
    }
    Ok(out)
}

fn count_signal(f: &mut SignalFunnel, s: &Signal) {
    f.signals += 1;
    if s.intent.is_entry() {
        f.entries += 1;
    } else {
        f.exits += 1;
    }
}

/// The store's positions that still hold quantity, marked at the broker's last prices.
pub async fn open_positions(
    store: &dyn ExecutionStore,
    held: &[BrokerPosition],
) -> StoreResult<Vec<OpenPosition>> {
    let mut out: Vec<OpenPosition> = store
        .positions(true)
        .await?
        .into_iter()
        .filter(|p| {
            p.status != PositionStatus::Closed && p.open_qty().is_some_and(|q| q > Decimal::ZERO)
        })
        .filter_map(|p| {
            let entry = p.entry_price?;
            let qty = p.open_qty()?;
            let mark = held
                .iter()
                .find(|h| h.symbol == p.symbol)
                .and_then(|h| h.current_price);
            let pnl = mark.and_then(|m| {
                let per_unit = match p.side {
                    Side::Long => m.checked_sub(entry)?,
                    Side::Short => entry.checked_sub(m)?,
                };
                per_unit
                    .checked_mul(qty)?
                    .checked_mul(p.multiplier)?
                    .checked_add(p.realized_pnl()?)
            });
            Some(OpenPosition {
                strategy: p.strategy,
                symbol: p.symbol,
                qty,
                entry_time: p.opened_at,
                entry_price: entry,
                mark,
                pnl,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.entry_time, &a.strategy, &a.symbol).cmp(&(b.entry_time, &b.strategy, &b.symbol))
    });
    Ok(out)
}
