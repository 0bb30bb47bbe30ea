//! Executor end to end against the fake Alpaca: signal to filled order to exit, and every guard.

use crate::fake::{Fake, Submit};
use crate::support::{aapl_an_hour_later, aapl_long, rig, rig_with, working_entry};
use alpaca_exec::alert::Alert;
use alpaca_exec::exec::{
    ClosedMarket, ExecState, ExecutorConfig, PositionMonitor, entry_client_order_id,
    exit_client_order_id,
};
use alpaca_exec::risk::ExitPolicy;
use alpaca_exec::store::{ExecutionStore, Outcome, PositionStatus, SkipReason};
use alpaca_exec::strategy::{Intent, Signal};
use rust_decimal_macros::dec;
use serde_json::json;

#[tokio::test]
async fn signal_to_filled_order_to_exit() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let r = rig(&fake);
    let sig = aapl_long();
    let entry_cid = entry_client_order_id("trend", &sig.id());

    let d = r.exec.execute(std::slice::from_ref(&sig)).await;
    assert_eq!(d[0].outcome, Outcome::Executed, "{:?}", d[0]);
    assert_eq!(d[0].client_order_id.as_deref(), Some(entry_cid.as_str()));
    // 10% of $100,000 equity at $150: 66 whole shares, a market day order.
    let orders = fake.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["client_order_id"], json!(entry_cid));
    assert_eq!(orders[0]["qty"], json!("66"));
    assert_eq!(orders[0]["side"], json!("buy"));
    assert_eq!(orders[0]["type"], json!("market"));

    let e = r.store.execution(&entry_cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Filled);
    assert_eq!(e.broker_order_id.as_deref(), Some("order-1"));
    let states: Vec<_> = e.history.iter().map(|h| h.state).collect();
    assert_eq!(states, vec![ExecState::Pending, ExecState::Filled]);
    let pos = r.store.position(&entry_cid).await.unwrap().unwrap();
    assert_eq!(pos.status, PositionStatus::Open);
    assert_eq!(
        (pos.entry_qty, pos.entry_price),
        (dec!(66), Some(dec!(150)))
    );

    // The price runs through the target: the monitor exits.
    fake.quote("AAPL", dec!(160.95), dec!(161.05));
    let mon = PositionMonitor::new(r.exec.clone(), ExitPolicy::default());
    let rep = mon.check_once().await.unwrap();
    assert_eq!(rep.evaluated, 1);
    assert_eq!(rep.exits.len(), 1, "{rep:?}");
    assert!(rep.exits[0].1.contains("target hit"), "{rep:?}");
    let exit_cid = exit_client_order_id("trend", &sig.id(), 1);
    let orders = fake.orders();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[1]["client_order_id"], json!(exit_cid));
    assert_eq!(orders[1]["side"], json!("sell"));
    assert_eq!(orders[1]["qty"], json!("66"));

    let pos = r.store.position(&entry_cid).await.unwrap().unwrap();
    assert_eq!(pos.status, PositionStatus::Closed);
    assert_eq!(pos.realized_pnl(), Some(dec!(726)), "(161 - 150) x 66");
    let trades = r.store.trades().await.unwrap();
    assert_eq!(trades.len(), 2);
    assert_eq!(trades[1].realized_pnl, Some(dec!(726)));
    assert_eq!(mon.stats().exits_by_reason.get("target"), Some(&1));
    assert_eq!(mon.stats().checks, 1);

    let alerts = r.alerts.alerts();
    assert!(matches!(&alerts[0], Alert::Entry { qty, .. } if *qty == dec!(66)));
    assert!(matches!(&alerts[1], Alert::Exit { pnl, .. } if *pnl == dec!(726)));

    // A second check finds nothing to do and places nothing.
    let rep = mon.check_once().await.unwrap();
    assert_eq!((rep.evaluated, rep.exits.len()), (0, 0));
    assert_eq!(fake.posts().await, 2);
}

