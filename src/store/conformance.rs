//! The conformance suite: the behaviour every [`ExecutionStore`] must have, as one generic
//! set of checks. The bundled stores (memory, JSON file, SQLite, PostgreSQL) all run it in this
//! crate's tests; run it on your own store the same way.
//!
//! Implement [`Harness`] (how to make a fresh store, and how to open one again as a restarted
//! process would), then call [`run`] from a test and assert the [`Report`] passed:
//!
//! ```
//! use alpaca_exec::store::MemoryStore;
//! use alpaca_exec::store::conformance::{self, Harness};
//!
//! struct Memory;
//!
//! #[async_trait::async_trait]
//! impl Harness for Memory {
//!     type Store = MemoryStore;
//!     async fn fresh(&mut self) -> MemoryStore {
//!         MemoryStore::new()
//!     }
//!     async fn reopen(&mut self, _store: MemoryStore) -> Option<MemoryStore> {
//!         None // nothing survives a restart
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let report = conformance::run(&mut Memory).await;
//! assert!(report.passed(), "{report}");
//! # }
//! ```
//!
//! The checks (each on a fresh store):
//! - **round trip**: one of every record (signal with its decision, execution with its state
//!   history, tracked position, trade, daily summary, strategy state) reads back equal,
//!   including 28-digit decimals, non-ASCII text and a NUL character; unknown keys read `None`;
//! - **idempotent upserts**: writing everything twice leaves what writing it once does; a
//!   trade written again is not new and keeps its first version;
//! - **open indexes**: `executions(true)` holds exactly the executions not in a terminal state
//!   and `positions(true)` the active positions, as records move in and out of them;
//! - **order**: executions and positions by key in byte order, signals and trades oldest
//!   first;
//! - **decision history**: a signal's latest decision replaces the earlier one, one record per
//!   signal; daily summaries are kept per date and strategy;
//! - **batches**: [`ExecutionStore::write_batch`] applies its records in order and names the
//!   trades that were new (none when repeated);
//! - **restart**: everything reads back the same from the store opened again;
//! - **reconcile**: an [`Executor`] over the simulated broker, restarted
//!   on the reopened store, resumes a pending order that never left (sent once), adopts one that
//!   was sent but not recorded (not sent again), tracks both to their fills, and recognises a
//!   repeated signal as already executed.

use super::records::{
    DailySummary, Decision, Execution, OrderSpec, Outcome, PositionStatus, Role, SignalRecord,
    SkipReason, StateChange, TrackedPosition, TradeRecord,
};
use super::{ExecutionStore, StoreWrite};
use crate::OrderSide;
use crate::backtest::session::SessionCalendar;
use crate::backtest::sim::{SimBroker, SimConfig};
use crate::broker::Broker;
use crate::data::Bar;
use crate::exec::{ExecState, Executor, ExecutorConfig, entry_client_order_id};
use crate::risk::{Bias, Side, TrailingState};
use crate::strategy::{Intent, Signal};
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// How the suite gets stores.
#[async_trait]
pub trait Harness: Send {
    /// The store under test.
    type Store: ExecutionStore + 'static;

    /// A new, empty store, different from every other this harness made.
    async fn fresh(&mut self) -> Self::Store;

    /// Closes `store` and opens the same store again, as a restarted process would; `None` when
    /// the store keeps nothing across a restart (then the restart checks are skipped).
    async fn reopen(&mut self, store: Self::Store) -> Option<Self::Store>;
}

/// What the suite found: one line per check.
#[derive(Debug, Default)]
pub struct Report {
    /// Checks that passed.
    pub passed: Vec<&'static str>,
    /// Checks skipped, with why.
    pub skipped: Vec<(&'static str, String)>,
    /// Checks that failed, with what was wrong.
    pub failed: Vec<(&'static str, String)>,
}

impl Report {
    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        self.failed.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed.len(),
            self.failed.len(),
            self.skipped.len()
        )?;
        for (name, why) in &self.failed {
            write!(f, "\n  FAILED {name}: {why}")?;
        }
        for (name, why) in &self.skipped {
            write!(f, "\n  skipped {name}: {why}")?;
        }
        Ok(())
    }
}

