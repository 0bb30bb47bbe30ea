//! Leader and standby: with `[database]` set, the accounts' stores are PostgreSQL schemas
//! shared by the daemons of several hosts, and one leader lease decides which daemon trades.
//!
//! - `start` opens the lease and the stores (fenced by the lease), then **stands by**: every
//!   `standby_poll_secs` it tries to take the lease and rewrites `status.json` with the leader
//!   it sees and the accounts' open positions as the stores hold them (its view stays current
//!   without trading).
//! - Once it holds the lease it **takes over**: the usual start (every account reconciled
//!   with its broker from the shared store, strategies warmed up) and the schedule, while the
//!   lease is renewed every third of its time to live.
//! - If the lease is lost (the database out of reach for longer than the lease, or the process
//!   paused past it) the daemon **stands down at once**: the step in progress is dropped (its
//!   writes are refused by the database anyway, and nothing is sent without them), the status
//!   says so, an alert goes out, and the process exits with status 1 for systemd to restart it
//!   as a standby. A clean stop (SIGTERM) releases the lease, so the standby takes over at
//!   its next poll instead of after the time to live.
//!
//! The one-shot commands that act on the accounts (`positions`, `close`, `execute`,
//! `monitor`) take the lease for their run, or are refused naming the daemon that holds it (as
//! a SQLite store refuses a second opener).

use super::Control;
use super::status::Status;
use crate::config::Config;
use alpaca_exec::exec::{Journal, JournaledStore};
use alpaca_exec::store::{
    ExecutionStore, FencingToken, Lease, LeaseHolder, PostgresOptions, default_holder,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The lease's name: one per daemon deployment (its schema prefix says which).
pub const LEASE_NAME: &str = "signal-daemon";

/// The lease and where the stores live.
pub struct Leadership {
    lease: Lease,
    base: PostgresOptions,
    poll: Duration,
}

/// One line on who leads.
pub fn describe(holder: Option<&LeaseHolder>) -> String {
    match holder {
        None => "nobody has led yet".into(),
        Some(h) if h.expired => format!(
            "nobody (the last leader, {}, token {}, let its lease expire at {})",
            h.holder,
            h.token,
            h.expires_at.to_rfc3339()
        ),
        Some(h) => format!(
            "{} (token {}, since {}, lease renewed {}, expires {})",
            h.holder,
            h.token,
            h.acquired_at.to_rfc3339(),
            h.renewed_at.to_rfc3339(),
            h.expires_at.to_rfc3339()
        ),
    }
}

impl Leadership {
    /// Opens the lease (nothing is taken yet).
    pub async fn open(cfg: &Config) -> Result<Self, String> {
        let db = &cfg.database;
        let mut base =
            PostgresOptions::new(db.url.trim()).map_err(|e| format!("database.url: {e}"))?;
        if !db.tls_root_certificates.trim().is_empty() {
            base = base
                .tls_root_certificates(db.tls_root_certificates.trim())
                .map_err(|e| format!("database.tls_root_certificates: {e}"))?;
        }
        let lease = Lease::open(
            &base.clone().schema(&db.schema_prefix),
            LEASE_NAME,
            &default_holder(),
            Duration::from_secs(db.lease_ttl_secs),
        )
        .await
        .map_err(|e| format!("database: {e}"))?;
        Ok(Self {
            lease,
            base,
            poll: Duration::from_secs(db.standby_poll_secs),
        })
    }

    /// This process's name as the lease's holder.
    pub fn holder_name(&self) -> &str {
        self.lease.holder_name()
    }

    /// Who leads, as the database says.
    pub async fn leader(&self) -> Result<Option<LeaseHolder>, String> {
        self.lease.holder().await.map_err(|e| e.to_string())
    }

    /// The store of each account, fenced by the lease and journaled on this host (the trade
    /// and event journals are files of the host that wrote them; the database is the record).
    pub async fn stores(
        &self,
        cfg: &Config,
        accounts: impl IntoIterator<Item = String>,
    ) -> Result<BTreeMap<String, Arc<dyn ExecutionStore>>, String> {
        let mut out = BTreeMap::new();
        for name in accounts {
            let opts = self
                .base
                .clone()
                .schema(&cfg.database.account_schema(&name))
                .fenced_by(&self.lease);
            let store = opts
                .open_or_create()
                .await
                .map_err(|e| format!("accounts.{name}: {e}"))?;
            let journal = Journal::new(cfg.paths.data_dir.join("journal").join(&name));
            out.insert(
                name,
                Arc::new(JournaledStore::new(store, journal)) as Arc<dyn ExecutionStore>,
            );
        }
        Ok(out)
    }

    /// Takes the lease now, or says who holds it: for a one-shot command.
    pub async fn take_now(&self) -> Result<FencingToken, String> {
        match self.lease.try_acquire().await.map_err(|e| e.to_string())? {
            Some(t) => Ok(t),
            None => Err(format!(
                "another daemon leads: {}; stop it first (as with a SQLite store in use)",
                describe(self.leader().await.ok().flatten().as_ref())
            )),
        }
    }

    /// Gives the lease up (a clean stop: the standby takes over at its next poll).
    pub async fn release(&self) {
        if let Err(e) = self.lease.release().await {
            tracing::warn!(error = %e, "lease not released; the standby takes over when it expires");
        }
    }

    /// Stands by until this process holds the lease (`Some(token)`), or a shutdown is asked
    /// for (`None`). Every poll rewrites `status_path` with the leader and the accounts' open
    /// positions read from `stores`.
    pub async fn stand_by(
        &self,
        stores: &BTreeMap<String, Arc<dyn ExecutionStore>>,
        status_path: &Path,
        control: &mut mpsc::UnboundedReceiver<Control>,
    ) -> Option<FencingToken> {
        let mut status = Status {
            pid: std::process::id(),
            state: "standby".into(),
            role: Some("standby".into()),
            ..Status::default()
        };
        tracing::info!(holder = self.holder_name(), "standing by");
        loop {
            match self.lease.try_acquire().await {
                Ok(Some(token)) => return Some(token),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "lease not reachable; still standing by"),
            }
            let leader = self.leader().await;
            status.leader = Some(match &leader {
                Ok(h) => describe(h.as_ref()),
                Err(e) => format!("unknown: {e}"),
            });
            for (name, store) in stores {
                let a = status.accounts.entry(name.clone()).or_default();
                match store.positions(true).await {
                    Ok(p) => {
                        a.open_positions = p.len();
                        a.error = None;
                    }
                    Err(e) => a.error = Some(e.to_string()),
                }
                match super::status::attention(store.as_ref()).await {
                    Ok((lines, n)) => (a.needs_attention, a.unconfirmed) = (lines, n),
                    Err(e) => a.error = Some(e.to_string()),
                }
            }
            status.updated_at = Some(chrono::Utc::now());
            if let Err(e) = status.write(status_path) {
                tracing::warn!(error = %e, "status not written");
            }
            tokio::select! {
                c = control.recv() => {
                    if matches!(c, Some(Control::Shutdown) | None) {
                        return None;
                    }
                }
                () = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// Renews the lease until it is lost; returns why.
    pub async fn hold(&self) -> String {
        self.lease.hold().await.to_string()
    }
}
