//! News (`/v1beta1/news`): filters, paging, and Alpaca's example body.

use crate::common::spec::Spec;
use crate::common::*;
use alpaca_exec::Error;
use alpaca_exec::data::{NewsRequest, Sort};
use chrono::{TimeZone, Utc};
use futures_util::TryStreamExt;
use serde_json::json;
use wiremock::ResponseTemplate;

fn example() -> serde_json::Value {
    Spec::MarketData.response_example("GET", "/v1beta1/news")
}

#[tokio::test]
async fn one_page_with_every_filter() {
    let s = server().await;
    expect("GET", "/v1beta1/news")
        .and(query_is(&[
            ("symbols", "AAPL,TSLA"),
            ("start", "2021-12-30T00:00:00Z"),
            ("end", "2021-12-31T12:00:00Z"),
            ("sort", "asc"),
            ("limit", "50"),
            ("include_content", "true"),
            ("exclude_contentless", "true"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(example()))
        .expect(1)
        .mount(&s)
        .await;
    let req = NewsRequest {
        sort: Some(Sort::Asc),
        exclude_contentless: Some(true),
        ..NewsRequest::new()
            .symbols(["AAPL", "TSLA"])
            .between(
                Utc.with_ymd_and_hms(2021, 12, 30, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2021, 12, 31, 12, 0, 0).unwrap(),
            )
            .limit(50)
            .include_content(true)
    };
    let page = client(&s).news(&req).await.unwrap();
    assert_eq!(
        page.next_page_token.as_deref(),
        Some("MTY0MDk0ODkyMzAwMDAwMDAwMHwyNDg0MzE3MQ==")
    );
    let a = &page.items[0];
    assert_eq!(a.id, 24843171);
    assert_eq!(a.author, "Charles Gross");
    assert!(a.headline.starts_with("Apple Leader in Phone Sales"));
    assert!(a.content.starts_with("<p>"));
    assert_eq!(
        a.created_at,
        Utc.with_ymd_and_hms(2021, 12, 31, 11, 8, 42).unwrap()
    );
    assert_eq!(a.source, "benzinga");
    assert!(a.mentions("AAPL") && !a.mentions("TSLA"));
    assert!(a.images.is_empty());
    assert!(
        a.url
            .as_deref()
            .unwrap()
            .starts_with("https://www.benzinga.com/")
    );
}

#[tokio::test]
async fn stream_follows_page_tokens_to_the_end() {
    let s = server().await;
    let mut second = example();
    second["news"][0]["id"] = json!(24843100);
    second["news"][0]["url"] = json!(null);
    second["news"][0]["images"] = json!([
        {"size": "thumb", "url": "https://cdn.example/t.jpg"},
        {"size": "huge", "url": "https://cdn.example/h.jpg"}
    ]);
    second["next_page_token"] = json!(null);
    expect("GET", "/v1beta1/news")
        .and(query_is(&[("symbols", "AAPL")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(example()))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v1beta1/news")
        .and(query_is(&[
            ("symbols", "AAPL"),
            ("page_token", "MTY0MDk0ODkyMzAwMDAwMDAwMHwyNDg0MzE3MQ=="),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(second))
        .expect(1)
        .mount(&s)
        .await;
    let all: Vec<_> = NewsRequest::new()
        .symbols(["AAPL"])
        .stream(&client(&s))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|a| a.id).collect::<Vec<_>>(),
        [24843171, 24843100]
    );
    assert_eq!(all[1].url, None);
    assert_eq!(all[1].images.len(), 2);
    assert_eq!(
        all[1].images[1].size.as_str(),
        "huge",
        "unknown sizes are kept"
    );
}

#[tokio::test]
async fn refused_and_broken_answers() {
    let s = server().await;
    expect("GET", "/v1beta1/news")
        .and(query_is(&[("symbols", "FORBIDDEN")]))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"message": "forbidden"})))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v1beta1/news")
        .and(query_is(&[("symbols", "BROKEN")]))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"news":[{"id":"not a number","headline":"x"}],"next_page_token":null}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let e = c
        .news(&NewsRequest::new().symbols(["FORBIDDEN"]))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(403));
    match c
        .news(&NewsRequest::new().symbols(["BROKEN"]))
        .await
        .unwrap_err()
    {
        Error::Decode { path, .. } => assert_eq!(path, "news[0].id"),
        other => panic!("{other}"),
    }
    // Refused before sending: the catch-all would fail the test otherwise.
    for bad in [
        NewsRequest::new().limit(51),
        NewsRequest::new().limit(0),
        NewsRequest::new().symbols([""]),
        NewsRequest::new().between(
            Utc.with_ymd_and_hms(2024, 1, 2, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
        ),
    ] {
        assert!(matches!(c.news(&bad).await, Err(Error::InvalidRequest(_))));
    }
}

#[tokio::test]
async fn rate_limited_and_timed_out_pages_are_retried() {
    let s = server().await;
    first_then(
        &s,
        "GET",
        "/v1beta1/news",
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "0")
            .set_body_json(json!({"message": "too many requests"})),
        ResponseTemplate::new(200).set_body_json(example()),
    )
    .await;
    let page = client(&s).news(&NewsRequest::new()).await.unwrap();
    assert_eq!(page.items.len(), 1);

    let s = server().await;
    first_then(
        &s,
        "GET",
        "/v1/corporate-actions",
        ResponseTemplate::new(200)
            .set_body_json(json!({"corporate_actions": {}, "next_page_token": null}))
            .set_delay(std::time::Duration::from_secs(2)),
        ResponseTemplate::new(200)
            .set_body_json(json!({"corporate_actions": {}, "next_page_token": null})),
    )
    .await;
    let c = builder(&s)
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    let page = c
        .corporate_actions(&alpaca_exec::data::CorporateActionsRequest::default())
        .await
        .expect("a GET that timed out is sent again");
    assert!(page.items.is_empty());
}
