//! Persistence: the conformance suite (`alpaca_exec::store::conformance`: round trips,
//! idempotent upserts, the open indexes, order, decision history, batches, restart and
//! reconcile) on the memory, JSON and SQLite stores (PostgreSQL in `postgres.rs`); and what is
//! particular to files: corrupted, empty or partial files reported without being overwritten,
//! explicit creation, and one opener per store (in this process or another).

use crate::support::aapl_long;
use alpaca_exec::risk::{Bias, Side, TrailingState};
use alpaca_exec::store::conformance::{self, Harness};
use alpaca_exec::store::{
    ExecutionStore, JsonFileStore, MemoryStore, PositionStatus, SqliteStore, StoreError,
    TrackedPosition, TradeRecord,
};
use chrono::{TimeZone, Utc};
use rust_decimal_macros::dec;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 4, 15, 30, 0).unwrap()
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

/// Memory: nothing survives a restart.
struct Memory;

#[async_trait::async_trait]
impl Harness for Memory {
    type Store = MemoryStore;
    async fn fresh(&mut self) -> MemoryStore {
        MemoryStore::new()
    }
    async fn reopen(&mut self, _store: MemoryStore) -> Option<MemoryStore> {
        None
    }
}

/// A file store: a new file per store in one directory, reopened from the file.
struct Files<S> {
    dir: tempfile::TempDir,
    n: usize,
    open: fn(&Path) -> S,
    create: fn(&Path) -> S,
    paths: Vec<(usize, std::path::PathBuf)>,
    extension: &'static str,
}

impl<S> Files<S> {
    fn new(extension: &'static str, create: fn(&Path) -> S, open: fn(&Path) -> S) -> Self {
        Files {
            dir: tempfile::tempdir().unwrap(),
            n: 0,
            open,
            create,
            paths: Vec::new(),
            extension,
        }
    }
}

/// The file of a store this harness made (stores do not say where they live in general).
trait FilePath {
    fn file(&self) -> &Path;
}

impl FilePath for JsonFileStore {
    fn file(&self) -> &Path {
        self.path()
    }
}

impl FilePath for SqliteStore {
    fn file(&self) -> &Path {
        self.path()
    }
}

#[async_trait::async_trait]
impl<S: ExecutionStore + FilePath + 'static> Harness for Files<S> {
    type Store = S;
    async fn fresh(&mut self) -> S {
        self.n += 1;
        let path = self
            .dir
            .path()
            .join(format!("store-{}.{}", self.n, self.extension));
        self.paths.push((self.n, path.clone()));
        (self.create)(&path)
    }
    async fn reopen(&mut self, store: S) -> Option<S> {
        let path = store.file().to_path_buf();
        drop(store); // releases the lock, as a process that ends does
        Some((self.open)(&path))
    }
}

#[tokio::test]
async fn memory_store_passes_the_conformance_suite() {
    let report = conformance::run(&mut Memory).await;
    println!("memory: {report}");
    assert!(report.passed(), "{report}");
    assert_eq!(report.skipped.len(), 2, "restart and reconcile: {report}");
}

#[tokio::test]
async fn json_store_passes_the_conformance_suite() {
    let mut files = Files::new(
        "json",
        |p| JsonFileStore::create(p).unwrap(),
        |p| JsonFileStore::open(p).unwrap(),
    );
    let report = conformance::run(&mut files).await;
    println!("json: {report}");
    assert!(report.passed() && report.skipped.is_empty(), "{report}");
    // No temp files left beside the stores.
    let stray: Vec<_> = std::fs::read_dir(files.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".json") && !n.ends_with(".json.lock"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[tokio::test]
async fn sqlite_store_passes_the_conformance_suite() {
    let mut files = Files::new(
        "db",
        |p| SqliteStore::create(p).unwrap(),
        |p| SqliteStore::open(p).unwrap(),
    );
    let report = conformance::run(&mut files).await;
    println!("sqlite: {report}");
    assert!(report.passed() && report.skipped.is_empty(), "{report}");
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
