//! The deployment path against a mock Alpaca reached through `APCA_API_BASE_URL` /
//! `APCA_API_DATA_URL`, as an operator rehearses it: accounts opened at the configured URLs,
//! `scan` on Alpaca's bars with the configured filters, and `backtest --download` through the
//! cache.

use crate::backtest_cmd;
use crate::backtest_data::Download;
use crate::common;
use crate::config::{Config, StrategyConfig};
use crate::daemon::runtime::{Opened, Runtime};
use crate::scan;
use chrono::{Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Keys and both URLs pointing at `server`.
fn env_for(server: &MockServer) -> impl Fn(&str) -> Option<String> + use<> {
    let uri = server.uri();
    move |k: &str| match k {
        "APCA_API_KEY_ID" => Some(common::KEY.into()),
        "APCA_API_SECRET_KEY" => Some(common::SECRET.into()),
        "APCA_API_BASE_URL" | "APCA_API_DATA_URL" => Some(uri.clone()),
        _ => None,
    }
}

/// `n` weekdays ending with the last one before today in New York, oldest first.
fn last_weekdays(n: usize) -> Vec<NaiveDate> {
    let mut d = Utc::now().with_timezone(&New_York).date_naive();
    let mut out = Vec::new();
    while out.len() < n {
        d = d - Days::new(1);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(d);
        }
    }
    out.reverse();
    out
}

fn daily_bar(date: NaiveDate, open: f64, high: f64, low: f64, close: f64) -> Value {
    let t = New_York
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc);
    json!({"t": t.to_rfc3339(), "o": open, "h": high, "l": low, "c": close, "v": 1000000, "n": 1000, "vw": close})
}

