//! Transport behaviour: error statuses, retries, timeouts and malformed bodies.

use crate::common::*;
use alpaca_exec::{Client, Error, RetryPolicy};
use serde_json::json;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wiremock::ResponseTemplate;
use wiremock::matchers::header;

#[tokio::test]
async fn sends_auth_and_user_agent_headers() {
    let s = server().await;
    expect("GET", "/v2/clock")
        .and(header(
            "user-agent",
            concat!("alpaca-exec/", env!("CARGO_PKG_VERSION")),
        ))
        .respond_with(json_fixture("trading_get_clock.json"))
        .expect(1)
        .mount(&s)
        .await;
    client(&s).clock().await.unwrap();
}

#[tokio::test]
async fn status_401_with_empty_body() {
    let s = server().await;
    expect("GET", "/v2/account")
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s).account().await.unwrap_err();
    let api = e.api().expect("api error");
    assert_eq!(api.status, 401);
    assert_eq!(api.code, None);
    assert_eq!(api.message, "Unauthorized");
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains(SECRET),
        "errors never show the secret: {text}"
    );
}

#[tokio::test]
async fn status_403_and_422_keep_code_message_and_request_id() {
    let s = server().await;
    expect("GET", "/v2/account")
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"code": 40310000, "message": "forbidden."}))
                .insert_header("X-Request-ID", "abc-123"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s).account().await.unwrap_err();
    let api = e.api().unwrap();
    assert_eq!((api.status, api.code), (403, Some(40310000)));
    assert_eq!(api.message, "forbidden.");
    assert_eq!(api.request_id.as_deref(), Some("abc-123"));
    assert!(e.to_string().contains("abc-123"), "{e}");
    assert!(!e.is_retryable());
    assert!(!e.is_not_found());
}

#[tokio::test]
async fn status_404_is_not_found() {
    let s = server().await;
    expect("GET", "/v2/orders/missing")
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"code": 40410000, "message": "order not found"})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s).order("missing", false).await.unwrap_err();
    assert!(e.is_not_found());
    assert_eq!(e.status(), Some(404));
}

#[tokio::test]
async fn status_429_waits_as_told_then_succeeds() {
    let s = server().await;
    first_then(
        &s,
        "GET",
        "/v2/clock",
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "1")
            .set_body_json(json!({"message": "too many requests"})),
        json_fixture("trading_get_clock.json"),
    )
    .await;
    let started = Instant::now();
    client(&s).clock().await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
}

#[tokio::test]
async fn status_429_honours_rate_limit_reset_header() {
    let s = server().await;
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2;
    first_then(
        &s,
        "GET",
        "/v2/clock",
        ResponseTemplate::new(429)
            .insert_header("X-RateLimit-Limit", "200")
            .insert_header("X-RateLimit-Remaining", "0")
            .insert_header("X-RateLimit-Reset", reset.to_string().as_str()),
        json_fixture("trading_get_clock.json"),
    )
    .await;
    let started = Instant::now();
    client(&s).clock().await.unwrap();
    // The reset is a whole second in the future; at least part of it must have been waited.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn status_429_exhausted_reports_retry_after() {
    let s = server().await;
    expect("GET", "/v2/clock")
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .expect(4)
        .mount(&s)
        .await;
    let e = client(&s).clock().await.unwrap_err();
    assert_eq!(e.status(), Some(429));
    assert!(e.is_retryable());
    assert_eq!(e.retry_after(), Some(Duration::ZERO));
}

#[tokio::test]
async fn server_errors_on_get_are_retried() {
    for status in [500u16, 502, 503] {
        let s = server().await;
        expect("GET", "/v2/account")
            .respond_with(ResponseTemplate::new(status))
            .up_to_n_times(2)
            .with_priority(1)
            .expect(2)
            .mount(&s)
            .await;
        expect("GET", "/v2/account")
            .respond_with(json_fixture("trading_get_account.json"))
            .with_priority(2)
            .expect(1)
            .mount(&s)
            .await;
        client(&s).account().await.unwrap();
    }
}

#[tokio::test]
async fn persistent_server_error_on_get_gives_up_after_max_retries() {
    let s = server().await;
    expect("GET", "/v2/account")
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_string("<html><h1>503 Service Unavailable</h1></html>"),
        )
        .expect(4)
        .mount(&s)
        .await;
    let e = client(&s).account().await.unwrap_err();
    let api = e
        .api()
        .expect("an idempotent request reports the API error");
    assert_eq!(api.status, 503);
    assert!(
        api.message.contains("503 Service Unavailable"),
        "{}",
        api.message
    );
}

