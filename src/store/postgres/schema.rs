//! The store's tables, their migrations, and the checks that make `open` refuse what is not a
//! whole store of this crate.
//!
//! A store is a PostgreSQL schema (namespace) holding the tables below and the version table
//! [`VERSION_TABLE`], whose one row says which migrations were applied. DDL is transactional
//! in PostgreSQL, so a creation or a migration commits whole or not at all; both run under a
//! transaction-level advisory lock on the schema's name, so two processes opening one store at
//! once do not both create or migrate it.

use super::super::{StoreError, StoreResult};
use super::conn::Guard;

/// The table that marks a schema as a store of this crate, with its schema version.
pub(crate) const VERSION_TABLE: &str = "alpaca_exec_store";

/// Migration `i` takes a store from version `i` to `i + 1`: its SQL and the tables it creates.
///
/// Keys are `COLLATE "C"` (byte order), so listings come back in the same order as from the
/// other stores whatever the database's collation. Each record is kept whole as JSON text in
/// `data` (text, not `jsonb`: byte-exact round trips, and `jsonb` refuses the `\u0000` escape
/// a broker's message may carry); the other columns are what reports filter and sort on.
pub(crate) const MIGRATIONS: &[(&str, &[&str])] = &[(
    "CREATE TABLE signals (
        id text COLLATE \"C\" PRIMARY KEY, strategy text NOT NULL, symbol text NOT NULL,
        received_at timestamptz NOT NULL, outcome text, data text NOT NULL);
     CREATE INDEX signals_received ON signals (received_at, id);
     CREATE TABLE executions (
        client_order_id text COLLATE \"C\" PRIMARY KEY, signal_id text NOT NULL,
        strategy text NOT NULL, symbol text NOT NULL, state text NOT NULL,
        terminal boolean NOT NULL, updated_at timestamptz NOT NULL, data text NOT NULL);
     CREATE INDEX executions_open ON executions (client_order_id) WHERE NOT terminal;
     CREATE TABLE positions (
        id text COLLATE \"C\" PRIMARY KEY, strategy text NOT NULL, symbol text NOT NULL,
        active boolean NOT NULL, data text NOT NULL);
     CREATE INDEX positions_active ON positions (id) WHERE active;
     CREATE TABLE trades (
        id text COLLATE \"C\" PRIMARY KEY, time timestamptz NOT NULL, strategy text NOT NULL,
        symbol text NOT NULL, data text NOT NULL);
     CREATE INDEX trades_time ON trades (time, id);
     CREATE TABLE daily_summaries (
        date date NOT NULL, strategy text COLLATE \"C\" NOT NULL, data text NOT NULL,
        PRIMARY KEY (date, strategy));
     CREATE TABLE strategy_state (strategy text COLLATE \"C\" PRIMARY KEY, data text NOT NULL);
     CREATE TABLE events (
        seq bigserial PRIMARY KEY, time timestamptz NOT NULL, kind text NOT NULL,
        strategy text, symbol text, data text NOT NULL);",
    &[
        "signals",
        "executions",
        "positions",
        "trades",
        "daily_summaries",
        "strategy_state",
        "events",
    ],
)];

/// Schema version this build writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Every table a store of `version` has (the version table included).
fn tables_of(version: i32) -> Vec<&'static str> {
    let mut t = vec![VERSION_TABLE];
    for (_, created) in MIGRATIONS.iter().take(version.max(0) as usize) {
        t.extend_from_slice(created);
    }
    t
}

/// Every table name this crate may create in a store's schema (of any version).
fn all_tables() -> Vec<&'static str> {
    tables_of(SCHEMA_VERSION)
}

/// What is in a schema, as far as a store is concerned.
pub(crate) enum Found {
    /// No version table and none of the store's tables (the schema may not exist, or hold
    /// other tables).
    Nothing,
    /// A store at this version, with every table it should have.
    Store(i32),
}

/// Where a store lives, for errors ("postgres host/db schema x"; never the password).
pub(crate) type Place = std::path::PathBuf;

fn corrupt(place: &Place, detail: String) -> StoreError {
    StoreError::Corrupt {
        path: place.clone(),
        detail,
    }
}

/// Takes the transaction-level advisory lock of `schema`'s creation and migration.
async fn lock_schema(g: &mut Guard<'_>, schema: &str) -> StoreResult<()> {
    g.query(
        "SELECT pg_advisory_xact_lock(hashtextextended('alpaca-exec schema ' || $1, 0))",
        &[&schema],
    )
    .await?;
    Ok(())
}

