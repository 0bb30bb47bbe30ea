//! The in-memory tables shared by [`MemoryStore`](super::MemoryStore) and
//! [`JsonFileStore`](super::JsonFileStore) (which serialises them as one document).

use super::records::{
    DailySummary, EngineEvent, Execution, SignalRecord, TrackedPosition, TradeRecord,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

/// Version of the JSON document layout; bumped on incompatible changes.
pub(crate) const DATA_VERSION: i64 = 1;

/// Every table is required when reading (no `#[serde(default)]`): a document missing one is not
/// a whole store, and reading it as empty would lose what the missing table held.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct StoreData {
    pub version: i64,
    pub signals: BTreeMap<String, SignalRecord>,
    /// Signal ids in arrival order, so listings are oldest first.
    pub signal_order: Vec<String>,
    pub executions: BTreeMap<String, Execution>,
    pub positions: BTreeMap<String, TrackedPosition>,
    pub trades: BTreeMap<String, TradeRecord>,
    pub trade_order: Vec<String>,
    /// Keyed by `date|strategy`.
    pub daily: BTreeMap<String, DailySummary>,
    pub strategy_state: BTreeMap<String, serde_json::Value>,
    /// Only kept by the memory store (the JSON store leaves events to the journal).
    #[serde(skip)]
    pub events: Vec<EngineEvent>,
    /// Keys of the executions not yet terminal and of the active positions: the executor asks
    /// for these on every batch and poll, and they stay few while the tables grow with history.
    /// Derived from the tables, so not serialised; [`StoreData::reindex`] rebuilds them.
    #[serde(skip)]
    open_executions: BTreeSet<String>,
    #[serde(skip)]
    active_positions: BTreeSet<String>,
}

/// The records of `table` in key order: all of them, or those whose keys are in `only`.
fn listing<T: Clone>(table: &BTreeMap<String, T>, only: Option<&BTreeSet<String>>) -> Vec<T> {
    match only {
        Some(keys) => keys.iter().filter_map(|k| table.get(k).cloned()).collect(),
        None => table.values().cloned().collect(),
    }
}

/// Keeps `key` in `set` exactly when `member`, allocating only when it joins.
fn keep(set: &mut BTreeSet<String>, key: &str, member: bool) {
    if member {
        if !set.contains(key) {
            set.insert(key.to_owned());
        }
    } else {
        set.remove(key);
    }
}

impl StoreData {
    pub fn new() -> Self {
        Self {
            version: DATA_VERSION,
            ..Self::default()
        }
    }

    /// Rebuilds the derived indexes (after deserialising the tables).
    pub fn reindex(&mut self) {
        self.open_executions = self
            .executions
            .iter()
            .filter(|(_, e)| !e.state.is_terminal())
            .map(|(k, _)| k.clone())
            .collect();
        self.active_positions = self
            .positions
            .iter()
            .filter(|(_, p)| p.status.is_active())
            .map(|(k, _)| k.clone())
            .collect();
    }

    pub fn upsert_signal(&mut self, r: &SignalRecord) {
        let key = r.id.as_str();
        if let Some(slot) = self.signals.get_mut(key) {
            slot.clone_from(r);
        } else {
            self.signal_order.push(key.to_owned());
            self.signals.insert(key.to_owned(), r.clone());
        }
    }

    /// Oldest first by when received (then by id), as the database stores list them: a
    /// signal's record is written when its batch ends or its decision is recovered, not
    /// necessarily in the order the signals arrived.
    pub fn signals(&self) -> Vec<SignalRecord> {
        let mut v: Vec<SignalRecord> = self
            .signal_order
            .iter()
            .filter_map(|k| self.signals.get(k).cloned())
            .collect();
        v.sort_by(|a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)));
        v
    }

    pub fn upsert_execution(&mut self, e: &Execution) {
        if let Some(slot) = self.executions.get_mut(&e.client_order_id) {
            slot.clone_from(e);
        } else {
            self.executions.insert(e.client_order_id.clone(), e.clone());
        }
        keep(
            &mut self.open_executions,
            &e.client_order_id,
            !e.state.is_terminal(),
        );
    }

    pub fn executions(&self, open_only: bool) -> Vec<Execution> {
        listing(&self.executions, open_only.then_some(&self.open_executions))
    }

    pub fn upsert_position(&mut self, p: &TrackedPosition) {
        // `clone_from` reuses the stored record's allocations on the (common) update.
        match self.positions.get_mut(&p.id) {
            Some(slot) => slot.clone_from(p),
            None => {
                self.positions.insert(p.id.clone(), p.clone());
            }
        }
        keep(&mut self.active_positions, &p.id, p.status.is_active());
    }

    pub fn positions(&self, active_only: bool) -> Vec<TrackedPosition> {
        listing(
            &self.positions,
            active_only.then_some(&self.active_positions),
        )
    }

    /// Keeps a trade already there as first written (as the database stores do): its id
    /// names the fill, and a replay after a crash only differs in the time it was observed.
    pub fn upsert_trade(&mut self, t: &TradeRecord) -> bool {
        match self.trades.entry(t.id.clone()) {
            Entry::Occupied(_) => false,
            Entry::Vacant(e) => {
                e.insert(t.clone());
                self.trade_order.push(t.id.clone());
                true
            }
        }
    }

    /// Applies a batch; returns the ids of new trades.
    pub fn write_batch(&mut self, writes: &[super::StoreWrite<'_>]) -> Vec<String> {
        let mut new_trades = Vec::new();
        for w in writes {
            match *w {
                super::StoreWrite::Signal(r) => self.upsert_signal(r),
                super::StoreWrite::Execution(e) => self.upsert_execution(e),
                super::StoreWrite::Position(p) => self.upsert_position(p),
                super::StoreWrite::Trade(t) => {
                    if self.upsert_trade(t) {
                        new_trades.push(t.id.clone());
                    }
                }
            }
        }
        new_trades
    }

    /// Oldest first by time (then by id), as the database stores list them.
    pub fn trades(&self) -> Vec<TradeRecord> {
        let mut v: Vec<TradeRecord> = self
            .trade_order
            .iter()
            .filter_map(|k| self.trades.get(k).cloned())
            .collect();
        v.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
        v
    }

    pub fn upsert_daily(&mut self, s: &DailySummary) {
        self.daily
            .insert(format!("{}|{}", s.date, s.strategy), s.clone());
    }

    pub fn daily(&self, date: NaiveDate) -> Vec<DailySummary> {
        self.daily
            .values()
            .filter(|s| s.date == date)
            .cloned()
            .collect()
    }
}

