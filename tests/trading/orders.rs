use crate::common::*;
use alpaca_exec::trading::orders::{ListOrders, OrderQueryStatus};
use alpaca_exec::{
    AssetClass, Client, Error, OccSymbol, OrderClass, OrderRequest, OrderSide, OrderStatus,
    OrderType, PositionIntent, Qty, ReplaceOrder, RetryPolicy, SortDirection, TimeInForce,
};
use chrono::{TimeZone, Utc};
use rust_decimal_macros::dec;
use serde_json::json;
use std::time::Duration;
use wiremock::ResponseTemplate;
use wiremock::matchers::{body_json, query_param};

fn market_aapl(id: &str) -> OrderRequest {
    OrderRequest::market("AAPL", OrderSide::Buy, Qty::Shares(dec!(1)))
        .client_order_id(id)
        .build()
        .unwrap()
}

#[tokio::test]
async fn submit_market_order_sends_strings_and_decodes_numbers() {
    let s = server().await;
    expect("POST", "/v2/orders")
        .and(wiremock::matchers::header(
            "content-type",
            "application/json",
        ))
        .and(body_json(json!({
            "symbol": "AAPL", "qty": "1", "side": "buy", "type": "market",
            "time_in_force": "day", "client_order_id": "cid-1"
        })))
        .respond_with(json_fixture("trading_submit_order_market.json"))
        .expect(1)
        .mount(&s)
        .await;
    let o = client(&s)
        .submit_order(&market_aapl("cid-1"))
        .await
        .unwrap();
    assert_eq!(o.qty, Some(dec!(1)), "qty arrives as a JSON number here");
    assert_eq!(o.order_type, Some(OrderType::Market));
    assert_eq!(o.side, Some(OrderSide::Buy));
    assert_eq!(o.class(), OrderClass::Simple);
    assert_eq!(o.filled_qty, dec!(0));
}

#[tokio::test]
async fn submit_limit_order_via_builder_send() {
    let s = server().await;
    expect("POST", "/v2/orders")
        .and(body_json(json!({
            "symbol": "SPY", "qty": "2", "side": "buy", "type": "limit", "limit_price": "300",
            "time_in_force": "gtc", "client_order_id": "cid-limit"
        })))
        .respond_with(json_fixture("trading_submit_order_limit.json"))
        .expect(1)
        .mount(&s)
        .await;
    let o = OrderRequest::limit("SPY", OrderSide::Buy, Qty::Shares(dec!(2)), dec!(300))
        .time_in_force(TimeInForce::Gtc)
        .client_order_id("cid-limit")
        .send(&client(&s))
        .await
        .unwrap();
    assert_eq!(o.limit_price, Some(dec!(300)));
}

#[tokio::test]
async fn submit_single_leg_option_order() {
    let s = server().await;
    expect("POST", "/v2/orders")
        .and(body_json(json!({
            "symbol": "AAPL250620C00100000", "qty": "1", "side": "buy", "type": "limit",
            "limit_price": "1.5", "time_in_force": "day", "client_order_id": "opt-1",
            "position_intent": "buy_to_open"
        })))
        .respond_with(json_fixture("openapi_OptionOrderResponse.json"))
        .expect(1)
        .mount(&s)
        .await;
    let occ: OccSymbol = "AAPL250620C00100000".parse().unwrap();
    let o = OrderRequest::option(&occ, OrderSide::Buy, 1, PositionIntent::BuyToOpen)
        .limit_price(dec!(1.50))
        .client_order_id("opt-1")
        .send(&client(&s))
        .await
        .unwrap();
    assert_eq!(o.asset_class, Some(AssetClass::UsOption));
    assert!(o.option_symbol().is_some());
}

