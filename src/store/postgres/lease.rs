//! The leader lease and its fence; see [`Lease`].

use super::super::{StoreError, StoreResult};
use super::conn::{Session, pg_error};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The table of leases (created by [`Lease::open`] if absent).
pub(crate) const LEASE_TABLE: &str = "alpaca_exec_leases";

/// The longest time to live `Lease::open` accepts: one day.
pub(crate) const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// A fencing token: it grows by one with every change of holder.
pub type FencingToken = i64;

/// What this process believes of its lease: the token, and until when (by its own monotonic
/// clock) it may trust it.
#[derive(Debug, Clone, Copy)]
struct Held {
    token: FencingToken,
    trusted_until: Instant,
}

#[derive(Debug)]
struct FenceState {
    schema: String,
    ttl: Duration,
    name: String,
    holder: String,
    held: Mutex<Option<Held>>,
}

/// The lease as the store sees it: cheap to clone, shared with the [`Lease`] that renews it.
#[derive(Debug, Clone)]
pub struct Fence(Arc<FenceState>);

impl Fence {
    fn held(&self) -> Option<Held> {
        *self.0.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, held: Option<Held>) {
        *self.0.held.lock().unwrap_or_else(|p| p.into_inner()) = held;
    }

    /// The token, while this process may trust that it holds the lease; otherwise
    /// [`StoreError::Fenced`] saying why. Answers from the local clock only.
    pub fn check(&self) -> StoreResult<FencingToken> {
        match self.held() {
            None => Err(StoreError::Fenced(format!(
                "{} does not hold the lease {:?}",
                self.0.holder, self.0.name
            ))),
            Some(h) if Instant::now() >= h.trusted_until => Err(StoreError::Fenced(format!(
                "{}'s lease {:?} (token {}) was not renewed in time and may be held by another \
                 process now",
                self.0.holder, self.0.name, h.token
            ))),
            Some(h) => Ok(h.token),
        }
    }

    /// The query a fenced write runs in its transaction: a row only while the lease is held
    /// with `token` and has not expired, locked until the transaction ends.
    pub(crate) fn check_sql(&self) -> String {
        format!(
            "SELECT 1 FROM \"{}\".{LEASE_TABLE} WHERE name = $1 AND holder = $2 AND token = $3 \
             AND expires_at > clock_timestamp() FOR SHARE",
            self.0.schema
        )
    }

    pub(crate) fn name(&self) -> &str {
        &self.0.name
    }

    pub(crate) fn schema(&self) -> &str {
        &self.0.schema
    }

    pub(crate) fn ttl(&self) -> Duration {
        self.0.ttl
    }

    pub(crate) fn holder(&self) -> &str {
        &self.0.holder
    }

    /// The error of a write the database refused.
    pub(crate) fn refused(&self, token: FencingToken) -> StoreError {
        StoreError::Fenced(format!(
            "the database refused the write: {} no longer holds the lease {:?} with token \
             {token} (it expired or another process took it over)",
            self.0.holder, self.0.name
        ))
    }
}

/// Who holds a lease, as the database says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    /// The holder's name (by default `host:pid:nonce`).
    pub holder: String,
    /// Its fencing token.
    pub token: FencingToken,
    /// When it took the lease.
    pub acquired_at: DateTime<Utc>,
    /// When it last renewed it.
    pub renewed_at: DateTime<Utc>,
    /// When the lease expires unless renewed (database time).
    pub expires_at: DateTime<Utc>,
    /// Whether it had expired when read (then anyone may take it).
    pub expired: bool,
}

/// Why [`Lease::hold`] returned: this process no longer leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseLost(pub String);

