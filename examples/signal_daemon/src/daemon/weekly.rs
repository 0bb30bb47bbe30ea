//! The learning loop's jobs in the scheduler: the performance part of the daily summary, and
//! the weekly parameter proposals (see [`crate::proposals`]), which are written and alerted,
//! never applied.

use super::Daemon;
use super::bars::BarSource;
use crate::performance;
use crate::proposals;
use chrono::NaiveDate;

impl Daemon {
    /// After the close: each strategy's week so far and all-time figures, as one alert beside
    /// the executor's daily summaries.
    pub(super) async fn performance_alert(&self, date: NaiveDate) {
        let mut ledgers = Vec::new();
        for v in self.rt.venues.values() {
            match performance::ledger_of(v.store.as_ref()).await {
                Ok(l) => ledgers.push((v.name.clone(), l)),
                Err(e) => tracing::error!(account = %v.name, error = %e, "ledger not read"),
            }
        }
        if let Some(text) = performance::daily_text(date, &ledgers) {
            self.notice(text).await;
        }
    }

    /// After the week's last close: a proposal per enabled strategy, on history from the
    /// strategy's account (generated sample history on the simulated broker), written to
    /// `<data_dir>/proposals/`, recorded in the status and alerted.
    pub(super) async fn weekly_proposals(&mut self) {
        let now = self.clock.now();
        tracing::info!("weekly parameter proposals");
        let dir = self.rt.data_dir.join("proposals");
        let simulated = self.rt.venues.values().any(|v| v.sim.is_some());
        let sample = simulated.then(|| proposals::sample_history(&self.cfg, Some(now)).0);
        let mut results = Vec::new();
        for (name, s) in super::enabled(&self.cfg) {
            let Some(v) = self.rt.venues.get(s.account()) else {
                continue;
            };
            let (source, label): (&dyn BarSource, &str) = match (&sample, &v.sim) {
                (Some(sample), Some(_)) => (sample, "sample data"),
                _ => (v.bars.as_ref(), "alpaca"),
            };
            let one = std::slice::from_ref(name);
            results.extend(proposals::run(&self.cfg, one, source, label, now, &dir).await);
        }
        self.status.proposals_at = Some(now);
        self.status.proposals = results
            .iter()
            .map(|(name, r)| {
                let line = match r {
                    Ok((path, p)) => format!("{} ({})", p.summary, path.display()),
                    Err(e) => format!("no proposal: {e}"),
                };
                (name.clone(), line)
            })
            .collect();
        self.notice(proposals::alert_text(&results)).await;
    }
}
