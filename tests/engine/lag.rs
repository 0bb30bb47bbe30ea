//! Alpaca's lookup by client order id can trail its acceptance of the order: a submit whose
//! answer was lost, looked up too early, answers 404; sent again it is refused as a duplicate
//! (which proves it exists) while lookups still answer 404. The order must never be recorded as
//! rejected on that path, and must be adopted, with its fills, once it shows.

use crate::fake::{Fake, Fault, Lag, Target, When};
use crate::support::{aapl_an_hour_later, aapl_long, rig_with};
use alpaca_exec::alert::Alert;
use alpaca_exec::exec::{
    ExecState, Executor, ExecutorConfig, UnconfirmedPolicy, entry_client_order_id,
};
use alpaca_exec::exec::{PositionMonitor, exit_client_order_id};
use alpaca_exec::risk::ExitPolicy;
use alpaca_exec::store::{ExecutionStore, Outcome, PositionStatus, SkipReason};
use alpaca_exec::{Error, OrderRequest, OrderSide, Qty};
use rust_decimal_macros::dec;
use std::time::Duration;

/// The order is accepted but its answer is lost to a timeout, and the next `hidden` lookups of
/// it answer 404.
async fn lost_answer_and_lagging_lookups(hidden: u32) -> Fake {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| st.lag = Some(Lag::Lookups(hidden)));
    fake.faults(|p| {
        p.then(Target::Submit, Fault::Stall(When::After));
    });
    fake
}

/// Immediate lookups without waiting, so the test does not sleep.
fn no_wait() -> ExecutorConfig {
    ExecutorConfig {
        unconfirmed: UnconfirmedPolicy {
            first_delay: Duration::ZERO,
            ..UnconfirmedPolicy::default()
        },
        ..ExecutorConfig::new()
    }
}

async fn lookups(fake: &Fake) -> usize {
    crate::common::received(&fake.server, "GET", "/v2/orders:by_client_order_id")
        .await
        .len()
}

/// Makes the lagging orders show from the next lookup on.
fn show(fake: &Fake) {
    fake.with(|st| st.reveal());
}

#[tokio::test]
async fn a_duplicate_id_answer_with_a_lagging_lookup_leaves_the_entry_unconfirmed_then_adopts_it() {
    let fake = lost_answer_and_lagging_lookups(100).await;
    let r = rig_with(&fake, no_wait());
    let cid = entry_client_order_id("trend", &aapl_long().id());
    let d = r.exec.execute(&[aapl_long()]).await;
    assert_eq!(d[0].outcome, Outcome::Unresolved, "{:?}", d[0]);
    assert_eq!(fake.orders().len(), 1, "one order at the broker");
    assert_eq!(
        fake.posts().await,
        2,
        "sent again with the same id, refused"
    );
    // One lookup after the timeout, then the first after the duplicate answer and three more.
    assert_eq!(lookups(&fake).await, 5);
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Unconfirmed, "{e:?}");
    assert!(!e.state.is_terminal());
    assert!(
        e.error.as_deref().unwrap_or("").contains(&cid),
        "{:?}",
        e.error
    );
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.status, PositionStatus::Opening);

    // A second signal for the symbol finds the order working: no second entry.
    let again = r.exec.execute(&[aapl_an_hour_later()]).await;
    assert_eq!(
        again[0].skip,
        Some(SkipReason::ExistingPosition),
        "{again:?}"
    );

    // A restarted process (new executor, same store) with an hour between lookups: its first
    // poll looks, the next one waits, start-up reconciliation looks regardless. Nothing is
    // sent, nothing is rejected.
    let patient = ExecutorConfig {
        unconfirmed: UnconfirmedPolicy {
            first_delay: Duration::from_secs(3600),
            ..UnconfirmedPolicy::default()
        },
        ..ExecutorConfig::new()
    };
    let exec = Executor::new(fake.broker(), r.store.clone(), patient);
    assert!(exec.poll_orders().await.unwrap().is_clean());
    assert_eq!(lookups(&fake).await, 6);
    assert!(exec.poll_orders().await.unwrap().is_clean());
    assert_eq!(lookups(&fake).await, 6, "not due: no lookup");
    assert!(exec.reconcile().await.unwrap().resent.is_empty());
    assert_eq!(lookups(&fake).await, 7);
    assert_eq!(fake.posts().await, 2);
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Unconfirmed);

    // It shows: adopted with its fill, position open, one trade, never a third POST.
    show(&fake);
    let rep = exec.reconcile().await.unwrap();
    assert_eq!(rep.adopted, vec![cid.clone()], "{rep:?}");
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!((e.state, e.filled_qty), (ExecState::Filled, dec!(66)));
    assert_eq!(e.broker_order_id.as_deref(), Some("order-1"));
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(
        (pos.status, pos.entry_qty),
        (PositionStatus::Open, dec!(66))
    );
    assert_eq!(r.store.trades().await.unwrap().len(), 1);
    assert_eq!(fake.posts().await, 2);
    let states: Vec<_> = e.history.iter().map(|h| h.state).collect();
    assert_eq!(
        states,
        vec![
            ExecState::Pending,
            ExecState::Unconfirmed,
            ExecState::Filled
        ]
    );
}

