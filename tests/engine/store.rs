//! Persistence: round trips through all three stores, idempotent upserts, corrupted, empty or
//! partial files reported without being overwritten, explicit creation, and one opener per
//! store (in this process or another).

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
use std::path::Path;

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
    write_all(&JsonFileStore::create(&path).unwrap()).await;
    check_all(&JsonFileStore::open(&path).unwrap()).await;
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "the store and its lock, no temp files: {leftovers:?}"
    );
    assert!(leftovers.iter().any(|f| f == "store.json.lock"));
}

#[tokio::test]
async fn sqlite_store_round_trip_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    write_all(&SqliteStore::create(&path).unwrap()).await;
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

/// Opens the file with each way a store can be opened on an existing file.
fn every_open(path: &Path) -> Vec<(&'static str, StoreError)> {
    let sqlite = path.extension().is_some_and(|e| e == "db");
    let mut out = Vec::new();
    if sqlite {
        out.push(("open", SqliteStore::open(path).unwrap_err()));
        out.push((
            "open_or_create",
            SqliteStore::open_or_create(path).unwrap_err(),
        ));
        out.push(("create", SqliteStore::create(path).unwrap_err()));
    } else {
        out.push(("open", JsonFileStore::open(path).unwrap_err()));
        out.push((
            "open_or_create",
            JsonFileStore::open_or_create(path).unwrap_err(),
        ));
        out.push(("create", JsonFileStore::create(path).unwrap_err()));
    }
    out
}

/// Every way of opening `contents` is refused (corrupt, or already there for `create`), and
/// the file is left exactly as it was.
fn refused_untouched(name: &str, contents: &[u8], why: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    for (how, e) in every_open(&path) {
        let msg = e.to_string();
        match how {
            "create" => assert!(
                matches!(e, StoreError::AlreadyExists { .. }),
                "{how}: {msg}"
            ),
            _ => {
                assert!(matches!(e, StoreError::Corrupt { .. }), "{how}: {msg}");
                assert!(msg.contains(why), "{how}: {msg}");
            }
        }
        assert_eq!(
            std::fs::read(&path).unwrap(),
            contents,
            "{how} touched the file"
        );
    }
    assert!(!dir.path().join(format!("{name}-wal")).exists());
}

#[test]
fn a_zero_byte_sqlite_file_is_refused_not_opened_as_an_empty_store() {
    refused_untouched("store.db", b"", "empty");
}

#[test]
fn a_sqlite_database_without_the_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE notes (text TEXT);").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let e = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(e, StoreError::Corrupt { .. }) && e.to_string().contains("schema"),
        "{e}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn json_documents_that_are_not_whole_stores_are_refused() {
    refused_untouched("store.json", b"", "empty");
    refused_untouched("store.json", b"{}", "missing field `version`");
    refused_untouched("store.json", b"[]", "not a JSON object");
    refused_untouched("store.json", b"  null ", "not a JSON object");
    refused_untouched(
        "store.json",
        br#"{"version": 1, "signals": {}}"#,
        "missing field",
    );
    // A whole store but for its executions table.
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.json");
    drop(JsonFileStore::create(&whole).unwrap());
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&whole).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("executions");
    refused_untouched(
        "store.json",
        serde_json::to_string(&doc).unwrap().as_bytes(),
        "missing field `executions`",
    );
    doc["executions"] = json!({});
    doc["version"] = json!(0);
    refused_untouched(
        "store.json",
        serde_json::to_string(&doc).unwrap().as_bytes(),
        "version 0",
    );
}

