//! `PostgresStore` against a real server (see `tests/common/postgres.rs` for which): the
//! conformance suite; what `open`, `create` and `open_or_create` refuse; one writer per
//! unfenced store; and the lease: one holder at a time, tokens that grow with each holder, and
//! writes and sends refused to a process that lost it, by the database in the write's own
//! transaction even when the process still believes it leads.

use crate::fake::Fake;
use crate::pg;
use alpaca_exec::exec::{Executor, ExecutorConfig, entry_client_order_id};
use alpaca_exec::store::conformance::{self, Harness};
use alpaca_exec::store::{
    ExecutionStore, Lease, MemoryStore, Outcome, PostgresOptions, PostgresStore, StoreError,
};
use alpaca_exec::strategy::{Intent, Signal};
use chrono::Utc;
use rust_decimal_macros::dec;
use std::sync::Arc;
use std::time::Duration;

/// Each store a schema of its own; reopened from the same options.
struct Postgres {
    opened: Vec<(String, PostgresOptions)>,
}

#[async_trait::async_trait]
impl Harness for Postgres {
    type Store = PostgresStore;
    async fn fresh(&mut self) -> PostgresStore {
        let o = pg::options();
        let s = o.create().await.unwrap();
        self.opened.push((s.place().display().to_string(), o));
        s
    }
    async fn reopen(&mut self, store: PostgresStore) -> Option<PostgresStore> {
        let place = store.place().display().to_string();
        drop(store); // ends its connection, and with it the store's lock
        let (_, o) = self.opened.iter().find(|(p, _)| *p == place)?;
        // The server frees the lock when it sees the connection end: at most a moment.
        for _ in 0..200 {
            match o.open().await {
                Ok(s) => return Some(s),
                Err(StoreError::Locked { .. }) => {
                    tokio::time::sleep(Duration::from_millis(10)).await
                }
                Err(e) => panic!("{e}"),
            }
        }
        panic!("{place} still locked after its store was dropped")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_passes_the_conformance_suite() {
    let report = conformance::run(&mut Postgres { opened: Vec::new() }).await;
    println!("postgres: {report}");
    assert!(report.passed() && report.skipped.is_empty(), "{report}");
}

#[tokio::test]
async fn open_needs_a_store_and_create_refuses_one() {
    let o = pg::options();
    let e = o.open().await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    assert!(e.to_string().contains("create"), "{e}");
    assert!(matches!(
        o.open_read_only().await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    {
        let s = o.open_or_create().await.unwrap();
        assert_eq!(s.schema_version().await.unwrap(), 1);
    }
    // Made by open_or_create, reopened by it (the first connection is gone by now, or soon).
    let s = retry_locked(|| o.open_or_create()).await.unwrap();
    drop(s);
    let e = retry_locked(|| o.create()).await.unwrap_err();
    assert!(matches!(e, StoreError::AlreadyExists { .. }), "{e}");
    let bad = o.clone().schema("Has-Caps");
    assert!(
        bad.create()
            .await
            .unwrap_err()
            .to_string()
            .contains("schema name")
    );
}

/// Retries while a store just dropped still holds the lock (the server frees it as soon as it
/// sees the connection end).
async fn retry_locked<F, Fut>(f: F) -> Result<PostgresStore, StoreError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<PostgresStore, StoreError>>,
{
    for _ in 0..200 {
        match f().await {
            Err(StoreError::Locked { .. }) => tokio::time::sleep(Duration::from_millis(10)).await,
            other => return other,
        }
    }
    f().await
}

/// What a schema holds, table by table, to check nothing was touched.
async fn tables(schema: &str) -> Vec<String> {
    let (client, conn) = tokio_postgres::connect(&pg::url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 \
             ORDER BY 1",
            &[&schema],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn schemas_that_are_not_whole_stores_are_refused_and_left_untouched() {
    // Someone else's tables, named like the store's.
    let schema = pg::fresh_schema();
    pg::sql(&format!(
        "CREATE SCHEMA {schema}; CREATE TABLE {schema}.trades (id int); \
         INSERT INTO {schema}.trades VALUES (7);"
    ))
    .await;
    let o = PostgresOptions::new(&pg::url()).unwrap().schema(&schema);
    for (how, e) in [
        ("open", o.open().await.unwrap_err()),
        ("open_or_create", o.open_or_create().await.unwrap_err()),
        ("create", o.create().await.unwrap_err()),
    ] {
        assert!(matches!(e, StoreError::Corrupt { .. }), "{how}: {e}");
        assert!(e.to_string().contains("left untouched"), "{how}: {e}");
    }
    assert_eq!(tables(&schema).await, vec!["trades".to_owned()]);

    // Another schema's unrelated tables are no obstacle: the store is made beside them.
    let shared = pg::fresh_schema();
    pg::sql(&format!(
        "CREATE SCHEMA {shared}; CREATE TABLE {shared}.notes (t text);"
    ))
    .await;
    let o = PostgresOptions::new(&pg::url()).unwrap().schema(&shared);
    drop(o.create().await.unwrap());

    // A store damaged after the fact: a table gone, the version row doubled, a newer version.
    for (damage, want) in [
        ("DROP TABLE {s}.positions", "positions are missing"),
        (
            "INSERT INTO {s}.alpaca_exec_store (version) VALUES (1)",
            "2 rows",
        ),
        ("UPDATE {s}.alpaca_exec_store SET version = 0", "version 0"),
        (
            "UPDATE {s}.alpaca_exec_store SET version = 99",
            "schema version 99",
        ),
    ] {
        let o = pg::options();
        drop(o.create().await.unwrap());
        let s = o.schema_name_for_tests();
        pg::sql(&damage.replace("{s}", &s)).await;
        let before = tables(&s).await;
        let e = retry_locked(|| o.open()).await.unwrap_err();
        assert!(e.to_string().contains(want), "{damage}: {e}");
        let e2 = retry_locked(|| o.open_or_create()).await.unwrap_err();
        assert_eq!(e2.to_string(), e.to_string(), "{damage}");
        assert_eq!(tables(&s).await, before, "{damage}: touched");
    }
}

trait SchemaName {
    fn schema_name_for_tests(&self) -> String;
}

impl SchemaName for PostgresOptions {
    /// The schema, from where the options point (`... schema NAME`).
    fn schema_name_for_tests(&self) -> String {
        let place = self.place().display().to_string();
        place.rsplit(' ').next().unwrap().to_owned()
    }
}

#[tokio::test]
async fn one_writer_per_unfenced_store_and_readers_beside_it() {
    let o = pg::options();
    let first = o.create().await.unwrap();
    let e = o.open().await.unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, StoreError::Locked { .. }), "{msg}");
    assert!(
        msg.contains(&format!("alpaca-exec pid {}", std::process::id())),
        "the holder is named: {msg}"
    );
    assert!(matches!(
        o.open_or_create().await.unwrap_err(),
        StoreError::Locked { .. }
    ));
    assert!(matches!(
        o.remove().await.unwrap_err(),
        StoreError::Locked { .. }
    ));
    // A reader beside the writer sees what it wrote and can write nothing.
    first
        .put_strategy_state("trend", &serde_json::json!({"n": 1}))
        .await
        .unwrap();
    let reader = o.open_read_only().await.unwrap();
    assert_eq!(
        reader.strategy_state("trend").await.unwrap(),
        Some(serde_json::json!({"n": 1}))
    );
    let e = reader
        .put_strategy_state("trend", &serde_json::json!(2))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("read-only"), "{e}");
    // The writer's connection ends (a crash, a restart): the next opener gets the store.
    first.disconnect().await;
    let second = retry_locked(|| o.open()).await.unwrap();
    // The first store, used again, reconnects and finds the lock taken.
    let e = first
        .put_strategy_state("trend", &serde_json::json!(3))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Locked { .. }), "{e}");
    drop((first, second, reader));
    retry_locked(|| o.open()).await.unwrap();
}

async fn lease(o: &PostgresOptions, holder: &str, ttl: Duration) -> Lease {
    Lease::open(o, "daemon", holder, ttl).await.unwrap()
}

#[tokio::test]
async fn one_holder_at_a_time_and_a_new_token_with_each() {
    let o = pg::options();
    let ttl = Duration::from_secs(2);
    let (a, b) = (lease(&o, "a", ttl).await, lease(&o, "b", ttl).await);
    assert_eq!(a.holder().await.unwrap(), None, "never taken");
    assert_eq!(a.try_acquire().await.unwrap(), Some(1));
    assert_eq!(b.try_acquire().await.unwrap(), None, "a holds it");
    assert_eq!(
        a.try_acquire().await.unwrap(),
        Some(1),
        "renewed, same token"
    );
    let h = b.holder().await.unwrap().unwrap();
    assert_eq!((h.holder.as_str(), h.token, h.expired), ("a", 1, false));
    // A clean shutdown hands over at once.
    a.release().await.unwrap();
    assert_eq!(a.token(), None);
    assert_eq!(b.try_acquire().await.unwrap(), Some(2));
    assert_eq!(a.try_acquire().await.unwrap(), None);
    // b dies (stops renewing): a takes over once b's lease has run out, not before.
    let waited = std::time::Instant::now();
    let token = loop {
        if let Some(t) = a.try_acquire().await.unwrap() {
            break t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(token, 3);
    let after = waited.elapsed();
    assert!(
        after >= ttl - Duration::from_millis(300) && after < ttl + Duration::from_secs(1),
        "taken over after {after:?} (ttl {ttl:?})"
    );
    // b wakes up: it no longer trusts its lease (its own clock says so).
    assert!(matches!(b.fence().check(), Err(StoreError::Fenced(_))));
    assert!(!b.renew().await.unwrap(), "b's renewal is refused");
}

/// A signal for the fenced-executor test.
fn entry() -> Signal {
    Signal::new("trend", "AAPL", Intent::EnterLong, dec!(150), Utc::now())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_lost_its_lease_can_neither_write_nor_send() {
    let o = pg::options();
    let ttl = Duration::from_secs(3);
    let a = Arc::new(lease(&o, "leader", ttl).await);
    let b = lease(&o, "standby", ttl).await;
    let store_a = o.clone().fenced_by(&a).open_or_create().await.unwrap();
    let store_b = o.clone().fenced_by(&b).open_or_create().await.unwrap();

    // Nobody leads: nothing is written.
    let e = store_a
        .put_strategy_state("trend", &serde_json::json!(0))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Fenced(_)), "{e}");
    assert!(store_a.may_send_orders().is_err());

    assert_eq!(a.try_acquire().await.unwrap(), Some(1));
    store_a
        .put_strategy_state("trend", &serde_json::json!(1))
        .await
        .unwrap();
    assert!(store_a.may_send_orders().is_ok());
    // The standby reads the leader's writes and can write nothing.
    assert_eq!(
        store_b.strategy_state("trend").await.unwrap(),
        Some(serde_json::json!(1))
    );
    assert!(matches!(
        store_b
            .put_strategy_state("trend", &serde_json::json!(9))
            .await
            .unwrap_err(),
        StoreError::Fenced(_)
    ));

    // The leader is paused: the standby takes the lease over behind its back (the lease
    // expires in the database while the leader's clock, frozen here, still trusts it).
    pg::sql(&format!(
        "UPDATE {}.alpaca_exec_leases SET expires_at = clock_timestamp() WHERE name = 'daemon'",
        o.schema_name_for_tests()
    ))
    .await;
    assert_eq!(b.try_acquire().await.unwrap(), Some(2));
    assert!(
        store_a.may_send_orders().is_ok(),
        "the leader still trusts its lease"
    );
    // Its writes are refused by the database, in their own transaction: nothing is written.
    let e = store_a
        .put_strategy_state("trend", &serde_json::json!(2))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Fenced(m) if m.contains("database refused")),
        "{e}"
    );
    assert_eq!(
        store_b.strategy_state("trend").await.unwrap(),
        Some(serde_json::json!(1))
    );

