//! A signal seen again: retried when nothing of it reached the broker, never placed twice when
//! something did, whatever failed in between (a read while deciding, the batch's account and
//! clock, the decision record itself).

use crate::chaos::{Book, monitor, open_market};
use crate::fake::{Fake, Fault, Target};
use crate::support::rig;
use alpaca_exec::exec::{ExecState, entry_client_order_id};
use alpaca_exec::store::{ExecutionStore, Outcome, PositionStatus, SkipReason};

#[tokio::test]
async fn a_failed_read_while_deciding_is_retried_when_the_signal_is_seen_again() {
    let fake = Fake::start().await;
    open_market(&fake);
    let r = rig(&fake);
    let call = Book::round(0).entries[3].clone();
    fake.faults(|p| {
        p.then(
            Target::Route("GET", "/v1beta1/options/snapshots/AAPL"),
            Fault::NotJson,
        );
    });
    let d = r.exec.execute(std::slice::from_ref(&call)).await;
    assert_eq!(d[0].outcome, Outcome::Failed, "{:?}", d[0]);
    assert!(d[0].retryable, "nothing reached the broker: {:?}", d[0]);
    assert!(fake.orders().is_empty());
    let d = r.exec.execute(std::slice::from_ref(&call)).await;
    assert_eq!(d[0].outcome, Outcome::Executed, "{:?}", d[0]);
    assert_eq!(fake.orders().len(), 1);
}

#[tokio::test]
async fn a_batch_that_cannot_load_keeps_earlier_decisions_and_places_nothing_again() {
    let fake = Fake::start().await;
    open_market(&fake);
    let r = rig(&fake);
    let entry = Book::round(0).entries[0].clone();
    let cid = entry_client_order_id(&entry.strategy, &entry.id());
    r.exec.execute(std::slice::from_ref(&entry)).await;
    // The target is below the market: the monitor exits at once.
    monitor(&r.exec).check_once().await.unwrap();
    let closed = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(closed.status, PositionStatus::Closed);
    assert_eq!(fake.orders().len(), 2);

    // The strategy emits the entry again while the clock cannot be read.
    fake.faults(|p| {
        p.then(Target::Route("GET", "/v2/clock"), Fault::NotJson);
    });
    let d = r.exec.execute(std::slice::from_ref(&entry)).await;
    assert_eq!(d[0].skip, Some(SkipReason::Duplicate), "{:?}", d[0]);
    let stored = r.store.signal(&entry.id()).await.unwrap().unwrap();
    assert_eq!(stored.decision.unwrap().outcome, Outcome::Executed);
    // And once more, with everything readable: still the same order, the same closed position.
    let d = r.exec.execute(std::slice::from_ref(&entry)).await;
    assert_eq!(d[0].skip, Some(SkipReason::Duplicate), "{:?}", d[0]);
    assert_eq!(fake.posts().await, 2, "no second entry POST");
    assert_eq!(r.store.position(&cid).await.unwrap().unwrap(), closed);
}

#[tokio::test]
async fn a_retryable_decision_whose_order_was_written_is_recovered_not_placed_again() {
    let fake = Fake::start().await;
    open_market(&fake);
    let r = rig(&fake);
    let entry = Book::round(0).entries[0].clone();
    r.exec.execute(std::slice::from_ref(&entry)).await;
    // A decision recorded as retryable (a store failure after the order was written, say).
    let mut rec = r.store.signal(&entry.id()).await.unwrap().unwrap();
    let mut d = rec.decision.clone().unwrap();
    d.outcome = Outcome::Failed;
    d.retryable = true;
    rec.decision = Some(d);
    r.store.upsert_signal(&rec).await.unwrap();
    let d = r.exec.execute(std::slice::from_ref(&entry)).await;
    assert_eq!(d[0].skip, Some(SkipReason::Duplicate), "{:?}", d[0]);
    assert!(d[0].detail.contains("already placed"), "{}", d[0].detail);
    assert_eq!(fake.posts().await, 1);
    let cid = entry_client_order_id(&entry.strategy, &entry.id());
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Filled);
}