#[tokio::test]
async fn timeout_on_get_is_retried_then_reported() {
    let s = server().await;
    expect("GET", "/v2/clock")
        .respond_with(json_fixture("trading_get_clock.json").set_delay(Duration::from_secs(2)))
        .expect(2)
        .mount(&s)
        .await;
    let c = builder(&s)
        .retry_policy(RetryPolicy {
            max_retries: 1,
            ..fast_retry()
        })
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let e = c.clock().await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::OutcomeUnknown {
                timed_out: true,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn truncated_json_is_a_decode_error() {
    let s = server().await;
    let body = fixture("trading_get_clock.json");
    expect("GET", "/v2/clock")
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(&body[..body.len() / 2], "application/json"),
        )
        .mount(&s)
        .await;
    match client(&s).clock().await.unwrap_err() {
        Error::Decode {
            message, excerpt, ..
        } => {
            assert!(message.contains("EOF"), "{message}");
            assert!(excerpt.contains("timestamp"));
        }
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn html_and_empty_success_bodies_are_decode_errors() {
    let s = server().await;
    expect("GET", "/v2/clock")
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("<html>maintenance</html>", "text/html"),
        )
        .mount(&s)
        .await;
    expect("GET", "/v2/account")
        .respond_with(ResponseTemplate::new(200))
        .mount(&s)
        .await;
    let c = client(&s);
    match c.clock().await.unwrap_err() {
        Error::Decode { excerpt, .. } => assert!(excerpt.contains("maintenance")),
        e => panic!("{e:?}"),
    }
    match c.account().await.unwrap_err() {
        Error::Decode { message, .. } => assert!(message.contains("empty"), "{message}"),
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn html_error_page_keeps_an_excerpt() {
    let s = server().await;
    expect("GET", "/v2/positions")
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_raw("<html><body>Bad gateway thing</body></html>", "text/html"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s).positions().await.unwrap_err();
    let api = e.api().unwrap();
    assert_eq!(api.code, None);
    assert!(api.message.contains("Bad gateway thing"));
}

#[tokio::test]
async fn connection_refused_is_not_sent() {
    // Bind then drop a listener so the port is (almost certainly) closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = Client::builder()
        .credentials(KEY, SECRET)
        .trading_base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(RetryPolicy {
            max_retries: 1,
            ..fast_retry()
        })
        .build()
        .unwrap();
    let e = c.clock().await.unwrap_err();
    assert!(matches!(e, Error::NotSent { .. }), "{e:?}");
    assert!(e.is_retryable());
    // Even an order POST reports "not sent" here: nothing reached a server.
    let order = alpaca_exec::OrderRequest::market(
        "AAPL",
        alpaca_exec::OrderSide::Buy,
        alpaca_exec::Qty::Shares(1.into()),
    )
    .build()
    .unwrap();
    assert!(matches!(
        c.submit_order(&order).await,
        Err(Error::NotSent { .. })
    ));
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    let s = server().await;
    expect("GET", "/proxy/alpaca/v2/clock")
        .respond_with(json_fixture("trading_get_clock.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = builder(&s)
        .trading_base_url(format!("{}/proxy/alpaca/", s.uri()))
        .build()
        .unwrap();
    c.clock().await.unwrap();
}

#[tokio::test]
async fn rate_limit_is_shared_by_clones() {
    let s = server().await;
    expect("GET", "/v2/clock")
        .respond_with(json_fixture("trading_get_clock.json"))
        .expect(61)
        .mount(&s)
        .await;
    // 60 a minute with a burst of 60: the 61st request must wait about a second, even though
    // the requests are split between two clones (separate buckets would let all 61 through).
    let c = builder(&s)
        .rate_limit(alpaca_exec::RateLimit { per_minute: 60 })
        .build()
        .unwrap();
    let c2 = c.clone();
    let t = Instant::now();
    for i in 0..60 {
        if i % 2 == 0 {
            c.clock().await.unwrap();
        } else {
            c2.clock().await.unwrap();
        }
    }
    let burst = t.elapsed();
    c2.clock().await.unwrap();
    let total = t.elapsed();
    assert!(
        total >= Duration::from_millis(900),
        "61st request was not paced: {total:?} (burst {burst:?})"
    );
}

// ---- errors that name the request, never a secret ------------------------------------------

#[tokio::test]
async fn api_error_display_names_method_path_status_code_and_request_id() {
    let s = server().await;
    expect("GET", "/v2/orders/abc")
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"code": 40410000, "message": "order not found"}))
                .insert_header("X-Request-ID", "7f3a"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s).order("abc", true).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "GET /v2/orders/abc: 404 Not Found (code 40410000): order not found [request id 7f3a]"
    );
    let api = e.api().unwrap();
    assert_eq!(api.method.as_deref(), Some("GET"));
    assert_eq!(api.path.as_deref(), Some("/v2/orders/abc"));
    assert!(!e.to_string().contains("nested"), "no query string: {e}");
}

#[tokio::test]
async fn status_text_is_not_repeated_for_an_empty_body() {
    let s = server().await;
    expect("GET", "/v2/account")
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s).account().await.unwrap_err();
    assert_eq!(e.to_string(), "GET /v2/account: 401 Unauthorized");
}

#[tokio::test]
async fn decode_and_transport_errors_name_the_request_without_its_query() {
    let s = server().await;
    expect("GET", "/v2/orders:by_client_order_id")
        .respond_with(ResponseTemplate::new(200).set_body_raw("{\"id\": 5", "application/json"))
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&s)
        .order_by_client_order_id("cid-query-value")
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("GET /v2/orders:by_client_order_id: could not decode"),
        "{text}"
    );
    assert!(!text.contains("cid-query-value"), "{text}");

    // A timeout: reqwest's own message names the whole URL, query included; ours does not.
    let slow = server().await;
    expect("GET", "/v2/orders:by_client_order_id")
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .expect(1)
        .mount(&slow)
        .await;
    let c = builder(&slow)
        .retry_policy(RetryPolicy::NONE)
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let e = c
        .order_by_client_order_id("cid-query-value")
        .await
        .unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(text.contains("GET /v2/orders:by_client_order_id"), "{text}");
    assert!(!text.contains("cid-query-value"), "{text}");
    assert!(!text.contains("127.0.0.1"), "no host either: {text}");
}

