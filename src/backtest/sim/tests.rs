use super::*;
use crate::OccSymbol;
use crate::trading::orders::{OrderRequest, Qty, Trail};
use crate::{OrderSide, PositionIntent};
use chrono::TimeZone;
use chrono_tz::America::New_York;
use rust_decimal_macros::dec;

pub(super) fn day(d: u32) -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(2024, 3, d, 0, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

pub(super) fn open_of(d: u32) -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(2024, 3, d, 9, 30, 0)
        .unwrap()
        .with_timezone(&Utc)
}

pub(super) fn close_of(d: u32) -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(2024, 3, d, 16, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

pub(super) fn bar(d: u32, o: Decimal, h: Decimal, l: Decimal, c: Decimal) -> Bar {
    Bar::new(day(d), o, h, l, c, dec!(1000))
}

/// March 2024 weekdays 4-8 and 11-15.
pub(super) fn sim(config: SimConfig) -> SimBroker {
    let days = [4, 5, 6, 7, 8, 11, 12, 13, 14, 15].map(day);
    SimBroker::new(config, SessionCalendar::from_times(days))
}

/// Feeds a daily bar the way the driver does: fills at the open, then the close.
pub(super) fn session(s: &SimBroker, sym: &str, b: &Bar) {
    let d = b.timestamp.with_timezone(&New_York).date_naive();
    s.set_now(s.sessions().session(d).unwrap().0);
    s.on_bar(sym, b);
    s.set_now(s.sessions().session(d).unwrap().1);
}

fn order(sym: &str, side: OrderSide, qty: Decimal) -> crate::trading::orders::OrderBuilder {
    OrderRequest::market(sym, side, Qty::Shares(qty))
}

#[tokio::test]
async fn market_order_fills_at_next_open_and_books_cash() {
    let s = sim(SimConfig::default());
    session(
        &s,
        "SPY",
        &bar(4, dec!(100), dec!(101), dec!(99), dec!(100.5)),
    );
    let o = s
        .submit_order(&order("SPY", OrderSide::Buy, dec!(10)).build().unwrap())
        .await
        .unwrap();
    assert_eq!(o.status, OrderStatus::Accepted, "placed after the close");
    assert!(
        s.fills().is_empty(),
        "nothing fills on the bar it was placed after"
    );
    session(
        &s,
        "SPY",
        &bar(5, dec!(102), dec!(103), dec!(101), dec!(102.5)),
    );
    let f = s.fills();
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].price, f[0].qty, f[0].time),
        (dec!(102), dec!(10), open_of(5))
    );
    assert_eq!(s.cash(), dec!(100000) - dec!(1020));
    let got = s.order(&o.id).await.unwrap();
    assert_eq!(
        (got.status, got.filled_avg_price),
        (OrderStatus::Filled, Some(dec!(102)))
    );
    s.end_of_day(day(5).with_timezone(&New_York).date_naive());
    assert_eq!(
        s.equity_curve()[0].equity,
        dec!(100000) - dec!(1020) + dec!(1025)
    );
    let acct = s.account().await.unwrap();
    assert_eq!(acct.last_equity, Some(dec!(100005)));
}

#[tokio::test]
async fn limit_touched_exactly_fills_at_the_limit() {
    let s = sim(SimConfig::default());
    session(
        &s,
        "SPY",
        &bar(4, dec!(100), dec!(101), dec!(99), dec!(100)),
    );
    let req = OrderRequest::limit("SPY", OrderSide::Buy, Qty::Shares(dec!(5)), dec!(98))
        .time_in_force(TimeInForce::Gtc)
        .build()
        .unwrap();
    s.submit_order(&req).await.unwrap();
    session(
        &s,
        "SPY",
        &bar(5, dec!(100), dec!(101), dec!(98.01), dec!(99)),
    );
    assert!(s.fills().is_empty(), "one cent short");
    session(
        &s,
        "SPY",
        &bar(6, dec!(99), dec!(99.5), dec!(98), dec!(98.5)),
    );
    assert_eq!(s.fills()[0].price, dec!(98), "touched exactly");
}

#[tokio::test]
async fn stop_gapped_through_fills_at_the_open_and_partial_exit_keeps_the_rest() {
    let s = sim(SimConfig::default());
    session(
        &s,
        "SPY",
        &bar(4, dec!(100), dec!(101), dec!(99), dec!(100)),
    );
    s.submit_order(&order("SPY", OrderSide::Buy, dec!(10)).build().unwrap())
        .await
        .unwrap();
    session(
        &s,
        "SPY",
        &bar(5, dec!(100), dec!(101), dec!(99), dec!(100)),
    );
    // Sell half with a stop at 95; the next bar gaps down to 90.
    let stop = OrderRequest::builder("SPY", OrderSide::Sell, Qty::Shares(dec!(4)))
        .stop_price(dec!(95))
        .time_in_force(TimeInForce::Gtc)
        .build()
        .unwrap();
    s.submit_order(&stop).await.unwrap();
    session(&s, "SPY", &bar(6, dec!(90), dec!(92), dec!(88), dec!(91)));
    let f = s.fills();
    assert_eq!(
        (f[1].price, f[1].qty),
        (dec!(90), dec!(4)),
        "gap through the stop fills at the open"
    );
    let pos = s.positions().await.unwrap();
    assert_eq!(pos.len(), 1);
    assert_eq!(
        (pos[0].qty, pos[0].avg_entry_price),
        (dec!(6), dec!(100)),
        "partial exit keeps the average"
    );
}

