use super::*;
use crate::data::corporate_actions::{CashDividend, ReverseSplit, StockMerger};
use chrono::TimeZone;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A scripted source that counts its calls.
#[derive(Default)]
struct Script {
    actions: Vec<serde_json::Value>,
    kinds: Vec<&'static str>,
    articles: usize,
    fail: bool,
    action_calls: AtomicUsize,
    news_calls: AtomicUsize,
}

#[async_trait]
impl EventSource for Script {
    async fn corporate_actions(
        &self,
        _symbol: &str,
        kinds: &[CorporateActionType],
        _from: NaiveDate,
        _to: NaiveDate,
    ) -> crate::Result<Vec<CorporateAction>> {
        self.action_calls.fetch_add(1, Ordering::SeqCst);
        assert_eq!(kinds, BLOCKING_KINDS);
        if self.fail {
            return Err(crate::Error::NotSent {
                method: "GET".into(),
                path: "/v1/corporate-actions".into(),
                message: "connection refused".into(),
            });
        }
        Ok(self
            .actions
            .iter()
            .zip(&self.kinds)
            .map(|(v, k)| match *k {
                "reverse_split" => CorporateAction::ReverseSplit(
                    serde_json::from_value::<ReverseSplit>(v.clone()).unwrap(),
                ),
                "stock_merger" => CorporateAction::StockMerger(
                    serde_json::from_value::<StockMerger>(v.clone()).unwrap(),
                ),
                _ => CorporateAction::CashDividend(
                    serde_json::from_value::<CashDividend>(v.clone()).unwrap(),
                ),
            })
            .collect())
    }

    async fn news(
        &self,
        symbol: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        at_most: usize,
    ) -> crate::Result<Vec<NewsArticle>> {
        self.news_calls.fetch_add(1, Ordering::SeqCst);
        assert_eq!(until - since, Duration::hours(24));
        Ok((0..self.articles.min(at_most))
            .map(|i| {
                serde_json::from_value(serde_json::json!({
                    "id": i, "headline": format!("headline {i}"),
                    "created_at": format!("2024-03-04T1{i}:00:00Z"),
                    "updated_at": "2024-03-04T15:00:00Z", "symbols": [symbol]
                }))
                .unwrap()
            })
            .collect())
    }
}

/// 10:30 in New York on Monday 2024-03-04.
fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 4, 15, 30, 0).unwrap()
}

fn reverse_split(ex_date: &str) -> serde_json::Value {
    serde_json::json!({"id": "rs-1", "symbol": "ABC", "new_rate": 1, "old_rate": 10,
                       "process_date": ex_date, "ex_date": ex_date})
}

fn filter(script: Script, config: EventFilterConfig) -> (EventFilter, Arc<Script>) {
    let script = Arc::new(script);
    (EventFilter::new(config, script.clone()).unwrap(), script)
}

#[tokio::test]
async fn a_split_inside_the_window_blocks_and_one_outside_does_not() {
    for (ex_date, blocked) in [
        ("2024-03-04", true),
        ("2024-03-07", true),
        ("2024-03-08", false),
        ("2024-03-01", false),
    ] {
        let (f, _) = filter(
            Script {
                actions: vec![reverse_split(ex_date)],
                kinds: vec!["reverse_split"],
                ..Script::default()
            },
            EventFilterConfig::default(),
        );
        let verdict = f.check("ABC", monday()).await;
        assert_eq!(verdict.is_err(), blocked, "{ex_date}: {verdict:?}");
        if let Err(EventBlock::CorporateAction {
            kind, days_ahead, ..
        }) = verdict
        {
            assert_eq!(kind, CorporateActionType::ReverseSplit);
            assert_eq!(
                days_ahead,
                (ex_date.parse::<NaiveDate>().unwrap() - new_york_date_checked(monday()).unwrap())
                    .num_days()
            );
        }
    }
}

#[tokio::test]
async fn only_special_dividends_block_and_by_their_ex_date() {
    let dividend = |special: bool| {
        serde_json::json!({"id": "d", "symbol": "ABC", "rate": 2.5, "special": special,
                           "ex_date": "2024-03-05", "process_date": "2024-03-20"})
    };
    for special in [false, true] {
        let (f, _) = filter(
            Script {
                actions: vec![dividend(special)],
                kinds: vec!["cash_dividend"],
                ..Script::default()
            },
            EventFilterConfig::default(),
        );
        assert_eq!(f.check("ABC", monday()).await.is_err(), special);
    }
}

#[tokio::test]
async fn a_merger_blocks_both_sides() {
    let merger = serde_json::json!({"id": "m", "acquirer_symbol": "BIG", "acquirer_rate": 0.5,
        "acquiree_symbol": "ABC", "acquiree_rate": 1, "process_date": "2024-03-06",
        "effective_date": "2024-03-06"});
    let (f, _) = filter(
        Script {
            actions: vec![merger],
            kinds: vec!["stock_merger"],
            ..Script::default()
        },
        EventFilterConfig::default(),
    );
    let Err(EventBlock::CorporateAction { symbols, .. }) = f.check("BIG", monday()).await else {
        panic!("the acquirer is blocked too")
    };
    assert_eq!(symbols, ["ABC", "BIG"]);
}

#[tokio::test]
async fn a_news_burst_blocks_above_the_threshold_only() {
    let config = EventFilterConfig {
        news_threshold: 3,
        ..EventFilterConfig::default()
    };
    let (f, _) = filter(
        Script {
            articles: 3,
            ..Script::default()
        },
        config.clone(),
    );
    assert_eq!(f.check("ABC", monday()).await, Ok(()));
    let (f, _) = filter(
        Script {
            articles: 9,
            ..Script::default()
        },
        config,
    );
    assert_eq!(
        f.check("ABC", monday()).await,
        Err(EventBlock::NewsBurst {
            articles: 4,
            hours: 24,
            threshold: 3,
            latest_headline: Some("headline 3".into())
        })
    );
}

