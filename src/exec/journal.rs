//! The trade journal: a CSV trade log and a JSON Lines event log, one file per New York trading
//! date each, written through the store's hooks.
//!
//! [`JournaledStore`] wraps any [`ExecutionStore`]: it forwards every call and, when the inner
//! store accepts a new trade or an event, appends it to `trades-YYYY-MM-DD.csv` or
//! `events-YYYY-MM-DD.jsonl` in the journal directory. Leave a store unwrapped to turn the
//! journal off, or write your own wrapper to send it elsewhere. A journal write that fails is
//! logged and does not fail the store call: the store is the record, the journal a view of it.

use crate::options::select::new_york_date;
use crate::store::{
    DailySummary, EngineEvent, Execution, ExecutionStore, SignalRecord, StoreResult, StoreWrite,
    TrackedPosition, TradeRecord,
};
use crate::strategy::SignalId;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// CSV header of the trade log.
pub const TRADE_CSV_HEADER: &str = "timestamp,strategy,symbol,action,qty,price,order_id";

/// Where and what to journal.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    trades: bool,
    events: bool,
    /// Serialises appends so lines from concurrent calls never interleave.
    lock: Mutex<()>,
}

impl Journal {
    /// Journals trades and events into `dir` (created if missing on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            trades: true,
            events: true,
            lock: Mutex::new(()),
        }
    }

    /// Turns the CSV trade log on or off.
    pub fn trades(mut self, on: bool) -> Self {
        self.trades = on;
        self
    }

    /// Turns the JSON Lines event log on or off.
    pub fn events(mut self, on: bool) -> Self {
        self.events = on;
        self
    }

    /// The trade log file for a date.
    pub fn trade_file(&self, date: NaiveDate) -> PathBuf {
        self.dir.join(format!("trades-{date}.csv"))
    }

    /// The event log file for a date.
    pub fn event_file(&self, date: NaiveDate) -> PathBuf {
        self.dir.join(format!("events-{date}.jsonl"))
    }

    fn append(&self, path: &Path, header: Option<&str>, line: &str) -> std::io::Result<()> {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        fs::create_dir_all(&self.dir)?;
        let mut f = OpenOptions::new().create(true).append(true).open(path)?;
        if let Some(h) = header
            && f.metadata()?.len() == 0
        {
            writeln!(f, "{h}")?;
        }
        writeln!(f, "{line}")
    }

    /// Appends a trade to its day's CSV.
    pub fn write_trade(&self, t: &TradeRecord) -> std::io::Result<()> {
        let row = [
            t.time.to_rfc3339(),
            t.strategy.clone(),
            t.symbol.clone(),
            t.action.clone(),
            t.qty.to_string(),
            t.price.to_string(),
            t.order_id.clone(),
        ]
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
        self.append(&self.trade_file(day(t.time)), Some(TRADE_CSV_HEADER), &row)
    }

    /// Appends an event to its day's JSON Lines file.
    pub fn write_event(&self, e: &EngineEvent) -> std::io::Result<()> {
        let line = serde_json::to_string(e).map_err(std::io::Error::other)?;
        self.append(&self.event_file(day(e.time)), None, &line)
    }
}

fn day(t: DateTime<Utc>) -> NaiveDate {
    new_york_date(t)
}

/// Quotes a CSV field when it holds a comma, quote or line break (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A store that also writes the journal. See the module docs.
#[derive(Debug)]
pub struct JournaledStore<S> {
    inner: S,
    journal: Journal,
}

impl<S: ExecutionStore> JournaledStore<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, journal: Journal) -> Self {
        Self { inner, journal }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }
}

#[async_trait]
impl<S: ExecutionStore> ExecutionStore for JournaledStore<S> {
    async fn upsert_signal(&self, r: &SignalRecord) -> StoreResult<()> {
        self.inner.upsert_signal(r).await
    }
    async fn signal(&self, id: &SignalId) -> StoreResult<Option<SignalRecord>> {
        self.inner.signal(id).await
    }
    async fn signals(&self) -> StoreResult<Vec<SignalRecord>> {
        self.inner.signals().await
    }
    async fn upsert_execution(&self, e: &Execution) -> StoreResult<()> {
        self.inner.upsert_execution(e).await
    }
    async fn execution(&self, id: &str) -> StoreResult<Option<Execution>> {
        self.inner.execution(id).await
    }
    async fn executions(&self, open_only: bool) -> StoreResult<Vec<Execution>> {
        self.inner.executions(open_only).await
    }
    async fn upsert_position(&self, p: &TrackedPosition) -> StoreResult<()> {
        self.inner.upsert_position(p).await
    }
    async fn position(&self, id: &str) -> StoreResult<Option<TrackedPosition>> {
        self.inner.position(id).await
    }
    async fn positions(&self, active_only: bool) -> StoreResult<Vec<TrackedPosition>> {
        self.inner.positions(active_only).await
    }
    async fn upsert_trade(&self, t: &TradeRecord) -> StoreResult<bool> {
        let new = self.inner.upsert_trade(t).await?;
        // Only a trade the store had not seen goes to the CSV, so replays never duplicate rows.
        if new
            && self.journal.trades
            && let Err(e) = self.journal.write_trade(t)
        {
            tracing::warn!(error = %e, "trade journal write failed");
        }
        Ok(new)
    }
    async fn write_batch(&self, writes: &[StoreWrite<'_>]) -> StoreResult<Vec<String>> {
        let new = self.inner.write_batch(writes).await?;
        if self.journal.trades {
            for w in writes {
                if let StoreWrite::Trade(t) = w
                    && new.contains(&t.id)
                    && let Err(e) = self.journal.write_trade(t)
                {
                    tracing::warn!(error = %e, "trade journal write failed");
                }
            }
        }
        Ok(new)
    }
    async fn trades(&self) -> StoreResult<Vec<TradeRecord>> {
        self.inner.trades().await
    }
    async fn upsert_daily_summary(&self, s: &DailySummary) -> StoreResult<()> {
        self.inner.upsert_daily_summary(s).await
    }
    async fn daily_summaries(&self, date: NaiveDate) -> StoreResult<Vec<DailySummary>> {
        self.inner.daily_summaries(date).await
    }
    async fn put_strategy_state(
        &self,
        strategy: &str,
        state: &serde_json::Value,
    ) -> StoreResult<()> {
        self.inner.put_strategy_state(strategy, state).await
    }
    async fn strategy_state(&self, strategy: &str) -> StoreResult<Option<serde_json::Value>> {
        self.inner.strategy_state(strategy).await
    }
    fn records_events(&self) -> bool {
        self.journal.events || self.inner.records_events()
    }
    fn may_send_orders(&self) -> StoreResult<()> {
        self.inner.may_send_orders()
    }
    async fn record_event(&self, e: &EngineEvent) -> StoreResult<()> {
        self.inner.record_event(e).await?;
        if self.journal.events
            && let Err(err) = self.journal.write_event(e)
        {
            tracing::warn!(error = %err, "event journal write failed");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("AAPL"), "AAPL");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
