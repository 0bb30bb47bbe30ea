//! Figures from the broker that no arithmetic can hold (a fill of 1e20 shares at 1e10, a price
//! near `Decimal::MAX`) or that no broker can mean (more filled than ordered, negative) never
//! panic the engine: the one execution needs a human (recorded and alerted once), the others go
//! on, and `reconcile()` on the next start does not crash.

use crate::fake::Fake;
use crate::support::{Rig, aapl_long, rig};
use alpaca_exec::alert::Alert;
use alpaca_exec::broker::BrokerOrder;
use alpaca_exec::exec::ExecState;
use alpaca_exec::store::{ExecutionStore, PositionStatus};
use alpaca_exec::strategy::Signal;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// A long MSFT signal on AAPL's bar.
fn msft_long() -> Signal {
    Signal::new(
        "trend",
        "MSFT",
        alpaca_exec::strategy::Intent::EnterLong,
        dec!(100),
        aapl_long().bar_time,
    )
}

/// Working AAPL and MSFT entries; returns their client order ids.
async fn two_working_entries(fake: &Fake) -> (Rig, String, String) {
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.quote("MSFT", dec!(99.95), dec!(100.05));
    fake.with(|st| st.fill_on_submit = false);
    let r = rig(fake);
    let msft = msft_long();
    let d = r.exec.execute(&[aapl_long(), msft]).await;
    let aapl = d[0].client_order_id.clone().unwrap();
    let msft = d[1].client_order_id.clone().unwrap();
    (r, aapl, msft)
}

fn attention_alerts(r: &Rig) -> usize {
    r.alerts
        .alerts()
        .iter()
        .filter(
            |a| matches!(a, Alert::Error { message, .. } if message.contains("needs attention")),
        )
        .count()
}

async fn absurd_fill_needs_attention(filled: Decimal, avg: Decimal, why: &str) {
    let fake = Fake::start().await;
    let (r, aapl, msft) = two_working_entries(&fake).await;
    fake.fill(&aapl, filled, avg, "filled");
    fake.fill(&msft, dec!(100), dec!(100), "filled");

    let rep = r.exec.poll_orders().await.unwrap();
    assert_eq!(rep.needs_attention, vec![aapl.clone()], "{rep:?}");
    assert_eq!(
        rep.updated,
        vec![msft.clone()],
        "the other order went on: {rep:?}"
    );
    let e = r.store.execution(&aapl).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::NeedsAttention);
    assert!(e.error.as_deref().unwrap().contains(why), "{:?}", e.error);
    assert_eq!(
        e.filled_qty,
        Decimal::ZERO,
        "nothing of the absurd fill applied"
    );
    assert_eq!(e.broker_order_id.as_deref(), Some("order-1"));
    let pos = r.store.position(&aapl).await.unwrap().unwrap();
    assert_eq!(
        (pos.status, pos.entry_qty),
        (PositionStatus::Opening, Decimal::ZERO)
    );
    let trades = r.store.trades().await.unwrap();
    assert_eq!(trades.len(), 1, "only MSFT's fill: {trades:?}");
    assert_eq!(trades[0].client_order_id, msft);
    assert_eq!(attention_alerts(&r), 1);

    // The next start reconciles without panicking and without alerting again; the exposure of
    // the open MSFT position and the blocked AAPL one still compute for the next batch.
    let rep = r.exec.reconcile().await.unwrap();
    assert!(
        rep.needs_attention.is_empty() && rep.errors.is_empty(),
        "{rep:?}"
    );
    assert_eq!(attention_alerts(&r), 1);
    let d = r.exec.execute(&[aapl_long()]).await;
    assert_eq!(
        d[0].skip.as_ref().map(|s| s.name()),
        Some("duplicate"),
        "{d:?}"
    );

    // The broker corrects its figures: the execution settles by itself.
    fake.fill(&aapl, dec!(66), dec!(150), "filled");
    let rep = r.exec.poll_orders().await.unwrap();
    assert_eq!(rep.updated, vec![aapl.clone()], "{rep:?}");
    let e = r.store.execution(&aapl).await.unwrap().unwrap();
    assert_eq!(
        (e.state, e.filled_qty, e.error),
        (ExecState::Filled, dec!(66), None)
    );
}

#[tokio::test]
async fn a_fill_of_1e20_shares_at_1e10_needs_attention_instead_of_panicking() {
    absurd_fill_needs_attention(
        dec!(100000000000000000000),
        dec!(10000000000),
        "100000000000000000000 filled of an order for 66",
    )
    .await;
}

#[tokio::test]
async fn a_fill_whose_notional_overflows_needs_attention() {
    absurd_fill_needs_attention(dec!(66), Decimal::MAX / dec!(2), "overflows").await;
}

#[tokio::test]
async fn a_negative_fill_needs_attention() {
    absurd_fill_needs_attention(dec!(-5), dec!(150), "negative filled quantity").await;
}

#[tokio::test]
async fn a_pushed_update_with_absurd_figures_needs_attention_too() {
    let fake = Fake::start().await;
    let (r, aapl, _) = two_working_entries(&fake).await;
    let update = BrokerOrder {
        id: "order-1".into(),
        client_order_id: aapl.clone(),
        symbol: "AAPL".into(),
        side: None,
        qty: Some(dec!(66)),
        filled_qty: dec!(66),
        filled_avg_price: Some(Decimal::MAX),
        limit_price: None,
        status: alpaca_exec::OrderStatus::Filled,
        updated_at: None,
    };
    assert!(r.exec.on_order_update(&update).await.unwrap());
    let e = r.store.execution(&aapl).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::NeedsAttention, "{e:?}");
    // Repeated: no second alert.
    r.exec.on_order_update(&update).await.unwrap();
    assert_eq!(attention_alerts(&r), 1);
}

#[tokio::test]
async fn a_stored_position_whose_figures_overflow_blocks_entries_with_a_recorded_error_not_a_panic()
{
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.quote("MSFT", dec!(99.95), dec!(100.05));
    let r = rig(&fake);
    let d = r.exec.execute(&[aapl_long()]).await;
    let cid = d[0].client_order_id.clone().unwrap();
    // A store edited by hand (or written by a buggy plug-in) holds an absurd position.
    let mut pos = r.store.position(&cid).await.unwrap().unwrap();
    pos.entry_qty = Decimal::MAX;
    pos.entry_price = Some(Decimal::MAX);
    r.store.upsert_position(&pos).await.unwrap();
    let msft = msft_long();
    let d = r.exec.execute(&[msft]).await;
    assert_eq!(d[0].outcome, alpaca_exec::store::Outcome::Failed, "{d:?}");
    assert!(d[0].detail.contains("overflow"), "{}", d[0].detail);
    assert_eq!(fake.orders().len(), 1, "no order on unmeasurable limits");
    assert!(pos.exposure().is_none() && pos.realized_pnl().is_some());
    // Exits refuse with an error that names the position.
    let mon = alpaca_exec::exec::PositionMonitor::new(
        r.exec.clone(),
        alpaca_exec::risk::ExitPolicy::default(),
    );
    let e = mon.close(&cid).await.unwrap_err();
    assert!(e.to_string().contains(&cid), "{e}");
    r.exec.reconcile().await.unwrap();
}
