//! `[database]`: PostgreSQL instead of one SQLite file per account, so that a leader and a
//! standby on two hosts share the stores (see `docs/deployment-ha.md`).

use super::{ConfigError, err};
use alpaca_exec::store::valid_schema_name;
use serde::Deserialize;

/// Where the stores live, and how leader and standby share them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// PostgreSQL connection string (`postgresql://bot@db.internal/trading` or
    /// `host=... dbname=...`); empty (the default) keeps the SQLite files in `data_dir`. Set
    /// it with SIGNAL_DATABASE_URL rather than in the file when it holds a password.
    pub url: String,
    /// Each account's store is the schema `<prefix>_<account>`; the lease lives in `<prefix>`.
    pub schema_prefix: String,
    /// The lease's time to live: a standby takes over at most this long (plus its poll) after
    /// the leader dies or loses the database.
    pub lease_ttl_secs: u64,
    /// How often a standby tries to take the lease.
    pub standby_poll_secs: u64,
    /// A PEM file of CA certificates to trust for the server's certificate besides the
    /// system's (a managed service's own CA); empty for none. Given, connections are TLS and
    /// verified, as with `sslmode=require` in the URL.
    pub tls_root_certificates: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            schema_prefix: "signal_daemon".into(),
            lease_ttl_secs: 15,
            standby_poll_secs: 1,
            tls_root_certificates: String::new(),
        }
    }
}

impl DatabaseConfig {
    /// Whether the stores are in PostgreSQL.
    pub fn enabled(&self) -> bool {
        !self.url.trim().is_empty()
    }

    /// The schema of `account`'s store.
    pub fn account_schema(&self, account: &str) -> String {
        format!("{}_{}", self.schema_prefix, account.to_ascii_lowercase())
    }

    /// The password inside the connection string, if any (to keep out of logs and files).
    pub fn password(&self) -> Option<String> {
        let url = self.url.trim();
        if let Ok(u) = url::Url::parse(url)
            && let Some(p) = u.password()
        {
            return Some(p.to_owned());
        }
        url.split_whitespace()
            .find_map(|kv| kv.strip_prefix("password="))
            .map(|p| p.trim_matches('\'').to_owned())
            .filter(|p| !p.is_empty())
    }

    /// Checks the section against the accounts that will have a store.
    pub fn validate<'a>(
        &self,
        accounts: impl Iterator<Item = &'a String>,
    ) -> Result<(), ConfigError> {
        if !self.enabled() {
            return Ok(());
        }
        if !valid_schema_name(&self.schema_prefix) {
            return err(format!(
                "database.schema_prefix {:?}: use lower-case letters, digits and _ (not starting \
                 with a digit or pg_)",
                self.schema_prefix
            ));
        }
        for a in accounts {
            let s = self.account_schema(a);
            if !valid_schema_name(&s) {
                return err(format!(
                    "accounts.{a}: its store would be the schema {s:?}, which PostgreSQL names \
                     cannot be here: use letters, digits and _ in account names"
                ));
            }
        }
        if !(3..=86_400).contains(&self.lease_ttl_secs) {
            return err("database.lease_ttl_secs must be between 3 and 86400 (a day)");
        }
        if self.standby_poll_secs == 0 || self.standby_poll_secs >= self.lease_ttl_secs {
            return err("database.standby_poll_secs must be at least 1 and below lease_ttl_secs");
        }
        let roots = self.tls_root_certificates.trim();
        if !roots.is_empty() && !std::path::Path::new(roots).is_file() {
            return err(format!(
                "database.tls_root_certificates {roots:?}: no such file (a PEM file of CA \
                 certificates)"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_and_checked_when_on() {
        let d = DatabaseConfig::default();
        assert!(!d.enabled());
        let accounts = ["equity".to_owned(), "options".to_owned()];
        assert!(d.validate(accounts.iter()).is_ok());
        let on = DatabaseConfig {
            url: "postgresql://bot:hunter2@db/trading".into(),
            ..d.clone()
        };
        assert!(on.validate(accounts.iter()).is_ok());
        assert_eq!(on.password().as_deref(), Some("hunter2"));
        assert_eq!(on.account_schema("equity"), "signal_daemon_equity");
        let kv = DatabaseConfig {
            url: "host=db dbname=trading password=s3cret".into(),
            ..d.clone()
        };
        assert_eq!(kv.password().as_deref(), Some("s3cret"));
        for (bad, want) in [
            (
                DatabaseConfig {
                    schema_prefix: "Bad-Prefix".into(),
                    ..on.clone()
                },
                "schema_prefix",
            ),
            (
                DatabaseConfig {
                    lease_ttl_secs: 2,
                    ..on.clone()
                },
                "lease_ttl_secs",
            ),
            (
                DatabaseConfig {
                    standby_poll_secs: 15,
                    ..on.clone()
                },
                "standby_poll_secs",
            ),
        ] {
            let e = bad.validate(accounts.iter()).unwrap_err();
            assert!(e.0.contains(want), "{e}");
        }
        let e = on.validate(["has space".to_owned()].iter()).unwrap_err();
        assert!(e.0.contains("accounts.has space"), "{e}");
    }

    #[test]
    fn a_tls_root_file_must_exist() {
        let accounts = ["equity".to_owned()];
        let on = DatabaseConfig {
            url: "postgresql://bot@db.example.com/trading?sslmode=require".into(),
            tls_root_certificates: "/nonexistent/db-ca.pem".into(),
            ..DatabaseConfig::default()
        };
        let e = on.validate(accounts.iter()).unwrap_err().to_string();
        assert!(e.contains("database.tls_root_certificates"), "{e}");
        let file = tempfile::NamedTempFile::new().unwrap();
        let ok = DatabaseConfig {
            tls_root_certificates: file.path().display().to_string(),
            ..on
        };
        assert!(ok.validate(accounts.iter()).is_ok());
    }
}