/// A failed check's explanation.
type Check = Result<(), String>;

/// `Err` with `what` and both sides when they differ.
fn same<T: PartialEq + fmt::Debug>(what: &str, got: T, want: T) -> Check {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

fn ok<T, E: fmt::Display>(what: &str, r: Result<T, E>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// Runs every check; see the [module docs](self).
pub async fn run<H: Harness>(h: &mut H) -> Report {
    let mut report = Report::default();
    let mut record = |name: &'static str, r: Result<bool, String>| match r {
        Ok(true) => report.passed.push(name),
        Ok(false) => report
            .skipped
            .push((name, "the store keeps nothing across a restart".into())),
        Err(e) => report.failed.push((name, e)),
    };
    record(
        "round trip",
        round_trip(&h.fresh().await).await.map(|()| true),
    );
    record(
        "idempotent upserts",
        idempotent(&h.fresh().await).await.map(|()| true),
    );
    record(
        "open indexes",
        open_indexes(&h.fresh().await).await.map(|()| true),
    );
    record("order", order(&h.fresh().await).await.map(|()| true));
    record(
        "decision history",
        decisions(&h.fresh().await).await.map(|()| true),
    );
    record("batches", batches(&h.fresh().await).await.map(|()| true));
    record("restart", restart(h).await);
    record("reconcile", reconcile(h).await);
    report
}

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 4, 15, 30, 0)
        .single()
        .unwrap_or_default()
        + Duration::minutes(minute)
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

/// The signal of record number `n`.
fn signal(n: i64) -> Signal {
    Signal::new("trend", "AAPL", Intent::EnterLong, dec("150.25"), at(n)).target(dec("160"))
}

fn signal_record(n: i64, outcome: Option<Outcome>) -> SignalRecord {
    let s = signal(n);
    SignalRecord {
        id: s.id(),
        received_at: at(n),
        decision: outcome.map(|outcome| Decision {
            signal_id: s.id(),
            outcome,
            skip: (outcome == Outcome::Skipped).then(|| SkipReason::Halted {
                change: dec("-0.025"),
                limit: dec("0.02"),
            }),
            detail: format!("decided {outcome:?}: Zürich \u{0} ✓"),
            client_order_id: None,
            retryable: outcome == Outcome::Queued,
            at: at(n),
        }),
        signal: s,
    }
}

fn execution(cid: &str, state: ExecState) -> Execution {
    Execution {
        client_order_id: cid.into(),
        signal_id: signal(0).id(),
        strategy: "trend".into(),
        underlying: "AAPL".into(),
        role: Role::Entry,
        position_id: cid.into(),
        order: OrderSpec {
            symbol: "AAPL".into(),
            side: OrderSide::Buy,
            qty: dec("66"),
            limit_price: Some(dec("150.0123456789012345678901")),
            position_intent: None,
        },
        state,
        broker_order_id: Some("order-1".into()),
        filled_qty: dec("30"),
        filled_avg_price: Some(dec("150.01")),
        error: Some("timeout: «no answer»".into()),
        created_at: at(0),
        updated_at: at(1),
        history: vec![
            StateChange {
                at: at(0),
                state: ExecState::Pending,
                filled_qty: Decimal::ZERO,
                note: "written before sending".into(),
            },
            StateChange {
                at: at(1),
                state,
                filled_qty: dec("30"),
                note: "polled: \u{0}\u{7f}".into(),
            },
        ],
    }
}

