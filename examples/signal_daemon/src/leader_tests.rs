//! Two daemons on one PostgreSQL database (feature `postgres`): one leads and trades, the
//! other stands by with its view of the stores current and the leader named in its status,
//! and takes over when the leader stops; a one-shot command is refused while a daemon leads.

use crate::commands;
use crate::config::Config;
use crate::daemon::leader::Leadership;
use crate::daemon::runtime::Runtime;
use crate::daemon::status::Status;
use crate::daemon::venue::VenueKind;
use crate::daemon::{Daemon, Options};
use crate::fake::Fake;
use crate::pg;
use crate::tests::{clock, d, expected_signal, mount_market, ny, trend_only};
use alpaca_exec::exec::entry_client_order_id;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Both daemons' config: the stores in `prefix`, journals under `data_dir` (never the working
/// directory, which is the source tree under `cargo test`).
fn shared(prefix: &str, data_dir: &Path) -> Config {
    let mut cfg = trend_only();
    cfg.paths.data_dir = data_dir.to_path_buf();
    cfg.database.url = pg::url();
    cfg.database.schema_prefix = prefix.to_owned();
    cfg.database.lease_ttl_secs = 3;
    cfg.database.standby_poll_secs = 1;
    cfg.validate().unwrap();
    cfg
}

/// A leading daemon over the fake from `from` to `until`, on the shared stores.
async fn lead(
    cfg: &Config,
    l: &Leadership,
    fake: &Fake,
    dir: &Path,
    from: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> Daemon {
    let stores = l.stores(cfg, ["equity".to_owned()]).await.unwrap();
    let clients = BTreeMap::from([("equity".to_owned(), (fake.client(), VenueKind::Paper))]);
    let rt = Runtime::with_clients_and_stores(cfg, clients, dir, stores).unwrap();
    let opts = Options {
        execute: true,
        config_path: None,
        until: Some(until),
        status_path: dir.join("status.json"),
        leader: Some(l.holder_name().to_owned()),
    };
    let mut daemon = Daemon::new(cfg.clone(), Box::new(|_| None), opts, rt, clock(fake, from));
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel();
    daemon.run(rx).await.unwrap();
    daemon
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_daemons_on_one_database_one_trades_the_other_stands_by_then_takes_over() {
    let fake = Fake::start().await;
    mount_market(&fake).await;
    fake.quote("AAPL", dec!(109.95), dec!(110.05));
    let journals = tempfile::tempdir().unwrap();
    let cfg = shared(&pg::fresh_schema(), journals.path());
    let (host_a, host_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Leadership::open(&cfg).await.unwrap();
    let b = Leadership::open(&cfg).await.unwrap();

    // A stands by first and leads at once; B stands by behind it.
    let stores_a = a.stores(&cfg, ["equity".to_owned()]).await.unwrap();
    let (_tx_a, mut rx_a) = tokio::sync::mpsc::unbounded_channel();
    let status_a = host_a.path().join("status.json");
    assert_eq!(a.stand_by(&stores_a, &status_a, &mut rx_a).await, Some(1));
    let stores_b = b.stores(&cfg, ["equity".to_owned()]).await.unwrap();
    let status_b = host_b.path().join("status.json");
    let b = std::sync::Arc::new(b);
    let standby = {
        let (b, stores_b, status_b) = (b.clone(), stores_b.clone(), status_b.clone());
        tokio::spawn(async move {
            let (_tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let token = b.stand_by(&stores_b, &status_b, &mut rx).await;
            (token, std::time::Instant::now())
        })
    };

    // A trades Monday's close and Tuesday's open: one order.
    let daemon = lead(
        &cfg,
        &a,
        &fake,
        host_a.path(),
        ny(d(2024, 3, 4), 15, 0),
        ny(d(2024, 3, 5), 10, 0),
    )
    .await;
    assert_eq!(fake.posts().await, 1);
    let written = Status::read(&status_a).unwrap();
    assert_eq!(written.role.as_deref(), Some("leader"));
    drop(daemon);

    // B's status names A as the leader, and sees A's position in the shared store.
    let seen = Status::read(&status_b).unwrap();
    assert_eq!(seen.role.as_deref(), Some("standby"));
    assert!(
        seen.leader
            .as_deref()
            .unwrap_or("")
            .contains(a.holder_name()),
        "{seen:?}"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let seen = Status::read(&status_b).unwrap();
    assert_eq!(seen.accounts["equity"].open_positions, 1, "{seen:?}");
    let mut out = Vec::new();
    commands::status(&status_b, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(&format!("role: standby; leader: {}", a.holder_name())),
        "{text}"
    );

    // A one-shot command is refused while A leads, naming it.
    let c = Leadership::open(&cfg).await.unwrap();
    let e = c.take_now().await.unwrap_err();
    assert!(e.contains(a.holder_name()), "{e}");

    // A stops cleanly: B takes over at its next poll, not after the lease's time to live.
    let stopped = std::time::Instant::now();
    a.release().await;
    let (token, at) = tokio::time::timeout(Duration::from_secs(5), standby)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token, Some(2));
    assert!(
        at - stopped <= Duration::from_millis(1500),
        "{:?}",
        at - stopped
    );

    // B leads on the same stores: Tuesday's restart re-derives the signal and places nothing.
    let daemon = lead(
        &cfg,
        &b,
        &fake,
        host_b.path(),
        ny(d(2024, 3, 5), 11, 0),
        ny(d(2024, 3, 5), 11, 30),
    )
    .await;
    assert_eq!(fake.posts().await, 1, "no second order after the takeover");
    assert_eq!(daemon.status().strategies["daily_trend"].positions, 1);
    let cid = entry_client_order_id("daily_trend", &expected_signal().id());
    let store = &daemon.runtime().venues["equity"].store;
    assert!(store.execution(&cid).await.unwrap().is_some());
    // A, were it still running, could write nothing now.
    let e = stores_a["equity"]
        .put_strategy_state("daily_trend", &serde_json::json!(1))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("fenced"), "{e}");
}
