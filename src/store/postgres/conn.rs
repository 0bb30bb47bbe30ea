//! One connection to the server, opened on first use and again after it breaks, with a cache of
//! prepared statements and a cap on every wait.
//!
//! A [`Session`] hands out its connection to one caller at a time ([`Guard`]). Every call on the
//! guard is bounded by the session's timeout; a call that times out or finds the connection
//! broken drops the connection (its state is unknown), and the next caller connects afresh. A
//! caller whose future is dropped in the middle of a transaction leaves the connection marked
//! as such, and the next caller discards it rather than run inside that transaction: the server
//! rolls back what it had when the socket closes.

use super::super::{StoreError, StoreResult};
use futures_util::future::join_all;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row, Socket, Statement};

/// A parameter of a statement.
pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

/// A statement and its parameters, for a pipelined transaction.
pub(crate) struct Stmt {
    pub sql: String,
    pub params: Vec<Param>,
}

impl Stmt {
    pub fn new(sql: impl Into<String>, params: Vec<Param>) -> Self {
        Self {
            sql: sql.into(),
            params,
        }
    }
}

/// An open connection.
pub(crate) struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// Set while a transaction is open. A connection found with it set was left by a caller
    /// whose future was dropped mid-transaction: it is discarded, never reused.
    in_tx: bool,
}

/// Runs after connecting (session settings, taking a lock); its error fails the connection.
pub(crate) type Setup =
    Box<dyn Fn(&Client) -> futures_util::future::BoxFuture<'_, StoreResult<()>> + Send + Sync>;

/// A lazily (re)connected connection shared by the calls of one store or lease.
pub(crate) struct Session {
    config: Config,
    tls: super::tls::Tls,
    /// Session settings sent once per connection.
    settings: String,
    setup: Option<Setup>,
    timeout: Duration,
    conn: Mutex<Option<Conn>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// The server's message with its SQLSTATE code, or the client's error.
pub(crate) fn pg_error(e: &tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::Backend(format!(
            "{} (SQLSTATE {}){}",
            db.message(),
            db.code().code(),
            db.detail().map(|d| format!(": {d}")).unwrap_or_default()
        )),
        // The client's own errors keep their cause apart ("error performing TLS handshake"
        // says nothing of the certificate): the whole chain is the message.
        None => StoreError::Backend(crate::error::error_chain(e)),
    }
}

impl Session {
    pub fn new(
        config: Config,
        tls: super::tls::Tls,
        settings: String,
        setup: Option<Setup>,
        timeout: Duration,
    ) -> Self {
        Self {
            config,
            tls,
            settings,
            setup,
            timeout,
            conn: Mutex::new(None),
        }
    }

    /// The connection, opened if there is none (or the last one broke).
    pub async fn get(&self) -> StoreResult<Guard<'_>> {
        let mut slot = self.conn.lock().await;
        let usable = slot
            .as_ref()
            .is_some_and(|c| !c.in_tx && !c.client.is_closed());
        if !usable {
            *slot = None;
            *slot = Some(self.connect().await?);
        }
        Ok(Guard {
            slot,
            timeout: self.timeout,
        })
    }

    /// Drops the connection (the server ends its session: locks it held are released).
    pub async fn close(&self) {
        *self.conn.lock().await = None;
    }

    async fn connect(&self) -> StoreResult<Conn> {
        let connect = async {
            let client = match &self.tls {
                super::tls::Tls::Off => open(&self.config, NoTls).await?,
                super::tls::Tls::Verified(make) => open(&self.config, make.clone()).await?,
            };
            client
                .batch_execute(&self.settings)
                .await
                .map_err(|e| pg_error(&e))?;
            if let Some(setup) = &self.setup {
                setup(&client).await?;
            }
            Ok(Conn {
                client,
                statements: HashMap::new(),
                in_tx: false,
            })
        };
        match tokio::time::timeout(self.timeout, connect).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Backend(format!(
                "could not connect to the database within {:?}",
                self.timeout
            ))),
        }
    }
}

/// Connects with `tls` and drives the connection in a task of its own.
async fn open<T>(config: &Config, tls: T) -> StoreResult<Client>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await.map_err(|e| pg_error(&e))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "postgres connection ended");
        }
    });
    Ok(client)
}

/// The session's connection, held by one caller.
pub(crate) struct Guard<'a> {
    slot: MutexGuard<'a, Option<Conn>>,
    timeout: Duration,
}

/// A failed call: the error, and whether the connection is to be dropped.
type Failed = (StoreError, bool);

/// Runs `fut` within `timeout`. A timeout or a client-side failure (the connection broke)
/// means the connection's state is unknown: it is to be dropped.
async fn timed<T>(
    timeout: Duration,
    what: &str,
    fut: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, Failed> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err((pg_error(&e), e.as_db_error().is_none())),
        Err(_) => Err((
            StoreError::Backend(format!(
                "{what}: no answer from the database within {timeout:?}"
            )),
            true,
        )),
    }
}