#[tokio::test]
async fn error_bodies_echoing_the_headers_never_reveal_the_keys() {
    // A 401 page (from a proxy, a WAF or Alpaca itself) that echoes the request headers.
    let echo = format!(
        "<html><pre>GET /v2/account\nAPCA-API-KEY-ID: {KEY}\nAPCA-API-SECRET-KEY: {SECRET}</pre></html>"
    );
    let s = server().await;
    expect("GET", "/v2/account")
        .respond_with(ResponseTemplate::new(401).set_body_raw(echo.clone(), "text/html"))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v2/clock")
        .respond_with(ResponseTemplate::new(200).set_body_raw(echo.clone(), "text/html"))
        .expect(1)
        .mount(&s)
        .await;
    expect("POST", "/v2/orders")
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"code": 40310000, "message": format!("bad key {KEY} / {SECRET}")}),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let order = alpaca_exec::OrderRequest::market(
        "AAPL",
        alpaca_exec::OrderSide::Buy,
        alpaca_exec::Qty::Shares(1.into()),
    )
    .build()
    .unwrap();
    for e in [
        c.account().await.unwrap_err(),
        c.clock().await.unwrap_err(),
        c.submit_order(&order).await.unwrap_err(),
    ] {
        let text = format!("{e} | {e:?}");
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains(KEY), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
    }
}

#[tokio::test]
async fn extreme_wait_headers_on_429_401_503_do_not_panic() {
    let far = "Fri, 31 Dec 9999 23:59:59 GMT";
    let quick = RetryPolicy {
        max_retries: 1,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
    };
    for value in [
        "1e300",
        "99999999999999999999",
        "-3",
        "NaN",
        far,
        "18446744073709551616",
    ] {
        for status in [429u16, 401, 503] {
            let s = server().await;
            expect("GET", "/v2/clock")
                .respond_with(
                    ResponseTemplate::new(status)
                        .insert_header("Retry-After", value)
                        .insert_header("X-RateLimit-Reset", "18446744073709551615"),
                )
                .mount(&s)
                .await;
            let c = builder(&s).retry_policy(quick).build().unwrap();
            let started = Instant::now();
            let e = c.clock().await.unwrap_err();
            assert_eq!(e.status(), Some(status), "{value}: {e}");
            // Waits are capped by the policy: two attempts with at most 20 ms between them.
            assert!(started.elapsed() < Duration::from_secs(3), "{value}");
        }
    }
}

#[tokio::test]
async fn base_url_copied_with_v2_does_not_double_it() {
    let s = server().await;
    expect("GET", "/v2/clock")
        .respond_with(json_fixture("trading_get_clock.json"))
        .expect(2)
        .mount(&s)
        .await;
    for base in [format!("{}/v2", s.uri()), format!("{}/v2/", s.uri())] {
        builder(&s)
            .trading_base_url(base)
            .build()
            .unwrap()
            .clock()
            .await
            .unwrap();
    }
}
