//! The event filter in the executor, over a real `Client` against wiremock: a corporate action
//! ahead, a news burst, the data API down (allow or block), the daily cache, and exits.

use crate::common::{expect, query_is, received};
use crate::fake::Fake;
use crate::support::{Rig, aapl_an_hour_later, aapl_long, rig};
use alpaca_exec::exec::{Executor, ExecutorConfig};
use alpaca_exec::risk::{EventBlock, EventFilter, EventFilterConfig, OnLookupError};
use alpaca_exec::store::{ExecutionStore, Outcome, SkipReason};
use alpaca_exec::strategy::{Intent, Signal};
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use std::sync::Arc;
use wiremock::ResponseTemplate;

const CA: &str = "/v1/corporate-actions";
const NEWS: &str = "/v1beta1/news";
const KINDS: &str = "forward_split,reverse_split,unit_split,cash_merger,stock_merger,\
                     stock_and_cash_merger,spin_off,cash_dividend";

/// The corporate-action query for `symbol` on the fake's Monday 2024-03-04 with the default
/// 3-day window (and the month of process-date lag).
fn ca_query(symbol: &str) -> crate::common::QueryIs {
    query_is(&[
        ("symbols", symbol),
        ("types", KINDS),
        ("start", "2024-03-04"),
        ("end", "2024-04-07"),
    ])
}

/// The news query for `symbol`: the 24 hours before the fake's clock, newest first, one past the
/// default threshold of 10.
fn news_query(symbol: &str) -> crate::common::QueryIs {
    query_is(&[
        ("symbols", symbol),
        ("start", "2024-03-03T15:30:00Z"),
        ("end", "2024-03-04T15:30:00Z"),
        ("sort", "desc"),
        ("limit", "11"),
    ])
}

fn actions(groups: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"corporate_actions": groups, "next_page_token": null}))
}

fn articles(symbol: &str, n: usize) -> ResponseTemplate {
    let news: Vec<Value> = (0..n)
        .map(|i| {
            json!({"id": 1000 + i, "headline": format!("{symbol} story {i}"), "author": "Newsdesk",
                   "created_at": format!("2024-03-04T14:{:02}:00Z", 59 - i),
                   "updated_at": "2024-03-04T15:00:00Z", "summary": "", "content": "",
                   "images": [], "symbols": [symbol], "source": "benzinga", "url": null})
        })
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({"news": news, "next_page_token": null}))
}

fn with_filter(fake: &Fake, config: EventFilterConfig) -> Rig {
    let r = rig(fake);
    let filter = EventFilter::new(config, Arc::new(fake.client())).unwrap();
    let exec = Executor::new(
        fake.broker(),
        r.store.clone() as Arc<dyn ExecutionStore>,
        ExecutorConfig::new(),
    )
    .with_alerter(r.alerts.clone())
    .with_event_filter(Arc::new(filter));
    Rig {
        exec: Arc::new(exec),
        ..r
    }
}

fn msft_long() -> Signal {
    Signal::new(
        "trend",
        "MSFT",
        Intent::EnterLong,
        dec!(400),
        aapl_long().bar_time,
    )
    .stop(dec!(390))
    .target(dec!(420))
}

#[tokio::test]
async fn a_reverse_split_ahead_skips_the_entry_and_is_looked_up_once_a_day() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    expect("GET", CA)
        .and(ca_query("AAPL"))
        .respond_with(actions(json!({"reverse_splits": [{
            "id": "913de862", "symbol": "AAPL", "new_rate": 1, "old_rate": 4,
            "old_cusip": "037833100", "new_cusip": "037833200",
            "process_date": "2024-03-05", "ex_date": "2024-03-05", "record_date": "2024-03-05"
        }]})))
        .expect(1)
        .mount(&fake.server)
        .await;
    // No news mock: the split decides, so news is never asked (the catch-all would fail).
    let r = with_filter(&fake, EventFilterConfig::default());
    let d = r.exec.execute(&[aapl_long(), aapl_an_hour_later()]).await;
    for d in &d {
        assert_eq!(d.outcome, Outcome::Skipped, "{d:?}");
        let Some(SkipReason::EventAhead {
            event:
                EventBlock::CorporateAction {
                    kind,
                    id,
                    days_ahead,
                    ..
                },
        }) = &d.skip
        else {
            panic!("{d:?}")
        };
        assert_eq!(kind.as_str(), "reverse_split");
        assert_eq!((id.as_str(), *days_ahead), ("913de862", 1));
        assert!(
            d.detail.contains("reverse split on 2024-03-05"),
            "{}",
            d.detail
        );
    }
    assert!(fake.orders().is_empty(), "no order for a skipped entry");
    let stored = r.store.signal(&aapl_long().id()).await.unwrap().unwrap();
    assert_eq!(
        stored.decision.unwrap().skip,
        d[0].skip,
        "the skip is recorded"
    );
}

