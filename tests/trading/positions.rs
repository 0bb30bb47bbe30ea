use crate::common::*;
use alpaca_exec::trading::positions::PositionSide;
use alpaca_exec::{AssetClass, ClosePosition, Error, OrderStatus};
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn list_and_get_positions() {
    let s = server().await;
    expect("GET", "/v2/positions")
        .respond_with(json_fixture("trading_get_all_positions.json"))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v2/positions/AAPL")
        .respond_with(json_fixture("trading_get_open_position.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let all = c.positions().await.unwrap();
    assert_eq!(all.len(), 1);
    let p = &all[0];
    assert_eq!(p.symbol, "AAPL");
    assert_eq!(p.asset_class, AssetClass::UsEquity);
    assert_eq!(p.side, PositionSide::Long);
    assert_eq!(p.qty, dec!(5));
    assert_eq!(p.avg_entry_price, dec!(100.0));
    assert_eq!(p.unrealized_plpc, Some(dec!(0.20)));
    assert_eq!(p.option_symbol(), None);
    let one = c.position("AAPL").await.unwrap();
    assert_eq!(one.symbol, "AAPL");
}

#[tokio::test]
async fn option_position_with_long_cost_basis() {
    let s = server().await;
    expect("GET", "/v2/positions/AAPL250620C00100000")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "asset_id": "0e3d8b2e-2b8a-4b4e-9a7c-4c1f7d1c5e11", "symbol": "AAPL250620C00100000",
            "exchange": "", "asset_class": "us_option", "asset_marginable": false,
            "qty": "2", "avg_entry_price": "1.2533333333333333333333", "side": "long",
            "market_value": "300", "cost_basis": "250.66666666666666666666",
            "unrealized_pl": "49.33333333333333333334", "current_price": "1.5", "qty_available": "2"
        })))
        .mount(&s)
        .await;
    let p = client(&s).position("AAPL250620C00100000").await.unwrap();
    assert_eq!(p.exchange, None);
    assert_eq!(
        p.cost_basis.unwrap().to_string(),
        "250.66666666666666666666"
    );
    assert_eq!(p.option_symbol().unwrap().strike(), dec!(100));
}

#[tokio::test]
async fn close_position_by_qty_percentage_and_all() {
    let s = server().await;
    expect(
        "DELETE",
        "/v2/positions/904837e3-3b76-47ec-b432-046db621571b",
    )
    .and(query_is(&[("qty", "100")]))
    .respond_with(json_fixture("trading_close_position_qty.json"))
    .expect(1)
    .mount(&s)
    .await;
    expect(
        "DELETE",
        "/v2/positions/904837e3-3b76-47ec-b432-046db621571b",
    )
    .and(query_is(&[("percentage", "50")]))
    .respond_with(json_fixture("trading_close_position_qty.json"))
    .expect(1)
    .mount(&s)
    .await;
    expect("DELETE", "/v2/positions/AAPL")
        .and(query_is(&[]))
        .respond_with(json_fixture("trading_close_position.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let id = "904837e3-3b76-47ec-b432-046db621571b";
    let o = c
        .close_position(id, ClosePosition::Qty(dec!(100)))
        .await
        .unwrap();
    assert!(!o.id.is_empty());
    c.close_position(id, ClosePosition::Percentage(dec!(50.0)))
        .await
        .unwrap();
    let o = c.close_position("AAPL", ClosePosition::All).await.unwrap();
    assert_eq!(o.notional, Some(dec!(500)));
}

#[tokio::test]
async fn close_position_refuses_bad_amounts_without_sending() {
    let s = server().await;
    let c = client(&s);
    for how in [
        ClosePosition::Qty(dec!(0)),
        ClosePosition::Qty(dec!(-1)),
        ClosePosition::Qty(rust_decimal::Decimal::new(1, 28)),
        ClosePosition::Qty(rust_decimal::Decimal::MAX),
        ClosePosition::Percentage(dec!(0)),
        ClosePosition::Percentage(dec!(100.5)),
        ClosePosition::Percentage(dec!(12.0000000001)),
    ] {
        assert!(matches!(
            c.close_position("AAPL", how).await,
            Err(Error::InvalidRequest(_))
        ));
    }
}

#[tokio::test]
async fn close_position_is_not_retried_on_5xx() {
    let s = server().await;
    expect("DELETE", "/v2/positions/AAPL")
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s)
        .close_position("AAPL", ClosePosition::All)
        .await
        .unwrap_err();
    assert!(e.is_outcome_unknown(), "{e:?}");
    assert_eq!(e.status(), Some(503));
}

#[tokio::test]
async fn close_all_positions_mixes_orders_and_errors() {
    let s = server().await;
    expect("DELETE", "/v2/positions")
        .and(query_is(&[("cancel_orders", "true")]))
        .respond_with(ResponseTemplate::new(207).set_body_raw(
            fixture("trading_close_all_positions.json"),
            "application/json",
        ))
        .expect(1)
        .mount(&s)
        .await;
    let results = client(&s).close_all_positions(true).await.unwrap();
    assert!(results.len() >= 2);
    let ok = &results[0];
    assert_eq!(ok.symbol, "BTCUSD");
    let order = ok.result.as_ref().unwrap();
    assert_eq!(order.status, OrderStatus::PendingNew);
    assert_eq!(order.order_class, None, "empty order_class means simple");
    assert_eq!(order.qty, Some(dec!(0.0283)));
    let failed = results.iter().find(|r| r.status == 403).unwrap();
    let err = failed.result.as_ref().unwrap_err();
    assert!(err.code.is_some());
    assert!(!err.message.is_empty());
}

#[tokio::test]
async fn exercise_option_posts_without_body() {
    let s = server().await;
    expect("POST", "/v2/positions/AAPL250620C00100000/exercise")
        .and(NoBody)
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s)
        .await;
    expect("POST", "/v2/positions/SPY250620C00500000/exercise")
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"code": 40310000, "message": "position not found or not exercisable"}),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    c.exercise_option("AAPL250620C00100000").await.unwrap();
    let e = c.exercise_option("SPY250620C00500000").await.unwrap_err();
    assert_eq!(e.status(), Some(403));
    assert_eq!(e.api().unwrap().code, Some(40310000));
}

#[tokio::test]
async fn do_not_exercise_posts_without_body_and_is_retried_after_5xx() {
    let s = server().await;
    first_then(
        &s,
        "POST",
        "/v2/positions/AAPL250620C00100000/do-not-exercise",
        ResponseTemplate::new(503),
        ResponseTemplate::new(200),
    )
    .await;
    expect("POST", "/v2/positions/SPY250620P00500000/do-not-exercise")
        .and(NoBody)
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"code": 40310001, "message": "cannot submit DNE for short position"}),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    c.do_not_exercise("AAPL250620C00100000").await.unwrap();
    for r in received(
        &s,
        "POST",
        "/v2/positions/AAPL250620C00100000/do-not-exercise",
    )
    .await
    {
        assert!(r.body.is_empty(), "no body is sent");
    }
    let e = c.do_not_exercise("SPY250620P00500000").await.unwrap_err();
    assert_eq!(e.api().unwrap().code, Some(40310001));
    assert!(e.to_string().contains("short position"), "{e}");
    assert!(matches!(
        c.do_not_exercise(" ").await,
        Err(Error::InvalidRequest(_))
    ));
}
