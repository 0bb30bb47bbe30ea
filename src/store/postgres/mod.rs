//! [`PostgresStore`] (feature `postgres`): the store for more than one machine, and the
//! [`Lease`] that lets a leader and a standby share it without both trading.
//!
//! # The client
//! [tokio-postgres]: asynchronous on the tokio runtime the crate already uses (the store's
//! calls are plain `await`s, no blocking pool), pure Rust (nothing to install, no libpq), and
//! the lightest of the PostgreSQL clients to build: a new bot's cold `cargo build --release`
//! with the feature (TLS included) took 1 min 53 s and 208 CPU-seconds against 1 min 44 s and
//! 187 without it (2 cores, 2026-12-07, both in one session).
//! sqlx would bring its own runtime layer, macros and drivers for several databases;
//! `postgres` is the blocking wrapper of this same crate; diesel needs libpq.
//!
//! Connections are TCP or a unix socket (`host=/run/postgresql`). `sslmode=require` in the
//! connection string (or [`PostgresOptions::tls_root_certificates`]) makes every TCP
//! connection TLS (rustls, `ring`), with the server's certificate verified for its host name
//! against the platform's roots plus any given: an unverifiable server is refused, never used
//! (stricter than libpq's `require`). The default `prefer` stays plain; keep such a database on
//! a private network, a VPN or an SSH tunnel. Errors carry their cause (`invalid peer
//! certificate: UnknownIssuer`).
//!
//! # A store is a schema
//! [`PostgresOptions::schema`] (default `alpaca_exec`) names the PostgreSQL schema that holds
//! the store's tables, so several stores (one per account) share one database. The same rules
//! as the file stores hold, in PostgreSQL's terms:
//! - [`PostgresOptions::open`] needs a store there: no store is [`StoreError::NotFound`];
//!   tables named like a store's without its version table, a version table without its one
//!   row, or a version whose tables are not all there is [`StoreError::Corrupt`] and left
//!   untouched; a newer version is [`StoreError::SchemaTooNew`]; an older one is migrated.
//! - [`PostgresOptions::create`] refuses a schema with a store in it
//!   ([`StoreError::AlreadyExists`]); creation is one transaction (DDL is transactional in
//!   PostgreSQL), so a crash leaves a whole store or none.
//! - [`PostgresOptions::open_or_create`] creates only when there is nothing of a store.
//!
//! # One writer
//! An unfenced store holds a session advisory lock on its schema for as long as it is open (the
//! PostgreSQL counterpart of the file stores' lock file): a second opener anywhere gets
//! [`StoreError::Locked`] naming the holder's connection, and the server frees the lock when
//! that connection ends. A store [fenced by a lease](PostgresOptions::fenced_by) takes no
//! such lock: a leader and a standby both open it, and every write is refused unless its
//! process holds the lease (see [`Lease`]).
//!
//! # Durability
//! Each write (each [`write_batch`](ExecutionStore::write_batch)) is one transaction, and has
//! happened when its future resolves `Ok`: the server has committed it (with the server's
//! default `synchronous_commit = on`, flushed to its WAL). The executor writes an order as
//! pending before it sends it, as with [`SqliteStore`](super::SqliteStore).
//!
//! Every call is bounded by [`PostgresOptions::timeout`] (default 10 s): a connection that does
//! not answer in time is dropped, and the next call connects again.
//!
//! [tokio-postgres]: https://docs.rs/tokio-postgres

mod conn;
mod lease;
mod schema;
mod tls;

pub use lease::{Fence, FencingToken, Lease, LeaseHolder, LeaseLost, default_holder};
pub use schema::SCHEMA_VERSION;

use super::records::{
    DailySummary, EngineEvent, Execution, SignalRecord, TrackedPosition, TradeRecord,
};
use super::{ExecutionStore, StoreError, StoreResult, StoreWrite, encoding};
use crate::strategy::SignalId;
use async_trait::async_trait;
use chrono::NaiveDate;
use conn::{Param, Session, Setup, Stmt, pg_error};
use schema::{Found, Place};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::time::Duration;
use tokio_postgres::Config;
use tokio_postgres::types::ToSql;

/// The default schema of a store.
pub const DEFAULT_SCHEMA: &str = "alpaca_exec";

