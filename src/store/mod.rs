//! Persistence: the [`ExecutionStore`] trait and four implementations.
//!
//! - [`SqliteStore`] (feature `sqlite`, on by default): the embedded default. WAL journal, a
//!   schema version with forward migrations, one transaction per write.
//! - `PostgresStore` (feature `postgres`): past one machine. A schema per store in a database
//!   the operator already runs and backs up, and a leader `Lease` with fencing so that a
//!   leader and a standby on two hosts share it without both trading (see the `postgres`
//!   module).
//! - [`JsonFileStore`]: one JSON document, rewritten atomically (temp file, fsync, rename) on
//!   every write. Simple to inspect; fine for a handful of strategies.
//! - [`MemoryStore`]: nothing survives the process; for tests, backtests and benches.
//!
//! # Opening, creating, locking
//! A file store never silently starts from nothing: `open` needs a store that exists (a
//! missing file is [`StoreError::NotFound`], an empty or foreign one [`StoreError::Corrupt`]),
//! `create` makes a new one and refuses to touch an existing file
//! ([`StoreError::AlreadyExists`]), and `open_or_create` creates one only when there is no file
//! at all. A new store appears complete or not at all (it is built beside its final name and
//! moved into place), so a crash while creating cannot leave a half-made store behind.
//!
//! Each open store holds an exclusive lock on `<file>.lock`: a second opener, in the same
//! process or another, gets [`StoreError::Locked`] naming the holder (process id, host, since
//! when). The operating system releases the lock when the process ends, however it ends.
//! `SqliteStore::open_read_only` reads a store beside its writer (a report while a daemon runs)
//! without the lock: it can write nothing.
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use alpaca_exec::store::{SqliteStore, StoreError};
//!
//! let dir = std::env::temp_dir().join(format!("alpaca-exec-store-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("engine.db");
//! # let _ = std::fs::remove_file(&path);
//!
//! // A missing store is an error for `open`: a wrong path must not look like a fresh start.
//! assert!(matches!(SqliteStore::open(&path), Err(StoreError::NotFound { .. })));
//! // The first run creates it (a daemon's usual call: `open_or_create`).
//! let store = SqliteStore::open_or_create(&path).unwrap();
//! // While it is open, nobody else can open it for writing, in this process or another.
//! assert!(matches!(SqliteStore::open(&path), Err(StoreError::Locked { .. })));
//! drop(store);
//! let _again = SqliteStore::open(&path).unwrap();
//! # drop(_again);
//! # std::fs::remove_dir_all(&dir).ok();
//! # }
//! ```
//!
//! Plug anything else (a key-value service, another database) by implementing the trait, and
//! check it with the [`conformance`] suite every bundled store passes. The contract:
//! every `upsert_*` is idempotent (writing the same record twice leaves the state of writing it
//! once), a write has happened when the future resolves `Ok` (the executor writes an order as
//! pending *before* sending it and relies on this), and a store never overwrites data it could
//! not read: a corrupted file is an error ([`StoreError::Corrupt`]), not an empty store.
//!
//! [`ExecutionStore::record_event`] and [`ExecutionStore::upsert_trade`] are also the journal's
//! hooks: wrap a store in [`JournaledStore`](crate::exec::JournaledStore) to get the CSV trade log
//! and the JSON Lines event log, or leave it unwrapped to turn them off.

pub mod conformance;
mod data;
mod files;
mod json;
mod lock;
mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod records;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use json::JsonFileStore;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{
    DEFAULT_SCHEMA, Fence, FencingToken, Lease, LeaseHolder, LeaseLost, PostgresOptions,
    PostgresStore, default_holder,
};
pub use records::{
    DailySummary, Decision, EngineEvent, EventKind, Execution, ExitFill, OrderSpec, Outcome,
    PositionStatus, Role, SignalRecord, SkipReason, StateChange, TrackedPosition, TradeRecord,
};
#[cfg(feature = "sqlite")]
pub use sqlite::{Durability, SqliteStore};

use crate::strategy::SignalId;
use async_trait::async_trait;
use chrono::NaiveDate;
use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file exists but cannot be read as a store. It was left untouched: move it aside or
    /// repair it; the store will not overwrite it.
    #[error("store {path} is corrupted and was left untouched: {detail}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong (parser message with position, or SQLite's error).
        detail: String,
    },
    /// `open` was asked for a store that does not exist. Nothing was created: use `create`
    /// (or `open_or_create`) to start a new store.
    #[error("store {path} does not exist; create it explicitly (create or open_or_create)")]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// `create` was asked for a store where a file already exists. It was left untouched.
    #[error("store {path} already exists and was left untouched; open it instead")]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// Another open store (in this process or another) holds the file's lock.
    #[error("store {path} is in use by {holder}: close it or stop that process first")]
    Locked {
        /// The file.
        path: PathBuf,
        /// Who holds it: process id, host and since when, as the holder recorded them.
        holder: String,
    },
    /// The file was written by a newer version of this crate.
    #[error("store {path} has schema version {found}; this version supports up to {supported}")]
    SchemaTooNew {
        /// The file.
        path: PathBuf,
        /// Version found.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// Reading or writing the file failed.
    #[error("store I/O on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A record could not be encoded or a stored record decoded.
    #[error("store record {what}: {detail}")]
    Encoding {
        /// Which record.
        what: String,
        /// The serde message.
        detail: String,
    },
    /// The database backend failed.
    #[error("store backend error: {0}")]
    Backend(String),
    /// This process does not hold the leader lease (it never had it, it expired, or another
    /// process took it over): the write was refused, atomically, and nothing was changed. A
    /// store shared by a leader and a standby (see `Lease`, feature `postgres`) answers this to every write
    /// of a process that is not the leader, and [`ExecutionStore::may_send_orders`] answers it
    /// before an order would be sent.
    #[error("fenced: {0}")]
    Fenced(String),
}

