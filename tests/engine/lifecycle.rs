//! Positions that end outside the engine while it runs: an option expiring, exercised or
//! assigned, a close in Alpaca's dashboard, a position gone without a trace. Each is closed by
//! the next monitor pass from the account activities, with its real P&L, and the symbol is
//! free for the next signal.

use crate::common;
use crate::fake::Fake;
use crate::options::chain;
use crate::support::{aapl_an_hour_later, aapl_long, rig};
use alpaca_exec::alert::Alert;
use alpaca_exec::exec::{PositionMonitor, UNEXPLAINED_GRACE, with_clock};
use alpaca_exec::risk::{ExitPolicy, Side};
use alpaca_exec::store::{ExecutionStore, Outcome, PositionStatus, TrackedPosition};
use alpaca_exec::strategy::OptionSpec;
use alpaca_exec::{OptionType, OrderRequest, OrderSide, Qty};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const CALL: &str = "AAPL240315C00150000";

fn monitor(r: &crate::support::Rig) -> PositionMonitor {
    PositionMonitor::new(r.exec.clone(), ExitPolicy::default())
}

/// A non-trade activity as Alpaca lists it.
fn nta(id: &str, kind: &str, symbol: &str, qty: &str, net: &str) -> Value {
    json!({"id": id, "activity_type": kind, "activity_sub_type": "", "date": "2024-03-15",
           "net_amount": net, "symbol": symbol, "qty": qty, "status": "executed",
           "description": "", "group_id": "g-1", "created_at": "2024-03-15T22:00:00Z"})
}

/// Two calls bought at 1.10 (the limit at mid + 5%, capped at the ask).
async fn long_calls(fake: &Fake, r: &crate::support::Rig) -> String {
    chain(fake);
    let d = r
        .exec
        .execute(&[aapl_long().option(OptionSpec::new(OptionType::Call))])
        .await;
    assert_eq!(d[0].outcome, Outcome::Executed, "{:?}", d[0]);
    let cid = d[0].client_order_id.clone().unwrap();
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(
        (pos.symbol.as_str(), pos.entry_qty, pos.entry_price),
        (CALL, dec!(2), Some(dec!(1.10)))
    );
    cid
}