fn position(id: &str, status: PositionStatus) -> TrackedPosition {
    TrackedPosition {
        id: id.into(),
        strategy: "trend".into(),
        underlying: "AAPL".into(),
        symbol: "AAPL".into(),
        signal_id: signal(0).id(),
        side: Side::Long,
        bias: Bias::Bullish,
        planned_qty: dec("66"),
        planned_cost: dec("9900"),
        entry_qty: dec("30"),
        entry_price: Some(dec("150.01")),
        exit_fills: BTreeMap::new(),
        multiplier: Decimal::ONE,
        stop: Some(dec("145")),
        target: Some(dec("160")),
        expiration: NaiveDate::from_ymd_opt(2024, 3, 15),
        trailing: TrailingState::new(),
        status,
        exit_attempts: 0,
        exit_client_order_id: None,
        exit_reason: None,
        exit_rule: None,
        opened_at: at(0),
        closed_at: None,
    }
}

fn trade(id: &str, minute: i64) -> TradeRecord {
    TradeRecord {
        id: id.into(),
        time: at(minute),
        strategy: "trend".into(),
        symbol: "AAPL".into(),
        action: "buy".into(),
        qty: dec("30"),
        price: dec("150.01"),
        order_id: "order-1".into(),
        client_order_id: "trend-e".into(),
        realized_pnl: Some(dec("-0.0000000000000000000000000001")),
    }
}

fn summary(strategy: &str, day: u32) -> DailySummary {
    DailySummary {
        date: NaiveDate::from_ymd_opt(2024, 3, day).unwrap_or_default(),
        strategy: strategy.into(),
        signals: 3,
        executed: 1,
        skipped: 2,
        failed: 0,
        fills: 1,
        realized_pnl: dec("-12.5"),
    }
}

fn state() -> serde_json::Value {
    serde_json::json!({"ema": "150.2", "nested": {"list": [1, 2.5, null, "ü"]}, "flag": true})
}

async fn write_everything(s: &dyn ExecutionStore) -> Check {
    ok(
        "upsert_signal",
        s.upsert_signal(&signal_record(0, Some(Outcome::Skipped)))
            .await,
    )?;
    ok(
        "upsert_execution",
        s.upsert_execution(&execution("trend-e", ExecState::PartiallyFilled))
            .await,
    )?;
    ok(
        "upsert_position",
        s.upsert_position(&position("trend-e", PositionStatus::Open))
            .await,
    )?;
    ok(
        "upsert_trade",
        s.upsert_trade(&trade("trend-e#30", 1)).await,
    )?;
    ok(
        "upsert_daily_summary",
        s.upsert_daily_summary(&summary("trend", 4)).await,
    )?;
    ok(
        "put_strategy_state",
        s.put_strategy_state("trend", &state()).await,
    )
}

/// Everything [`write_everything`] wrote reads back equal.
async fn read_everything(s: &dyn ExecutionStore) -> Check {
    let rec = signal_record(0, Some(Outcome::Skipped));
    same(
        "signal",
        ok("signal", s.signal(&rec.id).await)?,
        Some(rec.clone()),
    )?;
    same("signals", ok("signals", s.signals().await)?, vec![rec])?;
    let e = execution("trend-e", ExecState::PartiallyFilled);
    same(
        "execution",
        ok("execution", s.execution("trend-e").await)?,
        Some(e.clone()),
    )?;
    same(
        "executions(false)",
        ok("executions", s.executions(false).await)?,
        vec![e],
    )?;
    let p = position("trend-e", PositionStatus::Open);
    same(
        "position",
        ok("position", s.position("trend-e").await)?,
        Some(p.clone()),
    )?;
    same(
        "positions(false)",
        ok("positions", s.positions(false).await)?,
        vec![p],
    )?;
    same(
        "trades",
        ok("trades", s.trades().await)?,
        vec![trade("trend-e#30", 1)],
    )?;
    same(
        "daily_summaries",
        ok(
            "daily_summaries",
            s.daily_summaries(summary("trend", 4).date).await,
        )?,
        vec![summary("trend", 4)],
    )?;
    same(
        "strategy_state",
        ok("strategy_state", s.strategy_state("trend").await)?,
        Some(state()),
    )
}

