//! Crash safety: a child process (this test binary, re-executed) runs the executor against the
//! parent's fake Alpaca with a SQLite store and kills itself with SIGKILL at a failpoint; the
//! parent restarts the executor on the same store and checks that exactly one order exists at
//! the broker and that the store agrees.

use crate::common::{KEY, SECRET, fast_retry};
use crate::fake::Fake;
use crate::support::aapl_long;
use alpaca_exec::broker::AlpacaBroker;
use alpaca_exec::exec::{ExecState, Executor, ExecutorConfig, entry_client_order_id};
use alpaca_exec::store::{ExecutionStore, Outcome, PositionStatus, SkipReason, SqliteStore};
use alpaca_exec::{Client, RateLimit};
use rust_decimal_macros::dec;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::Arc;

const URI: &str = "ALPACA_EXEC_CRASH_URI";
const DB: &str = "ALPACA_EXEC_CRASH_DB";
const AT: &str = "ALPACA_EXEC_CRASH_AT";

fn executor(uri: &str, db: &std::path::Path) -> Executor {
    let client = Client::builder()
        .credentials(KEY, SECRET)
        .trading_base_url(uri)
        .data_base_url(uri)
        .retry_policy(fast_retry())
        .rate_limit(RateLimit::UNLIMITED)
        .build()
        .unwrap();
    Executor::new(
        Arc::new(AlpacaBroker::new(client)),
        Arc::new(SqliteStore::open_or_create(db).unwrap()),
        ExecutorConfig::new(),
    )
}

/// SIGKILL to ourselves: no destructors, no flushing, exactly like `kill -9` from outside.
fn kill_self() -> ! {
    let _ = Command::new("kill")
        .args(["-9", &std::process::id().to_string()])
        .status();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// The child half, run only by [`crash_at`] (it reads its instructions from the environment).
#[tokio::test]
#[ignore = "child process of the crash-safety tests; started by them"]
async fn child() {
    let (Ok(uri), Ok(db), Ok(point)) = (std::env::var(URI), std::env::var(DB), std::env::var(AT))
    else {
        return; // run by hand with --ignored: nothing to do without a parent
    };
    let exec = executor(&uri, db.as_ref()).with_failpoint(Arc::new(move |name: &str| {
        if name == point {
            kill_self();
        }
    }));
    exec.execute(&[aapl_long()]).await;
    panic!("the failpoint was never reached");
}

async fn crash_at(point: &'static str) -> (Fake, SqliteStore, String, tempfile::TempDir) {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("engine.db");
    let (uri, db2) = (fake.uri.clone(), db.clone());
    let status = tokio::task::spawn_blocking(move || {
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash::child", "--ignored", "--test-threads=1"])
            .env(URI, uri)
            .env(DB, db2)
            .env(AT, point)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        status.status.signal(),
        Some(9),
        "child should die by SIGKILL at {point}; stderr: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let cid = entry_client_order_id("trend", &aapl_long().id());
    // Restart: a new executor on the same database reconciles before doing anything else.
    let exec = executor(&fake.uri.clone(), &db);
    let report = exec.reconcile().await.unwrap();
    match point {
        "pending_written" => assert_eq!(report.resent, vec![cid.clone()], "{report:?}"),
        _ => assert_eq!(report.adopted, vec![cid.clone()], "{report:?}"),
    }
    // The strategy emits the same signal again after the restart: its decision record died with
    // the child, but the entry order named after it is recognised, and nothing new is sent.
    let d = exec.execute(&[aapl_long()]).await;
    assert_eq!(d[0].skip, Some(SkipReason::Duplicate), "{:?}", d[0]);
    let rec = exec
        .store()
        .signal(&aapl_long().id())
        .await
        .unwrap()
        .expect("the decision is recovered");
    let recovered = rec.decision.unwrap();
    assert_eq!(recovered.outcome, Outcome::Executed, "{recovered:?}");
    assert_eq!(recovered.client_order_id.as_deref(), Some(cid.as_str()));
    drop(exec);
    let store = SqliteStore::open(&db).unwrap();
    (fake, store, cid, dir)
}

async fn assert_one_order(fake: &Fake, store: &SqliteStore, cid: &str) {
    assert_eq!(
        fake.posts().await,
        1,
        "exactly one order POST reached Alpaca"
    );
    let orders = fake.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["client_order_id"], serde_json::json!(cid));
    let e = store.execution(cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Filled);
    assert_eq!(e.broker_order_id.as_deref(), Some("order-1"));
    assert_eq!(e.filled_qty, dec!(66));
    let p = store.position(cid).await.unwrap().unwrap();
    assert_eq!((p.status, p.entry_qty), (PositionStatus::Open, dec!(66)));
    assert_eq!(store.trades().await.unwrap().len(), 1);
    assert_eq!(store.executions(false).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_pending_written_and_sent() {
    let (fake, store, cid, _dir) = crash_at("pending_written").await;
    assert_one_order(&fake, &store, &cid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_sent_and_recorded() {
    let (fake, store, cid, _dir) = crash_at("order_sent").await;
    assert_one_order(&fake, &store, &cid).await;
}