#[tokio::test]
async fn duplicate_signal_is_recognised_in_and_across_batches() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let r = rig(&fake);
    let d = r.exec.execute(&[aapl_long(), aapl_long()]).await;
    assert_eq!(d[0].outcome, Outcome::Executed);
    assert_eq!(d[1].skip, Some(SkipReason::Duplicate));
    let again = r.exec.execute(&[aapl_long().confidence(0.2)]).await;
    assert_eq!(again[0].skip, Some(SkipReason::Duplicate));
    assert_eq!(fake.posts().await, 1);
    // The stored decision is still the original one.
    let rec = r.store.signal(&aapl_long().id()).await.unwrap().unwrap();
    assert_eq!(rec.decision.unwrap().outcome, Outcome::Executed);
}

#[tokio::test]
async fn existing_position_blocks_a_second_entry_for_the_strategy() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let r = rig(&fake);
    r.exec.execute(&[aapl_long()]).await;
    let d = r.exec.execute(&[aapl_an_hour_later()]).await;
    assert_eq!(d[0].skip, Some(SkipReason::ExistingPosition), "{:?}", d[0]);
    assert_eq!(fake.posts().await, 1);
}

#[tokio::test]
async fn working_order_blocks_a_second_entry() {
    let fake = Fake::start().await;
    let (r, _) = working_entry(&fake).await;
    // Only the position (still opening) or the working order can block; both say "no".
    let d = r.exec.execute(&[aapl_an_hour_later()]).await;
    assert!(
        matches!(
            d[0].skip,
            Some(SkipReason::ExistingPosition | SkipReason::OpenOrder)
        ),
        "{:?}",
        d[0]
    );
    assert_eq!(fake.posts().await, 1);
}

#[tokio::test]
async fn market_closed_skips_or_queues() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| st.is_open = false);
    let r = rig(&fake);
    let d = r.exec.execute(&[aapl_long()]).await;
    assert_eq!(d[0].skip, Some(SkipReason::MarketClosed));
    assert_eq!(d[0].outcome, Outcome::Skipped);
    assert_eq!(fake.posts().await, 0);

    let q = rig_with(
        &fake,
        ExecutorConfig {
            closed_market: ClosedMarket::Queue,
            ..ExecutorConfig::new()
        },
    );
    let d = q.exec.execute(&[aapl_long()]).await;
    assert_eq!(d[0].outcome, Outcome::Queued);
    assert!(
        q.exec.execute_queued().await.unwrap().is_empty(),
        "still closed"
    );
    fake.with(|st| st.is_open = true);
    let d = q.exec.execute_queued().await.unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].outcome, Outcome::Executed, "{:?}", d[0]);
    assert_eq!(fake.posts().await, 1);
    assert!(q.exec.execute_queued().await.unwrap().is_empty());
}

#[tokio::test]
async fn halted_day_opens_nothing_but_records_why() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| st.equity = dec!(97500)); // -2.5% against a 2% limit
    let r = rig(&fake);
    let d = r.exec.execute(&[aapl_long()]).await;
    assert!(
        matches!(d[0].skip, Some(SkipReason::Halted { change, .. }) if change == dec!(-0.025)),
        "{:?}",
        d[0]
    );
    assert_eq!(fake.posts().await, 0);
    let rec = r.store.signal(&aapl_long().id()).await.unwrap().unwrap();
    assert_eq!(rec.decision.unwrap().skip.unwrap().name(), "halted");
}

#[tokio::test]
async fn guards_record_their_reasons() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let r = rig(&fake);
    let t = aapl_long().bar_time;
    let exit_without_position = Signal::new("trend", "MSFT", Intent::Exit, dec!(400), t);
    let poor_reward = aapl_long().target(dec!(151)); // reward 1 against risk 5
    let short = Signal::new("trend", "TSLA", Intent::EnterShort, dec!(200), t);
    let tiny = Signal::new("trend", "BRK.A", Intent::EnterLong, dec!(600000), t);
    let bad = Signal::new("trend", "", Intent::EnterLong, dec!(1), t);
    let d = r
        .exec
        .execute(&[exit_without_position, poor_reward, short, tiny, bad])
        .await;
    let names: Vec<_> = d.iter().map(|d| d.skip.as_ref().unwrap().name()).collect();
    assert_eq!(
        names,
        vec![
            "no_position",
            "quality",
            "short_not_allowed",
            "too_small",
            "invalid_signal"
        ]
    );
    assert_eq!(fake.posts().await, 0);
    assert_eq!(r.store.signals().await.unwrap().len(), 5);
}