fn exit_alerts(r: &crate::support::Rig) -> Vec<(String, Decimal, String)> {
    r.alerts
        .alerts()
        .into_iter()
        .filter_map(|a| match a {
            Alert::Exit {
                symbol,
                pnl,
                reason,
                ..
            } => Some((symbol, pnl, reason)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_option_expiring_worthless_is_closed_by_the_next_pass_and_the_symbol_trades_again() {
    let fake = Fake::start().await;
    let r = rig(&fake);
    let cid = long_calls(&fake, &r).await;
    let m = monitor(&r);
    assert!(m.check_once().await.unwrap().ended.is_empty(), "still held");

    // Expiration day passes with AAPL under 150: Alpaca removes the contracts and lists OPEXP.
    fake.with(|st| {
        st.adjustments.push((CALL.into(), dec!(-2)));
        st.activities
            .push(nta("20240315::opexp", "OPEXP", CALL, "-2", "0"));
    });
    let rep = m.check_once().await.unwrap();
    assert_eq!(rep.ended.len(), 1, "{rep:?}");
    assert_eq!(
        (rep.ended[0].rule.as_str(), rep.ended[0].closed),
        ("expired", true)
    );
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.status, PositionStatus::Closed);
    assert_eq!(pos.exit_reason.as_deref(), Some("expired"));
    assert_eq!(pos.exit_rule.as_deref(), Some("expired"));
    // Minus the premium: 1.10 x 2 contracts x 100.
    assert_eq!(pos.realized_pnl(), Some(dec!(-220)));
    assert_eq!(
        exit_alerts(&r),
        vec![(CALL.to_owned(), dec!(-220), "expired".to_owned())]
    );
    let trades = r.store.trades().await.unwrap();
    let expiry = trades.last().unwrap();
    assert_eq!(
        (
            expiry.action.as_str(),
            expiry.qty,
            expiry.price,
            expiry.realized_pnl
        ),
        ("option_expired", dec!(2), dec!(0), Some(dec!(-220)))
    );
    assert_eq!(m.stats().exits_by_reason.get("expired"), Some(&1));
    // What the engine asked Alpaca: activities since the day before the position opened.
    let asked = common::received(&fake.server, "GET", "/v2/account/activities").await;
    let after: DateTime<Utc> = asked[0]
        .url
        .query_pairs()
        .find(|(k, _)| k == "after")
        .unwrap()
        .1
        .parse()
        .unwrap();
    assert_eq!(after, pos.opened_at - chrono::Duration::days(1));

    // A second pass finds nothing more to do, and records nothing twice.
    assert!(m.check_once().await.unwrap().ended.is_empty());
    assert_eq!(r.store.trades().await.unwrap().len(), trades.len());
    // The symbol is free: the next signal on AAPL trades.
    let d = r
        .exec
        .execute(&[aapl_an_hour_later().option(OptionSpec::new(OptionType::Call))])
        .await;
    assert_eq!(d[0].outcome, Outcome::Executed, "{:?}", d[0]);
    assert_eq!(fake.posts().await, 2);
}

#[tokio::test]
async fn an_exercised_call_closes_at_its_intrinsic_value_and_the_shares_are_tracked() {
    let fake = Fake::start().await;
    let r = rig(&fake);
    let cid = long_calls(&fake, &r).await;
    // AAPL closed at 155 on expiration day: the calls were exercised into 200 shares at 150.
    fake.quote("AAPL", dec!(154.95), dec!(155.05));
    fake.with(|st| {
        st.adjustments
            .extend([(CALL.into(), dec!(-2)), ("AAPL".into(), dec!(200))]);
        st.activities.extend([
            nta("20240315::opexc", "OPEXC", CALL, "-2", "0"),
            nta("20240315::optrd", "OPTRD", "AAPL", "200", "-30000"),
        ]);
    });
    let rep = monitor(&r).check_once().await.unwrap();
    assert_eq!(rep.ended.len(), 1, "{rep:?}");
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.status, PositionStatus::Closed);
    assert_eq!(pos.exit_rule.as_deref(), Some("exercised"));
    assert_eq!(
        pos.exit_reason.as_deref(),
        Some("exercised (underlying at 155.00)")
    );
    // Worth 155 - 150 = 5 a share at exercise: (5 - 1.10) x 200.
    assert_eq!(pos.realized_pnl(), Some(dec!(780)));
    // The 200 shares are the strategy's now, entered at the price the calls were valued at.
    let shares = r
        .store
        .position(&format!("{cid}-delivered"))
        .await
        .unwrap()
        .expect("a tracked position for the delivered shares");
    assert_eq!(
        (
            shares.symbol.as_str(),
            shares.side,
            shares.entry_qty,
            shares.entry_price,
            shares.status
        ),
        (
            "AAPL",
            Side::Long,
            dec!(200),
            Some(dec!(155.00)),
            PositionStatus::Open
        )
    );
    assert_eq!((shares.stop, shares.target), (pos.stop, pos.target));
    assert!(r.alerts.alerts().iter().any(
        |a| matches!(a, Alert::Entry { symbol, qty, .. } if symbol == "AAPL" && *qty == dec!(200))
    ));
    // The broker holds exactly what is tracked: the next pass changes nothing.
    let again = monitor(&r).check_once().await.unwrap();
    assert!(again.ended.is_empty(), "{again:?}");
}

#[tokio::test]
async fn an_exercise_settled_in_cash_is_priced_from_the_cash() {
    let fake = Fake::start().await;
    let r = rig(&fake);
    let cid = long_calls(&fake, &r).await;
    fake.with(|st| {
        st.adjustments.push((CALL.into(), dec!(-2)));
        st.activities
            .push(nta("20240315::opexc", "OPEXC", CALL, "-2", "1000"));
    });
    monitor(&r).check_once().await.unwrap();
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.exit_reason.as_deref(), Some("exercised"));
    // $1,000 for 2 contracts of 100: 5.00 a share.
    assert_eq!(pos.realized_pnl(), Some((dec!(5) - dec!(1.10)) * dec!(200)));
    assert_eq!(r.store.positions(true).await.unwrap().len(), 0, "no shares");
}

/// A short put the strategy holds (written before this process, say): one contract sold at 2.
fn short_put() -> TrackedPosition {
    TrackedPosition {
        id: "wheel-put-e".into(),
        strategy: "wheel".into(),
        symbol: "AAPL240315P00150000".into(),
        side: Side::Short,
        planned_qty: dec!(1),
        planned_cost: dec!(200),
        entry_qty: dec!(1),
        entry_price: Some(dec!(2)),
        multiplier: dec!(100),
        stop: None,
        target: None,
        expiration: chrono::NaiveDate::from_ymd_opt(2024, 3, 15),
        opened_at: Utc.with_ymd_and_hms(2024, 3, 4, 15, 0, 0).unwrap(),
        ..crate::store::position()
    }
}

#[tokio::test]
async fn an_assigned_short_put_closes_at_its_intrinsic_value_and_the_shares_are_tracked() {
    let fake = Fake::start().await;
    let r = rig(&fake);
    r.store.upsert_position(&short_put()).await.unwrap();
    // AAPL closed at 145: the put was assigned, 100 shares bought at 150.
    fake.quote("AAPL", dec!(144.95), dec!(145.05));
    fake.with(|st| {
        st.adjustments.push(("AAPL".into(), dec!(100)));
        st.activities.extend([
            nta("20240315::opasn", "OPASN", "AAPL240315P00150000", "1", "0"),
            nta("20240315::optrd", "OPTRD", "AAPL", "100", "-15000"),
        ]);
    });
    let rep = monitor(&r).check_once().await.unwrap();
    assert_eq!(rep.ended[0].rule, "assigned", "{rep:?}");
    let put = r.store.position("wheel-put-e").await.unwrap().unwrap();
    assert_eq!(put.status, PositionStatus::Closed);
    // Sold at 2, bought back at the 5 it was worth: (2 - 5) x 100.
    assert_eq!(put.realized_pnl(), Some(dec!(-300)));
    let shares = r
        .store
        .position("wheel-put-e-delivered")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            shares.side,
            shares.entry_qty,
            shares.entry_price,
            shares.strategy.as_str()
        ),
        (Side::Long, dec!(100), Some(dec!(145.00)), "wheel")
    );
    assert_eq!(
        exit_alerts(&r),
        vec![(
            "AAPL240315P00150000".to_owned(),
            dec!(-300),
            "assigned (underlying at 145.00)".to_owned()
        )]
    );
}

