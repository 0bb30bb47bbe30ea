use crate::common::*;
use alpaca_exec::trading::assets::AssetStatus;
use alpaca_exec::trading::common::Exchange;
use alpaca_exec::{AssetClass, Error, ListAssets};
use serde_json::json;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn list_assets_with_filters() {
    let s = server().await;
    let mut asset: serde_json::Value =
        serde_json::from_str(&fixture("trading_get_asset.json")).unwrap();
    asset["attributes"] = json!(["has_options", "fractional_eh_enabled"]);
    expect("GET", "/v2/assets")
        .and(query_is(&[
            ("status", "active"),
            ("asset_class", "us_equity"),
            ("exchange", "NASDAQ"),
            ("attributes", "has_options,fractional_eh_enabled"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([asset, {
            "id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", "class": "us_equity", "exchange": "NYSEARCA",
            "symbol": "SPY", "name": null, "status": "active", "tradable": true, "marginable": true,
            "maintenance_margin_requirement": 30, "attributes": null, "min_order_size": "",
            "new_field_from_the_future": {"x": 1}
        }])))
        .expect(1)
        .mount(&s)
        .await;
    let req = ListAssets {
        status: Some(AssetStatus::Active),
        asset_class: Some(AssetClass::UsEquity),
        exchange: Some(Exchange::Nasdaq),
        attributes: vec!["has_options".into(), "fractional_eh_enabled".into()],
    };
    let assets = client(&s).assets(&req).await.unwrap();
    assert_eq!(assets.len(), 2);
    assert!(assets[0].has_attribute("has_options"));
    assert_eq!(assets[1].exchange, Exchange::NyseArca);
    assert_eq!(assets[1].name, "");
    assert!(assets[1].attributes.is_empty());
    assert_eq!(assets[1].min_order_size, None);
}

#[tokio::test]
async fn get_asset_by_symbol_and_not_found() {
    let s = server().await;
    expect("GET", "/v2/assets/AAPL")
        .respond_with(json_fixture("trading_get_asset.json"))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v2/assets/NOPE")
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"code": 40410000, "message": "asset not found for NOPE"}))
                .insert_header("X-Request-ID", "req-404"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let a = c.asset("AAPL").await.unwrap();
    assert_eq!(a.symbol, "AAPL");
    assert_eq!(a.class, AssetClass::UsEquity);
    assert!(a.fractionable);
    let e = c.asset("NOPE").await.unwrap_err();
    assert!(e.is_not_found());
    let api = e.api().unwrap();
    assert_eq!(api.code, Some(40410000));
    assert_eq!(api.request_id.as_deref(), Some("req-404"));
    assert!(matches!(c.asset("  ").await, Err(Error::InvalidRequest(_))));
}

#[tokio::test]
async fn symbols_are_percent_encoded_in_paths() {
    let s = server().await;
    expect("GET", "/v2/assets/BTC%2FUSD")
        .respond_with(json_fixture("trading_get_asset.json"))
        .expect(1)
        .mount(&s)
        .await;
    client(&s).asset("BTC/USD").await.unwrap();
}