#[tokio::test]
async fn max_positions_limit_is_a_recorded_skip() {
    let fake = Fake::start().await;
    let mut config = ExecutorConfig::new();
    config.limits.max_positions_per_strategy = 1;
    let r = rig_with(&fake, config);
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.quote("MSFT", dec!(399.95), dec!(400.05));
    let t = aapl_long().bar_time;
    let msft = Signal::new("trend", "MSFT", Intent::EnterLong, dec!(400), t);
    let d = r.exec.execute(&[aapl_long(), msft]).await;
    assert_eq!(d[0].outcome, Outcome::Executed);
    assert_eq!(d[1].skip.as_ref().unwrap().name(), "limits", "{:?}", d[1]);
}

#[tokio::test]
async fn five_xx_after_acceptance_is_settled_by_lookup_with_one_post() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| st.submit_plan.push_back(Submit::AcceptThen500));
    let r = rig(&fake);
    let d = r.exec.execute(&[aapl_long()]).await;
    assert_eq!(d[0].outcome, Outcome::Executed, "{:?}", d[0]);
    assert_eq!(fake.posts().await, 1, "looked up, not re-sent");
    assert_eq!(fake.orders().len(), 1);
    let lookups = crate::common::received(&fake.server, "GET", "/v2/orders:by_client_order_id")
        .await
        .len();
    assert_eq!(lookups, 1);
    let cid = d[0].client_order_id.clone().unwrap();
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Filled);
    assert_eq!(e.broker_order_id.as_deref(), Some("order-1"));
}

#[tokio::test]
async fn five_xx_before_acceptance_resends_once_with_the_same_id() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| st.submit_plan.push_back(Submit::Refuse500));
    let r = rig(&fake);
    let d = r.exec.execute(&[aapl_long()]).await;
    assert_eq!(d[0].outcome, Outcome::Executed, "{:?}", d[0]);
    let posts = crate::common::received(&fake.server, "POST", "/v2/orders").await;
    assert_eq!(posts.len(), 2);
    let ids: Vec<serde_json::Value> = posts
        .iter()
        .map(|p| {
            serde_json::from_slice::<serde_json::Value>(&p.body).unwrap()["client_order_id"].clone()
        })
        .collect();
    assert_eq!(ids[0], ids[1], "the re-send reuses the client order id");
    assert_eq!(fake.orders().len(), 1, "exactly one order exists");
}

#[tokio::test]
async fn duplicate_client_order_id_is_adopted() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| st.fill_on_submit = false);
    let sig = aapl_long();
    let cid = entry_client_order_id("trend", &sig.id());
    // An earlier process placed the order and died before recording it.
    let client = fake.client();
    alpaca_exec::OrderRequest::market(
        "AAPL",
        alpaca_exec::OrderSide::Buy,
        alpaca_exec::Qty::Shares(dec!(66)),
    )
    .client_order_id(&cid)
    .send(&client)
    .await
    .unwrap();
    let r = rig(&fake);
    let d = r.exec.execute(&[sig]).await;
    assert_eq!(d[0].outcome, Outcome::Executed, "{:?}", d[0]);
    assert_eq!(fake.orders().len(), 1);
    assert_eq!(
        fake.posts().await,
        2,
        "the executor's POST was refused as a duplicate"
    );
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::New);
    assert_eq!(e.broker_order_id.as_deref(), Some("order-1"));
}

