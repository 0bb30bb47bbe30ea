//! The one-line order path (`OrderBuilder::send`, used in the README) is the safe one: an
//! unknown outcome is settled by lookup, and a retry after an error cannot place a second order.

use crate::common::*;
use alpaca_exec::{Error, OrderRequest, OrderSide, Qty, RetryPolicy};
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Orders by `client_order_id`, as Alpaca keeps them: a reused id is refused with 422.
#[derive(Default)]
struct Book {
    orders: HashMap<String, Value>,
    /// POSTs still to answer 500 *after* accepting the order.
    accept_then_fail: u32,
    /// Lookups still to answer 503 (an outage after the submit).
    lookups_down: u32,
}

#[derive(Clone, Default)]
struct FakeAlpaca(Arc<Mutex<Book>>);

impl FakeAlpaca {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.0.lock().unwrap()
    }

    async fn mount(&self, s: &MockServer) {
        let me = self.clone();
        Mock::given(method("POST"))
            .and(path("/v2/orders"))
            .respond_with(move |r: &Request| me.post(r))
            .mount(s)
            .await;
        let me = self.clone();
        Mock::given(method("GET"))
            .and(path("/v2/orders:by_client_order_id"))
            .respond_with(move |r: &Request| me.lookup(r))
            .mount(s)
            .await;
    }

    fn post(&self, r: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let id = body["client_order_id"].as_str().unwrap().to_owned();
        let mut book = self.book();
        if book.orders.contains_key(&id) {
            return duplicate_id();
        }
        let mut order: Value = serde_json::from_str(&fixture("trading_submit_order_market.json"))
            .expect("fixture is JSON");
        order["id"] = json!(format!("order-{}", book.orders.len() + 1));
        order["client_order_id"] = json!(id);
        order["symbol"] = body["symbol"].clone();
        book.orders.insert(id, order.clone());
        if book.accept_then_fail > 0 {
            book.accept_then_fail -= 1;
            return ResponseTemplate::new(500).set_body_string("upstream error");
        }
        ResponseTemplate::new(200).set_body_json(order)
    }

    fn lookup(&self, r: &Request) -> ResponseTemplate {
        let id = r
            .url
            .query_pairs()
            .find(|(k, _)| k == "client_order_id")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let mut book = self.book();
        if book.lookups_down > 0 {
            book.lookups_down -= 1;
            return ResponseTemplate::new(503);
        }
        match book.orders.get(&id) {
            Some(o) => ResponseTemplate::new(200).set_body_json(o),
            None => ResponseTemplate::new(404)
                .set_body_json(json!({"code": 40410000, "message": "order not found"})),
        }
    }
}

fn buy_aapl() -> alpaca_exec::trading::orders::OrderBuilder {
    OrderRequest::limit("AAPL", OrderSide::Buy, Qty::Shares(dec!(10)), dec!(150))
}

#[tokio::test]
async fn accepted_then_500_then_send_again_is_one_order() {
    let s = server().await;
    let fake = FakeAlpaca::default();
    fake.book().accept_then_fail = 1;
    fake.mount(&s).await;
    let c = client(&s);

    // What a user of the README does: send, and on an error build the order again and retry.
    let placed = match buy_aapl().send(&c).await {
        Ok(o) => o,
        Err(_) => buy_aapl().send(&c).await.unwrap(),
    };
    assert_eq!(placed.id, "order-1");
    assert_eq!(
        fake.book().orders.len(),
        1,
        "exactly one order at the server"
    );
}

#[tokio::test]
async fn an_unresolved_send_names_the_id_and_retrying_with_it_cannot_duplicate() {
    let s = server().await;
    let fake = FakeAlpaca::default();
    fake.book().accept_then_fail = 1;
    fake.book().lookups_down = 2; // the lookup after the 500, and its one transport retry
    fake.mount(&s).await;
    let c = builder(&s)
        .retry_policy(RetryPolicy {
            max_retries: 1,
            ..fast_retry()
        })
        .build()
        .unwrap();

    let e = buy_aapl().send(&c).await.unwrap_err();
    assert!(e.is_outcome_unknown(), "{e}");
    let id = e
        .client_order_id()
        .expect("the error names the order")
        .to_owned();
    assert!(e.to_string().contains(&id), "{e}");
    assert!(e.to_string().contains("same client_order_id"), "{e}");

    // Retrying with the id the error named adopts the order instead of placing another.
    let placed = buy_aapl().client_order_id(&id).send(&c).await.unwrap();
    assert_eq!(placed.client_order_id, id);
    assert_eq!(
        fake.book().orders.len(),
        1,
        "exactly one order at the server"
    );
}

#[tokio::test]
async fn a_kept_request_can_be_sent_again_safely() {
    let s = server().await;
    let fake = FakeAlpaca::default();
    fake.mount(&s).await;
    let c = client(&s);
    let order = buy_aapl().build().unwrap();
    let first = order.send(&c).await.unwrap();
    let again = order.send(&c).await.unwrap();
    assert_eq!(first.id, again.id, "the second send adopts the first order");
    assert_eq!(fake.book().orders.len(), 1);
}

#[tokio::test]
async fn an_unreadable_success_is_an_unknown_outcome_naming_the_id() {
    let s = server().await;
    expect("POST", "/v2/orders")
        .respond_with(ResponseTemplate::new(200).set_body_raw("{\"id\": ", "application/json"))
        .expect(1)
        .mount(&s)
        .await;
    let order = buy_aapl().client_order_id("cid-garbled").build().unwrap();
    let e = client(&s).submit_order(&order).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::OutcomeUnknown {
                status: Some(200),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.client_order_id(), Some("cid-garbled"));
}
