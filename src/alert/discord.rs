//! [`DiscordAlerter`]: alerts as rich embeds through a Discord webhook.

use super::{Alert, AlertError, Alerter};
use async_trait::async_trait;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::fmt;
use std::time::Duration;

/// Embed colours (Discord takes an RGB integer).
pub(crate) mod colour {
    /// A gain.
    pub const PROFIT: u32 = 0x2E_CC_71;
    /// A loss.
    pub const LOSS: u32 = 0xE7_4C_3C;
    /// Flat.
    pub const FLAT: u32 = 0x95_A5_A6;
    /// An entry.
    pub const ENTRY: u32 = 0x34_98_DB;
    /// An error.
    pub const ERROR: u32 = 0x99_2D_22;
}

/// Posts alerts to a Discord webhook as one embed each: green for a gain, red for a loss, grey
/// when flat, blue for entries, dark red for errors.
///
/// The webhook URL is a secret (anyone holding it can post), so `Debug` hides it.
#[derive(Clone)]
pub struct DiscordAlerter {
    url: url::Url,
    http: reqwest::Client,
    username: String,
}

impl fmt::Debug for DiscordAlerter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiscordAlerter")
            .field("host", &self.url.host_str())
            .field("username", &self.username)
            .finish()
    }
}

impl DiscordAlerter {
    /// An alerter for `webhook_url`, with a 10 s timeout per post.
    pub fn new(webhook_url: &str) -> Result<Self, AlertError> {
        let url = url::Url::parse(webhook_url)
            .map_err(|e| AlertError::Config(format!("webhook URL is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AlertError::Config(format!(
                "webhook URL must be http(s), got {}",
                url.scheme()
            )));
        }
        crate::client::tls::install_default_provider();
        // The webhook URL carries its token: a redirect must not carry the message elsewhere.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AlertError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            url,
            http,
            username: "alpaca-exec".into(),
        })
    }

    /// The name the webhook posts as (default `alpaca-exec`).
    pub fn username(mut self, name: impl Into<String>) -> Self {
        self.username = name.into();
        self
    }

    /// The webhook body for an alert.
    pub fn payload(&self, alert: &Alert) -> Value {
        json!({ "username": self.username, "embeds": [embed(alert)] })
    }
}

fn pnl_colour(pnl: Decimal) -> u32 {
    if pnl > Decimal::ZERO {
        colour::PROFIT
    } else if pnl < Decimal::ZERO {
        colour::LOSS
    } else {
        colour::FLAT
    }
}

fn field(name: &str, value: impl fmt::Display) -> Value {
    json!({ "name": name, "value": value.to_string(), "inline": true })
}

fn signed(d: Decimal) -> String {
    if d > Decimal::ZERO {
        format!("+${:.2}", d)
    } else if d < Decimal::ZERO {
        format!("-${:.2}", -d)
    } else {
        "$0.00".into()
    }
}

fn embed(alert: &Alert) -> Value {
    match alert {
        Alert::Entry {
            strategy,
            symbol,
            qty,
            price,
            time,
        } => json!({
            "title": format!("Entry: {symbol}"),
            "color": colour::ENTRY,
            "fields": [field("Strategy", strategy), field("Qty", qty), field("Price", price)],
            "timestamp": time.to_rfc3339(),
        }),
        Alert::Exit {
            strategy,
            symbol,
            qty,
            price,
            pnl,
            reason,
            time,
        } => json!({
            "title": format!("Exit: {symbol} {}", signed(*pnl)),
            "description": reason,
            "color": pnl_colour(*pnl),
            "fields": [field("Strategy", strategy), field("Qty", qty), field("Price", price),
                       field("P&L", signed(*pnl))],
            "timestamp": time.to_rfc3339(),
        }),
        Alert::Error {
            strategy,
            symbol,
            message,
            time,
        } => json!({
            "title": format!("Error{}", symbol.as_deref().map(|s| format!(": {s}")).unwrap_or_default()),
            "description": message,
            "color": colour::ERROR,
            "fields": [field("Strategy", strategy.as_deref().unwrap_or("-"))],
            "timestamp": time.to_rfc3339(),
        }),
        Alert::Notice { message, time } => json!({
            "title": "Notice",
            "description": message,
            "color": colour::FLAT,
            "timestamp": time.to_rfc3339(),
        }),
        Alert::DailySummary(s) => json!({
            "title": format!("Daily summary {}: {}", s.date, s.strategy),
            "color": pnl_colour(s.realized_pnl),
            "fields": [field("Signals", s.signals), field("Executed", s.executed),
                       field("Skipped", s.skipped), field("Failed", s.failed),
                       field("Fills", s.fills), field("P&L", signed(s.realized_pnl))],
        }),
    }
}

#[async_trait]
impl Alerter for DiscordAlerter {
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let resp = self
            .http
            .post(self.url.clone())
            .json(&self.payload(alert))
            .send()
            .await
            // Without the URL: reqwest errors can print it, and it is a secret.
            .map_err(|e| AlertError::Delivery(e.without_url().to_string()))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = resp.text().await.unwrap_or_default();
        let excerpt: String = body.chars().take(200).collect();
        Err(AlertError::Delivery(format!(
            "webhook answered {status}: {excerpt}"
        )))
    }
}