#[tokio::test]
async fn one_symbol_failing_does_not_stop_the_batch() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.quote("XYZ", dec!(9.99), dec!(10.01));
    fake.with(|st| st.reject.push("XYZ".into()));
    let r = rig(&fake);
    let xyz = Signal::new(
        "trend",
        "XYZ",
        Intent::EnterLong,
        dec!(10),
        aapl_long().bar_time,
    );
    let d = r.exec.execute(&[xyz, aapl_long()]).await;
    assert_eq!(d[0].outcome, Outcome::Failed);
    assert!(
        d[0].detail.contains("insufficient buying power"),
        "{}",
        d[0].detail
    );
    assert_eq!(d[1].outcome, Outcome::Executed);
    let errors: Vec<_> = r
        .alerts
        .alerts()
        .into_iter()
        .filter(|a| matches!(a, Alert::Error { symbol: Some(s), .. } if s == "XYZ"))
        .collect();
    assert_eq!(errors.len(), 1, "the failure is alerted once");
    let cid = d[0].client_order_id.clone().unwrap();
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Rejected);
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.status, PositionStatus::NeverOpened);
}

#[tokio::test]
async fn partial_fills_update_position_and_journal_and_stale_answers_are_ignored() {
    let fake = Fake::start().await;
    let (r, cid) = working_entry(&fake).await;

    fake.fill(&cid, dec!(30), dec!(150), "partially_filled");
    r.exec.poll_orders().await.unwrap();
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(
        (pos.status, pos.entry_qty),
        (PositionStatus::Open, dec!(30))
    );

    fake.fill(&cid, dec!(66), dec!(150.5), "filled");
    let rep = r.exec.poll_orders().await.unwrap();
    assert_eq!(rep.updated, vec![cid.clone()]);
    let trades = r.store.trades().await.unwrap();
    assert_eq!(trades.len(), 2);
    assert_eq!(trades[1].qty, dec!(36));
    // (150.5 x 66 - 150 x 30) / 36
    assert_eq!(trades[1].price, dec!(150.916667));

    // A stale read going backwards is ignored; nothing is double counted.
    fake.fill(&cid, dec!(30), dec!(150), "partially_filled");
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Filled);
    assert!(
        r.exec.poll_orders().await.unwrap().is_clean(),
        "filled orders are not polled"
    );
    assert_eq!(r.store.trades().await.unwrap().len(), 2);
}

#[tokio::test]
async fn late_fill_after_cancel_is_applied() {
    let fake = Fake::start().await;
    let (r, cid) = working_entry(&fake).await;
    fake.fill(&cid, dec!(0), dec!(0), "pending_cancel");
    r.exec.poll_orders().await.unwrap();
    fake.fill(&cid, dec!(66), dec!(150), "filled");
    r.exec.poll_orders().await.unwrap();
    let e = r.store.execution(&cid).await.unwrap().unwrap();
    assert_eq!(e.state, ExecState::Filled);
    let states: Vec<_> = e.history.iter().map(|h| h.state).collect();
    assert_eq!(
        states,
        vec![
            ExecState::Pending,
            ExecState::New,
            ExecState::PendingCancel,
            ExecState::Filled
        ]
    );
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.entry_qty, dec!(66));
}

#[tokio::test]
async fn manual_close_and_close_all_place_idempotent_exits() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.quote("MSFT", dec!(399.95), dec!(400.05));
    let r = rig(&fake);
    let msft = Signal::new(
        "trend",
        "MSFT",
        Intent::EnterLong,
        dec!(400),
        aapl_long().bar_time,
    );
    r.exec.execute(&[aapl_long(), msft]).await;
    fake.with(|st| st.fill_on_submit = false);
    let mon = PositionMonitor::new(r.exec.clone(), ExitPolicy::default());
    let (placed, errors) = mon.close_all().await.unwrap();
    assert_eq!((placed.len(), errors.len()), (2, 0));
    assert_eq!(fake.posts().await, 4);
    // Closing again while the exits work returns the same orders and sends nothing.
    let again = mon.close(&placed[0].position_id).await.unwrap();
    assert_eq!(again.client_order_id, placed[0].client_order_id);
    assert_eq!(fake.posts().await, 4);
    assert_eq!(mon.stats().exits_by_reason.get("manual"), Some(&2));
}

