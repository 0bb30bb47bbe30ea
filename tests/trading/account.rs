use crate::common::*;
use alpaca_exec::trading::account::AccountStatus;
use alpaca_exec::trading::account::{AccountConfigurations, DtbpCheck, IntradayReporting};
use alpaca_exec::{Error, PortfolioHistoryRequest};
use chrono::{TimeZone, Utc};
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::matchers::body_json;

#[tokio::test]
async fn get_account_decodes_strings_and_string_levels() {
    let s = server().await;
    expect("GET", "/v2/account")
        .and(query_is(&[]))
        .and(NoBody)
        .respond_with(json_fixture("trading_get_account.json"))
        .expect(1)
        .mount(&s)
        .await;
    let a = client(&s).account().await.unwrap();
    assert_eq!(a.status, AccountStatus::Active);
    assert_eq!(a.cash, dec!(-23140.2));
    assert_eq!(a.buying_power, dec!(262113.632));
    assert_eq!(a.equity, dec!(103820.56));
    assert_eq!(a.last_equity, Some(dec!(103529.24)));
    assert_eq!(
        a.options_approved_level,
        Some(1),
        "sent as the string \"1\""
    );
    assert_eq!(a.daytrade_count, Some(0));
    assert!(a.can_trade());
}

#[tokio::test]
async fn broker_style_account_body_also_decodes() {
    let s = server().await;
    expect("GET", "/v2/account")
        .respond_with(json_fixture("broker_get_trade_account.json"))
        .mount(&s)
        .await;
    let a = client(&s).account().await.unwrap();
    assert_eq!(a.account_number.as_deref(), Some("684486106"));
    assert_eq!(a.equity, dec!(0));
    assert_eq!(a.multiplier, Some(dec!(1)));
    assert_eq!(a.options_approved_level, None);
}

#[tokio::test]
async fn account_decode_error_names_the_field() {
    let s = server().await;
    let mut body: serde_json::Value =
        serde_json::from_str(&fixture("trading_get_account.json")).unwrap();
    body["buying_power"] = json!("lots");
    expect("GET", "/v2/account")
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(body))
        .mount(&s)
        .await;
    match client(&s).account().await.unwrap_err() {
        Error::Decode {
            path,
            message,
            excerpt,
            ..
        } => {
            assert_eq!(path, "buying_power");
            assert!(message.contains("lots"), "{message}");
            assert!(!excerpt.is_empty());
        }
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn account_configurations_get_and_patch() {
    let s = server().await;
    expect("GET", "/v2/account/configurations")
        .respond_with(json_fixture("trading_get_account_configurations.json"))
        .expect(1)
        .mount(&s)
        .await;
    expect("PATCH", "/v2/account/configurations")
        .and(body_json(
            json!({"no_shorting": true, "dtbp_check": "both"}),
        ))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({
            "dtbp_check": "both", "no_shorting": true, "suspend_trade": false,
            "fractional_trading": true, "max_margin_multiplier": "4", "pdt_check": "entry",
            "trade_confirm_email": "all", "max_options_trading_level": 2
        })))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let cfg = c.account_configurations().await.unwrap();
    assert_eq!(cfg.dtbp_check, Some(DtbpCheck::Entry));
    assert_eq!(cfg.max_options_trading_level, Some(1));
    assert_eq!(cfg.fractional_trading, Some(true));
    let changes = AccountConfigurations {
        no_shorting: Some(true),
        dtbp_check: Some(DtbpCheck::Both),
        ..Default::default()
    };
    let now = c.update_account_configurations(&changes).await.unwrap();
    assert_eq!(now.no_shorting, Some(true));
    assert_eq!(now.max_options_trading_level, Some(2));
}

#[tokio::test]
async fn portfolio_history_query_and_decode() {
    let s = server().await;
    expect("GET", "/v2/account/portfolio/history")
        .and(query_is(&[
            ("period", "1W"),
            ("timeframe", "15Min"),
            ("intraday_reporting", "extended_hours"),
            ("end", "2024-01-05T21:00:00Z"),
            ("cashflow_types", "DIV,FEE"),
        ]))
        .respond_with(json_fixture("trading_get_portfolio_history.json"))
        .expect(1)
        .mount(&s)
        .await;
    let req = PortfolioHistoryRequest {
        period: Some("1W".into()),
        timeframe: Some("15Min".into()),
        intraday_reporting: Some(IntradayReporting::ExtendedHours),
        end: Some(Utc.with_ymd_and_hms(2024, 1, 5, 21, 0, 0).unwrap()),
        cashflow_types: vec!["DIV".into(), "FEE".into()],
        ..Default::default()
    };
    let h = client(&s).portfolio_history(&req).await.unwrap();
    assert_eq!(h.timestamp.len(), 3);
    // The fixture sends milliseconds: 1580826600000 ms = 2020-02-04T14:30:00Z.
    assert_eq!(
        h.timestamp[0],
        Utc.with_ymd_and_hms(2020, 2, 4, 14, 30, 0).unwrap()
    );
    assert_eq!(h.equity[1], Some(dec!(27408.19)));
    assert_eq!(h.profit_loss[1], Some(dec!(-3.74)));
    assert_eq!(h.base_value, Some(dec!(27411.93)));
    assert_eq!(h.timeframe, "15Min");
}

#[tokio::test]
async fn portfolio_history_seconds_and_nulls() {
    let s = server().await;
    expect("GET", "/v2/account/portfolio/history")
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({
            "timestamp": [1704463200, 1704466800], "equity": ["100.5", null],
            "profit_loss": [0, null], "profit_loss_pct": [0, null], "base_value": "100",
            "base_value_asof": "2024-01-04", "timeframe": "1H"
        })))
        .mount(&s)
        .await;
    let h = client(&s)
        .portfolio_history(&PortfolioHistoryRequest::default())
        .await
        .unwrap();
    assert_eq!(
        h.timestamp[0],
        Utc.with_ymd_and_hms(2024, 1, 5, 14, 0, 0).unwrap()
    );
    assert_eq!(h.equity, vec![Some(dec!(100.5)), None]);
}

#[tokio::test]
async fn portfolio_history_extreme_timestamps_are_decode_errors_not_panics() {
    // Found by the fuzz suite: `i64::MIN.abs()` overflowed while telling seconds from millis.
    for t in [i64::MIN, i64::MAX, -100_000_000_000_000_000] {
        let s = server().await;
        expect("GET", "/v2/account/portfolio/history")
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({
                "timestamp": [t], "equity": ["1"], "timeframe": "1D"
            })))
            .mount(&s)
            .await;
        let e = client(&s)
            .portfolio_history(&PortfolioHistoryRequest::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::Decode { path, .. } if path == "timestamp"),
            "{t}: {e}"
        );
    }
}

#[tokio::test]
async fn portfolio_history_refuses_three_bounds_without_sending() {
    let s = server().await;
    let req = PortfolioHistoryRequest {
        period: Some("1M".into()),
        start: Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()),
        end: Some(Utc.with_ymd_and_hms(2024, 2, 1, 0, 0, 0).unwrap()),
        ..Default::default()
    };
    let e = client(&s).portfolio_history(&req).await.unwrap_err();
    assert!(matches!(e, Error::InvalidRequest(_)), "{e}");
}