    // The paused leader's executor: its signal's order is never written, so never sent.
    let fake = Fake::start().await;
    crate::chaos::open_market(&fake);
    let exec = Executor::new(fake.broker(), Arc::new(store_a), ExecutorConfig::new());
    let d = exec.execute(&[entry()]).await;
    assert_eq!(d[0].outcome, Outcome::Failed, "{d:?}");
    assert!(d[0].detail.contains("fenced"), "{d:?}");
    assert_eq!(fake.posts().await, 0, "no order reached the broker");
    let cid = entry_client_order_id("trend", &entry().id());
    assert_eq!(store_b.execution(&cid).await.unwrap(), None);

    // Once the leader's own clock says its lease ran out, it does not even ask.
    let hold = tokio::time::timeout(ttl * 2, a.hold()).await.unwrap();
    assert!(hold.0.contains("expired or was taken over"), "{hold}");
    assert!(matches!(
        exec.store().may_send_orders(),
        Err(StoreError::Fenced(_))
    ));
    // The new leader trades.
    let exec_b = Executor::new(fake.broker(), Arc::new(store_b), ExecutorConfig::new());
    let d = exec_b.execute(&[entry()]).await;
    assert_eq!(d[0].outcome, Outcome::Executed, "{d:?}");
    assert_eq!(fake.posts().await, 1);
}