#[tokio::test]
async fn exit_signal_closes_the_position() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let r = rig(&fake);
    r.exec.execute(&[aapl_long()]).await;
    fake.quote("AAPL", dec!(147.95), dec!(148.05));
    let exit = Signal::new(
        "trend",
        "AAPL",
        Intent::Exit,
        dec!(148),
        aapl_long().bar_time,
    );
    let d = r.exec.execute(&[exit]).await;
    assert_eq!(d[0].outcome, Outcome::Executed, "{:?}", d[0]);
    let pos = r.store.positions(false).await.unwrap().remove(0);
    assert_eq!(pos.status, PositionStatus::Closed);
    assert_eq!(pos.realized_pnl(), Some(dec!(-132)), "(148 - 150) x 66");
}

#[tokio::test]
async fn reconcile_closes_positions_closed_while_down() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let r = rig(&fake);
    r.exec.execute(&[aapl_long()]).await;
    // Someone sold it in the dashboard while the engine was down.
    alpaca_exec::OrderRequest::market(
        "AAPL",
        alpaca_exec::OrderSide::Sell,
        alpaca_exec::Qty::Shares(dec!(66)),
    )
    .client_order_id("manual-sell")
    .send(&fake.client())
    .await
    .unwrap();
    let rep = r.exec.reconcile().await.unwrap();
    assert_eq!(rep.closed_externally, vec!["AAPL".to_owned()]);
    let pos = r.store.positions(false).await.unwrap().remove(0);
    assert_eq!(pos.status, PositionStatus::Closed);
    assert!(r.exec.reconcile().await.unwrap().is_clean());
}

#[tokio::test]
async fn daily_summary_counts_decisions_and_pnl() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let r = rig(&fake);
    r.exec
        .execute(&[aapl_long(), aapl_long().target(dec!(151))])
        .await;
    fake.quote("AAPL", dec!(160.95), dec!(161.05));
    PositionMonitor::new(r.exec.clone(), ExitPolicy::default())
        .check_once()
        .await
        .unwrap();
    let today = alpaca_exec::options::select::new_york_date(chrono::Utc::now());
    let s = r.exec.close_day(today).await.unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!((s[0].signals, s[0].executed, s[0].skipped), (2, 1, 1));
    assert_eq!((s[0].fills, s[0].realized_pnl), (2, dec!(726)));
    assert_eq!(r.store.daily_summaries(today).await.unwrap(), s);
    assert!(
        r.alerts
            .alerts()
            .iter()
            .any(|a| matches!(a, Alert::DailySummary(_)))
    );
}

#[tokio::test]
async fn pushed_order_updates_are_applied_like_polls() {
    let fake = Fake::start().await;
    let (r, cid) = working_entry(&fake).await;
    let mut update = r
        .exec
        .broker()
        .order_by_client_order_id(&cid)
        .await
        .unwrap();
    update.status = alpaca_exec::OrderStatus::Filled;
    update.filled_qty = dec!(66);
    update.filled_avg_price = Some(dec!(150.02));
    assert!(r.exec.on_order_update(&update).await.unwrap());
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(
        (pos.status, pos.entry_price),
        (PositionStatus::Open, Some(dec!(150.02)))
    );
    // The same update again is recognised (the execution has finished), changes nothing and
    // journals nothing twice.
    assert!(!r.exec.on_order_update(&update).await.unwrap());
    assert_eq!(r.store.trades().await.unwrap().len(), 1);
    update.client_order_id = "someone-else".into();
    assert!(!r.exec.on_order_update(&update).await.unwrap());
}

#[tokio::test]
async fn unresolved_submit_waits_for_the_grace_period_then_start_up_settles_it() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| {
        st.submit_plan.push_back(Submit::Refuse500);
        st.submit_plan.push_back(Submit::Refuse500);
    });
    let r = rig(&fake);
    let d = r.exec.execute(&[aapl_long()]).await;
    assert_eq!(d[0].outcome, Outcome::Unresolved, "{:?}", d[0]);
    let cid = d[0].client_order_id.clone().unwrap();
    assert_eq!(
        r.store.execution(&cid).await.unwrap().unwrap().state,
        ExecState::Pending
    );
    assert_eq!(fake.posts().await, 2);
    // A poll right away leaves it alone: it could still be on its way.
    assert!(r.exec.poll_orders().await.unwrap().resent.is_empty());
    assert_eq!(fake.posts().await, 2);
    // On start-up nothing is in flight: absent at the broker, so it is sent (same id).
    let rep = r.exec.reconcile().await.unwrap();
    assert_eq!(rep.resent, vec![cid.clone()]);
    assert_eq!(fake.orders().len(), 1);
    assert_eq!(
        r.store.execution(&cid).await.unwrap().unwrap().state,
        ExecState::Filled
    );
}

