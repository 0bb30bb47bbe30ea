//! [`SqliteStore`]: the embedded default store (rusqlite with SQLite compiled in).
//!
//! Each record is a row with its key and the columns worth querying (strategy, symbol, state,
//! dates as fixed-width RFC 3339 UTC, so they sort as text), plus the whole record as JSON in
//! `data`, so adding a field to a record needs no
//! migration while reports can still filter in SQL. The schema version lives in
//! `PRAGMA user_version`; [`MIGRATIONS`] are applied in order on open, each in a transaction.

use super::files::{exists, split, sync_dir};
use super::lock::StoreLock;
use super::records::{
    DailySummary, EngineEvent, Execution, SignalRecord, TrackedPosition, TradeRecord,
};
use super::{ExecutionStore, StoreError, StoreResult, StoreWrite, encoding};
use crate::strategy::SignalId;
use async_trait::async_trait;
use chrono::{NaiveDate, SecondsFormat};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Schema migrations; migration `i` takes the database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: signals, executions, positions, trades, daily summaries, strategy state. Tables keyed
    // by text are WITHOUT ROWID: one B-tree instead of a table plus its key index, so a write
    // dirties (and the WAL receives) one page fewer per table.
    "CREATE TABLE signals (
        id TEXT PRIMARY KEY, strategy TEXT NOT NULL, symbol TEXT NOT NULL,
        received_at TEXT NOT NULL, outcome TEXT, data TEXT NOT NULL) WITHOUT ROWID;
     CREATE TABLE executions (
        client_order_id TEXT PRIMARY KEY, signal_id TEXT NOT NULL, strategy TEXT NOT NULL,
        symbol TEXT NOT NULL, state TEXT NOT NULL, terminal INTEGER NOT NULL,
        updated_at TEXT NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
     CREATE INDEX executions_open ON executions(client_order_id) WHERE terminal = 0;
     CREATE TABLE positions (
        id TEXT PRIMARY KEY, strategy TEXT NOT NULL, symbol TEXT NOT NULL,
        active INTEGER NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
     CREATE TABLE trades (
        id TEXT PRIMARY KEY, time TEXT NOT NULL,
        strategy TEXT NOT NULL, symbol TEXT NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
     CREATE TABLE daily_summaries (
        date TEXT NOT NULL, strategy TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (date, strategy)) WITHOUT ROWID;
     CREATE TABLE strategy_state (strategy TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;",
    // 2: the event log (kept when asked for, see `SqliteStore::keep_events`).
    "CREATE TABLE events (
        seq INTEGER PRIMARY KEY, time TEXT NOT NULL, kind TEXT NOT NULL,
        strategy TEXT, symbol TEXT, data TEXT NOT NULL);",
];

/// Page size of new databases. Every commit writes each page it touched to the WAL whole; most
/// records are well under 2 KiB, so 2 KiB pages halve the bytes per commit against SQLite's
/// 4 KiB default with few overflow pages.
const PAGE_SIZE: i64 = 2048;

/// Schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How hard a commit tries to reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=NORMAL` in WAL mode (default): a committed write survives the process
    /// being killed at any point (SIGKILL included); an OS crash or power loss may lose the
    /// last commits but never corrupts the database.
    #[default]
    Process,
    /// `synchronous=FULL`: every commit is fsynced and survives power loss, at the cost of one
    /// fsync per write.
    PowerLoss,
}

/// An [`ExecutionStore`] in a SQLite database (WAL journal).
///
/// Calls run on the caller's thread under a mutex: writes are local and short (tens of
/// microseconds with [`Durability::Process`]), cheaper than a hop to a blocking pool.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
    keep_events: bool,
    /// The store's exclusive lock; `None` when opened read-only (SQLite lets readers in
    /// beside the one writer).
    _lock: Option<StoreLock>,
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Maps "not a database" and "malformed" to [`StoreError::Corrupt`].
fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
        _ => backend(e),
    }
}

