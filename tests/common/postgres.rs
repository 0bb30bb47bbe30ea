//! The PostgreSQL server the `postgres` feature's tests and benches run against.
//!
//! `ALPACA_EXEC_PG_URL` names one (`.ci/run` starts a throwaway cluster and sets it). Without
//! it, the first test that needs a server starts one for this process the same way, with
//! `.ci/pg-cluster` (initdb into a temporary directory, the server on a unix socket there), and
//! stops it when the process exits. With neither the variable nor PostgreSQL's binaries the
//! tests fail, saying so: they never pass without having run.
//!
//! Each caller gets its own schema (`t_<pid>_<n>`), so tests run in parallel on one server
//! and never see each other's stores.

#![allow(dead_code)]

use alpaca_exec::store::PostgresOptions;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the server.
pub const PG_URL: &str = "ALPACA_EXEC_PG_URL";

static CLUSTER: OnceLock<PathBuf> = OnceLock::new();
static URL: OnceLock<String> = OnceLock::new();

/// `.ci/pg-cluster`, found from the package being tested upwards (the daemon's tests run from
/// `examples/signal_daemon`).
fn script() -> PathBuf {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    loop {
        let s = dir.join(".ci").join("pg-cluster");
        if s.exists() {
            return s;
        }
        assert!(
            dir.pop(),
            "no .ci/pg-cluster above {}",
            env!("CARGO_MANIFEST_DIR")
        );
    }
}

extern "C" fn stop_cluster() {
    if let Some(dir) = CLUSTER.get() {
        let _ = std::process::Command::new(script())
            .arg("stop")
            .arg(dir)
            .status();
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The server's connection string (starting a cluster for this process if none is named).
pub fn url() -> String {
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var(PG_URL) {
            return url;
        }
        let dir = std::env::temp_dir().join(format!("alpaca-exec-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let out = std::process::Command::new(script())
            .arg("start")
            .arg(&dir)
            .output()
            .expect("run .ci/pg-cluster");
        assert!(
            out.status.success(),
            "the PostgreSQL tests need a server: set {PG_URL} to a connection string (e.g. \
             \"host=/run/postgresql user=postgres dbname=postgres\"), or install PostgreSQL's \
             binaries (or point PG_BIN at them) so the tests can start a throwaway cluster.\n\
             .ci/pg-cluster said: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        CLUSTER.set(dir).expect("set once");
        // SAFETY: registering a plain `extern "C" fn` with no captured state.
        unsafe {
            libc::atexit(stop_cluster);
        }
        String::from_utf8(out.stdout)
            .expect("utf-8 connection string")
            .trim()
            .to_owned()
    })
    .clone()
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A schema name no other test (in this process or another) uses.
pub fn fresh_schema() -> String {
    format!(
        "t_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst),
        fastrand::u32(..)
    )
}

/// Options for a fresh schema on the test server.
pub fn options() -> PostgresOptions {
    PostgresOptions::new(&url())
        .expect("the test server's connection string")
        .schema(&fresh_schema())
}

/// Runs SQL on the test server outside any store (to damage a store, to look at locks).
pub async fn sql(statements: &str) {
    let (client, conn) = tokio_postgres::connect(&url(), tokio_postgres::NoTls)
        .await
        .expect("connect to the test server");
    let task = tokio::spawn(conn);
    client
        .batch_execute(statements)
        .await
        .unwrap_or_else(|e| panic!("{statements}: {e}"));
    drop(client);
    let _ = task.await;
}

/// A throwaway server that takes TCP connections over TLS only (`.ci/pg-cluster start-tls`),
/// for the TLS tests; stopped and removed when dropped. Always started by the test itself (a
/// server named by `ALPACA_EXEC_PG_URL` has no certificate the test knows).
pub struct TlsCluster {
    dir: tempfile::TempDir,
    port: u16,
    url: String,
}

impl TlsCluster {
    /// Starts one on a free port of 127.0.0.1.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        // As root the cluster runs as the postgres user, who must get through the directory.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let out = std::process::Command::new(script())
            .arg("start-tls")
            .arg(dir.path().join("cluster"))
            .arg(port.to_string())
            .output()
            .expect("run .ci/pg-cluster");
        assert!(
            out.status.success(),
            "the TLS test starts its own PostgreSQL with a throwaway certificate: it needs \
             PostgreSQL's binaries (or PG_BIN) and openssl.\n.ci/pg-cluster said: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8(out.stdout)
            .expect("utf-8 connection string")
            .trim()
            .to_owned();
        Self { dir, port, url }
    }

    /// Its TCP connection string (`host=127.0.0.1 port=...`), without `sslmode`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The PEM of the CA that signed the server's certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("cluster").join("tls").join("ca.pem")
    }
}

impl Drop for TlsCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(script())
            .arg("stop")
            .arg(self.dir.path().join("cluster"))
            .status();
    }
}