impl Guard<'_> {
    fn conn(&mut self) -> StoreResult<&mut Conn> {
        self.slot
            .as_mut()
            .ok_or_else(|| backend("the database connection was lost during this operation"))
    }

    /// Turns a call's outcome into the store's, dropping the connection when it must go.
    fn settle<T>(&mut self, r: Result<T, Failed>) -> StoreResult<T> {
        r.map_err(|(e, drop)| {
            if drop {
                *self.slot = None;
            }
            e
        })
    }

    async fn prepared(&mut self, sql: &str) -> StoreResult<Statement> {
        let timeout = self.timeout;
        let conn = self.conn()?;
        if let Some(s) = conn.statements.get(sql) {
            return Ok(s.clone());
        }
        let r = timed(timeout, "prepare", conn.client.prepare(sql)).await;
        let s = self.settle(r)?;
        self.conn()?.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    /// Rows of a query.
    pub async fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Row>> {
        let stmt = self.prepared(sql).await?;
        let timeout = self.timeout;
        let conn = self.conn()?;
        let r = timed(timeout, "query", conn.client.query(&stmt, params)).await;
        self.settle(r)
    }

    /// Rows changed by a statement.
    pub async fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<u64> {
        let stmt = self.prepared(sql).await?;
        let timeout = self.timeout;
        let conn = self.conn()?;
        let r = timed(timeout, "execute", conn.client.execute(&stmt, params)).await;
        self.settle(r)
    }

    /// Statements without parameters (DDL, settings), as one simple query.
    pub async fn batch(&mut self, sql: &str) -> StoreResult<()> {
        let timeout = self.timeout;
        let conn = self.conn()?;
        let r = timed(timeout, "batch", conn.client.batch_execute(sql)).await;
        self.settle(r)
    }

    /// Opens a transaction; [`Guard::commit`] or [`Guard::rollback`] must follow.
    pub async fn begin(&mut self) -> StoreResult<()> {
        self.conn()?.in_tx = true;
        self.batch("BEGIN").await
    }

    /// Commits the open transaction.
    pub async fn commit(&mut self) -> StoreResult<()> {
        self.batch("COMMIT").await?;
        self.conn()?.in_tx = false;
        Ok(())
    }

    /// Rolls the open transaction back; a failure drops the connection (which rolls back too).
    pub async fn rollback(&mut self) {
        if self.batch("ROLLBACK").await.is_err() {
            *self.slot = None;
        } else if let Ok(c) = self.conn() {
            c.in_tx = false;
        }
    }

    /// One transaction, sent as one pipeline: `BEGIN`, `check` (a query that must return a row,
    /// or the transaction is rolled back with `refused()`'s error), every statement of
    /// `writes` in order, then `COMMIT` once they all succeeded. Two round trips whatever the
    /// number of statements. Returns the rows each write changed.
    pub async fn transaction(
        &mut self,
        check: Option<&Stmt>,
        writes: &[Stmt],
        refused: impl FnOnce() -> StoreError,
    ) -> StoreResult<Vec<u64>> {
        let check_stmt = match check {
            Some(c) => Some((self.prepared(&c.sql).await?, c)),
            None => None,
        };
        let mut stmts = Vec::with_capacity(writes.len());
        for w in writes {
            stmts.push(self.prepared(&w.sql).await?);
        }
        let timeout = self.timeout;
        let conn = self.conn()?;
        conn.in_tx = true;
        let client = &conn.client;
        let pipeline = async {
            // Each request is queued when its future is first polled, and `join!` polls in
            // order: the server receives BEGIN, the check, then the writes, in this order.
            let begin = client.batch_execute("BEGIN");
            let checked = async {
                match &check_stmt {
                    Some((s, c)) => client
                        .query(s, &params(&c.params))
                        .await
                        .map(|rows| !rows.is_empty()),
                    None => Ok(true),
                }
            };
            let written = join_all(
                stmts
                    .iter()
                    .zip(writes)
                    .map(|(s, w)| async move { client.execute(s, &params(&w.params)).await }),
            );
            let (b, c, w) = futures_util::future::join3(begin, checked, written).await;
            Ok((b, c, w))
        };
        let r = timed(timeout, "transaction", pipeline).await;
        let (begin, checked, written) = self.settle(r)?;
        let outcome = begin.and(checked).and_then(|ok| {
            let counts: Result<Vec<u64>, _> = written.into_iter().collect();
            counts.map(|c| (ok, c))
        });
        match outcome {
            Ok((true, counts)) => {
                self.commit().await?;
                Ok(counts)
            }
            Ok((false, _)) => {
                self.rollback().await;
                Err(refused())
            }
            Err(e) => {
                self.rollback().await;
                Err(pg_error(&e))
            }
        }
    }
}

/// Borrowed parameters, as tokio-postgres takes them.
fn params(owned: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    owned
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}