#[tokio::test]
async fn one_lookup_per_symbol_per_new_york_day() {
    let (f, script) = filter(Script::default(), EventFilterConfig::default());
    f.check("ABC", monday()).await.unwrap();
    f.check("ABC", monday() + Duration::hours(5)).await.unwrap();
    assert_eq!(script.action_calls.load(Ordering::SeqCst), 1);
    assert_eq!(script.news_calls.load(Ordering::SeqCst), 1);
    f.check("XYZ", monday()).await.unwrap();
    assert_eq!(script.action_calls.load(Ordering::SeqCst), 2);
    // 01:00 UTC on Tuesday is still Monday evening in New York.
    let monday_evening = Utc.with_ymd_and_hms(2024, 3, 5, 1, 0, 0).unwrap();
    f.check("ABC", monday_evening).await.unwrap();
    assert_eq!(script.action_calls.load(Ordering::SeqCst), 2);
    f.check("ABC", monday() + Duration::days(1)).await.unwrap();
    assert_eq!(script.action_calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_blocking_action_spares_the_news_lookup() {
    let (f, script) = filter(
        Script {
            actions: vec![reverse_split("2024-03-05")],
            kinds: vec!["reverse_split"],
            ..Script::default()
        },
        EventFilterConfig::default(),
    );
    assert!(f.check("ABC", monday()).await.is_err());
    assert!(f.check("ABC", monday()).await.is_err(), "cached");
    assert_eq!(script.news_calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn failures_follow_the_policy_and_are_not_cached() {
    let (f, script) = filter(
        Script {
            fail: true,
            ..Script::default()
        },
        EventFilterConfig::default(),
    );
    assert_eq!(f.check("ABC", monday()).await, Ok(()));
    assert_eq!(f.check("ABC", monday()).await, Ok(()));
    assert_eq!(script.action_calls.load(Ordering::SeqCst), 2, "asked again");
    let (f, _) = filter(
        Script {
            fail: true,
            ..Script::default()
        },
        EventFilterConfig {
            on_error: OnLookupError::Block,
            ..EventFilterConfig::default()
        },
    );
    match f.check("ABC", monday()).await {
        Err(EventBlock::LookupFailed { error }) => {
            assert!(error.contains("connection refused"), "{error}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn triggers_that_are_off_look_nothing_up() {
    let (f, script) = filter(
        Script::default(),
        EventFilterConfig {
            corporate_actions: false,
            news: false,
            ..EventFilterConfig::default()
        },
    );
    assert_eq!(f.check("ABC", monday()).await, Ok(()));
    assert_eq!(script.action_calls.load(Ordering::SeqCst), 0);
    assert_eq!(script.news_calls.load(Ordering::SeqCst), 0);
}

#[test]
fn settings_are_checked_and_read_from_toml_shaped_data() {
    assert!(EventFilterConfig::default().validate().is_ok());
    for bad in [
        EventFilterConfig {
            news_window_hours: 0,
            ..EventFilterConfig::default()
        },
        EventFilterConfig {
            news_threshold: 5000,
            ..EventFilterConfig::default()
        },
        EventFilterConfig {
            corporate_action_days: 400,
            ..EventFilterConfig::default()
        },
    ] {
        assert!(bad.validate().is_err(), "{bad:?}");
    }
    let c: EventFilterConfig =
        serde_json::from_value(serde_json::json!({"news_threshold": 5, "on_error": "block"}))
            .unwrap();
    assert_eq!(c.news_threshold, 5);
    assert_eq!(c.on_error, OnLookupError::Block);
    assert_eq!(c.corporate_action_days, 3);
    assert!(c.corporate_actions && c.news);
    assert!(serde_json::from_value::<EventFilterConfig>(serde_json::json!({"typo": 1})).is_err());
}

#[test]
fn the_block_reads_well_and_round_trips() {
    let b = EventBlock::CorporateAction {
        kind: CorporateActionType::ReverseSplit,
        id: "rs-1".into(),
        date: "2024-03-05".parse().unwrap(),
        days_ahead: 1,
        symbols: vec!["ABC".into()],
    };
    assert_eq!(
        b.to_string(),
        "reverse split on 2024-03-05, tomorrow (id rs-1)"
    );
    let json = serde_json::to_value(&b).unwrap();
    assert_eq!(json["trigger"], "corporate_action");
    assert_eq!(json["kind"], "reverse_split");
    assert_eq!(serde_json::from_value::<EventBlock>(json).unwrap(), b);
}

#[tokio::test]
async fn a_clock_at_the_end_of_time_is_a_failed_lookup_not_a_panic() {
    let (f, _) = filter(
        Script::default(),
        EventFilterConfig {
            on_error: OnLookupError::Block,
            ..EventFilterConfig::default()
        },
    );
    let end_of_time = DateTime::<Utc>::MAX_UTC;
    assert!(matches!(
        f.check("ABC", end_of_time).await,
        Err(EventBlock::LookupFailed { .. })
    ));
    let start_of_time = DateTime::<Utc>::MIN_UTC;
    let (f, _) = filter(
        Script::default(),
        EventFilterConfig {
            corporate_actions: false,
            on_error: OnLookupError::Block,
            ..EventFilterConfig::default()
        },
    );
    assert!(matches!(
        f.check("ABC", start_of_time).await,
        Err(EventBlock::LookupFailed { .. })
    ));
}