#[tokio::test]
async fn sizing_overrides_pick_the_most_specific_policy() {
    use alpaca_exec::exec::SizingOverrides;
    use alpaca_exec::risk::{EquitySizing, EquitySizingPolicy};
    let pct = |p| EquitySizingPolicy {
        method: EquitySizing::PercentOfEquity(p),
        ..EquitySizingPolicy::default()
    };
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.quote("MSFT", dec!(299.95), dec!(300.05));
    let mut config = ExecutorConfig::new();
    config.equity_sizing_overrides = SizingOverrides::new()
        .strategy("trend", pct(dec!(0.03)))
        .symbol("trend", "aapl", pct(dec!(0.06)));
    let r = rig_with(&fake, config);
    let msft = Signal {
        symbol: "MSFT".into(),
        reference_price: dec!(300),
        stop: Some(dec!(290)),
        target: Some(dec!(320)),
        ..aapl_long()
    };
    let d = r.exec.execute(&[aapl_long(), msft]).await;
    assert!(d.iter().all(|d| d.outcome == Outcome::Executed), "{d:?}");
    let orders = fake.orders();
    // 6% of $100,000 at $150 is 40 shares; 3% at $300 is 10 shares (not the 10% default).
    assert_eq!(
        (orders[0]["symbol"].clone(), orders[0]["qty"].clone()),
        (json!("AAPL"), json!("40"))
    );
    assert_eq!(
        (orders[1]["symbol"].clone(), orders[1]["qty"].clone()),
        (json!("MSFT"), json!("10"))
    );
}

#[tokio::test]
async fn monitor_applies_each_strategy_its_own_exit_policy() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let r = rig(&fake);
    r.exec.execute(&[aapl_long()]).await;
    // Through the 160 target: the default policy exits, but not the trend strategy's own.
    fake.quote("AAPL", dec!(160.95), dec!(161.05));
    let hold = ExitPolicy {
        use_target: false,
        ..ExitPolicy::default()
    };
    let mon = PositionMonitor::new(r.exec.clone(), ExitPolicy::default())
        .with_strategy_policy("trend", hold);
    assert_eq!(mon.policy_for("trend"), &hold);
    assert_eq!(mon.policy_for("other"), &ExitPolicy::default());
    let rep = mon.check_once().await.unwrap();
    assert_eq!((rep.evaluated, rep.exits.len()), (1, 0), "{rep:?}");
    assert_eq!(fake.posts().await, 1);
}

#[tokio::test]
async fn preview_reports_the_exit_without_placing_it() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let r = rig(&fake);
    r.exec.execute(&[aapl_long()]).await;
    fake.quote("AAPL", dec!(143.95), dec!(144.05)); // under the 145 stop
    let mon = PositionMonitor::new(r.exec.clone(), ExitPolicy::default());
    let rep = mon.preview().await.unwrap();
    assert_eq!(rep.evaluated, 1);
    assert_eq!(rep.exits.len(), 1, "{rep:?}");
    assert!(rep.exits[0].1.contains("stop"), "{rep:?}");
    assert_eq!(fake.posts().await, 1, "only the entry was placed");
    assert_eq!(mon.stats().checks, 0);
    let pos = r.store.positions(true).await.unwrap();
    assert_eq!(pos[0].status, PositionStatus::Open);
    // The real check places it.
    let rep = mon.check_once().await.unwrap();
    assert_eq!(rep.exits.len(), 1);
    assert_eq!(fake.posts().await, 2);
}
