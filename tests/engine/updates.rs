//! Trade updates into the executor and the position monitor, with polling as the fallback.

use crate::fake::Fake;
use crate::support::{Rig, aapl_long, rig};
use alpaca_exec::exec::{ExecState, PositionMonitor};
use alpaca_exec::risk::ExitPolicy;
use alpaca_exec::store::{ExecutionStore, PositionStatus};
use alpaca_exec::stream::{StreamError, StreamEvent, TradeMessage, TradeUpdate};
use futures_util::{StreamExt, stream};
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use std::time::Duration;

/// A `fill` update for the fake's order `cid`, as if streamed: `filled` at average `avg`.
fn fill_update(fake: &Fake, cid: &str, filled: &str, avg: &str, status: &str) -> TradeUpdate {
    let mut order: Value = fake
        .orders()
        .into_iter()
        .find(|o| o["client_order_id"] == cid)
        .expect("the order was submitted");
    order["filled_qty"] = json!(filled);
    order["filled_avg_price"] = json!(avg);
    order["status"] = json!(status);
    serde_json::from_value(json!({
        "event": if status == "filled" { "fill" } else { "partial_fill" },
        "timestamp": "2024-03-04T15:00:05Z", "price": avg, "qty": filled,
        "execution_id": format!("x-{filled}"), "order": order
    }))
    .unwrap()
}

/// An AAPL entry order the fake leaves working (`new`) until told otherwise.
async fn working_entry() -> (Fake, Rig, String) {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| st.fill_on_submit = false);
    let r = rig(&fake);
    let cid = r.exec.execute(&[aapl_long()]).await[0]
        .client_order_id
        .clone()
        .unwrap();
    (fake, r, cid)
}

#[tokio::test]
async fn a_streamed_fill_updates_execution_position_and_journal_once() {
    let (fake, r, cid) = working_entry().await;

    let update = fill_update(&fake, &cid, "66", "150.5", "filled");
    assert!(r.exec.apply_trade_update(&update).await.unwrap());
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!((e.state, e.filled_qty), (ExecState::Filled, dec!(66)));
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(
        (pos.status, pos.entry_qty, pos.entry_price),
        (PositionStatus::Open, dec!(66), Some(dec!(150.5)))
    );
    assert_eq!(r.store.trades().await.unwrap().len(), 1);

    // The same update again (or a poll after it) changes nothing.
    assert!(!r.exec.apply_trade_update(&update).await.unwrap());
    fake.fill(&cid, dec!(66), dec!(150.5), "filled");
    assert!(r.exec.poll_orders().await.unwrap().is_clean());
    assert_eq!(r.store.trades().await.unwrap().len(), 1);

    // Orders the executor does not track are ignored.
    let mut foreign = update.clone();
    foreign.order.client_order_id = "someone-else".into();
    assert!(!r.exec.apply_trade_update(&foreign).await.unwrap());
}

#[tokio::test]
async fn the_monitor_applies_streamed_fills_and_falls_back_to_polling() {
    let (fake, r, cid) = working_entry().await;
    let mon = PositionMonitor::new(r.exec.clone(), ExitPolicy::default());

    // The broker still says `new` when polled: only the stream can report this partial fill.
    let update = fill_update(&fake, &cid, "30", "150", "partially_filled");
    let first: Result<StreamEvent<TradeMessage>, StreamError> =
        Ok(StreamEvent::Message(TradeMessage::Update(Box::new(update))));
    let updates = stream::iter([first]).chain(stream::pending());
    mon.run_with_updates(
        Duration::from_secs(3600),
        updates,
        tokio::time::sleep(Duration::from_millis(300)),
    )
    .await;
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(
        (e.state, e.filled_qty),
        (ExecState::PartiallyFilled, dec!(30))
    );

    // The stream stops for good; the broker fills the rest; polling picks it up.
    fake.fill(&cid, dec!(66), dec!(150.5), "filled");
    let stopped = stream::iter([Err::<StreamEvent<TradeMessage>, _>(
        StreamError::AuthFailed("keys revoked".into()),
    )]);
    mon.run_with_updates(
        Duration::from_millis(50),
        stopped,
        tokio::time::sleep(Duration::from_millis(300)),
    )
    .await;
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!((e.state, e.filled_qty), (ExecState::Filled, dec!(66)));
    assert_eq!(r.store.trades().await.unwrap().len(), 2);
}
