//! [`LogAlerter`]: alerts as `tracing` events.

use super::{Alert, AlertError, Alerter};
use async_trait::async_trait;

/// Writes each alert as a `tracing` event (errors at `error`, the rest at `info`), under the
/// target `alpaca_exec::alert`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogAlerter;

#[async_trait]
impl Alerter for LogAlerter {
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        match alert {
            Alert::Entry {
                strategy,
                symbol,
                qty,
                price,
                ..
            } => {
                tracing::info!(target: "alpaca_exec::alert", %strategy, %symbol, %qty, %price, "entry")
            }
            Alert::Exit {
                strategy,
                symbol,
                qty,
                price,
                pnl,
                reason,
                ..
            } => {
                tracing::info!(target: "alpaca_exec::alert", %strategy, %symbol, %qty, %price, %pnl, %reason, "exit")
            }
            Alert::Error {
                strategy,
                symbol,
                message,
                ..
            } => {
                tracing::error!(target: "alpaca_exec::alert", ?strategy, ?symbol, %message, "error")
            }
            Alert::DailySummary(s) => tracing::info!(
                target: "alpaca_exec::alert",
                strategy = %s.strategy, date = %s.date, signals = s.signals, executed = s.executed,
                skipped = s.skipped, failed = s.failed, pnl = %s.realized_pnl, "daily summary"
            ),
            Alert::Notice { message, .. } => {
                tracing::info!(target: "alpaca_exec::alert", %message, "notice")
            }
        }
        Ok(())
    }
}
