//! The journal: CSV trade log and JSON Lines event log through the store's hooks.

use crate::fake::Fake;
use crate::support::aapl_long;
use alpaca_exec::exec::{Executor, ExecutorConfig, Journal, JournaledStore, PositionMonitor};
use alpaca_exec::options::select::new_york_date;
use alpaca_exec::risk::ExitPolicy;
use alpaca_exec::store::MemoryStore;
use rust_decimal_macros::dec;
use std::sync::Arc;

async fn trade_round_trip(journal: Journal) -> (Arc<JournaledStore<MemoryStore>>, Fake) {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let store = Arc::new(JournaledStore::new(MemoryStore::with_events(), journal));
    let exec = Arc::new(Executor::new(
        fake.broker(),
        store.clone(),
        ExecutorConfig::new(),
    ));
    exec.execute(&[aapl_long()]).await;
    fake.quote("AAPL", dec!(160.95), dec!(161.05));
    PositionMonitor::new(exec.clone(), ExitPolicy::default())
        .check_once()
        .await
        .unwrap();
    // Polling again replays nothing into the journal.
    exec.poll_orders().await.unwrap();
    (store, fake)
}

#[tokio::test]
async fn trades_and_events_are_journaled_per_day() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _fake) = trade_round_trip(Journal::new(dir.path())).await;
    let today = new_york_date(chrono::Utc::now());
    let csv = std::fs::read_to_string(store.journal().trade_file(today)).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "timestamp,strategy,symbol,action,qty,price,order_id"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].ends_with(",trend,AAPL,buy,66,150,order-1"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with(",trend,AAPL,sell,66,161,order-2"),
        "{}",
        lines[2]
    );

    let events = std::fs::read_to_string(store.journal().event_file(today)).unwrap();
    let kinds: Vec<String> = events
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for k in ["decision", "order", "fill", "exit"] {
        assert!(kinds.iter().any(|x| x == k), "no {k} event in {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| *k == "fill").count(), 2);
}

#[tokio::test]
async fn the_journal_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _fake) =
        trade_round_trip(Journal::new(dir.path()).trades(false).events(false)).await;
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
    assert!(
        !store.inner().events().is_empty(),
        "the store still saw the events"
    );
}