async fn round_trip(s: &dyn ExecutionStore) -> Check {
    write_everything(s).await?;
    read_everything(s).await?;
    same(
        "an unknown signal",
        ok("signal", s.signal(&signal(99).id()).await)?,
        None,
    )?;
    same(
        "an unknown execution",
        ok("execution", s.execution("nope").await)?,
        None,
    )?;
    same(
        "an unknown position",
        ok("position", s.position("nope").await)?,
        None,
    )?;
    same(
        "an unknown strategy's state",
        ok("state", s.strategy_state("other").await)?,
        None,
    )?;
    same(
        "another day's summaries",
        ok(
            "summaries",
            s.daily_summaries(summary("trend", 5).date).await,
        )?,
        vec![],
    )
}

async fn idempotent(s: &dyn ExecutionStore) -> Check {
    write_everything(s).await?;
    write_everything(s).await?;
    read_everything(s).await?;
    // Trade ids name a fill (order and cumulative quantity): the first version stays.
    let again = trade("trend-e#30", 7);
    same(
        "a trade written again is new",
        ok("upsert_trade", s.upsert_trade(&again).await)?,
        false,
    )?;
    same(
        "a trade written again replaced the first",
        ok("trades", s.trades().await)?,
        vec![trade("trend-e#30", 1)],
    )
}

async fn open_indexes(s: &dyn ExecutionStore) -> Check {
    let open = |states: &[ExecState]| -> Vec<String> {
        let mut v: Vec<String> = states
            .iter()
            .filter(|st| !st.is_terminal())
            .map(|st| format!("x-{}", st.as_str()))
            .collect();
        v.sort();
        v
    };
    use ExecState::*;
    let all = [
        Pending,
        Unconfirmed,
        NeedsAttention,
        New,
        PartiallyFilled,
        PendingCancel,
        Filled,
        Canceled,
        Expired,
        Rejected,
        Replaced,
        NotSent,
        Abandoned,
    ];
    for st in all {
        ok(
            "upsert_execution",
            s.upsert_execution(&execution(&format!("x-{}", st.as_str()), st))
                .await,
        )?;
    }
    let ids = |v: Vec<Execution>| v.into_iter().map(|e| e.client_order_id).collect::<Vec<_>>();
    same(
        "executions(true)",
        ids(ok("executions", s.executions(true).await)?),
        open(&all),
    )?;
    same(
        "every execution",
        ok("executions", s.executions(false).await)?.len(),
        all.len(),
    )?;
    // An open one ends, an ended one is written back as working (a store keeps what it is
    // told; the engine decides what is legal).
    ok(
        "upsert_execution",
        s.upsert_execution(&execution("x-pending", Filled)).await,
    )?;
    ok(
        "upsert_execution",
        s.upsert_execution(&execution("x-filled", PartiallyFilled))
            .await,
    )?;
    let mut want: Vec<String> = open(&all)
        .into_iter()
        .filter(|c| c != "x-pending")
        .chain(["x-filled".to_owned()])
        .collect();
    want.sort();
    same(
        "executions(true) after changes",
        ids(ok("executions", s.executions(true).await)?),
        want,
    )?;

    use PositionStatus::*;
    for (id, st) in [
        ("p-opening", Opening),
        ("p-open", Open),
        ("p-closing", Closing),
        ("p-closed", Closed),
        ("p-never", NeverOpened),
    ] {
        ok(
            "upsert_position",
            s.upsert_position(&position(id, st)).await,
        )?;
    }
    let pids = |v: Vec<TrackedPosition>| v.into_iter().map(|p| p.id).collect::<Vec<_>>();
    same(
        "positions(true)",
        pids(ok("positions", s.positions(true).await)?),
        vec!["p-closing".to_owned(), "p-open".into(), "p-opening".into()],
    )?;
    ok(
        "upsert_position",
        s.upsert_position(&position("p-open", Closed)).await,
    )?;
    ok(
        "upsert_position",
        s.upsert_position(&position("p-never", Open)).await,
    )?;
    same(
        "positions(true) after changes",
        pids(ok("positions", s.positions(true).await)?),
        vec!["p-closing".to_owned(), "p-never".into(), "p-opening".into()],
    )?;
    same(
        "every position",
        ok("positions", s.positions(false).await)?.len(),
        5,
    )
}