#[tokio::test]
async fn day_orders_expire_and_ioc_cancels_after_one_bar() {
    let s = sim(SimConfig::default());
    session(
        &s,
        "SPY",
        &bar(4, dec!(100), dec!(101), dec!(99), dec!(100)),
    );
    s.set_now(open_of(5));
    let day_order = OrderRequest::limit("SPY", OrderSide::Buy, Qty::Shares(dec!(1)), dec!(50))
        .build()
        .unwrap();
    let d = s.submit_order(&day_order).await.unwrap();
    let ioc = OrderRequest::limit("SPY", OrderSide::Buy, Qty::Shares(dec!(1)), dec!(50))
        .time_in_force(TimeInForce::Ioc)
        .build()
        .unwrap();
    let i = s.submit_order(&ioc).await.unwrap();
    s.on_bar("SPY", &bar(5, dec!(100), dec!(101), dec!(99), dec!(100)));
    assert_eq!(s.order(&i.id).await.unwrap().status, OrderStatus::Canceled);
    assert_eq!(s.order(&d.id).await.unwrap().status, OrderStatus::New);
    s.end_of_day(day(5).with_timezone(&New_York).date_naive());
    assert_eq!(s.order(&d.id).await.unwrap().status, OrderStatus::Expired);
    assert!(s.open_orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn bracket_exits_cancel_each_other() {
    let s = sim(SimConfig::default());
    session(
        &s,
        "SPY",
        &bar(4, dec!(100), dec!(101), dec!(99), dec!(100)),
    );
    let req = OrderRequest::market("SPY", OrderSide::Buy, Qty::Shares(dec!(10)))
        .take_profit(dec!(110))
        .stop_loss(dec!(95), None)
        .time_in_force(TimeInForce::Gtc)
        .build()
        .unwrap();
    s.submit_order(&req).await.unwrap();
    session(
        &s,
        "SPY",
        &bar(5, dec!(100), dec!(102), dec!(99), dec!(101)),
    );
    assert_eq!(
        s.open_orders().await.unwrap().len(),
        2,
        "both exits working after the entry"
    );
    session(
        &s,
        "SPY",
        &bar(6, dec!(105), dec!(111), dec!(104), dec!(109)),
    );
    let f = s.fills();
    assert_eq!(
        (f[1].side.clone(), f[1].price),
        (OrderSide::Sell, dec!(110))
    );
    assert!(
        s.open_orders().await.unwrap().is_empty(),
        "the stop was cancelled"
    );
    assert!(s.positions().await.unwrap().is_empty());
}

#[tokio::test]
async fn trailing_stop_commission_and_slippage() {
    let s = sim(SimConfig {
        commission_per_share: dec!(0.01),
        slippage_bps: dec!(10),
        ..SimConfig::default()
    });
    session(
        &s,
        "SPY",
        &bar(4, dec!(100), dec!(101), dec!(99), dec!(100)),
    );
    s.submit_order(&order("SPY", OrderSide::Buy, dec!(100)).build().unwrap())
        .await
        .unwrap();
    session(
        &s,
        "SPY",
        &bar(5, dec!(100), dec!(110), dec!(100), dec!(108)),
    );
    let f = s.fills();
    assert_eq!(f[0].price, dec!(100.1), "10 bps against the buyer");
    assert_eq!(f[0].commission, dec!(1));
    assert_eq!(s.cash(), dec!(100000) - dec!(10010) - dec!(1));
    let trail = OrderRequest::builder("SPY", OrderSide::Sell, Qty::Shares(dec!(100)))
        .trailing_stop(Trail::Percent(dec!(5)))
        .time_in_force(TimeInForce::Gtc)
        .build()
        .unwrap();
    s.submit_order(&trail).await.unwrap();
    session(
        &s,
        "SPY",
        &bar(6, dec!(108), dec!(120), dec!(107), dec!(119)),
    );
    assert_eq!(
        s.fills().len(),
        1,
        "mark 108 -> stop 102.6 not hit; mark moves to 120"
    );
    session(
        &s,
        "SPY",
        &bar(7, dec!(118), dec!(118), dec!(112), dec!(113)),
    );
    let f = s.fills();
    assert_eq!(
        f[1].price,
        dec!(114) * dec!(0.999),
        "stop 120 * 0.95 = 114, minus slippage"
    );
}

#[tokio::test]
async fn options_price_from_the_underlying_and_settle_in_cash_when_configured() {
    let s = sim(SimConfig {
        exercise: ExerciseSettlement::Cash,
        ..SimConfig::default()
    });
    session(
        &s,
        "SPY",
        &bar(4, dec!(500), dec!(502), dec!(498), dec!(500)),
    );
    let call: OccSymbol = "SPY240315C00500000".parse().unwrap();
    let put: OccSymbol = "SPY240315P00480000".parse().unwrap();
    let q = s.latest_price(&call.to_string()).await.unwrap();
    let (bid, ask) = (q.bid.unwrap(), q.ask.unwrap());
    assert!(bid > dec!(1) && ask > bid, "{bid} {ask}");
    for occ in [&call, &put] {
        let req = OrderRequest::option(occ, OrderSide::Buy, 2, PositionIntent::BuyToOpen)
            .build()
            .unwrap();
        s.submit_order(&req).await.unwrap();
    }
    session(
        &s,
        "SPY",
        &bar(5, dec!(500), dec!(501), dec!(499), dec!(500)),
    );
    let f = s.fills();
    assert_eq!(f.len(), 2);
    let paid: Decimal = f.iter().map(|x| x.price * x.qty * dec!(100)).sum();
    assert_eq!(s.cash(), dec!(100000) - paid);
    // Expiry day: SPY closes at 510; the call is worth 10 (exercised for cash), the put expires.
    session(
        &s,
        "SPY",
        &bar(15, dec!(505), dec!(511), dec!(504), dec!(510)),
    );
    assert_eq!(
        s.end_of_day(NaiveDate::from_ymd_opt(2024, 3, 15).unwrap())
            .options_settled,
        2
    );
    let f = s.fills();
    let call_settle = f
        .iter()
        .find(|x| x.symbol == call.to_string() && x.order_id == "exercise");
    let put_settle = f
        .iter()
        .find(|x| x.symbol == put.to_string() && x.order_id == "expiry");
    assert_eq!(
        (call_settle.unwrap().price, put_settle.unwrap().price),
        (dec!(10), dec!(0))
    );
    assert_eq!(s.cash(), dec!(100000) - paid + dec!(2000));
    assert!(s.positions().await.unwrap().is_empty());
    // The engine learns of both from the activities, as from Alpaca's.
    let acts = s.activities(close_of(14)).await.unwrap();
    let kinds: Vec<_> = acts
        .iter()
        .map(|a| (a.kind, a.symbol.as_str(), a.qty, a.net_amount))
        .collect();
    assert!(
        kinds.contains(&(
            ActivityKind::OptionExercised,
            "SPY240315C00500000",
            dec!(-2),
            Some(dec!(2000))
        )),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(
            ActivityKind::OptionExpired,
            "SPY240315P00480000",
            dec!(-2),
            None
        )),
        "{kinds:?}"
    );
    assert_eq!(
        s.equity_curve().last().unwrap().date,
        NaiveDate::from_ymd_opt(2024, 3, 15).unwrap()
    );
}

#[tokio::test]
async fn chain_lookups_duplicates_and_cancels() {
    let s = sim(SimConfig::default());
    session(
        &s,
        "SPY",
        &bar(4, dec!(500), dec!(502), dec!(498), dec!(500)),
    );
    let chain = s
        .option_chain(&ChainQuery {
            underlying: "SPY".into(),
            option_type: crate::OptionType::Call,
            expiration_gte: NaiveDate::from_ymd_opt(2024, 3, 11).unwrap(),
            expiration_lte: NaiveDate::from_ymd_opt(2024, 3, 25).unwrap(),
        })
        .await
        .unwrap();
    assert!(
        chain
            .iter()
            .any(|c| c.delta.is_some_and(|d| (0.40..=0.55).contains(&d)))
    );
    let req = OrderRequest::limit("SPY", OrderSide::Buy, Qty::Shares(dec!(1)), dec!(1))
        .client_order_id("cid-1")
        .time_in_force(TimeInForce::Gtc)
        .build()
        .unwrap();
    let o = s.submit_order(&req).await.unwrap();
    let e = s.submit_order(&req).await.unwrap_err();
    assert!(e.api().unwrap().is_duplicate_client_order_id());
    assert_eq!(s.order_by_client_order_id("cid-1").await.unwrap().id, o.id);
    assert!(
        s.order_by_client_order_id("nope")
            .await
            .unwrap_err()
            .is_not_found()
    );
    s.cancel_order(&o.id).await.unwrap();
    assert_eq!(s.cancel_order(&o.id).await.unwrap_err().status(), Some(422));
    let clock = s.clock().await.unwrap();
    assert!(!clock.is_open);
    assert_eq!(clock.next_open, open_of(5));
    assert_eq!(
        s.calendar(
            NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2024, 3, 8).unwrap()
        )
        .await
        .unwrap()
        .len(),
        5
    );
    let _ = close_of(4);
}

#[tokio::test]
async fn orders_for_unknown_symbols_are_rejected() {
    let s = sim(SimConfig::default());
    let e = s
        .submit_order(&order("ZZZ", OrderSide::Buy, dec!(1)).build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(422));
}