#[tokio::test]
async fn the_client_path_returns_a_typed_not_visible_outcome_with_the_client_order_id() {
    let fake = lost_answer_and_lagging_lookups(100).await;
    let client = fake.client();
    let order = OrderRequest::market("AAPL", OrderSide::Buy, Qty::Shares(dec!(5)))
        .client_order_id("bot-1")
        .build()
        .unwrap();
    let e = client.submit_order_and_resolve(&order).await.unwrap_err();
    match &e {
        Error::OrderNotVisible {
            client_order_id, ..
        } => assert_eq!(client_order_id, "bot-1"),
        other => panic!("expected OrderNotVisible, got {other:?}"),
    }
    assert!(e.is_outcome_unknown() && !e.is_not_found(), "{e}");
    assert_eq!(fake.orders().len(), 1);
    assert_eq!(fake.posts().await, 2);
    // The retry policy's three retries: one lookup after the timeout, four after the refusal.
    assert_eq!(lookups(&fake).await, 5);

    // Once it shows, the same call settles it without placing anything.
    show(&fake);
    let o = client.submit_order_and_resolve(&order).await.unwrap();
    assert_eq!(o.client_order_id, "bot-1");
    assert_eq!((fake.orders().len(), fake.posts().await), (1, 3));
}

#[tokio::test]
async fn the_client_path_adopts_an_order_that_shows_within_its_retries() {
    // Hidden from the lookup after the timeout and from the first two after the refusal.
    let fake = lost_answer_and_lagging_lookups(3).await;
    let order = OrderRequest::market("AAPL", OrderSide::Buy, Qty::Shares(dec!(5)))
        .client_order_id("bot-2")
        .build()
        .unwrap();
    let o = fake
        .client()
        .submit_order_and_resolve(&order)
        .await
        .unwrap();
    assert_eq!(
        (o.client_order_id.as_str(), o.id.as_str()),
        ("bot-2", "order-1")
    );
    assert_eq!((fake.orders().len(), fake.posts().await), (1, 2));
    assert_eq!(lookups(&fake).await, 4);
}

#[tokio::test]
async fn an_order_that_never_shows_needs_a_human_once_and_is_still_adopted_if_it_shows() {
    let fake = lost_answer_and_lagging_lookups(100).await;
    let config = ExecutorConfig {
        unconfirmed: UnconfirmedPolicy {
            first_delay: Duration::ZERO,
            alert_after: Duration::ZERO,
            ..UnconfirmedPolicy::default()
        },
        ..ExecutorConfig::new()
    };
    let r = rig_with(&fake, config);
    let cid = entry_client_order_id("trend", &aapl_long().id());
    r.exec.execute(&[aapl_long()]).await;
    let alerts_before = r.alerts.alerts().len();

    let rep = r.exec.poll_orders().await.unwrap();
    assert_eq!(rep.needs_attention, vec![cid.clone()], "{rep:?}");
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::NeedsAttention);
    assert!(e.error.as_deref().unwrap().contains("not visible"), "{e:?}");
    let alerts = r.alerts.alerts();
    assert_eq!(alerts.len(), alerts_before + 1, "{alerts:?}");
    assert!(
        matches!(alerts.last(), Some(Alert::Error { message, .. }) if message.contains("needs attention")),
        "{alerts:?}"
    );
    // Still looked up, never re-alerted, never re-sent.
    let rep = r.exec.reconcile().await.unwrap();
    assert!(
        rep.needs_attention.is_empty() && rep.resent.is_empty(),
        "{rep:?}"
    );
    assert_eq!(r.alerts.alerts().len(), alerts_before + 1);

    show(&fake);
    let rep = r.exec.reconcile().await.unwrap();
    assert_eq!(rep.adopted, vec![cid.clone()], "{rep:?}");
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!((e.state, e.error.as_deref()), (ExecState::Filled, None));
    assert_eq!(fake.posts().await, 2);
}