#[tokio::test]
async fn submit_multi_leg_order_and_decode_empty_parent_fields() {
    let s = server().await;
    expect("POST", "/v2/orders")
        .and(body_json(json!({
            "order_class": "mleg", "qty": "1", "type": "limit", "limit_price": "10",
            "time_in_force": "day", "client_order_id": "mleg-1",
            "legs": [
                {"symbol": "AAPL241213C00250000", "ratio_qty": "3", "side": "buy", "position_intent": "buy_to_open"},
                {"symbol": "AAPL241213C00260000", "ratio_qty": "1", "side": "sell", "position_intent": "sell_to_open"}
            ]
        })))
        .respond_with(json_fixture("openapi_MultilegOptionsOrderResponse.json"))
        .expect(1)
        .mount(&s)
        .await;
    let o = OrderRequest::multi_leg(1)
        .leg(
            "AAPL241213C00250000".parse().unwrap(),
            OrderSide::Buy,
            3,
            PositionIntent::BuyToOpen,
        )
        .leg(
            "AAPL241213C00260000".parse().unwrap(),
            OrderSide::Sell,
            1,
            PositionIntent::SellToOpen,
        )
        .limit_price(dec!(10))
        .client_order_id("mleg-1")
        .send(&client(&s))
        .await
        .unwrap();
    assert_eq!(o.class(), OrderClass::Mleg);
    assert_eq!(o.symbol, "");
    assert_eq!(o.side, None);
    assert_eq!(o.asset_class, None);
    assert_eq!(o.status, OrderStatus::Filled);
    assert_eq!(o.legs.len(), 2);
    assert_eq!(o.legs[0].order_type, None, "legs carry \"type\": \"\"");
    assert_eq!(o.legs[0].ratio_qty, Some(dec!(3)));
    assert_eq!(o.legs[1].position_intent, Some(PositionIntent::SellToOpen));
    assert_eq!(o.legs[0].filled_avg_price, Some(dec!(0.43)));
}

#[tokio::test]
async fn invalid_orders_are_never_sent() {
    let s = server().await;
    let c = client(&s);
    let e = OrderRequest::market(
        "AAPL250620C00100000",
        OrderSide::Buy,
        Qty::Notional(dec!(100)),
    )
    .send(&c)
    .await
    .unwrap_err();
    assert!(
        matches!(e, Error::InvalidRequest(ref m) if m.contains("notional")),
        "{e}"
    );
    let e = OrderRequest::multi_leg(1)
        .leg(
            "SPY250620C00500000".parse().unwrap(),
            OrderSide::Buy,
            1,
            PositionIntent::BuyToOpen,
        )
        .send(&c)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidRequest(_)));
}

