//! Watchlists: every endpoint by id and by name, with bodies from Alpaca's OpenAPI examples.

use crate::common::spec::Spec;
use crate::common::*;
use alpaca_exec::Error;
use alpaca_exec::trading::common::Exchange;
use alpaca_exec::trading::watchlists::{WatchlistRef, WatchlistRequest};
use serde_json::json;
use wiremock::ResponseTemplate;
use wiremock::matchers::body_json;

const ID: &str = "3174d6df-7726-44b4-a5bd-7fda5ae6e009";

fn watchlist() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(Spec::Trading.schema_example("Watchlist"))
}

#[tokio::test]
async fn list_watchlists_without_assets() {
    let s = server().await;
    expect("GET", "/v2/watchlists")
        .and(query_is(&[]))
        .and(NoBody)
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(Spec::Trading.response_example("GET", "/v2/watchlists")),
        )
        .expect(1)
        .mount(&s)
        .await;
    let all = client(&s).watchlists().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].id, ID);
    assert_eq!(all[0].name, "Primary Watchlist");
    assert_eq!(all[0].account_id, "abe25343-a7ba-4255-bdeb-f7e013e9ee5d");
    assert_eq!(
        all[0].created_at.to_rfc3339(),
        "2022-01-31T21:49:05.146280+00:00"
    );
    assert!(all[0].assets.is_empty());
}

#[tokio::test]
async fn create_sends_name_and_symbols_and_decodes_assets() {
    let s = server().await;
    expect("POST", "/v2/watchlists")
        .and(query_is(&[]))
        .and(body_json(
            json!({"name": "Primary Watchlist", "symbols": ["TSLA"]}),
        ))
        .respond_with(watchlist())
        .expect(1)
        .mount(&s)
        .await;
    let w = client(&s)
        .create_watchlist(&WatchlistRequest::new("Primary Watchlist").symbols(["TSLA"]))
        .await
        .unwrap();
    assert_eq!(w.symbols().collect::<Vec<_>>(), ["TSLA"]);
    assert_eq!(w.assets[0].exchange, Exchange::Nasdaq);
    assert!(w.assets[0].fractionable);
}

#[tokio::test]
async fn get_update_add_and_delete_by_id() {
    let s = server().await;
    let path = format!("/v2/watchlists/{ID}");
    expect("GET", &path)
        .and(query_is(&[]))
        .respond_with(watchlist())
        .expect(1)
        .mount(&s)
        .await;
    expect("PUT", &path)
        .and(body_json(json!({"name": "Renamed"})))
        .respond_with(watchlist())
        .expect(1)
        .mount(&s)
        .await;
    expect("POST", &path)
        .and(body_json(json!({"symbol": "AAPL"})))
        .respond_with(watchlist())
        .expect(1)
        .mount(&s)
        .await;
    expect("DELETE", &format!("{path}/AAPL"))
        .and(NoBody)
        .respond_with(watchlist())
        .expect(1)
        .mount(&s)
        .await;
    expect("DELETE", &path)
        .and(query_is(&[]))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let w = c.watchlist(&WatchlistRef::id(ID)).await.unwrap();
    let by_id = WatchlistRef::from(&w);
    assert_eq!(by_id, WatchlistRef::id(ID));
    c.update_watchlist(&by_id, &WatchlistRequest::new("Renamed"))
        .await
        .unwrap();
    c.add_to_watchlist(&by_id, "AAPL").await.unwrap();
    c.remove_from_watchlist(ID, "AAPL").await.unwrap();
    c.delete_watchlist(&by_id).await.unwrap();
}

#[tokio::test]
async fn by_name_puts_the_name_in_the_query() {
    let s = server().await;
    let name = [("name", "Primary Watchlist")];
    expect("GET", "/v2/watchlists:by_name")
        .and(query_is(&name))
        .respond_with(watchlist())
        .expect(1)
        .mount(&s)
        .await;
    expect("PUT", "/v2/watchlists:by_name")
        .and(query_is(&name))
        .and(body_json(
            json!({"name": "Primary Watchlist", "symbols": ["TSLA", "AAPL"]}),
        ))
        .respond_with(watchlist())
        .expect(1)
        .mount(&s)
        .await;
    expect("POST", "/v2/watchlists:by_name")
        .and(query_is(&name))
        .and(body_json(json!({"symbol": "MSFT"})))
        .respond_with(watchlist())
        .expect(1)
        .mount(&s)
        .await;
    expect("DELETE", "/v2/watchlists:by_name")
        .and(query_is(&name))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let which = WatchlistRef::name("Primary Watchlist");
    assert_eq!(c.watchlist(&which).await.unwrap().id, ID);
    c.update_watchlist(
        &which,
        &WatchlistRequest::new("Primary Watchlist").symbols(["TSLA", "AAPL"]),
    )
    .await
    .unwrap();
    c.add_to_watchlist(&which, "MSFT").await.unwrap();
    c.delete_watchlist(&which).await.unwrap();
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    // The catch-all fails the test if anything reaches the server.
    let s = server().await;
    let c = client(&s);
    let long = "x".repeat(65);
    for e in [
        c.create_watchlist(&WatchlistRequest::new(""))
            .await
            .unwrap_err(),
        c.create_watchlist(&WatchlistRequest::new(long.clone()))
            .await
            .unwrap_err(),
        c.watchlist(&WatchlistRef::id(" ")).await.unwrap_err(),
        c.watchlist(&WatchlistRef::name(long)).await.unwrap_err(),
        c.add_to_watchlist(&WatchlistRef::id(ID), "")
            .await
            .unwrap_err(),
        c.remove_from_watchlist("", "AAPL").await.unwrap_err(),
        c.delete_watchlist(&WatchlistRef::name(""))
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(e, Error::InvalidRequest(_)), "{e}");
    }
}

#[tokio::test]
async fn not_found_and_duplicate_symbol_keep_alpacas_answer() {
    let s = server().await;
    expect("DELETE", "/v2/watchlists/missing")
        .respond_with(ResponseTemplate::new(404).set_body_string("watchlist not found"))
        .expect(1)
        .mount(&s)
        .await;
    expect("POST", &format!("/v2/watchlists/{ID}"))
        .respond_with(ResponseTemplate::new(422).set_body_json(
            json!({"code": 40010001, "message": "symbol already exists in the watchlist"}),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let e = c
        .delete_watchlist(&WatchlistRef::id("missing"))
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert_eq!(e.api().unwrap().message, "watchlist not found");
    let e = c
        .add_to_watchlist(&WatchlistRef::id(ID), "TSLA")
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(422));
    assert!(e.to_string().contains("already exists"), "{e}");
}

#[tokio::test]
async fn create_is_never_repeated_but_update_is() {
    let s = server().await;
    expect("POST", "/v2/watchlists")
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&s)
        .await;
    first_then(
        &s,
        "PUT",
        &format!("/v2/watchlists/{ID}"),
        ResponseTemplate::new(502),
        watchlist(),
    )
    .await;
    let c = client(&s);
    let e = c
        .create_watchlist(&WatchlistRequest::new("Tech"))
        .await
        .unwrap_err();
    assert!(e.is_outcome_unknown(), "a 503 to a create: {e}");
    c.update_watchlist(&WatchlistRef::id(ID), &WatchlistRequest::new("Tech"))
        .await
        .expect("a replace is repeated after a 5xx");
}

#[tokio::test]
async fn truncated_watchlist_names_the_failure() {
    let s = server().await;
    expect("GET", &format!("/v2/watchlists/{ID}"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"id":"x","account_id":"#, "application/json"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s)
        .watchlist(&WatchlistRef::id(ID))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e}");
}
