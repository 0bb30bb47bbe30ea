use crate::common::*;
use alpaca_exec::trading::activities::{Activity, ActivityType, FillType};
use alpaca_exec::{Error, ListActivities, OrderSide, OrderStatus, SortDirection};
use chrono::NaiveDate;
use futures_util::StreamExt;
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::ResponseTemplate;

fn fill(id: &str) -> serde_json::Value {
    json!({
        "id": id, "activity_type": "FILL", "transaction_time": "2024-06-20T14:31:02.123Z",
        "type": "partial_fill", "price": "1.23", "qty": "2", "side": "buy",
        "symbol": "AAPL240621C00200000", "leaves_qty": "1", "order_id": "o-1", "cum_qty": "2",
        "order_status": "partially_filled"
    })
}

fn expiry(id: &str) -> serde_json::Value {
    json!({
        "id": id, "activity_type": "OPEXP", "activity_sub_type": "", "date": "2024-06-21",
        "net_amount": "0", "symbol": "AAPL240621C00200000", "qty": "-2", "status": "executed",
        "description": "Option Expiry", "group_id": "g-1", "created_at": "2024-06-22T01:00:00Z"
    })
}

#[tokio::test]
async fn mixed_trade_and_option_lifecycle_activities() {
    let s = server().await;
    expect("GET", "/v2/account/activities")
        .and(query_is(&[
            ("activity_types", "FILL,OPEXP,OPASN,OPEXC"),
            ("direction", "asc"),
            ("page_size", "50"),
            ("date", "2024-06-21"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            fill("20240620143102123::a"),
            expiry("20240621000000000::b"),
            {"id": "20240621000000000::c", "activity_type": "OPASN", "date": "2024-06-21T20:00:00Z",
             "net_amount": "-20000", "symbol": "AAPL240621P00200000", "qty": "1", "status": "executed"},
            {"id": "20240621000000000::d", "activity_type": "DIV", "date": "2024-06-21",
             "net_amount": "12.5", "symbol": "AAPL", "qty": "50", "per_share_amount": "0.25", "status": "executed"},
            {"id": "20240621000000000::e", "activity_type": "NEWTYPE", "date": null}
        ])))
        .expect(1)
        .mount(&s)
        .await;
    let req = ListActivities {
        activity_types: vec![
            ActivityType::Fill,
            ActivityType::Opexp,
            ActivityType::Opasn,
            ActivityType::Opexc,
        ],
        direction: Some(SortDirection::Asc),
        page_size: Some(50),
        date: NaiveDate::from_ymd_opt(2024, 6, 21),
        ..Default::default()
    };
    let page = client(&s).activities(&req).await.unwrap();
    assert_eq!(page.items.len(), 5);
    assert_eq!(page.next_page_token, None, "a short page is the last");
    match &page.items[0] {
        Activity::Trade(t) => {
            assert_eq!(t.fill_type, FillType::PartialFill);
            assert_eq!(t.price, dec!(1.23));
            assert_eq!(t.side, OrderSide::Buy);
            assert_eq!(t.order_status, Some(OrderStatus::PartiallyFilled));
        }
        other => panic!("{other:?}"),
    }
    match &page.items[1] {
        Activity::NonTrade(n) => {
            assert!(n.activity_type.is_option_lifecycle());
            assert_eq!(n.qty, Some(dec!(-2)));
            assert_eq!(n.date, NaiveDate::from_ymd_opt(2024, 6, 21));
            assert_eq!(n.activity_sub_type, None);
        }
        other => panic!("{other:?}"),
    }
    match &page.items[2] {
        Activity::NonTrade(n) => {
            assert_eq!(n.activity_type, ActivityType::Opasn);
            assert_eq!(
                n.date,
                NaiveDate::from_ymd_opt(2024, 6, 21),
                "date-time form accepted"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        page.items[4].activity_type(),
        &ActivityType::Unknown("NEWTYPE".into())
    );
}

#[tokio::test]
async fn stream_pages_by_last_activity_id() {
    let s = server().await;
    expect("GET", "/v2/account/activities")
        .and(query_is(&[
            ("category", "trade_activity"),
            ("page_size", "2"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([fill("a1"), fill("a2")])))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v2/account/activities")
        .and(query_is(&[
            ("category", "trade_activity"),
            ("page_size", "2"),
            ("page_token", "a2"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([fill("a3"), fill("a4")])))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v2/account/activities")
        .and(query_is(&[
            ("category", "trade_activity"),
            ("page_size", "2"),
            ("page_token", "a4"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&s)
        .await;
    let req = ListActivities {
        category: Some(alpaca_exec::trading::activities::ActivityCategory::TradeActivity),
        page_size: Some(2),
        ..Default::default()
    };
    let ids: Vec<String> = req
        .stream(&client(&s))
        .map(|a| a.unwrap().id().to_owned())
        .collect()
        .await;
    assert_eq!(ids, vec!["a1", "a2", "a3", "a4"]);
}

#[tokio::test]
async fn types_and_category_together_are_refused() {
    let s = server().await;
    let req = ListActivities {
        activity_types: vec![ActivityType::Fill],
        category: Some(alpaca_exec::trading::activities::ActivityCategory::TradeActivity),
        ..Default::default()
    };
    assert!(matches!(
        client(&s).activities(&req).await,
        Err(Error::InvalidRequest(_))
    ));
}
