//! Alerts: Discord embeds with P&L colours against a wiremock webhook, and failures that never
//! stop trading.

use crate::common;
use crate::fake::Fake;
use crate::support::aapl_long;
use alpaca_exec::alert::{Alert, AlertError, Alerter, DiscordAlerter};
use alpaca_exec::exec::{Executor, ExecutorConfig};
use alpaca_exec::store::{MemoryStore, Outcome};
use chrono::Utc;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;
use std::sync::Arc;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn exit(pnl: Decimal) -> Alert {
    Alert::Exit {
        strategy: "trend".into(),
        symbol: "AAPL".into(),
        qty: dec!(66),
        price: dec!(161),
        pnl,
        reason: "target hit".into(),
        time: Utc::now(),
    }
}

async fn webhook(colour: u32, title: &str) -> MockServer {
    let s = common::server().await;
    Mock::given(method("POST"))
        .and(path("/api/webhooks/1/token"))
        .and(body_partial_json(json!({
            "username": "alpaca-exec",
            "embeds": [{"color": colour, "title": title}]
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    s
}

#[tokio::test]
async fn profit_is_green_and_loss_is_red() {
    let s = webhook(0x2ECC71, "Exit: AAPL +$726.00").await;
    let d = DiscordAlerter::new(&format!("{}/api/webhooks/1/token", s.uri())).unwrap();
    d.send(&exit(dec!(726))).await.unwrap();

    let s = webhook(0xE74C3C, "Exit: AAPL -$132.00").await;
    let d = DiscordAlerter::new(&format!("{}/api/webhooks/1/token", s.uri())).unwrap();
    d.send(&exit(dec!(-132))).await.unwrap();
}

#[tokio::test]
async fn embed_carries_the_fields() {
    let d = DiscordAlerter::new("https://discord.example/api/webhooks/1/token").unwrap();
    let p = d.payload(&exit(dec!(0)));
    let e = &p["embeds"][0];
    assert_eq!(e["color"], json!(0x95A5A6), "flat is grey");
    assert_eq!(e["description"], json!("target hit"));
    let names: Vec<_> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].clone())
        .collect();
    assert_eq!(
        names,
        vec![
            json!("Strategy"),
            json!("Qty"),
            json!("Price"),
            json!("P&L")
        ]
    );
    assert!(
        !format!("{d:?}").contains("token"),
        "the webhook secret is not in Debug"
    );
    let notice = d.payload(&Alert::Notice {
        message: "daemon started".into(),
        time: chrono::Utc::now(),
    });
    assert_eq!(notice["embeds"][0]["title"], json!("Notice"));
    assert_eq!(notice["embeds"][0]["description"], json!("daemon started"));
}

#[tokio::test]
async fn a_refused_post_is_an_error_and_a_bad_url_a_config_error() {
    let s = common::server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("discord down"))
        .expect(1)
        .mount(&s)
        .await;
    let d = DiscordAlerter::new(&s.uri()).unwrap();
    let e = d.send(&exit(dec!(1))).await.unwrap_err();
    assert!(
        matches!(e, AlertError::Delivery(ref m) if m.contains("500") && m.contains("discord down")),
        "{e}"
    );
    assert!(matches!(
        DiscordAlerter::new("not a url"),
        Err(AlertError::Config(_))
    ));
    assert!(matches!(
        DiscordAlerter::new("ftp://x/y"),
        Err(AlertError::Config(_))
    ));
}

#[tokio::test]
async fn alert_failures_never_stop_trading() {
    let fake = Fake::start().await;
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    let hook = common::server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&hook)
        .await;
    let exec = Executor::new(
        fake.broker(),
        Arc::new(MemoryStore::new()),
        ExecutorConfig::new(),
    )
    .with_alerter(Arc::new(DiscordAlerter::new(&hook.uri()).unwrap()));
    let d = exec.execute(&[aapl_long()]).await;
    assert_eq!(d[0].outcome, Outcome::Executed);
    let posts = common::received(&hook, "POST", "/").await.len();
    assert_eq!(posts, 1, "the entry alert was attempted");
}