/// Where and how to open a [`PostgresStore`] (or a [`Lease`]).
#[derive(Clone)]
pub struct PostgresOptions {
    /// The connection string as given (plus the defaults `new` adds).
    config: Config,
    /// Root certificates added to the platform's for verifying the server (see `tls.rs`).
    tls_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// How connections are made, derived from `config` and `tls_roots` by `tls::connector`.
    tls: tls::Tls,
    /// `config` with the `sslmode` that `tls` connects with.
    connect_config: Config,
    schema: String,
    timeout: Duration,
    fence: Option<Fence>,
    keep_events: bool,
}

impl std::fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection string may hold a password: only where it points is shown.
        f.debug_struct("PostgresOptions")
            .field("place", &self.place())
            .field("timeout", &self.timeout)
            .field("fenced", &self.fence.is_some())
            .finish_non_exhaustive()
    }
}

impl PostgresOptions {
    /// Options for the database at `conninfo`: a URL (`postgresql://user@host:5432/db`) or
    /// `key=value` pairs (`host=/run/postgresql dbname=trading user=bot`), as libpq reads them.
    /// A connect timeout of 10 s and an application name naming this process are added
    /// unless given.
    pub fn new(conninfo: &str) -> StoreResult<Self> {
        let mut config: Config = conninfo
            .parse()
            .map_err(|e| StoreError::Backend(format!("database connection string: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            let name = format!(
                "alpaca-exec pid {} on {}",
                std::process::id(),
                super::lock::hostname()
            );
            // PostgreSQL keeps 63 bytes of it.
            let cut = (0..=name.len().min(63))
                .rev()
                .find(|&i| name.is_char_boundary(i))
                .unwrap_or(0);
            config.application_name(&name[..cut]);
        }
        let (tls, connect_config) = tls::connector(&config, &[])?;
        Ok(Self {
            config,
            tls_roots: Vec::new(),
            tls,
            connect_config,
            schema: DEFAULT_SCHEMA.to_owned(),
            timeout: Duration::from_secs(10),
            fence: None,
            keep_events: false,
        })
    }

    /// The schema holding the store (default [`DEFAULT_SCHEMA`]): lower-case letters, digits
    /// and `_`, starting with a letter or `_`, at most 63 characters. Checked when opening.
    pub fn schema(mut self, schema: &str) -> Self {
        schema.clone_into(&mut self.schema);
        self
    }

    /// Trusts the CA certificates in the PEM file at `pem_path` for the server's certificate,
    /// besides the platform's roots (a managed service's own CA, or a private one), and makes
    /// every TCP connection TLS. The file is read now: an unreadable file or one without a
    /// certificate is an error here, not at the first write.
    ///
    /// TLS is on when the connection string says `sslmode=require` or roots are given this way;
    /// the server's certificate is then always verified for the host name (stricter than
    /// libpq's `require`). The default `sslmode=prefer` stays plain, and unix sockets never
    /// use TLS.
    pub fn tls_root_certificates(self, pem_path: impl AsRef<std::path::Path>) -> StoreResult<Self> {
        self.with_tls_roots(tls::read_roots(pem_path.as_ref())?)
    }

    /// Adds `roots` and derives the connection again, from the connection string as given.
    fn with_tls_roots(
        mut self,
        roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    ) -> StoreResult<Self> {
        self.tls_roots.extend(roots);
        (self.tls, self.connect_config) = tls::connector(&self.config, &self.tls_roots)?;
        Ok(self)
    }

    /// The longest any call may wait for the database (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(100));
        self
    }

    /// Shares the store between processes under `lease`: no exclusive lock is taken, every
    /// write is refused ([`StoreError::Fenced`]) unless this process holds the lease, and
    /// [`ExecutionStore::may_send_orders`] answers from the lease.
    pub fn fenced_by(mut self, lease: &Lease) -> Self {
        self.fence = Some(lease.fence());
        self
    }

    /// Also keeps journal events in the `events` table (off by default, as with
    /// [`SqliteStore::keep_events`](super::SqliteStore::keep_events)).
    pub fn keep_events(mut self, on: bool) -> Self {
        self.keep_events = on;
        self
    }

    pub(crate) fn schema_name(&self) -> &str {
        &self.schema
    }

