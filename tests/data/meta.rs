//! Exchange and condition codes.

use crate::common::*;
use alpaca_exec::data::meta::{Tape, TickType};
use serde_json::json;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn stock_and_option_codes() {
    let s = server().await;
    expect("GET", "/v2/stocks/meta/exchanges")
        .and(query_is(&[]))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"A": "NYSE American (AMEX)", "V": "IEX", "Q": "NASDAQ OMX"})),
        )
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v2/stocks/meta/conditions/trade")
        .and(query_is(&[("tape", "C")]))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({" ": "Regular Sale", "@": "Regular Sale", "I": "Odd Lot Trade"}),
            ),
        )
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v1beta1/options/meta/conditions/quote")
        .and(query_is(&[]))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"A": "Regular", "F": "Non-firm quote"})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    assert_eq!(c.stock_exchanges().await.unwrap()["V"], "IEX");
    assert_eq!(
        c.stock_conditions(TickType::Trade, Tape::C).await.unwrap()["I"],
        "Odd Lot Trade"
    );
    assert_eq!(
        c.option_conditions(TickType::Quote).await.unwrap()["F"],
        "Non-firm quote"
    );
}