/// Implements [`ExecutionStore`](super::ExecutionStore) for a type with inherent
/// `read(|&StoreData| ..)` and `write(|&mut StoreData| ..)` methods returning `StoreResult`, so
/// the memory and JSON stores share one implementation and differ only in what a write does.
macro_rules! impl_store_over_data {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::ExecutionStore for $ty {
            async fn upsert_signal(
                &self,
                r: &$crate::store::SignalRecord,
            ) -> $crate::store::StoreResult<()> {
                self.write(|d| d.upsert_signal(r))
            }
            async fn signal(
                &self,
                id: &$crate::strategy::SignalId,
            ) -> $crate::store::StoreResult<Option<$crate::store::SignalRecord>> {
                self.read(|d| d.signals.get(id.as_str()).cloned())
            }
            async fn signals(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::store::SignalRecord>> {
                self.read(|d| d.signals())
            }
            async fn upsert_execution(
                &self,
                e: &$crate::store::Execution,
            ) -> $crate::store::StoreResult<()> {
                self.write(|d| d.upsert_execution(e))
            }
            async fn execution(
                &self,
                id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::Execution>> {
                self.read(|d| d.executions.get(id).cloned())
            }
            async fn executions(
                &self,
                open_only: bool,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Execution>> {
                self.read(|d| d.executions(open_only))
            }
            async fn upsert_position(
                &self,
                p: &$crate::store::TrackedPosition,
            ) -> $crate::store::StoreResult<()> {
                self.write(|d| d.upsert_position(p))
            }
            async fn position(
                &self,
                id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::TrackedPosition>> {
                self.read(|d| d.positions.get(id).cloned())
            }
            async fn positions(
                &self,
                active_only: bool,
            ) -> $crate::store::StoreResult<Vec<$crate::store::TrackedPosition>> {
                self.read(|d| d.positions(active_only))
            }
            async fn upsert_trade(
                &self,
                t: &$crate::store::TradeRecord,
            ) -> $crate::store::StoreResult<bool> {
                self.write(|d| d.upsert_trade(t))
            }
            async fn write_batch(
                &self,
                writes: &[$crate::store::StoreWrite<'_>],
            ) -> $crate::store::StoreResult<Vec<String>> {
                self.write(|d| d.write_batch(writes))
            }
            async fn trades(&self) -> $crate::store::StoreResult<Vec<$crate::store::TradeRecord>> {
                self.read(|d| d.trades())
            }
            async fn upsert_daily_summary(
                &self,
                s: &$crate::store::DailySummary,
            ) -> $crate::store::StoreResult<()> {
                self.write(|d| d.upsert_daily(s))
            }
            async fn daily_summaries(
                &self,
                date: chrono::NaiveDate,
            ) -> $crate::store::StoreResult<Vec<$crate::store::DailySummary>> {
                self.read(|d| d.daily(date))
            }
            async fn put_strategy_state(
                &self,
                strategy: &str,
                state: &serde_json::Value,
            ) -> $crate::store::StoreResult<()> {
                self.write(|d| {
                    d.strategy_state.insert(strategy.to_owned(), state.clone());
                })
            }
            async fn strategy_state(
                &self,
                strategy: &str,
            ) -> $crate::store::StoreResult<Option<serde_json::Value>> {
                self.read(|d| d.strategy_state.get(strategy).cloned())
            }
            fn records_events(&self) -> bool {
                self.keeps_events()
            }
            async fn record_event(
                &self,
                e: &$crate::store::EngineEvent,
            ) -> $crate::store::StoreResult<()> {
                self.record_event_inner(e)
            }
        }
    };
}
pub(crate) use impl_store_over_data;
