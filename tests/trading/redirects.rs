//! Redirects are never followed: a 3xx is an error naming the status and `Location`, the
//! request reaches the server exactly once, and nothing (keys, body) goes to the redirect target.

use crate::common::*;
use alpaca_exec::{
    ClosePosition, Error, OrderRequest, OrderSide, Qty, ReplaceOrder, trading::orders::OrderKind,
};
use rust_decimal_macros::dec;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A second server standing for another host: it must receive nothing at all.
async fn other_host() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(0)
        .named("redirect target must receive nothing")
        .mount(&s)
        .await;
    s
}

fn redirect(status: u16, to: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).insert_header("Location", to)
}

fn assert_redirected(e: &Error, status: u16, location_part: &str) {
    match e {
        Error::Redirected {
            status: got,
            location,
            ..
        } => {
            assert_eq!(*got, status, "{e}");
            assert!(location.contains(location_part), "{e}");
        }
        other => panic!("expected Error::Redirected, got {other:?}"),
    }
    let text = e.to_string();
    assert!(text.contains(&status.to_string()), "{text}");
    assert!(text.contains(location_part), "{text}");
    assert!(!e.is_retryable(), "{text}");
    assert!(!e.is_outcome_unknown(), "a redirect is an answer: {text}");
}

#[tokio::test]
async fn order_post_307_reaches_the_server_once() {
    let s = server().await;
    let elsewhere = other_host().await;
    expect("POST", "/v2/orders")
        .respond_with(redirect(307, &format!("{}/v2/orders", elsewhere.uri())))
        .expect(2) // one per call below, never a second one within a call
        .mount(&s)
        .await;
    let order = OrderRequest::market("AAPL", OrderSide::Buy, Qty::Shares(dec!(1)))
        .client_order_id("redir-1")
        .build()
        .unwrap();
    let c = client(&s);
    let e = c.submit_order(&order).await.unwrap_err();
    assert_redirected(&e, 307, "/v2/orders");
    // The resolving path must not turn a redirect into lookups and re-sends either.
    let e = c.submit_order_and_resolve(&order).await.unwrap_err();
    assert_redirected(&e, 307, "/v2/orders");
    assert_eq!(received(&s, "POST", "/v2/orders").await.len(), 2);
}

#[tokio::test]
async fn close_position_307_to_itself_is_sent_once() {
    let s = server().await;
    // A redirect back to the same URL: following it would close the position again and again.
    expect("DELETE", "/v2/positions/AAPL")
        .respond_with(redirect(
            307,
            &format!("{}/v2/positions/AAPL?qty=10", s.uri()),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s)
        .close_position("AAPL", ClosePosition::Qty(dec!(10)))
        .await
        .unwrap_err();
    assert_redirected(&e, 307, "/v2/positions/AAPL");
    assert_eq!(received(&s, "DELETE", "/v2/positions/AAPL").await.len(), 1);
}

#[tokio::test]
async fn replace_307_is_sent_once() {
    let s = server().await;
    let elsewhere = other_host().await;
    expect("PATCH", "/v2/orders/o-1")
        .respond_with(redirect(307, &format!("{}/v2/orders/o-1", elsewhere.uri())))
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s)
        .replace_order(
            "o-1",
            &ReplaceOrder {
                limit_price: Some(dec!(101)),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_redirected(&e, 307, "/v2/orders/o-1");
}

#[tokio::test]
async fn exercise_307_is_sent_once() {
    let s = server().await;
    expect("POST", "/v2/positions/AAPL250620C00100000/exercise")
        .respond_with(redirect(
            308,
            &format!("{}/v2/positions/AAPL250620C00100000/exercise", s.uri()),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s)
        .exercise_option("AAPL250620C00100000")
        .await
        .unwrap_err();
    assert_redirected(&e, 308, "/exercise");
}

#[tokio::test]
async fn get_302_to_another_host_sends_it_nothing() {
    let s = server().await;
    let elsewhere = other_host().await;
    expect("GET", "/v2/account")
        .respond_with(redirect(
            302,
            &format!("{}/steal?token=abc", elsewhere.uri()),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s).account().await.unwrap_err();
    assert_redirected(&e, 302, &elsewhere.address().to_string());
    assert!(
        !e.to_string().contains("token=abc"),
        "the Location's query is not echoed: {e}"
    );
    // `other_host` verifies on drop that it received nothing: no keys, no body.
}

#[tokio::test]
async fn post_302_to_another_host_sends_it_no_keys_and_no_body() {
    let s = server().await;
    let elsewhere = other_host().await;
    expect("POST", "/v2/orders")
        .respond_with(redirect(302, &format!("{}/v2/orders", elsewhere.uri())))
        .expect(1)
        .mount(&s)
        .await;
    let e = OrderRequest::market("AAPL", OrderSide::Buy, Qty::Shares(dec!(1)))
        .kind(OrderKind::Limit(dec!(10)))
        .send(&client(&s))
        .await
        .unwrap_err();
    assert_redirected(&e, 302, "/v2/orders");
    assert!(
        elsewhere
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}