impl std::fmt::Display for LeaseLost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The leader lease: which of several processes sharing one database may trade, and the
/// fencing token that makes the store refuse the writes of any other.
///
/// A lease is a row of `alpaca_exec_leases` (in a schema of the caller's choice): its name, its
/// holder, a fencing token, and an expiry in the **database's** time, so the hosts' clocks play
/// no part. A process takes the lease when it is free or expired, which adds one to the token;
/// the holder renews it every third of its time to live; nobody else can take it before it
/// expires.
///
/// Every write of a store [fenced](super::PostgresOptions::fenced_by) by the lease runs in one
/// transaction with a check that the lease row still names this holder and token and has not
/// expired, taking a share lock on the row: the write commits only while the lease is held, and
/// a takeover (which updates the row) waits for it to commit, so whatever a leader wrote is
/// there before the next leader reads. The executor writes every order before sending it, so a
/// leader that was paused (SIGSTOP, a long GC pause, a network partition) and wakes after
/// losing the lease cannot write the order, and so cannot send it.
///
/// Before sending, the executor also asks [`Fence::check`] (through
/// [`ExecutionStore::may_send_orders`](crate::store::ExecutionStore::may_send_orders)), which
/// answers from this process's monotonic clock, without the database: the lease is taken as
/// lost a tenth of its time to live before the database would let another process take it.
///
/// What remains, and why it cannot place a second order: a leader paused between its last
/// check and the moment the order leaves the socket sends an order whose execution the next
/// leader already holds (it was written first), under the same client order id, which Alpaca
/// refuses to accept twice. The next leader settles it by that id like any order whose answer
/// was lost.
#[derive(Debug)]
pub struct Lease {
    session: Session,
    fence: Fence,
    ttl: Duration,
}

/// The default holder name: this host, this process, and a nonce (a restarted process with
/// the same pid is another holder).
pub fn default_holder() -> String {
    format!(
        "{}:{}:{:08x}",
        super::super::lock::hostname(),
        std::process::id(),
        fastrand::u32(..)
    )
}

impl Lease {
    /// Opens the lease `name` in `schema` (the table is created there if absent) for `holder`,
    /// with time to live `ttl` (at least one second, at most one day). Nothing is acquired yet.
    pub async fn open(
        options: &super::PostgresOptions,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<Lease> {
        // The upper bound keeps the clock arithmetic below (instants plus the ttl) far from
        // overflow whatever a configuration says; a lease of more than a day would also make
        // a takeover pointless.
        if ttl < Duration::from_secs(1) || ttl > MAX_TTL {
            return Err(StoreError::Backend(format!(
                "lease ttl {ttl:?}: at least one second and at most {MAX_TTL:?}"
            )));
        }
        if name.is_empty() || holder.is_empty() {
            return Err(StoreError::Backend(
                "a lease needs a name and a holder".into(),
            ));
        }
        let schema = options.schema_name().to_owned();
        // A lease request waits at most a few seconds for a row lock (a leader's write
        // transaction holds one for milliseconds), so a standby's poll never hangs.
        let lock_wait = (ttl / 4).min(Duration::from_secs(2));
        let session = options.session(
            format!(
                "SET lock_timeout = '{}ms'; SET idle_in_transaction_session_timeout = '{}ms'",
                lock_wait.as_millis(),
                (ttl / 2).as_millis()
            ),
            None,
            false,
        );
        {
            let mut g = session.get().await?;
            g.begin().await?;
            let r = async {
                g.query(
                    "SELECT pg_advisory_xact_lock(hashtextextended('alpaca-exec lease table ' || $1, 0))",
                    &[&schema],
                )
                .await?;
                g.batch(&format!(
                    "CREATE SCHEMA IF NOT EXISTS \"{schema}\";
                     CREATE TABLE IF NOT EXISTS \"{schema}\".{LEASE_TABLE} (
                        name text PRIMARY KEY, holder text NOT NULL, token bigint NOT NULL,
                        acquired_at timestamptz NOT NULL, renewed_at timestamptz NOT NULL,
                        expires_at timestamptz NOT NULL)"
                ))
                .await?;
                // A table of that name made by something else is not ours to use.
                let cols = g
                    .query(
                        "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1
                           AND table_name = $2 AND column_name IN
                           ('name', 'holder', 'token', 'acquired_at', 'renewed_at', 'expires_at')",
                        &[&schema, &LEASE_TABLE],
                    )
                    .await?;
                let n: i64 = cols.first().map(|r| r.get(0)).unwrap_or(0);
                if n != 6 {
                    return Err(StoreError::Corrupt {
                        path: options.place(),
                        detail: format!(
                            "{schema}.{LEASE_TABLE} exists but is not a lease table of this \
                             crate; left untouched"
                        ),
                    });
                }
                Ok(())
            }
            .await;
            match r {
                Ok(()) => g.commit().await?,
                Err(e) => {
                    g.rollback().await;
                    return Err(e);
                }
            }
        }
        Ok(Lease {
            session,
            fence: Fence(Arc::new(FenceState {
                schema,
                ttl,
                name: name.to_owned(),
                holder: holder.to_owned(),
                held: Mutex::new(None),
            })),
            ttl,
        })
    }