fn to_json<T: Serialize>(what: &str, v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| encoding(what, e))
}

fn from_json<T: DeserializeOwned>(what: &str, s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| encoding(what, e))
}

impl SqliteStore {
    /// Opens the existing store at `path` (with [`Durability::Process`]).
    ///
    /// Never starts from nothing: a missing file is [`StoreError::NotFound`] (nothing is
    /// created), an empty file or a SQLite database without this crate's schema is
    /// [`StoreError::Corrupt`], a damaged one too, all left untouched; a database from a newer
    /// version of this crate is [`StoreError::SchemaTooNew`]. An older schema is migrated
    /// forward. Another open store on the file is [`StoreError::Locked`].
    pub fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref();
        if !exists(path)? {
            return Err(StoreError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let lock = StoreLock::acquire(path)?;
        Self::open_locked(path, lock, SCHEMA_VERSION)
    }

    /// Creates a new, empty store at `path` and opens it; an existing file (whatever it
    /// holds) is [`StoreError::AlreadyExists`] and left untouched.
    ///
    /// The database is built beside `path` and moved into place once complete, so a crash
    /// while creating leaves either no store or a whole one.
    pub fn create(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref();
        let lock = StoreLock::acquire(path)?;
        Self::create_locked(path, lock, SCHEMA_VERSION)
    }

    /// Opens the store at `path`, creating it only when there is no file there at all: for a
    /// deployment's first start. An existing file is opened as [`SqliteStore::open`] does,
    /// with the same refusals.
    pub fn open_or_create(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref();
        let lock = StoreLock::acquire(path)?;
        if exists(path)? {
            Self::open_locked(path, lock, SCHEMA_VERSION)
        } else {
            Self::create_locked(path, lock, SCHEMA_VERSION)
        }
    }

    /// Deletes the store at `path` (the database and its WAL and shared-memory files), for a
    /// run that must start afresh (a simulation, a backtest). Refused with
    /// [`StoreError::Locked`] while the store is open anywhere; nothing there is not an error.
    pub fn remove(path: impl AsRef<Path>) -> StoreResult<()> {
        let path = path.as_ref();
        if !exists(split(path).0)? {
            return Ok(());
        }
        let _lock = StoreLock::acquire(path)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(StoreError::Io {
                        path: p.into(),
                        source,
                    });
                }
            }
        }
        Ok(())
    }

    /// Sets how hard a commit tries to reach the disk (default [`Durability::Process`]).
    pub fn durability(self, durability: Durability) -> StoreResult<Self> {
        let sync = match durability {
            Durability::Process => "NORMAL",
            Durability::PowerLoss => "FULL",
        };
        self.lock()
            .pragma_update(None, "synchronous", sync)
            .map_err(backend)?;
        Ok(self)
    }

    /// Builds the schema up to `target` in a file beside `path`, then moves it into place.
    fn create_locked(path: &Path, lock: StoreLock, target: i64) -> StoreResult<Self> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        if exists(path)? {
            return Err(StoreError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        if exists(Path::new(&wal))? {
            return Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: format!(
                    "{} exists without its database: move it aside before creating a store",
                    Path::new(&wal).display()
                ),
            });
        }
        let (dir, name) = split(path);
        // Under the lock nobody else builds here: a leftover is a crashed creation's.
        let tmp = dir.join(format!(".{name}.creating"));
        for stale in [tmp.clone(), dir.join(format!(".{name}.creating-journal"))] {
            if exists(&stale)? {
                std::fs::remove_file(&stale).map_err(io(&stale))?;
            }
        }
        {
            let mut conn = Connection::open(&tmp).map_err(|e| classify(&tmp, e))?;
            conn.pragma_update(None, "page_size", PAGE_SIZE)
                .map_err(backend)?;
            migrate(&mut conn, 0, target).map_err(|e| classify(&tmp, e))?;
            conn.close().map_err(|(_, e)| backend(e))?;
        }
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(&tmp))?;
        std::fs::rename(&tmp, path).map_err(io(path))?;
        sync_dir(dir);
        Self::open_locked(path, lock, target)
    }

    /// Opens the existing store at `path` to read it only, beside the process that has it open
    /// (a report while the daemon runs): no lock is taken, nothing is migrated, and every write
    /// fails with [`StoreError::Backend`]. The same checks as [`SqliteStore::open`] otherwise.
    pub fn open_read_only(path: impl AsRef<Path>) -> StoreResult<Self> {
        Self::open_checked(path.as_ref(), None, SCHEMA_VERSION)
    }

    fn open_locked(path: &Path, lock: StoreLock, target: i64) -> StoreResult<Self> {
        Self::open_checked(path, Some(lock), target)
    }

    /// Opens an existing store, read-write under `lock` (migrated to `target`) or read-only
    /// without one.
    fn open_checked(path: &Path, lock: Option<StoreLock>, target: i64) -> StoreResult<Self> {
        let corrupt = |detail: String| StoreError::Corrupt {
            path: path.to_path_buf(),
            detail,
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound {
                    path: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(StoreError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        if meta.len() == 0 {
            return Err(corrupt(
                "the file is empty (0 bytes), not a store: move it aside, or remove it to \
                 start a new store"
                    .into(),
            ));
        }
        // Without CREATE: a file that vanished is not silently made again.
        let access = match lock {
            Some(_) => OpenFlags::SQLITE_OPEN_READ_WRITE,
            None => OpenFlags::SQLITE_OPEN_READ_ONLY,
        };
        let flags = access | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
        // Reading the header first: on a file that is not a database this fails with
        // NOTADB before any pragma below could write to it.
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                path: path.to_path_buf(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < 1 {
            return Err(corrupt(format!(
                "a SQLite database without this crate's schema (user_version {version}): not a \
                 store"
            )));
        }
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if check != "ok" {
            return Err(corrupt(format!("integrity check failed: {check}")));
        }
        conn.busy_timeout(Duration::from_secs(5)).map_err(backend)?;
        if lock.is_some() {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(|e| classify(path, e))?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(backend)?;
            migrate(&mut conn, version, target).map_err(|e| classify(path, e))?;
        }
        Ok(Self {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            keep_events: false,
            _lock: lock,
        })
    }

    /// Also keeps journal events in the `events` table (off by default: each event is one more
    /// commit, and [`JournaledStore`](crate::exec::JournaledStore) already writes them to files).
    pub fn keep_events(mut self, on: bool) -> Self {
        self.keep_events = on;
        self
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> StoreResult<i64> {
        self.lock()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(backend)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get<T: DeserializeOwned>(&self, what: &str, sql: &str, key: &str) -> StoreResult<Option<T>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
        let row: Option<String> = stmt
            .query_row([key], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        row.map(|s| from_json(what, &s)).transpose()
    }

    fn list<T: DeserializeOwned>(
        &self,
        what: &str,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> StoreResult<Vec<T>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
        let rows = stmt
            .query_map(args, |r| r.get::<_, String>(0))
            .map_err(backend)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(from_json(what, &row.map_err(backend)?)?);
        }
        Ok(out)
    }

    fn exec(&self, sql: &str, args: impl rusqlite::Params) -> StoreResult<usize> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
        stmt.execute(args).map_err(backend)
    }
}

/// Applies migrations `from..target` in one transaction each, bumping `user_version` with each.
fn migrate(conn: &mut Connection, from: i64, target: i64) -> rusqlite::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate().take(target as usize) {
        let v = i as i64;
        if v < from {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", v + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn run(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> StoreResult<usize> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute(args))
        .map_err(backend)
}

fn write_signal(conn: &Connection, r: &SignalRecord) -> StoreResult<()> {
    let outcome = r
        .decision
        .as_ref()
        .map(|d| to_json("outcome", &d.outcome))
        .transpose()?;
    run(
        conn,
        "INSERT INTO signals (id, strategy, symbol, received_at, outcome, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET outcome = excluded.outcome, data = excluded.data",
        params![
            r.id.as_str(),
            r.signal.strategy,
            r.signal.symbol,
            r.received_at.to_rfc3339_opts(SecondsFormat::Nanos, true),
            outcome,
            to_json("signal", r)?
        ],
    )?;
    Ok(())
}

/// The execution row; its state history travels in `data` (one page per write, where a
/// row per state change would dirty another table's pages on every update).
fn write_execution(conn: &Connection, e: &Execution) -> StoreResult<()> {
    run(
        conn,
        "INSERT INTO executions
           (client_order_id, signal_id, strategy, symbol, state, terminal, updated_at, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(client_order_id) DO UPDATE SET state = excluded.state,
           terminal = excluded.terminal, updated_at = excluded.updated_at,
           data = excluded.data",
        params![
            e.client_order_id,
            e.signal_id.as_str(),
            e.strategy,
            e.order.symbol,
            e.state.as_str(),
            e.state.is_terminal(),
            e.updated_at.to_rfc3339_opts(SecondsFormat::Nanos, true),
            to_json("execution", e)?
        ],
    )?;
    Ok(())
}

fn write_position(conn: &Connection, p: &TrackedPosition) -> StoreResult<()> {
    run(
        conn,
        "INSERT INTO positions (id, strategy, symbol, active, data) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(id) DO UPDATE SET active = excluded.active, data = excluded.data",
        params![
            p.id,
            p.strategy,
            p.symbol,
            p.status.is_active(),
            to_json("position", p)?
        ],
    )?;
    Ok(())
}

/// Returns true if the trade was new.
fn write_trade(conn: &Connection, t: &TradeRecord) -> StoreResult<bool> {
    let n = run(
        conn,
        "INSERT INTO trades (id, time, strategy, symbol, data) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(id) DO NOTHING",
        params![
            t.id,
            t.time.to_rfc3339_opts(SecondsFormat::Nanos, true),
            t.strategy,
            t.symbol,
            to_json("trade", t)?
        ],
    )?;
    Ok(n == 1)
}

#[async_trait]
impl ExecutionStore for SqliteStore {
    async fn upsert_signal(&self, r: &SignalRecord) -> StoreResult<()> {
        write_signal(&self.lock(), r)
    }

    async fn signal(&self, id: &SignalId) -> StoreResult<Option<SignalRecord>> {
        self.get(
            "signal",
            "SELECT data FROM signals WHERE id = ?1",
            id.as_str(),
        )
    }

    async fn signals(&self) -> StoreResult<Vec<SignalRecord>> {
        self.list(
            "signal",
            "SELECT data FROM signals ORDER BY received_at, id",
            [],
        )
    }

    async fn upsert_execution(&self, e: &Execution) -> StoreResult<()> {
        write_execution(&self.lock(), e)
    }

    async fn execution(&self, id: &str) -> StoreResult<Option<Execution>> {
        self.get(
            "execution",
            "SELECT data FROM executions WHERE client_order_id = ?1",
            id,
        )
    }

    async fn executions(&self, open_only: bool) -> StoreResult<Vec<Execution>> {
        // Two statements so the open listing can use the partial index.
        let sql = if open_only {
            "SELECT data FROM executions WHERE terminal = 0 ORDER BY client_order_id"
        } else {
            "SELECT data FROM executions ORDER BY client_order_id"
        };
        self.list("execution", sql, [])
    }

    async fn upsert_position(&self, p: &TrackedPosition) -> StoreResult<()> {
        write_position(&self.lock(), p)
    }

    async fn position(&self, id: &str) -> StoreResult<Option<TrackedPosition>> {
        self.get("position", "SELECT data FROM positions WHERE id = ?1", id)
    }

    async fn positions(&self, active_only: bool) -> StoreResult<Vec<TrackedPosition>> {
        self.list(
            "position",
            "SELECT data FROM positions WHERE active = 1 OR ?1 = 0 ORDER BY id",
            [active_only],
        )
    }

    async fn upsert_trade(&self, t: &TradeRecord) -> StoreResult<bool> {
        write_trade(&self.lock(), t)
    }

    /// One transaction for the whole batch: atomic, and one commit.
    async fn write_batch(&self, writes: &[StoreWrite<'_>]) -> StoreResult<Vec<String>> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(backend)?;
        let mut new_trades = Vec::new();
        for w in writes {
            match *w {
                StoreWrite::Signal(r) => write_signal(&tx, r)?,
                StoreWrite::Execution(e) => write_execution(&tx, e)?,
                StoreWrite::Position(p) => write_position(&tx, p)?,
                StoreWrite::Trade(t) => {
                    if write_trade(&tx, t)? {
                        new_trades.push(t.id.clone());
                    }
                }
            }
        }
        tx.commit().map_err(backend)?;
        Ok(new_trades)
    }

    async fn trades(&self) -> StoreResult<Vec<TradeRecord>> {
        self.list("trade", "SELECT data FROM trades ORDER BY time, id", [])
    }

    async fn upsert_daily_summary(&self, s: &DailySummary) -> StoreResult<()> {
        self.exec(
            "INSERT INTO daily_summaries (date, strategy, data) VALUES (?1, ?2, ?3)
             ON CONFLICT(date, strategy) DO UPDATE SET data = excluded.data",
            params![s.date.to_string(), s.strategy, to_json("daily summary", s)?],
        )?;
        Ok(())
    }

    async fn daily_summaries(&self, date: NaiveDate) -> StoreResult<Vec<DailySummary>> {
        self.list(
            "daily summary",
            "SELECT data FROM daily_summaries WHERE date = ?1 ORDER BY strategy",
            [date.to_string()],
        )
    }

    async fn put_strategy_state(
        &self,
        strategy: &str,
        state: &serde_json::Value,
    ) -> StoreResult<()> {
        self.exec(
            "INSERT INTO strategy_state (strategy, data) VALUES (?1, ?2)
             ON CONFLICT(strategy) DO UPDATE SET data = excluded.data",
            params![strategy, to_json("strategy state", state)?],
        )?;
        Ok(())
    }

    async fn strategy_state(&self, strategy: &str) -> StoreResult<Option<serde_json::Value>> {
        self.get(
            "strategy state",
            "SELECT data FROM strategy_state WHERE strategy = ?1",
            strategy,
        )
    }

    fn records_events(&self) -> bool {
        self.keep_events
    }

    async fn record_event(&self, e: &EngineEvent) -> StoreResult<()> {
        if !self.keep_events {
            return Ok(());
        }
        self.exec(
            "INSERT INTO events (time, kind, strategy, symbol, data) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                e.time.to_rfc3339_opts(SecondsFormat::Nanos, true),
                to_json("event kind", &e.kind)?.trim_matches('"'),
                e.strategy,
                e.symbol,
                to_json("event", &e.detail)?
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_an_old_database_forward() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let lock = StoreLock::acquire(&path).unwrap();
            let s = SqliteStore::create_locked(&path, lock, 1).unwrap();
            assert_eq!(s.schema_version().unwrap(), 1);
            let tables: i64 = s
                .lock()
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'events'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(tables, 0, "version 1 has no event table");
        }
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        let tables: i64 = s
            .lock()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'events'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 1);
        let mode: String = s
            .lock()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let e = SqliteStore::open(&path).unwrap_err();
        assert!(
            matches!(e, StoreError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1),
            "{e}"
        );
    }
}
