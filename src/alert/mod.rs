//! Alerts: entries, exits with P&L, errors and daily summaries, to a log or a Discord channel.
//!
//! Alerting is best effort by design: [`deliver`] logs a failed alert and returns, so a down
//! webhook never stops trading.

mod discord;
mod log;

pub use discord::DiscordAlerter;
pub use log::LogAlerter;

use crate::store::DailySummary;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Something worth telling a human.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Alert {
    /// A position was opened (its entry order filled).
    Entry {
        /// The strategy.
        strategy: String,
        /// The traded symbol.
        symbol: String,
        /// Quantity.
        qty: Decimal,
        /// Average fill price.
        price: Decimal,
        /// When.
        time: DateTime<Utc>,
    },
    /// A position was closed.
    Exit {
        /// The strategy.
        strategy: String,
        /// The traded symbol.
        symbol: String,
        /// Quantity closed.
        qty: Decimal,
        /// Average exit price.
        price: Decimal,
        /// Realised P&L in dollars.
        pnl: Decimal,
        /// Why the position was closed.
        reason: String,
        /// When.
        time: DateTime<Utc>,
    },
    /// Something failed (one symbol's order, a reconciliation, ...).
    Error {
        /// The strategy, if one is concerned.
        strategy: Option<String>,
        /// The symbol, if one is concerned.
        symbol: Option<String>,
        /// What happened.
        message: String,
        /// When.
        time: DateTime<Utc>,
    },
    /// A strategy's day.
    DailySummary(DailySummary),
    /// A message for the operator (a daemon starting or stopping, a delivery test).
    Notice {
        /// What to say.
        message: String,
        /// When.
        time: DateTime<Utc>,
    },
}

impl Alert {
    /// The P&L an alert reports, if any (exits and summaries), which decides its colour.
    pub fn pnl(&self) -> Option<Decimal> {
        match self {
            Alert::Exit { pnl, .. } => Some(*pnl),
            Alert::DailySummary(s) => Some(s.realized_pnl),
            _ => None,
        }
    }
}

/// Why an alert was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The destination is misconfigured.
    #[error("alert configuration: {0}")]
    Config(String),
    /// The request failed or the destination refused it.
    #[error("alert delivery failed: {0}")]
    Delivery(String),
}

/// A destination for alerts.
#[async_trait]
pub trait Alerter: Send + Sync {
    /// Sends one alert.
    async fn send(&self, alert: &Alert) -> Result<(), AlertError>;
}

/// Sends an alert and logs a failure instead of returning it: alerts are never fatal.
pub async fn deliver(alerter: &dyn Alerter, alert: &Alert) {
    if let Err(e) = alerter.send(alert).await {
        tracing::warn!(error = %e, "alert not delivered");
    }
}