async fn order(s: &dyn ExecutionStore) -> Check {
    // Byte order: digits, then upper case, then lower case, then non-ASCII.
    let keys = ["b", "A", "é", "a", "B", "1", "a1", "a-"];
    for k in keys {
        ok(
            "upsert_execution",
            s.upsert_execution(&execution(k, ExecState::New)).await,
        )?;
        ok(
            "upsert_position",
            s.upsert_position(&position(k, PositionStatus::Open)).await,
        )?;
    }
    let mut want: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    want.sort();
    let got: Vec<String> = ok("executions", s.executions(false).await)?
        .into_iter()
        .map(|e| e.client_order_id)
        .collect();
    same("executions in key order", got, want.clone())?;
    let got: Vec<String> = ok("positions", s.positions(true).await)?
        .into_iter()
        .map(|p| p.id)
        .collect();
    same("positions in key order", got, want)?;
    // Written newest first; listed oldest first.
    for n in [5, 3, 9, 1] {
        ok(
            "upsert_signal",
            s.upsert_signal(&signal_record(n, None)).await,
        )?;
        ok(
            "upsert_trade",
            s.upsert_trade(&trade(&format!("t{n}"), n)).await,
        )?;
    }
    let got: Vec<DateTime<Utc>> = ok("signals", s.signals().await)?
        .into_iter()
        .map(|r| r.received_at)
        .collect();
    same("signals oldest first", got, [1, 3, 5, 9].map(at).to_vec())?;
    let got: Vec<String> = ok("trades", s.trades().await)?
        .into_iter()
        .map(|t| t.id)
        .collect();
    same(
        "trades oldest first",
        got,
        vec!["t1".to_owned(), "t3".into(), "t5".into(), "t9".into()],
    )
}

async fn decisions(s: &dyn ExecutionStore) -> Check {
    let undecided = signal_record(0, None);
    ok("upsert_signal", s.upsert_signal(&undecided).await)?;
    same(
        "an undecided signal",
        ok("signal", s.signal(&undecided.id).await)?,
        Some(undecided.clone()),
    )?;
    for outcome in [Outcome::Queued, Outcome::Failed, Outcome::Executed] {
        ok(
            "upsert_signal",
            s.upsert_signal(&signal_record(0, Some(outcome))).await,
        )?;
    }
    let latest = signal_record(0, Some(Outcome::Executed));
    same(
        "the latest decision",
        ok("signal", s.signal(&latest.id).await)?,
        Some(latest.clone()),
    )?;
    let other = signal_record(2, Some(Outcome::Skipped));
    ok("upsert_signal", s.upsert_signal(&other).await)?;
    same(
        "one record per signal",
        ok("signals", s.signals().await)?,
        vec![latest, other],
    )?;
    for (strategy, day) in [("trend", 4), ("swing", 4), ("trend", 5)] {
        ok(
            "upsert_daily_summary",
            s.upsert_daily_summary(&summary(strategy, day)).await,
        )?;
    }
    let mut changed = summary("trend", 4);
    changed.fills = 9;
    ok(
        "upsert_daily_summary",
        s.upsert_daily_summary(&changed).await,
    )?;
    same(
        "summaries of a day, by strategy",
        ok("daily_summaries", s.daily_summaries(changed.date).await)?,
        vec![summary("swing", 4), changed],
    )?;
    same(
        "summaries of the next day",
        ok(
            "daily_summaries",
            s.daily_summaries(summary("trend", 5).date).await,
        )?,
        vec![summary("trend", 5)],
    )?;
    ok(
        "put_strategy_state",
        s.put_strategy_state("trend", &serde_json::json!(1)).await,
    )?;
    same(
        "the latest strategy state",
        ok("strategy_state", s.strategy_state("trend").await)?,
        Some(serde_json::json!(1)),
    )
}