#[tokio::test]
async fn get_order_by_id_and_by_client_order_id() {
    let s = server().await;
    expect("GET", "/v2/orders/61e69015-8549-4bfd-b9c3-01e75843f47d")
        .and(query_is(&[("nested", "false")]))
        .respond_with(json_fixture("trading_get_order_by_id.json"))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v2/orders:by_client_order_id")
        .and(query_is(&[(
            "client_order_id",
            "eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4",
        )]))
        .respond_with(json_fixture("trading_get_order_by_client_id.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let o = c
        .order("61e69015-8549-4bfd-b9c3-01e75843f47d", false)
        .await
        .unwrap();
    assert_eq!(o.status, OrderStatus::Accepted);
    assert_eq!(o.position_intent, Some(PositionIntent::BuyToOpen));
    let o = c
        .order_by_client_order_id("eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4")
        .await
        .unwrap();
    assert_eq!(o.client_order_id, "eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4");
    assert!(matches!(
        c.order("", true).await,
        Err(Error::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn list_orders_with_every_filter() {
    let s = server().await;
    expect("GET", "/v2/orders")
        .and(query_is(&[
            ("status", "all"),
            ("limit", "500"),
            ("after", "2024-01-02T14:30:00Z"),
            ("until", "2024-01-03T21:00:00Z"),
            ("direction", "asc"),
            ("nested", "true"),
            ("symbols", "SPY,AAPL"),
            ("side", "sell"),
            ("asset_class", "us_option"),
        ]))
        .respond_with(json_fixture("trading_get_orders.json"))
        .expect(1)
        .mount(&s)
        .await;
    let req = ListOrders {
        status: Some(OrderQueryStatus::All),
        limit: Some(500),
        after: Some(Utc.with_ymd_and_hms(2024, 1, 2, 14, 30, 0).unwrap()),
        until: Some(Utc.with_ymd_and_hms(2024, 1, 3, 21, 0, 0).unwrap()),
        direction: Some(SortDirection::Asc),
        nested: Some(true),
        symbols: vec!["SPY".into(), "AAPL".into()],
        side: Some(OrderSide::Sell),
        asset_class: Some(AssetClass::UsOption),
    };
    let orders = client(&s).orders(&req).await.unwrap();
    assert!(!orders.is_empty());
    // The fixture has placeholder values ("string") for enums: kept, not fatal.
    assert!(orders.iter().all(|o| !o.id.is_empty()));
    let bad = ListOrders {
        limit: Some(501),
        ..Default::default()
    };
    assert!(matches!(
        client(&s).orders(&bad).await,
        Err(Error::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn replace_order_patches_and_returns_new_order() {
    let s = server().await;
    expect("PATCH", "/v2/orders/61e69015-8549-4bfd-b9c3-01e75843f47d")
        .and(body_json(json!({"qty": "1", "limit_price": "101.25"})))
        .respond_with(json_fixture("trading_replace_order.json"))
        .expect(1)
        .mount(&s)
        .await;
    let changes = ReplaceOrder {
        qty: Some(dec!(1)),
        limit_price: Some(dec!(101.25)),
        ..Default::default()
    };
    let o = client(&s)
        .replace_order("61e69015-8549-4bfd-b9c3-01e75843f47d", &changes)
        .await
        .unwrap();
    assert!(!o.id.is_empty());
}

#[tokio::test]
async fn replace_is_not_retried_on_5xx() {
    let s = server().await;
    expect("PATCH", "/v2/orders/abc")
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&s)
        .await;
    let changes = ReplaceOrder {
        qty: Some(dec!(2)),
        ..Default::default()
    };
    let e = client(&s).replace_order("abc", &changes).await.unwrap_err();
    assert!(e.is_outcome_unknown(), "{e:?}");
}

#[tokio::test]
async fn cancel_one_204_and_422_not_cancelable() {
    let s = server().await;
    expect("DELETE", "/v2/orders/ok-id")
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    expect("DELETE", "/v2/orders/filled-id")
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_json(json!({"code": 42210000, "message": "order is not cancelable"})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    c.cancel_order("ok-id").await.unwrap();
    let e = c.cancel_order("filled-id").await.unwrap_err();
    let api = e.api().unwrap();
    assert_eq!(api.status, 422);
    assert_eq!(api.code, Some(42210000));
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn cancel_all_207_multi_status() {
    let s = server().await;
    expect("DELETE", "/v2/orders")
        .respond_with(
            ResponseTemplate::new(207)
                .set_body_raw(fixture("trading_cancel_orders.json"), "application/json"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let r = client(&s).cancel_all_orders().await.unwrap();
    assert_eq!(r.len(), 2);
    assert!(r[0].is_success());
    assert!(!r[1].is_success());
    assert_eq!(r[1].body.as_ref().unwrap().code, Some(40410000));
    assert_eq!(r[1].body.as_ref().unwrap().message, "order not found");
}

// ---- never twice -------------------------------------------------------------------------

#[tokio::test]
async fn submit_after_5xx_is_not_resent_and_reports_unknown_outcome() {
    for status in [500u16, 502, 503] {
        let s = server().await;
        expect("POST", "/v2/orders")
            .respond_with(ResponseTemplate::new(status).set_body_string("<html>gateway</html>"))
            .expect(1)
            .mount(&s)
            .await;
        let e = client(&s)
            .submit_order(&market_aapl("cid-5xx"))
            .await
            .unwrap_err();
        match &e {
            Error::OutcomeUnknown {
                status: st,
                timed_out,
                ..
            } => {
                assert_eq!(*st, Some(status));
                assert!(!timed_out);
            }
            other => panic!("{other:?}"),
        }
        assert!(!e.is_retryable());
        assert_eq!(received(&s, "POST", "/v2/orders").await.len(), 1);
    }
}

fn slow_client(s: &wiremock::MockServer) -> Client {
    builder(s)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap()
}

#[tokio::test]
async fn submit_after_timeout_is_not_resent() {
    let s = server().await;
    expect("POST", "/v2/orders")
        .respond_with(
            json_fixture("trading_submit_order_market.json").set_delay(Duration::from_secs(2)),
        )
        .expect(1)
        .mount(&s)
        .await;
    let e = slow_client(&s)
        .submit_order(&market_aapl("cid-slow"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::OutcomeUnknown {
                timed_out: true,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn resolve_after_5xx_finds_the_order_without_resending() {
    let s = server().await;
    expect("POST", "/v2/orders")
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v2/orders:by_client_order_id")
        .and(query_param("client_order_id", "cid-resolve"))
        .respond_with(json_fixture("trading_get_order_by_client_id.json"))
        .expect(1)
        .mount(&s)
        .await;
    let o = client(&s)
        .submit_order_and_resolve(&market_aapl("cid-resolve"))
        .await
        .unwrap();
    assert_eq!(o.status, OrderStatus::Accepted);
    assert_eq!(
        received(&s, "POST", "/v2/orders").await.len(),
        1,
        "exactly one order sent"
    );
}

#[tokio::test]
async fn resolve_after_timeout_resends_once_with_same_id_when_absent() {
    let s = server().await;
    // First POST hangs past the timeout; the second answers at once.
    first_then(
        &s,
        "POST",
        "/v2/orders",
        json_fixture("trading_submit_order_market.json").set_delay(Duration::from_secs(2)),
        json_fixture("trading_submit_order_market.json"),
    )
    .await;
    expect("GET", "/v2/orders:by_client_order_id")
        .and(query_param("client_order_id", "cid-absent"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"code": 40410000, "message": "order not found"})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let o = slow_client(&s)
        .submit_order_and_resolve(&market_aapl("cid-absent"))
        .await
        .unwrap();
    assert!(!o.id.is_empty());
    let posts = received(&s, "POST", "/v2/orders").await;
    assert_eq!(posts.len(), 2);
    let ids: Vec<String> = posts
        .iter()
        .map(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["client_order_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        ids,
        vec!["cid-absent", "cid-absent"],
        "the re-send reuses the id"
    );
}

#[tokio::test]
async fn resolve_adopts_order_on_duplicate_client_order_id() {
    let s = server().await;
    expect("POST", "/v2/orders")
        .respond_with(duplicate_id())
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v2/orders:by_client_order_id")
        .and(query_param("client_order_id", "cid-dup"))
        .respond_with(json_fixture("trading_get_order_by_client_id.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let o = c
        .submit_order_and_resolve(&market_aapl("cid-dup"))
        .await
        .unwrap();
    assert_eq!(o.status, OrderStatus::Accepted);
}

#[tokio::test]
async fn plain_submit_reports_duplicate_id_as_api_error() {
    let s = server().await;
    expect("POST", "/v2/orders")
        .respond_with(duplicate_id())
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s)
        .submit_order(&market_aapl("cid-dup2"))
        .await
        .unwrap_err();
    assert!(e.api().unwrap().is_duplicate_client_order_id());
}

#[tokio::test]
async fn submit_429_is_retried_because_alpaca_did_not_act_on_it() {
    let s = server().await;
    first_then(
        &s,
        "POST",
        "/v2/orders",
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
        json_fixture("trading_submit_order_market.json"),
    )
    .await;
    client(&s)
        .submit_order(&market_aapl("cid-429"))
        .await
        .unwrap();
}

#[tokio::test]
async fn no_retry_policy_means_one_attempt() {
    let s = server().await;
    expect("GET", "/v2/orders")
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&s)
        .await;
    let c = builder(&s).retry_policy(RetryPolicy::NONE).build().unwrap();
    let e = c.orders(&ListOrders::default()).await.unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert!(e.is_retryable());
}

#[test]
fn remaining_qty_of_absurd_quantities_does_not_overflow() {
    let mut o: alpaca_exec::Order =
        serde_json::from_str(&fixture("trading_get_order_by_id.json")).unwrap();
    o.qty = Some(rust_decimal::Decimal::MAX);
    o.filled_qty = rust_decimal::Decimal::MIN;
    assert_eq!(o.remaining_qty(), None);
    o.qty = Some(dec!(10));
    o.filled_qty = dec!(4);
    assert_eq!(o.remaining_qty(), Some(dec!(6)));
}
