//! Persistence: round trips through all three stores, idempotent upserts, and corrupted files
//! reported without being overwritten.

use crate::support::aapl_long;
use alpaca_exec::OrderSide;
use alpaca_exec::exec::ExecState;
use alpaca_exec::risk::{Bias, Side, TrailingState};
use alpaca_exec::store::{
    DailySummary, Decision, Execution, ExecutionStore, JsonFileStore, MemoryStore, OrderSpec,
    Outcome, PositionStatus, Role, SignalRecord, SkipReason, SqliteStore, StateChange, StoreError,
    TrackedPosition, TradeRecord,
};
use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal_macros::dec;
use serde_json::json;
use std::collections::BTreeMap;

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 4, 15, 30, 0).unwrap()
}

fn signal_record() -> SignalRecord {
    let s = aapl_long();
    SignalRecord {
        id: s.id(),
        received_at: at(),
        decision: Some(Decision {
            signal_id: s.id(),
            outcome: Outcome::Skipped,
            skip: Some(SkipReason::Halted {
                change: dec!(-0.025),
                limit: dec!(0.02),
            }),
            detail: "halted".into(),
            client_order_id: None,
            retryable: false,
            at: at(),
        }),
        signal: s,
    }
}

fn execution() -> Execution {
    Execution {
        client_order_id: "trend-abc-e".into(),
        signal_id: aapl_long().id(),
        strategy: "trend".into(),
        underlying: "AAPL".into(),
        role: Role::Entry,
        position_id: "trend-abc-e".into(),
        order: OrderSpec {
            symbol: "AAPL".into(),
            side: OrderSide::Buy,
            qty: dec!(66),
            limit_price: Some(dec!(150.0123456789012345678901)),
            position_intent: None,
        },
        state: ExecState::PartiallyFilled,
        broker_order_id: Some("order-1".into()),
        filled_qty: dec!(30),
        filled_avg_price: Some(dec!(150.01)),
        error: None,
        created_at: at(),
        updated_at: at(),
        history: vec![
            StateChange {
                at: at(),
                state: ExecState::Pending,
                filled_qty: dec!(0),
                note: "written".into(),
            },
            StateChange {
                at: at(),
                state: ExecState::PartiallyFilled,
                filled_qty: dec!(30),
                note: "polled".into(),
            },
        ],
    }
}

pub fn position() -> TrackedPosition {
    TrackedPosition {
        id: "trend-abc-e".into(),
        strategy: "trend".into(),
        underlying: "AAPL".into(),
        symbol: "AAPL".into(),
        signal_id: aapl_long().id(),
        side: Side::Long,
        bias: Bias::Bullish,
        planned_qty: dec!(66),
        planned_cost: dec!(9900),
        entry_qty: dec!(30),
        entry_price: Some(dec!(150.01)),
        exit_fills: BTreeMap::new(),
        multiplier: dec!(1),
        stop: Some(dec!(145)),
        target: Some(dec!(160)),
        expiration: None,
        trailing: TrailingState::new(),
        status: PositionStatus::Open,
        exit_attempts: 0,
        exit_client_order_id: None,
        exit_reason: None,
        exit_rule: None,
        opened_at: at(),
        closed_at: None,
    }
}

fn trade() -> TradeRecord {
    TradeRecord {
        id: "trend-abc-e#30".into(),
        time: at(),
        strategy: "trend".into(),
        symbol: "AAPL".into(),
        action: "buy".into(),
        qty: dec!(30),
        price: dec!(150.01),
        order_id: "order-1".into(),
        client_order_id: "trend-abc-e".into(),
        realized_pnl: None,
    }
}

fn summary() -> DailySummary {
    DailySummary {
        date: NaiveDate::from_ymd_opt(2024, 3, 4).unwrap(),
        strategy: "trend".into(),
        signals: 3,
        executed: 1,
        skipped: 2,
        failed: 0,
        fills: 1,
        realized_pnl: dec!(-12.5),
    }
}

/// Writes one of everything, twice (idempotence), and checks what reads back.
async fn write_all(s: &dyn ExecutionStore) {
    for _ in 0..2 {
        s.upsert_signal(&signal_record()).await.unwrap();
        s.upsert_execution(&execution()).await.unwrap();
        s.upsert_position(&position()).await.unwrap();
        s.upsert_daily_summary(&summary()).await.unwrap();
        s.put_strategy_state("trend", &json!({"ema": "150.2"}))
            .await
            .unwrap();
    }
    assert!(
        s.upsert_trade(&trade()).await.unwrap(),
        "first write is new"
    );
    assert!(!s.upsert_trade(&trade()).await.unwrap(), "second is not");
}

async fn check_all(s: &dyn ExecutionStore) {
    let rec = signal_record();
    assert_eq!(s.signal(&rec.id).await.unwrap(), Some(rec.clone()));
    assert_eq!(s.signals().await.unwrap(), vec![rec]);
    assert_eq!(s.execution("trend-abc-e").await.unwrap(), Some(execution()));
    assert_eq!(s.executions(true).await.unwrap(), vec![execution()]);
    assert_eq!(s.position("trend-abc-e").await.unwrap(), Some(position()));
    assert_eq!(s.positions(true).await.unwrap(), vec![position()]);
    assert_eq!(s.trades().await.unwrap(), vec![trade()]);
    assert_eq!(
        s.daily_summaries(summary().date).await.unwrap(),
        vec![summary()]
    );
    assert_eq!(
        s.strategy_state("trend").await.unwrap(),
        Some(json!({"ema": "150.2"}))
    );
    assert_eq!(s.strategy_state("other").await.unwrap(), None);
    assert_eq!(s.execution("nope").await.unwrap(), None);

    // Terminal executions and closed positions drop out of the "open" listings.
    let mut done = execution();
    done.state = ExecState::Filled;
    s.upsert_execution(&done).await.unwrap();
    assert!(s.executions(true).await.unwrap().is_empty());
    assert_eq!(s.executions(false).await.unwrap().len(), 1);
    let mut closed = position();
    closed.status = PositionStatus::Closed;
    s.upsert_position(&closed).await.unwrap();
    assert!(s.positions(true).await.unwrap().is_empty());
    assert_eq!(s.positions(false).await.unwrap(), vec![closed]);
}

#[tokio::test]
async fn memory_store_round_trip() {
    let s = MemoryStore::new();
    write_all(&s).await;
    check_all(&s).await;
}

#[tokio::test]
async fn json_store_round_trip_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.json");
    write_all(&JsonFileStore::open(&path).unwrap()).await;
    check_all(&JsonFileStore::open(&path).unwrap()).await;
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec!["store.json"], "no temp files left behind");
}

#[tokio::test]
async fn sqlite_store_round_trip_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    write_all(&SqliteStore::open(&path).unwrap()).await;
    check_all(&SqliteStore::open(&path).unwrap()).await;
}

#[tokio::test]
async fn corrupted_json_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.json");
    let garbage = b"{\"version\": 1, \"signals\": {\"x\": tru";
    std::fs::write(&path, garbage).unwrap();
    let e = JsonFileStore::open(&path).unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("store.json") && msg.contains("line 1"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[tokio::test]
async fn corrupted_sqlite_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("left untouched"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
    assert!(!dir.path().join("store.db-wal").exists());
}

#[tokio::test]
async fn json_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.json");
    std::fs::write(&path, br#"{"version": 99}"#).unwrap();
    let e = JsonFileStore::open(&path).unwrap_err();
    assert!(
        matches!(e, StoreError::SchemaTooNew { found: 99, .. }),
        "{e}"
    );
}