/// Reads what `schema` holds: nothing of a store, or a whole store at some version. A schema
/// with some of the store's tables but no version table, a version table without its one valid
/// row, or a version whose tables are not all there, is [`StoreError::Corrupt`]; a version
/// newer than this build's, [`StoreError::SchemaTooNew`].
pub(crate) async fn inspect(g: &mut Guard<'_>, schema: &str, place: &Place) -> StoreResult<Found> {
    let names: Vec<String> = all_tables().iter().map(|t| (*t).to_owned()).collect();
    let rows = g
        .query(
            "SELECT c.relname::text FROM pg_catalog.pg_class c
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relkind IN ('r', 'p')",
            &[&schema, &names],
        )
        .await?;
    let present: Vec<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    if !present.iter().any(|t| t == VERSION_TABLE) {
        if present.is_empty() {
            return Ok(Found::Nothing);
        }
        return Err(corrupt(
            place,
            format!(
                "schema {schema} has tables named like a store's ({}) but no {VERSION_TABLE} \
                 table: not a store of this crate, or a damaged one; left untouched",
                present.join(", ")
            ),
        ));
    }
    let versions = g
        .query(
            &format!("SELECT version FROM \"{schema}\".{VERSION_TABLE}"),
            &[],
        )
        .await?;
    let version: i32 = match versions.as_slice() {
        [row] => row
            .try_get(0)
            .map_err(|e| corrupt(place, format!("{VERSION_TABLE}.version: {e}")))?,
        rows => {
            return Err(corrupt(
                place,
                format!(
                    "{VERSION_TABLE} holds {} rows instead of one: not a store's; left untouched",
                    rows.len()
                ),
            ));
        }
    };
    if version > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: place.clone(),
            found: version.into(),
            supported: SCHEMA_VERSION.into(),
        });
    }
    if version < 1 {
        return Err(corrupt(
            place,
            format!("{VERSION_TABLE} says version {version}: not a store's; left untouched"),
        ));
    }
    let missing: Vec<&str> = tables_of(version)
        .into_iter()
        .filter(|t| !present.iter().any(|p| p == t))
        .collect();
    if !missing.is_empty() {
        return Err(corrupt(
            place,
            format!(
                "version {version} but tables {} are missing: damaged or edited by hand; left \
                 untouched",
                missing.join(", ")
            ),
        ));
    }
    Ok(Found::Store(version))
}

/// Creates a store in `schema` up to version `target`, in one transaction: refused with
/// [`StoreError::AlreadyExists`] if a store is there (unless `exists_ok`: another process
/// opening the same store may have created it a moment ago), [`StoreError::Corrupt`] if
/// anything named like a store's table is.
pub(crate) async fn create(
    g: &mut Guard<'_>,
    schema: &str,
    place: &Place,
    target: i32,
    exists_ok: bool,
) -> StoreResult<()> {
    g.begin().await?;
    let r = async {
        lock_schema(g, schema).await?;
        match inspect(g, schema, place).await? {
            Found::Store(_) if exists_ok => return Ok(()),
            Found::Store(_) => {
                return Err(StoreError::AlreadyExists {
                    path: place.clone(),
                });
            }
            Found::Nothing => {}
        }
        g.batch(&format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\"; SET LOCAL search_path TO \"{schema}\";"
        ))
        .await?;
        g.batch(&format!(
            "CREATE TABLE {VERSION_TABLE} (
                version integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
                migrated_at timestamptz NOT NULL DEFAULT now());
             INSERT INTO {VERSION_TABLE} (version) VALUES (0);"
        ))
        .await?;
        apply(g, 0, target).await
    }
    .await;
    finish(g, r).await
}

/// Migrates the store in `schema` forward to `target`, in one transaction, re-reading its
/// version under the lock (another process may have migrated it meanwhile).
pub(crate) async fn migrate(
    g: &mut Guard<'_>,
    schema: &str,
    place: &Place,
    target: i32,
) -> StoreResult<()> {
    g.begin().await?;
    let r = async {
        lock_schema(g, schema).await?;
        match inspect(g, schema, place).await? {
            Found::Store(v) if v < target => {
                g.batch(&format!("SET LOCAL search_path TO \"{schema}\""))
                    .await?;
                apply(g, v, target).await
            }
            Found::Store(_) => Ok(()),
            Found::Nothing => Err(StoreError::NotFound {
                path: place.clone(),
            }),
        }
    }
    .await;
    finish(g, r).await
}

/// Commits on success, rolls back on failure.
async fn finish(g: &mut Guard<'_>, r: StoreResult<()>) -> StoreResult<()> {
    match r {
        Ok(()) => g.commit().await,
        Err(e) => {
            g.rollback().await;
            Err(e)
        }
    }
}

/// Applies migrations `from..target` inside the caller's transaction.
async fn apply(g: &mut Guard<'_>, from: i32, target: i32) -> StoreResult<()> {
    for (i, (sql, _)) in MIGRATIONS.iter().enumerate().take(target.max(0) as usize) {
        let v = i as i32;
        if v < from {
            continue;
        }
        g.batch(sql).await?;
        g.execute(
            &format!("UPDATE {VERSION_TABLE} SET version = $1, migrated_at = now()"),
            &[&(v + 1)],
        )
        .await?;
    }
    Ok(())
}