    /// Where the store lives, for errors and logs: hosts, database and schema, never the
    /// password.
    pub fn place(&self) -> PathBuf {
        use tokio_postgres::config::Host;
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(s) => s.clone(),
                #[cfg(unix)]
                Host::Unix(p) => p.display().to_string(),
            })
            .collect();
        let db = self
            .config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("postgres");
        PathBuf::from(format!(
            "postgres://{}/{db} schema {}",
            hosts.join(","),
            self.schema
        ))
    }

    fn check_schema(&self) -> StoreResult<()> {
        if super::valid_schema_name(&self.schema) {
            Ok(())
        } else {
            Err(StoreError::Backend(format!(
                "schema name {:?}: use lower-case letters, digits and _ (at most 63, not \
                 starting with a digit or pg_)",
                self.schema
            )))
        }
    }

    /// A session over these options, with `extra` settings and `setup` after connecting.
    pub(crate) fn session(&self, extra: String, setup: Option<Setup>, read_only: bool) -> Session {
        let t = self.timeout.as_millis();
        let mut settings = format!(
            "SET search_path TO \"{}\"; SET statement_timeout = '{t}ms'; \
             SET lock_timeout = '{t}ms'; SET idle_in_transaction_session_timeout = '{t}ms'; ",
            self.schema
        );
        if read_only {
            settings.push_str("SET default_transaction_read_only = on; ");
        }
        settings.push_str(&extra);
        Session::new(
            self.connect_config.clone(),
            self.tls.clone(),
            settings,
            setup,
            self.timeout,
        )
    }

    /// The session of a store: unfenced, it takes the schema's exclusive lock on every
    /// connection (again after a reconnect); fenced, a transaction the leader leaves open
    /// (paused mid-write) is ended by the server within a quarter of the lease's time, so it
    /// cannot hold up a takeover.
    fn store_session(&self, read_only: bool) -> Session {
        let exclusive = !read_only && self.fence.is_none();
        let extra = match &self.fence {
            Some(f) => format!(
                "SET idle_in_transaction_session_timeout = '{}ms';",
                (f.ttl() / 4).max(Duration::from_millis(250)).as_millis()
            ),
            None => String::new(),
        };
        let setup: Option<Setup> = exclusive.then(|| {
            let schema = self.schema.clone();
            let place = self.place();
            let f: Setup = Box::new(move |client| {
                let schema = schema.clone();
                let place = place.clone();
                Box::pin(async move { take_exclusive(client, &schema, &place).await })
            });
            f
        });
        self.session(extra, setup, read_only)
    }

    /// Opens the existing store (see the [module docs](self) for what is refused).
    pub async fn open(&self) -> StoreResult<PostgresStore> {
        self.opening(Mode::Open).await
    }

    /// Creates a new store and opens it; a store already there is
    /// [`StoreError::AlreadyExists`], left untouched.
    pub async fn create(&self) -> StoreResult<PostgresStore> {
        self.opening(Mode::Create).await
    }

    /// Opens the store, creating it only when there is nothing of a store in the schema.
    pub async fn open_or_create(&self) -> StoreResult<PostgresStore> {
        self.opening(Mode::OpenOrCreate).await
    }

    /// Opens the existing store to read only (a report, a standby's view, `status`): no lock,
    /// no migration, every write refused.
    pub async fn open_read_only(&self) -> StoreResult<PostgresStore> {
        self.opening(Mode::ReadOnly).await
    }

    /// Deletes the store's tables (and its schema, if nothing else is left in it), for a run
    /// that must start afresh. Refused with [`StoreError::Locked`] while an unfenced store has
    /// it open; nothing there is not an error.
    pub async fn remove(&self) -> StoreResult<()> {
        self.check_schema()?;
        let session = self.store_session(false);
        let mut g = session.get().await?;
        let place = self.place();
        if let Found::Nothing = schema::inspect(&mut g, &self.schema, &place).await? {
            return Ok(());
        }
        let tables: Vec<String> = schema::MIGRATIONS
            .iter()
            .flat_map(|(_, t)| t.iter())
            .chain([&schema::VERSION_TABLE])
            .map(|t| format!("\"{}\".{t}", self.schema))
            .collect();
        g.batch(&format!(
            "BEGIN; DROP TABLE IF EXISTS {}; COMMIT;",
            tables.join(", ")
        ))
        .await?;
        g.execute(
            &format!(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN \
                 pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '{0}') \
                 THEN EXECUTE 'DROP SCHEMA IF EXISTS \"{0}\"'; END IF; END $$",
                self.schema
            ),
            &[],
        )
        .await?;
        Ok(())
    }

    async fn opening(&self, mode: Mode) -> StoreResult<PostgresStore> {
        self.check_schema()?;
        let read_only = mode == Mode::ReadOnly;
        let place = self.place();
        let session = self.store_session(read_only);
        {
            let mut g = session.get().await?;
            let r = self.prepare(&mut g, mode, &place).await;
            if r.is_err() {
                // The lock taken on connecting is freed now, not whenever the server notices
                // the connection is gone: an opener right after this failure finds it free.
                let _ = g.batch("SELECT pg_advisory_unlock_all()").await;
            }
            r?;
        }
        Ok(PostgresStore {
            session,
            place,
            fence: self.fence.clone(),
            keep_events: self.keep_events,
            read_only,
        })
    }

    /// Checks what the schema holds and creates or migrates the store as `mode` says.
    async fn prepare(&self, g: &mut conn::Guard<'_>, mode: Mode, place: &Place) -> StoreResult<()> {
        let place = place.clone();
        let found = schema::inspect(g, &self.schema, &place).await?;
        {
            let g = &mut *g;
            match (mode, found) {
                (Mode::Create, Found::Store(_)) => {
                    return Err(StoreError::AlreadyExists { path: place });
                }
                (Mode::Open | Mode::ReadOnly, Found::Nothing) => {
                    return Err(StoreError::NotFound { path: place });
                }
                (Mode::Create | Mode::OpenOrCreate, Found::Nothing) => {
                    let exists_ok = mode == Mode::OpenOrCreate;
                    schema::create(g, &self.schema, &place, SCHEMA_VERSION, exists_ok).await?;
                }
                (Mode::ReadOnly, Found::Store(_)) => {}
                (_, Found::Store(v)) if v < SCHEMA_VERSION => {
                    schema::migrate(g, &self.schema, &place, SCHEMA_VERSION).await?;
                }
                (_, Found::Store(_)) => {}
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Open,
    Create,
    OpenOrCreate,
    ReadOnly,
}

/// Takes the schema's exclusive session lock, or says who holds it.
async fn take_exclusive(
    client: &tokio_postgres::Client,
    schema: &str,
    place: &Place,
) -> StoreResult<()> {
    let key = format!("alpaca-exec store {schema}");
    let row = client
        .query_one(
            "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
            &[&key],
        )
        .await
        .map_err(|e| pg_error(&e))?;
    if row.get::<_, bool>(0) {
        return Ok(());
    }
    let holders = client
        .query(
            "SELECT coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local'),
                    a.pid, a.backend_start
               FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)",
            &[&key],
        )
        .await
        .map_err(|e| pg_error(&e))?;
    let holder = match holders.first() {
        Some(r) => {
            let name: String = r.get(0);
            let addr: String = r.get(1);
            let pid: i32 = r.get(2);
            let since: Option<chrono::DateTime<chrono::Utc>> = r.get(3);
            format!(
                "another store ({name}; connection from {addr}, server pid {pid}{})",
                since
                    .map(|s| format!(
                        ", since {}",
                        s.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ))
                    .unwrap_or_default()
            )
        }
        None => "another store (its connection is ending, or not visible to this database user)"
            .to_owned(),
    };
    Err(StoreError::Locked {
        path: place.clone(),
        holder,
    })
}

/// An [`ExecutionStore`] in a PostgreSQL schema; see the [module docs](self). Open it with
/// [`PostgresOptions`]:
///
/// ```no_run
/// # async fn demo() -> Result<(), alpaca_exec::store::StoreError> {
/// use alpaca_exec::store::PostgresOptions;
/// let store = PostgresOptions::new("postgresql://bot@db.internal/trading")?
///     .schema("paper")
///     .open_or_create()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PostgresStore {
    session: Session,
    place: Place,
    fence: Option<Fence>,
    keep_events: bool,
    read_only: bool,
}

