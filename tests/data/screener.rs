//! The stock screener: most actives and top movers.

use crate::common::spec::Spec;
use crate::common::*;
use alpaca_exec::Error;
use alpaca_exec::data::screener::{MarketType, MostActivesBy};
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn most_actives_by_trades() {
    let s = server().await;
    let body = json!({
        "most_actives": [
            Spec::MarketData.schema_example("most_active"),
            {"symbol": "TSLA", "trade_count": 512003, "volume": 98765432}
        ],
        "last_updated": "2024-06-03T19:59:59.123456789Z"
    });
    expect("GET", "/v1beta1/screener/stocks/most-actives")
        .and(query_is(&[("by", "trades"), ("top", "2")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&s)
        .await;
    let m = client(&s)
        .most_actives(Some(MostActivesBy::Trades), Some(2))
        .await
        .unwrap();
    assert_eq!(m.most_actives.len(), 2);
    assert_eq!(m.most_actives[0].symbol, "AAPL");
    assert_eq!(m.most_actives[0].volume, 122709184);
    assert_eq!(m.most_actives[0].trade_count, 639626);
    assert_eq!(m.last_updated.timestamp_subsec_nanos(), 123456789);
}

#[tokio::test]
async fn top_movers_from_alpacas_example() {
    let s = server().await;
    expect("GET", "/v1beta1/screener/stocks/movers")
        .and(query_is(&[]))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            Spec::MarketData.response_example("GET", "/v1beta1/screener/{market_type}/movers"),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let m = client(&s).top_movers(None).await.unwrap();
    assert_eq!(m.market_type, MarketType::Stocks);
    assert_eq!(m.gainers[0].symbol, "AGRI");
    assert_eq!(m.gainers[0].percent_change, dec!(145.56));
    assert_eq!(m.gainers[1].price, dec!(0.0594));
    assert_eq!(m.losers[1].change, dec!(-3.61));
}

#[tokio::test]
async fn top_out_of_range_is_refused_and_errors_are_kept() {
    let s = server().await;
    expect("GET", "/v1beta1/screener/stocks/movers")
        .and(query_is(&[("top", "50")]))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    assert_eq!(
        c.top_movers(Some(50)).await.unwrap_err().status(),
        Some(401)
    );
    assert!(matches!(
        c.top_movers(Some(51)).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(
        c.most_actives(None, Some(0)).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(
        c.most_actives(None, Some(101)).await,
        Err(Error::InvalidRequest(_))
    ));
}