#[tokio::test]
async fn a_close_in_the_dashboard_is_recorded_at_its_fill_price() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let r = rig(&fake);
    let d = r.exec.execute(&[aapl_long()]).await;
    let cid = d[0].client_order_id.clone().unwrap();
    // 66 shares at 150; someone sells 30, then the rest, by hand, at 152.
    fake.quote("AAPL", dec!(151.95), dec!(152.05));
    let sell = |qty: Decimal, id: &str| {
        OrderRequest::market("AAPL", OrderSide::Sell, Qty::Shares(qty)).client_order_id(id)
    };
    sell(dec!(30), "by-hand-1")
        .send(&fake.client())
        .await
        .unwrap();
    let m = monitor(&r);
    let rep = m.check_once().await.unwrap();
    assert_eq!(
        (rep.ended[0].rule.as_str(), rep.ended[0].closed),
        ("external", false),
        "{rep:?}"
    );
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(
        (pos.status, pos.open_qty()),
        (PositionStatus::Open, Some(dec!(36)))
    );
    assert!(
        r.alerts.alerts().iter().any(
            |a| matches!(a, Alert::Notice { message, .. } if message.contains("36 still held"))
        )
    );

    sell(dec!(36), "by-hand-2")
        .send(&fake.client())
        .await
        .unwrap();
    m.check_once().await.unwrap();
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.status, PositionStatus::Closed);
    assert_eq!(pos.realized_pnl(), Some(dec!(2) * dec!(66)));
    assert_eq!(
        pos.exit_reason.as_deref(),
        Some("closed outside the engine: sold 36 at 152 (order order-3)")
    );
    assert_eq!(exit_alerts(&r)[0].1, dec!(132));
    // The symbol is free again.
    let d = r.exec.execute(&[aapl_an_hour_later()]).await;
    assert_eq!(d[0].outcome, Outcome::Executed, "{:?}", d[0]);
}

#[tokio::test]
async fn the_engines_own_exit_is_not_taken_for_a_close_outside_it() {
    let fake = Fake::start().await;
    let r = rig(&fake);
    let cid = long_calls(&fake, &r).await;
    // The premium doubles: the monitor's max-profit exit sells at the bid and fills.
    fake.quote(CALL, dec!(2.30), dec!(2.40));
    let m = monitor(&r);
    let rep = m.check_once().await.unwrap();
    assert_eq!(rep.exits.len(), 1);
    assert!(m.check_once().await.unwrap().ended.is_empty());
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.exit_rule.as_deref(), Some("max_profit"));
    assert_eq!(pos.realized_pnl(), Some(dec!(250)));
}

/// A clock the test moves by hand.
fn manual_clock(start: DateTime<Utc>) -> (alpaca_exec::exec::Clock, Arc<Mutex<DateTime<Utc>>>) {
    let t = Arc::new(Mutex::new(start));
    let read = t.clone();
    (Arc::new(move || *read.lock().unwrap()), t)
}