/// `scan --timeframe 1Day` with `env`: what it found and printed.
async fn scan_daily(cfg: &Config, env: &dyn Fn(&str) -> Option<String>) -> (scan::Found, String) {
    let mut out = Vec::new();
    let found = scan::run(cfg, Some("1Day"), false, env, &mut out)
        .await
        .unwrap();
    (found, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn accounts_open_at_the_configured_urls_and_say_so() {
    let server = common::server().await;
    let env = env_for(&server);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::load(None, &env).unwrap();
    cfg.paths.data_dir = dir.path().to_owned();
    let Opened::Live(rt) = Runtime::open(&cfg, &env).unwrap() else {
        panic!("keys were set")
    };
    let v = &rt.venues["equity"];
    assert_eq!(
        v.kind.as_str(),
        "paper",
        "a local mock is not the live host"
    );
    let shown = v
        .endpoints
        .as_ref()
        .unwrap()
        .describe(&cfg.accounts["equity"]);
    assert_eq!(
        shown,
        format!(
            "trading {0} (APCA_API_BASE_URL), data {0} (APCA_API_DATA_URL)",
            server.uri()
        )
    );
}

#[tokio::test]
async fn scan_reads_alpacas_bars_and_applies_the_configured_filters() {
    let server = common::server().await;
    let days = last_weekdays(4);
    // SPY: a 3-1-2 up with entry 1,050, stop 1,020, target 1,100 (reward/risk 1.67): passes.
    // QQQ: the same with a wide inside bar (stop 800, reward/risk 0.20): filtered out.
    let spy: Vec<Value> = [
        (1000.0, 900.0),
        (1100.0, 800.0),
        (1050.0, 1020.0),
        (1080.0, 1030.0),
    ]
    .iter()
    .zip(&days)
    .map(|((h, l), d)| daily_bar(*d, *l, *h, *l, *h))
    .collect();
    let qqq: Vec<Value> = [
        (1000.0, 900.0),
        (1100.0, 800.0),
        (1050.0, 800.0),
        (1080.0, 850.0),
    ]
    .iter()
    .zip(&days)
    .map(|((h, l), d)| daily_bar(*d, *l, *h, *l, *h))
    .collect();
    Mock::given(method("GET"))
        .and(path("/v2/stocks/bars"))
        .and(query_param("timeframe", "1Day"))
        .and(query_param("symbols", "SPY,QQQ"))
        .respond_with(move |req: &Request| {
            assert!(req.url.query_pairs().any(|(k, _)| k == "start"));
            ResponseTemplate::new(200)
                .set_body_json(json!({"bars": {"SPY": spy, "QQQ": qqq}, "next_page_token": null}))
        })
        .expect(1)
        .mount(&server)
        .await;
    let env = env_for(&server);
    let mut cfg = Config::load(None, &env).unwrap();
    cfg.strategies.retain(|n, _| n == "strat_options");
    if let Some(StrategyConfig::StratOptions(c)) = cfg.strategies.get_mut("strat_options") {
        c.symbols = vec!["SPY".into(), "QQQ".into()];
    }
    let (found, out) = scan_daily(&cfg, &env).await;
    assert_eq!(
        found,
        scan::Found {
            pairs: 2,
            setups: 2,
            pass: 1
        },
        "{out}"
    );
    let row = |sym: &str| {
        out.lines()
            .find(|l| l.starts_with(sym))
            .unwrap_or_else(|| panic!("no {sym} row in:\n{out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let last = days[3].to_string();
    assert_eq!(
        row("SPY"),
        format!("SPY 1Day {last} 3-1-2 bullish (calls) $1,050.00 $1,020.00 $1,100.00 1.67 pass")
    );
    assert_eq!(
        row("QQQ"),
        format!(
            "QQQ 1Day {last} 3-1-2 bullish (calls) $1,050.00 $800.00 $1,100.00 0.20 fails: reward/risk 0.20 below the minimum 1.00"
        )
    );
    assert!(
        out.contains(&format!(
            "minimum move 0.50%, minimum reward/risk 1.00 (bars from {} (APCA_API_DATA_URL))",
            server.uri()
        )),
        "{out}"
    );
    assert!(out.ends_with(
        "2 setup(s) on the last completed bar of 2 symbol/timeframe pair(s): 1 pass, 1 filtered out; nothing placed\n"
    ));
    // The configured filters, not hard-coded ones: a stricter minimum fails SPY too.
    if let Some(StrategyConfig::StratOptions(c)) = cfg.strategies.get_mut("strat_options") {
        c.min_reward_risk = rust_decimal::Decimal::TWO;
    }
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v2/stocks/bars"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"bars": {}, "next_page_token": null})),
        )
        .mount(&server)
        .await;
    let (found, out) = scan_daily(&cfg, &env).await;
    assert_eq!(found.setups, 0);
    assert!(
        out.contains("not enough completed bars for: SPY 1Day, QQQ 1Day"),
        "{out}"
    );
}

#[tokio::test]
async fn backtest_download_uses_alpacas_history_once_then_the_cache() {
    let server = common::server().await;
    // 120 weekdays: flat, a rally the trend strategy buys, a fall it sells.
    let days: Vec<NaiveDate> = {
        let mut d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let mut v = Vec::new();
        while v.len() < 120 {
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                v.push(d);
            }
            d = d + Days::new(1);
        }
        v
    };
    let closes: Vec<f64> = (0..120)
        .map(|i| match i {
            0..40 => 100.0,
            40..80 => 100.0 + (i - 40) as f64 * 1.5,
            _ => 160.0 - (i - 80) as f64 * 2.0,
        })
        .collect();
    let bars: Vec<Value> = days
        .iter()
        .zip(&closes)
        .map(|(d, c)| daily_bar(*d, *c, c + 1.0, c - 1.0, *c))
        .collect();
    Mock::given(method("GET"))
        .and(path("/v2/stocks/bars"))
        .and(query_param("symbols", "SPY"))
        .and(query_param("timeframe", "1Day"))
        .and(query_param("adjustment", "all"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"bars": {"SPY": bars}, "next_page_token": null})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let env = env_for(&server);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::load(None, &env).unwrap();
    cfg.paths.data_dir = dir.path().to_owned();
    cfg.strategies.retain(|n, _| n == "daily_trend");
    if let Some(StrategyConfig::TrendHysteresis(t)) = cfg.strategies.get_mut("daily_trend") {
        t.symbols = vec!["SPY".into()];
    }
    let download = Download {
        from: days[0],
        to: days[119],
        cache: dir.path().join("cache"),
        intraday_days: 10,
    };
    for run in 0..2 {
        let out = dir.path().join(format!("run{run}"));
        backtest_cmd::run(
            &cfg,
            backtest_cmd::Options {
                csv: vec![],
                out: Some(out.clone()),
                days: None,
                download: Some(download.clone()),
            },
            &env,
        )
        .await
        .unwrap();
        let html = std::fs::read_to_string(out.join("daily/report.html")).unwrap();
        assert!(
            html.contains(
                "Alpaca daily bars, split- and dividend-adjusted, 2024-01-02 to 2024-06-17"
            ),
            "run {run}: the report names its data"
        );
        assert!(!html.contains("class=\"banner\""), "not generated data");
        let trades = std::fs::read_to_string(out.join("daily/trades.csv")).unwrap();
        assert!(
            trades.lines().count() >= 2,
            "the rally was traded:\n{trades}"
        );
    }
    // The second run read the cache: the mock's `expect(1)` is checked when it drops.
    let cached: Vec<_> = std::fs::read_dir(dir.path().join("cache"))
        .unwrap()
        .collect();
    assert_eq!(cached.len(), 1);
    // Without keys, --download says which variables to set.
    let e = backtest_cmd::run(
        &cfg,
        backtest_cmd::Options {
            csv: vec![],
            out: Some(dir.path().join("nokeys")),
            days: None,
            download: Some(download),
        },
        &|_| None,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), 2);
    assert!(e.message().contains("APCA_API_KEY_ID"), "{}", e.message());
}

#[tokio::test]
async fn the_rehearsal_kit_in_examples_deploy_answers_test_and_scan() {
    // The files a static server hands out, mounted as such (any query string, no content type).
    let server = common::server().await;
    for (p, body) in [
        (
            "/v2/account",
            include_str!("../../deploy/rehearsal/v2/account"),
        ),
        ("/v2/clock", include_str!("../../deploy/rehearsal/v2/clock")),
        (
            "/v2/stocks/bars",
            include_str!("../../deploy/rehearsal/v2/stocks/bars"),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
    }
    let env = env_for(&server);
    let cfg = Config::load(None, &env).unwrap();
    let mut out = Vec::new();
    crate::check::run(&cfg, &env, &mut out).await.unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("equity: ok, account ACTIVE, equity $103,820.56"),
        "{out}"
    );
    let (found, out) = scan_daily(&cfg, &env).await;
    assert_eq!(
        found,
        scan::Found {
            pairs: 5,
            setups: 3,
            pass: 2
        },
        "{out}"
    );
    assert!(
        out.contains("fails: reward/risk 0.60 below the minimum 1.00"),
        "{out}"
    );
}
