//! Trade updates into the engine: fills are applied the moment the stream reports them, and
//! polling stays on as the fallback for whenever the stream is down or has stopped.
//!
//! Applying an update goes through the same idempotent path as a poll answer (cumulative
//! figures, the state table), so an update that a poll already applied, or a poll that follows
//! an update, changes nothing twice.

use super::monitor::PositionMonitor;
use super::{ExecError, Executor};
use crate::broker::BrokerOrder;
use crate::stream::{StreamError, StreamEvent, TradeMessage, TradeUpdate};
use futures_core::Stream;
use futures_util::StreamExt;
use std::future::Future;
use std::time::Duration;

impl Executor {
    /// Applies a trade update (streamed or recovered) to the execution with the order's client
    /// order id: state, fills, position and journal, exactly as a poll would. Returns false when
    /// the order is not one this executor tracks, or its execution is already finished.
    pub async fn apply_trade_update(&self, update: &TradeUpdate) -> Result<bool, ExecError> {
        let order = BrokerOrder::from(update.order.clone());
        let why = if update.recovered {
            "recovered"
        } else {
            "streamed"
        };
        self.apply_update(&order, why).await
    }
}

impl PositionMonitor {
    /// [`PositionMonitor::run`], consuming trade updates as they arrive (e.g. from
    /// [`Client::trade_updates`](crate::Client::trade_updates)). Checks (which poll working
    /// orders) still run every `interval`: they cover the time the stream is reconnecting, and
    /// if the stream stops for good (a final error) the monitor goes on polling alone.
    pub async fn run_with_updates<S>(
        &self,
        interval: Duration,
        updates: S,
        shutdown: impl Future<Output = ()>,
    ) where
        S: Stream<Item = Result<StreamEvent<TradeMessage>, StreamError>> + Unpin,
    {
        let mut tick = super::monitor::ticker(interval);
        tokio::pin!(shutdown);
        let mut updates = Some(updates);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tick.tick() => self.logged_check().await,
                item = next_update(&mut updates) => match item {
                    Some(Ok(StreamEvent::Message(TradeMessage::Update(u)))) => {
                        if let Err(e) = self.executor().apply_trade_update(&u).await {
                            tracing::error!(error = %e, order_id = u.order.id, "trade update not applied; polling will retry");
                        }
                    }
                    Some(Ok(StreamEvent::Disconnected { error, .. })) => {
                        tracing::warn!(%error, "trade updates down; polling covers until they are back");
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => {
                        tracing::error!(%error, "trade updates stopped; polling only from now on");
                        updates = None;
                    }
                    None => updates = None,
                },
            }
        }
    }
}

/// The next update, or never once the stream is gone (so `select!` does not spin).
async fn next_update<S: Stream + Unpin>(s: &mut Option<S>) -> Option<S::Item> {
    match s {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}