#[tokio::test]
async fn opening_a_store_that_does_not_exist_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["store.db", "store.json"] {
        let path = dir.path().join(name);
        let e = if name.ends_with("db") {
            SqliteStore::open(&path).unwrap_err()
        } else {
            JsonFileStore::open(&path).unwrap_err()
        };
        assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
        assert!(e.to_string().contains("create"), "{e}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn open_or_create_creates_only_when_there_is_no_file_then_opens_what_it_made() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let json_path = dir.path().join("store.json");
    {
        let s = SqliteStore::open_or_create(&db).unwrap();
        s.upsert_position(&position()).await.unwrap();
        let j = JsonFileStore::open_or_create(&json_path).unwrap();
        j.upsert_position(&position()).await.unwrap();
    }
    let s = SqliteStore::open_or_create(&db).unwrap();
    assert_eq!(s.positions(false).await.unwrap(), vec![position()]);
    let j = JsonFileStore::open_or_create(&json_path).unwrap();
    assert_eq!(j.positions(false).await.unwrap(), vec![position()]);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("creating") || n.contains(".tmp"))
        .collect();
    assert!(names.is_empty(), "no half-made stores left: {names:?}");
}

#[tokio::test]
async fn a_second_store_on_the_same_file_is_refused_with_who_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let json_path = dir.path().join("store.json");
    let first_db = SqliteStore::create(&db).unwrap();
    let first_json = JsonFileStore::create(&json_path).unwrap();
    let me = format!("pid {}", std::process::id());
    for e in [
        SqliteStore::open(&db).unwrap_err(),
        SqliteStore::open_or_create(&db).unwrap_err(),
        SqliteStore::remove(&db).unwrap_err(),
        JsonFileStore::open(&json_path).unwrap_err(),
        JsonFileStore::open_or_create(&json_path).unwrap_err(),
    ] {
        let msg = e.to_string();
        assert!(matches!(e, StoreError::Locked { .. }), "{msg}");
        assert!(msg.contains(&me) && msg.contains("since"), "{msg}");
    }
    // A reader may open the SQLite store beside its writer (a report while the daemon runs),
    // sees what it wrote, and cannot write.
    first_db.upsert_position(&position()).await.unwrap();
    let reader = SqliteStore::open_read_only(&db).unwrap();
    assert_eq!(reader.positions(false).await.unwrap(), vec![position()]);
    let e = reader.upsert_trade(&trade()).await.unwrap_err();
    assert!(matches!(e, StoreError::Backend(_)), "{e}");
    assert!(matches!(
        SqliteStore::open_read_only(dir.path().join("none.db")).unwrap_err(),
        StoreError::NotFound { .. }
    ));
    drop(reader);
    // The first store's writes are all there: nobody else could write over them.
    first_json.upsert_position(&position()).await.unwrap();
    drop((first_db, first_json));
    assert_eq!(
        JsonFileStore::open(&json_path)
            .unwrap()
            .positions(false)
            .await
            .unwrap(),
        vec![position()]
    );
    SqliteStore::open(&db).unwrap();
}

const HOLD: &str = "ALPACA_EXEC_HOLD_STORE";

/// The child half of [`another_process_holding_the_store_is_named_and_its_death_frees_it`]:
/// opens the store, says so, and waits to be killed.
#[test]
#[ignore = "child process of the store lock test; started by it"]
fn hold_store_child() {
    let Ok(path) = std::env::var(HOLD) else {
        return; // run by hand with --ignored: nothing to do without a parent
    };
    let _store = SqliteStore::open(&path).unwrap();
    println!("holding");
    std::io::Write::flush(&mut std::io::stdout()).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(60));
}

#[test]
fn another_process_holding_the_store_is_named_and_its_death_frees_it() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    drop(SqliteStore::create(&db).unwrap());
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store::hold_store_child",
            "--ignored",
            "--nocapture",
        ])
        .env(HOLD, &db)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let held = std::io::BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("holding"));
    assert!(held, "the child opened the store");
    let e = SqliteStore::open(&db).unwrap_err();
    assert!(
        e.to_string().contains(&format!("pid {}", child.id())),
        "{e}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    SqliteStore::open(&db).expect("a killed holder's lock is released");
}
