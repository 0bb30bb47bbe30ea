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
