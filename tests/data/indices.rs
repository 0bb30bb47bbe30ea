//! Index values and stock auctions, with Alpaca's example bodies.

use crate::common::spec::Spec;
use crate::common::*;
use alpaca_exec::Error;
use alpaca_exec::data::{IndexHistory, StockFeed, StockHistory};
use chrono::{NaiveDate, TimeZone, Utc};
use futures_util::TryStreamExt;
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn latest_index_values() {
    let s = server().await;
    expect("GET", "/v1beta1/indices/latest/values")
        .and(query_is(&[("symbols", "SPX,VIX")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            Spec::MarketData.response_example("GET", "/v1beta1/indices/latest/values"),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let v = c.latest_index_values(&["SPX", "VIX"]).await.unwrap();
    assert_eq!(v["SPX"].value, dec!(7383.46));
    assert_eq!(v["VIX"].value, dec!(18.45));
    assert_eq!(v["VIX"].timestamp.timestamp_subsec_millis(), 354);
    assert!(matches!(
        c.latest_index_values::<&str>(&[]).await,
        Err(Error::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn index_history_pages_to_the_end() {
    let s = server().await;
    let first = Spec::MarketData.response_example("GET", "/v1beta1/indices/values");
    let token = first["next_page_token"].as_str().unwrap().to_owned();
    expect("GET", "/v1beta1/indices/values")
        .and(query_is(&[
            ("symbols", "SPX,VIX"),
            ("start", "2026-05-18T17:00:00Z"),
            ("end", "2026-05-18T17:01:00Z"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v1beta1/indices/values")
        .and(query_is(&[
            ("symbols", "SPX,VIX"),
            ("start", "2026-05-18T17:00:00Z"),
            ("end", "2026-05-18T17:01:00Z"),
            ("page_token", &token),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "values": {"SPX": [{"t": "2026-05-18T17:00:59Z", "v": 7385}]},
            "next_page_token": null
        })))
        .expect(1)
        .mount(&s)
        .await;
    let all: Vec<_> = IndexHistory::new(["SPX", "VIX"])
        .between(
            Utc.with_ymd_and_hms(2026, 5, 18, 17, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 5, 18, 17, 1, 0).unwrap(),
        )
        .stream(&client(&s))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(&*all[0].0, "SPX");
    assert_eq!(all[0].1.value, dec!(7384.41));
    assert_eq!(&*all[3].0, "VIX");
    assert_eq!(all[6].1.value, dec!(7385));
}

#[tokio::test]
async fn stock_auctions_by_day() {
    let s = server().await;
    expect("GET", "/v2/stocks/auctions")
        .and(query_is(&[
            ("symbols", "AAPL,TSLA"),
            ("start", "2022-10-12T00:00:00Z"),
            ("end", "2022-10-14T00:00:00Z"),
            ("feed", "sip"),
        ]))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(Spec::MarketData.response_example("GET", "/v2/stocks/auctions")),
        )
        .expect(1)
        .mount(&s)
        .await;
    let page = StockHistory::new(["AAPL", "TSLA"])
        .between(
            Utc.with_ymd_and_hms(2022, 10, 12, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2022, 10, 14, 0, 0, 0).unwrap(),
        )
        .feed(StockFeed::Sip)
        .auctions_page(&client(&s), None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 4, "two days for each of two symbols");
    let (sym, day) = &page.items[0];
    assert_eq!(&**sym, "AAPL");
    assert_eq!(day.date, NaiveDate::from_ymd_opt(2022, 10, 12).unwrap());
    assert_eq!(day.opening.len(), 3);
    assert_eq!(day.opening[1].price, dec!(138.99));
    assert_eq!(day.opening[1].conditions, ["O"]);
    assert_eq!(day.closing[0].exchange, "P");
    assert_eq!(
        page.next_page_token.as_deref(),
        Some("MjAyMi0xMC0xM1QyMDowMDowMC4xNTI5MDI5MTJafFA=")
    );
}
