// Shared by the `trading` and `data` test crates; each uses a subset of the helpers.
#![allow(dead_code)]

//! Shared test setup: a mock Alpaca with a catch-all that fails the test on any request no
//! other mock expected, and a client pointed at it with fast retries.

pub mod spec;

use alpaca_exec::{Client, ClientBuilder, RateLimit, RetryPolicy};
use std::time::Duration;
use wiremock::matchers::{any, header, method, path};
use wiremock::{Match, Mock, MockBuilder, MockServer, Request, ResponseTemplate};

pub const KEY: &str = "PKTEST123";
pub const SECRET: &str = "s3cr3t-value-never-logged";

/// A mock server whose catch-all answers 599 and must never be hit (checked on drop).
pub async fn server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .expect(0)
        .named("catch-all: no unexpected requests")
        .mount(&s)
        .await;
    s
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_secs(3),
    }
}

/// A builder pointed at the mock with fast retries and no client-side rate limit.
pub fn builder(s: &MockServer) -> ClientBuilder {
    Client::builder()
        .credentials(KEY, SECRET)
        .trading_base_url(s.uri())
        .data_base_url(s.uri())
        .retry_policy(fast_retry())
        .rate_limit(RateLimit::UNLIMITED)
        .timeout(Duration::from_secs(5))
}

pub fn client(s: &MockServer) -> Client {
    builder(s).build().unwrap()
}

/// Mounts `first` for the first request to `verb path` and `then` for the one after, each
/// expected exactly once.
pub async fn first_then(
    s: &MockServer,
    verb: &str,
    p: &str,
    first: ResponseTemplate,
    then: ResponseTemplate,
) {
    expect(verb, p)
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(s)
        .await;
    expect(verb, p)
        .respond_with(then)
        .with_priority(2)
        .expect(1)
        .mount(s)
        .await;
}

/// Alpaca's answer to a reused `client_order_id`.
pub fn duplicate_id() -> ResponseTemplate {
    ResponseTemplate::new(422).set_body_json(
        serde_json::json!({"code": 40010001, "message": "client_order_id must be unique"}),
    )
}

pub fn fixture(name: &str) -> String {
    // This module is also compiled into the signal daemon's package, two levels down.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = [
        root.join("tests/fixtures"),
        root.join("../../tests/fixtures"),
    ]
    .into_iter()
    .map(|dir| dir.join(name))
    .find(|p| p.exists())
    .unwrap_or_else(|| root.join("tests/fixtures").join(name));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

pub fn json_fixture(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(fixture(name), "application/json")
}

/// A mock for `verb path` that also requires both auth headers.
pub fn expect(verb: &str, p: &str) -> MockBuilder {
    Mock::given(method(verb))
        .and(path(p))
        .and(header("APCA-API-KEY-ID", KEY))
        .and(header("APCA-API-SECRET-KEY", SECRET))
}

/// Matches when the query string holds exactly these pairs (order-insensitive, nothing extra).
pub struct QueryIs(pub Vec<(String, String)>);

pub fn query_is(pairs: &[(&str, &str)]) -> QueryIs {
    QueryIs(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

impl Match for QueryIs {
    fn matches(&self, req: &Request) -> bool {
        let mut got: Vec<(String, String)> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut want = self.0.clone();
        got.sort();
        want.sort();
        got == want
    }
}

/// Matches requests with no body at all.
pub struct NoBody;

impl Match for NoBody {
    fn matches(&self, req: &Request) -> bool {
        req.body.is_empty()
    }
}

/// Requests the server received for a method and path.
pub async fn received(s: &MockServer, verb: &str, p: &str) -> Vec<Request> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == p)
        .collect()
}