#[tokio::test]
async fn a_news_burst_skips_its_symbol_only() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.quote("MSFT", dec!(399.95), dec!(400.05));
    for sym in ["AAPL", "MSFT"] {
        expect("GET", CA)
            .and(ca_query(sym))
            .respond_with(actions(json!({})))
            .expect(1)
            .mount(&fake.server)
            .await;
    }
    expect("GET", NEWS)
        .and(news_query("AAPL"))
        .respond_with(articles("AAPL", 11))
        .expect(1)
        .mount(&fake.server)
        .await;
    expect("GET", NEWS)
        .and(news_query("MSFT"))
        .respond_with(articles("MSFT", 10))
        .expect(1)
        .mount(&fake.server)
        .await;
    let r = with_filter(&fake, EventFilterConfig::default());
    let d = r.exec.execute(&[aapl_long(), msft_long()]).await;
    match &d[0].skip {
        Some(SkipReason::EventAhead {
            event:
                EventBlock::NewsBurst {
                    articles,
                    hours,
                    threshold,
                    latest_headline,
                },
        }) => {
            assert_eq!((*articles, *hours, *threshold), (11, 24, 10));
            assert_eq!(latest_headline.as_deref(), Some("AAPL story 0"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        d[1].outcome,
        Outcome::Executed,
        "10 articles is not more than 10: {:?}",
        d[1]
    );
    let orders = fake.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["symbol"], "MSFT");
}

#[tokio::test]
async fn with_the_data_api_down_the_policy_decides_and_nothing_is_cached() {
    for (policy, outcome) in [
        (OnLookupError::Allow, Outcome::Executed),
        (OnLookupError::Block, Outcome::Skipped),
    ] {
        let fake = Fake::start().await;
        fake.quote("AAPL", dec!(149.95), dec!(150.05));
        expect("GET", CA)
            .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
            .mount(&fake.server)
            .await;
        let config = EventFilterConfig {
            on_error: policy,
            ..EventFilterConfig::default()
        };
        let r = with_filter(&fake, config);
        let d = r.exec.execute(&[aapl_long()]).await;
        assert_eq!(d[0].outcome, outcome, "{policy:?}: {:?}", d[0]);
        let first = received(&fake.server, "GET", CA).await.len();
        assert_eq!(first, 4, "one lookup: the request and its three retries");
        if policy == OnLookupError::Block {
            match &d[0].skip {
                Some(SkipReason::EventAhead {
                    event: EventBlock::LookupFailed { error },
                }) => assert!(error.contains("503"), "{error}"),
                other => panic!("{other:?}"),
            }
            // A failure is not remembered: the next signal asks again.
            r.exec.execute(&[aapl_an_hour_later()]).await;
            assert_eq!(received(&fake.server, "GET", CA).await.len(), 2 * first);
        }
    }
}

#[tokio::test]
async fn exits_are_never_held_back() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let plain = rig(&fake);
    plain.exec.execute(&[aapl_long()]).await;
    // The same store, now with a filter that would block everything it is asked about.
    let blocking = Executor::new(
        fake.broker(),
        plain.store.clone() as Arc<dyn ExecutionStore>,
        ExecutorConfig::new(),
    )
    .with_event_filter(Arc::new(
        EventFilter::new(
            EventFilterConfig {
                on_error: OnLookupError::Block,
                ..EventFilterConfig::default()
            },
            Arc::new(fake.client()),
        )
        .unwrap(),
    ));
    let exit = Signal::new(
        "trend",
        "AAPL",
        Intent::Exit,
        dec!(150),
        aapl_long().bar_time,
    );
    let d = blocking.execute(&[exit]).await;
    assert_eq!(d[0].outcome, Outcome::Executed, "{:?}", d[0]);
    assert!(received(&fake.server, "GET", CA).await.is_empty());
}