#[tokio::test]
async fn a_position_gone_without_a_trace_waits_out_the_grace_then_closes_at_the_quote() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let r = rig(&fake);
    let (clock, t) = manual_clock(Utc.with_ymd_and_hms(2024, 3, 4, 15, 30, 0).unwrap());
    with_clock(clock, async {
        let d = r.exec.execute(&[aapl_long()]).await;
        let cid = d[0].client_order_id.clone().unwrap();
        // The shares vanish at the broker and no activity says why (yet).
        fake.with(|st| st.adjustments.push(("AAPL".into(), dec!(-66))));
        let m = monitor(&r);
        let rep = m.check_once().await.unwrap();
        assert_eq!(rep.ended.len(), 0);
        let waiting = r.exec.close_ended_positions().await.unwrap().waiting;
        assert_eq!(waiting, vec![cid.clone()], "within the grace");
        assert_eq!(
            r.store.position(&cid).await.unwrap().unwrap().status,
            PositionStatus::Open
        );
        *t.lock().unwrap() += UNEXPLAINED_GRACE;
        let rep = m.check_once().await.unwrap();
        assert_eq!(rep.ended.len(), 1, "{rep:?}");
        let pos = r.store.position(&cid).await.unwrap().unwrap();
        assert_eq!(pos.status, PositionStatus::Closed);
        // At the bid, what the shares could have been sold for: (149.95 - 150) x 66.
        assert_eq!(pos.realized_pnl(), Some(dec!(-3.30)));
        assert_eq!(pos.exit_rule.as_deref(), Some("external"));
        assert!(
            pos.exit_reason
                .as_deref()
                .is_some_and(|r| r.contains("no activity listed")),
            "{pos:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_option_gone_after_its_expiry_without_an_activity_is_closed_at_once() {
    let fake = Fake::start().await;
    let r = rig(&fake);
    fake.quote("AAPL", dec!(144.95), dec!(145.05));
    r.store.upsert_position(&short_put()).await.unwrap();
    // 17:00 New York on expiration day, and the put is no longer at the broker.
    let (clock, _) = manual_clock(Utc.with_ymd_and_hms(2024, 3, 15, 21, 0, 0).unwrap());
    let rep = with_clock(clock, r.exec.close_ended_positions())
        .await
        .unwrap();
    assert_eq!(rep.ended.len(), 1, "{rep:?}");
    let put = r.store.position("wheel-put-e").await.unwrap().unwrap();
    assert_eq!(put.exit_rule.as_deref(), Some("assigned"));
    assert!(
        put.exit_reason
            .as_deref()
            .is_some_and(|r| r.contains("after expiry")),
        "{put:?}"
    );
    assert_eq!(put.realized_pnl(), Some(dec!(-300)));
}

#[tokio::test]
async fn the_journal_records_an_expiry() {
    use alpaca_exec::exec::{Executor, ExecutorConfig, Journal, JournaledStore};
    use alpaca_exec::options::select::new_york_date;
    use alpaca_exec::store::MemoryStore;
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start().await;
    chain(&fake);
    let store = Arc::new(JournaledStore::new(
        MemoryStore::with_events(),
        Journal::new(dir.path()),
    ));
    let exec = Arc::new(Executor::new(
        fake.broker(),
        store.clone(),
        ExecutorConfig::new(),
    ));
    exec.execute(&[aapl_long().option(OptionSpec::new(OptionType::Call))])
        .await;
    fake.with(|st| {
        st.adjustments.push((CALL.into(), dec!(-2)));
        st.activities
            .push(nta("20240315::opexp", "OPEXP", CALL, "-2", "0"));
    });
    PositionMonitor::new(exec, ExitPolicy::default())
        .check_once()
        .await
        .unwrap();
    let today = new_york_date(Utc::now());
    let csv = std::fs::read_to_string(store.journal().trade_file(today)).unwrap();
    let last = csv.lines().last().unwrap();
    assert!(
        last.ends_with(&format!(",trend,{CALL},option_expired,2,0,20240315::opexp")),
        "{csv}"
    );
    let events = std::fs::read_to_string(store.journal().event_file(today)).unwrap();
    let exit: Value = events
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["kind"] == "exit")
        .expect("an exit event");
    assert_eq!(
        (&exit["detail"]["rule"], &exit["detail"]["outside_engine"]),
        (&json!("expired"), &json!(true))
    );
}

#[tokio::test]
async fn activities_alpaca_cannot_serve_leave_the_position_open_for_the_next_pass() {
    let fake = Fake::start().await;
    let r = rig(&fake);
    let cid = long_calls(&fake, &r).await;
    fake.with(|st| st.adjustments.push((CALL.into(), dec!(-2))));
    // Above the fake's own route: Alpaca failing, every retry.
    common::expect("GET", "/v2/account/activities")
        .respond_with(wiremock::ResponseTemplate::new(503).set_body_string("unavailable"))
        .with_priority(1)
        .mount(&fake.server)
        .await;
    let rep = monitor(&r).check_once().await.unwrap();
    assert!(rep.ended.is_empty());
    assert!(
        rep.errors
            .iter()
            .any(|e| e.contains("positions ended outside the engine") && e.contains("503")),
        "{rep:?}"
    );
    assert_eq!(
        r.store.position(&cid).await.unwrap().unwrap().status,
        PositionStatus::Open,
        "nothing recorded without knowing what happened"
    );
    assert!(
        r.alerts
            .alerts()
            .iter()
            .any(|a| matches!(a, Alert::Error { .. }))
    );
}