fn to_json<T: Serialize>(what: &str, v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| encoding(what, e))
}

fn from_json<T: DeserializeOwned>(what: &str, s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| encoding(what, e))
}

fn p<T: ToSql + Sync + Send + 'static>(v: T) -> Param {
    Box::new(v)
}

fn signal_write(r: &SignalRecord) -> StoreResult<Stmt> {
    let outcome = r
        .decision
        .as_ref()
        .map(|d| to_json("outcome", &d.outcome))
        .transpose()?;
    Ok(Stmt::new(
        "INSERT INTO signals (id, strategy, symbol, received_at, outcome, data)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome, data = excluded.data",
        vec![
            p(r.id.as_str().to_owned()),
            p(r.signal.strategy.clone()),
            p(r.signal.symbol.clone()),
            p(r.received_at),
            p(outcome),
            p(to_json("signal", r)?),
        ],
    ))
}

fn execution_write(e: &Execution) -> StoreResult<Stmt> {
    Ok(Stmt::new(
        "INSERT INTO executions
           (client_order_id, signal_id, strategy, symbol, state, terminal, updated_at, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (client_order_id) DO UPDATE SET state = excluded.state,
           terminal = excluded.terminal, updated_at = excluded.updated_at, data = excluded.data",
        vec![
            p(e.client_order_id.clone()),
            p(e.signal_id.as_str().to_owned()),
            p(e.strategy.clone()),
            p(e.order.symbol.clone()),
            p(e.state.as_str()),
            p(e.state.is_terminal()),
            p(e.updated_at),
            p(to_json("execution", e)?),
        ],
    ))
}

fn position_write(pos: &TrackedPosition) -> StoreResult<Stmt> {
    Ok(Stmt::new(
        "INSERT INTO positions (id, strategy, symbol, active, data) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET active = excluded.active, data = excluded.data",
        vec![
            p(pos.id.clone()),
            p(pos.strategy.clone()),
            p(pos.symbol.clone()),
            p(pos.status.is_active()),
            p(to_json("position", pos)?),
        ],
    ))
}

/// Changes one row if the trade is new, none if it was there (it is kept as first written).
fn trade_write(t: &TradeRecord) -> StoreResult<Stmt> {
    Ok(Stmt::new(
        "INSERT INTO trades (id, time, strategy, symbol, data) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING",
        vec![
            p(t.id.clone()),
            p(t.time),
            p(t.strategy.clone()),
            p(t.symbol.clone()),
            p(to_json("trade", t)?),
        ],
    ))
}

impl PostgresStore {
    /// Where the store lives (hosts, database, schema).
    pub fn place(&self) -> &std::path::Path {
        &self.place
    }

    /// The schema version of the open store.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        let rows = self
            .session
            .get()
            .await?
            .query(
                &format!("SELECT version FROM {}", schema::VERSION_TABLE),
                &[],
            )
            .await?;
        let v: i32 = rows
            .first()
            .ok_or_else(|| StoreError::Backend("the version row is gone".into()))?
            .try_get(0)
            .map_err(|e| pg_error(&e))?;
        Ok(v.into())
    }

    /// Who holds the lease this store is fenced by (`None` if unfenced or never taken).
    pub async fn lease_holder(&self) -> StoreResult<Option<LeaseHolder>> {
        match &self.fence {
            Some(f) => lease::read_holder(&self.session, f.schema(), f.name()).await,
            None => Ok(None),
        }
    }

    /// Ends the connection (and with it the exclusive lock); the next call connects again.
    pub async fn disconnect(&self) {
        self.session.close().await;
    }

    async fn get<T: DeserializeOwned>(
        &self,
        what: &str,
        sql: &str,
        key: &(dyn ToSql + Sync),
    ) -> StoreResult<Option<T>> {
        let rows = self.session.get().await?.query(sql, &[key]).await?;
        match rows.first() {
            Some(r) => {
                let s: String = r.try_get(0).map_err(|e| pg_error(&e))?;
                from_json(what, &s).map(Some)
            }
            None => Ok(None),
        }
    }

    async fn list<T: DeserializeOwned>(
        &self,
        what: &str,
        sql: &str,
        args: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<T>> {
        let rows = self.session.get().await?.query(sql, args).await?;
        rows.iter()
            .map(|r| {
                let s: String = r.try_get(0).map_err(|e| pg_error(&e))?;
                from_json(what, &s)
            })
            .collect()
    }

    /// Applies `writes` as one transaction (fenced: with the lease check); returns the rows
    /// each changed.
    async fn write(&self, writes: Vec<Stmt>) -> StoreResult<Vec<u64>> {
        if self.read_only {
            return Err(StoreError::Backend(format!(
                "{} was opened read-only",
                self.place.display()
            )));
        }
        let mut g = self.session.get().await?;
        match &self.fence {
            Some(fence) => {
                let token = fence.check()?;
                let check = Stmt::new(
                    fence.check_sql(),
                    vec![
                        p(fence.name().to_owned()),
                        p(fence.holder().to_owned()),
                        p(token),
                    ],
                );
                g.transaction(Some(&check), &writes, || fence.refused(token))
                    .await
            }
            None if writes.len() == 1 => {
                let w = &writes[0];
                let params: Vec<&(dyn ToSql + Sync)> =
                    w.params.iter().map(|p| p.as_ref() as _).collect();
                Ok(vec![g.execute(&w.sql, &params).await?])
            }
            None => {
                g.transaction(None, &writes, || {
                    StoreError::Backend("unreachable: no check".into())
                })
                .await
            }
        }
    }
}

#[async_trait]
impl ExecutionStore for PostgresStore {
    async fn upsert_signal(&self, r: &SignalRecord) -> StoreResult<()> {
        self.write(vec![signal_write(r)?]).await.map(drop)
    }

    async fn signal(&self, id: &SignalId) -> StoreResult<Option<SignalRecord>> {
        self.get(
            "signal",
            "SELECT data FROM signals WHERE id = $1",
            &id.as_str(),
        )
        .await
    }

    async fn signals(&self) -> StoreResult<Vec<SignalRecord>> {
        self.list(
            "signal",
            "SELECT data FROM signals ORDER BY received_at, id",
            &[],
        )
        .await
    }

    async fn upsert_execution(&self, e: &Execution) -> StoreResult<()> {
        self.write(vec![execution_write(e)?]).await.map(drop)
    }

    async fn execution(&self, id: &str) -> StoreResult<Option<Execution>> {
        self.get(
            "execution",
            "SELECT data FROM executions WHERE client_order_id = $1",
            &id,
        )
        .await
    }

    async fn executions(&self, open_only: bool) -> StoreResult<Vec<Execution>> {
        // Two statements so the open listing can use the partial index.
        let sql = if open_only {
            "SELECT data FROM executions WHERE NOT terminal ORDER BY client_order_id"
        } else {
            "SELECT data FROM executions ORDER BY client_order_id"
        };
        self.list("execution", sql, &[]).await
    }

    async fn upsert_position(&self, pos: &TrackedPosition) -> StoreResult<()> {
        self.write(vec![position_write(pos)?]).await.map(drop)
    }

    async fn position(&self, id: &str) -> StoreResult<Option<TrackedPosition>> {
        self.get("position", "SELECT data FROM positions WHERE id = $1", &id)
            .await
    }

    async fn positions(&self, active_only: bool) -> StoreResult<Vec<TrackedPosition>> {
        let sql = if active_only {
            "SELECT data FROM positions WHERE active ORDER BY id"
        } else {
            "SELECT data FROM positions ORDER BY id"
        };
        self.list("position", sql, &[]).await
    }

    async fn upsert_trade(&self, t: &TradeRecord) -> StoreResult<bool> {
        let n = self.write(vec![trade_write(t)?]).await?;
        Ok(n.first() == Some(&1))
    }

    /// One transaction for the whole batch (with the lease check when fenced), sent as one
    /// pipeline: two round trips.
    async fn write_batch(&self, writes: &[StoreWrite<'_>]) -> StoreResult<Vec<String>> {
        let mut stmts = Vec::with_capacity(writes.len());
        for w in writes {
            stmts.push(match *w {
                StoreWrite::Signal(r) => signal_write(r)?,
                StoreWrite::Execution(e) => execution_write(e)?,
                StoreWrite::Position(pos) => position_write(pos)?,
                StoreWrite::Trade(t) => trade_write(t)?,
            });
        }
        let counts = self.write(stmts).await?;
        Ok(writes
            .iter()
            .zip(counts)
            .filter_map(|(w, n)| match w {
                StoreWrite::Trade(t) if n == 1 => Some(t.id.clone()),
                _ => None,
            })
            .collect())
    }

    async fn trades(&self) -> StoreResult<Vec<TradeRecord>> {
        self.list("trade", "SELECT data FROM trades ORDER BY time, id", &[])
            .await
    }

    async fn upsert_daily_summary(&self, s: &DailySummary) -> StoreResult<()> {
        self.write(vec![Stmt::new(
            "INSERT INTO daily_summaries (date, strategy, data) VALUES ($1, $2, $3)
             ON CONFLICT (date, strategy) DO UPDATE SET data = excluded.data",
            vec![
                p(s.date),
                p(s.strategy.clone()),
                p(to_json("daily summary", s)?),
            ],
        )])
        .await
        .map(drop)
    }

    async fn daily_summaries(&self, date: NaiveDate) -> StoreResult<Vec<DailySummary>> {
        self.list(
            "daily summary",
            "SELECT data FROM daily_summaries WHERE date = $1 ORDER BY strategy",
            &[&date],
        )
        .await
    }

    async fn put_strategy_state(
        &self,
        strategy: &str,
        state: &serde_json::Value,
    ) -> StoreResult<()> {
        self.write(vec![Stmt::new(
            "INSERT INTO strategy_state (strategy, data) VALUES ($1, $2)
             ON CONFLICT (strategy) DO UPDATE SET data = excluded.data",
            vec![p(strategy.to_owned()), p(to_json("strategy state", state)?)],
        )])
        .await
        .map(drop)
    }

    async fn strategy_state(&self, strategy: &str) -> StoreResult<Option<serde_json::Value>> {
        self.get(
            "strategy state",
            "SELECT data FROM strategy_state WHERE strategy = $1",
            &strategy,
        )
        .await
    }

    fn records_events(&self) -> bool {
        self.keep_events
    }

    async fn record_event(&self, e: &EngineEvent) -> StoreResult<()> {
        if !self.keep_events {
            return Ok(());
        }
        let kind = to_json("event kind", &e.kind)?.trim_matches('"').to_owned();
        self.write(vec![Stmt::new(
            "INSERT INTO events (time, kind, strategy, symbol, data) VALUES ($1, $2, $3, $4, $5)",
            vec![
                p(e.time),
                p(kind),
                p(e.strategy.clone()),
                p(e.symbol.clone()),
                p(to_json("event", &e.detail)?),
            ],
        )])
        .await
        .map(drop)
    }

    fn may_send_orders(&self) -> StoreResult<()> {
        match &self.fence {
            Some(f) => f.check().map(drop),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PostgresOptions;

    #[test]
    fn tls_is_on_for_tcp_when_required_and_never_on_a_unix_socket() {
        use super::tls::Tls;
        let on = |c: &str| matches!(PostgresOptions::new(c).unwrap().tls, Tls::Verified(_));
        assert!(on("host=db.example.com dbname=trading sslmode=require"));
        assert!(on(
            "postgresql://bot@db.example.com/trading?sslmode=require"
        ));
        assert!(!on("host=10.0.0.5 dbname=trading"));
        assert!(!on("host=10.0.0.5 dbname=trading sslmode=disable"));
        assert!(!on("postgresql://bot@10.0.0.5/trading?sslmode=prefer"));
        // A unix socket carries no TLS: `require` there connects plainly, as libpq does.
        let unix =
            PostgresOptions::new("host=/run/postgresql dbname=trading sslmode=require").unwrap();
        assert!(matches!(unix.tls, Tls::Off));
        assert_eq!(
            unix.connect_config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Disable
        );
        // Roots added later are judged against the string as given (`require`), not the
        // plain connection derived for the socket.
        let unix = unix
            .with_tls_roots(vec![vec![0x30, 0x00].into()])
            .expect("a unix socket with roots stays plain");
        assert!(matches!(unix.tls, Tls::Off));
    }

    #[test]
    fn root_certificates_must_be_readable_pem_and_turn_tls_on() {
        let dir = tempfile::tempdir().unwrap();
        let missing = PostgresOptions::new("host=db.example.com")
            .unwrap()
            .tls_root_certificates(dir.path().join("none.pem"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("none.pem"), "{missing}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = PostgresOptions::new("host=db.example.com")
            .unwrap()
            .tls_root_certificates(&empty)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no CERTIFICATE"), "{err}");
    }

    #[test]
    fn a_malformed_connection_string_is_an_error_that_does_not_echo_it() {
        let err = PostgresOptions::new("host=db password='s3cret")
            .unwrap_err()
            .to_string();
        assert!(err.contains("database connection string"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[tokio::test]
    async fn a_lease_time_to_live_out_of_bounds_is_refused_before_connecting() {
        // Nothing listens there: the check must come first.
        let o = PostgresOptions::new("host=/nonexistent/socket-dir dbname=x").unwrap();
        for ttl in [
            std::time::Duration::from_millis(999),
            super::lease::MAX_TTL + std::time::Duration::from_secs(1),
            std::time::Duration::from_secs(u64::MAX),
        ] {
            let e = super::Lease::open(&o, "l", "h", ttl).await.unwrap_err();
            assert!(e.to_string().contains("lease ttl"), "{e}");
        }
    }
}
