//! `Client` and `Client::submit_order_and_resolve` against the fake under every transport
//! fault, alone and with lookups that lag acceptance: one order per submit, typed errors,
//! no panics, and never a request to another host.

use crate::fake::{Fake, Fault, Lag, Target, When};
use alpaca_exec::{Client, Error, OrderRequest, OrderSide, Qty};
use futures_util::future::join_all;
use rust_decimal_macros::dec;
use std::time::Duration;

/// Faults a submit can meet that the client settles by itself: the menu but the redirects,
/// which are answers (see the redirect test below).
fn submit_faults() -> Vec<Fault> {
    Fault::menu()
        .into_iter()
        .filter(|f| !matches!(f, Fault::Redirect { .. }))
        .collect()
}

fn order(cid: &str) -> OrderRequest {
    OrderRequest::market("AAPL", OrderSide::Buy, Qty::Shares(dec!(5)))
        .client_order_id(cid)
        .build()
        .unwrap()
}

/// One submit meeting `fault` (and the lag): returns what went wrong, if anything.
///
/// The outcome may stay unknown (a machine so loaded that a request times out besides the
/// fault): then, as documented, the same request is sent again later (same id), and must
/// settle with the one order.
async fn submit_once(fault: Fault, lag: Option<Lag>) -> Result<(), String> {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| st.lag = lag);
    let client = fake.quick_timeouts(Duration::from_millis(600));
    fake.faults(|p| {
        p.then(Target::Submit, fault);
    });
    let what = format!("{fault:?} with lag {lag:?}");
    let request = order("chaos-1");
    let o = match client.submit_order_and_resolve(&request).await {
        Ok(o) => o,
        Err(e) if e.is_outcome_unknown() => {
            fake.faults(|p| p.clear());
            fake.with(|st| st.reveal());
            client
                .submit_order_and_resolve(&request)
                .await
                .map_err(|e2| format!("{what}: {e}; then {e2}"))?
        }
        Err(e) => return Err(format!("{what}: {e}")),
    };
    let orders = fake.orders();
    let injected = fake.faults(|p| p.injected.len());
    let elsewhere = fake.elsewhere_requests().await.len();
    if o.client_order_id != "chaos-1" || orders.len() != 1 || injected != 1 || elsewhere != 0 {
        return Err(format!(
            "{what}: returned {}, {} orders at the broker, {injected} faults injected, \
             {elsewhere} requests elsewhere",
            o.client_order_id,
            orders.len()
        ));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_and_resolve_places_exactly_one_order_under_every_fault_and_lag() {
    let mut runs = Vec::new();
    for lag in [None, Some(Lag::Lookups(2))] {
        for f in submit_faults() {
            runs.push(submit_once(f, lag));
        }
    }
    let n = runs.len();
    let failures: Vec<String> = join_all(runs)
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {n} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// What a read returned: the equity, or the kind of error.
fn kind(r: &Result<rust_decimal::Decimal, Error>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(Error::Decode { .. }) => "decode",
        Err(Error::OutcomeUnknown { .. }) => "unknown",
        Err(Error::Api(_)) => "api",
        Err(Error::Redirected { .. }) => "redirected",
        Err(_) => "other",
    }
}

#[tokio::test]
async fn reads_under_random_faults_succeed_or_fail_typed_and_never_hang() {
    let fake = Fake::start().await;
    let client: Client = fake.quick_timeouts(Duration::from_millis(300));
    fake.faults(|p| {
        p.random(99, 0.3, Target::Get, Fault::menu());
    });
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for _ in 0..120 {
        let r = client.account().await.map(|a| a.equity);
        if let Ok(equity) = &r {
            assert_eq!(
                *equity,
                dec!(100000),
                "a read returns what the broker holds"
            );
        }
        *seen.entry(kind(&r)).or_default() += 1;
    }
    let injected = fake.faults(|p| p.injected.len());
    println!("reads under faults: {seen:?}, {injected} faults injected");
    assert!(injected > 20, "{injected}");
    assert!(seen["ok"] > 60, "transport faults are retried: {seen:?}");
    // Cut and foreign bodies are decode errors, redirects are errors naming where they point
    // (neither retried nor followed); nothing else goes wrong, and nothing goes elsewhere.
    assert_eq!(seen.get("other"), None, "{seen:?}");
    assert_eq!(seen.get("api"), None, "{seen:?}");
    assert!(fake.elsewhere_requests().await.is_empty());
}

#[tokio::test]
async fn extreme_rate_limit_headers_neither_panic_nor_stall_a_submit_or_a_read() {
    for (retry_after, reset) in [
        ("1e300", "99999999999999999999"),
        ("99999999999999999999", "1e300"),
        ("-1", "-99999999999"),
        ("NaN", "inf"),
    ] {
        let fake = Fake::start().await;
        fake.quote("AAPL", dec!(149.95), dec!(150.05));
        let client = fake.client();
        let fault = Fault::RateLimited { retry_after, reset };
        fake.faults(|p| {
            p.then(Target::Submit, fault).then(Target::Get, fault);
        });
        let o = client
            .submit_order_and_resolve(&order("rl-1"))
            .await
            .unwrap();
        assert_eq!(o.client_order_id, "rl-1");
        client.account().await.unwrap();
        assert_eq!(fake.orders().len(), 1);
        assert_eq!(fake.faults(|p| p.injected.len()), 2);
    }
}

#[tokio::test]
async fn a_redirected_submit_is_an_answer_never_followed_and_the_same_request_settles_later() {
    for (status, elsewhere, when) in [
        (302, true, When::Before),
        (302, true, When::After),
        (307, true, When::Before),
        (307, true, When::After),
        (308, false, When::After),
    ] {
        let fake = Fake::start().await;
        fake.quote("AAPL", dec!(149.95), dec!(150.05));
        let fault = Fault::Redirect {
            status,
            elsewhere,
            when,
        };
        fake.faults(|p| {
            p.then(Target::Submit, fault);
        });
        let client = fake.client();
        let request = order("redirected-1");
        let e = client.submit_order_and_resolve(&request).await.unwrap_err();
        assert!(
            matches!(e, Error::Redirected { status: s, .. } if s == status),
            "{fault:?}: {e}"
        );
        assert_eq!(
            e.client_order_id(),
            None,
            "an answer, not an unknown outcome"
        );
        assert!(
            fake.elsewhere_requests().await.is_empty(),
            "{fault:?}: a request reached the other host"
        );
        let placed = usize::from(when == When::After);
        assert_eq!(fake.orders().len(), placed, "{fault:?}: sent once");
        // Once the base URL is right, the same request (same id) settles to the one order.
        let o = client.submit_order_and_resolve(&request).await.unwrap();
        assert_eq!(o.client_order_id, "redirected-1");
        assert_eq!(fake.orders().len(), 1, "{fault:?}");
    }
}
