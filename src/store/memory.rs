//! [`MemoryStore`]: everything in process memory.

use super::StoreResult;
use super::data::{StoreData, impl_store_over_data};
use super::records::EngineEvent;
use std::sync::{Mutex, MutexGuard};

/// An [`ExecutionStore`](super::ExecutionStore) in memory: nothing survives the process. For
/// tests, backtests and benches. [`MemoryStore::with_events`] also keeps every journal event
/// (see [`MemoryStore::events`]), so a test can assert what the executor logged; memory grows
/// with them.
#[derive(Debug, Default)]
pub struct MemoryStore {
    data: Mutex<StoreData>,
    keep_events: bool,
}

impl MemoryStore {
    /// An empty store that drops journal events.
    pub fn new() -> Self {
        Self {
            data: Mutex::new(StoreData::new()),
            keep_events: false,
        }
    }

    /// An empty store that keeps journal events.
    pub fn with_events() -> Self {
        Self {
            keep_events: true,
            ..Self::new()
        }
    }

    fn keeps_events(&self) -> bool {
        self.keep_events
    }

    /// Events recorded so far, oldest first.
    pub fn events(&self) -> Vec<EngineEvent> {
        self.lock().events.clone()
    }

    fn lock(&self) -> MutexGuard<'_, StoreData> {
        // A panic while holding the lock cannot leave a half-applied record (each write is one
        // map insert), so a poisoned lock is safe to keep using.
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read<R>(&self, f: impl FnOnce(&StoreData) -> R) -> StoreResult<R> {
        Ok(f(&self.lock()))
    }

    fn write<R>(&self, f: impl FnOnce(&mut StoreData) -> R) -> StoreResult<R> {
        Ok(f(&mut self.lock()))
    }

    fn record_event_inner(&self, e: &EngineEvent) -> StoreResult<()> {
        self.lock().events.push(e.clone());
        Ok(())
    }
}

impl_store_over_data!(MemoryStore);