/// Result of a store operation.
pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// One record of an [`ExecutionStore::write_batch`].
#[derive(Debug, Clone, Copy)]
pub enum StoreWrite<'a> {
    /// Upsert a signal record.
    Signal(&'a SignalRecord),
    /// Upsert an execution.
    Execution(&'a Execution),
    /// Upsert a tracked position.
    Position(&'a TrackedPosition),
    /// Record a trade (kept if already there).
    Trade(&'a TradeRecord),
}

/// The persistence hook of the engine. See the module docs for the contract.
#[async_trait]
pub trait ExecutionStore: Send + Sync {
    /// Inserts or replaces a signal record (keyed by its id).
    async fn upsert_signal(&self, record: &SignalRecord) -> StoreResult<()>;

    /// A signal record by id.
    async fn signal(&self, id: &SignalId) -> StoreResult<Option<SignalRecord>>;

    /// Every signal record, oldest first (for the per-strategy learning loop and summaries).
    async fn signals(&self) -> StoreResult<Vec<SignalRecord>>;

    /// Inserts or replaces an execution (keyed by client order id).
    async fn upsert_execution(&self, execution: &Execution) -> StoreResult<()>;

    /// An execution by client order id.
    async fn execution(&self, client_order_id: &str) -> StoreResult<Option<Execution>>;

    /// Executions; only those not in a terminal state when `open_only`.
    async fn executions(&self, open_only: bool) -> StoreResult<Vec<Execution>>;

    /// Inserts or replaces a tracked position (keyed by its id).
    async fn upsert_position(&self, position: &TrackedPosition) -> StoreResult<()>;

    /// A tracked position by id.
    async fn position(&self, id: &str) -> StoreResult<Option<TrackedPosition>>;

    /// Tracked positions; only active ones (opening, open, closing) when `active_only`.
    async fn positions(&self, active_only: bool) -> StoreResult<Vec<TrackedPosition>>;

    /// Records a fill (keyed by its id); returns `true` if it was new. The journal hook for the
    /// trade log.
    async fn upsert_trade(&self, trade: &TradeRecord) -> StoreResult<bool>;

    /// Every trade, oldest first.
    async fn trades(&self) -> StoreResult<Vec<TradeRecord>>;

    /// Inserts or replaces a daily summary (keyed by date and strategy).
    async fn upsert_daily_summary(&self, summary: &DailySummary) -> StoreResult<()>;

    /// Daily summaries of a date.
    async fn daily_summaries(&self, date: NaiveDate) -> StoreResult<Vec<DailySummary>>;

    /// Replaces a strategy's state blob.
    async fn put_strategy_state(
        &self,
        strategy: &str,
        state: &serde_json::Value,
    ) -> StoreResult<()>;

    /// A strategy's state blob.
    async fn strategy_state(&self, strategy: &str) -> StoreResult<Option<serde_json::Value>>;

    /// Writes several records, in order; returns the ids of the trades that were new.
    ///
    /// The executor groups what one broker answer changes (position, trade, execution) into one
    /// batch. Stores that can should apply a batch atomically (the bundled ones do: one
    /// transaction, one lock, one file write), which makes it one commit instead of several.
    /// The default writes the records one by one; that is still correct, because every record
    /// is an idempotent function of the broker's cumulative figures and the execution comes
    /// last, so a batch cut short by a crash is simply written again after the restart.
    async fn write_batch(&self, writes: &[StoreWrite<'_>]) -> StoreResult<Vec<String>> {
        let mut new_trades = Vec::new();
        for w in writes {
            match *w {
                StoreWrite::Signal(r) => self.upsert_signal(r).await?,
                StoreWrite::Execution(e) => self.upsert_execution(e).await?,
                StoreWrite::Position(p) => self.upsert_position(p).await?,
                StoreWrite::Trade(t) => {
                    if self.upsert_trade(t).await? {
                        new_trades.push(t.id.clone());
                    }
                }
            }
        }
        Ok(new_trades)
    }

    /// Whether [`ExecutionStore::record_event`] does anything. The executor builds events
    /// only when it does, so a store without an event log costs nothing per event. Default:
    /// `false`.
    fn records_events(&self) -> bool {
        false
    }

    /// The journal hook for the event log. Stores may keep events or not; the default drops
    /// them (the journal wrapper writes them to files).
    async fn record_event(&self, event: &EngineEvent) -> StoreResult<()> {
        let _ = event;
        Ok(())
    }

    /// Whether this process may send orders now. The executor asks right before every order it
    /// sends (and every cancel), and sends nothing when refused.
    ///
    /// A store used by one process answers `Ok` (the default). A store shared by a leader and a
    /// standby answers [`StoreError::Fenced`] once this process can no longer be sure it holds
    /// the leader lease, by its own clock and without asking the database (see `Lease`, feature `postgres`).
    /// Wrappers must forward it.
    fn may_send_orders(&self) -> StoreResult<()> {
        Ok(())
    }
}

/// Whether `name` is a schema name `PostgresOptions::schema` (feature `postgres`) accepts:
/// lower-case ASCII letters, digits and `_`, not starting with a digit or `pg_`, at most 63
/// bytes. Plain identifiers only, so a name never needs quoting rules of its own. Available
/// without the feature, for checking a configuration before anything connects.
pub fn valid_schema_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && name.len() <= 63
        && !name.starts_with("pg_")
}

pub(crate) fn encoding(what: impl Into<String>, e: impl std::fmt::Display) -> StoreError {
    StoreError::Encoding {
        what: what.into(),
        detail: e.to_string(),
    }
}