    /// The fence a store checks its writes against.
    pub fn fence(&self) -> Fence {
        self.fence.clone()
    }

    /// The time to live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// This process's name as holder.
    pub fn holder_name(&self) -> &str {
        self.fence.holder()
    }

    /// The token while this process may trust that it holds the lease.
    pub fn token(&self) -> Option<FencingToken> {
        self.fence.check().ok()
    }

    /// How long before the database's expiry this process stops trusting its lease.
    fn margin(&self) -> Duration {
        self.ttl / 10
    }

    /// Takes the lease if it is free or expired (a new token), or renews it if this process
    /// holds it. `Some(token)` when held now; `None` when another process holds it (or a
    /// leader's write held its row past the lock wait: try again later).
    pub async fn try_acquire(&self) -> StoreResult<Option<FencingToken>> {
        if self.fence.held().is_some() && self.renew().await? {
            return Ok(self.token());
        }
        let sent = Instant::now();
        let ttl_ms = self.ttl_ms();
        let sql = format!(
            "INSERT INTO \"{schema}\".{LEASE_TABLE} AS l
                 (name, holder, token, acquired_at, renewed_at, expires_at)
             VALUES ($1, $2, 1, clock_timestamp(), clock_timestamp(),
                     clock_timestamp() + $3::float8 * interval '1 millisecond')
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = l.token + 1,
                 acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at,
                 expires_at = excluded.expires_at
             WHERE l.expires_at <= clock_timestamp()
             RETURNING token",
            schema = self.fence.0.schema
        );
        let mut g = self.session.get().await?;
        let rows = match g
            .query(&sql, &[&self.fence.name(), &self.fence.holder(), &ttl_ms])
            .await
        {
            Ok(rows) => rows,
            Err(e) if is_lock_timeout(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let token: FencingToken = row.try_get(0).map_err(|e| pg_error(&e))?;
        self.fence.set(Some(Held {
            token,
            trusted_until: sent + self.ttl - self.margin(),
        }));
        tracing::info!(
            lease = self.fence.name(),
            holder = self.fence.holder(),
            token,
            "lease acquired"
        );
        Ok(Some(token))
    }

    fn ttl_ms(&self) -> f64 {
        self.ttl.as_millis() as f64
    }

    /// Extends the lease this process holds; `false` (and the lease dropped locally) when it is
    /// no longer this process's. A database error leaves the local lease as it was: it stays
    /// trusted until its deadline.
    pub async fn renew(&self) -> StoreResult<bool> {
        let Some(held) = self.fence.held() else {
            return Ok(false);
        };
        let sent = Instant::now();
        let sql = format!(
            "UPDATE \"{}\".{LEASE_TABLE} SET renewed_at = clock_timestamp(),
                 expires_at = clock_timestamp() + $4::float8 * interval '1 millisecond'
             WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > clock_timestamp()",
            self.fence.0.schema
        );
        let mut g = self.session.get().await?;
        let n = g
            .execute(
                &sql,
                &[
                    &self.fence.name(),
                    &self.fence.holder(),
                    &held.token,
                    &self.ttl_ms(),
                ],
            )
            .await?;
        if n == 1 {
            self.fence.set(Some(Held {
                token: held.token,
                trusted_until: sent + self.ttl - self.margin(),
            }));
            Ok(true)
        } else {
            self.fence.set(None);
            tracing::warn!(lease = self.fence.name(), token = held.token, "lease lost");
            Ok(false)
        }
    }

    /// Gives the lease up (a clean shutdown), so a standby takes over at its next poll instead
    /// of after the expiry. Stops trusting it locally first.
    pub async fn release(&self) -> StoreResult<()> {
        let Some(held) = self.fence.held() else {
            return Ok(());
        };
        self.fence.set(None);
        let sql = format!(
            "UPDATE \"{}\".{LEASE_TABLE} SET expires_at = clock_timestamp()
             WHERE name = $1 AND holder = $2 AND token = $3",
            self.fence.0.schema
        );
        self.session
            .get()
            .await?
            .execute(
                &sql,
                &[&self.fence.name(), &self.fence.holder(), &held.token],
            )
            .await?;
        Ok(())
    }

    /// Who holds the lease now (the database's answer), if anyone ever took it.
    pub async fn holder(&self) -> StoreResult<Option<LeaseHolder>> {
        read_holder(&self.session, &self.fence.0.schema, self.fence.name()).await
    }

    /// Renews the lease every third of its time to live until it is lost: taken over, expired,
    /// or the database unreachable until this process can no longer trust it. Returns why.
    /// Run it beside the work the lease guards, and stop that work when it returns.
    pub async fn hold(&self) -> LeaseLost {
        let every = self.ttl / 3;
        let retry = (self.ttl / 20).max(Duration::from_millis(50));
        let mut next = tokio::time::Instant::now() + every;
        loop {
            let Some(held) = self.fence.held() else {
                return LeaseLost(format!("{} does not hold the lease", self.fence.holder()));
            };
            let deadline = tokio::time::Instant::from_std(held.trusted_until);
            tokio::time::sleep_until(next.min(deadline)).await;
            if Instant::now() >= held.trusted_until {
                self.fence.set(None);
                return LeaseLost(format!(
                    "lease {:?} (token {}) could not be renewed before it ran out",
                    self.fence.name(),
                    held.token
                ));
            }
            match self.renew().await {
                Ok(true) => next = tokio::time::Instant::now() + every,
                Ok(false) => {
                    return LeaseLost(format!(
                        "lease {:?} (token {}) expired or was taken over",
                        self.fence.name(),
                        held.token
                    ));
                }
                Err(e) => {
                    tracing::warn!(lease = self.fence.name(), error = %e, "lease not renewed; trying again");
                    next = tokio::time::Instant::now() + retry;
                }
            }
        }
    }
}

/// The lease row `name` in `schema`.
pub(crate) async fn read_holder(
    session: &Session,
    schema: &str,
    name: &str,
) -> StoreResult<Option<LeaseHolder>> {
    let sql = format!(
        "SELECT holder, token, acquired_at, renewed_at, expires_at,
                expires_at <= clock_timestamp()
           FROM \"{schema}\".{LEASE_TABLE} WHERE name = $1"
    );
    let rows = session.get().await?.query(&sql, &[&name]).await?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let get = |e: tokio_postgres::Error| pg_error(&e);
    Ok(Some(LeaseHolder {
        holder: r.try_get(0).map_err(get)?,
        token: r.try_get(1).map_err(get)?,
        acquired_at: r.try_get(2).map_err(get)?,
        renewed_at: r.try_get(3).map_err(get)?,
        expires_at: r.try_get(4).map_err(get)?,
        expired: r.try_get(5).map_err(get)?,
    }))
}

fn is_lock_timeout(e: &StoreError) -> bool {
    matches!(e, StoreError::Backend(m) if m.contains("SQLSTATE 55P03"))
}