async fn batches(s: &dyn ExecutionStore) -> Check {
    let rec = signal_record(0, Some(Outcome::Executed));
    let pending = execution("b-e", ExecState::Pending);
    let filled = execution("b-e", ExecState::Filled);
    let pos = position("b-e", PositionStatus::Open);
    let (t1, t2) = (trade("b-e#10", 1), trade("b-e#30", 2));
    let writes = [
        StoreWrite::Signal(&rec),
        StoreWrite::Execution(&pending),
        StoreWrite::Position(&pos),
        StoreWrite::Trade(&t1),
        StoreWrite::Trade(&t2),
        StoreWrite::Execution(&filled),
    ];
    same(
        "new trades of a batch",
        ok("write_batch", s.write_batch(&writes).await)?,
        vec![t1.id.clone(), t2.id.clone()],
    )?;
    same(
        "new trades of the batch repeated",
        ok("write_batch", s.write_batch(&writes).await)?,
        Vec::<String>::new(),
    )?;
    same(
        "the batch's last write of an execution",
        ok("execution", s.execution("b-e").await)?,
        Some(filled),
    )?;
    same(
        "the batch's position",
        ok("position", s.position("b-e").await)?,
        Some(pos),
    )?;
    same(
        "the batch's signal",
        ok("signal", s.signal(&rec.id).await)?,
        Some(rec),
    )?;
    same(
        "the batch's trades",
        ok("trades", s.trades().await)?,
        vec![t1, t2],
    )?;
    same(
        "an empty batch",
        ok("write_batch", s.write_batch(&[]).await)?,
        Vec::<String>::new(),
    )
}

async fn restart<H: Harness>(h: &mut H) -> Result<bool, String> {
    let s = h.fresh().await;
    write_everything(&s).await?;
    let Some(s) = h.reopen(s).await else {
        return Ok(false);
    };
    read_everything(&s).await?;
    // Written after a restart, read after another.
    ok("upsert_trade", s.upsert_trade(&trade("after", 2)).await)?;
    let Some(s) = h.reopen(s).await else {
        return Err("reopened once, not twice".into());
    };
    same(
        "trades after two restarts",
        ok("trades", s.trades().await)?.len(),
        2,
    )?;
    Ok(true)
}

