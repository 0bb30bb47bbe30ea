//! Websocket stream tests against a scripted local server (and wiremock for REST recovery).
//! No test touches the network.

#[path = "../common/mod.rs"]
mod common;
mod market_data;
mod news;
mod server;
mod trade_updates;

use alpaca_exec::stream::{StreamConfig, StreamError, StreamEvent};
use futures_util::{Stream, StreamExt};
use std::time::Duration;

/// Fast settings so reconnect tests take milliseconds.
pub fn fast_config() -> StreamConfig {
    StreamConfig {
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        silence_timeout: Duration::from_secs(3),
        ping_interval: Duration::from_millis(100),
        connect_timeout: Duration::from_secs(2),
        buffer: 64,
        ..StreamConfig::default()
    }
}

/// The next item, failing the test if none comes within the step timeout.
pub async fn next<S, M>(s: &mut S) -> Result<StreamEvent<M>, StreamError>
where
    S: Stream<Item = Result<StreamEvent<M>, StreamError>> + Unpin,
{
    tokio::time::timeout(server::STEP, s.next())
        .await
        .expect("no stream item in time")
        .expect("stream ended")
}

/// The next message, failing on anything else.
pub async fn message<S, M: std::fmt::Debug>(s: &mut S) -> M
where
    S: Stream<Item = Result<StreamEvent<M>, StreamError>> + Unpin,
{
    match next(s).await {
        Ok(StreamEvent::Message(m)) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}