#[tokio::test]
async fn single_machine_stores_need_no_lease() {
    // The trait's default: a store used by one process may always send.
    assert!(MemoryStore::new().may_send_orders().is_ok());
}

/// Stores on a server that takes TLS only, reached with its CA.
struct PostgresTls {
    cluster: pg::TlsCluster,
    inner: Postgres,
}

impl PostgresTls {
    fn options(&self) -> PostgresOptions {
        PostgresOptions::new(&format!("{} sslmode=require", self.cluster.url()))
            .unwrap()
            .tls_root_certificates(self.cluster.ca())
            .unwrap()
            .schema(&pg::fresh_schema())
    }
}

#[async_trait::async_trait]
impl Harness for PostgresTls {
    type Store = PostgresStore;
    async fn fresh(&mut self) -> PostgresStore {
        let o = self.options();
        let s = o.create().await.unwrap();
        self.inner.opened.push((s.place().display().to_string(), o));
        s
    }
    async fn reopen(&mut self, store: PostgresStore) -> Option<PostgresStore> {
        self.inner.reopen(store).await
    }
}

/// Why creating a store with `o` (in a fresh schema) fails; it must fail.
async fn refusal(o: PostgresOptions) -> String {
    o.schema(&pg::fresh_schema())
        .create()
        .await
        .unwrap_err()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_server_is_verified_and_the_store_passes_the_conformance_suite() {
    let cluster = pg::TlsCluster::start();
    let url = cluster.url().to_owned();

    // The server refuses plain TCP, so every store below that works spoke TLS.
    let plain = refusal(PostgresOptions::new(&format!("{url} sslmode=disable")).unwrap()).await;
    assert!(plain.contains("no encryption"), "{plain}");

    // TLS to a server whose certificate no trusted root signed: refused, nothing written.
    let unknown = refusal(PostgresOptions::new(&format!("{url} sslmode=require")).unwrap()).await;
    assert!(unknown.to_lowercase().contains("certificate"), "{unknown}");

    // The right CA, but a host name the certificate does not name (it names 127.0.0.1 and
    // localhost): refused too.
    let wrong_name = refusal(
        PostgresOptions::new(&format!(
            "host=localhost.localdomain hostaddr=127.0.0.1 port={} user=postgres \
             dbname=postgres sslmode=require",
            cluster.port()
        ))
        .unwrap()
        .tls_root_certificates(cluster.ca())
        .unwrap(),
    )
    .await;
    assert!(
        wrong_name.to_lowercase().contains("certificate"),
        "{wrong_name}"
    );
    println!("plain: {plain}\nunknown CA: {unknown}\nwrong name: {wrong_name}");
    // With its CA: the whole conformance suite.
    let mut h = PostgresTls {
        cluster,
        inner: Postgres { opened: Vec::new() },
    };
    let report = conformance::run(&mut h).await;
    println!("postgres over TLS: {report}");
    assert!(report.passed() && report.skipped.is_empty(), "{report}");
}