#[tokio::test]
async fn an_order_given_up_by_hand_is_abandoned_and_its_entry_never_opened() {
    let fake = lost_answer_and_lagging_lookups(100).await;
    let r = rig_with(&fake, no_wait());
    let cid = entry_client_order_id("trend", &aapl_long().id());
    r.exec.execute(&[aapl_long()]).await;
    let e = r
        .exec
        .abandon(&cid, "not in the account's order list")
        .await
        .unwrap();
    assert_eq!(e.state, ExecState::Abandoned);
    assert!(
        e.history
            .last()
            .unwrap()
            .note
            .contains("not in the account")
    );
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.status, PositionStatus::NeverOpened);
    assert!(r.exec.poll_orders().await.unwrap().is_clean());
    // Only what needs a human can be given up by hand.
    let other = r.exec.abandon(&cid, "again").await.unwrap_err();
    assert!(other.to_string().contains("abandoned"), "{other}");
}

#[tokio::test]
async fn a_duplicate_on_the_first_post_after_a_restart_is_never_a_rejection() {
    // An earlier process placed the order and died before recording more than the pending
    // execution; Alpaca has it, but its lookup lags.
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| st.lag = Some(Lag::Lookups(100)));
    let cid = entry_client_order_id("trend", &aapl_long().id());
    OrderRequest::market("AAPL", OrderSide::Buy, Qty::Shares(dec!(66)))
        .client_order_id(&cid)
        .build()
        .unwrap()
        .send(&fake.client())
        .await
        .unwrap();
    let r = rig_with(&fake, no_wait());
    let d = r.exec.execute(&[aapl_long()]).await;
    assert_eq!(d[0].outcome, Outcome::Unresolved, "{:?}", d[0]);
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Unconfirmed, "{e:?}");
    show(&fake);
    let rep = r.exec.reconcile().await.unwrap();
    assert_eq!(rep.adopted, vec![cid.clone()], "{rep:?}");
    assert_eq!((fake.orders().len(), fake.posts().await), (1, 2));
}

#[tokio::test]
async fn an_exit_whose_answer_is_lost_and_whose_lookup_lags_closes_the_position_once() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let r = rig_with(&fake, no_wait());
    let entry = r.exec.execute(&[aapl_long()]).await;
    let cid = entry[0].client_order_id.clone().unwrap();
    // The monitor's exit is accepted, its answer lost, its lookups lag.
    fake.with(|st| st.lag = Some(Lag::Lookups(100)));
    fake.faults(|p| {
        p.then(Target::Submit, Fault::Reset(When::After));
    });
    fake.quote("AAPL", dec!(160.95), dec!(161.05));
    let mon = PositionMonitor::new(r.exec.clone(), ExitPolicy::default());
    let rep = mon.check_once().await.unwrap();
    assert_eq!(rep.exits.len(), 1, "{rep:?}");
    let exit_cid = exit_client_order_id("trend", &aapl_long().id(), 1);
    let e = r.store.execution(&exit_cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Unconfirmed, "{e:?}");
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.status, PositionStatus::Closing);
    // Checks while it lags place no second exit.
    let rep = mon.check_once().await.unwrap();
    assert!(rep.exits.is_empty(), "{rep:?}");
    show(&fake);
    r.exec.reconcile().await.unwrap();
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.status, PositionStatus::Closed);
    assert_eq!(pos.realized_pnl(), Some(dec!(726)));
    assert_eq!(fake.orders().len(), 2, "one entry, one exit");
    assert_eq!(r.store.trades().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_resend_refused_while_the_first_attempt_lags_is_never_final() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| st.lag = Some(Lag::Lookups(100)));
    // The order is accepted but its answer lost, and every lookup right after fails: the
    // outcome stays unknown (pending).
    fake.faults(|p| {
        p.then(Target::Submit, Fault::Stall(When::After));
        for _ in 0..4 {
            p.then(Target::Lookup, Fault::Status(503, When::Before));
        }
    });
    let r = rig_with(&fake, no_wait());
    let cid = entry_client_order_id("trend", &aapl_long().id());
    r.exec.execute(&[aapl_long()]).await;
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Pending, "{e:?}");
    // On restart the lookup lags (404), so it is sent again, and that re-send is refused.
    fake.faults(|p| {
        p.then(Target::Submit, Fault::Status(403, When::Before));
    });
    let rep = r.exec.reconcile().await.unwrap();
    assert_eq!(rep.resent, vec![cid.clone()], "{rep:?}");
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Pending, "not rejected: {e:?}");
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.status, PositionStatus::Opening);
    show(&fake);
    let rep = r.exec.reconcile().await.unwrap();
    assert_eq!(rep.adopted, vec![cid.clone()], "{rep:?}");
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!((e.state, e.filled_qty), (ExecState::Filled, dec!(66)));
    assert_eq!(fake.orders().len(), 1);
}