/// March 2024, the week of the 4th: the simulated broker's sessions.
fn sim_broker() -> Arc<SimBroker> {
    let days = (4..=8).map(|d| {
        chrono_tz::America::New_York
            .with_ymd_and_hms(2024, 3, d, 0, 0, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    });
    Arc::new(SimBroker::new(
        SimConfig::default(),
        SessionCalendar::from_times(days),
    ))
}

/// A minute bar of AAPL at `price`, `minutes` after Monday's open.
fn minute_bar(minutes: i64, price: &str) -> Bar {
    let open = Utc
        .with_ymd_and_hms(2024, 3, 4, 14, 30, 0)
        .single()
        .unwrap_or_default();
    let p = dec(price);
    Bar::new(open + Duration::minutes(minutes), p, p, p, p, dec("1000"))
}

/// Moves the simulated broker to `minutes` after the open and feeds it that minute's bar.
fn tick(sim: &SimBroker, minutes: i64, price: &str) {
    let bar = minute_bar(minutes, price);
    sim.set_now(bar.timestamp);
    sim.on_bar("AAPL", &bar);
    sim.set_now(bar.timestamp + Duration::minutes(1));
}

async fn reconcile<H: Harness>(h: &mut H) -> Result<bool, String> {
    let sim = sim_broker();
    tick(&sim, 0, "150");
    let store = Arc::new(h.fresh().await);
    let config = ExecutorConfig {
        signal_filter: None,
        ..ExecutorConfig::new()
    };
    let placed_signal = Signal::new(
        "trend",
        "AAPL",
        Intent::EnterLong,
        dec("150"),
        minute_bar(0, "150").timestamp,
    );
    let lost = Signal::new(
        "swing",
        "AAPL",
        Intent::EnterLong,
        dec("150"),
        minute_bar(0, "150").timestamp,
    );
    let never_sent = Signal::new(
        "opt",
        "AAPL",
        Intent::EnterLong,
        dec("150"),
        minute_bar(0, "150").timestamp,
    );
    {
        let shared: Arc<dyn ExecutionStore> = store.clone();
        let exec = Executor::new(sim.clone(), shared, config.clone());
        let d = exec.execute(std::slice::from_ref(&placed_signal)).await;
        same(
            "the first signal's outcome",
            d.first().map(|d| d.outcome),
            Some(Outcome::Executed),
        )?;
        // Two orders the process wrote before it died: one sent and accepted whose answer was
        // lost, one that never left. Both as the executor writes them: pending, with their
        // position opening.
        for (s, sent) in [(&lost, true), (&never_sent, false)] {
            let cid = entry_client_order_id(&s.strategy, &s.id());
            let mut pos = position(&cid, PositionStatus::Opening);
            pos.strategy.clone_from(&s.strategy);
            pos.signal_id = s.id();
            pos.entry_qty = Decimal::ZERO;
            pos.entry_price = None;
            let mut e = execution(&cid, ExecState::Pending);
            e.strategy.clone_from(&s.strategy);
            e.signal_id = s.id();
            e.order.qty = dec("10");
            e.order.limit_price = None;
            e.broker_order_id = None;
            e.filled_qty = Decimal::ZERO;
            e.filled_avg_price = None;
            e.error = None;
            e.created_at = Utc::now();
            e.updated_at = e.created_at;
            e.history.truncate(1);
            ok(
                "write_batch",
                store
                    .write_batch(&[StoreWrite::Position(&pos), StoreWrite::Execution(&e)])
                    .await,
            )?;
            if sent {
                let request = ok("order", e.order.to_request(&cid))?;
                ok("submit", sim.submit_order(&request).await)?;
            }
        }
    }
    // The process is gone; a new one opens the store.
    let Ok(store) = Arc::try_unwrap(store) else {
        return Err("the executor kept the store after it was dropped".into());
    };
    let Some(store) = h.reopen(store).await else {
        return Ok(false);
    };
    let store: Arc<dyn ExecutionStore> = Arc::new(store);
    let exec = Executor::new(sim.clone(), store.clone(), config);
    let report = ok("reconcile", exec.reconcile().await)?;
    let cid = |s: &Signal| entry_client_order_id(&s.strategy, &s.id());
    same(
        "adopted on restart",
        report.adopted.clone(),
        vec![cid(&lost)],
    )?;
    same(
        "sent on restart",
        report.resent.clone(),
        vec![cid(&never_sent)],
    )?;
    tick(&sim, 1, "151");
    ok("poll_orders", exec.poll_orders().await)?;
    let d = exec.execute(std::slice::from_ref(&placed_signal)).await;
    same(
        "the repeated signal",
        d.first().and_then(|d| d.skip.clone()),
        Some(SkipReason::Duplicate),
    )?;
    // The simulated broker refuses a reused client order id, so each signal has at most one
    // order; each filled once.
    let mut filled: BTreeMap<String, usize> = BTreeMap::new();
    for f in sim.fills() {
        *filled.entry(f.order_id).or_default() += 1;
    }
    let mut want: BTreeMap<String, usize> = BTreeMap::new();
    for s in [&placed_signal, &lost, &never_sent] {
        let o = ok("order", sim.order_by_client_order_id(&cid(s)).await)?;
        want.insert(o.id, 1);
    }
    same("fills per signal's order", filled, want)?;
    for s in [&placed_signal, &lost, &never_sent] {
        let e = ok("execution", store.execution(&cid(s)).await)?
            .ok_or_else(|| format!("{}: execution lost", cid(s)))?;
        same(&format!("{} state", cid(s)), e.state, ExecState::Filled)?;
        let p = ok("position", store.position(&cid(s)).await)?
            .ok_or_else(|| format!("{}: position lost", cid(s)))?;
        same(
            &format!("{} position", cid(s)),
            p.status,
            PositionStatus::Open,
        )?;
    }
    same(
        "fills recorded as trades",
        ok("trades", store.trades().await)?.len(),
        sim.fills().len(),
    )?;
    Ok(true)
}
